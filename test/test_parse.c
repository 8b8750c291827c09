// SPDX-License-Identifier: MIT
/*
 * test_parse.c - the launch-string parser: a conformance table of accepted
 * and rejected strings and property cases (with every deliberate difference
 * from gst-launch-1.0 written beside its entry), GStreamer's own
 * parse-launch test lines adapted with Parallax's result (gst_cases), the
 * syntax tree, ':' and the error format.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "builtin_int.h"
#include "parse_int.h"
#include "px_probe.h"
#include "px_registry.h"
#include "px_test.h"

/* What a string should do. */
enum expect {
	OK,	/* parses and builds */
	SYNTAX, /* px__parse_syntax() refuses it at LINE:COL */
	BUILD,	/* parses, but px_pipeline_parse() refuses it at LINE:COL */
};

struct conformance {
	const char *launch;
	enum expect expect;
	unsigned line, column; /* of the error (0: not checked) */
	const char *message;   /* a substring of the error message */
	/* NULL when gst-launch-1.0 does the same; otherwise what it does. */
	const char *gst;
};

/*
 * The conformance table. The `gst` column is the list of deliberate
 * differences from gst-launch-1.0 / gst_parse_launch(): keep it complete.
 */
static const struct conformance table[] = {
	/* ---- accepted ---- */
	{ "fakesrc ! fakesink", OK, 0, 0, NULL, NULL },
	{ "fakesrc num-buffers=10 ! fakesink", OK, 0, 0, NULL, NULL },
	{ "fakesrc num-buffers = 10 ! fakesink", OK, 0, 0, NULL, NULL },
	{ "  fakesrc\tnum-buffers=10!fakesink  ", OK, 0, 0, NULL,
	  "gst-launch-1.0 reads '10!fakesink' as the value (see name=a!b)" },
	{ "fakesrc num-buffers=10 ! fakesink fakesrc num-buffers=5 ! fakesink",
	  OK, 0, 0, NULL, NULL },
	{ "fakesrc num-buffers=10 ! tee name=t ! fakesink  t. ! queue ! fakesink",
	  OK, 0, 0, NULL, NULL },
	{ "fakesrc num-buffers=10 ! tee name=t  t.src_0 ! fakesink  "
	  "t.src_1 ! queue ! fakesink",
	  OK, 0, 0, NULL, NULL },
	{ "t. ! queue ! fakesink  fakesrc num-buffers=10 ! tee name=t ! fakesink",
	  OK, 0, 0, NULL, NULL }, /* forward reference */
	{ "fakesrc num-buffers=10 ! q.sink  queue name=q ! fakesink", OK, 0, 0,
	  NULL, NULL },
	{ "fakesrc num-buffers=10 ! queue name=q  q. ! fakesink", OK, 0, 0, NULL,
	  NULL },
	{ "fakesrc num-buffers=10 ! application/x-rec ! fakesink", OK, 0, 0,
	  NULL, NULL },
	{ "fakesrc num-buffers=10 ! application/x-rec,rate=(int)10 ! fakesink",
	  OK, 0, 0, NULL, NULL },
	{ "fakesrc num-buffers=10 !  application/x-rec, rate=(int)10  ! fakesink",
	  OK, 0, 0, NULL, NULL },
	{ "fakesrc num-buffers=10 ! capsfilter caps=\"application/x-rec, "
	  "rate=(int)10\" ! fakesink",
	  OK, 0, 0, NULL, NULL },
	{ "fakesrc\n  num-buffers=10\n  ! identity\n  ! fakesink", OK, 0, 0, NULL,
	  NULL },
	{ "fakesrc name=\"my src\" num-buffers=1 ! fakesink", OK, 0, 0, NULL,
	  NULL },
	{ "fakesrc name='my src' num-buffers=1 ! fakesink", OK, 0, 0, NULL, NULL },
	{ "fakesrc name=my\\ src num-buffers=1 ! fakesink", OK, 0, 0, NULL, NULL },
	{ "fakesrc name=\"say \\\"hi\\\"\" num-buffers=1 ! fakesink", OK, 0, 0,
	  NULL, NULL },
	{ "fakesrc name=\"a!b\" num-buffers=1 ! fakesink", OK, 0, 0, NULL, NULL },
	{ "# a comment line\nfakesrc num-buffers=1 # why\n  ! fakesink # end", OK,
	  0, 0, NULL, NULL },
	/* pads named beside an element, before ('.sink') or after ('.src') */
	{ "fakesrc num-buffers=1 ! .sink fakesink", OK, 0, 0, NULL, NULL },
	{ "fakesrc num-buffers=1 .src ! fakesink", OK, 0, 0, NULL, NULL },
	{ "fakesrc num-buffers=1 .src ! .sink identity .src ! .sink fakesink",
	  OK, 0, 0, NULL, NULL },
	{ "fakesrc num-buffers=1 ! tee name=t .src_%u ! fakesink  t. ! fakesink",
	  OK, 0, 0, NULL, NULL },
	/* ':' links all pads (here one each), with or without caps */
	{ "fakesrc num-buffers=1 : fakesink", OK, 0, 0, NULL, NULL },
	{ "fakesrc num-buffers=1 ! identity : fakesink", OK, 0, 0, NULL, NULL },
	{ "fakesrc num-buffers=1 ! application/x-a : fakesink", OK, 0, 0, NULL,
	  NULL },
	{ "fakesrc num-buffers=1 : application/x-a ! fakesink", OK, 0, 0, NULL,
	  NULL },
	{ "fakesrc ! application/x-a,uri=(string)file:///x ! fakesink", OK, 0, 0,
	  NULL, NULL }, /* a ':' inside caps without whitespace is the caps' */
	/* URIs: a source at the start of a chain, a sink at its end */
	{ "file:///tmp/in.bin ! fakesink", OK, 0, 0, NULL, NULL },
	{ "fakesrc ! file:///tmp/out.bin", OK, 0, 0, NULL, NULL },
	{ "fakesrc ! file:///tmp/out%20file.bin?append=true&name=out", OK, 0, 0,
	  NULL, NULL },
	{ "tcp://127.0.0.1:5000 ! fakesink", OK, 0, 0, NULL, NULL },
	{ "fakesrc ! tcp://[::1]:5000?zerocopy=off", OK, 0, 0, NULL, NULL },
	{ "strm://localhost:7000?mode=server ! fakesink", OK, 0, 0, NULL, NULL },

	/* ---- the properties GStreamer users type ---- */
	{ "fakesrc num-buffers=1 ! fakesink", OK, 0, 0, NULL,
	  "fakesrc's buffers hold 4096 bytes by default (sizetype=fixed "
	  "sizemax=4096); gst-launch's are empty (sizetype=empty), which "
	  "measures nothing" },
	{ "fakesrc num-buffers=1 sizetype=fixed sizemax=100 filltype=2 ! "
	  "fakesink sync=false async=false silent=true",
	  OK, 0, 0, NULL, NULL }, /* filltype=2 is zero in both */
	{ "fakesrc num-buffers=1 sizetype=random sizemin=1 sizemax=100 "
	  "datarate=1000 ! fakesink",
	  OK, 0, 0, NULL, NULL },
	{ "fakesrc num-buffers=1 is-live=false ! identity silent=false "
	  "dump=false eos-after=1 sleep-time=10 error-after=-1 ! fakesink",
	  OK, 0, 0, NULL, NULL }, /* sleep-time=10: 10 us, as in GStreamer */
	{ "filesrc location=in.bin num-buffers=1 blocksize=1 ! fakesink", OK, 0,
	  0, NULL,
	  "filesrc reads 64K per buffer by default (gst: 4K): fewer syscalls "
	  "for the same bytes" },
	{ "fakesrc num-buffers=1 ! queue ! fakesink", OK, 0, 0, NULL,
	  "queue holds 1024 buffers, no byte or time limit by default (gst: "
	  "200 buffers, 10 MB, 1 s): the pools already bound the memory held, "
	  "and a longer link moves more items per cross-reactor wakeup" },
	{ "fakesrc num-buffers=1 ! queue max-size-buffers=0 max-size-bytes=0 "
	  "max-size-time=0 ! fakesink",
	  OK, 0, 0, NULL, NULL },
	{ "fakesrc num-buffers=1 ! queue max-size-time=1000000000 leaky=2 ! "
	  "fakesink",
	  OK, 0, 0, NULL, NULL },
	{ "fakesrc num-buffers=1 ! filesink location=out.bin sync=false "
	  "async=false fsync=true",
	  OK, 0, 0, NULL,
	  "filesink fsync=true makes the file durable before EOS (gst's "
	  "filesink has no such property)" },
	{ "fakesrc num-buffers=1 ! tcpsink port=1 sync=false", OK, 0, 0, NULL,
	  NULL },
	{ "fakesrc num-buffers=1 ! appsink sync=false", OK, 0, 0, NULL, NULL },

	/* ---- rejected by the syntax ---- */
	{ "", SYNTAX, 1, 1, "empty pipeline", NULL },
	{ " \n\t ", SYNTAX, 2, 3, "empty pipeline", NULL },
	{ "# only a comment", SYNTAX, 1, 17, "empty pipeline", NULL },
	{ "! fakesink", SYNTAX, 1, 1, "cannot start with '!'", NULL },
	{ "fakesrc !", SYNTAX, 1, 9, "'!' must be followed", NULL },
	{ "fakesrc ! ! fakesink", SYNTAX, 1, 9, "'!' must be followed", NULL },
	{ "fakesrc name=\"abc ! fakesink", SYNTAX, 1, 14,
	  "unterminated quoted value", NULL },
	{ "fakesrc\n\tname='abc ! fakesink", SYNTAX, 2, 7,
	  "unterminated quoted value", NULL },
	{ "fakesrc name=\"a\"b ! fakesink", SYNTAX, 1, 17,
	  "after the closing quote",
	  "gst-launch reads text glued to a closing quote into the value" },
	{ "fakesrc num-buffers= ! fakesink", SYNTAX, 1, 9, "has no value", NULL },
	{ "fakesrc num-buffers=", SYNTAX, 1, 9, "has no value", NULL },
	{ "num-buffers=10 ! fakesink", SYNTAX, 1, 1, "has no element before it",
	  NULL },
	{ "fakesrc ! =10", SYNTAX, 1, 11, "found '='", NULL },
	{ "fakesrc ! \"fakesink\"", SYNTAX, 1, 11, "quoted string", NULL },
	{ "t.", SYNTAX, 1, 1, "is not linked", NULL },
	{ "fakesrc ! t. ! fakesink", SYNTAX, 1, 11, "a reference ends its chain",
	  NULL },
	{ "t. num-buffers=3 ! fakesink", SYNTAX, 1, 4,
	  "cannot be set on a reference", NULL },
	{ "t.src_0,src_1 ! fakesink", SYNTAX, 1, 8, "pad lists",
	  "gst-launch links pad lists ('t.src_0,src_1 ! m.sink_0,sink_1') pad "
	  "by pad" },
	{ ".src ! fakesink", SYNTAX, 1, 1, "needs an element", NULL },
	{ "fakesrc . ! fakesink", SYNTAX, 1, 9, "must be followed by a pad name",
	  NULL },
	{ "fakesrc ! .sink t.", SYNTAX, 1, 11, "must be followed by an element",
	  NULL },
	{ "fakesrc .src,src2 ! fakesink", SYNTAX, 1, 13, "pad lists",
	  "gst-launch links pad lists pad by pad" },
	{ "fakesrc : : fakesink", SYNTAX, 1, 9, "':' must be followed", NULL },
	{ ": fakesink", SYNTAX, 1, 1, "cannot start with ':'", NULL },
	{ "file:///tmp/x", SYNTAX, 1, 1, "is not linked", NULL },
	{ "fakesrc ! file:///tmp/x ! fakesink", SYNTAX, 1, 11, "ends its chain",
	  NULL },
	{ "fakesrc ! file:///tmp/x append=true", SYNTAX, 1, 25,
	  "properties cannot follow a URI",
	  "gst-launch sets no properties on a URI element; here its query "
	  "does (file:///x?append=true)" },
	{ "fakesrc ! application/x-rec", SYNTAX, 1, 11,
	  "must be followed by '!'", NULL },
	{ "fakesrc ! application/x-rec,name=\"a ! fakesink", SYNTAX, 1, 11,
	  "unterminated quote in caps", NULL },
	{ "fakesrc ! application/x-a ! application/x-b ! fakesink", SYNTAX, 1,
	  29, "not by more caps", NULL },
	{ "application/x-rec ! fakesink", SYNTAX, 1, 1,
	  "must sit between two links", NULL },
	{ "fakesrc ! ( fakesink )", SYNTAX, 1, 11, "bins",
	  "gst-launch makes bins of '( ... )' and 'bin.( ... )'" },
	{ "fakesrc ! mybin.( fakesink )", SYNTAX, 1, 11, "bins",
	  "gst-launch makes bins of '( ... )' and 'bin.( ... )'" },
	{ "fakesrc @preset=fast ! fakesink", SYNTAX, 1, 9, "presets",
	  "gst-launch loads element presets with '@preset=NAME'" },
	{ "fakesrc child::prop=1 ! fakesink", SYNTAX, 1, 9, "child properties",
	  "gst-launch sets properties of children with 'child::prop=value'" },
	{ "fakesrc ! fakesink\n  ! ! fakesink", SYNTAX, 2, 3,
	  "'!' must be followed", NULL },
	{ "fakesrc ! fake$sink", SYNTAX, 1, 15, "unexpected '$'", NULL },
	{ "fakesrc ! tee name=t t.src$ ! fakesink", SYNTAX, 1, 27,
	  "unexpected '$' in reference", NULL },

	/* ---- syntax fine, refused while building ---- */
	{ "fakesrc name=a!b ! fakesink", BUILD, 1, 16, "unknown element 'b'",
	  "gst-launch-1.0 keeps '!' inside a bare value (name=a!b); here a bare "
	  "value ends at '!' (quote it: name=\"a!b\")" },
	{ "fakesrcc ! fakesink", BUILD, 1, 1,
	  "unknown element 'fakesrcc' (did you mean 'fakesrc'?)", NULL },
	{ "fakesrc ! fakesink sync", BUILD, 1, 20, "unknown element 'sync'", NULL },
	{ "fakesrc ! tee name=t ! fakesink  t ! fakesink", BUILD, 1, 34,
	  "write 't.'", NULL },
	{ "fakesrc num-bufers=10 ! fakesink", BUILD, 1, 9,
	  "did you mean 'num-buffers'?", NULL },
	{ "filesrc location=in.bin blocksze=64K ! fakesink", BUILD, 1, 25,
	  "unknown property 'blocksze' of filesrc0 (did you mean 'blocksize'?)",
	  NULL },
	{ "fakesrc num-buffers=ten ! fakesink", BUILD, 1, 21, "num-buffers",
	  NULL },
	{ "fakesrc num-buffers=(int)10 ! fakesink", BUILD, 1, 21, "num-buffers",
	  "gst-launch takes a '(type)' prefix on property values" },
	{ "fakesrc ! t.  fakesrc ! fakesink", BUILD, 1, 11,
	  "no element named 't' (names so far:",
	  "gst_parse_launch() may return the pipeline with a 'recoverable' "
	  "error and the link left out; here any error fails the whole parse" },
	{ "fakesrc name=a ! fakesink  fakesrc name=a ! fakesink", BUILD, 1, 41,
	  "'a'", NULL },
	{ "fakesrc ! tee name=t t.nosuchpad ! fakesink", BUILD, 1, 24,
	  "nosuchpad", NULL },
	{ "fakesrc ! application/x-rec,rate=(int)abc ! fakesink", BUILD, 1, 0,
	  "caps", NULL }, /* column: where px_caps_parse() stops */
	{ "fakesrc num-buffers=1 ! application/x-a;application/x-b ! fakesink",
	  OK, 0, 0, NULL, NULL },
	{ "fakesrc ! application/x-a,n=(int)<0,x> ! fakesink", BUILD, 1, 37,
	  "could not parse caps 'application/x-a,n=(int)<0,x>': at byte 26 "
	  "('x>'): not an integer",
	  NULL },
	{ "fakesrc ! capsfilter caps=\"a/b,n=(nope)1\" ! fakesink", BUILD, 1,
	  27, "caps 'a/b,n=(nope)1' do not parse: at byte 7 ('nope)1'): "
	      "unknown type", NULL },
	{ "fakesrc ! fakesink ! fakesink", BUILD, 1, 20, NULL, NULL },
	/* caps meet through every element that passes them on unchanged */
	{ "fakesrc ! application/x-a ! identity ! application/x-b ! fakesink",
	  BUILD, 1, 1, "contradict each other through identity0", NULL },
	{ "fakesrc ! application/x-a ! queue ! application/x-b ! fakesink", BUILD,
	  1, 1, "contradict each other through queue0", NULL },
	{ "fakesrc ! application/x-a ! tee name=t ! application/x-b ! fakesink  "
	  "t. ! fakesink",
	  BUILD, 1, 1, "contradict each other through t,", NULL },
	{ "fakesrc ! application/x-a ! identity ! queue ! tee ! application/x-b ! "
	  "fakesink",
	  BUILD, 1, 1, "application/x-a coming from fakesrc0 and "
		       "application/x-b going to fakesink0 contradict", NULL },
	{ "fakesrc num-buffers=1 ! application/x-a ! queue ! tee ! "
	  "application/x-a,rate=(int)1 ! fakesink",
	  OK, 0, 0, NULL, NULL }, /* narrower, not contradictory */
	{ "fakesrc ! fakesink sync=true", BUILD, 1, 20, "no pipeline clock",
	  "gst-launch's sinks render each buffer at its clock time" },
	{ "fakesrc ! appsink sync=true", BUILD, 1, 19, "write sync=false",
	  "gst-launch's sinks render each buffer at its clock time" },
	{ "fakesrc ! filesink location=x sync=true", BUILD, 1, 31, "fsync=true",
	  "gst-launch's sinks render each buffer at its clock time" },
	{ "fakesrc ! fakesink async=true", BUILD, 1, 20, "do not preroll",
	  "gst-launch's sinks preroll (PAUSED waits for a first buffer)" },
	{ "fakesrc sizetype=empty ! fakesink", BUILD, 1, 9, "sizetype=fixed",
	  "gst-launch's fakesrc sends empty buffers" },
	{ "fakesrc is-live=true ! fakesink", BUILD, 1, 9, "rate=N",
	  "gst-launch's fakesrc is-live=true is timed by the pipeline clock" },
	{ "fakesrc ! queue max-size-buffers=-1 ! fakesink", BUILD, 1, 34,
	  "max-size-buffers", NULL },
	{ "fakesrc ! identity sleep-time=1h1 ! fakesink", BUILD, 1, 31,
	  "sleep-time", NULL },
	{ "fakesrc ! zz://x", BUILD, 1, 11, "no element for URI scheme 'zz'",
	  "gst-launch asks every element that handles URIs; here a table of "
	  "schemes (docs/launch-syntax.md)" },
	{ "fakesrc ! file://host/x", BUILD, 1, 11, "not host 'host'", NULL },
	{ "fakesrc ! file:///x%2", BUILD, 1, 11, "bad %-escape", NULL },
	{ "fakesrc ! file:///x?apend=1", BUILD, 1, 11,
	  "unknown property 'apend' of filesink0 (did you mean 'append'?)",
	  NULL },
	{ "fakesrc ! tcp://127.0.0.1:5000/x", BUILD, 1, 11, "has no path", NULL },
	{ "fakesrc ! tcp://127.0.0.1:http", BUILD, 1, 11, "port", NULL },
	{ "fakesrc .sink ! fakesink", BUILD, 1, 10, "sink", NULL },
	{ "fakesrc", BUILD, 0, 0, NULL, NULL }, /* validate: no sink */
};

/* ---- Syntax -------------------------------------------------------------- */

START_TEST(test_parse_conformance_syntax)
{
	for (size_t i = 0; i < PX_ARRAY_SIZE(table); i++) {
		const struct conformance *c = &table[i];
		struct px__parse_ast ast = { 0 };
		struct px_parse_error err;
		int r = px__parse_syntax(c->launch, &ast, &err);

		if (c->expect != SYNTAX) {
			ck_assert_msg(r == 0, "[%zu] \"%s\": %d:%d: %s", i,
				      c->launch, err.line, err.column,
				      err.message);
		} else {
			ck_assert_msg(r == -EINVAL, "[%zu] \"%s\" accepted", i,
				      c->launch);
			ck_assert_int_eq(err.code, -EINVAL);
			ck_assert_msg(err.line == c->line &&
					      err.column == c->column,
				      "[%zu] \"%s\": at %u:%u, expected %u:%u (%s)",
				      i, c->launch, err.line, err.column, c->line,
				      c->column, err.message);
			ck_assert_msg(strstr(err.message, c->message),
				      "[%zu] \"%s\": \"%s\" lacks \"%s\"", i,
				      c->launch, err.message, c->message);
		}
		px__parse_ast_free(&ast);
		ck_assert_ptr_null(ast.nodes);
	}
}
END_TEST

START_TEST(test_parse_tree)
{
	const char *s = "fakesrc num-buffers=10 name=\"my src\" ! "
			"application/x-rec,rate=(int)10 ! tee name=t ! fakesink"
			"  t.src_1 ! queue max-size-buffers = 4 ! k.  "
			"fakesink name=k";
	struct px__parse_ast ast = { 0 };
	const struct px__parse_node *n;
	const struct px__parse_link *l;

	ck_assert_int_eq(px__parse_syntax(s, &ast, NULL), 0);
	ck_assert_uint_eq(ast.n_chains, 3);
	ck_assert_uint_eq(ast.n_nodes, 7);
	ck_assert_uint_eq(ast.n_links, 4);
	n = ast.nodes;
	ck_assert_int_eq(n[0].kind, PX__PARSE_ELEMENT);
	ck_assert_str_eq(n[0].name, "fakesrc");
	ck_assert_uint_eq(n[0].n_props, 2);
	ck_assert_str_eq(ast.props[n[0].first_prop].key, "num-buffers");
	ck_assert_str_eq(ast.props[n[0].first_prop].value, "10");
	ck_assert_str_eq(ast.props[n[0].first_prop + 1].key, "name");
	ck_assert_str_eq(ast.props[n[0].first_prop + 1].value, "my src");
	ck_assert_uint_eq(ast.props[n[0].first_prop + 1].value_span.off, 28);
	ck_assert_uint_eq(ast.props[n[0].first_prop + 1].value_span.len, 8);
	ck_assert_str_eq(n[1].name, "tee");
	ck_assert_str_eq(n[2].name, "fakesink");
	ck_assert_uint_eq(n[2].chain, 0);
	ck_assert_int_eq(n[3].kind, PX__PARSE_REF);
	ck_assert_str_eq(n[3].name, "t");
	ck_assert_str_eq(n[3].pad, "src_1");
	ck_assert_uint_eq(n[3].chain, 1);
	ck_assert_uint_eq(n[3].span.len, 7);
	ck_assert_str_eq(n[4].name, "queue");
	ck_assert_str_eq(ast.props[n[4].first_prop].key, "max-size-buffers");
	ck_assert_str_eq(ast.props[n[4].first_prop].value, "4");
	ck_assert_int_eq(n[5].kind, PX__PARSE_REF);
	ck_assert_str_eq(n[5].name, "k");
	ck_assert_ptr_null(n[5].pad);
	ck_assert_str_eq(n[6].name, "fakesink");
	ck_assert_uint_eq(n[6].chain, 2);

	l = ast.links;
	ck_assert_uint_eq(l[0].src, 0);
	ck_assert_uint_eq(l[0].sink, 1);
	ck_assert_str_eq(l[0].caps, "application/x-rec,rate=(int)10");
	ck_assert_uint_eq(l[0].bang.off, 37);
	ck_assert_ptr_null(l[1].caps);
	ck_assert_uint_eq(l[2].src, 3);
	ck_assert_uint_eq(l[2].sink, 4);
	ck_assert_uint_eq(l[3].src, 4);
	ck_assert_uint_eq(l[3].sink, 5);
	px__parse_ast_free(&ast);
}
END_TEST

START_TEST(test_parse_values)
{
	static const struct {
		const char *launch, *value;
	} cases[] = {
		{ "e p=plain", "plain" },
		{ "e p=\"two words\"", "two words" },
		{ "e p='single \"inner\"'", "single \"inner\"" },
		{ "e p=\"esc \\\" \\\\ \\n\"", "esc \" \\ n" },
		{ "e p=back\\ slash\\!", "back slash!" },
		{ "e p=\"\"", "" },
		{ "e p=#not-a-comment", "#not-a-comment" },
		{ "e p=a=b", "a=b" },
		{ "e p=x/y,z=(int)1", "x/y,z=(int)1" },
		{ "e p=trail\\", "trail\\" },
		{ "e p=\"line\nbreak\"", "line\nbreak" },
	};

	for (size_t i = 0; i < PX_ARRAY_SIZE(cases); i++) {
		struct px__parse_ast ast = { 0 };
		struct px_parse_error err;

		ck_assert_msg(px__parse_syntax(cases[i].launch, &ast, &err) == 0,
			      "%s: %s", cases[i].launch, err.message);
		ck_assert_uint_eq(ast.n_props, 1);
		ck_assert_str_eq(ast.props[0].value, cases[i].value);
		px__parse_ast_free(&ast);
	}
}
END_TEST

START_TEST(test_parse_error_format)
{
	const char *s = "fakesrc ! fakesink\n\tfilesrc blocksze=4 ! x";
	struct px_parse_error err;
	struct px__parse_ast ast = { 0 };
	char buf[256], small[8];
	int n;

	px__parse_error_set(&err, s, -ENOENT,
			    (struct px__parse_span){ .off = 28, .len = 8 },
			    "unknown property '%s'", "blocksze");
	ck_assert_uint_eq(err.line, 2);
	ck_assert_uint_eq(err.column, 10);
	n = px_parse_error_format(&err, s, buf, sizeof(buf));
	ck_assert_str_eq(buf, "2:10: unknown property 'blocksze'\n"
			      "  \tfilesrc blocksze=4 ! x\n"
			      "  \t        ^~~~~~~~\n");
	ck_assert_int_eq(n, (int)strlen(buf));
	/* snprintf semantics: truncated, terminated, full length returned. */
	ck_assert_int_eq(px_parse_error_format(&err, s, small, sizeof(small)), n);
	ck_assert_str_eq(small, "2:10: u");
	ck_assert_int_eq(px_parse_error_format(&err, s, NULL, 0), n);

	/* A mark never runs past the end of its line; end of input works. */
	ck_assert_int_eq(px__parse_syntax("fakesrc !", &ast, &err), -EINVAL);
	px__parse_ast_free(&ast);
	px_parse_error_format(&err, "fakesrc !", buf, sizeof(buf));
	ck_assert_str_eq(buf, "1:9: '!' must be followed by an element or "
			      "reference\n  fakesrc !\n          ^\n");
	ck_assert_int_eq(px__parse_syntax("a ! b\n", &ast, &err), 0);
	px__parse_ast_free(&ast);
	px__parse_error_set(&err, "ab\n", -EINVAL,
			    (struct px__parse_span){ .off = 1, .len = 40 }, "m");
	px_parse_error_format(&err, "ab\n", buf, sizeof(buf));
	ck_assert_str_eq(buf, "1:2: m\n  ab\n   ^\n");
	/* No position: just the sentence. */
	err.line = 0;
	px_parse_error_format(&err, "ab\n", buf, sizeof(buf));
	ck_assert_str_eq(buf, "m\n");
	/* Multi-byte UTF-8 before the error keeps the caret aligned. */
	px__parse_error_set(&err, "\xc3\xa9 x", -EINVAL,
			    (struct px__parse_span){ .off = 3, .len = 1 }, "m");
	ck_assert_uint_eq(err.column, 4);
	px_parse_error_format(&err, "\xc3\xa9 x", buf, sizeof(buf));
	ck_assert_str_eq(buf, "1:4: m\n  \xc3\xa9 x\n    ^\n");
}
END_TEST

START_TEST(test_parse_bad_args)
{
	struct px__parse_ast ast = { 0 };
	struct px_parse_error err;

	ck_assert_int_eq(px__parse_syntax(NULL, &ast, &err), -EINVAL);
	ck_assert_int_eq(px__parse_syntax("a", NULL, &err), -EINVAL);
	ck_assert_int_eq(px__parse_syntax("a ! b", &ast, NULL), 0);
	px__parse_ast_free(&ast);
	px__parse_ast_free(NULL);
	px__parse_ast_free(&ast);
}
END_TEST

/* ---- Building through the engine --------------------------------------- */

/*
 * The registry refers to the built-in table weakly, which does not pull
 * elements/builtin.o out of the static library: name it here.
 */
static void need_builtins(void)
{
	ck_assert_ptr_nonnull(px__builtin_classes[0]);
}

START_TEST(test_parse_conformance_build)
{
	need_builtins();
	for (size_t i = 0; i < PX_ARRAY_SIZE(table); i++) {
		const struct conformance *c = &table[i];
		struct px_pipeline *p = (struct px_pipeline *)&p;
		struct px_parse_error err;
		int r = px_pipeline_parse(c->launch, &p, &err);

		if (c->expect == OK) {
			ck_assert_msg(r == 0 && p, "[%zu] \"%s\": %d:%d: %s (%d)",
				      i, c->launch, err.line, err.column,
				      err.message, r);
			px_pipeline_destroy(p);
			continue;
		}
		ck_assert_msg(r < 0, "[%zu] \"%s\" accepted", i, c->launch);
		ck_assert_ptr_null(p);
		ck_assert_int_eq(err.code, r);
		ck_assert_msg(err.message[0], "[%zu] no message", i);
		if (c->column)
			ck_assert_msg(err.line == c->line &&
					      err.column == c->column,
				      "[%zu] \"%s\": at %u:%u, expected %u:%u (%s)",
				      i, c->launch, err.line, err.column, c->line,
				      c->column, err.message);
		if (c->message)
			ck_assert_msg(strstr(err.message, c->message),
				      "[%zu] \"%s\": \"%s\" lacks \"%s\"", i,
				      c->launch, err.message, c->message);
	}
}
END_TEST

START_TEST(test_parse_build_graph)
{
	const char *s = "fakesrc name=\"my src\" num-buffers=7 size=64 ! "
			"application/x-rec ! tee name=t ! fakesink name=a  "
			"t.src_%u ! queue max-size-buffers=4 ! b.sink  fakesink name=b";
	struct px_pipeline *p = NULL;
	struct px_parse_error err;
	struct px_element *e;
	char buf[64];

	need_builtins();
	ck_assert_msg(px_pipeline_parse(s, &p, &err) == 0, "%u:%u: %s",
		      err.line, err.column, err.message);
	ck_assert_uint_eq(px_pipeline_element_count(p), 5);
	e = px_pipeline_find(p, "my src");
	ck_assert_ptr_nonnull(e);
	ck_assert_str_eq(px_element_factory(e), "fakesrc");
	ck_assert_int_gt(px_element_get(e, "num-buffers", buf, sizeof(buf)), 0);
	ck_assert_str_eq(buf, "7");
	ck_assert_ptr_eq(px_pipeline_element_at(p, 0), e);
	e = px_pipeline_find(p, "t");
	ck_assert_ptr_nonnull(e);
	ck_assert_uint_eq(px_element_pad_count(e, PX_PAD_SRC), 2);
	ck_assert_ptr_nonnull(px_pipeline_find(p, "a"));
	ck_assert_ptr_nonnull(px_pipeline_find(p, "b"));
	ck_assert(px_pad_is_linked(px_element_pad(px_pipeline_find(p, "b"),
						  "sink")));
	px_pipeline_destroy(p);

	/* Bad arguments. */
	ck_assert_int_eq(px_pipeline_parse("fakesrc ! fakesink", NULL, &err),
			 -EINVAL);
	ck_assert_int_eq(px_pipeline_parse(NULL, &p, &err), -EINVAL);
	ck_assert_ptr_null(p);
	ck_assert_int_eq(px_pipeline_parse("fakesrcc ! fakesink", &p, NULL),
			 -ENOENT);
}
END_TEST

/*
 * GStreamer's own launch-line tests (tests/check/pipelines/parse-launch.c:
 * test_lines, PIPELINE1-15, expected_failures, leaking_failures), adapted to
 * Parallax's elements where `gst` says how, each with Parallax's result.
 * Lines that GStreamer runs go to PAUSED and back to NULL here too (RUN);
 * the ones it only parses (files that do not exist) are only built.
 */
enum gst_expect {
	G_RUN,	  /* builds, and goes to PAUSED and back */
	G_BUILD,  /* builds (its files do not exist: not started) */
	G_REFUSE, /* refused, with MESSAGE in the sentence */
};

struct gst_case {
	const char *launch;
	enum gst_expect expect;
	const char *message; /* G_REFUSE: a substring of the error */
	const char *gst;     /* NULL, or how the line or the result differs */
};

static const struct gst_case gst_cases[] = {
	/* test_lines: every one parses in GStreamer */
	{ "filesrc location=music.mp3 ! identity silent=true ! fakesink silent=true",
	  G_BUILD, NULL, NULL },
	{ "filesrc location=music.ogg ! tee ! identity silent=true ! "
	  "identity silent=true ! fakesink silent=true",
	  G_BUILD, NULL, NULL },
	{ "filesrc location=http://domain.com/music.mp3 ! identity silent=true ! "
	  "fakesink silent=true",
	  G_BUILD, NULL, NULL },
	{ "filesrc location=movie.avi ! tee name=demuxer ! ( queue ! identity "
	  "silent=true ! fakesink silent=true ) ( demuxer. ! queue ! identity "
	  "silent=true ! fakesink silent=true )",
	  G_REFUSE, "bins", "bins are not supported" },
	{ "fakesrc ! video/x-raw ! fakesink silent=true", G_RUN, NULL, NULL },
	{ "fakesrc !   video/raw,  format=(string)YUY2; video/raw, "
	  "format=(string)YV12 ! fakesink silent=true",
	  G_RUN, NULL, NULL },
	{ "fakesrc ! audio/x-raw, width=[16,  32], depth={16, 24, 32}, "
	  "signed=TRUE ! fakesink silent=true",
	  G_RUN, NULL, NULL },
	{ "fakesrc ! identity silent=true ! identity silent=true ! identity "
	  "silent=true ! fakesink silent=true",
	  G_RUN, NULL, NULL },
	{ "fakesrc name=100 fakesink name=101 silent=true 100. ! 101.", G_RUN,
	  NULL, NULL },
	{ "fakesrc ! 1__dentity ! fakesink silent=true", G_RUN, NULL,
	  "1__dentity is identity registered under a second name, as there" },
	{ "fakesrc ! tee name=t  t.src_12 ! queue ! fakesink  t.src_3 ! queue ! "
	  "fakesink",
	  G_RUN, NULL, NULL },
	{ "( fakesrc ) ! fakesink", G_REFUSE, "bins", "bins are not supported" },
	{ "( fakesrc name=dasrc ) dasrc. ! fakesink", G_REFUSE, "bins",
	  "bins are not supported" },
	{ "deepsrc. ! fakesink fakesrc  ! ( identity ! ( identity ! (  identity "
	  "name=deepsrc ) ) )",
	  G_REFUSE, "bins", "bins are not supported" },
	{ "fakesrc : fakesink", G_RUN, NULL, NULL },
	{ "fakesrc : video/x-all : fakesink", G_RUN, NULL, NULL },
	{ "fakesrc ! video/x-all : fakesink", G_RUN, NULL, NULL },
	{ "fakesrc : video/x-all ! fakesink", G_RUN, NULL, NULL },
	{ "fakesrc ! audio/x-opus, channel-mapping=(int)<0, 1> ! fakesink "
	  "silent=true",
	  G_RUN, NULL, NULL },
	{ "fakesrc ! audio/x-opus, channel-mapping=(int)<0,\\ 1> ! fakesink "
	  "silent=true",
	  G_RUN, NULL, NULL },
	{ "fakesrc ! capsfilter caps=\"audio/x-opus, channel-mapping=(int)<0, "
	  "1>\" ! fakesink silent=true",
	  G_RUN, NULL, NULL },
	{ "fakesrc ! capsfilter caps=\"audio/x-opus, "
	  "channel-mapping=(int)<0,\\ 1>\" ! fakesink silent=true",
	  G_RUN, NULL, NULL },

	/* PIPELINE1-15 */
	{ "fakesrc", G_REFUSE, "fakesrc0:src is not linked",
	  "a lone fakesrc is the element itself there; here a pipeline needs "
	  "every always pad linked" },
	{ "fakesrc name=donald num-buffers= 27 silent =TruE sizetype = 3 ! "
	  "fakesink",
	  G_RUN, NULL,
	  "' ! fakesink' added (a lone source is refused, above); "
	  "'data=Subbuffer\\ data' left out: buffers are always pool slots" },
	{ "fakesrc identity silent=true fakesink silent=true", G_REFUSE,
	  "fakesrc0:src is not linked",
	  "unlinked elements make a pipeline there; here every always pad "
	  "needs a link" },
	{ "fakesrc num-buffers=4 .src ! identity silent=true !.sink identity "
	  "silent=true .src ! .sink fakesink silent=true",
	  G_RUN, NULL, NULL },
	{ "fakesrc num-buffers=4 name=src identity silent=true name=id1 identity "
	  "silent=true name = id2 fakesink silent=true name =sink src. ! id1. "
	  "id1.! id2.sink id2.src!sink.sink",
	  G_RUN, NULL, NULL },
	{ "pipeline.(name=\"john\" fakesrc num-buffers=4 ! ( bin. (  queue ! "
	  "identity silent=true !( queue ! fakesink silent=true )) ))",
	  G_REFUSE, "bins", "bins are not supported" },
	{ "fakesrc num-buffers=4 ! tee name=tee .src_%u ! queue ! fakesink "
	  "silent=true tee.src_%u ! queue ! fakesink silent=true queue name "
	  "=\"foo\" ! fakesink silent=true tee.src_%u ! foo.",
	  G_RUN, NULL, NULL },
	{ "fakesrc num-buffers=4 ! fakesink silent=true", G_RUN, NULL, NULL },
	{ "fakesrc num-buffers=4 ! test. fakesink silent=true name=test", G_RUN,
	  NULL, NULL },
	{ "( fakesrc num-buffers=\"4\"  ) ! identity silent=true ! fakesink "
	  "silent=true",
	  G_REFUSE, "bins", "bins are not supported" },
	{ "fakesink silent=true name = sink identity silent=true name=id ( "
	  "fakesrc num-buffers=\"4\" ! id. ) id. ! sink.",
	  G_REFUSE, "bins", "bins are not supported" },
	{ "file:///tmp/test.file ! fakesink silent=true", G_BUILD, NULL, NULL },
	{ "fakesrc ! file:///tmp/test.file", G_BUILD, NULL, NULL },
	{ "fakesrc ! capsfilter caps=application/x-rtp,sprop-parameter-sets="
	  "(string)\"x\\,x\" ! fakesink",
	  G_RUN, NULL,
	  "'fakesrc !' and '! fakesink' added around the lone capsfilter" },
	{ "fakesrc ! capsfilter caps=application/x-rtp,sprop-parameter-sets="
	  "(string)\"x\\\"x\\,x\" ! fakesink",
	  G_RUN, NULL,
	  "'fakesrc !' and '! fakesink' added around the lone capsfilter" },

	/* expected_failures */
	{ "fakesrc num-buffers=4 name=\"a=b\"  a=b. ! fakesink silent=true",
	  G_REFUSE, "unknown property 'a'", NULL },
	{ "filesrc blocksize=absdff", G_REFUSE, "is not a size", NULL },
	{ "fakesrc ! video/raw,format=(antwerp)monkeys ! fakesink silent=true",
	  G_REFUSE, "unknown type", NULL },
	{ "", G_REFUSE, "empty pipeline", NULL },
	{ "fakesrc ! ", G_REFUSE, "'!' must be followed", NULL },
	{ " ! fakesink silent=true", G_REFUSE, "cannot start with '!'", NULL },
	{ "borky://fdaffd ! fakesink silent=true", G_REFUSE,
	  "no element for URI scheme 'borky'", NULL },
	{ "fakesrc ! borky://fdaffd", G_REFUSE,
	  "no element for URI scheme 'borky'", NULL },
	{ "fakesrc name=src fakesink silent=true name=sink noexiste. ! sink.",
	  G_REFUSE, "no element named 'noexiste'", NULL },
	{ "fakesrc name=src fakesink silent=true name=sink src. ! noexiste.",
	  G_REFUSE, "no element named 'noexiste'", NULL },
	{ "fakesink silent=true ! fakesink silent=true", G_REFUSE,
	  "has no src pads", NULL },
	{ "! identity silent=true ! identity silent=true ! fakesink silent=true",
	  G_REFUSE, "cannot start with '!'", NULL },
	{ "bin.( )", G_REFUSE, "bins", NULL },
	{ "bin.( non_existent_element )", G_REFUSE, "bins", NULL },
	{ "( filesrc blocksize=4 location=/dev/null @ )", G_REFUSE, "bins",
	  NULL },
	{ "( fakesrc num-buffers=\"4\" ! ) identity silent=true ! fakesink "
	  "silent=true",
	  G_REFUSE, "bins", NULL },
	{ "pipeline.(name=\"john\" fakesrc num-buffers=4 ( bin. ( ! queue ! "
	  "identity silent=true !( queue ! fakesink silent=true )) ))",
	  G_REFUSE, "bins", NULL },
	{ "coffeebin.( fakesrc ! identity ! fakesink )", G_REFUSE, "bins", NULL },
	{ "fakesrc ! coffeebin.( identity ) ! fakesink", G_REFUSE, "bins", NULL },
	{ "fakesrc ! .ch0 .ch1 fakesink", G_REFUSE, "needs an element", NULL },
	{ "fakesrc .ch0 .ch1 !  fakesink", G_REFUSE, "needs an element", NULL },
	{ "(fakesrc .ch1) !  fakesink", G_REFUSE, "bins", NULL },
	{ "(fakesrc name=s  s.ch1) !  fakesink", G_REFUSE, "bins", NULL },
	{ "s.ch1 fakesrc ! fakesink", G_REFUSE, "is not linked", NULL },
	{ "fakesrc ! fakesink s.ch1", G_REFUSE, "is not linked", NULL },
	{ "http://eff.org fakesrc ! fakesink", G_REFUSE, "is not linked", NULL },
	{ "(", G_REFUSE, "bins", NULL },
	{ ")", G_REFUSE, "found ')'", NULL },
	{ ")  (", G_REFUSE, "found ')'", NULL },

	/* leaking_failures */
	{ "fakesrc ! identity silent=true ! sgsdfagfd @ gfdgfdsgfsgSF", G_REFUSE,
	  "presets",
	  "refused at the first syntax error ('@'), before the unknown element" },
	{ "fakesrc ! .foo file:///dev/null", G_REFUSE,
	  "'.foo' must be followed by an element", NULL },
	{ "error-does-not-exist-src", G_REFUSE,
	  "unknown element 'error-does-not-exist-src'", NULL },
};

START_TEST(test_parse_gst_cases)
{
	static struct px_element_class alias;
	int r;

	need_builtins();
	alias = *px_registry_find("identity");
	alias.name = "1__dentity";
	r = px_registry_add(&alias);
	ck_assert(r == 0 || r == -EEXIST);
	for (size_t i = 0; i < PX_ARRAY_SIZE(gst_cases); i++) {
		const struct gst_case *c = &gst_cases[i];
		struct px_pipeline *p = NULL;
		struct px_parse_error err;

		r = px_pipeline_parse(c->launch, &p, &err);
		if (c->expect == G_REFUSE) {
			ck_assert_msg(r < 0 && !p, "[%zu] \"%s\" accepted", i,
				      c->launch);
			ck_assert_msg(strstr(err.message, c->message),
				      "[%zu] \"%s\": \"%s\" lacks \"%s\"", i,
				      c->launch, err.message, c->message);
			continue;
		}
		ck_assert_msg(r == 0, "[%zu] \"%s\": %u:%u: %s", i, c->launch,
			      err.line, err.column, err.message);
		if (c->expect == G_RUN) {
			ck_assert_msg(px_pipeline_set_state(p, PX_STATE_PAUSED) == 0,
				      "[%zu] \"%s\": PAUSED: %s", i, c->launch,
				      px_pipeline_error(p));
			ck_assert_int_eq(px_pipeline_stop(p), 0);
		}
		px_pipeline_destroy(p);
	}
}
END_TEST

/* The line of gst_cases holding NEEDLE. */
static const char *gst_line(const char *needle)
{
	for (size_t i = 0; i < PX_ARRAY_SIZE(gst_cases); i++)
		if (strstr(gst_cases[i].launch, needle))
			return gst_cases[i].launch;
	ck_abort_msg("no gst case holds %s", needle);
	return NULL;
}

/* What GStreamer's test checks on PIPELINE2 and PIPELINE15: the values. */
START_TEST(test_parse_gst_values)
{
	struct px_pipeline *p = NULL;
	struct px_element *e;
	char buf[128];

	need_builtins();
	ck_assert_int_eq(px_pipeline_parse(gst_line("name=donald"), &p, NULL), 0);
	e = px_pipeline_find(p, "donald");
	ck_assert_ptr_nonnull(e);
	px_element_get(e, "num-buffers", buf, sizeof(buf));
	ck_assert_str_eq(buf, "27");
	px_element_get(e, "silent", buf, sizeof(buf));
	ck_assert_str_eq(buf, "true");
	px_element_get(e, "sizetype", buf, sizeof(buf));
	ck_assert_str_eq(buf, "random"); /* 3, as in GStreamer */
	px_pipeline_destroy(p);

	/* The escaped quote stays inside the caps string: x"x,x. */
	ck_assert_int_eq(px_pipeline_parse(gst_line("(string)\"x\\\"x"), &p, NULL), 0);
	e = px_pipeline_find(p, "capsfilter0");
	px_element_get(e, "caps", buf, sizeof(buf));
	ck_assert_str_eq(buf, "application/x-rtp,sprop-parameter-sets=(string)"
			      "\"x\\\"x\\,x\"");
	px_pipeline_destroy(p);
}
END_TEST

/* Two always src pads: what ':' links all of. Built, never run. */
static void twosrc_work(struct px_element *e)
{
	(void)e;
}

static const struct px_pad_template twosrc_pads[] = {
	{ "src_a", PX_PAD_SRC, PX_PAD_ALWAYS, "ANY" },
	{ "src_b", PX_PAD_SRC, PX_PAD_ALWAYS, "ANY" },
};

static const struct px_element_class twosrc_class = {
	.name = "twosrc",
	.description = "two always src pads (test only)",
	.pads = twosrc_pads,
	.n_pads = PX_ARRAY_SIZE(twosrc_pads),
	.work = twosrc_work,
};

START_TEST(test_parse_link_all)
{
	struct px_pipeline *p = NULL;
	struct px_parse_error err;
	struct px_element *f;
	int r;

	need_builtins();
	r = px_registry_add(&twosrc_class);
	ck_assert(r == 0 || r == -EEXIST);
	/* ':' links both pads to request pads of the funnel ... */
	ck_assert_msg(px_pipeline_parse("twosrc : funnel name=f ! fakesink", &p,
					&err) == 0,
		      "%s", err.message);
	f = px_pipeline_find(p, "f");
	ck_assert_uint_eq(px_element_pad_count(f, PX_PAD_SINK), 2);
	px_pipeline_destroy(p);
	/* ... and with caps between, each link is filtered. */
	ck_assert_int_eq(px_pipeline_parse("twosrc ! application/x-a : funnel "
					   "name=f ! fakesink",
					   &p, &err),
			 0);
	f = px_pipeline_find(p, "f");
	ck_assert_uint_eq(px_element_pad_count(f, PX_PAD_SINK), 2);
	px_pipeline_destroy(p);
	/* '!' links one: the other always pad is left, and validation says
	 * which. */
	ck_assert_int_lt(px_pipeline_parse("twosrc ! funnel ! fakesink", &p,
					   &err),
			 0);
	ck_assert_msg(strstr(err.message, "src_b"), "%s", err.message);
	/* ':' into an element with one sink pad: the second has nowhere to go,
	 * and the error names it. */
	ck_assert_int_lt(px_pipeline_parse("twosrc : fakesink", &p, &err), 0);
	ck_assert_msg(strstr(err.message, "twosrc0.src_b"), "%s", err.message);
	ck_assert_uint_eq(err.column, 8);
}
END_TEST

START_TEST(test_parse_run)
{
	const char *s = "fakesrc num-buffers=100 size=64 ! tee name=t ! fakesink "
			"name=a  t. ! queue ! fakesink name=b";
	struct px_pipeline *p = NULL;
	struct px_element_stats st;
	struct px_message m;

	need_builtins();
	ck_assert_int_eq(px_pipeline_parse(s, &p, NULL), 0);
	ck_assert_int_eq(px_pipeline_play(p), 0);
	ck_assert_int_eq(px_pipeline_wait(p, 10 * 1000000000LL, &m), 0);
	ck_assert_int_eq(m.type, PX_MSG_EOS);
	px_element_stats(px_pipeline_find(p, "a"), &st);
	ck_assert_uint_eq(st.buffers_in, 100);
	ck_assert_uint_eq(st.bytes_in, 6400);
	px_element_stats(px_pipeline_find(p, "b"), &st);
	ck_assert_uint_eq(st.buffers_in, 100);
	ck_assert_int_eq(px_pipeline_stop(p), 0);
	px_pipeline_destroy(p);
}
END_TEST

static Suite *parse_suite(void)
{
	Suite *s = suite_create("parse");

	tcase_add_test(px_tcase(s, "syntax"), test_parse_conformance_syntax);
	tcase_add_test(px_tcase(s, "tree"), test_parse_tree);
	tcase_add_test(px_tcase(s, "values"), test_parse_values);
	tcase_add_test(px_tcase(s, "error_format"), test_parse_error_format);
	tcase_add_test(px_tcase(s, "bad_args"), test_parse_bad_args);
	tcase_add_test(px_tcase(s, "build"), test_parse_conformance_build);
	tcase_add_test(px_tcase(s, "graph"), test_parse_build_graph);
	tcase_add_test(px_tcase(s, "link_all"), test_parse_link_all);
	tcase_add_test(px_tcase(s, "gst_cases"), test_parse_gst_cases);
	tcase_add_test(px_tcase(s, "gst_values"), test_parse_gst_values);
	tcase_add_test(px_tcase(s, "run"), test_parse_run);
	return s;
}

PX_TEST_MAIN(parse_suite)
