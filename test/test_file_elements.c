// SPDX-License-Identifier: MIT
/*
 * test_file_elements.c - filesrc and filesink: byte-identical copies at the
 * block-size edges, offset/length, O_DIRECT, streams, error texts (missing
 * file, ENOSPC with the byte count), tee with no byte copied, and the proof
 * through the reactor's counters that reads and writes used fixed buffers.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include "px_elements.h"
#include "px_pipeline.h"
#include "px_probe.h"
#include "px_reactor.h"
#include "px_test.h"

#define WAIT_NS (60ll * 1000000000ll)
#define BS 65536

/* ---- helpers ------------------------------------------------------------ */

static char *tpath(const char *name)
{
	static char buf[4][512];
	static int k;
	char *p = buf[k++ & 3];

	snprintf(p, 512, "%s/%s", px_test_tmpdir(), name);
	return p;
}

/* A file of SIZE pseudo-random bytes (SEED picks the sequence). */
static void make_file(const char *path, uint64_t size, uint32_t seed)
{
	static uint8_t chunk[1 << 20];
	uint64_t x = seed * 0x9E3779B97F4A7C15ull + 1;
	FILE *f = fopen(path, "wb");

	ck_assert_msg(f != NULL, "create %s: %s", path, strerror(errno));
	while (size) {
		size_t n = size < sizeof(chunk) ? (size_t)size : sizeof(chunk);

		for (size_t i = 0; i < n; i += 8) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			memcpy(chunk + i, &x, PX_MIN(8, n - i));
		}
		ck_assert_uint_eq(fwrite(chunk, 1, n, f), n);
		size -= n;
	}
	ck_assert_int_eq(fclose(f), 0);
}

/* True when B holds exactly LEN bytes of A from offset OFF. */
static bool same_bytes(const char *a, uint64_t off, uint64_t len,
		       const char *b)
{
	static uint8_t x[1 << 20], y[1 << 20];
	FILE *fa = fopen(a, "rb"), *fb = fopen(b, "rb");
	struct stat st;
	bool ok = fa && fb && stat(b, &st) == 0 && (uint64_t)st.st_size == len;

	if (ok && fseeko(fa, (off_t)off, SEEK_SET) != 0)
		ok = false;
	while (ok && len) {
		size_t n = len < sizeof(x) ? (size_t)len : sizeof(x);

		ok = fread(x, 1, n, fa) == n && fread(y, 1, n, fb) == n &&
		     memcmp(x, y, n) == 0;
		len -= n;
	}
	if (fa)
		fclose(fa);
	if (fb)
		fclose(fb);
	return ok;
}

static struct px_pipeline *parse(const char *launch)
{
	struct px_pipeline *p = NULL;
	struct px_parse_error err = { 0 };
	int rc = px_pipeline_parse(launch, &p, &err);

	ck_assert_msg(rc == 0, "parse '%s': %d %s", launch, rc, err.message);
	return p;
}

/* Play P and wait for EOS or ERROR; MSG gets that message. */
static int run(struct px_pipeline *p, struct px_message *msg)
{
	int rc = px_pipeline_play(p);

	if (rc < 0) {
		snprintf(msg->text, sizeof(msg->text), "%s",
			 px_pipeline_error(p));
		return rc;
	}
	rc = px_pipeline_wait(p, WAIT_NS, msg);
	ck_assert_msg(rc != -ETIMEDOUT, "pipeline did not finish");
	return rc;
}

static void run_ok(struct px_pipeline *p)
{
	struct px_message m = { 0 };
	int rc = run(p, &m);

	ck_assert_msg(rc == 0, "wait: %d (%s: %s)", rc, m.source, m.text);
}

static void finish(struct px_pipeline *p)
{
	ck_assert_int_eq(px_pipeline_stop(p), 0);
	px_pipeline_destroy(p);
}

/* Copy SRC to DST with filesrc ! filesink and EXTRA filesrc properties. */
static void copy(const char *src, const char *dst, const char *extra)
{
	char launch[1400];
	struct px_pipeline *p;

	snprintf(launch, sizeof(launch),
		 "filesrc location=\"%s\" %s ! filesink location=\"%s\"", src,
		 extra ? extra : "", dst);
	p = parse(launch);
	run_ok(p);
	finish(p);
}

/* The stats JSON of P (caller frees). */
static char *stats_json(struct px_pipeline *p)
{
	char *json = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&json, &len);

	ck_assert_ptr_nonnull(f);
	ck_assert_int_eq(px_pipeline_write_stats_json(p, f), 0);
	fclose(f);
	return json;
}

/* ---- tests -------------------------------------------------------------- */

START_TEST(test_file_elements_copy_edges)
{
	static const uint64_t sizes[] = { 0, 1, BS - 1, BS, BS + 1,
					  3 * BS + 17 };
	const char *src = tpath("src.bin"), *dst = tpath("dst.bin");

	for (unsigned i = 0; i < PX_ARRAY_SIZE(sizes); i++) {
		make_file(src, sizes[i], i + 1);
		copy(src, dst, NULL);
		ck_assert_msg(same_bytes(src, 0, sizes[i], dst),
			      "copy of %llu bytes differs",
			      (unsigned long long)sizes[i]);
	}
	/* Small blocks, deep queue: completions come back out of order and
	 * must still be written in order. */
	make_file(src, (8u << 20) + 123, 77);
	copy(src, dst, "blocksize=4096 depth=64");
	ck_assert(same_bytes(src, 0, (8u << 20) + 123, dst));
	/* A block size that is not a page multiple; a pool barely deeper
	 * than the reads in flight. */
	copy(src, dst, "blocksize=1000 depth=3 pool-slots=4");
	ck_assert(same_bytes(src, 0, (8u << 20) + 123, dst));
}
END_TEST

START_TEST(test_file_elements_copy_64m)
{
	const char *src = tpath("src64.bin"), *dst = tpath("dst64.bin");

	make_file(src, (64u << 20) + 4097, 5);
	copy(src, dst, NULL);
	ck_assert(same_bytes(src, 0, (64u << 20) + 4097, dst));
	copy(src, dst, "blocksize=1M depth=4");
	ck_assert(same_bytes(src, 0, (64u << 20) + 4097, dst));
}
END_TEST

START_TEST(stress_file_elements_copy_1g)
{
	const char *src = tpath("src1g.bin"), *dst = tpath("dst1g.bin");

	make_file(src, (1ull << 30) + 1, 9);
	copy(src, dst, "blocksize=1M");
	ck_assert(same_bytes(src, 0, (1ull << 30) + 1, dst));
	unlink(src);
	unlink(dst);
}
END_TEST

START_TEST(test_file_elements_offset_length)
{
	const char *src = tpath("src.bin"), *dst = tpath("part.bin");

	make_file(src, 5 * BS + 100, 3);
	copy(src, dst, "offset=1000 length=70000");
	ck_assert(same_bytes(src, 1000, 70000, dst));
	copy(src, dst, "offset=65536");
	ck_assert(same_bytes(src, 65536, 4 * BS + 100, dst));
	/* A length past the end stops at the end; an offset past it is EOS. */
	copy(src, dst, "offset=300000 length=1000000");
	ck_assert(same_bytes(src, 300000, 5 * BS + 100 - 300000, dst));
	copy(src, dst, "offset=10000000");
	ck_assert(same_bytes(src, 0, 0, dst));
}
END_TEST

START_TEST(test_file_elements_direct)
{
	char dir[] = "/var/tmp/pxdirect.XXXXXX";
	char src[300], dst[300];
	int fd;

	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(src, sizeof(src), "%s/src.bin", dir);
	snprintf(dst, sizeof(dst), "%s/dst.bin", dir);
	make_file(src, 10 * BS + 1234, 11);
	fd = open(src, O_RDONLY | O_DIRECT);
	if (fd < 0) {
		unlink(src);
		rmdir(dir);
		PX_SKIP("O_DIRECT is not supported under /var/tmp here");
	}
	close(fd);
	copy(src, dst, "direct=true");
	ck_assert(same_bytes(src, 0, 10 * BS + 1234, dst));
	copy(src, dst, "direct=true blocksize=1M offset=65536 length=200000");
	ck_assert(same_bytes(src, 65536, 200000, dst));
	{
		/* An unaligned block size is refused before anything flows. */
		char launch[700], text[PX_MSG_TEXT];
		struct px_pipeline *p;
		struct px_message m = { 0 };

		snprintf(launch, sizeof(launch),
			 "filesrc location=%s direct=true blocksize=1000 ! fakesink",
			 src);
		p = parse(launch);
		ck_assert_int_eq(run(p, &m), -EINVAL);
		ck_assert_msg(px_test_bus_find(p, PX_MSG_ERROR, NULL,
					       "multiples of", text, sizeof(text)),
			      "no alignment error");
		ck_assert_msg(strstr(text, "blocksize (1000)"), "%s", text);
		finish(p);
	}
	unlink(src);
	unlink(dst);
	rmdir(dir);
}
END_TEST

START_TEST(test_file_elements_stream)
{
	const char *dst = tpath("zero.bin");
	static const uint8_t zero[4096];
	uint8_t buf[4096];
	FILE *f;
	size_t n, total = 0;

	/* /dev/zero is a character device: one read at a time at the file
	 * position, bounded by length. */
	copy("/dev/zero", dst, "length=1000001");
	f = fopen(dst, "rb");
	ck_assert_ptr_nonnull(f);
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0) {
		ck_assert(memcmp(buf, zero, n) == 0);
		total += n;
	}
	fclose(f);
	ck_assert_uint_eq(total, 1000001);
}
END_TEST

START_TEST(test_file_elements_missing)
{
	struct px_pipeline *p;
	struct px_message m = { 0 };
	struct px_element_stats st;
	char text[PX_MSG_TEXT], launch[600];
	const char *path = tpath("does-not-exist.bin");

	snprintf(launch, sizeof(launch),
		 "filesrc name=src location=%s ! fakesink name=sink", path);
	p = parse(launch);
	ck_assert_int_eq(run(p, &m), -ENOENT);
	ck_assert_msg(px_test_bus_find(p, PX_MSG_ERROR, NULL, "cannot open",
				       text, sizeof(text)),
		      "no open error on the bus");
	ck_assert_msg(strstr(text, path), "%s", text);
	ck_assert_msg(strstr(text, "No such file or directory"), "%s", text);
	ck_assert_msg(strstr(text, "src"), "%s", text);
	/* Nothing flowed. */
	px_element_stats(px_pipeline_find(p, "sink"), &st);
	ck_assert_uint_eq(st.buffers_in, 0);
	finish(p);
}
END_TEST

START_TEST(test_file_elements_dev_full)
{
	struct px_pipeline *p;
	struct px_message m = { 0 };
	char launch[600];
	const char *src = tpath("src.bin");

	if (access("/dev/full", W_OK) != 0)
		PX_SKIP("no writable /dev/full");
	make_file(src, 4 * BS, 1);
	snprintf(launch, sizeof(launch),
		 "filesrc location=%s ! filesink name=out location=/dev/full",
		 src);
	p = parse(launch);
	ck_assert_int_eq(run(p, &m), -ENOSPC);
	ck_assert_str_eq(m.source, "out");
	ck_assert_msg(strstr(m.text, "wrote 0 bytes to '/dev/full' before: No space left on device"),
		      "%s", m.text);
	finish(p);
}
END_TEST

/*
 * A tiny tmpfs fills up mid-copy: the error names the byte count, and
 * exactly those bytes, the start of the source, are in the file. Needs root
 * for a private mount namespace (check runs each test in its own process).
 */
START_TEST(test_file_elements_enospc_count)
{
	struct px_pipeline *p;
	struct px_message m = { 0 };
	char launch[1200], mnt[512], dst[600];
	const char *src = tpath("src.bin");
	unsigned long long n = 0;
	const char *at;

	if (!px_test_is_root())
		PX_SKIP("needs root to mount a small tmpfs");
	snprintf(mnt, sizeof(mnt), "%s", tpath("mnt"));
	ck_assert_int_eq(mkdir(mnt, 0755), 0);
	if (unshare(CLONE_NEWNS) != 0 ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0 ||
	    mount("tmpfs", mnt, "tmpfs", 0, "size=1m") != 0)
		PX_SKIP("cannot mount a tmpfs in a private namespace: %s",
			strerror(errno));
	snprintf(dst, sizeof(dst), "%s/out.bin", mnt);
	make_file(src, 3u << 20, 21);
	snprintf(launch, sizeof(launch),
		 "filesrc location=%s ! filesink name=out location=%s depth=8",
		 src, dst);
	p = parse(launch);
	ck_assert_int_eq(run(p, &m), -ENOSPC);
	at = strstr(m.text, "wrote ");
	ck_assert_msg(at && sscanf(at, "wrote %llu bytes", &n) == 1, "%s",
		      m.text);
	ck_assert_msg(strstr(m.text, "before: No space left on device"), "%s",
		      m.text);
	finish(p);
	ck_assert_uint_gt(n, 0);
	ck_assert_uint_le(n, 1u << 20);
	/* Every byte before the failure point reached the file. */
	{
		struct stat st;

		ck_assert_int_eq(stat(dst, &st), 0);
		ck_assert_uint_ge((uint64_t)st.st_size, n);
		ck_assert_int_eq(truncate(dst, (off_t)n), 0);
		ck_assert(same_bytes(src, 0, n, dst));
	}
	umount(mnt);
}
END_TEST

START_TEST(test_file_elements_append_sync)
{
	const char *a = tpath("a.bin"), *b = tpath("b.bin"),
		   *out = tpath("ab.bin");
	char launch[1200];
	struct px_pipeline *p;
	FILE *fa, *fo;
	int ca, co;

	make_file(a, BS + 5, 1);
	make_file(b, 2 * BS + 7, 2);
	copy(a, out, NULL);
	snprintf(launch, sizeof(launch),
		 "filesrc location=%s ! filesink location=%s append=true fsync=true",
		 b, out);
	p = parse(launch);
	run_ok(p);
	finish(p);
	/* out = a then b. */
	fa = fopen(a, "rb");
	fo = fopen(out, "rb");
	ck_assert(fa && fo);
	while ((ca = fgetc(fa)) != EOF) {
		co = fgetc(fo);
		if (ca != co)
			ck_abort_msg("appended file differs");
	}
	fclose(fa);
	fclose(fo);
	ck_assert(same_bytes(out, 0, BS + 5 + 2 * BS + 7, out));
	{
		/* The tail is b. */
		char tail[600];

		snprintf(tail, sizeof(tail), "%s", tpath("tail.bin"));
		copy(out, tail, "offset=65541");
		ck_assert(same_bytes(b, 0, 2 * BS + 7, tail));
	}
}
END_TEST

/*
 * The zero-copy path, proven by counters: every read is a READ_FIXED into a
 * registered slot and every write a WRITE_FIXED from one (the reactor's
 * fixed_ops), and a tee to two filesinks copies no byte (pool stats).
 */
START_TEST(test_file_elements_tee_zero_copy)
{
	const char *src = tpath("src.bin"), *a = tpath("a.bin"),
		   *b = tpath("b.bin");
	const uint64_t size = 40 * BS + 3;
	const uint64_t reads = 41;
	struct px_reactor_stats rs;
	struct px_pipeline *p;
	struct px_message m = { 0 };
	char launch[1400], *json;
	int rc;

	make_file(src, size, 8);

	/* filesrc ! fakesink: fixed ops = reads exactly. */
	snprintf(launch, sizeof(launch),
		 "filesrc name=src location=%s ! fakesink", src);
	p = parse(launch);
	ck_assert_int_eq(px_pipeline_play(p), 0);
	rc = px_pipeline_wait(p, WAIT_NS, &m);
	ck_assert_msg(rc == 0, "%d %s", rc, m.text);
	px_reactor_stats(px_element_reactor(px_pipeline_find(p, "src")), &rs);
	ck_assert_uint_eq(rs.fixed_ops,
			  rs.backend == PX_BACKEND_IO_URING ? reads : 0);
	finish(p);

	/* filesrc ! tee ! filesink  t. ! queue ! filesink: one read and two
	 * writes per block, all fixed; two identical copies; no copy. */
	snprintf(launch, sizeof(launch),
		 "filesrc name=src location=%s ! tee name=t ! filesink location=%s "
		 "t. ! queue ! filesink location=%s",
		 src, a, b);
	p = parse(launch);
	ck_assert_int_eq(px_pipeline_play(p), 0);
	rc = px_pipeline_wait(p, WAIT_NS, &m);
	ck_assert_msg(rc == 0, "%d %s", rc, m.text);
	/* The queue is a thread boundary: the second filesink may run on
	 * another reactor, where the source's pool is not registered and its
	 * writes are plain WRITEs from the same slots (still no copy). */
	{
		struct px_reactor *r0 = px_element_reactor(
			px_pipeline_find(p, "src"));
		struct px_reactor *r1 = px_element_reactor(
			px_pipeline_find(p, "filesink1"));

		px_reactor_stats(r0, &rs);
		ck_assert_msg(rs.backend != PX_BACKEND_IO_URING ||
				      rs.fixed_ops >= (r0 == r1 ? 3 : 2) * reads,
			      "fixed ops %llu",
			      (unsigned long long)rs.fixed_ops);
	}
	json = stats_json(p);
	ck_assert_msg(strstr(json, "\"bytes_copied\":0") ||
			      strstr(json, "\"bytes_copied\": 0"),
		      "%s", json);
	ck_assert_msg(!strstr(json, "\"bytes_copied\":1") &&
			      !strstr(json, "\"bytes_copied\": 1"),
		      "%s", json);
	free(json);
	finish(p);
	ck_assert(same_bytes(src, 0, size, a));
	ck_assert(same_bytes(src, 0, size, b));
}
END_TEST

/* Stopping while reads and writes are in flight cancels them and returns
 * every slot; the same pipeline then plays again from the start. */
START_TEST(test_file_elements_stop_replay)
{
	const char *src = tpath("src.bin"), *out = tpath("out.bin");
	char launch[1200];
	struct px_pipeline *p;

	snprintf(launch, sizeof(launch),
		 "filesrc location=/dev/zero blocksize=1M ! filesink location=%s depth=8",
		 out);
	p = parse(launch);
	for (int round = 0; round < 3; round++) {
		struct px_element *sink = px_pipeline_element_at(p, 1);
		struct px_element_stats st = { 0 };

		ck_assert_int_eq(px_pipeline_play(p), 0);
		/* Stop with reads and writes in flight: once writes began. */
		PX_TEST_UNTIL((px_element_stats(sink, &st), st.buffers_in >= 4),
			      30);
		ck_assert_int_eq(px_pipeline_stop(p), 0);
		ck_assert(!px_test_bus_has(p, PX_TEST_MSG_PROBLEM, "still held"));
	}
	px_pipeline_destroy(p);

	make_file(src, 20 * BS + 9, 4);
	snprintf(launch, sizeof(launch),
		 "filesrc location=%s depth=16 blocksize=4096 ! filesink location=%s",
		 src, out);
	p = parse(launch);
	for (int round = 0; round < 2; round++) {
		run_ok(p);
		ck_assert_int_eq(px_pipeline_stop(p), 0);
		ck_assert(!px_test_bus_has(p, PX_TEST_MSG_PROBLEM, "still held"));
		ck_assert(same_bytes(src, 0, 20 * BS + 9, out));
	}
	px_pipeline_destroy(p);
}
END_TEST

static Suite *file_elements_suite(void)
{
	Suite *s = suite_create("file_elements");
	TCase *tc;

	tcase_add_test(px_tcase(s, "copy_edges"), test_file_elements_copy_edges);
	tcase_add_test(px_tcase(s, "copy_64m"), test_file_elements_copy_64m);
	tc = px_tcase(s, "stress_copy_1g");
	tcase_set_timeout(tc, 600);
	tcase_add_test(tc, stress_file_elements_copy_1g);
	tcase_add_test(px_tcase(s, "offset_length"),
		       test_file_elements_offset_length);
	tcase_add_test(px_tcase(s, "direct"), test_file_elements_direct);
	tcase_add_test(px_tcase(s, "stream"), test_file_elements_stream);
	tcase_add_test(px_tcase(s, "missing"), test_file_elements_missing);
	tcase_add_test(px_tcase(s, "dev_full"), test_file_elements_dev_full);
	tcase_add_test(px_tcase(s, "enospc_count"),
		       test_file_elements_enospc_count);
	tcase_add_test(px_tcase(s, "append_sync"),
		       test_file_elements_append_sync);
	tcase_add_test(px_tcase(s, "stop_replay"),
		       test_file_elements_stop_replay);
	tcase_add_test(px_tcase(s, "tee_zero_copy"),
		       test_file_elements_tee_zero_copy);
	return s;
}

PX_TEST_MAIN(file_elements_suite)
