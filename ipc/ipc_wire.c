// SPDX-License-Identifier: MIT
/*
 * ipc_wire.c - what one side of a channel can send the other, checked
 * before use: control messages, the pieces of a caps change in the data
 * ring, and the bounds of a buffer item. Pure functions, no I/O, so that
 * the fuzz target (test/fuzz/fuzz_ipc.c) runs them on any bytes.
 */
#include <errno.h>
#include <string.h>

#include "ipc_int.h"

void px__ipc_hdr_init(struct px__ipc_hdr *h, enum px__ipc_msg_type type,
		      uint32_t size)
{
	memset(h, 0, sizeof(*h));
	h->magic = PX__IPC_MAGIC;
	h->version = PX__IPC_VERSION;
	h->type = (uint16_t)type;
	h->size = size;
}

static bool terminated(const char *s, size_t cap)
{
	return memchr(s, '\0', cap) != NULL;
}

int px__ipc_msg_check(const void *buf, size_t len, const char **why)
{
	static const uint32_t sizes[] = {
		[PX__IPC_HELLO] = sizeof(struct px__ipc_hello),
		[PX__IPC_WELCOME] = sizeof(struct px__ipc_welcome),
		[PX__IPC_POOL] = sizeof(struct px__ipc_pool_msg),
		[PX__IPC_READY] = sizeof(struct px__ipc_hdr),
		[PX__IPC_REFUSE] = sizeof(struct px__ipc_text),
	};
	struct px__ipc_hdr h;

	if (len < sizeof(h)) {
		*why = "a message shorter than a header";
		return -EPROTO;
	}
	memcpy(&h, buf, sizeof(h));
	if (h.magic != PX__IPC_MAGIC) {
		*why = "not a Parallax IPC message (bad magic)";
		return -EPROTO;
	}
	if (h.version != PX__IPC_VERSION) {
		*why = "an IPC protocol version this build does not speak";
		return -EPROTO;
	}
	if (h.type == 0 || h.type >= sizeof(sizes) / sizeof(sizes[0])) {
		*why = "an unknown message type";
		return -EPROTO;
	}
	if (h.size != len || len != sizes[h.type]) {
		*why = "a message whose size does not match its type";
		return -EPROTO;
	}
	if ((h.type == PX__IPC_HELLO &&
	     !terminated(((const struct px__ipc_hello *)buf)->channel,
			 PX__IPC_CHANNEL_MAX)) ||
	    (h.type == PX__IPC_WELCOME &&
	     !terminated(((const struct px__ipc_welcome *)buf)->caps,
			 PX__IPC_CAPS_MAX)) ||
	    (h.type == PX__IPC_REFUSE &&
	     !terminated(((const struct px__ipc_text *)buf)->text,
			 PX__IPC_TEXT_MAX))) {
		*why = "a string that is not terminated";
		return -EPROTO;
	}
	return h.type;
}

unsigned px__ipc_caps_encode(const char *text, struct px_item *out)
{
	size_t total = strnlen(text, PX__IPC_CAPS_MAX - 1), off = 0;
	unsigned n = 0;

	do {
		size_t k = PX_MIN(total - off, (size_t)PX_EVENT_PAYLOAD);
		struct px_item *it = &out[n++];

		memset(it, 0, sizeof(*it));
		it->type = PX_ITEM_EVENT;
		it->ev.type = PX_EVENT_CAPS;
		it->ev.size = (uint16_t)k;
		it->ev.caps_id = (uint32_t)(off << 16 | total);
		memcpy(it->ev.data, text + off, k);
		off += k;
	} while (off < total);
	return n;
}

int px__ipc_caps_piece(struct px__ipc_caps_rx *rx, struct px_item *it)
{
	uint32_t off = it->ev.caps_id >> 16, total = it->ev.caps_id & 0xffff;

	if (!it->ev.size || it->ev.size > PX_EVENT_PAYLOAD || !total ||
	    total >= PX__IPC_CAPS_MAX || off + it->ev.size > total)
		return -EPROTO;
	if (off == 0)
		rx->have = 0;
	if (off != rx->have)
		return 2; /* joined mid-way: WELCOME had these caps */
	memcpy(rx->next + off, it->ev.data, it->ev.size);
	rx->have += it->ev.size;
	if (rx->have < total)
		return 2;
	memcpy(rx->caps, rx->next, total);
	rx->caps[total] = '\0';
	rx->have = 0;
	it->ev.caps_id = 0;
	it->ev.size = 0;
	return 1;
}

bool px__ipc_buf_fits(const struct px_item *it, uint32_t slots,
		      uint32_t slot_size)
{
	return it->buf.slot < slots && it->buf.offset <= slot_size &&
	       it->buf.length <= slot_size - it->buf.offset;
}
