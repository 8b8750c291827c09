/* SPDX-License-Identifier: MIT */
/*
 * px_bus.h - out-of-band messages from a pipeline to the application: ERROR,
 * WARNING, EOS, STATE_CHANGED and element messages. Read by blocking with a
 * timeout, by callback, or by polling an fd in the application's own loop.
 * Stability: public API, changed only with the ABI version (px_plugin.h).
 */
#ifndef PX_BUS_H
#define PX_BUS_H

#include <stdint.h>

#include "px_base.h"

PX_EXTERN_C_BEGIN

struct px_bus;

enum px_state {
	PX_STATE_NULL = 0,
	PX_STATE_READY = 1,
	PX_STATE_PAUSED = 2,
	PX_STATE_PLAYING = 3,
};

enum px_msg_type {
	PX_MSG_ERROR = 1,
	PX_MSG_WARNING = 2,
	PX_MSG_INFO = 3,	  /* a choice made for the user (memory, a
				     connection), one line; px-launch -v */
	PX_MSG_EOS = 4,		  /* every sink reached EOS */
	PX_MSG_STATE_CHANGED = 5, /* the pipeline's state */
	PX_MSG_ELEMENT = 6,	  /* element-specific (stats...) */
};

#define PX_MSG_TEXT 512

struct px_message {
	enum px_msg_type type;
	int code;		/* ERROR/WARNING: negative errno */
	char source[64];	/* element (or pipeline) name */
	enum px_state old_state, new_state; /* STATE_CHANGED */
	uint64_t time_ns;	/* CLOCK_MONOTONIC when posted */
	char text[PX_MSG_TEXT]; /* one sentence, NUL-terminated */
};

/*
 * px_bus_pop - take the oldest message. TIMEOUT_NS < 0 waits forever, 0
 * polls. Returns 0, -ETIMEDOUT (nothing within the timeout) or -EAGAIN
 * (TIMEOUT_NS == 0 and nothing queued). Any thread.
 */
PX_API int px_bus_pop(struct px_bus *bus, int64_t timeout_ns,
		      struct px_message *msg);
/* An fd readable while messages are queued (for poll/epoll). Any thread.
 * The bus owns it. */
PX_API int px_bus_fd(const struct px_bus *bus);

typedef void (*px_bus_fn)(const struct px_message *msg, void *arg);
/*
 * px_bus_set_callback - call FN for every message as it is posted, on the
 * posting thread (often a reactor: FN must not block). Messages still queue
 * for px_bus_pop. NULL removes it. Application thread, while NULL/READY.
 */
PX_API void px_bus_set_callback(struct px_bus *bus, px_bus_fn fn, void *arg);

PX_API const char *px_state_name(enum px_state s);
PX_API const char *px_msg_type_name(enum px_msg_type t);

PX_EXTERN_C_END

#endif /* PX_BUS_H */
