// SPDX-License-Identifier: MIT
/*
 * reactor_embed.c - driving a reactor from an embedder's own thread
 * (px_reactor_run_once, the pollable eventfd), and the read-only getters.
 */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

#include "reactor_int.h"

/*
 * The embedded fd. The kernel signals it (io_uring_register_eventfd) for
 * completions and deferred work arriving between run_once calls; posters
 * and kicks write it. Inside run_once the kernel's signals are switched off
 * (IORING_CQ_EVENTFD_DISABLED): our own enters would only make it fire for
 * work already done. efd_hot records that we know it is readable, so a busy
 * embedder that calls run_once back to back pays no read or write on it.
 */
static void efd_drain(struct px_reactor *r)
{
	uint64_t v;

	r->efd_hot = false;
	if (read(r->efd, &v, sizeof(v)) < 0)
		return; /* EAGAIN: nothing signalled */
}

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

/*
 * A full fence. GCC cannot instrument atomic_thread_fence under TSan (and
 * warns, -Wtsan), so there a locked read-modify-write on a local stands in:
 * on x86 and arm64 it orders all earlier and later accesses just the same.
 */
#if defined(__SANITIZE_THREAD__)
static inline void full_fence(void)
{
	atomic_int f = 0;

	atomic_fetch_add_explicit(&f, 0, memory_order_seq_cst);
}
#else
static inline void full_fence(void)
{
	atomic_thread_fence(memory_order_seq_cst);
}
#endif

/* Nothing to do: sleep in poll(2) on the fd, up to TIMEOUT_MS. */
static void wait_embedded(struct px_reactor *r, int timeout_ms)
{
	struct pollfd pfd = { .fd = r->efd, .events = POLLIN };

	/* R1, R2 of the wake protocol (reactor_post.c). */
	atomic_store_explicit(&r->sleeping, 1, memory_order_seq_cst);
	if (!atomic_load_explicit(&r->post_head, memory_order_seq_cst)) {
		px__reactor_enter(r, false); /* ship queued SQEs first */
		io_uring_cq_eventfd_toggle(&r->ring, true);
		/*
		 * E1: full fence between enabling the kernel's signal and
		 * looking at the rings, against the kernel's "post, then test
		 * the flag and signal": either we see its work or it signals.
		 */
		full_fence();
		if (!px__reactor_work_pending(r)) {
			PX__COUNT(r, sleeps, 1);
			if (poll(&pfd, 1, timeout_ms) > 0)
				efd_drain(r);
		}
		io_uring_cq_eventfd_toggle(&r->ring, false);
	}
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
	io_uring_cq_eventfd_toggle(&r->ring, false);
	px__reactor_enter(r, false);
	n = px__reactor_process(r);
	PX__COUNT(r, turns, 1);
	if (n == 0) {
		/* An idle call consumes the fd's readiness, then looks again
		 * for work signalled just before the drain. */
		efd_drain(r);
		if (timeout_ms != 0 && px__reactor_should_wait(r))
			wait_embedded(r, timeout_ms);
		px__reactor_enter(r, false);
		n = px__reactor_process(r);
	}
	px__reactor_enter(r, false); /* ship what callbacks and tasks queued */
	io_uring_cq_eventfd_toggle(&r->ring, true);
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
	return r ? r->efd : -EINVAL;
}

PX_API bool px_reactor_idle(const struct px_reactor *r)
{
	/* Ops queued outside run_once wait for its submit too. */
	return r && r->ring_up && !io_uring_sq_ready(&r->ring) &&
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
	st->setup_flags = r->setup_flags;
	st->single_issuer = r->setup_flags & IORING_SETUP_SINGLE_ISSUER;
	st->defer_taskrun = r->setup_flags & IORING_SETUP_DEFER_TASKRUN;
	st->registered_ring = r->reg_ring;
}

