// SPDX-License-Identifier: MIT
/*
 * scen_memory.c - the memory scenario: the same pipelines with their pools
 * in reserved 2 MiB huge pages (the Parallax column), in 4 KiB pages and in
 * transparent huge pages, run alternately in one process run:
 *
 *   filesrc ! fakesink at 1 MiB blocks (the kernel copies every byte of a
 *   page-cache file into the slots), GB/s;
 *   fakesrc ! identity ! fakesink at 64 KiB (nothing touches the payload,
 *   as in the chain scenario), buffers/s.
 *
 * Each configuration is px-launch --memory KIND,require, so a run that did
 * not get its pages fails instead of measuring the wrong thing. As root the
 * scenario reserves the 2 MiB pages it needs (/proc/sys/vm/nr_hugepages)
 * for its run and gives them back; elsewhere the 2 MiB rows say why they
 * are not available, as do the THP rows where the kernel's THP mode is
 * "never".
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>
#include <unistd.h>

#include "bench.h"

/* A hung run fails after this long (--quick: 30 s, so CI fails fast). */
#define TIMEOUT_S (run->quick ? 30.0 : 300.0)

#define NR_HUGEPAGES "/proc/sys/vm/nr_hugepages"
/* One pool at a time: fakesrc's 1024 x 64 KiB or filesrc's 64 x 1 MiB,
 * 64 MiB plus a header page each, so 33 pages; some to spare. */
#define PAGES_NEEDED 40

enum cfg { CFG_2M, CFG_4K, CFG_THP, NCFG };

static const char *const cfg_memory[NCFG] = {"hugetlb,require", "heap",
					     "thp,require"};
static const char *const cfg_impl[NCFG] = {"parallax", "parallax-4k",
					  "parallax-thp"};
static const char *const cfg_pages[NCFG] = {"2 MiB pages", "4 KiB pages",
					   "transparent huge pages"};

struct mem_arg {
	const struct bench_ctx *ctx;
	enum cfg cfg;
	bool file; /* the file pipeline, else the chain */
	uint64_t bytes, buffers;
	const char *launch; /* without --memory */
	const char *missing; /* why this configuration cannot run, or NULL */
};

static long read_long(const char *path, const char *key)
{
	char line[256];
	long v = -1;
	FILE *f = fopen(path, "re");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!key || !strncmp(line, key, strlen(key))) {
			v = strtol(line + (key ? strlen(key) : 0), NULL, 10);
			break;
		}
	fclose(f);
	return v;
}

static bool write_long(const char *path, long v)
{
	FILE *f = fopen(path, "we");
	bool ok;

	if (!f)
		return false;
	ok = fprintf(f, "%ld\n", v) > 0;
	return fclose(f) == 0 && ok;
}

static long free_huge_pages(void)
{
	return read_long("/proc/meminfo", "HugePages_Free:");
}

/* Reserve PAGES_NEEDED free 2 MiB pages unless they already are; *OLD gets
 * the setting to restore (-1: nothing changed). NULL, or why not. */
static const char *reserve(long *old, char *why, size_t len)
{
	long have = free_huge_pages(), nr = read_long(NR_HUGEPAGES, NULL);

	*old = -1;
	if (have >= PAGES_NEEDED)
		return NULL; /* the administrator reserved them */
	if (nr < 0 || access("/sys/kernel/mm/hugepages/hugepages-2048kB",
			     F_OK) != 0)
		return "this kernel has no 2 MiB huge pages";
	if (geteuid() != 0) {
		bench_snprintf(why, len,
			       "%ld free 2 MiB huge pages, %d needed; not "
			       "root, so none reserved (docs/memory.md)",
			       have < 0 ? 0 : have, PAGES_NEEDED);
		return why;
	}
	if (!write_long(NR_HUGEPAGES, nr + PAGES_NEEDED - have)) {
		bench_snprintf(why, len, "cannot write %s: %s", NR_HUGEPAGES,
			       strerror(errno));
		return why;
	}
	*old = nr;
	if (free_huge_pages() < PAGES_NEEDED) {
		bench_snprintf(why, len,
			       "the kernel reserved only %ld of %d 2 MiB pages "
			       "(memory too fragmented)",
			       free_huge_pages(), PAGES_NEEDED);
		return why;
	}
	return NULL;
}

static int run_one(struct bench_run *run)
{
	struct mem_arg *a = run->arg;
	struct bench_px_stats st;
	char line[PATH_MAX + 256];
	int rc;

	if (a->missing) {
		bench_snprintf(run->why, sizeof(run->why), "%s", a->missing);
		return BENCH_MISSING;
	}
	bench_snprintf(line, sizeof(line), "--memory %s %s",
		       cfg_memory[a->cfg], a->launch);
	rc = bench_run_px_launch(a->ctx, line, TIMEOUT_S, &st, run);
	if (rc != BENCH_OK)
		return rc;
	if (st.sinks != 1 || (a->file && st.sink_bytes != a->bytes) ||
	    (!a->file && st.sink_buffers != a->buffers)) {
		bench_snprintf(run->why, sizeof(run->why),
			       "px-launch stats: fakesink got %llu buffers, "
			       "%llu bytes",
			       (unsigned long long)st.sink_buffers,
			       (unsigned long long)st.sink_bytes);
		return -EIO;
	}
	run->v[0] = a->file ? (double)a->bytes / st.seconds / 1e9 :
			      (double)a->buffers / st.seconds;
	return 0;
}

static int run_case(struct bench_ctx *ctx, struct mem_arg args[NCFG],
		    const char *variant, const char *unit, const char *shape)
{
	static char what[NCFG][700];
	struct bench_case c = {
		.scenario = "memory",
		.variant = variant,
		.nmetrics = 1,
		.metric = {{"throughput", unit, false}},
		.nimpls = NCFG,
	};

	for (unsigned i = 0; i < NCFG; i++) {
		bench_snprintf(what[i], sizeof(what[i]),
			       "px-launch --memory %s --stats-json F %s "
			       "(pools in %s)",
			       cfg_memory[i], shape, cfg_pages[i]);
		c.impl[i] = (struct bench_impl){cfg_impl[i], run_one, &args[i],
						what[i]};
	}
	return bench_case_run(ctx, &c);
}

int bench_scen_memory(struct bench_ctx *ctx)
{
	static struct mem_arg file[NCFG], chain[NCFG];
	static char px_file[PATH_MAX + 128], px_chain[256], shape_file[400],
		shape_chain[256], why_2m[256];
	char path[PATH_MAX], why[512];
	const char *no_2m, *no_thp = NULL;
	uint64_t bytes = ctx->quick ? 256ull << 20 : 1ull << 30;
	uint64_t buffers = ctx->quick ? 20000 : 200000;
	struct statfs sfs;
	long old_nr;
	int rc;

	bench_snprintf(path, sizeof(path), "%s/px-bench-memory.bin",
		       ctx->tmpdir);
	bench_snprintf(bench_cleanup_path, sizeof(bench_cleanup_path), "%s",
		       path);
	bench_progress(ctx, "writing and pre-reading a %llu MiB file",
		       (unsigned long long)(bytes >> 20));
	why[0] = '\0';
	if (bench_make_file(path, bytes, why, sizeof(why)) != 0) {
		fprintf(stderr, "px-bench: memory: %s\n", why);
		unlink(path);
		return -EIO;
	}
	statfs(path, &sfs);
	no_2m = reserve(&old_nr, why_2m, sizeof(why_2m));
	{
		char mode[128] = "";
		FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/enabled",
				"re");

		if (!f || !fgets(mode, sizeof(mode), f) ||
		    strstr(mode, "[never]"))
			no_thp = "the kernel's transparent huge page mode is "
				 "never (or unknown)";
		if (f)
			fclose(f);
	}

	bench_snprintf(px_file, sizeof(px_file),
		       "filesrc location=%s blocksize=1048576 ! fakesink",
		       path);
	bench_snprintf(shape_file, sizeof(shape_file),
		       "filesrc location=F blocksize=1048576 ! fakesink "
		       "(%llu MiB file on %s, pre-read into the page cache; "
		       "GB/s = bytes / stats seconds)",
		       (unsigned long long)(bytes >> 20),
		       bench_fs_name((long)sfs.f_type));
	bench_snprintf(px_chain, sizeof(px_chain),
		       "fakesrc num-buffers=%llu size=65536 filltype=nothing "
		       "! identity ! fakesink",
		       (unsigned long long)buffers);
	bench_snprintf(shape_chain, sizeof(shape_chain),
		       "%s (buffers/s = num-buffers / stats seconds)",
		       px_chain);
	for (unsigned i = 0; i < NCFG; i++) {
		const char *missing = i == CFG_2M  ? no_2m :
				      i == CFG_THP ? no_thp :
						     NULL;

		file[i] = (struct mem_arg){ctx, (enum cfg)i, true, bytes, 0,
					   px_file, missing};
		chain[i] = (struct mem_arg){ctx, (enum cfg)i, false, 0,
					    buffers, px_chain, missing};
	}
	rc = run_case(ctx, file, "file 1MiB", "GB/s", shape_file);
	if (rc == 0)
		rc = run_case(ctx, chain, "chain 64KiB", "buffers/s",
			      shape_chain);
	if (old_nr >= 0 && !write_long(NR_HUGEPAGES, old_nr))
		fprintf(stderr,
			"px-bench: memory: could not give back the huge pages "
			"(%s is %ld + %d): %s\n",
			NR_HUGEPAGES, old_nr, PAGES_NEEDED, strerror(errno));
	unlink(path);
	bench_cleanup_path[0] = '\0';
	return rc;
}
