// SPDX-License-Identifier: MIT
/*
 * segment_file.c - a shared mapping of a regular file, so that a pool and
 * its contents survive a restart: create a new file, or reopen one (the
 * caller validates its header).
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "px_segment_int.h"

static int file_create(const struct px_segment_config *cfg, size_t size,
		       int *fdp)
{
	int fd, ret;

	fd = open(cfg->path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return -errno;
	if (ftruncate(fd, (off_t)size) < 0) {
		ret = -errno;
		goto err_unlink;
	}
	/* Allocate the blocks now: a full disk is an error here, not a
	 * SIGBUS on first touch. Filesystems without fallocate keep going. */
	if (fallocate(fd, 0, 0, (off_t)size) < 0 && errno != EOPNOTSUPP) {
		ret = -errno;
		goto err_unlink;
	}
	*fdp = fd;
	return 0;

err_unlink:
	unlink(cfg->path);
	close(fd);
	return ret;
}

static int file_open(const struct px_segment_config *cfg, size_t *sizep,
		     int *fdp)
{
	struct stat st;
	int fd, ret;

	fd = open(cfg->path, O_RDWR | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		ret = -errno;
		goto err_close;
	}
	if (!S_ISREG(st.st_mode) ||
	    st.st_size < (off_t)PX_SEGMENT_HEADER_SIZE ||
	    (size_t)st.st_size % px__page_size() != 0) {
		ret = -EINVAL;
		goto err_close;
	}
	*sizep = (size_t)st.st_size;
	*fdp = fd;
	return 0;

err_close:
	close(fd);
	return ret;
}

int px__segment_file_map(const struct px_segment_config *cfg, size_t size,
			 struct px_segment *seg)
{
	int fd = -1, ret;

	ret = cfg->create ? file_create(cfg, size, &fd)
			  : file_open(cfg, &size, &fd);
	if (ret)
		return ret;
	ret = px__segment_map(cfg, fd, size, seg);
	if (ret)
		goto err_close;
	seg->created = cfg->create;
	return 0;

err_close:
	if (cfg->create)
		unlink(cfg->path);
	close(fd);
	return ret;
}
