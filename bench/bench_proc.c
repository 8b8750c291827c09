// SPDX-License-Identifier: MIT
/*
 * bench_proc.c - px-bench subprocesses: posix_spawn with stdout/stderr
 * captured in memfds, waiting on a pidfd with a timeout, error text with
 * the stderr tail, PATH lookup, and loopback port helpers.
 */
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"

extern char **environ;

bool bench_which(const char *prog, char *path, size_t len)
{
	const char *env = getenv("PATH");
	char *dirs, *save = NULL, *d;
	bool found = false;

	if (strchr(prog, '/')) {
		bench_snprintf(path, len, "%s", prog);
		return access(path, X_OK) == 0;
	}
	dirs = strdup(env ? env : "/usr/local/bin:/usr/bin:/bin");
	if (!dirs)
		return false;
	for (d = strtok_r(dirs, ":", &save); d && !found;
	     d = strtok_r(NULL, ":", &save)) {
		bench_snprintf(path, len, "%s/%s", d, prog);
		found = access(path, X_OK) == 0;
	}
	free(dirs);
	return found;
}

int bench_proc_start(struct bench_proc *p, char *const argv[])
{
	posix_spawn_file_actions_t fa;
	int rc;

	memset(p, 0, sizeof(*p));
	p->pidfd = p->out_fd = p->err_fd = -1;
	p->out_fd = memfd_create("px-bench-out", MFD_CLOEXEC);
	p->err_fd = memfd_create("px-bench-err", MFD_CLOEXEC);
	if (p->out_fd < 0 || p->err_fd < 0) {
		rc = -errno;
		goto err_close;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, p->out_fd, 1);
	posix_spawn_file_actions_adddup2(&fa, p->err_fd, 2);
	p->t0 = bench_now();
	rc = -posix_spawn(&p->pid, argv[0], &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	if (rc)
		goto err_close;
	p->pidfd = (int)syscall(SYS_pidfd_open, p->pid, 0);
	return 0;

err_close:
	if (p->out_fd >= 0)
		close(p->out_fd);
	if (p->err_fd >= 0)
		close(p->err_fd);
	p->out_fd = p->err_fd = -1;
	return rc;
}

static char *slurp_fd(int fd)
{
	off_t n = lseek(fd, 0, SEEK_END);
	char *s;
	ssize_t r;
	size_t got = 0;

	if (n < 0)
		n = 0;
	s = malloc((size_t)n + 1);
	if (!s)
		return NULL;
	while (got < (size_t)n) {
		r = pread(fd, s + got, (size_t)n - got, (off_t)got);
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	s[got] = '\0';
	return s;
}

void bench_proc_kill(struct bench_proc *p)
{
	if (p->pid > 0)
		kill(p->pid, SIGKILL);
}

int bench_proc_wait(struct bench_proc *p, double timeout_s,
		    struct bench_proc_result *r)
{
	int status = 0;
	double deadline = p->t0 + timeout_s;

	memset(r, 0, sizeof(*r));
	for (;;) {
		pid_t w = waitpid(p->pid, &status, WNOHANG);

		if (w == p->pid)
			break;
		if (w < 0 && errno != EINTR)
			return -errno;
		double left = deadline - bench_now();

		if (left <= 0) {
			r->timed_out = true;
			kill(p->pid, SIGKILL);
			waitpid(p->pid, &status, 0);
			break;
		}
		if (p->pidfd >= 0) {
			struct pollfd pfd = {.fd = p->pidfd, .events = POLLIN};

			poll(&pfd, 1, (int)(left * 1000) + 1);
		} else {
			usleep(1000);
		}
	}
	r->wall = bench_now() - p->t0;
	if (WIFEXITED(status))
		r->exit_code = WEXITSTATUS(status);
	else if (WIFSIGNALED(status))
		r->exit_code = 128 + WTERMSIG(status);
	r->out = slurp_fd(p->out_fd);
	r->err = slurp_fd(p->err_fd);
	if (p->pidfd >= 0)
		close(p->pidfd);
	close(p->out_fd);
	close(p->err_fd);
	p->pid = 0;
	p->pidfd = p->out_fd = p->err_fd = -1;
	return 0;
}

int bench_proc_run(char *const argv[], double timeout_s,
		   struct bench_proc_result *r)
{
	struct bench_proc p;
	int rc = bench_proc_start(&p, argv);

	if (rc) {
		memset(r, 0, sizeof(*r));
		return rc;
	}
	return bench_proc_wait(&p, timeout_s, r);
}

void bench_proc_result_free(struct bench_proc_result *r)
{
	free(r->out);
	free(r->err);
	r->out = r->err = NULL;
}

void bench_proc_why(char *why, size_t len, const char *prog,
		    const struct bench_proc_result *r)
{
	const char *tail =
		bench_tail(r->err && r->err[0] ? r->err : r->out, 300);
	size_t n;
	char *p;

	if (r->timed_out)
		n = (size_t)bench_snprintf(
			why, len, "%s timed out after %.1f s: ", prog, r->wall);
	else if (r->exit_code > 128)
		n = (size_t)bench_snprintf(why, len,
					   "%s killed by signal %d: ", prog,
					   r->exit_code - 128);
	else
		n = (size_t)bench_snprintf(why, len, "%s exited %d: ", prog,
					   r->exit_code);
	if (n < len)
		bench_snprintf(why + n, len - n, "%s",
			       tail[0] ? tail : "(no output)");
	/* One line in a table cell: newlines become separators. */
	for (p = why; *p; p++)
		if (*p == '\n' || *p == '|')
			*p = (*p == '|') ? '/' : ';';
	n = strlen(why);
	while (n > 0 && (why[n - 1] == ';' || why[n - 1] == ' '))
		why[--n] = '\0';
}

int bench_free_port(void)
{
	struct sockaddr_in a = {.sin_family = AF_INET,
				.sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t alen = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), port;

	if (fd < 0)
		return -errno;
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &alen) < 0) {
		port = -errno;
		close(fd);
		return port;
	}
	port = ntohs(a.sin_port);
	close(fd);
	return port;
}

static bool port_listening(const char *table, int port)
{
	FILE *f = fopen(table, "r");
	char line[512];
	bool found = false;

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		char local[128];
		unsigned st, lport;
		char *colon;

		if (sscanf(line, " %*d: %127s %*s %x", local, &st) != 2)
			continue;
		colon = strrchr(local, ':');
		if (!colon || sscanf(colon + 1, "%x", &lport) != 1)
			continue;
		found = lport == (unsigned)port && st == 0x0A; /* TCP_LISTEN */
	}
	fclose(f);
	return found;
}

int bench_wait_listen(int port, double timeout_s, pid_t pid)
{
	double deadline = bench_now() + timeout_s;

	while (bench_now() < deadline) {
		siginfo_t si = {0};

		if (port_listening("/proc/net/tcp", port) ||
		    port_listening("/proc/net/tcp6", port))
			return 0;
		/* A server that already exited will never listen. */
		if (pid > 0 &&
		    waitid(P_PID, (id_t)pid, &si,
			   WEXITED | WNOHANG | WNOWAIT) == 0 &&
		    si.si_pid == pid)
			return -ECHILD;
		usleep(2000);
	}
	return -ETIMEDOUT;
}
