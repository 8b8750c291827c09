// SPDX-License-Identifier: MIT
/*
 * numa_sys.c - NUMA binding with the raw mbind/get_mempolicy system calls,
 * for builds without libnuma (numa_libnuma.c is used when PX_HAVE_LIBNUMA).
 */
#ifndef PX_HAVE_LIBNUMA
#include <errno.h>
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "px_segment_int.h"

/* From <linux/mempolicy.h>, kept here to need nothing beyond libc. */
#define PX_MPOL_BIND	  2
#define PX_MPOL_F_NODE	  (1 << 0)
#define PX_MPOL_F_ADDR	  (1 << 1)
#define PX_MPOL_MF_STRICT (1 << 0)
#define PX_MPOL_MF_MOVE	  (1 << 1)
#define PX_NODES_MAX	  1024

int px__numa_node_check(int node)
{
	char path[64];

	if (access("/sys/devices/system/node", F_OK) != 0)
		return -ENOSYS;
	if (node < 0 || node >= PX_NODES_MAX)
		return -ENODEV;
	snprintf(path, sizeof(path), "/sys/devices/system/node/node%d", node);
	return access(path, F_OK) == 0 ? 0 : -ENODEV;
}

int px__numa_bind(void *addr, size_t len, int node)
{
	unsigned long mask[PX_NODES_MAX / (8 * sizeof(unsigned long))] = {0};
	const size_t bits = 8 * sizeof(unsigned long);

	mask[(unsigned)node / bits] |= 1ul << ((unsigned)node % bits);
	if (syscall(SYS_mbind, addr, len, PX_MPOL_BIND, mask,
		    (unsigned long)PX_NODES_MAX + 1,
		    PX_MPOL_MF_STRICT | PX_MPOL_MF_MOVE) < 0)
		return -errno;
	return 0;
}

int px__numa_node_of(const void *addr)
{
	int node = -1;

	if (syscall(SYS_get_mempolicy, &node, NULL, 0ul, addr,
		    PX_MPOL_F_NODE | PX_MPOL_F_ADDR) < 0)
		return -errno;
	return node;
}
#endif /* !PX_HAVE_LIBNUMA */
