// SPDX-License-Identifier: MIT
/*
 * scen_tcp.c - the tcp scenario: GB/s from a sender to a receiver over
 * loopback (127.0.0.1 only, bounded runs): px-launch tcpsink -> tcpsrc,
 * iperf3 (-l 64K), and GStreamer tcpclientsink -> tcpserversrc, 64 KiB
 * buffers for all.
 */
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

/* A hung run fails after this long (--quick: 30 s, so CI fails fast). */
#define TIMEOUT_S (run->quick ? 30.0 : 120.0)
#define BUF_SIZE  65536

struct tcp_arg {
	const struct bench_ctx *ctx;
	uint64_t n;	  /* buffers */
	unsigned seconds; /* iperf3 -t */
};

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
	bench_snprintf(rx, sizeof(rx),
		       "tcpsrc mode=server host=127.0.0.1 port=%d blocksize=%u "
		       "! fakesink",
		       port, BUF_SIZE);
	bench_snprintf(tx, sizeof(tx),
		       "fakesrc num-buffers=%llu size=%u filltype=nothing ! "
		       "tcpsink host=127.0.0.1 port=%d",
		       (unsigned long long)a->n, BUF_SIZE, port);
	rc = bench_px_launch_start(a->ctx, rx, rx_stats, &prx, run);
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
	rc = bench_px_launch_start(a->ctx, tx, tx_stats, &ptx, run);
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
	if (srx.sink_bytes != a->n * BUF_SIZE) {
		bench_snprintf(run->why, sizeof(run->why),
			       "receiver's fakesink got %llu bytes of %llu",
			       (unsigned long long)srx.sink_bytes,
			       (unsigned long long)(a->n * BUF_SIZE));
		return -EIO;
	}
	run->v[0] = (double)a->n * BUF_SIZE / s.seconds / 1e9;
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
	bench_snprintf(rx, sizeof(rx),
		       "tcpserversrc host=127.0.0.1 port=%d blocksize=%u ! "
		       "fakesink sync=false",
		       port, BUF_SIZE);
	bench_snprintf(tx, sizeof(tx),
		       "fakesrc num-buffers=%llu sizetype=fixed sizemax=%u "
		       "filltype=nothing ! "
		       "tcpclientsink host=127.0.0.1 port=%d",
		       (unsigned long long)a->n, BUF_SIZE, port);
	rc = bench_gst_start(rx, &prx, run);
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
	rc = bench_gst_start(tx, &ptx, run);
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
	run->v[0] = (double)a->n * BUF_SIZE / s / 1e9;
	return 0;
}

static int run_iperf(struct bench_run *run)
{
	struct tcp_arg *a = run->arg;
	char exe[PATH_MAX], port_s[16], t_s[16];
	struct bench_proc srv;
	struct bench_proc_result pr, ps;
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
	{
		char *sargv[] = {exe,	      "-s", "-1",   "-B",
				 "127.0.0.1", "-p", port_s, NULL};

		rc = bench_proc_start(&srv, sargv);
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
				 t_s, "-l", "64K",	 "-J", NULL};

		rc = bench_proc_run(cargv, a->seconds + 30.0, &pr);
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

int bench_scen_tcp(struct bench_ctx *ctx)
{
	static struct tcp_arg a;
	char what_px[512], what_gst[512], what_iperf[256];
	struct bench_case c = {
		.scenario = "tcp",
		.variant = "64KiB loopback",
		.nmetrics = 1,
		.metric = {{"throughput", "GB/s", false}},
		.nimpls = 3,
	};

	a.ctx = ctx;
	a.n = ctx->quick ? 1024 : 32768;
	a.seconds = ctx->quick ? 1 : 3;
	bench_snprintf(
		what_px, sizeof(what_px),
		"px-launch tcpsrc mode=server host=127.0.0.1 port=P "
		"blocksize=65536 ! fakesink, then px-launch "
		"fakesrc num-buffers=%llu size=65536 filltype=nothing ! "
		"tcpsink "
		"host=127.0.0.1 port=P (GB/s = bytes / sender's stats seconds)",
		(unsigned long long)a.n);
	bench_snprintf(what_gst, sizeof(what_gst),
		       "gst-launch-1.0 tcpserversrc host=127.0.0.1 port=P "
		       "blocksize=65536 ! fakesink sync=false, then "
		       "gst-launch-1.0 fakesrc num-buffers=%llu sizetype=fixed "
		       "sizemax=65536 "
		       "filltype=nothing ! tcpclientsink host=127.0.0.1 port=P "
		       "(GB/s = bytes / sender's "
		       "\"Execution ended after\")",
		       (unsigned long long)a.n);
	bench_snprintf(what_iperf, sizeof(what_iperf),
		       "iperf3 -s -1 -B 127.0.0.1 -p P, then iperf3 -c "
		       "127.0.0.1 -p P -t %u -l 64K -J "
		       "(sum_received bits_per_second)",
		       a.seconds);
	c.impl[0] = (struct bench_impl){"parallax", run_px, &a, what_px};
	c.impl[1] = (struct bench_impl){"iperf3", run_iperf, &a, what_iperf};
	c.impl[2] = (struct bench_impl){"gstreamer", run_gst, &a, what_gst};
	return bench_case_run(ctx, &c);
}
