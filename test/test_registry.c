// SPDX-License-Identifier: MIT
/* test_registry.c - the element class registry: add, find, duplicates,
 * malformed classes, name order, suggestions. */
#include <errno.h>
#include <string.h>

#include "pipeline_int.h"
#include "px_registry.h"
#include "px_test.h"

struct tpriv {
	int64_t level;
};

static const struct px_pad_template pads[] = {
	{ "sink", PX_PAD_SINK, PX_PAD_ALWAYS, "ANY" },
	{ "src", PX_PAD_SRC, PX_PAD_ALWAYS, "ANY" },
};

static const struct px_prop_spec props[] = {
	PX_PROP_INT_SPEC("level", struct tpriv, level, 1, 0, 9, "a level"),
};

static const struct px_element_class zz_alpha = {
	.name = "zz-alpha",
	.description = "test",
	.priv_size = sizeof(struct tpriv),
	.pads = pads,
	.n_pads = 2,
	.props = props,
	.n_props = 1,
};

static const struct px_element_class zz_beta = {
	.name = "zz-beta",
	.description = "test",
	.pads = pads,
	.n_pads = 2,
};

static const struct px_pad_template dup_pads[] = {
	{ "src", PX_PAD_SRC, PX_PAD_ALWAYS, "ANY" },
	{ "src", PX_PAD_SRC, PX_PAD_ALWAYS, "ANY" },
};

static const struct px_prop_spec name_prop[] = {
	PX_PROP_INT_SPEC("name", struct tpriv, level, 1, 0, 9, "no"),
};

static const struct px_prop_spec ro_double_prop[] = {
	{ .name = "ratio", .type = PX_PROP_DOUBLE, .flags = PX_PROP_READONLY,
	  .offset = offsetof(struct tpriv, level), .help = "not a stat" },
};

START_TEST(test_registry_add_find)
{
	unsigned before = px_registry_count();

	ck_assert_int_eq(px_registry_add(&zz_beta), 0);
	ck_assert_int_eq(px_registry_add(&zz_alpha), 0);
	ck_assert_int_eq(px_registry_add(&zz_alpha), -EEXIST);
	ck_assert_uint_eq(px_registry_count(), before + 2);
	ck_assert_ptr_eq(px_registry_find("zz-alpha"), &zz_alpha);
	ck_assert_ptr_eq(px_registry_find("zz-beta"), &zz_beta);
	ck_assert_ptr_null(px_registry_find("zz-gamma"));
	ck_assert_ptr_null(px_registry_find(NULL));

	/* name order */
	for (unsigned i = 1; i < px_registry_count(); i++)
		ck_assert_int_lt(strcmp(px_registry_at(i - 1)->name,
					px_registry_at(i)->name),
				 0);
	ck_assert_ptr_null(px_registry_at(px_registry_count()));
}
END_TEST

START_TEST(test_registry_malformed)
{
	struct px_element_class c = zz_beta;

	ck_assert_int_eq(px_registry_add(NULL), -EINVAL);
	c.name = "";
	ck_assert_int_eq(px_registry_add(&c), -EINVAL);
	c.name = "zz-dup-pads";
	c.pads = dup_pads;
	ck_assert_int_eq(px_registry_add(&c), -EINVAL);
	c.pads = pads;
	c.name = "zz-name-prop";
	c.props = name_prop;
	c.n_props = 1;
	c.priv_size = sizeof(struct tpriv);
	ck_assert_int_eq(px_registry_add(&c), -EINVAL);
	/* A read-only property must be a px_stat_* integer. */
	c.name = "zz-ro-double";
	c.props = ro_double_prop;
	ck_assert_int_eq(px_registry_add(&c), -EINVAL);
	ck_assert_ptr_null(px_registry_find("zz-ro-double"));
}
END_TEST

START_TEST(test_registry_suggest)
{
	ck_assert_int_eq(px_registry_add(&zz_alpha), 0);
	ck_assert_str_eq(px_registry_suggest("zz-alpah"), "zz-alpha");
	ck_assert_str_eq(px_registry_suggest("zz_alpha"), "zz-alpha");
	ck_assert_str_eq(px_registry_suggest("ZZ-ALPHA"), "zz-alpha");
	ck_assert_ptr_null(px_registry_suggest("completely-different"));
	ck_assert_ptr_null(px_registry_suggest(NULL));

	ck_assert_uint_eq(px__edit_distance("blocksze", "blocksize"), 1);
	ck_assert_uint_eq(px__edit_distance("kitten", "sitting"), 3);
	ck_assert_uint_eq(px__edit_distance("", "abc"), 3);
	ck_assert(px__suggestable(1, 8));
	ck_assert(!px__suggestable(3, 4));
	ck_assert(!px__suggestable(4, 30));
}
END_TEST

START_TEST(test_registry_builtins)
{
	/* The built-ins load on first use, when this build has them. */
	if (!px_registry_find("fakesrc"))
		PX_SKIP("this build has no built-in elements");
	ck_assert_ptr_nonnull(px_registry_find("fakesink"));
	ck_assert_str_eq(px_registry_suggest("fakesinc"), "fakesink");
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("registry");
	TCase *tc;

	tc = px_tcase(s, "add_find");
	tcase_add_test(tc, test_registry_add_find);
	tc = px_tcase(s, "malformed");
	tcase_add_test(tc, test_registry_malformed);
	tc = px_tcase(s, "suggest");
	tcase_add_test(tc, test_registry_suggest);
	tc = px_tcase(s, "builtins");
	tcase_add_test(tc, test_registry_builtins);
	return s;
}

PX_TEST_MAIN(make_suite)
