// SPDX-License-Identifier: MIT
/*
 * peer_dpdk.c - DPDK peers for the micro-benchmarks: rte_ring (SP/SC, 64-byte
 * elements, on plain memory without EAL) and rte_mempool (with and without
 * the per-lcore cache, which needs rte_eal_init). Same loops as Parallax's.
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_mempool.h>
#include <rte_ring.h>
#include <rte_ring_elem.h>

#include "bench.h"

#define ITEM_SIZE  64
#define RING_SLOTS 1024
#define POOL_OBJS  8191 /* 2^n - 1: rte_mempool's own advice */
#define MAX_BURST  64

struct item {
	uint64_t w[ITEM_SIZE / 8];
};

static int eal_state; /* 0 not tried, 1 up, -1 failed */
static char eal_why[256];
static struct rte_mempool *pool_cache, *pool_nocache;
static uint32_t pool_obj_size;

const char *bench_dpdk_version(void)
{
	return PX_BENCH_DPDK_VERSION;
}

const char *bench_dpdk_ring_unavailable(void)
{
	return NULL; /* rte_ring runs on plain memory, no EAL needed */
}

static int eal_up(void)
{
	static char *args[] = {"px-bench",
			       "--no-huge",
			       "--no-pci",
			       "--no-telemetry",
			       "-l",
			       "0",
			       "--no-shconf",
			       "-m",
			       "256",
			       "--log-level=lib.eal:error",
			       "--log-level=error",
			       "--file-prefix=px-bench",
			       NULL};
	cpu_set_t saved;
	int rc;

	if (eal_state)
		return eal_state;
	/* EAL pins the calling thread to lcore 0; px-bench pins nothing. */
	pthread_getaffinity_np(pthread_self(), sizeof(saved), &saved);
	rc = rte_eal_init((int)(sizeof(args) / sizeof(args[0])) - 1, args);
	pthread_setaffinity_np(pthread_self(), sizeof(saved), &saved);
	if (rc < 0) {
		bench_snprintf(eal_why, sizeof(eal_why),
			       "dpdk-mempool: EAL init failed (%s)",
			       rte_strerror(rte_errno));
		eal_state = -1;
	} else {
		eal_state = 1;
	}
	return eal_state;
}

static int pools_up(uint32_t obj_size)
{
	if (eal_up() < 0)
		return -1;
	if (pool_cache && pool_obj_size == obj_size)
		return 0;
	if (pool_cache) {
		rte_mempool_free(pool_cache);
		rte_mempool_free(pool_nocache);
	}
	pool_obj_size = obj_size;
	pool_cache =
		rte_mempool_create("pxb_cache", POOL_OBJS, obj_size, 256, 0,
				   NULL, NULL, NULL, NULL, SOCKET_ID_ANY, 0);
	pool_nocache =
		rte_mempool_create("pxb_nocache", POOL_OBJS, obj_size, 0, 0,
				   NULL, NULL, NULL, NULL, SOCKET_ID_ANY, 0);
	if (!pool_cache || !pool_nocache) {
		bench_snprintf(eal_why, sizeof(eal_why),
			       "dpdk-mempool: rte_mempool_create failed (%s)",
			       rte_strerror(rte_errno));
		eal_state = -1;
		return -1;
	}
	return 0;
}

const char *bench_dpdk_mempool_unavailable(void)
{
	return pools_up(pool_obj_size ? pool_obj_size : 2048) < 0 ? eal_why
								  : NULL;
}

static struct rte_ring *ring_new(void)
{
	ssize_t sz = rte_ring_get_memsize_elem(ITEM_SIZE, RING_SLOTS);
	struct rte_ring *r;

	if (sz < 0)
		return NULL;
	r = aligned_alloc(128, ((size_t)sz + 127) & ~(size_t)127);
	if (!r)
		return NULL;
	if (rte_ring_init(r, "pxb", RING_SLOTS,
			  RING_F_SP_ENQ | RING_F_SC_DEQ) != 0) {
		free(r);
		return NULL;
	}
	return r;
}

int bench_dpdk_ring_st(unsigned burst, double secs, double *ns_per_item)
{
	struct item in[MAX_BURST], out[MAX_BURST];
	struct rte_ring *r = ring_new();
	uint64_t i = 0, t0, end;
	unsigned k, j;

	if (!r)
		return -ENOMEM;
	memset(in, 1, sizeof(in));
	t0 = bench_now_ns();
	end = t0 + (uint64_t)(secs * 1e9);
	do {
		for (j = 0; j < BENCH_CHECK_EVERY; j++) {
			k = rte_ring_sp_enqueue_burst_elem(r, in, ITEM_SIZE,
							   burst, NULL);
			if (rte_ring_sc_dequeue_burst_elem(r, out, ITEM_SIZE,
							   burst, NULL) != k ||
			    k != burst) {
				free(r);
				return -EIO;
			}
			bench_escape(out);
		}
		i += (uint64_t)BENCH_CHECK_EVERY * burst;
	} while (bench_now_ns() < end);
	*ns_per_item = (double)(bench_now_ns() - t0) / (double)i;
	free(r);
	return 0;
}

struct ring2 {
	struct rte_ring *r;
	unsigned burst;
	atomic_int go, stop;
};

static void *ring_producer(void *arg)
{
	struct ring2 *s = arg;
	struct item in[MAX_BURST];

	memset(in, 2, sizeof(in));
	while (!atomic_load_explicit(&s->go, memory_order_acquire))
		;
	/* Relaxed: stop only ends the loop; the ring orders the items. */
	while (!atomic_load_explicit(&s->stop, memory_order_relaxed))
		rte_ring_sp_enqueue_burst_elem(s->r, in, ITEM_SIZE, s->burst,
					       NULL);
	return NULL;
}

int bench_dpdk_ring_2t(unsigned burst, double secs, double *items_per_s)
{
	struct ring2 s = {.r = ring_new(), .burst = burst};
	struct item out[MAX_BURST];
	uint64_t got = 0;
	pthread_t th;
	double t0, t1, end;
	unsigned j;

	if (!s.r)
		return -ENOMEM;
	if (pthread_create(&th, NULL, ring_producer, &s) != 0) {
		free(s.r);
		return -EAGAIN;
	}
	t0 = bench_now();
	end = t0 + secs;
	atomic_store_explicit(&s.go, 1, memory_order_release);
	do {
		for (j = 0; j < BENCH_CHECK_EVERY; j++)
			got += rte_ring_sc_dequeue_burst_elem(
				s.r, out, ITEM_SIZE, burst, NULL);
	} while ((t1 = bench_now()) < end);
	atomic_store_explicit(&s.stop, 1, memory_order_relaxed);
	*items_per_s = (double)got / (t1 - t0);
	pthread_join(th, NULL);
	free(s.r);
	return 0;
}

int bench_dpdk_mempool_st(bool cache, unsigned burst, uint32_t obj_size,
			  double secs, double *ns_per_op)
{
	void *objs[MAX_BURST];
	struct rte_mempool *mp;
	uint64_t i = 0, t0, end;
	unsigned j;

	if (pools_up(obj_size) < 0)
		return -ENODEV;
	mp = cache ? pool_cache : pool_nocache;
	t0 = bench_now_ns();
	end = t0 + (uint64_t)(secs * 1e9);
	do {
		for (j = 0; j < BENCH_CHECK_EVERY; j++) {
			if (burst == 1) {
				if (rte_mempool_get(mp, &objs[0]) != 0)
					return -ENOBUFS;
				bench_escape(objs);
				rte_mempool_put(mp, objs[0]);
			} else {
				if (rte_mempool_get_bulk(mp, objs, burst) != 0)
					return -ENOBUFS;
				bench_escape(objs);
				rte_mempool_put_bulk(mp, objs, burst);
			}
		}
		i += (uint64_t)BENCH_CHECK_EVERY * burst;
	} while (bench_now_ns() < end);
	*ns_per_op = (double)(bench_now_ns() - t0) / (double)i;
	return 0;
}

struct mp2 {
	struct rte_mempool *mp;
	struct bench_chan *ch;
	bool cache;
	atomic_int ready; /* 1: releaser is set up, < 0: -errno */
	atomic_int go, stop;
};

static void *mempool_releaser(void *arg)
{
	struct mp2 *s = arg;
	uint64_t v;

	/* With the cache, the releaser must be an lcore to have one. */
	if (s->cache && rte_thread_register() != 0) {
		atomic_store_explicit(&s->ready, -rte_errno,
				      memory_order_release);
		return NULL;
	}
	atomic_store_explicit(&s->ready, 1, memory_order_release);
	while (!atomic_load_explicit(&s->go, memory_order_acquire))
		;
	for (;;) {
		if (bench_chan_pop(s->ch, &v)) {
			rte_mempool_put(s->mp, (void *)(uintptr_t)v);
			continue;
		}
		/* Acquire: pairs with the release store of stop after the last
		 * push, so one more sweep empties the channel. */
		if (atomic_load_explicit(&s->stop, memory_order_acquire)) {
			while (bench_chan_pop(s->ch, &v))
				rte_mempool_put(s->mp, (void *)(uintptr_t)v);
			break;
		}
	}
	if (s->cache) {
		rte_mempool_cache_flush(
			rte_mempool_default_cache(s->mp, rte_lcore_id()),
			s->mp);
		rte_thread_unregister();
	}
	return NULL;
}

int bench_dpdk_mempool_2t(bool cache, uint32_t obj_size, double secs,
			  double *objs_per_s)
{
	struct mp2 s = {.cache = cache};
	pthread_t th;
	uint64_t n = 0;
	double t0, t1, end;
	unsigned j;
	int ready;
	void *o;

	if (pools_up(obj_size) < 0)
		return -ENODEV;
	s.mp = cache ? pool_cache : pool_nocache;
	s.ch = bench_chan_create(1024);
	if (!s.ch)
		return -ENOMEM;
	if (pthread_create(&th, NULL, mempool_releaser, &s) != 0) {
		bench_chan_destroy(s.ch);
		return -EAGAIN;
	}
	while ((ready = atomic_load_explicit(&s.ready, memory_order_acquire)) ==
	       0)
		;
	if (ready < 0) {
		pthread_join(th, NULL);
		bench_chan_destroy(s.ch);
		return ready;
	}
	/* This (main, lcore 0) thread gets; the other thread puts back. */
	t0 = bench_now();
	end = t0 + secs;
	atomic_store_explicit(&s.go, 1, memory_order_release);
	do {
		for (j = 0; j < BENCH_CHECK_EVERY; j++) {
			while (rte_mempool_get(s.mp, &o) != 0)
				;
			while (!bench_chan_push(s.ch, (uint64_t)(uintptr_t)o))
				;
		}
		n += BENCH_CHECK_EVERY;
	} while ((t1 = bench_now()) < end);
	atomic_store_explicit(&s.stop, 1, memory_order_release);
	pthread_join(th, NULL);
	*objs_per_s = (double)n / (t1 - t0);
	bench_chan_destroy(s.ch);
	return rte_mempool_avail_count(s.mp) == POOL_OBJS ? 0 : -EIO;
}
