// SPDX-License-Identifier: MIT
/*
 * plugin.c - the nats plugin: natssink and natssrc, built when libnats is
 * found (docs/nats.md). A plugin rather than part of libparallax, so that
 * the library does not depend on libnats.
 */
#include <parallax/px_plugin.h>

extern const struct px_element_class pxn_natssink_class;
extern const struct px_element_class pxn_natssrc_class;

static const struct px_element_class *const classes[] = {
	&pxn_natssink_class,
	&pxn_natssrc_class,
	NULL,
};

PX_PLUGIN_DEFINE(.name = "nats", .version = "1.0", .license = "MIT",
		 .description = "NATS JetStream bridge: natssink, natssrc",
		 .origin = "parallax",
		 .classes = classes);
