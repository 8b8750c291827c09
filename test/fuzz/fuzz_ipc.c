// SPDX-License-Identifier: MIT
/*
 * fuzz_ipc.c - libFuzzer target for what the other side of an IPC channel
 * can make us read: a control message (ipc/ipc_wire.c), a run of items in
 * the data ring (caps changes in pieces, buffers that must lie inside
 * their pool), and the shared rings themselves, whose header and indices
 * the peer may rewrite at any time (ring/ring.c). The first byte picks
 * which; test/fuzz/run.sh builds and runs it.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ipc_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A control message, in a buffer exactly its size (ASan sees overreads). */
static void message(const uint8_t *data, size_t size)
{
	uint8_t *m = malloc(size ? size : 1);
	const char *why = NULL;
	int type;

	if (!m)
		abort();
	memcpy(m, data, size);
	type = px__ipc_msg_check(m, size, &why);
	if (type < 0 && !why)
		abort(); /* a refusal gives its reason */
	if (type == PX__IPC_HELLO &&
	    strlen(((struct px__ipc_hello *)m)->channel) >= PX__IPC_CHANNEL_MAX)
		abort();
	if (type == PX__IPC_WELCOME &&
	    strlen(((struct px__ipc_welcome *)m)->caps) >= PX__IPC_CAPS_MAX)
		abort();
	if (type == PX__IPC_REFUSE &&
	    strlen(((struct px__ipc_text *)m)->text) >= PX__IPC_TEXT_MAX)
		abort();
	free(m);
}

/* Items as a subscriber takes them off the data ring: caps changes and
 * buffers of a pool of 64 slots of 4 KiB. */
static void items(const uint8_t *data, size_t size)
{
	struct px__ipc_caps_rx *rx = calloc(1, sizeof(*rx));

	if (!rx)
		abort();
	for (size_t at = 0; at + sizeof(struct px_item) <= size;
	     at += sizeof(struct px_item)) {
		struct px_item it;

		memcpy(&it, data + at, sizeof(it));
		if (it.type == PX_ITEM_EVENT) {
			uint32_t total = it.ev.caps_id & 0xffff;
			int rc = px__ipc_caps_piece(rx, &it);

			/* A change ends at its length (a NUL inside, from
			 * a hostile publisher, only ends it sooner). */
			if (rc == 1 && (total >= PX__IPC_CAPS_MAX ||
					rx->caps[total] != '\0'))
				abort();
			if (rx->have >= PX__IPC_CAPS_MAX)
				abort();
		} else if (px__ipc_buf_fits(&it, 64, 4096) &&
			   (it.buf.slot >= 64 ||
			    (uint64_t)it.buf.offset + it.buf.length > 4096)) {
			abort();
		}
	}
	free(rx);
}

/*
 * Shared rings as the publisher has them: made by px_ring_view_init(),
 * then the bytes as a script of what a subscriber does to the shared
 * memory (rewrite any word: header, indices, items) and what the publisher
 * does through its view (produce on an SPSC data ring, consume, count),
 * plus a second view attached to what is there now. Every copy must stay
 * inside the mapping (ASan) and no count may exceed the view's capacity.
 * Not produced here: an MPSC ring whose indices another process rewrote,
 * whose producers then wait for their turn for ever (docs/ipc.md: a
 * subscriber trusts its publisher, which never produces on one).
 */
static void rings(const uint8_t *data, size_t size)
{
	static const uint32_t item_sizes[] = { 8, 16, 64, 72 };
	uint8_t buf[64 * 72];
	uint32_t cap, isz;
	enum px_ring_kind kind;
	struct px_ring_view ours, theirs = { 0 };
	size_t memsize;
	void *mem;

	if (size < 2)
		return;
	cap = 2u << (data[0] & 3);		/* 2..16 */
	isz = item_sizes[(data[0] >> 2) & 3];
	kind = (data[0] >> 4) & 1 ? PX_RING_MPSC : PX_RING_SPSC;
	/* Exactly the ring's bytes: one past it is past the allocation. */
	memsize = px_ring_memsize(cap, isz);
	mem = aligned_alloc(PX_CACHE_LINE, memsize);
	if (!mem || px_ring_view_init(&ours, mem, memsize, cap, isz, kind))
		abort();
	memset(buf, 0xa5, sizeof(buf));
	for (size_t at = 1; at + 5 <= size; at += 5) {
		uint8_t op = data[at];
		uint32_t arg;

		memcpy(&arg, data + at + 1, sizeof(arg));
		switch (op % 6) {
		case 0: /* the peer rewrites a word */
			memcpy((uint8_t *)mem + (arg % (memsize / 4)) * 4, &arg,
			       sizeof(arg));
			break;
		case 1: /* we attach to what is there now */
			if (px_ring_view_attach(&theirs, mem, memsize))
				theirs.ring = NULL;
			break;
		case 2:
			if (kind == PX_RING_SPSC &&
			    px_ring_view_enqueue_burst(&ours, buf,
						       arg % (cap + 1)) > cap)
				abort();
			break;
		case 3:
			if (px_ring_view_dequeue_burst(&ours, buf,
						       arg % (cap + 1)) > cap)
				abort();
			break;
		case 4:
			if (px_ring_view_count(&ours) > cap ||
			    px_ring_view_free_count(&ours) > cap)
				abort();
			break;
		case 5: /* through the attached view, as the peer's consumer */
			if (theirs.ring) {
				uint32_t c = px_ring_view_capacity(&theirs);
				uint32_t n = arg % 64;

				if ((uint64_t)n * px_ring_view_item_size(&theirs) >
				    sizeof(buf))
					n = (uint32_t)(sizeof(buf) /
						       px_ring_view_item_size(&theirs));
				if (px_ring_view_dequeue_burst(&theirs, buf, n) > c ||
				    px_ring_view_count(&theirs) > c)
					abort();
			}
			break;
		}
	}
	free(mem);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	switch (data[0] % 3) {
	case 0:
		message(data + 1, size - 1);
		break;
	case 1:
		items(data + 1, size - 1);
		break;
	default:
		rings(data + 1, size - 1);
		break;
	}
	return 0;
}
