/* SPDX-License-Identifier: MIT */
/*
 * px_conn.h - the element kit's TCP connection: what tcpsrc and tcpsink are
 * built on, for elements in plugins too. Server mode listens in start() and
 * accepts the first client through the op API (later ones are closed with
 * a WARNING); client mode connects. Setup calls (name resolution, socket,
 * bind, listen) are plain syscalls made once from start(), never per
 * buffer. The connection also runs the owner's stop: it cancels its own ops
 * and the owner's data op, and finishes the stop after the last one ended.
 *
 *   start(): px_conn_start(&s->conn, e, PX_CONN_SERVER, host, port,
 *                          &s->recv_op, release_held);
 *   work():  if (px_conn_arm(&s->conn) != 1) return;  // connected yet?
 *            ... px_io_recv(r, &s->recv_op, s->conn.fd, ...) ...
 *   recv completion: if (px_conn_op_ended(&s->conn)) return;  // stopping
 *   stop():  return px_conn_stop(&s->conn);
 *
 * Stability: public API, changed only with the ABI version (px_plugin.h).
 */
#ifndef PX_CONN_H
#define PX_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "px_base.h"
#include "px_element.h"
#include "px_reactor.h"

PX_EXTERN_C_BEGIN

struct px_element;

/* Longest "[v6addr]:port" text plus NUL. */
#define PX_CONN_ADDR_MAX 64

/* Connect to host:port, or listen there and take the first client. */
enum px_conn_mode { PX_CONN_CLIENT = 0, PX_CONN_SERVER = 1 };

/* The nicks of the "mode" property: client, server. */
PX_API extern const struct px_prop_enum px_conn_mode_enums[];

/*
 * PX_CONN_PROP_SPECS - the properties every TCP element shares, for its
 * px_prop_spec table: host (string, 127.0.0.1), port (PORT_DEFAULT; a
 * server's 0 picks a free one), mode (MODE_DEFAULT, px_conn_mode_enums)
 * and the read-only bound-port. TYPE must have the fields char *host,
 * int64_t port, int mode and px_stat_i64 bound_port.
 */
#define PX_CONN_PROP_SPECS(type, port_default, mode_default)                  \
	PX_PROP_STRING_SPEC("host", type, host, "127.0.0.1",                   \
			    "address to connect to (client) or listen on "      \
			    "(server)"),                                        \
	PX_PROP_INT_SPEC("port", type, port, port_default, 0, 65535,           \
			 "TCP port (server: 0 picks a free one, see "           \
			 "bound-port)"),                                        \
	PX_PROP_ENUM_SPEC("mode", type, mode, mode_default,                    \
			  px_conn_mode_enums,                                   \
			  "connect to the peer, or listen and let it connect"), \
	PX_PROP_STAT_I64_SPEC("bound-port", PX_PROP_INT, type, bound_port,     \
			      "the port a server listens on, known from "       \
			      "PAUSED (useful with port=0)")

/*
 * px_net_resolve - HOST (a numeric IPv4/IPv6 address or a name, NULL or ""
 * meaning 127.0.0.1) and PORT into SS/LEN. Names go through getaddrinfo(),
 * which may block: call from start() only.
 * Returns 0, -EINVAL (port out of range), -EHOSTUNREACH (no address).
 */
PX_API int px_net_resolve(const char *host, int64_t port,
			  struct sockaddr_storage *ss, socklen_t *len);
/*
 * px_net_listen - a listening TCP socket bound to SS (SO_REUSEADDR), with
 * BACKLOG. *BOUND_PORT gets the port actually bound (useful with port 0).
 * Returns the fd or -errno of the failing call.
 */
PX_API int px_net_listen(const struct sockaddr_storage *ss, socklen_t len,
			 int backlog, unsigned *bound_port);
/*
 * px_net_listen_shared - px_net_listen(), and with REUSEPORT the socket
 * joins the port's SO_REUSEPORT group: several listeners (one per reactor)
 * on one port, the kernel spreading new connections over them (every one
 * must set REUSEPORT, or the second bind fails with -EADDRINUSE).
 * Returns the fd (the caller's to close) or -errno of the failing call.
 * Thread: any; a setup call, made from start().
 */
PX_API int px_net_listen_shared(const struct sockaddr_storage *ss,
				socklen_t len, int backlog, bool reuseport,
				unsigned *bound_port);
/* A TCP socket of FAMILY with CLOEXEC and TCP_NODELAY. Returns fd or -errno. */
PX_API int px_net_tcp_socket(int family);
/* Tune an accepted/connected stream socket (TCP_NODELAY, buffer sizes). */
PX_API void px_net_tune_socket(int fd);
/* True for 127.0.0.0/8, ::1 and v4-mapped loopback addresses. */
PX_API bool px_net_is_loopback(const struct sockaddr_storage *ss);
/* "127.0.0.1:5000" or "[::1]:5000" into BUF (always NUL-terminated). */
PX_API void px_net_addr_str(const struct sockaddr *sa, socklen_t len,
			    char *buf, size_t buflen);

/* One TCP connection of an element. Read FD, CONNECTED, WHERE, PEER,
 * PEER_LOOPBACK and BOUND_PORT; the rest is the connection's. */
struct px_conn {
	int fd;		/* the stream, or -1 */
	bool connected;
	unsigned bound_port;	      /* server: the port listened on */
	char where[PX_CONN_ADDR_MAX]; /* host:port as configured (bound) */
	char peer[PX_CONN_ADDR_MAX];  /* the other end, once connected */
	bool peer_loopback;	      /* ... and whether it is this host */
	/* private */
	struct px_element *e;
	struct px_reactor *r;
	enum px_conn_mode mode;
	int lfd;	/* listening socket (server) or -1 */
	bool accepting, connecting, stopping;
	bool retry;	/* connect/accept failures are the owner's to judge */
	bool takeover;	/* server: a new client replaces the current one */
	int pending_fd;	/* takeover: the new client, until px_conn_drop */
	char pending_peer[PX_CONN_ADDR_MAX];
	bool pending_loopback;
	int last_err;	/* retry: why the last connect failed, else 0 */
	struct px_op *owner_op;	/* the owner's data op (recv or send) */
	struct px_op *more_ops[3]; /* px_conn_add_op */
	unsigned n_more;
	void (*release)(struct px_conn *c);
	struct px_op accept_op, connect_op;
	struct sockaddr_storage acc_addr; /* written by each accept */
	socklen_t acc_len;
	struct sockaddr_storage addr; /* bind or connect address */
	socklen_t addrlen;
};

/*
 * px_conn_start - from E's start(): resolve HOST:PORT, then listen (server;
 * PORT 0 picks a free one, in BOUND_PORT and posted as an element message)
 * or make the socket (client). OWNER_OP is E's one data op; RELEASE frees
 * what E holds, once, when a stop has ended every op. Accept and connect
 * completions schedule E. Returns 0 or -errno, after posting the error
 * (naming host:port).
 */
PX_API int px_conn_start(struct px_conn *c, struct px_element *e,
			 enum px_conn_mode mode, const char *host,
			 int64_t port, struct px_op *owner_op,
			 void (*release)(struct px_conn *c));
/* From work(): arm the accept or the connect once. Returns 1 when
 * connected, 0 while waiting, -errno (posted) on failure. */
PX_API int px_conn_arm(struct px_conn *c);
/* E's stop(): cancel every op in flight (E's data op included). Returns 0
 * when all had ended (released and closed now), 1 when px_element_stop_done()
 * follows from the last completion: return it from stop(). */
PX_API int px_conn_stop(struct px_conn *c);
/* First thing in the completion of E's data op: true while stopping (return
 * at once: the last op to end finishes the stop), false otherwise. */
PX_API bool px_conn_op_ended(struct px_conn *c);
/*
 * px_conn_end_wait - from work(), when E was asked to end (EOS requested)
 * while no peer is connected: cancel the accept or connect in flight, so
 * that a server with no client yet, or a client still trying, ends. Returns
 * true while one is still in flight (its completion schedules E), false
 * when nothing waits any more: push EOS then.
 */
PX_API bool px_conn_end_wait(struct px_conn *c);
/* Close both sockets (after every op on them ended: start() failures). */
PX_API void px_conn_close(struct px_conn *c);

/*
 * px_conn_add_op - another op of the owner (a second direction, a timer)
 * that px_conn_stop() cancels and waits for like the data op; at most 3.
 * Call after px_conn_start(). Returns 0 or -ENOSPC.
 */
PX_API int px_conn_add_op(struct px_conn *c, struct px_op *op);
/*
 * px_conn_set_retry - with RETRY, a failed connect or accept is not an
 * ERROR: px_conn_arm() returns 0, LAST_ERR says why, and the owner decides
 * (retry after a backoff, or give up with its own sentence).
 */
PX_API void px_conn_set_retry(struct px_conn *c, bool retry);
/*
 * px_conn_set_takeover - server: a client that connects while one is
 * served is kept (PENDING_FD) instead of closed; the owner sees
 * px_conn_pending() and drops the old stream, and px_conn_drop() makes the
 * new one current. For peers that reconnect before the old connection's
 * loss is noticed here.
 */
PX_API void px_conn_set_takeover(struct px_conn *c, bool takeover);
/* Whether a new client waits to replace the current one (takeover). */
PX_API bool px_conn_pending(const struct px_conn *c);
/*
 * px_conn_drop - the stream is gone (a reset, an EOF mid-stream): close it
 * so that the next px_conn_arm() connects again (client, with a new
 * socket) or takes the next client (server). The owner's ops on the old
 * fd must have ended. Returns 0 or -errno (no socket for the client).
 */
PX_API int px_conn_drop(struct px_conn *c);

PX_EXTERN_C_END

#endif /* PX_CONN_H */
