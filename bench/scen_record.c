// SPDX-License-Identifier: MIT
/*
 * scen_record.c - the record scenario: validate a typed record and read
 * every field, ns per record and GB/s, for three shapes (record_shapes.h),
 * against the FlatBuffers verifier and accessors on the same shapes and
 * values; and what a second access costs once the verdict is cached.
 */
#include <errno.h>
#include <string.h>

#include "bench.h"
#include "record_shapes.h"

static _Alignas(64) uint8_t rec[3][16384];
static uint32_t rec_size[3];

static const char *const shape_names[] = {"flat", "strings", "nested 100"};

static void fill(char *s, size_t n, char c)
{
	memset(s, c, n);
	s[n] = 0;
}

/* Write shape SHAPE with the values the FlatBuffers peer uses. */
static int build(int shape)
{
	struct px_record_writer w;
	char a[RECORD_STR_C + 1];

	if (shape == 0) {
		struct rs_flat *r = rs_flat_begin(&w, rec[0], sizeof(rec[0]));

		*r = (struct rs_flat){.sensor = 7,
				      .unit = RS_UNIT_PA,
				      .t_ns = 123456789,
				      .value = 21.5,
				      .ok = 1};
	} else if (shape == 1) {
		struct rs_strings *r =
			rs_strings_begin(&w, rec[1], sizeof(rec[1]));

		r->id = 7;
		r->value = 21.5;
		fill(a, RECORD_STR_A, 'n');
		px_rec_set_str(&w, &r->name, a);
		fill(a, RECORD_STR_B, 'r');
		px_rec_set_str(&w, &r->room, a);
		fill(a, RECORD_STR_C, 'x');
		px_rec_set_str(&w, &r->note, a);
	} else {
		struct rs_nested *r =
			rs_nested_begin(&w, rec[2], sizeof(rec[2]));
		struct rs_sample *s;

		r->id = 7;
		s = px_rec_alloc(&w, &r->samples, RECORD_NESTED_N);
		fill(a, RECORD_LABEL, 'l');
		for (int i = 0; s && i < RECORD_NESTED_N; i++) {
			s[i].t_ns = i;
			s[i].value = 0.5f * (float)i;
			s[i].ok = i & 1;
			px_rec_set_str(&w, &s[i].label, a);
		}
	}
	if (px_record_finish(&w) < 0)
		return -ENOSPC;
	rec_size[shape] = w.used;
	return 0;
}

/* Validate the record at P, then read every field: what was read, summed
 * as integers (UINT64_MAX when the record was refused). The FlatBuffers
 * peer reads the same fields the same way. */
static uint64_t touch(const uint8_t *p, uint32_t n, int shape)
{
	uint64_t s = 0;

	if (shape == 0) {
		const struct rs_flat *r;

		if (rs_flat_validate(p, n, 0, NULL))
			return UINT64_MAX;
		r = (const struct rs_flat *)(p + PX_RECORD_ROOT);
		s = r->sensor + r->unit + (uint64_t)r->t_ns + dbits(r->value) +
		    r->ok;
	} else if (shape == 1) {
		const struct rs_strings *r;

		if (rs_strings_validate(p, n, 0, NULL))
			return UINT64_MAX;
		r = (const struct rs_strings *)(p + PX_RECORD_ROOT);
		s = r->id + dbits(r->value) + r->name.rel.len +
		    r->room.rel.len + r->note.rel.len;
	} else {
		const struct rs_nested *r;
		const struct rs_sample *e;
		uint32_t k;

		if (rs_nested_validate(p, n, 0, NULL))
			return UINT64_MAX;
		r = (const struct rs_nested *)(p + PX_RECORD_ROOT);
		s = r->id;
		e = px_rec_vec(&r->samples, &k);
		for (uint32_t i = 0; i < k; i++)
			s += (uint64_t)e[i].t_ns + fbits(e[i].value) + e[i].ok +
			     e[i].label.rel.len;
	}
	return s;
}

struct rec_arg {
	int shape;
	double secs;
};

static int run_px(struct bench_run *run)
{
	const struct rec_arg *a = run->arg;
	/* Locals, as the FlatBuffers loop has them: what the escape below
	 * may change is reloaded every time, these are not. */
	const int shape = a->shape;
	const uint8_t *p = rec[shape];
	const uint32_t len = rec_size[shape];
	double t0 = bench_now(), t;
	uint64_t n = 0, total = 0;
	bool refused = false;

	do {
		for (int i = 0; i < 256 && !refused; i++) {
			/* Keep the compiler from reusing the last verdict. */
			bench_escape((void *)p);
			uint64_t v = touch(p, len, shape);

			refused = v == UINT64_MAX;
			total += v;
		}
		n += 256;
		t = bench_now();
	} while (t - t0 < a->secs && !refused);
	bench_use(total);
	if (refused) {
		bench_snprintf(run->why, sizeof(run->why),
			       "the %s record did not validate",
			       shape_names[a->shape]);
		return -EIO;
	}
	run->v[0] = (t - t0) * 1e9 / (double)n;
	run->v[1] = rec_size[a->shape] / run->v[0];
	bench_snprintf(run->note, sizeof(run->note), "%u-byte record",
		       rec_size[a->shape]);
	return 0;
}

static int run_fb(struct bench_run *run)
{
	const struct rec_arg *a = run->arg;
	double ns, bytes, sum;
	int rc = bench_fb_record(a->shape, a->secs, &ns, &bytes, &sum);

	if (rc == BENCH_MISSING) {
		bench_snprintf(run->why, sizeof(run->why),
			       "FlatBuffers not found at build time (flatc, "
			       "flatbuffers/flatbuffers.h); apt-get install "
			       "flatbuffers-compiler libflatbuffers-dev");
		return rc;
	}
	if (rc) {
		bench_snprintf(run->why, sizeof(run->why),
			       "the FlatBuffers %s buffer did not verify",
			       shape_names[a->shape]);
		return -EIO;
	}
	run->v[0] = ns;
	run->v[1] = bytes / ns;
	bench_snprintf(run->note, sizeof(run->note), "%.0f-byte buffer", bytes);
	return 0;
}

/* The id field through each shape's view, as its consumer reads it; -1
 * when the view refuses the record. */
PX_INLINE int64_t view_id(int shape, struct px_buf *b)
{
	if (shape == 0) {
		const struct rs_flat *r = rs_flat_view(b, 0, NULL);

		return r ? (int64_t)r->sensor : -1;
	}
	if (shape == 1) {
		const struct rs_strings *r = rs_strings_view(b, 0, NULL);

		return r ? (int64_t)r->id : -1;
	}
	const struct rs_nested *r = rs_nested_view(b, 0, NULL);

	return r ? (int64_t)r->id : -1;
}

/* The same field read without a view: px_buf_data and a cast, what any
 * access to the bytes costs (the floor of the cached view). */
PX_INLINE int64_t raw_id(int shape, struct px_buf *b)
{
	const uint8_t *root = (const uint8_t *)px_buf_data(b) + PX_RECORD_ROOT;

	if (shape == 0)
		return ((const struct rs_flat *)root)->sensor;
	if (shape == 1)
		return ((const struct rs_strings *)root)->id;
	return ((const struct rs_nested *)root)->id;
}

/* Read the id of B's record of SHAPE, through its view or RAW, for SECS
 * seconds: adds the reads to *N, the time they took to *TOOK, and returns
 * the ids' sum. Inlined with constant SHAPE and RAW, so that the two
 * paths differ in nothing but the view (no call, no switch). */
PX_INLINE uint64_t access_loop(struct px_buf *b, int shape, bool raw,
			       double secs, uint64_t *n, double *took)
{
	uint64_t sum = 0;
	double t0 = bench_now(), t;

	do {
		for (int i = 0; i < 1024; i++) {
			bench_escape(b);
			sum += (uint64_t)(raw ? raw_id(shape, b)
					      : view_id(shape, b));
		}
		*n += 1024;
		t = bench_now();
	} while (t - t0 < secs);
	*took = t - t0;
	return sum;
}

/* The second access: T_view on a descriptor that holds the verdict
 * (a->raw: the field read without any view). */
static int run_access(struct bench_run *run, bool raw)
{
	const struct rec_arg *a = run->arg;
	struct px_pool_config cfg = {.slot_size = 16384, .slots = 1};
	struct px_pool *pool;
	struct px_buf b;
	double t = 0;
	uint64_t n = 0, sum = 0;
	int rc = px_pool_create(&cfg, &pool);

	if (rc)
		return rc;
	rc = px_buf_alloc(pool, rec_size[a->shape], &b);
	if (rc) {
		px_pool_destroy(pool);
		return rc;
	}
	memcpy(px_buf_data(&b), rec[a->shape], rec_size[a->shape]);
	/* The first view validates; every later one finds the verdict. */
	if (view_id(a->shape, &b) != 7)
		rc = -EIO;
	/* Constant arguments, so that each loop is specialised. */
	if (a->shape == 0)
		sum = raw ? access_loop(&b, 0, true, a->secs, &n, &t)
			  : access_loop(&b, 0, false, a->secs, &n, &t);
	else if (a->shape == 1)
		sum = raw ? access_loop(&b, 1, true, a->secs, &n, &t)
			  : access_loop(&b, 1, false, a->secs, &n, &t);
	else
		sum = raw ? access_loop(&b, 2, true, a->secs, &n, &t)
			  : access_loop(&b, 2, false, a->secs, &n, &t);
	px_buf_unref(&b);
	px_pool_destroy(pool);
	if (rc || sum != 7 * n) {
		bench_snprintf(run->why, sizeof(run->why),
			       "the cached view returned another record");
		return -EIO;
	}
	run->v[0] = t * 1e9 / (double)n;
	return 0;
}

static int run_cached(struct bench_run *run)
{
	return run_access(run, false);
}

static int run_raw(struct bench_run *run)
{
	return run_access(run, true);
}

int bench_scen_record(struct bench_ctx *ctx)
{
	static struct rec_arg args[3];
	static char what_px[3][256], what_fb[3][256], what_c[3][256];
	static char variant_c[3][48];
	const char *fbv = bench_fb_version();
	int rc;

	for (int sh = 0; sh < 3; sh++) {
		struct bench_case c = {
			.scenario = "record",
			.variant = shape_names[sh],
			.nmetrics = 2,
			.metric = {{"validate+read", "ns/record", true},
				   {"validate+read", "GB/s", false}},
			.nimpls = 2,
		};
		struct bench_case cached = {
			.scenario = "record",
			.variant = variant_c[sh],
			.nmetrics = 1,
			.metric = {{"cached 2nd access", "ns/op", true}},
			.nimpls = 2,
		};

		rc = build(sh);
		if (rc)
			return rc;
		args[sh] = (struct rec_arg){sh, ctx->quick ? 0.02 : 0.3};
		bench_snprintf(what_px[sh], sizeof(what_px[0]),
			       "%s_validate() then every field read, in a "
			       "loop over one %u-byte record "
			       "(bench/record_shapes.h)",
			       sh == 0	 ? "rs_flat"
			       : sh == 1 ? "rs_strings"
					 : "rs_nested",
			       rec_size[sh]);
		bench_snprintf(what_fb[sh], sizeof(what_fb[0]),
			       "%s: flatbuffers::Verifier::VerifyBuffer then "
			       "every field read through the generated "
			       "accessors, same shape and values "
			       "(bench/record_shapes.fbs)",
			       fbv ? fbv : "FlatBuffers");
		bench_snprintf(what_c[sh], sizeof(what_c[0]),
			       "%s_view() on a buffer descriptor that already "
			       "holds the verdict (PX_BUF_FLAG_VALIDATED), "
			       "then one field read",
			       sh == 0	 ? "rs_flat"
			       : sh == 1 ? "rs_strings"
					 : "rs_nested");
		c.impl[0] = (struct bench_impl){"parallax", run_px, &args[sh],
						what_px[sh]};
		c.impl[1] = (struct bench_impl){"flatbuffers", run_fb,
						&args[sh], what_fb[sh]};
		bench_snprintf(variant_c[sh], sizeof(variant_c[0]),
			       "%s, cached 2nd access", shape_names[sh]);
		cached.impl[0] = (struct bench_impl){"parallax", run_cached,
						     &args[sh], what_c[sh]};
		cached.impl[1] = (struct bench_impl){
			"unchecked", run_raw, &args[sh],
			"no view: px_buf_data() plus the root's offset, then "
			"the same field read (what any access to the bytes "
			"costs; ratio = its time / the cached view's)"};
		rc = bench_case_run(ctx, &c);
		if (rc)
			return rc;
		rc = bench_case_run(ctx, &cached);
		if (rc)
			return rc;
	}
	return 0;
}
