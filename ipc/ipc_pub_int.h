/* SPDX-License-Identifier: MIT */
/*
 * ipc_pub_int.h - the publisher's state, shared by ipc_pub.c (the data
 * path: send, returns, the ledger) and ipc_peer.c (accept, handshake,
 * hang-up and reclaim). Internal.
 */
#ifndef PX_IPC_PUB_INT_H
#define PX_IPC_PUB_INT_H

#include "ipc_int.h"
#include "px_bus.h"
#include "px_list.h"


/* A pool announced on the channel (index = position in pub->pools). */
struct px__ipc_ppool {
	struct px_pool *pool; /* NULL: unused entry */
	uint16_t id;	      /* process-local id (px_buf.pool) */
	int ro_fd;	      /* read-only reopen of the pool's fd */
	uint32_t slots, slot_size;
};

enum px__ipc_peer_state {
	PX__PEER_HELLO = 0,  /* waiting for HELLO */
	PX__PEER_WELCOMED,   /* WELCOME sent, waiting for READY */
	PX__PEER_ACTIVE,     /* receives items */
	PX__PEER_REFUSING,   /* REFUSE being sent, then closed */
	PX__PEER_DEAD,	     /* hung up or dropped; freed once ops end */
};

/* One connection, publisher side. */
struct px__ipc_peer {
	struct px__ipc_pub *pub;
	struct px_list node;	/* pub->peers */
	int fd;
	int state;		/* enum px__ipc_peer_state */
	pid_t pid;
	uid_t uid;
	char name[48];		/* "subscriber pid 1234" */
	/* control socket, and the death watch on its process */
	struct px_op rx_op, tx_op, timer_op, pid_op;
	int pidfd;
	struct px__ipc_ctl ctl;
	bool welcome_due;	/* WELCOME not yet sent */
	bool uid_refused;	/* answer its HELLO with REFUSE */
	uint32_t announced;	/* pool indexes sent (bit i) */
	/* the process link: data ring (producer end here) and returns */
	struct px_segment *seg;
	struct px_link link;
	struct px__link_wake wake; /* in: to_pub; out: to_sub */
	int to_sub, to_pub;
	bool wake_started;
	struct px_ring_view rel; /* release ring, consumer end here */
	uint32_t data_cap, rel_cap;
	uint32_t room;		/* free data-ring slots last seen (a floor) */
	bool pushed;		/* items pushed in this send call */
	/* the ledger: references lent, per pool index and slot */
	uint32_t *held[PX__IPC_MAX_POOLS];
	uint64_t outstanding;
};

struct px__ipc_pub {
	struct px_reactor *reactor;
	struct px__ipc_pub_events ev;
	/* configuration (copied) */
	char channel[PX__IPC_CHANNEL_MAX];
	char path[108];		  /* file-system socket, "" for abstract */
	char caps[PX__IPC_CAPS_MAX];
	unsigned ring_capacity, max_held;
	int slow;
	uint64_t handshake_timeout_ns;
	uid_t *allow_uids;
	unsigned n_allow_uids;
	gid_t *allow_gids;
	unsigned n_allow_gids;
	/* listening */
	int lfd;
	struct px_op accept_op;
	/* pools and peers */
	struct px__ipc_ppool pools[PX__IPC_MAX_POOLS];
	unsigned n_pools;
	struct px_list peers;
	unsigned active;
	struct px__ipc_pub_stats st;
	/* close */
	bool closing;
	bool in_close;		  /* inside px__ipc_pub_close() */
	void (*done)(void *arg);
	void *done_arg;
};

/* ---- ipc_peer.c ------------------------------------------------------------ */

/* Start accepting (create). */
int px__ipc_pub_listen(struct px__ipc_pub *pub, char *why, size_t whylen);
/* Drop PEER: reclaim its references now, close, free once its ops end. */
void px__ipc_peer_kill(struct px__ipc_peer *peer, const char *warning);
/* Send what PEER is owed next (WELCOME, then unannounced pools). */
void px__ipc_peer_tx_next(struct px__ipc_peer *peer);
/* Free PUB once it closes and its last op ended. */
void px__ipc_pub_maybe_done(struct px__ipc_pub *pub);

/* ---- ipc_pub.c ----------------------------------------------------------------- */

/* Give PEER's ledger back to the pools (the peer is gone). */
void px__ipc_peer_reclaim(struct px__ipc_peer *peer);

#endif /* PX_IPC_PUB_INT_H */
