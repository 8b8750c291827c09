/* SPDX-License-Identifier: MIT */
/*
 * reactor_int.h - the reactor's layout and the functions its files share
 * (reactor.c loop, reactor_ops.c op API, reactor_reg.c registrations,
 * reactor_topology.c placement). Internal; never installed.
 */
#ifndef PX_REACTOR_INT_H
#define PX_REACTOR_INT_H

#include <hwloc.h>
#include <pthread.h>
#include <stdalign.h>
#include <stdatomic.h>

#include "px_reactor.h"

/* Private op state bits (px_op.state); PX__OP_INFLIGHT is in the header. */
#define PX__OP_CANCEL (1u << 1)	  /* cancellation asked */
#define PX__OP_ZC (1u << 2)	  /* SEND(MSG)_ZC: fire after the notification */
#define PX__OP_ZC_WAIT (1u << 3)  /* SEND_ZC: result in, notif pending */
#define PX__OP_MULTI (1u << 4)	  /* multishot */
#define PX__OP_TIMEOUT (1u << 5)  /* -ETIME means "expired": report 0 */
#define PX__OP_POLL_FIRST (1u << 6) /* recv: wait for readiness, then try */

/* Internal op kinds (px_op.kind); set once at create, read-only after. */
enum px__op_kind {
	PX__OPK_USER = 0,
	PX__OPK_WAKE_READ,	/* the armed read on the wake eventfd */
	PX__OPK_MSG_TARGET,	/* MSG_RING data CQE arriving here */
	PX__OPK_MSG_SOURCE,	/* a MSG_RING we sent failed (CQE_SKIP_SUCCESS) */
	PX__OPK_SINK,		/* cancel SQEs: nothing to fire */
};

/* Which px_io_* call an op carries (px_op.code). */
enum px__io_code {
	PX__IO_NOP = 0,
	PX__IO_READ,
	PX__IO_WRITE,
	PX__IO_RECV,
	PX__IO_SEND,
	PX__IO_SEND_ZC,
	PX__IO_SENDMSG,
	PX__IO_SENDMSG_ZC,
	PX__IO_RECVMSG,
	PX__IO_ACCEPT,
	PX__IO_CONNECT,
	PX__IO_TIMEOUT,
	PX__IO_FSYNC,
	PX__IO_POLL,
};

/* The tag on a closed post list: posts after the final drain fail. */
#define PX__POST_CLOSED ((struct px_task *)(uintptr_t)1)

enum px__mode { PX__MODE_NEW, PX__MODE_THREAD, PX__MODE_EMBEDDED };

struct px__fixed_buf {
	void *base;		/* NULL: slot free */
	size_t len;
	struct px_pool *pool;	/* when registered through a pool */
};

/* Counters written only by the owning thread (relaxed load+store, no RMW). */
struct px__reactor_counters {
	_Atomic uint64_t submits, sqes, cqes, turns, tasks, sleeps, spins,
		spin_hits, fixed_ops, zc_sends, sq_flushes, msg_errors,
		worker_ops, sleep_ns, spin_ns;
};

/*
 * The fixed function set of a backend (reactor_uring.c, reactor_epoll.c).
 * The loop (reactor.c), the op API (reactor_ops.c), posts, embedding and
 * registrations call only these; every backend-specific syscall lives
 * behind them. "Owner" means R's owning thread.
 */
struct px__backend {
	enum px_backend id;
	/* At px_reactor_create / destroy (any thread): private state in r->be_state. */
	int (*create)(struct px_reactor *r);
	void (*destroy)(struct px_reactor *r);
	/* On the owner: bring the kernel side up (embedded: for run_once) / down. */
	int (*setup)(struct px_reactor *r, bool embedded);
	void (*teardown)(struct px_reactor *r);
	/* Owner: start OP (fields filled, state INFLIGHT set); 0 or -errno. */
	int (*submit)(struct px_reactor *r, struct px_op *op);
	/* Owner: ask OP (in flight on R, not yet cancelled) to stop. */
	int (*cancel)(struct px_reactor *r, struct px_op *op);
	/* Owner: cancel everything in flight; false: retry next turn. */
	bool (*cancel_all)(struct px_reactor *r);
	/* Owner: hand queued work to the kernel, collect, maybe block. */
	void (*enter)(struct px_reactor *r, bool wait);
	/* Owner: fire the callbacks of finished ops; how many. */
	unsigned (*reap)(struct px_reactor *r);
	/* Owner: completions to reap, or the kernel has some to hand over. */
	bool (*events_pending)(const struct px_reactor *r);
	/* Owner: requests queued that the kernel has not seen yet. */
	bool (*queued)(const struct px_reactor *r);
	/* Owner: work may be waiting that only a kernel entry can reveal
	 * (px_reactor_idle must then say "not idle"). */
	bool (*hidden)(const struct px_reactor *r);
	/* CUR's owner: wake R (same backend) from CUR's loop; false: use efd. */
	bool (*wake_from)(struct px_reactor *cur, struct px_reactor *r);
	/* Embedded owner: block up to TIMEOUT_MS until there is work. */
	void (*embed_wait)(struct px_reactor *r, int timeout_ms);
	/* Embedded owner: inside run_once (true) or back to the embedder. */
	void (*embed_active)(struct px_reactor *r, bool active);
	/* The fd an embedder polls; valid from create to destroy. */
	int (*poll_fd)(const struct px_reactor *r);
	/* Owner, kernel side up: fixed buffer slot I now BASE/LEN (NULL: free). */
	int (*buffer_set)(struct px_reactor *r, unsigned i, void *base,
			  size_t len);
	/* Owner: fixed-file slot I takes FD (-1: free it); *KEEP receives the
	 * fd to remember in r->files[i]. 0 or -errno. */
	int (*file_set)(struct px_reactor *r, unsigned i, int fd, int *keep);
	/* Any thread: backend-specific fields of px_reactor_stats. */
	void (*stats)(const struct px_reactor *r, struct px_reactor_stats *st);
};

extern const struct px__backend px__backend_uring;
extern const struct px__backend px__backend_epoll;

struct px_reactor {
	/* Owner-thread state: the loop's hot fields. */
	alignas(PX_CACHE_LINE) const struct px__backend *be;
	void *be_state;		/* the backend's own, from create to destroy */
	struct px_list runq;
	unsigned inflight;	/* requests whose final completion is to come */
	unsigned task_budget;
	unsigned nbufs_hi;	/* fixed buffers: slots in use are < this */
	uint32_t zc_threshold;
	uint32_t spin_ns;	/* configured maximum */
	uint32_t spin_cur;	/* adaptive, in [spin_ns / 32, spin_ns] */
	uint64_t spun_until;	/* when the last missed spin gave up, or 0 */
	unsigned spin_misses;	/* misses since the last hit */
	bool ring_up;		/* the backend's kernel side is set up */
	bool stopping;		/* no new ops */
	bool cancel_needed;	/* stopping, the cancel-all not yet queued */
	bool post_closed;
	bool efd_hot;		/* embedded: we wrote efd and have not drained it */
	struct px__fixed_buf *bufs;
	unsigned max_bufs;
	int *files;		/* fixed-file table: fd installed or -1 */
	unsigned max_files;
	struct px_task stop_task;
	struct px__reactor_counters c;

	/* Shared with posting threads. */
	alignas(PX_CACHE_LINE) struct px_task *_Atomic post_head;
	atomic_int sleeping;	/* 1: may block in the kernel, needs a wakeup */
	/* When the poster that woke us posted (px__now_ns), or 0: how long
	 * after a missed spin the work really came, whatever the wakeup
	 * itself took (px__reactor_spin_adapt). */
	_Atomic uint64_t woken_at;
	_Atomic uint64_t posts;
	_Atomic uint64_t sent_msg_ring, sent_eventfd; /* wakeups sent to us */

	/* Control plane. */
	alignas(PX_CACHE_LINE) pthread_mutex_t lock;
	pthread_cond_t cond;
	pthread_t thread;
	_Atomic(const char *) owner; /* the owner's TLS token, or NULL */
	enum px__mode mode;
	bool start_done;
	bool stopped;
	bool pinned;
	int start_err;
	int efd;
	int numa_node;
	int cpu;
	unsigned index;
	bool no_pin, no_defer, no_msg_ring;
	unsigned sq_entries;
	hwloc_bitmap_t cpuset;	/* placement; NULL when unplaced */
	char name[16];
};

/*
 * Thread-locals of the reactor. initial-exec: one %fs-relative load, where
 * the default model for a shared library calls __tls_get_addr on every
 * access (twice per op submitted: owner check and kick). Costs a few bytes
 * of the static TLS block that glibc keeps spare for a library loaded
 * with dlopen().
 */
#define PX__TLS __thread __attribute__((tls_model("initial-exec")))

/* reactor.c */
extern PX__TLS struct px_reactor *px__reactor_tls_current;
void px__eventfd_signal(int efd);
void px__reactor_efd_drain(struct px_reactor *r);
uint64_t px__now_ns(void); /* bus.c: CLOCK_MONOTONIC in ns */
void px__reactor_enter(struct px_reactor *r, bool wait);
unsigned px__reactor_process(struct px_reactor *r);
bool px__reactor_work_pending(const struct px_reactor *r);
/* After the sleep that followed a missed spin, woken at NOW: the next
 * spin's length (reactor.c has the rule). */
void px__reactor_spin_adapt(struct px_reactor *r, uint64_t now);
bool px__reactor_should_wait(const struct px_reactor *r);
int px__reactor_ring_setup(struct px_reactor *r, bool embedded);

/* probe.c: NULL when io_uring can run the reactor, else why not. */
const char *px__probe_uring_unusable(void);

/* reactor_backend.c */
const struct px__backend *px__backend_for(enum px_backend want, int *err);

/* reactor_post.c */
void px__reactor_schedule_posted(struct px_reactor *r, struct px_task *list);
void px__reactor_drain_posts(struct px_reactor *r);
unsigned px__reactor_run_tasks(struct px_reactor *r);

/* reactor_ops.c */
void px__op_complete(struct px_reactor *r, struct px_op *op, int res,
		     uint32_t flags);

/* reactor_reg.c */
int px__reactor_reg_setup(struct px_reactor *r);
bool px__reactor_reg_allowed(const struct px_reactor *r);
int px__reactor_reg_alloc(struct px_reactor *r);
void px__reactor_reg_free(struct px_reactor *r);
int px__reactor_fixed_index(const struct px_reactor *r, const void *buf,
			    uint32_t len);
int px__reactor_buffer_add(struct px_reactor *r, void *base, size_t len,
			   struct px_pool *pool);
int px__reactor_buffer_find_pool(const struct px_reactor *r,
				 const struct px_pool *pool);

/* reactor_topology.c */
int px__topology_place(struct px_reactor *r, int numa_node, int cpu);
int px__topology_bind(struct px_reactor *r);
void px__topology_unplace(struct px_reactor *r);
void px__reactor_set_index(struct px_reactor *r, unsigned index);

/* Single-writer counter bump: only the owner writes, readers load relaxed. */
#define PX__COUNT(r, field, n)                                               \
	atomic_store_explicit(&(r)->c.field,                                 \
			      atomic_load_explicit(&(r)->c.field,            \
						   memory_order_relaxed) + (n), \
			      memory_order_relaxed)

/* The calling thread's token: its address identifies the thread. */
extern PX__TLS char px__reactor_tls_token;

PX_INLINE bool px__reactor_owned(const struct px_reactor *r)
{
	/* Relaxed: a thread only ever sees its own token if it stored it. */
	return atomic_load_explicit(&r->owner, memory_order_relaxed) ==
	       &px__reactor_tls_token;
}

/*
 * Work queued on an embedded reactor by its owner outside run_once (ops,
 * schedule) would wait for a run_once the embedder has no reason to make:
 * make its fd readable, unless we know it already is (efd_hot). Started
 * reactors always have px__reactor_tls_current == r on their thread, so
 * there this is one compare.
 */
PX_INLINE void px__reactor_kick(struct px_reactor *r)
{
	if (px_unlikely(px__reactor_tls_current != r) && !r->efd_hot) {
		r->efd_hot = true;
		px__eventfd_signal(r->efd);
	}
}

#endif /* PX_REACTOR_INT_H */
