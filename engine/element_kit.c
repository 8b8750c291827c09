// SPDX-License-Identifier: MIT
/*
 * element_kit.c - helpers every element may use, built-in or plugin (the
 * kit section of px_element.h): releasing items in bursts, and moving items
 * from an input to an output as pass-through elements do.
 */
#include <errno.h>

#include "pipeline_int.h"
#include "px_pool.h"

PX_API void px_items_release(const struct px_item *items, unsigned n)
{
	uint32_t slots[PX_ELEMENT_BATCH];
	uint16_t pool = 0;
	unsigned k = 0;

	for (unsigned i = 0; i < n; i++) {
		const struct px_buf *b = &items[i].buf;

		if (items[i].type != PX_ITEM_BUFFER || !b->pool)
			continue;
		if (b->pool != pool || k == PX_ELEMENT_BATCH) {
			if (k)
				px_pool_release_burst(px_pool_from_id(pool),
						      slots, k);
			pool = b->pool;
			k = 0;
		}
		slots[k++] = b->slot;
	}
	if (k)
		px_pool_release_burst(px_pool_from_id(pool), slots, k);
}

PX_API unsigned px_pad_forward(struct px_pad *in, struct px_pad *out,
			       px_item_keep_fn keep, void *arg)
{
	struct px_item items[PX_ELEMENT_BATCH];
	struct px_element *e = in->elem;
	unsigned room = px_pad_room(out), want, n, m, pushed;
	enum px_flow f;

	if (!room)
		return 0; /* scheduled again when the link drains */
	want = PX_MIN(room, (unsigned)PX_ELEMENT_BATCH);
	n = px_pad_pull(in, items, want);
	m = n;
	if (keep) {
		m = 0;
		for (unsigned i = 0; i < n; i++)
			if (keep(e, &items[i], arg))
				items[m++] = items[i];
	}
	f = m ? px_pad_push_burst(out, items, m, &pushed) : PX_FLOW_OK;
	if (f == PX_FLOW_BUSY) {
		/* Room was there and only E pushes here: a broken promise of
		 * the link, not backpressure. Say so rather than drop. */
		px_items_release(items + pushed, m - pushed);
		px_element_error(e, -EIO, "%s: %s took %u of %u items after "
				 "reporting room for %u",
				 e->name, out->name, pushed, m, room);
	}
	if (n == want && px_pad_count(in))
		px_element_schedule(e);
	return n;
}
