// SPDX-License-Identifier: MIT
/*
 * peer_iox_run.c - px-bench's handle on the iceoryx peer: RouDi started and
 * stopped by the bench, and a publisher/subscriber pair of px-bench-iceoryx
 * (peer_iceoryx.c, built when Debian's libiceoryx-binding-c-dev is there)
 * run for one measurement.
 *
 * RouDi is one per machine (its socket is /tmp/roudi): px-bench starts its
 * own when none runs and stops it with SIGTERM (it then removes its shared
 * memory), and uses one that runs already without touching it.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench.h"

#define ROUDI_SOCKET "/tmp/roudi"
#define ROUDI_LOCK "/tmp/roudi.lock"

static struct bench_proc roudi;
static bool roudi_ours;
static char helper[600];

/* A live RouDi holds a lock on its lock file and has its socket; one
 * killed with SIGKILL leaves both files behind, unlocked (a new RouDi
 * removes them). */
static bool roudi_up(void)
{
	struct stat st;
	bool locked;
	int fd;

	if (stat(ROUDI_SOCKET, &st) || !S_ISSOCK(st.st_mode))
		return false;
	fd = open(ROUDI_LOCK, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return false;
	locked = flock(fd, LOCK_EX | LOCK_NB) < 0 && errno == EWOULDBLOCK;
	close(fd); /* drops the lock if we took it */
	return locked;
}

int bench_iox_start(const struct bench_ctx *ctx, char *why, size_t len)
{
	char exe[512];
	char *argv[] = { exe, "-l", "warning", NULL };
	int rc;

	bench_snprintf(helper, sizeof(helper), "%s/px-bench-iceoryx",
		       ctx->exe_dir);
	if (access(helper, X_OK)) {
		bench_snprintf(why, len, "px-bench-iceoryx not built "
					 "(libiceoryx-binding-c-dev missing at "
					 "configure time)");
		return BENCH_MISSING;
	}
	if (roudi_up())
		return BENCH_OK; /* somebody's RouDi: use it as it is */
	if (!bench_which("iox-roudi", exe, sizeof(exe))) {
		bench_snprintf(why, len, "iox-roudi not installed (Debian: "
					 "iceoryx)");
		return BENCH_MISSING;
	}
	rc = bench_proc_start(&roudi, argv);
	if (rc < 0) {
		bench_snprintf(why, len, "cannot start iox-roudi: %s",
			       strerror(-rc));
		return rc;
	}
	roudi_ours = true;
	for (int i = 0; i < 500 && !roudi_up(); i++)
		usleep(10000);
	if (!roudi_up()) {
		bench_iox_stop();
		bench_snprintf(why, len, "iox-roudi did not open %s in 5 s",
			       ROUDI_SOCKET);
		return -ETIMEDOUT;
	}
	return BENCH_OK;
}

void bench_iox_stop(void)
{
	struct bench_proc_result r;

	if (!roudi_ours)
		return;
	roudi_ours = false;
	/* SIGTERM: it removes its shared memory, socket and lock file. The
	 * wait's limit counts from its start. */
	kill(roudi.pid, SIGTERM);
	if (bench_proc_wait(&roudi, bench_now() - roudi.t0 + 10, &r) == 0)
		bench_proc_result_free(&r);
	else
		bench_proc_kill(&roudi);
}

static void pin_pid(pid_t pid, int cpu)
{
	cpu_set_t one;

	if (cpu < 0)
		return;
	CPU_ZERO(&one);
	CPU_SET(cpu, &one);
	(void)sched_setaffinity(pid, sizeof(one), &one);
}

int bench_iox_pair(const struct bench_ctx *ctx, struct bench_run *run,
		   uint32_t size, uint64_t count, uint64_t gap_ns,
		   const char *mode, int cpu_pub, int cpu_sub, char **out,
		   double **samples)
{
	static unsigned seq;
	char name_pub[64], name_sub[64], s_size[24], s_count[24], s_gap[24];
	char file[600];
	char *argv_sub[] = { helper, "sub", name_sub, s_size, s_count,
			     (char *)mode, file, NULL };
	char *argv_pub[] = { helper, "pub", name_pub, s_size, s_count, s_gap,
			     NULL };
	struct bench_proc psub, ppub;
	struct bench_proc_result rs, rp;
	int rc;

	*out = NULL;
	if (samples)
		*samples = NULL;
	bench_snprintf(file, sizeof(file), "%s/iox-lat.bin", ctx->tmpdir);
	bench_snprintf(name_pub, sizeof(name_pub), "pxb-pub-%d-%u",
		       (int)getpid(), seq);
	bench_snprintf(name_sub, sizeof(name_sub), "pxb-sub-%d-%u",
		       (int)getpid(), seq++);
	bench_snprintf(s_size, sizeof(s_size), "%u", size);
	bench_snprintf(s_count, sizeof(s_count), "%llu",
		       (unsigned long long)count);
	bench_snprintf(s_gap, sizeof(s_gap), "%llu",
		       (unsigned long long)gap_ns);
	rc = bench_proc_start(&psub, argv_sub);
	if (rc < 0)
		return rc;
	pin_pid(psub.pid, cpu_sub);
	rc = bench_proc_start(&ppub, argv_pub);
	if (rc < 0) {
		bench_proc_kill(&psub);
		(void)bench_proc_wait(&psub, 5, &rs);
		bench_proc_result_free(&rs);
		return rc;
	}
	pin_pid(ppub.pid, cpu_pub);
	rc = bench_proc_wait(&psub, run->quick ? 60 : 300, &rs);
	if (rc || rs.exit_code != 0) {
		bench_proc_why(run->why, sizeof(run->why),
			       "px-bench-iceoryx sub", &rs);
		bench_proc_kill(&ppub);
		rc = -EIO;
	}
	if (bench_proc_wait(&ppub, 10, &rp) == 0) {
		if (!rc && rp.exit_code != 0) {
			bench_proc_why(run->why, sizeof(run->why),
				       "px-bench-iceoryx pub", &rp);
			rc = -EIO;
		}
		bench_proc_result_free(&rp);
	} else {
		bench_proc_kill(&ppub);
	}
	if (!rc) {
		*out = rs.out;
		rs.out = NULL;
	}
	bench_proc_result_free(&rs);
	if (!rc && samples) {
		FILE *f = fopen(file, "rb");
		double *v = calloc(count, sizeof(*v));

		if (!f || !v || fread(v, sizeof(*v), count, f) != count) {
			bench_snprintf(run->why, sizeof(run->why),
				       "px-bench-iceoryx wrote no samples");
			free(v);
			rc = -EIO;
		} else {
			*samples = v;
		}
		if (f)
			fclose(f);
	}
	unlink(file);
	return rc;
}
