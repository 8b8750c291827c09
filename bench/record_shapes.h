/* SPDX-License-Identifier: MIT */
/*
 * record_shapes.h - the three record shapes of the record scenario, as
 * Parallax records; record_shapes.fbs declares the same shapes for the
 * FlatBuffers peer, and both fill them with record_shape_* values below.
 *   flat:   a small record of scalars
 *   strings: an id, a value and three strings (20, 30, 100 bytes)
 *   nested: an id and a vector of 100 sub-records (scalars and an
 *           8-byte label each)
 */
#ifndef BENCH_RECORD_SHAPES_H
#define BENCH_RECORD_SHAPES_H

#define RECORD_NESTED_N 100
#define RECORD_STR_A	20
#define RECORD_STR_B	30
#define RECORD_STR_C	100
#define RECORD_LABEL	8

enum rs_unit { RS_UNIT_C, RS_UNIT_K, RS_UNIT_PA, RS_UNIT_COUNT };

#include <stdint.h>
#include <string.h>

/* A float's bits, to sum as an integer: both sides read every field and
 * add integers (integer adds do not wait on each other the way a chain
 * of floating-point adds does, which would hide what is measured). */
static inline uint64_t fbits(float f)
{
	uint32_t u;

	memcpy(&u, &f, sizeof(u));
	return u;
}

static inline uint64_t dbits(double f)
{
	uint64_t u;

	memcpy(&u, &f, sizeof(u));
	return u;
}

#ifndef __cplusplus
#include "px_record.h"

#define RS_FLAT_FIELDS(X)                                                     \
	X(u32, sensor, _, _)                                                  \
	X(enum, unit, enum rs_unit, RS_UNIT_COUNT)                            \
	X(i64, t_ns, _, _)                                                    \
	X(f64, value, _, _)                                                   \
	X(bool, ok, _, _)
PX_RECORD(rs_flat, RS_FLAT_FIELDS)

#define RS_STRINGS_FIELDS(X)                                                  \
	X(u32, id, _, _)                                                      \
	X(f64, value, _, _)                                                   \
	X(str, name, _, _)                                                    \
	X(str, room, _, _)                                                    \
	X(str, note, _, _)
PX_RECORD(rs_strings, RS_STRINGS_FIELDS)

#define RS_SAMPLE_FIELDS(X)                                                   \
	X(i64, t_ns, _, _)                                                    \
	X(f32, value, _, _)                                                   \
	X(bool, ok, _, _)                                                     \
	X(str, label, _, _)
PX_RECORD(rs_sample, RS_SAMPLE_FIELDS)

#define RS_NESTED_FIELDS(X)                                                   \
	X(u32, id, _, _)                                                      \
	X(vec, samples, rs_sample, _)
PX_RECORD(rs_nested, RS_NESTED_FIELDS)
#endif

#endif /* BENCH_RECORD_SHAPES_H */
