// SPDX-License-Identifier: MIT
/*
 * scen_reactor.c - the reactor scenario: NOP round trip through the
 * reactor's op API (batch 1 and 32) beside a bare liburing loop with the
 * same ring flags, and cross-reactor wakeup latency percentiles (a task
 * posted from reactor A to reactor B) on the spin path and the sleep path.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <liburing.h>
#include <parallax/px_reactor.h>

#include "bench.h"

#define MAX_BATCH 32

/* Without io_uring (kernel.io_uring_disabled, a seccomp profile) the
 * reactor cannot exist: the machine lacks a facility, nothing is broken. */
static int no_uring(int rc)
{
	return rc == -ENOSYS ? BENCH_NA : rc;
}

struct nop_arg {
	unsigned batch;
	double secs;
	int flags; /* the embedded reactor's ring flags, for the peer */
};

struct nop_state {
	struct px_op op[MAX_BATCH];
	unsigned done;
	int err;
};

/* "SINGLE_ISSUER|SUBMIT_ALL" for the IORING_SETUP_* FLAGS, into BUF. */
static void ring_flags_text(unsigned flags, char *buf, size_t len)
{
	static const struct {
		unsigned bit;
		const char *name;
	} names[] = {
		{IORING_SETUP_SINGLE_ISSUER, "SINGLE_ISSUER"},
		{IORING_SETUP_DEFER_TASKRUN, "DEFER_TASKRUN"},
		{IORING_SETUP_COOP_TASKRUN, "COOP_TASKRUN"},
		{IORING_SETUP_TASKRUN_FLAG, "TASKRUN_FLAG"},
		{IORING_SETUP_SUBMIT_ALL, "SUBMIT_ALL"},
	};
	size_t n = 0;

	buf[0] = '\0';
	for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++)
		if ((flags & names[k].bit) && n < len)
			n += (size_t)snprintf(buf + n, len - n, "%s%s",
					      n ? "|" : "", names[k].name);
	if (!buf[0])
		bench_snprintf(buf, len, "none");
}

static struct nop_state *g_nop; /* the run's state, for the callback */

static void nop_count_cb(struct px_op *op, int res, uint32_t flags)
{
	(void)op;
	(void)flags;
	if (res < 0)
		g_nop->err = res;
	g_nop->done++;
}

static int run_px_nop(struct bench_run *run)
{
	const struct nop_arg *a = run->arg;
	struct px_reactor_config cfg = PX_REACTOR_CONFIG_DEFAULT;
	struct px_reactor *r;
	struct px_reactor_stats st;
	struct nop_state s = {0};
	uint64_t i, t0, end;
	char text[120];
	unsigned k;
	int rc;

	cfg.no_pin = true;
	cfg.spin_ns = 0;
	rc = px_reactor_create(&cfg, &r);
	if (rc) {
		bench_snprintf(run->why, sizeof(run->why),
			       "px_reactor_create: %s", strerror(-rc));
		return no_uring(rc);
	}
	g_nop = &s;
	/* The first turn creates the ring on this thread (embedded reactor). */
	rc = px_reactor_run_once(r, 0);
	if (rc < 0) {
		bench_snprintf(run->why, sizeof(run->why),
			       "px_reactor_run_once: %s", strerror(-rc));
		goto out;
	}
	t0 = bench_now_ns();
	end = t0 + (uint64_t)(a->secs * 1e9);
	for (i = 0; (i & 63) || bench_now_ns() < end; i++) {
		s.done = 0;
		for (k = 0; k < a->batch; k++) {
			rc = px_io_nop(r, &s.op[k], nop_count_cb);
			if (rc) {
				bench_snprintf(run->why, sizeof(run->why),
					       "px_io_nop: %s", strerror(-rc));
				goto out;
			}
		}
		while (s.done < a->batch) {
			rc = px_reactor_run_once(r, -1);
			if (rc < 0) {
				bench_snprintf(run->why, sizeof(run->why),
					       "px_reactor_run_once: %s",
					       strerror(-rc));
				goto out;
			}
		}
	}
	run->v[0] = (double)(bench_now_ns() - t0) / (double)(i * a->batch);
	if (s.err) {
		rc = s.err;
		bench_snprintf(run->why, sizeof(run->why),
			       "a NOP completed with %s", strerror(-rc));
		goto out;
	}
	px_reactor_stats(r, &st);
	/* Per NOP: how many loop turns, io_uring_enter calls and sleeps. */
	ring_flags_text(st.setup_flags, text, sizeof(text));
	bench_snprintf(run->note, sizeof(run->note),
		       "per NOP: %.2f turns, %.2f enters, %.2f sleeps; ring %s",
		       (double)st.turns / (double)(i * a->batch),
		       (double)st.submits / (double)(i * a->batch),
		       (double)st.sleeps / (double)(i * a->batch), text);
	rc = 0;
out:
	px_reactor_destroy(r);
	g_nop = NULL;
	return no_uring(rc);
}

/* The IORING_SETUP_* flags an embedded reactor's ring gets here (what
 * run_px_nop measures), or -errno. */
static int embedded_ring_flags(void)
{
	struct px_reactor_config cfg = PX_REACTOR_CONFIG_DEFAULT;
	struct px_reactor_stats st;
	struct px_reactor *r;
	int rc;

	cfg.no_pin = true;
	rc = px_reactor_create(&cfg, &r);
	if (rc)
		return rc;
	rc = px_reactor_run_once(r, 0); /* sets the ring up on this thread */
	px_reactor_stats(r, &st);
	px_reactor_destroy(r);
	return rc < 0 ? rc : (int)st.setup_flags;
}

static int run_uring_nop(struct bench_run *run)
{
	const struct nop_arg *a = run->arg;
	int rc = a->flags < 0 ? a->flags :
		bench_uring_nop(a->batch, (unsigned)a->flags, a->secs,
				&run->v[0], run->why, sizeof(run->why));

	return rc == -ENOSYS || rc == -EPERM ? BENCH_MISSING : rc;
}

/* ---- cross-reactor wakeup ---------------------------------------------- */

/*
 * Reactor A posts a task to reactor B every gap_ns (a px_io_timeout on A);
 * the latency is from the post on A to the task's start on B. Spin path:
 * the gap is a quarter of B's spin window, so B is still spinning from the
 * last post. Sleep path: the gap is ten spin windows + 200 us, so B sleeps
 * in the kernel. A posts only after B took the previous sample, so no post
 * is ever merged into a pending one. B's sleep and spin-hit counters (in the
 * JSON note) show which path was really taken.
 */
struct lat_state {
	struct px_reactor *a, *b;
	struct px_task start_task; /* on A: arm the first timer */
	struct px_task
		tick_task; /* on A, spin path: post when the gap passed */
	uint64_t next_ns;  /* spin path: next post not before this */
	bool spin_path;
	struct px_task recv_task; /* on B: take the sample */
	struct px_op timer;
	uint64_t gap_ns;
	_Atomic uint64_t t0;
	_Atomic int pending; /* a post is on its way to B */
	uint64_t end_ns;     /* stop at this time, with the samples so far */
	double *samples;
	size_t n;
	_Atomic size_t i;
	_Atomic int err;
	atomic_int done;
};

static void lat_finish(struct lat_state *s, int err)
{
	if (err)
		atomic_store_explicit(&s->err, err, memory_order_relaxed);
	/* Release: the samples before done; pairs with the acquire in main. */
	atomic_store_explicit(&s->done, 1, memory_order_release);
}

static void lat_timer_cb(struct px_op *op, int res, uint32_t flags)
{
	struct lat_state *s = px_container_of(op, struct lat_state, timer);
	int rc;

	(void)flags;
	if (atomic_load_explicit(&s->done, memory_order_acquire))
		return;
	if (res < 0 && res != -ETIME) {
		lat_finish(s, res);
		return;
	}
	/* Acquire: pairs with B's release of pending after its sample. */
	if (!atomic_load_explicit(&s->pending, memory_order_acquire)) {
		atomic_store_explicit(&s->pending, 1, memory_order_relaxed);
		/* Release: B reads t0 after the post's own ordering; belt and
		 * braces for the reader on another thread. */
		atomic_store_explicit(&s->t0, bench_now_ns(),
				      memory_order_release);
		rc = px_reactor_post(s->b, &s->recv_task);
		if (rc) {
			lat_finish(s, rc);
			return;
		}
	}
	rc = px_io_timeout(s->a, &s->timer, s->gap_ns, lat_timer_cb);
	if (rc)
		lat_finish(s, rc);
}

/*
 * Spin path: a 5 us timer on a loaded machine fires late, and B would fall
 * asleep in between; so A keeps a task queued that posts as soon as the gap
 * has passed. A runs one task per loop turn (task_budget 1), so each post
 * goes out with the very next submit.
 */
static void lat_tick_fn(struct px_task *t)
{
	struct lat_state *s = px_container_of(t, struct lat_state, tick_task);
	uint64_t now;
	int rc;

	if (atomic_load_explicit(&s->done, memory_order_acquire))
		return;
	now = bench_now_ns();
	/* Acquire: pairs with B's release of pending after its sample. */
	if (now >= s->next_ns &&
	    !atomic_load_explicit(&s->pending, memory_order_acquire)) {
		atomic_store_explicit(&s->pending, 1, memory_order_relaxed);
		atomic_store_explicit(&s->t0, now, memory_order_release);
		rc = px_reactor_post(s->b, &s->recv_task);
		if (rc) {
			lat_finish(s, rc);
			return;
		}
		s->next_ns = now + s->gap_ns;
	}
	px_reactor_schedule(s->a, &s->tick_task);
}

static void lat_start_fn(struct px_task *t)
{
	struct lat_state *s = px_container_of(t, struct lat_state, start_task);
	int rc = 0;

	if (s->spin_path)
		px_reactor_schedule(s->a, &s->tick_task);
	else
		rc = px_io_timeout(s->a, &s->timer, s->gap_ns, lat_timer_cb);
	if (rc)
		lat_finish(s, rc);
}

static void lat_recv_fn(struct px_task *t)
{
	struct lat_state *s = px_container_of(t, struct lat_state, recv_task);
	uint64_t now = bench_now_ns();
	size_t i = atomic_load_explicit(&s->i, memory_order_relaxed);
	uint64_t t0 = atomic_load_explicit(&s->t0, memory_order_acquire);

	if (i < s->n)
		s->samples[i++] = (double)(now - t0) / 1000.0;
	atomic_store_explicit(&s->i, i, memory_order_relaxed);
	/* Release: the sample is stored before A may post again. */
	atomic_store_explicit(&s->pending, 0, memory_order_release);
	if (i == s->n || now > s->end_ns)
		lat_finish(s, 0);
}

struct lat_arg {
	bool sleep_path;
	size_t n;    /* samples at most */
	double secs; /* and at most this long */
};

/* The gap between posts on each path, from the spin window. */
static uint64_t lat_gap_ns(bool sleep_path, uint32_t spin_ns)
{
	return sleep_path ? (uint64_t)spin_ns * 10 + 200000 : spin_ns / 4;
}

static int run_px_wakeup(struct bench_run *run)
{
	const struct lat_arg *a = run->arg;
	struct px_reactor_config cfg = PX_REACTOR_CONFIG_DEFAULT;
	static struct lat_state s;
	struct px_reactor_stats sb;
	unsigned budget;
	double deadline;
	size_t got;
	int rc;

	memset(&s, 0, sizeof(s));
	s.n = a->n;
	s.spin_path = !a->sleep_path;
	cfg.no_pin = true;
	s.gap_ns = lat_gap_ns(a->sleep_path, cfg.spin_ns);
	s.samples = calloc(a->n, sizeof(*s.samples));
	if (!s.samples)
		return -ENOMEM;
	budget = cfg.task_budget;
	cfg.name = "pxb-a";
	cfg.task_budget = s.spin_path ? 1 : budget;
	rc = px_reactor_create(&cfg, &s.a);
	if (rc == 0) {
		cfg.name = "pxb-b";
		cfg.task_budget = budget;
		rc = px_reactor_create(&cfg, &s.b);
	}
	if (rc == 0)
		rc = px_reactor_start(s.a);
	if (rc == 0)
		rc = px_reactor_start(s.b);
	if (rc) {
		bench_snprintf(run->why, sizeof(run->why),
			       "reactor create/start: %s", strerror(-rc));
		rc = no_uring(rc);
		goto out;
	}
	px_task_init(&s.start_task, lat_start_fn);
	px_task_init(&s.tick_task, lat_tick_fn);
	px_task_init(&s.recv_task, lat_recv_fn);
	s.end_ns = bench_now_ns() + (uint64_t)(a->secs * 1e9);
	rc = px_reactor_post(s.a, &s.start_task);
	deadline = bench_now() + a->secs + 30;
	while (rc == 0 &&
	       !atomic_load_explicit(&s.done, memory_order_acquire)) {
		if (bench_now() > deadline) {
			rc = -ETIMEDOUT;
			break;
		}
		usleep(1000);
	}
	if (rc == 0)
		rc = atomic_load_explicit(&s.err, memory_order_relaxed);
	px_reactor_stop(s.a);
	px_reactor_stop(s.b);
	got = atomic_load(&s.i);
	if (rc || got == 0) {
		bench_snprintf(run->why, sizeof(run->why),
			       "wakeup posts: %s (%zu of %zu samples)",
			       rc ? strerror(-rc) : "no sample", got, s.n);
		rc = rc ? rc : -EIO;
		goto out;
	}
	px_reactor_stats(s.b, &sb);
	run->v[0] = bench_percentile(s.samples, got, 50);
	run->v[1] = bench_percentile(s.samples, got, 90);
	run->v[2] = bench_percentile(s.samples, got, 99);
	run->v[3] = bench_percentile(s.samples, got, 99.9);
	bench_snprintf(run->note, sizeof(run->note),
		       "%zu samples; B slept %llu times, spin hits %llu", got,
		       (unsigned long long)sb.sleeps,
		       (unsigned long long)sb.spin_hits);
out:
	px_reactor_destroy(s.a);
	px_reactor_destroy(s.b);
	free(s.samples);
	return rc;
}

/* A peer's samples into RUN: the four percentiles and the count, or why
 * there are none. Frees SAMPLES. */
static int peer_samples(struct bench_run *run, int rc, double *samples,
			size_t got, const char *what)
{
	if (rc == 0 && got == 0) {
		bench_snprintf(run->why, sizeof(run->why), "%s: no sample",
			       what);
		rc = -EIO;
	}
	if (rc == 0) {
		run->v[0] = bench_percentile(samples, got, 50);
		run->v[1] = bench_percentile(samples, got, 90);
		run->v[2] = bench_percentile(samples, got, 99);
		run->v[3] = bench_percentile(samples, got, 99.9);
		bench_snprintf(run->note, sizeof(run->note), "%zu samples",
			       got);
	}
	free(samples);
	return rc;
}

static int run_uring_wakeup(struct bench_run *run)
{
	const struct lat_arg *a = run->arg;
	double *samples = calloc(a->n, sizeof(*samples));
	size_t got = 0;
	int rc;

	if (!samples)
		return -ENOMEM;
	rc = bench_uring_wakeup(
		a->sleep_path, PX_REACTOR_SPIN_DEFAULT_NS,
		lat_gap_ns(a->sleep_path, PX_REACTOR_SPIN_DEFAULT_NS), a->secs,
		samples, a->n, &got, run->why, sizeof(run->why));
	if (rc == -ENOSYS || rc == -EPERM) {
		free(samples);
		return BENCH_MISSING; /* io_uring disabled on this machine */
	}
	return peer_samples(run, rc, samples, got, "MSG_RING ping-pong");
}

/* The spin path's own class of peer: a user-space flag polled by a
 * thread that never sleeps, pinged with the same gap. */
static int run_flag_wakeup(struct bench_run *run)
{
	const struct lat_arg *a = run->arg;
	double *samples = calloc(a->n, sizeof(*samples));
	size_t got = 0;
	int rc;

	if (!samples)
		return -ENOMEM;
	rc = bench_flag_wakeup(lat_gap_ns(false, PX_REACTOR_SPIN_DEFAULT_NS),
			       a->secs, samples, a->n, &got);
	return peer_samples(run, rc, samples, got, "spin flag");
}

/* The footnotes of the wakeup cases, from the parameters the runs use:
 * W[0] Parallax, W[1] liburing, W[2] the spin flag (spin path only). */
static void wakeup_whats(bool sleep_path, char w[3][400])
{
	uint32_t spin = PX_REACTOR_SPIN_DEFAULT_NS;
	double gap_us = (double)lat_gap_ns(sleep_path, spin) / 1000.0;

	if (sleep_path)
		bench_snprintf(w[0], 400,
			       "two started reactors (default %.0f us spin, "
			       "not pinned); a px_io_timeout on A posts a task "
			       "to B every %.0f us, so B sleeps; latency = "
			       "post on A to task start on B",
			       spin / 1000.0, gap_us);
	else
		bench_snprintf(w[0], 400,
			       "two started reactors (default %.0f us spin, "
			       "not pinned); a task kept queued on A "
			       "(task_budget 1) posts a task to B %.0f us "
			       "after the last one arrived, so B should still "
			       "be spinning (B's sleeps and spin hits are in "
			       "the JSON note); latency = post on A to task "
			       "start on B",
			       spin / 1000.0, gap_us);
	bench_snprintf(w[1], 400,
		       "bare liburing: two threads, a plain SINGLE_ISSUER ring "
		       "each; A %s %.0f us, then sends IORING_OP_MSG_RING to "
		       "B's ring; B peeks its CQ for %.0f us, then sleeps in "
		       "io_uring_wait_cqe; latency = just before A's submit "
		       "to B seeing the CQE",
		       sleep_path ? "sleeps (nanosleep)" : "busy-waits", gap_us,
		       spin / 1000.0);
	bench_snprintf(w[2], 400,
		       "a user-space flag: A busy-waits %.0f us after B took "
		       "the last ping, stores the time and bumps a counter; "
		       "B polls the counter without pause; latency = just "
		       "before the bump to B seeing it",
		       gap_us);
}

int bench_scen_reactor(struct bench_ctx *ctx)
{
	static struct nop_arg nops[2];
	static struct lat_arg lats[2];
	static char whats[2][3][400];
	static char peer_what[300];
	static const unsigned batches[] = {1, 32};
	char variants[2][32], text[120];
	int flags = embedded_ring_flags();
	unsigned i;
	int rc;

	/* The peer's ring gets the flags the reactor's ring got: embedded
	 * rings skip DEFER_TASKRUN (px_reactor.h says why). */
	ring_flags_text(flags < 0 ? 0 : (unsigned)flags, text, sizeof(text));
	bench_snprintf(peer_what, sizeof(peer_what),
		       "bare liburing loop, ring flags %s (the embedded "
		       "reactor's): io_uring_prep_nop x batch, "
		       "io_uring_submit_and_wait(batch), reap CQEs",
		       text);

	for (i = 0; i < 2; i++) {
		struct bench_case c = {
			.scenario = "reactor",
			.variant = variants[i],
			.nmetrics = 1,
			.metric = {{"round trip", "ns/op", true}},
			.nimpls = 2,
		};

		nops[i] = (struct nop_arg){.batch = batches[i],
					   .secs = ctx->quick ? 0.05 : 0.5,
					   .flags = flags};
		bench_snprintf(variants[i], sizeof(variants[i]), "NOP batch %u",
			       batches[i]);
		c.impl[0] = (struct bench_impl){
			"parallax", run_px_nop, &nops[i],
			"embedded reactor (px_reactor_run_once on the calling "
			"thread, spin 0): "
			"px_io_nop x batch, run_once until every callback "
			"fired"};
		c.impl[1] = (struct bench_impl){
			"liburing", run_uring_nop, &nops[i], peer_what};
		rc = bench_case_run(ctx, &c);
		if (rc)
			return rc;
	}
	for (i = 0; i < 2; i++) {
		struct bench_case c = {
			.scenario = "reactor",
			.variant = i ? "wakeup sleep path" : "wakeup spin path",
			.nmetrics = 4,
			.metric = {{"p50", "us", true},
				   {"p90", "us", true},
				   {"p99", "us", true},
				   {"p99.9", "us", true}},
			.metric_x = {50, 90, 99, 99.9},
			.nimpls = 2,
			.chart = "latency",
			.series = i ? "sleep path" : "spin path",
		};

		lats[i] = (struct lat_arg){.sleep_path = i == 1,
					   .n = i ? (ctx->quick ? 300 : 3000)
						  : (ctx->quick ? 5000 : 50000),
					   .secs = ctx->quick ? 0.2 : 2};
		wakeup_whats(i == 1, whats[i]);
		c.impl[0] = (struct bench_impl){"parallax", run_px_wakeup,
						&lats[i], whats[i][0]};
		c.impl[1] = (struct bench_impl){"liburing", run_uring_wakeup,
						&lats[i], whats[i][1]};
		if (i == 0) /* a spinning consumer: its own class of peer */
			c.impl[c.nimpls++] = (struct bench_impl){
				"spin-flag", run_flag_wakeup, &lats[i],
				whats[i][2]};
		rc = bench_case_run(ctx, &c);
		if (rc)
			return rc;
	}
	return 0;
}
