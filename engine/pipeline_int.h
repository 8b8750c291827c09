/* SPDX-License-Identifier: MIT */
/*
 * pipeline_int.h - the layout of pipelines, elements, pads and links, and the
 * functions the engine's files share (element.c, pad.c, props.c, pipeline.c,
 * pipeline_state.c, export.c). Internal; never installed.
 *
 * Threads. The graph (elements, pads, links, properties) is built and changed
 * only by the application thread while the pipeline is in NULL (properties:
 * up to READY). From PAUSED on, each element's hot state is touched only by
 * its reactor thread; the application thread reads stats through relaxed
 * atomics and hands control work to reactors with px__pipeline_run_on().
 */
#ifndef PX_PIPELINE_INT_H
#define PX_PIPELINE_INT_H

#include <pthread.h>
#include <stdio.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "latency_int.h"
#include "link_int.h"
#include "px_bus.h"
#include "px_caps.h"
#include "px_element.h"
#include "px_list.h"
#include "px_memory.h"
#include "px_pipeline.h"
#include "px_pool.h"
#include "px_reactor.h"
#include "px_ring.h"

#define PX__NAME_MAX 64
#define PX__PAD_NAME_MAX 32
#define PX__LINK_DEFAULT_CAPACITY 16u
#define PX__LINK_MAX_CAPACITY 65536u
#define PX__MAX_REACTORS 64
#define PX__ERROR_MAX 512

/* What the pipeline lets elements do (px_pipeline.flow). */
enum px__flow_state {
	PX__FLOW_IDLE = 0,    /* NULL/READY, or PAUSED: work() is not called */
	PX__FLOW_RUNNING = 1, /* PLAYING */
	PX__FLOW_HALTED = 2,  /* an element posted an ERROR: nothing runs */
	PX__FLOW_STOPPING = 3 /* going down: pushes release their items */
};

struct px_pad {
	/* hot: the owning element's reactor thread */
	struct px_link *link;	     /* NULL while unlinked */
	struct px_element *elem;
	struct px_element *peer;     /* element at the other end */
	bool eos;		     /* src: EOS pushed; sink: EOS pulled */
	/* src: caps of the buffers pushed next, and those downstream last
	 * saw; they differ until the next buffer sends a CAPS event
	 * (caps_event.c). Interned ids, 0 none. */
	uint32_t caps_cur, caps_sent;
	/* sink, px_pipeline_replace (replace.c): the element being replaced
	 * gets RETIRE_LEFT more items, then an EOS of its own; CAPS_INJECT is
	 * handed out first by its successor's pad. */
	bool retiring, retire_eos_given;
	uint32_t retire_left;
	uint32_t caps_seen;	     /* sink: id of the last CAPS event pulled */
	uint32_t caps_inject;
	bool lat_rec;		     /* sink: record latency (reset_run) */
	struct px__lat *lat;	     /* sink: latency histogram (latency_int.h) */
	/* Stats of this run: single writer (the reactor thread), relaxed
	 * load+store so that other threads may read them without a race.
	 * DROPPED: items a refused push released (src pads). */
	_Atomic uint64_t buffers, bytes, events, dropped;
	_Atomic uint32_t level_max;  /* sink: most items seen in the link */
	/* cold */
	enum px_pad_direction dir;
	const struct px_pad_template *tmpl;
	struct px_caps *caps;	     /* template caps, or px_pad_set_caps */
	unsigned req_capacity;	     /* px_pad_request_capacity, 0: none */
	char name[PX__PAD_NAME_MAX];
};

struct px_element {
	/* hot: reactor thread */
	struct px_task task;		/* work() through the run queue */
	struct px_reactor *reactor;
	struct px_pipeline *pipeline;
	const struct px_element_class *cls;
	void *priv;
	struct px_pad **src;		/* src pads, creation order */
	struct px_pad **sink;		/* sink pads, creation order */
	unsigned n_src, n_sink;
	bool eos_reached;
	bool pulled;			/* work() took items from an input */
	bool stopped;			/* stop done this run */
	struct px__epool *wait_ep;	/* last pool waited on (cache) */
	/* px_pipeline_replace (replace.c), on this element's reactor */
	struct px__replace *replace;	/* set while E is being replaced */
	struct px_element *successor;	/* retired: who took over */
	bool retired;			/* replaced: no longer in the graph */
	struct px_op_group ops;		/* px_element_op_init's ops */
	bool detached;			/* made by replace, not yet in it */
	/* Stats: single writer (the reactor thread), relaxed load+store so
	 * other threads may read them without a data race. */
	_Atomic uint64_t work_calls, work_ns, errors;
	_Atomic bool in_work;		/* inside work(): read by stall.c */
	unsigned stamp_every;		/* a source: stamp px_item.born on one
					   push in this many; 0: never */
	unsigned stamp_left;		/* pushes until the next stamp */
	/* cold */
	struct px_pad **pads;		/* all pads, creation order */
	unsigned n_pads, cap_pads;
	unsigned reactor_index;		/* placement, decided at READY */
	int numa_node;			/* "numa-node" property, -1: any */
	int device_node;		/* px_element_device_node(), -1 */
	unsigned topo;			/* scratch for graph walks */
	bool started;			/* start() succeeded this run */
	bool mem_shareable;		/* allocation query: memfd pools */
	struct px_memory memory;	/* its "memory" property; AUTO:
					   the pipeline's */
	char start_error[PX_MSG_TEXT];	/* px_element_error() text from start() */
	char name[PX__NAME_MAX];
};

/* A pool an element made with px_element_pool_create. */
struct px__epool {
	struct px_list node;		/* px_pipeline.pools */
	struct px_pool *pool;		/* NULL once destroyed */
	struct px_element *owner;
	struct px_reactor *reactor;	/* registered with, or NULL */
	_Atomic(struct px_element *) waiter; /* to wake on a release */
	char name[PX__NAME_MAX];
	uint32_t slot_size, slots;
	const char *segment, *page;	/* what the pool got (static names) */
	size_t page_size;
	int numa_node;			/* bound to, -1: not bound */
	bool shareable;			/* a memfd another process can map */
	bool registered;		/* fixed buffers of its reactor */
	char memory[PX_MEMORY_DIR_MAX + 32]; /* what was asked (text) */
	char *path;			/* file kind: removed on destroy */
	struct px_pool_stats snap;	/* taken before destruction */
};

struct px__factory_count {
	const struct px_element_class *cls;
	unsigned next;
};

struct px_pipeline {
	/* read by reactors on the hot path */
	_Atomic int flow;		/* enum px__flow_state */
	_Atomic int eos_requested;	/* px_pipeline_send_eos */
	_Atomic unsigned sinks_eos;	/* sinks that reached EOS this run */
	unsigned n_sinks;
	/* application thread */
	_Atomic int state;		/* enum px_state, read from any thread */
	char name[PX__NAME_MAX];
	char error[PX__ERROR_MAX];
	struct px_memory memory;	/* px_pipeline_set_memory */
	struct px_bus *bus;
	uint64_t gen;			/* bus generation of this run */
	struct px_element **elems;
	unsigned n_elems, cap_elems;
	struct px_list links;
	struct px__factory_count *counts;
	unsigned n_counts;
	struct px_reactor **reactors;
	unsigned n_reactors;
	/* Control handshakes with reactor threads. */
	pthread_mutex_t mu;		/* guards pools, ctl_pending */
	pthread_cond_t cv;
	unsigned ctl_pending;		/* stops not yet done */
	struct px_list pools;		/* px__epool, this run */
	struct px_list old_pools;	/* snapshots of the last run */
	/* send_eos: a write() to this eventfd, read on reactor 0 */
	int eos_fd;
	uint64_t eos_buf;
	struct px_op eos_op;
	bool eos_armed;			/* written on reactor 0 under mu */
	bool eos_stop;			/* reactor 0: disarming, no re-arm */
	/* Time in PLAYING (ns, CLOCK_MONOTONIC). */
	_Atomic uint64_t t_start, t_end; /* t_end 0 while running */
	uint64_t t_acc;
	/* Caps named by CAPS events: id - 1 indexes caps[]; each entry holds a
	 * reference until the pipeline is destroyed (caps_event.c). */
	pthread_mutex_t caps_mu;
	struct px_caps **caps;
	uint32_t n_caps, cap_caps;
	/* Elements px_pipeline_replace took out (or a replacement that did
	 * not go in): their pools may still lend buffers until the run ends,
	 * so they are freed with the pipeline. Application thread. */
	struct px_element **retired;
	unsigned n_retired, cap_retired;
	bool replacing;			/* px_pipeline_replace runs */
	uint64_t replace_timeout_ns;	/* its bound on the hand-over, 0: none */
	enum px_latency_mode latency;	/* px_pipeline_set_latency */
	uint64_t t_created;		/* CLOCK_MONOTONIC ns */
	struct px__stall *stall;	/* the watchdog while PLAYING */
	bool dot_dump_failed;		/* PX_DUMP_DOT_DIR warned once */
	unsigned latency_sample;	/* stamp one burst in this many */
};

/* ---- element.c ----------------------------------------------------------- */

/* Create an element of CLS named NAME (already unique) in P (NULL state);
 * DETACHED: a replacement made while P plays (replace.c). */
int px__element_create(struct px_pipeline *p, const struct px_element_class *cls,
		       const char *name, bool detached, struct px_element **out);
/* Free E, its pads and its property strings (fini first). */
void px__element_destroy(struct px_element *e);
/* A new pad of E from template T named NAME. */
int px__element_add_pad(struct px_element *e, const struct px_pad_template *t,
			const char *name, struct px_pad **out);
/* Zero E's stats and latency histograms for a new run, and decide from
 * the pipeline's latency mode whether E stamps and its pads record
 * (nothing of E runs). */
void px__element_stats_reset(struct px_element *e);
/* PX_LATENCY's value, MODE[/SAMPLE], into P; -EINVAL if malformed. */
int px__latency_env(struct px_pipeline *p, const char *s);
/* The stall detector's watchdog (stall.c): started when P starts
 * PLAYING (unless PX_STALL_MS=0), stopped and joined when it leaves. */
void px__stall_start(struct px_pipeline *p);
void px__stall_stop(struct px_pipeline *p);
/* S as a JSON string literal, quotes included (export.c). */
void px__json_str(FILE *f, const char *s);
/* With PX_DUMP_DOT_DIR set: P's DOT graph into that folder, named
 * "SECONDS-PIPELINE.TAG.dot" (export.c). Application thread. */
void px__dot_dump(struct px_pipeline *p, const char *tag);
/* Free a pool's record (not the pool). */
void px__epool_free(struct px__epool *ep);
/* The task fn that runs work(). */
void px__element_task(struct px_task *t);

/* What stop() returned (0, 1, PX_STOP_WHEN_IDLE): finish the stop now,
 * leave it to the element, or to its last op. Reactor thread. */
void px__element_stop_result(struct px_element *e, int r);

/* ---- memory.c ------------------------------------------------------------ */

/* A memory choice made concrete for one pool. */
struct px__memory_plan {
	struct px_segment_config seg;
	enum px_page_kind want;	/* the pages asked for */
	bool quiet;		/* AUTO: nothing asked, nothing to warn */
	bool file_to_memfd;	/* file asked, but the pool must be shared */
};

/*
 * The segment for a pool of memory M: SHAREABLE when its buffers reach
 * another process, on REACTOR_NODE unless M fixes one, in FILE_PATH for
 * the file kind. Returns 0, -EXDEV (file,require for a shared pool),
 * -EINVAL (unknown kind).
 */
int px__memory_plan(const struct px_memory *m, bool shareable,
		    int reactor_node, const char *file_path,
		    struct px__memory_plan *out);
/* Whether SEG got smaller pages than PLAN asked for. */
bool px__memory_fell_back(const struct px__memory_plan *plan,
			  const struct px_segment *seg);

/* ---- props.c ------------------------------------------------------------- */

/* Apply every default of E's class to its private state. */
int px__props_apply_defaults(struct px_element *e);
/* Free the strings E's private state owns. */
void px__props_free(struct px_element *e);
/* The spec named NAME of CLS, or NULL. */
const struct px_prop_spec *px__prop_find(const struct px_element_class *cls,
					 const char *name);
/* Whether the value of SPEC in E differs from the default. */
bool px__prop_is_default(const struct px_element *e,
			 const struct px_prop_spec *spec);
/* Text of SPEC's value in PRIV (or its default when PRIV is NULL). */
int px__prop_format(const struct px_prop_spec *spec, const void *priv,
		    char *buf, size_t len);
/* "bool", "int", ... */
const char *px__prop_type_name(enum px_prop_type t);
/* Parse text formats (0 or -EINVAL/-ERANGE). */
int px__parse_size(const char *s, uint64_t *out);
int px__parse_duration(const char *s, int64_t *out);
int px__parse_bool(const char *s, bool *out);
/* Whole-string integers, decimal or 0x hex (true when valid). */
bool px__parse_i64(const char *s, int64_t *out);
bool px__parse_u64(const char *s, uint64_t *out);
/* The nick of enum value V of SPEC, or NULL. */
const char *px__prop_enum_nick(const struct px_prop_spec *spec, int v);

/* ---- registry.c ---------------------------------------------------------- */

/* Levenshtein distance of A and B, ignoring case and '-' vs '_'. */
unsigned px__edit_distance(const char *a, const char *b);
/* Whether DIST is close enough to suggest a name of length LEN. */
bool px__suggestable(unsigned dist, size_t len);
/* 0 when CLS is well formed, else -EINVAL. */
int px__registry_check_class(const struct px_element_class *cls);
/* Under the registry's lock (plugin.c, called from its first use). */
int px__registry_add_locked(const struct px_element_class *cls);
const struct px_element_class *px__registry_find_locked(const char *name);

/* ---- pipeline.c ---------------------------------------------------------- */

/* Record a build error: px_pipeline_error() text and a bus ERROR. */
void px__pipeline_fail(struct px_pipeline *p, int code, const char *source,
		       const char *fmt, ...) PX_PRINTF(4, 5);
/* Elements in topological order into ORDER (n_elems); -EINVAL on a cycle
 * (CYCLE_AT then names one element on it). */
int px__pipeline_toposort(struct px_pipeline *p, struct px_element **order,
			  struct px_element **cycle_at);

/* ---- caps_event.c -------------------------------------------------------- */

/* The id of CAPS in P's table (interned: equal caps, one id; a reference is
 * taken for a new entry). Returns 0 or -ENOMEM. Any thread. */
int px__caps_intern(struct px_pipeline *p, const struct px_caps *caps,
		    uint32_t *id);
/* The caps of ID (transfer none, valid while P lives), or NULL. */
const struct px_caps *px__caps_lookup(struct px_pipeline *p, uint32_t id);
void px__caps_table_free(struct px_pipeline *p);
/* Validation: L's caps (src ^ filter ^ sink) and their id. Returns 0,
 * -ENODATA (they contradict), -ENOMEM. */
int px__link_set_caps(struct px_pipeline *p, struct px_link *l);
/* Validation, with ORDER the elements in topological order: carry caps
 * across PX_ELEMENT_CAPS_PASSTHROUGH elements. Returns 0, -EINVAL after
 * the sentence naming both ends of a contradiction, -ENOMEM. */
int px__caps_propagate(struct px_pipeline *p, struct px_element **order);
/* A new run: src PAD's current caps are its link's, none sent. */
void px__pad_caps_reset(struct px_pad *pad);
/* A CAPS event IT is pushed on PAD: narrow it to the link's caps and make
 * it the pad's current and sent caps. Returns 0, or an errno after
 * posting the error. Reactor thread. */
int px__pad_caps_event(struct px_pad *pad, struct px_item *it);
/* Enqueue a CAPS event of PAD's current caps; false when the ring is full. */
bool px__pad_send_caps(struct px_pad *pad);

/* ---- replace.c ------------------------------------------------------------- */

/* The EOS that ends a replaced element's share of the stream reached PAD
 * (its src): hand both links to the successor. Returns true when it was
 * that EOS (consumed), false for any other. Reactor thread. */
bool px__replace_handover(struct px_pad *pad);
/* A real EOS reached the element being replaced before the cut: the
 * replacement cannot happen. Reactor thread. */
void px__replace_cancel(struct px_element *e);
/* Free what px_pipeline_replace retired (pipeline destroy). */
void px__replace_free(struct px_pipeline *p);

/* ---- pipeline_state.c ---------------------------------------------------- */

/* 0 when NODE is -1 or a NUMA node of this machine; else -ENODEV, posted
 * as E's failure naming the nodes there are. */
int px__elem_numa_node_check(struct px_element *e, int64_t node);

/* Run E's start() on its reactor; returns its result or run_on's error. */
int px__element_start(struct px_pipeline *p, struct px_element *e);
/* Run E's stop() (on E's reactor, px__pipeline_run_on): a failure is a
 * WARNING, and the stop finishes as stop() said (px__element_stop_result). */
void px__element_stop_fn(void *e);

/* Run FN(ARG) on reactor R's thread and wait for it. Application thread. */
int px__pipeline_run_on(struct px_pipeline *p, struct px_reactor *r,
			void (*fn)(void *arg), void *arg);
/* An element finished stopping (stop() returned 0, or stop_done). */
void px__pipeline_stop_done(struct px_pipeline *p, struct px_element *e);
/* The PLAYING time so far or of the last run, in ns. */
uint64_t px__pipeline_play_ns(const struct px_pipeline *p);
/* Stamp the end of the run (EOS or ERROR), once. Any thread. */
void px__pipeline_mark_end(struct px_pipeline *p);

#endif /* PX_PIPELINE_INT_H */
