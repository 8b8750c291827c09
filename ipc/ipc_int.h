/* SPDX-License-Identifier: MIT */
/*
 * ipc_int.h - the process link's channel: the control protocol on the Unix
 * socket, and the publisher and subscriber cores that ipcsink, ipcsrc and
 * the px_ipc_* API share. Internal; never installed. docs/ipc.md is the
 * user's description of the same thing.
 *
 * One channel = one listening SOCK_SEQPACKET Unix socket (abstract name by
 * default) owned by the publisher. Per subscriber:
 *
 *   socket      control messages (below), SCM_RIGHTS for the fds; its
 *               hang-up is how each side learns the other is gone.
 *   rings memfd created by the publisher, shared read-write:
 *               [segment header][data ring: SPSC of 64-byte px_items,
 *               publisher -> subscriber][release ring: MPSC of 16-byte
 *               returns, any subscriber thread -> publisher]
 *   2 eventfds  to_sub (publisher writes, subscriber's reactor reads) and
 *               to_pub (subscriber writes, publisher's reactor reads): the
 *               wake primitive of the process link kind.
 *   pool fds    each publisher pool as a read-only fd (O_RDONLY reopen of
 *               its memfd): the subscriber maps it PROT_READ and can never
 *               write a payload byte or the pool's state.
 *
 * A buffer item on the data ring names the pool by its channel index (not
 * the publisher's process-local id) and carries one publisher reference for
 * the subscriber. The publisher keeps, per subscriber, a private ledger of
 * the references it lent (slot by slot); a return on the release ring is a
 * claim checked against that ledger, and when the socket hangs up the
 * ledger says exactly what to take back. The subscriber never writes the
 * publisher's pool, so it cannot lose or double-free a slot for it.
 */
#ifndef PX_IPC_INT_H
#define PX_IPC_INT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "link_int.h"
#include "px_element.h"
#include "px_pool.h"
#include "px_reactor.h"
#include "px_ring.h"
#include "px_segment.h"

/* ---- control protocol --------------------------------------------------- */

#define PX__IPC_MAGIC 0x43495850u /* "PXIC" little-endian */
#define PX__IPC_VERSION 1u
#define PX__IPC_CHANNEL_MAX 96	  /* bytes of a channel name, NUL included */
#define PX__IPC_CAPS_MAX 256
#define PX__IPC_TEXT_MAX 200
#define PX__IPC_MAX_POOLS 32	  /* pools one channel can announce */
#define PX__IPC_MSG_MAX 512	  /* largest control message */

/*
 * A caps change travels in the data ring, in order with the buffers: the
 * caps text (no NUL, at most PX__IPC_CAPS_MAX - 1 bytes) cut into CAPS
 * events of up to PX_EVENT_PAYLOAD bytes in data[], each with caps_id =
 * offset << 16 | total length. A subscriber that joined mid-way (an offset
 * that is not what it has) ignores the rest: its WELCOME had the new caps.
 */
#define PX__IPC_CAPS_FRAGS                                                   \
	((PX__IPC_CAPS_MAX + PX_EVENT_PAYLOAD - 1) / PX_EVENT_PAYLOAD)
/* Cut TEXT into OUT[PX__IPC_CAPS_FRAGS]; returns how many items. */
unsigned px__ipc_caps_encode(const char *text, struct px_item *out);

enum px__ipc_msg_type {
	PX__IPC_HELLO = 1,   /* S->P: who I am, which channel */
	PX__IPC_WELCOME = 2, /* P->S: ring geometry, caps; fds: rings, to_sub,
				to_pub */
	PX__IPC_POOL = 3,    /* P->S: pool INDEX; fd: read-only memfd */
	PX__IPC_READY = 4,   /* S->P: everything mapped, start sending */
	PX__IPC_REFUSE = 5,  /* P->S: a sentence, then the socket closes */
};

struct px__ipc_hdr {
	uint32_t magic;	  /* PX__IPC_MAGIC */
	uint16_t version; /* PX__IPC_VERSION */
	uint16_t type;	  /* enum px__ipc_msg_type */
	uint32_t size;	  /* bytes of the whole message */
	uint32_t reserved;
};

struct px__ipc_hello {
	struct px__ipc_hdr h;
	uint32_t pid;
	uint32_t reserved;
	char channel[PX__IPC_CHANNEL_MAX];
};

struct px__ipc_welcome {
	struct px__ipc_hdr h;
	uint64_t seg_size;     /* bytes of the rings memfd */
	uint32_t data_offset;  /* of the data ring in it */
	uint32_t data_capacity;
	uint32_t rel_offset;   /* of the release ring */
	uint32_t rel_capacity;
	char caps[PX__IPC_CAPS_MAX];
};

struct px__ipc_pool_msg {
	struct px__ipc_hdr h;
	uint32_t index;	    /* < PX__IPC_MAX_POOLS */
	uint32_t slot_size;
	uint32_t slots;
	uint32_t reserved;
};

struct px__ipc_text {
	struct px__ipc_hdr h;
	char text[PX__IPC_TEXT_MAX];
};

/* One entry of the release ring: COUNT references to SLOT of pool INDEX. */
struct px__ipc_return {
	uint32_t index;
	uint32_t slot;
	uint32_t count;
	uint32_t reserved;
};

#define PX__IPC_RETURN_SIZE 16u

#define PX__IPC_FDS_MAX 4 /* fds one control message may carry */

/* One end's control-socket buffers: a message to receive into and one to
 * send, each with room for PX__IPC_FDS_MAX fds. */
struct px__ipc_ctl {
	struct msghdr rx_msg, tx_msg;
	struct iovec rx_iov, tx_iov;
	uint8_t rx_buf[PX__IPC_MSG_MAX];
	uint8_t tx_buf[PX__IPC_MSG_MAX];
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int) * PX__IPC_FDS_MAX)];
	} rx_cmsg, tx_cmsg;
};

/* Make C->rx_msg ready for a recvmsg into rx_buf (fds in rx_cmsg). */
void px__ipc_ctl_rx_prep(struct px__ipc_ctl *c);
/* Copy MSG (LEN <= PX__IPC_MSG_MAX bytes) and NFDS fds (borrowed: sent as
 * SCM_RIGHTS) into C->tx_msg for a sendmsg. */
void px__ipc_ctl_tx_prep(struct px__ipc_ctl *c, const void *msg, size_t len,
			 const int *fds, unsigned nfds);

/* Fill the header of a message of TYPE and SIZE bytes. */
void px__ipc_hdr_init(struct px__ipc_hdr *h, enum px__ipc_msg_type type,
		      uint32_t size);
/*
 * Check a received message of LEN bytes: magic, version, a known type whose
 * fixed size is LEN, NUL-terminated strings. Returns the type, or -EPROTO
 * with a reason in WHY (for the WARNING or ERROR that names the peer).
 */
int px__ipc_msg_check(const void *buf, size_t len, const char **why);

/* A caps change being received (PX__IPC_CAPS_FRAGS above). */
struct px__ipc_caps_rx {
	char caps[PX__IPC_CAPS_MAX]; /* the caps now, NUL-terminated */
	char next[PX__IPC_CAPS_MAX]; /* a change being received */
	uint32_t have;		     /* its bytes so far */
};
/*
 * Take the CAPS event IT (from the publisher: any bytes) into RX. Returns 1
 * when it completed a change (RX->caps is the new text, IT now its mark:
 * caps_id and size 0), 2 when it was a piece taken, or skipped because the
 * subscriber joined after the change began, -EPROTO when malformed.
 */
int px__ipc_caps_piece(struct px__ipc_caps_rx *rx, struct px_item *it);
/* Whether buffer item IT lies inside a pool of SLOTS slots of SLOT_SIZE
 * bytes: its slot, and its offset and length within that slot. */
bool px__ipc_buf_fits(const struct px_item *it, uint32_t slots,
		      uint32_t slot_size);

/*
 * The socket address of a channel: the abstract name "\0parallax/ipc/NAME"
 * or, with PATH set, that file-system path. Returns the address length, or
 * -ENAMETOOLONG / -EINVAL (empty name).
 */
int px__ipc_addr(const char *channel, const char *path,
		 struct sockaddr_storage *ss);

/* Hang up *FD (shutdown, then close: ops in flight keep their own file
 * reference) and set it to -1; nothing when it is already -1. */
void px__ipc_hang_up(int *fd);
/* Cancel each op of OPS[0..N) that is in flight on R (its callback then
 * fires with -ECANCELED or its result). R's thread. */
void px__ipc_cancel_ops(struct px_reactor *r, struct px_op *const *ops,
			unsigned n);

/*
 * px__ipc_watch_pid - watch the peer process PID die: a pidfd (into
 * *PIDFD, the caller closes it) polled by OP on R; CB fires when PID exits.
 * The socket's hang-up says the same, but only once the dead process's
 * io_uring is torn down and lets go of the socket: ~6 ms after SIGKILL on
 * the development VM, against ~0.25 ms for the pidfd. Returns 0, or -errno
 * (no pidfds: the hang-up still tells, later). SO_PEERCRED's pid can name
 * a recycled process only if the peer died before this call, and then the
 * hang-up has already happened.
 */
int px__ipc_watch_pid(struct px_reactor *r, struct px_op *op, pid_t pid,
		      int *pidfd, px_op_fn cb);
/* Close each of the N fds received in a control message. */
void px__ipc_close_fds(const int *fds, unsigned n);
/* Close *FD if open and set it to -1. */
void px__ipc_close_fd(int *fd);
/* Gather up to MAX fds of an SCM_RIGHTS control block; returns the count. */
unsigned px__ipc_take_fds(struct msghdr *msg, int *fds, unsigned max);

/* ---- publisher core (ipc_pub.c) ----------------------------------------- */

enum px__ipc_slow {
	PX__IPC_SLOW_BLOCK = 0,	     /* wait for the slowest (default) */
	PX__IPC_SLOW_DROP = 1,	     /* skip a full subscriber, count it */
	PX__IPC_SLOW_DISCONNECT = 2, /* drop a full subscriber's connection */
};

struct px__ipc_pub_config {
	const char *channel;	 /* required */
	const char *socket_path; /* NULL: abstract name */
	const char *caps;	 /* sent in WELCOME; NULL: "ANY" */
	unsigned ring_capacity;	 /* data ring items; power of two */
	unsigned max_held;	 /* references one subscriber may hold */
	int slow;		 /* enum px__ipc_slow */
	uint64_t handshake_timeout_ns;
	const uid_t *allow_uids; /* besides the publisher's own uid */
	unsigned n_allow_uids;
	const gid_t *allow_gids;
	unsigned n_allow_gids;
};

struct px__ipc_pub;
struct px__ipc_peer;

/* What the owner learns (reactor thread). TEXT names the peer. */
struct px__ipc_pub_events {
	void *arg;
	/* Scheduled on the publisher's reactor when send may get further
	 * (room, returns, a join, a departure). The owner's task, so that it
	 * outlives the publisher (a queued task cannot be taken back). */
	struct px_task *task;
	void (*warn)(void *arg, const char *text);
	/* The listening socket failed after start: the channel is dead. */
	void (*error)(void *arg, int err, const char *text);
};

struct px__ipc_pub_stats {
	unsigned subscribers;	 /* active now */
	unsigned joined, left;	 /* since start */
	uint64_t sent;		 /* buffer items pushed (all subscribers) */
	uint64_t dropped;	 /* items a subscriber missed (slow=drop) */
	uint64_t reclaimed;	 /* references taken back from dead peers */
	uint64_t refused;	 /* peers refused (uid, protocol, timeout) */
	uint64_t held;		 /* references subscribers hold now */
};

/*
 * px__ipc_pub_create - listen on the channel (bind fails with -EADDRINUSE
 * when a publisher already owns the name) and start accepting on R (R's
 * owning thread). EV is copied. Returns 0 or -errno (with WHY filled).
 */
int px__ipc_pub_create(struct px_reactor *r,
		       const struct px__ipc_pub_config *cfg,
		       const struct px__ipc_pub_events *ev,
		       struct px__ipc_pub **out, char *why, size_t whylen);

/*
 * px__ipc_pub_send - offer ITEMS[0..N) (buffers and events, in order) to
 * every active subscriber. Buffers must live in shareable pools
 * (px__ipc_pool_shareable); each subscriber gets its own reference.
 * Returns how many items were taken (the caller still owns the rest): fewer
 * than N when a slow=block subscriber has no room (then ev.task runs when
 * it has). Items taken are consumed (transfer full). Reactor thread.
 */
unsigned px__ipc_pub_send(struct px__ipc_pub *pub, struct px_item *items,
			  unsigned n);
/*
 * px__ipc_pub_set_caps - the channel's caps are TEXT from now on: later
 * subscribers get them in WELCOME, and when they changed, FRAGS (room for
 * PX__IPC_CAPS_FRAGS) gets the items that tell the present ones, to be
 * sent in order with the buffers. Returns how many (0: unchanged).
 */
unsigned px__ipc_pub_set_caps(struct px__ipc_pub *pub, const char *text,
			      struct px_item *frags);
/* Take back releases and ask for a wakeup on the next one: before the
 * caller waits (send takes them too, without the wakeup). */
void px__ipc_pub_poll(struct px__ipc_pub *pub);
/* Subscribers that completed the handshake and are still there. */
unsigned px__ipc_pub_subscribers(const struct px__ipc_pub *pub);
/* References lent and not yet returned, over every subscriber. */
uint64_t px__ipc_pub_held(const struct px__ipc_pub *pub);
void px__ipc_pub_stats(const struct px__ipc_pub *pub,
		       struct px__ipc_pub_stats *st);
/* Whether buffers of POOL can be announced (a memfd or file segment). */
bool px__ipc_pool_shareable(const struct px_pool *pool);

/*
 * px__ipc_pub_close - close every connection (their references come back
 * now), stop listening, cancel every op. DONE(ARG) runs once every op has
 * ended, then PUB is freed; returns true when that already happened
 * (DONE not called). Reactor thread.
 */
bool px__ipc_pub_close(struct px__ipc_pub *pub, void (*done)(void *arg),
		       void *arg);

/* ---- subscriber core (ipc_sub.c) ---------------------------------------- */

struct px__ipc_sub_config {
	const char *channel;
	const char *socket_path;
	uint64_t timeout_ns;	/* wait this long for a publisher */
	bool own_wait;		/* the owner waits on the wake eventfd itself
				   (px__ipc_sub_wake_fd/_drain): no read op
				   on it, whose completion would cost every
				   wakeup a round of task work */
};

struct px__ipc_sub;

struct px__ipc_sub_events {
	void *arg;
	struct px_task *task;	 /* scheduled when items may be waiting (the
				    owner's, as for the publisher) */
	/* The handshake finished: CAPS is the publisher's caps string. */
	void (*connected)(void *arg, const char *caps);
	/* The channel ended: the publisher vanished, refused us, or never
	 * came (-ETIMEDOUT); TEXT names the channel. */
	void (*error)(void *arg, int err, const char *text);
};

struct px__ipc_sub_stats {
	uint64_t received;	/* buffer items */
	uint64_t returned;	/* references handed back */
	uint32_t held;		/* slots this process still holds */
	bool connected;
};

/* Connect (retrying until the timeout) and handshake on R (its thread).
 * Returns 0, -EINVAL (bad channel name), -ENOMEM. */
int px__ipc_sub_create(struct px_reactor *r,
		       const struct px__ipc_sub_config *cfg,
		       const struct px__ipc_sub_events *ev,
		       struct px__ipc_sub **out);
/*
 * px__ipc_sub_recv - up to N items into ITEMS, buffers translated to local
 * read-only pools (transfer full). Where the publisher's caps changed, one
 * CAPS event with caps_id 0 stands in the stream (px__ipc_sub_is_caps) and
 * ends the batch; px__ipc_sub_caps() has the new caps until the next call.
 * Returns the count; 0
 * when none is ready (ev.task runs when there may be). Reactor thread.
 */
unsigned px__ipc_sub_recv(struct px__ipc_sub *sub, struct px_item *items,
			  unsigned n);
/* The publisher's caps: WELCOME's, then the last change received. */
const char *px__ipc_sub_caps(const struct px__ipc_sub *sub);
/* Whether IT is the mark of a caps change px__ipc_sub_recv hands out. */
PX_INLINE bool px__ipc_sub_is_caps(const struct px_item *it)
{
	return it->type == PX_ITEM_EVENT && it->ev.type == PX_EVENT_CAPS &&
	       it->ev.caps_id == 0;
}
/* Ask for a wakeup when items arrive; false when some are waiting. */
bool px__ipc_sub_idle(struct px__ipc_sub *sub);
/* The eventfd the publisher writes to wake us, -1 before READY: readable
 * while a wakeup is unread (the reactor's read op takes it too, unless
 * own_wait). */
int px__ipc_sub_wake_fd(const struct px__ipc_sub *sub);
/* own_wait: take the wakeups that arrived; true when there were some. */
bool px__ipc_sub_wake_drain(struct px__ipc_sub *sub);
void px__ipc_sub_stats(const struct px__ipc_sub *sub,
		       struct px__ipc_sub_stats *st);
/*
 * px__ipc_sub_close - hang up (the publisher takes back everything this
 * process held) and cancel every op; DONE(ARG) runs once they ended, or
 * the call returns true when they already had. Buffers still held stay
 * readable: their memory stays mapped until px__ipc_sub_destroy(). Reactor
 * thread.
 */
bool px__ipc_sub_close(struct px__ipc_sub *sub, void (*done)(void *arg),
		       void *arg);
/*
 * px__ipc_sub_destroy - unmap and free a closed SUB. Returns 0, or -EBUSY
 * while buffers of it are still held in this process (nothing freed: call
 * again once they are released). Any thread, once closed.
 */
int px__ipc_sub_destroy(struct px__ipc_sub *sub);

#endif /* PX_IPC_INT_H */
