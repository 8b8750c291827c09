// SPDX-License-Identifier: MIT
/*
 * bench_util.c - px-bench helpers: monotonic time, median/min/max and
 * percentiles, number formatting, small text and JSON scraping helpers, the
 * CPUs a sender and a receiver are pinned to, and the SPSC channel the
 * two-thread handoff benchmarks share.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <sched.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

double bench_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

uint64_t bench_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

void bench_stats(const double *v, unsigned n, double *median, double *min,
		 double *max)
{
	double s[BENCH_MAX_REPS];

	if (n == 0) {
		*median = *min = *max = NAN;
		return;
	}
	if (n > BENCH_MAX_REPS)
		n = BENCH_MAX_REPS;
	memcpy(s, v, n * sizeof(*s));
	qsort(s, n, sizeof(*s), cmp_double);
	*min = s[0];
	*max = s[n - 1];
	*median = (n & 1) ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

double bench_percentile(double *v, size_t n, double p)
{
	size_t i;

	if (n == 0)
		return NAN;
	qsort(v, n, sizeof(*v), cmp_double);
	/* Nearest rank: the smallest value with at least p% at or below it. */
	i = (size_t)ceil(p / 100.0 * (double)n);
	if (i > 0)
		i--;
	if (i >= n)
		i = n - 1;
	return v[i];
}

/* Three significant digits, with k/M/G for large rates. */
void bench_fmt_value(char *buf, size_t len, double v)
{
	static const char *sfx[] = {"", "k", "M", "G", "T"};
	unsigned i = 0;
	double a = fabs(v);

	if (isnan(v)) {
		snprintf(buf, len, "n/a");
		return;
	}
	if (a >= 10000) {
		while (a >= 1000 && i + 1 < sizeof(sfx) / sizeof(sfx[0])) {
			a /= 1000;
			v /= 1000;
			i++;
		}
	}
	if (a >= 100)
		snprintf(buf, len, "%.0f%s", v, sfx[i]);
	else if (a >= 10)
		snprintf(buf, len, "%.1f%s", v, sfx[i]);
	else
		snprintf(buf, len, "%.2f%s", v, sfx[i]);
}

const char *bench_tail(const char *s, size_t max)
{
	size_t n;
	const char *t, *nl;

	if (!s)
		return "";
	n = strlen(s);
	if (n <= max)
		return s;
	t = s + n - max;
	nl = strchr(t, '\n'); /* start at a line boundary when there is one */
	if (nl && nl[1])
		t = nl + 1;
	return t;
}

int bench_snprintf(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, len, fmt, ap);
	va_end(ap);
	return n;
}

char *bench_read_file(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t cap = 4096, n = 0;
	char *s;
	ssize_t r;

	if (fd < 0)
		return NULL;
	s = malloc(cap);
	while (s) {
		if (n + 1 >= cap) {
			char *t = realloc(s, cap * 2);

			if (!t) {
				free(s);
				s = NULL;
				break;
			}
			s = t;
			cap *= 2;
		}
		r = read(fd, s + n, cap - n - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	if (s)
		s[n] = '\0';
	close(fd);
	return s;
}

int bench_json_number(const char *json, const char *key, double *v)
{
	char pat[96];
	const char *p;
	char *end;

	if (!json)
		return -EINVAL;
	snprintf(pat, sizeof(pat), "\"%s\"", key);
	p = strstr(json, pat);
	if (!p)
		return -ENOENT;
	p += strlen(pat);
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	if (*p != ':')
		return -EINVAL;
	p++;
	*v = strtod(p, &end);
	return end == p ? -EINVAL : 0;
}

int bench_gst_elapsed(const char *out, double *seconds)
{
	const char *p = out ? strstr(out, "Execution ended after ") : NULL;
	unsigned h, m;
	double s;

	if (!p)
		return -ENOENT;
	if (sscanf(p + strlen("Execution ended after "), "%u:%u:%lf", &h, &m,
		   &s) != 3)
		return -EINVAL;
	*seconds = h * 3600.0 + m * 60.0 + s;
	return 0;
}

/* The handoff channel: a plain Lamport SPSC ring of uint64, cached indices. */
struct bench_chan {
	_Alignas(64) _Atomic uint32_t head; /* producer writes */
	uint32_t cached_tail;
	_Alignas(64) _Atomic uint32_t tail; /* consumer writes */
	uint32_t cached_head;
	_Alignas(64) uint32_t mask;
	uint64_t *slot;
};

struct bench_chan *bench_chan_create(unsigned capacity)
{
	struct bench_chan *c = aligned_alloc(64, sizeof(*c));

	if (!c)
		return NULL;
	memset(c, 0, sizeof(*c));
	c->mask = capacity - 1;
	c->slot = calloc(capacity, sizeof(*c->slot));
	if (!c->slot) {
		free(c);
		return NULL;
	}
	return c;
}

void bench_chan_destroy(struct bench_chan *c)
{
	if (!c)
		return;
	free(c->slot);
	free(c);
}

bool bench_chan_push(struct bench_chan *c, uint64_t v)
{
	/* Relaxed: only this thread writes head. */
	uint32_t h = atomic_load_explicit(&c->head, memory_order_relaxed);

	if (h - c->cached_tail > c->mask) {
		/* Acquire: pairs with the release store of tail in pop. */
		c->cached_tail =
			atomic_load_explicit(&c->tail, memory_order_acquire);
		if (h - c->cached_tail > c->mask)
			return false;
	}
	c->slot[h & c->mask] = v;
	/* Release: publishes slot before head; pairs with the acquire in pop.
	 */
	atomic_store_explicit(&c->head, h + 1, memory_order_release);
	return true;
}

bool bench_chan_pop(struct bench_chan *c, uint64_t *v)
{
	/* Relaxed: only this thread writes tail. */
	uint32_t t = atomic_load_explicit(&c->tail, memory_order_relaxed);

	if (t == c->cached_head) {
		/* Acquire: pairs with the release store of head in push. */
		c->cached_head =
			atomic_load_explicit(&c->head, memory_order_acquire);
		if (t == c->cached_head)
			return false;
	}
	*v = c->slot[t & c->mask];
	/* Release: the slot may be reused once tail moves; pairs with push. */
	atomic_store_explicit(&c->tail, t + 1, memory_order_release);
	return true;
}

/* A CPU each for a sender and a receiver (bench.h). */

static cpu_set_t cpus_allowed;
static bool cpus_known;

struct bench_cpus bench_cpus_pick(void)
{
	struct bench_cpus c = { -1, -1 };
	int found = 0;

	if (sched_getaffinity(0, sizeof(cpus_allowed), &cpus_allowed) < 0)
		return c;
	cpus_known = true;
	for (int cpu = 0; cpu < CPU_SETSIZE && found < 2; cpu++) {
		if (!CPU_ISSET(cpu, &cpus_allowed))
			continue;
		if (found++ == 0)
			c.send = cpu;
		else
			c.recv = cpu;
	}
	if (found < 2)
		c.send = c.recv = -1;
	return c;
}

void bench_pin(int cpu)
{
	cpu_set_t one;

	if (cpu < 0)
		return;
	CPU_ZERO(&one);
	CPU_SET(cpu, &one);
	(void)sched_setaffinity(0, sizeof(one), &one);
}

void bench_unpin(void)
{
	if (cpus_known)
		(void)sched_setaffinity(0, sizeof(cpus_allowed), &cpus_allowed);
}

const char *bench_pinning(struct bench_cpus c)
{
	static char text[64];

	if (c.recv < 0)
		return "; not pinned (one CPU allowed)";
	bench_snprintf(text, sizeof(text),
		       "; sender on CPU %d, receiver on CPU %d", c.send, c.recv);
	return text;
}
