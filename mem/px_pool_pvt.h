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
 * Per-slot state, in the segment. ref: the reference count; 0 = free (the
 * slot's bitmap bit is set). A slot parked in a px_pool_cache keeps
 * reference 1, held by the cache, so a cached loan and a last cached
 * release write nothing here.
 * loans: how often the slot was loaned by px_pool_loan*() (cached loans
 * are counted by the cache); only the loaner that won the slot's bitmap
 * bit writes it (a plain load and store, no read-modify-write). The
 * pool's loan total is the sum plus px__pool_shm.cache_loans.
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

PX_INLINE int px_pool_loan_cached(struct px_pool_cache *cache, uint32_t *slot)
{
	uint32_t s;

	if (px_unlikely(cache->len == 0)) {
		int rc = px__pool_cache_refill(cache);

		if (rc < 0)
			return rc;
	}
	/* Nothing to store in the slot: its reference 1 passes from the cache
	 * to the caller. Its L1 (refill) or last R1 (release_cached) ran on
	 * this thread, so every earlier holder's accesses happen before ours.
	 * The loan is counted here and added to the pool's stats later. */
	s = cache->objs[--cache->len];
	cache->loans++;
	*slot = s;
	return 0;
}

PX_INLINE void px_pool_release_cached(struct px_pool_cache *cache,
				      uint32_t slot)
{
	/* R1 (acquire): as in px_pool_release(). A sole holder's reference
	 * passes to the cache unchanged: nothing is stored. */
	if (px_unlikely(slot >= cache->slots ||
			atomic_load_explicit(&cache->meta[slot].ref,
					     memory_order_acquire) != 1) &&
	    !px__pool_cache_put_slow(cache, slot))
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
		/* One pass over the top of the LIFO, len written once. As in
		 * px_pool_loan_cached(), nothing is stored in the slots'
		 * state: a plain reversed copy (@slots never overlaps the
		 * cache). */
		k = PX_MIN(len, n - got);
		{
			uint32_t *__restrict out = slots + got;
			const uint32_t *__restrict top =
				cache->objs + (len - k);

			for (uint32_t i = 0; i < k; i++)
				out[i] = top[k - 1 - i];
		}
		cache->len = len - k;
		cache->loans += k;
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
		/* Locals: the stores to objs[] cannot then be taken to
		 * change the pool's meta pointer or slot count. */
		const struct px__slot_meta *meta = cache->meta;
		uint32_t lim = cache->slots;
		uint32_t *__restrict push = cache->objs + cache->len;

		for (; i < n; i++) {
			uint32_t s = slots[i];

			/* R1 (acquire), as in px_pool_release_cached(); the
			 * reference passes to the cache, nothing stored. */
			if (px_unlikely(s >= lim ||
					atomic_load_explicit(
						&meta[s].ref,
						memory_order_acquire) != 1))
				break;
			push[i] = s;
		}
		cache->len += i;
	}
	for (; i < n; i++)
		px_pool_release_cached(cache, slots[i]);
}

#endif /* PX_POOL_H */

PX_EXTERN_C_END

#endif /* PX_POOL_PVT_H */
