// SPDX-License-Identifier: MIT
/*
 * peer_flatbuffers_none.c - the FlatBuffers peer when flatc or its headers
 * were not found at build time: the record scenario says so.
 */
#include "bench.h"

int bench_fb_record(int shape, double secs, double *ns_per_rec,
		    double *bytes, double *sum)
{
	(void)shape;
	(void)secs;
	(void)ns_per_rec;
	(void)bytes;
	(void)sum;
	return BENCH_MISSING;
}

const char *bench_fb_version(void)
{
	return NULL;
}
