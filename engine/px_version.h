/* SPDX-License-Identifier: MIT */
/*
 * px_version.h - library version, at compile time and at run time.
 * Stability: public API, changed only with the ABI version (px_plugin.h).
 */
#ifndef PX_VERSION_H
#define PX_VERSION_H

#include "px_base.h"

#define PX_VERSION_MAJOR 0
#define PX_VERSION_MINOR 1
#define PX_VERSION_PATCH 0
#define PX_VERSION_STRING "0.1.0"

PX_EXTERN_C_BEGIN

/* px_version - the version of the linked library ("0.1.0"). Thread: any. */
PX_API const char *px_version(void);

PX_EXTERN_C_END

#endif /* PX_VERSION_H */
