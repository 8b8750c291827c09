/* SPDX-License-Identifier: MIT */
/*
 * px_registry.h - the process-wide table of element classes: the built-ins
 * are there from the first call; applications and plugins add their own.
 * Stability: public API, changed only with the ABI version (px_plugin.h).
 */
#ifndef PX_REGISTRY_H
#define PX_REGISTRY_H

#include "px_base.h"
#include "px_element.h"

PX_EXTERN_C_BEGIN

/*
 * px_registry_add - register CLS (borrowed: must outlive the process use).
 * Returns 0, -EEXIST (a class of that name exists), -EINVAL (malformed
 * class: no name, duplicate property or pad names, a read-only property of
 * a type that is not a px_stat_* integer), -ENOMEM. Any thread.
 */
PX_API int px_registry_add(const struct px_element_class *cls);
/* The class named NAME, or NULL. Any thread. */
PX_API const struct px_element_class *px_registry_find(const char *name);
/* Classes in name order: count, then 0..count-1. Any thread. */
PX_API unsigned px_registry_count(void);
PX_API const struct px_element_class *px_registry_at(unsigned i);
/* The registered name nearest to NAME (edit distance), or NULL. */
PX_API const char *px_registry_suggest(const char *name);

PX_EXTERN_C_END

#endif /* PX_REGISTRY_H */
