// SPDX-License-Identifier: MIT
/*
 * px-inspect - what this Parallax build offers: every registered element,
 * one element's pads and properties, the plugins found (and why one did not
 * load), and the io_uring features of the running kernel (--features), in
 * the manner of gst-inspect-1.0.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <parallax/parallax.h>

#include "inspect_running.h"
#include <parallax/px_plugin.h>
#include <parallax/px_registry.h>

static int print_features(void)
{
	const char *why;
	int b = px_backend_default(&why);

	printf("Parallax %s, reactor backend: %s (%s)\n", px_version(),
	       b < 0 ? "none" : px_backend_name((enum px_backend)b), why);
	printf("io_uring features of the running kernel:\n");
	for (int f = 0; f < PX_FEAT__COUNT; f++)
		printf("  %-18s %s\n", px_feature_name(f),
		       px_feature_has(f) ? "yes" : "no");
	return 0;
}

static int list_elements(void)
{
	unsigned n = px_registry_count();
	int width = 0;

	for (unsigned i = 0; i < n; i++) {
		int len = (int)strlen(px_registry_at(i)->name);

		if (len > width)
			width = len;
	}
	for (unsigned i = 0; i < n; i++) {
		const struct px_element_class *c = px_registry_at(i);

		printf("%-*s  %s\n", width + 1, c->name,
		       c->description ? c->description : "");
	}
	printf("\n%u element%s\n", n, n == 1 ? "" : "s");
	if (px_plugin_failures())
		printf("%u plugin%s did not load: px-inspect --plugins says "
		       "why\n",
		       px_plugin_failures(), px_plugin_failures() == 1 ? "" : "s");
	return 0;
}

/* Every plugin file found: loaded with its elements, or why not. Exit 0
 * when every one loaded, 1 otherwise. */
static int list_plugins(void)
{
	unsigned n = px_plugin_count();

	for (unsigned i = 0; i < n; i++) {
		const struct px_plugin_info *pi = px_plugin_at(i);

		if (pi->error) {
			printf("%s  NOT LOADED (%s)\n    %s\n",
			       pi->name ? pi->name : "?", pi->path, pi->error);
			continue;
		}
		printf("%s %s  (%s)\n   ", pi->name, pi->version, pi->path);
		for (unsigned k = 0; k < pi->n_classes; k++)
			printf(" %s", pi->classes[k]->name);
		printf("\n");
	}
	printf("\n%u plugin%s found, %u not loaded\n", n, n == 1 ? "" : "s",
	       px_plugin_failures());
	return px_plugin_failures() ? 1 : 0;
}

static int show_plugin(const struct px_plugin_info *pi)
{
	printf("Plugin: %s\n", pi->name);
	printf("Version: %s\n", pi->version);
	printf("File: %s\n", pi->path);
	printf("License: %s\n", pi->license ? pi->license : "unknown");
	printf("Description: %s\n", pi->description ? pi->description : "");
	printf("Origin: %s\n", pi->origin ? pi->origin : "unknown");
	printf("\nElements:\n");
	for (unsigned k = 0; k < pi->n_classes; k++)
		printf("  %-20s %s\n", pi->classes[k]->name,
		       pi->classes[k]->description ?
			       pi->classes[k]->description : "");
	return 0;
}

static const char *type_name(enum px_prop_type t)
{
	switch (t) {
	case PX_PROP_BOOL:
		return "bool";
	case PX_PROP_INT:
		return "int";
	case PX_PROP_UINT64:
		return "uint64";
	case PX_PROP_DOUBLE:
		return "double";
	case PX_PROP_STRING:
		return "string";
	case PX_PROP_ENUM:
		return "enum";
	case PX_PROP_SIZE:
		return "size";
	case PX_PROP_DURATION:
		return "duration";
	}
	return "?";
}

/* Sizes as users write them: "64K", "1M", or plain bytes. */
static const char *size_text(uint64_t v, char *buf, size_t len)
{
	static const char sfx[] = "KMGT";
	int u = -1;

	while (v && v % 1024 == 0 && u < 3) {
		v /= 1024;
		u++;
	}
	if (u < 0)
		snprintf(buf, len, "%" PRIu64, v);
	else
		snprintf(buf, len, "%" PRIu64 "%c", v, sfx[u]);
	return buf;
}

/* Durations as users write them: "10ms", "2s", "500us", "7ns". */
static const char *duration_text(int64_t ns, char *buf, size_t len)
{
	if (ns == 0)
		snprintf(buf, len, "0");
	else if (ns % 1000000000 == 0)
		snprintf(buf, len, "%" PRId64 "s", ns / 1000000000);
	else if (ns % 1000000 == 0)
		snprintf(buf, len, "%" PRId64 "ms", ns / 1000000);
	else if (ns % 1000 == 0)
		snprintf(buf, len, "%" PRId64 "us", ns / 1000);
	else
		snprintf(buf, len, "%" PRId64 "ns", ns);
	return buf;
}

static const char *enum_nick(const struct px_prop_spec *s, int value)
{
	for (const struct px_prop_enum *e = s->enums; e && e->nick; e++)
		if (e->value == value)
			return e->nick;
	return "?";
}

static void print_prop(const struct px_prop_spec *s)
{
	char a[32], b[32];

	printf("  %-20s %s%s\n", s->name, s->help ? s->help : "",
	       s->flags & PX_PROP_READONLY ? " (read-only)" : "");
	printf("  %-20s %s", "", type_name(s->type));
	if (s->flags & PX_PROP_READONLY) {
		printf("\n");
		return;
	}
	switch (s->type) {
	case PX_PROP_BOOL:
		printf(", default %s", s->def_bool ? "true" : "false");
		break;
	case PX_PROP_INT:
		printf(", default %" PRId64, s->def_int);
		if (s->min_int || s->max_int)
			printf(", range %" PRId64 " .. %" PRId64, s->min_int,
			       s->max_int);
		break;
	case PX_PROP_UINT64:
		printf(", default %" PRIu64, s->def_u64);
		if (s->min_u64 || s->max_u64)
			printf(", range %" PRIu64 " .. %" PRIu64, s->min_u64,
			       s->max_u64);
		break;
	case PX_PROP_SIZE:
		printf(", default %s", size_text(s->def_u64, a, sizeof(a)));
		if (s->min_u64 || s->max_u64)
			printf(", range %s .. %s",
			       size_text(s->min_u64, a, sizeof(a)),
			       size_text(s->max_u64, b, sizeof(b)));
		break;
	case PX_PROP_DURATION:
		printf(", default %s", duration_text(s->def_int, a, sizeof(a)));
		if (s->min_int || s->max_int)
			printf(", range %s .. %s",
			       duration_text(s->min_int, a, sizeof(a)),
			       duration_text(s->max_int, b, sizeof(b)));
		break;
	case PX_PROP_DOUBLE:
		printf(", default %g", s->def_double);
		if (s->min_double != 0 || s->max_double != 0)
			printf(", range %g .. %g", s->min_double, s->max_double);
		break;
	case PX_PROP_STRING:
		if (s->def_string)
			printf(", default \"%s\"", s->def_string);
		else
			printf(", default none");
		break;
	case PX_PROP_ENUM:
		printf(", default %s", enum_nick(s, (int)s->def_int));
		break;
	}
	printf("\n");
	if (s->type == PX_PROP_ENUM)
		for (const struct px_prop_enum *e = s->enums; e && e->nick; e++)
			printf("  %-20s   %-14s (%d) %s\n", "", e->nick, e->value,
			       e->help ? e->help : "");
}

/* Why a name may be missing: the plugins that did not load, to stderr. */
static void plugin_failures(void)
{
	for (unsigned i = 0; i < px_plugin_count(); i++) {
		const struct px_plugin_info *pi = px_plugin_at(i);

		if (pi->error)
			fprintf(stderr, "px-inspect: plugin file %s did not "
					"load: %s\n", pi->path, pi->error);
	}
}

static int show_element(const char *name)
{
	const struct px_element_class *c = px_registry_find(name);
	const struct px_plugin_info *pi;

	if (!c) {
		const char *sug = px_registry_suggest(name);

		pi = px_plugin_find(name);
		if (pi)
			return show_plugin(pi);
		if (sug)
			fprintf(stderr, "px-inspect: no element or plugin '%s' "
					"(did you mean '%s'?)\n", name, sug);
		else
			fprintf(stderr, "px-inspect: no element or plugin "
					"'%s'\n", name);
		plugin_failures();
		return 1;
	}
	pi = px_plugin_of_class(c);
	printf("Factory: %s\n", c->name);
	printf("Description: %s\n", c->description ? c->description : "");
	if (pi)
		printf("Plugin: %s %s (%s)\n", pi->name, pi->version, pi->path);
	else
		printf("Plugin: none (built in)\n");
	if (c->flags & PX_ELEMENT_THREAD_BOUNDARY)
		printf("Flags: thread-boundary (what follows may run on another "
		       "reactor)\n");

	printf("\nPad templates:\n");
	if (!c->n_pads)
		printf("  none\n");
	for (unsigned i = 0; i < c->n_pads; i++) {
		const struct px_pad_template *t = &c->pads[i];

		printf("  %s '%s'\n", t->direction == PX_PAD_SRC ? "SRC" : "SINK",
		       t->name);
		printf("    presence: %s\n",
		       t->presence == PX_PAD_ALWAYS ? "always" : "request");
		printf("    caps: %s\n", t->caps ? t->caps : "ANY");
	}

	printf("\nProperties:\n");
	printf("  %-20s %s\n", "name", "The element's name in its pipeline");
	printf("  %-20s string, default \"<factory><n>\"\n", "");
	printf("  %-20s %s\n", "memory",
	       "where the pools this element makes live: auto (the "
	       "pipeline's), heap, thp, memfd, hugetlb, hugetlb-1g, "
	       "file:DIR; ,require ,node=N");
	printf("  %-20s string, default \"auto\"\n", "");
	printf("  %-20s %s\n", "numa-node",
	       "NUMA node that runs a source, or what follows a queue (-1: "
	       "any; a source follows its device's node when sysfs says)");
	printf("  %-20s int, default -1\n", "");
	for (unsigned i = 0; i < c->n_props; i++)
		print_prop(&c->props[i]);
	return 0;
}

static void usage(FILE *out)
{
	fprintf(out, "usage: px-inspect [ELEMENT | PLUGIN | --plugins | --features |\n"
		     "                  --running [PID [--json]] | --version | --help]\n"
		     "  (no argument)  list every element with its description\n"
		     "  ELEMENT        its pad templates and properties\n"
		     "  PLUGIN         a plugin's file, version, license, elements\n"
		     "  --plugins      every plugin found, and why one did not load\n"
		     "  --features     the reactor backend and io_uring features\n"
		     "  --running      the pipelines this user runs on this host\n"
		     "  --running PID  inside one: pads with rates, links with\n"
		     "                 levels, latency (--json: its stats JSON)\n"
		     "  --version      the Parallax version\n"
		     "  -h, --help     this text\n"
		     "Plugins are found on PX_PLUGIN_PATH and in parallax-0/ beside\n"
		     "libparallax.\n"
		     "Exit status: 0 success, 1 unknown element or plugin (or, with\n"
		     "--plugins, a plugin that did not load), 2 usage error.\n"
		     "More: man px-inspect.\n");
}

int main(int argc, char **argv)
{
	if (argc == 1)
		return list_elements();
	if (argc == 2 && strcmp(argv[1], "--version") == 0) {
		printf("px-inspect %s\n", px_version());
		return 0;
	}
	if (argc == 2 && strcmp(argv[1], "--features") == 0)
		return print_features();
	if (argc == 2 && strcmp(argv[1], "--plugins") == 0)
		return list_plugins();
	if (argc == 2 && strcmp(argv[1], "--running") == 0)
		return inspect_running_list();
	if ((argc == 3 || (argc == 4 && !strcmp(argv[3], "--json"))) &&
	    !strcmp(argv[1], "--running"))
		return inspect_running_show(argv[2], argc == 4);
	if (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		usage(stdout);
		return 0;
	}
	if (argc == 2 && argv[1][0] != '-')
		return show_element(argv[1]);
	usage(stderr);
	return 2;
}
