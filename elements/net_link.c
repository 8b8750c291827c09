// SPDX-License-Identifier: MIT
/*
 * net_link.c - netsink's and netsrc's connection, made again after a loss
 * (net_link.h).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "net_link.h"
#include "px_element.h"
#include "px_error.h"

#define BACKOFF_FIRST_NS 10000000ull  /* 10 ms */
#define BACKOFF_MAX_NS 1000000000ull  /* 1 s */

uint64_t net_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void timer_done(struct px_op *op, int res, uint32_t flags)
{
	struct net_link *l = px_container_of(op, struct net_link, timer_op);

	(void)res;
	(void)flags;
	l->waiting = false;
	if (!px_conn_op_ended(&l->conn))
		px_element_schedule(l->e);
}

int net_link_start(struct net_link *l, struct px_element *e, int mode,
		   const char *host, int64_t port, struct px_op *data_op,
		   struct px_op *ctl_op, void (*release)(struct px_conn *c),
		   uint64_t give_up_ns)
{
	int rc;

	l->e = e;
	l->data_op = data_op;
	l->ctl_op = ctl_op;
	l->give_up_ns = give_up_ns;
	l->backoff_ns = BACKOFF_FIRST_NS;
	l->lost_at = 0;
	l->up = l->dropping = l->waiting = l->backed_off = false;
	l->connections = 0;
	l->why[0] = '\0';
	px_op_init(&l->timer_op);
	rc = px_conn_start(&l->conn, e, (enum px_conn_mode)mode, host, port,
			   data_op, release);
	if (rc < 0)
		return rc;
	(void)px_conn_add_op(&l->conn, ctl_op);
	(void)px_conn_add_op(&l->conn, &l->timer_op);
	px_conn_set_retry(&l->conn, true);
	px_conn_set_takeover(&l->conn, true);
	return 0;
}

static bool gave_up(struct net_link *l)
{
	uint64_t lost_for;

	if (!l->lost_at)
		return false;
	lost_for = net_now_ns() - l->lost_at;
	if (lost_for < l->give_up_ns)
		return false;
	px_element_error(l->e, -ETIMEDOUT,
			 "%s: gave up on %s after %.1f s without a connection "
			 "(reconnect-timeout): %s",
			 px_element_name(l->e), net_link_peer(l),
			 (double)lost_for / 1e9,
			 l->why[0] ? l->why : "it could not be reached");
	return true;
}

int net_link_ready(struct net_link *l, bool *fresh)
{
	struct px_conn *c = &l->conn;
	int rc;

	*fresh = false;
	if (l->dropping) {
		if (px_op_busy(l->data_op) || px_op_busy(l->ctl_op))
			return 0; /* their completions schedule us */
		l->dropping = false;
		rc = px_conn_drop(c);
		if (rc < 0) {
			px_element_error(l->e, rc, "%s: cannot make a socket: %s",
					 px_element_name(l->e),
					 px_strerror(rc));
			return -1;
		}
	}
	if (c->connected && l->up && px_conn_pending(c)) {
		/* The peer connected again before we saw the old connection
		 * go: it is dead to the peer, so it is to us. */
		net_link_lost(l, -ECONNRESET, "the peer connected again");
		return 0;
	}
	if (c->connected) {
		if (!l->up) {
			l->up = true;
			l->connections++;
			l->lost_at = 0;
			l->backoff_ns = BACKOFF_FIRST_NS;
			*fresh = true;
			if (l->connections > 1)
				px_element_warning(l->e,
						   "%s: connected to %s again "
						   "(connection %llu): "
						   "resuming",
						   px_element_name(l->e),
						   c->peer,
						   (unsigned long long)
							   l->connections);
		}
		return 1;
	}
	if (c->accepting || c->connecting) {
		/* A lost peer has until reconnect-timeout: an accept (or a
		 * connect the network does not answer) may wait longer, so
		 * the timer wakes us at the deadline. */
		if (gave_up(l))
			return -1;
		if (l->lost_at)
			net_link_wake_in(l, l->lost_at + l->give_up_ns -
						    net_now_ns());
		return 0;
	}
	if (l->waiting)
		return 0;
	if (c->last_err) {
		/* A failed connect or accept: wait, then try again. */
		if (!l->lost_at)
			l->lost_at = net_now_ns();
		snprintf(l->why, sizeof(l->why), "%s",
			 px_strerror(c->last_err));
		if (gave_up(l))
			return -1;
		if (c->mode == PX_CONN_SERVER)
			c->last_err = 0; /* accept again at once */
		else if (!l->backed_off &&
			 px_io_timeout(px_element_reactor(l->e), &l->timer_op,
				       l->backoff_ns, timer_done) == 0) {
			l->waiting = true;
			l->backed_off = true; /* after it: connect again */
			l->backoff_ns = l->backoff_ns * 2 > BACKOFF_MAX_NS ?
						BACKOFF_MAX_NS :
						l->backoff_ns * 2;
			return 0;
		}
	}
	if (gave_up(l))
		return -1;
	l->backed_off = false;
	rc = px_conn_arm(c);
	return rc < 0 ? -1 : rc;
}

bool net_link_work(struct net_link *l, bool *failed, bool ended,
		   bool *fresh)
{
	int rc;

	if (l->conn.stopping || *failed || ended)
		return false;
	rc = net_link_ready(l, fresh);
	if (rc < 0)
		*failed = true;
	return rc > 0;
}

void net_link_wake_in(struct net_link *l, uint64_t ns)
{
	if (!px_op_busy(&l->timer_op))
		(void)px_io_timeout(px_element_reactor(l->e), &l->timer_op, ns,
				    timer_done);
}

void net_link_lost(struct net_link *l, int err, const char *what)
{
	if (l->dropping || !l->up)
		return;
	snprintf(l->why, sizeof(l->why), "%s: %s", what, px_strerror(err));
	px_element_warning(l->e, "%s: lost %s (%s); reconnecting",
			   px_element_name(l->e), net_link_peer(l), l->why);
	l->up = false;
	l->dropping = true;
	l->lost_at = net_now_ns();
	/* Both ops on the fd end now (a recv sees 0, a send EPIPE). */
	if (l->conn.fd >= 0)
		(void)shutdown(l->conn.fd, SHUT_RDWR);
	if (!px_op_busy(l->data_op) && !px_op_busy(l->ctl_op))
		px_element_schedule(l->e);
}
