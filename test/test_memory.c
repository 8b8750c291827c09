// SPDX-License-Identifier: MIT
/*
 * test_memory.c - memory choices (px_memory.h): the text form both ways
 * with its error sentences, how a choice becomes a pool's segment (shared
 * pools included), the pipeline setting and the per-element property, and
 * what the stats JSON says each pool got. Huge pages that must be reserved
 * are it_memory.sh's part.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "pipeline_int.h"
#include "px_memory.h"
#include "px_pipeline.h"
#include "px_test.h"

START_TEST(test_memory_text)
{
	static const char *const round[] = {
		"auto",		  "heap",	    "thp",
		"memfd",	  "hugetlb",	    "hugetlb-1g",
		"hugetlb,require", "file:/mnt/pools", "thp,node=1",
		"heap,node=none",  "hugetlb-1g,require,node=0",
	};
	struct px_memory m;
	char buf[PX_MEMORY_DIR_MAX + 64], why[512];

	for (unsigned i = 0; i < PX_ARRAY_SIZE(round); i++) {
		ck_assert_msg(px_memory_parse(round[i], &m, why, sizeof(why)) ==
				      0,
			      "%s: %s", round[i], why);
		px_memory_format(&m, buf, sizeof(buf));
		ck_assert_str_eq(buf, round[i]);
	}
	ck_assert_int_eq(px_memory_parse("hugetlb,require,node=2", &m, NULL, 0),
			 0);
	ck_assert_int_eq(m.kind, PX_MEMORY_HUGETLB);
	ck_assert(m.require && m.numa_fixed);
	ck_assert_int_eq(m.numa_node, 2);
	ck_assert_int_eq(px_memory_parse("file:/a/b", &m, NULL, 0), 0);
	ck_assert_int_eq(m.kind, PX_MEMORY_FILE);
	ck_assert_str_eq(m.dir, "/a/b");

	/* Refusals say what is wrong; OUT is untouched. */
	m.kind = PX_MEMORY_THP;
	ck_assert_int_eq(px_memory_parse("hugtlb", &m, why, sizeof(why)),
			 -EINVAL);
	ck_assert_str_eq(why, "unknown memory kind 'hugtlb' (one of auto, "
			      "heap, thp, memfd, hugetlb, hugetlb-1g, "
			      "file:DIR)");
	ck_assert_int_eq(m.kind, PX_MEMORY_THP);
	ck_assert_int_eq(px_memory_parse("file:pools", &m, why, sizeof(why)),
			 -EINVAL);
	ck_assert_ptr_nonnull(strstr(why, "absolute path"));
	ck_assert_int_eq(px_memory_parse("file:", &m, why, sizeof(why)),
			 -EINVAL);
	ck_assert_int_eq(px_memory_parse("heap,fast", &m, why, sizeof(why)),
			 -EINVAL);
	ck_assert_ptr_nonnull(strstr(why, "unknown memory option 'fast'"));
	ck_assert_int_eq(px_memory_parse("heap,node=x", &m, why, sizeof(why)),
			 -EINVAL);
	ck_assert_ptr_nonnull(strstr(why, "node= takes"));
	ck_assert_int_eq(px_memory_parse("heap,,require", &m, why, sizeof(why)),
			 -EINVAL);
	ck_assert_int_eq(px_memory_parse("", &m, why, sizeof(why)), -EINVAL);
	ck_assert_int_eq(px_memory_parse("require", &m, why, sizeof(why)),
			 -EINVAL); /* the kind comes first */
}
END_TEST

/* A choice made concrete: the segment each kind asks for, alone and when
 * the pool's buffers reach another process. */
START_TEST(test_memory_plan)
{
	struct px__memory_plan pl;
	struct px_memory m = { .kind = PX_MEMORY_AUTO };

	ck_assert_int_eq(px__memory_plan(&m, false, 3, "/x", &pl), 0);
	ck_assert_int_eq(pl.seg.kind, PX_SEGMENT_HEAP);
	ck_assert_int_eq(pl.seg.numa_node, 3); /* the reactor's node */
	ck_assert(pl.quiet);
	ck_assert(pl.seg.populate); /* resident from the start */
	ck_assert_int_eq(px__memory_plan(&m, true, -1, "/x", &pl), 0);
	ck_assert_int_eq(pl.seg.kind, PX_SEGMENT_HUGETLB); /* as always */
	ck_assert(pl.seg.shareable);

	m.kind = PX_MEMORY_HEAP;
	ck_assert_int_eq(px__memory_plan(&m, true, 0, "/x", &pl), 0);
	ck_assert_int_eq(pl.seg.kind, PX_SEGMENT_MEMFD); /* shareable */
	ck_assert(!pl.quiet);

	m.kind = PX_MEMORY_THP;
	ck_assert_int_eq(px__memory_plan(&m, false, 0, "/x", &pl), 0);
	ck_assert_int_eq(pl.seg.kind, PX_SEGMENT_HEAP);
	ck_assert(pl.seg.transparent_huge);
	ck_assert_int_eq(pl.want, PX_PAGE_THP);

	m = (struct px_memory){ .kind = PX_MEMORY_HUGETLB, .require = true,
				.numa_fixed = true, .numa_node = -1 };
	ck_assert_int_eq(px__memory_plan(&m, true, 1, "/x", &pl), 0);
	ck_assert_int_eq(pl.seg.kind, PX_SEGMENT_HUGETLB);
	ck_assert_uint_eq(pl.seg.huge_page_size, 2u << 20);
	ck_assert(pl.seg.require_huge && pl.seg.shareable);
	ck_assert_int_eq(pl.seg.numa_node, -1); /* node=none beats the reactor */
	ck_assert_int_eq(pl.want, PX_PAGE_2M);

	m = (struct px_memory){ .kind = PX_MEMORY_HUGETLB_1G };
	ck_assert_int_eq(px__memory_plan(&m, false, 0, "/x", &pl), 0);
	ck_assert_uint_eq(pl.seg.huge_page_size, 1u << 30);
	ck_assert(!pl.seg.require_huge);

	m = (struct px_memory){ .kind = PX_MEMORY_FILE, .dir = "/d" };
	ck_assert_int_eq(px__memory_plan(&m, false, 0, "/d/p", &pl), 0);
	ck_assert_int_eq(pl.seg.kind, PX_SEGMENT_FILE);
	ck_assert_str_eq(pl.seg.path, "/d/p");
	ck_assert(pl.seg.create);
	ck_assert(!pl.seg.populate); /* may be larger than RAM on purpose */
	/* Another process maps only a sealed memfd: file gives way, or
	 * refuses with require. */
	ck_assert_int_eq(px__memory_plan(&m, true, 0, "/d/p", &pl), 0);
	ck_assert_int_eq(pl.seg.kind, PX_SEGMENT_MEMFD);
	ck_assert(pl.file_to_memfd);
	m.require = true;
	ck_assert_int_eq(px__memory_plan(&m, true, 0, "/d/p", &pl), -EXDEV);
}
END_TEST

/* The stats JSON of a finished run of P, malloc'ed. */
static char *stats_of(struct px_pipeline *p)
{
	char *doc = NULL;
	size_t size = 0;
	FILE *f = open_memstream(&doc, &size);

	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(px_pipeline_write_stats_json(p, f), 0);
	fclose(f);
	return doc;
}

static struct px_pipeline *run(const char *launch, const struct px_memory *m)
{
	struct px_pipeline *p = NULL;
	struct px_message msg;

	ck_assert_int_eq(px_pipeline_parse(launch, &p, NULL), 0);
	if (m)
		ck_assert_int_eq(px_pipeline_set_memory(p, m), 0);
	ck_assert_int_eq(px_pipeline_play(p), 0);
	ck_assert_int_eq(px_pipeline_wait(p, -1, &msg), 0);
	ck_assert_int_eq(msg.type, PX_MSG_EOS);
	ck_assert_int_eq(px_pipeline_stop(p), 0);
	return p;
}

/* Every page of every pool of P is in memory (mincore) before a buffer
 * flowed: pools are populated at start, on every backend (epoll and a
 * short RLIMIT_MEMLOCK register nothing, which would fault them in). */
static void pools_resident(struct px_pipeline *p)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE);
	unsigned n = 0;
	struct px_list *pos;

	px_list_for_each(pos, &p->pools) {
		struct px__epool *ep =
			px_container_of(pos, struct px__epool, node);
		const struct px_segment *seg = px_pool_segment(ep->pool);
		size_t pages = (seg->size + page - 1) / page, in = 0;
		unsigned char *vec = malloc(pages);

		ck_assert_ptr_nonnull(vec);
		ck_assert_int_eq(mincore(seg->base, seg->size, vec), 0);
		for (size_t i = 0; i < pages; i++)
			in += vec[i] & 1;
		ck_assert_msg(in == pages, "pool %s: %zu of %zu pages resident",
			      ep->name, in, pages);
		free(vec);
		n++;
	}
	ck_assert_uint_eq(n, 2);
}

START_TEST(test_memory_pipeline)
{
	struct px_memory memfd = { .kind = PX_MEMORY_MEMFD };
	struct px_pipeline *p;
	struct px_element *b;
	char *doc, val[64];

	/* The pipeline's choice, and one element's own. */
	p = run("fakesrc name=a num-buffers=10 ! fakesink "
		"fakesrc name=b num-buffers=10 memory=heap ! fakesink",
		&memfd);
	doc = stats_of(p);
	ck_assert_msg(strstr(doc, "\"name\":\"a.pool\"") &&
			      strstr(doc, "\"segment\":\"memfd\",\"page\":"
					  "\"4k\""),
		      "%s", doc);
	ck_assert_msg(strstr(doc, "\"segment\":\"heap\",\"page\":\"4k\"") &&
			      strstr(doc, "\"memory\":\"heap\"") &&
			      strstr(doc, "\"memory\":\"memfd\""),
		      "%s", doc);
	/* Registered where the locked-memory limit allows (root has
	 * CAP_IPC_LOCK; epoll pins nothing); on io_uring as a user with
	 * 8 MiB, these 16 MiB pools run unregistered, and the stats say so. */
	if (px_test_is_root() ||
	    px_backend_default(NULL) == PX_BACKEND_EPOLL)
		ck_assert_ptr_nonnull(strstr(doc, "\"registered\":true"));
	else
		ck_assert_ptr_nonnull(strstr(doc, "\"registered\":"));
	free(doc);
	b = px_pipeline_find(p, "b");
	ck_assert_int_gt(px_element_get(b, "memory", val, sizeof(val)), 0);
	ck_assert_str_eq(val, "heap");
	ck_assert_int_gt(px_element_get(px_pipeline_find(p, "a"), "memory",
					val, sizeof(val)),
			 0);
	ck_assert_str_eq(val, "auto");
	ck_assert_int_eq(px_pipeline_memory(p)->kind, PX_MEMORY_MEMFD);

	/* Not while pools exist; bad values refused with a sentence. */
	ck_assert_int_eq(px_element_set(b, "memory", "bigpages"), -EINVAL);
	ck_assert_ptr_nonnull(strstr(px_pipeline_error(p),
				     "property 'memory' of b: unknown memory "
				     "kind 'bigpages'"));
	ck_assert_int_eq(px_element_set_string(b, "memory", "thp"), 0);
	ck_assert_int_eq(px_pipeline_set_memory(
				 p, &(struct px_memory){ .kind = 42 }),
			 -EINVAL);
	ck_assert_int_eq(px_pipeline_set_memory(
				 p, &(struct px_memory){
					    .kind = PX_MEMORY_FILE,
					    .dir = "rel" }),
			 -EINVAL);
	ck_assert_int_eq(px_pipeline_set_state(p, PX_STATE_PAUSED), 0);
	pools_resident(p);
	ck_assert_int_eq(px_pipeline_set_memory(p, &memfd), -EBUSY);
	ck_assert_ptr_nonnull(strstr(px_pipeline_error(p),
				     "cannot change the memory"));
	ck_assert_int_eq(px_element_set(b, "memory", "heap"), -EBUSY);
	px_pipeline_destroy(p);
}
END_TEST

static Suite *memory_suite(void)
{
	Suite *s = suite_create("memory");

	tcase_add_test(px_tcase(s, "text"), test_memory_text);
	tcase_add_test(px_tcase(s, "plan"), test_memory_plan);
	tcase_add_test(px_tcase(s, "pipeline"), test_memory_pipeline);
	return s;
}

PX_TEST_MAIN(memory_suite)
