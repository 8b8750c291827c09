// SPDX-License-Identifier: MIT
/*
 * pipeline.c - building the graph: create and name elements, link pads
 * (always pads, request pads made on demand, caps checked), find elements,
 * and validate the graph before it runs. States live in pipeline_state.c.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "bus_int.h"
#include "pipeline_int.h"
#include "plugin_int.h"
#include "px_error.h"
#include "px_registry.h"

static atomic_uint pipeline_counter;

void px__pipeline_fail(struct px_pipeline *p, int code, const char *source,
		       const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(p->error, sizeof(p->error), fmt, ap);
	va_end(ap);
	/* A refused px_pipeline_replace leaves the running pipeline alone:
	 * the caller has the sentence (px_pipeline_error), the bus nothing. */
	if (!p->replacing)
		px__bus_postf(p->bus, PX_MSG_ERROR, code,
			      source ? source : p->name, "%s", p->error);
}

PX_API int px_pipeline_create(const char *name, struct px_pipeline **out)
{
	struct px_pipeline *p;
	pthread_condattr_t ca;
	const char *env;
	int err;

	if (!out)
		return -EINVAL;
	p = calloc(1, sizeof(*p));
	if (!p)
		return -ENOMEM;
	err = px__bus_create(&p->bus);
	if (err) {
		free(p);
		return err;
	}
	p->eos_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (p->eos_fd < 0) {
		err = -errno;
		px__bus_destroy(p->bus);
		free(p);
		return err;
	}
	if (name)
		snprintf(p->name, sizeof(p->name), "%s", name);
	else
		snprintf(p->name, sizeof(p->name), "pipeline%u",
			 atomic_fetch_add_explicit(&pipeline_counter, 1,
						   memory_order_relaxed));
	p->t_created = px__now_ns();
	p->latency_sample = PX_LATENCY_SAMPLE_DEFAULT;
	p->replace_timeout_ns = PX_REPLACE_TIMEOUT_DEFAULT_NS;
	env = getenv("PX_LATENCY");
	if (env && *env && px__latency_env(p, env))
		px__bus_postf(p->bus, PX_MSG_WARNING, -EINVAL, p->name,
			      "PX_LATENCY=%s is not MODE[/SAMPLE] with MODE "
			      "sinks, all or off: sinks record latency, one "
			      "burst in %u stamped",
			      env, PX_LATENCY_SAMPLE_DEFAULT);
	px_list_init(&p->links);
	px_list_init(&p->pools);
	px_list_init(&p->old_pools);
	pthread_mutex_init(&p->mu, NULL);
	pthread_mutex_init(&p->caps_mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&p->cv, &ca);
	pthread_condattr_destroy(&ca);
	*out = p;
	return 0;
}

static void free_pools(struct px_list *head)
{
	struct px_list *pos, *tmp;

	px_list_for_each_safe(pos, tmp, head) {
		struct px__epool *ep = px_list_entry(pos, struct px__epool,
						     node);
		px_list_del(pos);
		px__epool_free(ep);
	}
}

PX_API void px_pipeline_destroy(struct px_pipeline *p)
{
	struct px_list *pos, *tmp;

	if (!p)
		return;
	(void)px_pipeline_set_state(p, PX_STATE_NULL);
	px_list_for_each_safe(pos, tmp, &p->links) {
		struct px_link *l = px_list_entry(pos, struct px_link, node);

		px_list_del(pos);
		px_caps_unref(l->filter);
		px_caps_unref(l->caps);
		free(l->mem);
		free(l);
	}
	for (unsigned i = 0; i < p->n_elems; i++)
		px__element_destroy(p->elems[i]);
	px__replace_free(p);
	free(p->elems);
	free(p->counts);
	free_pools(&p->pools); /* only pools leaked by an element remain */
	free_pools(&p->old_pools);
	free(p->reactors);
	close(p->eos_fd);
	px__bus_destroy(p->bus);
	pthread_cond_destroy(&p->cv);
	px__caps_table_free(p);
	pthread_mutex_destroy(&p->caps_mu);
	pthread_mutex_destroy(&p->mu);
	free(p);
}

PX_API const char *px_pipeline_name(const struct px_pipeline *p)
{
	return p->name;
}

PX_API int px_pipeline_set_memory(struct px_pipeline *p,
				  const struct px_memory *m)
{
	if (!p || !m || (unsigned)m->kind > PX_MEMORY_FILE ||
	    (m->numa_fixed && m->numa_node < -1) ||
	    (m->kind == PX_MEMORY_FILE &&
	     (m->dir[0] != '/' || !memchr(m->dir, 0, sizeof(m->dir)))))
		return -EINVAL;
	if (px_pipeline_state(p) > PX_STATE_READY) {
		px__pipeline_fail(p, -EBUSY, p->name,
				  "cannot change the memory of %s while it "
				  "is %s: its pools exist",
				  p->name, px_state_name(px_pipeline_state(p)));
		return -EBUSY;
	}
	p->memory = *m;
	return 0;
}

PX_API const struct px_memory *px_pipeline_memory(const struct px_pipeline *p)
{
	return &p->memory;
}

PX_API const char *px_pipeline_error(const struct px_pipeline *p)
{
	return p->error;
}

PX_API struct px_bus *px_pipeline_bus(const struct px_pipeline *p)
{
	return p->bus;
}

PX_API enum px_state px_pipeline_state(const struct px_pipeline *p)
{
	/* relaxed: p->state is only ever read as a hint by other threads
	 * (post_state() in pipeline_state.c says why). */
	return (enum px_state)atomic_load_explicit(&p->state,
						   memory_order_relaxed);
}

PX_API struct px_element *px_pipeline_find(const struct px_pipeline *p,
					   const char *name)
{
	for (unsigned i = 0; name && i < p->n_elems; i++)
		if (!strcmp(p->elems[i]->name, name))
			return p->elems[i];
	return NULL;
}

PX_API unsigned px_pipeline_element_count(const struct px_pipeline *p)
{
	return p->n_elems;
}

PX_API struct px_element *px_pipeline_element_at(const struct px_pipeline *p,
						 unsigned i)
{
	return i < p->n_elems ? p->elems[i] : NULL;
}

/* "<factory><n>" with the first n (per factory, per pipeline) not taken. */
static int auto_name(struct px_pipeline *p, const struct px_element_class *cls,
		     char *buf, size_t len)
{
	struct px__factory_count *fc = NULL;

	for (unsigned i = 0; i < p->n_counts; i++)
		if (p->counts[i].cls == cls)
			fc = &p->counts[i];
	if (!fc) {
		struct px__factory_count *c =
			realloc(p->counts, (p->n_counts + 1) * sizeof(*c));
		if (!c)
			return -ENOMEM;
		p->counts = c;
		fc = &c[p->n_counts++];
		fc->cls = cls;
		fc->next = 0;
	}
	do
		snprintf(buf, len, "%s%u", cls->name, fc->next++);
	while (px_pipeline_find(p, buf));
	return 0;
}

PX_API int px_pipeline_add(struct px_pipeline *p, const char *factory,
			   const char *name, struct px_element **out)
{
	const struct px_element_class *cls;
	struct px_element *e;
	char auto_buf[PX__NAME_MAX];
	int err;

	if (!p || !factory)
		return -EINVAL;
	p->error[0] = '\0';
	if (px_pipeline_state(p) != PX_STATE_NULL) {
		px__pipeline_fail(p, -EBUSY, NULL,
				  "cannot add %s: the pipeline is %s (add "
				  "elements in NULL)",
				  factory, px_state_name(px_pipeline_state(p)));
		return -EBUSY;
	}
	cls = px_registry_find(factory);
	if (!cls) {
		const char *best = px_registry_suggest(factory);
		char why[PX__ERROR_MAX / 2] = "";

		px__plugin_explain(factory, why, sizeof(why));
		if (best)
			px__pipeline_fail(p, -ENOENT, NULL,
					  "no element '%s' (did you mean "
					  "'%s'?)%s",
					  factory, best, why);
		else
			px__pipeline_fail(p, -ENOENT, NULL,
					  "no element '%s' (px-inspect lists "
					  "them all)%s",
					  factory, why);
		return -ENOENT;
	}
	if (name) {
		if (px_pipeline_find(p, name)) {
			px__pipeline_fail(p, -EEXIST, NULL,
					  "an element named '%s' already exists "
					  "in %s",
					  name, p->name);
			return -EEXIST;
		}
		if (!name[0] || strlen(name) >= PX__NAME_MAX) {
			px__pipeline_fail(p, -EINVAL, NULL,
					  "element name '%s' must have 1 to %d "
					  "characters",
					  name, PX__NAME_MAX - 1);
			return -EINVAL;
		}
	} else {
		err = auto_name(p, cls, auto_buf, sizeof(auto_buf));
		if (err)
			return err;
		name = auto_buf;
	}
	if (p->n_elems == p->cap_elems) {
		unsigned cap = p->cap_elems ? p->cap_elems * 2 : 8;
		struct px_element **a = realloc(p->elems, cap * sizeof(*a));
		if (!a)
			return -ENOMEM;
		p->elems = a;
		p->cap_elems = cap;
	}
	err = px__element_create(p, cls, name, false, &e);
	if (err)
		return err;
	p->elems[p->n_elems++] = e;
	if (out)
		*out = e;
	return 0;
}

/* ---- linking --------------------------------------------------------------- */

/* Whether NAME is an instance of request template TNAME ("src_%u"). */
static bool matches_template(const char *tname, const char *name)
{
	const char *pct = strstr(tname, "%u");
	size_t pre;

	if (!pct)
		return false;
	pre = (size_t)(pct - tname);
	if (strncmp(tname, name, pre))
		return false;
	name += pre;
	if (!*name)
		return false;
	while (*name >= '0' && *name <= '9')
		name++;
	return !strcmp(name, pct + 2);
}

/* Remove E's newest pad (a request pad made for a link that failed). */
static void drop_newest_pad(struct px_element *e)
{
	struct px_pad *pad = e->pads[--e->n_pads];

	if (pad->dir == PX_PAD_SRC)
		e->n_src--;
	else
		e->n_sink--;
	px_caps_unref(pad->caps);
	free(pad);
}

/* A new request pad of E from template T; NAME NULL picks the lowest
 * free number. */
static int make_request_pad(struct px_element *e,
			    const struct px_pad_template *t, const char *name,
			    struct px_pad **out)
{
	char buf[PX__PAD_NAME_MAX];
	unsigned num = 0;
	int err;

	if (!name) {
		const char *pct = strstr(t->name, "%u");
		int pre = pct ? (int)(pct - t->name) : (int)strlen(t->name);

		do
			snprintf(buf, sizeof(buf), "%.*s%u%s", pre, t->name,
				 num++, pct ? pct + 2 : "");
		while (px_element_pad(e, buf));
		name = buf;
	}
	err = px__element_add_pad(e, t, name, out);
	if (err)
		return err;
	if (e->cls->pad_added) {
		err = e->cls->pad_added(e, *out);
		if (err) {
			drop_newest_pad(e);
			*out = NULL;
			if (!e->pipeline->error[0])
				px__pipeline_fail(e->pipeline, err, e->name,
						  "%s refused a new pad: %s",
						  e->name, px_strerror(err));
			return err;
		}
	}
	return 0;
}

static const char *dir_name(enum px_pad_direction d)
{
	return d == PX_PAD_SRC ? "src" : "sink";
}

/* Find or make the pad NAME (NULL: any free one) of E in direction DIR. */
static int resolve_pad(struct px_element *e, const char *name,
		       enum px_pad_direction dir, struct px_pad **out)
{
	struct px_pipeline *p = e->pipeline;
	const struct px_element_class *cls = e->cls;
	struct px_pad *pad;

	if (!name) {
		for (unsigned i = 0; i < e->n_pads; i++) {
			pad = e->pads[i];
			if (pad->dir == dir && !pad->link &&
			    pad->tmpl->presence == PX_PAD_ALWAYS) {
				*out = pad;
				return 0;
			}
		}
		for (unsigned i = 0; i < cls->n_pads; i++)
			if (cls->pads[i].direction == dir &&
			    cls->pads[i].presence == PX_PAD_REQUEST)
				return make_request_pad(e, &cls->pads[i], NULL,
							out);
		for (unsigned i = 0; i < e->n_pads; i++) {
			if (e->pads[i]->dir == dir) {
				px__pipeline_fail(p, -EBUSY, e->name,
						  "%s has no free %s pad (%s:%s "
						  "is already linked)",
						  e->name, dir_name(dir),
						  e->name, e->pads[i]->name);
				return -EBUSY;
			}
		}
		px__pipeline_fail(p, -ENOENT, e->name,
				  "%s (%s) has no %s pads: it cannot be "
				  "linked %s",
				  e->name, cls->name, dir_name(dir),
				  dir == PX_PAD_SRC ? "to a downstream element" :
						      "from an upstream element");
		return -ENOENT;
	}
	pad = px_element_pad(e, name);
	if (pad) {
		if (pad->dir != dir) {
			px__pipeline_fail(p, -EINVAL, e->name,
					  "%s:%s is a %s pad, not a %s pad",
					  e->name, name, dir_name(pad->dir),
					  dir_name(dir));
			return -EINVAL;
		}
		*out = pad;
		return 0;
	}
	for (unsigned i = 0; i < cls->n_pads; i++) {
		const struct px_pad_template *t = &cls->pads[i];

		if (t->presence != PX_PAD_REQUEST || t->direction != dir)
			continue;
		if (!strcmp(t->name, name))
			return make_request_pad(e, t, NULL, out);
		if (matches_template(t->name, name))
			return make_request_pad(e, t, name, out);
	}
	/* Suggest the nearest pad or template name. */
	const char *best = NULL;
	unsigned best_d = ~0u;
	for (unsigned i = 0; i < e->n_pads; i++) {
		unsigned d = px__edit_distance(name, e->pads[i]->name);
		if (d < best_d) {
			best_d = d;
			best = e->pads[i]->name;
		}
	}
	for (unsigned i = 0; i < cls->n_pads; i++) {
		unsigned d = px__edit_distance(name, cls->pads[i].name);
		if (d < best_d) {
			best_d = d;
			best = cls->pads[i].name;
		}
	}
	if (best && px__suggestable(best_d, strlen(name)))
		px__pipeline_fail(p, -ENOENT, e->name,
				  "%s has no pad '%s' (did you mean '%s'?)",
				  e->name, name, best);
	else
		px__pipeline_fail(p, -ENOENT, e->name,
				  "%s has no pad '%s' (see px-inspect %s)",
				  e->name, name, cls->name);
	return -ENOENT;
}

/* Whether SRC caps, FILTER and SINK caps have a common value. */
/* Whether SRC, through FILTER (NULL: none), meets SINK: 0, -EINVAL when
 * they contradict each other, -ENOMEM. */
static int link_caps_check(const struct px_caps *src,
			   const struct px_caps *filter,
			   const struct px_caps *sink)
{
	struct px_caps *tmp;
	int err;

	if (!filter)
		return px_caps_can_intersect(src, sink) ? 0 : -EINVAL;
	err = px_caps_intersect(src, filter, &tmp);
	if (err)
		return err == -ENODATA ? -EINVAL : err;
	err = px_caps_can_intersect(tmp, sink) ? 0 : -EINVAL;
	px_caps_unref(tmp);
	return err;
}

/* The sentence for a caps mismatch on a link. */
static void fail_caps(struct px_pipeline *p, const struct px_pad *src,
		      const struct px_caps *filter, const struct px_pad *sink)
{
	char a[256], b[256], f[256];

	px_caps_to_string(src->caps, a, sizeof(a));
	px_caps_to_string(sink->caps, b, sizeof(b));
	if (filter) {
		px_caps_to_string(filter, f, sizeof(f));
		px__pipeline_fail(p, -EINVAL, src->elem->name,
				  "cannot link %s:%s (caps %s) to %s:%s (caps "
				  "%s) through filter %s: caps do not intersect",
				  src->elem->name, src->name, a,
				  sink->elem->name, sink->name, b, f);
	} else {
		px__pipeline_fail(p, -EINVAL, src->elem->name,
				  "cannot link %s:%s (caps %s) to %s:%s (caps "
				  "%s): caps do not intersect",
				  src->elem->name, src->name, a,
				  sink->elem->name, sink->name, b);
	}
}

PX_API int px_element_link_pads(struct px_element *src, const char *srcpad,
				struct px_element *sink, const char *sinkpad,
				const struct px_caps *filter,
				unsigned capacity)
{
	struct px_pipeline *p;
	struct px_pad *sp = NULL, *kp = NULL;
	struct px_link *l;
	int err;

	if (!src || !sink)
		return -EINVAL;
	p = src->pipeline;
	p->error[0] = '\0';
	if (sink->pipeline != p) {
		px__pipeline_fail(p, -EINVAL, src->name,
				  "cannot link %s to %s: they are in different "
				  "pipelines",
				  src->name, sink->name);
		return -EINVAL;
	}
	if (src == sink) {
		px__pipeline_fail(p, -EINVAL, src->name,
				  "cannot link %s to itself", src->name);
		return -EINVAL;
	}
	if (px_pipeline_state(p) != PX_STATE_NULL) {
		px__pipeline_fail(p, -EBUSY, src->name,
				  "cannot link %s to %s while the pipeline is "
				  "%s",
				  src->name, sink->name,
				  px_state_name(px_pipeline_state(p)));
		return -EBUSY;
	}
	if (capacity > PX__LINK_MAX_CAPACITY) {
		px__pipeline_fail(p, -EINVAL, src->name,
				  "link capacity %u is above the maximum %u",
				  capacity, PX__LINK_MAX_CAPACITY);
		return -EINVAL;
	}
	unsigned src_pads = src->n_pads, sink_pads = sink->n_pads;
	err = resolve_pad(src, srcpad, PX_PAD_SRC, &sp);
	if (err)
		return err;
	err = resolve_pad(sink, sinkpad, PX_PAD_SINK, &kp);
	if (err)
		goto drop_pads;
	err = -EBUSY;
	if (sp->link || kp->link) {
		struct px_pad *busy = sp->link ? sp : kp;
		struct px_pad *peer = busy->dir == PX_PAD_SRC ?
					      busy->link->sink :
					      busy->link->src;
		px__pipeline_fail(p, -EBUSY, busy->elem->name,
				  "%s:%s is already linked to %s:%s",
				  busy->elem->name, busy->name,
				  peer->elem->name, peer->name);
		goto drop_pads;
	}
	err = link_caps_check(sp->caps, filter, kp->caps);
	if (err) {
		if (err == -EINVAL)
			fail_caps(p, sp, filter, kp);
		goto drop_pads;
	}
	err = -ENOMEM;
	l = calloc(1, sizeof(*l));
	if (!l)
		goto drop_pads;
	l->src = sp;
	l->sink = kp;
	l->filter = filter ? px_caps_ref((struct px_caps *)filter) : NULL;
	l->req_capacity = capacity;
	sp->link = kp->link = l;
	sp->peer = sink;
	kp->peer = src;
	px_list_add_tail(&p->links, &l->node);
	return 0;
drop_pads:
	/* Request pads made for this link go again. */
	if (sink->n_pads > sink_pads)
		drop_newest_pad(sink);
	if (src->n_pads > src_pads)
		drop_newest_pad(src);
	return err;
}

PX_API int px_element_link(struct px_element *src, struct px_element *sink)
{
	return px_element_link_pads(src, NULL, sink, NULL, NULL, 0);
}

/* ---- validation ------------------------------------------------------------ */

int px__pipeline_toposort(struct px_pipeline *p, struct px_element **order,
			  struct px_element **cycle_at)
{
	unsigned head = 0, tail = 0;

	/* topo = linked sink pads not yet satisfied (Kahn's algorithm) */
	for (unsigned i = 0; i < p->n_elems; i++) {
		struct px_element *e = p->elems[i];

		e->topo = 0;
		for (unsigned j = 0; j < e->n_sink; j++)
			e->topo += e->sink[j]->link != NULL;
		if (!e->topo)
			order[tail++] = e;
	}
	while (head < tail) {
		struct px_element *e = order[head++];

		for (unsigned j = 0; j < e->n_src; j++) {
			struct px_pad *pad = e->src[j];

			if (pad->link && --pad->peer->topo == 0)
				order[tail++] = pad->peer;
		}
	}
	if (tail == p->n_elems)
		return 0;
	for (unsigned i = 0; i < p->n_elems; i++) {
		if (p->elems[i]->topo) {
			if (cycle_at)
				*cycle_at = p->elems[i];
			break;
		}
	}
	return -EINVAL;
}

PX_API int px_pipeline_validate(struct px_pipeline *p)
{
	struct px_element **order, *cyc = NULL;
	struct px_list *pos;
	bool has_src = false, has_sink = false;
	int err;

	if (!p)
		return -EINVAL;
	p->error[0] = '\0';
	if (!p->n_elems) {
		px__pipeline_fail(p, -EINVAL, NULL,
				  "the pipeline is empty: add a source and a "
				  "sink (e.g. fakesrc ! fakesink)");
		return -EINVAL;
	}
	for (unsigned i = 0; i < p->n_elems; i++) {
		struct px_element *e = p->elems[i];

		has_src |= e->n_sink == 0;
		has_sink |= e->n_src == 0;
		for (unsigned j = 0; j < e->n_pads; j++) {
			struct px_pad *pad = e->pads[j];

			if (pad->link || pad->tmpl->presence != PX_PAD_ALWAYS)
				continue;
			px__pipeline_fail(p, -EINVAL, e->name,
					  "%s:%s is not linked: every always "
					  "pad needs a link (%s)",
					  e->name, pad->name,
					  pad->dir == PX_PAD_SRC ?
						  "link it to a downstream "
						  "element, e.g. ! fakesink" :
						  "link an upstream element to "
						  "it");
			return -EINVAL;
		}
	}
	if (!has_src || !has_sink) {
		px__pipeline_fail(p, -EINVAL, NULL,
				  "the pipeline has no %s: data needs a "
				  "source (no sink pads) and a sink (no src "
				  "pads)",
				  has_src ? "sink" : "source");
		return -EINVAL;
	}
	px_list_for_each(pos, &p->links) {
		struct px_link *l = px_list_entry(pos, struct px_link, node);

		err = px__link_set_caps(p, l);
		if (err) {
			if (err == -ENODATA)
				fail_caps(p, l->src, l->filter, l->sink);
			return err == -ENODATA ? -EINVAL : err;
		}
	}
	order = calloc(p->n_elems, sizeof(*order));
	if (!order)
		return -ENOMEM;
	err = px__pipeline_toposort(p, order, &cyc);
	if (err) {
		free(order);
		px__pipeline_fail(p, -EINVAL, cyc ? cyc->name : NULL,
				  "the pipeline has a cycle through %s: links "
				  "must flow one way, from sources to sinks",
				  cyc ? cyc->name : "?");
		return -EINVAL;
	}
	/* Caps across pass-through elements, sources first. */
	err = px__caps_propagate(p, order);
	free(order);
	return err;
}
