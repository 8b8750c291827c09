// SPDX-License-Identifier: MIT
/*
 * scen_ring.c - the ring scenario: px_ring SPSC of 64-byte items beside
 * DPDK's rte_ring SP/SC with 64-byte elements, same capacity, same loops:
 * enqueue+dequeue on one thread (ns/item) and producer -> consumer threads
 * (items/s) at several burst sizes.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include <parallax/px_ring.h>

#include "bench.h"

#define ITEM_SIZE  64
#define RING_SLOTS 1024
#define MAX_BURST  64

struct item {
	uint64_t w[ITEM_SIZE / 8];
};

struct ring_arg {
	unsigned burst;
	double secs;
	bool two_threads;
};

static struct px_ring *ring_new(void **mem)
{
	size_t sz = px_ring_memsize(RING_SLOTS, ITEM_SIZE);
	struct px_ring *r = NULL;

	*mem = aligned_alloc(PX_CACHE_LINE,
			     PX_ALIGN_UP(sz, (size_t)PX_CACHE_LINE));
	if (!*mem)
		return NULL;
	if (px_ring_init(*mem, sz, RING_SLOTS, ITEM_SIZE, PX_RING_SPSC, &r) !=
	    0) {
		free(*mem);
		return NULL;
	}
	return r;
}

static int px_st(const struct ring_arg *a, double *ns_per_item, char *why,
		 size_t len)
{
	struct item in[MAX_BURST], out[MAX_BURST];
	void *mem;
	struct px_ring *r = ring_new(&mem);
	uint64_t i = 0, t0, end;
	unsigned k, j;

	if (!r) {
		bench_snprintf(why, len, "px_ring_init failed");
		return -ENOMEM;
	}
	memset(in, 1, sizeof(in));
	t0 = bench_now_ns();
	end = t0 + (uint64_t)(a->secs * 1e9);
	do {
		for (j = 0; j < BENCH_CHECK_EVERY; j++) {
			k = px_ring_enqueue_burst(r, in, a->burst);
			if (px_ring_dequeue_burst(r, out, a->burst) != k ||
			    k != a->burst) {
				free(mem);
				bench_snprintf(
					why, len,
					"px_ring moved fewer items than asked "
					"on an empty ring");
				return -EIO;
			}
			bench_escape(out);
		}
		i += (uint64_t)BENCH_CHECK_EVERY * a->burst;
	} while (bench_now_ns() < end);
	*ns_per_item = (double)(bench_now_ns() - t0) / (double)i;
	free(mem);
	return 0;
}

struct px2 {
	struct px_ring *r;
	unsigned burst;
	atomic_int go, stop;
};

static void *px_producer(void *arg)
{
	struct px2 *s = arg;
	struct item in[MAX_BURST];

	memset(in, 2, sizeof(in));
	while (!atomic_load_explicit(&s->go, memory_order_acquire))
		;
	/* Relaxed: stop only ends the loop; the ring orders the items. */
	while (!atomic_load_explicit(&s->stop, memory_order_relaxed))
		px_ring_enqueue_burst(s->r, in, s->burst);
	return NULL;
}

static int px_2t(const struct ring_arg *a, double *items_per_s)
{
	void *mem;
	struct px2 s = {.r = ring_new(&mem), .burst = a->burst};
	struct item out[MAX_BURST];
	uint64_t got = 0;
	pthread_t th;
	double t0, t1, end;
	unsigned j;

	if (!s.r)
		return -ENOMEM;
	if (pthread_create(&th, NULL, px_producer, &s) != 0) {
		free(mem);
		return -EAGAIN;
	}
	t0 = bench_now();
	end = t0 + a->secs;
	atomic_store_explicit(&s.go, 1, memory_order_release);
	do {
		for (j = 0; j < BENCH_CHECK_EVERY; j++)
			got += px_ring_dequeue_burst(s.r, out, a->burst);
	} while ((t1 = bench_now()) < end);
	atomic_store_explicit(&s.stop, 1, memory_order_relaxed);
	*items_per_s = (double)got / (t1 - t0);
	pthread_join(th, NULL);
	free(mem);
	return 0;
}

static int run_px(struct bench_run *run)
{
	const struct ring_arg *a = run->arg;

	if (a->two_threads)
		return px_2t(a, &run->v[0]);
	return px_st(a, &run->v[0], run->why, sizeof(run->why));
}

static int run_dpdk(struct bench_run *run)
{
	const struct ring_arg *a = run->arg;
	const char *why = bench_dpdk_ring_unavailable();

	if (why) {
		bench_snprintf(run->why, sizeof(run->why), "%s", why);
		return BENCH_MISSING;
	}
	if (a->two_threads)
		return bench_dpdk_ring_2t(a->burst, a->secs, &run->v[0]);
	return bench_dpdk_ring_st(a->burst, a->secs, &run->v[0]);
}

int bench_scen_ring(struct bench_ctx *ctx)
{
	static const unsigned st_bursts[] = {1, 32};
	static const unsigned mt_bursts[] = {1, 8, 32};
	static struct ring_arg args[5];
	static const char *what_px = "px_ring PX_RING_SPSC, 1024 slots of "
				     "64-byte items; px_ring_enqueue_burst / "
				     "px_ring_dequeue_burst";
	static const char *what_dpdk =
		"rte_ring on plain memory (rte_ring_init, "
		"RING_F_SP_ENQ|RING_F_SC_DEQ), 1024 slots, "
		"64-byte elements; rte_ring_sp_enqueue_burst_elem / "
		"rte_ring_sc_dequeue_burst_elem";
	double secs = ctx->quick ? 0.05 : 0.5;
	char variants[5][48];
	unsigned i, n = 0;
	int rc;

	for (i = 0; i < 5; i++) {
		bool two = i >= 2;
		unsigned b = two ? mt_bursts[i - 2] : st_bursts[i];
		struct bench_case c = {
			.scenario = "ring",
			.variant = variants[n],
			.nmetrics = 1,
			.nimpls = 2,
		};

		args[n] = (struct ring_arg){
			.burst = b, .secs = secs, .two_threads = two};
		if (two) {
			bench_snprintf(variants[n], sizeof(variants[n]),
				       "2 threads, burst %u", b);
			c.metric[0] = (struct bench_metric){"throughput",
							    "items/s", false};
		} else {
			bench_snprintf(variants[n], sizeof(variants[n]),
				       "1 thread, burst %u", b);
			c.metric[0] = (struct bench_metric){"enqueue+dequeue",
							    "ns/item", true};
		}
		c.impl[0] = (struct bench_impl){"parallax", run_px, &args[n],
						what_px};
		c.impl[1] = (struct bench_impl){"dpdk-ring", run_dpdk, &args[n],
						what_dpdk};
		rc = bench_case_run(ctx, &c);
		if (rc)
			return rc;
		n++;
	}
	return 0;
}
