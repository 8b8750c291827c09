// SPDX-License-Identifier: MIT
/*
 * copy_shim.c - an LD_PRELOAD library for the zero-copy tests. Two counts:
 *
 *   copies  the bytes that memcpy, memmove and mempcpy (and their _chk
 *           forms) move in the process. A copied payload shows up here;
 *           copies the kernel makes (read, write, io_uring) do not, and
 *           neither do constant-size copies the compiler inlined (64-byte
 *           ring items).
 *   trail   pointer identity: the op API calls that bring bytes in
 *           (px_io_read, px_io_recv, px_io_recvmsg) leave their buffers'
 *           address ranges here, and of the bytes the calls that send
 *           bytes out (px_io_write, px_io_send*, px_io_sendmsg*) submit, it
 *           counts those that leave from inside such a range: from the very
 *           memory the kernel read them into. A payload that an element
 *           copied elsewhere (by any means, memcpy or not) leaves from
 *           memory that no read filled.
 *
 * Elements call the op API through libparallax's PLT, so these
 * definitions take the calls and pass them on (dlsym RTLD_NEXT).
 * At exit the shim appends
 *   "<pid> <copied bytes> <copy calls> <out bytes> <out bytes from input> <program>"
 * to the file named by PX_COPY_SHIM_OUT.
 */
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h> /* the prototypes we replace */
#include <sys/socket.h>
#include <unistd.h>

#include "px_reactor.h" /* the op API prototypes we replace */

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

/* ---- trail: where the bytes sent out were read in ------------------------------ */

/*
 * Input ranges by start address in an open-addressed table (a slot read
 * again replaces its entry). Pools hold at most a few thousand slots, and
 * the receive headers a few more; a full table stops recording, which
 * can only make the count smaller (the check fail), never larger.
 */
#define TRAIL_SLOTS (1u << 14)

struct range {
	uintptr_t start;
	size_t len;
};

static struct range trail[TRAIL_SLOTS];
static pthread_mutex_t trail_mu = PTHREAD_MUTEX_INITIALIZER;
static unsigned long long out_bytes, out_from_in;
static _Thread_local int in_op; /* px_io_send_auto calls px_io_send... */

static unsigned trail_hash(uintptr_t a)
{
	return (unsigned)((a >> 6) * 0x9E3779B97F4A7C15ull >> 48) &
	       (TRAIL_SLOTS - 1);
}

static void trail_in(const void *buf, size_t len)
{
	uintptr_t a = (uintptr_t)buf;
	unsigned i = trail_hash(a);

	if (!buf || !len)
		return;
	pthread_mutex_lock(&trail_mu);
	for (unsigned n = 0; n < TRAIL_SLOTS; n++, i = (i + 1) & (TRAIL_SLOTS - 1))
		if (trail[i].start == a || !trail[i].start) {
			trail[i].start = a;
			if (len > trail[i].len)
				trail[i].len = len;
			break;
		}
	pthread_mutex_unlock(&trail_mu);
}

/* Whether [A, A+LEN) lies inside one input range. Exact starts are the
 * rule (a buffer sent from where it was read); a write that resumes
 * after a short one starts inside, found by the scan. */
static bool trail_has(uintptr_t a, size_t len)
{
	unsigned i = trail_hash(a);

	for (unsigned n = 0; n < TRAIL_SLOTS && trail[i].start;
	     n++, i = (i + 1) & (TRAIL_SLOTS - 1))
		if (trail[i].start == a)
			return len <= trail[i].len;
	for (unsigned j = 0; j < TRAIL_SLOTS; j++)
		if (trail[j].start && trail[j].start < a &&
		    a + len <= trail[j].start + trail[j].len)
			return true;
	return false;
}

static void trail_out(const void *buf, size_t len)
{
	if (!len)
		return;
	pthread_mutex_lock(&trail_mu);
	out_bytes += len;
	if (trail_has((uintptr_t)buf, len))
		out_from_in += len;
	pthread_mutex_unlock(&trail_mu);
}

static void trail_out_msg(const struct msghdr *m)
{
	for (size_t i = 0; m && i < m->msg_iovlen; i++)
		trail_out(m->msg_iov[i].iov_base, m->msg_iov[i].iov_len);
}

static void trail_in_msg(const struct msghdr *m)
{
	for (size_t i = 0; m && i < m->msg_iovlen; i++)
		trail_in(m->msg_iov[i].iov_base, m->msg_iov[i].iov_len);
}

/* The next definition of NAME (libparallax's), looked up once. */
#define REAL(type, name)                                                      \
	static type real_##name;                                              \
	type name##_f = __atomic_load_n(&real_##name, __ATOMIC_ACQUIRE);      \
	if (!name##_f) {                                                      \
		name##_f = (type)dlsym(RTLD_NEXT, #name);                     \
		__atomic_store_n(&real_##name, name##_f, __ATOMIC_RELEASE);   \
	}                                                                     \
	if (!name##_f)                                                        \
		return -ENOSYS

typedef int (*io_buf_fn)(struct px_reactor *, struct px_op *, int, void *,
			 uint32_t, uint64_t, px_op_fn);
typedef int (*io_cbuf_fn)(struct px_reactor *, struct px_op *, int,
			  const void *, uint32_t, uint64_t, px_op_fn);
typedef int (*io_sock_fn)(struct px_reactor *, struct px_op *, int, void *,
			  uint32_t, int, px_op_fn);
typedef int (*io_csock_fn)(struct px_reactor *, struct px_op *, int,
			   const void *, uint32_t, int, px_op_fn);
typedef int (*io_msg_fn)(struct px_reactor *, struct px_op *, int,
			 struct msghdr *, int, px_op_fn);
typedef int (*io_cmsg_fn)(struct px_reactor *, struct px_op *, int,
			  const struct msghdr *, int, px_op_fn);

/* Count once, in the outermost call (send_auto calls send or send_zc). */
#define PASS_ON(count, call)                                                  \
	do {                                                                  \
		int rc_;                                                      \
		if (!in_op++)                                                 \
			count;                                                \
		rc_ = call;                                                   \
		in_op--;                                                      \
		return rc_;                                                   \
	} while (0)

PX_API int px_io_read(struct px_reactor *r, struct px_op *op, int fd,
		      void *buf, uint32_t len, uint64_t off, px_op_fn cb)
{
	REAL(io_buf_fn, px_io_read);
	PASS_ON(trail_in(buf, len), px_io_read_f(r, op, fd, buf, len, off, cb));
}

PX_API int px_io_recv(struct px_reactor *r, struct px_op *op, int fd,
		      void *buf, uint32_t len, int flags, px_op_fn cb)
{
	REAL(io_sock_fn, px_io_recv);
	PASS_ON(trail_in(buf, len),
		px_io_recv_f(r, op, fd, buf, len, flags, cb));
}

PX_API int px_io_recvmsg(struct px_reactor *r, struct px_op *op, int fd,
			 struct msghdr *msg, int flags, px_op_fn cb)
{
	REAL(io_msg_fn, px_io_recvmsg);
	PASS_ON(trail_in_msg(msg),
		px_io_recvmsg_f(r, op, fd, msg, flags, cb));
}

PX_API int px_io_write(struct px_reactor *r, struct px_op *op, int fd,
		       const void *buf, uint32_t len, uint64_t off, px_op_fn cb)
{
	REAL(io_cbuf_fn, px_io_write);
	PASS_ON(trail_out(buf, len),
		px_io_write_f(r, op, fd, buf, len, off, cb));
}

/* send, send_zc and send_auto share one shape; so do sendmsg and
 * sendmsg_zc. */
#define SEND_FN(name)                                                         \
	PX_API int name(struct px_reactor *r, struct px_op *op, int fd,       \
			const void *buf, uint32_t len, int flags, px_op_fn cb) \
	{                                                                     \
		REAL(io_csock_fn, name);                                      \
		PASS_ON(trail_out(buf, len),                                  \
			name##_f(r, op, fd, buf, len, flags, cb));            \
	}
#define SENDMSG_FN(name)                                                      \
	PX_API int name(struct px_reactor *r, struct px_op *op, int fd,       \
			const struct msghdr *msg, int flags, px_op_fn cb)     \
	{                                                                     \
		REAL(io_cmsg_fn, name);                                       \
		PASS_ON(trail_out_msg(msg), name##_f(r, op, fd, msg, flags, cb)); \
	}

SEND_FN(px_io_send)
SEND_FN(px_io_send_zc)
SEND_FN(px_io_send_auto)
SENDMSG_FN(px_io_sendmsg)
SENDMSG_FN(px_io_sendmsg_zc)

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
	pthread_mutex_lock(&trail_mu);
	fprintf(f, "%d %llu %llu %llu %llu %s\n", (int)getpid(),
		(unsigned long long)atomic_load(&bytes),
		(unsigned long long)atomic_load(&calls), out_bytes, out_from_in,
		prog);
	pthread_mutex_unlock(&trail_mu);
	fclose(f);
}
