// SPDX-License-Identifier: MIT
/*
 * consolesink.c - writes each buffer to stdout, as raw text or as a
 * `hexdump -C` listing, in order, through the reactor (never a blocking
 * write on the reactor thread).
 */
#include <unistd.h>

#include "elements_int.h"

/* Values as enum px_consolesink_mode in px_elements.h. */
enum consolesink_mode {
	MODE_HEX = 0,
	MODE_TEXT = 1,
};

struct consolesink {
	/* properties */
	int mode;

	/* run state */
	struct px_element *e;
	struct px_pad *sink;
	bool eos;
	struct px__cwriter out;
};

static const struct px_prop_enum mode_enums[] = {
	{ "hex", MODE_HEX, "hexdump -C style: offset, 16 hex bytes, ASCII" },
	{ "text", MODE_TEXT, "the bytes as they are" },
	{ NULL, 0, NULL },
};

static const struct px_prop_spec consolesink_props[] = {
	PX_PROP_ENUM_SPEC("mode", struct consolesink, mode, MODE_HEX, mode_enums,
			  "how buffers are shown on stdout: hex or text"),
};

static const struct px_pad_template consolesink_pads[] = {
	{ "sink", PX_PAD_SINK, PX_PAD_ALWAYS, "ANY" },
};

static int consolesink_start(struct px_element *e)
{
	struct consolesink *s = px_element_priv(e);

	s->e = e;
	s->sink = px_element_pad(e, "sink");
	s->eos = false;
	return px__cwriter_start(&s->out, e, STDOUT_FILENO,
				 s->mode == MODE_TEXT ? PX__CWRITER_TEXT
						      : PX__CWRITER_HEX);
}

static void consolesink_work(struct px_element *e)
{
	struct consolesink *s = px_element_priv(e);
	struct px_item it;

	/* One buffer at a time: the writer schedules us when it is done. */
	while (!s->eos && !px__cwriter_busy(&s->out) &&
	       px_pad_pull(s->sink, &it, 1) == 1) {
		if (it.type == PX_ITEM_BUFFER) {
			px__cwriter_feed(&s->out, &it.buf);
		} else if (px_item_is_eos(&it)) {
			s->eos = true;
			px_element_eos_reached(e);
		} else {
			px_item_release(&it);
		}
	}
}

static int consolesink_stop(struct px_element *e)
{
	struct consolesink *s = px_element_priv(e);

	return px__cwriter_stop(&s->out);
}

static void consolesink_fini(struct px_element *e)
{
	struct consolesink *s = px_element_priv(e);

	px__cwriter_fini(&s->out);
}

const struct px_element_class px__consolesink_class = {
	.name = "consolesink",
	.description = "Writes each buffer to stdout as text or a hexdump",
	.priv_size = sizeof(struct consolesink),
	.pads = consolesink_pads,
	.n_pads = PX_ARRAY_SIZE(consolesink_pads),
	.props = consolesink_props,
	.n_props = PX_ARRAY_SIZE(consolesink_props),
	.start = consolesink_start,
	.work = consolesink_work,
	.stop = consolesink_stop,
	.fini = consolesink_fini,
};
