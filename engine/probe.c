// SPDX-License-Identifier: MIT
/*
 * probe.c - run-time discovery of io_uring features: setup flags are tried
 * on a throwaway ring, opcodes come from IORING_REGISTER_PROBE.
 */
#include <pthread.h>
#include <string.h>

#include "px_probe.h"
#include "px_uring_compat_int.h"

_Static_assert(IORING_OP_SENDMSG_ZC + 1 == PX_IORING_OP_READ_MULTISHOT,
	       "compat opcode numbering must follow the kernel's");

static bool feat[PX_FEAT__COUNT];
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

	if (io_uring_queue_init(4, &ring, 0) < 0)
		return; /* io_uring disabled or absent: every feature false */
	feat[PX_FEAT_IO_URING] = true;

	probe = io_uring_get_probe_ring(&ring);
	if (probe) {
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
		 * Multishot accept and buffer rings arrived in 5.19 together
		 * with IORING_OP_SOCKET; multishot recv in 6.0 with SEND_ZC.
		 */
		feat[PX_FEAT_ACCEPT_MULTISHOT] = feat[PX_FEAT_SOCKET];
		feat[PX_FEAT_BUF_RING] = feat[PX_FEAT_SOCKET];
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
