// SPDX-License-Identifier: MIT
/*
 * segment_hugetlb.c - huge page segments with the fallback chain
 * 1G -> 2M -> THP -> 4K. Hugetlb pages are reserved at mmap time and
 * prefaulted, so a short pool is an error here and never a SIGBUS later.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/memfd.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "px_segment_int.h"

#define HP_SYSFS  "/sys/kernel/mm/hugepages/hugepages-"
#define THP_SYSFS "/sys/kernel/mm/transparent_hugepage/"

struct hp_size {
	size_t bytes;
	enum px_page_kind page;
	int map_flag;
	unsigned mfd_flag;
	const char *sysfs; /* exists when the kernel supports the size */
};

static const struct hp_size hp_1g = {1ul << 30, PX_PAGE_1G,
				     30 << MAP_HUGE_SHIFT, MFD_HUGE_1GB,
				     HP_SYSFS "1048576kB"};
static const struct hp_size hp_2m = {2ul << 20, PX_PAGE_2M,
				     21 << MAP_HUGE_SHIFT, MFD_HUGE_2MB,
				     HP_SYSFS "2048kB"};

/* Unmap, close, and translate "no pages" errors into -ENOMEM. */
static int hp_fail(void *base, size_t len, int fd, int err)
{
	if (base)
		munmap(base, len);
	if (fd >= 0)
		close(fd);
	/* mmap says ENOMEM, fallocate ENOSPC, a failed prefault EFAULT. */
	if (err == -ENOSPC || err == -EFAULT)
		return -ENOMEM;
	return err;
}

static int try_hugetlb(const struct px_segment_config *cfg, size_t size,
		       const struct hp_size *hp, struct px_segment *seg)
{
	const char *name = cfg->name && cfg->name[0] ? cfg->name : "parallax";
	size_t len = PX_ALIGN_UP(size, hp->bytes);
	void *base = NULL;
	int fd = -1, ret;

	if (access(hp->sysfs, F_OK) != 0)
		return -EOPNOTSUPP;
	if (cfg->shareable) {
		fd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING |
						MFD_HUGETLB | hp->mfd_flag);
		if (fd < 0)
			return hp_fail(NULL, 0, -1, -errno);
		/* Create and truncate succeed with no free pages; the mmap
		 * reservation and the prefault below are what tell. */
		if (ftruncate(fd, (off_t)len) < 0)
			return hp_fail(NULL, 0, fd, -errno);
		ret = px__segment_seal(fd);
		if (ret)
			return hp_fail(NULL, 0, fd, ret);
		base = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
			    0);
	} else {
		/* Shared anonymous rather than private: a fork()ed child must
		 * not lose the reservation on a copy-on-write fault. */
		base = mmap(NULL, len, PROT_READ | PROT_WRITE,
			    MAP_SHARED | MAP_ANONYMOUS | MAP_HUGETLB |
				    hp->map_flag,
			    -1, 0);
	}
	if (base == MAP_FAILED)
		return hp_fail(NULL, 0, fd, -errno);
	if (cfg->numa_node >= 0) {
		ret = px__numa_bind(base, len, cfg->numa_node);
		if (ret)
			return hp_fail(base, len, fd, ret);
	}
	/* Reservations are global, not per node: only a prefault proves the
	 * pages exist where the policy wants them. */
	ret = px__segment_populate(base, len);
	if (ret)
		return hp_fail(base, len, fd, ret);
	seg->base = base;
	seg->size = len;
	seg->fd = fd;
	seg->page = hp->page;
	seg->page_size = hp->bytes;
	return 0;
}

/* True when the sysfs mode file selects one of the words in @off. */
static bool thp_mode_off(const char *file, const char *const off[], int n)
{
	char buf[160], sel[32];
	const char *l, *r;
	FILE *f = fopen(file, "re");
	size_t got;

	if (!f)
		return true;
	got = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[got] = '\0';
	l = strchr(buf, '[');
	r = l ? strchr(l, ']') : NULL;
	if (!r || (size_t)(r - l - 1) >= sizeof(sel))
		return true;
	memcpy(sel, l + 1, (size_t)(r - l - 1));
	sel[r - l - 1] = '\0';
	for (int i = 0; i < n; i++)
		if (strcmp(sel, off[i]) == 0)
			return true;
	return false;
}

static size_t thp_size(void)
{
	unsigned long v = 0;
	FILE *f = fopen(THP_SYSFS "hpage_pmd_size", "re");

	if (f) {
		if (fscanf(f, "%lu", &v) != 1)
			v = 0;
		fclose(f);
	}
	return PX_IS_POW2(v) ? (size_t)v : (2ul << 20);
}

int px__segment_thp_shared(const struct px_segment_config *cfg, size_t size,
			   struct px_segment *seg)
{
	static const char *const off[] = {"never", "deny"};
	struct px_segment_config plain = *cfg;
	size_t pmd = thp_size();
	int ret;

	if (thp_mode_off(THP_SYSFS "shmem_enabled", off, 2))
		return -EOPNOTSUPP;
	plain.transparent_huge = false; /* the memfd backend calls us */
	ret = px__segment_memfd_map(&plain, PX_ALIGN_UP(size, pmd), seg);
	if (ret)
		return ret;
	if (madvise(seg->base, seg->size, MADV_HUGEPAGE) < 0) {
		ret = -errno;
		munmap(seg->base, seg->size);
		close(seg->fd);
		return ret;
	}
	seg->page = PX_PAGE_THP;
	seg->page_size = pmd;
	return 0;
}

int px__segment_thp_private(const struct px_segment_config *cfg,
			    size_t size, struct px_segment *seg)
{
	static const char *const off[] = {"never"};
	size_t pmd = thp_size(), len = PX_ALIGN_UP(size, pmd), head, tail;
	char *raw, *base;
	int ret;

	if (thp_mode_off(THP_SYSFS "enabled", off, 1))
		return -EOPNOTSUPP;
	/* Map one PMD more and trim, so that base is PMD aligned. */
	raw = mmap(NULL, len + pmd, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (raw == MAP_FAILED)
		return -errno;
	base = (char *)PX_ALIGN_UP((uintptr_t)raw, pmd);
	head = (size_t)(base - raw);
	tail = pmd - head;
	if (head)
		munmap(raw, head);
	if (tail)
		munmap(base + len, tail);
	if (madvise(base, len, MADV_HUGEPAGE) < 0) {
		ret = -errno;
		goto err_unmap;
	}
	if (cfg->numa_node >= 0) {
		ret = px__numa_bind(base, len, cfg->numa_node);
		if (ret)
			goto err_unmap;
	}
	seg->base = base;
	seg->size = len;
	seg->fd = -1;
	seg->page = PX_PAGE_THP;
	seg->page_size = pmd;
	return 0;

err_unmap:
	munmap(base, len);
	return ret;
}

/* 1 GiB pages only when rounding wastes at most an eighth of the request. */
static bool worth_1g(size_t size)
{
	return PX_ALIGN_UP(size, hp_1g.bytes) - size <= size / 8;
}

int px__segment_hugetlb_map(const struct px_segment_config *cfg, size_t size,
			    struct px_segment *seg)
{
	const struct hp_size *chain[2];
	int n = 0, ret = -EOPNOTSUPP, err;
	bool any_supported = false;

	if (cfg->huge_page_size == hp_1g.bytes ||
	    (cfg->huge_page_size == 0 && worth_1g(size)))
		chain[n++] = &hp_1g;
	if (cfg->huge_page_size != hp_1g.bytes || !cfg->require_huge)
		chain[n++] = &hp_2m;
	for (int i = 0; i < n; i++) {
		err = try_hugetlb(cfg, size, chain[i], seg);
		if (!err)
			return 0;
		if (err != -EOPNOTSUPP)
			any_supported = true;
		/* Keep the most telling error: "no pages" beats "no size". */
		if (ret == -EOPNOTSUPP)
			ret = err;
	}
	if (cfg->require_huge)
		return any_supported ? ret : -EOPNOTSUPP;
	seg->fallback_err = ret;
	if (cfg->shareable) {
		if (px__segment_thp_shared(cfg, size, seg) == 0)
			return 0;
		return px__segment_memfd_map(cfg, size, seg);
	}
	if (px__segment_thp_private(cfg, size, seg) == 0)
		return 0;
	return px__segment_heap_map(cfg, size, seg);
}
