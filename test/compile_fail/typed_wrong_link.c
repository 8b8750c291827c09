// SPDX-License-Identifier: MIT
// expect: incompatible types when assigning to type 'struct summary_px_out' from type 'struct reading_px_out'
// A sink of summaries fed by a source of readings.
#include "typed_records.h"

int probe(struct px_pipeline *p);
int probe(struct px_pipeline *p)
{
	px_out(reading) src = px_typed_source(p, "src", reading, gen, NULL);

	return px_typed_sink(p, "show", src, summary, show_summary, NULL);
}
