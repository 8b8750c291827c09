// SPDX-License-Identifier: MIT
/*
 * netsrc.c - receives streams of checked STRM frames (net_frame.h,
 * docs/net.md) from netsink or any program that speaks the format: the
 * 16-byte header first, then a DATA frame's 32-byte item header and its
 * bytes in one receive, the bytes straight into a pool slot (no bounce
 * buffer). Every header field is checked before use and every payload's
 * CRC32C after it arrived.
 *
 * One sender (max-clients=1, the default): its stream is the pipeline's.
 * The first bad frame is an ERROR naming the peer and the frame's byte
 * offset, and the connection is closed. The connection is a net_link
 * (net_link.h): a sender that can resume and loses it is waited for.
 *
 * Many senders (max-clients=N > 1, server): each connection is a peer
 * with its own stream; its buffers carry px_item.stream, the first one
 * DISCONT, stream_offset counting its bytes, and an empty buffer flagged
 * PX_BUF_FLAG_LAST ends it (its EOS frame, a bad frame, a close, or a
 * resume that did not come within reconnect-timeout). A bad frame is a
 * WARNING naming the peer and offset, that connection is closed, the
 * others are served. A sender that comes back with the stream id of one
 * that was lost takes its stream over where it stopped.
 *
 * Resume. netsrc greets the sender with a HELLO saying the stream it
 * follows and the last seq it delivered downstream, and acknowledges
 * (ACK) what it delivered at least every NSRC_ACK_FRAMES frames and every
 * quarter of the sender's retain-bytes. Frames sent again that were
 * delivered already are dropped by seq, so each stream downstream has no
 * loss, no repeat, no reordering.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "elements_int.h"
#include "net_frame.h"
#include "px_buf.h"
#include "px_caps.h"
#include "px_list.h"
#include "net_link.h"
#include "px_crc32c.h"
#include "px_element.h"
#include "px_error.h"
#include "px_reactor.h"

/* What the one receive in flight of a peer reads. */
enum nsrc_phase {
	PH_HEAD,  /* the next frame's 16-byte header */
	PH_SLOT,  /* waiting for a slot for a DATA frame (no receive) */
	PH_DATA,  /* a DATA frame's item header and bytes */
	PH_OTHER, /* another frame's payload, into ctl */
	PH_READY, /* a buffer to push */
	PH_ADOPT, /* many: waits for the lost peer whose stream it resumes */
};

struct netsrc;

/* One connection to a sender (many senders: one per connection). */
struct nsrc_peer {
	struct netsrc *s;
	struct px_list node; /* many: in s->peers */
	int fd;		     /* many: the connection; -1 once closed */
	char addr[PX_CONN_ADDR_MAX];
	struct px_op recv_op, send_op;
	enum nsrc_phase phase;
	uint8_t head[NET_HDR_SIZE];
	uint8_t item[NET_DATA_HDR_SIZE];
	uint8_t *ctl; /* NET_CTL_MAX + 1 bytes (malloc'ed) */
	struct net_frame f;
	struct px_buf buf; /* the slot received into */
	struct iovec iov[2];
	struct msghdr msg;
	uint32_t got;	 /* PH_DATA: bytes of the frame's payload in */
	uint32_t lowat;	 /* SO_RCVLOWAT as we set it */
	struct px_caps *caps; /* to push before the next buffer */
	bool got_eos, sender_crc;
	bool resume;	   /* the sender keeps frames for a resend */
	uint64_t received; /* bytes of this connection */
	uint64_t frame_at; /* byte offset of the current frame */
	uint64_t seq;	   /* of the last DATA or EVENT frame accepted */
	uint64_t frames;   /* frames of any kind, the one read now too */
	uint64_t stream_id; /* the sender's, from its HELLO */
	uint64_t retain;    /* the sender's retain bytes */
	/* Acknowledgement: the last seq delivered, and what went since. */
	uint64_t delivered, ack_bytes;
	unsigned ack_frames;
	bool hello_due, ack_due;
	/* The seq our last ACK frame on this connection carried
	 * (NSRC_NO_ACK: none yet; a new connection also brings a new
	 * stream's HELLO), and the seq the sender asked us to acknowledge
	 * once delivered (0: none). */
	uint64_t ack_sent, ack_want;
	uint8_t tx[NET_HDR_SIZE + NET_HELLO_FIXED];
	/* many senders */
	uint32_t stream;	 /* px_item.stream of its buffers */
	uint64_t offset;	 /* its payload bytes pushed: stream_offset */
	bool started;		 /* its first buffer (DISCONT) went */
	bool away;		 /* lost; may resume until lost_at + timeout */
	bool ending;		 /* its stream ends: LAST, then freed */
	bool adopted;		 /* its stream went to another connection */
	uint64_t lost_at;
	struct nsrc_peer *heir;	      /* PH_ADOPT: the peer it resumes */
	struct nsrc_peer *claimed_by; /* ... and back: the peer resuming it */
};

struct netsrc {
	/* properties */
	char *host;
	int64_t port;
	int mode;
	uint64_t max_frame;
	int64_t pool_slots;
	bool crc;
	int64_t reconnect_timeout;
	int64_t max_clients;
	int64_t num_clients;
	px_stat_i64 bound_port;
	px_stat_u64 frames_received;
	px_stat_u64 repeats;
	px_stat_u64 acks_sent;
	px_stat_i64 clients;
	px_stat_u64 refused;

	/* run state, reset by start() */
	struct px_element *e;
	struct px_reactor *r;
	struct px_pad *src;
	struct px_pool *pool;
	bool many; /* max-clients > 1 */
	bool failed, done;
	/* one sender */
	struct net_link link;
	struct nsrc_peer one;
	/* many senders */
	int lfd;
	char where[PX_CONN_ADDR_MAX];
	struct px_op accept_op, timer_op;
	bool accepting, timer_armed, stopping, ending;
	bool accept_failed; /* EMFILE and the like: accept once one leaves */
	struct px_list peers;
	uint64_t finished; /* streams that ended */
	struct px_caps *caps_sent; /* the caps pushed (many: all must agree) */
};

/* ACK at least this often (the sender keeps at most 4096 frames). */
#define NSRC_ACK_FRAMES 256
#define NSRC_NO_ACK	UINT64_MAX /* nsrc_peer.ack_sent: none yet */

/*
 * A payload of at least NSRC_LOWAT_MIN bytes is received with the
 * socket's SO_RCVLOWAT at what it still lacks (at most NSRC_LOWAT_MAX)
 * and a receive that first waits for that much: one wakeup and one copy
 * per MiB instead of one per arriving segment, and the sender's kernel,
 * which wakes us from its softirq, spends that much less (docs/net.md has
 * the measurement). Smaller payloads keep the mark at 1: two setsockopt
 * calls a frame would cost them more than the wakeups they save.
 */
#define NSRC_LOWAT_MIN (256u << 10)
#define NSRC_LOWAT_MAX (1u << 20)

static const struct px_prop_spec netsrc_props[] = {
	PX_CONN_PROP_SPECS(struct netsrc, 4954, PX_CONN_SERVER),
	PX_PROP_SIZE_SPEC("max-frame-size", struct netsrc, max_frame,
			  NET_MAX_FRAME_DEFAULT, 4096, 1u << 30,
			  "largest frame accepted (a DATA frame is its 32-byte "
			  "item header and the buffer; also the pool's slot size)"),
	PX_PROP_INT_SPEC("pool-slots", struct netsrc, pool_slots, 0, 0, 65536,
			 "buffers in the source's pool (0: 64 MiB worth, at "
			 "least 8)"),
	PX_PROP_BOOL_SPEC("crc", struct netsrc, crc, true,
			  "check every frame's CRC32C (false: trust the link)"),
	PX_PROP_DURATION_SPEC("reconnect-timeout", struct netsrc,
			      reconnect_timeout, 30000000000ll, 0, INT64_MAX,
			      "how long a sender that can resume may take to "
			      "come back before it is an error"),
	PX_PROP_INT_SPEC("max-clients", struct netsrc, max_clients, 1, 1,
			 65536,
			 "senders served at once (server); above 1 each is a "
			 "stream of its own (px_item.stream), ended by an empty "
			 "LAST buffer, and a bad frame closes only its "
			 "connection"),
	PX_PROP_INT_SPEC("num-clients", struct netsrc, num_clients, -1, -1,
			 INT64_MAX,
			 "max-clients above 1: EOS once this many senders' "
			 "streams have ended (-1: until EOS is asked)"),
	PX_PROP_STAT_U64_SPEC("frames-received", PX_PROP_UINT64, struct netsrc,
			      frames_received, "frames of every kind received"),
	PX_PROP_STAT_U64_SPEC("repeats", PX_PROP_UINT64, struct netsrc, repeats,
			      "frames sent again after a reconnection that "
			      "were delivered already (dropped)"),
	PX_PROP_STAT_U64_SPEC("acks-sent", PX_PROP_UINT64, struct netsrc,
			      acks_sent,
			      "ACK frames sent to senders that resume"),
	PX_PROP_STAT_I64_SPEC("clients", PX_PROP_INT, struct netsrc, clients,
			      "senders connected now"),
	PX_PROP_STAT_U64_SPEC("refused", PX_PROP_UINT64, struct netsrc, refused,
			      "senders closed at once because max-clients "
			      "were connected"),
};

static const struct px_pad_template netsrc_pads[] = {
	{ "src", PX_PAD_SRC, PX_PAD_ALWAYS, "ANY" },
};

static void recv_done(struct px_op *op, int res, uint32_t flags);
static void recv_failed(struct nsrc_peer *p, int rc);
static void send_done(struct px_op *op, int res, uint32_t flags);
static void on_other(struct nsrc_peer *p);
static void peer_end(struct nsrc_peer *p);

/* ---- the peer, whichever mode ----------------------------------------------- */

static int peer_fd(const struct nsrc_peer *p)
{
	return p->s->many ? p->fd : p->s->link.conn.fd;
}

static const char *peer_name(const struct nsrc_peer *p)
{
	return p->s->many ? p->addr : net_link_peer(&p->s->link);
}

/* Whether the connection can carry our HELLO and ACKs now. */
static bool peer_can_send(const struct nsrc_peer *p)
{
	if (!p->s->many)
		return !p->s->link.dropping && p->s->link.up;
	/* An ending stream's connection is shut down, except after the
	 * sender's EOS, whose ACK still goes out. */
	return p->fd >= 0 && !p->away && !p->adopted &&
	       (!p->ending || p->got_eos);
}

static bool peer_busy(const struct nsrc_peer *p)
{
	return px_op_busy(&p->recv_op) || px_op_busy(&p->send_op);
}

/* What a new connection starts from: a new byte stream, the socket's
 * default mark, no ACK sent on it yet. */
static void peer_conn_reset(struct nsrc_peer *p)
{
	p->received = p->frame_at = 0;
	p->lowat = 1; /* a new socket's mark */
	p->ack_sent = NSRC_NO_ACK;
	p->ack_want = 0;
}

static void peer_init(struct nsrc_peer *p, struct netsrc *s)
{
	memset(p, 0, sizeof(*p));
	p->s = s;
	p->fd = -1;
	p->phase = PH_HEAD;
	p->sender_crc = true;
	peer_conn_reset(p);
	px_list_init(&p->node);
}

/* The first bad frame of a peer: one sentence naming the peer and the
 * frame's byte offset. One sender: an ERROR, the pipeline stops. Many: a
 * WARNING, that connection closes and its stream ends; the others go on. */
PX_PRINTF(3, 4)
static void bad_frame(struct nsrc_peer *p, int err, const char *fmt, ...)
{
	struct netsrc *s = p->s;
	char why[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	px_buf_unref(&p->buf);
	p->phase = PH_HEAD;
	if (peer_fd(p) >= 0)
		(void)shutdown(peer_fd(p), SHUT_RDWR);
	if (!s->many) {
		s->failed = true;
		px_element_error(s->e, err,
				 "%s: frame %" PRIu64 " from %s at byte offset "
				 "%" PRIu64 ": %s; connection closed",
				 px_element_name(s->e), p->frames,
				 peer_name(p), p->frame_at, why);
		return;
	}
	px_element_warning(s->e,
			   "%s: frame %" PRIu64 " from %s (stream %u) at byte "
			   "offset %" PRIu64 ": %s; connection closed, serving "
			   "the other senders",
			   px_element_name(s->e), p->frames, peer_name(p),
			   p->stream, p->frame_at, why);
	peer_end(p);
}

/* ---- receiving frames ------------------------------------------------------- */

/* Whether P's payload is received under a raised low-water mark. */
static bool lowat_payload(const struct nsrc_peer *p)
{
	return p->buf.length >= NSRC_LOWAT_MIN;
}

/* Set the socket's receive low-water mark to BYTES (1: the default). */
static int set_lowat(struct nsrc_peer *p, uint32_t bytes)
{
	int v = (int)bytes;

	if (p->lowat == bytes)
		return 0;
	if (setsockopt(peer_fd(p), SOL_SOCKET, SO_RCVLOWAT, &v, sizeof(v)) < 0)
		return -errno;
	p->lowat = bytes;
	return 0;
}

static int recv_head(struct nsrc_peer *p)
{
	/* A 16-byte read under a higher mark could wait for bytes that
	 * never come (the frame after may be smaller, or not yet sent). */
	int rc = set_lowat(p, 1);

	if (rc < 0)
		return rc;
	p->frames++; /* the frame read now: what an error names */
	p->frame_at = p->received;
	p->phase = PH_HEAD;
	return px_io_recv(p->s->r, &p->recv_op, peer_fd(p), p->head,
			  NET_HDR_SIZE, MSG_WAITALL, recv_done);
}

/* The rest of the DATA frame's item header and bytes, from byte P->got:
 * the bytes into the slot. */
static int recv_data_more(struct nsrc_peer *p)
{
	uint32_t want = NET_DATA_HDR_SIZE + p->buf.length;
	uint32_t at = p->got, n = 0;
	int rc;

	if (at < NET_DATA_HDR_SIZE)
		p->iov[n++] = (struct iovec){ p->item + at,
					      NET_DATA_HDR_SIZE - at };
	at = at > NET_DATA_HDR_SIZE ? at - NET_DATA_HDR_SIZE : 0;
	if (p->buf.length > at)
		p->iov[n++] = (struct iovec){
			(uint8_t *)px_buf_data(&p->buf) + at,
			p->buf.length - at };
	memset(&p->msg, 0, sizeof(p->msg));
	p->msg.msg_iov = p->iov;
	p->msg.msg_iovlen = n;
	if (!lowat_payload(p))
		return px_io_recvmsg(p->s->r, &p->recv_op, peer_fd(p),
				     &p->msg, MSG_WAITALL, recv_done);
	/* Never above what the sender still owes this frame: a short
	 * receive comes back here with a lower mark. */
	rc = set_lowat(p, PX_MIN(want - p->got, NSRC_LOWAT_MAX));
	if (rc < 0)
		return rc;
	return px_io_recvmsg_poll_first(p->s->r, &p->recv_op, peer_fd(p),
					&p->msg, 0, recv_done);
}

/* The DATA frame's item header and bytes, the bytes into the slot. */
static int recv_data(struct nsrc_peer *p)
{
	p->phase = PH_DATA;
	p->got = 0;
	return recv_data_more(p);
}

static bool crc_ok(struct nsrc_peer *p, uint32_t got)
{
	if (!p->s->crc || !p->sender_crc || got == p->f.crc)
		return true;
	bad_frame(p, -EBADMSG,
		  "CRC32C 0x%08x in the header, 0x%08x over the %u payload "
		  "bytes",
		  p->f.crc, got, p->f.length);
	return false;
}

/* 1: the next frame; 0: a repeat after a resume (drop it); -1: bad. */
static int seq_ok(struct nsrc_peer *p, uint64_t seq)
{
	if (seq == p->seq + 1) {
		p->seq = seq;
		return 1;
	}
	if (seq <= p->seq && p->resume) {
		px_stat_add(&p->s->repeats, 1);
		return 0;
	}
	bad_frame(p, -EPROTO, "seq %" PRIu64 " after %" PRIu64 " (%s)", seq,
		  p->seq, seq <= p->seq ? "a repeat" : "frames lost");
	return -1;
}

/* ---- HELLO and ACK to the sender ------------------------------------------ */

static void send_control(struct nsrc_peer *p)
{
	uint32_t len;

	if (px_op_busy(&p->send_op) || !peer_can_send(p))
		return;
	if (p->hello_due) {
		struct net_hello h = { .flags = NET_HELLO_RESUME,
				       .stream_id = p->stream_id,
				       .seq = p->delivered };

		len = net_hello_put(p->tx + NET_HDR_SIZE, &h);
		p->hello_due = false;
		net_hdr_put(p->tx, NET_HELLO, len,
			    px_crc32c(0, p->tx + NET_HDR_SIZE, len));
	} else if (p->ack_due) {
		len = NET_ACK_SIZE;
		net_put64(p->tx + NET_HDR_SIZE, p->delivered);
		p->ack_sent = p->delivered;
		px_stat_add(&p->s->acks_sent, 1);
		p->ack_due = false;
		if (p->delivered >= p->ack_want)
			p->ack_want = 0;
		net_hdr_put(p->tx, NET_ACK, len,
			    px_crc32c(0, p->tx + NET_HDR_SIZE, len));
	} else {
		return;
	}
	if (px_io_send(p->s->r, &p->send_op, peer_fd(p), p->tx,
		       NET_HDR_SIZE + len, MSG_NOSIGNAL | MSG_WAITALL,
		       send_done) < 0) {
		if (p->s->many)
			(void)shutdown(p->fd, SHUT_RDWR); /* the recv sees it */
		else
			net_link_lost(&p->s->link, -EIO,
				      "cannot send to the sender");
	}
}

/* SEQ (BYTES) went downstream: acknowledge it when it is time. */
static void delivered(struct nsrc_peer *p, uint64_t seq, uint32_t bytes,
		      bool eos)
{
	p->delivered = seq;
	p->ack_bytes += bytes;
	p->ack_frames++;
	if (!p->resume)
		return;
	if (eos || (p->ack_want && seq >= p->ack_want) ||
	    p->ack_frames >= NSRC_ACK_FRAMES ||
	    p->ack_bytes >= p->retain / 4) {
		p->ack_due = true;
		p->ack_bytes = 0;
		p->ack_frames = 0;
		send_control(p);
	}
}

/* A header arrived: check it and start reading what follows. */
static void on_head(struct nsrc_peer *p)
{
	struct netsrc *s = p->s;
	char why[160];

	if (net_hdr_check(p->head, (uint32_t)s->max_frame, &p->f, why,
			  sizeof(why))) {
		bad_frame(p, -EPROTO, "%s", why);
		return;
	}
	if (p->f.kind == NET_DATA) {
		p->phase = PH_SLOT; /* work() finds a slot */
		px_element_schedule(s->e);
		return;
	}
	p->phase = PH_OTHER;
	if (!p->f.length) {
		px_stat_add(&s->frames_received, 1);
		on_other(p);
		px_element_schedule(s->e);
		return;
	}
	if (px_io_recv(s->r, &p->recv_op, peer_fd(p), p->ctl, p->f.length,
		       MSG_WAITALL, recv_done) < 0)
		bad_frame(p, -EIO, "cannot receive its payload");
}

static void on_data(struct nsrc_peer *p)
{
	struct net_data d;
	uint32_t crc = 0;

	if (p->s->crc && p->sender_crc)
		crc = px_crc32c(px_crc32c(0, p->item, NET_DATA_HDR_SIZE),
				px_buf_data(&p->buf), p->buf.length);
	if (!crc_ok(p, crc))
		return;
	net_data_get(p->item, &d);
	switch (seq_ok(p, d.seq)) {
	case -1:
		return;
	case 0:
		px_buf_unref(&p->buf); /* delivered before the reconnection */
		p->phase = PH_HEAD;
		return;
	}
	p->buf.seq = d.seq;
	p->buf.pts = d.pts;
	p->buf.duration = d.duration;
	/* Another host's verdict on the bytes is not ours: a record is
	 * validated again here (px_record.h). */
	p->buf.flags = (uint16_t)d.flags & (uint16_t)~PX_BUF_FLAG_VALIDATED;
	p->buf.stream_offset = PX_OFFSET_NONE;
	p->phase = PH_READY;
}

/* Caps text at ctl[AT..AT+LEN) to push before the next buffer (ctl has a
 * spare byte past any payload for the NUL). Caps that do not parse are
 * left out: the link's caps stay. */
static void take_caps(struct nsrc_peer *p, size_t at, uint16_t len)
{
	char *text = (char *)p->ctl + at;
	char saved = text[len];
	struct px_caps *caps;

	text[len] = '\0';
	if (px_caps_parse(text, &caps, NULL) == 0) {
		px_caps_unref(p->caps);
		p->caps = caps;
	}
	text[len] = saved;
}

static struct nsrc_peer *find_stream(struct netsrc *s, uint64_t stream_id,
				     const struct nsrc_peer *not);

/* Many senders: P's sender resumes the stream of Q (lost, or superseded
 * by this connection): P takes it over once Q's ops have ended. */
static void adopt(struct nsrc_peer *p, struct nsrc_peer *q)
{
	p->seq = q->seq;
	p->delivered = q->delivered;
	p->stream = q->stream;
	p->offset = q->offset;
	p->started = q->started;
	if (q->caps && !p->caps) {
		p->caps = q->caps;
		q->caps = NULL;
	}
	q->adopted = true;
	q->claimed_by = NULL;
}

/* The sender's HELLO (P->ctl, checked already) says who it is. */
static void on_hello(struct nsrc_peer *p, const struct net_hello *h)
{
	struct netsrc *s = p->s;
	struct nsrc_peer *q;

	p->sender_crc = !(h->flags & NET_HELLO_NO_CRC);
	p->resume = (h->flags & NET_HELLO_RESUME) != 0;
	p->retain = h->retain_bytes;
	if (h->stream_id == p->stream_id)
		return; /* one sender: the stream it follows goes on */
	p->stream_id = h->stream_id;
	/* Another stream (or the first): it goes on from its next seq. */
	p->seq = h->seq ? h->seq - 1 : 0;
	if (!s->many)
		return;
	p->delivered = p->seq;
	q = h->stream_id ? find_stream(s, h->stream_id, p) : NULL;
	if (q) {
		/* A sender back after a loss (or one that reconnected
		 * before its old connection was seen to die). */
		if (!q->away)
			(void)shutdown(q->fd, SHUT_RDWR);
		p->heir = q;
		q->claimed_by = p;
		p->phase = PH_ADOPT; /* work() completes it */
		px_element_schedule(s->e);
		return;
	}
	p->hello_due = p->resume;
	send_control(p);
}

/* A frame other than DATA, its payload in ctl. */
static void on_other(struct nsrc_peer *p)
{
	const uint8_t *c = p->ctl;
	struct net_hello h = { 0 };
	char why[160];

	p->phase = PH_HEAD;
	if (p->f.kind == NET_HELLO) {
		/* Whether the sender computes CRCs is in the HELLO itself:
		 * read the flag first, then check. */
		if (net_hello_get(c, p->f.length, &h, why, sizeof(why))) {
			bad_frame(p, -EPROTO, "%s", why);
			return;
		}
		p->sender_crc = !(h.flags & NET_HELLO_NO_CRC);
	}
	if (!crc_ok(p, p->s->crc && p->sender_crc ?
			       px_crc32c(0, c, p->f.length) :
			       0))
		return;
	if (p->f.kind == NET_HELLO) {
		if (h.caps_len)
			take_caps(p, (size_t)(h.caps - (const char *)p->ctl),
				  h.caps_len);
		on_hello(p, &h);
	} else if (p->f.kind == NET_EVENT) {
		uint16_t type, size = 0;

		if (p->f.length >= NET_EVENT_HDR_SIZE)
			size = net_get16(c + 10);
		if (p->f.length < NET_EVENT_HDR_SIZE ||
		    size != p->f.length - NET_EVENT_HDR_SIZE) {
			bad_frame(p, -EPROTO,
				  "EVENT frame of %u bytes whose data size "
				  "does not match",
				  p->f.length);
			return;
		}
		if (seq_ok(p, net_get64(c)) != 1)
			return; /* bad (said), or a repeat (dropped) */
		type = net_get16(c + 8);
		if (type == PX_EVENT_EOS)
			p->got_eos = true;
		else if (type == PX_EVENT_CAPS && size)
			take_caps(p, NET_EVENT_HDR_SIZE, size);
	} else if (p->f.kind == NET_ACK && p->resume) {
		/* An ACK from the sender asks us to acknowledge the frames
		 * before it (its seq) once delivered, and what went
		 * downstream so far at once. When our last ACK on this
		 * connection already says that, the sender has it or will:
		 * a second one for the same seq would tell it nothing (with
		 * 1 MiB frames and 2 MiB kept it asks after every frame,
		 * just after our own ACK). */
		uint64_t want = p->f.length >= NET_ACK_SIZE ? net_get64(c) :
							       p->seq;

		if (want > p->delivered && want > p->ack_want)
			p->ack_want = want;
		if (p->delivered == p->ack_sent)
			return;
		p->ack_due = true;
		p->ack_bytes = 0;
		p->ack_frames = 0;
		send_control(p);
	}
	/* Kinds this version does not know: skipped. */
}

/* ---- completions -------------------------------------------------------------- */

static void peer_free(struct nsrc_peer *p);

/* Many senders: P's connection broke and its sender can resume: its
 * stream waits reconnect-timeout for a connection with its stream id. */
static void peer_away(struct nsrc_peer *p, int err, const char *what)
{
	struct netsrc *s = p->s;

	px_buf_unref(&p->buf);
	p->phase = PH_HEAD;
	if (p->away || p->ending)
		return;
	p->away = true;
	p->lost_at = net_now_ns();
	(void)shutdown(p->fd, SHUT_RDWR); /* the other op ends too */
	if (!p->adopted)
		px_element_warning(s->e,
				   "%s: lost %s (stream %u, %" PRIu64
				   " bytes delivered): %s: %s; waiting %.1f s "
				   "for it to resume",
				   px_element_name(s->e), peer_name(p),
				   p->stream, p->offset, what, px_strerror(err),
				   (double)s->reconnect_timeout / 1e9);
}

static void recv_done(struct px_op *op, int res, uint32_t flags)
{
	struct nsrc_peer *p = px_container_of(op, struct nsrc_peer, recv_op);
	struct netsrc *s = p->s;
	uint32_t want;

	(void)flags;
	if (s->many ? s->stopping : px_conn_op_ended(&s->link.conn)) {
		if (s->many && !peer_busy(p))
			peer_free(p);
		return;
	}
	if (res > 0)
		p->received += (uint64_t)res;
	want = p->phase == PH_HEAD ? NET_HDR_SIZE :
	       p->phase == PH_DATA ? NET_DATA_HDR_SIZE + p->buf.length :
				     p->f.length;
	if (res == -ECANCELED || p->ending || p->adopted) {
		px_element_schedule(s->e);
		return;
	}
	if (p->phase == PH_DATA && lowat_payload(p) && res >= 0) {
		/* Received without MSG_WAITALL (its low-water mark must
		 * follow what is still to come): a short receive goes on,
		 * 0 (closed partway) counts as a short frame. */
		p->got += (uint32_t)res;
		if (res > 0 && p->got < want) {
			int rc = recv_data_more(p);

			if (rc < 0) {
				px_buf_unref(&p->buf);
				recv_failed(p, rc);
			}
			return;
		}
		res = (int)p->got;
	}
	/* A sender that resumes: a broken connection only waits for the
	 * next one (a half-received frame comes again). */
	if (p->resume && !p->got_eos && (res < 0 || (uint32_t)res < want)) {
		if (s->many) {
			peer_away(p, res < 0 ? res : -EPIPE,
				  res < 0 ? "a receive failed" :
					    "the sender closed the connection");
		} else {
			px_buf_unref(&p->buf);
			p->phase = PH_HEAD;
			net_link_lost(&s->link, res < 0 ? res : -EPIPE,
				      res < 0 ? "a receive failed" :
						"the sender closed the "
						"connection");
		}
		px_element_schedule(s->e);
		return;
	}
	if (res < 0) {
		bad_frame(p, res, "receive failed: %s", px_strerror(res));
	} else if (res == 0 && p->phase == PH_HEAD) {
		bad_frame(p, -EPIPE, "the peer closed the connection before "
				     "EOS");
	} else if ((uint32_t)res < want) {
		bad_frame(p, -EPIPE,
			  "the peer closed the connection %u bytes into a "
			  "%u-byte %s",
			  (unsigned)res, want,
			  p->phase == PH_HEAD ? "header" : "payload");
	} else if (p->phase == PH_HEAD) {
		on_head(p);
		return;
	} else {
		px_stat_add(&s->frames_received, 1);
		if (p->phase == PH_DATA)
			on_data(p);
		else
			on_other(p);
	}
	if (!s->failed)
		px_element_schedule(s->e);
}

static void send_done(struct px_op *op, int res, uint32_t flags)
{
	struct nsrc_peer *p = px_container_of(op, struct nsrc_peer, send_op);
	struct netsrc *s = p->s;

	(void)flags;
	if (s->many ? s->stopping : px_conn_op_ended(&s->link.conn)) {
		if (s->many && !peer_busy(p))
			peer_free(p);
		return;
	}
	if (res < 0 && s->many)
		(void)shutdown(p->fd, SHUT_RDWR); /* the receive says why */
	else if (res < 0)
		net_link_lost(&s->link, res, "a send failed");
	else
		send_control(p);
	px_element_schedule(s->e);
}

/* ---- pushing --------------------------------------------------------------- */

/* Whether caps A and B print the same. */
static bool caps_same(const struct px_caps *a, const struct px_caps *b)
{
	char ta[512], tb[512];

	px_caps_to_string(a, ta, sizeof(ta));
	px_caps_to_string(b, tb, sizeof(tb));
	return strcmp(ta, tb) == 0;
}

/* Push P's caps and the buffer that arrived, if any. False when work()
 * must stop here: the link is full (it schedules us), or the run ended. */
static bool push_pending(struct nsrc_peer *p)
{
	struct netsrc *s = p->s;
	struct px_item it;
	enum px_flow f;
	uint32_t len;

	if (p->caps && s->many && s->caps_sent) {
		/* One pad, one caps: every sender's must be the first's. */
		if (!caps_same(p->caps, s->caps_sent)) {
			char have[256], got[256];

			px_caps_to_string(s->caps_sent, have, sizeof(have));
			px_caps_to_string(p->caps, got, sizeof(got));
			bad_frame(p, -EPROTO, "caps %s, but the stream has %s",
				  got, have);
			return true;
		}
		px_caps_unref(p->caps);
		p->caps = NULL;
	}
	if (p->caps) {
		if (px_pad_push_caps(s->src, p->caps) < 0) {
			s->failed = true; /* the engine posted why */
			return false;
		}
		px_caps_unref(s->caps_sent);
		s->caps_sent = p->caps;
		p->caps = NULL;
	}
	if (p->phase != PH_READY)
		return true;
	px_item_from_buf(&it, &p->buf);
	if (s->many) {
		/* Its stream's marks are ours to set: only LAST ends it. */
		it.stream = p->stream;
		it.buf.stream_offset = p->offset;
		it.buf.flags &= (uint16_t)~PX_BUF_FLAG_LAST;
		if (!p->started)
			it.buf.flags |= PX_BUF_FLAG_DISCONT;
	}
	len = it.buf.length;
	f = px_pad_push(s->src, &it);
	if (f == PX_FLOW_BUSY)
		return false; /* scheduled when the link drains */
	memset(&p->buf, 0, sizeof(p->buf));
	p->phase = PH_HEAD;
	p->started = true;
	p->offset += len;
	delivered(p, p->seq, len, false);
	if (p->claimed_by)
		px_element_schedule(s->e); /* its heir may take over now */
	if (f != PX_FLOW_OK) {
		s->done = true; /* downstream takes no more */
		return false;
	}
	return true;
}

/* ---- one sender ------------------------------------------------------------- */

/* The end of a stop, every op ended. */
static void release_held(struct px_conn *c)
{
	struct netsrc *s = px_container_of(c, struct netsrc, link.conn);

	px_buf_unref(&s->one.buf);
	px_caps_unref(s->one.caps);
	s->one.caps = NULL;
	px_caps_unref(s->caps_sent);
	s->caps_sent = NULL;
	free(s->one.ctl);
	s->one.ctl = NULL;
}

static void fail_recv(struct nsrc_peer *p, int rc)
{
	p->s->failed = true;
	px_element_error(p->s->e, rc, "%s: cannot receive from %s: %s",
			 px_element_name(p->s->e), peer_name(p),
			 px_strerror(rc));
}

/* A receive could not be started: with many senders that connection
 * ends, with one the pipeline fails. */
static void recv_failed(struct nsrc_peer *p, int rc)
{
	if (p->s->many)
		bad_frame(p, rc, "cannot receive: %s", px_strerror(rc));
	else
		fail_recv(p, rc);
}

/* A DATA frame's header is in: a slot for it, then its receive. With no
 * slot free it waits (scheduled when one returns). */
static void receive_data(struct nsrc_peer *p)
{
	int rc = px_element_buf_alloc(p->s->e, p->s->pool,
				      p->f.length - NET_DATA_HDR_SIZE,
				      &p->buf);

	if (rc == -ENOBUFS)
		return;
	if (rc < 0 || (rc = recv_data(p)) < 0) {
		px_buf_unref(&p->buf);
		recv_failed(p, rc);
	}
}

/* Asked to end (EOS requested: Ctrl-C, the application) while no sender
 * is connected: none came yet, or one is away and may resume. Stop
 * waiting for it; what arrived is pushed first. */
static void end_unconnected(struct netsrc *s)
{
	if (px_conn_end_wait(&s->link.conn) || peer_busy(&s->one))
		return; /* their completions schedule us */
	if (push_pending(&s->one))
		s->done = px_element_push_eos(s->e) != PX_FLOW_BUSY;
}

static void work_one(struct netsrc *s)
{
	struct nsrc_peer *p = &s->one;
	bool fresh;
	int rc;

	if (!s->link.up && !s->link.conn.stopping && !s->failed && !s->done &&
	    px_element_eos_requested(s->e)) {
		end_unconnected(s);
		return;
	}
	if (!net_link_work(&s->link, &s->failed, s->done, &fresh))
		return; /* the link schedules us once connected */
	if (fresh) {
		/* A new connection: a new byte stream, and our greeting. */
		peer_conn_reset(p);
		p->phase = p->phase == PH_READY ? PH_READY : PH_HEAD;
		p->hello_due = true;
		send_control(p);
	}
	if (!p->got_eos && px_element_eos_requested(s->e) &&
	    px_op_busy(&p->recv_op)) {
		/* Asked to end while a sender is connected: stop receiving.
		 * A frame half received is dropped; the sender sees the
		 * connection close. */
		(void)px_io_cancel(s->r, &p->recv_op);
		return; /* the cancelled receive schedules us */
	}
	if (px_op_busy(&p->recv_op))
		return;
	if (!push_pending(p))
		return;
	if (p->got_eos || px_element_eos_requested(s->e)) {
		/* The stream's end: nothing is read after it. */
		s->done = px_element_push_eos(s->e) != PX_FLOW_BUSY;
		if (s->done && p->got_eos)
			delivered(p, p->seq, 0, true);
		return;
	}
	if (p->phase == PH_SLOT) {
		receive_data(p);
		return;
	}
	rc = recv_head(p);
	if (rc < 0)
		fail_recv(p, rc);
}

/* ---- many senders ----------------------------------------------------------- */

static struct nsrc_peer *find_stream(struct netsrc *s, uint64_t stream_id,
				     const struct nsrc_peer *not)
{
	struct px_list *pos;

	px_list_for_each(pos, &s->peers) {
		struct nsrc_peer *q = px_list_entry(pos, struct nsrc_peer,
						     node);

		if (q != not && q->stream_id == stream_id && !q->ending &&
		    !q->adopted)
			return q;
	}
	return NULL;
}

/* Close P's connection (its ops have ended). */
static void peer_close(struct nsrc_peer *p)
{
	if (p->fd < 0)
		return;
	close(p->fd);
	p->fd = -1;
	px_stat_add(&p->s->clients, -1);
	p->s->accept_failed = false; /* a socket is free again */
}

static void peer_free(struct nsrc_peer *p)
{
	if (p->claimed_by && p->claimed_by->heir == p)
		p->claimed_by->heir = NULL; /* it ended first: nothing to take */
	if (p->heir && p->heir->claimed_by == p)
		p->heir->claimed_by = NULL;
	peer_close(p);
	px_buf_unref(&p->buf);
	px_caps_unref(p->caps);
	free(p->ctl);
	px_list_del(&p->node);
	free(p);
}

/* P's stream ends: an empty LAST buffer says so downstream (work()), then
 * P goes. Its connection is shut down unless the sender ended it (EOS:
 * the EOS frame's ACK still goes out). */
static void peer_end(struct nsrc_peer *p)
{
	if (p->ending)
		return;
	p->ending = true;
	if (p->phase != PH_READY) { /* a buffer that arrived still goes */
		px_buf_unref(&p->buf);
		p->phase = PH_HEAD;
	}
	if (!p->got_eos && p->fd >= 0)
		(void)shutdown(p->fd, SHUT_RDWR);
	px_element_schedule(p->s->e);
}

static void timer_done(struct px_op *op, int res, uint32_t flags)
{
	struct netsrc *s = px_container_of(op, struct netsrc, timer_op);

	(void)res;
	(void)flags;
	s->timer_armed = false;
	if (!s->stopping)
		px_element_schedule(s->e);
}

static void accept_done(struct px_op *op, int res, uint32_t flags)
{
	struct netsrc *s = px_container_of(op, struct netsrc, accept_op);
	struct nsrc_peer *p = NULL;

	if (!(flags & PX_OP_MORE))
		s->accepting = false;
	if (px__server_accepted(s->e, res, s->stopping || s->ending,
				px_stat_get(&s->clients), s->max_clients,
				&s->refused, "senders", s->where,
				&s->accept_failed)) {
		p = malloc(sizeof(*p));
		if (p) {
			peer_init(p, s);
			p->ctl = malloc(NET_CTL_MAX + 1);
		}
		if (!p || !p->ctl) {
			free(p);
			close(res);
			px_element_warning(s->e, "%s: out of memory for a "
					   "sender: closed it",
					   px_element_name(s->e));
		} else {
			struct sockaddr_storage ss;
			socklen_t sl = sizeof(ss);

			p->fd = res;
			p->stream = px__next_stream();
			if (getpeername(res, (struct sockaddr *)&ss, &sl) == 0)
				px_net_addr_str((struct sockaddr *)&ss, sl,
						p->addr, sizeof(p->addr));
			else
				snprintf(p->addr, sizeof(p->addr), "a sender");
			px_element_op_init(s->e, &p->recv_op);
			px_element_op_init(s->e, &p->send_op);
			px_net_tune_socket(res);
			px_stat_add(&s->clients, 1);
			px_list_add_tail(&s->peers, &p->node);
		}
	}
	if (!s->accepting && s->stopping && s->lfd >= 0) {
		close(s->lfd);
		s->lfd = -1;
	}
	if (!s->stopping)
		px_element_schedule(s->e);
}

/* Serve one peer's turn. False when downstream is full (or the run ended):
 * the rest wait for the next turn. */
static bool serve(struct nsrc_peer *p, uint64_t now, uint64_t *wake)
{
	struct netsrc *s = p->s;
	uint64_t until;

	if (p->phase == PH_ADOPT) {
		/* Once the old connection's ops ended and the frame it
		 * received last went downstream: its seq is then final. */
		if (p->heir && (peer_busy(p->heir) ||
				p->heir->phase == PH_READY))
			return true; /* its completions or push schedule us */
		if (p->heir)
			adopt(p, p->heir);
		p->heir = NULL;
		p->phase = PH_HEAD;
		p->hello_due = p->resume;
		send_control(p);
	}
	if (p->adopted) { /* its stream went on elsewhere, or ended */
		if (!peer_busy(p))
			peer_free(p);
		return true;
	}
	if (!push_pending(p))
		return false;
	if (p->away && !p->ending) {
		if (!peer_busy(p))
			peer_close(p);
		until = p->lost_at + (uint64_t)s->reconnect_timeout;
		if (p->claimed_by)
			return true; /* a new connection takes it over */
		if (now < until) {
			*wake = PX_MIN(*wake, until - now);
			return true;
		}
		px_element_warning(s->e,
				   "%s: gave up on %s (stream %u) after %.1f s "
				   "without it (reconnect-timeout): its stream "
				   "ends",
				   px_element_name(s->e), peer_name(p),
				   p->stream, (double)(now - p->lost_at) / 1e9);
		peer_end(p);
	}
	if (p->got_eos && !p->ending && !px_op_busy(&p->recv_op))
		peer_end(p); /* the sender's EOS ends its stream */
	if (p->ending) {
		struct px_item it;
		enum px_flow f;
		int rc;

		if (px_op_busy(&p->recv_op))
			return true; /* ends by the shutdown */
		if (!p->buf.pool) {
			rc = px_element_buf_alloc(s->e, s->pool, 0, &p->buf);
			if (rc < 0)
				return true; /* -ENOBUFS: when a slot returns */
		}
		p->buf.length = 0;
		p->buf.flags = PX_BUF_FLAG_LAST;
		p->buf.seq = p->seq;
		px_item_from_buf(&it, &p->buf);
		it.stream = p->stream;
		it.buf.stream_offset = p->offset;
		f = px_pad_push(s->src, &it);
		if (f == PX_FLOW_BUSY)
			return false;
		memset(&p->buf, 0, sizeof(p->buf));
		s->finished++;
		if (p->got_eos)
			delivered(p, p->seq, 0, true); /* the EOS frame's ACK */
		p->adopted = true; /* nothing more: freed once idle */
		if (!peer_busy(p))
			peer_free(p);
		if (f != PX_FLOW_OK) {
			s->done = true;
			return false;
		}
		return true;
	}
	if (p->away || px_op_busy(&p->recv_op) || p->fd < 0)
		return true;
	if (p->phase == PH_SLOT) {
		receive_data(p); /* no slot: the others may still push */
		return true;
	}
	if (recv_head(p) < 0)
		bad_frame(p, -EIO, "cannot receive");
	return true;
}

static void work_many(struct netsrc *s)
{
	struct px_list *pos, *tmp;
	uint64_t now = net_now_ns(), wake = UINT64_MAX;

	if (!s->ending && (px_element_eos_requested(s->e) ||
			   (s->num_clients >= 0 &&
			    s->finished >= (uint64_t)s->num_clients))) {
		/* EOS: no new senders; every stream ends with LAST. */
		s->ending = true;
		if (s->accepting)
			(void)px_io_cancel(s->r, &s->accept_op);
		px_list_for_each(pos, &s->peers)
			peer_end(px_list_entry(pos, struct nsrc_peer, node));
	}
	if (!s->ending && !s->accepting && !s->accept_failed && s->lfd >= 0) {
		int rc = px_io_accept(s->r, &s->accept_op, s->lfd, NULL, NULL,
				      SOCK_CLOEXEC, true, accept_done);

		if (rc == -EOPNOTSUPP)
			rc = px_io_accept(s->r, &s->accept_op, s->lfd, NULL,
					  NULL, SOCK_CLOEXEC, false,
					  accept_done);
		if (rc == 0)
			s->accepting = true;
	}
	/* Round robin: each turn starts one peer further, so a full link
	 * downstream does not always leave the same senders waiting. */
	pos = px_list_first(&s->peers);
	if (pos) {
		px_list_del(pos);
		px_list_add_tail(&s->peers, pos);
	}
	px_list_for_each_safe(pos, tmp, &s->peers) {
		struct nsrc_peer *p = px_list_entry(pos, struct nsrc_peer, node);

		if (!serve(p, now, &wake) || s->done || s->failed)
			return;
	}
	if (wake != UINT64_MAX && !s->timer_armed &&
	    px_io_timeout(s->r, &s->timer_op, wake, timer_done) == 0)
		s->timer_armed = true;
	if (!s->ending || !px_list_empty(&s->peers) || s->accepting)
		return;
	if (px_element_push_eos(s->e) != PX_FLOW_BUSY)
		s->done = true;
}

/* Many senders: listen (px_conn serves one connection only). */
static int start_many(struct netsrc *s)
{
	unsigned port = 0;
	int rc;

	if (s->mode != PX_CONN_SERVER) {
		px_element_error(s->e, -EINVAL,
				 "%s: max-clients=%lld needs mode=server",
				 px_element_name(s->e),
				 (long long)s->max_clients);
		return -EINVAL;
	}
	rc = px__server_listen(s->e, s->host, s->port, false, false, s->where,
			       sizeof(s->where), &port);
	if (rc < 0)
		return rc;
	s->lfd = rc;
	px_stat_set(&s->bound_port, port);
	return 0;
}

/* ---- the element ------------------------------------------------------------ */

static int netsrc_start(struct px_element *e)
{
	struct netsrc *s = px_element_priv(e);
	uint32_t slots;
	int rc;

	s->e = e;
	s->r = px_element_reactor(e);
	s->src = px_element_pad(e, "src");
	s->many = s->max_clients > 1;
	s->failed = s->done = false;
	s->stopping = s->ending = s->accepting = s->timer_armed = false;
	s->accept_failed = false;
	s->lfd = -1;
	s->finished = 0;
	s->caps_sent = NULL;
	px_list_init(&s->peers);
	px_stat_set(&s->repeats, 0);
	px_stat_set(&s->acks_sent, 0);
	px_stat_set(&s->frames_received, 0);
	px_stat_set(&s->clients, 0);
	px_stat_set(&s->refused, 0);
	peer_init(&s->one, s);
	px_op_init(&s->one.recv_op);
	px_op_init(&s->one.send_op);
	/* The pool first: a sender that connects as soon as we listen must
	 * not wait for a large pool to be made and registered. */
	slots = s->pool_slots ? (uint32_t)s->pool_slots :
				(uint32_t)PX_MAX((64ull << 20) / s->max_frame,
						 8);
	rc = px_element_pool_create(e, (uint32_t)s->max_frame, slots,
				    &s->pool);
	if (rc < 0)
		return rc;
	if (s->many) {
		px_element_op_init(e, &s->accept_op);
		px_element_op_init(e, &s->timer_op);
		return start_many(s);
	}
	s->one.ctl = malloc(NET_CTL_MAX + 1);
	if (!s->one.ctl)
		return -ENOMEM;
	rc = net_link_start(&s->link, e, s->mode, s->host, s->port,
			    &s->one.recv_op, &s->one.send_op, release_held,
			    (uint64_t)s->reconnect_timeout);
	if (rc < 0) {
		free(s->one.ctl);
		s->one.ctl = NULL;
		return rc;
	}
	px_stat_set(&s->bound_port, s->link.conn.bound_port);
	return 0;
}

static void netsrc_work(struct px_element *e)
{
	struct netsrc *s = px_element_priv(e);

	if (!s->many)
		work_one(s);
	else if (!s->stopping && !s->done && !s->failed)
		work_many(s);
}

static int netsrc_stop(struct px_element *e)
{
	struct netsrc *s = px_element_priv(e);
	struct px_list *pos, *tmp;

	if (!s->many)
		return px_conn_stop(&s->link.conn);
	s->stopping = true;
	if (s->accepting)
		(void)px_io_cancel(s->r, &s->accept_op);
	else if (s->lfd >= 0) {
		close(s->lfd);
		s->lfd = -1;
	}
	if (s->timer_armed)
		(void)px_io_cancel(s->r, &s->timer_op);
	px_list_for_each_safe(pos, tmp, &s->peers) {
		struct nsrc_peer *p = px_list_entry(pos, struct nsrc_peer, node);

		if (!peer_busy(p)) {
			peer_free(p);
			continue;
		}
		if (px_op_busy(&p->recv_op))
			(void)px_io_cancel(s->r, &p->recv_op);
		if (px_op_busy(&p->send_op))
			(void)px_io_cancel(s->r, &p->send_op);
	}
	px_caps_unref(s->caps_sent);
	s->caps_sent = NULL;
	return PX_STOP_WHEN_IDLE;
}

const struct px_element_class px__netsrc_class = {
	.name = "netsrc",
	.description = "Receives buffers and events from other hosts in "
		       "checked STRM frames (docs/net.md)",
	.priv_size = sizeof(struct netsrc),
	.pads = netsrc_pads,
	.n_pads = PX_ARRAY_SIZE(netsrc_pads),
	.props = netsrc_props,
	.n_props = PX_ARRAY_SIZE(netsrc_props),
	.prop_changed = px__net_source_prop_changed,
	.start = netsrc_start,
	.work = netsrc_work,
	.stop = netsrc_stop,
};
