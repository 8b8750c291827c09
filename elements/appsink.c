// SPDX-License-Identifier: MIT
/*
 * appsink.c - the application's sink: every buffer goes to a C callback on
 * the reactor thread, then back to its pool; EOS to another callback.
 */
#include <errno.h>
#include <string.h>

#include "elements_int.h"
#include "io_common_int.h"
#include "px_appsink.h"
#include "px_element.h"
#include "px_pipeline.h"

#define APPSINK_BATCH 64

struct appsink {
	/* properties */
	px_stat_u64 buffers; /* handed to the callback */
	bool sync, async;    /* GStreamer's: false only */
	/* set by the application before PLAYING */
	struct px_appsink_callbacks cb;
	bool eos;
	uint32_t stream; /* the item's stream, while its callback runs */
};

static const struct px_prop_spec appsink_props[] = {
	PX_PROP_STAT_U64_SPEC("buffers", PX_PROP_UINT64, struct appsink, buffers,
			      "buffers handed to the application so far in this run"),
	PX__SINK_CLOCK_SPECS(struct appsink),
};

static int appsink_prop_changed(struct px_element *e,
				const struct px_prop_spec *spec)
{
	struct appsink *s = px_element_priv(e);

	return px__sink_clock_props(e, spec, s->sync, s->async, NULL);
}

static const struct px_pad_template appsink_pads[] = {
	{ "sink", PX_PAD_SINK, PX_PAD_ALWAYS, "ANY" },
};

PX_API int px_appsink_set_callbacks(struct px_element *e,
				    const struct px_appsink_callbacks *cb)
{
	struct appsink *s;

	if (!e || px_element_class(e) != &px__appsink_class)
		return -EINVAL;
	s = px_element_priv(e);
	if (cb)
		s->cb = *cb;
	else
		memset(&s->cb, 0, sizeof(s->cb));
	return 0;
}

PX_API uint32_t px_appsink_stream(const struct px_element *e)
{
	if (!e || px_element_class(e) != &px__appsink_class)
		return 0;
	return ((const struct appsink *)px_element_priv(e))->stream;
}

static int appsink_start(struct px_element *e)
{
	struct appsink *s = px_element_priv(e);

	px_stat_set(&s->buffers, 0);
	s->eos = false;
	return 0;
}

static void appsink_work(struct px_element *e)
{
	struct appsink *s = px_element_priv(e);
	struct px_item items[APPSINK_BATCH];
	unsigned n;

	n = px_pad_pull(px_element_pad(e, "sink"), items, APPSINK_BATCH);
	for (unsigned i = 0; i < n; i++) {
		struct px_item *it = &items[i];

		if (it->type == PX_ITEM_BUFFER && !s->eos) {
			px_stat_add(&s->buffers, 1);
			s->stream = it->stream;
			if (s->cb.buffer)
				s->cb.buffer(e, &it->buf, s->cb.arg);
		} else if (s->cb.caps && !s->eos && px_event_caps(e, it)) {
			s->cb.caps(e, px_event_caps(e, it), s->cb.arg);
		} else if (px_item_is_eos(it) && !s->eos) {
			s->eos = true;
			if (s->cb.eos)
				s->cb.eos(e, s->cb.arg);
			px_element_eos_reached(e);
		}
		px_item_release(it);
	}
}

const struct px_element_class px__appsink_class = {
	.name = "appsink",
	.description = "Hands every buffer to an application callback (px_appsink.h)",
	.priv_size = sizeof(struct appsink),
	.pads = appsink_pads,
	.n_pads = PX_ARRAY_SIZE(appsink_pads),
	.props = appsink_props,
	.prop_changed = appsink_prop_changed,
	.n_props = PX_ARRAY_SIZE(appsink_props),
	.start = appsink_start,
	.work = appsink_work,
};
