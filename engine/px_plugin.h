/* SPDX-License-Identifier: MIT */
/*
 * px_plugin.h - element classes from shared objects loaded at run time: the
 * versioned entry point a plugin exports, and what the loader found.
 *
 * A plugin is a .so that links libparallax and defines its entry point with
 * PX_PLUGIN_DEFINE (docs/writing-elements.md has a complete one):
 *
 *   static const struct px_element_class *const classes[] = { &xor_class, NULL };
 *   PX_PLUGIN_DEFINE(.name = "xor", .version = "1.0", .license = "MIT",
 *                    .description = "XOR every byte", .origin = "https://...",
 *                    .classes = classes);
 *
 * Discovery: the first use of the registry (px_registry_find, a launch
 * string, px-inspect) loads every *.so in each folder of PX_PLUGIN_PATH
 * (colon-separated), then in the folder parallax-<major> beside the
 * libparallax that runs (lib/parallax-0 of an installed tree;
 * `pkg-config --variable=plugindir parallax`). Every process scans afresh:
 * a plugin that failed once is tried again next time, and why it failed is
 * kept (px_plugin_at) for px-inspect and for the error of a launch string
 * that names an element nobody provides.
 *
 * Compatibility: a plugin is loaded when it was built for this ABI major
 * and a minor that is not newer than the library's (GStreamer's rule), and
 * with the same sizes of the structs it hands over. The ABI is that of every
 * installed header whose first comment says "Stability: public API"; while
 * the major is 0, every minor may change it (rebuild plugins then).
 * Stability: public API, changed only with the ABI version (px_plugin.h).
 */
#ifndef PX_PLUGIN_H
#define PX_PLUGIN_H

#include <stdint.h>

#include "px_base.h"
#include "px_element.h"

PX_EXTERN_C_BEGIN

#define PX_ABI_MAJOR 0
#define PX_ABI_MINOR 10

/* What a plugin hands the loader: filled by PX_PLUGIN_DEFINE. */
struct px_plugin_desc {
	uint32_t abi_major, abi_minor;	/* PX_ABI_* the plugin was built with */
	uint32_t class_size;		/* sizeof(struct px_element_class) */
	uint32_t prop_spec_size;	/* sizeof(struct px_prop_spec) */
	uint32_t pad_template_size;	/* sizeof(struct px_pad_template) */
	const char *name;		/* required: lowercase, unique */
	const char *version;		/* required: "1.0" */
	const char *license;		/* SPDX identifier */
	const char *description;	/* one line */
	const char *origin;		/* where it comes from (a URL) */
	/* NULL-terminated; each class must outlive the process (static). */
	const struct px_element_class *const *classes;
};

/* The symbol the loader looks up: a function, so that a plugin's table
 * can hold addresses the dynamic linker fills in. */
#define PX_PLUGIN_ENTRY "px_plugin_entry"
typedef const struct px_plugin_desc *(*px_plugin_entry_fn)(void);

/* Define the plugin's entry point; the arguments are designated
 * initializers of struct px_plugin_desc (name, version, classes...). */
#define PX_PLUGIN_DEFINE(...)                                                \
	__attribute__((visibility("default"))) const struct px_plugin_desc * \
	px_plugin_entry(void);                                               \
	__attribute__((visibility("default"))) const struct px_plugin_desc * \
	px_plugin_entry(void)                                                \
	{                                                                    \
		static const struct px_plugin_desc desc = {                  \
			.abi_major = PX_ABI_MAJOR,                           \
			.abi_minor = PX_ABI_MINOR,                           \
			.class_size = sizeof(struct px_element_class),       \
			.prop_spec_size = sizeof(struct px_prop_spec),       \
			.pad_template_size = sizeof(struct px_pad_template), \
			__VA_ARGS__                                          \
		};                                                           \
		return &desc;                                                \
	}

/* What the loader found in one file: a plugin that loaded (error NULL) or
 * one that did not, with the reason. Strings live as long as the process. */
struct px_plugin_info {
	const char *path;	 /* the file */
	const char *name;	 /* NULL when it never said */
	const char *version, *license, *description, *origin;
	const char *error;	 /* NULL: loaded; else the sentence */
	unsigned n_classes;	 /* element classes it registered */
	const struct px_element_class *const *classes;
};

/* Plugins found (loaded or not), in load order. Any thread. */
PX_API unsigned px_plugin_count(void);
/* The I-th, or NULL. (transfer none) valid for the process. */
PX_API const struct px_plugin_info *px_plugin_at(unsigned i);
/* The loaded plugin named NAME, or NULL. */
PX_API const struct px_plugin_info *px_plugin_find(const char *name);
/* The plugin that registered CLS, or NULL for a built-in or a class the
 * application registered itself. */
PX_API const struct px_plugin_info *
px_plugin_of_class(const struct px_element_class *cls);
/* How many plugins failed to load. */
PX_API unsigned px_plugin_failures(void);

PX_EXTERN_C_END

#endif /* PX_PLUGIN_H */
