// SPDX-License-Identifier: MIT
/*
 * natssrc.c - a durable JetStream pull consumer whose messages become
 * buffers in the element's pool slots, acknowledged to the server when the
 * last reference to their buffer is dropped downstream (ack=on-release):
 * a crash anywhere in the pipeline leaves every unfinished message
 * unacknowledged, and the server delivers it again.
 *
 * The worker thread fetches (its pull requests block) no more
 * messages than the pool has slots for; the reactor copies each into a
 * slot, restores the buffer's metadata from the Px-* headers, and pushes
 * it. It keeps the message of every slot it pushed; on each work() it looks
 * for those slots whose last reference was dropped (a released slot of a
 * pool only natssrc loans from is free until natssrc loans it again),
 * acknowledges their messages and gives their credit back to the worker.
 * px_element_pool_watch() schedules it when a slot comes back.
 *
 * The message with the header Px-Eos (natssink's last) becomes EOS, pushed
 * once every buffer before it was released; it is acknowledged then.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "nats_bridge.h"

enum { ACK_ON_RELEASE = 0, ACK_ON_RECEIVE = 1 };

/* A pull request waits this long on the server (the worker twice as
 * long for its answer): also about how long a stop waits for the worker. */
#define PXN_FETCH_WAIT_MS 100

struct natssrc {
	struct pxn_bridge b;
	/* properties */
	char *subject;
	char *durable;
	int ack_mode;
	uint64_t max_size;
	int64_t pool_slots;
	int64_t batch;
	int64_t ack_wait; /* ns */
	px_stat_u64 received;
	px_stat_u64 acked;
	px_stat_u64 redelivered;
	px_stat_u64 duplicates;
	px_stat_u64 out_of_order;

	/* run state */
	struct px_pad *src;
	struct px_pool *pool;
	natsSubscription *sub;	/* worker's */
	natsInbox *inbox;	/* worker's: where the pull requests answer */
	char next_subject[300];	/* worker's: the consumer's MSG.NEXT */
	/* fetched messages for the reactor, a ring under b.mu */
	natsMsg **q;
	unsigned qcap, qhead, qlen;
	_Atomic int64_t credit;	/* messages the worker may fetch */
	/* reactor */
	natsMsg **pend;		/* per slot: acknowledged when it is free */
	natsMsg **acks;		/* for the worker to acknowledge, under b.mu */
	unsigned nacks, acks_cap;
	natsMsg **sending;	/* worker's: the other array, swapped with it */
	unsigned sending_cap;
	bool *busy;		/* per slot: pushed, not yet seen free */
	uint32_t nbusy;
	natsMsg *next;		/* popped, not in a slot yet */
	uint64_t next_sseq;	/* its stream sequence */
	struct px_buf held;	/* in a slot, its push was refused (BUSY) */
	bool holding;
	natsMsg *eos_msg;	/* the Px-Eos message, acked after the rest */
	bool eos_pushed, done;
	char *caps;		/* the last Px-Caps pushed */
	/* The stream sequences of the last PXN_SEEN buffers pushed: a
	 * redelivery of one of them (an acknowledgement lost with a server)
	 * is acknowledged and dropped, not pushed twice. */
	uint64_t *seen;		/* ring: the order to forget them in */
	uint64_t *table;	/* the set (0: empty) */
	uint32_t nseen;
	uint64_t last_seq;	/* Px-Seq of the last buffer pushed */
	bool any_pushed;
};

#define PXN_SEEN 65536u

static const struct px_prop_enum ack_enums[] = {
	{ "on-release", ACK_ON_RELEASE, "when the last reference to the buffer is dropped downstream: a crash redelivers what was not finished" },
	{ "on-receive", ACK_ON_RECEIVE, "as soon as the message is in a slot: cheaper; a crash loses what was in the pipeline" },
	{ NULL, 0, NULL },
};

static const struct px_prop_spec natssrc_props[] = {
	PXN_CONN_PROP_SPECS(struct natssrc),
	PX_PROP_STRING_SPEC("subject", struct natssrc, subject, NULL,
			    "a consumer natssrc creates: only messages of "
			    "this subject (default: all of the stream's)"),
	PX_PROP_STRING_SPEC("durable", struct natssrc, durable, "px",
			    "durable consumer: created if missing, resumed "
			    "otherwise"),
	PX_PROP_ENUM_SPEC("ack", struct natssrc, ack_mode, ACK_ON_RELEASE,
			  ack_enums, "when a message is acknowledged"),
	PX_PROP_SIZE_SPEC("max-size", struct natssrc, max_size, 64u << 10, 64,
			  256u << 20,
			  "largest message (the slot size); larger is an ERROR"),
	PX_PROP_INT_SPEC("pool-slots", struct natssrc, pool_slots, 256, 2,
			 65536,
			 "buffers in the pool: also the unacknowledged "
			 "messages at most"),
	PX_PROP_INT_SPEC("batch", struct natssrc, batch, 64, 1, 4096,
			 "messages per fetch request at most"),
	PX_PROP_DURATION_SPEC("ack-wait", struct natssrc, ack_wait,
			      30 * PXN_SEC, PXN_SEC / 10, 86400 * PXN_SEC,
			      "a consumer natssrc creates: redeliver what "
			      "was not acknowledged within this time"),
	PX_PROP_STAT_U64_SPEC("received", PX_PROP_UINT64, struct natssrc,
			      received, "messages pushed as buffers"),
	PX_PROP_STAT_U64_SPEC("acked", PX_PROP_UINT64, struct natssrc, acked,
			      "messages acknowledged to the server"),
	PX_PROP_STAT_U64_SPEC("redelivered", PX_PROP_UINT64, struct natssrc,
			      redelivered,
			      "messages the server delivered more than once"),
	PX_PROP_STAT_U64_SPEC("duplicates", PX_PROP_UINT64, struct natssrc,
			      duplicates,
			      "redeliveries of buffers already pushed in this "
			      "run, dropped"),
	PX_PROP_STAT_U64_SPEC("out-of-order", PX_PROP_UINT64, struct natssrc,
			      out_of_order,
			      "buffers whose Px-Seq was not above the last "
			      "one's (a redelivery after a loss, or a "
			      "restarted publisher)"),
};

static const struct px_pad_template natssrc_pads[] = {
	{ "src", PX_PAD_SRC, PX_PAD_ALWAYS, "ANY" },
};

/* ---- the worker ------------------------------------------------------------ */

/* The server delivers no more than the consumer's MaxAckPending
 * unacknowledged messages (a consumer made by another run may have a
 * smaller one than our pool): fetch no more than that either, or every
 * fetch beyond it is refused. */
static void limit_credit(struct natssrc *s, const jsConsumerInfo *ci)
{
	int64_t max = ci && ci->Config ? ci->Config->MaxAckPending : 0;

	/* Half: the server applies acknowledgements a little after they
	 * are sent, and a fetch that comes first is refused (409). */
	if (max <= 0 || max / 2 >= s->pool_slots)
		return;
	max = PX_MAX(max / 2, 1);
	atomic_fetch_sub(&s->credit, s->pool_slots - max);
	px_element_info(s->b.e,
			"%s: consumer %s takes %lld unacknowledged messages "
			"at most: natssrc keeps no more in its pipeline",
			s->b.name, s->durable, (long long)max);
}

/* The durable consumer, created when missing as a pull consumer with
 * explicit acks (on every subject of the stream unless subject= says). */
static int ensure_consumer(struct natssrc *s)
{
	struct pxn_bridge *b = &s->b;
	jsStreamInfo *si = NULL;
	jsConsumerInfo *ci = NULL;
	jsConsumerConfig cc;
	jsErrCode jerr = 0;
	char why[200];
	natsStatus st;

	st = js_GetStreamInfo(&si, b->js, b->stream, NULL, &jerr);
	if (st != NATS_OK)
		return pxn_fail(b, st == NATS_NOT_FOUND ? -ENOENT : -EIO,
				"stream %s on %s: %s", b->stream, b->url,
				pxn_status_text(st, why, sizeof(why)));
	jsStreamInfo_Destroy(si); /* it exists: a clear error if not */
	st = js_GetConsumerInfo(&ci, b->js, b->stream, s->durable, NULL, &jerr);
	if (st == NATS_OK) {
		limit_credit(s, ci);
		jsConsumerInfo_Destroy(ci);
		return 0;
	}
	if (st != NATS_NOT_FOUND)
		return pxn_fail(b, -EIO, "consumer %s of stream %s: %s",
				s->durable, b->stream,
				pxn_status_text(st, why, sizeof(why)));
	jsConsumerConfig_Init(&cc);
	cc.Durable = s->durable;
	cc.AckPolicy = js_AckExplicit;
	cc.AckWait = s->ack_wait;
	cc.DeliverPolicy = js_DeliverAll;
	cc.MaxAckPending = 2 * s->pool_slots; /* see limit_credit() */
	if (s->subject && *s->subject)
		cc.FilterSubject = s->subject;
	st = js_AddConsumer(&ci, b->js, b->stream, &cc, NULL, &jerr);
	if (st != NATS_OK)
		return pxn_fail(b, -EIO,
				"cannot create consumer %s on stream %s: %s "
				"(JetStream error %d)",
				s->durable, b->stream,
				pxn_status_text(st, why, sizeof(why)), (int)jerr);
	jsConsumerInfo_Destroy(ci);
	px_element_info(b->e, "%s: created durable consumer %s on stream %s",
			b->name, s->durable, b->stream);
	return 0;
}

/* Our own pull requests, answered on an inbox of ours: libnats 3.4.1's
 * Fetch (Debian 12's) writes past the end of its array when messages of
 * an earlier, expired request wait in the subscription (nats.c #749,
 * fixed in 3.10; it crashed round trips here), so natssrc does not use
 * it. A request is a publish to the consumer's MSG.NEXT subject; the
 * messages, and status messages that end the request, come to the inbox
 * one at a time, and late ones are simply taken by the next request. */
static int subscribe(struct natssrc *s)
{
	struct pxn_bridge *b = &s->b;
	char why[200];
	natsStatus st;

	st = natsInbox_Create(&s->inbox);
	if (st == NATS_OK)
		st = natsConnection_SubscribeSync(&s->sub, b->nc, s->inbox);
	/* never drop: credit and the consumer's MaxAckPending bound it */
	if (st == NATS_OK)
		st = natsSubscription_SetPendingLimits(s->sub, -1, -1);
	if (st != NATS_OK)
		return pxn_fail(b, -EIO, "cannot subscribe to an inbox: %s",
				pxn_status_text(st, why, sizeof(why)));
	snprintf(s->next_subject, sizeof(s->next_subject),
		 "$JS.API.CONSUMER.MSG.NEXT.%s.%s", b->stream, s->durable);
	return 0;
}

/* Room for N queued messages (credit keeps it to pool-slots, unless a
 * fetch returns more than it asked for). b.mu held. */
static bool grow_queue(struct natssrc *s, unsigned n)
{
	unsigned cap = s->qcap * 2;
	natsMsg **q;

	while (cap < n)
		cap *= 2;
	q = malloc(cap * sizeof(*q));
	if (!q)
		return false;
	for (unsigned i = 0; i < s->qlen; i++)
		q[i] = s->q[(s->qhead + i) % s->qcap];
	free(s->q);
	s->q = q;
	s->qcap = cap;
	s->qhead = 0;
	return true;
}

/* Hand MSGS[0..N) to the reactor. Worker thread. */
static void deliver(struct natssrc *s, natsMsg **msgs, int n)
{
	pthread_mutex_lock(&s->b.mu);
	if (s->qlen + (unsigned)n > s->qcap &&
	    !grow_queue(s, s->qlen + (unsigned)n)) {
		pthread_mutex_unlock(&s->b.mu);
		for (int i = 0; i < n; i++) /* not acknowledged: sent again */
			natsMsg_Destroy(msgs[i]);
		(void)pxn_fail(&s->b, -ENOMEM, "no memory for fetched messages");
		return;
	}
	for (int i = 0; i < n; i++)
		s->q[(s->qhead + s->qlen++) % s->qcap] = msgs[i];
	atomic_fetch_sub(&s->credit, n);
	pthread_mutex_unlock(&s->b.mu);
	pxn_wake(&s->b);
}

/* A status message (no payload, a Status header): its code, else 0. */
static int status_of(natsMsg *m)
{
	const char *v = NULL;

	if (natsMsg_GetDataLength(m) > 0 ||
	    natsMsgHeader_Get(m, "Status", &v) != NATS_OK || !v)
		return 0;
	return atoi(v);
}

/* Worker: ask for up to WANT messages (waiting up to PXN_FETCH_WAIT_MS on
 * the server) and take them into MSGS. Returns how many, 0 when none came
 * (the request expired), or -EAGAIN when the server refused the request
 * (409: too many unacknowledged), -ENOTCONN. */
static int fetch(struct natssrc *s, natsMsg **msgs, int want)
{
	int64_t deadline = pxn_now() + 2 * PXN_FETCH_WAIT_MS * 1000000LL;
	char body[96];
	int got = 0, code, len;
	natsMsg *m;
	natsStatus st;

	len = snprintf(body, sizeof(body), "{\"batch\":%d,\"expires\":%lld}",
		       want, PXN_FETCH_WAIT_MS * 1000000LL);
	st = natsConnection_PublishRequest(s->b.nc, s->next_subject, s->inbox,
					   body, len);
	if (st != NATS_OK)
		return -ENOTCONN;
	while (got < want) {
		int64_t left = (deadline - pxn_now()) / 1000000;

		if (left <= 0)
			break;
		st = natsSubscription_NextMsg(&m, s->sub, left);
		if (st == NATS_TIMEOUT)
			break;
		if (st != NATS_OK)
			return got ? got : -ENOTCONN;
		code = status_of(m);
		if (!code) {
			msgs[got++] = m;
			continue;
		}
		natsMsg_Destroy(m);
		if (code == 100)
			continue; /* a heartbeat */
		if (code == 409)
			return got ? got : -EAGAIN;
		break; /* 404, 408: the request is over */
	}
	return got;
}

/* Worker: acknowledge what the reactor handed over. The two arrays are
 * swapped, so neither side allocates once they have grown. */
static void send_acks(struct natssrc *s)
{
	natsMsg **a;
	unsigned n, cap;

	pthread_mutex_lock(&s->b.mu);
	a = s->acks;
	n = s->nacks;
	cap = s->acks_cap;
	s->acks = s->sending;
	s->acks_cap = s->sending_cap;
	s->nacks = 0;
	pthread_mutex_unlock(&s->b.mu);
	for (unsigned i = 0; i < n; i++) {
		const char *reply = natsMsg_GetReply(a[i]);

		/* natsMsg_Ack needs a JetStream subscription: publish the
		 * acknowledgement to the message's reply subject ourselves. */
		if (reply && natsConnection_PublishString(s->b.nc, reply,
							  "+ACK") == NATS_OK)
			px_stat_add(&s->acked, 1);
		/* else: not acknowledged, so delivered again: at least once */
		natsMsg_Destroy(a[i]);
	}
	s->sending = a;
	s->sending_cap = cap;
}

static int natssrc_run(struct pxn_bridge *b)
{
	struct natssrc *s = px_container_of(b, struct natssrc, b);
	int64_t trouble = 0; /* when fetches began failing while connected */
	int backoff = 0;     /* ms, after a failed fetch */
	natsMsg **msgs = calloc((size_t)s->batch, sizeof(*msgs));
	char why[200];
	natsStatus st;
	int64_t want;
	int n, rc;

	rc = msgs ? ensure_consumer(s) : pxn_fail(b, -ENOMEM, "no memory");
	if (!rc)
		rc = subscribe(s);
	if (rc < 0) {
		free(msgs);
		return rc;
	}
	atomic_store(&b->ready, true);
	pxn_wake(b);
	while (!pxn_quitting(b) && !atomic_load(&b->failed)) {
		send_acks(s);
		pthread_mutex_lock(&b->mu);
		while ((want = atomic_load(&s->credit)) <= 0 && !s->nacks &&
		       !pxn_quitting(b))
			pxn_wait_locked(b, 100);
		pthread_mutex_unlock(&b->mu);
		if (pxn_quitting(b))
			break;
		if (want <= 0)
			continue; /* acknowledgements to send first */
		n = fetch(s, msgs, (int)PX_MIN(want, s->batch));
		if (n > 0) {
			trouble = 0;
			backoff = 0;
			deliver(s, msgs, n);
			continue;
		}
		if (n == 0) { /* nothing new */
			trouble = 0;
			backoff = 0;
			if (pxn_check_outage(b) < 0)
				break;
			continue;
		}
		st = n == -EAGAIN ? NATS_ERR : NATS_CONNECTION_DISCONNECTED;
		/* Disconnected (the outage check reports it), or the server
		 * answers with an error while connected (its JetStream is
		 * not back yet after a restart): give it disconnect-timeout. */
		if (atomic_load(&b->connected)) {
			if (!trouble)
				trouble = pxn_now();
			else if (pxn_now() - trouble >= b->down_timeout) {
				(void)pxn_fail(b, -EIO,
					       "fetch from consumer %s failed "
					       "for %.1f s: %s",
					       s->durable,
					       (double)(pxn_now() - trouble) / 1e9,
					       pxn_status_text(st, why,
							       sizeof(why)));
				break;
			}
		} else if (pxn_check_outage(b) < 0) {
			break;
		}
		/* Back off from 1 ms to 100 ms while it lasts. */
		backoff = PX_MIN(backoff ? backoff * 2 : 1, 100);
		pthread_mutex_lock(&b->mu);
		if (!s->nacks) /* acknowledgements may be what it waits for */
			pxn_wait_locked(b, backoff);
		pthread_mutex_unlock(&b->mu);
	}
	send_acks(s); /* what stop() found finished */
	natsSubscription_Destroy(s->sub); /* the durable consumer stays */
	s->sub = NULL;
	natsInbox_Destroy(s->inbox);
	s->inbox = NULL;
	free(msgs);
	return 0;
}

/* ---- the reactor --------------------------------------------------------------- */

/* Hand M to the worker, which acknowledges it before its next pull
 * request: the acknowledgement is a publish, kept off the reactor like
 * every libnats call that may write to the socket. */
static void ack(struct natssrc *s, natsMsg *m)
{
	pthread_mutex_lock(&s->b.mu);
	if (s->nacks == s->acks_cap) {
		unsigned cap = s->acks_cap ? s->acks_cap * 2 : 256;
		natsMsg **a = realloc(s->acks, cap * sizeof(*a));

		if (!a) {
			pthread_mutex_unlock(&s->b.mu);
			natsMsg_Destroy(m); /* not acknowledged: sent again */
			return;
		}
		s->acks = a;
		s->acks_cap = cap;
	}
	/* No wake: the worker sends them before its next fetch, and the
	 * credit given back with them wakes it if it waits for credit. */
	s->acks[s->nacks++] = m;
	pthread_mutex_unlock(&s->b.mu);
}

/* Give back a fetched message's credit; wake the worker if it waited. */
static void give_credit(struct natssrc *s, int64_t n)
{
	if (atomic_fetch_add(&s->credit, n) <= 0) {
		pthread_mutex_lock(&s->b.mu);
		pthread_cond_broadcast(&s->b.cv);
		pthread_mutex_unlock(&s->b.mu);
	}
}

/* The slots downstream let go of: acknowledge their messages. */
static void reap(struct natssrc *s)
{
	int64_t freed = 0;

	if (!s->nbusy)
		return;
	(void)px_element_pool_watch(s->b.e, s->pool); /* before looking */
	for (uint32_t i = 0; i < (uint32_t)s->pool_slots && s->nbusy; i++) {
		if (!s->busy[i] || px_pool_slot_refcount(s->pool, i))
			continue;
		s->busy[i] = false;
		s->nbusy--;
		freed++;
		if (s->pend[i]) {
			ack(s, s->pend[i]);
			s->pend[i] = NULL;
		}
	}
	if (freed)
		give_credit(s, freed);
}

static natsMsg *pop(struct natssrc *s)
{
	natsMsg *m = NULL;

	pthread_mutex_lock(&s->b.mu);
	if (s->qlen) {
		m = s->q[s->qhead];
		s->qhead = (s->qhead + 1) % s->qcap;
		s->qlen--;
	}
	pthread_mutex_unlock(&s->b.mu);
	return m;
}

/* Caps from the message's Px-Caps, pushed when they changed. */
static void follow_caps(struct natssrc *s, natsMsg *m)
{
	const char *text = NULL;
	struct px_caps *caps = NULL;

	if (natsMsgHeader_Get(m, PXN_H_CAPS, &text) != NATS_OK || !text ||
	    (s->caps && !strcmp(s->caps, text)))
		return;
	if (px_caps_parse(text, &caps, NULL) < 0) {
		px_element_warning(s->b.e, "%s: ignoring unreadable Px-Caps "
				   "\"%s\"", s->b.name, text);
		return;
	}
	if (px_pad_push_caps(s->src, caps) == 0) {
		free(s->caps);
		s->caps = strdup(text);
	}
	px_caps_unref(caps);
}

/* Copy M into a slot as a buffer with its metadata. 0, -ENOBUFS (wait
 * for a slot), or -EMSGSIZE (ERROR posted). */
static int to_slot(struct natssrc *s, natsMsg *m, struct px_buf *out)
{
	int len = natsMsg_GetDataLength(m);
	uint64_t u;
	int64_t v;
	int rc;

	if ((uint64_t)len > s->max_size) {
		(void)pxn_fail(&s->b, -EMSGSIZE,
			       "a message of %d bytes on %s is larger than "
			       "max-size=%" PRIu64, len, s->b.stream,
			       s->max_size);
		return -EMSGSIZE;
	}
	rc = px_element_buf_alloc(s->b.e, s->pool, (uint32_t)len, out);
	if (rc < 0)
		return rc;
	if (s->busy[out->slot]) {
		/* Released and loaned again before reap() saw it free. */
		s->busy[out->slot] = false;
		s->nbusy--;
		if (s->pend[out->slot]) {
			ack(s, s->pend[out->slot]);
			s->pend[out->slot] = NULL;
		}
		give_credit(s, 1);
	}
	if (len)
		memcpy(px_buf_data(out), natsMsg_GetData(m), (size_t)len);
	out->seq = pxn_header_u64(m, PXN_H_SEQ, &u) ? u : 0;
	out->pts = pxn_header_i64(m, PXN_H_PTS, &v) ? v : PX_TIME_NONE;
	out->duration = pxn_header_i64(m, PXN_H_DURATION, &v) ? v : PX_TIME_NONE;
	if (pxn_header_u64(m, PXN_H_FLAGS, &u))
		out->flags = (uint16_t)(u & ~(uint64_t)PX_BUF_FLAG_VALIDATED);
	return 0;
}

/* The slot of a pushed buffer: its message waits for the slot to be free. */
static void track(struct natssrc *s, uint32_t slot, natsMsg *m)
{
	s->busy[slot] = true;
	s->nbusy++;
	if (s->ack_mode == ACK_ON_RELEASE) {
		s->pend[slot] = m;
	} else {
		ack(s, m);
	}
}

/* ---- the buffers pushed in this run: a set of stream sequences ------------
 * A server that restarts may have lost its record of what was delivered
 * and acknowledged, and deliver again with a delivery count of 1: so every
 * message is looked up, in an open-addressed table of the last PXN_SEEN
 * sequences (a ring says which one to forget next). */
#define PXN_SEEN_SLOTS (2 * PXN_SEEN)

static uint32_t seen_hash(uint64_t k)
{
	return (uint32_t)((k * 0x9E3779B97F4A7C15ull) >> 40) & (PXN_SEEN_SLOTS - 1);
}

static bool seen_has(const struct natssrc *s, uint64_t k)
{
	for (uint32_t i = seen_hash(k);; i = (i + 1) & (PXN_SEEN_SLOTS - 1)) {
		if (!s->table[i])
			return false;
		if (s->table[i] == k)
			return true;
	}
}

/* Remove K (present), shifting back the entries that probed past it. */
static void seen_del(struct natssrc *s, uint64_t k)
{
	uint32_t i = seen_hash(k), j, h;

	while (s->table[i] != k)
		i = (i + 1) & (PXN_SEEN_SLOTS - 1);
	for (j = i;;) {
		s->table[i] = 0;
		for (;;) {
			j = (j + 1) & (PXN_SEEN_SLOTS - 1);
			if (!s->table[j])
				return;
			h = seen_hash(s->table[j]);
			/* stays unless its home lies cyclically in (i, j] */
			if (i <= j ? (h <= i || h > j) : (h <= i && h > j))
				break;
		}
		s->table[i] = s->table[j];
		i = j;
	}
}

static void seen_add(struct natssrc *s, uint64_t k)
{
	uint32_t i;

	if (seen_has(s, k))
		return;
	if (s->nseen >= PXN_SEEN)
		seen_del(s, s->seen[s->nseen % PXN_SEEN]);
	s->seen[s->nseen++ % PXN_SEEN] = k;
	for (i = seen_hash(k); s->table[i]; i = (i + 1) & (PXN_SEEN_SLOTS - 1))
		;
	s->table[i] = k;
}

/* The delivery count and stream sequence in M's reply subject,
 * $JS.ACK.[<domain>.<account>.]<stream>.<consumer>.<delivered>.<sseq>...,
 * read in place: natsMsg_GetMetaData allocates four times per message.
 * False when the subject is not of that form. */
static bool ack_info(natsMsg *m, uint64_t *delivered, uint64_t *sseq)
{
	const char *r = natsMsg_GetReply(m), *tok[10];
	int nt = 0, at;

	if (!r || strncmp(r, "$JS.ACK.", 8))
		return false;
	tok[nt++] = r + 8;
	for (const char *p = r + 8; *p && nt < 10; p++)
		if (*p == '.')
			tok[nt++] = p + 1;
	if (nt != 7 && nt < 9)
		return false;
	at = nt == 7 ? 2 : 4; /* v1 has neither domain nor account */
	*delivered = strtoull(tok[at], NULL, 10);
	*sseq = strtoull(tok[at + 1], NULL, 10);
	return *sseq != 0;
}

/* Whether M is a buffer this run already pushed (a redelivery). Records
 * M's stream sequence in *SSEQ (0: unknown). */
static bool already_pushed(struct natssrc *s, natsMsg *m, uint64_t *sseq)
{
	uint64_t delivered = 0;

	if (!ack_info(m, &delivered, sseq)) {
		*sseq = 0;
		return false;
	}
	if (delivered > 1)
		px_stat_add(&s->redelivered, 1);
	return seen_has(s, *sseq);
}

static void note_pushed(struct natssrc *s, uint64_t sseq, uint64_t seq)
{
	if (sseq)
		seen_add(s, sseq);
	if (s->any_pushed && seq <= s->last_seq)
		px_stat_add(&s->out_of_order, 1);
	s->last_seq = seq;
	s->any_pushed = true;
}

/* The counters, as an element message (px-launch -v prints it). */
static void post_counts(struct natssrc *s)
{
	/* (not "acked": the worker sends the last acknowledgements after) */
	px_element_post(s->b.e,
			"natssrc received=%" PRIu64
			" redelivered=%" PRIu64 " duplicates=%" PRIu64
			" out-of-order=%" PRIu64,
			(uint64_t)px_stat_get(&s->received),
			(uint64_t)px_stat_get(&s->redelivered),
			(uint64_t)px_stat_get(&s->duplicates),
			(uint64_t)px_stat_get(&s->out_of_order));
}

static void natssrc_step(struct px_element *e)
{
	struct natssrc *s = px_element_priv(e);
	struct px_item it;
	enum px_flow f;
	const char *eos;
	int budget, rc;

	if (!pxn_arm(&s->b) || atomic_load(&s->b.failed) || s->done ||
	    !atomic_load(&s->b.ready))
		return;
	reap(s);
	for (budget = PX_ELEMENT_BATCH; budget > 0; budget--) {
		if (s->holding) {
			uint32_t slot = s->held.slot;

			px_item_from_buf(&it, &s->held);
			f = px_pad_push(s->src, &it);
			if (f == PX_FLOW_BUSY)
				return; /* called again when the link drains */
			s->holding = false;
			px_stat_add(&s->received, 1);
			note_pushed(s, s->next_sseq, s->held.seq);
			track(s, slot, s->next);
			s->next = NULL;
			if (f != PX_FLOW_OK) {
				s->done = true;
				return;
			}
		}
		if (s->eos_msg || px_element_eos_requested(e))
			break; /* nothing after EOS */
		if (!s->next && !(s->next = pop(s)))
			break; /* the worker wakes us with more */
		if (natsMsgHeader_Get(s->next, PXN_H_EOS, &eos) == NATS_OK) {
			s->eos_msg = s->next;
			s->next = NULL;
			break;
		}
		if (already_pushed(s, s->next, &s->next_sseq)) {
			px_stat_add(&s->duplicates, 1);
			ack(s, s->next);
			s->next = NULL;
			give_credit(s, 1);
			continue;
		}
		follow_caps(s, s->next);
		rc = to_slot(s, s->next, &s->held);
		if (rc < 0)
			return; /* -ENOBUFS: scheduled when a slot comes back */
		s->holding = true;
	}
	if (!budget) {
		px_element_schedule(e); /* more may be queued */
		return;
	}
	if (!s->eos_msg && px_element_eos_requested(e)) {
		/* The application's EOS: what was fetched and not pushed is
		 * not acknowledged, so the next run gets it. */
		if (px_element_push_eos(e) == PX_FLOW_BUSY)
			return;
		s->eos_pushed = s->done = true;
		post_counts(s);
		return;
	}
	if (s->eos_msg && !s->eos_pushed) {
		/* Every buffer before EOS released: EOS is finished too. */
		if (s->nbusy)
			return; /* the pool watch calls us again */
		if (px_element_push_eos(e) == PX_FLOW_BUSY)
			return;
		s->eos_pushed = true;
		ack(s, s->eos_msg);
		s->eos_msg = NULL;
		give_credit(s, 1);
		s->done = true;
		post_counts(s);
	}
}

static void natssrc_work(struct px_element *e)
{
	struct natssrc *s = px_element_priv(e);
	uint32_t busy;

	natssrc_step(e);
	/* Buffers pushed in this call: watch their pool (reap() arms the
	 * watch before it looks), and go again if some came back already
	 * (EOS may be due). */
	busy = s->nbusy;
	if (busy && !s->done && atomic_load(&s->b.ready)) {
		reap(s);
		if (s->nbusy < busy)
			px_element_schedule(e);
	}
}

static int natssrc_start(struct px_element *e)
{
	struct natssrc *s = px_element_priv(e);
	size_t n = (size_t)s->pool_slots;
	int rc;

	s->src = px_element_pad(e, "src");
	s->holding = s->eos_pushed = s->done = false;
	s->next = s->eos_msg = NULL;
	s->nbusy = 0;
	s->qhead = s->qlen = 0;
	s->qcap = (unsigned)n + 1;
	atomic_store(&s->credit, (int64_t)n);
	px_stat_set(&s->received, 0);
	px_stat_set(&s->acked, 0);
	px_stat_set(&s->redelivered, 0);
	px_stat_set(&s->duplicates, 0);
	px_stat_set(&s->out_of_order, 0);
	s->nseen = 0;
	s->any_pushed = false;
	free(s->caps);
	s->caps = NULL;
	free(s->q);
	free(s->pend);
	free(s->busy);
	free(s->seen);
	free(s->table);
	s->seen = calloc(PXN_SEEN, sizeof(*s->seen));
	s->table = calloc(PXN_SEEN_SLOTS, sizeof(*s->table));
	s->q = calloc(s->qcap, sizeof(*s->q));
	s->pend = calloc(n, sizeof(*s->pend));
	s->busy = calloc(n, sizeof(*s->busy));
	if (!s->q || !s->pend || !s->busy || !s->seen || !s->table) {
		px_element_error(e, -ENOMEM, "%s: no memory for %zu slots",
				 px_element_name(e), n);
		return -ENOMEM;
	}
	rc = px_element_pool_create(e, (uint32_t)s->max_size, (uint32_t)n,
				    &s->pool);
	if (rc < 0)
		return rc; /* px_element_pool_create posted the ERROR */
	s->b.have_jso = false;
	return pxn_start(&s->b, e, natssrc_run);
}

/* Stop: acknowledge what downstream finished; the rest is delivered again
 * (to the next run or another consumer of the durable). */
static int natssrc_stop(struct px_element *e)
{
	struct natssrc *s = px_element_priv(e);
	natsMsg *m;

	if (s->pool)
		reap(s);
	if (s->holding) {
		px_buf_unref(&s->held);
		s->holding = false;
	}
	natsMsg_Destroy(s->next);
	natsMsg_Destroy(s->eos_msg);
	s->next = s->eos_msg = NULL;
	for (int64_t i = 0; s->pend && i < s->pool_slots; i++) {
		natsMsg_Destroy(s->pend[i]);
		s->pend[i] = NULL;
	}
	while ((m = pop(s)))
		natsMsg_Destroy(m);
	pxn_stop(&s->b);
	return PX_STOP_WHEN_IDLE;
}

static void natssrc_fini(struct px_element *e)
{
	struct natssrc *s = px_element_priv(e);
	natsMsg *m;

	pxn_fini(&s->b);
	while (s->q && (m = pop(s))) /* fetched after stop() looked */
		natsMsg_Destroy(m);
	for (unsigned i = 0; i < s->nacks; i++) /* the worker never started */
		natsMsg_Destroy(s->acks[i]);
	free(s->acks);
	free(s->sending);
	free(s->q);
	free(s->pend);
	free(s->busy);
	free(s->seen);
	free(s->table);
	free(s->caps);
}

const struct px_element_class pxn_natssrc_class = {
	.name = "natssrc",
	.description = "Delivers a JetStream durable consumer's messages as buffers, acknowledged when released",
	.priv_size = sizeof(struct natssrc),
	.pads = natssrc_pads,
	.n_pads = PX_ARRAY_SIZE(natssrc_pads),
	.props = natssrc_props,
	.n_props = PX_ARRAY_SIZE(natssrc_props),
	.start = natssrc_start,
	.work = natssrc_work,
	.stop = natssrc_stop,
	.fini = natssrc_fini,
};
