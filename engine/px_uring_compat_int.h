/* SPDX-License-Identifier: MIT */
/*
 * px_uring_compat_int.h - io_uring opcodes and flags newer than the headers
 * we build against (Debian 12: kernel headers 6.1, liburing 2.3). Values are
 * the kernel ABI (include/uapi/linux/io_uring.h); whether the running kernel
 * knows them is a run-time question for px_probe.h. Internal; never installed.
 */
#ifndef PX_URING_COMPAT_INT_H
#define PX_URING_COMPAT_INT_H

#include <liburing.h>

/* Opcodes after IORING_OP_SENDMSG_ZC (= 48, kernel 6.1). */
#define PX_IORING_OP_READ_MULTISHOT 49 /* 6.7 */
#define PX_IORING_OP_WAITID 50 /* 6.7 */
#define PX_IORING_OP_FUTEX_WAIT 51 /* 6.7 */
#define PX_IORING_OP_FUTEX_WAKE 52 /* 6.7 */
#define PX_IORING_OP_FUTEX_WAITV 53 /* 6.7 */
#define PX_IORING_OP_FIXED_FD_INSTALL 54 /* 6.8 */
#define PX_IORING_OP_FTRUNCATE 55 /* 6.9 */
#define PX_IORING_OP_BIND 56 /* 6.11 */
#define PX_IORING_OP_LISTEN 57 /* 6.11 */
#define PX_IORING_OP_RECV_ZC 58 /* 6.15 */

/* Setup flags. */
#ifndef IORING_SETUP_NO_MMAP
#define IORING_SETUP_NO_MMAP (1U << 14) /* 6.5 */
#endif
#ifndef IORING_SETUP_REGISTERED_FD_ONLY
#define IORING_SETUP_REGISTERED_FD_ONLY (1U << 15) /* 6.5 */
#endif
#ifndef IORING_SETUP_NO_SQARRAY
#define IORING_SETUP_NO_SQARRAY (1U << 16) /* 6.6 */
#endif

/* Send/recv flags (sqe->ioprio for send/recv). */
#ifndef IORING_RECVSEND_FIXED_BUF
#define IORING_RECVSEND_FIXED_BUF (1U << 2)
#endif
#ifndef IORING_SEND_ZC_REPORT_USAGE
#define IORING_SEND_ZC_REPORT_USAGE (1U << 3) /* 6.2 */
#endif
#ifndef IORING_RECVSEND_BUNDLE
#define IORING_RECVSEND_BUNDLE (1U << 4) /* 6.10 */
#endif
#ifndef IORING_NOTIF_USAGE_ZC_COPIED
#define IORING_NOTIF_USAGE_ZC_COPIED (1U << 31)
#endif

/* MSG_RING flags (sqe->msg_ring_flags). */
#ifndef IORING_MSG_RING_FLAGS_PASS
#define IORING_MSG_RING_FLAGS_PASS (1U << 1) /* 6.3 */
#endif

/* Feature bits reported in io_uring_params.features. */
#ifndef IORING_FEAT_LINKED_FILE
#define IORING_FEAT_LINKED_FILE (1U << 12)
#endif
#ifndef IORING_FEAT_REG_REG_RING
#define IORING_FEAT_REG_REG_RING (1U << 13) /* 6.3 */
#endif
#ifndef IORING_FEAT_RECVSEND_BUNDLE
#define IORING_FEAT_RECVSEND_BUNDLE (1U << 14) /* 6.10 */
#endif

/* Register opcodes. */
#define PX_IORING_REGISTER_PBUF_STATUS 26 /* 6.8 */
#define PX_IORING_REGISTER_NAPI 27 /* 6.9 */

#endif /* PX_URING_COMPAT_INT_H */
