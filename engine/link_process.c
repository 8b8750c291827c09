// SPDX-License-Identifier: MIT
/*
 * link_process.c - the process kind: an SPSC ring inside a memfd segment
 * that two processes map, and its wake primitive, a pair of eventfds. The
 * end that sleeps keeps a read op on its IN eventfd; the other side writes
 * OUT when the ring's sleep flag says so (px_ring.h: the flag protocol
 * sends a wakeup only to a sleeper, so a busy stream costs no syscall).
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "link_int.h"
#include "px_segment.h"

size_t px__link_process_memsize(uint32_t capacity)
{
	return px_ring_memsize(capacity, sizeof(struct px_item));
}

/* The element of the end in this process is set by its owner. */
static void set_end(struct px_link *l)
{
	l->kind = PX__LINK_PROCESS;
	l->capacity = px_ring_view_capacity(&l->ring);
	l->half = l->capacity / 2;
}

int px__link_process_init(struct px_link *l, struct px_segment *seg,
			  size_t offset, uint32_t capacity)
{
	size_t need = px__link_process_memsize(capacity);
	int err;

	if (!need || offset % PX_CACHE_LINE || offset + need > seg->size)
		return -EINVAL;
	l->mem = (char *)seg->base + offset;
	l->memsize = need;
	l->seg = seg;
	err = px_ring_view_init(&l->ring, l->mem, need, capacity,
				sizeof(struct px_item), PX_RING_SPSC);
	if (err)
		return err;
	set_end(l);
	return 0;
}

int px__link_process_attach(struct px_link *l, struct px_segment *seg,
			    size_t offset)
{
	int err;

	if (offset % PX_CACHE_LINE || offset >= seg->size)
		return -EINVAL;
	err = px_ring_view_attach(&l->ring, (char *)seg->base + offset,
				  seg->size - offset);
	if (err)
		return err;
	/* A peer's ring must be what the protocol expects: SPSC of items. */
	if (px_ring_view_kind(&l->ring) != PX_RING_SPSC ||
	    px_ring_view_item_size(&l->ring) != sizeof(struct px_item)) {
		l->ring.ring = NULL;
		return -EPROTO;
	}
	l->mem = l->ring.ring;
	l->memsize = px__link_process_memsize(px_ring_view_capacity(&l->ring));
	l->seg = seg;
	set_end(l);
	return 0;
}

/* ---- the wake primitive ------------------------------------------------- */

static void wake_maybe_closed(struct px__link_wake *w)
{
	if (w->closing && !px_op_busy(&w->rd_op) && w->closed) {
		void (*fn)(struct px__link_wake *) = w->closed;

		w->closed = NULL;
		fn(w);
	}
}

static void wake_arm(struct px__link_wake *w);

static void wake_read_done(struct px_op *op, int res, uint32_t flags)
{
	struct px__link_wake *w = px_container_of(op, struct px__link_wake,
						  rd_op);

	(void)flags;
	if (w->closing) {
		wake_maybe_closed(w);
		return;
	}
	if (res > 0)
		w->wakes_received++;
	/* An error still schedules: the task looks at the link and the
	 * socket, which says whether the peer is gone. */
	px_reactor_schedule(w->reactor, w->task);
	wake_arm(w);
}

static void wake_arm(struct px__link_wake *w)
{
	if (px_io_read(w->reactor, &w->rd_op, w->in_fd, &w->rd_val,
		       sizeof(w->rd_val), (uint64_t)-1, wake_read_done) < 0)
		px_reactor_schedule(w->reactor, w->task); /* -ESHUTDOWN */
}

void px__link_wake_init(struct px__link_wake *w, struct px_reactor *reactor,
			struct px_task *task, int in_fd, int out_fd)
{
	px_op_init(&w->rd_op);
	w->reactor = reactor;
	w->task = task;
	w->in_fd = in_fd;
	w->out_fd = out_fd;
	w->closing = false;
}

int px__link_wake_start(struct px__link_wake *w, struct px_reactor *reactor,
			struct px_task *task, int in_fd, int out_fd)
{
	int err;

	px__link_wake_init(w, reactor, task, in_fd, out_fd);
	err = px_io_read(reactor, &w->rd_op, in_fd, &w->rd_val,
			 sizeof(w->rd_val), (uint64_t)-1, wake_read_done);
	return err < 0 ? err : 0;
}

/*
 * A plain write(2), not an io_uring write: the kernel cannot complete an
 * eventfd write inline from io_uring and hands each one to an io-wq worker
 * thread (perf on the ipc scenario showed iou-wrk threads at 13-14% of the
 * CPU, and half the throughput). The flag protocol keeps these rare: only
 * a sleeping peer is written to.
 */
void px__link_wake_signal(struct px__link_wake *w)
{
	if (w->closing)
		return;
	w->wakes_sent++;
	px__link_wake_signal_sync(w->out_fd);
}

void px__link_wake_signal_sync(int out_fd)
{
	uint64_t one = 1;
	ssize_t n = write(out_fd, &one, sizeof(one));

	/* EAGAIN: the counter is saturated, which still wakes the reader;
	 * EBADF/EPIPE cannot wake anyone any more. */
	(void)n;
}

bool px__link_wake_stop(struct px__link_wake *w)
{
	w->closing = true;
	if (px_op_busy(&w->rd_op))
		(void)px_io_cancel(w->reactor, &w->rd_op);
	if (!px_op_busy(&w->rd_op)) {
		w->closed = NULL;
		return true;
	}
	return false;
}
