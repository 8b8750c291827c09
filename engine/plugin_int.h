/* SPDX-License-Identifier: MIT */
/*
 * plugin_int.h - what the registry and the error paths need of the plugin
 * loader (plugin.c).
 */
#ifndef PX_PLUGIN_INT_H
#define PX_PLUGIN_INT_H

#include <stddef.h>

/* Load every plugin: from the registry's first use, under its lock, once. */
void px__plugins_load(void);
/*
 * px__plugin_explain - why ELEMENT may be missing, appended to an error:
 * "; plugin X (file) offers it but did not load: ..." when a plugin that
 * did not load names it, else the plugin files that did not load. Writes
 * BUF (NUL-terminated) and returns its length; 0 when every plugin loaded.
 */
size_t px__plugin_explain(const char *element, char *buf, size_t len);

#endif /* PX_PLUGIN_INT_H */
