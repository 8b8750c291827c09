// SPDX-License-Identifier: MIT
/*
 * tcpsrc.c - receives a TCP stream into the slots of its own registered
 * pool (READ_FIXED on the socket) and pushes each chunk as a buffer with
 * its stream offset. Server mode (multishot accept) or client mode; peer
 * close is EOS, a reset is an ERROR naming the peer and the byte count.
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "elements_int.h"
#include "io_common_int.h"
#include "px_conn.h"
#include "px_buf.h"
#include "px_element.h"
#include "px_error.h"
#include "px_reactor.h"

/* Default slots: the one being received into, the link (16 by default)
 * and what downstream holds; past that the receive waits for a release,
 * and TCP's own window pushes back on the sender. */
#define TSRC_POOL_SLOTS 64

struct tcpsrc {
	/* properties */
	char *host;
	int64_t port;
	int mode;
	uint64_t blocksize;
	px_stat_i64 bound_port;
	int64_t pool_slots;
	int64_t num_buffers; /* -1: until the peer closes */

	/* run state, reset by start() */
	struct px_element *e;
	struct px_reactor *r;
	struct px_pad *src;
	struct px_pool *pool;
	struct px_conn conn;
	/* One receive in flight: two on one stream socket could complete
	 * out of order. */
	struct px_op recv_op;
	struct px_buf buf; /* the slot received into, or waiting to be pushed */
	bool ready;	   /* buf holds received bytes to push */
	bool eof;	   /* peer closed (or EOS requested): push EOS next */
	bool failed;
	bool done;
	uint64_t received; /* bytes so far: the next stream_offset */
	uint64_t seq;
};

static const struct px_prop_spec tcpsrc_props[] = {
	PX_CONN_PROP_SPECS(struct tcpsrc, 4953, PX_CONN_CLIENT),
	PX_PROP_SIZE_SPEC("blocksize", struct tcpsrc, blocksize, 256u << 10,
			  512, 64u << 20,
			  "largest buffer: one receive fills at most one pool slot"),
	PX_PROP_INT_SPEC("pool-slots", struct tcpsrc, pool_slots,
			 TSRC_POOL_SLOTS, 2, 65536,
			 "buffers in the source's pool (received data waiting downstream)"),
	PX_PROP_INT_SPEC("num-buffers", struct tcpsrc, num_buffers, -1, -1,
			 INT64_MAX,
			 "buffers to receive before EOS (-1: until the peer closes)"),
};

static const struct px_pad_template tcpsrc_pads[] = {
	{ "src", PX_PAD_SRC, PX_PAD_ALWAYS, "ANY" },
};

/* The end of a stop, every op ended: drop what was received. */
static void release_held(struct px_conn *c)
{
	struct tcpsrc *s = px_container_of(c, struct tcpsrc, conn);

	px_buf_unref(&s->buf);
	s->ready = false;
}

static void recv_done(struct px_op *op, int res, uint32_t flags)
{
	struct tcpsrc *s = px_container_of(op, struct tcpsrc, recv_op);

	(void)flags;
	if (px_conn_op_ended(&s->conn))
		return;
	if (res > 0) {
		s->buf.length = (uint32_t)res;
		s->buf.stream_offset = s->received;
		s->buf.seq = s->seq++;
		s->received += (uint64_t)res;
		s->ready = true;
	} else {
		px_buf_unref(&s->buf);
		if (res == 0 || res == -ECANCELED) {
			s->eof = true; /* peer closed, or EOS was requested */
		} else {
			s->failed = true;
			px_element_error(s->e, res,
					 "%s: %s %s after %llu bytes: %s",
					 px_element_name(s->e),
					 res == -ECONNRESET ? "connection reset by"
							    : "receive error from",
					 s->conn.peer,
					 (unsigned long long)s->received,
					 px_strerror(res));
			return;
		}
	}
	px_element_schedule(s->e);
}

static int tcpsrc_start(struct px_element *e)
{
	struct tcpsrc *s = px_element_priv(e);
	int rc;

	s->e = e;
	s->r = px_element_reactor(e);
	s->src = px_element_pad(e, "src");
	memset(&s->buf, 0, sizeof(s->buf));
	px_op_init(&s->recv_op);
	s->ready = s->eof = s->failed = s->done = false;
	s->received = s->seq = 0;
	rc = px_conn_start(&s->conn, e, (enum px_conn_mode)s->mode, s->host, s->port,
			       &s->recv_op, release_held);
	if (rc < 0)
		return rc;
	px_stat_set(&s->bound_port, s->conn.bound_port);
	rc = px_element_pool_create(e, (uint32_t)s->blocksize,
				    (uint32_t)s->pool_slots, &s->pool);
	if (rc < 0) { /* px_element_pool_create() posted the ERROR */
		px_conn_close(&s->conn);
		return rc;
	}
	return 0;
}

static void tcpsrc_work(struct px_element *e)
{
	struct tcpsrc *s = px_element_priv(e);
	struct px_item it;
	enum px_flow f;
	int rc;

	if (s->conn.stopping || s->failed || s->done)
		return;
	if (!s->conn.connected && px_element_eos_requested(e)) {
		/* Asked to end before a peer came: stop waiting for one. */
		if (!px_conn_end_wait(&s->conn) &&
		    px_element_push_eos(e) != PX_FLOW_BUSY)
			s->done = true;
		return;
	}
	rc = px_conn_arm(&s->conn);
	if (rc < 0) {
		s->failed = true;
		return;
	}
	if (!rc)
		return; /* the connection schedules us once connected */
	if (s->ready) {
		px_item_from_buf(&it, &s->buf);
		f = px_pad_push(s->src, &it);
		if (f == PX_FLOW_BUSY)
			return; /* scheduled when the link drains */
		memset(&s->buf, 0, sizeof(s->buf));
		s->ready = false;
		if (f != PX_FLOW_OK) {
			s->done = true; /* downstream takes no more */
			return;
		}
	}
	if (!s->eof && s->num_buffers >= 0 &&
	    s->seq >= (uint64_t)s->num_buffers)
		s->eof = true; /* no receive is in flight: pushed first */
	if (!s->eof && px_element_eos_requested(e)) {
		s->eof = true;
		if (px_op_busy(&s->recv_op))
			(void)px_io_cancel(s->r, &s->recv_op);
	}
	if (s->eof) {
		if (!px_op_busy(&s->recv_op) && px_element_push_eos(e) != PX_FLOW_BUSY)
			s->done = true;
		return;
	}
	if (px_op_busy(&s->recv_op))
		return;
	rc = px_element_buf_alloc(e, s->pool, (uint32_t)s->blocksize, &s->buf);
	if (rc == -ENOBUFS)
		return; /* scheduled when a slot returns */
	if (rc == 0) {
		/* A read on the socket: READ_FIXED into the registered slot. */
		rc = px_io_read(s->r, &s->recv_op, s->conn.fd,
				px_buf_data(&s->buf), (uint32_t)s->blocksize,
				(uint64_t)-1, recv_done);
		if (rc < 0)
			px_buf_unref(&s->buf);
	}
	if (rc < 0) {
		s->failed = true;
		px_element_error(e, rc, "%s: cannot receive from %s: %s",
				 px_element_name(e), s->conn.peer,
				 px_strerror(rc));
		return;
	}
}

static int tcpsrc_stop(struct px_element *e)
{
	struct tcpsrc *s = px_element_priv(e);

	return px_conn_stop(&s->conn);
}

const struct px_element_class px__tcpsrc_class = {
	.name = "tcpsrc",
	.description = "Receives a TCP stream into pool slots (client or server)",
	.priv_size = sizeof(struct tcpsrc),
	.pads = tcpsrc_pads,
	.n_pads = PX_ARRAY_SIZE(tcpsrc_pads),
	.props = tcpsrc_props,
	.n_props = PX_ARRAY_SIZE(tcpsrc_props),
	.prop_changed = px__net_source_prop_changed,
	.start = tcpsrc_start,
	.work = tcpsrc_work,
	.stop = tcpsrc_stop,
};
