// SPDX-License-Identifier: MIT
/* test_pipeline.c - pipelines of small test elements: linking rules and
 * their errors, validation, EOS, two reactors, backpressure, play/stop/play,
 * errors, send_eos, stats, and the JSON/DOT exports. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bus_int.h"
#include "pipeline_int.h"
#include "px_probe.h"
#include "reactor_int.h" /* the watchdog's look at a stuck reactor */
#include "px_test.h"
#include "test_pipeline_elems.h"

#define WAIT_NS (20ll * 1000 * 1000 * 1000)

static struct px_pipeline *P;

static void setup(void)
{
	register_test_classes();
	ck_assert_int_eq(px_pipeline_create(NULL, &P), 0);
}

static struct px_element *add(const char *factory, const char *name)
{
	struct px_element *e = NULL;
	int err = px_pipeline_add(P, factory, name, &e);

	ck_assert_msg(err == 0, "add %s: %s", factory, px_pipeline_error(P));
	return e;
}

static void link_ok(struct px_element *a, struct px_element *b)
{
	int err = px_element_link(a, b);

	ck_assert_msg(err == 0, "link: %s", px_pipeline_error(P));
}

/* Every pool of the last run was destroyed with all its slots free. */
static void assert_pools_free(void)
{
	struct px_list *pos;

	ck_assert(px_list_empty(&P->pools));
	px_list_for_each(pos, &P->old_pools) {
		struct px__epool *ep = px_list_entry(pos, struct px__epool,
						     node);
		ck_assert_uint_eq(ep->snap.in_use, 0);
		ck_assert_ptr_null(ep->pool);
	}
}

static void play_to_eos(void)
{
	struct px_message m;
	int err;

	ck_assert_msg(px_pipeline_play(P) == 0, "play: %s",
		      px_pipeline_error(P));
	err = px_pipeline_wait(P, WAIT_NS, &m);
	ck_assert_msg(err == 0, "wait: %d %s: %s", err, m.source, m.text);
	ck_assert_int_eq(m.type, PX_MSG_EOS);
}

static void stop_clean(void)
{
	ck_assert_int_eq(px_pipeline_stop(P), 0);
	ck_assert_int_eq(px_pipeline_state(P), PX_STATE_NULL);
	assert_pools_free();
}

static void teardown(void)
{
	px_pipeline_destroy(P);
	P = NULL;
}

/* ---- linking ------------------------------------------------------------------ */

START_TEST(test_pipeline_link_rules)
{
	struct px_element *src, *sink, *tee, *pass, *a, *b;

	setup();
	src = add("tsrc", NULL);
	sink = add("tsink", NULL);
	tee = add("ttee", "t");
	pass = add("tpass", NULL);
	ck_assert_str_eq(px_element_name(src), "tsrc0");

	ck_assert_int_eq(px_element_link(src, src), -EINVAL);
	ck_assert_int_eq(px_element_link(sink, src), -ENOENT);
	ck_assert_str_eq(px_pipeline_error(P),
			 "tsink0 (tsink) has no src pads: it cannot be linked "
			 "to a downstream element");
	ck_assert_int_eq(px_element_link_pads(src, "sorc", tee, NULL, NULL, 0),
			 -ENOENT);
	ck_assert_str_eq(px_pipeline_error(P),
			 "tsrc0 has no pad 'sorc' (did you mean 'src'?)");
	ck_assert_int_eq(px_element_link_pads(src, "src", pass, "src", NULL, 0),
			 -EINVAL);
	/* A failed link does not leave a request pad behind. */
	ck_assert_int_eq(px_element_link_pads(tee, "src_%u", pass, "nope",
					      NULL, 0),
			 -ENOENT);
	ck_assert_uint_eq(px_element_pad_count(tee, PX_PAD_SRC), 0);
	ck_assert_int_eq(px_element_link_pads(src, "src", tee, "sink", NULL,
					      100000),
			 -EINVAL);

	link_ok(src, tee);
	ck_assert_int_eq(px_element_link(src, pass), -EBUSY);
	ck_assert_str_eq(px_pipeline_error(P), "tsrc0 has no free src pad "
					       "(tsrc0:src is already linked)");
	/* Request pads: by template, by number, and picked by NULL. */
	ck_assert_int_eq(px_element_link_pads(tee, "src_%u", pass, NULL, NULL,
					      4),
			 0);
	ck_assert_ptr_nonnull(px_element_pad(tee, "src_0"));
	ck_assert_int_eq(px_element_link_pads(tee, "src_5", sink, NULL, NULL, 0),
			 0);
	ck_assert_ptr_nonnull(px_element_pad(tee, "src_5"));
	ck_assert_uint_eq(px_element_pad_count(tee, PX_PAD_SRC), 2);
	ck_assert_str_eq(px_pad_name(px_element_pad_at(tee, PX_PAD_SRC, 1)),
			 "src_5");
	ck_assert_int_eq(px_element_link_pads(tee, "src_5", add("tsink", NULL),
					      NULL, NULL, 0),
			 -EBUSY);
	ck_assert_str_eq(px_pipeline_error(P),
			 "t:src_5 is already linked to tsink0:sink");
	ck_assert(px_pad_is_linked(px_element_pad(tee, "sink")));
	ck_assert_ptr_eq(px_pad_peer(px_element_pad(tee, "sink")),
			 px_element_pad(src, "src"));
	ck_assert_ptr_eq(px_pad_element(px_element_pad(tee, "sink")), tee);

	/* Caps that do not intersect. */
	a = add("tsrc-a", NULL);
	b = add("tsink-b", NULL);
	ck_assert_int_eq(px_element_link(a, b), -EINVAL);
	ck_assert_str_eq(px_pipeline_error(P),
			 "cannot link tsrc-a0:src (caps application/x-a) to "
			 "tsink-b0:sink (caps application/x-b): caps do not "
			 "intersect");
	struct px_caps *f;
	ck_assert_int_eq(px_caps_parse("application/x-c", &f, NULL), 0);
	ck_assert_int_eq(px_element_link_pads(pass, NULL, b, NULL, f, 0),
			 -EINVAL);
	ck_assert_ptr_nonnull(strstr(px_pipeline_error(P), "through filter "
							   "application/x-c"));
	px_caps_unref(f);
	teardown();
}
END_TEST

START_TEST(test_pipeline_validate)
{
	struct px_element *src, *m, *pass, *tee, *sink;

	setup();
	ck_assert_int_eq(px_pipeline_validate(P), -EINVAL);
	ck_assert_ptr_nonnull(strstr(px_pipeline_error(P), "empty"));
	src = add("tsrc", NULL);
	pass = add("tpass", NULL);
	link_ok(src, pass);
	ck_assert_int_eq(px_pipeline_validate(P), -EINVAL);
	ck_assert_str_eq(px_pipeline_error(P),
			 "tpass0:src is not linked: every always pad needs a "
			 "link (link it to a downstream element, e.g. ! "
			 "fakesink)");
	/* play reports the same and stays in NULL */
	ck_assert_int_eq(px_pipeline_play(P), -EINVAL);
	ck_assert_int_eq(px_pipeline_state(P), PX_STATE_NULL);
	teardown();

	/* A cycle: src ! merge ! tee ! sink, tee. ! merge. */
	setup();
	src = add("tsrc", NULL);
	m = add("tmerge", NULL);
	tee = add("ttee", NULL);
	sink = add("tsink", NULL);
	link_ok(src, m);
	link_ok(m, tee);
	link_ok(tee, sink);
	link_ok(tee, m);
	ck_assert_int_eq(px_pipeline_validate(P), -EINVAL);
	ck_assert_ptr_nonnull(strstr(px_pipeline_error(P), "cycle"));
	teardown();

	/* Caps narrowed after linking are checked again. */
	setup();
	src = add("tsrc", NULL);
	sink = add("tsink", NULL);
	link_ok(src, sink);
	ck_assert_int_eq(px_pipeline_validate(P), 0);
	struct px_caps *a, *b;
	ck_assert_int_eq(px_caps_parse("application/x-a", &a, NULL), 0);
	ck_assert_int_eq(px_caps_parse("application/x-b", &b, NULL), 0);
	ck_assert_int_eq(px_pad_set_caps(px_element_pad(src, "src"), a), 0);
	ck_assert_int_eq(px_pad_set_caps(px_element_pad(sink, "sink"), b), 0);
	px_caps_unref(a);
	px_caps_unref(b);
	ck_assert_int_eq(px_pipeline_validate(P), -EINVAL);
	ck_assert_ptr_nonnull(strstr(px_pipeline_error(P),
				     "caps do not intersect"));
	teardown();
}
END_TEST

/* ---- running ------------------------------------------------------------------ */

START_TEST(test_pipeline_eos)
{
	struct px_element *src, *pass, *sink;
	struct px_element_stats st;
	struct tsink *k;

	setup();
	src = add("tsrc", NULL);
	pass = add("tpass", NULL);
	sink = add("tsink", NULL);
	ck_assert_int_eq(px_element_set(src, "num-buffers", "1000"), 0);
	link_ok(src, pass);
	link_ok(pass, sink);
	play_to_eos();
	ck_assert_ptr_eq(px_element_reactor(src), px_element_reactor(sink));
	k = px_element_priv(sink);
	ck_assert_uint_eq(k->count, 1000);
	ck_assert_uint_eq(k->out_of_order, 0);
	ck_assert(k->eos);
	px_element_stats(pass, &st);
	ck_assert_uint_eq(st.buffers_in, 1000);
	ck_assert_uint_eq(st.buffers_out, 1000);
	ck_assert_uint_eq(st.bytes_in, 64000);
	px_element_stats(sink, &st);
	ck_assert_uint_eq(st.buffers_in, 1000);
	ck_assert_uint_eq(st.buffers_out, 0);
	ck_assert(px_pipeline_seconds(P) > 0);
	/* No property changes while playing. */
	ck_assert_int_eq(px_element_set(src, "num-buffers", "1"), -EBUSY);
	stop_clean();
	/* The stats of the last run outlive the stop. */
	px_element_stats(sink, &st);
	ck_assert_uint_eq(st.buffers_in, 1000);
	teardown();
}
END_TEST

START_TEST(test_pipeline_two_reactors)
{
	struct px_element *src, *q, *sink, *sink2, *tee, *q2;
	struct tsink *k, *k2;

	setup();
	src = add("tsrc", NULL);
	tee = add("ttee", NULL);
	q = add("tqueue", NULL);
	q2 = add("tqueue", NULL);
	sink = add("tsink", NULL);
	sink2 = add("tsink", NULL);
	ck_assert_int_eq(px_element_set(src, "num-buffers", "20000"), 0);
	ck_assert_int_eq(px_element_set(q2, "reactor", "2"), 0);
	link_ok(src, tee);
	link_ok(tee, q);
	link_ok(q, sink);
	link_ok(tee, q2);
	link_ok(q2, sink2);
	play_to_eos();
	ck_assert_uint_eq(P->n_reactors, 3);
	ck_assert_ptr_eq(px_element_reactor(q), px_element_reactor(src));
	ck_assert_ptr_eq(px_element_reactor(sink), P->reactors[1]);
	ck_assert_ptr_eq(px_element_reactor(sink2), P->reactors[2]);
	k = px_element_priv(sink);
	k2 = px_element_priv(sink2);
	ck_assert_uint_eq(k->count, 20000);
	ck_assert_uint_eq(k2->count, 20000);
	ck_assert_uint_eq(k->out_of_order + k2->out_of_order, 0);
	stop_clean();
	teardown();
}
END_TEST

START_TEST(test_pipeline_backpressure)
{
	struct px_element *src, *pass, *slow;
	struct px_list *pos;
	unsigned checked = 0;

	/* A pool larger than the links: the links bound what is in flight.
	 * 1024 slots: above 256, the element pool's exact high-water counter
	 * (not a sample) is what reports the peak. */
	setup();
	src = add("tsrc", NULL);
	pass = add("tpass", NULL);
	slow = add("tslow", NULL);
	ck_assert_int_eq(px_element_set(src, "num-buffers", "300"), 0);
	ck_assert_int_eq(px_element_set(src, "slots", "1024"), 0);
	ck_assert_int_eq(px_element_set(slow, "delay", "10us"), 0);
	ck_assert_int_eq(px_element_link_pads(src, NULL, pass, NULL, NULL, 4),
			 0);
	ck_assert_int_eq(px_element_link_pads(pass, NULL, slow, NULL, NULL, 4),
			 0);
	play_to_eos();
	ck_assert_uint_eq(((struct tslow *)px_element_priv(slow))->count, 300);
	/* One CAPS event, before the buffers, carried through tpass. */
	ck_assert_uint_eq(((struct tslow *)px_element_priv(slow))->caps, 1);
	stop_clean();
	px_list_for_each(pos, &P->old_pools) {
		struct px__epool *ep = px_list_entry(pos, struct px__epool,
						     node);
		/* two links of 4, plus the one the source is filling; the
		 * fast source fills at least the first link */
		ck_assert_uint_le(ep->snap.high_water, 4 + 4 + 1);
		ck_assert_uint_ge(ep->snap.high_water, 4);
		ck_assert_uint_eq(ep->snap.loans, 300);
		checked++;
	}
	ck_assert_uint_eq(checked, 1);
	teardown();

	/* A pool smaller than the links: the pool bounds it. */
	setup();
	src = add("tsrc", NULL);
	slow = add("tslow", NULL);
	ck_assert_int_eq(px_element_set(src, "num-buffers", "200"), 0);
	ck_assert_int_eq(px_element_set(src, "slots", "4"), 0);
	ck_assert_int_eq(px_element_set(slow, "delay", "10us"), 0);
	link_ok(src, slow);
	play_to_eos();
	stop_clean();
	px_list_for_each(pos, &P->old_pools) {
		struct px__epool *ep = px_list_entry(pos, struct px__epool,
						     node);
		ck_assert_uint_le(ep->snap.high_water, 4);
		ck_assert_uint_gt(ep->snap.exhausted, 0);
		ck_assert_uint_eq(ep->snap.loans, 200);
	}
	teardown();
}
END_TEST

/* Buffers E took so far: the engine's pad counters, safe to read while
 * E's reactor runs (the element's own count is not). */
static uint64_t buffers_in(struct px_element *e)
{
	struct px_element_stats st;

	px_element_stats(e, &st);
	return st.buffers_in;
}

START_TEST(test_pipeline_play_again)
{
	struct px_element *src, *q, *sink;
	struct px_message m;
	int changes = 0;

	setup();
	src = add("tsrc", NULL);
	q = add("tqueue", NULL);
	sink = add("tslow", NULL);
	ck_assert_int_eq(px_element_set(src, "num-buffers", "50"), 0);
	ck_assert_int_eq(px_element_set(sink, "delay", "100us"), 0);
	link_ok(src, q);
	link_ok(q, sink);
	for (int run = 0; run < 3; run++) {
		play_to_eos();
		ck_assert_uint_eq(((struct tslow *)px_element_priv(sink))->count,
				  50);
		stop_clean();
	}
	/* Stop in the middle of a run, with buffers in flight: once the
	 * sink took some, pause; once it took more, stop. */
	ck_assert_int_eq(px_element_set(src, "num-buffers", "-1"), 0);
	ck_assert_int_eq(px_pipeline_play(P), 0);
	PX_TEST_UNTIL(buffers_in(sink) >= 5, 30);
	ck_assert_int_eq(px_pipeline_set_state(P, PX_STATE_PAUSED), 0);
	ck_assert_int_eq(px_pipeline_state(P), PX_STATE_PAUSED);
	ck_assert_int_eq(px_pipeline_play(P), 0);
	{
		uint64_t had = buffers_in(sink);

		PX_TEST_UNTIL(buffers_in(sink) > had, 30);
	}
	stop_clean();
	while (px_bus_pop(px_pipeline_bus(P), 0, &m) == 0)
		changes += m.type == PX_MSG_STATE_CHANGED;
	ck_assert_int_eq(changes, 3 * 6 + 8);

	/* An EOS left on the bus by one run does not end the next wait:
	 * the run ends (its EOS posted) before the pipeline goes down. */
	ck_assert_int_eq(px_element_set(src, "num-buffers", "50"), 0);
	ck_assert_int_eq(px_pipeline_play(P), 0);
	PX_TEST_UNTIL(px__bus_has_end(px_pipeline_bus(P)), 30);
	ck_assert_int_eq(px_pipeline_set_state(P, PX_STATE_READY), 0);
	ck_assert_int_eq(px_pipeline_play(P), 0);
	ck_assert_int_eq(px_pipeline_wait(P, WAIT_NS, NULL), 0);
	ck_assert_uint_eq(((struct tslow *)px_element_priv(sink))->count, 50);
	stop_clean();
	teardown();
}
END_TEST

/* tsrc (endless) ! tpass name=breaker fail-after=10 ! tsink in P, played. */
static void breaker_setup(struct px_element **src, struct px_element **fail,
			  struct px_element **sink)
{
	*src = add("tsrc", NULL);
	*fail = add("tpass", "breaker");
	*sink = add("tsink", NULL);
	ck_assert_int_eq(px_element_set(*src, "num-buffers", "-1"), 0);
	ck_assert_int_eq(px_element_set(*fail, "fail-after", "10"), 0);
	link_ok(*src, *fail);
	link_ok(*fail, *sink);
	ck_assert_int_eq(px_pipeline_play(P), 0);
}

START_TEST(test_pipeline_error)
{
	struct px_element *src, *fail, *sink;
	struct px_message m;
	int err;

	setup();
	breaker_setup(&src, &fail, &sink);
	err = px_pipeline_wait(P, WAIT_NS, &m);
	ck_assert_int_eq(err, -EPROTO);
	ck_assert_int_eq(m.type, PX_MSG_ERROR);
	ck_assert_str_eq(m.source, "breaker");
	ck_assert_str_eq(m.text, "breaker: failing as asked after 10 buffers");
	/* The error stops the flow at once: what was in flight is dropped. */
	ck_assert_uint_le(((struct tsink *)px_element_priv(sink))->count, 10);
	stop_clean();
	/* It runs again after the error. */
	ck_assert_int_eq(px_element_set(fail, "fail-after", "-1"), 0);
	ck_assert_int_eq(px_element_set(src, "num-buffers", "10"), 0);
	play_to_eos();
	stop_clean();
	teardown();
}
END_TEST

struct eos_later {
	struct px_pipeline *p;
	struct px_element *sink;
	int rc;
};

/* Another thread sends EOS once buffers flow (the main one waits in
 * px_pipeline_wait meanwhile). */
static void *send_eos_later(void *arg)
{
	struct eos_later *l = arg;

	while (!buffers_in(l->sink))
		px_test_nap();
	l->rc = px_pipeline_send_eos(l->p);
	return NULL;
}

/* A burst pushed after EOS is refused as such, taken by nobody, and its
 * buffers come back; it is not counted as sent. tsrc and tsink share one
 * reactor, so the sink sees EOS only after tsrc's work() made the burst. */
START_TEST(test_pipeline_push_after_eos)
{
	struct px_element *src, *sink;
	struct px_element_stats st;
	struct tsrc *s;

	setup();
	src = add("tsrc", NULL);
	sink = add("tsink", NULL);
	ck_assert_int_eq(px_element_set(src, "num-buffers", "10"), 0);
	ck_assert_int_eq(px_element_set(src, "burst-after-eos", "true"), 0);
	link_ok(src, sink);
	play_to_eos();
	s = px_element_priv(src);
	ck_assert_int_eq(s->after_flow, PX_FLOW_EOS);
	ck_assert_uint_eq(s->after_taken, 0);
	ck_assert_uint_eq(px_pool_available(s->pool), 8);
	px_element_stats(src, &st);
	ck_assert_uint_eq(st.buffers_out, 10);
	ck_assert_uint_eq(((struct tsink *)px_element_priv(sink))->count, 10);
	stop_clean();
	teardown();
}
END_TEST

START_TEST(test_pipeline_send_eos)
{
	struct px_element *src, *q, *sink;
	struct eos_later later = { .rc = -1 };
	pthread_t th;

	setup();
	src = add("tsrc", NULL);
	q = add("tqueue", NULL);
	sink = add("tsink", NULL);
	ck_assert_int_eq(px_element_set(src, "num-buffers", "-1"), 0);
	link_ok(src, q);
	link_ok(q, sink);
	ck_assert_int_eq(px_pipeline_send_eos(P), -EINVAL);
	ck_assert_int_eq(px_pipeline_play(P), 0);
	later.p = P;
	later.sink = sink;
	pthread_create(&th, NULL, send_eos_later, &later);
	/* The wait's own bound ends a run whose EOS never came. */
	ck_assert_int_eq(px_pipeline_wait(P, WAIT_NS, NULL), 0);
	pthread_join(th, NULL);
	ck_assert_int_eq(later.rc, 0);
	struct tsink *k = px_element_priv(sink);
	ck_assert_uint_gt(k->count, 0);
	ck_assert_uint_eq(k->out_of_order, 0);
	ck_assert(k->eos);
	stop_clean();
	teardown();
}
END_TEST

/* Tiny links and pools across three reactors: every wakeup path (room,
 * items, pool slots, cross-reactor sleep flags) is hit thousands of times;
 * a lost wakeup hangs the run. */
START_TEST(stress_pipeline_cross)
{
	static const unsigned caps[] = { 2, 4, 64 };
	static const char *const slots[] = { "2", "3", "17" };

	for (unsigned c = 0; c < PX_ARRAY_SIZE(caps); c++) {
		for (unsigned s = 0; s < PX_ARRAY_SIZE(slots); s++) {
			struct px_element *src, *q1, *pass, *q2, *sink;
			struct tsink *k;

			setup();
			src = add("tsrc", NULL);
			q1 = add("tqueue", NULL);
			pass = add("tpass", NULL);
			q2 = add("tqueue", NULL);
			sink = add("tsink", NULL);
			ck_assert_int_eq(px_element_set(src, "num-buffers",
							"20000"),
					 0);
			ck_assert_int_eq(px_element_set(src, "slots", slots[s]),
					 0);
			ck_assert_int_eq(px_element_link_pads(src, NULL, q1,
							      NULL, NULL,
							      caps[c]),
					 0);
			ck_assert_int_eq(px_element_link_pads(q1, NULL, pass,
							      NULL, NULL,
							      caps[c]),
					 0);
			ck_assert_int_eq(px_element_link_pads(pass, NULL, q2,
							      NULL, NULL,
							      caps[c]),
					 0);
			ck_assert_int_eq(px_element_link_pads(q2, NULL, sink,
							      NULL, NULL,
							      caps[c]),
					 0);
			play_to_eos();
			ck_assert_uint_eq(P->n_reactors, 3);
			k = px_element_priv(sink);
			ck_assert_uint_eq(k->count, 20000);
			ck_assert_uint_eq(k->out_of_order, 0);
			stop_clean();
			teardown();
		}
	}
}
END_TEST

/* ---- stats and export --------------------------------------------------------- */

START_TEST(test_pipeline_export)
{
	struct px_element *src, *tee, *sink, *sink2;
	char path[512], cmd[1100], *buf = NULL;
	size_t len = 0;
	FILE *f;

	setup();
	src = add("tsrc", "the-source");
	tee = add("ttee", NULL);
	sink = add("tsink", NULL);
	sink2 = add("tsink", NULL);
	ck_assert_int_eq(px_element_set(src, "num-buffers", "1234"), 0);
	ck_assert_int_eq(px_element_set(src, "size", "100"), 0);
	link_ok(src, tee);
	link_ok(tee, sink);
	ck_assert_int_eq(px_element_link_pads(tee, NULL, sink2, NULL, NULL, 64),
			 0);
	ck_assert_int_eq(px_pipeline_set_latency(P, PX_LATENCY_SINKS, 1), 0);
	play_to_eos();
	stop_clean();

	snprintf(path, sizeof(path), "%s/stats.json", px_test_tmpdir());
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(px_pipeline_write_stats_json(P, f), 0);
	fclose(f);
	f = open_memstream(&buf, &len);
	ck_assert_int_eq(px_pipeline_write_stats_json(P, f), 0);
	fclose(f);
	ck_assert_ptr_nonnull(strstr(buf, "{\"name\":\"tsink0\",\"factory\":"
					  "\"tsink\",\"buffers_in\":1234,"
					  "\"buffers_out\":0,\"bytes_in\":"
					  "123400,\"bytes_out\":0,"
					  "\"events_in\":2,\"events_out\":0,"
					  "\"dropped\":0,\"work_calls\":"));
	/* every buffer stamped by the source, measured by the sink */
	ck_assert_ptr_nonnull(strstr(buf, "\"errors\":0,\"latency\":{"
					  "\"count\":1234,\"unstamped\":0,"));
	ck_assert_ptr_nonnull(strstr(buf, "\"tee\"") == NULL ? buf : NULL);
	ck_assert_ptr_nonnull(strstr(buf, "{\"name\":\"the-source.pool\","
					  "\"slot_size\":128,\"slots\":8,"
					  "\"loans\":1234,\"bytes_copied\":0,"));
	free(buf);
	buf = NULL;
	if (system("command -v python3 >/dev/null 2>&1") == 0) {
		snprintf(cmd, sizeof(cmd),
			 "python3 -m json.tool %s >/dev/null", path);
		ck_assert_int_eq(system(cmd), 0);
	}

	f = open_memstream(&buf, &len);
	ck_assert_int_eq(px_pipeline_write_dot(P, f), 0);
	fclose(f);
	ck_assert_ptr_nonnull(strstr(buf, "digraph"));
	ck_assert_ptr_nonnull(strstr(buf, "\"the-source\" [label="));
	ck_assert_ptr_nonnull(strstr(buf, "num-buffers=1234"));
	ck_assert_ptr_nonnull(strstr(buf, "\"ttee0\":\"src_1\" -> "
					  "\"tsink1\":\"sink\" [label=\"64 "));
	free(buf);
	buf = NULL;

	snprintf(path, sizeof(path), "%s/graph.json", px_test_tmpdir());
	f = fopen(path, "w");
	ck_assert_int_eq(px_pipeline_write_json(P, f), 0);
	fclose(f);
	if (system("command -v python3 >/dev/null 2>&1") == 0) {
		snprintf(cmd, sizeof(cmd),
			 "python3 -c 'import json,sys; d=json.load(open(sys."
			 "argv[1])); assert len(d[\"elements\"])==4; "
			 "assert len(d[\"links\"])==3' %s",
			 path);
		ck_assert_int_eq(system(cmd), 0);
	}
	teardown();
}
END_TEST

/* ---- CAPS events -------------------------------------------------------------- */

/* CAPS (text) parsed and printed the canonical way, into BUF. */
static const char *canon(const char *text, char *buf, size_t len)
{
	struct px_caps *c = NULL;

	ck_assert_int_eq(px_caps_parse(text, &c, NULL), 0);
	px_caps_to_string(c, buf, len);
	px_caps_unref(c);
	return buf;
}

static struct px_caps *caps_of(const char *text)
{
	struct px_caps *c = NULL;

	ck_assert_int_eq(px_caps_parse(text, &c, NULL), 0);
	return c;
}

/*
 * One CAPS event before the first buffer on every link, carried across a
 * queue (the downstream side on another reactor) and narrowed to the
 * second link's filter; a change at buffer 4 arrives exactly before buffer 4; a
 * second run sends them again.
 */
START_TEST(test_pipeline_caps_events)
{
	struct px_element *src, *pass, *sink;
	struct px_caps *fa = caps_of("application/x-a"),
		       *fw = caps_of("application/x-a, w=(int)5");
	struct tsink *k;
	char want[128];

	setup();
	src = add("tsrc", NULL);
	pass = add("queue", NULL); /* the built-in: another reactor after it */
	sink = add("tsink", NULL);
	ck_assert_int_eq(px_element_set(src, "num-buffers", "10"), 0);
	ck_assert_int_eq(px_element_set(src, "caps-at", "4"), 0);
	ck_assert_int_eq(px_element_set(src, "caps-to",
					"application/x-a, n=(int)2"), 0);
	ck_assert_int_eq(px_element_link_pads(src, NULL, pass, NULL, fa, 0), 0);
	ck_assert_int_eq(px_element_link_pads(pass, NULL, sink, NULL, fw, 0), 0);
	for (int run = 0; run < 2; run++) {
		play_to_eos();
		k = px_element_priv(sink);
		ck_assert_uint_eq(k->count, 10);
		ck_assert_uint_eq(k->caps, 2);
		ck_assert_uint_eq(k->caps_pos[0], 0);
		ck_assert_str_eq(k->caps_text[0],
				 canon("application/x-a, w=(int)5", want,
				       sizeof(want)));
		ck_assert_uint_eq(k->caps_pos[1], 4);
		ck_assert_str_eq(k->caps_text[1],
				 canon("application/x-a, n=(int)2, w=(int)5",
				       want, sizeof(want)));
		stop_clean();
	}
	px_caps_unref(fa);
	px_caps_unref(fw);
	teardown();
}
END_TEST

/* Caps a source announces that contradict its link: an ERROR naming the
 * pad, both caps and the peer, and nothing flows with wrong caps. */
START_TEST(test_pipeline_caps_conflict)
{
	struct px_element *src, *sink;
	struct px_caps *fa = caps_of("application/x-a");
	struct px_message m;

	setup();
	src = add("tsrc", NULL);
	sink = add("tsink", NULL);
	ck_assert_int_eq(px_element_set(src, "caps-at", "3"), 0);
	ck_assert_int_eq(px_element_set(src, "caps-to", "application/x-b"), 0);
	ck_assert_int_eq(px_element_link_pads(src, NULL, sink, NULL, fa, 0), 0);
	ck_assert_int_eq(px_pipeline_play(P), 0);
	ck_assert_int_eq(px_pipeline_wait(P, WAIT_NS, &m), -EINVAL);
	ck_assert_int_eq(m.type, PX_MSG_ERROR);
	ck_assert_str_eq(m.text, "tsrc0:src: caps application/x-b do not fit "
				 "the link to tsink0:sink, whose caps are "
				 "application/x-a");
	ck_assert_uint_le(((struct tsink *)px_element_priv(sink))->count, 3);
	stop_clean();
	px_caps_unref(fa);
	teardown();
}
END_TEST

/* Caps meet across elements that pass them on unchanged: a contradiction
 * through identity is refused at validation, naming both ends, and a
 * link after it gets the narrower caps. */
START_TEST(test_pipeline_caps_passthrough)
{
	struct px_element *src, *id, *sink;
	struct px_caps *fa = caps_of("application/x-a"),
		       *fb = caps_of("application/x-b");
	char text[128];

	setup();
	src = add("tsrc", NULL);
	id = add("identity", NULL);
	sink = add("tsink", NULL);
	ck_assert_int_eq(px_element_link_pads(src, NULL, id, NULL, fa, 0), 0);
	ck_assert_int_eq(px_element_link_pads(id, NULL, sink, NULL, fb, 0), 0);
	ck_assert_int_eq(px_pipeline_validate(P), -EINVAL);
	ck_assert_str_eq(px_pipeline_error(P),
			 "caps application/x-a coming from tsrc0 and "
			 "application/x-b going to tsink0 contradict each other "
			 "through identity0, which passes caps on unchanged");
	teardown();

	setup();
	src = add("tsrc", NULL);
	id = add("identity", NULL);
	sink = add("tsink", NULL);
	ck_assert_int_eq(px_element_link_pads(src, NULL, id, NULL, fa, 0), 0);
	link_ok(id, sink);
	ck_assert_int_eq(px_pipeline_validate(P), 0);
	px_caps_to_string(px_pad_link_caps(px_element_pad(sink, "sink")), text,
			  sizeof(text));
	ck_assert_str_eq(text, "application/x-a");
	teardown();
	px_caps_unref(fa);
	px_caps_unref(fb);
}
END_TEST

/* ---- replacing a running element -------------------------------------------- */

/* Build tsrc ! [tqueue !] tpass name=x ! [tqueue !] tsink; CROSS puts x on
 * a reactor of its own (both of its links cross threads). */
static struct px_element *replace_setup(bool cross, const char *num,
					struct px_element **src_out)
{
	struct px_element *src, *x, *sink, *q1, *q2;
	struct px_caps *fa = caps_of("application/x-a");

	setup();
	src = add("tsrc", NULL);
	x = add("tpass", "x");
	sink = add("tsink", NULL);
	ck_assert_int_eq(px_element_set(src, "num-buffers", num), 0);
	ck_assert_int_eq(px_element_set(src, "slots", "64"), 0);
	if (cross) {
		q1 = add("tqueue", NULL);
		q2 = add("tqueue", NULL);
		link_ok(src, q1);
		link_ok(q1, x);
		link_ok(x, q2);
		link_ok(q2, sink);
	} else {
		/* x's input carries application/x-a */
		ck_assert_int_eq(px_element_link_pads(src, NULL, x, NULL, fa,
						      0),
				 0);
		link_ok(x, sink);
	}
	px_caps_unref(fa);
	if (src_out)
		*src_out = src;
	return sink;
}

/*
 * Replace x again and again while an endless source runs, until at least
 * SWAPS replacements went through and the sink got at least MIN buffers;
 * then EOS. The swaps are spread over the stream (the sink gets MIN / SWAPS
 * more buffers between two), so a loaded machine makes the run slower, not
 * one of ever more swaps on a stream that barely moves. The sink must have
 * every buffer the source sent, once, in order, and the last replacement
 * must be the element named x.
 */
/*
 * A swap that does not return in 60 s: say what the element being
 * replaced and its two links were doing, then abort (a hang otherwise ends
 * only at the CTest timeout, with nothing to go on). Diagnostics read
 * reactor-owned state without ordering: only once the run is stuck.
 */
static struct {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct px_element *old; /* the element being replaced, or NULL */
	unsigned swap;
	bool quit;
} swap_dog = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, NULL, 0,
	       false };

static void dog_link(const char *what, struct px_link *l)
{
	if (!l || !l->ring.ring) {
		fprintf(stderr, "  %s: no link\n", what);
		return;
	}
	fprintf(stderr,
		"  %s: %u of %u items; producer %s (sleeping %d, blocked %d, "
		"flagged %d); consumer %s (sleeping %d, flagged %d)\n",
		what, px_ring_view_count(&l->ring), l->capacity,
		px_element_name(atomic_load(&l->prod.elem)), l->prod.sleeping,
		l->prod.blocked, px_ring_producer_flagged(l->ring.ring),
		px_element_name(atomic_load(&l->cons.elem)), l->cons.sleeping,
		px_ring_consumer_flagged(l->ring.ring));
}

/* Each reactor of the pipeline: asleep with posts waiting would be a lost
 * wakeup; its counters say what it did last. */
static void dog_reactors(void)
{
	for (unsigned i = 0; i < P->n_reactors; i++) {
		struct px_reactor *r = P->reactors[i];
		struct px_reactor_stats st;

		px_reactor_stats(r, &st);
		fprintf(stderr,
			"  reactor %u: sleeping %d, posts waiting %s, runq %s, "
			"inflight %u; turns %llu, sleeps %llu, posts %llu, "
			"wakeups %llu msg_ring + %llu eventfd, msg errors %llu\n",
			i, atomic_load(&r->sleeping),
			atomic_load(&r->post_head) ? "yes" : "no",
			px_list_empty(&r->runq) ? "empty" : "not empty",
			r->inflight, (unsigned long long)st.turns,
			(unsigned long long)st.sleeps,
			(unsigned long long)st.posts,
			(unsigned long long)st.wakeups_msg_ring,
			(unsigned long long)st.wakeups_eventfd,
			(unsigned long long)st.msg_errors);
	}
}

/* What element OLD being swapped (SWAP), its links and the reactors were
 * doing, with WHY. */
static void dog_dump(struct px_element *old, unsigned swap, const char *why)
{
	fprintf(stderr,
		"swap %u %s: x is %s (retired %d, stopped %d, replace %p); "
		"its input: retiring %d, left %u, EOS given %d, eos %d\n",
		swap, why, px_element_factory(old), old->retired, old->stopped,
		(void *)old->replace, old->sink[0]->retiring,
		old->sink[0]->retire_left, old->sink[0]->retire_eos_given,
		old->sink[0]->eos);
	dog_link("input link", old->sink[0]->link);
	dog_link("output link", old->src[0]->link);
	dog_reactors();
}

static void *swap_watchdog(void *arg)
{
	struct timespec ts;

	(void)arg;
	pthread_mutex_lock(&swap_dog.mu);
	while (!swap_dog.quit) {
		struct px_element *old = swap_dog.old;
		unsigned swap = swap_dog.swap;
		int rc;

		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_sec += 60;
		rc = pthread_cond_timedwait(&swap_dog.cv, &swap_dog.mu, &ts);
		if (rc != ETIMEDOUT || swap_dog.quit || !old ||
		    swap_dog.old != old || swap_dog.swap != swap)
			continue;
		dog_dump(old, swap, "stuck for 60 s");
		abort();
	}
	pthread_mutex_unlock(&swap_dog.mu);
	return NULL;
}

static void dog_watch(struct px_element *old, unsigned swap)
{
	pthread_mutex_lock(&swap_dog.mu);
	swap_dog.old = old;
	swap_dog.swap = swap;
	pthread_cond_signal(&swap_dog.cv);
	pthread_mutex_unlock(&swap_dog.mu);
}

static void replace_run(bool cross, unsigned swaps, uint64_t min, bool again)
{
	pthread_t dog;
	static const char *const desc[] = { "identity", "tpass",
					     "identity silent=true" };
	struct px_element *src, *sink, *x = NULL;
	struct px_message m;
	struct tsink *k;
	unsigned i = 0;

	sink = replace_setup(cross, "-1", &src);
	ck_assert_int_eq(px_pipeline_play(P), 0);
	swap_dog.quit = false;
	ck_assert_int_eq(pthread_create(&dog, NULL, swap_watchdog, NULL), 0);
	do {
		int err;

		struct px_element *old = px_pipeline_find(P, "x");

		dog_watch(old, i);
		err = px_pipeline_replace(P, "x", desc[i % 3], &x);
		dog_watch(NULL, i);
		if (err) /* a swap called off (timeout) says where it stood */
			dog_dump(old, i, "failed");
		ck_assert_msg(err == 0, "swap %u: %s", i, px_pipeline_error(P));
		ck_assert_ptr_eq(px_pipeline_find(P, "x"), x);
		PX_TEST_UNTIL(buffers_in(sink) >= (uint64_t)(i + 1) *
							   (min / swaps),
			      120);
	} while (++i < swaps || buffers_in(sink) < min);
	pthread_mutex_lock(&swap_dog.mu);
	swap_dog.quit = true;
	pthread_cond_signal(&swap_dog.cv);
	pthread_mutex_unlock(&swap_dog.mu);
	pthread_join(dog, NULL);
	ck_assert_int_eq(px_pipeline_send_eos(P), 0);
	ck_assert_int_eq(px_pipeline_wait(P, WAIT_NS, &m), 0);
	ck_assert_int_eq(m.type, PX_MSG_EOS);
	k = px_element_priv(sink);
	ck_assert_uint_ge(k->count, min);
	ck_assert_uint_eq(k->count, ((struct tsrc *)px_element_priv(src))->sent);
	ck_assert_uint_eq(k->out_of_order, 0);
	ck_assert_uint_eq(k->next_seq, k->count);
	ck_assert_uint_ge(k->caps, 1);
	ck_assert_str_eq(px_element_factory(x), desc[(i - 1) % 3][0] == 'i' ?
							"identity" : "tpass");
	stop_clean();
	if (again) {
		/* The replacement runs again like any element. */
		ck_assert_int_eq(px_element_set(src, "num-buffers", "5000"), 0);
		play_to_eos();
		ck_assert_uint_eq(((struct tsink *)px_element_priv(sink))->count,
				  5000);
		stop_clean();
	}
	teardown();
}

START_TEST(test_pipeline_replace)
{
	/* At least one buffer: a stream's CAPS event goes before its first
	 * buffer, so a run that swapped before the source sent anything
	 * (a loaded machine) would have no caps to check. */
	replace_run(false, 20, 1, true);
	replace_run(true, 20, 1, true);
}
END_TEST

/* What cannot be replaced says why, and the stream is not touched. */
START_TEST(test_pipeline_replace_refused)
{
	struct px_element *src, *sink;
	struct px_message m;

	sink = replace_setup(false, "-1", &src);
	ck_assert_int_eq(px_pipeline_replace(P, "x", "identity", NULL), -EBUSY);
	ck_assert_ptr_nonnull(strstr(px_pipeline_error(P), "pipeline is NULL"));
	ck_assert_int_eq(px_pipeline_play(P), 0);
	ck_assert_int_eq(px_pipeline_replace(P, "nosuch", "identity", NULL),
			 -ENOENT);
	ck_assert_int_eq(px_pipeline_replace(P, "x", "nosuchelem", NULL),
			 -ENOENT);
	ck_assert_int_eq(px_pipeline_replace(P, "x", "identity bogus=1", NULL),
			 -ENOENT);
	ck_assert_ptr_nonnull(strstr(px_pipeline_error(P), "bogus"));
	ck_assert_int_eq(px_pipeline_replace(P, "x", "identity ! identity",
					     NULL),
			 -EINVAL);
	ck_assert_int_eq(px_pipeline_replace(P, "x", "fakesink", NULL), -EINVAL);
	ck_assert_str_eq(px_pipeline_error(P),
			 "cannot replace x with fakesink: it has 1 input and 0 "
			 "output pads; a replacement needs one of each");
	ck_assert_int_eq(px_pipeline_replace(P, "x", "identity name=y", NULL),
			 -EINVAL);
	ck_assert_int_eq(px_pipeline_replace(P, px_element_name(src), "tpass",
					     NULL),
			 -EINVAL);
	ck_assert_int_eq(px_pipeline_replace(P, "x",
					     "capsfilter caps=application/x-b",
					     NULL),
			 -EINVAL);
	ck_assert_str_eq(px_pipeline_error(P),
			 "cannot replace x with capsfilter: its sink caps "
			 "application/x-b do not meet the input link's "
			 "application/x-a");
	/* The new element's own refusal (capsfilter's caps do not parse):
	 * its sentence comes back, and nothing halts the pipeline. */
	ck_assert_int_lt(px_pipeline_replace(P, "x", "capsfilter caps=((",
					     NULL),
			 0);
	ck_assert_ptr_nonnull(strstr(px_pipeline_error(P), "do not parse"));
	/* x still runs: the stream ends normally. */
	ck_assert_str_eq(px_element_factory(px_pipeline_find(P, "x")), "tpass");
	ck_assert_int_eq(px_pipeline_send_eos(P), 0);
	ck_assert_msg(px_pipeline_wait(P, WAIT_NS, &m) == 0, "%s: %s", m.source,
		      m.text);
	ck_assert_int_eq(m.type, PX_MSG_EOS);
	ck_assert_uint_eq(((struct tsink *)px_element_priv(sink))->out_of_order,
			  0);
	stop_clean();
	teardown();
}
END_TEST

/*
 * An old element that cannot get through its share (x holds after 100
 * items: its input fills and it takes nothing more) does not hold the
 * caller forever: past the replace timeout the swap is called off with a
 * sentence, and x goes on exactly as before the call (its input no longer
 * cut); the pipeline still stops cleanly.
 */
START_TEST(test_pipeline_replace_timeout)
{
	struct px_element *src, *sink, *x, *y = NULL;
	struct px_pad *in;

	sink = replace_setup(false, "-1", &src);
	x = px_pipeline_find(P, "x");
	ck_assert_int_eq(px_element_set(x, "hold-after", "100"), 0);
	ck_assert_int_eq(px_pipeline_play(P), 0);
	/* 100 items: the CAPS event and 99 buffers. */
	PX_TEST_UNTIL(buffers_in(sink) == 99, 60);
	ck_assert_int_eq(px_pipeline_set_replace_timeout(P, 50 * 1000 * 1000),
			 0);
	ck_assert_int_eq(px_pipeline_replace(P, "x", "identity", &y),
			 -ETIMEDOUT);
	ck_assert_ptr_null(y);
	ck_assert_msg(strstr(px_pipeline_error(P), "cannot replace x: it did "
						   "not get through the ") &&
			      strstr(px_pipeline_error(P),
				     "(does its output drain?); the swap is "
				     "called off and x runs on"),
		      "%s", px_pipeline_error(P));
	ck_assert_ptr_eq(px_pipeline_find(P, "x"), x);
	ck_assert_str_eq(px_element_factory(x), "tpass");
	/* Undone on x's reactor before the call returned (run_on's
	 * handshake orders it before these reads). */
	in = x->sink[0];
	ck_assert_ptr_null(x->replace);
	ck_assert(!in->retiring && !in->retire_eos_given && !x->retired);
	ck_assert_uint_eq(in->retire_left, 0);
	ck_assert_uint_eq(buffers_in(sink), 99);
	stop_clean();
	teardown();
}
END_TEST

/* 1,000 swaps while 10 million buffers flow: none lost, repeated or out of
 * order, and EOS arrives. */
START_TEST(stress_pipeline_replace)
{
	replace_run(true, 1000, 10000000, false);
}
END_TEST

/* ---- latency and metrics ---------------------------------------------------- */

/* Every value lands in the bucket whose edges hold it, and a bucket is at
 * most 1/16 of its values wide. */
START_TEST(test_pipeline_latency_buckets)
{
	uint64_t v = 0;

	for (unsigned n = 0; n < 200000; n++) {
		unsigned i = px__lat_index(v);

		ck_assert_uint_lt(i, PX__LAT_BUCKETS);
		ck_assert_uint_le(px__lat_lower(i), v);
		if (i + 1 < PX__LAT_BUCKETS) {
			uint64_t width = px__lat_lower(i + 1) - px__lat_lower(i);

			ck_assert_uint_gt(px__lat_lower(i + 1), v);
			ck_assert(v < 16 || width * 16 <= v);
		}
		v = v < 4096 ? v + 1 : v + v / 997 + (n % 7);
	}
	ck_assert_uint_eq(px__lat_index(UINT64_MAX), PX__LAT_BUCKETS - 1);
}
END_TEST

/* tsrc ! tpass ! tsink, N buffers, latency recorded as MODE/SAMPLE. */
static void latency_run(enum px_latency_mode mode, unsigned sample,
			struct px_element **pass, struct px_element **sink)
{
	struct px_element *src;

	setup();
	src = add("tsrc", NULL);
	*pass = add("tpass", NULL);
	*sink = add("tsink", NULL);
	ck_assert_int_eq(px_element_set(src, "num-buffers", "1000"), 0);
	link_ok(src, *pass);
	link_ok(*pass, *sink);
	ck_assert_int_eq(px_pipeline_set_latency(P, mode, sample), 0);
	play_to_eos();
	ck_assert_int_eq(px_pipeline_set_latency(P, mode, sample), -EBUSY);
}

static void check_latency(const struct px_latency *l, uint64_t count)
{
	ck_assert_uint_eq(l->count, count);
	ck_assert_uint_le(l->p50_ns, l->p90_ns);
	ck_assert_uint_le(l->p90_ns, l->p99_ns);
	ck_assert_uint_le(l->p99_ns, l->p999_ns);
	ck_assert_uint_le(l->p999_ns, l->max_ns);
	ck_assert_uint_le(l->sum_ns, l->max_ns * l->count);
	ck_assert_uint_gt(l->max_ns, 0);
}

START_TEST(test_pipeline_latency)
{
	struct px_element *pass, *sink;
	struct px_latency l;
	struct px_message m;

	/* sinks, every push stamped: each buffer measured once, at the sink */
	latency_run(PX_LATENCY_SINKS, 1, &pass, &sink);
	ck_assert_int_eq(px_element_latency(sink, &l), 0);
	check_latency(&l, 1000);
	ck_assert_uint_eq(l.unstamped, 0);
	ck_assert_int_eq(px_element_latency(pass, &l), -ENOENT);
	stop_clean();
	teardown();

	/* all: up to every hop */
	latency_run(PX_LATENCY_ALL, 1, &pass, &sink);
	ck_assert_int_eq(px_element_latency(pass, &l), 0);
	check_latency(&l, 1000);
	ck_assert_int_eq(px_element_latency(sink, &l), 0);
	check_latency(&l, 1000);
	stop_clean();
	teardown();

	/* sampled: one push in 4 stamped, the rest counted as such */
	latency_run(PX_LATENCY_SINKS, 4, &pass, &sink);
	ck_assert_int_eq(px_element_latency(sink, &l), 0);
	ck_assert_uint_gt(l.count, 0);
	ck_assert_uint_gt(l.unstamped, 0);
	ck_assert_uint_eq(l.count + l.unstamped, 1000);
	stop_clean();
	teardown();

	latency_run(PX_LATENCY_OFF, 0, &pass, &sink);
	ck_assert_int_eq(px_element_latency(sink, &l), -ENOENT);
	stop_clean();
	teardown();

	/* The environment's default, and a wrong value said on the bus. */
	setenv("PX_LATENCY", "all/2", 1);
	setup();
	ck_assert_int_eq(P->latency, PX_LATENCY_ALL);
	ck_assert_uint_eq(P->latency_sample, 2);
	teardown();
	setenv("PX_LATENCY", "sinks/0", 1);
	setup();
	ck_assert_int_eq(P->latency, PX_LATENCY_SINKS);
	ck_assert_uint_eq(P->latency_sample, PX_LATENCY_SAMPLE_DEFAULT);
	ck_assert_int_eq(px_bus_pop(px_pipeline_bus(P), 0, &m), 0);
	ck_assert_int_eq(m.type, PX_MSG_WARNING);
	ck_assert_ptr_nonnull(strstr(m.text, "PX_LATENCY=sinks/0 is not"));
	teardown();
	unsetenv("PX_LATENCY");
	ck_assert_int_eq(px_pipeline_set_latency(NULL, PX_LATENCY_ALL, 1),
			 -EINVAL);
}
END_TEST

/* A line of the exposition: a comment, or NAME{LABELS} VALUE. */
static bool exposition_line(const char *line)
{
	const char *q = line;

	if (!strncmp(line, "# HELP px_", 10) || !strncmp(line, "# TYPE px_", 10))
		return true;
	if (strncmp(q, "px_", 3))
		return false;
	while ((*q >= 'a' && *q <= 'z') || *q == '_' || (*q >= '0' && *q <= '9'))
		q++;
	if (*q++ != '{')
		return false;
	while (*q && *q != '}') {
		if (*q == '"') /* a quoted value, escapes skipped */
			for (q++; *q && *q != '"'; q++)
				if (*q == '\\' && q[1])
					q++;
		if (*q)
			q++;
	}
	if (*q++ != '}' || *q++ != ' ')
		return false;
	return strspn(q, "0123456789.e+-") == strlen(q) && *q;
}

START_TEST(test_pipeline_metrics_text)
{
	struct px_element *src, *sink;
	char *buf = NULL, *save = NULL, *types[64];
	unsigned n_types = 0, lines = 0;
	size_t len = 0;
	FILE *f;

	register_test_classes();
	/* A name that needs escaping in a label value. */
	ck_assert_int_eq(px_pipeline_create("a\"b\\c", &P), 0);
	src = add("tsrc", "src");
	sink = add("tsink", "sink");
	ck_assert_int_eq(px_element_set(src, "num-buffers", "1000"), 0);
	link_ok(src, sink);
	ck_assert_int_eq(px_pipeline_set_latency(P, PX_LATENCY_SINKS, 1), 0);
	play_to_eos();
	f = open_memstream(&buf, &len);
	ck_assert_int_eq(px_pipeline_write_metrics(P, f), 0);
	fclose(f);
	ck_assert_ptr_nonnull(strstr(buf,
		"px_pad_buffers_total{pipeline=\"a\\\"b\\\\c\",element=\"sink\","
		"pad=\"sink\",direction=\"sink\"} 1000\n"));
	ck_assert_ptr_nonnull(strstr(buf,
		"px_pad_events_total{pipeline=\"a\\\"b\\\\c\",element=\"sink\","
		"pad=\"sink\",direction=\"sink\"} 2\n"));
	ck_assert_ptr_nonnull(strstr(buf,
		"px_latency_seconds_count{pipeline=\"a\\\"b\\\\c\","
		"element=\"sink\",pad=\"sink\"} 1000\n"));
	ck_assert_ptr_nonnull(strstr(buf,
		"px_latency_seconds_bucket{pipeline=\"a\\\"b\\\\c\","
		"element=\"sink\",pad=\"sink\",le=\"+Inf\"} 1000\n"));
	ck_assert_ptr_nonnull(strstr(buf, "px_pool_loans_total{pipeline="));
	ck_assert_ptr_nonnull(strstr(buf, "px_reactor_loop_turns_total{"));
	for (char *l = strtok_r(buf, "\n", &save); l;
	     l = strtok_r(NULL, "\n", &save), lines++) {
		ck_assert_msg(exposition_line(l), "bad line: %s", l);
		if (strncmp(l, "# TYPE ", 7))
			continue;
		for (unsigned i = 0; i < n_types; i++)
			ck_assert_msg(strcmp(types[i], l), "twice: %s", l);
		ck_assert_uint_lt(n_types, 64);
		types[n_types++] = l;
	}
	ck_assert_uint_gt(lines, 50);
	free(buf);
	stop_clean();
	teardown();
}
END_TEST

/* A new P with tsrc num-buffers=NUM ! tsink run to EOS and stopped: the
 * WARNINGs it posted, each of which must hold NEEDLE (NULL: none may
 * come). */
static unsigned run_warnings(const char *num, const char *needle)
{
	struct px_element *src, *sink;
	struct px_message m;
	unsigned warnings = 0;

	setup();
	src = add("tsrc", NULL);
	sink = add("tsink", NULL);
	ck_assert_int_eq(px_element_set(src, "num-buffers", num), 0);
	link_ok(src, sink);
	play_to_eos();
	stop_clean();
	while (px_bus_pop(px_pipeline_bus(P), 0, &m) == 0) {
		if (m.type != PX_MSG_WARNING)
			continue;
		ck_assert_msg(needle && strstr(m.text, needle), "%s", m.text);
		warnings++;
	}
	return warnings;
}

/* The DOT file in DIR whose name ends in SUFFIX, read whole (or NULL). */
static char *dot_file(const char *dir, const char *suffix)
{
	char cmd[1024], path[512];
	FILE *f;
	char *text = NULL;
	size_t len = 0;

	snprintf(cmd, sizeof(cmd), "ls %s | grep -e '%s$'", dir, suffix);
	f = popen(cmd, "r");
	ck_assert_ptr_nonnull(f);
	if (!fgets(path, sizeof(path), f)) {
		pclose(f);
		return NULL;
	}
	pclose(f);
	path[strcspn(path, "\n")] = '\0';
	snprintf(cmd, sizeof(cmd), "%s/%s", dir, path);
	f = fopen(cmd, "r");
	ck_assert_ptr_nonnull(f);
	ck_assert_int_ge(getdelim(&text, &len, '\0', f), 1);
	fclose(f);
	return text;
}

/* PX_DUMP_DOT_DIR: a graph per state change and one on error, edges with
 * levels and rates once running; an unwritable folder is one WARNING. */
START_TEST(test_pipeline_dot_dump)
{
	static const char *const tags[] = {
		"-dotty.NULL_READY.dot", "-dotty.READY_PAUSED.dot",
		"-dotty.PAUSED_PLAYING.dot", "-dotty.PLAYING_PAUSED.dot",
		"-dotty.PAUSED_READY.dot", "-dotty.READY_NULL.dot",
		"-dotty.error.dot" };
	struct px_element *src, *fail, *sink;
	struct px_message m;
	char dir[256];
	char *text;

	register_test_classes();
	snprintf(dir, sizeof(dir), "%s/dots", px_test_tmpdir());
	ck_assert_int_eq(mkdir(dir, 0700), 0);
	setenv("PX_DUMP_DOT_DIR", dir, 1);
	ck_assert_int_eq(px_pipeline_create("dotty", &P), 0);
	breaker_setup(&src, &fail, &sink);
	ck_assert_int_eq(px_pipeline_wait(P, WAIT_NS, &m), -EPROTO);
	stop_clean();
	for (unsigned i = 0; i < sizeof(tags) / sizeof(tags[0]); i++) {
		text = dot_file(dir, tags[i]);
		ck_assert_msg(text, "no %s in %s", tags[i], dir);
		ck_assert_ptr_nonnull(strstr(text, "digraph"));
		ck_assert_ptr_nonnull(strstr(text, "\"breaker\""));
		free(text);
	}
	text = dot_file(dir, "-dotty.error.dot");
	ck_assert_ptr_nonnull(strstr(text, " buffers, "));
	ck_assert_ptr_nonnull(strstr(text, "level "));
	free(text);
	teardown();

	/* A folder that is not there: said once, the run goes on. */
	setenv("PX_DUMP_DOT_DIR", "/nonexistent-px-dots", 1);
	ck_assert_uint_eq(run_warnings("10", "PX_DUMP_DOT_DIR: cannot write "
					     "/nonexistent-px-dots/"),
			  1);
	teardown();
	unsetenv("PX_DUMP_DOT_DIR");
}
END_TEST

/* The next WARNING on the bus (any other message is skipped), within
 * WAIT_NS; false if none came. */
static bool next_warning(struct px_message *m)
{
	while (px_bus_pop(px_pipeline_bus(P), WAIT_NS, m) == 0)
		if (m->type == PX_MSG_WARNING)
			return true;
	return false;
}

/* A new P with tsrc num-buffers=NUM ! tpass name=NAME PROP=VAL ! tsink;
 * returns the tpass. */
static struct px_element *chain3(const char *name, const char *num,
				 const char *prop, const char *val)
{
	struct px_element *src, *x, *sink;

	setup();
	src = add("tsrc", NULL);
	x = add("tpass", name);
	sink = add("tsink", NULL);
	ck_assert_int_eq(px_element_set(src, "num-buffers", num), 0);
	ck_assert_int_eq(px_element_set(x, prop, val), 0);
	link_ok(src, x);
	link_ok(x, sink);
	return x;
}

/* The stall detector names an element stuck in work() and a link whose
 * consumer stopped taking; and a healthy run says nothing. */
START_TEST(test_pipeline_stall)
{
	struct px_message m;

	setenv("PX_STALL_MS", "100", 1);
	/* work() blocking for 1 s, ten times the threshold */
	(void)chain3("sleeper", "100", "block-ms", "1000");
	play_to_eos();
	ck_assert(next_warning(&m));
	ck_assert_str_eq(m.source, "sleeper");
	ck_assert_msg(strstr(m.text, "sleeper: one work() call has run for "
				     "over 100 ms on reactor 0"),
		      "%s", m.text);
	ck_assert_int_eq(m.code, -ETIME);
	stop_clean();
	teardown();

	/* a consumer that stops taking: its waiting input is named */
	(void)chain3("holder", "-1", "hold-after", "20");
	ck_assert_int_eq(px_pipeline_play(P), 0);
	ck_assert(next_warning(&m));
	ck_assert_str_eq(m.source, "holder");
	ck_assert_msg(strstr(m.text, "link tsrc0:src -> holder:sink has held "
				     "items for over 100 ms while holder took "
				     "none"),
		      "%s", m.text);
	stop_clean();
	teardown();

	/* healthy, at the default threshold (100 ms is within reach of a
	 * reactor descheduled on a loaded 2-CPU machine under a sanitizer):
	 * 100,000 buffers and not one warning */
	unsetenv("PX_STALL_MS");
	ck_assert_uint_eq(run_warnings("100000", NULL), 0);
	teardown();
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("pipeline");
	TCase *tc;

	tc = px_tcase(s, "link_rules");
	tcase_add_test(tc, test_pipeline_link_rules);
	tc = px_tcase(s, "caps_events");
	tcase_add_test(tc, test_pipeline_caps_events);
	tc = px_tcase(s, "caps_conflict");
	tcase_add_test(tc, test_pipeline_caps_conflict);
	tc = px_tcase(s, "caps_passthrough");
	tcase_add_test(tc, test_pipeline_caps_passthrough);
	tc = px_tcase(s, "validate");
	tcase_add_test(tc, test_pipeline_validate);
	tc = px_tcase(s, "eos");
	tcase_add_test(tc, test_pipeline_eos);
	tc = px_tcase(s, "two_reactors");
	tcase_add_test(tc, test_pipeline_two_reactors);
	tc = px_tcase(s, "backpressure");
	tcase_add_test(tc, test_pipeline_backpressure);
	tc = px_tcase(s, "play_again");
	tcase_add_test(tc, test_pipeline_play_again);
	tc = px_tcase(s, "error");
	tcase_add_test(tc, test_pipeline_error);
	tc = px_tcase(s, "push_after_eos");
	tcase_add_test(tc, test_pipeline_push_after_eos);
	tc = px_tcase(s, "send_eos");
	tcase_add_test(tc, test_pipeline_send_eos);
	tc = px_tcase(s, "stress_cross");
	tcase_add_test(tc, stress_pipeline_cross);
	tc = px_tcase(s, "export");
	tcase_add_test(tc, test_pipeline_export);
	tc = px_tcase(s, "latency_buckets");
	tcase_add_test(tc, test_pipeline_latency_buckets);
	tc = px_tcase(s, "latency");
	tcase_add_test(tc, test_pipeline_latency);
	tc = px_tcase(s, "metrics_text");
	tcase_add_test(tc, test_pipeline_metrics_text);
	tc = px_tcase(s, "dot_dump");
	tcase_add_test(tc, test_pipeline_dot_dump);
	tc = px_tcase(s, "stall");
	tcase_add_test(tc, test_pipeline_stall);
	tc = px_tcase(s, "replace");
	tcase_add_test(tc, test_pipeline_replace);
	tc = px_tcase(s, "replace_refused");
	tcase_add_test(tc, test_pipeline_replace_refused);
	tc = px_tcase(s, "replace_timeout");
	tcase_add_test(tc, test_pipeline_replace_timeout);
	tc = px_tcase(s, "stress_replace");
	tcase_set_timeout(tc, 390); /* ThreadSanitizer: 1 min alone */
	tcase_add_test(tc, stress_pipeline_replace);
	return s;
}

PX_TEST_MAIN(make_suite)
