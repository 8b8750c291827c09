// SPDX-License-Identifier: MIT
/*
 * pool.c - pool lifecycle: layout, creating a pool in a segment, attaching
 * to one from another mapping, the process-local id table, accessors.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "px_buf.h"
#include "px_pool_int.h"

PX_API struct px__pool_map_entry px__pool_map[PX_POOL_ID_MAX];

/* Control plane only: ids are handed out at create/attach, never per buffer. */
static pthread_mutex_t registry_lock = PTHREAD_MUTEX_INITIALIZER;
static struct px_pool *registry[PX_POOL_ID_MAX];
static uint32_t registry_next = 1;

static int id_alloc(struct px_pool *pool)
{
	int ret = -ENOSPC;

	pthread_mutex_lock(&registry_lock);
	/* Round-robin, so a just-freed id is not reused at once. */
	for (uint32_t i = 0; i < PX_POOL_ID_MAX - 1; i++) {
		uint32_t id = registry_next;

		registry_next = id + 1 < PX_POOL_ID_MAX ? id + 1 : 1;
		if (registry[id])
			continue;
		registry[id] = pool;
		px__pool_map[id] = (struct px__pool_map_entry){
			.slot_base = (uintptr_t)pool->slot_base,
			.slot_size = pool->slot_size,
			.slots = pool->slots,
		};
		pool->id = (uint16_t)id;
		ret = 0;
		break;
	}
	pthread_mutex_unlock(&registry_lock);
	return ret;
}

void px__pool_id_free(struct px_pool *pool)
{
	pthread_mutex_lock(&registry_lock);
	registry[pool->id] = NULL;
	px__pool_map[pool->id] = (struct px__pool_map_entry){0};
	pthread_mutex_unlock(&registry_lock);
}

PX_API struct px_pool *px_pool_from_id(uint16_t id)
{
	/* Unlocked: a caller holding a buffer of pool @id keeps it alive. */
	return id < PX_POOL_ID_MAX ? registry[id] : NULL;
}

int px__pool_layout(uint32_t slot_size, uint32_t slots, uint32_t align,
		    struct px__pool_layout *l)
{
	const uint64_t page = px__page_size();
	uint64_t off;

	if (slot_size == 0 || slots == 0)
		return -EINVAL;
	if (align == 0)
		align = slot_size >= page ? (uint32_t)page : PX_CACHE_LINE;
	if (!PX_IS_POW2(align) || align < PX_CACHE_LINE || align > page ||
	    slot_size % align != 0)
		return -EINVAL;
	l->slot_size = slot_size;
	l->slots = slots;
	l->align = align;
	l->nwords = (uint32_t)(((uint64_t)slots + 63) / 64);
	off = PX_SEGMENT_HEADER_SIZE + sizeof(struct px__pool_shm);
	l->bitmap_off = PX_ALIGN_UP(off, (uint64_t)PX_CACHE_LINE);
	off = l->bitmap_off + (uint64_t)l->nwords * sizeof(uint64_t);
	l->refs_off = PX_ALIGN_UP(off, (uint64_t)PX_CACHE_LINE);
	off = l->refs_off + (uint64_t)slots * sizeof(uint32_t);
	l->loans_off = PX_ALIGN_UP(off, (uint64_t)PX_CACHE_LINE);
	off = l->loans_off + (uint64_t)slots * sizeof(uint64_t);
	l->slots_off = PX_ALIGN_UP(off, page);
	/* u32 * u32 fits in u64; the sum cannot wrap for these inputs. */
	l->size = PX_ALIGN_UP(l->slots_off + (uint64_t)slots * slot_size, page);
	if (l->size > SIZE_MAX / 2)
		return -EINVAL;
	return 0;
}

PX_API uint32_t px_pool_round_slot_size(uint32_t bytes)
{
	uint64_t page = px__page_size();
	uint64_t r = PX_ALIGN_UP((uint64_t)bytes, (uint64_t)PX_CACHE_LINE);

	if (r >= page)
		r = PX_ALIGN_UP(r, page);
	return r > UINT32_MAX ? 0 : (uint32_t)r;
}

/* Fill @pool from the shared header and register its id. */
int px__pool_handle_bind(struct px_pool *pool, struct px_segment *seg,
			 bool owns)
{
	uint8_t *base = seg->base;
	struct px__pool_shm *shm = (void *)(base + PX_SEGMENT_HEADER_SIZE);

	pool->seg = seg;
	pool->owns_segment = owns;
	pool->shm = shm;
	pool->bitmap = (void *)(base + shm->bitmap_off);
	pool->refs = (void *)(base + shm->refs_off);
	pool->loans = (void *)(base + shm->loans_off);
	pool->slot_base = base + shm->slots_off;
	pool->slot_size = shm->slot_size;
	pool->slots = shm->slots;
	pool->nwords = shm->nwords;
	pool->count_in_use = (shm->flags & PX_POOL_EXACT_HIGH_WATER) &&
			     shm->nwords > PX__POOL_SCAN_WORDS;
	atomic_init(&pool->hint, 0);
	return id_alloc(pool);
}

struct px_pool *px__pool_handle_new(void)
{
	struct px_pool *pool;

	pool = aligned_alloc(PX_CACHE_LINE,
			     PX_ALIGN_UP(sizeof(*pool), (size_t)PX_CACHE_LINE));
	if (pool)
		memset(pool, 0, sizeof(*pool));
	return pool;
}

/* Write a fresh pool into @seg; the magic goes last. */
static void pool_init(struct px_segment *seg, const struct px__pool_layout *l,
		      const struct px_pool_config *cfg)
{
	uint8_t *base = seg->base;
	struct px__pool_shm *shm = (void *)(base + PX_SEGMENT_HEADER_SIZE);
	_Atomic uint64_t *bitmap = (void *)(base + l->bitmap_off);
	_Atomic uint32_t *refs = (void *)(base + l->refs_off);
	_Atomic uint64_t *loans = (void *)(base + l->loans_off);

	/* A reused segment may hold anything: clear header and state. */
	memset(shm, 0, l->slots_off - PX_SEGMENT_HEADER_SIZE);
	shm->version = PX__POOL_VERSION;
	shm->header_size = sizeof(*shm);
	shm->layout_size = l->size;
	shm->slot_size = l->slot_size;
	shm->slots = l->slots;
	shm->align = l->align;
	shm->nwords = l->nwords;
	shm->flags = cfg->flags;
	shm->bitmap_off = l->bitmap_off;
	shm->refs_off = l->refs_off;
	shm->loans_off = l->loans_off;
	shm->slots_off = l->slots_off;
	strncpy(shm->name, cfg->name ? cfg->name : "pool",
		sizeof(shm->name) - 1);
	for (uint32_t w = 0; w < l->nwords; w++) {
		uint32_t left = l->slots - w * 64;

		atomic_init(&bitmap[w],
			    left >= 64 ? ~0ull : (1ull << left) - 1);
	}
	for (uint32_t s = 0; s < l->slots; s++) {
		atomic_init(&refs[s], 0);
		atomic_init(&loans[s], 0);
	}
	/* P0: pairs with the acquire load in pool_validate(): a mapper that
	 * sees the magic sees the whole initialised header. */
	__atomic_store_n(&shm->magic, PX__POOL_MAGIC, __ATOMIC_RELEASE);
}

/* Check the pool header in @seg against what it claims and what fits. */
int px__pool_validate(const struct px_segment *seg)
{
	const struct px__pool_shm *shm;
	struct px__pool_layout l;

	if (seg->size < PX_SEGMENT_HEADER_SIZE + sizeof(*shm))
		return -EINVAL;
	shm = (const void *)((const uint8_t *)seg->base +
			     PX_SEGMENT_HEADER_SIZE);
	/* P1: pairs with P0 in pool_init(). */
	if (__atomic_load_n(&shm->magic, __ATOMIC_ACQUIRE) != PX__POOL_MAGIC ||
	    shm->version != PX__POOL_VERSION ||
	    shm->header_size != sizeof(*shm) ||
	    (shm->flags & ~PX__POOL_FLAGS_KNOWN))
		return -EINVAL;
	if (px__pool_layout(shm->slot_size, shm->slots, shm->align, &l))
		return -EINVAL;
	if (l.align != shm->align || l.nwords != shm->nwords ||
	    l.bitmap_off != shm->bitmap_off || l.refs_off != shm->refs_off ||
	    l.loans_off != shm->loans_off || l.slots_off != shm->slots_off ||
	    l.size != shm->layout_size || l.size > seg->size)
		return -EINVAL;
	return 0;
}

static int create_in(struct px_segment *seg, const struct px_pool_config *cfg,
		     const struct px__pool_layout *l, bool owns,
		     struct px_pool **out)
{
	struct px_pool *pool;
	int ret;

	if (l->size > seg->size)
		return -EINVAL;
	pool = px__pool_handle_new();
	if (!pool)
		return -ENOMEM;
	pool_init(seg, l, cfg);
	ret = px__pool_handle_bind(pool, seg, owns);
	if (ret) {
		free(pool);
		return ret;
	}
	*out = pool;
	return 0;
}

PX_API int px_pool_create_in(struct px_segment *seg,
			     const struct px_pool_config *cfg,
			     struct px_pool **out)
{
	struct px__pool_layout l;
	int ret;

	if (!seg || !cfg || !out)
		return -EINVAL;
	if (seg->readonly)
		return -EROFS;
	if (cfg->flags & ~PX__POOL_FLAGS_KNOWN)
		return -EINVAL;
	ret = px__pool_layout(cfg->slot_size, cfg->slots, cfg->align, &l);
	if (ret)
		return ret;
	return create_in(seg, cfg, &l, false, out);
}

/*
 * Make the slot area of a readonly attachment PROT_READ; the bitmap and the
 * counts stay writable so that this process can still release. Hugetlb
 * mappings change protection only in whole huge pages: the range shrinks
 * to those inside the slot area (the handle refuses writes regardless).
 */
static int protect_slots(struct px_pool *pool)
{
	const struct px_segment *seg = pool->seg;
	bool huge = seg->page == PX_PAGE_2M || seg->page == PX_PAGE_1G;
	uintptr_t gran = huge ? seg->page_size : px__page_size();
	uintptr_t start = (uintptr_t)pool->slot_base;
	uintptr_t end = start + (uintptr_t)pool->slots * pool->slot_size;

	start = PX_ALIGN_UP(start, gran);
	end = huge ? end & ~(gran - 1) : PX_ALIGN_UP(end, gran);
	if (end > start && mprotect((void *)start, end - start, PROT_READ) < 0)
		return -errno;
	return 0;
}

PX_API int px_pool_attach(struct px_segment *seg, struct px_pool **out)
{
	struct px_pool *pool;
	int ret;

	if (!seg || !out)
		return -EINVAL;
	if (seg->mapped_readonly)
		return -EACCES; /* releases write the shared state */
	ret = px__pool_validate(seg);
	if (ret)
		return ret;
	pool = px__pool_handle_new();
	if (!pool)
		return -ENOMEM;
	ret = px__pool_handle_bind(pool, seg, false);
	if (ret)
		goto err_free;
	if (seg->readonly) {
		ret = protect_slots(pool);
		if (ret) {
			px__pool_id_free(pool);
			goto err_free;
		}
		pool->readonly = true;
	}
	*out = pool;
	return 0;

err_free:
	free(pool);
	return ret;
}

/* Reopen a file pool: validate it and check it matches @l. */
static int reopen(const struct px_pool_config *cfg,
		  const struct px__pool_layout *l, struct px_pool **out)
{
	struct px_segment *seg;
	struct px_pool *pool;
	int ret;

	ret = px_segment_create(&cfg->segment, &seg);
	if (ret)
		return ret;
	ret = px__pool_validate(seg);
	if (!ret) {
		const struct px__pool_shm *shm =
			(const void *)((uint8_t *)seg->base +
				       PX_SEGMENT_HEADER_SIZE);

		if (shm->slot_size != l->slot_size || shm->slots != l->slots ||
		    shm->align != l->align)
			ret = -EINVAL;
	}
	if (ret)
		goto err_seg;
	pool = px__pool_handle_new();
	if (!pool) {
		ret = -ENOMEM;
		goto err_seg;
	}
	ret = px__pool_handle_bind(pool, seg, true);
	if (ret) {
		free(pool);
		goto err_seg;
	}
	*out = pool;
	return 0;

err_seg:
	px_segment_destroy(seg);
	return ret;
}

PX_API int px_pool_create(const struct px_pool_config *cfg,
			  struct px_pool **out)
{
	struct px_segment_config scfg;
	struct px__pool_layout l;
	struct px_segment *seg;
	int ret;

	if (!cfg || !out)
		return -EINVAL;
	if (cfg->flags & ~PX__POOL_FLAGS_KNOWN)
		return -EINVAL;
	ret = px__pool_layout(cfg->slot_size, cfg->slots, cfg->align, &l);
	if (ret)
		return ret;
	if (cfg->segment.kind == PX_SEGMENT_FILE && !cfg->segment.create)
		return reopen(cfg, &l, out);
	scfg = cfg->segment;
	if (scfg.size == 0)
		scfg.size = (size_t)l.size;
	else if (scfg.size < l.size)
		return -EINVAL; /* more slots than the segment holds */
	ret = px_segment_create(&scfg, &seg);
	if (ret)
		return ret;
	ret = create_in(seg, cfg, &l, true, out);
	if (ret) {
		px_segment_destroy(seg);
		if (cfg->segment.kind == PX_SEGMENT_FILE)
			unlink(cfg->segment.path);
	}
	return ret;
}

PX_API void px_pool_destroy(struct px_pool *pool)
{
	if (!pool)
		return;
	px__pool_id_free(pool);
	if (pool->owns_segment)
		px_segment_destroy(pool->seg);
	if (pool->remote) {
		free(pool->remote->words);
		free(pool->remote);
	}
	free(pool);
}

PX_API uint16_t px_pool_id(const struct px_pool *pool)
{
	return pool->id;
}

PX_API void *px_pool_slot_data(const struct px_pool *pool, uint32_t slot)
{
	if (slot >= pool->slots)
		return NULL;
	return pool->slot_base + (size_t)slot * pool->slot_size;
}

PX_API uint32_t px_pool_slot_size(const struct px_pool *pool)
{
	return pool->slot_size;
}

PX_API uint32_t px_pool_slot_count(const struct px_pool *pool)
{
	return pool->slots;
}

PX_API const char *px_pool_name(const struct px_pool *pool)
{
	return pool->shm->name;
}

PX_API struct px_segment *px_pool_segment(const struct px_pool *pool)
{
	return pool->seg;
}

PX_API bool px_pool_is_readonly(const struct px_pool *pool)
{
	return pool->readonly;
}

PX_API uint32_t px_pool_recover(struct px_pool *pool)
{
	uint32_t was_used = 0;

	for (uint32_t s = 0; s < pool->slots; s++) {
		uint64_t bit = 1ull << (s % 64);

		/* Relaxed: the caller guarantees nobody else uses the pool. */
		if (!(atomic_load_explicit(&pool->bitmap[s / 64],
					   memory_order_relaxed) &
		      bit)) {
			was_used++;
			atomic_fetch_or_explicit(&pool->bitmap[s / 64], bit,
						 memory_order_relaxed);
		}
		atomic_store_explicit(&pool->refs[s], 0, memory_order_relaxed);
	}
	atomic_store_explicit(&pool->shm->in_use, 0, memory_order_relaxed);
	return was_used;
}
