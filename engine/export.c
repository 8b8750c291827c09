// SPDX-License-Identifier: MIT
/*
 * export.c - the pipeline seen from outside: the --stats-json document, and
 * the graph as Graphviz DOT and as JSON (elements, pads, caps, properties
 * that differ from their defaults, links with their capacity).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bus_int.h"
#include "pipeline_int.h"
#include "px_error.h"

/* A JSON string literal (quotes included): pipeline_int.h. */
void px__json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (const unsigned char *q = (const unsigned char *)s; *q; q++) {
		if (*q == '"' || *q == '\\')
			fprintf(f, "\\%c", *q);
		else if (*q == '\n')
			fputs("\\n", f);
		else if (*q == '\t')
			fputs("\\t", f);
		else if (*q < 0x20)
			fprintf(f, "\\u%04x", *q);
		else
			fputc(*q, f);
	}
	fputc('"', f);
}

/* A DOT string body: quotes and backslashes escaped. */
static void dot_str(FILE *f, const char *s)
{
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fputc('\\', f);
		fputc(*s, f);
	}
}

static void json_pool(FILE *f, const struct px__epool *ep,
		      const struct px_pool_stats *st, bool first)
{
	fprintf(f, "%s{\"name\":", first ? "" : ",");
	px__json_str(f, ep->name);
	fprintf(f,
		",\"slot_size\":%" PRIu32 ",\"slots\":%" PRIu32
		",\"loans\":%" PRIu64 ",\"bytes_copied\":%" PRIu64
		",\"high_water\":%" PRIu32 ",\"in_use\":%" PRIu32
		",\"segment\":\"%s\",\"page\":\"%s\",\"page_size\":%zu"
		",\"node\":%d,\"registered\":%s,\"shareable\":%s,"
		"\"memory\":",
		ep->slot_size, ep->slots, st->loans, st->bytes_copied,
		st->high_water, st->in_use, ep->segment, ep->page,
		ep->page_size, ep->numa_node,
		ep->registered ? "true" : "false",
		ep->shareable ? "true" : "false");
	px__json_str(f, ep->memory);
	fputc('}', f);
}

/* "element:pad" of a link end, as a JSON string. */
static void json_end(FILE *f, const struct px_pad *pad)
{
	char name[PX__NAME_MAX + PX__PAD_NAME_MAX + 2];

	snprintf(name, sizeof(name), "%s:%s", pad ? pad->elem->name : "?",
		 pad ? pad->name : "?");
	px__json_str(f, name);
}

PX_API int px_pipeline_write_stats_json(const struct px_pipeline *p, FILE *f)
{
	struct px_pipeline *mp = (struct px_pipeline *)p;
	struct px_list *pos;
	unsigned crossing = 0;
	bool first = true;

	if (!p || !f)
		return -EINVAL;
	fprintf(f, "{\"seconds\":%.6f,\"elements\":[", px_pipeline_seconds(p));
	for (unsigned i = 0; i < p->n_elems; i++) {
		const struct px_element *e = p->elems[i];
		struct px_element_stats st;

		struct px_latency lat;

		px_element_stats(e, &st);
		fprintf(f, "%s{\"name\":", i ? "," : "");
		px__json_str(f, e->name);
		fputs(",\"factory\":", f);
		px__json_str(f, e->cls->name);
		fprintf(f,
			",\"buffers_in\":%" PRIu64 ",\"buffers_out\":%" PRIu64
			",\"bytes_in\":%" PRIu64 ",\"bytes_out\":%" PRIu64
			",\"events_in\":%" PRIu64 ",\"events_out\":%" PRIu64
			",\"dropped\":%" PRIu64 ",\"work_calls\":%" PRIu64
			",\"work_ns\":%" PRIu64 ",\"errors\":%" PRIu64,
			st.buffers_in, st.buffers_out, st.bytes_in,
			st.bytes_out, st.events_in, st.events_out, st.dropped,
			st.work_calls, st.work_ns, st.errors);
		if (!px_element_latency(e, &lat))
			fprintf(f,
				",\"latency\":{\"count\":%" PRIu64
				",\"unstamped\":%" PRIu64 ",\"p50_ns\":%" PRIu64
				",\"p90_ns\":%" PRIu64 ",\"p99_ns\":%" PRIu64
				",\"p999_ns\":%" PRIu64 ",\"max_ns\":%" PRIu64
				",\"sum_ns\":%" PRIu64 "}",
				lat.count, lat.unstamped, lat.p50_ns, lat.p90_ns,
				lat.p99_ns, lat.p999_ns, lat.max_ns, lat.sum_ns);
		fputc('}', f);
	}
	fputs("],\"pools\":[", f);
	pthread_mutex_lock(&mp->mu);
	px_list_for_each(pos, &mp->old_pools) {
		const struct px__epool *ep =
			px_list_entry(pos, struct px__epool, node);
		json_pool(f, ep, &ep->snap, first);
		first = false;
	}
	px_list_for_each(pos, &mp->pools) {
		const struct px__epool *ep =
			px_list_entry(pos, struct px__epool, node);
		struct px_pool_stats st = ep->snap;

		if (ep->pool)
			px_pool_stats(ep->pool, &st);
		json_pool(f, ep, &st, first);
		first = false;
	}
	pthread_mutex_unlock(&mp->mu);
	fputs("],\"links\":[", f);
	first = true;
	px_list_for_each(pos, &mp->links) {
		const struct px_link *l = px_list_entry(pos, struct px_link,
							node);
		int from, to;
		bool cross = px__link_nodes(l, &from, &to);

		fprintf(f, "%s{\"src\":", first ? "" : ",");
		json_end(f, l->src);
		fputs(",\"sink\":", f);
		json_end(f, l->sink);
		fprintf(f, ",\"kind\":\"%s\",\"src_node\":%d,\"sink_node\":%d,"
			   "\"cross_node\":%s}",
			px__link_kind_name(l), from, to, cross ? "true" : "false");
		crossing += cross;
		first = false;
	}
	fprintf(f, "],\"cross_node_links\":%u}\n", crossing);
	return ferror(f) ? -EIO : 0;
}

/* Properties of E that differ from their defaults, "a=1, b=x" style. */
static void non_default_props(FILE *f, const struct px_element *e,
			      const char *sep, bool json)
{
	bool first = true;

	for (unsigned i = 0; i < e->cls->n_props; i++) {
		const struct px_prop_spec *spec = &e->cls->props[i];
		char val[256];

		if (px__prop_is_default(e, spec))
			continue;
		px__prop_format(spec, e->priv, val, sizeof(val));
		if (json) {
			fprintf(f, "%s", first ? "" : ",");
			px__json_str(f, spec->name);
			fputc(':', f);
			px__json_str(f, val);
		} else {
			fprintf(f, "%s", sep);
			dot_str(f, spec->name);
			fputc('=', f);
			dot_str(f, val);
		}
		first = false;
	}
}

static void caps_text(const struct px_caps *c, char *buf, size_t len)
{
	px_caps_to_string(c, buf, len);
}

static const char *link_kind(const struct px_link *l)
{
	return px__link_kind_name(l);
}

static unsigned link_capacity(const struct px_link *l)
{
	if (l->capacity)
		return l->capacity;
	return l->req_capacity ? l->req_capacity : PX__LINK_DEFAULT_CAPACITY;
}

PX_API int px_pipeline_write_dot(const struct px_pipeline *p, FILE *f)
{
	double secs = p ? px_pipeline_seconds(p) : 0;
	const struct px_list *pos;
	char caps[256];
	int from, to;
	bool cross;

	if (!p || !f)
		return -EINVAL;
	fputs("digraph \"", f);
	dot_str(f, p->name);
	fputs("\" {\n  rankdir=LR;\n  node [shape=record, fontname=\"monospace\"];\n",
	      f);
	for (unsigned i = 0; i < p->n_elems; i++) {
		const struct px_element *e = p->elems[i];

		fprintf(f, "  \"");
		dot_str(f, e->name);
		fputs("\" [label=\"{", f);
		/* Sink pads | name, factory, props | src pads */
		fputs("{", f);
		for (unsigned j = 0; j < e->n_sink; j++) {
			fprintf(f, "%s<", j ? "|" : "");
			dot_str(f, e->sink[j]->name);
			fputs(">", f);
			dot_str(f, e->sink[j]->name);
		}
		fputs("}|", f);
		dot_str(f, e->name);
		fputs("\\n(", f);
		dot_str(f, e->cls->name);
		fputs(")", f);
		if (e->reactor)
			fprintf(f, "\\nreactor %u", e->reactor_index);
		non_default_props(f, e, "\\n", false);
		fputs("|{", f);
		for (unsigned j = 0; j < e->n_src; j++) {
			fprintf(f, "%s<", j ? "|" : "");
			dot_str(f, e->src[j]->name);
			fputs(">", f);
			dot_str(f, e->src[j]->name);
		}
		fputs("}}\"];\n", f);
	}
	px_list_for_each(pos, &p->links) {
		const struct px_link *l = px_list_entry(pos, struct px_link,
							node);
		const struct px_caps *c = l->filter ? l->filter : l->src->caps;

		caps_text(c, caps, sizeof(caps));
		fputs("  \"", f);
		dot_str(f, l->src->elem->name);
		fputs("\":\"", f);
		dot_str(f, l->src->name);
		fputs("\" -> \"", f);
		dot_str(f, l->sink->elem->name);
		fputs("\":\"", f);
		dot_str(f, l->sink->name);
		fprintf(f, "\" [label=\"%u %s\\n", link_capacity(l),
			link_kind(l));
		dot_str(f, caps);
		cross = px__link_nodes(l, &from, &to);
		if (cross) /* remote memory traffic: shown in red */
			fprintf(f, "\\ncross-node %d -> %d", from, to);
		if (l->ring.ring && secs > 0) /* a run: how it flows */
			fprintf(f, "\\nlevel %u, high %u\\n%" PRIu64
				   " buffers, %.0f/s",
				px_ring_view_count(&l->ring),
				(unsigned)px_stat_get(&l->sink->level_max),
				px_stat_get(&l->sink->buffers),
				(double)px_stat_get(&l->sink->buffers) / secs);
		fputs(cross ? "\", color=\"red\", fontcolor=\"red\"];\n" : "\"];\n",
		      f);
	}
	fputs("}\n", f);
	return ferror(f) ? -EIO : 0;
}

PX_API int px_pipeline_write_json(const struct px_pipeline *p, FILE *f)
{
	const struct px_list *pos;
	char caps[256];
	bool first = true;

	if (!p || !f)
		return -EINVAL;
	fputs("{\"name\":", f);
	px__json_str(f, p->name);
	fprintf(f, ",\"state\":\"%s\",\"elements\":[",
		px_state_name(px_pipeline_state(p)));
	for (unsigned i = 0; i < p->n_elems; i++) {
		const struct px_element *e = p->elems[i];

		fprintf(f, "%s{\"name\":", i ? "," : "");
		px__json_str(f, e->name);
		fputs(",\"factory\":", f);
		px__json_str(f, e->cls->name);
		if (e->reactor)
			fprintf(f, ",\"reactor\":%u", e->reactor_index);
		fputs(",\"properties\":{", f);
		non_default_props(f, e, NULL, true);
		fputs("},\"pads\":[", f);
		for (unsigned j = 0; j < e->n_pads; j++) {
			const struct px_pad *pad = e->pads[j];

			caps_text(pad->caps, caps, sizeof(caps));
			fprintf(f, "%s{\"name\":", j ? "," : "");
			px__json_str(f, pad->name);
			fprintf(f, ",\"direction\":\"%s\",\"presence\":\"%s\","
				   "\"caps\":",
				pad->dir == PX_PAD_SRC ? "src" : "sink",
				pad->tmpl->presence == PX_PAD_ALWAYS ?
					"always" :
					"request");
			px__json_str(f, caps);
			fprintf(f, ",\"linked\":%s}",
				pad->link ? "true" : "false");
		}
		fputs("]}", f);
	}
	fputs("],\"links\":[", f);
	px_list_for_each(pos, &p->links) {
		const struct px_link *l = px_list_entry(pos, struct px_link,
							node);

		fprintf(f, "%s{\"src\":", first ? "" : ",");
		first = false;
		px__json_str(f, l->src->elem->name);
		fputs(",\"src_pad\":", f);
		px__json_str(f, l->src->name);
		fputs(",\"sink\":", f);
		px__json_str(f, l->sink->elem->name);
		fputs(",\"sink_pad\":", f);
		px__json_str(f, l->sink->name);
		fprintf(f, ",\"capacity\":%u,\"kind\":\"%s\"", link_capacity(l),
			link_kind(l));
		if (l->filter) {
			caps_text(l->filter, caps, sizeof(caps));
			fputs(",\"filter\":", f);
			px__json_str(f, caps);
		}
		fputs("}", f);
	}
	fputs("]}\n", f);
	return ferror(f) ? -EIO : 0;
}

void px__dot_dump(struct px_pipeline *p, const char *tag)
{
	const char *dir = getenv("PX_DUMP_DOT_DIR");
	char path[4096];
	FILE *f;
	int n, err;

	if (!dir || !*dir)
		return;
	/* Names sort in time order: seconds since the pipeline was made. */
	n = snprintf(path, sizeof(path), "%s/%013.6f-%s.%s.dot", dir,
		     (double)(px__now_ns() - p->t_created) / 1e9, p->name, tag);
	if (n < 0 || (size_t)n >= sizeof(path))
		return;
	f = fopen(path, "we");
	err = f ? px_pipeline_write_dot(p, f) : -errno;
	if (f && fclose(f) && !err)
		err = -errno;
	if (err) {
		if (!p->dot_dump_failed)
			px__bus_postf(p->bus, PX_MSG_WARNING, err, p->name,
				      "PX_DUMP_DOT_DIR: cannot write %s: %s",
				      path, px_strerror(err));
		p->dot_dump_failed = true;
	}
}
