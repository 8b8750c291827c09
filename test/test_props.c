// SPDX-License-Identifier: MIT
/* test_props.c - element properties: every type, the text formats, ranges,
 * enums, read-only, the name property, and the error sentences. */
#include <errno.h>
#include <string.h>

#include "pipeline_int.h"
#include "px_pipeline.h"
#include "px_registry.h"
#include "px_test.h"

struct tp {
	bool flag;
	int64_t count;
	uint64_t big;
	double ratio;
	char *label;
	int leaky;
	uint64_t blocksize;
	int64_t timeout;
	px_stat_i64 ro;
	int changes;
};

static const struct px_prop_enum leaky_enum[] = {
	{ "no", 0, "never drop" },
	{ "upstream", 1, "drop new" },
	{ "downstream", 2, "drop old" },
	{ NULL, 0, NULL },
};

static const struct px_prop_spec tp_props[] = {
	PX_PROP_BOOL_SPEC("flag", struct tp, flag, false, "a flag"),
	PX_PROP_INT_SPEC("count", struct tp, count, -1, -1, 1000, "a count"),
	PX_PROP_UINT64_SPEC("big", struct tp, big, 5, 1, UINT64_MAX, "big"),
	PX_PROP_DOUBLE_SPEC("ratio", struct tp, ratio, 0.5, 0.0, 1.0, "r"),
	PX_PROP_STRING_SPEC("label", struct tp, label, "hello", "a label"),
	PX_PROP_ENUM_SPEC("leaky", struct tp, leaky, 0, leaky_enum, "leaky"),
	PX_PROP_SIZE_SPEC("blocksize", struct tp, blocksize, 4096, 1,
			  1ull << 40, "block size"),
	PX_PROP_DURATION_SPEC("timeout", struct tp, timeout, 1000000000, -1,
			      INT64_MAX, "timeout"),
	{ .name = "ro", .type = PX_PROP_INT, .flags = PX_PROP_READONLY,
	  .offset = offsetof(struct tp, ro) + PX__STAT_FIELD_OK(i64, struct tp, ro),
	  .help = "read only", .def_int = 3, .min_int = 0, .max_int = 10 },
};

static int tp_changed(struct px_element *e, const struct px_prop_spec *spec)
{
	struct tp *t = px_element_priv(e);

	t->changes++;
	/* Refuse one value to test the undo. */
	if (!strcmp(spec->name, "count") && t->count == 13)
		return -EDOM;
	return 0;
}

static const struct px_pad_template tp_pads[] = {
	{ "src", PX_PAD_SRC, PX_PAD_ALWAYS, "ANY" },
};

static const struct px_element_class tp_class = {
	.name = "tprops",
	.description = "every property type",
	.priv_size = sizeof(struct tp),
	.pads = tp_pads,
	.n_pads = 1,
	.props = tp_props,
	.n_props = PX_ARRAY_SIZE(tp_props),
	.prop_changed = tp_changed,
};

static struct px_pipeline *P;

static struct px_element *make(void)
{
	struct px_element *e;
	int err = px_registry_add(&tp_class);

	ck_assert(err == 0 || err == -EEXIST);
	ck_assert_int_eq(px_pipeline_create(NULL, &P), 0);
	ck_assert_int_eq(px_pipeline_add(P, "tprops", NULL, &e), 0);
	return e;
}

static void done(void)
{
	px_pipeline_destroy(P);
	P = NULL;
}

static void assert_get(struct px_element *e, const char *prop,
		       const char *want)
{
	char buf[128];

	ck_assert_int_ge(px_element_get(e, prop, buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, want);
}

START_TEST(test_props_defaults)
{
	struct px_element *e = make();
	struct tp *t = px_element_priv(e);

	ck_assert_str_eq(px_element_name(e), "tprops0");
	ck_assert(!t->flag);
	ck_assert_int_eq(t->count, -1);
	ck_assert_uint_eq(t->big, 5);
	ck_assert(t->ratio == 0.5);
	ck_assert_str_eq(t->label, "hello");
	ck_assert_int_eq(t->leaky, 0);
	ck_assert_uint_eq(t->blocksize, 4096);
	ck_assert_int_eq(t->timeout, 1000000000);
	assert_get(e, "name", "tprops0");
	assert_get(e, "blocksize", "4K");
	assert_get(e, "timeout", "1s");
	assert_get(e, "leaky", "no");
	assert_get(e, "label", "hello");
	ck_assert_int_eq(px_element_get(e, "nope", NULL, 0), -ENOENT);
	done();
}
END_TEST

START_TEST(test_props_text)
{
	struct px_element *e = make();
	struct tp *t = px_element_priv(e);

	ck_assert_int_eq(px_element_set(e, "flag", "yes"), 0);
	ck_assert(t->flag);
	ck_assert_int_eq(px_element_set(e, "flag", "off"), 0);
	ck_assert(!t->flag);
	ck_assert_int_eq(px_element_set(e, "flag", "1"), 0);
	ck_assert(t->flag);
	ck_assert_int_eq(px_element_set(e, "count", "0x10"), 0);
	ck_assert_int_eq(t->count, 16);
	ck_assert_int_eq(px_element_set(e, "count", "-1"), 0);
	ck_assert_int_eq(px_element_set(e, "big", "18446744073709551615"), 0);
	ck_assert_uint_eq(t->big, UINT64_MAX);
	ck_assert_int_eq(px_element_set(e, "ratio", "0.25"), 0);
	ck_assert(t->ratio == 0.25);
	ck_assert_int_eq(px_element_set(e, "label", "a b c"), 0);
	ck_assert_str_eq(t->label, "a b c");
	ck_assert_int_eq(px_element_set(e, "leaky", "downstream"), 0);
	ck_assert_int_eq(t->leaky, 2);
	ck_assert_int_eq(px_element_set(e, "leaky", "1"), 0);
	ck_assert_int_eq(t->leaky, 1);

	static const struct {
		const char *text;
		uint64_t v;
	} sizes[] = {
		{ "65536", 65536 },	   { "64K", 65536 },
		{ "64k", 65536 },	   { "1M", 1 << 20 },
		{ "2G", 2ull << 30 },	   { "1T", 1ull << 40 },
		{ "4KiB", 4096 },	   { "3MiB", 3 << 20 },
		{ "0x1000", 4096 },
	};
	for (size_t i = 0; i < PX_ARRAY_SIZE(sizes); i++) {
		ck_assert_int_eq(px_element_set(e, "blocksize", sizes[i].text),
				 0);
		ck_assert_uint_eq(t->blocksize, sizes[i].v);
	}
	assert_get(e, "blocksize", "4K");

	static const struct {
		const char *text;
		int64_t v;
	} durs[] = {
		{ "500us", 500000 },	  { "10ms", 10000000 },
		{ "2s", 2000000000 },	  { "1m", 60000000000ll },
		{ "1h", 3600000000000ll }, { "250", 250 },
		{ "1.5s", 1500000000 },	  { "7ns", 7 },
		{ "-1", -1 },
	};
	for (size_t i = 0; i < PX_ARRAY_SIZE(durs); i++) {
		ck_assert_int_eq(px_element_set(e, "timeout", durs[i].text), 0);
		ck_assert_int_eq(t->timeout, durs[i].v);
	}
	ck_assert_int_eq(px_element_set(e, "timeout", "1500ms"), 0);
	assert_get(e, "timeout", "1500ms");
	done();
}
END_TEST

START_TEST(test_props_typed)
{
	struct px_element *e = make();
	struct tp *t = px_element_priv(e);

	ck_assert_int_eq(px_element_set_bool(e, "flag", true), 0);
	ck_assert(t->flag);
	ck_assert_int_eq(px_element_set_int(e, "count", 42), 0);
	ck_assert_int_eq(t->count, 42);
	ck_assert_int_eq(px_element_set_int(e, "blocksize", 8192), 0);
	ck_assert_uint_eq(t->blocksize, 8192);
	ck_assert_int_eq(px_element_set_int(e, "leaky", 2), 0);
	ck_assert_int_eq(t->leaky, 2);
	ck_assert_int_eq(px_element_set_int(e, "timeout", 5), 0);
	ck_assert_int_eq(px_element_set_uint64(e, "big", 77), 0);
	ck_assert_uint_eq(t->big, 77);
	ck_assert_int_eq(px_element_set_double(e, "ratio", 1.0), 0);
	ck_assert_int_eq(px_element_set_string(e, "label", "x"), 0);
	ck_assert_str_eq(t->label, "x");
	ck_assert_int_eq(px_element_set_string(e, "label", NULL), 0);
	ck_assert_ptr_null(t->label);
	assert_get(e, "label", "");

	/* Wrong C type for the property. */
	ck_assert_int_eq(px_element_set_bool(e, "count", true), -EINVAL);
	ck_assert_int_eq(px_element_set_double(e, "count", 1.0), -EINVAL);
	ck_assert_int_eq(px_element_set_string(e, "count", "1"), -EINVAL);
	ck_assert_ptr_nonnull(strstr(px_pipeline_error(P), "of type int"));
	ck_assert_int_eq(px_element_set_int(e, "flag", 1), -EINVAL);
	/* Ranges on typed sets too. */
	ck_assert_int_eq(px_element_set_int(e, "big", -3), -EINVAL);
	ck_assert_int_eq(px_element_set_int(e, "leaky", 9), -EINVAL);
	ck_assert_int_eq(px_element_set_double(e, "ratio", 2.0), -EINVAL);
	done();
}
END_TEST

START_TEST(test_props_errors)
{
	struct px_element *e = make();
	struct tp *t = px_element_priv(e);
	struct px_message m;

	ck_assert_int_eq(px_element_set(e, "blocksze", "1"), -ENOENT);
	ck_assert_str_eq(px_pipeline_error(P),
			 "unknown property 'blocksze' of tprops0 (did you "
			 "mean 'blocksize'?)");
	ck_assert_int_eq(px_bus_pop(px_pipeline_bus(P), 0, &m), 0);
	ck_assert_int_eq(m.type, PX_MSG_ERROR);
	ck_assert_str_eq(m.source, "tprops0");
	ck_assert_str_eq(m.text, px_pipeline_error(P));

	ck_assert_int_eq(px_element_set(e, "zzzzzzzz", "1"), -ENOENT);
	ck_assert_str_eq(px_pipeline_error(P),
			 "unknown property 'zzzzzzzz' of tprops0 (see "
			 "px-inspect tprops)");

	ck_assert_int_eq(px_element_set(e, "blocksize", "12X"), -EINVAL);
	ck_assert_str_eq(px_pipeline_error(P),
			 "value '12X' for property 'blocksize' of tprops0 is "
			 "not a size (examples: 4096, 64K, 1M, 2G)");
	ck_assert_int_eq(px_element_set(e, "blocksize", "-4K"), -EINVAL);
	ck_assert_int_eq(px_element_set(e, "blocksize", "99999999999T"),
			 -EINVAL);
	ck_assert_int_eq(px_element_set(e, "blocksize", "2T"), -EINVAL);
	ck_assert_str_eq(px_pipeline_error(P),
			 "value '2T' for property 'blocksize' of tprops0 is "
			 "out of range [1, 1T]");
	ck_assert_int_eq(px_element_set(e, "leaky", "sideways"), -EINVAL);
	ck_assert_str_eq(px_pipeline_error(P),
			 "value 'sideways' for 'leaky' of tprops0 is not one "
			 "of: no, upstream, downstream");
	ck_assert_int_eq(px_element_set(e, "timeout", "10 ms"), -EINVAL);
	ck_assert_int_eq(px_element_set(e, "timeout", "10parsecs"), -EINVAL);
	ck_assert_ptr_nonnull(strstr(px_pipeline_error(P), "not a duration"));
	ck_assert_int_eq(px_element_set(e, "count", "1001"), -EINVAL);
	ck_assert_str_eq(px_pipeline_error(P),
			 "value '1001' for property 'count' of tprops0 is out "
			 "of range [-1, 1000]");
	ck_assert_int_eq(px_element_set(e, "count", "12abc"), -EINVAL);
	ck_assert_int_eq(px_element_set(e, "count", ""), -EINVAL);
	ck_assert_int_eq(px_element_set(e, "flag", "maybe"), -EINVAL);
	ck_assert_int_eq(px_element_set(e, "ratio", "0.5x"), -EINVAL);
	ck_assert_int_eq(px_element_set(e, "big", "-1"), -EINVAL);
	ck_assert_int_eq(px_element_set(e, "big", "0"), -EINVAL);

	/* Read-only, and a refusal by the class is undone. */
	ck_assert_int_eq(px_element_set(e, "ro", "4"), -EPERM);
	ck_assert_int_eq(px_stat_get(&t->ro), 3);
	ck_assert_int_eq(px_element_set(e, "count", "12"), 0);
	ck_assert_int_eq(px_element_set(e, "count", "13"), -EDOM);
	ck_assert_int_eq(t->count, 12);
	ck_assert_ptr_nonnull(strstr(px_pipeline_error(P), "refused"));
	done();
}
END_TEST

START_TEST(test_props_name)
{
	struct px_element *e = make(), *f;

	ck_assert_int_eq(px_element_set(e, "name", "first"), 0);
	ck_assert_str_eq(px_element_name(e), "first");
	ck_assert_ptr_eq(px_pipeline_find(P, "first"), e);
	ck_assert_int_eq(px_pipeline_add(P, "tprops", NULL, &f), 0);
	ck_assert_str_eq(px_element_name(f), "tprops1");
	ck_assert_int_eq(px_element_set(f, "name", "first"), -EEXIST);
	ck_assert_int_eq(px_element_set_string(f, "name", "bad name"),
			 -EINVAL);
	ck_assert_int_eq(px_pipeline_add(P, "tprops", "first", NULL), -EEXIST);
	ck_assert_int_eq(px_pipeline_add(P, "tprop", NULL, NULL), -ENOENT);
	ck_assert_str_eq(px_pipeline_error(P),
			 "no element 'tprop' (did you mean 'tprops'?)");
	/* Unnamed elements count per factory. */
	ck_assert_int_eq(px_pipeline_add(P, "tprops", "tprops2", NULL), 0);
	ck_assert_int_eq(px_pipeline_add(P, "tprops", NULL, &f), 0);
	ck_assert_str_eq(px_element_name(f), "tprops3");
	ck_assert_uint_eq(px_pipeline_element_count(P), 4);
	ck_assert_ptr_eq(px_pipeline_element_at(P, 0), e);
	ck_assert_ptr_null(px_pipeline_element_at(P, 4));
	done();
}
END_TEST

START_TEST(test_props_parsers)
{
	uint64_t u;
	int64_t i;
	bool b;

	ck_assert_int_eq(px__parse_size("1G", &u), 0);
	ck_assert_uint_eq(u, 1ull << 30);
	ck_assert_int_eq(px__parse_size("16777216T", &u), -ERANGE);
	ck_assert_int_eq(px__parse_size("", &u), -EINVAL);
	ck_assert_int_eq(px__parse_size(" 1", &u), -EINVAL);
	ck_assert_int_eq(px__parse_duration("0.5ms", &i), 0);
	ck_assert_int_eq(i, 500000);
	ck_assert_int_eq(px__parse_duration("ms", &i), -EINVAL);
	ck_assert_int_eq(px__parse_duration("1e30h", &i), -ERANGE);
	/* An integer with a unit is exact, past a double's 53 bits too (the
	 * property fuzzer found "77777777777777777ns" read back 1 ns off). */
	ck_assert_int_eq(px__parse_duration("77777777777777777ns", &i), 0);
	ck_assert_int_eq(i, 77777777777777777ll);
	ck_assert_int_eq(px__parse_duration("2562047h", &i), 0);
	ck_assert_int_eq(i, 2562047ll * 3600000000000ll);
	ck_assert_int_eq(px__parse_duration("2562048h", &i), -ERANGE);
	ck_assert_int_eq(px__parse_bool("ON", &b), 0);
	ck_assert(b);
	ck_assert_int_eq(px__parse_bool("nah", &b), -EINVAL);
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("props");
	TCase *tc;

	tc = px_tcase(s, "defaults");
	tcase_add_test(tc, test_props_defaults);
	tc = px_tcase(s, "text");
	tcase_add_test(tc, test_props_text);
	tc = px_tcase(s, "typed");
	tcase_add_test(tc, test_props_typed);
	tc = px_tcase(s, "errors");
	tcase_add_test(tc, test_props_errors);
	tc = px_tcase(s, "name");
	tcase_add_test(tc, test_props_name);
	tc = px_tcase(s, "parsers");
	tcase_add_test(tc, test_props_parsers);
	return s;
}

PX_TEST_MAIN(make_suite)
