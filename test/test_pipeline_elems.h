/* SPDX-License-Identifier: MIT */
/*
 * test_pipeline_elems.h - small element classes for the engine's pipeline
 * tests (test/test_pipeline.c only): a counting source, a pass-through, a
 * counting sink, a slow sink that sleeps through px_io_timeout, a thread
 * boundary, a tee and a funnel-shaped merger; tpass fail-after=N fails.
 */
#ifndef TEST_PIPELINE_ELEMS_H
#define TEST_PIPELINE_ELEMS_H

#include <errno.h>
#include <string.h>
#include <time.h>

#include "px_pipeline.h"
#include "px_pool.h"
#include "px_reactor.h"
#include "px_registry.h"

#define T_BATCH 64

/* ---- tsrc: counting source -------------------------------------------------- */

struct tsrc {
	int64_t num;	/* -1: until EOS is requested */
	uint64_t size;
	int64_t slots;
	struct px_pool *pool;
	uint64_t sent;
	bool eos_done;
	bool burst_after_eos; /* then push a burst: what does the pad say? */
	int after_flow;	      /* enum px_flow of that burst */
	unsigned after_taken;
	int64_t caps_at;      /* before this buffer, px_pad_push_caps(caps_to) */
	char *caps_to;
};

static const struct px_prop_spec tsrc_props[] = {
	PX_PROP_INT_SPEC("num-buffers", struct tsrc, num, 100, -1, INT64_MAX,
			 "buffers to send"),
	PX_PROP_SIZE_SPEC("size", struct tsrc, size, 64, 1, 1 << 20, "bytes"),
	PX_PROP_INT_SPEC("slots", struct tsrc, slots, 8, 1, 4096, "pool"),
	PX_PROP_BOOL_SPEC("burst-after-eos", struct tsrc, burst_after_eos,
			  false, "after EOS, push two more buffers at once"),
	PX_PROP_INT_SPEC("caps-at", struct tsrc, caps_at, -1, -1, INT64_MAX,
			 "change caps to caps-to before this buffer"),
	PX_PROP_STRING_SPEC("caps-to", struct tsrc, caps_to, NULL,
			    "caps from buffer caps-at on"),
};

/* Before buffer caps-at: the caps of what follows become caps-to. */
static bool tsrc_change_caps(struct tsrc *s, struct px_pad *src)
{
	struct px_caps *c = NULL;
	int err;

	if (s->caps_at < 0 || s->sent != (uint64_t)s->caps_at || !s->caps_to)
		return true;
	if (px_caps_parse(s->caps_to, &c, NULL))
		return false;
	err = px_pad_push_caps(src, c);
	px_caps_unref(c);
	return err == 0;
}

static int tsrc_start(struct px_element *e)
{
	struct tsrc *s = px_element_priv(e);

	s->sent = 0;
	s->eos_done = false;
	return px_element_pool_create(e, (uint32_t)s->size,
				      (uint32_t)s->slots, &s->pool);
}

static void px__test_release_items(struct px_item *items, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		px_item_release(&items[i]);
}

static void tsrc_burst_after_eos(struct px_element *e, struct tsrc *s,
				 struct px_pad *src)
{
	struct px_item items[2];
	struct px_buf b;

	(void)e;
	s->after_flow = 100; /* not a flow: no buffers to try with */
	for (unsigned i = 0; i < 2; i++) {
		if (px_buf_alloc(s->pool, (uint32_t)s->size, &b)) {
			px__test_release_items(items, i);
			return;
		}
		px_item_from_buf(&items[i], &b);
	}
	s->after_taken = 99;
	s->after_flow = px_pad_push_burst(src, items, 2, &s->after_taken);
}

static void tsrc_work(struct px_element *e)
{
	struct tsrc *s = px_element_priv(e);
	struct px_pad *src = px_element_pad(e, "src");

	if (s->eos_done)
		return;
	for (int i = 0; i < T_BATCH; i++) {
		struct px_item it;
		struct px_buf b;

		if ((s->num >= 0 && s->sent >= (uint64_t)s->num) ||
		    px_element_eos_requested(e)) {
			if (px_element_push_eos(e) == PX_FLOW_OK)
				s->eos_done = true;
			if (s->eos_done && s->burst_after_eos)
				tsrc_burst_after_eos(e, s, src);
			return;
		}
		if (!px_pad_room(src))
			return;
		if (!tsrc_change_caps(s, src)) {
			s->eos_done = true; /* the error was posted */
			return;
		}
		if (px_element_buf_alloc(e, s->pool, (uint32_t)s->size, &b))
			return; /* -ENOBUFS: woken when a slot returns */
		memset(px_buf_data(&b), (int)(s->sent & 0xff), 8);
		b.seq = s->sent++;
		px_item_from_buf(&it, &b);
		if (px_pad_push(src, &it) != PX_FLOW_OK)
			return;
	}
	px_element_schedule(e);
}

static int tsrc_stop(struct px_element *e)
{
	return 0;
}

static const struct px_pad_template tsrc_pads[] = {
	{ "src", PX_PAD_SRC, PX_PAD_ALWAYS, "ANY" },
};
static const struct px_pad_template tsrc_a_pads[] = {
	{ "src", PX_PAD_SRC, PX_PAD_ALWAYS, "application/x-a" },
};

static const struct px_element_class tsrc_class = {
	.name = "tsrc", .description = "counting source",
	.priv_size = sizeof(struct tsrc),
	.pads = tsrc_pads, .n_pads = 1,
	.props = tsrc_props, .n_props = PX_ARRAY_SIZE(tsrc_props),
	.start = tsrc_start, .work = tsrc_work, .stop = tsrc_stop,
};

static const struct px_element_class tsrc_a_class = {
	.name = "tsrc-a", .description = "counting source of x-a",
	.priv_size = sizeof(struct tsrc),
	.pads = tsrc_a_pads, .n_pads = 1,
	.props = tsrc_props, .n_props = PX_ARRAY_SIZE(tsrc_props),
	.start = tsrc_start, .work = tsrc_work,
};

/* ---- tpass / tqueue / tfail: one in, one out ------------------------------------ */

struct tpass {
	int64_t reactor;    /* tqueue */
	int64_t fail_after; /* tfail: -1 never */
	int64_t block_ms;   /* the first work() call blocks this long */
	int64_t hold_after; /* take nothing after this many buffers */
	uint64_t seen, passed;
	bool blocked;
};

static const struct px_prop_spec tpass_props[] = {
	PX_PROP_INT_SPEC("reactor", struct tpass, reactor, -1, -1, 63,
			 "downstream reactor"),
	PX_PROP_INT_SPEC("fail-after", struct tpass, fail_after, -1, -1,
			 INT64_MAX, "post an error after this many"),
	PX_PROP_INT_SPEC("block-ms", struct tpass, block_ms, 0, 0, 60000,
			 "block the first work() call this long (a stall)"),
	PX_PROP_INT_SPEC("hold-after", struct tpass, hold_after, -1, -1,
			 INT64_MAX, "take nothing more after this many items"),
};

static void tpass_work(struct px_element *e)
{
	struct tpass *t = px_element_priv(e);
	struct px_pad *src = px_element_pad(e, "src");
	struct px_pad *sink = px_element_pad(e, "sink");
	struct px_item items[T_BATCH];
	unsigned room = px_pad_room(src), n, done;

	if (t->block_ms && !t->blocked) {
		struct timespec ts = { t->block_ms / 1000,
				       (t->block_ms % 1000) * 1000000 };

		t->blocked = true; /* the stall under test, not a wait */
		nanosleep(&ts, NULL);
	}
	if (t->hold_after >= 0 && t->passed >= (uint64_t)t->hold_after)
		return; /* holds: its input fills up */
	if (t->hold_after >= 0 &&
	    room > (uint64_t)t->hold_after - t->passed)
		room = (unsigned)((uint64_t)t->hold_after - t->passed);
	if (!room)
		return;
	n = px_pad_pull(sink, items, room < T_BATCH ? room : T_BATCH);
	for (unsigned i = 0; i < n; i++) {
		if (items[i].type == PX_ITEM_BUFFER && t->fail_after >= 0 &&
		    t->seen++ >= (uint64_t)t->fail_after) {
			for (unsigned j = i; j < n; j++)
				px_item_release(&items[j]);
			n = i;
			px_element_error(e, -EPROTO,
					 "%s: failing as asked after %lld "
					 "buffers",
					 px_element_name(e),
					 (long long)t->fail_after);
			break;
		}
	}
	t->passed += n;
	/* BUSY cannot happen (room was checked); other flows released them. */
	if (px_pad_push_burst(src, items, n, &done) == PX_FLOW_BUSY)
		for (unsigned i = done; i < n; i++)
			px_item_release(&items[i]);
}

static const struct px_pad_template pass_pads[] = {
	{ "sink", PX_PAD_SINK, PX_PAD_ALWAYS, "ANY" },
	{ "src", PX_PAD_SRC, PX_PAD_ALWAYS, "ANY" },
};

static const struct px_element_class tpass_class = {
	.name = "tpass", .description = "pass-through",
	.priv_size = sizeof(struct tpass),
	.pads = pass_pads, .n_pads = 2,
	.props = tpass_props + 1, .n_props = 3,
	.work = tpass_work,
};

static const struct px_element_class tqueue_class = {
	.name = "tqueue", .description = "thread boundary",
	.flags = PX_ELEMENT_THREAD_BOUNDARY,
	.priv_size = sizeof(struct tpass),
	.pads = pass_pads, .n_pads = 2,
	.props = tpass_props, .n_props = 4,
	.work = tpass_work,
};

/* ---- tsink: counting sink --------------------------------------------------------- */

struct tsink {
	uint64_t count, bytes, out_of_order, next_seq;
	uint64_t caps;		/* CAPS events */
	/* the first CAPS events: buffers before each, and their caps */
	uint64_t caps_pos[4];
	char caps_text[4][128];
	bool eos;
};

static void tsink_work(struct px_element *e)
{
	struct tsink *k = px_element_priv(e);
	struct px_pad *sink = px_element_pad(e, "sink");
	struct px_item items[T_BATCH];
	unsigned n = px_pad_pull(sink, items, T_BATCH);

	for (unsigned i = 0; i < n; i++) {
		if (items[i].type == PX_ITEM_BUFFER) {
			k->count++;
			k->bytes += items[i].buf.length;
			if (items[i].buf.seq != k->next_seq)
				k->out_of_order++;
			k->next_seq = items[i].buf.seq + 1;
		} else if (px_item_is_eos(&items[i])) {
			k->eos = true;
			px_element_eos_reached(e);
		} else if (px_event_caps(e, &items[i])) {
			if (k->caps < 4) {
				k->caps_pos[k->caps] = k->count;
				px_caps_to_string(px_event_caps(e, &items[i]),
						  k->caps_text[k->caps], 128);
			}
			k->caps++;
		}
		px_item_release(&items[i]);
	}
}

static int tsink_start(struct px_element *e)
{
	memset(px_element_priv(e), 0, sizeof(struct tsink));
	return 0;
}

static const struct px_pad_template tsink_pads[] = {
	{ "sink", PX_PAD_SINK, PX_PAD_ALWAYS, "ANY" },
};
static const struct px_pad_template tsink_b_pads[] = {
	{ "sink", PX_PAD_SINK, PX_PAD_ALWAYS, "application/x-b" },
};

static const struct px_element_class tsink_class = {
	.name = "tsink", .description = "counting sink",
	.priv_size = sizeof(struct tsink),
	.pads = tsink_pads, .n_pads = 1,
	.start = tsink_start, .work = tsink_work,
};

static const struct px_element_class tsink_b_class = {
	.name = "tsink-b", .description = "counting sink of x-b",
	.priv_size = sizeof(struct tsink),
	.pads = tsink_b_pads, .n_pads = 1,
	.start = tsink_start, .work = tsink_work,
};

/* ---- tslow: one buffer per timer tick ------------------------------------------ */

struct tslow {
	int64_t delay;
	struct px_op op;
	bool stopping;
	uint64_t count; /* buffers */
	uint64_t caps;	/* CAPS events */
};

static const struct px_prop_spec tslow_props[] = {
	PX_PROP_DURATION_SPEC("delay", struct tslow, delay, 20000, 0,
			      1000000000, "sleep per buffer"),
};

struct tslow_priv {
	struct tslow s; /* first: the property offsets are tslow's */
	struct px_element *self;
};

static void tslow_tick(struct px_op *op, int res, uint32_t flags)
{
	struct tslow_priv *p = px_container_of(op, struct tslow_priv, s.op);

	(void)res;
	(void)flags;
	if (p->s.stopping)
		px_element_stop_done(p->self);
	else
		px_element_schedule(p->self);
}

static int tslow_start(struct px_element *e)
{
	struct tslow_priv *p = px_element_priv(e);

	p->self = e;
	p->s.stopping = false;
	p->s.count = 0;
	p->s.caps = 0;
	px_op_init(&p->s.op);
	return 0;
}

static void tslow_work(struct px_element *e)
{
	struct tslow_priv *p = px_element_priv(e);
	struct px_item it;

	if (px_op_busy(&p->s.op))
		return;
	if (!px_pad_pull(px_element_pad(e, "sink"), &it, 1))
		return;
	if (px_item_is_eos(&it)) {
		px_element_eos_reached(e);
		return;
	}
	if (it.type == PX_ITEM_BUFFER)
		p->s.count++;
	else if (px_event_caps(e, &it))
		p->s.caps++;
	px_item_release(&it);
	if (px_io_timeout(px_element_reactor(e), &p->s.op,
			  (uint64_t)p->s.delay, tslow_tick))
		px_element_schedule(e);
}

static int tslow_stop(struct px_element *e)
{
	struct tslow_priv *p = px_element_priv(e);

	if (!px_op_busy(&p->s.op))
		return 0;
	p->s.stopping = true;
	px_io_cancel(px_element_reactor(e), &p->s.op);
	return 1;
}

static const struct px_element_class tslow_class = {
	.name = "tslow", .description = "slow sink",
	.priv_size = sizeof(struct tslow_priv),
	.pads = tsink_pads, .n_pads = 1,
	.props = tslow_props, .n_props = 1,
	.start = tslow_start, .work = tslow_work, .stop = tslow_stop,
};

/* ---- ttee: request src pads ----------------------------------------------------- */

static void ttee_work(struct px_element *e)
{
	unsigned n_out = px_element_pad_count(e, PX_PAD_SRC), room = T_BATCH;
	struct px_item items[T_BATCH];
	unsigned n;

	for (unsigned i = 0; i < n_out; i++) {
		unsigned r = px_pad_room(px_element_pad_at(e, PX_PAD_SRC, i));
		room = r < room ? r : room;
	}
	if (!room || !n_out)
		return;
	n = px_pad_pull(px_element_pad(e, "sink"), items, room);
	for (unsigned k = 0; k < n; k++) {
		for (unsigned i = 0; i < n_out; i++) {
			struct px_item copy = items[k];

			if (i + 1 < n_out && copy.type == PX_ITEM_BUFFER)
				px_buf_ref(&copy.buf);
			px_pad_push(px_element_pad_at(e, PX_PAD_SRC, i), &copy);
		}
	}
}

static const struct px_pad_template ttee_pads[] = {
	{ "sink", PX_PAD_SINK, PX_PAD_ALWAYS, "ANY" },
	{ "src_%u", PX_PAD_SRC, PX_PAD_REQUEST, "ANY" },
};

static const struct px_element_class ttee_class = {
	.name = "ttee", .description = "tee",
	.pads = ttee_pads, .n_pads = 2,
	.work = ttee_work,
};

static const struct px_pad_template tmerge_pads[] = {
	{ "sink_%u", PX_PAD_SINK, PX_PAD_REQUEST, "ANY" },
	{ "src", PX_PAD_SRC, PX_PAD_ALWAYS, "ANY" },
};

static const struct px_element_class tmerge_class = {
	.name = "tmerge", .description = "merger (graph tests only)",
	.pads = tmerge_pads, .n_pads = 2,
	.work = tsink_work,
};

static const struct px_element_class *const test_classes[] = {
	&tsrc_class, &tsrc_a_class, &tpass_class, &tqueue_class,
	&tsink_class, &tsink_b_class, &tslow_class, &ttee_class,
	&tmerge_class,
};

static void register_test_classes(void)
{
	for (size_t i = 0; i < PX_ARRAY_SIZE(test_classes); i++) {
		int err = px_registry_add(test_classes[i]);

		if (err && err != -EEXIST)
			ck_abort_msg("registering %s: %d", test_classes[i]->name,
				     err);
	}
}

#endif /* TEST_PIPELINE_ELEMS_H */
