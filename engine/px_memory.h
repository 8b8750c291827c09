/* SPDX-License-Identifier: MIT */
/*
 * px_memory.h - the memory a pipeline's pools live in: heap, transparent or
 * reserved huge pages, a memfd, or a file; chosen for a whole pipeline
 * (px_pipeline_set_memory(), `px-launch --memory`) and per element (every
 * element's `memory` property, which overrides the pipeline's choice for
 * the pools that element makes). docs/memory.md is the user's guide.
 * Stability: public API, changed only with the ABI version (px_plugin.h).
 */
#ifndef PX_MEMORY_H
#define PX_MEMORY_H

#include <stdbool.h>
#include <stddef.h>

#include "px_base.h"

PX_EXTERN_C_BEGIN

/*
 * Kinds, with their text in launch strings and --memory. Pools whose
 * buffers reach another process (an ipcsink downstream) must be shareable:
 * there heap becomes memfd, thp a memfd with THP, and file is refused with
 * require (else memfd, with a WARNING); hugetlb stays hugetlb, in a memfd.
 */
enum px_memory_kind {
	PX_MEMORY_AUTO = 0,   /* "auto": an element follows its pipeline; a
				 pipeline uses heap, or shared huge pages
				 where buffers leave the process */
	PX_MEMORY_HEAP,	      /* "heap": anonymous, 4 KiB pages */
	PX_MEMORY_THP,	      /* "thp": anonymous, transparent huge pages
				 where the kernel's THP mode allows */
	PX_MEMORY_MEMFD,      /* "memfd": a sealed memfd, 4 KiB pages */
	PX_MEMORY_HUGETLB,    /* "hugetlb": reserved 2 MiB pages; falls back
				 to THP, then 4 KiB */
	PX_MEMORY_HUGETLB_1G, /* "hugetlb-1g": reserved 1 GiB pages; falls
				 back to 2 MiB, THP, 4 KiB */
	PX_MEMORY_FILE,	      /* "file:DIR": a shared mapping of a new file
				 in DIR, removed when the pool is destroyed
				 (left behind by a crash, for inspection) */
};

#define PX_MEMORY_DIR_MAX 256

/*
 * A memory choice. Zero is "auto" with the default of every field:
 *
 *   struct px_memory m = { .kind = PX_MEMORY_HUGETLB, .require = true };
 */
struct px_memory {
	enum px_memory_kind kind;
	bool require;	 /* ",require": fail to start rather than fall back
			    to smaller pages (or, for file, to a memfd) */
	bool numa_fixed; /* ",node=N": bind to numa_node instead of the
			    node of the reactor that fills the pool */
	int numa_node;	 /* with numa_fixed: a node, or -1 ("node=none")
			    for no binding */
	char dir[PX_MEMORY_DIR_MAX]; /* PX_MEMORY_FILE: the directory */
};

/*
 * px_memory_parse - read a memory choice as px-launch and the `memory`
 * property write it: KIND[,require][,node=N|,node=none], KIND one of
 * auto, heap, thp, memfd, hugetlb, hugetlb-1g, file:DIR (DIR runs to the
 * next comma; it must be absolute). E.g. "hugetlb,require",
 * "file:/mnt/nvme/px", "thp,node=1".
 * @text: the text; @out: filled on success, untouched on error.
 * @why, @why_len: on error, a sentence naming the offending word and the
 *                 valid ones (may be NULL).
 * Returns 0 or -EINVAL. Thread: any.
 */
PX_API int px_memory_parse(const char *text, struct px_memory *out,
			   char *why, size_t why_len);

/*
 * px_memory_format - @m as px_memory_parse() reads it ("hugetlb,require").
 * Returns what snprintf() returns. Thread: any.
 */
PX_API int px_memory_format(const struct px_memory *m, char *buf,
			    size_t len);

/* px_memory_kind_name - "auto", "heap", ... ("file" for PX_MEMORY_FILE). */
PX_API const char *px_memory_kind_name(enum px_memory_kind kind);

PX_EXTERN_C_END

#endif /* PX_MEMORY_H */
