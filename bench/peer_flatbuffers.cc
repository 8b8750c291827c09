// SPDX-License-Identifier: MIT
/*
 * peer_flatbuffers.cc - the FlatBuffers peer of the record scenario: the
 * same three shapes (record_shapes.fbs), built once with the values the
 * Parallax side writes, then verified (flatbuffers::Verifier, the library's
 * safety check for untrusted bytes) and read field by field in a loop.
 */
#include <flatbuffers/flatbuffers.h>

#include <cstdint>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <vector>

#include "record_shapes.h"
#include "record_shapes_generated.h"

extern "C" {
int bench_fb_record(int shape, double secs, double *ns_per_rec,
		    double *bytes, double *sum);
const char *bench_fb_version(void);
}

static double now_s()
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static void fill(char *s, size_t n, char c)
{
	memset(s, c, n);
	s[n] = 0;
}

static void build(flatbuffers::FlatBufferBuilder &b, int shape)
{
	char a[RECORD_STR_C + 1];

	switch (shape) {
	case 0:
		b.Finish(rs::CreateFlat(b, 7, rs::Unit_Pa, 123456789, 21.5,
					true));
		break;
	case 1: {
		fill(a, RECORD_STR_A, 'n');
		auto name = b.CreateString(a);
		fill(a, RECORD_STR_B, 'r');
		auto room = b.CreateString(a);
		fill(a, RECORD_STR_C, 'x');
		auto note = b.CreateString(a);
		b.Finish(rs::CreateStrings(b, 7, 21.5, name, room, note));
		break;
	}
	default: {
		std::vector<flatbuffers::Offset<rs::Sample>> v;

		fill(a, RECORD_LABEL, 'l');
		for (int i = 0; i < RECORD_NESTED_N; i++)
			v.push_back(rs::CreateSample(b, i, 0.5f * (float)i,
						     i & 1, b.CreateString(a)));
		b.Finish(rs::CreateNested(b, 7, b.CreateVector(v)));
		break;
	}
	}
}

template <typename T> static bool verify(const uint8_t *p, size_t n)
{
	flatbuffers::Verifier v(p, n);

	return v.VerifyBuffer<T>(nullptr);
}

/* Verify, then read every field: what was read, summed as integers. */
static uint64_t touch(const uint8_t *p, size_t n, int shape, bool *ok)
{
	uint64_t s = 0;

	switch (shape) {
	case 0: {
		if (!(*ok = verify<rs::Flat>(p, n)))
			return 0;
		auto r = flatbuffers::GetRoot<rs::Flat>(p);
		s = r->sensor() + (uint64_t)r->unit() + (uint64_t)r->t_ns() +
		    dbits(r->value()) + r->ok();
		break;
	}
	case 1: {
		if (!(*ok = verify<rs::Strings>(p, n)))
			return 0;
		auto r = flatbuffers::GetRoot<rs::Strings>(p);
		s = r->id() + dbits(r->value()) + r->name()->size() +
		    r->room()->size() + r->note()->size();
		break;
	}
	default: {
		if (!(*ok = verify<rs::Nested>(p, n)))
			return 0;
		auto r = flatbuffers::GetRoot<rs::Nested>(p);
		s = r->id();
		for (auto e : *r->samples())
			s += (uint64_t)e->t_ns() + fbits(e->value()) +
			     e->ok() + e->label()->size();
		break;
	}
	}
	return s;
}

int bench_fb_record(int shape, double secs, double *ns_per_rec,
		    double *bytes, double *sum)
{
	flatbuffers::FlatBufferBuilder b;
	double t0, t;
	uint64_t n = 0, total = 0;
	bool ok = true;

	build(b, shape);
	const uint8_t *p = b.GetBufferPointer();
	size_t len = b.GetSize();

	t0 = now_s();
	do {
		for (int i = 0; i < 256; i++) {
			/* Keep the compiler from reusing the last verdict. */
			__asm__ volatile("" : : "g"(p) : "memory");
			total += touch(p, len, shape, &ok);
			if (!ok)
				return -1;
		}
		n += 256;
		t = now_s();
	} while (t - t0 < secs);
	/* By value, as bench_use(): an accumulator in memory would chain
	 * every iteration on a store. */
	__asm__ volatile("" : : "r"(total));
	*ns_per_rec = (t - t0) * 1e9 / (double)n;
	*bytes = (double)len;
	*sum = (double)total / (double)n;
	return 0;
}

const char *bench_fb_version(void)
{
	static char v[32];

	snprintf(v, sizeof(v), "FlatBuffers %d.%d.%d",
		 FLATBUFFERS_VERSION_MAJOR, FLATBUFFERS_VERSION_MINOR,
		 FLATBUFFERS_VERSION_REVISION);
	return v;
}
