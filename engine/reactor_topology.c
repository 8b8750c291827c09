// SPDX-License-Identifier: MIT
/*
 * reactor_topology.c - where reactors run: NUMA nodes and CPU sets from
 * hwloc (HWLOC_SYNTHETIC honoured), thread binding, and reactor groups
 * (one or more reactors per node).
 */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>

#include "reactor_int.h"

/* The cached topology; loaded on first use, dropped by px_topology_reload. */
static hwloc_topology_t topo;
static pthread_mutex_t topo_lock = PTHREAD_MUTEX_INITIALIZER;

/* Called with topo_lock held. */
static int topo_load(void)
{
	if (topo)
		return 0;
	if (hwloc_topology_init(&topo) < 0) {
		topo = NULL;
		return -ENOMEM;
	}
	if (hwloc_topology_load(topo) < 0) {
		hwloc_topology_destroy(topo);
		topo = NULL;
		return -EIO;
	}
	return 0;
}

PX_API int px_topology_numa_nodes(void)
{
	int ret;

	pthread_mutex_lock(&topo_lock);
	ret = topo_load();
	if (ret == 0) {
		ret = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_NUMANODE);
		if (ret < 1)
			ret = 1;
	}
	pthread_mutex_unlock(&topo_lock);
	return ret;
}

PX_API int px_topology_reload(void)
{
	pthread_mutex_lock(&topo_lock);
	if (topo)
		hwloc_topology_destroy(topo);
	topo = NULL;
	pthread_mutex_unlock(&topo_lock);
	return 0;
}

/* OS number of the NUMA node whose CPUs include SET, or -1. */
static int node_of(hwloc_const_cpuset_t set)
{
	hwloc_obj_t node = NULL;

	while ((node = hwloc_get_next_obj_by_type(topo, HWLOC_OBJ_NUMANODE,
						  node)))
		if (node->cpuset && hwloc_bitmap_isincluded(set, node->cpuset))
			return (int)node->os_index;
	return -1;
}

/* OS numbers of the first N NUMA nodes, in topology order; the count. */
static int node_list(int *out, int n)
{
	hwloc_obj_t node = NULL;
	int i = 0, ret;

	pthread_mutex_lock(&topo_lock);
	ret = topo_load();
	while (ret == 0 && i < n &&
	       (node = hwloc_get_next_obj_by_type(topo, HWLOC_OBJ_NUMANODE,
						  node)))
		out[i++] = (int)node->os_index;
	pthread_mutex_unlock(&topo_lock);
	if (ret < 0)
		return ret;
	if (i == 0 && n > 0)
		out[i++] = 0; /* no NUMA information: one node 0 */
	return i;
}

int px__topology_place(struct px_reactor *r, int numa_node, int cpu)
{
	hwloc_obj_t obj;
	int ret;

	if (numa_node < 0 && cpu < 0)
		return 0; /* unplaced: run where the scheduler likes */
	pthread_mutex_lock(&topo_lock);
	ret = topo_load();
	if (ret < 0)
		goto out;
	if (cpu >= 0) {
		obj = hwloc_get_pu_obj_by_os_index(topo, (unsigned)cpu);
		if (!obj || !obj->cpuset) {
			ret = -ENODEV;
			goto out;
		}
		r->cpuset = hwloc_bitmap_dup(obj->cpuset);
		r->numa_node = node_of(obj->cpuset);
		r->cpu = cpu;
	} else {
		obj = hwloc_get_numanode_obj_by_os_index(topo,
							 (unsigned)numa_node);
		if (!obj && numa_node == 0 &&
		    !hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_NUMANODE))
			obj = hwloc_get_root_obj(topo); /* no NUMA info */
		if (!obj || !obj->cpuset) {
			ret = -ENODEV;
			goto out;
		}
		r->cpuset = hwloc_bitmap_dup(obj->cpuset);
		r->numa_node = numa_node;
	}
	if (!r->cpuset) {
		ret = -ENOMEM;
		goto out;
	}
	/* Synthetic (or foreign) topology: report, never bind. */
	if (!hwloc_topology_is_thissystem(topo))
		r->no_pin = true;
out:
	pthread_mutex_unlock(&topo_lock);
	return ret;
}

void px__topology_unplace(struct px_reactor *r)
{
	hwloc_bitmap_free(r->cpuset);
	r->cpuset = NULL;
}

/* On the reactor thread, before its ring exists (so ring memory is local). */
int px__topology_bind(struct px_reactor *r)
{
	cpu_set_t set;
	unsigned cpu;

	r->pinned = false;
	if (!r->cpuset || r->no_pin)
		return 0;
	CPU_ZERO(&set);
	hwloc_bitmap_foreach_begin(cpu, r->cpuset)
	{
		if (cpu < CPU_SETSIZE)
			CPU_SET(cpu, &set);
	}
	hwloc_bitmap_foreach_end();
	if (sched_setaffinity(0, sizeof(set), &set) < 0)
		return -errno;
	r->pinned = true;
	return 0;
}

PX_API int px_reactor_cpuset(const struct px_reactor *r, char *buf, size_t len)
{
	if (!r || (!buf && len))
		return -EINVAL;
	if (!r->cpuset)
		return snprintf(buf, len, "%s", "");
	return hwloc_bitmap_list_snprintf(buf, len, r->cpuset);
}

void px__reactor_set_index(struct px_reactor *r, unsigned index)
{
	r->index = index;
}

/* ------------------------------------------------------------------------ */
/* Groups                                                                    */

struct px_reactor_group {
	unsigned count;
	struct px_reactor *r[];
};

PX_API int px_reactor_group_create(const struct px_reactor_config *tmpl,
				   unsigned per_node,
				   struct px_reactor_group **out)
{
	static const struct px_reactor_config defaults =
		PX_REACTOR_CONFIG_DEFAULT;
	struct px_reactor_config cfg;
	struct px_reactor_group *g;
	int nodes, ret = 0, *os;
	char name[16];

	if (!out)
		return -EINVAL;
	*out = NULL;
	if (per_node == 0)
		per_node = 1;
	if (per_node > 256)
		return -EINVAL;
	nodes = px_topology_numa_nodes();
	if (nodes < 0)
		return nodes;
	os = calloc((size_t)nodes, sizeof(*os));
	g = calloc(1, sizeof(*g) + (size_t)nodes * per_node * sizeof(g->r[0]));
	if (!g || !os) {
		free(os);
		free(g);
		return -ENOMEM;
	}
	/* Reloaded in between? Then place on what is there now. */
	nodes = node_list(os, nodes);
	if (nodes < 0) {
		free(os);
		free(g);
		return nodes;
	}
	for (unsigned i = 0; i < (unsigned)nodes * per_node; i++) {
		cfg = tmpl ? *tmpl : defaults;
		cfg.numa_node = os[i / per_node];
		cfg.cpu = -1;
		/* A thread name holds 15 bytes: 10 of the prefix, 5 digits. */
		snprintf(name, sizeof(name), "%.10s%u",
			 tmpl && tmpl->name ? tmpl->name : "px-r", i % 100000u);
		cfg.name = name;
		ret = px_reactor_create(&cfg, &g->r[i]);
		if (ret < 0)
			break;
		g->count = i + 1;
		px__reactor_set_index(g->r[i], i);
		ret = px_reactor_start(g->r[i]);
		if (ret < 0)
			break;
	}
	free(os);
	if (ret < 0) {
		px_reactor_group_destroy(g);
		return ret;
	}
	*out = g;
	return 0;
}

PX_API unsigned px_reactor_group_count(const struct px_reactor_group *g)
{
	return g ? g->count : 0;
}

PX_API struct px_reactor *px_reactor_group_get(const struct px_reactor_group *g,
					       unsigned i)
{
	return g && i < g->count ? g->r[i] : NULL;
}

PX_API struct px_reactor *
px_reactor_group_on_node(const struct px_reactor_group *g, int node)
{
	for (unsigned i = 0; g && i < g->count; i++)
		if (px_reactor_numa_node(g->r[i]) == node)
			return g->r[i];
	return NULL;
}

PX_API void px_reactor_group_destroy(struct px_reactor_group *g)
{
	if (!g)
		return;
	/* Stop every member before freeing any: they may post to each other. */
	for (unsigned i = 0; i < g->count; i++)
		px_reactor_stop(g->r[i]);
	for (unsigned i = 0; i < g->count; i++)
		px_reactor_destroy(g->r[i]);
	free(g);
}
