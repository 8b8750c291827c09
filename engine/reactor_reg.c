// SPDX-License-Identifier: MIT
/*
 * reactor_reg.c - registered resources: a sparse fixed-buffer table (pools
 * and plain memory come and go one slot at a time) and a sparse fixed-file
 * table. Registrations made before the ring exists are applied when it is
 * set up on the owning thread.
 */
#include <errno.h>
#include <stdlib.h>
#include <sys/uio.h>

#include "reactor_int.h"

int px__reactor_reg_alloc(struct px_reactor *r)
{
	r->bufs = calloc(r->max_bufs, sizeof(*r->bufs));
	r->files = malloc(r->max_files * sizeof(*r->files));
	if (!r->bufs || !r->files) {
		px__reactor_reg_free(r);
		return -ENOMEM;
	}
	for (unsigned i = 0; i < r->max_files; i++)
		r->files[i] = -1;
	return 0;
}

void px__reactor_reg_free(struct px_reactor *r)
{
	free(r->bufs);
	free(r->files);
	r->bufs = NULL;
	r->files = NULL;
}

/* On the owning thread, right after the backend came up: apply the
 * registrations made before. */
int px__reactor_reg_setup(struct px_reactor *r)
{
	for (unsigned i = 0; i < r->nbufs_hi; i++) {
		if (r->bufs[i].base) {
			int ret = r->be->buffer_set(r, i, r->bufs[i].base,
						    r->bufs[i].len);

			if (ret < 0)
				return ret;
		}
	}
	return 0;
}

/*
 * Registration rights: the owner once the ring is up; before that, the
 * creator (no ring, not started: nothing else touches the table).
 */
bool px__reactor_reg_allowed(const struct px_reactor *r)
{
	if (px__reactor_owned(r))
		return true;
	/* Relaxed: see px__reactor_owned(); mode is the creator's own write. */
	return atomic_load_explicit(&r->owner, memory_order_relaxed) == NULL &&
	       r->mode == PX__MODE_NEW;
}

int px__reactor_fixed_index(const struct px_reactor *r, const void *buf,
			    uint32_t len)
{
	const char *p = buf;

	for (unsigned i = 0; i < r->nbufs_hi; i++) {
		const struct px__fixed_buf *b = &r->bufs[i];

		if (b->base && p >= (const char *)b->base &&
		    p + len <= (const char *)b->base + b->len)
			return (int)i;
	}
	return -1;
}

int px__reactor_buffer_add(struct px_reactor *r, void *base, size_t len,
			   struct px_pool *pool)
{
	unsigned i;
	int ret;

	if (!r || !base || !len || len > (1u << 30))
		return -EINVAL;
	if (!px__reactor_reg_allowed(r))
		return -EPERM;
	for (i = 0; i < r->max_bufs && r->bufs[i].base; i++)
		;
	if (i == r->max_bufs)
		return -ENOSPC;
	if (r->ring_up) {
		ret = r->be->buffer_set(r, i, base, len);
		if (ret < 0)
			return ret;
	}
	r->bufs[i] = (struct px__fixed_buf){ .base = base, .len = len,
					     .pool = pool };
	if (i >= r->nbufs_hi)
		r->nbufs_hi = i + 1;
	return (int)i;
}

PX_API int px_reactor_register_buffer(struct px_reactor *r, void *base,
				      size_t len)
{
	return px__reactor_buffer_add(r, base, len, NULL);
}

PX_API int px_reactor_unregister_buffer(struct px_reactor *r, int index)
{
	int ret;

	if (!r)
		return -EINVAL;
	if (!px__reactor_reg_allowed(r))
		return -EPERM;
	if (index < 0 || (unsigned)index >= r->nbufs_hi ||
	    !r->bufs[index].base)
		return -ENOENT;
	if (r->ring_up) {
		ret = r->be->buffer_set(r, (unsigned)index, NULL, 0);
		if (ret < 0)
			return ret;
	}
	r->bufs[index] = (struct px__fixed_buf){ 0 };
	while (r->nbufs_hi && !r->bufs[r->nbufs_hi - 1].base)
		r->nbufs_hi--;
	return 0;
}

/* The slot POOL is registered in, or -ENOENT. */
int px__reactor_buffer_find_pool(const struct px_reactor *r,
				 const struct px_pool *pool)
{
	for (unsigned i = 0; i < r->nbufs_hi; i++)
		if (r->bufs[i].base && r->bufs[i].pool == pool)
			return (int)i;
	return -ENOENT;
}

PX_API int px_reactor_register_fd(struct px_reactor *r, int fd)
{
	unsigned i;
	int ret;

	if (!r)
		return -EINVAL;
	if (!px__reactor_owned(r) || !r->ring_up)
		return -EPERM;
	if (fd < 0)
		return -EBADF;
	for (i = 0; i < r->max_files && r->files[i] >= 0; i++)
		;
	if (i == r->max_files)
		return -ENOSPC;
	ret = r->be->file_set(r, i, fd, &r->files[i]);
	if (ret < 0) {
		r->files[i] = -1;
		return ret;
	}
	return (int)i;
}

PX_API int px_reactor_unregister_fd(struct px_reactor *r, int index)
{
	int ret;

	if (!r)
		return -EINVAL;
	if (!px__reactor_owned(r) || !r->ring_up)
		return -EPERM;
	if (index < 0 || (unsigned)index >= r->max_files ||
	    r->files[index] < 0)
		return -ENOENT;
	ret = r->be->file_set(r, (unsigned)index, -1, &r->files[index]);
	if (ret < 0)
		return ret;
	return 0;
}
