// SPDX-License-Identifier: MIT
/*
 * segment_heap.c - the default backend: an anonymous private mapping,
 * page-aligned, lazily backed, optionally bound to a NUMA node.
 */
#include <errno.h>
#include <sys/mman.h>

#include "px_segment_int.h"

int px__segment_heap_map(const struct px_segment_config *cfg, size_t size,
			 struct px_segment *seg)
{
	void *base;
	int ret;

	base = mmap(NULL, size, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (base == MAP_FAILED)
		return -errno;
	if (cfg->numa_node >= 0) {
		ret = px__numa_bind(base, size, cfg->numa_node);
		if (ret) {
			munmap(base, size);
			return ret;
		}
	}
	seg->base = base;
	seg->size = size;
	seg->fd = -1;
	seg->page = PX_PAGE_4K;
	seg->page_size = px__page_size();
	return 0;
}
