// SPDX-License-Identifier: MIT
/*
 * test_ring.c - px_ring: layout validation, FIFO order and edges on every
 * kind, two-thread and multi-producer sequence checks, wake flags that must
 * never lose a wakeup, a ring shared across fork() through a memfd, and
 * views that a peer rewriting the shared ring cannot steer out of bounds.
 */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "px_ring.h"
#include "px_test.h"

/* ThreadSanitizer runs threads 5-15x slower: scale the threaded tests. */
#if defined(__SANITIZE_THREAD__)
#define SCALE(n) ((n) / 10)
#else
#define SCALE(n) (n)
#endif

static const enum px_ring_kind kinds[] = { PX_RING_LOCAL, PX_RING_SPSC,
					   PX_RING_MPSC };

/* A 64-byte item whose every word is derived from (producer, seq), so a
 * torn or misplaced copy shows up as a bad word. */
struct titem {
	uint64_t producer;
	uint64_t seq;
	uint64_t word[6];
};
_Static_assert(sizeof(struct titem) == 64, "test item is one ring item");

static uint64_t mix(uint64_t producer, uint64_t seq, unsigned k)
{
	return (producer << 48) ^ (seq * 0x9e3779b97f4a7c15ull) ^ (k + 1);
}

static void titem_make(struct titem *it, uint64_t producer, uint64_t seq)
{
	it->producer = producer;
	it->seq = seq;
	for (unsigned k = 0; k < 6; k++)
		it->word[k] = mix(producer, seq, k);
}

/* True when IT is intact (all words match its own producer and seq). */
static bool titem_ok(const struct titem *it)
{
	for (unsigned k = 0; k < 6; k++)
		if (it->word[k] != mix(it->producer, it->seq, k))
			return false;
	return true;
}

/* A heap ring; the memory is the ring (free(r) releases it). */
static struct px_ring *ring_new(uint32_t cap, uint32_t isz,
				enum px_ring_kind kind)
{
	size_t sz = px_ring_memsize(cap, isz);
	void *mem;
	struct px_ring *r = NULL;

	ck_assert_uint_gt(sz, 0);
	mem = aligned_alloc(PX_CACHE_LINE, sz);
	ck_assert_ptr_nonnull(mem);
	ck_assert_int_eq(px_ring_init(mem, sz, cap, isz, kind, &r), 0);
	ck_assert_ptr_eq(r, mem);
	return r;
}

/* Wait politely: two cores run these tests, often with three threads. */
static void backoff(unsigned *spins)
{
	if (++*spins % 64 == 0)
		sched_yield();
}

/* Cheap deterministic PRNG for burst sizes. */
static uint32_t rnd(uint64_t *s)
{
	*s = *s * 6364136223846793005ull + 1442695040888963407ull;
	return (uint32_t)(*s >> 33);
}

START_TEST(test_ring_params)
{
	size_t sz = px_ring_memsize(16, 64);
	void *mem = aligned_alloc(PX_CACHE_LINE, 2 * sz);
	struct px_ring *r = NULL, *a = NULL;

	ck_assert_ptr_nonnull(mem);
	ck_assert_uint_eq(sz, PX__RING_ITEMS_OFFSET + 16 * 64);
	ck_assert_uint_eq(px_ring_memsize(2, 8), PX__RING_ITEMS_OFFSET + 64);
	ck_assert_uint_eq(px_ring_memsize(4, 24) % PX_CACHE_LINE, 0);
	/* Geometry out of range: size 0. */
	ck_assert_uint_eq(px_ring_memsize(0, 64), 0);
	ck_assert_uint_eq(px_ring_memsize(1, 64), 0);
	ck_assert_uint_eq(px_ring_memsize(24, 64), 0);
	ck_assert_uint_eq(px_ring_memsize(PX_RING_CAPACITY_MAX * 2u, 8), 0);
	ck_assert_uint_eq(px_ring_memsize(16, 0), 0);
	ck_assert_uint_eq(px_ring_memsize(16, 12), 0);
	ck_assert_uint_eq(px_ring_memsize(16, PX_RING_ITEM_SIZE_MAX + 8), 0);

	/* Init rejects every bad argument with -EINVAL and leaves OUT. */
#define INIT_EINVAL(m, z, cap, isz, kind, out) \
	ck_assert_int_eq(px_ring_init(m, z, cap, isz, kind, out), -EINVAL)
	INIT_EINVAL(NULL, sz, 16, 64, PX_RING_SPSC, &r);
	INIT_EINVAL(mem, sz, 16, 64, PX_RING_SPSC, NULL);
	INIT_EINVAL((char *)mem + 8, sz, 16, 64, PX_RING_SPSC, &r);
	INIT_EINVAL(mem, sz - 1, 16, 64, PX_RING_SPSC, &r);
	INIT_EINVAL(mem, sz, 12, 64, PX_RING_SPSC, &r);
	INIT_EINVAL(mem, sz, 1, 64, PX_RING_SPSC, &r);
	INIT_EINVAL(mem, sz, 16, 60, PX_RING_SPSC, &r);
	INIT_EINVAL(mem, sz, 16, 64, (enum px_ring_kind)0, &r);
	INIT_EINVAL(mem, sz, 16, 64, (enum px_ring_kind)9, &r);
#undef INIT_EINVAL
	ck_assert_ptr_null(r);

	/* Attach on never-initialized memory: no magic. */
	memset(mem, 0, 2 * sz);
	ck_assert_int_eq(px_ring_attach(mem, sz, &a), -EINVAL);

	ck_assert_int_eq(px_ring_init(mem, 2 * sz, 16, 64, PX_RING_SPSC, &r),
			 0);
	ck_assert_uint_eq(px_ring_capacity(r), 16);
	ck_assert_uint_eq(px_ring_item_size(r), 64);
	ck_assert_int_eq(px_ring_kind(r), PX_RING_SPSC);
	ck_assert_int_eq(px_ring_attach(mem, sz, &a), 0);
	ck_assert_ptr_eq(a, r);
	a = NULL;
	ck_assert_int_eq(px_ring_attach(NULL, sz, &a), -EINVAL);
	ck_assert_int_eq(px_ring_attach(mem, sz, NULL), -EINVAL);
	ck_assert_int_eq(px_ring_attach(mem, sz - 64, &a), -EINVAL);
	ck_assert_int_eq(px_ring_attach(mem, 100, &a), -EINVAL);
	ck_assert_int_eq(px_ring_attach((char *)mem + 64, sz, &a), -EINVAL);

	/* Every header field is checked; restore it after each probe. */
	r->version = PX_RING_VERSION + 1;
	ck_assert_int_eq(px_ring_attach(mem, sz, &a), -EPROTO);
	r->version = PX_RING_VERSION;
	r->kind = 7;
	ck_assert_int_eq(px_ring_attach(mem, sz, &a), -EINVAL);
	r->kind = PX_RING_SPSC;
	r->geom.capacity = 24;
	ck_assert_int_eq(px_ring_attach(mem, sz, &a), -EINVAL);
	r->geom.capacity = 32; /* consistent mask missing, and too big for sz */
	ck_assert_int_eq(px_ring_attach(mem, 2 * sz, &a), -EINVAL);
	r->geom.mask = 31;
	ck_assert_int_eq(px_ring_attach(mem, sz, &a), -EINVAL);
	ck_assert_int_eq(px_ring_attach(mem, 2 * sz, &a), 0);
	r->geom.capacity = 16;
	r->geom.mask = 15;
	r->geom.item_size = 20;
	ck_assert_int_eq(px_ring_attach(mem, sz, &a), -EINVAL);
	r->geom.item_size = 64;
	atomic_store(&r->prod_tail, 17); /* 17 items in 16 slots */
	ck_assert_int_eq(px_ring_attach(mem, sz, &a), -EINVAL);
	atomic_store(&r->prod_tail, 16);
	ck_assert_int_eq(px_ring_attach(mem, sz, &a), 0);
	ck_assert_uint_eq(px_ring_count(a), 16);
	atomic_store(&r->magic, 0x12345678u);
	ck_assert_int_eq(px_ring_attach(mem, sz, &a), -EINVAL);
	free(mem);
}
END_TEST

/* Full and empty edges, and bursts larger than the free space or count,
 * on each kind through the same calls (loop index = kind). */
START_TEST(test_ring_edges)
{
	struct px_ring *r = ring_new(8, 64, kinds[_i]);
	struct titem buf[12], out[12], one;
	uint64_t seq = 0, next = 0;

	for (unsigned i = 0; i < 12; i++)
		titem_make(&buf[i], 0, seq++);
	/* Empty: nothing comes out and the item is untouched. */
	memset(&one, 0xab, sizeof(one));
	ck_assert(!px_ring_dequeue(r, &one));
	ck_assert_uint_eq(one.seq, 0xababababababababull);
	ck_assert_uint_eq(px_ring_dequeue_burst(r, out, 12), 0);
	ck_assert_uint_eq(px_ring_enqueue_burst(r, buf, 0), 0);
	ck_assert_uint_eq(px_ring_dequeue_burst(r, out, 0), 0);

	/* A burst of 12 into 8 free slots: exactly the first 8 go in. */
	ck_assert_uint_eq(px_ring_enqueue_burst(r, buf, 12), 8);
	ck_assert_uint_eq(px_ring_count(r), 8);
	ck_assert_uint_eq(px_ring_free_count(r), 0);
	/* Full: refuses both single and burst, contents unchanged. */
	ck_assert(!px_ring_enqueue(r, &buf[8]));
	ck_assert_uint_eq(px_ring_enqueue_burst(r, &buf[8], 4), 0);
	ck_assert_uint_eq(px_ring_count(r), 8);

	/* Free 3, offer 4 (the 4 not taken before): 3 go in. */
	ck_assert_uint_eq(px_ring_dequeue_burst(r, out, 3), 3);
	for (unsigned i = 0; i < 3; i++)
		ck_assert_uint_eq(out[i].seq, next++);
	ck_assert_uint_eq(px_ring_enqueue_burst(r, &buf[8], 4), 3);
	ck_assert_uint_eq(px_ring_free_count(r), 0);

	/* A dequeue burst larger than the count returns the count. */
	ck_assert_uint_eq(px_ring_dequeue_burst(r, out, 12), 8);
	for (unsigned i = 0; i < 8; i++) {
		ck_assert(titem_ok(&out[i]));
		ck_assert_uint_eq(out[i].seq, next++);
	}
	ck_assert_uint_eq(next, 11);
	ck_assert_uint_eq(px_ring_count(r), 0);
	ck_assert(!px_ring_dequeue(r, &one));
	/* Single-item calls keep the order too. */
	ck_assert(px_ring_enqueue(r, &buf[0]) && px_ring_enqueue(r, &buf[1]));
	ck_assert(px_ring_dequeue(r, &one) && one.seq == 0 && titem_ok(&one));
	ck_assert(px_ring_dequeue(r, &one) && one.seq == 1);
	free(r);
}
END_TEST

/* Move a checked sequence through R with bursts that straddle the end of
 * the slot array in every phase. */
static void pump(struct px_ring *r, unsigned rounds)
{
	uint32_t cap = px_ring_capacity(r);
	struct titem in[40], out[40];
	uint64_t seq = 0, next = 0, st = 42;

	for (unsigned round = 0; round < rounds; round++) {
		unsigned n = 1 + rnd(&st) % 40, m = 1 + rnd(&st) % 40;
		unsigned free_before = px_ring_free_count(r);
		unsigned count_before = px_ring_count(r);
		unsigned got, put;

		for (unsigned i = 0; i < n; i++)
			titem_make(&in[i], 3, seq + i);
		put = px_ring_enqueue_burst(r, in, n);
		ck_assert_uint_eq(put, PX_MIN(n, free_before));
		seq += put;
		ck_assert_uint_eq(px_ring_count(r), count_before + put);
		got = px_ring_dequeue_burst(r, out, m);
		ck_assert_uint_eq(got, PX_MIN(m, count_before + put));
		for (unsigned i = 0; i < got; i++) {
			ck_assert(titem_ok(&out[i]));
			ck_assert_uint_eq(out[i].seq, next++);
		}
		ck_assert_uint_eq(px_ring_count(r) + px_ring_free_count(r), cap);
	}
	while (px_ring_dequeue_burst(r, out, 1) == 1)
		ck_assert_uint_eq(out[0].seq, next++);
	ck_assert_uint_eq(next, seq);
}

/* Slot wraparound in every phase, then free-running indices crossing 2^32
 * (set just below it). */
START_TEST(test_ring_wrap)
{
	struct px_ring *r = ring_new(16, 64, kinds[_i]);
	uint32_t start = UINT32_MAX - 37;

	pump(r, 4000);
	ck_assert_int_eq(px_ring_init(r, px_ring_memsize(16, 64), 16, 64,
				      kinds[_i], &r),
			 0);
	atomic_store(&r->prod_head, start);
	atomic_store(&r->prod_tail, start);
	atomic_store(&r->cons_head, start);
	r->sp_tail = start;
	r->sc_head = start;
	r->prod_cons_cache = start;
	r->cons_prod_cache = start;
	ck_assert_uint_eq(px_ring_count(r), 0);
	ck_assert_uint_eq(px_ring_free_count(r), 16);
	pump(r, 300);
	ck_assert_uint_lt(atomic_load(&r->cons_head), start);
	free(r);
}
END_TEST

/* Item sizes other than 64 take the generic copy; check byte patterns. */
START_TEST(test_ring_item_sizes)
{
	static const uint32_t sizes[] = { 8, 16, 24, 48, 56, 72, 128, 200 };

	for (unsigned z = 0; z < PX_ARRAY_SIZE(sizes); z++) {
		uint32_t isz = sizes[z];
		struct px_ring *r = ring_new(8, isz, kinds[_i]);
		unsigned char *in = malloc(5 * isz), *out = malloc(5 * isz);

		ck_assert_ptr_nonnull(in);
		ck_assert_ptr_nonnull(out);
		for (unsigned round = 0, seq = 0; round < 50; round++) {
			/* 5 items of 8 slots: every 8 rounds cross the end. */
			for (unsigned i = 0; i < 5 * isz; i++)
				in[i] = (unsigned char)((seq + i / isz) * 31 +
							i % isz);
			seq += 5;
			ck_assert_uint_eq(px_ring_enqueue_burst(r, in, 5), 5);
			memset(out, 0, 5 * isz);
			ck_assert_uint_eq(px_ring_dequeue_burst(r, out, 5), 5);
			ck_assert(memcmp(in, out, 5 * isz) == 0);
			ck_assert_uint_eq(px_ring_count(r), 0);
		}
		free(in);
		free(out);
		free(r);
	}
}
END_TEST

/* ---- two threads ------------------------------------------------------ */

struct spsc_run {
	struct px_ring *r;
	uint64_t items;       /* stop after this many... */
	double seconds;       /* ...or after this long, if > 0 */
	unsigned max_burst;
	uint64_t producer;
	_Atomic uint64_t produced; /* final count, valid once done */
	_Atomic bool done;
};

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void *spsc_producer(void *arg)
{
	struct spsc_run *run = arg;
	struct titem buf[64];
	uint64_t seq = 0, st = run->producer * 7 + 1;
	double end = run->seconds > 0 ? now_s() + run->seconds : 0;
	unsigned spins = 0;

	while (seq < run->items) {
		unsigned n = 1 + rnd(&st) % run->max_burst, put;

		if (n > run->items - seq)
			n = (unsigned)(run->items - seq);
		for (unsigned i = 0; i < n; i++)
			titem_make(&buf[i], run->producer, seq + i);
		/* Push the whole burst, in whatever pieces fit. */
		for (unsigned done = 0; done < n; done += put) {
			put = px_ring_enqueue_burst(run->r, buf + done,
						    n - done);
			if (put == 0)
				backoff(&spins);
		}
		seq += n;
		if (end > 0 && (seq & 1023) < n && now_s() > end)
			break;
	}
	atomic_store(&run->produced, seq);
	atomic_store(&run->done, true);
	return NULL;
}

/* Consume what NPROD producers push until all are done and drained; each
 * sequence must arrive complete, once, in order, intact. Returns the total
 * number of items. */
static uint64_t consume_checked(struct px_ring *r, struct spsc_run *runs,
				unsigned nprod, unsigned max_burst)
{
	struct titem buf[64];
	uint64_t next[8] = { 0 }, total = 0, st = 99;
	unsigned spins = 0;

	ck_assert_uint_le(nprod, 8);
	for (;;) {
		unsigned n = 1 + rnd(&st) % max_burst;
		unsigned got = px_ring_dequeue_burst(r, buf, n);

		if (got == 0) {
			bool all_done = true;

			for (unsigned p = 0; p < nprod; p++)
				all_done &= atomic_load(&runs[p].done);
			if (!all_done) {
				backoff(&spins);
				continue;
			}
			/* Done producers published everything before their
			 * flag: one more empty look means drained. */
			got = px_ring_dequeue_burst(r, buf, max_burst);
			if (got == 0)
				break;
		}
		for (unsigned i = 0; i < got; i++) {
			ck_assert(titem_ok(&buf[i]));
			ck_assert_uint_lt(buf[i].producer, nprod);
			ck_assert_uint_eq(buf[i].seq, next[buf[i].producer]);
			next[buf[i].producer]++;
		}
		total += got;
	}
	ck_assert_uint_eq(px_ring_count(r), 0);
	for (unsigned p = 0; p < nprod; p++)
		ck_assert_uint_eq(next[p], atomic_load(&runs[p].produced));
	return total;
}

static void run_spsc(uint64_t items, double seconds, uint32_t cap)
{
	struct spsc_run run = { .r = ring_new(cap, 64, PX_RING_SPSC),
				.items = items, .seconds = seconds,
				.max_burst = 40 };
	pthread_t t;

	ck_assert_int_eq(pthread_create(&t, NULL, spsc_producer, &run), 0);
	consume_checked(run.r, &run, 1, 40);
	ck_assert_int_eq(pthread_join(t, NULL), 0);
	if (seconds == 0)
		ck_assert_uint_eq(atomic_load(&run.produced), items);
	free(run.r);
}

/* Stress runs for a fixed time (PX_RING_STRESS_SECONDS, default 20), so
 * that a slow or loaded machine checks fewer items instead of timing out. */
static double stress_seconds(void)
{
	const char *env = getenv("PX_RING_STRESS_SECONDS");

	return env ? atof(env) : 20.0;
}

START_TEST(test_ring_spsc_threads)
{
	run_spsc(SCALE(100000), 0, 16);
	run_spsc(SCALE(20000), 0, 2);
}
END_TEST

START_TEST(test_ring_stress_spsc)
{
	run_spsc(UINT64_MAX, stress_seconds(), 64);
}
END_TEST

static void run_mpsc(unsigned nprod, uint64_t per_producer, double seconds,
		     uint32_t cap)
{
	struct px_ring *r = ring_new(cap, 64, PX_RING_MPSC);
	struct spsc_run run[8];
	pthread_t t[8];
	uint64_t total;

	for (unsigned p = 0; p < nprod; p++) {
		run[p] = (struct spsc_run){ .r = r, .items = per_producer,
					    .seconds = seconds,
					    .max_burst = 12, .producer = p };
		ck_assert_int_eq(pthread_create(&t[p], NULL, spsc_producer,
						&run[p]),
				 0);
	}
	total = consume_checked(r, run, nprod, 32);
	if (seconds == 0)
		ck_assert_uint_eq(total, nprod * per_producer);
	for (unsigned p = 0; p < nprod; p++)
		ck_assert_int_eq(pthread_join(t[p], NULL), 0);
	ck_assert_uint_eq(atomic_load(&r->prod_head),
			  atomic_load(&r->prod_tail));
	free(r);
}

START_TEST(test_ring_mpsc_threads)
{
	run_mpsc(2, SCALE(50000), 0, 32);
	run_mpsc(3, SCALE(20000), 0, 8);
}
END_TEST

START_TEST(test_ring_stress_mpsc)
{
	run_mpsc(4, UINT64_MAX, stress_seconds(), 64);
}
END_TEST

/* ---- sleep and wake ------------------------------------------------------ */

/* The flag functions' contract, single-threaded, on every kind. */
START_TEST(test_ring_wake_flags)
{
	struct px_ring *r = ring_new(4, 64, kinds[_i]);
	struct titem it[4];

	for (unsigned i = 0; i < 4; i++)
		titem_make(&it[i], 0, i);
	/* Nobody sleeps: no wakeups asked for. */
	ck_assert(px_ring_enqueue(r, &it[0]));
	ck_assert(!px_ring_consumer_needs_wake(r));
	ck_assert(px_ring_dequeue(r, &it[0]));
	ck_assert(!px_ring_producer_needs_wake(r));

	/* Consumer on an empty ring may sleep; the next enqueue wakes it,
	 * exactly once. */
	ck_assert(px_ring_consumer_sleep(r));
	ck_assert(px_ring_consumer_flagged(r));
	ck_assert(px_ring_enqueue(r, &it[1]));
	ck_assert(px_ring_consumer_needs_wake(r));
	ck_assert(!px_ring_consumer_needs_wake(r));
	/* The producer took the flag: the consumer can tell. */
	ck_assert(!px_ring_consumer_flagged(r));
	px_ring_consumer_awake(r);
	/* With an item waiting, the consumer must not sleep, and the flag
	 * is left clear. */
	ck_assert(!px_ring_consumer_sleep(r));
	ck_assert(!px_ring_consumer_needs_wake(r));
	/* awake() after a sleep with no enqueue clears the flag too. */
	ck_assert(px_ring_dequeue(r, &it[1]));
	ck_assert(px_ring_consumer_sleep(r));
	px_ring_consumer_awake(r);
	ck_assert(px_ring_enqueue(r, &it[1]));
	ck_assert(!px_ring_consumer_needs_wake(r));

	/* Producer mirror: it may sleep only on a full ring. */
	ck_assert(!px_ring_producer_sleep(r));
	ck_assert(!px_ring_producer_needs_wake(r));
	ck_assert_uint_eq(px_ring_enqueue_burst(r, it, 3), 3);
	ck_assert(px_ring_producer_sleep(r));
	ck_assert(px_ring_producer_flagged(r));
	ck_assert(px_ring_dequeue(r, &it[0]));
	ck_assert(px_ring_producer_needs_wake(r));
	ck_assert(!px_ring_producer_flagged(r));
	ck_assert(!px_ring_producer_needs_wake(r));
	px_ring_producer_awake(r);
	free(r);
}
END_TEST

#define WAKE_TIMEOUT_MS 10000

/* Block on an eventfd until signalled. False after WAKE_TIMEOUT_MS: with a
 * sleeping peer that means a lost wakeup (the test would hang). */
static bool efd_wait(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	uint64_t v;
	int rc;

	do
		rc = poll(&p, 1, WAKE_TIMEOUT_MS);
	while (rc < 0 && errno == EINTR);
	if (rc != 1)
		return false;
	return read(fd, &v, sizeof(v)) == (ssize_t)sizeof(v) || errno == EAGAIN;
}

static void efd_signal(int fd)
{
	uint64_t one = 1;

	/* An eventfd write only fails on counter overflow, not here. */
	(void)!write(fd, &one, sizeof(one));
}

/* A random pause between seeing the ring empty (or full) and announcing
 * the sleep: the other side moves meanwhile without waking anyone, so only
 * the re-check in px_ring_*_sleep() saves the sleeper. Without it the
 * window is a few instructions and a broken re-check passes unnoticed. */
static void jitter(uint64_t *st)
{
	switch (rnd(st) % 4) {
	case 0:
		break;
	case 1:
		sched_yield();
		break;
	default:
		for (unsigned i = rnd(st) % 4000; i > 0; i--)
			px__ring_cpu_relax();
	}
}

struct wake_run {
	struct px_ring *r;
	uint64_t items;
	uint64_t producer;
	int efd_cons, efd_prod;
	bool producer_sleeps;
	_Atomic unsigned sleeps;
	_Atomic bool lost;
};

/* A producer that never spins: on a full ring it sleeps (or, when several
 * producers share the ring, yields); after each item it wakes the
 * consumer when the flag says so. */
static int wake_produce(struct wake_run *w)
{
	uint64_t st = w->producer + 5;
	struct titem it;

	for (uint64_t seq = 0; seq < w->items; seq++) {
		titem_make(&it, w->producer, seq);
		while (!px_ring_enqueue(w->r, &it)) {
			if (!w->producer_sleeps) {
				sched_yield();
				continue;
			}
			jitter(&st);
			if (px_ring_producer_sleep(w->r)) {
				atomic_fetch_add(&w->sleeps, 1);
				if (!efd_wait(w->efd_prod))
					return -ETIMEDOUT;
				px_ring_producer_awake(w->r);
			}
		}
		if (px_ring_consumer_needs_wake(w->r))
			efd_signal(w->efd_cons);
	}
	return 0;
}

static void *wake_producer_thread(void *arg)
{
	struct wake_run *w = arg;

	if (wake_produce(w) != 0)
		atomic_store(&w->lost, true);
	return NULL;
}

/* A consumer that never spins: on an empty ring it sleeps at once. */
static int wake_consume(struct px_ring *r, unsigned nprod, uint64_t items,
			int efd_cons, int efd_prod, unsigned *sleeps)
{
	uint64_t next[8] = { 0 }, total = 0, st = 77;
	struct titem it;

	while (total < nprod * items) {
		if (px_ring_dequeue(r, &it)) {
			if (!titem_ok(&it) || it.producer >= nprod ||
			    it.seq != next[it.producer])
				return -EBADMSG;
			next[it.producer]++;
			total++;
			if (px_ring_producer_needs_wake(r))
				efd_signal(efd_prod);
			continue;
		}
		jitter(&st);
		if (px_ring_consumer_sleep(r)) {
			++*sleeps;
			if (!efd_wait(efd_cons))
				return -ETIMEDOUT;
			px_ring_consumer_awake(r);
		}
	}
	return 0;
}

/* Both sides sleep on eventfds with no spinning, on rings so small that
 * they sleep all the time. A lost wakeup leaves both asleep: the test then
 * fails after WAKE_TIMEOUT_MS instead of hanging. */
START_TEST(test_ring_wake_threads)
{
	static const uint32_t caps[] = { 2, 4 };

	for (unsigned c = 0; c < PX_ARRAY_SIZE(caps); c++) {
		struct wake_run w = { .r = ring_new(caps[c], 64, PX_RING_SPSC),
				      .items = SCALE(20000),
				      .producer_sleeps = true };
		unsigned csleeps = 0;
		pthread_t t;

		w.efd_cons = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		w.efd_prod = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		ck_assert_int_ge(w.efd_cons, 0);
		ck_assert_int_ge(w.efd_prod, 0);
		ck_assert_int_eq(pthread_create(&t, NULL, wake_producer_thread,
						&w),
				 0);
		ck_assert_msg(wake_consume(w.r, 1, w.items, w.efd_cons,
					   w.efd_prod, &csleeps) == 0,
			      "consumer: lost wakeup or bad item");
		ck_assert_int_eq(pthread_join(t, NULL), 0);
		ck_assert_msg(!atomic_load(&w.lost), "producer: lost wakeup");
		/* The sleep paths really ran (else this proves nothing). */
		ck_assert_uint_gt(csleeps, 0);
		ck_assert_uint_gt(atomic_load(&w.sleeps), 0);
		close(w.efd_cons);
		close(w.efd_prod);
		free(w.r);
	}
}
END_TEST

/* Several producers, one sleeping consumer: exactly one of the producers
 * that see the flag sends the wakeup, and none is lost. */
START_TEST(test_ring_wake_mpsc)
{
	struct px_ring *r = ring_new(4, 64, PX_RING_MPSC);
	struct wake_run w[3];
	pthread_t t[3];
	int efd_cons = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	unsigned csleeps = 0;

	ck_assert_int_ge(efd_cons, 0);
	for (unsigned p = 0; p < 3; p++) {
		w[p] = (struct wake_run){ .r = r, .items = SCALE(20000),
					  .producer = p, .efd_cons = efd_cons,
					  .efd_prod = -1 };
		ck_assert_int_eq(pthread_create(&t[p], NULL,
						wake_producer_thread, &w[p]),
				 0);
	}
	ck_assert_msg(wake_consume(r, 3, SCALE(20000), efd_cons, -1, &csleeps) == 0,
		      "consumer: lost wakeup or bad item");
	for (unsigned p = 0; p < 3; p++) {
		ck_assert_int_eq(pthread_join(t[p], NULL), 0);
		ck_assert(!atomic_load(&w[p].lost));
	}
	ck_assert_uint_gt(csleeps, 0);
	close(efd_cons);
	free(r);
}
END_TEST

/* ---- across processes ---------------------------------------------------- */

/* The child maps the memfd again at an address of its own, drops the
 * inherited mapping, attaches and produces with sleep/wake. Exit codes:
 * 0 ok, 2 map failed, 3 attach failed, 4 lost wakeup. */
static int fork_child(int memfd, void *inherited, size_t sz, int efd_cons,
		      int efd_prod, uint64_t items)
{
	struct wake_run w = { .items = items, .producer = 0,
			      .efd_cons = efd_cons, .efd_prod = efd_prod,
			      .producer_sleeps = true };
	void *mem = mmap(NULL, sz, PROT_READ | PROT_WRITE, MAP_SHARED, memfd,
			 0);

	if (mem == MAP_FAILED || mem == inherited)
		return 2;
	munmap(inherited, sz);
	if (px_ring_attach(mem, sz, &w.r) != 0 || px_ring_capacity(w.r) != 8)
		return 3;
	return wake_produce(&w) == 0 ? 0 : 4;
}

START_TEST(test_ring_fork_memfd)
{
	size_t sz = px_ring_memsize(8, 64);
	int memfd = memfd_create("px-ring-test", MFD_CLOEXEC);
	int efd_cons = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	int efd_prod = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	const uint64_t items = SCALE(100000);
	struct px_ring *r;
	unsigned sleeps = 0;
	int status, rc;
	void *mem;
	pid_t pid;

	if (memfd < 0)
		PX_SKIP("memfd_create: %s", strerror(errno));
	ck_assert_int_ge(efd_cons, 0);
	ck_assert_int_ge(efd_prod, 0);
	ck_assert_int_eq(ftruncate(memfd, (off_t)sz), 0);
	mem = mmap(NULL, sz, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
	ck_assert_ptr_ne(mem, MAP_FAILED);
	ck_assert_int_eq(px_ring_init(mem, sz, 8, 64, PX_RING_SPSC, &r), 0);

	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0)
		_exit(fork_child(memfd, mem, sz, efd_cons, efd_prod, items));

	rc = wake_consume(r, 1, items, efd_cons, efd_prod, &sleeps);
	if (rc != 0)
		kill(pid, SIGKILL);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(rc == 0, "consumer: %s", strerror(-rc));
	ck_assert(WIFEXITED(status));
	ck_assert_msg(WEXITSTATUS(status) == 0, "child exit %d",
		      WEXITSTATUS(status));
	ck_assert_uint_eq(px_ring_count(r), 0);
	munmap(mem, sz);
	close(memfd);
	close(efd_cons);
	close(efd_prod);
}
END_TEST

/* ---- views: a peer that rewrites the shared ring ------------------------ */

static uint64_t xorshift(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* A value a hostile peer might write: an extreme, or anything. */
static uint32_t hostile_value(uint64_t *rng)
{
	static const uint32_t extremes[] = { 0, 1, 15, 16, 17, 0x7fffffff,
					     0x80000000u, 0xffffffffu,
					     1u << 30, 65536 };
	uint64_t x = xorshift(rng);

	return x & 1 ? extremes[(x >> 1) % PX_ARRAY_SIZE(extremes)] :
		       (uint32_t)(x >> 32);
}

/*
 * A peer process can write everything in a shared ring: header, indices,
 * caches. Through a view, no value it writes may make this side copy
 * outside the item array (the ring ends at a PROT_NONE page; ASan also
 * watches the caller's arrays) or report more than the capacity.
 */
START_TEST(test_ring_view_hostile)
{
	enum px_ring_kind kind = kinds[_i];
	const uint32_t cap = 16;
	size_t sz = px_ring_memsize(cap, 64), page = 4096;
	size_t span = PX_ALIGN_UP(sz, page);
	unsigned char *map = mmap(NULL, span + page, PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	struct titem src[64], dst[65];
	struct px_ring_view v, v2;
	struct px_ring *r;
	uint64_t rng = 0x9e3779b97f4a7c15ull + (uint64_t)_i;

	ck_assert(map != MAP_FAILED);
	ck_assert_int_eq(mprotect(map + span, page, PROT_NONE), 0);
	/* The items end exactly where the guard page starts. */
	r = (struct px_ring *)(map + span - sz);
	ck_assert_int_eq(px_ring_view_init(&v, r, sz, cap, 64, kind), 0);
	ck_assert_int_eq(px_ring_view_attach(&v2, r, sz), 0);
	memset(src, 0xab, sizeof(src));
	memset(&dst[64], 0x5a, sizeof(dst[64]));

	for (unsigned i = 0; i < 200000; i++) {
		_Atomic uint32_t *idx[] = { &r->prod_head, &r->prod_tail,
					    &r->cons_head, &r->cons_sleeping,
					    &r->prod_sleeping };
		uint32_t *plain[] = { &r->geom.capacity, &r->geom.mask,
				      &r->geom.item_size,
				      &r->prod_cons_cache,
				      &r->cons_prod_cache, &r->sp_tail,
				      &r->sc_head };
		const struct px_ring_view *use = i & 1 ? &v : &v2;
		unsigned n = (unsigned)(xorshift(&rng) % 65), got;
		uint64_t what = xorshift(&rng) % 13;

		if (what < 5)
			atomic_store(idx[what], hostile_value(&rng));
		else if (what < 12)
			*plain[what - 5] = hostile_value(&rng);
		else
			r->kind = (uint16_t)hostile_value(&rng);
		/* An MPSC producer waits for prod_tail to reach its turn:
		 * a peer that holds it back makes it spin (px_ring.h). */
		if (kind == PX_RING_MPSC)
			atomic_store(&r->prod_tail, atomic_load(&r->prod_head));

		got = px_ring_view_enqueue_burst(use, src, n);
		ck_assert_uint_le(got, n);
		ck_assert_uint_le(got, cap);
		got = px_ring_view_dequeue_burst(use, dst, n);
		ck_assert_uint_le(got, n);
		ck_assert_uint_le(got, cap);
		ck_assert_uint_le(px_ring_view_count(use), cap);
		ck_assert_uint_le(px_ring_view_free_count(use), cap);
		(void)px_ring_view_producer_sleep(use);
		(void)px_ring_consumer_sleep(use->ring);
		ck_assert_uint_eq(px_ring_view_capacity(use), cap);
		ck_assert_uint_eq(px_ring_view_item_size(use), 64);
		ck_assert_int_eq(px_ring_view_kind(use), kind);
	}
	/* Nothing was written past the caller's array either. */
	for (unsigned b = 0; b < sizeof(dst[64]); b++)
		ck_assert_uint_eq(((unsigned char *)&dst[64])[b], 0x5a);
	munmap(map, span + page);
}
END_TEST

static Suite *ring_suite(void)
{
	Suite *s = suite_create("ring");

	tcase_add_test(px_tcase(s, "params"), test_ring_params);
	tcase_add_loop_test(px_tcase(s, "edges"), test_ring_edges, 0, 3);
	tcase_add_loop_test(px_tcase(s, "wrap"), test_ring_wrap, 0, 3);
	tcase_add_loop_test(px_tcase(s, "item_sizes"), test_ring_item_sizes,
			    0, 3);
	tcase_add_test(px_tcase(s, "spsc_threads"), test_ring_spsc_threads);
	tcase_add_test(px_tcase(s, "mpsc_threads"), test_ring_mpsc_threads);
	tcase_add_loop_test(px_tcase(s, "wake_flags"), test_ring_wake_flags,
			    0, 3);
	tcase_add_test(px_tcase(s, "wake_threads"), test_ring_wake_threads);
	tcase_add_test(px_tcase(s, "wake_mpsc"), test_ring_wake_mpsc);
	tcase_add_test(px_tcase(s, "fork_memfd"), test_ring_fork_memfd);
	tcase_add_loop_test(px_tcase(s, "view_hostile"),
			    test_ring_view_hostile, 0, 3);
	tcase_add_test(px_tcase(s, "stress_spsc"), test_ring_stress_spsc);
	tcase_add_test(px_tcase(s, "stress_mpsc"), test_ring_stress_mpsc);
	return s;
}

PX_TEST_MAIN(ring_suite)
