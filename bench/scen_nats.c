// SPDX-License-Identifier: MIT
/*
 * scen_nats.c - messages/s through NATS JetStream (a nats-server this
 * scenario starts on a free port, file storage in px-bench's temporary
 * folder), at 128 B, 4 KiB and 64 KiB:
 *
 *   publish: px-launch fakesrc ! natssink against px-bench-nats pub, a bare
 *            js_PublishMsgAsync loop with the same headers, the same
 *            unacknowledged maximum (256) and the same stream settings;
 *   consume: px-launch natssrc ! fakesink against px-bench-nats sub, a
 *            bare pull-consumer loop (Fetch 64, copy out, Ack), both from
 *            a stream px-bench-nats pub filled beforehand.
 *
 * Each run starts from a new stream. natssink and natssrc need the nats
 * plugin (libnats at build time): without it, or without nats-server, the
 * rows say so.
 */
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"

#define TIMEOUT_S (run->quick ? 60.0 : 300.0)
#define INFLIGHT 256
#define FETCH_BATCH 64

struct nats_arg {
	const struct bench_ctx *ctx;
	uint64_t n;
	uint32_t size;
	bool consume;
};

static struct bench_proc server;
static bool server_up;
static char url[64];
static char server_why[256];
static char peer[PATH_MAX];
static unsigned stream_no;

static int server_start(struct bench_ctx *ctx)
{
	char exe[PATH_MAX], port_s[16], dir[400];
	int port = bench_free_port();
	char *argv[] = { exe, "-js", "-a", "127.0.0.1", "-p", port_s, "-sd",
			 dir, NULL };

	bench_snprintf(peer, sizeof(peer), "%s/px-bench-nats", ctx->exe_dir);
	if (access(peer, X_OK)) {
		bench_snprintf(server_why, sizeof(server_why),
			       "px-bench-nats not built (libnats-dev missing "
			       "at configure time)");
		return BENCH_MISSING;
	}
	if (!bench_which("nats-server", exe, sizeof(exe))) {
		bench_snprintf(server_why, sizeof(server_why),
			       "nats-server not installed (Debian: "
			       "nats-server)");
		return BENCH_MISSING;
	}
	if (port < 0)
		return port;
	bench_snprintf(port_s, sizeof(port_s), "%d", port);
	bench_snprintf(dir, sizeof(dir), "%s/nats", ctx->tmpdir);
	if (bench_proc_start(&server, argv) < 0) {
		bench_snprintf(server_why, sizeof(server_why),
			       "cannot start nats-server");
		return -EIO;
	}
	if (bench_wait_listen(port, 10, server.pid)) {
		struct bench_proc_result r;

		bench_proc_kill(&server);
		bench_proc_wait(&server, 5, &r);
		bench_proc_why(server_why, sizeof(server_why), "nats-server", &r);
		bench_proc_result_free(&r);
		return -EIO;
	}
	bench_snprintf(url, sizeof(url), "nats://127.0.0.1:%d", port);
	server_up = true;
	return 0;
}

static void server_stop(void)
{
	struct bench_proc_result r;

	if (!server_up)
		return;
	kill(server.pid, SIGTERM);
	bench_proc_wait(&server, 10, &r);
	bench_proc_result_free(&r);
	server_up = false;
}

/* Run px-bench-nats with ARGV[1..]; "seconds=" of its output in *SECONDS. */
static int run_peer(struct bench_run *run, char **argv, double *seconds)
{
	struct bench_proc_result r;
	const char *p;
	int rc;

	argv[0] = peer;
	rc = bench_proc_run(argv, TIMEOUT_S, &r);
	if (rc)
		return rc;
	p = r.out ? strstr(r.out, "seconds=") : NULL;
	if (r.exit_code || !p || (*seconds = atof(p + 8)) <= 0) {
		bench_proc_why(run->why, sizeof(run->why), "px-bench-nats", &r);
		bench_proc_result_free(&r);
		return -EIO;
	}
	bench_proc_result_free(&r);
	return 0;
}

/* A new stream named into NAME and SUBJ, filled by the bare publisher
 * when FILL (its seconds in *SECONDS). */
static int new_stream(struct bench_run *run, const struct nats_arg *a,
		      bool fill, char *name, char *subj, double *seconds)
{
	char n_s[24], size_s[16], infl_s[16];

	bench_snprintf(name, 32, "B%u", ++stream_no);
	bench_snprintf(subj, 32, "b%u.data", stream_no);
	if (!fill)
		return 0; /* natssink makes it */
	bench_snprintf(n_s, sizeof(n_s), "%llu", (unsigned long long)a->n);
	bench_snprintf(size_s, sizeof(size_s), "%u", a->size);
	bench_snprintf(infl_s, sizeof(infl_s), "%d", INFLIGHT);
	char *argv[] = { NULL, "pub", url, name, subj, n_s, size_s, infl_s,
			 NULL };
	return run_peer(run, argv, seconds);
}

static void drop_stream(struct bench_run *run, const char *name)
{
	char *argv[] = { NULL, "delete", url, (char *)name, NULL };
	double s;

	(void)run_peer(run, argv, &s); /* prints no seconds: -EIO, fine */
	run->why[0] = '\0';
}

static int run_px(struct bench_run *run)
{
	struct nats_arg *a = run->arg;
	struct bench_px_stats st;
	char name[32], subj[32], line[400];
	int rc;

	if (!server_up) {
		bench_snprintf(run->why, sizeof(run->why), "%s", server_why);
		return BENCH_MISSING;
	}
	double filled;

	rc = new_stream(run, a, a->consume, name, subj, &filled);
	if (rc)
		return rc;
	if (a->consume)
		bench_snprintf(line, sizeof(line),
			       "natssrc url=%s stream=%s durable=d "
			       "max-size=%u ! fakesink",
			       url, name, a->size);
	else
		bench_snprintf(line, sizeof(line),
			       "fakesrc num-buffers=%llu size=%u "
			       "filltype=nothing ! natssink url=%s stream=%s "
			       "subject=%s max-inflight=%d",
			       (unsigned long long)a->n, a->size, url, name,
			       subj, INFLIGHT);
	rc = bench_run_px_launch(a->ctx, line, TIMEOUT_S, &st, run);
	drop_stream(run, name);
	if (rc)
		return rc;
	if (a->consume && st.sink_buffers != a->n) {
		bench_snprintf(run->why, sizeof(run->why),
			       "natssrc delivered %llu of %llu messages",
			       (unsigned long long)st.sink_buffers,
			       (unsigned long long)a->n);
		return -EIO;
	}
	run->v[0] = (double)a->n / st.seconds;
	return 0;
}

static int run_libnats(struct bench_run *run)
{
	struct nats_arg *a = run->arg;
	char name[32], subj[32], batch_s[16];
	double s;
	int rc;

	if (!server_up) {
		bench_snprintf(run->why, sizeof(run->why), "%s", server_why);
		return BENCH_MISSING;
	}
	/* Publishing is the bare publisher's own run; consuming reads what
	 * it published. */
	rc = new_stream(run, a, true, name, subj, &s);
	if (!rc && a->consume) {
		bench_snprintf(batch_s, sizeof(batch_s), "%d", FETCH_BATCH);
		char *argv[] = { NULL, "sub", url, name, subj, "d", batch_s,
				 NULL };
		rc = run_peer(run, argv, &s);
	}
	drop_stream(run, name);
	if (rc)
		return rc;
	run->v[0] = (double)a->n / s;
	return 0;
}

int bench_scen_nats(struct bench_ctx *ctx)
{
	static const uint32_t sizes[] = { 128, 4096, 65536 };
	static const char *const names[2][3] = {
		{ "publish 128B", "publish 4KiB", "publish 64KiB" },
		{ "consume 128B", "consume 4KiB", "consume 64KiB" },
	};
	static struct nats_arg a[2][3];
	static char what_px[2][3][400], what_nats[2][3][400];
	int rc = 0;

	if (server_start(ctx) < 0 && !server_why[0])
		bench_snprintf(server_why, sizeof(server_why),
			       "nats-server did not start");
	for (int k = 0; k < 2 && rc == 0; k++)
		for (int i = 0; i < 3 && rc == 0; i++) {
			uint64_t n = sizes[i] > 4096 ? (ctx->quick ? 500 : 20000)
						     : (ctx->quick ? 2000 : 100000);
			struct bench_case c = {
				.scenario = "nats",
				.variant = names[k][i],
				.nmetrics = 1,
				.metric = { { "rate", "msgs/s", false } },
				.nimpls = 2,
			};

			a[k][i] = (struct nats_arg){ .ctx = ctx, .n = n,
						     .size = sizes[i],
						     .consume = k == 1 };
			if (k)
				bench_snprintf(what_px[k][i], sizeof(what_px[k][i]),
					       "px-launch natssrc url=U stream=S "
					       "durable=d max-size=%u ! fakesink, "
					       "from a stream px-bench-nats pub "
					       "filled with %llu messages of %u B "
					       "(msgs/s = %llu / stats seconds)",
					       sizes[i], (unsigned long long)n,
					       sizes[i], (unsigned long long)n);
			else
				bench_snprintf(what_px[k][i], sizeof(what_px[k][i]),
					       "px-launch fakesrc num-buffers=%llu "
					       "size=%u ! natssink url=U stream=S "
					       "subject=s max-inflight=%d (new "
					       "file-storage stream; msgs/s = "
					       "%llu / stats seconds)",
					       (unsigned long long)n, sizes[i],
					       INFLIGHT, (unsigned long long)n);
			if (k)
				bench_snprintf(what_nats[k][i], sizeof(what_nats[k][i]),
					       "px-bench-nats sub: durable pull "
					       "consumer, Fetch %d, copy out, Ack "
					       "each, until the Px-Eos message; "
					       "the same stream contents",
					       FETCH_BATCH);
			else
				bench_snprintf(what_nats[k][i], sizeof(what_nats[k][i]),
					       "px-bench-nats pub: %llu x %u B "
					       "js_PublishMsgAsync with "
					       "Nats-Msg-Id and Px-Seq, MaxPending "
					       "%d, then Px-Eos and "
					       "js_PublishAsyncComplete",
					       (unsigned long long)n, sizes[i],
					       INFLIGHT);
			c.impl[0] = (struct bench_impl){ "parallax", run_px,
							 &a[k][i], what_px[k][i] };
			c.impl[1] = (struct bench_impl){ "libnats", run_libnats,
							 &a[k][i],
							 what_nats[k][i] };
			rc = bench_case_run(ctx, &c);
		}
	server_stop();
	return rc;
}
