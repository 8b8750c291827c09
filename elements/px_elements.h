/* SPDX-License-Identifier: MIT */
/*
 * px_elements.h - a typed C builder for the built-in elements: one config
 * struct per element (designated initializers, checked by the compiler) and
 * one px_add_<element>() that creates the element in a pipeline and sets
 * each field through the typed property setters.
 *
 *   struct px_element *src, *id, *sink;
 *   px_add_fakesrc(p, "src", &(struct px_fakesrc_config){
 *           .num_buffers = 1000, .size = 64 }, &src);
 *   px_add_identity(p, NULL, NULL, &id);
 *   px_add_fakesink(p, "sink", &(struct px_fakesink_config){
 *           .checksum = true }, &sink);
 *   px_link_chain(src, id, sink, NULL);
 *
 * The rule for every config struct: a field left zero keeps the element's
 * default, so `{0}` (or a NULL config) is the element as px_pipeline_add()
 * makes it. Where zero is also a meaningful value (a reactor index), the
 * struct has an explicit flag beside the field.
 *
 * Common to every px_add_*():
 * P: the pipeline, in state NULL. NAME: the element's name, or NULL for
 * "<factory><n>". CFG (borrowed, may be NULL: all defaults). OUT (may be
 * NULL): (transfer none) the element, owned by the pipeline.
 * Returns 0, or the -errno of px_pipeline_add() / px_element_set_*()
 * (-EEXIST name taken, -EBUSY not in NULL, -EINVAL value out of range,
 * -ENOMEM), with the sentence in px_pipeline_error(P). On a failed set the
 * element stays in P with the properties set so far: destroy the pipeline.
 * Application thread.
 * Stability: public API, changed only with the ABI version (px_plugin.h).
 */
#ifndef PX_ELEMENTS_H
#define PX_ELEMENTS_H

#include <stdbool.h>
#include <stdint.h>

#include "px_base.h"
#include "px_pipeline.h"

PX_EXTERN_C_BEGIN

/* ---- fakesrc ---------------------------------------------------------- */

enum px_fakesrc_filltype {
	/* GStreamer's numbers (GstFakeSrcFillType); 0 in a config: default */
	PX_FAKESRC_FILL_NOTHING = 1,	  /* default: bytes untouched (fastest) */
	PX_FAKESRC_FILL_ZERO = 2,	  /* zero bytes */
	PX_FAKESRC_FILL_RANDOM = 3,	  /* pseudo-random bytes */
	PX_FAKESRC_FILL_PATTERN = 4,	  /* each buffer 00 01 02 ... ff 00 ... */
	PX_FAKESRC_FILL_PATTERN_SPAN = 5, /* the counter runs across buffers */
};

struct px_fakesrc_config {
	uint64_t num_buffers; /* buffers before EOS; 0: unlimited (until
				 px_pipeline_send_eos), property -1 */
	uint64_t size;	      /* bytes per buffer; 0: 4096 */
	enum px_fakesrc_filltype filltype; /* 0: nothing */
	uint64_t rate;	      /* buffers per second; 0: as fast as possible */
	uint32_t pool_slots;  /* slots in the source's pool; 0: 64 MiB worth,
				 at least 64, at most 4096 */
};

PX_API int px_add_fakesrc(struct px_pipeline *p, const char *name,
			  const struct px_fakesrc_config *cfg,
			  struct px_element **out);

/* ---- fakesink --------------------------------------------------------- */

struct px_fakesink_config {
	bool checksum; /* CRC32C of every byte: property last-checksum and an
			  element message at EOS */
	bool dump;     /* hexdump each buffer to stdout (debugging) */
};

PX_API int px_add_fakesink(struct px_pipeline *p, const char *name,
			   const struct px_fakesink_config *cfg,
			   struct px_element **out);

/* ---- identity --------------------------------------------------------- */

struct px_identity_config {
	double drop_probability; /* 0..1; 0: drop nothing */
	int64_t sleep_time_ns;	 /* delay per buffer; 0: none */
	uint64_t error_after;	 /* post an ERROR on this buffer (1-based);
				    0: never (property -1) */
};

PX_API int px_add_identity(struct px_pipeline *p, const char *name,
			   const struct px_identity_config *cfg,
			   struct px_element **out);

/* ---- tee ----------------------------------------------------------------- */

struct px_tee_config {
	bool allow_not_linked; /* run even with no branch linked */
};

PX_API int px_add_tee(struct px_pipeline *p, const char *name,
		      const struct px_tee_config *cfg,
		      struct px_element **out);

/* ---- queue --------------------------------------------------------------- */

enum px_queue_leaky {
	PX_QUEUE_LEAKY_NO = 0,	       /* default: block upstream when full */
	PX_QUEUE_LEAKY_UPSTREAM = 1,   /* drop new buffers when full */
	PX_QUEUE_LEAKY_DOWNSTREAM = 2, /* drop the oldest queued buffer */
};

struct px_queue_config {
	uint32_t max_size_buffers; /* 0: 1024 */
	uint64_t max_size_bytes;   /* 0: no byte limit (the default) */
	enum px_queue_leaky leaky; /* 0: no */
	bool pin_reactor;	   /* false: downstream runs on the reactor
				      after upstream's (property -1) */
	unsigned reactor;	   /* with pin_reactor: that reactor index */
};

PX_API int px_add_queue(struct px_pipeline *p, const char *name,
			const struct px_queue_config *cfg,
			struct px_element **out);

/* ---- capsfilter, funnel, consolesink ------------------------------------ */

/* CAPS (borrowed) e.g. "application/x-rec,rate=10"; NULL: ANY. */
PX_API int px_add_capsfilter(struct px_pipeline *p, const char *name,
			     const char *caps, struct px_element **out);

PX_API int px_add_funnel(struct px_pipeline *p, const char *name,
			 struct px_element **out);

enum px_consolesink_mode {
	PX_CONSOLESINK_HEX = 0,	 /* default: hexdump -C style */
	PX_CONSOLESINK_TEXT = 1, /* raw bytes */
};

struct px_consolesink_config {
	enum px_consolesink_mode mode;
};

PX_API int px_add_consolesink(struct px_pipeline *p, const char *name,
			      const struct px_consolesink_config *cfg,
			      struct px_element **out);

/* ---- linking ---------------------------------------------------------- */

/*
 * px_link_chain - link FIRST to the next element, that one to the next, and
 * so on up to a NULL: px_link_chain(src, identity, sink, NULL). Each link
 * is px_element_link() (first free always-pad, else a new request pad).
 * Returns 0 or the first link's -errno (-ENOENT, -EBUSY, -EINVAL; text in
 * px_pipeline_error()); the links made before it stay. Application thread.
 */
PX_API int px_link_chain(struct px_element *first, ...);

PX_EXTERN_C_END

#endif /* PX_ELEMENTS_H */
