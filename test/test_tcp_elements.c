// SPDX-License-Identifier: MIT
/*
 * test_tcp_elements.c - tcpsrc and tcpsink over loopback: pipeline to
 * pipeline in both roles and every zerocopy mode, bytes checked end to end;
 * against Python socket peers that no one here wrote; a reset mid-stream
 * reported on either side; refused connections; a second client; IPv6;
 * and a slow reader that must produce backpressure, not growth.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "px_appsink.h"
#include "px_pipeline.h"
#include "px_probe.h"
#include "px_reactor.h"
#include "px_test.h"

#define WAIT_NS (60ll * 1000000000ll)

/* ---- pipelines ------------------------------------------------------------ */

static struct px_pipeline *parse(const char *launch)
{
	struct px_pipeline *p = NULL;
	struct px_parse_error err = { 0 };
	int rc = px_pipeline_parse(launch, &p, &err);

	ck_assert_msg(rc == 0, "parse '%s': %d %s", launch, rc, err.message);
	return p;
}

static struct px_pipeline *parsef(const char *fmt, ...) PX_PRINTF(1, 2);
static struct px_pipeline *parsef(const char *fmt, ...)
{
	char launch[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(launch, sizeof(launch), fmt, ap);
	va_end(ap);
	return parse(launch);
}

/* Bring P to PAUSED and return the bound-port of element NAME. */
static int pause_port(struct px_pipeline *p, const char *name)
{
	char text[32];
	int rc = px_pipeline_set_state(p, PX_STATE_PAUSED);

	ck_assert_msg(rc == 0, "pause: %s", px_pipeline_error(p));
	ck_assert_int_gt(px_element_get(px_pipeline_find(p, name), "bound-port",
					text, sizeof(text)),
			 0);
	ck_assert_int_gt(atoi(text), 0);
	return atoi(text);
}

static int wait_msg(struct px_pipeline *p, struct px_message *m)
{
	int rc = px_pipeline_wait(p, WAIT_NS, m);

	ck_assert_msg(rc != -ETIMEDOUT, "pipeline %s did not finish",
		      px_pipeline_name(p));
	return rc;
}

static void finish(struct px_pipeline *p)
{
	ck_assert_int_eq(px_pipeline_stop(p), 0);
	px_pipeline_destroy(p);
}

/* ---- the appsink checker: byte i of the stream must be i & 0xff ---------- */

struct check {
	uint64_t bytes, buffers;
	int64_t first_bad; /* -1: none */
	bool offsets_ok, eos;
};

static void check_buf(struct px_element *e, const struct px_buf *b, void *arg)
{
	struct check *c = arg;
	const uint8_t *p = px_buf_data(b);

	(void)e;
	if (b->stream_offset != c->bytes)
		c->offsets_ok = false;
	for (uint32_t i = 0; i < b->length && c->first_bad < 0; i++)
		if (p[i] != (uint8_t)(c->bytes + i))
			c->first_bad = (int64_t)(c->bytes + i);
	c->bytes += b->length;
	c->buffers++;
}

static void check_eos(struct px_element *e, void *arg)
{
	(void)e;
	((struct check *)arg)->eos = true;
}

static void check_attach(struct px_pipeline *p, const char *name,
			 struct check *c)
{
	*c = (struct check){ .first_bad = -1, .offsets_ok = true };
	ck_assert_int_eq(px_appsink_set_callbacks(
				 px_pipeline_find(p, name),
				 &(struct px_appsink_callbacks){
					 .buffer = check_buf,
					 .eos = check_eos,
					 .arg = c }),
			 0);
}

static void check_ok(const struct check *c, uint64_t bytes)
{
	ck_assert_uint_eq(c->bytes, bytes);
	ck_assert_msg(c->first_bad < 0, "byte %lld differs",
		      (long long)c->first_bad);
	ck_assert(c->offsets_ok);
	ck_assert(c->eos);
}

/* ---- Python peers ------------------------------------------------------------ */

/* Sends argv[2] bytes of the i & 0xff pattern to 127.0.0.1:argv[1]; with
 * argv[3] == "reset" it closes with SO_LINGER 0 (a RST) instead. */
static const char py_sender[] =
	"import socket, struct, sys, signal\n"
	"signal.alarm(30)\n"
	"port, n, how = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]\n"
	"s = socket.create_connection(('127.0.0.1', port))\n"
	"blk = bytes(range(256)) * 4096\n"
	"sent = 0\n"
	"while sent < n:\n"
	"    k = min(n - sent, len(blk))\n"
	"    s.sendall(blk[:k])\n"
	"    sent += k\n"
	"if how == 'reset':\n"
	"    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))\n"
	"s.close()\n"
	"print(sent, flush=True)\n";

/* Listens on 127.0.0.1:0 (prints the port), accepts one client, reads to
 * EOF checking the pattern, prints "<bytes> ok|bad@<offset>". argv[1]:
 * seconds to sleep after each read (a slow reader); argv[2]: reset the
 * connection after that many bytes (0: never). */
static const char py_receiver[] =
	"import socket, struct, sys, signal, time\n"
	"signal.alarm(40)\n"
	"slow, limit = float(sys.argv[1]), int(sys.argv[2])\n"
	"l = socket.socket()\n"
	"l.bind(('127.0.0.1', 0))\n"
	"l.listen(1)\n"
	"print(l.getsockname()[1], flush=True)\n"
	"c, _ = l.accept()\n"
	"pat = bytes(range(256)) * 300\n"
	"n, bad = 0, -1\n"
	"while True:\n"
	"    d = c.recv(65536)\n"
	"    if not d:\n"
	"        break\n"
	"    o = n & 255\n"
	"    if bad < 0 and d != pat[o:o + len(d)]:\n"
	"        bad = n\n"
	"    n += len(d)\n"
	"    if slow:\n"
	"        time.sleep(slow)\n"
	"    if limit and n >= limit:\n"
	"        c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))\n"
	"        c.close()\n"
	"        print(n, 'reset', flush=True)\n"
	"        sys.exit(0)\n"
	"print(n, 'ok' if bad < 0 else 'bad@%d' % bad, flush=True)\n";

struct peer {
	pid_t pid;
	FILE *out;
};

/* The system interpreter when there is one: version-manager shims on PATH
 * can take seconds to start. */
static const char *python(void)
{
	return access("/usr/bin/python3", X_OK) == 0 ? "/usr/bin/python3"
						     : "python3";
}

static bool have_python(void)
{
	char cmd[64];

	snprintf(cmd, sizeof(cmd), "%s -c pass >/dev/null 2>&1", python());
	return system(cmd) == 0;
}

static void peer_start(struct peer *pr, const char *script, const char *a1,
		       const char *a2, const char *a3)
{
	int fds[2];

	ck_assert_int_eq(pipe(fds), 0);
	pr->pid = fork();
	ck_assert_int_ge(pr->pid, 0);
	if (pr->pid == 0) {
		dup2(fds[1], STDOUT_FILENO);
		close(fds[0]);
		close(fds[1]);
		execlp(python(), "python3", "-c", script, a1, a2, a3,
		       (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	pr->out = fdopen(fds[0], "r");
	ck_assert_ptr_nonnull(pr->out);
}

/* The next line the peer printed (it prints within its own alarm). */
static void peer_line(struct peer *pr, char *buf, size_t len)
{
	struct pollfd pfd = { .fd = fileno(pr->out), .events = POLLIN };

	ck_assert_msg(poll(&pfd, 1, 45000) == 1, "python peer is silent");
	ck_assert_msg(fgets(buf, (int)len, pr->out) != NULL,
		      "python peer exited without output");
}

/* Reap the peer: its exit status (killed after 45 s at the latest). */
static int peer_end(struct peer *pr)
{
	int status = 0, pfd = (int)syscall(SYS_pidfd_open, pr->pid, 0);
	struct pollfd p = { .fd = pfd, .events = POLLIN };

	/* pidfd: readable when the process exits, no polling loop. */
	if (pfd < 0 || poll(&p, 1, 45000) != 1)
		kill(pr->pid, SIGKILL);
	if (pfd >= 0)
		close(pfd);
	waitpid(pr->pid, &status, 0);
	fclose(pr->out);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* ---- tests ------------------------------------------------------------------- */

/* Pipeline to pipeline: SRC_ROLE is tcpsrc's mode; the sink takes the other. */
static void loopback(const char *zc, bool src_server, uint64_t nbuf,
		     unsigned size)
{
	struct px_pipeline *rx, *tx;
	struct px_message m = { 0 };
	struct px_reactor_stats rs;
	struct check c;
	int port, rc;

	if (src_server) {
		rx = parse("tcpsrc name=src mode=server port=0 ! appsink name=out");
		check_attach(rx, "out", &c);
		port = pause_port(rx, "src");
		tx = parsef("fakesrc num-buffers=%llu size=%u filltype=pattern-span ! "
			    "tcpsink name=snk port=%d zerocopy=%s",
			    (unsigned long long)nbuf, size, port, zc);
		ck_assert_int_eq(px_pipeline_play(rx), 0);
		ck_assert_int_eq(px_pipeline_play(tx), 0);
	} else {
		tx = parsef("fakesrc num-buffers=%llu size=%u filltype=pattern-span ! "
			    "tcpsink name=snk mode=server port=0 zerocopy=%s",
			    (unsigned long long)nbuf, size, zc);
		port = pause_port(tx, "snk");
		rx = parsef("tcpsrc name=src mode=client port=%d ! appsink name=out",
			    port);
		check_attach(rx, "out", &c);
		ck_assert_int_eq(px_pipeline_play(tx), 0);
		ck_assert_int_eq(px_pipeline_play(rx), 0);
	}
	rc = wait_msg(tx, &m);
	ck_assert_msg(rc == 0, "sender: %d %s", rc, m.text);
	rc = wait_msg(rx, &m);
	ck_assert_msg(rc == 0, "receiver: %d %s", rc, m.text);
	check_ok(&c, nbuf * size);
	/* Counters prove the path: SEND_ZC exactly when the mode says so
	 * (auto copies on loopback, where SEND_ZC measured slower); every
	 * receive a READ_FIXED into a slot. */
	px_reactor_stats(px_element_reactor(px_pipeline_find(tx, "snk")), &rs);
	if (!px_feature_has(PX_FEAT_SEND_ZC) || strcmp(zc, "on") ||
	    rs.backend != PX_BACKEND_IO_URING)
		ck_assert_uint_eq(rs.zc_sends, 0);
	else
		ck_assert_uint_ge(rs.zc_sends, nbuf);
	px_reactor_stats(px_element_reactor(px_pipeline_find(rx, "src")), &rs);
	/* READ_FIXED needs the pool registered: on io_uring, and within the
	 * locked-memory limit (root has CAP_IPC_LOCK; a user's 8 MiB is less
	 * than tcpsrc's pool, which then runs unregistered, with a WARNING). */
	if (rs.backend == PX_BACKEND_IO_URING && px_test_is_root())
		ck_assert_uint_ge(rs.fixed_ops, c.buffers);
	finish(tx);
	finish(rx);
}

START_TEST(test_tcp_elements_loopback)
{
	loopback("off", true, 2000, 65536);
	/* One buffer per sendmsg (the bench's pairing with iperf3 -l 64K). */
	loopback("off max-gather=1", true, 500, 65536);
	loopback("auto", true, 3000, 1000); /* small: copied */
	loopback("auto", true, 500, 256 << 10); /* loopback: copied too */
	if (px_feature_has(PX_FEAT_SEND_ZC))
		loopback("on", true, 700, 4097);
	/* The other roles: tcpsink serves, tcpsrc connects. */
	loopback("auto", false, 1000, 65536);
}
END_TEST

START_TEST(test_tcp_elements_python_sender)
{
	struct px_pipeline *p;
	struct px_message m = { 0 };
	struct peer pr;
	struct check c;
	char port[16], line[64];
	const uint64_t n = (16u << 20) + 3;

	if (!have_python())
		PX_SKIP("python3 is not installed");
	p = parse("tcpsrc name=src mode=server port=0 blocksize=64K ! appsink name=out");
	check_attach(p, "out", &c);
	snprintf(port, sizeof(port), "%d", pause_port(p, "src"));
	ck_assert(px_test_bus_has(p, PX_MSG_ELEMENT, "listening on 127.0.0.1:"));
	ck_assert_int_eq(px_pipeline_play(p), 0);
	peer_start(&pr, py_sender, port, "16777219", "close");
	ck_assert_int_eq(wait_msg(p, &m), 0);
	peer_line(&pr, line, sizeof(line));
	ck_assert_int_eq(peer_end(&pr), 0);
	ck_assert_uint_eq(strtoull(line, NULL, 10), n);
	check_ok(&c, n);
	finish(p);
}
END_TEST

START_TEST(test_tcp_elements_python_receiver)
{
	struct px_pipeline *p;
	struct px_message m = { 0 };
	struct peer pr;
	char line[64];
	int port;

	if (!have_python())
		PX_SKIP("python3 is not installed");
	peer_start(&pr, py_receiver, "0", "0", NULL);
	peer_line(&pr, line, sizeof(line));
	port = atoi(line);
	p = parsef("fakesrc num-buffers=300 size=65537 filltype=pattern-span ! "
		   "tcpsink port=%d",
		   port);
	ck_assert_int_eq(px_pipeline_play(p), 0);
	ck_assert_int_eq(wait_msg(p, &m), 0);
	peer_line(&pr, line, sizeof(line));
	ck_assert_int_eq(peer_end(&pr), 0);
	ck_assert_str_eq(line, "19661100 ok\n");
	finish(p);
}
END_TEST

START_TEST(test_tcp_elements_src_reset)
{
	struct px_pipeline *p;
	struct px_message m = { 0 };
	struct peer pr;
	char port[16], line[64];
	int rc;

	if (!have_python())
		PX_SKIP("python3 is not installed");
	p = parse("tcpsrc name=src mode=server port=0 ! fakesink");
	snprintf(port, sizeof(port), "%d", pause_port(p, "src"));
	ck_assert_int_eq(px_pipeline_play(p), 0);
	peer_start(&pr, py_sender, port, "1048576", "reset");
	rc = wait_msg(p, &m);
	peer_line(&pr, line, sizeof(line));
	ck_assert_int_eq(peer_end(&pr), 0);
	/* A dropped connection is an error, never a quiet EOS. */
	ck_assert_int_eq(rc, -ECONNRESET);
	ck_assert_str_eq(m.source, "src");
	ck_assert_msg(strstr(m.text, "connection reset by 127.0.0.1:") &&
			      strstr(m.text, " bytes"),
		      "%s", m.text);
	finish(p);
}
END_TEST

START_TEST(test_tcp_elements_sink_peer_drop)
{
	struct px_pipeline *p;
	struct px_message m = { 0 };
	struct peer pr;
	char line[64], want[64];
	int port, rc;

	if (!have_python())
		PX_SKIP("python3 is not installed");
	peer_start(&pr, py_receiver, "0", "1048576", NULL);
	peer_line(&pr, line, sizeof(line));
	port = atoi(line);
	p = parsef("fakesrc num-buffers=-1 size=64K ! tcpsink name=snk port=%d",
		   port);
	ck_assert_int_eq(px_pipeline_play(p), 0);
	rc = wait_msg(p, &m);
	peer_line(&pr, line, sizeof(line));
	ck_assert_int_eq(peer_end(&pr), 0);
	ck_assert_msg(strstr(line, "reset"), "%s", line);
	ck_assert_msg(rc == -ECONNRESET || rc == -EPIPE, "%d %s", rc, m.text);
	ck_assert_str_eq(m.source, "snk");
	snprintf(want, sizeof(want), "connection to 127.0.0.1:%d lost after ",
		 port);
	ck_assert_msg(strstr(m.text, want), "%s", m.text);
	finish(p);
}
END_TEST

START_TEST(test_tcp_elements_refused)
{
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	struct px_pipeline *p;
	struct px_message m = { 0 };
	char want[96];
	int fd, port;

	/* A port that nobody listens on: bound (so no one else takes it) but
	 * never listening. */
	fd = socket(AF_INET, SOCK_STREAM, 0);
	ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&a, &len), 0);
	port = ntohs(a.sin_port);
	p = parsef("fakesrc num-buffers=10 ! tcpsink name=snk port=%d", port);
	ck_assert_int_eq(px_pipeline_play(p), 0);
	ck_assert_int_eq(wait_msg(p, &m), -ECONNREFUSED);
	snprintf(want, sizeof(want),
		 "cannot connect to 127.0.0.1:%d: Connection refused", port);
	ck_assert_msg(strstr(m.text, want), "%s", m.text);
	finish(p);
	close(fd);
}
END_TEST

static int connect_to(int family, int port)
{
	struct sockaddr_storage ss = { 0 };
	socklen_t len;
	int fd = socket(family, SOCK_STREAM, 0);

	if (family == AF_INET6) {
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;

		a->sin6_family = AF_INET6;
		a->sin6_port = htons((uint16_t)port);
		a->sin6_addr = in6addr_loopback;
		len = sizeof(*a);
	} else {
		struct sockaddr_in *a = (struct sockaddr_in *)&ss;

		a->sin_family = AF_INET;
		a->sin_port = htons((uint16_t)port);
		a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		len = sizeof(*a);
	}
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&ss, len), 0);
	return fd;
}

static void write_pattern(int fd, uint64_t from, size_t n)
{
	uint8_t buf[4096];

	while (n) {
		size_t k = PX_MIN(n, sizeof(buf));

		for (size_t i = 0; i < k; i++)
			buf[i] = (uint8_t)(from + i);
		ck_assert_int_eq(write(fd, buf, k), (ssize_t)k);
		from += k;
		n -= k;
	}
}

START_TEST(test_tcp_elements_second_client)
{
	struct px_pipeline *p;
	struct px_message m = { 0 };
	struct pollfd pfd;
	struct check c;
	char byte;
	int port, a, b;

	p = parse("tcpsrc name=src mode=server port=0 ! appsink name=out");
	check_attach(p, "out", &c);
	port = pause_port(p, "src");
	ck_assert_int_eq(px_pipeline_play(p), 0);
	a = connect_to(AF_INET, port);
	write_pattern(a, 0, 100000);
	/* The second client is accepted and closed: it reads EOF. */
	b = connect_to(AF_INET, port);
	pfd = (struct pollfd){ .fd = b, .events = POLLIN };
	ck_assert_int_eq(poll(&pfd, 1, 10000), 1);
	ck_assert_int_le(read(b, &byte, 1), 0);
	close(b);
	write_pattern(a, 100000, 5000);
	close(a);
	ck_assert_int_eq(wait_msg(p, &m), 0);
	check_ok(&c, 105000);
	ck_assert(px_test_bus_has(p, PX_MSG_WARNING,
				  "closed a second connection"));
	finish(p);
}
END_TEST

/* num-buffers (GStreamer's, on every source): EOS after N receives while
 * the client still sends and keeps its connection open. */
START_TEST(test_tcp_elements_num_buffers)
{
	struct px_pipeline *p;
	struct px_message m = { 0 };
	struct check c;
	int port, a;

	p = parse("tcpsrc name=src mode=server port=0 num-buffers=3 "
		  "blocksize=512 ! appsink name=out");
	check_attach(p, "out", &c);
	port = pause_port(p, "src");
	ck_assert_int_eq(px_pipeline_play(p), 0);
	a = connect_to(AF_INET, port);
	write_pattern(a, 0, 4096); /* more than 3 x 512, within the socket's buffers */
	ck_assert_int_eq(wait_msg(p, &m), 0);
	ck_assert_int_eq(m.type, PX_MSG_EOS);
	ck_assert_uint_eq(c.buffers, 3);
	ck_assert_uint_le(c.bytes, 3 * 512);
	ck_assert_msg(c.first_bad < 0, "byte %lld differs",
		      (long long)c.first_bad);
	ck_assert(c.offsets_ok);
	close(a);
	finish(p);
}
END_TEST

START_TEST(test_tcp_elements_ipv6)
{
	struct px_pipeline *p;
	struct px_message m = { 0 };
	struct check c;
	int port, fd, rc;

	fd = socket(AF_INET6, SOCK_STREAM, 0);
	{
		struct sockaddr_in6 a = { .sin6_family = AF_INET6,
					  .sin6_addr = IN6ADDR_LOOPBACK_INIT };

		rc = fd < 0 ? -1 : bind(fd, (struct sockaddr *)&a, sizeof(a));
		if (fd >= 0)
			close(fd);
		if (rc < 0)
			PX_SKIP("no IPv6 loopback here");
	}
	p = parse("tcpsrc name=src host=::1 mode=server port=0 ! appsink name=out");
	check_attach(p, "out", &c);
	port = pause_port(p, "src");
	ck_assert(px_test_bus_has(p, PX_MSG_ELEMENT, "listening on [::1]:"));
	ck_assert_int_eq(px_pipeline_play(p), 0);
	fd = connect_to(AF_INET6, port);
	write_pattern(fd, 0, 300000);
	close(fd);
	ck_assert_int_eq(wait_msg(p, &m), 0);
	check_ok(&c, 300000);
	finish(p);
}
END_TEST

static uint64_t elem_bytes_out(struct px_pipeline *p, const char *name)
{
	struct px_element_stats st;

	px_element_stats(px_pipeline_find(p, name), &st);
	return st.bytes_out;
}

/* The pool named NAME ("src.pool"), or NULL. */
static struct px_pool *pool_named(const char *name)
{
	for (unsigned id = 1; id < 4096; id++) {
		struct px_pool *pool = px_pool_from_id((uint16_t)id);

		if (pool && !strcmp(px_pool_name(pool), name))
			return pool;
	}
	return NULL;
}

static uint64_t pool_exhausted(struct px_pool *pool)
{
	struct px_pool_stats st;

	px_pool_stats(pool, &st);
	return st.exhausted;
}

/* The kernel's largest TCP send buffer (tcp_wmem's third field). */
static uint64_t tcp_wmem_max(void)
{
	unsigned long lo, def, max = 4u << 20;
	FILE *f = fopen("/proc/sys/net/ipv4/tcp_wmem", "r");

	if (f) {
		if (fscanf(f, "%lu %lu %lu", &lo, &def, &max) != 3)
			max = 4u << 20;
		fclose(f);
	}
	return max;
}

/*
 * A receiver that reads nothing: backpressure must reach the source (its
 * pool, smaller than the link, runs empty), which then has pushed no more than the pool plus what
 * the two socket buffers hold; nothing is lost or reordered, and once the
 * receiver reads, the flow resumes.
 */
START_TEST(test_tcp_elements_backpressure)
{
	struct sockaddr_in sa = { .sin_family = AF_INET,
				  .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(sa);
	int rcvbuf = 64 << 10, l, c;
	struct px_pipeline *p;
	struct px_pool *pool;
	uint64_t held, bound, got = 0;
	static uint8_t buf[1 << 16];

	l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	ck_assert_int_ge(l, 0);
	/* Small and fixed (no autotuning): accepted sockets inherit it. */
	ck_assert_int_eq(setsockopt(l, SOL_SOCKET, SO_RCVBUF, &rcvbuf,
				    sizeof(rcvbuf)),
			 0);
	ck_assert_int_eq(bind(l, (struct sockaddr *)&sa, sizeof(sa)), 0);
	ck_assert_int_eq(listen(l, 1), 0);
	ck_assert_int_eq(getsockname(l, (struct sockaddr *)&sa, &len), 0);
	p = parsef("fakesrc name=src num-buffers=-1 size=64K pool-slots=8 "
		   "filltype=pattern-span ! tcpsink name=snk port=%d",
		   ntohs(sa.sin_port));
	ck_assert_int_eq(px_pipeline_play(p), 0);
	c = accept(l, NULL, NULL);
	ck_assert_int_ge(c, 0);
	pool = pool_named("src.pool");
	ck_assert_ptr_nonnull(pool);
	/* Backpressure reaches the source: its pool runs empty. */
	PX_TEST_UNTIL(pool_exhausted(pool) > 0, 30);
	held = elem_bytes_out(p, "src");
	bound = 8u * (64u << 10) + tcp_wmem_max() + 2u * (unsigned)rcvbuf;
	ck_assert_uint_gt(held, 0);
	ck_assert_msg(held <= bound, "source pushed %llu bytes, more than the "
		      "pool and socket buffers hold (%llu)",
		      (unsigned long long)held, (unsigned long long)bound);
	ck_assert_uint_eq(px_pool_slot_count(pool), 8);
	/* The reader reads: the same pattern, in order, and the source
	 * moves on past what it had pushed while held. */
	while (got < held + (8u << 20)) {
		ssize_t n = read(c, buf, sizeof(buf));

		ck_assert_int_gt(n, 0);
		for (ssize_t i = 0; i < n; i++)
			ck_assert_msg(buf[i] == (uint8_t)(got + (uint64_t)i),
				      "byte %llu differs",
				      (unsigned long long)(got + (uint64_t)i));
		got += (uint64_t)n;
	}
	ck_assert_uint_gt(elem_bytes_out(p, "src"), held);
	/* Stopping cancels the blocked send. */
	finish(p);
	close(c);
	close(l);
}
END_TEST

/* work() calls of element NAME in this run. */
static uint64_t work_calls(struct px_pipeline *p, const char *name)
{
	struct px_element_stats st;

	px_element_stats(px_pipeline_find(p, name), &st);
	return st.work_calls;
}

/* Stop while accepting, connecting, receiving and sending: every op is
 * cancelled, every slot returns, and the pipelines play again. */
START_TEST(test_tcp_elements_stop_replay)
{
	struct px_pipeline *rx, *tx;

	rx = parse("tcpsrc name=src mode=server port=0 ! fakesink");
	for (int round = 0; round < 2; round++) {
		int port = pause_port(rx, "src");

		ck_assert_int_eq(px_pipeline_play(rx), 0);
		/* tcpsrc's first work() armed the accept: no client yet. */
		PX_TEST_UNTIL(work_calls(rx, "src") > 0, 30);
		if (round == 1) {
			tx = parsef("fakesrc num-buffers=-1 size=64K ! tcpsink port=%d",
				    port);
			ck_assert_int_eq(px_pipeline_play(tx), 0);
			/* streaming */
			PX_TEST_UNTIL(elem_bytes_out(rx, "src") > (8u << 20), 30);
			ck_assert_int_eq(px_pipeline_stop(tx), 0);
			ck_assert(!px_test_bus_has(tx, PX_MSG_WARNING,
						   "still held"));
			px_pipeline_destroy(tx);
		}
		ck_assert_int_eq(px_pipeline_stop(rx), 0);
		ck_assert(!px_test_bus_has(rx, PX_MSG_WARNING, "still held"));
	}
	px_pipeline_destroy(rx);
}
END_TEST

static Suite *tcp_elements_suite(void)
{
	Suite *s = suite_create("tcp_elements");

	/* A peer that dies must not kill the test with SIGPIPE. */
	signal(SIGPIPE, SIG_IGN);
	tcase_add_test(px_tcase(s, "loopback"), test_tcp_elements_loopback);
	tcase_add_test(px_tcase(s, "python_sender"),
		       test_tcp_elements_python_sender);
	tcase_add_test(px_tcase(s, "python_receiver"),
		       test_tcp_elements_python_receiver);
	tcase_add_test(px_tcase(s, "src_reset"), test_tcp_elements_src_reset);
	tcase_add_test(px_tcase(s, "sink_peer_drop"),
		       test_tcp_elements_sink_peer_drop);
	tcase_add_test(px_tcase(s, "refused"), test_tcp_elements_refused);
	tcase_add_test(px_tcase(s, "second_client"),
		       test_tcp_elements_second_client);
	tcase_add_test(px_tcase(s, "num_buffers"),
		       test_tcp_elements_num_buffers);
	tcase_add_test(px_tcase(s, "ipv6"), test_tcp_elements_ipv6);
	tcase_add_test(px_tcase(s, "stop_replay"),
		       test_tcp_elements_stop_replay);
	tcase_add_test(px_tcase(s, "backpressure"),
		       test_tcp_elements_backpressure);
	return s;
}

PX_TEST_MAIN(tcp_elements_suite)
