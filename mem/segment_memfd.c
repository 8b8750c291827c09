// SPDX-License-Identifier: MIT
/*
 * segment_memfd.c - a shareable segment: memfd_create(MFD_ALLOW_SEALING),
 * sized once and sealed against shrink and grow, mapped shared. Its fd can
 * be passed to another process, which maps it with px_segment_map_fd().
 */
#include <errno.h>
#include <sys/mman.h>
#include <unistd.h>

#include "px_segment_int.h"

int px__segment_memfd_map(const struct px_segment_config *cfg, size_t size,
			  struct px_segment *seg)
{
	const char *name = cfg->name && cfg->name[0] ? cfg->name : "parallax";
	void *base;
	int fd, ret;

	fd = memfd_create(name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
	if (fd < 0)
		return -errno;
	if (ftruncate(fd, (off_t)size) < 0) {
		ret = -errno;
		goto err_close;
	}
	ret = px__segment_seal(fd);
	if (ret)
		goto err_close;
	base = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (base == MAP_FAILED) {
		ret = -errno;
		goto err_close;
	}
	if (cfg->numa_node >= 0) {
		/* On shmem the policy sticks to the file: later touches obey
		 * it. */
		ret = px__numa_bind(base, size, cfg->numa_node);
		if (ret)
			goto err_unmap;
	}
	seg->base = base;
	seg->size = size;
	seg->fd = fd;
	seg->page = PX_PAGE_4K;
	seg->page_size = px__page_size();
	return 0;

err_unmap:
	munmap(base, size);
err_close:
	close(fd);
	return ret;
}
