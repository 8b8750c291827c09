/* SPDX-License-Identifier: MIT */
/*
 * io_common_int.h - the class tables of the file and socket elements, for
 * builtin.c. (Their TCP connection is the public px_conn.h.) Internal.
 */
#ifndef PX_IO_COMMON_INT_H
#define PX_IO_COMMON_INT_H

struct px_element_class;

/* The classes of the I/O elements (for builtin.c). */
extern const struct px_element_class px__filesrc_class;
extern const struct px_element_class px__filesink_class;
extern const struct px_element_class px__tcpsrc_class;
extern const struct px_element_class px__multitcpsrc_class;

/*
 * steer_bpf.c: SO_REUSEPORT steering by CPU. px__steer_join - listening
 * socket LFD on PORT, of the server on reactor REACTOR pinned to CPUS (a
 * list, "0-1,4"; NULL: not pinned), joins the port's steering: loads the
 * BPF program and map on first use (needs CAP_BPF), attaches it to the
 * group, and gives every CPU its server again. 0, or -errno with WHY
 * filled (the caller keeps the kernel's hash). px__steer_leave - LFD's
 * server stops listening: its CPUs go to the others.
 */
int px__steer_join(int lfd, unsigned port, unsigned reactor,
		   const char *cpus, char *why, size_t len);
void px__steer_leave(unsigned port, int lfd);
extern const struct px_element_class px__netsink_class;
extern const struct px_element_class px__netsrc_class;
extern const struct px_element_class px__tcpsink_class;
extern const struct px_element_class px__appsink_class;

#endif /* PX_IO_COMMON_INT_H */
