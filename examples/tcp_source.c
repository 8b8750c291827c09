// SPDX-License-Identifier: MIT
/*
 * tcp_source.c - the async-source pattern from C: a tcpsrc in server mode
 * receives a TCP stream into pool slots on its reactor and an appsink hands
 * every buffer to a callback here. The program itself plays the peer: a
 * thread connects with a plain socket and writes a known pattern; the
 * callback checks every byte. Exits 0 when all bytes arrived intact.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <parallax/px_appsink.h>
#include <parallax/px_pipeline.h>

#define TOTAL (64ull << 20) /* bytes the peer sends */

/* The pattern: byte i of the stream is (i * 7 + i / 4096) & 0xff. */
static uint8_t pattern_at(uint64_t i)
{
	return (uint8_t)(i * 7 + i / 4096);
}

/* Filled on the reactor thread; read by main after EOS. */
struct result {
	uint64_t buffers, bytes, bad_offset, first_bad;
	bool eos;
};

/* Runs on the reactor thread for every buffer: must not block. */
static void on_buffer(struct px_element *e, const struct px_buf *buf,
		      void *arg)
{
	struct result *r = arg;
	const uint8_t *p = px_buf_data(buf);

	(void)e;
	if (buf->stream_offset != r->bytes && !r->bad_offset)
		r->bad_offset = 1;
	for (uint32_t i = 0; i < buf->length; i++) {
		if (p[i] != pattern_at(r->bytes + i) && !r->first_bad) {
			r->first_bad = r->bytes + i + 1;
			break;
		}
	}
	r->buffers++;
	r->bytes += buf->length;
}

static void on_eos(struct px_element *e, void *arg)
{
	struct result *r = arg;

	(void)e;
	r->eos = true;
}

/* The peer: a plain blocking client writing the pattern, then closing. */
static void *peer(void *arg)
{
	int port = *(int *)arg, fd;
	struct sockaddr_in a = { .sin_family = AF_INET,
				 .sin_port = htons((uint16_t)port),
				 .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	static uint8_t chunk[100000];
	uint64_t sent = 0;

	fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		perror("peer: connect");
		if (fd >= 0)
			close(fd);
		return (void *)1;
	}
	while (sent < TOTAL) {
		size_t n = TOTAL - sent < sizeof(chunk) ? (size_t)(TOTAL - sent)
							: sizeof(chunk);
		ssize_t w;

		for (size_t i = 0; i < n; i++)
			chunk[i] = pattern_at(sent + i);
		w = write(fd, chunk, n);
		if (w <= 0) {
			perror("peer: write");
			break;
		}
		/* A short write leaves the rest for the next round. */
		sent += (uint64_t)w;
	}
	close(fd); /* the tcpsrc sees the close as EOS */
	return sent == TOTAL ? NULL : (void *)1;
}

int main(void)
{
	struct result r = { 0 };
	struct px_pipeline *p;
	struct px_element *src, *sink;
	struct px_message m;
	pthread_t thread;
	void *peer_rc = NULL;
	char port_text[16];
	int port, rc;

	if (px_pipeline_create("tcp-source", &p) < 0 ||
	    px_pipeline_add(p, "tcpsrc", "src", &src) < 0 ||
	    px_pipeline_add(p, "appsink", "sink", &sink) < 0 ||
	    px_element_set(src, "mode", "server") < 0 ||
	    px_element_set(src, "port", "0") < 0 ||
	    px_element_link(src, sink) < 0) {
		fprintf(stderr, "build: %s\n", px_pipeline_error(p));
		return 1;
	}
	px_appsink_set_callbacks(sink, &(struct px_appsink_callbacks){
		.buffer = on_buffer, .eos = on_eos, .arg = &r });

	/* PAUSED: the tcpsrc listens; port=0 picked a free port. */
	rc = px_pipeline_set_state(p, PX_STATE_PAUSED);
	if (rc < 0) {
		fprintf(stderr, "pause: %s\n", px_pipeline_error(p));
		return 1;
	}
	px_element_get(src, "bound-port", port_text, sizeof(port_text));
	port = atoi(port_text);
	printf("tcpsrc listening on 127.0.0.1:%d\n", port);
	if (px_pipeline_play(p) < 0 ||
	    pthread_create(&thread, NULL, peer, &port) != 0) {
		fprintf(stderr, "play: %s\n", px_pipeline_error(p));
		return 1;
	}
	rc = px_pipeline_wait(p, 60ll * 1000000000ll, &m);
	pthread_join(thread, &peer_rc);
	if (rc < 0)
		fprintf(stderr, "%s from %s: %s\n",
			rc == -ETIMEDOUT ? "timeout" : "error", m.source,
			m.text);
	printf("received %llu bytes in %llu buffers in %.3f s (%.2f GB/s), eos=%s\n",
	       (unsigned long long)r.bytes, (unsigned long long)r.buffers,
	       px_pipeline_seconds(p),
	       px_pipeline_seconds(p) > 0
		       ? (double)r.bytes / px_pipeline_seconds(p) / 1e9
		       : 0.0,
	       r.eos ? "yes" : "no");
	px_pipeline_destroy(p);
	if (rc < 0 || peer_rc || !r.eos || r.bytes != TOTAL || r.first_bad ||
	    r.bad_offset) {
		fprintf(stderr, "FAILED: bytes %llu of %llu, first bad byte %lld, offsets %s\n",
			(unsigned long long)r.bytes, (unsigned long long)TOTAL,
			(long long)r.first_bad - 1,
			r.bad_offset ? "wrong" : "right");
		return 1;
	}
	printf("all %llu bytes intact\n", (unsigned long long)TOTAL);
	return 0;
}
