// SPDX-License-Identifier: MIT
/*
 * prop_text.c - the text forms of property values: sizes (64K, 1M), durations
 * (500us, 2s), booleans, integers, and the canonical text px_element_get()
 * and the exports print.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline_int.h"

const char *px__prop_type_name(enum px_prop_type t)
{
	static const char *const names[] = {
		[PX_PROP_BOOL] = "bool",     [PX_PROP_INT] = "int",
		[PX_PROP_UINT64] = "uint64", [PX_PROP_DOUBLE] = "double",
		[PX_PROP_STRING] = "string", [PX_PROP_ENUM] = "enum",
		[PX_PROP_SIZE] = "size",     [PX_PROP_DURATION] = "duration",
	};
	return (unsigned)t < PX_ARRAY_SIZE(names) ? names[t] : "?";
}

/* ---- text formats --------------------------------------------------------- */

static bool full_u64(const char *s, const char **end, uint64_t *out)
{
	char *e;

	if (!isdigit((unsigned char)*s))
		return false;
	errno = 0;
	unsigned long long v = strtoull(s, &e, 0);
	if (errno)
		return false;
	*out = v;
	*end = e;
	return true;
}

int px__parse_size(const char *s, uint64_t *out)
{
	static const struct {
		const char *sfx;
		unsigned shift;
	} units[] = {
		{ "", 0 },	{ "B", 0 },	{ "K", 10 },	{ "k", 10 },
		{ "KB", 10 },	{ "KiB", 10 },	{ "M", 20 },	{ "MB", 20 },
		{ "MiB", 20 },	{ "G", 30 },	{ "GB", 30 },	{ "GiB", 30 },
		{ "T", 40 },	{ "TB", 40 },	{ "TiB", 40 },
	};
	const char *end;
	uint64_t v;

	if (!s || !full_u64(s, &end, &v))
		return -EINVAL;
	for (size_t i = 0; i < PX_ARRAY_SIZE(units); i++) {
		if (strcmp(end, units[i].sfx))
			continue;
		if (units[i].shift && v > (UINT64_MAX >> units[i].shift))
			return -ERANGE;
		*out = v << units[i].shift;
		return 0;
	}
	return -EINVAL;
}

int px__parse_duration(const char *s, int64_t *out)
{
	static const struct {
		const char *sfx;
		double ns;
	} units[] = {
		{ "ns", 1 },	  { "us", 1e3 },   { "ms", 1e6 },
		{ "s", 1e9 },	  { "sec", 1e9 },  { "m", 60e9 },
		{ "min", 60e9 },  { "h", 3600e9 },
	};
	char *end;

	if (!s || !*s || isspace((unsigned char)*s))
		return -EINVAL;
	/* A bare integer is nanoseconds. */
	errno = 0;
	long long iv = strtoll(s, &end, 10);
	if (end != s && !*end) {
		if (errno)
			return -ERANGE;
		*out = iv;
		return 0;
	}
	/* An integer and a unit: exact (through a double, 2^53 ns and up -
	 * 104 days - would lose the last digits that "...ns" prints). */
	if (end != s && !errno && strncasecmp(s, "0x", 2)) {
		for (size_t i = 0; i < PX_ARRAY_SIZE(units); i++) {
			long long ns;

			if (strcmp(end, units[i].sfx))
				continue;
			if (__builtin_mul_overflow(iv, (long long)units[i].ns,
						   &ns))
				return -ERANGE;
			*out = ns;
			return 0;
		}
	}
	errno = 0;
	double v = strtod(s, &end);
	if (end == s || errno || !isfinite(v) || !strncasecmp(s, "0x", 2))
		return -EINVAL;
	for (size_t i = 0; i < PX_ARRAY_SIZE(units); i++) {
		if (strcmp(end, units[i].sfx))
			continue;
		double ns = v * units[i].ns;
		if (ns >= 9.2e18 || ns <= -9.2e18)
			return -ERANGE;
		*out = (int64_t)llround(ns);
		return 0;
	}
	return -EINVAL;
}

int px__parse_bool(const char *s, bool *out)
{
	static const char *const yes[] = { "true", "yes", "1", "on" };
	static const char *const no[] = { "false", "no", "0", "off" };

	for (size_t i = 0; s && i < PX_ARRAY_SIZE(yes); i++) {
		if (!strcasecmp(s, yes[i])) {
			*out = true;
			return 0;
		}
		if (!strcasecmp(s, no[i])) {
			*out = false;
			return 0;
		}
	}
	return -EINVAL;
}

bool px__parse_i64(const char *s, int64_t *out)
{
	char *end;

	if (!*s || isspace((unsigned char)*s))
		return false;
	errno = 0;
	long long v = strtoll(s, &end, 0);
	if (errno || *end)
		return false;
	*out = v;
	return true;
}

bool px__parse_u64(const char *s, uint64_t *out)
{
	const char *end;

	return full_u64(s, &end, out) && !*end;
}

static int format_size(uint64_t v, char *buf, size_t len)
{
	static const char sfx[] = "KMGT";

	for (int i = 3; i >= 0; i--) {
		unsigned shift = 10u * (unsigned)(i + 1);

		if (v && (v & ((1ull << shift) - 1)) == 0)
			return snprintf(buf, len, "%" PRIu64 "%c", v >> shift,
					sfx[i]);
	}
	return snprintf(buf, len, "%" PRIu64, v);
}

static int format_duration(int64_t v, char *buf, size_t len)
{
	static const struct {
		const char *sfx;
		int64_t ns;
	} units[] = {
		{ "h", 3600000000000ll }, { "m", 60000000000ll },
		{ "s", 1000000000ll },	  { "ms", 1000000ll },
		{ "us", 1000ll },
	};

	if (v == 0 || v == -1)
		return snprintf(buf, len, "%" PRId64, v);
	for (size_t i = 0; i < PX_ARRAY_SIZE(units); i++)
		if (v % units[i].ns == 0)
			return snprintf(buf, len, "%" PRId64 "%s",
					v / units[i].ns, units[i].sfx);
	return snprintf(buf, len, "%" PRId64 "ns", v);
}

const char *px__prop_enum_nick(const struct px_prop_spec *spec, int v)
{
	for (const struct px_prop_enum *en = spec->enums; en && en->nick; en++)
		if (en->value == v)
			return en->nick;
	return NULL;
}

/* Format the value of SPEC stored at STORE (a plain, non-atomic value). */
static int format_value(const struct px_prop_spec *spec, const void *store,
			char *buf, size_t len)
{
	const char *nick;
	int en;

	switch (spec->type) {
	case PX_PROP_BOOL:
		return snprintf(buf, len, "%s",
				*(const bool *)store ? "true" : "false");
	case PX_PROP_INT:
		return snprintf(buf, len, "%" PRId64, *(const int64_t *)store);
	case PX_PROP_UINT64:
		return snprintf(buf, len, "%" PRIu64, *(const uint64_t *)store);
	case PX_PROP_DOUBLE:
		return snprintf(buf, len, "%g", *(const double *)store);
	case PX_PROP_STRING: {
		const char *s = *(char *const *)store;
		return snprintf(buf, len, "%s", s ? s : "");
	}
	case PX_PROP_ENUM:
		en = *(const int *)store;
		nick = px__prop_enum_nick(spec, en);
		if (nick)
			return snprintf(buf, len, "%s", nick);
		return snprintf(buf, len, "%d", en);
	case PX_PROP_SIZE:
		return format_size(*(const uint64_t *)store, buf, len);
	case PX_PROP_DURATION:
		return format_duration(*(const int64_t *)store, buf, len);
	}
	return -EINVAL;
}

int px__prop_format(const struct px_prop_spec *spec, const void *priv,
		    char *buf, size_t len)
{
	union {
		bool b;
		int64_t i;
		uint64_t u;
		double d;
		const char *s;
		int e;
	} def;

	if (priv) {
		const void *store = (const char *)priv + spec->offset;

		if (!(spec->flags & PX_PROP_READONLY))
			return format_value(spec, store, buf, len);
		/* A statistic the reactor may be writing right now: one
		 * relaxed atomic load of the px_stat_* field (px_element.h). */
		if (spec->type == PX_PROP_INT || spec->type == PX_PROP_DURATION)
			def.i = px_stat_get((const px_stat_i64 *)store);
		else
			def.u = px_stat_get((const px_stat_u64 *)store);
		return format_value(spec, &def, buf, len);
	}
	switch (spec->type) {
	case PX_PROP_BOOL:
		def.b = spec->def_bool;
		break;
	case PX_PROP_INT:
	case PX_PROP_DURATION:
		def.i = spec->def_int;
		break;
	case PX_PROP_ENUM:
		def.e = (int)spec->def_int;
		break;
	case PX_PROP_UINT64:
	case PX_PROP_SIZE:
		def.u = spec->def_u64;
		break;
	case PX_PROP_DOUBLE:
		def.d = spec->def_double;
		break;
	case PX_PROP_STRING:
		def.s = spec->def_string;
		break;
	}
	return format_value(spec, &def, buf, len);
}
