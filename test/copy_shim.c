// SPDX-License-Identifier: MIT
/*
 * copy_shim.c - an LD_PRELOAD library for the zero-copy tests: it counts
 * the bytes that memcpy, memmove and mempcpy (and their _chk forms) move in
 * the process, and at exit appends "<pid> <bytes> <calls> <program>" to
 * the file named by PX_COPY_SHIM_OUT. A copied payload shows up here;
 * copies the kernel makes (read, write, io_uring) do not, and neither do
 * constant-size copies the compiler inlined (64-byte ring items).
 */
#include <dlfcn.h>
#include <errno.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h> /* the prototypes we replace */
#include <unistd.h>

typedef void *(*copy_fn)(void *, const void *, size_t);

static _Atomic unsigned long long bytes, calls;
static copy_fn real_memcpy, real_memmove, real_mempcpy;
static _Thread_local int resolving;

/* Before dlsym answered (it may copy itself): a plain loop. */
static void *slow_copy(void *d, const void *s, size_t n)
{
	unsigned char *dp = d;
	const unsigned char *sp = s;

	if (dp < sp || dp >= sp + n)
		for (size_t i = 0; i < n; i++)
			dp[i] = sp[i];
	else
		for (size_t i = n; i-- > 0;)
			dp[i] = sp[i];
	return d;
}

static copy_fn resolve(copy_fn *slot, const char *name)
{
	copy_fn f = __atomic_load_n(slot, __ATOMIC_ACQUIRE);

	if (f || resolving)
		return f;
	resolving = 1;
	f = (copy_fn)dlsym(RTLD_NEXT, name);
	resolving = 0;
	__atomic_store_n(slot, f, __ATOMIC_RELEASE);
	return f;
}

static void count(size_t n)
{
	atomic_fetch_add_explicit(&bytes, n, memory_order_relaxed);
	atomic_fetch_add_explicit(&calls, 1, memory_order_relaxed);
}

void *memcpy(void *d, const void *s, size_t n)
{
	copy_fn f = resolve(&real_memcpy, "memcpy");

	count(n);
	return f ? f(d, s, n) : slow_copy(d, s, n);
}

void *memmove(void *d, const void *s, size_t n)
{
	copy_fn f = resolve(&real_memmove, "memmove");

	count(n);
	return f ? f(d, s, n) : slow_copy(d, s, n);
}

void *mempcpy(void *d, const void *s, size_t n)
{
	copy_fn f = resolve(&real_mempcpy, "mempcpy");

	count(n);
	if (f)
		return f(d, s, n);
	return (char *)slow_copy(d, s, n) + n;
}

void *__memcpy_chk(void *d, const void *s, size_t n, size_t dn);
void *__memmove_chk(void *d, const void *s, size_t n, size_t dn);
void *__mempcpy_chk(void *d, const void *s, size_t n, size_t dn);

void *__memcpy_chk(void *d, const void *s, size_t n, size_t dn)
{
	if (n > dn)
		abort();
	return memcpy(d, s, n);
}

void *__memmove_chk(void *d, const void *s, size_t n, size_t dn)
{
	if (n > dn)
		abort();
	return memmove(d, s, n);
}

void *__mempcpy_chk(void *d, const void *s, size_t n, size_t dn)
{
	if (n > dn)
		abort();
	return mempcpy(d, s, n);
}

__attribute__((destructor)) static void report(void)
{
	const char *out = getenv("PX_COPY_SHIM_OUT");
	char prog[256] = "?";
	FILE *f;
	ssize_t n;

	if (!out)
		return;
	n = readlink("/proc/self/exe", prog, sizeof(prog) - 1);
	prog[n > 0 ? n : 1] = '\0';
	f = fopen(out, "a");
	if (!f)
		return;
	fprintf(f, "%d %llu %llu %s\n", (int)getpid(),
		(unsigned long long)atomic_load(&bytes),
		(unsigned long long)atomic_load(&calls), prog);
	fclose(f);
}
