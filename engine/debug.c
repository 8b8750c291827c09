// SPDX-License-Identifier: MIT
/*
 * debug.c - PX_DEBUG logs (px_debug.h): the rules read once at load, and
 * the line writer. Off, a log site costs one load and a branch (the macro
 * reads px__debug_max); on, a rule lookup and one write(2) per line, so
 * lines from several threads never interleave.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "pipeline_int.h"
#include "px_debug.h"

#define MAX_RULES 32

struct rule {
	char pattern[48]; /* "" with prefix: every category */
	bool prefix;	  /* pattern ended in '*' */
	int level;
};

PX_API int px__debug_max;

static struct rule rules[MAX_RULES];
static unsigned n_rules;
static int log_fd = STDERR_FILENO;
static struct timespec t0;

static const char *const level_names[] = { "NONE",  "ERROR", "WARNING",
					   "FIXME", "INFO",  "DEBUG",
					   "LOG",   "TRACE" };

/* "5" or "debug" (any case) into *LEVEL. */
static bool parse_level(const char *s, int *level)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (!errno && *s && !*end && v >= 0 && v <= PX_LOG_TRACE) {
		*level = (int)v;
		return true;
	}
	for (int i = 0; i <= PX_LOG_TRACE; i++) {
		if (!strcasecmp(s, level_names[i])) {
			*level = i;
			return true;
		}
	}
	return false;
}

/* One CATEGORY:LEVEL (or LEVEL) item; false if malformed. */
static bool parse_item(char *item)
{
	char *colon = strrchr(item, ':');
	const char *cat = colon ? item : "*";
	struct rule *r;
	size_t len;

	if (colon)
		*colon = '\0';
	if (n_rules == MAX_RULES)
		return false;
	r = &rules[n_rules];
	if (!parse_level(colon ? colon + 1 : item, &r->level))
		return false;
	len = strlen(cat);
	if (!len || len >= sizeof(r->pattern))
		return false;
	r->prefix = cat[len - 1] == '*';
	memcpy(r->pattern, cat, len - r->prefix);
	r->pattern[len - r->prefix] = '\0';
	n_rules++;
	if (r->level > px__debug_max)
		px__debug_max = r->level;
	return true;
}

__attribute__((constructor)) static void debug_init(void)
{
	const char *env = getenv("PX_DEBUG"), *file;
	char *copy, *save = NULL;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (!env || !*env)
		return;
	copy = strdup(env);
	if (!copy)
		return;
	for (char *it = strtok_r(copy, ",", &save); it;
	     it = strtok_r(NULL, ",", &save)) {
		char shown[64];

		snprintf(shown, sizeof(shown), "%s", it);
		if (!parse_item(it))
			dprintf(STDERR_FILENO,
				"parallax: PX_DEBUG: cannot read '%s' (expected "
				"CATEGORY:LEVEL or LEVEL, with LEVEL 0-7 or "
				"error, warning, fixme, info, debug, log, "
				"trace; at most %d items): ignored\n",
				shown, MAX_RULES);
	}
	free(copy);
	file = getenv("PX_DEBUG_FILE");
	if (px__debug_max && file && *file) {
		int fd = open(file, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC,
			      0644);

		if (fd >= 0)
			log_fd = fd;
		else
			dprintf(STDERR_FILENO,
				"parallax: PX_DEBUG_FILE=%s: %s: logging to "
				"stderr\n",
				file, strerror(errno));
	}
}

PX_API int px_debug_level(const char *category)
{
	int level = 0;

	if (!category)
		return 0;
	/* The last rule that matches wins, as in GST_DEBUG. */
	for (unsigned i = 0; i < n_rules; i++) {
		const struct rule *r = &rules[i];
		size_t n = strlen(r->pattern);

		if (r->prefix ? !strncmp(category, r->pattern, n) :
				!strcmp(category, r->pattern))
			level = r->level;
	}
	return level;
}

PX_API void px__log(const struct px_element *e, const char *category,
		    int level, const char *file, int line, const char *fmt,
		    ...)
{
	struct px_reactor *r = px_reactor_current();
	const char *base = strrchr(file, '/');
	struct timespec now;
	char buf[1024];
	va_list ap;
	int64_t ns;
	int n, m;

	if (!category)
		category = e ? e->cls->name : "default";
	if (level < 1 || level > PX_LOG_TRACE || level > px_debug_level(category))
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	ns = (int64_t)(now.tv_sec - t0.tv_sec) * 1000000000 +
	     (now.tv_nsec - t0.tv_nsec);
	n = snprintf(buf, sizeof(buf),
		     "%d:%02d:%02d.%09d %d %s %s %s %s %s:%d: ",
		     (int)(ns / 3600000000000), (int)(ns / 60000000000 % 60),
		     (int)(ns / 1000000000 % 60), (int)(ns % 1000000000),
		     (int)gettid(), r ? px_reactor_name(r) : "-",
		     level_names[level], category, e ? e->name : "-",
		     base ? base + 1 : file, line);
	if (n < 0 || (size_t)n >= sizeof(buf))
		return;
	va_start(ap, fmt);
	m = vsnprintf(buf + n, sizeof(buf) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	if (m < 0)
		return;
	n += m;
	if ((size_t)n > sizeof(buf) - 2)
		n = (int)sizeof(buf) - 2; /* cut: the line still ends */
	buf[n++] = '\n';
	/* One write: lines of different threads do not interleave. */
	if (write(log_fd, buf, (size_t)n) < 0)
		return; /* nowhere to say it */
}
