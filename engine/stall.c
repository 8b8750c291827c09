// SPDX-License-Identifier: MIT
/*
 * stall.c - the stall detector: a watchdog thread per PLAYING pipeline that
 * looks at it every quarter of the threshold (PX_STALL_MS, default 1000 ms;
 * 0 turns it off) and posts a WARNING naming
 *
 *   - an element whose one work() call has run for longer than the
 *     threshold (its work_calls did not move while its in_work flag stayed
 *     up: a reactor blocked in an element, as Seastar's stall report), and
 *   - a link that held items for longer than the threshold while its
 *     consumer took none and was not in work() (a consumer that was never
 *     woken, or waits on something that does not come). Not "full": a
 *     producer sleeps until the level falls to half, so a consumer that
 *     stops can leave its input anywhere between half and full.
 *
 * Once per episode: the warning comes back only after the element or the
 * link moved again. The watchdog reads only atomics the reactors write
 * anyway (px_stat counters, ring indices, in_work), under p->mu so that
 * px_pipeline_replace cannot swap the tables under it. The reactors pay
 * two relaxed stores per work() call for in_work.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bus_int.h"
#include "pipeline_int.h"

#define STALL_DEFAULT_MS 1000u

/* What the watchdog saw of one element or link at its last look. */
struct watch {
	uint64_t seen;	 /* work_calls, or the consumer pad's items */
	unsigned ticks;	 /* looks in a row without movement */
	bool warned;	 /* this episode was reported */
};

struct px__stall {
	struct px_pipeline *p;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool stop;
	unsigned ms;		/* the threshold */
	struct watch *elems;	/* per p->elems[i] */
	struct watch *links;	/* per link, list order */
	unsigned n_elems, n_links;
};

/* PX_STALL_MS, read each time a run starts. */
static unsigned threshold_ms(void)
{
	const char *env = getenv("PX_STALL_MS");
	char *end;
	unsigned long v;

	if (!env || !*env)
		return STALL_DEFAULT_MS;
	errno = 0;
	v = strtoul(env, &end, 10);
	if (errno || *end || v > 3600000)
		return STALL_DEFAULT_MS;
	return (unsigned)v;
}

/* One more look at W: MOVED says whether it moved, STUCK whether the
 * condition holds. True when it has now held for the whole threshold and
 * was not reported yet (the caller reports it). */
static bool look(struct watch *w, uint64_t now_seen, bool stuck,
		 unsigned looks_needed)
{
	bool moved = now_seen != w->seen;

	w->seen = now_seen;
	if (moved || !stuck) {
		w->ticks = 0;
		w->warned = false;
		return false;
	}
	if (++w->ticks < looks_needed || w->warned)
		return false;
	w->warned = true;
	return true;
}

static void check(struct px__stall *st)
{
	struct px_pipeline *p = st->p;
	/* Looks a quarter of the threshold apart: the first that finds it
	 * stuck is up to a quarter late, so five make a whole threshold. */
	unsigned need = 5;
	struct px_list *pos;
	unsigned i = 0;

	pthread_mutex_lock(&p->mu);
	for (i = 0; i < p->n_elems && i < st->n_elems; i++) {
		struct px_element *e = p->elems[i];
		bool busy = atomic_load_explicit(&e->in_work,
						 memory_order_relaxed);

		if (look(&st->elems[i], px_stat_get(&e->work_calls), busy,
			 need))
			px__bus_postf(p->bus, PX_MSG_WARNING, -ETIME, e->name,
				      "%s: one work() call has run for over "
				      "%u ms on reactor %u: the reactor is "
				      "stalled in it (a blocking call?)",
				      e->name, st->ms, e->reactor_index);
	}
	i = 0;
	px_list_for_each(pos, &p->links) {
		struct px_link *l = px_list_entry(pos, struct px_link, node);
		struct px_pad *in = l->sink;
		bool waiting;

		if (i >= st->n_links)
			break;
		if (!in || !l->ring.ring) {
			i++;
			continue;
		}
		waiting = px_ring_view_count(&l->ring) > 0 &&
			  !atomic_load_explicit(&in->elem->in_work,
						memory_order_relaxed);
		if (look(&st->links[i], px_stat_get(&in->buffers) +
						px_stat_get(&in->events),
			 waiting, need))
			px__bus_postf(p->bus, PX_MSG_WARNING, -ETIME,
				      in->elem->name,
				      "link %s:%s -> %s:%s has held items for "
				      "over %u ms while %s took none",
				      l->src ? l->src->elem->name : "?",
				      l->src ? l->src->name : "?",
				      in->elem->name, in->name, st->ms,
				      in->elem->name);
		i++;
	}
	pthread_mutex_unlock(&p->mu);
}

static void *watchdog(void *arg)
{
	struct px__stall *st = arg;
	struct timespec next;

	clock_gettime(CLOCK_MONOTONIC, &next);
	pthread_mutex_lock(&st->mu);
	while (!st->stop) {
		next.tv_nsec += (long)st->ms * 250000L; /* a quarter */
		while (next.tv_nsec >= 1000000000L) {
			next.tv_nsec -= 1000000000L;
			next.tv_sec++;
		}
		while (!st->stop &&
		       pthread_cond_timedwait(&st->cv, &st->mu, &next) == 0)
			;
		if (st->stop)
			break;
		pthread_mutex_unlock(&st->mu);
		check(st);
		pthread_mutex_lock(&st->mu);
	}
	pthread_mutex_unlock(&st->mu);
	return NULL;
}

void px__stall_start(struct px_pipeline *p)
{
	struct px__stall *st;
	pthread_condattr_t ca;
	struct px_list *pos;
	unsigned ms = threshold_ms();

	if (!ms || p->stall)
		return;
	st = calloc(1, sizeof(*st));
	if (!st)
		return; /* a diagnostic: the run goes on without it */
	st->p = p;
	st->ms = ms;
	st->n_elems = p->n_elems;
	px_list_for_each(pos, &p->links)
		st->n_links++;
	st->elems = calloc(st->n_elems + 1, sizeof(*st->elems));
	st->links = calloc(st->n_links + 1, sizeof(*st->links));
	pthread_mutex_init(&st->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&st->cv, &ca);
	pthread_condattr_destroy(&ca);
	if (!st->elems || !st->links ||
	    pthread_create(&st->thread, NULL, watchdog, st)) {
		pthread_cond_destroy(&st->cv);
		pthread_mutex_destroy(&st->mu);
		free(st->elems);
		free(st->links);
		free(st);
		return;
	}
	p->stall = st;
}

void px__stall_stop(struct px_pipeline *p)
{
	struct px__stall *st = p->stall;

	if (!st)
		return;
	pthread_mutex_lock(&st->mu);
	st->stop = true;
	pthread_cond_signal(&st->cv);
	pthread_mutex_unlock(&st->mu);
	pthread_join(st->thread, NULL);
	pthread_cond_destroy(&st->cv);
	pthread_mutex_destroy(&st->mu);
	free(st->elems);
	free(st->links);
	free(st);
	p->stall = NULL;
}
