// SPDX-License-Identifier: MIT
/* test_caps.c - caps: parsing, typed fields, sets and ranges, ANY,
 * intersection, canonical text round trip and error positions. */
#include <errno.h>
#include <string.h>

#include "px_caps.h"
#include "px_test.h"

static struct px_caps *parse(const char *s)
{
	struct px_caps *c = NULL;
	size_t pos = 99;

	ck_assert_msg(px_caps_parse(s, &c, &pos) == 0, "'%s' failed at %zu", s,
		      pos);
	return c;
}

static void assert_text(const struct px_caps *c, const char *want)
{
	char buf[256];
	size_t n = px_caps_to_string(c, buf, sizeof(buf));

	ck_assert_str_eq(buf, want);
	ck_assert_uint_eq(n, strlen(want));
}

static bool inter(const char *a, const char *b)
{
	struct px_caps *x = parse(a), *y = parse(b), *z;
	bool can = px_caps_can_intersect(x, y);

	/* The two say the same; an empty intersection is -ENODATA, not a
	 * NULL that could also mean out of memory. */
	ck_assert_int_eq(px_caps_intersect(x, y, &z), can ? 0 : -ENODATA);
	ck_assert_int_eq(can, z != NULL);
	px_caps_unref(z);
	px_caps_unref(x);
	px_caps_unref(y);
	return can;
}

START_TEST(test_caps_parse)
{
	struct px_caps *c = parse("application/x-rec");

	ck_assert(!px_caps_is_any(c));
	assert_text(c, "application/x-rec");
	px_caps_unref(c);

	c = parse("  application/x-rec , rate=10,name=abc, gain=0.5, on=true,"
		  " big=(uint64)18446744073709551615, s=(string)42");
	assert_text(c, "application/x-rec, rate=(int)10, name=(string)abc, "
		       "gain=(double)0.5, on=(bool)true, "
		       "big=(uint64)18446744073709551615, s=(string)42");
	px_caps_unref(c);

	c = parse("ANY");
	ck_assert(px_caps_is_any(c));
	assert_text(c, "ANY");
	ck_assert_ptr_eq(px_caps_ref(c), c);
	px_caps_unref(c);
	px_caps_unref(c);

	ck_assert_int_eq(px_caps_new_any(&c), 0);
	ck_assert(px_caps_is_any(c));
	px_caps_unref(c);
	px_caps_unref(NULL);

	c = parse("a/b, title=\"hello, \\\"world\\\"\"");
	assert_text(c, "a/b, title=(string)\"hello, \\\"world\\\"\"");
	px_caps_unref(c);
}
END_TEST

START_TEST(test_caps_sets_ranges)
{
	struct px_caps *c = parse("a/b, rate=(int){1, 2, 3}, w=[10, 20]");

	assert_text(c, "a/b, rate=(int){1, 2, 3}, w=(int)[10, 20]");
	px_caps_unref(c);
	c = parse("a/b, f={x, y}");
	assert_text(c, "a/b, f=(string){x, y}");
	px_caps_unref(c);

	ck_assert(inter("a/b, rate={1, 2, 3}", "a/b, rate=2"));
	ck_assert(!inter("a/b, rate={1, 2, 3}", "a/b, rate=4"));
	ck_assert(inter("a/b, rate=[1, 10]", "a/b, rate={0, 5}"));
	ck_assert(!inter("a/b, rate=[1, 10]", "a/b, rate={0, 11}"));
	ck_assert(inter("a/b, rate=[1, 10]", "a/b, rate=[10, 20]"));
	ck_assert(!inter("a/b, rate=[1, 9]", "a/b, rate=[10, 20]"));

	struct px_caps *x = parse("a/b, rate=[1, 10], n={p, q}");
	struct px_caps *y = parse("a/b, rate=[5, 20], n=q, extra=1");
	struct px_caps *z;

	ck_assert_int_eq(px_caps_intersect(x, y, &z), 0);
	ck_assert_ptr_nonnull(z);
	assert_text(z, "a/b, rate=(int)[5, 10], n=(string)q, extra=(int)1");
	px_caps_unref(z);
	px_caps_unref(x);
	px_caps_unref(y);
}
END_TEST

START_TEST(test_caps_intersect)
{
	ck_assert(inter("ANY", "a/b, x=1"));
	ck_assert(inter("a/b, x=1", "ANY"));
	ck_assert(inter("a/b", "a/b"));
	ck_assert(!inter("application/x-a", "application/x-b"));
	ck_assert(inter("a/b, x=1", "a/b, y=2"));
	ck_assert(!inter("a/b, x=1", "a/b, x=2"));
	ck_assert(inter("a/b, x=1", "a/b, x=(double)1.0"));
	ck_assert(!inter("a/b, x=abc", "a/b, x=abd"));
	ck_assert(inter("a/b, x=true", "a/b, x=yes"));

	struct px_caps *any = parse("ANY"), *c = parse("a/b, x=1");
	struct px_caps *z;

	ck_assert_int_eq(px_caps_intersect(any, c, &z), 0);
	assert_text(z, "a/b, x=(int)1");
	px_caps_unref(z);
	ck_assert_int_eq(px_caps_intersect(any, any, &z), 0);
	ck_assert(px_caps_is_any(z));
	px_caps_unref(z);
	px_caps_unref(any);
	px_caps_unref(c);
}
END_TEST

START_TEST(test_caps_roundtrip)
{
	static const char *const texts[] = {
		"ANY",
		"a/b",
		"video/x-raw, width=(int)640, height=(int)[1, 4096]",
		"a/b, s=(string)\"a b\", t=(string){x, \"y z\"}",
		"a/b, d=(double)-2.5, u=(uint64)7, b=(bool)false",
	};

	for (size_t i = 0; i < PX_ARRAY_SIZE(texts); i++) {
		char one[256], two[256];
		struct px_caps *a = parse(texts[i]), *b;

		px_caps_to_string(a, one, sizeof(one));
		b = parse(one);
		px_caps_to_string(b, two, sizeof(two));
		ck_assert_str_eq(one, two);
		ck_assert(px_caps_can_intersect(a, b));
		px_caps_unref(a);
		px_caps_unref(b);
	}
	/* snprintf rule on short buffers */
	char tiny[4];
	struct px_caps *c = parse("abc/def");
	ck_assert_uint_eq(px_caps_to_string(c, tiny, sizeof(tiny)), 7);
	ck_assert_str_eq(tiny, "abc");
	px_caps_unref(c);
}
END_TEST

START_TEST(test_caps_errors)
{
	static const struct {
		const char *text;
		size_t pos;
	} bad[] = {
		{ "", 0 },
		{ "a/b,", 4 },
		{ "a/b, x", 6 },
		{ "a/b, x=", 7 },
		{ "a/b, x=(int)abc", 12 },
		{ "a/b, x=(nope)1", 8 },
		{ "a/b, x=1, x=2", 10 },
		{ "a/b, x=[5, 1]", 7 },
		{ "a/b, x=[a, b]", 8 },
		{ "a/b, x={1, abc}", 11 },
		{ "a/b, x=\"open", 7 },
		{ "a/b x=1", 4 },
		{ "ANY, x=1", 3 },
		{ "1a/b", 0 },
	};

	for (size_t i = 0; i < PX_ARRAY_SIZE(bad); i++) {
		struct px_caps *c = (struct px_caps *)1;
		size_t pos = 999;

		ck_assert_int_eq(px_caps_parse(bad[i].text, &c, &pos), -EINVAL);
		ck_assert_msg(pos == bad[i].pos, "'%s': error at %zu, want %zu",
			      bad[i].text, pos, bad[i].pos);
		ck_assert_ptr_eq(c, (struct px_caps *)1);
	}
	ck_assert_int_eq(px_caps_parse(NULL, NULL, NULL), -EINVAL);
}
END_TEST

/* GStreamer's forms: lists of structures, arrays, escapes, TRUE. */
START_TEST(test_caps_lists_arrays)
{
	struct px_caps *c, *d, *x;
	char why[128];

	c = parse("video/raw,  format=(string)YUY2; video/raw, format=(string)YV12");
	assert_text(c, "video/raw, format=(string)YUY2; "
		       "video/raw, format=(string)YV12");
	/* A list meets what meets any of its structures ... */
	d = parse("video/raw, format=YV12, width=640");
	ck_assert_int_eq(px_caps_intersect(c, d, &x), 0);
	assert_text(x, "video/raw, format=(string)YV12, width=(int)640");
	px_caps_unref(x);
	px_caps_unref(d);
	/* ... and nothing that meets none. */
	ck_assert(!inter("video/raw, format=(string)YUY2; video/raw, "
			 "format=(string)YV12",
			 "video/raw, format=I420"));
	ck_assert(inter("a/b; c/d", "c/d, x=1"));
	ck_assert(inter("a/b; c/d", "ANY"));
	px_caps_unref(c);

	/* Arrays are one ordered value: equal only to the same array. */
	c = parse("audio/x-opus, channel-mapping=(int)<0, 1>");
	assert_text(c, "audio/x-opus, channel-mapping=(int)<0, 1>");
	px_caps_unref(c);
	c = parse("audio/x-opus, channel-mapping=(int)<0,\\ 1>");
	assert_text(c, "audio/x-opus, channel-mapping=(int)<0, 1>");
	px_caps_unref(c);
	ck_assert(inter("a/b, m=<0, 1>", "a/b, m=<0, 1>"));
	ck_assert(!inter("a/b, m=<0, 1>", "a/b, m=<1, 0>"));
	ck_assert(!inter("a/b, m=<0>", "a/b, m=0"));
	ck_assert(inter("a/b, m=<>", "a/b, m=<>"));

	/* Escapes inside quoted strings, as GStreamer keeps them. */
	c = parse("application/x-rtp,sprop=(string)\"x\\\"x\\,x\"");
	assert_text(c, "application/x-rtp, sprop=(string)\"x\\\"x,x\"");
	px_caps_unref(c);
	/* Booleans in any case. */
	c = parse("audio/x-raw, signed=TRUE, packed=False");
	assert_text(c, "audio/x-raw, signed=(bool)true, packed=(bool)false");
	px_caps_unref(c);

	/* What is wrong, and where. */
	ck_assert_uint_eq(px_caps_explain("a/b", why, sizeof(why)), 0);
	ck_assert_str_eq(why, "");
	px_caps_explain("video/raw,format=(antwerp)monkeys", why, sizeof(why));
	ck_assert_msg(strstr(why, "at byte 18") && strstr(why, "unknown type"),
		      "%s", why);
	px_caps_explain("a/b, x=(int)abc", why, sizeof(why));
	ck_assert_str_eq(why, "at byte 12 ('abc'): not an integer");
	px_caps_explain("a/b, x=[5, 1]", why, sizeof(why));
	ck_assert_msg(strstr(why, "the lower first"), "%s", why);
	px_caps_explain("a/b, x=<1, 2", why, sizeof(why));
	ck_assert_msg(strstr(why, "'>'"), "%s", why);
	px_caps_explain("ANY; a/b", why, sizeof(why));
	ck_assert_msg(strstr(why, "ANY stands alone"), "%s", why);
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("caps");
	TCase *tc;

	tc = px_tcase(s, "parse");
	tcase_add_test(tc, test_caps_parse);
	tc = px_tcase(s, "sets_ranges");
	tcase_add_test(tc, test_caps_sets_ranges);
	tc = px_tcase(s, "intersect");
	tcase_add_test(tc, test_caps_intersect);
	tc = px_tcase(s, "roundtrip");
	tcase_add_test(tc, test_caps_roundtrip);
	tc = px_tcase(s, "errors");
	tcase_add_test(tc, test_caps_errors);
	tc = px_tcase(s, "lists_arrays");
	tcase_add_test(tc, test_caps_lists_arrays);
	return s;
}

PX_TEST_MAIN(make_suite)
