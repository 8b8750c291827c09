// SPDX-License-Identifier: MIT
/*
 * steer_bpf.c - SO_REUSEPORT steering by CPU for multitcpsrc. A BPF
 * program (BPF_PROG_TYPE_SK_REUSEPORT) attached to a port's reuseport group
 * hands each new connection to the listening socket registered for the CPU
 * that received it. CPU c goes to a server whose reactor is pinned to c
 * (the c % k-th of the k such servers, by reactor), so a connection's bytes
 * are received where its packets arrive; a CPU that no pinned reactor
 * covers goes to the c % n-th of all n servers: still one server per CPU,
 * decided by the CPU rather than by a hash.
 *
 * The program is twenty instructions and two maps: CPU -> slot (an ARRAY)
 * and slot -> socket (a REUSEPORT_SOCKARRAY, where a socket may hold one
 * slot only), so all are made with the bpf(2) syscall directly (libbpf
 * would add a dependency and an object file for no more than this). Loading needs
 * CAP_BPF (root, in practice); where the kernel refuses, the caller keeps
 * the kernel's hash and says so. A CPU without a socket in the map falls
 * back to the hash too (the program selects nothing and passes).
 */
#include <errno.h>
#include <linux/bpf.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "io_common_int.h"
#include "px_error.h"

#ifndef SO_ATTACH_REUSEPORT_EBPF
#define SO_ATTACH_REUSEPORT_EBPF 52
#endif

#define STEER_GROUPS 16
#define STEER_MEMBERS 64

struct steer_member {
	int lfd;
	unsigned slot; /* its key in the socket map */
	unsigned reactor;
	cpu_set_t cpus; /* its reactor's CPUs; empty: not pinned */
};

/* One port's program and map, shared by the servers listening on it. */
struct steer_group {
	unsigned port;
	int cpu_map, sock_map, prog_fd;
	unsigned refs; /* members */
	bool attached; /* to the group, through the first socket */
	struct steer_member m[STEER_MEMBERS]; /* sorted by reactor */
};

static pthread_mutex_t steer_lock = PTHREAD_MUTEX_INITIALIZER;
static struct steer_group steer_groups[STEER_GROUPS];

static long sys_bpf(int cmd, union bpf_attr *attr)
{
	return syscall(__NR_bpf, cmd, attr, sizeof(*attr));
}

static struct bpf_insn insn(uint8_t code, uint8_t dst, uint8_t src,
			    int16_t off, int32_t imm)
{
	return (struct bpf_insn){ .code = code, .dst_reg = dst, .src_reg = src,
				  .off = off, .imm = imm };
}

/*
 *   r6 = ctx
 *   *(u32 *)(r10 - 4) = bpf_get_smp_processor_id()
 *   r0 = bpf_map_lookup_elem(cpu_map, r10 - 4)      this CPU's slot
 *   if r0 == NULL goto pass
 *   *(u32 *)(r10 - 8) = *(u32 *)r0
 *   bpf_sk_select_reuseport(r6, sock_map, r10 - 8, 0)
 * pass:
 *   return SK_PASS                    selected, or the kernel's hash
 */
static int load_prog(const struct steer_group *g, char *log, size_t loglen)
{
	struct bpf_insn prog[] = {
		insn(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_6, BPF_REG_1, 0, 0),
		insn(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_get_smp_processor_id),
		insn(BPF_STX | BPF_W | BPF_MEM, BPF_REG_10, BPF_REG_0, -4, 0),
		insn(BPF_LD | BPF_DW | BPF_IMM, BPF_REG_1, BPF_PSEUDO_MAP_FD, 0,
		     g->cpu_map),
		insn(0, 0, 0, 0, 0), /* the upper half of the map fd */
		insn(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_2, BPF_REG_10, 0, 0),
		insn(BPF_ALU64 | BPF_ADD | BPF_K, BPF_REG_2, 0, 0, -4),
		insn(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_map_lookup_elem),
		insn(BPF_JMP | BPF_JEQ | BPF_K, BPF_REG_0, 0, 9, 0), /* pass */
		insn(BPF_LDX | BPF_W | BPF_MEM, BPF_REG_0, BPF_REG_0, 0, 0),
		insn(BPF_STX | BPF_W | BPF_MEM, BPF_REG_10, BPF_REG_0, -8, 0),
		insn(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_1, BPF_REG_6, 0, 0),
		insn(BPF_LD | BPF_DW | BPF_IMM, BPF_REG_2, BPF_PSEUDO_MAP_FD, 0,
		     g->sock_map),
		insn(0, 0, 0, 0, 0),
		insn(BPF_ALU64 | BPF_MOV | BPF_X, BPF_REG_3, BPF_REG_10, 0, 0),
		insn(BPF_ALU64 | BPF_ADD | BPF_K, BPF_REG_3, 0, 0, -8),
		insn(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_4, 0, 0, 0),
		insn(BPF_JMP | BPF_CALL, 0, 0, 0, BPF_FUNC_sk_select_reuseport),
		insn(BPF_ALU64 | BPF_MOV | BPF_K, BPF_REG_0, 0, 0, SK_PASS),
		insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0),
	};
	union bpf_attr a;
	int fd, err;

	memset(&a, 0, sizeof(a));
	a.prog_type = BPF_PROG_TYPE_SK_REUSEPORT;
	a.expected_attach_type = BPF_SK_REUSEPORT_SELECT;
	a.insns = (uint64_t)(uintptr_t)prog;
	a.insn_cnt = sizeof(prog) / sizeof(prog[0]);
	a.license = (uint64_t)(uintptr_t) "Dual MIT/GPL";
	log[0] = '\0';
	fd = (int)sys_bpf(BPF_PROG_LOAD, &a);
	if (fd >= 0 || errno == EPERM)
		return fd;
	/* Refused: again, with the verifier's reason in LOG. */
	err = errno;
	a.log_buf = (uint64_t)(uintptr_t)log;
	a.log_size = (uint32_t)loglen;
	a.log_level = 1;
	fd = (int)sys_bpf(BPF_PROG_LOAD, &a);
	if (fd >= 0)
		return fd;
	errno = err;
	return -1;
}

static int make_map(uint32_t type, uint32_t value_size, uint32_t entries)
{
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	a.map_type = type;
	a.key_size = sizeof(uint32_t);
	a.value_size = value_size;
	a.max_entries = entries;
	return (int)sys_bpf(BPF_MAP_CREATE, &a);
}

static int map_set(int map, uint32_t key, const void *value, uint64_t flags)
{
	union bpf_attr a;

	memset(&a, 0, sizeof(a));
	a.map_fd = (uint32_t)map;
	a.key = (uint64_t)(uintptr_t)&key;
	a.value = (uint64_t)(uintptr_t)value;
	a.flags = flags;
	return sys_bpf(BPF_MAP_UPDATE_ELEM, &a) < 0 ? -errno : 0;
}

static void close_group(struct steer_group *g)
{
	close(g->prog_fd);
	close(g->sock_map);
	close(g->cpu_map);
}

static int make_group(struct steer_group *g, unsigned port, char *why,
		      size_t len)
{
	char log[1024];
	long cpus = sysconf(_SC_NPROCESSORS_CONF);
	int err;

	g->cpu_map = make_map(BPF_MAP_TYPE_ARRAY, sizeof(uint32_t),
			      (uint32_t)(cpus > 0 ? cpus : 1));
	if (g->cpu_map < 0) {
		err = -errno;
		snprintf(why, len, "cannot make a BPF map: %s%s",
			 px_strerror(err),
			 err == -EPERM ? " (BPF needs root or CAP_BPF)" : "");
		return err;
	}
	g->sock_map = make_map(BPF_MAP_TYPE_REUSEPORT_SOCKARRAY,
			       sizeof(uint64_t), STEER_MEMBERS);
	if (g->sock_map < 0) {
		err = -errno;
		snprintf(why, len, "cannot make a REUSEPORT_SOCKARRAY: %s",
			 px_strerror(err));
		close(g->cpu_map);
		return err;
	}
	g->prog_fd = load_prog(g, log, sizeof(log));
	if (g->prog_fd < 0) {
		err = -errno;
		snprintf(why, len, "the kernel refused the steering program: "
			 "%s%s%.200s",
			 px_strerror(err), log[0] ? ": " : "", log);
		close(g->sock_map);
		close(g->cpu_map);
		return err;
	}
	g->port = port;
	g->refs = 0;
	g->attached = false;
	return 0;
}

/* List text "0-3,8" into SET. */
static void parse_cpus(const char *text, cpu_set_t *set)
{
	const char *p = text ? text : "";

	CPU_ZERO(set);
	while (*p) {
		char *end;
		unsigned long lo = strtoul(p, &end, 10), hi = lo;

		if (end == p)
			break;
		if (*end == '-')
			hi = strtoul(end + 1, &end, 10);
		for (unsigned long c = lo; c <= hi && c < CPU_SETSIZE; c++)
			CPU_SET(c, set);
		p = *end == ',' ? end + 1 : end;
	}
}

/* Every CPU's entry in the map, from the members (the rule at the top). */
static int rebuild_map(struct steer_group *g, char *why, size_t len)
{
	long cpus = sysconf(_SC_NPROCESSORS_CONF);

	for (long c = 0; c < cpus && c < CPU_SETSIZE; c++) {
		const struct steer_member *pick[STEER_MEMBERS];
		unsigned k = 0;
		uint32_t slot;
		int err;

		for (unsigned i = 0; i < g->refs; i++)
			if (CPU_ISSET((size_t)c, &g->m[i].cpus))
				pick[k++] = &g->m[i];
		slot = k ? pick[(unsigned long)c % k]->slot
			 : g->m[(unsigned long)c % g->refs].slot;
		err = map_set(g->cpu_map, (uint32_t)c, &slot, BPF_ANY);
		if (err < 0) {
			snprintf(why, len, "cannot steer CPU %ld: %s", c,
				 px_strerror(err));
			return err;
		}
	}
	return 0;
}

/* LFD into the socket map at the first free slot, and into G's members
 * (kept in reactor order). */
static int add_member(struct steer_group *g, int lfd, unsigned reactor,
		      const char *cpus, char *why, size_t len)
{
	uint64_t value = (uint64_t)lfd;
	unsigned slot = 0, i;
	int err;

	for (bool used = true; used; slot += used) {
		used = false;
		for (i = 0; i < g->refs && !used; i++)
			used = g->m[i].slot == slot;
	}
	err = map_set(g->sock_map, slot, &value, BPF_NOEXIST);
	if (err < 0) {
		snprintf(why, len, "cannot add the socket to the steering map: "
			 "%s", px_strerror(err));
		return err;
	}
	i = g->refs++;
	while (i > 0 && g->m[i - 1].reactor > reactor) {
		g->m[i] = g->m[i - 1];
		i--;
	}
	g->m[i].lfd = lfd;
	g->m[i].slot = slot;
	g->m[i].reactor = reactor;
	parse_cpus(cpus, &g->m[i].cpus);
	return 0;
}

static void drop_member(struct steer_group *g, int lfd)
{
	for (unsigned i = 0; i < g->refs; i++) {
		union bpf_attr a;
		uint32_t key = g->m[i].slot;

		if (g->m[i].lfd != lfd)
			continue;
		memset(&a, 0, sizeof(a));
		a.map_fd = (uint32_t)g->sock_map;
		a.key = (uint64_t)(uintptr_t)&key;
		(void)sys_bpf(BPF_MAP_DELETE_ELEM, &a);
		memmove(&g->m[i], &g->m[i + 1],
			(g->refs - i - 1) * sizeof(g->m[0]));
		g->refs--;
		return;
	}
}

int px__steer_join(int lfd, unsigned port, unsigned reactor,
		   const char *cpus, char *why, size_t len)
{
	struct steer_group *g = NULL, *free_g = NULL;
	int rc = 0;

	pthread_mutex_lock(&steer_lock);
	for (unsigned i = 0; i < STEER_GROUPS && !g; i++) {
		if (steer_groups[i].refs && steer_groups[i].port == port)
			g = &steer_groups[i];
		else if (!steer_groups[i].refs && !free_g)
			free_g = &steer_groups[i];
	}
	if (!g && !free_g) {
		snprintf(why, len, "more than %d steered ports in this process",
			 STEER_GROUPS);
		rc = -ENOSPC;
	} else if (!g) {
		rc = make_group(free_g, port, why, len);
		if (rc == 0)
			g = free_g;
	} else if (g->refs == STEER_MEMBERS) {
		snprintf(why, len, "more than %d servers on port %u",
			 STEER_MEMBERS, port);
		g = NULL;
		rc = -ENOSPC;
	}
	if (g && rc == 0)
		rc = add_member(g, lfd, reactor, cpus, why, len);
	if (g && rc == 0)
		rc = rebuild_map(g, why, len);
	if (g && rc == 0 && !g->attached) {
		if (setsockopt(lfd, SOL_SOCKET, SO_ATTACH_REUSEPORT_EBPF,
			       &g->prog_fd, sizeof(g->prog_fd)) < 0) {
			rc = -errno;
			snprintf(why, len, "cannot attach the steering "
				 "program: %s", px_strerror(rc));
		} else {
			g->attached = true;
		}
	}
	if (g && rc < 0) {
		char ignored[8];

		drop_member(g, lfd);
		if (g->refs)
			(void)rebuild_map(g, ignored, sizeof(ignored));
	}
	if (g && !g->refs)
		close_group(g);
	pthread_mutex_unlock(&steer_lock);
	return rc;
}

void px__steer_leave(unsigned port, int lfd)
{
	char why[8];

	pthread_mutex_lock(&steer_lock);
	for (unsigned i = 0; i < STEER_GROUPS; i++) {
		struct steer_group *g = &steer_groups[i];

		if (!g->refs || g->port != port)
			continue;
		drop_member(g, lfd);
		if (g->refs)
			(void)rebuild_map(g, why, sizeof(why));
		else
			close_group(g);
		break;
	}
	pthread_mutex_unlock(&steer_lock);
}
