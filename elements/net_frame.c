// SPDX-License-Identifier: MIT
/*
 * net_frame.c - encoding and checking STRM frames (net_frame.h); no I/O.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "net_frame.h"
#include "px_crc32c.h"

static const uint8_t magic[4] = { 'S', 'T', 'R', 'M' };

void net_hdr_put(uint8_t hdr[NET_HDR_SIZE], unsigned kind, uint32_t length,
		 uint32_t crc)
{
	memcpy(hdr, magic, 4);
	net_put16(hdr + 4, NET_VERSION);
	net_put16(hdr + 6, (uint16_t)(kind & 0xf));
	net_put32(hdr + 8, length);
	net_put32(hdr + 12, crc);
}

int net_hdr_check(const uint8_t hdr[NET_HDR_SIZE], uint32_t max_frame,
		  struct net_frame *out, char *why, size_t why_len)
{
	uint16_t version = net_get16(hdr + 4), flags = net_get16(hdr + 6);
	uint32_t length = net_get32(hdr + 8);

	if (memcmp(hdr, magic, 4) != 0) {
		snprintf(why, why_len,
			 "bad magic %02x %02x %02x %02x (not a STRM frame)",
			 hdr[0], hdr[1], hdr[2], hdr[3]);
		return -EPROTO;
	}
	if (version != NET_VERSION) {
		snprintf(why, why_len, "version %u, not %u", version,
			 NET_VERSION);
		return -EPROTO;
	}
	if (flags & ~0xfu) {
		snprintf(why, why_len, "flags 0x%04x set bits that version 1 "
				       "keeps 0",
			 flags);
		return -EPROTO;
	}
	if (length > max_frame) {
		snprintf(why, why_len, "length %u over max-frame-size %u",
			 length, max_frame);
		return -EPROTO;
	}
	out->kind = flags & 0xf;
	out->length = length;
	out->crc = net_get32(hdr + 12);
	if (out->kind == NET_DATA && length < NET_DATA_HDR_SIZE) {
		snprintf(why, why_len, "DATA frame of %u bytes, shorter than "
				       "its %u-byte item header",
			 length, NET_DATA_HDR_SIZE);
		return -EPROTO;
	}
	if (out->kind != NET_DATA && length > NET_CTL_MAX) {
		snprintf(why, why_len, "a kind %u frame of %u bytes (at most "
				       "%u for frames other than DATA)",
			 out->kind, length, NET_CTL_MAX);
		return -EPROTO;
	}
	return 0;
}

void net_data_put(uint8_t p[NET_DATA_HDR_SIZE], const struct net_data *d)
{
	net_put64(p, d->seq);
	net_put64(p + 8, (uint64_t)d->pts);
	net_put64(p + 16, (uint64_t)d->duration);
	net_put32(p + 24, d->flags);
	net_put32(p + 28, 0);
}

void net_data_get(const uint8_t p[NET_DATA_HDR_SIZE], struct net_data *d)
{
	d->seq = net_get64(p);
	d->pts = (int64_t)net_get64(p + 8);
	d->duration = (int64_t)net_get64(p + 16);
	d->flags = net_get32(p + 24);
}

void net_event_put(uint8_t p[NET_EVENT_HDR_SIZE], uint64_t seq, uint16_t type,
		   uint16_t size)
{
	net_put64(p, seq);
	net_put16(p + 8, type);
	net_put16(p + 10, size);
}

uint32_t net_hello_put(uint8_t *p, const struct net_hello *h)
{
	net_put32(p, h->flags);
	net_put64(p + 4, h->stream_id);
	net_put64(p + 12, h->seq);
	net_put64(p + 20, h->retain_bytes);
	net_put16(p + 28, h->caps_len);
	if (h->caps_len)
		memcpy(p + NET_HELLO_FIXED, h->caps, h->caps_len);
	return NET_HELLO_FIXED + h->caps_len;
}

int net_hello_get(const uint8_t *p, uint32_t len, struct net_hello *h,
		  char *why, size_t why_len)
{
	if (len < NET_HELLO_FIXED) {
		snprintf(why, why_len, "HELLO of %u bytes, shorter than its "
				       "%u fixed bytes",
			 len, NET_HELLO_FIXED);
		return -EPROTO;
	}
	h->flags = net_get32(p);
	h->stream_id = net_get64(p + 4);
	h->seq = net_get64(p + 12);
	h->retain_bytes = net_get64(p + 20);
	h->caps_len = net_get16(p + 28);
	if (h->caps_len > len - NET_HELLO_FIXED) {
		snprintf(why, why_len, "HELLO caps of %u bytes run past its "
				       "end (%u bytes)",
			 h->caps_len, len);
		return -EPROTO;
	}
	h->caps = (const char *)p + NET_HELLO_FIXED;
	return 0;
}

int net_parse(const uint8_t *buf, size_t len, uint32_t max_frame,
	      size_t *offset)
{
	size_t at = 0;
	int frames = 0;
	char why[160];

	while (len - at >= NET_HDR_SIZE) {
		struct net_frame f;
		struct net_hello h;
		const uint8_t *pl;

		*offset = at;
		if (net_hdr_check(buf + at, max_frame, &f, why, sizeof(why)))
			return -EPROTO;
		if (len - at - NET_HDR_SIZE < f.length)
			break; /* incomplete: more bytes would come */
		pl = buf + at + NET_HDR_SIZE;
		if (px_crc32c(0, pl, f.length) != f.crc)
			return -EPROTO;
		if (f.kind == NET_HELLO &&
		    net_hello_get(pl, f.length, &h, why, sizeof(why)))
			return -EPROTO;
		if (f.kind == NET_EVENT &&
		    (f.length < NET_EVENT_HDR_SIZE ||
		     net_get16(pl + 10) != f.length - NET_EVENT_HDR_SIZE))
			return -EPROTO;
		if (f.kind == NET_ACK && f.length != NET_ACK_SIZE)
			return -EPROTO;
		at += NET_HDR_SIZE + f.length;
		frames++;
	}
	*offset = at;
	return frames;
}
