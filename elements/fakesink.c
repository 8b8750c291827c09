// SPDX-License-Identifier: MIT
/*
 * fakesink.c - a sink that releases every buffer at once: counts buffers and
 * bytes, optionally checksums the stream (CRC32C), hexdumps each buffer to
 * stdout or posts a line per buffer (silent=false) for debugging.
 * GStreamer's sync and async are accepted as false (Parallax has no
 * pipeline clock and no preroll: buffers are consumed on arrival) and
 * refused as true with a sentence.
 */
#include <string.h>

#include "elements_int.h"
#include "px_buf.h"

struct fakesink {
	/* properties */
	bool checksum;
	bool dump;
	bool sync;
	bool async;
	bool silent;
	px_stat_u64 last_checksum;
	px_stat_u64 buffers;
	px_stat_u64 bytes;

	/* run state */
	struct px_element *e;
	struct px_pad *sink;
	uint32_t crc;
	bool eos;
	struct px__cwriter out; /* dump=true */
};

#define RO_U64(nm, field, hlp)                                               \
	PX_PROP_STAT_U64_SPEC(nm, PX_PROP_UINT64, struct fakesink, field, hlp)

static const struct px_prop_spec fakesink_props[] = {
	PX_PROP_BOOL_SPEC("checksum", struct fakesink, checksum, false,
			  "CRC32C every byte received; posted at EOS and kept in last-checksum"),
	PX_PROP_BOOL_SPEC("dump", struct fakesink, dump, false,
			  "hexdump each buffer to stdout (slow; for debugging)"),
	PX__SINK_CLOCK_SPECS(struct fakesink),
	PX_PROP_BOOL_SPEC("silent", struct fakesink, silent, true,
			  "false: post a message for every buffer (size, pts, seq, flags), as GStreamer's last-message"),
	RO_U64("last-checksum", last_checksum,
	       "CRC32C of the bytes received so far (needs checksum=true)"),
	RO_U64("buffers", buffers, "buffers received in the current run"),
	RO_U64("bytes", bytes, "bytes received in the current run"),
};

static const struct px_pad_template fakesink_pads[] = {
	{ "sink", PX_PAD_SINK, PX_PAD_ALWAYS, "ANY" },
};

static int fakesink_prop_changed(struct px_element *e,
				 const struct px_prop_spec *spec)
{
	struct fakesink *s = px_element_priv(e);

	return px__sink_clock_props(e, spec, s->sync, s->async, NULL);
}

static int fakesink_start(struct px_element *e)
{
	struct fakesink *s = px_element_priv(e);

	s->e = e;
	s->sink = px_element_pad(e, "sink");
	s->crc = 0;
	s->eos = false;
	px_stat_set(&s->last_checksum, 0);
	px_stat_set(&s->buffers, 0);
	px_stat_set(&s->bytes, 0);
	if (s->dump)
		return px__cwriter_start(&s->out, e, 1, PX__CWRITER_HEX);
	return 0;
}

static void fakesink_eos(struct fakesink *s)
{
	s->eos = true;
	if (s->checksum)
		px_element_post(s->e, "checksum crc32c=0x%08x buffers=%llu bytes=%llu",
				s->crc,
				(unsigned long long)px_stat_get(&s->buffers),
				(unsigned long long)px_stat_get(&s->bytes));
	px_element_eos_reached(s->e);
}

/* dump=true: one buffer at a time through the stdout writer. */
static void fakesink_work_dump(struct fakesink *s)
{
	struct px_item it;

	while (!s->eos && !px__cwriter_busy(&s->out) &&
	       px_pad_pull(s->sink, &it, 1) == 1) {
		if (it.type == PX_ITEM_BUFFER) {
			if (!s->silent)
				px__post_chain(s->e, false, &it.buf);
			if (s->checksum) {
				s->crc = px_crc32c(s->crc, px_buf_data(&it.buf),
						    it.buf.length);
				px_stat_set(&s->last_checksum, s->crc);
			}
			px_stat_add(&s->buffers, 1);
			px_stat_add(&s->bytes, it.buf.length);
			px__cwriter_feed(&s->out, &it.buf);
		} else if (px_item_is_eos(&it)) {
			fakesink_eos(s);
		} else {
			px_item_release(&it);
		}
	}
}

static void fakesink_work(struct px_element *e)
{
	struct fakesink *s = px_element_priv(e);
	struct px_item items[PX_ELEMENT_BATCH];
	uint64_t nbuf = 0, nbytes = 0;
	unsigned n;

	if (s->dump) {
		fakesink_work_dump(s);
		return;
	}
	if (s->eos)
		return;
	n = px_pad_pull(s->sink, items, PX_ELEMENT_BATCH);
	for (unsigned i = 0; i < n; i++) {
		struct px_item *it = &items[i];

		if (px_likely(it->type == PX_ITEM_BUFFER)) {
			if (px_unlikely(!s->silent))
				px__post_chain(s->e, false, &it->buf);
			if (s->checksum)
				s->crc = px_crc32c(s->crc, px_buf_data(&it->buf),
						    it->buf.length);
			nbuf++;
			nbytes += it->buf.length;
		} else if (px_item_is_eos(it)) {
			/* Nothing follows EOS on a link. */
			px_items_release(items, n);
			px_stat_add(&s->buffers, nbuf);
			px_stat_add(&s->bytes, nbytes);
			px_stat_set(&s->last_checksum, s->crc);
			fakesink_eos(s);
			return;
		}
		/* Other events (CAPS, SEGMENT...) need nothing. */
	}
	px_items_release(items, n);
	if (nbuf) {
		px_stat_add(&s->buffers, nbuf);
		px_stat_add(&s->bytes, nbytes);
		if (s->checksum)
			px_stat_set(&s->last_checksum, s->crc);
	}
	if (n == PX_ELEMENT_BATCH && px_pad_count(s->sink))
		px_element_schedule(e);
}

static int fakesink_stop(struct px_element *e)
{
	struct fakesink *s = px_element_priv(e);

	if (s->dump)
		return px__cwriter_stop(&s->out);
	return 0;
}

static void fakesink_fini(struct px_element *e)
{
	struct fakesink *s = px_element_priv(e);

	px__cwriter_fini(&s->out);
}

const struct px_element_class px__fakesink_class = {
	.name = "fakesink",
	.description = "Releases every buffer at once; counts, checksums or dumps them",
	.priv_size = sizeof(struct fakesink),
	.pads = fakesink_pads,
	.n_pads = PX_ARRAY_SIZE(fakesink_pads),
	.props = fakesink_props,
	.n_props = PX_ARRAY_SIZE(fakesink_props),
	.prop_changed = fakesink_prop_changed,
	.start = fakesink_start,
	.work = fakesink_work,
	.stop = fakesink_stop,
	.fini = fakesink_fini,
};
