/* SPDX-License-Identifier: MIT */
/*
 * px_ring.h - bounded lock-free rings of fixed-size items (the element links):
 * one item API over three kinds (single-thread, SPSC, MPSC), placeable in any
 * caller memory including a memfd shared with another process.
 * Stability: public API, changed only with the ABI version (px_plugin.h).
 */
#ifndef PX_RING_H
#define PX_RING_H

#include <stdalign.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "px_base.h"

PX_EXTERN_C_BEGIN

/*
 * Kinds. The kind is fixed by px_ring_init() and stored in the ring, so code
 * that moves items (an element) calls the same functions on every kind.
 *
 * PX_RING_LOCAL  one thread both produces and consumes (a link inside one
 *                reactor): no ordering, no locked instruction.
 * PX_RING_SPSC   one producer thread, one consumer thread, possibly in two
 *                processes sharing the memory.
 * PX_RING_MPSC   any number of producer threads, one consumer thread (fan-in).
 *                Producers reserve slots with a CAS on prod_head, copy their
 *                items, then publish in reservation order: each waits until
 *                prod_tail reaches its reservation (DPDK's MP enqueue).
 *
 * Typical use (docs/architecture.md, "Links"): a link between two elements on one reactor is
 * PX_RING_LOCAL, heap memory; across reactors PX_RING_SPSC in memory both
 * can reach; across processes PX_RING_SPSC in a memfd that the peer maps
 * and px_ring_attach()es. Fan-in from several reactors is PX_RING_MPSC.
 * Only SPSC and MPSC rings need the sleep/wake flags below.
 */
enum px_ring_kind {
	PX_RING_LOCAL = 1,
	PX_RING_SPSC = 2,
	PX_RING_MPSC = 3,
};

#define PX_RING_MAGIC 0x474e5258u /* "XRNG" in memory on little-endian */
#define PX_RING_VERSION 3
#define PX_RING_ITEM_SIZE 64 /* the default: one px_item */
#define PX_RING_ITEM_SIZE_MAX 65536u
#define PX_RING_CAPACITY_MAX (1u << 30)

/* A ring's geometry: read with the ring's indices on every call. */
struct px__ring_geom {
	uint32_t capacity;  /* slots, a power of two >= 2 */
	uint32_t mask;      /* capacity - 1 */
	uint32_t item_size; /* bytes per item, a multiple of 8 */
};

/*
 * The ring header, placed at the start of the caller's memory; the item
 * array follows at PX__RING_ITEMS_OFFSET. It holds no pointers, only
 * free-running uint32_t indices (slot = index & mask), so it means the same
 * in every process that maps it, at any address.
 *
 * The read-only header and each side's writable state sit on their own
 * cache lines, each followed by an empty guard line, so that the adjacent-
 * line prefetcher never pairs a line one side writes with a line the other
 * side reads on every call. Each side keeps a cached copy of the
 * other side's index and reads the shared index only when the cached one
 * says full (producer) or empty (consumer). Each side also keeps its own
 * copy of the index it publishes (a single producer's prod_tail, the
 * consumer's cons_head), on a line the other side never reads: it only
 * ever stores to the line the other side reads, never loads from it.
 *
 * All fields are private: use the functions below.
 */
struct px_ring {
	/* read-only after px_ring_init(): line 0 */
	alignas(PX_CACHE_LINE) _Atomic uint32_t magic; /* PX_RING_MAGIC, written last */
	uint16_t version;   /* PX_RING_VERSION */
	uint16_t kind;      /* enum px_ring_kind */
	struct px__ring_geom geom;
	uint32_t reserved0[11];
	uint8_t guard0[PX_CACHE_LINE];

	/* producer side, read by the consumer: line 2 */
	alignas(PX_CACHE_LINE) _Atomic uint32_t prod_head; /* MPSC reservations */
	_Atomic uint32_t prod_tail; /* items [cons_head, prod_tail) are readable */
	uint32_t reserved1[14];
	uint8_t guard1[PX_CACHE_LINE];

	/* consumer side, read by producers: line 4 */
	alignas(PX_CACHE_LINE) _Atomic uint32_t cons_head; /* next index to read */
	uint32_t reserved2[15];
	uint8_t guard2[PX_CACHE_LINE];

	/* private, wake flags: line 6, written only around a sleep */
	alignas(PX_CACHE_LINE) _Atomic uint32_t cons_sleeping;
	_Atomic uint32_t prod_sleeping;
	uint32_t reserved3[14];
	uint8_t guard3[PX_CACHE_LINE];

	/* private, single producer (SP kinds): line 8, which no consumer
	 * reads. A consumer polling prod_tail takes line 2 out of the
	 * producer's cache: an enqueue that read its tail back from there
	 * would wait for the line to cross back first: ~150 cycles on a
	 * two-vCPU test VM, on every message that finds the consumer
	 * polling (a message every 3 us across processes: p50 0.29 us
	 * became 0.22 us). */
	alignas(PX_CACHE_LINE) uint32_t sp_tail; /* prod_tail as published */
	uint32_t prod_cons_cache; /* producer's last view of cons_head */
	uint32_t reserved5[14];
	uint8_t guard4[PX_CACHE_LINE];

	/* private, consumer: line 10, which no producer reads (the mirror
	 * of line 8: a producer out of room reads cons_head on line 4). */
	alignas(PX_CACHE_LINE) uint32_t sc_head; /* cons_head as published */
	uint32_t cons_prod_cache; /* consumer's last view of prod_tail */
	uint32_t reserved6[14];
	uint8_t guard5[PX_CACHE_LINE];
	/* items: capacity * item_size bytes */
};

#define PX__RING_ITEMS_OFFSET (12 * PX_CACHE_LINE)

/*
 * px_ring_memsize - bytes of memory a ring needs.
 * @capacity: number of slots; a power of two, 2 <= capacity <= 2^30.
 * @item_size: bytes per item; a multiple of 8 (so that every item is 8-byte
 *             aligned: the array starts 64-byte aligned), 8 <= item_size
 *             <= 65536. 64 (PX_RING_ITEM_SIZE, one px_item) takes an inline
 *             copy path; other sizes use memcpy.
 * Returns the size in bytes (header plus items, a multiple of 64), or 0 when
 * capacity or item_size is out of range.
 * Thread: any.
 */
PX_API size_t px_ring_memsize(uint32_t capacity, uint32_t item_size);

/*
 * px_ring_init - lay out an empty ring in caller memory.
 * @mem: where the ring lives, aligned to PX_CACHE_LINE (64) bytes: heap
 *       (aligned_alloc), a memfd or hugetlb mapping, anything. The caller
 *       keeps ownership and must keep it mapped while the ring is in use.
 * @memsize: bytes available at @mem; at least px_ring_memsize().
 * @capacity, @item_size: as for px_ring_memsize().
 * @kind: PX_RING_LOCAL, PX_RING_SPSC or PX_RING_MPSC.
 * @out: set to the ring (== @mem) on success; untouched on failure.
 * Writes the header last (magic with release order), so that an attacher
 * that sees the magic sees a complete ring. Overwrites any ring at @mem.
 * Returns 0, or -EINVAL when @mem or @out is NULL, @mem is misaligned,
 * @memsize is too small, @capacity or @item_size is out of range, or @kind
 * is unknown.
 * Thread: any, while no other thread or process uses the memory.
 */
PX_API int px_ring_init(void *mem, size_t memsize, uint32_t capacity,
			uint32_t item_size, enum px_ring_kind kind,
			struct px_ring **out);

/*
 * px_ring_attach - use a ring that px_ring_init() laid out, possibly in
 * another process and at another address (a mapped memfd).
 * @mem: start of the ring in this process (aligned to 64 bytes).
 * @memsize: bytes mapped at @mem.
 * @out: set to the ring (== @mem) on success; untouched on failure.
 * Validates the whole header before trusting it: magic, version, kind,
 * capacity (power of two in range), mask, item size, that @memsize covers
 * the items, and that the indices describe at most @capacity items.
 * Returns 0; -EINVAL when an argument is NULL or misaligned, @memsize is
 * smaller than the header or the ring, the magic is wrong (not a ring, or
 * not yet initialized), or a field is out of range (corrupt); -EPROTO when
 * the magic is right but the layout version is not PX_RING_VERSION.
 * Thread: any; attaching does not write to the ring.
 */
PX_API int px_ring_attach(void *mem, size_t memsize, struct px_ring **out);

/*
 * Rings in memory that another process can write: px_ring_view.
 *
 * A ring shared with a process you do not trust (a subscriber of an IPC
 * channel) lies in memory that process can write, header included, and
 * the px_ring_* functions read the geometry (capacity, mask, item size,
 * kind) from the header on every call: a peer that rewrote it could steer
 * this process's item copies past the end of the ring. A view keeps the
 * geometry in the caller's own memory, copied once when the caller laid
 * the ring out or when it validated the peer's; the px_ring_view_*
 * functions index with that copy only, and clamp every count they derive
 * from the shared indices to the capacity. Whatever the peer writes, a
 * view's copies stay inside the item array. What the peer can still do:
 * garble or replay the items in the ring (validate each one you dequeue,
 * as any input), stop consuming (the producer sees a full ring), or, for
 * an MPSC producer, hold prod_tail back so that the producer spins in
 * px_ring_view_enqueue_burst() (so do not be an MPSC producer on a ring
 * whose other side you do not trust).
 *
 * The functions are the px_ring_* set with a view in place of the ring,
 * and cost the same. The sleep/wake flag functions that read no geometry
 * (px_ring_consumer_sleep() and the rest but px_ring_producer_sleep())
 * take V->ring.
 *
 * All fields are private.
 */
struct px_ring_view {
	struct px_ring *ring;	   /* the shared ring; NULL: none yet */
	struct px__ring_geom geom; /* private copy of the header's */
	uint16_t kind;		   /* private copy of the header's */
};

/*
 * px_ring_view_init - px_ring_init() into @mem, and set @v to view it with
 * the geometry given here (not read back from the shared header).
 * Returns 0 or px_ring_init()'s errors (-EINVAL also for a NULL @v).
 * Thread: any, while no other thread or process uses the memory.
 */
PX_API int px_ring_view_init(struct px_ring_view *v, void *mem,
			     size_t memsize, uint32_t capacity,
			     uint32_t item_size, enum px_ring_kind kind);

/*
 * px_ring_view_attach - px_ring_attach() the ring at @mem, and set @v to
 * view it with the geometry validated there, copied once (a peer that
 * rewrites the header during or after the check changes nothing here).
 * Returns 0 or px_ring_attach()'s errors (-EINVAL also for a NULL @v).
 * Thread: any; attaching does not write to the ring.
 */
PX_API int px_ring_view_attach(struct px_ring_view *v, void *mem,
			       size_t memsize);

PX_EXTERN_C_END

/* The hot path is inline; its internals live in the private header. */
#include "px_ring_pvt.h"

PX_EXTERN_C_BEGIN

/*
 * px_ring_enqueue_burst - copy up to @n items into the ring, all or some.
 * @r: the ring.
 * @items: @n items of px_ring_item_size() bytes each, contiguous; copied
 *         (transfer none: the caller keeps its array).
 * @n: items offered; 0 is allowed.
 * Returns how many items were enqueued: min(@n, free slots), in order from
 * the start of @items; 0 when the ring is full. Never blocks, never makes a
 * syscall (except MPSC: see below).
 * Thread: the producer (LOCAL: the owning thread; SPSC: the one producer;
 * MPSC: any producer). MPSC producers publish in reservation order, so a
 * producer preempted between reserving and publishing delays the others;
 * they spin, then sched_yield() after a while.
 */
PX_INLINE unsigned px_ring_enqueue_burst(struct px_ring *r, const void *items,
					 unsigned n)
{
	return px__ring_enqueue(r, &r->geom, r->kind, items, n);
}

/*
 * px_ring_dequeue_burst - copy up to @n items out of the ring, all or some.
 * @r: the ring.
 * @items: room for @n items of px_ring_item_size() bytes each.
 * @n: items wanted; 0 is allowed.
 * Returns how many items were dequeued: min(@n, items available), oldest
 * first; 0 when the ring is empty. Never blocks, never makes a syscall.
 * Thread: the consumer (the owning thread for LOCAL; the one consumer for
 * SPSC and MPSC).
 */
PX_INLINE unsigned px_ring_dequeue_burst(struct px_ring *r, void *items,
					 unsigned n)
{
	return px__ring_dequeue(r, &r->geom, r->kind, items, n);
}

/*
 * px_ring_enqueue - enqueue one item (px_ring_item_size() bytes at @item,
 * copied). Returns true when it was enqueued, false when the ring is full.
 * Thread: as px_ring_enqueue_burst().
 */
PX_INLINE bool px_ring_enqueue(struct px_ring *r, const void *item)
{
	return px_ring_enqueue_burst(r, item, 1) == 1;
}

/*
 * px_ring_dequeue - dequeue the oldest item into @item (room for
 * px_ring_item_size() bytes). Returns true when an item was dequeued, false
 * when the ring is empty (@item untouched).
 * Thread: as px_ring_dequeue_burst().
 */
PX_INLINE bool px_ring_dequeue(struct px_ring *r, void *item)
{
	return px_ring_dequeue_burst(r, item, 1) == 1;
}

/*
 * px_ring_count - items published and not yet dequeued.
 * Returns a value in [0, capacity]. Exact on the consumer thread when no
 * producer runs; otherwise a snapshot (on the consumer: a lower bound, more
 * may arrive). MPSC items reserved but not yet published are not counted.
 * Thread: any.
 */
PX_INLINE unsigned px_ring_count(const struct px_ring *r)
{
	return px__ring_count(r, &r->geom);
}

/*
 * px_ring_free_count - slots neither holding an item nor reserved.
 * Returns a value in [0, capacity]. Exact on the producer thread when no
 * consumer runs; otherwise a snapshot (on an SPSC producer: a lower bound,
 * the consumer may free more).
 * Thread: any.
 */
PX_INLINE unsigned px_ring_free_count(const struct px_ring *r)
{
	return px__ring_free_count(r, &r->geom, r->kind);
}

/* px_ring_capacity - number of slots, as given to px_ring_init(). Thread: any. */
PX_INLINE uint32_t px_ring_capacity(const struct px_ring *r)
{
	return r->geom.capacity;
}

/* px_ring_item_size - bytes per item, as given to px_ring_init(). Thread: any. */
PX_INLINE uint32_t px_ring_item_size(const struct px_ring *r)
{
	return r->geom.item_size;
}

/* px_ring_kind - the kind given to px_ring_init(). Thread: any. */
PX_INLINE enum px_ring_kind px_ring_kind(const struct px_ring *r)
{
	return (enum px_ring_kind)r->kind;
}

/* ---- the same through a view (see px_ring_view above) ------------------ */

/* px_ring_view_enqueue_burst - px_ring_enqueue_burst() through @v. */
PX_INLINE unsigned px_ring_view_enqueue_burst(const struct px_ring_view *v,
					      const void *items, unsigned n)
{
	return px__ring_enqueue(v->ring, &v->geom, v->kind, items, n);
}

/* px_ring_view_dequeue_burst - px_ring_dequeue_burst() through @v. */
PX_INLINE unsigned px_ring_view_dequeue_burst(const struct px_ring_view *v,
					      void *items, unsigned n)
{
	return px__ring_dequeue(v->ring, &v->geom, v->kind, items, n);
}

/* px_ring_view_enqueue - px_ring_enqueue() through @v. */
PX_INLINE bool px_ring_view_enqueue(const struct px_ring_view *v,
				    const void *item)
{
	return px_ring_view_enqueue_burst(v, item, 1) == 1;
}

/* px_ring_view_dequeue - px_ring_dequeue() through @v. */
PX_INLINE bool px_ring_view_dequeue(const struct px_ring_view *v, void *item)
{
	return px_ring_view_dequeue_burst(v, item, 1) == 1;
}

/* px_ring_view_count - px_ring_count() through @v: in [0, capacity]. */
PX_INLINE unsigned px_ring_view_count(const struct px_ring_view *v)
{
	return px__ring_count(v->ring, &v->geom);
}

/* px_ring_view_free_count - px_ring_free_count() through @v. */
PX_INLINE unsigned px_ring_view_free_count(const struct px_ring_view *v)
{
	return px__ring_free_count(v->ring, &v->geom, v->kind);
}

/* px_ring_view_capacity - the capacity @v was set up with. */
PX_INLINE uint32_t px_ring_view_capacity(const struct px_ring_view *v)
{
	return v->geom.capacity;
}

/* px_ring_view_item_size - the item size @v was set up with. */
PX_INLINE uint32_t px_ring_view_item_size(const struct px_ring_view *v)
{
	return v->geom.item_size;
}

/* px_ring_view_kind - the kind @v was set up with. */
PX_INLINE enum px_ring_kind px_ring_view_kind(const struct px_ring_view *v)
{
	return (enum px_ring_kind)v->kind;
}

/*
 * Sleep and wake flags: a wakeup is sent only when the other side sleeps.
 *
 * The ring does not sleep or wake anyone itself: the caller brings the
 * primitive (MSG_RING, eventfd, futex). The flags decide when to use it,
 * without losing a wakeup:
 *
 *   consumer                               producer
 *   --------                               --------
 *   dequeue finds the ring empty           enqueue (publishes prod_tail)
 *   if (px_ring_consumer_sleep(r))         if (px_ring_consumer_needs_wake(r))
 *           wait on the primitive;                  signal the primitive;
 *   px_ring_consumer_awake(r);
 *
 * px_ring_consumer_sleep() stores the flag then re-reads prod_tail, and
 * px_ring_consumer_needs_wake() does a sequentially consistent read-modify-
 * write of prod_tail (after the enqueue's publish) then reads the flag; all
 * four are seq_cst, so in their single total order either the producer reads
 * the flag set (and wakes the consumer) or the consumer reads the new tail
 * (and does not sleep): Dekker's pattern. The mirror set does the same for
 * a producer waiting for room, with cons_head in place of prod_tail.
 *
 * A wakeup may be spurious (the sleeper re-checked and left, or woke for
 * another reason): after waking, just dequeue (or enqueue) again.
 */

/*
 * px_ring_consumer_sleep - announce that the consumer is about to sleep.
 * Sets the consumer's sleep flag, then re-checks the ring.
 * Returns true when the ring is still empty: the consumer may sleep, and
 * the next producer that publishes an item will see px_ring_consumer_
 * needs_wake() return true. Returns false when items arrived meanwhile: the
 * flag is cleared again and the consumer must not sleep (it dequeues).
 * A consumer should spin or poll briefly before calling this; each call
 * costs one locked instruction.
 * Thread: the consumer.
 */
PX_INLINE bool px_ring_consumer_sleep(struct px_ring *r)
{
	return px__ring_sleep(&r->cons_sleeping, &r->prod_tail, r, &r->geom,
			      r->kind, true);
}

/*
 * px_ring_consumer_awake - the consumer runs again (woken, or woke for
 * another reason): clear its sleep flag so that producers stop signalling.
 * Always call it after a px_ring_consumer_sleep() that returned true.
 * Thread: the consumer.
 */
PX_INLINE void px_ring_consumer_awake(struct px_ring *r)
{
	/* relaxed: a producer that still reads 1 sends one spurious wakeup. */
	atomic_store_explicit(&r->cons_sleeping, 0, memory_order_relaxed);
}

/*
 * px_ring_consumer_flagged - whether the consumer's sleep flag is still set:
 * no producer has taken it (to send a wakeup) since px_ring_consumer_sleep()
 * set it. A consumer that slept, woke and found nothing must not assume it
 * still is: when this says false, a wakeup is on its way for an item that
 * may not have been visible yet; call px_ring_consumer_sleep() again.
 * Thread: the consumer.
 */
PX_INLINE bool px_ring_consumer_flagged(const struct px_ring *r)
{
	/* relaxed: a stale 1 only delays us until the wakeup in flight. */
	return atomic_load_explicit(&r->cons_sleeping, memory_order_relaxed);
}

/*
 * px_ring_consumer_needs_wake - after an enqueue that returned > 0, ask
 * whether the consumer sleeps and must be woken.
 * Returns true at most once per px_ring_consumer_sleep() (it clears the
 * flag atomically, so of several MPSC producers exactly one gets true):
 * the caller must then signal the consumer's primitive. False otherwise.
 * Costs one locked instruction (the store-load barrier of the protocol).
 * Thread: a producer, after its enqueue.
 */
PX_INLINE bool px_ring_consumer_needs_wake(struct px_ring *r)
{
	return px__ring_needs_wake(&r->cons_sleeping, &r->prod_tail);
}

/*
 * px_ring_producer_sleep - announce that a producer found no room and is
 * about to sleep. Sets the producer's sleep flag, then re-checks the ring.
 * Returns true when the ring is still full: the producer may sleep until
 * the consumer's px_ring_producer_needs_wake() says to wake it. Returns
 * false when a slot freed meanwhile (flag cleared; enqueue again).
 * MPSC: the flag is shared by all producers; a waker must then wake every
 * sleeping producer (e.g. FUTEX_WAKE with INT_MAX), not just one.
 * Thread: a producer.
 */
PX_INLINE bool px_ring_producer_sleep(struct px_ring *r)
{
	return px__ring_sleep(&r->prod_sleeping, &r->cons_head, r, &r->geom,
			      r->kind, false);
}

/* px_ring_view_producer_sleep - px_ring_producer_sleep() through @v. */
PX_INLINE bool px_ring_view_producer_sleep(const struct px_ring_view *v)
{
	return px__ring_sleep(&v->ring->prod_sleeping, &v->ring->cons_head,
			      v->ring, &v->geom, v->kind, false);
}

/*
 * px_ring_producer_awake - the producer runs again: clear its sleep flag.
 * Always call it after a px_ring_producer_sleep() that returned true.
 * Thread: a producer.
 */
PX_INLINE void px_ring_producer_awake(struct px_ring *r)
{
	/* relaxed: a consumer that still reads 1 sends one spurious wakeup. */
	atomic_store_explicit(&r->prod_sleeping, 0, memory_order_relaxed);
}

/* px_ring_producer_flagged - px_ring_consumer_flagged() for the producer's
 * flag. Thread: a producer. */
PX_INLINE bool px_ring_producer_flagged(const struct px_ring *r)
{
	/* relaxed: as in px_ring_consumer_flagged(). */
	return atomic_load_explicit(&r->prod_sleeping, memory_order_relaxed);
}

/*
 * px_ring_producer_needs_wake - after a dequeue that returned > 0, ask
 * whether a producer sleeps waiting for room and must be woken.
 * Returns true at most once per px_ring_producer_sleep() (the flag is
 * cleared atomically); the caller then signals the producer. To wake a
 * producer only once the link has drained below half (as links do), call
 * it when px_ring_count() <= capacity / 2: a consumer that keeps draining
 * always crosses that line, so no wakeup is lost.
 * Thread: the consumer, after its dequeue.
 */
PX_INLINE bool px_ring_producer_needs_wake(struct px_ring *r)
{
	return px__ring_needs_wake(&r->prod_sleeping, &r->cons_head);
}

PX_EXTERN_C_END

#endif /* PX_RING_H */
