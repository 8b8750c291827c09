/* SPDX-License-Identifier: MIT */
/*
 * trace_int.h - USDT probes (provider "parallax"): a nop instruction where
 * each PX_TRACE stands, which a tracer (bpftrace, perf, SystemTap) turns
 * into a breakpoint only while it listens. The arguments are values the
 * code has in registers anyway. Without <sys/sdt.h> at build time the
 * macro compiles to nothing. docs/observability.md lists every probe with
 * its arguments. Internal; never installed.
 */
#ifndef PX_TRACE_INT_H
#define PX_TRACE_INT_H

#ifdef PX_HAVE_SDT
#define SDT_USE_VARIADIC 1
#include <sys/sdt.h>
#define PX_TRACE(name, ...) STAP_PROBEV(parallax, name, ##__VA_ARGS__)
#else
#define PX_TRACE(name, ...) ((void)0)
#endif

#endif /* PX_TRACE_INT_H */
