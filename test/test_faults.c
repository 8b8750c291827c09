// SPDX-License-Identifier: MIT
/*
 * test_faults.c - faults from below the pipeline that no test can fake
 * from inside it. EIO: a FUSE file system of the test's own (a child
 * process, libfuse3) serves a file whose bytes from a given offset on fail
 * to read with EIO, as a dying disk's do. filesrc must say which element,
 * file and offset, and filesink must have kept an intact prefix.
 */
#define FUSE_USE_VERSION 31

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#ifdef PX_HAVE_FUSE
#include <fuse.h>
#endif

#include "px_pipeline.h"
#include "px_test.h"

#define FILE_SIZE (8u << 20)
#define BAD_AT	  (5u << 20) /* the first byte that fails with EIO */

static uint8_t pattern(uint64_t off)
{
	return (uint8_t)(off * 7 + (off >> 12));
}

#ifdef PX_HAVE_FUSE

/* ---- the file system: one file, "data" ------------------------------------ */

static int fs_getattr(const char *path, struct stat *st,
		      struct fuse_file_info *fi)
{
	(void)fi;
	memset(st, 0, sizeof(*st));
	if (!strcmp(path, "/")) {
		st->st_mode = S_IFDIR | 0755;
		st->st_nlink = 2;
		return 0;
	}
	if (strcmp(path, "/data"))
		return -ENOENT;
	st->st_mode = S_IFREG | 0444;
	st->st_nlink = 1;
	st->st_size = FILE_SIZE;
	return 0;
}

static int fs_open(const char *path, struct fuse_file_info *fi)
{
	if (strcmp(path, "/data"))
		return -ENOENT;
	fi->direct_io = 1; /* every read reaches us, none from the cache */
	return 0;
}

static int fs_read(const char *path, char *buf, size_t size, off_t off,
		   struct fuse_file_info *fi)
{
	(void)path;
	(void)fi;
	if ((uint64_t)off >= FILE_SIZE)
		return 0;
	if ((uint64_t)off + size > BAD_AT)
		return -EIO; /* the read touches the failing area */
	for (size_t i = 0; i < size; i++)
		buf[i] = (char)pattern((uint64_t)off + i);
	return (int)size;
}

static const struct fuse_operations fs_ops = {
	.getattr = fs_getattr,
	.open = fs_open,
	.read = fs_read,
};

struct fs_child {
	pid_t pid;
	char mnt[512];
};

/* Mount the file system at a fresh directory, served by a child process
 * (forked before any reactor exists). 0, or a reason in WHY. */
static int fs_start(struct fs_child *c, char *why, size_t len)
{
	int ready[2];
	char ok;

	snprintf(c->mnt, sizeof(c->mnt), "%s/fuse", px_test_tmpdir());
	if (mkdir(c->mnt, 0755) < 0 || pipe(ready) < 0) {
		snprintf(why, len, "mkdir/pipe: %s", strerror(errno));
		return -1;
	}
	c->pid = fork();
	if (c->pid == 0) {
		char *argv[] = { "px-test-fuse", NULL };
		struct fuse_args args = FUSE_ARGS_INIT(1, argv);
		struct fuse *f = fuse_new(&args, &fs_ops, sizeof(fs_ops), NULL);

		close(ready[0]);
		if (!f || fuse_mount(f, c->mnt) != 0)
			_exit(2);
		(void)!write(ready[1], "m", 1);
		close(ready[1]);
		(void)fuse_loop(f); /* until the test unmounts */
		fuse_unmount(f);
		fuse_destroy(f);
		_exit(0);
	}
	close(ready[1]);
	if (c->pid < 0 || read(ready[0], &ok, 1) != 1) {
		snprintf(why, len, "the fuse server could not mount %s (needs "
			 "/dev/fuse and root)", c->mnt);
		close(ready[0]);
		if (c->pid > 0)
			waitpid(c->pid, NULL, 0);
		return -1;
	}
	close(ready[0]);
	return 0;
}

static void fs_stop(struct fs_child *c)
{
	int status;

	ck_assert_int_eq(umount2(c->mnt, MNT_DETACH), 0);
	ck_assert_int_eq(waitpid(c->pid, &status, 0), c->pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		      "fuse server: status %d", status);
}
#endif /* PX_HAVE_FUSE */

/*
 * filesrc over a file whose bytes from 5 MiB on fail with EIO: an ERROR
 * naming filesrc, the file and the offset of the failing read; what
 * filesink wrote is a prefix of the file, byte-exact, that stops at or
 * before the failing offset.
 */
START_TEST(eio_mid_file)
{
#ifndef PX_HAVE_FUSE
	PX_SKIP("built without libfuse3 (libfuse3-dev): no fuse file system");
#else
	struct fs_child fs;
	struct px_pipeline *p = NULL;
	struct px_parse_error perr = { 0 };
	struct px_message m;
	char why[768], launch[1400], out[600], path[600];
	const char *at;
	uint8_t buf[65536];
	uint64_t off = 0;
	FILE *f;

	if (!px_test_is_root())
		PX_SKIP("mounting a fuse file system here needs root");
	if (fs_start(&fs, why, sizeof(why)) < 0)
		ck_abort_msg("%s", why);
	snprintf(path, sizeof(path), "%s/data", fs.mnt);
	snprintf(out, sizeof(out), "%s/out.bin", px_test_tmpdir());
	snprintf(launch, sizeof(launch),
		 "filesrc name=src location=%s blocksize=65536 ! "
		 "filesink location=%s",
		 path, out);
	ck_assert_msg(px_pipeline_parse(launch, &p, &perr) == 0, "%s",
		      perr.message);
	ck_assert_int_eq(px_pipeline_play(p), 0);
	ck_assert_int_eq(px_pipeline_wait(p, 60000000000LL, &m), -EIO);
	ck_assert_int_eq(m.type, PX_MSG_ERROR);
	ck_assert_str_eq(m.source, "src");
	ck_assert_msg(strstr(m.text, path) && strstr(m.text, "Input/output"),
		      "%s", m.text);
	at = strstr(m.text, "at offset ");
	ck_assert_msg(at, "no offset in: %s", m.text);
	/* The offset is a read that touched the failing area (reads run in
	 * parallel: on the epoll backend's workers a later one may fail
	 * first). */
	ck_assert_uint_gt(strtoull(at + 10, NULL, 10) + 65536, BAD_AT);
	ck_assert_uint_lt(strtoull(at + 10, NULL, 10), FILE_SIZE);
	ck_assert_int_eq(px_pipeline_stop(p), 0);
	px_pipeline_destroy(p);
	fs_stop(&fs);

	f = fopen(out, "rb");
	ck_assert_ptr_nonnull(f);
	for (size_t n; (n = fread(buf, 1, sizeof(buf), f)) > 0; off += n)
		for (size_t i = 0; i < n; i++)
			ck_assert_msg(buf[i] == pattern(off + i),
				      "out.bin differs at byte %llu",
				      (unsigned long long)(off + i));
	fclose(f);
	ck_assert_uint_le(off, BAD_AT);
#endif
}
END_TEST

static Suite *faults_suite(void)
{
	Suite *s = suite_create("faults");

	tcase_add_test(px_tcase(s, "eio"), eio_mid_file);
	return s;
}

PX_TEST_MAIN(faults_suite)
