// SPDX-License-Identifier: MIT
/*
 * test_elements.c - the built-in sources, sinks and filters in real
 * pipelines: counts, checksums, EOS, errors, drops, console output, caps
 * filtering and the typed builder, with every pool free again at the end.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "elements_int.h"
#include "elements_test_util.h"
#include "px_elements.h"
#include "px_pipeline.h"
#include "px_pool.h"
#include "px_test.h"

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

	REQUIRE_ENGINE();
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

	REQUIRE_ENGINE();
	/* 40 buffers at 2000/s: paced by timers, stamped 0, 0.5 ms, ... */
	p = parse("fakesrc num-buffers=40 rate=2000 size=16 ! testsink name=t");
	run_ok(p);
	t = tsink(p, "t");
	ck_assert_uint_eq(t->buffers, 40);
	ck_assert_uint_eq(t->order_errors, 0);
	ck_assert_int_eq(t->last_pts, 39 * 500000ll);
	ck_assert_uint_ge((uint64_t)(px_pipeline_seconds(p) * 1e6), 15000);
	finish(p);
	/* A rate far above what the source reaches: the allowance grows by
	 * the nanosecond, and num-buffers still bounds what is pushed (it
	 * once read the clock twice and pushed 15 buffers for 1). */
	for (unsigned n = 1; n <= 3; n++) {
		char line[96];

		snprintf(line, sizeof(line),
			 "fakesrc num-buffers=%u rate=1000000000 size=16 ! "
			 "testsink name=t",
			 n);
		p = parse(line);
		run_ok(p);
		ck_assert_uint_eq(tsink(p, "t")->buffers, n);
		finish(p);
	}
}
END_TEST

START_TEST(test_elements_fakesrc_send_eos)
{
	struct px_pipeline *p;
	struct px_message m;
	struct testsink *t;
	int rc;

	REQUIRE_ENGINE();
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
	/* Nicks, then GStreamer's numbers for the same fills. */
	static const char *fills[] = { "zero", "pattern", "pattern-span",
				       "2", "4", "5" };
	struct px_pipeline *p;
	struct px_element_stats st;
	char launch[256], text[PX_MSG_TEXT], want[64];

	REQUIRE_ENGINE();
	for (unsigned f = 0; f < PX_ARRAY_SIZE(fills); f++) {
		uint8_t buf[300];
		uint32_t crc = 0;
		uint8_t c = 0;

		/* 100 buffers of 300 bytes; compute the expected CRC here. */
		for (unsigned b = 0; b < 100; b++) {
			for (unsigned i = 0; i < 300; i++) {
				if (f % 3 == 0)
					buf[i] = 0;
				else if (f % 3 == 1)
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
		ck_assert_msg(px_test_bus_find(p, PX_MSG_ELEMENT, "s", want,
					       text, sizeof(text)),
			      "no checksum message with %s", want);
		finish(p);
	}

	/* The library's CRC32C agrees with the reference on odd lengths. */
	{
		uint8_t data[1000];

		for (unsigned i = 0; i < sizeof(data); i++)
			data[i] = (uint8_t)(i * 7 + 3);
		for (size_t n = 0; n < sizeof(data); n += 37)
			ck_assert_uint_eq(px_crc32c(5, data, n),
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

	/* GStreamer's sync and async: false means what it means there
	 * (buffers as they arrive, no preroll); true is refused with a
	 * sentence saying what to write instead. */
	p = parse("fakesrc num-buffers=10 ! fakesink sync=false async=false name=s");
	run_ok(p);
	ck_assert_uint_eq(prop_u64(find(p, "s"), "buffers"), 10);
	finish(p);
	{
		struct px_pipeline *q = NULL;
		struct px_parse_error err;

		ck_assert_int_eq(px_pipeline_parse("fakesrc ! fakesink sync=true",
						   &q, &err),
				 -ENOTSUP);
		ck_assert_msg(strstr(err.message, "no pipeline clock") &&
				      strstr(err.message, "write sync=false"),
			      "%s", err.message);
		ck_assert_uint_eq(err.column, 20); /* the property */
		ck_assert_int_eq(px_pipeline_parse("fakesrc ! fakesink async=1",
						   &q, &err),
				 -ENOTSUP);
		ck_assert_msg(strstr(err.message, "write async=false"), "%s",
			      err.message);
		ck_assert_int_eq(px_pipeline_parse("fakesrc ! filesink location=x "
						   "sync=true",
						   &q, &err),
				 -ENOTSUP);
		ck_assert_msg(strstr(err.message, "fsync=true"), "%s",
			      err.message);
		ck_assert_ptr_null(q);
	}
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

	REQUIRE_ENGINE();
	out = capture_stdout("fakesrc num-buffers=2 size=20 filltype=pattern ! fakesink dump=true",
			     &len);
	ck_assert_uint_eq(len, 2 * strlen(hex20));
	ck_assert(!strncmp(out, hex20, strlen(hex20)));
	ck_assert(!strncmp(out + strlen(hex20), hex20, strlen(hex20)));
	free(out);

	/* identity dump=true writes the same while passing buffers on. */
	out = capture_stdout("fakesrc num-buffers=2 size=20 filltype=pattern ! "
			     "identity dump=true ! fakesink",
			     &len);
	ck_assert_uint_eq(len, 2 * strlen(hex20));
	ck_assert(!strncmp(out, hex20, strlen(hex20)));
	free(out);
}
END_TEST

/* ---- consolesink --------------------------------------------------------- */

START_TEST(test_elements_consolesink)
{
	size_t len;
	char *out;

	REQUIRE_ENGINE();
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

	REQUIRE_ENGINE();
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
	p = parse("fakesrc num-buffers=20 ! identity name=i sleep-time=1ms ! "
		  "testsink name=t");
	run_ok(p);
	ck_assert_uint_eq(tsink(p, "t")->buffers, 20);
	ck_assert_uint_eq(tsink(p, "t")->order_errors, 0);
	/* Each buffer waited for its own expired timer (not wall time). */
	ck_assert_uint_eq(prop_u64(find(p, "i"), "delayed"), 20);
	finish(p);

	/* sleep-time in GStreamer's unit: a bare number is microseconds. */
	p = parse("fakesrc num-buffers=2 ! identity name=i sleep-time=1500 ! "
		  "fakesink");
	{
		char buf[32];

		ck_assert_int_gt(px_element_get(find(p, "i"), "sleep-time", buf,
						sizeof(buf)),
				 0);
		ck_assert_str_eq(buf, "1500us");
	}
	run_ok(p);
	ck_assert_uint_eq(prop_u64(find(p, "i"), "delayed"), 2);
	finish(p);

	/* eos-after=N: N buffers, then EOS; what follows is dropped (the
	 * source would go on forever, until the pipeline stops: its pool is
	 * quiet after the stop, not at EOS). */
	p = parse("fakesrc ! identity eos-after=7 ! testsink name=t");
	run_ok(p);
	t = tsink(p, "t");
	ck_assert_uint_eq(t->buffers, 7);
	ck_assert(t->eos);
	ck_assert_uint_eq(t->after_eos, 0);
	ck_assert_int_eq(px_pipeline_stop(p), 0);
	assert_pools_quiet();
	px_pipeline_destroy(p);

	/* silent=false posts a line per buffer, GStreamer's last-message. */
	p = parse("fakesrc num-buffers=3 size=8 ! identity name=i silent=false ! "
		  "fakesink name=s silent=false");
	run_ok(p);
	{
		char text[PX_MSG_TEXT];
		unsigned lines = 0;

		while (px_test_bus_find(p, PX_MSG_ELEMENT, "i",
					"chain (i:sink) (8 bytes, pts: none",
					text, sizeof(text)))
			lines++;
		ck_assert_uint_eq(lines, 3);
	}
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

/*
 * A source whose pool cannot be made fails to start with one ERROR, not
 * one from the engine and another from the element. 65536 slots of 1 GiB
 * (64 TiB) fail in mmap under the kernel's overcommit heuristic (mode 0)
 * or strict accounting (2); mode 1 would grant them.
 */
START_TEST(test_elements_pool_error_once)
{
	struct px_pipeline *p;
	struct px_message m;
	unsigned errors = 0;
	FILE *f = fopen("/proc/sys/vm/overcommit_memory", "r");
	int mode = -1;

	if (!f || fscanf(f, "%d", &mode) != 1 || mode == 1) {
		if (f)
			fclose(f);
		PX_SKIP("vm.overcommit_memory is 1: a 64 TiB pool would not "
			"fail");
	}
	fclose(f);
	p = parse("fakesrc size=1073741824 pool-slots=65536 num-buffers=1 ! "
		  "fakesink");
	ck_assert_int_lt(px_pipeline_set_state(p, PX_STATE_PLAYING), 0);
	while (px_bus_pop(px_pipeline_bus(p), 0, &m) == 0) {
		if (m.type != PX_MSG_ERROR)
			continue;
		errors++;
		ck_assert_str_eq(m.source, "fakesrc0");
		ck_assert_msg(strstr(m.text, "cannot create pool fakesrc0.pool "
					     "(65536 x 1024 MiB = 64.0 TiB) in "
					     "heap memory (memory=auto): ") !=
				      NULL,
			      "%s", m.text);
	}
	ck_assert_uint_eq(errors, 1);
	ck_assert_int_eq(px_pipeline_stop(p), 0);
	px_pipeline_destroy(p);
}
END_TEST

/* ---- capsfilter ---------------------------------------------------------- */

START_TEST(test_elements_capsfilter)
{
	struct px_pipeline *p;
	struct px_element *cf;
	char buf[128];

	REQUIRE_ENGINE();
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

/* ---- typed builder ------------------------------------------------------- */

START_TEST(test_elements_builder)
{
	struct px_pipeline *p;
	struct px_element *src, *id, *tee, *q, *s1, *s2;
	uint8_t buf[100];
	uint32_t crc = 0;

	REQUIRE_ENGINE();
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
	tcase_add_test(px_tcase(s, "capsfilter"), test_elements_capsfilter);
	tcase_add_test(px_tcase(s, "pool_error_once"),
		       test_elements_pool_error_once);
	tcase_add_test(px_tcase(s, "builder"), test_elements_builder);
	return s;
}

PX_TEST_MAIN(elements_suite)
