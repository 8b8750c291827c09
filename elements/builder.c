// SPDX-License-Identifier: MIT
/*
 * builder.c - the typed builder of px_elements.h: each px_add_<element>()
 * creates the element and sets the fields that differ from zero through
 * the typed property setters, so the engine checks ranges as for strings.
 */
#include <errno.h>
#include <stdarg.h>

#include "px_elements.h"

/* Create FACTORY and hand it back; every px_add_* starts here. */
static int add(struct px_pipeline *p, const char *factory, const char *name,
	       struct px_element **e)
{
	return px_pipeline_add(p, factory, name, e);
}

static int done(int rc, struct px_element *e, struct px_element **out)
{
	if (out)
		*out = rc < 0 ? NULL : e;
	return rc;
}

PX_API int px_add_fakesrc(struct px_pipeline *p, const char *name,
			  const struct px_fakesrc_config *cfg,
			  struct px_element **out)
{
	struct px_element *e = NULL;
	int rc = add(p, "fakesrc", name, &e);

	if (rc < 0 || !cfg)
		return done(rc, e, out);
	if (cfg->num_buffers) {
		if (cfg->num_buffers > INT64_MAX)
			return done(-EINVAL, e, out);
		rc = px_element_set_int(e, "num-buffers",
					(int64_t)cfg->num_buffers);
	}
	if (!rc && cfg->size)
		rc = px_element_set_uint64(e, "size", cfg->size);
	if (!rc && cfg->filltype)
		rc = px_element_set_int(e, "filltype", cfg->filltype);
	if (!rc && cfg->rate)
		rc = cfg->rate > INT64_MAX
			     ? -EINVAL
			     : px_element_set_int(e, "rate", (int64_t)cfg->rate);
	if (!rc && cfg->pool_slots)
		rc = px_element_set_int(e, "pool-slots", cfg->pool_slots);
	return done(rc, e, out);
}

PX_API int px_add_fakesink(struct px_pipeline *p, const char *name,
			   const struct px_fakesink_config *cfg,
			   struct px_element **out)
{
	struct px_element *e = NULL;
	int rc = add(p, "fakesink", name, &e);

	if (rc < 0 || !cfg)
		return done(rc, e, out);
	if (cfg->checksum)
		rc = px_element_set_bool(e, "checksum", true);
	if (!rc && cfg->dump)
		rc = px_element_set_bool(e, "dump", true);
	return done(rc, e, out);
}

PX_API int px_add_identity(struct px_pipeline *p, const char *name,
			   const struct px_identity_config *cfg,
			   struct px_element **out)
{
	struct px_element *e = NULL;
	int rc = add(p, "identity", name, &e);

	if (rc < 0 || !cfg)
		return done(rc, e, out);
	if (cfg->drop_probability != 0.0)
		rc = px_element_set_double(e, "drop-probability",
					   cfg->drop_probability);
	if (!rc && cfg->sleep_time_ns)
		rc = px_element_set_int(e, "sleep-time", cfg->sleep_time_ns);
	if (!rc && cfg->error_after)
		rc = cfg->error_after > INT64_MAX
			     ? -EINVAL
			     : px_element_set_int(e, "error-after",
						  (int64_t)cfg->error_after);
	return done(rc, e, out);
}

PX_API int px_add_tee(struct px_pipeline *p, const char *name,
		      const struct px_tee_config *cfg, struct px_element **out)
{
	struct px_element *e = NULL;
	int rc = add(p, "tee", name, &e);

	if (rc < 0 || !cfg)
		return done(rc, e, out);
	if (cfg->allow_not_linked)
		rc = px_element_set_bool(e, "allow-not-linked", true);
	return done(rc, e, out);
}

PX_API int px_add_queue(struct px_pipeline *p, const char *name,
			const struct px_queue_config *cfg,
			struct px_element **out)
{
	struct px_element *e = NULL;
	int rc = add(p, "queue", name, &e);

	if (rc < 0 || !cfg)
		return done(rc, e, out);
	if (cfg->max_size_buffers)
		rc = px_element_set_int(e, "max-size-buffers",
					cfg->max_size_buffers);
	if (!rc && cfg->max_size_bytes)
		rc = px_element_set_uint64(e, "max-size-bytes",
					   cfg->max_size_bytes);
	if (!rc && cfg->leaky)
		rc = px_element_set_int(e, "leaky", cfg->leaky);
	if (!rc && cfg->pin_reactor)
		rc = px_element_set_int(e, "reactor", cfg->reactor);
	return done(rc, e, out);
}

PX_API int px_add_capsfilter(struct px_pipeline *p, const char *name,
			     const char *caps, struct px_element **out)
{
	struct px_element *e = NULL;
	int rc = add(p, "capsfilter", name, &e);

	if (rc >= 0 && caps)
		rc = px_element_set_string(e, "caps", caps);
	return done(rc, e, out);
}

PX_API int px_add_funnel(struct px_pipeline *p, const char *name,
			 struct px_element **out)
{
	struct px_element *e = NULL;

	return done(add(p, "funnel", name, &e), e, out);
}

PX_API int px_add_consolesink(struct px_pipeline *p, const char *name,
			      const struct px_consolesink_config *cfg,
			      struct px_element **out)
{
	struct px_element *e = NULL;
	int rc = add(p, "consolesink", name, &e);

	if (rc >= 0 && cfg && cfg->mode)
		rc = px_element_set_int(e, "mode", cfg->mode);
	return done(rc, e, out);
}

PX_API int px_link_chain(struct px_element *first, ...)
{
	struct px_element *prev = first, *next;
	va_list ap;
	int rc = 0;

	if (!first)
		return -EINVAL;
	va_start(ap, first);
	while ((next = va_arg(ap, struct px_element *))) {
		rc = px_element_link(prev, next);
		if (rc < 0)
			break;
		prev = next;
	}
	va_end(ap);
	return rc;
}
