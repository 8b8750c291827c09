/* SPDX-License-Identifier: MIT */
/*
 * launch_stats.h - px-launch's end-of-run report: the per-element and
 * per-pool table of --stats, and the one-line progress on a terminal.
 * Built from the public API only (px_element_stats and the stats JSON).
 */
#ifndef PX_LAUNCH_STATS_H
#define PX_LAUNCH_STATS_H

#include <stdint.h>
#include <stdio.h>

#include <parallax/px_pipeline.h>

/*
 * launch_stats_print - the --stats table of P's last run to OUT: for each
 * element its factory, buffers and bytes in and out and throughput, then
 * each pool's slot size, slots, loans, bytes copied and high water.
 * Returns 0, -ENOMEM, or -EIO when the engine's stats JSON is unreadable.
 */
int launch_stats_print(struct px_pipeline *p, FILE *out);

/* Sum of buffers and bytes taken in by P's sinks (elements without a
 * src pad) so far. Safe while P runs. */
void launch_stats_sinks(struct px_pipeline *p, uint64_t *buffers,
			uint64_t *bytes);

/* "12.3 MB", "512 B" into BUF (SI units, as throughput is shown). */
const char *launch_human_bytes(double bytes, char *buf, size_t len);

#endif /* PX_LAUNCH_STATS_H */
