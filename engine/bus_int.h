/* SPDX-License-Identifier: MIT */
/*
 * bus_int.h - how the engine posts on a pipeline bus and waits for the end
 * of a run. Internal; never installed.
 */
#ifndef PX_BUS_INT_H
#define PX_BUS_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "px_bus.h"

/* Most messages a bus queues; beyond, the oldest non-ERROR/EOS is dropped. */
#define PX__BUS_MAX 1024

/* A new bus (mutex, condvar, eventfd). Returns 0, -ENOMEM, -EMFILE... */
int px__bus_create(struct px_bus **out);
/* Free BUS and every queued message. Accepts NULL. */
void px__bus_destroy(struct px_bus *bus);

/*
 * px__bus_post - queue a copy of MSG (time_ns is stamped here) tagged with
 * the bus's current generation, wake poppers, make the fd readable, then
 * call the callback on this thread. Any thread. Never blocks for long.
 */
void px__bus_post(struct px_bus *bus, const struct px_message *msg);
/* Build and post a message; SOURCE may be NULL. Any thread. */
void px__bus_postf(struct px_bus *bus, enum px_msg_type type, int code,
		   const char *source, const char *fmt, ...) PX_PRINTF(5, 6);

/*
 * A new generation starts (a pipeline leaves NULL): px__bus_wait_end()
 * ignores EOS/ERROR posted before it. Returns the new generation.
 */
uint64_t px__bus_new_generation(struct px_bus *bus);

/*
 * px__bus_wait_end - wait until an EOS or ERROR of generation >= MIN_GEN is
 * queued, take it off (other messages stay) into MSG (may be NULL).
 * Returns 0 or -ETIMEDOUT. Any thread.
 */
int px__bus_wait_end(struct px_bus *bus, uint64_t min_gen, int64_t timeout_ns,
		     struct px_message *msg);

/* Whether an EOS or ERROR (of any generation) is queued. Any thread. */
bool px__bus_has_end(struct px_bus *bus);

/* Messages dropped because the queue was full. Any thread. */
uint64_t px__bus_drops(struct px_bus *bus);
/* Messages queued now. Any thread. */
unsigned px__bus_count(struct px_bus *bus);

/* CLOCK_MONOTONIC in ns. */
uint64_t px__now_ns(void);

#endif /* PX_BUS_INT_H */
