// SPDX-License-Identifier: MIT
/*
 * record.c - the out-of-line parts of typed records (px_record.h): error
 * text, the caps that name a record type, the schema hash, UTF-8 checking.
 */
#include <stdio.h>
#include <string.h>

#include "px_record.h"

PX_API int px__rec_refuse(struct px_record_error *err, const uint8_t *base,
			  const void *at, const char *record,
			  const char *field, const char *what)
{
	if (err) {
		err->offset = (uint32_t)((uintptr_t)at - (uintptr_t)base);
		err->record = record;
		err->field = field;
		err->what = what;
	}
	return -EBADMSG;
}

/* ABI 0.9's name, called by the inline validators of code built against
 * it: the state by address (px__rec_fail is a macro now). */
#undef px__rec_fail
PX_API int px__rec_fail(struct px__rec_vs *vs, const void *at,
			const char *record, const char *field,
			const char *what);
PX_API int px__rec_fail(struct px__rec_vs *vs, const void *at,
			const char *record, const char *field, const char *what)
{
	return px__rec_refuse(vs->err, vs->base, at, record, field, what);
}

/* FNV-1a, 64-bit: the hash only has to tell schemas apart, not resist an
 * adversary (a hostile writer can put any hash in the head anyway). */
PX_API uint64_t px__rec_hash(uint64_t h, const char *s, size_t n)
{
	if (!h)
		h = 0xcbf29ce484222325ull;
	for (size_t i = 0; i < n; i++) {
		h ^= (uint8_t)s[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

PX_API size_t px_record_error_text(const struct px_record_error *err,
				   char *buf, size_t len)
{
	int n = snprintf(buf, len, "%s%s%s at byte %u: %s",
			 err->record ? err->record : "record",
			 err->field && err->field[0] ? "." : "",
			 err->field ? err->field : "", err->offset,
			 err->what ? err->what : "invalid");

	return n < 0 ? 0 : (size_t)n;
}

PX_API size_t px_record_caps_text(const struct px_record_schema *s, char *buf,
				  size_t len)
{
	int n = snprintf(buf, len,
			 "application/x-px-record,schema=%s,hash=(string)%016llx",
			 s->name, (unsigned long long)s->hash());

	return n < 0 ? 0 : (size_t)n;
}

/* Bytes 0x80..0xff: how many continuation bytes follow, and the smallest
 * second byte (rules out overlongs and surrogates with one compare each
 * side, as in RFC 3629's table). */
static bool utf8_seq(const uint8_t *p, size_t n, size_t *used)
{
	uint8_t c = p[0], lo = 0x80, hi = 0xbf;
	size_t need;

	if (c >= 0xc2 && c <= 0xdf)
		need = 1;
	else if (c >= 0xe0 && c <= 0xef) {
		need = 2;
		if (c == 0xe0)
			lo = 0xa0; /* no overlong 3-byte forms */
		else if (c == 0xed)
			hi = 0x9f; /* no surrogates */
	} else if (c >= 0xf0 && c <= 0xf4) {
		need = 3;
		if (c == 0xf0)
			lo = 0x90; /* no overlong 4-byte forms */
		else if (c == 0xf4)
			hi = 0x8f; /* nothing above U+10FFFF */
	} else {
		return false; /* 0x80..0xc1, 0xf5..0xff never start one */
	}
	if (n < need + 1 || p[1] < lo || p[1] > hi)
		return false;
	for (size_t i = 2; i <= need; i++)
		if ((p[i] & 0xc0) != 0x80)
			return false;
	*used = need + 1;
	return true;
}

PX_API bool px_utf8_valid(const uint8_t *p, size_t n)
{
	size_t i = 0;

	while (i < n) {
		uint64_t w;
		size_t used;

		/* Eight ASCII bytes at a time: the common case. */
		if (n - i >= 8) {
			memcpy(&w, p + i, 8);
			if (!(w & 0x8080808080808080ull)) {
				i += 8;
				continue;
			}
		}
		if (p[i] < 0x80) {
			i++;
			continue;
		}
		if (!utf8_seq(p + i, n - i, &used))
			return false;
		i += used;
	}
	return true;
}
