/* SPDX-License-Identifier: MIT */
/*
 * record_test_types.h - the record types test_record.c and the record
 * fuzz target share: every field kind, a nested record, a vec of records
 * with strings, and a record with no checks at all.
 */
#ifndef RECORD_TEST_TYPES_H
#define RECORD_TEST_TYPES_H

#include "px_record.h"

enum unit { UNIT_C, UNIT_K, UNIT_PA, UNIT_COUNT };

#define POINT_FIELDS(X)                                                       \
	X(f64, x, _, _)                                                       \
	X(f64, y, _, _)
PX_RECORD(point, POINT_FIELDS)

#define SAMPLE_FIELDS(X)                                                      \
	X(i64, t_ns, _, _)                                                    \
	X(f32, value, _, _)                                                   \
	X(bool, ok, _, _)                                                     \
	X(str, label, _, _)
PX_RECORD(sample, SAMPLE_FIELDS)

#define READING_FIELDS(X)                                                     \
	X(u32, sensor, _, _)                                                  \
	X(i16, delta, _, _)                                                   \
	X(u8, level, _, _)                                                    \
	X(bool, ok, _, _)                                                     \
	X(enum, unit, enum unit, UNIT_COUNT)                                  \
	X(array, coeffs, float, 4)                                            \
	X(rec, where, point, _)                                               \
	X(u64, seq, _, _)                                                     \
	X(str, name, _, _)                                                    \
	X(bytes, blob, _, _)                                                  \
	X(vec, samples, sample, _)                                            \
	X(vec, path, point, _)                                                \
	X(str, tag, _, _)
PX_RECORD(reading, READING_FIELDS)

/* Same fields as point, another name: another schema. */
#define SPOT_FIELDS(X)                                                        \
	X(f64, x, _, _)                                                       \
	X(f64, y, _, _)
PX_RECORD(spot, SPOT_FIELDS)

#endif /* RECORD_TEST_TYPES_H */
