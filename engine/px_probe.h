/* SPDX-License-Identifier: MIT */
/*
 * px_probe.h - what the running kernel's io_uring supports. The build headers
 * are older than the kernels we run on, so every optional path asks here at
 * run time instead of trusting compile-time constants.
 * Stability: public API, changed only with the ABI version (px_plugin.h).
 */
#ifndef PX_PROBE_H
#define PX_PROBE_H

#include <stdbool.h>

#include "px_base.h"

PX_EXTERN_C_BEGIN

enum px_feature {
	PX_FEAT_IO_URING,	/* io_uring_setup works at all (not disabled) */
	PX_FEAT_SINGLE_ISSUER,	/* IORING_SETUP_SINGLE_ISSUER (6.0) */
	PX_FEAT_DEFER_TASKRUN,	/* IORING_SETUP_DEFER_TASKRUN (6.1) */
	PX_FEAT_COOP_TASKRUN,	/* IORING_SETUP_COOP_TASKRUN (5.19) */
	PX_FEAT_READ_FIXED,	/* IORING_OP_READ_FIXED / WRITE_FIXED */
	PX_FEAT_SEND_ZC,	/* IORING_OP_SEND_ZC (6.0) */
	PX_FEAT_SENDMSG_ZC,	/* IORING_OP_SENDMSG_ZC (6.1) */
	PX_FEAT_MSG_RING,	/* IORING_OP_MSG_RING (5.18) */
	PX_FEAT_ACCEPT_MULTISHOT, /* multishot accept (5.19) */
	PX_FEAT_RECV_MULTISHOT,	/* multishot recv (6.0) */
	PX_FEAT_BUF_RING,	/* provided-buffer rings (5.19) */
	PX_FEAT_READ_MULTISHOT, /* IORING_OP_READ_MULTISHOT (6.7) */
	PX_FEAT_FUTEX,		/* IORING_OP_FUTEX_WAIT/WAKE (6.7) */
	PX_FEAT_BIND_LISTEN,	/* IORING_OP_BIND / LISTEN (6.11) */
	PX_FEAT_RECV_ZC,	/* IORING_OP_RECV_ZC (6.15) */
	PX_FEAT_SOCKET,		/* IORING_OP_SOCKET (5.19) */
	PX_FEAT_RECV_POLL_FIRST, /* IORING_RECVSEND_POLL_FIRST (5.19) */
	PX_FEAT__COUNT
};

/*
 * px_feature_has - whether the running kernel supports FEATURE.
 * The first call probes (creates and destroys a few small rings); later calls
 * read the cached answer. Returns false for unknown features.
 * Thread: any; the probe runs once (pthread_once).
 */
PX_API bool px_feature_has(enum px_feature feature);

/*
 * px_feature_name - short stable name of FEATURE ("send_zc"), or "unknown".
 * Thread: any.
 */
PX_API const char *px_feature_name(enum px_feature feature);

PX_EXTERN_C_END

#endif /* PX_PROBE_H */
