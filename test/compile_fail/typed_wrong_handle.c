// SPDX-License-Identifier: MIT
// expect: invalid initializer
// A source of readings kept in a handle of summaries (GCC's message names
// no type here; the declaration line is the one it points at).
#include "typed_records.h"

int probe(struct px_pipeline *p);
int probe(struct px_pipeline *p)
{
	px_out(summary) src = px_typed_source(p, "src", reading, gen, NULL);

	return px_typed_element(src) ? 0 : -1;
}
