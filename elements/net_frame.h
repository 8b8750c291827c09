/* SPDX-License-Identifier: MIT */
/*
 * net_frame.h - the STRM wire format of netsink and netsrc, version 1
 * (docs/net.md is its specification for other programs): a 16-byte
 * header, then the payload, all integers little-endian.
 *
 *   0  magic "STRM"   4  version u16 (1)   6  flags u16 (bits 0-3: kind)
 *   8  payload length u32                  12 CRC32C of the payload u32
 *
 * This file encodes and checks; it does no I/O. Not installed.
 */
#ifndef PX_NET_FRAME_H
#define PX_NET_FRAME_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NET_HDR_SIZE 16u
#define NET_VERSION 1u
#define NET_DATA_HDR_SIZE 32u  /* seq, pts, duration, flags, reserved */
#define NET_EVENT_HDR_SIZE 12u /* seq, type, size */
#define NET_HELLO_FIXED 30u    /* HELLO before its caps text */
#define NET_ACK_SIZE 8u
#define NET_MAX_FRAME_DEFAULT (16u << 20)
/* Frames other than DATA are read into a buffer of this size. */
#define NET_CTL_MAX 65536u
#define NET_NO_TIME INT64_MIN

enum net_kind {
	NET_DATA = 0,
	NET_EVENT = 1,
	NET_HELLO = 2,
	NET_ACK = 3,
};

/* HELLO flags. */
#define NET_HELLO_RESUME 1u /* this side can resume (keeps / ACKs) */
#define NET_HELLO_NO_CRC 2u /* this sender leaves the CRC field 0 */

/* A checked frame header. */
struct net_frame {
	unsigned kind;	 /* enum net_kind, or another value (skipped) */
	uint32_t length; /* payload bytes */
	uint32_t crc;	 /* as sent */
};

/* The fixed part of a DATA payload. */
struct net_data {
	uint64_t seq;
	int64_t pts, duration; /* NET_NO_TIME: none */
	uint32_t flags;
};

/* A HELLO, either way. */
struct net_hello {
	uint32_t flags;	       /* NET_HELLO_* */
	uint64_t stream_id;    /* the sender's stream; 0: none */
	uint64_t seq;	       /* sender: its next seq; receiver: last seq it
				  delivered (0: none) */
	uint64_t retain_bytes; /* sender: bytes it keeps for a resend */
	const char *caps;      /* points into the frame; CAPS_LEN bytes */
	uint16_t caps_len;
};

/* Little-endian stores and loads of any alignment. */
static inline void net_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static inline void net_put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static inline void net_put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static inline uint16_t net_get16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static inline uint32_t net_get32(const uint8_t *p)
{
	uint32_t v = 0;

	for (int i = 3; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static inline uint64_t net_get64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

/* Write a frame header of KIND for LENGTH payload bytes with CRC. */
void net_hdr_put(uint8_t hdr[NET_HDR_SIZE], unsigned kind, uint32_t length,
		 uint32_t crc);

/*
 * Check a received header against MAX_FRAME (the receiver's max-frame-size).
 * Fills OUT. Returns 0, or -EPROTO with WHY set to a phrase ("bad magic
 * 53 54 52 4e", "version 2, not 1", "length 20000000 over max-frame-size
 * 16777216", ...). Unknown kinds pass: the caller skips them after the CRC.
 */
int net_hdr_check(const uint8_t hdr[NET_HDR_SIZE], uint32_t max_frame,
		  struct net_frame *out, char *why, size_t why_len);

/* DATA's fixed part: write from D, or read into D. */
void net_data_put(uint8_t p[NET_DATA_HDR_SIZE], const struct net_data *d);
void net_data_get(const uint8_t p[NET_DATA_HDR_SIZE], struct net_data *d);

/* EVENT's fixed part. */
void net_event_put(uint8_t p[NET_EVENT_HDR_SIZE], uint64_t seq, uint16_t type,
		   uint16_t size);

/*
 * A HELLO payload from H into P (room for NET_HELLO_FIXED + caps bytes);
 * returns its length. net_hello_get parses LEN bytes at P: 0, or -EPROTO
 * (too short, or caps running past the end) with WHY set.
 */
uint32_t net_hello_put(uint8_t *p, const struct net_hello *h);
int net_hello_get(const uint8_t *p, uint32_t len, struct net_hello *h,
		  char *why, size_t why_len);

/*
 * net_parse - check a whole byte stream of frames (BUF, LEN) as netsrc
 * would, CRCs included: the decoder the fuzz target drives. Returns the
 * number of complete, valid frames, or -EPROTO at the first bad one with
 * *OFFSET set to its byte offset.
 */
int net_parse(const uint8_t *buf, size_t len, uint32_t max_frame,
	      size_t *offset);

#endif /* PX_NET_FRAME_H */
