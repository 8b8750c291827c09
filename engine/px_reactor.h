/* SPDX-License-Identifier: MIT */
/*
 * px_reactor.h - the reactor: one thread, one io_uring, pinned to one NUMA
 * node. Elements submit I/O through the px_io_* op API below and do their
 * work in tasks that the reactor runs between completion batches.
 *
 * Threads. A reactor has exactly one owning thread: the thread that
 * px_reactor_start() spawns, or, for an embedded reactor, the first thread
 * that calls px_reactor_run_once(). The io_uring is created on that thread
 * (IORING_SETUP_SINGLE_ISSUER) and every px_io_* call, px_reactor_schedule()
 * and the register functions (once the ring exists) must run there. Only
 * px_reactor_post(), px_reactor_stop(), px_reactor_stats() and the read-only
 * getters may be called from any thread.
 *
 * Loop turn. Reap every completion (callbacks), move posted tasks to the
 * run queue, run up to task_budget tasks, then enter the kernel once
 * (io_uring_submit_and_wait): every SQE queued during the turn goes out
 * with that one call. With nothing to do the reactor first spins up to
 * spin_ns (not when it has SQEs to submit), then sleeps in that same call.
 * The spin adapts between spin_ns / 32 and spin_ns: it doubles after a
 * sleep whose wakeup was posted soon after the spin gave up (a longer spin
 * would have caught it), and halves after long sleeps (an idle link) or
 * eight misses in a row.
 *
 * Backends. The same API runs on two backends: io_uring (the default) and
 * epoll readiness plus non-blocking syscalls, with regular-file I/O on a
 * small per-reactor worker pool. A reactor uses epoll where io_uring cannot
 * be set up (seccomp, kernel.io_uring_disabled, a kernel missing an opcode
 * Parallax needs) or when asked to (PX_BACKEND=epoll, or
 * px_reactor_config.backend): see px_backend_default(). Every op behaves
 * the same on both; the differences are in what the kernel does for you
 * (fixed buffers, SEND_ZC, MSG_RING exist only on io_uring) and are noted
 * at each call.
 * Stability: public API, changed only with the ABI version (px_plugin.h).
 */
#ifndef PX_REACTOR_H
#define PX_REACTOR_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include "px_base.h"
#include "px_list.h"

PX_EXTERN_C_BEGIN

struct px_reactor;
struct px_reactor_group;
struct px_pool;

/* The reactor backends. */
enum px_backend {
	PX_BACKEND_AUTO = 0,	/* the process default: px_backend_default() */
	PX_BACKEND_IO_URING,
	PX_BACKEND_EPOLL,
};

/* ------------------------------------------------------------------------ */
/* Configuration                                                             */

/*
 * Reactor configuration. Start from PX_REACTOR_CONFIG_DEFAULT: in a plain
 * zero-initialised struct numa_node 0 and cpu 0 are real choices (pin to
 * node 0 and CPU 0), spin_ns 0 disables spinning and zc_threshold 0
 * disables SEND_ZC in px_io_send_auto. The other zeros mean "default".
 */
struct px_reactor_config {
	const char *name;	/* thread name, max 15 chars; default "px-reactor" */
	int numa_node;		/* NUMA node (OS number, as libnuma and
				 * px_segment_config use) or -1: any */
	int cpu;		/* OS CPU index to pin to, or -1: the node's CPUs */
	unsigned sq_entries;	/* SQ size; 0: 256 */
	unsigned task_budget;	/* tasks run per loop turn; 0: 64 */
	unsigned max_buffers;	/* fixed-buffer table slots; 0: 16 */
	unsigned max_files;	/* fixed-file table slots; 0: 64 */
	uint32_t spin_ns;	/* busy-poll this long before sleeping; 0: never */
	uint32_t zc_threshold;	/* px_io_send_auto uses SEND_ZC from here; 0: never */
	bool no_pin;		/* compute the placement but do not bind the thread */
	bool no_defer_taskrun;	/* set up without DEFER_TASKRUN (the degraded
				 * path, for tests and old-kernel parity) */
	bool no_msg_ring;	/* wake this reactor through its eventfd only */
	enum px_backend backend; /* AUTO (0): px_backend_default() */
};

#define PX_REACTOR_SPIN_DEFAULT_NS 20000u
#define PX_REACTOR_ZC_DEFAULT (16u << 10)

/* The documented defaults: any node, no single-CPU pin, 20 us spin, ZC >= 16 KiB. */
#define PX_REACTOR_CONFIG_DEFAULT                                          \
	{ .name = NULL, .numa_node = -1, .cpu = -1, .sq_entries = 256,     \
	  .task_budget = 64, .spin_ns = PX_REACTOR_SPIN_DEFAULT_NS,         \
	  .zc_threshold = PX_REACTOR_ZC_DEFAULT }

/* ------------------------------------------------------------------------ */
/* Backend choice                                                            */

/*
 * px_backend_default - the backend a reactor gets when its config says
 * PX_BACKEND_AUTO, chosen once per process: PX_BACKEND=io_uring or
 * PX_BACKEND=epoll in the environment forces one; otherwise io_uring when
 * it can be set up with every opcode Parallax uses, else epoll.
 * @why: if not NULL, receives a static sentence saying why ("io_uring
 *       unavailable: io_uring_setup failed with EPERM (a seccomp filter,
 *       as Docker's default profile)"); transfer none.
 * Returns the backend, or -ENOSYS when PX_BACKEND=io_uring and io_uring
 * cannot be used, -EINVAL when PX_BACKEND names no backend (WHY says which
 * value); px_reactor_create() then fails with that error.
 * Thread: any; the choice is made once (pthread_once).
 */
PX_API int px_backend_default(const char **why);

/* "io_uring", "epoll", "auto", or "unknown". Thread: any. */
PX_API const char *px_backend_name(enum px_backend backend);

/*
 * px_reactor_backend - the backend R runs on (never PX_BACKEND_AUTO).
 * Thread: any.
 */
PX_API enum px_backend px_reactor_backend(const struct px_reactor *r);

/* ------------------------------------------------------------------------ */
/* Lifecycle                                                                 */

/*
 * px_reactor_create - allocate a reactor (no thread, no ring yet).
 * @cfg: configuration, copied (name is copied too); NULL: the defaults.
 * @out: receives the new reactor (transfer full: px_reactor_destroy()).
 * Returns 0, -EINVAL (bad cfg or out NULL, or PX_BACKEND names no backend),
 * -ENODEV (numa_node or cpu not in the topology), -ENOSYS (io_uring asked
 * for, by cfg->backend or PX_BACKEND, and unavailable), -ENOMEM, or the
 * -errno of eventfd(2) or epoll_create1(2) (-EMFILE, -ENFILE).
 * Thread: any.
 */
PX_API int px_reactor_create(const struct px_reactor_config *cfg,
			     struct px_reactor **out);

/*
 * px_reactor_start - spawn the reactor thread (all signals blocked), pin it
 * to its placement, create its io_uring there, and return once the ring is
 * up (or failed). Setup tries SINGLE_ISSUER|DEFER_TASKRUN first and falls
 * back on -EINVAL (see px_reactor_stats().setup_flags for what it got).
 * Returns 0; -EINVAL (R NULL, or sched_setaffinity refused the CPU set);
 * -EALREADY if started, stopped or embedded (run_once) before; -ENOSYS if
 * io_uring is disabled; -ENOMEM (including RLIMIT_MEMLOCK while
 * registering pre-registered buffers) or another -errno of io_uring_setup,
 * pthread_create or the registrations.
 * Thread: any except a reactor's own.
 */
PX_API int px_reactor_start(struct px_reactor *r);

/*
 * px_reactor_stop - stop the reactor: every op in flight is cancelled
 * (IORING_ASYNC_CANCEL_ANY), every callback fires exactly once (-ECANCELED,
 * or the op's real result if it completed first), tasks still queued or
 * posted run, then the ring is closed and the thread joined. While stopping,
 * px_io_* calls return -ESHUTDOWN, so a callback re-arming itself on
 * -ECANCELED gets an error instead of a new op. Later posts return -ESHUTDOWN.
 * Stop returns once the run queue is empty: a task that reschedules itself
 * forever keeps the reactor alive, so stop the elements first.
 * Started reactor: call from any thread except its own (-EDEADLK).
 * Embedded reactor: call from its owning thread only (-EPERM otherwise); the
 * cancel/reap runs inside this call.
 * Returns 0 (also when never started or already stopped), -EDEADLK, -EPERM,
 * -EINVAL (R NULL).
 * Tasks posted to a reactor that is never started never run.
 */
PX_API int px_reactor_stop(struct px_reactor *r);

/*
 * px_reactor_destroy - stop if needed (see px_reactor_stop) and free R.
 * Accepts NULL. Registered pools and buffers are released with the ring,
 * never freed; the caller keeps them.
 * Thread: the creator, never R's own thread (ignored there: it would free
 * the loop under itself); an embedded reactor must be destroyed on its
 * owning thread or the callbacks of its ops are lost.
 */
PX_API void px_reactor_destroy(struct px_reactor *r);

/*
 * px_reactor_run_once - drive an embedded reactor from the calling thread:
 * one loop turn (reap completions, run posted and scheduled tasks, submit).
 * The first call creates the io_uring on the calling thread, which owns the
 * reactor from then on. An embedded ring is SINGLE_ISSUER without
 * DEFER_TASKRUN: the caller sleeps outside the kernel (poll(2) here, or
 * its own epoll on px_reactor_fd()), and the kernel signals a deferring
 * ring's eventfd for such a sleeper milliseconds late (13.8 ms on 6.18).
 * @timeout_ms: how long to wait when there is nothing to do: 0 never blocks,
 *              -1 waits for work.
 * Returns the number of callbacks and tasks run (>= 0), -EINVAL (R NULL),
 * -EALREADY if the reactor was started with px_reactor_start() (or
 * stopped), -EPERM if another thread owns it, -ENOSYS, or the -errno of the
 * ring setup. Not from inside one of R's own callbacks or tasks.
 * Thread: the owning thread (any thread for the first call).
 */
PX_API int px_reactor_run_once(struct px_reactor *r, int timeout_ms);

/*
 * px_reactor_fd - an eventfd that becomes readable when an embedded reactor
 * has work (completions pending, a task posted, ops or tasks queued by the
 * owner outside run_once); put it in your epoll set (EPOLLIN) and call
 * px_reactor_run_once(r, 0) when it fires. run_once drains it, and signals
 * it again itself when it leaves work behind (task budget). Readiness may
 * be spurious, never missed; it is level-triggered (do not use EPOLLET),
 * and a busy embedder calling run_once back to back pays no syscall on it.
 * io_uring task work may interrupt the embedder's epoll_wait with EINTR:
 * retry. Meaningless for started reactors. Valid from create to destroy;
 * R keeps ownership (transfer none: do not close it).
 * Thread: any.
 */
PX_API int px_reactor_fd(const struct px_reactor *r);

/*
 * px_reactor_idle - true when px_reactor_run_once(R, 0) would find nothing
 * to do now: no completion in the ring, no task queued or posted, no op
 * waiting to be submitted. Reads memory only (no syscall) on io_uring; on
 * epoll, where readiness is only known to the kernel, one poll(2) of the
 * epoll fd while ops wait on fds. For embedders that spin: check it between
 * their own polls and skip run_once while it says idle. It does not drain
 * px_reactor_fd(): a loop driven by that fd calls run_once instead.
 * Thread: the owning thread.
 */
PX_API bool px_reactor_idle(const struct px_reactor *r);

/* True when the calling thread owns R (its ops may be submitted here).
 * Thread: any. */
PX_API bool px_reactor_on_thread(const struct px_reactor *r);

/* The reactor whose loop runs on the calling thread, or NULL. Thread: any. */
PX_API struct px_reactor *px_reactor_current(void);

/* NUMA node (OS number) R is placed on (-1: not placed). Thread: any.
 * Pass it to px_segment_config.numa_node, with numa_bind, to keep a pool
 * on R's node. */
PX_API int px_reactor_numa_node(const struct px_reactor *r);

/* R's index in its group or its pipeline (0 for a reactor made by
 * px_reactor_create alone). Thread: any. */
PX_API unsigned px_reactor_index(const struct px_reactor *r);

/* R's name (the thread name). Thread: any. Transfer none. */
PX_API const char *px_reactor_name(const struct px_reactor *r);

/*
 * px_reactor_cpuset - the CPU list R is (or would be) bound to, as hwloc
 * prints it ("0-1"), into BUF of LEN bytes; "" when unplaced.
 * Returns the length it needed (snprintf rule) or -EINVAL. Thread: any.
 */
PX_API int px_reactor_cpuset(const struct px_reactor *r, char *buf, size_t len);

/*
 * px_reactor_pinned - whether the thread was actually bound. False with
 * no_pin, no placement, or a topology that is not this system (e.g.
 * HWLOC_SYNTHETIC), in which case the placement is reported but not applied.
 * Thread: any, after px_reactor_start() returned.
 */
PX_API bool px_reactor_pinned(const struct px_reactor *r);

/* Counters, for tests and benchmarks. Where the epoll backend has no such
 * thing, its equivalent is named in brackets. */
struct px_reactor_stats {
	uint64_t submits;	/* io_uring_enter calls: one per loop turn at
				 * most, plus one per SQ-full flush and one per
				 * MSG_RING wakeup this reactor sends
				 * [epoll_wait calls] */
	uint64_t sqes;		/* SQEs submitted [ops started] */
	uint64_t cqes;		/* CQEs reaped [ops completed, each multishot
				 * callback counted] */
	uint64_t turns;		/* loop turns */
	uint64_t tasks;		/* tasks run */
	uint64_t sleeps;	/* turns that waited in the kernel */
	uint64_t spins;		/* spins before sleeping */
	uint64_t spin_hits;	/* spins that found work (and so did not sleep) */
	uint64_t fixed_ops;	/* READ_FIXED/WRITE_FIXED/fixed-buffer SEND_ZC
				 * [always 0] */
	uint64_t zc_sends;	/* SEND_ZC issued [always 0: plain sends] */
	uint64_t sq_flushes;	/* early submits because the SQ was full
				 * [always 0] */
	uint64_t wakeups_msg_ring; /* wakeups this reactor received by MSG_RING */
	uint64_t wakeups_eventfd;  /* wakeups this reactor received by eventfd */
	uint64_t posts;		/* tasks posted to this reactor from outside */
	uint64_t msg_errors;	/* MSG_RINGs this reactor sent that failed */
	uint64_t worker_ops;	/* [file reads, writes and fsyncs run on the
				 * worker pool]; 0 on io_uring */
	uint64_t sleep_ns;	/* time asleep in the kernel waiting for work
				 * (a thread reactor's; an embedded one sleeps
				 * in its owner's poll) */
	uint64_t spin_ns;	/* time busy-polling for work before sleeping */
	enum px_backend backend; /* the backend R runs on */
	unsigned setup_flags;	/* IORING_SETUP_* the ring got (0 before it
				 * exists, and on epoll) */
	bool single_issuer;	/* SINGLE_ISSUER in effect */
	bool defer_taskrun;	/* DEFER_TASKRUN in effect */
	bool registered_ring;	/* ring fd registered (IORING_ENTER_REGISTERED_RING) */
};

/*
 * px_reactor_stats - copy R's counters into ST. Values read from another
 * thread while R runs may lag by a few events. Thread: any.
 */
PX_API void px_reactor_stats(const struct px_reactor *r,
			     struct px_reactor_stats *st);

/* ------------------------------------------------------------------------ */
/* Tasks                                                                     */

struct px_task;
typedef void (*px_task_fn)(struct px_task *t);

/*
 * A unit of work run on a reactor thread, embedded in its owner (an element,
 * a link endpoint). A task belongs to one reactor at a time.
 */
struct px_task {
	/* public */
	px_task_fn fn;
	/* private */
	struct px_list node;			/* run queue */
	struct px_task *_Atomic post_next;	/* MPSC post list */
	atomic_uint posted;			/* 1 while on a post list */
};

/* Prepare T to run FN. Thread: any, before T is first scheduled or posted. */
PX_API void px_task_init(struct px_task *t, px_task_fn fn);

/*
 * px_reactor_schedule - queue T to run on R (later in this loop turn, or the
 * next one if the turn's budget is spent). Idempotent while T is queued: a
 * queued task runs once. No allocation, no atomics, no syscall.
 * Thread: R's owning thread only. T is borrowed until fn runs.
 */
PX_API void px_reactor_schedule(struct px_reactor *r, struct px_task *t);

/*
 * px_reactor_post - run T's fn on R's thread, from any thread. Lock-free.
 * If R may be sleeping (and only then: see the protocol in reactor_post.c),
 * wakes it: by IORING_OP_MSG_RING on the caller's own ring when the caller
 * runs on a reactor (submitted at once, so the target's ring fd is pinned
 * by the kernel before R could close it), otherwise by writing R's eventfd.
 * Posting a task that is already posted and not yet run is a no-op (fn
 * runs once, after the post).
 * On R's own thread this is px_reactor_schedule().
 * Returns 0, or -ESHUTDOWN once R has stopped (T is then not queued).
 * Thread: any. T is borrowed until fn runs.
 */
PX_API int px_reactor_post(struct px_reactor *r, struct px_task *t);

/* ------------------------------------------------------------------------ */
/* Ops                                                                       */

struct px_op;

/*
 * Completion callback: RES is the io_uring result (bytes, fd, 0) or a
 * -errno; FLAGS carries PX_OP_MORE while a multishot op will fire again.
 */
typedef void (*px_op_fn)(struct px_op *op, int res, uint32_t flags);

#define PX_OP_MORE (1u << 0) /* multishot: more callbacks will follow */

/*
 * A count of the ops in flight that belong to one owner (an element: see
 * px_element_op_init), kept by the reactor so the owner need not: once the
 * group is closing, IDLE runs after the final callback that left it
 * without ops in flight. Zero it before use. Thread: the reactor's.
 */
struct px_op_group {
	unsigned inflight;
	bool closing;
	void (*idle)(struct px_op_group *g);
};

/*
 * One I/O operation, embedded in its owner (find the owner with
 * px_container_of). Zero it (or px_op_init) before first use; after its
 * final callback it may be reused, also from inside that callback.
 */
struct px_op {
	/* public */
	px_op_fn cb;
	struct px_op_group *group; /* NULL, or counted there (px_op_init_group) */
	/* private: the request as the backend carries it out */
	struct px_reactor *reactor;
	uint16_t state;		/* PX__OP_* */
	uint8_t kind;		/* internal ops only */
	uint8_t code;		/* which px_io_* call */
	int32_t res;		/* SEND_ZC: the send's result until its notif */
	int32_t fd;
	uint32_t len;		/* bytes; poll events; connect's addrlen */
	int32_t flags;		/* MSG_* or accept4 flags; fsync: datasync */
	uint32_t aux;		/* backend scratch */
	void *buf;		/* buffer, msghdr or sockaddr */
	void *arg;		/* accept: the socklen_t * */
	uint64_t off;		/* file offset; timeout: nanoseconds */
	int64_t ts_sec;		/* timeout: read by the kernel at submit */
	int64_t ts_nsec;
	struct px_list link;	/* epoll backend: the list the op waits on */
};

#define PX__OP_INFLIGHT (1u << 0)

/* Make OP idle (never while it is in flight). Thread: any. */
PX_INLINE void px_op_init(struct px_op *op)
{
	*op = (struct px_op){ 0 };
}

/* px_op_init, and count OP in G while it is in flight. Thread: any. */
PX_INLINE void px_op_init_group(struct px_op *op, struct px_op_group *g)
{
	*op = (struct px_op){ .group = g };
}

/* True while OP is submitted and its final callback has not fired.
 * Thread: the owning thread of the reactor OP was submitted to. */
PX_INLINE bool px_op_busy(const struct px_op *op)
{
	return op->state & PX__OP_INFLIGHT;
}

/*
 * Common rules of every px_io_* call:
 * - Thread: R's owning thread only (-EPERM otherwise, or before the ring
 *   exists).
 * - The SQE goes out with the loop turn's single submit (an early submit
 *   happens only when the SQ is full); the callback fires from a later
 *   completion batch, exactly once (multishot: once per completion, the
 *   last one without PX_OP_MORE), never from inside the call.
 * - No allocation and no lock; no syscall either, except the SQ-full flush
 *   and, on an embedded reactor used outside run_once, one eventfd write
 *   per run_once (so its fd fires).
 * - If the call returns an error the callback never fires.
 * - OP, and every buffer, msghdr and sockaddr passed, are borrowed until the
 *   final callback.
 * - Errors: -EINVAL (NULL op/cb), -EBUSY (OP already in flight, or the SQ
 *   stayed full after a flush), -EPERM (wrong thread), -ESHUTDOWN (R is
 *   stopping), -EOPNOTSUPP (the kernel lacks the op).
 * - An fd argument may be PX_FIXED_FD(index) for a px_reactor_register_fd()
 *   slot.
 */
#define PX_FD_FIXED_BIT 0x40000000
#define PX_FIXED_FD(index) ((int)((index) | PX_FD_FIXED_BIT))

/* No-op: the callback gets 0. The round trip the benchmarks measure. */
PX_API int px_io_nop(struct px_reactor *r, struct px_op *op, px_op_fn cb);

/*
 * Read LEN bytes at OFF ((uint64_t)-1: the file position) into BUF; the
 * callback gets the byte count or -errno. Uses READ_FIXED when
 * [BUF, BUF+LEN) lies inside a buffer registered with R (a pool or
 * px_reactor_register_buffer), plain READ otherwise.
 */
PX_API int px_io_read(struct px_reactor *r, struct px_op *op, int fd,
		      void *buf, uint32_t len, uint64_t off, px_op_fn cb);

/* Write; like px_io_read (WRITE_FIXED inside a registered buffer). */
PX_API int px_io_write(struct px_reactor *r, struct px_op *op, int fd,
		       const void *buf, uint32_t len, uint64_t off, px_op_fn cb);

/* recv(2) with MSG_* FLAGS; the callback gets bytes (0 at EOF) or -errno. */
PX_API int px_io_recv(struct px_reactor *r, struct px_op *op, int fd,
		      void *buf, uint32_t len, int flags, px_op_fn cb);

/* send(2) with MSG_* FLAGS (add MSG_NOSIGNAL for sockets you do not trust). */
PX_API int px_io_send(struct px_reactor *r, struct px_op *op, int fd,
		      const void *buf, uint32_t len, int flags, px_op_fn cb);

/*
 * Zero-copy send (IORING_OP_SEND_ZC; fixed-buffer when BUF is registered).
 * The callback fires once, after the kernel's notification that BUF is no
 * longer used, with the send's byte count or -errno: release the slot there.
 * -EOPNOTSUPP without PX_FEAT_SEND_ZC. On the epoll backend a plain send
 * (the data is copied; the callback still fires once BUF may be reused).
 */
PX_API int px_io_send_zc(struct px_reactor *r, struct px_op *op, int fd,
			 const void *buf, uint32_t len, int flags, px_op_fn cb);

/*
 * px_io_send_zc when LEN >= R's zc_threshold (and the kernel has SEND_ZC),
 * px_io_send otherwise. Either way the callback fires once, when BUF may be
 * reused.
 */
PX_API int px_io_send_auto(struct px_reactor *r, struct px_op *op, int fd,
			   const void *buf, uint32_t len, int flags,
			   px_op_fn cb);

/* sendmsg(2); MSG may carry SCM_RIGHTS control data (fd passing). */
PX_API int px_io_sendmsg(struct px_reactor *r, struct px_op *op, int fd,
			 const struct msghdr *msg, int flags, px_op_fn cb);

/*
 * Zero-copy sendmsg (IORING_OP_SENDMSG_ZC): the iovecs' pages are sent
 * without a copy, as px_io_send_zc; the callback fires once, after the
 * kernel's notification that no iovec's memory is used any more, with the
 * byte count or -errno. No control data. -EOPNOTSUPP without
 * PX_FEAT_SENDMSG_ZC; on the epoll backend a plain sendmsg (copied).
 */
PX_API int px_io_sendmsg_zc(struct px_reactor *r, struct px_op *op, int fd,
			    const struct msghdr *msg, int flags, px_op_fn cb);

/*
 * recvmsg(2); received SCM_RIGHTS fds belong to the caller (add
 * MSG_CMSG_CLOEXEC to FLAGS to get them close-on-exec).
 */
PX_API int px_io_recvmsg(struct px_reactor *r, struct px_op *op, int fd,
			 struct msghdr *msg, int flags, px_op_fn cb);

/*
 * px_io_recvmsg that waits until FD is readable before its first attempt
 * (io_uring: IORING_RECVSEND_POLL_FIRST, PX_FEAT_RECV_POLL_FIRST, else a
 * plain px_io_recvmsg; epoll: EPOLLIN first). For TCP, readable means
 * that the socket's SO_RCVLOWAT bytes are queued: with the mark at the
 * bytes a large read still lacks, that read is one wakeup and one copy,
 * not one per arriving segment, and the sender's kernel wakes the
 * receiver that much less (netsrc: docs/net.md). Use it without
 * MSG_WAITALL, and with the mark never above the bytes the peer still
 * owes this read: a short result (memory pressure, a closing window) must
 * be followed by a mark it can meet, or the read waits for bytes that
 * never come. Returns, calls back and runs on R's thread as
 * px_io_recvmsg.
 */
PX_API int px_io_recvmsg_poll_first(struct px_reactor *r, struct px_op *op,
				    int fd, struct msghdr *msg, int flags,
				    px_op_fn cb);

/*
 * accept4(2) on listening socket FD; FLAGS as accept4 (SOCK_CLOEXEC...).
 * ADDR/ADDRLEN may be NULL. MULTISHOT: one callback per connection with
 * PX_OP_MORE; the last (without PX_OP_MORE) ends it and may itself carry an
 * fd (>= 0) or -errno (-ECANCELED after px_io_cancel). Every fd in a
 * callback belongs to the callee. -EOPNOTSUPP for multishot without
 * PX_FEAT_ACCEPT_MULTISHOT (io_uring; epoll accepts in a loop on
 * readiness and always supports it).
 */
PX_API int px_io_accept(struct px_reactor *r, struct px_op *op, int fd,
			struct sockaddr *addr, socklen_t *addrlen, int flags,
			bool multishot, px_op_fn cb);

/* connect(2) on FD; the callback gets 0 or -errno. */
PX_API int px_io_connect(struct px_reactor *r, struct px_op *op, int fd,
			 const struct sockaddr *addr, socklen_t addrlen,
			 px_op_fn cb);

/* A timer NS nanoseconds from submission (CLOCK_MONOTONIC): the callback
 * gets 0 when it expires, -ECANCELED when cancelled. */
PX_API int px_io_timeout(struct px_reactor *r, struct px_op *op, uint64_t ns,
			 px_op_fn cb);

/* fsync(2) (DATASYNC: fdatasync); the callback gets 0 or -errno. */
PX_API int px_io_fsync(struct px_reactor *r, struct px_op *op, int fd,
		       bool datasync, px_op_fn cb);

/* One-shot poll for EVENTS (POLLIN...); the callback gets the revents. */
PX_API int px_io_poll(struct px_reactor *r, struct px_op *op, int fd,
		      uint32_t events, px_op_fn cb);

/*
 * px_io_cancel - ask the kernel to cancel OP. OP's callback then fires once,
 * with -ECANCELED, or with its real result when it completed first (or
 * cannot be interrupted). The cancel request's own completion fires nothing.
 * Returns 0, -ENOENT (OP not in flight), -EALREADY (cancel already asked, or
 * a SEND_ZC waiting only for its notification), -EBUSY, -EPERM.
 * Thread: R's owning thread.
 */
PX_API int px_io_cancel(struct px_reactor *r, struct px_op *op);

/* ------------------------------------------------------------------------ */
/* Registered resources                                                      */

/*
 * px_reactor_register_buffer - register [BASE, BASE+LEN) as a fixed buffer:
 * px_io_read/write/send_zc inside it then use the fixed-buffer opcodes.
 * Before start (or the first run_once) it is recorded and registered when
 * the ring comes up. Memory stays the caller's and must outlive the
 * registration (transfer none). On the epoll backend the range is only
 * recorded: nothing is pinned and RLIMIT_MEMLOCK does not apply.
 * Returns the slot index (>= 0), -EINVAL (NULL/empty, or len > 1 GiB),
 * -ENOSPC (table full: max_buffers), -ENOMEM (RLIMIT_MEMLOCK), -EPERM
 * (wrong thread), or another -errno of IORING_REGISTER_BUFFERS_UPDATE
 * (-EFAULT for memory the kernel cannot pin, e.g. file-backed shared maps
 * on older kernels). Before the ring exists errors of the kernel surface
 * from px_reactor_start() / the first run_once instead.
 * Thread: the creator before start; R's owning thread after.
 */
PX_API int px_reactor_register_buffer(struct px_reactor *r, void *base,
				      size_t len);

/* Drop buffer slot INDEX. Returns 0, -ENOENT, -EPERM. Thread: as above.
 * Ops in flight on it finish normally (the kernel holds its own reference). */
PX_API int px_reactor_unregister_buffer(struct px_reactor *r, int index);

/*
 * px_reactor_register_pool - register POOL's slot area as fixed buffers:
 * one table slot serves every pool slot (one per GiB, px_pool_iovecs, for
 * pools above the kernel's 1 GiB per-buffer limit).
 * Returns the first table index (>= 0), -EEXIST (already registered),
 * -ENOMEM (px_pool_memlock_check: over RLIMIT_MEMLOCK; see
 * px_pool_memlock_describe), -E2BIG (more than 8 GiB), or the errors of
 * px_reactor_register_buffer. POOL is borrowed until unregistered.
 * Thread: as px_reactor_register_buffer.
 */
PX_API int px_reactor_register_pool(struct px_reactor *r, struct px_pool *pool);

/* Unregister POOL. Returns 0, -ENOENT, -EPERM. Thread: as above. */
PX_API int px_reactor_unregister_pool(struct px_reactor *r,
				      struct px_pool *pool);

/*
 * px_reactor_register_fd - install FD in R's fixed-file table; pass
 * PX_FIXED_FD(index) to ops afterwards. R holds its own reference (the
 * kernel's on io_uring, a dup(2) on epoll), so the caller may close FD. Returns the index (>= 0),
 * -ENOSPC, -EBADF, -EPERM (wrong thread or no ring yet).
 * Thread: R's owning thread, once the ring exists.
 */
PX_API int px_reactor_register_fd(struct px_reactor *r, int fd);

/* Remove fixed file INDEX. Returns 0, -ENOENT, -EPERM. Thread: as above. */
PX_API int px_reactor_unregister_fd(struct px_reactor *r, int index);

/* ------------------------------------------------------------------------ */
/* Topology and groups                                                       */

/*
 * px_topology_numa_nodes - NUMA nodes in the topology hwloc reports (>= 1),
 * HWLOC_SYNTHETIC honoured, or -ENOMEM / -EIO if hwloc failed.
 * The topology is loaded once and cached; see px_topology_reload().
 * Thread: any.
 */
PX_API int px_topology_numa_nodes(void);

/*
 * px_topology_reload - drop the cached topology so the next use reloads it
 * (after changing HWLOC_SYNTHETIC, in tests). Reactors already created keep
 * their placement. Returns 0, -ENOMEM, -EIO. Thread: any.
 */
PX_API int px_topology_reload(void);

/*
 * px_reactor_group_create - create and start PER_NODE reactors (0: 1) on
 * every NUMA node, indexed node-major: index i is on the (i / per_node)-th
 * node in topology order (its OS number is px_reactor_numa_node()).
 * @tmpl: configuration for every member (numa_node and cpu are overridden;
 *        name NULL gives "px-r<index>"); NULL: PX_REACTOR_CONFIG_DEFAULT.
 * @out: the new group (transfer full: px_reactor_group_destroy()).
 * Returns 0 or the first error of px_reactor_create/start (nothing leaks).
 * Thread: any except a reactor thread.
 */
PX_API int px_reactor_group_create(const struct px_reactor_config *tmpl,
				   unsigned per_node,
				   struct px_reactor_group **out);

/* Members in G. Thread: any. */
PX_API unsigned px_reactor_group_count(const struct px_reactor_group *g);

/* Member I (transfer none), or NULL when I >= count. Thread: any. */
PX_API struct px_reactor *px_reactor_group_get(const struct px_reactor_group *g,
					       unsigned i);

/* The first member placed on NODE (OS number), or NULL. Thread: any. */
PX_API struct px_reactor *
px_reactor_group_on_node(const struct px_reactor_group *g, int node);

/* Stop every member (each as px_reactor_stop), then destroy them and G.
 * Accepts NULL. Thread: any except a member's. */
PX_API void px_reactor_group_destroy(struct px_reactor_group *g);

PX_EXTERN_C_END

#endif /* PX_REACTOR_H */
