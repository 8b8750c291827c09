// SPDX-License-Identifier: MIT
/*
 * funnel.c - fan-in: merges the items of every input (request pads sink_%u)
 * onto one output, taking from the inputs in turn; EOS goes out once every
 * input has had its EOS.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "elements_int.h"

struct funnel_in {
	struct px_pad *pad;
	bool eos;
};

struct funnel {
	/* properties */
	px_stat_i64 num_sink_pads;

	/* run state */
	struct px_element *e;
	struct px_pad *src;
	struct funnel_in *in;
	unsigned n_in, in_cap;
	unsigned n_eos;
	unsigned next; /* round-robin start */
	bool eos_pending, eos_done;
};

static const struct px_prop_spec funnel_props[] = {
	PX_PROP_STAT_I64_SPEC("num-sink-pads", PX_PROP_INT, struct funnel,
			      num_sink_pads, "inputs (sink_%u pads) made so far"),
};

static const struct px_pad_template funnel_pads[] = {
	{ "sink_%u", PX_PAD_SINK, PX_PAD_REQUEST, "ANY" },
	{ "src", PX_PAD_SRC, PX_PAD_ALWAYS, "ANY" },
};

static int funnel_pad_added(struct px_element *e, struct px_pad *pad)
{
	struct funnel *s = px_element_priv(e);

	(void)pad;
	px_stat_set(&s->num_sink_pads, px_element_pad_count(e, PX_PAD_SINK));
	return 0;
}

static int funnel_start(struct px_element *e)
{
	struct funnel *s = px_element_priv(e);
	unsigned n = px_element_pad_count(e, PX_PAD_SINK);

	if (n > s->in_cap) {
		struct funnel_in *p = realloc(s->in, n * sizeof(*p));

		if (!p) {
			px_element_error(e, -ENOMEM, "%s: out of memory for %u inputs",
					 px_element_name(e), n);
			return -ENOMEM;
		}
		s->in = p;
		s->in_cap = n;
	}
	s->e = e;
	s->src = px_element_pad(e, "src");
	s->n_in = 0;
	for (unsigned i = 0; i < n; i++) {
		struct px_pad *p = px_element_pad_at(e, PX_PAD_SINK, i);

		if (px_pad_is_linked(p))
			s->in[s->n_in++] = (struct funnel_in){ .pad = p };
	}
	s->n_eos = 0;
	s->next = 0;
	s->eos_pending = s->eos_done = false;
	return 0;
}

static void funnel_work(struct px_element *e)
{
	struct funnel *s = px_element_priv(e);
	struct px_item items[PX_ELEMENT_BATCH];
	unsigned room, budget, active, n = 0, pushed;
	bool more = false;

	if (s->eos_done)
		return;
	if (s->eos_pending) {
		if (px_element_push_eos(e) != PX_FLOW_BUSY)
			s->eos_done = true;
		return;
	}
	room = px_pad_room(s->src);
	if (!room)
		return; /* scheduled again when the link drains */
	budget = PX_MIN(room, (unsigned)PX_ELEMENT_BATCH);
	active = s->n_in - s->n_eos;
	/* Every open input gets a fair share of the budget, in turn. */
	for (unsigned k = 0; k < s->n_in && n < budget; k++) {
		struct funnel_in *in = &s->in[(s->next + k) % s->n_in];
		unsigned share, got;

		if (in->eos)
			continue;
		share = PX_MAX(1u, budget / PX_MAX(active, 1u));
		share = PX_MIN(share, budget - n);
		got = px_pad_pull(in->pad, &items[n], share);
		for (unsigned i = 0; i < got; i++) {
			struct px_item *it = &items[n + i];

			if (!px_item_is_eos(it))
				continue;
			/* Nothing follows EOS on a link: drop it and the
			 * rest of this pull (there is none). */
			for (unsigned r = i; r < got; r++)
				px_item_release(&items[n + r]);
			got = i;
			in->eos = true;
			s->n_eos++;
			break;
		}
		n += got;
		if (!in->eos && px_pad_count(in->pad))
			more = true;
	}
	s->next = s->n_in ? (s->next + 1) % s->n_in : 0;
	/* Room was checked: BUSY cannot happen, and a stop released them. */
	if (n && px_pad_push_burst(s->src, items, n, &pushed) == PX_FLOW_BUSY)
		px_items_release(items + pushed, n - pushed);
	if (s->n_eos == s->n_in) {
		s->eos_pending = true;
		more = true;
	}
	if (more)
		px_element_schedule(e);
}

static int funnel_stop(struct px_element *e)
{
	(void)e;
	return 0;
}

static void funnel_fini(struct px_element *e)
{
	struct funnel *s = px_element_priv(e);

	free(s->in);
	s->in = NULL;
	s->in_cap = 0;
}

const struct px_element_class px__funnel_class = {
	.name = "funnel",
	.description = "Merges several inputs (sink_%u) onto one output",
	.priv_size = sizeof(struct funnel),
	.pads = funnel_pads,
	.n_pads = PX_ARRAY_SIZE(funnel_pads),
	.props = funnel_props,
	.n_props = PX_ARRAY_SIZE(funnel_props),
	.pad_added = funnel_pad_added,
	.start = funnel_start,
	.work = funnel_work,
	.stop = funnel_stop,
	.fini = funnel_fini,
};
