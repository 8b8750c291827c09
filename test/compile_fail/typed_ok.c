// SPDX-License-Identifier: MIT
// expect: compiles
// A source of readings, a map readings -> summaries, a sink of summaries.
#include "typed_records.h"

int probe(struct px_pipeline *p);
int probe(struct px_pipeline *p)
{
	px_out(reading) src = px_typed_source(p, "src", reading, gen, NULL);
	px_out(summary) sum = px_typed_map(p, "avg", src, reading, summary,
					   avg, NULL);

	return px_typed_sink(p, "show", sum, summary, show_summary, NULL);
}
