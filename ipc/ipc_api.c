// SPDX-License-Identifier: MIT
/*
 * ipc_api.c - px_ipc_publisher and px_ipc_subscriber: the channel cores of
 * ipc_pub.c and ipc_sub.c driven by an embedded reactor that the caller's
 * own loop runs (px_reactor_run_once behind the *_poll and recv calls).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "ipc_int.h"
#include "px_bus.h"
#include "px_ipc.h"

#define API_POOLS_MAX 8

struct px_ipc_publisher {
	struct px_reactor *r;
	struct px__ipc_pub *pub;
	struct px_task task;	/* the core's wakeups: nothing to run, the
				   caller's next call does the work */
	struct px_pool *pools[API_POOLS_MAX];
	unsigned n_pools;
	uint16_t shared_id; /* the last pool id found shareable (0: none) */
	bool failed;
};

struct px_ipc_subscriber {
	struct px_reactor *r;
	struct px__ipc_sub *sub;
	int epfd;		/* px_ipc_subscriber_fd(): the reactor's fd and,
				   once connected, the wake eventfd */
	bool wake_in_epfd;
	struct px_task task;
	struct px_item stash[64];
	unsigned at, n;
	int err;		/* sticky: the end of the channel */
	bool eos;
	char caps[PX__IPC_CAPS_MAX];
	char text[PX_MSG_TEXT];
};

static void noop_task(struct px_task *t)
{
	(void)t;
}

/*
 * One turn of R waiting up to TIMEOUT_MS; when callbacks ran, one more
 * that never waits, so that what they queued (a READY, a pool
 * announcement) is submitted now and not at the caller's next call.
 */
static int turn(struct px_reactor *r, int timeout_ms)
{
	int n = px_reactor_run_once(r, timeout_ms);

	if (n > 0)
		(void)px_reactor_run_once(r, 0);
	return n;
}

/* An embedded reactor whose ring exists (created on this thread). */
static int embedded_reactor(struct px_reactor **out)
{
	struct px_reactor_config rc = PX_REACTOR_CONFIG_DEFAULT;
	int err;

	rc.name = "px-ipc";
	rc.no_pin = true; /* the caller's thread: not ours to move */
	rc.spin_ns = 0;
	err = px_reactor_create(&rc, out);
	if (err)
		return err;
	err = px_reactor_run_once(*out, 0);
	if (err < 0) {
		px_reactor_destroy(*out);
		*out = NULL;
		return err;
	}
	return 0;
}

/* ---- publisher ------------------------------------------------------------- */

static void pub_error(void *arg, int err, const char *text)
{
	struct px_ipc_publisher *p = arg;

	(void)err;
	(void)text;
	p->failed = true;
}

PX_API int px_ipc_publisher_create(const struct px_ipc_publisher_config *cfg,
				   struct px_ipc_publisher **out)
{
	struct px__ipc_pub_config pc = { 0 };
	struct px__ipc_pub_events ev = { .error = pub_error };
	struct px_ipc_publisher *p;
	char why[PX_MSG_TEXT];
	int err;

	if (!cfg || !cfg->channel || !*cfg->channel || !out)
		return -EINVAL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	px_task_init(&p->task, noop_task);
	err = embedded_reactor(&p->r);
	if (err)
		goto err_free;
	pc.channel = cfg->channel;
	pc.socket_path = cfg->socket_path;
	pc.caps = cfg->caps;
	pc.ring_capacity = cfg->ring_size;
	pc.max_held = cfg->max_held;
	pc.slow = (int)cfg->slow;
	pc.handshake_timeout_ns = cfg->handshake_timeout_ns;
	pc.allow_uids = cfg->allow_uids;
	pc.n_allow_uids = cfg->n_allow_uids;
	pc.allow_gids = cfg->allow_gids;
	pc.n_allow_gids = cfg->n_allow_gids;
	if ((pc.ring_capacity & (pc.ring_capacity - 1)) ||
	    (pc.max_held & (pc.max_held - 1))) {
		err = -EINVAL;
		goto err_reactor;
	}
	ev.arg = p;
	ev.task = &p->task;
	err = px__ipc_pub_create(p->r, &pc, &ev, &p->pub, why, sizeof(why));
	if (err)
		goto err_reactor;
	*out = p;
	return 0;
err_reactor:
	px_reactor_destroy(p->r);
err_free:
	free(p);
	return err;
}

PX_API int px_ipc_publisher_pool_create(struct px_ipc_publisher *p,
					uint32_t slot_size, uint32_t slots,
					struct px_pool **out)
{
	struct px_pool_config cfg = {
		.slot_size = px_pool_round_slot_size(slot_size),
		.slots = slots,
		.name = "px-ipc",
		.segment = { .kind = PX_SEGMENT_HUGETLB, .shareable = true,
			     .numa_node = -1 },
	};
	int err;

	if (!p || !out || !slot_size || !slots)
		return -EINVAL;
	if (p->n_pools == API_POOLS_MAX)
		return -ENOSPC;
	err = px_pool_create(&cfg, &p->pools[p->n_pools]);
	if (err)
		return err;
	*out = p->pools[p->n_pools++];
	return 0;
}

static int pub_send_item(struct px_ipc_publisher *p, struct px_item *it)
{
	unsigned sent;

	if (p->failed) {
		px_item_release(it);
		return -EPIPE;
	}
	sent = px__ipc_pub_send(p->pub, it, 1);
	/* One turn when there is something to do: what the send queued (a
	 * pool announcement) goes out now, and joins and departures are
	 * noticed. Nothing to do costs nothing (no syscall per buffer). */
	if (!px_reactor_idle(p->r))
		(void)px_reactor_run_once(p->r, 0);
	return sent == 1 ? 0 : -EAGAIN;
}

PX_API int px_ipc_publisher_send(struct px_ipc_publisher *p, struct px_buf *buf)
{
	struct px_item it;
	int err;

	/* The pool's segment is looked at once per pool, not per buffer:
	 * after a publisher sat idle, that walk (pool, then segment) was
	 * two cold cache misses ahead of every message. */
	if (px_unlikely(buf->pool != p->shared_id)) {
		if (!px__ipc_pool_shareable(px_buf_pool(buf))) {
			px_buf_unref(buf);
			return -EXDEV;
		}
		p->shared_id = buf->pool;
	}
	px_item_from_buf(&it, buf);
	err = pub_send_item(p, &it);
	if (err != -EAGAIN)
		*buf = (struct px_buf){ 0 };
	/* A buffer the core could not announce was dropped and counted. */
	return err;
}

PX_API int px_ipc_publisher_send_eos(struct px_ipc_publisher *p)
{
	struct px_item it;

	px_item_eos(&it);
	return pub_send_item(p, &it);
}

PX_API int px_ipc_publisher_poll(struct px_ipc_publisher *p, int timeout_ms)
{
	int n;

	px__ipc_pub_poll(p->pub); /* returns wake the wait below */
	n = turn(p->r, timeout_ms);
	if (n >= 0)
		px__ipc_pub_poll(p->pub);
	return n;
}

PX_API int px_ipc_publisher_fd(const struct px_ipc_publisher *p)
{
	return px_reactor_fd(p->r);
}

PX_API unsigned px_ipc_publisher_subscribers(const struct px_ipc_publisher *p)
{
	return px__ipc_pub_subscribers(p->pub);
}

PX_API uint64_t px_ipc_publisher_held(const struct px_ipc_publisher *p)
{
	return px__ipc_pub_held(p->pub);
}

static void set_flag(void *arg)
{
	*(bool *)arg = true;
}

PX_API void px_ipc_publisher_destroy(struct px_ipc_publisher *p)
{
	bool done = false;

	if (!p)
		return;
	if (!px__ipc_pub_close(p->pub, set_flag, &done))
		while (!done && px_reactor_run_once(p->r, -1) >= 0)
			;
	px_reactor_destroy(p->r);
	for (unsigned i = 0; i < p->n_pools; i++)
		px_pool_destroy(p->pools[i]);
	free(p);
}

/* ---- subscriber ------------------------------------------------------------- */

static void sub_connected(void *arg, const char *caps)
{
	struct px_ipc_subscriber *s = arg;

	snprintf(s->caps, sizeof(s->caps), "%s", caps);
}

static void sub_error(void *arg, int err, const char *text)
{
	struct px_ipc_subscriber *s = arg;

	if (s->err)
		return;
	s->err = err == -ECONNREFUSED || err == -ECONNRESET ? -EPIPE : err;
	snprintf(s->text, sizeof(s->text), "%s", text);
}

PX_API int px_ipc_subscriber_create(const struct px_ipc_subscriber_config *cfg,
				    struct px_ipc_subscriber **out)
{
	struct px__ipc_sub_config sc = { 0 };
	struct px__ipc_sub_events ev = { .connected = sub_connected,
					 .error = sub_error };
	struct px_ipc_subscriber *s;
	int err;

	if (!cfg || !cfg->channel || !*cfg->channel || !out)
		return -EINVAL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	px_task_init(&s->task, noop_task);
	err = embedded_reactor(&s->r);
	if (err)
		goto err_free;
	s->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (s->epfd < 0) {
		err = -errno;
		goto err_reactor;
	}
	{
		struct epoll_event e = { .events = EPOLLIN };

		if (epoll_ctl(s->epfd, EPOLL_CTL_ADD, px_reactor_fd(s->r),
			      &e) < 0) {
			err = -errno;
			goto err_epoll;
		}
	}
	sc.channel = cfg->channel;
	sc.socket_path = cfg->socket_path;
	sc.timeout_ns = cfg->timeout_ns ? cfg->timeout_ns : 10000000000ull;
	sc.own_wait = true;
	ev.arg = s;
	ev.task = &s->task;
	err = px__ipc_sub_create(s->r, &sc, &ev, &s->sub);
	if (err)
		goto err_epoll;
	*out = s;
	return 0;
err_epoll:
	close(s->epfd);
err_reactor:
	px_reactor_destroy(s->r);
err_free:
	free(s);
	return err;
}

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* What is there already: the stash, then the ring. 0 with *OUT set, 1 when
 * nothing is, or the error or -ENODATA that ended the stream. */
static int take(struct px_ipc_subscriber *s, struct px_buf *out)
{
	for (;;) {
		while (s->at < s->n) {
			struct px_item *it = &s->stash[s->at++];

			if (it->type == PX_ITEM_BUFFER) {
				*out = it->buf;
				return 0;
			}
			if (px_item_is_eos(it))
				s->eos = true;
			else if (px__ipc_sub_is_caps(it))
				snprintf(s->caps, sizeof(s->caps), "%s",
					 px__ipc_sub_caps(s->sub));
		}
		if (s->eos)
			return -ENODATA;
		if (s->err)
			return s->err;
		s->at = 0;
		s->n = px__ipc_sub_recv(s->sub, s->stash, 64);
		if (!s->n)
			return s->err ? s->err : 1;
	}
}

/*
 * Once connected, the wake eventfd joins the reactor's fd in the epoll set
 * that px_ipc_subscriber_fd() hands out. The subscriber core reads it only
 * through px__ipc_sub_wake_drain() (own_wait): no io_uring op waits on it.
 */
static void watch_wake(struct px_ipc_subscriber *s)
{
	struct epoll_event e = { .events = EPOLLIN };
	int fd;

	if (s->wake_in_epfd)
		return;
	fd = px__ipc_sub_wake_fd(s->sub);
	if (fd >= 0 && epoll_ctl(s->epfd, EPOLL_CTL_ADD, fd, &e) == 0)
		s->wake_in_epfd = true;
}

/* One turn of the subscriber's reactor that never waits; the handshake
 * may finish in it, and the wake eventfd then joins the epoll set. */
static int sub_turn(struct px_ipc_subscriber *s)
{
	int n = turn(s->r, 0);

	watch_wake(s);
	return n;
}

/*
 * Sleep up to WAIT ms (-1: no limit) on the epoll set of the reactor's fd
 * and the wake eventfd: the publisher's write(2) wakes it directly, as fast
 * as the machine's eventfd floor allows.
 */
static void sleep_on(struct px_ipc_subscriber *s, int wait)
{
	struct epoll_event e[2];

	(void)epoll_wait(s->epfd, e, 2, wait);
}

PX_API int px_ipc_subscriber_recv(struct px_ipc_subscriber *s,
				  struct px_buf *out, int timeout_ms)
{
	int64_t deadline = timeout_ms > 0 ? mono_ms() + timeout_ms : 0;
	int rc, wait;

	*out = (struct px_buf){ 0 };
	for (;;) {
		rc = take(s, out);
		if (rc != 1)
			return rc;
		if (!px__ipc_sub_idle(s->sub))
			continue; /* items raced in */
		/* Flagged for a wakeup: one that came before the flag, or for
		 * items we just took, means look again; after the drain, the
		 * next write(2) makes the eventfd readable. */
		if (px__ipc_sub_wake_drain(s->sub))
			continue;
		if (timeout_ms == 0) {
			/* One turn that never blocks (it also drains the fd
			 * of a loop that polls it), then what it brought. */
			if (sub_turn(s) < 0)
				return -EIO;
			rc = take(s, out);
			return rc == 1 ? -EAGAIN : rc;
		}
		if (!px_reactor_idle(s->r)) {
			if (sub_turn(s) < 0)
				return -EIO;
			continue;
		}
		wait = timeout_ms;
		if (timeout_ms > 0) {
			int64_t left = deadline - mono_ms();

			wait = (int)PX_MAX(left, 0);
			if (wait == 0)
				return -EAGAIN;
		}
		sleep_on(s, wait);
		if (sub_turn(s) < 0)
			return -EIO;
	}
}

PX_API int px_ipc_subscriber_try_recv(struct px_ipc_subscriber *s,
				      struct px_buf *out)
{
	int rc;

	*out = (struct px_buf){ 0 };
	rc = take(s, out);
	if (rc != 1)
		return rc;
	if (px_reactor_idle(s->r))
		return -EAGAIN;
	/* Control messages, a hang-up, returns to flush: one turn. */
	if (sub_turn(s) < 0)
		return -EIO;
	rc = take(s, out);
	return rc == 1 ? -EAGAIN : rc;
}

PX_API const char *px_ipc_subscriber_error(const struct px_ipc_subscriber *s)
{
	return s->text;
}

PX_API const char *px_ipc_subscriber_caps(const struct px_ipc_subscriber *s)
{
	return s->caps;
}

PX_API int px_ipc_subscriber_fd(const struct px_ipc_subscriber *s)
{
	return s->epfd;
}

PX_API void px_ipc_subscriber_destroy(struct px_ipc_subscriber *s)
{
	bool done = false;

	if (!s)
		return;
	while (s->at < s->n)
		px_item_release(&s->stash[s->at++]);
	if (!px__ipc_sub_close(s->sub, set_flag, &done))
		while (!done && px_reactor_run_once(s->r, -1) >= 0)
			;
	px_reactor_destroy(s->r);
	close(s->epfd);
	/* -EBUSY: buffers are still out; their mapping stays (documented). */
	(void)px__ipc_sub_destroy(s->sub);
	free(s);
}
