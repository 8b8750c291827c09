// SPDX-License-Identifier: MIT
/*
 * ipcsink - publish a stream on a channel: every subscriber (ipcsrc, or the
 * px_ipc_subscriber API) in another process maps the same pool slots
 * read-only and gets each buffer by reference, never by copy. Upstream
 * pools become shareable memfds by the engine's allocation query
 * (PX_ELEMENT_SHARES_MEMORY), so filesrc and tcpsrc read straight into
 * memory the subscribers map.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ipc_elements_int.h"
#include "px_bus.h"
#include "px_error.h"

struct ipcsink {
	/* properties */
	char *channel;
	char *socket_path;
	int64_t wait_for;
	int slow;
	char *allow_uid, *allow_gid;
	int64_t handshake_timeout;
	int64_t ring_size;
	int64_t max_held;
	/* read-only */
	px_stat_u64 subscribers, sent, dropped, reclaimed, refused;
	/* run state */
	struct px_element *self;
	struct px__ipc_elem_task task;
	struct px__ipc_pub *pub;
	struct px_item pend[PX__IPC_BATCH];
	unsigned pend_at, pend_n;
	/* a caps change, sent before pend[pend_at] */
	struct px_item caps_frag[PX__IPC_CAPS_FRAGS];
	unsigned frag_at, frag_n;
	bool flowing;	    /* wait-for satisfied */
	bool eos_sent;
	bool eos_done;
	bool copy_warned;
	struct px_pool *copy_pool; /* for buffers from unshareable pools */
	uid_t uids[PX__IPC_MAX_IDS];
	gid_t gids[PX__IPC_MAX_IDS];
	unsigned n_uids, n_gids;
};

static const struct px_prop_enum slow_enums[] = {
	{ "block", PX__IPC_SLOW_BLOCK, "wait for the slowest subscriber (GStreamer's behaviour)" },
	{ "drop", PX__IPC_SLOW_DROP, "a subscriber without room misses the buffer (counted in dropped)" },
	{ "disconnect", PX__IPC_SLOW_DISCONNECT, "a subscriber without room is disconnected" },
	{ NULL, 0, NULL },
};

#define RO_U64(nm, field, hlp)                                               \
	PX_PROP_STAT_U64_SPEC(nm, PX_PROP_UINT64, struct ipcsink, field, hlp)

static const struct px_prop_spec ipcsink_props[] = {
	PX_PROP_STRING_SPEC("channel", struct ipcsink, channel, NULL,
			    "channel name subscribers connect to (required)"),
	PX_PROP_STRING_SPEC("socket-path", struct ipcsink, socket_path, NULL,
			    "a file-system socket (created 0600) instead of the abstract name"),
	PX_PROP_INT_SPEC("wait-for", struct ipcsink, wait_for, 1, 0, 1024,
			 "hold the first buffer until this many subscribers joined"),
	PX_PROP_ENUM_SPEC("slow", struct ipcsink, slow, PX__IPC_SLOW_BLOCK,
			  slow_enums, "what a subscriber without room costs"),
	PX_PROP_STRING_SPEC("allow-uid", struct ipcsink, allow_uid, NULL,
			    "comma-separated uids that may subscribe besides the publisher's own"),
	PX_PROP_STRING_SPEC("allow-gid", struct ipcsink, allow_gid, NULL,
			    "comma-separated gids whose members may subscribe"),
	PX_PROP_DURATION_SPEC("handshake-timeout", struct ipcsink,
			      handshake_timeout, 2000000000LL, 1000000LL,
			      3600000000000LL,
			      "drop a peer that has not finished the handshake by then"),
	PX_PROP_INT_SPEC("ring-size", struct ipcsink, ring_size, 256, 2, 65536,
			 "items in each subscriber's ring (rounded up to a power of two)"),
	PX_PROP_INT_SPEC("max-held", struct ipcsink, max_held, 4096, 16,
			 1 << 20,
			 "buffers one subscriber may hold at once (rounded up to a power of two)"),
	RO_U64("subscribers", subscribers, "subscribers connected now"),
	RO_U64("sent", sent, "buffers published in the current run"),
	RO_U64("dropped", dropped, "buffers a subscriber missed (slow=drop)"),
	RO_U64("reclaimed", reclaimed,
	       "buffer references taken back from subscribers that died"),
	RO_U64("refused", refused,
	       "peers refused (uid, protocol, handshake timeout)"),
};

static const struct px_pad_template ipcsink_pads[] = {
	{ "sink", PX_PAD_SINK, PX_PAD_ALWAYS, "ANY" },
};

static unsigned pow2_at_least(int64_t v)
{
	unsigned c = 2;

	while ((int64_t)c < v)
		c <<= 1;
	return c;
}

static void publish_stats(struct ipcsink *s)
{
	struct px__ipc_pub_stats st;

	if (!s->pub)
		return;
	px__ipc_pub_stats(s->pub, &st);
	px_stat_set(&s->subscribers, st.subscribers);
	px_stat_set(&s->sent, st.sent);
	px_stat_set(&s->dropped, st.dropped);
	px_stat_set(&s->reclaimed, st.reclaimed);
	px_stat_set(&s->refused, st.refused);
}

static void on_warn(void *arg, const char *text)
{
	struct ipcsink *s = arg;

	px_element_warning(s->self, "%s: %s", px_element_name(s->self), text);
}

static void on_error(void *arg, int err, const char *text)
{
	struct ipcsink *s = arg;

	px_element_error(s->self, err, "%s: channel %s: %s: %s",
			 px_element_name(s->self), s->channel, text,
			 px_strerror(err));
}

/* CAPS's text into TEXT[PX__IPC_CAPS_MAX]: what a process link carries. */
static int caps_text(struct ipcsink *s, const struct px_caps *caps,
		     char *text)
{
	size_t need = px_caps_to_string(caps, text, PX__IPC_CAPS_MAX);

	if (need < PX__IPC_CAPS_MAX)
		return 0;
	px_element_error(s->self, -E2BIG,
			 "%s: caps of %zu bytes as text; a process link "
			 "carries at most %d: %.60s...",
			 px_element_name(s->self), need, PX__IPC_CAPS_MAX - 1,
			 text);
	return -E2BIG;
}

static int ipcsink_start(struct px_element *e)
{
	struct ipcsink *s = px_element_priv(e);
	struct px__ipc_pub_config cfg = { 0 };
	struct px__ipc_pub_events ev = { .arg = s, .task = &s->task.task,
					 .warn = on_warn, .error = on_error };
	char why[PX_MSG_TEXT] = "", caps[PX__IPC_CAPS_MAX];
	int err;

	s->self = e;
	px__ipc_task_init(&s->task, e);
	s->pend_at = s->pend_n = 0;
	s->frag_at = s->frag_n = 0;
	s->flowing = s->wait_for == 0;
	s->eos_sent = s->eos_done = s->copy_warned = false;
	s->copy_pool = NULL;
	if (!s->channel || !*s->channel)
		return px_element_error(e, -EINVAL,
					"%s: property 'channel' is required "
					"(ipcsink channel=NAME)",
					px_element_name(e)),
		       -EINVAL;
	err = px__ipc_parse_ids(e, "allow-uid", s->allow_uid, s->uids,
				&s->n_uids);
	if (!err)
		err = px__ipc_parse_ids(e, "allow-gid", s->allow_gid, s->gids,
					&s->n_gids);
	if (err)
		return err;
	err = caps_text(s, px_pad_link_caps(px_element_pad(e, "sink")), caps);
	if (err)
		return err;
	cfg.channel = s->channel;
	cfg.socket_path = s->socket_path;
	cfg.caps = caps;
	cfg.ring_capacity = pow2_at_least(s->ring_size);
	cfg.max_held = pow2_at_least(s->max_held);
	cfg.slow = s->slow;
	cfg.handshake_timeout_ns = (uint64_t)s->handshake_timeout;
	cfg.allow_uids = s->uids;
	cfg.n_allow_uids = s->n_uids;
	cfg.allow_gids = s->gids;
	cfg.n_allow_gids = s->n_gids;
	err = px__ipc_pub_create(px_element_reactor(e), &cfg, &ev, &s->pub, why,
				 sizeof(why));
	if (err)
		px_element_error(e, err, "%s: cannot publish: %s",
				 px_element_name(e), why);
	return err;
}

/* A buffer from a pool no other process can map: copy it into ours. */
static int copy_to_shareable(struct ipcsink *s, struct px_item *it)
{
	struct px_element *e = s->self;
	struct px_buf copy;
	int err;

	if (!s->copy_pool) {
		uint32_t size = px_pool_round_slot_size(
			it->buf.length > 65536 ? it->buf.length : 65536);

		err = px_element_pool_create(e, size, 64, &s->copy_pool);
		if (err)
			return err;
	}
	if (!s->copy_warned) {
		s->copy_warned = true;
		px_element_warning(e,
				   "%s: buffers arrive from pool %s, which other "
				   "processes cannot map; copying them",
				   px_element_name(e),
				   px_pool_name(px_buf_pool(&it->buf)));
	}
	if (it->buf.length > px_pool_slot_size(s->copy_pool))
		return px_element_error(e, -EMSGSIZE,
					"%s: a %u-byte buffer from an unshareable "
					"pool is larger than the copy slots (%u)",
					px_element_name(e), it->buf.length,
					px_pool_slot_size(s->copy_pool)),
		       -EMSGSIZE;
	err = px_element_buf_alloc(e, s->copy_pool, it->buf.length, &copy);
	if (err)
		return err;
	memcpy(px_buf_data(&copy), px_buf_data(&it->buf), it->buf.length);
	px_pool_count_copy(s->copy_pool, it->buf.length);
	copy.seq = it->buf.seq;
	copy.pts = it->buf.pts;
	copy.duration = it->buf.duration;
	copy.flags = it->buf.flags;
	copy.stream_offset = it->buf.stream_offset;
	px_buf_unref(&it->buf);
	it->buf = copy;
	return 0;
}

/* Make every pending buffer shareable. -ENOBUFS: wait for a copy slot. */
static int prepare(struct ipcsink *s)
{
	for (unsigned i = s->pend_at; i < s->pend_n; i++) {
		struct px_item *it = &s->pend[i];
		int err;

		if (it->type != PX_ITEM_BUFFER ||
		    px__ipc_pool_shareable(px_buf_pool(&it->buf)))
			continue;
		err = copy_to_shareable(s, it);
		if (err)
			return err;
	}
	return 0;
}

/*
 * A CAPS event IT arrived: the channel's caps are IT's from now on. Present
 * subscribers learn them in order with the buffers (the pieces go before
 * the next item); later ones in their WELCOME.
 */
static int caps_change(struct ipcsink *s, const struct px_item *it)
{
	char text[PX__IPC_CAPS_MAX];
	int err = caps_text(s, px_event_caps(s->self, it), text);

	if (err)
		return err;
	s->frag_at = 0;
	s->frag_n = px__ipc_pub_set_caps(s->pub, text, s->caps_frag);
	return 0;
}

static void ipcsink_work(struct px_element *e)
{
	struct ipcsink *s = px_element_priv(e);
	struct px_pad *in = px_element_pad(e, "sink");

	if (!s->pub)
		return;
	if (!s->flowing) {
		px__ipc_pub_poll(s->pub);
		publish_stats(s);
		if (px__ipc_pub_subscribers(s->pub) < (unsigned)s->wait_for)
			return; /* a join schedules us */
		s->flowing = true;
	}
	for (;;) {
		unsigned took, eos_at, end;

		if (s->frag_at < s->frag_n) {
			s->frag_at += px__ipc_pub_send(s->pub,
						       s->caps_frag + s->frag_at,
						       s->frag_n - s->frag_at);
			if (s->frag_at < s->frag_n)
				break; /* a subscriber has no room */
		}
		if (s->pend_at == s->pend_n) {
			s->pend_at = 0;
			s->pend_n = s->eos_sent ? 0 :
				px_pad_pull(in, s->pend, PX__IPC_BATCH);
			if (!s->pend_n)
				break;
		}
		if (px_event_caps(e, &s->pend[s->pend_at])) {
			if (caps_change(s, &s->pend[s->pend_at++]))
				break; /* the error was posted */
			continue;
		}
		if (prepare(s))
			break; /* -ENOBUFS waits; an error was posted */
		/* Look before sending: the items sent are consumed. Send up
		 * to the next caps change. */
		eos_at = end = s->pend_n;
		for (unsigned i = s->pend_at; i < end; i++) {
			if (px_event_caps(e, &s->pend[i]))
				end = i;
			else if (px_item_is_eos(&s->pend[i]))
				eos_at = i;
		}
		took = px__ipc_pub_send(s->pub, s->pend + s->pend_at,
					end - s->pend_at);
		s->pend_at += took;
		if (eos_at < s->pend_at)
			s->eos_sent = true;
		if (s->pend_at < end)
			break; /* a subscriber has no room: it wakes us */
	}
	if (s->pend_at == s->pend_n)
		px__ipc_pub_poll(s->pub);
	publish_stats(s);
	/* EOS is reached once every subscriber gave back what it held (or
	 * left): until then its buffers live in our pools. */
	if (s->eos_sent && !s->eos_done && !px__ipc_pub_held(s->pub)) {
		s->eos_done = true;
		px_element_eos_reached(e);
	}
}

static void close_done(void *arg)
{
	px_element_stop_done(arg);
}

static int ipcsink_stop(struct px_element *e)
{
	struct ipcsink *s = px_element_priv(e);
	struct px__ipc_pub *pub = s->pub;

	px__release_pending(s->pend + s->pend_at, s->pend_n - s->pend_at);
	s->pend_at = s->pend_n = 0;
	if (!pub)
		return 0;
	publish_stats(s);
	s->pub = NULL;
	return px__ipc_pub_close(pub, close_done, e) ? 0 : 1;
}

const struct px_element_class px__ipcsink_class = {
	.name = "ipcsink",
	.description = "publish buffers to other processes by reference "
		       "(shared read-only pools, no copy)",
	.flags = PX_ELEMENT_SHARES_MEMORY,
	.priv_size = sizeof(struct ipcsink),
	.pads = ipcsink_pads,
	.n_pads = 1,
	.props = ipcsink_props,
	.n_props = sizeof(ipcsink_props) / sizeof(ipcsink_props[0]),
	.start = ipcsink_start,
	.work = ipcsink_work,
	.stop = ipcsink_stop,
};
