/* SPDX-License-Identifier: MIT */
/*
 * inspect_running.h - px-inspect --running: list the pipelines this user
 * runs on the host, or look inside one (inspect_running.c).
 */
#ifndef INSPECT_RUNNING_H
#define INSPECT_RUNNING_H

#include <stdbool.h>

/* PID, pipeline, state, times of each; returns the exit status. */
int inspect_running_list(void);
/* Pads with rates, links with levels, latency of process PID_TEXT (or its
 * stats JSON with JSON); returns the exit status. */
int inspect_running_show(const char *pid_text, bool json);

#endif
