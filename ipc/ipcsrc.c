// SPDX-License-Identifier: MIT
/*
 * ipcsrc - subscribe to a channel that an ipcsink (or px_ipc_publisher) in
 * another process publishes: buffers arrive as read-only views of the
 * publisher's pool slots, no byte copied; dropping the last reference hands
 * the slot back. Waits up to `timeout` for the publisher; its disappearance
 * is an ERROR that names the channel.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ipc_elements_int.h"
#include "px_error.h"

struct ipcsrc {
	/* properties */
	char *channel;
	char *socket_path;
	int64_t timeout;
	char *caps;
	/* read-only */
	px_stat_u64 received;
	/* run state */
	struct px_element *self;
	struct px__ipc_elem_task task;
	struct px__ipc_sub *sub;
	struct px__ipc_sub *old;   /* closed, buffers may still be held */
	struct px_caps *want;
	bool eos;
	bool connected;	/* the handshake gave us the publisher's caps */
};

#define RO_U64(nm, field, hlp)                                               \
	PX_PROP_STAT_U64_SPEC(nm, PX_PROP_UINT64, struct ipcsrc, field, hlp)

static const struct px_prop_spec ipcsrc_props[] = {
	PX_PROP_STRING_SPEC("channel", struct ipcsrc, channel, NULL,
			    "channel name an ipcsink publishes (required)"),
	PX_PROP_STRING_SPEC("socket-path", struct ipcsrc, socket_path, NULL,
			    "the publisher's file-system socket instead of the abstract name"),
	PX_PROP_DURATION_SPEC("timeout", struct ipcsrc, timeout,
			      10000000000LL, 0, 86400000000000LL,
			      "how long to wait for the publisher to appear"),
	PX_PROP_STRING_SPEC("caps", struct ipcsrc, caps, NULL,
			    "refuse a channel whose caps do not intersect these"),
	RO_U64("received", received, "buffers received in the current run"),
};

static const struct px_pad_template ipcsrc_pads[] = {
	{ "src", PX_PAD_SRC, PX_PAD_ALWAYS, "ANY" },
};

static void on_error(void *arg, int err, const char *text)
{
	struct ipcsrc *s = arg;

	px_element_error(s->self, err, "%s: %s", px_element_name(s->self),
			 text);
}

/*
 * The publisher's caps TEXT are those of the buffers that follow: checked
 * against caps= and made our src pad's caps, so that downstream gets them
 * in a CAPS event before the next buffer. Returns 0 or the error posted.
 */
static int take_caps(struct ipcsrc *s, const char *text)
{
	struct px_caps *have = NULL;
	size_t at = 0;
	int err;

	if (px_caps_parse(text, &have, &at)) {
		px_element_error(s->self, -EPROTO,
				 "%s: channel %s announced caps '%s', which do "
				 "not parse (byte %zu)",
				 px_element_name(s->self), s->channel, text, at);
		return -EPROTO;
	}
	if (s->want && !px_caps_can_intersect(have, s->want)) {
		px_caps_unref(have);
		px_element_error(s->self, -EPROTO,
				 "%s: channel %s carries caps '%s', which do "
				 "not match caps='%s'",
				 px_element_name(s->self), s->channel, text,
				 s->caps);
		return -EPROTO;
	}
	err = px_pad_push_caps(px_element_pad(s->self, "src"), have);
	px_caps_unref(have);
	return err;
}

static void on_connected(void *arg, const char *caps)
{
	struct ipcsrc *s = arg;

	if (take_caps(s, caps) == 0) {
		s->connected = true;
		px_element_info(s->self, "%s: subscribed to channel %s (caps %s)",
				px_element_name(s->self), s->channel, caps);
		px_element_schedule(s->self);
	}
}

/* Push ITEMS[0..N) in order; a caps change mark among them (the publisher's
 * caps changed there) becomes our caps. -1 when the pipeline refused. */
static int push_items(struct ipcsrc *s, struct px_pad *out,
		      struct px_item *items, unsigned n)
{
	unsigned at = 0, i;

	for (i = 0; i <= n; i++) {
		if (i < n && !px__ipc_sub_is_caps(&items[i]))
			continue;
		/* Room was there: only a stopping pipeline refuses, and
		 * then push_burst released them. */
		if (i > at && px_pad_push_burst(out, items + at, i - at,
						NULL) < 0)
			goto err_release;
		if (i < n && take_caps(s, px__ipc_sub_caps(s->sub)))
			goto err_release;
		at = i + 1;
	}
	return 0;
err_release:
	/* The rest; released items are NONE, so nothing is released twice. */
	for (; i < n; i++)
		px_item_release(&items[i]);
	return -1;
}

/* Free the subscriber of the last run once nothing of it is held. */
static void reap_old(struct ipcsrc *s)
{
	if (s->old && px__ipc_sub_destroy(s->old) == 0)
		s->old = NULL;
}

static int ipcsrc_start(struct px_element *e)
{
	struct ipcsrc *s = px_element_priv(e);
	struct px__ipc_sub_config cfg = { 0 };
	struct px__ipc_sub_events ev = { .arg = s, .task = &s->task.task,
					 .connected = on_connected,
					 .error = on_error };
	size_t at = 0;
	int err;

	s->self = e;
	s->eos = false;
	s->connected = false;
	px_stat_set(&s->received, 0);
	px__ipc_task_init(&s->task, e);
	reap_old(s);
	if (!s->channel || !*s->channel)
		return px_element_error(e, -EINVAL,
					"%s: property 'channel' is required "
					"(ipcsrc channel=NAME)",
					px_element_name(e)),
		       -EINVAL;
	px_caps_unref(s->want);
	s->want = NULL;
	if (s->caps && *s->caps) {
		err = px_caps_parse(s->caps, &s->want, &at);
		if (err)
			return px_element_error(e, err,
						"%s: caps='%s' does not parse "
						"(at byte %zu)",
						px_element_name(e), s->caps,
						at),
			       err;
	}
	cfg.channel = s->channel;
	cfg.socket_path = s->socket_path;
	cfg.timeout_ns = (uint64_t)s->timeout;
	err = px__ipc_sub_create(px_element_reactor(e), &cfg, &ev, &s->sub);
	if (err)
		px_element_error(e, err, "%s: cannot subscribe to channel %s: %s",
				 px_element_name(e), s->channel,
				 px_strerror(err));
	return err;
}

static void ipcsrc_work(struct px_element *e)
{
	struct ipcsrc *s = px_element_priv(e);
	struct px_pad *out = px_element_pad(e, "src");
	struct px_item items[PX__IPC_BATCH];
	struct px__ipc_sub_stats st;

	if (!s->sub || s->eos)
		return;
	if (px_element_eos_requested(e)) {
		/* Ctrl-C: end our stream here; the publisher takes back what
		 * we held when the socket closes at stop. */
		if (px_element_push_eos(e) != PX_FLOW_BUSY)
			s->eos = true;
		return;
	}
	/* No items before the handshake: the first CAPS event downstream is
	 * the publisher's caps, not our link's guess. A receive of nothing
	 * still reports a refusal or a publisher that vanished (ev.error). */
	if (!s->connected) {
		(void)px__ipc_sub_recv(s->sub, items, 0);
		return;
	}
	for (;;) {
		unsigned room = px_pad_room(out), n;

		if (!room)
			return; /* scheduled again when the link drains */
		n = px__ipc_sub_recv(s->sub, items, PX_MIN(room, PX__IPC_BATCH));
		if (!n)
			break;
		if (push_items(s, out, items, n))
			return;
		if (px_item_is_eos(&items[n - 1])) {
			s->eos = true;
			break;
		}
	}
	px__ipc_sub_stats(s->sub, &st);
	px_stat_set(&s->received, st.received);
	if (!s->eos && !px__ipc_sub_idle(s->sub))
		px_element_schedule(e); /* items raced in */
}

static void close_done(void *arg)
{
	px_element_stop_done(arg);
}

static int ipcsrc_stop(struct px_element *e)
{
	struct ipcsrc *s = px_element_priv(e);
	struct px__ipc_sub *sub = s->sub;

	if (!sub)
		return 0;
	s->sub = NULL;
	s->old = sub; /* downstream may still hold its buffers */
	return px__ipc_sub_close(sub, close_done, e) ? 0 : 1;
}

static void ipcsrc_fini(struct px_element *e)
{
	struct ipcsrc *s = px_element_priv(e);

	/* Every buffer is back by now (the pipeline drained its links). */
	reap_old(s);
	px_caps_unref(s->want);
}

const struct px_element_class px__ipcsrc_class = {
	.name = "ipcsrc",
	.description = "receive buffers an ipcsink publishes in another "
		       "process (read-only, by reference)",
	.priv_size = sizeof(struct ipcsrc),
	.pads = ipcsrc_pads,
	.n_pads = 1,
	.props = ipcsrc_props,
	.n_props = sizeof(ipcsrc_props) / sizeof(ipcsrc_props[0]),
	.start = ipcsrc_start,
	.work = ipcsrc_work,
	.stop = ipcsrc_stop,
	.fini = ipcsrc_fini,
};
