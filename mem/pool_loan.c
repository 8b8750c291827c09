// SPDX-License-Identifier: MIT
/*
 * pool_loan.c - the pool hot path: loan and release on the shared atomic
 * bitmap and reference counts (no lock, no syscall), counters, and the
 * waiter flag that turns an empty pool into backpressure.
 */
#include <errno.h>
#include <limits.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "px_pool_int.h"

/*
 * Memory-order map (STYLE rule 12):
 *  L1 loan: fetch_and(acquire) on the bitmap word; pairs with R2, so the
 *     previous owner's accesses to the slot happen before ours.
 *  R1 release: refcount load(acquire) / fetch_sub(acq_rel); pairs with the
 *     R1 of the other holders, so all holders' accesses come before R2.
 *  R2 release: fetch_or(seq_cst) on the bitmap word; release for L1, and
 *     seq_cst for the Dekker pair with W1: the releaser then loads the
 *     waiting word (R3, seq_cst).
 *  W1 waiter: fetch_or(seq_cst) of its bit into `waiting`, then seq_cst
 *     loads of the bitmap (px__pool_any_free). Either the releaser sees the
 *     bit, or the waiter sees the free slot: no lost wakeup.
 * Counters are relaxed: statistics, ordered by nothing. The per-slot loan
 * counters are written only by the slot's current loaner (see
 * slot_loaned()), so no counter costs a locked instruction on the hot
 * path: a loan is one RMW (L1), a release one (R2), unless the pool keeps
 * the exact in_use counter (PX_POOL_EXACT_HIGH_WATER on a big pool). A
 * px_pool_cache counts its loans in plain fields and adds them to
 * shm->cache_loans once per refill or return (cache_count()).
 */

static inline uint32_t next_word(const struct px_pool *pool, uint32_t w)
{
	return w + 1 < pool->nwords ? w + 1 : 0;
}

/* Bits set in @v. The x86-64 baseline has no POPCNT instruction, and
 * __builtin_popcountll would call libgcc: count in registers instead. */
static inline uint32_t popcount64(uint64_t v)
{
	v = v - ((v >> 1) & 0x5555555555555555ull);
	v = (v & 0x3333333333333333ull) + ((v >> 2) & 0x3333333333333333ull);
	v = (v + (v >> 4)) & 0x0f0f0f0f0f0f0f0full;
	return (uint32_t)((v * 0x0101010101010101ull) >> 56);
}

/* Free slots: a popcount of the bitmap. */
static inline uint32_t free_count(const struct px_pool *pool)
{
	uint32_t n = 0;

	/* Relaxed: a snapshot; exact only when the pool is quiet. */
	for (uint32_t w = 0; w < pool->nwords; w++)
		n += popcount64(atomic_load_explicit(&pool->bitmap[w],
						     memory_order_relaxed));
	return n;
}

/* Raise the high-water mark to @in_use if that is higher. */
static void high_water_to(struct px__pool_shm *shm, uint32_t in_use)
{
	/* Relaxed: a statistic; the CAS only keeps it monotonic. */
	uint32_t hw =
		atomic_load_explicit(&shm->high_water, memory_order_relaxed);

	while (in_use > hw &&
	       !atomic_compare_exchange_weak_explicit(
		       &shm->high_water, &hw, in_use, memory_order_relaxed,
		       memory_order_relaxed))
		;
}

/*
 * After a loan of @n: raise the high-water mark to the in_use it produced.
 * Small pools count the bitmap (a few words, most of them just touched), so
 * a loan needs no counter read-modify-write; big ones keep the in_use
 * counter only when made with PX_POOL_EXACT_HIGH_WATER (one more RMW per
 * loan and per release), else they sample it (px_pool_stats(), exhaustion).
 */
static inline void raise_high_water(struct px_pool *pool, uint32_t n)
{
	if (px_likely(pool->nwords <= PX__POOL_SCAN_WORDS))
		/* Relaxed: a snapshot; concurrent loans may make it lag. */
		high_water_to(pool->shm, pool->slots - free_count(pool));
	else if (pool->count_in_use)
		high_water_to(pool->shm,
			      atomic_fetch_add_explicit(&pool->shm->in_use, n,
							memory_order_relaxed) +
				      n);
}

/* High water is sampled (a big pool without the in_use counter). */
static inline bool high_water_sampled(const struct px_pool *pool)
{
	return pool->nwords > PX__POOL_SCAN_WORDS && !pool->count_in_use;
}

/* A slot just won at L1: count 1, one more loan on its counter. */
static inline void slot_loaned(struct px_pool *pool, uint32_t s)
{
	/* Relaxed: the slot is ours alone until we hand it on through a
	 * release/acquire pair; every earlier writer of these fields
	 * happens-before our L1 through the release chain ending in R2. So a
	 * plain load and store counts the loan without a locked RMW. */
	atomic_store_explicit(&pool->refs[s], 1, memory_order_relaxed);
	atomic_store_explicit(
		&pool->loans[s],
		atomic_load_explicit(&pool->loans[s], memory_order_relaxed) + 1,
		memory_order_relaxed);
}

static int loan_empty(struct px_pool *pool)
{
	atomic_fetch_add_explicit(&pool->shm->exhausted, 1,
				  memory_order_relaxed);
	/* Every slot was out as far as this loan could see: a sample. */
	if (high_water_sampled(pool))
		high_water_to(pool->shm, pool->slots);
	return -ENOBUFS;
}

PX_API int px_pool_loan(struct px_pool *pool, uint32_t *slot)
{
	/* Relaxed: the hint only says where to start looking. */
	uint32_t start =
		atomic_load_explicit(&pool->hint, memory_order_relaxed);
	uint32_t w = start;

	if (px_unlikely(pool->readonly))
		return -EROFS;
	for (uint32_t i = 0; i < pool->nwords; i++) {
		_Atomic uint64_t *word = &pool->bitmap[w];
		/* Relaxed: a stale value only costs a retry; L1 decides. */
		uint64_t v = atomic_load_explicit(word, memory_order_relaxed);

		while (v) {
			uint64_t bit = v & -v, old;

			old = atomic_fetch_and_explicit(
				word, ~bit, memory_order_acquire); /* L1 */
			if (old & bit) {
				uint32_t s =
					w * 64 + (uint32_t)__builtin_ctzll(bit);
				uint32_t hint =
					(old & ~bit) ? w : next_word(pool, w);

				if (hint != start)
					atomic_store_explicit(
						&pool->hint, hint,
						memory_order_relaxed);
				slot_loaned(pool, s);
				raise_high_water(pool, 1);
				*slot = s;
				return 0;
			}
			v = old & ~bit;
		}
		w = next_word(pool, w);
	}
	return loan_empty(pool);
}

/* A slot just won at L1 for a px_pool_cache: parked, reference 1 (the
 * cache's); its loan is counted by the cache when it hands it out. */
static inline void slot_cached(struct px_pool *pool, uint32_t s)
{
	/* Relaxed: ours alone after L1, as in slot_loaned(). */
	atomic_store_explicit(&pool->refs[s], 1, memory_order_relaxed);
}

/* Loan up to @n slots; @cached: for a cache (slot_cached, not slot_loaned) */
static inline int loan_burst(struct px_pool *pool, uint32_t *slots, unsigned n,
			     bool cached)
{
	uint32_t start =
		atomic_load_explicit(&pool->hint, memory_order_relaxed);
	uint32_t w = start, got = 0;

	if (px_unlikely(pool->readonly))
		return -EROFS;
	if (n == 0)
		return 0;
	for (uint32_t i = 0; i < pool->nwords && got < n; i++) {
		_Atomic uint64_t *word = &pool->bitmap[w];
		uint64_t v = atomic_load_explicit(word, memory_order_relaxed);

		while (v && got < n) {
			uint64_t want = 0, t = v, old, won;
			uint64_t low = v & -v;
			uint32_t need = n - got;

			if (need >= 64 || (v & (v + low)) == 0) {
				/* One run of free bits (the usual case): the
				 * lowest @need of it without a loop. */
				uint64_t run = v;

				if (need < 64 && (low << need) != 0)
					run &= (low << need) - 1;
				want = run;
			} else {
				for (uint32_t k = got; k < n && t; k++) {
					want |= t & -t;
					t &= t - 1;
				}
			}
			old = atomic_fetch_and_explicit(
				word, ~want, memory_order_acquire); /* L1 */
			won = old & want;
			while (won) {
				uint32_t s =
					w * 64 + (uint32_t)__builtin_ctzll(won);

				if (cached)
					slot_cached(pool, s);
				else
					slot_loaned(pool, s);
				slots[got++] = s;
				won &= won - 1;
			}
			v = old & ~want;
		}
		if (got < n || !v)
			w = next_word(pool, w);
	}
	if (w != start)
		atomic_store_explicit(&pool->hint, w, memory_order_relaxed);
	if (!got)
		return loan_empty(pool);
	raise_high_water(pool, got);
	return (int)got;
}

PX_API int px_pool_loan_burst(struct px_pool *pool, uint32_t *slots, unsigned n)
{
	return loan_burst(pool, slots, n, false);
}

static __attribute__((noinline)) void wake_waiters(struct px_pool *pool)
{
	struct px__pool_shm *shm = pool->shm;
	uint32_t mine =
		PX__POOL_WAIT_FUTEX | (pool->notify ? PX__POOL_WAIT_HOOK : 0);
	uint32_t was;

	/* A hook bit that this handle cannot serve stays for one that can. */
	if (!(atomic_load_explicit(&shm->waiting, memory_order_relaxed) & mine))
		return;
	was = atomic_fetch_and_explicit(&shm->waiting, ~mine,
					memory_order_acq_rel) &
	      mine;
	if (was & PX__POOL_WAIT_HOOK) {
		atomic_fetch_add_explicit(&shm->wakeups, 1,
					  memory_order_relaxed);
		pool->notify(pool, pool->notify_arg);
	}
	if (was & PX__POOL_WAIT_FUTEX) {
		atomic_fetch_add_explicit(&shm->wakeups, 1,
					  memory_order_relaxed);
		/* Shared futex (no PRIVATE flag): waiters may be elsewhere. */
		syscall(SYS_futex, (uint32_t *)&shm->waiting, FUTEX_WAKE,
			INT_MAX, NULL, NULL, 0);
	}
}

/* Drop one reference to @s; true when it was the last. */
static inline bool slot_put(struct px_pool *pool, uint32_t s)
{
	_Atomic uint32_t *rc;
	uint32_t c;

	if (px_unlikely(s >= pool->slots))
		goto bad;
	rc = &pool->refs[s];
	c = atomic_load_explicit(rc, memory_order_acquire); /* R1 */
	if (px_likely(c == 1)) {
		/* Sole holder: nobody can add a reference any more, so a plain
		 * store replaces the read-modify-write (as rte_mbuf does). */
		atomic_store_explicit(rc, 0, memory_order_relaxed);
		return true;
	}
	if (px_unlikely(c == 0))
		goto bad;
	c = atomic_fetch_sub_explicit(rc, 1, memory_order_acq_rel); /* R1 */
	if (px_likely(c != 0))
		return c == 1;
	atomic_fetch_add_explicit(rc, 1, memory_order_relaxed); /* undo */
bad:
	atomic_fetch_add_explicit(&pool->shm->bad_releases, 1,
				  memory_order_relaxed);
	return false;
}

PX_API void px_pool_release(struct px_pool *pool, uint32_t slot)
{
	if (px_unlikely(pool->remote)) {
		px__pool_remote_release(pool, slot);
		return;
	}
	if (!slot_put(pool, slot))
		return;
	if (px_unlikely(pool->count_in_use))
		atomic_fetch_sub_explicit(&pool->shm->in_use, 1,
					  memory_order_relaxed);
	atomic_fetch_or_explicit(&pool->bitmap[slot / 64], 1ull << (slot % 64),
				 memory_order_seq_cst); /* R2 */
	if (px_unlikely(atomic_load_explicit(&pool->shm->waiting,
					     memory_order_seq_cst))) /* R3 */
		wake_waiters(pool);
}

/* Drop one reference to each of @slots; free the ones that were last in
 * the bitmap. Also how a cache returns its parked slots (reference 1). */
static inline void release_burst(struct px_pool *pool, const uint32_t *slots,
				 unsigned n)
{
	uint64_t bits = 0;
	uint32_t word = 0, freed = 0;

	if (px_unlikely(pool->remote)) {
		for (unsigned i = 0; i < n; i++)
			px__pool_remote_release(pool, slots[i]);
		return;
	}
	for (unsigned i = 0; i < n; i++) {
		uint32_t s = slots[i];

		if (!slot_put(pool, s))
			continue;
		/* Gather runs in one word: one fetch_or per run. */
		if (bits && s / 64 != word) {
			atomic_fetch_or_explicit(&pool->bitmap[word], bits,
						 memory_order_seq_cst); /* R2 */
			bits = 0;
		}
		word = s / 64;
		bits |= 1ull << (s % 64);
		freed++;
	}
	if (!freed)
		return;
	if (pool->count_in_use)
		atomic_fetch_sub_explicit(&pool->shm->in_use, freed,
					  memory_order_relaxed);
	atomic_fetch_or_explicit(&pool->bitmap[word], bits,
				 memory_order_seq_cst); /* R2 */
	if (px_unlikely(atomic_load_explicit(&pool->shm->waiting,
					     memory_order_seq_cst))) /* R3 */
		wake_waiters(pool);
}

PX_API void px_pool_release_burst(struct px_pool *pool, const uint32_t *slots,
				  unsigned n)
{
	release_burst(pool, slots, n);
}

PX_API int px_pool_cache_init(struct px_pool *pool,
			      struct px_pool_cache *cache, uint32_t size)
{
	if (size == 0 || size > PX_POOL_CACHE_MAX)
		return -EINVAL;
	if (pool->readonly)
		return -EROFS;
	cache->pool = pool;
	cache->refs = pool->refs;
	cache->slots = pool->slots;
	cache->size = size;
	cache->loans = 0;
	cache->len = 0;
	return 0;
}

/* Add the cache's own loan count to the pool's stats. */
static void cache_count(struct px_pool_cache *c)
{
	if (c->loans) {
		/* Relaxed: a statistic; one RMW per refill or return. */
		atomic_fetch_add_explicit(&c->pool->shm->cache_loans, c->loans,
					  memory_order_relaxed);
		c->loans = 0;
	}
}

/* Give cache->objs[from .. len) back to the pool's bitmap: the cache
 * drops its reference (1 -> 0, slot_put's sole-holder store), then R2. */
static void cache_return(struct px_pool_cache *c, uint32_t from)
{
	cache_count(c);
	if (c->len > from)
		release_burst(c->pool, c->objs + from, c->len - from);
	c->len = from;
}

PX_API void px_pool_cache_flush(struct px_pool_cache *cache)
{
	cache_return(cache, 0);
}

PX_API void px_pool_cache_fini(struct px_pool_cache *cache)
{
	if (cache && cache->pool)
		cache_return(cache, 0);
}

PX_API int px__pool_cache_refill(struct px_pool_cache *c)
{
	int n;

	cache_count(c);
	n = loan_burst(c->pool, c->objs + c->len,
		       PX_MIN((c->size + 1) / 2, c->size - c->len), true);
	if (n > 0)
		c->len += (uint32_t)n;
	return n;
}

PX_API void px__pool_cache_spill(struct px_pool_cache *c)
{
	/* The newest half goes back; the oldest, warm or not, stays. */
	cache_return(c, c->len - (c->size + 1) / 2);
}

PX_API bool px__pool_cache_put_slow(struct px_pool_cache *c, uint32_t slot)
{
	if (!slot_put(c->pool, slot))
		return false;
	/* We dropped the last shared reference (now 0); the cache holds the
	 * slot with reference 1. Relaxed: ours alone after R1 (acq_rel). */
	atomic_store_explicit(&c->pool->refs[slot], 1, memory_order_relaxed);
	return true;
}

PX_API void px_pool_slot_ref(struct px_pool *pool, uint32_t slot)
{
	if (px_unlikely(pool->remote)) {
		px__pool_remote_ref(pool, slot);
		return;
	}
	/* Relaxed: the caller already holds a reference (like shared_ptr). */
	if (px_likely(slot < pool->slots))
		atomic_fetch_add_explicit(&pool->refs[slot], 1,
					  memory_order_relaxed);
}

PX_API uint32_t px_pool_slot_refcount(const struct px_pool *pool, uint32_t slot)
{
	if (slot >= pool->slots)
		return 0;
	if (pool->remote)
		return px__pool_remote_refcount(pool, slot);
	return atomic_load_explicit(&pool->refs[slot], memory_order_acquire);
}

PX_API uint32_t px_pool_available(const struct px_pool *pool)
{
	return free_count(pool);
}

bool px__pool_any_free(const struct px_pool *pool)
{
	for (uint32_t w = 0; w < pool->nwords; w++)
		if (atomic_load_explicit(&pool->bitmap[w],
					 memory_order_seq_cst))
			return true;
	return false;
}

PX_API void px_pool_set_notify(struct px_pool *pool, px_pool_notify_fn fn,
			       void *arg)
{
	pool->notify = fn;
	pool->notify_arg = arg;
}

PX_API bool px_pool_wait_set(struct px_pool *pool)
{
	atomic_fetch_or_explicit(&pool->shm->waiting, PX__POOL_WAIT_HOOK,
				 memory_order_seq_cst); /* W1 */
	/* Leave the bit when a slot is free: another waiter may need it. */
	return !px__pool_any_free(pool);
}

PX_API int px_pool_wait(struct px_pool *pool, int timeout_ms)
{
	_Atomic uint32_t *word = &pool->shm->waiting;
	struct timespec ts, *tsp = NULL;
	uint32_t v;

	atomic_fetch_or_explicit(word, PX__POOL_WAIT_FUTEX,
				 memory_order_seq_cst); /* W1 */
	if (px__pool_any_free(pool))
		return 0;
	v = atomic_load_explicit(word, memory_order_seq_cst);
	if (!(v & PX__POOL_WAIT_FUTEX))
		return 0; /* a release already woke us */
	if (timeout_ms >= 0) {
		ts.tv_sec = timeout_ms / 1000;
		ts.tv_nsec = (long)(timeout_ms % 1000) * 1000000L;
		tsp = &ts;
	}
	/* The kernel re-checks that the word still equals v. */
	if (syscall(SYS_futex, (uint32_t *)word, FUTEX_WAIT, v, tsp, NULL, 0) <
	    0) {
		if (errno == ETIMEDOUT || errno == EINTR)
			return -errno;
		/* EAGAIN: the word changed, a release came by. */
	}
	return 0;
}

PX_API void px_pool_stats(const struct px_pool *pool, struct px_pool_stats *st)
{
	struct px__pool_shm *shm = pool->shm;
	uint64_t loans;

	/* Relaxed: statistics; exact when the pool is quiet (and, with
	 * caches, when every cache has been flushed). */
	loans = atomic_load_explicit(&shm->cache_loans, memory_order_relaxed);
	for (uint32_t s = 0; s < pool->slots; s++)
		loans += atomic_load_explicit(&pool->loans[s],
					      memory_order_relaxed);
	st->in_use = pool->slots - free_count(pool);
	st->high_water_exact = !high_water_sampled(pool);
	if (!st->high_water_exact)
		high_water_to(shm, st->in_use);
	st->loans = loans;
	/* Every loan but the slots still out of the bitmap has come back;
	 * a slot parked in a cache counts as out until the cache returns it. */
	st->releases = loans > st->in_use ? loans - st->in_use : 0;
	st->exhausted =
		atomic_load_explicit(&shm->exhausted, memory_order_relaxed);
	st->bytes_copied =
		atomic_load_explicit(&shm->bytes_copied, memory_order_relaxed);
	st->high_water =
		atomic_load_explicit(&shm->high_water, memory_order_relaxed);
	st->bad_releases =
		atomic_load_explicit(&shm->bad_releases, memory_order_relaxed);
	st->wakeups = atomic_load_explicit(&shm->wakeups, memory_order_relaxed);
	if (pool->remote) {
		/* The shared counters are the owner's; what this handle
		 * holds and its own bad releases are local. */
		st->in_use = px_pool_remote_held(pool);
		st->bad_releases = atomic_load_explicit(
			&pool->remote->bad_releases, memory_order_relaxed);
	}
}

PX_API void px_pool_count_copy(struct px_pool *pool, uint64_t bytes)
{
	if (pool->remote)
		return; /* its counters are the owner's, mapped read-only */
	atomic_fetch_add_explicit(&pool->shm->bytes_copied, bytes,
				  memory_order_relaxed);
}
