// SPDX-License-Identifier: MIT
/*
 * test_buf.c - px_buf: the value type over pool slots. References shared as
 * a tee shares them, sub-buffers, copy-on-write, counted copies, pool ids,
 * and buffers over a readonly attachment.
 */
#include <errno.h>
#include <string.h>

#include "px_buf.h"
#include "px_test.h"

static struct px_pool *new_pool(uint32_t slot_size, uint32_t slots)
{
	struct px_pool_config cfg = {
		.slot_size = slot_size, .slots = slots, .name = "px-test-buf",
		.segment = { .kind = PX_SEGMENT_MEMFD, .numa_node = -1 },
	};
	struct px_pool *pool = NULL;

	ck_assert_int_eq(px_pool_create(&cfg, &pool), 0);
	return pool;
}

static void assert_all_free(struct px_pool *pool)
{
	struct px_pool_stats st;

	ck_assert_uint_eq(px_pool_available(pool), px_pool_slot_count(pool));
	for (uint32_t s = 0; s < px_pool_slot_count(pool); s++)
		ck_assert_uint_eq(px_pool_slot_refcount(pool, s), 0);
	px_pool_stats(pool, &st);
	ck_assert_uint_eq(st.loans, st.releases);
	ck_assert_uint_eq(st.bad_releases, 0);
}

static bool is_zero(const struct px_buf *b)
{
	static const struct px_buf zero;

	return memcmp(b, &zero, sizeof(zero)) == 0;
}

START_TEST(test_buf_alloc_unref)
{
	struct px_pool *pool = new_pool(1024, 2);
	struct px_buf a, b, c, none = { 0 };

	ck_assert_int_eq(px_buf_alloc(pool, 100, &a), 0);
	ck_assert_uint_eq(a.pool, px_pool_id(pool));
	ck_assert_uint_eq(a.offset, 0);
	ck_assert_uint_eq(a.length, 100);
	ck_assert_int_eq(a.pts, PX_TIME_NONE);
	ck_assert_int_eq(a.duration, PX_TIME_NONE);
	ck_assert_uint_eq(a.stream_offset, PX_OFFSET_NONE);
	ck_assert_ptr_eq(px_buf_data(&a), px_pool_slot_data(pool, a.slot));
	ck_assert_ptr_eq(px_buf_pool(&a), pool);
	ck_assert(px_buf_is_writable(&a));
	ck_assert_int_eq(px_buf_alloc(pool, 1024, &b), 0); /* a full slot */
	/* Empty pool, and too long: errors leave a zeroed buffer. */
	ck_assert_int_eq(px_buf_alloc(pool, 1, &c), -ENOBUFS);
	ck_assert(is_zero(&c));
	ck_assert_int_eq(px_buf_alloc(pool, 1025, &c), -EINVAL);
	ck_assert(is_zero(&c));

	px_buf_unref(&a);
	ck_assert(is_zero(&a)); /* unref zeroes: a second unref is harmless */
	px_buf_unref(&a);
	px_buf_unref(&b);
	/* "No buffer" is accepted everywhere. */
	ck_assert_ptr_null(px_buf_data(&none));
	ck_assert_ptr_null(px_buf_pool(&none));
	ck_assert(!px_buf_is_writable(&none));
	px_buf_ref(&none);
	px_buf_unref(&none);
	assert_all_free(pool);
	px_pool_destroy(pool);
}
END_TEST

START_TEST(test_buf_tee_refs)
{
	struct px_pool *pool = new_pool(256, 4);
	struct px_buf src, branch[3];
	struct px_pool_stats st;

	ck_assert_int_eq(px_buf_alloc(pool, 200, &src), 0);
	memset(px_buf_data(&src), 0xab, 200);
	src.seq = 7;
	src.pts = 1000;
	/* A three-way tee: one reference per branch, no bytes copied. */
	for (int i = 0; i < 3; i++) {
		branch[i] = src;
		px_buf_ref(&branch[i]);
	}
	px_buf_unref(&src); /* the tee gives up its own */
	ck_assert_uint_eq(px_pool_slot_refcount(pool, branch[0].slot), 3);
	ck_assert(!px_buf_is_writable(&branch[0]));
	for (int i = 0; i < 3; i++) {
		ck_assert_ptr_eq(px_buf_data(&branch[i]), px_buf_data(&branch[0]));
		ck_assert_uint_eq(branch[i].seq, 7);
		ck_assert_uint_eq(((uint8_t *)px_buf_data(&branch[i]))[199], 0xab);
	}
	px_buf_unref(&branch[1]);
	px_buf_unref(&branch[0]);
	ck_assert_uint_eq(px_pool_available(pool), 3); /* still held */
	ck_assert(px_buf_is_writable(&branch[2]));     /* now alone */
	px_buf_unref(&branch[2]);
	px_pool_stats(pool, &st);
	ck_assert_uint_eq(st.bytes_copied, 0);
	ck_assert_uint_eq(st.loans, 1);
	assert_all_free(pool);
	px_pool_destroy(pool);
}
END_TEST

START_TEST(test_buf_sub)
{
	struct px_pool *pool = new_pool(4096, 2);
	struct px_buf b, head, tail, inner, bad;

	ck_assert_int_eq(px_buf_alloc(pool, 1000, &b), 0);
	for (int i = 0; i < 1000; i++)
		((uint8_t *)px_buf_data(&b))[i] = (uint8_t)i;
	b.stream_offset = 5000;
	ck_assert_int_eq(px_buf_sub(&b, 0, 10, &head), 0);
	ck_assert_int_eq(px_buf_sub(&b, 990, 10, &tail), 0);
	ck_assert_int_eq(px_buf_sub(&tail, 2, 3, &inner), 0);
	ck_assert_uint_eq(px_pool_slot_refcount(pool, b.slot), 4);
	ck_assert_uint_eq(tail.slot, b.slot);
	ck_assert_uint_eq(inner.offset, 992);
	ck_assert_uint_eq(inner.length, 3);
	ck_assert_uint_eq(inner.stream_offset, 5992);
	ck_assert_ptr_eq(px_buf_data(&tail), (uint8_t *)px_buf_data(&b) + 990);
	ck_assert_uint_eq(*(uint8_t *)px_buf_data(&inner), (uint8_t)992);
	/* Out of range, overflowing ranges and "no buffer" are refused. */
	ck_assert_int_eq(px_buf_sub(&b, 1001, 0, &bad), -EINVAL);
	ck_assert_int_eq(px_buf_sub(&b, 990, 11, &bad), -EINVAL);
	ck_assert_int_eq(px_buf_sub(&b, 1, UINT32_MAX, &bad), -EINVAL);
	ck_assert(is_zero(&bad));
	ck_assert_int_eq(px_buf_sub(&bad, 0, 0, &bad), -EINVAL);
	ck_assert_int_eq(px_buf_sub(&b, 1000, 0, &bad), 0); /* empty is fine */
	px_buf_unref(&bad);
	ck_assert_uint_eq(px_pool_slot_refcount(pool, b.slot), 4);
	/* The slot lives as long as any sub-buffer does. */
	px_buf_unref(&b);
	px_buf_unref(&head);
	px_buf_unref(&tail);
	ck_assert_uint_eq(px_pool_available(pool), 1);
	px_buf_unref(&inner);
	assert_all_free(pool);
	px_pool_destroy(pool);
}
END_TEST

START_TEST(test_buf_make_writable)
{
	struct px_pool *pool = new_pool(512, 3);
	struct px_buf a, b, c, blocker;
	struct px_pool_stats st;
	uint32_t old_slot;

	ck_assert_int_eq(px_buf_alloc(pool, 300, &a), 0);
	memset(px_buf_data(&a), 'a', 300);
	/* Alone: writable in place, nothing copied. */
	old_slot = a.slot;
	ck_assert_int_eq(px_buf_make_writable(&a), 0);
	ck_assert_uint_eq(a.slot, old_slot);

	/* Shared: copy on write. Only the bytes of the buffer are copied. */
	ck_assert_int_eq(px_buf_sub(&a, 100, 50, &b), 0);
	ck_assert_int_eq(px_buf_make_writable(&b), 0);
	ck_assert_uint_ne(b.slot, a.slot);
	ck_assert_uint_eq(b.offset, 0);
	ck_assert_uint_eq(b.length, 50);
	ck_assert(px_buf_is_writable(&b));
	ck_assert(px_buf_is_writable(&a)); /* b let go of a's slot */
	memset(px_buf_data(&b), 'b', 50);
	ck_assert_uint_eq(((uint8_t *)px_buf_data(&a))[120], 'a');
	px_pool_stats(pool, &st);
	ck_assert_uint_eq(st.bytes_copied, 50);

	/* No slot for the copy: -ENOBUFS and the buffer is untouched. */
	c = a;
	px_buf_ref(&c);
	ck_assert_int_eq(px_buf_alloc(pool, 1, &blocker), 0);
	ck_assert_int_eq(px_buf_make_writable(&c), -ENOBUFS);
	ck_assert_uint_eq(c.slot, a.slot);
	ck_assert_uint_eq(px_pool_slot_refcount(pool, a.slot), 2);
	px_buf_unref(&blocker);
	ck_assert_int_eq(px_buf_make_writable(&c), 0);
	ck_assert_mem_eq(px_buf_data(&c), px_buf_data(&a), 300);
	px_pool_stats(pool, &st);
	ck_assert_uint_eq(st.bytes_copied, 350);
	ck_assert_int_eq(px_buf_make_writable(&blocker), -EINVAL);

	px_buf_unref(&a);
	px_buf_unref(&b);
	px_buf_unref(&c);
	assert_all_free(pool);
	px_pool_destroy(pool);
}
END_TEST

START_TEST(test_buf_from_bytes)
{
	static const char msg[] = "bytes from outside the pool";
	struct px_pool *pool = new_pool(64, 1);
	struct px_pool_stats st;
	char big[65] = { 0 };
	struct px_buf b, c;

	ck_assert_int_eq(px_buf_from_bytes(pool, big, sizeof(big), &c), -EINVAL);
	ck_assert(is_zero(&c));
	ck_assert_int_eq(px_buf_from_bytes(pool, msg, sizeof(msg), &b), 0);
	ck_assert_uint_eq(b.length, sizeof(msg));
	ck_assert_str_eq(px_buf_data(&b), msg);
	ck_assert_int_eq(px_buf_from_bytes(pool, msg, 1, &c), -ENOBUFS);
	px_pool_stats(pool, &st);
	ck_assert_uint_eq(st.bytes_copied, sizeof(msg));
	px_buf_unref(&b);
	assert_all_free(pool);
	px_pool_destroy(pool);
}
END_TEST

START_TEST(test_buf_pool_ids)
{
	struct px_pool *p1 = new_pool(64, 4), *p2 = new_pool(128, 4);
	uint16_t id1 = px_pool_id(p1), id2 = px_pool_id(p2);
	struct px_buf b1, b2;

	ck_assert_uint_ne(id1, 0);
	ck_assert_uint_ne(id2, 0);
	ck_assert_uint_ne(id1, id2);
	ck_assert_ptr_eq(px_pool_from_id(id1), p1);
	ck_assert_ptr_eq(px_pool_from_id(id2), p2);
	ck_assert_ptr_null(px_pool_from_id(0));
	ck_assert_ptr_null(px_pool_from_id(PX_POOL_ID_MAX));
	/* The inline data path agrees with the pool for every slot. */
	for (uint32_t s = 0; s < 4; s++) {
		struct px_buf v = { .pool = id2, .slot = s, .offset = 8 };

		ck_assert_ptr_eq(px_buf_data(&v),
				 (uint8_t *)px_pool_slot_data(p2, s) + 8);
	}
	ck_assert_int_eq(px_buf_alloc(p1, 64, &b1), 0);
	ck_assert_int_eq(px_buf_alloc(p2, 64, &b2), 0);
	ck_assert_ptr_eq(px_buf_pool(&b2), p2);
	px_buf_unref(&b1);
	px_buf_unref(&b2);
	assert_all_free(p1);
	assert_all_free(p2);
	px_pool_destroy(p1);
	ck_assert_ptr_null(px_pool_from_id(id1));
	ck_assert_ptr_null(px_buf_data(&(struct px_buf){ .pool = id1 }));
	px_pool_destroy(p2);
}
END_TEST

START_TEST(test_buf_readonly)
{
	struct px_pool *pool = new_pool(4096, 2), *ro;
	struct px_segment *seg;
	struct px_buf b, view, sub;

	ck_assert_int_eq(px_buf_from_bytes(pool, "shared", 7, &b), 0);
	ck_assert_int_eq(px_segment_map_fd(px_pool_segment(pool)->fd, true, &seg),
			 0);
	ck_assert_int_eq(px_pool_attach(seg, &ro), 0);
	ck_assert(px_pool_is_readonly(ro));
	/* The consumer's view of the same buffer: its own id, same slot. */
	view = b;
	view.pool = px_pool_id(ro);
	px_buf_ref(&view);
	ck_assert_ptr_ne(px_buf_data(&view), px_buf_data(&b));
	ck_assert_str_eq(px_buf_data(&view), "shared");
	ck_assert(!px_buf_is_writable(&view));
	ck_assert_int_eq(px_buf_make_writable(&view), -EROFS);
	ck_assert_int_eq(px_buf_alloc(ro, 1, &sub), -EROFS);
	ck_assert_int_eq(px_buf_sub(&view, 0, 3, &sub), 0);
	px_buf_unref(&b); /* the producer lets go first */
	px_buf_unref(&sub);
	ck_assert_uint_eq(px_pool_available(pool), 1);
	px_buf_unref(&view); /* the consumer's release returns the slot */
	assert_all_free(pool);
	px_pool_destroy(ro);
	px_segment_destroy(seg);
	px_pool_destroy(pool);
}
END_TEST

static Suite *buf_suite(void)
{
	Suite *s = suite_create("buf");

	tcase_add_test(px_tcase(s, "alloc_unref"), test_buf_alloc_unref);
	tcase_add_test(px_tcase(s, "tee_refs"), test_buf_tee_refs);
	tcase_add_test(px_tcase(s, "sub"), test_buf_sub);
	tcase_add_test(px_tcase(s, "make_writable"), test_buf_make_writable);
	tcase_add_test(px_tcase(s, "from_bytes"), test_buf_from_bytes);
	tcase_add_test(px_tcase(s, "pool_ids"), test_buf_pool_ids);
	tcase_add_test(px_tcase(s, "readonly"), test_buf_readonly);
	return s;
}

PX_TEST_MAIN(buf_suite)
