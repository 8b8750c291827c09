// SPDX-License-Identifier: MIT
/* error.c - px_strerror(): thread-safe text for negative errno codes. */
#include <string.h>

#include "px_error.h"

PX_API const char *px_strerror(int err)
{
	if (err < 0)
		err = -err;
	if (err == 0)
		return "Success";
	/* strerrordesc_np returns immutable text, unlike strerror(). */
	const char *s = strerrordesc_np(err);
	return s ? s : "Unknown error";
}
