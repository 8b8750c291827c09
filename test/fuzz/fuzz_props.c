// SPDX-License-Identifier: MIT
/*
 * fuzz_props.c - libFuzzer target for the property value parsers
 * (engine/prop_text.c: sizes, durations, booleans, integers; engine/
 * memory.c: the memory choice): any text is read or refused, and what is
 * read prints (as px_element_get prints it) to text that reads back to the
 * same value. test/fuzz/run.sh builds and runs it.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline_int.h"
#include "px_memory.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Print VALUE of TYPE the way px_element_get does. */
static void format(enum px_prop_type type, const void *value, char *buf,
		   size_t len)
{
	struct px_prop_spec spec = { .name = "p", .type = type, .offset = 0 };

	if (px__prop_format(&spec, value, buf, len) < 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1), out[PX_MEMORY_DIR_MAX + 128],
	     again[PX_MEMORY_DIR_MAX + 128];
	struct px_memory m, m2;
	uint64_t u, u2;
	int64_t i, i2;
	bool b;

	memcpy(text, data, size);
	text[size] = '\0';
	if (px__parse_size(text, &u) == 0) {
		format(PX_PROP_SIZE, &u, out, sizeof(out));
		if (px__parse_size(out, &u2) != 0 || u2 != u)
			abort();
	}
	if (px__parse_duration(text, &i) == 0) {
		format(PX_PROP_DURATION, &i, out, sizeof(out));
		if (px__parse_duration(out, &i2) != 0 || i2 != i)
			abort();
	}
	if (px__parse_bool(text, &b) == 0) {
		format(PX_PROP_BOOL, &b, out, sizeof(out));
		bool b2 = !b;

		if (px__parse_bool(out, &b2) != 0 || b2 != b)
			abort();
	}
	if (px__parse_i64(text, &i)) {
		snprintf(out, sizeof(out), "%" PRId64, i);
		if (!px__parse_i64(out, &i2) || i2 != i)
			abort();
	}
	if (px__parse_u64(text, &u)) {
		snprintf(out, sizeof(out), "%" PRIu64, u);
		if (!px__parse_u64(out, &u2) || u2 != u)
			abort();
	}
	if (px_memory_parse(text, &m, NULL, 0) == 0) {
		px_memory_format(&m, out, sizeof(out));
		if (px_memory_parse(out, &m2, NULL, 0) != 0)
			abort();
		px_memory_format(&m2, again, sizeof(again));
		if (strcmp(out, again) != 0)
			abort();
	}
	free(text);
	return 0;
}
