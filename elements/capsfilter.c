// SPDX-License-Identifier: MIT
/*
 * capsfilter.c - restricts the caps allowed through it (property "caps",
 * parsed when set and put on both pads, so the engine checks every link made
 * through it) and passes items through untouched.
 */
#include <errno.h>
#include <string.h>

#include "elements_int.h"
#include "px_caps.h"
#include "px_error.h"

struct capsfilter {
	/* properties */
	char *caps_text;

	/* parsed form of caps_text */
	struct px_caps *caps;
	struct px_element *e;
	struct px_pad *sink, *src;
};

static const struct px_prop_spec capsfilter_props[] = {
	PX_PROP_STRING_SPEC("caps", struct capsfilter, caps_text, "ANY",
			    "caps allowed through, e.g. application/x-rec,rate=10"),
};

static const struct px_pad_template capsfilter_pads[] = {
	{ "sink", PX_PAD_SINK, PX_PAD_ALWAYS, "ANY" },
	{ "src", PX_PAD_SRC, PX_PAD_ALWAYS, "ANY" },
};

static int capsfilter_parse(struct px_element *e)
{
	struct capsfilter *s = px_element_priv(e);
	const char *text = s->caps_text ? s->caps_text : "ANY";
	struct px_caps *caps = NULL;
	size_t pos = 0;
	int rc = px_caps_parse(text, &caps, &pos);

	if (rc < 0) {
		char why[160];

		(void)pos;
		if (rc == -EINVAL)
			return px_element_refuse(
				e, rc, "%s: caps '%s' do not parse: %s",
				px_element_name(e), text,
				(px_caps_explain(text, why, sizeof(why)), why));
		else
			px_element_error(e, rc, "%s: property caps: %s",
					 px_element_name(e), px_strerror(rc));
		return rc;
	}
	/* Both pads carry the caps: links made through the capsfilter, and
	 * px_pipeline_validate(), check the neighbours against them. */
	rc = px_pad_set_caps(px_element_pad(e, "sink"), caps);
	if (!rc)
		rc = px_pad_set_caps(px_element_pad(e, "src"), caps);
	if (rc < 0) {
		px_caps_unref(caps);
		px_element_error(e, rc, "%s: property caps: cannot apply '%s': %s",
				 px_element_name(e), text, px_strerror(rc));
		return rc;
	}
	px_caps_unref(s->caps);
	s->caps = caps;
	return 0;
}

static int capsfilter_init(struct px_element *e)
{
	return capsfilter_parse(e);
}

static int capsfilter_prop_changed(struct px_element *e,
				   const struct px_prop_spec *spec)
{
	(void)spec;
	return capsfilter_parse(e);
}

static int capsfilter_start(struct px_element *e)
{
	struct capsfilter *s = px_element_priv(e);

	s->e = e;
	s->sink = px_element_pad(e, "sink");
	s->src = px_element_pad(e, "src");
	return 0;
}

static void capsfilter_work(struct px_element *e)
{
	struct capsfilter *s = px_element_priv(e);

	/* The caps were checked when the links were made; the engine narrows
	 * the CAPS events that pass to the src link's caps. */
	(void)px_pad_forward(s->sink, s->src, NULL, NULL);
}

static void capsfilter_fini(struct px_element *e)
{
	struct capsfilter *s = px_element_priv(e);

	px_caps_unref(s->caps);
	s->caps = NULL;
}

const struct px_element_class px__capsfilter_class = {
	.name = "capsfilter",
	.flags = PX_ELEMENT_CAPS_PASSTHROUGH,
	.description = "Allows only the given caps through; passes items untouched",
	.priv_size = sizeof(struct capsfilter),
	.pads = capsfilter_pads,
	.n_pads = PX_ARRAY_SIZE(capsfilter_pads),
	.props = capsfilter_props,
	.n_props = PX_ARRAY_SIZE(capsfilter_props),
	.init = capsfilter_init,
	.prop_changed = capsfilter_prop_changed,
	.start = capsfilter_start,
	.work = capsfilter_work,
	.fini = capsfilter_fini,
};
