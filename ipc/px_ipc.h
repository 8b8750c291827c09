/* SPDX-License-Identifier: MIT */
/*
 * px_ipc.h - publish and subscribe to buffers across processes without a
 * pipeline, for services that run their own event loop. The same channels
 * as the ipcsink and ipcsrc elements: a px_ipc_publisher is heard by ipcsrc,
 * an ipcsink by a px_ipc_subscriber, in any mix.
 *
 * What crosses: each buffer travels by reference. The publisher's pool is a
 * sealed memfd that subscribers map read-only; a subscriber's px_buf points
 * into that mapping (px_buf_data() is the publisher's slot, no byte copied),
 * and its last px_buf_unref() hands the slot back. The publisher keeps the
 * only record of what each subscriber holds, so a subscriber that crashes
 * returns everything at once (its socket hangs up) and one that misbehaves
 * cannot free a slot the publisher still uses. docs/ipc.md has the whole
 * story: names, permissions, slow subscribers, what crosses and what not.
 *
 * Threads. Each object runs its own embedded reactor: call every function
 * of one object from one thread at a time (the first call's thread owns the
 * reactor). Put px_ipc_*_fd() in your poll/epoll set and call
 * px_ipc_*_poll() (or recv) when it is readable; between calls nothing
 * runs, so a publisher that is not polled does not notice returns.
 * Buffers received by a subscriber may be released on any thread.
 * Stability: public API, changed only with the ABI version (px_plugin.h).
 */
#ifndef PX_IPC_H
#define PX_IPC_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "px_base.h"
#include "px_buf.h"

PX_EXTERN_C_BEGIN

struct px_ipc_publisher;
struct px_ipc_subscriber;

/* What a publisher does with a subscriber that has no room. */
enum px_ipc_slow {
	PX_IPC_SLOW_BLOCK = 0,	    /* send waits (-EAGAIN) for the slowest */
	PX_IPC_SLOW_DROP = 1,	    /* that subscriber misses the buffer */
	PX_IPC_SLOW_DISCONNECT = 2, /* that subscriber is disconnected */
};

/*
 * Publisher configuration; zero is the default of every field.
 *   struct px_ipc_publisher_config cfg = { .channel = "camera0" };
 */
struct px_ipc_publisher_config {
	const char *channel;	 /* required: the name subscribers use */
	const char *socket_path; /* NULL: abstract socket "parallax/ipc/<channel>"
				    (nothing in the file system); else this
				    path, created 0600 */
	const char *caps;	 /* told to subscribers; NULL: "ANY" */
	unsigned ring_size;	 /* items in each subscriber's ring; 0: 256
				    (a power of two) */
	unsigned max_held;	 /* buffers one subscriber may hold; 0: 4096
				    (a power of two) */
	enum px_ipc_slow slow;	 /* default PX_IPC_SLOW_BLOCK */
	uint64_t handshake_timeout_ns; /* 0: 2 s */
	const uid_t *allow_uids; /* besides the publisher's own uid */
	unsigned n_allow_uids;
	const gid_t *allow_gids;
	unsigned n_allow_gids;
};

/*
 * px_ipc_publisher_create - own the channel and start accepting
 * subscribers. @cfg: borrowed (copied). @out: transfer full.
 * Returns 0, -EINVAL (no channel), -ENAMETOOLONG, -EADDRINUSE (another
 * publisher owns the channel), -ENOSYS (io_uring unavailable), -ENOMEM, or
 * another -errno of socket/bind/listen. px_ipc_publisher_error() (on the
 * returned NULL, i.e. for the last failure on this thread) is not kept:
 * the code says it.
 * Thread: any; the object then belongs to this thread.
 */
PX_API int px_ipc_publisher_create(const struct px_ipc_publisher_config *cfg,
				   struct px_ipc_publisher **out);

/*
 * px_ipc_publisher_pool_create - a pool whose buffers can be published: a
 * sealed memfd (huge pages when reserved), owned by the publisher and
 * destroyed with it. Buffers from other pools that have an fd (memfd, file)
 * can be sent too; heap pools cannot (-EXDEV from send).
 * Returns 0, -EINVAL (zero sizes), or px_pool_create's errors.
 * @out: transfer none (the publisher owns it). Thread: the owner.
 */
PX_API int px_ipc_publisher_pool_create(struct px_ipc_publisher *pub,
					uint32_t slot_size, uint32_t slots,
					struct px_pool **out);

/*
 * px_ipc_publisher_send - publish @buf to every subscriber now connected.
 * Ownership: on 0 (transfer full: each subscriber got its own reference and
 * the caller's was dropped, *buf zeroed); on -EAGAIN (transfer none: a
 * slow=block subscriber has no room: poll and try again); on any other
 * error *buf is released.
 * Returns 0, -EAGAIN, -EXDEV (its pool cannot be shared), -ENOSPC (more
 * than 32 pools published), -EPIPE (the channel failed).
 * Thread: the owner.
 */
PX_API int px_ipc_publisher_send(struct px_ipc_publisher *pub,
				 struct px_buf *buf);

/* End of stream: subscribers see it after every buffer sent before.
 * Returns 0 or -EAGAIN (no room: poll and try again). Thread: the owner. */
PX_API int px_ipc_publisher_send_eos(struct px_ipc_publisher *pub);

/*
 * px_ipc_publisher_poll - run what is pending: accept and handshake new
 * subscribers, take back returned buffers, notice departures. Waits up to
 * @timeout_ms for something to happen (0: never waits, -1: until
 * something does). Returns the number of events handled (>= 0) or -errno.
 * Thread: the owner.
 */
PX_API int px_ipc_publisher_poll(struct px_ipc_publisher *pub, int timeout_ms);

/* An fd that becomes readable when px_ipc_publisher_poll() has work
 * (level-triggered; the publisher keeps it). Thread: any. */
PX_API int px_ipc_publisher_fd(const struct px_ipc_publisher *pub);

/* Subscribers connected now. Thread: the owner. */
PX_API unsigned px_ipc_publisher_subscribers(const struct px_ipc_publisher *pub);

/* Buffer references subscribers hold now (0 once all were returned).
 * Thread: the owner. */
PX_API uint64_t px_ipc_publisher_held(const struct px_ipc_publisher *pub);

/*
 * px_ipc_publisher_destroy - disconnect every subscriber (what they held
 * comes back), close the channel, free the pools it made. Buffers of those
 * pools that the caller still holds dangle: release them first.
 * Accepts NULL. Thread: the owner.
 */
PX_API void px_ipc_publisher_destroy(struct px_ipc_publisher *pub);

struct px_ipc_subscriber_config {
	const char *channel;	 /* required */
	const char *socket_path; /* NULL: the abstract name */
	uint64_t timeout_ns;	 /* wait this long for a publisher; 0: 10 s */
};

/*
 * px_ipc_subscriber_create - start connecting (the connection completes
 * inside later recv/poll calls, retrying until the timeout).
 * Returns 0, -EINVAL, -ENAMETOOLONG, -ENOSYS, -ENOMEM. @out: transfer full.
 * Thread: any; the object then belongs to this thread.
 */
PX_API int px_ipc_subscriber_create(const struct px_ipc_subscriber_config *cfg,
				    struct px_ipc_subscriber **out);

/*
 * px_ipc_subscriber_recv - the next buffer, waiting up to @timeout_ms (0:
 * never, -1: forever).
 * @out: on 0 a new reference (transfer full) to read-only memory; release
 * it with px_buf_unref() on any thread.
 * Returns 0, -EAGAIN (nothing within the timeout), -ENODATA (end of stream:
 * the publisher sent EOS), -EPIPE (the publisher went away), -ETIMEDOUT (no
 * publisher appeared in time), -EACCES (refused; the text says why),
 * -EPROTO (the publisher broke the protocol). After an error the
 * subscriber is finished: px_ipc_subscriber_error() has the sentence.
 * Thread: the owner.
 */
PX_API int px_ipc_subscriber_recv(struct px_ipc_subscriber *sub,
				  struct px_buf *out, int timeout_ms);

/*
 * px_ipc_subscriber_try_recv - for callers that busy-poll: the next buffer
 * if one is on the ring, else -EAGAIN at once. It reads shared memory only
 * and enters the kernel only when the subscriber's reactor has something
 * to do (a control message, a hang-up, returns to send). Unlike recv it
 * never asks the publisher for a wakeup, so a spinning caller costs the
 * publisher no syscall per buffer; and it never drains
 * px_ipc_subscriber_fd(): a loop driven by that fd calls recv(sub, out, 0).
 * Returns and @out as px_ipc_subscriber_recv(). Thread: the owner.
 */
PX_API int px_ipc_subscriber_try_recv(struct px_ipc_subscriber *sub,
				      struct px_buf *out);

/* The sentence of the error that ended SUB (names the channel), or "".
 * Borrowed. Thread: the owner. */
PX_API const char *px_ipc_subscriber_error(const struct px_ipc_subscriber *sub);

/* The publisher's caps once connected, else "": those of the buffers recv
 * hands out next (a change upstream arrives in order with them). Borrowed:
 * valid until the next recv. */
PX_API const char *px_ipc_subscriber_caps(const struct px_ipc_subscriber *sub);

/*
 * px_ipc_subscriber_fd - an fd that becomes readable when recv may return
 * something: put it in your epoll set (EPOLLIN, level-triggered) and call
 * px_ipc_subscriber_recv(sub, &buf, 0) until -EAGAIN when it fires; that
 * also consumes its readiness. (It is an epoll set of the subscriber's
 * reactor and, once connected, the publisher's wakeup eventfd.) Valid from
 * create to destroy; do not close it. Thread: any.
 */
PX_API int px_ipc_subscriber_fd(const struct px_ipc_subscriber *sub);

/*
 * px_ipc_subscriber_destroy - hang up (the publisher takes back whatever
 * this process still holds). Buffers still held stay readable until
 * released; their mapping is then leaked rather than pulled from under
 * them (release everything first to free it). Accepts NULL.
 * Thread: the owner.
 */
PX_API void px_ipc_subscriber_destroy(struct px_ipc_subscriber *sub);

PX_EXTERN_C_END

#endif /* PX_IPC_H */
