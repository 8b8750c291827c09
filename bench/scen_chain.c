// SPDX-License-Identifier: MIT
/*
 * scen_chain.c - the chain and tee scenarios: buffers/s through
 * fakesrc ! identity ! fakesink (one reactor, and with a queue between two
 * reactors) and through a two-branch tee, run by the real px-launch and by
 * gst-launch-1.0 with the same shape, buffer count and buffer size.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "bench.h"

/* A hung run fails after this long (--quick: 30 s, so CI fails fast). */
#define TIMEOUT_S (run->quick ? 30.0 : 300.0)

enum shape { SHAPE_CHAIN, SHAPE_QUEUE, SHAPE_TEE };

struct pipe_arg {
	const struct bench_ctx *ctx;
	uint64_t n;
	unsigned sinks;
	char px[512], gst[512];
};

static const uint32_t sizes[] = {64, 4096, 65536};
static const char *const size_names[] = {"64B", "4KiB", "64KiB"};

/* Buffer counts: about a second of GStreamer per full run on a 2-core VM. */
static uint64_t count(enum shape sh, bool quick)
{
	static const uint64_t full[] = {2000000, 300000, 200000};
	static const uint64_t fast[] = {100000, 20000, 10000};

	return quick ? fast[sh] : full[sh];
}

/* Both launch lines, from one description of the shape; SIZE is the
 * number, or "S" for the footnote that names the shape. */
static void build(char *px, char *gst, size_t len, enum shape sh, uint64_t n,
		  const char *size)
{
	char psrc[160], gsrc[160];

	/* Parallax's fakesrc names the fixed size "size"; GStreamer's needs
	 * sizetype=fixed sizemax=S. Both fill nothing. */
	bench_snprintf(psrc, sizeof(psrc),
		       "fakesrc num-buffers=%llu size=%s filltype=nothing",
		       (unsigned long long)n, size);
	bench_snprintf(gsrc, sizeof(gsrc),
		       "fakesrc num-buffers=%llu sizetype=fixed sizemax=%s "
		       "filltype=nothing",
		       (unsigned long long)n, size);
	switch (sh) {
	case SHAPE_CHAIN:
		bench_snprintf(px, len, "%s ! identity ! fakesink", psrc);
		bench_snprintf(gst, len, "%s ! identity ! fakesink sync=false",
			       gsrc);
		break;
	case SHAPE_QUEUE:
		bench_snprintf(px, len, "%s ! identity ! queue ! fakesink",
			       psrc);
		bench_snprintf(gst, len,
			       "%s ! identity ! queue ! fakesink sync=false",
			       gsrc);
		break;
	case SHAPE_TEE:
		bench_snprintf(px, len,
			       "%s ! tee name=t ! queue ! fakesink t. ! queue "
			       "! fakesink",
			       psrc);
		bench_snprintf(gst, len,
			       "%s ! tee name=t ! queue ! fakesink sync=false "
			       "t. ! queue ! fakesink "
			       "sync=false",
			       gsrc);
		break;
	}
}

static int run_px(struct bench_run *run)
{
	struct pipe_arg *a = run->arg;
	struct bench_px_stats st;
	int rc = bench_run_px_launch(a->ctx, a->px, TIMEOUT_S, &st, run);

	if (rc != BENCH_OK)
		return rc;
	/* Every sink must have seen every buffer, or the time means nothing. */
	if (st.sinks != a->sinks || st.sink_buffers != a->n) {
		bench_snprintf(run->why, sizeof(run->why),
			       "px-launch stats: %u fakesinks, fewest buffers "
			       "%llu; expected %u "
			       "and %llu",
			       st.sinks, (unsigned long long)st.sink_buffers,
			       a->sinks, (unsigned long long)a->n);
		return -EIO;
	}
	run->v[0] = (double)a->n / st.seconds;
	return 0;
}

static int run_gst(struct bench_run *run)
{
	struct pipe_arg *a = run->arg;
	double s;
	int rc = bench_run_gst(a->gst, TIMEOUT_S, &s, run);

	if (rc == BENCH_OK)
		run->v[0] = (double)a->n / s;
	return rc;
}

static int run_shape(struct bench_ctx *ctx, const char *scenario, enum shape sh,
		     const char *series, const char *suffix)
{
	static struct pipe_arg args[1];
	char what_px[640], what_gst[512], placement[96] = "";
	static struct bench_env ep, lat;
	unsigned i, reactors;
	int rc;

	/* Say how many reactors Parallax really used (queue, tee). */
	if (sh != SHAPE_CHAIN) {
		char px[512], gst[512];

		build(px, gst, sizeof(px), sh, 1000, "4096");
		if (bench_px_launch_reactors(ctx, px, &reactors) == 0)
			bench_snprintf(placement, sizeof(placement),
				       "; px-launch --json shows the elements "
				       "on %u reactor%s",
				       reactors, reactors == 1 ? "" : "s");
	}
	for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		struct pipe_arg *a = &args[0];
		char variant[64];
		struct bench_case c = {
			.scenario = scenario,
			.variant = variant,
			.nmetrics = 1,
			.metric = {{"throughput", "buffers/s", false}},
			.nimpls = sh == SHAPE_CHAIN ? 4 : 2,
			.chart = scenario,
			.series = series,
			.x = sizes[i],
		};

		char sz[16], px[512], gst[512];

		a->ctx = ctx;
		a->n = count(sh, ctx->quick);
		a->sinks = sh == SHAPE_TEE ? 2 : 1;
		bench_snprintf(sz, sizeof(sz), "%u", sizes[i]);
		build(a->px, a->gst, sizeof(a->px), sh, a->n, sz);
		bench_snprintf(variant, sizeof(variant), "%s%s", size_names[i],
			       suffix);
		/* One footnote per shape: the command with S for 64, 4096,
		 * 65536. */
		build(px, gst, sizeof(px), sh, a->n, "S");
		bench_snprintf(what_px, sizeof(what_px),
			       "px-launch --stats-json F %s (S = 64, 4096, "
			       "65536; buffers/s = "
			       "num-buffers / stats \"seconds\"%s)",
			       px, placement);
		bench_snprintf(what_gst, sizeof(what_gst),
			       "gst-launch-1.0 %s (buffers/s = num-buffers / "
			       "\"Execution ended after\")",
			       gst);
		c.impl[0] = (struct bench_impl){"parallax", run_px, a, what_px};
		c.impl[1] =
			(struct bench_impl){"gstreamer", run_gst, a, what_gst};
		c.impl[2] = bench_epoll_impl(&c.impl[0], &ep);
		/* What measuring latency costs: the default (sinks record,
		 * one burst in 64 stamped) against none at all. */
		c.impl[3] = bench_env_impl(&c.impl[0], &lat,
					   "parallax-latency-off", "PX_LATENCY",
					   "off",
					   "no latency stamps or histograms; "
					   "ratio = default rate / rate with "
					   "latency off, the cost of leaving "
					   "it on");
		rc = bench_case_run(ctx, &c);
		if (rc)
			return rc;
	}
	return 0;
}

int bench_scen_chain(struct bench_ctx *ctx)
{
	int rc = run_shape(ctx, "chain", SHAPE_CHAIN, "1 reactor", "");

	if (rc)
		return rc;
	return run_shape(ctx, "chain", SHAPE_QUEUE, "queue, 2 reactors",
			 "+queue");
}

int bench_scen_tee(struct bench_ctx *ctx)
{
	return run_shape(ctx, "tee", SHAPE_TEE, "2 branches", "");
}
