// SPDX-License-Identifier: MIT
/*
 * px_bench.c - px-bench: one harness for every figure Parallax publishes.
 * Runs each scenario's Parallax side and its peers alternately in the same
 * process run, then prints a markdown table (and JSON rows, PNG charts).
 */
#include <errno.h>
#include <ftw.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <parallax/parallax.h>

#include "bench.h"

struct bench_ctx *bench_global_ctx;
char bench_cleanup_path[600];

static const struct scenario {
	const char *name;
	bench_scen_fn fn;   /* NULL: its module is not in this build */
	const char *reason; /* why fn is NULL */
	const char *what;
} scenarios[] = {
	{"pool", BENCH_SCEN_POOL, "mem/px_pool.h not in this build",
	 "pool loan+release vs malloc/free and rte_mempool"},
	{"ring", BENCH_SCEN_RING, "ring/px_ring.h not in this build",
	 "SPSC ring of 64-byte items vs rte_ring"},
	{"reactor", BENCH_SCEN_REACTOR, "engine/px_reactor.h not in this build",
	 "NOP round trip vs bare liburing; cross-reactor wakeup latency"},
	{"chain", bench_scen_chain, NULL,
	 "fakesrc ! identity ! fakesink vs gst-launch-1.0"},
	{"tee", bench_scen_tee, NULL,
	 "fakesrc ! tee, two queued branches vs gst-launch-1.0"},
	{"latency", bench_scen_latency, NULL,
	 "source-to-sink latency of 4 KiB buffers, one thread and across a "
	 "queue, vs GStreamer's latency tracer"},
	{"record", bench_scen_record, NULL,
	 "typed records: validate and read, vs the FlatBuffers verifier"},
	{"file", bench_scen_file, NULL,
	 "filesrc ! fakesink vs fio io_uring and gst-launch-1.0"},
	{"memory", bench_scen_memory, NULL,
	 "file reads and the chain with pools in 4 KiB, THP and 2 MiB pages"},
	{"tcp", bench_scen_tcp, NULL,
	 "tcpsink -> tcpsrc over loopback vs iperf3 and GStreamer"},
	{"net", bench_scen_net, NULL,
	 "netsink -> netsrc over loopback vs iperf3 and GStreamer GDP"},
	{"ipc", bench_scen_ipc, NULL,
	 "ipcsink -> ipcsrc across processes vs GStreamer shm; latency "
	 "against the machine's floors; kill-to-reclaim"},
	{"nats", bench_scen_nats, NULL,
	 "natssink and natssrc through NATS JetStream vs bare libnats loops"},
	{"fanin", bench_scen_fanin, NULL,
	 "1, 100 and 10,000 TCP clients into multitcpsrc vs a plain epoll "
	 "server"},
};
#define NSCEN (sizeof(scenarios) / sizeof(scenarios[0]))

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: px-bench [--quick] [--json FILE] [--plot DIR] "
		   "[--reps N] [SCENARIO...]\n"
		   "  --quick      every scenario briefly (CI smoke run, well "
		   "under 60 s)\n"
		   "  --json FILE  also write the results as JSON rows\n"
		   "  --plot DIR   also write PNG charts (gnuplot)\n"
		   "  --reps N     repetitions per implementation (default 5, "
		   "3 with --quick)\n"
		   "  -h, --help   this text (more: man px-bench)\n"
		   "scenarios (default: all):\n");
	for (i = 0; i < NSCEN; i++)
		fprintf(f, "  %-8s %s%s\n", scenarios[i].name,
			scenarios[i].what,
			scenarios[i].fn ? "" : " [not in this build]");
}

static void cpu_model(char *buf, size_t len)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[512];

	bench_snprintf(buf, len, "unknown CPU");
	if (!f)
		return;
	while (fgets(line, sizeof(line), f)) {
		char *c = strchr(line, ':');

		if (strncmp(line, "model name", 10) == 0 && c) {
			c += 2;
			c[strcspn(c, "\n")] = '\0';
			bench_snprintf(buf, len, "%s", c);
			break;
		}
	}
	fclose(f);
}

/* First line of `prog ARG`, or "not installed". */
static void peer_version(const char *prog, const char *arg, char *buf,
			 size_t len)
{
	char path[PATH_MAX];
	char *argv[] = {path, (char *)arg, NULL};
	struct bench_proc_result r;

	if (!bench_which(prog, path, sizeof(path))) {
		bench_snprintf(buf, len, "%s: not installed", prog);
		return;
	}
	if (bench_proc_run(argv, 10, &r) != 0 || !r.out) {
		bench_snprintf(buf, len, "%s: ?", prog);
		return;
	}
	r.out[strcspn(r.out, "\n")] = '\0';
	bench_snprintf(buf, len, "%s", r.out);
	bench_proc_result_free(&r);
}

/* The 1-minute load average: a busy machine explains a noisy table. */
static void load_average(char *buf, size_t len)
{
	FILE *f = fopen("/proc/loadavg", "r");

	bench_snprintf(buf, len, "?");
	if (!f)
		return;
	if (fscanf(f, "%15s", buf) != 1)
		bench_snprintf(buf, len, "?");
	fclose(f);
}

static void make_header(const struct bench_ctx *ctx, char *buf, size_t len)
{
	char load_end[16];

	char cpu[256], date[64], gst[128], fio[64], iperf[128], iox[64];
	struct utsname u;
	struct tm tm;
	const char *dpdk = bench_dpdk_version();

	cpu_model(cpu, sizeof(cpu));
	load_average(load_end, sizeof(load_end));
	uname(&u);
	gmtime_r(&ctx->start_time, &tm);
	strftime(date, sizeof(date), "%Y-%m-%d %H:%M UTC", &tm);
	peer_version("gst-launch-1.0", "--version", gst, sizeof(gst));
	peer_version("fio", "--version", fio, sizeof(fio));
	peer_version("iperf3", "--version", iperf, sizeof(iperf));
	peer_version("iox-roudi", "--version", iox, sizeof(iox));
	bench_snprintf(
		buf, len,
		"## px-bench results, started %s\n\n"
		"Machine: %s, %ld CPUs online, Linux %s (%s); nothing "
		"pinned unless a footnote says so.  \n"
		"Parallax %s; peers: %s, %s, %s, DPDK %s, iceoryx %s.  \n"
		"Build: %s%s%s.  \n"
		"Mode: %s, %u runs per implementation, %.0f s in all. "
		"Load average (1 min) at start %s, at end %s.\n",
		date, cpu, sysconf(_SC_NPROCESSORS_ONLN), u.release, u.machine,
		px_version(), gst, fio, iperf, dpdk ? dpdk : "not built in",
		iox,
		PX_BENCH_BUILD_TYPE[0] ? PX_BENCH_BUILD_TYPE : "no build type",
		PX_BENCH_SANITIZE[0] ? ", sanitizers " : "",
		PX_BENCH_SANITIZE[0] ? PX_BENCH_SANITIZE
			" (Parallax numbers are not meaningful)"
				     : "",
		ctx->quick ? "--quick" : "full", ctx->reps,
		bench_now() - ctx->t_start, ctx->load_start, load_end);
}

static int rm_entry(const char *path, const struct stat *sb, int flag,
		    struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

static struct bench_ctx ctx;

static void on_signal(int sig)
{
	/* Leave no gigabyte file behind; nftw is not async-signal-safe, unlink
	 * is. */
	if (bench_cleanup_path[0])
		unlink(bench_cleanup_path);
	signal(sig, SIG_DFL);
	raise(sig);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{"quick", no_argument, NULL, 'q'},
		{"json", required_argument, NULL, 'j'},
		{"plot", required_argument, NULL, 'p'},
		{"reps", required_argument, NULL, 'r'},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *json = NULL, *plot = NULL;
	bool want[NSCEN];
	char header[1024], exe[PATH_MAX];
	unsigned reps = 0, nwant = 0;
	size_t i;
	int c, rc = 0;
	const char *tmp = getenv("TMPDIR");

	while ((c = getopt_long(argc, argv, "qj:p:r:h", opts, NULL)) != -1) {
		switch (c) {
		case 'q':
			ctx.quick = true;
			break;
		case 'j':
			json = optarg;
			break;
		case 'p':
			plot = optarg;
			break;
		case 'r':
			reps = (unsigned)strtoul(optarg, NULL, 10);
			if (reps < 1 || reps > BENCH_MAX_REPS) {
				fprintf(stderr,
					"px-bench: --reps must be 1..%d\n",
					BENCH_MAX_REPS);
				return 2;
			}
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	memset(want, 0, sizeof(want));
	for (; optind < argc; optind++) {
		for (i = 0;
		     i < NSCEN && strcmp(scenarios[i].name, argv[optind]) != 0;
		     i++)
			;
		if (i == NSCEN) {
			fprintf(stderr, "px-bench: unknown scenario '%s'\n",
				argv[optind]);
			usage(stderr);
			return 2;
		}
		want[i] = true;
	}
	for (i = 0; i < NSCEN; i++)
		nwant += want[i];
	if (nwant == 0)
		for (i = 0; i < NSCEN; i++, nwant++)
			want[i] = true;

	ctx.reps = reps ? reps : ctx.quick ? 3 : 5;
	ctx.tty = isatty(STDERR_FILENO);
	ctx.t_start = bench_now();
	ctx.start_time = time(NULL);
	load_average(ctx.load_start, sizeof(ctx.load_start));
	ctx.scen_total = nwant;
	bench_global_ctx = &ctx;
	if (!realpath("/proc/self/exe", exe))
		bench_snprintf(exe, sizeof(exe), "%s", argv[0]);
	bench_snprintf(ctx.exe_dir, sizeof(ctx.exe_dir), "%s", exe);
	*strrchr(ctx.exe_dir, '/') = '\0';
	bench_snprintf(ctx.tmpdir, sizeof(ctx.tmpdir), "%s/px-bench.XXXXXX",
		       tmp && tmp[0] ? tmp : "/var/tmp");
	if (!mkdtemp(ctx.tmpdir)) {
		fprintf(stderr, "px-bench: mkdtemp %s: %s\n", ctx.tmpdir,
			strerror(errno));
		return 1;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	signal(SIGPIPE, SIG_IGN);

	for (i = 0; i < NSCEN; i++) {
		if (!want[i])
			continue;
		ctx.scen_index++;
		ctx.scenario = scenarios[i].name;
		ctx.case_index = 0;
		if (!scenarios[i].fn) {
			bench_not_available(&ctx, scenarios[i].name, NULL,
					    scenarios[i].reason);
			continue;
		}
		bench_progress(&ctx, "starting");
		if (scenarios[i].fn(&ctx) < 0) {
			fprintf(stderr, "px-bench: scenario %s could not run\n",
				scenarios[i].name);
			ctx.failed = true;
		}
		bench_progress_done(&ctx);
	}
	nftw(ctx.tmpdir, rm_entry, 8, FTW_DEPTH | FTW_PHYS);

	make_header(&ctx, header, sizeof(header));
	bench_report_markdown(&ctx, stdout, header);
	fflush(stdout);
	if (json) {
		int r = bench_report_json(&ctx, json);

		if (r) {
			fprintf(stderr, "px-bench: --json %s: %s\n", json,
				strerror(-r));
			rc = 1;
		}
	}
	if (plot && bench_report_plot(&ctx, plot) != 0)
		rc = 1;
	if (ctx.failed) {
		fprintf(stderr, "px-bench: at least one run of an existing "
				"implementation failed "
				"(see FAILED in the table)\n");
		rc = 1;
	}
	free(ctx.res);
	return rc;
}
