// SPDX-License-Identifier: MIT
/*
 * test_pool_cache.c - px_pool under threads and per-thread caches: the
 * two-thread stresses (cross-thread releases, with and without caches, in
 * each high-water mode), cached loans and releases (refill, overflow,
 * flush, shared slots, bursts, stats), and exhaustion with slots parked in
 * a cache.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

#include "pool_test_util.h"
#include "px_pool_int.h"

/* Two threads: each loans, stamps, checks and releases its own slots, and
 * hands every other slot to its peer to release (a cross-thread release). */
#define STRESS_ITERS 200000
#define HANDOFF 64

struct stress {
	struct px_pool *pool;
	bool cached; /* each thread loans and releases through its own cache */
	_Atomic uint32_t box[2][HANDOFF]; /* slot + 1, 0 = empty */
	_Atomic int done;
	uint64_t loaned[2], released[2], retries[2], errors[2];
};

struct stress_arg {
	struct stress *st;
	int me;
};

static void stress_put(struct px_pool *pool, struct px_pool_cache *c,
		       uint32_t s)
{
	if (c)
		px_pool_release_cached(c, s);
	else
		px_pool_release(pool, s);
}

static void *stress_thread(void *arg)
{
	struct stress *st = ((struct stress_arg *)arg)->st;
	int me = ((struct stress_arg *)arg)->me;
	int peer = !me;
	uint32_t put = 0, take = 0;
	struct px_pool_cache *c = NULL;

	if (st->cached) {
		c = malloc(sizeof(*c));
		if (!c || px_pool_cache_init(st->pool, c, 16) != 0) {
			st->errors[me]++;
			free(c);
			c = NULL;
		}
	}

	for (uint32_t i = 0; i < STRESS_ITERS; i++) {
		uint32_t s, v;
		uint64_t *p;

		/* Release what the peer handed us. */
		v = atomic_exchange(&st->box[me][take], 0);
		if (v) {
			stress_put(st->pool, c, v - 1);
			st->released[me]++;
			take = (take + 1) % HANDOFF;
		}
		if ((c ? px_pool_loan_cached(c, &s)
		       : px_pool_loan(st->pool, &s)) != 0) {
			st->retries[me]++;
			continue;
		}
		st->loaned[me]++;
		p = px_pool_slot_data(st->pool, s);
		st->errors[me] += px_pool_slot_refcount(st->pool, s) != 1;
		*p = ((uint64_t)me << 32) | i; /* exclusive while loaned */
		for (int k = 0; k < 8; k++) /* give a sharer time to show */
			st->errors[me] += *(volatile uint64_t *)p !=
					  (((uint64_t)me << 32) | i);
		if (i % 2 == 0 && atomic_load(&st->box[peer][put]) == 0) {
			atomic_store(&st->box[peer][put], s + 1);
			put = (put + 1) % HANDOFF;
		} else {
			stress_put(st->pool, c, s);
			st->released[me]++;
		}
	}
	atomic_fetch_add(&st->done, 1);
	/* Drain until the peer stops handing over. */
	while (atomic_load(&st->done) < 2 || atomic_load(&st->box[me][take])) {
		uint32_t v = atomic_exchange(&st->box[me][take], 0);

		if (v) {
			stress_put(st->pool, c, v - 1);
			st->released[me]++;
			take = (take + 1) % HANDOFF;
		}
	}
	px_pool_cache_fini(c); /* everything cached goes back */
	free(c);
	return NULL;
}

static void stress_run(uint32_t slots, bool cached, uint32_t flags)
{
	struct stress *st = calloc(1, sizeof(*st));
	struct stress_arg args[2] = { { st, 0 }, { st, 1 } };
	struct px_pool_stats ps;
	pthread_t t[2];

	ck_assert_ptr_nonnull(st);
	st->pool = new_pool_flags(PX_SEGMENT_MEMFD, 64, slots, flags);
	st->cached = cached;
	for (int i = 0; i < 2; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, stress_thread,
						&args[i]), 0);
	for (int i = 0; i < 2; i++)
		ck_assert_int_eq(pthread_join(t[i], NULL), 0);
	/* Every slot accounted for: all loans came back. */
	for (int b = 0; b < 2; b++)
		for (int i = 0; i < HANDOFF; i++)
			ck_assert_uint_eq(atomic_load(&st->box[b][i]), 0);
	ck_assert_uint_eq(st->errors[0] + st->errors[1], 0);
	px_pool_stats(st->pool, &ps);
	ck_assert_uint_eq(ps.loans, st->loaned[0] + st->loaned[1]);
	ck_assert_uint_eq(ps.releases, st->released[0] + st->released[1]);
	ck_assert_uint_ge(ps.loans, STRESS_ITERS);
	ck_assert_uint_le(ps.high_water, slots);
	if (slots <= 256 || flags) /* exact modes; sampled saw no peak */
		ck_assert_uint_ge(ps.high_water, 1);
	assert_all_free(st->pool);
	/* The exact counter balanced too (it stays 0 when not kept). */
	ck_assert_uint_eq(atomic_load(&st->pool->shm->in_use), 0);
	px_pool_destroy(st->pool);
	free(st);
}

/* Each high-water mode: bitmap popcount (96 slots), the exact in_use
 * counter (320, PX_POOL_EXACT_HIGH_WATER) and sampled (320). */
START_TEST(test_pool_stress_threads)
{
	stress_run(96, false, 0);
	stress_run(320, false, PX_POOL_EXACT_HIGH_WATER);
	stress_run(320, false, 0);
}
END_TEST

/* The same with a px_pool_cache per thread: cross-thread releases land in
 * the releasing thread's cache, flushed when the thread ends. */
START_TEST(test_pool_stress_cache)
{
	stress_run(96, true, 0);
	stress_run(320, true, PX_POOL_EXACT_HIGH_WATER);
	stress_run(320, true, 0);
}
END_TEST

/* Cached loans and releases: refill, overflow, flush, shared slots, bursts,
 * mixing with the uncached calls, and the stats. */
START_TEST(test_pool_cache)
{
	struct px_pool *pool = new_pool(PX_SEGMENT_HEAP, 64, 100);
	struct px_pool_cache c;
	struct px_pool_stats st;
	uint32_t s, t, many[40];

	ck_assert_int_eq(px_pool_cache_init(pool, &c, 0), -EINVAL);
	ck_assert_int_eq(px_pool_cache_init(pool, &c, PX_POOL_CACHE_MAX + 1),
			 -EINVAL);
	ck_assert_int_eq(px_pool_cache_init(pool, &c, 8), 0);
	ck_assert_uint_eq(c.len, 0);

	/* Empty cache: one refill of size / 2, one of them handed out. */
	ck_assert_int_eq(px_pool_loan_cached(&c, &s), 0);
	ck_assert_uint_eq(c.len, 3);
	ck_assert_uint_eq(px_pool_available(pool), 96);
	ck_assert_uint_eq(px_pool_slot_refcount(pool, s), 1);
	/* Parked slots hold the cache's reference. */
	for (uint32_t i = 0; i < c.len; i++)
		ck_assert_uint_eq(px_pool_slot_refcount(pool, c.objs[i]), 1);
	/* Cached loans reach the stats at refill, overflow, flush, fini. */
	px_pool_stats(pool, &st);
	ck_assert_uint_eq(st.loans + c.loans, 1);
	ck_assert_uint_eq(st.releases, 0);
	ck_assert_uint_eq(st.in_use, 4); /* cached slots count as in use */
	ck_assert_uint_eq(st.high_water, 4);

	/* Release parks it in the cache, reference 1 kept (the cache's); the
	 * next loan gets it back (LIFO). A parked slot is not released yet. */
	px_pool_release_cached(&c, s);
	ck_assert_uint_eq(c.len, 4);
	ck_assert_uint_eq(px_pool_slot_refcount(pool, s), 1);
	ck_assert_uint_eq(px_pool_available(pool), 96);
	px_pool_stats(pool, &st);
	ck_assert_uint_eq(st.loans + c.loans, 1);
	ck_assert_uint_eq(st.releases, 0);
	ck_assert_uint_eq(st.in_use, 4);
	ck_assert_int_eq(px_pool_loan_cached(&c, &t), 0);
	ck_assert_uint_eq(t, s);

	/* Shared slot: only the last reference parks it. */
	px_pool_slot_ref(pool, t);
	px_pool_release_cached(&c, t);
	ck_assert_uint_eq(px_pool_slot_refcount(pool, t), 1);
	ck_assert_uint_eq(c.len, 3);
	px_pool_release_cached(&c, t);
	ck_assert_uint_eq(px_pool_slot_refcount(pool, t), 1); /* the cache's */
	ck_assert_uint_eq(c.len, 4);

	/* Overflow: 40 out, 40 back; the cache never holds more than 8 and
	 * the pool gets the rest in bursts. */
	for (int i = 0; i < 40; i++) {
		ck_assert_int_eq(px_pool_loan_cached(&c, &many[i]), 0);
		ck_assert_uint_le(c.len, 8);
	}
	for (int i = 0; i < 40; i++)
		for (int j = 0; j < i; j++)
			ck_assert_uint_ne(many[i], many[j]);
	for (int i = 0; i < 40; i++) {
		px_pool_release_cached(&c, many[i]);
		ck_assert_uint_ge(c.len, 1);
		ck_assert_uint_le(c.len, 8);
	}
	ck_assert_uint_eq(px_pool_available(pool), 100 - c.len);
	px_pool_stats(pool, &st);
	ck_assert_uint_eq(st.loans + c.loans, 2 + 40);
	ck_assert_uint_eq(st.releases + c.len, st.loans); /* parked: not yet */
	ck_assert_uint_eq(st.in_use, c.len);
	ck_assert_uint_ge(st.high_water, 40);

	/* Mixing: a cached loan released to the pool, a pool loan released
	 * into the cache. */
	ck_assert_int_eq(px_pool_loan_cached(&c, &s), 0);
	px_pool_release(pool, s);
	ck_assert_int_eq(px_pool_loan(pool, &s), 0);
	uint32_t before = c.len;
	px_pool_release_cached(&c, s);
	ck_assert_uint_eq(c.len, before == 8 ? 5 : before + 1); /* spill */

	/* Bursts, bigger than the cache. */
	ck_assert_int_eq(px_pool_loan_cached_burst(&c, many, 0), 0);
	ck_assert_int_eq(px_pool_loan_cached_burst(&c, many, 40), 40);
	for (int i = 0; i < 40; i++)
		ck_assert_uint_eq(px_pool_slot_refcount(pool, many[i]), 1);
	px_pool_release_cached_burst(&c, many, 40);
	ck_assert_uint_le(c.len, 8);

	/* Flush: everything back in the bitmap, the books balanced. */
	px_pool_cache_flush(&c);
	ck_assert_uint_eq(c.len, 0);
	px_pool_stats(pool, &st);
	ck_assert_uint_eq(c.loans, 0);
	ck_assert_uint_eq(st.loans, 2 + 40 + 2 + 40);
	ck_assert_uint_eq(st.releases, st.loans);
	ck_assert_uint_eq(st.exhausted, 0);
	assert_all_free(pool);

	/* Bursts that fit the cache (the one-pass path), with a shared slot
	 * in the middle: it stays out until its last reference goes. */
	ck_assert_int_eq(px_pool_cache_init(pool, &c, 16), 0);
	ck_assert_int_eq(px_pool_loan_cached_burst(&c, many, 8), 8);
	ck_assert_uint_eq(c.len, 0);
	px_pool_slot_ref(pool, many[3]);
	px_pool_release_cached_burst(&c, many, 8);
	ck_assert_uint_eq(c.len, 7);
	ck_assert_uint_eq(px_pool_slot_refcount(pool, many[3]), 1);
	px_pool_release_cached(&c, many[3]);
	ck_assert_uint_eq(c.len, 8);
	ck_assert_int_eq(px_pool_loan_cached_burst(&c, many, 8), 8);
	ck_assert_uint_eq(c.len, 0);
	px_pool_release_cached_burst(&c, many, 8);
	px_pool_cache_flush(&c);
	assert_all_free(pool);

	/* Refill after a flush: size / 2 again (odd size rounds up). */
	ck_assert_int_eq(px_pool_cache_init(pool, &c, 5), 0);
	ck_assert_int_eq(px_pool_loan_cached(&c, &s), 0);
	ck_assert_uint_eq(c.len, 2);
	px_pool_release_cached(&c, s);
	px_pool_cache_fini(&c);
	px_pool_cache_fini(NULL);
	assert_all_free(pool);
	px_pool_destroy(pool);
}
END_TEST

/* Exhaustion with slots parked in a cache: the pool is dry for everyone
 * else, the cache still lends; waiters wake only when slots reach the
 * bitmap (overflow or flush). */
START_TEST(test_pool_cache_exhaustion)
{
	struct px_pool *pool = new_pool(PX_SEGMENT_HEAP, 64, 10);
	struct notify_rec rec = { 0 };
	struct px_pool_cache c;
	struct px_pool_stats st;
	uint32_t s[10], x;

	ck_assert_int_eq(px_pool_cache_init(pool, &c, 8), 0);
	for (int i = 0; i < 10; i++)
		ck_assert_int_eq(px_pool_loan_cached(&c, &s[i]), 0);
	ck_assert_uint_eq(c.len, 0);
	ck_assert_int_eq(px_pool_loan_cached(&c, &x), -ENOBUFS);
	ck_assert_int_eq(px_pool_loan_cached_burst(&c, &x, 1), -ENOBUFS);

	px_pool_set_notify(pool, on_release, &rec);
	ck_assert_int_eq(px_pool_loan(pool, &x), -ENOBUFS);
	ck_assert(px_pool_wait_set(pool)); /* armed */
	for (int i = 0; i < 5; i++)
		px_pool_release_cached(&c, s[i]);
	ck_assert_uint_eq(c.len, 5);
	ck_assert_int_eq(rec.calls, 0); /* cached: nobody woken */
	ck_assert_uint_eq(px_pool_available(pool), 0);
	ck_assert_int_eq(px_pool_loan(pool, &x), -ENOBUFS);
	/* The cache lends what it holds, then runs dry with the pool. */
	for (int i = 0; i < 5; i++)
		ck_assert_int_eq(px_pool_loan_cached(&c, &s[i]), 0);
	ck_assert_int_eq(px_pool_loan_cached(&c, &x), -ENOBUFS);
	/* Nine back: the ninth overflows the cache of 8, 4 reach the pool. */
	for (int i = 0; i < 9; i++)
		px_pool_release_cached(&c, s[i]);
	ck_assert_int_eq(rec.calls, 1);
	ck_assert_uint_eq(c.len, 5);
	ck_assert_uint_eq(px_pool_available(pool), 4);
	px_pool_stats(pool, &st);
	ck_assert_uint_eq(st.in_use, 6);
	ck_assert_uint_eq(st.high_water, 10);
	/* Five of the 14 releases are parked, not yet back in the pool. */
	ck_assert_uint_eq(st.releases + c.len, 5 + 9);
	ck_assert_uint_eq(st.loans + c.loans, 10 + 5);
	/* Flush wakes an armed waiter. */
	px_pool_release(pool, s[9]);
	ck_assert_int_eq(px_pool_loan(pool, &x), 0);
	ck_assert_int_eq(px_pool_loan(pool, &s[0]), 0);
	ck_assert_int_eq(px_pool_loan(pool, &s[1]), 0);
	ck_assert_int_eq(px_pool_loan(pool, &s[2]), 0);
	ck_assert_int_eq(px_pool_loan(pool, &s[3]), 0);
	ck_assert_int_eq(px_pool_loan(pool, &s[4]), -ENOBUFS);
	rec.calls = 0;
	ck_assert(px_pool_wait_set(pool));
	px_pool_cache_flush(&c);
	ck_assert_int_eq(rec.calls, 1);
	ck_assert_uint_eq(px_pool_available(pool), 5);
	px_pool_release(pool, x);
	for (int i = 0; i < 4; i++)
		px_pool_release(pool, s[i]);
	assert_all_free(pool);
	px_pool_destroy(pool);
}
END_TEST

static Suite *pool_cache_suite(void)
{
	Suite *s = suite_create("pool_cache");

	tcase_add_test(px_tcase(s, "stress_threads"), test_pool_stress_threads);
	tcase_add_test(px_tcase(s, "cache"), test_pool_cache);
	tcase_add_test(px_tcase(s, "cache_exhaustion"),
		       test_pool_cache_exhaustion);
	tcase_add_test(px_tcase(s, "stress_cache"), test_pool_stress_cache);
	return s;
}

PX_TEST_MAIN(pool_cache_suite)
