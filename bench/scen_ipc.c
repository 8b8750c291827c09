// SPDX-License-Identifier: MIT
/*
 * scen_ipc.c - the ipc scenario, throughput half: a pipeline cut between two
 * processes. Parallax: px-launch "SRC ! ipcsink" and px-launch "ipcsrc !
 * fakesink" (buffers by reference in shared read-only pools). GStreamer:
 * gst-launch-1.0 "SRC ! shmsink" and "shmsrc ! fakesink" (it copies each
 * buffer into its shm area). Same buffer sizes and counts on both sides;
 * rates are taken from the receiving process, which sees every buffer.
 * Latency, wakeup floors and kill-to-reclaim are in scen_ipc_lat.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"

#define TIMEOUT_S (run->quick ? 30.0 : 120.0)

struct tput_arg {
	const struct bench_ctx *ctx;
	uint64_t n;	   /* buffers */
	uint32_t size;	   /* bytes per buffer */
	const char *file;  /* filesrc input, or NULL for fakesrc */
	bool gbps;	   /* report GB/s instead of buffers/s */
};

static unsigned channel_seq;

/* The source part of the publishing pipeline, Parallax or GStreamer. */
static void src_desc(const struct tput_arg *a, bool gst, char *buf, size_t len)
{
	if (a->file)
		bench_snprintf(buf, len, "filesrc location=%s blocksize=%u",
			       a->file, a->size);
	else if (gst)
		bench_snprintf(buf, len,
			       "fakesrc num-buffers=%llu sizetype=fixed "
			       "sizemax=%u filltype=nothing",
			       (unsigned long long)a->n, a->size);
	else
		bench_snprintf(buf, len,
			       "fakesrc num-buffers=%llu size=%u filltype=nothing",
			       (unsigned long long)a->n, a->size);
}

static void set_rate(struct bench_run *run, const struct tput_arg *a,
		     double seconds, uint64_t bytes)
{
	run->v[0] = a->gbps ? (double)bytes / seconds / 1e9 :
			      (double)a->n / seconds;
}

static int run_px(struct bench_run *run)
{
	struct tput_arg *a = run->arg;
	char src[600], pub[900], sub[256], sub_stats[600], pub_stats[600];
	struct bench_proc psub, ppub;
	struct bench_px_stats ss, sp;
	uint64_t want = a->n * a->size;
	int rc;

	bench_snprintf(sub_stats, sizeof(sub_stats), "%s/px-ipc-sub.json",
		       a->ctx->tmpdir);
	bench_snprintf(pub_stats, sizeof(pub_stats), "%s/px-ipc-pub.json",
		       a->ctx->tmpdir);
	src_desc(a, false, src, sizeof(src));
	bench_snprintf(pub, sizeof(pub), "%s ! ipcsink channel=px-bench-%d-%u",
		       src, (int)getpid(), channel_seq);
	bench_snprintf(sub, sizeof(sub),
		       "ipcsrc channel=px-bench-%d-%u ! fakesink", (int)getpid(),
		       channel_seq++);
	/* The subscriber first: ipcsink holds the first buffer until one
	 * joined (wait-for=1), so nothing is missed. */
	rc = bench_px_launch_start(a->ctx, sub, sub_stats, &psub, run);
	if (rc)
		return rc;
	rc = bench_px_launch_start(a->ctx, pub, pub_stats, &ppub, run);
	if (rc == 0)
		rc = bench_px_launch_finish(&ppub, pub_stats, TIMEOUT_S, &sp,
					    run);
	if (rc != BENCH_OK) {
		struct bench_run tmp = { 0 };

		bench_proc_kill(&psub);
		bench_px_launch_finish(&psub, sub_stats, 5, &ss, &tmp);
		return rc;
	}
	rc = bench_px_launch_finish(&psub, sub_stats, 30, &ss, run);
	if (rc != BENCH_OK)
		return rc < 0 ? rc : -EIO;
	if (ss.sink_bytes != want) {
		bench_snprintf(run->why, sizeof(run->why),
			       "subscriber's fakesink got %llu bytes of %llu",
			       (unsigned long long)ss.sink_bytes,
			       (unsigned long long)want);
		return -EIO;
	}
	/* The subscriber's time includes its wait for the publisher to start
	 * (connect retries every few ms): a small handicap, not a help. */
	set_rate(run, a, ss.seconds, ss.sink_bytes);
	return 0;
}

static int run_gst(struct bench_run *run)
{
	struct tput_arg *a = run->arg;
	char src[600], pub[1024], sub[512], sock[600];
	struct bench_proc psub, ppub;
	double s_pub, s_sub;
	/* Fewer than ~500 buffers in its area, or shmsink deadlocks; and at
	 * least two of the largest. */
	uint32_t shm = a->size * 64 > (8u << 20) ? 2 * a->size + 65536 :
						     a->size * 64;
	int rc;

	bench_snprintf(sock, sizeof(sock), "%s/gst-shm-%u", a->ctx->tmpdir,
		       channel_seq++);
	unlink(sock);
	src_desc(a, true, src, sizeof(src));
	bench_snprintf(pub, sizeof(pub),
		       "%s ! shmsink socket-path=%s shm-size=%u "
		       "wait-for-connection=true sync=false",
		       src, sock, shm);
	bench_snprintf(sub, sizeof(sub),
		       "shmsrc socket-path=%s is-live=false ! fakesink "
		       "sync=false enable-last-sample=false",
		       sock);
	rc = bench_gst_start(pub, &ppub, run);
	if (rc)
		return rc;
	/* shmsrc needs the socket to exist. */
	for (int i = 0; i < 500 && access(sock, F_OK); i++)
		usleep(10000);
	rc = bench_gst_start(sub, &psub, run);
	if (rc) {
		bench_proc_kill(&ppub);
		return rc;
	}
	/* The receiver's run is the measurement. shmsrc does not see EOS: it
	 * stops with "Control socket has closed" once shmsink is done, so its
	 * wall time (start-up included: a handicap for GStreamer) is used,
	 * and that ending is not a failure. shmsink itself may then fail
	 * ("gst_poll_wait returned -1") once the reader is gone. */
	{
		struct bench_proc_result r;
		struct bench_run tmp = { 0 };

		rc = bench_proc_wait(&psub, TIMEOUT_S, &r);
		if (!rc && r.exit_code != 0 &&
		    !(r.err && strstr(r.err, "Control socket has closed")) &&
		    !(r.out && strstr(r.out, "Control socket has closed"))) {
			bench_proc_why(run->why, sizeof(run->why),
				       "gst-launch-1.0 shmsrc", &r);
			rc = -EIO;
		}
		s_sub = r.wall;
		bench_proc_result_free(&r);
		if (rc)
			bench_proc_kill(&ppub);
		bench_gst_finish(&ppub, 10, &s_pub, &tmp);
	}
	if (rc != BENCH_OK)
		return rc;
	set_rate(run, a, s_sub, a->n * a->size);
	return 0;
}

/* iceoryx: px-bench-iceoryx publisher and subscriber, RouDi started by the
 * scenario; the rate is the subscriber's, first chunk to last. */
static int run_iox(struct bench_run *run)
{
	struct tput_arg *a = run->arg;
	char *out = NULL;
	double rate;
	int rc;

	if (a->ctx->iox_why[0]) {
		bench_snprintf(run->why, sizeof(run->why), "%s",
			       a->ctx->iox_why);
		return BENCH_MISSING;
	}
	rc = bench_iox_pair(a->ctx, run, a->size, a->n, 0, "rate", -1, -1,
			    &out, NULL);
	if (!rc && (!out || sscanf(out, "rate %lf", &rate) != 1)) {
		bench_snprintf(run->why, sizeof(run->why),
			       "px-bench-iceoryx printed no rate");
		rc = -EIO;
	}
	free(out);
	if (rc)
		return rc;
	run->v[0] = rate;
	return 0;
}

/* A file of N blocks of SIZE bytes in the bench's temporary directory. */
static int make_file(const struct bench_ctx *ctx, char *path, size_t len,
		     uint64_t bytes)
{
	static char block[1 << 20];
	int fd;

	bench_snprintf(path, len, "%s/px-ipc-in.bin", ctx->tmpdir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd < 0)
		return -errno;
	memset(block, 0x5a, sizeof(block));
	for (uint64_t off = 0; off < bytes; off += sizeof(block))
		if (write(fd, block, sizeof(block)) != (ssize_t)sizeof(block)) {
			close(fd);
			return -EIO;
		}
	close(fd);
	snprintf(bench_cleanup_path, sizeof(bench_cleanup_path), "%s", path);
	return 0;
}

static int tput_case(struct bench_ctx *ctx, struct tput_arg *a,
		     const char *variant)
{
	static char what_iox[512];
	char what_px[768], what_gst[1024], src[600];
	struct bench_case c = {
		.scenario = "ipc",
		.variant = variant,
		.nmetrics = 1,
		.nimpls = 2,
	};

	c.metric[0] = a->gbps ? (struct bench_metric){ "throughput", "GB/s",
						      false } :
				(struct bench_metric){ "throughput",
						       "buffers/s", false };
	src_desc(a, false, src, sizeof(src));
	bench_snprintf(what_px, sizeof(what_px),
		       "px-launch ipcsrc channel=C ! fakesink, then px-launch "
		       "%s ! ipcsink channel=C (%llu buffers of %u bytes; rate "
		       "from the subscriber's stats)",
		       src, (unsigned long long)a->n, a->size);
	src_desc(a, true, src, sizeof(src));
	bench_snprintf(what_gst, sizeof(what_gst),
		       "gst-launch-1.0 %s ! shmsink socket-path=P shm-size=%u "
		       "wait-for-connection=true sync=false, then shmsrc "
		       "socket-path=P is-live=false ! fakesink sync=false "
		       "enable-last-sample=false (rate from the receiver's "
		       "wall time, start-up included: shmsrc ends on the "
		       "closed socket, not EOS, so its own timer is not usable)",
		       src, a->size * 64 > (8u << 20) ? 2 * a->size + 65536 :
							 a->size * 64);
	c.impl[0] = (struct bench_impl){ "parallax", run_px, a, what_px };
	c.impl[1] = (struct bench_impl){ "gstreamer", run_gst, a, what_gst };
	if (!a->file && !a->gbps) {
		bench_snprintf(what_iox, sizeof(what_iox),
			       "eclipse iceoryx 2.0 (Debian), C binding: "
			       "px-bench-iceoryx pub loans a %u-byte chunk, "
			       "writes a sequence number, publishes, %llu "
			       "times; px-bench-iceoryx sub takes, checks the "
			       "sequence, releases (queue %u, publisher waits "
			       "for a full queue); RouDi started by px-bench; "
			       "rate from the subscriber, first chunk to last",
			       a->size, (unsigned long long)a->n, 256u);
		c.impl[c.nimpls++] = (struct bench_impl){ "iceoryx", run_iox,
							  a, what_iox };
	}
	return bench_case_run(ctx, &c);
}

int bench_scen_ipc(struct bench_ctx *ctx)
{
	static struct tput_arg small, big, file;
	static char path[600];
	int rc;

	small = (struct tput_arg){ .ctx = ctx, .size = 4096,
				   .n = ctx->quick ? 200000 : 4000000 };
	ctx->iox_why[0] = '\0';
	rc = bench_iox_start(ctx, ctx->iox_why, sizeof(ctx->iox_why));
	if (rc == BENCH_OK)
		ctx->iox_why[0] = '\0';
	else if (!ctx->iox_why[0])
		bench_snprintf(ctx->iox_why, sizeof(ctx->iox_why),
			       "RouDi did not start: %s", strerror(-rc));
	big = (struct tput_arg){ .ctx = ctx, .size = 1u << 20, .gbps = true,
				 .n = ctx->quick ? 256 : 8192 };
	rc = tput_case(ctx, &small, "4KiB fakesrc");
	if (!rc)
		rc = tput_case(ctx, &big, "1MiB fakesrc");
	if (rc) {
		bench_iox_stop();
		return rc;
	}
	file = (struct tput_arg){ .ctx = ctx, .size = 1u << 20, .gbps = true,
				  .n = ctx->quick ? 64 : 1024 };
	rc = make_file(ctx, path, sizeof(path), file.n * file.size);
	if (rc) {
		bench_iox_stop();
		return rc;
	}
	file.file = path;
	rc = tput_case(ctx, &file, "1MiB filesrc");
	unlink(path);
	bench_cleanup_path[0] = '\0';
	if (!rc)
		rc = bench_scen_ipc_latency(ctx);
	bench_iox_stop();
	return rc;
}
