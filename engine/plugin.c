// SPDX-License-Identifier: MIT
/*
 * plugin.c - the plugin loader: finds *.so files on PX_PLUGIN_PATH and in
 * parallax-<major>/ beside libparallax, checks the ABI each was built for,
 * and registers its element classes, all or none. A file that does not
 * load is recorded with the sentence saying why, so px-inspect and the
 * error of a launch string can repeat it; nothing is cached between
 * processes (docs/writing-elements.md, "Plugins").
 *
 * Runs once, from the registry's first use, under the registry's lock.
 */
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline_int.h"
#include "plugin_int.h"
#include "px_plugin.h"
#include "px_registry.h"
#include "px_version.h"

struct plugin_rec {
	struct px_plugin_info info;
	void *handle;		/* dlopen handle, kept while loaded */
	/* a plugin that did not load but said what it offers (same ABI
	 * major): those names, so that a launch string naming one is told */
	char **offered;
	unsigned n_offered;
};

/* Written once under the registry lock, read-only afterwards. */
static struct plugin_rec *recs;
static unsigned n_recs, cap_recs;
static unsigned n_failed;

static struct plugin_rec *new_rec(const char *path)
{
	struct plugin_rec *r;

	if (n_recs == cap_recs) {
		unsigned cap = cap_recs ? cap_recs * 2 : 8;
		struct plugin_rec *v = realloc(recs, cap * sizeof(*v));

		if (!v)
			return NULL;
		recs = v;
		cap_recs = cap;
	}
	r = &recs[n_recs];
	memset(r, 0, sizeof(*r));
	r->info.path = strdup(path);
	if (!r->info.path)
		return NULL;
	n_recs++;
	return r;
}

/* R did not load: keep WHY (printf-style) and drop what it held. */
static void __attribute__((format(printf, 2, 3)))
fail(struct plugin_rec *r, const char *fmt, ...)
{
	char text[PX_MSG_TEXT];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	r->info.error = strdup(text);
	if (!r->info.error)
		r->info.error = "out of memory";
	r->info.n_classes = 0;
	r->info.classes = NULL;
	if (r->handle) {
		/* Its strings go with it: keep a copy of the name only. */
		if (r->info.name)
			r->info.name = strdup(r->info.name);
		r->info.version = r->info.license = NULL;
		r->info.description = r->info.origin = NULL;
		dlclose(r->handle);
	}
	r->handle = NULL;
	n_failed++;
}

/* Remember the element names a plugin that did not load offers. Only for
 * a plugin of our ABI major: the class layout starts with the name. */
static void keep_offered(struct plugin_rec *r,
			 const struct px_element_class *const *classes)
{
	unsigned n = 0;

	while (classes && classes[n])
		n++;
	r->offered = calloc(n ? n : 1, sizeof(*r->offered));
	if (!r->offered)
		return;
	for (unsigned i = 0; i < n; i++)
		if (classes[i]->name &&
		    (r->offered[r->n_offered] = strdup(classes[i]->name)))
			r->n_offered++;
}

/* The loaded plugin that registered CLS, or NULL. */
static const struct px_plugin_info *info_of_class(
	const struct px_element_class *cls)
{
	for (unsigned i = 0; cls && i < n_recs; i++)
		for (unsigned k = 0; k < recs[i].info.n_classes; k++)
			if (recs[i].info.classes[k] == cls)
				return &recs[i].info;
	return NULL;
}

/* Who already provides NAME: "plugin P (file)" or "Parallax itself". */
static void provider(const char *name, char *buf, size_t len)
{
	const struct px_plugin_info *pi =
		info_of_class(px__registry_find_locked(name));

	if (pi)
		snprintf(buf, len, "plugin %s (%s)", pi->name, pi->path);
	else
		snprintf(buf, len, "%s", "Parallax itself or the application");
}

/* Check DESC's element classes, then register them all (or none). */
static void add_classes(struct plugin_rec *r, const struct px_plugin_desc *d)
{
	const struct px_element_class *const *c = d->classes;
	char who[PX_MSG_TEXT / 2];
	unsigned n = 0;
	int err;

	while (c && c[n])
		n++;
	for (unsigned i = 0; i < n; i++) {
		if (px__registry_check_class(c[i])) {
			fail(r, "element class %u (%s) is malformed: a name, "
				"unique property and pad names, read-only "
				"properties of px_stat_* types",
			     i, c[i]->name ? c[i]->name : "no name");
			return;
		}
		for (unsigned j = 0; j < i; j++)
			if (!strcmp(c[j]->name, c[i]->name)) {
				fail(r, "it offers element '%s' twice",
				     c[i]->name);
				return;
			}
		if (px__registry_find_locked(c[i]->name)) {
			provider(c[i]->name, who, sizeof(who));
			keep_offered(r, c);
			fail(r, "its element '%s' is already provided by %s",
			     c[i]->name, who);
			return;
		}
	}
	for (unsigned i = 0; i < n; i++) {
		err = px__registry_add_locked(c[i]);
		if (err) {
			/* Only -ENOMEM is left: what was added stays, and so
			 * must the code it points into. */
			r->info.error = "out of memory while registering its "
					"elements";
			n_failed++;
			n = i;
			break;
		}
	}
	r->info.classes = c;
	r->info.n_classes = n;
}

static void load_file(const char *path)
{
	const struct px_plugin_desc *d;
	struct plugin_rec *r = new_rec(path);
	px_plugin_entry_fn entry;

	if (!r)
		return;
	r->handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!r->handle) {
		fail(r, "cannot load: %s", dlerror());
		return;
	}
	entry = (px_plugin_entry_fn)dlsym(r->handle, PX_PLUGIN_ENTRY);
	if (!entry) {
		fail(r, "not a Parallax plugin: it has no %s() (define one "
			"with PX_PLUGIN_DEFINE)",
		     PX_PLUGIN_ENTRY);
		return;
	}
	d = entry();
	if (!d) {
		fail(r, "%s() returned NULL", PX_PLUGIN_ENTRY);
		return;
	}
	if (d->abi_major != PX_ABI_MAJOR || d->abi_minor > PX_ABI_MINOR) {
		if (d->abi_major == PX_ABI_MAJOR)
			keep_offered(r, d->classes);
		r->info.name = d->abi_major == PX_ABI_MAJOR ? d->name : NULL;
		fail(r, "built for Parallax ABI %u.%u; this libparallax %s "
			"has ABI %u.%u (a plugin needs the same major and a "
			"minor that is not newer: rebuild it against this "
			"version)",
		     d->abi_major, d->abi_minor, PX_VERSION_STRING,
		     PX_ABI_MAJOR, PX_ABI_MINOR);
		return;
	}
	if (d->class_size != sizeof(struct px_element_class) ||
	    d->prop_spec_size != sizeof(struct px_prop_spec) ||
	    d->pad_template_size != sizeof(struct px_pad_template)) {
		fail(r, "built with other struct sizes (element class %u, "
			"property spec %u, pad template %u bytes; this "
			"libparallax has %zu, %zu, %zu): different headers "
			"or compiler flags",
		     d->class_size, d->prop_spec_size, d->pad_template_size,
		     sizeof(struct px_element_class),
		     sizeof(struct px_prop_spec),
		     sizeof(struct px_pad_template));
		return;
	}
	if (!d->name || !d->name[0] || !d->version) {
		fail(r, "its description has no %s",
		     !d->version ? "version" : "name");
		return;
	}
	for (unsigned i = 0; i + 1 < n_recs; i++)
		if (!recs[i].info.error && !strcmp(recs[i].info.name, d->name)) {
			fail(r, "a plugin named '%s' is already loaded from %s",
			     d->name, recs[i].info.path);
			return;
		}
	r->info.name = d->name;
	r->info.version = d->version;
	r->info.license = d->license;
	r->info.description = d->description;
	r->info.origin = d->origin;
	add_classes(r, d);
}

static int so_file(const struct dirent *de)
{
	size_t n = strlen(de->d_name);

	return de->d_name[0] != '.' && n > 3 &&
	       !strcmp(de->d_name + n - 3, ".so");
}

/* Every *.so in DIR, in name order. A folder that is not there is fine. */
static void load_dir(const char *dir)
{
	struct dirent **list;
	char path[PATH_MAX];
	int n = scandir(dir, &list, so_file, alphasort);

	for (int i = 0; i < n; i++) {
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir,
				     list[i]->d_name) < sizeof(path))
			load_file(path);
		free(list[i]);
	}
	if (n >= 0)
		free(list);
}

/* parallax-<major>/ beside the libparallax (or program) this code is in. */
static bool system_dir(char *buf, size_t len)
{
	Dl_info info;
	const char *slash;

	if (!dladdr((void *)px_plugin_count, &info) || !info.dli_fname)
		return false;
	slash = strrchr(info.dli_fname, '/');
	if (!slash)
		return false;
	return (size_t)snprintf(buf, len, "%.*s/parallax-%d",
				(int)(slash - info.dli_fname), info.dli_fname,
				PX_VERSION_MAJOR) < len;
}

void px__plugins_load(void)
{
	const char *env = getenv("PX_PLUGIN_PATH");
	char dir[PATH_MAX];

	while (env && *env) {
		size_t k = strcspn(env, ":");

		if (k && k < sizeof(dir)) {
			memcpy(dir, env, k);
			dir[k] = '\0';
			load_dir(dir);
		}
		env += k + (env[k] == ':');
	}
	if (system_dir(dir, sizeof(dir)))
		load_dir(dir);
}

size_t px__plugin_explain(const char *element, char *buf, size_t len)
{
	size_t used = 0;
	unsigned told = 0;

	px_registry_count(); /* plugins are loaded */
	if (!n_failed || !len)
		return 0;
	for (unsigned i = 0; i < n_recs; i++)
		for (unsigned k = 0; k < recs[i].n_offered; k++)
			if (element && !strcmp(recs[i].offered[k], element))
				return (size_t)snprintf(
					buf, len,
					"; plugin %s (%s) offers it but did not "
					"load: %s",
					recs[i].info.name ? recs[i].info.name :
							    "?",
					recs[i].info.path, recs[i].info.error);
	for (unsigned i = 0; i < n_recs && used < len; i++) {
		if (!recs[i].info.error)
			continue;
		if (told++ == 2) {
			used += (size_t)snprintf(buf + used, len - used,
						 "; and %u more (px-inspect "
						 "--plugins)",
						 n_failed - 2);
			break;
		}
		used += (size_t)snprintf(buf + used, len - used,
					 "; plugin file %s did not load: %s",
					 recs[i].info.path, recs[i].info.error);
	}
	return used < len ? used : len - 1;
}

PX_API unsigned px_plugin_count(void)
{
	px_registry_count(); /* the first use of the registry loads them */
	return n_recs;
}

PX_API const struct px_plugin_info *px_plugin_at(unsigned i)
{
	return i < px_plugin_count() ? &recs[i].info : NULL;
}

PX_API const struct px_plugin_info *px_plugin_find(const char *name)
{
	for (unsigned i = 0; name && i < px_plugin_count(); i++)
		if (!recs[i].info.error && !strcmp(recs[i].info.name, name))
			return &recs[i].info;
	return NULL;
}

PX_API const struct px_plugin_info *
px_plugin_of_class(const struct px_element_class *cls)
{
	px_registry_count(); /* plugins are loaded */
	return info_of_class(cls);
}

PX_API unsigned px_plugin_failures(void)
{
	px_registry_count();
	return n_failed;
}
