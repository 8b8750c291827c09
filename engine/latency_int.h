/* SPDX-License-Identifier: MIT */
/*
 * latency_int.h - the latency histogram each sink pad keeps: how long ago
 * (CLOCK_MONOTONIC) a source pushed the buffers it pulls (px_item.born).
 * Internal; never installed.
 *
 * Log-linear buckets, the layout of HdrHistogram with 4 sub-bucket bits:
 * values below 16 ns have a bucket each; above, every power of two is cut
 * into 16 equal buckets, so a bucket is at most 1/16 (6.25%) of its value
 * wide. 2^40 ns (18 minutes) and more share the last bucket. Recording is
 * a clz, two shifts and three single-writer stores: the pad's reactor
 * writes, any thread reads (relaxed, per field).
 */
#ifndef PX_LATENCY_INT_H
#define PX_LATENCY_INT_H

#include <stdatomic.h>
#include <stdint.h>

#include "px_base.h"
#include "px_pipeline.h"

#define PX__LAT_SUB_BITS 4u
#define PX__LAT_SUB (1u << PX__LAT_SUB_BITS)
#define PX__LAT_MAX_EXP 40u
#define PX__LAT_BUCKETS ((PX__LAT_MAX_EXP - PX__LAT_SUB_BITS + 2) * PX__LAT_SUB)

struct px__lat {
	_Atomic uint64_t count, sum_ns, max_ns;
	_Atomic uint64_t unstamped; /* buffers with born == 0 */
	_Atomic uint64_t b[PX__LAT_BUCKETS];
};

/* The bucket of V ns. */
PX_INLINE unsigned px__lat_index(uint64_t v)
{
	unsigned e;

	if (v < PX__LAT_SUB)
		return (unsigned)v;
	e = 63u - (unsigned)__builtin_clzll(v);
	if (e > PX__LAT_MAX_EXP)
		return PX__LAT_BUCKETS - 1;
	return (e - PX__LAT_SUB_BITS + 1) * PX__LAT_SUB +
	       (unsigned)((v >> (e - PX__LAT_SUB_BITS)) & (PX__LAT_SUB - 1));
}

/* The smallest value of bucket I; its largest is px__lat_lower(I + 1) - 1. */
PX_INLINE uint64_t px__lat_lower(unsigned i)
{
	unsigned e;

	if (i < PX__LAT_SUB)
		return i;
	e = i / PX__LAT_SUB + PX__LAT_SUB_BITS - 1;
	return (uint64_t)(PX__LAT_SUB + i % PX__LAT_SUB) << (e - PX__LAT_SUB_BITS);
}

#define PX__LAT_ADD(field, n)                                                \
	atomic_store_explicit(&(field),                                      \
			      atomic_load_explicit(&(field),                 \
						   memory_order_relaxed) + (n), \
			      memory_order_relaxed)

/*
 * Record a batch: RUNS[i] buffers born at BORN[i] (a source stamps a burst
 * with one time, so a batch is a few runs), seen at NOW; UNSTAMPED buffers
 * had no time. Owning reactor only.
 */
PX_INLINE void px__lat_record(struct px__lat *h, const uint64_t *born,
			      const uint32_t *runs, unsigned n,
			      uint64_t unstamped, uint64_t now)
{
	uint64_t count = 0, sum = 0, max = 0;

	for (unsigned i = 0; i < n; i++) {
		uint64_t v = now > born[i] ? now - born[i] : 0;

		PX__LAT_ADD(h->b[px__lat_index(v)], runs[i]);
		count += runs[i];
		sum += v * runs[i];
		max = v > max ? v : max;
	}
	PX__LAT_ADD(h->count, count);
	PX__LAT_ADD(h->sum_ns, sum);
	if (max > atomic_load_explicit(&h->max_ns, memory_order_relaxed))
		atomic_store_explicit(&h->max_ns, max, memory_order_relaxed);
	if (unstamped)
		PX__LAT_ADD(h->unstamped, unstamped);
}

/* Zero H (no reactor runs its pad). metrics.c */
void px__lat_reset(struct px__lat *h);

#endif /* PX_LATENCY_INT_H */
