/* SPDX-License-Identifier: MIT */
/*
 * io_common_int.h - helpers shared by the file and socket elements: address
 * parsing and TCP socket setup, peer names for messages. Internal.
 */
#ifndef PX_IO_COMMON_INT_H
#define PX_IO_COMMON_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

struct px_element_class;

/* The classes of the I/O elements (for builtin.c). */
extern const struct px_element_class px__filesrc_class;
extern const struct px_element_class px__filesink_class;
extern const struct px_element_class px__tcpsrc_class;
extern const struct px_element_class px__tcpsink_class;
extern const struct px_element_class px__appsink_class;

/* Longest "[v6addr]:port" text plus NUL. */
#define PX_IO_ADDR_STR 64

/* The two modes of tcpsrc/tcpsink, as their "mode" property values. */
enum px_io_tcp_mode { PX_IO_TCP_CLIENT = 0, PX_IO_TCP_SERVER = 1 };

/*
 * px__io_resolve - HOST (a numeric IPv4/IPv6 address or a name, NULL or ""
 * meaning 127.0.0.1) and PORT into SS/LEN. Names go through getaddrinfo(),
 * which may block: call from start() only.
 * Returns 0, -EINVAL (port out of range), -EHOSTUNREACH (no address).
 */
int px__io_resolve(const char *host, int64_t port, struct sockaddr_storage *ss,
		   socklen_t *len);

/*
 * px__io_listen - a non-blocking-safe listening TCP socket bound to SS
 * (SO_REUSEADDR), with BACKLOG. *BOUND_PORT gets the port actually bound
 * (useful with port 0). Returns the fd or -errno of the failing call.
 */
int px__io_listen(const struct sockaddr_storage *ss, socklen_t len,
		  int backlog, unsigned *bound_port);

/* A TCP socket of FAMILY with CLOEXEC and TCP_NODELAY. Returns fd or -errno. */
int px__io_tcp_socket(int family);

/* Tune an accepted/connected stream socket (TCP_NODELAY, buffer sizes). */
void px__io_tune_socket(int fd);

/* "127.0.0.1:5000" or "[::1]:5000" into BUF (always NUL-terminated). */
void px__io_addr_str(const struct sockaddr *sa, socklen_t len, char *buf,
		     size_t buflen);

#endif /* PX_IO_COMMON_INT_H */
