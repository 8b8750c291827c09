// SPDX-License-Identifier: MIT
/* test_base.c - the common base: intrusive list, errors, io_uring probe. */
#include <errno.h>
#include <string.h>

#include "px_base.h"
#include "px_error.h"
#include "px_list.h"
#include "px_probe.h"
#include "px_test.h"

struct item {
	int value;
	struct px_list node;
};

START_TEST(test_base_list_order)
{
	struct px_list head = PX_LIST_INIT(head);
	struct item it[4];
	struct px_list *pos, *tmp;
	int expect = 0;

	ck_assert(px_list_empty(&head));
	ck_assert_ptr_null(px_list_first(&head));
	for (int i = 0; i < 4; i++) {
		it[i].value = i;
		px_list_init(&it[i].node);
		ck_assert(!px_list_linked(&it[i].node));
		px_list_add_tail(&head, &it[i].node);
	}
	px_list_for_each(pos, &head)
		ck_assert_int_eq(px_list_entry(pos, struct item, node)->value,
				 expect++);
	ck_assert_int_eq(expect, 4);

	/* Removing while iterating, and removing twice, are both safe. */
	px_list_for_each_safe(pos, tmp, &head)
		if (px_list_entry(pos, struct item, node)->value % 2)
			px_list_del(pos);
	px_list_del(&it[1].node);
	ck_assert_ptr_eq(px_list_first(&head), &it[0].node);
	ck_assert_ptr_eq(it[0].node.next, &it[2].node);
	ck_assert_ptr_eq(head.prev, &it[2].node);

	px_list_add(&head, &it[3].node);
	ck_assert_ptr_eq(px_list_first(&head), &it[3].node);
}
END_TEST

START_TEST(test_base_container_of)
{
	struct item it = { .value = 42 };

	ck_assert_ptr_eq(px_container_of(&it.node, struct item, node), &it);
	ck_assert_int_eq(PX_ALIGN_UP(65u, 64u), 128u);
	ck_assert_int_eq(PX_ALIGN_UP(64u, 64u), 64u);
	ck_assert(PX_IS_POW2(4096u));
	ck_assert(!PX_IS_POW2(0u));
	ck_assert(!PX_IS_POW2(96u));
}
END_TEST

START_TEST(test_base_strerror)
{
	ck_assert_str_eq(px_strerror(0), "Success");
	ck_assert_str_eq(px_strerror(-ENOBUFS), px_strerror(ENOBUFS));
	ck_assert_str_eq(px_strerror(-ENOENT), "No such file or directory");
	ck_assert_str_eq(px_strerror(-100000), "Unknown error");
}
END_TEST

START_TEST(test_base_probe)
{
	if (!px_feature_has(PX_FEAT_IO_URING))
		PX_SKIP("io_uring is disabled on this kernel");
	/* Everything Parallax needs at minimum is older than our 6.1 floor. */
	ck_assert(px_feature_has(PX_FEAT_READ_FIXED));
	ck_assert(px_feature_has(PX_FEAT_MSG_RING));
	ck_assert(!px_feature_has(PX_FEAT__COUNT));
	ck_assert_str_eq(px_feature_name(PX_FEAT_SEND_ZC), "send_zc");
	ck_assert_str_eq(px_feature_name(PX_FEAT__COUNT), "unknown");
	for (int f = 0; f < PX_FEAT__COUNT; f++)
		ck_assert_str_ne(px_feature_name(f), "unknown");
	/* The probe is cached: a second call gives the same answer. */
	ck_assert_int_eq(px_feature_has(PX_FEAT_SEND_ZC),
			 px_feature_has(PX_FEAT_SEND_ZC));
}
END_TEST

static Suite *base_suite(void)
{
	Suite *s = suite_create("base");

	tcase_add_test(px_tcase(s, "list"), test_base_list_order);
	tcase_add_test(px_tcase(s, "macros"), test_base_container_of);
	tcase_add_test(px_tcase(s, "strerror"), test_base_strerror);
	tcase_add_test(px_tcase(s, "probe"), test_base_probe);
	return s;
}

PX_TEST_MAIN(base_suite)
