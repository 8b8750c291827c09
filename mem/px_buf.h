/* SPDX-License-Identifier: MIT */
/*
 * px_buf.h - the buffer: a 48-byte value naming bytes in a pool slot, plus
 * metadata. It travels through rings by value; the bytes never move. One
 * refcount discipline (STYLE rule 11): writable only at refcount 1, the last
 * unref returns the slot, a tee takes one reference per branch.
 * Stability: public API, changed only with the ABI version (px_plugin.h).
 */
#ifndef PX_BUF_H
#define PX_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "px_base.h"
#include "px_pool.h"
#include "px_pool_pvt.h"

PX_EXTERN_C_BEGIN

/* "No time" for pts and duration. */
#define PX_TIME_NONE INT64_MIN
/* "No offset" for stream_offset. */
#define PX_OFFSET_NONE UINT64_MAX

/* px_buf.flags: media-agnostic stream markers. */
#define PX_BUF_FLAG_DISCONT 0x0001u /* data is not contiguous with the last */
#define PX_BUF_FLAG_DELTA   0x0002u /* cannot be decoded on its own */
#define PX_BUF_FLAG_GAP	    0x0004u /* no data for this span */
#define PX_BUF_FLAG_MARKER  0x0008u /* end of a unit (frame, message) */
/* The last buffer of its stream (a source of several streams, such as
 * multitcpsrc: that client closed); it may be empty. */
#define PX_BUF_FLAG_LAST    0x0020u
/* The bytes passed a record validator (px_record.h) in this process. Kept
 * in the holder's descriptor, never in shared memory; cleared by whatever
 * takes a buffer across a process or host boundary (ipcsrc, netsrc) and by
 * a writer that starts over a buffer's bytes. */
#define PX_BUF_FLAG_VALIDATED 0x0010u
/* Bits 0x0100 and up are for elements' own use. */
#define PX_BUF_FLAG_USER 0x0100u

/*
 * A buffer is a value: copying the struct does NOT add a reference; use
 * px_buf_ref() for each copy that will be unref'd. A zeroed px_buf (pool 0)
 * is "no buffer".
 */
struct px_buf {
	/* public */
	uint16_t pool;		/* process-local pool id (px_pool_id) */
	uint16_t flags;		/* PX_BUF_FLAG_* */
	uint32_t slot;		/* slot index in the pool */
	uint32_t offset;	/* first byte, from the slot start */
	uint32_t length;	/* bytes of data */
	uint64_t seq;		/* sequence number, set by the source */
	int64_t pts;		/* ns, or PX_TIME_NONE */
	int64_t duration;	/* ns, or PX_TIME_NONE */
	uint64_t stream_offset; /* byte offset in the stream, PX_OFFSET_NONE */
};

_Static_assert(sizeof(struct px_buf) == 48, "px_buf is 48 bytes");

/* px_buf_data() for a descriptor known to hold a reference (never the
 * zeroed one): no test, for the hottest paths (a record's cached view). */
PX_INLINE void *px__buf_data_held(const struct px_buf *b)
{
	/* The mask keeps a corrupt id inside the table. */
	const struct px__pool_map_entry *m =
		&px__pool_map[b->pool & (PX_POOL_ID_MAX - 1)];

	return (void *)(m->slot_base + (uintptr_t)b->slot * m->slot_size +
			b->offset);
}

/*
 * px_buf_data - address of the buffer's first byte in this process, or NULL
 * for a zeroed buffer. Inline: one table load, no call.
 * @b: borrowed; must be "no buffer" or hold a reference to a live pool.
 * Thread: any.
 */
PX_INLINE void *px_buf_data(const struct px_buf *b)
{
	if (px_unlikely(!px__pool_map[b->pool & (PX_POOL_ID_MAX - 1)]
				 .slot_base))
		return NULL;
	return px__buf_data_held(b);
}

/*
 * px_buf_alloc - loan a slot and describe @length bytes at its start; the
 * metadata is reset (seq 0, times PX_TIME_NONE, offset PX_OFFSET_NONE).
 * @out: receives a new reference (transfer full); zeroed on error.
 * Returns 0, -ENOBUFS (pool empty), -EINVAL (@length > slot size),
 * -EROFS (readonly attachment). Thread: any.
 */
PX_API int px_buf_alloc(struct px_pool *pool, uint32_t length,
			struct px_buf *out);
/*
 * px_buf_alloc_burst - up to @n buffers of @length bytes at once, as
 * px_buf_alloc() makes them, with one atomic operation per bitmap word.
 * Returns how many were made (1..n; 0 when n is 0), -ENOBUFS (none free),
 * -EINVAL, -EROFS. Thread: any.
 */
PX_API int px_buf_alloc_burst(struct px_pool *pool, uint32_t length,
			      struct px_buf *bufs, unsigned n);

/*
 * px_buf_ref - add one reference to the slot of @b (returns a new reference:
 * transfer full, for a copy of the value). A zeroed buffer is a no-op.
 * Thread: any; the caller must hold a reference already.
 */
PX_API void px_buf_ref(const struct px_buf *b);

/*
 * px_buf_unref - drop the reference @b holds (transfer full: the caller
 * loses it) and zero *b. The last reference returns the slot to its pool.
 * A zeroed buffer is accepted (no-op). Thread: any.
 */
PX_API void px_buf_unref(struct px_buf *b);

/*
 * px_buf_pool - the pool of @b (transfer none), or NULL for "no buffer".
 * Thread: any.
 */
PX_API struct px_pool *px_buf_pool(const struct px_buf *b);

/*
 * px_buf_is_writable - true when @b is the only reference to its slot and
 * its pool handle can write (not a readonly attachment). Thread: any.
 */
PX_API bool px_buf_is_writable(const struct px_buf *b);

/*
 * px_buf_sub - a buffer for bytes [off, off+len) of @b, sharing its slot.
 * @b: borrowed (transfer none). @out: a new reference (transfer full), with
 * @b's metadata (stream_offset advanced by @off when set); zeroed on error.
 * Returns 0, or -EINVAL when the range is not inside @b or @b is "no buffer".
 * Thread: any.
 */
PX_API int px_buf_sub(const struct px_buf *b, uint32_t off, uint32_t len,
		      struct px_buf *out);

/*
 * px_buf_make_writable - make @b writable: a no-op when it is the only
 * reference; otherwise copy its bytes into a new slot of the same pool
 * (counted in bytes_copied), drop the old reference and point @b at the
 * copy (offset 0, metadata kept).
 * @b: in/out; on success it holds a writable reference (transfer full in
 * and out); on error it is unchanged and still holds its reference.
 * Returns 0, -ENOBUFS (no slot for the copy), -EROFS (readonly attachment),
 * -EINVAL ("no buffer"). Thread: any.
 */
PX_API int px_buf_make_writable(struct px_buf *b);

/*
 * px_buf_from_bytes - loan a slot and copy @len bytes of @data into it
 * (counted in bytes_copied). @data: borrowed. @out: a new reference
 * (transfer full), metadata reset as by px_buf_alloc(); zeroed on error.
 * Returns 0, -ENOBUFS, -EINVAL (@len > slot size), -EROFS. Thread: any.
 */
PX_API int px_buf_from_bytes(struct px_pool *pool, const void *data, size_t len,
			     struct px_buf *out);

PX_EXTERN_C_END

#endif /* PX_BUF_H */
