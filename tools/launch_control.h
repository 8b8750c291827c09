/* SPDX-License-Identifier: MIT */
/*
 * launch_control.h - px-launch --control FIFO: commands to a running
 * pipeline through a named pipe, one per line:
 *
 *   replace NAME DESCRIPTION   px_pipeline_replace(NAME, DESCRIPTION)
 *   eos                        px_pipeline_send_eos (as Ctrl-C)
 *
 * Each command's outcome is one line on stderr ("px-launch: control: ...").
 * Until an observability control socket exists, this is how a running
 * px-launch is reached from outside.
 */
#ifndef PX_LAUNCH_CONTROL_H
#define PX_LAUNCH_CONTROL_H

#include <stdbool.h>
#include <stddef.h>

#include <parallax/px_pipeline.h>

struct launch_control {
	int fd;		  /* the FIFO, read end (opened read-write) */
	bool created;	  /* we made it: unlink at close */
	const char *path;
	char line[4096];  /* a command being received */
	size_t used;
	bool overlong;	  /* the current line did not fit: skip it */
};

/* Make (0600) or reuse the FIFO at PATH and open it without blocking.
 * Returns 0, or -errno after a sentence on stderr. */
int launch_control_open(struct launch_control *c, const char *path);
/* Run every complete command waiting on C against P. Never blocks. */
void launch_control_poll(struct launch_control *c, struct px_pipeline *p);
void launch_control_close(struct launch_control *c);

#endif /* PX_LAUNCH_CONTROL_H */
