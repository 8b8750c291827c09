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
};

struct nop_state {
	struct px_op op[MAX_BATCH];
	unsigned done;
	int err;
};

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
	bench_snprintf(run->note, sizeof(run->note),
		       "per NOP: %.2f turns, %.2f enters, %.2f sleeps%s",
		       (double)st.turns / (double)(i * a->batch),
		       (double)st.submits / (double)(i * a->batch),
		       (double)st.sleeps / (double)(i * a->batch),
		       st.single_issuer && st.defer_taskrun
			       ? ""
			       : "; ring without SINGLE_ISSUER|DEFER_TASKRUN");
	rc = 0;
out:
	px_reactor_destroy(r);
	g_nop = NULL;
	return no_uring(rc);
}

static int run_uring_nop(struct bench_run *run)
{
	const struct nop_arg *a = run->arg;

	int rc = bench_uring_nop(a->batch, a->secs, &run->v[0], run->why,
				 sizeof(run->why));

	return rc == -ENOSYS || rc == -EPERM ? BENCH_MISSING : rc;
}

/* ---- cross-reactor wakeup ---------------------------------------------- */

struct lat_state {
	struct px_reactor *a, *b;
	struct px_task send_task; /* on A: start the next round */
	struct px_task recv_task; /* on B: take the sample */
	struct px_op timer;
	bool sleep_path;
	uint64_t gap_ns;
	uint64_t t0;
	uint64_t end_ns; /* stop early at this time, with the samples so far */
	double *samples;
	size_t n, i;
	int err;
	atomic_int done;
};

static void lat_send(struct lat_state *s)
{
	int rc;

	s->t0 = bench_now_ns();
	rc = px_reactor_post(s->b, &s->recv_task);
	if (rc) {
		s->err = rc;
		atomic_store_explicit(&s->done, 1, memory_order_release);
	}
}

static void lat_timer_cb(struct px_op *op, int res, uint32_t flags)
{
	struct lat_state *s = px_container_of(op, struct lat_state, timer);

	(void)flags;
	if (res < 0 && res != -ETIME) {
		s->err = res;
		atomic_store_explicit(&s->done, 1, memory_order_release);
		return;
	}
	lat_send(s);
}

static void lat_send_fn(struct px_task *t)
{
	struct lat_state *s = px_container_of(t, struct lat_state, send_task);
	int rc;

	if (!s->sleep_path) {
		lat_send(s);
		return;
	}
	/* Let B go idle well past its spin window, then wake it. */
	rc = px_io_timeout(s->a, &s->timer, s->gap_ns, lat_timer_cb);
	if (rc) {
		s->err = rc;
		atomic_store_explicit(&s->done, 1, memory_order_release);
	}
}

static void lat_recv_fn(struct px_task *t)
{
	struct lat_state *s = px_container_of(t, struct lat_state, recv_task);
	uint64_t now = bench_now_ns();

	s->samples[s->i++] = (double)(now - s->t0) / 1000.0;
	if (s->i == s->n || now > s->end_ns) {
		atomic_store_explicit(&s->done, 1, memory_order_release);
		return;
	}
	if (px_reactor_post(s->a, &s->send_task) != 0) {
		s->err = -ESHUTDOWN;
		atomic_store_explicit(&s->done, 1, memory_order_release);
	}
}

struct lat_arg {
	bool sleep_path;
	size_t n;    /* samples at most */
	double secs; /* and at most this long */
};

static int run_px_wakeup(struct bench_run *run)
{
	const struct lat_arg *a = run->arg;
	struct px_reactor_config cfg = PX_REACTOR_CONFIG_DEFAULT;
	struct lat_state s = {.sleep_path = a->sleep_path, .n = a->n};
	struct px_reactor_stats sb;
	double deadline;
	int rc;

	cfg.no_pin = true;
	s.gap_ns = (uint64_t)cfg.spin_ns * 10 +
		   200000; /* 10 spin windows + 200 us */
	s.samples = calloc(a->n, sizeof(*s.samples));
	if (!s.samples)
		return -ENOMEM;
	cfg.name = "pxb-a";
	rc = px_reactor_create(&cfg, &s.a);
	if (rc == 0) {
		cfg.name = "pxb-b";
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
	px_task_init(&s.send_task, lat_send_fn);
	px_task_init(&s.recv_task, lat_recv_fn);
	s.end_ns = bench_now_ns() + (uint64_t)(a->secs * 1e9);
	rc = px_reactor_post(s.a, &s.send_task);
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
		rc = s.err;
	px_reactor_stop(s.a);
	px_reactor_stop(s.b);
	if (rc) {
		bench_snprintf(run->why, sizeof(run->why),
			       "wakeup ping-pong: %s (%zu of %zu samples)",
			       strerror(-rc), s.i, s.n);
		goto out;
	}
	if (s.i == 0) {
		bench_snprintf(run->why, sizeof(run->why),
			       "wakeup ping-pong: no sample in %.1f s",
			       a->secs);
		rc = -EIO;
		goto out;
	}
	px_reactor_stats(s.b, &sb);
	run->v[0] = bench_percentile(s.samples, s.i, 50);
	run->v[1] = bench_percentile(s.samples, s.i, 90);
	run->v[2] = bench_percentile(s.samples, s.i, 99);
	run->v[3] = bench_percentile(s.samples, s.i, 99.9);
	bench_snprintf(
		run->note, sizeof(run->note),
		"%zu samples; B: %llu sleeps, %llu spin hits, %llu MSG_RING / "
		"%llu eventfd wakeups",
		s.i, (unsigned long long)sb.sleeps,
		(unsigned long long)sb.spin_hits,
		(unsigned long long)sb.wakeups_msg_ring,
		(unsigned long long)sb.wakeups_eventfd);
out:
	px_reactor_destroy(s.a);
	px_reactor_destroy(s.b);
	free(s.samples);
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
		(uint64_t)PX_REACTOR_SPIN_DEFAULT_NS * 10 + 200000, a->secs,
		samples, a->n, &got, run->why, sizeof(run->why));
	if (rc == -ENOSYS || rc == -EPERM)
		rc = BENCH_MISSING; /* io_uring disabled on this machine */
	if (rc == 0 && got == 0) {
		bench_snprintf(run->why, sizeof(run->why),
			       "MSG_RING ping-pong: no sample");
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

int bench_scen_reactor(struct bench_ctx *ctx)
{
	static struct nop_arg nops[2];
	static struct lat_arg lats[2];
	static const unsigned batches[] = {1, 32};
	char variants[2][32];
	unsigned i;
	int rc;

	for (i = 0; i < 2; i++) {
		struct bench_case c = {
			.scenario = "reactor",
			.variant = variants[i],
			.nmetrics = 1,
			.metric = {{"round trip", "ns/op", true}},
			.nimpls = 2,
		};

		nops[i] = (struct nop_arg){.batch = batches[i],
					   .secs = ctx->quick ? 0.05 : 0.5};
		bench_snprintf(variants[i], sizeof(variants[i]), "NOP batch %u",
			       batches[i]);
		c.impl[0] = (struct bench_impl){
			"parallax", run_px_nop, &nops[i],
			"embedded reactor (px_reactor_run_once on the calling "
			"thread, spin 0): "
			"px_io_nop x batch, run_once until every callback "
			"fired"};
		c.impl[1] = (struct bench_impl){
			"liburing", run_uring_nop, &nops[i],
			"bare liburing loop, ring flags "
			"SINGLE_ISSUER|DEFER_TASKRUN: "
			"io_uring_prep_nop x batch, "
			"io_uring_submit_and_wait(batch), reap CQEs"};
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
		c.impl[0] = (struct bench_impl){
			"parallax", run_px_wakeup, &lats[i],
			i ? "two started reactors (default 20 us spin, not "
			    "pinned); A waits 10 spin "
			    "windows + 200 us on a px_io_timeout, then posts a "
			    "task to B; latency = "
			    "post on A to task start on B"
			  : "two started reactors (default 20 us spin, not "
			    "pinned); A posts a task to "
			    "B as soon as B's previous answer arrives; latency "
			    "= post on A to task "
			    "start on B"};
		c.impl[1] = (struct bench_impl){
			"liburing", run_uring_wakeup, &lats[i],
			"bare liburing: two threads, one plain SINGLE_ISSUER "
			"ring each; A sends IORING_OP_MSG_RING to B's ring, B "
			"answers the same way; each side peeks its CQ for 20 "
			"us "
			"then sleeps in io_uring_wait_cqe (sleep path: A first "
			"sleeps 10 spin windows + 200 us); latency = before "
			"A's "
			"submit to B seeing the CQE"};
		rc = bench_case_run(ctx, &c);
		if (rc)
			return rc;
	}
	return 0;
}
