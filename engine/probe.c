// SPDX-License-Identifier: MIT
/*
 * probe.c - run-time discovery of io_uring features: setup flags are tried
 * on a throwaway ring, opcodes come from IORING_REGISTER_PROBE.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "px_probe.h"
#include "px_uring_compat_int.h"
#include "reactor_int.h"

_Static_assert(IORING_OP_SENDMSG_ZC + 1 == PX_IORING_OP_READ_MULTISHOT,
	       "compat opcode numbering must follow the kernel's");

static bool feat[PX_FEAT__COUNT];
static int setup_err;		/* -errno of the first io_uring_setup */
static int missing_op = -1;	/* a needed opcode the kernel lacks */

/* The opcodes the io_uring backend submits (reactor_uring.c). */
static const struct {
	int op;
	const char *name;
} needed_ops[] = {
	{ IORING_OP_NOP, "NOP" },
	{ IORING_OP_READ, "READ" },
	{ IORING_OP_WRITE, "WRITE" },
	{ IORING_OP_READ_FIXED, "READ_FIXED" },
	{ IORING_OP_WRITE_FIXED, "WRITE_FIXED" },
	{ IORING_OP_SEND, "SEND" },
	{ IORING_OP_RECV, "RECV" },
	{ IORING_OP_SENDMSG, "SENDMSG" },
	{ IORING_OP_RECVMSG, "RECVMSG" },
	{ IORING_OP_ACCEPT, "ACCEPT" },
	{ IORING_OP_CONNECT, "CONNECT" },
	{ IORING_OP_TIMEOUT, "TIMEOUT" },
	{ IORING_OP_FSYNC, "FSYNC" },
	{ IORING_OP_POLL_ADD, "POLL_ADD" },
	{ IORING_OP_ASYNC_CANCEL, "ASYNC_CANCEL" },
};
static pthread_once_t probe_once = PTHREAD_ONCE_INIT;

static const char *const feat_names[PX_FEAT__COUNT] = {
	[PX_FEAT_IO_URING] = "io_uring",
	[PX_FEAT_SINGLE_ISSUER] = "single_issuer",
	[PX_FEAT_DEFER_TASKRUN] = "defer_taskrun",
	[PX_FEAT_COOP_TASKRUN] = "coop_taskrun",
	[PX_FEAT_READ_FIXED] = "read_fixed",
	[PX_FEAT_SEND_ZC] = "send_zc",
	[PX_FEAT_SENDMSG_ZC] = "sendmsg_zc",
	[PX_FEAT_MSG_RING] = "msg_ring",
	[PX_FEAT_ACCEPT_MULTISHOT] = "accept_multishot",
	[PX_FEAT_RECV_MULTISHOT] = "recv_multishot",
	[PX_FEAT_BUF_RING] = "buf_ring",
	[PX_FEAT_READ_MULTISHOT] = "read_multishot",
	[PX_FEAT_FUTEX] = "futex",
	[PX_FEAT_BIND_LISTEN] = "bind_listen",
	[PX_FEAT_RECV_ZC] = "recv_zc",
	[PX_FEAT_SOCKET] = "socket",
	[PX_FEAT_RECV_POLL_FIRST] = "recv_poll_first",
};

/* True when a 4-entry ring can be set up with FLAGS. */
static bool setup_ok(unsigned flags)
{
	struct io_uring ring;
	struct io_uring_params p;

	memset(&p, 0, sizeof(p));
	p.flags = flags;
	if (io_uring_queue_init_params(4, &ring, &p) < 0)
		return false;
	io_uring_queue_exit(&ring);
	return true;
}

static void probe_run(void)
{
	struct io_uring ring;
	struct io_uring_probe *probe;

	setup_err = io_uring_queue_init(4, &ring, 0);
	if (setup_err < 0)
		return; /* io_uring disabled or absent: every feature false */
	feat[PX_FEAT_IO_URING] = true;

	probe = io_uring_get_probe_ring(&ring);
	if (probe) {
		for (size_t i = 0; i < PX_ARRAY_SIZE(needed_ops); i++) {
			if (!io_uring_opcode_supported(probe, needed_ops[i].op)) {
				missing_op = (int)i;
				break;
			}
		}
		feat[PX_FEAT_READ_FIXED] =
			io_uring_opcode_supported(probe, IORING_OP_READ_FIXED);
		feat[PX_FEAT_SEND_ZC] =
			io_uring_opcode_supported(probe, IORING_OP_SEND_ZC);
		feat[PX_FEAT_SENDMSG_ZC] =
			io_uring_opcode_supported(probe, IORING_OP_SENDMSG_ZC);
		feat[PX_FEAT_MSG_RING] =
			io_uring_opcode_supported(probe, IORING_OP_MSG_RING);
		feat[PX_FEAT_SOCKET] =
			io_uring_opcode_supported(probe, IORING_OP_SOCKET);
		feat[PX_FEAT_READ_MULTISHOT] = io_uring_opcode_supported(
			probe, PX_IORING_OP_READ_MULTISHOT);
		feat[PX_FEAT_FUTEX] = io_uring_opcode_supported(
			probe, PX_IORING_OP_FUTEX_WAIT);
		feat[PX_FEAT_BIND_LISTEN] =
			io_uring_opcode_supported(probe, PX_IORING_OP_LISTEN);
		feat[PX_FEAT_RECV_ZC] =
			io_uring_opcode_supported(probe, PX_IORING_OP_RECV_ZC);
		/*
		 * Multishot accept, buffer rings and the poll-first flag of
		 * send/recv arrived in 5.19 together with IORING_OP_SOCKET;
		 * multishot recv in 6.0 with SEND_ZC.
		 */
		feat[PX_FEAT_ACCEPT_MULTISHOT] = feat[PX_FEAT_SOCKET];
		feat[PX_FEAT_BUF_RING] = feat[PX_FEAT_SOCKET];
		feat[PX_FEAT_RECV_POLL_FIRST] = feat[PX_FEAT_SOCKET];
		feat[PX_FEAT_RECV_MULTISHOT] = feat[PX_FEAT_SEND_ZC];
		io_uring_free_probe(probe);
	}
	io_uring_queue_exit(&ring);

	feat[PX_FEAT_COOP_TASKRUN] = setup_ok(IORING_SETUP_COOP_TASKRUN);
	feat[PX_FEAT_SINGLE_ISSUER] = setup_ok(IORING_SETUP_SINGLE_ISSUER);
	feat[PX_FEAT_DEFER_TASKRUN] = setup_ok(IORING_SETUP_SINGLE_ISSUER |
					       IORING_SETUP_DEFER_TASKRUN);
}

PX_API bool px_feature_has(enum px_feature feature)
{
	if ((unsigned)feature >= PX_FEAT__COUNT)
		return false;
	pthread_once(&probe_once, probe_run);
	return feat[feature];
}

PX_API const char *px_feature_name(enum px_feature feature)
{
	if ((unsigned)feature >= PX_FEAT__COUNT)
		return "unknown";
	return feat_names[feature];
}

/* The sysctl that switches io_uring off (6.6+): 0 on, 1 root/group, 2 off. */
static int disabled_sysctl(void)
{
	FILE *f = fopen("/proc/sys/kernel/io_uring_disabled", "re");
	int v = 0;

	if (!f)
		return 0;
	if (fscanf(f, "%d", &v) != 1)
		v = 0;
	fclose(f);
	return v;
}

const char *px__probe_uring_unusable(void)
{
	static char why[160];

	pthread_once(&probe_once, probe_run);
	if (setup_err == -ENOSYS)
		return "io_uring_setup failed with ENOSYS (a kernel built "
		       "without io_uring, or a seccomp filter)";
	if (setup_err == -EPERM) {
		switch (disabled_sysctl()) {
		case 2:
			return "kernel.io_uring_disabled is 2";
		case 1:
			return "kernel.io_uring_disabled is 1 and this process "
			       "is not in kernel.io_uring_group";
		default:
			return "io_uring_setup failed with EPERM (a seccomp "
			       "filter, as Docker's default profile)";
		}
	}
	if (setup_err < 0) {
		snprintf(why, sizeof(why), "io_uring_setup failed: %s",
			 strerror(-setup_err));
		return why;
	}
	if (missing_op >= 0) {
		snprintf(why, sizeof(why),
			 "the kernel's io_uring lacks IORING_OP_%s",
			 needed_ops[missing_op].name);
		return why;
	}
	return NULL;
}
