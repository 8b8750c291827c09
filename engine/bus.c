// SPDX-License-Identifier: MIT
/*
 * bus.c - the pipeline bus: a bounded queue of messages under a mutex, a
 * condition variable for blocking readers, an eventfd that is readable while
 * the queue is not empty, and an optional callback on the posting thread.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "bus_int.h"
#include "px_list.h"

struct bus_entry {
	struct px_list node;
	uint64_t gen;
	struct px_message msg;
};

struct px_bus {
	pthread_mutex_t mu; /* guards everything below */
	pthread_cond_t cv;  /* signalled on every post */
	struct px_list q;   /* bus_entry, oldest first */
	unsigned count;
	uint64_t gen;
	uint64_t drops;
	px_bus_fn fn;
	void *fn_arg;
	int efd; /* readable iff count > 0; written/drained under mu */
};

uint64_t px__now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

int px__bus_create(struct px_bus **out)
{
	pthread_condattr_t ca;
	struct px_bus *bus = calloc(1, sizeof(*bus));
	int err;

	if (!bus)
		return -ENOMEM;
	bus->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (bus->efd < 0) {
		err = -errno;
		free(bus);
		return err;
	}
	pthread_mutex_init(&bus->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&bus->cv, &ca);
	pthread_condattr_destroy(&ca);
	px_list_init(&bus->q);
	*out = bus;
	return 0;
}

void px__bus_destroy(struct px_bus *bus)
{
	struct px_list *pos, *tmp;

	if (!bus)
		return;
	px_list_for_each_safe(pos, tmp, &bus->q)
		free(px_list_entry(pos, struct bus_entry, node));
	close(bus->efd);
	pthread_cond_destroy(&bus->cv);
	pthread_mutex_destroy(&bus->mu);
	free(bus);
}

static bool is_terminal(const struct px_message *m)
{
	return m->type == PX_MSG_ERROR || m->type == PX_MSG_EOS;
}

/* The fd mirrors "queue not empty"; called under mu. */
static void fd_set_readable(struct px_bus *bus, bool readable)
{
	uint64_t v = 1;
	ssize_t n;

	if (readable)
		n = write(bus->efd, &v, sizeof(v));
	else
		n = read(bus->efd, &v, sizeof(v));
	(void)n; /* EAGAIN on read of a zero counter is fine */
}

static void unlink_entry(struct px_bus *bus, struct bus_entry *e)
{
	px_list_del(&e->node);
	if (--bus->count == 0)
		fd_set_readable(bus, false);
}

void px__bus_post(struct px_bus *bus, const struct px_message *msg)
{
	struct bus_entry *e = malloc(sizeof(*e));
	struct px_message m = *msg;
	px_bus_fn fn;
	void *arg;

	m.time_ns = px__now_ns();
	m.text[PX_MSG_TEXT - 1] = '\0';
	m.source[sizeof(m.source) - 1] = '\0';
	pthread_mutex_lock(&bus->mu);
	if (!e) {
		bus->drops++;
		pthread_mutex_unlock(&bus->mu);
		return;
	}
	e->msg = m;
	e->gen = bus->gen;
	if (bus->count >= PX__BUS_MAX) {
		struct px_list *pos;
		struct bus_entry *victim = NULL;

		px_list_for_each(pos, &bus->q) {
			struct bus_entry *c =
				px_list_entry(pos, struct bus_entry, node);
			if (!is_terminal(&c->msg)) {
				victim = c;
				break;
			}
		}
		if (!victim && !is_terminal(msg)) {
			/* Only ERROR/EOS queued: drop the newcomer. */
			bus->drops++;
			free(e);
			e = NULL;
		} else {
			if (!victim)
				victim = px_list_entry(bus->q.next,
						       struct bus_entry, node);
			unlink_entry(bus, victim);
			free(victim);
			bus->drops++;
		}
	}
	if (e) {
		px_list_add_tail(&bus->q, &e->node);
		if (bus->count++ == 0)
			fd_set_readable(bus, true);
		pthread_cond_broadcast(&bus->cv);
	}
	fn = bus->fn;
	arg = bus->fn_arg;
	pthread_mutex_unlock(&bus->mu);
	if (fn)
		fn(&m, arg);
}

void px__bus_postf(struct px_bus *bus, enum px_msg_type type, int code,
		   const char *source, const char *fmt, ...)
{
	struct px_message m;
	va_list ap;

	memset(&m, 0, sizeof(m));
	m.type = type;
	m.code = code;
	snprintf(m.source, sizeof(m.source), "%s", source ? source : "");
	va_start(ap, fmt);
	vsnprintf(m.text, sizeof(m.text), fmt, ap);
	va_end(ap);
	px__bus_post(bus, &m);
}

/* Absolute CLOCK_MONOTONIC deadline for TIMEOUT_NS >= 0. */
static struct timespec deadline(int64_t timeout_ns)
{
	uint64_t t = px__now_ns() + (uint64_t)timeout_ns;

	return (struct timespec){ .tv_sec = (time_t)(t / 1000000000ull),
				  .tv_nsec = (long)(t % 1000000000ull) };
}

/* Wait on cv until woken or the deadline; -ETIMEDOUT past it. Under mu. */
static int wait_once(struct px_bus *bus, int64_t timeout_ns,
		     const struct timespec *dl)
{
	if (timeout_ns < 0) {
		pthread_cond_wait(&bus->cv, &bus->mu);
		return 0;
	}
	if (timeout_ns == 0)
		return -ETIMEDOUT;
	return pthread_cond_timedwait(&bus->cv, &bus->mu, dl) == ETIMEDOUT ?
		       -ETIMEDOUT :
		       0;
}

PX_API int px_bus_pop(struct px_bus *bus, int64_t timeout_ns,
		      struct px_message *msg)
{
	struct timespec dl = deadline(timeout_ns > 0 ? timeout_ns : 0);
	int err = 0;

	if (!bus || !msg)
		return -EINVAL;
	pthread_mutex_lock(&bus->mu);
	while (!bus->count) {
		err = wait_once(bus, timeout_ns, &dl);
		if (err && !bus->count) {
			pthread_mutex_unlock(&bus->mu);
			return timeout_ns == 0 ? -EAGAIN : -ETIMEDOUT;
		}
	}
	struct bus_entry *e = px_list_entry(bus->q.next, struct bus_entry, node);
	unlink_entry(bus, e);
	pthread_mutex_unlock(&bus->mu);
	*msg = e->msg;
	free(e);
	return 0;
}

int px__bus_wait_end(struct px_bus *bus, uint64_t min_gen, int64_t timeout_ns,
		     struct px_message *msg)
{
	struct timespec dl = deadline(timeout_ns > 0 ? timeout_ns : 0);

	pthread_mutex_lock(&bus->mu);
	for (;;) {
		struct px_list *pos;

		px_list_for_each(pos, &bus->q) {
			struct bus_entry *e =
				px_list_entry(pos, struct bus_entry, node);
			if (e->gen < min_gen || !is_terminal(&e->msg))
				continue;
			unlink_entry(bus, e);
			pthread_mutex_unlock(&bus->mu);
			if (msg)
				*msg = e->msg;
			free(e);
			return 0;
		}
		if (wait_once(bus, timeout_ns, &dl)) {
			/* One last look happens on the next loop only if
			 * something was posted; a timeout ends here. */
			pthread_mutex_unlock(&bus->mu);
			return -ETIMEDOUT;
		}
	}
}

PX_API int px_bus_fd(const struct px_bus *bus)
{
	return bus ? bus->efd : -EINVAL;
}

PX_API void px_bus_set_callback(struct px_bus *bus, px_bus_fn fn, void *arg)
{
	if (!bus)
		return;
	pthread_mutex_lock(&bus->mu);
	bus->fn = fn;
	bus->fn_arg = arg;
	pthread_mutex_unlock(&bus->mu);
}

uint64_t px__bus_new_generation(struct px_bus *bus)
{
	uint64_t g;

	pthread_mutex_lock(&bus->mu);
	g = ++bus->gen;
	pthread_mutex_unlock(&bus->mu);
	return g;
}

bool px__bus_has_end(struct px_bus *bus)
{
	struct px_list *pos;
	bool found = false;

	pthread_mutex_lock(&bus->mu);
	px_list_for_each(pos, &bus->q)
		found |= is_terminal(
			&px_list_entry(pos, struct bus_entry, node)->msg);
	pthread_mutex_unlock(&bus->mu);
	return found;
}

uint64_t px__bus_drops(struct px_bus *bus)
{
	uint64_t d;

	pthread_mutex_lock(&bus->mu);
	d = bus->drops;
	pthread_mutex_unlock(&bus->mu);
	return d;
}

unsigned px__bus_count(struct px_bus *bus)
{
	unsigned n;

	pthread_mutex_lock(&bus->mu);
	n = bus->count;
	pthread_mutex_unlock(&bus->mu);
	return n;
}

PX_API const char *px_state_name(enum px_state s)
{
	switch (s) {
	case PX_STATE_NULL:
		return "NULL";
	case PX_STATE_READY:
		return "READY";
	case PX_STATE_PAUSED:
		return "PAUSED";
	case PX_STATE_PLAYING:
		return "PLAYING";
	}
	return "UNKNOWN";
}

PX_API const char *px_msg_type_name(enum px_msg_type t)
{
	switch (t) {
	case PX_MSG_ERROR:
		return "ERROR";
	case PX_MSG_WARNING:
		return "WARNING";
	case PX_MSG_INFO:
		return "INFO";
	case PX_MSG_EOS:
		return "EOS";
	case PX_MSG_STATE_CHANGED:
		return "STATE_CHANGED";
	case PX_MSG_ELEMENT:
		return "ELEMENT";
	}
	return "UNKNOWN";
}
