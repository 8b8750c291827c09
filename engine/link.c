// SPDX-License-Identifier: MIT
/*
 * link.c - rings for the links of one pipeline: the local kind (both ends
 * on one reactor) and the reactor kind (two reactors of this process). Both
 * live in heap memory; their wake paths are the inline cases in link_int.h.
 */
#include <errno.h>
#include <stdlib.h>

#include "link_int.h"
#include "pipeline_int.h"

static enum px_ring_kind ring_kind(const struct px_link *l)
{
	return l->kind == PX__LINK_LOCAL ? PX_RING_LOCAL : PX_RING_SPSC;
}

int px__link_alloc(struct px_link *l, bool same_reactor)
{
	l->kind = same_reactor ? PX__LINK_LOCAL : PX__LINK_REACTOR;
	/* relaxed: set up before any reactor runs these elements */
	atomic_store_explicit(&l->prod.elem, l->src->elem, memory_order_relaxed);
	atomic_store_explicit(&l->cons.elem, l->sink->elem, memory_order_relaxed);
	l->memsize = px_ring_memsize(l->capacity, sizeof(struct px_item));
	l->mem = aligned_alloc(PX_CACHE_LINE, l->memsize);
	if (!l->mem)
		return -ENOMEM;
	return px_ring_view_init(&l->ring, l->mem, l->memsize, l->capacity,
				 sizeof(struct px_item), ring_kind(l));
}

void px__link_reset(struct px_link *l)
{
	l->prod.blocked = l->prod.sleeping = false;
	l->cons.blocked = l->cons.sleeping = false;
	(void)px_ring_view_init(&l->ring, l->mem, l->memsize, l->capacity,
				sizeof(struct px_item), ring_kind(l));
}

void px__link_free_ring(struct px_link *l)
{
	free(l->mem);
	l->mem = NULL;
	l->ring.ring = NULL;
}

bool px__link_nodes(const struct px_link *l, int *src, int *sink)
{
	const struct px_element *a = l->src ? l->src->elem : NULL;
	const struct px_element *b = l->sink ? l->sink->elem : NULL;

	*src = a && a->reactor ? px_reactor_numa_node(a->reactor) : -1;
	*sink = b && b->reactor ? px_reactor_numa_node(b->reactor) : -1;
	return *src >= 0 && *sink >= 0 && *src != *sink;
}

const char *px__link_kind_name(const struct px_link *l)
{
	static const char *const names[] = {
		[PX__LINK_LOCAL] = "local",
		[PX__LINK_REACTOR] = "reactor",
		[PX__LINK_PROCESS] = "process",
	};

	if (!l->ring.ring)
		return "unallocated";
	return l->kind < 3 ? names[l->kind] : "unknown";
}
