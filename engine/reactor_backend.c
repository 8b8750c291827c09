// SPDX-License-Identifier: MIT
/*
 * reactor_backend.c - which backend a reactor runs on: chosen once per
 * process (PX_BACKEND, else io_uring when usable, else epoll), or asked
 * for per reactor in its config.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reactor_int.h"

static pthread_once_t choice_once = PTHREAD_ONCE_INIT;
static int choice;		/* enum px_backend, or -errno */
static char choice_why[256];

static void choose(void)
{
	const char *env = getenv("PX_BACKEND");
	const char *unusable = px__probe_uring_unusable();

	if (env && *env && strcmp(env, "auto") != 0) {
		if (strcmp(env, "epoll") == 0) {
			choice = PX_BACKEND_EPOLL;
			snprintf(choice_why, sizeof(choice_why),
				 "forced by PX_BACKEND=epoll");
		} else if (strcmp(env, "io_uring") != 0) {
			choice = -EINVAL;
			snprintf(choice_why, sizeof(choice_why),
				 "PX_BACKEND=%.64s names no backend (io_uring, "
				 "epoll or auto)", env);
		} else if (unusable) {
			choice = -ENOSYS;
			snprintf(choice_why, sizeof(choice_why),
				 "PX_BACKEND=io_uring, but io_uring is "
				 "unavailable: %s", unusable);
		} else {
			choice = PX_BACKEND_IO_URING;
			snprintf(choice_why, sizeof(choice_why),
				 "forced by PX_BACKEND=io_uring");
		}
		return;
	}
	if (unusable) {
		choice = PX_BACKEND_EPOLL;
		snprintf(choice_why, sizeof(choice_why),
			 "io_uring is unavailable: %s", unusable);
	} else {
		choice = PX_BACKEND_IO_URING;
		snprintf(choice_why, sizeof(choice_why),
			 "io_uring is available with every opcode Parallax uses");
	}
}

PX_API int px_backend_default(const char **why)
{
	pthread_once(&choice_once, choose);
	if (why)
		*why = choice_why;
	return choice;
}

PX_API const char *px_backend_name(enum px_backend backend)
{
	switch (backend) {
	case PX_BACKEND_AUTO:
		return "auto";
	case PX_BACKEND_IO_URING:
		return "io_uring";
	case PX_BACKEND_EPOLL:
		return "epoll";
	}
	return "unknown";
}

PX_API enum px_backend px_reactor_backend(const struct px_reactor *r)
{
	return r ? r->be->id : PX_BACKEND_AUTO;
}

const struct px__backend *px__backend_for(enum px_backend want, int *err)
{
	int b = want;

	if (want == PX_BACKEND_AUTO)
		b = px_backend_default(NULL);
	switch (b) {
	case PX_BACKEND_IO_URING:
		if (px__probe_uring_unusable()) {
			*err = -ENOSYS;
			return NULL;
		}
		return &px__backend_uring;
	case PX_BACKEND_EPOLL:
		return &px__backend_epoll;
	default:
		*err = b < 0 ? b : -EINVAL;
		return NULL;
	}
}
