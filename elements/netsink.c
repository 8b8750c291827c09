// SPDX-License-Identifier: MIT
/*
 * netsink.c - sends a pipeline's stream to another host in checked STRM
 * frames (net_frame.h, docs/net.md): a HELLO with the caps first, then one
 * DATA frame per buffer (its 48 header bytes and the slot gathered into one
 * sendmsg with up to NSINK_BATCH buffers, never copied in user space) and
 * an EVENT frame per event, in order. One send in flight keeps the bytes in
 * order and gives backpressure, as tcpsink does.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "net_frame.h"
#include "px_buf.h"
#include "px_caps.h"
#include "px_conn.h"
#include "px_crc32c.h"
#include "px_element.h"
#include "px_error.h"
#include "px_reactor.h"

/* Frames gathered into one sendmsg. */
#define NSINK_BATCH 16
/* Bytes before the payload of a DATA frame. */
#define NSINK_DATA_HEAD (NET_HDR_SIZE + NET_DATA_HDR_SIZE)

/* One frame of the batch: its head bytes, and the buffer whose slot is
 * its payload (DATA), or the text after the head (a CAPS event). */
struct nsink_frame {
	uint8_t head[NSINK_DATA_HEAD];
	uint32_t head_len;
	struct px_buf buf; /* DATA: the payload; else none */
	char *text;	   /* CAPS event: caps text (malloc'ed) */
	uint32_t text_len;
};

struct netsink {
	/* properties */
	char *host;
	int64_t port;
	int mode;
	bool crc;
	px_stat_i64 bound_port;
	px_stat_u64 frames_sent;

	/* run state, reset by start() */
	struct px_element *e;
	struct px_reactor *r;
	struct px_pad *sink;
	struct px_conn conn;
	struct px_op send_op;
	bool hello_sent, eos, failed, finished;
	uint64_t seq;	    /* of the last DATA or EVENT frame */
	uint64_t stream_id; /* random per run: tells a receiver which stream */
	uint8_t *hello;	    /* the HELLO frame (malloc'ed) */
	uint32_t hello_len;
	/* The batch in flight: frames[first..n) not yet fully sent. iov
	 * holds their pieces; iov_frame[i] says whose, and iov_last[i]
	 * whether it ends that frame. */
	struct nsink_frame frames[NSINK_BATCH];
	unsigned first, n;
	struct iovec iov[2 * NSINK_BATCH + 1];
	int8_t iov_frame[2 * NSINK_BATCH + 1]; /* -1: the HELLO */
	bool iov_last[2 * NSINK_BATCH + 1];
	unsigned iov_first, iov_n;
	struct msghdr msg;
	uint64_t sent; /* bytes on this connection */
};

static const struct px_prop_spec netsink_props[] = {
	PX_CONN_PROP_SPECS(struct netsink, 4954, PX_CONN_CLIENT),
	PX_PROP_BOOL_SPEC("crc", struct netsink, crc, true,
			  "CRC32C of every frame (false: the field is 0, and "
			  "HELLO says so; for trusted links)"),
	PX_PROP_STAT_U64_SPEC("frames-sent", PX_PROP_UINT64, struct netsink,
			      frames_sent, "DATA and EVENT frames sent"),
};

static const struct px_pad_template netsink_pads[] = {
	{ "sink", PX_PAD_SINK, PX_PAD_ALWAYS, "ANY" },
};

static void send_done(struct px_op *op, int res, uint32_t flags);

static void frame_release(struct nsink_frame *f)
{
	px_buf_unref(&f->buf);
	free(f->text);
	f->text = NULL;
}

static void release_batch(struct netsink *s)
{
	for (unsigned i = s->first; i < s->n; i++)
		frame_release(&s->frames[i]);
	s->first = s->n = 0;
	s->iov_first = s->iov_n = 0;
}

/* The end of a stop, every op ended. */
static void release_held(struct px_conn *c)
{
	struct netsink *s = px_container_of(c, struct netsink, conn);

	release_batch(s);
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

/* The HELLO frame: stream id, caps of the link. */
static int make_hello(struct netsink *s)
{
	const struct px_caps *caps = px_pad_link_caps(s->sink);
	char text[NET_CTL_MAX - NET_HELLO_FIXED];
	struct net_hello h = { .stream_id = s->stream_id, .seq = 1 };
	uint32_t len;

	text[0] = '\0';
	if (caps)
		(void)px_caps_to_string(caps, text, sizeof(text));
	h.flags = s->crc ? 0 : NET_HELLO_NO_CRC;
	h.caps = text;
	h.caps_len = (uint16_t)strlen(text);
	s->hello = malloc(NET_HDR_SIZE + NET_HELLO_FIXED + h.caps_len);
	if (!s->hello)
		return -ENOMEM;
	len = net_hello_put(s->hello + NET_HDR_SIZE, &h);
	net_hdr_put(s->hello, NET_HELLO, len,
		    s->crc ? px_crc32c(0, s->hello + NET_HDR_SIZE, len) : 0);
	s->hello_len = NET_HDR_SIZE + len;
	return 0;
}

static int netsink_start(struct px_element *e)
{
	struct netsink *s = px_element_priv(e);
	int rc;

	s->e = e;
	s->r = px_element_reactor(e);
	s->sink = px_element_pad(e, "sink");
	px_op_init(&s->send_op);
	s->hello_sent = s->eos = s->failed = s->finished = false;
	s->first = s->n = s->iov_first = s->iov_n = 0;
	s->sent = s->seq = 0;
	s->hello = NULL;
	s->stream_id = random_id();
	px_stat_set(&s->frames_sent, 0);
	rc = px_conn_start(&s->conn, e, (enum px_conn_mode)s->mode, s->host,
			   s->port, &s->send_op, release_held);
	if (rc < 0)
		return rc;
	px_stat_set(&s->bound_port, s->conn.bound_port);
	return 0;
}

static int submit(struct netsink *s)
{
	memset(&s->msg, 0, sizeof(s->msg));
	s->msg.msg_iov = &s->iov[s->iov_first];
	s->msg.msg_iovlen = s->iov_n - s->iov_first;
	return px_io_sendmsg(s->r, &s->send_op, s->conn.fd, &s->msg,
			     MSG_NOSIGNAL | MSG_WAITALL, send_done);
}

static void fail(struct netsink *s, int err, const char *what)
{
	s->failed = true;
	px_element_error(s->e, err,
			 "%s: %s %s after %llu bytes (frame %llu): %s",
			 px_element_name(s->e), what, s->conn.peer,
			 (unsigned long long)s->sent,
			 (unsigned long long)s->seq, px_strerror(err));
}

static void send_done(struct px_op *op, int res, uint32_t flags)
{
	struct netsink *s = px_container_of(op, struct netsink, send_op);
	size_t left = res > 0 ? (size_t)res : 0;
	int rc;

	(void)flags;
	s->sent += left;
	/* Retire what was sent; a partial send resumes mid-piece. */
	while (s->iov_first < s->iov_n &&
	       left >= s->iov[s->iov_first].iov_len) {
		unsigned i = s->iov_first++;

		left -= s->iov[i].iov_len;
		if (s->iov_frame[i] >= 0 && s->iov_last[i]) {
			frame_release(&s->frames[s->first++]);
			px_stat_add(&s->frames_sent, 1);
		}
	}
	if (s->iov_first < s->iov_n && left) {
		s->iov[s->iov_first].iov_base =
			(uint8_t *)s->iov[s->iov_first].iov_base + left;
		s->iov[s->iov_first].iov_len -= left;
	}
	if (px_conn_op_ended(&s->conn))
		return;
	if (res < 0 && res != -EAGAIN && res != -EINTR) {
		fail(s, res, "connection to");
		return;
	}
	if (s->iov_first < s->iov_n) {
		rc = submit(s);
		if (rc < 0)
			fail(s, rc, "cannot send to");
		return;
	}
	s->first = s->n = s->iov_first = s->iov_n = 0;
	px_element_schedule(s->e);
}

static void add_iov(struct netsink *s, void *base, size_t len, int frame,
		    bool last)
{
	s->iov[s->iov_n] = (struct iovec){ base, len };
	s->iov_frame[s->iov_n] = (int8_t)frame;
	s->iov_last[s->iov_n] = last;
	s->iov_n++;
}

/* A DATA frame for buffer B at frames[n]. */
static void add_data(struct netsink *s, const struct px_buf *b)
{
	struct nsink_frame *f = &s->frames[s->n];
	struct net_data d = {
		.seq = ++s->seq,
		.pts = b->pts,
		.duration = b->duration,
		.flags = b->flags,
	};
	uint32_t crc = 0;

	f->buf = *b;
	f->text = NULL;
	f->head_len = NSINK_DATA_HEAD;
	net_data_put(f->head + NET_HDR_SIZE, &d);
	if (s->crc)
		crc = px_crc32c(px_crc32c(0, f->head + NET_HDR_SIZE,
					  NET_DATA_HDR_SIZE),
				px_buf_data(b), b->length);
	net_hdr_put(f->head, NET_DATA, NET_DATA_HDR_SIZE + b->length, crc);
	add_iov(s, f->head, f->head_len, (int)s->n, !b->length);
	if (b->length)
		add_iov(s, px_buf_data(b), b->length, (int)s->n, true);
	s->n++;
}

/* An EVENT frame of TYPE with TEXT (malloc'ed, taken; may be NULL). */
static void add_event(struct netsink *s, uint16_t type, char *text,
		      uint16_t len)
{
	struct nsink_frame *f = &s->frames[s->n];
	uint32_t crc = 0;

	memset(&f->buf, 0, sizeof(f->buf));
	f->text = text;
	f->text_len = len;
	f->head_len = NET_HDR_SIZE + NET_EVENT_HDR_SIZE;
	net_event_put(f->head + NET_HDR_SIZE, ++s->seq, type, len);
	if (s->crc)
		crc = px_crc32c(px_crc32c(0, f->head + NET_HDR_SIZE,
					  NET_EVENT_HDR_SIZE),
				text, len);
	net_hdr_put(f->head, NET_EVENT, NET_EVENT_HDR_SIZE + len, crc);
	add_iov(s, f->head, f->head_len, (int)s->n, !len);
	if (len)
		add_iov(s, text, len, (int)s->n, true);
	s->n++;
}

/* A CAPS event's caps as text for an EVENT frame; false when it had none
 * worth sending (dropped). */
static bool add_caps(struct netsink *s, const struct px_item *it)
{
	const struct px_caps *caps = px_event_caps(s->e, it);
	size_t need;
	char *text;

	if (!caps)
		return false;
	need = px_caps_to_string(caps, NULL, 0);
	if (need > UINT16_MAX || !(text = malloc(need + 1)))
		return false;
	px_caps_to_string(caps, text, need + 1);
	add_event(s, PX_EVENT_CAPS, text, (uint16_t)need);
	return true;
}

/* Pull the next batch of frames. */
static void fill_batch(struct netsink *s)
{
	struct px_item it;

	if (!s->hello_sent) {
		add_iov(s, s->hello, s->hello_len, -1, true);
		s->hello_sent = true;
	}
	while (s->n < NSINK_BATCH && !s->eos) {
		if (!px_pad_pull(s->sink, &it, 1))
			break;
		if (it.type == PX_ITEM_BUFFER) {
			add_data(s, &it.buf); /* takes the reference */
		} else if (px_item_is_eos(&it)) {
			s->eos = true;
			add_event(s, PX_EVENT_EOS, NULL, 0);
		} else {
			if (it.ev.type == PX_EVENT_CAPS)
				(void)add_caps(s, &it);
			px_item_release(&it);
		}
	}
}

static void netsink_work(struct px_element *e)
{
	struct netsink *s = px_element_priv(e);
	int rc;

	if (s->conn.stopping || s->failed || s->finished ||
	    px_op_busy(&s->send_op))
		return;
	rc = px_conn_arm(&s->conn);
	if (rc < 0) {
		s->failed = true;
		return;
	}
	if (!rc)
		return; /* the connection schedules us; items wait on the link */
	if (!s->hello && (rc = make_hello(s)) < 0) {
		fail(s, rc, "cannot greet");
		return;
	}
	fill_batch(s);
	if (s->iov_n) {
		rc = submit(s);
		if (rc < 0)
			fail(s, rc, "cannot send to");
		return;
	}
	if (s->eos) {
		/* The EOS frame is out: tell the peer, then report EOS. */
		(void)shutdown(s->conn.fd, SHUT_WR);
		s->finished = true;
		px_element_eos_reached(e);
	}
}

static int netsink_stop(struct px_element *e)
{
	struct netsink *s = px_element_priv(e);

	return px_conn_stop(&s->conn);
}

const struct px_element_class px__netsink_class = {
	.name = "netsink",
	.description = "Sends buffers and events to another host in checked "
		       "STRM frames (docs/net.md)",
	.priv_size = sizeof(struct netsink),
	.pads = netsink_pads,
	.n_pads = PX_ARRAY_SIZE(netsink_pads),
	.props = netsink_props,
	.n_props = PX_ARRAY_SIZE(netsink_props),
	.start = netsink_start,
	.work = netsink_work,
	.stop = netsink_stop,
};
