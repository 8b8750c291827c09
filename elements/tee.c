// SPDX-License-Identifier: MIT
/*
 * tee.c - sends every item to each linked branch (request pads src_%u):
 * one buffer reference per branch, no byte copied. It moves only as many
 * items as the fullest branch can take, so the slowest branch sets the pace.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "elements_int.h"
#include "px_buf.h"

struct tee {
	/* properties */
	bool allow_not_linked;
	px_stat_i64 num_src_pads;

	/* run state */
	struct px_element *e;
	struct px_pad *sink;
	struct px_pad **srcs; /* linked src pads, from start() */
	unsigned n_srcs;
	unsigned srcs_cap;
};

static const struct px_prop_spec tee_props[] = {
	PX_PROP_BOOL_SPEC("allow-not-linked", struct tee, allow_not_linked, false,
			  "run (dropping everything) even when no branch is linked"),
	PX_PROP_STAT_I64_SPEC("num-src-pads", PX_PROP_INT, struct tee,
			      num_src_pads, "branches (src_%u pads) made so far"),
};

static const struct px_pad_template tee_pads[] = {
	{ "sink", PX_PAD_SINK, PX_PAD_ALWAYS, "ANY" },
	{ "src_%u", PX_PAD_SRC, PX_PAD_REQUEST, "ANY" },
};

static int tee_pad_added(struct px_element *e, struct px_pad *pad)
{
	struct tee *s = px_element_priv(e);

	(void)pad;
	px_stat_set(&s->num_src_pads, px_element_pad_count(e, PX_PAD_SRC));
	return 0;
}

static int tee_start(struct px_element *e)
{
	struct tee *s = px_element_priv(e);
	unsigned n = px_element_pad_count(e, PX_PAD_SRC);

	s->e = e;
	s->sink = px_element_pad(e, "sink");
	if (n > s->srcs_cap) {
		struct px_pad **p = realloc(s->srcs, n * sizeof(*p));

		if (!p) {
			px_element_error(e, -ENOMEM, "%s: out of memory for %u branches",
					 px_element_name(e), n);
			return -ENOMEM;
		}
		s->srcs = p;
		s->srcs_cap = n;
	}
	s->n_srcs = 0;
	for (unsigned i = 0; i < n; i++) {
		struct px_pad *p = px_element_pad_at(e, PX_PAD_SRC, i);

		if (px_pad_is_linked(p))
			s->srcs[s->n_srcs++] = p;
	}
	if (!s->n_srcs && !s->allow_not_linked) {
		px_element_error(e, -ENOTCONN,
				 "%s: no branch is linked (link src_%%u pads, or set allow-not-linked=true)",
				 px_element_name(e));
		return -ENOTCONN;
	}
	return 0;
}

static void tee_work(struct px_element *e)
{
	struct tee *s = px_element_priv(e);
	struct px_item items[PX_ELEMENT_BATCH];
	unsigned want = PX_ELEMENT_BATCH, n;

	/* The slowest branch sets the pace: 0 room marks us blocked on it. */
	for (unsigned b = 0; b < s->n_srcs; b++) {
		unsigned room = px_pad_room(s->srcs[b]);

		if (!room)
			return;
		want = PX_MIN(want, room);
	}
	n = px_pad_pull(s->sink, items, want);
	if (!n)
		return;
	if (!s->n_srcs) {
		for (unsigned i = 0; i < n; i++)
			px_item_release(&items[i]);
	} else {
		/* All references first: a branch on another reactor may
		 * release its copy before we push the next one. */
		for (unsigned i = 0; i < n; i++)
			if (items[i].type == PX_ITEM_BUFFER)
				for (unsigned b = 1; b < s->n_srcs; b++)
					px_buf_ref(&items[i].buf);
		for (unsigned b = 0; b < s->n_srcs; b++) {
			struct px_item copy[PX_ELEMENT_BATCH];
			struct px_item *v = items;
			unsigned pushed;

			/* The push may consume its array: every branch but
			 * the last gets a copy of the 64-byte items. */
			if (b + 1 < s->n_srcs) {
				memcpy(copy, items, n * sizeof(items[0]));
				v = copy;
			}
			/* Room was checked: BUSY cannot happen, and a stop
			 * released them. Items not taken hold this branch's
			 * references. */
			if (px_pad_push_burst(s->srcs[b], v, n, &pushed) ==
			    PX_FLOW_BUSY)
				px_items_release(v + pushed, n - pushed);
		}
	}
	if (n == want && px_pad_count(s->sink))
		px_element_schedule(e);
}

static int tee_stop(struct px_element *e)
{
	(void)e;
	return 0;
}

static void tee_fini(struct px_element *e)
{
	struct tee *s = px_element_priv(e);

	free(s->srcs);
	s->srcs = NULL;
	s->srcs_cap = 0;
}

const struct px_element_class px__tee_class = {
	.name = "tee",
	.flags = PX_ELEMENT_CAPS_PASSTHROUGH,
	.description = "Sends each item to every branch, sharing buffers (no copy)",
	.priv_size = sizeof(struct tee),
	.pads = tee_pads,
	.n_pads = PX_ARRAY_SIZE(tee_pads),
	.props = tee_props,
	.n_props = PX_ARRAY_SIZE(tee_props),
	.pad_added = tee_pad_added,
	.start = tee_start,
	.work = tee_work,
	.stop = tee_stop,
	.fini = tee_fini,
};
