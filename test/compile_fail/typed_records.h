/* SPDX-License-Identifier: MIT */
/* typed_records.h - two record types and one stage function of each shape,
 * for the compile probes beside it (test/it_compile.sh). */
#include "parallax.h"
#include "px_typed.h"

#define READING_FIELDS(X) X(f64, celsius, _, _)
PX_RECORD(reading, READING_FIELDS)
#define SUMMARY_FIELDS(X) X(f64, mean, _, _)
PX_RECORD(summary, SUMMARY_FIELDS)

int gen(void *ctx, struct reading *r, struct px_record_writer *w);
int avg(void *ctx, const struct reading *in, struct summary *out,
	struct px_record_writer *w);
int show_summary(void *ctx, const struct summary *s);
int show_reading(void *ctx, const struct reading *r);
