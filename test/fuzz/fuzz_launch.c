// SPDX-License-Identifier: MIT
/*
 * fuzz_launch.c - libFuzzer target for the launch-string parser
 * (engine/parse_syntax.c): any text parses to a tree, or to an error with a
 * line and column inside the text that px_parse_error_format() renders
 * (caret line included) without overrunning its buffer; the tree is freed
 * on both paths. test/fuzz/run.sh builds and runs it.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "parse_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct px__parse_ast ast;
	struct px_parse_error err;
	char *text = malloc(size + 1), out[512];
	unsigned lines = 1;
	int rc;

	memcpy(text, data, size);
	text[size] = '\0';
	for (size_t i = 0; i < size && text[i]; i++)
		lines += text[i] == '\n';
	memset(&ast, 0, sizeof(ast));
	memset(&err, 0, sizeof(err));
	rc = px__parse_syntax(text, &ast, &err);
	if (rc != 0) {
		if (err.code != rc || err.line < 1 || err.line > lines ||
		    err.column < 1 || !err.message[0])
			abort(); /* an error that points nowhere */
		(void)px_parse_error_format(&err, text, out, sizeof(out));
		if (!memchr(out, '\0', sizeof(out)))
			abort();
	}
	px__parse_ast_free(&ast);
	free(text);
	return 0;
}
