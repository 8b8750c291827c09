// SPDX-License-Identifier: MIT
/*
 * pool_remote.c - a pool handle over another process's pool that never
 * writes it: references are counted in this process, and the last local
 * reference of a slot hands it back to the owner through a callback (over
 * a ring, a socket...). This is what a subscriber of a shared pool uses:
 * the owner keeps the only record of what it lent, so a subscriber that
 * crashes or lies cannot free a slot the owner still uses.
 */
#include <errno.h>
#include <stdlib.h>

#include "px_pool_int.h"

/* The two halves of a remote word. */
#define LOCAL_ONE 1ull
#define OWNER_ONE (1ull << 32)
#define LOCAL_MASK 0xffffffffull

PX_API int px_pool_attach_remote(struct px_segment *seg, px_pool_remote_fn fn,
				 void *arg, struct px_pool **out)
{
	struct px__pool_remote *rem;
	struct px_pool *pool;
	int ret;

	if (!seg || !fn || !out)
		return -EINVAL;
	ret = px__pool_validate(seg);
	if (ret)
		return ret;
	pool = px__pool_handle_new();
	rem = calloc(1, sizeof(*rem));
	if (!pool || !rem) {
		ret = -ENOMEM;
		goto err_free;
	}
	ret = px__pool_handle_bind(pool, seg, false);
	if (ret)
		goto err_free;
	rem->words = calloc(pool->slots, sizeof(*rem->words));
	if (!rem->words) {
		px__pool_id_free(pool);
		ret = -ENOMEM;
		goto err_free;
	}
	rem->fn = fn;
	rem->arg = arg;
	pool->remote = rem;
	pool->readonly = true;
	*out = pool;
	return 0;

err_free:
	free(rem);
	free(pool);
	return ret;
}

PX_API bool px_pool_is_remote(const struct px_pool *pool)
{
	return pool->remote != NULL;
}

PX_API int px_pool_remote_take(struct px_pool *pool, uint32_t slot)
{
	if (!pool->remote || slot >= pool->slots)
		return -EINVAL;
	/* Relaxed: the owner's reference arrived with the item that named
	 * the slot (the ring's acquire ordered the bytes before it). */
	atomic_fetch_add_explicit(&pool->remote->words[slot],
				  OWNER_ONE | LOCAL_ONE, memory_order_relaxed);
	return 0;
}

void px__pool_remote_ref(struct px_pool *pool, uint32_t slot)
{
	/* Relaxed: the caller holds a reference already. */
	if (px_likely(slot < pool->slots))
		atomic_fetch_add_explicit(&pool->remote->words[slot], LOCAL_ONE,
					  memory_order_relaxed);
}

uint32_t px__pool_remote_refcount(const struct px_pool *pool, uint32_t slot)
{
	return (uint32_t)(atomic_load_explicit(&pool->remote->words[slot],
					       memory_order_acquire) &
			  LOCAL_MASK);
}

void px__pool_remote_release(struct px_pool *pool, uint32_t slot)
{
	struct px__pool_remote *rem = pool->remote;
	_Atomic uint64_t *w;
	uint64_t v, nv;

	if (px_unlikely(slot >= pool->slots))
		goto bad;
	w = &rem->words[slot];
	v = atomic_load_explicit(w, memory_order_relaxed);
	do {
		if (px_unlikely(!(v & LOCAL_MASK)))
			goto bad;
		/* The last local reference takes the owner's half with it in
		 * the same exchange, so a concurrent take is either before
		 * (and returned now) or after (and kept for the next epoch). */
		nv = (v & LOCAL_MASK) == 1 ? 0 : v - LOCAL_ONE;
		/* acq_rel: every local reader's accesses happen before the
		 * owner learns the slot is back. */
	} while (!atomic_compare_exchange_weak_explicit(
		w, &v, nv, memory_order_acq_rel, memory_order_relaxed));
	if (nv == 0 && (v >> 32))
		rem->fn(pool, slot, (uint32_t)(v >> 32), rem->arg);
	return;
bad:
	atomic_fetch_add_explicit(&rem->bad_releases, 1, memory_order_relaxed);
}

PX_API uint32_t px_pool_remote_held(const struct px_pool *pool)
{
	uint32_t n = 0;

	if (!pool->remote)
		return 0;
	for (uint32_t s = 0; s < pool->slots; s++)
		n += (atomic_load_explicit(&pool->remote->words[s],
					   memory_order_relaxed) &
		      LOCAL_MASK) != 0;
	return n;
}
