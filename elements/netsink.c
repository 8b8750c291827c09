// SPDX-License-Identifier: MIT
/*
 * netsink.c - sends a pipeline's stream to another host in checked STRM
 * frames (net_frame.h, docs/net.md): a HELLO with the caps first, then one
 * DATA frame per buffer (its 48 header bytes and the slot gathered into one
 * sendmsg with up to NSINK_BATCH frames and PX__SEND_GATHER_BYTES, never
 * copied in user space) and an EVENT frame per event, in order. One send
 * in flight keeps the bytes in order and gives backpressure, as tcpsink
 * does.
 *
 * Resume. Frames sent stay in a queue, holding their slots (references, not
 * copies), until the receiver's ACK covers them. When the connection breaks
 * the link reconnects (net_link.h); the receiver's HELLO says the last seq
 * it delivered, and sending starts again from the frame after it. The
 * queue is bounded by retain-bytes and NSINK_QUEUE frames: when it is full
 * netsink stops pulling (backpressure), it never drops. A receiver that
 * sends no HELLO (a plain STRM reader) is found out when the queue fills:
 * from then on frames are released once written, and a broken connection
 * is an error.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "elements_int.h"
#include "net_frame.h"
#include "net_link.h"
#include "px_buf.h"
#include "px_caps.h"
#include "px_crc32c.h"
#include "px_element.h"
#include "px_error.h"
#include "px_reactor.h"

/* Frames gathered into one sendmsg. */
#define NSINK_BATCH 16
/* Frames kept for a resend at most (a power of two). */
#define NSINK_QUEUE 4096
/* A receiver silent this long after we greeted it sends no HELLO. */
#define NSINK_HELLO_WAIT_NS 1000000000ull
/* Bytes before the payload of a DATA frame. */
#define NSINK_DATA_HEAD (NET_HDR_SIZE + NET_DATA_HDR_SIZE)

/* One frame: its head bytes, and the buffer whose slot is its payload
 * (DATA), or the text after the head (a CAPS event). */
struct nsink_frame {
	uint8_t head[NSINK_DATA_HEAD];
	uint32_t head_len;
	uint64_t seq;
	struct px_buf buf; /* DATA: the payload; else none */
	char *text;	   /* CAPS event: caps text (malloc'ed) */
	uint32_t text_len;
	bool crc_due;	   /* DATA: its header still lacks its CRC */
};

enum nsink_peer { PEER_UNKNOWN, PEER_RESUME, PEER_PLAIN };

struct netsink {
	/* properties */
	char *host;
	int64_t port;
	int mode;
	bool crc;
	uint64_t retain_bytes;
	int64_t reconnect_timeout;
	int zerocopy;
	uint64_t zc_threshold;
	px_stat_i64 bound_port;
	px_stat_u64 frames_sent;
	px_stat_u64 zc_sends;
	px_stat_u64 frames_resent;
	px_stat_u64 reconnects;
	px_stat_u64 kept_high_water;

	/* run state, reset by start() */
	struct px_element *e;
	struct px_reactor *r;
	struct px_pad *sink;
	struct net_link link;
	struct px_op send_op, recv_op;
	enum nsink_peer peer;
	bool eos_pulled, failed, finished;
	uint64_t seq;	    /* of the last frame queued */
	uint64_t acked;	    /* the receiver's last ACK */
	uint64_t known;	    /* the receiver has every seq up to this (its
			       ACKs and its HELLO) */
	uint64_t stream_id; /* random per run */
	uint8_t *hello;	    /* the HELLO frame (malloc'ed) */
	uint32_t hello_len;
	bool hello_due;	    /* send it before anything else */
	uint64_t greeted_at; /* when this connection's HELLO went out */
	uint64_t max_sent;  /* highest seq ever sent: lower ones are resends */
	/* An ACK frame from us asks the receiver to acknowledge now: sent
	 * when we idle with frames unacknowledged (their slots may be all
	 * that upstream's pool has). */
	uint8_t req[NET_HDR_SIZE + NET_ACK_SIZE];
	bool req_due;
	uint64_t req_seq; /* the last seq a request covered */
	/* The queue: frames [tail, head) in seq order; [tail, next) were
	 * sent (kept until ACKed), [next, head) wait to be sent. */
	struct nsink_frame *q;
	uint64_t tail, next, head;
	uint64_t kept;	    /* payload bytes of [tail, head) */
	/* The send in flight: iov over the HELLO, an ACK request and frames
	 * [next, next + nf), two pieces each. */
	struct iovec iov[2 + 2 * NSINK_BATCH];
	unsigned iov_first, iov_n, nf;
	uint64_t payload; /* frames' bytes of the send in flight */
	bool zc_ok;	  /* the kernel has SENDMSG_ZC */
	bool nic;	  /* this connection leaves through a NIC */
	struct msghdr msg;
	uint64_t sent; /* bytes on this connection */
	/* Control frames from the receiver: header, then payload. */
	uint8_t rx_head[NET_HDR_SIZE];
	uint8_t rx_body[NET_HELLO_FIXED + 256];
	struct net_frame rx;
	bool rx_body_phase;
	uint64_t rx_skip; /* bytes of a frame we do not read (large caps) */
};

static const struct px_prop_spec netsink_props[] = {
	PX_CONN_PROP_SPECS(struct netsink, 4954, PX_CONN_CLIENT),
	PX_PROP_BOOL_SPEC("crc", struct netsink, crc, true,
			  "CRC32C of every frame (false: the field is 0, and "
			  "HELLO says so; for trusted links)"),
	PX_PROP_SIZE_SPEC("retain-bytes", struct netsink, retain_bytes,
			  2u << 20, 1u << 16, 1ull << 40,
			  "payload kept for a resend until the receiver ACKs it; "
			  "when full, netsink waits (backpressure); at least "
			  "bandwidth x round trip"),
	PX_PROP_DURATION_SPEC("reconnect-timeout", struct netsink,
			      reconnect_timeout, 30000000000ll, 0, INT64_MAX,
			      "how long a lost connection may take to come back "
			      "before it is an error"),
	PX_PROP_ENUM_SPEC("zerocopy", struct netsink, zerocopy, PX__ZC_AUTO,
			  px__zc_enums,
			  "send the frames from their slots without a copy "
			  "(SENDMSG_ZC)"),
	PX_PROP_SIZE_SPEC("zc-threshold", struct netsink, zc_threshold,
			  PX__ZC_AUTO_MIN, 1, 1u << 30,
			  "zerocopy=auto: the smallest frame payload, on "
			  "average over a send, sent with SENDMSG_ZC"),
	PX_PROP_STAT_U64_SPEC("frames-sent", PX_PROP_UINT64, struct netsink,
			      frames_sent, "DATA and EVENT frames sent"),
	PX_PROP_STAT_U64_SPEC("zc-sends", PX_PROP_UINT64, struct netsink,
			      zc_sends,
			      "sends asked with SENDMSG_ZC (on the epoll "
			      "backend, plain sendmsg)"),
	PX_PROP_STAT_U64_SPEC("frames-resent", PX_PROP_UINT64, struct netsink,
			      frames_resent,
			      "frames sent again after a reconnection"),
	PX_PROP_STAT_U64_SPEC("reconnects", PX_PROP_UINT64, struct netsink,
			      reconnects, "connections made again after a loss"),
	PX_PROP_STAT_U64_SPEC("kept-high-water", PX_PROP_UINT64, struct netsink,
			      kept_high_water,
			      "most payload bytes kept for a resend at once "
			      "(at most retain-bytes plus one buffer)"),
};

static const struct px_pad_template netsink_pads[] = {
	{ "sink", PX_PAD_SINK, PX_PAD_ALWAYS, "ANY" },
};

static void send_done(struct px_op *op, int res, uint32_t flags);
static void recv_done(struct px_op *op, int res, uint32_t flags);

static struct nsink_frame *at(struct netsink *s, uint64_t i)
{
	return &s->q[i & (NSINK_QUEUE - 1)];
}

static uint32_t frame_bytes(const struct nsink_frame *f)
{
	return f->buf.length + f->text_len;
}

static void frame_release(struct netsink *s, struct nsink_frame *f)
{
	s->kept -= frame_bytes(f);
	px_buf_unref(&f->buf);
	free(f->text);
	f->text = NULL;
	f->text_len = 0;
}

/* Release every frame the receiver has: seq <= UPTO, and sent. */
static void release_to(struct netsink *s, uint64_t upto)
{
	while (s->tail < s->next && at(s, s->tail)->seq <= upto)
		frame_release(s, at(s, s->tail++));
}

/* The end of a stop, every op ended. */
static void release_held(struct px_conn *c)
{
	struct netsink *s = px_container_of(c, struct netsink, link.conn);

	while (s->tail < s->head)
		frame_release(s, at(s, s->tail++));
	free(s->q);
	s->q = NULL;
	free(s->hello);
	s->hello = NULL;
}

static uint64_t random_id(void)
{
	struct timespec ts;
	uint64_t x;

	clock_gettime(CLOCK_REALTIME, &ts);
	x = (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
	x ^= (uint64_t)getpid() << 32;
	/* splitmix64: spread the bits; 0 means "no stream" on the wire */
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	x ^= x >> 31;
	return x ? x : 1;
}

/* The HELLO frame: stream id, the next seq, what we keep, the caps. */
static int make_hello(struct netsink *s)
{
	const struct px_caps *caps = px_pad_link_caps(s->sink);
	char text[NET_CTL_MAX - NET_HELLO_FIXED];
	struct net_hello h = {
		.flags = NET_HELLO_RESUME | (s->crc ? 0 : NET_HELLO_NO_CRC),
		.stream_id = s->stream_id,
		.seq = s->tail < s->head ? at(s, s->tail)->seq : s->seq + 1,
		.retain_bytes = s->retain_bytes,
	};
	uint32_t len;

	text[0] = '\0';
	if (caps)
		(void)px_caps_to_string(caps, text, sizeof(text));
	h.caps = text;
	h.caps_len = (uint16_t)strlen(text);
	free(s->hello);
	s->hello = malloc(NET_HDR_SIZE + NET_HELLO_FIXED + h.caps_len);
	if (!s->hello)
		return -ENOMEM;
	len = net_hello_put(s->hello + NET_HDR_SIZE, &h);
	net_hdr_put(s->hello, NET_HELLO, len,
		    s->crc ? px_crc32c(0, s->hello + NET_HDR_SIZE, len) : 0);
	s->hello_len = NET_HDR_SIZE + len;
	return 0;
}

static void fail(struct netsink *s, int err, const char *what)
{
	s->failed = true;
	px_element_error(s->e, err,
			 "%s: %s %s after %" PRIu64 " bytes (frame %" PRIu64
			 "): %s",
			 px_element_name(s->e), what, net_link_peer(&s->link),
			 s->sent, s->next, px_strerror(err));
}

static int netsink_start(struct px_element *e)
{
	struct netsink *s = px_element_priv(e);
	int rc;

	s->e = e;
	s->r = px_element_reactor(e);
	s->sink = px_element_pad(e, "sink");
	px_op_init(&s->send_op);
	px_op_init(&s->recv_op);
	s->peer = PEER_UNKNOWN;
	s->eos_pulled = s->failed = s->finished = false;
	s->hello_due = false;
	s->seq = s->acked = s->sent = s->kept = s->max_sent = s->known = 0;
	s->greeted_at = 0;
	s->req_due = false;
	s->req_seq = 0;
	s->tail = s->next = s->head = 0;
	s->iov_first = s->iov_n = s->nf = 0;
	s->hello = NULL;
	s->rx_body_phase = false;
	s->rx_skip = 0;
	s->stream_id = random_id();
	px_stat_set(&s->frames_sent, 0);
	px_stat_set(&s->zc_sends, 0);
	px_stat_set(&s->frames_resent, 0);
	px_stat_set(&s->reconnects, 0);
	px_stat_set(&s->kept_high_water, 0);
	rc = px__zc_start(e, s->zerocopy, true, &s->zc_ok);
	if (rc < 0)
		return rc;
	s->q = calloc(NSINK_QUEUE, sizeof(*s->q));
	if (!s->q)
		return -ENOMEM;
	rc = net_link_start(&s->link, e, s->mode, s->host, s->port,
			    &s->send_op, &s->recv_op, release_held,
			    (uint64_t)s->reconnect_timeout);
	if (rc < 0) {
		free(s->q);
		s->q = NULL;
		return rc;
	}
	px_stat_set(&s->bound_port, s->link.conn.bound_port);
	return 0;
}

/* ---- the receiver's HELLO and ACKs ------------------------------------ */

static int rx_arm(struct netsink *s)
{
	void *buf = s->rx_body_phase ? (void *)s->rx_body : s->rx_head;
	uint32_t len = s->rx_body_phase ? s->rx.length : NET_HDR_SIZE;

	if (s->rx_body_phase && len > sizeof(s->rx_body))
		len = sizeof(s->rx_body); /* the rest is skipped */
	return px_io_recv(s->r, &s->recv_op, s->link.conn.fd, buf, len,
			  MSG_WAITALL, recv_done);
}

/* The receiver's HELLO: resend from the frame after the last it has. */
static void on_peer_hello(struct netsink *s, const struct net_hello *h)
{
	uint64_t from = 1;

	if (!(h->flags & NET_HELLO_RESUME)) {
		s->peer = PEER_PLAIN;
		return;
	}
	s->peer = PEER_RESUME;
	if (h->stream_id == s->stream_id)
		from = h->seq + 1; /* it has everything up to h->seq */
	/* Frames it has are done with, sent on this connection or not
	 * (skip_known() drops them between sends); the ones it lacks go
	 * again, and the receiver drops any repeat by seq. */
	if (from - 1 > s->known)
		s->known = from - 1;
	release_to(s, s->known);
}

/* With no send in flight: release what the receiver has, and do not send
 * it again. */
static void skip_known(struct netsink *s)
{
	while (s->tail < s->head && at(s, s->tail)->seq <= s->known) {
		if (s->next == s->tail)
			s->next++;
		frame_release(s, at(s, s->tail++));
	}
}

static void on_control(struct netsink *s)
{
	struct net_hello h;
	char why[160];
	uint32_t got = s->rx.length < sizeof(s->rx_body) ?
			       s->rx.length :
			       (uint32_t)sizeof(s->rx_body);

	if (s->rx.kind == NET_ACK && s->rx.length == NET_ACK_SIZE &&
	    (!s->crc || px_crc32c(0, s->rx_body, got) == s->rx.crc)) {
		s->acked = net_get64(s->rx_body);
		if (s->acked > s->known)
			s->known = s->acked;
		if (s->peer == PEER_UNKNOWN)
			s->peer = PEER_RESUME;
		release_to(s, s->acked);
	} else if (s->rx.kind == NET_HELLO &&
		   net_hello_get(s->rx_body, got, &h, why, sizeof(why)) == 0) {
		on_peer_hello(s, &h);
	}
	/* Other kinds, and HELLOs with long caps: nothing for a sender. */
}

static void recv_done(struct px_op *op, int res, uint32_t flags)
{
	struct netsink *s = px_container_of(op, struct netsink, recv_op);
	char why[160];

	(void)flags;
	if (px_conn_op_ended(&s->link.conn))
		return;
	if (res <= 0) {
		/* A plain reader closes once it has the EOS frame. */
		if (!s->finished && !(s->eos_pulled && s->next == s->head &&
				      s->peer != PEER_RESUME))
			net_link_lost(&s->link, res ? res : -EPIPE,
				      "the receiver closed the connection");
		px_element_schedule(s->e);
		return;
	}
	if (!s->rx_body_phase) {
		if ((uint32_t)res < NET_HDR_SIZE ||
		    net_hdr_check(s->rx_head, NET_CTL_MAX, &s->rx, why,
				  sizeof(why))) {
			net_link_lost(&s->link, -EPROTO, "a bad frame");
			px_element_schedule(s->e);
			return;
		}
		s->rx_body_phase = s->rx.length > 0;
		if (!s->rx_body_phase)
			on_control(s);
	} else {
		on_control(s);
		s->rx_body_phase = false;
	}
	/* A HELLO longer than rx_body (its caps) leaves bytes to skip: not
	 * from a Parallax receiver, whose HELLO carries no caps. */
	if (!s->rx_body_phase && s->rx.length > sizeof(s->rx_body)) {
		net_link_lost(&s->link, -EPROTO, "a control frame too long");
		px_element_schedule(s->e);
		return;
	}
	if (rx_arm(s) < 0)
		net_link_lost(&s->link, -EIO, "cannot receive");
	px_element_schedule(s->e); /* an ACK may have made room */
}

/* ---- sending ----------------------------------------------------------- */

static void add_iov(struct netsink *s, void *base, size_t len)
{
	s->iov[s->iov_n++] = (struct iovec){ base, len };
}

/* Queue a DATA frame for buffer B (its reference taken). */
static void queue_data(struct netsink *s, const struct px_buf *b)
{
	struct nsink_frame *f = at(s, s->head++);
	struct net_data d = {
		.seq = ++s->seq,
		.pts = b->pts,
		.duration = b->duration,
		.flags = b->flags,
	};

	f->seq = d.seq;
	f->buf = *b;
	f->text = NULL;
	f->text_len = 0;
	f->head_len = NSINK_DATA_HEAD;
	f->crc_due = s->crc; /* at its first send: frame_crc() */
	net_data_put(f->head + NET_HDR_SIZE, &d);
	net_hdr_put(f->head, NET_DATA, NET_DATA_HDR_SIZE + b->length, 0);
	s->kept += b->length;
	if (s->kept > px_stat_get(&s->kept_high_water))
		px_stat_set(&s->kept_high_water, s->kept);
}

/* Queue an EVENT frame of TYPE with TEXT (malloc'ed, taken; may be NULL). */
static void queue_event(struct netsink *s, uint16_t type, char *text,
			uint16_t len)
{
	struct nsink_frame *f = at(s, s->head++);
	uint32_t crc = 0;

	memset(&f->buf, 0, sizeof(f->buf));
	f->crc_due = false;
	f->seq = ++s->seq;
	f->text = text;
	f->text_len = len;
	f->head_len = NET_HDR_SIZE + NET_EVENT_HDR_SIZE;
	net_event_put(f->head + NET_HDR_SIZE, f->seq, type, len);
	if (s->crc)
		crc = px_crc32c(px_crc32c(0, f->head + NET_HDR_SIZE,
					  NET_EVENT_HDR_SIZE),
				text, len);
	net_hdr_put(f->head, NET_EVENT, NET_EVENT_HDR_SIZE + len, crc);
	s->kept += len;
}

/* A CAPS event as an EVENT frame with the caps as text. */
static void queue_caps(struct netsink *s, const struct px_item *it)
{
	const struct px_caps *caps = px_event_caps(s->e, it);
	size_t need;
	char *text;

	if (!caps)
		return;
	need = px_caps_to_string(caps, NULL, 0);
	if (need > UINT16_MAX || !(text = malloc(need + 1)))
		return;
	px_caps_to_string(caps, text, need + 1);
	queue_event(s, PX_EVENT_CAPS, text, (uint16_t)need);
}

/* Whether the queue has room: frames, and bytes kept for a resend. */
static bool room(const struct netsink *s)
{
	if (s->head - s->tail >= NSINK_QUEUE)
		return false;
	return s->peer == PEER_PLAIN || s->kept < s->retain_bytes;
}

/*
 * No HELLO from the receiver NSINK_HELLO_WAIT_NS after we greeted it: a
 * plain STRM reader, which cannot resume. True when that is decided;
 * otherwise the element is woken when the wait is over.
 */
static bool hello_overdue(struct netsink *s)
{
	uint64_t waited = net_now_ns() - s->greeted_at;

	if (waited < NSINK_HELLO_WAIT_NS) {
		net_link_wake_in(&s->link, NSINK_HELLO_WAIT_NS - waited);
		return false;
	}
	s->peer = PEER_PLAIN;
	px_element_info(s->e,
			"%s: %s sent no HELLO: a plain STRM stream, "
			"no resume after a dropped connection",
			px_element_name(s->e), net_link_peer(&s->link));
	release_to(s, UINT64_MAX);
	return true;
}

/* Pull what the queue has room for. */
static void fill_queue(struct netsink *s)
{
	struct px_item it;

	while (!s->eos_pulled && room(s) && px_pad_pull(s->sink, &it, 1)) {
		if (it.type == PX_ITEM_BUFFER) {
			queue_data(s, &it.buf); /* takes the reference */
		} else if (px_item_is_eos(&it)) {
			s->eos_pulled = true;
			queue_event(s, PX_EVENT_EOS, NULL, 0);
		} else {
			if (it.ev.type == PX_EVENT_CAPS)
				queue_caps(s, &it);
			px_item_release(&it);
		}
	}
}

/*
 * A DATA frame's CRC32C, into its header, just before its first send: the
 * kernel's copy then reads the slot the checksum has just brought into the
 * cache. Computed when the frame was queued instead (a frame or two
 * earlier), 1 MiB frames over loopback went 4% slower (7 alternating
 * pairs; 64 KiB frames: within the noise).
 */
static void frame_crc(struct nsink_frame *f)
{
	uint32_t crc = px_crc32c(px_crc32c(0, f->head + NET_HDR_SIZE,
					   NET_DATA_HDR_SIZE),
				 px_buf_data(&f->buf), f->buf.length);

	net_hdr_put(f->head, NET_DATA, NET_DATA_HDR_SIZE + f->buf.length, crc);
	f->crc_due = false;
}

/* The next sendmsg: the HELLO when due, then frames from NEXT on. */
static void build_send(struct netsink *s)
{
	s->iov_first = s->iov_n = s->nf = 0;
	s->payload = 0;
	if (s->hello_due)
		add_iov(s, s->hello, s->hello_len);
	if (s->req_due)
		add_iov(s, s->req, sizeof(s->req));
	for (uint64_t i = s->next; i < s->head && s->nf < NSINK_BATCH &&
				   s->payload < PX__SEND_GATHER_BYTES;
	     i++) {
		struct nsink_frame *f = at(s, i);

		if (f->crc_due)
			frame_crc(f);
		add_iov(s, f->head, f->head_len);
		s->payload += frame_bytes(f);
		if (f->buf.length)
			add_iov(s, px_buf_data(&f->buf), f->buf.length);
		else if (f->text_len)
			add_iov(s, f->text, f->text_len);
		s->nf++;
	}
}

static int submit(struct netsink *s)
{
	memset(&s->msg, 0, sizeof(s->msg));
	s->msg.msg_iov = &s->iov[s->iov_first];
	s->msg.msg_iovlen = s->iov_n - s->iov_first;
	/* Zero copy by the frames' average payload (zerocopy=, tcpsink's
	 * rule); the callback comes once the slots are free again. */
	if (s->nf && px__zc_use(s->zerocopy, s->zc_ok, s->nic,
				s->payload / s->nf,
				s->zc_threshold)) {
		if (px_stat_get(&s->zc_sends) == 0)
			px_element_info(s->e,
					"%s: sending to %s with SENDMSG_ZC "
					"(no copy of the slots)",
					px_element_name(s->e),
					net_link_peer(&s->link));
		px_stat_add(&s->zc_sends, 1);
		return px_io_sendmsg_zc(s->r, &s->send_op, s->link.conn.fd,
					&s->msg, MSG_NOSIGNAL | MSG_WAITALL,
					send_done);
	}
	return px_io_sendmsg(s->r, &s->send_op, s->link.conn.fd, &s->msg,
			     MSG_NOSIGNAL | MSG_WAITALL, send_done);
}

static void send_done(struct px_op *op, int res, uint32_t flags)
{
	struct netsink *s = px_container_of(op, struct netsink, send_op);
	size_t left = res > 0 ? (size_t)res : 0;

	(void)flags;
	s->sent += left;
	while (s->iov_first < s->iov_n &&
	       left >= s->iov[s->iov_first].iov_len)
		left -= s->iov[s->iov_first++].iov_len;
	if (s->iov_first < s->iov_n && left) {
		s->iov[s->iov_first].iov_base =
			(uint8_t *)s->iov[s->iov_first].iov_base + left;
		s->iov[s->iov_first].iov_len -= left;
	}
	if (px_conn_op_ended(&s->link.conn))
		return;
	if (res < 0 && res != -EAGAIN && res != -EINTR) {
		if (s->peer == PEER_PLAIN) {
			fail(s, res, "connection to");
			return;
		}
		net_link_lost(&s->link, res, "a send failed");
		px_element_schedule(s->e);
		return;
	}
	if (s->iov_first < s->iov_n) {
		int rc = submit(s);

		if (rc < 0)
			fail(s, rc, "cannot send to");
		return;
	}
	/* All of it is out. */
	s->hello_due = false;
	s->req_due = false;
	px_stat_add(&s->frames_sent, s->nf);
	for (; s->nf; s->nf--, s->next++) {
		uint64_t seq = at(s, s->next)->seq;

		if (seq <= s->max_sent)
			px_stat_add(&s->frames_resent, 1);
		else
			s->max_sent = seq;
	}
	if (s->peer == PEER_PLAIN)
		release_to(s, UINT64_MAX);
	px_element_schedule(s->e);
}

/* A new connection: greet the receiver, start reading its answers, and
 * send from the oldest kept frame until its HELLO says where it stands.
 * False when that failed (posted, or the link is being dropped). */
static bool greet(struct netsink *s)
{
	int rc;

	if (s->link.connections > 1) {
		if (s->peer == PEER_PLAIN) {
			fail(s, -ECONNRESET,
			     "no resume (the receiver sent no HELLO) with");
			return false;
		}
		px_stat_add(&s->reconnects, 1);
	}
	s->next = s->tail;
	if ((rc = make_hello(s)) < 0) {
		fail(s, rc, "cannot greet");
		return false;
	}
	s->hello_due = true;
	s->req_seq = 0; /* a request on the old connection is lost */
	s->greeted_at = net_now_ns();
	net_link_wake_in(&s->link, NSINK_HELLO_WAIT_NS);
	s->rx_body_phase = false;
	if (rx_arm(s) < 0) {
		net_link_lost(&s->link, -EIO, "cannot receive");
		return false;
	}
	return true;
}

/* Idle with frames unacknowledged (their slots may be all that upstream's
 * pool has): queue an ACK frame asking the receiver to acknowledge now. */
static void ask_for_ack(struct netsink *s)
{
	if (s->iov_n || s->peer == PEER_PLAIN || s->tail == s->next ||
	    s->req_seq >= s->max_sent)
		return;
	s->req_seq = s->max_sent;
	net_put64(s->req + NET_HDR_SIZE, s->req_seq);
	net_hdr_put(s->req, NET_ACK, NET_ACK_SIZE,
		    px_crc32c(0, s->req + NET_HDR_SIZE, NET_ACK_SIZE));
	s->req_due = true;
	build_send(s);
}

static void netsink_work(struct px_element *e)
{
	struct netsink *s = px_element_priv(e);
	bool fresh;
	int rc;

	if (!net_link_work(&s->link, &s->failed, s->finished, &fresh))
		return; /* the link schedules us; items wait on the link */
	if (fresh)
		s->nic = px__conn_on_nic(s->link.conn.fd); /* for zerocopy */
	if (fresh && !greet(s))
		return;
	if (!px_op_busy(&s->send_op))
		skip_known(s); /* no send holds them: may make room */
	fill_queue(s);
	if (px_op_busy(&s->send_op))
		return;
	build_send(s);
	ask_for_ack(s);
	if (s->iov_n) {
		rc = submit(s);
		if (rc < 0)
			fail(s, rc, "cannot send to");
		return;
	}
	/* Everything sent, frames kept, and no word yet from the receiver:
	 * whether the queue is full or upstream waits for the slots these
	 * frames hold (a small pool), only the HELLO wait can move us. A
	 * receiver silent past it is plain: the frames go, and so do we. */
	if (s->peer == PEER_UNKNOWN && s->tail != s->head) {
		if (!hello_overdue(s))
			return;
		px_element_schedule(e);
		return;
	}
	/* Everything sent; with a resuming receiver, also acknowledged. */
	if (s->eos_pulled && s->next == s->head &&
	    (s->peer == PEER_PLAIN || s->tail == s->head)) {
		(void)shutdown(s->link.conn.fd, SHUT_WR);
		s->finished = true;
		px_element_eos_reached(e);
	}
}

static int netsink_stop(struct px_element *e)
{
	struct netsink *s = px_element_priv(e);

	return px_conn_stop(&s->link.conn);
}

const struct px_element_class px__netsink_class = {
	.name = "netsink",
	.description = "Sends buffers and events to another host in checked "
		       "STRM frames, resuming after a dropped connection "
		       "(docs/net.md)",
	.priv_size = sizeof(struct netsink),
	.pads = netsink_pads,
	.n_pads = PX_ARRAY_SIZE(netsink_pads),
	.props = netsink_props,
	.n_props = PX_ARRAY_SIZE(netsink_props),
	.start = netsink_start,
	.work = netsink_work,
	.stop = netsink_stop,
};
