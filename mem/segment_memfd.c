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
	int fd, ret;

	if (cfg->transparent_huge) {
		ret = px__segment_thp_shared(cfg, size, seg);
		if (!ret)
			return 0;
		seg->fallback_err = ret;
	}
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
	ret = px__segment_map(cfg, fd, size, seg);
	if (ret)
		goto err_close;
	return 0;

err_close:
	close(fd);
	return ret;
}
