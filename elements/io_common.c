// SPDX-License-Identifier: MIT
/* io_common.c - socket setup and address text for the TCP elements. Setup
 * calls here are plain syscalls made once from start(), never per buffer. */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "io_common_int.h"

int px__io_resolve(const char *host, int64_t port, struct sockaddr_storage *ss,
		   socklen_t *len)
{
	struct sockaddr_in *in4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_NUMERICSERV };
	struct addrinfo *res = NULL;
	char portstr[16];

	if (port < 0 || port > 65535)
		return -EINVAL;
	if (!host || !*host)
		host = "127.0.0.1";
	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, host, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		in4->sin_port = htons((uint16_t)port);
		*len = sizeof(*in4);
		return 0;
	}
	if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)port);
		*len = sizeof(*in6);
		return 0;
	}
	snprintf(portstr, sizeof(portstr), "%u", (unsigned)port);
	if (getaddrinfo(host, portstr, &hints, &res) != 0 || !res)
		return -EHOSTUNREACH;
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*len = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

int px__io_tcp_socket(int family)
{
	int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC, IPPROTO_TCP);

	if (fd < 0)
		return -errno;
	px__io_tune_socket(fd);
	return fd;
}

void px__io_tune_socket(int fd)
{
	int one = 1;

	/* Buffers are already large: Nagle would only add latency. Failure
	 * to set it is harmless, so the result is ignored. */
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

int px__io_listen(const struct sockaddr_storage *ss, socklen_t len,
		  int backlog, unsigned *bound_port)
{
	struct sockaddr_storage got;
	socklen_t glen = sizeof(got);
	int one = 1, fd, err;

	fd = socket(ss->ss_family, SOCK_STREAM | SOCK_CLOEXEC, IPPROTO_TCP);
	if (fd < 0)
		return -errno;
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0)
		goto err_close;
	if (bind(fd, (const struct sockaddr *)ss, len) < 0)
		goto err_close;
	if (listen(fd, backlog) < 0)
		goto err_close;
	if (getsockname(fd, (struct sockaddr *)&got, &glen) < 0)
		goto err_close;
	if (got.ss_family == AF_INET6)
		*bound_port = ntohs(((struct sockaddr_in6 *)&got)->sin6_port);
	else
		*bound_port = ntohs(((struct sockaddr_in *)&got)->sin_port);
	return fd;

err_close:
	err = -errno;
	close(fd);
	return err;
}

void px__io_addr_str(const struct sockaddr *sa, socklen_t len, char *buf,
		     size_t buflen)
{
	char host[INET6_ADDRSTRLEN] = "?";

	if (sa->sa_family == AF_INET && len >= sizeof(struct sockaddr_in)) {
		const struct sockaddr_in *in4 = (const void *)sa;

		inet_ntop(AF_INET, &in4->sin_addr, host, sizeof(host));
		snprintf(buf, buflen, "%s:%u", host, ntohs(in4->sin_port));
	} else if (sa->sa_family == AF_INET6 &&
		   len >= sizeof(struct sockaddr_in6)) {
		const struct sockaddr_in6 *in6 = (const void *)sa;

		inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
		snprintf(buf, buflen, "[%s]:%u", host, ntohs(in6->sin6_port));
	} else {
		snprintf(buf, buflen, "(unknown address)");
	}
}
