/* SPDX-License-Identifier: MIT */
/*
 * px_base.h - the few macros every Parallax module shares: export and inline
 * markers, cache-line size, container_of, branch hints. Depends on libc only,
 * so every module may include it; it lives in engine/base/, the one folder
 * on every module's include path (docs/architecture.md, "Modules").
 * Stability: public API, changed only with the ABI version (px_plugin.h).
 */
#ifndef PX_BASE_H
#define PX_BASE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
#define PX_EXTERN_C_BEGIN extern "C" {
#define PX_EXTERN_C_END }
#else
#define PX_EXTERN_C_BEGIN
#define PX_EXTERN_C_END
#endif

/* Symbols of libparallax are hidden unless marked PX_API. */
#if defined(PX_BUILDING_LIBRARY)
#define PX_API __attribute__((visibility("default")))
#else
#define PX_API
#endif

/* Header inlines: one definition, inlined where it matters. */
#define PX_INLINE static inline __attribute__((always_inline))

/* x86-64 and arm64 both use 64-byte lines for the data we share. */
#define PX_CACHE_LINE 64

#define px_likely(x) __builtin_expect(!!(x), 1)
#define px_unlikely(x) __builtin_expect(!!(x), 0)

#define PX_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define PX_ALIGN_UP(x, a) (((x) + ((a) - 1)) & ~((__typeof__(x))(a) - 1))
#define PX_IS_POW2(x) ((x) != 0 && (((x) & ((x) - 1)) == 0))
/* Each argument may be evaluated twice: pass values, never a call whose
 * result can change between two evaluations (a clock, a ring's room). */
#define PX_MIN(a, b) ((a) < (b) ? (a) : (b))
#define PX_MAX(a, b) ((a) > (b) ? (a) : (b))

/* The structure that embeds MEMBER at PTR (kernel container_of). */
#define px_container_of(ptr, type, member) \
	((type *)(void *)((char *)(ptr) - offsetof(type, member)))

#define PX_UNUSED __attribute__((unused))
#define PX_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define PX_WARN_UNUSED __attribute__((warn_unused_result))
/* A function that runs rarely (an error path). Calls to it mark the path
 * that leads there as unlikely, and GCC then stops sharing one call among
 * many such paths, which made every hot path set up that call's
 * arguments (px_record.h's refusals: 18 instructions a validation). */
#define PX_COLD __attribute__((cold))

#endif /* PX_BASE_H */
