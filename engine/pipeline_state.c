// SPDX-License-Identifier: MIT
/*
 * pipeline_state.c - NULL -> READY -> PAUSED -> PLAYING and back: reactor
 * placement and creation, link rings, starting and stopping elements on
 * their reactor threads, returning every buffer, send_eos and wait.
 *
 * Placement: sources run on reactor 0; every other element inherits the
 * reactor of the element upstream of its first sink pad, except that the
 * downstream side of a PX_ELEMENT_THREAD_BOUNDARY element (queue) goes to
 * the reactor in that element's "reactor" property (-1: its own + 1).
 * A link whose ends share a reactor is of the local kind, otherwise of the
 * reactor kind (link_int.h).
 *
 * Control: the application thread never touches an element's hot state
 * while it runs. It posts a task to the element's reactor (start, stop) and
 * waits on the pipeline's condition variable; the mutex handoff is the
 * happens-before edge between the reactor's last use of a ring or pool and
 * the application thread's draining and freeing of it.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bus_int.h"
#include "pipeline_int.h"
#include "reactor_int.h"
#include "px_error.h"
#include "trace_int.h"

/* ---- control tasks ------------------------------------------------------------ */

struct ctl_call {
	struct px_task task;
	struct px_pipeline *p;
	void (*fn)(void *arg);
	void *arg;
	bool done; /* guarded by p->mu */
};

static void ctl_task(struct px_task *t)
{
	struct ctl_call *c = px_container_of(t, struct ctl_call, task);
	struct px_pipeline *p = c->p;

	c->fn(c->arg);
	pthread_mutex_lock(&p->mu);
	c->done = true;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
}

int px__pipeline_run_on(struct px_pipeline *p, struct px_reactor *r,
			void (*fn)(void *arg), void *arg)
{
	struct ctl_call c = { .p = p, .fn = fn, .arg = arg };
	int err;

	px_task_init(&c.task, ctl_task);
	err = px_reactor_post(r, &c.task);
	if (err)
		return err;
	/* No timeout: C lives on this stack until the reactor ran it. */
	pthread_mutex_lock(&p->mu);
	while (!c.done)
		pthread_cond_wait(&p->cv, &p->mu);
	pthread_mutex_unlock(&p->mu);
	return 0;
}

void px__pipeline_stop_done(struct px_pipeline *p, struct px_element *e)
{
	pthread_mutex_lock(&p->mu);
	if (!e->stopped) {
		e->stopped = true;
		p->ctl_pending--;
		pthread_cond_broadcast(&p->cv);
	}
	pthread_mutex_unlock(&p->mu);
}

/* ---- time ------------------------------------------------------------------ */

/*
 * t_start and t_end are statistics: any thread reads them, nothing is
 * ordered by them, so every access is relaxed. The CAS keeps the first
 * sink's end of the run, not a later one's.
 */
void px__pipeline_mark_end(struct px_pipeline *p)
{
	uint64_t zero = 0;

	if (atomic_load_explicit(&p->t_start, memory_order_relaxed))
		atomic_compare_exchange_strong_explicit(
			&p->t_end, &zero, px__now_ns(), memory_order_relaxed,
			memory_order_relaxed);
}

uint64_t px__pipeline_play_ns(const struct px_pipeline *p)
{
	uint64_t start = atomic_load_explicit(&p->t_start,
					      memory_order_relaxed);
	uint64_t end = atomic_load_explicit(&p->t_end, memory_order_relaxed);

	if (!start)
		return p->t_acc;
	return p->t_acc + ((end ? end : px__now_ns()) - start);
}

PX_API double px_pipeline_seconds(const struct px_pipeline *p)
{
	return (double)px__pipeline_play_ns(p) / 1e9;
}

/* ---- NULL <-> READY ---------------------------------------------------------- */

static unsigned round_pow2(unsigned v)
{
	unsigned c = 2;

	while (c < v)
		c <<= 1;
	return c;
}

/* The value of E's integer property NAME, or -1 when it has none. */
static int64_t int_prop(const struct px_element *e, const char *name)
{
	const struct px_prop_spec *spec = px__prop_find(e->cls, name);

	if (!spec || spec->type != PX_PROP_INT)
		return -1;
	return *(const int64_t *)((const char *)e->priv + spec->offset);
}

int px__elem_numa_node_check(struct px_element *e, int64_t node)
{
	int nodes = px_topology_numa_nodes();

	if (node >= -1 && node < nodes)
		return 0;
	px__pipeline_fail(e->pipeline, -ENODEV, e->name,
			  "%s: numa-node=%lld, but this machine has %d NUMA "
			  "node%s (0..%d; -1: any)",
			  e->name, (long long)node, nodes, nodes == 1 ? "" : "s",
			  nodes - 1);
	return -ENODEV;
}

/* Reactor V (from a "reactor" property, or counted) for E, or -EINVAL
 * posted when the pipeline cannot have that many. */
static int reactor_check(struct px_element *e, int64_t v)
{
	if (v < PX__MAX_REACTORS)
		return 0;
	px__pipeline_fail(e->pipeline, -EINVAL, e->name,
			  "%s: reactor %lld is out of range (at most %d "
			  "reactors)",
			  e->name, (long long)v, PX__MAX_REACTORS);
	return -EINVAL;
}

/*
 * The reactor the downstream side of boundary element E goes to: its
 * "reactor" property, else the next reactor after upstream's - on NUMA
 * node "numa-node" when that is set (reactor i runs on node i % nodes).
 */
static int boundary_target(struct px_element *e, unsigned *out)
{
	int64_t v = int_prop(e, "reactor");
	int nodes = px_topology_numa_nodes();
	int node = e->numa_node;

	/* Checked again: the topology may differ from the one it was set
	 * against. */
	if (px__elem_numa_node_check(e, node) < 0)
		return -ENODEV;
	if (v < 0) {
		v = (int64_t)e->reactor_index + 1;
		while (node >= 0 && v % nodes != node)
			v++;
	}
	if (reactor_check(e, v) < 0)
		return -EINVAL;
	*out = (unsigned)v;
	return 0;
}

/*
 * The allocation query: an element whose buffers can reach a
 * PX_ELEMENT_SHARES_MEMORY element makes shareable pools. ORDER is
 * topological, so walking it backwards sees every consumer first.
 */
static void query_allocation(struct px_pipeline *p, struct px_element **order)
{
	for (unsigned i = p->n_elems; i-- > 0;) {
		struct px_element *e = order[i];

		e->mem_shareable = (e->cls->flags & PX_ELEMENT_SHARES_MEMORY) != 0;
		for (unsigned j = 0; j < e->n_src && !e->mem_shareable; j++)
			if (e->src[j]->link)
				e->mem_shareable = e->src[j]->peer->mem_shareable;
	}
}

/*
 * Say once per start which reactor backend runs the pipeline when it is
 * not io_uring, and why (a container's seccomp profile, a sysctl, or
 * PX_BACKEND): a user who wonders about performance reads it here.
 */
static void announce_backend(struct px_pipeline *p)
{
	const char *why;

	if (!p->n_reactors ||
	    px_reactor_backend(p->reactors[0]) == PX_BACKEND_IO_URING)
		return;
	(void)px_backend_default(&why);
	px__bus_postf(p->bus, PX_MSG_INFO, 0, p->name,
		      "%s: reactors run on %s (%s)", p->name,
		      px_backend_name(px_reactor_backend(p->reactors[0])), why);
}

/*
 * A source runs on the reactor its own "reactor" property names (a class
 * that offers one: multitcpsrc, one listener per reactor), else on reactor
 * 0, or on the first reactor of its node: the one its "numa-node" names,
 * else the node of its device (px_element_device_node), said on the bus.
 */
static int place_source(struct px_element *e)
{
	int nodes = px_topology_numa_nodes();
	int node = e->numa_node >= 0 ? e->numa_node : e->device_node;
	int64_t v = int_prop(e, "reactor");

	if (v >= 0) {
		if (reactor_check(e, v) < 0)
			return -EINVAL;
		e->reactor_index = (unsigned)v;
		return 0;
	}
	if (px__elem_numa_node_check(e, node) < 0)
		return -ENODEV;
	if (node <= 0 || nodes < 2)
		return 0;
	e->reactor_index = (unsigned)node; /* reactor i: node i % nodes */
	if (e->numa_node < 0)
		px__bus_postf(e->pipeline->bus, PX_MSG_INFO, 0, e->name,
			      "%s runs on NUMA node %d, the node of its device",
			      e->name, node);
	return 0;
}

static int assign_reactors(struct px_pipeline *p, unsigned *n_reactors)
{
	struct px_element **order = calloc(p->n_elems, sizeof(*order));
	unsigned max = 0;
	int err = 0;

	if (!order)
		return -ENOMEM;
	err = px__pipeline_toposort(p, order, NULL);
	for (unsigned i = 0; !err && i < p->n_elems; i++) {
		struct px_element *e = order[i];
		struct px_pad *in = NULL;

		for (unsigned j = 0; j < e->n_sink && !in; j++)
			if (e->sink[j]->link)
				in = e->sink[j];
		e->reactor_index = 0;
		if (!in) {
			err = place_source(e);
		} else {
			struct px_element *up = in->peer;

			if (up->cls->flags & PX_ELEMENT_THREAD_BOUNDARY)
				err = boundary_target(up, &e->reactor_index);
			else
				e->reactor_index = up->reactor_index;
		}
		if (e->reactor_index > max)
			max = e->reactor_index;
	}
	if (!err)
		query_allocation(p, order);
	free(order);
	*n_reactors = max + 1;
	return err;
}

static void free_rings(struct px_pipeline *p)
{
	struct px_list *pos;

	px_list_for_each(pos, &p->links) {
		struct px_link *l = px_list_entry(pos, struct px_link, node);

		px__link_free_ring(l);
	}
}

static int make_rings(struct px_pipeline *p)
{
	struct px_list *pos;

	px_list_for_each(pos, &p->links) {
		struct px_link *l = px_list_entry(pos, struct px_link, node);
		unsigned want = l->req_capacity, pads;
		int err;

		pads = PX_MAX(l->src->req_capacity, l->sink->req_capacity);
		if (!want)
			want = pads ? pads : PX__LINK_DEFAULT_CAPACITY;
		else
			want = PX_MAX(want, pads);
		l->capacity = round_pow2(want);
		l->half = l->capacity / 2;
		err = px__link_alloc(l, l->src->elem->reactor_index ==
						l->sink->elem->reactor_index);
		if (err)
			return err;
		px_log_cat("link", l->src->elem, PX_LOG_DEBUG,
			   "%s:%s -> %s:%s: %s link of %u items",
			   l->src->elem->name, l->src->name,
			   l->sink->elem->name, l->sink->name,
			   px__link_kind_name(l), l->capacity);
	}
	return 0;
}

static void destroy_reactors(struct px_pipeline *p)
{
	for (unsigned i = 0; i < p->n_reactors; i++)
		px_reactor_destroy(p->reactors[i]);
	free(p->reactors);
	p->reactors = NULL;
	p->n_reactors = 0;
	for (unsigned i = 0; i < p->n_elems; i++)
		p->elems[i]->reactor = NULL;
}

static int up_ready(struct px_pipeline *p)
{
	unsigned n = 0;
	int nodes, err;

	p->gen = px__bus_new_generation(p->bus);
	err = px_pipeline_validate(p);
	if (err)
		return err;
	err = assign_reactors(p, &n);
	if (err)
		return err;
	p->reactors = calloc(n, sizeof(*p->reactors));
	if (!p->reactors)
		return -ENOMEM;
	nodes = px_topology_numa_nodes();
	for (unsigned i = 0; i < n; i++) {
		struct px_reactor_config cfg = PX_REACTOR_CONFIG_DEFAULT;
		char name[16];

		snprintf(name, sizeof(name), "px-r%u", i);
		cfg.name = name;
		cfg.numa_node = nodes > 1 ? (int)(i % (unsigned)nodes) : -1;
		err = px_reactor_create(&cfg, &p->reactors[i]);
		if (!err) {
			/* Reactor i of the pipeline, as "reactor=i" says. */
			px__reactor_set_index(p->reactors[i], i);
			p->n_reactors++;
			err = px_reactor_start(p->reactors[i]);
		}
		if (err) {
			const char *why = "";

			if (err == -ENOSYS || err == -EINVAL)
				(void)px_backend_default(&why);
			px__pipeline_fail(p, err, NULL,
					  "cannot start reactor %u of %s: %s%s%s",
					  i, p->name, px_strerror(err),
					  *why ? ": " : "", why);
			goto err_rings;
		}
	}
	announce_backend(p);
	for (unsigned i = 0; i < p->n_elems; i++) {
		struct px_element *e = p->elems[i];

		e->reactor = p->reactors[e->reactor_index];
		px_task_init(&e->task, px__element_task);
	}
	err = make_rings(p);
	if (err) {
		px__pipeline_fail(p, err, NULL, "cannot allocate links: %s",
				  px_strerror(err));
		goto err_rings;
	}
	p->n_sinks = 0;
	for (unsigned i = 0; i < p->n_elems; i++)
		p->n_sinks += p->elems[i]->n_src == 0;
	return 0;
err_rings:
	free_rings(p);
	destroy_reactors(p);
	return err;
}

static void down_null(struct px_pipeline *p)
{
	destroy_reactors(p);
	free_rings(p);
}

/* ---- READY <-> PAUSED --------------------------------------------------------- */

struct start_call {
	struct px_element *e;
	int err;
};

static void start_fn(void *arg)
{
	struct start_call *sc = arg;
	struct px_element *e = sc->e;

	sc->err = e->cls->start ? e->cls->start(e) : 0;
	px_log_cat("element", e, sc->err ? PX_LOG_WARNING : PX_LOG_INFO,
		   "start() on reactor %u: %s", e->reactor_index,
		   sc->err ? px_strerror(sc->err) : "ok");
}

int px__element_start(struct px_pipeline *p, struct px_element *e)
{
	struct start_call sc = { .e = e };
	int err = px__pipeline_run_on(p, e->reactor, start_fn, &sc);

	return err ? err : sc.err;
}

void px__element_stop_fn(void *arg)
{
	struct px_element *e = arg;
	int r = e->cls->stop ? e->cls->stop(e) : 0;

	px_log_cat("element", e, PX_LOG_INFO, "stop(): %s",
		   r < 0 ? px_strerror(r) : r ? "finishing later" : "done");

	if (r < 0)
		px_element_warning(e, "%s: stop failed: %s", e->name,
				   px_strerror(r));
	px__element_stop_result(e, r);
}

static void unregister_fn(void *arg)
{
	struct px__epool *ep = arg;

	(void)px_reactor_unregister_pool(ep->reactor, ep->pool);
}

static void reset_run(struct px_pipeline *p)
{
	struct px_list *pos;

	for (unsigned i = 0; i < p->n_elems; i++) {
		struct px_element *e = p->elems[i];

		e->eos_reached = false;
		e->wait_ep = NULL;
		e->stopped = false;
		e->started = false;
		px__element_stats_reset(e);
		e->replace = NULL;
		e->ops.closing = false;
		for (unsigned j = 0; j < e->n_pads; j++) {
			struct px_pad *pad = e->pads[j];

			pad->eos = false;
			pad->retiring = pad->retire_eos_given = false;
			pad->retire_left = pad->caps_seen = pad->caps_inject = 0;
			px__pad_caps_reset(pad);
		}
	}
	px_list_for_each(pos, &p->links)
		px__link_reset(px_list_entry(pos, struct px_link, node));
	/* relaxed: no reactor runs this pipeline's elements now; the posts
	 * that start them (a lock each) publish these resets to them. */
	atomic_store_explicit(&p->flow, PX__FLOW_IDLE, memory_order_relaxed);
	atomic_store_explicit(&p->eos_requested, 0, memory_order_relaxed);
	atomic_store_explicit(&p->sinks_eos, 0, memory_order_relaxed);
	atomic_store_explicit(&p->t_start, 0, memory_order_relaxed);
	atomic_store_explicit(&p->t_end, 0, memory_order_relaxed);
	p->t_acc = 0;
	/* The snapshots of the previous run give way to this run's pools. */
	pthread_mutex_lock(&p->mu);
	while (!px_list_empty(&p->old_pools)) {
		struct px_list *n = p->old_pools.next;

		px_list_del(n);
		px__epool_free(px_list_entry(n, struct px__epool, node));
	}
	pthread_mutex_unlock(&p->mu);
}

static void drain_rings(struct px_pipeline *p)
{
	struct px_list *pos;

	px_list_for_each(pos, &p->links) {
		struct px_link *l = px_list_entry(pos, struct px_link, node);
		struct px_item it;

		while (px_ring_view_dequeue(&l->ring, &it))
			px_item_release(&it);
	}
}

/* Destroy every pool of this run once its buffers are back; keep stats. */
static void destroy_pools(struct px_pipeline *p)
{
	struct px_list *pos, *tmp;

	pthread_mutex_lock(&p->mu);
	px_list_for_each_safe(pos, tmp, &p->pools) {
		struct px__epool *ep = px_list_entry(pos, struct px__epool,
						     node);
		uint32_t avail = px_pool_available(ep->pool);

		px_pool_set_notify(ep->pool, NULL, NULL);
		px_pool_stats(ep->pool, &ep->snap);
		if (avail != ep->slots) {
			/* An element still holds buffers: destroying the
			 * pool would turn its bug into a use-after-free. */
			px__bus_postf(p->bus, PX_MSG_WARNING, -EBUSY,
				      ep->owner->name,
				      "pool %s: %u of %u buffers still held "
				      "after stop; the pool is leaked",
				      ep->name, ep->slots - avail, ep->slots);
		} else {
			px_pool_destroy(ep->pool);
			/* A file pool leaves its file only after a crash. */
			if (ep->path)
				(void)unlink(ep->path);
		}
		ep->pool = NULL;
		px_list_del(pos);
		px_list_add_tail(&p->old_pools, pos);
	}
	pthread_mutex_unlock(&p->mu);
}

static void down_ready(struct px_pipeline *p)
{
	struct px_list *pos;
	unsigned pending = 0;

	/* release: reactors that see STOPPING see everything before it */
	atomic_store_explicit(&p->flow, PX__FLOW_STOPPING, memory_order_release);
	pthread_mutex_lock(&p->mu);
	for (unsigned i = 0; i < p->n_elems; i++)
		pending += p->elems[i]->started;
	p->ctl_pending = pending;
	pthread_mutex_unlock(&p->mu);
	for (unsigned i = 0; i < p->n_elems; i++) {
		struct px_element *e = p->elems[i];

		if (e->started &&
		    px__pipeline_run_on(p, e->reactor, px__element_stop_fn, e))
			px__pipeline_stop_done(p, e);
	}
	pthread_mutex_lock(&p->mu);
	while (p->ctl_pending)
		pthread_cond_wait(&p->cv, &p->mu);
	pthread_mutex_unlock(&p->mu);
	/* Unregister pools on their reactors (the list is stable now). */
	px_list_for_each(pos, &p->pools) {
		struct px__epool *ep = px_list_entry(pos, struct px__epool,
						     node);
		if (ep->reactor)
			(void)px__pipeline_run_on(p, ep->reactor, unregister_fn,
						  ep);
		ep->reactor = NULL;
	}
	drain_rings(p);
	destroy_pools(p);
	for (unsigned i = 0; i < p->n_elems; i++)
		p->elems[i]->started = false;
}

static int up_paused(struct px_pipeline *p)
{
	/* A new run: an EOS or ERROR of the last one no longer ends a wait. */
	p->gen = px__bus_new_generation(p->bus);
	reset_run(p);
	/* Sinks first, so a consumer is ready before its producer. */
	for (unsigned i = p->n_elems; i-- > 0;) {
		struct px_element *e = p->elems[i];
		int err;

		e->start_error[0] = '\0';
		err = px__element_start(p, e);
		if (err) {
			/* The element's own sentence (already on the bus) is
			 * the best explanation px_pipeline_error() can give. */
			if (!p->error[0] && e->start_error[0])
				snprintf(p->error, sizeof(p->error), "%s",
					 e->start_error);
			else if (!p->error[0])
				px__pipeline_fail(p, err, e->name,
						  "%s failed to start: %s",
						  e->name, px_strerror(err));
			down_ready(p);
			return err;
		}
		e->started = true;
	}
	return 0;
}

/* ---- PAUSED <-> PLAYING ------------------------------------------------------- */

static void eos_arm(struct px_pipeline *p);

static void eos_cb(struct px_op *op, int res, uint32_t flags)
{
	struct px_pipeline *p = px_container_of(op, struct px_pipeline, eos_op);

	(void)flags;
	if (res == (int)sizeof(p->eos_buf) && !p->eos_stop) {
		/* Under mu: px_pipeline_replace may swap an entry meanwhile. */
		pthread_mutex_lock(&p->mu);
		for (unsigned i = 0; i < p->n_elems; i++)
			if (p->elems[i]->n_sink == 0)
				px__element_wake(p->elems[i]);
		pthread_mutex_unlock(&p->mu);
		eos_arm(p);
		return;
	}
	pthread_mutex_lock(&p->mu);
	p->eos_armed = false;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
}

/* Reactor 0's thread. eos_armed is written here and in eos_disarm (same
 * thread) and read by the application thread under mu. */
static void eos_arm(struct px_pipeline *p)
{
	int err = px_io_read(p->reactors[0], &p->eos_op, p->eos_fd,
			     &p->eos_buf, sizeof(p->eos_buf), (uint64_t)-1,
			     eos_cb);

	pthread_mutex_lock(&p->mu);
	p->eos_armed = err == 0;
	pthread_cond_broadcast(&p->cv);
	pthread_mutex_unlock(&p->mu);
}

static void eos_arm_fn(void *arg)
{
	eos_arm(arg);
}

static void eos_disarm_fn(void *arg)
{
	struct px_pipeline *p = arg;

	p->eos_stop = true; /* eos_cb must not re-arm */
	if (px_io_cancel(p->reactors[0], &p->eos_op) == -ENOENT) {
		pthread_mutex_lock(&p->mu);
		p->eos_armed = false;
		pthread_mutex_unlock(&p->mu);
	}
}

static void up_playing(struct px_pipeline *p)
{
	uint64_t v;

	/* Drop a stale request of an earlier run. */
	while (read(p->eos_fd, &v, sizeof(v)) > 0)
		;
	px_op_init(&p->eos_op);
	p->eos_stop = false; /* published to reactor 0 by the post below */
	(void)px__pipeline_run_on(p, p->reactors[0], eos_arm_fn, p);
	atomic_store_explicit(&p->t_end, 0, memory_order_relaxed);
	atomic_store_explicit(&p->t_start, px__now_ns(), memory_order_relaxed);
	/* release: the wakes below carry it to each element, but reactors
	 * also poll flow (relaxed, in push_check): what they see after RUNNING
	 * is at least what we wrote before it. */
	int expect = PX__FLOW_IDLE;
	atomic_compare_exchange_strong_explicit(&p->flow, &expect,
						PX__FLOW_RUNNING,
						memory_order_release,
						memory_order_relaxed);
	for (unsigned i = 0; i < p->n_elems; i++)
		px__element_wake(p->elems[i]);
	px__stall_start(p);
}

static void down_paused(struct px_pipeline *p)
{
	int expect = PX__FLOW_RUNNING;
	uint64_t start, end;

	px__stall_stop(p);
	/* relaxed: pausing only stops new work; the disarm below and the
	 * mutex wait order everything after it. */
	atomic_compare_exchange_strong_explicit(&p->flow, &expect,
						PX__FLOW_IDLE,
						memory_order_relaxed,
						memory_order_relaxed);
	(void)px__pipeline_run_on(p, p->reactors[0], eos_disarm_fn, p);
	pthread_mutex_lock(&p->mu);
	while (p->eos_armed) /* eos_cb fires with -ECANCELED */
		pthread_cond_wait(&p->cv, &p->mu);
	pthread_mutex_unlock(&p->mu);
	start = atomic_load_explicit(&p->t_start, memory_order_relaxed);
	end = atomic_load_explicit(&p->t_end, memory_order_relaxed);
	if (start)
		p->t_acc += (end ? end : px__now_ns()) - start;
	atomic_store_explicit(&p->t_start, 0, memory_order_relaxed);
	atomic_store_explicit(&p->t_end, 0, memory_order_relaxed);
}

/* ---- the state machine ---------------------------------------------------------- */

static void post_state(struct px_pipeline *p, enum px_state from,
		       enum px_state to)
{
	struct px_message m;
	char tag[32];

	/* relaxed: other threads read the state as a hint (send_eos); the
	 * application thread alone changes it, and the bus (a lock) orders
	 * the message after it. */
	atomic_store_explicit(&p->state, to, memory_order_relaxed);
	PX_TRACE(state_change, p->name, (int)from, (int)to);
	px_log_cat("pipeline", NULL, PX_LOG_INFO, "%s: %s -> %s", p->name,
		   px_state_name(from), px_state_name(to));
	memset(&m, 0, sizeof(m));
	m.type = PX_MSG_STATE_CHANGED;
	m.old_state = from;
	m.new_state = to;
	snprintf(m.source, sizeof(m.source), "%s", p->name);
	snprintf(m.text, sizeof(m.text), "%s changed state from %s to %s",
		 p->name, px_state_name(from), px_state_name(to));
	px__bus_post(p->bus, &m);
	snprintf(tag, sizeof(tag), "%s_%s", px_state_name(from),
		 px_state_name(to));
	px__dot_dump(p, tag);
}

PX_API int px_pipeline_set_state(struct px_pipeline *p, enum px_state target)
{
	int err = 0;

	if (!p || target < PX_STATE_NULL || target > PX_STATE_PLAYING)
		return -EINVAL;
	for (;;) {
		/* relaxed: our own thread's writes */
		enum px_state cur = (enum px_state)atomic_load_explicit(
			&p->state, memory_order_relaxed);

		if (cur == target)
			return 0;
		if (cur < target) {
			p->error[0] = '\0';
			switch (cur) {
			case PX_STATE_NULL:
				err = up_ready(p);
				break;
			case PX_STATE_READY:
				err = up_paused(p);
				break;
			default:
				up_playing(p);
				break;
			}
			if (err)
				return err;
			post_state(p, cur, cur + 1);
		} else {
			switch (cur) {
			case PX_STATE_PLAYING:
				down_paused(p);
				break;
			case PX_STATE_PAUSED:
				down_ready(p);
				break;
			default:
				down_null(p);
				break;
			}
			post_state(p, cur, cur - 1);
		}
	}
}

PX_API int px_pipeline_play(struct px_pipeline *p)
{
	return px_pipeline_set_state(p, PX_STATE_PLAYING);
}

PX_API int px_pipeline_stop(struct px_pipeline *p)
{
	return px_pipeline_set_state(p, PX_STATE_NULL);
}

PX_API int px_pipeline_send_eos(struct px_pipeline *p)
{
	uint64_t one = 1;
	ssize_t n;

	/* relaxed: a hint; a request that races a state change is dropped by
	 * the next reset or never read */
	if (!p || atomic_load_explicit(&p->state, memory_order_relaxed) !=
			  PX_STATE_PLAYING)
		return -EINVAL;
	/* release: a source that sees the wakeup sees the flag */
	atomic_store_explicit(&p->eos_requested, 1, memory_order_release);
	n = write(p->eos_fd, &one, sizeof(one));
	(void)n; /* a full counter still wakes the reader */
	return 0;
}

PX_API int px_pipeline_wait(struct px_pipeline *p, int64_t timeout_ns,
			    struct px_message *msg)
{
	struct px_message m;
	int err;

	if (!p)
		return -EINVAL;
	err = px__bus_wait_end(p->bus, p->gen, timeout_ns, &m);
	if (err)
		return err;
	if (msg)
		*msg = m;
	if (m.type == PX_MSG_ERROR)
		px__dot_dump(p, "error");
	return m.type == PX_MSG_ERROR ? (m.code < 0 ? m.code : -EIO) : 0;
}
