// SPDX-License-Identifier: MIT
/*
 * multi_process.c - a pipeline cut between two processes. Process A runs
 * "filesrc ! ipcsink": filesrc reads the file straight into pool slots that
 * the engine made shareable because ipcsink is downstream. Process B uses
 * the px_ipc_subscriber API (no pipeline): it maps those slots read-only
 * and reads each buffer in place. B checks every byte against the file and
 * exits 0 when all of it arrived, in order, unchanged.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <parallax/px_ipc.h>
#include <parallax/px_pipeline.h>

#define FILE_SIZE ((8u << 20) + 7u) /* 8 MiB and a ragged tail */

static uint8_t byte_at(uint64_t off)
{
	return (uint8_t)(off * 131 + (off >> 12));
}

static int make_file(char *path)
{
	static uint8_t block[1 << 16];
	int fd = mkstemp(path);
	uint64_t off = 0;

	if (fd < 0)
		return -errno;
	while (off < FILE_SIZE) {
		size_t n = PX_MIN(sizeof(block), FILE_SIZE - off);

		for (size_t i = 0; i < n; i++)
			block[i] = byte_at(off + i);
		if (write(fd, block, n) != (ssize_t)n) {
			close(fd);
			return -EIO;
		}
		off += n;
	}
	close(fd);
	return 0;
}

/* Process B: subscribe, check every byte in place, report. */
static int subscriber(const char *channel)
{
	struct px_ipc_subscriber_config cfg = { .channel = channel };
	struct px_ipc_subscriber *sub;
	uint64_t off = 0, buffers = 0;
	struct px_buf b;
	int rc;

	rc = px_ipc_subscriber_create(&cfg, &sub);
	if (rc < 0) {
		fprintf(stderr, "B: subscribe: %s\n", strerror(-rc));
		return 1;
	}
	while ((rc = px_ipc_subscriber_recv(sub, &b, -1)) == 0) {
		const uint8_t *p = px_buf_data(&b); /* the publisher's slot */

		for (uint32_t i = 0; i < b.length; i++)
			if (p[i] != byte_at(off + i)) {
				fprintf(stderr, "B: byte %llu differs\n",
					(unsigned long long)(off + i));
				px_buf_unref(&b);
				px_ipc_subscriber_destroy(sub);
				return 1;
			}
		off += b.length;
		buffers++;
		px_buf_unref(&b); /* hands the slot back to A */
	}
	if (rc != -ENODATA)
		fprintf(stderr, "B: %s\n", px_ipc_subscriber_error(sub));
	else
		printf("B: %llu bytes in %llu buffers, all as written (caps %s)\n",
		       (unsigned long long)off, (unsigned long long)buffers,
		       px_ipc_subscriber_caps(sub));
	px_ipc_subscriber_destroy(sub);
	return rc == -ENODATA && off == FILE_SIZE ? 0 : 1;
}

/* Process A: the pipeline that publishes the file. */
static int publisher(const char *path, const char *channel)
{
	char launch[512];
	struct px_parse_error perr;
	struct px_pipeline *p;
	struct px_message m;
	int rc;

	snprintf(launch, sizeof(launch),
		 "filesrc location=%s ! ipcsink channel=%s", path, channel);
	rc = px_pipeline_parse(launch, &p, &perr);
	if (rc < 0)
		return rc;
	rc = px_pipeline_play(p);
	if (!rc)
		rc = px_pipeline_wait(p, 60ll * 1000000000ll, &m);
	if (rc)
		fprintf(stderr, "A: %s\n", rc == -ETIMEDOUT ? "no EOS in 60 s" :
							      m.text);
	else
		printf("A: published %s in %.3f s\n", path,
		       px_pipeline_seconds(p));
	px_pipeline_destroy(p);
	return rc;
}

int main(void)
{
	char path[] = "/tmp/px-multi-process.XXXXXX";
	char channel[64];
	int status = 1, rc;
	pid_t child;

	if (make_file(path) < 0) {
		perror("temporary file");
		return 1;
	}
	snprintf(channel, sizeof(channel), "example-%d", (int)getpid());
	/* Fork before either side makes a reactor: an io_uring instance
	 * must not cross fork(). */
	child = fork();
	if (child == 0) {
		int code = subscriber(channel);

		fflush(stdout);
		_exit(code);
	}
	rc = publisher(path, channel);
	if (child > 0)
		waitpid(child, &status, 0);
	unlink(path);
	return rc == 0 && child > 0 && WIFEXITED(status) &&
			       WEXITSTATUS(status) == 0 ?
		       0 :
		       1;
}
