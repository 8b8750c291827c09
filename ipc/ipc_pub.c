// SPDX-License-Identifier: MIT
/*
 * ipc_pub.c - the publisher's data path: announce pools, push items to
 * every subscriber's data ring with one reference each, take returns off
 * the release rings against the ledger, apply the slow-subscriber policy,
 * and give a dead subscriber's references back. Reactor thread only.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ipc_pub_int.h"
#include "px_error.h"

#define RETURN_BURST 32u
#define PX__IPC_SEND_BURST 64u

/* ---- pools ---------------------------------------------------------------------- */

bool px__ipc_pool_shareable(const struct px_pool *pool)
{
	const struct px_segment *seg = pool ? px_pool_segment(pool) : NULL;

	return seg && seg->fd >= 0 && seg->kind != PX_SEGMENT_HEAP &&
	       !px_pool_is_remote(pool);
}

/* A read-only fd of the same memfd: the subscriber's mapping can then
 * never be made writable (mprotect needs a writable fd for MAP_SHARED). */
static int reopen_readonly(int fd)
{
	char path[40];
	int ro;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	ro = open(path, O_RDONLY | O_CLOEXEC);
	return ro < 0 ? -errno : ro;
}

/* The channel index of pool ID, announcing it on first use. */
static int pool_index(struct px__ipc_pub *pub, uint16_t id)
{
	struct px__ipc_ppool *pp;
	struct px_pool *pool;
	struct px_list *pos;
	int fd;

	for (unsigned i = 0; i < pub->n_pools; i++)
		if (pub->pools[i].id == id && pub->pools[i].pool)
			return (int)i;
	pool = px_pool_from_id(id);
	if (!px__ipc_pool_shareable(pool))
		return -EXDEV;
	if (pub->n_pools == PX__IPC_MAX_POOLS)
		return -ENOSPC;
	fd = reopen_readonly(px_pool_segment(pool)->fd);
	if (fd < 0)
		return fd;
	pp = &pub->pools[pub->n_pools];
	pp->pool = pool;
	pp->id = id;
	pp->ro_fd = fd;
	pp->slots = px_pool_slot_count(pool);
	pp->slot_size = px_pool_slot_size(pool);
	pub->n_pools++;
	px_list_for_each(pos, &pub->peers)
		px__ipc_peer_tx_next(px_list_entry(pos, struct px__ipc_peer,
						   node));
	return (int)(pub->n_pools - 1);
}

/* ---- returns and the ledger ------------------------------------------------ */

static bool apply_return(struct px__ipc_peer *p, const struct px__ipc_return *r)
{
	struct px__ipc_pub *pub = p->pub;
	const struct px__ipc_ppool *pp;
	uint32_t *held;

	if (r->index >= pub->n_pools || !(held = p->held[r->index]))
		goto bad;
	pp = &pub->pools[r->index];
	if (r->slot >= pp->slots || !r->count || r->count > held[r->slot])
		goto bad;
	held[r->slot] -= r->count;
	p->outstanding -= r->count;
	for (uint32_t i = 0; i < r->count; i++)
		px_pool_release(pp->pool, r->slot);
	return true;
bad: {
	char text[PX_MSG_TEXT];

	snprintf(text, sizeof(text),
		 "%s of channel %s returned %u references to slot %u of pool "
		 "%u that it does not hold; dropped (its references are "
		 "taken back)",
		 p->name, pub->channel, r->count, r->slot, r->index);
	px__ipc_peer_kill(p, text);
	return false;
}
}

/* Take every return off P's release ring; with ARM, then ask for a wakeup
 * on the next one. False when P was dropped (P may be gone). */
static bool drain_returns(struct px__ipc_peer *p, bool arm)
{
	struct px__ipc_return r[RETURN_BURST];
	unsigned got;

	/* The rings are the subscriber's to write, header included: both are
	 * used through views, whose geometry is ours (px_ring.h), and every
	 * return is checked against the ledger. */
	for (;;) {
		while ((got = px_ring_view_dequeue_burst(&p->rel, r,
							 RETURN_BURST)))
			for (unsigned i = 0; i < got; i++)
				if (!apply_return(p, &r[i]))
					return false;
		/* Returns wake us only while this flag is set (px_ring.h). */
		if (!arm || px_ring_consumer_sleep(p->rel.ring))
			return true;
	}
}

void px__ipc_peer_reclaim(struct px__ipc_peer *p)
{
	struct px__ipc_pub *pub = p->pub;

	for (unsigned i = 0; i < pub->n_pools; i++) {
		uint32_t *held = p->held[i];

		if (!held)
			continue;
		for (uint32_t s = 0; s < pub->pools[i].slots; s++) {
			for (uint32_t c = held[s]; c; c--)
				px_pool_release(pub->pools[i].pool, s);
			pub->st.reclaimed += held[s];
			held[s] = 0;
		}
	}
	p->outstanding = 0;
}

/* ---- sending -------------------------------------------------------------------- */

static unsigned peer_fit(struct px__ipc_peer *p, const struct px_item *items,
			 unsigned n);
static void push_burst(struct px__ipc_peer *p, const struct px_item *items,
		       const int *idx, unsigned k, bool transfer);
static void ensure_ledgers(struct px__ipc_pub *pub, const struct px_item *items,
			   const int *idx, unsigned k);

/* slow=drop|disconnect: deliver IT to every active peer that has room
 * (events to all, or to none while one has no room: then false). */
static bool offer(struct px__ipc_pub *pub, struct px_item *it, int idx)
{
	bool is_buf = it->type == PX_ITEM_BUFFER;
	struct px_list *pos, *tmp;

	if (is_buf)
		ensure_ledgers(pub, it, &idx, 1);

	/* Events (EOS) are never dropped: wait for room everywhere. */
	if (!is_buf) {
		px_list_for_each(pos, &pub->peers) {
			struct px__ipc_peer *p =
				px_list_entry(pos, struct px__ipc_peer, node);

			if (p->state == PX__PEER_ACTIVE && !peer_fit(p, it, 1))
				return false;
		}
	}
	px_list_for_each_safe(pos, tmp, &pub->peers) {
		struct px__ipc_peer *p = px_list_entry(pos, struct px__ipc_peer,
						       node);

		if (p->state != PX__PEER_ACTIVE)
			continue;
		if (peer_fit(p, it, 1)) {
			push_burst(p, it, &idx, 1, false);
		} else if (pub->slow == PX__IPC_SLOW_DROP) {
			pub->st.dropped++;
		} else {
			char text[PX_MSG_TEXT];

			snprintf(text, sizeof(text),
				 "%s of channel %s fell behind (slow="
				 "disconnect); dropped",
				 p->name, pub->channel);
			px__ipc_peer_kill(p, text);
		}
	}
	if (is_buf)
		pub->st.sent++;
	return true;
}

/*
 * Take back what every subscriber returned. ARM: and ask for a wakeup on
 * the next return, for a caller about to wait (each armed return costs
 * the subscriber a write(2) and us a completion: a publisher that keeps
 * sending takes returns on its next send instead).
 */
static void take_returns(struct px__ipc_pub *pub, bool arm)
{
	struct px_list *pos, *tmp;

	px_list_for_each_safe(pos, tmp, &pub->peers) {
		struct px__ipc_peer *p = px_list_entry(pos, struct px__ipc_peer,
						       node);

		if (p->state != PX__PEER_ACTIVE)
			continue;
		px__link_producer_resume(&p->link);
		(void)drain_returns(p, arm);
	}
}

void px__ipc_pub_poll(struct px__ipc_pub *pub)
{
	take_returns(pub, true);
}

/*
 * How many of ITEMS[0..N) P can take now: ring room, and the references it
 * may still hold. Registers for the wakeup that says when it can take more.
 */
static unsigned peer_fit(struct px__ipc_peer *p, const struct px_item *items,
			 unsigned n)
{
	unsigned room = p->room, k;
	uint64_t refs = p->pub->max_held - p->outstanding;

	/* The room we knew of can only have grown: look at the consumer's
	 * index (a cache line it writes) only when that is not enough. */
	if (room < n)
		room = px_ring_view_free_count(&p->link.ring);
	if (!room) /* wait for it; a consumer that raced us left room */
		room = px__link_producer_wait(&p->link);
	p->room = room;
	for (k = 0; k < n && k < room; k++)
		if (items[k].type == PX_ITEM_BUFFER && !refs--)
			break; /* px__ipc_pub_send arms the return wakeup */
	return k;
}

/* Push ITEMS[0..K) (pool indexes IDX) to P in one burst. TRANSFER: P gets
 * the caller's reference of each buffer instead of a new one. */
static void push_burst(struct px__ipc_peer *p, const struct px_item *items,
		       const int *idx, unsigned k, bool transfer)
{
	struct px_item out[PX__IPC_SEND_BURST];

	for (unsigned i = 0; i < k; i++) {
		out[i] = items[i];
		if (items[i].type != PX_ITEM_BUFFER)
			continue;
		const struct px__ipc_ppool *pp = &p->pub->pools[idx[i]];

		/* Recorded before the item is visible: it may come back at
		 * once. held[] exists: send_burst made it. */
		if (!transfer)
			px_pool_slot_ref(pp->pool, items[i].buf.slot);
		p->held[idx[i]][items[i].buf.slot]++;
		out[i].buf.pool = (uint16_t)(idx[i] + 1);
	}
	p->outstanding += k;
	p->room -= k;
	/* peer_fit checked the room: the whole burst fits. */
	(void)px_ring_view_enqueue_burst(&p->link.ring, out, k);
	p->pushed = true;
}

/* Every active peer has a ledger for each pool in IDX[0..K), or is gone. */
static void ensure_ledgers(struct px__ipc_pub *pub, const struct px_item *items,
			   const int *idx, unsigned k)
{
	struct px_list *pos, *tmp;

	px_list_for_each_safe(pos, tmp, &pub->peers) {
		struct px__ipc_peer *p = px_list_entry(pos, struct px__ipc_peer,
						       node);

		for (unsigned i = 0; i < k && p->state == PX__PEER_ACTIVE; i++) {
			if (items[i].type != PX_ITEM_BUFFER || p->held[idx[i]])
				continue;
			p->held[idx[i]] = calloc(pub->pools[idx[i]].slots,
						 sizeof(uint32_t));
			if (!p->held[idx[i]])
				px__ipc_peer_kill(p, NULL);
		}
	}
}

/*
 * slow=block: each burst goes to every subscriber or to none, as many
 * items as the fullest one can take; the first subscriber inherits the
 * caller's references, the others get one each.
 */
static unsigned send_blocking(struct px__ipc_pub *pub, struct px_item *items,
			      unsigned n)
{
	int idx[PX__IPC_SEND_BURST];
	unsigned done = 0;

	while (done < n) {
		unsigned chunk = PX_MIN(n - done, PX__IPC_SEND_BURST), k;
		struct px_item *it = items + done;
		struct px_list *pos;
		bool first = true;

		for (k = 0; k < chunk; k++) {
			idx[k] = it[k].type == PX_ITEM_BUFFER ?
					 pool_index(pub, it[k].buf.pool) : -1;
			if (it[k].type == PX_ITEM_BUFFER && idx[k] < 0)
				break;
		}
		if (k == 0) {
			/* Not shareable or too many pools: the owner checks
			 * first; count it as lost, not sent. */
			pub->st.dropped++;
			px_item_release(it);
			done++;
			continue;
		}
		chunk = k;
		ensure_ledgers(pub, it, idx, chunk);
		px_list_for_each(pos, &pub->peers) {
			struct px__ipc_peer *p =
				px_list_entry(pos, struct px__ipc_peer, node);

			if (p->state == PX__PEER_ACTIVE) {
				unsigned fit = peer_fit(p, it, k);

				k = PX_MIN(k, fit);
			}
		}
		if (!k)
			break;
		px_list_for_each(pos, &pub->peers) {
			struct px__ipc_peer *p =
				px_list_entry(pos, struct px__ipc_peer, node);

			if (p->state != PX__PEER_ACTIVE)
				continue;
			push_burst(p, it, idx, k, first);
			first = false;
		}
		for (unsigned i = 0; i < k; i++) {
			if (it[i].type == PX_ITEM_BUFFER) {
				pub->st.sent++;
				if (first) /* nobody listens: it is gone */
					px_buf_unref(&it[i].buf);
			}
			it[i].type = PX_ITEM_NONE; /* consumed */
		}
		done += k; /* a partial burst: the next round waits for room */
	}
	return done;
}

/* slow=drop|disconnect: one item at a time, each subscriber on its own. */
static unsigned send_each(struct px__ipc_pub *pub, struct px_item *items,
			  unsigned n)
{
	unsigned done;

	for (done = 0; done < n; done++) {
		struct px_item *it = &items[done];
		int idx = -1;

		if (it->type == PX_ITEM_BUFFER) {
			idx = pool_index(pub, it->buf.pool);
			if (idx < 0) {
				pub->st.dropped++;
				px_item_release(it);
				continue;
			}
		}
		if (!offer(pub, it, idx))
			break;
		/* Each subscriber took its own reference: drop the caller's. */
		px_item_release(it);
	}
	return done;
}

static unsigned send_some(struct px__ipc_pub *pub, struct px_item *items,
			  unsigned n)
{
	return pub->slow == PX__IPC_SLOW_BLOCK ? send_blocking(pub, items, n) :
						 send_each(pub, items, n);
}

/*
 * Push first, take returns after: the returns' work stays off the path
 * from the caller's buffer to the subscriber's ring. When something did
 * not fit, returns (what frees room and references) are taken and armed
 * (the caller will wait for them) before one more try.
 */
unsigned px__ipc_pub_send(struct px__ipc_pub *pub, struct px_item *items,
			  unsigned n)
{
	struct px_list *pos;
	unsigned done = send_some(pub, items, n);

	if (done < n) {
		px__ipc_pub_poll(pub);
		done += send_some(pub, items + done, n - done);
	}
	px_list_for_each(pos, &pub->peers) {
		struct px__ipc_peer *p = px_list_entry(pos, struct px__ipc_peer,
						       node);

		if (p->pushed) {
			p->pushed = false;
			px__link_wake_consumer(&p->link);
		}
	}
	take_returns(pub, done < n);
	return done;
}

unsigned px__ipc_pub_set_caps(struct px__ipc_pub *pub, const char *text,
			      struct px_item *frags)
{
	if (!strncmp(pub->caps, text, sizeof(pub->caps) - 1))
		return 0;
	snprintf(pub->caps, sizeof(pub->caps), "%s", text);
	return px__ipc_caps_encode(pub->caps, frags);
}

/* ---- queries ---------------------------------------------------------------------- */

unsigned px__ipc_pub_subscribers(const struct px__ipc_pub *pub)
{
	return pub->active;
}

uint64_t px__ipc_pub_held(const struct px__ipc_pub *pub)
{
	const struct px_list *pos;
	uint64_t n = 0;

	px_list_for_each(pos, &pub->peers)
		n += px_list_entry(pos, struct px__ipc_peer, node)->outstanding;
	return n;
}

void px__ipc_pub_stats(const struct px__ipc_pub *pub,
		       struct px__ipc_pub_stats *st)
{
	*st = pub->st;
	st->subscribers = pub->active;
	st->held = px__ipc_pub_held(pub);
}

/* ---- lifecycle ----------------------------------------------------------------- */

static int copy_ids(void **dst, const void *src, unsigned n, size_t size)
{
	if (!n)
		return 0;
	*dst = malloc(n * size);
	if (!*dst)
		return -ENOMEM;
	memcpy(*dst, src, n * size);
	return 0;
}

static void pub_free(struct px__ipc_pub *pub)
{
	for (unsigned i = 0; i < pub->n_pools; i++)
		if (pub->pools[i].ro_fd >= 0)
			close(pub->pools[i].ro_fd);
	free(pub->allow_uids);
	free(pub->allow_gids);
	free(pub);
}

int px__ipc_pub_create(struct px_reactor *r,
		       const struct px__ipc_pub_config *cfg,
		       const struct px__ipc_pub_events *ev,
		       struct px__ipc_pub **out, char *why, size_t whylen)
{
	struct px__ipc_pub *pub = calloc(1, sizeof(*pub));
	int err;

	if (!pub)
		return -ENOMEM;
	pub->reactor = r;
	pub->ev = *ev;
	pub->lfd = -1;
	px_list_init(&pub->peers);
	snprintf(pub->channel, sizeof(pub->channel), "%s",
		 cfg->channel ? cfg->channel : "");
	snprintf(pub->path, sizeof(pub->path), "%s",
		 cfg->socket_path ? cfg->socket_path : "");
	snprintf(pub->caps, sizeof(pub->caps), "%s",
		 cfg->caps ? cfg->caps : "ANY");
	pub->ring_capacity = cfg->ring_capacity ? cfg->ring_capacity : 256;
	pub->max_held = cfg->max_held ? cfg->max_held : 4096;
	pub->slow = cfg->slow;
	pub->handshake_timeout_ns = cfg->handshake_timeout_ns ?
					    cfg->handshake_timeout_ns :
					    2000000000ull;
	err = copy_ids((void **)&pub->allow_uids, cfg->allow_uids,
		       cfg->n_allow_uids, sizeof(uid_t));
	if (!err)
		err = copy_ids((void **)&pub->allow_gids, cfg->allow_gids,
			       cfg->n_allow_gids, sizeof(gid_t));
	if (err) {
		snprintf(why, whylen, "out of memory");
		goto err_free;
	}
	pub->n_allow_uids = cfg->n_allow_uids;
	pub->n_allow_gids = cfg->n_allow_gids;
	err = px__ipc_pub_listen(pub, why, whylen);
	if (err)
		goto err_free;
	*out = pub;
	return 0;
err_free:
	pub_free(pub);
	return err;
}

void px__ipc_pub_maybe_done(struct px__ipc_pub *pub)
{
	void (*done)(void *arg) = pub->done;
	void *arg = pub->done_arg;

	if (!pub->closing || pub->in_close || !px_list_empty(&pub->peers) ||
	    px_op_busy(&pub->accept_op))
		return;
	pub_free(pub);
	if (done)
		done(arg);
}

bool px__ipc_pub_close(struct px__ipc_pub *pub, void (*done)(void *arg),
		       void *arg)
{
	struct px_list *pos, *tmp;

	pub->closing = true;
	pub->in_close = true; /* peers that end now must not free PUB */
	px_list_for_each_safe(pos, tmp, &pub->peers)
		px__ipc_peer_kill(px_list_entry(pos, struct px__ipc_peer, node),
				  NULL);
	if (pub->lfd >= 0) {
		close(pub->lfd);
		pub->lfd = -1;
		if (pub->path[0])
			(void)unlink(pub->path);
	}
	if (px_op_busy(&pub->accept_op))
		(void)px_io_cancel(pub->reactor, &pub->accept_op);
	pub->in_close = false;
	if (px_list_empty(&pub->peers) && !px_op_busy(&pub->accept_op)) {
		pub_free(pub);
		return true;
	}
	pub->done = done;
	pub->done_arg = arg;
	return false;
}
