// SPDX-License-Identifier: MIT
/*
 * copy_probe.c - copies N bytes (argv[1]) with memcpy, so the tests can
 * show that copy_shim.so sees a copy: the zero-copy check must be able to
 * fail.
 */
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
	size_t n = argc > 1 ? strtoull(argv[1], NULL, 0) : 1u << 20;
	char *a = calloc(1, n), *b = malloc(n);
	volatile char sink;

	if (!a || !b)
		return 1;
	memcpy(b, a, n);
	sink = b[n / 2];
	(void)sink;
	free(a);
	free(b);
	return 0;
}
