/* SPDX-License-Identifier: MIT */
/*
 * px_crc32c.h - CRC32C (Castagnoli, the polynomial of iSCSI, ext4 and the
 * STRM frames of host links), with the CPU's instruction where it has one.
 * Stability: public API, changed only with the ABI version (px_plugin.h).
 */
#ifndef PX_CRC32C_H
#define PX_CRC32C_H

#include <stddef.h>
#include <stdint.h>

#include "px_base.h"

PX_EXTERN_C_BEGIN

/*
 * px_crc32c - the CRC32C of DATA[0..LEN) continued from CRC (0 to start;
 * the result of one call continues into the next). px_crc32c(0, "123456789",
 * 9) is 0xe3069283. Any thread.
 */
PX_API uint32_t px_crc32c(uint32_t crc, const void *data, size_t len);

PX_EXTERN_C_END

#endif /* PX_CRC32C_H */
