// SPDX-License-Identifier: MIT
/*
 * multitcpsrc.c - a TCP server for many clients. It listens on host:port,
 * accepts every client (multishot accept), receives each client's bytes
 * into slots of its own pool and pushes them as buffers whose item names
 * the client (px_item.stream, unique in the process). A client's first
 * buffer has DISCONT, its stream_offset counts that client's bytes, and
 * a buffer with PX_BUF_FLAG_LAST (empty) follows its last bytes when it
 * closes. A client that resets or fails is a WARNING naming it: the server
 * goes on serving the others.
 *
 * An idle client holds no slot: it waits in a poll op until it is
 * readable, and only then takes a slot and receives into it. So 10,000
 * mostly idle clients cost 10,000 sockets and ops, not 10,000 buffers, and
 * when the pool is empty readable clients wait their turn (in the order
 * they became readable) while TCP's window holds their senders back.
 *
 * Several reactors: one multitcpsrc per reactor (reactor=N), all on one
 * port with reuse-port=true, into a funnel. Each has its own SO_REUSEPORT
 * listening socket, and the kernel spreads new connections over them.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "elements_int.h"
#include "io_common_int.h"
#include "px_buf.h"
#include "px_conn.h"
#include "px_element.h"
#include "px_error.h"
#include "px_list.h"
#include "px_reactor.h"

#define MT_POOL_SLOTS 256

/* How the kernel picks a server of a shared port for a new connection. */
enum mt_steer { MT_STEER_AUTO, MT_STEER_CPU, MT_STEER_HASH };

static const struct px_prop_enum mt_steer_enums[] = {
	{ "auto", MT_STEER_AUTO, "by CPU where BPF can be loaded, else hash" },
	{ "cpu", MT_STEER_CPU,
	  "to the server whose reactor runs on the CPU that received the "
	  "connection (BPF: root or CAP_BPF)" },
	{ "hash", MT_STEER_HASH, "the kernel's hash of the addresses" },
	{ NULL, 0, NULL },
};

struct mt_client {
	struct px_list node;  /* in the element's clients */
	struct px_list ready; /* in its ready list: readable, no slot yet */
	struct multitcpsrc *s;
	int fd;
	uint32_t stream;
	uint64_t received; /* bytes so far: the next stream_offset */
	struct px_op op;   /* the poll, then the receive: one at a time */
	struct px_buf buf; /* the slot received into */
	bool closing;	   /* ready only to end: END_RES says why */
	int end_res;
};

struct multitcpsrc {
	/* properties */
	char *host;
	int64_t port;
	bool reuse_port;
	int steer;
	int64_t reactor;
	uint64_t blocksize;
	int64_t pool_slots;
	int64_t max_clients;
	int64_t num_clients; /* -1: serve until stopped or EOS is asked */
	px_stat_i64 bound_port;
	px_stat_i64 clients;  /* connected now */
	px_stat_u64 accepted; /* clients accepted in this run */
	px_stat_u64 refused;  /* closed at once: max-clients reached */

	/* run state, reset by start() */
	struct px_element *e;
	struct px_reactor *r;
	struct px_pad *src;
	struct px_pool *pool;
	char where[PX_CONN_ADDR_MAX];
	int lfd;
	struct px_op accept_op;
	bool steered;	/* joined the port's BPF steering */
	bool accepting; /* the multishot accept is armed */
	bool accept_failed; /* it ended on an error: armed again when a
			     * client leaves (EMFILE frees up then) */
	bool ending;	/* EOS: accept no more, finish the clients */
	bool stopping;
	bool done;
	struct px_list all;   /* every client */
	struct px_list ready; /* clients readable and waiting for a slot */
	uint64_t finished;    /* clients that came and went */
	uint64_t seq;
	/* Items waiting for room downstream. Every one holds a slot, so the
	 * pool size bounds them. */
	struct px_item *out;
	uint32_t out_head, out_n, out_cap;
};


static const struct px_prop_spec multitcpsrc_props[] = {
	PX_PROP_STRING_SPEC("host", struct multitcpsrc, host, "127.0.0.1",
			    "address to listen on"),
	PX_PROP_INT_SPEC("port", struct multitcpsrc, port, 4953, 0, 65535,
			 "TCP port (0 picks a free one, see bound-port)"),
	PX_PROP_BOOL_SPEC("reuse-port", struct multitcpsrc, reuse_port, false,
			  "join the port's SO_REUSEPORT group: one multitcpsrc "
			  "per reactor on the same port share its clients"),
	PX_PROP_ENUM_SPEC("steer", struct multitcpsrc, steer, MT_STEER_AUTO,
			  mt_steer_enums,
			  "with reuse-port: which server a new connection goes "
			  "to"),
	PX_PROP_INT_SPEC("reactor", struct multitcpsrc, reactor, -1, -1, 63,
			 "the pipeline reactor this server runs on (-1: "
			 "placed as any source)"),
	PX_PROP_SIZE_SPEC("blocksize", struct multitcpsrc, blocksize, 64u << 10,
			  512, 64u << 20,
			  "largest buffer: one receive fills at most one pool slot"),
	PX_PROP_INT_SPEC("pool-slots", struct multitcpsrc, pool_slots,
			 MT_POOL_SLOTS, 2, 65536,
			 "buffers in the pool, shared by all clients"),
	PX_PROP_INT_SPEC("max-clients", struct multitcpsrc, max_clients, 65536,
			 1, 1 << 20,
			 "clients served at once; more are closed at once "
			 "(counted in refused)"),
	PX_PROP_INT_SPEC("num-clients", struct multitcpsrc, num_clients, -1, -1,
			 INT64_MAX,
			 "EOS once this many clients have come and gone (-1: "
			 "serve until stopped)"),
	PX_PROP_STAT_I64_SPEC("bound-port", PX_PROP_INT, struct multitcpsrc,
			      bound_port,
			      "the port listened on, known from PAUSED"),
	PX_PROP_STAT_I64_SPEC("clients", PX_PROP_INT, struct multitcpsrc,
			      clients, "clients connected now"),
	PX_PROP_STAT_U64_SPEC("accepted", PX_PROP_UINT64, struct multitcpsrc,
			      accepted, "clients accepted in this run"),
	PX_PROP_STAT_U64_SPEC("refused", PX_PROP_UINT64, struct multitcpsrc,
			      refused,
			      "clients closed at once because max-clients "
			      "were connected"),
};

static const struct px_pad_template multitcpsrc_pads[] = {
	{ "src", PX_PAD_SRC, PX_PAD_ALWAYS, "ANY" },
};

static void client_peer(const struct mt_client *c, char *buf, size_t len)
{
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);

	if (getpeername(c->fd, (struct sockaddr *)&ss, &sl) == 0)
		px_net_addr_str((struct sockaddr *)&ss, sl, buf, len);
	else
		snprintf(buf, len, "a client");
}

static void client_free(struct mt_client *c)
{
	struct multitcpsrc *s = c->s;

	px_buf_unref(&c->buf);
	px_list_del(&c->node);
	if (px_list_linked(&c->ready))
		px_list_del(&c->ready);
	close(c->fd);
	free(c);
	px_stat_add(&s->clients, -1);
}

/* The out FIFO is sized to the pool, and each item holds a slot. */
static void out_put(struct multitcpsrc *s, const struct mt_client *c,
		    const struct px_buf *b)
{
	struct px_item *it = &s->out[(s->out_head + s->out_n) % s->out_cap];

	px_item_from_buf(it, b);
	it->stream = c->stream;
	s->out_n++;
}

/* The client is gone (closed, reset, failed, or EOS was asked): its slot
 * (C->buf holds one), emptied, ends its stream downstream. */
static void client_end(struct mt_client *c, int res)
{
	struct multitcpsrc *s = c->s;

	if (res < 0) {
		char peer[PX_CONN_ADDR_MAX];

		client_peer(c, peer, sizeof(peer));
		px_element_warning(s->e,
				   "%s: %s %s (stream %u) after %llu bytes: %s; "
				   "serving the other clients",
				   px_element_name(s->e),
				   res == -ECONNRESET ? "connection reset by"
						      : "receive error from",
				   peer, c->stream,
				   (unsigned long long)c->received,
				   px_strerror(res));
	}
	c->buf.length = 0;
	c->buf.flags = PX_BUF_FLAG_LAST;
	c->buf.stream_offset = c->received;
	c->buf.seq = s->seq++;
	out_put(s, c, &c->buf);
	memset(&c->buf, 0, sizeof(c->buf));
	client_free(c);
	s->finished++;
	s->accept_failed = false; /* a socket is free again */
}

static void client_done(struct px_op *op, int res, uint32_t flags);

/* Wait until C is readable; when it cannot (EOS asked, the poll refused),
 * it queues to end, for a slot to carry its LAST mark. */
static void client_wait(struct mt_client *c)
{
	struct multitcpsrc *s = c->s;
	int rc = 0;

	if (!s->ending)
		rc = px_io_poll(s->r, &c->op, c->fd, POLLIN | POLLRDHUP,
				client_done);
	if (s->ending || rc < 0) {
		c->closing = true;
		c->end_res = rc; /* one client's trouble, not the server's */
		px_list_add_tail(&s->ready, &c->ready);
	}
}

/* The client's one op ended: its poll (no slot held) or its receive. */
static void client_done(struct px_op *op, int res, uint32_t flags)
{
	struct mt_client *c = px_container_of(op, struct mt_client, op);
	struct multitcpsrc *s = c->s;

	(void)flags;
	if (s->stopping) {
		client_free(c);
		return;
	}
	if (!c->buf.pool) {
		/* Readable, closed or failed: the receive says which (or EOS
		 * was asked and the poll cancelled: receive_ready ends it). */
		px_list_add_tail(&s->ready, &c->ready);
	} else if (res > 0) {
		c->buf.length = (uint32_t)res;
		c->buf.flags = c->received ? 0 : PX_BUF_FLAG_DISCONT;
		c->buf.stream_offset = c->received;
		c->buf.seq = s->seq++;
		c->received += (uint64_t)res;
		out_put(s, c, &c->buf);
		memset(&c->buf, 0, sizeof(c->buf));
		client_wait(c);
	} else {
		client_end(c, res);
	}
	px_element_schedule(s->e);
}

static void accept_done(struct px_op *op, int res, uint32_t flags)
{
	struct multitcpsrc *s = px_container_of(op, struct multitcpsrc,
						 accept_op);
	struct mt_client *c;

	if (!(flags & PX_OP_MORE))
		s->accepting = false;
	if (px__server_accepted(s->e, res, s->stopping || s->ending,
				px_stat_get(&s->clients), s->max_clients,
				&s->refused, "clients", s->where,
				&s->accept_failed)) {
		c = calloc(1, sizeof(*c));
		if (!c) {
			close(res);
			px_element_warning(s->e, "%s: out of memory for a "
					   "client: closed it",
					   px_element_name(s->e));
		} else {
			c->s = s;
			c->fd = res;
			c->stream = px__next_stream();
			px_list_init(&c->ready);
			px_list_add_tail(&s->all, &c->node);
			px_element_op_init(s->e, &c->op);
			px_net_tune_socket(res);
			px_stat_add(&s->clients, 1);
			px_stat_add(&s->accepted, 1);
			client_wait(c);
		}
	}
	if (!s->accepting && s->stopping && s->lfd >= 0) {
		close(s->lfd);
		s->lfd = -1;
	}
	if (!s->stopping)
		px_element_schedule(s->e);
}

/*
 * Join the port's steering by CPU (steer_bpf.c: a CPU goes to a server
 * whose reactor is pinned there). Where BPF cannot be loaded, steer=auto
 * keeps the kernel's hash with one INFO line; steer=cpu is an ERROR.
 */
static int steer(struct multitcpsrc *s, unsigned port)
{
	char cpus[128], why[256];
	bool pinned = px_reactor_pinned(s->r) &&
		      px_reactor_cpuset(s->r, cpus, sizeof(cpus)) > 0;
	int rc = px__steer_join(s->lfd, port, px_reactor_index(s->r),
				pinned ? cpus : NULL, why, sizeof(why));

	if (rc == 0) {
		s->steered = true;
		px_element_info(s->e, "%s: new connections to port %u go to "
				"a server by the CPU that received them (BPF; "
				"this one runs on %s, %s)",
				px_element_name(s->e), port,
				px_reactor_name(s->r),
				pinned ? cpus : "not pinned");
		return 0;
	}
	if (s->steer == MT_STEER_CPU) {
		px_element_error(s->e, rc, "%s: steer=cpu: %s",
				 px_element_name(s->e), why);
		return rc;
	}
	px_element_info(s->e, "%s: new connections to port %u go by the "
			"kernel's hash, not by CPU: %s",
			px_element_name(s->e), port, why);
	return 0;
}

static int multitcpsrc_start(struct px_element *e)
{
	struct multitcpsrc *s = px_element_priv(e);
	unsigned port = 0;
	int rc;

	s->e = e;
	s->r = px_element_reactor(e);
	s->src = px_element_pad(e, "src");
	s->lfd = -1;
	s->accepting = s->accept_failed = s->ending = false;
	s->stopping = s->done = false;
	px_list_init(&s->all);
	px_list_init(&s->ready);
	s->finished = s->seq = 0;
	s->out_head = s->out_n = 0;
	px_stat_set(&s->clients, 0);
	px_stat_set(&s->accepted, 0);
	px_stat_set(&s->refused, 0);
	px_element_op_init(e, &s->accept_op);
	rc = px__server_listen(e, s->host, s->port, s->reuse_port, true,
			       s->where, sizeof(s->where), &port);
	if (rc < 0)
		return rc;
	s->lfd = rc;
	px_stat_set(&s->bound_port, port);
	s->steered = false;
	if (s->reuse_port && s->steer != MT_STEER_HASH) {
		rc = steer(s, port);
		if (rc < 0) {
			close(s->lfd);
			s->lfd = -1;
			return rc;
		}
	}
	s->out_cap = (uint32_t)s->pool_slots;
	s->out = calloc(s->out_cap, sizeof(*s->out));
	if (!s->out)
		rc = -ENOMEM;
	else /* on failure, px_element_pool_create() posted the ERROR */
		rc = px_element_pool_create(e, (uint32_t)s->blocksize,
					    (uint32_t)s->pool_slots, &s->pool);
	if (rc < 0) {
		if (!s->out)
			px_element_error(e, rc, "%s: out of memory",
					 px_element_name(e));
		free(s->out);
		s->out = NULL;
		if (s->steered) /* its CPUs go back to the other servers */
			px__steer_leave(port, s->lfd);
		s->steered = false;
		close(s->lfd);
		s->lfd = -1;
		return rc;
	}
	return 0;
}

/* Release what waits in the out FIFO. */
static void out_drop(struct multitcpsrc *s)
{
	while (s->out_n) {
		px_item_release(&s->out[s->out_head]);
		s->out_head = (s->out_head + 1) % s->out_cap;
		s->out_n--;
	}
}

/* Push what waits, in order; false when downstream is full or gone. */
static bool push_out(struct multitcpsrc *s)
{
	while (s->out_n) {
		unsigned n = s->out_n, taken = 0;
		enum px_flow f;

		if (s->out_head + n > s->out_cap)
			n = s->out_cap - s->out_head; /* up to the wrap */
		f = px_pad_push_burst(s->src, &s->out[s->out_head], n, &taken);
		if (f != PX_FLOW_OK && f != PX_FLOW_BUSY) {
			/* All n were released; the rest go the same way. */
			s->out_head = (s->out_head + n) % s->out_cap;
			s->out_n -= n;
			out_drop(s);
			s->done = true;
			return false;
		}
		s->out_head = (s->out_head + taken) % s->out_cap;
		s->out_n -= taken;
		if (f == PX_FLOW_BUSY)
			return false; /* scheduled when the link drains */
	}
	return true;
}

/* Ready clients take a slot each: to receive into it, or (closing, or EOS
 * asked) to mark the end of their stream with it. */
static void receive_ready(struct multitcpsrc *s)
{
	while (!px_list_empty(&s->ready)) {
		struct mt_client *c = px_list_entry(px_list_first(&s->ready),
						    struct mt_client, ready);
		int rc;

		rc = px_element_buf_alloc(s->e, s->pool, (uint32_t)s->blocksize,
					  &c->buf);
		if (rc < 0)
			return; /* -ENOBUFS: scheduled when a slot returns */
		px_list_del(&c->ready);
		if (c->closing || s->ending) {
			client_end(c, c->end_res);
			continue;
		}
		rc = px_io_read(s->r, &c->op, c->fd, px_buf_data(&c->buf),
				(uint32_t)s->blocksize, (uint64_t)-1, client_done);
		if (rc < 0)
			client_end(c, rc); /* its slot marks the end */
	}
}

static void arm_accept(struct multitcpsrc *s)
{
	int rc;

	if (s->accepting || s->ending || s->accept_failed || s->lfd < 0)
		return;
	rc = px_io_accept(s->r, &s->accept_op, s->lfd, NULL, NULL,
			  SOCK_CLOEXEC, true, accept_done);
	if (rc == -EOPNOTSUPP) /* no multishot accept: one at a time */
		rc = px_io_accept(s->r, &s->accept_op, s->lfd, NULL, NULL,
				  SOCK_CLOEXEC, false, accept_done);
	if (rc < 0) {
		px_element_error(s->e, rc, "%s: cannot accept on %s: %s",
				 px_element_name(s->e), s->where,
				 px_strerror(rc));
		s->ending = true;
		return;
	}
	s->accepting = true;
}

/* EOS: no new clients, and every idle client's stream ends now; those
 * receiving end after their receive. */
static void begin_end(struct multitcpsrc *s)
{
	struct px_list *pos;

	s->ending = true;
	if (s->accepting)
		(void)px_io_cancel(s->r, &s->accept_op);
	px_list_for_each(pos, &s->all) {
		struct mt_client *c = px_list_entry(pos, struct mt_client, node);

		if (px_op_busy(&c->op) && !c->buf.pool)
			(void)px_io_cancel(s->r, &c->op); /* its poll */
	}
}

static void multitcpsrc_work(struct px_element *e)
{
	struct multitcpsrc *s = px_element_priv(e);

	if (s->stopping || s->done)
		return;
	if (!push_out(s))
		return;
	if (!s->ending && (px_element_eos_requested(e) ||
			   (s->num_clients >= 0 &&
			    s->finished >= (uint64_t)s->num_clients)))
		begin_end(s);
	arm_accept(s);
	receive_ready(s);
	if (!push_out(s) || !s->ending)
		return;
	if (!px_list_empty(&s->all) || s->accepting)
		return; /* the last completions schedule us */
	if (px_element_push_eos(e) != PX_FLOW_BUSY)
		s->done = true;
}

static int multitcpsrc_stop(struct px_element *e)
{
	struct multitcpsrc *s = px_element_priv(e);
	struct px_list *pos, *tmp;

	s->stopping = true;
	if (s->steered)
		px__steer_leave((unsigned)px_stat_get(&s->bound_port), s->lfd);
	s->steered = false;
	if (s->accepting)
		(void)px_io_cancel(s->r, &s->accept_op);
	else if (s->lfd >= 0) {
		close(s->lfd);
		s->lfd = -1;
	}
	px_list_for_each_safe(pos, tmp, &s->all) {
		struct mt_client *c = px_list_entry(pos, struct mt_client, node);

		if (px_op_busy(&c->op))
			(void)px_io_cancel(s->r, &c->op); /* freed when it ends */
		else
			client_free(c);
	}
	out_drop(s);
	free(s->out);
	s->out = NULL;
	return PX_STOP_WHEN_IDLE;
}

const struct px_element_class px__multitcpsrc_class = {
	.name = "multitcpsrc",
	.description = "TCP server for many clients: each client's bytes into "
		       "pool slots, tagged with its stream id",
	.priv_size = sizeof(struct multitcpsrc),
	.pads = multitcpsrc_pads,
	.n_pads = PX_ARRAY_SIZE(multitcpsrc_pads),
	.props = multitcpsrc_props,
	.n_props = PX_ARRAY_SIZE(multitcpsrc_props),
	.prop_changed = px__net_source_prop_changed,
	.start = multitcpsrc_start,
	.work = multitcpsrc_work,
	.stop = multitcpsrc_stop,
};
