// SPDX-License-Identifier: MIT
/*
 * test_segment.c - px_segment: every backend, the shared header and its
 * validation, the hugetlb fallback chain and real 2 MiB pages (root), NUMA
 * binding, and bad configs that must leave nothing mapped or open.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "px_pool.h"
#include "px_segment.h"
#include "px_segment_int.h"
#include "px_test.h"

#define MiB (1ul << 20)
#define HP2M_DIR "/sys/kernel/mm/hugepages/hugepages-2048kB/"

static long read_long(const char *path)
{
	long v = -1;
	FILE *f = fopen(path, "re");

	if (f) {
		if (fscanf(f, "%ld", &v) != 1)
			v = -1;
		fclose(f);
	}
	return v;
}

static bool write_long(const char *path, long v)
{
	FILE *f = fopen(path, "we");
	bool ok;

	if (!f)
		return false;
	ok = fprintf(f, "%ld\n", v) > 0;
	return fclose(f) == 0 && ok;
}

/* Touch every page: a segment must never SIGBUS on first use. */
static void fill_check(struct px_segment *seg)
{
	uint8_t *p = seg->base;

	for (size_t off = PX_SEGMENT_HEADER_SIZE; off < seg->size; off += 4096)
		p[off] = (uint8_t)(off >> 12);
	for (size_t off = PX_SEGMENT_HEADER_SIZE; off < seg->size; off += 4096)
		ck_assert_uint_eq(p[off], (uint8_t)(off >> 12));
}

START_TEST(test_segment_heap)
{
	struct px_segment_config cfg = { .size = 10000, .numa_node = -1 };
	struct px_segment *seg = NULL;

	ck_assert_int_eq(px_segment_create(&cfg, &seg), 0);
	ck_assert_ptr_nonnull(seg);
	ck_assert_uint_eq((uintptr_t)seg->base % 4096, 0);
	ck_assert_uint_eq(seg->size, 12288); /* rounded to pages */
	ck_assert_int_eq(seg->fd, -1);
	ck_assert_int_eq(seg->kind, PX_SEGMENT_HEAP);
	ck_assert_int_eq(seg->page, PX_PAGE_4K);
	ck_assert_uint_eq(seg->page_size, 4096);
	ck_assert_int_eq(seg->numa_node, -1);
	ck_assert(seg->created);
	ck_assert_int_eq(px__segment_check_header(seg->base, seg->size), 0);
	/* The header says who we are and how big. */
	const struct px__segment_hdr *h = seg->base;
	ck_assert_uint_eq(h->magic, PX__SEGMENT_MAGIC);
	ck_assert_uint_eq(h->version, PX__SEGMENT_VERSION);
	ck_assert_uint_eq(h->layout_size, seg->size);
	fill_check(seg);
	ck_assert_int_eq(px_segment_sync(seg), 0);
	px_segment_destroy(seg);
	px_segment_destroy(NULL);
	/* Prefaulted up front: an error now instead of a fault later. */
	cfg.populate = true;
	ck_assert_int_eq(px_segment_create(&cfg, &seg), 0);
	fill_check(seg);
	px_segment_destroy(seg);
}
END_TEST

START_TEST(test_segment_memfd)
{
	struct px_segment_config cfg = { .kind = PX_SEGMENT_MEMFD, .size = MiB,
					 .name = "px-seg-memfd",
					 .numa_node = -1 };
	struct px_segment *seg, *peer;
	int fds = px_test_count_fds(), seals;

	ck_assert_int_eq(px_segment_create(&cfg, &seg), 0);
	ck_assert_int_ge(seg->fd, 0);
	ck_assert_int_eq(seg->page, PX_PAGE_4K);
	seals = fcntl(seg->fd, F_GET_SEALS);
	ck_assert_int_eq(seals & (F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL),
			 F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL);
	/* Sealed: neither shrink nor grow. */
	ck_assert_int_eq(ftruncate(seg->fd, 4096), -1);
	ck_assert_int_eq(errno, EPERM);
	ck_assert_int_eq(ftruncate(seg->fd, 2 * MiB), -1);

	/* A second mapping through the fd sees the same bytes. */
	ck_assert_int_eq(px_segment_map_fd(seg->fd, true, &peer), 0);
	ck_assert_ptr_ne(peer->base, seg->base);
	ck_assert_uint_eq(peer->size, seg->size);
	ck_assert_int_eq(peer->kind, PX_SEGMENT_MEMFD);
	ck_assert(peer->readonly);
	ck_assert(!peer->created);
	ck_assert_int_ne(peer->fd, seg->fd); /* its own dup */
	((char *)seg->base)[4096] = 'x';
	ck_assert_int_eq(((char *)peer->base)[4096], 'x');
	ck_assert_int_eq(px_test_count_maps("px-seg-memfd"), 2);
	px_segment_destroy(peer);
	px_segment_destroy(seg);
	ck_assert_int_eq(px_test_count_fds(), fds);
	ck_assert_int_eq(px_test_count_maps("px-seg-memfd"), 0);
}
END_TEST

/* A memfd holding a copy of a real header, then @mangle'd. */
static int forged_memfd(bool seal, void (*mangle)(struct px__segment_hdr *h))
{
	struct px__segment_hdr h = {
		.magic = PX__SEGMENT_MAGIC,
		.version = PX__SEGMENT_VERSION,
		.header_size = sizeof(h),
		.layout_size = 8192,
		.kind = PX_SEGMENT_MEMFD,
		.page = PX_PAGE_4K,
		.page_size = 4096,
	};
	int fd = memfd_create("px-seg-forged", MFD_CLOEXEC | MFD_ALLOW_SEALING);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(ftruncate(fd, 8192), 0);
	if (mangle)
		mangle(&h);
	ck_assert_int_eq(pwrite(fd, &h, sizeof(h), 0), (ssize_t)sizeof(h));
	if (seal)
		ck_assert_int_eq(px__segment_seal(fd), 0);
	return fd;
}

static void bad_magic(struct px__segment_hdr *h) { h->magic ^= 1; }
static void bad_version(struct px__segment_hdr *h) { h->version = 99; }
static void bad_layout(struct px__segment_hdr *h) { h->layout_size = 4096; }
static void heap_kind(struct px__segment_hdr *h) { h->kind = PX_SEGMENT_HEAP; }

START_TEST(test_segment_map_fd_invalid)
{
	void (*const mangles[])(struct px__segment_hdr *) = {
		bad_magic, bad_version, bad_layout, heap_kind,
	};
	struct px_segment *seg = NULL;
	int fds = px_test_count_fds(), fd;

	/* The unmangled forgery is accepted: the rejections below are real. */
	fd = forged_memfd(true, NULL);
	ck_assert_int_eq(px_segment_map_fd(fd, false, &seg), 0);
	px_segment_destroy(seg);
	seg = NULL;
	close(fd);

	for (size_t i = 0; i < PX_ARRAY_SIZE(mangles); i++) {
		fd = forged_memfd(true, mangles[i]);
		ck_assert_int_eq(px_segment_map_fd(fd, false, &seg), -EINVAL);
		ck_assert_ptr_null(seg);
		ck_assert_int_eq(px_test_count_maps("px-seg-forged"), 0);
		close(fd);
	}
	/* An unsealed memfd could shrink under us: refused. */
	fd = forged_memfd(false, NULL);
	ck_assert_int_eq(px_segment_map_fd(fd, false, &seg), -EINVAL);
	close(fd);
	/* Too small to hold a header, and not a descriptor at all. */
	fd = memfd_create("px-seg-forged", MFD_CLOEXEC);
	ck_assert_int_eq(px_segment_map_fd(fd, false, &seg), -EINVAL);
	close(fd);
	ck_assert_int_eq(px_segment_map_fd(-1, false, &seg), -EBADF);
	ck_assert_int_eq(px_test_count_fds(), fds);
	ck_assert_int_eq(px_test_count_maps("px-seg-forged"), 0);
}
END_TEST

START_TEST(test_segment_file)
{
	char path[512];
	struct px_segment_config cfg = { .kind = PX_SEGMENT_FILE, .size = MiB,
					 .create = true, .numa_node = -1 };
	struct px_segment *seg, *again = NULL;
	struct px__segment_hdr bad = { 0 };
	int fds = px_test_count_fds(), fd;

	snprintf(path, sizeof(path), "%s/seg-file.px", px_test_tmpdir());
	cfg.path = path;
	ck_assert_int_eq(px_segment_create(&cfg, &seg), 0);
	ck_assert_int_ge(seg->fd, 0);
	ck_assert(seg->created);
	memcpy((char *)seg->base + 8192, "persist", 8);
	px_segment_destroy(seg);

	/* Creating it twice is refused, reopening validates and maps it. */
	ck_assert_int_eq(px_segment_create(&cfg, &again), -EEXIST);
	cfg.create = false;
	cfg.size = 0;
	ck_assert_int_eq(px_segment_create(&cfg, &seg), 0);
	ck_assert(!seg->created);
	ck_assert_uint_eq(seg->size, MiB);
	ck_assert_str_eq((char *)seg->base + 8192, "persist");
	ck_assert_int_eq(px_segment_sync(seg), 0);
	px_segment_destroy(seg);

	/* A wrong magic on disk: -EINVAL, nothing mapped or open. */
	fd = open(path, O_RDWR);
	ck_assert_int_eq(pwrite(fd, &bad, sizeof(bad), 0), (ssize_t)sizeof(bad));
	close(fd);
	ck_assert_int_eq(px_segment_create(&cfg, &again), -EINVAL);
	ck_assert_ptr_null(again);
	ck_assert_int_eq(px_test_count_maps("seg-file.px"), 0);

	cfg.path = "/nonexistent/px/seg";
	ck_assert_int_eq(px_segment_create(&cfg, &again), -ENOENT);
	ck_assert_int_eq(px_test_count_fds(), fds);
	unlink(path);
}
END_TEST

START_TEST(test_segment_bad_config)
{
	struct px_segment_config ok = { .size = MiB, .numa_node = -1 }, c;
	struct px_segment *seg = NULL;
	int fds = px_test_count_fds();

	c = ok;
	c.size = 0;
	ck_assert_int_eq(px_segment_create(&c, &seg), -EINVAL);
	c = ok;
	c.size = 16; /* smaller than the header */
	ck_assert_int_eq(px_segment_create(&c, &seg), -EINVAL);
	c = ok;
	c.kind = (enum px_segment_kind)42;
	ck_assert_int_eq(px_segment_create(&c, &seg), -EINVAL);
	c = ok;
	c.kind = PX_SEGMENT_HUGETLB;
	c.huge_page_size = 3 * MiB;
	ck_assert_int_eq(px_segment_create(&c, &seg), -EINVAL);
	c = ok;
	c.kind = PX_SEGMENT_FILE;
	ck_assert_int_eq(px_segment_create(&c, &seg), -EINVAL); /* no path */
	c = ok;
	c.numa_bind = true;
	c.numa_node = -2;
	ck_assert_int_eq(px_segment_create(&c, &seg), -EINVAL);
	c = ok;
	c.size = SIZE_MAX - 4095;
	ck_assert_int_eq(px_segment_create(&c, &seg), -EINVAL);
	ck_assert_int_eq(px_segment_create(NULL, &seg), -EINVAL);
	ck_assert_ptr_null(seg);
	ck_assert_int_eq(px_test_count_fds(), fds);
}
END_TEST

/*
 * The hugetlb tests (of this and other build trees, which ctest may run in
 * parallel) take turns: each sees the pages it reserved. Released at exit.
 */
static void hp_lock(void)
{
	/* Read-only is enough for flock, and works on a lock file another
	 * user (root, in CI's first pass) created. */
	int fd = open("/tmp/parallax-hugetlb-test.lock", O_RDONLY | O_CREAT,
		      0666);

	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(flock(fd, LOCK_EX), 0);
}

static bool hp_none_free(void)
{
	return read_long(HP2M_DIR "free_hugepages") <= 0;
}

START_TEST(test_segment_hugetlb_fallback)
{
	struct px_segment_config cfg = { .kind = PX_SEGMENT_HUGETLB,
					 .size = 3 * MiB, .name = "px-seg-huge",
					 .numa_node = -1 };
	struct px_segment *seg = NULL;
	int fds, ret;
	bool none;

	hp_lock();
	fds = px_test_count_fds();
	/* "No page free" is checked before and after each create: the 2m
	 * test may run in parallel and reserve some in between. */
	for (int shareable = 0; shareable < 2; shareable++) {
		cfg.shareable = shareable;
		none = hp_none_free();
		ck_assert_int_eq(px_segment_create(&cfg, &seg), 0);
		ck_assert_int_eq(seg->kind, PX_SEGMENT_HUGETLB);
		switch (seg->page) {
		case PX_PAGE_1G:
			ck_assert_uint_eq(seg->page_size, 1ul << 30);
			break;
		case PX_PAGE_2M:
		case PX_PAGE_THP:
			ck_assert_uint_eq(seg->page_size, 2 * MiB);
			break;
		case PX_PAGE_4K:
			ck_assert_uint_eq(seg->page_size, 4096);
			break;
		}
		/* Whole pages of what it got, base aligned to them. */
		ck_assert_uint_eq(seg->size % seg->page_size, 0);
		ck_assert_uint_ge(seg->size, 3 * MiB);
		ck_assert_uint_eq((uintptr_t)seg->base % seg->page_size, 0);
		if (none && hp_none_free())
			ck_assert_int_ne(seg->page, PX_PAGE_2M);
		ck_assert_int_eq(seg->fd >= 0, shareable);
		fill_check(seg);
		px_segment_destroy(seg);
	}
	/* No 1 GiB support or no free pages: a clear error, no fallback. */
	cfg.shareable = false;
	cfg.require_huge = true;
	cfg.huge_page_size = 1ul << 30;
	if (access("/sys/kernel/mm/hugepages/hugepages-1048576kB", F_OK) != 0)
		ck_assert_int_eq(px_segment_create(&cfg, &seg), -EOPNOTSUPP);
	cfg.huge_page_size = 2 * MiB;
	for (int shareable = 0; shareable < 2; shareable++) {
		/* Shareable: memfd create and truncate pass even without
		 * pages; the segment must still say -ENOMEM, not SIGBUS later. */
		cfg.shareable = shareable;
		none = hp_none_free();
		ret = px_segment_create(&cfg, &seg);
		if (access(HP2M_DIR, F_OK) != 0) {
			ck_assert_int_eq(ret, -EOPNOTSUPP);
		} else if (ret == 0) {
			ck_assert_int_eq(seg->page, PX_PAGE_2M);
			fill_check(seg);
			px_segment_destroy(seg);
		} else {
			ck_assert_int_eq(ret, -ENOMEM);
		}
		if (access(HP2M_DIR, F_OK) == 0 && none && hp_none_free())
			ck_assert_int_eq(ret, -ENOMEM);
	}
	ck_assert_int_eq(px_test_count_fds(), fds);
	ck_assert_int_eq(px_test_count_maps("px-seg-huge"), 0);
}
END_TEST

#define HP_ADD 4
static bool hp_added;

/* Give back exactly what we added (others may have changed the count). */
static void hp_restore(void)
{
	long nr = read_long(HP2M_DIR "nr_hugepages");

	if (hp_added && nr >= HP_ADD)
		write_long(HP2M_DIR "nr_hugepages", nr - HP_ADD);
	hp_added = false;
}

/* KernelPageSize (KiB) of the mapping that holds @addr, or -1. */
static long kernel_page_kb(const void *addr)
{
	FILE *f = fopen("/proc/self/smaps", "re");
	unsigned long lo, hi;
	char line[256];
	bool in = false;
	long kb = -1;

	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx ", &lo, &hi) == 2)
			in = (uintptr_t)addr >= lo && (uintptr_t)addr < hi;
		else if (in && sscanf(line, "KernelPageSize: %ld kB", &kb) == 1)
			break;
	}
	fclose(f);
	return kb;
}

START_TEST(test_segment_hugetlb_2m)
{
	struct px_segment_config cfg = { .kind = PX_SEGMENT_HUGETLB,
					 .size = 3 * MiB, .name = "px-seg-2m",
					 .huge_page_size = 2 * MiB,
					 .require_huge = true, .numa_node = -1 };
	struct px_segment *seg, *peer;
	long nr;

	if (!px_test_is_root())
		PX_SKIP("reserving huge pages needs root");
	if (access(HP2M_DIR, F_OK) != 0)
		PX_SKIP("the kernel has no 2 MiB huge pages");
	hp_lock();
	nr = read_long(HP2M_DIR "nr_hugepages");
	ck_assert_int_ge(nr, 0);
	atexit(hp_restore); /* also on a failed assertion */
	hp_added = write_long(HP2M_DIR "nr_hugepages", nr + HP_ADD);
	if (!hp_added || read_long(HP2M_DIR "free_hugepages") < HP_ADD) {
		hp_restore();
		PX_SKIP("could not reserve 4 huge pages (memory fragmented)");
	}

	ck_assert_int_eq(px_segment_create(&cfg, &seg), 0);
	ck_assert_int_eq(seg->page, PX_PAGE_2M);
	ck_assert_uint_eq(seg->page_size, 2 * MiB);
	ck_assert_uint_eq(seg->size, 4 * MiB); /* whole huge pages */
	ck_assert_int_eq(kernel_page_kb(seg->base), 2048); /* the kernel agrees */
	fill_check(seg);
	px_segment_destroy(seg);

	/* The shareable variant: a hugetlb memfd another mapper can map. */
	cfg.shareable = true;
	ck_assert_int_eq(px_segment_create(&cfg, &seg), 0);
	ck_assert_int_eq(seg->page, PX_PAGE_2M);
	ck_assert_int_ge(seg->fd, 0);
	ck_assert_int_eq(px_segment_map_fd(seg->fd, false, &peer), 0);
	ck_assert_int_eq(peer->page, PX_PAGE_2M);
	ck_assert_int_eq(kernel_page_kb(peer->base), 2048);
	ck_assert_int_eq(peer->kind, PX_SEGMENT_HUGETLB);
	((char *)seg->base)[3 * MiB] = 'h';
	ck_assert_int_eq(((char *)peer->base)[3 * MiB], 'h');
	px_segment_destroy(peer);
	px_segment_destroy(seg);

	/* Best size (0) with pages free picks hugetlb as well. */
	cfg.shareable = false;
	cfg.huge_page_size = 0;
	cfg.require_huge = false;
	ck_assert_int_eq(px_segment_create(&cfg, &seg), 0);
	ck_assert_int_eq(seg->page, PX_PAGE_2M);
	px_segment_destroy(seg);

	/* A pool on shareable 2 MiB pages, attached readonly elsewhere. */
	struct px_pool_config pcfg = { .slot_size = 4096, .slots = 1100,
				       .segment = cfg };
	struct px_pool *pool, *ro;
	uint32_t s;
	int p[2];

	pcfg.segment.shareable = true;
	pcfg.segment.size = 0; /* just enough: 3 huge pages */
	pcfg.segment.require_huge = true;
	ck_assert_int_eq(px_pool_create(&pcfg, &pool), 0);
	ck_assert_int_eq(px_pool_segment(pool)->page, PX_PAGE_2M);
	ck_assert_int_eq(px_segment_map_fd(px_pool_segment(pool)->fd, true,
					   &peer), 0);
	ck_assert_int_eq(px_pool_attach(peer, &ro), 0);
	/* Slot 600 lies in the second huge page: protected whole. */
	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_eq(write(p[1], "abcd", 4), 4);
	ck_assert_int_eq(read(p[0], px_pool_slot_data(ro, 600), 4), -1);
	ck_assert_int_eq(errno, EFAULT);
	close(p[0]);
	close(p[1]);
	ck_assert_int_eq(px_pool_loan(pool, &s), 0);
	px_pool_release(ro, s);
	ck_assert_uint_eq(px_pool_available(pool), 1100);
	px_pool_destroy(ro);
	px_segment_destroy(peer);
	px_pool_destroy(pool);
	hp_restore();
}
END_TEST

/* The memory policy of the page at ADDR (MPOL_DEFAULT 0: not bound). */
static int policy_of(void *addr)
{
	int mode = -1;

	ck_assert_int_eq(syscall(SYS_get_mempolicy, &mode, NULL, 0UL, addr,
				 2UL /* MPOL_F_ADDR */),
			 0);
	return mode;
}

START_TEST(test_segment_numa)
{
	struct px_segment_config cfg = { .kind = PX_SEGMENT_MEMFD, .size = MiB,
					 .numa_bind = true, .numa_node = 0 };
	struct px_segment_config zeroed = { .size = MiB };
	struct px_segment *seg = NULL;
	int fds = px_test_count_fds();

	if (px__numa_node_check(0) == -ENOSYS)
		PX_SKIP("kernel without NUMA support");
	/* A zeroed config (numa_node 0, no numa_bind) binds nothing. */
	for (int k = PX_SEGMENT_HEAP; k <= PX_SEGMENT_MEMFD; k++) {
		zeroed.kind = (enum px_segment_kind)k;
		ck_assert_int_eq(px_segment_create(&zeroed, &seg), 0);
		ck_assert_int_eq(seg->numa_node, -1);
		ck_assert_int_eq(policy_of(seg->base), 0);
		px_segment_destroy(seg);
		seg = NULL;
	}
	for (int k = PX_SEGMENT_HEAP; k <= PX_SEGMENT_MEMFD; k++) {
		cfg.kind = (enum px_segment_kind)k;
		ck_assert_int_eq(px_segment_create(&cfg, &seg), 0);
		ck_assert_int_eq(seg->numa_node, 0);
		ck_assert_int_ne(policy_of(seg->base), 0);
		ck_assert_int_eq(px_segment_query_node(seg, 0), 0);
		ck_assert_int_eq(px_segment_query_node(seg, seg->size - 1), 0);
		ck_assert_int_eq(px_segment_query_node(seg, seg->size), -EINVAL);
		px_segment_destroy(seg);
		seg = NULL;
	}
	cfg.numa_node = 1000;
	ck_assert_int_eq(px_segment_create(&cfg, &seg), -ENODEV);
	ck_assert_ptr_null(seg);
	ck_assert_int_eq(px_test_count_fds(), fds);
}
END_TEST

START_TEST(test_segment_names)
{
	ck_assert_str_eq(px_page_kind_name(PX_PAGE_4K), "4k");
	ck_assert_str_eq(px_page_kind_name(PX_PAGE_THP), "thp");
	ck_assert_str_eq(px_page_kind_name(PX_PAGE_2M), "2m");
	ck_assert_str_eq(px_page_kind_name(PX_PAGE_1G), "1g");
	ck_assert_str_eq(px_page_kind_name((enum px_page_kind)9), "unknown");
	ck_assert_str_eq(px_segment_kind_name(PX_SEGMENT_FILE), "file");
	ck_assert_str_eq(px_segment_kind_name((enum px_segment_kind)9),
			 "unknown");
}
END_TEST

static Suite *segment_suite(void)
{
	Suite *s = suite_create("segment");

	tcase_add_test(px_tcase(s, "heap"), test_segment_heap);
	tcase_add_test(px_tcase(s, "memfd"), test_segment_memfd);
	tcase_add_test(px_tcase(s, "map_fd_invalid"), test_segment_map_fd_invalid);
	tcase_add_test(px_tcase(s, "file"), test_segment_file);
	tcase_add_test(px_tcase(s, "bad_config"), test_segment_bad_config);
	tcase_add_test(px_tcase(s, "hugetlb_fallback"),
		       test_segment_hugetlb_fallback);
	tcase_add_test(px_tcase(s, "hugetlb_2m"), test_segment_hugetlb_2m);
	tcase_add_test(px_tcase(s, "numa"), test_segment_numa);
	tcase_add_test(px_tcase(s, "names"), test_segment_names);
	return s;
}

PX_TEST_MAIN(segment_suite)
