/* SPDX-License-Identifier: MIT */
/*
 * px_pool_int.h - pool internals: the layout shared through the segment
 * (offsets only, no pointers) and the process-local handle. Never installed.
 */
#ifndef PX_POOL_INT_H
#define PX_POOL_INT_H

#include <stdalign.h>
#include <stdatomic.h>
#include <stdint.h>

#include "px_pool.h"
#include "px_segment_int.h"

/* "PXPOOL01" read as a little-endian u64. */
#define PX__POOL_MAGIC	  0x31304c4f4f505850ull
#define PX__POOL_VERSION  3u
#define PX__POOL_NAME_MAX 32u

/* Bits of px__pool_shm.waiting. */
#define PX__POOL_WAIT_HOOK  1u /* px_pool_wait_set(): run the notify hook */
#define PX__POOL_WAIT_FUTEX 2u /* px_pool_wait(): futex-wake the word */

_Static_assert(ATOMIC_LLONG_LOCK_FREE == 2 && ATOMIC_INT_LOCK_FREE == 2,
	       "shared-memory atomics must be lock-free to work across "
	       "processes");

/* Pools of at most this many bitmap words compute the high-water mark by
 * a popcount of the bitmap at each loan; bigger ones keep an in_use
 * counter when created with PX_POOL_EXACT_HIGH_WATER, else they sample. */
#define PX__POOL_SCAN_WORDS 4u

/* Flags kept in px__pool_shm.flags (the PX_POOL_* creation flags). */
#define PX__POOL_FLAGS_KNOWN PX_POOL_EXACT_HIGH_WATER

/*
 * The pool header, right after the segment header. Segment-relative
 * offsets locate the bitmap, the per-slot state and the slot area:
 *   [segment hdr][pool hdr][free bitmap: u64 words][refs: u32 per slot]
 *   [loans: u64 per slot][slots]
 * Bitmap bit = 1: slot free. refs[s]: slot s's reference count (0 = free).
 * loans[s]: how often px_pool_loan*() handed slot s out, written only by
 * the loaner that won the slot's bit (a plain load and store); the pool's
 * loan total is their sum plus cache_loans. Dense arrays: a cached release
 * reads one u32 per slot, and consecutive slots (loaned together) share
 * lines. Counters sit on separate lines for the loaning and the releasing
 * side (STYLE rule 13).
 */
struct px__pool_shm {
	/* identity: written once by the creator, magic last */
	uint64_t magic;
	uint32_t version;
	uint32_t header_size;
	uint64_t layout_size; /* segment bytes the pool spans */
	uint32_t slot_size;
	uint32_t slots;
	uint32_t align;
	uint32_t nwords;     /* bitmap words */
	uint32_t flags;	     /* PX_POOL_* creation flags */
	uint32_t reserved;
	uint64_t bitmap_off; /* from the segment base */
	uint64_t refs_off;
	uint64_t loans_off;
	uint64_t slots_off;
	char name[PX__POOL_NAME_MAX];

	/* loaning side */
	alignas(PX_CACHE_LINE) _Atomic uint64_t exhausted;
	_Atomic uint64_t bytes_copied;
	_Atomic uint32_t high_water;
	_Atomic uint32_t in_use; /* only with PX_POOL_EXACT_HIGH_WATER and
				    nwords > PX__POOL_SCAN_WORDS */
	/* loans made through px_pool_caches, added by each cache at refill,
	 * overflow, flush and fini (not per loan) */
	_Atomic uint64_t cache_loans;

	/* releasing side */
	alignas(PX_CACHE_LINE) _Atomic uint64_t bad_releases;
	_Atomic uint64_t wakeups;

	/* waiters: PX__POOL_WAIT_* bits; also the futex word */
	alignas(PX_CACHE_LINE) _Atomic uint32_t waiting;
};

_Static_assert(offsetof(struct px__pool_shm, exhausted) == 2 * PX_CACHE_LINE,
	       "identity spans two lines");
_Static_assert(offsetof(struct px__pool_shm, bad_releases) == 3 * PX_CACHE_LINE,
	       "loan and release counters on separate lines");
_Static_assert(sizeof(struct px__pool_shm) == 5 * PX_CACHE_LINE,
	       "pool header is five cache lines");

/* Where each part of a pool goes in its segment. */
struct px__pool_layout {
	uint32_t slot_size, slots, align, nwords;
	uint64_t bitmap_off, refs_off, loans_off, slots_off;
	uint64_t size; /* end of the slot area, page aligned */
};

/* The process-local handle. */
struct px_pool {
	/* read-only after create/attach */
	struct px__pool_shm *shm;
	_Atomic uint64_t *bitmap;
	_Atomic uint32_t *refs;	 /* per-slot reference counts */
	_Atomic uint64_t *loans; /* per-slot loan counts */
	uint8_t *slot_base;
	uint32_t slot_size;
	uint32_t slots;
	uint32_t nwords;
	uint16_t id;
	bool readonly;
	bool count_in_use; /* the exact in_use counter is kept */
	bool owns_segment;
	px_pool_notify_fn notify;
	void *notify_arg;
	struct px_segment *seg;
	struct px__pool_remote *remote; /* px_pool_attach_remote, else NULL */

	/* private: written by loans */
	alignas(PX_CACHE_LINE) _Atomic uint32_t hint; /* bitmap word to try */
};

/*
 * A remote handle's process-local state (pool_remote.c). One 64-bit word
 * per slot: the low half counts this process's references, the high half
 * the owner's references this process holds (px_pool_remote_take). The
 * last local reference hands the whole high half back in one call, so a
 * slot taken twice before it was released returns both references.
 */
struct px__pool_remote {
	_Atomic uint64_t *words;
	px_pool_remote_fn fn;
	void *arg;
	_Atomic uint64_t bad_releases;
};

/* The remote halves of px_pool_release / slot_ref / slot_refcount. */
void px__pool_remote_release(struct px_pool *pool, uint32_t slot);
void px__pool_remote_ref(struct px_pool *pool, uint32_t slot);
uint32_t px__pool_remote_refcount(const struct px_pool *pool, uint32_t slot);

/* Fill @pool from the shared header and register its id (pool.c). */
int px__pool_handle_bind(struct px_pool *pool, struct px_segment *seg,
			 bool owns);
/* A zeroed, cache-aligned handle, or NULL. */
struct px_pool *px__pool_handle_new(void);
/* Validate the pool header inside @seg; 0 or -EINVAL. */
int px__pool_validate(const struct px_segment *seg);
/* Give the handle's id back. */
void px__pool_id_free(struct px_pool *pool);

/* Check a slot config and compute its layout; 0 or -EINVAL. */
int px__pool_layout(uint32_t slot_size, uint32_t slots, uint32_t align,
		    struct px__pool_layout *l);

/* Any free bit in the bitmap (seq_cst loads: the waiter side of the
 * Dekker pair with the release in px_pool_release()). */
bool px__pool_any_free(const struct px_pool *pool);

#endif /* PX_POOL_INT_H */
