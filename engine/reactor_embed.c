// SPDX-License-Identifier: MIT
/*
 * reactor_embed.c - driving a reactor from an embedder's own thread
 * (px_reactor_run_once, the pollable eventfd), and the read-only getters.
 */
#include <errno.h>
#include <poll.h>
#include <string.h>

#include "reactor_int.h"

static int embed(struct px_reactor *r)
{
	int ret = 0;

	pthread_mutex_lock(&r->lock);
	if (r->mode == PX__MODE_NEW && !r->stopped) {
		ret = px__reactor_ring_setup(r, true);
		if (ret == 0)
			r->mode = PX__MODE_EMBEDDED;
	} else if (r->mode != PX__MODE_EMBEDDED || r->stopped) {
		ret = -EALREADY;
	} else if (!px__reactor_owned(r)) {
		ret = -EPERM;
	}
	pthread_mutex_unlock(&r->lock);
	return ret;
}

/* Nothing to do: let the backend sleep up to TIMEOUT_MS. */
static void wait_embedded(struct px_reactor *r, int timeout_ms)
{
	/* R1, R2 of the wake protocol (reactor_post.c). */
	atomic_store_explicit(&r->sleeping, 1, memory_order_seq_cst);
	if (!atomic_load_explicit(&r->post_head, memory_order_seq_cst))
		r->be->embed_wait(r, timeout_ms);
	/* Relaxed: a poster that still sees 1 only sends a spurious wakeup. */
	atomic_store_explicit(&r->sleeping, 0, memory_order_relaxed);
}

PX_API int px_reactor_run_once(struct px_reactor *r, int timeout_ms)
{
	struct px_reactor *prev = px__reactor_tls_current;
	unsigned n;
	int ret;

	if (!r)
		return -EINVAL;
	if (px_unlikely(!px__reactor_owned(r) || !r->ring_up)) {
		ret = embed(r);
		if (ret < 0)
			return ret;
	}
	if (r->stopped)
		return -EALREADY;
	px__reactor_tls_current = r;
	/* Awake: posts need no wakeup until R1' below. Relaxed: as above. */
	atomic_store_explicit(&r->sleeping, 0, memory_order_relaxed);
	r->be->embed_active(r, true);
	px__reactor_enter(r, false);
	n = px__reactor_process(r);
	PX__COUNT(r, turns, 1);
	if (n == 0) {
		/* An idle call consumes the fd's readiness, then looks again
		 * for work signalled just before the drain. */
		px__reactor_efd_drain(r);
		if (timeout_ms != 0 && px__reactor_should_wait(r))
			wait_embedded(r, timeout_ms);
		px__reactor_enter(r, false);
		n = px__reactor_process(r);
	}
	px__reactor_enter(r, false); /* ship what callbacks and tasks queued */
	r->be->embed_active(r, false);
	/* R1', R2' (the seq_cst store also orders the toggle before the
	 * checks, as E1 does): idle from here, so leftover work (task budget,
	 * completions that raced the toggle) must leave the fd readable. */
	atomic_store_explicit(&r->sleeping, 1, memory_order_seq_cst);
	if (px__reactor_work_pending(r) && !r->efd_hot) {
		r->efd_hot = true;
		px__eventfd_signal(r->efd);
	}
	px__reactor_tls_current = prev;
	return (int)n;
}

/* ------------------------------------------------------------------------ */
/* Getters                                                                   */

PX_API int px_reactor_fd(const struct px_reactor *r)
{
	return r ? r->be->poll_fd(r) : -EINVAL;
}

PX_API bool px_reactor_idle(const struct px_reactor *r)
{
	/* Ops queued outside run_once wait for its submit too. */
	return r && r->ring_up && !r->be->queued(r) && !r->be->hidden(r) &&
	       !px__reactor_work_pending(r);
}

PX_API bool px_reactor_on_thread(const struct px_reactor *r)
{
	return r && px__reactor_owned(r);
}

PX_API struct px_reactor *px_reactor_current(void)
{
	return px__reactor_tls_current;
}

PX_API int px_reactor_numa_node(const struct px_reactor *r)
{
	return r ? r->numa_node : -1;
}

PX_API unsigned px_reactor_index(const struct px_reactor *r)
{
	return r ? r->index : 0;
}

PX_API const char *px_reactor_name(const struct px_reactor *r)
{
	return r ? r->name : "";
}

PX_API bool px_reactor_pinned(const struct px_reactor *r)
{
	return r && r->pinned;
}

/* Relaxed: statistics; nothing is ordered by them. */
#define LOAD(r, f) atomic_load_explicit(&(r)->c.f, memory_order_relaxed)

PX_API void px_reactor_stats(const struct px_reactor *r,
			     struct px_reactor_stats *st)
{
	memset(st, 0, sizeof(*st));
	if (!r)
		return;
	st->submits = LOAD(r, submits);
	st->sqes = LOAD(r, sqes);
	st->cqes = LOAD(r, cqes);
	st->turns = LOAD(r, turns);
	st->tasks = LOAD(r, tasks);
	st->sleeps = LOAD(r, sleeps);
	st->spins = LOAD(r, spins);
	st->spin_hits = LOAD(r, spin_hits);
	st->fixed_ops = LOAD(r, fixed_ops);
	st->zc_sends = LOAD(r, zc_sends);
	st->sq_flushes = LOAD(r, sq_flushes);
	st->msg_errors = LOAD(r, msg_errors);
	st->wakeups_msg_ring =
		atomic_load_explicit(&r->sent_msg_ring, memory_order_relaxed);
	st->wakeups_eventfd =
		atomic_load_explicit(&r->sent_eventfd, memory_order_relaxed);
	st->posts = atomic_load_explicit(&r->posts, memory_order_relaxed);
	st->worker_ops = LOAD(r, worker_ops);
	st->sleep_ns = LOAD(r, sleep_ns);
	st->spin_ns = LOAD(r, spin_ns);
	st->backend = r->be->id;
	r->be->stats(r, st);
}

