// SPDX-License-Identifier: MIT
/*
 * parse_build.c - px_pipeline_parse(): the syntax tree made real through
 * the public pipeline API. Elements are created in order with their
 * properties, then every link is made (references resolve against the
 * whole pipeline, so they may point forward, as in gst-launch), then the
 * graph is validated. Each failure carries the position of its token.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "parse_int.h"
#include "pipeline_int.h"
#include "plugin_int.h"
#include "px_error.h"
#include "px_registry.h"

struct builder {
	const char *s;
	const struct px__parse_ast *ast;
	struct px_pipeline *p;
	struct px_element **elems; /* per node; NULL for references */
	struct px_parse_error *err;
};

/* The engine's sentence for the failure just seen, or FALLBACK. */
static const char *engine_text(const struct builder *b, const char *fallback)
{
	const char *t = px_pipeline_error(b->p);

	return t && *t ? t : fallback;
}

static int fail(const struct builder *b, int code, struct px__parse_span sp,
		const char *text)
{
	return px__parse_error_set(b->err, b->s, code, sp, "%s", text);
}

static const struct px_prop_spec *find_prop(const struct px_element_class *cls,
					    const char *name)
{
	for (unsigned i = 0; i < cls->n_props; i++)
		if (!strcmp(cls->props[i].name, name))
			return &cls->props[i];
	return NULL;
}

/*
 * "fakesrc ! fakesink sync": 'sync' reads as a new element. When the
 * element just before it has such a property, say so.
 */
static int unknown_element(const struct builder *b, unsigned i)
{
	const struct px__parse_node *n = &b->ast->nodes[i];
	const char *sug = px_registry_suggest(n->name);
	char text[sizeof(b->err->message)];
	size_t len;

	len = (size_t)snprintf(text, sizeof(text), "unknown element '%s'",
			       n->name);
	/* "tee name=t ... t ! queue": a reference without its '.'. */
	for (unsigned k = 0; k < b->ast->n_props; k++) {
		if (!strcmp(b->ast->props[k].key, "name") &&
		    !strcmp(b->ast->props[k].value, n->name))
			return px__parse_error_set(
				b->err, b->s, -ENOENT, n->span,
				"%s (to refer to the element named '%s', "
				"write '%s.')", text, n->name, n->name);
	}
	if (sug && strcmp(sug, n->name))
		len += (size_t)snprintf(text + len, sizeof(text) - len,
					" (did you mean '%s'?)", sug);
	if (i > 0 && len < sizeof(text) &&
	    b->ast->nodes[i - 1].kind == PX__PARSE_ELEMENT &&
	    b->ast->nodes[i - 1].chain != n->chain) {
		const char *prev = b->ast->nodes[i - 1].name;
		const struct px_element_class *pc = px_registry_find(prev);

		if (pc && find_prop(pc, n->name))
			len += (size_t)snprintf(text + len, sizeof(text) - len,
						"; to set the property of %s, "
						"write %s=VALUE",
						prev, n->name);
	}
	/* A plugin that did not load may be why: say so, every time. */
	if (len < sizeof(text))
		px__plugin_explain(n->name, text + len, sizeof(text) - len);
	return fail(b, -ENOENT, n->span, text);
}

/* Whether node I is the sink end of a link (a URI there makes a sink). */
static bool is_link_sink(const struct builder *b, unsigned i)
{
	for (unsigned k = 0; k < b->ast->n_links; k++)
		if (b->ast->links[k].sink == i)
			return true;
	return false;
}

static int make_uri_element(struct builder *b, unsigned i)
{
	const struct px__parse_node *n = &b->ast->nodes[i];
	char why[sizeof(b->err->message)];
	int r;

	why[0] = '\0';
	r = px__parse_uri_element(b->p, n->name, is_link_sink(b, i),
				  &b->elems[i], why, sizeof(why));
	return r ? fail(b, r, n->span, why[0] ? why : px_strerror(r)) : 0;
}

static int make_element(struct builder *b, unsigned i)
{
	const struct px__parse_node *n = &b->ast->nodes[i];
	const struct px__parse_prop *props = b->ast->props + n->first_prop;
	const struct px__parse_prop *name = NULL;
	struct px_element *e;
	char text[sizeof(b->err->message)];
	int r;

	if (n->kind == PX__PARSE_URI)
		return make_uri_element(b, i);
	if (!px_registry_find(n->name))
		return unknown_element(b, i);
	/* The last name= wins, as in gst-launch; it is given at creation. */
	for (unsigned k = 0; k < n->n_props; k++)
		if (!strcmp(props[k].key, "name"))
			name = &props[k];
	r = px_pipeline_add(b->p, n->name, name ? name->value : NULL, &e);
	if (r) {
		snprintf(text, sizeof(text), "could not make %s: %s", n->name,
			 px_strerror(r));
		/* A taken or malformed name is the name's fault. */
		return fail(b, r,
			    name && (r == -EEXIST || r == -EINVAL)
				    ? name->value_span
				    : n->span,
			    engine_text(b, text));
	}
	b->elems[i] = e;
	for (unsigned k = 0; k < n->n_props; k++) {
		const struct px__parse_prop *pr = &props[k];

		if (pr == name || !strcmp(pr->key, "name"))
			continue;
		r = px_element_set(e, pr->key, pr->value);
		if (!r)
			continue;
		snprintf(text, sizeof(text), "could not set %s=%s on %s: %s",
			 pr->key, pr->value, px_element_name(e), px_strerror(r));
		return fail(b, r,
			    r == -EINVAL ? pr->value_span : pr->key_span,
			    engine_text(b, text));
	}
	return 0;
}

/* "no element named 't' (names so far: fakesrc0, tee0)" */
static int unknown_ref(const struct builder *b, const struct px__parse_node *n)
{
	char text[sizeof(b->err->message)];
	unsigned count = px_pipeline_element_count(b->p);
	size_t len, room = sizeof(text) - 8; /* keep space for ", ...)" */

	len = (size_t)snprintf(text, sizeof(text),
			       "no element named '%s' (names so far:", n->name);
	for (unsigned i = 0; i < count && len < room; i++) {
		const char *nm = px_element_name(px_pipeline_element_at(b->p, i));

		if (len + strlen(nm) + 3 >= room) {
			len += (size_t)snprintf(text + len, sizeof(text) - len,
						" ...");
			break;
		}
		len += (size_t)snprintf(text + len, sizeof(text) - len, "%s %s",
					i ? "," : "", nm);
	}
	if (!count)
		len += (size_t)snprintf(text + len, sizeof(text) - len, " none");
	if (len < sizeof(text))
		snprintf(text + len, sizeof(text) - len, ")");
	return fail(b, -ENOENT, n->name_span, text);
}

/* The pad node N names as the sink end of a link (AS_SINK) or its source
 * end, and where it is written; NULL when it names none. */
static const char *node_pad(const struct px__parse_node *n, bool as_sink,
			    struct px__parse_span *sp)
{
	if (as_sink && n->kind != PX__PARSE_REF) {
		*sp = n->sink_pad_span;
		return n->sink_pad;
	}
	*sp = n->pad_span;
	return n->pad;
}

static int resolve(const struct builder *b, unsigned i, bool as_sink,
		   struct px_element **e, const char **pad)
{
	const struct px__parse_node *n = &b->ast->nodes[i];
	struct px__parse_span sp;

	*pad = node_pad(n, as_sink, &sp);
	if (n->kind != PX__PARSE_REF) {
		*e = b->elems[i];
		return 0;
	}
	*e = px_pipeline_find(b->p, n->name);
	return *e ? 0 : unknown_ref(b, n);
}

/* Where a failed link points: a named pad that is missing, the caps, or '!'. */
static struct px__parse_span link_span(const struct builder *b,
				       const struct px__parse_link *l, int r,
				       struct px_element *src,
				       struct px_element *sink)
{
	struct px__parse_span ssp, ksp;
	const char *sp = node_pad(&b->ast->nodes[l->src], false, &ssp);
	const char *kp = node_pad(&b->ast->nodes[l->sink], true, &ksp);

	if (r == -ENOENT) {
		if (sp && !px_element_pad(src, sp))
			return ssp;
		if (kp && !px_element_pad(sink, kp))
			return ksp;
		if (sp)
			return ssp;
		if (kp)
			return ksp;
	}
	if (r == -EINVAL && l->caps)
		return l->caps_span;
	return l->bang;
}

/*
 * "a : b" links all pads: after the first link (made as '!' makes it),
 * every always src pad of SRC still unlinked goes to a sink pad of SINK
 * (its next free one, else a new request pad), in creation order. Request
 * pads of SRC are not multiplied: ':' on a tee links one, as '!' does.
 */
static int link_rest(struct px_element *src, struct px_element *sink,
		     const struct px_caps *filter, const char **failed)
{
	unsigned n = px_element_pad_count(src, PX_PAD_SRC);

	for (unsigned i = 0; i < n; i++) {
		struct px_pad *pad = px_element_pad_at(src, PX_PAD_SRC, i);
		int r;

		if (px_pad_is_linked(pad) || pad->tmpl->presence != PX_PAD_ALWAYS)
			continue;
		r = px_element_link_pads(src, px_pad_name(pad), sink, NULL,
					 filter, 0);
		if (r) {
			*failed = px_pad_name(pad);
			return r;
		}
	}
	return 0;
}

static int make_link(struct builder *b, const struct px__parse_link *l)
{
	struct px_element *src, *sink;
	const char *srcpad, *sinkpad;
	struct px_caps *filter = NULL;
	char text[sizeof(b->err->message)];
	int r;

	r = resolve(b, l->src, false, &src, &srcpad);
	if (!r)
		r = resolve(b, l->sink, true, &sink, &sinkpad);
	if (r)
		return r;
	if (l->caps) {
		size_t at = 0;

		r = px_caps_parse(l->caps, &filter, &at);
		if (r) {
			struct px__parse_span sp = l->caps_span;
			char why[160];

			if (r == -EINVAL && at < sp.len) {
				sp.off += (uint32_t)at;
				sp.len -= (uint32_t)at;
			}
			px_caps_explain(l->caps, why, sizeof(why));
			snprintf(text, sizeof(text), "could not parse caps '%s': %s",
				 l->caps, why);
			return fail(b, r, sp, text);
		}
	}
	r = px_element_link_pads(src, srcpad, sink, sinkpad, filter, 0);
	if (!r && l->all && !srcpad) {
		const char *pad = NULL;

		r = link_rest(src, sink, filter, &pad);
		if (r) {
			snprintf(text, sizeof(text),
				 "could not link every pad of %s to %s (':'): "
				 "%s.%s: %s",
				 px_element_name(src), px_element_name(sink),
				 px_element_name(src), pad,
				 engine_text(b, px_strerror(r)));
			px_caps_unref(filter);
			return fail(b, r, l->bang, text);
		}
	}
	px_caps_unref(filter);
	if (!r)
		return 0;
	snprintf(text, sizeof(text), "could not link %s to %s: %s",
		 px_element_name(src), px_element_name(sink), px_strerror(r));
	return fail(b, r, link_span(b, l, r, src, sink), engine_text(b, text));
}

static bool word_at(const char *text, const char *at, size_t len)
{
	bool left = at == text || !(at[-1] == '_' || at[-1] == '-' ||
				    (at[-1] >= '0' && at[-1] <= '9') ||
				    (at[-1] >= 'a' && at[-1] <= 'z') ||
				    (at[-1] >= 'A' && at[-1] <= 'Z'));
	char c = at[len];
	bool right = !(c == '_' || c == '-' || (c >= '0' && c <= '9') ||
		       (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'));

	return left && right;
}

/*
 * A validation error has no token of its own: point at the element it
 * names first, or give no position (line 0) when it names none.
 */
static int validate_failed(const struct builder *b, int r)
{
	const char *text = engine_text(b, px_strerror(r));
	const char *best = NULL;
	struct px__parse_span sp = { 0 };

	for (unsigned i = 0; i < b->ast->n_nodes; i++) {
		const char *nm, *at;

		if (!b->elems[i])
			continue;
		nm = px_element_name(b->elems[i]);
		for (at = strstr(text, nm); at; at = strstr(at + 1, nm)) {
			if (word_at(text, at, strlen(nm)))
				break;
		}
		if (at && (!best || at < best)) {
			best = at;
			sp = b->ast->nodes[i].span;
		}
	}
	fail(b, r, sp, text);
	if (!best && b->err) {
		b->err->line = 0;
		b->err->column = 0;
		b->err->length = 0;
	}
	return r;
}

PX_API int px_pipeline_parse(const char *launch, struct px_pipeline **out,
			     struct px_parse_error *err)
{
	struct px__parse_ast ast = { 0 };
	struct builder b = { .s = launch, .ast = &ast, .err = err };
	int r;

	if (err)
		memset(err, 0, sizeof(*err));
	if (!out)
		return -EINVAL;
	*out = NULL;
	r = px__parse_syntax(launch, &ast, err);
	if (r)
		goto out;
	b.elems = calloc(ast.n_nodes, sizeof(*b.elems));
	if (!b.elems) {
		r = -ENOMEM;
		goto out;
	}
	r = px_pipeline_create(NULL, &b.p);
	if (r)
		goto out;
	for (unsigned i = 0; i < ast.n_nodes && !r; i++)
		if (ast.nodes[i].kind != PX__PARSE_REF)
			r = make_element(&b, i);
	for (unsigned i = 0; i < ast.n_links && !r; i++)
		r = make_link(&b, &ast.links[i]);
	if (r)
		goto out;
	r = px_pipeline_validate(b.p);
	if (r) {
		validate_failed(&b, r);
		goto out;
	}
	*out = b.p;
	b.p = NULL;
out:
	if (r == -ENOMEM && err && !err->message[0])
		px__parse_error_set(err, launch, r,
				    (struct px__parse_span){ 0 },
				    "out of memory");
	px_pipeline_destroy(b.p);
	free(b.elems);
	px__parse_ast_free(&ast);
	return r;
}
