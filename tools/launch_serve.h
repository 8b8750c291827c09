/* SPDX-License-Identifier: MIT */
/*
 * launch_serve.h - what px-launch offers while it runs, from an embedded
 * reactor on its own thread (px_metrics_server_start), which waits on the
 * bus there too: a Unix socket in the running folder for px-inspect
 * --running (always), and --metrics ADDR over TCP.
 */
#ifndef LAUNCH_SERVE_H
#define LAUNCH_SERVE_H

#include <stdint.h>

#include <parallax/parallax.h>

struct launch_serve {
	struct px_reactor *r;
	struct px_metrics_server *tcp;	 /* --metrics, or NULL */
	struct px_metrics_server *local; /* px-inspect --running, or NULL */
	struct px_op bus_op;	/* a poll on the bus fd: wakes the wait */
	int bus_fd;
};

/* Offer P on the running folder's PID.sock (a failure there is a warning
 * on stderr) and, with METRICS_ADDR, over TCP (saying where on stderr).
 * Returns 0, or -errno when the reactor or the TCP listener failed (the
 * message printed). */
int launch_serve_start(struct launch_serve *s, struct px_pipeline *p,
		       const char *metrics_addr);
/* Serve requests until a bus message is queued or TIMEOUT_NS passes. */
void launch_serve_wait(struct launch_serve *s, int64_t timeout_ns);
/* Stop serving, remove the socket, free (no-op if not started). */
void launch_serve_stop(struct launch_serve *s);

#endif
