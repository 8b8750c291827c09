/* SPDX-License-Identifier: MIT */
/*
 * reactor_epoll_int.h - the epoll backend's state, shared by its loop and
 * op file (reactor_epoll.c) and its worker pool (reactor_epoll_worker.c).
 * Internal; never installed.
 */
#ifndef PX_REACTOR_EPOLL_INT_H
#define PX_REACTOR_EPOLL_INT_H

#include <sys/epoll.h>

#include "reactor_int.h"

/* Worker threads per reactor for file I/O, started as jobs need them. */
#define PX__EPOLL_WORKERS 4
/* Readiness events collected per epoll_wait. */
#define PX__EPOLL_EVENTS 64

/* Ops waiting on one fd, by direction. Kept in chunks of FDW_CHUNK,
 * indexed by fd number, so that a list head never moves. */
#define PX__FDW_CHUNK 256
struct px__fdw {
	struct px_list rd;	/* EPOLLIN: recv, read, accept, poll(IN) */
	struct px_list wr;	/* EPOLLOUT: send, write, connect, poll(OUT) */
	bool added;		/* we put the fd in the epoll set once */
};

/* px_op.aux bits while an op is on the epoll backend. */
#define PX__EP_WAITING (1u << 0)  /* on an fdw list */
#define PX__EP_TIMER (1u << 1)	  /* on the timer list */
#define PX__EP_WORKER (1u << 2)	  /* handed to the worker pool, not yet
				   * collected (workers never write aux) */
#define PX__EP_BLOCKING (1u << 4) /* the fd blocks: one syscall per edge */

struct px__epoll {
	int epfd;
	struct px__fdw **fdw;	/* chunk pointers */
	unsigned nchunks;
	unsigned nwaiting;	/* ops on fdw lists */
	struct px_list ready;	/* results known (op->res): fire at reap */
	struct px_list timers;	/* timeouts, soonest first (op->off: deadline) */
	int nevents;		/* collected by the last epoll_wait */
	int next_event;		/* the first not yet handled */
	bool embedded;
	int tfd;		/* embedded: a timerfd at the soonest deadline,
				 * so that the embedder's poll sees timers */
	uint64_t tfd_at;	/* the deadline it is armed for, 0: none */
	struct epoll_event events[PX__EPOLL_EVENTS];

	/* The worker pool; everything below under wlock. */
	pthread_mutex_t wlock;
	pthread_cond_t wcond;
	struct px_list wq;	/* jobs not yet taken */
	struct px_list wdone;	/* jobs finished, results in op->res */
	unsigned nworkers, idle;
	bool wstop;
	pthread_t workers[PX__EPOLL_WORKERS];
	atomic_bool wdone_any;	/* hint for the loop: wdone not empty */
	struct px_reactor *r;
};

/* reactor_epoll_worker.c */
int px__epoll_worker_init(struct px__epoll *e);
void px__epoll_worker_fini(struct px__epoll *e);
int px__epoll_worker_queue(struct px__epoll *e, struct px_op *op);
bool px__epoll_worker_cancel(struct px__epoll *e, struct px_op *op);
void px__epoll_worker_cancel_all(struct px__epoll *e);
void px__epoll_worker_collect(struct px__epoll *e);
int px__epoll_file_io(struct px_op *op);

#endif /* PX_REACTOR_EPOLL_INT_H */
