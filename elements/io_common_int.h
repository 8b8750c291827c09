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

#include "px_reactor.h"

struct px_element;

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

/* True for 127.0.0.0/8, ::1 and v4-mapped loopback addresses. */
bool px__io_is_loopback(const struct sockaddr_storage *ss);

/* "127.0.0.1:5000" or "[::1]:5000" into BUF (always NUL-terminated). */
void px__io_addr_str(const struct sockaddr *sa, socklen_t len, char *buf,
		     size_t buflen);

/*
 * One TCP connection of tcpsrc/tcpsink: server mode listens in start() and
 * accepts (multishot when ACCEPT_MANY: later connections are closed with a
 * warning), client mode connects. Setup calls (socket, bind, listen, name
 * resolution) are plain blocking syscalls made once in start(); accept and
 * connect go through the op API.
 */
struct px__io_conn {
	struct px_element *e;
	struct px_reactor *r;
	int mode;	/* enum px_io_tcp_mode */
	int lfd;	/* listening socket (server) or -1 */
	int fd;		/* the stream, or -1 */
	unsigned bound_port;
	bool accepting, connecting, connected;
	/* The owner's stop, run here (px__io_conn_stop): its one data op (a
	 * recv or send) and the flag it keeps while that op is in flight, and
	 * what it releases once every op has ended. */
	bool stopping;
	struct px_op *owner_op;
	const bool *owner_busy;
	void (*release)(struct px__io_conn *c);
	struct px_op accept_op, connect_op;
	struct sockaddr_storage acc_addr; /* written by each accept */
	socklen_t acc_len;
	struct sockaddr_storage addr; /* bind or connect address */
	socklen_t addrlen;
	char where[PX_IO_ADDR_STR]; /* host:port as configured */
	char peer[PX_IO_ADDR_STR];  /* the other end, once connected */
	bool peer_loopback;	    /* ... and whether it is this host */
};

/* From start(): resolve, then listen (server) or make the socket (client).
 * OWNER_OP / OWNER_BUSY: the owner's data op and its in-flight flag;
 * RELEASE: frees what the owner holds, once at the end of a stop. Accept
 * and connect completions schedule the element. Posts the error (naming
 * host:port) itself. Returns 0 or -errno. */
int px__io_conn_start(struct px__io_conn *c, struct px_element *e, int mode,
		      const char *host, int64_t port, struct px_op *owner_op,
		      const bool *owner_busy,
		      void (*release)(struct px__io_conn *c));
/* From work(): arm the accept or the connect once. Returns 1 when
 * connected, 0 while waiting, -errno (posted) on failure. */
int px__io_conn_arm(struct px__io_conn *c);
/* The element's stop(): cancel every op in flight. Returns 0 when all had
 * ended (released and closed now), 1 when px_element_stop_done() follows
 * from the last completion. */
int px__io_conn_stop(struct px__io_conn *c);
/* From the owner's op completion, after clearing its busy flag: true while
 * stopping (the caller returns at once; the last op to end finishes the
 * stop), false otherwise. */
bool px__io_conn_op_ended(struct px__io_conn *c);
/* Close both sockets (after every op on them ended). */
void px__io_conn_close(struct px__io_conn *c);

#endif /* PX_IO_COMMON_INT_H */
