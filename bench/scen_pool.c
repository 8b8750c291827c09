// SPDX-License-Identifier: MIT
/*
 * scen_pool.c - the pool scenario: px_pool loan+release of 2 KiB slots,
 * one at a time and in bursts of 32, uncached and through a px_pool_cache,
 * and a two-thread handoff (loan on one thread, release on the other),
 * uncached and through a cache on each thread, beside malloc/free of the
 * same size and DPDK's rte_mempool with and without its per-lcore cache,
 * same loops. Cached rows pair with cached rows, uncached with uncached.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <parallax/px_pool.h>

#include "bench.h"

#define OBJ_SIZE   2048
#define POOL_SLOTS 8192
#define MAX_BURST  32
#define CHAN_SLOTS 1024
#define CACHE_SIZE 256 /* the same as the DPDK mempool's per-lcore cache */

enum pool_mode { MODE_ST, MODE_2T };

struct pool_arg {
	enum pool_mode mode;
	unsigned burst;
	double secs;
	bool cache; /* DPDK: the per-lcore cache; Parallax: a px_pool_cache */
	bool sampled; /* Parallax without PX_POOL_EXACT_HIGH_WATER */
};

/* A pool as every element makes one (px_element_pool_create sets
 * PX_POOL_EXACT_HIGH_WATER), or with the high water sampled (SAMPLED). */
static int pool_new(struct px_pool **pool, bool sampled, char *why,
		    size_t len)
{
	struct px_pool_config cfg = {
		.slot_size = OBJ_SIZE,
		.slots = POOL_SLOTS,
		.name = "px-bench",
		.flags = sampled ? 0 : PX_POOL_EXACT_HIGH_WATER,
		.segment = {.kind = PX_SEGMENT_HEAP, .numa_node = -1},
	};
	int rc = px_pool_create(&cfg, pool);

	if (rc)
		bench_snprintf(why, len, "px_pool_create: %s", strerror(-rc));
	return rc;
}

/* The px_st() loop through a px_pool_cache; @i: objects, @t0: start. */
static int px_st_cached(struct px_pool_cache *cache, const struct pool_arg *a,
			uint64_t *i, uint64_t *t0)
{
	uint32_t slots[MAX_BURST];
	uint64_t end;
	unsigned j;
	int rc = 0;

	*t0 = bench_now_ns();
	end = *t0 + (uint64_t)(a->secs * 1e9);
	do {
		for (j = 0; j < BENCH_CHECK_EVERY && rc == 0; j++) {
			if (a->burst == 1) {
				if (px_pool_loan_cached(cache, &slots[0]) != 0)
					rc = -EIO;
				bench_escape(slots);
				px_pool_release_cached(cache, slots[0]);
				continue;
			}
			if (px_pool_loan_cached_burst(cache, slots,
						      a->burst) !=
			    (int)a->burst) {
				rc = -EIO;
				break;
			}
			bench_escape(slots);
			px_pool_release_cached_burst(cache, slots, a->burst);
		}
		*i += (uint64_t)BENCH_CHECK_EVERY * a->burst;
	} while (rc == 0 && bench_now_ns() < end);
	return rc;
}

static int px_st(const struct pool_arg *a, double *ns, char *why, size_t len)
{
	uint32_t slots[MAX_BURST];
	struct px_pool_cache *cache = NULL;
	struct px_pool *pool;
	uint64_t i = 0, t0, end;
	unsigned j, got;
	int rc = pool_new(&pool, a->sampled, why, len);

	if (rc)
		return rc;
	if (a->cache) {
		cache = malloc(sizeof(*cache));
		rc = cache ? px_pool_cache_init(pool, cache, CACHE_SIZE)
			   : -ENOMEM;
		if (rc) {
			bench_snprintf(why, len, "px_pool_cache_init: %s",
				       strerror(-rc));
			free(cache);
			px_pool_destroy(pool);
			return rc;
		}
		rc = px_st_cached(cache, a, &i, &t0);
		goto done;
	}
	t0 = bench_now_ns();
	end = t0 + (uint64_t)(a->secs * 1e9);
	do {
		for (j = 0; j < BENCH_CHECK_EVERY && rc == 0; j++) {
			if (a->burst == 1) {
				if (px_pool_loan(pool, &slots[0]) != 0)
					rc = -EIO;
				bench_escape(slots);
				px_pool_release(pool, slots[0]);
				continue;
			}
			for (got = 0; got < a->burst;) {
				int n = px_pool_loan_burst(pool, slots + got,
							   a->burst - got);

				if (n <= 0) {
					rc = -EIO;
					break;
				}
				got += (unsigned)n;
			}
			bench_escape(slots);
			px_pool_release_burst(pool, slots, got);
		}
		i += (uint64_t)BENCH_CHECK_EVERY * a->burst;
	} while (rc == 0 && bench_now_ns() < end);
done:
	*ns = (double)(bench_now_ns() - t0) / (double)i;
	px_pool_cache_fini(cache);
	free(cache);
	if (rc == 0 && px_pool_available(pool) != POOL_SLOTS)
		rc = -EIO;
	px_pool_destroy(pool);
	if (rc)
		bench_snprintf(
			why, len,
			"px_pool ran dry or leaked in a single-thread loop");
	return rc;
}

static int malloc_st(const struct pool_arg *a, double *ns)
{
	void *p[MAX_BURST];
	uint64_t i = 0, t0 = bench_now_ns(),
		 end = t0 + (uint64_t)(a->secs * 1e9);
	unsigned j, k;

	do {
		for (j = 0; j < BENCH_CHECK_EVERY; j++) {
			for (k = 0; k < a->burst; k++)
				p[k] = malloc(OBJ_SIZE);
			bench_escape(p);
			for (k = 0; k < a->burst; k++)
				free(p[k]);
		}
		i += (uint64_t)BENCH_CHECK_EVERY * a->burst;
	} while (bench_now_ns() < end);
	*ns = (double)(bench_now_ns() - t0) / (double)i;
	return 0;
}

/* Two threads: this one loans/allocates, the other releases/frees. */
struct handoff {
	struct bench_chan *ch;
	struct px_pool *pool; /* NULL: malloc/free */
	bool cache;	      /* px_pool: each thread through its own cache */
	double secs;
	atomic_int go, stop;
	atomic_int cache_err; /* a px_pool_cache_init() failed: -errno */
	struct px_pool_cache caches[2]; /* [0] the loaner's, [1] the releaser's */
};

/* Thread @who's px_pool_cache, made on that thread; NULL when @h uses none
 * or it could not be made (cache_err says so). */
static struct px_pool_cache *handoff_cache(struct handoff *h, int who)
{
	int rc;

	if (!h->pool || !h->cache)
		return NULL;
	rc = px_pool_cache_init(h->pool, &h->caches[who], CACHE_SIZE);
	if (rc) {
		atomic_store(&h->cache_err, rc);
		return NULL;
	}
	return &h->caches[who];
}

static void give_back(struct handoff *h, struct px_pool_cache *c, uint64_t v)
{
	if (c)
		px_pool_release_cached(c, (uint32_t)v);
	else if (h->pool)
		px_pool_release(h->pool, (uint32_t)v);
	else
		free((void *)(uintptr_t)v);
}

static void *releaser(void *arg)
{
	struct handoff *h = arg;
	struct px_pool_cache *c = handoff_cache(h, 1);
	uint64_t v;

	while (!atomic_load_explicit(&h->go, memory_order_acquire))
		;
	for (;;) {
		if (bench_chan_pop(h->ch, &v)) {
			give_back(h, c, v);
			continue;
		}
		/* Acquire: pairs with the release store of stop after the last
		 * push, so one more sweep empties the channel. */
		if (atomic_load_explicit(&h->stop, memory_order_acquire)) {
			while (bench_chan_pop(h->ch, &v))
				give_back(h, c, v);
			break;
		}
	}
	px_pool_cache_fini(c); /* parked slots back to the pool */
	return NULL;
}

static int handoff_run(struct handoff *h, double *objs_per_s)
{
	struct px_pool_cache *c = NULL;
	pthread_t th;
	uint64_t n = 0, v;
	uint32_t slot;
	double t0, t1, end;
	unsigned j;

	c = handoff_cache(h, 0);
	if (h->cache && h->pool && !c)
		return atomic_load(&h->cache_err);
	h->ch = bench_chan_create(CHAN_SLOTS);
	if (!h->ch) {
		px_pool_cache_fini(c);
		return -ENOMEM;
	}
	if (pthread_create(&th, NULL, releaser, h) != 0) {
		bench_chan_destroy(h->ch);
		px_pool_cache_fini(c);
		return -EAGAIN;
	}
	t0 = bench_now();
	end = t0 + h->secs;
	atomic_store_explicit(&h->go, 1, memory_order_release);
	do {
		for (j = 0; j < BENCH_CHECK_EVERY; j++) {
			if (c) {
				while (px_pool_loan_cached(c, &slot) != 0)
					; /* the other thread will release */
				v = slot;
			} else if (h->pool) {
				while (px_pool_loan(h->pool, &slot) != 0)
					; /* -ENOBUFS: the other thread will
					     release */
				v = slot;
			} else {
				v = (uint64_t)(uintptr_t)malloc(OBJ_SIZE);
			}
			while (!bench_chan_push(h->ch, v))
				;
		}
		n += BENCH_CHECK_EVERY;
	} while ((t1 = bench_now()) < end);
	atomic_store_explicit(&h->stop, 1, memory_order_release);
	pthread_join(th, NULL);
	px_pool_cache_fini(c);
	*objs_per_s = (double)n / (t1 - t0);
	bench_chan_destroy(h->ch);
	return atomic_load(&h->cache_err); /* the releaser's, if it failed */
}

static int run_px(struct bench_run *run)
{
	const struct pool_arg *a = run->arg;
	struct handoff h = {.secs = a->secs, .cache = a->cache};
	int rc;

	if (a->mode == MODE_ST)
		return px_st(a, &run->v[0], run->why, sizeof(run->why));
	rc = pool_new(&h.pool, a->sampled, run->why, sizeof(run->why));
	if (rc)
		return rc;
	rc = handoff_run(&h, &run->v[0]);
	if (rc == 0 && px_pool_available(h.pool) != POOL_SLOTS) {
		bench_snprintf(run->why, sizeof(run->why),
			       "px_pool: %u slots missing after handoff",
			       POOL_SLOTS - px_pool_available(h.pool));
		rc = -EIO;
	}
	px_pool_destroy(h.pool);
	return rc;
}

static int run_malloc(struct bench_run *run)
{
	const struct pool_arg *a = run->arg;
	struct handoff h = {.secs = a->secs};

	if (a->mode == MODE_ST)
		return malloc_st(a, &run->v[0]);
	return handoff_run(&h, &run->v[0]);
}

static int run_dpdk(struct bench_run *run)
{
	const struct pool_arg *a = run->arg;
	const char *why = bench_dpdk_mempool_unavailable();
	int rc;

	if (why) {
		bench_snprintf(run->why, sizeof(run->why), "%s", why);
		return BENCH_MISSING;
	}
	if (a->mode == MODE_ST)
		rc = bench_dpdk_mempool_st(a->cache, a->burst, OBJ_SIZE,
					   a->secs, &run->v[0]);
	else
		rc = bench_dpdk_mempool_2t(a->cache, OBJ_SIZE, a->secs,
					   &run->v[0]);
	if (rc)
		bench_snprintf(run->why, sizeof(run->why),
			       "rte_mempool loop: %s", strerror(-rc));
	return rc;
}

int bench_scen_pool(struct bench_ctx *ctx)
{
	/* Six cases; [case][0: no cache, 1: cache]. Cached Parallax pairs
	 * with the cached mempool, uncached with the uncached one. */
	static struct pool_arg args[6][2], sampled[6];
	static const char *what_sampled =
		"as parallax, but the pool made without "
		"PX_POOL_EXACT_HIGH_WATER (high water sampled: not what "
		"pipelines use); ratio = its time / parallax's";
	static const char *what_px =
		"px_pool of 8192 x 2 KiB slots on a heap segment, "
		"PX_POOL_EXACT_HIGH_WATER as every element pool: px_pool_loan "
		"+ px_pool_release "
		"(burst: px_pool_loan_burst + px_pool_release_burst); handoff: "
		"loan here, slot "
		"index through an SPSC channel, release on the other thread";
	static const char *what_px_cache =
		"px_pool of 8192 x 2 KiB slots on a heap segment, "
		"PX_POOL_EXACT_HIGH_WATER as every element pool, through a "
		"px_pool_cache of 256 slots owned by the thread: "
		"px_pool_loan_cached + px_pool_release_cached (burst: "
		"px_pool_loan_cached_burst + px_pool_release_cached_burst); "
		"the cache refills and spills 128 slots at a time with "
		"px_pool_loan_burst / px_pool_release_burst; handoff: loan "
		"through this thread's cache, release through the other "
		"thread's (its spills are what the loaner refills from)";
	static const char *what_malloc =
		"glibc malloc(2048) + free (burst: 32 mallocs then 32 frees); "
		"handoff: malloc "
		"here, free on the other thread, same SPSC channel";
	static const char *what_dpdk =
		"rte_mempool_create(8191 x 2048 B, cache 0), EAL --no-huge -l "
		"0: rte_mempool_get "
		"+ put (burst: get_bulk + put_bulk); handoff: get here, put on "
		"the other thread, "
		"same SPSC channel";
	static const char *what_dpdk_cache =
		"rte_mempool_create(8191 x 2048 B, cache 256) on EAL lcore 0: "
		"rte_mempool_get + put (burst: get_bulk + put_bulk); handoff: "
		"get on lcore 0, put on a thread made an lcore by "
		"rte_thread_register (its own cache), same SPSC channel";
	static const char *variants[6] = {
		"1 thread, 1 at a time",
		"1 thread, 1 at a time, per-thread cache",
		"1 thread, bursts of 32",
		"1 thread, bursts of 32, per-thread cache",
		"2-thread handoff",
		"2-thread handoff, per-thread caches",
	};
	double secs = ctx->quick ? 0.05 : 0.5;
	unsigned i;
	int rc;

	for (i = 0; i < 6; i++) {
		bool two = i >= 4, cached = i == 1 || i == 3 || i == 5;
		unsigned burst = i == 2 || i == 3 ? 32 : 1;
		struct bench_case c = {
			.scenario = "pool",
			.variant = variants[i],
			.nmetrics = 1,
		};

		args[i][0] = (struct pool_arg){.mode = two ? MODE_2T : MODE_ST,
					       .burst = burst,
					       .secs = secs};
		args[i][1] = args[i][0];
		args[i][1].cache = true;
		if (two)
			c.metric[0] = (struct bench_metric){"handoff",
							    "objects/s", false};
		else
			c.metric[0] = (struct bench_metric){"loan+release",
							    "ns/op", true};
		if (cached) {
			c.impl[c.nimpls++] = (struct bench_impl){
				"parallax", run_px, &args[i][1],
				what_px_cache};
			c.impl[c.nimpls++] = (struct bench_impl){
				"dpdk-mempool-cache", run_dpdk, &args[i][1],
				what_dpdk_cache};
		} else {
			c.impl[c.nimpls++] = (struct bench_impl){
				"parallax", run_px, &args[i][0], what_px};
			c.impl[c.nimpls++] = (struct bench_impl){
				"malloc", run_malloc, &args[i][0], what_malloc};
			c.impl[c.nimpls++] = (struct bench_impl){
				"dpdk-mempool", run_dpdk, &args[i][0],
				what_dpdk};
		}
		/* The other configuration, labelled as such. */
		sampled[i] = cached ? args[i][1] : args[i][0];
		sampled[i].sampled = true;
		c.impl[c.nimpls++] = (struct bench_impl){
			"parallax-sampled-hw", run_px, &sampled[i],
			what_sampled};
		rc = bench_case_run(ctx, &c);
		if (rc)
			return rc;
	}
	return 0;
}
