/* SPDX-License-Identifier: MIT */
/*
 * builtin_int.h - the table of built-in element classes that the registry
 * loads on first use (elements/builtin.c defines it). Internal.
 */
#ifndef PX_BUILTIN_INT_H
#define PX_BUILTIN_INT_H

#include "px_element.h"

/* NULL-terminated list of every built-in class, one per elements/ file. */
extern const struct px_element_class *const px__builtin_classes[];

#endif /* PX_BUILTIN_INT_H */
