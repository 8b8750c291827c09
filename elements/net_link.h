/* SPDX-License-Identifier: MIT */
/*
 * net_link.h - the connection of netsink and netsrc: a px_conn that, when
 * the stream breaks and the two sides can resume, is shut down, closed once
 * the element's two ops on it have ended, and made again (the client
 * connects again after a backoff of 10 ms doubling to 1 s; the server takes
 * the next client) until reconnect-timeout says to give up. Not installed.
 */
#ifndef PX_NET_LINK_H
#define PX_NET_LINK_H

#include <stdbool.h>
#include <stdint.h>

#include "px_conn.h"

struct net_link {
	struct px_conn conn;
	struct px_element *e;
	struct px_op *data_op, *ctl_op; /* the owner's two ops on the fd */
	struct px_op timer_op;
	uint64_t give_up_ns; /* reconnect-timeout */
	uint64_t backoff_ns; /* the next wait before connecting again */
	uint64_t lost_at;    /* CLOCK_MONOTONIC ns of the loss; 0: none */
	bool up;	     /* connected, and the owner was told */
	bool dropping;	     /* shut down; close once the ops ended */
	bool waiting;	     /* backoff timer armed */
	bool backed_off;     /* a backoff wait was spent since the last
			      * failed connect: connect again next */
	uint64_t connections;
	char why[160]; /* what broke the last connection */
};

/*
 * From start(): px_conn_start with DATA_OP and CTL_OP (both cancelled and
 * waited for by px_conn_stop), failures of (re)connecting left to us.
 * GIVE_UP_NS: how long a lost connection may stay lost. 0 or -errno
 * (posted).
 */
int net_link_start(struct net_link *l, struct px_element *e, int mode,
		   const char *host, int64_t port, struct px_op *data_op,
		   struct px_op *ctl_op, void (*release)(struct px_conn *c),
		   uint64_t give_up_ns);

/*
 * From work(): 1 when connected (*FRESH true on the first call after a new
 * connection: greet the peer, resend), 0 while waiting (the link schedules
 * the element), -1 after giving up (the ERROR is posted).
 */
int net_link_ready(struct net_link *l, bool *fresh);

/*
 * The start of the owner's work(): false when it has nothing to do now
 * (stopping, FAILED or ENDED already, not connected yet: the link
 * schedules it), after setting *FAILED when the link gave up. True when
 * connected, with *FRESH as net_link_ready() sets it.
 */
bool net_link_work(struct net_link *l, bool *failed, bool ended,
		   bool *fresh);

/*
 * The stream broke (ERR, WHAT happened): shut it down so that both ops
 * end, and reconnect once they have. Idempotent while dropping.
 */
void net_link_lost(struct net_link *l, int err, const char *what);

/* Schedule the element in NS from now (once; while connected). */
void net_link_wake_in(struct net_link *l, uint64_t ns);

/* CLOCK_MONOTONIC in ns. */
uint64_t net_now_ns(void);

/* The peer (address text) of the current or last connection. */
static inline const char *net_link_peer(const struct net_link *l)
{
	return l->conn.peer[0] ? l->conn.peer : l->conn.where;
}

#endif /* PX_NET_LINK_H */
