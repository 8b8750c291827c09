// SPDX-License-Identifier: MIT
/*
 * reactor.c - the reactor's lifecycle and loop: ring setup on the owning
 * thread, one submit per loop turn, adaptive spin, clean stop. Posts and
 * the wake protocol are in reactor_post.c, embedding in reactor_embed.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "px_probe.h"
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

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void px__eventfd_signal(int efd)
{
	uint64_t one = 1;

	/* Cannot fail short of counter overflow (2^64-2 wakeups); nothing to do. */
	if (write(efd, &one, sizeof(one)) < 0)
		return;
}

bool px__reactor_need_events(const struct px_reactor *r)
{
	/* DEFER_TASKRUN without TASKRUN_FLAG: no way to know, always enter. */
	if (px_unlikely(r->blind_defer))
		return true;
	/* Kernel-written flags: TASKRUN = deferred completions to collect. */
	return IO_URING_READ_ONCE(*r->ring.sq.kflags) &
	       (IORING_SQ_TASKRUN | IORING_SQ_CQ_OVERFLOW);
}

/* Enter the kernel once: submit what is queued, collect, maybe wait. */
void px__reactor_enter(struct px_reactor *r, bool wait)
{
	unsigned before = io_uring_sq_ready(&r->ring);
	int ret;

	if (wait) {
		ret = io_uring_submit_and_wait(&r->ring, 1);
		PX__COUNT(r, sleeps, 1);
	} else {
		if (!before && !px__reactor_need_events(r))
			return;
		ret = io_uring_submit_and_get_events(&r->ring);
	}
	PX__COUNT(r, submits, 1);
	/* -EINTR, -EAGAIN, -EBUSY: unsubmitted SQEs stay queued for next turn. */
	(void)ret;
	PX__COUNT(r, sqes, before - io_uring_sq_ready(&r->ring));
}

struct io_uring_sqe *px__reactor_sqe(struct px_reactor *r)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(&r->ring);
	unsigned before;

	if (px_likely(sqe != NULL))
		return sqe;
	before = io_uring_sq_ready(&r->ring);
	io_uring_submit(&r->ring);
	PX__COUNT(r, submits, 1);
	PX__COUNT(r, sq_flushes, 1);
	PX__COUNT(r, sqes, before - io_uring_sq_ready(&r->ring));
	return io_uring_get_sqe(&r->ring);
}

static unsigned reap(struct px_reactor *r)
{
	struct io_uring_cqe *cqe;
	unsigned head, n = 0;

	io_uring_for_each_cqe(&r->ring, head, cqe) {
		px__reactor_dispatch(r, cqe);
		n++;
	}
	if (n) {
		io_uring_cq_advance(&r->ring, n);
		PX__COUNT(r, cqes, n);
	}
	return n;
}

unsigned px__reactor_process(struct px_reactor *r)
{
	unsigned n = reap(r);

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
	       io_uring_cq_ready(&r->ring) || px__reactor_need_events(r);
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
 */
static bool spin(struct px_reactor *r)
{
	uint64_t end;

	r->spun_until = 0;
	/* Queued SQEs: their completions need the enter, not a spin. */
	if (!r->spin_cur || r->stopping || io_uring_sq_ready(&r->ring))
		return false;
	PX__COUNT(r, spins, 1);
	end = now_ns() + r->spin_cur;
	do {
		for (int i = 0; i < 64; i++) {
			if (px__reactor_work_pending(r)) {
				PX__COUNT(r, spin_hits, 1);
				r->spin_misses = 0;
				return true;
			}
			PX_CPU_RELAX();
		}
	} while ((r->spun_until = now_ns()) < end);
	return false;
}

static void spin_adapt(struct px_reactor *r)
{
	uint64_t slept = now_ns() - r->spun_until;

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
	px__reactor_enter(r, wait);
	if (wait) {
		/* Relaxed: a stale 1 seen by a poster only costs a wakeup. */
		atomic_store_explicit(&r->sleeping, 0, memory_order_relaxed);
		if (r->spun_until)
			spin_adapt(r);
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
	r->cancel_needed = !px__reactor_cancel_all(r);
}

static void run_until_stopped(struct px_reactor *r)
{
	while (!(r->stopping && stop_done(r))) {
		if (r->cancel_needed)
			r->cancel_needed = !px__reactor_cancel_all(r);
		turn(r);
	}
}

/* ------------------------------------------------------------------------ */
/* Ring setup on the owning thread                                           */

int px__reactor_ring_setup(struct px_reactor *r, bool embedded)
{
	/*
	 * Most capable first; each -EINVAL drops a flag the kernel does not
	 * know. no_defer_taskrun skips the DEFER_TASKRUN entries.
	 *
	 * Embedded rings never defer task work. Their owner sleeps in poll(2)
	 * or an embedder's epoll on the registered eventfd, not in the
	 * kernel, and with DEFER_TASKRUN the kernel signalled that eventfd
	 * for a completion arriving meanwhile 13.8 ms late every time on
	 * kernel 6.18 (a read on a socket or an eventfd that another process
	 * writes; 20-30 us without DEFER_TASKRUN, same test). Two such
	 * processes woke at the same instant, which points at io_uring's
	 * deferred eventfd signal (an RCU callback). They skip COOP_TASKRUN
	 * too, so that task work interrupts such a sleep.
	 */
	static const unsigned thread_tries[] = {
		IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN |
			IORING_SETUP_TASKRUN_FLAG | IORING_SETUP_SUBMIT_ALL,
		IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_DEFER_TASKRUN |
			IORING_SETUP_SUBMIT_ALL,
		IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_COOP_TASKRUN |
			IORING_SETUP_TASKRUN_FLAG | IORING_SETUP_SUBMIT_ALL,
		IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG |
			IORING_SETUP_SUBMIT_ALL,
		IORING_SETUP_SUBMIT_ALL,
		0,
	};
	static const unsigned embedded_tries[] = {
		IORING_SETUP_SINGLE_ISSUER | IORING_SETUP_SUBMIT_ALL,
		IORING_SETUP_SUBMIT_ALL,
		0,
	};
	const unsigned *tries = embedded ? embedded_tries : thread_tries;
	size_t ntries = embedded ? PX_ARRAY_SIZE(embedded_tries)
				 : PX_ARRAY_SIZE(thread_tries);
	struct io_uring_params p;
	int ret = -EINVAL;

	for (size_t i = 0; i < ntries; i++) {
		if (r->no_defer && (tries[i] & IORING_SETUP_DEFER_TASKRUN))
			continue;
		memset(&p, 0, sizeof(p));
		p.flags = tries[i];
		ret = io_uring_queue_init_params(r->sq_entries, &r->ring, &p);
		if (ret != -EINVAL)
			break;
	}
	if (ret == -EPERM || ret == -ENOSYS)
		return -ENOSYS; /* io_uring_disabled, seccomp */
	if (ret < 0)
		return ret;
	r->setup_flags = p.flags;
	r->blind_defer = (p.flags & IORING_SETUP_DEFER_TASKRUN) &&
			 !(p.flags & IORING_SETUP_TASKRUN_FLAG);
	r->reg_ring = io_uring_register_ring_fd(&r->ring) == 1;
	/* Relaxed: owner is only ever compared with the reader's own token. */
	atomic_store_explicit(&r->owner, &px__reactor_tls_token,
			      memory_order_relaxed);
	r->ring_up = true;

	ret = px__reactor_reg_setup(r);
	if (ret < 0)
		goto err_exit;
	if (embedded) {
		/* The embedder polls the eventfd: the kernel signals it on
		 * completions, posters on tasks. run_once drains it. */
		ret = io_uring_register_eventfd(&r->ring, r->efd);
		if (ret < 0)
			goto err_exit;
		if (fcntl(r->efd, F_SETFL, O_NONBLOCK) < 0) {
			ret = -errno;
			goto err_exit;
		}
	} else {
		ret = px__reactor_arm_wake(r);
		if (ret < 0)
			goto err_exit;
	}
	/* M1: release, pairs with P4 in wake_msg_ring(): a poster that reads
	 * the fd also sees the ring set up. */
	atomic_store_explicit(&r->msg_fd, r->ring.ring_fd,
			      memory_order_release);
	return 0;

err_exit:
	io_uring_queue_exit(&r->ring);
	r->ring_up = false;
	atomic_store_explicit(&r->owner, NULL, memory_order_relaxed);
	return ret;
}

static void ring_teardown(struct px_reactor *r)
{
	/* T1/T2, pairs with P3/P4 in wake_msg_ring(). */
	atomic_store_explicit(&r->msg_fd, -1, memory_order_seq_cst);
	while (atomic_load_explicit(&r->msg_users, memory_order_seq_cst))
		sched_yield();
	io_uring_queue_exit(&r->ring);
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
	struct px_reactor *r;
	int ret;

	if (!out)
		return -EINVAL;
	*out = NULL;
	if (!cfg)
		cfg = &defaults;
	if (cfg->sq_entries > 32768 || cfg->numa_node < -1 || cfg->cpu < -1)
		return -EINVAL;
	if (!px_feature_has(PX_FEAT_IO_URING))
		return -ENOSYS;
	r = aligned_alloc(PX_CACHE_LINE,
			  PX_ALIGN_UP(sizeof(*r), (size_t)PX_CACHE_LINE));
	if (!r)
		return -ENOMEM;
	memset(r, 0, sizeof(*r));
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
	r->can_msg_ring = !cfg->no_msg_ring && px_feature_has(PX_FEAT_MSG_RING);
	r->numa_node = -1;
	r->cpu = -1;
	snprintf(r->name, sizeof(r->name), "%s", cfg->name ? cfg->name : "px-reactor");
	r->wake_op.kind = PX__OPK_WAKE_READ;
	r->sink_op.kind = PX__OPK_SINK;
	r->msg_op.kind = PX__OPK_MSG_TARGET;
	r->msg_out_op.kind = PX__OPK_MSG_SOURCE;
	px_task_init(&r->stop_task, stop_fn);
	atomic_init(&r->post_head, NULL);
	/* Idle until a loop runs: a post before start/run_once signals efd. */
	atomic_init(&r->sleeping, 1);
	atomic_init(&r->msg_fd, -1);
	atomic_init(&r->msg_users, 0);
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
	pthread_mutex_init(&r->lock, NULL);
	pthread_cond_init(&r->cond, NULL);
	*out = r;
	return 0;

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
	px__reactor_reg_free(r);
	px__topology_unplace(r);
	close(r->efd);
	pthread_cond_destroy(&r->cond);
	pthread_mutex_destroy(&r->lock);
	free(r);
}

