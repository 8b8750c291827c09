// SPDX-License-Identifier: MIT
/*
 * reactor_epoll.c - the epoll backend, for hosts where io_uring cannot run
 * (seccomp, kernel.io_uring_disabled): each op tries its non-blocking
 * syscall at once; one that would block waits for readiness on an
 * edge-triggered epoll set and is retried there; timers are a sorted list
 * that bounds epoll_pwait2; regular-file I/O runs on the worker pool
 * (reactor_epoll_worker.c). Results are delivered as callbacks from the
 * loop, never from inside the px_io_* call, as on io_uring.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <sys/uio.h>
#include <unistd.h>

#include "reactor_epoll_int.h"

/* epoll data of the wake eventfd and the timerfd; fds use their number. */
#define EFD_TAG UINT64_MAX
#define TFD_TAG (UINT64_MAX - 1)

static inline struct px__epoll *E(const struct px_reactor *r)
{
	return r->be_state;
}

/* ------------------------------------------------------------------------ */
/* Per-fd watchers                                                           */

/* The watcher of FD, or NULL when FD has never waited. */
static struct px__fdw *fdw_peek(const struct px__epoll *e, int fd)
{
	unsigned c = (unsigned)fd / PX__FDW_CHUNK;

	if (fd < 0 || c >= e->nchunks || !e->fdw[c])
		return NULL;
	return &e->fdw[c][(unsigned)fd % PX__FDW_CHUNK];
}

/* The watcher of FD, made on first use; NULL without memory. */
static struct px__fdw *fdw_get(struct px__epoll *e, int fd)
{
	unsigned c = (unsigned)fd / PX__FDW_CHUNK;
	struct px__fdw *w = fdw_peek(e, fd);
	struct px__fdw **t;

	if (w)
		return w;
	if (c >= e->nchunks) {
		unsigned n = PX_MAX(c + 1, e->nchunks * 2);

		t = realloc(e->fdw, n * sizeof(*t));
		if (!t)
			return NULL;
		memset(t + e->nchunks, 0, (n - e->nchunks) * sizeof(*t));
		e->fdw = t;
		e->nchunks = n;
	}
	w = calloc(PX__FDW_CHUNK, sizeof(*w));
	if (!w)
		return NULL;
	for (unsigned i = 0; i < PX__FDW_CHUNK; i++) {
		px_list_init(&w[i].rd);
		px_list_init(&w[i].wr);
	}
	e->fdw[c] = w;
	return &w[(unsigned)fd % PX__FDW_CHUNK];
}

/*
 * Put FD in the epoll set, or re-arm it: edge-triggered for both
 * directions, so one registration serves every op. MOD also re-reads the
 * fd's readiness and reports it if already there, which is what a waiter
 * that has not tried its syscall (or an fd closed and reused since) needs.
 * Returns 0, -EPERM for fds epoll cannot watch (regular files), -errno.
 */
static int fd_arm(struct px__epoll *e, struct px__fdw *w, int fd)
{
	struct epoll_event ev = {
		.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET,
		.data.u64 = (uint64_t)fd,
	};
	int rc = epoll_ctl(e->epfd, w->added ? EPOLL_CTL_MOD : EPOLL_CTL_ADD,
			   fd, &ev);

	if (rc < 0 && errno == ENOENT)
		rc = epoll_ctl(e->epfd, EPOLL_CTL_ADD, fd, &ev);
	else if (rc < 0 && errno == EEXIST)
		rc = epoll_ctl(e->epfd, EPOLL_CTL_MOD, fd, &ev);
	if (rc < 0)
		return -errno;
	w->added = true;
	return 0;
}

/* ------------------------------------------------------------------------ */
/* Attempts                                                                  */

static bool op_out(const struct px_op *op)
{
	switch (op->code) {
	case PX__IO_SEND:
	case PX__IO_SEND_ZC:
	case PX__IO_SENDMSG:
	case PX__IO_WRITE:
	case PX__IO_CONNECT:
		return true;
	case PX__IO_POLL:
		return !(op->len & POLLIN);
	default:
		return false;
	}
}

static ssize_t rw_nowait(struct px_op *op, off_t off)
{
	struct iovec iov = { .iov_base = op->buf, .iov_len = op->len };

	if (op->aux & PX__EP_BLOCKING) /* after readiness: will not block */
		return op->code == PX__IO_READ
			       ? preadv2(op->fd, &iov, 1, off, 0)
			       : pwritev2(op->fd, &iov, 1, off, 0);
	return op->code == PX__IO_READ
		       ? preadv2(op->fd, &iov, 1, off, RWF_NOWAIT)
		       : pwritev2(op->fd, &iov, 1, off, RWF_NOWAIT);
}

/* A connect finished when the socket has a peer or an error. */
static int connect_result(int fd)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(int), slen = sizeof(ss);
	int err = 0;

	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		return -errno;
	if (err)
		return -err;
	if (getpeername(fd, (struct sockaddr *)&ss, &slen) < 0)
		return errno == ENOTCONN ? -EAGAIN : -errno;
	return 0;
}

/* Skip DONE bytes of IOV[0..N): the rest, as at most PX__EP_IOV entries in OUT. */
#define PX__EP_IOV 128
static int iov_rest(const struct iovec *iov, size_t n, size_t done,
		    struct iovec *out)
{
	int k = 0;

	for (size_t i = 0; i < n && k < PX__EP_IOV; i++) {
		if (done >= iov[i].iov_len) {
			done -= iov[i].iov_len;
			continue;
		}
		out[k].iov_base = (char *)iov[i].iov_base + done;
		out[k].iov_len = iov[i].iov_len - done;
		done = 0;
		k++;
	}
	return k;
}

static size_t msg_len(const struct msghdr *m)
{
	size_t n = 0;

	for (size_t i = 0; i < m->msg_iovlen; i++)
		n += m->msg_iov[i].iov_len;
	return n;
}

/*
 * One socket transfer from byte DONE on. The first call passes the
 * caller's msghdr (its control data, its msg_flags back); a continuation
 * carries only the bytes left.
 */
static ssize_t xfer(struct px_op *op, size_t done, int flags)
{
	struct iovec rest[PX__EP_IOV];
	struct msghdr *m = op->buf, part;
	bool in = op->code == PX__IO_RECV || op->code == PX__IO_RECVMSG;

	if (op->code == PX__IO_RECV || op->code == PX__IO_SEND ||
	    op->code == PX__IO_SEND_ZC)
		return in ? recv(op->fd, (char *)op->buf + done, op->len - done,
				 flags)
			  : send(op->fd, (char *)op->buf + done, op->len - done,
				 flags);
	if (done == 0)
		return in ? recvmsg(op->fd, m, flags) : sendmsg(op->fd, m, flags);
	part = (struct msghdr){ .msg_iov = rest };
	part.msg_iovlen = (size_t)iov_rest(m->msg_iov, m->msg_iovlen, done, rest);
	return in ? recvmsg(op->fd, &part, flags) : sendmsg(op->fd, &part, flags);
}

/*
 * Socket ops. With MSG_WAITALL the op ends only when every byte moved, at
 * EOF or at an error (then with the bytes moved, if any), as io_uring
 * retries it; the count so far waits in op->ts_sec between readiness.
 */
static int attempt_sock(struct px_op *op)
{
	bool all = op->flags & MSG_WAITALL;
	int flags = (op->flags & ~MSG_WAITALL) | MSG_DONTWAIT;
	size_t want = op->code == PX__IO_RECVMSG || op->code == PX__IO_SENDMSG
			      ? msg_len(op->buf)
			      : op->len;
	size_t done = (size_t)op->ts_sec;
	ssize_t n;

	for (;;) {
		n = xfer(op, done, flags);
		if (n > 0) {
			done += (size_t)n;
			if (all && done < want)
				continue;
			return (int)done;
		}
		if (n == 0)
			return (int)done; /* EOF (or an empty transfer) */
		if (errno == EAGAIN || errno == EWOULDBLOCK) {
			op->ts_sec = (int64_t)done;
			return -EAGAIN;
		}
		return done ? (int)done : -errno;
	}
}

/* One non-blocking try of OP's syscall: its result, or -EAGAIN. */
static int attempt(struct px_op *op)
{
	struct pollfd pfd;
	ssize_t n;
	off_t off = op->off == (uint64_t)-1 ? -1 : (off_t)op->off;

	switch (op->code) {
	case PX__IO_RECV:
	case PX__IO_SEND:
	case PX__IO_SEND_ZC:
	case PX__IO_RECVMSG:
	case PX__IO_SENDMSG:
		return attempt_sock(op);
	case PX__IO_READ:
	case PX__IO_WRITE:
		n = rw_nowait(op, off);
		if (n < 0 && errno == ESPIPE && off != -1)
			n = rw_nowait(op, -1); /* a stream: io_uring ignores OFF */
		break;
	case PX__IO_ACCEPT:
		n = accept4(op->fd, op->buf, op->arg, op->flags);
		break;
	case PX__IO_CONNECT:
		return connect_result(op->fd);
	default: /* PX__IO_POLL */
		pfd = (struct pollfd){ .fd = op->fd, .events = (short)op->len };
		n = poll(&pfd, 1, 0);
		if (n > 0)
			return pfd.revents;
		if (n == 0)
			return -EAGAIN;
		break;
	}
	if (n >= 0)
		return (int)n;
	return errno == EWOULDBLOCK ? -EAGAIN : -errno;
}

/* ------------------------------------------------------------------------ */
/* Starting ops                                                              */

/* OP's result is known: fire it from the loop. */
static int finish(struct px__epoll *e, struct px_op *op, int res)
{
	op->res = res;
	px_list_add_tail(&e->ready, &op->link);
	return 0;
}

static int to_worker(struct px__epoll *e, struct px_op *op)
{
	int ret = px__epoll_worker_queue(e, op);

	return ret < 0 ? finish(e, op, ret) : 0;
}

/* Regular files (and other fds epoll refuses) never wait for readiness. */
static int not_pollable(struct px__epoll *e, struct px_op *op)
{
	if (op->code == PX__IO_READ || op->code == PX__IO_WRITE) {
		op->aux &= ~PX__EP_BLOCKING;
		return to_worker(e, op);
	}
	if (op->code == PX__IO_POLL) /* always ready, as poll(2) says */
		return finish(e, op, (int)(op->len & (POLLIN | POLLOUT |
						      POLLRDNORM | POLLWRNORM)));
	return finish(e, op, -EPERM);
}

/* Wait for readiness. FORCE re-arms even when other ops already wait. */
static int watch(struct px__epoll *e, struct px_op *op, bool force)
{
	struct px__fdw *w = fdw_get(e, op->fd);
	int rc;

	if (!w)
		return -ENOMEM;
	if (force || (px_list_empty(&w->rd) && px_list_empty(&w->wr))) {
		rc = fd_arm(e, w, op->fd);
		if (rc == -EPERM)
			return not_pollable(e, op);
		if (rc < 0)
			return finish(e, op, rc);
	}
	px_list_add_tail(op_out(op) ? &w->wr : &w->rd, &op->link);
	op->aux |= PX__EP_WAITING;
	e->nwaiting++;
	return 0;
}

static bool fd_regular(int fd)
{
	struct stat st;

	return fstat(fd, &st) == 0 && (S_ISREG(st.st_mode) ||
				       S_ISBLK(st.st_mode));
}

/* Try OP now (unless older ops on its fd wait first), else wait. */
static int start(struct px__epoll *e, struct px_op *op)
{
	struct px__fdw *w = fdw_peek(e, op->fd);
	int res;

	if (w && !px_list_empty(op_out(op) ? &w->wr : &w->rd))
		return watch(e, op, false);
	if (op->state & PX__OP_POLL_FIRST)
		return watch(e, op, false); /* px_io_recvmsg_poll_first */
	res = attempt(op);
	if (res == -EAGAIN)
		return watch(e, op, false);
	if (res == -EOPNOTSUPP &&
	    (op->code == PX__IO_READ || op->code == PX__IO_WRITE)) {
		/* No RWF_NOWAIT for this file. A regular one (FUSE: epoll
		 * even accepts it, and says it is always ready) goes to the
		 * worker; a pipe or a tty waits for readiness, then a plain
		 * read or write (or the worker, if epoll refuses it). */
		if (fd_regular(op->fd))
			return to_worker(e, op);
		op->aux |= PX__EP_BLOCKING;
		return watch(e, op, true);
	}
	return finish(e, op, res);
}

static bool fd_blocking(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	return fl >= 0 && !(fl & O_NONBLOCK);
}

static int start_connect(struct px__epoll *e, struct px_op *op)
{
	int fl = fcntl(op->fd, F_GETFL);
	int rc, err;

	if (fl < 0)
		return finish(e, op, -errno);
	/* Non-blocking for the call only: the connection goes on after. */
	if (!(fl & O_NONBLOCK))
		fcntl(op->fd, F_SETFL, fl | O_NONBLOCK);
	rc = connect(op->fd, op->buf, op->len);
	err = errno;
	if (!(fl & O_NONBLOCK))
		fcntl(op->fd, F_SETFL, fl);
	if (rc == 0)
		return finish(e, op, 0);
	if (err == EINPROGRESS)
		return watch(e, op, true);
	return finish(e, op, -err);
}

/*
 * An embedded reactor's owner sleeps in poll on our epoll fd, which only
 * a readable fd wakes: arm the timerfd for the soonest deadline. (A thread
 * reactor bounds its own epoll_pwait2 instead.)
 */
static void tfd_sync(struct px__epoll *e)
{
	struct itimerspec its = { 0 };
	uint64_t dl = 0;

	if (e->tfd < 0)
		return;
	if (!px_list_empty(&e->timers))
		dl = px_list_entry(e->timers.next, struct px_op, link)->off;
	if (dl == e->tfd_at)
		return;
	its.it_value.tv_sec = (time_t)(dl / 1000000000u);
	its.it_value.tv_nsec = (long)(dl % 1000000000u);
	/* An all-zero value disarms it, as wanted when no timer is left. */
	if (timerfd_settime(e->tfd, TFD_TIMER_ABSTIME, &its, NULL) == 0)
		e->tfd_at = dl;
}

static void timer_add(struct px__epoll *e, struct px_op *op)
{
	struct px_list *pos;

	op->off = px__now_ns() + op->off; /* from here on: the deadline */
	op->aux |= PX__EP_TIMER;
	/* Newest last among equals; most timers go to the end. */
	for (pos = e->timers.prev; pos != &e->timers; pos = pos->prev)
		if (px_list_entry(pos, struct px_op, link)->off <= op->off)
			break;
	px__list_insert(&op->link, pos, pos->next);
	tfd_sync(e);
}

static int e_submit(struct px_reactor *r, struct px_op *op)
{
	struct px__epoll *e = E(r);
	int fd = op->fd;

	px_list_init(&op->link);
	op->aux = 0;
	op->ts_sec = 0; /* bytes moved so far (MSG_WAITALL) */
	PX__COUNT(r, sqes, 1);
	switch (op->code) {
	case PX__IO_NOP:
		return finish(e, op, 0);
	case PX__IO_TIMEOUT:
		timer_add(e, op);
		return 0;
	default:
		break;
	}
	if (fd >= 0 && (fd & PX_FD_FIXED_BIT)) {
		unsigned i = (unsigned)fd & ~(unsigned)PX_FD_FIXED_BIT;

		op->fd = i < r->max_files ? r->files[i] : -1;
	}
	if (op->fd < 0)
		return finish(e, op, -EBADF);
	switch (op->code) {
	case PX__IO_FSYNC:
		return to_worker(e, op);
	case PX__IO_CONNECT:
		return start_connect(e, op);
	case PX__IO_POLL:
		return watch(e, op, true);
	case PX__IO_ACCEPT:
		/* A blocking listener accepts once per readiness; a multishot
		 * one reports from the loop only. */
		if (fd_blocking(op->fd))
			op->aux |= PX__EP_BLOCKING;
		if ((op->aux & PX__EP_BLOCKING) || (op->state & PX__OP_MULTI))
			return watch(e, op, true);
		return start(e, op);
	default:
		return start(e, op);
	}
}

/* ------------------------------------------------------------------------ */
/* Cancelling                                                                */

static void unwait(struct px__epoll *e, struct px_op *op)
{
	px_list_del(&op->link);
	op->aux &= ~PX__EP_WAITING;
	e->nwaiting--;
}

static int e_cancel(struct px_reactor *r, struct px_op *op)
{
	struct px__epoll *e = E(r);

	if (op->aux & PX__EP_WAITING) {
		unwait(e, op);
		finish(e, op, -ECANCELED);
	} else if (op->aux & PX__EP_TIMER) {
		px_list_del(&op->link);
		op->aux &= ~PX__EP_TIMER;
		finish(e, op, -ECANCELED);
		tfd_sync(e);
	} else if ((op->aux & PX__EP_WORKER) && px__epoll_worker_cancel(e, op)) {
		finish(e, op, -ECANCELED);
	}
	/* Otherwise its result is in (ready) or a worker runs it: it fires
	 * with its real result, as a cancel that came too late does. */
	return 0;
}

static void cancel_list(struct px__epoll *e, struct px_list *head)
{
	struct px_list *node;

	while ((node = px_list_first(head))) {
		struct px_op *op = px_list_entry(node, struct px_op, link);

		if (op->aux & PX__EP_WAITING)
			unwait(e, op);
		else
			px_list_del(node);
		op->aux &= ~PX__EP_TIMER;
		finish(e, op, -ECANCELED);
	}
}

static bool e_cancel_all(struct px_reactor *r)
{
	struct px__epoll *e = E(r);

	for (unsigned c = 0; c < e->nchunks; c++) {
		for (unsigned i = 0; e->fdw[c] && i < PX__FDW_CHUNK; i++) {
			cancel_list(e, &e->fdw[c][i].rd);
			cancel_list(e, &e->fdw[c][i].wr);
		}
	}
	cancel_list(e, &e->timers);
	tfd_sync(e);
	px__epoll_worker_cancel_all(e);
	return true;
}

/* ------------------------------------------------------------------------ */
/* The loop's side                                                           */

/* Run the ops waiting on FD in one direction, oldest first, until one
 * would block. Returns the callbacks fired. */
static unsigned run_waiters(struct px_reactor *r, int fd, bool out)
{
	struct px__epoll *e = E(r);
	unsigned n = 0;

	for (;;) {
		/* Looked up afresh: a callback may have grown the table. */
		struct px__fdw *w = fdw_peek(e, fd);
		struct px_list *node = px_list_first(out ? &w->wr : &w->rd);
		struct px_op *op;
		bool blocking;
		int res;

		if (!node)
			break;
		op = px_list_entry(node, struct px_op, link);
		res = attempt(op);
		if (res == -EAGAIN)
			break;
		blocking = op->aux & PX__EP_BLOCKING;
		n++;
		if ((op->state & PX__OP_MULTI) && res >= 0) {
			px__op_complete(r, op, res, PX_OP_MORE);
		} else {
			unwait(e, op);
			px__op_complete(r, op, res, 0);
		}
		if (blocking) {
			/* One syscall per readiness on a blocking fd: ask
			 * epoll again whether more is there. */
			w = fdw_peek(e, fd);
			if (!px_list_empty(&w->rd) || !px_list_empty(&w->wr))
				fd_arm(e, w, fd);
			break;
		}
	}
	return n;
}

static unsigned handle_events(struct px_reactor *r)
{
	struct px__epoll *e = E(r);
	unsigned n = 0;

	while (e->next_event < e->nevents) {
		struct epoll_event ev = e->events[e->next_event++];
		int fd = (int)ev.data.u64;

		if (ev.data.u64 == EFD_TAG) {
			px__reactor_efd_drain(r);
			continue;
		}
		if (ev.data.u64 == TFD_TAG) {
			uint64_t v;

			if (read(e->tfd, &v, sizeof(v)) < 0)
				v = 0; /* EAGAIN: re-armed meanwhile */
			e->tfd_at = 0;
			continue;
		}
		if (!fdw_peek(e, fd))
			continue;
		if (ev.events & (EPOLLIN | EPOLLPRI | EPOLLRDHUP | EPOLLHUP |
				 EPOLLERR))
			n += run_waiters(r, fd, false);
		if (ev.events & (EPOLLOUT | EPOLLHUP | EPOLLERR))
			n += run_waiters(r, fd, true);
	}
	return n;
}

static void expire_timers(struct px__epoll *e)
{
	struct px_list *node;
	uint64_t now;

	if (px_list_empty(&e->timers))
		return;
	now = px__now_ns();
	while ((node = px_list_first(&e->timers)) &&
	       px_list_entry(node, struct px_op, link)->off <= now) {
		struct px_op *op = px_list_entry(node, struct px_op, link);

		px_list_del(node);
		op->aux &= ~PX__EP_TIMER;
		finish(e, op, 0);
	}
	tfd_sync(e);
}

/* Fire the ops whose results are known, in the order they became known.
 * What finishes while they fire waits for the next call, as completions of
 * ops submitted from io_uring callbacks wait for the next reap. */
static unsigned fire_ready(struct px_reactor *r)
{
	struct px__epoll *e = E(r);
	struct px_list batch, *node;
	unsigned n = 0;

	if (px_list_empty(&e->ready))
		return 0;
	batch = e->ready;
	batch.next->prev = &batch;
	batch.prev->next = &batch;
	px_list_init(&e->ready);
	while ((node = px_list_first(&batch))) {
		struct px_op *op = px_list_entry(node, struct px_op, link);

		px_list_del(node);
		px__op_complete(r, op, op->res, 0);
		n++;
	}
	return n;
}

/*
 * Ops that finished when submitted fire before any readiness is handled:
 * a HELLO sent inline must complete before the reply it caused is read
 * (ipc's subscriber sends again from that reply's callback). Then
 * readiness, then due timers and the workers' results.
 */
static unsigned e_reap(struct px_reactor *r)
{
	struct px__epoll *e = E(r);
	unsigned n = fire_ready(r);

	n += handle_events(r);
	expire_timers(e);
	px__epoll_worker_collect(e);
	n += fire_ready(r);
	if (n)
		PX__COUNT(r, cqes, n);
	return n;
}

static bool e_events_pending(const struct px_reactor *r)
{
	const struct px__epoll *e = E(r);

	return !px_list_empty(&e->ready) || e->next_event < e->nevents ||
	       atomic_load_explicit(&e->wdone_any, memory_order_relaxed);
}

static bool e_queued(const struct px_reactor *r)
{
	(void)r;
	return false; /* every op made its syscall when submitted */
}

/* Readiness is not in memory here: when ops wait on fds, ask the epoll fd
 * (one poll(2)) whether it has events; a due timer shows on the clock. */
static bool e_hidden(const struct px_reactor *r)
{
	const struct px__epoll *e = E(r);
	struct pollfd pfd = { .fd = e->epfd, .events = POLLIN };

	if (!px_list_empty(&e->timers) &&
	    px_list_entry(e->timers.next, struct px_op, link)->off <=
		    px__now_ns())
		return true;
	return e->nwaiting && poll(&pfd, 1, 0) > 0;
}

/*
 * Collect readiness. TIMEOUT_NS: 0 polls, UINT64_MAX waits for an event;
 * the soonest timer bounds it either way.
 */
static void collect(struct px_reactor *r, uint64_t timeout_ns)
{
	struct px__epoll *e = E(r);
	struct timespec ts, *tsp = NULL;
	int n;

	if (!px_list_empty(&e->timers)) {
		uint64_t dl = px_list_entry(px_list_first(&e->timers),
					    struct px_op, link)->off;
		uint64_t now = px__now_ns();

		timeout_ns = PX_MIN(timeout_ns, dl > now ? dl - now : 0);
	}
	if (timeout_ns != UINT64_MAX) {
		ts.tv_sec = (time_t)(timeout_ns / 1000000000u);
		ts.tv_nsec = (long)(timeout_ns % 1000000000u);
		tsp = &ts;
	}
	n = epoll_pwait2(e->epfd, e->events, PX__EPOLL_EVENTS, tsp, NULL);
	PX__COUNT(r, submits, 1);
	e->next_event = 0;
	e->nevents = n > 0 ? n : 0; /* -EINTR: nothing this time */
}

static void e_enter(struct px_reactor *r, bool wait)
{
	struct px__epoll *e = E(r);

	if (e->next_event < e->nevents)
		return; /* the last batch is not handled yet */
	if (wait) {
		PX__COUNT(r, sleeps, 1);
		collect(r, UINT64_MAX);
	} else if (e->nwaiting || e->embedded) {
		/* Embedded: also consume edges nobody waits for, or the
		 * embedder would see our fd readable forever. */
		collect(r, 0);
	}
}

/* ------------------------------------------------------------------------ */
/* Lifecycle                                                                 */

static int e_create(struct px_reactor *r)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = EFD_TAG };
	struct px__epoll *e = calloc(1, sizeof(*e));
	int ret;

	if (!e)
		return -ENOMEM;
	e->r = r;
	e->tfd = -1;
	px_list_init(&e->ready);
	px_list_init(&e->timers);
	e->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (e->epfd < 0) {
		ret = -errno;
		goto err_free;
	}
	/* Level-triggered: posts and workers write it; the loop drains it. */
	if (fcntl(r->efd, F_SETFL, O_NONBLOCK) < 0 ||
	    epoll_ctl(e->epfd, EPOLL_CTL_ADD, r->efd, &ev) < 0) {
		ret = -errno;
		goto err_close;
	}
	ret = px__epoll_worker_init(e);
	if (ret < 0)
		goto err_close;
	r->be_state = e;
	return 0;

err_close:
	close(e->epfd);
err_free:
	free(e);
	return ret;
}

static void e_destroy(struct px_reactor *r)
{
	struct px__epoll *e = E(r);

	px__epoll_worker_fini(e);
	/* The fixed-file table holds our own duplicates. */
	for (unsigned i = 0; r->files && i < r->max_files; i++) {
		if (r->files[i] >= 0) {
			close(r->files[i]);
			r->files[i] = -1;
		}
	}
	for (unsigned c = 0; c < e->nchunks; c++)
		free(e->fdw[c]);
	free(e->fdw);
	if (e->tfd >= 0)
		close(e->tfd);
	close(e->epfd);
	free(e);
	r->be_state = NULL;
}

static int e_setup(struct px_reactor *r, bool embedded)
{
	struct px__epoll *e = E(r);
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = TFD_TAG };

	e->embedded = embedded;
	if (!embedded || e->tfd >= 0)
		return 0;
	e->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC);
	if (e->tfd < 0)
		return -errno;
	if (epoll_ctl(e->epfd, EPOLL_CTL_ADD, e->tfd, &ev) < 0) {
		int err = -errno;

		close(e->tfd);
		e->tfd = -1;
		return err;
	}
	return 0;
}

static void e_teardown(struct px_reactor *r)
{
	(void)r; /* the epoll set lives from create to destroy */
}

static bool e_wake_from(struct px_reactor *cur, struct px_reactor *r)
{
	(void)cur;
	(void)r;
	return false; /* no MSG_RING: the eventfd it is */
}

static void e_embed_wait(struct px_reactor *r, int timeout_ms)
{
	if (px__reactor_work_pending(r))
		return;
	PX__COUNT(r, sleeps, 1);
	collect(r, timeout_ms < 0 ? UINT64_MAX
				  : (uint64_t)timeout_ms * 1000000u);
}

static void e_embed_active(struct px_reactor *r, bool active)
{
	(void)r;
	(void)active; /* our fd is the epoll set: nothing to switch */
}

static int e_poll_fd(const struct px_reactor *r)
{
	return E(r)->epfd;
}

static int e_buffer_set(struct px_reactor *r, unsigned i, void *base,
			size_t len)
{
	(void)r;
	(void)i;
	(void)base;
	(void)len;
	return 0; /* nothing to pin: the table only records the ranges */
}

static int e_file_set(struct px_reactor *r, unsigned i, int fd, int *keep)
{
	if (fd < 0) {
		close(r->files[i]);
		*keep = -1;
		return 0;
	}
	/* Our own reference, as io_uring's table holds one. */
	fd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	*keep = fd;
	return 0;
}

static void e_stats(const struct px_reactor *r, struct px_reactor_stats *st)
{
	(void)r;
	(void)st; /* no setup flags, no registered ring */
}

const struct px__backend px__backend_epoll = {
	.id = PX_BACKEND_EPOLL,
	.create = e_create,
	.destroy = e_destroy,
	.setup = e_setup,
	.teardown = e_teardown,
	.submit = e_submit,
	.cancel = e_cancel,
	.cancel_all = e_cancel_all,
	.enter = e_enter,
	.reap = e_reap,
	.events_pending = e_events_pending,
	.queued = e_queued,
	.hidden = e_hidden,
	.wake_from = e_wake_from,
	.embed_wait = e_embed_wait,
	.embed_active = e_embed_active,
	.poll_fd = e_poll_fd,
	.buffer_set = e_buffer_set,
	.file_set = e_file_set,
	.stats = e_stats,
};
