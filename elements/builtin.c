// SPDX-License-Identifier: MIT
/*
 * builtin.c - the table of built-in element classes that the registry loads
 * on first use (builtin_int.h).
 */
#include "builtin_int.h" /* the table is also declared in engine/registry.c */
#include "elements_int.h"
#include "io_common_int.h"

const struct px_element_class *const px__builtin_classes[] = {
	&px__appsink_class,
	&px__capsfilter_class,
	&px__consolesink_class,
	&px__fakesink_class,
	&px__fakesrc_class,
	&px__filesink_class,
	&px__filesrc_class,
	&px__funnel_class,
	&px__identity_class,
	&px__queue_class,
	&px__tcpsink_class,
	&px__tcpsrc_class,
	&px__multitcpsrc_class,
	&px__netsink_class,
	&px__netsrc_class,
	&px__tee_class,
	&px__recordsrc_class,
	&px__recordmap_class,
	&px__recordsink_class,
	NULL,
};
