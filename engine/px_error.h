/* SPDX-License-Identifier: MIT */
/*
 * px_error.h - error codes. Parallax functions return 0 (or a count) on
 * success and a negative errno on failure; px_strerror() names the code.
 * Stability: public API, changed only with the ABI version (px_plugin.h).
 */
#ifndef PX_ERROR_H
#define PX_ERROR_H

#include "px_base.h"

PX_EXTERN_C_BEGIN

/*
 * px_strerror - text for a Parallax return code.
 * @err: a negative errno as returned by any px_ function (positive values
 *       are accepted too and treated the same).
 * Returns a static, immutable string ("Success" for 0); never NULL.
 * Thread: any; the string is never overwritten.
 */
PX_API const char *px_strerror(int err);

PX_EXTERN_C_END

#endif /* PX_ERROR_H */
