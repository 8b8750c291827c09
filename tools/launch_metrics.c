// SPDX-License-Identifier: MIT
/*
 * launch_metrics.c - px-launch --metrics (launch_metrics.h).
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>

#include "launch_metrics.h"

int launch_metrics_start(struct launch_metrics *m, struct px_pipeline *p,
			 const char *addr)
{
	struct px_reactor_config cfg = { .name = "px-metrics",
					 .numa_node = -1 };
	int err, host_len;

	memset(m, 0, sizeof(*m));
	m->bus_fd = px_bus_fd(px_pipeline_bus(p));
	err = px_reactor_create(&cfg, &m->r);
	if (err) {
		fprintf(stderr, "px-launch: --metrics: cannot make a reactor: "
				"%s\n", px_strerror(err));
		return err;
	}
	err = px_metrics_server_start(m->r, p, addr, &m->srv);
	if (err) {
		fprintf(stderr, "px-launch: --metrics %s: %s%s\n", addr,
			px_strerror(err),
			err == -EINVAL ? " (expected HOST:PORT, [V6]:PORT or "
					 ":PORT)" : "");
		px_reactor_destroy(m->r);
		m->r = NULL;
		return err;
	}
	/* The host as given (127.0.0.1 when left out), the port as bound. */
	host_len = (int)(strrchr(addr, ':') - addr);
	fprintf(stderr, "px-launch: metrics at http://%.*s:%u/metrics\n",
		host_len ? host_len : 9, host_len ? addr : "127.0.0.1",
		px_metrics_server_port(m->srv));
	/* The first turn makes the ring on this thread, which owns it. */
	(void)px_reactor_run_once(m->r, 0);
	return 0;
}

static void bus_ready(struct px_op *op, int res, uint32_t flags)
{
	(void)op;
	(void)res;
	(void)flags; /* the wait returns; the caller reads the bus */
}

void launch_metrics_wait(struct launch_metrics *m, int64_t timeout_ns)
{
	int ms = (int)(timeout_ns / 1000000);

	if (!px_op_busy(&m->bus_op) &&
	    px_io_poll(m->r, &m->bus_op, m->bus_fd, POLLIN, bus_ready))
		ms = 0; /* cannot watch the bus: do not sleep past it */
	/* Callbacks or tasks ran: keep serving unless the bus fired. */
	while (px_reactor_run_once(m->r, ms) > 0 && px_op_busy(&m->bus_op))
		ms = 0;
}

void launch_metrics_stop(struct launch_metrics *m)
{
	if (!m->r)
		return;
	px_metrics_server_stop(m->srv);
	if (px_op_busy(&m->bus_op)) {
		(void)px_io_cancel(m->r, &m->bus_op);
		while (px_op_busy(&m->bus_op))
			if (px_reactor_run_once(m->r, 100) < 0)
				break;
	}
	px_reactor_destroy(m->r);
	m->r = NULL;
}
