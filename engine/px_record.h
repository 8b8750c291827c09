/* SPDX-License-Identifier: MIT */
/*
 * px_record.h - typed records: a record written once, in place, into a
 * buffer's slot, and read in place by every consumer after one validation
 * whose verdict the consumer's buffer descriptor keeps (rkyv's idea, in C).
 * docs/records.md is the guide; this header is the reference.
 * Stability: public API, changed only with the ABI version (px_plugin.h).
 *
 * A record type is declared once, as a field list macro:
 *
 *   #define SAMPLE_FIELDS(X)                \
 *           X(i64,  t_ns,    _, _)          \
 *           X(f32,  value,   _, _)          \
 *           X(str,  label,   _, _)
 *   PX_RECORD(sample, SAMPLE_FIELDS)
 *
 *   #define READING_FIELDS(X)               \
 *           X(u32,  sensor,  _, _)          \
 *           X(bool, ok,      _, _)          \
 *           X(enum, unit,    enum unit, UNIT_COUNT) \
 *           X(array, coeffs, float, 4)      \
 *           X(rec,  where,   point, _)      \
 *           X(str,  name,    _, _)          \
 *           X(bytes, blob,   _, _)          \
 *           X(vec,  samples, sample, _)
 *   PX_RECORD(reading, READING_FIELDS)
 *
 * Each X(KIND, NAME, A, B) is one field (unused A and B are written _):
 *
 *   KIND            C view of the field          A, B
 *   u8 .. u64,      uint8_t .. uint64_t,         -
 *   i8 .. i64,      int8_t .. int64_t,
 *   f32, f64        float, double
 *   bool            uint8_t, 0 or 1              -
 *   enum            uint32_t, below B            A: the C enum (for the
 *                                                reader), B: its count
 *   array           A NAME[B]                    A: a scalar type whose every
 *                                                bit pattern is valid, B: n
 *   rec             struct A, in place           A: a PX_RECORD type
 *   str             struct px_rel: UTF-8 text    -
 *                   and a NUL, out of line
 *   bytes           struct px_rel: bytes         -
 *   vec             struct px_rel: an array of   A: a PX_RECORD type
 *                   struct A, out of line
 *
 * PX_RECORD(T, FIELDS) defines, all static inline:
 *   struct T                       the archived layout, read in place
 *   T_schema()                     name, hash, root size, validator
 *   T_schema_hash()                64-bit hash of the field list and layout
 *   T_begin(w, mem, cap)           a writer over CAP bytes at MEM, and the
 *                                  zeroed root to fill in place
 *   T_begin_buf(w, buf)            the same over a writable buffer's slot
 *   T_validate(data, len, flags, err)   0 or -EBADMSG
 *   T_view(buf, flags, err)        the root of a buffer's record, validated
 *                                  at most once per buffer, or NULL
 * Scalars, bools, enums, arrays and nested records are written and read
 * directly (r->sensor = 7). The variable-length kinds through:
 *   px_rec_set_str(w, &r->name, "text")   px_rec_str(&r->name)
 *   px_rec_set_bytes(w, &r->blob, p, n)   px_rec_bytes(&r->blob, &n)
 *   px_rec_alloc(w, &r->samples, n)       px_rec_vec(&r->samples, &n)
 * px_rec_alloc returns N zeroed struct A to fill in place, px_rec_vec a
 * const struct A pointer: the element type comes from the field.
 *
 * Layout. Byte 0: struct px_record_head (magic, size, schema hash); byte
 * 16: the root struct T in its C layout; then the variable-length fields'
 * data, each where its struct px_rel points: OFF bytes after the px_rel
 * itself (self-relative, forward only), LEN elements (bytes for str and
 * bytes, without str's NUL). The layout is that of this C ABI on a
 * little-endian LP64 machine (x86-64, aarch64): a record moves between
 * such machines unchanged.
 *
 * Writing order. The writer appends variable-length data in the order of
 * the T_set/T_alloc calls; write them in declaration order, depth first
 * (a vec's elements' own strings after the vec, element by element, before
 * the parent's next variable-length field). The validator claims regions
 * in that order, and a record written otherwise is refused (that rule is
 * what makes the check of "no two regions overlap" one comparison).
 *
 * The validator checks the buffer's alignment (8) and size, the magic, the
 * schema hash, that the size in the head fits the buffer, bools 0/1, enums
 * below their count, every px_rel inside the record, aligned for its
 * element type, after the previous region (no overlap, no cycle, no shared
 * subtree), str NUL-terminated and, with PX_RECORD_UTF8, valid UTF-8; then
 * every element of a vec whose type has checks. Fields where every bit
 * pattern is valid (integers, floats, arrays of them, records of only
 * those) generate no code: a vec of them costs one bounds check.
 */
#ifndef PX_RECORD_H
#define PX_RECORD_H

#include <errno.h>
#include <stdalign.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "px_base.h"
#include "px_buf.h"

PX_EXTERN_C_BEGIN

struct px_element;

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "px_record.h: records are little-endian; this target is not"
#endif

#define PX_RECORD_MAGIC 0x31525850u /* "PXR1" */
#define PX_RECORD_ALIGN 8u	    /* of the record's first byte */
#define PX_RECORD_ROOT	16u	    /* where the root struct starts */

struct px_record_head {
	uint32_t magic;	 /* PX_RECORD_MAGIC */
	uint32_t size;	 /* bytes of the record, this head included */
	uint64_t schema; /* T_schema_hash() of the writer's T */
};
_Static_assert(sizeof(struct px_record_head) == PX_RECORD_ROOT,
	       "the root follows the 16-byte head");

/* A variable-length field: LEN elements at OFF bytes after this struct
 * (OFF 0: none, and then LEN is 0). */
struct px_rel {
	uint32_t off;
	uint32_t len;
};
/* The fields of kind str and bytes (a vec field is an unnamed struct that
 * also carries its element type). */
struct px_str {
	struct px_rel rel;
};
struct px_bytes {
	struct px_rel rel;
};

/* Flags of T_validate and T_view. */
#define PX_RECORD_UTF8 0x1u /* str fields must be valid UTF-8 */

/* Why a record was refused: the byte offset of the offending field in the
 * record, the record type and field names (static strings), what is wrong.
 * px_record_error_text() formats it. */
struct px_record_error {
	uint32_t offset;
	const char *record, *field, *what;
};

/* What a consumer needs to know of a record type without its C type. */
struct px_record_schema {
	const char *name;
	uint64_t (*hash)(void);
	size_t root_size; /* sizeof(struct T) */
	int (*validate)(const void *data, size_t len, unsigned flags,
			struct px_record_error *err);
};

/*
 * px_record_view - T_view for a type known by its schema S: the root of
 * B's record, validated at most once per descriptor (the verdict is kept
 * in B->flags, PX_BUF_FLAG_VALIDATED), or NULL with ERR (may be NULL)
 * filled. Thread: the holder of B.
 */
PX_INLINE const void *px_record_view(struct px_buf *b,
				     const struct px_record_schema *s,
				     unsigned flags,
				     struct px_record_error *err);

/* A record being written into memory the writer does not own. ERR is
 * sticky: a setter that does not fit sets -ENOSPC and every later call
 * does nothing; px_record_finish() reports it. */
struct px_record_writer {
	uint8_t *base;
	uint32_t cap, used;
	int err;
};

/*
 * px_record_finish - close the record W wrote: its size goes into the head.
 * Returns the record's size in bytes (what the buffer's length must be),
 * or W's error: -ENOSPC (it did not fit), -EINVAL (misaligned memory).
 * Thread: the writer's.
 */
PX_INLINE int64_t px_record_finish(struct px_record_writer *w)
{
	if (w->err)
		return w->err;
	((struct px_record_head *)w->base)->size = w->used;
	return w->used;
}

/*
 * px_record_error_text - ERR as one line into BUF (always NUL-terminated),
 * e.g. "reading.name at byte 40: string runs past the record's end".
 * Returns the length it needs, like snprintf. Thread: any.
 */
PX_API size_t px_record_error_text(const struct px_record_error *err,
				   char *buf, size_t len);

/*
 * px_record_caps_text - the caps that name a record type, into BUF:
 * "application/x-px-record,schema=NAME,hash=(string)0123456789abcdef".
 * A link between pads of different record types then fails at link time,
 * naming both. Returns the length it needs, like snprintf. Thread: any.
 */
PX_API size_t px_record_caps_text(const struct px_record_schema *s, char *buf,
				  size_t len);

/* px_utf8_valid - whether the N bytes at P are well-formed UTF-8 (RFC 3629:
 * no overlongs, no surrogates, nothing above U+10FFFF). Thread: any. */
PX_API bool px_utf8_valid(const uint8_t *p, size_t n);

/* ---- what PX_RECORD expands to: internal, not for direct use -------------- */

/* Validation state: the record, and the first byte no region has claimed.
 * The checks work on addresses (END and CLAIM), which spares each claim
 * the conversions to and from offsets. The first five fields are ABI
 * 0.9's layout: px__rec_fail (record.c) reads BASE and ERR from the
 * struct of a validator built against 0.9; SIZE and CLAIM_OFF are set
 * when the checks start and not read since. */
struct px__rec_vs {
	const uint8_t *base;
	uint32_t size;
	uint32_t claim_off;
	unsigned flags;
	struct px_record_error *err;
	uintptr_t end;	 /* base + size */
	uintptr_t claim; /* base + the first unclaimed byte */
};

/* A refusal: fills ERR (may be NULL; the names are borrowed static
 * strings) with AT's offset from BASE and the names, returns -EBADMSG.
 * Out of line and handed the state's fields, not its address, so the
 * state stays in registers while a record passes; cold, so that no
 * check's passing path prepares its arguments (PX_COLD). Thread: any. */
PX_API PX_COLD int px__rec_refuse(struct px_record_error *err,
				  const uint8_t *base, const void *at,
				  const char *record, const char *field,
				  const char *what);
#define px__rec_fail(vs, at, record, field, what) \
	px__rec_refuse((vs)->err, (vs)->base, at, record, field, what)
PX_API uint64_t px__rec_hash(uint64_t h, const char *s, size_t n);

/* The region REL names, ESIZE bytes per element (+1 for a str's NUL),
 * aligned to EALIGN: claimed and returned, or NULL after px__rec_fail. */
PX_INLINE const uint8_t *px__rec_claim(struct px__rec_vs *vs,
				       const struct px_rel *rel, size_t esize,
				       size_t ealign, bool str,
				       const char *record, const char *field)
{
	/* Addresses: user space ends below 2^47 and a claim adds at most
	 * 2^32 elements of a record's size, so no sum wraps. */
	uintptr_t start = (uintptr_t)rel + rel->off;
	uintptr_t end = start + (uint64_t)rel->len * esize + str;

	/* REL lies in a region claimed already (the root, or a vector's
	 * elements), so an unset field (offset 0: START is REL itself)
	 * fails this test too and is told apart only then: a field that
	 * is set pays one test for both. */
	if (px_unlikely(start < vs->claim)) {
		if (rel->off == 0) {
			if (px_likely(rel->len == 0))
				return vs->base; /* unset: nothing to claim */
			px__rec_fail(vs, rel, record, field,
				     "a length without data (offset 0)");
			return NULL;
		}
		px__rec_fail(vs, rel, record, field,
			     "data overlaps earlier data or is out of "
			     "declaration order");
		return NULL;
	}
	if (px_unlikely(end > vs->end)) {
		px__rec_fail(vs, rel, record, field,
			     "data runs past the record's end");
		return NULL;
	}
	if (px_unlikely(start & (ealign - 1))) {
		px__rec_fail(vs, rel, record, field, "data misaligned");
		return NULL;
	}
	if (str) {
		if (px_unlikely(((const uint8_t *)end)[-1] != 0)) {
			px__rec_fail(vs, rel, record, field,
				     "string not NUL-terminated");
			return NULL;
		}
		if ((vs->flags & PX_RECORD_UTF8) &&
		    !px_utf8_valid((const uint8_t *)start, rel->len)) {
			px__rec_fail(vs, rel, record, field,
				     "string is not valid UTF-8");
			return NULL;
		}
	}
	vs->claim = end;
	/* Inside the record, so never NULL: callers test for NULL (a
	 * refusal), and this spares every passing claim that test. */
	if (!start)
		__builtin_unreachable();
	return (const uint8_t *)start;
}

/* Checks of the head, then the root by CHECK. HASH: the type's schema
 * hash as cached (0 until computed; COMPUTE then gives it), so that a
 * record that passes costs one compare for it. */
PX_INLINE int px__rec_validate(const void *data, size_t len, unsigned flags,
			       struct px_record_error *err, const char *name,
			       uint64_t hash, uint64_t (*compute)(void),
			       size_t root_size,
			       int (*check)(const void *root,
					    struct px__rec_vs *vs))
{
	const struct px_record_head *h = (const struct px_record_head *)data;
	struct px__rec_vs vs = { (const uint8_t *)data, 0, 0, flags, err,
				 0, 0 };
	size_t fixed = PX_RECORD_ROOT + root_size;

	if (px_unlikely(!data || ((uintptr_t)data & (PX_RECORD_ALIGN - 1))))
		return px__rec_fail(&vs, data, name, "",
				    "record misaligned (or no data)");
	if (px_unlikely(len < fixed))
		return px__rec_fail(&vs, data, name, "",
				    "buffer shorter than the record's root");
	if (px_unlikely(h->magic != PX_RECORD_MAGIC))
		return px__rec_fail(&vs, data, name, "", "not a record (magic)");
	if (px_unlikely(h->schema != hash) &&
	    (hash || h->schema != compute()))
		return px__rec_fail(&vs, &h->schema, name, "",
				    "written for another schema (hash)");
	/* h->size in [fixed, len], one compare (below fixed wraps). */
	if (px_unlikely((uint64_t)h->size - fixed > (uint64_t)len - fixed))
		return px__rec_fail(&vs, &h->size, name, "",
				    "size in the head outside the buffer");
	vs.size = h->size;
	vs.claim_off = (uint32_t)fixed;
	vs.end = (uintptr_t)data + h->size;
	vs.claim = (uintptr_t)data + fixed;
	return check((const uint8_t *)data + PX_RECORD_ROOT, &vs);
}

/* The view behind T_view and px_record_view: the verdict cached in this
 * consumer's descriptor, for the schema whose hash is HASH (one flag test
 * and one compare), else VALIDATE once and keep the verdict. */
PX_INLINE const void *px__rec_view(struct px_buf *b, uint64_t hash,
				   int (*validate)(const void *data,
						   size_t len, unsigned flags,
						   struct px_record_error *err),
				   unsigned flags, struct px_record_error *err)
{
	const uint8_t *d = (const uint8_t *)px_buf_data(b);

	if (px_likely(b->flags & PX_BUF_FLAG_VALIDATED) &&
	    ((const struct px_record_head *)d)->schema == hash)
		return d + PX_RECORD_ROOT;
	if (validate(d, b->length, flags, err))
		return NULL;
	b->flags |= PX_BUF_FLAG_VALIDATED;
	return d + PX_RECORD_ROOT;
}

PX_INLINE const void *px_record_view(struct px_buf *b,
				     const struct px_record_schema *s,
				     unsigned flags,
				     struct px_record_error *err)
{
	return px__rec_view(b, s->hash(), s->validate, flags, err);
}

/* Append N elements of ESIZE (+1: a str's NUL) at EALIGN for REL. */
PX_INLINE uint8_t *px__rec_reserve(struct px_record_writer *w,
				   struct px_rel *rel, uint32_t n,
				   size_t esize, size_t ealign, bool str)
{
	uint64_t start = ((uint64_t)w->used + ealign - 1) & ~(uint64_t)(ealign - 1);
	uint64_t end = start + (uint64_t)n * esize + str;
	uint8_t *p;

	if (w->err)
		return NULL;
	if (n == 0 && !str) {
		rel->off = rel->len = 0;
		return w->base + start; /* nothing to write; not NULL */
	}
	if (end > w->cap) {
		w->err = -ENOSPC;
		return NULL;
	}
	p = w->base + start;
	memset(w->base + w->used, 0, (size_t)(end - w->used));
	rel->off = (uint32_t)(p - (uint8_t *)rel);
	rel->len = n;
	w->used = (uint32_t)end;
	return p;
}

PX_INLINE void *px__rec_begin(struct px_record_writer *w, void *mem,
			      size_t cap, size_t root_size, uint64_t hash)
{
	struct px_record_head *h = (struct px_record_head *)mem;
	size_t fixed = PX_RECORD_ROOT + root_size;

	w->base = (uint8_t *)mem;
	w->cap = cap > UINT32_MAX ? UINT32_MAX : (uint32_t)cap;
	w->used = (uint32_t)fixed;
	w->err = 0;
	if (!mem || ((uintptr_t)mem & (PX_RECORD_ALIGN - 1))) {
		w->err = -EINVAL;
		return NULL;
	}
	if (cap < fixed) {
		w->err = -ENOSPC;
		return NULL;
	}
	memset(mem, 0, fixed);
	h->magic = PX_RECORD_MAGIC;
	h->schema = hash;
	h->size = (uint32_t)fixed;
	return (uint8_t *)mem + PX_RECORD_ROOT;
}

/* A writable buffer's slot, from the buffer's offset to the slot's end;
 * the buffer's validated flag is cleared (its bytes are about to change). */
PX_INLINE void *px__rec_begin_buf(struct px_record_writer *w,
				  struct px_buf *b, size_t root_size,
				  uint64_t hash)
{
	struct px_pool *pool = px_buf_pool(b);
	size_t cap = pool ? px_pool_slot_size(pool) - b->offset : 0;

	b->flags &= (uint16_t)~PX_BUF_FLAG_VALIDATED;
	return px__rec_begin(w, px_buf_data(b), cap, root_size, hash);
}

PX_INLINE const void *px__rel_ptr(const struct px_rel *rel)
{
	return rel->off ? (const uint8_t *)rel + rel->off : NULL;
}

/* ---- the variable-length fields: read and write --------------------------- */

/* The text of str field F: NUL-terminated, "" when unset; F->rel.len bytes
 * before the NUL. Thread: any (the record is read-only once validated). */
PX_INLINE const char *px_rec_str(const struct px_str *f)
{
	const char *s = (const char *)px__rel_ptr(&f->rel);

	return s ? s : "";
}

/*
 * px_rec_set_str - write S (its bytes and a NUL) as str field F of the
 * record W writes. Returns 0, or W's sticky error (-ENOSPC: it did not
 * fit). Thread: the writer's.
 */
PX_INLINE int px_rec_set_str(struct px_record_writer *w, struct px_str *f,
			     const char *s)
{
	size_t n = strlen(s);
	uint8_t *p;

	if (n > UINT32_MAX - 1)
		return w->err ? w->err : (w->err = -ENOSPC);
	p = px__rec_reserve(w, &f->rel, (uint32_t)n, 1, 1, true);
	if (!p)
		return w->err;
	memcpy(p, s, n);
	return 0;
}

/* The bytes of bytes field F and their count in *LEN (NULL and 0 when
 * unset). Thread: any. */
PX_INLINE const uint8_t *px_rec_bytes(const struct px_bytes *f, uint32_t *len)
{
	*len = f->rel.len;
	return (const uint8_t *)px__rel_ptr(&f->rel);
}

/* px_rec_set_bytes - write the N bytes at P as bytes field F. Returns 0 or
 * W's sticky error (-ENOSPC). Thread: the writer's. */
PX_INLINE int px_rec_set_bytes(struct px_record_writer *w, struct px_bytes *f,
			       const void *p, uint32_t n)
{
	uint8_t *d = px__rec_reserve(w, &f->rel, n, 1, 1, false);

	if (!d)
		return w->err;
	if (n)
		memcpy(d, p, n);
	return 0;
}

/* The elements of vec field F (a pointer to the field, e.g. &r->samples):
 * a const pointer to its element type, the count in *N (NULL and 0 when
 * unset). Thread: any. */
#define px_rec_vec(f, n)                                                      \
	((const __typeof__((f)->px_elem[0]) *)px__rec_vec(&(f)->rel, (n)))
PX_INLINE const void *px__rec_vec(const struct px_rel *rel, uint32_t *n)
{
	*n = rel->len;
	return px__rel_ptr(rel);
}

/* N zeroed elements for vec field F, to fill in place, or NULL (W's sticky
 * error is -ENOSPC). N 0 leaves the field unset. Thread: the writer's. */
#define px_rec_alloc(w, f, n)                                                 \
	((__typeof__((f)->px_elem[0]) *)px__rec_reserve(                      \
		(w), &(f)->rel, (n), sizeof((f)->px_elem[0]),                 \
		alignof(__typeof__((f)->px_elem[0])), false))

/* Member declarations, by kind. */
#define PX__RT_u8(n, a, b)    uint8_t n;
#define PX__RT_u16(n, a, b)   uint16_t n;
#define PX__RT_u32(n, a, b)   uint32_t n;
#define PX__RT_u64(n, a, b)   uint64_t n;
#define PX__RT_i8(n, a, b)    int8_t n;
#define PX__RT_i16(n, a, b)   int16_t n;
#define PX__RT_i32(n, a, b)   int32_t n;
#define PX__RT_i64(n, a, b)   int64_t n;
#define PX__RT_f32(n, a, b)   float n;
#define PX__RT_f64(n, a, b)   double n;
#define PX__RT_bool(n, a, b)  uint8_t n;
#define PX__RT_enum(n, a, b)  uint32_t n;
#define PX__RT_array(n, a, b) a n[b];
#define PX__RT_rec(n, a, b)   struct a n;
#define PX__RT_str(n, a, b)   struct px_str n;
#define PX__RT_bytes(n, a, b) struct px_bytes n;
#define PX__RT_vec(n, a, b)                                                   \
	struct {                                                              \
		struct px_rel rel;                                            \
		struct a px_elem[0]; /* the element type; no storage */      \
	} n;
#define PX__RT(k, n, a, b)    PX__RT_##k(n, a, b)

/* Whether a kind needs a check (summed: a record type needs checks when
 * any field does). */
#define PX__RC_u8(a)	0
#define PX__RC_u16(a)	0
#define PX__RC_u32(a)	0
#define PX__RC_u64(a)	0
#define PX__RC_i8(a)	0
#define PX__RC_i16(a)	0
#define PX__RC_i32(a)	0
#define PX__RC_i64(a)	0
#define PX__RC_f32(a)	0
#define PX__RC_f64(a)	0
#define PX__RC_bool(a)	1
#define PX__RC_enum(a)	1
#define PX__RC_array(a) 0
#define PX__RC_rec(a)	a##_px_checks
#define PX__RC_str(a)	1
#define PX__RC_bytes(a) 1
#define PX__RC_vec(a)	1
#define PX__RC(k, n, a, b) +PX__RC_##k(a)

/* Checks, by kind: statements in T_px_check(const struct T *r, vs), where
 * rec_ is the name of T. */
#define PX__RV_none(n, a, b)
#define PX__RV_u8    PX__RV_none
#define PX__RV_u16   PX__RV_none
#define PX__RV_u32   PX__RV_none
#define PX__RV_u64   PX__RV_none
#define PX__RV_i8    PX__RV_none
#define PX__RV_i16   PX__RV_none
#define PX__RV_i32   PX__RV_none
#define PX__RV_i64   PX__RV_none
#define PX__RV_f32   PX__RV_none
#define PX__RV_f64   PX__RV_none
#define PX__RV_array PX__RV_none
#define PX__RV_bool(n, a, b)                                                  \
	if (px_unlikely(r->n > 1))                                            \
		return px__rec_fail(vs, &r->n, rec_, #n, "bool is not 0 or 1");
#define PX__RV_enum(n, a, b)                                                  \
	if (px_unlikely(r->n >= (uint32_t)(b)))                               \
		return px__rec_fail(vs, &r->n, rec_, #n,                      \
				    "enum value out of range");
#define PX__RV_rec(n, a, b)                                                   \
	if (a##_px_checks) {                                                  \
		int e_ = a##_px_check(&r->n, vs);                             \
		if (e_)                                                       \
			return e_;                                            \
	}
#define PX__RV_str(n, a, b)                                                   \
	if (!px__rec_claim(vs, &r->n.rel, 1, 1, true, rec_, #n))              \
		return -EBADMSG;
#define PX__RV_bytes(n, a, b)                                                 \
	if (!px__rec_claim(vs, &r->n.rel, 1, 1, false, rec_, #n))             \
		return -EBADMSG;
#define PX__RV_vec(n, a, b)                                                   \
	{                                                                     \
		const struct a *v_ = (const struct a *)px__rec_claim(        \
			vs, &r->n.rel, sizeof(struct a), alignof(struct a),  \
			false, rec_, #n);                                     \
		if (!v_)                                                      \
			return -EBADMSG;                                      \
		if (a##_px_checks)                                            \
			for (uint32_t i_ = 0; i_ < r->n.rel.len; i_++) {      \
				int e_ = a##_px_check(&v_[i_], vs);           \
				if (e_)                                       \
					return e_;                            \
			}                                                     \
	}
#define PX__RV(k, n, a, b) PX__RV_##k(n, a, b)

/* The schema hash folds in each nested record type's hash. */
#define PX__RH_none(a)
#define PX__RH_u8    PX__RH_none
#define PX__RH_u16   PX__RH_none
#define PX__RH_u32   PX__RH_none
#define PX__RH_u64   PX__RH_none
#define PX__RH_i8    PX__RH_none
#define PX__RH_i16   PX__RH_none
#define PX__RH_i32   PX__RH_none
#define PX__RH_i64   PX__RH_none
#define PX__RH_f32   PX__RH_none
#define PX__RH_f64   PX__RH_none
#define PX__RH_bool  PX__RH_none
#define PX__RH_enum  PX__RH_none
#define PX__RH_array PX__RH_none
#define PX__RH_str   PX__RH_none
#define PX__RH_bytes PX__RH_none
#define PX__RH_rec(a)                                                         \
	{                                                                     \
		uint64_t n_ = a##_schema_hash();                              \
		h = px__rec_hash(h, (const char *)&n_, sizeof(n_));           \
	}
#define PX__RH_vec PX__RH_rec
#define PX__RH(k, n, a, b) PX__RH_##k(a)
#define PX__RD(k, n, a, b) #k " " #n " " #a " " #b ";"

/*
 * PX_RECORD - define record type T from its field list FIELDS (see the top
 * of this file). Use it once per type, in a header every user of T
 * includes; a nested type must be defined before the types that use it.
 */
#define PX_RECORD(T, FIELDS)                                                  \
	struct T {                                                            \
		FIELDS(PX__RT)                                                \
	};                                                                    \
	_Static_assert(alignof(struct T) <= PX_RECORD_ALIGN,                  \
		       #T ": records align to at most 8");                    \
	enum { T##_px_checks = 0 FIELDS(PX__RC) };                            \
	/* A typed pipeline stage's output of T records (px_typed.h). */     \
	struct T##_px_out {                                                   \
		struct px_element *elem;                                      \
	};                                                                    \
	PX__RECORD_FUNCS(T, FIELDS)

#define PX__RECORD_FUNCS(T, FIELDS)                                           \
	/* T's schema hash once computed, 0 before. Relaxed everywhere:   \
	 * every thread computes the same value. */                          \
	static _Atomic uint64_t T##_px_hash;                                  \
	PX_INLINE uint64_t T##_px_hash_compute(void)                          \
	{                                                                     \
		static const char desc[] = #T "{" FIELDS(PX__RD) "}";         \
		size_t size_ = sizeof(struct T);                              \
		uint64_t h = px__rec_hash(0, desc, sizeof(desc) - 1);         \
		h = px__rec_hash(h, (const char *)&size_, sizeof(size_));     \
		FIELDS(PX__RH)                                                \
		h |= 1; /* never 0: 0 means "not computed" */                 \
		atomic_store_explicit(&T##_px_hash, h, memory_order_relaxed); \
		return h;                                                     \
	}                                                                     \
	PX_INLINE uint64_t T##_schema_hash(void)                              \
	{                                                                     \
		uint64_t h = atomic_load_explicit(&T##_px_hash,               \
						  memory_order_relaxed);      \
		return px_likely(h) ? h : T##_px_hash_compute();              \
	}                                                                     \
	PX_INLINE int T##_px_check(const struct T *r, struct px__rec_vs *vs)  \
	{                                                                     \
		static const char rec_[] = #T;                                \
		(void)r;                                                      \
		(void)vs;                                                     \
		(void)rec_;                                                   \
		FIELDS(PX__RV)                                                \
		return 0;                                                     \
	}                                                                     \
	PX_INLINE int T##_px_check_root(const void *root,                     \
					struct px__rec_vs *vs)                \
	{                                                                     \
		return T##_px_check((const struct T *)root, vs);              \
	}                                                                     \
	PX_INLINE int T##_validate(const void *data, size_t len,              \
				   unsigned flags,                            \
				   struct px_record_error *err)               \
	{                                                                     \
		return px__rec_validate(                                      \
			data, len, flags, err, #T,                            \
			atomic_load_explicit(&T##_px_hash,                    \
					     memory_order_relaxed),           \
			T##_px_hash_compute, sizeof(struct T),                \
			T##_px_check_root);                                   \
	}                                                                     \
	PX_INLINE const struct px_record_schema *T##_schema(void)             \
	{                                                                     \
		static const struct px_record_schema s = {                   \
			#T, T##_schema_hash, sizeof(struct T),                \
			T##_validate };                                       \
		return &s;                                                    \
	}                                                                     \
	PX_INLINE struct T *T##_begin(struct px_record_writer *w, void *mem,  \
				      size_t cap)                             \
	{                                                                     \
		return (struct T *)px__rec_begin(w, mem, cap,                 \
						 sizeof(struct T),            \
						 T##_schema_hash());          \
	}                                                                     \
	PX_INLINE struct T *T##_begin_buf(struct px_record_writer *w,         \
					  struct px_buf *b)                   \
	{                                                                     \
		return (struct T *)px__rec_begin_buf(w, b, sizeof(struct T),  \
						     T##_schema_hash());      \
	}                                                                     \
	PX_INLINE const struct T *T##_view(struct px_buf *b, unsigned flags,  \
					   struct px_record_error *err)       \
	{                                                                     \
		/* The cached verdict against the hash as it stands: a head  \
		 * never holds 0, so "not computed yet" never matches. Only  \
		 * a buffer with bytes carries the flag: no NULL test. */     \
		if (px_likely(b->flags & PX_BUF_FLAG_VALIDATED)) {            \
			const uint8_t *d =                                    \
				(const uint8_t *)px__buf_data_held(b);        \
			if (px_likely(((const struct px_record_head *)d)      \
					      ->schema ==                     \
				      atomic_load_explicit(                   \
					      &T##_px_hash,                   \
					      memory_order_relaxed)))         \
				return (const struct T *)(d +                 \
							  PX_RECORD_ROOT);    \
		}                                                             \
		return (const struct T *)px__rec_view(                        \
			b, T##_schema_hash(), T##_validate, flags, err);      \
	}

PX_EXTERN_C_END

#endif /* PX_RECORD_H */
