/* SPDX-License-Identifier: MIT */
/*
 * ipc_elements_int.h - what ipcsink and ipcsrc share: the batch size, the
 * task that wakes an element from the channel, uid/gid list parsing, and
 * the class table the registry loads. Internal.
 */
#ifndef PX_IPC_ELEMENTS_INT_H
#define PX_IPC_ELEMENTS_INT_H

#include <sys/types.h>

#include "ipc_int.h"
#include "px_caps.h"
#include "px_element.h"

#define PX__IPC_BATCH 64u   /* items moved per work() call */
#define PX__IPC_MAX_IDS 16u /* allow-uid / allow-gid entries */

extern const struct px_element_class px__ipcsink_class;
extern const struct px_element_class px__ipcsrc_class;

/* A task that schedules its element: the channel's wakeups (eventfd
 * reads, joins, returns) land on the element's reactor through it. */
struct px__ipc_elem_task {
	struct px_task task;
	struct px_element *e;
};

void px__ipc_task_init(struct px__ipc_elem_task *t, struct px_element *e);

/*
 * Parse "1000,1001" from property PROP of E into IDS (at most
 * PX__IPC_MAX_IDS). NULL or "" gives none. Returns 0, or -EINVAL after
 * posting an ERROR that names E, PROP and the offending text.
 */
int px__ipc_parse_ids(struct px_element *e, const char *prop, const char *text,
		      unsigned *ids, unsigned *n);

/* Release the buffers of ITEMS[0..N) (items not delivered at stop). */
void px__release_pending(struct px_item *items, unsigned n);

#endif /* PX_IPC_ELEMENTS_INT_H */
