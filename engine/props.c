// SPDX-License-Identifier: MIT
/*
 * props.c - typed element properties: defaults, setting from text or from C
 * with range checks, and error sentences that name the element and the
 * property and suggest the nearest valid name (text forms: prop_text.c).
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline_int.h"
#include "px_error.h"

/* A value in any of the property types. */
struct pval {
	bool b;
	int64_t i; /* INT, DURATION, ENUM */
	uint64_t u; /* UINT64, SIZE */
	double d;
	const char *s;
};

/* ---- defaults ------------------------------------------------------------- */

static void *slot(const struct px_element *e, const struct px_prop_spec *spec)
{
	return (char *)e->priv + spec->offset;
}

/* Bytes a value of TYPE occupies in the element's private state. */
static size_t storage_size(enum px_prop_type type)
{
	switch (type) {
	case PX_PROP_BOOL:
		return sizeof(bool);
	case PX_PROP_ENUM:
		return sizeof(int);
	case PX_PROP_STRING:
		return sizeof(char *);
	case PX_PROP_DOUBLE:
		return sizeof(double);
	default: /* INT, DURATION (int64_t); UINT64, SIZE (uint64_t) */
		return sizeof(uint64_t);
	}
}

/* Write V at DST as TYPE stores it. A string is stored as the pointer
 * V->s itself: the caller owns the copy it passes. */
static void write_value(void *dst, enum px_prop_type type,
			const struct pval *v)
{
	switch (type) {
	case PX_PROP_BOOL:
		*(bool *)dst = v->b;
		break;
	case PX_PROP_INT:
	case PX_PROP_DURATION:
		*(int64_t *)dst = v->i;
		break;
	case PX_PROP_ENUM:
		*(int *)dst = (int)v->i;
		break;
	case PX_PROP_UINT64:
	case PX_PROP_SIZE:
		*(uint64_t *)dst = v->u;
		break;
	case PX_PROP_DOUBLE:
		*(double *)dst = v->d;
		break;
	case PX_PROP_STRING:
		*(const char **)dst = v->s;
		break;
	}
}

int px__props_apply_defaults(struct px_element *e)
{
	for (unsigned i = 0; i < e->cls->n_props; i++) {
		const struct px_prop_spec *spec = &e->cls->props[i];
		struct pval v = {
			.b = spec->def_bool,
			.i = spec->def_int,
			.u = spec->def_u64,
			.d = spec->def_double,
		};

		if (spec->type == PX_PROP_STRING && spec->def_string) {
			v.s = strdup(spec->def_string);
			if (!v.s)
				return -ENOMEM;
		}
		if (!(spec->flags & PX_PROP_READONLY))
			write_value(slot(e, spec), spec->type, &v);
		else if (spec->type == PX_PROP_INT ||
			 spec->type == PX_PROP_DURATION)
			px_stat_set((px_stat_i64 *)slot(e, spec), v.i);
		else
			px_stat_set((px_stat_u64 *)slot(e, spec), v.u);
	}
	return 0;
}

void px__props_free(struct px_element *e)
{
	if (!e->priv)
		return;
	for (unsigned i = 0; i < e->cls->n_props; i++) {
		const struct px_prop_spec *spec = &e->cls->props[i];

		if (spec->type == PX_PROP_STRING) {
			free(*(char **)slot(e, spec));
			*(char **)slot(e, spec) = NULL;
		}
	}
}

const struct px_prop_spec *px__prop_find(const struct px_element_class *cls,
					 const char *name)
{
	for (unsigned i = 0; i < cls->n_props; i++)
		if (!strcmp(cls->props[i].name, name))
			return &cls->props[i];
	return NULL;
}

bool px__prop_is_default(const struct px_element *e,
			 const struct px_prop_spec *spec)
{
	char cur[256], def[256];

	px__prop_format(spec, e->priv, cur, sizeof(cur));
	px__prop_format(spec, NULL, def, sizeof(def));
	return !strcmp(cur, def);
}

/* ---- setting -------------------------------------------------------------- */

/* Properties every element has, outside its class's specs. */
static bool common_prop(const char *prop)
{
	return !strcmp(prop, "name") || !strcmp(prop, "memory") ||
	       !strcmp(prop, "numa-node");
}

/* The spec for PROP of E, or an error with a sentence (NULL spec: a
 * common property, "name", "memory" or "numa-node"). */
static int lookup(struct px_element *e, const char *prop, bool for_write,
		  const struct px_prop_spec **out)
{
	struct px_pipeline *p = e->pipeline;
	const struct px_prop_spec *spec;

	if (!prop)
		return -EINVAL;
	/* A replacement being made (px_pipeline_replace) is not running. */
	if (for_write && px_pipeline_state(p) > PX_STATE_READY &&
	    !e->detached) {
		px__pipeline_fail(p, -EBUSY, e->name,
				  "cannot set property '%s' of %s while the "
				  "pipeline is %s",
				  prop, e->name,
				  px_state_name(px_pipeline_state(p)));
		return -EBUSY;
	}
	*out = NULL;
	if (common_prop(prop))
		return 0;
	spec = px__prop_find(e->cls, prop);
	if (!spec) {
		static const char *const common[] = { "memory", "numa-node" };
		const char *best = "name";
		unsigned best_d = px__edit_distance(prop, "name");

		for (size_t i = 0; i < PX_ARRAY_SIZE(common); i++) {
			unsigned d = px__edit_distance(prop, common[i]);

			if (d < best_d) {
				best = common[i];
				best_d = d;
			}
		}

		for (unsigned i = 0; i < e->cls->n_props; i++) {
			unsigned d = px__edit_distance(prop,
						       e->cls->props[i].name);
			if (d < best_d) {
				best_d = d;
				best = e->cls->props[i].name;
			}
		}
		if (px__suggestable(best_d, strlen(prop)))
			px__pipeline_fail(p, -ENOENT, e->name,
					  "unknown property '%s' of %s (did "
					  "you mean '%s'?)",
					  prop, e->name, best);
		else
			px__pipeline_fail(p, -ENOENT, e->name,
					  "unknown property '%s' of %s (see "
					  "px-inspect %s)",
					  prop, e->name, e->cls->name);
		return -ENOENT;
	}
	if (for_write && (spec->flags & PX_PROP_READONLY)) {
		px__pipeline_fail(p, -EPERM, e->name,
				  "property '%s' of %s is read-only", prop,
				  e->name);
		return -EPERM;
	}
	*out = spec;
	return 0;
}

/* Whether class C has a sink pad template (else it is a source). */
static bool has_sink_template(const struct px_element_class *c)
{
	for (unsigned i = 0; i < c->n_pads; i++)
		if (c->pads[i].direction == PX_PAD_SINK)
			return true;
	return false;
}

/*
 * "numa-node": where a source runs, or the downstream side of a thread
 * boundary (queue) - the placement pipeline_state.c makes at READY. Other
 * elements follow their upstream and are refused with where to put it.
 */
static int set_numa_node(struct px_element *e, int64_t node)
{
	if (px__elem_numa_node_check(e, node) < 0)
		return -ENODEV;
	if (has_sink_template(e->cls) &&
	    !(e->cls->flags & PX_ELEMENT_THREAD_BOUNDARY)) {
		px__pipeline_fail(e->pipeline, -EINVAL, e->name,
				  "%s: numa-node places a source, or what follows "
				  "a queue; %s runs where its upstream runs: set "
				  "numa-node on the source or on a queue before it",
				  e->name, e->name);
		return -EINVAL;
	}
	e->numa_node = (int)node;
	return 0;
}

static int set_numa_text(struct px_element *e, const char *text)
{
	int64_t v;

	if (!text || !px__parse_i64(text, &v)) {
		px__pipeline_fail(e->pipeline, -EINVAL, e->name,
				  "value '%s' for property 'numa-node' of %s is "
				  "not an integer (a node, or -1)",
				  text ? text : "", e->name);
		return -EINVAL;
	}
	return set_numa_node(e, v);
}

static int set_memory(struct px_element *e, const char *text);
static int rename_element(struct px_element *e, const char *name);

/* A common property PROP of E from TEXT. */
static int set_common(struct px_element *e, const char *prop, const char *text)
{
	if (!strcmp(prop, "name"))
		return rename_element(e, text);
	if (!strcmp(prop, "numa-node"))
		return set_numa_text(e, text);
	return set_memory(e, text);
}

static int set_memory(struct px_element *e, const char *text)
{
	char why[PX_MEMORY_DIR_MAX + 128];
	struct px_memory m;

	if (!text || px_memory_parse(text, &m, why, sizeof(why))) {
		px__pipeline_fail(e->pipeline, -EINVAL, e->name,
				  "property 'memory' of %s: %s", e->name,
				  text ? why : "no value");
		return -EINVAL;
	}
	e->memory = m;
	return 0;
}

static int rename_element(struct px_element *e, const char *name)
{
	struct px_pipeline *p = e->pipeline;
	struct px_element *other;

	if (!name || !name[0] || strlen(name) >= PX__NAME_MAX ||
	    strpbrk(name, " \t\n!.,=\"'")) {
		px__pipeline_fail(p, -EINVAL, e->name,
				  "'%s' is not a valid element name (1 to %d "
				  "characters, no spaces or !.,=\"')",
				  name ? name : "", PX__NAME_MAX - 1);
		return -EINVAL;
	}
	other = px_pipeline_find(p, name);
	if (other && other != e) {
		px__pipeline_fail(p, -EEXIST, e->name,
				  "cannot name %s '%s': another element has "
				  "that name",
				  e->name, name);
		return -EEXIST;
	}
	snprintf(e->name, sizeof(e->name), "%s", name);
	return 0;
}

static int out_of_range(struct px_element *e, const struct px_prop_spec *spec,
			const char *text)
{
	char lo[64], hi[64];
	struct px_prop_spec t = *spec;

	/* Reuse the formatter on the range ends. */
	t.def_int = spec->min_int;
	t.def_u64 = spec->min_u64;
	t.def_double = spec->min_double;
	px__prop_format(&t, NULL, lo, sizeof(lo));
	t.def_int = spec->max_int;
	t.def_u64 = spec->max_u64;
	t.def_double = spec->max_double;
	px__prop_format(&t, NULL, hi, sizeof(hi));
	px__pipeline_fail(e->pipeline, -EINVAL, e->name,
			  "value '%s' for property '%s' of %s is out of range "
			  "[%s, %s]",
			  text, spec->name, e->name, lo, hi);
	return -EINVAL;
}

/* Check V against SPEC's range; TEXT is what the user gave. */
static int check_range(struct px_element *e, const struct px_prop_spec *spec,
		       const struct pval *v, const char *text)
{
	switch (spec->type) {
	case PX_PROP_INT:
	case PX_PROP_DURATION:
		if ((spec->min_int || spec->max_int) &&
		    (v->i < spec->min_int || v->i > spec->max_int))
			return out_of_range(e, spec, text);
		break;
	case PX_PROP_UINT64:
	case PX_PROP_SIZE:
		if ((spec->min_u64 || spec->max_u64) &&
		    (v->u < spec->min_u64 || v->u > spec->max_u64))
			return out_of_range(e, spec, text);
		break;
	case PX_PROP_DOUBLE:
		if ((spec->min_double != 0 || spec->max_double != 0) &&
		    (v->d < spec->min_double || v->d > spec->max_double))
			return out_of_range(e, spec, text);
		break;
	case PX_PROP_ENUM:
		if (!px__prop_enum_nick(spec, (int)v->i) || v->i != (int)v->i) {
			char nicks[256];
			size_t used = 0;

			nicks[0] = '\0';
			for (const struct px_prop_enum *en = spec->enums;
			     en->nick; en++)
				used += (size_t)snprintf(
					nicks + used,
					used < sizeof(nicks) ?
						sizeof(nicks) - used : 0,
					"%s%s", en == spec->enums ? "" : ", ",
					en->nick);
			px__pipeline_fail(e->pipeline, -EINVAL, e->name,
					  "value '%s' for '%s' of %s is not one "
					  "of: %s",
					  text, spec->name, e->name, nicks);
			return -EINVAL;
		}
		break;
	default:
		break;
	}
	return 0;
}

/* Store V into E's SPEC, tell the class, undo if it refuses. */
static int store(struct px_element *e, const struct px_prop_spec *spec,
		 const struct pval *v)
{
	void *dst = slot(e, spec);
	size_t size = storage_size(spec->type);
	unsigned char old[sizeof(uint64_t)];
	struct pval nv = *v;
	char *copy = NULL;
	int err;

	if (spec->type == PX_PROP_STRING && v->s) {
		copy = strdup(v->s);
		if (!copy)
			return -ENOMEM;
		nv.s = copy;
	}
	memcpy(old, dst, size);
	write_value(dst, spec->type, &nv);
	e->pipeline->error[0] = '\0'; /* px_element_refuse's sentence */
	err = e->cls->prop_changed ? e->cls->prop_changed(e, spec) : 0;
	if (err < 0) {
		char why[sizeof(e->pipeline->error)];

		memcpy(dst, old, size);
		free(copy);
		if (e->pipeline->error[0]) {
			memcpy(why, e->pipeline->error, sizeof(why));
			px__pipeline_fail(e->pipeline, err, e->name, "%s", why);
		} else {
			px__pipeline_fail(e->pipeline, err, e->name,
					  "%s refused property '%s': %s",
					  e->name, spec->name,
					  px_strerror(err));
		}
		return err;
	}
	if (spec->type == PX_PROP_STRING) {
		char *prev;

		memcpy(&prev, old, sizeof(prev));
		free(prev);
	}
	return 0;
}

static int not_a(struct px_element *e, const struct px_prop_spec *spec,
		 const char *value, const char *what)
{
	px__pipeline_fail(e->pipeline, -EINVAL, e->name,
			  "value '%s' for property '%s' of %s is not %s",
			  value, spec->name, e->name, what);
	return -EINVAL;
}

PX_API int px_element_set(struct px_element *e, const char *prop,
			  const char *value)
{
	const struct px_prop_spec *spec;
	struct pval v = { 0 };
	int64_t bare;
	int err;

	if (!e || !value)
		return -EINVAL;
	e->pipeline->error[0] = '\0';
	err = lookup(e, prop, true, &spec);
	if (err)
		return err;
	if (!spec)
		return set_common(e, prop, value);
	switch (spec->type) {
	case PX_PROP_BOOL:
		if (px__parse_bool(value, &v.b))
			return not_a(e, spec, value,
				     "a boolean (true/false, yes/no, on/off, "
				     "1/0)");
		break;
	case PX_PROP_INT:
		if (!px__parse_i64(value, &v.i))
			return not_a(e, spec, value, "an integer");
		break;
	case PX_PROP_UINT64:
		if (!px__parse_u64(value, &v.u))
			return not_a(e, spec, value,
				     "an unsigned integer");
		break;
	case PX_PROP_DOUBLE: {
		char *end;

		errno = 0;
		v.d = strtod(value, &end);
		if (!*value || *end || errno || !isfinite(v.d))
			return not_a(e, spec, value, "a number");
		break;
	}
	case PX_PROP_STRING:
		v.s = value;
		break;
	case PX_PROP_ENUM: {
		bool found = false;

		for (const struct px_prop_enum *en = spec->enums; en->nick;
		     en++) {
			if (!strcmp(en->nick, value)) {
				v.i = en->value;
				found = true;
				break;
			}
		}
		if (!found && !px__parse_i64(value, &v.i))
			v.i = (int64_t)INT32_MAX + 1; /* reported below */
		break;
	}
	case PX_PROP_SIZE:
		if (px__parse_size(value, &v.u))
			return not_a(e, spec, value,
				     "a size (examples: 4096, 64K, 1M, 2G)");
		break;
	case PX_PROP_DURATION:
		if (px__parse_duration(value, &v.i))
			return not_a(e, spec, value,
				     "a duration (examples: 500us, 10ms, 2s, "
				     "1m)");
		if ((spec->flags & PX_PROP_BARE_US) &&
		    px__parse_i64(value, &bare) &&
		    __builtin_mul_overflow(bare, (int64_t)1000, &v.i))
			v.i = INT64_MAX; /* out of range: reported below */
		break;
	}
	err = check_range(e, spec, &v, value);
	return err ? err : store(e, spec, &v);
}

/* Typed setters share this: TYPES is a mask of the spec types accepted. */
static int set_typed(struct px_element *e, const char *prop, unsigned types,
		     struct pval *v, const char *text)
{
	const struct px_prop_spec *spec;
	int err;

	if (!e)
		return -EINVAL;
	e->pipeline->error[0] = '\0';
	err = lookup(e, prop, true, &spec);
	if (err)
		return err;
	if (!spec && !strcmp(prop, "numa-node") &&
	    (types & (1u << PX_PROP_INT)))
		return set_numa_node(e, v->i);
	if (!spec && (types & (1u << PX_PROP_STRING)))
		return set_common(e, prop, v->s);
	if (!spec || !(types & (1u << spec->type))) {
		px__pipeline_fail(e->pipeline, -EINVAL, e->name,
				  "property '%s' of %s is of type %s, not "
				  "set from %s",
				  prop, e->name,
				  spec ? px__prop_type_name(spec->type) :
					 "string",
				  text);
		return -EINVAL;
	}
	char vt[64];
	if (spec->type == PX_PROP_UINT64 || spec->type == PX_PROP_SIZE) {
		if (text[0] == 'i') { /* from int64 */
			if (v->i < 0) {
				snprintf(vt, sizeof(vt), "%" PRId64, v->i);
				return out_of_range(e, spec, vt);
			}
			v->u = (uint64_t)v->i;
		}
		snprintf(vt, sizeof(vt), "%" PRIu64, v->u);
	} else if (spec->type == PX_PROP_DOUBLE) {
		snprintf(vt, sizeof(vt), "%g", v->d);
	} else if (spec->type == PX_PROP_STRING) {
		snprintf(vt, sizeof(vt), "%s", v->s ? v->s : "");
	} else if (spec->type == PX_PROP_BOOL) {
		snprintf(vt, sizeof(vt), "%s", v->b ? "true" : "false");
	} else {
		if (text[0] == 'u') { /* from uint64 */
			if (v->u > INT64_MAX) {
				snprintf(vt, sizeof(vt), "%" PRIu64, v->u);
				return out_of_range(e, spec, vt);
			}
			v->i = (int64_t)v->u;
		}
		snprintf(vt, sizeof(vt), "%" PRId64, v->i);
	}
	err = check_range(e, spec, v, vt);
	return err ? err : store(e, spec, v);
}

#define T(x) (1u << (x))

PX_API int px_element_set_bool(struct px_element *e, const char *prop, bool b)
{
	struct pval v = { .b = b };

	return set_typed(e, prop, T(PX_PROP_BOOL), &v, "bool");
}

PX_API int px_element_set_int(struct px_element *e, const char *prop,
			      int64_t i)
{
	struct pval v = { .i = i };

	return set_typed(e, prop,
			 T(PX_PROP_INT) | T(PX_PROP_UINT64) | T(PX_PROP_SIZE) |
				 T(PX_PROP_DURATION) | T(PX_PROP_ENUM),
			 &v, "int");
}

PX_API int px_element_set_uint64(struct px_element *e, const char *prop,
				 uint64_t u)
{
	struct pval v = { .u = u };

	return set_typed(e, prop,
			 T(PX_PROP_UINT64) | T(PX_PROP_SIZE) | T(PX_PROP_INT) |
				 T(PX_PROP_DURATION),
			 &v, "uint64");
}

PX_API int px_element_set_double(struct px_element *e, const char *prop,
				 double d)
{
	struct pval v = { .d = d };

	return set_typed(e, prop, T(PX_PROP_DOUBLE), &v, "double");
}

PX_API int px_element_set_string(struct px_element *e, const char *prop,
				 const char *s)
{
	struct pval v = { .s = s };

	return set_typed(e, prop, T(PX_PROP_STRING), &v, "string");
}

PX_API int px_element_get(const struct px_element *e, const char *prop,
			  char *buf, size_t len)
{
	const struct px_prop_spec *spec;

	if (!e || !prop)
		return -EINVAL;
	if (!strcmp(prop, "name"))
		return snprintf(buf, len, "%s", e->name);
	if (!strcmp(prop, "memory"))
		return px_memory_format(&e->memory, buf, len);
	if (!strcmp(prop, "numa-node"))
		return snprintf(buf, len, "%d", e->numa_node);
	spec = px__prop_find(e->cls, prop);
	if (!spec)
		return -ENOENT;
	return px__prop_format(spec, e->priv, buf, len);
}
