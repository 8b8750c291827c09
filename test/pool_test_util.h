/* SPDX-License-Identifier: MIT */
/*
 * pool_test_util.h - what test_pool.c and test_pool_cache.c share: making
 * a pool, the all-free check that ends every test, a notify recorder.
 */
#ifndef POOL_TEST_UTIL_H
#define POOL_TEST_UTIL_H

#include "px_pool.h"
#include "px_test.h"

/* Every slot free, every count zero, books balanced: the end of each test. */
static inline void assert_all_free(struct px_pool *pool)
{
	struct px_pool_stats st;

	ck_assert_uint_eq(px_pool_available(pool), px_pool_slot_count(pool));
	for (uint32_t s = 0; s < px_pool_slot_count(pool); s++)
		ck_assert_uint_eq(px_pool_slot_refcount(pool, s), 0);
	px_pool_stats(pool, &st);
	ck_assert_uint_eq(st.in_use, 0);
	ck_assert_uint_eq(st.loans, st.releases);
	ck_assert_uint_eq(st.bad_releases, 0);
}

/* A pool of @slots x @slot_size on a @kind segment with PX_POOL_* @flags. */
static inline struct px_pool *new_pool_flags(enum px_segment_kind kind,
					     uint32_t slot_size,
					     uint32_t slots, uint32_t flags)
{
	struct px_pool_config cfg = {
		.slot_size = slot_size, .slots = slots, .name = "px-test-pool",
		.flags = flags,
		.segment = { .kind = kind, .numa_node = -1 },
	};
	struct px_pool *pool = NULL;

	ck_assert_int_eq(px_pool_create(&cfg, &pool), 0);
	ck_assert_ptr_nonnull(pool);
	return pool;
}

static inline struct px_pool *new_pool(enum px_segment_kind kind,
				       uint32_t slot_size, uint32_t slots)
{
	return new_pool_flags(kind, slot_size, slots, 0);
}

/* A px_pool_notify_fn that counts its calls. */
struct notify_rec {
	int calls;
	struct px_pool *pool;
};

static inline void on_release(struct px_pool *pool, void *arg)
{
	struct notify_rec *r = arg;

	r->calls++;
	r->pool = pool;
}

#endif /* POOL_TEST_UTIL_H */
