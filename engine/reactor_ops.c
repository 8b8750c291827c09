// SPDX-License-Identifier: MIT
/*
 * reactor_ops.c - the op API elements use instead of io_uring, and the
 * completion dispatch that turns CQEs back into exactly-once callbacks.
 */
#include <errno.h>
#include <linux/time_types.h>

#include "px_probe.h"
#include "reactor_int.h"

_Static_assert(offsetof(struct px_op, ts_nsec) ==
		       offsetof(struct px_op, ts_sec) + 8,
	       "px_op timeout storage must look like __kernel_timespec");
_Static_assert(sizeof(struct __kernel_timespec) == 16, "timespec ABI");

/* Checks shared by every op; on success *SQE is ready to prep. */
static int op_begin(struct px_reactor *r, struct px_op *op, px_op_fn cb,
		    struct io_uring_sqe **sqe)
{
	if (px_unlikely(!r || !op || !cb))
		return -EINVAL;
	if (px_unlikely(!px__reactor_owned(r) || !r->ring_up))
		return -EPERM;
	if (px_unlikely(r->stopping))
		return -ESHUTDOWN;
	if (px_unlikely(op->state & PX__OP_INFLIGHT))
		return -EBUSY;
	*sqe = px__reactor_sqe(r);
	return px_likely(*sqe != NULL) ? 0 : -EBUSY;
}

static void op_commit(struct px_reactor *r, struct px_op *op, px_op_fn cb,
		      struct io_uring_sqe *sqe, unsigned state)
{
	op->cb = cb;
	op->reactor = r;
	op->state = (uint16_t)(PX__OP_INFLIGHT | state);
	op->kind = PX__OPK_USER;
	io_uring_sqe_set_data(sqe, op);
	r->inflight++;
	if (op->group)
		op->group->inflight++;
	px__reactor_kick(r);
}

/* PX_FIXED_FD(i) becomes a fixed-file SQE. Call after the prep helper. */
static void op_fd(struct io_uring_sqe *sqe, int fd)
{
	if (fd >= 0 && (fd & PX_FD_FIXED_BIT)) {
		sqe->fd = fd & ~PX_FD_FIXED_BIT;
		sqe->flags |= IOSQE_FIXED_FILE;
	}
}

PX_API int px_io_nop(struct px_reactor *r, struct px_op *op, px_op_fn cb)
{
	struct io_uring_sqe *sqe;
	int ret = op_begin(r, op, cb, &sqe);

	if (px_unlikely(ret))
		return ret;
	io_uring_prep_nop(sqe);
	op_commit(r, op, cb, sqe, 0);
	return 0;
}

/*
 * Reads and writes share one path: the fixed-buffer opcode when BUF lies in
 * memory registered with R (a pool slot), the plain one otherwise.
 */
static int io_rw(struct px_reactor *r, struct px_op *op, int fd, void *buf,
		 uint32_t len, uint64_t off, px_op_fn cb, bool write)
{
	struct io_uring_sqe *sqe;
	int ret = op_begin(r, op, cb, &sqe);
	int idx;

	if (px_unlikely(ret))
		return ret;
	idx = px__reactor_fixed_index(r, buf, len);
	if (idx >= 0) {
		if (write)
			io_uring_prep_write_fixed(sqe, fd, buf, len, off, idx);
		else
			io_uring_prep_read_fixed(sqe, fd, buf, len, off, idx);
		PX__COUNT(r, fixed_ops, 1);
	} else if (write) {
		io_uring_prep_write(sqe, fd, buf, len, off);
	} else {
		io_uring_prep_read(sqe, fd, buf, len, off);
	}
	op_fd(sqe, fd);
	op_commit(r, op, cb, sqe, 0);
	return 0;
}

PX_API int px_io_read(struct px_reactor *r, struct px_op *op, int fd,
		      void *buf, uint32_t len, uint64_t off, px_op_fn cb)
{
	return io_rw(r, op, fd, buf, len, off, cb, false);
}

PX_API int px_io_write(struct px_reactor *r, struct px_op *op, int fd,
		       const void *buf, uint32_t len, uint64_t off, px_op_fn cb)
{
	/* The kernel only reads BUF; liburing's prep takes it non-const. */
	return io_rw(r, op, fd, (void *)buf, len, off, cb, true);
}

/* Plain socket receive or send: one SQE, no fixed-buffer variant. */
static int io_sr(struct px_reactor *r, struct px_op *op, int fd, void *buf,
		 uint32_t len, int flags, px_op_fn cb, bool send)
{
	struct io_uring_sqe *sqe;
	int ret = op_begin(r, op, cb, &sqe);

	if (px_unlikely(ret))
		return ret;
	if (send)
		io_uring_prep_send(sqe, fd, buf, len, flags);
	else
		io_uring_prep_recv(sqe, fd, buf, len, flags);
	op_fd(sqe, fd);
	op_commit(r, op, cb, sqe, 0);
	return 0;
}

PX_API int px_io_recv(struct px_reactor *r, struct px_op *op, int fd,
		      void *buf, uint32_t len, int flags, px_op_fn cb)
{
	return io_sr(r, op, fd, buf, len, flags, cb, false);
}

PX_API int px_io_send(struct px_reactor *r, struct px_op *op, int fd,
		      const void *buf, uint32_t len, int flags, px_op_fn cb)
{
	/* The kernel only reads BUF. */
	return io_sr(r, op, fd, (void *)buf, len, flags, cb, true);
}

PX_API int px_io_send_zc(struct px_reactor *r, struct px_op *op, int fd,
			 const void *buf, uint32_t len, int flags, px_op_fn cb)
{
	struct io_uring_sqe *sqe;
	int ret, idx;

	if (!px_feature_has(PX_FEAT_SEND_ZC))
		return -EOPNOTSUPP;
	ret = op_begin(r, op, cb, &sqe);
	if (px_unlikely(ret))
		return ret;
	idx = px__reactor_fixed_index(r, buf, len);
	if (idx >= 0) {
		io_uring_prep_send_zc_fixed(sqe, fd, buf, len, flags, 0,
					    (unsigned)idx);
		PX__COUNT(r, fixed_ops, 1);
	} else {
		io_uring_prep_send_zc(sqe, fd, buf, len, flags, 0);
	}
	op_fd(sqe, fd);
	op_commit(r, op, cb, sqe, PX__OP_ZC);
	PX__COUNT(r, zc_sends, 1);
	return 0;
}

PX_API int px_io_send_auto(struct px_reactor *r, struct px_op *op, int fd,
			   const void *buf, uint32_t len, int flags,
			   px_op_fn cb)
{
	if (r && r->zc_threshold && len >= r->zc_threshold &&
	    px_feature_has(PX_FEAT_SEND_ZC))
		return px_io_send_zc(r, op, fd, buf, len, flags, cb);
	return px_io_send(r, op, fd, buf, len, flags, cb);
}

PX_API int px_io_sendmsg(struct px_reactor *r, struct px_op *op, int fd,
			 const struct msghdr *msg, int flags, px_op_fn cb)
{
	struct io_uring_sqe *sqe;
	int ret = op_begin(r, op, cb, &sqe);

	if (px_unlikely(ret))
		return ret;
	io_uring_prep_sendmsg(sqe, fd, msg, (unsigned)flags);
	op_fd(sqe, fd);
	op_commit(r, op, cb, sqe, 0);
	return 0;
}

PX_API int px_io_recvmsg(struct px_reactor *r, struct px_op *op, int fd,
			 struct msghdr *msg, int flags, px_op_fn cb)
{
	struct io_uring_sqe *sqe;
	int ret = op_begin(r, op, cb, &sqe);

	if (px_unlikely(ret))
		return ret;
	io_uring_prep_recvmsg(sqe, fd, msg, (unsigned)flags);
	op_fd(sqe, fd);
	op_commit(r, op, cb, sqe, 0);
	return 0;
}

PX_API int px_io_accept(struct px_reactor *r, struct px_op *op, int fd,
			struct sockaddr *addr, socklen_t *addrlen, int flags,
			bool multishot, px_op_fn cb)
{
	struct io_uring_sqe *sqe;
	int ret;

	if (multishot && !px_feature_has(PX_FEAT_ACCEPT_MULTISHOT))
		return -EOPNOTSUPP;
	ret = op_begin(r, op, cb, &sqe);
	if (px_unlikely(ret))
		return ret;
	if (multishot)
		io_uring_prep_multishot_accept(sqe, fd, addr, addrlen, flags);
	else
		io_uring_prep_accept(sqe, fd, addr, addrlen, flags);
	op_fd(sqe, fd);
	op_commit(r, op, cb, sqe, multishot ? PX__OP_MULTI : 0);
	return 0;
}

PX_API int px_io_connect(struct px_reactor *r, struct px_op *op, int fd,
			 const struct sockaddr *addr, socklen_t addrlen,
			 px_op_fn cb)
{
	struct io_uring_sqe *sqe;
	int ret = op_begin(r, op, cb, &sqe);

	if (px_unlikely(ret))
		return ret;
	io_uring_prep_connect(sqe, fd, addr, addrlen);
	op_fd(sqe, fd);
	op_commit(r, op, cb, sqe, 0);
	return 0;
}

PX_API int px_io_timeout(struct px_reactor *r, struct px_op *op, uint64_t ns,
			 px_op_fn cb)
{
	struct io_uring_sqe *sqe;
	int ret = op_begin(r, op, cb, &sqe);

	if (px_unlikely(ret))
		return ret;
	/* The kernel reads the timespec at submit: it lives in the op. */
	op->ts_sec = (int64_t)(ns / 1000000000u);
	op->ts_nsec = (int64_t)(ns % 1000000000u);
	io_uring_prep_timeout(sqe, (struct __kernel_timespec *)&op->ts_sec, 0,
			      0);
	op_commit(r, op, cb, sqe, PX__OP_TIMEOUT);
	return 0;
}

PX_API int px_io_fsync(struct px_reactor *r, struct px_op *op, int fd,
		       bool datasync, px_op_fn cb)
{
	struct io_uring_sqe *sqe;
	int ret = op_begin(r, op, cb, &sqe);

	if (px_unlikely(ret))
		return ret;
	io_uring_prep_fsync(sqe, fd, datasync ? IORING_FSYNC_DATASYNC : 0);
	op_fd(sqe, fd);
	op_commit(r, op, cb, sqe, 0);
	return 0;
}

PX_API int px_io_poll(struct px_reactor *r, struct px_op *op, int fd,
		      uint32_t events, px_op_fn cb)
{
	struct io_uring_sqe *sqe;
	int ret = op_begin(r, op, cb, &sqe);

	if (px_unlikely(ret))
		return ret;
	io_uring_prep_poll_add(sqe, fd, events);
	op_fd(sqe, fd);
	op_commit(r, op, cb, sqe, 0);
	return 0;
}

PX_API int px_io_cancel(struct px_reactor *r, struct px_op *op)
{
	struct io_uring_sqe *sqe;

	if (!r || !op)
		return -EINVAL;
	if (!px__reactor_owned(r) || !r->ring_up)
		return -EPERM;
	if (!(op->state & PX__OP_INFLIGHT) || op->reactor != r)
		return -ENOENT;
	if (op->state & (PX__OP_CANCEL | PX__OP_ZC_WAIT))
		return -EALREADY;
	sqe = px__reactor_sqe(r);
	if (!sqe)
		return -EBUSY;
	io_uring_prep_cancel(sqe, op, 0);
	io_uring_sqe_set_data(sqe, &r->sink_op);
	r->inflight++;
	op->state |= PX__OP_CANCEL;
	px__reactor_kick(r);
	return 0;
}

/* Stop: one IORING_ASYNC_CANCEL_ANY catches every request of this ring. */
bool px__reactor_cancel_all(struct px_reactor *r)
{
	struct io_uring_sqe *sqe;

	if (r->inflight == 0)
		return true;
	sqe = px__reactor_sqe(r);
	if (!sqe)
		return false;
	io_uring_prep_cancel64(sqe, 0, IORING_ASYNC_CANCEL_ANY);
	io_uring_sqe_set_data(sqe, &r->sink_op);
	r->inflight++;
	return true;
}

int px__reactor_arm_wake(struct px_reactor *r)
{
	struct io_uring_sqe *sqe = px__reactor_sqe(r);

	if (!sqe)
		return -EBUSY;
	io_uring_prep_read(sqe, r->efd, &r->wake_buf, sizeof(r->wake_buf), 0);
	io_uring_sqe_set_data(sqe, &r->wake_op);
	r->inflight++;
	return 0;
}

static void dispatch_internal(struct px_reactor *r, struct px_op *op, int res)
{
	switch (op->kind) {
	case PX__OPK_WAKE_READ:
		r->inflight--;
		/* A hard error would only repeat: stay disarmed then. */
		if (!r->stopping && (res >= 0 || res == -EINTR || res == -EAGAIN))
			px__reactor_arm_wake(r);
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

void px__reactor_dispatch(struct px_reactor *r, const struct io_uring_cqe *cqe)
{
	struct px_op *op = (struct px_op *)(uintptr_t)cqe->user_data;
	struct px_op_group *g;
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
				op->cb(op, res, PX_OP_MORE);
				return;
			}
		} else if (res == -ETIME) {
			res = 0;
		}
	}
	/* Idle before the callback, so it may reuse the op at once. */
	op->state = 0;
	r->inflight--;
	g = op->group;
	if (g)
		g->inflight--;
	op->cb(op, res, 0);
	/* The callback may have submitted again (or freed the op: G, not
	 * OP, is read here). */
	if (g && px_unlikely(g->closing) && !g->inflight && g->idle)
		g->idle(g);
}
