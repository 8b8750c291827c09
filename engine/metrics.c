// SPDX-License-Identifier: MIT
/*
 * metrics.c - what a running pipeline counts, read from outside: latency
 * histograms (latency_int.h) and their summaries, and every counter in the
 * Prometheus text exposition format (docs/observability.md names them).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline_int.h"

/* ---- latency histograms ---------------------------------------------------- */

void px__lat_reset(struct px__lat *h)
{
	/* relaxed stores: a reader sees each field whole */
	px_stat_set(&h->count, 0);
	px_stat_set(&h->sum_ns, 0);
	px_stat_set(&h->max_ns, 0);
	px_stat_set(&h->unstamped, 0);
	for (unsigned i = 0; i < PX__LAT_BUCKETS; i++)
		px_stat_set(&h->b[i], 0);
}

/* Add H's counts into SUM (a plain copy: any thread). */
static void lat_merge(struct px__lat *sum, const struct px__lat *h)
{
	uint64_t max = px_stat_get(&h->max_ns);

	px_stat_add(&sum->count, px_stat_get(&h->count));
	px_stat_add(&sum->sum_ns, px_stat_get(&h->sum_ns));
	px_stat_add(&sum->unstamped, px_stat_get(&h->unstamped));
	if (max > px_stat_get(&sum->max_ns))
		px_stat_set(&sum->max_ns, max);
	for (unsigned i = 0; i < PX__LAT_BUCKETS; i++)
		px_stat_add(&sum->b[i], px_stat_get(&h->b[i]));
}

/* The upper edge of the bucket holding the Q-th (0..1) buffer, at most MAX. */
static uint64_t quantile(const struct px__lat *h, uint64_t total, double q,
			 uint64_t max)
{
	uint64_t rank = (uint64_t)(q * (double)total), seen = 0;

	if (rank >= total)
		rank = total - 1;
	for (unsigned i = 0; i < PX__LAT_BUCKETS; i++) {
		seen += px_stat_get(&h->b[i]);
		if (seen > rank) {
			uint64_t hi = i + 1 < PX__LAT_BUCKETS ?
					      px__lat_lower(i + 1) - 1 : max;

			return hi < max ? hi : max;
		}
	}
	return max;
}

/* Percentiles of H into OUT. */
static void lat_summary(const struct px__lat *h, struct px_latency *out)
{
	uint64_t total = 0;

	memset(out, 0, sizeof(*out));
	/* The buckets' sum, not COUNT: read one field at a time while the
	 * reactor records, they may disagree by a buffer or two. */
	for (unsigned i = 0; i < PX__LAT_BUCKETS; i++)
		total += px_stat_get(&h->b[i]);
	out->count = total;
	out->unstamped = px_stat_get(&h->unstamped);
	out->sum_ns = px_stat_get(&h->sum_ns);
	out->max_ns = px_stat_get(&h->max_ns);
	if (!total)
		return;
	out->p50_ns = quantile(h, total, 0.50, out->max_ns);
	out->p90_ns = quantile(h, total, 0.90, out->max_ns);
	out->p99_ns = quantile(h, total, 0.99, out->max_ns);
	out->p999_ns = quantile(h, total, 0.999, out->max_ns);
}

/* E's recording pads merged into *SUM (allocated); false if none record. */
static bool element_lat(const struct px_element *e, struct px__lat **sum)
{
	*sum = NULL;
	for (unsigned i = 0; i < e->n_sink; i++) {
		const struct px_pad *pad = e->sink[i];

		if (!pad->lat_rec || !pad->lat)
			continue;
		if (!*sum) {
			*sum = calloc(1, sizeof(**sum));
			if (!*sum)
				return false;
		}
		lat_merge(*sum, pad->lat);
	}
	return *sum != NULL;
}

PX_API int px_element_latency(const struct px_element *e,
			      struct px_latency *out)
{
	struct px__lat *sum;

	if (!e || !out)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	if (!element_lat(e, &sum))
		return -ENOENT;
	lat_summary(sum, out);
	free(sum);
	return 0;
}

PX_API int px_pipeline_set_latency(struct px_pipeline *p,
				   enum px_latency_mode mode, unsigned sample)
{
	if (!p || (unsigned)mode > PX_LATENCY_OFF)
		return -EINVAL;
	if (px_pipeline_state(p) > PX_STATE_READY)
		return -EBUSY;
	p->latency = mode;
	p->latency_sample = sample ? sample : PX_LATENCY_SAMPLE_DEFAULT;
	return 0;
}

int px__latency_env(struct px_pipeline *p, const char *s)
{
	static const char *const names[] = { "sinks", "all", "off" };
	const char *slash = strchr(s, '/');
	size_t n = slash ? (size_t)(slash - s) : strlen(s);
	unsigned long sample = 0;

	if (slash) {
		char *end;

		errno = 0;
		sample = strtoul(slash + 1, &end, 10);
		if (errno || *end || !slash[1] || !sample || sample > 1u << 20)
			return -EINVAL;
	}
	for (unsigned i = 0; i < 3; i++)
		if (strlen(names[i]) == n && !strncmp(s, names[i], n))
			return px_pipeline_set_latency(
				p, (enum px_latency_mode)i, (unsigned)sample);
	return -EINVAL;
}

/* ---- Prometheus text exposition -------------------------------------------- */

/* A label value: backslash, double quote and newline escaped. */
static void label(FILE *f, const char *name, const char *v, bool first)
{
	fprintf(f, "%s%s=\"", first ? "" : ",", name);
	for (; *v; v++) {
		if (*v == '\\' || *v == '"')
			fprintf(f, "\\%c", *v);
		else if (*v == '\n')
			fputs("\\n", f);
		else
			fputc(*v, f);
	}
	fputc('"', f);
}

static void family(FILE *f, const char *name, const char *type,
		   const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* "NAME{pipeline="P"" - the caller adds its labels and the value. */
static void series(FILE *f, const struct px_pipeline *p, const char *name)
{
	fputs(name, f);
	fputc('{', f);
	label(f, "pipeline", p->name, true);
}

/* A uint64_t counter at offset OFF of a stats struct. */
struct counter {
	const char *name, *help;
	size_t off;
	bool seconds; /* the field is ns: written in seconds */
};

/* The counter C of the stats struct ST, as the end of its series line. */
static void counter_value(FILE *f, const struct counter *c, const void *st)
{
	uint64_t v;

	memcpy(&v, (const char *)st + c->off, sizeof(v));
	if (c->seconds)
		fprintf(f, "} %.9f\n", (double)v / 1e9);
	else
		fprintf(f, "} %" PRIu64 "\n", v);
}

/* Per-element counters, in px_element_stats. */
static const struct counter elem_metrics[] = {
	{ "px_element_work_calls_total", "Calls of the element's work().",
	  offsetof(struct px_element_stats, work_calls), false },
	{ "px_element_work_seconds_total",
	  "Time in work(), estimated from every 64th call.",
	  offsetof(struct px_element_stats, work_ns), true },
	{ "px_element_errors_total", "Errors the element posted.",
	  offsetof(struct px_element_stats, errors), false },
};

static void write_elements(FILE *f, const struct px_pipeline *p)
{
	for (size_t m = 0; m < sizeof(elem_metrics) / sizeof(elem_metrics[0]);
	     m++) {
		family(f, elem_metrics[m].name, "counter", elem_metrics[m].help);
		for (unsigned i = 0; i < p->n_elems; i++) {
			const struct px_element *e = p->elems[i];
			struct px_element_stats st;

			px_element_stats(e, &st);
			series(f, p, elem_metrics[m].name);
			label(f, "element", e->name, false);
			label(f, "factory", e->cls->name, false);
			counter_value(f, &elem_metrics[m], &st);
		}
	}
}

/* Per-pad counters: the field's offset in struct px_pad. */
static const struct {
	const char *name, *help;
	size_t off;
} pad_metrics[] = {
	{ "px_pad_buffers_total", "Buffers through the pad.",
	  offsetof(struct px_pad, buffers) },
	{ "px_pad_bytes_total", "Bytes of the buffers through the pad.",
	  offsetof(struct px_pad, bytes) },
	{ "px_pad_events_total", "Events through the pad (CAPS, EOS).",
	  offsetof(struct px_pad, events) },
	{ "px_pad_dropped_items_total",
	  "Items a refused push released (downstream at EOS, not linked, "
	  "pipeline stopping).",
	  offsetof(struct px_pad, dropped) },
};

static void write_pads(FILE *f, const struct px_pipeline *p)
{
	for (size_t m = 0; m < sizeof(pad_metrics) / sizeof(pad_metrics[0]);
	     m++) {
		family(f, pad_metrics[m].name, "counter", pad_metrics[m].help);
		for (unsigned i = 0; i < p->n_elems; i++) {
			const struct px_element *e = p->elems[i];

			for (unsigned j = 0; j < e->n_pads; j++) {
				const struct px_pad *pad = e->pads[j];
				const _Atomic uint64_t *v =
					(const void *)((const char *)pad +
						       pad_metrics[m].off);

				series(f, p, pad_metrics[m].name);
				label(f, "element", e->name, false);
				label(f, "pad", pad->name, false);
				label(f, "direction",
				      pad->dir == PX_PAD_SRC ? "src" : "sink",
				      false);
				fprintf(f, "} %" PRIu64 "\n", px_stat_get(v));
			}
		}
	}
}

/* "element:pad" of a link end, or "(process)" for a far end. */
static void end_name(const struct px_pad *pad, char *buf, size_t len)
{
	if (pad)
		snprintf(buf, len, "%s:%s", pad->elem->name, pad->name);
	else
		snprintf(buf, len, "(process)");
}

static void write_links(FILE *f, const struct px_pipeline *p)
{
	static const char *const names[] = { "px_link_level_items",
					     "px_link_capacity_items",
					     "px_link_high_water_items" };
	static const char *const helps[] = {
		"Items in the link now.", "Items the link holds at most.",
		"Most items the consumer found in the link at once this run."
	};
	struct px_list *pos;
	unsigned crossing = 0;

	for (unsigned m = 0; m < 3; m++) {
		family(f, names[m], "gauge", helps[m]);
		px_list_for_each(pos, &p->links) {
			const struct px_link *l =
				px_list_entry(pos, struct px_link, node);
			char src[PX__NAME_MAX + PX__PAD_NAME_MAX + 2];
			char sink[sizeof(src)];
			uint64_t v;

			if (m == 0)
				v = l->ring.ring ? px_ring_view_count(&l->ring) :
						   0;
			else if (m == 1)
				v = l->capacity;
			else
				v = l->sink ? px_stat_get(&l->sink->level_max) :
					      0;
			end_name(l->src, src, sizeof(src));
			end_name(l->sink, sink, sizeof(sink));
			series(f, p, names[m]);
			label(f, "src", src, false);
			label(f, "sink", sink, false);
			label(f, "kind", px__link_kind_name(l), false);
			fprintf(f, "} %" PRIu64 "\n", v);
		}
	}
	family(f, "px_pipeline_cross_node_links", "gauge",
	       "Links whose ends run on reactors of different NUMA nodes "
	       "(remote memory traffic for one side).");
	px_list_for_each(pos, &p->links) {
		int from, to;

		crossing += px__link_nodes(px_list_entry(pos, struct px_link,
							 node),
					   &from, &to);
	}
	series(f, p, "px_pipeline_cross_node_links");
	fprintf(f, "} %u\n", crossing);
}

static const struct {
	const char *name, *type, *help;
} pool_metrics[] = {
	{ "px_pool_loans_total", "counter", "Slots lent." },
	{ "px_pool_exhausted_total", "counter", "Loans that found no slot free." },
	{ "px_pool_copied_bytes_total", "counter",
	  "Bytes any copy path moved into or out of the pool." },
	{ "px_pool_slots_in_use", "gauge", "Slots lent now." },
	{ "px_pool_high_water_slots", "gauge",
	  "Most slots lent at once this run." },
	{ "px_pool_slots", "gauge", "Slots in the pool." },
	{ "px_pool_slot_size_bytes", "gauge", "Bytes per slot." },
};

static void write_pools(FILE *f, struct px_pipeline *p)
{
	struct px_list *head, *pos;

	pthread_mutex_lock(&p->mu);
	/* This run's pools, or after it the snapshots of the last run's. */
	head = px_list_empty(&p->pools) ? &p->old_pools : &p->pools;
	for (unsigned m = 0; m < sizeof(pool_metrics) / sizeof(pool_metrics[0]);
	     m++) {
		family(f, pool_metrics[m].name, pool_metrics[m].type,
		       pool_metrics[m].help);
		px_list_for_each(pos, head) {
			const struct px__epool *ep =
				px_list_entry(pos, struct px__epool, node);
			struct px_pool_stats st = ep->snap;
			uint64_t v[] = { 0, 0, 0, 0, 0, ep->slots,
					 ep->slot_size };

			if (ep->pool)
				px_pool_stats(ep->pool, &st);
			v[0] = st.loans;
			v[1] = st.exhausted;
			v[2] = st.bytes_copied;
			v[3] = st.in_use;
			v[4] = st.high_water;
			series(f, p, pool_metrics[m].name);
			label(f, "pool", ep->name, false);
			label(f, "element", ep->owner ? ep->owner->name : "",
			      false);
			fprintf(f, "} %" PRIu64 "\n", v[m]);
		}
	}
	pthread_mutex_unlock(&p->mu);
}

/* Per-reactor counters, in px_reactor_stats. */
static const struct counter reactor_metrics[] = {
	{ "px_reactor_loop_turns_total", "Turns of the reactor's loop.",
	  offsetof(struct px_reactor_stats, turns), false },
	{ "px_reactor_tasks_total", "Tasks run (element work among them).",
	  offsetof(struct px_reactor_stats, tasks), false },
	{ "px_reactor_submits_total",
	  "Kernel entries to submit or wait (io_uring_enter, epoll_wait).",
	  offsetof(struct px_reactor_stats, submits), false },
	{ "px_reactor_sqes_total", "Operations started (SQEs on io_uring).",
	  offsetof(struct px_reactor_stats, sqes), false },
	{ "px_reactor_cqes_total", "Operation completions handled (CQEs).",
	  offsetof(struct px_reactor_stats, cqes), false },
	{ "px_reactor_sleeps_total", "Turns that slept in the kernel.",
	  offsetof(struct px_reactor_stats, sleeps), false },
	{ "px_reactor_sleep_seconds_total", "Time asleep waiting for work.",
	  offsetof(struct px_reactor_stats, sleep_ns), true },
	{ "px_reactor_spin_seconds_total",
	  "Time busy-polling for work before sleeping.",
	  offsetof(struct px_reactor_stats, spin_ns), true },
	{ "px_reactor_wakeups_msg_ring_total",
	  "Wakeups other threads sent this reactor by MSG_RING.",
	  offsetof(struct px_reactor_stats, wakeups_msg_ring), false },
	{ "px_reactor_wakeups_eventfd_total",
	  "Wakeups other threads sent this reactor by eventfd.",
	  offsetof(struct px_reactor_stats, wakeups_eventfd), false },
	{ "px_reactor_posts_total", "Tasks posted from other threads.",
	  offsetof(struct px_reactor_stats, posts), false },
};

static void write_reactors(FILE *f, const struct px_pipeline *p)
{
	for (size_t m = 0;
	     m < sizeof(reactor_metrics) / sizeof(reactor_metrics[0]); m++) {
		family(f, reactor_metrics[m].name, "counter",
		       reactor_metrics[m].help);
		for (unsigned i = 0; i < p->n_reactors; i++) {
			struct px_reactor_stats st;

			px_reactor_stats(p->reactors[i], &st);
			series(f, p, reactor_metrics[m].name);
			label(f, "reactor", px_reactor_name(p->reactors[i]),
			      false);
			label(f, "backend", px_backend_name(st.backend), false);
			counter_value(f, &reactor_metrics[m], &st);
		}
	}
}

/* Histogram buckets exported: 2^k ns, k in [LE_FIRST, LE_LAST] (256 ns to
 * 68.7 s), each the exact edge of a histogram bucket. */
#define LE_FIRST 8u
#define LE_LAST 36u

/* "NAME{pipeline=..,element=..,pad=.." of PAD: the caller ends it. */
static void pad_series(FILE *f, const struct px_pipeline *p, const char *name,
		       const struct px_pad *pad)
{
	series(f, p, name);
	label(f, "element", pad->elem->name, false);
	label(f, "pad", pad->name, false);
}

/* The sink pads that record latency, in element order, or NULL after the
 * last: *I and *J walk p->elems and their sink pads. */
static const struct px_pad *next_recording(const struct px_pipeline *p,
					   unsigned *i, unsigned *j)
{
	for (; *i < p->n_elems; (*i)++, *j = 0) {
		const struct px_element *e = p->elems[*i];

		while (*j < e->n_sink) {
			const struct px_pad *pad = e->sink[(*j)++];

			if (pad->lat_rec && pad->lat)
				return pad;
		}
	}
	return NULL;
}

static void write_latency(FILE *f, const struct px_pipeline *p)
{
	const struct px_pad *pad;
	unsigned i = 0, j = 0;

	family(f, "px_latency_seconds", "histogram",
	       "Time from a source's push of a buffer to its pull here.");
	while ((pad = next_recording(p, &i, &j))) {
		uint64_t cum = 0;
		unsigned b = 0;

		for (unsigned k = LE_FIRST; k <= LE_LAST; k++) {
			/* buckets wholly below 2^k ns */
			for (; b < PX__LAT_BUCKETS &&
			       px__lat_lower(b) < (1ull << k);
			     b++)
				cum += px_stat_get(&pad->lat->b[b]);
			pad_series(f, p, "px_latency_seconds_bucket", pad);
			fprintf(f, ",le=\"%.9g\"} %" PRIu64 "\n",
				(double)(1ull << k) / 1e9, cum);
		}
		for (; b < PX__LAT_BUCKETS; b++)
			cum += px_stat_get(&pad->lat->b[b]);
		pad_series(f, p, "px_latency_seconds_bucket", pad);
		fprintf(f, ",le=\"+Inf\"} %" PRIu64 "\n", cum);
		pad_series(f, p, "px_latency_seconds_sum", pad);
		fprintf(f, "} %.9f\n",
			(double)px_stat_get(&pad->lat->sum_ns) / 1e9);
		pad_series(f, p, "px_latency_seconds_count", pad);
		fprintf(f, "} %" PRIu64 "\n", cum);
	}
}

/* The same histograms as quantiles (a Prometheus summary), exact to a
 * bucket of the fine histogram: what px-inspect --running shows. */
static void write_quantiles(FILE *f, const struct px_pipeline *p)
{
	static const double qs[] = { 0.5, 0.9, 0.99, 0.999 };
	const char *name = "px_latency_quantiles_seconds";
	const struct px_pad *pad;
	unsigned i = 0, j = 0;

	family(f, name, "summary",
	       "Source-to-pad latency quantiles (upper bucket edges, at most "
	       "6.25% over).");
	while ((pad = next_recording(p, &i, &j))) {
		struct px_latency l;
		uint64_t v[4];

		lat_summary(pad->lat, &l);
		v[0] = l.p50_ns;
		v[1] = l.p90_ns;
		v[2] = l.p99_ns;
		v[3] = l.p999_ns;
		for (unsigned k = 0; k < 4; k++) {
			pad_series(f, p, name, pad);
			fprintf(f, ",quantile=\"%g\"} %.9f\n", qs[k],
				(double)v[k] / 1e9);
		}
		pad_series(f, p, "px_latency_quantiles_seconds_sum", pad);
		fprintf(f, "} %.9f\n", (double)l.sum_ns / 1e9);
		pad_series(f, p, "px_latency_quantiles_seconds_count", pad);
		fprintf(f, "} %" PRIu64 "\n", l.count);
	}
}

PX_API int px_pipeline_write_metrics(const struct px_pipeline *p, FILE *f)
{
	if (!p || !f)
		return -EINVAL;
	family(f, "px_pipeline_playing_seconds_total", "counter",
	       "Time the pipeline spent PLAYING in this run.");
	series(f, p, "px_pipeline_playing_seconds_total");
	fprintf(f, "} %.9f\n", px_pipeline_seconds(p));
	write_elements(f, p);
	write_pads(f, p);
	write_links(f, p);
	write_pools(f, (struct px_pipeline *)p);
	write_reactors(f, p);
	write_latency(f, p);
	write_quantiles(f, p);
	return ferror(f) ? -EIO : 0;
}
