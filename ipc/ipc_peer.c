// SPDX-License-Identifier: MIT
/*
 * ipc_peer.c - the publisher's side of each connection: listen, accept,
 * check credentials (SO_PEERCRED), the handshake (HELLO -> WELCOME + fds,
 * POOL + fd per pool, READY), the handshake timeout, and the hang-up that
 * returns every reference the subscriber held. All on the publisher's
 * reactor thread, all I/O through the op API.
 */
#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ipc_pub_int.h"
#include "px_error.h"

/* ---- listening ------------------------------------------------------------- */

static void accept_done(struct px_op *op, int res, uint32_t flags);

static void accept_arm(struct px__ipc_pub *pub)
{
	int err = px_io_accept(pub->reactor, &pub->accept_op, pub->lfd, NULL,
			       NULL, SOCK_CLOEXEC, false, accept_done);

	if (err && pub->ev.error)
		pub->ev.error(pub->ev.arg, err, "cannot accept subscribers");
}

/* A file-system socket left by a publisher that died: nobody answers. */
static bool stale_socket(const struct sockaddr_storage *ss, int len)
{
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	bool stale;

	if (fd < 0)
		return false;
	stale = connect(fd, (const struct sockaddr *)ss, (socklen_t)len) < 0 &&
		errno == ECONNREFUSED;
	close(fd);
	return stale;
}

int px__ipc_pub_listen(struct px__ipc_pub *pub, char *why, size_t whylen)
{
	struct sockaddr_storage ss;
	int len = px__ipc_addr(pub->channel, pub->path, &ss);
	int fd, err;

	if (len < 0) {
		snprintf(why, whylen, "channel name '%s' is %s", pub->channel,
			 len == -EINVAL ? "empty" : "too long");
		return len;
	}
	fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		err = -errno;
		snprintf(why, whylen, "socket: %s", px_strerror(err));
		return err;
	}
	/* A path socket gets the socket inode's mode: 0600 before bind. */
	if (pub->path[0])
		(void)fchmod(fd, 0600);
	err = bind(fd, (struct sockaddr *)&ss, (socklen_t)len) < 0 ? -errno : 0;
	if (err == -EADDRINUSE && pub->path[0] && stale_socket(&ss, len)) {
		(void)unlink(pub->path);
		err = bind(fd, (struct sockaddr *)&ss, (socklen_t)len) < 0 ?
			      -errno : 0;
	}
	if (err) {
		if (err == -EADDRINUSE)
			snprintf(why, whylen,
				 "another publisher already owns channel '%s'",
				 pub->channel);
		else
			snprintf(why, whylen, "cannot bind channel '%s': %s",
				 pub->channel, px_strerror(err));
		close(fd);
		return err;
	}
	if (pub->path[0])
		(void)chmod(pub->path, 0600);
	if (listen(fd, 64) < 0) {
		err = -errno;
		snprintf(why, whylen, "listen: %s", px_strerror(err));
		close(fd);
		return err;
	}
	pub->lfd = fd;
	accept_arm(pub);
	return 0;
}

/* ---- teardown -------------------------------------------------------------- */

static bool peer_idle(const struct px__ipc_peer *p)
{
	return !px_op_busy(&p->rx_op) && !px_op_busy(&p->tx_op) &&
	       !px_op_busy(&p->timer_op) && !px_op_busy(&p->pid_op) &&
	       !px_op_busy(&p->wake.rd_op);
}

static void peer_free(struct px__ipc_peer *p)
{
	struct px__ipc_pub *pub = p->pub;

	px_list_del(&p->node);
	for (unsigned i = 0; i < PX__IPC_MAX_POOLS; i++)
		free(p->held[i]);
	px_segment_destroy(p->seg);
	if (p->to_sub >= 0)
		close(p->to_sub);
	if (p->to_pub >= 0)
		close(p->to_pub);
	px__ipc_close_fd(&p->pidfd);
	free(p);
	px__ipc_pub_maybe_done(pub);
}

/* Called from every op callback of a dead peer. */
static void peer_maybe_free(struct px__ipc_peer *p)
{
	if (p->state == PX__PEER_DEAD && peer_idle(p))
		peer_free(p);
}

static void wake_closed(struct px__link_wake *w)
{
	peer_maybe_free(px_container_of(w, struct px__ipc_peer, wake));
}

void px__ipc_peer_kill(struct px__ipc_peer *p, const char *warning)
{
	struct px__ipc_pub *pub = p->pub;

	if (p->state == PX__PEER_DEAD)
		return;
	if (p->state == PX__PEER_ACTIVE) {
		pub->active--;
		pub->st.left++;
	}
	p->state = PX__PEER_DEAD;
	/* Everything it held comes back now, not when its ops end. */
	px__ipc_peer_reclaim(p);
	if (warning && pub->ev.warn)
		pub->ev.warn(pub->ev.arg, warning);
	px__ipc_hang_up(&p->fd);
	px__ipc_cancel_ops(pub->reactor,
			   (struct px_op *const[]){ &p->rx_op, &p->tx_op,
						    &p->timer_op, &p->pid_op },
			   4);
	if (p->wake_started) {
		p->wake.closed = wake_closed;
		(void)px__link_wake_stop(&p->wake);
	}
	peer_maybe_free(p);
	/* A slow=block send may have waited on this one. */
	px_reactor_schedule(pub->reactor, pub->ev.task);
}

/* Drop P with a WARNING "<subscriber> of channel <name>: <sentence>". */
static void peer_failf(struct px__ipc_peer *p, const char *fmt, ...)
	PX_PRINTF(2, 3);

static void peer_failf(struct px__ipc_peer *p, const char *fmt, ...)
{
	char text[PX_MSG_TEXT];
	int n;
	va_list ap;

	n = snprintf(text, sizeof(text), "%s of channel %s: ", p->name,
		     p->pub->channel);
	va_start(ap, fmt);
	if (n > 0 && (size_t)n < sizeof(text))
		vsnprintf(text + n, sizeof(text) - (size_t)n, fmt, ap);
	va_end(ap);
	px__ipc_peer_kill(p, text);
}

/* ---- sending control messages -------------------------------------------------- */

static void tx_done(struct px_op *op, int res, uint32_t flags);

static void tx_start(struct px__ipc_peer *p, const void *msg, size_t len,
		     const int *fds, unsigned nfds)
{
	px__ipc_ctl_tx_prep(&p->ctl, msg, len, fds, nfds);
	if (px_io_sendmsg(p->pub->reactor, &p->tx_op, p->fd, &p->ctl.tx_msg,
			  MSG_NOSIGNAL, tx_done) < 0)
		px__ipc_peer_kill(p, NULL);
}

static void send_welcome(struct px__ipc_peer *p)
{
	struct px__ipc_welcome w;
	int fds[3] = { p->seg->fd, p->to_sub, p->to_pub };

	memset(&w, 0, sizeof(w));
	px__ipc_hdr_init(&w.h, PX__IPC_WELCOME, sizeof(w));
	w.seg_size = p->seg->size;
	w.data_offset = PX_SEGMENT_HEADER_SIZE;
	w.data_capacity = p->data_cap;
	w.rel_offset = (uint32_t)((char *)p->rel.ring - (char *)p->seg->base);
	w.rel_capacity = p->rel_cap;
	snprintf(w.caps, sizeof(w.caps), "%s", p->pub->caps);
	p->welcome_due = false;
	tx_start(p, &w, sizeof(w), fds, 3);
}

void px__ipc_peer_tx_next(struct px__ipc_peer *p)
{
	struct px__ipc_pub *pub = p->pub;

	if (p->fd < 0 || px_op_busy(&p->tx_op))
		return;
	if (p->welcome_due) {
		send_welcome(p);
		return;
	}
	if (p->state != PX__PEER_WELCOMED && p->state != PX__PEER_ACTIVE)
		return;
	for (unsigned i = 0; i < pub->n_pools; i++) {
		const struct px__ipc_ppool *pp = &pub->pools[i];
		struct px__ipc_pool_msg m;

		if (!pp->pool || (p->announced & (1u << i)))
			continue;
		memset(&m, 0, sizeof(m));
		px__ipc_hdr_init(&m.h, PX__IPC_POOL, sizeof(m));
		m.index = i;
		m.slot_size = pp->slot_size;
		m.slots = pp->slots;
		p->announced |= 1u << i;
		tx_start(p, &m, sizeof(m), &pp->ro_fd, 1);
		return;
	}
}

static void tx_done(struct px_op *op, int res, uint32_t flags)
{
	struct px__ipc_peer *p = px_container_of(op, struct px__ipc_peer,
						 tx_op);

	(void)flags;
	if (p->state == PX__PEER_DEAD) {
		peer_maybe_free(p);
		return;
	}
	if (p->state == PX__PEER_REFUSING) {
		px__ipc_peer_kill(p, NULL);
		return;
	}
	if (res < 0) {
		peer_failf(p, "send failed: %s", px_strerror(res));
		return;
	}
	px__ipc_peer_tx_next(p);
}

static void refuse(struct px__ipc_peer *p, const char *fmt, ...)
	PX_PRINTF(2, 3);

static void refuse(struct px__ipc_peer *p, const char *fmt, ...)
{
	struct px__ipc_text t;
	char warning[PX_MSG_TEXT];
	va_list ap;

	memset(&t, 0, sizeof(t));
	px__ipc_hdr_init(&t.h, PX__IPC_REFUSE, sizeof(t));
	va_start(ap, fmt);
	vsnprintf(t.text, sizeof(t.text), fmt, ap);
	va_end(ap);
	p->pub->st.refused++;
	snprintf(warning, sizeof(warning), "channel %s refused %s: %s",
		 p->pub->channel, p->name, t.text);
	if (p->pub->ev.warn)
		p->pub->ev.warn(p->pub->ev.arg, warning);
	if (px_op_busy(&p->timer_op))
		(void)px_io_cancel(p->pub->reactor, &p->timer_op);
	p->state = PX__PEER_REFUSING;
	p->welcome_due = false;
	if (px_op_busy(&p->tx_op))
		return; /* cannot happen before WELCOME; be safe */
	tx_start(p, &t, sizeof(t), NULL, 0);
}

/* ---- the handshake ------------------------------------------------------------ */

static void rx_done(struct px_op *op, int res, uint32_t flags);

static void rx_arm(struct px__ipc_peer *p)
{
	px__ipc_ctl_rx_prep(&p->ctl);
	if (px_io_recvmsg(p->pub->reactor, &p->rx_op, p->fd, &p->ctl.rx_msg,
			  MSG_CMSG_CLOEXEC, rx_done) < 0)
		px__ipc_peer_kill(p, NULL);
}

/* The rings memfd and the two eventfds of a new subscriber. */
static int make_link(struct px__ipc_peer *p)
{
	struct px__ipc_pub *pub = p->pub;
	struct px_segment_config sc = { .kind = PX_SEGMENT_MEMFD,
					.numa_bind = true,
					.numa_node = px_reactor_numa_node(
						pub->reactor),
					.name = "px-ipc-rings" };
	size_t data = px__link_process_memsize(pub->ring_capacity);
	size_t rel;
	int err;

	p->data_cap = pub->ring_capacity;
	/* Every entry returns at least one reference, and a subscriber holds
	 * at most max_held: the release ring can never be full. */
	p->rel_cap = pub->max_held;
	rel = px_ring_memsize(p->rel_cap, PX__IPC_RETURN_SIZE);
	sc.size = PX_SEGMENT_HEADER_SIZE + data + rel;
	err = px_segment_create(&sc, &p->seg);
	if (err)
		return err;
	err = px__link_process_init(&p->link, p->seg, PX_SEGMENT_HEADER_SIZE,
				    p->data_cap);
	if (err)
		return err;
	err = px_ring_view_init(&p->rel, (char *)p->seg->base +
						 PX_SEGMENT_HEADER_SIZE + data,
				rel, p->rel_cap, PX__IPC_RETURN_SIZE,
				PX_RING_MPSC);
	if (err)
		return err;
	p->to_sub = eventfd(0, EFD_CLOEXEC);
	p->to_pub = eventfd(0, EFD_CLOEXEC);
	if (p->to_sub < 0 || p->to_pub < 0)
		return -errno;
	p->link.wake = &p->wake;
	return 0;
}

static void on_hello(struct px__ipc_peer *p, const struct px__ipc_hello *h)
{
	int err;

	if (p->uid_refused) {
		refuse(p, "uid %u may not subscribe: only the publisher's uid "
			  "%u%s may (ipcsink allow-uid / allow-gid)",
		       (unsigned)p->uid, (unsigned)geteuid(),
		       p->pub->n_allow_uids || p->pub->n_allow_gids ?
			       " and the allowed ids" : "");
		return;
	}

	if (strcmp(h->channel, p->pub->channel) != 0) {
		refuse(p, "this is channel '%s', not '%s'", p->pub->channel,
		       h->channel);
		return;
	}
	err = make_link(p);
	if (err) {
		refuse(p, "the publisher cannot set up the link: %s",
		       px_strerror(err));
		return;
	}
	p->state = PX__PEER_WELCOMED;
	p->welcome_due = true;
	px__ipc_peer_tx_next(p);
	rx_arm(p);
}

static void on_ready(struct px__ipc_peer *p)
{
	struct px__ipc_pub *pub = p->pub;
	int err;

	if (px_op_busy(&p->timer_op))
		(void)px_io_cancel(pub->reactor, &p->timer_op);
	err = px__link_wake_start(&p->wake, pub->reactor, pub->ev.task,
				  p->to_pub, p->to_sub);
	if (err) {
		peer_failf(p, "cannot wait for wakeups: %s", px_strerror(err));
		return;
	}
	p->wake_started = true;
	p->state = PX__PEER_ACTIVE;
	pub->active++;
	pub->st.joined++;
	rx_arm(p); /* from now on: only the hang-up (or garbage) */
	px_reactor_schedule(pub->reactor, pub->ev.task);
}

static void rx_done(struct px_op *op, int res, uint32_t flags)
{
	struct px__ipc_peer *p = px_container_of(op, struct px__ipc_peer,
						 rx_op);
	int fds[PX__IPC_FDS_MAX];
	unsigned nfds;
	const char *why = NULL;
	int type;

	(void)flags;
	if (p->state == PX__PEER_DEAD || p->state == PX__PEER_REFUSING) {
		peer_maybe_free(p);
		return;
	}
	if (res <= 0) {
		/* 0: the subscriber closed or died. Not a warning: leaving is
		 * allowed at any time. */
		px__ipc_peer_kill(p, NULL);
		return;
	}
	nfds = px__ipc_take_fds(&p->ctl.rx_msg, fds, PX__IPC_FDS_MAX);
	px__ipc_close_fds(fds, nfds); /* subscribers send no fds */
	type = px__ipc_msg_check(p->ctl.rx_buf, (size_t)res, &why);
	if (type < 0 || nfds ||
	    (p->ctl.rx_msg.msg_flags & (MSG_TRUNC | MSG_CTRUNC))) {
		if (!why)
			why = "a message with file descriptors or truncated";
		peer_failf(p, "sent garbage (%s); dropped", why);
		return;
	}
	if (type == PX__IPC_HELLO && p->state == PX__PEER_HELLO)
		on_hello(p, (const struct px__ipc_hello *)p->ctl.rx_buf);
	else if (type == PX__IPC_READY && p->state == PX__PEER_WELCOMED)
		on_ready(p);
	else
		peer_failf(p, "broke the protocol (a message out of "
			      "turn); dropped");
}

static void timer_done(struct px_op *op, int res, uint32_t flags)
{
	struct px__ipc_peer *p = px_container_of(op, struct px__ipc_peer,
						 timer_op);

	(void)flags;
	if (p->state == PX__PEER_DEAD) {
		peer_maybe_free(p);
		return;
	}
	if (res == -ECANCELED || p->state == PX__PEER_ACTIVE ||
	    p->state == PX__PEER_REFUSING)
		return;
	p->pub->st.refused++;
	peer_failf(p, "did not finish the handshake within %llu ms; dropped",
		   (unsigned long long)(p->pub->handshake_timeout_ns / 1000000));
}

/* Its process exited: as a hang-up, only sooner (px__ipc_watch_pid). */
static void pid_done(struct px_op *op, int res, uint32_t flags)
{
	struct px__ipc_peer *p = px_container_of(op, struct px__ipc_peer,
						 pid_op);

	(void)flags;
	if (p->state == PX__PEER_DEAD) {
		peer_maybe_free(p);
		return;
	}
	if (res > 0)
		px__ipc_peer_kill(p, NULL);
}

/* ---- accepting -------------------------------------------------------------- */

static bool uid_allowed(const struct px__ipc_pub *pub, uid_t uid, gid_t gid)
{
	if (uid == geteuid())
		return true;
	for (unsigned i = 0; i < pub->n_allow_uids; i++)
		if (pub->allow_uids[i] == uid)
			return true;
	for (unsigned i = 0; i < pub->n_allow_gids; i++)
		if (pub->allow_gids[i] == gid)
			return true;
	return false;
}

static void peer_new(struct px__ipc_pub *pub, int fd)
{
	struct px__ipc_peer *p = calloc(1, sizeof(*p));
	struct ucred cred = { 0 };
	socklen_t clen = sizeof(cred);

	if (!p) {
		close(fd);
		return;
	}
	p->pub = pub;
	p->fd = fd;
	p->to_sub = p->to_pub = p->pidfd = -1;
	px_list_add_tail(&pub->peers, &p->node);
	(void)getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen);
	p->pid = cred.pid;
	/* Without pidfds the hang-up still tells, a few ms later. */
	(void)px__ipc_watch_pid(pub->reactor, &p->pid_op, cred.pid, &p->pidfd,
				pid_done);
	p->uid = cred.uid;
	snprintf(p->name, sizeof(p->name), "subscriber pid %d",
		 (int)cred.pid);
	/* Refused after its HELLO is read: closing with a message unread
	 * would make the peer's recv fail with ECONNRESET before it could
	 * read our REFUSE. */
	p->uid_refused = !uid_allowed(pub, cred.uid, cred.gid);
	if (px_io_timeout(pub->reactor, &p->timer_op, pub->handshake_timeout_ns,
			  timer_done) < 0) {
		px__ipc_peer_kill(p, NULL);
		return;
	}
	rx_arm(p);
}

static void accept_done(struct px_op *op, int res, uint32_t flags)
{
	struct px__ipc_pub *pub = px_container_of(op, struct px__ipc_pub,
						  accept_op);

	(void)flags;
	if (pub->closing) {
		if (res >= 0)
			close(res);
		px__ipc_pub_maybe_done(pub);
		return;
	}
	if (res >= 0) {
		peer_new(pub, res);
	} else if (res != -EAGAIN && res != -EINTR && res != -ECONNABORTED &&
		   res != -EMFILE && res != -ENFILE && res != -ENOBUFS &&
		   res != -ENOMEM) {
		if (pub->ev.error)
			pub->ev.error(pub->ev.arg, res,
				      "accepting subscribers failed");
		return;
	}
	accept_arm(pub);
}
