// SPDX-License-Identifier: MIT
/*
 * ipc_proto.c - the channel's plumbing: socket addresses, the control
 * socket's message buffers, hang-ups, the peer's pidfd, and SCM_RIGHTS
 * bookkeeping (the checks of what arrives are in ipc_wire.c).
 */
#include <errno.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <unistd.h>

#include "ipc_int.h"

int px__ipc_addr(const char *channel, const char *path,
		 struct sockaddr_storage *ss)
{
	struct sockaddr_un *un = (struct sockaddr_un *)ss;
	size_t max = sizeof(un->sun_path);
	int n;

	memset(ss, 0, sizeof(*ss));
	un->sun_family = AF_UNIX;
	if (path && *path) {
		if (strlen(path) >= max)
			return -ENAMETOOLONG;
		memcpy(un->sun_path, path, strlen(path));
		return (int)(offsetof(struct sockaddr_un, sun_path) +
			     strlen(path) + 1);
	}
	if (!channel || !*channel)
		return -EINVAL;
	/* Abstract: a leading NUL, nothing in the file system, gone with the
	 * last fd (so a kill -9 leaves nothing behind). */
	n = snprintf(un->sun_path + 1, max - 1, "parallax/ipc/%s", channel);
	if (n < 0 || (size_t)n >= max - 1 ||
	    strlen(channel) >= PX__IPC_CHANNEL_MAX)
		return -ENAMETOOLONG;
	return (int)(offsetof(struct sockaddr_un, sun_path) + 1 + (size_t)n);
}

void px__ipc_ctl_rx_prep(struct px__ipc_ctl *c)
{
	memset(&c->rx_msg, 0, sizeof(c->rx_msg));
	c->rx_iov.iov_base = c->rx_buf;
	c->rx_iov.iov_len = sizeof(c->rx_buf);
	c->rx_msg.msg_iov = &c->rx_iov;
	c->rx_msg.msg_iovlen = 1;
	c->rx_msg.msg_control = c->rx_cmsg.buf;
	c->rx_msg.msg_controllen = sizeof(c->rx_cmsg.buf);
}

void px__ipc_ctl_tx_prep(struct px__ipc_ctl *c, const void *msg, size_t len,
			 const int *fds, unsigned nfds)
{
	memcpy(c->tx_buf, msg, len);
	memset(&c->tx_msg, 0, sizeof(c->tx_msg));
	c->tx_iov.iov_base = c->tx_buf;
	c->tx_iov.iov_len = len;
	c->tx_msg.msg_iov = &c->tx_iov;
	c->tx_msg.msg_iovlen = 1;
	if (nfds) {
		struct cmsghdr *cm;

		c->tx_msg.msg_control = c->tx_cmsg.buf;
		c->tx_msg.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		cm = CMSG_FIRSTHDR(&c->tx_msg);
		cm->cmsg_level = SOL_SOCKET;
		cm->cmsg_type = SCM_RIGHTS;
		cm->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(cm), fds, sizeof(int) * nfds);
	}
}

void px__ipc_hang_up(int *fd)
{
	if (*fd < 0)
		return;
	shutdown(*fd, SHUT_RDWR);
	close(*fd);
	*fd = -1;
}

void px__ipc_cancel_ops(struct px_reactor *r, struct px_op *const *ops,
			unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (px_op_busy(ops[i]))
			(void)px_io_cancel(r, ops[i]);
}

int px__ipc_watch_pid(struct px_reactor *r, struct px_op *op, pid_t pid,
		      int *pidfd, px_op_fn cb)
{
#ifdef SYS_pidfd_open
	int fd, err;

	if (pid <= 0)
		return -ESRCH;
	fd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (fd < 0)
		return -errno;
	err = px_io_poll(r, op, fd, POLLIN, cb);
	if (err < 0) {
		close(fd);
		return err;
	}
	*pidfd = fd;
	return 0;
#else
	(void)r;
	(void)op;
	(void)pid;
	(void)pidfd;
	(void)cb;
	return -ENOSYS;
#endif
}

void px__ipc_close_fds(const int *fds, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
}

void px__ipc_close_fd(int *fd)
{
	if (*fd >= 0)
		close(*fd);
	*fd = -1;
}

unsigned px__ipc_take_fds(struct msghdr *msg, int *fds, unsigned max)
{
	unsigned got = 0;

	for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c;
	     c = CMSG_NXTHDR(msg, c)) {
		size_t n;

		if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
			continue;
		n = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (size_t i = 0; i < n; i++) {
			int fd;

			memcpy(&fd, CMSG_DATA(c) + i * sizeof(int), sizeof(fd));
			if (got < max)
				fds[got++] = fd;
			else
				close(fd); /* more than the message may carry */
		}
	}
	return got;
}
