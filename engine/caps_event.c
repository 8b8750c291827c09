// SPDX-License-Identifier: MIT
/*
 * caps_event.c - CAPS events: what the buffers that follow on a link are.
 *
 * Caps travel by id. A pipeline interns every caps value a CAPS event names
 * in a table that lives as long as the pipeline, so an id stays valid in any
 * item that carries it, on any reactor, and an event stays 64 bytes like a
 * buffer. The rules, applied by the engine in px_pad_push*():
 *
 * - Validation gives each link its caps (src pad ^ filter ^ sink pad). Each
 *   run, the src pads of sources (elements without sink pads) start with
 *   those as their current caps, none yet sent.
 * - Before a buffer is pushed on a pad whose current caps downstream has not
 *   seen, a CAPS event goes first. px_pad_room() sends it as soon as there
 *   is room, so that the room it reports is all for the element's items.
 * - An element with inputs passes caps on by forwarding the CAPS events it
 *   pulls (identity, queue, tee, funnel and capsfilter move every item as it
 *   comes). A forwarded event is narrowed to the caps of the link it enters:
 *   downstream reads upstream's caps ^ the link's. It becomes the pad's
 *   current and sent caps, so nothing is injected and the link holds only
 *   the element's own items (queue counts them).
 * - An element that makes new data instead (or changes caps mid-stream)
 *   calls px_pad_push_caps(); the next buffer carries the change.
 *
 * Consumers read an event's caps with px_event_caps().
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "link_int.h"
#include "pipeline_int.h"

/* CAPS's canonical text, malloc'd into *OUT. Returns 0 or -ENOMEM. */
static int caps_text(const struct px_caps *caps, char **out)
{
	size_t need = px_caps_to_string(caps, NULL, 0) + 1;

	*out = malloc(need);
	if (!*out)
		return -ENOMEM;
	px_caps_to_string(caps, *out, need);
	return 0;
}

int px__caps_intern(struct px_pipeline *p, const struct px_caps *caps,
		    uint32_t *id)
{
	char *want = NULL, *have = NULL;
	int err = caps_text(caps, &want);

	if (err)
		return err;
	pthread_mutex_lock(&p->caps_mu);
	for (uint32_t i = 0; i < p->n_caps; i++) {
		err = caps_text(p->caps[i], &have);
		if (err)
			goto err_unlock;
		if (!strcmp(have, want)) {
			*id = i + 1;
			goto err_unlock; /* found: err is 0 */
		}
		free(have);
		have = NULL;
	}
	if (p->n_caps == p->cap_caps) {
		uint32_t cap = p->cap_caps ? p->cap_caps * 2 : 8;
		struct px_caps **v = realloc(p->caps, cap * sizeof(*v));

		if (!v) {
			err = -ENOMEM;
			goto err_unlock;
		}
		p->caps = v;
		p->cap_caps = cap;
	}
	p->caps[p->n_caps++] = px_caps_ref((struct px_caps *)caps);
	*id = p->n_caps;
err_unlock:
	pthread_mutex_unlock(&p->caps_mu);
	free(have);
	free(want);
	return err;
}

const struct px_caps *px__caps_lookup(struct px_pipeline *p, uint32_t id)
{
	const struct px_caps *c = NULL;

	pthread_mutex_lock(&p->caps_mu);
	if (id && id <= p->n_caps)
		c = p->caps[id - 1];
	pthread_mutex_unlock(&p->caps_mu);
	return c;
}

void px__caps_table_free(struct px_pipeline *p)
{
	for (uint32_t i = 0; i < p->n_caps; i++)
		px_caps_unref(p->caps[i]);
	free(p->caps);
	p->caps = NULL;
	p->n_caps = p->cap_caps = 0;
}

/* L's caps are CAPS from now on (transfer full), interned. */
static int link_take_caps(struct px_pipeline *p, struct px_link *l,
			  struct px_caps *caps)
{
	int err = px__caps_intern(p, caps, &l->caps_id);

	if (err) {
		px_caps_unref(caps);
		return err;
	}
	px_caps_unref(l->caps);
	l->caps = caps;
	return 0;
}

int px__link_set_caps(struct px_pipeline *p, struct px_link *l)
{
	struct px_caps *c, *both;
	int err;

	if (l->filter) {
		err = px_caps_intersect(l->src->caps, l->filter, &c);
		if (err)
			return err;
	} else {
		c = px_caps_ref(l->src->caps);
	}
	err = px_caps_intersect(c, l->sink->caps, &both);
	px_caps_unref(c);
	return err ? err : link_take_caps(p, l, both);
}

/* Carry the caps of E's one input link IN to its output link OUT. */
static int carry(struct px_pipeline *p, struct px_element *e,
		 const struct px_link *in, struct px_link *out)
{
	struct px_caps *both;
	char a[256], b[256];
	int err = px_caps_intersect(in->caps, out->caps, &both);

	if (err == -ENODATA) {
		px_caps_to_string(in->caps, a, sizeof(a));
		px_caps_to_string(out->caps, b, sizeof(b));
		px__pipeline_fail(p, -EINVAL, e->name,
				  "caps %s coming from %s and %s going to %s "
				  "contradict each other through %s, which "
				  "passes caps on unchanged",
				  a, in->caps_from->name, b,
				  out->sink->elem->name, e->name);
		return -EINVAL;
	}
	if (err)
		return err;
	out->caps_from = in->caps_from;
	return link_take_caps(p, out, both);
}

int px__caps_propagate(struct px_pipeline *p, struct px_element **order)
{
	for (unsigned i = 0; i < p->n_elems; i++) {
		struct px_element *e = order[i];

		for (unsigned j = 0; j < e->n_src; j++)
			if (e->src[j]->link)
				e->src[j]->link->caps_from = e;
	}
	for (unsigned i = 0; i < p->n_elems; i++) {
		struct px_element *e = order[i];
		const struct px_link *in;

		if (!(e->cls->flags & PX_ELEMENT_CAPS_PASSTHROUGH) ||
		    e->n_sink != 1 || !e->sink[0]->link)
			continue;
		in = e->sink[0]->link;
		for (unsigned j = 0; j < e->n_src; j++) {
			int err;

			if (!e->src[j]->link)
				continue;
			err = carry(p, e, in, e->src[j]->link);
			if (err)
				return err;
		}
	}
	return 0;
}

void px__pad_caps_reset(struct px_pad *pad)
{
	bool source = pad->elem->n_sink == 0;

	pad->caps_cur = source && pad->link ? pad->link->caps_id : 0;
	pad->caps_sent = 0;
}

/* ID narrowed to PAD's link caps, interned into *OUT. Posts the error. */
static int narrow(struct px_pad *pad, const struct px_caps *caps,
		  uint32_t *out)
{
	struct px_element *e = pad->elem;
	struct px_caps *both;
	char a[256], b[256];
	int err;

	err = px_caps_intersect(caps, pad->link->caps, &both);
	if (!err) {
		err = px__caps_intern(e->pipeline, both, out);
		px_caps_unref(both);
	}
	if (err == -ENODATA) {
		/* The consumer as the link has it: px_pipeline_replace() may
		 * be handing its end over right now. */
		struct px_element *to = atomic_load_explicit(
			&pad->link->cons.elem, memory_order_acquire);
		const char *tpad = "?";

		for (unsigned i = 0; i < to->n_sink; i++)
			if (to->sink[i]->link == pad->link)
				tpad = to->sink[i]->name;
		px_caps_to_string(caps, a, sizeof(a));
		px_caps_to_string(pad->link->caps, b, sizeof(b));
		px_element_error(e, -EINVAL,
				 "%s:%s: caps %s do not fit the link to %s:%s, "
				 "whose caps are %s",
				 e->name, pad->name, a, to->name, tpad, b);
		return -EINVAL;
	}
	if (err)
		px_element_error(e, err, "%s:%s: out of memory for caps",
				 e->name, pad->name);
	return err;
}

int px__pad_caps_event(struct px_pad *pad, struct px_item *it)
{
	const struct px_caps *caps;
	uint32_t id;
	int err;

	caps = px__caps_lookup(pad->elem->pipeline, it->ev.caps_id);
	if (!caps) {
		px_element_error(pad->elem, -EINVAL,
				 "%s:%s: CAPS event names caps id %u, which "
				 "this pipeline does not have",
				 pad->elem->name, pad->name, it->ev.caps_id);
		return -EINVAL;
	}
	if (it->ev.caps_id == pad->link->caps_id ||
	    px_caps_is_any(pad->link->caps)) {
		id = it->ev.caps_id; /* nothing to narrow */
	} else {
		err = narrow(pad, caps, &id);
		if (err)
			return err;
	}
	it->ev.caps_id = id;
	pad->caps_cur = pad->caps_sent = id;
	return 0;
}

bool px__pad_send_caps(struct px_pad *pad)
{
	struct px_item ev;

	ev.type = PX_ITEM_EVENT;
	ev.ev.type = PX_EVENT_CAPS;
	ev.ev.size = 0;
	ev.ev.caps_id = pad->caps_cur;
	if (!px_ring_view_enqueue(&pad->link->ring, &ev))
		return false;
	pad->caps_sent = pad->caps_cur;
	px_log_cat("caps", pad->elem, PX_LOG_DEBUG, "%s: CAPS event, caps id %u",
		   pad->name, pad->caps_cur);
	return true;
}

PX_API const struct px_caps *px_event_caps(const struct px_element *e,
					   const struct px_item *it)
{
	if (!e || !it || it->type != PX_ITEM_EVENT ||
	    it->ev.type != PX_EVENT_CAPS)
		return NULL;
	return px__caps_lookup(e->pipeline, it->ev.caps_id);
}

PX_API const struct px_caps *px_pad_link_caps(const struct px_pad *pad)
{
	return pad && pad->link ? pad->link->caps : NULL;
}

PX_API int px_pad_push_caps(struct px_pad *pad, const struct px_caps *caps)
{
	uint32_t id;
	int err;

	if (!pad || !caps || pad->dir != PX_PAD_SRC)
		return -EINVAL;
	if (!pad->link)
		return -ENOTCONN;
	err = narrow(pad, caps, &id);
	if (err)
		return err;
	pad->caps_cur = id;
	return 0;
}
