// SPDX-License-Identifier: MIT
/*
 * peer_nats.c - px-bench-nats, the bare libnats loops the nats scenario
 * measures natssink and natssrc against (scen_nats.c runs it):
 *
 *   px-bench-nats pub URL STREAM SUBJECT N SIZE INFLIGHT
 *       (re)creates STREAM as natssink does (file storage, SUBJECT, a
 *       2-minute duplicate window), then publishes N messages of SIZE
 *       bytes with js_PublishMsgAsync, each with the headers natssink puts
 *       on a buffer without timestamps (Nats-Msg-Id, Px-Seq), at most
 *       INFLIGHT unacknowledged (libnats's MaxPending), then the Px-Eos
 *       message, and waits for every acknowledgement
 *       (js_PublishAsyncComplete). Prints "seconds=S acked=N+1".
 *   px-bench-nats sub URL STREAM SUBJECT DURABLE BATCH
 *       a durable pull consumer (explicit acks): Fetch BATCH at a time,
 *       copy each message's payload out (natssrc copies into a slot),
 *       acknowledge it, until the Px-Eos message. Prints "seconds=S
 *       received=N".
 *   px-bench-nats delete URL STREAM
 */
#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <nats/nats.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int die(const char *what, natsStatus s)
{
	fprintf(stderr, "px-bench-nats: %s: %s (%s)\n", what,
		natsStatus_GetText(s), nats_GetLastError(NULL));
	return 1;
}

static atomic_long acked, failed;

static void on_ack(jsCtx *js, natsMsg *msg, jsPubAck *pa, jsPubAckErr *pae,
		   void *arg)
{
	(void)js;
	(void)arg;
	if (pa)
		atomic_fetch_add(&acked, 1);
	else if (pae)
		atomic_fetch_add(&failed, 1);
	natsMsg_Destroy(msg);
}

static int pub(natsConnection *nc, char **av)
{
	const char *stream = av[0], *subject = av[1];
	long n = atol(av[2]), size = atol(av[3]), inflight = atol(av[4]);
	const char *subjects[1] = { subject };
	jsStreamConfig cfg;
	jsOptions jo;
	jsPubOptions po;
	jsCtx *js = NULL;
	jsErrCode jerr;
	char id[48], seq[24];
	char *data = calloc(1, (size_t)size + 1);
	natsStatus s;
	double t0;

	jsOptions_Init(&jo);
	jo.PublishAsync.MaxPending = inflight;
	jo.PublishAsync.AckHandler = on_ack;
	if ((s = natsConnection_JetStream(&js, nc, &jo)) != NATS_OK)
		return die("JetStream", s);
	(void)js_DeleteStream(js, stream, NULL, &jerr);
	jsStreamConfig_Init(&cfg);
	cfg.Name = stream;
	cfg.Subjects = subjects;
	cfg.SubjectsLen = 1;
	cfg.Storage = js_FileStorage;
	cfg.Duplicates = 120 * 1000000000LL;
	if ((s = js_AddStream(NULL, js, &cfg, NULL, &jerr)) != NATS_OK)
		return die("add stream", s);
	jsPubOptions_Init(&po);
	po.MaxWait = 5000;
	t0 = now();
	for (long i = 0; i <= n; i++) {
		natsMsg *m = NULL;

		s = natsMsg_Create(&m, subject, NULL, data, i < n ? (int)size : 0);
		snprintf(id, sizeof(id), "bench-%ld", i + 1);
		if (s == NATS_OK)
			s = natsMsgHeader_Set(m, "Nats-Msg-Id", id);
		if (s == NATS_OK && i < n) {
			snprintf(seq, sizeof(seq), "%ld", i);
			s = natsMsgHeader_Set(m, "Px-Seq", seq);
		} else if (s == NATS_OK) {
			s = natsMsgHeader_Set(m, "Px-Eos", "1");
		}
		if (s == NATS_OK)
			s = js_PublishMsgAsync(js, &m, &po);
		natsMsg_Destroy(m);
		if (s != NATS_OK)
			return die("publish", s);
	}
	jsPubOptions_Init(&po);
	po.MaxWait = 120000;
	if ((s = js_PublishAsyncComplete(js, &po)) != NATS_OK)
		return die("publish complete", s);
	printf("seconds=%.6f acked=%ld failed=%ld\n", now() - t0,
	       atomic_load(&acked), atomic_load(&failed));
	jsCtx_Destroy(js);
	free(data);
	return atomic_load(&failed) || atomic_load(&acked) != n + 1;
}

static int sub(natsConnection *nc, char **av)
{
	const char *stream = av[0], *subject = av[1], *durable = av[2];
	int batch = atoi(av[3]);
	jsConsumerConfig cc;
	jsSubOptions so;
	natsSubscription *sb = NULL;
	jsCtx *js = NULL;
	jsErrCode jerr;
	const char *eos;
	char *copy = malloc(1 << 20);
	long got = 0;
	bool done = false;
	natsStatus s;
	double t0;

	if ((s = natsConnection_JetStream(&js, nc, NULL)) != NATS_OK)
		return die("JetStream", s);
	jsConsumerConfig_Init(&cc);
	cc.Durable = durable;
	cc.AckPolicy = js_AckExplicit;
	if ((s = js_AddConsumer(NULL, js, stream, &cc, NULL, &jerr)) != NATS_OK)
		return die("add consumer", s);
	jsSubOptions_Init(&so);
	so.Stream = stream;
	so.Consumer = durable;
	s = js_PullSubscribe(&sb, js, subject, durable, NULL, &so, &jerr);
	if (s != NATS_OK)
		return die("pull subscribe", s);
	t0 = now();
	while (!done) {
		natsMsgList list = { 0 };

		s = natsSubscription_Fetch(&list, sb, batch, 5000, &jerr);
		if (s != NATS_OK)
			return die("fetch", s);
		for (int i = 0; i < list.Count; i++) {
			natsMsg *m = list.Msgs[i];
			int len = natsMsg_GetDataLength(m);

			if (natsMsgHeader_Get(m, "Px-Eos", &eos) == NATS_OK) {
				done = true;
			} else {
				if (len > 0 && len <= (1 << 20))
					memcpy(copy, natsMsg_GetData(m), (size_t)len);
				got++;
			}
			(void)natsMsg_Ack(m, NULL);
		}
		natsMsgList_Destroy(&list);
	}
	(void)natsConnection_Flush(nc);
	printf("seconds=%.6f received=%ld\n", now() - t0, got);
	natsSubscription_Destroy(sb);
	jsCtx_Destroy(js);
	free(copy);
	return 0;
}

int main(int argc, char **argv)
{
	natsConnection *nc = NULL;
	jsCtx *js = NULL;
	jsErrCode jerr;
	natsStatus s;
	int rc;

	if (argc < 4) {
		fprintf(stderr, "usage: px-bench-nats pub URL STREAM SUBJECT N SIZE INFLIGHT\n"
				"       px-bench-nats sub URL STREAM SUBJECT DURABLE BATCH\n"
				"       px-bench-nats delete URL STREAM\n");
		return 2;
	}
	if ((s = natsConnection_ConnectTo(&nc, argv[2])) != NATS_OK)
		return die(argv[2], s);
	if (!strcmp(argv[1], "pub") && argc == 8) {
		rc = pub(nc, argv + 3);
	} else if (!strcmp(argv[1], "sub") && argc == 7) {
		rc = sub(nc, argv + 3);
	} else if (!strcmp(argv[1], "delete")) {
		if ((s = natsConnection_JetStream(&js, nc, NULL)) == NATS_OK)
			(void)js_DeleteStream(js, argv[3], NULL, &jerr);
		jsCtx_Destroy(js);
		rc = 0;
	} else {
		fprintf(stderr, "px-bench-nats: bad arguments\n");
		rc = 2;
	}
	natsConnection_Destroy(nc);
	return rc;
}
