// SPDX-License-Identifier: MIT
/*
 * peer_iceoryx.c - px-bench-iceoryx, the eclipse iceoryx 2.0 side of the
 * ipc scenario, through its C binding (Debian: libiceoryx-binding-c-dev).
 * px-bench starts RouDi, then runs this program twice, as publisher and as
 * subscriber, each in its own process (an iceoryx runtime is one per
 * process, registered with RouDi under a unique name).
 *
 *   px-bench-iceoryx pub NAME SIZE COUNT GAP_NS
 *   px-bench-iceoryx sub NAME SIZE COUNT MODE OUT  MODE: rate | busy | wait
 *
 * Both sides do what Parallax's side does: the publisher loans a chunk,
 * writes a sequence number (and a CLOCK_MONOTONIC stamp when GAP_NS > 0,
 * one message every GAP_NS), publishes; the subscriber takes, checks the
 * sequence, releases. Nothing is lost: the publisher waits for a slow
 * subscriber (WAIT_FOR_CONSUMER / BLOCK_PRODUCER, as ipcsink slow=block).
 * The subscriber prints "rate BUFFERS_PER_S" (first to last chunk), or
 * writes the one-way latencies (doubles, in us) to the file OUT and prints
 * "lat COUNT". Exit 0 on success.
 *
 * The runtime is never shut down explicitly: Debian's 2.0.3 hangs in
 * iox_runtime_shutdown(); exit() runs its destructor, which deregisters.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <iceoryx_binding_c/enums.h>
#include <iceoryx_binding_c/notification_info.h>
#include <iceoryx_binding_c/publisher.h>
#include <iceoryx_binding_c/runtime.h>
#include <iceoryx_binding_c/subscriber.h>
#include <iceoryx_binding_c/types.h>
#include <iceoryx_binding_c/wait_set.h>

#define QUEUE 256 /* subscriber queue: the size of Parallax's link ring */

struct msg {
	uint64_t seq;
	uint64_t stamp_ns;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int publisher(uint32_t size, uint64_t count, uint64_t gap_ns)
{
	iox_pub_storage_t storage;
	iox_pub_options_t opt;
	iox_pub_t pub;
	uint64_t next;

	iox_pub_options_init(&opt);
	opt.subscriberTooSlowPolicy = ConsumerTooSlowPolicy_WAIT_FOR_CONSUMER;
	pub = iox_pub_init(&storage, "px-bench", "ipc", "data", &opt);
	while (!iox_pub_has_subscribers(pub))
		; /* the subscriber registers within milliseconds */
	next = now_ns() + gap_ns;
	for (uint64_t i = 0; i < count; i++) {
		void *chunk;
		struct msg *m;

		while (iox_pub_loan_chunk(pub, &chunk, size) !=
		       AllocationResult_SUCCESS)
			; /* every chunk is out: the subscriber returns them */
		m = chunk;
		if (gap_ns) {
			while (now_ns() < next)
				;
			next += gap_ns;
		}
		m->seq = i;
		m->stamp_ns = now_ns();
		iox_pub_publish_chunk(pub, chunk);
	}
	/* Stay until the subscriber has taken everything. */
	while (iox_pub_has_subscribers(pub))
		;
	iox_pub_deinit(pub);
	return 0;
}

static int subscriber(uint32_t size, uint64_t count, const char *mode,
		      const char *out)
{
	bool wait = strcmp(mode, "wait") == 0, rate = strcmp(mode, "rate") == 0;
	iox_sub_storage_t storage;
	iox_ws_storage_t ws_storage;
	iox_notification_info_t info[4];
	iox_sub_options_t opt;
	iox_ws_t ws = NULL;
	double *us = rate ? NULL : calloc(count, sizeof(*us));
	uint64_t t0 = 0, got = 0;
	iox_sub_t sub;

	(void)size;
	if (!rate && !us)
		return 2;
	iox_sub_options_init(&opt);
	opt.queueCapacity = QUEUE;
	opt.queueFullPolicy = QueueFullPolicy_BLOCK_PRODUCER;
	sub = iox_sub_init(&storage, "px-bench", "ipc", "data", &opt);
	if (wait) {
		uint64_t missed;

		ws = iox_ws_init(&ws_storage);
		if (iox_ws_attach_subscriber_event(ws, sub,
						   SubscriberEvent_DATA_RECEIVED,
						   0, NULL) != WaitSetResult_SUCCESS)
			return 3;
		(void)missed;
	}
	while (got < count) {
		const void *chunk;
		const struct msg *m;

		if (iox_sub_take_chunk(sub, &chunk) != ChunkReceiveResult_SUCCESS) {
			if (wait) {
				uint64_t missed;

				(void)iox_ws_wait(ws, info, 4, &missed);
			}
			continue;
		}
		m = chunk;
		if (!rate) {
			/* The stamp first, then the clock (scen_ipc_lat.c). */
			uint64_t then = m->stamp_ns;

			us[got] = (double)(now_ns() - then) / 1e3;
		}
		else if (got == 0)
			t0 = now_ns();
		if (m->seq != got) {
			fprintf(stderr, "px-bench-iceoryx: chunk %llu carried "
					"sequence %llu\n",
				(unsigned long long)got,
				(unsigned long long)m->seq);
			return 4;
		}
		got++;
		iox_sub_release_chunk(sub, chunk);
	}
	if (rate) {
		double s = (double)(now_ns() - t0) / 1e9;

		printf("rate %.0f\n", s > 0 ? (double)(count - 1) / s : 0.0);
	} else {
		FILE *f = fopen(out, "wb");

		if (!f || fwrite(us, sizeof(*us), count, f) != count ||
		    fclose(f) != 0)
			return 5;
		printf("lat %llu\n", (unsigned long long)count);
	}
	fflush(stdout);
	if (ws)
		iox_ws_deinit(ws);
	iox_sub_deinit(sub);
	free(us);
	return 0;
}

int main(int argc, char **argv)
{
	uint32_t size;
	uint64_t count;

	if (argc < 6 || (strcmp(argv[1], "pub") && strcmp(argv[1], "sub")) ||
	    (argv[1][0] == 's' && argc != 7)) {
		fprintf(stderr, "usage: px-bench-iceoryx pub NAME SIZE COUNT "
				"GAP_NS | sub NAME SIZE COUNT rate|busy|wait "
				"OUT\n");
		return 64;
	}
	size = (uint32_t)strtoul(argv[3], NULL, 10);
	count = strtoull(argv[4], NULL, 10);
	if (size < sizeof(struct msg) || count < 2)
		return 64;
	iox_runtime_init(argv[2]);
	if (argv[1][0] == 'p')
		exit(publisher(size, count, strtoull(argv[5], NULL, 10)));
	exit(subscriber(size, count, argv[5], argv[6]));
}
