// SPDX-License-Identifier: MIT
/*
 * crc32c.c - CRC32C (Castagnoli): ISA-L's crc32_iscsi when the build found
 * libisal (it interleaves three streams of the CRC instruction and folds
 * them with carry-less multiplies, and picks its code for the CPU at run
 * time); otherwise the SSE4.2 instruction one word at a time when the CPU
 * has it, slicing-by-8 tables when not. ISA-L's way is several times the
 * one-word loop's speed, which is bound by latency (each crc32 waits for
 * the one before); from memory rather than cache both wait on the loads.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "px_crc32c.h"

#ifdef PX_HAVE_ISAL
#include <isa-l/crc.h>
#include <limits.h>
#endif

static uint32_t crc_table[8][256];
static pthread_once_t crc_once = PTHREAD_ONCE_INIT;
static bool crc_hw;

static void crc_init(void)
{
	for (uint32_t i = 0; i < 256; i++) {
		uint32_t c = i;

		for (int k = 0; k < 8; k++)
			c = (c >> 1) ^ (0x82F63B78u & (0u - (c & 1)));
		crc_table[0][i] = c;
	}
	for (uint32_t i = 0; i < 256; i++)
		for (int t = 1; t < 8; t++)
			crc_table[t][i] = (crc_table[t - 1][i] >> 8) ^
					  crc_table[0][crc_table[t - 1][i] & 0xff];
#if defined(__x86_64__)
	__builtin_cpu_init();
	crc_hw = __builtin_cpu_supports("sse4.2");
#endif
}

static uint32_t crc_sw(uint32_t crc, const uint8_t *p, size_t len)
{
	while (len >= 8) {
		uint64_t v;

		memcpy(&v, p, 8);
		v ^= crc;
		crc = crc_table[7][v & 0xff] ^ crc_table[6][(v >> 8) & 0xff] ^
		      crc_table[5][(v >> 16) & 0xff] ^
		      crc_table[4][(v >> 24) & 0xff] ^
		      crc_table[3][(v >> 32) & 0xff] ^
		      crc_table[2][(v >> 40) & 0xff] ^
		      crc_table[1][(v >> 48) & 0xff] ^ crc_table[0][v >> 56];
		p += 8;
		len -= 8;
	}
	while (len--)
		crc = (crc >> 8) ^ crc_table[0][(crc ^ *p++) & 0xff];
	return crc;
}

#if defined(__x86_64__)
__attribute__((target("sse4.2"))) static uint32_t
crc_x86(uint32_t crc, const uint8_t *p, size_t len)
{
	uint64_t c = crc;

	while (len >= 8) {
		uint64_t v;

		memcpy(&v, p, 8);
		c = __builtin_ia32_crc32di(c, v);
		p += 8;
		len -= 8;
	}
	crc = (uint32_t)c;
	while (len--)
		crc = __builtin_ia32_crc32qi(crc, *p++);
	return crc;
}
#else
static uint32_t crc_x86(uint32_t crc, const uint8_t *p, size_t len)
{
	return crc_sw(crc, p, len);
}
#endif

PX_API uint32_t px_crc32c(uint32_t crc, const void *data, size_t len)
{
#ifdef PX_HAVE_ISAL
	const unsigned char *p = data;

	/* ISA-L's CRC is ours with the inversions left to the caller, and
	 * its length an int. */
	while (len) {
		int n = len > INT_MAX ? INT_MAX : (int)len;

		crc = ~crc32_iscsi((unsigned char *)p, n, ~crc);
		p += n;
		len -= (size_t)n;
	}
	return crc;
#endif
	pthread_once(&crc_once, crc_init);
	crc = ~crc;
	crc = crc_hw ? crc_x86(crc, data, len) : crc_sw(crc, data, len);
	return ~crc;
}
