// SPDX-License-Identifier: MIT
/*
 * pad.c - the per-buffer path: pull from and push to the ring of a link,
 * count stats, and have the link wake the element at the other end.
 *
 * Wakeup rules (no wakeup is lost; each kind's primitive is in link_int.h):
 * - push: px__link_wake_consumer() (a local consumer goes on the run queue;
 *   a concurrent one is woken when its sleep flag says it sleeps, set in
 *   px__element_task after it found the ring empty).
 * - pull: once the link is at or below half, px__link_wake_producer() wakes
 *   a producer that waits for room (set in px_pad_room/px_pad_push through
 *   px__link_producer_wait()).
 */
#include <errno.h>
#include <string.h>

#include "bus_int.h"
#include "pipeline_int.h"
#include "trace_int.h"

PX_API const char *px_pad_name(const struct px_pad *pad)
{
	return pad->name;
}

PX_API struct px_element *px_pad_element(const struct px_pad *pad)
{
	return pad->elem;
}

PX_API bool px_pad_is_linked(const struct px_pad *pad)
{
	return pad->link != NULL;
}

PX_API enum px_pad_direction px_pad_direction(const struct px_pad *pad)
{
	return pad->dir;
}

PX_API struct px_pad *px_pad_peer(const struct px_pad *pad)
{
	if (!pad->link)
		return NULL;
	return pad->dir == PX_PAD_SRC ? pad->link->sink : pad->link->src;
}

PX_API const struct px_caps *px_pad_caps(const struct px_pad *pad)
{
	return pad->caps;
}

PX_API int px_pad_set_caps(struct px_pad *pad, const struct px_caps *caps)
{
	struct px_caps *c;

	if (!pad || !caps)
		return -EINVAL;
	/* A replacement being made (replace.c) is not linked yet. */
	if (atomic_load_explicit(&pad->elem->pipeline->state,
				 memory_order_relaxed) != PX_STATE_NULL &&
	    !pad->elem->detached)
		return -EBUSY;
	c = px_caps_ref((struct px_caps *)caps);
	px_caps_unref(pad->caps);
	pad->caps = c;
	return 0;
}

PX_API int px_pad_request_capacity(struct px_pad *pad, unsigned capacity)
{
	if (!pad || !capacity || capacity > PX__LINK_MAX_CAPACITY)
		return -EINVAL;
	if (atomic_load_explicit(&pad->elem->pipeline->state,
				 memory_order_relaxed) != PX_STATE_NULL)
		return -EBUSY;
	pad->req_capacity = capacity;
	return 0;
}

PX_API void px_item_release(struct px_item *it)
{
	if (it->type == PX_ITEM_BUFFER)
		px_buf_unref(&it->buf);
	it->type = PX_ITEM_NONE;
}

/* Count a batch into PAD's stats; CAPS_SEEN (a sink pad's, or NULL) gets
 * the id of the batch's last CAPS event. Returns the number of buffers;
 * *STAMPED says whether one of them carries a source time (the same pass,
 * so that a sink finds its few stamped batches without a second one). */
static inline unsigned count_items(struct px_pad *pad,
				   const struct px_item *items, unsigned n,
				   uint32_t *caps_seen, bool *stamped)
{
	uint64_t b = 0, bytes = 0, born = 0;

	for (unsigned i = 0; i < n; i++) {
		if (px_likely(items[i].type == PX_ITEM_BUFFER)) {
			b++;
			bytes += items[i].buf.length;
			born |= items[i].born;
		} else if (caps_seen && items[i].ev.type == PX_EVENT_CAPS) {
			*caps_seen = items[i].ev.caps_id;
		}
	}
	px_stat_add(&pad->buffers, b);
	px_stat_add(&pad->bytes, bytes);
	if (px_unlikely(b != n))
		px_stat_add(&pad->events, n - b);
	*stamped = born != 0;
	return (unsigned)b;
}

/* Source-to-here latency of a pulled batch: one clock read, and one
 * histogram update per run of buffers with the same birth time. */
static void record_latency(struct px_pad *pad, const struct px_item *items,
			   unsigned n)
{
	uint64_t born[32], unstamped = 0;
	uint32_t runs[32];
	unsigned k = 0;

	for (unsigned i = 0; i < n; i++) {
		uint64_t b;

		if (items[i].type != PX_ITEM_BUFFER)
			continue;
		b = items[i].born;
		if (px_unlikely(!b)) {
			unstamped++;
		} else if (k && born[k - 1] == b) {
			runs[k - 1]++;
		} else {
			if (k == 32) {
				px__lat_record(pad->lat, born, runs, k, 0,
					       px__now_ns());
				k = 0;
			}
			born[k] = b;
			runs[k++] = 1;
		}
	}
	if (k)
		px__lat_record(pad->lat, born, runs, k, unstamped,
			       px__now_ns());
	else if (unstamped) /* no clock read for these */
		px_stat_add(&pad->lat->unstamped, unstamped);
}

/* Take up to N items off PAD's link L and account for them. */
static inline unsigned pull_ring(struct px_pad *pad, struct px_link *l,
				 struct px_item *items, unsigned n)
{
	unsigned got, left, nbuf;
	bool stamped;

	got = px_ring_view_dequeue_burst(&l->ring, items, n);
	if (!got)
		return 0;
	pad->elem->pulled = true;
	PX_TRACE(pull, pad->elem->name, pad->name, got);
	nbuf = count_items(pad, items, got, &pad->caps_seen, &stamped);
	if (pad->lat_rec) {
		if (px_unlikely(stamped))
			record_latency(pad, items, got);
		else if (nbuf) /* most batches: sampled out at the source */
			px_stat_add(&pad->lat->unstamped, nbuf);
	}
	if (px_unlikely(px_item_is_eos(&items[got - 1])))
		pad->eos = true;
	left = px_ring_view_count(&l->ring);
	/* got + left: the level when we looked, plus what came since (a
	 * concurrent producer); never more than the ring holds. */
	if (px_unlikely(got + left > px_stat_get(&pad->level_max)))
		px_stat_set(&pad->level_max,
			    PX_MIN(got + left, px_ring_view_capacity(&l->ring)));
	if (left <= l->half)
		px__link_wake_producer(l);
	return got;
}

/*
 * px_pipeline_replace's pulls (replace.c): a successor's pad hands out the
 * stream's caps first; a retiring element's pad gives only what came
 * before the cut, then an EOS of its own that makes the element flush.
 */
static unsigned pull_replacing(struct px_pad *pad, struct px_link *l,
			       struct px_item *items, unsigned n)
{
	unsigned got;

	if (!n)
		return 0;
	if (pad->caps_inject) {
		items[0].type = PX_ITEM_EVENT;
		items[0].ev.type = PX_EVENT_CAPS;
		items[0].ev.size = 0;
		items[0].ev.caps_id = pad->caps_inject;
		pad->caps_seen = pad->caps_inject;
		pad->caps_inject = 0;
		pad->elem->pulled = true;
		return 1 + (pad->retiring ? 0 :
				pull_ring(pad, l, items + 1, n - 1));
	}
	if (pad->retire_left) {
		got = pull_ring(pad, l, items, PX_MIN(n, pad->retire_left));
		pad->retire_left -= got;
		if (pad->eos)
			px__replace_cancel(pad->elem); /* a real EOS came first */
		return got;
	}
	if (pad->retire_eos_given)
		return 0;
	pad->retire_eos_given = true;
	pad->eos = true;
	pad->elem->pulled = true;
	px_item_eos(&items[0]);
	return 1;
}

PX_API unsigned px_pad_pull(struct px_pad *pad, struct px_item *items,
			    unsigned n)
{
	struct px_link *l = pad->link;

	if (px_unlikely(!l))
		return 0;
	if (px_unlikely(pad->retiring || pad->caps_inject))
		return pull_replacing(pad, l, items, n);
	return pull_ring(pad, l, items, n);
}

PX_API unsigned px_pad_count(const struct px_pad *pad)
{
	return pad->link ? px_ring_view_count(&pad->link->ring) : 0;
}

/* A source's push: the time to stamp it with, or 0 on the pushes that
 * the sampling skips (px_pipeline_set_latency). */
static inline uint64_t stamp_time(struct px_element *e)
{
	if (--e->stamp_left)
		return 0;
	e->stamp_left = e->stamp_every;
	return px__now_ns();
}

/* Why a push cannot go through, or PX_FLOW_OK. */
static inline enum px_flow push_check(const struct px_pad *pad)
{
	int flow;

	if (px_unlikely(!pad->link))
		return PX_FLOW_NOT_LINKED;
	if (px_unlikely(pad->eos))
		return PX_FLOW_EOS;
	/* relaxed: a stop is also signalled by the control task */
	flow = atomic_load_explicit(&pad->elem->pipeline->flow,
				    memory_order_relaxed);
	if (px_unlikely(flow >= PX__FLOW_HALTED))
		return flow == PX__FLOW_HALTED ? PX_FLOW_ERROR :
						 PX_FLOW_FLUSHING;
	return PX_FLOW_OK;
}

PX_API unsigned px_pad_room(struct px_pad *pad)
{
	struct px_link *l = pad->link;
	unsigned room;

	if (px_unlikely(!l))
		return 0;
	room = px_ring_view_free_count(&l->ring);
	if (px_unlikely(!room))
		room = px__link_producer_wait(l);
	/* Caps the consumer has not seen go first (caps_event.c), out of
	 * this room, so that what is left is the element's. */
	if (px_unlikely(pad->caps_sent != pad->caps_cur) && room &&
	    push_check(pad) == PX_FLOW_OK && px__pad_send_caps(pad))
		room--;
	return room;
}

PX_API enum px_flow px_pad_push(struct px_pad *pad, struct px_item *item)
{
	struct px_link *l = pad->link;
	enum px_flow why = push_check(pad);

	if (px_unlikely(why != PX_FLOW_OK)) {
		px_stat_add(&pad->dropped, 1);
		px_item_release(item);
		return why;
	}
	if (px_unlikely(item->type != PX_ITEM_BUFFER)) {
		if (item->ev.type == PX_EVENT_CAPS &&
		    px__pad_caps_event(pad, item)) {
			px_item_release(item);
			return PX_FLOW_ERROR;
		}
		/* The EOS that ends a replaced element's share: its links
		 * go to the successor, and the EOS goes nowhere. */
		if (px_unlikely(pad->elem->replace) &&
		    item->ev.type == PX_EVENT_EOS && px__replace_handover(pad))
			return PX_FLOW_OK;
	} else {
		uint64_t now = pad->elem->stamp_every ? stamp_time(pad->elem) : 0;

		if (now) /* not sampled: the 0 px_item_from_buf wrote stays */
			item->born = now;
		if (px_unlikely(pad->caps_sent != pad->caps_cur) &&
		    !px__pad_send_caps(pad) &&
		    (!px__link_producer_wait(l) || !px__pad_send_caps(pad)))
			return PX_FLOW_BUSY;
	}
	if (px_unlikely(!px_ring_view_enqueue(&l->ring, item))) {
		if (!px__link_producer_wait(l) ||
		    !px_ring_view_enqueue(&l->ring, item))
			return PX_FLOW_BUSY;
	}
	PX_TRACE(push, pad->elem->name, pad->name, 1u);
	if (px_likely(item->type == PX_ITEM_BUFFER)) {
		px_stat_add(&pad->buffers, 1);
		px_stat_add(&pad->bytes, item->buf.length);
	} else {
		px_stat_add(&pad->events, 1);
		if (px_item_is_eos(item))
			pad->eos = true;
	}
	px__link_wake_consumer(l);
	return PX_FLOW_OK;
}

/* A burst with a CAPS event in it: one item at a time, each through
 * px_pad_push. Rare (caps change), so simple. */
static enum px_flow push_each(struct px_pad *pad, struct px_item *items,
			      unsigned n, unsigned *taken)
{
	enum px_flow f = PX_FLOW_OK;
	unsigned i;

	for (i = 0; i < n; i++) {
		f = px_pad_push(pad, &items[i]);
		if (f != PX_FLOW_OK)
			break;
	}
	if (taken)
		*taken = i;
	if (f != PX_FLOW_OK && f != PX_FLOW_BUSY) /* item i was released */
		for (unsigned k = i + 1; k < n; k++)
			px_item_release(&items[k]);
	return f;
}

PX_API enum px_flow px_pad_push_burst(struct px_pad *pad, struct px_item *items,
				      unsigned n, unsigned *taken)
{
	struct px_link *l = pad->link;
	enum px_flow why = push_check(pad);
	uint64_t nbuf = 0, nbytes = 0, now;
	unsigned done;

	if (taken)
		*taken = 0;
	if (px_unlikely(why != PX_FLOW_OK)) {
		/* Released: the caller is done with them, and told why. */
		px_stat_add(&pad->dropped, n);
		for (unsigned i = 0; i < n; i++)
			px_item_release(&items[i]);
		return why;
	}
	now = pad->elem->stamp_every ? stamp_time(pad->elem) : 0;
	for (unsigned i = 0; i < n; i++) {
		if (px_likely(items[i].type == PX_ITEM_BUFFER)) {
			/* not sampled: the 0 px_item_from_buf wrote stays */
			if (now)
				items[i].born = now;
			nbuf++;
			nbytes += items[i].buf.length;
		} else if (items[i].ev.type == PX_EVENT_CAPS ||
			   px_unlikely(pad->elem->replace != NULL)) {
			return push_each(pad, items, n, taken);
		}
	}
	if (px_unlikely(pad->caps_sent != pad->caps_cur) && n &&
	    !px__pad_send_caps(pad) &&
	    (!px__link_producer_wait(l) || !px__pad_send_caps(pad)))
		return n ? PX_FLOW_BUSY : PX_FLOW_OK;
	done = px_ring_view_enqueue_burst(&l->ring, items, n);
	if (px_unlikely(done < n) && px__link_producer_wait(l))
		done += px_ring_view_enqueue_burst(&l->ring, items + done, n - done);
	if (taken)
		*taken = done;
	if (!done)
		return n ? PX_FLOW_BUSY : PX_FLOW_OK;
	PX_TRACE(push, pad->elem->name, pad->name, done);
	if (px_likely(done == n)) {
		px_stat_add(&pad->buffers, nbuf);
		px_stat_add(&pad->bytes, nbytes);
	} else {
		bool stamped;

		count_items(pad, items, done, NULL, &stamped);
	}
	if (px_unlikely(px_item_is_eos(&items[done - 1])))
		pad->eos = true;
	px__link_wake_consumer(l);
	return done < n ? PX_FLOW_BUSY : PX_FLOW_OK;
}

PX_API enum px_flow px_element_push_eos(struct px_element *e)
{
	enum px_flow res = PX_FLOW_OK;

	for (unsigned i = 0; i < e->n_src; i++) {
		struct px_pad *pad = e->src[i];
		struct px_item it;
		enum px_flow f;

		if (pad->eos || !pad->link)
			continue;
		px_item_eos(&it);
		f = px_pad_push(pad, &it);
		if (f == PX_FLOW_BUSY)
			res = PX_FLOW_BUSY;
		else if (f != PX_FLOW_OK && res == PX_FLOW_OK)
			res = f;
	}
	return res;
}
