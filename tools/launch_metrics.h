/* SPDX-License-Identifier: MIT */
/*
 * launch_metrics.h - px-launch --metrics ADDR: the pipeline's Prometheus
 * metrics served over HTTP from an embedded reactor on px-launch's own
 * thread (px_metrics_server_start), which waits on the bus there too.
 */
#ifndef LAUNCH_METRICS_H
#define LAUNCH_METRICS_H

#include <stdint.h>

#include <parallax/parallax.h>

struct launch_metrics {
	struct px_reactor *r;
	struct px_metrics_server *srv;
	struct px_op bus_op;	/* a poll on the bus fd: wakes the wait */
	int bus_fd;
};

/* Listen on ADDR for P, and say where on stderr. Returns 0 or -errno
 * (the message printed). */
int launch_metrics_start(struct launch_metrics *m, struct px_pipeline *p,
			 const char *addr);
/* Serve requests until a bus message is queued or TIMEOUT_NS passes. */
void launch_metrics_wait(struct launch_metrics *m, int64_t timeout_ns);
/* Stop serving and free (no-op if not started). */
void launch_metrics_stop(struct launch_metrics *m);

#endif
