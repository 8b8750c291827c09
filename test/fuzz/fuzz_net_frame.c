// SPDX-License-Identifier: MIT
/*
 * fuzz_net_frame.c - libFuzzer target for netsrc's frame decoder
 * (elements/net_frame.c): any bytes as a stream of STRM frames, as a
 * header, as a HELLO; then the same bytes cut into payloads, framed by the
 * encoder, must decode back whole. test/fuzz/run.sh builds and runs it.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "net_frame.h"
#include "px_crc32c.h"

#define MAX_FRAME (1u << 20)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct net_frame f;
	struct net_hello h;
	char why[160];
	size_t off = 0;
	int n = net_parse(data, size, MAX_FRAME, &off);

	if (n >= 0 ? off > size : off >= size)
		abort(); /* an offset outside the input */
	if (size >= NET_HDR_SIZE &&
	    net_hdr_check(data, MAX_FRAME, &f, why, sizeof(why)) == 0 &&
	    f.length > MAX_FRAME)
		abort();
	if (net_hello_get(data, (uint32_t)size, &h, why, sizeof(why)) == 0 &&
	    (const uint8_t *)h.caps + h.caps_len > data + size)
		abort(); /* caps outside the frame */

	/* Round trip: the input cut into payloads by its own first byte,
	 * each framed as kind 7 (skipped by receivers), decodes back. */
	if (size > 1) {
		size_t step = (size_t)data[0] + 1, out_len = 0;
		uint8_t *out = malloc(size + (size / step + 1) * NET_HDR_SIZE);
		int frames = 0;

		for (size_t at = 1; at < size; at += step, frames++) {
			size_t len = size - at < step ? size - at : step;

			net_hdr_put(out + out_len, 7, (uint32_t)len,
				    px_crc32c(0, data + at, len));
			memcpy(out + out_len + NET_HDR_SIZE, data + at, len);
			out_len += NET_HDR_SIZE + len;
		}
		if (net_parse(out, out_len, MAX_FRAME, &off) != frames ||
		    off != out_len)
			abort();
		free(out);
	}
	return 0;
}
