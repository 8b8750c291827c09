// SPDX-License-Identifier: MIT
/*
 * ring.c - the cold part of px_ring: sizing, laying a ring out in caller
 * memory, and validating a ring found in shared memory before use.
 */
#include <errno.h>
#include <string.h>

#include "px_ring.h"

static bool ring_geometry_ok(uint32_t capacity, uint32_t item_size)
{
	return capacity >= 2 && capacity <= PX_RING_CAPACITY_MAX &&
	       PX_IS_POW2(capacity) && item_size >= 8 &&
	       item_size <= PX_RING_ITEM_SIZE_MAX && item_size % 8 == 0;
}

static bool ring_kind_ok(unsigned kind)
{
	return kind == PX_RING_LOCAL || kind == PX_RING_SPSC ||
	       kind == PX_RING_MPSC;
}

PX_API size_t px_ring_memsize(uint32_t capacity, uint32_t item_size)
{
	if (!ring_geometry_ok(capacity, item_size))
		return 0;
	/* At most 2^30 * 2^16 bytes: no overflow in a 64-bit size_t. */
	return PX_ALIGN_UP(PX__RING_ITEMS_OFFSET +
				   (size_t)capacity * item_size,
			   (size_t)PX_CACHE_LINE);
}

PX_API int px_ring_init(void *mem, size_t memsize, uint32_t capacity,
			uint32_t item_size, enum px_ring_kind kind,
			struct px_ring **out)
{
	struct px_ring *r = mem;
	size_t need = px_ring_memsize(capacity, item_size);

	if (!mem || !out || (uintptr_t)mem % PX_CACHE_LINE != 0)
		return -EINVAL;
	if (need == 0 || memsize < need || !ring_kind_ok(kind))
		return -EINVAL;

	/* relaxed: an attacher that still sees an old magic accepts an old
	 * header, which is the caller's race (init needs exclusive use). */
	atomic_store_explicit(&r->magic, 0, memory_order_relaxed);
	/* The atomics are zeroed as plain memory: lock-free 32-bit atomics
	 * have the plain representation, and no one else looks yet. */
	memset((unsigned char *)r + sizeof(r->magic), 0,
	       sizeof(*r) - sizeof(r->magic));
	r->version = PX_RING_VERSION;
	r->kind = (uint16_t)kind;
	r->geom.capacity = capacity;
	r->geom.mask = capacity - 1;
	r->geom.item_size = item_size;
	/* R0: pairs with A0 in px_ring_attach(): the header and indices
	 * above are visible to an attacher that sees the magic. */
	atomic_store_explicit(&r->magic, PX_RING_MAGIC, memory_order_release);
	*out = r;
	return 0;
}

/*
 * Validate the ring at MEM and copy its geometry and kind out once: a peer
 * that rewrites the header while we look cannot make us check one value
 * and keep another (the copy is what px_ring_view indexes with).
 */
static int ring_check(void *mem, size_t memsize, struct px__ring_geom *g,
		      unsigned *kind)
{
	struct px_ring *r = mem;
	uint32_t head, tail, res;
	uint16_t version, k;

	if (!mem || (uintptr_t)mem % PX_CACHE_LINE != 0 ||
	    memsize < sizeof(*r))
		return -EINVAL;
	/* A0: pairs with R0 in px_ring_init(). */
	if (atomic_load_explicit(&r->magic, memory_order_acquire) !=
	    PX_RING_MAGIC)
		return -EINVAL;
	memcpy(&version, &r->version, sizeof(version));
	memcpy(&k, &r->kind, sizeof(k));
	memcpy(g, &r->geom, sizeof(*g));
	if (version != PX_RING_VERSION)
		return -EPROTO;
	if (!ring_kind_ok(k) || !ring_geometry_ok(g->capacity, g->item_size) ||
	    g->mask != g->capacity - 1 ||
	    memsize < px_ring_memsize(g->capacity, g->item_size))
		return -EINVAL;

	/* The ring may be live while we look. The indices are consistent
	 * when cons_head did not move while we read the others (a producer
	 * is then at most capacity ahead of it): only then judge them.
	 * acquire: as in px_ring_count(), head first. */
	head = atomic_load_explicit(&r->cons_head, memory_order_acquire);
	tail = atomic_load_explicit(&r->prod_tail, memory_order_acquire);
	res = k == PX_RING_MPSC ? atomic_load_explicit(&r->prod_head,
						       memory_order_acquire) :
				  tail;
	if (atomic_load_explicit(&r->cons_head, memory_order_acquire) ==
		    head &&
	    (tail - head > g->capacity || res - head > g->capacity))
		return -EINVAL;
	*kind = k;
	return 0;
}

PX_API int px_ring_attach(void *mem, size_t memsize, struct px_ring **out)
{
	struct px__ring_geom g;
	unsigned kind;
	int err;

	if (!out)
		return -EINVAL;
	err = ring_check(mem, memsize, &g, &kind);
	if (err)
		return err;
	*out = mem;
	return 0;
}

static void view_set(struct px_ring_view *v, struct px_ring *r,
		     const struct px__ring_geom *g, unsigned kind)
{
	v->ring = r;
	v->geom = *g;
	v->kind = (uint16_t)kind;
}

PX_API int px_ring_view_init(struct px_ring_view *v, void *mem,
			     size_t memsize, uint32_t capacity,
			     uint32_t item_size, enum px_ring_kind kind)
{
	struct px_ring *r;
	int err;

	if (!v)
		return -EINVAL;
	err = px_ring_init(mem, memsize, capacity, item_size, kind, &r);
	if (err)
		return err;
	/* From the arguments, not the header: it is shared from now on. */
	view_set(v, r,
		 &(struct px__ring_geom){ .capacity = capacity,
					  .mask = capacity - 1,
					  .item_size = item_size },
		 kind);
	return 0;
}

PX_API int px_ring_view_attach(struct px_ring_view *v, void *mem,
			       size_t memsize)
{
	struct px__ring_geom g;
	unsigned kind;
	int err;

	if (!v)
		return -EINVAL;
	err = ring_check(mem, memsize, &g, &kind);
	if (err)
		return err;
	view_set(v, mem, &g, kind);
	return 0;
}
