// SPDX-License-Identifier: MIT
/* test_reactor_io.c - the reactor's op API on real fds: NOP batching, fixed
 * buffers and pools, timeouts and cancel, file ops and poll, sockets
 * (SCM_RIGHTS, accept/connect, SEND_ZC). Rings are created in each test. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "px_pool.h"
#include "px_probe.h"
#include "px_reactor.h"
#include "px_test.h"
#include "reactor_test_util.h"

/* ------------------------------------------------------------------------ */
/* Submission batching, fixed buffers and pools.                            */

/* 32 NOPs queued in one turn go out with one io_uring_enter. */
START_TEST(test_reactor_nop_batch)
{
	struct px_reactor_stats a, b;
	struct px_reactor *r;
	struct top t[32];
	int n = 0;

	memset(t, 0, sizeof(t));
	ck_assert_int_eq(px_reactor_create(&base_cfg, &r), 0);
	ck_assert_int_ge(px_reactor_run_once(r, 0), 0);
	ck_assert(px_reactor_on_thread(r));
	for (int i = 0; i < 32; i++)
		ck_assert_int_eq(px_io_nop(r, &t[i].op, top_cb), 0);
	ck_assert_int_eq(px_io_nop(r, &t[0].op, top_cb), -EBUSY);
	px_reactor_stats(r, &a);
	while (n < 32) {
		int ret = px_reactor_run_once(r, -1);

		ck_assert_int_ge(ret, 0);
		n += ret;
	}
	px_reactor_stats(r, &b);
	if (ON_URING(b)) { /* one io_uring_enter for the batch */
		ck_assert_uint_eq(b.submits - a.submits, 1);
		ck_assert_uint_eq(b.sqes - a.sqes, 32);
	}
	ck_assert_uint_eq(b.cqes - a.cqes, 32);
	for (int i = 0; i < 32; i++)
		ck_assert_int_eq(t[i].fired, 1);
	px_reactor_destroy(r);

	/* More than the SQ holds: one early flush, nothing lost. */
	struct px_reactor_config cfg = base_cfg;
	struct top *many = calloc(40, sizeof(*many));

	cfg.sq_entries = 32;
	ck_assert_int_eq(px_reactor_create(&cfg, &r), 0);
	ck_assert_int_ge(px_reactor_run_once(r, 0), 0);
	for (int i = 0; i < 40; i++)
		ck_assert_int_eq(px_io_nop(r, &many[i].op, top_cb), 0);
	for (n = 0; n < 40;)
		n += px_reactor_run_once(r, -1);
	px_reactor_stats(r, &b);
	ck_assert_uint_eq(b.sq_flushes, ON_URING(b) ? 1 : 0);
	for (int i = 0; i < 40; i++)
		ck_assert_int_eq(many[i].fired, 1);
	px_reactor_destroy(r);
	free(many);
}
END_TEST

/* The same on a started reactor: a task queues 32, the last callback checks. */
struct batch {
	struct top t[32];
	struct px_reactor *r;
	uint64_t submits0, sqes0;
	atomic_int submits, sqes, done;
};

static struct batch *the_batch;

static void batch_cb(struct px_op *op, int res, uint32_t flags)
{
	struct top *t = px_container_of(op, struct top, op);
	struct batch *b = the_batch;
	struct px_reactor_stats st;

	top_cb(op, res, flags);
	if (t != &b->t[31])
		return;
	px_reactor_stats(b->r, &st);
	atomic_store(&b->submits, (int)(st.submits - b->submits0));
	atomic_store(&b->sqes, (int)(st.sqes - b->sqes0));
	atomic_store(&b->done, 1);
}

static void batch_queue(struct px_reactor *r, void *arg)
{
	struct batch *b = arg;
	struct px_reactor_stats st;

	px_reactor_stats(r, &st);
	b->submits0 = st.submits;
	b->sqes0 = st.sqes;
	for (int i = 0; i < 32; i++)
		ck_assert_int_eq(px_io_nop(r, &b->t[i].op, batch_cb), 0);
}

START_TEST(test_reactor_nop_batch_thread)
{
	struct batch *b = calloc(1, sizeof(*b));

	the_batch = b;
	b->r = start_reactor(NULL);
	call_on(b->r, batch_queue, b);
	ck_assert(wait_for(&b->done, 1));
	if (px_reactor_backend(b->r) == PX_BACKEND_IO_URING)
		ck_assert_int_eq(b->submits, 1);
	ck_assert_int_ge(b->sqes, 32); /* plus a re-armed eventfd read */
	px_reactor_destroy(b->r);
	free(b);
}
END_TEST

struct fixed_ctx {
	int fd;
	char *mem;
	struct top w, rd;
};

static void fixed_write(struct px_reactor *r, void *arg)
{
	struct fixed_ctx *c = arg;

	ck_assert_int_eq(px_io_write(r, &c->w.op, c->fd, c->mem, 4096, 0,
				     top_cb), 0);
}

static void fixed_read(struct px_reactor *r, void *arg)
{
	struct fixed_ctx *c = arg;

	ck_assert_int_eq(px_io_read(r, &c->rd.op, c->fd, c->mem + 4096, 4096,
				    0, top_cb), 0);
}

static void fixed_late(struct px_reactor *r, void *arg)
{
	struct fixed_ctx *c = arg;
	int idx = px_reactor_register_buffer(r, c->mem + 8192, 4096);

	ck_assert_int_ge(idx, 0);
	ck_assert_int_eq(px_io_read(r, &c->rd.op, c->fd, c->mem + 8192, 4096,
				    0, top_cb), 0);
}

/* READ_FIXED/WRITE_FIXED inside a registered buffer, plain outside. */
START_TEST(test_reactor_fixed_buffer)
{
	struct px_reactor_stats st;
	struct fixed_ctx c = { 0 };
	struct px_reactor *r;
	char path[512];
	int idx;

	snprintf(path, sizeof(path), "%s/fixed", px_test_tmpdir());
	c.fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_ge(c.fd, 0);
	c.mem = aligned_alloc(4096, 3 * 4096);
	memset(c.mem, 'a', 4096);
	ck_assert_int_eq(px_reactor_create(&base_cfg, &r), 0);
	idx = px_reactor_register_buffer(r, c.mem, 8192); /* before start */
	ck_assert_int_eq(idx, 0);
	ck_assert_int_eq(px_reactor_register_buffer(r, NULL, 1), -EINVAL);
	ck_assert_int_eq(px_reactor_start(r), 0);
	ck_assert_int_eq(px_reactor_register_buffer(r, c.mem, 1), -EPERM);
	call_on(r, fixed_write, &c);
	ck_assert(wait_for(&c.w.fired, 1));
	call_on(r, fixed_read, &c);
	ck_assert(wait_for(&c.rd.fired, 1));
	ck_assert_int_eq(c.w.res, 4096);
	ck_assert_int_eq(c.rd.res, 4096);
	ck_assert_int_eq(memcmp(c.mem, c.mem + 4096, 4096), 0);
	px_reactor_stats(r, &st);
	ck_assert_uint_eq(st.fixed_ops, ON_URING(st) ? 2 : 0);
	/* Registered after start, on the reactor thread. */
	atomic_store(&c.rd.fired, 0);
	call_on(r, fixed_late, &c);
	ck_assert(wait_for(&c.rd.fired, 1));
	ck_assert_int_eq(c.rd.res, 4096);
	px_reactor_stats(r, &st);
	ck_assert_uint_eq(st.fixed_ops, ON_URING(st) ? 3 : 0);
	px_reactor_destroy(r);
	free(c.mem);
	close(c.fd);
}
END_TEST

struct pool_ctx {
	struct px_pool *pool;
	int pfd[2];
	uint32_t slot;
	struct top rd;
	int reg;
};

static void pool_read_cb(struct px_op *op, int res, uint32_t flags)
{
	struct pool_ctx *c = px_container_of(op, struct pool_ctx, rd.op);

	px_pool_release(c->pool, c->slot); /* the slot goes back on every path */
	top_cb(op, res, flags);
}

static void pool_submit(struct px_reactor *r, void *arg)
{
	struct pool_ctx *c = arg;

	if (!c->reg) {
		ck_assert_int_ge(px_reactor_register_pool(r, c->pool), 0);
		c->reg = 1;
	}
	ck_assert_int_eq(px_reactor_register_pool(r, c->pool), -EEXIST);
	ck_assert_int_eq(px_pool_loan(c->pool, &c->slot), 0);
	ck_assert_int_eq(px_io_read(r, &c->rd.op, c->pfd[0],
				    px_pool_slot_data(c->pool, c->slot), 4096,
				    (uint64_t)-1, pool_read_cb), 0);
}

/* A pool registers as one fixed buffer; stop returns the in-flight slot. */
START_TEST(test_reactor_pool)
{
	struct px_pool_config pc = { .slot_size = 4096, .slots = 8,
				     .name = "rtest" };
	struct px_reactor_stats st;
	struct pool_ctx c = { 0 };
	struct px_reactor *r;

	pc.segment.numa_node = -1;
	ck_assert_int_eq(px_pool_create(&pc, &c.pool), 0);
	ck_assert_int_eq(pipe(c.pfd), 0);
	r = start_reactor(NULL);
	call_on(r, pool_submit, &c);
	ck_assert_int_eq(write(c.pfd[1], "hello", 5), 5);
	ck_assert(wait_for(&c.rd.fired, 1));
	ck_assert_int_eq(c.rd.res, 5);
	px_reactor_stats(r, &st);
	ck_assert_uint_eq(st.fixed_ops, ON_URING(st) ? 1 : 0);
	/* Second read never completes: stop cancels it, the slot returns. */
	atomic_store(&c.rd.fired, 0);
	call_on(r, pool_submit, &c);
	ck_assert_int_eq(px_pool_available(c.pool), 7);
	ck_assert_int_eq(px_reactor_stop(r), 0);
	ck_assert_int_eq(c.rd.fired, 1);
	ck_assert_int_eq(c.rd.res, -ECANCELED);
	ck_assert_int_eq(px_pool_available(c.pool), 8);
	px_reactor_destroy(r);
	px_pool_destroy(c.pool);
	close(c.pfd[0]);
	close(c.pfd[1]);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Ops on real fds, driven embedded from the test thread.                   */

static void run_until(struct px_reactor *r, atomic_int *v, int n)
{
	for (int i = 0; i < 10000 && atomic_load(v) < n; i++)
		ck_assert_int_ge(px_reactor_run_once(r, 10), 0);
	ck_assert_int_ge(atomic_load(v), n);
}

static struct px_reactor *embedded(void)
{
	struct px_reactor *r;

	ck_assert_int_eq(px_reactor_create(&base_cfg, &r), 0);
	ck_assert_int_ge(px_reactor_run_once(r, 0), 0);
	return r;
}

START_TEST(test_reactor_timeout_cancel)
{
	struct px_reactor *r = NULL;
	struct top t1 = { 0 }, t2 = { 0 }, rd = { 0 };
	int pfd[2];
	char buf[8];

	r = embedded();
	ck_assert_int_eq(pipe(pfd), 0);
	ck_assert_int_eq(px_io_timeout(r, &t1.op, 2000000, top_cb), 0);
	ck_assert_int_eq(px_io_timeout(r, &t2.op, 10000000000ull, top_cb), 0);
	ck_assert_int_eq(px_io_read(r, &rd.op, pfd[0], buf, 8, (uint64_t)-1,
				    top_cb), 0);
	run_until(r, &t1.fired, 1);
	ck_assert_int_eq(t1.res, 0);
	ck_assert_int_eq(px_io_cancel(r, &t1.op), -ENOENT);
	ck_assert_int_eq(px_io_cancel(r, &t2.op), 0);
	ck_assert_int_eq(px_io_cancel(r, &t2.op), -EALREADY);
	ck_assert_int_eq(px_io_cancel(r, &rd.op), 0);
	run_until(r, &t2.fired, 1);
	run_until(r, &rd.fired, 1);
	for (int i = 0; i < 5; i++)
		px_reactor_run_once(r, 1);
	ck_assert_int_eq(t2.fired, 1);
	ck_assert_int_eq(t2.res, -ECANCELED);
	ck_assert_int_eq(rd.fired, 1);
	ck_assert_int_eq(rd.res, -ECANCELED);
	ck_assert_int_eq(t1.fired, 1);
	/* A cancelled op can be reused at once. */
	ck_assert_int_eq(px_io_nop(r, &t2.op, top_cb), 0);
	run_until(r, &t2.fired, 2);
	ck_assert_int_eq(t2.res, 0);
	px_reactor_destroy(r);
	close(pfd[0]);
	close(pfd[1]);
}
END_TEST

START_TEST(test_reactor_file_ops)
{
	struct top w = { 0 }, rd = { 0 }, fs = { 0 }, p = { 0 }, fx = { 0 };
	struct px_reactor *r;
	char path[512], out[16] = { 0 };
	int fd, pfd[2], idx;

	r = embedded();
	snprintf(path, sizeof(path), "%s/file", px_test_tmpdir());
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(px_io_write(r, &w.op, fd, "0123456789", 10, 100,
				     top_cb), 0);
	ck_assert_int_eq(px_io_fsync(r, &fs.op, fd, true, top_cb), 0);
	run_until(r, &fs.fired, 1);
	run_until(r, &w.fired, 1);
	ck_assert_int_eq(w.res, 10);
	ck_assert_int_eq(fs.res, 0);
	ck_assert_int_eq(px_io_read(r, &rd.op, fd, out, 4, 103, top_cb), 0);
	run_until(r, &rd.fired, 1);
	ck_assert_int_eq(rd.res, 4);
	ck_assert_str_eq(out, "3456");
	/* Fixed file: the table holds its own reference. */
	idx = px_reactor_register_fd(r, fd);
	ck_assert_int_ge(idx, 0);
	ck_assert_int_eq(px_io_read(r, &fx.op, PX_FIXED_FD(idx), out, 2, 108,
				    top_cb), 0);
	run_until(r, &fx.fired, 1);
	ck_assert_int_eq(fx.res, 2);
	ck_assert_int_eq(memcmp(out, "89", 2), 0);
	ck_assert_int_eq(px_reactor_unregister_fd(r, idx), 0);
	ck_assert_int_eq(px_reactor_unregister_fd(r, idx), -ENOENT);
	/* Poll on a pipe. */
	ck_assert_int_eq(pipe(pfd), 0);
	ck_assert_int_eq(px_io_poll(r, &p.op, pfd[0], POLLIN, top_cb), 0);
	ck_assert_int_eq(write(pfd[1], "x", 1), 1);
	run_until(r, &p.fired, 1);
	ck_assert(p.res & POLLIN);
	px_reactor_destroy(r);
	close(fd);
	close(pfd[0]);
	close(pfd[1]);
}
END_TEST

/*
 * What the epoll backend must get right and io_uring gets for free (the
 * test runs on whichever backend the process uses; CI runs it on both):
 * an fd closed and its number reused by a new pipe is watched afresh; a
 * MSG_WAITALL receive of 16 bytes sent as 5 + 11 completes once with 16;
 * a read waiting on an empty pipe is cancelled with -ECANCELED.
 */
START_TEST(test_reactor_fd_reuse_waitall)
{
	struct top a = { 0 }, b = { 0 }, w = { 0 }, c = { 0 };
	struct px_reactor *r = embedded();
	char buf[16], got[17] = { 0 };
	int p1[2], p2[2], sv[2];

	/* A read that waited once on p1[0], then p1 closed... */
	ck_assert_int_eq(pipe(p1), 0);
	ck_assert_int_eq(px_io_read(r, &a.op, p1[0], buf, 1, (uint64_t)-1,
				    top_cb), 0);
	ck_assert_int_ge(px_reactor_run_once(r, 0), 0);
	ck_assert_int_eq(write(p1[1], "a", 1), 1);
	run_until(r, &a.fired, 1);
	ck_assert_int_eq(a.res, 1);
	close(p1[0]);
	close(p1[1]);
	/* ...and a new pipe gets the same number: its read must still fire. */
	ck_assert_int_eq(pipe(p2), 0);
	ck_assert_int_eq(p2[0], p1[0]);
	ck_assert_int_eq(px_io_read(r, &b.op, p2[0], buf, 1, (uint64_t)-1,
				    top_cb), 0);
	ck_assert_int_ge(px_reactor_run_once(r, 0), 0);
	ck_assert_int_eq(b.fired, 0);
	ck_assert_int_eq(write(p2[1], "b", 1), 1);
	run_until(r, &b.fired, 1);
	ck_assert_int_eq(b.res, 1);
	ck_assert_int_eq(buf[0], 'b');

	/* MSG_WAITALL: all 16 bytes in one completion, sent in two parts. */
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv),
			 0);
	ck_assert_int_eq(px_io_recv(r, &w.op, sv[0], got, 16, MSG_WAITALL,
				    top_cb), 0);
	ck_assert_int_eq(write(sv[1], "01234", 5), 5);
	ck_assert_int_ge(px_reactor_run_once(r, 0), 0);
	ck_assert_int_ge(px_reactor_run_once(r, 0), 0);
	ck_assert_int_eq(w.fired, 0);
	ck_assert_int_eq(write(sv[1], "56789abcdef", 11), 11);
	run_until(r, &w.fired, 1);
	ck_assert_int_eq(w.res, 16);
	ck_assert_str_eq(got, "0123456789abcdef");

	/* A read that can only wait, cancelled. */
	ck_assert_int_eq(px_io_read(r, &c.op, p2[0], buf, 1, (uint64_t)-1,
				    top_cb), 0);
	ck_assert_int_ge(px_reactor_run_once(r, 0), 0);
	ck_assert_int_eq(px_io_cancel(r, &c.op), 0);
	run_until(r, &c.fired, 1);
	ck_assert_int_eq(c.res, -ECANCELED);
	px_reactor_destroy(r);
	close(p2[0]);
	close(p2[1]);
	close(sv[0]);
	close(sv[1]);
}
END_TEST

/*
 * A read the page cache cannot answer (the file's pages dropped with
 * POSIX_FADV_DONTNEED): io_uring reads it asynchronously; epoll's
 * RWF_NOWAIT says EAGAIN and a worker thread reads it (worker_ops counts
 * it). Both give the right bytes, and a second read of cached pages on
 * epoll needs no worker.
 */
/* Whether any page of FD's first LEN bytes is in the page cache. */
static bool any_cached(int fd, size_t len)
{
	unsigned char vec[(1 << 20) / 4096];
	void *m = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
	bool any = false;

	ck_assert(m != MAP_FAILED && len <= sizeof(vec) * 4096);
	ck_assert_int_eq(mincore(m, len, vec), 0);
	for (size_t i = 0; i < (len + 4095) / 4096; i++)
		any |= vec[i] & 1;
	munmap(m, len);
	return any;
}

START_TEST(test_reactor_uncached_read)
{
	bool dropped;
	struct px_reactor_stats st;
	struct top rd = { 0 }, again = { 0 };
	struct px_reactor *r = embedded();
	size_t len = 1 << 20;
	char *in = malloc(len), *out = malloc(len);
	char path[600];
	int fd;

	snprintf(path, sizeof(path), "%s/uncached", px_test_tmpdir());
	for (size_t i = 0; i < len; i++)
		in[i] = (char)(i * 7 + 3);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, in, len), (ssize_t)len);
	ck_assert_int_eq(fsync(fd), 0);
	ck_assert_int_eq(posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED), 0);
	/* tmpfs keeps its pages: then there is nothing to wait for. */
	dropped = !any_cached(fd, len);
	ck_assert_int_eq(px_io_read(r, &rd.op, fd, out, (uint32_t)len, 0,
				    top_cb), 0);
	run_until(r, &rd.fired, 1);
	ck_assert_int_eq(rd.res, (int)len);
	ck_assert_int_eq(memcmp(in, out, len), 0);
	px_reactor_stats(r, &st);
	if (st.backend == PX_BACKEND_EPOLL && dropped)
		ck_assert_uint_ge(st.worker_ops, 1);
	else if (st.backend != PX_BACKEND_EPOLL)
		ck_assert_uint_eq(st.worker_ops, 0);
	/* Now cached: epoll reads it inline. */
	memset(out, 0, len);
	ck_assert_int_eq(px_io_read(r, &again.op, fd, out, (uint32_t)len, 0,
				    top_cb), 0);
	run_until(r, &again.fired, 1);
	ck_assert_int_eq(again.res, (int)len);
	ck_assert_int_eq(memcmp(in, out, len), 0);
	px_reactor_stats(r, &st);
	if (st.backend == PX_BACKEND_EPOLL)
		ck_assert_uint_eq(st.worker_ops, dropped ? 1 : 0);
	px_reactor_destroy(r);
	close(fd);
	free(in);
	free(out);
}
END_TEST

/* send/recv, and an fd passed with SCM_RIGHTS over sendmsg/recvmsg. */
START_TEST(test_reactor_socket_ops)
{
	struct top s = { 0 }, rv = { 0 }, sm = { 0 }, rm = { 0 };
	union { struct cmsghdr h; char b[CMSG_SPACE(sizeof(int))]; } cs, cr;
	struct msghdr ms = { 0 }, mr = { 0 };
	struct iovec ivs = { "m", 1 }, ivr;
	struct px_reactor *r;
	int sv[2], pfd[2], got = -1;
	char buf[16] = { 0 }, one;

	r = embedded();
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
	ck_assert_int_eq(px_io_recv(r, &rv.op, sv[1], buf, sizeof(buf), 0,
				    top_cb), 0);
	ck_assert_int_eq(px_io_send(r, &s.op, sv[0], "ping", 4, MSG_NOSIGNAL,
				    top_cb), 0);
	run_until(r, &rv.fired, 1);
	run_until(r, &s.fired, 1);
	ck_assert_int_eq(s.res, 4);
	ck_assert_int_eq(rv.res, 4);
	ck_assert_str_eq(buf, "ping");

	ck_assert_int_eq(pipe(pfd), 0);
	memset(&cs, 0, sizeof(cs));
	ms.msg_iov = &ivs;
	ms.msg_iovlen = 1;
	ms.msg_control = cs.b;
	ms.msg_controllen = sizeof(cs.b);
	CMSG_FIRSTHDR(&ms)->cmsg_level = SOL_SOCKET;
	CMSG_FIRSTHDR(&ms)->cmsg_type = SCM_RIGHTS;
	CMSG_FIRSTHDR(&ms)->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(CMSG_FIRSTHDR(&ms)), &pfd[1], sizeof(int));
	ivr.iov_base = &one;
	ivr.iov_len = 1;
	mr.msg_iov = &ivr;
	mr.msg_iovlen = 1;
	mr.msg_control = cr.b;
	mr.msg_controllen = sizeof(cr.b);
	ck_assert_int_eq(px_io_recvmsg(r, &rm.op, sv[1], &mr, MSG_CMSG_CLOEXEC,
				       top_cb), 0);
	ck_assert_int_eq(px_io_sendmsg(r, &sm.op, sv[0], &ms, 0, top_cb), 0);
	run_until(r, &rm.fired, 1);
	run_until(r, &sm.fired, 1);
	ck_assert_int_eq(sm.res, 1);
	ck_assert_int_eq(rm.res, 1);
	ck_assert_ptr_nonnull(CMSG_FIRSTHDR(&mr));
	ck_assert_int_eq(CMSG_FIRSTHDR(&mr)->cmsg_type, SCM_RIGHTS);
	memcpy(&got, CMSG_DATA(CMSG_FIRSTHDR(&mr)), sizeof(int));
	ck_assert_int_ge(got, 0);
	ck_assert_int_ne(got, pfd[1]);
	/* The received fd is the pipe's write end. */
	ck_assert_int_eq(write(got, "z", 1), 1);
	ck_assert_int_eq(read(pfd[0], &one, 1), 1);
	ck_assert_int_eq(one, 'z');
	close(got);
	px_reactor_destroy(r);
	close(pfd[0]);
	close(pfd[1]);
	close(sv[0]);
	close(sv[1]);
}
END_TEST

/* px_io_recvmsg_poll_first under SO_RCVLOWAT: the receive waits until the
 * mark is met and then copies it all in one completion (io_uring with its
 * poll-first flag, epoll by waiting for EPOLLIN before the first try). */
START_TEST(test_reactor_recv_poll_first)
{
	struct top rv = { 0 };
	struct sockaddr_in sa;
	struct px_reactor *r;
	struct iovec iov;
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	int lfd, cfd, sfd, mark = 4096;
	char out[4096], in[8192];

	if (px_backend_default(NULL) == PX_BACKEND_IO_URING &&
	    !px_feature_has(PX_FEAT_RECV_POLL_FIRST))
		PX_SKIP("this kernel's io_uring has no "
			"IORING_RECVSEND_POLL_FIRST");
	r = embedded();
	lfd = tcp_listener(&sa);
	cfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_eq(connect(cfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	sfd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	ck_assert_int_ge(sfd, 0);
	ck_assert_int_eq(setsockopt(sfd, SOL_SOCKET, SO_RCVLOWAT, &mark,
				    sizeof(mark)), 0);
	for (size_t i = 0; i < sizeof(out); i++)
		out[i] = (char)(i * 13);
	iov = (struct iovec){ in, sizeof(in) };
	ck_assert_int_eq(px_io_recvmsg_poll_first(r, &rv.op, sfd, &msg, 0,
						  top_cb), 0);
	/* Over loopback the bytes are queued at the receiver when send()
	 * returns: 1000 of them do not meet the mark. */
	ck_assert_int_eq(send(cfd, out, 1000, 0), 1000);
	ck_assert_int_ge(px_reactor_run_once(r, 0), 0);
	ck_assert_int_eq(atomic_load(&rv.fired), 0);
	ck_assert_int_eq(send(cfd, out + 1000, sizeof(out) - 1000, 0),
			 (ssize_t)sizeof(out) - 1000);
	run_until(r, &rv.fired, 1);
	ck_assert_int_eq(rv.res, (int)sizeof(out)); /* the mark, in one copy */
	ck_assert_int_eq(memcmp(in, out, sizeof(out)), 0);
	close(cfd);
	close(sfd);
	close(lfd);
	px_reactor_destroy(r);
}
END_TEST

/* Multishot accept (one callback per connection) and connect. */
START_TEST(test_reactor_accept_connect)
{
	struct top acc = { 0 }, con[3];
	struct sockaddr_in sa;
	struct px_reactor *r;
	int lfd, cfd[3];

	if (px_backend_default(NULL) == PX_BACKEND_IO_URING &&
	    !px_feature_has(PX_FEAT_ACCEPT_MULTISHOT))
		PX_SKIP("this kernel's io_uring has no multishot accept");
	memset(con, 0, sizeof(con));
	r = embedded();
	lfd = tcp_listener(&sa);
	ck_assert_int_eq(px_io_accept(r, &acc.op, lfd, NULL, NULL, SOCK_CLOEXEC,
				      true, top_cb), 0);
	for (int i = 0; i < 3; i++) {
		cfd[i] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		ck_assert_int_eq(px_io_connect(r, &con[i].op, cfd[i],
					       (struct sockaddr *)&sa,
					       sizeof(sa), top_cb), 0);
	}
	for (int i = 0; i < 3; i++) {
		run_until(r, &con[i].fired, 1);
		ck_assert_int_eq(con[i].res, 0);
	}
	run_until(r, &acc.fired, 3);
	ck_assert_int_eq(acc.more, 3);
	ck_assert(px_op_busy(&acc.op));
	for (int i = 0; i < 3; i++)
		ck_assert_int_ge(acc.fds[i], 0);
	ck_assert_int_eq(px_io_cancel(r, &acc.op), 0);
	run_until(r, &acc.fired, 4);
	ck_assert_int_eq(acc.res, -ECANCELED);
	ck_assert_int_eq(acc.more, 3);
	ck_assert(!px_op_busy(&acc.op));
	for (int i = 0; i < 3; i++) {
		close(acc.fds[i]);
		close(cfd[i]);
	}
	close(lfd);
	px_reactor_destroy(r);
}
END_TEST

/* SEND_ZC and SENDMSG_ZC fire once, after the notification; send_auto
 * picks by size. */
START_TEST(test_reactor_send_zc)
{
	struct px_reactor_config cfg = base_cfg;
	struct top zc = { 0 }, small = { 0 }, zmsg = { 0 };
	struct iovec iov[2];
	struct msghdr msg = { .msg_iov = iov, .msg_iovlen = 2 };
	struct px_reactor_stats st;
	struct sockaddr_in sa;
	struct px_reactor *r;
	int lfd, cfd, sfd;
	size_t len = 64 << 10, got = 0, total = 2 * (64 << 10) + 8;
	char *out, *in;

	/* epoll sends (and copies) at once: the same test, zc_sends 0. */
	if (px_backend_default(NULL) == PX_BACKEND_IO_URING &&
	    (!px_feature_has(PX_FEAT_SEND_ZC) ||
	     !px_feature_has(PX_FEAT_SENDMSG_ZC)))
		PX_SKIP("this kernel's io_uring has no IORING_OP_SEND_ZC or "
			"IORING_OP_SENDMSG_ZC");
	cfg.zc_threshold = 16 << 10;
	ck_assert_int_eq(px_reactor_create(&cfg, &r), 0);
	ck_assert_int_ge(px_reactor_run_once(r, 0), 0);
	lfd = tcp_listener(&sa);
	cfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_eq(connect(cfd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	sfd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
	ck_assert_int_ge(sfd, 0);
	out = malloc(len);
	in = malloc(total);
	for (size_t i = 0; i < len; i++)
		out[i] = (char)(i * 7);
	ck_assert_int_eq(px_io_send_auto(r, &zc.op, cfd, out, (uint32_t)len,
					 MSG_NOSIGNAL, top_cb), 0);
	ck_assert_int_eq(px_io_send_auto(r, &small.op, cfd, "tail", 4,
					 MSG_NOSIGNAL, top_cb), 0);
	/* A header and a payload gathered, as netsink sends a frame. */
	iov[0] = (struct iovec){ (void *)"HEAD", 4 };
	iov[1] = (struct iovec){ out, len };
	ck_assert_int_eq(px_io_sendmsg_zc(r, &zmsg.op, cfd, &msg, MSG_NOSIGNAL,
					  top_cb), 0);
	while (got < total) {
		ssize_t n;

		px_reactor_run_once(r, 0);
		n = recv(sfd, in + got, total - got, MSG_DONTWAIT);
		if (n > 0)
			got += (size_t)n;
		else
			sleep_ms(1);
	}
	run_until(r, &zc.fired, 1);
	run_until(r, &small.fired, 1);
	run_until(r, &zmsg.fired, 1);
	for (int i = 0; i < 5; i++)
		px_reactor_run_once(r, 1);
	ck_assert_int_eq(zc.fired, 1);
	ck_assert_int_eq(zmsg.fired, 1);
	ck_assert_int_eq(zc.res, (int)len);
	ck_assert_int_eq(small.res, 4);
	ck_assert_int_eq(zmsg.res, (int)len + 4);
	ck_assert_int_eq(memcmp(in, out, len), 0);
	ck_assert_int_eq(memcmp(in + len, "tail", 4), 0);
	ck_assert_int_eq(memcmp(in + len + 4, "HEAD", 4), 0);
	ck_assert_int_eq(memcmp(in + len + 8, out, len), 0);
	px_reactor_stats(r, &st);
	ck_assert_uint_eq(st.zc_sends, ON_URING(st) ? 2 : 0);
	px_reactor_destroy(r);
	free(in);
	free(out);
	close(sfd);
	close(cfd);
	close(lfd);
}
END_TEST

static Suite *reactor_io_suite(void)
{
	Suite *s = suite_create("reactor_io");

	tcase_add_test(px_tcase(s, "nop_batch"), test_reactor_nop_batch);
	tcase_add_test(px_tcase(s, "nop_batch_thread"),
		       test_reactor_nop_batch_thread);
	tcase_add_test(px_tcase(s, "fixed_buffer"), test_reactor_fixed_buffer);
	tcase_add_test(px_tcase(s, "pool"), test_reactor_pool);
	tcase_add_test(px_tcase(s, "timeout_cancel"), test_reactor_timeout_cancel);
	tcase_add_test(px_tcase(s, "file_ops"), test_reactor_file_ops);
	tcase_add_test(px_tcase(s, "socket_ops"), test_reactor_socket_ops);
	tcase_add_test(px_tcase(s, "fd_reuse_waitall"),
		       test_reactor_fd_reuse_waitall);
	tcase_add_test(px_tcase(s, "uncached_read"), test_reactor_uncached_read);
	tcase_add_test(px_tcase(s, "recv_poll_first"),
		       test_reactor_recv_poll_first);
	tcase_add_test(px_tcase(s, "accept_connect"), test_reactor_accept_connect);
	tcase_add_test(px_tcase(s, "send_zc"), test_reactor_send_zc);
	return s;
}

PX_TEST_MAIN(reactor_io_suite)
