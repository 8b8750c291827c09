// SPDX-License-Identifier: MIT
/*
 * test_pool.c - px_pool: loan/release/reuse, exhaustion and recovery,
 * bursts, the high-water modes, waiters, release from another process,
 * file persistence, io_uring registration and memlock, and every bad
 * config. Threads and caches: test_pool_cache.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <liburing.h>
#include <linux/capability.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "pool_test_util.h"
#include "px_pool_int.h"

START_TEST(test_pool_loan_release)
{
	struct px_pool *pool = new_pool(PX_SEGMENT_HEAP, 4096, 8);
	struct px_pool_stats st;
	uint32_t slot[8], again;
	uint64_t seen = 0;

	ck_assert_uint_eq(px_pool_slot_size(pool), 4096);
	ck_assert_uint_eq(px_pool_slot_count(pool), 8);
	ck_assert_str_eq(px_pool_name(pool), "px-test-pool");
	ck_assert_uint_ne(px_pool_id(pool), 0);
	ck_assert_ptr_eq(px_pool_from_id(px_pool_id(pool)), pool);
	ck_assert_uint_eq(px_pool_available(pool), 8);
	for (int i = 0; i < 8; i++) {
		ck_assert_int_eq(px_pool_loan(pool, &slot[i]), 0);
		ck_assert_uint_lt(slot[i], 8);
		ck_assert(!(seen & (1ull << slot[i]))); /* never twice */
		seen |= 1ull << slot[i];
		ck_assert_uint_eq(px_pool_slot_refcount(pool, slot[i]), 1);
		memset(px_pool_slot_data(pool, slot[i]), i, 4096);
		ck_assert_uint_eq(px_pool_available(pool), 7 - (uint32_t)i);
	}
	for (int i = 0; i < 8; i++)
		ck_assert_uint_eq(((uint8_t *)px_pool_slot_data(pool, slot[i]))[4095],
				  (uint8_t)i);
	ck_assert_ptr_null(px_pool_slot_data(pool, 8));
	px_pool_release(pool, slot[5]);
	ck_assert_uint_eq(px_pool_slot_refcount(pool, slot[5]), 0);
	ck_assert_int_eq(px_pool_loan(pool, &again), 0);
	ck_assert_uint_eq(again, slot[5]); /* the only free one: reused */
	for (int i = 0; i < 8; i++)
		px_pool_release(pool, slot[i]);
	px_pool_stats(pool, &st);
	ck_assert_uint_eq(st.loans, 9);
	ck_assert_uint_eq(st.releases, 9);
	ck_assert_uint_eq(st.high_water, 8);
	ck_assert_uint_eq(st.exhausted, 0);
	ck_assert_uint_eq(st.bytes_copied, 0);
	assert_all_free(pool);
	px_pool_destroy(pool);
	px_pool_destroy(NULL);
}
END_TEST

START_TEST(test_pool_alignment)
{
	static const struct {
		uint32_t size, align, expect;
	} cases[] = {
		{ 64, 0, 64 }, { 1536, 0, 64 }, { 4096, 0, 4096 },
		{ 65536, 0, 4096 }, { 384, 128, 128 }, { 8192, 64, 64 },
	};

	for (size_t c = 0; c < PX_ARRAY_SIZE(cases); c++) {
		struct px_pool_config cfg = {
			.slot_size = cases[c].size, .slots = 100,
			.align = cases[c].align, .segment = { .numa_node = -1 },
		};
		struct px_pool *pool;

		ck_assert_int_eq(px_pool_create(&cfg, &pool), 0);
		/* The slot area is page aligned; each slot at least expect. */
		ck_assert_uint_eq((uintptr_t)px_pool_slot_data(pool, 0) % 4096, 0);
		for (uint32_t s = 0; s < 100; s++)
			ck_assert_uint_eq((uintptr_t)px_pool_slot_data(pool, s) %
						  cases[c].expect, 0);
		assert_all_free(pool);
		px_pool_destroy(pool);
	}
}
END_TEST

START_TEST(test_pool_exhaustion)
{
	struct px_pool *pool = new_pool(PX_SEGMENT_MEMFD, 64, 70);
	struct px_pool_stats st;
	uint32_t slot[70], extra;

	for (int i = 0; i < 70; i++)
		ck_assert_int_eq(px_pool_loan(pool, &slot[i]), 0);
	ck_assert_int_eq(px_pool_loan(pool, &extra), -ENOBUFS);
	ck_assert_int_eq(px_pool_loan(pool, &extra), -ENOBUFS);
	ck_assert_int_eq(px_pool_loan_burst(pool, &extra, 1), -ENOBUFS);
	px_pool_stats(pool, &st);
	ck_assert_uint_eq(st.exhausted, 3);
	ck_assert_uint_eq(st.in_use, 70);
	ck_assert_uint_eq(st.high_water, 70);
	/* Recovery: one back, one out again, then empty again. */
	px_pool_release(pool, slot[66]);
	ck_assert_int_eq(px_pool_loan(pool, &extra), 0);
	ck_assert_uint_eq(extra, slot[66]);
	ck_assert_int_eq(px_pool_loan(pool, &extra), -ENOBUFS);
	px_pool_release_burst(pool, slot, 70);
	/* A double release is ignored and counted, never corrupts. */
	px_pool_release(pool, slot[0]);
	px_pool_release(pool, 1000);
	px_pool_stats(pool, &st);
	ck_assert_uint_eq(st.bad_releases, 2);
	ck_assert_uint_eq(px_pool_available(pool), 70);
	ck_assert_uint_eq(st.loans, st.releases);
	px_pool_destroy(pool);
}
END_TEST

START_TEST(test_pool_burst)
{
	/* 322 slots: more than 4 bitmap words; the exact in_use counter. */
	struct px_pool *pool = new_pool_flags(PX_SEGMENT_HEAP, 128, 322,
					      PX_POOL_EXACT_HIGH_WATER);
	uint32_t a[300], b[100];
	uint8_t seen[322] = { 0 };
	struct px_pool_stats st;

	ck_assert_int_eq(px_pool_loan_burst(pool, a, 0), 0);
	ck_assert_int_eq(px_pool_loan_burst(pool, a, 300), 300);
	/* Words 0-3 are empty now: the search hint moved on, so the next
	 * loan does not rescan them (O(1) amortized, not a scan from zero). */
	ck_assert_uint_eq(atomic_load(&pool->hint), 4);
	ck_assert_int_eq(px_pool_loan_burst(pool, b, 100), 22); /* some */
	for (int i = 0; i < 300; i++)
		seen[a[i]]++;
	for (int i = 0; i < 22; i++)
		seen[b[i]]++;
	for (int i = 0; i < 322; i++)
		ck_assert_uint_eq(seen[i], 1);
	ck_assert_int_eq(px_pool_loan_burst(pool, b + 22, 5), -ENOBUFS);
	px_pool_release_burst(pool, b, 22);
	ck_assert_uint_eq(px_pool_available(pool), 22);
	px_pool_release_burst(pool, a, 300);
	ck_assert_int_eq(px_pool_loan_burst(pool, b, 10), 10);
	px_pool_release_burst(pool, b, 10);
	px_pool_stats(pool, &st);
	ck_assert_uint_eq(st.loans, 332);
	ck_assert_uint_eq(st.high_water, 322);
	assert_all_free(pool);
	ck_assert_uint_eq(atomic_load(&pool->shm->in_use), 0);
	px_pool_destroy(pool);

	/* Lowest free first, whether the free bits of a word are one run or
	 * not, and a run at the top of a word (its mask would overflow). */
	pool = new_pool(PX_SEGMENT_HEAP, 64, 64);
	ck_assert_int_eq(px_pool_loan_burst(pool, a, 60), 60);
	for (uint32_t i = 0; i < 60; i++)
		ck_assert_uint_eq(a[i], i);
	px_pool_release(pool, 10);
	px_pool_release(pool, 20);
	ck_assert_int_eq(px_pool_loan_burst(pool, b, 3), 3);
	ck_assert_uint_eq(b[0], 10);
	ck_assert_uint_eq(b[1], 20);
	ck_assert_uint_eq(b[2], 60);
	ck_assert_int_eq(px_pool_loan_burst(pool, b + 3, 5), 3); /* 61-63 */
	ck_assert_uint_eq(b[3], 61);
	ck_assert_uint_eq(b[5], 63);
	/* a[] still names 10 and 20, which b[] holds now: the second release
	 * of each finds it free, is refused and counted. */
	px_pool_release_burst(pool, a, 60);
	px_pool_release_burst(pool, b, 6);
	px_pool_release_burst(pool, b, 0);
	ck_assert_uint_eq(px_pool_available(pool), 64);
	px_pool_stats(pool, &st);
	ck_assert_uint_eq(st.bad_releases, 2);
	px_pool_destroy(pool);
}
END_TEST

/* Loan @n, then give them all back; @out holds at least @n. */
static void loan_then_release(struct px_pool *pool, uint32_t *out, int n)
{
	ck_assert_int_eq(px_pool_loan_burst(pool, out, (unsigned)n), n);
	px_pool_release_burst(pool, out, (unsigned)n);
}

/*
 * The three high-water modes. Small pools (<= 256 slots) are exact with no
 * flag; PX_POOL_EXACT_HIGH_WATER makes big ones exact; without it a big
 * pool samples at px_pool_stats() and at exhaustion: a lower bound.
 */
START_TEST(test_pool_high_water)
{
	struct px_pool *small = new_pool(PX_SEGMENT_HEAP, 64, 256);
	struct px_pool *exact = new_pool_flags(PX_SEGMENT_MEMFD, 64, 320,
					       PX_POOL_EXACT_HIGH_WATER);
	struct px_pool *sampled = new_pool(PX_SEGMENT_HEAP, 64, 320);
	struct px_pool_config cfg = {
		.slot_size = 64, .slots = 8, .flags = 1u << 7,
		.segment = { .kind = PX_SEGMENT_HEAP, .numa_node = -1 },
	};
	struct px_pool *attached = NULL, *bad = NULL;
	struct px_segment *peer;
	struct px_pool_stats st;
	uint32_t s[320], one;

	/* A peak that is gone by the time anyone looks. */
	loan_then_release(small, s, 200);
	loan_then_release(exact, s, 200);
	loan_then_release(sampled, s, 200);
	loan_then_release(small, s, 10);
	loan_then_release(exact, s, 10);
	loan_then_release(sampled, s, 10);
	px_pool_stats(small, &st);
	ck_assert_uint_eq(st.high_water, 200);
	ck_assert(st.high_water_exact);
	px_pool_stats(exact, &st);
	ck_assert_uint_eq(st.high_water, 200);
	ck_assert(st.high_water_exact);
	ck_assert_uint_eq(atomic_load(&exact->shm->in_use), 0);
	px_pool_stats(sampled, &st);
	ck_assert_uint_eq(st.high_water, 0); /* never seen: a lower bound */
	ck_assert(!st.high_water_exact);     /* ... and it says so */

	/* Sampled: what px_pool_stats() sees while the slots are out. */
	ck_assert_int_eq(px_pool_loan_burst(sampled, s, 150), 150);
	px_pool_stats(sampled, &st);
	ck_assert_uint_eq(st.high_water, 150);
	px_pool_release_burst(sampled, s, 150);
	px_pool_stats(sampled, &st);
	ck_assert_uint_eq(st.high_water, 150); /* monotonic */
	/* ... and exhaustion: every slot was out. */
	ck_assert_int_eq(px_pool_loan_burst(sampled, s, 320), 320);
	ck_assert_int_eq(px_pool_loan(sampled, &one), -ENOBUFS);
	px_pool_release_burst(sampled, s, 320);
	px_pool_stats(sampled, &st);
	ck_assert_uint_eq(st.high_water, 320);
	ck_assert_uint_eq(st.exhausted, 1);

	/* The flag lives in the pool header: an attached handle in another
	 * mapping keeps the exact counter as well. */
	ck_assert_int_eq(px_segment_map_fd(px_pool_segment(exact)->fd, false,
					   &peer),
			 0);
	ck_assert_int_eq(px_pool_attach(peer, &attached), 0);
	ck_assert(attached->count_in_use);
	ck_assert_int_eq(px_pool_loan_burst(attached, s, 300), 300);
	px_pool_release_burst(exact, s, 300);
	px_pool_stats(exact, &st);
	ck_assert_uint_eq(st.high_water, 300);
	ck_assert_uint_eq(atomic_load(&exact->shm->in_use), 0);
	px_pool_destroy(attached);
	px_segment_destroy(peer);

	/* An unknown flag is refused, nothing made. */
	ck_assert_int_eq(px_pool_create(&cfg, &bad), -EINVAL);
	ck_assert_ptr_null(bad);

	assert_all_free(small);
	assert_all_free(exact);
	assert_all_free(sampled);
	px_pool_destroy(small);
	px_pool_destroy(exact);
	px_pool_destroy(sampled);
}
END_TEST

START_TEST(test_pool_notify)
{
	struct px_pool *pool = new_pool(PX_SEGMENT_HEAP, 64, 4);
	struct notify_rec rec = { 0 };
	struct px_pool_stats st;
	uint32_t s[4], extra;

	px_pool_set_notify(pool, on_release, &rec);
	ck_assert(!px_pool_wait_set(pool)); /* not empty: loan instead */
	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(px_pool_loan(pool, &s[i]), 0);
	px_pool_release(pool, s[0]); /* clears the stale flag: one spurious */
	ck_assert_int_eq(rec.calls, 1);
	ck_assert_int_eq(px_pool_loan(pool, &s[0]), 0);
	rec.calls = 0;

	ck_assert_int_eq(px_pool_loan(pool, &extra), -ENOBUFS);
	ck_assert(px_pool_wait_set(pool)); /* armed: sleep */
	px_pool_release(pool, s[1]);
	ck_assert_int_eq(rec.calls, 1);
	ck_assert_ptr_eq(rec.pool, pool);
	px_pool_release(pool, s[2]); /* one-shot */
	ck_assert_int_eq(rec.calls, 1);
	px_pool_release(pool, s[0]);
	px_pool_release(pool, s[3]);
	ck_assert_int_eq(rec.calls, 1);
	px_pool_stats(pool, &st);
	ck_assert_uint_eq(st.wakeups, 2);
	assert_all_free(pool);
	px_pool_destroy(pool);
}
END_TEST

struct waiter {
	struct px_pool *pool;
	int ret;
	uint32_t slot;
};

static void *wait_then_loan(void *arg)
{
	struct waiter *w = arg;

	while ((w->ret = px_pool_loan(w->pool, &w->slot)) == -ENOBUFS) {
		w->ret = px_pool_wait(w->pool, 10000);
		if (w->ret)
			break;
	}
	return NULL;
}

/* Whether a px_pool_wait() caller (any process) flagged its futex wait. */
static bool waiting(struct px_pool *pool)
{
	return atomic_load_explicit(&pool->shm->waiting, memory_order_acquire) &
	       PX__POOL_WAIT_FUTEX;
}

START_TEST(test_pool_wait)
{
	struct px_pool *pool = new_pool(PX_SEGMENT_HEAP, 64, 2);
	struct waiter w = { .pool = pool };
	uint32_t s[2];
	pthread_t t;

	ck_assert_int_eq(px_pool_loan_burst(pool, s, 2), 2);
	ck_assert_int_eq(px_pool_wait(pool, 20), -ETIMEDOUT);
	ck_assert_int_eq(pthread_create(&t, NULL, wait_then_loan, &w), 0);
	/* Release once the waiter flagged its futex wait: the wake path. */
	PX_TEST_UNTIL(waiting(pool), 30);
	px_pool_release(pool, s[1]);
	ck_assert_int_eq(pthread_join(t, NULL), 0);
	ck_assert_int_eq(w.ret, 0);
	ck_assert_uint_eq(w.slot, s[1]);
	px_pool_release(pool, w.slot);
	px_pool_release(pool, s[0]);
	assert_all_free(pool);
	px_pool_destroy(pool);
}
END_TEST

struct xproc {
	int fd;
	uint32_t slots[4];
	bool readonly;
};

/* In a forked child: a failed check is an exit code the parent sees. */
#define CHILD_CHECK(cond, code) ((cond) ? (void)0 : _exit(code))

/* In the child: map the memfd, attach, check the data, release. */
static void child_release(void *arg)
{
	struct xproc *x = arg;
	struct px_segment *seg;
	struct px_pool *pool;

	CHILD_CHECK(px_segment_map_fd(x->fd, x->readonly, &seg) == 0, 10);
	CHILD_CHECK(px_pool_attach(seg, &pool) == 0, 11);
	CHILD_CHECK(px_pool_is_readonly(pool) == x->readonly, 12);
	for (int i = 0; i < 4; i++) {
		uint32_t *p = px_pool_slot_data(pool, x->slots[i]);

		CHILD_CHECK(*p == 0xc0de0000u + x->slots[i], 13);
		CHILD_CHECK(px_pool_slot_refcount(pool, x->slots[i]) == 1, 14);
	}
	if (x->readonly) {
		/* The kernel refuses to write into a readonly slot (a store
		 * would SIGSEGV; read() says EFAULT, sanitizers or not). */
		int p[2];

		CHILD_CHECK(pipe(p) == 0 && write(p[1], "abcd", 4) == 4, 16);
		CHILD_CHECK(read(p[0], px_pool_slot_data(pool, x->slots[0]), 4) == -1 &&
				    errno == EFAULT, 17);
	}
	uint32_t s;
	CHILD_CHECK(px_pool_loan(pool, &s) == (x->readonly ? -EROFS : 0), 15);
	if (!x->readonly)
		px_pool_release(pool, s);
	px_pool_release_burst(pool, x->slots, 4);
	px_pool_destroy(pool);
	px_segment_destroy(seg);
}

START_TEST(test_pool_fork_release)
{
	struct px_pool *pool = new_pool(PX_SEGMENT_MEMFD, 4096, 16);
	struct xproc x = { .fd = px_pool_segment(pool)->fd };
	struct px_pool_stats st;
	uint32_t again[4];
	int status = 0;
	pid_t pid;

	for (int round = 0; round < 2; round++) {
		x.readonly = round == 1;
		ck_assert_int_eq(px_pool_loan_burst(pool, x.slots, 4), 4);
		for (int i = 0; i < 4; i++)
			*(uint32_t *)px_pool_slot_data(pool, x.slots[i]) =
				0xc0de0000u + x.slots[i];
		/* The parent loans, the child releases... */
		pid = fork();
		ck_assert_int_ge(pid, 0);
		if (pid == 0) {
			child_release(&x);
			_exit(0);
		}
		ck_assert_int_eq(waitpid(pid, &status, 0), pid);
		ck_assert(WIFEXITED(status));
		ck_assert_int_eq(WEXITSTATUS(status), 0);
		ck_assert_uint_eq(px_pool_available(pool), 16);
		for (int i = 0; i < 4; i++)
			ck_assert_uint_eq(px_pool_slot_refcount(pool, x.slots[i]), 0);
	}
	/* ...and the parent reuses what came back. */
	ck_assert_int_eq(px_pool_loan_burst(pool, again, 4), 4);
	px_pool_release_burst(pool, again, 4);
	px_pool_stats(pool, &st);
	ck_assert_uint_eq(st.releases, st.loans);

	assert_all_free(pool);
	px_pool_destroy(pool);
}
END_TEST

static void child_wait(void *arg)
{
	struct xproc *x = arg;
	struct px_segment *seg;
	struct px_pool *pool;
	uint32_t s;

	CHILD_CHECK(px_segment_map_fd(x->fd, false, &seg) == 0, 10);
	CHILD_CHECK(px_pool_attach(seg, &pool) == 0, 11);
	CHILD_CHECK(px_pool_loan(pool, &s) == -ENOBUFS, 12);
	/* The parent releases in its own process: the futex wakes us. */
	while (px_pool_loan(pool, &s) != 0)
		CHILD_CHECK(px_pool_wait(pool, 10000) == 0, 13);
	px_pool_release(pool, s);
	px_pool_destroy(pool);
	px_segment_destroy(seg);
}

START_TEST(test_pool_fork_wait)
{
	struct px_pool *pool = new_pool(PX_SEGMENT_MEMFD, 64, 2);
	struct xproc x = { .fd = px_pool_segment(pool)->fd };
	int status = 0;
	pid_t pid;

	ck_assert_int_eq(px_pool_loan_burst(pool, x.slots, 2), 2);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		child_wait(&x);
		_exit(0);
	}
	/* The child waits in its own mapping of the same header. */
	PX_TEST_UNTIL(waiting(pool), 30);
	px_pool_release_burst(pool, x.slots, 2);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), 0);
	assert_all_free(pool);
	px_pool_destroy(pool);
}
END_TEST

START_TEST(test_pool_file_persist)
{
	char path[512];
	struct px_pool_config cfg = {
		.slot_size = 4096, .slots = 16, .name = "persist",
		.segment = { .kind = PX_SEGMENT_FILE, .create = true,
			     .numa_node = -1 },
	};
	struct px_pool *pool, *bad = NULL;
	uint32_t keep, tmp[3];
	int fds = px_test_count_fds();

	snprintf(path, sizeof(path), "%s/pool-persist.px", px_test_tmpdir());
	cfg.segment.path = path;
	ck_assert_int_eq(px_pool_create(&cfg, &pool), 0);
	ck_assert_int_eq(px_pool_loan(pool, &keep), 0);
	strcpy(px_pool_slot_data(pool, keep), "survives a restart");
	px_pool_destroy(pool);

	/* Reopen: the loaned slot is still loaned, its bytes still there. */
	cfg.segment.create = false;
	ck_assert_int_eq(px_pool_create(&cfg, &pool), 0);
	ck_assert_str_eq(px_pool_name(pool), "persist");
	ck_assert_uint_eq(px_pool_available(pool), 15);
	ck_assert_uint_eq(px_pool_slot_refcount(pool, keep), 1);
	ck_assert_str_eq(px_pool_slot_data(pool, keep), "survives a restart");
	px_pool_release(pool, keep);
	/* Owners that died with loans: recover() takes the slots back. */
	ck_assert_int_eq(px_pool_loan_burst(pool, tmp, 3), 3);
	px_pool_destroy(pool);
	ck_assert_int_eq(px_pool_create(&cfg, &pool), 0);
	ck_assert_uint_eq(px_pool_recover(pool), 3);
	assert_all_free(pool);
	ck_assert_str_eq(px_pool_slot_data(pool, keep), "survives a restart");
	px_pool_destroy(pool);

	/* A reopen with another geometry is refused, nothing left behind. */
	cfg.slot_size = 8192;
	ck_assert_int_eq(px_pool_create(&cfg, &bad), -EINVAL);
	cfg.slot_size = 4096;
	cfg.slots = 17;
	ck_assert_int_eq(px_pool_create(&cfg, &bad), -EINVAL);
	ck_assert_ptr_null(bad);
	ck_assert_int_eq(px_test_count_fds(), fds);
	ck_assert_int_eq(px_test_count_maps("pool-persist.px"), 0);
	unlink(path);
}
END_TEST

/* Patch one u32 of the pool header in a memfd through a fresh mapping. */
static void patch_pool_u32(int fd, size_t field, uint32_t value)
{
	off_t off = PX_SEGMENT_HEADER_SIZE + (off_t)field;

	ck_assert_int_eq(pwrite(fd, &value, 4, off), 4);
}

START_TEST(test_pool_bad_config)
{
	struct px_pool_config ok = {
		.slot_size = 4096, .slots = 8, .name = "px-badcfg",
		.segment = { .kind = PX_SEGMENT_MEMFD, .name = "px-badcfg",
			     .numa_node = -1 },
	}, c;
	struct px_segment_config small = { .kind = PX_SEGMENT_MEMFD,
					   .size = 16384, .name = "px-badcfg",
					   .numa_node = -1 };
	struct px_pool *pool = NULL, *good;
	struct px_segment *seg, *peer;
	int fds = px_test_count_fds(), fd;
	char path[512];

	const struct {
		uint32_t slot_size, slots, align;
	} bad[] = {
		{ 0, 8, 0 },	  /* slot size 0 */
		{ 4096, 0, 0 },	  /* no slots */
		{ 100, 8, 0 },	  /* not a multiple of 64 */
		{ 6000, 8, 0 },	  /* >= page: must be a multiple of it */
		{ 384, 8, 96 },	  /* align not a power of two */
		{ 8192, 8, 8192 }, /* align above the page size */
		{ 64, 8, 32 },	  /* align below a cache line */
	};
	for (size_t i = 0; i < PX_ARRAY_SIZE(bad); i++) {
		c = ok;
		c.slot_size = bad[i].slot_size;
		c.slots = bad[i].slots;
		c.align = bad[i].align;
		ck_assert_int_eq(px_pool_create(&c, &pool), -EINVAL);
	}
	/* The rounding helper turns any size into a valid one. */
	ck_assert_uint_eq(px_pool_round_slot_size(100), 128);
	ck_assert_uint_eq(px_pool_round_slot_size(4033), 4096);
	ck_assert_uint_eq(px_pool_round_slot_size(6000), 8192);
	ck_assert_uint_eq(px_pool_round_slot_size(0), 0);
	ck_assert_uint_eq(px_pool_round_slot_size(UINT32_MAX), 0);
	/* More slots than the segment holds. */
	c = ok;
	c.segment.size = 16384;
	ck_assert_int_eq(px_pool_create(&c, &pool), -EINVAL);
	c = ok;
	c.slots = UINT32_MAX;
	c.slot_size = UINT32_MAX & ~4095u;
	ck_assert_int_eq(px_pool_create(&c, &pool), -EINVAL);
	ck_assert_int_eq(px_segment_create(&small, &seg), 0);
	ck_assert_int_eq(px_pool_create_in(seg, &ok, &pool), -EINVAL);
	/* A segment without a pool in it. */
	ck_assert_int_eq(px_pool_attach(seg, &pool), -EINVAL);
	px_segment_destroy(seg);
	ck_assert_ptr_null(pool);

	/* Wrong version, unknown flags, then wrong magic, in a real pool's
	 * memfd. */
	ck_assert_int_eq(px_pool_create(&ok, &good), 0);
	fd = px_pool_segment(good)->fd;
	patch_pool_u32(fd, offsetof(struct px__pool_shm, version),
		       PX__POOL_VERSION + 1);
	ck_assert_int_eq(px_segment_map_fd(fd, false, &peer), 0);
	ck_assert_int_eq(px_pool_attach(peer, &pool), -EINVAL);
	patch_pool_u32(fd, offsetof(struct px__pool_shm, version),
		       PX__POOL_VERSION);
	ck_assert_int_eq(px_pool_attach(peer, &pool), 0); /* fixed: works */
	px_pool_destroy(pool);
	pool = NULL;
	patch_pool_u32(fd, offsetof(struct px__pool_shm, flags), 1u << 9);
	ck_assert_int_eq(px_pool_attach(peer, &pool), -EINVAL);
	patch_pool_u32(fd, offsetof(struct px__pool_shm, flags), 0);
	patch_pool_u32(fd, offsetof(struct px__pool_shm, magic), 0x0badf00d);
	ck_assert_int_eq(px_pool_attach(peer, &pool), -EINVAL);
	px_segment_destroy(peer);
	px_pool_destroy(good);

	/* A file whose pool header is wrong: refused at reopen. */
	snprintf(path, sizeof(path), "%s/pool-bad.px", px_test_tmpdir());
	c = ok;
	c.segment.kind = PX_SEGMENT_FILE;
	c.segment.path = path;
	c.segment.create = true;
	ck_assert_int_eq(px_pool_create(&c, &good), 0);
	px_pool_destroy(good);
	fd = open(path, O_RDWR);
	patch_pool_u32(fd, offsetof(struct px__pool_shm, magic), 0);
	close(fd);
	c.segment.create = false;
	ck_assert_int_eq(px_pool_create(&c, &pool), -EINVAL);
	unlink(path);

	ck_assert_ptr_null(pool);
	ck_assert_int_eq(px_test_count_fds(), fds);
	ck_assert_int_eq(px_test_count_maps("px-badcfg"), 0);
	ck_assert_int_eq(px_test_count_maps("pool-bad.px"), 0);
}
END_TEST

START_TEST(test_pool_register)
{
	static const char text[] = "read straight into a slot";
	struct px_pool *pool = new_pool(PX_SEGMENT_MEMFD, 4096, 8);
	struct io_uring ring;
	struct io_uring_sqe *sqe;
	struct io_uring_cqe *cqe;
	struct px_pool_stats st;
	struct iovec iov;
	uint32_t s[2];
	int fd = memfd_create("px-register", MFD_CLOEXEC);

	if (io_uring_queue_init(4, &ring, 0) < 0) {
		px_pool_destroy(pool);
		PX_SKIP("io_uring unavailable");
	}
	ck_assert_int_eq(px_pool_iovec(pool, &iov), 0);
	ck_assert_ptr_eq(iov.iov_base, px_pool_slot_data(pool, 0));
	ck_assert_uint_eq(iov.iov_len, 8 * 4096);
	ck_assert_int_eq(px_pool_iovecs(pool, NULL, 0), 1);
	ck_assert_int_eq(io_uring_register_buffers(&ring, &iov, 1), 0);
	ck_assert_int_eq(write(fd, text, sizeof(text)), (ssize_t)sizeof(text));
	/* READ_FIXED anywhere inside the one registered buffer. */
	ck_assert_int_eq(px_pool_loan_burst(pool, s, 2), 2);
	sqe = io_uring_get_sqe(&ring);
	io_uring_prep_read_fixed(sqe, fd, px_pool_slot_data(pool, s[1]), 4096,
				 0, 0);
	ck_assert_int_eq(io_uring_submit_and_wait(&ring, 1), 1);
	ck_assert_int_eq(io_uring_wait_cqe(&ring, &cqe), 0);
	ck_assert_int_eq(cqe->res, (int)sizeof(text));
	io_uring_cqe_seen(&ring, cqe);
	ck_assert_str_eq(px_pool_slot_data(pool, s[1]), text);
	px_pool_stats(pool, &st);
	ck_assert_uint_eq(st.bytes_copied, 0);
	io_uring_queue_exit(&ring);
	close(fd);
	px_pool_release_burst(pool, s, 2);
	assert_all_free(pool);
	px_pool_destroy(pool);
}
END_TEST

static int drop_ipc_lock(void)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];

	if (syscall(SYS_capget, &hdr, data) < 0)
		return -errno;
	data[CAP_IPC_LOCK / 32].effective &= ~(1u << (CAP_IPC_LOCK % 32));
	return syscall(SYS_capset, &hdr, data) < 0 ? -errno : 0;
}

START_TEST(test_pool_memlock)
{
	struct px_pool *pool = new_pool(PX_SEGMENT_MEMFD, 65536, 16);
	struct rlimit rl;
	struct io_uring ring;
	struct iovec iov;
	char msg[512];

	/* A 1 MiB pool against a 256 KiB limit, as an unprivileged user. */
	ck_assert_int_eq(drop_ipc_lock(), 0);
	ck_assert_int_eq(getrlimit(RLIMIT_MEMLOCK, &rl), 0);
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < (4 << 20)) {
		px_pool_destroy(pool);
		PX_SKIP("hard RLIMIT_MEMLOCK below 4 MiB");
	}
	rl.rlim_cur = 256 << 10; /* the soft limit is what counts */
	ck_assert_int_eq(setrlimit(RLIMIT_MEMLOCK, &rl), 0);
	ck_assert_int_eq(px_pool_memlock_check(pool), -ENOMEM);
	ck_assert_int_gt(px_pool_memlock_describe(pool, msg, sizeof(msg)), 0);
	ck_assert_ptr_nonnull(strstr(msg, "needs 1024 KiB"));
	ck_assert_ptr_nonnull(strstr(msg, "RLIMIT_MEMLOCK is 256 KiB"));
	ck_assert_ptr_nonnull(strstr(msg, "CAP_IPC_LOCK"));
	/* The kernel agrees: the registration itself fails the same way. */
	if (io_uring_queue_init(4, &ring, 0) == 0) {
		ck_assert_int_eq(px_pool_iovec(pool, &iov), 0);
		ck_assert_int_eq(io_uring_register_buffers(&ring, &iov, 1),
				 -ENOMEM);
		io_uring_queue_exit(&ring);
	}
	rl.rlim_cur = 4 << 20;
	ck_assert_int_eq(setrlimit(RLIMIT_MEMLOCK, &rl), 0);
	ck_assert_int_eq(px_pool_memlock_check(pool), 0);
	ck_assert_int_eq(px_pool_memlock_describe(pool, NULL, 1), -EINVAL);
	assert_all_free(pool);
	px_pool_destroy(pool);
}
END_TEST

static Suite *pool_suite(void)
{
	Suite *s = suite_create("pool");

	tcase_add_test(px_tcase(s, "loan_release"), test_pool_loan_release);
	tcase_add_test(px_tcase(s, "alignment"), test_pool_alignment);
	tcase_add_test(px_tcase(s, "exhaustion"), test_pool_exhaustion);
	tcase_add_test(px_tcase(s, "burst"), test_pool_burst);
	tcase_add_test(px_tcase(s, "high_water"), test_pool_high_water);
	tcase_add_test(px_tcase(s, "notify"), test_pool_notify);
	tcase_add_test(px_tcase(s, "wait"), test_pool_wait);
	tcase_add_test(px_tcase(s, "fork_release"), test_pool_fork_release);
	tcase_add_test(px_tcase(s, "fork_wait"), test_pool_fork_wait);
	tcase_add_test(px_tcase(s, "file_persist"), test_pool_file_persist);
	tcase_add_test(px_tcase(s, "bad_config"), test_pool_bad_config);
	tcase_add_test(px_tcase(s, "register"), test_pool_register);
	tcase_add_test(px_tcase(s, "memlock"), test_pool_memlock);
	return s;
}

PX_TEST_MAIN(pool_suite)
