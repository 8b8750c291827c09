/* SPDX-License-Identifier: MIT */
/*
 * px_pipeline.h - the application's API: build a pipeline element by element
 * or from a launch string, set properties, link, run it on the reactors,
 * wait for EOS or an error, read stats and export the graph.
 * Stability: public API, changed only with the ABI version (px_plugin.h).
 */
#ifndef PX_PIPELINE_H
#define PX_PIPELINE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "px_base.h"
#include "px_bus.h"
#include "px_caps.h"
#include "px_element.h"
#include "px_memory.h"

PX_EXTERN_C_BEGIN

/*
 * How a pipeline runs (engine/pipeline_state.c has the details):
 * - Placement. Sources run on reactor 0; every other element runs on the
 *   reactor of the element feeding its first sink pad, except downstream of
 *   a thread-boundary element (queue), which goes to the reactor named by
 *   that element's "reactor" property (-1: one more than its own). READY
 *   creates max index + 1 reactors, round robin over the NUMA nodes.
 * - Links. A link between two elements on one reactor is a plain ring (no
 *   atomics); across reactors an SPSC ring whose sleep flags decide when a
 *   px_reactor_post() wakeup is needed. Capacity: the link's own (0: 16), or
 *   the largest px_pad_request_capacity() of its pads when larger, rounded
 *   up to a power of two.
 * - EOS. Sources push EOS after their last buffer; PX_MSG_EOS is posted
 *   once every sink (element without src pads) called
 *   px_element_eos_reached().
 * - Errors. px_element_error() posts ERROR and halts the flow (no work()
 *   runs, pushes release their items); px_pipeline_wait() returns it and
 *   the application then stops the pipeline.
 * - Stop. PAUSED -> READY runs every element's stop() on its reactor, waits
 *   for all of them (px_element_stop_done for async ones), drains every link
 *   releasing its buffers, and destroys the element pools (their statistics
 *   stay readable for px_pipeline_write_stats_json). READY -> NULL stops and
 *   destroys the reactors.
 */

struct px_pipeline;

/*
 * px_pipeline_create - an empty pipeline in state NULL.
 * NAME may be NULL ("pipeline0", ...). Returns 0, -ENOMEM. (transfer full).
 * Application thread (any one thread per pipeline, for every call below
 * unless a call says otherwise).
 */
PX_API int px_pipeline_create(const char *name, struct px_pipeline **out);

/* Stop (state NULL) and free everything. Accepts NULL. */
PX_API void px_pipeline_destroy(struct px_pipeline *p);

PX_API const char *px_pipeline_name(const struct px_pipeline *p);

/*
 * px_pipeline_error - the sentence that explains the last build-time error
 * (add, set, link, validate, state change) of P, e.g.
 * "unknown property 'blocksze' of filesrc0 (did you mean 'blocksize'?)".
 * Also posted on the bus as ERROR. Empty string when none.
 */
PX_API const char *px_pipeline_error(const struct px_pipeline *p);

/*
 * px_pipeline_add - create an element of class FACTORY named NAME (NULL:
 * "<factory><n>" as GStreamer does) with its default properties.
 * Returns 0, -ENOENT (no such factory; the error text suggests the nearest),
 * -EEXIST (name taken), -EBUSY (pipeline not in NULL), -ENOMEM.
 * (transfer none) *OUT: the pipeline owns the element.
 */
PX_API int px_pipeline_add(struct px_pipeline *p, const char *factory,
			   const char *name, struct px_element **out);

/* The element named NAME, or NULL. (transfer none). */
PX_API struct px_element *px_pipeline_find(const struct px_pipeline *p,
					   const char *name);
/*
 * px_pipeline_replace - swap the element named NAME of a PLAYING pipeline
 * for a new one described by DESC ("identity drop-probability=0.1": a
 * factory and its properties, as in a launch string). The old element must
 * have one linked input and one linked output; the new one gets its name,
 * its reactor and its two links, and must accept the caps of both.
 * Nothing is lost, repeated or reordered: the old element finishes the
 * items that were on its input link when the call came, flushes as at EOS,
 * and the new one takes every item after those (docs/writing-elements.md,
 * "Replacing a running element"). Downstream may see the stream's CAPS
 * event again.
 * Returns 0 with (transfer none) *OUT, or: -EBUSY (not PLAYING), -ENOENT
 * (no such element or factory), -EINVAL (DESC malformed, a property
 * refused, pads or caps that do not fit: the old element is untouched),
 * -EPIPE (the input ended before the swap, or the pipeline stopped: the
 * old element finishes the stream), -ETIMEDOUT (the old element did not
 * get through its share within the replace timeout, e.g. because its
 * output stopped draining: the swap is called off and the old element
 * goes on as if it had never been asked), -ENOMEM. px_pipeline_error()
 * has the sentence; a refusal posts nothing on the bus and leaves the
 * pipeline running. Application thread; it waits for the old element to
 * flush, at most the replace timeout unless the old element has already
 * taken the EOS that ends its share (it is pushing it: the swap is then
 * committed and completes when that push does, or fails with -EPIPE when
 * the pipeline stops).
 */
PX_API int px_pipeline_replace(struct px_pipeline *p, const char *name,
			       const char *desc, struct px_element **out);

/* px_pipeline_replace()'s bound on the old element's hand-over. */
#define PX_REPLACE_TIMEOUT_DEFAULT_NS (10ull * 1000 * 1000 * 1000)

/*
 * px_pipeline_set_replace_timeout - how long px_pipeline_replace() waits
 * for the old element to get through the items it must finish, in ns
 * (PX_REPLACE_TIMEOUT_DEFAULT_NS, 10 s, until set; 0: no bound). An
 * element that takes long per item, with a deep input link, needs more.
 * Returns 0, or -EINVAL for a NULL P. Application thread, any state.
 */
PX_API int px_pipeline_set_replace_timeout(struct px_pipeline *p,
					   uint64_t timeout_ns);
/* Elements in the order they were added. (transfer none). */
PX_API unsigned px_pipeline_element_count(const struct px_pipeline *p);
PX_API struct px_element *px_pipeline_element_at(const struct px_pipeline *p,
						 unsigned i);

/*
 * px_pipeline_set_memory - the memory every element pool of P lives in
 * from the next start on (px_memory.h; an element's own "memory" property
 * overrides it). M is copied. Before any pool exists: state NULL or READY.
 * Returns 0, -EINVAL (M NULL, unknown kind, file without an absolute
 * directory, numa_node < -1), -EBUSY (past READY; the error text says so).
 */
PX_API int px_pipeline_set_memory(struct px_pipeline *p,
				  const struct px_memory *m);
/* P's memory choice (all zero, "auto", unless set). */
PX_API const struct px_memory *px_pipeline_memory(const struct px_pipeline *p);

/*
 * px_element_set - set property PROP of E from its text form ("64K",
 * "10ms", "true", "downstream"). "name" renames the element; "memory"
 * (every element has it) is px_memory_parse()'s text, for the pools that
 * element makes.
 * Returns 0, -ENOENT (no such property: the error text names the element
 * and suggests the nearest property), -EINVAL (bad value or out of range:
 * the text says which and the valid range or nicks), -EPERM (read-only),
 * -EBUSY (pipeline is past READY).
 */
PX_API int px_element_set(struct px_element *e, const char *prop,
			  const char *value);
/* Typed setters: -EINVAL also when PROP's type does not take the C type
 * (set_int serves INT, UINT64, SIZE, DURATION, ENUM by value). */
PX_API int px_element_set_bool(struct px_element *e, const char *prop, bool v);
PX_API int px_element_set_int(struct px_element *e, const char *prop,
			      int64_t v);
PX_API int px_element_set_uint64(struct px_element *e, const char *prop,
				 uint64_t v);
PX_API int px_element_set_double(struct px_element *e, const char *prop,
				 double v);
PX_API int px_element_set_string(struct px_element *e, const char *prop,
				 const char *v);
/* Current value of PROP as text into BUF (snprintf semantics: returns the
 * length needed) or -ENOENT, -EINVAL (E or PROP NULL). Application thread;
 * numeric read-only properties (levels, counters an element updates with
 * relaxed atomic stores) may be read in any state. */
PX_API int px_element_get(const struct px_element *e, const char *prop,
			  char *buf, size_t len);
/* The class E was made from. */
PX_API const struct px_element_class *
px_element_class(const struct px_element *e);

/*
 * px_element_link_pads - link SRC's pad SRCPAD to SINK's pad SINKPAD.
 * A NULL pad name picks the first unlinked always-pad, else a new request
 * pad; a template name ("src_%u") makes a request pad; "src_1" names one.
 * FILTER (borrowed, may be NULL) restricts the caps, as a capsfilter would.
 * CAPACITY is the link's ring size in items (0: the default, 16; rounded up
 * to a power of two).
 * Returns 0, -ENOENT (no such pad), -EBUSY (pad already linked), -EINVAL
 * (caps do not intersect: the text names both pads and both caps, or the
 * directions are wrong, or SRC == SINK), -ENOMEM.
 */
PX_API int px_element_link_pads(struct px_element *src, const char *srcpad,
				struct px_element *sink, const char *sinkpad,
				const struct px_caps *filter,
				unsigned capacity);
/* px_element_link_pads(src, NULL, sink, NULL, NULL, 0). */
PX_API int px_element_link(struct px_element *src, struct px_element *sink);

/*
 * px_pipeline_validate - check the graph before it runs: acyclic, every
 * always-pad linked, caps compatible along every link, at least one source
 * and one sink. Returns 0 or -EINVAL with px_pipeline_error() set.
 */
PX_API int px_pipeline_validate(struct px_pipeline *p);

/*
 * px_pipeline_set_state - move P to STATE through every intermediate state
 * (NULL -> READY -> PAUSED -> PLAYING and back). READY validates and
 * creates reactors and links; PAUSED starts elements (open files, create
 * pools); PLAYING lets data flow. Going down stops every element, cancels
 * I/O and returns every buffer to its pool. A pipeline can be played,
 * stopped and played again. Returns 0, or the -errno of the first element
 * or engine failure (with px_pipeline_error() and a bus ERROR).
 */
PX_API int px_pipeline_set_state(struct px_pipeline *p, enum px_state state);
PX_API enum px_state px_pipeline_state(const struct px_pipeline *p);
PX_API int px_pipeline_play(struct px_pipeline *p);  /* -> PLAYING */
PX_API int px_pipeline_stop(struct px_pipeline *p);  /* -> NULL */

/*
 * px_pipeline_send_eos - ask every source to finish: each pushes EOS after
 * its current buffer, and EOS is posted when it reached every sink.
 * Any thread, async-signal-safe (for Ctrl-C handlers). Returns 0 or -EINVAL
 * (not PLAYING).
 */
PX_API int px_pipeline_send_eos(struct px_pipeline *p);

/*
 * px_pipeline_wait - block until EOS or ERROR is posted, or TIMEOUT_NS
 * passes (< 0: forever). The EOS or ERROR is taken off the bus; other
 * messages are left on it. Messages of an earlier run (posted before the
 * pipeline last left NULL, such as a build-time error the caller already
 * handled) do not count. MSG (may be NULL) receives the EOS or ERROR
 * message. Returns 0 on EOS, the ERROR's negative code on error,
 * -ETIMEDOUT, -EINVAL (P NULL). Any thread.
 */
PX_API int px_pipeline_wait(struct px_pipeline *p, int64_t timeout_ns,
			    struct px_message *msg);

/* The pipeline's bus. (transfer none). Any thread. */
PX_API struct px_bus *px_pipeline_bus(const struct px_pipeline *p);

/* ---- Stats and export ------------------------------------------------- */

struct px_element_stats {
	uint64_t buffers_in, buffers_out; /* through sink / src pads */
	uint64_t bytes_in, bytes_out;
	uint64_t events_in, events_out;	  /* CAPS, EOS, ... */
	uint64_t dropped;	/* items a refused push released (downstream
				 * at EOS, not linked, pipeline stopping) */
	uint64_t work_calls;	/* work() calls */
	uint64_t work_ns;	/* time in work(): every 64th call is timed
				 * and counts 64 times (an estimate: two clock
				 * reads per 64 calls) */
	uint64_t errors;	/* px_element_error() calls */
};

/* Counters of E since the last run started (consistent per field, read
 * from any thread). */
PX_API void px_element_stats(const struct px_element *e,
			     struct px_element_stats *st);

/*
 * Latency: a source stamps the buffers it pushes with the CLOCK_MONOTONIC
 * time of the push (px_item.born): one burst in every SAMPLE (one clock
 * read per stamped burst), since a clock read costs about as much as
 * moving a dozen buffers. The sink pads that record keep a histogram of
 * how long before they pulled a stamped buffer it was pushed (log-linear
 * buckets, at most 6.25% wide). Each pipeline measures from its own
 * sources: an ipcsrc or netsrc stamps what it receives anew.
 */
enum px_latency_mode {
	PX_LATENCY_SINKS = 0, /* sinks (no src pads) record: the default */
	PX_LATENCY_ALL = 1,   /* every sink pad: latency up to each hop */
	PX_LATENCY_OFF = 2,   /* no stamps, no histograms */
};

#define PX_LATENCY_SAMPLE_DEFAULT 64u

/* Choose what records latency and how often a source stamps a burst (1:
 * every burst; 0: PX_LATENCY_SAMPLE_DEFAULT), in NULL or READY. The
 * environment variable PX_LATENCY=MODE[/SAMPLE] (MODE sinks, all or off;
 * "sinks/1") sets a new pipeline's default. Returns 0, -EINVAL, or -EBUSY
 * (PAUSED or PLAYING). */
PX_API int px_pipeline_set_latency(struct px_pipeline *p,
				   enum px_latency_mode mode, unsigned sample);

struct px_latency {
	uint64_t count;		/* buffers measured (stamped ones) */
	uint64_t unstamped;	/* buffers without a source time: not sampled,
				 * or made by an element that set none */
	uint64_t sum_ns, max_ns;
	/* upper edges of the buckets that hold these quantiles; 0 if none */
	uint64_t p50_ns, p90_ns, p99_ns, p999_ns;
};

/* Source-to-E latency of the buffers E pulled since the run started, all
 * its sink pads together. Returns 0, -EINVAL, or -ENOENT (E records none:
 * not a sink under PX_LATENCY_SINKS, or latency off). Any thread. */
PX_API int px_element_latency(const struct px_element *e,
			      struct px_latency *out);

/*
 * px_pipeline_write_metrics - P's counters in the Prometheus text
 * exposition format (version 0.0.4): elements, pads and links, pools,
 * reactors and latency histograms, all labelled with pipeline= and the
 * names, base units (bytes, seconds), _total counters (docs/observability.md
 * lists every name). Thread: the application thread (the one that changes
 * P), in any state. Returns 0 or -EIO.
 */
PX_API int px_pipeline_write_metrics(const struct px_pipeline *p, FILE *f);

/*
 * px_metrics_server_start - serve P over HTTP/1.1 (GET or HEAD, one request
 * per connection): /metrics (px_pipeline_write_metrics), /stats.json
 * (px_pipeline_write_stats_json) and /info ({"pid","pipeline","state",
 * "uptime_s","playing_s","elements"}). ADDR is "host:port", "[v6]:port" or
 * ":port" (127.0.0.1; "0.0.0.0:port" for every interface; port 0 picks a
 * free one, see px_metrics_server_port), or "unix:PATH": a Unix socket of
 * mode 0600 (replacing a stale one; removed by px_metrics_server_stop)
 * that answers only peers of this process's uid or root (SO_PEERCRED).
 * Accept, recv and send are ops of R, so the server has no thread: R must
 * be an embedded reactor driven by the application thread
 * (px_reactor_run_once, e.g. beside the bus fd), since answers read the
 * graph. Listens before returning; serves from R's next run_once.
 * Returns 0, -EINVAL (bad ADDR), -EHOSTUNREACH, -ENAMETOOLONG, -ENOMEM,
 * or the -errno of socket/bind/listen (-EADDRINUSE, -EACCES).
 */
struct px_metrics_server;
struct px_reactor;
PX_API int px_metrics_server_start(struct px_reactor *r, struct px_pipeline *p,
				   const char *addr,
				   struct px_metrics_server **out);
/*
 * px_running_dir - the folder where running pipelines offer their Unix
 * sockets to px-inspect --running: $XDG_RUNTIME_DIR/parallax when that is
 * set and this user's, else /tmp/parallax-UID. CREATE makes it (mode 0700) if missing.
 * Refused (-EPERM) if it is not a directory of this uid with mode 0700,
 * so another user cannot plant or read sockets there. Returns 0,
 * -ENAMETOOLONG, -ENOENT (missing, CREATE false), -EPERM or -errno.
 */
PX_API int px_running_dir(char *buf, size_t len, bool create);
/* The port S listens on. */
PX_API unsigned px_metrics_server_port(const struct px_metrics_server *s);
/* Close S's connections and socket, and free it; returns once its ops have
 * ended (it runs R for that). R's owning thread, outside R's callbacks. */
PX_API void px_metrics_server_stop(struct px_metrics_server *s);

/*
 * px_pipeline_write_stats_json - the --stats-json document:
 * {"seconds":S,"elements":[{"name","factory","buffers_in","buffers_out",
 *  "bytes_in","bytes_out","events_in","events_out","dropped","work_calls",
 *  "work_ns","errors", and where E records it "latency":{"count",
 *  "unstamped","p50_ns","p90_ns","p99_ns","p999_ns","max_ns","sum_ns"}}],
 *  "pools":[{"name","slot_size","slots","loans","bytes_copied",
 *  "high_water",...}]}
 * SECONDS is the PLAYING time of the last run. Returns 0 or -EIO.
 */
PX_API int px_pipeline_write_stats_json(const struct px_pipeline *p, FILE *f);
/* Graphviz DOT and JSON descriptions of the graph (elements, pads, caps,
 * properties that differ from their defaults, links with capacity). */
PX_API int px_pipeline_write_dot(const struct px_pipeline *p, FILE *f);
PX_API int px_pipeline_write_json(const struct px_pipeline *p, FILE *f);
/* Seconds spent in PLAYING during the last run (or so far). */
PX_API double px_pipeline_seconds(const struct px_pipeline *p);

/* ---- Launch strings (engine/parse.c) ------------------------------------ */

struct px_parse_error {
	int code;	/* negative errno */
	unsigned line;	/* 1-based */
	unsigned column; /* 1-based, in bytes */
	unsigned length; /* bytes of the offending text (for the ~~~ mark) */
	char message[256];
};

/*
 * px_pipeline_parse - build a pipeline from a gst-launch style string:
 *   filesrc location=in.bin ! tee name=t ! filesink location=out.bin  t. ! fakesink
 * Returns 0 and (transfer full) *OUT, or a negative errno with ERR (may be
 * NULL) filled: -EINVAL (syntax, bad value, caps), -ENOENT (unknown element,
 * property, or reference). Nothing is leaked on error.
 */
PX_API int px_pipeline_parse(const char *launch, struct px_pipeline **out,
			     struct px_parse_error *err);

/*
 * px_parse_error_format - "LINE:COL: MESSAGE\n  <source line>\n  ^~~~\n"
 * into BUF for LAUNCH (snprintf semantics).
 */
PX_API int px_parse_error_format(const struct px_parse_error *err,
				 const char *launch, char *buf, size_t len);

PX_EXTERN_C_END

#endif /* PX_PIPELINE_H */
