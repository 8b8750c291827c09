// SPDX-License-Identifier: MIT
/*
 * reactor_post.c - tasks: the owner-only run queue, the lock-free MPSC post
 * list that any thread may push to, and the wakeup that goes with a post
 * (MSG_RING from another reactor, eventfd otherwise).
 */
#include <errno.h>

#include "reactor_int.h"

/*
 * Wake protocol (a Dekker pair on post_head and sleeping):
 *
 *   reactor, before blocking          poster (px_reactor_post)
 *   R1: sleeping = 1        seq_cst   P1: push onto post_head   seq_cst
 *   R2: load post_head      seq_cst   P2: load sleeping         seq_cst
 *       non-empty: do not block           1 and exchange(0) won: wake once
 *
 * In the single total order of seq_cst operations either R2 sees P1's push
 * (the reactor does not block) or P2 sees R1 (the poster wakes it), so a
 * post is never stranded. The exchange lets only one poster per sleep send
 * a wakeup; a wakeup that finds the reactor awake is a harmless spurious
 * completion. While spinning the flag stays 0, so posters send nothing.
 * An embedded reactor keeps the flag at 1 between run_once calls (R1' in
 * reactor_embed.c), so posts then make its fd readable.
 *
 * The wakeup: from a thread running another reactor's loop, a MSG_RING on
 * that reactor's ring (the target's CQE lands in its ring: a thread-mode
 * target wakes from io_uring_enter, an embedded one's registered eventfd
 * fires); from any other thread, a write to the target's eventfd (a started
 * target keeps a read armed on it). The MSG_RING is submitted at once,
 * bracketed by msg_users (P3..P5 against T1/T2 in reactor_uring.c), so
 * the target cannot close its ring fd between our reading it and the
 * kernel taking its reference. The epoll backend has no MSG_RING: every
 * wakeup there is the eventfd write, which its epoll set watches.
 *
 * Each task's posted flag (C1/C2) makes a second post of a queued task a
 * no-op and keeps post_next stable while the list is walked.
 */

/* ------------------------------------------------------------------------ */
/* Tasks and posts                                                           */

PX_API void px_task_init(struct px_task *t, px_task_fn fn)
{
	t->fn = fn;
	px_list_init(&t->node);
	atomic_init(&t->post_next, NULL);
	atomic_init(&t->posted, 0);
}

PX_API void px_reactor_schedule(struct px_reactor *r, struct px_task *t)
{
	if (!px_list_linked(&t->node)) {
		px_list_add_tail(&r->runq, &t->node);
		px__reactor_kick(r);
	}
}

/* Move a detached post list (newest first) onto the run queue, oldest first. */
void px__reactor_schedule_posted(struct px_reactor *r, struct px_task *list)
{
	struct px_task *fifo = NULL, *next;

	while (list) {
		/* Relaxed: the acquire exchange that detached LIST ordered it. */
		next = atomic_load_explicit(&list->post_next,
					    memory_order_relaxed);
		atomic_store_explicit(&list->post_next, fifo,
				      memory_order_relaxed);
		fifo = list;
		list = next;
	}
	while (fifo) {
		next = atomic_load_explicit(&fifo->post_next,
					    memory_order_relaxed);
		/*
		 * C1: acq_rel exchange, pairs with C2 in px_reactor_post():
		 * release so our read of post_next happens before a re-post
		 * overwrites it; acquire so that fn also sees what a poster
		 * whose post found the task already posted (a no-op) wrote
		 * before posting: C1 reads the last C2 in posted's order.
		 */
		atomic_exchange_explicit(&fifo->posted, 0, memory_order_acq_rel);
		px_reactor_schedule(r, fifo);
		fifo = next;
	}
}

void px__reactor_drain_posts(struct px_reactor *r)
{
	struct px_task *list;

	/* Relaxed peek: the exchange below does the ordering. */
	if (r->post_closed ||
	    !atomic_load_explicit(&r->post_head, memory_order_relaxed))
		return;
	/* A1: acquire, pairs with P1 (the publishing CAS) in post. */
	list = atomic_exchange_explicit(&r->post_head, NULL,
					memory_order_acquire);
	px__reactor_schedule_posted(r, list);
}

static void wake(struct px_reactor *r)
{
	struct px_reactor *cur = px__reactor_tls_current;

	/* Relaxed counters below: statistics only. */
	if (cur && cur != r && cur->be == r->be && px__reactor_owned(cur) &&
	    cur->ring_up && r->be->wake_from(cur, r)) {
		atomic_fetch_add_explicit(&r->sent_msg_ring, 1,
					  memory_order_relaxed);
		return;
	}
	atomic_fetch_add_explicit(&r->sent_eventfd, 1, memory_order_relaxed);
	px__eventfd_signal(r->efd);
}

PX_API int px_reactor_post(struct px_reactor *r, struct px_task *t)
{
	struct px_task *head;

	if (px__reactor_owned(r) && r->ring_up) {
		px_reactor_schedule(r, t);
		return 0;
	}
	/* C2: acq_rel, pairs with C1 (see there). */
	if (atomic_exchange_explicit(&t->posted, 1, memory_order_acq_rel))
		return 0; /* already on the list: fn will run */
	/* Relaxed: only a first guess for the CAS (P1), which orders. */
	head = atomic_load_explicit(&r->post_head, memory_order_relaxed);
	do {
		if (head == PX__POST_CLOSED) {
			/* Relaxed: T was never published. */
			atomic_store_explicit(&t->posted, 0,
					      memory_order_relaxed);
			return -ESHUTDOWN;
		}
		/* Relaxed: published by the CAS's release (P1). */
		atomic_store_explicit(&t->post_next, head,
				      memory_order_relaxed);
		/* P1: seq_cst (release for A1, total order for R1/R2). */
	} while (!atomic_compare_exchange_weak_explicit(
		&r->post_head, &head, t, memory_order_seq_cst,
		memory_order_relaxed));
	atomic_fetch_add_explicit(&r->posts, 1, memory_order_relaxed); /* stats */
	/* P2: seq_cst, pairs with R1/R2; the exchange elects one waker. */
	if (atomic_load_explicit(&r->sleeping, memory_order_seq_cst) &&
	    atomic_exchange_explicit(&r->sleeping, 0, memory_order_relaxed)) {
		/* Relaxed: a hint for the spin's adaptation, read after the
		 * wakeup this sends. */
		atomic_store_explicit(&r->woken_at, px__now_ns(),
				      memory_order_relaxed);
		wake(r);
	}
	return 0;
}

unsigned px__reactor_run_tasks(struct px_reactor *r)
{
	unsigned n = 0;
	struct px_list *node;

	while (n < r->task_budget && (node = px_list_first(&r->runq))) {
		struct px_task *t = px_list_entry(node, struct px_task, node);

		px_list_del(node);
		n++;
		t->fn(t);
	}
	if (n)
		PX__COUNT(r, tasks, n);
	return n;
}

