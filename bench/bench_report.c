// SPDX-License-Identifier: MIT
/*
 * bench_report.c - px-bench results: running one case (impls alternate,
 * repetition by repetition), terminal progress, the markdown table, the
 * JSON rows and the gnuplot charts.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "bench.h"

static struct bench_result *add_result(struct bench_ctx *ctx)
{
	struct bench_result *r;

	if (ctx->nres == ctx->capres) {
		size_t cap = ctx->capres ? ctx->capres * 2 : 64;
		struct bench_result *n = realloc(ctx->res, cap * sizeof(*n));

		if (!n)
			return NULL;
		ctx->res = n;
		ctx->capres = cap;
	}
	r = &ctx->res[ctx->nres++];
	memset(r, 0, sizeof(*r));
	r->median = r->min = r->max = NAN;
	return r;
}

void bench_progress(struct bench_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	if (!ctx->tty)
		return;
	fprintf(stderr,
		"\r\033[K[scenario %u/%u, %.0f s] %s #%u: ", ctx->scen_index,
		ctx->scen_total, bench_now() - ctx->t_start,
		ctx->scenario ? ctx->scenario : "", ctx->case_index);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fflush(stderr);
}

void bench_progress_done(struct bench_ctx *ctx)
{
	if (ctx->tty) {
		fprintf(stderr, "\r\033[K");
		fflush(stderr);
	}
}

void bench_not_available(struct bench_ctx *ctx, const char *scenario,
			 const char *variant, const char *reason)
{
	struct bench_result *r = add_result(ctx);

	if (!r)
		return;
	bench_snprintf(r->scenario, sizeof(r->scenario), "%s", scenario);
	bench_snprintf(r->variant, sizeof(r->variant), "%s",
		       variant ? variant : "*");
	bench_snprintf(r->label, sizeof(r->label), "%s", r->variant);
	bench_snprintf(r->impl, sizeof(r->impl), "parallax");
	bench_snprintf(r->why, sizeof(r->why), "%s", reason);
	r->status = BENCH_NA;
	r->group = ctx->next_group++;
}

/* The parallax impl, with the variable set for the px-launch it starts. */
static int run_env(struct bench_run *run)
{
	struct bench_env *e = run->arg;
	int rc;

	run->arg = e->arg;
	setenv(e->var, e->value, 1);
	rc = e->fn(run);
	unsetenv(e->var);
	run->arg = e;
	return rc;
}

struct bench_impl bench_env_impl(const struct bench_impl *parallax,
				 struct bench_env *store, const char *name,
				 const char *var, const char *value,
				 const char *why)
{
	store->fn = parallax->fn;
	store->arg = parallax->arg;
	store->var = var;
	store->value = value;
	bench_snprintf(store->what, sizeof(store->what),
		       "as parallax, with %s=%s in px-launch's environment "
		       "(%s)",
		       var, value, why);
	return (struct bench_impl){ name, run_env, store, store->what };
}

struct bench_impl bench_epoll_impl(const struct bench_impl *parallax,
				   struct bench_env *store)
{
	return bench_env_impl(parallax, store, "parallax-epoll", "PX_BACKEND",
			      "epoll",
			      "the epoll backend; ratio = io_uring rate / "
			      "epoll rate");
}

int bench_case_run(struct bench_ctx *ctx, const struct bench_case *c)
{
	static double v[BENCH_MAX_IMPLS][BENCH_MAX_METRICS][BENCH_MAX_REPS];
	unsigned n[BENCH_MAX_IMPLS] = {0};
	int st[BENCH_MAX_IMPLS] = {0};
	char why[BENCH_MAX_IMPLS][512], note[BENCH_MAX_IMPLS][256];
	unsigned rep, k, m;

	ctx->case_index++;
	if (!ctx->tty)
		fprintf(stderr, "px-bench: [scenario %u/%u, %.0f s] %s %s\n",
			ctx->scen_index, ctx->scen_total,
			bench_now() - ctx->t_start, c->scenario, c->variant);
	memset(why, 0, sizeof(why));
	memset(note, 0, sizeof(note));
	for (rep = 0; rep < ctx->reps && rep < BENCH_MAX_REPS; rep++) {
		for (k = 0; k < c->nimpls; k++) {
			struct bench_run run = {.arg = c->impl[k].arg,
						.rep = rep,
						.quick = ctx->quick};
			int rc;

			if (st[k] != BENCH_OK)
				continue;
			bench_progress(ctx, "%s, run %u/%u, %s", c->variant,
				       rep + 1, ctx->reps, c->impl[k].name);
			rc = c->impl[k].fn(&run);
			if (rc == BENCH_OK) {
				for (m = 0; m < c->nmetrics; m++)
					v[k][m][n[k]] = run.v[m];
				n[k]++;
				if (run.note[0])
					bench_snprintf(note[k], sizeof(note[k]),
						       "%s", run.note);
				continue;
			}
			st[k] = rc == BENCH_NA || rc == BENCH_MISSING
					? rc
					: BENCH_FAILED;
			bench_snprintf(why[k], sizeof(why[k]), "%s",
				       run.why[0]
					       ? run.why
					       : strerror(rc < 0 ? -rc : EIO));
			if (st[k] == BENCH_FAILED) {
				ctx->failed = true;
				bench_progress_done(ctx);
				fprintf(stderr,
					"px-bench: %s %s: %s FAILED: %s\n",
					c->scenario, c->variant,
					c->impl[k].name, why[k]);
			}
		}
	}
	bench_progress_done(ctx);
	for (m = 0; m < c->nmetrics; m++) {
		unsigned group = ctx->next_group++;

		for (k = 0; k < c->nimpls; k++) {
			struct bench_result *r = add_result(ctx);

			if (!r)
				return -ENOMEM;
			bench_snprintf(r->scenario, sizeof(r->scenario), "%s",
				       c->scenario);
			bench_snprintf(r->variant, sizeof(r->variant), "%s",
				       c->variant);
			if (c->nmetrics > 1)
				bench_snprintf(r->label, sizeof(r->label),
					       "%s %s", c->variant,
					       c->metric[m].name);
			else
				bench_snprintf(r->label, sizeof(r->label), "%s",
					       c->variant);
			bench_snprintf(r->impl, sizeof(r->impl), "%s",
				       c->impl[k].name);
			bench_snprintf(r->metric, sizeof(r->metric), "%s",
				       c->metric[m].name);
			bench_snprintf(r->unit, sizeof(r->unit), "%s",
				       c->metric[m].unit);
			bench_snprintf(r->chart, sizeof(r->chart), "%s",
				       c->chart ? c->chart : "");
			bench_snprintf(r->series, sizeof(r->series), "%s",
				       c->series ? c->series : "");
			bench_snprintf(r->what, sizeof(r->what), "%s",
				       c->impl[k].what ? c->impl[k].what : "");
			bench_snprintf(r->why, sizeof(r->why), "%s", why[k]);
			bench_snprintf(r->note, sizeof(r->note), "%s", note[k]);
			r->x = c->metric_x[m] != 0 ? c->metric_x[m] : c->x;
			r->lower_better = c->metric[m].lower_better;
			r->group = group;
			r->status = (enum bench_status)st[k];
			r->reps = n[k];
			if (st[k] == BENCH_OK)
				bench_stats(v[k][m], n[k], &r->median, &r->min,
					    &r->max);
		}
	}
	return 0;
}

static void fmt_cell(char *buf, size_t len, const struct bench_result *r)
{
	char a[32], b[32], c[32];

	switch (r->status) {
	case BENCH_OK:
		bench_fmt_value(a, sizeof(a), r->median);
		bench_fmt_value(b, sizeof(b), r->min);
		bench_fmt_value(c, sizeof(c), r->max);
		bench_snprintf(buf, len, "%s (%s–%s)", a, b, c);
		break;
	case BENCH_NA:
		bench_snprintf(buf, len, "not available in this build (%s)",
			       r->why);
		break;
	case BENCH_MISSING:
		bench_snprintf(buf, len, "peer not installed (%s)", r->why);
		break;
	default:
		bench_snprintf(buf, len, "FAILED (%s)", r->why);
		break;
	}
}

/* Footnote number of an impl's exact command, added on first use. */
static unsigned footnote(const char **notes, unsigned *nnotes, unsigned max,
			 const char *what)
{
	unsigned i;

	for (i = 0; i < *nnotes; i++)
		if (strcmp(notes[i], what) == 0)
			return i + 1;
	if (*nnotes == max)
		return 0;
	notes[(*nnotes)++] = what;
	return *nnotes;
}

void bench_report_markdown(const struct bench_ctx *ctx, FILE *f,
			   const char *header)
{
	const char **notes = calloc(ctx->nres + 1, sizeof(*notes));
	unsigned nnotes = 0, g;
	size_t i, j;
	char pxc[700], peer[900], ratio[32];

	fprintf(f, "%s\n", header);
	fprintf(f, "Values: median of the runs (min–max); implementations run "
		   "alternately, "
		   "repetition by repetition, in one process run.\n"
		   "ratio: how many times faster Parallax is than the peer "
		   "(peer time / Parallax time, or Parallax rate / peer rate); "
		   ">1 = Parallax "
		   "faster.\n\n");
	fprintf(f, "| scenario | variant | Parallax | peer | ratio | unit |\n");
	fprintf(f, "|---|---|---|---|---|---|\n");
	for (i = 0; i < ctx->nres; i = j) {
		const struct bench_result *px = NULL;
		unsigned npeers = 0;

		g = ctx->res[i].group;
		for (j = i; j < ctx->nres && ctx->res[j].group == g; j++) {
			if (strcmp(ctx->res[j].impl, "parallax") == 0)
				px = &ctx->res[j];
			else
				npeers++;
		}
		if (px) {
			fmt_cell(pxc, sizeof(pxc), px);
			/* Parallax's own counters (e.g. how often B slept). */
			if (px->status == BENCH_OK && px->note[0]) {
				size_t n = strlen(pxc);

				bench_snprintf(pxc + n, sizeof(pxc) - n,
					       " — last run: %s", px->note);
			}
		} else
			bench_snprintf(pxc, sizeof(pxc), "—");
		if (npeers == 0) {
			fprintf(f, "| %s | %s | %s | — | — | %s |\n",
				ctx->res[i].scenario, ctx->res[i].label, pxc,
				ctx->res[i].unit[0] ? ctx->res[i].unit : "—");
			continue;
		}
		for (size_t k = i; k < j; k++) {
			const struct bench_result *r = &ctx->res[k];
			char cell[700];
			unsigned fn;

			if (r == px)
				continue;
			fn = r->what[0] ? footnote(notes, &nnotes,
						   (unsigned)ctx->nres, r->what)
					: 0;
			fmt_cell(cell, sizeof(cell), r);
			if (fn)
				bench_snprintf(peer, sizeof(peer),
					       "%s [%u]%s%s: %s", r->impl, fn,
					       r->note[0] ? " " : "", r->note,
					       cell);
			else
				bench_snprintf(peer, sizeof(peer), "%s%s%s: %s",
					       r->impl, r->note[0] ? " " : "",
					       r->note, cell);
			if (px && px->status == BENCH_OK &&
			    r->status == BENCH_OK && px->median > 0 &&
			    r->median > 0)
				bench_snprintf(ratio, sizeof(ratio), "%.2fx",
					       r->lower_better
						       ? r->median / px->median
						       : px->median /
								 r->median);
			else
				bench_snprintf(ratio, sizeof(ratio), "—");
			fprintf(f, "| %s | %s | %s | %s | %s | %s |\n",
				r->scenario, r->label, pxc, peer, ratio,
				r->unit);
		}
	}
	if (nnotes) {
		fprintf(f, "\nWhat each peer did:\n\n");
		for (g = 0; g < nnotes; g++)
			fprintf(f, "%u. %s\n", g + 1, notes[g]);
	}
	/* Parallax's own commands, once each. */
	nnotes = 0;
	for (i = 0; i < ctx->nres; i++)
		if (strcmp(ctx->res[i].impl, "parallax") == 0 &&
		    ctx->res[i].what[0])
			footnote(notes, &nnotes, (unsigned)ctx->nres,
				 ctx->res[i].what);
	if (nnotes) {
		fprintf(f, "\nWhat Parallax did:\n\n");
		for (g = 0; g < nnotes; g++)
			fprintf(f, "- %s\n", notes[g]);
	}
	free(notes);
}

static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;

		if (ch == '"' || ch == '\\')
			fprintf(f, "\\%c", ch);
		else if (ch == '\n')
			fputs("\\n", f);
		else if (ch == '\t')
			fputs("\\t", f);
		else if (ch < 0x20)
			fprintf(f, "\\u%04x", ch);
		else
			fputc(ch, f);
	}
	fputc('"', f);
}

static void json_num(FILE *f, double v)
{
	if (isnan(v) || isinf(v))
		fputs("null", f);
	else
		fprintf(f, "%.6g", v);
}

int bench_report_json(const struct bench_ctx *ctx, const char *path)
{
	static const char *status_name[] = {"ok", "not available",
					    "peer not installed", "failed"};
	FILE *f = fopen(path, "w");
	size_t i;

	if (!f)
		return -errno;
	fputs("[\n", f);
	for (i = 0; i < ctx->nres; i++) {
		const struct bench_result *r = &ctx->res[i];

		fputs("  {\"scenario\": ", f);
		json_str(f, r->scenario);
		fputs(", \"variant\": ", f);
		json_str(f, r->variant);
		fputs(", \"impl\": ", f);
		json_str(f, r->impl);
		fputs(", \"metric\": ", f);
		json_str(f, r->metric);
		fputs(", \"value\": ", f);
		json_num(f, r->status == BENCH_OK ? r->median : NAN);
		fputs(", \"unit\": ", f);
		json_str(f, r->unit);
		fputs(", \"min\": ", f);
		json_num(f, r->status == BENCH_OK ? r->min : NAN);
		fputs(", \"max\": ", f);
		json_num(f, r->status == BENCH_OK ? r->max : NAN);
		fprintf(f, ", \"runs\": %u, \"status\": ", r->reps);
		json_str(f, status_name[r->status]);
		if (r->why[0]) {
			fputs(", \"reason\": ", f);
			json_str(f, r->why);
		}
		if (r->note[0]) {
			fputs(", \"note\": ", f);
			json_str(f, r->note);
		}
		if (r->what[0]) {
			fputs(", \"command\": ", f);
			json_str(f, r->what);
		}
		fputs(i + 1 < ctx->nres ? "},\n" : "}\n", f);
	}
	fputs("]\n", f);
	if (fclose(f) != 0)
		return -errno;
	return 0;
}

/* Charts px-bench knows how to draw; scenarios tag cases with these ids. */
#define SIZE_TICS                                                              \
	"(\"64 B\" 64, \"4 KiB\" 4096, \"64 KiB\" 65536, \"1 MiB\" 1048576)"
static const struct chart_def {
	const char *id, *title, *xlabel, *ylabel;
	bool logx, logy;
	const char *xexpr; /* gnuplot expression of x, NULL: column 1 */
	const char *xtics; /* gnuplot xtics, NULL: automatic */
} charts[] = {
	{"chain",
	 "fakesrc ! identity ! fakesink (and with a queue): buffers/s by "
	 "buffer size",
	 "buffer size", "buffers/s", true, true, NULL, SIZE_TICS},
	{"tee",
	 "fakesrc ! tee, 2 branches with queues: buffers/s by buffer size",
	 "buffer size", "buffers/s", true, true, NULL, SIZE_TICS},
	{"file", "file -> fakesink from page cache: GB/s by block size",
	 "block size", "GB/s", true, false, NULL, SIZE_TICS},
	{"latency", "cross-reactor wakeup latency percentiles", "percentile",
	 "latency (us)", false, true, "(-log10(1 - $1 / 100))",
	 "(\"p50\" 0.30103, \"p90\" 1, \"p99\" 2, \"p99.9\" 3)"},
	{"buffer-latency",
	 "4 KiB buffers, source push to sink: latency percentiles",
	 "percentile", "latency (us)", false, true, "(-log10(1 - $1 / 100))",
	 "(\"p50\" 0.30103, \"p99\" 2, \"p99.9\" 3)"},
};

static int plot_one(const struct bench_ctx *ctx, const struct chart_def *cd,
		    const char *dir, const char *gnuplot)
{
	char dat[600], gp[600], png[600], key[128], keys[16][128];
	unsigned nkeys = 0, k;
	size_t i;
	FILE *f;
	struct bench_proc_result pr;
	int rc;

	for (i = 0; i < ctx->nres; i++) {
		const struct bench_result *r = &ctx->res[i];

		if (strcmp(r->chart, cd->id) != 0 || r->status != BENCH_OK)
			continue;
		bench_snprintf(key, sizeof(key), "%s %s", r->impl, r->series);
		for (k = 0; k < nkeys && strcmp(keys[k], key) != 0; k++)
			;
		if (k == nkeys && nkeys < 16)
			bench_snprintf(keys[nkeys++], sizeof(keys[0]), "%s",
				       key);
	}
	if (nkeys == 0)
		return 0;
	bench_snprintf(dat, sizeof(dat), "%s/%s.dat", dir, cd->id);
	bench_snprintf(gp, sizeof(gp), "%s/%s.gp", dir, cd->id);
	bench_snprintf(png, sizeof(png), "%s/%s.png", dir, cd->id);
	f = fopen(dat, "w");
	if (!f)
		return -errno;
	for (k = 0; k < nkeys; k++) {
		fprintf(f, "# %s\n", keys[k]);
		for (i = 0; i < ctx->nres; i++) {
			const struct bench_result *r = &ctx->res[i];

			bench_snprintf(key, sizeof(key), "%s %s", r->impl,
				       r->series);
			if (strcmp(r->chart, cd->id) != 0 ||
			    strcmp(key, keys[k]) != 0)
				continue;
			/* A point that did not run breaks the line (one blank
			 * line), so no line is drawn through it. */
			if (r->status == BENCH_OK)
				fprintf(f, "%g %g %g %g\n", r->x, r->median,
					r->min, r->max);
			else
				fputs("\n", f);
		}
		fputs("\n\n", f);
	}
	fclose(f);
	f = fopen(gp, "w");
	if (!f)
		return -errno;
	fprintf(f,
		"set terminal pngcairo size 960,600 noenhanced\nset output "
		"'%s'\n",
		png);
	fprintf(f, "set title '%s'\nset xlabel '%s'\nset ylabel '%s'\n",
		cd->title, cd->xlabel, cd->ylabel);
	fprintf(f,
		"set grid\nset key below\nset offsets graph 0.03, graph 0.03, "
		"0, 0\n%s%s",
		cd->logx ? "set logscale x 2\n" : "",
		cd->logy ? "set logscale y 10\n" : "set yrange [0:*]\n");
	if (cd->xtics)
		fprintf(f, "set xtics %s\n", cd->xtics);
	fprintf(f, "plot ");
	for (k = 0; k < nkeys; k++)
		fprintf(f,
			"%s'%s' index %u using %s:2:3:4 with yerrorlines lw 2 "
			"title '%s'",
			k ? ", \\\n     " : "", dat, k,
			cd->xexpr ? cd->xexpr : "1", keys[k]);
	fputs("\n", f);
	fclose(f);
	{
		char *argv[] = {(char *)gnuplot, gp, NULL};

		rc = bench_proc_run(argv, 30, &pr);
	}
	if (rc)
		return rc;
	if (pr.exit_code != 0) {
		char why[512];

		bench_proc_why(why, sizeof(why), "gnuplot", &pr);
		fprintf(stderr, "px-bench: plot %s: %s\n", cd->id, why);
		rc = -EIO;
	} else {
		fprintf(stderr, "px-bench: wrote %s\n", png);
	}
	bench_proc_result_free(&pr);
	return rc;
}

int bench_report_plot(const struct bench_ctx *ctx, const char *dir)
{
	char gnuplot[512];
	size_t i;
	int rc = 0;

	if (!bench_which("gnuplot", gnuplot, sizeof(gnuplot))) {
		fprintf(stderr, "px-bench: --plot: gnuplot not installed "
				"(apt-get install gnuplot-nox)\n");
		return -ENOENT;
	}
	if (mkdir(dir, 0755) < 0 && errno != EEXIST) {
		fprintf(stderr, "px-bench: --plot: mkdir %s: %s\n", dir,
			strerror(errno));
		return -errno;
	}
	for (i = 0; i < sizeof(charts) / sizeof(charts[0]); i++) {
		int r = plot_one(ctx, &charts[i], dir, gnuplot);

		if (r)
			rc = r;
	}
	return rc;
}
