/* SPDX-License-Identifier: MIT */
/*
 * px_element.h - the API for writing elements: classes as const ops tables,
 * typed property specs, pad templates, and the calls an element makes from
 * its work() on its reactor thread (pull, push, pools, errors, EOS).
 * Stability: public API, changed only with the ABI version (px_plugin.h).
 */
#ifndef PX_ELEMENT_H
#define PX_ELEMENT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "px_base.h"
#include "px_buf.h"
#include "px_crc32c.h"
#include "px_debug.h"

PX_EXTERN_C_BEGIN

struct px_element;
struct px_pad;
struct px_pool;
struct px_reactor;
struct px_op;
struct px_caps;

/* ---- Items on a link (docs/architecture.md, "Links") --------------------- */

enum px_item_type {
	PX_ITEM_NONE = 0,
	PX_ITEM_BUFFER = 1,
	PX_ITEM_EVENT = 2,
};

/*
 * Events travel in order with the buffers. The values are part of the wire
 * formats of process and host links: never renumber them.
 */
enum px_event_type {
	PX_EVENT_EOS = 1,  /* no more items on this link */
	PX_EVENT_CAPS = 2, /* the caps of the buffers that follow */
};

#define PX_EVENT_PAYLOAD 48

/*
 * An in-order event. A CAPS event names caps by an id the pipeline interned
 * (read them with px_event_caps()); the engine sends one before the first
 * buffer on every link and after every change (px_pad_push_caps()), and
 * narrows one an element forwards to the caps of the link it enters.
 */
struct px_event {
	uint16_t type;	  /* enum px_event_type */
	uint16_t size;	  /* bytes used in data[] */
	uint32_t caps_id; /* PX_EVENT_CAPS: the pipeline's id of the caps */
	uint8_t data[PX_EVENT_PAYLOAD];
};

/*
 * One 64-byte ring item: a buffer or an event, moved by value.
 * BORN (buffers only) is CLOCK_MONOTONIC in ns when a source pushed the
 * buffer, or 0: the engine writes it on the pushes of an element without
 * sink pads (a sample of them: px_pipeline_set_latency), and sinks measure
 * source-to-sink latency from it (metrics.c). Elements that forward items
 * by value carry it along; an element that makes a new buffer out of an
 * input one may copy it (px_item_from_buf sets 0: "unknown", which no
 * histogram counts). STREAM (ABI minor 7) tells the streams of a source
 * that multiplexes several apart (multitcpsrc: one per client, unique in
 * the process); elements that forward items by value carry it, and
 * px_item_from_buf sets 0.
 */
struct px_item {
	uint8_t type; /* enum px_item_type */
	uint8_t reserved[3];
	uint32_t stream; /* buffers: the stream (client) it came from, 0: none */
	union {
		struct {
			struct px_buf buf;
			uint64_t born;
		};
		struct px_event ev;
	};
};
_Static_assert(sizeof(struct px_item) == 64, "a link item is 64 bytes");

/* Flow returns for data passing (STYLE rule 7). */
enum px_flow {
	PX_FLOW_OK = 0,
	PX_FLOW_BUSY = 1,	   /* output full; the caller keeps the item */
	PX_FLOW_NOT_LINKED = -1,   /* pad has no peer; the item was released */
	PX_FLOW_FLUSHING = -2,	   /* pipeline is stopping; item released */
	PX_FLOW_EOS = -3,	   /* downstream accepts no more; item released */
	PX_FLOW_ERROR = -4,	   /* an error was posted on the bus */
};

/* ---- Pads ----------------------------------------------------------------- */

enum px_pad_direction { PX_PAD_SRC = 0, PX_PAD_SINK = 1 };

enum px_pad_presence {
	PX_PAD_ALWAYS = 0,  /* exists from creation, must be linked */
	PX_PAD_REQUEST = 1, /* made on demand when linked ("src_%u") */
};

struct px_pad_template {
	const char *name;	/* "src", "sink", "src_%u", "sink_%u" */
	enum px_pad_direction direction;
	enum px_pad_presence presence;
	const char *caps;	/* caps string accepted/produced, "ANY" */
};

/* ---- Properties -------------------------------------------------------- */

/*
 * Property types and the C type stored at the spec's offset inside the
 * element's private state (px_element_priv()).
 */
enum px_prop_type {
	PX_PROP_BOOL,	  /* bool */
	PX_PROP_INT,	  /* int64_t */
	PX_PROP_UINT64,	  /* uint64_t */
	PX_PROP_DOUBLE,	  /* double */
	PX_PROP_STRING,	  /* char * (owned by the engine; NULL when unset) */
	PX_PROP_ENUM,	  /* int (value of one of the enum entries) */
	PX_PROP_SIZE,	  /* uint64_t bytes; strings "65536", "64K", "1M", "2G" */
	PX_PROP_DURATION, /* int64_t ns; strings "500us", "10ms", "2s", "1m" */
};

struct px_prop_enum {
	const char *nick; /* what users type: "downstream" */
	int value;
	const char *help;
};

#define PX_PROP_READONLY (1u << 0) /* shown and readable, not settable */
/* DURATION: a bare number is microseconds, not nanoseconds (GStreamer's
 * unit for this property, as identity's sleep-time) */
#define PX_PROP_BARE_US (1u << 1)

struct px_prop_spec {
	const char *name; /* "num-buffers": lowercase words joined by '-' */
	enum px_prop_type type;
	uint32_t flags;	  /* PX_PROP_READONLY */
	size_t offset;	  /* of the value inside the element's private state */
	const char *help; /* one line */
	/* Default and range; which members apply depends on the type. */
	int64_t def_int, min_int, max_int;	/* INT, DURATION, ENUM(def) */
	uint64_t def_u64, min_u64, max_u64;	/* UINT64, SIZE */
	double def_double, min_double, max_double;
	bool def_bool;
	const char *def_string;
	const struct px_prop_enum *enums; /* ENUM: NULL-nick terminated */
};

/* Spec builders, so a class reads as a table. T is the private struct. */
#define PX_PROP_BOOL_SPEC(nm, T, field, def, hlp)                            \
	{ .name = nm, .type = PX_PROP_BOOL, .offset = offsetof(T, field),    \
	  .help = hlp, .def_bool = def }
#define PX_PROP_INT_SPEC(nm, T, field, def, lo, hi, hlp)                     \
	{ .name = nm, .type = PX_PROP_INT, .offset = offsetof(T, field),     \
	  .help = hlp, .def_int = def, .min_int = lo, .max_int = hi }
#define PX_PROP_UINT64_SPEC(nm, T, field, def, lo, hi, hlp)                  \
	{ .name = nm, .type = PX_PROP_UINT64, .offset = offsetof(T, field),  \
	  .help = hlp, .def_u64 = def, .min_u64 = lo, .max_u64 = hi }
#define PX_PROP_DOUBLE_SPEC(nm, T, field, def, lo, hi, hlp)                  \
	{ .name = nm, .type = PX_PROP_DOUBLE, .offset = offsetof(T, field),  \
	  .help = hlp, .def_double = def, .min_double = lo, .max_double = hi }
#define PX_PROP_STRING_SPEC(nm, T, field, def, hlp)                          \
	{ .name = nm, .type = PX_PROP_STRING, .offset = offsetof(T, field),  \
	  .help = hlp, .def_string = def }
#define PX_PROP_ENUM_SPEC(nm, T, field, def, table, hlp)                     \
	{ .name = nm, .type = PX_PROP_ENUM, .offset = offsetof(T, field),    \
	  .help = hlp, .def_int = def, .enums = table }
#define PX_PROP_SIZE_SPEC(nm, T, field, def, lo, hi, hlp)                    \
	{ .name = nm, .type = PX_PROP_SIZE, .offset = offsetof(T, field),    \
	  .help = hlp, .def_u64 = def, .min_u64 = lo, .max_u64 = hi }
#define PX_PROP_DURATION_SPEC(nm, T, field, def, lo, hi, hlp)                \
	{ .name = nm, .type = PX_PROP_DURATION, .offset = offsetof(T, field),\
	  .help = hlp, .def_int = def, .min_int = lo, .max_int = hi }
/* A duration whose bare numbers are microseconds (PX_PROP_BARE_US). */
#define PX_PROP_DURATION_US_SPEC(nm, T, field, def, lo, hi, hlp)             \
	{ .name = nm, .type = PX_PROP_DURATION, .flags = PX_PROP_BARE_US,    \
	  .offset = offsetof(T, field), .help = hlp, .def_int = def,         \
	  .min_int = lo, .max_int = hi }

/*
 * Read-only properties (PX_PROP_READONLY) are what an element publishes while
 * it runs - counters, levels, a bound port - read by the application from its
 * own thread while the reactor writes them. They are C11 atomics: declare the
 * field px_stat_u64 (types UINT64, SIZE) or px_stat_i64 (INT, DURATION),
 * describe it with PX_PROP_STAT_U64_SPEC or PX_PROP_STAT_I64_SPEC, and update
 * it with px_stat_set(): a relaxed store, so each value is read whole and
 * orders nothing else, which is all a statistic needs. A spec naming a plain
 * field does not compile. Other types (bool, double, string, enum) cannot be
 * read-only: px_registry_add() refuses such a class.
 */
typedef _Atomic uint64_t px_stat_u64;
typedef _Atomic int64_t px_stat_i64;

#define px_stat_set(field, v)                                                \
	atomic_store_explicit((field), (v), memory_order_relaxed)
#define px_stat_get(field) atomic_load_explicit((field), memory_order_relaxed)
/* Add N; the element (one thread) is the only writer, so this is a load and
 * a store, not a locked read-modify-write. */
#define px_stat_add(field, n) px_stat_set((field), px_stat_get(field) + (n))

/* Only used inside sizeof: a compile-time check of the field's type. */
PX_INLINE int px__stat_u64_field(const px_stat_u64 *f)
{
	(void)f;
	return 0;
}
PX_INLINE int px__stat_i64_field(const px_stat_i64 *f)
{
	(void)f;
	return 0;
}
#define PX__STAT_FIELD_OK(kind, T, field)                                    \
	(0 * sizeof(px__stat_##kind##_field(&((T *)0)->field)))

/* TYPE is PX_PROP_UINT64 or PX_PROP_SIZE (px_stat_u64 field). */
#define PX_PROP_STAT_U64_SPEC(nm, type_, T, field, hlp)                      \
	{ .name = nm, .type = type_, .flags = PX_PROP_READONLY,              \
	  .offset = offsetof(T, field) + PX__STAT_FIELD_OK(u64, T, field),   \
	  .help = hlp, .max_u64 = UINT64_MAX }
/* TYPE is PX_PROP_INT or PX_PROP_DURATION (px_stat_i64 field). */
#define PX_PROP_STAT_I64_SPEC(nm, type_, T, field, hlp)                      \
	{ .name = nm, .type = type_, .flags = PX_PROP_READONLY,              \
	  .offset = offsetof(T, field) + PX__STAT_FIELD_OK(i64, T, field),   \
	  .help = hlp, .min_int = INT64_MIN, .max_int = INT64_MAX }

/* ---- Element classes ------------------------------------------------------ */

#define PX_ELEMENT_THREAD_BOUNDARY (1u << 0) /* queue: downstream may run on
						another reactor */
/*
 * PX_ELEMENT_SHARES_MEMORY - buffers reaching this element may be handed to
 * another process (ipcsink). The engine's allocation query (before PAUSED,
 * GStreamer's ALLOCATION query is the model) walks upstream from such an
 * element, and px_element_pool_create() in every element it reaches makes a
 * sealed memfd pool (huge pages where reserved, as PX_SEGMENT_HUGETLB's
 * fallback chain) instead of a heap one. The elements do not change.
 */
#define PX_ELEMENT_SHARES_MEMORY (1u << 1)
/*
 * PX_ELEMENT_CAPS_PASSTHROUGH - the element has one sink pad and passes on
 * what it receives without changing its caps (identity, queue, tee,
 * capsfilter): validation carries the caps of its input link to every
 * output link, so that caps contradicting each other across it are refused
 * ("fakesrc ! application/x-a ! identity ! application/x-b ! fakesink"),
 * and links downstream get the narrower caps.
 */
#define PX_ELEMENT_CAPS_PASSTHROUGH (1u << 2)

/*
 * An element class: a const table registered once (px_registry_add). Every
 * callback runs on the element's reactor thread unless noted. Callbacks
 * that return int return 0 or a negative errno; before returning an error
 * they post the sentence with px_element_error().
 */
struct px_element_class {
	const char *name;	 /* factory name: "fakesrc" */
	const char *description; /* one line for px-inspect */
	uint32_t flags;		 /* PX_ELEMENT_* */
	size_t priv_size;	 /* private state, zeroed, then defaults */
	const struct px_pad_template *pads;
	unsigned n_pads;
	const struct px_prop_spec *props;
	unsigned n_props;

	/* After defaults are applied (application thread). Optional. */
	int (*init)(struct px_element *e);
	/* A property was set (application thread, state <= READY).
	 * Optional: validate cross-property constraints. */
	int (*prop_changed)(struct px_element *e, const struct px_prop_spec *spec);
	/* A request pad was made (application thread). Optional. */
	int (*pad_added)(struct px_element *e, struct px_pad *pad);
	/* READY -> PAUSED: open files, create pools. Nothing flows yet. */
	int (*start)(struct px_element *e);
	/*
	 * Move items: pull inputs, push outputs, up to the budget (64 items),
	 * then return. Called only in PLAYING, and whenever the element may
	 * have something to do; it must tolerate a call with nothing to do.
	 * The engine calls it again by itself when items land on an input,
	 * when room opens on an output it found full (px_pad_room() == 0 or
	 * PX_FLOW_BUSY), when a pool it waited on (px_element_buf_alloc()
	 * -ENOBUFS) gets a slot back, when EOS is requested, and right after
	 * a call that pulled items while an input still holds more and no
	 * output is full. Anything else - a source with more to generate, an
	 * op completion - asks with px_element_schedule(). A call that pulled
	 * nothing is not repeated (the element waits for its I/O or a pool).
	 */
	void (*work)(struct px_element *e);
	/* Stop: cancel I/O in flight, release every buffer held. Return 0
	 * when done; PX_STOP_WHEN_IDLE when ops made with
	 * px_element_op_init() may still be in flight (the engine finishes
	 * the stop after the last one's callback: no counter to keep); or 1
	 * when the element calls px_element_stop_done() itself. */
	int (*stop)(struct px_element *e);
	/* Free what init allocated (application thread). Optional. */
	void (*fini)(struct px_element *e);
};

/* ---- What an element may call (reactor thread, inside its callbacks) ---- */

/* The zeroed-then-defaulted private state of priv_size bytes. Any thread. */
PX_API void *px_element_priv(const struct px_element *e);
PX_API const char *px_element_name(const struct px_element *e);
PX_API const char *px_element_factory(const struct px_element *e);
/* The reactor that runs this element (valid from start() on). */
PX_API struct px_reactor *px_element_reactor(const struct px_element *e);
/* The pipeline that owns E. Any thread. (transfer none) */
struct px_pipeline;
PX_API struct px_pipeline *px_element_pipeline(const struct px_element *e);

/* Pad NAME ("src", "sink", "src_1") or NULL. Any thread. */
PX_API struct px_pad *px_element_pad(const struct px_element *e,
				     const char *name);
/* Number of pads in DIR, and the I-th of them (creation order). */
PX_API unsigned px_element_pad_count(const struct px_element *e,
				     enum px_pad_direction dir);
PX_API struct px_pad *px_element_pad_at(const struct px_element *e,
					enum px_pad_direction dir, unsigned i);
PX_API const char *px_pad_name(const struct px_pad *pad);
/*
 * px_pad_request_capacity - ask that the link on PAD hold at least CAPACITY
 * items (rounded up to a power of two), e.g. queue's max-size-buffers.
 * Returns 0 or -EBUSY (pipeline past NULL), -EINVAL (0 or > 65536).
 * Application thread (from init, prop_changed or pad_added).
 */
PX_API int px_pad_request_capacity(struct px_pad *pad, unsigned capacity);
PX_API struct px_element *px_pad_element(const struct px_pad *pad);
PX_API bool px_pad_is_linked(const struct px_pad *pad);
PX_API enum px_pad_direction px_pad_direction(const struct px_pad *pad);
/* The pad at the other end of PAD's link, or NULL. Any thread. */
PX_API struct px_pad *px_pad_peer(const struct px_pad *pad);
/* The caps PAD accepts or produces (its template's, or px_pad_set_caps).
 * (transfer none): valid while the pipeline lives. Any thread. */
PX_API const struct px_caps *px_pad_caps(const struct px_pad *pad);
/*
 * px_pad_set_caps - restrict PAD to CAPS (borrowed: a reference is taken),
 * e.g. capsfilter from its "caps" property; links made after this and
 * px_pipeline_validate() check against it.
 * Returns 0, -EINVAL (NULL), -EBUSY (pipeline past NULL).
 * Application thread (init, prop_changed, pad_added).
 */
PX_API int px_pad_set_caps(struct px_pad *pad, const struct px_caps *caps);
/*
 * px_pad_link_caps - the caps of PAD's link: its src pad's, its filter's and
 * its sink pad's intersected by validation; NULL while unlinked or before
 * READY. (transfer none): valid while the pipeline lives. Any thread.
 */
PX_API const struct px_caps *px_pad_link_caps(const struct px_pad *pad);
/*
 * px_pad_push_caps - from now on, buffers pushed on src PAD are of CAPS
 * (borrowed), narrowed to the link's caps: the next buffer is preceded by a
 * CAPS event (docs/architecture.md, "Caps"). For a source that learns its
 * caps while running (ipcsrc from its publisher), or an element whose output
 * changes mid-stream.
 * Returns 0; -EINVAL (NULL, not a src pad, or CAPS do not fit the link's:
 * the error is posted, naming both), -ENOTCONN (unlinked), -ENOMEM.
 * Reactor thread.
 */
PX_API int px_pad_push_caps(struct px_pad *pad, const struct px_caps *caps);
/*
 * px_event_caps - the caps a CAPS event IT names, or NULL when IT is not a
 * CAPS event. (transfer none): valid while E's pipeline lives. Any thread.
 */
PX_API const struct px_caps *px_event_caps(const struct px_element *e,
					   const struct px_item *it);

/*
 * px_pad_pull - take up to N items waiting on sink pad PAD.
 * Ownership: (transfer full) the caller owns every returned buffer.
 * Returns the number of items stored in ITEMS (0 when none).
 * Taking items may wake a producer waiting for room. Reactor thread.
 */
PX_API unsigned px_pad_pull(struct px_pad *pad, struct px_item *items,
			    unsigned n);
/* Items waiting on sink pad PAD. Reactor thread. */
PX_API unsigned px_pad_count(const struct px_pad *pad);

/*
 * px_pad_room - how many items src pad PAD can take now. 0 marks the element
 * as blocked on that link: it is scheduled again when the consumer has
 * drained the link below half. Reactor thread.
 */
PX_API unsigned px_pad_room(struct px_pad *pad);

/*
 * px_pad_push - push ITEM on src pad PAD.
 * Ownership: on PX_FLOW_OK (transfer full); on PX_FLOW_BUSY (transfer none:
 * the caller still owns the item and is scheduled again when room opens);
 * on every other return the item's buffer has been released.
 * Returns enum px_flow. Reactor thread.
 */
PX_API enum px_flow px_pad_push(struct px_pad *pad, struct px_item *item);

/*
 * px_pad_push_burst - push up to N items on src pad PAD; stops at the first
 * that does not fit. *TAKEN (may be NULL) gets how many the link took.
 * Ownership and returns:
 *   PX_FLOW_OK    all N taken (transfer full).
 *   PX_FLOW_BUSY  ITEMS[0..*TAKEN) taken; the caller keeps the rest and is
 *                 scheduled again when room opens.
 *   PX_FLOW_NOT_LINKED, _FLUSHING, _EOS, _ERROR  none taken (*TAKEN is 0)
 *                 and all N released: the caller is done with them, and
 *                 should stop producing for this pad.
 * Reactor thread.
 */
PX_API enum px_flow px_pad_push_burst(struct px_pad *pad, struct px_item *items,
				      unsigned n, unsigned *taken);

/* Push an EOS event on every src pad of E (waits for room internally:
 * returns PX_FLOW_BUSY if some pad is full; call again from work()). */
PX_API enum px_flow px_element_push_eos(struct px_element *e);

/* Item helpers. */
PX_INLINE void px_item_from_buf(struct px_item *it, const struct px_buf *b)
{
	it->type = PX_ITEM_BUFFER;
	it->stream = 0;
	it->buf = *b;
	it->born = 0;
}

PX_INLINE void px_item_eos(struct px_item *it)
{
	it->type = PX_ITEM_EVENT;
	it->ev.type = PX_EVENT_EOS;
	it->ev.size = 0;
	it->ev.caps_id = 0;
}

PX_INLINE bool px_item_is_eos(const struct px_item *it)
{
	return it->type == PX_ITEM_EVENT && it->ev.type == PX_EVENT_EOS;
}

/* Release what ITEM holds (a buffer reference); the item becomes NONE. */
PX_API void px_item_release(struct px_item *it);

/* Run E's work() again soon (after an I/O completion). Reactor thread. */
PX_API void px_element_schedule(struct px_element *e);

/*
 * px_element_pool_create - a pool for E's buffers, on E's NUMA node,
 * shareable with other processes (a sealed memfd) when a downstream element
 * asked for it (PX_ELEMENT_SHARES_MEMORY; px_element_memory_shareable()),
 * registered with E's reactor for fixed-buffer I/O, listed in the pipeline
 * stats as "<element>.pool" ("<element>.pool1", ... for more), destroyed
 * after every element stopped and every link was drained (PAUSED -> READY).
 * SLOT_SIZE (rounded up to 64 bytes, or to whole pages from a page up, so
 * that slots start page-aligned) and SLOTS as px_pool_config; the pool keeps
 * an exact high-water mark (PX_POOL_EXACT_HIGH_WATER). When the
 * registration fails (RLIMIT_MEMLOCK) the pool still works, without fixed
 * buffers, and a WARNING says so.
 * Returns 0, -EINVAL (OUT NULL, SLOT_SIZE or SLOTS 0), or the error of
 * px_pool_create (-ENOMEM...), also posted as an ERROR naming E.
 * Call from start() (reactor thread). (transfer none): the pipeline owns
 * the pool; do not destroy it.
 */
PX_API int px_element_pool_create(struct px_element *e, uint32_t slot_size,
				  uint32_t slots, struct px_pool **out);

/*
 * px_element_buf_alloc - px_buf_alloc() that, on -ENOBUFS, registers E to be
 * scheduled when a slot returns to POOL (backpressure without spinning):
 * return from work() and wait. Only pools made by px_element_pool_create()
 * in this pipeline have that hook; for other pools -ENOBUFS only reports.
 * Returns 0, -ENOBUFS (wait), -EINVAL (LENGTH above the slot size).
 * (transfer full) *OUT on success. Reactor thread.
 */
PX_API int px_element_buf_alloc(struct px_element *e, struct px_pool *pool,
				uint32_t length, struct px_buf *out);

/*
 * px_element_error - post an ERROR message naming E with -errno ERR and a
 * sentence; the pipeline stops. Returns PX_FLOW_ERROR for convenience.
 * Any thread.
 */
PX_API enum px_flow px_element_error(struct px_element *e, int err,
				     const char *fmt, ...) PX_PRINTF(3, 4);
/*
 * px_element_device_node - E's data lives near NUMA node NODE (the sysfs
 * numa_node of its disk or NIC): a source is placed on a reactor of that
 * node at READY unless its "numa-node" property says otherwise. -1 forgets
 * it. Application thread, before READY (init or prop_changed).
 */
PX_API void px_element_device_node(struct px_element *e, int node);

/*
 * px_element_refuse - from prop_changed(): refuse the value just set with a
 * sentence that says what to write instead ("sync=true needs a clock ...:
 * write sync=false"). px_element_set() then fails with ERR and this
 * sentence (px_pipeline_error). Returns ERR, for
 * `return px_element_refuse(e, -EINVAL, ...)`. Application thread.
 */
PX_API int px_element_refuse(struct px_element *e, int err, const char *fmt,
			     ...) PX_PRINTF(3, 4);
PX_API void px_element_warning(struct px_element *e, const char *fmt, ...)
	PX_PRINTF(2, 3);
/* An INFO message: one line saying what was chosen or done for the user
 * (the memory a pool got, a connection made). Any thread. */
PX_API void px_element_info(struct px_element *e, const char *fmt, ...)
	PX_PRINTF(2, 3);
/* An element message (stats and the like) to the application. */
PX_API void px_element_post(struct px_element *e, const char *fmt, ...)
	PX_PRINTF(2, 3);

/* ---- The element kit: what built-ins and plugins share ---------------------
 *
 * Every built-in element is written with this header alone, so any of them
 * could live in a plugin. Stable within an ABI minor (px_plugin.h): the
 * declarations in this file, px_buf.h, px_pool.h, px_caps.h, px_reactor.h's
 * op API and px_crc32c.h. Names with a px__ prefix are private.
 */

/* Items a work() call moves at most: the engine's budget per call. */
#define PX_ELEMENT_BATCH 64

/*
 * px_items_release - release the buffers of ITEMS[0..N) (events hold
 * nothing), one pool operation per run of buffers from the same pool: far
 * fewer atomic operations than px_item_release() on each. The items must
 * not be used again. Any thread.
 */
PX_API void px_items_release(const struct px_item *items, unsigned n);

/*
 * px_element_buf_alloc_burst - px_element_buf_alloc() for up to N buffers of
 * LENGTH bytes at once (px_buf_alloc_burst): returns how many were made
 * (transfer full each), -ENOBUFS when none was free (E is scheduled when a
 * slot returns), -EINVAL (LENGTH above the slot size). Reactor thread.
 */
PX_API int px_element_buf_alloc_burst(struct px_element *e,
				      struct px_pool *pool, uint32_t length,
				      struct px_buf *bufs, unsigned n);

/*
 * px_element_pool_watch - schedule E once the next slot of POOL comes back
 * (its last reference dropped), even while other slots are free: for an
 * element that must learn when downstream let go of its buffers (natssrc
 * acknowledges a message to its server then). One shot: call again to
 * keep watching. Watch first, then look at the slots: a release after the
 * call schedules E. POOL must come from px_element_pool_create() for E.
 * Returns 0, or -EINVAL (another pool). Reactor thread (E's).
 */
PX_API int px_element_pool_watch(struct px_element *e, struct px_pool *pool);

/* For px_pad_forward: keep IT (true), or drop it (false: the function
 * released it, or passed it on itself). */
typedef bool (*px_item_keep_fn)(struct px_element *e, struct px_item *it,
				void *arg);
/*
 * px_pad_forward - the pass-through step: as many items as OUT has room
 * for (at most PX_ELEMENT_BATCH) pulled from sink pad IN, each shown to
 * KEEP (NULL: keep all), pushed in order on src pad OUT. Events are items
 * like the others, so CAPS and EOS pass in order. The engine calls work()
 * again when OUT drains or items arrive, and this asks for another call when
 * it stopped at the batch size with more waiting.
 * Returns the items pulled. Reactor thread (from work()).
 */
PX_API unsigned px_pad_forward(struct px_pad *in, struct px_pad *out,
			       px_item_keep_fn keep, void *arg);

/* A sink has processed EOS (after its last write is durable, if it cares).
 * The pipeline posts EOS when every sink has called this. Reactor thread. */
PX_API void px_element_eos_reached(struct px_element *e);

/* From the last completion after stop() returned 1. Reactor thread. */
PX_API void px_element_stop_done(struct px_element *e);

/* stop()'s answer: done once E's ops (px_element_op_init) have all ended. */
#define PX_STOP_WHEN_IDLE 2
/*
 * px_element_op_init - px_op_init() for an op of E: the engine counts it
 * while it is in flight, so that stop() can return PX_STOP_WHEN_IDLE after
 * cancelling what it must, and the completions need no stop bookkeeping of
 * their own (they only must not submit again once stopping). Any thread,
 * while OP is idle.
 */
PX_API void px_element_op_init(struct px_element *e, struct px_op *op);

/* Whether E's pools are made shareable (a downstream element ships its
 * buffers to another process). Valid from start() on. Any thread. */
PX_API bool px_element_memory_shareable(const struct px_element *e);

/* True once the application asked for EOS (px_pipeline_send_eos): sources
 * finish their current buffer and push EOS. Reactor thread. */
PX_API bool px_element_eos_requested(const struct px_element *e);

PX_EXTERN_C_END

#endif /* PX_ELEMENT_H */
