// SPDX-License-Identifier: MIT
/*
 * reactor.c - the reactor's lifecycle and loop: backend setup on the owning
 * thread, one kernel entry per loop turn, adaptive spin, clean stop. Posts
 * and the wake protocol are in reactor_post.c, embedding in
 * reactor_embed.c, the backends in reactor_uring.c and reactor_epoll.c.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "bus_int.h"
#include "reactor_int.h"

#if defined(__x86_64__) || defined(__i386__)
#define PX_CPU_RELAX() __builtin_ia32_pause()
#elif defined(__aarch64__)
#define PX_CPU_RELAX() __asm__ __volatile__("yield" ::: "memory")
#else
#define PX_CPU_RELAX() atomic_signal_fence(memory_order_seq_cst)
#endif

PX__TLS char px__reactor_tls_token;
PX__TLS struct px_reactor *px__reactor_tls_current;

void px__eventfd_signal(int efd)
{
	uint64_t one = 1;

	/* Cannot fail short of counter overflow (2^64-2 wakeups); nothing to do. */
	if (write(efd, &one, sizeof(one)) < 0)
		return;
}

/* Consume the wake eventfd's count (non-blocking once the backend is up):
 * posts, kicks and file workers write it; whoever wakes on it drains it. */
void px__reactor_efd_drain(struct px_reactor *r)
{
	uint64_t v;

	r->efd_hot = false;
	if (read(r->efd, &v, sizeof(v)) < 0)
		return; /* EAGAIN: nothing signalled */
}

void px__reactor_enter(struct px_reactor *r, bool wait)
{
	r->be->enter(r, wait);
}

unsigned px__reactor_process(struct px_reactor *r)
{
	unsigned n = r->be->reap(r);

	px__reactor_drain_posts(r);
	return n + px__reactor_run_tasks(r);
}

/* ------------------------------------------------------------------------ */
/* The loop                                                                  */

bool px__reactor_work_pending(const struct px_reactor *r)
{
	/* Relaxed post_head peek: a hint; the drain's exchange (A1) orders. */
	return !px_list_empty(&r->runq) ||
	       (!r->post_closed &&
		atomic_load_explicit(&r->post_head, memory_order_relaxed)) ||
	       r->be->events_pending(r);
}

bool px__reactor_should_wait(const struct px_reactor *r)
{
	if (px__reactor_work_pending(r))
		return false;
	return !(r->stopping && r->inflight == 0);
}

/*
 * Busy-poll before sleeping; true when work showed up. Adaptive: after a
 * miss, the sleep that follows is timed (spun_until). Work that arrived
 * within spin_ns of giving up means a longer spin would have caught it, so
 * the next spin doubles; a long sleep means the link is idle, so it halves
 * (down to spin_ns / 32), and an idle reactor stops burning its CPU. A run
 * of misses halves it too, however short the sleeps: on oversubscribed
 * CPUs the peer often runs only once we stop spinning, which looks like
 * "work came just after we gave up" and would keep the spin long forever.
 *
 * "Arrived" is when the poster that woke us posted (woken_at), not when we
 * woke: on a VM a halted vCPU takes 10-20 us to wake, as long as the whole
 * spin, so every sleep looked long, every miss halved the spin, and a
 * reactor fed every 5 us ended up spinning 0.6 us and sleeping on 44% of
 * its wakeups (px-bench reactor, spin path p90 21 us). A wakeup by a
 * completion carries no stamp: the time we woke is all there is.
 */
static bool spin(struct px_reactor *r)
{
	uint64_t start, end;

	r->spun_until = 0;
	/* Queued SQEs: their completions need the enter, not a spin. */
	if (!r->spin_cur || r->stopping || r->be->queued(r))
		return false;
	PX__COUNT(r, spins, 1);
	start = px__now_ns();
	end = start + r->spin_cur;
	do {
		for (int i = 0; i < 64; i++) {
			if (px__reactor_work_pending(r)) {
				PX__COUNT(r, spin_hits, 1);
				PX__COUNT(r, spin_ns, px__now_ns() - start);
				r->spin_misses = 0;
				return true;
			}
			PX_CPU_RELAX();
		}
	} while ((r->spun_until = px__now_ns()) < end);
	PX__COUNT(r, spin_ns, r->spun_until - start);
	return false;
}

void px__reactor_spin_adapt(struct px_reactor *r, uint64_t now)
{
	/* Relaxed: a hint; a stamp from before this sleep is older than
	 * spun_until and ignored. */
	uint64_t at = atomic_exchange_explicit(&r->woken_at, 0,
					       memory_order_relaxed);
	uint64_t slept = (at > r->spun_until ? at : now) - r->spun_until;

	if (slept < r->spin_ns && ++r->spin_misses < 8)
		r->spin_cur = PX_MIN(r->spin_cur * 2, r->spin_ns);
	else
		r->spin_cur = PX_MAX(r->spin_cur / 2, PX_MAX(r->spin_ns / 32, 1u));
}

/* One turn of a reactor that waits in the kernel (thread mode, stopping). */
static unsigned turn(struct px_reactor *r)
{
	unsigned n = px__reactor_process(r);
	bool wait = px__reactor_should_wait(r);
	uint64_t t0;

	PX__COUNT(r, turns, 1);
	if (wait && spin(r))
		wait = false;
	if (wait) {
		/* R1, R2: see the wake protocol in reactor_post.c. */
		atomic_store_explicit(&r->sleeping, 1, memory_order_seq_cst);
		if (atomic_load_explicit(&r->post_head, memory_order_seq_cst) &&
		    !r->post_closed)
			wait = false;
	}
	t0 = wait ? px__now_ns() : 0;
	px__reactor_enter(r, wait);
	if (wait) {
		PX__COUNT(r, sleep_ns, px__now_ns() - t0);
		/* Relaxed: a stale 1 seen by a poster only costs a wakeup. */
		atomic_store_explicit(&r->sleeping, 0, memory_order_relaxed);
		if (r->spun_until)
			px__reactor_spin_adapt(r, px__now_ns());
	}
	return n;
}

/* After a stop: true once nothing is in flight, queued or postable. */
static bool stop_done(struct px_reactor *r)
{
	struct px_task *list;

	if (r->inflight || !px_list_empty(&r->runq))
		return false;
	if (!r->post_closed) {
		/* A2: acquire like A1; later posts see CLOSED and fail. */
		list = atomic_exchange_explicit(&r->post_head, PX__POST_CLOSED,
						memory_order_acquire);
		r->post_closed = true;
		px__reactor_schedule_posted(r, list);
		return px_list_empty(&r->runq);
	}
	return true;
}

static void stop_fn(struct px_task *t)
{
	struct px_reactor *r = px_container_of(t, struct px_reactor, stop_task);

	if (r->stopping)
		return;
	r->stopping = true;
	r->cancel_needed = !r->be->cancel_all(r);
}

static void run_until_stopped(struct px_reactor *r)
{
	while (!(r->stopping && stop_done(r))) {
		if (r->cancel_needed)
			r->cancel_needed = !r->be->cancel_all(r);
		turn(r);
	}
}

/* ------------------------------------------------------------------------ */
/* Backend setup on the owning thread                                        */

int px__reactor_ring_setup(struct px_reactor *r, bool embedded)
{
	int ret;

	/* Relaxed: owner is only ever compared with the reader's own token. */
	atomic_store_explicit(&r->owner, &px__reactor_tls_token,
			      memory_order_relaxed);
	ret = r->be->setup(r, embedded);
	if (ret < 0)
		goto err_owner;
	r->ring_up = true;
	ret = px__reactor_reg_setup(r);
	if (ret < 0)
		goto err_teardown;
	return 0;

err_teardown:
	r->be->teardown(r);
	r->ring_up = false;
err_owner:
	atomic_store_explicit(&r->owner, NULL, memory_order_relaxed);
	return ret;
}

static void ring_teardown(struct px_reactor *r)
{
	r->be->teardown(r);
	r->ring_up = false;
	atomic_store_explicit(&r->owner, NULL, memory_order_relaxed);
}

static void *reactor_main(void *arg)
{
	struct px_reactor *r = arg;
	int err;

	pthread_setname_np(pthread_self(), r->name);
	err = px__topology_bind(r);
	if (!err)
		err = px__reactor_ring_setup(r, false);
	pthread_mutex_lock(&r->lock);
	r->start_err = err;
	r->start_done = true;
	pthread_cond_broadcast(&r->cond);
	pthread_mutex_unlock(&r->lock);
	if (err)
		return NULL;

	px__reactor_tls_current = r;
	run_until_stopped(r);
	ring_teardown(r);
	px__reactor_tls_current = NULL;
	return NULL;
}

/* ------------------------------------------------------------------------ */
/* Lifecycle                                                                 */

PX_API int px_reactor_create(const struct px_reactor_config *cfg,
			     struct px_reactor **out)
{
	static const struct px_reactor_config defaults =
		PX_REACTOR_CONFIG_DEFAULT;
	const struct px__backend *be;
	struct px_reactor *r;
	int ret;

	if (!out)
		return -EINVAL;
	*out = NULL;
	if (!cfg)
		cfg = &defaults;
	if (cfg->sq_entries > 32768 || cfg->numa_node < -1 || cfg->cpu < -1)
		return -EINVAL;
	be = px__backend_for(cfg->backend, &ret);
	if (!be)
		return ret;
	r = aligned_alloc(PX_CACHE_LINE,
			  PX_ALIGN_UP(sizeof(*r), (size_t)PX_CACHE_LINE));
	if (!r)
		return -ENOMEM;
	memset(r, 0, sizeof(*r));
	r->be = be;
	px_list_init(&r->runq);
	r->sq_entries = cfg->sq_entries ? cfg->sq_entries : 256;
	r->task_budget = cfg->task_budget ? cfg->task_budget : 64;
	r->max_bufs = cfg->max_buffers ? cfg->max_buffers : 16;
	r->max_files = cfg->max_files ? cfg->max_files : 64;
	r->spin_ns = cfg->spin_ns;
	r->spin_cur = cfg->spin_ns;
	r->zc_threshold = cfg->zc_threshold;
	r->no_pin = cfg->no_pin;
	r->no_defer = cfg->no_defer_taskrun;
	r->no_msg_ring = cfg->no_msg_ring;
	r->numa_node = -1;
	r->cpu = -1;
	snprintf(r->name, sizeof(r->name), "%s", cfg->name ? cfg->name : "px-reactor");
	px_task_init(&r->stop_task, stop_fn);
	atomic_init(&r->post_head, NULL);
	/* Idle until a loop runs: a post before start/run_once signals efd. */
	atomic_init(&r->sleeping, 1);
	atomic_init(&r->woken_at, 0);
	atomic_init(&r->owner, NULL);

	ret = px__reactor_reg_alloc(r);
	if (ret < 0)
		goto err_free;
	ret = px__topology_place(r, cfg->numa_node, cfg->cpu);
	if (ret < 0)
		goto err_reg;
	r->efd = eventfd(0, EFD_CLOEXEC);
	if (r->efd < 0) {
		ret = -errno;
		goto err_place;
	}
	ret = be->create(r);
	if (ret < 0)
		goto err_efd;
	pthread_mutex_init(&r->lock, NULL);
	pthread_cond_init(&r->cond, NULL);
	*out = r;
	return 0;

err_efd:
	close(r->efd);
err_place:
	px__topology_unplace(r);
err_reg:
	px__reactor_reg_free(r);
err_free:
	free(r);
	return ret;
}

PX_API int px_reactor_start(struct px_reactor *r)
{
	sigset_t all, old;
	int ret;

	if (!r)
		return -EINVAL;
	pthread_mutex_lock(&r->lock);
	if (r->mode != PX__MODE_NEW || r->stopped) {
		pthread_mutex_unlock(&r->lock);
		return -EALREADY;
	}
	r->mode = PX__MODE_THREAD;
	r->start_done = false;
	/* The reactor takes no signals: they belong to the application's
	 * threads, and would only turn its waits into -EINTR. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	ret = -pthread_create(&r->thread, NULL, reactor_main, r);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (ret == 0) {
		while (!r->start_done)
			pthread_cond_wait(&r->cond, &r->lock);
		ret = r->start_err;
		if (ret)
			pthread_join(r->thread, NULL);
	}
	if (ret)
		r->mode = PX__MODE_NEW;
	pthread_mutex_unlock(&r->lock);
	return ret;
}

static int stop_embedded(struct px_reactor *r)
{
	struct px_reactor *prev = px__reactor_tls_current;

	if (!r->ring_up)
		return 0;
	if (!px__reactor_owned(r))
		return -EPERM;
	px__reactor_tls_current = r;
	stop_fn(&r->stop_task);
	run_until_stopped(r);
	ring_teardown(r);
	px__reactor_tls_current = prev;
	return 0;
}

PX_API int px_reactor_stop(struct px_reactor *r)
{
	int ret = 0;

	if (!r)
		return -EINVAL;
	if (px__reactor_owned(r) && r->mode == PX__MODE_THREAD)
		return -EDEADLK;
	pthread_mutex_lock(&r->lock);
	if (r->stopped || r->mode == PX__MODE_NEW) {
		pthread_mutex_unlock(&r->lock);
		return 0;
	}
	if (r->mode == PX__MODE_THREAD) {
		/* The list is open until the thread exits: this cannot fail. */
		px_reactor_post(r, &r->stop_task);
		pthread_join(r->thread, NULL);
	} else {
		ret = stop_embedded(r);
	}
	if (ret == 0)
		r->stopped = true;
	pthread_mutex_unlock(&r->lock);
	return ret;
}

PX_API void px_reactor_destroy(struct px_reactor *r)
{
	if (!r)
		return;
	/* From its own loop it would free the memory it runs on: refuse. */
	if (px__reactor_owned(r) && r->mode == PX__MODE_THREAD)
		return;
	if (px_reactor_stop(r) < 0 && r->ring_up) {
		/* Embedded, destroyed off its thread: callbacks are lost. */
		ring_teardown(r);
	}
	r->be->destroy(r);
	px__reactor_reg_free(r);
	px__topology_unplace(r);
	close(r->efd);
	pthread_cond_destroy(&r->cond);
	pthread_mutex_destroy(&r->lock);
	free(r);
}

