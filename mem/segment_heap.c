// SPDX-License-Identifier: MIT
/*
 * segment_heap.c - the default backend: an anonymous private mapping,
 * page-aligned, lazily backed, optionally bound to a NUMA node, with
 * transparent huge pages when asked and allowed.
 */

#include "px_segment_int.h"

int px__segment_heap_map(const struct px_segment_config *cfg, size_t size,
			 struct px_segment *seg)
{
	if (cfg->transparent_huge) {
		int err = px__segment_thp_private(cfg, size, seg);

		if (!err)
			return 0;
		seg->fallback_err = err;
	}
	return px__segment_map(cfg, -1, size, seg);
}
