// SPDX-License-Identifier: MIT
/* test_record.c - typed records: written in place and read back, every
 * check of the validator with the field and offset it names, the verdict
 * cached per buffer descriptor, schema hashes and caps at link time. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "parallax.h"
#include "px_test.h"
#include "px_typed.h"
#include "builtin_int.h"
#include "record_test_types.h"

/* The registry refers to the built-in table weakly: a static link needs
 * this reference to bring elements/builtin.o in. */
#define REQUIRE_ENGINE() ck_assert_ptr_nonnull(px__builtin_classes[0])

/* Records are 8-byte aligned: the test memory is too. */
static _Alignas(64) uint8_t mem[4096];

/* A reading with every field kind set; returns its size. */
static uint32_t write_reading(uint8_t *at, size_t cap)
{
	struct px_record_writer w;
	struct reading *r = reading_begin(&w, at, cap);
	struct sample *s;
	struct point *p;
	int64_t size;

	ck_assert_ptr_nonnull(r);
	r->sensor = 42;
	r->delta = -3;
	r->level = 200;
	r->ok = 1;
	r->unit = UNIT_PA;
	for (unsigned i = 0; i < 4; i++)
		r->coeffs[i] = 0.5f * (float)i;
	r->where.x = 1.5;
	r->where.y = -2.5;
	r->seq = 1ull << 40;
	/* Declaration order, depth first: name, blob, samples and their
	 * labels, path, tag. */
	ck_assert_int_eq(px_rec_set_str(&w, &r->name, "boiler room"), 0);
	ck_assert_int_eq(px_rec_set_bytes(&w, &r->blob, "\x00\x01\x02", 3), 0);
	s = px_rec_alloc(&w, &r->samples, 3);
	ck_assert_ptr_nonnull(s);
	for (unsigned i = 0; i < 3; i++) {
		char label[16];

		s[i].t_ns = 1000 * (int64_t)i;
		s[i].value = (float)i + 0.25f;
		s[i].ok = i & 1;
		snprintf(label, sizeof(label), "s%u", i);
		ck_assert_int_eq(px_rec_set_str(&w, &s[i].label, label), 0);
	}
	p = px_rec_alloc(&w, &r->path, 2);
	ck_assert_ptr_nonnull(p);
	p[1].x = 7;
	ck_assert_int_eq(px_rec_set_str(&w, &r->tag, "t\xc3\xa9"), 0); /* té */
	size = px_record_finish(&w);
	ck_assert_int_gt(size, 0);
	return (uint32_t)size;
}

static void assert_reading(const struct reading *r)
{
	const struct sample *s;
	const struct point *p;
	const uint8_t *blob;
	uint32_t n;

	ck_assert_uint_eq(r->sensor, 42);
	ck_assert_int_eq(r->delta, -3);
	ck_assert_uint_eq(r->level, 200);
	ck_assert_uint_eq(r->ok, 1);
	ck_assert_uint_eq(r->unit, UNIT_PA);
	ck_assert(r->coeffs[3] == 1.5f);
	ck_assert(r->where.x == 1.5 && r->where.y == -2.5);
	ck_assert_uint_eq(r->seq, 1ull << 40);
	ck_assert_str_eq(px_rec_str(&r->name), "boiler room");
	ck_assert_uint_eq(r->name.rel.len, 11);
	blob = px_rec_bytes(&r->blob, &n);
	ck_assert_uint_eq(n, 3);
	ck_assert_mem_eq(blob, "\x00\x01\x02", 3);
	s = px_rec_vec(&r->samples, &n);
	ck_assert_uint_eq(n, 3);
	ck_assert_int_eq(s[2].t_ns, 2000);
	ck_assert(s[2].value == 2.25f);
	ck_assert_uint_eq(s[1].ok, 1);
	ck_assert_str_eq(px_rec_str(&s[2].label), "s2");
	p = px_rec_vec(&r->path, &n);
	ck_assert_uint_eq(n, 2);
	ck_assert(p[1].x == 7 && p[0].x == 0);
	ck_assert_str_eq(px_rec_str(&r->tag), "t\xc3\xa9");
}

START_TEST(test_record_roundtrip)
{
	struct px_record_error err = { 0 };
	uint32_t size = write_reading(mem, sizeof(mem));

	ck_assert_int_eq(reading_validate(mem, size, PX_RECORD_UTF8, &err), 0);
	/* A longer buffer is fine: the head says where the record ends. */
	ck_assert_int_eq(reading_validate(mem, sizeof(mem), 0, &err), 0);
	assert_reading((const struct reading *)(mem + PX_RECORD_ROOT));

	/* Unset variable-length fields read as empty. */
	{
		struct px_record_writer w;
		struct reading *r = reading_begin(&w, mem, sizeof(mem));
		uint32_t n = 99;

		ck_assert_ptr_nonnull(r);
		size = (uint32_t)px_record_finish(&w);
		ck_assert_uint_eq(size, PX_RECORD_ROOT + sizeof(struct reading));
		ck_assert_int_eq(reading_validate(mem, size, 0, &err), 0);
		ck_assert_str_eq(px_rec_str(&r->name), "");
		ck_assert_ptr_null(px_rec_vec(&r->samples, &n));
		ck_assert_uint_eq(n, 0);
	}
}
END_TEST

/* Validate a corrupted copy: -EBADMSG naming FIELD, with WHAT in it. */
static void expect_bad(uint32_t size, unsigned flags, const char *record,
		       const char *field, const char *what)
{
	struct px_record_error err = { 0 };
	char text[200];

	ck_assert_msg(reading_validate(mem, size, flags, &err) == -EBADMSG,
		      "%s.%s (%s): accepted", record, field, what);
	px_record_error_text(&err, text, sizeof(text));
	ck_assert_msg(strcmp(err.record, record) == 0 &&
			      strcmp(err.field, field) == 0 &&
			      strstr(err.what, what),
		      "want %s.%s (%s), got: %s", record, field, what, text);
	ck_assert_uint_lt(err.offset, sizeof(mem));
}

START_TEST(test_record_checks)
{
	struct reading *r = (struct reading *)(mem + PX_RECORD_ROOT);
	struct px_record_head *h = (struct px_record_head *)mem;
	struct sample *s;
	uint32_t size, n;

#define FRESH() (size = write_reading(mem, sizeof(mem)))
	FRESH();
	r->ok = 2;
	expect_bad(size, 0, "reading", "ok", "bool");
	FRESH();
	r->unit = UNIT_COUNT;
	expect_bad(size, 0, "reading", "unit", "enum");
	FRESH();
	s = (struct sample *)px_rec_vec(&r->samples, &n);
	s[2].ok = 7; /* inside a vec element */
	expect_bad(size, 0, "sample", "ok", "bool");
	FRESH();
	r->name.rel.len = 4000; /* past the end */
	expect_bad(size, 0, "reading", "name", "past the record's end");
	FRESH();
	r->name.rel.len -= 1; /* the byte before the NUL is not a NUL */
	expect_bad(size, 0, "reading", "name", "NUL");
	FRESH();
	r->blob.rel.off = 0; /* a length without data */
	expect_bad(size, 0, "reading", "blob", "offset 0");
	FRESH();
	/* tag pointing back at name's bytes: overlap */
	r->tag.rel.off = (uint32_t)((const uint8_t *)px_rec_str(&r->name) -
				    (const uint8_t *)&r->tag.rel);
	expect_bad(size, 0, "reading", "tag", "overlaps");
	FRESH();
	r->path.rel.off += 4; /* points are 8-aligned */
	expect_bad(size, 0, "reading", "path", "misaligned");
	FRESH();
	s = (struct sample *)px_rec_vec(&r->samples, &n);
	s[1].label.rel.len = 1u << 31; /* huge: no overflow, just refused */
	expect_bad(size, 0, "sample", "label", "past the record's end");
	FRESH();
	expect_bad(size - 1, 0, "reading", "", "size in the head");
	FRESH();
	h->magic ^= 1;
	expect_bad(size, 0, "reading", "", "magic");
	FRESH();
	h->schema ^= 1;
	expect_bad(size, 0, "reading", "", "another schema");
	FRESH();
	expect_bad(PX_RECORD_ROOT + 8, 0, "reading", "", "shorter");
	/* UTF-8: checked only when asked for. */
	FRESH();
	((uint8_t *)px_rec_str(&r->tag))[2] = 'x'; /* c3 without its a9 */
	ck_assert_int_eq(reading_validate(mem, size, 0, NULL), 0);
	expect_bad(size, PX_RECORD_UTF8, "reading", "tag", "UTF-8");
#undef FRESH
	/* Misaligned start. */
	ck_assert_int_eq(reading_validate(mem + 4, 100, 0, NULL), -EBADMSG);
}
END_TEST

START_TEST(test_record_writer)
{
	struct px_record_writer w;
	struct reading *r;
	uint8_t small[256] __attribute__((aligned(8)));

	/* Too small for the root, misaligned: refused up front. */
	ck_assert_ptr_null(reading_begin(&w, small, 16));
	ck_assert_int_eq(px_record_finish(&w), -ENOSPC);
	ck_assert_ptr_null(reading_begin(&w, small + 1, sizeof(small) - 1));
	ck_assert_int_eq(px_record_finish(&w), -EINVAL);
	/* Out of room mid-way: sticky, and what was written stays valid
	 * up to there (the finish refuses it as a whole). */
	r = reading_begin(&w, small, sizeof(small));
	ck_assert_ptr_nonnull(r);
	ck_assert_int_eq(px_rec_set_str(&w, &r->name, "ok"), 0);
	ck_assert_ptr_null(px_rec_alloc(&w, &r->samples, 1000));
	ck_assert_int_eq(px_rec_set_str(&w, &r->tag, "x"), -ENOSPC);
	ck_assert_int_eq(px_record_finish(&w), -ENOSPC);
	/* The empty string still has its NUL and validates. */
	r = reading_begin(&w, small, sizeof(small));
	ck_assert_int_eq(px_rec_set_str(&w, &r->name, ""), 0);
	ck_assert_int_gt(px_record_finish(&w), 0);
	ck_assert_int_eq(reading_validate(small, w.used, 0, NULL), 0);
	ck_assert_str_eq(px_rec_str(&r->name), "");
}
END_TEST

START_TEST(test_record_schema)
{
	char caps[160];

	/* point and spot have the same fields but not the same name. */
	ck_assert_uint_ne(point_schema_hash(), spot_schema_hash());
	ck_assert_uint_ne(point_schema_hash(), 0);
	ck_assert_uint_eq(point_schema_hash(), point_schema()->hash());
	ck_assert_uint_eq(reading_schema()->root_size, sizeof(struct reading));
	/* What costs nothing: every bit pattern of point is valid. */
	ck_assert_int_eq(point_px_checks, 0);
	ck_assert_int_ne(sample_px_checks, 0);
	px_record_caps_text(reading_schema(), caps, sizeof(caps));
	{
		static const char want[] =
			"application/x-px-record,schema=reading,hash=(string)";

		ck_assert_msg(strncmp(caps, want, sizeof(want) - 1) == 0 &&
				      strlen(caps) == sizeof(want) - 1 + 16,
			      "%s", caps);
	}
	/* A spot record is not a point record. */
	{
		struct px_record_writer w;

		ck_assert_ptr_nonnull(spot_begin(&w, mem, sizeof(mem)));
		ck_assert_int_gt(px_record_finish(&w), 0);
		ck_assert_int_eq(point_validate(mem, w.used, 0, NULL),
				 -EBADMSG);
		ck_assert_int_eq(spot_validate(mem, w.used, 0, NULL), 0);
	}
}
END_TEST

START_TEST(test_record_view)
{
	struct px_pool_config cfg = { .slot_size = 4096, .slots = 4 };
	struct px_record_error err = { 0 };
	struct px_record_writer w;
	const struct reading *r;
	struct px_pool *pool;
	struct px_buf b, copy;
	struct reading *wr;
	int64_t size;

	ck_assert_int_eq(px_pool_create(&cfg, &pool), 0);
	ck_assert_int_eq(px_buf_alloc(pool, 4096, &b), 0);
	b.flags = PX_BUF_FLAG_VALIDATED; /* stale: begin_buf clears it */
	wr = reading_begin_buf(&w, &b);
	ck_assert_ptr_nonnull(wr);
	ck_assert_uint_eq(b.flags & PX_BUF_FLAG_VALIDATED, 0);
	size = px_record_finish(&w);
	ck_assert_int_gt(size, 0);
	wr->ok = 2; /* written through the struct: the validator refuses */
	b.length = (uint32_t)size;
	ck_assert_ptr_null(reading_view(&b, 0, &err));
	ck_assert_str_eq(err.field, "ok");
	ck_assert_uint_eq(b.flags & PX_BUF_FLAG_VALIDATED, 0);
	wr->ok = 1;
	r = reading_view(&b, 0, &err);
	ck_assert_ptr_eq(r, wr);
	ck_assert_uint_ne(b.flags & PX_BUF_FLAG_VALIDATED, 0);
	/* Cached: the bytes are not looked at again for this descriptor
	 * (a change after validation is the writer's bug, not checked). */
	copy = b;
	wr->ok = 3;
	ck_assert_ptr_eq(reading_view(&b, 0, &err), wr);
	/* A descriptor without the verdict validates for itself. */
	copy.flags = 0;
	ck_assert_ptr_null(reading_view(&copy, 0, &err));
	wr->ok = 0;
	/* The verdict is for its schema only. */
	ck_assert_ptr_null(point_view(&b, 0, &err));
	ck_assert_str_eq(err.what, "written for another schema (hash)");
	px_buf_unref(&b);
	ck_assert_uint_eq(px_pool_available(pool), 4);
	px_pool_destroy(pool);
}
END_TEST

/* Every single-byte change of a valid record: the validator never reads
 * outside the record (ASan in CI) and whatever it accepts reads back
 * inside the buffer. */
START_TEST(test_record_mutations)
{
	static _Alignas(64) uint8_t good[1024];
	static const uint8_t values[] = { 0x00, 0x01, 0x02, 0x7f,
					  0x80, 0xc3, 0xfe, 0xff };
	uint32_t size = write_reading(good, sizeof(good));
	unsigned accepted = 0;

	for (uint32_t at = 0; at < size; at++)
		for (unsigned v = 0; v < sizeof(values); v++) {
			const struct reading *r =
				(const struct reading *)(mem + PX_RECORD_ROOT);
			const struct sample *s;
			uint32_t n;

			memcpy(mem, good, size);
			mem[at] = values[v];
			if (reading_validate(mem, size, PX_RECORD_UTF8, NULL))
				continue;
			accepted++;
			/* Accepted: every field reads inside the record. */
			ck_assert_uint_le(strlen(px_rec_str(&r->name)) +
						  ((const uint8_t *)px_rec_str(
							   &r->name) -
						   mem),
					  size);
			s = px_rec_vec(&r->samples, &n);
			for (uint32_t i = 0; i < n; i++)
				ck_assert_ptr_nonnull(px_rec_str(&s[i].label));
		}
	/* Changes to plain data (values, floats, padding) are accepted. */
	ck_assert_uint_gt(accepted, size);
}
END_TEST

/* Caps name the record: a link from a reading producer to a point consumer
 * through identity fails at validation, naming both. */
START_TEST(test_record_caps_link)
{
	char a[160], b[160], line[512], msg[512];
	struct px_pipeline *p = NULL;
	struct px_parse_error perr;
	int rc;

	REQUIRE_ENGINE();
	px_record_caps_text(reading_schema(), a, sizeof(a));
	px_record_caps_text(point_schema(), b, sizeof(b));
	snprintf(line, sizeof(line),
		 "fakesrc num-buffers=1 ! %s ! identity ! %s ! fakesink", a, b);
	/* The parser validates the caps along the path it builds. */
	rc = px_pipeline_parse(line, &p, &perr);
	ck_assert_int_eq(rc, -EINVAL);
	snprintf(msg, sizeof(msg), "%s", perr.message);
	ck_assert_msg(strstr(msg, "schema=(string)reading") &&
			      strstr(msg, "schema=(string)point"),
		      "%s", msg);
	/* The same schema on both sides links. */
	snprintf(line, sizeof(line),
		 "fakesrc num-buffers=1 ! %s ! identity ! %s ! fakesink", a, a);
	ck_assert_int_eq(px_pipeline_parse(line, &p, &perr), 0);
	ck_assert_int_eq(px_pipeline_validate(p), 0);
	px_pipeline_destroy(p);
}
END_TEST

/* ---- typed pipelines --------------------------------------------------------- */

struct tstate {
	unsigned made, limit, seen, bad_at;
	uint64_t sum;
	const char *label; /* NULL: "s" */
};

static int gen_samples(void *ctx, struct sample *r, struct px_record_writer *w)
{
	struct tstate *st = ctx;

	if (st->made == st->limit)
		return 0;
	r->t_ns = st->made;
	r->ok = st->made == st->bad_at ? 2 : 1; /* 2: not a bool */
	st->made++;
	return px_rec_set_str(w, &r->label, st->label ? st->label : "s") ? -1
									   : 1;
}

static int sum_samples(void *ctx, const struct sample *r)
{
	struct tstate *st = ctx;

	st->sum += (uint64_t)r->t_ns;
	st->seen++;
	return 0;
}

/* Run P to EOS (0) or ERROR (its text into MSG). */
static int run_to_end(struct px_pipeline *p, char *msg, size_t len)
{
	struct px_message m;
	int rc = px_pipeline_play(p);

	ck_assert_int_eq(rc, 0);
	rc = px_pipeline_wait(p, 30ll * 1000000000ll, &m);
	if (rc && msg)
		snprintf(msg, len, "%.60s: %.900s", m.source, m.text);
	px_pipeline_stop(p);
	return rc;
}

START_TEST(test_record_typed)
{
	struct tstate st = { .limit = 500, .bad_at = UINT32_MAX };
	struct px_pipeline *p;
	char msg[1024];

	REQUIRE_ENGINE();
	ck_assert_int_eq(px_pipeline_create("typed", &p), 0);
	px_out(sample) src = px_typed_source(p, "gen", sample, gen_samples, &st);
	ck_assert_ptr_nonnull(px_typed_element(src));
	ck_assert_int_eq(px_typed_sink(p, "sum", src, sample, sum_samples, &st),
			 0);
	ck_assert_int_eq(run_to_end(p, msg, sizeof(msg)), 0);
	ck_assert_uint_eq(st.seen, 500);
	ck_assert_uint_eq(st.sum, 499ull * 500 / 2);
	px_pipeline_destroy(p);

	/* A record that fails validation: ERROR naming the stage, the
	 * buffer, the record, the field and the offset; nothing after it
	 * reaches the callback. */
	st = (struct tstate){ .limit = 100, .bad_at = 10 };
	ck_assert_int_eq(px_pipeline_create("typed", &p), 0);
	src = px_typed_source(p, "gen", sample, gen_samples, &st);
	ck_assert_int_eq(px_typed_sink(p, "sum", src, sample, sum_samples, &st),
			 0);
	ck_assert_int_ne(run_to_end(p, msg, sizeof(msg)), 0);
	ck_assert_msg(strstr(msg, "sum") && strstr(msg, "buffer 10") &&
			      strstr(msg, "sample.ok at byte") &&
			      strstr(msg, "bool"),
		      "%s", msg);
	ck_assert_uint_eq(st.seen, 10);
	px_pipeline_destroy(p);

	/* A record larger than the stage's slots: an ERROR that says so and
	 * names the property, never a truncated record. */
	st = (struct tstate){ .limit = 10, .bad_at = UINT32_MAX,
			      .label = "a label longer than what is left of a "
				       "64-byte slot after the record's root" };
	ck_assert_int_eq(px_pipeline_create("typed", &p), 0);
	src = px_typed_source(p, "gen", sample, gen_samples, &st);
	ck_assert_int_eq(px_element_set(px_typed_element(src), "slot-size",
					"64"),
			 0);
	ck_assert_int_eq(px_typed_sink(p, "sum", src, sample, sum_samples, &st),
			 0);
	ck_assert_int_ne(run_to_end(p, msg, sizeof(msg)), 0);
	ck_assert_msg(strstr(msg, "does not fit in a 64-byte slot") &&
			      strstr(msg, "slot-size"),
		      "%s", msg);
	ck_assert_uint_eq(st.seen, 0);
	px_pipeline_destroy(p);
}
END_TEST

static int copy_sample(void *ctx, const struct sample *in, struct sample *out,
		       struct px_record_writer *w)
{
	(void)ctx;
	out->t_ns = in->t_ns;
	out->ok = in->ok;
	return px_rec_set_str(w, &out->label, px_rec_str(&in->label)) ? -1 : 1;
}

/* A map whose output pool runs dry (a queue downstream holds more records
 * than the pool has slots) and whose link fills (a slow consumer): it
 * waits, loses nothing and fails nothing. */
START_TEST(test_record_typed_backpressure)
{
	struct tstate st = { .limit = 3000, .bad_at = UINT32_MAX };
	struct px_element *q, *slow, *out;
	struct px_pipeline *p;
	struct px_element_stats es;
	char msg[1024];

	REQUIRE_ENGINE();
	ck_assert_int_eq(px_pipeline_create("bp", &p), 0);
	px_out(sample) src = px_typed_source(p, "gen", sample, gen_samples, &st);
	px_out(sample) cp = px_typed_map(p, "copy", src, sample, sample,
					 copy_sample, NULL);
	ck_assert_ptr_nonnull(px_typed_element(cp));
	ck_assert_int_eq(px_pipeline_add(p, "queue", "q", &q), 0);
	ck_assert_int_eq(px_element_set(q, "max-size-buffers", "2048"), 0);
	ck_assert_int_eq(px_pipeline_add(p, "identity", "slow", &slow), 0);
	ck_assert_int_eq(px_element_set(slow, "sleep-time", "20us"), 0);
	ck_assert_int_eq(px_pipeline_add(p, "fakesink", "out", &out), 0);
	ck_assert_int_eq(px_element_link(px_typed_element(cp), q), 0);
	ck_assert_int_eq(px_element_link(q, slow), 0);
	ck_assert_int_eq(px_element_link(slow, out), 0);
	ck_assert_msg(run_to_end(p, msg, sizeof(msg)) == 0, "%s", msg);
	px_element_stats(out, &es);
	ck_assert_uint_eq(es.buffers_in, 3000);
	px_pipeline_destroy(p);
}
END_TEST

/* Dynamic -> typed and back: a typed sink on an element added by name
 * (caps checked at link time), a typed source into a fakesink. */
START_TEST(test_record_typed_dynamic)
{
	struct tstate st = { .limit = 64, .bad_at = UINT32_MAX };
	struct px_element *raw, *cf;
	struct px_pipeline *p;
	char caps[160];

	REQUIRE_ENGINE();
	/* Built at run time, as a launch string or px_elements.h would. */
	px_record_caps_text(point_schema(), caps, sizeof(caps));
	ck_assert_int_eq(px_pipeline_create("dyn", &p), 0);
	ck_assert_int_eq(px_pipeline_add(p, "fakesrc", "raw", &raw), 0);
	ck_assert_int_eq(px_pipeline_add(p, "capsfilter", "points", &cf), 0);
	ck_assert_int_eq(px_element_set(cf, "caps", caps), 0);
	ck_assert_int_eq(px_element_link(raw, cf), 0);
	px_out(sample) in = px_typed_from(p, "points", sample);
	ck_assert_ptr_nonnull(px_typed_element(in));
	ck_assert_int_eq(px_typed_sink(p, "sum", in, sample, sum_samples, &st),
			 -EINVAL);
	ck_assert_msg(strstr(px_pipeline_error(p), "schema=(string)point") &&
			      strstr(px_pipeline_error(p),
				     "schema=(string)sample"),
		      "%s", px_pipeline_error(p));
	ck_assert_ptr_null(px_typed_element(px_typed_from(p, "nope", sample)));
	px_pipeline_destroy(p);

	/* Typed source -> a fakesink added by name, as a parser would. */
	ck_assert_int_eq(px_pipeline_create("dyn", &p), 0);
	ck_assert_int_eq(px_pipeline_add(p, "fakesink", "out", NULL), 0);
	px_out(sample) src = px_typed_source(p, "gen", sample, gen_samples, &st);
	ck_assert_int_eq(px_element_link(px_typed_element(src),
					 px_pipeline_find(p, "out")),
			 0);
	ck_assert_int_eq(run_to_end(p, NULL, 0), 0);
	{
		char n[32];

		px_element_get(px_pipeline_find(p, "out"), "buffers", n,
			       sizeof(n));
		ck_assert_str_eq(n, "64");
	}
	px_pipeline_destroy(p);
}
END_TEST

/* Across processes: a typed source into ipcsink in a child, ipcsrc into a
 * typed sink here. The records cross unchanged, in place (the slots are
 * the child's memfd pool, mapped read-only here), and this side validates
 * them itself: ipcsrc drops the child's verdict. */
static int publish_samples(const char *channel, unsigned n)
{
	struct tstate st = { .limit = n, .bad_at = UINT32_MAX };
	struct px_element *out;
	struct px_pipeline *p;
	int rc;

	if (px_pipeline_create("pub", &p) ||
	    px_pipeline_add(p, "ipcsink", "out", &out) ||
	    px_element_set(out, "channel", channel))
		return 10;
	px_out(sample) src = px_typed_source(p, "gen", sample, gen_samples, &st);
	if (!px_typed_element(src) ||
	    px_element_link(px_typed_element(src), out))
		return 11;
	rc = run_to_end(p, NULL, 0);
	px_pipeline_destroy(p);
	return rc ? 12 : 0;
}

START_TEST(test_record_typed_ipc)
{
	struct tstate st = { 0 };
	struct px_element *in;
	struct px_pipeline *p;
	char ch[64], msg[1024];
	pid_t child;
	int status = 0;

	REQUIRE_ENGINE();
	snprintf(ch, sizeof(ch), "test-record-%d", (int)getpid());
	/* Before any reactor exists here: an io_uring must not cross fork. */
	child = fork();
	if (child == 0)
		_exit(publish_samples(ch, 300));
	ck_assert_int_eq(px_pipeline_create("sub", &p), 0);
	ck_assert_int_eq(px_pipeline_add(p, "ipcsrc", "in", &in), 0);
	ck_assert_int_eq(px_element_set(in, "channel", ch), 0);
	px_out(sample) recs = px_typed_from(p, "in", sample);
	ck_assert_int_eq(px_typed_sink(p, "sum", recs, sample, sum_samples, &st),
			 0);
	ck_assert_msg(run_to_end(p, msg, sizeof(msg)) == 0, "%s", msg);
	px_pipeline_destroy(p);
	ck_assert_int_eq(waitpid(child, &status, 0), child);
	ck_assert_int_eq(status, 0);
	ck_assert_uint_eq(st.seen, 300);
	ck_assert_uint_eq(st.sum, 299ull * 300 / 2);
}
END_TEST

/* Across hosts (loopback here): a typed source into netsink, netsrc into
 * a typed sink; the STRM frames carry the records' bytes, the receiver
 * validates them in its own slots. */
START_TEST(test_record_typed_net)
{
	struct tstate tx_st = { .limit = 300, .bad_at = UINT32_MAX };
	struct tstate rx_st = { 0 };
	struct px_element *in, *out;
	struct px_pipeline *rx, *tx;
	char port[16], msg[1024];

	REQUIRE_ENGINE();
	ck_assert_int_eq(px_pipeline_create("rx", &rx), 0);
	ck_assert_int_eq(px_pipeline_add(rx, "netsrc", "in", &in), 0);
	ck_assert_int_eq(px_element_set(in, "port", "0"), 0);
	px_out(sample) recs = px_typed_from(rx, "in", sample);
	ck_assert_int_eq(px_typed_sink(rx, "sum", recs, sample, sum_samples,
				       &rx_st),
			 0);
	/* PAUSED: the listening socket is bound, its port known. */
	ck_assert_int_eq(px_pipeline_set_state(rx, PX_STATE_PAUSED), 0);
	ck_assert_int_gt(px_element_get(in, "bound-port", port, sizeof(port)),
			 0);
	ck_assert_int_eq(px_pipeline_create("tx", &tx), 0);
	ck_assert_int_eq(px_pipeline_add(tx, "netsink", "out", &out), 0);
	ck_assert_int_eq(px_element_set(out, "port", port), 0);
	px_out(sample) src = px_typed_source(tx, "gen", sample, gen_samples,
					     &tx_st);
	ck_assert_int_eq(px_element_link(px_typed_element(src), out), 0);
	ck_assert_int_eq(px_pipeline_play(rx), 0);
	ck_assert_msg(run_to_end(tx, msg, sizeof(msg)) == 0, "%s", msg);
	ck_assert_msg(run_to_end(rx, msg, sizeof(msg)) == 0, "%s", msg);
	ck_assert_uint_eq(rx_st.seen, 300);
	ck_assert_uint_eq(rx_st.sum, 299ull * 300 / 2);
	px_pipeline_destroy(tx);
	px_pipeline_destroy(rx);
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("record");

	tcase_add_test(px_tcase(s, "roundtrip"), test_record_roundtrip);
	tcase_add_test(px_tcase(s, "checks"), test_record_checks);
	tcase_add_test(px_tcase(s, "writer"), test_record_writer);
	tcase_add_test(px_tcase(s, "schema"), test_record_schema);
	tcase_add_test(px_tcase(s, "view"), test_record_view);
	tcase_add_test(px_tcase(s, "mutations"), test_record_mutations);
	tcase_add_test(px_tcase(s, "caps_link"), test_record_caps_link);
	tcase_add_test(px_tcase(s, "typed"), test_record_typed);
	tcase_add_test(px_tcase(s, "typed_dynamic"), test_record_typed_dynamic);
	tcase_add_test(px_tcase(s, "typed_backpressure"),
		       test_record_typed_backpressure);
	tcase_add_test(px_tcase(s, "typed_ipc"), test_record_typed_ipc);
	tcase_add_test(px_tcase(s, "typed_net"), test_record_typed_net);
	return s;
}

PX_TEST_MAIN(make_suite)
