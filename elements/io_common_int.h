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
extern const struct px_element_class px__netsink_class;
extern const struct px_element_class px__netsrc_class;
extern const struct px_element_class px__tcpsink_class;
extern const struct px_element_class px__appsink_class;

#endif /* PX_IO_COMMON_INT_H */
