// SPDX-License-Identifier: MIT
/*
 * test_net_elements.c - the STRM codec (net_frame.c) field by field, and
 * netsink to netsrc in one process: a slow receiver holds the sender to
 * retain-bytes (bounded memory, every buffer delivered in order). Runs to
 * EOS on both sides; nothing waits on a clock. netsrc with many senders:
 * each sender's stream apart (px_item.stream), byte-exact, ended by LAST;
 * a sender of bad frames closed while the others are served; a sender cut
 * three times by a proxy resumes its own stream. The rest (foreign peers,
 * bad frames of one sender, cuts) is it_net.sh.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "net_frame.h"
#include "px_appsink.h"
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

/* Receiver RX_LAUNCH (its netsrc named src, port=0) paused, then sender
 * TX_LAUNCH, which ends in a netsink, with port= that port; both playing. */
static void play_pair(const char *rx_launch, const char *tx_launch,
		      struct px_pipeline **rx, struct px_pipeline **tx)
{
	char launch[256], port[16];

	*rx = parse(rx_launch);
	ck_assert_int_eq(px_pipeline_set_state(*rx, PX_STATE_PAUSED), 0);
	ck_assert_int_gt(px_element_get(px_pipeline_find(*rx, "src"),
					"bound-port", port, sizeof(port)),
			 0);
	snprintf(launch, sizeof(launch), "%s port=%s", tx_launch, port);
	*tx = parse(launch);
	ck_assert_int_eq(px_pipeline_play(*rx), 0);
	ck_assert_int_eq(px_pipeline_play(*tx), 0);
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
	uint64_t high;

	play_pair("netsrc name=src port=0 ! identity sleep-time=1ms ! "
		  "fakesink name=out",
		  "fakesrc num-buffers=400 size=64K ! netsink name=snk "
		  "retain-bytes=256K",
		  &rx, &tx);
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

/* TX_LAUNCH's buffers through its netsink (retain-bytes 2 MiB) into
 * netsrc ! fakesink: EOS on both sides, every buffer there; returns
 * netsrc's acks-sent. */
static uint64_t acks_for(const char *tx_launch, uint64_t buffers)
{
	struct px_pipeline *rx, *tx;
	struct px_element_stats st;
	uint64_t acks;

	play_pair("netsrc name=src port=0 ! fakesink name=out", tx_launch, &rx,
		  &tx);
	wait_eos(tx); /* after the receiver acknowledged everything */
	wait_eos(rx);
	px_element_stats(px_pipeline_find(rx, "out"), &st);
	ck_assert_uint_eq(st.buffers_in, buffers);
	acks = prop_u64(rx, "src", "acks-sent");
	ck_assert_int_eq(px_pipeline_stop(tx), 0);
	ck_assert_int_eq(px_pipeline_stop(rx), 0);
	px_pipeline_destroy(tx);
	px_pipeline_destroy(rx);
	return acks;
}

/*
 * netsrc acknowledges every quarter of retain-bytes by itself, and when
 * netsink asks. 1 MiB buffers: one ACK per buffer and one for EOS; the
 * sender, full after every buffer, asks each time just after that ACK
 * went, and a second ACK of the same seq is not sent (it was, once: 2 per
 * buffer).
 */
START_TEST(test_net_ack_once)
{
	uint64_t acks = acks_for("fakesrc num-buffers=32 size=1M ! "
				 "netsink",
				 32);

	ck_assert_msg(acks >= 1 && acks <= 33, "%llu ACKs for 32 buffers",
		      (unsigned long long)acks);
}
END_TEST

/*
 * A 2-slot pool of 64 KiB buffers upstream: netsink holds both slots long
 * before a quarter of retain-bytes, so only its asking moves the stream,
 * and every ask is answered once what it covers is delivered.
 */
START_TEST(test_net_ack_asked)
{
	uint64_t acks = acks_for("fakesrc num-buffers=200 size=64K "
				 "pool-slots=2 ! netsink",
				 200);

	ck_assert_msg(acks >= 100, "%llu ACKs for 200 buffers from 2 slots",
		      (unsigned long long)acks);
}
END_TEST

/* ---- many senders ------------------------------------------------------------ */

#define MAX_STREAMS 8

/* What the appsink saw of each stream. */
struct seen {
	struct {
		uint32_t id;
		uint64_t bytes;
		uint32_t crc;
		bool last, bad;
		const char *why;
	} st[MAX_STREAMS];
	unsigned n;
};

static void seen_buf(struct px_element *e, const struct px_buf *b, void *arg)
{
	struct seen *k = arg;
	uint32_t id = px_appsink_stream(e);
	unsigned i;

	for (i = 0; i < k->n && k->st[i].id != id; i++)
		;
	if (i == k->n) {
		if (k->n == MAX_STREAMS)
			return;
		k->st[k->n++].id = id;
	}
	if (!id)
		k->st[i].bad = true, k->st[i].why = "no stream id";
	if (k->st[i].last)
		k->st[i].bad = true, k->st[i].why = "a buffer after LAST";
	if (b->stream_offset != k->st[i].bytes)
		k->st[i].bad = true, k->st[i].why = "stream_offset";
	if (!!(b->flags & PX_BUF_FLAG_DISCONT) !=
	    (k->st[i].bytes == 0 && b->length > 0))
		k->st[i].bad = true, k->st[i].why = "DISCONT not first only";
	k->st[i].crc = px_crc32c(k->st[i].crc, px_buf_data(b), b->length);
	k->st[i].bytes += b->length;
	if (b->flags & PX_BUF_FLAG_LAST)
		k->st[i].last = true;
}

/* A file of BYTES random bytes; its CRC32C into *CRC. */
static void make_file(const char *path, size_t bytes, uint32_t *crc)
{
	uint8_t *d = malloc(bytes);
	FILE *f = fopen(path, "w");

	ck_assert_ptr_nonnull(d);
	ck_assert_ptr_nonnull(f);
	for (size_t i = 0; i < bytes; i++)
		d[i] = (uint8_t)(random() >> 7);
	ck_assert_uint_eq(fwrite(d, 1, bytes, f), bytes);
	fclose(f);
	*crc = px_crc32c(0, d, bytes);
	free(d);
}

/* The receiver with the checker on "out", PAUSED: its port. */
static struct px_pipeline *many_rx(const char *props, struct seen *k,
				   int *port)
{
	char launch[256];
	struct px_pipeline *rx;

	snprintf(launch, sizeof(launch),
		 "netsrc name=src port=0 %s ! appsink name=out", props);
	rx = parse(launch);
	ck_assert_int_eq(px_appsink_set_callbacks(
				 px_pipeline_find(rx, "out"),
				 &(struct px_appsink_callbacks){
					 .buffer = seen_buf, .arg = k }),
			 0);
	ck_assert_int_eq(px_pipeline_set_state(rx, PX_STATE_PAUSED), 0);
	*port = (int)prop_u64(rx, "src", "bound-port");
	return rx;
}

static struct px_pipeline *sender(const char *file, int port)
{
	char launch[2048];

	snprintf(launch, sizeof(launch),
		 "filesrc location=%s blocksize=65536 ! netsink name=snk "
		 "port=%d",
		 file,
		 port);
	return parse(launch);
}

/* Stream I of K ended (LAST), sound, with BYTES whose CRC is CRC. */
static bool stream_is(const struct seen *k, uint64_t bytes, uint32_t crc)
{
	for (unsigned i = 0; i < k->n; i++)
		if (k->st[i].bytes == bytes && k->st[i].crc == crc) {
			ck_assert_msg(!k->st[i].bad, "stream %u: %s",
				      k->st[i].id, k->st[i].why);
			ck_assert_msg(k->st[i].last, "stream %u: no LAST",
				      k->st[i].id);
			return true;
		}
	return false;
}

static void stop_destroy(struct px_pipeline *p)
{
	ck_assert_int_eq(px_pipeline_stop(p), 0);
	px_pipeline_destroy(p);
}

/* A connected TCP socket to 127.0.0.1:PORT. */
static int dial(int port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	ck_assert_int_ge(fd, 0);
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	ck_assert_int_eq(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

/* N senders of files TAG0.bin.. of SIZES bytes, sender I to PORTS[I]:
 * their paths, CRCs and (READY) pipelines. */
struct senders {
	unsigned n;
	size_t size[4];
	char path[4][600];
	uint32_t crc[4];
	struct px_pipeline *tx[4];
};

static void senders_make(struct senders *s, const char *tag, unsigned n,
			 const size_t *sizes, const int *ports)
{
	ck_assert_uint_le(n, 4);
	s->n = n;
	for (unsigned i = 0; i < n; i++) {
		s->size[i] = sizes[i];
		snprintf(s->path[i], sizeof(s->path[i]), "%s/%s%u.bin",
			 px_test_tmpdir(), tag, i);
		make_file(s->path[i], sizes[i], &s->crc[i]);
		s->tx[i] = sender(s->path[i], ports[i]);
	}
}

/* Play them all, then wait until each one's EOS frame was acknowledged. */
static void senders_run(struct senders *s)
{
	for (unsigned i = 0; i < s->n; i++)
		ck_assert_int_eq(px_pipeline_play(s->tx[i]), 0);
	for (unsigned i = 0; i < s->n; i++)
		wait_eos(s->tx[i]);
}

/* Each file arrived as a stream of its own in K; then tear down. */
static void senders_check_done(struct senders *s, const struct seen *k)
{
	for (unsigned i = 0; i < s->n; i++) {
		ck_assert_msg(stream_is(k, s->size[i], s->crc[i]),
			      "no stream carries file %u", i);
		stop_destroy(s->tx[i]);
		unlink(s->path[i]);
	}
}

/* A DATA frame by hand into F (room for LEN payload bytes): SEQ, LEN
 * bytes of FILL, the CRC32C of the data header and payload. Its size. */
static size_t data_frame(uint8_t *f, uint64_t seq, char fill, uint32_t len)
{
	memset(f + NET_HDR_SIZE, 0, NET_DATA_HDR_SIZE);
	net_put64(f + NET_HDR_SIZE, seq);
	memset(f + NET_HDR_SIZE + NET_DATA_HDR_SIZE, fill, len);
	net_hdr_put(f, NET_DATA, NET_DATA_HDR_SIZE + len,
		    px_crc32c(0, f + NET_HDR_SIZE, NET_DATA_HDR_SIZE + len));
	return NET_HDR_SIZE + NET_DATA_HDR_SIZE + len;
}

/* Three senders at once: three streams, each byte-exact, each ended. */
START_TEST(test_net_many_senders)
{
	static const size_t sizes[3] = { (1u << 20) + 7, 300001, 2u << 20 };
	struct px_pipeline *rx;
	struct senders tx;
	struct seen k = { 0 };
	int port;

	rx = many_rx("max-clients=4 num-clients=3", &k, &port);
	senders_make(&tx, "many", 3, sizes, (int[]){ port, port, port });
	ck_assert_int_eq(px_pipeline_play(rx), 0);
	senders_run(&tx);
	wait_eos(rx);
	ck_assert_uint_eq(k.n, 3);
	senders_check_done(&tx, &k);
	ck_assert_int_eq(prop_u64(rx, "src", "clients"), 0);
	stop_destroy(rx);
}
END_TEST

/* One sender whose second frame is corrupt: a WARNING naming it and the
 * offset, its stream ends after its first frame, the others are served. */
START_TEST(test_net_many_bad_sender)
{
	static const size_t sizes[2] = { (1u << 20), (1u << 20) + 1 };
	struct px_pipeline *rx;
	struct senders tx;
	uint8_t frame[NET_HDR_SIZE + NET_DATA_HDR_SIZE + 100];
	struct seen k = { 0 };
	char text[512];
	size_t len;
	int port, fd;

	rx = many_rx("max-clients=4 num-clients=3", &k, &port);
	senders_make(&tx, "bad", 2, sizes, (int[]){ port, port });
	ck_assert_int_eq(px_pipeline_play(rx), 0);
	/* A plain sender (no HELLO): a good DATA frame, then one whose seq
	 * changed after its CRC was taken. */
	fd = dial(port);
	len = data_frame(frame, 1, 'x', 100);
	ck_assert_int_eq(write(fd, frame, len), (ssize_t)len);
	net_put64(frame + NET_HDR_SIZE, 2);
	ck_assert_int_eq(write(fd, frame, len), (ssize_t)len);
	senders_run(&tx);
	wait_eos(rx);
	close(fd);
	ck_assert_msg(px_test_bus_find(rx, PX_MSG_WARNING, NULL, "CRC32C", text,
				       sizeof(text)),
		      "no WARNING about the corrupt frame");
	ck_assert_msg(strstr(text, "frame 2 from 127.0.0.1:") &&
			      strstr(text, "at byte offset 148: CRC32C") &&
			      strstr(text, "serving the other senders"),
		      "%s", text);
	ck_assert_uint_eq(k.n, 3);
	ck_assert_msg(stream_is(&k, 100, px_crc32c(0, frame + NET_HDR_SIZE +
							     NET_DATA_HDR_SIZE,
						    100)),
		      "the bad sender's first frame is not a stream of its own");
	senders_check_done(&tx, &k);
	stop_destroy(rx);
}
END_TEST

static uint64_t sink_bytes(struct px_pipeline *p)
{
	struct px_element_stats st;

	px_element_stats(px_pipeline_find(p, "out"), &st);
	return st.bytes_in;
}

/* A sender that can resume sends one DATA frame and vanishes: after
 * reconnect-timeout its stream ends (WARNING, LAST); the other is served. */
START_TEST(test_net_many_gave_up)
{
	struct net_hello h = { .flags = NET_HELLO_RESUME, .stream_id = 77,
			       .seq = 1, .retain_bytes = 1 << 20 };
	uint8_t hello[NET_HDR_SIZE + NET_HELLO_FIXED];
	uint8_t data[NET_HDR_SIZE + NET_DATA_HDR_SIZE + 64];
	struct px_pipeline *rx, *tx;
	struct seen k = { 0 };
	char path[600], text[512];
	uint32_t crc, len;
	int port, fd;

	rx = many_rx("max-clients=2 num-clients=2 reconnect-timeout=100ms", &k,
		     &port);
	snprintf(path, sizeof(path), "%s/gaveup.bin", px_test_tmpdir());
	make_file(path, 200000, &crc);
	tx = sender(path, port);
	ck_assert_int_eq(px_pipeline_play(rx), 0);
	fd = dial(port);
	len = net_hello_put(hello + NET_HDR_SIZE, &h);
	net_hdr_put(hello, NET_HELLO, len,
		    px_crc32c(0, hello + NET_HDR_SIZE, len));
	ck_assert_int_eq(write(fd, hello, NET_HDR_SIZE + len),
			 NET_HDR_SIZE + len);
	ck_assert_int_eq(write(fd, data, data_frame(data, 1, 'y', 64)),
			 sizeof(data));
	/* The engine's counters (the checker's belong to the reactor). */
	PX_TEST_UNTIL(sink_bytes(rx) == 64, 30);
	close(fd); /* the sender is gone, and does not come back */
	ck_assert_int_eq(px_pipeline_play(tx), 0);
	wait_eos(tx);
	wait_eos(rx);
	ck_assert_msg(px_test_bus_find(rx, PX_MSG_WARNING, NULL, "gave up on",
				       text, sizeof(text)),
		      "no WARNING about the sender that did not come back");
	ck_assert_msg(strstr(text, "reconnect-timeout"), "%s", text);
	ck_assert_uint_eq(k.n, 2);
	ck_assert(stream_is(&k, 64, px_crc32c(0, data + NET_HDR_SIZE +
						      NET_DATA_HDR_SIZE,
					       64)));
	ck_assert(stream_is(&k, 200000, crc));
	stop_destroy(tx);
	stop_destroy(rx);
	unlink(path);
}
END_TEST

/* max-clients=2: a third sender is closed at once and counted; EOS asked
 * ends the two idle streams with LAST. */
START_TEST(test_net_many_refused)
{
	struct px_pipeline *rx;
	struct seen k = { 0 };
	char c;
	int port, fd[3];

	rx = many_rx("max-clients=2", &k, &port);
	ck_assert_int_eq(px_pipeline_play(rx), 0);
	fd[0] = dial(port);
	fd[1] = dial(port);
	PX_TEST_UNTIL(prop_u64(rx, "src", "clients") == 2, 30);
	fd[2] = dial(port);
	ck_assert_int_eq(read(fd[2], &c, 1), 0); /* closed by the server */
	ck_assert_uint_eq(prop_u64(rx, "src", "refused"), 1);
	ck_assert_msg(px_test_bus_has(rx, PX_MSG_WARNING, "(max-clients)"),
		      "no WARNING about the refused sender");
	ck_assert_int_eq(px_pipeline_send_eos(rx), 0);
	wait_eos(rx);
	ck_assert_uint_eq(k.n, 2);
	for (unsigned i = 0; i < 2; i++)
		ck_assert(k.st[i].last && k.st[i].bytes == 0 && !k.st[i].bad);
	for (int i = 0; i < 3; i++)
		close(fd[i]);
	stop_destroy(rx);
}
END_TEST

/* One pad, one caps: a sender whose caps differ from the first one's is
 * closed with a WARNING naming both; the first is served. */
START_TEST(test_net_many_caps)
{
	struct px_pipeline *rx, *tx[2];
	struct seen k = { 0 };
	char launch[256], text[512];
	int port;

	rx = many_rx("max-clients=2 num-clients=2 reconnect-timeout=100ms", &k,
		     &port);
	ck_assert_int_eq(px_pipeline_play(rx), 0);
	for (int i = 0; i < 2; i++) {
		snprintf(launch, sizeof(launch),
			 "fakesrc num-buffers=20 size=1000 ! application/x-%c "
			 "! netsink name=snk port=%d reconnect-timeout=100ms",
			 i ? 'b' : 'a', port);
		tx[i] = parse(launch);
		ck_assert_int_eq(px_pipeline_play(tx[i]), 0);
		if (i == 0) {
			wait_eos(tx[0]); /* its caps are the stream's */
			PX_TEST_UNTIL(sink_bytes(rx) == 20000, 30);
		}
	}
	wait_eos(rx);
	ck_assert_msg(px_test_bus_find(rx, PX_MSG_WARNING, NULL,
				       "but the stream has", text,
				       sizeof(text)),
		      "no WARNING about the caps");
	ck_assert_msg(strstr(text, "caps application/x-b, but the stream has "
				   "application/x-a"),
		      "%s", text);
	ck_assert(stream_is(&k, 20000, k.st[0].crc));
	for (int i = 0; i < 2; i++)
		stop_destroy(tx[i]);
	stop_destroy(rx);
}
END_TEST

/* A sender through a proxy that resets the connection three times, and
 * one straight: two streams, not five; both byte-exact. */
START_TEST(test_net_many_resume)
{
	struct px_pipeline *rx;
	struct senders tx;
	struct seen k = { 0 };
	char line[64], up[16], script[600];
	int port, pport = 0, fds[2];
	pid_t pid;
	FILE *out;

	if (access("/usr/bin/python3", X_OK) != 0)
		PX_SKIP("/usr/bin/python3 is not installed");
	rx = many_rx("max-clients=4 num-clients=2", &k, &port);
	snprintf(up, sizeof(up), "%d", port);
	snprintf(script, sizeof(script), "%s/test/net_proxy.py",
		 getenv("PX_SOURCE_DIR") ? getenv("PX_SOURCE_DIR") : ".");
	ck_assert_int_eq(pipe(fds), 0);
	pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		dup2(fds[1], STDOUT_FILENO);
		close(fds[0]);
		close(fds[1]);
		execl("/usr/bin/python3", "python3", script, up, "3000000", "3",
		      (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	out = fdopen(fds[0], "r");
	ck_assert_ptr_nonnull(out);
	ck_assert_msg(fgets(line, sizeof(line), out) &&
			      sscanf(line, "port %d", &pport) == 1,
		      "the proxy said '%s'", line);
	senders_make(&tx, "resume", 2,
		     (size_t[]){ 16u << 20, (16u << 20) + 1 },
		     (int[]){ pport, port });
	ck_assert_int_eq(px_pipeline_play(rx), 0);
	senders_run(&tx);
	wait_eos(rx);
	kill(pid, SIGTERM);
	waitpid(pid, NULL, 0);
	fclose(out);
	ck_assert_uint_eq(k.n, 2);
	ck_assert_int_ge(prop_u64(tx.tx[0], "snk", "reconnects"), 3);
	senders_check_done(&tx, &k);
	stop_destroy(rx);
}
END_TEST

/* zerocopy=auto: SENDMSG_ZC only when the connection leaves through a NIC.
 * A fake sysfs says whether lo has a device behind it. */
START_TEST(test_net_zerocopy_nic)
{
	char root[600], dev[700];
	struct seen k = { 0 };

	if (!px_feature_has(PX_FEAT_SENDMSG_ZC))
		PX_SKIP("no SENDMSG_ZC here (a kernel before 6.1, or no "
			"io_uring)");
	snprintf(root, sizeof(root), "%s/sysfs", px_test_tmpdir());
	snprintf(dev, sizeof(dev), "%s/class/net/lo/device", root);
	for (int nic = 0; nic < 2; nic++) {
		struct px_pipeline *rx, *tx;
		char launch[256];
		int port;

		if (nic) {
			char cmd[800];

			snprintf(cmd, sizeof(cmd), "mkdir -p %s", dev);
			ck_assert_int_eq(system(cmd), 0);
		}
		setenv("PX_SYSFS_ROOT", root, 1);
		memset(&k, 0, sizeof(k));
		rx = many_rx("", &k, &port);
		snprintf(launch, sizeof(launch),
			 "fakesrc num-buffers=64 size=64K ! netsink name=snk "
			 "port=%d",
			 port);
		tx = parse(launch);
		ck_assert_int_eq(px_pipeline_play(rx), 0);
		ck_assert_int_eq(px_pipeline_play(tx), 0);
		wait_eos(tx);
		wait_eos(rx);
		unsetenv("PX_SYSFS_ROOT");
		ck_assert_uint_eq(sink_bytes(rx), 64u * 65536u);
		if (nic)
			ck_assert_uint_gt(prop_u64(tx, "snk", "zc-sends"), 0);
		else
			ck_assert_uint_eq(prop_u64(tx, "snk", "zc-sends"), 0);
		stop_destroy(tx);
		stop_destroy(rx);
	}
}
END_TEST

static Suite *net_suite(void)
{
	Suite *s = suite_create("net_elements");

	tcase_add_test(px_tcase(s, "codec"), test_net_codec);
	tcase_add_test(px_tcase(s, "slow_receiver"), test_net_slow_receiver);
	tcase_add_test(px_tcase(s, "ack_once"), test_net_ack_once);
	tcase_add_test(px_tcase(s, "ack_asked"), test_net_ack_asked);
	tcase_add_test(px_tcase(s, "many_senders"), test_net_many_senders);
	tcase_add_test(px_tcase(s, "many_bad_sender"), test_net_many_bad_sender);
	tcase_add_test(px_tcase(s, "many_resume"), test_net_many_resume);
	tcase_add_test(px_tcase(s, "many_gave_up"), test_net_many_gave_up);
	tcase_add_test(px_tcase(s, "many_refused"), test_net_many_refused);
	tcase_add_test(px_tcase(s, "many_caps"), test_net_many_caps);
	tcase_add_test(px_tcase(s, "zerocopy_nic"), test_net_zerocopy_nic);
	return s;
}

PX_TEST_MAIN(net_suite)
