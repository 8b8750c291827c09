// SPDX-License-Identifier: MIT
/*
 * numa_libnuma.c - NUMA binding through libnuma (built when CMake found it
 * and defines PX_HAVE_LIBNUMA; numa_sys.c stands in otherwise).
 */
#ifdef PX_HAVE_LIBNUMA
#include <errno.h>
#include <numa.h>
#include <numaif.h>

#include "px_segment_int.h"

int px__numa_node_check(int node)
{
	if (numa_available() < 0)
		return -ENOSYS;
	if (node < 0 || node > numa_max_node() ||
	    !numa_bitmask_isbitset(numa_all_nodes_ptr, (unsigned)node))
		return -ENODEV;
	return 0;
}

int px__numa_bind(void *addr, size_t len, int node)
{
	struct bitmask *mask;
	int ret = 0;

	mask = numa_allocate_nodemask();
	if (!mask)
		return -ENOMEM;
	numa_bitmask_setbit(mask, (unsigned)node);
	/* STRICT|MOVE: pages already present (a reopened file) follow too. */
	if (mbind(addr, len, MPOL_BIND, mask->maskp, mask->size + 1,
		  MPOL_MF_STRICT | MPOL_MF_MOVE) < 0)
		ret = -errno;
	numa_bitmask_free(mask);
	return ret;
}

int px__numa_node_of(const void *addr)
{
	int node = -1;

	if (get_mempolicy(&node, NULL, 0, (void *)addr,
			  MPOL_F_NODE | MPOL_F_ADDR) < 0)
		return -errno;
	return node;
}
#endif /* PX_HAVE_LIBNUMA */
