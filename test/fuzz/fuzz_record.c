// SPDX-License-Identifier: MIT
/*
 * fuzz_record.c - libFuzzer target for the record validator (px_record.h):
 * any bytes are validated or refused without reading outside them (ASan),
 * and whatever passes reads back inside the record; a record written from
 * the input's values always passes and reads back those values.
 * test/fuzz/run.sh builds and runs it.
 */
#include <stdlib.h>
#include <string.h>

#include "record_test_types.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static _Alignas(64) uint8_t out[65536];

/* Read every field of an accepted reading: all inside [rec, rec+size). */
static void walk(const uint8_t *rec, size_t size)
{
	const struct reading *r =
		(const struct reading *)(rec + PX_RECORD_ROOT);
	const struct sample *s;
	const uint8_t *p;
	uint32_t n;

	p = (const uint8_t *)px_rec_str(&r->name);
	if (r->name.rel.off &&
	    (p < rec || p + strlen((const char *)p) >= rec + size))
		abort();
	p = px_rec_bytes(&r->blob, &n);
	if (n && (p < rec || p + n > rec + size))
		abort();
	s = px_rec_vec(&r->samples, &n);
	for (uint32_t i = 0; i < n; i++) {
		if ((const uint8_t *)(s + i + 1) > rec + size)
			abort();
		(void)strlen(px_rec_str(&s[i].label));
	}
	(void)strlen(px_rec_str(&r->tag));
}

/* Write a reading from the input: scalars from its first bytes, strings
 * and bytes from the rest; it must validate and read back. */
static void roundtrip(const uint8_t *d, size_t n)
{
	struct px_record_writer w;
	struct reading *r = reading_begin(&w, out, sizeof(out));
	char text[64];
	size_t tl = n < sizeof(text) - 1 ? n : sizeof(text) - 1;
	struct sample *s;
	uint32_t count = n ? d[0] % 8 : 0, got;

	/* Text without NULs (a str holds one NUL, at its end). */
	for (size_t i = 0; i < tl; i++)
		text[i] = d[i] ? (char)d[i] : '0';
	text[tl] = 0;
	r->sensor = n > 1 ? d[1] : 0;
	r->ok = n > 2 ? d[2] & 1 : 0;
	r->unit = n > 3 ? d[3] % UNIT_COUNT : 0;
	if (px_rec_set_str(&w, &r->name, text) ||
	    px_rec_set_bytes(&w, &r->blob, d, (uint32_t)n))
		abort();
	s = px_rec_alloc(&w, &r->samples, count);
	if (count && !s)
		abort();
	for (uint32_t i = 0; i < count; i++) {
		s[i].t_ns = (int64_t)i * 7;
		if (px_rec_set_str(&w, &s[i].label, text + (i % (tl + 1))))
			abort();
	}
	if (px_rec_set_str(&w, &r->tag, text) || px_record_finish(&w) < 0)
		abort();
	if (reading_validate(out, w.used, 0, NULL) != 0)
		abort();
	if (strcmp(px_rec_str(&r->name), text) != 0 ||
	    r->sensor != (n > 1 ? d[1] : 0u) ||
	    (n && memcmp(px_rec_bytes(&r->blob, &got), d, n) != 0) ||
	    (px_rec_bytes(&r->blob, &got), got != n) ||
	    (px_rec_vec(&r->samples, &got) != s && count) || got != count)
		abort();
	for (uint32_t i = 0; i < count; i++)
		if (strcmp(px_rec_str(&s[i].label), text + (i % (tl + 1))))
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *copy;

	if (size > sizeof(out) / 4)
		return 0;
	if (size && data[0] == 'W') {
		roundtrip(data + 1, size - 1);
		return 0;
	}
	/* Validate the bytes as they came, in a heap block of exactly their
	 * size (malloc aligns to 16): ASan sees any read past it. */
	copy = malloc(size ? size : 1);
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	if (reading_validate(copy, size, PX_RECORD_UTF8, NULL) == 0)
		walk(copy, size);
	free(copy);
	return 0;
}
