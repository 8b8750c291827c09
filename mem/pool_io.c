// SPDX-License-Identifier: MIT
/*
 * pool_io.c - what the reactor needs to register a pool with io_uring as
 * fixed buffers: the slot area as iovecs, and an RLIMIT_MEMLOCK check that
 * explains itself instead of letting the registration fail with ENOMEM.
 */
#include <errno.h>
#include <linux/capability.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "px_pool_int.h"

/* io_uring refuses a registered buffer larger than 1 GiB. */
#define PX__IOV_MAX (1ull << 30)

PX_API int px_pool_iovec(const struct px_pool *pool, struct iovec *iov)
{
	uint64_t len = (uint64_t)pool->slots * pool->slot_size;

	if (len > PX__IOV_MAX)
		return -E2BIG;
	iov->iov_base = pool->slot_base;
	iov->iov_len = (size_t)len;
	return 0;
}

PX_API int px_pool_iovecs(const struct px_pool *pool, struct iovec *iov,
			  unsigned n)
{
	uint32_t per = (uint32_t)(PX__IOV_MAX / pool->slot_size);
	uint32_t count;

	if (per == 0)
		return -E2BIG; /* one slot is more than io_uring takes */
	count = (pool->slots + per - 1) / per;
	if (!iov)
		return (int)count;
	if (n < count)
		return -ENOSPC;
	for (uint32_t i = 0; i < count; i++) {
		uint32_t first = i * per;
		uint32_t k = PX_MIN(per, pool->slots - first);

		iov[i].iov_base =
			pool->slot_base + (size_t)first * pool->slot_size;
		iov[i].iov_len = (size_t)k * pool->slot_size;
	}
	return (int)count;
}

/* io_uring skips the memlock accounting for CAP_IPC_LOCK holders. */
static bool has_ipc_lock(void)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3];

	memset(data, 0, sizeof(data));
	if (syscall(SYS_capget, &hdr, data) < 0)
		return false;
	return data[CAP_IPC_LOCK / 32].effective & (1u << (CAP_IPC_LOCK % 32));
}

/* Bytes this process has pinned already (VmPin), 0 if unknown. */
static uint64_t pinned_bytes(void)
{
	unsigned long long kb = 0;
	char line[128];
	FILE *f = fopen("/proc/self/status", "re");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "VmPin: %llu kB", &kb) == 1)
			break;
	fclose(f);
	return (uint64_t)kb << 10;
}

struct memlock_need {
	uint64_t need, limit, pinned;
	bool exempt;
};

static void memlock_need(const struct px_pool *pool, struct memlock_need *m)
{
	/* Pinning is per page of the segment: round to its page size. */
	uint64_t page = pool->seg->page_size;
	uintptr_t start = (uintptr_t)pool->slot_base & ~(uintptr_t)(page - 1);
	uint64_t end = (uint64_t)(uintptr_t)pool->slot_base +
		       (uint64_t)pool->slots * pool->slot_size;
	struct rlimit rl;

	m->need = PX_ALIGN_UP(end, page) - start;
	m->pinned = pinned_bytes();
	m->exempt = has_ipc_lock();
	m->limit = UINT64_MAX;
	if (getrlimit(RLIMIT_MEMLOCK, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
		m->limit = rl.rlim_cur;
}

PX_API int px_pool_memlock_check(const struct px_pool *pool)
{
	struct memlock_need m;

	memlock_need(pool, &m);
	if (m.exempt || m.limit == UINT64_MAX)
		return 0;
	return m.need + m.pinned > m.limit ? -ENOMEM : 0;
}

PX_API int px_pool_memlock_describe(const struct px_pool *pool, char *buf,
				    size_t len)
{
	struct memlock_need m;

	if (!pool || (!buf && len))
		return -EINVAL;
	memlock_need(pool, &m);
	if (m.exempt || m.limit == UINT64_MAX)
		return snprintf(
			buf, len,
			"pool '%s' needs %llu KiB of locked memory to "
			"register with io_uring; no limit applies (%s)",
			pool->shm->name, (unsigned long long)(m.need >> 10),
			m.exempt ? "CAP_IPC_LOCK" : "RLIMIT_MEMLOCK unlimited");
	return snprintf(
		buf, len,
		"pool '%s' needs %llu KiB of locked memory to register "
		"with io_uring; RLIMIT_MEMLOCK is %llu KiB with %llu KiB "
		"already pinned%s",
		pool->shm->name, (unsigned long long)(m.need >> 10),
		(unsigned long long)(m.limit >> 10),
		(unsigned long long)(m.pinned >> 10),
		m.need + m.pinned > m.limit
			? ": raise it (ulimit -l, systemd LimitMEMLOCK=) "
			  "or grant CAP_IPC_LOCK"
			: "");
}
