/* SPDX-License-Identifier: MIT */
/*
 * reactor_test_util.h - helpers shared by the reactor's check programs
 * (test_reactor.c, test_reactor_io.c): a counting test op, waits, running
 * a function on a reactor's thread, and a loopback TCP listener.
 */
#ifndef REACTOR_TEST_UTIL_H
#define REACTOR_TEST_UTIL_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include "px_probe.h"
#include "px_reactor.h"
#include "px_test.h"

static const struct px_reactor_config base_cfg = PX_REACTOR_CONFIG_DEFAULT;

/* A test op: counts callbacks and keeps the last result. */
struct top {
	struct px_op op;
	atomic_int fired;
	atomic_int more;
	atomic_int res;
	atomic_int fds[8];
};

static inline void top_cb(struct px_op *op, int res, uint32_t flags)
{
	struct top *t = px_container_of(op, struct top, op);
	int n = atomic_fetch_add(&t->fired, 1);

	atomic_store(&t->res, res);
	if (flags & PX_OP_MORE)
		atomic_fetch_add(&t->more, 1);
	if (n < 8)
		atomic_store(&t->fds[n], res);
}

static inline void sleep_ms(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000 };

	nanosleep(&ts, NULL);
}

/* Wait up to 5 s for *V to reach N. */
static inline bool wait_for(atomic_int *v, int n)
{
	for (int i = 0; i < 5000 && atomic_load(v) < n; i++)
		sleep_ms(1);
	return atomic_load(v) >= n;
}

/* Run FN(ARG) on R's thread and wait for it (a posted task). */
struct call {
	struct px_task task;
	void (*fn)(struct px_reactor *r, void *arg);
	struct px_reactor *r;
	void *arg;
	atomic_int done;
};

static inline void call_fn(struct px_task *t)
{
	struct call *c = px_container_of(t, struct call, task);

	c->fn(c->r, c->arg);
	atomic_store(&c->done, 1);
}

static inline void call_on(struct px_reactor *r,
			   void (*fn)(struct px_reactor *r, void *arg),
			   void *arg)
{
	struct call c = { .fn = fn, .r = r, .arg = arg };

	px_task_init(&c.task, call_fn);
	ck_assert_int_eq(px_reactor_post(r, &c.task), 0);
	ck_assert(wait_for(&c.done, 1));
}

static inline struct px_reactor *
start_reactor(const struct px_reactor_config *cfg)
{
	struct px_reactor *r;
	int ret = px_reactor_create(cfg ? cfg : &base_cfg, &r);

	ck_assert_int_eq(ret, 0);
	ck_assert_int_eq(px_reactor_start(r), 0);
	return r;
}

/* Skip a test of io_uring's own machinery (MSG_RING, setup flags) when
 * this process runs its reactors on epoll; the reason names io_uring, so
 * PX_REQUIRE=io_uring turns the skip into a failure. */
#define NEED_URING()                                                        \
	do {                                                                \
		if (px_backend_default(NULL) != PX_BACKEND_IO_URING)        \
			PX_SKIP("needs the io_uring backend; reactors run on " \
				"epoll here");                              \
	} while (0)

/* True when ST (px_reactor_stats) comes from an io_uring reactor: the
 * counters of io_uring's own machinery are asserted only then. */
#define ON_URING(st) ((st).backend == PX_BACKEND_IO_URING)

/* A listening TCP socket on loopback; SA gets its address and port. */
static inline int tcp_listener(struct sockaddr_in *sa)
{
	socklen_t len = sizeof(*sa);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	ck_assert_int_ge(fd, 0);
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)sa, sizeof(*sa)), 0);
	ck_assert_int_eq(listen(fd, 16), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)sa, &len), 0);
	return fd;
}

#endif /* REACTOR_TEST_UTIL_H */
