// SPDX-License-Identifier: MIT
/*
 * replace.c - px_pipeline_replace: swap one element of a PLAYING pipeline
 * for a new one, losing, repeating and reordering nothing.
 *
 * The old element keeps its input link until a cut; the new one takes the
 * links over where the old one's output ends:
 *
 *   1. Application thread: make the new element (detached: properties may
 *      be set while the pipeline plays), check its pads and caps against
 *      the two links, start it on the old one's reactor. A failure here
 *      leaves the old element running, untouched.
 *   2. Old element's reactor (px__pipeline_run_on): the cut. The items on
 *      its input link now are its to finish (retire_left); after them its
 *      sink pad hands it an EOS of its own, which every element flushes
 *      and passes on in order after its data.
 *   3. Same reactor, inside the old element's push of that EOS
 *      (px__replace_handover): the EOS goes nowhere; both links, their
 *      wait state and the caps state pass to the new element, which the
 *      link ends now name (a release store: the reactors at the other ends
 *      wake the new element from then on; a wakeup that raced to the old
 *      one is passed on by its task). The new element's first item is the
 *      stream's last CAPS event. Then the old element is stopped.
 *   4. Application thread: the new element takes the old one's place in
 *      the pipeline's tables; the old one is kept (its pools may still
 *      lend buffers downstream) and freed with the pipeline.
 *
 * Items before the cut leave through the old element, the rest through the
 * new one, in one order; EOS from upstream still ends the stream. If that
 * EOS comes before the cut, there is nothing left to hand over: the call
 * fails with -EPIPE and the old element finishes the stream.
 *
 * Step 4 waits at most the pipeline's replace timeout. Past it, step 2 is
 * undone on the old element's reactor (call_off_fn) if the old element has
 * not yet pulled the EOS of its own: it then simply goes on with its input
 * as before, the new element is stopped, and the call fails -ETIMEDOUT.
 * Once that EOS was pulled the element may be holding it (an output that
 * does not drain): undoing the cut then would let it out as a real EOS, so
 * the swap stands and the wait goes on until the hand-over or the end of
 * the run.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bus_int.h"
#include "link_int.h"
#include "parse_int.h"
#include "pipeline_int.h"
#include "px_error.h"
#include "px_registry.h"

struct px__replace {
	struct px_pipeline *p;
	struct px_element *old, *new;
	struct px_task finish;	/* step 3's end: stop the old element */
	/* under p->mu; done: cancelled, or handed over and the old element
	 * stopped (px_element_stop_done on a retired element) */
	bool handed, cancelled, abandoned;
	bool called_off; /* timed out before the old element's EOS */
	uint32_t left_at_cut; /* items the old element had to finish */
};

/* ---- reactor side ------------------------------------------------------------- */

static void finish_fn(struct px_task *t)
{
	struct px__replace *rp = px_container_of(t, struct px__replace, finish);

	px__element_stop_fn(rp->old); /* retired: its stop_done wakes us */
}

bool px__replace_handover(struct px_pad *pad)
{
	struct px_element *old = pad->elem, *new;
	struct px__replace *rp = old->replace;
	struct px_pad *os, *oo, *ns, *no;
	struct px_link *li, *lo;
	bool go;

	os = old->sink[0];
	if (!os->retire_eos_given)
		return false; /* an EOS of its own making: not ours */
	pthread_mutex_lock(&rp->p->mu);
	go = !rp->abandoned;
	rp->handed = go;
	pthread_mutex_unlock(&rp->p->mu);
	if (!go)
		return false;
	new = rp->new;
	oo = old->src[0];
	ns = new->sink[0];
	no = new->src[0];
	li = os->link;
	lo = oo->link;
	/* The new element's pads take the links and their caps state. */
	ns->link = li;
	no->link = lo;
	ns->caps_inject = os->caps_seen;
	no->caps_cur = oo->caps_cur;
	no->caps_sent = oo->caps_sent;
	os->link = NULL;
	oo->link = NULL;
	oo->eos = true;
	os->retiring = false;
	/* release: pairs with the acquire in px__link_wake_far on the other
	 * ends' reactors: who loads the new element sees its pads set. */
	atomic_store_explicit(&li->cons.elem, new, memory_order_release);
	atomic_store_explicit(&lo->prod.elem, new, memory_order_release);
	old->successor = new;
	old->retired = true;
	old->replace = NULL;
	new->detached = false; /* in the graph: its errors stop the run */
	px_element_schedule(new);
	px_task_init(&rp->finish, finish_fn);
	px_reactor_schedule(old->reactor, &rp->finish);
	return true;
}

void px__replace_cancel(struct px_element *e)
{
	struct px__replace *rp = e->replace;

	e->sink[0]->retiring = false;
	e->replace = NULL;
	pthread_mutex_lock(&rp->p->mu);
	rp->cancelled = true;
	pthread_cond_broadcast(&rp->p->cv);
	pthread_mutex_unlock(&rp->p->mu);
}

/* Step 2 (run on the old element's reactor): the cut. */
static void cut_fn(void *arg)
{
	struct px__replace *rp = arg;
	struct px_pad *in = rp->old->sink[0];

	if (in->eos) {
		rp->cancelled = true; /* under run_on's handshake */
		return;
	}
	rp->old->replace = rp;
	in->retire_left = px_ring_view_count(&in->link->ring);
	rp->left_at_cut = in->retire_left;
	in->retire_eos_given = false;
	in->retiring = true;
	px_element_schedule(rp->old);
}

/* After an abandon: the old element is not being replaced any more. The
 * items it had left to finish are just its input again. */
static void uncut(struct px_element *old)
{
	old->replace = NULL;
	old->sink[0]->retiring = false;
	old->sink[0]->retire_left = 0;
}

static void uncut_fn(void *arg)
{
	uncut(arg);
}

/* The timeout (old element's reactor): call the swap off while the old
 * element has not pulled its EOS; the hand-over cannot run meanwhile, it
 * runs on this thread. */
static void call_off_fn(void *arg)
{
	struct px__replace *rp = arg;
	struct px_pad *in = rp->old->sink[0];

	pthread_mutex_lock(&rp->p->mu);
	if (!rp->handed && !rp->cancelled && rp->old->replace == rp &&
	    !in->retire_eos_given) {
		rp->abandoned = true;
		rp->called_off = true;
	}
	pthread_mutex_unlock(&rp->p->mu);
	if (rp->called_off)
		uncut(rp->old);
}

/* ---- application side ----------------------------------------------------------- */

/* Keep E until the pipeline is destroyed (its pools may lend buffers). */
static int retire_keep(struct px_pipeline *p, struct px_element *e)
{
	if (p->n_retired == p->cap_retired) {
		unsigned cap = p->cap_retired ? p->cap_retired * 2 : 4;
		struct px_element **v = realloc(p->retired, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		p->retired = v;
		p->cap_retired = cap;
	}
	p->retired[p->n_retired++] = e;
	return 0;
}

void px__replace_free(struct px_pipeline *p)
{
	for (unsigned i = 0; i < p->n_retired; i++)
		px__element_destroy(p->retired[i]);
	free(p->retired);
	p->retired = NULL;
	p->n_retired = p->cap_retired = 0;
}

/* "factory prop=value ..." into a detached element named NAME. */
static int make_new(struct px_pipeline *p, const char *name, const char *desc,
		    struct px_element **out)
{
	struct px__parse_ast ast = { 0 };
	struct px_parse_error perr;
	const struct px_element_class *cls;
	const struct px__parse_node *n;
	struct px_element *e = NULL;
	int err;

	err = px__parse_syntax(desc, &ast, &perr);
	if (err) {
		px__pipeline_fail(p, err, name, "replacement '%s': %s", desc,
				  perr.message);
		goto err_ast;
	}
	if (ast.n_nodes != 1 || ast.n_links ||
	    ast.nodes[0].kind != PX__PARSE_ELEMENT) {
		err = -EINVAL;
		px__pipeline_fail(p, err, name,
				  "replacement '%s' must be one element with "
				  "its properties, no links",
				  desc);
		goto err_ast;
	}
	n = &ast.nodes[0];
	cls = px_registry_find(n->name);
	if (!cls) {
		err = -ENOENT;
		px__pipeline_fail(p, err, name, "replacement '%s': no element "
				  "'%s' (px-inspect lists them all)",
				  desc, n->name);
		goto err_ast;
	}
	err = px__element_create(p, cls, name, true, &e);
	if (err) {
		px__pipeline_fail(p, err, name, "cannot make %s: %s", n->name,
				  px_strerror(err));
		goto err_ast;
	}
	for (unsigned i = 0; i < n->n_props; i++) {
		const struct px__parse_prop *pr = &ast.props[n->first_prop + i];

		if (!strcmp(pr->key, "name")) {
			err = -EINVAL;
			px__pipeline_fail(p, err, name,
					  "the replacement keeps the name '%s'",
					  name);
			goto err_elem;
		}
		err = px_element_set(e, pr->key, pr->value);
		if (err)
			goto err_elem; /* px_element_set said why */
	}
	px__parse_ast_free(&ast);
	*out = e;
	return 0;
err_elem:
	px__element_destroy(e);
err_ast:
	px__parse_ast_free(&ast);
	return err;
}

/* Whether PAD of NEW accepts the caps of link L it would take; else the
 * sentence. */
static bool caps_meet(struct px_pipeline *p, const struct px_element *old,
		      const struct px_element *new, const struct px_pad *pad,
		      const struct px_link *l, const char *dir,
		      const char *which)
{
	char a[256], b[256];

	if (px_caps_can_intersect(pad->caps, l->caps))
		return true;
	px_caps_to_string(pad->caps, a, sizeof(a));
	px_caps_to_string(l->caps, b, sizeof(b));
	px__pipeline_fail(p, -EINVAL, old->name,
			  "cannot replace %s with %s: its %s caps %s do not "
			  "meet the %s link's %s",
			  old->name, new->cls->name, dir, a, which, b);
	return false;
}

/* NEW fits where OLD is: one always sink and one always src pad whose caps
 * meet the caps of the links it would take. */
static int check_fit(struct px_pipeline *p, const struct px_element *old,
		     const struct px_element *new)
{
	const struct px_link *li = old->sink[0]->link, *lo = old->src[0]->link;

	if (new->n_sink != 1 || new->n_src != 1) {
		px__pipeline_fail(p, -EINVAL, old->name,
				  "cannot replace %s with %s: it has %u input "
				  "and %u output pads; a replacement needs one "
				  "of each",
				  old->name, new->cls->name, new->n_sink,
				  new->n_src);
		return -EINVAL;
	}
	if (!caps_meet(p, old, new, new->sink[0], li, "sink", "input"))
		return -EINVAL;
	if (!caps_meet(p, old, new, new->src[0], lo, "src", "output"))
		return -EINVAL;
	return 0;
}

/* Wait for the reactor side; give up (abandon) if the pipeline halts.
 * Returns true when DEADLINE_NS (CLOCK_MONOTONIC, 0: none) passed first. */
static bool wait_done(struct px__replace *rp, uint64_t deadline_ns)
{
	struct px_pipeline *p = rp->p;
	struct timespec ts;
	bool late = false;

	pthread_mutex_lock(&p->mu);
	while (!rp->cancelled && !(rp->handed && rp->old->stopped)) {
		if (deadline_ns && !rp->handed && px__now_ns() >= deadline_ns) {
			late = true;
			break;
		}
		/* relaxed: a hint; the handshake under mu decides */
		if (atomic_load_explicit(&p->flow, memory_order_relaxed) !=
			    PX__FLOW_RUNNING &&
		    !rp->handed) {
			rp->abandoned = true;
			break;
		}
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_nsec += 50 * 1000 * 1000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		/* Woken by the reactor side; the timeout only rechecks flow
		 * and the deadline. */
		(void)pthread_cond_timedwait(&p->cv, &p->mu, &ts);
	}
	pthread_mutex_unlock(&p->mu);
	return late;
}

/* Step 4: NEW takes OLD's place in the tables the application reads. */
static void take_place(struct px_pipeline *p, struct px_element *old,
		       struct px_element *new)
{
	struct px_link *li = new->sink[0]->link, *lo = new->src[0]->link;

	/* Under mu: reactor 0 reads the table when EOS is requested. */
	pthread_mutex_lock(&p->mu);
	for (unsigned i = 0; i < p->n_elems; i++)
		if (p->elems[i] == old)
			p->elems[i] = new;
	/* the stall detector reads the link ends under mu too */
	li->sink = new->sink[0];
	lo->src = new->src[0];
	pthread_mutex_unlock(&p->mu);
	li->src->peer = new;
	lo->sink->peer = new;
	new->sink[0]->peer = li->src->elem;
	new->src[0]->peer = lo->sink->elem;
	new->stopped = false;
	new->reactor_index = old->reactor_index;
}

static int replace(struct px_pipeline *p, const char *name, const char *desc,
		   struct px_element **out);

PX_API int px_pipeline_set_replace_timeout(struct px_pipeline *p,
					   uint64_t timeout_ns)
{
	if (!p)
		return -EINVAL;
	p->replace_timeout_ns = timeout_ns;
	return 0;
}

PX_API int px_pipeline_replace(struct px_pipeline *p, const char *name,
			       const char *desc, struct px_element **out)
{
	int err;

	if (!p || !name || !desc)
		return -EINVAL;
	p->replacing = true;
	err = replace(p, name, desc, out);
	p->replacing = false;
	return err;
}

static int replace(struct px_pipeline *p, const char *name, const char *desc,
		   struct px_element **out)
{
	struct px__replace rp = { .p = p };
	struct px_element *old, *new = NULL;
	uint64_t timeout;
	int err;

	p->error[0] = '\0';
	if (px_pipeline_state(p) != PX_STATE_PLAYING) {
		px__pipeline_fail(p, -EBUSY, name,
				  "cannot replace %s: the pipeline is %s (in "
				  "NULL, relink instead)",
				  name, px_state_name(px_pipeline_state(p)));
		return -EBUSY;
	}
	old = px_pipeline_find(p, name);
	if (!old) {
		px__pipeline_fail(p, -ENOENT, NULL, "no element named '%s' in %s",
				  name, p->name);
		return -ENOENT;
	}
	if (old->n_sink != 1 || old->n_src != 1 || !old->sink[0]->link ||
	    !old->src[0]->link) {
		px__pipeline_fail(p, -EINVAL, name,
				  "cannot replace %s: only an element with one "
				  "linked input and one linked output can be "
				  "replaced while it runs",
				  name);
		return -EINVAL;
	}
	err = make_new(p, old->name, desc, &new);
	if (err)
		return err;
	err = check_fit(p, old, new);
	if (err)
		goto err_new;
	new->reactor = old->reactor;
	new->reactor_index = old->reactor_index;
	new->mem_shareable = old->mem_shareable;
	px_task_init(&new->task, px__element_task);
	px__element_stats_reset(new);
	err = px__element_start(p, new);
	new->started = !err;
	if (err) {
		px__pipeline_fail(p, err, name, "cannot replace %s: %s", name,
				  new->start_error[0] ? new->start_error :
							px_strerror(err));
		goto err_new_started;
	}
	rp.old = old;
	rp.new = new;
	timeout = p->replace_timeout_ns;
	err = px__pipeline_run_on(p, old->reactor, cut_fn, &rp);
	if (err || rp.cancelled)
		goto err_ended;
	if (wait_done(&rp, timeout ? px__now_ns() + timeout : 0)) {
		(void)px__pipeline_run_on(p, old->reactor, call_off_fn, &rp);
		if (!rp.called_off)
			(void)wait_done(&rp, 0); /* committed: see the top */
	}
	if (rp.abandoned && !rp.called_off)
		(void)px__pipeline_run_on(p, old->reactor, uncut_fn, old);
	if (rp.cancelled || rp.abandoned)
		goto err_ended;
	take_place(p, old, new);
	err = retire_keep(p, old);
	if (err)
		return err; /* the swap happened: OLD leaks, nothing breaks */
	if (out)
		*out = new;
	return 0;
err_ended:
	err = rp.called_off ? -ETIMEDOUT : -EPIPE;
	if (rp.called_off)
		px__pipeline_fail(p, err, name,
				  "cannot replace %s: it did not get through "
				  "the %u items before the swap within %.3g s "
				  "(does its output drain?); the swap is called "
				  "off and %s runs on",
				  name, rp.left_at_cut,
				  (double)timeout / 1e9, name);
	else
		px__pipeline_fail(p, err, name, "cannot replace %s: %s", name,
				  rp.abandoned ?
					  "the pipeline stopped meanwhile" :
					  "its input ended before the swap");
err_new_started:
	new->retired = true; /* a later stop_done is not the pipeline's */
	(void)px__pipeline_run_on(p, old->reactor, px__element_stop_fn, new);
	/* Its pools (if start made any) stay listed until the run ends. */
	if (retire_keep(p, new) == 0)
		return err;
err_new:
	px__element_destroy(new);
	return err;
}
