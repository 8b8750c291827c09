// SPDX-License-Identifier: MIT
/* test_reactor.c - the reactor's loop: lifecycle, posts and wakeups
 * (MSG_RING, eventfd, spin), task budget, stop, churn, embedding, synthetic
 * NUMA placement. Rings are created inside each test (check forks). */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "px_probe.h"
#include "px_reactor.h"
#include "px_test.h"
#include "reactor_int.h" /* the spin's adaptation, tested directly */
#include "reactor_test_util.h"

/* ------------------------------------------------------------------------ */

static void own_thread_checks(struct px_reactor *r, void *arg)
{
	int *out = arg;

	out[0] = px_reactor_on_thread(r);
	out[1] = px_reactor_current() == r;
	out[2] = px_reactor_stop(r);
}

START_TEST(test_reactor_lifecycle)
{
	struct px_reactor_stats st;
	struct px_reactor *r;
	struct px_op op = { 0 };
	int own[3];

	ck_assert_int_eq(px_reactor_create(&base_cfg, NULL), -EINVAL);
	r = start_reactor(NULL);
	ck_assert_int_eq(px_reactor_start(r), -EALREADY);
	ck_assert(!px_reactor_on_thread(r));
	ck_assert_int_eq(px_io_nop(r, &op, top_cb), -EPERM);
	ck_assert_int_eq(px_reactor_run_once(r, 0), -EALREADY);
	call_on(r, own_thread_checks, own);
	ck_assert(own[0] && own[1]);
	ck_assert_int_eq(own[2], -EDEADLK);
	px_reactor_stats(r, &st);
	ck_assert_int_eq(st.backend, px_reactor_backend(r));
	ck_assert_int_ne(st.backend, PX_BACKEND_AUTO);
	if (ON_URING(st))
		ck_assert(st.setup_flags != 0);
	if (ON_URING(st) && px_feature_has(PX_FEAT_DEFER_TASKRUN))
		ck_assert(st.defer_taskrun && st.single_issuer);
	ck_assert_int_eq(px_reactor_stop(r), 0);
	ck_assert_int_eq(px_reactor_stop(r), 0);
	ck_assert_int_eq(px_reactor_start(r), -EALREADY);
	px_reactor_destroy(r);
	px_reactor_destroy(NULL);
}
END_TEST

static void pingpong_run(uint32_t spin_ns, bool no_msg_ring, bool no_defer,
			 struct px_reactor_stats *sa,
			 struct px_reactor_stats *sb);

/* Degraded setup: no DEFER_TASKRUN, everything still works. */
START_TEST(test_reactor_degrade)
{
	struct px_reactor_config cfg = base_cfg;
	struct px_reactor_stats st, sa, sb;
	struct px_reactor *r;
	struct top t = { 0 };

	cfg.no_defer_taskrun = true;
	ck_assert_int_eq(px_reactor_create(&cfg, &r), 0);
	ck_assert_int_eq(px_reactor_run_once(r, 0), 0);
	px_reactor_stats(r, &st);
	ck_assert(!st.defer_taskrun);
	ck_assert_int_eq(px_io_timeout(r, &t.op, 1000000, top_cb), 0);
	while (!atomic_load(&t.fired))
		ck_assert_int_ge(px_reactor_run_once(r, -1), 0);
	ck_assert_int_eq(t.res, 0);
	px_reactor_destroy(r);
	/* Started reactors without DEFER_TASKRUN wake each other both ways. */
	pingpong_run(0, false, true, &sa, &sb);
	ck_assert(!sa.defer_taskrun && (sa.setup_flags || !ON_URING(sa)));
	pingpong_run(0, true, true, &sa, &sb);
	ck_assert_uint_gt(sa.wakeups_eventfd + sb.wakeups_eventfd, 0);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Tasks, posts, wakeups.                                                    */

struct counter_task {
	struct px_task task;
	struct px_reactor *expect;
	atomic_int runs;
	atomic_int wrong_thread;
};

static void counter_fn(struct px_task *t)
{
	struct counter_task *c = px_container_of(t, struct counter_task, task);

	if (px_reactor_current() != c->expect)
		atomic_fetch_add(&c->wrong_thread, 1);
	atomic_fetch_add(&c->runs, 1);
}

struct poster {
	struct px_reactor *r;
	struct counter_task t[64];
};

static void *poster_main(void *arg)
{
	struct poster *p = arg;

	for (int round = 0; round < 20; round++) {
		for (int i = 0; i < 64; i++)
			ck_assert_int_eq(px_reactor_post(p->r, &p->t[i].task), 0);
		sleep_ms(1);
	}
	return NULL;
}

/* Posts from two plain threads: every task runs, on the reactor, via eventfd. */
START_TEST(test_reactor_post_thread)
{
	struct px_reactor_config cfg = base_cfg;
	struct px_reactor_stats st;
	struct poster p[2];
	pthread_t th[2];
	struct px_reactor *r;

	cfg.spin_ns = 0;
	r = start_reactor(&cfg);
	for (int k = 0; k < 2; k++) {
		p[k].r = r;
		for (int i = 0; i < 64; i++) {
			memset(&p[k].t[i], 0, sizeof(p[k].t[i]));
			px_task_init(&p[k].t[i].task, counter_fn);
			p[k].t[i].expect = r;
		}
		pthread_create(&th[k], NULL, poster_main, &p[k]);
	}
	for (int k = 0; k < 2; k++)
		pthread_join(th[k], NULL);
	for (int k = 0; k < 2; k++)
		for (int i = 0; i < 64; i++) {
			ck_assert(wait_for(&p[k].t[i].runs, 1));
			ck_assert_int_eq(p[k].t[i].wrong_thread, 0);
		}
	px_reactor_stats(r, &st);
	ck_assert_uint_gt(st.wakeups_eventfd, 0);
	ck_assert_uint_eq(st.wakeups_msg_ring, 0);
	ck_assert_uint_eq(st.spins, 0);
	ck_assert_int_eq(px_reactor_stop(r), 0);
	ck_assert_int_eq(px_reactor_post(r, &p[0].t[0].task), -ESHUTDOWN);
	px_reactor_destroy(r);
}
END_TEST

/* Ping-pong between two reactors: each hop is a post from a reactor thread. */
struct pingpong {
	struct px_reactor *a, *b;
	struct px_task ta, tb;
	atomic_int hops;
	int limit;
};

static void pp_a(struct px_task *t)
{
	struct pingpong *pp = px_container_of(t, struct pingpong, ta);

	if (atomic_fetch_add(&pp->hops, 1) + 1 < pp->limit)
		ck_assert_int_eq(px_reactor_post(pp->b, &pp->tb), 0);
}

static void pp_b(struct px_task *t)
{
	struct pingpong *pp = px_container_of(t, struct pingpong, tb);

	if (atomic_fetch_add(&pp->hops, 1) + 1 < pp->limit)
		ck_assert_int_eq(px_reactor_post(pp->a, &pp->ta), 0);
}

static void pingpong_run(uint32_t spin_ns, bool no_msg_ring, bool no_defer,
			 struct px_reactor_stats *sa,
			 struct px_reactor_stats *sb)
{
	struct px_reactor_config cfg = base_cfg;
	struct pingpong pp = { .limit = 200 };

	cfg.spin_ns = spin_ns;
	cfg.no_msg_ring = no_msg_ring;
	cfg.no_defer_taskrun = no_defer;
	pp.a = start_reactor(&cfg);
	pp.b = start_reactor(&cfg);
	px_task_init(&pp.ta, pp_a);
	px_task_init(&pp.tb, pp_b);
	ck_assert_int_eq(px_reactor_post(pp.a, &pp.ta), 0);
	ck_assert(wait_for(&pp.hops, pp.limit));
	ck_assert_int_eq(px_reactor_stop(pp.a), 0);
	ck_assert_int_eq(px_reactor_stop(pp.b), 0);
	px_reactor_stats(pp.a, sa);
	px_reactor_stats(pp.b, sb);
	px_reactor_destroy(pp.a);
	px_reactor_destroy(pp.b);
}

START_TEST(test_reactor_wake_msg_ring)
{
	struct px_reactor_stats sa, sb;

	NEED_URING();
	if (!px_feature_has(PX_FEAT_MSG_RING))
		PX_SKIP("this kernel's io_uring has no IORING_OP_MSG_RING");
	pingpong_run(0, false, false, &sa, &sb);
	/*
	 * A hop finds its target asleep unless the target is still finishing
	 * its previous turn (about half of them on two CPUs, fewer on a busy
	 * machine: only "some" is asserted). Only the test thread's own
	 * posts (start, stop) use the eventfd.
	 */
	ck_assert_uint_gt(sa.wakeups_msg_ring + sb.wakeups_msg_ring, 0);
	ck_assert_uint_le(sa.wakeups_eventfd + sb.wakeups_eventfd, 4);
	ck_assert_uint_eq(sa.msg_errors + sb.msg_errors, 0);
}
END_TEST

START_TEST(test_reactor_wake_eventfd)
{
	struct px_reactor_stats sa, sb;

	pingpong_run(0, true, false, &sa, &sb);
	ck_assert_uint_eq(sa.wakeups_msg_ring + sb.wakeups_msg_ring, 0);
	ck_assert_uint_gt(sa.wakeups_eventfd + sb.wakeups_eventfd, 0);
}
END_TEST

/* With a long spin, a peer that answers quickly finds the reactor awake. */
START_TEST(test_reactor_wake_spin)
{
	struct px_reactor_stats sa, sb;

	pingpong_run(200 * 1000 * 1000, false, false, &sa, &sb);
	ck_assert_uint_gt(sa.spins + sb.spins, 0);
	/* Hops that land while the peer is still in its turn need no spin. */
	ck_assert_uint_gt(sa.spin_hits + sb.spin_hits, 20);
	/* Spinning reactors are awake: few hops needed a wakeup. */
	ck_assert_uint_lt(sa.wakeups_msg_ring + sa.wakeups_eventfd +
				  sb.wakeups_msg_ring + sb.wakeups_eventfd,
			  50);
	pingpong_run(0, false, false, &sa, &sb);
	ck_assert_uint_eq(sa.spins + sb.spins, 0);
	/* Without a spin a reactor with nothing to do sleeps and needs a
	 * wakeup. How many hops find the peer still in its turn depends on
	 * the scheduler, so only "some" is asserted (no timing, rule 19). */
	ck_assert_uint_gt(sa.sleeps + sb.sleeps, 0);
	if (ON_URING(sa))
		ck_assert_uint_gt(sa.wakeups_msg_ring + sb.wakeups_msg_ring, 0);
	else
		ck_assert_uint_gt(sa.wakeups_eventfd + sb.wakeups_eventfd, 4);
}
END_TEST

/*
 * The spin's adaptation after a missed spin, with made-up clocks (no
 * timing): work posted 1 us after the spin gave up doubles the next spin
 * even when the wakeup itself took 25 us (a halted vCPU); without the
 * poster's stamp only the wake time is known, and a 25 us sleep halves it.
 * Eight misses in a row halve it however short the sleeps.
 */
START_TEST(test_reactor_spin_adapt)
{
	struct px_reactor_config cfg = PX_REACTOR_CONFIG_DEFAULT;
	struct px_reactor *r;
	const uint64_t gave_up = 1000000;

	cfg.spin_ns = 20000;
	ck_assert_int_eq(px_reactor_create(&cfg, &r), 0);
	r->spin_cur = 5000;
	r->spun_until = gave_up;
	atomic_store(&r->woken_at, gave_up + 1000);
	px__reactor_spin_adapt(r, gave_up + 25000);
	ck_assert_uint_eq(r->spin_cur, 10000);
	ck_assert_uint_eq(atomic_load(&r->woken_at), 0); /* used once */

	px__reactor_spin_adapt(r, gave_up + 25000); /* no stamp: a long sleep */
	ck_assert_uint_eq(r->spin_cur, 5000);

	/* A stamp older than the spin's end is another sleep's: ignored. */
	atomic_store(&r->woken_at, gave_up - 1);
	px__reactor_spin_adapt(r, gave_up + 25000);
	ck_assert_uint_eq(r->spin_cur, 2500);

	r->spin_misses = 0;
	for (int i = 0; i < 7; i++) {
		atomic_store(&r->woken_at, gave_up + 1000);
		px__reactor_spin_adapt(r, gave_up + 25000);
	}
	ck_assert_uint_eq(r->spin_cur, 20000); /* doubled, capped at spin_ns */
	atomic_store(&r->woken_at, gave_up + 1000);
	px__reactor_spin_adapt(r, gave_up + 25000);
	ck_assert_uint_eq(r->spin_cur, 10000); /* the eighth miss halves */
	px_reactor_destroy(r);
}
END_TEST

/* A task that reschedules itself forever cannot starve a timer. */
struct busy {
	struct px_task task;
	struct px_reactor *r;
	atomic_int runs;
	struct top tm;
};

static void busy_fn(struct px_task *t)
{
	struct busy *b = px_container_of(t, struct busy, task);

	atomic_fetch_add(&b->runs, 1);
	if (!atomic_load(&b->tm.fired))
		px_reactor_schedule(b->r, &b->task);
}

static void busy_start(struct px_reactor *r, void *arg)
{
	struct busy *b = arg;

	ck_assert_int_eq(px_io_timeout(r, &b->tm.op, 5000000, top_cb), 0);
	px_reactor_schedule(r, &b->task);
	px_reactor_schedule(r, &b->task); /* idempotent while queued */
}

START_TEST(test_reactor_budget)
{
	struct px_reactor_config cfg = base_cfg;
	struct px_reactor_stats st;
	struct busy b = { 0 };
	struct px_reactor *r;

	cfg.task_budget = 8;
	r = start_reactor(&cfg);
	b.r = r;
	px_task_init(&b.task, busy_fn);
	call_on(r, busy_start, &b);
	ck_assert(wait_for(&b.tm.fired, 1));
	ck_assert_int_eq(b.tm.res, 0);
	ck_assert_int_gt(b.runs, 8);
	px_reactor_stop(r);
	px_reactor_stats(r, &st);
	ck_assert_uint_gt(st.turns, 1);
	px_reactor_destroy(r);
}
END_TEST

/*
 * stress: a bounded SPSC link between two reactors with sleep flags on both
 * ends (the engine's cross-reactor link protocol), woken only by posts. A
 * lost post or wakeup stalls the transfer.
 */
#define XCAP 16u
struct xlink {
	struct px_reactor *a, *b;
	struct px_task prod, cons;
	atomic_uint head, tail;
	atomic_int prod_sleep, cons_sleep, done;
	unsigned total, produced;
};

static void x_prod(struct px_task *t)
{
	struct xlink *x = px_container_of(t, struct xlink, prod);

	atomic_store(&x->prod_sleep, 0);
	for (int n = 0; n < 64 && x->produced < x->total; n++) {
		if (x->produced - atomic_load(&x->tail) >= XCAP) {
			atomic_store(&x->prod_sleep, 1);
			if (x->produced - atomic_load(&x->tail) >= XCAP)
				return; /* the consumer posts us */
			atomic_store(&x->prod_sleep, 0);
		}
		atomic_store(&x->head, ++x->produced);
		if (atomic_load(&x->cons_sleep) &&
		    atomic_exchange(&x->cons_sleep, 0))
			ck_assert_int_eq(px_reactor_post(x->b, &x->cons), 0);
	}
	if (x->produced < x->total)
		px_reactor_schedule(x->a, &x->prod);
}

static void x_cons(struct px_task *t)
{
	struct xlink *x = px_container_of(t, struct xlink, cons);
	unsigned tail = atomic_load(&x->tail);

	atomic_store(&x->cons_sleep, 0);
	for (int n = 0; n < 64; n++) {
		if (tail == atomic_load(&x->head)) {
			if (tail == x->total) {
				atomic_store(&x->done, 1);
				return;
			}
			atomic_store(&x->cons_sleep, 1);
			if (tail == atomic_load(&x->head))
				return; /* the producer posts us */
			atomic_store(&x->cons_sleep, 0);
		}
		atomic_store(&x->tail, ++tail);
		if (atomic_load(&x->prod_sleep) &&
		    atomic_exchange(&x->prod_sleep, 0))
			ck_assert_int_eq(px_reactor_post(x->a, &x->prod), 0);
	}
	px_reactor_schedule(x->b, &x->cons);
}

static void xlink_run(uint32_t spin_ns, bool no_msg_ring)
{
	struct px_reactor_config cfg = base_cfg;
	struct xlink x = { .total = 200000 };

	cfg.spin_ns = spin_ns;
	cfg.no_msg_ring = no_msg_ring;
	x.a = start_reactor(&cfg);
	x.b = start_reactor(&cfg);
	px_task_init(&x.prod, x_prod);
	px_task_init(&x.cons, x_cons);
	ck_assert_int_eq(px_reactor_post(x.b, &x.cons), 0);
	ck_assert_int_eq(px_reactor_post(x.a, &x.prod), 0);
	for (int i = 0; i < 30000 && !atomic_load(&x.done); i++)
		sleep_ms(1);
	ck_assert_msg(atomic_load(&x.done), "stalled at %u of %u",
		      atomic_load(&x.tail), x.total);
	px_reactor_destroy(x.a);
	px_reactor_destroy(x.b);
}

START_TEST(test_reactor_stress_xlink)
{
	for (int i = 0; i < 2; i++) {
		xlink_run(0, false);
		xlink_run(0, true);
		xlink_run(PX_REACTOR_SPIN_DEFAULT_NS, false);
	}
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Stop, churn, embedding, topology.                                         */

struct inflight {
	int pfd[2], sv[2], lfd;
	char buf[16];
	struct top rd, tm, rv, acc;
	struct px_reactor *r;
	atomic_int rearm; /* what re-arming from the -ECANCELED callback gave */
	pid_t tid;	  /* the reactor's thread */
};

/* Re-arm on cancel, as a naive element would: refused while stopping. */
static void rearm_cb(struct px_op *op, int res, uint32_t flags)
{
	struct inflight *f = px_container_of(op, struct inflight, rd.op);

	top_cb(op, res, flags);
	atomic_store(&f->rearm, px_io_read(f->r, op, f->pfd[0], f->buf,
					   16, (uint64_t)-1, rearm_cb));
}

static void inflight_submit(struct px_reactor *r, void *arg)
{
	struct inflight *f = arg;

	f->tid = px_test_tid();
	ck_assert_int_eq(px_io_read(r, &f->rd.op, f->pfd[0], f->buf, 16,
				    (uint64_t)-1, rearm_cb), 0);
	ck_assert_int_eq(px_io_timeout(r, &f->tm.op, 60ull * 1000000000,
				       top_cb), 0);
	ck_assert_int_eq(px_io_recv(r, &f->rv.op, f->sv[0], f->buf, 16, 0,
				    top_cb), 0);
	ck_assert_int_eq(px_io_accept(r, &f->acc.op, f->lfd, NULL, NULL, 0,
				      px_feature_has(PX_FEAT_ACCEPT_MULTISHOT),
				      top_cb), 0);
}

START_TEST(test_reactor_stop_inflight)
{
	struct inflight f;
	struct sockaddr_in sa;
	struct px_reactor *r;

	memset(&f, 0, sizeof(f));
	ck_assert_int_eq(pipe(f.pfd), 0);
	ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, f.sv), 0);
	f.lfd = tcp_listener(&sa);
	f.r = r = start_reactor(NULL);
	call_on(r, inflight_submit, &f);
	/* Asleep in the kernel: the ops are submitted, the stop cancels
	 * them there. */
	PX_TEST_UNTIL(px_test_thread_sleeps(f.tid), 10);
	ck_assert_int_eq(px_reactor_stop(r), 0);
	ck_assert_int_eq(f.rd.fired, 1);
	ck_assert_int_eq(f.rd.res, -ECANCELED);
	ck_assert_int_eq(f.rearm, -ESHUTDOWN);
	ck_assert_int_eq(f.tm.fired, 1);
	ck_assert_int_eq(f.tm.res, -ECANCELED);
	ck_assert_int_eq(f.rv.fired, 1);
	ck_assert_int_eq(f.rv.res, -ECANCELED);
	ck_assert_int_eq(f.acc.fired, 1);
	ck_assert_int_eq(f.acc.res, -ECANCELED);
	px_reactor_destroy(r);
	close(f.pfd[0]);
	close(f.pfd[1]);
	close(f.sv[0]);
	close(f.sv[1]);
	close(f.lfd);
}
END_TEST

START_TEST(test_reactor_churn)
{
	struct px_reactor_config cfg = base_cfg;
	struct px_reactor *r;
	int before;

	cfg.no_pin = true;
	before = px_test_count_fds();
	for (int i = 0; i < 1000; i++) {
		ck_assert_int_eq(px_reactor_create(&cfg, &r), 0);
		if (i % 2) {
			ck_assert_int_eq(px_reactor_start(r), 0);
		} else {
			struct top t = { 0 };

			ck_assert_int_ge(px_reactor_run_once(r, 0), 0);
			ck_assert_int_eq(px_io_timeout(r, &t.op, 1ull << 40,
						       top_cb), 0);
			ck_assert_int_ge(px_reactor_run_once(r, 0), 0);
			ck_assert_int_eq(px_reactor_stop(r), 0);
			ck_assert_int_eq(t.fired, 1);
		}
		px_reactor_destroy(r);
	}
	ck_assert_int_eq(px_test_count_fds(), before);
}
END_TEST

struct emb_ctx {
	struct px_reactor *r, *helper;
	int pfd[2];
	struct counter_task task, task2;
	pid_t owner;	  /* the embedder's thread */
	atomic_int turns; /* its run_once calls after a wakeup */
};

static void emb_post_from_reactor(struct px_reactor *helper, void *arg)
{
	struct emb_ctx *c = arg;

	ck_assert_int_eq(px_reactor_post(c->r, &c->task2.task), 0);
}

/* Each event once the embedder sleeps in its epoll_wait, so that each
 * must wake it: a completion, a post by eventfd, a post by MSG_RING. */
static void *emb_peer(void *arg)
{
	struct emb_ctx *c = arg;

	PX_TEST_UNTIL(px_test_thread_sleeps(c->owner), 10);
	ck_assert_int_eq(write(c->pfd[1], "e", 1), 1);
	PX_TEST_UNTIL(atomic_load(&c->turns) > 0 &&
			      px_test_thread_sleeps(c->owner),
		      10);
	ck_assert_int_eq(px_reactor_post(c->r, &c->task.task), 0);
	PX_TEST_UNTIL(atomic_load(&c->turns) > 1 &&
			      px_test_thread_sleeps(c->owner),
		      10);
	call_on(c->helper, emb_post_from_reactor, c); /* the MSG_RING path */
	return NULL;
}

/* An embedder's epoll loop: the reactor fd fires for completions and posts. */
START_TEST(test_reactor_embedded_epoll)
{
	struct epoll_event ev = { .events = EPOLLIN }, got;
	struct px_reactor_stats st;
	struct emb_ctx c;
	struct top rd = { 0 }, tm = { 0 };
	pthread_t th;
	char buf[4];
	int ep, n;

	memset(&c, 0, sizeof(c));
	ck_assert_int_eq(px_reactor_create(&base_cfg, &c.r), 0);
	ck_assert_int_eq(pipe(c.pfd), 0);
	px_task_init(&c.task.task, counter_fn);
	px_task_init(&c.task2.task, counter_fn);
	c.task.expect = c.task2.expect = c.r;
	c.helper = start_reactor(NULL);
	ep = epoll_create1(EPOLL_CLOEXEC);
	ck_assert_int_eq(epoll_ctl(ep, EPOLL_CTL_ADD, px_reactor_fd(c.r), &ev), 0);
	ck_assert_int_ge(px_reactor_run_once(c.r, 0), 0);
	/* An embedded ring never defers task work: its eventfd would then
	 * fire a kernel RCU grace period late (reactor.c). */
	px_reactor_stats(c.r, &st);
	ck_assert(!st.defer_taskrun && (st.single_issuer || !ON_URING(st)));
	ck_assert(px_reactor_idle(c.r));
	ck_assert_int_eq(px_io_read(c.r, &rd.op, c.pfd[0], buf, sizeof(buf),
				    (uint64_t)-1, top_cb), 0);
	ck_assert(!px_reactor_idle(c.r)); /* an op waits for its submit */
	/* Queued outside run_once: the fd fires so the loop submits it. */
	n = epoll_wait(ep, &got, 1, 1000);
	ck_assert_int_eq(n, 1);
	ck_assert_int_ge(px_reactor_run_once(c.r, 0), 0);
	c.owner = px_test_tid();
	pthread_create(&th, NULL, emb_peer, &c);
	for (int i = 0; i < 100 && !(rd.fired && c.task.runs && c.task2.runs);
	     i++) {
		n = epoll_wait(ep, &got, 1, 1000);
		/* io_uring task work may interrupt the wait: retry. */
		ck_assert(n >= 0 || errno == EINTR);
		if (n == 1) {
			ck_assert_int_ge(px_reactor_run_once(c.r, 0), 0);
			atomic_fetch_add(&c.turns, 1);
		}
	}
	pthread_join(th, NULL);
	ck_assert_int_eq(rd.fired, 1);
	ck_assert_int_eq(rd.res, 1);
	ck_assert_int_eq(c.task.runs, 1);
	ck_assert_int_eq(c.task.wrong_thread, 0);
	ck_assert_int_eq(c.task2.runs, 1);
	ck_assert_int_eq(c.task2.wrong_thread, 0);
	px_reactor_stats(c.r, &st);
	ck_assert_uint_ge(st.wakeups_eventfd, 1);
	if (px_feature_has(PX_FEAT_MSG_RING) && ON_URING(st))
		ck_assert_uint_ge(st.wakeups_msg_ring, 1);
	px_reactor_destroy(c.helper);
	/* Stop from the owner with an op in flight: it is cancelled. */
	ck_assert_int_eq(px_io_timeout(c.r, &tm.op, 1ull << 40, top_cb), 0);
	ck_assert_int_eq(px_reactor_stop(c.r), 0);
	ck_assert_int_eq(tm.fired, 1);
	ck_assert_int_eq(tm.res, -ECANCELED);
	ck_assert_int_eq(px_reactor_run_once(c.r, 0), -EALREADY);
	px_reactor_destroy(c.r);
	close(ep);
	close(c.pfd[0]);
	close(c.pfd[1]);
}
END_TEST

static void check_synthetic(const char *desc, int nodes, unsigned per_node)
{
	struct px_reactor_group *g;
	struct counter_task t[16];
	char want[32], got[32];

	setenv("HWLOC_SYNTHETIC", desc, 1);
	ck_assert_int_eq(px_topology_reload(), 0);
	ck_assert_int_eq(px_topology_numa_nodes(), nodes);
	ck_assert_int_eq(px_reactor_group_create(NULL, per_node, &g), 0);
	ck_assert_uint_eq(px_reactor_group_count(g), nodes * per_node);
	ck_assert_ptr_null(px_reactor_group_get(g, nodes * per_node));
	for (unsigned i = 0; i < px_reactor_group_count(g); i++) {
		struct px_reactor *r = px_reactor_group_get(g, i);
		int node = (int)(i / per_node);

		ck_assert_uint_eq(px_reactor_index(r), i);
		ck_assert_int_eq(px_reactor_numa_node(r), node);
		/* Two PUs per node, numbered in order. */
		snprintf(want, sizeof(want), "%d-%d", 2 * node, 2 * node + 1);
		ck_assert_int_gt(px_reactor_cpuset(r, got, sizeof(got)), 0);
		ck_assert_str_eq(got, want);
		ck_assert(!px_reactor_pinned(r)); /* not this system */
		memset(&t[i], 0, sizeof(t[i]));
		px_task_init(&t[i].task, counter_fn);
		t[i].expect = r;
		ck_assert_int_eq(px_reactor_post(r, &t[i].task), 0);
	}
	ck_assert_ptr_eq(px_reactor_group_on_node(g, nodes - 1),
			 px_reactor_group_get(g, (nodes - 1) * per_node));
	for (unsigned i = 0; i < px_reactor_group_count(g); i++) {
		ck_assert(wait_for(&t[i].runs, 1));
		ck_assert_int_eq(t[i].wrong_thread, 0);
	}
	px_reactor_group_destroy(g);
	unsetenv("HWLOC_SYNTHETIC");
	px_topology_reload();
}

START_TEST(test_reactor_topology_2)
{
	struct px_reactor_config cfg = base_cfg;
	struct px_reactor *r;

	check_synthetic("pack:2 numa:1 core:2 pu:1", 2, 1);
	check_synthetic("pack:2 numa:1 core:2 pu:1", 2, 2);
	setenv("HWLOC_SYNTHETIC", "pack:2 numa:1 core:2 pu:1", 1);
	px_topology_reload();
	cfg.numa_node = 2;
	ck_assert_int_eq(px_reactor_create(&cfg, &r), -ENODEV);
	cfg.numa_node = -1;
	cfg.cpu = 3;
	ck_assert_int_eq(px_reactor_create(&cfg, &r), 0);
	ck_assert_int_eq(px_reactor_numa_node(r), 1);
	px_reactor_destroy(r);
	unsetenv("HWLOC_SYNTHETIC");
	px_topology_reload();
}
END_TEST

START_TEST(test_reactor_topology_4)
{
	check_synthetic("pack:4 numa:1 core:2 pu:1", 4, 1);
	check_synthetic("pack:2 numa:2 core:2 pu:1", 4, 2);
}
END_TEST

/* On the real machine the reactor is bound to its node's CPUs. */
START_TEST(test_reactor_pin_real)
{
	struct px_reactor_config cfg = base_cfg;
	struct px_reactor *r;
	char set[64];

	cfg.numa_node = 0;
	r = start_reactor(&cfg);
	ck_assert(px_reactor_pinned(r));
	ck_assert_int_gt(px_reactor_cpuset(r, set, sizeof(set)), 0);
	ck_assert_int_eq(px_reactor_numa_node(r), 0);
	px_reactor_destroy(r);
}
END_TEST

/* ------------------------------------------------------------------------ */
/* Op groups: the reactor counts an owner's ops; IDLE once after the last.   */

struct grp {
	struct px_op_group g;
	struct px_op op[3];
	int idle_calls, again; /* op[0] resubmits itself AGAIN times */
	struct px_reactor *r;
};

static void grp_idle(struct px_op_group *g)
{
	struct grp *x = px_container_of(g, struct grp, g);

	x->idle_calls++;
	g->closing = false;
}

static void grp_cb(struct px_op *op, int res, uint32_t flags)
{
	struct grp *x;

	(void)res;
	(void)flags;
	if (!op->group)
		return; /* the ungrouped op at the end */
	x = px_container_of(op->group, struct grp, g);
	if (op == &x->op[0] && x->again-- > 0)
		ck_assert_int_eq(px_io_timeout(x->r, op, 1000, grp_cb), 0);
}

START_TEST(test_reactor_op_group)
{
	struct px_reactor_config cfg = base_cfg;
	struct grp x = { .g = { .idle = grp_idle }, .again = 3 };

	ck_assert_int_eq(px_reactor_create(&cfg, &x.r), 0);
	ck_assert_int_eq(px_reactor_run_once(x.r, 0), 0);
	for (int i = 0; i < 3; i++) {
		px_op_init_group(&x.op[i], &x.g);
		ck_assert_int_eq(px_io_timeout(x.r, &x.op[i], 1000 * (i + 1),
					       grp_cb),
				 0);
	}
	ck_assert_uint_eq(x.g.inflight, 3);
	x.g.closing = true;
	while (x.g.inflight)
		ck_assert_int_ge(px_reactor_run_once(x.r, -1), 0);
	/* Resubmits kept the group busy; IDLE ran once, after the last. */
	ck_assert_int_eq(x.again, -1);
	ck_assert_int_eq(x.idle_calls, 1);
	/* An op outside any group is not counted. */
	px_op_init(&x.op[1]);
	ck_assert_int_eq(px_io_timeout(x.r, &x.op[1], 1000, grp_cb), 0);
	ck_assert_uint_eq(x.g.inflight, 0);
	px_reactor_destroy(x.r);
}
END_TEST

static Suite *reactor_suite(void)
{
	Suite *s = suite_create("reactor");

	tcase_add_test(px_tcase(s, "lifecycle"), test_reactor_lifecycle);
	tcase_add_test(px_tcase(s, "degrade"), test_reactor_degrade);
	tcase_add_test(px_tcase(s, "op_group"), test_reactor_op_group);
	tcase_add_test(px_tcase(s, "post_thread"), test_reactor_post_thread);
	tcase_add_test(px_tcase(s, "wake_msg_ring"), test_reactor_wake_msg_ring);
	tcase_add_test(px_tcase(s, "wake_eventfd"), test_reactor_wake_eventfd);
	tcase_add_test(px_tcase(s, "wake_spin"), test_reactor_wake_spin);
	tcase_add_test(px_tcase(s, "spin_adapt"), test_reactor_spin_adapt);
	tcase_add_test(px_tcase(s, "budget"), test_reactor_budget);
	tcase_add_test(px_tcase(s, "stress_xlink"), test_reactor_stress_xlink);
	tcase_add_test(px_tcase(s, "stop_inflight"), test_reactor_stop_inflight);
	tcase_add_test(px_tcase(s, "churn"), test_reactor_churn);
	tcase_add_test(px_tcase(s, "embedded_epoll"), test_reactor_embedded_epoll);
	tcase_add_test(px_tcase(s, "topology_2"), test_reactor_topology_2);
	tcase_add_test(px_tcase(s, "topology_4"), test_reactor_topology_4);
	tcase_add_test(px_tcase(s, "pin_real"), test_reactor_pin_real);
	return s;
}

PX_TEST_MAIN(reactor_suite)
