// SPDX-License-Identifier: MIT
/*
 * launch_stats.c - px-launch's --stats table and progress counters. Element
 * counters come from px_element_stats(); pool counters are only published
 * in the engine's stats JSON, so a small reader takes them from there.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "launch_stats.h"

const char *launch_human_bytes(double bytes, char *buf, size_t len)
{
	static const char *const unit[] = { "B", "kB", "MB", "GB", "TB" };
	unsigned u = 0;

	while (bytes >= 1000.0 && u + 1 < PX_ARRAY_SIZE(unit)) {
		bytes /= 1000.0;
		u++;
	}
	if (u == 0)
		snprintf(buf, len, "%.0f %s", bytes, unit[u]);
	else
		snprintf(buf, len, "%.1f %s", bytes, unit[u]);
	return buf;
}

static bool is_sink(const struct px_element *e)
{
	return px_element_pad_count(e, PX_PAD_SRC) == 0;
}

void launch_stats_sinks(struct px_pipeline *p, uint64_t *buffers,
			uint64_t *bytes)
{
	unsigned n = px_pipeline_element_count(p);

	*buffers = *bytes = 0;
	for (unsigned i = 0; i < n; i++) {
		struct px_element *e = px_pipeline_element_at(p, i);
		struct px_element_stats st;

		if (!is_sink(e))
			continue;
		px_element_stats(e, &st);
		*buffers += st.buffers_in;
		*bytes += st.bytes_in;
	}
}

/* ---- A reader for the "pools" array of the stats JSON --------------------- */

struct pool_row {
	char name[64];
	char segment[16], page[16];
	uint64_t slot_size, slots, loans, bytes_copied, high_water;
	int64_t node;
	bool registered;
};

struct json {
	const char *s;
	size_t pos;
};

static void ws(struct json *j)
{
	while (j->s[j->pos] == ' ' || j->s[j->pos] == '\n' ||
	       j->s[j->pos] == '\t' || j->s[j->pos] == '\r')
		j->pos++;
}

/* A JSON string into OUT (escapes reduced to their character). */
static int jstring(struct json *j, char *out, size_t len)
{
	size_t o = 0;

	ws(j);
	if (j->s[j->pos] != '"')
		return -EIO;
	j->pos++;
	while (j->s[j->pos] && j->s[j->pos] != '"') {
		char c = j->s[j->pos++];

		if (c == '\\' && j->s[j->pos])
			c = j->s[j->pos++];
		if (out && o + 1 < len)
			out[o++] = c;
	}
	if (!j->s[j->pos])
		return -EIO;
	j->pos++;
	if (out && len)
		out[o] = '\0';
	return 0;
}

/* Skip any value: string, number, literal, object or array. */
static int jskip(struct json *j)
{
	int depth = 0;

	ws(j);
	for (;;) {
		char c = j->s[j->pos];

		if (!c)
			return -EIO;
		if (c == '"') {
			if (jstring(j, NULL, 0))
				return -EIO;
		} else if (c == '{' || c == '[') {
			depth++;
			j->pos++;
		} else if (c == '}' || c == ']') {
			if (depth == 0)
				return 0;
			depth--;
			j->pos++;
		} else if (c == ',' && depth == 0) {
			return 0;
		} else {
			j->pos++;
		}
		if (depth == 0) {
			ws(j);
			c = j->s[j->pos];
			if (c == ',' || c == '}' || c == ']')
				return 0;
		}
	}
}

static int pool_object(struct json *j, struct pool_row *row)
{
	char key[32];

	memset(row, 0, sizeof(*row));
	ws(j);
	if (j->s[j->pos++] != '{')
		return -EIO;
	for (;;) {
		uint64_t *num = NULL;

		ws(j);
		if (j->s[j->pos] == '}') {
			j->pos++;
			return 0;
		}
		if (jstring(j, key, sizeof(key)))
			return -EIO;
		ws(j);
		if (j->s[j->pos++] != ':')
			return -EIO;
		ws(j);
		if (!strcmp(key, "name")) {
			if (jstring(j, row->name, sizeof(row->name)))
				return -EIO;
		} else if (!strcmp(key, "segment")) {
			if (jstring(j, row->segment, sizeof(row->segment)))
				return -EIO;
		} else if (!strcmp(key, "page")) {
			if (jstring(j, row->page, sizeof(row->page)))
				return -EIO;
		} else {
			if (!strcmp(key, "node"))
				row->node = strtoll(j->s + j->pos, NULL, 10);
			else if (!strcmp(key, "registered"))
				row->registered = j->s[j->pos] == 't';
			if (!strcmp(key, "slot_size"))
				num = &row->slot_size;
			else if (!strcmp(key, "slots"))
				num = &row->slots;
			else if (!strcmp(key, "loans"))
				num = &row->loans;
			else if (!strcmp(key, "bytes_copied"))
				num = &row->bytes_copied;
			else if (!strcmp(key, "high_water"))
				num = &row->high_water;
			if (num)
				*num = strtoull(j->s + j->pos, NULL, 10);
			if (jskip(j))
				return -EIO;
		}
		ws(j);
		if (j->s[j->pos] == ',')
			j->pos++;
	}
}

/* The rows of "pools":[...] in DOC; *ROWS is malloc'ed. */
static int read_pools(const char *doc, struct pool_row **rows, unsigned *n)
{
	const char *at = strstr(doc, "\"pools\"");
	struct json j = { .s = doc };
	unsigned cap = 0;

	*rows = NULL;
	*n = 0;
	if (!at)
		return 0;
	j.pos = (size_t)(at - doc) + 7;
	ws(&j);
	if (doc[j.pos++] != ':')
		return -EIO;
	ws(&j);
	if (doc[j.pos++] != '[')
		return -EIO;
	for (;;) {
		ws(&j);
		if (doc[j.pos] == ']')
			return 0;
		if (*n == cap) {
			struct pool_row *r;

			cap = cap ? cap * 2 : 4;
			r = realloc(*rows, cap * sizeof(**rows));
			if (!r)
				return -ENOMEM;
			*rows = r;
		}
		if (pool_object(&j, &(*rows)[*n]))
			return -EIO;
		(*n)++;
		ws(&j);
		if (doc[j.pos] == ',')
			j.pos++;
	}
}

/* ---- The table -------------------------------------------------------------- */

static void print_elements(struct px_pipeline *p, double secs, FILE *out)
{
	unsigned n = px_pipeline_element_count(p);

	fprintf(out, "%-16s %-12s %12s %12s %12s %12s %12s %10s\n", "element",
		"factory", "buffers-in", "buffers-out", "bytes-in", "bytes-out",
		"buffers/s", "MB/s");
	for (unsigned i = 0; i < n; i++) {
		struct px_element *e = px_pipeline_element_at(p, i);
		struct px_element_stats st;
		uint64_t bufs, bytes;

		px_element_stats(e, &st);
		bufs = st.buffers_in > st.buffers_out ? st.buffers_in
						      : st.buffers_out;
		bytes = st.bytes_in > st.bytes_out ? st.bytes_in : st.bytes_out;
		fprintf(out,
			"%-16s %-12s %12llu %12llu %12llu %12llu %12.0f %10.1f\n",
			px_element_name(e), px_element_factory(e),
			(unsigned long long)st.buffers_in,
			(unsigned long long)st.buffers_out,
			(unsigned long long)st.bytes_in,
			(unsigned long long)st.bytes_out,
			secs > 0 ? (double)bufs / secs : 0.0,
			secs > 0 ? (double)bytes / secs / 1e6 : 0.0);
	}
}

/* NS as "850 ns", "12.3 us", "4.56 ms" or "1.23 s". */
static const char *human_ns(uint64_t ns, char *buf, size_t len)
{
	if (ns < 1000)
		snprintf(buf, len, "%llu ns", (unsigned long long)ns);
	else if (ns < 1000000)
		snprintf(buf, len, "%.1f us", (double)ns / 1e3);
	else if (ns < 1000000000)
		snprintf(buf, len, "%.2f ms", (double)ns / 1e6);
	else
		snprintf(buf, len, "%.2f s", (double)ns / 1e9);
	return buf;
}

/* Source-to-element latency of every element that records it. */
static void print_latency(struct px_pipeline *p, FILE *out)
{
	unsigned n = px_pipeline_element_count(p);
	bool head = false;

	for (unsigned i = 0; i < n; i++) {
		struct px_element *e = px_pipeline_element_at(p, i);
		struct px_latency l;
		char a[5][24];

		if (px_element_latency(e, &l) || !l.count)
			continue;
		if (!head) {
			fprintf(out, "\n%-16s %12s %10s %10s %10s %10s %10s\n",
				"latency", "measured", "p50", "p90", "p99",
				"p99.9", "max");
			head = true;
		}
		fprintf(out, "%-16s %12llu %10s %10s %10s %10s %10s\n",
			px_element_name(e), (unsigned long long)l.count,
			human_ns(l.p50_ns, a[0], sizeof(a[0])),
			human_ns(l.p90_ns, a[1], sizeof(a[1])),
			human_ns(l.p99_ns, a[2], sizeof(a[2])),
			human_ns(l.p999_ns, a[3], sizeof(a[3])),
			human_ns(l.max_ns, a[4], sizeof(a[4])));
	}
}

int launch_stats_print(struct px_pipeline *p, FILE *out)
{
	double secs = px_pipeline_seconds(p);
	struct pool_row *rows = NULL;
	unsigned n = 0;
	char *doc = NULL;
	size_t size = 0;
	FILE *mem;
	int r;

	fprintf(out, "Statistics after %.3f s:\n", secs);
	print_elements(p, secs, out);
	print_latency(p, out);

	mem = open_memstream(&doc, &size);
	if (!mem)
		return -ENOMEM;
	r = px_pipeline_write_stats_json(p, mem);
	if (fclose(mem) && !r)
		r = -EIO;
	if (!r)
		r = read_pools(doc, &rows, &n);
	if (r) {
		fprintf(out, "(pool statistics unavailable: %s)\n",
			r == -ENOMEM ? "out of memory" : "unreadable");
		goto out;
	}
	fprintf(out, "\n%-16s %10s %8s %12s %14s %11s %-8s %-5s %5s %4s\n",
		"pool", "slot-size", "slots", "loans", "bytes-copied",
		"high-water", "memory", "pages", "node", "reg");
	for (unsigned i = 0; i < n; i++) {
		char node[24];

		if (rows[i].node < 0)
			snprintf(node, sizeof(node), "-");
		else
			snprintf(node, sizeof(node), "%lld",
				 (long long)rows[i].node);
		fprintf(out,
			"%-16s %10llu %8llu %12llu %14llu %11llu %-8s %-5s %5s "
			"%4s\n",
			rows[i].name, (unsigned long long)rows[i].slot_size,
			(unsigned long long)rows[i].slots,
			(unsigned long long)rows[i].loans,
			(unsigned long long)rows[i].bytes_copied,
			(unsigned long long)rows[i].high_water,
			rows[i].segment, rows[i].page, node,
			rows[i].registered ? "yes" : "no");
	}
	if (!n)
		fprintf(out, "(no pools)\n");
	{
		const char *at = strstr(doc, "\"cross_node_links\":");
		unsigned long crossing = at ? strtoul(at + 19, NULL, 10) : 0;

		if (crossing)
			fprintf(out, "\n%lu cross-node link%s: buffers cross "
				     "between NUMA nodes (px-launch --dot shows "
				     "them in red)\n",
				crossing, crossing == 1 ? "" : "s");
	}
out:
	free(rows);
	free(doc);
	return r;
}
