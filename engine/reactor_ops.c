// SPDX-License-Identifier: MIT
/*
 * reactor_ops.c - the op API elements use instead of a kernel interface:
 * the checks every call shares, the request written into the op for the
 * backend to carry out, and the completion that fires each callback
 * exactly once.
 */
#include <errno.h>

#include "px_probe.h"
#include "reactor_int.h"
#include "trace_int.h"

/* Checks shared by every op. */
static int op_check(struct px_reactor *r, struct px_op *op, px_op_fn cb)
{
	if (px_unlikely(!r || !op || !cb))
		return -EINVAL;
	if (px_unlikely(!px__reactor_owned(r) || !r->ring_up))
		return -EPERM;
	if (px_unlikely(r->stopping))
		return -ESHUTDOWN;
	if (px_unlikely(op->state & PX__OP_INFLIGHT))
		return -EBUSY;
	return 0;
}

/* Hand OP (its request filled in) to the backend and count it in flight. */
static int op_start(struct px_reactor *r, struct px_op *op, px_op_fn cb,
		    unsigned state)
{
	int ret;

	op->cb = cb;
	op->reactor = r;
	op->kind = PX__OPK_USER;
	op->state = (uint16_t)(PX__OP_INFLIGHT | state);
	ret = r->be->submit(r, op);
	if (px_unlikely(ret < 0)) {
		op->state = 0;
		return ret;
	}
	r->inflight++;
	if (op->group)
		op->group->inflight++;
	PX_TRACE(op_submit, r->name, op, op->code, op->fd);
	px__reactor_kick(r);
	return 0;
}

/* Fill the request fields every code uses. */
static void op_req(struct px_op *op, uint8_t code, int fd, void *buf,
		   uint32_t len, int flags)
{
	op->code = code;
	op->fd = fd;
	op->buf = buf;
	op->len = len;
	op->flags = flags;
}

PX_API int px_io_nop(struct px_reactor *r, struct px_op *op, px_op_fn cb)
{
	int ret = op_check(r, op, cb);

	if (px_unlikely(ret))
		return ret;
	op_req(op, PX__IO_NOP, -1, NULL, 0, 0);
	return op_start(r, op, cb, 0);
}

static int io_rw(struct px_reactor *r, struct px_op *op, int fd, void *buf,
		 uint32_t len, uint64_t off, px_op_fn cb, uint8_t code)
{
	int ret = op_check(r, op, cb);

	if (px_unlikely(ret))
		return ret;
	op_req(op, code, fd, buf, len, 0);
	op->off = off;
	return op_start(r, op, cb, 0);
}

PX_API int px_io_read(struct px_reactor *r, struct px_op *op, int fd,
		      void *buf, uint32_t len, uint64_t off, px_op_fn cb)
{
	return io_rw(r, op, fd, buf, len, off, cb, PX__IO_READ);
}

PX_API int px_io_write(struct px_reactor *r, struct px_op *op, int fd,
		       const void *buf, uint32_t len, uint64_t off, px_op_fn cb)
{
	/* The kernel only reads BUF. */
	return io_rw(r, op, fd, (void *)buf, len, off, cb, PX__IO_WRITE);
}

static int io_sr(struct px_reactor *r, struct px_op *op, int fd, void *buf,
		 uint32_t len, int flags, px_op_fn cb, uint8_t code,
		 unsigned state)
{
	int ret = op_check(r, op, cb);

	if (px_unlikely(ret))
		return ret;
	op_req(op, code, fd, buf, len, flags);
	return op_start(r, op, cb, state);
}

PX_API int px_io_recv(struct px_reactor *r, struct px_op *op, int fd,
		      void *buf, uint32_t len, int flags, px_op_fn cb)
{
	return io_sr(r, op, fd, buf, len, flags, cb, PX__IO_RECV, 0);
}

PX_API int px_io_send(struct px_reactor *r, struct px_op *op, int fd,
		      const void *buf, uint32_t len, int flags, px_op_fn cb)
{
	/* The kernel only reads BUF. */
	return io_sr(r, op, fd, (void *)buf, len, flags, cb, PX__IO_SEND, 0);
}

/* SEND_ZC exists on io_uring only; epoll sends (and copies) at once. */
static bool zc_possible(const struct px_reactor *r)
{
	return r->be->id == PX_BACKEND_IO_URING &&
	       px_feature_has(PX_FEAT_SEND_ZC);
}

PX_API int px_io_send_zc(struct px_reactor *r, struct px_op *op, int fd,
			 const void *buf, uint32_t len, int flags, px_op_fn cb)
{
	if (r && r->be->id == PX_BACKEND_EPOLL)
		return px_io_send(r, op, fd, buf, len, flags, cb);
	if (r && !zc_possible(r))
		return -EOPNOTSUPP;
	return io_sr(r, op, fd, (void *)buf, len, flags, cb, PX__IO_SEND_ZC,
		     PX__OP_ZC);
}

PX_API int px_io_send_auto(struct px_reactor *r, struct px_op *op, int fd,
			   const void *buf, uint32_t len, int flags,
			   px_op_fn cb)
{
	if (r && r->zc_threshold && len >= r->zc_threshold && zc_possible(r))
		return px_io_send_zc(r, op, fd, buf, len, flags, cb);
	return px_io_send(r, op, fd, buf, len, flags, cb);
}

PX_API int px_io_sendmsg(struct px_reactor *r, struct px_op *op, int fd,
			 const struct msghdr *msg, int flags, px_op_fn cb)
{
	return io_sr(r, op, fd, (void *)msg, 0, flags, cb, PX__IO_SENDMSG, 0);
}

PX_API int px_io_sendmsg_zc(struct px_reactor *r, struct px_op *op, int fd,
			    const struct msghdr *msg, int flags, px_op_fn cb)
{
	if (r && r->be->id == PX_BACKEND_EPOLL)
		return px_io_sendmsg(r, op, fd, msg, flags, cb);
	if (r && !px_feature_has(PX_FEAT_SENDMSG_ZC))
		return -EOPNOTSUPP; /* 6.1: a kernel may have SEND_ZC only */
	return io_sr(r, op, fd, (void *)msg, 0, flags, cb, PX__IO_SENDMSG_ZC,
		     PX__OP_ZC);
}

PX_API int px_io_recvmsg(struct px_reactor *r, struct px_op *op, int fd,
			 struct msghdr *msg, int flags, px_op_fn cb)
{
	return io_sr(r, op, fd, msg, 0, flags, cb, PX__IO_RECVMSG, 0);
}

PX_API int px_io_recvmsg_poll_first(struct px_reactor *r, struct px_op *op,
				    int fd, struct msghdr *msg, int flags,
				    px_op_fn cb)
{
	/* epoll waits for readiness itself; io_uring needs the flag. */
	bool first = !r || r->be->id != PX_BACKEND_IO_URING ||
		     px_feature_has(PX_FEAT_RECV_POLL_FIRST);

	return io_sr(r, op, fd, msg, 0, flags, cb, PX__IO_RECVMSG,
		     first ? PX__OP_POLL_FIRST : 0);
}

PX_API int px_io_accept(struct px_reactor *r, struct px_op *op, int fd,
			struct sockaddr *addr, socklen_t *addrlen, int flags,
			bool multishot, px_op_fn cb)
{
	int ret;

	/* epoll accepts in a loop on readiness: multishot needs no kernel op. */
	if (multishot && r && r->be->id == PX_BACKEND_IO_URING &&
	    !px_feature_has(PX_FEAT_ACCEPT_MULTISHOT))
		return -EOPNOTSUPP;
	ret = op_check(r, op, cb);
	if (px_unlikely(ret))
		return ret;
	op_req(op, PX__IO_ACCEPT, fd, addr, 0, flags);
	op->arg = addrlen;
	return op_start(r, op, cb, multishot ? PX__OP_MULTI : 0);
}

PX_API int px_io_connect(struct px_reactor *r, struct px_op *op, int fd,
			 const struct sockaddr *addr, socklen_t addrlen,
			 px_op_fn cb)
{
	return io_sr(r, op, fd, (void *)addr, addrlen, 0, cb, PX__IO_CONNECT, 0);
}

PX_API int px_io_timeout(struct px_reactor *r, struct px_op *op, uint64_t ns,
			 px_op_fn cb)
{
	int ret = op_check(r, op, cb);

	if (px_unlikely(ret))
		return ret;
	op_req(op, PX__IO_TIMEOUT, -1, NULL, 0, 0);
	op->off = ns;
	return op_start(r, op, cb, PX__OP_TIMEOUT);
}

PX_API int px_io_fsync(struct px_reactor *r, struct px_op *op, int fd,
		       bool datasync, px_op_fn cb)
{
	return io_sr(r, op, fd, NULL, 0, datasync, cb, PX__IO_FSYNC, 0);
}

PX_API int px_io_poll(struct px_reactor *r, struct px_op *op, int fd,
		      uint32_t events, px_op_fn cb)
{
	return io_sr(r, op, fd, NULL, events, 0, cb, PX__IO_POLL, 0);
}

PX_API int px_io_cancel(struct px_reactor *r, struct px_op *op)
{
	int ret;

	if (!r || !op)
		return -EINVAL;
	if (!px__reactor_owned(r) || !r->ring_up)
		return -EPERM;
	if (!(op->state & PX__OP_INFLIGHT) || op->reactor != r)
		return -ENOENT;
	if (op->state & PX__OP_CANCEL)
		return -EALREADY;
	ret = r->be->cancel(r, op);
	if (ret < 0)
		return ret;
	op->state |= PX__OP_CANCEL;
	px__reactor_kick(r);
	return 0;
}

/*
 * Fire OP's callback with RES. With PX_OP_MORE in FLAGS the op stays in
 * flight (a multishot); otherwise it is idle before the callback, so the
 * callback may reuse it at once.
 */
void px__op_complete(struct px_reactor *r, struct px_op *op, int res,
		     uint32_t flags)
{
	struct px_op_group *g;

	PX_TRACE(op_complete, r->name, op, op->code, res);
	if (flags & PX_OP_MORE) {
		op->cb(op, res, PX_OP_MORE);
		return;
	}
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
