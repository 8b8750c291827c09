// SPDX-License-Identifier: MIT
/*
 * console_writer.c - writes buffers to a file descriptor (stdout) in order,
 * through the reactor's op API with one write in flight, raw or as a
 * `hexdump -C` rendering; never a blocking write on the reactor thread.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "elements_int.h"
#include "px_buf.h"
#include "px_error.h"

#define HEX_LINE 79 /* "%08x  " 16 * "xx " " " " |" 16 "|\n" */
#define HEX_LINES_PER_CHUNK 128

static void cwriter_advance(struct px__cwriter *w);

static void cwriter_finish(struct px__cwriter *w, bool schedule)
{
	px_buf_unref(&w->buf);
	memset(&w->buf, 0, sizeof(w->buf));
	w->busy = false;
	if (schedule)
		px_element_schedule(w->e);
}

static void cwriter_done(struct px_op *op, int res, uint32_t flags)
{
	struct px__cwriter *w = px_container_of(op, struct px__cwriter, op);

	(void)flags;
	w->in_flight = false;
	if (w->stopping) {
		/* the engine ends the stop after this (a counted op) */
		cwriter_finish(w, false);
		return;
	}
	if (res == -EINTR || res == -EAGAIN) {
		cwriter_advance(w);
		return;
	}
	if (res <= 0) {
		int err = res < 0 ? res : -EIO;

		px_element_error(w->e, err, "%s: writing to fd %d failed: %s",
				 px_element_name(w->e), w->fd,
				 res < 0 ? px_strerror(res) : "wrote 0 bytes");
		cwriter_finish(w, false);
		return;
	}
	if (w->mode == PX__CWRITER_TEXT)
		w->done += (uint32_t)res;
	else
		w->text_off += (uint32_t)res;
	cwriter_advance(w);
}

static void hex_render(struct px__cwriter *w)
{
	const uint8_t *data = px_buf_data(&w->buf);
	uint32_t len = w->buf.length;
	char *out = w->text;
	unsigned lines = 0;

	while (w->done < len && lines < HEX_LINES_PER_CHUNK) {
		uint32_t n = PX_MIN(16u, len - w->done);
		const uint8_t *p = data + w->done;
		char *s = out;

		s += sprintf(s, "%08llx  ",
			     (unsigned long long)(w->hex_base + w->done));
		for (uint32_t i = 0; i < 16; i++) {
			if (i < n)
				s += sprintf(s, "%02x ", p[i]);
			else
				s += sprintf(s, "   ");
			if (i == 7)
				*s++ = ' ';
		}
		*s++ = ' ';
		*s++ = '|';
		for (uint32_t i = 0; i < n; i++)
			*s++ = (p[i] >= 0x20 && p[i] < 0x7f) ? (char)p[i] : '.';
		*s++ = '|';
		*s++ = '\n';
		out = s;
		w->done += n;
		lines++;
	}
	/* hexdump -C ends with the total length on a line of its own. */
	if (w->done == len && len > 0)
		out += sprintf(out, "%08llx\n",
			       (unsigned long long)(w->hex_base + len));
	w->text_len = (uint32_t)(out - w->text);
	w->text_off = 0;
}

static void cwriter_submit(struct px__cwriter *w, const void *p, uint32_t n)
{
	int rc;

	w->in_flight = true;
	/* Offset -1: the fd's current position, so pipes, ttys and files
	 * opened by the shell all work. */
	rc = px_io_write(px_element_reactor(w->e), &w->op, w->fd, p, n,
			 (uint64_t)-1, cwriter_done);
	if (rc < 0) {
		w->in_flight = false;
		px_element_error(w->e, rc, "%s: cannot submit a write to fd %d: %s",
				 px_element_name(w->e), w->fd, px_strerror(rc));
		cwriter_finish(w, false);
	}
}

static void cwriter_advance(struct px__cwriter *w)
{
	if (w->mode == PX__CWRITER_TEXT) {
		if (w->done < w->buf.length) {
			cwriter_submit(w, (const char *)px_buf_data(&w->buf) +
						  w->done,
				       w->buf.length - w->done);
			return;
		}
	} else {
		if (w->text_off == w->text_len && w->done < w->buf.length)
			hex_render(w);
		if (w->text_off < w->text_len) {
			cwriter_submit(w, w->text + w->text_off,
				       w->text_len - w->text_off);
			return;
		}
	}
	cwriter_finish(w, true);
}

int px__cwriter_start(struct px__cwriter *w, struct px_element *e, int fd,
		      enum px__cwriter_mode mode)
{
	char *text = w->text;
	uint32_t cap = HEX_LINES_PER_CHUNK * HEX_LINE + 32;

	if (!text) {
		text = malloc(cap);
		if (!text)
			return -ENOMEM;
	}
	memset(w, 0, sizeof(*w));
	w->e = e;
	w->fd = fd;
	w->mode = mode;
	w->text = text;
	w->text_cap = cap;
	px_element_op_init(e, &w->op); /* counted: stop() returns WHEN_IDLE */
	return 0;
}

int px__cwriter_feed(struct px__cwriter *w, const struct px_buf *buf)
{
	w->buf = *buf;
	w->busy = true;
	w->done = 0;
	w->hex_base = 0;
	w->text_len = w->text_off = 0;
	cwriter_advance(w);
	return 0;
}

int px__cwriter_stop(struct px__cwriter *w)
{
	if (w->in_flight) {
		w->stopping = true;
		px_io_cancel(px_element_reactor(w->e), &w->op);
		return PX_STOP_WHEN_IDLE;
	}
	if (w->busy)
		cwriter_finish(w, false);
	return 0;
}

void px__cwriter_fini(struct px__cwriter *w)
{
	free(w->text);
	w->text = NULL;
}
