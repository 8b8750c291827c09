// SPDX-License-Identifier: MIT
/*
 * buf.c - px_buf operations: the reference discipline over pool slots,
 * sub-buffers, and the two copy paths (make_writable, from_bytes), both
 * counted so that tests can prove zero-copy elsewhere.
 */
#include <errno.h>
#include <string.h>

#include "px_buf.h"
#include "px_pool_int.h"

static void buf_fresh(struct px_pool *pool, uint32_t slot, uint32_t length,
		      struct px_buf *out)
{
	*out = (struct px_buf){
		.pool = px_pool_id(pool),
		.slot = slot,
		.length = length,
		.pts = PX_TIME_NONE,
		.duration = PX_TIME_NONE,
		.stream_offset = PX_OFFSET_NONE,
	};
}

PX_API int px_buf_alloc(struct px_pool *pool, uint32_t length,
			struct px_buf *out)
{
	uint32_t slot;
	int ret;

	*out = (struct px_buf){0};
	if (length > pool->slot_size)
		return -EINVAL;
	ret = px_pool_loan(pool, &slot);
	if (ret)
		return ret;
	buf_fresh(pool, slot, length, out);
	return 0;
}

PX_API int px_buf_alloc_burst(struct px_pool *pool, uint32_t length,
			      struct px_buf *bufs, unsigned n)
{
	uint32_t slots[64];
	unsigned done = 0;

	if (length > pool->slot_size)
		return -EINVAL;
	while (done < n) {
		unsigned want = n - done < 64 ? n - done : 64;
		int got = px_pool_loan_burst(pool, slots, want);

		if (got <= 0) {
			if (!done)
				return got ? got : -ENOBUFS;
			break;
		}
		for (int i = 0; i < got; i++)
			buf_fresh(pool, slots[i], length, &bufs[done + i]);
		done += (unsigned)got;
		if ((unsigned)got < want)
			break;
	}
	return (int)done;
}

PX_API struct px_pool *px_buf_pool(const struct px_buf *b)
{
	return b->pool ? px_pool_from_id(b->pool) : NULL;
}

PX_API void px_buf_ref(const struct px_buf *b)
{
	struct px_pool *pool = px_buf_pool(b);

	if (pool)
		px_pool_slot_ref(pool, b->slot);
}

PX_API void px_buf_unref(struct px_buf *b)
{
	struct px_pool *pool = px_buf_pool(b);

	if (pool)
		px_pool_release(pool, b->slot);
	*b = (struct px_buf){0};
}

PX_API bool px_buf_is_writable(const struct px_buf *b)
{
	struct px_pool *pool = px_buf_pool(b);

	return pool && !pool->readonly &&
	       px_pool_slot_refcount(pool, b->slot) == 1;
}

PX_API int px_buf_sub(const struct px_buf *b, uint32_t off, uint32_t len,
		      struct px_buf *out)
{
	struct px_pool *pool = px_buf_pool(b);

	*out = (struct px_buf){0};
	if (!pool || off > b->length || len > b->length - off)
		return -EINVAL;
	*out = *b;
	out->offset = b->offset + off;
	out->length = len;
	if (b->stream_offset != PX_OFFSET_NONE)
		out->stream_offset = b->stream_offset + off;
	px_pool_slot_ref(pool, b->slot);
	return 0;
}

PX_API int px_buf_make_writable(struct px_buf *b)
{
	struct px_pool *pool = px_buf_pool(b);
	uint32_t slot;
	int ret;

	if (!pool)
		return -EINVAL;
	if (pool->readonly)
		return -EROFS;
	if (px_pool_slot_refcount(pool, b->slot) == 1)
		return 0;
	ret = px_pool_loan(pool, &slot);
	if (ret)
		return ret;
	memcpy(px_pool_slot_data(pool, slot), px_buf_data(b), b->length);
	px_pool_count_copy(pool, b->length);
	px_pool_release(pool, b->slot);
	b->slot = slot;
	b->offset = 0;
	return 0;
}

PX_API int px_buf_from_bytes(struct px_pool *pool, const void *data, size_t len,
			     struct px_buf *out)
{
	int ret;

	*out = (struct px_buf){0};
	if (len > pool->slot_size)
		return -EINVAL;
	ret = px_buf_alloc(pool, (uint32_t)len, out);
	if (ret)
		return ret;
	memcpy(px_buf_data(out), data, len);
	px_pool_count_copy(pool, len);
	return 0;
}
