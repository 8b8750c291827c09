// SPDX-License-Identifier: MIT
/*
 * test_ipc.c - channels across processes through the px_ipc_* API: zero
 * copy proven by memfd offsets, read-only mappings, reclaim after SIGKILL,
 * a vanished publisher, refused uids, garbage peers, a subscriber that
 * rewrites the shared rings, slow-subscriber policies, and the
 * control-message checks. Every test forks before either
 * side makes a reactor (an io_uring must not cross fork()); the two sides
 * synchronise on pipes and on the channel itself, never on sleeps.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ipc_int.h"
#include "px_ipc.h"
#include "px_appsink.h"
#include "px_pipeline.h"
#include "px_test.h"
#include "test_pipeline_elems.h" /* tsrc: caps-at, caps-to */

#define POLL_MS 50
#define POLL_ROUNDS 400 /* 20 s at most for anything to happen */

static void channel_name(char *buf, size_t len, const char *what)
{
	static unsigned n;

	snprintf(buf, len, "test-%s-%d-%u", what, (int)getpid(), n++);
}

/* Poll PUB until COND holds or POLL_ROUNDS turns passed. */
#define POLL_UNTIL(pub, cond)                                          \
	do {                                                           \
		for (int r_ = 0; r_ < POLL_ROUNDS && !(cond); r_++)    \
			ck_assert_int_ge(px_ipc_publisher_poll(pub, POLL_MS), 0); \
		ck_assert_msg((cond), "timed out waiting for " #cond); \
	} while (0)

static struct px_ipc_publisher *pub_new(const char *channel,
					struct px_ipc_publisher_config *cfg,
					struct px_pool **pool)
{
	struct px_ipc_publisher_config def = { 0 };
	struct px_ipc_publisher *pub;

	if (!cfg)
		cfg = &def;
	cfg->channel = channel;
	ck_assert_int_eq(px_ipc_publisher_create(cfg, &pub), 0);
	ck_assert_int_eq(px_ipc_publisher_pool_create(pub, 4096, 64, pool), 0);
	return pub;
}

/* Send one buffer whose payload starts with its own offset in the memfd
 * and SEQ; waits (polling) while a subscriber has no room. */
static int send_stamped(struct px_ipc_publisher *pub, struct px_pool *pool,
			uint64_t seq)
{
	struct px_buf b;
	uint64_t *p;
	int rc;

	for (int r = 0; (rc = px_buf_alloc(pool, 4096, &b)) == -ENOBUFS &&
			r < POLL_ROUNDS; r++)
		px_ipc_publisher_poll(pub, POLL_MS);
	if (rc)
		return rc;
	p = px_buf_data(&b);
	p[0] = (uint64_t)((char *)p - (char *)px_pool_segment(pool)->base);
	p[1] = seq;
	b.seq = seq;
	/* A publisher's validated flag must not cross (check_identity). */
	b.flags = PX_BUF_FLAG_MARKER | PX_BUF_FLAG_VALIDATED;
	for (int r = 0; (rc = px_ipc_publisher_send(pub, &b)) == -EAGAIN &&
			r < POLL_ROUNDS; r++)
		px_ipc_publisher_poll(pub, POLL_MS);
	if (rc == -EAGAIN)
		px_buf_unref(&b);
	return rc;
}

static int send_eos(struct px_ipc_publisher *pub)
{
	int rc;

	for (int r = 0; (rc = px_ipc_publisher_send_eos(pub)) == -EAGAIN &&
			r < POLL_ROUNDS; r++)
		px_ipc_publisher_poll(pub, POLL_MS);
	return rc;
}

static struct px_ipc_subscriber *sub_new(const char *channel,
					 uint64_t timeout_ns)
{
	struct px_ipc_subscriber_config cfg = { .channel = channel,
						.timeout_ns = timeout_ns };
	struct px_ipc_subscriber *sub = NULL;

	if (px_ipc_subscriber_create(&cfg, &sub))
		_exit(90);
	return sub;
}

/* True once PID exited (reaped here; true again on later calls). */
static bool reaped(pid_t pid)
{
	static pid_t done;

	if (done == pid)
		return true;
	if (waitpid(pid, NULL, WNOHANG) != pid)
		return false;
	done = pid;
	return true;
}

static int child_status(pid_t pid)
{
	int st = 0;

	ck_assert_int_eq(waitpid(pid, &st, 0), pid);
	return st;
}

/* ---- zero copy and read-only ---------------------------------------------- */

enum recv_mode { RECV_BLOCK, RECV_SPIN, RECV_EPOLL };

/* The next buffer: blocking; spinning on try_recv; or as an event loop
 * does it, waiting in epoll on px_ipc_subscriber_fd() then recv(0). */
static int next_buf(struct px_ipc_subscriber *sub, struct px_buf *b,
		    enum recv_mode mode)
{
	static int ep = -1;
	struct epoll_event e = { .events = EPOLLIN };
	int rc;

	if (mode == RECV_BLOCK)
		return px_ipc_subscriber_recv(sub, b, -1);
	if (mode == RECV_SPIN) {
		while ((rc = px_ipc_subscriber_try_recv(sub, b)) == -EAGAIN)
			;
		return rc;
	}
	if (ep < 0) {
		ep = epoll_create1(EPOLL_CLOEXEC);
		if (ep < 0 || epoll_ctl(ep, EPOLL_CTL_ADD,
					px_ipc_subscriber_fd(sub), &e) < 0)
			return -errno;
	}
	/* No timeout: a wakeup that never makes the fd readable hangs the
	 * test, which CTest's timeout then reports. */
	while ((rc = px_ipc_subscriber_recv(sub, b, 0)) == -EAGAIN)
		if (epoll_wait(ep, &e, 1, -1) < 0 && errno != EINTR)
			return -errno;
	return rc;
}

/* Child: receive N stamped buffers, check offsets and order, try a write. */
static int check_identity(const char *channel, unsigned n, enum recv_mode mode)
{
	struct px_ipc_subscriber *sub = sub_new(channel, 10000000000ull);
	struct px_buf b;
	unsigned got = 0;
	int rc, st;
	pid_t w;

	while ((rc = next_buf(sub, &b, mode)) == 0) {
		const uint64_t *p = px_buf_data(&b);
		const struct px_segment *seg =
			px_pool_segment(px_buf_pool(&b));
		uint64_t off = (uint64_t)((const char *)p - (char *)seg->base);

		/* The bytes sit at the memfd offset the publisher wrote at:
		 * the same memory, not a copy of it. */
		if (p[0] != off || p[1] != got || b.seq != got)
			return 10;
		/* Flags cross, but not a verdict on the bytes (px_record.h). */
		if (b.flags != PX_BUF_FLAG_MARKER)
			return 13;
		if (got == 0) {
			/* A write into the slot must fault. */
			w = fork();
			if (w == 0) {
				/* die by the signal, not a sanitizer's report */
				signal(SIGSEGV, SIG_DFL);
				*(volatile uint8_t *)px_buf_data(&b) = 1;
				_exit(0);
			}
			if (waitpid(w, &st, 0) != w || !WIFSIGNALED(st) ||
			    WTERMSIG(st) != SIGSEGV)
				return 11;
		}
		got++;
		px_buf_unref(&b);
	}
	px_ipc_subscriber_destroy(sub);
	return rc == -ENODATA && got == n ? 0 : 12;
}

static void run_identity(enum recv_mode mode)
{
	static const char *const names[] = { "zc", "spin", "epoll" };
	char ch[64];
	struct px_ipc_publisher *pub;
	struct px_pool *pool;
	pid_t child;

	channel_name(ch, sizeof(ch), names[mode]);
	child = fork();
	if (child == 0)
		_exit(check_identity(ch, 1000, mode));
	pub = pub_new(ch, NULL, &pool);
	POLL_UNTIL(pub, px_ipc_publisher_subscribers(pub) == 1);
	for (uint64_t i = 0; i < 1000; i++)
		ck_assert_int_eq(send_stamped(pub, pool, i), 0);
	ck_assert_int_eq(send_eos(pub), 0);
	ck_assert_int_eq(child_status(child), 0);
	/* Everything it held came back. */
	POLL_UNTIL(pub, px_ipc_publisher_held(pub) == 0);
	ck_assert_uint_eq(px_pool_available(pool), 64);
	px_ipc_publisher_destroy(pub);
}

START_TEST(test_ipc_zero_copy)
{
	run_identity(RECV_BLOCK);
}
END_TEST

/* The same from an event loop: epoll on px_ipc_subscriber_fd(), recv(0)
 * until -EAGAIN. Every wakeup of the publisher must make that fd readable. */
START_TEST(test_ipc_event_loop)
{
	run_identity(RECV_EPOLL);
}
END_TEST

/* The same through try_recv, spinning: connecting, every buffer in order,
 * EOS and the returns all work without a blocking call. */
START_TEST(test_ipc_try_recv)
{
	run_identity(RECV_SPIN);
}
END_TEST

/* ---- crash safety ------------------------------------------------------------ */

/* Child: take N buffers, keep them, tell the parent, wait to be killed. */
static int hold_and_wait(const char *channel, unsigned n, int fd)
{
	struct px_ipc_subscriber *sub = sub_new(channel, 10000000000ull);
	struct px_buf held[64];
	char c = 'h';

	for (unsigned i = 0; i < n; i++)
		if (px_ipc_subscriber_recv(sub, &held[i], -1))
			return 20;
	if (write(fd, &c, 1) != 1)
		return 21;
	for (;;)
		pause();
}

START_TEST(test_ipc_reclaim_on_kill)
{
	char ch[64], c;
	struct px_ipc_publisher *pub;
	struct px_pool *pool;
	int fds[2], st;
	pid_t child;

	channel_name(ch, sizeof(ch), "kill");
	ck_assert_int_eq(pipe(fds), 0);
	child = fork();
	if (child == 0)
		_exit(hold_and_wait(ch, 40, fds[1]));
	pub = pub_new(ch, NULL, &pool);
	POLL_UNTIL(pub, px_ipc_publisher_subscribers(pub) == 1);
	for (uint64_t i = 0; i < 40; i++)
		ck_assert_int_eq(send_stamped(pub, pool, i), 0);
	ck_assert_int_eq(read(fds[0], &c, 1), 1);
	px_ipc_publisher_poll(pub, 0);
	ck_assert_uint_eq(px_ipc_publisher_held(pub), 40);
	ck_assert_uint_eq(px_pool_available(pool), 24);
	kill(child, SIGKILL);
	st = child_status(child);
	ck_assert(WIFSIGNALED(st));
	/* The hang-up returns all 40 at once. */
	POLL_UNTIL(pub, px_ipc_publisher_held(pub) == 0);
	ck_assert_uint_eq(px_pool_available(pool), 64);
	ck_assert_uint_eq(px_ipc_publisher_subscribers(pub), 0);
	px_ipc_publisher_destroy(pub);
	close(fds[0]);
	close(fds[1]);
}
END_TEST

/* Child: publish N buffers, tell the parent, wait to be killed. */
static int publish_and_wait(const char *channel, unsigned n, int fd)
{
	struct px_ipc_publisher *pub;
	struct px_pool *pool;
	char c = 'p';

	pub = pub_new(channel, NULL, &pool);
	for (int r = 0; px_ipc_publisher_subscribers(pub) < 1; r++)
		if (r == POLL_ROUNDS || px_ipc_publisher_poll(pub, POLL_MS) < 0)
			return 30;
	for (uint64_t i = 0; i < n; i++)
		if (send_stamped(pub, pool, i))
			return 31;
	if (write(fd, &c, 1) != 1)
		return 32;
	for (;;)
		px_ipc_publisher_poll(pub, -1);
}

START_TEST(test_ipc_publisher_gone)
{
	char ch[64], c;
	struct px_ipc_subscriber *sub;
	struct px_buf b;
	int fds[2], rc;
	unsigned got = 0;
	pid_t child;

	channel_name(ch, sizeof(ch), "gone");
	ck_assert_int_eq(pipe(fds), 0);
	child = fork();
	if (child == 0)
		_exit(publish_and_wait(ch, 10, fds[1]));
	sub = sub_new(ch, 10000000000ull);
	while (got < 10 && px_ipc_subscriber_recv(sub, &b, -1) == 0) {
		got++;
		px_buf_unref(&b);
	}
	ck_assert_uint_eq(got, 10);
	ck_assert_int_eq(read(fds[0], &c, 1), 1);
	kill(child, SIGKILL);
	ck_assert(WIFSIGNALED(child_status(child)));
	rc = px_ipc_subscriber_recv(sub, &b, -1);
	ck_assert_int_eq(rc, -EPIPE);
	ck_assert_msg(strstr(px_ipc_subscriber_error(sub), ch) != NULL,
		      "error names the channel: %s",
		      px_ipc_subscriber_error(sub));
	px_ipc_subscriber_destroy(sub);
	close(fds[0]);
	close(fds[1]);
}
END_TEST

START_TEST(test_ipc_no_publisher)
{
	char ch[64];
	struct px_ipc_subscriber *sub;
	struct px_buf b;

	channel_name(ch, sizeof(ch), "none");
	sub = sub_new(ch, 50000000ull);
	ck_assert_int_eq(px_ipc_subscriber_recv(sub, &b, -1), -ETIMEDOUT);
	ck_assert_ptr_nonnull(strstr(px_ipc_subscriber_error(sub), ch));
	ck_assert_ptr_nonnull(strstr(px_ipc_subscriber_error(sub),
				     "no publisher after waiting 50000000 ns"));
	ck_assert_ptr_null(strstr(px_ipc_subscriber_error(sub), "bare"));
	px_ipc_subscriber_destroy(sub);
	/* timeout=10 is 10 ns: the sentence says how to write 10 s. */
	sub = sub_new(ch, 10);
	ck_assert_int_eq(px_ipc_subscriber_recv(sub, &b, -1), -ETIMEDOUT);
	ck_assert_msg(strstr(px_ipc_subscriber_error(sub),
			     "a bare number is nanoseconds: write the unit, "
			     "as timeout=10s"),
		      "%s", px_ipc_subscriber_error(sub));
	px_ipc_subscriber_destroy(sub);
}
END_TEST

START_TEST(test_ipc_channel_taken)
{
	char ch[64];
	struct px_ipc_publisher_config cfg = { .channel = ch };
	struct px_ipc_publisher *a, *b;

	channel_name(ch, sizeof(ch), "taken");
	ck_assert_int_eq(px_ipc_publisher_create(&cfg, &a), 0);
	ck_assert_int_eq(px_ipc_publisher_create(&cfg, &b), -EADDRINUSE);
	px_ipc_publisher_destroy(a);
	/* Gone with its last fd: the name is free again at once. */
	ck_assert_int_eq(px_ipc_publisher_create(&cfg, &b), 0);
	px_ipc_publisher_destroy(b);
}
END_TEST

/* ---- access ----------------------------------------------------------------- */

/* Child: become NOBODY, subscribe; 0 when refused with a sentence. */
static int subscribe_as(const char *channel, uid_t uid, bool expect_refusal)
{
	struct px_ipc_subscriber *sub;
	struct px_buf b;
	int rc;

	if (setgid(uid) || setuid(uid))
		return 40;
	sub = sub_new(channel, 10000000000ull);
	rc = px_ipc_subscriber_recv(sub, &b, -1);
	if (expect_refusal)
		return rc == -EACCES &&
		       strstr(px_ipc_subscriber_error(sub),
			      "may not subscribe") ? 0 : 41;
	return rc == 0 ? 0 : 42;
}

START_TEST(test_ipc_uid_refused)
{
	const uid_t nobody = 65534;
	struct px_ipc_publisher_config cfg = { 0 };
	struct px_ipc_publisher *pub;
	struct px_pool *pool;
	char ch[64];
	pid_t child;

	if (!px_test_is_root())
		PX_SKIP("needs root to run a subscriber under another uid");
	channel_name(ch, sizeof(ch), "uid");
	child = fork();
	if (child == 0)
		_exit(subscribe_as(ch, nobody, true));
	pub = pub_new(ch, NULL, &pool);
	while (waitpid(child, NULL, WNOHANG) == 0)
		px_ipc_publisher_poll(pub, POLL_MS);
	ck_assert_uint_eq(px_ipc_publisher_subscribers(pub), 0);
	px_ipc_publisher_destroy(pub);
	/* Allowed explicitly: it gets a buffer. */
	channel_name(ch, sizeof(ch), "uid-ok");
	cfg.allow_uids = &nobody;
	cfg.n_allow_uids = 1;
	child = fork();
	if (child == 0)
		_exit(subscribe_as(ch, nobody, false));
	pub = pub_new(ch, &cfg, &pool);
	POLL_UNTIL(pub, px_ipc_publisher_subscribers(pub) == 1);
	ck_assert_int_eq(send_stamped(pub, pool, 0), 0);
	ck_assert_int_eq(child_status(child), 0);
	px_ipc_publisher_destroy(pub);
}
END_TEST

static int raw_connect(const char *channel)
{
	struct sockaddr_storage ss;
	int len = px__ipc_addr(channel, NULL, &ss);
	int fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);

	ck_assert_int_gt(len, 0);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&ss, (socklen_t)len), 0);
	return fd;
}

/* Child: a real subscriber that must get all N and EOS. */
static int receive_all(const char *channel, unsigned n)
{
	struct px_ipc_subscriber *sub = sub_new(channel, 10000000000ull);
	struct px_buf b;
	unsigned got = 0;
	int rc;

	while ((rc = px_ipc_subscriber_recv(sub, &b, -1)) == 0) {
		if (b.seq != got++)
			return 50;
		px_buf_unref(&b);
	}
	px_ipc_subscriber_destroy(sub);
	return rc == -ENODATA && got == n ? 0 : 51;
}

START_TEST(test_ipc_garbage_peers)
{
	struct px_ipc_publisher_config cfg = { .handshake_timeout_ns =
						       100000000ull };
	struct px_ipc_publisher *pub;
	struct px_pool *pool;
	char ch[64], junk[24] = "GET / HTTP/1.0\r\n\r\n", buf[64];
	int junk_fd, silent_fd;
	pid_t child;

	channel_name(ch, sizeof(ch), "junk");
	pub = pub_new(ch, &cfg, &pool);
	junk_fd = raw_connect(ch);
	silent_fd = raw_connect(ch);
	ck_assert_int_eq(send(junk_fd, junk, sizeof(junk), 0), sizeof(junk));
	/* Fork after the publisher exists: the child makes its own reactor
	 * and never touches the parent's. */
	child = fork();
	if (child == 0)
		_exit(receive_all(ch, 200));
	POLL_UNTIL(pub, px_ipc_publisher_subscribers(pub) == 1);
	for (uint64_t i = 0; i < 200; i++)
		ck_assert_int_eq(send_stamped(pub, pool, i), 0);
	ck_assert_int_eq(send_eos(pub), 0);
	ck_assert_int_eq(child_status(child), 0);
	/* Both bad peers were hung up on: garbage at once, the silent one
	 * at the handshake timeout. */
	POLL_UNTIL(pub, recv(junk_fd, buf, sizeof(buf), MSG_DONTWAIT) == 0);
	POLL_UNTIL(pub, recv(silent_fd, buf, sizeof(buf), MSG_DONTWAIT) == 0);
	close(junk_fd);
	close(silent_fd);
	px_ipc_publisher_destroy(pub);
}
END_TEST

/* ---- a subscriber that rewrites the shared rings ---------------------------- */

static uint32_t next_rand(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return (uint32_t)(*s >> 32);
}

/*
 * Child: a subscriber that handshakes by hand, maps the rings memfd
 * read-write as every subscriber must, and rewrites what it can reach until
 * STOP_FD hangs up: the data ring's header, caches and indices, and the
 * release ring's header (not its indices, which would only hand the
 * publisher returns it refuses, dropping us at once).
 */
static int scribbler(const char *channel, int stop_fd)
{
	struct px__ipc_hello h = { 0 };
	struct px__ipc_welcome w;
	struct px__ipc_hdr ready;
	union {
		struct cmsghdr c;
		char buf[CMSG_SPACE(3 * sizeof(int))];
	} cm;
	struct iovec iov = { .iov_base = &w, .iov_len = sizeof(w) };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1,
			      .msg_control = cm.buf,
			      .msg_controllen = sizeof(cm.buf) };
	struct pollfd stop = { .fd = stop_fd, .events = POLLIN };
	struct px_ring *data, *rel;
	uint64_t rng = 0x2545f4914f6cdd1dull;
	unsigned char *seg;
	int fd = raw_connect(channel), fds[3];

	px__ipc_hdr_init(&h.h, PX__IPC_HELLO, sizeof(h));
	h.pid = (uint32_t)getpid();
	snprintf(h.channel, sizeof(h.channel), "%s", channel);
	if (send(fd, &h, sizeof(h), 0) != sizeof(h) ||
	    recvmsg(fd, &msg, 0) != sizeof(w) || !CMSG_FIRSTHDR(&msg) ||
	    CMSG_FIRSTHDR(&msg)->cmsg_len != CMSG_LEN(sizeof(fds)))
		return 70;
	memcpy(fds, CMSG_DATA(CMSG_FIRSTHDR(&msg)), sizeof(fds));
	seg = mmap(NULL, w.seg_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		   fds[0], 0);
	if (seg == MAP_FAILED)
		return 71;
	data = (struct px_ring *)(seg + w.data_offset);
	rel = (struct px_ring *)(seg + w.rel_offset);
	px__ipc_hdr_init(&ready, PX__IPC_READY, sizeof(ready));
	if (send(fd, &ready, sizeof(ready), 0) != sizeof(ready))
		return 72;
	while (poll(&stop, 1, 0) == 0) {
		for (unsigned i = 0; i < 1000; i++) {
			uint32_t v = next_rand(&rng);

			switch (v % 11) {
			case 0: data->geom.capacity = next_rand(&rng); break;
			case 1: data->geom.mask = next_rand(&rng); break;
			case 2: data->geom.item_size = next_rand(&rng); break;
			case 3: data->kind = (uint16_t)next_rand(&rng); break;
			case 4: data->prod_cons_cache = next_rand(&rng); break;
			case 5: atomic_store(&data->cons_head,
					     next_rand(&rng)); break;
			case 6: atomic_store(&data->prod_tail,
					     next_rand(&rng)); break;
			case 7: rel->geom.capacity = next_rand(&rng); break;
			case 8: rel->geom.mask = next_rand(&rng); break;
			case 9: data->sp_tail = next_rand(&rng); break;
			default: rel->geom.item_size = next_rand(&rng); break;
			}
		}
	}
	return 0;
}

/*
 * The publisher copies into rings that a subscriber can write: whatever it
 * writes there, the publisher's copies stay inside the ring (px_ring_view),
 * it keeps its own memory, takes its slots back when that subscriber
 * leaves, and serves the next one in full. Under ASan, a copy outside a
 * ring is reported; without it, one would fault.
 */
START_TEST(test_ipc_hostile_rings)
{
	struct px_ipc_publisher_config cfg = { .slow = PX_IPC_SLOW_DROP };
	struct px_ipc_publisher *pub;
	struct px_pool *pool;
	int stop[2];
	char ch[64];
	pid_t bad, good;

	channel_name(ch, sizeof(ch), "hostile");
	ck_assert_int_eq(pipe(stop), 0);
	pub = pub_new(ch, &cfg, &pool);
	/* Fork after the publisher exists: the children make no use of its
	 * reactor (see test_ipc_garbage_peers). */
	bad = fork();
	if (bad == 0) {
		close(stop[1]);
		_exit(scribbler(ch, stop[0]));
	}
	close(stop[0]);
	POLL_UNTIL(pub, px_ipc_publisher_subscribers(pub) == 1);
	/* As many as the pool holds: the scribbler returns none. Dropped
	 * for it whenever its rewritten ring looks full. */
	for (uint64_t i = 0; i < 64; i++)
		ck_assert_int_eq(send_stamped(pub, pool, i), 0);
	close(stop[1]);
	POLL_UNTIL(pub, reaped(bad));
	POLL_UNTIL(pub, px_ipc_publisher_subscribers(pub) == 0);
	POLL_UNTIL(pub, px_ipc_publisher_held(pub) == 0);
	ck_assert_uint_eq(px_pool_available(pool), 64);

	good = fork();
	if (good == 0)
		_exit(receive_all(ch, 200));
	POLL_UNTIL(pub, px_ipc_publisher_subscribers(pub) == 1);
	for (uint64_t i = 0; i < 200; i++)
		ck_assert_int_eq(send_stamped(pub, pool, i), 0);
	ck_assert_int_eq(send_eos(pub), 0);
	ck_assert_int_eq(child_status(good), 0);
	px_ipc_publisher_destroy(pub);
}
END_TEST

/* ---- slow subscribers -------------------------------------------------------- */

/* Child: connect, say so, wait for the parent's go, then count what
 * arrives. */
static int slow_reader(const char *channel, int go_fd, int res_fd)
{
	struct px_ipc_subscriber *sub = sub_new(channel, 10000000000ull);
	struct px_buf b;
	uint32_t got = 0;
	int32_t rc;
	char c;

	/*
	 * Connect (the handshake ends with READY), tell the parent, then
	 * stall until told. The parent sends nothing before it hears from us,
	 * so none of these turns can take a buffer off the ring.
	 */
	while (!*px_ipc_subscriber_caps(sub)) {
		struct pollfd pfd = { .fd = px_ipc_subscriber_fd(sub),
				      .events = POLLIN };

		(void)poll(&pfd, 1, POLL_MS);
		rc = px_ipc_subscriber_recv(sub, &b, 0);
		if (rc == 0) {
			got++;
			px_buf_unref(&b);
		} else if (rc != -EAGAIN) {
			return 62;
		}
	}
	c = 's';
	if (write(res_fd, &c, 1) != 1 || read(go_fd, &c, 1) != 1)
		return 60;
	while ((rc = px_ipc_subscriber_recv(sub, &b, -1)) == 0) {
		got++;
		px_buf_unref(&b);
	}
	if (write(res_fd, &got, sizeof(got)) != sizeof(got) ||
	    write(res_fd, &rc, sizeof(rc)) != sizeof(rc))
		return 61;
	px_ipc_subscriber_destroy(sub);
	return 0;
}

static void run_slow(enum px_ipc_slow slow, uint32_t *got, int32_t *end)
{
	struct px_ipc_publisher_config cfg = { .ring_size = 4, .slow = slow };
	struct px_ipc_publisher *pub;
	struct px_pool *pool;
	int go[2], res[2];
	char ch[64], c = 'g';
	pid_t child;

	channel_name(ch, sizeof(ch), "slow");
	ck_assert_int_eq(pipe(go), 0);
	ck_assert_int_eq(pipe(res), 0);
	child = fork();
	if (child == 0)
		_exit(slow_reader(ch, go[0], res[1]));
	pub = pub_new(ch, &cfg, &pool);
	POLL_UNTIL(pub, px_ipc_publisher_subscribers(pub) == 1);
	/* The reader is stalled once it says so: without block, none of
	 * these waits. */
	ck_assert_int_eq(read(res[0], &c, 1), 1);
	ck_assert_int_eq(c, 's');
	c = 'g';
	for (uint64_t i = 0; i < 100; i++)
		ck_assert_int_eq(send_stamped(pub, pool, i), 0);
	if (slow == PX_IPC_SLOW_DISCONNECT)
		ck_assert_uint_eq(px_ipc_publisher_subscribers(pub), 0);
	ck_assert_int_eq(write(go[1], &c, 1), 1);
	/* EOS is never dropped: it waits for the reader to make room. */
	if (slow != PX_IPC_SLOW_DISCONNECT)
		ck_assert_int_eq(send_eos(pub), 0);
	if (slow == PX_IPC_SLOW_DISCONNECT)
		px_ipc_publisher_destroy(pub);
	else
		POLL_UNTIL(pub, reaped(child));
	ck_assert_int_eq(read(res[0], got, sizeof(*got)), sizeof(*got));
	ck_assert_int_eq(read(res[0], end, sizeof(*end)), sizeof(*end));
	if (slow == PX_IPC_SLOW_DISCONNECT) {
		ck_assert_int_eq(child_status(child), 0);
	} else {
		POLL_UNTIL(pub, px_ipc_publisher_held(pub) == 0);
		ck_assert_uint_eq(px_pool_available(pool), 64);
		px_ipc_publisher_destroy(pub);
	}
	close(go[0]);
	close(go[1]);
	close(res[0]);
	close(res[1]);
}

START_TEST(test_ipc_slow_drop)
{
	uint32_t got;
	int32_t end;

	run_slow(PX_IPC_SLOW_DROP, &got, &end);
	/* It missed most: only what fit in its ring of 4 (plus EOS). */
	ck_assert_uint_gt(got, 0);
	ck_assert_uint_le(got, 5);
	ck_assert_int_eq(end, -ENODATA);
}
END_TEST

START_TEST(test_ipc_slow_disconnect)
{
	uint32_t got;
	int32_t end;

	run_slow(PX_IPC_SLOW_DISCONNECT, &got, &end);
	ck_assert_uint_le(got, 5);
	ck_assert_int_eq(end, -EPIPE);
}
END_TEST

/* ---- the control protocol ------------------------------------------------------ */

START_TEST(test_ipc_msg_check)
{
	struct px__ipc_hello h;
	const char *why = NULL;

	memset(&h, 0, sizeof(h));
	px__ipc_hdr_init(&h.h, PX__IPC_HELLO, sizeof(h));
	snprintf(h.channel, sizeof(h.channel), "x");
	ck_assert_int_eq(px__ipc_msg_check(&h, sizeof(h), &why), PX__IPC_HELLO);
	ck_assert_int_eq(px__ipc_msg_check(&h, 8, &why), -EPROTO);
	ck_assert_int_eq(px__ipc_msg_check(&h, sizeof(h) - 1, &why), -EPROTO);
	h.h.magic ^= 1;
	ck_assert_int_eq(px__ipc_msg_check(&h, sizeof(h), &why), -EPROTO);
	ck_assert_ptr_nonnull(strstr(why, "magic"));
	h.h.magic ^= 1;
	h.h.version = 99;
	ck_assert_int_eq(px__ipc_msg_check(&h, sizeof(h), &why), -EPROTO);
	h.h.version = PX__IPC_VERSION;
	h.h.type = 77;
	ck_assert_int_eq(px__ipc_msg_check(&h, sizeof(h), &why), -EPROTO);
	h.h.type = PX__IPC_HELLO;
	memset(h.channel, 'a', sizeof(h.channel)); /* no terminator */
	ck_assert_int_eq(px__ipc_msg_check(&h, sizeof(h), &why), -EPROTO);
	ck_assert_ptr_nonnull(strstr(why, "terminated"));
}
END_TEST

/* ---- the allocation query ------------------------------------------------------ */

static bool first_pool_shareable(const char *launch)
{
	struct px_parse_error perr;
	struct px_pipeline *p;
	struct px_message m;
	unsigned info = 0;
	char *json = NULL;
	size_t len = 0;
	FILE *f;
	bool yes;

	ck_assert_int_eq(px_pipeline_parse(launch, &p, &perr), 0);
	ck_assert_int_eq(px_pipeline_set_state(p, PX_STATE_PAUSED), 0);
	f = open_memstream(&json, &len);
	ck_assert_int_eq(px_pipeline_write_stats_json(p, f), 0);
	fclose(f);
	yes = strstr(json, "\"shareable\":true") != NULL;
	ck_assert_msg(strstr(json, "\"shareable\":") != NULL, "%s", json);
	free(json);
	/* The choice is told on the bus, once, as INFO. */
	while (px_bus_pop(px_pipeline_bus(p), 0, &m) == 0)
		if (m.type == PX_MSG_INFO && strstr(m.text, "shared memory"))
			info++;
	ck_assert_uint_eq(info, yes ? 1 : 0);
	px_pipeline_destroy(p);
	return yes;
}

START_TEST(test_ipc_allocation_query)
{
	char launch[160], ch[64];

	channel_name(ch, sizeof(ch), "query");
	/* Downstream of identity and a queue: still shareable. */
	snprintf(launch, sizeof(launch),
		 "fakesrc num-buffers=1 ! identity ! queue ! ipcsink "
		 "channel=%s wait-for=0", ch);
	ck_assert(first_pool_shareable(launch));
	ck_assert(!first_pool_shareable("fakesrc num-buffers=1 ! fakesink"));
}
END_TEST

/*
 * The process link's sleep protocol, both ends in this process: a consumer
 * that went idle, whose flag a producer then took to wake it, must not stay
 * idle on its own say-so when it looks again before the item is visible to
 * it (it once did, and slept through the rest of the stream).
 */
START_TEST(test_ipc_link_flag_taken)
{
	struct px_segment_config sc = { .kind = PX_SEGMENT_MEMFD,
					.numa_node = -1, .name = "t-link" };
	struct px_segment *seg;
	struct px_link l;
	struct px_item it;

	memset(&l, 0, sizeof(l));
	sc.size = PX_SEGMENT_HEADER_SIZE + px__link_process_memsize(8);
	ck_assert_int_eq(px_segment_create(&sc, &seg), 0);
	ck_assert_int_eq(px__link_process_init(&l, seg, PX_SEGMENT_HEADER_SIZE,
					       8), 0);
	px_item_eos(&it);
	ck_assert(px__link_consumer_wait(&l)); /* empty: idle, flagged */
	ck_assert(px_ring_view_enqueue(&l.ring, &it));
	ck_assert(px_ring_consumer_needs_wake(l.ring.ring)); /* took the flag */
	/* Looking again: the item is there, so not idle. */
	ck_assert(!px__link_consumer_wait(&l));
	ck_assert(px_ring_view_dequeue(&l.ring, &it));
	px__link_consumer_resume(&l);
	ck_assert(px__link_consumer_wait(&l));
	ck_assert(px_ring_consumer_flagged(l.ring.ring));
	/* Producer mirror: a full ring, then the consumer takes the flag. */
	for (unsigned i = 0; i < 8; i++)
		ck_assert(px_ring_view_enqueue(&l.ring, &it));
	ck_assert_uint_eq(px__link_producer_wait(&l), 0);
	ck_assert(px_ring_view_dequeue(&l.ring, &it));
	ck_assert(px_ring_producer_needs_wake(l.ring.ring));
	ck_assert_uint_eq(px__link_producer_wait(&l), 1);
	px_segment_destroy(seg);
}
END_TEST

/* ---- caps across processes --------------------------------------------------- */

#define CAPS_A "application/x-a"
#define CAPS_B "application/x-a, n=(int)2"

/* Child: a pipeline whose source's caps change before buffer 3, into an
 * ipcsink on CHANNEL. Exit status 0 when it ran to EOS. */
static int publish_caps_change(const char *channel)
{
	struct px_parse_error perr;
	char launch[256];
	struct px_pipeline *p;
	struct px_message m;
	int err;

	register_test_classes();
	snprintf(launch, sizeof(launch),
		 "tsrc num-buffers=8 caps-at=3 caps-to=\"" CAPS_B "\" ! "
		 CAPS_A " ! ipcsink channel=%s wait-for=1", channel);
	if (px_pipeline_parse(launch, &p, &perr))
		return 20;
	if (px_pipeline_play(p))
		return 21;
	err = px_pipeline_wait(p, 20000000000ll, &m);
	px_pipeline_destroy(p);
	return err == 0 && m.type == PX_MSG_EOS ? 0 : 22;
}

struct caps_log {
	unsigned buffers, n;
	unsigned at[4];
	char text[4][64];
};

static void log_buffer(struct px_element *e, const struct px_buf *b,
		       void *arg)
{
	(void)e;
	(void)b;
	((struct caps_log *)arg)->buffers++;
}

static void log_caps(struct px_element *e, const struct px_caps *caps,
		     void *arg)
{
	struct caps_log *l = arg;

	(void)e;
	if (l->n < 4) {
		l->at[l->n] = l->buffers;
		px_caps_to_string(caps, l->text[l->n], sizeof(l->text[0]));
	}
	l->n++;
}

/*
 * Caps cross the process link in order with the buffers: the subscriber's
 * pipeline gets the publisher's caps before the first buffer and the change
 * exactly before buffer 3, as CAPS events (seen here by appsink).
 */
START_TEST(test_ipc_caps_pipeline)
{
	struct px_parse_error perr;
	char ch[64], launch[128];
	struct caps_log log = { 0 };
	struct px_pipeline *p;
	struct px_element *sink;
	struct px_message m;
	pid_t child;

	channel_name(ch, sizeof(ch), "caps");
	child = fork();
	if (child == 0)
		_exit(publish_caps_change(ch));
	snprintf(launch, sizeof(launch), "ipcsrc channel=%s ! appsink name=out",
		 ch);
	ck_assert_int_eq(px_pipeline_parse(launch, &p, &perr), 0);
	sink = px_pipeline_find(p, "out");
	ck_assert_int_eq(px_appsink_set_callbacks(sink,
		&(struct px_appsink_callbacks){ .buffer = log_buffer,
						.caps = log_caps,
						.arg = &log }), 0);
	ck_assert_int_eq(px_pipeline_play(p), 0);
	ck_assert_int_eq(px_pipeline_wait(p, 20000000000ll, &m), 0);
	ck_assert_int_eq(m.type, PX_MSG_EOS);
	px_pipeline_destroy(p);
	ck_assert_int_eq(child_status(child), 0);
	ck_assert_uint_eq(log.buffers, 8);
	ck_assert_msg(log.n == 2, "%u CAPS events: %s at %u, %s at %u, ...",
		      log.n, log.text[0], log.at[0], log.text[1], log.at[1]);
	ck_assert_uint_eq(log.at[0], 0);
	ck_assert_str_eq(log.text[0], CAPS_A);
	ck_assert_uint_eq(log.at[1], 3);
	ck_assert_str_eq(log.text[1], CAPS_B);
}
END_TEST

/* The same through the API: px_ipc_subscriber_caps() names the caps of the
 * buffer just received. */
START_TEST(test_ipc_caps_api)
{
	struct px_ipc_subscriber *sub;
	struct px_buf b;
	unsigned got = 0;
	char ch[64];
	pid_t child;
	int rc;

	channel_name(ch, sizeof(ch), "capsapi");
	child = fork();
	if (child == 0)
		_exit(publish_caps_change(ch));
	sub = sub_new(ch, 20000000000ull);
	while ((rc = px_ipc_subscriber_recv(sub, &b, 20000)) == 0) {
		ck_assert_str_eq(px_ipc_subscriber_caps(sub),
				 got < 3 ? CAPS_A : CAPS_B);
		got++;
		px_buf_unref(&b);
	}
	ck_assert_int_eq(rc, -ENODATA);
	ck_assert_uint_eq(got, 8);
	px_ipc_subscriber_destroy(sub);
	ck_assert_int_eq(child_status(child), 0);
}
END_TEST

static Suite *ipc_suite(void)
{
	Suite *s = suite_create("ipc");

	tcase_add_test(px_tcase(s, "zero_copy"), test_ipc_zero_copy);
	tcase_add_test(px_tcase(s, "try_recv"), test_ipc_try_recv);
	tcase_add_test(px_tcase(s, "event_loop"), test_ipc_event_loop);
	tcase_add_test(px_tcase(s, "reclaim_on_kill"), test_ipc_reclaim_on_kill);
	tcase_add_test(px_tcase(s, "publisher_gone"), test_ipc_publisher_gone);
	tcase_add_test(px_tcase(s, "no_publisher"), test_ipc_no_publisher);
	tcase_add_test(px_tcase(s, "channel_taken"), test_ipc_channel_taken);
	tcase_add_test(px_tcase(s, "uid_refused"), test_ipc_uid_refused);
	tcase_add_test(px_tcase(s, "garbage_peers"), test_ipc_garbage_peers);
	tcase_add_test(px_tcase(s, "hostile_rings"), test_ipc_hostile_rings);
	tcase_add_test(px_tcase(s, "slow_drop"), test_ipc_slow_drop);
	tcase_add_test(px_tcase(s, "slow_disconnect"), test_ipc_slow_disconnect);
	tcase_add_test(px_tcase(s, "msg_check"), test_ipc_msg_check);
	tcase_add_test(px_tcase(s, "link_flag_taken"), test_ipc_link_flag_taken);
	tcase_add_test(px_tcase(s, "caps_pipeline"), test_ipc_caps_pipeline);
	tcase_add_test(px_tcase(s, "caps_api"), test_ipc_caps_api);
	tcase_add_test(px_tcase(s, "allocation_query"),
		       test_ipc_allocation_query);
	return s;
}

PX_TEST_MAIN(ipc_suite)
