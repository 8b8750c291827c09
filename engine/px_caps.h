/* SPDX-License-Identifier: MIT */
/*
 * px_caps.h - capabilities: media types with typed fields, or ANY. Links
 * are allowed when the caps of both pads intersect.
 *   "ANY"   "application/x-rec"   "application/x-rec,rate=(int)10,name=abc"
 *   "video/raw, format=(string)YUY2; video/raw, format=(string)YV12"
 * Stability: public API, changed only with the ABI version (px_plugin.h).
 */
#ifndef PX_CAPS_H
#define PX_CAPS_H

#include <stdbool.h>
#include <stddef.h>

#include "px_base.h"

PX_EXTERN_C_BEGIN

struct px_caps; /* immutable once made; reference counted */

/*
 * px_caps_parse - parse caps text: one structure, or several separated by
 * ';' (any one of them is acceptable), or ANY. Field values are typed by an
 * explicit "(int)", "(uint64)", "(double)", "(string)", "(bool)" prefix,
 * or inferred (integer, then double, then true/false in any case, then
 * string). A field whose value is "{a, b, c}" is a set (one of them);
 * "[lo, hi]" an integer range; "<a, b>" an array (one ordered value, equal
 * only to the same array). In a quoted string a backslash takes the next
 * character; a backslash before a space is a space.
 * Returns 0, or -EINVAL (ERRPOS, when not NULL, gets the byte offset of the
 * first bad character; px_caps_explain says what is wrong), -ENOMEM.
 * (transfer full) *OUT. Any thread.
 */
PX_API int px_caps_parse(const char *text, struct px_caps **out,
			 size_t *errpos);
/*
 * px_caps_explain - why TEXT does not parse, into BUF: "at byte 14
 * ('abc'): not an integer". Empty (returns 0) when it parses. Returns the
 * length it needs, like snprintf. Any thread.
 */
PX_API size_t px_caps_explain(const char *text, char *buf, size_t len);
/* ANY caps into *OUT (transfer full). Returns 0 or -ENOMEM. Any thread. */
PX_API int px_caps_new_any(struct px_caps **out);
PX_API struct px_caps *px_caps_ref(struct px_caps *caps);
PX_API void px_caps_unref(struct px_caps *caps); /* accepts NULL */
PX_API bool px_caps_is_any(const struct px_caps *caps);
/* Whether some value satisfies both (ANY intersects everything). */
PX_API bool px_caps_can_intersect(const struct px_caps *a,
				  const struct px_caps *b);
/*
 * px_caps_intersect - what satisfies both A and B, into *OUT (transfer
 * full). Returns 0; -ENODATA when nothing does (*OUT is NULL: the caps
 * contradict each other); -ENOMEM. Any thread.
 */
PX_API int px_caps_intersect(const struct px_caps *a, const struct px_caps *b,
			     struct px_caps **out);
/* Canonical text into BUF (always NUL-terminated); returns the length it
 * needs, like snprintf. */
PX_API size_t px_caps_to_string(const struct px_caps *caps, char *buf,
				size_t len);

PX_EXTERN_C_END

#endif /* PX_CAPS_H */
