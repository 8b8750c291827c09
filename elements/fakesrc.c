// SPDX-License-Identifier: MIT
/*
 * fakesrc.c - a generator source: pushes num-buffers buffers of a fixed or
 * random size from its own pool (untouched, zeroed, a byte counter or
 * random bytes), as fast as downstream takes them or at a fixed rate, then
 * EOS. GStreamer's names work (sizetype, sizemin, sizemax, filltype with
 * its numbers); its default of empty buffers does not (see size).
 */
#include <errno.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "elements_int.h"
#include "px_buf.h"
#include "px_error.h"
#include "px_pool.h"

enum fakesrc_fill {
	/* GStreamer's numbers (GstFakeSrcFillType), so "filltype=2" means
	 * zeros in both */
	FILL_NOTHING = 1,
	FILL_ZERO = 2,
	FILL_RANDOM = 3,
	FILL_PATTERN = 4,
	FILL_PATTERN_SPAN = 5,
};

enum fakesrc_sizetype {
	/* GStreamer's numbers (GstFakeSrcSizeType) */
	SIZE_EMPTY = 1,
	SIZE_FIXED = 2,
	SIZE_RANDOM = 3,
};

struct fakesrc {
	/* properties */
	int64_t num_buffers;
	uint64_t size; /* also "sizemax" */
	uint64_t sizemin;
	int sizetype;
	bool is_live;
	bool silent;
	int filltype;
	int64_t rate;
	int64_t datarate; /* bytes per second for pts (GStreamer's), 0: none */
	int64_t pool_slots;

	/* run state, reset by start() */
	struct px_element *e;
	struct px_pad *src;
	struct px_pool *pool;
	uint64_t seq;
	uint64_t offset;
	uint8_t pattern; /* next byte of the counter pattern */
	uint64_t rng;
	bool eos_pending; /* all buffers pushed: EOS is next */
	bool done;	  /* EOS pushed */
	/* rate limiting: buffers are due at t0 + seq / rate */
	struct px_op timer;
	bool stopping;
	uint64_t t0_ns;
};

static const struct px_prop_enum fill_enums[] = {
	{ "nothing", FILL_NOTHING, "leave the slot's bytes as they are (fastest)" },
	{ "zero", FILL_ZERO, "fill with zero bytes" },
	{ "pattern", FILL_PATTERN, "each buffer holds 00 01 02 ... ff 00 01 ..." },
	{ "random", FILL_RANDOM, "fill with pseudo-random bytes" },
	{ "pattern-span", FILL_PATTERN_SPAN, "the 00 01 02 ... counter continues across buffers" },
	{ NULL, 0, NULL },
};

static const struct px_prop_enum sizetype_enums[] = {
	{ "empty", SIZE_EMPTY, "buffers of 0 bytes (refused: a buffer carries at least one byte)" },
	{ "fixed", SIZE_FIXED, "every buffer holds size (sizemax) bytes" },
	{ "random", SIZE_RANDOM, "each buffer holds sizemin..sizemax bytes, at random" },
	{ NULL, 0, NULL },
};

static const struct px_prop_spec fakesrc_props[] = {
	PX_PROP_INT_SPEC("num-buffers", struct fakesrc, num_buffers, -1, -1,
			 INT64_MAX,
			 "buffers to push before EOS (-1: until EOS is requested)"),
	PX_PROP_SIZE_SPEC("size", struct fakesrc, size, 4096, 1, 1u << 30,
			  "bytes in each buffer (the largest with sizetype=random) and the pool's slot size"),
	PX_PROP_SIZE_SPEC("sizemax", struct fakesrc, size, 4096, 1, 1u << 30,
			  "GStreamer's name for size"),
	PX_PROP_SIZE_SPEC("sizemin", struct fakesrc, sizemin, 0, 0, 1u << 30,
			  "smallest buffer with sizetype=random (at least 1)"),
	PX_PROP_ENUM_SPEC("sizetype", struct fakesrc, sizetype, SIZE_FIXED,
			  sizetype_enums,
			  "buffer sizes: fixed or random (GStreamer's default, empty, is refused)"),
	PX_PROP_BOOL_SPEC("silent", struct fakesrc, silent, true,
			  "false: post a message for every buffer made (size, pts, seq), as GStreamer's last-message"),
	PX_PROP_BOOL_SPEC("is-live", struct fakesrc, is_live, false,
			  "false only: a live source needs a pipeline clock (true is refused; use rate)"),
	PX_PROP_ENUM_SPEC("filltype", struct fakesrc, filltype, FILL_NOTHING,
			  fill_enums, "what to write into each buffer"),
	PX_PROP_INT_SPEC("rate", struct fakesrc, rate, 0, 0, 1000000000,
			 "buffers per second, paced by reactor timers and stamped with pts (0: as fast as possible)"),
	PX_PROP_INT_SPEC("datarate", struct fakesrc, datarate, 0, 0, INT64_MAX,
			 "stamp pts and duration as if this many bytes flowed per second, without pacing, as GStreamer does (0: no stamps; rate wins)"),
	PX_PROP_INT_SPEC("pool-slots", struct fakesrc, pool_slots, 0, 0, 65536,
			 "buffers in the source's pool, in flight at most (0: 64 MiB worth, 64..4096)"),
};

static const struct px_pad_template fakesrc_pads[] = {
	{ "src", PX_PAD_SRC, PX_PAD_ALWAYS, "ANY" },
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int fakesrc_prop_changed(struct px_element *e,
				const struct px_prop_spec *spec)
{
	struct fakesrc *s = px_element_priv(e);

	if (!strcmp(spec->name, "sizetype") && s->sizetype == SIZE_EMPTY)
		return px_element_refuse(
			e, -ENOTSUP,
			"%s: sizetype=empty (GStreamer's default) sends buffers "
			"of 0 bytes; a Parallax buffer holds at least one: write "
			"sizetype=fixed sizemax=N (default 4096)",
			px_element_name(e));
	if (!strcmp(spec->name, "is-live") && s->is_live)
		return px_element_refuse(
			e, -ENOTSUP,
			"%s: is-live=true times a source by the pipeline clock; "
			"Parallax has none yet: write rate=N (buffers per "
			"second) to pace it, stamped with pts",
			px_element_name(e));
	return 0;
}

static int fakesrc_start(struct px_element *e)
{
	struct fakesrc *s = px_element_priv(e);
	uint64_t slots;
	int rc;

	if (s->sizetype == SIZE_RANDOM && s->sizemin > s->size) {
		px_element_error(e, -EINVAL,
				 "%s: sizemin=%llu is above sizemax=%llu",
				 px_element_name(e),
				 (unsigned long long)s->sizemin,
				 (unsigned long long)s->size);
		return -EINVAL;
	}

	s->e = e;
	s->src = px_element_pad(e, "src");
	s->seq = 0;
	s->offset = 0;
	s->pattern = 0;
	s->rng = px__rand_seed(s);
	s->eos_pending = s->num_buffers == 0;
	s->done = false;
	s->stopping = false;
	px_element_op_init(e, &s->timer); /* counted: stop needs no flag */
	s->t0_ns = 0;
	slots = (uint64_t)s->pool_slots;
	if (!slots) /* enough to keep cross-reactor links full, bounded */
		slots = PX_MIN(PX_MAX((64ull << 20) / (uint32_t)s->size, 64u),
			       4096u);
	rc = px_element_pool_create(e, (uint32_t)s->size, (uint32_t)slots,
				    &s->pool);
	/* On failure px_element_pool_create() posted the ERROR. */
	return rc < 0 ? rc : 0;
}

static void fill(struct fakesrc *s, struct px_buf *b)
{
	uint8_t *p = px_buf_data(b);
	uint32_t n = b->length;

	switch (s->filltype) {
	case FILL_ZERO:
		memset(p, 0, n);
		break;
	case FILL_PATTERN:
	case FILL_PATTERN_SPAN: {
		uint8_t c = s->filltype == FILL_PATTERN ? 0 : s->pattern;

		for (uint32_t i = 0; i < n; i++)
			p[i] = c++;
		s->pattern = c;
		break;
	}
	case FILL_RANDOM: {
		uint32_t i = 0;

		for (; i + 8 <= n; i += 8) {
			uint64_t v = px__rand_next(&s->rng);

			memcpy(p + i, &v, 8);
		}
		if (i < n) {
			uint64_t v = px__rand_next(&s->rng);

			memcpy(p + i, &v, n - i);
		}
		break;
	}
	default:
		break;
	}
}

static void timer_fired(struct px_op *op, int res, uint32_t flags)
{
	struct fakesrc *s = px_container_of(op, struct fakesrc, timer);

	(void)res;
	(void)flags;
	if (s->stopping)
		return; /* the engine finishes the stop (PX_STOP_WHEN_IDLE) */
	px_element_schedule(s->e);
}

/* How many buffers the rate allows now; arms the timer when none. */
static uint64_t rate_allowance(struct fakesrc *s)
{
	uint64_t now = now_ns(), due, rate = (uint64_t)s->rate;
	unsigned __int128 elapsed;
	int rc;

	if (!s->t0_ns)
		s->t0_ns = now;
	elapsed = (unsigned __int128)(now - s->t0_ns) * rate;
	due = (uint64_t)(elapsed / 1000000000u) + 1;
	if (due > s->seq)
		return due - s->seq;
	if (px_op_busy(&s->timer))
		return 0;
	/* Next buffer at t0 + seq / rate. */
	due = s->t0_ns +
	      (uint64_t)(((unsigned __int128)s->seq * 1000000000u) / rate);
	rc = px_io_timeout(px_element_reactor(s->e), &s->timer,
			   due > now ? due - now : 1, timer_fired);
	if (rc < 0) {
		px_element_error(s->e, rc, "%s: cannot arm the rate timer: %s",
				 px_element_name(s->e), px_strerror(rc));
		return 0;
	}
	return 0;
}

/*
 * Up to N buffers of SIZE bytes in one burst (one atomic operation per
 * bitmap word), as items. When the pool is empty, px_element_buf_alloc_burst
 * registers us to be scheduled when a slot returns. Returns how many.
 */
static unsigned alloc_burst(struct fakesrc *s, struct px_item *items,
			    unsigned n)
{
	struct px_buf bufs[PX_ELEMENT_BATCH];
	int got = n ? px_element_buf_alloc_burst(s->e, s->pool,
						 (uint32_t)s->size, bufs, n) :
		      0;

	if (got < 0) {
		if (got != -ENOBUFS)
			px_element_error(s->e, got,
					 "%s: buffer allocation failed: %s",
					 px_element_name(s->e),
					 px_strerror(got));
		return 0; /* -ENOBUFS: scheduled when a slot returns */
	}
	for (int i = 0; i < got; i++)
		px_item_from_buf(&items[i], &bufs[i]);
	return (unsigned)got;
}

static void fakesrc_work(struct px_element *e)
{
	struct fakesrc *s = px_element_priv(e);
	struct px_item items[PX_ELEMENT_BATCH];
	unsigned room, n, i, got, pushed;
	enum px_flow flow;
	uint64_t want = PX_ELEMENT_BATCH, off;

	if (s->done || s->stopping)
		return;
	if (!s->eos_pending && px_element_eos_requested(e))
		s->eos_pending = true;
	if (s->eos_pending) {
		enum px_flow f = px_element_push_eos(e);

		if (f != PX_FLOW_BUSY)
			s->done = true;
		return;
	}
	room = px_pad_room(s->src);
	if (!room)
		return; /* scheduled again when the link drains */
	if (s->num_buffers >= 0)
		want = PX_MIN(want, (uint64_t)s->num_buffers - s->seq);
	if (s->rate > 0) {
		/* Once: a second call, later, may allow more. */
		uint64_t allowed = rate_allowance(s);

		want = PX_MIN(want, allowed);
		if (!want)
			return; /* the timer schedules us */
	}
	n = (unsigned)PX_MIN((uint64_t)room, want);
	got = alloc_burst(s, items, n);
	for (i = 0, off = s->offset; i < got; i++) {
		struct px_buf *b = &items[i].buf;

		if (s->sizetype == SIZE_RANDOM) {
			uint64_t lo = PX_MAX(s->sizemin, 1u);

			b->length = (uint32_t)(lo + px__rand_next(&s->rng) %
							    (s->size - lo + 1));
		}
		b->seq = s->seq + i;
		b->stream_offset = off;
		off += b->length;
		if (s->rate > 0) {
			b->duration = (int64_t)(1000000000u / (uint64_t)s->rate);
			b->pts = (int64_t)(((unsigned __int128)b->seq *
					    1000000000u) /
					   (uint64_t)s->rate);
		} else if (s->datarate > 0) {
			b->pts = (int64_t)(((unsigned __int128)b->stream_offset *
					    1000000000u) /
					   (uint64_t)s->datarate);
			b->duration = (int64_t)(((unsigned __int128)b->length *
						 1000000000u) /
						(uint64_t)s->datarate);
		} else {
			b->pts = PX_TIME_NONE;
			b->duration = PX_TIME_NONE;
		}
		if (s->filltype != FILL_NOTHING)
			fill(s, b);
		if (px_unlikely(!s->silent))
			px__post_chain(s->e, true, b);
	}
	pushed = 0;
	flow = i ? px_pad_push_burst(s->src, items, i, &pushed) : PX_FLOW_OK;
	/* Room was checked: BUSY cannot happen. Only what the link took was
	 * sent; a stop or EOS downstream released the rest and ends us. */
	if (flow == PX_FLOW_BUSY)
		px_items_release(items + pushed, i - pushed);
	s->seq += pushed;
	for (unsigned k = 0; k < pushed; k++)
		s->offset += items[k].buf.length;
	if (s->num_buffers >= 0 && s->seq >= (uint64_t)s->num_buffers)
		s->eos_pending = true;
	if (flow < 0)
		return; /* nobody takes more: idle until the pipeline stops */
	if (!got)
		return; /* pool empty: woken by a release */
	/* Budget spent, or the pool ran short: run again after the others
	 * (an empty pool then registers us for a release). */
	px_element_schedule(e);
}

static int fakesrc_stop(struct px_element *e)
{
	struct fakesrc *s = px_element_priv(e);

	s->stopping = true;
	if (px_op_busy(&s->timer))
		px_io_cancel(px_element_reactor(e), &s->timer);
	return PX_STOP_WHEN_IDLE;
}

const struct px_element_class px__fakesrc_class = {
	.name = "fakesrc",
	.description = "Pushes buffers of a given size and fill, then EOS",
	.priv_size = sizeof(struct fakesrc),
	.pads = fakesrc_pads,
	.n_pads = PX_ARRAY_SIZE(fakesrc_pads),
	.props = fakesrc_props,
	.n_props = PX_ARRAY_SIZE(fakesrc_props),
	.prop_changed = fakesrc_prop_changed,
	.start = fakesrc_start,
	.work = fakesrc_work,
	.stop = fakesrc_stop,
};
