/* SPDX-License-Identifier: MIT */
/*
 * px_appsink.h - appsink, the sink that hands every buffer to the
 * application: a C callback per buffer and one at EOS, called on the
 * element's reactor thread as the buffers arrive (no copy, no queue).
 *
 *   static void on_buf(struct px_element *e, const struct px_buf *b, void *arg)
 *   {
 *           consume(px_buf_data(b), b->length);   // must not block
 *   }
 *   px_pipeline_add(p, "appsink", "out", &sink);
 *   px_appsink_set_callbacks(sink, &(struct px_appsink_callbacks){
 *           .buffer = on_buf, .eos = on_eos, .arg = &state });
 * Stability: public API, changed only with the ABI version (px_plugin.h).
 */
#ifndef PX_APPSINK_H
#define PX_APPSINK_H

#include "px_base.h"
#include "px_buf.h"
#include "px_element.h"

PX_EXTERN_C_BEGIN

/*
 * Called once per buffer, in stream order, on the reactor thread that runs
 * the appsink: it must not block (hand heavy work to another thread). BUF is
 * borrowed (transfer none) and released when the callback returns; to keep
 * the bytes longer, take a reference on a copy of the value:
 * `struct px_buf mine = *buf; px_buf_ref(&mine);` ... `px_buf_unref(&mine);`
 */
typedef void (*px_appsink_buffer_fn)(struct px_element *e,
				     const struct px_buf *buf, void *arg);
/* Called once when EOS arrives, after the last buffer callback, on the
 * same thread; the pipeline posts EOS on the bus after it returns. */
typedef void (*px_appsink_eos_fn)(struct px_element *e, void *arg);
/*
 * Called before the first buffer and whenever the caps of the buffers that
 * follow change (a CAPS event), in stream order, on the same thread. CAPS
 * is borrowed (transfer none) and stays valid while the pipeline lives.
 */
typedef void (*px_appsink_caps_fn)(struct px_element *e,
				   const struct px_caps *caps, void *arg);

struct px_appsink_callbacks {
	px_appsink_buffer_fn buffer; /* NULL: buffers are dropped */
	px_appsink_eos_fn eos;	     /* NULL: nothing to do at EOS */
	px_appsink_caps_fn caps;     /* NULL: caps are not reported */
	void *arg;		     /* passed to each */
};

/*
 * px_appsink_set_callbacks - install CB (copied; NULL removes them) on
 * appsink E. Call from the application thread while the pipeline is not
 * PLAYING (state NULL, READY or PAUSED): the state change to PLAYING
 * publishes them to the reactor thread.
 * Returns 0, or -EINVAL when E is NULL or not an appsink.
 */
PX_API int px_appsink_set_callbacks(struct px_element *e,
				    const struct px_appsink_callbacks *cb);

/*
 * px_appsink_stream - from inside the buffer callback: the stream the buffer
 * came from (struct px_item's STREAM; multitcpsrc numbers its clients), 0
 * for a source of one stream. Reactor thread (the callback's).
 */
PX_API uint32_t px_appsink_stream(const struct px_element *e);

PX_EXTERN_C_END

#endif /* PX_APPSINK_H */
