// SPDX-License-Identifier: MIT
/*
 * test_pool_remote.c - remote pool handles (mem/pool_remote.c): a segment
 * mapped from a read-only fd, references counted in this process, the
 * owner's references handed back once per slot epoch, and writes that fault.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "px_buf.h"
#include "px_pool.h"
#include "px_test.h"

struct returned {
	uint32_t slot[16], count[16];
	unsigned n;
};

static void on_return(struct px_pool *pool, uint32_t slot, uint32_t count,
		      void *arg)
{
	struct returned *r = arg;

	(void)pool;
	ck_assert_uint_lt(r->n, 16);
	r->slot[r->n] = slot;
	r->count[r->n++] = count;
}

static struct px_pool *owner_pool(void)
{
	struct px_pool_config cfg = {
		.slot_size = 4096, .slots = 8,
		.segment = { .kind = PX_SEGMENT_MEMFD, .numa_node = -1 },
	};
	struct px_pool *pool;

	ck_assert_int_eq(px_pool_create(&cfg, &pool), 0);
	return pool;
}

static int readonly_fd(struct px_pool *pool)
{
	char path[40];
	int fd;

	snprintf(path, sizeof(path), "/proc/self/fd/%d",
		 px_pool_segment(pool)->fd);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	return fd;
}

START_TEST(test_pool_remote_readonly_fd)
{
	struct px_pool *owner = owner_pool(), *p;
	struct px_segment *seg;
	struct returned r = { 0 };
	int fd = readonly_fd(owner);

	/* A read-only fd cannot give a writable mapping, nor a handle that
	 * writes the pool's shared state. */
	ck_assert_int_eq(px_segment_map_fd(fd, false, &seg), -EACCES);
	ck_assert_int_eq(px_segment_map_fd(fd, true, &seg), 0);
	ck_assert(seg->mapped_readonly);
	ck_assert_int_eq(px_pool_attach(seg, &p), -EACCES);
	ck_assert_int_eq(px_pool_attach_remote(seg, on_return, &r, &p), 0);
	ck_assert(px_pool_is_remote(p));
	ck_assert(px_pool_is_readonly(p));
	ck_assert_uint_eq(px_pool_slot_count(p), 8);
	px_pool_destroy(p);
	px_segment_destroy(seg);
	close(fd);
	px_pool_destroy(owner);
}
END_TEST

START_TEST(test_pool_remote_hand_back)
{
	struct px_pool *owner = owner_pool(), *p;
	struct px_segment *seg;
	struct returned r = { 0 };
	struct px_buf b, c;
	uint32_t s;
	int fd = readonly_fd(owner);

	ck_assert_int_eq(px_segment_map_fd(fd, true, &seg), 0);
	ck_assert_int_eq(px_pool_attach_remote(seg, on_return, &r, &p), 0);
	ck_assert_int_eq(px_pool_loan(owner, &s), 0);
	((char *)px_pool_slot_data(owner, s))[0] = 'x';

	/* One item: one local reference; a sub-buffer adds one. Only the
	 * last local release hands the owner's reference back. */
	ck_assert_int_eq(px_pool_remote_take(p, s), 0);
	b = (struct px_buf){ .pool = px_pool_id(p), .slot = s, .length = 10 };
	ck_assert_int_eq(*(char *)px_buf_data(&b), 'x');
	ck_assert_int_eq(px_buf_sub(&b, 1, 2, &c), 0);
	ck_assert_uint_eq(px_pool_slot_refcount(p, s), 2);
	ck_assert_uint_eq(px_pool_remote_held(p), 1);
	px_buf_unref(&b);
	ck_assert_uint_eq(r.n, 0);
	px_buf_unref(&c);
	ck_assert_uint_eq(r.n, 1);
	ck_assert_uint_eq(r.slot[0], s);
	ck_assert_uint_eq(r.count[0], 1);
	ck_assert_uint_eq(px_pool_remote_held(p), 0);

	/* The owner lent it twice before it came back: both return at once. */
	ck_assert_int_eq(px_pool_remote_take(p, s), 0);
	ck_assert_int_eq(px_pool_remote_take(p, s), 0);
	px_pool_release(p, s);
	px_pool_release(p, s);
	ck_assert_uint_eq(r.n, 2);
	ck_assert_uint_eq(r.count[1], 2);

	/* The owner's pool was never written by the remote handle. */
	ck_assert_uint_eq(px_pool_slot_refcount(owner, s), 1);
	{
		struct px_pool_stats st;

		px_pool_release(p, s); /* not held: a bad release, local */
		px_pool_release(p, 99);
		px_pool_stats(p, &st);
		ck_assert_uint_eq(st.bad_releases, 2);
		px_pool_stats(owner, &st);
		ck_assert_uint_eq(st.bad_releases, 0);
	}
	ck_assert_int_eq(px_pool_loan(p, &s), -EROFS);
	px_pool_release(owner, s);
	px_pool_destroy(p);
	px_segment_destroy(seg);
	close(fd);
	px_pool_destroy(owner);
}
END_TEST

START_TEST(test_pool_remote_write_faults)
{
	struct px_pool *owner = owner_pool(), *p;
	struct px_segment *seg;
	struct returned r = { 0 };
	int fd = readonly_fd(owner), st;
	pid_t child;

	ck_assert_int_eq(px_segment_map_fd(fd, true, &seg), 0);
	ck_assert_int_eq(px_pool_attach_remote(seg, on_return, &r, &p), 0);
	child = fork();
	if (child == 0) {
		/* die by the signal, not a sanitizer's report */
		signal(SIGSEGV, SIG_DFL);
		*(volatile char *)px_pool_slot_data(p, 3) = 1;
		_exit(0);
	}
	ck_assert_int_eq(waitpid(child, &st, 0), child);
	ck_assert(WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV);
	child = fork();
	if (child == 0) { /* the header and bitmap too */
		signal(SIGSEGV, SIG_DFL);
		*(volatile char *)seg->base = 1;
		_exit(0);
	}
	ck_assert_int_eq(waitpid(child, &st, 0), child);
	ck_assert(WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV);
	px_pool_destroy(p);
	px_segment_destroy(seg);
	close(fd);
	px_pool_destroy(owner);
}
END_TEST

static Suite *pool_remote_suite(void)
{
	Suite *s = suite_create("pool_remote");

	tcase_add_test(px_tcase(s, "readonly_fd"), test_pool_remote_readonly_fd);
	tcase_add_test(px_tcase(s, "hand_back"), test_pool_remote_hand_back);
	tcase_add_test(px_tcase(s, "write_faults"),
		       test_pool_remote_write_faults);
	return s;
}

PX_TEST_MAIN(pool_remote_suite)
