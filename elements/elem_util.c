// SPDX-License-Identifier: MIT
/*
 * elem_util.c - helpers shared by the built-in elements: PRNG seeds. (The
 * kit every element may use - CRC32C, burst release, forwarding - is public:
 * engine/crc32c.c, engine/element_kit.c.)
 */
#include <stdint.h>
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
