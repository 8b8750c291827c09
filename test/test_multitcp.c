// SPDX-License-Identifier: MIT
/*
 * test_multitcp.c - multitcpsrc, the TCP server for many clients: 10,000
 * concurrent loopback clients (a child process, so each side has its own
 * descriptor table), each sending its own pattern that the sink checks per
 * stream; a client that resets while the others go on; max-clients; EOS
 * with idle clients connected; two servers on two reactors sharing one
 * port through SO_REUSEPORT; a port taken without reuse-port; steering
 * new connections by CPU with BPF (root), and what happens without it.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sched.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "px_appsink.h"
#include "px_buf.h"
#include "px_pipeline.h"
#include "px_reactor.h"
#include "px_test.h"

#define WAIT_NS (120ll * 1000000000ll)
#define MANY 10000
#define TABLE 32768 /* streams checked at once: a power of two > 2 * MANY */

/* ---- the per-stream checker ------------------------------------------------
 * Client I sends its index (4 bytes, little-endian), then byte k of its
 * stream is (I * 131 + k * 7) & 0xff, and closes. */

static uint8_t pattern(uint32_t client, uint64_t k)
{
	if (k < 4)
		return (uint8_t)(client >> (8 * k));
	return (uint8_t)(client * 131u + k * 7u);
}

struct stream {
	uint32_t id; /* 0: free entry */
	uint32_t client;
	uint64_t bytes;
	bool last, bad;
	const char *why; /* the first thing wrong */
};

struct checker {
	struct stream t[TABLE];
	_Atomic unsigned ended; /* streams that got their LAST buffer */
	unsigned streams;
	bool eos;
};

static struct stream *lookup(struct checker *k, uint32_t id)
{
	uint32_t h = (id * 2654435761u) & (TABLE - 1);

	while (k->t[h].id && k->t[h].id != id)
		h = (h + 1) & (TABLE - 1);
	if (!k->t[h].id) {
		k->t[h].id = id;
		k->streams++;
	}
	return &k->t[h];
}

static void bad(struct stream *st, const char *why)
{
	if (!st->bad)
		st->why = why;
	st->bad = true;
}

static void check_buf(struct px_element *e, const struct px_buf *b, void *arg)
{
	struct checker *k = arg;
	uint32_t id = px_appsink_stream(e);
	struct stream *st = lookup(k, id);
	const uint8_t *d = px_buf_data(b);

	if (!id)
		bad(st, "a buffer without a stream id");
	if (st->last)
		bad(st, "a buffer after LAST");
	if (b->stream_offset != st->bytes)
		bad(st, "stream_offset is not the bytes so far");
	if (!!(b->flags & PX_BUF_FLAG_DISCONT) != (st->bytes == 0 && b->length))
		bad(st, "DISCONT not on the first buffer only");
	for (uint32_t i = 0; i < b->length; i++) {
		uint64_t off = st->bytes + i;

		if (off < 4)
			st->client |= (uint32_t)d[i] << (8 * off);
		else if (d[i] != pattern(st->client, off))
			bad(st, "a byte differs from the client's pattern");
	}
	st->bytes += b->length;
	if (b->flags & PX_BUF_FLAG_LAST) {
		if (b->length)
			bad(st, "LAST carries bytes");
		st->last = true;
		atomic_fetch_add(&k->ended, 1);
	}
}

static void check_eos(struct px_element *e, void *arg)
{
	(void)e;
	((struct checker *)arg)->eos = true;
}

/* Every stream ended, N of them, each with PER bytes, clients 0..N-1 once. */
static void check_streams(struct checker *k, unsigned n, uint64_t per)
{
	uint8_t *seen = calloc(n, 1);

	ck_assert_ptr_nonnull(seen);
	ck_assert_uint_eq(k->streams, n);
	for (unsigned i = 0; i < TABLE; i++) {
		struct stream *st = &k->t[i];

		if (!st->id)
			continue;
		ck_assert_msg(!st->bad, "stream %u (client %u): %s", st->id,
			      st->client, st->why);
		ck_assert_msg(st->last, "stream %u did not end", st->id);
		ck_assert_msg(st->bytes == per, "stream %u: %llu bytes, not %llu",
			      st->id, (unsigned long long)st->bytes,
			      (unsigned long long)per);
		ck_assert_uint_lt(st->client, n);
		ck_assert_msg(!seen[st->client], "client %u twice", st->client);
		seen[st->client] = 1;
	}
	free(seen);
}

/* ---- pipelines ------------------------------------------------------------ */

static struct px_pipeline *parsef(const char *fmt, ...) PX_PRINTF(1, 2);
static struct px_pipeline *parsef(const char *fmt, ...)
{
	struct px_pipeline *p = NULL;
	struct px_parse_error err = { 0 };
	char launch[1024];
	va_list ap;
	int rc;

	va_start(ap, fmt);
	vsnprintf(launch, sizeof(launch), fmt, ap);
	va_end(ap);
	rc = px_pipeline_parse(launch, &p, &err);
	ck_assert_msg(rc == 0, "parse '%s': %d %s", launch, rc, err.message);
	return p;
}

static int64_t prop(struct px_pipeline *p, const char *elem, const char *name)
{
	char text[32];

	ck_assert_int_gt(px_element_get(px_pipeline_find(p, elem), name, text,
					sizeof(text)),
			 0);
	return atoll(text);
}

/* Install the checker on appsink "out" and go to PAUSED: the port. */
static int start_checked(struct px_pipeline *p, struct checker *k,
			 const char *server)
{
	ck_assert_int_eq(px_appsink_set_callbacks(
				 px_pipeline_find(p, "out"),
				 &(struct px_appsink_callbacks){
					 .buffer = check_buf,
					 .eos = check_eos,
					 .arg = k }),
			 0);
	ck_assert_msg(px_pipeline_set_state(p, PX_STATE_PAUSED) == 0, "%s",
		      px_pipeline_error(p));
	return (int)prop(p, server, "bound-port");
}

static void play(struct px_pipeline *p)
{
	ck_assert_msg(px_pipeline_set_state(p, PX_STATE_PLAYING) == 0, "%s",
		      px_pipeline_error(p));
}

static void wait_eos(struct px_pipeline *p)
{
	struct px_message m;
	int rc = px_pipeline_wait(p, WAIT_NS, &m);

	ck_assert_msg(rc != -ETIMEDOUT, "pipeline did not finish");
	ck_assert_msg(m.type == PX_MSG_EOS, "ended with: %s", m.text);
}

/* ---- clients ---------------------------------------------------------- */

static int connect_to(int port, bool nonblock)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_port = htons((uint16_t)port) };
	int fd = socket(AF_INET,
			SOCK_STREAM | SOCK_CLOEXEC | (nonblock ? SOCK_NONBLOCK : 0),
			0);

	if (fd < 0)
		return -errno;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 &&
	    errno != EINPROGRESS) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

/* Client CLIENT's PER bytes, written whole (waiting while the socket is
 * full). 0 or -errno. */
static int send_pattern(int fd, uint32_t client, uint64_t per)
{
	uint8_t buf[4096];
	uint64_t off = 0;

	while (off < per) {
		size_t n = per - off < sizeof(buf) ? (size_t)(per - off)
						   : sizeof(buf);
		ssize_t w;

		for (size_t i = 0; i < n; i++)
			buf[i] = pattern(client, off + i);
		w = send(fd, buf, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EAGAIN) {
			struct pollfd pfd = { .fd = fd, .events = POLLOUT };

			if (poll(&pfd, 1, 60000) != 1)
				return -ETIMEDOUT;
			continue;
		}
		if (w < 0)
			return -errno;
		off += (uint64_t)w;
	}
	return 0;
}

static bool raise_nofile(rlim_t want)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_max < want)
		return false;
	rl.rlim_cur = rl.rlim_max;
	return setrlimit(RLIMIT_NOFILE, &rl) == 0;
}

/*
 * The client process: N nonblocking connects in batches below the listen
 * backlog, PER bytes on each, then "connected" to the parent; it closes
 * them all when the parent says "go". Exit 0, or 2 with a sentence.
 */
static int many_clients(int cmd, int rep, unsigned n, uint64_t per)
{
	int port, *fds = calloc(n, sizeof(int)), ep = epoll_create1(0);
	struct epoll_event ev[256];
	char go;

	if (!fds || ep < 0 || read(cmd, &port, sizeof(port)) != sizeof(port))
		return 2;
	for (unsigned i = 0; i < n;) {
		unsigned batch = n - i < 1000 ? n - i : 1000, pending = batch;

		for (unsigned j = i; j < i + batch; j++) {
			struct epoll_event e = { .events = EPOLLOUT,
						 .data.u32 = j };

			fds[j] = connect_to(port, true);
			if (fds[j] < 0 ||
			    epoll_ctl(ep, EPOLL_CTL_ADD, fds[j], &e) < 0) {
				fprintf(stderr, "client %u: connect: %s\n", j,
					strerror(fds[j] < 0 ? -fds[j] : errno));
				return 2;
			}
		}
		while (pending) {
			int got = epoll_wait(ep, ev, 256, 60000);

			if (got <= 0) {
				fprintf(stderr, "connects did not complete\n");
				return 2;
			}
			for (int g = 0; g < got; g++) {
				unsigned j = ev[g].data.u32;
				int err = 0;
				socklen_t el = sizeof(err);

				getsockopt(fds[j], SOL_SOCKET, SO_ERROR, &err, &el);
				epoll_ctl(ep, EPOLL_CTL_DEL, fds[j], NULL);
				if (err || send_pattern(fds[j], j, per) < 0) {
					fprintf(stderr, "client %u: %s\n", j,
						strerror(err ? err : errno));
					return 2;
				}
				pending--;
			}
		}
		i += batch;
	}
	if (write(rep, "c", 1) != 1 || read(cmd, &go, 1) != 1)
		return 2;
	for (unsigned i = 0; i < n; i++)
		close(fds[i]);
	return 0;
}

struct child {
	pid_t pid;
	int cmd, rep; /* to the child, from it */
};

/* Fork the client process before any reactor exists (a ring must not
 * cross fork()). */
static void child_start(struct child *c, unsigned n, uint64_t per)
{
	int to[2], from[2];

	ck_assert_int_eq(pipe2(to, O_CLOEXEC), 0);
	ck_assert_int_eq(pipe2(from, O_CLOEXEC), 0);
	c->pid = fork();
	ck_assert_int_ge(c->pid, 0);
	if (c->pid == 0) {
		close(to[1]);
		close(from[0]);
		_exit(many_clients(to[0], from[1], n, per));
	}
	close(to[0]);
	close(from[1]);
	c->cmd = to[1];
	c->rep = from[0];
}

/* Wait (bounded) for one byte from the child. */
static void child_wait_byte(struct child *c)
{
	struct pollfd pfd = { .fd = c->rep, .events = POLLIN };
	char b;

	ck_assert_msg(poll(&pfd, 1, 120000) == 1, "clients did not connect");
	ck_assert_msg(read(c->rep, &b, 1) == 1, "the client process failed");
}

static void child_end(struct child *c)
{
	int status;

	ck_assert_int_eq(waitpid(c->pid, &status, 0), c->pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		      "client process: status %d", status);
	close(c->cmd);
	close(c->rep);
}

/* ---- tests ----------------------------------------------------------------- */

/*
 * 10,000 clients connected at once: the server holds them all (its
 * "clients" reaches 10,000 before any closes), and every stream arrives
 * whole, in order, once, ended by LAST; then num-clients ends the run.
 */
START_TEST(ten_thousand_clients)
{
	const uint64_t per = 8192;
	struct checker *k = calloc(1, sizeof(*k));
	struct px_pipeline *p;
	struct child c;
	int port;

	ck_assert_ptr_nonnull(k);
	if (!raise_nofile(MANY + 256))
		PX_SKIP("RLIMIT_NOFILE's hard limit is below %d", MANY + 256);
	child_start(&c, MANY, per);
	p = parsef("multitcpsrc name=srv port=0 num-clients=%d pool-slots=512 "
		   "blocksize=16384 ! appsink name=out",
		   MANY);
	port = start_checked(p, k, "srv");
	play(p);
	ck_assert_int_eq(write(c.cmd, &port, sizeof(port)), sizeof(port));
	child_wait_byte(&c);
	PX_TEST_UNTIL(prop(p, "srv", "clients") == MANY, 120);
	ck_assert_int_eq(write(c.cmd, "g", 1), 1);
	child_end(&c);
	wait_eos(p);
	ck_assert_int_eq(prop(p, "srv", "accepted"), MANY);
	ck_assert_int_eq(px_pipeline_stop(p), 0);
	ck_assert(k->eos);
	check_streams(k, MANY, per);
	px_pipeline_destroy(p);
	free(k);
}
END_TEST

/* One client resets mid-stream: a WARNING names it, its stream ends with
 * LAST, and the two others arrive whole. */
START_TEST(reset_client_others_served)
{
	struct checker *k = calloc(1, sizeof(*k));
	struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	struct px_pipeline *p;
	int port, fd[3];

	ck_assert_ptr_nonnull(k);
	p = parsef("multitcpsrc name=srv port=0 num-clients=3 ! appsink name=out");
	port = start_checked(p, k, "srv");
	play(p);
	for (int i = 0; i < 3; i++) {
		fd[i] = connect_to(port, false);
		ck_assert_int_ge(fd[i], 0);
		ck_assert_int_eq(send_pattern(fd[i], (uint32_t)i, 100000), 0);
	}
	PX_TEST_UNTIL(prop(p, "srv", "clients") == 3, 60);
	/* Unread data at close, with linger 0: a reset. */
	ck_assert_int_eq(setsockopt(fd[1], SOL_SOCKET, SO_LINGER, &lg,
				    sizeof(lg)),
			 0);
	ck_assert_int_eq(send(fd[1], (uint8_t[]){ pattern(1, 100000) }, 1, 0),
			 1);
	close(fd[1]);
	PX_TEST_UNTIL(atomic_load(&k->ended) == 1, 60);
	close(fd[0]);
	close(fd[2]);
	wait_eos(p);
	ck_assert(px_test_bus_has(p, PX_MSG_WARNING, "serving the other clients"));
	ck_assert_int_eq(px_pipeline_stop(p), 0);
	ck_assert_uint_eq(k->streams, 3);
	for (unsigned i = 0; i < TABLE; i++) {
		struct stream *st = &k->t[i];

		if (!st->id)
			continue;
		ck_assert_msg(!st->bad, "stream %u: %s", st->id, st->why);
		ck_assert(st->last);
		if (st->client != 1)
			ck_assert_uint_eq(st->bytes, 100000);
	}
	px_pipeline_destroy(p);
	free(k);
}
END_TEST

/* max-clients=2: a third client is closed at once and counted. */
START_TEST(max_clients_refused)
{
	struct px_pipeline *p;
	int port, fd[3];
	char b;

	p = parsef("multitcpsrc name=srv port=0 max-clients=2 ! fakesink");
	ck_assert_msg(px_pipeline_set_state(p, PX_STATE_PAUSED) == 0, "%s",
		      px_pipeline_error(p));
	port = (int)prop(p, "srv", "bound-port");
	play(p);
	for (int i = 0; i < 2; i++)
		ck_assert_int_ge(fd[i] = connect_to(port, false), 0);
	PX_TEST_UNTIL(prop(p, "srv", "clients") == 2, 60);
	ck_assert_int_ge(fd[2] = connect_to(port, false), 0);
	ck_assert_int_eq(read(fd[2], &b, 1), 0); /* closed by the server */
	ck_assert_int_eq(prop(p, "srv", "refused"), 1);
	ck_assert(px_test_bus_has(p, PX_MSG_WARNING, "max-clients"));
	for (int i = 0; i < 3; i++)
		close(fd[i]);
	ck_assert_int_eq(px_pipeline_stop(p), 0);
	px_pipeline_destroy(p);
}
END_TEST

/* EOS asked while clients sit idle: each of their streams ends with LAST,
 * then the pipeline ends. */
START_TEST(eos_with_idle_clients)
{
	struct checker *k = calloc(1, sizeof(*k));
	struct px_pipeline *p;
	int port, fd[4];

	ck_assert_ptr_nonnull(k);
	p = parsef("multitcpsrc name=srv port=0 ! appsink name=out");
	port = start_checked(p, k, "srv");
	play(p);
	for (int i = 0; i < 4; i++) {
		ck_assert_int_ge(fd[i] = connect_to(port, false), 0);
		ck_assert_int_eq(send_pattern(fd[i], (uint32_t)i, 5000), 0);
	}
	PX_TEST_UNTIL(prop(p, "out", "buffers") >= 4 &&
			      prop(p, "srv", "clients") == 4,
		      60);
	ck_assert_int_eq(px_pipeline_send_eos(p), 0);
	wait_eos(p);
	ck_assert_int_eq(px_pipeline_stop(p), 0);
	ck_assert_uint_eq(k->streams, 4);
	ck_assert_uint_eq(atomic_load(&k->ended), 4);
	for (int i = 0; i < 4; i++)
		close(fd[i]);
	px_pipeline_destroy(p);
	free(k);
}
END_TEST

static int free_port(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	close(fd);
	return ntohs(sa.sin_port);
}

/* Two servers on reactors 0 and 1 share one port (SO_REUSEPORT): the
 * kernel's hash gives each some of 64 clients, and one funnel gets every
 * stream whole and apart. */
START_TEST(reuse_port_two_reactors)
{
	struct checker *k = calloc(1, sizeof(*k));
	struct px_pipeline *p;
	int port = free_port(), fd[64];

	ck_assert_ptr_nonnull(k);
	p = parsef("funnel name=f ! appsink name=out "
		   "multitcpsrc name=a port=%d reuse-port=true reactor=0 "
		   "steer=hash ! f. "
		   "multitcpsrc name=b port=%d reuse-port=true reactor=1 "
		   "steer=hash ! f.",
		   port, port);
	(void)start_checked(p, k, "a");
	ck_assert_int_eq(prop(p, "b", "bound-port"), port);
	ck_assert_str_eq(px_reactor_name(px_element_reactor(
				 px_pipeline_find(p, "a"))),
			 "px-r0");
	ck_assert_str_eq(px_reactor_name(px_element_reactor(
				 px_pipeline_find(p, "b"))),
			 "px-r1");
	play(p);
	for (int i = 0; i < 64; i++) {
		ck_assert_int_ge(fd[i] = connect_to(port, false), 0);
		ck_assert_int_eq(send_pattern(fd[i], (uint32_t)i, 10000), 0);
		close(fd[i]);
	}
	PX_TEST_UNTIL(atomic_load(&k->ended) == 64, 60);
	ck_assert_int_gt(prop(p, "a", "accepted"), 0);
	ck_assert_int_gt(prop(p, "b", "accepted"), 0);
	ck_assert_int_eq(prop(p, "a", "accepted") + prop(p, "b", "accepted"),
			 64);
	ck_assert_int_eq(px_pipeline_send_eos(p), 0);
	wait_eos(p);
	ck_assert_int_eq(px_pipeline_stop(p), 0);
	check_streams(k, 64, 10000);
	px_pipeline_destroy(p);
	free(k);
}
END_TEST

/* Two servers on one port without reuse-port: the second cannot listen,
 * and the error says what to write. */
START_TEST(port_taken_says_reuse_port)
{
	int port = free_port();
	struct px_pipeline *p =
		parsef("funnel name=f ! fakesink "
		       "multitcpsrc name=a port=%d ! f. "
		       "multitcpsrc name=b port=%d ! f.",
		       port, port);

	ck_assert_int_ne(px_pipeline_set_state(p, PX_STATE_PAUSED), 0);
	ck_assert_msg(strstr(px_pipeline_error(p), "reuse-port=true"), "%s",
		      px_pipeline_error(p));
	px_pipeline_destroy(p);
}
END_TEST

/* Connect N clients from CPU, each sending its pattern, and close them. */
static void clients_from_cpu(int port, int cpu, int first, int n)
{
	cpu_set_t one, old;

	ck_assert_int_eq(sched_getaffinity(0, sizeof(old), &old), 0);
	CPU_ZERO(&one);
	CPU_SET(cpu, &one);
	ck_assert_int_eq(sched_setaffinity(0, sizeof(one), &one), 0);
	for (int i = first; i < first + n; i++) {
		int fd = connect_to(port, false);

		ck_assert_int_ge(fd, 0);
		ck_assert_int_eq(send_pattern(fd, (uint32_t)i, 1000), 0);
		close(fd);
	}
	ck_assert_int_eq(sched_setaffinity(0, sizeof(old), &old), 0);
}

/*
 * steer=cpu (BPF, root): every connection made from CPU 0 goes to one
 * server and every one from CPU 1 to the other, where the kernel's hash
 * would scatter both.
 */
START_TEST(steer_by_cpu)
{
	struct checker *k = calloc(1, sizeof(*k));
	struct px_pipeline *p;
	int port = free_port();
	int64_t a0, b0;

	ck_assert_ptr_nonnull(k);
	if (!px_test_is_root())
		PX_SKIP("BPF steering needs root (CAP_BPF)");
	if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
		PX_SKIP("steering by CPU needs 2 CPUs");
	p = parsef("funnel name=f ! appsink name=out "
		   "multitcpsrc name=a port=%d reuse-port=true steer=cpu "
		   "reactor=0 ! f. "
		   "multitcpsrc name=b port=%d reuse-port=true steer=cpu "
		   "reactor=1 ! f.",
		   port, port);
	(void)start_checked(p, k, "a");
	ck_assert(px_test_bus_has(p, PX_MSG_INFO, "by the CPU that received"));
	play(p);
	clients_from_cpu(port, 0, 0, 16);
	PX_TEST_UNTIL(atomic_load(&k->ended) == 16, 60);
	a0 = prop(p, "a", "accepted");
	b0 = prop(p, "b", "accepted");
	ck_assert_msg((a0 == 16 && b0 == 0) || (a0 == 0 && b0 == 16),
		      "CPU 0's clients went to both: %lld and %lld",
		      (long long)a0, (long long)b0);
	clients_from_cpu(port, 1, 16, 16);
	PX_TEST_UNTIL(atomic_load(&k->ended) == 32, 60);
	ck_assert_msg(prop(p, "a", "accepted") - a0 == 16 - a0 &&
			      prop(p, "b", "accepted") - b0 == 16 - b0,
		      "CPU 1's clients did not all go to the other server: "
		      "a %lld -> %lld, b %lld -> %lld",
		      (long long)a0, (long long)prop(p, "a", "accepted"),
		      (long long)b0, (long long)prop(p, "b", "accepted"));
	ck_assert_int_eq(px_pipeline_send_eos(p), 0);
	wait_eos(p);
	ck_assert_int_eq(px_pipeline_stop(p), 0);
	check_streams(k, 32, 1000);
	px_pipeline_destroy(p);
	free(k);
}
END_TEST

/* steer=cpu where BPF cannot be loaded (not root) is an ERROR that says
 * why; steer=auto there keeps the kernel's hash with an INFO line. */
START_TEST(steer_without_bpf)
{
	struct px_pipeline *p;
	int port = free_port();

	if (px_test_is_root())
		PX_SKIP("BPF loads for this user: steer_by_cpu covers it");
	p = parsef("funnel name=f ! fakesink "
		   "multitcpsrc name=a port=%d reuse-port=true ! f. "
		   "multitcpsrc name=b port=%d reuse-port=true ! f.",
		   port, port);
	ck_assert_msg(px_pipeline_set_state(p, PX_STATE_PAUSED) == 0, "%s",
		      px_pipeline_error(p));
	ck_assert(px_test_bus_has(p, PX_MSG_INFO, "kernel's hash, not by CPU"));
	ck_assert_int_eq(px_pipeline_stop(p), 0);
	px_pipeline_destroy(p);
	p = parsef("multitcpsrc port=%d reuse-port=true steer=cpu ! fakesink",
		   port);
	ck_assert_int_ne(px_pipeline_set_state(p, PX_STATE_PAUSED), 0);
	ck_assert_msg(strstr(px_pipeline_error(p), "steer=cpu: cannot make a "
						   "BPF map"),
		      "%s", px_pipeline_error(p));
	px_pipeline_destroy(p);
}
END_TEST

static Suite *multitcp_suite(void)
{
	Suite *s = suite_create("multitcpsrc");
	TCase *many = px_tcase(s, "ten_thousand_clients");

	/* 10,000 connects and 80 MB, under the sanitizers too. */
	tcase_set_timeout(many, 300);
	tcase_add_test(many, ten_thousand_clients);
	tcase_add_test(px_tcase(s, "reset_client"), reset_client_others_served);
	tcase_add_test(px_tcase(s, "max_clients"), max_clients_refused);
	tcase_add_test(px_tcase(s, "eos_idle_clients"), eos_with_idle_clients);
	tcase_add_test(px_tcase(s, "reuse_port"), reuse_port_two_reactors);
	tcase_add_test(px_tcase(s, "port_taken"), port_taken_says_reuse_port);
	tcase_add_test(px_tcase(s, "steer_by_cpu"), steer_by_cpu);
	tcase_add_test(px_tcase(s, "steer_without_bpf"), steer_without_bpf);
	return s;
}

PX_TEST_MAIN(multitcp_suite)
