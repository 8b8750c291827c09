// SPDX-License-Identifier: MIT
/*
 * elem_util.c - helpers shared by the built-in elements: PRNG seeds, the
 * GStreamer sink properties that need a clock, the per-buffer line of
 * silent=false, the NUMA node of a file's disk. (The
 * kit every element may use - CRC32C, burst release, forwarding - is public:
 * engine/crc32c.c, engine/element_kit.c.)
 */
#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <inttypes.h>
#include <net/if.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "elements_int.h"
#include "px_conn.h"
#include "px_error.h"
#include "px_pipeline.h"
#include "px_probe.h"

uint64_t px__rand_seed(const void *salt)
{
	struct timespec ts;
	uint64_t s;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	s = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 32) ^
	    (uint64_t)(uintptr_t)salt;
	/* One splitmix64 round so that close seeds diverge at once. */
	s += 0x9E3779B97F4A7C15ull;
	s = (s ^ (s >> 30)) * 0xBF58476D1CE4E5B9ull;
	s = (s ^ (s >> 27)) * 0x94D049BB133111EBull;
	s ^= s >> 31;
	return s ? s : 1;
}

int px__sink_clock_props(struct px_element *e, const struct px_prop_spec *spec,
			 bool sync, bool async, const char *hint)
{
	if (!strcmp(spec->name, "sync") && sync)
		return px_element_refuse(
			e, -ENOTSUP,
			"%s: sync=true waits for each buffer's clock time; "
			"Parallax has no pipeline clock: write sync=false "
			"(buffers go as they arrive; pace a source with "
			"fakesrc rate=N)%s%s",
			px_element_name(e), hint ? "; " : "", hint ? hint : "");
	if (!strcmp(spec->name, "async") && async)
		return px_element_refuse(
			e, -ENOTSUP,
			"%s: async=true prerolls a sink; Parallax sinks do not "
			"preroll (PAUSED completes at once): write async=false",
			px_element_name(e));
	return 0;
}

static const char *sysfs_root(void)
{
	const char *root = getenv("PX_SYSFS_ROOT");

	return root && *root ? root : "/sys";
}

/* The number in sysfs file FILE; -2: no such file; -1: unknown. */
static int read_node(const char *file)
{
	FILE *f = fopen(file, "re");
	int node = -1;

	if (!f)
		return -2;
	if (fscanf(f, "%d", &node) != 1)
		node = -1;
	fclose(f);
	return node;
}

int px__path_numa_node(const char *path)
{
	static const char *const where[] = { "device", "../device" };
	struct stat st;

	if (!path || stat(path, &st) < 0)
		return -1;
	/* A disk has device/numa_node; a partition's is its disk's. */
	for (size_t i = 0; i < PX_ARRAY_SIZE(where); i++) {
		char file[512];
		int node;

		snprintf(file, sizeof(file), "%s/dev/block/%u:%u/%s/numa_node",
			 sysfs_root(), major(st.st_dev), minor(st.st_dev),
			 where[i]);
		node = read_node(file);
		if (node != -2)
			return node;
	}
	return -1;
}

/* The local address traffic to SS leaves from: SS itself when it is an
 * address of this host, else the source address the kernel's route picks
 * (a UDP connect sends nothing). */
static bool local_address(const struct sockaddr_storage *ss, socklen_t len,
			  struct sockaddr_storage *out)
{
	socklen_t ol = sizeof(*out);
	int fd = socket(ss->ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	bool ok;

	if (fd < 0)
		return false;
	ok = connect(fd, (const struct sockaddr *)ss, len) == 0 &&
	     getsockname(fd, (struct sockaddr *)out, &ol) == 0;
	close(fd);
	return ok;
}

static bool same_address(const struct sockaddr *a,
			 const struct sockaddr_storage *b)
{
	if (!a || a->sa_family != b->ss_family)
		return false;
	if (a->sa_family == AF_INET)
		return ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
		       ((const struct sockaddr_in *)b)->sin_addr.s_addr;
	return a->sa_family == AF_INET6 &&
	       !memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
		       &((const struct sockaddr_in6 *)b)->sin6_addr,
		       sizeof(struct in6_addr));
}

int px__net_source_prop_changed(struct px_element *e,
				const struct px_prop_spec *spec)
{
	char host[256];

	if (strcmp(spec->name, "host"))
		return 0;
	if (px_element_get(e, "host", host, sizeof(host)) < 0)
		host[0] = '\0';
	px_element_device_node(e, px__host_numa_node(host));
	return 0;
}

/* The name of the interface that has address LOCAL, into NAME (LEN
 * bytes). False when none has it. */
static bool iface_of(const struct sockaddr_storage *local, char *name,
		     size_t len)
{
	struct ifaddrs *ifs, *i;
	bool found = false;

	if (getifaddrs(&ifs) < 0)
		return false;
	for (i = ifs; i && !found; i = i->ifa_next)
		if (same_address(i->ifa_addr, local)) {
			snprintf(name, len, "%s", i->ifa_name);
			found = true;
		}
	freeifaddrs(ifs);
	return found;
}

int px__host_numa_node(const char *host)
{
	struct sockaddr_storage ss, local;
	struct in6_addr any;
	char ifname[IF_NAMESIZE + 1], file[512];
	socklen_t len;
	int node;

	/* Numeric hosts only: a name lookup may block, and this runs while
	 * the pipeline is built. The port does not matter to the route. */
	if (!host || (inet_pton(AF_INET, host, &any) != 1 &&
		      inet_pton(AF_INET6, host, &any) != 1) ||
	    px_net_resolve(host, 9, &ss, &len) < 0)
		return -1;
	if (!local_address(&ss, len, &local) ||
	    !iface_of(&local, ifname, sizeof(ifname)))
		return -1;
	snprintf(file, sizeof(file), "%s/class/net/%s/device/numa_node",
		 sysfs_root(), ifname);
	node = read_node(file);
	return node < -1 ? -1 : node; /* a virtual interface: no device */
}

bool px__conn_on_nic(int fd)
{
	struct sockaddr_storage local;
	socklen_t len = sizeof(local);
	char ifname[IF_NAMESIZE + 1], dev[512];

	if (fd < 0 || getsockname(fd, (struct sockaddr *)&local, &len) < 0 ||
	    !iface_of(&local, ifname, sizeof(ifname)))
		return false;
	/* A NIC has a device behind it; lo, veth and bridges do not. */
	snprintf(dev, sizeof(dev), "%s/class/net/%s/device", sysfs_root(),
		 ifname);
	return access(dev, F_OK) == 0;
}

void px__post_chain(struct px_element *e, bool src, const struct px_buf *b)
{
	char pts[24] = "none", dur[24] = "none";

	if (b->pts != PX_TIME_NONE)
		snprintf(pts, sizeof(pts), "%" PRId64, b->pts);
	if (b->duration != PX_TIME_NONE)
		snprintf(dur, sizeof(dur), "%" PRId64, b->duration);
	px_element_post(e,
			"%s (%s:%s) (%u bytes, pts: %s, duration: %s, "
			"seq: %" PRIu64 ", offset: %" PRIu64 ", flags: 0x%04x)",
			src ? "get" : "chain", px_element_name(e),
			src ? "src" : "sink", b->length, pts, dur, b->seq,
			b->stream_offset, (unsigned)b->flags);
}

uint32_t px__next_stream(void)
{
	static _Atomic uint32_t next = 1;

	return atomic_fetch_add_explicit(&next, 1, memory_order_relaxed);
}

bool px__server_accepted(struct px_element *e, int res, bool ending,
			 int64_t connected, int64_t max, px_stat_u64 *refused,
			 const char *who, const char *where, bool *failed)
{
	if (res >= 0 && ending) {
		close(res);
	} else if (res >= 0 && connected >= max) {
		/* Said and counted before the client can see the close. */
		if (px_stat_get(refused) == 0)
			px_element_warning(e,
					   "%s: %lld %s connected (max-clients): "
					   "closing new ones",
					   px_element_name(e), (long long)max,
					   who);
		px_stat_add(refused, 1);
		close(res);
	} else if (res >= 0) {
		return true;
	} else if (res != -ECANCELED && !ending) {
		*failed = true;
		px_element_warning(e, "%s: accept on %s failed: %s; accepting "
				   "again when one of the %s leaves",
				   px_element_name(e), where, px_strerror(res),
				   who);
	}
	return false;
}

int px__server_listen(struct px_element *e, const char *host, int64_t port,
		      bool reuse_port, bool has_reuse, char *where, size_t len,
		      unsigned *bound)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	int rc, fd;

	snprintf(where, len, "%s:%lld", host && *host ? host : "127.0.0.1",
		 (long long)port);
	rc = px_net_resolve(host, port, &ss, &sl);
	if (rc < 0) {
		px_element_error(e, rc, "%s: cannot resolve %s: %s",
				 px_element_name(e), where, px_strerror(rc));
		return rc;
	}
	fd = px_net_listen_shared(&ss, sl, SOMAXCONN, reuse_port, bound);
	if (fd < 0) {
		px_element_error(e, fd, "%s: cannot listen on %s: %s%s",
				 px_element_name(e), where, px_strerror(fd),
				 fd == -EADDRINUSE && has_reuse && !reuse_port
					 ? " (servers sharing a port need "
					   "reuse-port=true on each)"
					 : "");
		return fd;
	}
	if (ss.ss_family == AF_INET6)
		((struct sockaddr_in6 *)&ss)->sin6_port =
			htons((uint16_t)*bound);
	else
		((struct sockaddr_in *)&ss)->sin_port = htons((uint16_t)*bound);
	px_net_addr_str((struct sockaddr *)&ss, sl, where, len);
	px_element_post(e, "%s: listening on %s", px_element_name(e), where);
	return fd;
}

const struct px_prop_enum px__zc_enums[] = {
	{ "auto", PX__ZC_AUTO, "SEND_ZC for buffers of at least zc-threshold bytes to a remote peer; copy on loopback, where SEND_ZC only loses" },
	{ "on", PX__ZC_ON, "SEND_ZC for every buffer (fails to start without kernel support)" },
	{ "off", PX__ZC_OFF, "always copy into the socket (gathered sendmsg)" },
	{ NULL, 0, NULL },
};

int px__zc_start(struct px_element *e, int mode, bool gathered, bool *zc_ok)
{
	*zc_ok = px_feature_has(gathered ? PX_FEAT_SENDMSG_ZC : PX_FEAT_SEND_ZC);
	if (mode == PX__ZC_ON && !*zc_ok) {
		px_element_error(e, -EOPNOTSUPP,
				 "%s: zerocopy=on needs %s, which this "
				 "kernel's io_uring lacks (or io_uring is not "
				 "available): use zerocopy=auto",
				 px_element_name(e),
				 gathered ? "SENDMSG_ZC (Linux 6.1)" :
					    "SEND_ZC (Linux 6.0)");
		return -EOPNOTSUPP;
	}
	return 0;
}

bool px__zc_use(int mode, bool zc_ok, bool nic, uint64_t len,
		uint64_t threshold)
{
	if (!zc_ok || mode == PX__ZC_OFF)
		return false;
	if (mode == PX__ZC_ON)
		return true;
	return nic && len >= threshold;
}
