// SPDX-License-Identifier: MIT
/*
 * segment.c - the segment interface: config checks, backend dispatch, the
 * shared header, mapping a segment from an fd, teardown.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "px_segment_int.h"

#define PX__SIZE_2M (2ul << 20)
#define PX__SIZE_1G (1ul << 30)

typedef int (*px__segment_map_fn)(const struct px_segment_config *cfg,
				  size_t size, struct px_segment *seg);

/* The fixed function set, one backend per kind (STYLE rule 16). */
static const px__segment_map_fn backends[] = {
	[PX_SEGMENT_HEAP] = px__segment_heap_map,
	[PX_SEGMENT_MEMFD] = px__segment_memfd_map,
	[PX_SEGMENT_HUGETLB] = px__segment_hugetlb_map,
	[PX_SEGMENT_FILE] = px__segment_file_map,
};

size_t px__page_size(void)
{
	/* sysconf reads the auxiliary vector: no syscall, no need to cache. */
	long v = sysconf(_SC_PAGESIZE);

	return v > 0 ? (size_t)v : 4096;
}

int px__segment_map(const struct px_segment_config *cfg, int fd, size_t size,
		    struct px_segment *seg)
{
	int flags = fd >= 0 ? MAP_SHARED : MAP_PRIVATE | MAP_ANONYMOUS;
	void *base = mmap(NULL, size, PROT_READ | PROT_WRITE, flags, fd, 0);
	int ret;

	if (base == MAP_FAILED)
		return -errno;
	if (cfg->numa_node >= 0) {
		/* On shmem and files the policy sticks to the object: later
		 * touches obey it. */
		ret = px__numa_bind(base, size, cfg->numa_node);
		if (ret) {
			munmap(base, size);
			return ret;
		}
	}
	seg->base = base;
	seg->size = size;
	seg->fd = fd;
	seg->page = PX_PAGE_4K;
	seg->page_size = px__page_size();
	return 0;
}

int px__segment_populate(void *addr, size_t len)
{
	if (madvise(addr, len, MADV_POPULATE_WRITE) < 0)
		return -errno;
	return 0;
}

int px__segment_seal(int fd)
{
	if (fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL) <
	    0)
		return -errno;
	return 0;
}

int px__segment_check_header(const void *base, size_t size)
{
	const struct px__segment_hdr *h = base;

	if (size < sizeof(*h))
		return -EINVAL;
	if (h->magic != PX__SEGMENT_MAGIC ||
	    h->version != PX__SEGMENT_VERSION || h->header_size != sizeof(*h) ||
	    h->layout_size != size)
		return -EINVAL;
	if (h->kind > PX_SEGMENT_FILE || h->page > PX_PAGE_1G ||
	    h->page_size == 0 || size % h->page_size != 0)
		return -EINVAL;
	return 0;
}

static int check_config(const struct px_segment_config *cfg)
{
	if ((unsigned)cfg->kind >= PX_ARRAY_SIZE(backends))
		return -EINVAL;
	if (cfg->numa_node < -1)
		return -EINVAL;
	if (cfg->kind == PX_SEGMENT_FILE) {
		if (!cfg->path || !cfg->path[0])
			return -EINVAL;
		if (!cfg->create)
			return 0; /* the size comes from the file */
	}
	if (cfg->size == 0 || cfg->size < PX_SEGMENT_HEADER_SIZE)
		return -EINVAL;
	/* Leave room for the largest rounding (to 1 GiB) without overflow. */
	if (cfg->size > SIZE_MAX / 2)
		return -EINVAL;
	if (cfg->kind == PX_SEGMENT_HUGETLB && cfg->huge_page_size != 0 &&
	    cfg->huge_page_size != PX__SIZE_2M &&
	    cfg->huge_page_size != PX__SIZE_1G)
		return -EINVAL;
	return 0;
}

static void write_header(struct px_segment *seg)
{
	struct px__segment_hdr *h = seg->base;

	memset(h, 0, sizeof(*h));
	h->magic = PX__SEGMENT_MAGIC;
	h->version = PX__SEGMENT_VERSION;
	h->header_size = sizeof(*h);
	h->layout_size = seg->size;
	h->kind = (uint32_t)seg->kind;
	h->page = (uint32_t)seg->page;
	h->page_size = seg->page_size;
}

static void unmap_close(struct px_segment *seg)
{
	if (seg->base)
		munmap(seg->base, seg->size);
	if (seg->fd >= 0)
		close(seg->fd);
}

PX_API int px_segment_create(const struct px_segment_config *asked,
			     struct px_segment **out)
{
	struct px_segment_config c;
	const struct px_segment_config *cfg = &c;
	struct px_segment *seg;
	size_t size;
	int ret;

	if (!asked || !out)
		return -EINVAL;
	/* The backends read numa_node alone: without numa_bind, it is -1. */
	c = *asked;
	if (!c.numa_bind)
		c.numa_node = -1;
	ret = check_config(cfg);
	if (ret)
		return ret;
	if (cfg->numa_node >= 0) {
		ret = px__numa_node_check(cfg->numa_node);
		if (ret)
			return ret;
	}
	seg = calloc(1, sizeof(*seg));
	if (!seg)
		return -ENOMEM;
	seg->fd = -1;
	seg->kind = cfg->kind;
	seg->numa_node = cfg->numa_node;
	seg->created = true;
	size = PX_ALIGN_UP(cfg->size, px__page_size());

	ret = backends[cfg->kind](cfg, size, seg);
	if (ret)
		goto err_free;
	if (cfg->populate && seg->page != PX_PAGE_2M &&
	    seg->page != PX_PAGE_1G) {
		/* hugetlb backends reserve and populate on their own. */
		ret = px__segment_populate(seg->base, seg->size);
		if (ret)
			goto err_unmap;
	}
	if (seg->created) {
		write_header(seg);
	} else {
		ret = px__segment_check_header(seg->base, seg->size);
		if (!ret && ((const struct px__segment_hdr *)seg->base)->kind !=
				    (uint32_t)cfg->kind)
			ret = -EINVAL;
		if (ret)
			goto err_unmap;
	}
	*out = seg;
	return 0;

err_unmap:
	unmap_close(seg);
	if (seg->created && cfg->kind == PX_SEGMENT_FILE)
		unlink(cfg->path); /* we made it: leave nothing behind */
err_free:
	free(seg);
	return ret;
}

/* A memfd (tmpfs or hugetlbfs) answers F_GET_SEALS; it must not shrink. */
static int check_seals(int fd, const struct px__segment_hdr *h)
{
	int seals;

	if (h->kind != PX_SEGMENT_MEMFD && h->kind != PX_SEGMENT_HUGETLB)
		return 0;
	seals = fcntl(fd, F_GET_SEALS);
	if (seals < 0 || !(seals & F_SEAL_SHRINK))
		return -EINVAL;
	return 0;
}

PX_API int px_segment_map_fd(int fd, bool readonly, struct px_segment **out)
{
	const struct px__segment_hdr *h;
	struct px_segment *seg;
	struct stat st;
	void *base;
	size_t size;
	int ret, dfd, acc;
	bool fd_ro;

	if (fd < 0 || !out)
		return fd < 0 ? -EBADF : -EINVAL;
	if (fstat(fd, &st) < 0)
		return -errno;
	if (!S_ISREG(st.st_mode) || st.st_size < (off_t)PX_SEGMENT_HEADER_SIZE)
		return -EINVAL;
	size = (size_t)st.st_size;
	/* An fd opened read-only (what a publisher hands a subscriber) maps
	 * PROT_READ as a whole; mprotect cannot make it writable later. */
	acc = fcntl(fd, F_GETFL);
	if (acc < 0)
		return -errno;
	fd_ro = (acc & O_ACCMODE) == O_RDONLY;
	if (fd_ro && !readonly)
		return -EACCES;
	base = mmap(NULL, size, fd_ro ? PROT_READ : PROT_READ | PROT_WRITE,
		    MAP_SHARED, fd, 0);
	if (base == MAP_FAILED)
		return -errno;
	h = base;
	ret = px__segment_check_header(base, size);
	if (!ret && h->kind == PX_SEGMENT_HEAP)
		ret = -EINVAL; /* a private mapping cannot have been shared */
	if (!ret)
		ret = check_seals(fd, h);
	if (ret)
		goto err_unmap;
	dfd = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	if (dfd < 0) {
		ret = -errno;
		goto err_unmap;
	}
	seg = calloc(1, sizeof(*seg));
	if (!seg) {
		ret = -ENOMEM;
		goto err_close;
	}
	seg->base = base;
	seg->size = size;
	seg->fd = dfd;
	seg->kind = (enum px_segment_kind)h->kind;
	seg->page = (enum px_page_kind)h->page;
	seg->page_size = (size_t)h->page_size;
	seg->numa_node = -1;
	seg->readonly = readonly;
	seg->mapped_readonly = fd_ro;
	seg->created = false;
	*out = seg;
	return 0;

err_close:
	close(dfd);
err_unmap:
	munmap(base, size);
	return ret;
}

PX_API void px_segment_destroy(struct px_segment *seg)
{
	if (!seg)
		return;
	unmap_close(seg);
	free(seg);
}

PX_API int px_segment_sync(struct px_segment *seg)
{
	if (!seg)
		return -EINVAL;
	if (seg->kind != PX_SEGMENT_FILE)
		return 0;
	if (msync(seg->base, seg->size, MS_SYNC) < 0)
		return -errno;
	return 0;
}

PX_API int px_segment_query_node(const struct px_segment *seg, size_t offset)
{
	if (!seg || offset >= seg->size)
		return -EINVAL;
	return px__numa_node_of((const char *)seg->base + offset);
}

PX_API const char *px_page_kind_name(enum px_page_kind kind)
{
	switch (kind) {
	case PX_PAGE_4K:
		return "4k";
	case PX_PAGE_THP:
		return "thp";
	case PX_PAGE_2M:
		return "2m";
	case PX_PAGE_1G:
		return "1g";
	}
	return "unknown";
}

PX_API const char *px_segment_kind_name(enum px_segment_kind kind)
{
	switch (kind) {
	case PX_SEGMENT_HEAP:
		return "heap";
	case PX_SEGMENT_MEMFD:
		return "memfd";
	case PX_SEGMENT_HUGETLB:
		return "hugetlb";
	case PX_SEGMENT_FILE:
		return "file";
	}
	return "unknown";
}

PX_API const char *px_segment_fallback_reason(int fallback_err)
{
	switch (fallback_err) {
	case 0:
		return "";
	case -ENOMEM:
		return "not enough free huge pages are reserved "
		       "(/proc/sys/vm/nr_hugepages)";
	case -EOPNOTSUPP:
		return "the kernel offers no such page size, or its "
		       "transparent huge page mode is off";
	case -EPERM:
	case -EACCES:
		return "not permitted (hugetlb group or memlock limit)";
	default:
		return "the mapping failed";
	}
}
