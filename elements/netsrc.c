// SPDX-License-Identifier: MIT
/*
 * netsrc.c - receives a stream of checked STRM frames (net_frame.h,
 * docs/net.md) from netsink or any program that speaks the format: the
 * 16-byte header first, then a DATA frame's 32-byte item header and its
 * bytes in one receive, the bytes straight into a pool slot (no bounce
 * buffer). Every header field is checked before use and every payload's
 * CRC32C after it arrived; the first bad frame is an ERROR naming the peer
 * and the frame's byte offset, and the connection is closed.
 *
 * Resume. netsrc greets every connection with a HELLO saying the stream it
 * follows and the last seq it delivered downstream, and acknowledges
 * (ACK) what it delivered at least every NSRC_ACK_FRAMES frames and every
 * quarter of the sender's retain-bytes. When a sender that can resume
 * loses the connection, the link waits for it again (net_link.h); frames
 * it sends again that were delivered already are dropped by seq, so
 * downstream sees no loss, no repeat, no reordering.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "elements_int.h"
#include "net_frame.h"
#include "px_buf.h"
#include "px_caps.h"
#include "net_link.h"
#include "px_crc32c.h"
#include "px_element.h"
#include "px_error.h"
#include "px_reactor.h"

/* What the one receive in flight reads. */
enum nsrc_phase {
	PH_HEAD,  /* the next frame's 16-byte header */
	PH_SLOT,  /* waiting for a slot for a DATA frame (no receive) */
	PH_DATA,  /* a DATA frame's item header and bytes */
	PH_OTHER, /* another frame's payload, into ctl */
	PH_READY, /* a buffer or event to push */
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
	px_stat_i64 bound_port;
	px_stat_u64 frames_received;
	px_stat_u64 repeats;

	/* run state, reset by start() */
	struct px_element *e;
	struct px_reactor *r;
	struct px_pad *src;
	struct px_pool *pool;
	struct net_link link;
	struct px_op recv_op, send_op;
	enum nsrc_phase phase;
	uint8_t head[NET_HDR_SIZE];
	uint8_t item[NET_DATA_HDR_SIZE];
	uint8_t *ctl; /* NET_CTL_MAX bytes (malloc'ed) */
	struct net_frame f;
	struct px_buf buf; /* the slot received into */
	struct iovec iov[2];
	struct msghdr msg;
	struct px_caps *caps; /* to push before the next buffer */
	bool got_eos, failed, done, sender_crc;
	bool resume;	   /* the sender keeps frames for a resend */
	uint64_t received; /* bytes of this connection */
	uint64_t frame_at; /* byte offset of the current frame */
	uint64_t seq;	   /* of the last DATA or EVENT frame accepted */
	uint64_t frames;   /* frames of any kind */
	uint64_t stream_id; /* the sender's, from its HELLO */
	uint64_t retain;    /* the sender's retain bytes */
	/* Acknowledgement: the last seq delivered, and what went since. */
	uint64_t delivered, acked, ack_bytes;
	unsigned ack_frames;
	bool hello_due, ack_due;
	uint8_t tx[NET_HDR_SIZE + NET_HELLO_FIXED];
};

/* ACK at least this often (the sender keeps at most 4096 frames). */
#define NSRC_ACK_FRAMES 256

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
	PX_PROP_STAT_U64_SPEC("frames-received", PX_PROP_UINT64, struct netsrc,
			      frames_received, "frames of every kind received"),
	PX_PROP_STAT_U64_SPEC("repeats", PX_PROP_UINT64, struct netsrc, repeats,
			      "frames sent again after a reconnection that "
			      "were delivered already (dropped)"),
};

static const struct px_pad_template netsrc_pads[] = {
	{ "src", PX_PAD_SRC, PX_PAD_ALWAYS, "ANY" },
};

static void recv_done(struct px_op *op, int res, uint32_t flags);
static void send_done(struct px_op *op, int res, uint32_t flags);
static void on_other(struct netsrc *s);

/* The end of a stop, every op ended. */
static void release_held(struct px_conn *c)
{
	struct netsrc *s = px_container_of(c, struct netsrc, link.conn);

	px_buf_unref(&s->buf);
	px_caps_unref(s->caps);
	s->caps = NULL;
	free(s->ctl);
	s->ctl = NULL;
}

/* An ERROR naming the peer and the frame's byte offset; the connection
 * closes (the peer sees it), the pipeline stops. */
PX_PRINTF(3, 4)
static void bad_frame(struct netsrc *s, int err, const char *fmt, ...)
{
	char why[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	s->failed = true;
	px_buf_unref(&s->buf);
	if (s->link.conn.fd >= 0)
		(void)shutdown(s->link.conn.fd, SHUT_RDWR);
	px_element_error(s->e, err,
			 "%s: frame %" PRIu64 " from %s at byte offset %" PRIu64
			 ": %s; connection closed",
			 px_element_name(s->e), s->frames + 1,
			 net_link_peer(&s->link), s->frame_at, why);
}

static int netsrc_start(struct px_element *e)
{
	struct netsrc *s = px_element_priv(e);
	uint32_t slots;
	int rc;

	s->e = e;
	s->r = px_element_reactor(e);
	s->src = px_element_pad(e, "src");
	memset(&s->buf, 0, sizeof(s->buf));
	px_op_init(&s->recv_op);
	px_op_init(&s->send_op);
	s->resume = s->hello_due = s->ack_due = false;
	s->stream_id = s->retain = 0;
	s->delivered = s->acked = s->ack_bytes = 0;
	s->ack_frames = 0;
	px_stat_set(&s->repeats, 0);
	s->phase = PH_HEAD;
	s->caps = NULL;
	s->got_eos = s->failed = s->done = false;
	s->sender_crc = true;
	s->received = s->frame_at = s->seq = s->frames = 0;
	px_stat_set(&s->frames_received, 0);
	s->ctl = malloc(NET_CTL_MAX + 1);
	if (!s->ctl)
		return -ENOMEM;
	/* The pool first: a sender that connects as soon as we listen must
	 * not wait for a large pool to be made and registered. */
	slots = s->pool_slots ? (uint32_t)s->pool_slots :
				(uint32_t)PX_MAX((64ull << 20) / s->max_frame,
						 8);
	rc = px_element_pool_create(e, (uint32_t)s->max_frame, slots,
				    &s->pool);
	if (rc < 0)
		goto err;
	rc = net_link_start(&s->link, e, s->mode, s->host, s->port,
			    &s->recv_op, &s->send_op, release_held,
			    (uint64_t)s->reconnect_timeout);
	if (rc < 0)
		goto err;
	px_stat_set(&s->bound_port, s->link.conn.bound_port);
	return 0;
err:
	free(s->ctl);
	s->ctl = NULL;
	return rc;
}

static int recv_head(struct netsrc *s)
{
	s->frame_at = s->received;
	s->phase = PH_HEAD;
	return px_io_recv(s->r, &s->recv_op, s->link.conn.fd, s->head,
			  NET_HDR_SIZE, MSG_WAITALL, recv_done);
}

/* The DATA frame's item header and bytes, the bytes into the slot. */
static int recv_data(struct netsrc *s)
{
	s->iov[0] = (struct iovec){ s->item, NET_DATA_HDR_SIZE };
	s->iov[1] = (struct iovec){ px_buf_data(&s->buf), s->buf.length };
	memset(&s->msg, 0, sizeof(s->msg));
	s->msg.msg_iov = s->iov;
	s->msg.msg_iovlen = s->buf.length ? 2 : 1;
	s->phase = PH_DATA;
	return px_io_recvmsg(s->r, &s->recv_op, s->link.conn.fd, &s->msg,
			     MSG_WAITALL, recv_done);
}

static bool crc_ok(struct netsrc *s, uint32_t got)
{
	if (!s->crc || !s->sender_crc || got == s->f.crc)
		return true;
	bad_frame(s, -EBADMSG,
		  "CRC32C 0x%08x in the header, 0x%08x over the %u payload "
		  "bytes",
		  s->f.crc, got, s->f.length);
	return false;
}

/* 1: the next frame; 0: a repeat after a resume (drop it); -1: bad. */
static int seq_ok(struct netsrc *s, uint64_t seq)
{
	if (seq == s->seq + 1) {
		s->seq = seq;
		return 1;
	}
	if (seq <= s->seq && s->resume) {
		px_stat_add(&s->repeats, 1);
		return 0;
	}
	bad_frame(s, -EPROTO, "seq %" PRIu64 " after %" PRIu64 " (%s)", seq,
		  s->seq, seq <= s->seq ? "a repeat" : "frames lost");
	return -1;
}

/* ---- HELLO and ACK to the sender ------------------------------------------ */

static void send_control(struct netsrc *s)
{
	uint32_t len;

	if (px_op_busy(&s->send_op) || s->link.dropping || !s->link.up)
		return;
	if (s->hello_due) {
		struct net_hello h = { .flags = NET_HELLO_RESUME,
				       .stream_id = s->stream_id,
				       .seq = s->delivered };

		len = net_hello_put(s->tx + NET_HDR_SIZE, &h);
		s->hello_due = false;
		net_hdr_put(s->tx, NET_HELLO, len,
			    px_crc32c(0, s->tx + NET_HDR_SIZE, len));
	} else if (s->ack_due) {
		len = NET_ACK_SIZE;
		net_put64(s->tx + NET_HDR_SIZE, s->delivered);
		s->acked = s->delivered;
		s->ack_due = false;
		net_hdr_put(s->tx, NET_ACK, len,
			    px_crc32c(0, s->tx + NET_HDR_SIZE, len));
	} else {
		return;
	}
	if (px_io_send(s->r, &s->send_op, s->link.conn.fd, s->tx,
		       NET_HDR_SIZE + len, MSG_NOSIGNAL | MSG_WAITALL,
		       send_done) < 0)
		net_link_lost(&s->link, -EIO, "cannot send to the sender");
}

static void send_done(struct px_op *op, int res, uint32_t flags)
{
	struct netsrc *s = px_container_of(op, struct netsrc, send_op);

	(void)flags;
	if (px_conn_op_ended(&s->link.conn))
		return;
	if (res < 0)
		net_link_lost(&s->link, res, "a send failed");
	else
		send_control(s);
	px_element_schedule(s->e);
}

/* SEQ (BYTES) went downstream: acknowledge it when it is time. */
static void delivered(struct netsrc *s, uint64_t seq, uint32_t bytes, bool eos)
{
	s->delivered = seq;
	s->ack_bytes += bytes;
	s->ack_frames++;
	if (!s->resume)
		return;
	if (eos || s->ack_frames >= NSRC_ACK_FRAMES ||
	    s->ack_bytes >= s->retain / 4) {
		s->ack_due = true;
		s->ack_bytes = 0;
		s->ack_frames = 0;
		send_control(s);
	}
}

/* A header arrived: check it and start reading what follows. */
static void on_head(struct netsrc *s)
{
	char why[160];

	if (net_hdr_check(s->head, (uint32_t)s->max_frame, &s->f, why,
			  sizeof(why))) {
		bad_frame(s, -EPROTO, "%s", why);
		return;
	}
	if (s->f.kind == NET_DATA) {
		s->phase = PH_SLOT; /* work() finds a slot */
		px_element_schedule(s->e);
		return;
	}
	s->phase = PH_OTHER;
	if (!s->f.length) {
		s->frames++;
		px_stat_add(&s->frames_received, 1);
		on_other(s);
		if (!s->failed)
			px_element_schedule(s->e);
		return;
	}
	if (px_io_recv(s->r, &s->recv_op, s->link.conn.fd, s->ctl, s->f.length,
		       MSG_WAITALL, recv_done) < 0)
		bad_frame(s, -EIO, "cannot receive its payload");
}

static void on_data(struct netsrc *s)
{
	struct net_data d;
	uint32_t crc = 0;

	if (s->crc && s->sender_crc)
		crc = px_crc32c(px_crc32c(0, s->item, NET_DATA_HDR_SIZE),
				px_buf_data(&s->buf), s->buf.length);
	if (!crc_ok(s, crc))
		return;
	net_data_get(s->item, &d);
	switch (seq_ok(s, d.seq)) {
	case -1:
		return;
	case 0:
		px_buf_unref(&s->buf); /* delivered before the reconnection */
		s->phase = PH_HEAD;
		return;
	}
	s->buf.seq = d.seq;
	s->buf.pts = d.pts;
	s->buf.duration = d.duration;
	/* Another host's verdict on the bytes is not ours: a record is
	 * validated again here (px_record.h). */
	s->buf.flags = (uint16_t)d.flags & (uint16_t)~PX_BUF_FLAG_VALIDATED;
	s->buf.stream_offset = PX_OFFSET_NONE;
	s->phase = PH_READY;
}

/* A frame other than DATA, its payload in ctl. */
/* Caps text at ctl[AT..AT+LEN) to push before the next buffer (ctl has a
 * spare byte past any payload for the NUL). Caps that do not parse are
 * left out: the link's caps stay. */
static void take_caps(struct netsrc *s, size_t at, uint16_t len)
{
	char *text = (char *)s->ctl + at;
	char saved = text[len];
	struct px_caps *caps;

	text[len] = '\0';
	if (px_caps_parse(text, &caps, NULL) == 0) {
		px_caps_unref(s->caps);
		s->caps = caps;
	}
	text[len] = saved;
}

static void on_other(struct netsrc *s)
{
	const uint8_t *p = s->ctl;
	struct net_hello h = { 0 };
	char why[160];

	if (s->f.kind == NET_HELLO) {
		/* Whether the sender computes CRCs is in the HELLO itself:
		 * read the flag first, then check. */
		if (net_hello_get(p, s->f.length, &h, why, sizeof(why))) {
			bad_frame(s, -EPROTO, "%s", why);
			return;
		}
		s->sender_crc = !(h.flags & NET_HELLO_NO_CRC);
		s->resume = (h.flags & NET_HELLO_RESUME) != 0;
		s->retain = h.retain_bytes;
		if (h.stream_id != s->stream_id) {
			/* Another stream (or the first): it goes on from
			 * its next seq. */
			s->stream_id = h.stream_id;
			s->seq = h.seq ? h.seq - 1 : 0;
		}
	}
	if (!crc_ok(s, s->crc && s->sender_crc ?
			       px_crc32c(0, p, s->f.length) :
			       0))
		return;
	if (s->f.kind == NET_HELLO && h.caps_len) {
		take_caps(s, (size_t)(h.caps - (const char *)s->ctl),
			  h.caps_len);
	} else if (s->f.kind == NET_EVENT) {
		uint16_t type, size = 0;

		if (s->f.length >= NET_EVENT_HDR_SIZE)
			size = net_get16(p + 10);
		if (s->f.length < NET_EVENT_HDR_SIZE ||
		    size != s->f.length - NET_EVENT_HDR_SIZE) {
			bad_frame(s, -EPROTO,
				  "EVENT frame of %u bytes whose data size "
				  "does not match",
				  s->f.length);
			return;
		}
		switch (seq_ok(s, net_get64(p))) {
		case -1:
			return;
		case 0:
			s->phase = PH_HEAD;
			return;
		}
		type = net_get16(p + 8);
		if (type == PX_EVENT_EOS) {
			s->got_eos = true;
		} else if (type == PX_EVENT_CAPS && size) {
			take_caps(s, NET_EVENT_HDR_SIZE, size);
		}
	}
	/* An ACK from the sender asks us to acknowledge now: everything
	 * before it was delivered already. */
	if (s->f.kind == NET_ACK && s->resume) {
		s->ack_due = true;
		s->ack_bytes = 0;
		s->ack_frames = 0;
		send_control(s);
	}
	/* Kinds this version does not know: skipped. */
	s->phase = PH_HEAD;
}

static void recv_done(struct px_op *op, int res, uint32_t flags)
{
	struct netsrc *s = px_container_of(op, struct netsrc, recv_op);
	uint32_t want;

	(void)flags;
	if (px_conn_op_ended(&s->link.conn))
		return;
	if (res > 0)
		s->received += (uint64_t)res;
	want = s->phase == PH_HEAD ? NET_HDR_SIZE :
	       s->phase == PH_DATA ? NET_DATA_HDR_SIZE + s->buf.length :
				     s->f.length;
	if (res == -ECANCELED) {
		px_element_schedule(s->e);
		return;
	}
	/* A sender that resumes: a broken connection only waits for the
	 * next one (a half-received frame comes again). */
	if (s->resume && !s->got_eos && (res < 0 || (uint32_t)res < want)) {
		px_buf_unref(&s->buf);
		s->phase = PH_HEAD;
		net_link_lost(&s->link, res < 0 ? res : -EPIPE,
			      res < 0 ? "a receive failed" :
				      "the sender closed the connection");
		px_element_schedule(s->e);
		return;
	}
	if (res < 0) {
		bad_frame(s, res, "receive failed: %s", px_strerror(res));
		return;
	}
	if (res == 0 && s->phase == PH_HEAD) {
		bad_frame(s, -EPIPE, "the peer closed the connection before "
				     "EOS");
		return;
	} else if ((uint32_t)res < want) {
		bad_frame(s, -EPIPE,
			  "the peer closed the connection %u bytes into a "
			  "%u-byte %s",
			  (unsigned)res, want,
			  s->phase == PH_HEAD ? "header" : "payload");
		return;
	} else if (s->phase == PH_HEAD) {
		on_head(s);
		return;
	} else {
		s->frames++;
		px_stat_add(&s->frames_received, 1);
		if (s->phase == PH_DATA)
			on_data(s);
		else
			on_other(s);
	}
	if (!s->failed)
		px_element_schedule(s->e);
}

static void fail_recv(struct netsrc *s, int rc)
{
	s->failed = true;
	px_element_error(s->e, rc, "%s: cannot receive from %s: %s",
			 px_element_name(s->e), net_link_peer(&s->link),
			 px_strerror(rc));
}

/* Push the caps and the buffer that arrived, if any. False when work()
 * must stop here: the link is full (it schedules us), or the run ended. */
static bool push_pending(struct netsrc *s)
{
	struct px_item it;
	enum px_flow f;

	if (s->caps) {
		if (px_pad_push_caps(s->src, s->caps) < 0) {
			s->failed = true; /* the engine posted why */
			return false;
		}
		px_caps_unref(s->caps);
		s->caps = NULL;
	}
	if (s->phase != PH_READY)
		return true;
	px_item_from_buf(&it, &s->buf);
	f = px_pad_push(s->src, &it);
	if (f == PX_FLOW_BUSY)
		return false; /* scheduled when the link drains */
	memset(&s->buf, 0, sizeof(s->buf));
	s->phase = PH_HEAD;
	delivered(s, s->seq, it.buf.length, false);
	if (f != PX_FLOW_OK) {
		s->done = true; /* downstream takes no more */
		return false;
	}
	return true;
}

/* Asked to end (EOS requested: Ctrl-C, the application) while no sender
 * is connected: none came yet, or one is away and may resume. Stop
 * waiting for it; what arrived is pushed first. */
static void end_unconnected(struct netsrc *s)
{
	if (px_conn_end_wait(&s->link.conn) || px_op_busy(&s->recv_op) ||
	    px_op_busy(&s->send_op))
		return; /* their completions schedule us */
	if (push_pending(s))
		s->done = px_element_push_eos(s->e) != PX_FLOW_BUSY;
}

static void netsrc_work(struct px_element *e)
{
	struct netsrc *s = px_element_priv(e);
	bool fresh;
	int rc;

	if (!s->link.up && !s->link.conn.stopping && !s->failed && !s->done &&
	    px_element_eos_requested(e)) {
		end_unconnected(s);
		return;
	}
	if (!net_link_work(&s->link, &s->failed, s->done, &fresh))
		return; /* the link schedules us once connected */
	if (fresh) {
		/* A new connection: a new byte stream, and our greeting. */
		s->received = s->frame_at = 0;
		s->phase = s->phase == PH_READY ? PH_READY : PH_HEAD;
		s->hello_due = true;
		send_control(s);
	}
	if (!s->got_eos && px_element_eos_requested(e) &&
	    px_op_busy(&s->recv_op)) {
		/* Asked to end while a sender is connected: stop receiving.
		 * A frame half received is dropped; the sender sees the
		 * connection close. */
		(void)px_io_cancel(s->r, &s->recv_op);
		return; /* the cancelled receive schedules us */
	}
	if (px_op_busy(&s->recv_op))
		return;
	if (!push_pending(s))
		return;
	if (s->got_eos || px_element_eos_requested(e)) {
		/* The stream's end: nothing is read after it. */
		s->done = px_element_push_eos(e) != PX_FLOW_BUSY;
		if (s->done && s->got_eos)
			delivered(s, s->seq, 0, true);
		return;
	}
	if (s->phase == PH_SLOT) {
		uint32_t len = s->f.length - NET_DATA_HDR_SIZE;

		rc = px_element_buf_alloc(e, s->pool, len, &s->buf);
		if (rc == -ENOBUFS)
			return; /* scheduled when a slot returns */
		if (rc < 0 || (rc = recv_data(s)) < 0) {
			px_buf_unref(&s->buf);
			fail_recv(s, rc);
		}
		return;
	}
	rc = recv_head(s);
	if (rc < 0)
		fail_recv(s, rc);
}

static int netsrc_stop(struct px_element *e)
{
	struct netsrc *s = px_element_priv(e);

	return px_conn_stop(&s->link.conn);
}

const struct px_element_class px__netsrc_class = {
	.name = "netsrc",
	.description = "Receives buffers and events from another host in "
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
