/* SPDX-License-Identifier: MIT */
/*
 * px_pool_pvt.h - NOT FOR DIRECT INCLUSION: include px_pool.h or px_buf.h.
 * The process-local pool id table that the inline px_buf_data() reads, the
 * per-slot state and the inline px_pool_cache hot path.
 */
#ifndef PX_POOL_PVT_H
#define PX_POOL_PVT_H

#if !defined(PX_BUF_H) && !defined(PX_POOL_H)
#error "px_pool_pvt.h is internal: include px_pool.h or px_buf.h instead"
#endif

#include <errno.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "px_base.h"

PX_EXTERN_C_BEGIN

/* Pool ids are 1 .. PX_POOL_ID_MAX - 1 in each process; 0 is "no pool". */
#define PX_POOL_ID_MAX 4096u

/* What px_buf_data() needs of a pool, one 16-byte entry per id. */
struct px__pool_map_entry {
	uintptr_t slot_base; /* address of slot 0 in this process; 0 if free */
	uint32_t slot_size;  /* bytes per slot (the slot stride) */
	uint32_t slots;	     /* number of slots */
};

/*
 * Indexed by pool id. Written under the registry lock by px_pool_create()
 * and px_pool_attach() before the id is handed out, cleared by
 * px_pool_destroy(); read without a lock (an id in a live px_buf is live).
 */
PX_API extern struct px__pool_map_entry px__pool_map[PX_POOL_ID_MAX];

/*
 * Per-slot state, in the segment. ref: the reference count; 0 = free when
 * the slot's bitmap bit is set, parked in a px_pool_cache when it is clear
 * (that is how px_pool_stats() tells cached slots from loaned ones).
 * loans: how often the slot was loaned; only the slot's owner (the loaner
 * that won its bitmap bit, or the thread whose cache holds it) writes it
 * (a plain load and store, no read-modify-write); the pool's loan total
 * is the sum.
 */
struct px__slot_meta {
	_Atomic uint32_t ref;
	uint32_t reserved;
	_Atomic uint64_t loans;
};

_Static_assert(sizeof(struct px__slot_meta) == 16, "four slots per line");

#ifdef PX_POOL_H
/* Out of line halves of the cache (pool_loan.c). */
PX_API int px__pool_cache_refill(struct px_pool_cache *c);
PX_API void px__pool_cache_spill(struct px_pool_cache *c);
PX_API bool px__pool_cache_put_slow(struct px_pool_cache *c, uint32_t slot);

/* Hand cached slot @s to the caller: reference 1, one more loan. */
PX_INLINE void px__pool_cache_take(struct px_pool_cache *c, uint32_t s)
{
	struct px__slot_meta *m = &c->meta[s];

	/* Relaxed: the slot is this thread's alone. Its L1 (refill) or its
	 * last R1 (px_pool_release_cached) ran on this thread, so every
	 * earlier holder's accesses happen before these stores. */
	atomic_store_explicit(&m->ref, 1, memory_order_relaxed);
	atomic_store_explicit(
		&m->loans,
		atomic_load_explicit(&m->loans, memory_order_relaxed) + 1,
		memory_order_relaxed);
}

PX_INLINE int px_pool_loan_cached(struct px_pool_cache *cache, uint32_t *slot)
{
	uint32_t s;

	if (px_unlikely(cache->len == 0)) {
		int rc = px__pool_cache_refill(cache);

		if (rc < 0)
			return rc;
	}
	s = cache->objs[--cache->len];
	px__pool_cache_take(cache, s);
	*slot = s;
	return 0;
}

PX_INLINE void px_pool_release_cached(struct px_pool_cache *cache,
				      uint32_t slot)
{
	/* R1 (acquire): as in px_pool_release(); a sole holder stores 0. */
	if (px_likely(slot < cache->slots &&
		      atomic_load_explicit(&cache->meta[slot].ref,
					   memory_order_acquire) == 1))
		atomic_store_explicit(&cache->meta[slot].ref, 0,
				      memory_order_relaxed);
	else if (!px__pool_cache_put_slow(cache, slot))
		return; /* other references remain, or a bad release */
	if (px_unlikely(cache->len == cache->size))
		px__pool_cache_spill(cache);
	cache->objs[cache->len++] = slot;
}

PX_INLINE int px_pool_loan_cached_burst(struct px_pool_cache *cache,
					uint32_t *slots, unsigned n)
{
	unsigned got = 0;

	while (got < n) {
		uint32_t len = cache->len, k;

		if (len == 0) {
			int rc = px__pool_cache_refill(cache);

			if (rc < 0)
				return got ? (int)got : rc;
			len = cache->len;
		}
		/* One pass over the top of the LIFO, len written once. */
		k = PX_MIN(len, n - got);
		for (uint32_t i = 0; i < k; i++) {
			uint32_t s = cache->objs[len - 1 - i];

			px__pool_cache_take(cache, s);
			slots[got + i] = s;
		}
		cache->len = len - k;
		got += k;
	}
	return (int)got;
}

PX_INLINE void px_pool_release_cached_burst(struct px_pool_cache *cache,
					    const uint32_t *slots, unsigned n)
{
	unsigned i = 0;

	/* Fast pass while everything fits: sole holders, len written once. */
	if (px_likely(cache->len + n <= cache->size)) {
		uint32_t len = cache->len;

		for (; i < n; i++) {
			uint32_t s = slots[i];
			struct px__slot_meta *m = &cache->meta[s];

			/* R1 (acquire), as in px_pool_release_cached(). */
			if (px_unlikely(s >= cache->slots ||
					atomic_load_explicit(
						&m->ref, memory_order_acquire) !=
						1))
				break;
			atomic_store_explicit(&m->ref, 0, memory_order_relaxed);
			cache->objs[len++] = s;
		}
		cache->len = len;
	}
	for (; i < n; i++)
		px_pool_release_cached(cache, slots[i]);
}

#endif /* PX_POOL_H */

PX_EXTERN_C_END

#endif /* PX_POOL_PVT_H */
