/* SPDX-License-Identifier: MIT */
/*
 * px_pool.h - fixed-size slots carved from one segment, loaned and released
 * without locks or syscalls. All shared state (header, free bitmap, per-slot
 * reference counts) lives inside the segment, so another process that maps
 * the same segment can attach and release the slots it was handed.
 * Stability: public API, changed only with the ABI version (px_plugin.h).
 */
#ifndef PX_POOL_H
#define PX_POOL_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/uio.h>

#include "px_base.h"
#include "px_segment.h"

PX_EXTERN_C_BEGIN

/* A pool handle: process-local, opaque. */
struct px_pool;

/*
 * Pool configuration, e.g.
 *   struct px_pool_config cfg = { .slot_size = 64 << 10, .slots = 256,
 *           .segment = { .kind = PX_SEGMENT_MEMFD } };   (no NUMA binding)
 * Slots start 64-byte aligned, page aligned when align is the page size.
 */
struct px_pool_config {
	uint32_t slot_size; /* bytes per slot, > 0, a multiple of align */
	uint32_t slots;	    /* number of slots, > 0 */
	uint32_t align;	    /* 0: 64 below the page size, the page size at
			       or above it; else a power of two in
			       [64, page size] */
	const char *name;   /* copied (at most 31 bytes); NULL: "pool" */
	uint32_t flags;	    /* PX_POOL_* below; 0 for none */
	struct px_segment_config segment; /* backend; .size 0 = just enough
					     (else it must hold the pool) */
};

/*
 * PX_POOL_EXACT_HIGH_WATER - keep stats.high_water exact on a pool of more
 * than 256 slots. It then costs one atomic add on a shared counter per
 * loan and per release (about 6 ns each uncontended on the AMD EPYC VM
 * px-bench ran on; more when two cores contend for the line). Without it
 * such a pool samples: high_water is the most in use seen by
 * px_pool_stats() and at exhaustion (then it is the slot count), a lower
 * bound of the true peak. Pools of at most 256 slots are always exact: a
 * loan counts their 4 bitmap words instead.
 * Kept in the pool header: a reopened file pool or an attached handle
 * uses the creator's choice.
 */
#define PX_POOL_EXACT_HIGH_WATER (1u << 0)

/*
 * px_pool_round_slot_size - the smallest valid slot_size >= @bytes under the
 * default alignment (a multiple of 64 below the page size, of the page size
 * at or above it), or 0 when @bytes is 0 or the result would overflow.
 * Thread: any.
 */
PX_API uint32_t px_pool_round_slot_size(uint32_t bytes);

/* Called when a slot comes back after px_pool_wait_set() armed the pool. */
typedef void (*px_pool_notify_fn)(struct px_pool *pool, void *arg);

/*
 * px_pool_create - create a segment as cfg->segment says and lay a fresh
 * pool out in it; or, for a file segment with .create false, reopen the
 * file and validate the pool in it (slot_size, slots and align must match).
 * @cfg: borrowed. @out: receives the pool (transfer full), which owns its
 * segment; untouched on error.
 * Returns 0, or -EINVAL (slot_size or slots 0, slot_size not a multiple of
 * the alignment, bad align, an unknown flag, layout larger than
 * cfg->segment.size, a file
 * whose segment or pool header has the wrong magic, version or layout, or
 * does not match cfg), -ENOSPC (PX_POOL_ID_MAX - 1 pools already live in
 * this process), or any error of px_segment_create(). Nothing stays mapped,
 * open or allocated on error.
 * Thread: any.
 */
PX_API int px_pool_create(const struct px_pool_config *cfg,
			  struct px_pool **out);

/*
 * px_pool_create_in - lay a fresh pool out in an existing segment,
 * overwriting what it held after the segment header.
 * @seg: borrowed (transfer none); must outlive the pool and not be readonly.
 * @cfg: borrowed; cfg->segment is ignored. @out: transfer full.
 * Returns 0, or -EINVAL (bad slot config, more slots than @seg holds),
 * -EROFS (@seg is readonly), -ENOSPC, -ENOMEM.
 * Thread: any, while no other handle uses @seg.
 */
PX_API int px_pool_create_in(struct px_segment *seg,
			     const struct px_pool_config *cfg,
			     struct px_pool **out);

/*
 * px_pool_attach - attach to the pool that another handle (this process or
 * another one) created in @seg, typically from px_segment_map_fd().
 * @seg: borrowed (transfer none); must outlive the pool. When seg->readonly,
 *       the slot area of this mapping becomes PROT_READ (on hugetlb: the
 *       whole huge pages inside it) and the handle can only read and
 *       release, never loan.
 * @out: transfer full. The handle gets its own process-local id.
 * Returns 0, or -EINVAL (no pool header, wrong magic or version, a layout
 * that does not fit @seg), -EACCES (@seg is mapped entirely read-only:
 * use px_pool_attach_remote), -ENOSPC, -ENOMEM, -errno from mprotect.
 * Thread: any.
 */
PX_API int px_pool_attach(struct px_segment *seg, struct px_pool **out);

/*
 * Remote handles. A process that receives slots of another process's pool
 * (an IPC subscriber) should not write that pool's shared state: a crash or
 * a bug there would corrupt the owner. px_pool_attach_remote() gives a
 * handle that never writes the segment (it may be mapped entirely
 * read-only, see px_segment_map_fd()): references are counted in this
 * process, and when the last local reference of a slot goes, @fn hands the
 * owner's references back (how is the caller's business: the IPC link
 * pushes them on a ring the owner drains).
 */

/*
 * Called once per slot epoch, on the thread that dropped the last local
 * reference: return @count of the owner's references to @slot. Must be
 * short and must not block; it may run on any thread of this process.
 */
typedef void (*px_pool_remote_fn)(struct px_pool *pool, uint32_t slot,
				  uint32_t count, void *arg);

/*
 * px_pool_attach_remote - attach to the pool in @seg without ever writing
 * it. The handle is readonly (px_pool_loan -EROFS, px_buf_is_writable
 * false); px_buf_data, px_pool_slot_data, px_buf_ref/unref and
 * px_pool_release work as usual. Geometry is copied at attach, so an owner
 * that rewrites its header later cannot make this handle read out of range.
 * @seg: borrowed, must outlive the handle (readonly or not).
 * @fn, @arg: the hand-back callback (above); @arg borrowed.
 * @out: transfer full (px_pool_destroy).
 * Returns 0, -EINVAL (NULL argument, no valid pool header in @seg),
 * -ENOSPC (no pool id left), -ENOMEM. Thread: any.
 */
PX_API int px_pool_attach_remote(struct px_segment *seg, px_pool_remote_fn fn,
				 void *arg, struct px_pool **out);

/*
 * px_pool_remote_take - the owner lent one reference to @slot (an item
 * naming it arrived): count it, and give the caller one local reference
 * (transfer full: a px_buf naming the slot may now be unref'd once).
 * Returns 0, or -EINVAL (not a remote handle, @slot out of range).
 * Thread: any.
 */
PX_API int px_pool_remote_take(struct px_pool *pool, uint32_t slot);

/* True for a handle made by px_pool_attach_remote(). Thread: any. */
PX_API bool px_pool_is_remote(const struct px_pool *pool);

/*
 * px_pool_remote_held - how many slots this remote handle still holds
 * local references to (0 for other handles): when 0, destroying the handle
 * leaves no buffer dangling. O(slots). Thread: any.
 */
PX_API uint32_t px_pool_remote_held(const struct px_pool *pool);

/*
 * px_pool_destroy - drop this handle, its id, and the segment if it owns it.
 * @pool: taken (transfer full); NULL is accepted. Buffers still loaned from
 * it through this handle dangle: return them first.
 * Thread: any, once no other thread uses the handle.
 */
PX_API void px_pool_destroy(struct px_pool *pool);

/* px_pool_id - the process-local id (!= 0) that px_buf.pool carries.
 * Thread: any. */
PX_API uint16_t px_pool_id(const struct px_pool *pool);

/*
 * px_pool_from_id - the live pool with process-local @id, or NULL (0, out of
 * range, or destroyed). O(1). Returns a borrowed pointer (transfer none).
 * Thread: any.
 */
PX_API struct px_pool *px_pool_from_id(uint16_t id);

/*
 * px_pool_loan - take one free slot; its reference count becomes 1.
 * @slot: receives the slot index; the caller owns that reference (transfer
 *        full) and gives it back with px_pool_release().
 * The lowest free slot of a hinted bitmap word: recently released slots
 * come back first, so a pipeline cycles through few, cache-warm slots
 * (round-robin over the whole pool made filesrc ! fakesink with 1 MiB
 * blocks 1.35x slower, 17 vs 23 GB/s); O(1) amortized, the search starts
 * at the hint, never at word 0; no lock, no syscall, no allocation.
 * Returns 0, -ENOBUFS at once when every slot is loaned (counted as an
 * exhaustion event), -EROFS on a readonly attachment.
 * Thread: any; concurrent with loans and releases on any thread or process.
 */
PX_API int px_pool_loan(struct px_pool *pool, uint32_t *slot);

/*
 * px_pool_loan_burst - take up to @n slots at once, as px_pool_loan() does
 * (one atomic operation per bitmap word, one statistics update).
 * @slots: receives the indexes (transfer full for each).
 * Returns how many were loaned (1..n), 0 when n is 0, -ENOBUFS when none was
 * free, -EROFS on a readonly attachment.
 * Thread: any.
 */
PX_API int px_pool_loan_burst(struct px_pool *pool, uint32_t *slots,
			      unsigned n);

/*
 * px_pool_release - drop one reference to @slot (transfer full: the caller
 * loses it); the last one returns the slot to the free bitmap with one
 * atomic operation, then runs the notify hook or wakes px_pool_wait() if a
 * waiter is registered. A release of a free slot or an index out of range
 * is ignored and counted in stats.bad_releases; a slot parked in a
 * px_pool_cache is not free (it holds the cache's reference), so releasing
 * one is not detected and corrupts that cache.
 * Thread: any, in any process attached to the pool.
 */
PX_API void px_pool_release(struct px_pool *pool, uint32_t slot);

/*
 * px_pool_release_burst - px_pool_release() on each of @slots[0..n)
 * (transfer full for each), with one bitmap operation per run of slots in
 * the same word and one counter update. Thread: any.
 */
PX_API void px_pool_release_burst(struct px_pool *pool, const uint32_t *slots,
				  unsigned n);

/*
 * px_pool_slot_ref - add a reference to a loaned @slot, which the caller
 * must hold a reference to (returns a new reference: transfer full).
 * Thread: any.
 */
PX_API void px_pool_slot_ref(struct px_pool *pool, uint32_t slot);

/* px_pool_slot_refcount - the current count of @slot (0: free). Any thread. */
PX_API uint32_t px_pool_slot_refcount(const struct px_pool *pool,
				      uint32_t slot);

/*
 * px_pool_slot_data - address of @slot in this process (transfer none: valid
 * while the pool is), or NULL for an index out of range. Thread: any.
 */
PX_API void *px_pool_slot_data(const struct px_pool *pool, uint32_t slot);

/* Geometry and identity; all constant for the pool's life. Thread: any. */
PX_API uint32_t px_pool_slot_size(const struct px_pool *pool);
PX_API uint32_t px_pool_slot_count(const struct px_pool *pool);
/* Pool name as stored in the shared header (borrowed, NUL-terminated). */
PX_API const char *px_pool_name(const struct px_pool *pool);
/* The segment under the pool (borrowed: transfer none). */
PX_API struct px_segment *px_pool_segment(const struct px_pool *pool);
/* True for a handle attached to a readonly segment (cannot loan). */
PX_API bool px_pool_is_readonly(const struct px_pool *pool);

/*
 * px_pool_available - free slots now (a popcount of the bitmap: exact when
 * no loan or release runs concurrently). Thread: any.
 */
PX_API uint32_t px_pool_available(const struct px_pool *pool);

/*
 * px_pool_iovec - one iovec covering exactly the slot area, for io_uring
 * fixed-buffer registration (one registration per pool; READ_FIXED works
 * anywhere inside it). @iov: filled in (addresses borrowed from the pool).
 * Returns 0, or -E2BIG when the area exceeds the 1 GiB io_uring limit per
 * buffer (use px_pool_iovecs()).
 * Thread: any.
 */
PX_API int px_pool_iovec(const struct px_pool *pool, struct iovec *iov);

/*
 * px_pool_iovecs - the slot area as iovecs of at most 1 GiB each, split on
 * slot boundaries (a slot never straddles two).
 * @iov: array of @n entries, or NULL to ask how many are needed.
 * Returns the number of iovecs (>= 1), -ENOSPC when @n is too small,
 * -E2BIG when a single slot exceeds 1 GiB.
 * Thread: any.
 */
PX_API int px_pool_iovecs(const struct px_pool *pool, struct iovec *iov,
			  unsigned n);

/*
 * px_pool_memlock_check - whether registering the slot area with io_uring
 * fits in RLIMIT_MEMLOCK (what is already pinned by this process counted).
 * Returns 0 when it fits (or the process has CAP_IPC_LOCK, or the limit is
 * unlimited), -ENOMEM when it does not: px_pool_memlock_describe() says by
 * how much. Thread: any (reads /proc/self/status).
 */
PX_API int px_pool_memlock_check(const struct px_pool *pool);

/*
 * px_pool_memlock_describe - one sentence for a bus message: how much locked
 * memory registering the pool needs, the limit, and how to raise it.
 * @buf, @len: destination; always NUL-terminated when len > 0.
 * Returns the length of the full sentence (snprintf-like), or -EINVAL.
 * Thread: any.
 */
PX_API int px_pool_memlock_describe(const struct px_pool *pool, char *buf,
				    size_t len);

/*
 * px_pool_set_notify - install the hook that px_pool_wait_set() arms.
 * @fn: called as fn(pool, arg) on the thread that released the slot, inside
 *      px_pool_release(): it must be short and must not loan or release on
 *      this pool (typically it posts a task to the waiting reactor). NULL
 *      removes the hook. @arg: borrowed, passed back unchanged.
 * The hook belongs to this handle: releases through other handles (other
 * processes) do not run it; a waiter in another process uses px_pool_wait().
 * Thread: any, but before the pool is shared with releasing threads (not
 * synchronised with a concurrent release).
 */
PX_API void px_pool_set_notify(struct px_pool *pool, px_pool_notify_fn fn,
			       void *arg);

/*
 * px_pool_wait_set - after px_pool_loan() said -ENOBUFS: arm a one-shot
 * notification. The next slot returned through this handle (or any handle
 * with a hook) runs the hook once, then the pool is disarmed.
 * Returns true when armed and the pool is still empty (sleep until the
 * hook runs), false when a slot came free meanwhile (loan again now; the
 * armed flag may then fire once spuriously, so the hook must tolerate that).
 * Thread: any; no syscall, no lock.
 */
PX_API bool px_pool_wait_set(struct px_pool *pool);

/*
 * px_pool_wait - block until a slot may be free (futex on the shared header,
 * so a release in any process wakes it). For threads that may block (never a
 * reactor) and for other processes.
 * @timeout_ms: < 0 waits forever.
 * Returns 0 when a slot may be free (loan again: another thread can win it),
 * -ETIMEDOUT, -EINTR. Thread: any.
 */
PX_API int px_pool_wait(struct px_pool *pool, int timeout_ms);

/*
 * Pool counters, shared by every handle and process attached to the pool
 * (they live in the segment, and persist with a file pool).
 */
struct px_pool_stats {
	uint64_t loans;	       /* slots handed out (per-slot counts plus
				  what caches added: see px_pool_cache) */
	uint64_t releases;     /* loans whose slot is back in the bitmap:
				  loans - in_use */
	uint64_t exhausted;    /* loans that found the pool empty */
	uint64_t bytes_copied; /* bytes any copy path moved (zero-copy proof) */
	uint32_t in_use;       /* slots loaned now or parked in a
				  px_pool_cache (bitmap popcount) */
	uint32_t high_water;   /* most slots ever loaned at once: exact on
				  pools of <= 256 slots or made with
				  PX_POOL_EXACT_HIGH_WATER, else sampled */
	uint64_t bad_releases; /* releases of free slots or bad indexes */
	uint64_t wakeups;      /* notify hooks run and futex wakes sent */
	bool high_water_exact; /* false: high_water is a sample, a lower
				  bound of the true peak */
};

/*
 * px_pool_stats - read the counters into @st. O(slots): a control-plane
 * call. Relaxed reads: exact when the pool is quiet; under concurrent
 * loans and releases a snapshot, and high_water may lag by the operations
 * in flight.
 * Thread: any.
 */
PX_API void px_pool_stats(const struct px_pool *pool, struct px_pool_stats *st);

/*
 * px_pool_count_copy - add @bytes to stats.bytes_copied. Anything that
 * copies payload bytes (make_writable, from_bytes, elements) calls it.
 * Thread: any (one relaxed atomic add).
 */
PX_API void px_pool_count_copy(struct px_pool *pool, uint64_t bytes);

/*
 * px_pool_recover - after a restart of a file-backed pool, declare every
 * slot free again (the previous owners are gone); slot contents are kept.
 * Returns how many slots were in use. Thread: only while nothing else uses
 * the pool, in any process.
 */
PX_API uint32_t px_pool_recover(struct px_pool *pool);

/*
 * Per-thread cache (DPDK's per-lcore mempool cache, as an explicit object).
 *
 * A struct px_pool_cache is owned by one thread: only that thread may call
 * the px_pool_*_cached functions and px_pool_cache_flush() on it (no
 * hidden TLS; put it where the thread keeps its state). It holds up to
 * @size free slots of one pool, so a cached loan + release is a few plain
 * loads and stores on this thread's lines, with no locked instruction:
 *  - A parked slot keeps reference 1, held by the cache: a cached loan
 *    pops it and hands that reference on, and a release that drops the
 *    last reference pushes it back without storing the count. So a cached
 *    loan writes nothing in the slot's state, a cached release only reads
 *    its reference count.
 *  - px_pool_loan_cached() pops a slot; on an empty cache it first refills
 *    with one px_pool_loan_burst() of (size + 1) / 2 slots (fewer if the
 *    pool has fewer).
 *  - px_pool_release_cached() drops a reference as px_pool_release() does;
 *    when it was the last one the slot is pushed to the cache; on a full
 *    cache, (size + 1) / 2 cached slots go back first, in one
 *    px_pool_release_burst().
 * Semantics:
 *  - Cached slots are free for this cache only: other threads, other caches
 *    and other processes cannot loan them, and px_pool_available() does not
 *    count them. px_pool_loan_cached() fails with -ENOBUFS only when both
 *    the cache and the pool are empty; px_pool_loan() on the pool may fail
 *    while slots sit in caches.
 *  - Waiters (px_pool_wait_set(), px_pool_wait()) are woken only when slots
 *    go back to the pool's bitmap: on overflow and on px_pool_cache_flush().
 *  - Stats: a cache counts its loans itself and adds them to the pool's
 *    loans at each refill, overflow, px_pool_cache_flush() and fini; a
 *    slot parked in a cache counts as in use and not yet released. So
 *    loans and releases are exact when the pool is quiet and every cache
 *    has been flushed (then releases == loans - in_use, as without
 *    caches); before that loans lag by the cache's uncounted loans and
 *    releases also by its parked slots. in_use and high_water count cached
 *    slots as in use (conservative: they are what the pool cannot lend to
 *    anyone else). px_pool_slot_refcount() reads 1 for a parked slot, 0
 *    once it is back in the bitmap.
 *  - A slot from px_pool_loan_cached() may be released with
 *    px_pool_release() (it then goes straight to the pool), and a slot
 *    from px_pool_loan() with px_pool_release_cached() (it then lands in
 *    the cache); references taken with px_pool_slot_ref() work as usual.
 *  - The engine does not use caches yet. An element that keeps one must
 *    px_pool_cache_flush() it in its stop(), on the thread that owns it,
 *    or its slots stay out of the pool.
 * The pool must outlive the cache (px_pool_cache_fini() before
 * px_pool_destroy()).
 */
#define PX_POOL_CACHE_MAX 512u

struct px_pool_cache {
	/* read-only after px_pool_cache_init() */
	struct px_pool *pool;
	_Atomic uint32_t *refs; /* the pool's per-slot reference counts */
	uint32_t slots;		/* the pool's slot count */
	uint32_t size;		    /* capacity, 1 .. PX_POOL_CACHE_MAX */
	/* private: owned by one thread */
	uint64_t loans;			  /* loans not yet in the pool's stats */
	uint32_t len;			  /* slots cached: objs[0 .. len) */
	uint32_t objs[PX_POOL_CACHE_MAX]; /* a LIFO of free slot indexes */
};

/*
 * px_pool_cache_init - make @cache an empty cache of up to @size slots of
 * @pool. @pool: borrowed, must outlive the cache. @cache: caller-allocated.
 * Returns 0, -EINVAL (@size 0 or above PX_POOL_CACHE_MAX) or -EROFS (a
 * read-only pool handle cannot loan). Thread: the one that will own it.
 */
PX_API int px_pool_cache_init(struct px_pool *pool,
			      struct px_pool_cache *cache, uint32_t size);

/*
 * px_pool_cache_flush - return every cached slot to the pool's bitmap (one
 * px_pool_release_burst(), which wakes waiters); the cache stays usable.
 * Thread: the owner.
 */
PX_API void px_pool_cache_flush(struct px_pool_cache *cache);

/* px_pool_cache_fini - flush; accepts NULL. Thread: the owner. */
PX_API void px_pool_cache_fini(struct px_pool_cache *cache);

/*
 * px_pool_loan_cached - loan one slot through @cache, as px_pool_loan()
 * (reference count 1, (transfer full) to the caller).
 * Returns 0, or -ENOBUFS when the cache and the pool are both empty.
 * Thread: the cache's owner. Inline.
 */
PX_INLINE int px_pool_loan_cached(struct px_pool_cache *cache, uint32_t *slot);

/*
 * px_pool_release_cached - drop one reference to @slot (transfer full), as
 * px_pool_release(); the last reference parks the slot in @cache. A slot
 * free in the bitmap or a bad index counts a bad release and changes
 * nothing. Releasing a slot already parked in a cache (a double release)
 * is not detected: it holds the cache's reference 1, as a loaned slot does
 * (marking parked slots to catch it was measured: cached bursts of 32 went
 * from 0.56 to 1.02 ns per slot).
 * Thread: the cache's owner. Inline.
 */
PX_INLINE void px_pool_release_cached(struct px_pool_cache *cache,
				      uint32_t slot);

/*
 * px_pool_loan_cached_burst - up to @n slots into @slots through @cache.
 * Returns how many (> 0; fewer than @n when cache and pool ran out, 0 for
 * @n 0), or -ENOBUFS when none was free. Thread: the owner. Inline.
 */
PX_INLINE int px_pool_loan_cached_burst(struct px_pool_cache *cache,
					uint32_t *slots, unsigned n);

/* px_pool_release_cached_burst - px_pool_release_cached() on each of
 * @slots[0 .. n). Thread: the owner. Inline. */
PX_INLINE void px_pool_release_cached_burst(struct px_pool_cache *cache,
					    const uint32_t *slots, unsigned n);

PX_EXTERN_C_END

#include "px_pool_pvt.h"

#endif /* PX_POOL_H */
