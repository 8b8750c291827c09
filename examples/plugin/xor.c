// SPDX-License-Identifier: MIT
/*
 * xor.c - a Parallax plugin written out of tree: one element, xor, that
 * writes every byte of every buffer XORed with `mask` into a buffer of its
 * own pool (its input may be read-only: from a file's page cache or from
 * another process). It uses nothing but the installed headers, and it is
 * the example docs/writing-elements.md walks through.
 *
 *   make                      # cc -shared -fPIC ... $(pkg-config ... parallax)
 *   PX_PLUGIN_PATH=$PWD px-launch fakesrc num-buffers=8 ! xor mask=0x5a ! fakesink
 */
#include <errno.h>
#include <string.h>

#include <parallax/parallax.h>
#include <parallax/px_plugin.h>

struct xor {
	/* properties (their defaults are set before init) */
	uint64_t mask;
	uint64_t max_size;
	int64_t pool_slots;
	px_stat_u64 buffers; /* read-only: what the application may watch */
	/* run state (reactor thread) */
	struct px_pad *sink, *src;
	struct px_pool *pool;
	struct px_item held; /* pulled, not passed on yet (the output was full) */
	bool holding;
};

static const struct px_prop_spec xor_props[] = {
	PX_PROP_UINT64_SPEC("mask", struct xor, mask, 0xff, 0, 0xff,
			    "XOR every byte with this value"),
	PX_PROP_SIZE_SPEC("max-size", struct xor, max_size, 65536, 1, 1u << 30,
			  "largest buffer xor accepts (its slot size)"),
	PX_PROP_INT_SPEC("pool-slots", struct xor, pool_slots, 16, 2, 4096,
			 "buffers in xor's pool"),
	PX_PROP_STAT_U64_SPEC("buffers", PX_PROP_UINT64, struct xor, buffers,
			      "buffers transformed in this run"),
};

static const struct px_pad_template xor_pads[] = {
	{ "sink", PX_PAD_SINK, PX_PAD_ALWAYS, "ANY" },
	{ "src", PX_PAD_SRC, PX_PAD_ALWAYS, "ANY" },
};

/* READY -> PAUSED: find the pads, make the pool. */
static int xor_start(struct px_element *e)
{
	struct xor *s = px_element_priv(e);

	s->sink = px_element_pad(e, "sink");
	s->src = px_element_pad(e, "src");
	s->holding = false;
	px_stat_set(&s->buffers, 0);
	/* The engine posts the error if this fails. */
	return px_element_pool_create(e, (uint32_t)s->max_size,
				      (uint32_t)s->pool_slots, &s->pool);
}

/* One buffer in, one out. Returns false when work() must wait (the
 * output is full or the pool is empty: the engine calls work() again). */
static bool xor_buffer(struct px_element *e, struct xor *s)
{
	const struct px_buf *in = &s->held.buf;
	const uint8_t *from = px_buf_data(in);
	struct px_item out;
	struct px_buf b;
	uint8_t *to;

	if (in->length > s->max_size) {
		px_element_error(e, -EINVAL,
				 "%s: a buffer of %u bytes is larger than "
				 "max-size=%llu",
				 px_element_name(e), in->length,
				 (unsigned long long)s->max_size);
		return false;
	}
	if (!px_pad_room(s->src) ||
	    px_element_buf_alloc(e, s->pool, in->length, &b))
		return false;
	to = px_buf_data(&b);
	for (uint32_t i = 0; i < in->length; i++)
		to[i] = from[i] ^ (uint8_t)s->mask;
	b.seq = in->seq;
	b.pts = in->pts;
	b.duration = in->duration;
	b.flags = in->flags;
	b.stream_offset = in->stream_offset;
	px_item_release(&s->held); /* the input slot goes back upstream */
	s->holding = false;
	px_item_from_buf(&out, &b);
	/* Room was checked: OK, or a stopping pipeline released it. */
	(void)px_pad_push(s->src, &out);
	px_stat_add(&s->buffers, 1);
	return true;
}

/* Move up to 64 items: buffers are transformed, events (CAPS, EOS) pass
 * on in order. */
static void xor_work(struct px_element *e)
{
	struct xor *s = px_element_priv(e);

	for (int budget = 64; budget > 0; budget--) {
		if (!s->holding) {
			if (px_pad_pull(s->sink, &s->held, 1) != 1)
				return; /* called again when items arrive */
			s->holding = true;
		}
		if (s->held.type == PX_ITEM_BUFFER) {
			if (!xor_buffer(e, s))
				return;
			continue;
		}
		if (px_pad_push(s->src, &s->held) == PX_FLOW_BUSY)
			return; /* kept; called again when room opens */
		s->holding = false;
	}
	px_element_schedule(e); /* more may be waiting */
}

/* PAUSED -> READY: let go of what is held; the engine frees the pool. */
static int xor_stop(struct px_element *e)
{
	struct xor *s = px_element_priv(e);

	if (s->holding)
		px_item_release(&s->held);
	s->holding = false;
	return 0;
}

static const struct px_element_class xor_class = {
	.name = "xor",
	.description = "XORs every byte with a mask, into its own buffers",
	.priv_size = sizeof(struct xor),
	.pads = xor_pads,
	.n_pads = PX_ARRAY_SIZE(xor_pads),
	.props = xor_props,
	.n_props = PX_ARRAY_SIZE(xor_props),
	.start = xor_start,
	.work = xor_work,
	.stop = xor_stop,
};

static const struct px_element_class *const xor_classes[] = { &xor_class,
							      NULL };

PX_PLUGIN_DEFINE(.name = "xor", .version = "1.0", .license = "MIT",
		 .description = "An example plugin: the xor element",
		 .origin = "Parallax examples/plugin",
		 .classes = xor_classes);
