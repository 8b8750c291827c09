// SPDX-License-Identifier: MIT
/*
 * test_net_elements.c - the STRM codec (net_frame.c) field by field, and
 * netsink to netsrc in one process: a slow receiver holds the sender to
 * retain-bytes (bounded memory, every buffer delivered in order). Runs to
 * EOS on both sides; nothing waits on a clock. The rest (foreign peers,
 * bad frames, cuts) is it_net.sh.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net_frame.h"
#include "px_crc32c.h"
#include "px_pipeline.h"
#include "px_probe.h"
#include "px_test.h"

#define WAIT_NS (60ll * 1000000000ll)

START_TEST(test_net_codec)
{
	uint8_t h[NET_HDR_SIZE], buf[256];
	struct net_frame f;
	struct net_hello in = { .flags = NET_HELLO_RESUME, .stream_id = 42,
				.seq = 7, .retain_bytes = 1 << 20,
				.caps = "application/x-a", .caps_len = 15 };
	struct net_hello out;
	char why[160];
	size_t off;
	uint32_t len;

	/* The check value of CRC32C. */
	ck_assert_uint_eq(px_crc32c(0, "123456789", 9), 0xE3069283u);
	net_hdr_put(h, NET_DATA, 100, 0x1234);
	ck_assert_int_eq(net_hdr_check(h, 1000, &f, why, sizeof(why)), 0);
	ck_assert_uint_eq(f.kind, NET_DATA);
	ck_assert_uint_eq(f.length, 100);
	ck_assert_uint_eq(f.crc, 0x1234);
	ck_assert_int_eq(net_hdr_check(h, 99, &f, why, sizeof(why)), -EPROTO);
	ck_assert_str_eq(why, "length 100 over max-frame-size 99");
	h[4] = 2;
	ck_assert_int_eq(net_hdr_check(h, 1000, &f, why, sizeof(why)), -EPROTO);
	ck_assert_str_eq(why, "version 2, not 1");
	h[4] = 1;
	h[7] = 0x80;
	ck_assert_int_eq(net_hdr_check(h, 1000, &f, why, sizeof(why)), -EPROTO);
	h[7] = 0;
	h[0] = 'X';
	ck_assert_int_eq(net_hdr_check(h, 1000, &f, why, sizeof(why)), -EPROTO);
	ck_assert_str_eq(why, "bad magic 58 54 52 4d (not a STRM frame)");
	net_hdr_put(h, NET_DATA, 31, 0); /* shorter than its item header */
	ck_assert_int_eq(net_hdr_check(h, 1000, &f, why, sizeof(why)), -EPROTO);
	net_hdr_put(h, NET_HELLO, NET_CTL_MAX + 1, 0);
	ck_assert_int_eq(net_hdr_check(h, 1u << 20, &f, why, sizeof(why)),
			 -EPROTO);
	net_hdr_put(h, 9, 5, 0); /* unknown kinds pass, to be skipped */
	ck_assert_int_eq(net_hdr_check(h, 1000, &f, why, sizeof(why)), 0);

	/* HELLO both ways, and one whose caps run past its end. */
	len = net_hello_put(buf, &in);
	ck_assert_uint_eq(len, NET_HELLO_FIXED + 15);
	ck_assert_int_eq(net_hello_get(buf, len, &out, why, sizeof(why)), 0);
	ck_assert_uint_eq(out.flags, NET_HELLO_RESUME);
	ck_assert_uint_eq(out.stream_id, 42);
	ck_assert_uint_eq(out.seq, 7);
	ck_assert_uint_eq(out.retain_bytes, 1 << 20);
	ck_assert_int_eq(memcmp(out.caps, "application/x-a", 15), 0);
	ck_assert_int_eq(net_hello_get(buf, len - 1, &out, why, sizeof(why)),
			 -EPROTO);

	/* A stream of two frames, then a bad CRC at the second's offset. */
	net_hdr_put(buf, NET_ACK, 8, px_crc32c(0, "12345678", 8));
	memcpy(buf + NET_HDR_SIZE, "12345678", 8);
	memcpy(buf + 24, buf, 24);
	ck_assert_int_eq(net_parse(buf, 48, 1000, &off), 2);
	ck_assert_uint_eq(off, 48);
	buf[24 + 20] ^= 1;
	ck_assert_int_eq(net_parse(buf, 48, 1000, &off), -EPROTO);
	ck_assert_uint_eq(off, 24);
	ck_assert_int_eq(net_parse(buf, 40, 1000, &off), 1); /* incomplete */
}
END_TEST

static struct px_pipeline *parse(const char *launch)
{
	struct px_pipeline *p = NULL;
	struct px_parse_error err = { 0 };

	ck_assert_msg(px_pipeline_parse(launch, &p, &err) == 0, "%s: %s",
		      launch, err.message);
	return p;
}

static uint64_t prop_u64(struct px_pipeline *p, const char *elem,
			 const char *prop)
{
	char text[32];

	ck_assert_int_gt(px_element_get(px_pipeline_find(p, elem), prop, text,
					sizeof(text)),
			 0);
	return strtoull(text, NULL, 10);
}

static void wait_eos(struct px_pipeline *p)
{
	struct px_message m;
	int rc = px_pipeline_wait(p, WAIT_NS, &m);

	ck_assert_msg(rc == 0 && m.type == PX_MSG_EOS, "%s: rc %d: %s",
		      px_pipeline_name(p), rc, m.text);
}

/*
 * A receiver that takes each buffer 1 ms late: the sender keeps at most
 * retain-bytes (256 KiB here) plus the buffer that crossed the line, and
 * the receiver gets every buffer.
 */
START_TEST(test_net_slow_receiver)
{
	struct px_pipeline *rx, *tx;
	struct px_element_stats st;
	char launch[256], port[16];
	uint64_t high;

	rx = parse("netsrc name=src port=0 ! identity sleep-time=1ms ! "
		   "fakesink name=out");
	ck_assert_int_eq(px_pipeline_set_state(rx, PX_STATE_PAUSED), 0);
	ck_assert_int_gt(px_element_get(px_pipeline_find(rx, "src"),
					"bound-port", port, sizeof(port)),
			 0);
	snprintf(launch, sizeof(launch),
		 "fakesrc num-buffers=400 size=64K ! netsink name=snk port=%s "
		 "retain-bytes=256K",
		 port);
	tx = parse(launch);
	ck_assert_int_eq(px_pipeline_play(rx), 0);
	ck_assert_int_eq(px_pipeline_play(tx), 0);
	wait_eos(tx); /* after the receiver acknowledged everything */
	wait_eos(rx);
	high = prop_u64(tx, "snk", "kept-high-water");
	ck_assert_msg(high > 0 && high <= (256u << 10) + (64u << 10),
		      "netsink kept %llu bytes", (unsigned long long)high);
	px_element_stats(px_pipeline_find(rx, "out"), &st);
	ck_assert_uint_eq(st.buffers_in, 400);
	ck_assert_uint_eq(st.bytes_in, 400u * 65536u);
	ck_assert_uint_eq(prop_u64(rx, "src", "repeats"), 0);
	ck_assert_int_eq(px_pipeline_stop(tx), 0);
	ck_assert_int_eq(px_pipeline_stop(rx), 0);
	px_pipeline_destroy(tx);
	px_pipeline_destroy(rx);
}
END_TEST

static Suite *net_suite(void)
{
	Suite *s = suite_create("net_elements");

	tcase_add_test(px_tcase(s, "codec"), test_net_codec);
	tcase_add_test(px_tcase(s, "slow_receiver"), test_net_slow_receiver);
	return s;
}

PX_TEST_MAIN(net_suite)
