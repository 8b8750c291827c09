/* SPDX-License-Identifier: MIT */
/*
 * px_segment.h - memory segments: one interface over heap, memfd, hugetlb and
 * mapped-file backends. Every segment starts with a header (magic, version,
 * layout size) so that a second mapper can validate what it maps.
 * Stability: public API, changed only with the ABI version (px_plugin.h).
 */
#ifndef PX_SEGMENT_H
#define PX_SEGMENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "px_base.h"

PX_EXTERN_C_BEGIN

/* Which backend provides the memory. */
enum px_segment_kind {
	PX_SEGMENT_HEAP,    /* anonymous private mapping (the default) */
	PX_SEGMENT_MEMFD,   /* memfd, sealed against shrink/grow: shareable */
	PX_SEGMENT_HUGETLB, /* huge pages, fallback 1G -> 2M -> THP -> 4K */
	PX_SEGMENT_FILE,    /* shared mapping of a file: survives a restart */
};

/* The page size a segment actually got. */
enum px_page_kind {
	PX_PAGE_4K,  /* base pages */
	PX_PAGE_THP, /* base pages, madvise(MADV_HUGEPAGE) asked for THP */
	PX_PAGE_2M,  /* hugetlb 2 MiB pages, reserved up front */
	PX_PAGE_1G,  /* hugetlb 1 GiB pages, reserved up front */
};

/* Bytes of the header at offset 0 of every segment. */
#define PX_SEGMENT_HEADER_SIZE 64u

/*
 * Segment configuration. Zero is the default of every field: a zeroed
 * config binds to no NUMA node. Binding takes numa_bind = true and
 * numa_node >= 0 (numa_node alone does nothing, so a zeroed or forgotten
 * config never lands on node 0 by accident; -1 with numa_bind: no binding).
 */
struct px_segment_config {
	enum px_segment_kind kind; /* default PX_SEGMENT_HEAP */
	size_t size;		   /* bytes, header included; rounded up to
				      the page size; ignored on file reopen */
	const char *name;      /* memfd name (debugging); NULL: "parallax" */
	size_t huge_page_size; /* hugetlb: 0 best available, 2 MiB, 1 GiB */
	bool require_huge;     /* hugetlb: fail instead of falling back
				  (0: any hugetlb size; else exactly that) */
	bool shareable;	       /* hugetlb: back it with a memfd (has an fd) */
	bool populate;	       /* prefault every page now (errors, not
				  SIGBUS, if memory is short) */
	bool transparent_huge; /* heap, memfd: ask for transparent huge
				  pages (a PMD-aligned mapping advised
				  MADV_HUGEPAGE); page says PX_PAGE_THP, or
				  PX_PAGE_4K when the kernel's THP mode
				  refuses (fallback_err says so) */
	const char *path;      /* file: path of the backing file */
	bool create;	       /* file: create it (must not exist); false:
				  reopen an existing one and validate it */
	bool numa_bind;	       /* bind to numa_node (when >= 0) */
	int numa_node;	       /* with numa_bind: the node; -1: none */
};

/*
 * A mapped segment. All fields are read-only for users.
 */
struct px_segment {
	/* read-only */
	void *base;  /* start of the mapping; the header is here */
	size_t size; /* bytes mapped (header included) */
	int fd;	     /* memfd or file descriptor, -1 for heap */
	enum px_segment_kind kind; /* as asked: a hugetlb segment that fell
				      back stays HUGETLB, page tells */
	enum px_page_kind page;	   /* what the backend actually got */
	size_t page_size;	   /* 4096, 2 MiB or 1 GiB (THP: 2 MiB) */
	int numa_node;		   /* node bound to, -1 when not bound */
	bool readonly;		   /* mapped with px_segment_map_fd(readonly) */
	bool mapped_readonly;	   /* the whole mapping is PROT_READ (from a
				      read-only fd): only a remote pool
				      handle can use it */
	bool created; /* false when mapped from an existing fd/file */
	int fallback_err; /* why the segment got smaller pages than asked
			     (hugetlb, or transparent_huge), else 0:
			     -ENOMEM not enough free huge pages reserved,
			     -EOPNOTSUPP no such page size or THP mode off,
			     other -errno from the failed mapping */
};

/*
 * px_segment_create - map a new segment (or reopen a file segment).
 * @cfg: configuration; borrowed, not kept (strings are copied or used once).
 * @out: on success receives the segment (transfer full: destroy it with
 *       px_segment_destroy()); untouched on error.
 * A created segment has its header written (magic, version, layout size);
 * a reopened file segment has its header validated. Hugetlb pages are
 * reserved at mmap time and prefaulted (never MAP_NORESERVE), so a short
 * supply shows here as a fallback or -ENOMEM, never as a SIGBUS later.
 * Returns 0, or:
 *   -EINVAL  bad config (size 0, unknown kind, huge_page_size not 0/2M/1G,
 *            file without path, numa_node < -1), or a reopened file whose
 *            header has the wrong magic, version or layout size;
 *   -ENODEV  numa_node names a node that does not exist;
 *   -EOPNOTSUPP require_huge and the kernel has no such huge page size;
 *   -ENOMEM  out of memory, or require_huge and not enough free huge pages;
 *   -EEXIST  file create and the path exists; -ENOENT reopen and it does not;
 *   other -errno from memfd_create/open/ftruncate/fallocate/mmap/mbind.
 * Nothing stays mapped or open on error.
 * Thread: any.
 */
PX_API int px_segment_create(const struct px_segment_config *cfg,
			     struct px_segment **out);

/*
 * px_segment_map_fd - map a segment that another process (or this one)
 * created, from its memfd or file descriptor, and validate its header.
 * @fd: borrowed (transfer none); the segment keeps its own dup. Open
 *      read-write, a read-only consumer still writes the pool's reference
 *      counts and free bitmap when it releases (px_pool_attach). Open
 *      read-only (O_RDONLY, e.g. a reopened /proc/self/fd/N), the whole
 *      segment is mapped PROT_READ and seg->mapped_readonly is set: the
 *      mapper can never write it, and only px_pool_attach_remote() can use
 *      it (releases then travel back to the owner, not into the segment).
 * @readonly: the payload is read-only for this mapper: a pool attached to it
 *      maps its slot area PROT_READ (its shared state stays writable).
 *      Must be true for a read-only fd.
 * @out: receives the segment (transfer full).
 * A memfd must carry F_SEAL_SHRINK (so nobody can truncate it under us).
 * Returns 0, or -EINVAL (too small, not a Parallax segment, wrong magic,
 * version or layout size, heap kind, unsealed memfd), -EBADF, -EACCES (a
 * read-only fd without @readonly), -ENOMEM, other -errno from fstat/mmap. Nothing leaks on error.
 * Thread: any.
 */
PX_API int px_segment_map_fd(int fd, bool readonly, struct px_segment **out);

/*
 * px_segment_destroy - unmap the segment and close its fd.
 * @seg: taken (transfer full); NULL is accepted. Pools carved from it must
 *       be destroyed first. File contents stay on disk.
 * Thread: any, once no other thread uses the segment.
 */
PX_API void px_segment_destroy(struct px_segment *seg);

/*
 * px_segment_sync - write a file segment's dirty pages back (msync MS_SYNC).
 * @seg: borrowed. Other kinds: no-op, returns 0.
 * Returns 0 or -errno from msync. Thread: any.
 */
PX_API int px_segment_sync(struct px_segment *seg);

/*
 * px_segment_query_node - the NUMA node the page at @offset lives on, as the
 * kernel reports it (faults the page in if it is not yet present).
 * @seg: borrowed. @offset: byte offset inside the segment.
 * Returns the node (>= 0), -EINVAL for an offset out of range, -ENOSYS when
 * the kernel has no NUMA support, other -errno from get_mempolicy.
 * Thread: any.
 */
PX_API int px_segment_query_node(const struct px_segment *seg, size_t offset);

/*
 * px_page_kind_name - "4k", "thp", "2m", "1g", or "unknown". Thread: any.
 */
PX_API const char *px_page_kind_name(enum px_page_kind kind);

/*
 * px_segment_fallback_reason - a phrase for seg->fallback_err: "not enough
 * free huge pages are reserved", "the kernel has no such huge page size",
 * ... ("" for 0). Thread: any.
 */
PX_API const char *px_segment_fallback_reason(int fallback_err);

/*
 * px_segment_kind_name - "heap", "memfd", "hugetlb", "file", or "unknown".
 * Thread: any.
 */
PX_API const char *px_segment_kind_name(enum px_segment_kind kind);

PX_EXTERN_C_END

#endif /* PX_SEGMENT_H */
