// SPDX-License-Identifier: MIT
/*
 * reactor_pool.c - pools as fixed buffers: one table slot per pool (one per
 * GiB for larger pools), so READ_FIXED/WRITE_FIXED serve every pool slot.
 */
#include <errno.h>
#include <sys/uio.h>

#include "px_pool.h"
#include "reactor_int.h"

#define MAX_POOL_IOVECS 8

PX_API int px_reactor_register_pool(struct px_reactor *r, struct px_pool *pool)
{
	struct iovec iov[MAX_POOL_IOVECS];
	int n, ret, first = -1;

	if (!r || !pool)
		return -EINVAL;
	if (!px__reactor_reg_allowed(r))
		return -EPERM;
	if (px__reactor_buffer_find_pool(r, pool) >= 0)
		return -EEXIST;
	/* The pool names the limit and the fix better than the kernel does.
	 * Only io_uring pins the memory; epoll only records the range. */
	if (r->be->id == PX_BACKEND_IO_URING) {
		ret = px_pool_memlock_check(pool);
		if (ret < 0)
			return ret;
	}
	n = px_pool_iovecs(pool, iov, MAX_POOL_IOVECS);
	if (n < 0)
		return n == -ENOSPC ? -E2BIG : n;
	for (int i = 0; i < n; i++) {
		ret = px__reactor_buffer_add(r, iov[i].iov_base, iov[i].iov_len,
					     pool);
		if (ret < 0) {
			px_reactor_unregister_pool(r, pool);
			return ret;
		}
		if (first < 0)
			first = ret;
	}
	return first;
}

PX_API int px_reactor_unregister_pool(struct px_reactor *r,
				      struct px_pool *pool)
{
	int idx, ret, found = 0;

	if (!r || !pool)
		return -EINVAL;
	if (!px__reactor_reg_allowed(r))
		return -EPERM;
	while ((idx = px__reactor_buffer_find_pool(r, pool)) >= 0) {
		ret = px_reactor_unregister_buffer(r, idx);
		if (ret < 0)
			return ret;
		found = 1;
	}
	return found ? 0 : -ENOENT;
}
