// SPDX-License-Identifier: MIT
/*
 * ipc_sub.c - the subscriber core: connect to a channel (retrying until the
 * timeout), the handshake, mapping the publisher's pools read-only as
 * remote handles, taking items off the data ring with every field checked,
 * and handing references back on the release ring from whichever thread
 * drops the last one. I/O on the subscriber's reactor thread.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "ipc_int.h"
#include "px_bus.h"
#include "px_error.h"

#define RETRY_NS 20000000ull /* connect again every 20 ms until timeout */
#define STASH_MAX 64u
#define PENDING_MAX 64u

enum sub_state {
	SUB_CONNECTING = 0,
	SUB_HELLO,	/* HELLO sent, waiting for WELCOME */
	SUB_ACTIVE,	/* READY sent */
	SUB_ENDED,	/* publisher gone or refused; items may remain */
};

struct sub_pool {
	struct px__ipc_sub *sub;
	struct px_pool *pool;	 /* remote handle, NULL until POOL */
	struct px_segment *seg;
	uint32_t index;
	/* POOL's shape and local id, kept here: translate() reads them for
	 * every buffer, and the pool's own struct is one more cold line for
	 * a subscriber that waited. */
	uint32_t slots, slot_size;
	uint16_t id;
};

struct px__ipc_sub {
	struct px_reactor *reactor;
	struct px__ipc_sub_events ev;
	char channel[PX__IPC_CHANNEL_MAX];
	struct sockaddr_storage addr;
	int addrlen;
	uint64_t deadline;
	uint64_t timeout_ns; /* as asked, for the sentence at the deadline */
	int fd;
	int state;
	struct px_op conn_op, rx_op, tx_op, timer_op, pid_op;
	int pidfd;		/* the publisher's process, watched */
	struct px__ipc_ctl ctl;
	struct px__ipc_caps_rx caps;
	/* the process link: data ring (consumer end here) and returns */
	struct px_segment *seg;
	struct px_link link;
	struct px__link_wake wake; /* in: to_sub; out: to_pub */
	int to_sub, to_pub;
	bool wake_started;
	bool own_wait;		   /* px__ipc_sub_config.own_wait */
	struct px_ring_view rel;
	struct sub_pool pools[PX__IPC_MAX_POOLS];
	/* items taken off the ring whose pool has not been announced yet */
	struct px_item stash[STASH_MAX];
	unsigned stash_at, stash_n;
	/* Where the next payload probably starts (predict_payload(); pool
	 * 0 until a buffer came), and the slot of the last one. */
	struct px_buf next_a, next_b;
	uint32_t last_slot;
	bool eos_seen, gone, reported;
	int end_err;
	char end_text[PX_MSG_TEXT];
	_Atomic uint64_t returned;
	uint64_t received;
	/* returns made on our own reactor thread, pushed once per turn */
	struct px__ipc_return pending[PENDING_MAX];
	unsigned npend;
	struct px_task flush_task;
	bool flush_queued;
	/* close */
	bool closing;
	void (*done)(void *arg);
	void *done_arg;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static bool sub_idle(const struct px__ipc_sub *s)
{
	return !px_op_busy(&s->conn_op) && !px_op_busy(&s->rx_op) &&
	       !px_op_busy(&s->tx_op) && !px_op_busy(&s->timer_op) &&
	       !px_op_busy(&s->pid_op) && !px_op_busy(&s->wake.rd_op);
}

static void maybe_done(struct px__ipc_sub *s)
{
	void (*done)(void *arg) = s->done;

	if (!s->closing || !done || !sub_idle(s))
		return;
	s->done = NULL;
	done(s->done_arg);
}

static void wake_closed(struct px__link_wake *w)
{
	maybe_done(px_container_of(w, struct px__ipc_sub, wake));
}

/* The channel ended: remember why; the owner hears it once the ring is
 * empty (items the publisher pushed before it went still count). */
static void end(struct px__ipc_sub *s, int err, const char *fmt, ...)
	PX_PRINTF(3, 4);

static void end(struct px__ipc_sub *s, int err, const char *fmt, ...)
{
	va_list ap;

	if (s->gone)
		return;
	s->gone = true;
	s->end_err = err;
	va_start(ap, fmt);
	vsnprintf(s->end_text, sizeof(s->end_text), fmt, ap);
	va_end(ap);
	if (s->state != SUB_ACTIVE)
		s->state = SUB_ENDED;
	px__ipc_hang_up(&s->fd);
	px_reactor_schedule(s->reactor, s->ev.task);
}

/* ---- returns (any thread) ------------------------------------------------ */

/* Push N returns from R on the release ring. Any thread. */
static void push_returns(struct px__ipc_sub *s, const struct px__ipc_return *r,
			 unsigned n)
{
	/* Never full: every entry returns at least one of the at most
	 * capacity references the publisher lends (its max_held). A
	 * publisher that sized it wrong only delays this thread. The view's
	 * item size is the one checked at attach, whatever the header says
	 * now. */
	while (n) {
		unsigned done = px_ring_view_enqueue_burst(&s->rel, r, n);

		r += done;
		n -= done;
		if (n)
			sched_yield();
	}
}

/* The returns gathered during this loop turn go out together: one ring
 * publish and at most one wakeup for a whole burst of releases. */
static void flush_now(struct px__ipc_sub *s)
{
	if (!s->npend)
		return;
	push_returns(s, s->pending, s->npend);
	s->npend = 0;
	if (px_ring_consumer_needs_wake(s->rel.ring)) {
		if (s->wake_started && !s->closing)
			px__link_wake_signal(&s->wake);
		else
			px__link_wake_signal_sync(s->to_pub);
	}
}

static void flush_returns(struct px_task *t)
{
	struct px__ipc_sub *s = px_container_of(t, struct px__ipc_sub,
						flush_task);

	s->flush_queued = false;
	flush_now(s);
}

static void hand_back(struct px_pool *pool, uint32_t slot, uint32_t count,
		      void *arg)
{
	struct sub_pool *sp = arg;
	struct px__ipc_sub *s = sp->sub;
	struct px__ipc_return r = { .index = sp->index, .slot = slot,
				    .count = count };

	(void)pool;
	atomic_fetch_add_explicit(&s->returned, count, memory_order_relaxed);
	if (px_reactor_current() == s->reactor && !s->closing) {
		if (s->npend == PENDING_MAX)
			flush_now(s);
		s->pending[s->npend++] = r;
		if (!s->flush_queued) {
			s->flush_queued = true;
			px_reactor_schedule(s->reactor, &s->flush_task);
		}
		return;
	}
	/* Another thread (a queue downstream, the application): now. */
	push_returns(s, &r, 1);
	if (px_ring_consumer_needs_wake(s->rel.ring))
		px__link_wake_signal_sync(s->to_pub);
}

/* ---- control messages ------------------------------------------------------ */

static void rx_done(struct px_op *op, int res, uint32_t flags);
static void tx_done(struct px_op *op, int res, uint32_t flags);

static void rx_arm(struct px__ipc_sub *s)
{
	px__ipc_ctl_rx_prep(&s->ctl);
	if (px_io_recvmsg(s->reactor, &s->rx_op, s->fd, &s->ctl.rx_msg,
			  MSG_CMSG_CLOEXEC, rx_done) < 0)
		end(s, -EIO, "channel %s: cannot read the control socket",
		    s->channel);
}

static void tx_send(struct px__ipc_sub *s, const void *msg, size_t len)
{
	px__ipc_ctl_tx_prep(&s->ctl, msg, len, NULL, 0);
	if (px_io_sendmsg(s->reactor, &s->tx_op, s->fd, &s->ctl.tx_msg,
			  MSG_NOSIGNAL, tx_done) < 0)
		end(s, -EIO, "channel %s: cannot write the control socket",
		    s->channel);
}

static void tx_done(struct px_op *op, int res, uint32_t flags)
{
	struct px__ipc_sub *s = px_container_of(op, struct px__ipc_sub, tx_op);

	(void)flags;
	if (s->closing) {
		maybe_done(s);
		return;
	}
	/* A failed send is not the story: the publisher may have refused us
	 * and hung up, and the REFUSE waits in our receive queue. The
	 * pending recvmsg reports whichever it is. */
	(void)res;
}

static int on_welcome(struct px__ipc_sub *s, const struct px__ipc_welcome *w,
		      const int *fds, unsigned nfds)
{
	struct px_ring_view rel;
	int err;

	if (nfds != 3)
		return -EPROTO;
	err = px_segment_map_fd(fds[0], false, &s->seg);
	if (err)
		return err;
	if (s->seg->size != w->seg_size)
		return -EPROTO;
	err = px__link_process_attach(&s->link, s->seg, w->data_offset);
	if (err)
		return err;
	if (px_ring_view_capacity(&s->link.ring) != w->data_capacity)
		return -EPROTO;
	if (w->rel_offset % PX_CACHE_LINE || w->rel_offset >= s->seg->size)
		return -EPROTO;
	err = px_ring_view_attach(&rel, (char *)s->seg->base + w->rel_offset,
				  s->seg->size - w->rel_offset);
	if (err)
		return err;
	if (px_ring_view_kind(&rel) != PX_RING_MPSC ||
	    px_ring_view_item_size(&rel) != PX__IPC_RETURN_SIZE ||
	    px_ring_view_capacity(&rel) != w->rel_capacity)
		return -EPROTO;
	s->rel = rel;
	s->to_sub = fcntl(fds[1], F_DUPFD_CLOEXEC, 0);
	s->to_pub = fcntl(fds[2], F_DUPFD_CLOEXEC, 0);
	if (s->to_sub < 0 || s->to_pub < 0)
		return -errno;
	s->link.wake = &s->wake;
	snprintf(s->caps.caps, sizeof(s->caps.caps), "%s", w->caps);
	if (s->own_wait) {
		/* Ours alone to read: never block on it. */
		if (fcntl(s->to_sub, F_SETFL, O_NONBLOCK) < 0)
			return -errno;
		px__link_wake_init(&s->wake, s->reactor, s->ev.task,
				   s->to_sub, s->to_pub);
	} else {
		err = px__link_wake_start(&s->wake, s->reactor, s->ev.task,
					  s->to_sub, s->to_pub);
		if (err)
			return err;
	}
	s->wake_started = true;
	return 0;
}

static int on_pool(struct px__ipc_sub *s, const struct px__ipc_pool_msg *m,
		   const int *fds, unsigned nfds)
{
	struct sub_pool *sp;
	int err;

	if (nfds != 1 || m->index >= PX__IPC_MAX_POOLS)
		return -EPROTO;
	sp = &s->pools[m->index];
	if (sp->pool)
		return -EPROTO; /* announced twice */
	err = px_segment_map_fd(fds[0], true, &sp->seg);
	if (err)
		return err;
	sp->sub = s;
	sp->index = m->index;
	err = px_pool_attach_remote(sp->seg, hand_back, sp, &sp->pool);
	if (!err && (px_pool_slot_count(sp->pool) != m->slots ||
		     px_pool_slot_size(sp->pool) != m->slot_size))
		err = -EPROTO;
	if (err) {
		px_pool_destroy(sp->pool);
		sp->pool = NULL;
		px_segment_destroy(sp->seg);
		sp->seg = NULL;
		return err;
	}
	sp->slots = m->slots;
	sp->slot_size = m->slot_size;
	sp->id = px_pool_id(sp->pool);
	return 0;
}

static void rx_done(struct px_op *op, int res, uint32_t flags)
{
	struct px__ipc_sub *s = px_container_of(op, struct px__ipc_sub, rx_op);
	int fds[PX__IPC_FDS_MAX];
	unsigned nfds = 0;
	const char *why = NULL;
	int type, err = 0;

	(void)flags;
	if (s->closing) {
		maybe_done(s);
		return;
	}
	if (res <= 0) {
		end(s, -EPIPE, "channel %s: the publisher went away",
		    s->channel);
		return;
	}
	nfds = px__ipc_take_fds(&s->ctl.rx_msg, fds, PX__IPC_FDS_MAX);
	type = px__ipc_msg_check(s->ctl.rx_buf, (size_t)res, &why);
	if (type == PX__IPC_REFUSE) {
		end(s, -EACCES, "channel %s refused this subscriber: %s",
		    s->channel, ((struct px__ipc_text *)s->ctl.rx_buf)->text);
	} else if (type == PX__IPC_WELCOME && s->state == SUB_HELLO) {
		err = on_welcome(s, (const struct px__ipc_welcome *)s->ctl.rx_buf,
				 fds, nfds);
		if (!err) {
			struct px__ipc_hdr ready;

			px__ipc_hdr_init(&ready, PX__IPC_READY, sizeof(ready));
			s->state = SUB_ACTIVE;
			tx_send(s, &ready, sizeof(ready));
			if (s->ev.connected)
				s->ev.connected(s->ev.arg, s->caps.caps);
		}
	} else if (type == PX__IPC_POOL && s->state == SUB_ACTIVE) {
		err = on_pool(s, (const struct px__ipc_pool_msg *)s->ctl.rx_buf,
			      fds, nfds);
		px_reactor_schedule(s->reactor, s->ev.task); /* stash */
	} else {
		if (!why)
			why = "a message out of turn";
		err = -EPROTO;
	}
	px__ipc_close_fds(fds, nfds);
	if (err) {
		end(s, err, "channel %s: the publisher broke the protocol: %s",
		    s->channel, why ? why : px_strerror(err));
		return;
	}
	if (!s->gone)
		rx_arm(s);
}

/* ---- connecting ------------------------------------------------------------ */

static void connect_done(struct px_op *op, int res, uint32_t flags);

static void try_connect(struct px__ipc_sub *s)
{
	s->fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (s->fd < 0) {
		end(s, -errno, "channel %s: socket: %s", s->channel,
		    px_strerror(-errno));
		return;
	}
	if (px_io_connect(s->reactor, &s->conn_op, s->fd,
			  (struct sockaddr *)&s->addr, (socklen_t)s->addrlen,
			  connect_done) < 0)
		end(s, -EIO, "channel %s: cannot connect", s->channel);
}

static void retry_done(struct px_op *op, int res, uint32_t flags)
{
	struct px__ipc_sub *s = px_container_of(op, struct px__ipc_sub,
						timer_op);

	(void)res;
	(void)flags;
	if (s->closing) {
		maybe_done(s);
		return;
	}
	try_connect(s);
}

/* The publisher's process exited: as its hang-up, only sooner. */
static void pid_done(struct px_op *op, int res, uint32_t flags)
{
	struct px__ipc_sub *s = px_container_of(op, struct px__ipc_sub, pid_op);

	(void)flags;
	if (s->closing) {
		maybe_done(s);
		return;
	}
	if (res > 0)
		end(s, -EPIPE, "channel %s: the publisher went away",
		    s->channel);
}

static void connect_done(struct px_op *op, int res, uint32_t flags)
{
	struct px__ipc_sub *s = px_container_of(op, struct px__ipc_sub,
						conn_op);
	struct ucred cred = { 0 };
	socklen_t clen = sizeof(cred);
	struct px__ipc_hello h;

	(void)flags;
	if (s->closing) {
		maybe_done(s);
		return;
	}
	if (res == -ECONNREFUSED || res == -ENOENT || res == -EAGAIN) {
		/* No publisher yet: try again until the deadline. */
		close(s->fd);
		s->fd = -1;
		if (now_ns() >= s->deadline) {
			/* A bare number is nanoseconds: "timeout=10" is a
			 * trap worth naming. */
			end(s, -ETIMEDOUT, "channel %s: no publisher after "
					   "waiting %llu ns (ipcsrc timeout)%s",
			    s->channel, (unsigned long long)s->timeout_ns,
			    s->timeout_ns < 1000000
				    ? "; a bare number is nanoseconds: write "
				      "the unit, as timeout=10s"
				    : "");
			return;
		}
		if (px_io_timeout(s->reactor, &s->timer_op, RETRY_NS,
				  retry_done) < 0)
			end(s, -EIO, "channel %s: cannot wait", s->channel);
		return;
	}
	if (res < 0) {
		end(s, res, "channel %s: connect: %s", s->channel,
		    px_strerror(res));
		return;
	}
	if (getsockopt(s->fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) == 0)
		(void)px__ipc_watch_pid(s->reactor, &s->pid_op, cred.pid,
					&s->pidfd, pid_done);
	memset(&h, 0, sizeof(h));
	px__ipc_hdr_init(&h.h, PX__IPC_HELLO, sizeof(h));
	h.pid = (uint32_t)getpid();
	snprintf(h.channel, sizeof(h.channel), "%s", s->channel);
	s->state = SUB_HELLO;
	tx_send(s, &h, sizeof(h));
	rx_arm(s);
}

int px__ipc_sub_create(struct px_reactor *r,
		       const struct px__ipc_sub_config *cfg,
		       const struct px__ipc_sub_events *ev,
		       struct px__ipc_sub **out)
{
	struct px__ipc_sub *s = calloc(1, sizeof(*s));

	if (!s)
		return -ENOMEM;
	s->addrlen = px__ipc_addr(cfg->channel, cfg->socket_path, &s->addr);
	if (s->addrlen < 0) {
		int err = s->addrlen;

		free(s);
		return err;
	}
	s->reactor = r;
	s->ev = *ev;
	s->own_wait = cfg->own_wait;
	px_task_init(&s->flush_task, flush_returns);
	s->fd = s->to_sub = s->to_pub = s->pidfd = -1;
	snprintf(s->channel, sizeof(s->channel), "%s", cfg->channel);
	s->deadline = now_ns() + cfg->timeout_ns;
	s->timeout_ns = cfg->timeout_ns;
	try_connect(s);
	*out = s;
	return 0;
}

/* ---- items --------------------------------------------------------------------- */

/*
 * After buffer B (SLOTS in its pool): guess where the next one starts, for
 * the prefetch an empty ring makes (px__ipc_sub_recv()). A publisher with
 * one buffer out at a time takes its slots in turn (the next buffer is in
 * the slot of the one before B); one that keeps many out goes round the
 * pool (the slot after B's). Both guesses are kept and prefetched.
 */
static void predict_payload(struct px__ipc_sub *s, const struct px_buf *b,
			    uint32_t slots)
{
	s->next_a = (struct px_buf){ .pool = b->pool,
				     .slot = s->last_slot < slots ? s->last_slot
								  : 0,
				     .offset = b->offset };
	s->next_b = (struct px_buf){ .pool = b->pool,
				     .slot = b->slot + 1 < slots ? b->slot + 1
								 : 0,
				     .offset = b->offset };
	s->last_slot = b->slot;
}

/* Check and translate IT in place; 1 ok, 2 taken (nothing to hand out), 0
 * its pool is not known yet, -EPROTO for an item no publisher may send. */
static int translate(struct px__ipc_sub *s, struct px_item *it)
{
	const struct sub_pool *sp;
	uint32_t idx;

	if (it->type == PX_ITEM_EVENT) {
		if (it->ev.size > PX_EVENT_PAYLOAD)
			return -EPROTO;
		if (it->ev.type == PX_EVENT_EOS)
			s->eos_seen = true;
		else if (it->ev.type == PX_EVENT_CAPS)
			return px__ipc_caps_piece(&s->caps, it);
		else
			return -EPROTO;
		return 1;
	}
	if (it->type != PX_ITEM_BUFFER || it->buf.pool == 0)
		return -EPROTO;
	idx = it->buf.pool - 1u;
	if (idx >= PX__IPC_MAX_POOLS)
		return -EPROTO;
	sp = &s->pools[idx];
	if (!sp->pool)
		return 0;
	if (!px__ipc_buf_fits(it, sp->slots, sp->slot_size))
		return -EPROTO;
	(void)px_pool_remote_take(sp->pool, it->buf.slot);
	it->buf.pool = sp->id;
	/* The publisher's word that the bytes passed a validator is not
	 * ours to trust: records are validated again on this side. */
	it->buf.flags &= (uint16_t)~PX_BUF_FLAG_VALIDATED;
	predict_payload(s, &it->buf, sp->slots);
	s->received++;
	return 1;
}

unsigned px__ipc_sub_recv(struct px__ipc_sub *s, struct px_item *items,
			  unsigned n)
{
	unsigned got = 0;

	if (s->state != SUB_ACTIVE && !s->gone)
		return 0;
	while (got < n) {
		int ok;

		if (s->stash_at == s->stash_n) {
			unsigned want = PX_MIN(n - got, STASH_MAX);

			s->stash_at = 0;
			s->stash_n = s->link.ring.ring ?
				px_ring_view_dequeue_burst(&s->link.ring, s->stash,
						      want) : 0;
			if (!s->stash_n) {
				/* Empty: ask for where the next payload
				 * probably starts, so that a subscriber that
				 * polls has its first line by the time the
				 * descriptor names it (the ring prefetches
				 * the descriptor's slot the same way). A
				 * hint: no load, no fault, nothing trusted. */
				if (s->next_b.pool) {
					__builtin_prefetch(
						px__buf_data_held(&s->next_a));
					__builtin_prefetch(
						px__buf_data_held(&s->next_b));
				}
				break;
			}
			/* Awake once something was taken, not on every look:
			 * a caller that spins on an empty ring then writes
			 * nothing the publisher reads (the flag stays set until
			 * a push clears it, and that push is what we took). */
			px__link_consumer_resume(&s->link);
			if (px_ring_view_count(&s->link.ring) <= s->link.half)
				px__link_wake_producer(&s->link);
		}
		ok = translate(s, &s->stash[s->stash_at]);
		if (ok == 0)
			break; /* its POOL message is on the way */
		if (ok < 0) {
			end(s, -EPROTO, "channel %s: the publisher sent an item "
					"outside its pools or a malformed "
					"event", s->channel);
			s->stash_at = s->stash_n = 0;
			break;
		}
		if (ok == 2) {
			s->stash_at++;
			continue;
		}
		items[got++] = s->stash[s->stash_at++];
		/* A caps change ends the batch: px__ipc_sub_caps() stays what
		 * its mark means until the caller took it. */
		if (px__ipc_sub_is_caps(&items[got - 1]))
			break;
	}
	if (!got && s->gone && !s->reported && s->stash_at == s->stash_n &&
	    (!s->link.ring.ring || !px_ring_view_count(&s->link.ring))) {
		s->reported = true;
		if (!s->eos_seen && s->ev.error)
			s->ev.error(s->ev.arg, s->end_err, s->end_text);
	}
	return got;
}

const char *px__ipc_sub_caps(const struct px__ipc_sub *s)
{
	return s->caps.caps;
}

int px__ipc_sub_wake_fd(const struct px__ipc_sub *s)
{
	return s->wake_started && !s->gone ? s->to_sub : -1;
}

bool px__ipc_sub_wake_drain(struct px__ipc_sub *s)
{
	uint64_t v;

	if (!s->own_wait || !s->wake_started)
		return false;
	if (read(s->to_sub, &v, sizeof(v)) != sizeof(v))
		return false; /* EAGAIN: nothing arrived */
	s->wake.wakes_received++;
	return true;
}

bool px__ipc_sub_idle(struct px__ipc_sub *s)
{
	if (s->gone)
		return !(s->stash_at < s->stash_n ||
			 (s->link.ring.ring && px_ring_view_count(&s->link.ring)) ||
			 !s->reported);
	if (s->stash_at < s->stash_n)
		return true; /* waiting for a POOL message: rx schedules */
	if (!s->link.ring.ring)
		return true;
	return px__link_consumer_wait(&s->link);
}

void px__ipc_sub_stats(const struct px__ipc_sub *s, struct px__ipc_sub_stats *st)
{
	st->received = s->received;
	st->returned = atomic_load_explicit(&s->returned, memory_order_relaxed);
	st->held = 0;
	for (unsigned i = 0; i < PX__IPC_MAX_POOLS; i++)
		if (s->pools[i].pool)
			st->held += px_pool_remote_held(s->pools[i].pool);
	st->connected = s->state == SUB_ACTIVE && !s->gone;
}

/* ---- teardown -------------------------------------------------------------------- */

bool px__ipc_sub_close(struct px__ipc_sub *s, void (*done)(void *arg),
		       void *arg)
{
	if (s->rel.ring)
		flush_now(s); /* a flush still queued then finds nothing */
	s->closing = true;
	/* Items taken but not delivered go back with the hang-up. */
	s->stash_at = s->stash_n = 0;
	px__ipc_hang_up(&s->fd);
	px__ipc_cancel_ops(s->reactor,
			   (struct px_op *const[]){ &s->conn_op, &s->rx_op,
						    &s->tx_op, &s->timer_op,
						    &s->pid_op }, 5);
	if (s->wake_started && !px__link_wake_stop(&s->wake))
		s->wake.closed = wake_closed;
	if (sub_idle(s))
		return true;
	s->done = done;
	s->done_arg = arg;
	return false;
}

int px__ipc_sub_destroy(struct px__ipc_sub *s)
{
	if (!s)
		return 0;
	if (s->flush_queued)
		return -EBUSY; /* its reactor still holds our flush task */
	for (unsigned i = 0; i < PX__IPC_MAX_POOLS; i++)
		if (s->pools[i].pool && px_pool_remote_held(s->pools[i].pool))
			return -EBUSY;
	for (unsigned i = 0; i < PX__IPC_MAX_POOLS; i++) {
		px_pool_destroy(s->pools[i].pool);
		px_segment_destroy(s->pools[i].seg);
	}
	px_segment_destroy(s->seg);
	if (s->to_sub >= 0)
		close(s->to_sub);
	if (s->to_pub >= 0)
		close(s->to_pub);
	px__ipc_close_fd(&s->pidfd);
	free(s);
	return 0;
}

