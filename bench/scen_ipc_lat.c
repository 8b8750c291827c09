// SPDX-License-Identifier: MIT
/*
 * scen_ipc_lat.c - the ipc scenario, latency half: one-way latency between
 * two processes (a sender stamps CLOCK_MONOTONIC into each message, the
 * receiver subtracts it on arrival), busy-polling and sleeping, for
 * Parallax's px_ipc API and for the floors this machine allows: a cache
 * line handed between two processes (busy) and an eventfd ping (sleeping).
 * Then kill-to-reclaim: SIGKILL a subscriber that holds buffers and time
 * until the publisher has them all back. Every pair forks before either
 * side makes a reactor (an io_uring must not cross fork()).
 */
#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <parallax/px_ipc.h>

#include "bench.h"

#define GAP_NS 50000ull	   /* between messages: the receiver goes idle */
#define GAP_FAST_NS 3000ull /* a busy stream: the spinner stays warm */
#define HOLD 16u	   /* buffers the killed subscriber holds */

struct lat_arg {
	const char *name;  /* the case's variant */
	uint32_t size;	   /* message bytes (Parallax buffers) */
	bool busy;	   /* receiver spins instead of sleeping */
	uint64_t gap_ns;   /* between messages */
	unsigned samples;  /* set by the scenario (--quick or not) */
};

/* The latency cases: busy-polling at the usual gap, where a receiver has
 * idled tens of microseconds, and once more for a busy stream; sleeping. */
static struct lat_arg lat_cases[] = {
	{ "latency 64B busy-poll", 64, true, GAP_NS, 0 },
	{ "latency 4KiB busy-poll", 4096, true, GAP_NS, 0 },
	{ "latency 64B busy-poll, every 3us", 64, true, GAP_FAST_NS, 0 },
	{ "latency 64B sleeping", 64, false, GAP_NS, 0 },
	{ "latency 4KiB sleeping", 4096, false, GAP_NS, 0 },
};
#define LAT_CASES (sizeof(lat_cases) / sizeof(lat_cases[0]))

/* What the sender and the receiver of a floor share. */
struct shared_line {
	_Alignas(64) _Atomic uint64_t seq;
	_Atomic uint64_t stamp;
};

/* Microseconds since L's stamp. The stamp is read before the clock: read
 * after it, a stamp the sender rewrote in between (the receiver was
 * preempted there) is later than "now", and the unsigned difference
 * becomes 1.8e13 us in the percentiles. */
static double us_since_stamp(struct shared_line *l)
{
	uint64_t then = atomic_load_explicit(&l->stamp, memory_order_relaxed);

	return (double)(bench_now_ns() - then) / 1e3;
}

static void spin_until(uint64_t t)
{
	while (bench_now_ns() < t)
		;
}

static void percentiles(struct bench_run *run, double *us, size_t n)
{
	run->v[0] = bench_percentile(us, n, 50);
	run->v[1] = bench_percentile(us, n, 90);
	run->v[2] = bench_percentile(us, n, 99);
	run->v[3] = bench_percentile(us, n, 99.9);
	bench_snprintf(run->note, sizeof(run->note), "%zu samples", n);
}

static int reap(pid_t pid, struct bench_run *run, const char *who)
{
	int st = 0;

	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) ||
	    WEXITSTATUS(st) != 0) {
		bench_snprintf(run->why, sizeof(run->why),
			       "%s exited with status %d", who, st);
		return -EIO;
	}
	return 0;
}

/* Sender and receiver each on a CPU of their own (bench_cpus_pick()). */
static struct bench_cpus cpus = { -1, -1 };

/* fork(2), the child on the sender's CPU and the caller on the receiver's
 * until bench_unpin(). */
static pid_t fork_pinned(void)
{
	pid_t child = fork();

	bench_pin(child == 0 ? cpus.send : cpus.recv);
	return child;
}

/* ---- Parallax ------------------------------------------------------------- */

static int px_sender(const char *channel, const struct lat_arg *a)
{
	struct px_ipc_publisher_config cfg = { .channel = channel };
	struct px_ipc_publisher *pub;
	struct px_pool *pool;
	uint64_t next;
	int rc;

	if (px_ipc_publisher_create(&cfg, &pub) ||
	    px_ipc_publisher_pool_create(pub, a->size, 64, &pool))
		return 1;
	for (int i = 0; px_ipc_publisher_subscribers(pub) == 0; i++)
		if (i == 1000 || px_ipc_publisher_poll(pub, 10) < 0)
			return 2;
	next = bench_now_ns() + a->gap_ns;
	for (unsigned i = 0; i < a->samples; i++) {
		struct px_buf b;

		while (px_buf_alloc(pool, a->size, &b) == -ENOBUFS)
			px_ipc_publisher_poll(pub, 1);
		spin_until(next);
		next += a->gap_ns;
		*(uint64_t *)px_buf_data(&b) = bench_now_ns();
		while ((rc = px_ipc_publisher_send(pub, &b)) == -EAGAIN)
			px_ipc_publisher_poll(pub, 0);
		if (rc)
			return 3;
	}
	while (px_ipc_publisher_send_eos(pub) == -EAGAIN)
		px_ipc_publisher_poll(pub, 1);
	for (int i = 0; i < 2000 && px_ipc_publisher_subscribers(pub); i++)
		px_ipc_publisher_poll(pub, 5);
	px_ipc_publisher_destroy(pub);
	return 0;
}

static int run_px(struct bench_run *run)
{
	const struct lat_arg *a = run->arg;
	struct px_ipc_subscriber_config cfg = { 0 };
	struct px_ipc_subscriber *sub;
	char channel[64];
	double *us = calloc(a->samples, sizeof(*us));
	size_t n = 0;
	struct px_buf b;
	pid_t child;
	int rc;

	if (!us)
		return -ENOMEM;
	bench_snprintf(channel, sizeof(channel), "px-bench-lat-%d-%u",
		       (int)getpid(), run->rep);
	child = fork_pinned();
	if (child == 0)
		_exit(px_sender(channel, a));
	cfg.channel = channel;
	rc = px_ipc_subscriber_create(&cfg, &sub);
	if (rc) {
		kill(child, SIGKILL);
		waitpid(child, NULL, 0);
		bench_unpin();
		free(us);
		return rc;
	}
	for (;;) {
		rc = a->busy ? px_ipc_subscriber_try_recv(sub, &b) :
			       px_ipc_subscriber_recv(sub, &b, -1);
		if (rc == -EAGAIN)
			continue; /* busy: spin */
		if (rc)
			break;
		/* The stamp in the payload first, then the clock, as for
		 * every implementation: a message has arrived when its bytes
		 * can be read, so the payload's cache line counts. */
		uint64_t then = *(const uint64_t *)px_buf_data(&b);

		if (n < a->samples)
			us[n++] = (double)(bench_now_ns() - then) / 1e3;
		px_buf_unref(&b);
	}
	if (rc != -ENODATA)
		bench_snprintf(run->why, sizeof(run->why), "subscriber: %s",
			       px_ipc_subscriber_error(sub));
	px_ipc_subscriber_destroy(sub);
	bench_unpin();
	if (reap(child, run, "the publisher") || rc != -ENODATA || !n) {
		free(us);
		return -EIO;
	}
	percentiles(run, us, n);
	free(us);
	return 0;
}

/* ---- iceoryx ------------------------------------------------------------------ */

static const struct bench_ctx *lat_ctx;

/* px-bench-iceoryx pair: stamp every a->gap_ns; take spinning or in a
 * waitset. */
static int run_iox(struct bench_run *run)
{
	const struct lat_arg *a = run->arg;
	double *us = NULL;
	char *out = NULL;
	int rc;

	if (lat_ctx->iox_why[0]) {
		bench_snprintf(run->why, sizeof(run->why), "%s",
			       lat_ctx->iox_why);
		return BENCH_MISSING;
	}
	rc = bench_iox_pair(lat_ctx, run, a->size, a->samples, a->gap_ns,
			    a->busy ? "busy" : "wait", cpus.send, cpus.recv,
			    &out, &us);
	free(out);
	if (rc)
		return rc;
	percentiles(run, us, a->samples);
	free(us);
	return 0;
}

/* ---- floors ------------------------------------------------------------------ */

/* Busy: a cache line written by one process and spun on by the other. */
/* One-way times (us) of N stamps handed through one shared cache line, one
 * every gap_ns nanoseconds, into US; *GOT of them (overtaken ones are not
 * samples). */
static int line_samples(struct bench_run *run, unsigned n, uint64_t gap_ns,
			double *us, size_t *got)
{
	struct shared_line *l = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
				     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	pid_t child;
	int rc;

	*got = 0;
	if (l == MAP_FAILED)
		return -ENOMEM;
	child = fork_pinned();
	if (child == 0) {
		uint64_t next = bench_now_ns() + gap_ns;

		for (unsigned i = 1; i <= n; i++) {
			spin_until(next);
			next += gap_ns;
			atomic_store_explicit(&l->stamp, bench_now_ns(),
					      memory_order_relaxed);
			atomic_store_explicit(&l->seq, i, memory_order_release);
		}
		_exit(0);
	}
	/* A message overtaken by the next one (the receiver was preempted)
	 * is not a sample: take the newest, never wait for one gone. */
	for (uint64_t seen = 0; seen < n;) {
		uint64_t s;

		while ((s = atomic_load_explicit(&l->seq,
						 memory_order_acquire)) == seen)
			;
		us[(*got)++] = us_since_stamp(l);
		seen = s;
	}
	bench_unpin();
	rc = reap(child, run, "the sender");
	munmap(l, 4096);
	return rc;
}

static int run_line(struct bench_run *run)
{
	const struct lat_arg *a = run->arg;
	double *us = calloc(a->samples, sizeof(*us));
	size_t got;
	int rc;

	if (!us)
		return -ENOMEM;
	rc = line_samples(run, a->samples, a->gap_ns, us, &got);
	if (!rc)
		percentiles(run, us, got);
	free(us);
	return rc;
}

/*
 * The band the host placed our two CPUs in (near: a cache line crosses in
 * ~80-100 ns; far: ~220-265 ns; it flips within seconds to minutes): the
 * median of BAND_SAMPLES cache-line stamps, in ns, or -1.
 */
#define BAND_SAMPLES 500
static double band_ns(struct bench_run *run)
{
	double us[BAND_SAMPLES];
	size_t got;

	if (line_samples(run, BAND_SAMPLES, 5000, us, &got) || !got)
		return -1;
	return bench_percentile(us, got, 50) * 1e3;
}

/* A busy-poll run between two band probes: the note says both. */
static int with_band(struct bench_run *run, int (*fn)(struct bench_run *))
{
	double before = band_ns(run), after;
	int rc = fn(run);
	char note[sizeof(run->note)];

	if (rc)
		return rc;
	after = band_ns(run);
	bench_snprintf(note, sizeof(note), "%s; cache line %.0f ns before, "
					   "%.0f ns after",
		       run->note, before, after);
	bench_snprintf(run->note, sizeof(run->note), "%s", note);
	return 0;
}

/* Sleeping: a stamp in shared memory and an eventfd the receiver blocks on. */
static int run_eventfd(struct bench_run *run)
{
	const struct lat_arg *a = run->arg;
	struct shared_line *l = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
				     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	double *us = calloc(a->samples, sizeof(*us));
	int efd = eventfd(0, EFD_CLOEXEC), rc;
	size_t got = 0;
	uint64_t v;
	pid_t child;

	if (l == MAP_FAILED || !us || efd < 0) {
		free(us);
		return -ENOMEM;
	}
	child = fork_pinned();
	if (child == 0) {
		uint64_t next = bench_now_ns() + a->gap_ns, one = 1;

		for (unsigned i = 0; i < a->samples; i++) {
			spin_until(next);
			next += a->gap_ns;
			atomic_store_explicit(&l->stamp, bench_now_ns(),
					      memory_order_relaxed);
			if (write(efd, &one, sizeof(one)) != sizeof(one))
				_exit(1);
		}
		_exit(0);
	}
	/* The counter adds up writes the reader was too late for: one read
	 * then stands for several messages, and gives one sample. */
	for (uint64_t seen = 0; seen < a->samples;) {
		if (read(efd, &v, sizeof(v)) != sizeof(v))
			break;
		us[got++] = us_since_stamp(l);
		seen += v;
	}
	bench_unpin();
	rc = reap(child, run, "the sender");
	if (!rc)
		percentiles(run, us, got);
	free(us);
	close(efd);
	munmap(l, 4096);
	return rc;
}

/* ---- kill to reclaim ------------------------------------------------------------ */

static int holder(const char *channel, int fd)
{
	struct px_ipc_subscriber_config cfg = { .channel = channel };
	struct px_ipc_subscriber *sub;
	struct px_buf held[HOLD];
	char c = 'h';

	if (px_ipc_subscriber_create(&cfg, &sub))
		return 1;
	for (unsigned i = 0; i < HOLD; i++)
		if (px_ipc_subscriber_recv(sub, &held[i], -1))
			return 2;
	if (write(fd, &c, 1) != 1)
		return 3;
	for (;;)
		pause();
}

static int run_reclaim(struct bench_run *run)
{
	const struct lat_arg *a = run->arg;
	struct px_ipc_publisher_config cfg = { 0 };
	struct px_ipc_publisher *pub;
	struct px_pool *pool;
	double *us = calloc(a->samples, sizeof(*us));
	char channel[64], c;
	int fds[2], rc = 0;
	unsigned n = 0;

	if (!us || pipe(fds)) {
		free(us);
		return -ENOMEM;
	}
	bench_snprintf(channel, sizeof(channel), "px-bench-kill-%d-%u",
		       (int)getpid(), run->rep);
	for (; n < a->samples && !rc; n++) {
		pid_t child = fork_pinned();
		uint64_t t0;

		if (child == 0)
			_exit(holder(channel, fds[1]));
		/* A publisher per round, made after the fork. */
		cfg.channel = channel;
		if (px_ipc_publisher_create(&cfg, &pub) ||
		    px_ipc_publisher_pool_create(pub, 4096, 64, &pool)) {
			rc = -EIO;
			kill(child, SIGKILL);
			waitpid(child, NULL, 0);
			break;
		}
		for (int i = 0; px_ipc_publisher_subscribers(pub) == 0 && i < 1000; i++)
			px_ipc_publisher_poll(pub, 10);
		for (unsigned i = 0; i < HOLD && !rc; i++) {
			struct px_buf b;

			rc = px_buf_alloc(pool, 4096, &b);
			while (!rc && (rc = px_ipc_publisher_send(pub, &b)) == -EAGAIN)
				px_ipc_publisher_poll(pub, 1);
		}
		if (rc || read(fds[0], &c, 1) != 1) {
			rc = rc ? rc : -EIO;
			kill(child, SIGKILL);
		} else {
			t0 = bench_now_ns();
			kill(child, SIGKILL);
			for (int i = 0; px_ipc_publisher_held(pub) && i < 100000; i++)
				px_ipc_publisher_poll(pub, 1);
			us[n] = (double)(bench_now_ns() - t0) / 1e3;
			if (px_ipc_publisher_held(pub))
				rc = -EIO;
		}
		waitpid(child, NULL, 0);
		px_ipc_publisher_destroy(pub);
	}
	bench_unpin();
	close(fds[0]);
	close(fds[1]);
	if (!rc) {
		run->v[0] = bench_percentile(us, n, 50);
		run->v[1] = bench_percentile(us, n, 99);
		bench_snprintf(run->note, sizeof(run->note),
			       "%u kills, %u buffers held each", n, HOLD);
	} else {
		bench_snprintf(run->why, sizeof(run->why),
			       "a killed subscriber's buffers did not all come "
			       "back");
	}
	free(us);
	return rc;
}

/* ---- cases ------------------------------------------------------------------------- */

/* Busy-poll figures move with the band: each run says where it was. */
static int run_px_busy(struct bench_run *run)
{
	return with_band(run, run_px);
}

static int run_iox_busy(struct bench_run *run)
{
	return with_band(run, run_iox);
}

/* Latency case K of lat_cases. */
static int lat_case(struct bench_ctx *ctx, unsigned k)
{
	static char what_px[LAT_CASES][400], what_floor[LAT_CASES][400],
		what_iox[LAT_CASES][400];
	struct lat_arg *a = &lat_cases[k];
	struct bench_case c = {
		.scenario = "ipc",
		.variant = a->name,
		.nmetrics = 4,
		.metric = { { "p50", "us", true }, { "p90", "us", true },
			    { "p99", "us", true }, { "p99.9", "us", true } },
		.nimpls = 3,
	};
	bench_snprintf(what_px[k], sizeof(what_px[k]),
		       "px_ipc_publisher in one process sends a %u-byte buffer "
		       "every %llu us with a CLOCK_MONOTONIC stamp; "
		       "%s in another; %u messages%s",
		       a->size, (unsigned long long)a->gap_ns / 1000,
		       a->busy ? "px_ipc_subscriber_try_recv, spinning" :
				 "px_ipc_subscriber_recv, blocking, -1",
		       a->samples, bench_pinning(cpus));
	bench_snprintf(what_floor[k], sizeof(what_floor[k]), "%s%s",
		       a->busy ? "a stamp and a sequence number in one shared "
				 "cache line, spun on by the other process; "
				 "same gap and count" :
				 "a stamp in shared memory and write(eventfd); "
				 "the other process blocks in read(eventfd); "
				 "same gap and count",
		       bench_pinning(cpus));
	c.impl[0] = (struct bench_impl){ "parallax",
					 a->busy ? run_px_busy : run_px, a,
					 what_px[k] };
	c.impl[1] = (struct bench_impl){ a->busy ? "cache-line" : "eventfd",
					 a->busy ? run_line : run_eventfd, a,
					 what_floor[k] };
	bench_snprintf(what_iox[k], sizeof(what_iox[k]),
		       "eclipse iceoryx 2.0 (Debian), C binding: "
		       "px-bench-iceoryx pub loans a %u-byte chunk every %llu "
		       "us, stamps it, publishes; px-bench-iceoryx sub %s, "
		       "then releases; %u messages%s",
		       a->size, (unsigned long long)a->gap_ns / 1000,
		       a->busy ? "spins on iox_sub_take_chunk" :
				 "waits in a waitset (iox_ws_wait) on "
				 "DATA_RECEIVED, then takes",
		       a->samples, bench_pinning(cpus));
	c.impl[2] = (struct bench_impl){ "iceoryx",
					 a->busy ? run_iox_busy : run_iox, a,
					 what_iox[k] };
	return bench_case_run(ctx, &c);
}

int bench_scen_ipc_latency(struct bench_ctx *ctx)
{
	static struct lat_arg kill;
	unsigned samples = ctx->quick ? 2000 : 20000;
	struct bench_case c = {
		.scenario = "ipc",
		.variant = "kill-to-reclaim",
		.nmetrics = 2,
		.metric = { { "p50", "us", true }, { "p99", "us", true } },
		.nimpls = 1,
	};
	int rc = 0;

	cpus = bench_cpus_pick();
	lat_ctx = ctx;
	for (unsigned i = 0; i < LAT_CASES && !rc; i++) {
		lat_cases[i].samples = samples;
		rc = lat_case(ctx, i);
	}
	if (rc)
		return rc;
	kill = (struct lat_arg){ .samples = ctx->quick ? 5 : 50 };
	c.impl[0] = (struct bench_impl){
		"parallax", run_reclaim, &kill,
		"a subscriber holds 16 buffers; SIGKILL; the publisher polls "
		"until px_ipc_publisher_held() is 0 (time from kill(2))"
	};
	return bench_case_run(ctx, &c);
}
