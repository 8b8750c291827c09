// SPDX-License-Identifier: MIT
/*
 * queue.c - a thread boundary with bounded storage: its downstream side runs
 * on another reactor (property "reactor"); when full it blocks upstream
 * (leaky=no), drops new buffers (upstream) or drops the oldest (downstream).
 *
 * Storage is the link to the downstream side (sized from max-size-buffers,
 * 1024 by default rather than GStreamer's 200: every cross-reactor wakeup
 * costs microseconds, so a long link lets each one move many items; and
 * no byte or time limit by default (GStreamer: 10 MB, 1 s), as the buffers
 * live in their pools, whose size already bounds the memory held)
 * plus a FIFO of our own for what the link cannot take yet. The limits
 * count both: the queue remembers the size and pts of each item it pushed
 * and learns from the link's free room how many the consumer has taken.
 * As in GStreamer, 0 turns a limit off; with all three off
 * (max-size-buffers=0 max-size-bytes=0 max-size-time=0) the FIFO grows as
 * needed, bounded by the pools upstream. The time held is the pts of the
 * newest buffer in minus the pts of the oldest still held (buffers without
 * pts count none).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "elements_int.h"
#include "px_buf.h"
#include "px_error.h"

enum queue_leaky {
	LEAKY_NO = 0,
	LEAKY_UPSTREAM = 1,
	LEAKY_DOWNSTREAM = 2,
};

#define LEN_EVENT UINT32_MAX /* an event in the pushed-length ring */
/* Limited by bytes while the link still had room: look again this soon. */
#define RECHECK_NS 100000u

struct queue {
	/* properties */
	int64_t reactor;
	int64_t max_size_buffers; /* 0: no limit */
	uint64_t max_size_bytes; /* 0: no limit */
	int64_t max_size_time;	 /* ns; 0: no limit */
	int leaky;
	px_stat_u64 dropped;
	px_stat_i64 current_level_buffers;
	px_stat_u64 current_level_bytes;
	px_stat_i64 current_level_time;

	/* run state */
	struct px_element *e;
	struct px_pad *sink, *src;
	/* our FIFO: a power-of-two ring of items */
	struct px_item *fifo;
	uint32_t mask, head, tail; /* free-running */
	uint32_t fifo_bufs;
	uint64_t fifo_bytes;
	/* what sits in the link: lengths (and pts) of the items pushed,
	 * oldest first */
	uint32_t *lens;
	int64_t *lpts;
	uint32_t lens_mask;
	uint32_t link_cap; /* 0 until measured by the first work() */
	uint32_t lpush, lcons;
	uint32_t link_bufs;
	uint64_t link_bytes;
	uint32_t last_len; /* size estimate for the byte limit */
	int64_t newest_pts; /* of the last buffer taken in, or PX_TIME_NONE */
	uint64_t drops;
	struct px_op recheck;
	bool stopping;
};

static const struct px_prop_enum leaky_enums[] = {
	{ "no", LEAKY_NO, "when full, block upstream (no buffer is lost)" },
	{ "upstream", LEAKY_UPSTREAM, "when full, drop new buffers as they arrive" },
	{ "downstream", LEAKY_DOWNSTREAM, "when full, drop the oldest queued buffer" },
	{ NULL, 0, NULL },
};

static const struct px_prop_spec queue_props[] = {
	PX_PROP_INT_SPEC("reactor", struct queue, reactor, -1, -1, 1023,
			 "reactor that runs the downstream side (-1: the one after upstream's)"),
	PX_PROP_INT_SPEC("max-size-buffers", struct queue, max_size_buffers,
			 1024, 0, 65536,
			 "buffers held at most before the queue is full (0: no limit)"),
	PX_PROP_SIZE_SPEC("max-size-bytes", struct queue, max_size_bytes, 0, 0,
			  UINT64_MAX,
			  "bytes held at most before the queue is full (0: no limit)"),
	PX_PROP_DURATION_SPEC("max-size-time", struct queue, max_size_time, 0,
			      0, INT64_MAX,
			      "pts span held at most before the queue is full; a bare number is ns, as in GStreamer (0: no limit)"),
	PX_PROP_ENUM_SPEC("leaky", struct queue, leaky, LEAKY_NO, leaky_enums,
			  "what to do when full: block, or drop new or old buffers"),
	PX_PROP_STAT_U64_SPEC("dropped", PX_PROP_UINT64, struct queue, dropped,
			      "buffers dropped by a leaky queue in the current run"),
	PX_PROP_STAT_I64_SPEC("current-level-buffers", PX_PROP_INT,
			      struct queue, current_level_buffers,
			      "buffers held right now"),
	PX_PROP_STAT_U64_SPEC("current-level-bytes", PX_PROP_UINT64,
			      struct queue, current_level_bytes,
			      "bytes held right now"),
	PX_PROP_STAT_I64_SPEC("current-level-time", PX_PROP_DURATION,
			      struct queue, current_level_time,
			      "pts span held right now"),
};

static const struct px_pad_template queue_pads[] = {
	{ "sink", PX_PAD_SINK, PX_PAD_ALWAYS, "ANY" },
	{ "src", PX_PAD_SRC, PX_PAD_ALWAYS, "ANY" },
};

static uint32_t floor_pow2(uint64_t v)
{
	uint32_t c = 1;

	while ((uint64_t)c * 2 <= v && c < 65536)
		c <<= 1;
	return c;
}

/* The buffer limit, UINT64_MAX for none. */
static uint64_t buf_limit(const struct queue *s)
{
	return s->max_size_buffers ? (uint64_t)s->max_size_buffers : UINT64_MAX;
}

/*
 * The link takes a power of two no larger than the limit, so that a full
 * queue always has a full link and the engine wakes us when it drains. With
 * leaky=downstream it takes half at most (and a batch at most), so that the
 * oldest buffers are still ours to drop.
 */
static int queue_size_link(struct px_element *e)
{
	struct queue *s = px_element_priv(e);
	/* no buffer limit: the default link */
	uint64_t limit = s->max_size_buffers ? (uint64_t)s->max_size_buffers
					     : 1024u;
	uint32_t cap = floor_pow2(limit);
	int rc;

	if (s->leaky == LEAKY_DOWNSTREAM)
		cap = PX_MIN(floor_pow2(limit / 2), (uint32_t)PX_ELEMENT_BATCH);
	cap = PX_MAX(cap, 2u);
	rc = px_pad_request_capacity(px_element_pad(e, "src"), cap);
	/* Past NULL the links exist: the limits still hold, through the
	 * recheck timer instead of the link's wakeup. */
	if (rc < 0 && rc != -EBUSY) {
		px_element_error(e, rc, "%s: cannot size the src link to %u items: %s",
				 px_element_name(e), cap, px_strerror(rc));
		return rc;
	}
	return 0;
}

static int queue_init(struct px_element *e)
{
	return queue_size_link(e);
}

static int queue_prop_changed(struct px_element *e,
			      const struct px_prop_spec *spec)
{
	if (!strcmp(spec->name, "max-size-buffers") ||
	    !strcmp(spec->name, "leaky"))
		return queue_size_link(e);
	return 0;
}

/* Make the FIFO (a power-of-two ring) hold at least NEED items, in order.
 * Returns 0 or -ENOMEM (the FIFO is unchanged). */
static int fifo_reserve(struct queue *s, uint32_t need)
{
	uint32_t cap = 1, count = s->fifo ? s->tail - s->head : 0;
	struct px_item *f;

	while (cap < need)
		cap <<= 1;
	if (s->fifo && s->mask + 1 >= cap)
		return 0;
	f = malloc(cap * sizeof(*f));
	if (!f)
		return -ENOMEM;
	for (uint32_t i = 0; i < count; i++)
		f[i] = s->fifo[(s->head + i) & s->mask];
	free(s->fifo);
	s->fifo = f;
	s->mask = cap - 1;
	s->head = 0;
	s->tail = count;
	return 0;
}

static int queue_start(struct px_element *e)
{
	struct queue *s = px_element_priv(e);

	/* Room for max-size-buffers plus a batch of events beyond it (with
	 * no buffer limit, a start that grows as needed). */
	s->head = s->tail = 0;
	if (fifo_reserve(s, (uint32_t)s->max_size_buffers + PX_ELEMENT_BATCH +
				    1) < 0) {
		px_element_error(e, -ENOMEM,
				 "%s: out of memory for max-size-buffers=%lld",
				 px_element_name(e),
				 (long long)s->max_size_buffers);
		return -ENOMEM;
	}
	s->e = e;
	s->sink = px_element_pad(e, "sink");
	s->src = px_element_pad(e, "src");
	s->head = s->tail = 0;
	s->fifo_bufs = 0;
	s->fifo_bytes = 0;
	s->link_cap = 0;
	s->lpush = s->lcons = 0;
	s->link_bufs = 0;
	s->link_bytes = 0;
	s->last_len = 1;
	s->newest_pts = PX_TIME_NONE;
	s->drops = 0;
	s->stopping = false;
	px_element_op_init(e, &s->recheck); /* counted: stop needs no flag */
	px_stat_set(&s->dropped, 0);
	px_stat_set(&s->current_level_buffers, 0);
	px_stat_set(&s->current_level_bytes, 0);
	px_stat_set(&s->current_level_time, 0);
	return 0;
}

/* First work(): the link is empty, so its room is its capacity. */
static int link_measure(struct queue *s)
{
	uint32_t cap = px_pad_room(s->src), size = 1;

	while (size < cap)
		size <<= 1;
	if (!s->lens || s->lens_mask + 1 < size) {
		uint32_t *l = realloc(s->lens, size * sizeof(*l));
		int64_t *t = l ? realloc(s->lpts, size * sizeof(*t)) : NULL;

		if (l)
			s->lens = l;
		if (!t) {
			px_element_error(s->e, -ENOMEM, "%s: out of memory",
					 px_element_name(s->e));
			return -ENOMEM;
		}
		s->lpts = t;
		s->lens_mask = size - 1;
	}
	s->link_cap = cap;
	return 0;
}

/* Room on the link; forgets the items the consumer has taken meanwhile. */
static unsigned link_room(struct queue *s)
{
	unsigned room = px_pad_room(s->src);
	uint32_t taken = s->lpush - (s->link_cap - room);

	while (s->lcons != taken) {
		uint32_t len = s->lens[s->lcons++ & s->lens_mask];

		if (len != LEN_EVENT) {
			s->link_bufs--;
			s->link_bytes -= len;
		}
	}
	return room;
}

/* Push N items to the link (room was checked) and remember their sizes. */
static void link_push(struct queue *s, struct px_item *items, unsigned n)
{
	unsigned pushed;

	for (unsigned k = 0; k < n; k++) {
		const struct px_item *it = &items[k];
		uint32_t len = LEN_EVENT;

		if (it->type == PX_ITEM_BUFFER) {
			len = it->buf.length;
			s->link_bufs++;
			s->link_bytes += len;
		}
		s->lpts[s->lpush & s->lens_mask] =
			len == LEN_EVENT ? PX_TIME_NONE : it->buf.pts;
		s->lens[s->lpush++ & s->lens_mask] = len;
	}
	/* Room was checked: BUSY cannot happen, and a stop (the link going
	 * away, and our accounting with it) released them. */
	if (px_pad_push_burst(s->src, items, n, &pushed) == PX_FLOW_BUSY)
		px_items_release(items + pushed, n - pushed);
}

/* The pts of the oldest buffer held (in the link, else in the FIFO) that
 * has one, or PX_TIME_NONE. */
static int64_t oldest_pts(const struct queue *s)
{
	for (uint32_t i = s->lcons; i != s->lpush; i++)
		if (s->lpts[i & s->lens_mask] != PX_TIME_NONE)
			return s->lpts[i & s->lens_mask];
	for (uint32_t i = s->head; i != s->tail; i++) {
		const struct px_item *it = &s->fifo[i & s->mask];

		if (it->type == PX_ITEM_BUFFER && it->buf.pts != PX_TIME_NONE)
			return it->buf.pts;
	}
	return PX_TIME_NONE;
}

/* The pts span held: newest in minus oldest held (0 without pts). */
static int64_t level_time(const struct queue *s)
{
	int64_t old;

	if (s->newest_pts == PX_TIME_NONE ||
	    (old = oldest_pts(s)) == PX_TIME_NONE || old > s->newest_pts)
		return 0;
	return s->newest_pts - old;
}

static bool queue_full(const struct queue *s)
{
	return s->link_bufs + s->fifo_bufs >= buf_limit(s) ||
	       (s->max_size_bytes &&
		s->link_bytes + s->fifo_bytes >= s->max_size_bytes) ||
	       (s->max_size_time && level_time(s) >= s->max_size_time);
}

/* How many items to take from upstream now (0: we are full). *BY_BYTES
 * tells that the byte or time limit is what holds it back. */
static unsigned intake(const struct queue *s, bool *by_bytes)
{
	uint64_t n = PX_ELEMENT_BATCH, held = s->link_bufs + s->fifo_bufs;

	*by_bytes = false;
	if (queue_full(s)) {
		*by_bytes = held < buf_limit(s);
		return s->leaky == LEAKY_NO ? 0 : PX_ELEMENT_BATCH;
	}
	n = PX_MIN(n, buf_limit(s) - held);
	if (s->max_size_bytes) {
		uint64_t left = s->max_size_bytes - s->link_bytes - s->fifo_bytes;
		uint64_t fit = PX_MAX(left / s->last_len, 1u);

		if (fit < n) {
			n = fit;
			*by_bytes = true;
		}
	}
	return (unsigned)n;
}

static void fifo_put(struct queue *s, const struct px_item *it)
{
	s->fifo[s->tail++ & s->mask] = *it;
	if (it->type == PX_ITEM_BUFFER) {
		s->fifo_bufs++;
		s->fifo_bytes += it->buf.length;
	}
}

static void drop(struct queue *s, struct px_item *it)
{
	px_item_release(it);
	s->drops++;
	px_stat_set(&s->dropped, s->drops);
}

/* leaky=downstream: drop our oldest buffer, keeping events in order.
 * False when we hold none (all of it is in the link already). */
static bool fifo_drop_oldest(struct queue *s)
{
	uint32_t i = s->head;
	struct px_item victim;

	while (i != s->tail && s->fifo[i & s->mask].type != PX_ITEM_BUFFER)
		i++;
	if (i == s->tail)
		return false;
	victim = s->fifo[i & s->mask];
	for (; i != s->head; i--)
		s->fifo[i & s->mask] = s->fifo[(i - 1) & s->mask];
	s->head++;
	s->fifo_bufs--;
	s->fifo_bytes -= victim.buf.length;
	drop(s, &victim);
	return true;
}

/* Move FIFO items to the link while it has room; returns the room left. */
static unsigned fifo_drain(struct queue *s, unsigned room)
{
	while (room && s->head != s->tail) {
		uint32_t at = s->head & s->mask;
		unsigned n = PX_MIN(room, s->tail - s->head);

		n = PX_MIN(n, s->mask + 1 - at); /* up to the wrap */
		for (unsigned k = 0; k < n; k++) {
			const struct px_item *it = &s->fifo[at + k];

			if (it->type == PX_ITEM_BUFFER) {
				s->fifo_bufs--;
				s->fifo_bytes -= it->buf.length;
			}
		}
		s->head += n;
		room -= n;
		link_push(s, &s->fifo[at], n);
	}
	return room;
}

/* EOS came in: no buffer can be dropped after it, so the count is final. */
static void queue_eos_in(struct queue *s)
{
	if (s->leaky != LEAKY_NO || s->drops)
		px_element_post(s->e, "dropped=%llu leaky=%s",
				(unsigned long long)s->drops,
				leaky_enums[s->leaky].nick);
}

/* A buffer came in: the size estimate and the newest pts follow it. */
static void note_in(struct queue *s, const struct px_buf *b)
{
	s->last_len = b->length ? b->length : 1;
	if (b->pts != PX_TIME_NONE)
		s->newest_pts = b->pts;
}

/* Take up to WANT items from upstream: straight to the link while it has
 * room and nothing is queued before them, else into the FIFO. */
static unsigned queue_take(struct queue *s, unsigned want, unsigned room)
{
	struct px_item items[PX_ELEMENT_BATCH];
	unsigned n = px_pad_pull(s->sink, items, want), direct = 0;

	if (n && px_item_is_eos(&items[n - 1]))
		queue_eos_in(s);
	if (s->head == s->tail && !queue_full(s)) {
		/* The fast path: the common case when downstream keeps up. */
		direct = PX_MIN(n, room);
		if (direct) {
			for (unsigned k = 0; k < direct; k++)
				if (items[k].type == PX_ITEM_BUFFER)
					note_in(s, &items[k].buf);
			link_push(s, items, direct);
		}
	}
	for (unsigned i = direct; i < n; i++) {
		struct px_item *it = &items[i];

		if (it->type == PX_ITEM_BUFFER) {
			note_in(s, &it->buf);
			if (queue_full(s) && s->leaky == LEAKY_UPSTREAM) {
				drop(s, it);
				continue;
			}
			/* downstream: the oldest we still hold goes; when the
			 * link holds them all (a time limit shorter than the
			 * link), this newest one waits in the FIFO. */
			if (queue_full(s) && s->leaky == LEAKY_DOWNSTREAM)
				(void)fifo_drop_oldest(s);
		}
		fifo_put(s, it);
	}
	return n;
}

static void recheck_fired(struct px_op *op, int res, uint32_t flags)
{
	struct queue *s = px_container_of(op, struct queue, recheck);

	(void)res;
	(void)flags;
	if (s->stopping)
		return; /* the engine finishes the stop (PX_STOP_WHEN_IDLE) */
	px_element_schedule(s->e);
}

static void queue_work(struct px_element *e)
{
	struct queue *s = px_element_priv(e);
	unsigned room, want, fifo_free, n = 0;
	bool by_bytes;

	if (s->stopping)
		return;
	if (px_unlikely(!s->link_cap) && link_measure(s) < 0)
		return;
	room = fifo_drain(s, link_room(s));
	want = intake(s, &by_bytes);
	/* Keep FIFO space for a batch of events beyond the buffer limit;
	 * without one, the FIFO grows (the pools upstream bound it). */
	fifo_free = s->mask + 1 - (s->tail - s->head);
	if (fifo_free < PX_ELEMENT_BATCH + 1u && !s->max_size_buffers &&
	    fifo_reserve(s, 2 * (s->mask + 1)) < 0) {
		px_element_error(e, -ENOMEM, "%s: out of memory for %u queued items",
				 px_element_name(e), s->tail - s->head);
		return;
	}
	fifo_free = s->mask + 1 - (s->tail - s->head);
	if (fifo_free < PX_ELEMENT_BATCH + 1u)
		want = 0;
	if (want) {
		n = queue_take(s, want, room);
		if (s->head != s->tail) /* leaky drops may leave room */
			fifo_drain(s, link_room(s));
	}
	px_stat_set(&s->current_level_buffers,
		    (int64_t)(s->link_bufs + s->fifo_bufs));
	px_stat_set(&s->current_level_bytes, s->link_bytes + s->fifo_bytes);
	px_stat_set(&s->current_level_time, level_time(s));
	/* What our FIFO holds waits for room on the link, whatever upstream
	 * does: px_pad_room() == 0 asks the link to wake us when it drains.
	 * The rooms looked at above were not 0 when a drain filled the link
	 * (or the consumer took items meanwhile), and upstream may have sent
	 * its last item already: without this the FIFO's tail (an EOS) waited
	 * for a wakeup nobody would send. Room after all: go again. */
	if (s->head != s->tail && px_pad_room(s->src)) {
		px_element_schedule(e);
		return;
	}
	if (!px_pad_count(s->sink))
		return; /* woken when items arrive, or when the link drains */
	if (n && n == want && !by_bytes) {
		/* Budget spent, or the count limit reached: the next turn
		 * takes more or finds the link full (and waits for it). */
		px_element_schedule(e);
		return;
	}
	if (s->head != s->tail || !px_pad_room(s->src))
		return; /* the link is full: woken when it drains (flagged) */
	/* Held back by the byte limit while the link has room: the engine
	 * will not wake us (only a full link does), so look again soon, a
	 * batch at a time rather than a buffer at a time. */
	if (!px_op_busy(&s->recheck)) {
		int rc = px_io_timeout(px_element_reactor(e), &s->recheck,
				       RECHECK_NS, recheck_fired);

		if (rc < 0)
			px_element_error(e, rc, "%s: cannot arm a timer: %s",
					 px_element_name(e), px_strerror(rc));
	}
}

static int queue_stop(struct px_element *e)
{
	struct queue *s = px_element_priv(e);

	s->stopping = true;
	while (s->head != s->tail)
		px_item_release(&s->fifo[s->head++ & s->mask]);
	s->fifo_bufs = 0;
	s->fifo_bytes = 0;
	/* Nothing is held once stopped (the engine drains the link). */
	px_stat_set(&s->current_level_buffers, 0);
	px_stat_set(&s->current_level_bytes, 0);
	px_stat_set(&s->current_level_time, 0);
	if (px_op_busy(&s->recheck))
		px_io_cancel(px_element_reactor(e), &s->recheck);
	return PX_STOP_WHEN_IDLE;
}

static void queue_fini(struct px_element *e)
{
	struct queue *s = px_element_priv(e);

	free(s->fifo);
	free(s->lens);
	free(s->lpts);
	s->fifo = NULL;
	s->lens = NULL;
	s->lpts = NULL;
}

const struct px_element_class px__queue_class = {
	.name = "queue",
	.description = "Thread boundary with bounded, optionally leaky storage",
	.flags = PX_ELEMENT_THREAD_BOUNDARY | PX_ELEMENT_CAPS_PASSTHROUGH,
	.priv_size = sizeof(struct queue),
	.pads = queue_pads,
	.n_pads = PX_ARRAY_SIZE(queue_pads),
	.props = queue_props,
	.n_props = PX_ARRAY_SIZE(queue_props),
	.init = queue_init,
	.prop_changed = queue_prop_changed,
	.start = queue_start,
	.work = queue_work,
	.stop = queue_stop,
	.fini = queue_fini,
};
