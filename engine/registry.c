// SPDX-License-Identifier: MIT
/*
 * registry.c - the process-wide table of element classes, kept sorted by
 * name, with the built-ins loaded on first use, and the edit-distance
 * suggestions that turn typos into "did you mean ...?".
 */
#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline_int.h"
#include "plugin_int.h"
#include "px_registry.h"

/*
 * The built-in tables, defined by the modules above the engine: elements/
 * builtin.c and ipc/ipc_elements.c. Declared here, not in a header of
 * theirs, so the engine includes nothing from above it. The references are
 * strong on purpose: a weak one would not pull those objects (and the
 * elements) out of the static archive, and programs linked statically
 * would silently see no built-ins.
 */
extern const struct px_element_class *const px__builtin_classes[];
extern const struct px_element_class *const px__ipc_classes[];

static pthread_mutex_t reg_mu = PTHREAD_MUTEX_INITIALIZER;
static const struct px_element_class **reg_tab; /* sorted by name */
static unsigned reg_n, reg_cap;
static bool reg_loaded;

/* Read-only properties are px_stat_u64/px_stat_i64 fields (px_element.h). */
static bool stat_type(enum px_prop_type t)
{
	return t == PX_PROP_INT || t == PX_PROP_UINT64 || t == PX_PROP_SIZE ||
	       t == PX_PROP_DURATION;
}

int px__registry_check_class(const struct px_element_class *cls)
{
	if (!cls || !cls->name || !cls->name[0])
		return -EINVAL;
	for (unsigned i = 0; i < cls->n_props; i++) {
		const char *n = cls->props[i].name;

		/* "name" and "memory" belong to every element (props.c). */
		if (!n || !n[0] || !strcmp(n, "name") || !strcmp(n, "memory"))
			return -EINVAL;
		for (unsigned j = 0; j < i; j++)
			if (!strcmp(cls->props[j].name, n))
				return -EINVAL;
		if (cls->props[i].type == PX_PROP_ENUM && !cls->props[i].enums)
			return -EINVAL;
		if ((cls->props[i].flags & PX_PROP_READONLY) &&
		    !stat_type(cls->props[i].type))
			return -EINVAL;
	}
	for (unsigned i = 0; i < cls->n_pads; i++) {
		if (!cls->pads[i].name)
			return -EINVAL;
		for (unsigned j = 0; j < i; j++)
			if (!strcmp(cls->pads[j].name, cls->pads[i].name))
				return -EINVAL;
	}
	return 0;
}

/* Index where NAME is or would go. Under reg_mu. */
static unsigned lower_bound(const char *name)
{
	unsigned lo = 0, hi = reg_n;

	while (lo < hi) {
		unsigned mid = (lo + hi) / 2;

		if (strcmp(reg_tab[mid]->name, name) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int add_locked(const struct px_element_class *cls)
{
	int err = px__registry_check_class(cls);
	unsigned at;

	if (err)
		return err;
	at = lower_bound(cls->name);
	if (at < reg_n && !strcmp(reg_tab[at]->name, cls->name))
		return -EEXIST;
	if (reg_n == reg_cap) {
		unsigned cap = reg_cap ? reg_cap * 2 : 32;
		const struct px_element_class **t =
			realloc(reg_tab, cap * sizeof(*t));

		if (!t)
			return -ENOMEM;
		reg_tab = t;
		reg_cap = cap;
	}
	memmove(&reg_tab[at + 1], &reg_tab[at],
		(reg_n - at) * sizeof(*reg_tab));
	reg_tab[at] = cls;
	reg_n++;
	return 0;
}

int px__registry_add_locked(const struct px_element_class *cls)
{
	return add_locked(cls);
}

const struct px_element_class *px__registry_find_locked(const char *name)
{
	unsigned at = lower_bound(name);

	return at < reg_n && !strcmp(reg_tab[at]->name, name) ? reg_tab[at] :
								 NULL;
}

/* Under reg_mu: the built-ins, then the plugins (plugin.c), once. A
 * malformed built-in is skipped. */
static void load_builtins(void)
{
	if (reg_loaded)
		return;
	reg_loaded = true;
	for (unsigned i = 0; px__builtin_classes[i]; i++)
		(void)add_locked(px__builtin_classes[i]);
	for (unsigned i = 0; px__ipc_classes[i]; i++)
		(void)add_locked(px__ipc_classes[i]);
	px__plugins_load();
}

PX_API int px_registry_add(const struct px_element_class *cls)
{
	int err;

	pthread_mutex_lock(&reg_mu);
	load_builtins();
	err = add_locked(cls);
	pthread_mutex_unlock(&reg_mu);
	return err;
}

PX_API const struct px_element_class *px_registry_find(const char *name)
{
	const struct px_element_class *cls;

	if (!name)
		return NULL;
	pthread_mutex_lock(&reg_mu);
	load_builtins();
	cls = px__registry_find_locked(name);
	pthread_mutex_unlock(&reg_mu);
	return cls;
}

PX_API unsigned px_registry_count(void)
{
	unsigned n;

	pthread_mutex_lock(&reg_mu);
	load_builtins();
	n = reg_n;
	pthread_mutex_unlock(&reg_mu);
	return n;
}

PX_API const struct px_element_class *px_registry_at(unsigned i)
{
	const struct px_element_class *cls = NULL;

	pthread_mutex_lock(&reg_mu);
	load_builtins();
	if (i < reg_n)
		cls = reg_tab[i];
	pthread_mutex_unlock(&reg_mu);
	return cls;
}

static int norm(int ch)
{
	return ch == '_' ? '-' : tolower(ch);
}

unsigned px__edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	unsigned row[65], prev_diag;

	/* Names are short; longer ones are simply "far". */
	if (la > 64 || lb > 64)
		return 1000;
	for (size_t j = 0; j <= lb; j++)
		row[j] = (unsigned)j;
	for (size_t i = 1; i <= la; i++) {
		prev_diag = row[0];
		row[0] = (unsigned)i;
		for (size_t j = 1; j <= lb; j++) {
			unsigned up = row[j];
			unsigned cost = norm((unsigned char)a[i - 1]) !=
					norm((unsigned char)b[j - 1]);
			unsigned best = prev_diag + cost;

			if (row[j] + 1 < best)
				best = row[j] + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			prev_diag = up;
		}
	}
	return row[lb];
}

bool px__suggestable(unsigned dist, size_t len)
{
	size_t third = (len + 2) / 3;

	return dist <= 3 && dist <= (third ? third : 1);
}

PX_API const char *px_registry_suggest(const char *name)
{
	const char *best = NULL;
	unsigned best_d = ~0u;

	if (!name)
		return NULL;
	pthread_mutex_lock(&reg_mu);
	load_builtins();
	for (unsigned i = 0; i < reg_n; i++) {
		unsigned d = px__edit_distance(name, reg_tab[i]->name);

		if (d < best_d) {
			best_d = d;
			best = reg_tab[i]->name;
		}
	}
	pthread_mutex_unlock(&reg_mu);
	if (best && px__suggestable(best_d, strlen(name)))
		return best;
	return NULL;
}
