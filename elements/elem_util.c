// SPDX-License-Identifier: MIT
/*
 * elem_util.c - helpers shared by the built-in elements: PRNG seeds, the
 * GStreamer sink properties that need a clock, the per-buffer line of
 * silent=false, the NUMA node of a file's disk. (The
 * kit every element may use - CRC32C, burst release, forwarding - is public:
 * engine/crc32c.c, engine/element_kit.c.)
 */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>

#include "elements_int.h"

uint64_t px__rand_seed(const void *salt)
{
	struct timespec ts;
	uint64_t s;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	s = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 32) ^
	    (uint64_t)(uintptr_t)salt;
	/* One splitmix64 round so that close seeds diverge at once. */
	s += 0x9E3779B97F4A7C15ull;
	s = (s ^ (s >> 30)) * 0xBF58476D1CE4E5B9ull;
	s = (s ^ (s >> 27)) * 0x94D049BB133111EBull;
	s ^= s >> 31;
	return s ? s : 1;
}

int px__sink_clock_props(struct px_element *e, const struct px_prop_spec *spec,
			 bool sync, bool async, const char *hint)
{
	if (!strcmp(spec->name, "sync") && sync)
		return px_element_refuse(
			e, -ENOTSUP,
			"%s: sync=true waits for each buffer's clock time; "
			"Parallax has no pipeline clock: write sync=false "
			"(buffers go as they arrive; pace a source with "
			"fakesrc rate=N)%s%s",
			px_element_name(e), hint ? "; " : "", hint ? hint : "");
	if (!strcmp(spec->name, "async") && async)
		return px_element_refuse(
			e, -ENOTSUP,
			"%s: async=true prerolls a sink; Parallax sinks do not "
			"preroll (PAUSED completes at once): write async=false",
			px_element_name(e));
	return 0;
}

int px__path_numa_node(const char *path)
{
	const char *root = getenv("PX_SYSFS_ROOT");
	static const char *const where[] = { "device", "../device" };
	struct stat st;

	if (!path || stat(path, &st) < 0)
		return -1;
	if (!root || !*root)
		root = "/sys";
	/* A disk has device/numa_node; a partition's is its disk's. */
	for (size_t i = 0; i < PX_ARRAY_SIZE(where); i++) {
		char file[512];
		FILE *f;
		int node = -1;

		snprintf(file, sizeof(file), "%s/dev/block/%u:%u/%s/numa_node",
			 root, major(st.st_dev), minor(st.st_dev), where[i]);
		f = fopen(file, "re");
		if (!f)
			continue;
		if (fscanf(f, "%d", &node) != 1)
			node = -1;
		fclose(f);
		return node;
	}
	return -1;
}

void px__post_chain(struct px_element *e, bool src, const struct px_buf *b)
{
	char pts[24] = "none", dur[24] = "none";

	if (b->pts != PX_TIME_NONE)
		snprintf(pts, sizeof(pts), "%" PRId64, b->pts);
	if (b->duration != PX_TIME_NONE)
		snprintf(dur, sizeof(dur), "%" PRId64, b->duration);
	px_element_post(e,
			"%s (%s:%s) (%u bytes, pts: %s, duration: %s, "
			"seq: %" PRIu64 ", offset: %" PRIu64 ", flags: 0x%04x)",
			src ? "get" : "chain", px_element_name(e),
			src ? "src" : "sink", b->length, pts, dur, b->seq,
			b->stream_offset, (unsigned)b->flags);
}
