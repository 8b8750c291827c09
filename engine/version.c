// SPDX-License-Identifier: MIT
/* version.c - run-time library version. */
#include "px_version.h"

PX_API const char *px_version(void)
{
	return PX_VERSION_STRING;
}
