// SPDX-License-Identifier: MIT
/*
 * fuzz_caps.c - libFuzzer target for the caps parser (engine/caps.c): any
 * text parses or is refused; parsed caps print to text that parses again
 * to the same text, and intersect with themselves. test/fuzz/run.sh builds
 * and runs it.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "px_caps.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct px_caps *caps = NULL, *again = NULL, *both = NULL;
	char *text = malloc(size + 1), a[8192], b[8192];

	memcpy(text, data, size);
	text[size] = '\0';
	if (px_caps_parse(text, &caps, NULL) == 0) {
		size_t n = px_caps_to_string(caps, a, sizeof(a));

		if (n < sizeof(a)) {
			/* What we print, we read back as the same caps. */
			if (px_caps_parse(a, &again, NULL) != 0)
				abort();
			px_caps_to_string(again, b, sizeof(b));
			if (strcmp(a, b) != 0)
				abort();
		}
		(void)px_caps_intersect(caps, caps, &both);
	}
	px_caps_unref(both);
	px_caps_unref(again);
	px_caps_unref(caps);
	free(text);
	return 0;
}
