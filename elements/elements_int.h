/* SPDX-License-Identifier: MIT */
/*
 * elements_int.h - what the built-in elements share beyond the public kit
 * (px_element.h): their class tables (for builtin.c), a small PRNG and the
 * in-order stdout writer used by consolesink and fakesink's dump. Internal:
 * never installed.
 */
#ifndef PX_ELEMENTS_INT_H
#define PX_ELEMENTS_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "px_element.h"
#include "px_reactor.h"

extern const struct px_element_class px__fakesrc_class;
extern const struct px_element_class px__fakesink_class;
extern const struct px_element_class px__identity_class;
extern const struct px_element_class px__tee_class;
extern const struct px_element_class px__recordsrc_class;
extern const struct px_element_class px__recordmap_class;
extern const struct px_element_class px__recordsink_class;
extern const struct px_element_class px__queue_class;
extern const struct px_element_class px__capsfilter_class;
extern const struct px_element_class px__funnel_class;
extern const struct px_element_class px__consolesink_class;

/* xorshift64*: a fast PRNG for fill patterns and drop decisions. */
PX_INLINE uint64_t px__rand_next(uint64_t *state)
{
	uint64_t x = *state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return x * 0x2545F4914F6CDD1Dull;
}

/* A seed that differs between elements and runs (never 0). */
uint64_t px__rand_seed(const void *salt);

/* GStreamer's basesink "sync" and "async" for a sink's property table:
 * struct T has bool fields sync and async; its prop_changed calls
 * px__sink_clock_props(). */
#define PX__SINK_CLOCK_SPECS(T)                                              \
	PX_PROP_BOOL_SPEC("sync", T, sync, false,                            \
			  "false only: buffers are consumed as they arrive "   \
			  "(there is no pipeline clock; true is refused)"),    \
	PX_PROP_BOOL_SPEC("async", T, async, false,                          \
			  "false only: the sink does not preroll (true is "    \
			  "refused)")

/* For a sink's prop_changed: GStreamer's basesink "sync" and "async" are
 * accepted as false and refused as true with a sentence (there is no
 * pipeline clock, and no preroll), ending with HINT when not NULL. SYNC and
 * ASYNC are the values now set. Returns 0 or -ENOTSUP. */
int px__sink_clock_props(struct px_element *e, const struct px_prop_spec *spec,
			 bool sync, bool async, const char *hint);

/* The sysfs numa_node of the disk holding PATH (read under $PX_SYSFS_ROOT,
 * default /sys), or -1: unknown, no file yet, or a device without one. */
int px__path_numa_node(const char *path);
/* The sysfs numa_node of the network interface that HOST (a numeric
 * address: one of this host's, or a peer's, through the interface its
 * route leaves by) is on, or -1: a name, no device, no file. */
int px__host_numa_node(const char *host);
/* The prop_changed of a network source (a string property "host"): a new
 * host places it on its NIC's node (px__host_numa_node; numa-node=
 * overrides). Returns 0. */
int px__net_source_prop_changed(struct px_element *e,
				const struct px_prop_spec *spec);

/* A new px_item.stream number for a client's stream (multitcpsrc,
 * netsrc): unique in the process, so the clients of several servers
 * funnelled into one pipeline stay apart. Never 0. Any thread. */
uint32_t px__next_stream(void);

/*
 * zerocopy= of the TCP sinks (tcpsink, netsink). auto: SEND_ZC for buffers
 * of at least zc-threshold bytes, and only through a NIC. Why:
 * - SEND_ZC pays a notification per send and pins the slots until it
 *   comes; below a few tens of KiB that costs more than the copy it saves,
 *   and one SEND_ZC in flight at a time loses to one gathered sendmsg of
 *   up to 16 buffers at every size up to 64 KiB.
 * - Without a NIC (loopback, a veth pair, a bridge: containers) it gains
 *   nothing at any size: the receiving side copies the zerocopy fragments
 *   of a delivery on this host anyway, and each slot still waits for its
 *   notification. Measured on a veth pair between two namespaces: 64 KiB
 *   frames 1.4 GB/s with SENDMSG_ZC against 2.2-3.2 copied, 1 MiB level.
 * Hence: copy unless the connection leaves through a NIC
 * (px__conn_on_nic); there SEND_ZC from 64 KiB, where the copy starts to
 * cost more than the notification. zerocopy=on forces it. Re-measure with
 * `px-bench tcp` and a raw SEND/SEND_ZC loop on the target machine before
 * moving the threshold: it depends on the NIC and the CPU.
 */
enum px__zc { PX__ZC_AUTO = 0, PX__ZC_ON = 1, PX__ZC_OFF = 2 };
/*
 * A gathered sendmsg (tcpsink, netsink) stops adding buffers once it holds
 * this many bytes. Gathering pays for small buffers (16 x 4 KiB per call
 * instead of 16 calls), but one call of many large ones lets the socket
 * drain while the whole batch waits: over loopback 16 x 1 MiB per sendmsg
 * moved 4.2 GB/s where 1 x 1 MiB moved 5.3, and 256 KiB buffers two per
 * call 7.0 against 5.4 sixteen per call (64 KiB: 5.7 eight per call, 5.6
 * sixteen). Re-measure with `px-bench tcp` and `net` before moving it.
 */
#define PX__SEND_GATHER_BYTES (512u << 10)
#define PX__ZC_AUTO_MIN (64u << 10)
extern const struct px_prop_enum px__zc_enums[];
/* From start(): *ZC_OK, whether SEND_ZC (GATHERED: SENDMSG_ZC) can be
 * used; 0, or -EOPNOTSUPP after an ERROR when MODE is on and it cannot. */
int px__zc_start(struct px_element *e, int mode, bool gathered, bool *zc_ok);
/* Whether LEN bytes (a buffer's) go with SEND_ZC on a connection that
 * leaves through a NIC or not (px__conn_on_nic). */
bool px__zc_use(int mode, bool zc_ok, bool nic, uint64_t len,
		uint64_t threshold);
/* Whether connected socket FD leaves this host through a network device
 * (/sys/class/net/IF/device exists, under $PX_SYSFS_ROOT, default /sys),
 * not loopback, a veth pair or a bridge. A few syscalls: once per
 * connection. */
bool px__conn_on_nic(int fd);

/*
 * px__server_listen - the listening socket of a server for many clients
 * (multitcpsrc, netsrc): HOST and PORT resolved and listened on (with
 * REUSE_PORT in the port's SO_REUSEPORT group; HAS_REUSE: the element has
 * a reuse-port property, which an EADDRINUSE's hint names), WHERE (LEN
 * bytes) the address with the port bound, *BOUND the port, and "listening
 * on WHERE" posted. Returns the socket, or -errno after an ERROR naming
 * the address.
 */
int px__server_listen(struct px_element *e, const char *host, int64_t port,
		      bool reuse_port, bool has_reuse, char *where, size_t len,
		      unsigned *bound);

/*
 * px__server_accepted - the first step of the accept completion of a
 * server for many clients (multitcpsrc, netsrc), with the accept's RES:
 * true when RES is a new connection to serve. Otherwise RES is dealt with:
 * a connection is closed when the server is ENDING, or when CONNECTED
 * clients are MAX already (counted in REFUSED; the first one a WARNING
 * about the WHO, "clients"); a failure other than a cancel (EMFILE,
 * ENFILE, ENOBUFS) is a WARNING naming WHERE and sets *FAILED: accept
 * again only once a client left, or it fails at once again.
 */
bool px__server_accepted(struct px_element *e, int res, bool ending,
			 int64_t connected, int64_t max, px_stat_u64 *refused,
			 const char *who, const char *where, bool *failed);

/* silent=false: post one line for buffer B arriving at E, or leaving it
 * when SRC (a source), as GStreamer's last-message ("chain (e:sink) (4096
 * bytes, pts: none, ...)", "get (e:src) (...)"). */
void px__post_chain(struct px_element *e, bool src, const struct px_buf *b);

/*
 * An in-order writer of buffers to a file descriptor (stdout) through the
 * reactor's op API, one write in flight: text mode writes the buffer bytes
 * themselves, hex mode writes a `hexdump -C` rendering chunk by chunk. The
 * buffer is released once it is fully written.
 */
enum px__cwriter_mode {
	PX__CWRITER_TEXT = 0,
	PX__CWRITER_HEX = 1,
};

struct px__cwriter {
	struct px_op op;
	struct px_element *e;
	int fd;
	enum px__cwriter_mode mode;
	bool busy;	   /* an item is being written */
	bool in_flight;	   /* a write op is submitted */
	bool stopping;	   /* stop() waits for the op to complete */
	struct px_buf buf; /* the buffer being written (owned) */
	uint32_t done;	   /* bytes of buf consumed */
	uint64_t hex_base; /* offset shown in the hexdump's first column */
	char *text;	   /* hex rendering of the current chunk */
	uint32_t text_len, text_off;
	uint32_t text_cap;
};

/* Prepare W for E writing to FD in MODE; allocates the hex text buffer.
 * Returns 0 or -ENOMEM. From start(). */
int px__cwriter_start(struct px__cwriter *w, struct px_element *e, int fd,
		      enum px__cwriter_mode mode);
/* True while a buffer is being written: feed nothing until it is false
 * (the element is scheduled when it becomes false). */
PX_INLINE bool px__cwriter_busy(const struct px__cwriter *w)
{
	return w->busy;
}
/* Write BUF (transfer full). Returns 0 or a negative errno (posted). */
int px__cwriter_feed(struct px__cwriter *w, const struct px_buf *buf);
/* From stop(): release what is held; PX_STOP_WHEN_IDLE when its write is
 * still in flight (a counted op: the engine ends the stop after it), else 0.
 * stop() may return PX_STOP_WHEN_IDLE either way. */
int px__cwriter_stop(struct px__cwriter *w);
/* Free the text buffer (after stop). */
void px__cwriter_fini(struct px__cwriter *w);

#endif /* PX_ELEMENTS_INT_H */
