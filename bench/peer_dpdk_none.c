// SPDX-License-Identifier: MIT
/*
 * peer_dpdk_none.c - the DPDK peers when libdpdk was not found at build
 * time: every entry point says so, so the table shows why the peer is absent.
 */
#include <errno.h>

#include "bench.h"

#define NOT_BUILT                                                              \
	"libdpdk not found by pkg-config at build time; apt-get install "      \
	"libdpdk-dev"

const char *bench_dpdk_ring_unavailable(void)
{
	return NOT_BUILT;
}

const char *bench_dpdk_mempool_unavailable(void)
{
	return NOT_BUILT;
}

const char *bench_dpdk_version(void)
{
	return NULL;
}

int bench_dpdk_ring_st(unsigned burst, double secs, double *ns_per_item)
{
	return -ENOSYS;
}

int bench_dpdk_ring_2t(unsigned burst, double secs, double *items_per_s)
{
	return -ENOSYS;
}

int bench_dpdk_mempool_st(bool cache, unsigned burst, uint32_t obj_size,
			  double secs, double *ns_per_op)
{
	return -ENOSYS;
}

int bench_dpdk_mempool_2t(bool cache, uint32_t obj_size, double secs,
			  double *objs_per_s)
{
	return -ENOSYS;
}
