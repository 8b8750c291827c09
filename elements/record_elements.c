// SPDX-License-Identifier: MIT
/*
 * record_elements.c - the stages of typed pipelines (px_typed.h):
 * recordsrc writes records into slots through an application callback,
 * recordmap turns each validated input record into zero or one output
 * record, recordsink hands each validated record to a callback.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "elements_int.h"
#include "px_typed.h"

#define RECORD_SLOTS 256 /* records in flight from one stage */

struct rstage {
	/* properties */
	uint64_t slot_size;
	/* set by px_record_stage_add before the pipeline leaves NULL */
	struct px_record_stage cfg;
	/* run state */
	struct px_element *e;
	struct px_pad *sink, *src;
	struct px_pool *pool;
	uint64_t seq;	  /* recordsrc: the next record's */
	bool eos_pending; /* the input ended (map), or the source did */
	bool flushed;	  /* map: the flush callback ran */
	bool done;	  /* EOS sent (or failed): nothing more to do */
};

static const struct px_prop_spec rstage_props[] = {
	PX_PROP_SIZE_SPEC("slot-size", struct rstage, slot_size, 4096, 64,
			  1 << 30,
			  "bytes per record slot: a record that does not fit "
			  "is an error"),
};

static const struct px_pad_template src_pads[] = {
	{ "src", PX_PAD_SRC, PX_PAD_ALWAYS, "ANY" },
};
static const struct px_pad_template map_pads[] = {
	{ "sink", PX_PAD_SINK, PX_PAD_ALWAYS, "ANY" },
	{ "src", PX_PAD_SRC, PX_PAD_ALWAYS, "ANY" },
};
static const struct px_pad_template sink_pads[] = {
	{ "sink", PX_PAD_SINK, PX_PAD_ALWAYS, "ANY" },
};

static int rstage_start(struct px_element *e)
{
	struct rstage *s = px_element_priv(e);
	int rc;

	s->e = e;
	s->sink = px_element_pad(e, "sink");
	s->src = px_element_pad(e, "src");
	s->done = s->eos_pending = s->flushed = false;
	s->pool = NULL;
	s->seq = 0;
	if (!s->src)
		return 0;
	/* On failure px_element_pool_create() posted the ERROR. */
	rc = px_element_pool_create(e, (uint32_t)s->slot_size, RECORD_SLOTS,
				    &s->pool);
	return rc < 0 ? rc : 0;
}

static void fail(struct rstage *s, int rc, const char *what)
{
	s->done = true;
	px_element_error(s->e, rc < 0 ? rc : -EIO, "%s: %s returned %d",
			 px_element_name(s->e), what, rc);
}

/* Start an output record in a fresh slot: its root, or NULL (no slot:
 * woken when one returns). */
static void *out_begin(struct rstage *s, struct px_buf *b,
		       struct px_record_writer *w)
{
	if (px_element_buf_alloc(s->e, s->pool, (uint32_t)s->slot_size, b))
		return NULL;
	return px__rec_begin_buf(w, b, s->cfg.out->root_size,
				 s->cfg.out->hash());
}

/* The record did not fit in a slot: an ERROR naming the property. */
static void too_big(struct rstage *s, int err)
{
	s->done = true;
	px_element_error(s->e, err,
			 "%s: a %s record does not fit in a %lld-byte slot "
			 "(property slot-size)",
			 px_element_name(s->e), s->cfg.out->name,
			 (long long)s->slot_size);
}

/* A callback returned RC < 0 after writing with W: say why, naming the
 * slot size when the record did not fit (its writer's sticky -ENOSPC). */
static void callback_failed(struct rstage *s, int rc, const char *what,
			    const struct px_record_writer *w)
{
	if (w->err == -ENOSPC)
		too_big(s, w->err);
	else
		fail(s, rc, what);
}

/* Close the record in B and make it an item; false (B released, the
 * pipeline stopping) when it did not fit. */
static bool out_finish(struct rstage *s, struct px_buf *b,
		       struct px_record_writer *w, struct px_item *it)
{
	int64_t size = px_record_finish(w);

	if (size < 0) {
		px_buf_unref(b);
		too_big(s, (int)size);
		return false;
	}
	b->length = (uint32_t)size;
	px_item_from_buf(it, b);
	return true;
}

/* EOS out, once everything before it is out: done unless the link is
 * full (then the drained link runs us again). */
static void send_eos(struct rstage *s)
{
	s->done = px_element_push_eos(s->e) != PX_FLOW_BUSY;
}

static void recordsrc_work(struct px_element *e)
{
	struct rstage *s = px_element_priv(e);
	struct px_item items[PX_ELEMENT_BATCH];
	unsigned room, n = 0, pushed = 0;

	if (s->done)
		return;
	if (s->eos_pending) {
		send_eos(s);
		return;
	}
	room = PX_MIN(px_pad_room(s->src), PX_ELEMENT_BATCH);
	while (n < room) {
		struct px_record_writer w;
		struct px_buf b;
		void *root = out_begin(s, &b, &w);
		int rc;

		if (!root)
			break; /* pool empty: a release wakes us */
		rc = s->cfg.source(s->cfg.ctx, root, &w);
		if (rc <= 0) {
			px_buf_unref(&b);
			if (rc < 0)
				callback_failed(s, rc, "the source callback",
						&w);
			s->eos_pending = rc == 0;
			break;
		}
		b.seq = s->seq + n;
		if (!out_finish(s, &b, &w, &items[n]))
			break;
		n++;
	}
	if (n && px_pad_push_burst(s->src, items, n, &pushed) ==
			 PX_FLOW_BUSY)
		px_items_release(items + pushed, n - pushed);
	s->seq += pushed;
	if (s->eos_pending && !s->done)
		send_eos(s);
	else if (!s->done && n == room && room)
		px_element_schedule(e); /* more to make, budget spent */
}

/* The input record of IT, validated once, or NULL after an ERROR. */
static const void *in_view(struct rstage *s, struct px_item *it)
{
	struct px_record_error err = { 0 };
	const void *r = px_record_view(&it->buf, s->cfg.in, 0, &err);
	char text[200];

	if (r)
		return r;
	px_record_error_text(&err, text, sizeof(text));
	s->done = true;
	px_element_error(s->e, -EBADMSG,
			 "%s: invalid record in buffer %llu (%u bytes): %s",
			 px_element_name(s->e),
			 (unsigned long long)it->buf.seq, it->buf.length, text);
	return NULL;
}

/* One input item IT of a map, with the output slot B (writer W, root
 * ROOT) already loaned: zero or one output items at OUT; B is used or
 * released. */
static unsigned map_one(struct rstage *s, struct px_item *it,
			struct px_buf *b, struct px_record_writer *w,
			void *root, struct px_item *out)
{
	const void *in = in_view(s, it);
	int rc = in ? s->cfg.map(s->cfg.ctx, in, root, w) : 0;

	if (rc <= 0) {
		px_buf_unref(b);
		if (rc < 0)
			callback_failed(s, rc, "the map callback", w);
		return 0;
	}
	b->seq = it->buf.seq;
	b->pts = it->buf.pts;
	return out_finish(s, b, w, out) ? 1 : 0;
}

/* EOS on a map: the flush callback's last record (once, when there is
 * room for it), then EOS. */
static void map_eos(struct rstage *s)
{
	struct px_record_writer w;
	struct px_item it;
	struct px_buf b;
	void *root;
	int rc;

	if (!s->flushed && s->cfg.flush) {
		if (!px_pad_room(s->src))
			return; /* the drained link runs us again */
		root = out_begin(s, &b, &w);
		if (!root)
			return; /* a released slot runs us again */
		s->flushed = true;
		rc = s->cfg.flush(s->cfg.ctx, root, &w);
		if (rc <= 0) {
			px_buf_unref(&b);
			if (rc < 0) {
				callback_failed(s, rc, "the flush callback",
						&w);
				return;
			}
		} else if (out_finish(s, &b, &w, &it)) {
			(void)px_pad_push(s->src, &it); /* room was checked */
		} else {
			return; /* did not fit: out_finish stopped us */
		}
	}
	s->flushed = true;
	send_eos(s);
}

static void recordmap_work(struct px_element *e)
{
	struct rstage *s = px_element_priv(e);
	struct px_item in[PX_ELEMENT_BATCH], out[PX_ELEMENT_BATCH];
	unsigned room, got, n = 0, pushed = 0;

	if (s->done) {
		/* Failed: hold nothing while the pipeline stops. */
		while ((got = px_pad_pull(s->sink, in, PX_ELEMENT_BATCH)))
			px_items_release(in, got);
		return;
	}
	if (s->eos_pending) {
		map_eos(s);
		return;
	}
	/* Each input makes at most one output: an output slot is loaned
	 * before its input is taken, and no more inputs than fit. An empty
	 * pool or a full link leaves the inputs where they are. */
	room = PX_MIN(px_pad_room(s->src), PX_ELEMENT_BATCH);
	for (unsigned i = 0; i < room && !s->done && !s->eos_pending; i++) {
		struct px_record_writer w;
		struct px_item it;
		struct px_buf b;
		void *root = out_begin(s, &b, &w);

		if (!root)
			break; /* a released slot runs us again */
		if (!px_pad_pull(s->sink, &it, 1)) {
			px_buf_unref(&b);
			break;
		}
		if (it.type == PX_ITEM_BUFFER) {
			n += map_one(s, &it, &b, &w, root, &out[n]);
		} else {
			px_buf_unref(&b);
			if (px_item_is_eos(&it))
				s->eos_pending = true;
		}
		px_item_release(&it); /* events: ours carry our caps */
	}
	if (n && px_pad_push_burst(s->src, out, n, &pushed) == PX_FLOW_BUSY)
		px_items_release(out + pushed, n - pushed);
	if (s->eos_pending && !s->done)
		map_eos(s);
}

static void recordsink_work(struct px_element *e)
{
	struct rstage *s = px_element_priv(e);
	struct px_item items[PX_ELEMENT_BATCH];
	unsigned got = px_pad_pull(s->sink, items, PX_ELEMENT_BATCH);

	for (unsigned i = 0; i < got; i++) {
		struct px_item *it = &items[i];

		if (!s->done && it->type == PX_ITEM_BUFFER) {
			const void *r = in_view(s, it);
			int rc = r ? s->cfg.sink(s->cfg.ctx, r) : 0;

			if (rc < 0)
				fail(s, rc, "the sink callback");
		} else if (!s->done && px_item_is_eos(it)) {
			s->done = true;
			px_element_eos_reached(e);
		}
		px_item_release(it);
	}
}

#define RSTAGE_CLASS(nm, desc, tmpl, fn)                                      \
	{                                                                     \
		.name = nm, .description = desc,                              \
		.priv_size = sizeof(struct rstage), .pads = tmpl,             \
		.n_pads = PX_ARRAY_SIZE(tmpl), .props = rstage_props,         \
		.n_props = PX_ARRAY_SIZE(rstage_props),                       \
		.start = rstage_start, .work = fn,                            \
	}

const struct px_element_class px__recordsrc_class = RSTAGE_CLASS(
	"recordsrc", "Typed records from an application callback (px_typed.h)",
	src_pads, recordsrc_work);
const struct px_element_class px__recordmap_class = RSTAGE_CLASS(
	"recordmap",
	"Each typed record into zero or one of another type (px_typed.h)",
	map_pads, recordmap_work);
const struct px_element_class px__recordsink_class = RSTAGE_CLASS(
	"recordsink", "Typed records to an application callback (px_typed.h)",
	sink_pads, recordsink_work);

/* ---- the builder ----------------------------------------------------------- */

static bool fits(const char *factory, const struct px_record_stage *c)
{
	if (!strcmp(factory, "recordsrc"))
		return c->out && c->source && !c->in;
	if (!strcmp(factory, "recordmap"))
		return c->in && c->out && c->map;
	if (!strcmp(factory, "recordsink"))
		return c->in && c->sink && !c->out;
	return false;
}

/* Restrict pad NAME of E to the caps of record type S. */
static int set_record_caps(struct px_element *e, const char *name,
			   const struct px_record_schema *s)
{
	char text[200];
	struct px_caps *caps;
	int rc;

	px_record_caps_text(s, text, sizeof(text));
	rc = px_caps_parse(text, &caps, NULL);
	if (rc)
		return rc;
	rc = px_pad_set_caps(px_element_pad(e, name), caps);
	px_caps_unref(caps);
	return rc;
}

PX_API int px_record_stage_add(struct px_pipeline *p, const char *factory,
			       const char *name,
			       const struct px_record_stage *cfg,
			       struct px_element *upstream,
			       struct px_element **out)
{
	struct px_element *e;
	struct rstage *s;
	int rc;

	if (!p || !factory || !cfg || !fits(factory, cfg) ||
	    (cfg->in && !upstream))
		return -EINVAL;
	rc = px_pipeline_add(p, factory, name, &e);
	if (rc)
		return rc;
	s = px_element_priv(e);
	s->cfg = *cfg;
	if ((cfg->in && (rc = set_record_caps(e, "sink", cfg->in))) ||
	    (cfg->out && (rc = set_record_caps(e, "src", cfg->out))))
		return rc;
	if (upstream && (rc = px_element_link(upstream, e)))
		return rc;
	if (out)
		*out = e;
	return 0;
}

PX_API struct px_element *px__typed_add(struct px_pipeline *p,
					const char *factory, const char *name,
					const struct px_record_stage *cfg,
					struct px_element *upstream)
{
	struct px_element *e = NULL;

	return px_record_stage_add(p, factory, name, cfg, upstream, &e) ? NULL
									 : e;
}

PX_API struct px_element *px__typed_from(struct px_pipeline *p,
					 const char *name)
{
	return p && name ? px_pipeline_find(p, name) : NULL;
}
