// SPDX-License-Identifier: MIT
/*
 * reactor_uring.c - the io_uring backend: ring setup on the owning thread,
 * one io_uring_enter per loop turn, SQEs for every op, CQEs turned back
 * into exactly-once callbacks, MSG_RING wakeups. The only file of the
 * reactor that calls liburing.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/time_types.h>
#include <poll.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "px_probe.h"
#include "px_uring_compat_int.h"
#include "reactor_int.h"

_Static_assert(offsetof(struct px_op, ts_nsec) ==
		       offsetof(struct px_op, ts_sec) + 8,
	       "px_op timeout storage must look like __kernel_timespec");
_Static_assert(sizeof(struct __kernel_timespec) == 16, "timespec ABI");

struct px__uring {
	struct io_uring ring;
	unsigned setup_flags;
	bool blind_defer;	/* DEFER_TASKRUN without TASKRUN_FLAG */
	bool reg_ring;
	bool can_msg_ring;
	uint64_t wake_buf;	/* the eventfd read's target */
	struct px_op wake_op;	/* PX__OPK_WAKE_READ */
	struct px_op sink_op;	/* PX__OPK_SINK */
	struct px_op msg_out_op; /* PX__OPK_MSG_SOURCE: failed MSG_RINGs we sent */

	/* Shared with posters running other reactors' loops. */
	alignas(PX_CACHE_LINE) atomic_int msg_fd; /* ring fd once up, else -1 */
	atomic_uint msg_users;	/* posters between reading msg_fd and submit */
	struct px_op msg_op;	/* PX__OPK_MSG_TARGET (read-only after create) */
};

static inline struct px__uring *U(const struct px_reactor *r)
{
	return r->be_state;
}

static int u_create(struct px_reactor *r)
{
	struct px__uring *u = aligned_alloc(
		PX_CACHE_LINE, PX_ALIGN_UP(sizeof(*u), (size_t)PX_CACHE_LINE));

	if (!u)
		return -ENOMEM;
	memset(u, 0, sizeof(*u));
	u->can_msg_ring = !r->no_msg_ring && px_feature_has(PX_FEAT_MSG_RING);
	u->wake_op.kind = PX__OPK_WAKE_READ;
	u->sink_op.kind = PX__OPK_SINK;
	u->msg_op.kind = PX__OPK_MSG_TARGET;
	u->msg_out_op.kind = PX__OPK_MSG_SOURCE;
	atomic_init(&u->msg_fd, -1);
	atomic_init(&u->msg_users, 0);
	r->be_state = u;
	return 0;
}

static void u_destroy(struct px_reactor *r)
{
	free(r->be_state);
	r->be_state = NULL;
}

/* ------------------------------------------------------------------------ */
/* Entering the kernel                                                       */

static bool u_need_events(const struct px_reactor *r)
{
	const struct px__uring *u = U(r);

	/* DEFER_TASKRUN without TASKRUN_FLAG: no way to know, always enter. */
	if (px_unlikely(u->blind_defer))
		return true;
	/* Kernel-written flags: TASKRUN = deferred completions to collect. */
	return IO_URING_READ_ONCE(*u->ring.sq.kflags) &
	       (IORING_SQ_TASKRUN | IORING_SQ_CQ_OVERFLOW);
}

static bool u_events_pending(const struct px_reactor *r)
{
	return io_uring_cq_ready(&U(r)->ring) || u_need_events(r);
}

static bool u_queued(const struct px_reactor *r)
{
	return io_uring_sq_ready(&U(r)->ring) != 0;
}

static bool u_hidden(const struct px_reactor *r)
{
	(void)r; /* completions land in the CQ ring, readable from memory */
	return false;
}

/* Enter the kernel once: submit what is queued, collect, maybe wait. */
static void u_enter(struct px_reactor *r, bool wait)
{
	struct io_uring *ring = &U(r)->ring;
	unsigned before = io_uring_sq_ready(ring);
	int ret;

	if (wait) {
		ret = io_uring_submit_and_wait(ring, 1);
		PX__COUNT(r, sleeps, 1);
	} else {
		if (!before && !u_need_events(r))
			return;
		ret = io_uring_submit_and_get_events(ring);
	}
	PX__COUNT(r, submits, 1);
	/* -EINTR, -EAGAIN, -EBUSY: unsubmitted SQEs stay queued for next turn. */
	(void)ret;
	PX__COUNT(r, sqes, before - io_uring_sq_ready(ring));
}

static struct io_uring_sqe *get_sqe(struct px_reactor *r)
{
	struct io_uring *ring = &U(r)->ring;
	struct io_uring_sqe *sqe = io_uring_get_sqe(ring);
	unsigned before;

	if (px_likely(sqe != NULL))
		return sqe;
	before = io_uring_sq_ready(ring);
	io_uring_submit(ring);
	PX__COUNT(r, submits, 1);
	PX__COUNT(r, sq_flushes, 1);
	PX__COUNT(r, sqes, before - io_uring_sq_ready(ring));
	return io_uring_get_sqe(ring);
}

/* ------------------------------------------------------------------------ */
/* Ops                                                                       */

/* PX_FIXED_FD(i) becomes a fixed-file SQE. Call after the prep helper. */
static void sqe_fd(struct io_uring_sqe *sqe, int fd)
{
	if (fd >= 0 && (fd & PX_FD_FIXED_BIT)) {
		sqe->fd = fd & ~PX_FD_FIXED_BIT;
		sqe->flags |= IOSQE_FIXED_FILE;
	}
}

/* Reads and writes: the fixed-buffer opcode when BUF lies in memory
 * registered with R (a pool slot), the plain one otherwise. */
static void prep_rw(struct px_reactor *r, struct io_uring_sqe *sqe,
		    struct px_op *op, bool write)
{
	int idx = px__reactor_fixed_index(r, op->buf, op->len);

	if (idx >= 0) {
		if (write)
			io_uring_prep_write_fixed(sqe, op->fd, op->buf, op->len,
						  op->off, idx);
		else
			io_uring_prep_read_fixed(sqe, op->fd, op->buf, op->len,
						 op->off, idx);
		PX__COUNT(r, fixed_ops, 1);
	} else if (write) {
		io_uring_prep_write(sqe, op->fd, op->buf, op->len, op->off);
	} else {
		io_uring_prep_read(sqe, op->fd, op->buf, op->len, op->off);
	}
}

static void prep_send_zc(struct px_reactor *r, struct io_uring_sqe *sqe,
			 struct px_op *op)
{
	int idx = px__reactor_fixed_index(r, op->buf, op->len);

	if (idx >= 0) {
		io_uring_prep_send_zc_fixed(sqe, op->fd, op->buf, op->len,
					    op->flags, 0, (unsigned)idx);
		PX__COUNT(r, fixed_ops, 1);
	} else {
		io_uring_prep_send_zc(sqe, op->fd, op->buf, op->len, op->flags,
				      0);
	}
	PX__COUNT(r, zc_sends, 1);
}

static int u_submit(struct px_reactor *r, struct px_op *op)
{
	struct io_uring_sqe *sqe = get_sqe(r);

	if (px_unlikely(!sqe))
		return -EBUSY;
	switch (op->code) {
	case PX__IO_NOP:
		io_uring_prep_nop(sqe);
		break;
	case PX__IO_READ:
	case PX__IO_WRITE:
		prep_rw(r, sqe, op, op->code == PX__IO_WRITE);
		break;
	case PX__IO_RECV:
		io_uring_prep_recv(sqe, op->fd, op->buf, op->len, op->flags);
		break;
	case PX__IO_SEND:
		io_uring_prep_send(sqe, op->fd, op->buf, op->len, op->flags);
		break;
	case PX__IO_SEND_ZC:
		prep_send_zc(r, sqe, op);
		break;
	case PX__IO_SENDMSG_ZC:
		io_uring_prep_sendmsg_zc(sqe, op->fd, op->buf,
					 (unsigned)op->flags);
		PX__COUNT(r, zc_sends, 1);
		break;
	case PX__IO_SENDMSG:
		io_uring_prep_sendmsg(sqe, op->fd, op->buf, (unsigned)op->flags);
		break;
	case PX__IO_RECVMSG:
		io_uring_prep_recvmsg(sqe, op->fd, op->buf, (unsigned)op->flags);
		if (op->state & PX__OP_POLL_FIRST)
			sqe->ioprio |= IORING_RECVSEND_POLL_FIRST;
		break;
	case PX__IO_ACCEPT:
		if (op->state & PX__OP_MULTI)
			io_uring_prep_multishot_accept(sqe, op->fd, op->buf,
						       op->arg, op->flags);
		else
			io_uring_prep_accept(sqe, op->fd, op->buf, op->arg,
					     op->flags);
		break;
	case PX__IO_CONNECT:
		io_uring_prep_connect(sqe, op->fd, op->buf, op->len);
		break;
	case PX__IO_TIMEOUT:
		/* The kernel reads the timespec at submit: it lives in the op. */
		op->ts_sec = (int64_t)(op->off / 1000000000u);
		op->ts_nsec = (int64_t)(op->off % 1000000000u);
		io_uring_prep_timeout(sqe,
				      (struct __kernel_timespec *)&op->ts_sec,
				      0, 0);
		break;
	case PX__IO_FSYNC:
		io_uring_prep_fsync(sqe, op->fd,
				    op->flags ? IORING_FSYNC_DATASYNC : 0);
		break;
	default: /* PX__IO_POLL */
		io_uring_prep_poll_add(sqe, op->fd, op->len);
		break;
	}
	if (op->code != PX__IO_NOP && op->code != PX__IO_TIMEOUT)
		sqe_fd(sqe, op->fd);
	io_uring_sqe_set_data(sqe, op);
	return 0;
}

static int u_cancel(struct px_reactor *r, struct px_op *op)
{
	struct io_uring_sqe *sqe;

	if (op->state & PX__OP_ZC_WAIT)
		return -EALREADY;
	sqe = get_sqe(r);
	if (!sqe)
		return -EBUSY;
	io_uring_prep_cancel(sqe, op, 0);
	io_uring_sqe_set_data(sqe, &U(r)->sink_op);
	r->inflight++;
	return 0;
}

/* Stop: one IORING_ASYNC_CANCEL_ANY catches every request of this ring. */
static bool u_cancel_all(struct px_reactor *r)
{
	struct io_uring_sqe *sqe;

	if (r->inflight == 0)
		return true;
	sqe = get_sqe(r);
	if (!sqe)
		return false;
	io_uring_prep_cancel64(sqe, 0, IORING_ASYNC_CANCEL_ANY);
	io_uring_sqe_set_data(sqe, &U(r)->sink_op);
	r->inflight++;
	return true;
}

static int arm_wake(struct px_reactor *r)
{
	struct px__uring *u = U(r);
	struct io_uring_sqe *sqe = get_sqe(r);

	if (!sqe)
		return -EBUSY;
	io_uring_prep_read(sqe, r->efd, &u->wake_buf, sizeof(u->wake_buf), 0);
	io_uring_sqe_set_data(sqe, &u->wake_op);
	r->inflight++;
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Completions                                                               */

static void dispatch_internal(struct px_reactor *r, struct px_op *op, int res)
{
	switch (op->kind) {
	case PX__OPK_WAKE_READ:
		r->inflight--;
		/* A hard error would only repeat: stay disarmed then. */
		if (!r->stopping && (res >= 0 || res == -EINTR || res == -EAGAIN))
			arm_wake(r);
		break;
	case PX__OPK_MSG_TARGET:
		/* Not our SQE: nothing in flight; the turn drains posts. */
		break;
	case PX__OPK_MSG_SOURCE:
		/* CQE_SKIP_SUCCESS: only failures get here, not counted. */
		PX__COUNT(r, msg_errors, 1);
		break;
	default: /* PX__OPK_SINK: cancel requests */
		r->inflight--;
		break;
	}
}

static void dispatch(struct px_reactor *r, const struct io_uring_cqe *cqe)
{
	struct px_op *op = (struct px_op *)(uintptr_t)cqe->user_data;
	int res = cqe->res;
	unsigned st;

	if (px_unlikely(op->kind != PX__OPK_USER)) {
		dispatch_internal(r, op, res);
		return;
	}
	st = op->state;
	if (px_unlikely(st & (PX__OP_ZC | PX__OP_MULTI | PX__OP_TIMEOUT))) {
		if (st & PX__OP_ZC) {
			if (cqe->flags & IORING_CQE_F_NOTIF) {
				res = op->res;
			} else if (cqe->flags & IORING_CQE_F_MORE) {
				/* The buffer is still the kernel's. */
				op->res = res;
				op->state = (uint16_t)(st | PX__OP_ZC_WAIT);
				return;
			}
		} else if (st & PX__OP_MULTI) {
			if (cqe->flags & IORING_CQE_F_MORE) {
				px__op_complete(r, op, res, PX_OP_MORE);
				return;
			}
		} else if (res == -ETIME) {
			res = 0;
		}
	}
	px__op_complete(r, op, res, 0);
}

static unsigned u_reap(struct px_reactor *r)
{
	struct io_uring *ring = &U(r)->ring;
	struct io_uring_cqe *cqe;
	unsigned head, n = 0;

	io_uring_for_each_cqe(ring, head, cqe) {
		dispatch(r, cqe);
		n++;
	}
	if (n) {
		io_uring_cq_advance(ring, n);
		PX__COUNT(r, cqes, n);
	}
	return n;
}

/* ------------------------------------------------------------------------ */
/* Setup on the owning thread                                                */

static int ring_init(struct px_reactor *r, bool embedded)
{
	/*
	 * Most capable first; each -EINVAL drops a flag the kernel does not
	 * know. no_defer_taskrun skips the DEFER_TASKRUN entries.
	 *
	 * Embedded rings never defer task work. Their owner sleeps in poll(2)
	 * or an embedder's epoll on the registered eventfd, not in the
	 * kernel, and with DEFER_TASKRUN the kernel signalled that eventfd
	 * for a completion arriving meanwhile 13.8 ms late every time on
	 * kernel 6.18 (a read on a socket or an eventfd that another process
	 * writes; 20-30 us without DEFER_TASKRUN, same test). Two such
	 * processes woke at the same instant, which points at io_uring's
	 * deferred eventfd signal (an RCU callback). They skip COOP_TASKRUN
	 * too, so that task work interrupts such a sleep.
	 */
	static const unsigned thread_tries[] = {
		IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN |
			IORING_SETUP_TASKRUN_FLAG | IORING_SETUP_SUBMIT_ALL,
		IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN |
			IORING_SETUP_SUBMIT_ALL,
		IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_COOP_TASKRUN |
			IORING_SETUP_TASKRUN_FLAG | IORING_SETUP_SUBMIT_ALL,
		IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG |
			IORING_SETUP_SUBMIT_ALL,
		IORING_SETUP_SUBMIT_ALL,
		0,
	};
	static const unsigned embedded_tries[] = {
		IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_SUBMIT_ALL,
		IORING_SETUP_SUBMIT_ALL,
		0,
	};
	struct px__uring *u = U(r);
	const unsigned *tries = embedded ? embedded_tries : thread_tries;
	size_t ntries = embedded ? PX_ARRAY_SIZE(embedded_tries)
				 : PX_ARRAY_SIZE(thread_tries);
	struct io_uring_params p;
	int ret = -EINVAL;

	for (size_t i = 0; i < ntries; i++) {
		if (r->no_defer && (tries[i] & IORING_SETUP_DEFER_TASKRUN))
			continue;
		memset(&p, 0, sizeof(p));
		p.flags = tries[i];
		ret = io_uring_queue_init_params(r->sq_entries, &u->ring, &p);
		if (ret != -EINVAL)
			break;
	}
	/*
	 * Without CAP_IPC_LOCK a ring's memory counts against RLIMIT_MEMLOCK,
	 * and the kernel gives it back from a workqueue some time after the
	 * ring's fd is closed: a user program that stops and starts reactors
	 * quickly (test_reactor.churn as nobody, 8 MiB) briefly finds its own
	 * closed rings still counted. Give that release up to 2 s, looking
	 * again after 1, 2, 4 ... 64 ms: 100 ms was not always enough on a
	 * loaded machine (CI, once), and a user who really is out of locked
	 * memory only hears so later.
	 */
	for (long ms = 1, waited = 0; ret == -ENOMEM && waited < 2000;
	     waited += ms, ms = PX_MIN(ms * 2, 64)) {
		struct timespec ts = { 0, ms * 1000000 };
		unsigned flags = p.flags;

		nanosleep(&ts, NULL);
		memset(&p, 0, sizeof(p));
		p.flags = flags;
		ret = io_uring_queue_init_params(r->sq_entries, &u->ring, &p);
	}
	if (ret == -EPERM || ret == -ENOSYS)
		return -ENOSYS; /* io_uring_disabled, seccomp */
	if (ret < 0)
		return ret;
	u->setup_flags = p.flags;
	u->blind_defer = (p.flags & IORING_SETUP_DEFER_TASKRUN) &&
			 !(p.flags & IORING_SETUP_TASKRUN_FLAG);
	u->reg_ring = io_uring_register_ring_fd(&u->ring) == 1;
	return 0;
}

static int u_setup(struct px_reactor *r, bool embedded)
{
	struct px__uring *u = U(r);
	int ret = ring_init(r, embedded);

	if (ret < 0)
		return ret;
	ret = io_uring_register_buffers_sparse(&u->ring, r->max_bufs);
	if (ret < 0)
		goto err_exit;
	ret = io_uring_register_files_sparse(&u->ring, r->max_files);
	if (ret < 0)
		goto err_exit;
	if (embedded) {
		/* The embedder polls the eventfd: the kernel signals it on
		 * completions, posters on tasks. run_once drains it. */
		ret = io_uring_register_eventfd(&u->ring, r->efd);
		if (ret < 0)
			goto err_exit;
		if (fcntl(r->efd, F_SETFL, O_NONBLOCK) < 0) {
			ret = -errno;
			goto err_exit;
		}
	} else {
		ret = arm_wake(r);
		if (ret < 0)
			goto err_exit;
	}
	/* M1: release, pairs with P4 in u_wake_from(): a poster that reads
	 * the fd also sees the ring set up. */
	atomic_store_explicit(&u->msg_fd, u->ring.ring_fd, memory_order_release);
	return 0;

err_exit:
	io_uring_queue_exit(&u->ring);
	return ret;
}

static void u_teardown(struct px_reactor *r)
{
	struct px__uring *u = U(r);

	/* T1/T2, pairs with P3/P4 in u_wake_from(). */
	atomic_store_explicit(&u->msg_fd, -1, memory_order_seq_cst);
	while (atomic_load_explicit(&u->msg_users, memory_order_seq_cst))
		sched_yield();
	io_uring_queue_exit(&u->ring);
}

/* ------------------------------------------------------------------------ */
/* Wakeups across reactors                                                   */

/* Queue a MSG_RING on CUR's ring for R and submit it at once. */
static bool u_wake_from(struct px_reactor *cur, struct px_reactor *r)
{
	struct px__uring *cu = U(cur), *ru = U(r);
	struct io_uring_sqe *sqe;
	bool sent = false;
	int fd;

	if (!ru->can_msg_ring)
		return false;
	/*
	 * P3/P4 against T1/T2 in u_teardown(): either we see msg_fd == -1,
	 * or R's teardown sees us in msg_users and waits until our submit has
	 * taken the kernel's reference on R's ring fd. Submitting here rather
	 * than at the end of CUR's turn keeps that window one syscall long.
	 */
	atomic_fetch_add_explicit(&ru->msg_users, 1, memory_order_seq_cst);
	fd = atomic_load_explicit(&ru->msg_fd, memory_order_seq_cst);
	if (fd >= 0 && (sqe = get_sqe(cur)) != NULL) {
		io_uring_prep_msg_ring(sqe, fd, 0,
				       (uint64_t)(uintptr_t)&ru->msg_op, 0);
		io_uring_sqe_set_data(sqe, &cu->msg_out_op);
		sqe->flags |= IOSQE_CQE_SKIP_SUCCESS;
		u_enter(cur, false);
		if (io_uring_sq_ready(&cu->ring)) {
			/* Not consumed: defuse it before R's fd can be reused. */
			io_uring_prep_nop(sqe);
			io_uring_sqe_set_data(sqe, &cu->msg_out_op);
			sqe->flags |= IOSQE_CQE_SKIP_SUCCESS;
		} else {
			sent = true;
		}
	}
	/* P5: release, pairs with T2: our submit happens before R's exit. */
	atomic_fetch_sub_explicit(&ru->msg_users, 1, memory_order_release);
	return sent;
}

/* ------------------------------------------------------------------------ */
/* Embedding                                                                 */

/*
 * A full fence. GCC cannot instrument atomic_thread_fence under TSan (and
 * warns, -Wtsan), so there a locked read-modify-write on a local stands in:
 * on x86 and arm64 it orders all earlier and later accesses just the same.
 */
#if defined(__SANITIZE_THREAD__)
static inline void full_fence(void)
{
	atomic_int f = 0;

	atomic_fetch_add_explicit(&f, 0, memory_order_seq_cst);
}
#else
static inline void full_fence(void)
{
	atomic_thread_fence(memory_order_seq_cst);
}
#endif

/*
 * The embedded fd. The kernel signals it (io_uring_register_eventfd) for
 * completions and deferred work arriving between run_once calls; posters
 * and kicks write it. Inside run_once the kernel's signals are switched off
 * (IORING_CQ_EVENTFD_DISABLED): our own enters would only make it fire for
 * work already done.
 */
static void u_embed_active(struct px_reactor *r, bool active)
{
	io_uring_cq_eventfd_toggle(&U(r)->ring, !active);
}

/* Nothing to do: sleep in poll(2) on the fd, up to TIMEOUT_MS. Called
 * with sleeping = 1 and the post list seen empty (R1, R2). */
static void u_embed_wait(struct px_reactor *r, int timeout_ms)
{
	struct pollfd pfd = { .fd = r->efd, .events = POLLIN };

	u_enter(r, false); /* ship queued SQEs first */
	io_uring_cq_eventfd_toggle(&U(r)->ring, true);
	/*
	 * E1: full fence between enabling the kernel's signal and looking at
	 * the rings, against the kernel's "post, then test the flag and
	 * signal": either we see its work or it signals.
	 */
	full_fence();
	if (!px__reactor_work_pending(r)) {
		PX__COUNT(r, sleeps, 1);
		if (poll(&pfd, 1, timeout_ms) > 0)
			px__reactor_efd_drain(r);
	}
	io_uring_cq_eventfd_toggle(&U(r)->ring, false);
}

static int u_poll_fd(const struct px_reactor *r)
{
	return r->efd;
}

/* ------------------------------------------------------------------------ */
/* Registered resources and stats                                            */

static int u_buffer_set(struct px_reactor *r, unsigned i, void *base,
			size_t len)
{
	struct iovec iov = { .iov_base = base, .iov_len = len };
	__u64 tag = 0;
	int ret = io_uring_register_buffers_update_tag(&U(r)->ring, i, &iov,
						       &tag, 1);

	return ret < 0 ? ret : 0;
}

static int u_file_set(struct px_reactor *r, unsigned i, int fd, int *keep)
{
	int ret = io_uring_register_files_update(&U(r)->ring, i, &fd, 1);

	if (ret < 0)
		return ret;
	*keep = fd;
	return 0;
}

static void u_stats(const struct px_reactor *r, struct px_reactor_stats *st)
{
	const struct px__uring *u = U(r);

	st->setup_flags = u->setup_flags;
	st->single_issuer = u->setup_flags & IORING_SETUP_SINGLE_ISSUER;
	st->defer_taskrun = u->setup_flags & IORING_SETUP_DEFER_TASKRUN;
	st->registered_ring = u->reg_ring;
}

const struct px__backend px__backend_uring = {
	.id = PX_BACKEND_IO_URING,
	.create = u_create,
	.destroy = u_destroy,
	.setup = u_setup,
	.teardown = u_teardown,
	.submit = u_submit,
	.cancel = u_cancel,
	.cancel_all = u_cancel_all,
	.enter = u_enter,
	.reap = u_reap,
	.events_pending = u_events_pending,
	.queued = u_queued,
	.hidden = u_hidden,
	.wake_from = u_wake_from,
	.embed_wait = u_embed_wait,
	.embed_active = u_embed_active,
	.poll_fd = u_poll_fd,
	.buffer_set = u_buffer_set,
	.file_set = u_file_set,
	.stats = u_stats,
};
