// SPDX-License-Identifier: MIT
/*
 * px_test.c - shared check harness. Skips are counted in a shared anonymous
 * page so that forked test children can report them to the runner.
 */
#include <dirent.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "px_pipeline.h"
#include "px_reactor.h"
#include "px_test.h"

struct skip_board {
	atomic_int skipped;
};

static struct skip_board *board;
static char tmpdir_path[256];

int64_t px_test_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

void px_test_nap(void)
{
	struct timespec ts = { 0, 1000000L };

	nanosleep(&ts, NULL);
}

pid_t px_test_tid(void)
{
	return (pid_t)syscall(SYS_gettid);
}

bool px_test_thread_sleeps(pid_t tid)
{
	char path[64], stat[512], *p;
	FILE *f;
	bool s = false;

	snprintf(path, sizeof(path), "/proc/self/task/%d/stat", (int)tid);
	f = fopen(path, "re");
	/* The state follows the command name, which may hold ") ". */
	if (f && fgets(stat, sizeof(stat), f) && (p = strrchr(stat, ')')))
		s = p[1] == ' ' && p[2] == 'S';
	if (f)
		fclose(f);
	return s;
}

TCase *px_tcase(Suite *s, const char *name)
{
	TCase *tc = tcase_create(name);
	const char *env = getenv("CK_DEFAULT_TIMEOUT");

	tcase_set_timeout(tc, env ? atof(env) : 60.0);
	if (strncmp(name, "stress", 6) == 0)
		tcase_set_tags(tc, "stress");
	suite_add_tcase(s, tc);
	return tc;
}

/*
 * PX_REQUIRE="io_uring,root": what CI knows this machine has. A skip whose
 * reason names one of those words fails instead, so a broken probe cannot
 * turn a suite green. Returns the word found, or NULL.
 */
static const char *required(const char *reason, char *word, size_t len)
{
	const char *req = getenv("PX_REQUIRE"), *p, *end;

	for (p = req; p && *p; p = *end ? end + 1 : end) {
		end = p + strcspn(p, ", ");
		if (end > p && (size_t)(end - p) < len) {
			memcpy(word, p, (size_t)(end - p));
			word[end - p] = '\0';
			if (strstr(reason, word))
				return word;
		}
	}
	return NULL;
}

void px__test_skip(const char *file, int line, const char *fmt, ...)
{
	char reason[512], word[64];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(reason, sizeof(reason), fmt, ap);
	va_end(ap);
	if (required(reason, word, sizeof(word)))
		ck_abort_msg("%s:%d: would skip (%s), but PX_REQUIRE says this "
			     "machine has %s", file, line, reason, word);
	fprintf(stderr, "%s:%d: SKIP: %s\n", file, line, reason);
	if (board)
		atomic_fetch_add(&board->skipped, 1);
}

bool px_test_is_root(void)
{
	return geteuid() == 0;
}

static void tmpdir_cleanup(void)
{
	char cmd[300];

	if (tmpdir_path[0] && getpid() == (pid_t)atoi(getenv("PX_TEST_PID") ?: "0")) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir_path);
		if (system(cmd) != 0)
			fprintf(stderr, "px_test: could not remove %s\n", tmpdir_path);
	}
}

const char *px_test_tmpdir(void)
{
	if (!tmpdir_path[0]) {
		const char *base = getenv("TMPDIR") ?: "/tmp";

		snprintf(tmpdir_path, sizeof(tmpdir_path), "%s/pxtest.XXXXXX", base);
		if (!mkdtemp(tmpdir_path)) {
			perror("px_test: mkdtemp");
			abort();
		}
	}
	return tmpdir_path;
}

int px_test_count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	ck_assert_ptr_nonnull(d);
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n - 1; /* the DIR's own fd */
}

int px_test_count_maps(const char *needle)
{
	char line[512];
	FILE *f = fopen("/proc/self/maps", "re");
	int n = 0;

	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof(line), f))
		n += strstr(line, needle) != NULL;
	fclose(f);
	return n;
}

/*
 * With io_uring in PX_REQUIRE, reactors that would quietly run on epoll
 * (a probe that broke) fail the whole program; PX_BACKEND=epoll asks for
 * epoll on purpose and is not a failure.
 */
static bool required_backend_missing(void)
{
	const char *why, *forced = getenv("PX_BACKEND");
	char word[64];

	if (!required("io_uring", word, sizeof(word)))
		return false;
	if (forced && strcmp(forced, "epoll") == 0)
		return false;
	if (px_backend_default(&why) == PX_BACKEND_IO_URING)
		return false;
	fprintf(stderr, "px_test: PX_REQUIRE names io_uring, but reactors "
		"would run on %s: %s\n",
		px_backend_name((enum px_backend)px_backend_default(NULL)), why);
	return true;
}

int px__test_main(Suite *s)
{
	SRunner *sr;
	int failed, run, skipped;
	char pid[32];

	board = mmap(NULL, sizeof(*board), PROT_READ | PROT_WRITE,
		     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (board == MAP_FAILED) {
		perror("px_test: mmap");
		return 1;
	}
	snprintf(pid, sizeof(pid), "%d", (int)getpid());
	setenv("PX_TEST_PID", pid, 1);
	/* The runner creates the tmpdir so every forked test shares it. */
	px_test_tmpdir();
	atexit(tmpdir_cleanup);

	if (required_backend_missing())
		return 1;
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	run = srunner_ntests_run(sr);
	srunner_free(sr);
	skipped = atomic_load(&board->skipped);

	if (failed)
		return 1;
	if (run == 0) {
		fprintf(stderr, "px_test: no test selected (CK_RUN_CASE=%s)\n",
			getenv("CK_RUN_CASE") ?: "");
		return 1;
	}
	if (skipped) {
		fprintf(stderr, "px_test: %d of %d tests skipped\n", skipped, run);
		if (skipped == run)
			return 77;
	}
	return 0;
}

static bool type_matches(int want, enum px_msg_type type)
{
	if (want == PX_TEST_MSG_ANY)
		return true;
	if (want == PX_TEST_MSG_PROBLEM)
		return type == PX_MSG_WARNING || type == PX_MSG_ERROR;
	return (int)type == want;
}

bool px_test_bus_find(struct px_pipeline *p, int type, const char *source,
		      const char *needle, char *text, size_t len)
{
	struct px_message m;

	while (px_bus_pop(px_pipeline_bus(p), 0, &m) == 0) {
		if (!type_matches(type, m.type) || !strstr(m.text, needle) ||
		    (source && strcmp(m.source, source)))
			continue;
		if (text)
			snprintf(text, len, "%s", m.text);
		return true;
	}
	return false;
}

bool px_test_bus_has(struct px_pipeline *p, int type, const char *needle)
{
	return px_test_bus_find(p, type, NULL, needle, NULL, 0);
}
