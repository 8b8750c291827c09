// SPDX-License-Identifier: MIT
/*
 * tcpsink.c - sends the buffers it receives over one TCP connection straight
 * from their pool slots: a gathered sendmsg of several buffers, or SEND_ZC
 * per buffer above a size threshold (the slot goes back to its pool only
 * after the kernel's notification). One send in flight keeps the bytes in
 * order; while it is in flight nothing more is pulled, so a slow reader
 * fills the links and stops the source: backpressure, not growth.
 */
#include <errno.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "elements_int.h"
#include "io_common_int.h"
#include "px_conn.h"
#include "px_buf.h"
#include "px_element.h"
#include "px_error.h"
#include "px_probe.h"
#include "px_reactor.h"

/* Buffers gathered into one sendmsg. */
#define TSINK_BATCH 16


struct tcpsink {
	/* properties */
	char *host;
	int64_t port;
	int mode;
	int zerocopy;
	uint64_t zc_threshold;
	int64_t max_gather; /* buffers per sendmsg, 1..TSINK_BATCH */
	bool sync, async;   /* GStreamer's: false only */
	px_stat_i64 bound_port;

	/* run state, reset by start() */
	struct px_element *e;
	struct px_reactor *r;
	struct px_pad *sink;
	struct px_conn conn;
	struct px_op send_op;
	bool zc_ok;	/* the kernel has SEND_ZC */
	int nic;	/* the connection leaves through a NIC; -1: unknown */
	bool eos;	/* EOS pulled: finish sending, then report it */
	bool failed;
	bool finished;
	/* The batch in flight: bufs[first..n) not yet fully sent; iov mirrors
	 * them, iov[first] advanced past bytes already sent. */
	struct px_buf bufs[TSINK_BATCH];
	struct iovec iov[TSINK_BATCH];
	unsigned first, n;
	bool zc; /* the batch is one buffer sent with SEND_ZC */
	struct msghdr msg;
	uint64_t sent;
};


static const struct px_prop_spec tcpsink_props[] = {
	PX_CONN_PROP_SPECS(struct tcpsink, 4953, PX_CONN_CLIENT),
	PX_PROP_ENUM_SPEC("zerocopy", struct tcpsink, zerocopy, PX__ZC_AUTO,
			  px__zc_enums,
			  "send from the slot without a copy (SEND_ZC)"),
	PX_PROP_SIZE_SPEC("zc-threshold", struct tcpsink, zc_threshold,
			  PX__ZC_AUTO_MIN, 1, 1u << 30,
			  "zerocopy=auto: smallest buffer sent with SEND_ZC"),
	PX_PROP_INT_SPEC("max-gather", struct tcpsink, max_gather, TSINK_BATCH,
			 1, TSINK_BATCH,
			 "buffers gathered into one sendmsg at most, up to "
			 "512 KiB (1: one buffer per send, as tcpclientsink "
			 "sends)"),
	PX__SINK_CLOCK_SPECS(struct tcpsink),
};

static int tcpsink_prop_changed(struct px_element *e,
				const struct px_prop_spec *spec)
{
	struct tcpsink *s = px_element_priv(e);

	return px__sink_clock_props(e, spec, s->sync, s->async, NULL);
}

static const struct px_pad_template tcpsink_pads[] = {
	{ "sink", PX_PAD_SINK, PX_PAD_ALWAYS, "ANY" },
};

static void send_done(struct px_op *op, int res, uint32_t flags);

static void release_batch(struct tcpsink *s)
{
	for (unsigned i = s->first; i < s->n; i++)
		px_buf_unref(&s->bufs[i]);
	s->first = s->n = 0;
}

/* The end of a stop, every op ended: drop the unsent rest of the batch. */
static void release_held(struct px_conn *c)
{
	release_batch(px_container_of(c, struct tcpsink, conn));
}

static int tcpsink_start(struct px_element *e)
{
	struct tcpsink *s = px_element_priv(e);
	int rc;

	s->e = e;
	s->r = px_element_reactor(e);
	s->sink = px_element_pad(e, "sink");
	px_op_init(&s->send_op);
	s->eos = s->failed = s->finished = false;
	s->first = s->n = 0;
	s->sent = 0;
	s->nic = -1;
	rc = px__zc_start(e, s->zerocopy, false, &s->zc_ok);
	if (rc < 0)
		return rc;
	rc = px_conn_start(&s->conn, e, (enum px_conn_mode)s->mode, s->host, s->port,
			       &s->send_op, release_held);
	if (rc < 0)
		return rc;
	px_stat_set(&s->bound_port, s->conn.bound_port);
	return 0;
}

static int submit(struct tcpsink *s)
{
	int rc;

	if (s->zc) {
		rc = px_io_send_zc(s->r, &s->send_op, s->conn.fd,
				   s->iov[s->first].iov_base,
				   (uint32_t)s->iov[s->first].iov_len,
				   MSG_NOSIGNAL | MSG_WAITALL, send_done);
	} else if (s->n - s->first == 1) {
		rc = px_io_send(s->r, &s->send_op, s->conn.fd,
				s->iov[s->first].iov_base,
				(uint32_t)s->iov[s->first].iov_len,
				MSG_NOSIGNAL | MSG_WAITALL, send_done);
	} else {
		memset(&s->msg, 0, sizeof(s->msg));
		s->msg.msg_iov = &s->iov[s->first];
		s->msg.msg_iovlen = s->n - s->first;
		rc = px_io_sendmsg(s->r, &s->send_op, s->conn.fd, &s->msg,
				   MSG_NOSIGNAL | MSG_WAITALL, send_done);
	}
	if (rc < 0)
		return rc;
	return 0;
}

static void send_done(struct px_op *op, int res, uint32_t flags)
{
	struct tcpsink *s = px_container_of(op, struct tcpsink, send_op);
	size_t left = res > 0 ? (size_t)res : 0;
	int rc;

	(void)flags;
	s->sent += left;
	/* Retire what was sent; a partial send resumes mid-buffer. */
	while (s->first < s->n && left >= s->iov[s->first].iov_len) {
		left -= s->iov[s->first].iov_len;
		px_buf_unref(&s->bufs[s->first]);
		s->first++;
	}
	if (s->first < s->n && left) {
		s->iov[s->first].iov_base =
			(uint8_t *)s->iov[s->first].iov_base + left;
		s->iov[s->first].iov_len -= left;
	}
	if (px_conn_op_ended(&s->conn))
		return;
	if (res < 0 && res != -EAGAIN && res != -EINTR) {
		s->failed = true;
		px_element_error(s->e, res,
				 "%s: connection to %s lost after %llu bytes sent: %s",
				 px_element_name(s->e), s->conn.peer,
				 (unsigned long long)s->sent, px_strerror(res));
		return;
	}
	if (s->first < s->n) {
		rc = submit(s);
		if (rc < 0) {
			s->failed = true;
			px_element_error(s->e, rc, "%s: cannot send to %s: %s",
					 px_element_name(s->e), s->conn.peer,
					 px_strerror(rc));
		}
		return;
	}
	s->first = s->n = 0;
	px_element_schedule(s->e);
}

static bool use_zc(struct tcpsink *s, uint32_t len)
{
	if (s->nic < 0) /* once: the connection does not change */
		s->nic = px__conn_on_nic(s->conn.fd);
	return px__zc_use(s->zerocopy, s->zc_ok, s->nic, len, s->zc_threshold);
}

/* Pull the next batch: consecutive copy-sent buffers (up to max-gather of
 * them, and PX__SEND_GATHER_BYTES), or one ZC buffer. */
static void fill_batch(struct tcpsink *s)
{
	struct px_item it;
	uint64_t bytes = 0;

	while (s->n < (unsigned)s->max_gather && !s->eos &&
	       bytes < PX__SEND_GATHER_BYTES) {
		if (s->n && s->zc)
			break;
		if (!px_pad_pull(s->sink, &it, 1))
			break;
		if (px_item_is_eos(&it)) {
			s->eos = true;
			break;
		}
		if (it.type != PX_ITEM_BUFFER || !it.buf.length) {
			px_item_release(&it);
			continue;
		}
		/* A ZC-sized buffer after small ones cannot go back on the
		 * link: it ends the copied batch (order comes first). */
		if (!s->n)
			s->zc = use_zc(s, it.buf.length);
		s->bufs[s->n] = it.buf;
		s->iov[s->n].iov_base = px_buf_data(&it.buf);
		s->iov[s->n].iov_len = it.buf.length;
		s->n++;
		bytes += it.buf.length;
		if (!s->zc && use_zc(s, it.buf.length))
			break;
	}
}

static void tcpsink_work(struct px_element *e)
{
	struct tcpsink *s = px_element_priv(e);
	int rc;

	if (s->conn.stopping || s->failed || s->finished || px_op_busy(&s->send_op))
		return;
	rc = px_conn_arm(&s->conn);
	if (rc < 0) {
		s->failed = true;
		return;
	}
	if (!rc)
		return; /* the connection schedules us; items wait on the link */
	fill_batch(s);
	if (s->n) {
		rc = submit(s);
		if (rc < 0) {
			s->failed = true;
			px_element_error(e, rc, "%s: cannot send to %s: %s",
					 px_element_name(e), s->conn.peer,
					 px_strerror(rc));
		}
		return;
	}
	if (s->eos) {
		/* Everything is sent: tell the peer, then report EOS. */
		(void)shutdown(s->conn.fd, SHUT_WR);
		s->finished = true;
		px_element_eos_reached(e);
	}
}

static int tcpsink_stop(struct px_element *e)
{
	struct tcpsink *s = px_element_priv(e);

	return px_conn_stop(&s->conn);
}

const struct px_element_class px__tcpsink_class = {
	.name = "tcpsink",
	.description = "Sends buffers over TCP from their slots (SEND_ZC above a threshold)",
	.priv_size = sizeof(struct tcpsink),
	.pads = tcpsink_pads,
	.n_pads = PX_ARRAY_SIZE(tcpsink_pads),
	.props = tcpsink_props,
	.prop_changed = tcpsink_prop_changed,
	.n_props = PX_ARRAY_SIZE(tcpsink_props),
	.start = tcpsink_start,
	.work = tcpsink_work,
	.stop = tcpsink_stop,
};
