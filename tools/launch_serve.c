// SPDX-License-Identifier: MIT
/*
 * launch_serve.c - px-launch's servers (launch_serve.h).
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "launch_serve.h"

/* --metrics ADDR over TCP; says where. */
static int start_tcp(struct launch_serve *s, struct px_pipeline *p,
		     const char *addr)
{
	int err = px_metrics_server_start(s->r, p, addr, &s->tcp);
	int host_len;

	if (err) {
		fprintf(stderr, "px-launch: --metrics %s: %s%s\n", addr,
			px_strerror(err),
			err == -EINVAL ? " (expected HOST:PORT, [V6]:PORT or "
					 ":PORT)" : "");
		return err;
	}
	/* The host as given (127.0.0.1 when left out), the port as bound. */
	host_len = (int)(strrchr(addr, ':') - addr);
	fprintf(stderr, "px-launch: metrics at http://%.*s:%u/metrics\n",
		host_len ? host_len : 9, host_len ? addr : "127.0.0.1",
		px_metrics_server_port(s->tcp));
	return 0;
}

/* PID.sock in the running folder, for px-inspect --running. */
static void start_local(struct launch_serve *s, struct px_pipeline *p)
{
	char dir[PATH_MAX], addr[PATH_MAX + 32];
	int err = px_running_dir(dir, sizeof(dir), true);

	if (!err) {
		snprintf(addr, sizeof(addr), "unix:%s/%d.sock", dir,
			 (int)getpid());
		err = px_metrics_server_start(s->r, p, addr, &s->local);
	}
	if (err)
		fprintf(stderr, "px-launch: WARNING: px-inspect --running "
				"will not see this run: %s: %s\n",
			dir, px_strerror(err));
}

int launch_serve_start(struct launch_serve *s, struct px_pipeline *p,
		       const char *metrics_addr)
{
	struct px_reactor_config cfg = { .name = "px-launch",
					 .numa_node = -1 };
	int err;

	memset(s, 0, sizeof(*s));
	s->bus_fd = px_bus_fd(px_pipeline_bus(p));
	err = px_reactor_create(&cfg, &s->r);
	if (err) {
		fprintf(stderr, "px-launch: %s: no reactor for px-inspect "
				"--running%s: %s\n",
			metrics_addr ? "--metrics" : "WARNING",
			metrics_addr ? " and --metrics" : "", px_strerror(err));
		return err;
	}
	if (metrics_addr) {
		err = start_tcp(s, p, metrics_addr);
		if (err) {
			px_reactor_destroy(s->r);
			s->r = NULL;
			return err;
		}
	}
	start_local(s, p);
	/* The first turn makes the ring on this thread, which owns it. */
	(void)px_reactor_run_once(s->r, 0);
	return 0;
}

static void bus_ready(struct px_op *op, int res, uint32_t flags)
{
	(void)op;
	(void)res;
	(void)flags; /* the wait returns; the caller reads the bus */
}

void launch_serve_wait(struct launch_serve *s, int64_t timeout_ns)
{
	int ms = (int)(timeout_ns / 1000000);

	if (!px_op_busy(&s->bus_op) &&
	    px_io_poll(s->r, &s->bus_op, s->bus_fd, POLLIN, bus_ready))
		ms = 0; /* cannot watch the bus: do not sleep past it */
	/* Callbacks or tasks ran: keep serving unless the bus fired. */
	while (px_reactor_run_once(s->r, ms) > 0 && px_op_busy(&s->bus_op))
		ms = 0;
}

void launch_serve_stop(struct launch_serve *s)
{
	if (!s->r)
		return;
	px_metrics_server_stop(s->tcp);
	px_metrics_server_stop(s->local);
	if (px_op_busy(&s->bus_op)) {
		(void)px_io_cancel(s->r, &s->bus_op);
		while (px_op_busy(&s->bus_op))
			if (px_reactor_run_once(s->r, 100) < 0)
				break;
	}
	px_reactor_destroy(s->r);
	s->r = NULL;
}
