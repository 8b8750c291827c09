// SPDX-License-Identifier: MIT
/*
 * test_elements_flow.c - the built-in elements that route buffers: zero-copy
 * tee, queue across reactors (leaky or not), funnel fan-in, replay, and
 * stress runs over small pools and cross-reactor links.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "elements_test_util.h"
#include "px_pipeline.h"
#include "px_pool.h"
#include "px_reactor.h"
#include "px_test.h"

/* ---- tee ----------------------------------------------------------------- */

START_TEST(test_elements_tee)
{
	struct px_pipeline *p;
	struct testsink *a, *b, *c;
	struct px_pool_stats st;
	struct px_pool *pool;
	char *json = NULL;
	size_t jlen = 0;
	FILE *f;

	REQUIRE_ENGINE();
	p = parse("fakesrc num-buffers=3000 size=256 ! tee name=t ! testsink name=a "
		  "t. ! testsink name=b  t. ! identity sleep-time=100us ! testsink name=c");
	run_ok(p);
	a = tsink(p, "a");
	b = tsink(p, "b");
	c = tsink(p, "c");
	/* Every branch got every buffer, in order, the slow one too. */
	ck_assert_uint_eq(a->buffers, 3000);
	ck_assert_uint_eq(b->buffers, 3000);
	ck_assert_uint_eq(c->buffers, 3000);
	ck_assert_uint_eq(a->order_errors + b->order_errors + c->order_errors, 0);
	ck_assert(a->eos && b->eos && c->eos);
	ck_assert_uint_eq(prop_u64(find(p, "t"), "num-src-pads"), 3);
	/* One pool, 3000 loans, no byte copied. */
	pool = px_pool_from_id(a->pool);
	ck_assert_ptr_nonnull(pool);
	px_pool_stats(pool, &st);
	ck_assert_uint_eq(st.loans, 3000);
	ck_assert_uint_eq(st.bytes_copied, 0);
	ck_assert_uint_eq(st.in_use, 0);
	f = open_memstream(&json, &jlen);
	ck_assert_int_eq(px_pipeline_write_stats_json(p, f), 0);
	fclose(f);
	ck_assert_msg(strstr(json, "\"bytes_copied\":0") ||
			      strstr(json, "\"bytes_copied\": 0"),
		      "%s", json);
	free(json);
	finish(p);
}
END_TEST

/* ---- queue --------------------------------------------------------------- */

START_TEST(test_elements_queue)
{
	struct px_pipeline *p;
	struct testsink *t;

	REQUIRE_ENGINE();
	/* Across two reactors, everything arrives in order. */
	p = parse("fakesrc num-buffers=20000 size=64 ! queue reactor=1 ! testsink name=t");
	run_ok(p);
	t = tsink(p, "t");
	ck_assert_uint_eq(t->buffers, 20000);
	ck_assert_uint_eq(t->order_errors, 0);
	finish(p);

	/* Default placement (the reactor after upstream's), and a tee with a
	 * queued branch: the acceptance pipeline, smaller. */
	p = parse("fakesrc num-buffers=20000 size=64 ! tee name=t ! testsink name=a "
		  "t. ! queue ! testsink name=b");
	run_ok(p);
	ck_assert_uint_eq(tsink(p, "a")->buffers, 20000);
	ck_assert_uint_eq(tsink(p, "b")->buffers, 20000);
	ck_assert_uint_eq(tsink(p, "b")->order_errors, 0);
	finish(p);

	/* Non-leaky with a slow consumer and tiny limits: nothing is lost. */
	p = parse("fakesrc num-buffers=300 ! queue name=q max-size-buffers=3 max-size-bytes=8K "
		  "! identity sleep-time=50us ! testsink name=t");
	run_ok(p);
	ck_assert_uint_eq(tsink(p, "t")->buffers, 300);
	ck_assert_uint_eq(tsink(p, "t")->order_errors, 0);
	ck_assert_uint_eq(prop_u64(find(p, "q"), "dropped"), 0);
	finish(p);
}
END_TEST

START_TEST(test_elements_queue_leaky)
{
	static const char *modes[] = { "upstream", "downstream" };
	struct px_pipeline *p;
	char launch[256], text[PX_MSG_TEXT];

	REQUIRE_ENGINE();
	for (unsigned i = 0; i < 2; i++) {
		struct testsink *t;
		uint64_t dropped;

		/* A fast source, a queue of 4 and a consumer at 1 ms per
		 * buffer: the queue must drop. */
		snprintf(launch, sizeof(launch),
			 "fakesrc num-buffers=400 size=32 ! queue name=q leaky=%s max-size-buffers=4 "
			 "! identity sleep-time=1ms ! testsink name=t check=increasing",
			 modes[i]);
		p = parse(launch);
		run_ok(p);
		t = tsink(p, "t");
		dropped = prop_u64(find(p, "q"), "dropped");
		ck_assert_uint_eq(t->buffers + dropped, 400);
		ck_assert_uint_gt(dropped, 0);
		ck_assert_uint_eq(t->order_errors, 0);
		if (i == 0)
			ck_assert_uint_eq(t->first_seq, 0); /* oldest kept */
		else
			ck_assert_uint_eq(t->last_seq, 399); /* newest kept */
		ck_assert(px_test_bus_find(p, PX_MSG_ELEMENT, "q", "dropped=",
					   text, sizeof(text)));
		finish(p);
	}
}
END_TEST

START_TEST(test_elements_queue_limits)
{
	struct px_pipeline *p;
	struct testsink *t;
	uint64_t dropped;

	REQUIRE_ENGINE();
	/* GStreamer's unbounded idiom: every limit off. A slow consumer and
	 * a source with 4096 slots: the queue holds far more than its link
	 * (1024), and loses nothing. */
	p = parse("fakesrc num-buffers=3000 size=64 pool-slots=4096 ! queue name=q "
		  "max-size-buffers=0 max-size-bytes=0 max-size-time=0 ! "
		  "identity sleep-time=20 ! testsink name=t check=increasing");
	run_ok(p);
	t = tsink(p, "t");
	ck_assert_uint_eq(t->buffers, 3000);
	ck_assert_uint_eq(t->order_errors, 0);
	ck_assert_uint_eq(prop_u64(find(p, "q"), "dropped"), 0);
	finish(p);

	/* The levels read what is held now: the queue fills behind a
	 * consumer that holds one buffer for a second, and holds nothing
	 * once stopped. */
	p = parse("fakesrc ! queue name=q max-size-buffers=8 ! "
		  "identity sleep-time=1s ! fakesink");
	ck_assert_int_eq(px_pipeline_play(p), 0);
	PX_TEST_UNTIL(prop_u64(find(p, "q"), "current-level-buffers") >= 8, 30);
	ck_assert_uint_ge(prop_u64(find(p, "q"), "current-level-bytes"),
			  7 * 4096); /* one may be taken meanwhile */
	ck_assert_int_eq(px_pipeline_stop(p), 0);
	ck_assert_uint_eq(prop_u64(find(p, "q"), "current-level-buffers"), 0);
	ck_assert_uint_eq(prop_u64(find(p, "q"), "current-level-bytes"), 0);
	assert_pools_quiet();
	px_pipeline_destroy(p);

	/* max-size-time: the pts span held. A source stamped 2000 buffers a
	 * second (0.5 ms apart) and a consumer slower by ten: a 10 ms limit
	 * leaks the oldest, the newest arrive. */
	p = parse("fakesrc num-buffers=400 size=64 rate=2000 ! queue name=q "
		  "max-size-buffers=0 max-size-time=10ms leaky=downstream ! "
		  "identity sleep-time=5ms ! testsink name=t check=increasing");
	run_ok(p);
	t = tsink(p, "t");
	dropped = prop_u64(find(p, "q"), "dropped");
	ck_assert_uint_gt(dropped, 0);
	ck_assert_uint_eq(t->buffers + dropped, 400);
	ck_assert_uint_eq(t->last_seq, 399);
	ck_assert_uint_eq(t->order_errors, 0);
	finish(p);
}
END_TEST

/* mkdir -p PATH. */
static int mkdirs(const char *path)
{
	char buf[700];

	snprintf(buf, sizeof(buf), "%s", path);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	return mkdir(buf, 0755) < 0 && errno != EEXIST ? -errno : 0;
}

/* DIR (made) gets a numa_node file saying 1, as sysfs has for a device. */
static void sysfs_node_1(const char *dir)
{
	char node[760];
	FILE *f;

	ck_assert_int_eq(mkdirs(dir), 0);
	snprintf(node, sizeof(node), "%s/numa_node", dir);
	f = fopen(node, "w");
	ck_assert_ptr_nonnull(f);
	fputs("1\n", f);
	fclose(f);
}

/* Stats JSON and DOT text of P, into BUF (LEN bytes). */
static void export_text(struct px_pipeline *p, bool dot, char *buf, size_t len)
{
	FILE *f = fmemopen(buf, len, "w");

	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(dot ? px_pipeline_write_dot(p, f) :
			       px_pipeline_write_stats_json(p, f),
			 0);
	ck_assert_int_eq(fclose(f), 0);
}

/* A queue moves its downstream side to the next reactor; on a two-node
 * machine (hwloc's synthetic topology) that reactor is on the other node:
 * the link is counted and drawn as crossing nodes. */
START_TEST(test_elements_cross_node)
{
	static char text[16384];
	struct px_pipeline *p;

	REQUIRE_ENGINE();
	setenv("HWLOC_SYNTHETIC", "pack:2 numa:1 core:1 pu:1", 1);
	ck_assert_int_eq(px_topology_reload(), 0);
	ck_assert_int_eq(px_topology_numa_nodes(), 2);
	p = parse("fakesrc num-buffers=10 ! queue name=q ! fakesink name=s");
	run_ok(p);
	export_text(p, false, text, sizeof(text));
	ck_assert_msg(strstr(text, "\"cross_node_links\":1}"), "%s", text);
	ck_assert_msg(strstr(text, "{\"src\":\"q:src\",\"sink\":\"s:sink\","
				   "\"kind\":\"reactor\",\"src_node\":0,"
				   "\"sink_node\":1,\"cross_node\":true}"),
		      "%s", text);
	ck_assert_msg(strstr(text, "\"src_node\":0,\"sink_node\":0,"
				   "\"cross_node\":false"),
		      "%s", text);
	export_text(p, true, text, sizeof(text));
	ck_assert_msg(strstr(text, "cross-node 0 -> 1") &&
			      strstr(text, "color=\"red\""),
		      "%s", text);
	finish(p);

	/* numa-node= keeps the downstream side on node 0: the next reactor
	 * there is reactor 2, and no link crosses. */
	p = parse("fakesrc num-buffers=10 ! queue numa-node=0 ! fakesink name=s");
	run_ok(p);
	ck_assert_int_eq(px_reactor_numa_node(px_element_reactor(find(p, "s"))),
			 0);
	ck_assert_ptr_ne(px_element_reactor(find(p, "s")),
			 px_element_reactor(find(p, "fakesrc0")));
	export_text(p, false, text, sizeof(text));
	ck_assert_msg(strstr(text, "\"cross_node_links\":0}"), "%s", text);
	finish(p);
	{
		struct px_pipeline *q = NULL;
		struct px_parse_error err;

		ck_assert_int_eq(px_pipeline_parse("fakesrc ! queue numa-node=2 "
						   "! fakesink",
						   &q, &err),
				 -ENODEV);
		ck_assert_msg(strstr(err.message, "this machine has 2 NUMA "
						  "nodes (0..1"),
			      "%s", err.message);
		/* Only sources and queues are placed. */
		ck_assert_int_eq(px_pipeline_parse("fakesrc ! identity "
						   "numa-node=1 ! fakesink",
						   &q, &err),
				 -EINVAL);
		ck_assert_msg(strstr(err.message, "on the source or on a queue"),
			      "%s", err.message);
	}

	/* A source on node 1 (its pool left unbound: synthetic node 1 has
	 * no memory here), and what follows it with it. */
	p = parse("fakesrc numa-node=1 memory=heap,node=none num-buffers=10 ! "
		  "fakesink name=s");
	run_ok(p);
	ck_assert_int_eq(px_reactor_numa_node(px_element_reactor(find(p, "s"))),
			 1);
	finish(p);

	/* filesrc follows its disk's node, as sysfs says (a sysfs of our own
	 * here: PX_SYSFS_ROOT), and says so on the bus. */
	{
		char file[600], dir[700], launch[700];
		struct stat st;
		FILE *f;

		snprintf(file, sizeof(file), "%s/on-node-1.bin",
			 px_test_tmpdir());
		f = fopen(file, "w");
		ck_assert_ptr_nonnull(f);
		fputs("twelve bytes", f);
		fclose(f);
		ck_assert_int_eq(stat(file, &st), 0);
		snprintf(dir, sizeof(dir), "%s/sys/dev/block/%u:%u/device",
			 px_test_tmpdir(), major(st.st_dev), minor(st.st_dev));
		sysfs_node_1(dir);
		snprintf(dir, sizeof(dir), "%s/sys", px_test_tmpdir());
		setenv("PX_SYSFS_ROOT", dir, 1);
		snprintf(launch, sizeof(launch),
			 "filesrc location=%s memory=heap,node=none ! "
			 "fakesink name=s",
			 file);
		p = parse(launch);
		run_ok(p);
		ck_assert_int_eq(px_reactor_numa_node(
					 px_element_reactor(find(p, "s"))),
				 1);
		ck_assert(px_test_bus_has(p, PX_MSG_INFO,
					  "runs on NUMA node 1, the node of its "
					  "device"));
		finish(p);

		/* A network source follows its interface's node: the one
		 * its host address is on (lo here, given a device). */
		snprintf(dir, sizeof(dir), "%s/sys/class/net/lo/device",
			 px_test_tmpdir());
		sysfs_node_1(dir);
		for (int i = 0; i < 2; i++) {
			p = parse(i ? "multitcpsrc host=127.0.0.1 port=0 "
				      "memory=heap,node=none ! fakesink name=s"
				    : "tcpsrc mode=server host=127.0.0.1 "
				      "port=0 memory=heap,node=none ! "
				      "fakesink name=s");
			ck_assert_int_eq(px_pipeline_set_state(p,
							       PX_STATE_PAUSED),
					 0);
			ck_assert_int_eq(px_reactor_numa_node(px_element_reactor(
						 find(p, "s"))),
					 1);
			ck_assert(px_test_bus_has(p, PX_MSG_INFO,
						  "the node of its device"));
			finish(p);
		}
		unsetenv("PX_SYSFS_ROOT");
	}

	/* Four nodes: a source on node 3, a queue to node 2 and another to
	 * node 1; each element runs where it was put, and both links that
	 * hand data to another node are counted. */
	setenv("HWLOC_SYNTHETIC", "pack:4 numa:1 core:1 pu:1", 1);
	ck_assert_int_eq(px_topology_reload(), 0);
	ck_assert_int_eq(px_topology_numa_nodes(), 4);
	p = parse("fakesrc name=a numa-node=3 memory=heap,node=none "
		  "num-buffers=10 ! queue numa-node=2 ! identity name=b ! "
		  "queue numa-node=1 ! fakesink name=c");
	run_ok(p);
	ck_assert_int_eq(px_reactor_numa_node(px_element_reactor(find(p, "a"))),
			 3);
	ck_assert_int_eq(px_reactor_numa_node(px_element_reactor(find(p, "b"))),
			 2);
	ck_assert_int_eq(px_reactor_numa_node(px_element_reactor(find(p, "c"))),
			 1);
	export_text(p, false, text, sizeof(text));
	ck_assert_msg(strstr(text, "\"cross_node_links\":2}"), "%s", text);
	finish(p);
	unsetenv("HWLOC_SYNTHETIC");
	ck_assert_int_eq(px_topology_reload(), 0);
	if (px_topology_numa_nodes() > 1)
		return; /* a real multi-node machine: the rest is about one */
	p = parse("fakesrc num-buffers=10 ! queue ! fakesink");
	run_ok(p);
	export_text(p, false, text, sizeof(text));
	ck_assert_msg(strstr(text, "\"cross_node_links\":0}"), "%s", text);
	export_text(p, true, text, sizeof(text));
	ck_assert(!strstr(text, "red"));
	finish(p);
}
END_TEST

/* ---- funnel -------------------------------------------------------------- */

START_TEST(test_elements_funnel)
{
	struct px_pipeline *p;
	struct testsink *t;

	REQUIRE_ENGINE();
	/* A slow and a fast input: EOS only after both ended. */
	p = parse("funnel name=f ! testsink name=t check=none "
		  "fakesrc num-buffers=30 rate=3000 ! f. "
		  "fakesrc num-buffers=5000 ! f.");
	run_ok(p);
	t = tsink(p, "t");
	ck_assert_uint_eq(t->buffers, 5030);
	ck_assert(t->eos);
	ck_assert_uint_eq(t->after_eos, 0);
	ck_assert_uint_eq(prop_u64(find(p, "f"), "num-sink-pads"), 2);
	finish(p);

	/* Three inputs, one through a queue on another reactor. */
	p = parse("funnel name=f ! testsink name=t check=none "
		  "fakesrc num-buffers=1000 ! f. "
		  "fakesrc num-buffers=1000 ! queue ! f. "
		  "fakesrc num-buffers=1000 ! identity ! f.");
	run_ok(p);
	ck_assert_uint_eq(tsink(p, "t")->buffers, 3000);
	finish(p);
}
END_TEST

/* ---- replay -------------------------------------------------------------- */

START_TEST(test_elements_replay)
{
	struct px_pipeline *p;

	REQUIRE_ENGINE();
	/* A pipeline runs twice; each run starts from zero again. */
	p = parse("fakesrc num-buffers=1234 ! tee name=t ! queue ! fakesink name=a "
		  "t. ! identity ! testsink name=b");
	for (int run_no = 0; run_no < 2; run_no++) {
		run_ok(p);
		ck_assert_uint_eq(prop_u64(find(p, "a"), "buffers"), 1234);
		ck_assert_uint_eq(tsink(p, "b")->buffers, 1234);
		ck_assert_uint_eq(tsink(p, "b")->order_errors, 0);
		assert_pools_quiet();
		ck_assert_int_eq(px_pipeline_stop(p), 0);
		assert_pools_quiet();
	}
	px_pipeline_destroy(p);
}
END_TEST

/* ---- stress: many shapes, small pools and links, no stall allowed --------- */

START_TEST(test_elements_stress_shapes)
{
	/* Each shape: the part before and after the queue's max-size-buffers. */
	static const char *shapes[][2] = {
		{ "queue max-size-buffers=", " ! testsink name=t" },
		{ "queue max-size-buffers=", " ! queue ! identity ! testsink name=t" },
		{ "tee name=x ! queue max-size-buffers=",
		  " ! testsink name=t x. ! queue ! fakesink x. ! fakesink" },
		{ "queue max-size-bytes=3K max-size-buffers=", " ! testsink name=t" },
		{ "identity ! queue reactor=0 max-size-buffers=", " ! testsink name=t" },
	};
	static const unsigned slots[] = { 2, 3, 16, 100 };
	static const unsigned qsize[] = { 1, 2, 7, 64, 300 };
	char launch[512];

	REQUIRE_ENGINE();
	for (unsigned sh = 0; sh < PX_ARRAY_SIZE(shapes); sh++)
		for (unsigned i = 0; i < PX_ARRAY_SIZE(slots); i++)
			for (unsigned j = 0; j < PX_ARRAY_SIZE(qsize); j++) {
				struct px_pipeline *p;
				unsigned n = 3000 + 17 * j, size = 64 << (i + j) % 8;

				snprintf(launch, sizeof(launch),
					 "fakesrc num-buffers=%u size=%u pool-slots=%u ! %s%u%s",
					 n, size, slots[i], shapes[sh][0], qsize[j],
					 shapes[sh][1]);
				p = parse(launch);
				run_ok(p);
				ck_assert_msg(tsink(p, "t")->buffers == n, "%s: %llu",
					      launch,
					      (unsigned long long)tsink(p, "t")->buffers);
				ck_assert_uint_eq(tsink(p, "t")->order_errors, 0);
				finish(p);
			}
}
END_TEST

/*
 * stress: many long runs across a cross-reactor link. Catches a consumer
 * that stops while its link is full (a lost wakeup): the run never ends.
 */
START_TEST(test_elements_stress_cross_link)
{
	struct px_pipeline *p;
	struct px_message m;

	REQUIRE_ENGINE();
	for (int i = 0; i < 12; i++) {
		int rc;

		p = parse("fakesrc num-buffers=300000 size=4096 ! queue ! testsink name=t");
		ck_assert_int_eq(px_pipeline_play(p), 0);
		rc = px_pipeline_wait(p, 4ll * 1000000000ll, &m);
		ck_assert_msg(rc == 0,
			      "run %d: no EOS (%d): the sink stopped at %llu buffers",
			      i, rc,
			      (unsigned long long)tsink(p, "t")->buffers);
		ck_assert_uint_eq(tsink(p, "t")->order_errors, 0);
		finish(p);
	}
}
END_TEST

static Suite *elements_flow_suite(void)
{
	Suite *s = suite_create("elements_flow");

	tcase_add_test(px_tcase(s, "tee"), test_elements_tee);
	tcase_add_test(px_tcase(s, "queue"), test_elements_queue);
	tcase_add_test(px_tcase(s, "queue_leaky"), test_elements_queue_leaky);
	tcase_add_test(px_tcase(s, "queue_limits"), test_elements_queue_limits);
	tcase_add_test(px_tcase(s, "cross_node"), test_elements_cross_node);
	tcase_add_test(px_tcase(s, "funnel"), test_elements_funnel);
	tcase_add_test(px_tcase(s, "replay"), test_elements_replay);
	tcase_add_test(px_tcase(s, "stress_shapes"), test_elements_stress_shapes);
	tcase_add_test(px_tcase(s, "stress_cross_link"),
		       test_elements_stress_cross_link);
	return s;
}

PX_TEST_MAIN(elements_flow_suite)
