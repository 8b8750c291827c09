// SPDX-License-Identifier: MIT
/* px-inspect - list what this Parallax build and this kernel offer. */
#include <stdio.h>
#include <string.h>

#include <parallax/parallax.h>

static int print_features(void)
{
	printf("Parallax %s, io_uring features of the running kernel:\n",
	       px_version());
	for (int f = 0; f < PX_FEAT__COUNT; f++)
		printf("  %-18s %s\n", px_feature_name(f),
		       px_feature_has(f) ? "yes" : "no");
	return 0;
}

static void usage(FILE *out)
{
	fprintf(out, "usage: px-inspect [--features | --version]\n");
}

int main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], "--version") == 0) {
		printf("px-inspect %s\n", px_version());
		return 0;
	}
	if (argc == 2 && strcmp(argv[1], "--features") == 0)
		return print_features();
	if (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		usage(stdout);
		return 0;
	}
	usage(stderr);
	return 2;
}
