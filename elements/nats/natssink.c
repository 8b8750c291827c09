// SPDX-License-Identifier: MIT
/*
 * natssink.c - publishes each buffer as one JetStream message, at least
 * once and in order.
 *
 * The reactor publishes with js_PublishMsgAsync, never more than
 * max-inflight unacknowledged messages (below libnats's MaxPending, so the
 * call never stalls): at the limit it waits for acknowledgements, and the
 * links behind it fill up: backpressure, not a drop. Each message carries
 * Nats-Msg-Id "<stream-id>-<n>", so a resend inside the stream's duplicate
 * window is dropped by the server.
 *
 * Resends keep the order. When the connection drops, publishes fail at once
 * (libnats's reconnect buffer is off) and the sink pauses; after the
 * reconnect the worker takes back every message still unacknowledged
 * (js_PublishAsyncGetPendingList), adds those whose publish failed or
 * timed out, and publishes them again in their original order before the
 * reactor publishes anything new. The server stores each one once.
 *
 * EOS: once every message is acknowledged, one more message with the
 * header Px-Eos and no payload; once that is acknowledged too, the sink
 * reports EOS. natssrc ends its pipeline there.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "nats_bridge.h"

struct natssink {
	struct pxn_bridge b;
	/* properties */
	char *subject;
	char *stream_id;
	int64_t max_inflight;
	int64_t ack_timeout;	/* ns */
	int64_t dedup_window;	/* ns */
	bool create_stream;
	px_stat_u64 published;
	px_stat_u64 acked;
	px_stat_u64 resent;
	px_stat_u64 duplicates;

	/* run state */
	struct px_pad *sink;
	jsPubOptions po;
	char sid[48];		/* the stream id of this run */
	uint64_t n;		/* messages made: the id counter */
	char *caps;		/* Px-Caps text, NULL for ANY */
	bool eos, eos_sent, finished;
	_Atomic int64_t inflight; /* handed to libnats, not yet acknowledged */
	atomic_bool waiting;	/* the reactor waits for acks or the resend */
	_Atomic int64_t wake_at; /* ...for the flight to be down to this */
	atomic_bool paused;	/* the worker resends first */
	/* Messages to publish again (failed or timed out); under b.mu. */
	natsMsg **retry;
	unsigned nretry, retry_cap;
};

static const struct px_prop_spec natssink_props[] = {
	PXN_CONN_PROP_SPECS(struct natssink),
	PX_PROP_STRING_SPEC("subject", struct natssink, subject, "px.data",
			    "subject every message is published on"),
	PX_PROP_STRING_SPEC("stream-id", struct natssink, stream_id, NULL,
			    "prefix of each Nats-Msg-Id (default: random per "
			    "run; set it to make a rerun's resends duplicates)"),
	PX_PROP_INT_SPEC("max-inflight", struct natssink, max_inflight, 256, 1,
			 65536,
			 "unacknowledged publishes at most (then the sink "
			 "waits: backpressure)"),
	PX_PROP_DURATION_SPEC("ack-timeout", struct natssink, ack_timeout,
			      5 * PXN_SEC, PXN_SEC / 100, 3600 * PXN_SEC,
			      "publish again when no acknowledgement came "
			      "within this time"),
	PX_PROP_BOOL_SPEC("create-stream", struct natssink, create_stream, true,
			  "create the stream (file storage, subject) if the "
			  "server has none of that name"),
	PX_PROP_DURATION_SPEC("dedup-window", struct natssink, dedup_window,
			      120 * PXN_SEC, PXN_SEC, 7 * 86400 * PXN_SEC,
			      "duplicate window of a stream the sink creates"),
	PX_PROP_STAT_U64_SPEC("published", PX_PROP_UINT64, struct natssink,
			      published, "messages published (EOS included)"),
	PX_PROP_STAT_U64_SPEC("acked", PX_PROP_UINT64, struct natssink, acked,
			      "messages the server acknowledged"),
	PX_PROP_STAT_U64_SPEC("resent", PX_PROP_UINT64, struct natssink, resent,
			      "messages published again after a failure"),
	PX_PROP_STAT_U64_SPEC("duplicates", PX_PROP_UINT64, struct natssink,
			      duplicates,
			      "resends the server had already stored"),
};

static const struct px_pad_template natssink_pads[] = {
	{ "sink", PX_PAD_SINK, PX_PAD_ALWAYS, "ANY" },
};

/* What a publish or an acknowledgement can fail with and be retried. */
static bool retryable(natsStatus st)
{
	return st == NATS_TIMEOUT || st == NATS_NO_RESPONDERS ||
	       st == NATS_CONNECTION_DISCONNECTED ||
	       st == NATS_INSUFFICIENT_BUFFER || st == NATS_NOT_YET_CONNECTED ||
	       st == NATS_IO_ERROR;
}

/* The n of "<stream-id>-<n>". */
static uint64_t msg_number(natsMsg *m)
{
	const char *id = NULL, *dash;

	if (natsMsgHeader_Get(m, "Nats-Msg-Id", &id) != NATS_OK || !id)
		return 0;
	dash = strrchr(id, '-');
	return dash ? strtoull(dash + 1, NULL, 10) : 0;
}

/* Room for N more on the resend list. b.mu held. */
static bool retry_reserve(struct natssink *s, unsigned n)
{
	unsigned cap = s->retry_cap ? s->retry_cap : 64;
	natsMsg **r;

	while (cap < s->nretry + n)
		cap *= 2;
	if (cap == s->retry_cap)
		return true;
	r = realloc(s->retry, cap * sizeof(*r));
	if (!r)
		return false;
	s->retry = r;
	s->retry_cap = cap;
	return true;
}

/* Keep M for the worker to publish again. Takes b.mu. */
static void keep_for_resend(struct natssink *s, natsMsg *m)
{
	pthread_mutex_lock(&s->b.mu);
	if (!retry_reserve(s, 1)) {
		pthread_mutex_unlock(&s->b.mu);
		natsMsg_Destroy(m);
		(void)pxn_fail(&s->b, -ENOMEM,
			       "no memory to keep a message for resend");
		return;
	}
	s->retry[s->nretry++] = m;
	atomic_store(&s->paused, true);
	pthread_cond_broadcast(&s->b.cv);
	pthread_mutex_unlock(&s->b.mu);
}

/* One message fewer in flight: wake the reactor if it waits for that,
 * once the flight is down to wake_at (half the limit: one wake per many
 * acknowledgements, not one per message; 0 when EOS waits for all). */
static void retire(struct natssink *s)
{
	int64_t left = atomic_fetch_sub(&s->inflight, 1) - 1;

	if (left <= atomic_load(&s->wake_at) &&
	    atomic_exchange(&s->waiting, false))
		pxn_wake(&s->b);
}

/* libnats's thread: the server's answer to one publish. */
static void on_ack(jsCtx *js, natsMsg *msg, jsPubAck *pa, jsPubAckErr *pae,
		   void *arg)
{
	struct natssink *s = arg;

	(void)js;
	if (pa) {
		px_stat_add(&s->acked, 1);
		if (pa->Duplicate)
			px_stat_add(&s->duplicates, 1);
		natsMsg_Destroy(msg);
		retire(s);
		return;
	}
	if (pae && retryable(pae->Err) && !pxn_quitting(&s->b)) {
		keep_for_resend(s, msg);
		return;
	}
	(void)pxn_fail(&s->b, -EIO,
		       "the server refused message %" PRIu64 " on %s: %s%s%s",
		       msg_number(msg), s->subject,
		       pae && pae->ErrText ? pae->ErrText : "",
		       pae && pae->ErrText ? ": " : "",
		       pae ? natsStatus_GetText(pae->Err) : "no answer");
	natsMsg_Destroy(msg);
	retire(s);
}

/* Publish M (transfer full), counted in flight until acknowledged. */
static int publish(struct natssink *s, natsMsg *m)
{
	char why[200];
	natsStatus st;

	atomic_fetch_add(&s->inflight, 1);
	st = js_PublishMsgAsync(s->b.js, &m, &s->po);
	if (st == NATS_OK) {
		px_stat_add(&s->published, 1);
		return 0;
	}
	if (retryable(st)) {
		px_stat_add(&s->published, 1);
		keep_for_resend(s, m); /* the worker publishes it again */
		return 0;
	}
	natsMsg_Destroy(m);
	atomic_fetch_sub(&s->inflight, 1);
	return pxn_fail(&s->b, -EIO, "cannot publish on %s: %s", s->subject,
			pxn_status_text(st, why, sizeof(why)));
}

static int header_num(natsMsg *m, const char *key, long long v, bool neg)
{
	char num[24];

	snprintf(num, sizeof(num), neg ? "%lld" : "%llu", v);
	return natsMsgHeader_Set(m, key, num) == NATS_OK ? 0 : -ENOMEM;
}

/* A message of LEN bytes from DATA, with the next id and B's metadata
 * (B NULL: the EOS marker). */
static int make_msg(struct natssink *s, const struct px_buf *b,
		    const void *data, uint32_t len, natsMsg **out)
{
	char id[80];
	natsMsg *m = NULL;
	int rc = 0;

	if (natsMsg_Create(&m, s->subject, NULL, data, (int)len) != NATS_OK)
		return -ENOMEM;
	snprintf(id, sizeof(id), "%s-%" PRIu64, s->sid, ++s->n);
	if (natsMsgHeader_Set(m, "Nats-Msg-Id", id) != NATS_OK)
		rc = -ENOMEM;
	if (!rc && b) {
		rc = header_num(m, PXN_H_SEQ, (long long)b->seq, false);
		if (!rc && b->pts != PX_TIME_NONE)
			rc = header_num(m, PXN_H_PTS, b->pts, true);
		if (!rc && b->duration != PX_TIME_NONE)
			rc = header_num(m, PXN_H_DURATION, b->duration, true);
		if (!rc && (b->flags & ~PX_BUF_FLAG_VALIDATED))
			rc = header_num(m, PXN_H_FLAGS,
					b->flags & ~PX_BUF_FLAG_VALIDATED, false);
		if (!rc && s->caps &&
		    natsMsgHeader_Set(m, PXN_H_CAPS, s->caps) != NATS_OK)
			rc = -ENOMEM;
	} else if (!rc && natsMsgHeader_Set(m, PXN_H_EOS, "1") != NATS_OK) {
		rc = -ENOMEM;
	}
	if (rc) {
		natsMsg_Destroy(m);
		return rc;
	}
	*out = m;
	return 0;
}

static void set_caps(struct natssink *s, const struct px_caps *caps)
{
	char text[1024];

	free(s->caps);
	s->caps = NULL;
	if (!caps || px_caps_is_any(caps))
		return;
	if (px_caps_to_string(caps, text, sizeof(text)) < sizeof(text))
		s->caps = strdup(text);
}

/* ---- the worker ------------------------------------------------------------ */

static int cmp_number(const void *a, const void *b)
{
	uint64_t x = msg_number(*(natsMsg *const *)a);
	uint64_t y = msg_number(*(natsMsg *const *)b);

	return x < y ? -1 : x > y;
}

/* Find the stream, or create it (file storage, the sink's subject). */
static int ensure_stream(struct natssink *s)
{
	struct pxn_bridge *b = &s->b;
	jsStreamInfo *si = NULL;
	jsStreamConfig cfg;
	jsErrCode jerr = 0;
	char why[200];
	natsStatus st;
	const char *subjects[1] = { s->subject };

	st = js_GetStreamInfo(&si, b->js, b->stream, NULL, &jerr);
	if (st == NATS_OK) {
		jsStreamInfo_Destroy(si);
		return 0;
	}
	if (st != NATS_NOT_FOUND || !s->create_stream)
		return pxn_fail(b, st == NATS_NOT_FOUND ? -ENOENT : -EIO,
				"stream %s on %s: %s%s", b->stream, b->url,
				pxn_status_text(st, why, sizeof(why)),
				st == NATS_NOT_FOUND ? " (create-stream=false)"
						     : "");
	jsStreamConfig_Init(&cfg);
	cfg.Name = b->stream;
	cfg.Subjects = subjects;
	cfg.SubjectsLen = 1;
	cfg.Storage = js_FileStorage;
	cfg.Duplicates = s->dedup_window;
	st = js_AddStream(&si, b->js, &cfg, NULL, &jerr);
	if (st != NATS_OK)
		return pxn_fail(b, -EIO,
				"cannot create stream %s for subject %s on %s: "
				"%s (JetStream error %d)",
				b->stream, s->subject, b->url,
				pxn_status_text(st, why, sizeof(why)), (int)jerr);
	px_element_info(b->e, "%s: created stream %s (subject %s, file "
			"storage, duplicate window %.0f s)",
			b->name, b->stream, s->subject,
			(double)s->dedup_window / 1e9);
	jsStreamInfo_Destroy(si);
	return 0;
}

/* After a reconnect (TAKE_PENDING) or a failed publish: every message not
 * acknowledged, in the order they were made, published again. Returns
 * true when nothing is left to resend. Worker thread, mu not held. */
static bool resend(struct natssink *s, bool take_pending)
{
	natsMsgList pending = { 0 };
	natsMsg **all;
	unsigned n = 0, sent = 0;
	bool clean = true;

	if (take_pending && js_PublishAsyncGetPendingList(&pending, s->b.js) !=
				    NATS_OK)
		pending.Count = 0;
	pthread_mutex_lock(&s->b.mu);
	all = malloc(((size_t)s->nretry + (size_t)pending.Count + 1) *
		     sizeof(*all));
	if (!all) {
		pthread_mutex_unlock(&s->b.mu);
		natsMsgList_Destroy(&pending);
		(void)pxn_fail(&s->b, -ENOMEM, "no memory for the resend");
		return false;
	}
	for (unsigned i = 0; i < s->nretry; i++)
		all[n++] = s->retry[i];
	s->nretry = 0;
	pthread_mutex_unlock(&s->b.mu);
	for (int i = 0; i < pending.Count; i++) {
		all[n++] = pending.Msgs[i];
		pending.Msgs[i] = NULL;
	}
	natsMsgList_Destroy(&pending);
	qsort(all, n, sizeof(*all), cmp_number);
	for (; sent < n; sent++) {
		if (js_PublishMsgAsync(s->b.js, &all[sent], &s->po) != NATS_OK)
			break;
		px_stat_add(&s->resent, 1);
	}
	if (sent < n) {
		/* Still down: back on the list, in order, for the next try. */
		clean = false;
		pthread_mutex_lock(&s->b.mu);
		if (retry_reserve(s, n - sent)) {
			/* first: they are older than what came in meanwhile */
			memmove(s->retry + (n - sent), s->retry,
				s->nretry * sizeof(*s->retry));
			memcpy(s->retry, all + sent,
			       (n - sent) * sizeof(*s->retry));
			s->nretry += n - sent;
		} else {
			for (unsigned i = sent; i < n; i++)
				natsMsg_Destroy(all[i]);
			(void)pxn_fail(&s->b, -ENOMEM,
				       "no memory to keep messages for resend");
		}
		pthread_mutex_unlock(&s->b.mu);
	}
	free(all);
	return clean;
}

static int natssink_run(struct pxn_bridge *b)
{
	struct natssink *s = px_container_of(b, struct natssink, b);
	int rc = ensure_stream(s);

	if (rc < 0)
		return rc;
	atomic_store(&b->ready, true);
	pxn_wake(b);
	pthread_mutex_lock(&b->mu);
	while (!pxn_quitting(b) && !atomic_load(&b->failed)) {
		bool again = false;

		if (atomic_load(&b->reconnected) && atomic_load(&b->connected)) {
			atomic_store(&s->paused, true); /* before the flag goes */
			again = atomic_exchange(&b->reconnected, false);
		}

		if ((again || s->nretry) && atomic_load(&b->connected)) {
			pthread_mutex_unlock(&b->mu);
			bool clean = resend(s, again);
			pthread_mutex_lock(&b->mu);
			if (clean && !s->nretry) {
				atomic_store(&s->paused, false);
				atomic_store(&s->waiting, false);
				pxn_wake(b);
			}
			continue;
		}
		if (pxn_check_outage(b) < 0)
			break;
		pxn_wait_locked(b, 100);
	}
	/* Stopped (not at EOS): what was not acknowledged is dropped; the
	 * next run publishes under a new stream id. */
	for (unsigned i = 0; i < s->nretry; i++)
		natsMsg_Destroy(s->retry[i]);
	s->nretry = 0;
	pthread_mutex_unlock(&b->mu);
	return 0;
}

/* ---- the element ------------------------------------------------------------ */

static int natssink_start(struct px_element *e)
{
	struct natssink *s = px_element_priv(e);
	uint64_t r = 0;

	s->sink = px_element_pad(e, "sink");
	s->n = 0;
	s->eos = s->eos_sent = s->finished = false;
	atomic_store(&s->inflight, 0);
	atomic_store(&s->waiting, false);
	atomic_store(&s->wake_at, 0);
	atomic_store(&s->paused, false);
	px_stat_set(&s->published, 0);
	px_stat_set(&s->acked, 0);
	px_stat_set(&s->resent, 0);
	px_stat_set(&s->duplicates, 0);
	set_caps(s, px_pad_link_caps(s->sink));
	if (s->stream_id && *s->stream_id) {
		snprintf(s->sid, sizeof(s->sid), "%s", s->stream_id);
	} else {
		if (getrandom(&r, sizeof(r), 0) != sizeof(r))
			r = (uint64_t)pxn_now() ^ (uint64_t)(uintptr_t)s;
		snprintf(s->sid, sizeof(s->sid), "%016" PRIx64, r);
	}
	jsPubOptions_Init(&s->po);
	s->po.MaxWait = s->ack_timeout / 1000000;
	/* MaxPending above max-inflight: a publish never stalls the reactor. */
	jsOptions_Init(&s->b.jso);
	s->b.jso.PublishAsync.MaxPending = s->max_inflight + 64;
	s->b.jso.PublishAsync.AckHandler = on_ack;
	s->b.jso.PublishAsync.AckHandlerClosure = s;
	s->b.have_jso = true;
	return pxn_start(&s->b, e, natssink_run);
}

/* True when the reactor may publish one more. Sets waiting when not, and
 * looks again (an ack may have come in between). */
static bool may_publish(struct natssink *s)
{
	for (int look = 0; look < 2; look++) {
		/* Disconnected, or reconnected and not resent yet: wait, so
		 * that nothing new overtakes what the worker resends. */
		if (!atomic_load(&s->paused) &&
		    !atomic_load(&s->b.down_since) &&
		    !atomic_load(&s->b.reconnected) &&
		    atomic_load(&s->inflight) < s->max_inflight)
			return true;
		if (!look) {
			atomic_store(&s->wake_at, s->max_inflight / 2);
			atomic_store(&s->waiting, true);
		}
	}
	return false;
}

/* Wait for every publish to be acknowledged (EOS). True when none is
 * left: the caller goes on; else the last acknowledgement wakes it. */
static bool all_acked(struct natssink *s)
{
	if (!atomic_load(&s->inflight) && !atomic_load(&s->paused))
		return true;
	atomic_store(&s->wake_at, 0);
	atomic_store(&s->waiting, true);
	return !atomic_load(&s->inflight) && !atomic_load(&s->paused);
}

static void natssink_work(struct px_element *e)
{
	struct natssink *s = px_element_priv(e);
	struct px_item it;
	natsMsg *m;
	int rc;

	if (!pxn_arm(&s->b) || atomic_load(&s->b.failed) || s->finished ||
	    !atomic_load(&s->b.ready))
		return;
	int budget;

	for (budget = PX_ELEMENT_BATCH; budget > 0 && !s->eos; budget--) {
		if (!may_publish(s))
			return; /* the ack or the resend wakes us */
		if (px_pad_pull(s->sink, &it, 1) != 1)
			break;
		if (px_item_is_eos(&it)) {
			s->eos = true;
			break;
		}
		if (it.type != PX_ITEM_BUFFER) {
			if (px_event_caps(e, &it))
				set_caps(s, px_event_caps(e, &it));
			px_item_release(&it);
			continue;
		}
		rc = make_msg(s, &it.buf, px_buf_data(&it.buf), it.buf.length,
			      &m);
		px_item_release(&it); /* the message holds a copy */
		if (rc < 0 || publish(s, m) < 0) {
			if (rc < 0)
				(void)pxn_fail(&s->b, rc, "no memory for a "
					       "message");
			return;
		}
	}
	if (!s->eos) {
		if (!budget)
			px_element_schedule(e); /* more may be waiting */
		return; /* else called again when items arrive */
	}
	if (!s->eos_sent) {
		/* EOS goes last: after every buffer is stored. */
		if (!all_acked(s))
			return;
		if (make_msg(s, NULL, NULL, 0, &m) < 0) {
			(void)pxn_fail(&s->b, -ENOMEM, "no memory for EOS");
			return;
		}
		if (publish(s, m) < 0)
			return;
		s->eos_sent = true;
	}
	if (!all_acked(s))
		return;
	atomic_store(&s->waiting, false);
	s->finished = true;
	px_element_post(e, "natssink published=%" PRIu64 " acked=%" PRIu64
			" resent=%" PRIu64 " duplicates=%" PRIu64,
			(uint64_t)px_stat_get(&s->published),
			(uint64_t)px_stat_get(&s->acked),
			(uint64_t)px_stat_get(&s->resent),
			(uint64_t)px_stat_get(&s->duplicates));
	px_element_eos_reached(e);
}

static int natssink_stop(struct px_element *e)
{
	struct natssink *s = px_element_priv(e);

	pxn_stop(&s->b);
	return PX_STOP_WHEN_IDLE;
}

static void natssink_fini(struct px_element *e)
{
	struct natssink *s = px_element_priv(e);

	pxn_fini(&s->b);
	free(s->retry);
	free(s->caps);
}

const struct px_element_class pxn_natssink_class = {
	.name = "natssink",
	.description = "Publishes buffers to a NATS JetStream stream, at least once and in order",
	.priv_size = sizeof(struct natssink),
	.pads = natssink_pads,
	.n_pads = PX_ARRAY_SIZE(natssink_pads),
	.props = natssink_props,
	.n_props = PX_ARRAY_SIZE(natssink_props),
	.start = natssink_start,
	.work = natssink_work,
	.stop = natssink_stop,
	.fini = natssink_fini,
};
