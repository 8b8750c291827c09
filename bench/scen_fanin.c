// SPDX-License-Identifier: MIT
/*
 * scen_fanin.c - many clients into one server over loopback: 1, 100 and
 * 10,000 connected clients send 4 KiB messages, round-robin, with at most
 * WINDOW messages in flight; the server delivers each whole message to one
 * function that reads its send time and counts it. Messages/s and the p99
 * of send-to-delivered latency, for:
 *
 *   parallax:     multitcpsrc ! appsink, in this process (the callback
 *                 parses each client's stream, found by its stream id);
 *   epoll-server: one thread, the plain C server: accept4 on readiness,
 *                 level-triggered EPOLLIN, one 64 KiB read per event, the
 *                 same parsing with the state in the epoll data.
 *
 * The clients are one child process (forked before any reactor exists),
 * so each side has its own descriptor table. The window closes the loop:
 * the client waits on a futex for the server's count of delivered messages,
 * so both servers are measured at the same bounded queueing.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/futex.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"
#include "px_appsink.h"
#include "px_pipeline.h"

#define MSG	     4096u
#define WINDOW	     64u
#define READ_SIZE    65536u
#define STREAMS	     32768u /* per-stream table: a power of two > 2 * clients */
#define TIMEOUT_S    (run->quick ? 60.0 : 300.0)

enum fanin_impl { FANIN_PX, FANIN_EPOLL };

struct fanin_arg {
	const struct bench_ctx *ctx;
	enum fanin_impl impl;
	unsigned clients;
	uint64_t messages;
};

/* Shared with the client process. */
struct fanin_shared {
	_Atomic uint64_t delivered; /* whole messages the server parsed */
	_Atomic uint64_t want;	    /* the client sleeps until delivered >= */
	_Atomic uint32_t wake;	    /* futex word */
	uint64_t t_first_send, t_last_delivered;
};

/* A client's stream as the server parses it. */
struct fanin_conn {
	uint32_t id; /* parallax: the stream id (0: free entry) */
	int fd;	     /* epoll-server: its socket */
	uint32_t off;
	uint8_t hdr[8];
};

struct fanin_rx {
	struct fanin_shared *sh;
	double *lat_us; /* one per message */
	uint64_t total;
	struct fanin_conn *table; /* parallax: by stream id */
	unsigned closed;	  /* epoll-server */
};

static long futex(_Atomic uint32_t *w, int op, uint32_t val,
		  const struct timespec *ts)
{
	return syscall(SYS_futex, (uint32_t *)w, op, val, ts, NULL, 0);
}

/* The work both servers do per read: whole messages are delivered, each
 * with its latency, and the client woken when its window opened. */
static void fanin_parse(struct fanin_rx *rx, struct fanin_conn *c,
			const uint8_t *d, size_t n)
{
	uint64_t now = bench_now_ns();

	while (n) {
		uint32_t take = MSG - c->off;

		if (c->off < 8) {
			uint32_t h = 8 - c->off < n ? 8 - c->off : (uint32_t)n;

			memcpy(c->hdr + c->off, d, h);
		}
		if (take > n)
			take = (uint32_t)n;
		c->off += take;
		d += take;
		n -= take;
		if (c->off == MSG) {
			uint64_t sent, got, want;

			memcpy(&sent, c->hdr, sizeof(sent));
			c->off = 0;
			got = atomic_fetch_add(&rx->sh->delivered, 1) + 1;
			if (got <= rx->total)
				rx->lat_us[got - 1] = (double)(now - sent) / 1e3;
			if (got == rx->total)
				rx->sh->t_last_delivered = now;
			want = atomic_load(&rx->sh->want);
			if (want && got >= want &&
			    atomic_compare_exchange_strong(&rx->sh->want, &want,
							   0)) {
				atomic_fetch_add(&rx->sh->wake, 1);
				futex(&rx->sh->wake, FUTEX_WAKE, 1, NULL);
			}
		}
	}
}

/* ---- the client process ------------------------------------------------- */

static int write_all(int fd, const uint8_t *buf, size_t n)
{
	while (n) {
		ssize_t w = send(fd, buf, n, MSG_NOSIGNAL);

		if (w < 0 && errno == EAGAIN) {
			struct pollfd pfd = { .fd = fd, .events = POLLOUT };

			if (poll(&pfd, 1, 30000) != 1)
				return -ETIMEDOUT;
			continue;
		}
		if (w < 0)
			return -errno;
		buf += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Wait until at most WINDOW / 2 messages are in flight. */
static void wait_window(struct fanin_shared *sh, uint64_t sent)
{
	while (sent - atomic_load(&sh->delivered) >= WINDOW) {
		uint32_t w = atomic_load(&sh->wake);
		struct timespec ts = { 0, 100000000 };

		atomic_store(&sh->want, sent - WINDOW / 2);
		if (sent - atomic_load(&sh->delivered) > WINDOW / 2)
			futex(&sh->wake, FUTEX_WAIT, w, &ts);
		atomic_store(&sh->want, 0);
	}
}

/* Connect N sockets to PORT, in batches below the listen backlog. */
static int *connect_all(unsigned n, int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_port = htons((uint16_t)port),
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	int *fds = calloc(n, sizeof(int));

	for (unsigned i = 0; fds && i < n; i++) {
		fds[i] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fds[i] < 0 ||
		    connect(fds[i], (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
		    fcntl(fds[i], F_SETFL, O_NONBLOCK) < 0) {
			perror("fanin client: connect");
			return NULL;
		}
	}
	return fds;
}

static int client_main(struct fanin_shared *sh, int cmd, unsigned clients,
		       uint64_t messages)
{
	uint8_t msg[MSG];
	struct rlimit rl;
	int port, *fds;

	if (read(cmd, &port, sizeof(port)) != sizeof(port))
		return 2;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		(void)setrlimit(RLIMIT_NOFILE, &rl);
	}
	fds = connect_all(clients, port);
	if (!fds)
		return 2;
	memset(msg, 0x5a, sizeof(msg));
	sh->t_first_send = bench_now_ns();
	for (uint64_t i = 0; i < messages; i++) {
		uint64_t now;

		wait_window(sh, i);
		now = bench_now_ns();
		memcpy(msg, &now, sizeof(now));
		if (write_all(fds[i % clients], msg, MSG) < 0) {
			perror("fanin client: send");
			return 2;
		}
	}
	for (unsigned i = 0; i < clients; i++)
		close(fds[i]);
	return 0;
}

/* ---- the servers ------------------------------------------------------- */

static struct fanin_conn *stream_of(struct fanin_rx *rx, uint32_t id)
{
	uint32_t h = (id * 2654435761u) & (STREAMS - 1);

	while (rx->table[h].id && rx->table[h].id != id)
		h = (h + 1) & (STREAMS - 1);
	rx->table[h].id = id;
	return &rx->table[h];
}

static void px_on_buffer(struct px_element *e, const struct px_buf *b,
			 void *arg)
{
	struct fanin_rx *rx = arg;

	if (b->length)
		fanin_parse(rx, stream_of(rx, px_appsink_stream(e)),
			    px_buf_data(b), b->length);
}

/* multitcpsrc ! appsink until every client has come and gone. */
static int serve_parallax(struct bench_run *run, const struct fanin_arg *a,
			  struct fanin_rx *rx, int cmd)
{
	struct px_pipeline *p = NULL;
	struct px_parse_error perr = { 0 };
	struct px_message m = { 0 };
	char launch[256], port[16];
	int rc, prt;

	rx->table = calloc(STREAMS, sizeof(*rx->table));
	if (!rx->table)
		return -ENOMEM;
	bench_snprintf(launch, sizeof(launch),
		       "multitcpsrc name=srv port=0 num-clients=%u "
		       "blocksize=%u pool-slots=256 steer=hash ! appsink name=out",
		       a->clients, READ_SIZE);
	rc = px_pipeline_parse(launch, &p, &perr);
	if (rc == 0)
		rc = px_appsink_set_callbacks(
			px_pipeline_find(p, "out"),
			&(struct px_appsink_callbacks){ .buffer = px_on_buffer,
							.arg = rx });
	if (rc == 0)
		rc = px_pipeline_set_state(p, PX_STATE_PAUSED);
	if (rc == 0 && px_element_get(px_pipeline_find(p, "srv"), "bound-port",
				      port, sizeof(port)) <= 0)
		rc = -EIO;
	if (rc == 0) {
		prt = atoi(port);
		if (write(cmd, &prt, sizeof(prt)) != sizeof(prt))
			rc = -EPIPE;
	}
	if (rc == 0)
		rc = px_pipeline_set_state(p, PX_STATE_PLAYING);
	if (rc == 0)
		rc = px_pipeline_wait(p, (int64_t)(TIMEOUT_S * 1e9), &m);
	if (rc == 0 && m.type != PX_MSG_EOS)
		rc = -EIO;
	if (rc)
		bench_snprintf(run->why, sizeof(run->why), "parallax: %s%s%s",
			       p ? px_pipeline_error(p) : perr.message,
			       m.text[0] ? ": " : "", m.text);
	if (p) {
		(void)px_pipeline_stop(p);
		px_pipeline_destroy(p);
	}
	free(rx->table);
	return rc < 0 ? rc : rc ? -EIO : 0;
}

static int epoll_listen(int *port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 ||
	    listen(fd, SOMAXCONN) < 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &len) < 0)
		return -errno;
	*port = ntohs(sa.sin_port);
	return fd;
}

/* The plain epoll server, on this thread, until CLIENTS have closed. */
static int serve_epoll(struct bench_run *run, const struct fanin_arg *a,
		       struct fanin_rx *rx, int cmd)
{
	static uint8_t buf[READ_SIZE];
	struct epoll_event ev[256], add = { .events = EPOLLIN };
	double deadline = bench_now() + TIMEOUT_S;
	int port, lfd = epoll_listen(&port), ep = epoll_create1(EPOLL_CLOEXEC);

	if (lfd < 0 || ep < 0 ||
	    epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &add) < 0 ||
	    write(cmd, &port, sizeof(port)) != sizeof(port)) {
		bench_snprintf(run->why, sizeof(run->why),
			       "epoll-server: setup: %s", strerror(errno));
		return -EIO;
	}
	while (rx->closed < a->clients && bench_now() < deadline) {
		int n = epoll_wait(ep, ev, 256, 1000);

		for (int i = 0; i < n; i++) {
			struct fanin_conn *c = ev[i].data.ptr;
			ssize_t r;

			if (!c) { /* the listener: take every waiting client */
				int fd;

				while ((fd = accept4(lfd, NULL, NULL,
						     SOCK_NONBLOCK |
							     SOCK_CLOEXEC)) >= 0) {
					c = calloc(1, sizeof(*c));
					c->fd = fd;
					add.data.ptr = c;
					epoll_ctl(ep, EPOLL_CTL_ADD, fd, &add);
				}
				continue;
			}
			r = read(c->fd, buf, sizeof(buf));
			if (r > 0) {
				fanin_parse(rx, c, buf, (size_t)r);
			} else if (r == 0 || errno != EAGAIN) {
				close(c->fd);
				free(c);
				rx->closed++;
			}
		}
	}
	close(ep);
	close(lfd);
	if (rx->closed < a->clients) {
		bench_snprintf(run->why, sizeof(run->why),
			       "epoll-server: %u of %u clients ended in %.0f s",
			       rx->closed, a->clients, TIMEOUT_S);
		return -ETIMEDOUT;
	}
	return 0;
}

static int run_fanin(struct bench_run *run)
{
	const struct fanin_arg *a = run->arg;
	struct fanin_rx rx = { .total = a->messages };
	struct rlimit rl;
	int to[2], rc, status;
	pid_t pid;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0 ||
	    rl.rlim_max < (rlim_t)a->clients + 256) {
		bench_snprintf(run->why, sizeof(run->why),
			       "RLIMIT_NOFILE's hard limit is below %u",
			       a->clients + 256);
		return BENCH_MISSING;
	}
	rl.rlim_cur = rl.rlim_max;
	(void)setrlimit(RLIMIT_NOFILE, &rl);
	rx.sh = mmap(NULL, sizeof(*rx.sh), PROT_READ | PROT_WRITE,
		     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	rx.lat_us = calloc(a->messages, sizeof(double));
	if (rx.sh == MAP_FAILED || !rx.lat_us || pipe2(to, O_CLOEXEC) < 0)
		return -ENOMEM;
	pid = fork(); /* no reactor exists yet: nothing of io_uring crosses */
	if (pid == 0) {
		close(to[1]);
		_exit(client_main(rx.sh, to[0], a->clients, a->messages));
	}
	close(to[0]);
	if (pid < 0)
		return -errno;
	rc = a->impl == FANIN_PX ? serve_parallax(run, a, &rx, to[1])
				 : serve_epoll(run, a, &rx, to[1]);
	close(to[1]);
	if (rc)
		kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	if (!rc && (!WIFEXITED(status) || WEXITSTATUS(status))) {
		bench_snprintf(run->why, sizeof(run->why),
			       "the client process failed (status %d)", status);
		rc = -EIO;
	}
	if (!rc && atomic_load(&rx.sh->delivered) != a->messages) {
		bench_snprintf(run->why, sizeof(run->why),
			       "%llu of %llu messages delivered",
			       (unsigned long long)atomic_load(&rx.sh->delivered),
			       (unsigned long long)a->messages);
		rc = -EIO;
	}
	if (!rc) {
		run->v[0] = (double)a->messages /
			    ((double)(rx.sh->t_last_delivered -
				      rx.sh->t_first_send) / 1e9);
		run->v[1] = bench_percentile(rx.lat_us, a->messages, 99.0);
	}
	free(rx.lat_us);
	munmap(rx.sh, sizeof(*rx.sh));
	return rc;
}

int bench_scen_fanin(struct bench_ctx *ctx)
{
	static const unsigned counts[] = { 1, 100, 10000 };
	static struct fanin_arg args[3][2];
	static char what[3][2][512];
	int err;

	for (unsigned i = 0; i < 3; i++) {
		uint64_t msgs = ctx->quick ? 20000 : 200000;
		char variant[64];
		struct bench_case c = {
			.scenario = "fanin",
			.variant = variant,
			.nmetrics = 2,
			.metric = { { "messages", "msgs/s", false },
				    { "p99", "us", true } },
			.chart = "fanin",
			.series = "messages/s",
			.x = counts[i],
		};

		bench_snprintf(variant, sizeof(variant), "%u client%s, 4KiB",
			       counts[i], counts[i] == 1 ? "" : "s");
		for (unsigned im = 0; im < 2; im++) {
			args[i][im] = (struct fanin_arg){ ctx, im, counts[i],
							  msgs };
			bench_snprintf(
				what[i][im], sizeof(what[i][im]),
				"%u clients (one process) send %llu messages "
				"of %u bytes round-robin, at most %u in "
				"flight; %s",
				counts[i], (unsigned long long)msgs, MSG,
				WINDOW,
				im == FANIN_PX
					? "multitcpsrc blocksize=65536 "
					  "pool-slots=256 steer=hash ! appsink, "
					  "the callback parses each stream"
					: "one epoll thread: accept4, "
					  "level-triggered EPOLLIN, one 65536-"
					  "byte read per event, the same "
					  "parsing");
			c.impl[c.nimpls++] = (struct bench_impl){
				im == FANIN_PX ? "parallax" : "epoll-server",
				run_fanin, &args[i][im], what[i][im] };
		}
		err = bench_case_run(ctx, &c);
		if (err)
			return err;
	}
	return 0;
}
