// SPDX-License-Identifier: MIT
/*
 * typed_pipeline.c - a typed pipeline: sensor readings from a source, a
 * filter that drops failed readings, an aggregate that summarises every
 * 100 readings (and what is left at EOS), a sink that prints summaries.
 * Each stage is a plain C function over records written in place in pool
 * slots; linking a stage to one of another record type does not compile.
 * Exits 0 when the summaries account for every good reading.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "parallax.h"
#include "px_typed.h"

#define READINGS 1000
#define PER_SUMMARY 100

#define READING_FIELDS(X)                                                     \
	X(u32, sensor, _, _)                                                  \
	X(f64, celsius, _, _)                                                 \
	X(bool, ok, _, _)                                                     \
	X(str, room, _, _)
PX_RECORD(reading, READING_FIELDS)

#define SUMMARY_FIELDS(X)                                                     \
	X(u64, count, _, _)                                                   \
	X(f64, mean, _, _)                                                    \
	X(f64, max, _, _)                                                     \
	X(str, room, _, _)
PX_RECORD(summary, SUMMARY_FIELDS)

struct state {
	unsigned made, good;		/* the source's */
	unsigned n;			/* the aggregate's open window */
	double sum, max;
	char room[32];
	unsigned long long summarised;	/* the sink's */
	unsigned summaries;
};

/* Source: 1000 readings, every tenth a failed one. */
static int gen(void *ctx, struct reading *r, struct px_record_writer *w)
{
	struct state *st = ctx;

	if (st->made == READINGS)
		return 0; /* end of stream */
	r->sensor = st->made % 4;
	r->celsius = 20.0 + (double)(st->made % 7);
	r->ok = st->made % 10 != 9;
	st->good += r->ok;
	st->made++;
	return px_rec_set_str(w, &r->room, "boiler room") ? -1 : 1;
}

/* Filter: a reading in, the same reading out, or nothing. */
static int keep_ok(void *ctx, const struct reading *in, struct reading *out,
		   struct px_record_writer *w)
{
	(void)ctx;
	if (!in->ok)
		return 0;
	out->sensor = in->sensor;
	out->celsius = in->celsius;
	out->ok = 1;
	return px_rec_set_str(w, &out->room, px_rec_str(&in->room)) ? -1 : 1;
}

static int emit(struct state *st, struct summary *out,
		struct px_record_writer *w)
{
	out->count = st->n;
	out->mean = st->sum / st->n;
	out->max = st->max;
	st->n = 0;
	st->sum = st->max = 0;
	return px_rec_set_str(w, &out->room, st->room) ? -1 : 1;
}

/* Aggregate: readings in, a summary out every PER_SUMMARY of them. */
static int aggregate(void *ctx, const struct reading *in, struct summary *out,
		     struct px_record_writer *w)
{
	struct state *st = ctx;

	snprintf(st->room, sizeof(st->room), "%s", px_rec_str(&in->room));
	st->sum += in->celsius;
	if (in->celsius > st->max)
		st->max = in->celsius;
	return ++st->n == PER_SUMMARY ? emit(st, out, w) : 0;
}

/* At EOS: the partial window, if any. */
static int aggregate_flush(void *ctx, struct summary *out,
			   struct px_record_writer *w)
{
	struct state *st = ctx;

	return st->n ? emit(st, out, w) : 0;
}

static int show(void *ctx, const struct summary *s)
{
	struct state *st = ctx;

	printf("%-12s %4llu readings  mean %.2f C  max %.1f C\n",
	       px_rec_str(&s->room), (unsigned long long)s->count, s->mean,
	       s->max);
	st->summarised += s->count;
	st->summaries++;
	return 0;
}

int main(void)
{
	struct state st = { 0 };
	struct px_pipeline *p;
	struct px_message m;
	int rc;

	if (px_pipeline_create("typed", &p))
		return 1;
	px_out(reading) src = px_typed_source(p, "readings", reading, gen, &st);
	px_out(reading) good =
		px_typed_map(p, "filter", src, reading, reading, keep_ok, &st);
	px_out(summary) sums = px_typed_map_flush(p, "aggregate", good,
						  reading, summary, aggregate,
						  aggregate_flush, &st);
	/* px_typed_sink(p, "print", good, summary, show, &st) would not
	 * compile: good carries readings, not summaries. */
	rc = px_typed_sink(p, "print", sums, summary, show, &st);
	if (rc == 0)
		rc = px_pipeline_play(p);
	if (rc) {
		fprintf(stderr, "typed_pipeline: %s\n", px_pipeline_error(p));
		px_pipeline_destroy(p);
		return 1;
	}
	/* A typed pipeline is a pipeline: EOS or an ERROR on its bus. */
	rc = px_pipeline_wait(p, 60ll * 1000000000ll, &m);
	if (rc)
		fprintf(stderr, "typed_pipeline: %s: %s\n",
			rc == -ETIMEDOUT ? "no EOS in 60 s" : m.source,
			rc == -ETIMEDOUT ? "" : m.text);
	px_pipeline_stop(p);
	px_pipeline_destroy(p);
	if (rc)
		return 1;
	printf("%u readings, %u good, %llu summarised in %u summaries\n",
	       st.made, st.good, st.summarised, st.summaries);
	return st.made == READINGS && st.summarised == st.good &&
			       st.summaries == (st.good + PER_SUMMARY - 1) /
						       PER_SUMMARY ?
		       0 :
		       1;
}
