// SPDX-License-Identifier: MIT
/*
 * scen_latency.c - the latency scenario: how long a 4 KiB buffer takes from
 * its source's push to its sink, one buffer at a time at a low rate and at
 * half of the measured maximum rate, on one thread (fakesrc ! identity !
 * fakesink) and across threads (fakesrc ! queue ! fakesink).
 *
 * Each side measures with its own instrument, the one its users have:
 * Parallax's sink histograms (PX_LATENCY=sinks/1: every push stamped,
 * px-launch --stats-json reports the percentiles) and GStreamer's latency
 * tracer (GST_TRACERS=latency: one log line per buffer, percentiles over
 * the lines). Both clocks read CLOCK_MONOTONIC. GStreamer's tracer only
 * reports a path with an element between the source and the sink (it
 * measures at that element's push into the sink), hence identity on the
 * one-thread shape for both.
 */
#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"

#define TIMEOUT_S (run->quick ? 30.0 : 300.0)
#define BUF_SIZE  4096u
#define LOW_RATE  1000.0 /* buffers/s: both sides sleep between buffers */
/* GStreamer writes one ~330-byte log line per buffer: at most this many
 * buffers per run keeps its log file near 100 MB. */
#define GST_MAX_BUFS 300000u

enum shape { SHAPE_IDENTITY, SHAPE_QUEUE };
enum impl { IMPL_PX, IMPL_GST };

static const char *const shape_names[] = {"identity", "queue"};

struct lat_arg {
	const struct bench_ctx *ctx;
	enum shape sh;
	enum impl im;
	double rate; /* buffers/s asked of the source; 0: as fast as it can */
	uint64_t n;  /* buffers */
	int err;     /* half rate: measuring the maximum failed (BENCH_*) */
	const char *err_why;
};

/* The launch line of one side; RATE 0: unpaced. */
static void build(char *buf, size_t len, enum impl im, enum shape sh,
		  uint64_t n, double rate)
{
	char pace[96] = "";

	if (im == IMPL_PX) {
		if (rate > 0)
			bench_snprintf(pace, sizeof(pace), " rate=%.0f", rate);
		bench_snprintf(buf, len,
			       "fakesrc num-buffers=%llu size=%u "
			       "filltype=nothing%s ! %s ! fakesink",
			       (unsigned long long)n, BUF_SIZE, pace,
			       shape_names[sh]);
		return;
	}
	/* GStreamer paces a live fakesrc by its clock at datarate bytes/s. */
	if (rate > 0)
		bench_snprintf(pace, sizeof(pace),
			       " is-live=true sync=true datarate=%.0f",
			       rate * BUF_SIZE);
	bench_snprintf(buf, len,
		       "fakesrc num-buffers=%llu sizetype=fixed sizemax=%u "
		       "filltype=nothing%s ! %s ! fakesink sync=false",
		       (unsigned long long)n, BUF_SIZE, pace, shape_names[sh]);
}

/* Parallax: px-launch with every push stamped; seconds and the sink's
 * percentiles (us) into *SECS and V[0..2]. */
static int run_px(struct bench_run *run, const struct lat_arg *a, double *secs)
{
	char line[512];
	struct bench_px_stats st;
	int rc;

	build(line, sizeof(line), IMPL_PX, a->sh, a->n, a->rate);
	setenv("PX_LATENCY", "sinks/1", 1);
	rc = bench_run_px_launch(a->ctx, line, TIMEOUT_S, &st, run);
	unsetenv("PX_LATENCY");
	if (rc != BENCH_OK)
		return rc;
	/* Every buffer reached the sink and every one was measured. */
	if (st.sinks != 1 || st.sink_buffers != a->n ||
	    st.lat_count != (double)a->n) {
		bench_snprintf(run->why, sizeof(run->why),
			       "px-launch stats: %u fakesinks, %llu buffers, "
			       "%.0f measured; expected 1, %llu, %llu",
			       st.sinks, (unsigned long long)st.sink_buffers,
			       st.lat_count, (unsigned long long)a->n,
			       (unsigned long long)a->n);
		return -EIO;
	}
	*secs = st.seconds;
	run->v[0] = st.lat_p50_ns / 1e3;
	run->v[1] = st.lat_p99_ns / 1e3;
	run->v[2] = st.lat_p999_ns / 1e3;
	return 0;
}

/* The time=(guint64)NS of every "latency," record in GStreamer's log. */
static int gst_samples(const char *path, double **out, size_t *n,
		       struct bench_run *run)
{
	FILE *f = fopen(path, "r");
	char line[1024];
	size_t cap = 0;
	double *v = NULL;

	*n = 0;
	if (!f) {
		bench_snprintf(run->why, sizeof(run->why), "%s: %s", path,
			       strerror(errno));
		return -EIO;
	}
	while (fgets(line, sizeof(line), f)) {
		const char *t;

		/* Records, not the format string the tracer logs first. */
		if (!strstr(line, " latency, src-element-id=") ||
		    !(t = strstr(line, " time=(guint64)")) ||
		    !isdigit((unsigned char)t[strlen(" time=(guint64)")]))
			continue;
		if (*n == cap) {
			double *nv;

			cap = cap ? cap * 2 : 4096;
			nv = realloc(v, cap * sizeof(*v));
			if (!nv) {
				free(v);
				fclose(f);
				return -ENOMEM;
			}
			v = nv;
		}
		v[(*n)++] = strtod(t + strlen(" time=(guint64)"), NULL);
	}
	fclose(f);
	*out = v;
	return 0;
}

/* GStreamer: gst-launch-1.0 with the latency tracer logging to a file. */
static int run_gst(struct bench_run *run, const struct lat_arg *a, double *secs)
{
	char line[512], log[600];
	double *v = NULL;
	size_t n;
	int rc;

	build(line, sizeof(line), IMPL_GST, a->sh, a->n, a->rate);
	bench_snprintf(log, sizeof(log), "%s/gst-latency.log", a->ctx->tmpdir);
	unlink(log);
	setenv("GST_TRACERS", "latency", 1);
	setenv("GST_DEBUG", "GST_TRACER:7", 1);
	setenv("GST_DEBUG_FILE", log, 1);
	setenv("GST_DEBUG_NO_COLOR", "1", 1);
	rc = bench_run_gst(line, TIMEOUT_S, secs, run);
	unsetenv("GST_TRACERS");
	unsetenv("GST_DEBUG");
	unsetenv("GST_DEBUG_FILE");
	unsetenv("GST_DEBUG_NO_COLOR");
	if (rc == BENCH_OK)
		rc = gst_samples(log, &v, &n, run);
	unlink(log);
	if (rc != BENCH_OK)
		return rc;
	if (n != a->n) {
		bench_snprintf(run->why, sizeof(run->why),
			       "GStreamer's latency tracer logged %zu "
			       "buffers of %llu",
			       n, (unsigned long long)a->n);
		free(v);
		return -EIO;
	}
	run->v[0] = bench_percentile(v, n, 50) / 1e3;
	run->v[1] = bench_percentile(v, n, 99) / 1e3;
	run->v[2] = bench_percentile(v, n, 99.9) / 1e3;
	free(v);
	return 0;
}

static int run_one(struct bench_run *run)
{
	const struct lat_arg *a = run->arg;
	double secs = 0;
	int rc;

	if (a->err) {
		bench_snprintf(run->why, sizeof(run->why),
			       "measuring the maximum rate: %s", a->err_why);
		return a->err;
	}
	rc = a->im == IMPL_PX ? run_px(run, a, &secs) : run_gst(run, a, &secs);
	if (rc == 0)
		bench_snprintf(run->note, sizeof(run->note),
			       "%llu buffers at %.0f/s asked, %.0f/s achieved",
			       (unsigned long long)a->n, a->rate,
			       (double)a->n / secs);
	return rc;
}

/*
 * What waking a sleeping thread costs on this machine, for the queue case
 * at the low rate: no pipeline, no buffer, a bare liburing MSG_RING every
 * 1/rate seconds to a thread that peeks its CQ for the reactor's default
 * spin and then sleeps in io_uring_wait_cqe.
 */
#define WAKE_SPIN_NS 20000u

static int run_wakeup(struct bench_run *run)
{
	const struct lat_arg *a = run->arg;
	double *v = calloc(a->n, sizeof(*v));
	size_t got = 0;
	int rc;

	if (!v)
		return -ENOMEM;
	rc = bench_uring_wakeup(true, WAKE_SPIN_NS, (uint64_t)(1e9 / a->rate),
				(double)a->n / a->rate * 2 + 1, v, a->n, &got,
				run->why, sizeof(run->why));
	if (rc == 0 && got != a->n) {
		bench_snprintf(run->why, sizeof(run->why),
			       "%zu wakeups of %llu in the time allowed", got,
			       (unsigned long long)a->n);
		rc = -EIO;
	}
	if (rc == 0) {
		run->v[0] = bench_percentile(v, got, 50);
		run->v[1] = bench_percentile(v, got, 99);
		run->v[2] = bench_percentile(v, got, 99.9);
	}
	free(v);
	return rc;
}

/* The unpaced rate of one side, its instrument on (the half-rate cases
 * ask for half of it): the median of MAX_RUNS runs (the fastest of a few
 * would overstate it on a noisy machine, and half of it would not be
 * half). */
#define MAX_RUNS 3

static int max_rate(struct bench_ctx *ctx, enum impl im, enum shape sh,
		    double *rate, char *why, size_t len)
{
	static const uint64_t full[] = {2000000, 100000},
			      fast[] = {200000, 20000};
	struct lat_arg a = {.ctx = ctx, .sh = sh, .im = im};
	double r[MAX_RUNS], lo, hi;

	a.n = ctx->quick ? fast[im] : full[im];
	for (unsigned i = 0; i < MAX_RUNS; i++) {
		struct bench_run run = {.arg = &a, .quick = ctx->quick};
		double secs = 0;
		int rc = im == IMPL_PX ? run_px(&run, &a, &secs)
				       : run_gst(&run, &a, &secs);

		if (rc) {
			bench_snprintf(why, len, "%s", run.why);
			return rc;
		}
		r[i] = (double)a.n / secs;
	}
	bench_stats(r, MAX_RUNS, rate, &lo, &hi);
	return 0;
}

/* How each side measures, for its footnote. */
static const char *const instrument[] = {
	"PX_LATENCY=sinks/1 px-launch --stats-json F",
	"GST_TRACERS=latency GST_DEBUG=GST_TRACER:7 GST_DEBUG_FILE=F "
	"gst-launch-1.0",
};
static const char *const percentiles[] = {
	"the sink's histogram, bucket upper edges, 6.25% wide",
	"nearest rank over the tracer's time= values, one per buffer",
};

/*
 * One side of a case: its rate (fixed, or half of MAXR, or - when the
 * maximum could not be measured - the error ERR with WHY for its runs),
 * its buffer count (about SECS of running) and its footnote.
 */
static void setup_side(struct lat_arg *a, char *what, size_t len,
		       const struct bench_ctx *ctx, enum shape sh, enum impl im,
		       bool half, double maxr, int err, const char *why)
{
	double secs = ctx->quick ? 0.1 : half ? 1.0 : 2.0;
	char line[512];

	*a = (struct lat_arg){.ctx = ctx, .sh = sh, .im = im, .rate = LOW_RATE};
	if (half && err) {
		a->err = err;
		a->err_why = why;
	} else if (half) {
		a->rate = floor(maxr / 2);
	}
	a->n = (uint64_t)(a->rate * secs);
	if (im == IMPL_GST && a->n > GST_MAX_BUFS)
		a->n = GST_MAX_BUFS;
	if (a->n < 10)
		a->n = 10;
	build(line, sizeof(line), im, sh, a->n, a->rate);
	bench_snprintf(what, len, "%s %s (rate: %s; percentiles: %s)",
		       instrument[im], line,
		       half ? "half the median of 3 unpaced runs, measuring "
			      "on"
			    : "fixed",
		       percentiles[im]);
}

/* The bare wakeup's footnote, from the parameters it runs with. */
static void wakeup_what(char *what, size_t len, const struct lat_arg *a)
{
	bench_snprintf(what, len,
		       "not a pipeline: what waking a sleeping thread costs "
		       "here, bare liburing: "
		       "%llu IORING_OP_MSG_RING from one thread to another "
		       "every %.0f us (nanosleep), the other peeking its CQ "
		       "for %u us (the reactor's default spin) and then "
		       "sleeping in io_uring_wait_cqe; latency = just before "
		       "the submit to the CQE seen; ratio = the bare "
		       "wakeup's latency / Parallax's",
		       (unsigned long long)a->n, 1e6 / a->rate,
		       WAKE_SPIN_NS / 1000);
}

int bench_scen_latency(struct bench_ctx *ctx)
{
	static struct lat_arg args[2][2][2]; /* [shape][half][impl] */
	static char what[2][2][3][640], why[2][1024];
	static const char *const impl_names[] = {"parallax", "gstreamer"};
	double maxr[2];
	int rc[2], err;

	for (unsigned sh = 0; sh < 2; sh++) {
		bench_progress(ctx, "%s: maximum rates", shape_names[sh]);
		for (unsigned im = 0; im < 2; im++)
			rc[im] = max_rate(ctx, im, sh, &maxr[im], why[im],
					  sizeof(why[im]));
		bench_progress_done(ctx);
		for (unsigned half = 0; half < 2; half++) {
			char variant[64], series[64];
			struct bench_case c = {
				.scenario = "latency",
				.variant = variant,
				.nmetrics = 3,
				.metric = {{"p50", "us", true},
					   {"p99", "us", true},
					   {"p99.9", "us", true}},
				.metric_x = {50, 99, 99.9},
				.chart = "buffer-latency",
				.series = series,
			};
			const char *load = half ? "50% of max" : "1000/s";

			bench_snprintf(variant, sizeof(variant), "4KiB %s, %s",
				       shape_names[sh], load);
			bench_snprintf(series, sizeof(series), "%s, %s",
				       shape_names[sh], load);
			for (unsigned im = 0; im < 2; im++) {
				setup_side(&args[sh][half][im],
					   what[sh][half][im],
					   sizeof(what[0][0][0]), ctx, sh, im,
					   half, maxr[im], rc[im], why[im]);
				c.impl[c.nimpls++] = (struct bench_impl){
					impl_names[im], run_one,
					&args[sh][half][im],
					what[sh][half][im]};
			}
			/* Across threads at the low rate, the consumer
			 * sleeps: show what waking a thread costs here. */
			if (sh == SHAPE_QUEUE && !half) {
				wakeup_what(what[sh][half][2],
					    sizeof(what[0][0][0]),
					    &args[sh][half][0]);
				c.impl[c.nimpls++] = (struct bench_impl){
					"liburing-wakeup", run_wakeup,
					&args[sh][half][0], what[sh][half][2]};
			}
			err = bench_case_run(ctx, &c);
			if (err)
				return err;
		}
	}
	return 0;
}
