/* SPDX-License-Identifier: MIT */
/*
 * nats_bridge.h - what natssink and natssrc share: the connection to a NATS
 * server (libnats) and the hand-over between libnats's threads and the
 * element's reactor. Internal to the nats plugin.
 *
 * Threads (docs/nats.md says the same for users):
 * - the reactor runs work(): it takes buffers and publishes them
 *   (js_PublishMsgAsync, bounded by the element's credit so it never
 *   stalls), or copies fetched messages into slots and acknowledges them;
 * - the element's worker thread makes every blocking libnats call: connect,
 *   the stream and consumer requests, Fetch, the resend after a reconnect,
 *   the final flush and close;
 * - libnats's own threads run the callbacks (publish acks, disconnects):
 *   they touch atomics and the worker's queue only.
 * Anything a thread has for the reactor goes through one eventfd, read by
 * an op the reactor keeps armed (pxn_arm): no thread but the reactor's
 * ever touches the element's links or pools.
 */
#ifndef PXN_BRIDGE_H
#define PXN_BRIDGE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <nats/nats.h>
#include <parallax/parallax.h>

/* Headers a Parallax message carries (besides Nats-Msg-Id). */
#define PXN_H_SEQ "Px-Seq"
#define PXN_H_PTS "Px-Pts"
#define PXN_H_DURATION "Px-Duration"
#define PXN_H_FLAGS "Px-Flags"
#define PXN_H_CAPS "Px-Caps"
#define PXN_H_EOS "Px-Eos"

#define PXN_SEC 1000000000LL

/* The connection properties of both elements. */
#define PXN_CONN_PROP_SPECS(T)                                                \
	PX_PROP_STRING_SPEC("url", T, b.url, "nats://127.0.0.1:4222",         \
			    "NATS server(s), comma-separated"),               \
	PX_PROP_STRING_SPEC("stream", T, b.stream, "PX",                      \
			    "JetStream stream"),                              \
	PX_PROP_DURATION_SPEC("disconnect-timeout", T, b.down_timeout,        \
			      30 * PXN_SEC, PXN_SEC / 10,                   \
			      INT64_MAX / 2,                                  \
			      "WARNING while the server is unreachable; "     \
			      "ERROR once it was for this long"),             \
	PX_PROP_STAT_U64_SPEC("reconnects", PX_PROP_UINT64, T, b.reconnects,  \
			      "connections re-established in this run")

struct pxn_bridge;
/* The worker's body once connected: runs until pxn_quitting(). Returns 0,
 * or a -errno after posting the ERROR. */
typedef int (*pxn_run_fn)(struct pxn_bridge *b);

struct pxn_bridge {
	/* properties */
	char *url;
	char *stream;
	int64_t down_timeout; /* ns */
	px_stat_u64 reconnects;

	/* set by pxn_start */
	struct px_element *e;
	const char *name;
	pxn_run_fn run;
	int efd;		/* eventfd: any thread -> the reactor */
	bool efd_open;
	struct px_op wake_op;	/* reads efd (an op of the element) */
	uint64_t wake_val;
	pthread_t thread;
	bool thread_started;
	pthread_mutex_t mu;	/* guards the element's queues, with cv */
	pthread_cond_t cv;	/* the worker sleeps on it */

	jsOptions jso;		/* the element's JetStream options */
	bool have_jso;
	natsOptions *opts;
	natsConnection *nc;	/* worker's; the reactor uses it once ready */
	jsCtx *js;

	atomic_bool ready;	/* connected, stream (and consumer) found */
	atomic_bool quit;	/* stop() asked the worker to finish */
	atomic_bool done;	/* the worker has closed everything */
	atomic_bool failed;	/* an ERROR was posted */
	atomic_bool connected;
	atomic_bool reconnected; /* for the worker: a reconnect to act on */
	_Atomic int64_t down_since; /* monotonic ns, 0 while connected */
	bool warned;		/* worker: the WARNING of this outage */
};

/* Monotonic nanoseconds. */
int64_t pxn_now(void);

/* READY -> PAUSED on the reactor: the eventfd, then the worker thread that
 * connects and calls RUN. Returns 0 or a -errno (ERROR posted). */
int pxn_start(struct pxn_bridge *b, struct px_element *e, pxn_run_fn run);
/* stop(): asks the worker to finish; the element's stop returns
 * PX_STOP_WHEN_IDLE, which comes once the worker closed the connection and
 * the wake op saw it. */
void pxn_stop(struct pxn_bridge *b);
/* fini(): joins nothing (the worker is gone), closes the eventfd. */
void pxn_fini(struct pxn_bridge *b);

/* Keep the wake op armed (from work()); false once the worker is done. */
bool pxn_arm(struct pxn_bridge *b);
/* Any thread: schedule the element's work(). */
void pxn_wake(struct pxn_bridge *b);

/* Worker: true once stop() asked it to finish. */
static inline bool pxn_quitting(struct pxn_bridge *b)
{
	return atomic_load(&b->quit);
}
/* Worker: sleep on cv (mu held) up to MS milliseconds. */
void pxn_wait_locked(struct pxn_bridge *b, int ms);
/* Worker: post the WARNING of an outage once, and the ERROR once it lasted
 * disconnect-timeout. Returns -ETIMEDOUT after the ERROR, else 0. */
int pxn_check_outage(struct pxn_bridge *b);
/* Post an ERROR naming the element, once. Any thread. Returns ERR. */
int pxn_fail(struct pxn_bridge *b, int err, const char *fmt, ...)
	PX_PRINTF(3, 4);
/* The text of a libnats status, with the library's last error detail. */
const char *pxn_status_text(natsStatus s, char *buf, size_t len);

/* Headers: parse a decimal header of M into *V (false: absent or bad). */
bool pxn_header_i64(natsMsg *m, const char *key, int64_t *v);
bool pxn_header_u64(natsMsg *m, const char *key, uint64_t *v);

#endif /* PXN_BRIDGE_H */
