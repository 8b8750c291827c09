// SPDX-License-Identifier: MIT
/* px-launch - run a pipeline described by a launch string. */
#include <stdio.h>

#include <parallax/parallax.h>

int main(int argc, char **argv)
{
	(void)argv;
	fprintf(stderr, "px-launch %s: pipelines are not yet available in this build\n",
		px_version());
	return argc > 1 ? 1 : 2;
}
