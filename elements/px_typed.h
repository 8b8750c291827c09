/* SPDX-License-Identifier: MIT */
/*
 * px_typed.h - typed pipelines: stages that carry their record types
 * (px_record.h), linked so that a stage producing one record type fed to a
 * stage expecting another does not compile. The result is an ordinary
 * px_pipeline: inspectable, exported, run on the same reactors.
 *
 *   static int gen(void *ctx, struct reading *r, struct px_record_writer *w);
 *   static int avg(void *ctx, const struct reading *in, struct summary *out,
 *                  struct px_record_writer *w);
 *   static int show(void *ctx, const struct summary *s);
 *
 *   px_out(reading) src = px_typed_source(p, "src", reading, gen, &st);
 *   px_out(summary) sum = px_typed_map(p, "avg", src, reading, summary,
 *                                      avg, &st);
 *   int rc = px_typed_sink(p, "show", sum, summary, show, &st);
 *
 * Passing `src` where a px_out(summary) is expected fails to compile with
 * "incompatible types when assigning to type 'struct summary_px_out' from
 * type 'struct reading_px_out'"; a function of the wrong signature fails
 * with "'_Generic' selector of type '<its type>' is not compatible with any
 * association".
 *
 * The stages are the elements recordsrc, recordmap and recordsink: their
 * pads carry the caps that name their record types
 * (px_record_caps_text()), so a typed stage linked to a pipeline built from
 * a launch string is checked at link time:
 *   px_out(reading) in = px_typed_from(p, "ipcsrc0", reading);  // any src
 *   px_typed_sink(p, "show", in, reading, fn, ctx);    // links, checks caps
 *   px_typed_element(out)    // the element, to link into dynamic stages
 *
 * Callbacks run on the stage's reactor thread and must not block. Their
 * return values:
 *   source  1: *r written (the record goes out), 0: end of stream (EOS),
 *           < 0: error (the pipeline stops with ERROR naming the stage)
 *   map     1: *out written and sent, 0: nothing sent for this input
 *           (a filter, or an aggregate still gathering), < 0: error
 *   flush   at EOS, a map's last chance: 1: *out sent before EOS, 0: none
 *   sink    0 (or more): done with *in, < 0: error
 * A record the map or sink receives is validated once (T_view) before the
 * callback sees it; one that fails stops the pipeline with an ERROR that
 * names the stage, the record, the field and the byte offset. Records are
 * written into slots of the stage's slot-size property (default 4 KiB; set
 * it with px_element_set(px_typed_element(h), "slot-size", "64K") before
 * the pipeline starts): one that does not fit is an error, not a
 * truncation.
 *
 * Every macro takes P, the pipeline (state NULL), and NAME (NULL:
 * "<factory><n>"). A macro that fails returns a handle whose .elem is NULL
 * (px_typed_sink: a negative errno) with the sentence in
 * px_pipeline_error(P); later stages given that handle do nothing and
 * fail too, so checking the last result is enough.
 * Stability: public API, changed only with the ABI version (px_plugin.h).
 */
#ifndef PX_TYPED_H
#define PX_TYPED_H

#include "px_base.h"
#include "px_element.h"
#include "px_pipeline.h"
#include "px_record.h"

PX_EXTERN_C_BEGIN

/* The typed handle of a stage's output of record type T. */
#define px_out(T) struct T##_px_out

/* The callbacks, untyped (the macros check the typed signatures). */
typedef int (*px_record_source_fn)(void *ctx, void *root,
				   struct px_record_writer *w);
typedef int (*px_record_map_fn)(void *ctx, const void *in, void *out,
				struct px_record_writer *w);
typedef int (*px_record_flush_fn)(void *ctx, void *out,
				  struct px_record_writer *w);
typedef int (*px_record_sink_fn)(void *ctx, const void *in);

struct px_record_stage {
	const struct px_record_schema *in, *out; /* NULL: no such side */
	px_record_source_fn source;
	px_record_map_fn map;
	px_record_flush_fn flush; /* map only; may be NULL */
	px_record_sink_fn sink;
	void *ctx;
};

/*
 * px_record_stage_add - create FACTORY ("recordsrc", "recordmap",
 * "recordsink") named NAME in P with CFG (copied), its pads restricted to
 * the caps of CFG's record types, and link UPSTREAM (may be NULL) to it.
 * Returns 0 with (transfer none) *OUT, or -EINVAL (CFG does not fit the
 * factory, or the link's caps do not intersect: the text names both), the
 * errors of px_pipeline_add() and px_element_link(); px_pipeline_error(P)
 * has the sentence. Application thread, P in state NULL.
 */
PX_API int px_record_stage_add(struct px_pipeline *p, const char *factory,
			       const char *name,
			       const struct px_record_stage *cfg,
			       struct px_element *upstream,
			       struct px_element **out);

/* Internal helpers of the macros below. */
PX_API struct px_element *px__typed_add(struct px_pipeline *p,
					const char *factory, const char *name,
					const struct px_record_stage *cfg,
					struct px_element *upstream);
PX_API struct px_element *px__typed_from(struct px_pipeline *p,
					 const char *name);

/* The element behind a typed handle (NULL after a failure). */
#define px_typed_element(h) ((h).elem)

/* Accept only a px_out(T) for H (a compile error names both types). */
#define px__typed_in(T, h_)                                                    \
	__extension__({                                                       \
		px_out(T) in_;                                                \
		in_ = (h_);                                                    \
		in_.elem;                                                     \
	})

#define px_typed_source(p_, name_, T, fn_, ctx_)                                  \
	((px_out(T)){ px__typed_add(                                          \
		(p_), "recordsrc", (name_),                                     \
		&(const struct px_record_stage){                              \
			.out = T##_schema(),                                  \
			.source = (px_record_source_fn)_Generic(              \
				(fn_),                                         \
				int (*)(void *, struct T *,                   \
					struct px_record_writer *): (fn_)),    \
			.ctx = (ctx_) },                                       \
		NULL) })

#define px_typed_map(p_, name_, in_h, Tin, Tout, fn_, ctx_)                   \
	px_typed_map_flush(p_, name_, in_h, Tin, Tout, fn_, NULL, ctx_)

/* As px_typed_map, with FLUSH (NULL, or int (*)(void *, struct Tout *,
 * struct px_record_writer *)) called at EOS. */
#define px_typed_map_flush(p_, name_, in_h, Tin, Tout, fn_, flush_, ctx_)            \
	((px_out(Tout)){ px__typed_add(                                       \
		(p_), "recordmap", (name_),                                     \
		&(const struct px_record_stage){                              \
			.in = Tin##_schema(),                                 \
			.out = Tout##_schema(),                               \
			.map = (px_record_map_fn)_Generic(                    \
				(fn_),                                         \
				int (*)(void *, const struct Tin *,           \
					struct Tout *,                        \
					struct px_record_writer *): (fn_)),    \
			.flush = (px_record_flush_fn)_Generic(                \
				(flush_),                                      \
				void *: (flush_),                              \
				int (*)(void *, struct Tout *,                \
					struct px_record_writer *): (flush_)), \
			.ctx = (ctx_) },                                       \
		px__typed_in(Tin, in_h)) })

#define px_typed_sink(p_, name_, in_h, T, fn_, ctx_)                                \
	px_record_stage_add(                                                  \
		(p_), "recordsink", (name_),                                    \
		&(const struct px_record_stage){                              \
			.in = T##_schema(),                                   \
			.sink = (px_record_sink_fn)_Generic(                  \
				(fn_),                                         \
				int (*)(void *, const struct T *): (fn_)),     \
			.ctx = (ctx_) },                                       \
		px__typed_in(T, in_h), NULL)

/* A typed handle for element NAME of P (built any way, e.g. parsed), as a
 * producer of T records: the caps are checked when a typed stage links to
 * it. .elem is NULL when P has no such element. */
#define px_typed_from(p_, name_, T) ((px_out(T)){ px__typed_from((p_), (name_)) })

PX_EXTERN_C_END

#endif /* PX_TYPED_H */
