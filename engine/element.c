// SPDX-License-Identifier: MIT
/*
 * element.c - element instances: creation from a class, pads, the task that
 * runs work() and the rules that re-run it, pools made for elements, and
 * the calls an element makes to report errors, warnings and EOS.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bus_int.h"
#include "pipeline_int.h"
#include "px_error.h"
#include "trace_int.h"

/* px_element_stats.work_ns: one work() call in this many is timed. */
#define PX__WORK_TIMED_EVERY 64u

/* ---- creation ----------------------------------------------------------- */

int px__element_add_pad(struct px_element *e, const struct px_pad_template *t,
			const char *name, struct px_pad **out)
{
	struct px_pad *pad, ***dir_arr;
	unsigned *dir_n;
	size_t errpos;
	int err;

	if (e->n_pads == e->cap_pads) {
		unsigned cap = e->cap_pads ? e->cap_pads * 2 : 4;
		struct px_pad **all = realloc(e->pads, cap * sizeof(*all));
		if (!all)
			return -ENOMEM;
		e->pads = all;
		e->cap_pads = cap;
		/* The per-direction arrays never outgrow the total. */
		struct px_pad **s = realloc(e->src, cap * sizeof(*s));
		if (!s)
			return -ENOMEM;
		e->src = s;
		s = realloc(e->sink, cap * sizeof(*s));
		if (!s)
			return -ENOMEM;
		e->sink = s;
	}
	pad = calloc(1, sizeof(*pad));
	if (pad && t->direction == PX_PAD_SINK) {
		pad->lat = calloc(1, sizeof(*pad->lat));
		if (!pad->lat) {
			free(pad);
			pad = NULL;
		}
	}
	if (!pad)
		return -ENOMEM;
	pad->elem = e;
	pad->dir = t->direction;
	pad->tmpl = t;
	snprintf(pad->name, sizeof(pad->name), "%s", name);
	if (!t->caps || !strcmp(t->caps, "ANY")) {
		err = px_caps_new_any(&pad->caps);
	} else {
		err = px_caps_parse(t->caps, &pad->caps, &errpos);
	}
	if (err) {
		if (err == -EINVAL)
			px__pipeline_fail(e->pipeline, err, e->name,
					  "class %s: pad template %s has bad "
					  "caps '%s' (at byte %zu)",
					  e->cls->name, t->name, t->caps,
					  errpos);
		free(pad->lat);
		free(pad);
		return err;
	}
	dir_arr = t->direction == PX_PAD_SRC ? &e->src : &e->sink;
	dir_n = t->direction == PX_PAD_SRC ? &e->n_src : &e->n_sink;
	(*dir_arr)[(*dir_n)++] = pad;
	e->pads[e->n_pads++] = pad;
	if (out)
		*out = pad;
	return 0;
}

/* Free what px__element_create() allocated (not what the class's init
 * made: fini, when due, runs first). */
static void element_free(struct px_element *e)
{
	px__props_free(e);
	for (unsigned i = 0; i < e->n_pads; i++) {
		px_caps_unref(e->pads[i]->caps);
		free(e->pads[i]->lat);
		free(e->pads[i]);
	}
	free(e->pads);
	free(e->src);
	free(e->sink);
	free(e->priv);
	free(e);
}

int px__element_create(struct px_pipeline *p, const struct px_element_class *cls,
		       const char *name, bool detached, struct px_element **out)
{
	struct px_element *e = calloc(1, sizeof(*e));
	int err = -ENOMEM;

	if (!e)
		return -ENOMEM;
	e->pipeline = p;
	e->detached = detached;
	e->cls = cls;
	e->numa_node = -1;
	e->device_node = -1;
	snprintf(e->name, sizeof(e->name), "%s", name);
	px_task_init(&e->task, px__element_task);
	e->priv = calloc(1, cls->priv_size ? cls->priv_size : 1);
	if (!e->priv)
		goto err_free;
	err = px__props_apply_defaults(e);
	if (err)
		goto err_free;
	for (unsigned i = 0; i < cls->n_pads; i++) {
		if (cls->pads[i].presence != PX_PAD_ALWAYS)
			continue;
		err = px__element_add_pad(e, &cls->pads[i], cls->pads[i].name,
					  NULL);
		if (err)
			goto err_free;
	}
	if (cls->init) {
		err = cls->init(e);
		if (err) {
			if (!p->error[0])
				px__pipeline_fail(p, err, e->name,
						  "%s: init failed: %s",
						  e->name, px_strerror(err));
			goto err_free;
		}
	}
	*out = e;
	return 0;
err_free:
	/* fini is only for what init made: do not call it here. */
	element_free(e);
	return err;
}

void px__element_destroy(struct px_element *e)
{
	if (!e)
		return;
	if (e->cls->fini)
		e->cls->fini(e);
	element_free(e);
}

/* ---- getters -------------------------------------------------------------- */

PX_API void *px_element_priv(const struct px_element *e)
{
	return e->priv;
}

PX_API const char *px_element_name(const struct px_element *e)
{
	return e->name;
}

PX_API const char *px_element_factory(const struct px_element *e)
{
	return e->cls->name;
}

PX_API const struct px_element_class *
px_element_class(const struct px_element *e)
{
	return e->cls;
}

PX_API bool px_element_memory_shareable(const struct px_element *e)
{
	return e->mem_shareable;
}

PX_API struct px_reactor *px_element_reactor(const struct px_element *e)
{
	return e->reactor;
}

PX_API struct px_pipeline *px_element_pipeline(const struct px_element *e)
{
	return e->pipeline;
}

PX_API struct px_pad *px_element_pad(const struct px_element *e,
				     const char *name)
{
	for (unsigned i = 0; name && i < e->n_pads; i++)
		if (!strcmp(e->pads[i]->name, name))
			return e->pads[i];
	return NULL;
}

PX_API unsigned px_element_pad_count(const struct px_element *e,
				     enum px_pad_direction dir)
{
	return dir == PX_PAD_SRC ? e->n_src : e->n_sink;
}

PX_API struct px_pad *px_element_pad_at(const struct px_element *e,
					enum px_pad_direction dir, unsigned i)
{
	if (dir == PX_PAD_SRC)
		return i < e->n_src ? e->src[i] : NULL;
	return i < e->n_sink ? e->sink[i] : NULL;
}

PX_API void px_element_stats(const struct px_element *e,
			     struct px_element_stats *st)
{
	memset(st, 0, sizeof(*st));
	/* relaxed: single-writer counters, see px_stat_add() */
	for (unsigned i = 0; i < e->n_pads; i++) {
		const struct px_pad *pad = e->pads[i];
		bool in = pad->dir == PX_PAD_SINK;

		*(in ? &st->buffers_in : &st->buffers_out) +=
			px_stat_get(&pad->buffers);
		*(in ? &st->bytes_in : &st->bytes_out) +=
			px_stat_get(&pad->bytes);
		*(in ? &st->events_in : &st->events_out) +=
			px_stat_get(&pad->events);
		st->dropped += px_stat_get(&pad->dropped);
	}
	st->work_calls = px_stat_get(&e->work_calls);
	st->work_ns = px_stat_get(&e->work_ns);
	st->errors = px_stat_get(&e->errors);
}

void px__element_stats_reset(struct px_element *e)
{
	enum px_latency_mode mode = e->pipeline->latency;

	/* relaxed: statistics, and no element runs during a reset */
	px_stat_set(&e->work_calls, 0);
	px_stat_set(&e->work_ns, 0);
	px_stat_set(&e->errors, 0);
	e->stamp_every = e->n_sink == 0 && mode != PX_LATENCY_OFF ?
				 e->pipeline->latency_sample : 0;
	e->stamp_left = 1; /* the first push is stamped */
	for (unsigned i = 0; i < e->n_pads; i++) {
		struct px_pad *pad = e->pads[i];

		px_stat_set(&pad->buffers, 0);
		px_stat_set(&pad->bytes, 0);
		px_stat_set(&pad->events, 0);
		px_stat_set(&pad->dropped, 0);
		px_stat_set(&pad->level_max, 0);
		if (!pad->lat)
			continue;
		px__lat_reset(pad->lat);
		pad->lat_rec = mode == PX_LATENCY_ALL ||
			       (mode == PX_LATENCY_SINKS && e->n_src == 0);
	}
}

/* ---- scheduling ------------------------------------------------------------ */

void px__element_wake(struct px_element *e)
{
	/* px_reactor_post is px_reactor_schedule on e's own thread, and a
	 * lock-free no-op when the task is already posted. -ESHUTDOWN only
	 * happens while the pipeline goes down: nothing to run then. */
	if (e->reactor)
		(void)px_reactor_post(e->reactor, &e->task);
}

void px__element_schedule_local(struct px_element *e)
{
	px_reactor_schedule(e->reactor, &e->task);
}

PX_API void px_element_schedule(struct px_element *e)
{
	px_reactor_schedule(e->reactor, &e->task);
}

static bool has_blocked_output(const struct px_element *e)
{
	for (unsigned i = 0; i < e->n_src; i++)
		if (e->src[i]->link && px__link_producer_waiting(e->src[i]->link))
			return true;
	return false;
}

/*
 * The task behind every element. Scheduling rule (documented in
 * px_element.h): the engine runs work() again by itself when the call took
 * items from an input, an input still holds items and no output is blocked;
 * everything else that needs a new call (a source with more to generate, an
 * op completion) asks for it with px_element_schedule(). A call that took
 * nothing (the element waits for its I/O or a pool) is not repeated: that
 * would spin until the completion arrives - unless items came in over a
 * concurrent link (another reactor or process) while it ran (it may have
 * looked before they came, and their producer sent no wakeup because this
 * consumer was awake).
 */
void px__element_task(struct px_task *t)
{
	struct px_element *e = px_container_of(t, struct px_element, task);
	bool again = false;
	uint64_t calls;

	if (px_unlikely(e->retired)) {
		/* A wakeup that raced px_pipeline_replace's hand-over: it was
		 * meant for whoever holds the links now. */
		if (e->successor)
			px__element_wake(e->successor);
		return;
	}
	/* relaxed: the state change that matters (PLAYING) is published to
	 * this thread by the post that woke us (px_reactor_post's release). */
	if (atomic_load_explicit(&e->pipeline->flow, memory_order_relaxed) !=
	    PX__FLOW_RUNNING)
		return;
	for (unsigned i = 0; i < e->n_src; i++)
		if (e->src[i]->link)
			px__link_producer_resume(e->src[i]->link);
	for (unsigned i = 0; i < e->n_sink; i++) {
		struct px_link *l = e->sink[i]->link;

		if (!l)
			continue;
		px__link_consumer_resume(l);
		if (px__link_concurrent(l))
			l->cons.seen = px_ring_view_count(&l->ring);
	}
	e->pulled = false;
	calls = px_stat_get(&e->work_calls) + 1;
	px_stat_set(&e->work_calls, calls);
	PX_TRACE(work_begin, e->name, e->cls->name);
	atomic_store_explicit(&e->in_work, true, memory_order_relaxed);
	if (px_unlikely(!(calls % PX__WORK_TIMED_EVERY))) {
		uint64_t t0 = px__now_ns();

		e->cls->work(e);
		px_stat_add(&e->work_ns,
			    (px__now_ns() - t0) * PX__WORK_TIMED_EVERY);
	} else {
		e->cls->work(e);
	}
	atomic_store_explicit(&e->in_work, false, memory_order_relaxed);
	PX_TRACE(work_end, e->name, e->cls->name);

	if (has_blocked_output(e))
		return;
	for (unsigned i = 0; i < e->n_sink; i++) {
		struct px_pad *pad = e->sink[i];
		struct px_link *l = pad->link;

		if (!l || pad->eos)
			continue;
		unsigned count = px_ring_view_count(&l->ring);

		if (count) {
			/* Items that arrived over a concurrent link while
			 * work() ran may have been missed by it, and their
			 * producer saw no sleep flag: look again. */
			again |= e->pulled ||
				 (px__link_concurrent(l) && count != l->cons.seen);
		} else if (!px__link_consumer_wait(l)) {
			again = true; /* items raced in */
		}
	}
	if (again)
		px_reactor_schedule(e->reactor, &e->task);
}

/* ---- pools ----------------------------------------------------------------- */

static void pool_notify(struct px_pool *pool, void *arg)
{
	struct px__epool *ep = arg;
	/* acquire: pairs with the release store in px_element_buf_alloc */
	struct px_element *w = atomic_exchange_explicit(&ep->waiter, NULL,
							memory_order_acq_rel);
	(void)pool;
	if (w)
		px__element_wake(w);
}

/* Slots start 64-byte aligned, and page-aligned from a page up (copies
 * that start just past a page boundary are several times slower): a slot of
 * a page or more is a whole number of pages. */
static uint32_t pool_slot_size(uint32_t want)
{
	long page = sysconf(_SC_PAGESIZE);
	uint64_t align = page > 0 ? (uint64_t)page : 4096;

	if (want < align)
		return PX_ALIGN_UP(want, 64u);
	return (uint32_t)PX_ALIGN_UP((uint64_t)want, align);
}

void px__epool_free(struct px__epool *ep)
{
	free(ep->path);
	free(ep);
}

/* "1024 x 64 KiB = 64 MiB" style: the pool's shape for a sentence. */
static void pool_shape(char *buf, size_t len, uint32_t slots, uint32_t size)
{
	uint64_t total = (uint64_t)slots * size;
	char each[32];

	if (size % (1u << 20) == 0)
		snprintf(each, sizeof(each), "%u MiB", size >> 20);
	else if (size % 1024 == 0)
		snprintf(each, sizeof(each), "%u KiB", size >> 10);
	else
		snprintf(each, sizeof(each), "%u bytes", size);
	if (total >= (1ull << 40))
		snprintf(buf, len, "%u x %s = %.1f TiB", slots, each,
			 (double)total / (1ull << 40));
	else if (total >= (1u << 30))
		snprintf(buf, len, "%u x %s = %.1f GiB", slots, each,
			 (double)total / (1u << 30));
	else if (total >= (1u << 20))
		snprintf(buf, len, "%u x %s = %.1f MiB", slots, each,
			 (double)total / (1u << 20));
	else
		snprintf(buf, len, "%u x %s", slots, each);
}

static const char *page_phrase(enum px_page_kind page)
{
	static const char *const names[] = {
		[PX_PAGE_4K] = "4 KiB pages",
		[PX_PAGE_THP] = "transparent huge pages",
		[PX_PAGE_2M] = "2 MiB huge pages",
		[PX_PAGE_1G] = "1 GiB huge pages",
	};

	return (unsigned)page < PX_ARRAY_SIZE(names) ? names[page] : "?";
}

/*
 * Make the segment behind EP's pool as E's memory choice (its own, else
 * the pipeline's) says, and report on the bus what it got when that is
 * less than asked. Returns 0 or an error already posted.
 */
static int pool_make(struct px_element *e, struct px__epool *ep,
		     struct px_pool_config *cfg)
{
	struct px_pipeline *p = e->pipeline;
	const struct px_memory *m = e->memory.kind != PX_MEMORY_AUTO ?
					    &e->memory :
					    &p->memory;
	struct px__memory_plan plan;
	char shape[80], where[PX_MEMORY_DIR_MAX + 2 * PX__NAME_MAX + 40], path[PX_MEMORY_DIR_MAX + 2 * PX__NAME_MAX + 32];
	const struct px_segment *seg;
	int err;

	pool_shape(shape, sizeof(shape), cfg->slots, cfg->slot_size);
	px_memory_format(m, ep->memory, sizeof(ep->memory));
	snprintf(path, sizeof(path), "%s/%s.%s.%d.pxpool", m->dir, p->name,
		 ep->name, (int)getpid());
	err = px__memory_plan(m, e->mem_shareable,
			      e->reactor ? px_reactor_numa_node(e->reactor) :
					   -1,
			      path, &plan);
	if (err == -EXDEV) {
		px_element_error(e, err,
				 "%s: pool %s (%s) cannot live in a file "
				 "(memory=%s): its buffers reach another "
				 "process, which maps only a sealed memfd",
				 e->name, ep->name, shape, ep->memory);
		return err;
	}
	if (plan.file_to_memfd)
		px_element_warning(e,
				   "%s: pool %s (%s) in a memfd instead of a "
				   "file in %s: its buffers reach another "
				   "process, which maps only a sealed memfd",
				   e->name, ep->name, shape, m->dir);
	cfg->segment = plan.seg;
	cfg->segment.name = ep->name;
	err = px_pool_create(cfg, &ep->pool);
	if (err) {
		/* Huge pages that could not be had: say why in their terms. */
		const char *why = plan.seg.kind == PX_SEGMENT_HUGETLB &&
						  (err == -ENOMEM ||
						   err == -EOPNOTSUPP) ?
					  px_segment_fallback_reason(err) :
				  err == -ENODEV ?
					  "no such NUMA node on this machine" :
					  px_strerror(err);

		if (plan.seg.kind == PX_SEGMENT_FILE)
			snprintf(where, sizeof(where), "file %s", path);
		else if (plan.seg.kind == PX_SEGMENT_HUGETLB && !plan.quiet)
			snprintf(where, sizeof(where), "%s",
				 page_phrase(plan.want));
		else
			snprintf(where, sizeof(where), "%s memory",
				 px_segment_kind_name(plan.seg.kind));
		px_element_error(e, err,
				 "%s: cannot create pool %s (%s) in %s "
				 "(memory=%s): %s",
				 e->name, ep->name, shape, where, ep->memory,
				 why);
		return err;
	}
	seg = px_pool_segment(ep->pool);
	if (px__memory_fell_back(&plan, seg)) {
		if (m->require) {
			/* Only THP gets here: hugetlb with require fails in
			 * px_pool_create. */
			px_element_error(e, -EOPNOTSUPP,
					 "%s: cannot create pool %s (%s) with "
					 "%s (memory=%s): %s",
					 e->name, ep->name, shape,
					 page_phrase(plan.want), ep->memory,
					 px_segment_fallback_reason(
						 seg->fallback_err));
			px_pool_destroy(ep->pool);
			ep->pool = NULL;
			return -EOPNOTSUPP;
		}
		px_element_warning(e,
				   "%s: pool %s (%s) asked for %s and got %s: "
				   "%s",
				   e->name, ep->name, shape,
				   page_phrase(plan.want),
				   page_phrase(seg->page),
				   px_segment_fallback_reason(
					   seg->fallback_err));
	}
	if (plan.seg.kind == PX_SEGMENT_FILE)
		ep->path = strdup(path); /* NULL: the file stays (no memory) */
	return 0;
}

PX_API int px_element_pool_create(struct px_element *e, uint32_t slot_size,
				  uint32_t slots, struct px_pool **out)
{
	struct px_pipeline *p = e->pipeline;
	struct px__epool *ep;
	struct px_pool_config cfg;
	const struct px_segment *seg;
	int err;

	if (!out || !slot_size || !slots)
		return -EINVAL;
	ep = calloc(1, sizeof(*ep));
	if (!ep)
		return -ENOMEM;
	pthread_mutex_lock(&p->mu);
	unsigned n = 0;
	struct px_list *pos;
	px_list_for_each(pos, &p->pools)
		n += px_list_entry(pos, struct px__epool, node)->owner == e;
	pthread_mutex_unlock(&p->mu);
	snprintf(ep->name, sizeof(ep->name), n ? "%s.pool%u" : "%s.pool",
		 e->name, n);
	memset(&cfg, 0, sizeof(cfg));
	cfg.slot_size = pool_slot_size(slot_size);
	cfg.slots = slots;
	cfg.name = ep->name;
	/* --stats and the stats JSON report every pool's high water: keep it
	 * exact (elements loan and release in bursts, so the extra atomic add
	 * is paid per burst, not per buffer). */
	cfg.flags = PX_POOL_EXACT_HIGH_WATER;
	err = pool_make(e, ep, &cfg);
	if (err) {
		free(ep);
		return err;
	}
	ep->owner = e;
	seg = px_pool_segment(ep->pool);
	ep->segment = px_segment_kind_name(seg->kind);
	ep->page = px_page_kind_name(seg->page);
	ep->page_size = seg->page_size;
	ep->numa_node = seg->numa_node;
	ep->shareable = seg->fd >= 0 && seg->kind != PX_SEGMENT_FILE;
	ep->slot_size = cfg.slot_size;
	ep->slots = slots;
	if (ep->shareable)
		px_element_info(e,
				"%s: pool %s (%u x %u bytes) in shared memory "
				"(%s, %s pages): its buffers reach another "
				"process downstream",
				e->name, ep->name, slots, ep->slot_size,
				ep->segment, ep->page);
	atomic_init(&ep->waiter, NULL);
	px_pool_set_notify(ep->pool, pool_notify, ep);
	if (e->reactor && px_reactor_on_thread(e->reactor)) {
		err = px_reactor_register_pool(e->reactor, ep->pool);
		if (err >= 0) {
			ep->reactor = e->reactor;
			ep->registered = true;
		} else if (err == -ENOMEM) {
			px_element_warning(e,
					   "%s: pool %s is over RLIMIT_MEMLOCK; "
					   "fixed-buffer I/O is off for it",
					   e->name, ep->name);
		} else {
			px_element_warning(e,
					   "%s: pool %s not registered for "
					   "fixed-buffer I/O: %s",
					   e->name, ep->name, px_strerror(err));
		}
	}
	px_log_cat("pool", e, PX_LOG_INFO,
		   "pool %s: %u slots of %u bytes, %s memory, %s pages, node "
		   "%d, %s",
		   ep->name, slots, ep->slot_size, ep->segment, ep->page,
		   ep->numa_node, ep->registered ? "registered" :
						   "not registered");
	pthread_mutex_lock(&p->mu);
	px_list_add_tail(&p->pools, &ep->node);
	pthread_mutex_unlock(&p->mu);
	*out = ep->pool;
	return 0;
}

/* The record of POOL in P's pools, or NULL. Reactor or app thread. */
static struct px__epool *find_epool(struct px_pipeline *p,
				    const struct px_pool *pool)
{
	struct px__epool *found = NULL;
	struct px_list *pos;

	pthread_mutex_lock(&p->mu);
	px_list_for_each(pos, &p->pools) {
		struct px__epool *ep = px_list_entry(pos, struct px__epool,
						     node);
		if (ep->pool == pool) {
			found = ep;
			break;
		}
	}
	pthread_mutex_unlock(&p->mu);
	return found;
}

/* Register E as POOL's waiter, scheduled by the next release of a slot.
 * False when POOL was not made by px_element_pool_create. */
static bool watch_pool(struct px_element *e, struct px_pool *pool)
{
	struct px__epool *ep = e->wait_ep;

	if (!ep || ep->pool != pool) {
		ep = find_epool(e->pipeline, pool);
		if (!ep)
			return false;
		e->wait_ep = ep;
	}
	/* release: pool_notify's exchange sees a complete element pointer */
	atomic_store_explicit(&ep->waiter, e, memory_order_release);
	return true;
}

/* POOL is empty: register E as its waiter (scheduled when a slot comes
 * back). False when a slot came back meanwhile: try again. */
static bool wait_for_slot(struct px_element *e, struct px_pool *pool)
{
	PX_TRACE(pool_exhausted, e->name, px_pool_id(pool));
	px_log_cat("pool", e, PX_LOG_DEBUG, "pool %u empty: waiting for a slot",
		   px_pool_id(pool));
	if (!watch_pool(e, pool))
		return true; /* not made by px_element_pool_create */
	return px_pool_wait_set(pool);
}

PX_API int px_element_pool_watch(struct px_element *e, struct px_pool *pool)
{
	if (!e || !pool || !watch_pool(e, pool))
		return -EINVAL;
	(void)px_pool_wait_set(pool); /* armed either way */
	return 0;
}

PX_API int px_element_buf_alloc(struct px_element *e, struct px_pool *pool,
				uint32_t length, struct px_buf *out)
{
	int err = px_buf_alloc(pool, length, out);

	if (px_likely(err != -ENOBUFS) || wait_for_slot(e, pool))
		return err;
	return px_buf_alloc(pool, length, out); /* a slot came back */
}

PX_API int px_element_buf_alloc_burst(struct px_element *e,
				      struct px_pool *pool, uint32_t length,
				      struct px_buf *bufs, unsigned n)
{
	int got = px_buf_alloc_burst(pool, length, bufs, n);

	if (px_likely(got != -ENOBUFS) || wait_for_slot(e, pool))
		return got;
	return px_buf_alloc_burst(pool, length, bufs, n);
}

/* ---- messages -------------------------------------------------------------- */

/* Fill M with a message of TYPE from E, text from FMT and AP. */
static void element_msg(struct px_element *e, enum px_msg_type type, int code,
			struct px_message *m, const char *fmt, va_list ap)
{
	memset(m, 0, sizeof(*m));
	m->type = type;
	m->code = code;
	snprintf(m->source, sizeof(m->source), "%s", e->name);
	vsnprintf(m->text, sizeof(m->text), fmt, ap);
	/* The bus message is also a debug line of the element's category. */
	px_log(e, type == PX_MSG_ERROR ? PX_LOG_ERROR :
		  type == PX_MSG_WARNING ? PX_LOG_WARNING : PX_LOG_INFO,
	       "%s: %s", px_msg_type_name(type), m->text);
}

PX_API enum px_flow px_element_error(struct px_element *e, int err,
				     const char *fmt, ...)
{
	struct px_pipeline *p = e->pipeline;
	struct px_message m;
	va_list ap;
	int expect = PX__FLOW_RUNNING;

	/* an RMW: start() may fail on the application thread */
	atomic_fetch_add_explicit(&e->errors, 1, memory_order_relaxed);
	va_start(ap, fmt);
	element_msg(e, PX_MSG_ERROR, err < 0 ? err : -EIO, &m, fmt, ap);
	va_end(ap);
	/* From start(): the application thread reads it back once start()
	 * returned (px__pipeline_run_on orders the two). */
	if (!e->started)
		snprintf(e->start_error, sizeof(e->start_error), "%s", m.text);
	if (e->detached) {
		/* A replacement being made (replace.c) by the application
		 * thread, which waits while its start() runs: the pipeline
		 * goes on; px_pipeline_replace returns the sentence. */
		snprintf(p->error, sizeof(p->error), "%s", m.text);
		return PX_FLOW_ERROR;
	}
	/* Halt the flow: work() is no longer called, pushes release. Relaxed:
	 * reactors poll flow as a hint (push_check), and the bus post below
	 * (a lock) orders the error after it for the application. */
	atomic_compare_exchange_strong_explicit(&p->flow, &expect,
						PX__FLOW_HALTED,
						memory_order_relaxed,
						memory_order_relaxed);
	px__pipeline_mark_end(p);
	px__bus_post(p->bus, &m);
	return PX_FLOW_ERROR;
}

PX_API void px_element_device_node(struct px_element *e, int node)
{
	e->device_node = node < 0 ? -1 : node;
}

PX_API int px_element_refuse(struct px_element *e, int err, const char *fmt,
			     ...)
{
	va_list ap;

	/* props.c cleared it before prop_changed() and posts it after. */
	va_start(ap, fmt);
	vsnprintf(e->pipeline->error, sizeof(e->pipeline->error), fmt, ap);
	va_end(ap);
	return err < 0 ? err : -EINVAL;
}

/* A message of TYPE from E (no errno) onto the bus. */
static void post_va(struct px_element *e, enum px_msg_type type,
		    const char *fmt, va_list ap)
{
	struct px_message m;

	element_msg(e, type, 0, &m, fmt, ap);
	px__bus_post(e->pipeline->bus, &m);
}

PX_API void px_element_warning(struct px_element *e, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	post_va(e, PX_MSG_WARNING, fmt, ap);
	va_end(ap);
}

PX_API void px_element_info(struct px_element *e, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	post_va(e, PX_MSG_INFO, fmt, ap);
	va_end(ap);
}

PX_API void px_element_post(struct px_element *e, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	post_va(e, PX_MSG_ELEMENT, fmt, ap);
	va_end(ap);
}

PX_API void px_element_eos_reached(struct px_element *e)
{
	struct px_pipeline *p = e->pipeline;

	if (e->eos_reached)
		return;
	e->eos_reached = true;
	/* acq_rel: the last sink to arrive sees the others' counts */
	if (atomic_fetch_add_explicit(&p->sinks_eos, 1, memory_order_acq_rel) +
		    1 ==
	    p->n_sinks) {
		px__pipeline_mark_end(p);
		px__bus_postf(p->bus, PX_MSG_EOS, 0, p->name,
			      "end of stream reached at every sink");
	}
}

PX_API bool px_element_eos_requested(const struct px_element *e)
{
	/* relaxed: a hint polled by sources; the wakeup carries the order */
	return atomic_load_explicit(&e->pipeline->eos_requested,
				    memory_order_relaxed);
}

PX_API void px_element_op_init(struct px_element *e, struct px_op *op)
{
	px_op_init_group(op, &e->ops);
}

/* The last op of a stopping element ended (reactor_ops.c). */
static void ops_idle(struct px_op_group *g)
{
	struct px_element *e = px_container_of(g, struct px_element, ops);

	g->closing = false;
	px_element_stop_done(e);
}

void px__element_stop_result(struct px_element *e, int r)
{
	if (r == PX_STOP_WHEN_IDLE) {
		if (e->ops.inflight) {
			e->ops.idle = ops_idle;
			e->ops.closing = true;
			return;
		}
		r = 0;
	}
	if (r != 1)
		px_element_stop_done(e);
}

PX_API void px_element_stop_done(struct px_element *e)
{
	if (e->retired) {
		/* Replaced (replace.c): px_pipeline_replace waits for this. */
		pthread_mutex_lock(&e->pipeline->mu);
		e->stopped = true;
		pthread_cond_broadcast(&e->pipeline->cv);
		pthread_mutex_unlock(&e->pipeline->mu);
		return;
	}
	px__pipeline_stop_done(e->pipeline, e);
}
