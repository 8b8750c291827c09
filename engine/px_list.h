/* SPDX-License-Identifier: MIT */
/*
 * px_list.h - the one intrusive doubly linked list (Linux list.h semantics in
 * ISO C). Nodes are embedded in their owners; nothing here allocates.
 * Stability: public API, changed only with the ABI version (px_plugin.h).
 */
#ifndef PX_LIST_H
#define PX_LIST_H

#include <stdbool.h>

#include "px_base.h"

/* A list head, or a node embedded in an element of a list. */
struct px_list {
	struct px_list *next;
	struct px_list *prev;
};

#define PX_LIST_INIT(name) { &(name), &(name) }

/* Make HEAD an empty list (or NODE an unlinked node). */
PX_INLINE void px_list_init(struct px_list *head)
{
	head->next = head;
	head->prev = head;
}

PX_INLINE bool px_list_empty(const struct px_list *head)
{
	return head->next == head;
}

PX_INLINE void px__list_insert(struct px_list *node, struct px_list *prev,
			       struct px_list *next)
{
	next->prev = node;
	node->next = next;
	node->prev = prev;
	prev->next = node;
}

/* Insert NODE right after HEAD (stack order). */
PX_INLINE void px_list_add(struct px_list *head, struct px_list *node)
{
	px__list_insert(node, head, head->next);
}

/* Insert NODE right before HEAD (queue order). */
PX_INLINE void px_list_add_tail(struct px_list *head, struct px_list *node)
{
	px__list_insert(node, head->prev, head);
}

/* Unlink NODE and leave it self-linked, so a second del is harmless. */
PX_INLINE void px_list_del(struct px_list *node)
{
	node->next->prev = node->prev;
	node->prev->next = node->next;
	px_list_init(node);
}

/* True when NODE (initialised with px_list_init) is on some list. */
PX_INLINE bool px_list_linked(const struct px_list *node)
{
	return node->next != node;
}

/* First node of HEAD, or NULL when empty. */
PX_INLINE struct px_list *px_list_first(const struct px_list *head)
{
	return px_list_empty(head) ? NULL : head->next;
}

#define px_list_entry(node, type, member) px_container_of(node, type, member)

#define px_list_for_each(pos, head) \
	for ((pos) = (head)->next; (pos) != (head); (pos) = (pos)->next)

/* Safe against removal of POS; TMP holds the next node. */
#define px_list_for_each_safe(pos, tmp, head)                       \
	for ((pos) = (head)->next, (tmp) = (pos)->next; (pos) != (head); \
	     (pos) = (tmp), (tmp) = (pos)->next)

#endif /* PX_LIST_H */
