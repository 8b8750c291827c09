// SPDX-License-Identifier: MIT
/*
 * filesink.c - writes the buffers it receives to a file straight from their
 * pool slots (WRITE_FIXED when the pool is registered with the reactor), in
 * order at explicit offsets, up to `depth` writes in flight; partial writes
 * are resumed; optional fsync before EOS is reported.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "elements_int.h"
#include "io_common_int.h"
#include "px_buf.h"
#include "px_element.h"
#include "px_error.h"
#include "px_reactor.h"

/* Writes in flight, indexed by write sequence modulo FSINK_WINDOW so that
 * the bytes that reached the file can be counted as a contiguous prefix. */
#define FSINK_WINDOW 64

enum fsink_state { WR_FREE = 0, WR_INFLIGHT, WR_DONE, WR_FAILED };

struct fsink_req {
	struct px_op op;
	struct filesink *s;
	struct px_buf buf; /* the slot being written (owned until done) */
	uint64_t off;	   /* file offset of the buffer's first byte */
	uint32_t done;	   /* bytes of buf written so far */
	uint8_t state;	   /* enum fsink_state */
};

struct filesink {
	/* properties */
	char *location;
	bool append;
	bool fsync;
	bool sync;  /* GStreamer's clock sync: false only */
	bool async; /* GStreamer's preroll: false only */
	int64_t depth;

	/* run state, reset by start() */
	struct px_element *e;
	struct px_reactor *r;
	struct px_pad *sink;
	int fd;
	bool seekable;
	unsigned run_depth; /* depth, or 1 for a stream */
	uint64_t base;	   /* file offset of the first byte of this run */
	uint64_t next_off; /* offset of the next buffer */
	uint64_t sub_seq;  /* writes submitted */
	uint64_t done_seq; /* writes retired in order */
	uint64_t written;  /* bytes that reached the file, as a prefix */
	unsigned inflight;
	int err;	 /* first write error, reported once inflight drains */
	bool reported;	 /* the error was posted */
	bool eos;	 /* EOS arrived: finish the writes, then report */
	bool finished;	 /* px_element_eos_reached() called (or fsync sent) */
	bool fsyncing;
	bool stopping;
	struct px_op fsync_op;
	struct fsink_req reqs[FSINK_WINDOW];
};

static const struct px_prop_spec filesink_props[] = {
	PX_PROP_STRING_SPEC("location", struct filesink, location, NULL,
			    "path of the file to write (created if missing)"),
	PX_PROP_BOOL_SPEC("append", struct filesink, append, false,
			  "add to the end of an existing file instead of truncating it"),
	PX_PROP_BOOL_SPEC("fsync", struct filesink, fsync, false,
			  "fsync the file at EOS, before EOS is reported"),
	PX__SINK_CLOCK_SPECS(struct filesink),
	PX_PROP_INT_SPEC("depth", struct filesink, depth, 4, 1, FSINK_WINDOW,
			 "writes kept in flight at once (each at its own offset)"),
};

static const struct px_pad_template filesink_pads[] = {
	{ "sink", PX_PAD_SINK, PX_PAD_ALWAYS, "ANY" },
};

static void write_done(struct px_op *op, int res, uint32_t flags);

static int filesink_prop_changed(struct px_element *e,
				 const struct px_prop_spec *spec)
{
	struct filesink *s = px_element_priv(e);

	return px__sink_clock_props(e, spec, s->sync, s->async,
				    "for a durable file, fsync=true");
}

static int filesink_start(struct px_element *e)
{
	struct filesink *s = px_element_priv(e);
	int flags = O_WRONLY | O_CREAT | O_CLOEXEC;
	struct stat st;
	int err;

	s->e = e;
	s->r = px_element_reactor(e);
	s->sink = px_element_pad(e, "sink");
	s->sub_seq = s->done_seq = s->written = 0;
	s->inflight = 0;
	s->err = 0;
	s->reported = s->eos = s->finished = s->fsyncing = s->stopping = false;
	memset(s->reqs, 0, sizeof(s->reqs));
	px_op_init(&s->fsync_op);
	if (!s->location || !*s->location) {
		px_element_error(e, -EINVAL, "%s: no file to write: set location",
				 px_element_name(e));
		return -EINVAL;
	}
	/* No O_APPEND even with append=true: writes carry explicit offsets
	 * from the size found here, so several can be in flight in order. */
	if (!s->append)
		flags |= O_TRUNC;
	/* A blocking open: start() runs once; the op API has no OPENAT. */
	s->fd = open(s->location, flags, 0644);
	if (s->fd < 0) {
		err = -errno;
		px_element_error(e, err, "%s: cannot open '%s' for writing: %s",
				 px_element_name(e), s->location,
				 px_strerror(err));
		return err;
	}
	if (fstat(s->fd, &st) < 0) {
		err = -errno;
		px_element_error(e, err, "%s: cannot stat '%s': %s",
				 px_element_name(e), s->location,
				 px_strerror(err));
		close(s->fd);
		s->fd = -1;
		return err;
	}
	/* Pipes, sockets and devices such as /dev/full have one position:
	 * write them one buffer at a time at the file position. */
	s->seekable = S_ISREG(st.st_mode) || S_ISBLK(st.st_mode);
	s->base = S_ISREG(st.st_mode) && s->append ? (uint64_t)st.st_size : 0;
	s->next_off = s->base;
	s->run_depth = s->seekable ? (unsigned)s->depth : 1;
	return 0;
}

static void finish_stop(struct filesink *s)
{
	for (unsigned i = 0; i < FSINK_WINDOW; i++) {
		px_buf_unref(&s->reqs[i].buf);
		s->reqs[i].state = WR_FREE;
	}
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
}

static bool stop_check(struct filesink *s)
{
	if (!s->stopping)
		return false;
	if (!s->inflight && !s->fsyncing) {
		finish_stop(s);
		px_element_stop_done(s->e);
	}
	return true;
}

static int submit(struct filesink *s, struct fsink_req *req)
{
	const uint8_t *data = (const uint8_t *)px_buf_data(&req->buf) + req->done;
	uint64_t off = s->seekable ? req->off + req->done : (uint64_t)-1;
	int rc;

	rc = px_io_write(s->r, &req->op, s->fd, data,
			 req->buf.length - req->done, off, write_done);
	if (rc < 0)
		return rc;
	req->state = WR_INFLIGHT;
	s->inflight++;
	return 0;
}

/* Retire finished writes in order; the prefix they form reached the file.
 * A failed write ends the prefix with the bytes it did write. */
static void retire(struct filesink *s)
{
	while (s->done_seq != s->sub_seq) {
		struct fsink_req *req = &s->reqs[s->done_seq % FSINK_WINDOW];

		if (req->state == WR_FAILED) {
			s->written += req->done;
			req->done = 0; /* counted once */
			break;
		}
		if (req->state != WR_DONE)
			break;
		s->written += req->done;
		req->state = WR_FREE;
		s->done_seq++;
	}
}

static void write_done(struct px_op *op, int res, uint32_t flags)
{
	struct fsink_req *req = px_container_of(op, struct fsink_req, op);
	struct filesink *s = req->s;
	bool short_write;
	int rc;

	(void)flags;
	s->inflight--;
	px_log(s->e, PX_LOG_LOG, "write: %d", res);
	if (res > 0) {
		req->done += (uint32_t)res;
		if (req->done < req->buf.length && !s->stopping && !s->err) {
			/* A partial write: resume at the right offset. */
			rc = submit(s, req);
			if (!rc)
				return;
			res = rc;
		}
	} else if (res == 0 && req->done < req->buf.length) {
		res = -EIO; /* no progress on a non-empty write */
	}
	short_write = req->done < req->buf.length;
	px_buf_unref(&req->buf);
	if (res < 0 || short_write) {
		req->state = WR_FAILED;
		/* The first error in sequence order is the one that cut the
		 * prefix; a later cancelled write is not an error of its own. */
		if (!s->err && res != -ECANCELED)
			s->err = res < 0 ? res : -EIO;
	} else {
		req->state = WR_DONE;
	}
	if (stop_check(s))
		return;
	px_element_schedule(s->e);
}

static void fsync_done(struct px_op *op, int res, uint32_t flags)
{
	struct filesink *s = px_container_of(op, struct filesink, fsync_op);

	(void)flags;
	s->fsyncing = false;
	if (stop_check(s))
		return;
	if (res < 0) {
		px_element_error(s->e, res,
				 "%s: fsync of '%s' failed after %llu bytes were written: %s",
				 px_element_name(s->e), s->location,
				 (unsigned long long)s->written, px_strerror(res));
		return;
	}
	px_element_eos_reached(s->e);
}

static void report_error(struct filesink *s)
{
	s->reported = true;
	px_element_error(s->e, s->err, "%s: wrote %llu bytes to '%s' before: %s",
			 px_element_name(s->e), (unsigned long long)s->written,
			 s->location, px_strerror(s->err));
}

static void finish_eos(struct filesink *s)
{
	int rc;

	s->finished = true;
	/* Pipes and devices have nothing to make durable (fsync: EINVAL). */
	if (!s->fsync || !s->seekable) {
		px_element_eos_reached(s->e);
		return;
	}
	rc = px_io_fsync(s->r, &s->fsync_op, s->fd, false, fsync_done);
	if (rc < 0) {
		px_element_error(s->e, rc, "%s: cannot submit fsync of '%s': %s",
				 px_element_name(s->e), s->location,
				 px_strerror(rc));
		return;
	}
	s->fsyncing = true;
}

/* Start writing IT's buffer (transfer full). Returns 0 or -errno. */
static int start_write(struct filesink *s, struct px_item *it)
{
	struct fsink_req *req = &s->reqs[s->sub_seq % FSINK_WINDOW];
	int rc;

	req->s = s;
	req->buf = it->buf;
	req->off = s->next_off;
	req->done = 0;
	rc = submit(s, req);
	if (rc < 0) {
		px_buf_unref(&req->buf);
		s->err = rc;
		return rc;
	}
	s->sub_seq++;
	s->next_off += req->buf.length;
	return 0;
}

static void filesink_work(struct px_element *e)
{
	struct filesink *s = px_element_priv(e);
	struct px_item items[FSINK_WINDOW];
	unsigned n, i;

	if (s->stopping || s->reported || s->finished)
		return;
	retire(s);
	while (!s->err && !s->eos) {
		unsigned free_slots = s->run_depth -
				      (unsigned)(s->sub_seq - s->done_seq);

		if (!free_slots)
			break;
		n = px_pad_pull(s->sink, items, free_slots);
		if (!n)
			break;
		for (i = 0; i < n; i++) {
			struct px_item *it = &items[i];

			if (s->eos || s->err) {
				px_item_release(it);
			} else if (it->type == PX_ITEM_BUFFER &&
				   it->buf.length) {
				(void)start_write(s, it);
			} else {
				if (px_item_is_eos(it))
					s->eos = true;
				px_item_release(it);
			}
		}
	}
	if (s->inflight)
		return; /* write_done() schedules us */
	retire(s);
	if (s->err) {
		report_error(s);
		return;
	}
	if (s->eos)
		finish_eos(s);
}

static int filesink_stop(struct px_element *e)
{
	struct filesink *s = px_element_priv(e);

	s->stopping = true;
	if (s->inflight || s->fsyncing) {
		for (unsigned i = 0; i < FSINK_WINDOW; i++)
			if (s->reqs[i].state == WR_INFLIGHT)
				(void)px_io_cancel(s->r, &s->reqs[i].op);
		/* An fsync cannot be interrupted; it completes on its own. */
		return 1; /* the last completion calls px_element_stop_done() */
	}
	finish_stop(s);
	return 0;
}

const struct px_element_class px__filesink_class = {
	.name = "filesink",
	.description = "Writes buffers to a file with io_uring WRITE_FIXED from their slots",
	.priv_size = sizeof(struct filesink),
	.pads = filesink_pads,
	.n_pads = PX_ARRAY_SIZE(filesink_pads),
	.props = filesink_props,
	.n_props = PX_ARRAY_SIZE(filesink_props),
	.prop_changed = filesink_prop_changed,
	.start = filesink_start,
	.work = filesink_work,
	.stop = filesink_stop,
};
