// SPDX-License-Identifier: MIT
/*
 * identity.c - passes items through untouched (events in order), optionally
 * dropping buffers at random, delaying each buffer with a reactor timer,
 * failing or ending (EOS) after N buffers, hexdumping each buffer or posting
 * a line per buffer (silent=false): the test bench's swiss-army element.
 * The names and units are GStreamer's (sleep-time in microseconds).
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "elements_int.h"
#include "px_buf.h"
#include "px_error.h"

struct identity {
	/* properties */
	double drop_probability;
	int64_t sleep_time;  /* ns */
	int64_t error_after; /* -1: never */
	int64_t eos_after;   /* -1: never */
	bool silent;
	bool dump;
	px_stat_u64 dropped;
	px_stat_u64 delayed;

	/* run state */
	struct px_element *e;
	struct px_pad *sink, *src;
	uint64_t rng;
	uint64_t drop_threshold; /* a buffer drops when rand < threshold */
	bool drop_all;
	uint64_t count; /* buffers seen (for error-after) */
	uint64_t passed; /* buffers passed on (for eos-after) */
	bool failed;
	bool eos_due;  /* eos-after reached: EOS goes next */
	bool eos_sent; /* ... and went: what follows is dropped */
	struct px__cwriter out; /* dump=true */
	/* one item at a time (sleep-time, dump, eos-after, silent=false):
	 * the one held, while its timer runs or the link is full */
	struct px_item pending;
	bool have_pending;
	bool pending_ready;
	bool stopping;
	struct px_op timer;
};

static const struct px_prop_spec identity_props[] = {
	PX_PROP_DOUBLE_SPEC("drop-probability", struct identity,
			    drop_probability, 0.0, 0.0, 1.0,
			    "chance (0..1) that each buffer is dropped instead of passed"),
	PX_PROP_DURATION_US_SPEC("sleep-time", struct identity, sleep_time, 0,
				 0, 3600000000000ll,
				 "delay each buffer this long, on a timer; a bare number is microseconds, as in GStreamer (0: no delay)"),
	PX_PROP_INT_SPEC("error-after", struct identity, error_after, -1, -1,
			 INT64_MAX,
			 "post an ERROR on the N-th buffer instead of passing it (-1: never)"),
	PX_PROP_INT_SPEC("eos-after", struct identity, eos_after, -1, -1,
			 INT64_MAX,
			 "send EOS after N buffers and drop what follows (-1: never)"),
	PX_PROP_BOOL_SPEC("silent", struct identity, silent, true,
			  "false: post a message for every buffer (size, pts, duration, seq, flags), as GStreamer's last-message"),
	PX_PROP_BOOL_SPEC("dump", struct identity, dump, false,
			  "hexdump each buffer to stdout as it passes (slow; for debugging)"),
	PX_PROP_STAT_U64_SPEC("dropped", PX_PROP_UINT64, struct identity,
			      dropped,
			      "buffers dropped by drop-probability in the current run"),
	PX_PROP_STAT_U64_SPEC("delayed", PX_PROP_UINT64, struct identity,
			      delayed,
			      "buffers held for sleep-time (their timer expired) in the current run"),
};

static const struct px_pad_template identity_pads[] = {
	{ "sink", PX_PAD_SINK, PX_PAD_ALWAYS, "ANY" },
	{ "src", PX_PAD_SRC, PX_PAD_ALWAYS, "ANY" },
};

static int identity_start(struct px_element *e)
{
	struct identity *s = px_element_priv(e);

	s->e = e;
	s->sink = px_element_pad(e, "sink");
	s->src = px_element_pad(e, "src");
	s->rng = px__rand_seed(s);
	s->drop_all = s->drop_probability >= 1.0;
	/* 2^64 * p, computed without overflowing for p < 1. */
	s->drop_threshold =
		s->drop_all ? UINT64_MAX
			    : (uint64_t)(s->drop_probability * 18446744073709551616.0);
	s->count = 0;
	s->passed = 0;
	s->failed = false;
	s->eos_due = s->eos_after == 0;
	s->eos_sent = false;
	s->have_pending = false;
	s->pending_ready = false;
	s->stopping = false;
	px_element_op_init(e, &s->timer); /* counted: stop needs no flag */
	px_stat_set(&s->dropped, 0);
	px_stat_set(&s->delayed, 0);
	if (s->dump)
		return px__cwriter_start(&s->out, e, STDOUT_FILENO,
					 PX__CWRITER_HEX);
	return 0;
}

/* Decide the fate of buffer IT: true to pass it on. Drops and error-after
 * release it. */
static bool identity_filter(struct identity *s, struct px_item *it)
{
	if (it->type != PX_ITEM_BUFFER)
		return true;
	if (s->error_after >= 0 && ++s->count >= (uint64_t)s->error_after) {
		px_item_release(it);
		if (!s->failed) {
			s->failed = true;
			px_element_error(s->e, -EIO,
					 "%s: failing at buffer %llu as asked by error-after=%lld",
					 px_element_name(s->e),
					 (unsigned long long)s->count,
					 (long long)s->error_after);
		}
		return false;
	}
	if (s->drop_threshold &&
	    (s->drop_all || px__rand_next(&s->rng) < s->drop_threshold)) {
		px_item_release(it);
		px_stat_add(&s->dropped, 1);
		return false;
	}
	return true;
}

static bool keep_item(struct px_element *e, struct px_item *it, void *arg)
{
	(void)e;
	return identity_filter(arg, it);
}

static void timer_fired(struct px_op *op, int res, uint32_t flags)
{
	struct identity *s = px_container_of(op, struct identity, timer);

	(void)res;
	(void)flags;
	if (s->stopping)
		return; /* the engine finishes the stop (PX_STOP_WHEN_IDLE) */
	s->pending_ready = true;
	px_stat_add(&s->delayed, 1);
	px_element_schedule(s->e);
}

/*
 * Take the next item into s->pending, doing what the properties ask on the
 * way. False when there is none to hold (nothing came, or it was dropped:
 * look again while the budget lasts).
 */
static bool take_one(struct identity *s, bool *again)
{
	struct px_item *it = &s->pending;

	*again = false;
	if (s->failed || px_pad_pull(s->sink, it, 1) != 1)
		return false;
	*again = true;
	if (s->eos_sent) {
		px_item_release(it); /* ended by eos-after: the rest goes */
		return false;
	}
	if (!identity_filter(s, it))
		return false;
	s->pending_ready = true;
	if (it->type != PX_ITEM_BUFFER)
		return true;
	if (!s->silent)
		px__post_chain(s->e, false, &it->buf);
	if (s->dump) {
		px_buf_ref(&it->buf); /* the writer's reference */
		px__cwriter_feed(&s->out, &it->buf);
	}
	if (s->eos_after > 0 && ++s->passed >= (uint64_t)s->eos_after)
		s->eos_due = true;
	if (s->sleep_time > 0) {
		int rc = px_io_timeout(px_element_reactor(s->e), &s->timer,
				       (uint64_t)s->sleep_time, timer_fired);

		if (rc < 0) {
			px_element_error(s->e, rc,
					 "%s: cannot arm the sleep-time timer: %s",
					 px_element_name(s->e), px_strerror(rc));
			px_item_release(it);
			s->failed = true;
			return false;
		}
		s->pending_ready = false;
	}
	return true;
}

/* One item at a time: each buffer after its own timer, its dump written,
 * its line posted, EOS after eos-after of them. */
static void identity_work_each(struct identity *s)
{
	for (unsigned budget = PX_ELEMENT_BATCH; budget; budget--) {
		bool again;

		if (s->have_pending) {
			if (!s->pending_ready || !px_pad_room(s->src))
				return; /* the timer or the drained link wakes us */
			if (px_pad_push(s->src, &s->pending) == PX_FLOW_BUSY)
				return;
			s->have_pending = false;
		}
		if (s->eos_due) {
			s->eos_due = false;
			s->eos_sent = true;
			px_item_eos(&s->pending);
			s->have_pending = true;
			s->pending_ready = true;
			continue;
		}
		if (s->dump && px__cwriter_busy(&s->out))
			return; /* the writer schedules us when it is done */
		s->have_pending = take_one(s, &again);
		if (!s->have_pending && !again)
			return; /* woken when items arrive */
	}
	px_element_schedule(s->e);
}

static void identity_work(struct px_element *e)
{
	struct identity *s = px_element_priv(e);
	struct px_item items[PX_ELEMENT_BATCH];
	unsigned n;

	if (s->stopping)
		return;
	if (s->failed) {
		/* The pipeline is stopping: hold nothing meanwhile. */
		while ((n = px_pad_pull(s->sink, items, PX_ELEMENT_BATCH)))
			for (unsigned i = 0; i < n; i++)
				px_item_release(&items[i]);
		return;
	}
	if (s->sleep_time > 0 || s->dump || !s->silent || s->eos_after >= 0) {
		identity_work_each(s);
		return;
	}
	(void)px_pad_forward(s->sink, s->src,
			     s->drop_threshold || s->error_after >= 0 ?
				     keep_item : NULL,
			     s);
}

static int identity_stop(struct px_element *e)
{
	struct identity *s = px_element_priv(e);

	s->stopping = true;
	if (s->have_pending) {
		px_item_release(&s->pending);
		s->have_pending = false;
	}
	if (px_op_busy(&s->timer))
		px_io_cancel(px_element_reactor(e), &s->timer);
	if (s->dump)
		(void)px__cwriter_stop(&s->out); /* a counted op, as the timer */
	return PX_STOP_WHEN_IDLE;
}

static void identity_fini(struct px_element *e)
{
	struct identity *s = px_element_priv(e);

	px__cwriter_fini(&s->out);
}

const struct px_element_class px__identity_class = {
	.name = "identity",
	.flags = PX_ELEMENT_CAPS_PASSTHROUGH,
	.description = "Passes items through; can drop, delay or fail on purpose",
	.priv_size = sizeof(struct identity),
	.pads = identity_pads,
	.n_pads = PX_ARRAY_SIZE(identity_pads),
	.props = identity_props,
	.n_props = PX_ARRAY_SIZE(identity_props),
	.start = identity_start,
	.work = identity_work,
	.stop = identity_stop,
	.fini = identity_fini,
};
