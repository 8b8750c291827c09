/* SPDX-License-Identifier: MIT */
/*
 * px_debug.h - debug logs for developers, in GST_DEBUG's shape:
 *
 *   PX_DEBUG=filesrc:6,reactor:4   PX_DEBUG='*:4'   PX_DEBUG=3,queue:5
 *
 * A comma-separated list of CATEGORY:LEVEL (a bare LEVEL sets "*"; the
 * last match wins; '*' may end a category as a prefix, "net*"). Levels:
 * 1 ERROR, 2 WARNING, 3 FIXME, 4 INFO, 5 DEBUG, 6 LOG, 7 TRACE, or their
 * names. Lines go to stderr, or to the file PX_DEBUG_FILE names, as
 *
 *   0:00:01.234567890 12345 px-r0 DEBUG filesrc filesrc0 filesrc.c:300: read 65536 at 0
 *
 * (time since the library loaded, thread id, reactor or "-", level,
 * category, element or "-", place, text). An element's category is its
 * factory name; the engine's are pipeline, element, pool, link and caps
 * (per-buffer paths have USDT probes instead: docs/observability.md).
 * Read once when the library loads. With PX_DEBUG unset,
 * px_log costs one load and one predictable branch.
 *
 * Documentation: docs/observability.md.
 * Stability: public API, changed only with the ABI version (px_plugin.h).
 */
#ifndef PX_DEBUG_H
#define PX_DEBUG_H

#include "px_base.h"

PX_EXTERN_C_BEGIN

enum px_log_level {
	PX_LOG_NONE = 0,
	PX_LOG_ERROR = 1,
	PX_LOG_WARNING = 2,
	PX_LOG_FIXME = 3,
	PX_LOG_INFO = 4,
	PX_LOG_DEBUG = 5,
	PX_LOG_LOG = 6,
	PX_LOG_TRACE = 7,
};

struct px_element;

/* The highest level PX_DEBUG sets for any category; 0 when unset. Read by
 * the macros below; written once, while the library loads. */
PX_API extern int px__debug_max;

/* Log from element E (category: its factory) at LEVEL. Any thread. */
#define px_log(e, level, ...)                                                \
	do {                                                                 \
		if (px_unlikely(px__debug_max >= (int)(level)))              \
			px__log((e), NULL, (level), __FILE__, __LINE__,      \
				__VA_ARGS__);                                \
	} while (0)

/* Log in CATEGORY (a string) at LEVEL, naming element E (may be NULL). */
#define px_log_cat(category, e, level, ...)                                  \
	do {                                                                 \
		if (px_unlikely(px__debug_max >= (int)(level)))              \
			px__log((e), (category), (level), __FILE__,          \
				__LINE__, __VA_ARGS__);                      \
	} while (0)

/* What the macros call when some category is on: checks CATEGORY's (or
 * E's factory's) level, then writes one line. */
PX_API void px__log(const struct px_element *e, const char *category,
		    int level, const char *file, int line, const char *fmt,
		    ...) PX_PRINTF(6, 7);

/* The level PX_DEBUG gives CATEGORY (0: off). Any thread. */
PX_API int px_debug_level(const char *category);

PX_EXTERN_C_END

#endif /* PX_DEBUG_H */
