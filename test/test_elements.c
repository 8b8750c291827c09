// SPDX-License-Identifier: MIT
/*
 * test_elements.c - the built-in elements in real pipelines: counts,
 * checksums, order, EOS, errors, drops, zero-copy tee, queue across
 * reactors, fan-in, console output, the typed builder, and pools that are
 * all free again at the end.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "builtin_int.h"
#include "elements_int.h"
#include "px_buf.h"
#include "px_elements.h"
#include "px_pipeline.h"
#include "px_pool.h"
#include "px_probe.h"
#include "px_registry.h"
#include "px_test.h"

#define WAIT_NS (30ll * 1000000000ll)

/* ---- a checking sink, registered by the tests ----------------------------- */

enum { CHECK_NONE = 0, CHECK_INCREASING = 1, CHECK_CONSECUTIVE = 2 };

struct testsink {
	int check;
	struct px_pad *sink;
	uint64_t buffers, bytes;
	uint64_t next_seq; /* expected (CONSECUTIVE) or minimum (INCREASING) */
	uint64_t first_seq, last_seq;
	int64_t last_pts;
	uint64_t order_errors;
	uint64_t events; /* non-EOS events seen */
	uint16_t pool;
	bool eos;
	uint64_t after_eos;
};

static const struct px_prop_enum check_enums[] = {
	{ "none", CHECK_NONE, "accept any order" },
	{ "increasing", CHECK_INCREASING, "seq must grow (gaps allowed)" },
	{ "consecutive", CHECK_CONSECUTIVE, "seq must be 0, 1, 2, ..." },
	{ NULL, 0, NULL },
};

static const struct px_prop_spec testsink_props[] = {
	PX_PROP_ENUM_SPEC("check", struct testsink, check, CHECK_CONSECUTIVE,
			  check_enums, "what to check about seq numbers"),
};

static const struct px_pad_template testsink_pads[] = {
	{ "sink", PX_PAD_SINK, PX_PAD_ALWAYS, "ANY" },
};

static int testsink_start(struct px_element *e)
{
	struct testsink *s = px_element_priv(e);
	int check = s->check;

	memset(s, 0, sizeof(*s));
	s->check = check;
	s->sink = px_element_pad(e, "sink");
	s->last_pts = PX_TIME_NONE;
	return 0;
}

static void testsink_work(struct px_element *e)
{
	struct testsink *s = px_element_priv(e);
	struct px_item items[64];
	unsigned n = px_pad_pull(s->sink, items, 64);

	for (unsigned i = 0; i < n; i++) {
		struct px_item *it = &items[i];

		if (s->eos) {
			s->after_eos++;
		} else if (it->type == PX_ITEM_BUFFER) {
			uint64_t seq = it->buf.seq;

			if (!s->buffers) {
				s->first_seq = seq;
				s->pool = it->buf.pool;
			}
			if ((s->check == CHECK_CONSECUTIVE && seq != s->next_seq) ||
			    (s->check == CHECK_INCREASING && s->buffers &&
			     seq < s->next_seq))
				s->order_errors++;
			s->next_seq = seq + 1;
			s->last_seq = seq;
			s->last_pts = it->buf.pts;
			s->buffers++;
			s->bytes += it->buf.length;
		} else if (px_item_is_eos(it)) {
			s->eos = true;
			px_element_eos_reached(e);
		} else {
			s->events++;
		}
		px_item_release(it);
	}
	if (n == 64)
		px_element_schedule(e);
}

static const struct px_element_class testsink_class = {
	.name = "testsink",
	.description = "Checks seq order and counts (test only)",
	.priv_size = sizeof(struct testsink),
	.pads = testsink_pads,
	.n_pads = 1,
	.props = testsink_props,
	.n_props = 1,
	.start = testsink_start,
	.work = testsink_work,
};

/* The same sink with a narrower template, for caps negotiation tests. */
static const struct px_pad_template othersink_pads[] = {
	{ "sink", PX_PAD_SINK, PX_PAD_ALWAYS, "application/x-other" },
};

static const struct px_element_class othersink_class = {
	.name = "othersink",
	.description = "testsink accepting application/x-other only (test only)",
	.priv_size = sizeof(struct testsink),
	.pads = othersink_pads,
	.n_pads = 1,
	.props = testsink_props,
	.n_props = 1,
	.start = testsink_start,
	.work = testsink_work,
};

static void need_engine(void)
{
	int rc;

	if (!px_feature_has(PX_FEAT_IO_URING))
		return;
	/* The registry refers to the built-in table weakly: a static link
	 * needs this reference to bring elements/builtin.o in. */
	ck_assert_ptr_nonnull(px__builtin_classes[0]);
	rc = px_registry_add(&testsink_class);
	ck_assert_msg(rc == 0 || rc == -EEXIST, "registry: %d", rc);
	rc = px_registry_add(&othersink_class);
	ck_assert_msg(rc == 0 || rc == -EEXIST, "registry: %d", rc);
}

#define REQUIRE_URING()                                                      \
	do {                                                                 \
		if (!px_feature_has(PX_FEAT_IO_URING))                       \
			PX_SKIP("io_uring is disabled on this kernel");      \
		need_engine();                                               \
	} while (0)

/* ---- helpers ------------------------------------------------------------- */

static struct px_pipeline *parse(const char *launch)
{
	struct px_pipeline *p = NULL;
	struct px_parse_error err = { 0 };
	int rc = px_pipeline_parse(launch, &p, &err);

	ck_assert_msg(rc == 0, "parse '%s': %d %s", launch, rc, err.message);
	return p;
}

/* Play P, wait for EOS or an error; returns px_pipeline_wait's result. */
static int run(struct px_pipeline *p, struct px_message *msg)
{
	struct px_message m;
	int rc = px_pipeline_play(p);

	ck_assert_msg(rc == 0, "play: %d %s", rc, px_pipeline_error(p));
	rc = px_pipeline_wait(p, WAIT_NS, msg ? msg : &m);
	ck_assert_msg(rc != -ETIMEDOUT, "pipeline did not finish");
	return rc;
}

static void run_ok(struct px_pipeline *p)
{
	struct px_message m = { 0 };
	int rc = run(p, &m);

	ck_assert_msg(rc == 0, "wait: %d (%s: %s)", rc, m.source, m.text);
}

static struct px_element *find(struct px_pipeline *p, const char *name)
{
	struct px_element *e = px_pipeline_find(p, name);

	ck_assert_msg(e != NULL, "no element %s", name);
	return e;
}

static uint64_t prop_u64(struct px_element *e, const char *prop)
{
	char buf[64];
	int rc = px_element_get(e, prop, buf, sizeof(buf));

	ck_assert_msg(rc > 0, "get %s: %d", prop, rc);
	return strtoull(buf, NULL, 0);
}

static struct testsink *tsink(struct px_pipeline *p, const char *name)
{
	return px_element_priv(find(p, name));
}

/* Every pool still alive has every slot back, and nothing was copied. */
static void assert_pools_quiet(void)
{
	for (unsigned id = 1; id < 4096; id++) {
		struct px_pool *pool = px_pool_from_id((uint16_t)id);
		struct px_pool_stats st;

		if (!pool)
			continue;
		px_pool_stats(pool, &st);
		ck_assert_msg(st.in_use == 0, "pool %s: %u slots in use",
			      px_pool_name(pool), st.in_use);
		ck_assert_uint_eq(px_pool_available(pool),
				  px_pool_slot_count(pool));
		ck_assert_uint_eq(st.bytes_copied, 0);
		ck_assert_uint_eq(st.bad_releases, 0);
	}
}

static void finish(struct px_pipeline *p)
{
	assert_pools_quiet();
	ck_assert_int_eq(px_pipeline_stop(p), 0);
	assert_pools_quiet();
	px_pipeline_destroy(p);
}

/* Find an ELEMENT message from SOURCE on P's bus whose text has NEEDLE. */
static bool bus_has(struct px_pipeline *p, const char *source,
		    const char *needle, char *text, size_t len)
{
	struct px_message m;

	while (px_bus_pop(px_pipeline_bus(p), 0, &m) == 0) {
		if (m.type == PX_MSG_ELEMENT && !strcmp(m.source, source) &&
		    strstr(m.text, needle)) {
			if (text)
				snprintf(text, len, "%s", m.text);
			return true;
		}
	}
	return false;
}

/* Reference CRC32C, bit by bit. */
static uint32_t ref_crc32c(uint32_t crc, const uint8_t *p, size_t n)
{
	crc = ~crc;
	while (n--) {
		crc ^= *p++;
		for (int k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0x82F63B78u & (0u - (crc & 1)));
	}
	return ~crc;
}

/* ---- fakesrc --------------------------------------------------------------- */

START_TEST(test_elements_fakesrc)
{
	struct px_pipeline *p;
	struct testsink *t;

	REQUIRE_URING();
	p = parse("fakesrc num-buffers=1000 size=64 ! testsink name=t");
	run_ok(p);
	t = tsink(p, "t");
	ck_assert_uint_eq(t->buffers, 1000);
	ck_assert_uint_eq(t->bytes, 64000);
	ck_assert_uint_eq(t->order_errors, 0);
	ck_assert_uint_eq(t->first_seq, 0);
	ck_assert_uint_eq(t->last_seq, 999);
	ck_assert(t->eos);
	ck_assert_uint_eq(t->after_eos, 0);
	finish(p);

	/* num-buffers=0: EOS at once. */
	p = parse("fakesrc num-buffers=0 ! testsink name=t");
	run_ok(p);
	ck_assert_uint_eq(tsink(p, "t")->buffers, 0);
	ck_assert(tsink(p, "t")->eos);
	finish(p);

	/* Fewer slots than buffers: the source waits for releases. */
	p = parse("fakesrc num-buffers=5000 size=128 pool-slots=4 ! identity ! testsink name=t");
	run_ok(p);
	ck_assert_uint_eq(tsink(p, "t")->buffers, 5000);
	ck_assert_uint_eq(tsink(p, "t")->order_errors, 0);
	finish(p);
}
END_TEST

START_TEST(test_elements_fakesrc_rate)
{
	struct px_pipeline *p;
	struct testsink *t;

	REQUIRE_URING();
	/* 40 buffers at 2000/s: paced by timers, stamped 0, 0.5 ms, ... */
	p = parse("fakesrc num-buffers=40 rate=2000 size=16 ! testsink name=t");
	run_ok(p);
	t = tsink(p, "t");
	ck_assert_uint_eq(t->buffers, 40);
	ck_assert_uint_eq(t->order_errors, 0);
	ck_assert_int_eq(t->last_pts, 39 * 500000ll);
	ck_assert_uint_ge((uint64_t)(px_pipeline_seconds(p) * 1e6), 15000);
	finish(p);
}
END_TEST

START_TEST(test_elements_fakesrc_send_eos)
{
	struct px_pipeline *p;
	struct px_message m;
	struct testsink *t;
	int rc;

	REQUIRE_URING();
	/* Unlimited source: the application asks for EOS. */
	p = parse("fakesrc rate=1000 size=8 ! testsink name=t");
	ck_assert_int_eq(px_pipeline_play(p), 0);
	ck_assert_int_eq(px_pipeline_wait(p, 20 * 1000000ll, &m), -ETIMEDOUT);
	ck_assert_int_eq(px_pipeline_send_eos(p), 0);
	rc = px_pipeline_wait(p, WAIT_NS, &m);
	ck_assert_msg(rc == 0, "wait: %d %s", rc, m.text);
	t = tsink(p, "t");
	ck_assert(t->eos);
	ck_assert_uint_gt(t->buffers, 0);
	ck_assert_uint_eq(t->order_errors, 0);
	finish(p);
}
END_TEST

/* ---- fakesink -------------------------------------------------------------- */

START_TEST(test_elements_fakesink)
{
	static const char *fills[] = { "zero", "pattern", "pattern-span" };
	struct px_pipeline *p;
	struct px_element_stats st;
	char launch[256], text[PX_MSG_TEXT], want[64];

	REQUIRE_URING();
	for (unsigned f = 0; f < PX_ARRAY_SIZE(fills); f++) {
		uint8_t buf[300];
		uint32_t crc = 0;
		uint8_t c = 0;

		/* 100 buffers of 300 bytes; compute the expected CRC here. */
		for (unsigned b = 0; b < 100; b++) {
			for (unsigned i = 0; i < 300; i++) {
				if (f == 0)
					buf[i] = 0;
				else if (f == 1)
					buf[i] = (uint8_t)i;
				else
					buf[i] = c++;
			}
			crc = ref_crc32c(crc, buf, 300);
		}
		snprintf(launch, sizeof(launch),
			 "fakesrc num-buffers=100 size=300 filltype=%s ! fakesink name=s checksum=true",
			 fills[f]);
		p = parse(launch);
		run_ok(p);
		ck_assert_uint_eq(prop_u64(find(p, "s"), "last-checksum"), crc);
		ck_assert_uint_eq(prop_u64(find(p, "s"), "buffers"), 100);
		ck_assert_uint_eq(prop_u64(find(p, "s"), "bytes"), 30000);
		px_element_stats(find(p, "s"), &st);
		ck_assert_uint_eq(st.buffers_in, 100);
		ck_assert_uint_eq(st.bytes_in, 30000);
		snprintf(want, sizeof(want), "crc32c=0x%08x", crc);
		ck_assert_msg(bus_has(p, "s", want, text, sizeof(text)),
			      "no checksum message with %s", want);
		finish(p);
	}

	/* The library's CRC32C agrees with the reference on odd lengths. */
	{
		uint8_t data[1000];

		for (unsigned i = 0; i < sizeof(data); i++)
			data[i] = (uint8_t)(i * 7 + 3);
		for (size_t n = 0; n < sizeof(data); n += 37)
			ck_assert_uint_eq(px__crc32c(5, data, n),
					  ref_crc32c(5, data, n));
	}

	/* Random fill: bytes differ between runs (and from zeros). */
	{
		uint64_t sums[2];

		for (int r = 0; r < 2; r++) {
			p = parse("fakesrc num-buffers=50 size=1000 filltype=random ! fakesink name=s checksum=true");
			run_ok(p);
			sums[r] = prop_u64(find(p, "s"), "last-checksum");
			ck_assert_uint_eq(prop_u64(find(p, "s"), "bytes"), 50000);
			finish(p);
		}
		ck_assert_uint_ne(sums[0], sums[1]);
	}

	/* sync is accepted (and ignored). */
	p = parse("fakesrc num-buffers=10 ! fakesink sync=true name=s");
	run_ok(p);
	ck_assert_uint_eq(prop_u64(find(p, "s"), "buffers"), 10);
	finish(p);
}
END_TEST

/* Run LAUNCH with stdout sent to a file; returns the file's contents. */
static char *capture_stdout(const char *launch, size_t *len)
{
	char path[512];
	struct px_pipeline *p;
	int fd, saved;
	char *out;
	off_t size;

	snprintf(path, sizeof(path), "%s/stdout.txt", px_test_tmpdir());
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_ge(fd, 0);
	fflush(stdout);
	saved = dup(STDOUT_FILENO);
	ck_assert_int_ge(saved, 0);
	ck_assert_int_eq(dup2(fd, STDOUT_FILENO), STDOUT_FILENO);
	p = parse(launch);
	run_ok(p);
	finish(p);
	ck_assert_int_eq(dup2(saved, STDOUT_FILENO), STDOUT_FILENO);
	close(saved);
	size = lseek(fd, 0, SEEK_END);
	ck_assert_int_ge(size, 0);
	out = calloc(1, (size_t)size + 1);
	ck_assert_ptr_nonnull(out);
	ck_assert_int_eq(pread(fd, out, (size_t)size, 0), size);
	close(fd);
	*len = (size_t)size;
	return out;
}

static const char hex20[] =
	"00000000  00 01 02 03 04 05 06 07  08 09 0a 0b 0c 0d 0e 0f  |................|\n"
	"00000010  10 11 12 13                                       |....|\n"
	"00000014\n";

START_TEST(test_elements_fakesink_dump)
{
	size_t len;
	char *out;

	REQUIRE_URING();
	out = capture_stdout("fakesrc num-buffers=2 size=20 filltype=pattern ! fakesink dump=true",
			     &len);
	ck_assert_uint_eq(len, 2 * strlen(hex20));
	ck_assert(!strncmp(out, hex20, strlen(hex20)));
	ck_assert(!strncmp(out + strlen(hex20), hex20, strlen(hex20)));
	free(out);
}
END_TEST

/* ---- consolesink --------------------------------------------------------- */

START_TEST(test_elements_consolesink)
{
	size_t len;
	char *out;

	REQUIRE_URING();
	out = capture_stdout("fakesrc num-buffers=3 size=20 filltype=pattern ! consolesink",
			     &len);
	ck_assert_uint_eq(len, 3 * strlen(hex20));
	for (unsigned i = 0; i < 3; i++)
		ck_assert(!strncmp(out + i * strlen(hex20), hex20, strlen(hex20)));
	free(out);

	/* Text mode: the bytes themselves, in order. */
	out = capture_stdout("fakesrc num-buffers=4 size=100 filltype=pattern-span ! consolesink mode=text",
			     &len);
	ck_assert_uint_eq(len, 400);
	for (unsigned i = 0; i < 400; i++)
		ck_assert_uint_eq((uint8_t)out[i], (uint8_t)i);
	free(out);

	/* A large buffer goes out in several chunks. */
	out = capture_stdout("fakesrc num-buffers=1 size=100000 ! consolesink mode=hex",
			     &len);
	ck_assert_uint_eq(len, 6250 * 79 + 9);
	free(out);
}
END_TEST

/* ---- identity ------------------------------------------------------------ */

START_TEST(test_elements_identity)
{
	struct px_pipeline *p;
	struct px_message m = { 0 };
	struct testsink *t;
	int rc;

	REQUIRE_URING();
	/* Pass-through keeps order and counts. */
	p = parse("fakesrc num-buffers=10000 size=64 ! identity ! identity ! testsink name=t");
	run_ok(p);
	t = tsink(p, "t");
	ck_assert_uint_eq(t->buffers, 10000);
	ck_assert_uint_eq(t->order_errors, 0);
	finish(p);

	/* drop-probability=1 drops everything, EOS still arrives. */
	p = parse("fakesrc num-buffers=500 ! identity name=i drop-probability=1 ! testsink name=t");
	run_ok(p);
	ck_assert_uint_eq(tsink(p, "t")->buffers, 0);
	ck_assert_uint_eq(prop_u64(find(p, "i"), "dropped"), 500);
	finish(p);

	/* drop-probability=0.5: what was not dropped arrived, in order. */
	p = parse("fakesrc num-buffers=2000 ! identity name=i drop-probability=0.5 ! testsink name=t check=increasing");
	run_ok(p);
	t = tsink(p, "t");
	ck_assert_uint_eq(t->buffers + prop_u64(find(p, "i"), "dropped"), 2000);
	ck_assert_uint_gt(t->buffers, 0);
	ck_assert_uint_lt(t->buffers, 2000);
	ck_assert_uint_eq(t->order_errors, 0);
	finish(p);

	/* sleep-time delays without blocking: all arrive, in order. */
	p = parse("fakesrc num-buffers=20 ! identity sleep-time=1ms ! testsink name=t");
	run_ok(p);
	ck_assert_uint_eq(tsink(p, "t")->buffers, 20);
	ck_assert_uint_eq(tsink(p, "t")->order_errors, 0);
	ck_assert_uint_ge((uint64_t)(px_pipeline_seconds(p) * 1e3), 15);
	finish(p);

	/* error-after reaches the application with the element named. */
	p = parse("fakesrc num-buffers=1000 ! identity name=boom error-after=10 ! fakesink");
	rc = run(p, &m);
	ck_assert_int_eq(rc, -EIO);
	ck_assert_int_eq(m.type, PX_MSG_ERROR);
	ck_assert_str_eq(m.source, "boom");
	ck_assert_msg(strstr(m.text, "error-after") != NULL, "%s", m.text);
	ck_assert_int_eq(px_pipeline_stop(p), 0);
	assert_pools_quiet();
	px_pipeline_destroy(p);
}
END_TEST

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

	REQUIRE_URING();
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

	REQUIRE_URING();
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

	REQUIRE_URING();
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
		ck_assert(bus_has(p, "q", "dropped=", text, sizeof(text)));
		finish(p);
	}
}
END_TEST

/* ---- capsfilter ---------------------------------------------------------- */

START_TEST(test_elements_capsfilter)
{
	struct px_pipeline *p;
	struct px_element *cf;
	char buf[128];

	REQUIRE_URING();
	p = parse("fakesrc num-buffers=100 ! capsfilter name=cf caps=application/x-rec,rate=10 ! testsink name=t");
	run_ok(p);
	ck_assert_uint_eq(tsink(p, "t")->buffers, 100);
	ck_assert_int_gt(px_element_get(find(p, "cf"), "caps", buf, sizeof(buf)), 0);
	ck_assert_msg(strstr(buf, "application/x-rec") != NULL, "%s", buf);
	finish(p);

	/* The caps restrict the links made through the capsfilter. */
	p = parse("fakesrc num-buffers=10 ! capsfilter caps=application/x-other ! othersink name=t");
	run_ok(p);
	ck_assert_uint_eq(tsink(p, "t")->buffers, 10);
	finish(p);
	{
		struct px_parse_error err = { 0 };

		p = NULL;
		ck_assert_int_eq(px_pipeline_parse("fakesrc ! capsfilter caps=application/x-rec ! othersink",
						   &p, &err),
				 -EINVAL);
		ck_assert_ptr_null(p);
		ck_assert_msg(strstr(err.message, "application/x-rec") != NULL,
			      "%s", err.message);
	}
	/* Element by element: the link fails with both caps named. */
	{
		struct px_element *src, *other;

		ck_assert_int_eq(px_pipeline_create("p", &p), 0);
		ck_assert_int_eq(px_add_fakesrc(p, "src", NULL, &src), 0);
		ck_assert_int_eq(px_add_capsfilter(p, "cf", "application/x-rec,rate=10",
						   &cf),
				 0);
		ck_assert_int_eq(px_pipeline_add(p, "othersink", "o", &other), 0);
		ck_assert_int_eq(px_element_link(src, cf), 0);
		ck_assert_int_eq(px_element_link(cf, other), -EINVAL);
		ck_assert_msg(strstr(px_pipeline_error(p), "application/x-other") != NULL,
			      "%s", px_pipeline_error(p));
		px_pipeline_destroy(p);
	}

	/* A malformed caps value is refused when set, naming the property. */
	ck_assert_int_eq(px_pipeline_create("p", &p), 0);
	ck_assert_int_eq(px_pipeline_add(p, "capsfilter", "cf", &cf), 0);
	ck_assert_int_eq(px_element_set(cf, "caps", "application/x-rec,rate=[1,"),
			 -EINVAL);
	ck_assert_msg(strstr(px_pipeline_error(p), "caps") != NULL, "%s",
		      px_pipeline_error(p));
	ck_assert_int_eq(px_element_set(cf, "caps", "application/x-rec"), 0);
	px_pipeline_destroy(p);
}
END_TEST

/* ---- funnel -------------------------------------------------------------- */

START_TEST(test_elements_funnel)
{
	struct px_pipeline *p;
	struct testsink *t;

	REQUIRE_URING();
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

/* ---- typed builder ------------------------------------------------------- */

START_TEST(test_elements_builder)
{
	struct px_pipeline *p;
	struct px_element *src, *id, *tee, *q, *s1, *s2;
	uint8_t buf[100];
	uint32_t crc = 0;

	REQUIRE_URING();
	ck_assert_int_eq(px_pipeline_create("built", &p), 0);
	ck_assert_int_eq(px_add_fakesrc(p, "src",
					&(struct px_fakesrc_config){
						.num_buffers = 777,
						.size = 100,
						.filltype = PX_FAKESRC_FILL_PATTERN,
						.pool_slots = 32,
					},
					&src),
			 0);
	ck_assert_int_eq(px_add_identity(p, NULL, NULL, &id), 0);
	ck_assert_int_eq(px_add_tee(p, "t", NULL, &tee), 0);
	ck_assert_int_eq(px_add_fakesink(p, "s1",
					 &(struct px_fakesink_config){ .checksum = true },
					 &s1),
			 0);
	ck_assert_int_eq(px_add_queue(p, "q",
				      &(struct px_queue_config){
					      .max_size_buffers = 50,
					      .max_size_bytes = 1000001,
					      .pin_reactor = true,
					      .reactor = 1,
				      },
				      &q),
			 0);
	ck_assert_int_eq(px_add_fakesink(p, "s2",
					 &(struct px_fakesink_config){ .checksum = true },
					 &s2),
			 0);
	ck_assert_str_eq(px_element_factory(id), "identity");
	ck_assert_uint_eq(prop_u64(src, "num-buffers"), 777);
	ck_assert_uint_eq(prop_u64(src, "pool-slots"), 32);
	ck_assert_uint_eq(prop_u64(q, "max-size-bytes"), 1000001);
	ck_assert_uint_eq(prop_u64(q, "reactor"), 1);
	ck_assert_int_eq(px_link_chain(src, id, tee, s1, NULL), 0);
	ck_assert_int_eq(px_link_chain(tee, q, s2, NULL), 0);
	run_ok(p);
	for (unsigned i = 0; i < 100; i++)
		buf[i] = (uint8_t)i;
	for (unsigned b = 0; b < 777; b++)
		crc = ref_crc32c(crc, buf, 100);
	ck_assert_uint_eq(prop_u64(s1, "last-checksum"), crc);
	ck_assert_uint_eq(prop_u64(s2, "last-checksum"), crc);
	ck_assert_uint_eq(prop_u64(s2, "buffers"), 777);
	finish(p);

	/* Out-of-range values fail with the engine's message. */
	ck_assert_int_eq(px_pipeline_create("bad", &p), 0);
	ck_assert_int_eq(px_add_identity(p, "i",
					 &(struct px_identity_config){
						 .drop_probability = 2.0 },
					 NULL),
			 -EINVAL);
	ck_assert_msg(strstr(px_pipeline_error(p), "drop-probability") != NULL,
		      "%s", px_pipeline_error(p));
	ck_assert_int_eq(px_add_fakesrc(p, "i", NULL, NULL), -EEXIST);
	px_pipeline_destroy(p);
}
END_TEST

/* ---- replay -------------------------------------------------------------- */

START_TEST(test_elements_replay)
{
	struct px_pipeline *p;

	REQUIRE_URING();
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

	REQUIRE_URING();
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

	REQUIRE_URING();
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

static Suite *elements_suite(void)
{
	Suite *s = suite_create("elements");

	tcase_add_test(px_tcase(s, "fakesrc"), test_elements_fakesrc);
	tcase_add_test(px_tcase(s, "fakesrc_rate"), test_elements_fakesrc_rate);
	tcase_add_test(px_tcase(s, "fakesrc_send_eos"), test_elements_fakesrc_send_eos);
	tcase_add_test(px_tcase(s, "fakesink"), test_elements_fakesink);
	tcase_add_test(px_tcase(s, "fakesink_dump"), test_elements_fakesink_dump);
	tcase_add_test(px_tcase(s, "consolesink"), test_elements_consolesink);
	tcase_add_test(px_tcase(s, "identity"), test_elements_identity);
	tcase_add_test(px_tcase(s, "tee"), test_elements_tee);
	tcase_add_test(px_tcase(s, "queue"), test_elements_queue);
	tcase_add_test(px_tcase(s, "queue_leaky"), test_elements_queue_leaky);
	tcase_add_test(px_tcase(s, "capsfilter"), test_elements_capsfilter);
	tcase_add_test(px_tcase(s, "funnel"), test_elements_funnel);
	tcase_add_test(px_tcase(s, "builder"), test_elements_builder);
	tcase_add_test(px_tcase(s, "replay"), test_elements_replay);
	tcase_add_test(px_tcase(s, "stress_shapes"), test_elements_stress_shapes);
	tcase_add_test(px_tcase(s, "stress_cross_link"),
		       test_elements_stress_cross_link);
	return s;
}

PX_TEST_MAIN(elements_suite)
