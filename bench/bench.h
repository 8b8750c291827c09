/* SPDX-License-Identifier: MIT */
/*
 * bench.h - px-bench internals: the result model, timing, statistics,
 * subprocess helpers, report output and the scenario entry points.
 */
#ifndef PX_BENCH_H
#define PX_BENCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>
#include <time.h>

#define BENCH_MAX_METRICS 4
#define BENCH_MAX_IMPLS	  6
#define BENCH_MAX_REPS	  15

/* What one run of one implementation returns (negative errno: it failed). */
enum bench_status {
	BENCH_OK = 0,
	BENCH_NA = 1,	   /* Parallax side not available in this build */
	BENCH_MISSING = 2, /* peer not installed */
	BENCH_FAILED = 3,  /* only in results: a run failed */
};

/* The state of one run, handed to an implementation's run function. */
struct bench_run {
	void *arg;		     /* the impl's argument */
	unsigned rep;		     /* 0-based repetition */
	bool quick;		     /* --quick */
	double v[BENCH_MAX_METRICS]; /* out: one value per metric of the case */
	char why[1024];		     /* out: reason (NA, MISSING, failure) */
	char note[256];		     /* out, optional: detail of this run */
};
typedef int (*bench_run_fn)(struct bench_run *run);

struct bench_impl {
	const char *name; /* parallax, gstreamer, fio, iperf3, dpdk-ring, ... */
	bench_run_fn fn;
	void *arg;
	const char *what; /* what this impl does, exactly (command line) */
};

/* A row of Parallax itself run with one environment variable set
 * (bench_env_impl): the epoll backend, latency measurement off. */
struct bench_env {
	bench_run_fn fn;
	void *arg;
	const char *var, *value;
	char what[240];
};

/* PARALLAX run again with VAR=VALUE in the environment of the px-launch
 * it starts, as impl NAME; WHY ends the footnote (what the ratio means).
 * STORE must outlive the case. */
struct bench_impl bench_env_impl(const struct bench_impl *parallax,
				 struct bench_env *store, const char *name,
				 const char *var, const char *value,
				 const char *why);
/* bench_env_impl with PX_BACKEND=epoll, as impl "parallax-epoll". */
struct bench_impl bench_epoll_impl(const struct bench_impl *parallax,
				   struct bench_env *store);

struct bench_metric {
	const char *name; /* e.g. "loan+release", "throughput", "p99" */
	const char *unit; /* ns/op, items/s, buffers/s, GB/s, us */
	bool lower_better;
};

/* One measured point: every impl does the same work, run alternately. */
struct bench_case {
	const char *scenario;
	const char *variant;
	unsigned nmetrics;
	struct bench_metric metric[BENCH_MAX_METRICS];
	unsigned nimpls;
	struct bench_impl impl[BENCH_MAX_IMPLS];
	/* Plotting (optional): chart id, series name, x value. */
	const char *chart;
	const char *series;
	double x;
	double metric_x[BENCH_MAX_METRICS]; /* per-metric x (percentiles); 0:
					       use x */
};

/* One row of the report: one metric of one impl in one case. */
struct bench_result {
	char scenario[32], variant[64], impl[32], metric[32], unit[16];
	char label[96]; /* table label: variant, plus the metric when a case has
			   several */
	char chart[32], series[64];
	double x;
	bool lower_better;
	enum bench_status status;
	unsigned reps;
	double median, min, max;
	char why[512];
	char note[256];
	char what[512];
	unsigned group; /* results of one case and metric share a group */
};

struct bench_ctx {
	bool quick;
	unsigned reps;
	bool tty;
	bool failed;	      /* a run of an existing implementation failed */
	const char *scenario; /* current, for progress */
	unsigned scen_index, scen_total;
	unsigned case_index; /* within the scenario */
	double t_start;	     /* bench_now() at start, for progress */
	char load_start[16]; /* /proc/loadavg first field at start */
	time_t start_time;   /* wall clock at start, for the report */
	struct bench_result *res;
	size_t nres, capres;
	unsigned next_group;
	char tmpdir[256];
	char exe_dir[512]; /* directory of px-bench, to find px-launch */
	char iox_why[256]; /* ipc scenario: why iceoryx is missing, or "" */
};

/* ---- bench_util.c: time, statistics, formatting ---- */
double bench_now(void); /* CLOCK_MONOTONIC seconds */
uint64_t bench_now_ns(void);
void bench_stats(const double *v, unsigned n, double *median, double *min,
		 double *max);
double bench_percentile(double *v, size_t n, double p); /* sorts v */
void bench_fmt_value(char *buf, size_t len, double v);
const char *bench_tail(const char *s,
		       size_t max); /* last max chars, at a line start */
/* snprintf for text that may be cut to fit (table cells, reasons). */
int bench_snprintf(char *buf, size_t len, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * A CPU each for a sender and a receiver in two processes, every
 * implementation alike (ipc, tcp, net): left to the scheduler, two
 * processes over loopback may share a CPU in one run and not in the next,
 * which moves their figures 2x and more, and a spinning side makes the
 * other wait for the scheduler. bench_cpus_pick() takes the first two CPUs
 * this process may use, the sender's first; both -1 when fewer than two
 * are allowed (then nothing is pinned).
 */
struct bench_cpus {
	int send, recv;
};
struct bench_cpus bench_cpus_pick(void);
/* Run the caller, and what it forks or spawns from now on, on CPU alone
 * (nothing for -1); bench_unpin() returns to the CPUs allowed when
 * bench_cpus_pick() ran. */
void bench_pin(int cpu);
void bench_unpin(void);
/* For footnotes: "; sender on CPU S, receiver on CPU R", or "; not
 * pinned (one CPU allowed)". */
const char *bench_pinning(struct bench_cpus c);
/* Keep the compiler from eliding work on p (e.g. a malloc/free pair). */
static inline void bench_escape(void *p)
{
	__asm__ volatile("" : : "g"(p) : "memory");
}
/* Keep the compiler from eliding the work that computed V. By value: an
 * accumulator passed to bench_escape() by address would live in memory, and
 * every addition to it in a timed loop would wait on the last one's store. */
static inline void bench_use(uint64_t v)
{
	__asm__ volatile("" : : "r"(v));
}

/* ---- bench_proc.c: subprocesses ---- */
struct bench_proc_result {
	int exit_code; /* exit status, or 128+signal */
	bool timed_out;
	double wall;	 /* seconds from spawn to exit */
	char *out, *err; /* captured stdout/stderr, NUL-terminated (free) */
};
/* Find PROG on PATH; returns true and fills path. */
bool bench_which(const char *prog, char *path, size_t len);
/* Start argv[0] (full path) with stdout/stderr captured; returns pid or -errno.
 */
struct bench_proc {
	pid_t pid;
	int pidfd, out_fd, err_fd;
	double t0;
};
int bench_proc_start(struct bench_proc *p, char *const argv[]);
int bench_proc_wait(struct bench_proc *p, double timeout_s,
		    struct bench_proc_result *r);
void bench_proc_kill(struct bench_proc *p);
int bench_proc_run(char *const argv[], double timeout_s,
		   struct bench_proc_result *r);
void bench_proc_result_free(struct bench_proc_result *r);
/* Fill why with "<prog> exited N: <stderr tail>" for a failed run. */
void bench_proc_why(char *why, size_t len, const char *prog,
		    const struct bench_proc_result *r);
/* A free loopback TCP port (bound then closed), or -errno. */
int bench_free_port(void);
/* Wait until something listens on port (via /proc/net/tcp); -ECHILD as
 * soon as process PID (if > 0) has exited, -ETIMEDOUT. */
int bench_wait_listen(int port, double timeout_s, pid_t pid);
/* Seconds from gst-launch's "Execution ended after H:MM:SS.nnnnnnnnn" line. */
int bench_gst_elapsed(const char *out, double *seconds);
/* Read a whole file into a malloc'd string. */
char *bench_read_file(const char *path);
/* The number after "key": in a JSON text (first occurrence). */
int bench_json_number(const char *json, const char *key, double *v);

/* ---- bench_report.c: results, markdown, JSON, plots, progress ---- */
int bench_case_run(struct bench_ctx *ctx, const struct bench_case *c);
/* A whole scenario (or a case's Parallax side) not in this build. */
void bench_not_available(struct bench_ctx *ctx, const char *scenario,
			 const char *variant, const char *reason);
void bench_progress(struct bench_ctx *ctx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void bench_progress_done(struct bench_ctx *ctx);
void bench_report_markdown(const struct bench_ctx *ctx, FILE *f,
			   const char *header);
int bench_report_json(const struct bench_ctx *ctx, const char *path);
int bench_report_plot(const struct bench_ctx *ctx, const char *dir);

/* ---- px-launch and peers shared by the pipeline scenarios ---- */
/* Path of px-launch (env PX_LAUNCH, else <bench dir>/../tools/px-launch). */
bool bench_px_launch(const struct bench_ctx *ctx, char *path, size_t len);
/* What px-launch's --stats-json says about a run. */
struct bench_px_stats {
	double seconds;	       /* PLAYING time */
	unsigned sinks;	       /* fakesink elements */
	uint64_t sink_buffers; /* the fewest buffers any fakesink received */
	uint64_t sink_bytes;   /* the fewest bytes any fakesink received */
	/* The first fakesink's source-to-sink latency ("latency" object of
	 * the stats JSON; all 0 when it recorded none): bucket upper edges. */
	double lat_count, lat_p50_ns, lat_p99_ns, lat_p999_ns, lat_max_ns;
	/* A fakesink checksum=true's "checksum crc32c=0x..." message, when
	 * px-launch ran with -v (it prints bus messages on stderr). */
	bool have_crc;
	uint32_t crc;
};
/* Run px-launch with --stats-json on a launch string.
 * Returns BENCH_OK, BENCH_NA (no px-launch binary in this build, why
 * filled) or -errno; a px-launch that fails is -EIO, whatever it says. */
int bench_run_px_launch(const struct bench_ctx *ctx, const char *launch,
			double timeout_s, struct bench_px_stats *st,
			struct bench_run *run);
/* How many reactors px-launch --json puts LAUNCH's elements on (a short
 * separate run: the graph export happens while the pipeline plays). */
int bench_px_launch_reactors(const struct bench_ctx *ctx, const char *launch,
			     unsigned *reactors);
/* The same in two steps, for servers that must run beside a client. */
int bench_px_launch_start(const struct bench_ctx *ctx, const char *launch,
			  const char *stats, struct bench_proc *p,
			  struct bench_run *run);
int bench_px_launch_finish(struct bench_proc *p, const char *stats,
			   double timeout_s, struct bench_px_stats *st,
			   struct bench_run *run);
/* scen_file.c: write BYTES of pseudo-random data to PATH and read them back
 * once (into the page cache); 0 or -errno with WHY filled. */
int bench_make_file(const char *path, uint64_t bytes, char *why, size_t len);
/* The name of a statfs f_type ("ext4", "tmpfs", ...). */
const char *bench_fs_name(long type);
/* Run gst-launch-1.0 on a pipeline (split on spaces); seconds of the run. */
int bench_run_gst(const char *pipeline, double timeout_s, double *seconds,
		  struct bench_run *run);
int bench_gst_start(const char *pipeline, struct bench_proc *p,
		    struct bench_run *run);
int bench_gst_finish(struct bench_proc *p, double timeout_s, double *seconds,
		     struct bench_run *run);

extern struct bench_ctx *bench_global_ctx;
/* A big temporary file to unlink if px-bench is interrupted (or ""). */
extern char bench_cleanup_path[600];

/* ---- scenarios: each returns 0, or -errno when the harness itself broke ----
 */
typedef int (*bench_scen_fn)(struct bench_ctx *ctx);
int bench_scen_pool(struct bench_ctx *ctx);
int bench_scen_ring(struct bench_ctx *ctx);
int bench_scen_reactor(struct bench_ctx *ctx);
int bench_scen_chain(struct bench_ctx *ctx);
int bench_scen_tee(struct bench_ctx *ctx);
int bench_scen_latency(struct bench_ctx *ctx);
int bench_scen_record(struct bench_ctx *ctx);
int bench_scen_file(struct bench_ctx *ctx);
int bench_scen_memory(struct bench_ctx *ctx);
int bench_scen_tcp(struct bench_ctx *ctx);
int bench_scen_net(struct bench_ctx *ctx);
int bench_scen_ipc(struct bench_ctx *ctx);
int bench_scen_nats(struct bench_ctx *ctx);
int bench_scen_fanin(struct bench_ctx *ctx);
/* Latency, wakeup floors and kill-to-reclaim (scen_ipc_lat.c). */
int bench_scen_ipc_latency(struct bench_ctx *ctx);

/* ---- peer_iox_run.c: the iceoryx peer of the ipc scenario ---- */
/* Start RouDi (unless one runs) and find px-bench-iceoryx. BENCH_OK,
 * BENCH_MISSING (why filled) or -errno. */
int bench_iox_start(const struct bench_ctx *ctx, char *why, size_t len);
/* Stop the RouDi that bench_iox_start() started, if it did. */
void bench_iox_stop(void);
/* One publisher/subscriber pair: SIZE-byte chunks, COUNT of them, one per
 * GAP_NS (0: as fast as possible); MODE rate|busy|wait; the publisher on
 * CPU_PUB, the subscriber on CPU_SUB (-1: unpinned). *OUT: the subscriber's
 * stdout (free); *SAMPLES (when not NULL, latency modes): COUNT latencies
 * in us (free). 0 or -errno with run->why filled. */
int bench_iox_pair(const struct bench_ctx *ctx, struct bench_run *run,
		   uint32_t size, uint64_t count, uint64_t gap_ns,
		   const char *mode, int cpu_pub, int cpu_sub, char **out,
		   double **samples);

/* Micro-benchmark scenarios exist only when their module's header does
 * (bench/CMakeLists.txt defines PX_BENCH_HAVE_<MODULE>). */
#ifdef PX_BENCH_HAVE_POOL
#define BENCH_SCEN_POOL bench_scen_pool
#else
#define BENCH_SCEN_POOL NULL
#endif
#ifdef PX_BENCH_HAVE_RING
#define BENCH_SCEN_RING bench_scen_ring
#else
#define BENCH_SCEN_RING NULL
#endif
#ifdef PX_BENCH_HAVE_REACTOR
#define BENCH_SCEN_REACTOR bench_scen_reactor
#else
#define BENCH_SCEN_REACTOR NULL
#endif

/* ---- peer_dpdk.c or peer_dpdk_none.c: DPDK peers (fixed function set) ---- */
/* Why DPDK peers cannot run (NULL when they can): not built, EAL failed... */
const char *bench_dpdk_ring_unavailable(void);
const char *bench_dpdk_mempool_unavailable(void);
const char *bench_dpdk_version(void);
/* Every micro-benchmark loop runs for SECS seconds of wall time (checked
 * every BENCH_CHECK_EVERY iterations) rather than a fixed count, so a busy
 * machine makes a run noisier, never longer. */
#define BENCH_CHECK_EVERY 256
/* rte_ring SP/SC of 64-byte items, one thread: ns per item, burst b. */
int bench_dpdk_ring_st(unsigned burst, double secs, double *ns_per_item);
/* rte_ring SP/SC, producer and consumer threads: items/s at burst b. */
int bench_dpdk_ring_2t(unsigned burst, double secs, double *items_per_s);
/* rte_mempool get+put of obj_size objects, one thread: ns per object. */
int bench_dpdk_mempool_st(bool cache, unsigned burst, uint32_t obj_size,
			  double secs, double *ns_per_op);
/* rte_mempool, get on this thread (EAL lcore 0), put on another (registered
 * as an lcore with rte_thread_register when cache is set): objects/s. */
int bench_dpdk_mempool_2t(bool cache, uint32_t obj_size, double secs,
			  double *objs_per_s);

/* ---- peer_flatbuffers.cc or peer_flatbuffers_none.c ---- */
/* Verify and read a FlatBuffers buffer of record shape SHAPE (0 flat, 1
 * strings, 2 nested) for SECS: ns per record, the buffer's bytes, the sum
 * of what was read. 0, BENCH_MISSING (not built), or -1 (did not verify). */
int bench_fb_record(int shape, double secs, double *ns_per_rec, double *bytes,
		    double *sum);
/* "FlatBuffers X.Y.Z", or NULL when not built. */
const char *bench_fb_version(void);

/* ---- peer_uring.c: bare liburing loops ---- */
/* NOP x batch on a ring set up with FLAGS (IORING_SETUP_*), submit_and_wait,
 * reap. */
int bench_uring_nop(unsigned batch, unsigned flags, double secs,
		    double *ns_per_op, char *why, size_t len);
/* MSG_RING from this thread to another every gap_ns (busy-waited, or slept
 * when sleep_path); one-way latencies in us into samples[0..*got). The other
 * thread peeks its CQ for spin_ns after each message, then sleeps. */
int bench_uring_wakeup(bool sleep_path, uint32_t spin_ns, uint64_t gap_ns,
		       double secs, double *samples, size_t n, size_t *got,
		       char *why, size_t len);

/* A user-space flag from this thread to another that polls it without
 * pause, every gap_ns (busy-waited): one-way latencies in us. The class of
 * thing the reactor's spin path does (a list push another thread polls). */
int bench_flag_wakeup(uint64_t gap_ns, double secs, double *samples, size_t n,
		      size_t *got);

/* A minimal SPSC channel of uint64 values used by the two-thread handoff
 * benchmarks; every implementation crosses threads through this same code. */
struct bench_chan;
struct bench_chan *bench_chan_create(unsigned capacity);
void bench_chan_destroy(struct bench_chan *c);
bool bench_chan_push(struct bench_chan *c, uint64_t v);
bool bench_chan_pop(struct bench_chan *c, uint64_t *v);

#endif /* PX_BENCH_H */
