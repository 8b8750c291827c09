// SPDX-License-Identifier: MIT
/*
 * parse_syntax.c - the launch-string lexer and parser: one pass over the
 * bytes, building the syntax tree of parse_int.h. It never touches the
 * engine, so every syntax error is reported before anything is created.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parse_int.h"

struct lexer {
	const char *s;
	size_t pos, len;
	struct px__parse_ast *ast;
	struct px_parse_error *err;
};

static bool is_ws(int c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' ||
	       c == '\f';
}

static bool is_alpha(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_digit(int c)
{
	return c >= '0' && c <= '9';
}

/* GStreamer's identifiers may start with a digit or '_' as well. */
static bool is_ident_start(int c)
{
	return is_alpha(c) || is_digit(c) || c == '_';
}

static bool is_ident_char(int c)
{
	return is_alpha(c) || is_digit(c) || c == '_' || c == '-' || c == '%';
}

/* Characters of a media type before its '/' ("application", "x-rec"). */
static bool is_mime_char(int c)
{
	return is_alpha(c) || is_digit(c) || c == '-' || c == '+' || c == '.';
}

static int peek(const struct lexer *lx)
{
	return lx->pos < lx->len ? (unsigned char)lx->s[lx->pos] : -1;
}

static bool at_end(const struct lexer *lx)
{
	return lx->pos >= lx->len;
}

/* Something that ends a value: end of input, whitespace or '!'. */
static bool at_delim(const struct lexer *lx)
{
	int c = peek(lx);

	return c < 0 || is_ws(c) || c == '!';
}

/* A link operator at POS: '!', or ':' (link all pads) when it does not
 * start "::" (child properties, refused elsewhere). */
static bool at_link_op(const struct lexer *lx)
{
	int c = peek(lx);

	if (c == '!')
		return true;
	return c == ':' && !(lx->pos + 1 < lx->len && lx->s[lx->pos + 1] == ':');
}

/* Something that ends an element name or a reference: a value's ends or a
 * link operator (values keep their ':', as in host=::1). */
static bool at_name_end(const struct lexer *lx)
{
	return at_delim(lx) || at_link_op(lx);
}

static struct px__parse_span span(size_t off, size_t len)
{
	return (struct px__parse_span){ .off = (uint32_t)off,
					.len = (uint32_t)len };
}

/* "'x'" for a printable byte, "byte 0xNN" otherwise, into BUF. */
static const char *describe(int c, char *buf, size_t len)
{
	if (c < 0)
		snprintf(buf, len, "end of input");
	else if (c > 0x20 && c < 0x7f)
		snprintf(buf, len, "'%c'", c);
	else
		snprintf(buf, len, "byte 0x%02x", (unsigned)c);
	return buf;
}

/*
 * Skip whitespace and, when COMMENTS, '#' comments: a '#' that starts a
 * token (after whitespace, '!' or at the very start) runs to end of line.
 */
static void skip_ws(struct lexer *lx, bool comments)
{
	while (!at_end(lx)) {
		int c = peek(lx);

		if (is_ws(c)) {
			lx->pos++;
		} else if (comments && c == '#' &&
			   (lx->pos == 0 || is_ws(lx->s[lx->pos - 1]) ||
			    lx->s[lx->pos - 1] == '!')) {
			while (!at_end(lx) && peek(lx) != '\n')
				lx->pos++;
		} else {
			break;
		}
	}
}

static size_t scan_ident(struct lexer *lx)
{
	size_t start = lx->pos;

	while (!at_end(lx) && is_ident_char(peek(lx)))
		lx->pos++;
	return lx->pos - start;
}

/* ---- Tree storage -------------------------------------------------------- */

static int grow(void **arr, unsigned *cap, unsigned need, size_t size)
{
	unsigned ncap;
	void *n;

	if (need <= *cap)
		return 0;
	ncap = *cap ? *cap * 2 : 8;
	n = realloc(*arr, (size_t)ncap * size);
	if (!n)
		return -ENOMEM;
	*arr = n;
	*cap = ncap;
	return 0;
}

static char *arena_copy(struct lexer *lx, size_t off, size_t len)
{
	struct px__parse_ast *ast = lx->ast;
	char *p = ast->arena + ast->arena_used;

	memcpy(p, lx->s + off, len);
	p[len] = '\0';
	ast->arena_used += len + 1;
	return p;
}

static int push_node(struct lexer *lx, const struct px__parse_node *n)
{
	struct px__parse_ast *ast = lx->ast;

	if (grow((void **)&ast->nodes, &ast->cap_nodes, ast->n_nodes + 1,
		 sizeof(*n)))
		return -ENOMEM;
	ast->nodes[ast->n_nodes++] = *n;
	return 0;
}

static int push_prop(struct lexer *lx, const struct px__parse_prop *p)
{
	struct px__parse_ast *ast = lx->ast;

	if (grow((void **)&ast->props, &ast->cap_props, ast->n_props + 1,
		 sizeof(*p)))
		return -ENOMEM;
	ast->props[ast->n_props++] = *p;
	return 0;
}

static int push_link(struct lexer *lx, const struct px__parse_link *l)
{
	struct px__parse_ast *ast = lx->ast;

	if (grow((void **)&ast->links, &ast->cap_links, ast->n_links + 1,
		 sizeof(*l)))
		return -ENOMEM;
	ast->links[ast->n_links++] = *l;
	return 0;
}

void px__parse_ast_free(struct px__parse_ast *ast)
{
	if (!ast)
		return;
	free(ast->nodes);
	free(ast->props);
	free(ast->links);
	free(ast->arena);
	memset(ast, 0, sizeof(*ast));
}

#define syntax_error(lx, sp, ...) \
	px__parse_error_set((lx)->err, (lx)->s, -EINVAL, sp, __VA_ARGS__)

/* ---- Values -------------------------------------------------------------- */

/*
 * A property value: quoted ('...' or "..."), or bare up to whitespace or
 * '!'. A backslash takes the next byte literally in both forms. The
 * unescaped text goes to the arena (never longer than the source).
 */
static int parse_value(struct lexer *lx, const struct px__parse_prop *p,
		       const char **value, struct px__parse_span *vspan)
{
	struct px__parse_ast *ast = lx->ast;
	char *out = ast->arena + ast->arena_used, *o = out;
	size_t start = lx->pos;
	char buf[16];
	int c = peek(lx);

	if (c < 0 || c == '!')
		return syntax_error(lx, p->key_span,
				    "property '%s' has no value (write %s=VALUE)",
				    p->key, p->key);
	if (c == '"' || c == '\'') {
		int q = c;

		lx->pos++;
		for (;;) {
			if (at_end(lx))
				return syntax_error(lx, span(start, 1),
						    "unterminated quoted value of "
						    "property '%s' (missing %c)",
						    p->key, q);
			c = peek(lx);
			if (c == '\\' && lx->pos + 1 < lx->len) {
				*o++ = lx->s[lx->pos + 1];
				lx->pos += 2;
				continue;
			}
			lx->pos++;
			if (c == q)
				break;
			*o++ = (char)c;
		}
		if (!at_delim(lx))
			return syntax_error(lx, span(lx->pos, 1),
					    "unexpected %s after the closing "
					    "quote of property '%s'",
					    describe(peek(lx), buf, sizeof(buf)),
					    p->key);
	} else {
		/* As gst_parse_unescape(): inside double quotes within a
		 * bare value (caps=a/b,s=(string)"x\,y") backslashes stay for
		 * the value's own parser, and '!' does not end the value. */
		bool inner = false;

		for (c = peek(lx); c >= 0 && !is_ws(c) && (inner || c != '!');
		     c = peek(lx)) {
			if (c == '\\' && lx->pos + 1 < lx->len) {
				if (inner)
					*o++ = '\\';
				*o++ = lx->s[lx->pos + 1];
				lx->pos += 2;
				continue;
			}
			if (c == '"')
				inner = !inner;
			*o++ = (char)c;
			lx->pos++;
		}
	}
	*o++ = '\0';
	ast->arena_used += (size_t)(o - out);
	*value = out;
	*vspan = span(start, lx->pos - start);
	return 0;
}

/*
 * After an element's factory word: KEY ws* '=' ws* VALUE, repeated. A word
 * not followed by '=' is left alone: it starts the next chain.
 */
static int parse_props(struct lexer *lx, struct px__parse_node *node)
{
	for (;;) {
		struct px__parse_prop p = { 0 };
		size_t save = lx->pos, kstart, klen;
		int r;

		skip_ws(lx, true);
		if (!is_ident_start(peek(lx))) {
			lx->pos = save;
			return 0;
		}
		kstart = lx->pos;
		klen = scan_ident(lx);
		if (peek(lx) == ':' && lx->pos + 1 < lx->len &&
		    lx->s[lx->pos + 1] == ':')
			return syntax_error(lx, span(kstart, lx->pos + 2 - kstart),
					    "child properties ('parent::child=') "
					    "are not supported");
		skip_ws(lx, false);
		if (peek(lx) != '=') {
			lx->pos = save;
			return 0;
		}
		lx->pos++;
		skip_ws(lx, false);
		p.key = arena_copy(lx, kstart, klen);
		p.key_span = span(kstart, klen);
		r = parse_value(lx, &p, &p.value, &p.value_span);
		if (r)
			return r;
		r = push_prop(lx, &p);
		if (r)
			return r;
		node->n_props++;
	}
}

/* ---- Endpoints ----------------------------------------------------------- */

/*
 * A node that takes no properties (a reference, a URI) is just behind:
 * when KEY= follows, *KSPAN gets the key and the result is true. The
 * position is left where it was.
 */
static bool props_follow(struct lexer *lx, struct px__parse_span *kspan)
{
	size_t save = lx->pos;
	bool found = false;

	skip_ws(lx, true);
	if (is_ident_start(peek(lx))) {
		size_t kstart = lx->pos, klen = scan_ident(lx);

		skip_ws(lx, false);
		found = peek(lx) == '=';
		*kspan = span(kstart, klen);
	}
	lx->pos = save;
	return found;
}

/* "t." or "t.src_1": NAME is at START (NLEN bytes), the '.' just read. */
static int parse_ref(struct lexer *lx, size_t start, size_t nlen,
		     unsigned chain, unsigned *idx)
{
	struct px__parse_node n = { .kind = PX__PARSE_REF, .chain = chain };
	size_t pstart = lx->pos, plen = 0;
	struct px__parse_span kspan;
	char buf[16];
	int r;

	if (is_ident_start(peek(lx)))
		plen = scan_ident(lx);
	if (!at_name_end(lx)) {
		if (peek(lx) == ',')
			return syntax_error(lx, span(lx->pos, 1),
					    "pad lists ('%.*s,...') are not "
					    "supported: link each pad in a chain "
					    "of its own",
					    (int)(lx->pos - start), lx->s + start);
		return syntax_error(lx, span(lx->pos, 1),
				    "unexpected %s in reference '%.*s'",
				    describe(peek(lx), buf, sizeof(buf)),
				    (int)(lx->pos - start), lx->s + start);
	}
	n.name = arena_copy(lx, start, nlen);
	n.name_span = span(start, nlen);
	n.pad = plen ? arena_copy(lx, pstart, plen) : NULL;
	n.pad_span = span(pstart, plen);
	n.span = span(start, lx->pos - start);
	n.first_prop = lx->ast->n_props;

	/* GStreamer takes no properties on a reference; say so clearly. */
	if (props_follow(lx, &kspan))
		return syntax_error(lx, kspan,
				    "properties cannot be set on a reference "
				    "('%s.'): set them where '%s' is made",
				    n.name, n.name);

	r = push_node(lx, &n);
	*idx = lx->ast->n_nodes - 1;
	return r;
}

/*
 * ".pad" at POS (the '.'): a pad of the element before it (its src pad) or
 * after it (its sink pad, right after a link). *PAD and *SP get the name.
 */
static int parse_padref(struct lexer *lx, const char **pad,
			struct px__parse_span *sp)
{
	size_t start = ++lx->pos, len;
	char buf[16];

	if (!is_ident_start(peek(lx)))
		return syntax_error(lx, span(start - 1, 1),
				    "'.' must be followed by a pad name "
				    "('.src', '.sink_0'), found %s",
				    describe(peek(lx), buf, sizeof(buf)));
	len = scan_ident(lx);
	if (peek(lx) == ',')
		return syntax_error(lx, span(lx->pos, 1),
				    "pad lists ('.%.*s,...') are not supported: "
				    "link each pad in a chain of its own",
				    (int)len, lx->s + start);
	if (!at_name_end(lx))
		return syntax_error(lx, span(lx->pos, 1),
				    "unexpected %s after pad '.%.*s'",
				    describe(peek(lx), buf, sizeof(buf)),
				    (int)len, lx->s + start);
	*pad = arena_copy(lx, start, len);
	*sp = span(start, len);
	return 0;
}

/*
 * "scheme://rest" at START: the URI up to whitespace or '!', with
 * backslash escapes taken as in values. Which element it makes depends on
 * where it stands (parse_build.c); properties cannot follow it.
 */
static int parse_uri(struct lexer *lx, size_t start, unsigned chain,
		     unsigned *idx)
{
	struct px__parse_node n = { .kind = PX__PARSE_URI, .chain = chain };
	struct px__parse_ast *ast = lx->ast;
	char *out = ast->arena + ast->arena_used, *o = out;
	struct px__parse_span kspan;

	lx->pos = start;
	while (!at_delim(lx)) {
		if (peek(lx) == '\\' && lx->pos + 1 < lx->len)
			lx->pos++;
		*o++ = lx->s[lx->pos++];
	}
	*o++ = '\0';
	ast->arena_used += (size_t)(o - out);
	n.name = out;
	n.span = n.name_span = span(start, lx->pos - start);
	n.first_prop = ast->n_props;
	if (props_follow(lx, &kspan))
		return syntax_error(lx, kspan,
				    "properties cannot follow a URI: put them "
				    "in its query ('%s?%.*s=...')",
				    n.name, (int)kspan.len, lx->s + kspan.off);
	if (push_node(lx, &n))
		return -ENOMEM;
	*idx = ast->n_nodes - 1;
	return 0;
}

/* An element or a reference; *IDX gets its node index. */
static int parse_endpoint(struct lexer *lx, unsigned chain, unsigned *idx)
{
	struct px__parse_node n = { .kind = PX__PARSE_ELEMENT, .chain = chain };
	size_t start = lx->pos, nlen;
	char buf[16];
	int c = peek(lx), r;

	if (c == '"' || c == '\'')
		return syntax_error(lx, span(start, 1),
				    "expected an element or reference, found a "
				    "quoted string");
	if (c == '(')
		return syntax_error(lx, span(start, 1),
				    "bins ('( ... )') are not supported");
	if (c == '@')
		return syntax_error(lx, span(start, 1),
				    "presets ('@preset=NAME') are not supported");
	if (c == '.')
		return syntax_error(lx, span(start, 1),
				    "a pad reference ('.pad') needs an element: "
				    "'element .src ! ...', '... ! .sink element' "
				    "or 'name.pad'");
	if (!is_ident_start(c))
		return syntax_error(lx, span(start, 1),
				    "expected an element or reference, found %s",
				    describe(c, buf, sizeof(buf)));
	nlen = scan_ident(lx);
	c = peek(lx);
	if (c == '.') {
		lx->pos++;
		if (peek(lx) == '(')
			return syntax_error(lx, span(start, lx->pos + 1 - start),
					    "bins ('bin.( ... )') are not "
					    "supported");
		return parse_ref(lx, start, nlen, chain, idx);
	}
	if (c == '/') {
		while (!at_delim(lx))
			lx->pos++;
		return syntax_error(lx, span(start, lx->pos - start),
				    "caps '%.*s' must sit between two links: "
				    "element ! caps ! element",
				    (int)(lx->pos - start), lx->s + start);
	}
	if (c == ':' && lx->pos + 2 < lx->len && lx->s[lx->pos + 1] == '/' &&
	    lx->s[lx->pos + 2] == '/')
		return parse_uri(lx, start, chain, idx);
	if (c == '=' || (is_ws(c) && (skip_ws(lx, false), peek(lx) == '=')))
		return syntax_error(lx, span(start, nlen),
				    "property '%.*s' has no element before it",
				    (int)nlen, lx->s + start);
	lx->pos = start + nlen;
	if (!at_name_end(lx))
		return syntax_error(lx, span(lx->pos, 1),
				    "unexpected %s after element '%.*s'",
				    describe(c, buf, sizeof(buf)), (int)nlen,
				    lx->s + start);
	n.name = arena_copy(lx, start, nlen);
	n.span = n.name_span = span(start, nlen);
	n.first_prop = lx->ast->n_props;
	r = parse_props(lx, &n);
	if (r)
		return r;
	/* "fakesrc .src ! ...": the pad the next link leaves from. */
	{
		size_t save = lx->pos;

		skip_ws(lx, true);
		if (peek(lx) == '.') {
			r = parse_padref(lx, &n.pad, &n.pad_span);
			if (r)
				return r;
		} else {
			lx->pos = save;
		}
	}
	r = push_node(lx, &n);
	*idx = lx->ast->n_nodes - 1;
	return r;
}

/* ---- Links and chains ---------------------------------------------------- */

/* A media type ("application/x-rec") starts at POS: caps, not an element. */
static bool caps_ahead(const struct lexer *lx)
{
	size_t i = lx->pos;

	while (i < lx->len && is_mime_char((unsigned char)lx->s[i]))
		i++;
	return i > lx->pos && i < lx->len && lx->s[i] == '/';
}

/* A ':' that closes caps: one with whitespace on a side (caps values may
 * hold a ':' of their own, as in uri=(string)file:///x). */
static bool caps_colon(const struct lexer *lx)
{
	return peek(lx) == ':' &&
	       ((lx->pos > 0 && is_ws(lx->s[lx->pos - 1])) ||
		lx->pos + 1 >= lx->len || is_ws(lx->s[lx->pos + 1]));
}

/* op [caps op], leaving lx->pos at the next endpoint. */
static int parse_link(struct lexer *lx, struct px__parse_link *l)
{
	size_t cstart, end;
	int quote = 0;

	l->bang = span(lx->pos, 1);
	l->all = peek(lx) == ':';
	lx->pos++;
	skip_ws(lx, true);
	if (!caps_ahead(lx))
		return 0;
	cstart = lx->pos;
	while (!at_end(lx)) {
		int c = peek(lx);

		if (c == '\\' && lx->pos + 1 < lx->len) {
			lx->pos += 2;
			continue;
		}
		if (quote && c == quote)
			quote = 0;
		else if (!quote && (c == '"' || c == '\''))
			quote = c;
		else if (!quote && (c == '!' || caps_colon(lx)))
			break;
		lx->pos++;
	}
	end = lx->pos;
	while (end > cstart && is_ws(lx->s[end - 1]))
		end--;
	l->caps_span = span(cstart, end - cstart);
	if (at_end(lx))
		return syntax_error(lx, l->caps_span,
				    quote ? "unterminated quote in caps '%.*s'"
					  : "caps '%.*s' must be followed by "
					    "'!' and an element",
				    (int)(end - cstart), lx->s + cstart);
	l->caps = arena_copy(lx, cstart, end - cstart);
	l->all |= peek(lx) == ':';
	lx->pos++;
	skip_ws(lx, true);
	return 0;
}

static int parse_chain(struct lexer *lx)
{
	struct px__parse_ast *ast = lx->ast;
	unsigned chain = ast->n_chains++, cur, next, count = 1;
	int r;

	if (at_link_op(lx))
		return syntax_error(lx, span(lx->pos, 1),
				    "a chain cannot start with '%c': put an "
				    "element or reference before it",
				    peek(lx));
	r = parse_endpoint(lx, chain, &cur);
	if (r)
		return r;
	for (;;) {
		struct px__parse_link l = { 0 };
		size_t save = lx->pos;

		skip_ws(lx, true);
		if (!at_link_op(lx)) {
			lx->pos = save;
			break;
		}
		if (ast->nodes[cur].kind == PX__PARSE_URI && count > 1)
			return syntax_error(lx, ast->nodes[cur].span,
					    "a URI after a link is a sink and ends "
					    "its chain");
		if (ast->nodes[cur].kind == PX__PARSE_REF && count > 1)
			return syntax_error(lx, ast->nodes[cur].span,
					    "a reference ends its chain: write "
					    "'... ! %s.  %s. ! ...' to go on "
					    "from '%s'",
					    ast->nodes[cur].name,
					    ast->nodes[cur].name,
					    ast->nodes[cur].name);
		r = parse_link(lx, &l);
		if (r)
			return r;
		if (at_end(lx) || at_link_op(lx))
			return syntax_error(lx, l.caps ? l.caps_span : l.bang,
					    "'%c' must be followed by an element "
					    "or reference", lx->s[l.bang.off]);
		if (l.caps && caps_ahead(lx))
			return syntax_error(lx, span(lx->pos, 1),
					    "a caps filter must be followed by "
					    "an element, not by more caps: "
					    "write a single filter");
		if (peek(lx) == '.') {
			/* "! .sink element": the pad this link goes to. */
			const char *pad;
			struct px__parse_span psp;
			size_t at = lx->pos;

			r = parse_padref(lx, &pad, &psp);
			if (r)
				return r;
			skip_ws(lx, true);
			r = parse_endpoint(lx, chain, &next);
			if (r)
				return r;
			if (ast->nodes[next].kind != PX__PARSE_ELEMENT)
				return syntax_error(lx, span(at, psp.len + 1),
						    "'.%s' must be followed by "
						    "an element (write "
						    "'name.%s' for a named one)",
						    pad, pad);
			ast->nodes[next].sink_pad = pad;
			ast->nodes[next].sink_pad_span = psp;
		} else {
			r = parse_endpoint(lx, chain, &next);
			if (r)
				return r;
		}
		l.src = cur;
		l.sink = next;
		r = push_link(lx, &l);
		if (r)
			return r;
		cur = next;
		count++;
	}
	if (count == 1 && ast->nodes[cur].kind == PX__PARSE_URI)
		return syntax_error(lx, ast->nodes[cur].span,
				    "URI '%s' is not linked: a URI is a source "
				    "before '!' or a sink after it",
				    ast->nodes[cur].name);
	if (count == 1 && ast->nodes[cur].kind == PX__PARSE_REF)
		return syntax_error(lx, ast->nodes[cur].span,
				    "reference '%.*s' is not linked: write "
				    "'%.*s ! element' or 'element ! %.*s'",
				    (int)ast->nodes[cur].span.len,
				    lx->s + ast->nodes[cur].span.off,
				    (int)ast->nodes[cur].span.len,
				    lx->s + ast->nodes[cur].span.off,
				    (int)ast->nodes[cur].span.len,
				    lx->s + ast->nodes[cur].span.off);
	return 0;
}

int px__parse_syntax(const char *launch, struct px__parse_ast *ast,
		     struct px_parse_error *err)
{
	struct lexer lx = { .s = launch, .ast = ast, .err = err };
	int r;

	if (err)
		memset(err, 0, sizeof(*err));
	if (!launch || !ast)
		return px__parse_error_set(err, "", -EINVAL, span(0, 0),
					   "no launch string");
	lx.len = strlen(launch);
	if (lx.len > UINT32_MAX / 2 - 2)
		return px__parse_error_set(err, "", -E2BIG, span(0, 0),
					   "launch string too long");
	ast->arena_size = 2 * lx.len + 2;
	ast->arena = malloc(ast->arena_size);
	if (!ast->arena)
		return -ENOMEM;
	skip_ws(&lx, true);
	if (at_end(&lx))
		return syntax_error(&lx, span(lx.pos, 0), "empty pipeline");
	while (!at_end(&lx)) {
		r = parse_chain(&lx);
		if (r)
			return r;
		skip_ws(&lx, true);
	}
	return 0;
}
