/* SPDX-License-Identifier: MIT */
/*
 * link_int.h - links: a bounded ring of 64-byte items with two ends, each
 * end carrying its own wake primitive, behind one fixed function set
 * (STYLE rule 16). Three kinds:
 *
 *   local    both ends on one reactor: a plain ring in heap memory; a push
 *            puts the consumer on the run queue (link.c).
 *   reactor  ends on two reactors of this process: SPSC ring in heap memory
 *            with sleep flags, wake by px_reactor_post, which is MSG_RING
 *            from a reactor (link.c).
 *   process  the other end is in another process: SPSC ring in a sealed
 *            memfd, wake by an eventfd that the sleeping end's reactor
 *            reads with an op (link_process.c).
 *
 * pad.c, element.c and the IPC elements call only the px__link_* functions
 * below; nothing outside the link files branches on the kind. The hot ones
 * are inline: the switch is on a byte of the link's first line and each
 * local/reactor case is a few instructions.
 *
 * Threads. An end is touched only by its element's reactor thread; the ring
 * and its sleep flags are the only state the two ends share (px_ring.h has
 * the protocol). Setup and teardown run on the application thread while
 * no element runs.
 */
#ifndef PX_LINK_INT_H
#define PX_LINK_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "px_element.h"
#include "px_list.h"
#include "px_reactor.h"
#include "px_ring.h"

enum px__link_kind {
	PX__LINK_LOCAL = 0,
	PX__LINK_REACTOR = 1,
	PX__LINK_PROCESS = 2,
};

struct px_element;
struct px_pad;
struct px_caps;
struct px_segment;

/* One end of a link: the element there and its wait state. ELEM changes
 * while the pipeline runs only when px_pipeline_replace() hands the end to
 * a new element (release store on the end's thread); the other end loads
 * it to wake it (acquire: the new element's task is set up). */
struct px_link_end {
	_Atomic(struct px_element *) elem; /* NULL: in another process */
	bool blocked;		 /* producer, local kind: found the ring full */
	bool sleeping;		 /* this end's ring sleep flag is set */
	unsigned seen;		 /* consumer: items counted before work() */
};

/*
 * The process kind's wake primitive, for the end in this process: IN is the
 * eventfd the other process writes to wake us (a read op on our reactor
 * waits on it, or the owner itself after px__link_wake_init), OUT the one
 * we write (write(2): see link_process.c for why not an op) to wake it.
 */
struct px__link_wake {
	int in_fd, out_fd;
	struct px_reactor *reactor; /* where the read op runs (our end's) */
	struct px_task *task;	    /* what a wakeup schedules */
	struct px_op rd_op;
	uint64_t rd_val;
	bool closing;		    /* no re-arm: px__link_wake_stop() ran */
	void (*closed)(struct px__link_wake *w); /* the read op ended */
	uint64_t wakes_sent, wakes_received;
};

struct px_link {
	/* hot */
	struct px_ring_view ring; /* .ring NULL before READY; geometry
				   private, so a process peer cannot move it */
	unsigned half;		/* wake the producer at or below this count */
	uint8_t kind;		/* enum px__link_kind */
	struct px_link_end prod, cons;
	struct px__link_wake *wake; /* process kind: this end's primitive */
	/* cold */
	struct px_list node;	/* px_pipeline.links */
	struct px_pad *src, *sink; /* NULL for a process link's far end */
	struct px_caps *filter; /* NULL: none */
	struct px_caps *caps;	/* src ^ filter ^ sink, from validation, and
				   ^ the input's across a pass-through */
	struct px_element *caps_from; /* whose output those caps describe:
				   the producer, or upstream of pass-throughs */
	uint32_t caps_id;	/* CAPS caps, interned; 0 before validation */
	unsigned req_capacity;	/* asked at link time, 0: default */
	unsigned capacity;	/* ring slots (READY on) */
	void *mem;		/* ring memory: heap, or inside seg */
	size_t memsize;
	struct px_segment *seg;	/* process kind: the memfd under the ring */
};

/* ---- setup (application thread, nothing running) ------------------------ */

/*
 * px__link_alloc - give L (src/sink pads set, capacity chosen) its ring:
 * local when both ends share REACTOR index, else reactor kind. Heap memory.
 * Returns 0 or -ENOMEM.
 */
int px__link_alloc(struct px_link *l, bool same_reactor);
/* Empty L's ring again for a new run (items were released). */
void px__link_reset(struct px_link *l);
/* Free L's ring (not L). */
void px__link_free_ring(struct px_link *l);
/* "local", "reactor", "process", or "unallocated". */
const char *px__link_kind_name(const struct px_link *l);
/*
 * px__link_nodes - the NUMA nodes of the reactors that run L's two ends
 * into *SRC and *SINK (-1: not placed yet, or unknown). Returns whether
 * they differ (a cross-node link: every buffer it moves is remote memory
 * for one side).
 */
bool px__link_nodes(const struct px_link *l, int *src, int *sink);

/*
 * Process kind (link_process.c). The creator lays a ring of CAPACITY items
 * (ITEM_SIZE bytes) out at OFFSET inside SEG, a memfd segment it may share;
 * the peer attaches the same ring from its own mapping. L is caller memory
 * (zeroed); its owner sets the end in this process (prod or cons).
 * Returns 0, -EINVAL (no room in SEG, bad geometry), or px_ring_attach's
 * errors (a peer's ring that does not validate).
 */
int px__link_process_init(struct px_link *l, struct px_segment *seg,
			  size_t offset, uint32_t capacity);
int px__link_process_attach(struct px_link *l, struct px_segment *seg,
			    size_t offset);
/* Ring bytes (header + items) of CAPACITY 64-byte items. */
size_t px__link_process_memsize(uint32_t capacity);

/*
 * px__link_wake_start - arm W on REACTOR (its owning thread): the read op on
 * IN_FD (a blocking eventfd: io_uring honours O_NONBLOCK and would return
 * -EAGAIN) schedules TASK on every wakeup. OUT_FD is written by
 * px__link_wake_signal(). The fds stay the caller's.
 * Returns 0 or the px_io_read error.
 */
int px__link_wake_start(struct px__link_wake *w, struct px_reactor *reactor,
			struct px_task *task, int in_fd, int out_fd);
/* As px__link_wake_start, without the read op: the owner waits on IN_FD
 * itself (and reads it). px__link_wake_signal() works the same. */
void px__link_wake_init(struct px__link_wake *w, struct px_reactor *reactor,
			struct px_task *task, int in_fd, int out_fd);
/* Signal the other process (the thread that owns W's end). */
void px__link_wake_signal(struct px__link_wake *w);
/* Signal OUT_FD from any thread. */
void px__link_wake_signal_sync(int out_fd);
/*
 * px__link_wake_stop - cancel W's read op; W->closed (if set) runs once it
 * ended, on the reactor thread. Returns true when it already had.
 */
bool px__link_wake_stop(struct px__link_wake *w);

/* ---- the hot path: one switch per call ------------------------------------ */

/* Wake E from its reactor or any other thread (element.c). */
void px__element_wake(struct px_element *e);
/* Put E on its reactor's run queue (its own thread). */
void px__element_schedule_local(struct px_element *e);

/* Whether the two ends run concurrently (any kind but local): a consumer
 * must look again for items that landed while it worked. */
PX_INLINE bool px__link_concurrent(const struct px_link *l)
{
	return l->kind != PX__LINK_LOCAL;
}

/* The element at end E, as seen from this reactor: the same thread's
 * (local kind, relaxed) or another reactor's (acquire, pairs with the
 * release store of px_pipeline_replace's hand-over). */
PX_INLINE struct px_element *px__link_end_local(struct px_link_end *e)
{
	return atomic_load_explicit(&e->elem, memory_order_relaxed);
}

/* The far end of a process link is another process: wake it by eventfd. */
static inline void px__link_wake_far(struct px_link *l, struct px_link_end *e)
{
	if (l->kind == PX__LINK_PROCESS)
		px__link_wake_signal(l->wake);
	else
		px__element_wake(atomic_load_explicit(&e->elem,
						      memory_order_acquire));
}

/* After a push of items: make sure the consumer will look. Producer. */
PX_INLINE void px__link_wake_consumer(struct px_link *l)
{
	if (l->kind == PX__LINK_LOCAL)
		px__element_schedule_local(px__link_end_local(&l->cons));
	else if (px_ring_consumer_needs_wake(l->ring.ring))
		px__link_wake_far(l, &l->cons);
}

/* After a pull that left at most half: wake a producer that waits for room.
 * Consumer. */
PX_INLINE void px__link_wake_producer(struct px_link *l)
{
	if (l->kind == PX__LINK_LOCAL) {
		if (l->prod.blocked) {
			l->prod.blocked = false;
			px__element_schedule_local(
				px__link_end_local(&l->prod));
		}
	} else if (px_ring_producer_needs_wake(l->ring.ring)) {
		px__link_wake_far(l, &l->prod);
	}
}

/* The producer found no room: wait for it. Returns the room found after all
 * (a concurrent consumer drained meanwhile), usually 0. Producer. */
PX_INLINE unsigned px__link_producer_wait(struct px_link *l)
{
	if (l->kind == PX__LINK_LOCAL) {
		l->prod.blocked = true;
		return 0;
	}
	/* Still flagged: the wakeup is ours to wait for. Not any more: the
	 * consumer took the flag to wake us, so flag again and look. */
	if (l->prod.sleeping && px_ring_producer_flagged(l->ring.ring))
		return 0;
	l->prod.sleeping = px_ring_view_producer_sleep(&l->ring);
	return l->prod.sleeping ? 0 : px_ring_view_free_count(&l->ring);
}

/* The consumer found the ring empty and goes idle. Returns false when items
 * raced in (run again instead). Consumer. */
PX_INLINE bool px__link_consumer_wait(struct px_link *l)
{
	if (l->kind == PX__LINK_LOCAL)
		return true; /* a local push schedules us */
	/* As in px__link_producer_wait(): a flag that a producer took means a
	 * wakeup and an item are on their way; flag again and look. */
	if (l->cons.sleeping && px_ring_consumer_flagged(l->ring.ring))
		return true;
	l->cons.sleeping = px_ring_consumer_sleep(l->ring.ring);
	return l->cons.sleeping;
}

/* The producer's element runs again: it no longer waits. */
PX_INLINE void px__link_producer_resume(struct px_link *l)
{
	l->prod.blocked = false;
	if (l->prod.sleeping) {
		l->prod.sleeping = false;
		px_ring_producer_awake(l->ring.ring);
	}
}

/* The consumer's element runs again. */
PX_INLINE void px__link_consumer_resume(struct px_link *l)
{
	if (l->cons.sleeping) {
		l->cons.sleeping = false;
		px_ring_consumer_awake(l->ring.ring);
	}
}

/* Whether the producer waits for room (stops its work()). */
PX_INLINE bool px__link_producer_waiting(const struct px_link *l)
{
	return l->prod.blocked || l->prod.sleeping;
}

#endif /* PX_LINK_INT_H */
