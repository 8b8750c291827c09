// SPDX-License-Identifier: MIT
/*
 * ipc_elements.c - the helpers ipcsink and ipcsrc share, and the table of
 * IPC element classes the registry loads with the built-ins.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "ipc_elements_int.h"

const struct px_element_class *const px__ipc_classes[] = {
	&px__ipcsink_class,
	&px__ipcsrc_class,
	NULL,
};

static void wake_element(struct px_task *t)
{
	px_element_schedule(
		px_container_of(t, struct px__ipc_elem_task, task)->e);
}

void px__ipc_task_init(struct px__ipc_elem_task *t, struct px_element *e)
{
	px_task_init(&t->task, wake_element);
	t->e = e;
}

int px__ipc_parse_ids(struct px_element *e, const char *prop, const char *text,
		      unsigned *ids, unsigned *n)
{
	const char *p = text;

	*n = 0;
	while (p && *p) {
		char *end;
		unsigned long v = strtoul(p, &end, 10);

		if (end == p || (*end && *end != ',') || v > 0xfffffffful ||
		    *n == PX__IPC_MAX_IDS) {
			px_element_error(e, -EINVAL,
					 "%s: %s='%s': expected up to %u "
					 "comma-separated numeric ids (bad at "
					 "byte %zu)",
					 px_element_name(e), prop, text,
					 PX__IPC_MAX_IDS, (size_t)(p - text));
			return -EINVAL;
		}
		ids[(*n)++] = (unsigned)v;
		p = *end ? end + 1 : end;
	}
	return 0;
}

void px__release_pending(struct px_item *items, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		px_item_release(&items[i]);
}
