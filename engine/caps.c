// SPDX-License-Identifier: MIT
/*
 * caps.c - capabilities: parse "media/type, field=(type)value, ...; ..."
 * text (a list of structures, as GStreamer's), intersect two caps (a link
 * is allowed when they intersect), and print the canonical form that
 * parses back to the same caps. A failed parse says what is wrong and
 * where (px_caps_explain).
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "px_caps.h"

enum cval_type { CV_INT, CV_UINT64, CV_DOUBLE, CV_STRING, CV_BOOL };

struct cval {
	enum cval_type t;
	union {
		int64_t i;
		uint64_t u;
		double d;
		char *s;
		bool b;
	};
};

/* VALUE x, SET {a, b} (one of them), RANGE [lo, hi] (integers), ARRAY
 * <a, b> (one ordered value, as GStreamer's GstValueArray) */
enum cfield_kind { CF_VALUE, CF_SET, CF_RANGE, CF_ARRAY };

struct cfield {
	char *name;
	enum cfield_kind kind;
	unsigned n; /* VALUE: 1, SET: n >= 1, RANGE: 2 (lo, hi), ARRAY: n >= 0 */
	struct cval *v;
};

/* One structure: a media type and its fields. */
struct cstruct {
	char *media;
	unsigned n;
	struct cfield *f;
};

struct px_caps {
	atomic_int ref; /* relaxed inc, acq_rel dec: the usual refcount */
	bool any;
	unsigned ns; /* structures: any one of them is acceptable */
	struct cstruct *s;
};

static const char *const type_names[] = {
	[CV_INT] = "int", [CV_UINT64] = "uint64", [CV_DOUBLE] = "double",
	[CV_STRING] = "string", [CV_BOOL] = "bool",
};

/* ---- lifetime ------------------------------------------------------------ */

static void cval_free(struct cval *v)
{
	if (v->t == CV_STRING)
		free(v->s);
}

static void cfield_free(struct cfield *f)
{
	for (unsigned i = 0; i < f->n; i++)
		cval_free(&f->v[i]);
	free(f->v);
	free(f->name);
}

static void cstruct_free(struct cstruct *st)
{
	for (unsigned i = 0; i < st->n; i++)
		cfield_free(&st->f[i]);
	free(st->f);
	free(st->media);
}

static void caps_free(struct px_caps *c)
{
	for (unsigned i = 0; i < c->ns; i++)
		cstruct_free(&c->s[i]);
	free(c->s);
	free(c);
}

/* A new caps with room for NS structures (zeroed), or NULL. */
static struct px_caps *caps_alloc(unsigned ns)
{
	struct px_caps *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	atomic_init(&c->ref, 1);
	c->s = calloc(ns ? ns : 1, sizeof(*c->s));
	if (!c->s) {
		free(c);
		return NULL;
	}
	return c;
}

PX_API int px_caps_new_any(struct px_caps **out)
{
	struct px_caps *c = calloc(1, sizeof(*c));

	*out = c;
	if (!c)
		return -ENOMEM;
	atomic_init(&c->ref, 1);
	c->any = true;
	return 0;
}

PX_API struct px_caps *px_caps_ref(struct px_caps *caps)
{
	if (caps) /* relaxed: a new reference comes from an existing one */
		atomic_fetch_add_explicit(&caps->ref, 1, memory_order_relaxed);
	return caps;
}

PX_API void px_caps_unref(struct px_caps *caps)
{
	/* acq_rel: the last unref sees every write made under other refs */
	if (caps && atomic_fetch_sub_explicit(&caps->ref, 1,
					      memory_order_acq_rel) == 1)
		caps_free(caps);
}

PX_API bool px_caps_is_any(const struct px_caps *caps)
{
	return !caps || caps->any;
}

static int cval_copy(struct cval *dst, const struct cval *src)
{
	*dst = *src;
	if (src->t == CV_STRING) {
		dst->s = strdup(src->s);
		if (!dst->s)
			return -ENOMEM;
	}
	return 0;
}

/* ---- parsing ------------------------------------------------------------- */

struct parser {
	const char *s;
	size_t pos;
	const char *why; /* what is wrong at pos, for px_caps_explain */
};

/* Fail at byte AT saying WHY; returns -EINVAL. */
static int bad_at(struct parser *p, size_t at, const char *why)
{
	p->pos = at;
	p->why = why;
	return -EINVAL;
}

/* Whitespace, and a backslash before whitespace ("<0,\ 1>", as gst-launch
 * words keep their spaces). */
static void skip_ws(struct parser *p)
{
	for (;;) {
		char c = p->s[p->pos];

		if (c == ' ' || c == '\t' || c == '\n')
			p->pos++;
		else if (c == '\\' && (p->s[p->pos + 1] == ' ' ||
				       p->s[p->pos + 1] == '\t'))
			p->pos += 2;
		else
			return;
	}
}

static bool is_media_char(int ch)
{
	return isalnum(ch) || ch == '/' || ch == '.' || ch == '_' ||
	       ch == '+' || ch == '-';
}

static bool is_token_char(int ch)
{
	return ch && !strchr(",;{}[]()<>=\"'\\ \t\n", ch);
}

static int parse_type(struct parser *p, int *type)
{
	static const struct {
		const char *name;
		enum cval_type t;
	} names[] = {
		{ "int", CV_INT },	  { "i", CV_INT },
		{ "int64", CV_INT },	  { "uint64", CV_UINT64 },
		{ "double", CV_DOUBLE },  { "d", CV_DOUBLE },
		{ "float", CV_DOUBLE },	  { "string", CV_STRING },
		{ "s", CV_STRING },	  { "str", CV_STRING },
		{ "bool", CV_BOOL },	  { "boolean", CV_BOOL },
		{ "b", CV_BOOL },
	};
	size_t start = ++p->pos, len = 0; /* past '(' */

	while (isalnum((unsigned char)p->s[start + len]))
		len++;
	if (p->s[start + len] != ')')
		return bad_at(p, start + len, "a type in '(...)' is a word: "
				"(int), (uint64), (double), (string), (bool)");
	for (size_t i = 0; i < PX_ARRAY_SIZE(names); i++) {
		if (strlen(names[i].name) == len &&
		    !strncmp(names[i].name, p->s + start, len)) {
			*type = (int)names[i].t;
			p->pos = start + len + 1;
			return 0;
		}
	}
	return bad_at(p, start, "unknown type: write (int), (uint64), "
			"(double), (string) or (bool)");
}

/* A raw value: quoted string or token; *QUOTED tells which. In a quoted
 * string a backslash takes the next character ("x\"y", "a\,b"). */
static int parse_raw(struct parser *p, char **out, bool *quoted)
{
	size_t start = p->pos, len = 0, cap;
	char *buf;

	*quoted = p->s[p->pos] == '"';
	if (!*quoted) {
		while (is_token_char((unsigned char)p->s[p->pos]))
			p->pos++;
		if (p->pos == start)
			return bad_at(p, start, "a value is missing here");
		*out = strndup(p->s + start, p->pos - start);
		return *out ? 0 : -ENOMEM;
	}
	cap = strlen(p->s + start) + 1;
	buf = malloc(cap);
	if (!buf)
		return -ENOMEM;
	p->pos++;
	for (;;) {
		char ch = p->s[p->pos];

		if (!ch) {
			free(buf);
			return bad_at(p, start, "this quote is never closed");
		}
		p->pos++;
		if (ch == '"')
			break;
		if (ch == '\\' && p->s[p->pos])
			ch = p->s[p->pos++];
		buf[len++] = ch;
	}
	buf[len] = '\0';
	*out = buf;
	return 0;
}
static bool parse_int_text(const char *t, int64_t *v)
{
	char *end;

	if (!*t || isspace((unsigned char)*t))
		return false;
	errno = 0;
	long long x = strtoll(t, &end, 0);
	if (errno || *end)
		return false;
	*v = x;
	return true;
}

static bool parse_u64_text(const char *t, uint64_t *v)
{
	char *end;

	if (!*t || *t == '-' || isspace((unsigned char)*t))
		return false;
	errno = 0;
	unsigned long long x = strtoull(t, &end, 0);
	if (errno || *end)
		return false;
	*v = x;
	return true;
}

static bool parse_double_text(const char *t, double *v)
{
	char *end;

	if (!*t || isspace((unsigned char)*t))
		return false;
	errno = 0;
	double x = strtod(t, &end);
	if (errno || *end || !isfinite(x))
		return false;
	*v = x;
	return true;
}

/* true/false, yes/no, in any case (GStreamer writes TRUE). */
static bool parse_bool_text(const char *t, bool *v)
{
	if (!strcasecmp(t, "true") || !strcasecmp(t, "yes")) {
		*v = true;
		return true;
	}
	if (!strcasecmp(t, "false") || !strcasecmp(t, "no")) {
		*v = false;
		return true;
	}
	return false;
}

/* One element value, typed by TYPE (-1: infer). Consumes the text. */
static int parse_elem(struct parser *p, int type, struct cval *out)
{
	static const char *const not_a[] = {
		[CV_INT] = "not an integer", [CV_UINT64] = "not an unsigned integer",
		[CV_DOUBLE] = "not a number", [CV_STRING] = "",
		[CV_BOOL] = "not a boolean (true or false)",
	};
	size_t start;
	bool quoted;
	char *raw;
	int err;

	if (p->s[p->pos] == '(') {
		int given;
		size_t tpos = p->pos;

		err = parse_type(p, &given);
		if (err)
			return err;
		if (type >= 0 && given != type)
			return bad_at(p, tpos, "this element's type differs from "
					"the others'");
		type = given;
		skip_ws(p);
	}
	start = p->pos;
	err = parse_raw(p, &raw, &quoted);
	if (err)
		return err;
	if (quoted && type < 0)
		type = CV_STRING;
	if (type < 0) {
		if (parse_int_text(raw, &out->i))
			out->t = CV_INT;
		else if (parse_u64_text(raw, &out->u))
			out->t = CV_UINT64;
		else if (parse_double_text(raw, &out->d))
			out->t = CV_DOUBLE;
		else if (parse_bool_text(raw, &out->b))
			out->t = CV_BOOL;
		else
			goto as_string;
		free(raw);
		return 0;
	}
	out->t = (enum cval_type)type;
	switch (out->t) {
	case CV_INT:
		if (!parse_int_text(raw, &out->i))
			goto bad;
		break;
	case CV_UINT64:
		if (!parse_u64_text(raw, &out->u))
			goto bad;
		break;
	case CV_DOUBLE:
		if (!parse_double_text(raw, &out->d))
			goto bad;
		break;
	case CV_BOOL:
		if (!parse_bool_text(raw, &out->b))
			goto bad;
		break;
	case CV_STRING:
		goto as_string;
	}
	free(raw);
	return 0;
as_string:
	out->t = CV_STRING;
	out->s = raw;
	return 0;
bad:
	free(raw);
	return bad_at(p, start, not_a[out->t]);
}

static bool is_integer(enum cval_type t)
{
	return t == CV_INT || t == CV_UINT64;
}

static int cval_cmp_int(const struct cval *a, const struct cval *b)
{
	/* Signed vs unsigned without overflow. */
	if (a->t == CV_INT && a->i < 0)
		return (b->t == CV_INT && b->i < a->i) ? 1 :
		       (b->t == CV_INT && b->i == a->i) ? 0 : -1;
	if (b->t == CV_INT && b->i < 0)
		return 1;
	uint64_t x = a->t == CV_INT ? (uint64_t)a->i : a->u;
	uint64_t y = b->t == CV_INT ? (uint64_t)b->i : b->u;
	return x < y ? -1 : x > y;
}

/* The elements of a set, range or array after its opening OPEN, with
 * their common TYPE (-1: the first one's). */
static int parse_members(struct parser *p, struct cfield *f, int type,
			 char open)
{
	char close = open == '{' ? '}' : open == '[' ? ']' : '>';
	size_t open_pos = p->pos++;
	int err;

	skip_ws(p);
	if (open == '<' && p->s[p->pos] == '>') {
		p->pos++; /* an empty array */
		return 0;
	}
	for (;;) {
		struct cval *nv;

		skip_ws(p);
		size_t elem_pos = p->pos;
		nv = realloc(f->v, (f->n + 1) * sizeof(*f->v));
		if (!nv)
			return -ENOMEM;
		f->v = nv;
		err = parse_elem(p, type, &f->v[f->n]);
		if (err)
			return err;
		f->n++;
		/* Every element has the first one's type. */
		if (type < 0)
			type = (int)f->v[0].t;
		if (f->v[f->n - 1].t != f->v[0].t)
			return bad_at(p, elem_pos, "every element of a set, "
					"range or array has one type");
		if (f->kind == CF_RANGE && !is_integer(f->v[0].t))
			return bad_at(p, elem_pos, "a range [lo, hi] holds "
					"integers");
		skip_ws(p);
		if (p->s[p->pos] == ',') {
			p->pos++;
			continue;
		}
		if (p->s[p->pos] != close)
			return bad_at(p, p->pos, open == '{' ?
					"expected ',' or '}' in this set" :
					open == '[' ? "expected ',' or ']' in "
						      "this range" :
					"expected ',' or '>' in this array");
		p->pos++;
		break;
	}
	if (f->kind == CF_RANGE &&
	    (f->n != 2 || cval_cmp_int(&f->v[0], &f->v[1]) > 0))
		return bad_at(p, open_pos, "a range is [lo, hi]: two integers, "
				"the lower first");
	return 0;
}

static int parse_field(struct parser *p, struct cfield *f)
{
	size_t start = p->pos;
	int type = -1, err;
	char open;

	while (isalnum((unsigned char)p->s[p->pos]) || p->s[p->pos] == '-' ||
	       p->s[p->pos] == '_' || p->s[p->pos] == '.')
		p->pos++;
	if (p->pos == start || !isalpha((unsigned char)p->s[start]))
		return bad_at(p, start, "expected a field name (a letter, then "
				"letters, digits, '-', '_' or '.')");
	f->name = strndup(p->s + start, p->pos - start);
	if (!f->name)
		return -ENOMEM;
	skip_ws(p);
	if (p->s[p->pos] != '=')
		return bad_at(p, p->pos, "a field is name=value: '=' is missing");
	p->pos++;
	skip_ws(p);
	if (p->s[p->pos] == '(') {
		err = parse_type(p, &type);
		if (err)
			return err;
		skip_ws(p);
	}
	open = p->s[p->pos];
	if (open != '{' && open != '[' && open != '<') {
		f->kind = CF_VALUE;
		f->v = calloc(1, sizeof(*f->v));
		if (!f->v)
			return -ENOMEM;
		err = parse_elem(p, type, &f->v[0]);
		if (err)
			return err;
		f->n = 1;
		return 0;
	}
	f->kind = open == '{' ? CF_SET : open == '[' ? CF_RANGE : CF_ARRAY;
	return parse_members(p, f, type, open);
}

/* One structure: "media/type, field=value, ..." up to ';' or the end. */
static int parse_struct(struct parser *p, struct cstruct *st)
{
	size_t start = p->pos;
	int err;

	while (is_media_char((unsigned char)p->s[p->pos]))
		p->pos++;
	if (p->pos == start || !isalpha((unsigned char)p->s[start]))
		return bad_at(p, start, "expected a media type (a letter first, "
				"as in application/x-rec) or ANY");
	if (p->pos - start == 3 && !strncmp(p->s + start, "ANY", 3))
		return bad_at(p, start, "ANY stands alone, not in a list");
	st->media = strndup(p->s + start, p->pos - start);
	if (!st->media)
		return -ENOMEM;
	for (;;) {
		struct cfield *nf;

		skip_ws(p);
		if (!p->s[p->pos] || p->s[p->pos] == ';')
			return 0;
		if (p->s[p->pos] != ',')
			return bad_at(p, p->pos, "expected ',' before the next "
					"field, or ';' before the next "
					"structure");
		p->pos++;
		skip_ws(p);
		size_t field_pos = p->pos;
		nf = realloc(st->f, (st->n + 1) * sizeof(*st->f));
		if (!nf)
			return -ENOMEM;
		st->f = nf;
		memset(&st->f[st->n], 0, sizeof(st->f[0]));
		st->n++;
		err = parse_field(p, &st->f[st->n - 1]);
		if (err)
			return err;
		for (unsigned i = 0; i + 1 < st->n; i++)
			if (!strcmp(st->f[i].name, st->f[st->n - 1].name))
				return bad_at(p, field_pos, "this field is "
						"given twice");
	}
}

/* Parse TEXT into *OUT; on failure P says where and why. */
static int caps_parse(struct parser *p, struct px_caps **out)
{
	struct px_caps *c = caps_alloc(1);
	int err;

	if (!c)
		return -ENOMEM;
	skip_ws(p);
	if (!strncmp(p->s + p->pos, "ANY", 3) &&
	    !is_media_char((unsigned char)p->s[p->pos + 3])) {
		c->any = true;
		p->pos += 3;
		skip_ws(p);
		if (p->s[p->pos]) {
			caps_free(c);
			return bad_at(p, p->pos, "ANY stands alone: nothing may "
					"follow it");
		}
		*out = c;
		return 0;
	}
	for (;;) {
		struct cstruct *ns = realloc(c->s, (c->ns + 1) * sizeof(*ns));

		if (!ns) {
			caps_free(c);
			return -ENOMEM;
		}
		c->s = ns;
		memset(&c->s[c->ns], 0, sizeof(c->s[0]));
		c->ns++;
		err = parse_struct(p, &c->s[c->ns - 1]);
		if (err) {
			caps_free(c);
			return err;
		}
		if (!p->s[p->pos])
			break;
		p->pos++; /* ';' */
		skip_ws(p);
		if (!p->s[p->pos])
			break; /* a trailing ';' ends the list */
	}
	*out = c;
	return 0;
}

PX_API int px_caps_parse(const char *text, struct px_caps **out,
			 size_t *errpos)
{
	struct parser p = { .s = text };
	int err;

	if (!text || !out) {
		if (errpos)
			*errpos = 0;
		return -EINVAL;
	}
	err = caps_parse(&p, out);
	if (err && errpos)
		*errpos = p.pos;
	return err;
}

PX_API size_t px_caps_explain(const char *text, char *buf, size_t len)
{
	struct parser p = { .s = text };
	struct px_caps *c = NULL;
	int err, n;

	if (!text)
		n = snprintf(buf, len, "no caps text");
	else if (!(err = caps_parse(&p, &c)))
		n = 0, px_caps_unref(c), (len ? buf[0] = '\0' : 0);
	else if (err == -ENOMEM)
		n = snprintf(buf, len, "out of memory");
	else
		n = snprintf(buf, len, "at byte %zu ('%.12s%s'): %s", p.pos,
			     text + p.pos, strlen(text + p.pos) > 12 ? "..." : "",
			     p.why ? p.why : "unexpected text");
	return n < 0 ? 0 : (size_t)n;
}

/* ---- intersection --------------------------------------------------------- */

static bool cval_eq(const struct cval *a, const struct cval *b)
{
	if (is_integer(a->t) && is_integer(b->t))
		return cval_cmp_int(a, b) == 0;
	if (a->t == CV_DOUBLE || b->t == CV_DOUBLE) {
		double x = a->t == CV_DOUBLE ? a->d :
			   a->t == CV_INT ? (double)a->i :
			   a->t == CV_UINT64 ? (double)a->u : NAN;
		double y = b->t == CV_DOUBLE ? b->d :
			   b->t == CV_INT ? (double)b->i :
			   b->t == CV_UINT64 ? (double)b->u : NAN;
		return x == y;
	}
	if (a->t != b->t)
		return false;
	if (a->t == CV_STRING)
		return !strcmp(a->s, b->s);
	return a->b == b->b;
}

/* Whether V lies in field F (a value, set or range). */
static bool cfield_contains(const struct cfield *f, const struct cval *v)
{
	if (f->kind == CF_RANGE)
		return is_integer(v->t) && cval_cmp_int(&f->v[0], v) <= 0 &&
		       cval_cmp_int(v, &f->v[1]) <= 0;
	for (unsigned i = 0; i < f->n; i++)
		if (cval_eq(&f->v[i], v))
			return true;
	return false;
}

/* Two arrays are one value each: equal element by element. */
static bool array_eq(const struct cfield *a, const struct cfield *b)
{
	if (a->n != b->n)
		return false;
	for (unsigned i = 0; i < a->n; i++)
		if (!cval_eq(&a->v[i], &b->v[i]))
			return false;
	return true;
}

static int cfield_copy(struct cfield *dst, const struct cfield *src)
{
	dst->kind = src->kind;
	dst->n = 0;
	dst->v = calloc(src->n ? src->n : 1, sizeof(*dst->v));
	if (!dst->v)
		return -ENOMEM;
	for (unsigned i = 0; i < src->n; i++) {
		if (cval_copy(&dst->v[i], &src->v[i]))
			return -ENOMEM;
		dst->n++;
	}
	return 0;
}

/*
 * The intersection of two fields of the same name into OUT (when OUT is
 * not NULL). Returns 1 (non-empty), 0 (empty) or -ENOMEM.
 */
static int cfield_intersect(const struct cfield *a, const struct cfield *b,
			    struct cfield *out)
{
	if (a->kind == CF_ARRAY || b->kind == CF_ARRAY) {
		if (a->kind != b->kind || !array_eq(a, b))
			return 0;
		return out ? (cfield_copy(out, a) ? -ENOMEM : 1) : 1;
	}
	if (a->kind == CF_RANGE && b->kind == CF_RANGE) {
		const struct cval *lo = cval_cmp_int(&a->v[0], &b->v[0]) >= 0 ?
						&a->v[0] : &b->v[0];
		const struct cval *hi = cval_cmp_int(&a->v[1], &b->v[1]) <= 0 ?
						&a->v[1] : &b->v[1];
		if (cval_cmp_int(lo, hi) > 0)
			return 0;
		if (!out)
			return 1;
		out->v = calloc(2, sizeof(*out->v));
		if (!out->v)
			return -ENOMEM;
		out->v[0] = *lo;
		out->v[1] = *hi;
		out->n = cval_cmp_int(lo, hi) == 0 ? 1 : 2;
		out->kind = out->n == 1 ? CF_VALUE : CF_RANGE;
		return 1;
	}
	if (a->kind == CF_RANGE) {
		const struct cfield *t = a;
		a = b;
		b = t;
	}
	/* A is a value or a set: keep its members that B contains. */
	unsigned keep = 0;
	for (unsigned i = 0; i < a->n; i++)
		keep += cfield_contains(b, &a->v[i]);
	if (!keep)
		return 0;
	if (!out)
		return 1;
	out->v = calloc(keep, sizeof(*out->v));
	if (!out->v)
		return -ENOMEM;
	for (unsigned i = 0; i < a->n; i++) {
		if (!cfield_contains(b, &a->v[i]))
			continue;
		if (cval_copy(&out->v[out->n], &a->v[i]))
			return -ENOMEM;
		out->n++;
	}
	out->kind = out->n == 1 ? CF_VALUE : CF_SET;
	return 1;
}

static const struct cfield *find_field(const struct cstruct *st,
				       const char *name)
{
	for (unsigned i = 0; i < st->n; i++)
		if (!strcmp(st->f[i].name, name))
			return &st->f[i];
	return NULL;
}

/* Two structures meet: same media type, and every field both name meets. */
static bool cstruct_meet(const struct cstruct *a, const struct cstruct *b)
{
	if (strcmp(a->media, b->media))
		return false;
	for (unsigned i = 0; i < a->n; i++) {
		const struct cfield *fb = find_field(b, a->f[i].name);

		if (fb && cfield_intersect(&a->f[i], fb, NULL) <= 0)
			return false;
	}
	return true;
}

PX_API bool px_caps_can_intersect(const struct px_caps *a,
				  const struct px_caps *b)
{
	if (px_caps_is_any(a) || px_caps_is_any(b))
		return true;
	for (unsigned i = 0; i < a->ns; i++)
		for (unsigned j = 0; j < b->ns; j++)
			if (cstruct_meet(&a->s[i], &b->s[j]))
				return true;
	return false;
}

static int cstruct_copy(struct cstruct *dst, const struct cstruct *src)
{
	dst->media = strdup(src->media);
	dst->f = calloc(src->n ? src->n : 1, sizeof(*dst->f));
	if (!dst->media || !dst->f)
		return -ENOMEM;
	for (unsigned i = 0; i < src->n; i++) {
		dst->n++;
		dst->f[i].name = strdup(src->f[i].name);
		if (!dst->f[i].name || cfield_copy(&dst->f[i], &src->f[i]))
			return -ENOMEM;
	}
	return 0;
}

static struct px_caps *caps_copy(const struct px_caps *src)
{
	struct px_caps *c;

	if (px_caps_is_any(src))
		return px_caps_new_any(&c) ? NULL : c;
	c = caps_alloc(src->ns);
	if (!c)
		return NULL;
	for (unsigned i = 0; i < src->ns; i++) {
		c->ns++;
		if (cstruct_copy(&c->s[i], &src->s[i])) {
			caps_free(c);
			return NULL;
		}
	}
	return c;
}

/* The intersection of two structures that meet, into DST: A's fields
 * first (intersected with B's), then B's own. */
static int cstruct_intersect(struct cstruct *dst, const struct cstruct *a,
			     const struct cstruct *b)
{
	dst->media = strdup(a->media);
	dst->f = calloc(a->n + b->n + 1, sizeof(*dst->f));
	if (!dst->media || !dst->f)
		return -ENOMEM;
	for (unsigned i = 0; i < a->n; i++) {
		const struct cfield *fb = find_field(b, a->f[i].name);
		struct cfield *f = &dst->f[dst->n++];

		f->name = strdup(a->f[i].name);
		if (!f->name)
			return -ENOMEM;
		if (fb ? cfield_intersect(&a->f[i], fb, f) <= 0 :
			 cfield_copy(f, &a->f[i]) < 0)
			return -ENOMEM;
	}
	for (unsigned i = 0; i < b->n; i++) {
		struct cfield *f;

		if (find_field(a, b->f[i].name))
			continue;
		f = &dst->f[dst->n++];
		f->name = strdup(b->f[i].name);
		if (!f->name || cfield_copy(f, &b->f[i]))
			return -ENOMEM;
	}
	return 0;
}

/* The intersection of A and B, which px_caps_can_intersect() allowed: every
 * pair of structures that meet, in A's order. NULL only when out of
 * memory. */
static struct px_caps *caps_intersect(const struct px_caps *a,
				      const struct px_caps *b)
{
	struct px_caps *c;

	if (px_caps_is_any(a))
		return caps_copy(b);
	if (px_caps_is_any(b))
		return caps_copy(a);
	c = caps_alloc(a->ns * b->ns);
	if (!c)
		return NULL;
	for (unsigned i = 0; i < a->ns; i++) {
		for (unsigned j = 0; j < b->ns; j++) {
			if (!cstruct_meet(&a->s[i], &b->s[j]))
				continue;
			if (cstruct_intersect(&c->s[c->ns++], &a->s[i],
					      &b->s[j])) {
				caps_free(c);
				return NULL;
			}
		}
	}
	return c;
}

PX_API int px_caps_intersect(const struct px_caps *a, const struct px_caps *b,
			     struct px_caps **out)
{
	*out = NULL;
	if (!px_caps_can_intersect(a, b))
		return -ENODATA;
	*out = caps_intersect(a, b);
	return *out ? 0 : -ENOMEM;
}

/* ---- printing ------------------------------------------------------------- */

struct sbuf {
	char *buf;
	size_t len, used;
};

static void sb_putc(struct sbuf *sb, char ch)
{
	if (sb->used + 1 < sb->len)
		sb->buf[sb->used] = ch;
	sb->used++;
}

static void sb_puts(struct sbuf *sb, const char *s)
{
	while (*s)
		sb_putc(sb, *s++);
}

static bool needs_quotes(const char *s)
{
	if (!*s)
		return true;
	for (const char *q = s; *q; q++)
		if (!is_token_char((unsigned char)*q))
			return true;
	return false;
}

static void sb_val(struct sbuf *sb, const struct cval *v)
{
	char tmp[64];

	switch (v->t) {
	case CV_INT:
		snprintf(tmp, sizeof(tmp), "%" PRId64, v->i);
		break;
	case CV_UINT64:
		snprintf(tmp, sizeof(tmp), "%" PRIu64, v->u);
		break;
	case CV_DOUBLE:
		snprintf(tmp, sizeof(tmp), "%.17g", v->d);
		break;
	case CV_BOOL:
		snprintf(tmp, sizeof(tmp), "%s", v->b ? "true" : "false");
		break;
	case CV_STRING:
		if (!needs_quotes(v->s)) {
			sb_puts(sb, v->s);
			return;
		}
		sb_putc(sb, '"');
		for (const char *q = v->s; *q; q++) {
			if (*q == '"' || *q == '\\')
				sb_putc(sb, '\\');
			sb_putc(sb, *q);
		}
		sb_putc(sb, '"');
		return;
	}
	sb_puts(sb, tmp);
}

PX_API size_t px_caps_to_string(const struct px_caps *caps, char *buf,
				size_t len)
{
	struct sbuf sb = { .buf = buf, .len = len, .used = 0 };

	static const char open[] = { [CF_SET] = '{', [CF_RANGE] = '[',
				     [CF_ARRAY] = '<' };
	static const char close[] = { [CF_SET] = '}', [CF_RANGE] = ']',
				      [CF_ARRAY] = '>' };

	if (px_caps_is_any(caps))
		sb_puts(&sb, "ANY");
	for (unsigned k = 0; !px_caps_is_any(caps) && k < caps->ns; k++) {
		const struct cstruct *st = &caps->s[k];

		if (k)
			sb_puts(&sb, "; ");
		sb_puts(&sb, st->media);
		for (unsigned i = 0; i < st->n; i++) {
			const struct cfield *f = &st->f[i];

			sb_puts(&sb, ", ");
			sb_puts(&sb, f->name);
			/* an empty array has no element to type it */
			if (f->n) {
				sb_puts(&sb, "=(");
				sb_puts(&sb, type_names[f->v[0].t]);
				sb_putc(&sb, ')');
			} else {
				sb_putc(&sb, '=');
			}
			if (f->kind != CF_VALUE)
				sb_putc(&sb, open[f->kind]);
			for (unsigned j = 0; j < f->n; j++) {
				if (j)
					sb_puts(&sb, ", ");
				sb_val(&sb, &f->v[j]);
			}
			if (f->kind != CF_VALUE)
				sb_putc(&sb, close[f->kind]);
		}
	}
	if (len)
		buf[sb.used < len ? sb.used : len - 1] = '\0';
	return sb.used;
}
