// SPDX-License-Identifier: MIT
/*
 * memory.c - memory choices (px_memory.h): their text form, and how one
 * becomes a segment configuration for an element's pool.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pipeline_int.h"
#include "px_memory.h"

static const char *const kind_names[] = {
	[PX_MEMORY_AUTO] = "auto",	   [PX_MEMORY_HEAP] = "heap",
	[PX_MEMORY_THP] = "thp",	   [PX_MEMORY_MEMFD] = "memfd",
	[PX_MEMORY_HUGETLB] = "hugetlb",   [PX_MEMORY_HUGETLB_1G] = "hugetlb-1g",
	[PX_MEMORY_FILE] = "file",
};

#define KIND_LIST "auto, heap, thp, memfd, hugetlb, hugetlb-1g, file:DIR"

PX_API const char *px_memory_kind_name(enum px_memory_kind kind)
{
	return (unsigned)kind < PX_ARRAY_SIZE(kind_names) ? kind_names[kind] :
							    "unknown";
}

PX_PRINTF(3, 4)
static int bad(char *why, size_t len, const char *fmt, ...)
{
	va_list ap;

	if (why && len) {
		va_start(ap, fmt);
		vsnprintf(why, len, fmt, ap);
		va_end(ap);
	}
	return -EINVAL;
}

/* The kind word W (N bytes, "file:DIR" included) into M. */
static int parse_kind(const char *w, size_t n, struct px_memory *m,
		      char *why, size_t len)
{
	if (n > 5 && !strncmp(w, "file:", 5)) {
		if (w[5] != '/')
			return bad(why, len,
				   "'%.*s': the directory of file: must be an "
				   "absolute path",
				   (int)n, w);
		if (n - 5 >= sizeof(m->dir))
			return bad(why, len, "'%.*s': directory too long",
				   (int)n, w);
		m->kind = PX_MEMORY_FILE;
		memcpy(m->dir, w + 5, n - 5);
		m->dir[n - 5] = '\0';
		return 0;
	}
	for (unsigned k = 0; k < PX_ARRAY_SIZE(kind_names); k++)
		if (k != PX_MEMORY_FILE && strlen(kind_names[k]) == n &&
		    !strncmp(w, kind_names[k], n)) {
			m->kind = (enum px_memory_kind)k;
			return 0;
		}
	return bad(why, len, "unknown memory kind '%.*s' (one of " KIND_LIST
			     ")",
		   (int)n, w);
}

/* An option word W (N bytes) after the kind. */
static int parse_option(const char *w, size_t n, struct px_memory *m,
			char *why, size_t len)
{
	char num[16], *end;
	long node;

	if (n == 7 && !strncmp(w, "require", 7)) {
		m->require = true;
		return 0;
	}
	if (n > 5 && !strncmp(w, "node=", 5)) {
		if (n == 9 && !strncmp(w + 5, "none", 4)) {
			m->numa_fixed = true;
			m->numa_node = -1;
			return 0;
		}
		if (n - 5 < sizeof(num)) {
			memcpy(num, w + 5, n - 5);
			num[n - 5] = '\0';
			node = strtol(num, &end, 10);
			if (end != num && !*end && node >= 0 && node < 4096) {
				m->numa_fixed = true;
				m->numa_node = (int)node;
				return 0;
			}
		}
		return bad(why, len,
			   "'%.*s': node= takes a NUMA node number or 'none'",
			   (int)n, w);
	}
	return bad(why, len,
		   "unknown memory option '%.*s' (require, node=N, node=none)",
		   (int)n, w);
}

PX_API int px_memory_parse(const char *text, struct px_memory *out,
			   char *why, size_t why_len)
{
	struct px_memory m = { .kind = PX_MEMORY_AUTO };
	const char *w = text;
	bool first = true;
	int err;

	if (!text || !out)
		return -EINVAL;
	if (!*text)
		return bad(why, why_len,
			   "empty memory choice (one of " KIND_LIST ")");
	for (;;) {
		size_t n = strcspn(w, ",");

		if (!n)
			return bad(why, why_len,
				   "empty word in memory choice '%s'", text);
		err = first ? parse_kind(w, n, &m, why, why_len) :
			      parse_option(w, n, &m, why, why_len);
		if (err)
			return err;
		first = false;
		if (!w[n])
			break;
		w += n + 1;
	}
	*out = m;
	return 0;
}

PX_API int px_memory_format(const struct px_memory *m, char *buf, size_t len)
{
	char node[24] = "";

	if (m->numa_fixed) {
		if (m->numa_node < 0)
			snprintf(node, sizeof(node), ",node=none");
		else
			snprintf(node, sizeof(node), ",node=%d", m->numa_node);
	}
	return snprintf(buf, len, "%s%s%s%s%s", px_memory_kind_name(m->kind),
			m->kind == PX_MEMORY_FILE ? ":" : "",
			m->kind == PX_MEMORY_FILE ? m->dir : "",
			m->require ? ",require" : "", node);
}

/* ---- a pool's segment ------------------------------------------------------ */

int px__memory_plan(const struct px_memory *m, bool shareable,
		    int reactor_node, const char *file_path,
		    struct px__memory_plan *out)
{
	struct px_segment_config *c = &out->seg;

	memset(out, 0, sizeof(*out));
	c->numa_node = m->numa_fixed ? m->numa_node : reactor_node;
	c->numa_bind = c->numa_node >= 0;
	out->want = PX_PAGE_4K;
	switch (m->kind) {
	case PX_MEMORY_AUTO:
		/* Memory follows the path: huge pages when there are some,
		 * as every shared pool always did; heap otherwise. */
		c->kind = shareable ? PX_SEGMENT_HUGETLB : PX_SEGMENT_HEAP;
		c->shareable = shareable;
		out->want = shareable ? PX_PAGE_1G : PX_PAGE_4K;
		out->quiet = true; /* no choice made: no fallback warning */
		break;
	case PX_MEMORY_HEAP:
		c->kind = shareable ? PX_SEGMENT_MEMFD : PX_SEGMENT_HEAP;
		break;
	case PX_MEMORY_THP:
		c->kind = shareable ? PX_SEGMENT_MEMFD : PX_SEGMENT_HEAP;
		c->transparent_huge = true;
		out->want = PX_PAGE_THP;
		break;
	case PX_MEMORY_MEMFD:
		c->kind = PX_SEGMENT_MEMFD;
		break;
	case PX_MEMORY_HUGETLB:
	case PX_MEMORY_HUGETLB_1G:
		c->kind = PX_SEGMENT_HUGETLB;
		c->huge_page_size = m->kind == PX_MEMORY_HUGETLB ? 2ul << 20 :
								    1ul << 30;
		c->require_huge = m->require;
		c->shareable = shareable;
		out->want = m->kind == PX_MEMORY_HUGETLB ? PX_PAGE_2M :
							    PX_PAGE_1G;
		break;
	case PX_MEMORY_FILE:
		if (shareable) {
			/* Another process maps shared pools from a sealed
			 * memfd; a file cannot be sealed. */
			if (m->require)
				return -EXDEV;
			c->kind = PX_SEGMENT_MEMFD;
			out->file_to_memfd = true;
			break;
		}
		c->kind = PX_SEGMENT_FILE;
		c->path = file_path;
		c->create = true;
		break;
	default:
		return -EINVAL;
	}
	/*
	 * Every page now, on its node: memory that is short fails the start
	 * with a sentence instead of a SIGBUS or an OOM kill mid-stream, a
	 * slot's first use takes no page fault, and the pool is the same
	 * memory on every backend. (io_uring's buffer registration pins, and
	 * so faults in, the pages anyway; without it, on epoll or past
	 * RLIMIT_MEMLOCK, a slot that no one wrote would read the kernel's
	 * shared zero page: a copy from it looks several times cheaper than
	 * one from real memory.) Not a file pool: it may be larger than RAM
	 * on purpose, and its blocks are allocated on disk up front anyway.
	 */
	c->populate = c->kind != PX_SEGMENT_FILE;
	return 0;
}

bool px__memory_fell_back(const struct px__memory_plan *plan,
			  const struct px_segment *seg)
{
	/* enum px_page_kind runs from small pages to large: 4K < THP < 2M
	 * < 1G. */
	return !plan->quiet && seg->page < plan->want;
}
