/* SPDX-License-Identifier: MIT */
/*
 * px_test.h - the glue every check suite shares: one TCase per feature,
 * skips that CTest counts as skips (exit 77), and a standard main().
 *
 * Each TCase becomes its own CTest entry "<program>.<tcase>" (test/
 * CMakeLists.txt finds them by the px_tcase(s, "name") calls), run with
 * CK_RUN_CASE=<tcase>. TCases whose name starts with "stress" carry the
 * `stress` label and are left out of the unit run.
 */
#ifndef PX_TEST_H
#define PX_TEST_H

#include <check.h>
#include <stdbool.h>
#include <sys/types.h>

#include "px_base.h"

/*
 * px_tcase - create TCase NAME with the default timeout (60 s, or the
 * CK_DEFAULT_TIMEOUT environment value), add it to S and return it.
 */
TCase *px_tcase(Suite *s, const char *name);

/* Record that the current test was skipped, with a reason on stderr. */
void px__test_skip(const char *file, int line, const char *fmt, ...)
	PX_PRINTF(3, 4);

/* Skip the rest of the current test: the feature or privilege is missing. */
#define PX_SKIP(...)                                           \
	do {                                                   \
		px__test_skip(__FILE__, __LINE__, __VA_ARGS__); \
		return;                                        \
	} while (0)

/* True when the process runs as root (some tests need it, or skip). */
bool px_test_is_root(void);

/* A fresh temporary directory for the current test; removed at exit. */
const char *px_test_tmpdir(void);

/* Open file descriptors of this process (compare before and after: a
 * leak check). */
int px_test_count_fds(void);

/* Lines of /proc/self/maps that mention NEEDLE (a mapping leak check). */
int px_test_count_maps(const char *needle);

struct px_pipeline;

/* For px_test_bus_find: any type, or a WARNING or an ERROR. */
#define PX_TEST_MSG_ANY -1
#define PX_TEST_MSG_PROBLEM -2

/*
 * px_test_bus_find - pop P's bus (without waiting) until a message of TYPE
 * (an enum px_msg_type, or PX_TEST_MSG_*) whose text contains NEEDLE and,
 * with SOURCE, that comes from SOURCE; its text goes to TEXT (LEN bytes;
 * TEXT may be NULL). The messages popped on the way are gone.
 */
bool px_test_bus_find(struct px_pipeline *p, int type, const char *source,
		      const char *needle, char *text, size_t len);
/* px_test_bus_find() of TYPE and NEEDLE alone. */
bool px_test_bus_has(struct px_pipeline *p, int type, const char *needle);

/* Nanoseconds of CLOCK_MONOTONIC. */
int64_t px_test_now_ns(void);
/* Give the other threads a turn (a 1 ms nap) inside PX_TEST_UNTIL. */
void px_test_nap(void);

/* The calling thread's id (gettid(2)). */
pid_t px_test_tid(void);
/* Whether thread TID of this process is blocked (state S in /proc): a
 * condition for PX_TEST_UNTIL when a test needs a thread asleep, e.g. a
 * reactor waiting in the kernel, before it acts. */
bool px_test_thread_sleeps(pid_t tid);

/*
 * PX_TEST_UNTIL(cond, seconds) - wait for COND to hold, looking again every
 * millisecond, and fail the test naming COND if it does not within SECONDS.
 * Synchronisation on a condition, bounded; never a bare sleep.
 */
#define PX_TEST_UNTIL(cond, seconds)                                          \
	do {                                                                  \
		int64_t px__until = px_test_now_ns() +                        \
				    (int64_t)(seconds) * 1000000000LL;        \
		while (!(cond)) {                                             \
			ck_assert_msg(px_test_now_ns() < px__until,           \
				      "not within %d s: %s", (int)(seconds),  \
				      #cond);                                 \
			px_test_nap();                                        \
		}                                                             \
	} while (0)

int px__test_main(Suite *s);

/*
 * PX_TEST_MAIN(make_suite) - main() for a check program. Exit status:
 * 0 all ran passed, 1 any failed, 77 every selected test was skipped.
 */
#define PX_TEST_MAIN(make_suite)            \
	int main(void)                      \
	{                                   \
		return px__test_main(make_suite()); \
	}

#endif /* PX_TEST_H */
