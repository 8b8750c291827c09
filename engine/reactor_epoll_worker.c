// SPDX-License-Identifier: MIT
/*
 * reactor_epoll_worker.c - the epoll backend's file I/O: regular files and
 * other fds that epoll cannot watch never say "would block", so their
 * reads, writes and fsyncs run on a few worker threads per reactor
 * (libuv's answer), and their results come back through the reactor's
 * wake eventfd.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <sys/uio.h>
#include <unistd.h>

#include "reactor_epoll_int.h"

/* The blocking syscall of a read, write or fsync op; -errno on failure. */
int px__epoll_file_io(struct px_op *op)
{
	ssize_t n;

	switch (op->code) {
	case PX__IO_FSYNC:
		n = op->flags ? fdatasync(op->fd) : fsync(op->fd);
		break;
	case PX__IO_READ:
		n = op->off == (uint64_t)-1 ? read(op->fd, op->buf, op->len)
					    : pread(op->fd, op->buf, op->len,
						    (off_t)op->off);
		break;
	default: /* PX__IO_WRITE */
		n = op->off == (uint64_t)-1 ? write(op->fd, op->buf, op->len)
					    : pwrite(op->fd, op->buf, op->len,
						     (off_t)op->off);
		break;
	}
	if (n < 0 && errno == ESPIPE && op->code != PX__IO_FSYNC) {
		/* A stream given an offset: io_uring ignores it; so do we. */
		n = op->code == PX__IO_READ ? read(op->fd, op->buf, op->len)
					    : write(op->fd, op->buf, op->len);
	}
	return n < 0 ? -errno : (int)n;
}

static void *worker_main(void *arg)
{
	struct px__epoll *e = arg;
	struct px_list *node;
	struct px_op *op;
	bool signal_loop;

	pthread_mutex_lock(&e->wlock);
	for (;;) {
		while (!e->wstop && px_list_empty(&e->wq)) {
			e->idle++;
			pthread_cond_wait(&e->wcond, &e->wlock);
			e->idle--;
		}
		if (e->wstop)
			break;
		/* Off the queue: a cancel can no longer take it. */
		node = px_list_first(&e->wq);
		px_list_del(node);
		op = px_list_entry(node, struct px_op, link);
		pthread_mutex_unlock(&e->wlock);

		op->res = px__epoll_file_io(op);

		pthread_mutex_lock(&e->wlock);
		signal_loop = px_list_empty(&e->wdone);
		px_list_add_tail(&e->wdone, &op->link);
		atomic_store_explicit(&e->wdone_any, true, memory_order_release);
		/* The reactor takes the whole list at once: one wakeup per batch. */
		if (signal_loop)
			px__eventfd_signal(e->r->efd);
	}
	pthread_mutex_unlock(&e->wlock);
	return NULL;
}

int px__epoll_worker_init(struct px__epoll *e)
{
	px_list_init(&e->wq);
	px_list_init(&e->wdone);
	atomic_init(&e->wdone_any, false);
	if (pthread_mutex_init(&e->wlock, NULL))
		return -ENOMEM;
	if (pthread_cond_init(&e->wcond, NULL)) {
		pthread_mutex_destroy(&e->wlock);
		return -ENOMEM;
	}
	return 0;
}

/* Join the workers; every job has finished (the loop waited for them). */
void px__epoll_worker_fini(struct px__epoll *e)
{
	pthread_mutex_lock(&e->wlock);
	e->wstop = true;
	pthread_cond_broadcast(&e->wcond);
	pthread_mutex_unlock(&e->wlock);
	for (unsigned i = 0; i < e->nworkers; i++)
		pthread_join(e->workers[i], NULL);
	e->nworkers = 0;
	e->wstop = false;
	pthread_cond_destroy(&e->wcond);
	pthread_mutex_destroy(&e->wlock);
}

/* A worker more, when every one is busy and there is room. Under wlock. */
static void worker_grow(struct px__epoll *e)
{
	sigset_t all, old;
	char name[16];

	if (e->idle || e->nworkers == PX__EPOLL_WORKERS)
		return;
	/* Workers take no signals, like the reactor thread. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	if (pthread_create(&e->workers[e->nworkers], NULL, worker_main, e) == 0) {
		snprintf(name, sizeof(name), "%.11s-io", e->r->name);
		pthread_setname_np(e->workers[e->nworkers], name);
		e->nworkers++;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

int px__epoll_worker_queue(struct px__epoll *e, struct px_op *op)
{
	int ret = 0;

	pthread_mutex_lock(&e->wlock);
	worker_grow(e);
	if (e->nworkers == 0) {
		ret = -EAGAIN; /* pthread_create failed: no thread to run it */
	} else {
		op->aux |= PX__EP_WORKER;
		px_list_add_tail(&e->wq, &op->link);
		pthread_cond_signal(&e->wcond);
	}
	pthread_mutex_unlock(&e->wlock);
	if (ret == 0)
		PX__COUNT(e->r, worker_ops, 1);
	return ret;
}

/* Take OP off the queue if no worker started it; true when taken. */
bool px__epoll_worker_cancel(struct px__epoll *e, struct px_op *op)
{
	struct px_list *pos;
	bool taken = false;

	pthread_mutex_lock(&e->wlock);
	px_list_for_each(pos, &e->wq) {
		if (pos == &op->link) {
			px_list_del(pos);
			taken = true;
			break;
		}
	}
	pthread_mutex_unlock(&e->wlock);
	if (taken)
		op->aux &= ~PX__EP_WORKER;
	return taken;
}

/* Every job not yet started finishes as -ECANCELED. */
void px__epoll_worker_cancel_all(struct px__epoll *e)
{
	struct px_list *node;
	struct px_op *op;

	pthread_mutex_lock(&e->wlock);
	while ((node = px_list_first(&e->wq))) {
		px_list_del(node);
		op = px_list_entry(node, struct px_op, link);
		op->res = -ECANCELED;
		px_list_add_tail(&e->wdone, &op->link);
	}
	atomic_store_explicit(&e->wdone_any, !px_list_empty(&e->wdone),
			      memory_order_relaxed);
	pthread_mutex_unlock(&e->wlock);
}

/* Move finished jobs to the ready list (the loop fires them). */
void px__epoll_worker_collect(struct px__epoll *e)
{
	struct px_list *node;

	if (!atomic_load_explicit(&e->wdone_any, memory_order_acquire))
		return;
	pthread_mutex_lock(&e->wlock);
	atomic_store_explicit(&e->wdone_any, false, memory_order_relaxed);
	while ((node = px_list_first(&e->wdone))) {
		px_list_del(node);
		px_list_entry(node, struct px_op, link)->aux &= ~PX__EP_WORKER;
		px_list_add_tail(&e->ready, node);
	}
	pthread_mutex_unlock(&e->wlock);
}
