// SPDX-License-Identifier: MIT
/*
 * conn.c - the element kit's TCP connection (px_conn.h): socket setup and
 * address text, made once from start(), never per buffer; accept and
 * connect through the op API.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "px_conn.h"
#include "px_element.h"
#include "px_error.h"

PX_API int px_net_resolve(const char *host, int64_t port, struct sockaddr_storage *ss,
		   socklen_t *len)
{
	struct sockaddr_in *in4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_NUMERICSERV };
	struct addrinfo *res = NULL;
	char portstr[16];

	if (port < 0 || port > 65535)
		return -EINVAL;
	if (!host || !*host)
		host = "127.0.0.1";
	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, host, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		in4->sin_port = htons((uint16_t)port);
		*len = sizeof(*in4);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)port);
		*len = sizeof(*in6);
		return 0;
	}
	snprintf(portstr, sizeof(portstr), "%u", (unsigned)port);
	if (getaddrinfo(host, portstr, &hints, &res) != 0 || !res)
		return -EHOSTUNREACH;
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*len = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

PX_API int px_net_tcp_socket(int family)
{
	int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, IPPROTO_TCP);

	if (fd < 0)
		return -errno;
	px_net_tune_socket(fd);
	return fd;
}

PX_API void px_net_tune_socket(int fd)
{
	int one = 1;

	/* Buffers are already large: Nagle would only add latency. Failure
	 * to set it is harmless, so the result is ignored. */
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

PX_API int px_net_listen(const struct sockaddr_storage *ss, socklen_t len,
		  int backlog, unsigned *bound_port)
{
	return px_net_listen_shared(ss, len, backlog, false, bound_port);
}

PX_API int px_net_listen_shared(const struct sockaddr_storage *ss,
				socklen_t len, int backlog, bool reuseport,
				unsigned *bound_port)
{
	struct sockaddr_storage got;
	socklen_t glen = sizeof(got);
	int one = 1, fd, err;

	fd = socket(ss->ss_family, SOCK_STREAM | SOCK_CLOEXEC, IPPROTO_TCP);
	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0)
		goto err_close;
	if (reuseport &&
	    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) < 0)
		goto err_close;
	if (bind(fd, (const struct sockaddr *)ss, len) < 0)
		goto err_close;
	if (listen(fd, backlog) < 0)
		goto err_close;
	if (getsockname(fd, (struct sockaddr *)&got, &glen) < 0)
		goto err_close;
	if (got.ss_family == AF_INET6)
		*bound_port = ntohs(((struct sockaddr_in6 *)&got)->sin6_port);
	else
		*bound_port = ntohs(((struct sockaddr_in *)&got)->sin_port);
	return fd;

err_close:
	err = -errno;
	close(fd);
	return err;
}

PX_API bool px_net_is_loopback(const struct sockaddr_storage *ss)
{
	if (ss->ss_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)ss)->sin_addr.s_addr) >>
			24) == 127;
	if (ss->ss_family == AF_INET6) {
		const struct in6_addr *a =
			&((const struct sockaddr_in6 *)ss)->sin6_addr;

		return IN6_IS_ADDR_LOOPBACK(a) ||
		       (IN6_IS_ADDR_V4MAPPED(a) && a->s6_addr[12] == 127);
	}
	return false;
}

PX_API void px_net_addr_str(const struct sockaddr *sa, socklen_t len, char *buf,
		     size_t buflen)
{
	char host[INET6_ADDRSTRLEN] = "?";

	if (sa->sa_family == AF_INET && len >= sizeof(struct sockaddr_in)) {
		const struct sockaddr_in *in4 = (const void *)sa;

		inet_ntop(AF_INET, &in4->sin_addr, host, sizeof(host));
		snprintf(buf, buflen, "%s:%u", host, ntohs(in4->sin_port));
	} else if (sa->sa_family == AF_INET6 &&
		   len >= sizeof(struct sockaddr_in6)) {
		const struct sockaddr_in6 *in6 = (const void *)sa;

		inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
		snprintf(buf, buflen, "[%s]:%u", host, ntohs(in6->sin6_port));
	} else {
		snprintf(buf, buflen, "(unknown address)");
	}
}

PX_API const struct px_prop_enum px_conn_mode_enums[] = {
	{ "client", PX_CONN_CLIENT, "connect to host:port" },
	{ "server", PX_CONN_SERVER,
	  "listen on host:port and take the first peer that connects" },
	{ NULL, 0, NULL },
};

/* ---- one TCP connection, server or client ------------------------------ */

static void conn_accepted(struct px_op *op, int res, uint32_t flags)
{
	struct px_conn *c = px_container_of(op, struct px_conn,
						accept_op);
	char who[PX_CONN_ADDR_MAX];

	if (!(flags & PX_OP_MORE))
		c->accepting = false;
	/* The kernel wrote the peer's address for this accept; the next one
	 * of a multishot reads acc_len again. */
	px_net_addr_str((struct sockaddr *)&c->acc_addr, c->acc_len, who,
			sizeof(who));
	c->acc_len = sizeof(c->acc_addr);
	if (res >= 0 && c->connected && c->takeover) {
		/* The peer connected again: the newest connection wins. */
		if (c->pending_fd >= 0)
			close(c->pending_fd);
		c->pending_fd = res;
		px_net_tune_socket(res);
		snprintf(c->pending_peer, sizeof(c->pending_peer), "%s", who);
		c->pending_loopback = px_net_is_loopback(&c->acc_addr);
	} else if (res >= 0 && c->connected) {
		/* One stream per element: later peers are told so by a close. */
		close(res);
		px_element_warning(c->e,
				   "%s: closed a second connection from %s: serving %s already",
				   px_element_name(c->e), who, c->peer);
	} else if (res >= 0) {
		c->fd = res;
		c->connected = true;
		px_net_tune_socket(res);
		snprintf(c->peer, sizeof(c->peer), "%s", who);
		c->peer_loopback = px_net_is_loopback(&c->acc_addr);
	} else if (res != -ECANCELED && !c->connected && c->retry) {
		c->last_err = res;
	} else if (res != -ECANCELED && !c->connected) {
		px_element_error(c->e, res, "%s: accept on %s failed: %s",
				 px_element_name(c->e), c->where,
				 px_strerror(res));
	}
	if (!px_conn_op_ended(c))
		px_element_schedule(c->e);
}

static void conn_connected(struct px_op *op, int res, uint32_t flags)
{
	struct px_conn *c = px_container_of(op, struct px_conn,
						connect_op);

	(void)flags;
	c->connecting = false;
	if (res == 0) {
		c->connected = true;
		c->last_err = 0;
		snprintf(c->peer, sizeof(c->peer), "%s", c->where);
		c->peer_loopback = px_net_is_loopback(&c->addr);
	} else if (res != -ECANCELED && c->retry) {
		c->last_err = res;
	} else if (res != -ECANCELED) {
		px_element_error(c->e, res, "%s: cannot connect to %s: %s",
				 px_element_name(c->e), c->where,
				 px_strerror(res));
	}
	if (!px_conn_op_ended(c))
		px_element_schedule(c->e);
}

PX_API int px_conn_start(struct px_conn *c, struct px_element *e,
		  enum px_conn_mode mode, const char *host, int64_t port,
		  struct px_op *owner_op, void (*release)(struct px_conn *c))
{
	int rc;

	memset(c, 0, sizeof(*c));
	c->pending_fd = -1;
	c->e = e;
	c->r = px_element_reactor(e);
	c->mode = mode;
	c->lfd = c->fd = -1;
	c->owner_op = owner_op;
	c->release = release;
	rc = px_net_resolve(host, port, &c->addr, &c->addrlen);
	if (rc < 0) {
		px_element_error(e, rc, "%s: cannot resolve '%s' port %lld: %s",
				 px_element_name(e), host ? host : "",
				 (long long)port, px_strerror(rc));
		return rc;
	}
	px_net_addr_str((struct sockaddr *)&c->addr, c->addrlen, c->where,
			sizeof(c->where));
	if (mode == PX_CONN_CLIENT) {
		if (port == 0) {
			px_element_error(e, -EINVAL,
					 "%s: mode=client needs a port to connect to",
					 px_element_name(e));
			return -EINVAL;
		}
		rc = px_net_tcp_socket(c->addr.ss_family);
		if (rc < 0) {
			px_element_error(e, rc, "%s: cannot create a socket: %s",
					 px_element_name(e), px_strerror(rc));
			return rc;
		}
		c->fd = rc;
		return 0;
	}
	rc = px_net_listen(&c->addr, c->addrlen, 8, &c->bound_port);
	if (rc < 0) {
		px_element_error(e, rc, "%s: cannot listen on %s: %s",
				 px_element_name(e), c->where, px_strerror(rc));
		return rc;
	}
	c->lfd = rc;
	/* Port 0 picked a free port: name the real one. */
	if (c->addr.ss_family == AF_INET6)
		((struct sockaddr_in6 *)&c->addr)->sin6_port =
			htons((uint16_t)c->bound_port);
	else
		((struct sockaddr_in *)&c->addr)->sin_port =
			htons((uint16_t)c->bound_port);
	px_net_addr_str((struct sockaddr *)&c->addr, c->addrlen, c->where,
			sizeof(c->where));
	px_element_post(e, "%s: listening on %s", px_element_name(e),
			c->where);
	return 0;
}

PX_API int px_conn_arm(struct px_conn *c)
{
	int rc = 0;

	if (c->connected)
		return 1;
	if (c->accepting || c->connecting)
		return 0;
	if (c->mode == PX_CONN_SERVER) {
		c->acc_len = sizeof(c->acc_addr);
		rc = px_io_accept(c->r, &c->accept_op, c->lfd,
				  (struct sockaddr *)&c->acc_addr, &c->acc_len,
				  SOCK_CLOEXEC, true, conn_accepted);
		if (rc == -EOPNOTSUPP)
			rc = px_io_accept(c->r, &c->accept_op, c->lfd,
					  (struct sockaddr *)&c->acc_addr,
					  &c->acc_len, SOCK_CLOEXEC, false,
					  conn_accepted);
		if (!rc)
			c->accepting = true;
	} else {
		if (c->last_err) {
			/* A socket whose connect failed is not reused. */
			rc = px_conn_drop(c);
			if (rc < 0)
				goto out;
		}
		rc = px_io_connect(c->r, &c->connect_op, c->fd,
				   (struct sockaddr *)&c->addr, c->addrlen,
				   conn_connected);
		if (!rc)
			c->connecting = true;
	}
out:
	if (rc < 0)
		px_element_error(c->e, rc, "%s: cannot %s %s: %s",
				 px_element_name(c->e),
				 c->mode == PX_CONN_SERVER ? "accept on"
							     : "connect to",
				 c->where, px_strerror(rc));
	return rc;
}

static bool conn_busy(const struct px_conn *c)
{
	for (unsigned i = 0; i < c->n_more; i++)
		if (px_op_busy(c->more_ops[i]))
			return true;
	return c->accepting || c->connecting ||
	       (c->owner_op && px_op_busy(c->owner_op));
}

PX_API int px_conn_add_op(struct px_conn *c, struct px_op *op)
{
	if (c->n_more == PX_ARRAY_SIZE(c->more_ops))
		return -ENOSPC;
	c->more_ops[c->n_more++] = op;
	return 0;
}

PX_API void px_conn_set_retry(struct px_conn *c, bool retry)
{
	c->retry = retry;
}

PX_API void px_conn_set_takeover(struct px_conn *c, bool takeover)
{
	c->takeover = takeover;
}

PX_API bool px_conn_pending(const struct px_conn *c)
{
	return c->pending_fd >= 0;
}

PX_API int px_conn_drop(struct px_conn *c)
{
	int fd;

	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->connected = false;
	if (c->pending_fd >= 0) {
		c->fd = c->pending_fd;
		c->pending_fd = -1;
		c->connected = true;
		snprintf(c->peer, sizeof(c->peer), "%s", c->pending_peer);
		c->peer_loopback = c->pending_loopback;
		return 0;
	}
	if (c->mode != PX_CONN_CLIENT)
		return 0;
	fd = px_net_tcp_socket(c->addr.ss_family);
	if (fd < 0)
		return fd;
	c->fd = fd;
	return 0;
}

/* Every op has ended: the owner releases, the sockets close. */
static void conn_finish(struct px_conn *c)
{
	c->release(c);
	px_conn_close(c);
}

PX_API int px_conn_stop(struct px_conn *c)
{
	if (!c->e)
		return 0; /* never started: nothing open, nothing in flight */
	c->stopping = true;
	if (c->accepting)
		(void)px_io_cancel(c->r, &c->accept_op);
	if (c->connecting)
		(void)px_io_cancel(c->r, &c->connect_op);
	if (c->owner_op && px_op_busy(c->owner_op))
		(void)px_io_cancel(c->r, c->owner_op);
	for (unsigned i = 0; i < c->n_more; i++)
		if (px_op_busy(c->more_ops[i]))
			(void)px_io_cancel(c->r, c->more_ops[i]);
	if (conn_busy(c))
		return 1; /* the last completion calls px_element_stop_done() */
	conn_finish(c);
	return 0;
}

PX_API bool px_conn_end_wait(struct px_conn *c)
{
	if (c->accepting)
		(void)px_io_cancel(c->r, &c->accept_op);
	if (c->connecting)
		(void)px_io_cancel(c->r, &c->connect_op);
	return c->accepting || c->connecting;
}

PX_API bool px_conn_op_ended(struct px_conn *c)
{
	if (!c->stopping)
		return false;
	if (!conn_busy(c)) {
		conn_finish(c);
		px_element_stop_done(c->e);
	}
	return true;
}

PX_API void px_conn_close(struct px_conn *c)
{
	if (c->pending_fd >= 0)
		close(c->pending_fd);
	c->pending_fd = -1;
	if (c->fd >= 0)
		close(c->fd);
	if (c->lfd >= 0)
		close(c->lfd);
	c->fd = c->lfd = -1;
	c->connected = false;
}
