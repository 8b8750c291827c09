// SPDX-License-Identifier: MIT
/*
 * scen_tcp.c - GB/s from a sender to a receiver over loopback (127.0.0.1
 * only, bounded runs), the same buffer size for every implementation:
 *
 *   tcp: px-launch tcpsink -> tcpsrc, iperf3 (-l 64K), and GStreamer
 *        tcpclientsink -> tcpserversrc, 64 KiB buffers;
 *   net: px-launch netsink -> netsrc (STRM frames, CRC on and off) at
 *        64 KiB and 1 MiB, iperf3 with the same write size, and GStreamer
 *        gdppay ! tcpclientsink -> tcpserversrc ! gdpdepay (its framed
 *        stream, CRC on).
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

/* Receivers on one CPU, senders on another, for every implementation
 * (bench_cpus_pick()): each process is started with px-bench pinned. */
static struct bench_cpus cpus = { -1, -1 };

/* A hung run fails after this long (--quick: 30 s, so CI fails fast). */
#define TIMEOUT_S (run->quick ? 30.0 : 120.0)

struct tcp_arg {
	const struct bench_ctx *ctx;
	uint64_t n;	    /* buffers */
	uint32_t size;	    /* bytes per buffer (and iperf3 -l) */
	unsigned seconds;   /* iperf3 -t */
	bool net;	    /* netsink/netsrc and GDP, else tcpsink/tcpsrc */
	bool crc;	    /* net: CRC32C on */
	unsigned gather;    /* tcp: tcpsink max-gather (0: its default) */
	uint32_t iperf_len; /* iperf3 -l (0: size) */
};

enum line { PX_RX, PX_TX, GST_RX, GST_TX };

/* The launch line WHICH of A for PORT (0 in footnotes: "P"). */
static void line_of(const struct tcp_arg *a, enum line which, int port,
		    char *out, size_t len)
{
	char p[16], n[24];

	if (port)
		bench_snprintf(p, sizeof(p), "%d", port);
	else
		bench_snprintf(p, sizeof(p), "P");
	bench_snprintf(n, sizeof(n), "%llu", (unsigned long long)a->n);
	switch (which) {
	case PX_RX:
		if (a->net)
			bench_snprintf(out, len,
				       "netsrc host=127.0.0.1 port=%s%s ! "
				       "fakesink",
				       p, a->crc ? "" : " crc=false");
		else
			bench_snprintf(out, len,
				       "tcpsrc mode=server host=127.0.0.1 "
				       "port=%s blocksize=%u ! fakesink",
				       p, a->size);
		break;
	case PX_TX: {
		char extra[32] = "";

		if (a->net && !a->crc)
			bench_snprintf(extra, sizeof(extra), " crc=false");
		else if (!a->net && a->gather)
			bench_snprintf(extra, sizeof(extra), " max-gather=%u",
				       a->gather);
		bench_snprintf(
			out, len,
			"fakesrc num-buffers=%s size=%u filltype=nothing "
			"! %s host=127.0.0.1 port=%s%s",
			n, a->size, a->net ? "netsink" : "tcpsink", p, extra);
		break;
	}
	case GST_RX:
		if (a->net)
			bench_snprintf(out, len,
				       "tcpserversrc host=127.0.0.1 port=%s ! "
				       "gdpdepay ! fakesink sync=false",
				       p);
		else
			bench_snprintf(out, len,
				       "tcpserversrc host=127.0.0.1 port=%s "
				       "blocksize=%u ! fakesink sync=false",
				       p, a->size);
		break;
	case GST_TX:
		bench_snprintf(
			out, len,
			"fakesrc num-buffers=%s sizetype=fixed sizemax=%u "
			"filltype=nothing ! %stcpclientsink "
			"host=127.0.0.1 port=%s",
			n, a->size,
			/* gdppay needs caps to put in its stream */
			a->net ? "application/x-px-bench ! gdppay "
				 "crc-payload=true ! "
			       : "",
			p);
		break;
	}
}

/* Start the receiver, wait until it listens, run the sender, reap both. */
static int run_px(struct bench_run *run)
{
	struct tcp_arg *a = run->arg;
	char rx[256], tx[256], rx_stats[600], tx_stats[600];
	struct bench_proc prx, ptx;
	struct bench_px_stats s, srx;
	int port = bench_free_port(), rc;

	if (port < 0)
		return port;
	bench_snprintf(rx_stats, sizeof(rx_stats), "%s/px-tcp-rx.json",
		       a->ctx->tmpdir);
	bench_snprintf(tx_stats, sizeof(tx_stats), "%s/px-tcp-tx.json",
		       a->ctx->tmpdir);
	line_of(a, PX_RX, port, rx, sizeof(rx));
	line_of(a, PX_TX, port, tx, sizeof(tx));
	bench_pin(cpus.recv);
	rc = bench_px_launch_start(a->ctx, rx, rx_stats, &prx, run);
	bench_unpin();
	if (rc)
		return rc;
	if (bench_wait_listen(port, 5, prx.pid) != 0) {
		/* Not listening: let finish() tell why (it failed). */
		bench_proc_kill(&prx);
		rc = bench_px_launch_finish(&prx, rx_stats, 5, &srx, run);
		if (rc == BENCH_OK || rc == -EIO) {
			size_t n = strlen(run->why);

			bench_snprintf(run->why + n, sizeof(run->why) - n,
				       "%stcpsrc did not listen on "
				       "127.0.0.1:%d within 5 s",
				       n ? "; " : "", port);
			rc = -EIO;
		}
		return rc;
	}
	bench_pin(cpus.send);
	rc = bench_px_launch_start(a->ctx, tx, tx_stats, &ptx, run);
	bench_unpin();
	if (rc == 0)
		rc = bench_px_launch_finish(&ptx, tx_stats, TIMEOUT_S, &s, run);
	if (rc != BENCH_OK) {
		bench_proc_kill(&prx);
		struct bench_run tmp = {0};

		bench_px_launch_finish(&prx, rx_stats, 5, &srx, &tmp);
		return rc;
	}
	rc = bench_px_launch_finish(&prx, rx_stats, 30, &srx, run);
	if (rc != BENCH_OK)
		return rc < 0 ? rc : -EIO; /* the sender ran: a receiver failure
					      is a failure */
	if (srx.sink_bytes != a->n * a->size) {
		bench_snprintf(run->why, sizeof(run->why),
			       "receiver's fakesink got %llu bytes of %llu",
			       (unsigned long long)srx.sink_bytes,
			       (unsigned long long)(a->n * a->size));
		return -EIO;
	}
	run->v[0] = (double)a->n * a->size / s.seconds / 1e9;
	return 0;
}

static int run_gst(struct bench_run *run)
{
	struct tcp_arg *a = run->arg;
	char rx[256], tx[256];
	struct bench_proc prx, ptx;
	double s, srx;
	int port = bench_free_port(), rc;

	if (port < 0)
		return port;
	line_of(a, GST_RX, port, rx, sizeof(rx));
	line_of(a, GST_TX, port, tx, sizeof(tx));
	bench_pin(cpus.recv);
	rc = bench_gst_start(rx, &prx, run);
	bench_unpin();
	if (rc)
		return rc;
	if (bench_wait_listen(port, 10, prx.pid) != 0) {
		bench_proc_kill(&prx);
		rc = bench_gst_finish(&prx, 5, &srx, run);
		if (rc == BENCH_MISSING)
			return rc;
		if (rc == BENCH_OK)
			run->why[0] = '\0';
		size_t n = strlen(run->why);

		bench_snprintf(run->why + n, sizeof(run->why) - n,
			       "%stcpserversrc did not listen on 127.0.0.1:%d",
			       n ? "; " : "", port);
		return -EIO;
	}
	bench_pin(cpus.send);
	rc = bench_gst_start(tx, &ptx, run);
	bench_unpin();
	if (rc == 0)
		rc = bench_gst_finish(&ptx, TIMEOUT_S, &s, run);
	if (rc != BENCH_OK) {
		struct bench_run tmp = {0};

		bench_proc_kill(&prx);
		bench_gst_finish(&prx, 5, &srx, &tmp);
		return rc;
	}
	rc = bench_gst_finish(&prx, 30, &srx, run);
	if (rc != BENCH_OK)
		return rc;
	run->v[0] = (double)a->n * a->size / s / 1e9;
	return 0;
}

static int run_iperf(struct bench_run *run)
{
	struct tcp_arg *a = run->arg;
	char exe[PATH_MAX], port_s[16], t_s[16], len_s[16];
	struct bench_proc srv;
	struct bench_proc_result pr = {0}, ps;
	const char *sum;
	double bps;
	int port = bench_free_port(), rc;

	if (!bench_which("iperf3", exe, sizeof(exe))) {
		bench_snprintf(run->why, sizeof(run->why),
			       "iperf3 not found; apt-get install iperf3");
		return BENCH_MISSING;
	}
	if (port < 0)
		return port;
	bench_snprintf(port_s, sizeof(port_s), "%d", port);
	bench_snprintf(t_s, sizeof(t_s), "%u", a->seconds);
	bench_snprintf(len_s, sizeof(len_s), "%uK",
		       (a->iperf_len ? a->iperf_len : a->size) >> 10);
	{
		char *sargv[] = {exe,	      "-s", "-1",   "-B",
				 "127.0.0.1", "-p", port_s, NULL};

		bench_pin(cpus.recv);
		rc = bench_proc_start(&srv, sargv);
		bench_unpin();
	}
	if (rc)
		return rc;
	if (bench_wait_listen(port, 5, srv.pid) != 0) {
		bench_proc_kill(&srv);
		bench_proc_wait(&srv, 5, &ps);
		bench_proc_why(run->why, sizeof(run->why),
			       "iperf3 -s (did not listen)", &ps);
		bench_proc_result_free(&ps);
		return -EIO;
	}
	{
		char *cargv[] = {exe, "-c", "127.0.0.1", "-p", port_s, "-t",
				 t_s, "-l", len_s,	 "-J", NULL};

		struct bench_proc cli;

		bench_pin(cpus.send);
		rc = bench_proc_start(&cli, cargv);
		bench_unpin();
		if (rc == 0)
			rc = bench_proc_wait(&cli, a->seconds + 30.0, &pr);
	}
	if (rc) {
		bench_proc_kill(&srv);
		bench_proc_wait(&srv, 5, &ps);
		bench_proc_result_free(&ps);
		return rc;
	}
	sum = pr.out ? strstr(pr.out, "\"sum_received\"") : NULL;
	if (pr.exit_code != 0 || !sum ||
	    bench_json_number(sum, "bits_per_second", &bps) || bps <= 0) {
		bench_proc_why(run->why, sizeof(run->why), "iperf3 -c", &pr);
		bench_proc_result_free(&pr);
		bench_proc_kill(&srv);
		bench_proc_wait(&srv, 5, &ps);
		bench_proc_result_free(&ps);
		return -EIO;
	}
	bench_proc_result_free(&pr);
	bench_proc_wait(&srv, 10, &ps);
	bench_proc_result_free(&ps);
	run->v[0] = bps / 8 / 1e9;
	return 0;
}

/* A footnote: the receiver's and the sender's line, as run. */
static void what_of(char *out, size_t len, const char *prefix,
		    const struct tcp_arg *a, enum line rx, const char *suffix)
{
	char r[300], t[300];

	line_of(a, rx, 0, r, sizeof(r));
	line_of(a, rx + 1, 0, t, sizeof(t));
	bench_snprintf(out, len, "%s %s, then %s %s (%s)", prefix, r, prefix, t,
		       suffix);
}

/* Run one case: Parallax (NAME's lines), iperf3, GStreamer (tcp: only
 * where it writes what Parallax does per call, not against gathered sends;
 * net: always, its framed stream being the peer the issue names). */
static int tcp_case(struct bench_ctx *ctx, struct tcp_arg *a,
		    const char *scenario, const char *variant)
{
	static char what_px[700], what_gst[700], what_iperf[300];
	static struct bench_env ep;
	struct bench_case c = {
		.scenario = scenario,
		.variant = variant,
		.nmetrics = 1,
		.metric = {{"throughput", "GB/s", false}},
		.nimpls = 2,
	};

	char px_how[160], gst_how[160];

	bench_snprintf(px_how, sizeof(px_how),
		       "P a free port; GB/s = bytes / sender's stats seconds%s",
		       bench_pinning(cpus));
	bench_snprintf(gst_how, sizeof(gst_how),
		       "GB/s = bytes / sender's \"Execution ended after\"%s",
		       bench_pinning(cpus));
	what_of(what_px, sizeof(what_px), "px-launch", a, PX_RX, px_how);
	what_of(what_gst, sizeof(what_gst), "gst-launch-1.0", a, GST_RX,
		gst_how);
	bench_snprintf(what_iperf, sizeof(what_iperf),
		       "iperf3 -s -1 -B 127.0.0.1 -p P, then iperf3 -c "
		       "127.0.0.1 -p P -t %u -l %uK -J "
		       "(sum_received bits_per_second%s)",
		       a->seconds,
		       (a->iperf_len ? a->iperf_len : a->size) >> 10,
		       bench_pinning(cpus));
	c.impl[0] = (struct bench_impl){"parallax", run_px, a, what_px};
	c.impl[1] = (struct bench_impl){"iperf3", run_iperf, a, what_iperf};
	if (a->net || !a->iperf_len)
		c.impl[c.nimpls++] =
			(struct bench_impl){"gstreamer", run_gst, a, what_gst};
	c.impl[c.nimpls++] = bench_epoll_impl(&c.impl[0], &ep);
	return bench_case_run(ctx, &c);
}

/*
 * Two honest pairings of the same 64 KiB buffers: tcpsink gathering 8
 * buffers per sendmsg (what it does by default with 64 KiB buffers: it
 * stops a gathered send at 512 KiB; max-gather=8 says so in the footnote)
 * against iperf3 writing as much per call (-l 512K), and tcpsink sending
 * one buffer per sendmsg (max-gather=1) against iperf3 -l 64K and
 * GStreamer's tcpclientsink, which also write one buffer per call.
 */
int bench_scen_tcp(struct bench_ctx *ctx)
{
	static struct tcp_arg a[2];
	int rc;

	cpus = bench_cpus_pick();
	for (int i = 0; i < 2; i++)
		a[i] = (struct tcp_arg){
			.ctx = ctx,
			.n = ctx->quick ? 1024 : 32768,
			.size = 65536,
			.seconds = ctx->quick ? 1 : 3,
			.gather = i ? 1 : 8,
			.iperf_len = i ? 0 : 8 * 65536,
		};
	rc = tcp_case(ctx, &a[0], "tcp", "64KiB loopback, gathered 8");
	if (rc)
		return rc;
	return tcp_case(ctx, &a[1], "tcp", "64KiB loopback, 1 per send");
}

/* Bytes netsink writes per sendmsg with SIZE-byte frames: it gathers
 * frames until 512 KiB (netsink.c), so iperf3 writes as much per call. */
static uint32_t per_call(uint32_t size)
{
	const uint32_t gather = 512u << 10;

	return size >= gather ? size : (gather + size - 1) / size * size;
}

int bench_scen_net(struct bench_ctx *ctx)
{
	static const uint32_t sizes[] = {65536, 1u << 20};
	static const char *const names[2][2] = {{"64KiB no CRC", "64KiB CRC"},
						{"1MiB no CRC", "1MiB CRC"}};
	static struct tcp_arg a;
	/* --quick: enough that connection setup is not the measure */
	uint64_t bytes = ctx->quick ? 256ull << 20 : 2ull << 30;
	int rc = 0;

	cpus = bench_cpus_pick();
	for (unsigned i = 0; i < 2 && rc == 0; i++)
		for (int k = 0; k < 2 && rc == 0; k++) {
			bool crc = k == 0; /* CRC on first: the default */

			a = (struct tcp_arg){
				.ctx = ctx,
				.n = bytes / sizes[i],
				.size = sizes[i],
				.seconds = ctx->quick ? 1 : 3,
				.net = true,
				.crc = crc,
				.iperf_len = per_call(sizes[i]),
			};
			rc = tcp_case(ctx, &a, "net", names[i][crc]);
		}
	return rc;
}
