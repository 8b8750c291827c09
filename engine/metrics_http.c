// SPDX-License-Identifier: MIT
/*
 * metrics_http.c - a running pipeline seen over HTTP/1.1 from a reactor:
 * accept, recv and send are that reactor's ops, so serving needs no thread
 * of its own. Paths: /metrics (px_pipeline_write_metrics), /stats.json
 * (px_pipeline_write_stats_json), /info (who is running: pid, pipeline,
 * state, times), on TCP or on a Unix socket (px-inspect --running).
 *
 * One request per connection (the answer says Connection: close), at most
 * MAX_CLIENTS at once (more are closed as they come), a request head of at
 * most HEAD_MAX bytes. Answers are rendered on the reactor's thread, which
 * must therefore be the application thread (px_pipeline.h): an embedded
 * reactor that thread drives. On a Unix socket only peers of this process's
 * uid are answered (SO_PEERCRED), beside the socket's own 0600 mode.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "pipeline_int.h"
#include "px_conn.h"
#include "px_error.h"

#define MAX_CLIENTS 16
#define HEAD_MAX 4096

struct client {
	struct px_metrics_server *srv;
	struct px_op op;
	int fd;			/* -1: free */
	char req[HEAD_MAX];
	size_t got;
	char *resp;		/* the whole answer, head and body */
	size_t resp_len, sent;
};

struct px_metrics_server {
	struct px_reactor *r;
	struct px_pipeline *p;
	struct px_op_group group; /* every op below: idle frees the server */
	struct px_task arm;	  /* first accept, on the reactor's thread */
	struct px_op accept_op;
	int lfd;
	unsigned port;
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)]; /* unix */
	uint64_t t_start;	  /* CLOCK_MONOTONIC ns */
	bool stopping;
	bool arm_ran;		  /* ARM left the reactor's post list */
	struct client c[MAX_CLIENTS];
};

static void arm_accept(struct px_metrics_server *s);

static void client_close(struct client *c)
{
	close(c->fd);
	c->fd = -1;
	free(c->resp);
	c->resp = NULL;
}

static void send_cb(struct px_op *op, int res, uint32_t flags)
{
	struct client *c = px_container_of(op, struct client, op);
	int err;

	(void)flags;
	if (res <= 0 || c->srv->stopping) {
		client_close(c);
		return;
	}
	c->sent += (size_t)res;
	if (c->sent == c->resp_len) {
		client_close(c);
		return;
	}
	err = px_io_send(c->srv->r, &c->op, c->fd, c->resp + c->sent,
			 (uint32_t)(c->resp_len - c->sent), MSG_NOSIGNAL,
			 send_cb);
	if (err)
		client_close(c);
}

/* Answer with STATUS and BODY (BODY_LEN bytes, copied). */
static void respond(struct client *c, const char *status, const char *type,
		    const char *body, size_t body_len, bool head_only)
{
	FILE *f = open_memstream(&c->resp, &c->resp_len);
	int err;

	if (!f) {
		client_close(c);
		return;
	}
	fprintf(f,
		"HTTP/1.1 %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
		"Connection: close\r\n%s\r\n",
		status, type, body_len,
		!strncmp(status, "405", 3) ? "Allow: GET, HEAD\r\n" : "");
	if (!head_only)
		fwrite(body, 1, body_len, f);
	if (fclose(f) || !c->resp) {
		client_close(c);
		return;
	}
	c->sent = 0;
	err = px_io_send(c->srv->r, &c->op, c->fd, c->resp,
			 (uint32_t)c->resp_len, MSG_NOSIGNAL, send_cb);
	if (err)
		client_close(c);
}

static void respond_text(struct client *c, const char *status,
			 const char *text)
{
	respond(c, status, "text/plain; charset=utf-8", text, strlen(text),
		false);
}

/* /info: who is running, one JSON object. */
static int write_info(const struct px_metrics_server *s, FILE *f)
{
	const struct px_pipeline *p = s->p;
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	fprintf(f, "{\"pid\":%d,\"pipeline\":", (int)getpid());
	px__json_str(f, p->name);
	fprintf(f, ",\"state\":\"%s\",\"uptime_s\":%.3f,"
		   "\"playing_s\":%.3f,\"elements\":%u}\n",
		px_state_name(px_pipeline_state(p)),
		(double)((uint64_t)now.tv_sec * 1000000000u +
			 (uint64_t)now.tv_nsec - s->t_start) / 1e9,
		px_pipeline_seconds(p), p->n_elems);
	return ferror(f) ? -EIO : 0;
}

/* Render PATH's answer into F and name its content type; *TYPE stays
 * NULL for a path that is not served. */
static int route(struct px_metrics_server *s, const char *path, FILE *f,
		 const char **type)
{
	size_t n = strcspn(path, "?");

	*type = NULL;
	if (n == 8 && !strncmp(path, "/metrics", n)) {
		*type = "text/plain; version=0.0.4; charset=utf-8";
		return px_pipeline_write_metrics(s->p, f);
	}
	if (n == 11 && !strncmp(path, "/stats.json", n)) {
		*type = "application/json";
		return px_pipeline_write_stats_json(s->p, f);
	}
	if (n == 5 && !strncmp(path, "/info", n)) {
		*type = "application/json";
		return write_info(s, f);
	}
	return -ENOENT;
}

/* A complete request head is in c->req: answer it. */
static void handle(struct client *c)
{
	char method[8], path[256];
	const char *type = NULL;
	char *body = NULL;
	size_t len = 0;
	FILE *f;
	bool head;
	int err;

	if (sscanf(c->req, "%7s %255s HTTP/1.%*1[01]", method, path) != 2) {
		respond_text(c, "400 Bad Request",
			     "not an HTTP/1.x request line\n");
		return;
	}
	head = !strcmp(method, "HEAD");
	if (strcmp(method, "GET") && !head) {
		respond_text(c, "405 Method Not Allowed",
			     "only GET and HEAD are served\n");
		return;
	}
	f = open_memstream(&body, &len);
	if (!f) {
		respond_text(c, "500 Internal Server Error", "out of memory\n");
		return;
	}
	err = route(c->srv, path, f, &type);
	if (fclose(f) && !err)
		err = -EIO;
	if (err) {
		free(body);
		if (!type)
			respond_text(c, "404 Not Found",
				     "paths: /metrics /stats.json /info\n");
		else
			respond_text(c, "500 Internal Server Error",
				     "could not render the answer\n");
		return;
	}
	respond(c, "200 OK", type, body, len, head);
	free(body);
}

static void recv_cb(struct px_op *op, int res, uint32_t flags)
{
	struct client *c = px_container_of(op, struct client, op);
	int err;

	(void)flags;
	if (res <= 0 || c->srv->stopping) {
		client_close(c); /* EOF or error before a whole request */
		return;
	}
	c->got += (size_t)res;
	c->req[c->got] = '\0';
	if (strstr(c->req, "\r\n\r\n") || strstr(c->req, "\n\n")) {
		handle(c);
		return;
	}
	if (c->got == HEAD_MAX - 1) {
		respond_text(c, "431 Request Header Fields Too Large",
			     "request head over 4 KiB\n");
		return;
	}
	err = px_io_recv(c->srv->r, &c->op, c->fd, c->req + c->got,
			 (uint32_t)(HEAD_MAX - 1 - c->got), 0, recv_cb);
	if (err)
		client_close(c);
}

/* On a Unix socket, only this process's uid (and root) are answered. */
static bool peer_allowed(const struct px_metrics_server *s, int fd)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);

	if (!s->path[0])
		return true;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
		return false;
	return cred.uid == geteuid() || cred.uid == 0;
}

static void accept_cb(struct px_op *op, int res, uint32_t flags)
{
	struct px_metrics_server *s =
		px_container_of(op, struct px_metrics_server, accept_op);
	struct client *c = NULL;

	(void)flags;
	if (res >= 0) {
		for (unsigned i = 0; i < MAX_CLIENTS && !c; i++)
			if (s->c[i].fd < 0)
				c = &s->c[i];
		if (!c || s->stopping || !peer_allowed(s, res)) {
			close(res); /* busy: the scraper retries */
		} else {
			c->fd = res;
			c->got = 0;
			if (px_io_recv(s->r, &c->op, c->fd, c->req,
				       HEAD_MAX - 1, 0, recv_cb))
				client_close(c);
		}
	}
	if (!s->stopping)
		arm_accept(s);
}

static void arm_accept(struct px_metrics_server *s)
{
	/* Fails only when R stops: then nobody is served any more. */
	(void)px_io_accept(s->r, &s->accept_op, s->lfd, NULL, NULL,
			   SOCK_CLOEXEC, false, accept_cb);
}

static void arm_fn(struct px_task *t)
{
	struct px_metrics_server *s =
		px_container_of(t, struct px_metrics_server, arm);

	s->arm_ran = true;
	if (!s->stopping)
		arm_accept(s);
}

/* "host:port", "[v6]:port" or ":port" into HOST and *PORT. */
static int split_addr(const char *addr, char *host, size_t hlen,
		      int64_t *port)
{
	const char *colon = strrchr(addr, ':');
	const char *h = addr;
	size_t n;
	char *end;

	if (!colon || !colon[1])
		return -EINVAL;
	n = (size_t)(colon - addr);
	if (n >= 2 && addr[0] == '[' && addr[n - 1] == ']') {
		h = addr + 1;
		n -= 2;
	}
	if (n >= hlen)
		return -EINVAL;
	memcpy(host, h, n);
	host[n] = '\0';
	errno = 0;
	*port = strtoll(colon + 1, &end, 10);
	if (errno || *end || *port < 0 || *port > 65535)
		return -EINVAL;
	return 0;
}

/* A listening Unix socket at PATH, mode 0600 (a stale one replaced). */
static int listen_unix(const char *path)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	mode_t old;
	int fd, err;

	if (strlen(path) >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	strcpy(sun.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	(void)unlink(path); /* a socket left by a process that died */
	old = umask(0177);
	err = bind(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0 ||
			      listen(fd, 16) < 0 ?
		      -errno :
		      0;
	umask(old);
	if (err) {
		close(fd);
		return err;
	}
	return fd;
}

PX_API int px_metrics_server_start(struct px_reactor *r, struct px_pipeline *p,
				   const char *addr,
				   struct px_metrics_server **out)
{
	struct sockaddr_storage ss;
	struct px_metrics_server *s;
	struct timespec now;
	char host[256];
	socklen_t len;
	int64_t port;
	int err;

	if (!r || !p || !addr || !out)
		return -EINVAL;
	*out = NULL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	if (!strncmp(addr, "unix:", 5)) {
		s->lfd = listen_unix(addr + 5);
		if (s->lfd >= 0)
			snprintf(s->path, sizeof(s->path), "%s", addr + 5);
	} else {
		err = split_addr(addr, host, sizeof(host), &port);
		if (!err)
			err = px_net_resolve(host, port, &ss, &len);
		s->lfd = err ? err : px_net_listen(&ss, len, 64, &s->port);
	}
	if (s->lfd < 0) {
		err = s->lfd;
		free(s);
		return err;
	}
	clock_gettime(CLOCK_MONOTONIC, &now);
	s->t_start = (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec;
	s->r = r;
	s->p = p;
	px_op_init_group(&s->accept_op, &s->group);
	for (unsigned i = 0; i < MAX_CLIENTS; i++) {
		s->c[i].srv = s;
		s->c[i].fd = -1;
		px_op_init_group(&s->c[i].op, &s->group);
	}
	px_task_init(&s->arm, arm_fn);
	err = px_reactor_post(r, &s->arm);
	if (err) {
		close(s->lfd);
		if (s->path[0])
			unlink(s->path);
		free(s);
		return err;
	}
	*out = s;
	return 0;
}

PX_API unsigned px_metrics_server_port(const struct px_metrics_server *s)
{
	return s ? s->port : 0;
}

PX_API void px_metrics_server_stop(struct px_metrics_server *s)
{
	if (!s)
		return;
	s->stopping = true;
	for (int i = 0; i < 100 && !s->arm_ran; i++)
		if (px_reactor_run_once(s->r, 10) < 0)
			break;
	if (px_op_busy(&s->accept_op))
		(void)px_io_cancel(s->r, &s->accept_op);
	for (unsigned i = 0; i < MAX_CLIENTS; i++)
		if (px_op_busy(&s->c[i].op))
			(void)px_io_cancel(s->r, &s->c[i].op);
	/* Every op ends with a callback; each closes its client. */
	while (s->group.inflight)
		if (px_reactor_run_once(s->r, 100) < 0)
			break;
	for (unsigned i = 0; i < MAX_CLIENTS; i++)
		if (s->c[i].fd >= 0)
			client_close(&s->c[i]);
	close(s->lfd);
	if (s->path[0])
		unlink(s->path);
	free(s);
}

PX_API int px_running_dir(char *buf, size_t len, bool create)
{
	const char *xdg = getenv("XDG_RUNTIME_DIR");
	struct stat st;
	int n;

	if (!buf)
		return -EINVAL;
	/* XDG_RUNTIME_DIR only if it is this user's (an environment passed
	 * on to another user, as su or setpriv do, names someone else's). */
	if (xdg && xdg[0] == '/' && stat(xdg, &st) == 0 &&
	    st.st_uid == geteuid())
		n = snprintf(buf, len, "%s/parallax", xdg);
	else
		n = snprintf(buf, len, "/tmp/parallax-%u", (unsigned)geteuid());
	if (n < 0 || (size_t)n >= len)
		return -ENAMETOOLONG;
	if (create && mkdir(buf, 0700) < 0 && errno != EEXIST)
		return -errno;
	if (lstat(buf, &st) < 0)
		return -errno;
	if (!S_ISDIR(st.st_mode) || st.st_uid != geteuid() ||
	    (st.st_mode & 0777) != 0700)
		return -EPERM;
	return 0;
}
