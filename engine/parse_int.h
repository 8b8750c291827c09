/* SPDX-License-Identifier: MIT */
/*
 * parse_int.h - the launch-string parser's insides, shared by its files and
 * its unit test: the syntax tree that px__parse_syntax() builds without
 * touching the engine, and the error helpers. Never installed.
 *
 * The grammar (docs/architecture.md; differences from gst-launch-1.0 are
 * listed in the conformance table of test/test_parse.c):
 *
 *   launch    := ws* chain (ws+ chain)* ws*
 *   chain     := endpoint (link [padref ws*] endpoint)*
 *                                    a reference or a URI sink ends a chain
 *   endpoint  := element [ws* padref] | reference | uri
 *   element   := FACTORY (ws+ prop)*
 *   prop      := KEY ws* '=' ws* value
 *   value     := '"' ... '"' | '\'' ... '\'' | bare
 *   reference := NAME '.' [PAD]                 "t."  "t.src_1"
 *   padref    := '.' PAD          after an element: its src pad for the
 *                                 next link; after a link: the sink pad of
 *                                 the element that follows  ". sink"
 *   uri       := SCHEME '://' bare              "file:///tmp/in.bin": a
 *                source at the start of a chain, a sink at its end
 *                (parse_uri.c makes the element)
 *   link      := ws* op ws* [caps ws* op ws*]
 *   op        := '!' | ':'       ':' on either side links all pads
 *   caps      := a word of [A-Za-z0-9+.-] followed by '/', up to the next
 *                '!' (or ':' beside whitespace) outside quotes:
 *                ! application/x-rec,rate=(int)10 !
 *
 * FACTORY, KEY, NAME and PAD are identifiers: a letter, digit or '_', then
 * letters, digits, '_', '-' or '%'. A bare value runs up to whitespace or '!';
 * a backslash takes the next byte literally (in bare and quoted values),
 * except between double quotes inside a bare value, where backslashes stay
 * and '!' does not end it (caps=a/b,s=(string)"x\,y", as gst-launch).
 * ws is any of " \t\r\n\v\f"; '#' where a token may start comments out the
 * rest of the line. A chain ends where whitespace is followed by something
 * other than '!' or a property: "a ! b  c ! d" is two chains.
 */
#ifndef PX_PARSE_INT_H
#define PX_PARSE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "px_base.h"
#include "px_pipeline.h"

/* Bytes [off, off + len) of the launch string. */
struct px__parse_span {
	uint32_t off;
	uint32_t len;
};

/* key=value on an element. Strings live in the tree's arena. */
struct px__parse_prop {
	const char *key;
	const char *value; /* unquoted and unescaped */
	struct px__parse_span key_span;
	struct px__parse_span value_span; /* including the quotes */
};

enum px__parse_node_kind {
	PX__PARSE_ELEMENT = 0, /* a new element: "fakesrc num-buffers=10" */
	PX__PARSE_REF = 1,     /* a reference to a named one: "t." "t.src_1" */
	PX__PARSE_URI = 2,     /* an element made from a URI: "file:///a" */
};

/* One endpoint of a chain, in the order it appears in the string. */
struct px__parse_node {
	enum px__parse_node_kind kind;
	const char *name; /* ELEMENT: factory; REF: element name; URI: the URI */
	/* REF: its pad (NULL for "t."); ELEMENT: the src pad written after
	 * it ("fakesrc .src ! ..."), or NULL */
	const char *pad;
	/* ELEMENT: the sink pad written before it ("! .sink fakesink") */
	const char *sink_pad;
	struct px__parse_span span; /* factory word, reference or URI */
	struct px__parse_span name_span; /* factory, or the name before '.' */
	struct px__parse_span pad_span;	 /* PAD, when given */
	struct px__parse_span sink_pad_span; /* SINK_PAD, when given */
	unsigned first_prop;		 /* ELEMENT: index into ast->props */
	unsigned n_props;
	unsigned chain; /* 0-based chain number */
};

/* A '!' between two nodes, with the caps filter written inside it. */
struct px__parse_link {
	unsigned src, sink;	    /* indices into ast->nodes */
	const char *caps;	    /* raw caps text, or NULL */
	bool all;		    /* ':' - link all pads */
	struct px__parse_span bang; /* the first '!' or ':' */
	struct px__parse_span caps_span;
};

/*
 * The syntax tree of one launch string. Zero it before px__parse_syntax();
 * free it with px__parse_ast_free() on every path.
 */
struct px__parse_ast {
	struct px__parse_node *nodes;
	unsigned n_nodes, cap_nodes;
	struct px__parse_prop *props;
	unsigned n_props, cap_props;
	struct px__parse_link *links;
	unsigned n_links, cap_links;
	unsigned n_chains;
	/* Every string of the tree: at most two bytes per source byte. */
	char *arena;
	size_t arena_used, arena_size;
};

/*
 * px__parse_syntax - lex and parse LAUNCH into AST (zeroed by the caller)
 * without touching the engine or the registry.
 * Returns 0, or -EINVAL (syntax; ERR, when not NULL, gets the position and
 * sentence), -ENOMEM. The caller frees AST with px__parse_ast_free() on
 * success and failure alike. Any thread.
 */
int px__parse_syntax(const char *launch, struct px__parse_ast *ast,
		     struct px_parse_error *err);

/* Free what AST holds and zero it. Accepts a zeroed or NULL tree. */
void px__parse_ast_free(struct px__parse_ast *ast);

/*
 * px__parse_error_set - fill ERR (may be NULL) with CODE, the line and
 * column of SPAN inside LAUNCH, and the formatted sentence (truncated to
 * the message size). A span past the last byte points just after it.
 * Returns CODE, so callers can `return px__parse_error_set(...)`.
 */
int px__parse_error_set(struct px_parse_error *err, const char *launch,
			int code, struct px__parse_span span, const char *fmt,
			...) PX_PRINTF(5, 6);

/*
 * px__parse_uri_element - add to P the element that URI stands for: its
 * scheme's source, or its sink when SINK (parse_uri.c has the table), with
 * the properties the URI sets. Returns 0, or -ENOENT (unknown scheme or
 * element) / -EINVAL (a malformed URI or a refused property) / -ENOMEM,
 * with WHY (LEN bytes) saying what is wrong; *OUT may then hold an element
 * already added to P (destroyed with it).
 */
int px__parse_uri_element(struct px_pipeline *p, const char *uri, bool sink,
			  struct px_element **out, char *why, size_t len);

/* Line and column (both 1-based, column in bytes) of byte OFF of LAUNCH. */
void px__parse_position(const char *launch, uint32_t off, unsigned *line,
			unsigned *column);

#endif /* PX_PARSE_INT_H */
