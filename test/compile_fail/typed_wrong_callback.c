// SPDX-License-Identifier: MIT
// expect: '_Generic' selector of type 'int (*)(void *, const struct reading *)' is not compatible with any association
// A sink of summaries whose function reads readings.
#include "typed_records.h"

int probe(struct px_pipeline *p);
int probe(struct px_pipeline *p)
{
	px_out(reading) src = px_typed_source(p, "src", reading, gen, NULL);
	px_out(summary) sum = px_typed_map(p, "avg", src, reading, summary,
					   avg, NULL);

	return px_typed_sink(p, "show", sum, summary, show_reading, NULL);
}
