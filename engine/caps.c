// SPDX-License-Identifier: MIT
/*
 * caps.c - capabilities: parse "media/type, field=(type)value, ..." text,
 * intersect two caps (a link is allowed when they intersect), and print the
 * canonical form that parses back to the same caps.
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

enum cfield_kind { CF_VALUE, CF_SET, CF_RANGE };

struct cfield {
	char *name;
	enum cfield_kind kind;
	unsigned n;	 /* VALUE: 1, SET: n >= 1, RANGE: 2 (lo, hi) */
	struct cval *v;
};

struct px_caps {
	atomic_int ref; /* relaxed inc, acq_rel dec: the usual refcount */
	bool any;
	char *media;
	unsigned n;
	struct cfield *f;
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

static void caps_free(struct px_caps *c)
{
	for (unsigned i = 0; i < c->n; i++)
		cfield_free(&c->f[i]);
	free(c->f);
	free(c->media);
	free(c);
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
};

static void skip_ws(struct parser *p)
{
	while (p->s[p->pos] == ' ' || p->s[p->pos] == '\t' ||
	       p->s[p->pos] == '\n')
		p->pos++;
}

static bool is_media_char(int ch)
{
	return isalnum(ch) || ch == '/' || ch == '.' || ch == '_' ||
	       ch == '+' || ch == '-';
}

static bool is_token_char(int ch)
{
	return ch && !strchr(",;{}[]()=\"' \t\n", ch);
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
		return (p->pos = start + len), -EINVAL;
	for (size_t i = 0; i < PX_ARRAY_SIZE(names); i++) {
		if (strlen(names[i].name) == len &&
		    !strncmp(names[i].name, p->s + start, len)) {
			*type = (int)names[i].t;
			p->pos = start + len + 1;
			return 0;
		}
	}
	p->pos = start;
	return -EINVAL;
}

/* A raw value: quoted string or token; *QUOTED tells which. */
static int parse_raw(struct parser *p, char **out, bool *quoted)
{
	size_t start = p->pos, len = 0, cap;
	char *buf;

	*quoted = p->s[p->pos] == '"';
	if (!*quoted) {
		while (is_token_char((unsigned char)p->s[p->pos]))
			p->pos++;
		if (p->pos == start)
			return -EINVAL;
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
			p->pos = start;
			return -EINVAL; /* unterminated quote */
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

static bool parse_bool_text(const char *t, bool *v)
{
	if (!strcmp(t, "true") || !strcmp(t, "TRUE") || !strcmp(t, "yes")) {
		*v = true;
		return true;
	}
	if (!strcmp(t, "false") || !strcmp(t, "FALSE") || !strcmp(t, "no")) {
		*v = false;
		return true;
	}
	return false;
}

/* One element value, typed by TYPE (-1: infer). Consumes the text. */
static int parse_elem(struct parser *p, int type, struct cval *out)
{
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
			return (p->pos = tpos), -EINVAL; /* conflicting types */
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
	p->pos = start;
	return -EINVAL;
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

static int parse_field(struct parser *p, struct cfield *f)
{
	size_t start = p->pos;
	int type = -1, err;

	while (isalnum((unsigned char)p->s[p->pos]) || p->s[p->pos] == '-' ||
	       p->s[p->pos] == '_' || p->s[p->pos] == '.')
		p->pos++;
	if (p->pos == start || !isalpha((unsigned char)p->s[start]))
		return (p->pos = start), -EINVAL;
	f->name = strndup(p->s + start, p->pos - start);
	if (!f->name)
		return -ENOMEM;
	skip_ws(p);
	if (p->s[p->pos] != '=')
		return -EINVAL;
	p->pos++;
	skip_ws(p);
	if (p->s[p->pos] == '(') {
		err = parse_type(p, &type);
		if (err)
			return err;
		skip_ws(p);
	}
	char open = p->s[p->pos];
	if (open != '{' && open != '[') {
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
	f->kind = open == '{' ? CF_SET : CF_RANGE;
	size_t open_pos = p->pos++;
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
		/* Every element of a set or range has the first one's type. */
		if (type < 0)
			type = (int)f->v[0].t;
		if (f->v[f->n - 1].t != f->v[0].t)
			return (p->pos = elem_pos), -EINVAL;
		if (f->kind == CF_RANGE && !is_integer(f->v[0].t))
			return (p->pos = elem_pos), -EINVAL;
		skip_ws(p);
		if (p->s[p->pos] == ',') {
			p->pos++;
			continue;
		}
		if (p->s[p->pos] != (open == '{' ? '}' : ']'))
			return -EINVAL;
		p->pos++;
		break;
	}
	if (f->kind == CF_RANGE &&
	    (f->n != 2 || cval_cmp_int(&f->v[0], &f->v[1]) > 0))
		return (p->pos = open_pos), -EINVAL;
	return 0;
}

PX_API int px_caps_parse(const char *text, struct px_caps **out,
			 size_t *errpos)
{
	struct parser p = { .s = text, .pos = 0 };
	struct px_caps *c;
	int err = -EINVAL;

	if (!text || !out) {
		if (errpos)
			*errpos = 0;
		return -EINVAL;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	atomic_init(&c->ref, 1);
	skip_ws(&p);
	size_t start = p.pos;
	while (is_media_char((unsigned char)text[p.pos]))
		p.pos++;
	if (p.pos == start || !isalpha((unsigned char)text[start])) {
		p.pos = start;
		goto err_free;
	}
	if (p.pos - start == 3 && !strncmp(text + start, "ANY", 3)) {
		c->any = true;
		skip_ws(&p);
		if (text[p.pos])
			goto err_free;
		*out = c;
		return 0;
	}
	c->media = strndup(text + start, p.pos - start);
	if (!c->media) {
		err = -ENOMEM;
		goto err_free;
	}
	for (;;) {
		struct cfield *nf;

		skip_ws(&p);
		if (!text[p.pos])
			break;
		if (text[p.pos] != ',')
			goto err_free;
		p.pos++;
		skip_ws(&p);
		size_t field_pos = p.pos;
		nf = realloc(c->f, (c->n + 1) * sizeof(*c->f));
		if (!nf) {
			err = -ENOMEM;
			goto err_free;
		}
		c->f = nf;
		memset(&c->f[c->n], 0, sizeof(c->f[0]));
		c->n++;
		err = parse_field(&p, &c->f[c->n - 1]);
		if (err)
			goto err_free;
		for (unsigned i = 0; i + 1 < c->n; i++) {
			if (!strcmp(c->f[i].name, c->f[c->n - 1].name)) {
				p.pos = field_pos; /* duplicate field */
				err = -EINVAL;
				goto err_free;
			}
		}
	}
	*out = c;
	return 0;
err_free:
	if (errpos)
		*errpos = p.pos;
	caps_free(c);
	return err == -ENOMEM ? -ENOMEM : -EINVAL;
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

/* Whether V lies in field F (any kind). */
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

/*
 * The intersection of two fields of the same name into OUT (when OUT is
 * not NULL). Returns 1 (non-empty), 0 (empty) or -ENOMEM.
 */
static int cfield_intersect(const struct cfield *a, const struct cfield *b,
			    struct cfield *out)
{
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

static const struct cfield *find_field(const struct px_caps *c,
				       const char *name)
{
	for (unsigned i = 0; i < c->n; i++)
		if (!strcmp(c->f[i].name, name))
			return &c->f[i];
	return NULL;
}

PX_API bool px_caps_can_intersect(const struct px_caps *a,
				  const struct px_caps *b)
{
	if (px_caps_is_any(a) || px_caps_is_any(b))
		return true;
	if (strcmp(a->media, b->media))
		return false;
	for (unsigned i = 0; i < a->n; i++) {
		const struct cfield *fb = find_field(b, a->f[i].name);

		if (fb && cfield_intersect(&a->f[i], fb, NULL) <= 0)
			return false;
	}
	return true;
}

static int cfield_copy(struct cfield *dst, const struct cfield *src)
{
	dst->kind = src->kind;
	dst->n = 0;
	dst->v = calloc(src->n, sizeof(*dst->v));
	if (!dst->v)
		return -ENOMEM;
	for (unsigned i = 0; i < src->n; i++) {
		if (cval_copy(&dst->v[i], &src->v[i]))
			return -ENOMEM;
		dst->n++;
	}
	return 0;
}

static struct px_caps *caps_copy(const struct px_caps *src)
{
	struct px_caps *c;

	if (px_caps_is_any(src))
		return px_caps_new_any(&c) ? NULL : c;
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	atomic_init(&c->ref, 1);
	c->media = strdup(src->media);
	c->f = calloc(src->n ? src->n : 1, sizeof(*c->f));
	if (!c->media || !c->f)
		goto err_free;
	for (unsigned i = 0; i < src->n; i++) {
		c->n++;
		c->f[i].name = strdup(src->f[i].name);
		if (!c->f[i].name || cfield_copy(&c->f[i], &src->f[i]))
			goto err_free;
	}
	return c;
err_free:
	caps_free(c);
	return NULL;
}

/* The intersection of A and B, which px_caps_can_intersect() allowed; NULL
 * only when out of memory. */
static struct px_caps *caps_intersect(const struct px_caps *a,
				      const struct px_caps *b)
{
	struct px_caps *c;

	if (px_caps_is_any(a))
		return caps_copy(b);
	if (px_caps_is_any(b))
		return caps_copy(a);
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	atomic_init(&c->ref, 1);
	c->media = strdup(a->media);
	c->f = calloc(a->n + b->n + 1, sizeof(*c->f));
	if (!c->media || !c->f)
		goto err_free;
	/* A's fields first (intersected with B's), then B's own. */
	for (unsigned i = 0; i < a->n; i++) {
		const struct cfield *fb = find_field(b, a->f[i].name);
		struct cfield *f = &c->f[c->n++];

		f->name = strdup(a->f[i].name);
		if (!f->name)
			goto err_free;
		if (fb ? cfield_intersect(&a->f[i], fb, f) <= 0 :
			 cfield_copy(f, &a->f[i]) < 0)
			goto err_free;
	}
	for (unsigned i = 0; i < b->n; i++) {
		struct cfield *f;

		if (find_field(a, b->f[i].name))
			continue;
		f = &c->f[c->n++];
		f->name = strdup(b->f[i].name);
		if (!f->name || cfield_copy(f, &b->f[i]))
			goto err_free;
	}
	return c;
err_free:
	caps_free(c);
	return NULL;
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

	if (px_caps_is_any(caps)) {
		sb_puts(&sb, "ANY");
	} else {
		sb_puts(&sb, caps->media);
		for (unsigned i = 0; i < caps->n; i++) {
			const struct cfield *f = &caps->f[i];

			sb_puts(&sb, ", ");
			sb_puts(&sb, f->name);
			sb_puts(&sb, "=(");
			sb_puts(&sb, type_names[f->v[0].t]);
			sb_putc(&sb, ')');
			if (f->kind != CF_VALUE)
				sb_putc(&sb, f->kind == CF_SET ? '{' : '[');
			for (unsigned j = 0; j < f->n; j++) {
				if (j)
					sb_puts(&sb, ", ");
				sb_val(&sb, &f->v[j]);
			}
			if (f->kind != CF_VALUE)
				sb_putc(&sb, f->kind == CF_SET ? '}' : ']');
		}
	}
	if (len)
		buf[sb.used < len ? sb.used : len - 1] = '\0';
	return sb.used;
}
