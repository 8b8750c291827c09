/* SPDX-License-Identifier: MIT */
/*
 * px_pool_pvt.h - NOT FOR DIRECT INCLUSION: include px_pool.h or px_buf.h.
 * The process-local pool id table that the inline px_buf_data() reads and
 * the inline px_pool_cache hot path.
 * Stability: not API; it may change in any release.
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

#ifdef PX_POOL_H
/* Out of line halves of the cache (pool_loan.c). */
PX_API int px__pool_cache_refill(struct px_pool_cache *c);
PX_API void px__pool_cache_spill(struct px_pool_cache *c);
PX_API bool px__pool_cache_put_slow(struct px_pool_cache *c, uint32_t slot);

/*
 * Copy @n slot indexes, 4 at a time through a 16-byte vector (GCC and
 * Clang vector extension: SSE2 on x86-64, NEON on arm64). A plain loop is
 * turned into a memcpy() call through the PLT, slower than the copy of a
 * burst of 32.
 */
typedef uint32_t px__u32x4
	__attribute__((vector_size(16), aligned(4), may_alias));

PX_INLINE void px__copy_u32(uint32_t *__restrict dst,
			    const uint32_t *__restrict src, uint32_t n)
{
	uint32_t i = 0;

	for (; i + 4 <= n; i += 4)
		*(px__u32x4 *)(dst + i) = *(const px__u32x4 *)(src + i);
	for (; i < n; i++)
		dst[i] = src[i];
}

PX_INLINE int px_pool_loan_cached(struct px_pool_cache *cache, uint32_t *slot)
{
	if (px_unlikely(cache->len == 0)) {
		int rc = px__pool_cache_refill(cache);

		if (rc < 0)
			return rc;
	}
	/* Nothing to store in the slot: its reference 1 passes from the cache
	 * to the caller. Its L1 (refill) or last R1 (release_cached) ran on
	 * this thread, so every earlier holder's accesses happen before ours.
	 * The loan is counted here and added to the pool's stats later. */
	*slot = cache->objs[--cache->len];
	cache->loans++;
	return 0;
}

PX_INLINE void px_pool_release_cached(struct px_pool_cache *cache,
				      uint32_t slot)
{
	/* R1 (acquire): as in px_pool_release(). A sole holder's reference
	 * passes to the cache unchanged: nothing is stored. */
	if (px_unlikely(slot >= cache->slots ||
			atomic_load_explicit(&cache->refs[slot],
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
		/* The top k of the LIFO in one copy, len written once. As in
		 * px_pool_loan_cached(), nothing is stored in the slots'
		 * state. In stack order: released again as a burst, they go
		 * back where they were (@slots never overlaps the cache). */
		k = PX_MIN(len, n - got);
		px__copy_u32(slots + got, cache->objs + (len - k), k);
		cache->len = len - k;
		cache->loans += k;
		got += k;
	}
	return (int)got;
}

PX_INLINE void px_pool_release_cached_burst(struct px_pool_cache *cache,
					    const uint32_t *slots, unsigned n)
{
	uint32_t len = cache->len;

	/* Fast pass when everything fits and every slot is a sole holder's:
	 * check and push in one loop without an early exit (the pushes past
	 * len count only if all pass), then write len once. */
	if (px_likely(len + n <= cache->size)) {
		/* Locals: the stores to objs[] cannot then be taken to
		 * change the pool's refs pointer or slot count. */
		const _Atomic uint32_t *refs = cache->refs;
		uint32_t lim = cache->slots, bad = 0;
		uint32_t *__restrict push = cache->objs + len;

		for (unsigned i = 0; i < n; i++) {
			uint32_t s = slots[i];

			if (px_unlikely(s >= lim)) {
				bad = 1;
				break;
			}
			/* R1 (acquire), as in px_pool_release_cached(); the
			 * reference passes to the cache, nothing stored. */
			bad |= atomic_load_explicit(&refs[s],
						    memory_order_acquire) ^
			       1;
			push[i] = s;
		}
		if (px_likely(!bad)) {
			cache->len = len + n;
			return;
		}
	}
	/* Shared slots, bad indexes or a spill: one at a time, from the
	 * start (the fast pass committed nothing). */
	for (unsigned i = 0; i < n; i++)
		px_pool_release_cached(cache, slots[i]);
}

#endif /* PX_POOL_H */

PX_EXTERN_C_END

#endif /* PX_POOL_PVT_H */
