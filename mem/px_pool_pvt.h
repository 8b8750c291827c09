/* SPDX-License-Identifier: MIT */
/*
 * px_pool_pvt.h - NOT FOR DIRECT INCLUSION: include px_buf.h. The process-
 * local pool id table that the inline px_buf_data() reads.
 */
#ifndef PX_POOL_PVT_H
#define PX_POOL_PVT_H

#ifndef PX_BUF_H
#error "px_pool_pvt.h is internal: include px_buf.h instead"
#endif

#include <stdint.h>

#include "px_base.h"

PX_EXTERN_C_BEGIN

/* Pool ids are 1 .. PX_POOL_ID_MAX - 1 in each process; 0 is "no pool". */
#define PX_POOL_ID_MAX 4096u

/* What px_buf_data() needs of a pool, one 16-byte entry per id. */
struct px__pool_map_entry {
	uintptr_t slot_base; /* address of slot 0 in this process; 0 if free */
	uint32_t slot_size;  /* bytes per slot (the slot stride) */
	uint32_t slots;	     /* number of slots */
};

/*
 * Indexed by pool id. Written under the registry lock by px_pool_create()
 * and px_pool_attach() before the id is handed out, cleared by
 * px_pool_destroy(); read without a lock (an id in a live px_buf is live).
 */
PX_API extern struct px__pool_map_entry px__pool_map[PX_POOL_ID_MAX];

PX_EXTERN_C_END

#endif /* PX_POOL_PVT_H */
