/* SPDX-License-Identifier: MIT */
/*
 * px_segment_int.h - segment internals: the on-memory header and the fixed
 * function set every backend (segment_<kind>.c) implements. Never installed.
 */
#ifndef PX_SEGMENT_INT_H
#define PX_SEGMENT_INT_H

#include <stdint.h>

#include "px_segment.h"

/* "PXSEGMNT" read as a little-endian u64. */
#define PX__SEGMENT_MAGIC   0x544e4d4745535850ull
#define PX__SEGMENT_VERSION 1u

/*
 * The header at offset 0 of every segment, shared by every mapper: no
 * pointers, fixed-width fields only (STYLE rule 14). Written once by the
 * creator before the segment is shared; read-only afterwards.
 */
struct px__segment_hdr {
	uint64_t magic;	      /* PX__SEGMENT_MAGIC */
	uint32_t version;     /* PX__SEGMENT_VERSION */
	uint32_t header_size; /* sizeof(struct px__segment_hdr) */
	uint64_t layout_size; /* bytes of the whole segment */
	uint32_t kind;	      /* enum px_segment_kind of the creator */
	uint32_t page;	      /* enum px_page_kind the creator got */
	uint64_t page_size;   /* bytes per page */
	uint8_t reserved[24];
};

_Static_assert(sizeof(struct px__segment_hdr) == PX_SEGMENT_HEADER_SIZE,
	       "the segment header is exactly one cache line");

/*
 * Backend function set (STYLE rule 16). Each maps @size bytes (already
 * rounded to base pages; hugetlb rounds further) into @seg, binds it to
 * cfg->numa_node before the first touch when that is >= 0, and fills base,
 * size, fd, page and page_size. It does not write the header. On error it
 * leaves nothing mapped or open and returns -errno.
 */
int px__segment_heap_map(const struct px_segment_config *cfg, size_t size,
			 struct px_segment *seg);
int px__segment_memfd_map(const struct px_segment_config *cfg, size_t size,
			  struct px_segment *seg);
int px__segment_hugetlb_map(const struct px_segment_config *cfg, size_t size,
			    struct px_segment *seg);
/* Transparent huge pages (segment_hugetlb.c): private anonymous, or a
 * sealed memfd; -EOPNOTSUPP when the kernel's THP mode is off for it. */
int px__segment_thp_private(const struct px_segment_config *cfg,
			    size_t size, struct px_segment *seg);
int px__segment_thp_shared(const struct px_segment_config *cfg, size_t size,
			   struct px_segment *seg);
/* File: creates (cfg->create) or reopens; a reopen sets seg->created false. */
int px__segment_file_map(const struct px_segment_config *cfg, size_t size,
			 struct px_segment *seg);

/*
 * Map @size bytes read-write: of @fd shared, or anonymous and private when
 * @fd < 0; bind them to @cfg->numa_node when it is >= 0, and fill @seg
 * (4 KiB pages). On error nothing stays mapped; @fd stays open either way
 * (the caller owns it).
 */
int px__segment_map(const struct px_segment_config *cfg, int fd, size_t size,
		    struct px_segment *seg);

/* Base page size of the machine (sysconf, cached). */
size_t px__page_size(void);

/* madvise(MADV_POPULATE_WRITE): prefault, -errno instead of SIGBUS. */
int px__segment_populate(void *addr, size_t len);

/* Add F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL to a sized memfd. */
int px__segment_seal(int fd);

/* Validate the header of a mapping of @size bytes; 0 or -EINVAL. */
int px__segment_check_header(const void *base, size_t size);

/* NUMA (numa_libnuma.c or numa_sys.c, chosen by PX_HAVE_LIBNUMA). */
/* 0 if @node exists, -ENODEV if not, -ENOSYS without NUMA support. */
int px__numa_node_check(int node);
/* Bind [addr, addr+len) to @node (MPOL_BIND, move what is present). */
int px__numa_bind(void *addr, size_t len, int node);
/* Node holding the page at @addr, or -errno. */
int px__numa_node_of(const void *addr);

#endif /* PX_SEGMENT_INT_H */
