/* SPDX-License-Identifier: MIT */
/*
 * elements_test_util.h - helpers shared by the built-in elements' check
 * programs (test_elements.c, test_elements_flow.c): a "testsink" class that
 * checks seq order, and launching, running and tearing down pipelines.
 */
#ifndef ELEMENTS_TEST_UTIL_H
#define ELEMENTS_TEST_UTIL_H

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "builtin_int.h"
#include "px_buf.h"
#include "px_pipeline.h"
#include "px_pool.h"
#include "px_probe.h"
#include "px_registry.h"
#include "px_test.h"

#define WAIT_NS (30ll * 1000000000ll)

/* ---- a checking sink, registered by the tests ----------------------------- */

enum { CHECK_NONE = 0, CHECK_INCREASING = 1, CHECK_CONSECUTIVE = 2 };

struct testsink {
	int check;
	struct px_pad *sink;
	uint64_t buffers, bytes;
	uint64_t next_seq; /* expected (CONSECUTIVE) or minimum (INCREASING) */
	uint64_t first_seq, last_seq;
	int64_t last_pts;
	uint64_t order_errors;
	uint64_t events; /* non-EOS events seen */
	uint16_t pool;
	bool eos;
	uint64_t after_eos;
};

static const struct px_prop_enum check_enums[] = {
	{ "none", CHECK_NONE, "accept any order" },
	{ "increasing", CHECK_INCREASING, "seq must grow (gaps allowed)" },
	{ "consecutive", CHECK_CONSECUTIVE, "seq must be 0, 1, 2, ..." },
	{ NULL, 0, NULL },
};

static const struct px_prop_spec testsink_props[] = {
	PX_PROP_ENUM_SPEC("check", struct testsink, check, CHECK_CONSECUTIVE,
			  check_enums, "what to check about seq numbers"),
};

static const struct px_pad_template testsink_pads[] = {
	{ "sink", PX_PAD_SINK, PX_PAD_ALWAYS, "ANY" },
};

static inline int testsink_start(struct px_element *e)
{
	struct testsink *s = px_element_priv(e);
	int check = s->check;

	memset(s, 0, sizeof(*s));
	s->check = check;
	s->sink = px_element_pad(e, "sink");
	s->last_pts = PX_TIME_NONE;
	return 0;
}

static inline void testsink_work(struct px_element *e)
{
	struct testsink *s = px_element_priv(e);
	struct px_item items[64];
	unsigned n = px_pad_pull(s->sink, items, 64);

	for (unsigned i = 0; i < n; i++) {
		struct px_item *it = &items[i];

		if (s->eos) {
			s->after_eos++;
		} else if (it->type == PX_ITEM_BUFFER) {
			uint64_t seq = it->buf.seq;

			if (!s->buffers) {
				s->first_seq = seq;
				s->pool = it->buf.pool;
			}
			if ((s->check == CHECK_CONSECUTIVE && seq != s->next_seq) ||
			    (s->check == CHECK_INCREASING && s->buffers &&
			     seq < s->next_seq))
				s->order_errors++;
			s->next_seq = seq + 1;
			s->last_seq = seq;
			s->last_pts = it->buf.pts;
			s->buffers++;
			s->bytes += it->buf.length;
		} else if (px_item_is_eos(it)) {
			s->eos = true;
			px_element_eos_reached(e);
		} else {
			s->events++;
		}
		px_item_release(it);
	}
	if (n == 64)
		px_element_schedule(e);
}

static const struct px_element_class testsink_class = {
	.name = "testsink",
	.description = "Checks seq order and counts (test only)",
	.priv_size = sizeof(struct testsink),
	.pads = testsink_pads,
	.n_pads = 1,
	.props = testsink_props,
	.n_props = 1,
	.start = testsink_start,
	.work = testsink_work,
};

/* The same sink with a narrower template, for caps negotiation tests. */
static const struct px_pad_template othersink_pads[] = {
	{ "sink", PX_PAD_SINK, PX_PAD_ALWAYS, "application/x-other" },
};

static const struct px_element_class othersink_class = {
	.name = "othersink",
	.description = "testsink accepting application/x-other only (test only)",
	.priv_size = sizeof(struct testsink),
	.pads = othersink_pads,
	.n_pads = 1,
	.props = testsink_props,
	.n_props = 1,
	.start = testsink_start,
	.work = testsink_work,
};

static inline void need_engine(void)
{
	int rc;

	/* The registry refers to the built-in table weakly: a static link
	 * needs this reference to bring elements/builtin.o in. */
	ck_assert_ptr_nonnull(px__builtin_classes[0]);
	rc = px_registry_add(&testsink_class);
	ck_assert_msg(rc == 0 || rc == -EEXIST, "registry: %d", rc);
	rc = px_registry_add(&othersink_class);
	ck_assert_msg(rc == 0 || rc == -EEXIST, "registry: %d", rc);
}

#define REQUIRE_ENGINE() need_engine()

/* ---- helpers ------------------------------------------------------------- */

static inline struct px_pipeline *parse(const char *launch)
{
	struct px_pipeline *p = NULL;
	struct px_parse_error err = { 0 };
	int rc = px_pipeline_parse(launch, &p, &err);

	ck_assert_msg(rc == 0, "parse '%s': %d %s", launch, rc, err.message);
	return p;
}

/* Play P, wait for EOS or an error; returns px_pipeline_wait's result. */
static inline int run(struct px_pipeline *p, struct px_message *msg)
{
	struct px_message m;
	int rc = px_pipeline_play(p);

	ck_assert_msg(rc == 0, "play: %d %s", rc, px_pipeline_error(p));
	rc = px_pipeline_wait(p, WAIT_NS, msg ? msg : &m);
	ck_assert_msg(rc != -ETIMEDOUT, "pipeline did not finish");
	return rc;
}

static inline void run_ok(struct px_pipeline *p)
{
	struct px_message m = { 0 };
	int rc = run(p, &m);

	ck_assert_msg(rc == 0, "wait: %d (%s: %s)", rc, m.source, m.text);
}

static inline struct px_element *find(struct px_pipeline *p, const char *name)
{
	struct px_element *e = px_pipeline_find(p, name);

	ck_assert_msg(e != NULL, "no element %s", name);
	return e;
}

static inline uint64_t prop_u64(struct px_element *e, const char *prop)
{
	char buf[64];
	int rc = px_element_get(e, prop, buf, sizeof(buf));

	ck_assert_msg(rc > 0, "get %s: %d", prop, rc);
	return strtoull(buf, NULL, 0);
}

static inline struct testsink *tsink(struct px_pipeline *p, const char *name)
{
	return px_element_priv(find(p, name));
}

/* Every pool still alive has every slot back, and nothing was copied. */
static inline void assert_pools_quiet(void)
{
	for (unsigned id = 1; id < 4096; id++) {
		struct px_pool *pool = px_pool_from_id((uint16_t)id);
		struct px_pool_stats st;

		if (!pool)
			continue;
		px_pool_stats(pool, &st);
		ck_assert_msg(st.in_use == 0, "pool %s: %u slots in use",
			      px_pool_name(pool), st.in_use);
		ck_assert_uint_eq(px_pool_available(pool),
				  px_pool_slot_count(pool));
		ck_assert_uint_eq(st.bytes_copied, 0);
		ck_assert_uint_eq(st.bad_releases, 0);
	}
}

static inline void finish(struct px_pipeline *p)
{
	assert_pools_quiet();
	ck_assert_int_eq(px_pipeline_stop(p), 0);
	assert_pools_quiet();
	px_pipeline_destroy(p);
}

#endif /* ELEMENTS_TEST_UTIL_H */
