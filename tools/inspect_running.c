// SPDX-License-Identifier: MIT
/*
 * inspect_running.c - px-inspect --running [PID] [--json]: the pipelines
 * running on this host as this user, and a look inside one of them. Each
 * px-launch (or embedder that opts in) answers HTTP on PID.sock in the
 * running folder (px_running_dir): /info says who it is, /metrics gives its
 * counters (read twice, half a second apart, for rates), /stats.json the
 * same for tools.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <parallax/parallax.h>

#include "inspect_running.h"

#define RATE_INTERVAL_NS 500000000L

/* GET PATH from the socket SOCK: the body (malloc'ed) into *BODY. */
static int http_get(const char *sock, const char *path, char **body)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = 5 };
	char req[256], *buf = NULL, *start;
	size_t len = 0, cap = 0;
	ssize_t n;
	int fd, err = 0;

	*body = NULL;
	if (strlen(sock) >= sizeof(sun.sun_path))
		return -ENAMETOOLONG;
	strcpy(sun.sun_path, sock);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		err = -errno;
		goto out;
	}
	n = snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: px\r\n\r\n",
		     path);
	if (write(fd, req, (size_t)n) != n) {
		err = -EIO;
		goto out;
	}
	for (;;) {
		if (len + 4096 + 1 > cap) {
			char *b = realloc(buf, cap = cap ? cap * 2 : 65536);

			if (!b) {
				err = -ENOMEM;
				goto out;
			}
			buf = b;
		}
		n = read(fd, buf + len, cap - len - 1);
		if (n < 0) {
			err = errno == EAGAIN ? -ETIMEDOUT : -errno;
			goto out;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (!buf) {
		err = -EPROTO;
		goto out;
	}
	buf[len] = '\0';
	start = strstr(buf, "\r\n\r\n");
	if (strncmp(buf, "HTTP/1.1 200 ", 13) || !start) {
		err = -EPROTO;
		goto out;
	}
	memmove(buf, start + 4, len - (size_t)(start + 4 - buf) + 1);
	*body = buf;
	buf = NULL;
out:
	free(buf);
	close(fd);
	return err;
}

/* The JSON number or string after "KEY": in TEXT, into OUT. */
static void json_field(const char *text, const char *key, char *out,
		       size_t len)
{
	char pat[64];
	const char *at;
	size_t n;

	snprintf(pat, sizeof(pat), "\"%s\":", key);
	at = strstr(text, pat);
	if (!at || !len) {
		snprintf(out, len, "?");
		return;
	}
	at += strlen(pat);
	if (*at == '"')
		at++;
	n = strcspn(at, "\",}");
	snprintf(out, len, "%.*s", (int)(n < len ? n : len - 1), at);
}

/* ---- one Prometheus exposition, parsed ------------------------------------- */

struct sample {
	char *name, *labels; /* into the text, NUL-terminated */
	double value;
};

struct exposition {
	char *text;
	struct sample *s;
	unsigned n;
};

static int parse_exposition(char *text, struct exposition *x)
{
	unsigned cap = 0;

	x->text = text;
	x->s = NULL;
	x->n = 0;
	for (char *line = text; line && *line;) {
		char *next = strchr(line, '\n'), *brace, *end, *q;

		if (next)
			*next++ = '\0';
		brace = strchr(line, '{');
		if (line[0] != '#' && brace) {
			/* the labels end at the first '}' outside quotes */
			for (q = brace + 1; *q && *q != '}'; q++)
				if (*q == '"')
					for (q++; *q && *q != '"'; q++)
						if (*q == '\\' && q[1])
							q++;
			if (*q == '}') {
				if (x->n == cap) {
					struct sample *ns = realloc(
						x->s, (cap = cap ? cap * 2 : 256) *
							      sizeof(*ns));

					if (!ns)
						return -ENOMEM;
					x->s = ns;
				}
				*brace = '\0';
				*q = '\0';
				x->s[x->n].name = line;
				x->s[x->n].labels = brace + 1;
				x->s[x->n].value = strtod(q + 1, &end);
				x->n++;
			}
		}
		line = next;
	}
	return 0;
}

/* The value of label KEY in LABELS into OUT (escapes undone). */
static void label_of(const char *labels, const char *key, char *out,
		     size_t len)
{
	char pat[32];
	const char *at;
	size_t o = 0;

	snprintf(pat, sizeof(pat), "%s=\"", key);
	at = strstr(labels, pat);
	while (at && at != labels && at[-1] != ',')
		at = strstr(at + 1, pat);
	if (at)
		for (at += strlen(pat); *at && *at != '"' && o + 1 < len; at++) {
			if (*at == '\\' && at[1])
				at++;
			out[o++] = *at;
		}
	out[o] = '\0';
}

/* The sample NAME{LABELS} in X, or NULL. */
static const struct sample *find(const struct exposition *x, const char *name,
				 const char *labels)
{
	for (unsigned i = 0; i < x->n; i++)
		if (!strcmp(x->s[i].name, name) &&
		    !strcmp(x->s[i].labels, labels))
			return &x->s[i];
	return NULL;
}

static int fetch(const char *sock, struct exposition *x)
{
	char *text;
	int err = http_get(sock, "/metrics", &text);

	if (err)
		return err;
	err = parse_exposition(text, x);
	if (err)
		free(text);
	return err;
}

static void exposition_free(struct exposition *x)
{
	free(x->s);
	free(x->text);
}

/* ---- the commands ------------------------------------------------------------ */

static int socket_of(int pid, char *path, size_t len)
{
	char dir[PATH_MAX];
	int err = px_running_dir(dir, sizeof(dir), false);

	if (err) {
		fprintf(stderr, "px-inspect: process %d runs no pipeline this "
				"user can see (%s: %s)\n",
			pid, dir, px_strerror(err));
		return err;
	}
	snprintf(path, len, "%s/%d.sock", dir, pid);
	return 0;
}

int inspect_running_list(void)
{
	char dir[PATH_MAX], path[PATH_MAX + 300];
	struct dirent *d;
	unsigned shown = 0;
	DIR *dh;
	int err = px_running_dir(dir, sizeof(dir), false);

	if (err == -ENOENT) {
		printf("no running pipelines\n");
		return 0;
	}
	if (err) {
		fprintf(stderr, "px-inspect: %s: %s\n", dir, px_strerror(err));
		return 1;
	}
	dh = opendir(dir);
	if (!dh) {
		fprintf(stderr, "px-inspect: %s: %s\n", dir, strerror(errno));
		return 1;
	}
	while ((d = readdir(dh))) {
		char f[5][64], *info;
		int pid;

		if (sscanf(d->d_name, "%d.soc%c", &pid, &f[0][0]) != 2 ||
		    f[0][0] != 'k' || (kill(pid, 0) < 0 && errno == ESRCH))
			continue; /* not ours, or left by a process now gone */
		snprintf(path, sizeof(path), "%s/%s", dir, d->d_name);
		if (http_get(path, "/info", &info))
			continue;
		if (!shown++)
			printf("%-8s %-20s %-8s %10s %10s %8s\n", "PID",
			       "PIPELINE", "STATE", "UPTIME-S", "PLAYING-S",
			       "ELEMENTS");
		json_field(info, "pipeline", f[0], sizeof(f[0]));
		json_field(info, "state", f[1], sizeof(f[1]));
		json_field(info, "uptime_s", f[2], sizeof(f[2]));
		json_field(info, "playing_s", f[3], sizeof(f[3]));
		json_field(info, "elements", f[4], sizeof(f[4]));
		printf("%-8d %-20s %-8s %10s %10s %8s\n", pid, f[0], f[1], f[2],
		       f[3], f[4]);
		free(info);
	}
	closedir(dh);
	if (!shown)
		printf("no running pipelines\n");
	return 0;
}

static void print_pads(const struct exposition *a, const struct exposition *b,
		       double dt)
{
	printf("\n%-16s %-8s %-4s %14s %12s %16s\n", "element", "pad", "dir",
	       "buffers", "buffers/s", "bytes");
	for (unsigned i = 0; i < b->n; i++) {
		const struct sample *s = &b->s[i], *old, *bytes;
		char el[64], pad[32], dir[8];

		if (strcmp(s->name, "px_pad_buffers_total"))
			continue;
		old = find(a, s->name, s->labels);
		bytes = find(b, "px_pad_bytes_total", s->labels);
		label_of(s->labels, "element", el, sizeof(el));
		label_of(s->labels, "pad", pad, sizeof(pad));
		label_of(s->labels, "direction", dir, sizeof(dir));
		printf("%-16s %-8s %-4s %14.0f %12.0f %16.0f\n", el, pad, dir,
		       s->value, old ? (s->value - old->value) / dt : 0,
		       bytes ? bytes->value : 0);
	}
}

static void print_links(const struct exposition *b)
{
	printf("\n%-24s %-24s %-8s %8s %8s %8s\n", "link from", "to", "kind",
	       "level", "capacity", "high");
	for (unsigned i = 0; i < b->n; i++) {
		const struct sample *s = &b->s[i], *cap, *high;
		char src[96], sink[96], kind[16];

		if (strcmp(s->name, "px_link_level_items"))
			continue;
		cap = find(b, "px_link_capacity_items", s->labels);
		high = find(b, "px_link_high_water_items", s->labels);
		label_of(s->labels, "src", src, sizeof(src));
		label_of(s->labels, "sink", sink, sizeof(sink));
		label_of(s->labels, "kind", kind, sizeof(kind));
		printf("%-24s %-24s %-8s %8.0f %8.0f %8.0f\n", src, sink, kind,
		       s->value, cap ? cap->value : 0, high ? high->value : 0);
	}
}

static void print_latency(const struct exposition *b)
{
	bool head = false;

	for (unsigned i = 0; i < b->n; i++) {
		const struct sample *s = &b->s[i];
		char el[64], pad[32], q[16];

		if (strcmp(s->name, "px_latency_quantiles_seconds"))
			continue;
		label_of(s->labels, "quantile", q, sizeof(q));
		if (!head) {
			printf("\n%-16s %-8s %12s %12s %12s %12s\n", "latency",
			       "pad", "p50 us", "p90 us", "p99 us", "p99.9 us");
			head = true;
		}
		if (!strcmp(q, "0.5")) {
			label_of(s->labels, "element", el, sizeof(el));
			label_of(s->labels, "pad", pad, sizeof(pad));
			printf("%-16s %-8s", el, pad);
		}
		printf(" %12.1f", s->value * 1e6);
		if (!strcmp(q, "0.999"))
			printf("\n");
	}
}

int inspect_running_show(const char *pid_text, bool json)
{
	struct timespec gap = { 0, RATE_INTERVAL_NS }, t0, t1;
	struct exposition a, b;
	char path[PATH_MAX + 32], f[5][64], *text;
	char *end;
	long pid = strtol(pid_text, &end, 10);
	double dt;
	int err;

	if (*end || pid <= 0 || pid > INT_MAX) {
		fprintf(stderr, "px-inspect: --running %s: not a process id\n",
			pid_text);
		return 2;
	}
	if (socket_of((int)pid, path, sizeof(path)))
		return 1;
	err = http_get(path, json ? "/stats.json" : "/info", &text);
	if (err) {
		fprintf(stderr, "px-inspect: process %ld runs no pipeline this "
				"user can see (%s: %s)\n",
			pid, path, px_strerror(err));
		return 1;
	}
	if (json) {
		fputs(text, stdout);
		free(text);
		return 0;
	}
	json_field(text, "pipeline", f[0], sizeof(f[0]));
	json_field(text, "state", f[1], sizeof(f[1]));
	json_field(text, "uptime_s", f[2], sizeof(f[2]));
	json_field(text, "playing_s", f[3], sizeof(f[3]));
	free(text);
	printf("process %ld: pipeline %s, %s, up %s s, playing %s s\n", pid,
	       f[0], f[1], f[2], f[3]);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	err = fetch(path, &a);
	if (err)
		goto fail;
	nanosleep(&gap, NULL); /* rates are over this interval */
	clock_gettime(CLOCK_MONOTONIC, &t1);
	err = fetch(path, &b);
	if (err) {
		exposition_free(&a);
		goto fail;
	}
	dt = (double)(t1.tv_sec - t0.tv_sec) +
	     (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	print_pads(&a, &b, dt);
	print_links(&b);
	print_latency(&b);
	exposition_free(&a);
	exposition_free(&b);
	return 0;
fail:
	fprintf(stderr, "px-inspect: reading process %ld's metrics: %s\n", pid,
		px_strerror(err));
	return 1;
}
