// SPDX-License-Identifier: MIT
/*
 * metrics_http.c - GET /metrics over HTTP/1.1 from a reactor: accept, recv
 * and send are that reactor's ops, so serving needs no thread of its own.
 *
 * One request per connection (the answer says Connection: close), at most
 * MAX_CLIENTS at once (more are closed as they come), a request head of at
 * most HEAD_MAX bytes. The body is px_pipeline_write_metrics() rendered on
 * the reactor's thread, which must therefore be the application thread
 * (px_pipeline.h): an embedded reactor that thread drives.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
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
	bool stopping;
	bool arm_ran;		  /* ARM left the reactor's post list */
	uint64_t requests;
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

/* A complete request head is in c->req: answer it. */
static void handle(struct client *c)
{
	char method[8], path[256];
	char *body = NULL;
	size_t len = 0;
	FILE *f;
	bool head;

	c->srv->requests++;
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
	if (strcmp(path, "/metrics") && strncmp(path, "/metrics?", 9)) {
		respond_text(c, "404 Not Found",
			     "Parallax serves its metrics at /metrics\n");
		return;
	}
	f = open_memstream(&body, &len);
	if (!f || px_pipeline_write_metrics(c->srv->p, f) || fclose(f)) {
		if (f && body)
			free(body);
		respond_text(c, "500 Internal Server Error",
			     "could not render the metrics\n");
		return;
	}
	respond(c, "200 OK", "text/plain; version=0.0.4; charset=utf-8", body,
		len, head);
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
		if (!c || s->stopping) {
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

PX_API int px_metrics_server_start(struct px_reactor *r, struct px_pipeline *p,
				   const char *addr,
				   struct px_metrics_server **out)
{
	struct sockaddr_storage ss;
	struct px_metrics_server *s;
	char host[256];
	socklen_t len;
	int64_t port;
	int err;

	if (!r || !p || !addr || !out)
		return -EINVAL;
	*out = NULL;
	err = split_addr(addr, host, sizeof(host), &port);
	if (err)
		return err;
	err = px_net_resolve(host, port, &ss, &len);
	if (err)
		return err;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->lfd = px_net_listen(&ss, len, 64, &s->port);
	if (s->lfd < 0) {
		err = s->lfd;
		free(s);
		return err;
	}
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

PX_API uint64_t px_metrics_server_requests(const struct px_metrics_server *s)
{
	return s ? s->requests : 0;
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
	free(s);
}
