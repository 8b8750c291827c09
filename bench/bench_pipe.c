// SPDX-License-Identifier: MIT
/*
 * bench_pipe.c - running whole pipelines the way a user would: the real
 * px-launch binary (timed by its --stats-json "seconds", cross-checked with
 * the process wall time) and gst-launch-1.0 (timed by its "Execution ended
 * after" line), both as subprocesses.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"

#define MAX_ARGS 96

bool bench_px_launch(const struct bench_ctx *ctx, char *path, size_t len)
{
	const char *env = getenv("PX_LAUNCH");

	if (env && env[0])
		bench_snprintf(path, len, "%s", env);
	else
		bench_snprintf(path, len, "%s/../tools/px-launch",
			       ctx->exe_dir);
	return access(path, X_OK) == 0;
}

/* Split a launch line on spaces into argv[first...]; the line is modified. */
static int split_args(char *line, char **argv, int first)
{
	int n = first;
	char *save = NULL, *t;

	for (t = strtok_r(line, " ", &save); t && n < MAX_ARGS - 1;
	     t = strtok_r(NULL, " ", &save))
		argv[n++] = t;
	argv[n] = NULL;
	return n;
}

/*
 * Start EXE with ARGV[1 .. first) as given, then LAUNCH split on spaces.
 * ARGV[0] is set to EXE. Fills run->why on failure.
 */
static int start_split(const char *exe, char **argv, int first,
		       const char *launch, struct bench_proc *p,
		       struct bench_run *run)
{
	char *line = strdup(launch);
	int rc;

	if (!line)
		return -ENOMEM;
	argv[0] = (char *)exe;
	split_args(line, argv, first);
	rc = bench_proc_start(p, argv);
	free(line);
	if (rc)
		bench_snprintf(run->why, sizeof(run->why),
			       "cannot start %s: %s", exe, strerror(-rc));
	return rc;
}

int bench_px_launch_start(const struct bench_ctx *ctx, const char *launch,
			  const char *stats, struct bench_proc *p,
			  struct bench_run *run)
{
	char exe[PATH_MAX], *argv[MAX_ARGS];

	if (!bench_px_launch(ctx, exe, sizeof(exe))) {
		bench_snprintf(run->why, sizeof(run->why),
			       "px-launch not built at %s", exe);
		return BENCH_NA;
	}
	unlink(stats);
	argv[1] = (char *)"--stats-json";
	argv[2] = (char *)stats;
	return start_split(exe, argv, 3, launch, p, run);
}

/* The latency object of the element whose "factory" key is at V (up to
 * END, the next element's, or NULL), into ST. */
static void sink_latency(const char *v, const char *end,
			 struct bench_px_stats *st)
{
	const char *l = strstr(v, "\"latency\"");

	if (!l || (end && l > end))
		return;
	if (bench_json_number(l, "count", &st->lat_count) != 0 ||
	    bench_json_number(l, "p50_ns", &st->lat_p50_ns) != 0 ||
	    bench_json_number(l, "p99_ns", &st->lat_p99_ns) != 0 ||
	    bench_json_number(l, "p999_ns", &st->lat_p999_ns) != 0 ||
	    bench_json_number(l, "max_ns", &st->lat_max_ns) != 0)
		st->lat_count = 0;
}

/* Sum up the fakesink elements of a --stats-json document. */
static void sink_totals(const char *json, struct bench_px_stats *st)
{
	const char *p;

	st->sinks = 0;
	st->sink_buffers = st->sink_bytes = UINT64_MAX;
	st->lat_count = 0;
	for (p = strstr(json, "\"factory\""); p;
	     p = strstr(p + 1, "\"factory\"")) {
		const char *v = p + strlen("\"factory\"");
		double buffers, bytes;

		v += strspn(v, " \t\n:");
		if (strncmp(v, "\"fakesink\"", 10) != 0 ||
		    bench_json_number(v, "buffers_in", &buffers) != 0 ||
		    bench_json_number(v, "bytes_in", &bytes) != 0)
			continue;
		if (st->sinks == 0)
			sink_latency(v, strstr(v, "\"factory\""), st);
		st->sinks++;
		if ((uint64_t)buffers < st->sink_buffers)
			st->sink_buffers = (uint64_t)buffers;
		if ((uint64_t)bytes < st->sink_bytes)
			st->sink_bytes = (uint64_t)bytes;
	}
	if (st->sinks == 0)
		st->sink_buffers = st->sink_bytes = 0;
}

/* The CRC32C a fakesink checksum=true posted at EOS, from px-launch -v's
 * stderr ("... checksum crc32c=0x1234abcd buffers=..."). */
static void sink_checksum(const char *err, struct bench_px_stats *st)
{
	const char *c = err ? strstr(err, "checksum crc32c=0x") : NULL;
	char *end;
	unsigned long v;

	st->have_crc = false;
	if (!c)
		return;
	v = strtoul(c + strlen("checksum crc32c=0x"), &end, 16);
	if (end != c + strlen("checksum crc32c=0x") && v <= UINT32_MAX) {
		st->have_crc = true;
		st->crc = (uint32_t)v;
	}
}

int bench_px_launch_finish(struct bench_proc *p, const char *stats,
			   double timeout_s, struct bench_px_stats *st,
			   struct bench_run *run)
{
	struct bench_proc_result pr;
	char *json;
	double s;
	int rc = bench_proc_wait(p, timeout_s, &pr);

	if (rc) {
		bench_snprintf(run->why, sizeof(run->why),
			       "waiting for px-launch: %s", strerror(-rc));
		return rc;
	}
	if (pr.exit_code != 0 || pr.timed_out) {
		bench_proc_why(run->why, sizeof(run->why), "px-launch", &pr);
		bench_proc_result_free(&pr);
		return -EIO;
	}
	json = bench_read_file(stats);
	if (!json || bench_json_number(json, "seconds", &s) != 0 || s <= 0) {
		bench_snprintf(run->why, sizeof(run->why),
			       "px-launch exited 0 but wrote no "
			       "{\"seconds\":S} to --stats-json (%s)",
			       json ? bench_tail(json, 200) : "no file");
		free(json);
		bench_proc_result_free(&pr);
		return -EIO;
	}
	sink_totals(json, st);
	free(json);
	sink_checksum(pr.err, st);
	/* The pipeline cannot run longer than its process. */
	if (s > pr.wall * 1.02 + 0.005) {
		bench_snprintf(run->why, sizeof(run->why),
			       "px-launch stats say %.3f s but the process "
			       "lived %.3f s",
			       s, pr.wall);
		bench_proc_result_free(&pr);
		return -EIO;
	}
	st->seconds = s;
	bench_proc_result_free(&pr);
	return BENCH_OK;
}

int bench_px_launch_reactors(const struct bench_ctx *ctx, const char *launch,
			     unsigned *reactors)
{
	char exe[PATH_MAX], graph[600], *line, *argv[MAX_ARGS], *json;
	const char *p;
	struct bench_proc_result pr;
	uint64_t seen = 0; /* bit i: reactor i runs an element */
	int rc;

	if (!bench_px_launch(ctx, exe, sizeof(exe)))
		return BENCH_NA;
	bench_snprintf(graph, sizeof(graph), "%s/px-graph.json", ctx->tmpdir);
	unlink(graph);
	line = strdup(launch);
	if (!line)
		return -ENOMEM;
	argv[0] = exe;
	argv[1] = (char *)"--json";
	argv[2] = graph;
	split_args(line, argv, 3);
	rc = bench_proc_run(argv, 30, &pr);
	free(line);
	if (rc)
		return rc;
	rc = pr.exit_code == 0 ? 0 : -EIO;
	bench_proc_result_free(&pr);
	json = rc ? NULL : bench_read_file(graph);
	if (!json)
		return rc ? rc : -EIO;
	for (p = strstr(json, "\"reactor\""); p;
	     p = strstr(p + 1, "\"reactor\"")) {
		double r;

		if (bench_json_number(p, "reactor", &r) == 0 && r >= 0 &&
		    r < 64)
			seen |= 1ull << (unsigned)r;
	}
	free(json);
	*reactors = (unsigned)__builtin_popcountll(seen);
	return *reactors ? 0 : -EIO;
}

int bench_run_px_launch(const struct bench_ctx *ctx, const char *launch,
			double timeout_s, struct bench_px_stats *st,
			struct bench_run *run)
{
	char stats[600];
	struct bench_proc p;
	int rc;

	bench_snprintf(stats, sizeof(stats), "%s/px-stats.json", ctx->tmpdir);
	rc = bench_px_launch_start(ctx, launch, stats, &p, run);
	if (rc)
		return rc;
	return bench_px_launch_finish(&p, stats, timeout_s, st, run);
}

int bench_gst_start(const char *pipeline, struct bench_proc *p,
		    struct bench_run *run)
{
	char exe[PATH_MAX], *argv[MAX_ARGS];

	if (!bench_which("gst-launch-1.0", exe, sizeof(exe))) {
		bench_snprintf(run->why, sizeof(run->why),
			       "gst-launch-1.0 not found; apt-get install "
			       "gstreamer1.0-tools");
		return BENCH_MISSING;
	}
	return start_split(exe, argv, 1, pipeline, p, run);
}

int bench_gst_finish(struct bench_proc *p, double timeout_s, double *seconds,
		     struct bench_run *run)
{
	struct bench_proc_result pr;
	int rc = bench_proc_wait(p, timeout_s, &pr);

	if (rc) {
		bench_snprintf(run->why, sizeof(run->why),
			       "waiting for gst-launch-1.0: %s", strerror(-rc));
		return rc;
	}
	if ((pr.out && strstr(pr.out, "no element")) ||
	    (pr.err && strstr(pr.err, "no element"))) {
		bench_proc_why(run->why, sizeof(run->why),
			       "gst-launch-1.0 (plugin missing)", &pr);
		bench_proc_result_free(&pr);
		return BENCH_MISSING;
	}
	if (pr.exit_code != 0 || pr.timed_out) {
		bench_proc_why(run->why, sizeof(run->why), "gst-launch-1.0",
			       &pr);
		bench_proc_result_free(&pr);
		return -EIO;
	}
	rc = bench_gst_elapsed(pr.out, seconds);
	if (rc || *seconds <= 0) {
		bench_snprintf(run->why, sizeof(run->why),
			       "gst-launch-1.0 printed no \"Execution ended "
			       "after\" line: %s",
			       bench_tail(pr.out, 200));
		bench_proc_result_free(&pr);
		return -EIO;
	}
	/* Cross-check, as for px-launch: no run outlives its process. */
	if (*seconds > pr.wall * 1.02 + 0.005) {
		bench_snprintf(run->why, sizeof(run->why),
			       "gst-launch-1.0 says %.3f s but the process "
			       "lived %.3f s",
			       *seconds, pr.wall);
		bench_proc_result_free(&pr);
		return -EIO;
	}
	bench_proc_result_free(&pr);
	return BENCH_OK;
}

int bench_run_gst(const char *pipeline, double timeout_s, double *seconds,
		  struct bench_run *run)
{
	struct bench_proc p;
	int rc = bench_gst_start(pipeline, &p, run);

	if (rc)
		return rc;
	return bench_gst_finish(&p, timeout_s, seconds, run);
}
