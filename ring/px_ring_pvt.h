/* SPDX-License-Identifier: MIT */
/*
 * px_ring_pvt.h - inline internals behind px_ring.h: item copies and the
 * index protocol with its acquire/release pairs. Not for direct inclusion.
 * Stability: not API; it may change in any release.
 */
#ifndef PX_RING_PVT_H
#define PX_RING_PVT_H

#ifndef PX_RING_H
#error "px_ring_pvt.h is not for direct inclusion; include px_ring.h"
#endif

#include <sched.h>
#include <string.h>

/*
 * Memory-order map. Every acquire names the release it pairs with.
 *
 *   R1  px__ring_sp_enqueue   store-release prod_tail  (slots written)
 *   R3  px__ring_mp_enqueue   store-release prod_tail  (slots written, in order)
 *   A2  px__ring_sc_dequeue   load-acquire  prod_tail  pairs with R1 / R3
 *   R2  px__ring_sc_dequeue   store-release cons_head  (slots read, free again)
 *   A1  px__ring_sp_enqueue,  load-acquire  cons_head  pairs with R2
 *       px__ring_mp_enqueue
 *   R4  px__ring_mp_enqueue   CAS(acq_rel)  prod_head  (reservation)
 *   A3  px__ring_mp_enqueue   load-acquire  prod_head  pairs with R4 of the
 *                             producer that reserved before, so our later
 *                             cons_head load is no older than its own one
 *                             and the free-space subtraction cannot wrap
 *   A4  px__ring_mp_enqueue   load-acquire  prod_tail  pairs with R3 of the
 *                             previous reserver, so our R3 carries its slot
 *                             writes to the consumer too
 *   S1  px__ring_sleep        seq_cst store flag, seq_cst load index
 *   S2  px__ring_needs_wake   seq_cst RMW index, seq_cst load flag
 *                             S1 and S2 pair through the seq_cst total order
 *                             (Dekker): see px_ring.h, "Sleep and wake flags".
 *
 * A PX_RING_LOCAL ring runs the SP/SC code with every order relaxed: one
 * thread, so program order is all the order there is, and relaxed 32-bit
 * loads and stores are plain moves.
 */

#if defined(__x86_64__) || defined(__i386__)
#define px__ring_cpu_relax() __builtin_ia32_pause()
#elif defined(__aarch64__)
#define px__ring_cpu_relax() __asm__ __volatile__("yield" ::: "memory")
#else
#define px__ring_cpu_relax() __asm__ __volatile__("" ::: "memory")
#endif

/*
 * ThreadSanitizer does not instrument the 16-byte vector moves that the
 * inline 64-byte copy compiles to, so it would not see a slot race. Under
 * TSan, report each copy as a range access.
 */
#if defined(__SANITIZE_THREAD__) /* GCC: the range hooks are builtins */
#define PX__RING_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer) /* clang: declare them */
#define PX__RING_TSAN 1
void __tsan_read_range(void *addr, unsigned long size);
void __tsan_write_range(void *addr, unsigned long size);
#endif
#endif
#ifdef PX__RING_TSAN
#define px__ring_tsan_copy(d, s, len)                 \
	(__tsan_write_range((void *)(d), (long)(len)), \
	 __tsan_read_range((void *)(s), (long)(len)))
#else
#define px__ring_tsan_copy(d, s, len) ((void)0)
#endif

/* Spins of the MPSC in-order publish wait before it starts yielding. */
#define PX__RING_SPINS_BEFORE_YIELD 256

_Static_assert(ATOMIC_INT_LOCK_FREE == 2,
	       "ring indices must be lock-free (address-free across processes)");
_Static_assert(sizeof(_Atomic uint32_t) == 4, "index size");
_Static_assert(offsetof(struct px_ring, magic) == 0, "magic first");
_Static_assert(offsetof(struct px_ring, prod_head) == 2 * PX_CACHE_LINE,
	       "producer line, one guard line after the header");
_Static_assert(offsetof(struct px_ring, cons_head) == 4 * PX_CACHE_LINE,
	       "consumer line, one guard line after the producer's");
_Static_assert(offsetof(struct px_ring, cons_sleeping) == 6 * PX_CACHE_LINE,
	       "wake-flag line, one guard line after the consumer's");
_Static_assert(offsetof(struct px_ring, sp_tail) == 8 * PX_CACHE_LINE,
	       "single producer's line, one guard line after the flags'");
_Static_assert(offsetof(struct px_ring, sc_head) == 10 * PX_CACHE_LINE,
	       "consumer's own line, one guard line after the producer's");
_Static_assert(sizeof(struct px_ring) == PX__RING_ITEMS_OFFSET,
	       "items start right after the header");
_Static_assert(PX__RING_ITEMS_OFFSET % PX_CACHE_LINE == 0, "items aligned");

PX_INLINE unsigned char *px__ring_items(const struct px_ring *r)
{
	return (unsigned char *)r + PX__RING_ITEMS_OFFSET;
}

/*
 * Copy N 64-byte items. A constant-size memcpy per item compiles to four
 * 16-byte vector moves inline, which beats a call to memcpy for the short
 * bursts that links carry and is no slower on long ones (L1-resident).
 */
PX_INLINE void px__ring_copy64(void *restrict dst, const void *restrict src,
			       unsigned n)
{
	unsigned char *d = dst;
	const unsigned char *s = src;

	px__ring_tsan_copy(d, s, (size_t)n * 64);
	for (unsigned i = 0; i < n; i++)
		memcpy(d + (size_t)i * 64, s + (size_t)i * 64, 64);
}

PX_INLINE void px__ring_copy(const struct px__ring_geom *g,
			     void *restrict dst, const void *restrict src,
			     unsigned n)
{
	if (px_likely(g->item_size == 64))
		px__ring_copy64(dst, src, n);
	else
		memcpy(dst, src, (size_t)n * g->item_size);
}

/*
 * Copy N items from SRC into the slots from index IDX on, wrapping. Stays
 * inside the item array for any IDX when N <= G's capacity: the callers
 * clamp N, so indices a peer process wrote cannot steer the copy out.
 */
PX_INLINE void px__ring_copy_in(struct px_ring *r,
				const struct px__ring_geom *g, uint32_t idx,
				const void *src, unsigned n)
{
	uint32_t slot = idx & g->mask;
	uint32_t first = g->capacity - slot;
	unsigned char *items = px__ring_items(r);
	const unsigned char *s = src;

	if (px_likely(n <= first)) {
		px__ring_copy(g, items + (size_t)slot * g->item_size, s, n);
	} else {
		px__ring_copy(g, items + (size_t)slot * g->item_size, s, first);
		px__ring_copy(g, items, s + (size_t)first * g->item_size,
			      n - first);
	}
}

/* Copy N items from the slots from index IDX on into DST, wrapping. As
 * px__ring_copy_in(), in bounds for any IDX when N <= capacity. */
PX_INLINE void px__ring_copy_out(const struct px_ring *r,
				 const struct px__ring_geom *g, uint32_t idx,
				 void *dst, unsigned n)
{
	uint32_t slot = idx & g->mask;
	uint32_t first = g->capacity - slot;
	const unsigned char *items = px__ring_items(r);
	unsigned char *d = dst;

	if (px_likely(n <= first)) {
		px__ring_copy(g, d, items + (size_t)slot * g->item_size, n);
	} else {
		px__ring_copy(g, d, items + (size_t)slot * g->item_size, first);
		px__ring_copy(g, d + (size_t)first * g->item_size, items,
			      n - first);
	}
}

/*
 * At most G's capacity. Free-running indices of a sound ring never give
 * more; indices or caches that a peer process overwrote can, and the copy
 * must still stay inside the ring (one compare on the hot path).
 */
PX_INLINE unsigned px__ring_at_most_capacity(const struct px__ring_geom *g,
					     unsigned n)
{
	return px_unlikely(n > g->capacity) ? g->capacity : n;
}

/*
 * Single-producer enqueue (SPSC, and LOCAL with LOCAL true). The common
 * case reads only the producer's own line: the cached cons_head says there
 * is room, so the shared cons_head is not touched.
 */
PX_INLINE unsigned px__ring_sp_enqueue(struct px_ring *r,
				       const struct px__ring_geom *g,
				       const void *items, unsigned n,
				       bool local)
{
	/* Our own copy of prod_tail, from the line no consumer reads. */
	uint32_t head = r->sp_tail;
	uint32_t room = g->capacity + r->prod_cons_cache - head;

	if (px_unlikely(n > room)) {
		/* A1: pairs with R2 in px__ring_sc_dequeue(): the consumer
		 * has finished reading the slots it freed before we refill
		 * them. LOCAL: relaxed, one thread. */
		r->prod_cons_cache = atomic_load_explicit(
			&r->cons_head,
			local ? memory_order_relaxed : memory_order_acquire);
		room = g->capacity + r->prod_cons_cache - head;
		if (n > room) {
			n = room;
			if (n == 0)
				return 0;
		}
	}
	n = px__ring_at_most_capacity(g, n);
	px__ring_copy_in(r, g, head, items, n);
	r->sp_tail = head + n;
	/* R1: pairs with A2 in px__ring_sc_dequeue(): the slot writes above
	 * are visible to a consumer that sees the new tail. LOCAL: relaxed. */
	atomic_store_explicit(&r->prod_tail, head + n,
			      local ? memory_order_relaxed :
				      memory_order_release);
	return n;
}

/* Wait until every earlier MPSC reservation is published (prod_tail == OLD). */
PX_INLINE void px__ring_mp_wait_turn(struct px_ring *r, uint32_t old)
{
	unsigned spins = 0;

	/* A4: pairs with R3 in px__ring_mp_enqueue() of the producer that
	 * reserved just before us: its slot writes happen before our R3. */
	while (atomic_load_explicit(&r->prod_tail, memory_order_acquire) !=
	       old) {
		if (++spins < PX__RING_SPINS_BEFORE_YIELD) {
			px__ring_cpu_relax();
		} else {
			/* That producer was preempted mid-publish: let it run. */
			sched_yield();
			spins = 0;
		}
	}
}

/*
 * Multi-producer enqueue: reserve [old, old + n) with a CAS on prod_head,
 * copy, then publish in reservation order. Reading cons_head directly (no
 * cached copy): a cache on the producer line would be written by several
 * producers.
 */
PX_INLINE unsigned px__ring_mp_enqueue(struct px_ring *r,
				       const struct px__ring_geom *g,
				       const void *items, unsigned n)
{
	uint32_t old, room;

	n = px__ring_at_most_capacity(g, n);
	if (n == 0)
		return 0;
	/* A3: pairs with R4 below in the producer whose reservation we read. */
	old = atomic_load_explicit(&r->prod_head, memory_order_acquire);
	do {
		/* A1: pairs with R2 in px__ring_sc_dequeue(). */
		uint32_t cons = atomic_load_explicit(&r->cons_head,
						     memory_order_acquire);

		room = g->capacity + cons - old;
		if (n > room) {
			n = room;
			if (n == 0)
				return 0;
		}
		/* R4 on success: pairs with A3 in later reservers. A3 on
		 * failure: OLD is reloaded with acquire, as above. */
	} while (!atomic_compare_exchange_weak_explicit(
		&r->prod_head, &old, old + n, memory_order_acq_rel,
		memory_order_acquire));

	px__ring_copy_in(r, g, old, items, n);
	px__ring_mp_wait_turn(r, old);
	/* R3: pairs with A2 in px__ring_sc_dequeue() and with A4 in the next
	 * reserver's px__ring_mp_wait_turn(). */
	atomic_store_explicit(&r->prod_tail, old + n, memory_order_release);
	return n;
}

/*
 * Single-consumer dequeue (SPSC, MPSC, and LOCAL with LOCAL true). The
 * common case reads only the consumer's own line and the item slots.
 */
PX_INLINE unsigned px__ring_sc_dequeue(struct px_ring *r,
				       const struct px__ring_geom *g,
				       void *items, unsigned n, bool local)
{
	/* Our own copy of cons_head, from the line no producer reads. */
	uint32_t head = r->sc_head;
	uint32_t avail = r->cons_prod_cache - head;

	if (n > avail) {
		/* A2: pairs with R1 in px__ring_sp_enqueue() and R3 in
		 * px__ring_mp_enqueue(): the producer's slot writes are
		 * visible before we read the slots. LOCAL: relaxed. */
		r->cons_prod_cache = atomic_load_explicit(
			&r->prod_tail,
			local ? memory_order_relaxed : memory_order_acquire);
		avail = r->cons_prod_cache - head;
		if (n > avail) {
			n = avail;
			if (n == 0) {
				/* Empty: ask for the slot the next item lands
				 * in now, so that a consumer polling across
				 * cores has it fetched beside prod_tail, not
				 * after it (ipc busy-poll p50 -20% at 3 us
				 * gaps). A hint: no load, no order. */
				if (!local)
					__builtin_prefetch(
						px__ring_items(r) +
						(size_t)(head & g->mask) *
							g->item_size);
				return 0;
			}
		}
	}
	n = px__ring_at_most_capacity(g, n);
	px__ring_copy_out(r, g, head, items, n);
	r->sc_head = head + n;
	/* R2: pairs with A1 in the enqueues: our slot reads are done before a
	 * producer that sees the new head overwrites them. LOCAL: relaxed. */
	atomic_store_explicit(&r->cons_head, head + n,
			      local ? memory_order_relaxed :
				      memory_order_release);
	return n;
}

/* Dispatch on KIND; G and KIND come from the header or from a view. */
PX_INLINE unsigned px__ring_enqueue(struct px_ring *r,
				    const struct px__ring_geom *g,
				    unsigned kind, const void *items,
				    unsigned n)
{
	switch (kind) {
	case PX_RING_SPSC:
		return px__ring_sp_enqueue(r, g, items, n, false);
	case PX_RING_MPSC:
		return px__ring_mp_enqueue(r, g, items, n);
	default:
		return px__ring_sp_enqueue(r, g, items, n, true);
	}
}

PX_INLINE unsigned px__ring_dequeue(struct px_ring *r,
				    const struct px__ring_geom *g,
				    unsigned kind, void *items, unsigned n)
{
	/* Two calls, not one with a computed flag: each must see a constant
	 * memory order, or the compiler falls back to seq_cst. */
	if (kind == PX_RING_LOCAL)
		return px__ring_sc_dequeue(r, g, items, n, true);
	return px__ring_sc_dequeue(r, g, items, n, false);
}

/* Clamp a difference of free-running indices read at two moments. */
PX_INLINE unsigned px__ring_clamp(const struct px__ring_geom *g,
				  uint32_t diff)
{
	if ((int32_t)diff < 0)
		return 0;
	return diff > g->capacity ? g->capacity : diff;
}

PX_INLINE unsigned px__ring_count(const struct px_ring *r,
				  const struct px__ring_geom *g)
{
	/* Head first: prod_tail only grows past it, so the difference is
	 * never negative. acquire: pairs with R2 and R1/R3, so a caller that
	 * sees a count also sees the items or free slots behind it. */
	uint32_t head = atomic_load_explicit(&r->cons_head,
					     memory_order_acquire);
	uint32_t tail = atomic_load_explicit(&r->prod_tail,
					     memory_order_acquire);

	return px__ring_clamp(g, tail - head);
}

PX_INLINE unsigned px__ring_free_count(const struct px_ring *r,
				       const struct px__ring_geom *g,
				       unsigned kind)
{
	/* acquire: as in px__ring_count(). MPSC reservations count as used. */
	uint32_t prod = atomic_load_explicit(
		kind == PX_RING_MPSC ? &r->prod_head : &r->prod_tail,
		memory_order_acquire);
	uint32_t head = atomic_load_explicit(&r->cons_head,
					     memory_order_acquire);

	return g->capacity - px__ring_clamp(g, prod - head);
}

/*
 * The sleeper's half of the wake protocol. CONSUMER: the consumer sleeps
 * while the ring is empty (INDEX is prod_tail); otherwise a producer sleeps
 * while it is full (INDEX is cons_head).
 */
PX_INLINE bool px__ring_sleep(_Atomic uint32_t *flag, _Atomic uint32_t *index,
			      const struct px_ring *r,
			      const struct px__ring_geom *g, unsigned kind,
			      bool consumer)
{
	uint32_t other, own;
	bool keep;

	/* S1: seq_cst store then seq_cst load; pairs with S2 in
	 * px__ring_needs_wake(), through the single total order. */
	atomic_store_explicit(flag, 1, memory_order_seq_cst);
	other = atomic_load_explicit(index, memory_order_seq_cst);
	if (consumer) {
		/* relaxed: cons_head is our own index. */
		own = atomic_load_explicit(&r->cons_head, memory_order_relaxed);
		keep = other == own;
	} else {
		/* relaxed: our own index; MPSC: other producers' too, and a
		 * stale value only makes us decline to sleep and retry. */
		own = atomic_load_explicit(kind == PX_RING_MPSC ?
							 &r->prod_head :
							 &r->prod_tail,
					   memory_order_relaxed);
		keep = own - other >= g->capacity;
	}
	if (!keep)
		/* relaxed: the other side may still see 1 and send one
		 * spurious wakeup, which sleepers tolerate. */
		atomic_store_explicit(flag, 0, memory_order_relaxed);
	return keep;
}

/*
 * The waker's half. INDEX is the index this side just published (prod_tail
 * for a producer, cons_head for the consumer).
 */
PX_INLINE bool px__ring_needs_wake(_Atomic uint32_t *flag,
				   _Atomic uint32_t *index)
{
	/* S2: a seq_cst RMW on our own published index (adding 0) orders the
	 * publish before the flag load below, as a full barrier would; pairs
	 * with S1 in px__ring_sleep(). */
	atomic_fetch_add_explicit(index, 0, memory_order_seq_cst);
	if (px_likely(atomic_load_explicit(flag, memory_order_seq_cst) == 0))
		return false;
	/* relaxed: the exchange only makes the wakeup once-only; the
	 * ordering that matters is S2 above. */
	return atomic_exchange_explicit(flag, 0, memory_order_relaxed) != 0;
}

#endif /* PX_RING_PVT_H */
