// SPDX-License-Identifier: MIT
// expect: incompatible types when assigning to type 'struct summary_px_out' from type 'struct reading_px_out'
// A map declared summary -> summary given the readings of a source.
#include "typed_records.h"

int avg_summaries(void *ctx, const struct summary *in, struct summary *out,
		  struct px_record_writer *w);

int probe(struct px_pipeline *p);
int probe(struct px_pipeline *p)
{
	px_out(reading) src = px_typed_source(p, "src", reading, gen, NULL);
	px_out(summary) sum = px_typed_map(p, "avg", src, summary, summary,
					   avg_summaries, NULL);

	return px_typed_sink(p, "show", sum, summary, show_summary, NULL);
}
