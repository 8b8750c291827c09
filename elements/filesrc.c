// SPDX-License-Identifier: MIT
/*
 * filesrc.c - reads a file into the slots of its own pool, which is
 * registered with the reactor, so every read is READ_FIXED straight into the
 * buffer that travels downstream. Keeps `depth` reads in flight and pushes
 * them in offset order; EOS at end of file or after `length` bytes.
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

/*
 * Reads in flight are tracked in a window indexed by read sequence modulo
 * FSRC_WINDOW: completions may come back in any order, pushes go out in
 * sequence (= offset) order. depth <= FSRC_WINDOW keeps the window exact.
 */
#define FSRC_WINDOW 64
/*
 * depth=0 (auto) keeps about FSRC_AUTO_BYTES in flight, at most 8 reads:
 * small blocks need several reads in flight to hide the per-read cost,
 * large ones lose throughput once the slots being filled no longer fit the
 * caches (from the page cache, 1 MiB blocks were fastest at depth 1-4 and
 * slower at 8). `px-bench file` compares depths against fio; re-measure
 * there before changing these.
 */
#define FSRC_AUTO_BYTES (4u << 20)
#define FSRC_AUTO_MAX 8
/* Slots beyond depth: the link (16 by default) and what downstream holds
 * (a filesink's writes in flight, a queue). Past that the source simply
 * waits for a release: backpressure, never a copy. */
#define FSRC_POOL_MARGIN 48

enum fsrc_state { REQ_FREE = 0, REQ_INFLIGHT, REQ_DONE };

struct fsrc_req {
	struct px_op op;
	struct filesrc *s;
	struct px_buf buf;
	uint64_t off;  /* file offset of the slot's first byte */
	uint32_t want; /* bytes asked for this slot */
	uint32_t got;  /* bytes read so far */
	uint8_t state; /* enum fsrc_state */
};

struct filesrc {
	/* properties */
	char *location;
	uint64_t blocksize;
	int64_t num_buffers; /* -1: the whole file */
	int64_t depth;
	uint64_t offset;
	uint64_t length;
	bool direct;
	int64_t pool_slots;

	/* run state, reset by start() */
	struct px_element *e;
	struct px_reactor *r;
	struct px_pad *src;
	struct px_pool *pool;
	int fd;
	bool seekable;
	unsigned run_depth; /* depth, or 1 for a stream */
	uint64_t end;	   /* stop reading here (UINT64_MAX: until read 0) */
	uint64_t next_off; /* offset of the next read to submit */
	uint64_t sub_seq;  /* reads submitted */
	uint64_t push_seq; /* reads pushed (or dropped when empty) */
	unsigned inflight;
	bool eof;	/* a read returned 0: submit nothing more */
	bool failed;	/* an error was posted */
	bool done;	/* EOS pushed, or downstream refused */
	bool stopping;
	struct fsrc_req reqs[FSRC_WINDOW];
};

static const struct px_prop_spec filesrc_props[] = {
	PX_PROP_STRING_SPEC("location", struct filesrc, location, NULL,
			    "path of the file to read"),
	PX_PROP_SIZE_SPEC("blocksize", struct filesrc, blocksize, 64u << 10,
			  1, 64u << 20,
			  "bytes per buffer: one read fills one pool slot (GStreamer's default is 4K; 64K reads cost fewer syscalls)"),
	PX_PROP_INT_SPEC("num-buffers", struct filesrc, num_buffers, -1, -1,
			 INT64_MAX,
			 "buffers to read before EOS (-1: to the end of the file or length)"),
	PX_PROP_INT_SPEC("depth", struct filesrc, depth, 0, 0, FSRC_WINDOW,
			 "reads kept in flight at once (0: auto, about 4 MiB in flight: 8 reads of 64K, 4 of 1M)"),
	PX_PROP_SIZE_SPEC("offset", struct filesrc, offset, 0, 0, INT64_MAX,
			  "byte offset in the file where reading starts"),
	PX_PROP_SIZE_SPEC("length", struct filesrc, length, 0, 0, INT64_MAX,
			  "bytes to read from offset (0: to the end of the file)"),
	PX_PROP_BOOL_SPEC("direct", struct filesrc, direct, false,
			  "bypass the page cache (O_DIRECT); blocksize and offset must be multiples of the file's direct-I/O alignment"),
	PX_PROP_INT_SPEC("pool-slots", struct filesrc, pool_slots, 0, 0, 65536,
			 "buffers in the source's pool (0: depth + 48); must be more than depth"),
};

static const struct px_pad_template filesrc_pads[] = {
	{ "src", PX_PAD_SRC, PX_PAD_ALWAYS, "ANY" },
};

/* Stopping: close the file once no read can still use its number (a read
 * not yet submitted would find another file behind a reused fd). */
static void close_when_idle(struct filesrc *s)
{
	for (unsigned i = 0; i < FSRC_WINDOW; i++)
		if (px_op_busy(&s->reqs[i].op))
			return;
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
}

static void read_done(struct px_op *op, int res, uint32_t flags);

static uint32_t page_align(uint64_t size)
{
	long page = sysconf(_SC_PAGESIZE);
	uint64_t a = page > 0 ? (uint64_t)page : 4096;

	return (uint32_t)PX_ALIGN_UP(size, a);
}

/* The O_DIRECT offset alignment of FD's file (statx DIOALIGN, 6.1+), or
 * 4096 when the kernel does not say: no logical block is larger. */
static uint32_t dio_align(int fd)
{
	struct statx stx;

	if (statx(fd, "", AT_EMPTY_PATH, STATX_DIOALIGN, &stx) == 0 &&
	    (stx.stx_mask & STATX_DIOALIGN) && stx.stx_dio_offset_align)
		return stx.stx_dio_offset_align;
	return 4096;
}

static int open_file(struct filesrc *s)
{
	struct px_element *e = s->e;
	int flags = O_RDONLY | O_CLOEXEC | (s->direct ? O_DIRECT : 0);
	struct stat st;
	uint32_t align;
	int fd, errno_save = 0;

	if (!s->location || !*s->location) {
		px_element_error(e, -EINVAL, "%s: no file to read: set location",
				 px_element_name(e));
		return -EINVAL;
	}
	/* A blocking open: start() runs once, at READY -> PAUSED, and the op
	 * API has no OPENAT yet. */
	fd = open(s->location, flags);
	if (fd < 0 && errno == EINVAL && s->direct) {
		px_element_error(e, -EINVAL,
				 "%s: cannot open '%s' with direct=true: its filesystem does not support O_DIRECT",
				 px_element_name(e), s->location);
		return -EINVAL;
	}
	if (fd < 0) {
		int err = -errno;

		px_element_error(e, err, "%s: cannot open '%s': %s",
				 px_element_name(e), s->location,
				 px_strerror(err));
		return err;
	}
	if (fstat(fd, &st) < 0)
		st.st_mode = 0, errno_save = -errno;
	else if (S_ISDIR(st.st_mode))
		errno_save = -EISDIR;
	if (errno_save) {
		int err = errno_save;

		px_element_error(e, err, "%s: cannot read '%s': %s",
				 px_element_name(e), s->location,
				 px_strerror(err));
		close(fd);
		return err;
	}
	s->seekable = S_ISREG(st.st_mode) || S_ISBLK(st.st_mode);
	if (s->direct) {
		align = dio_align(fd);
		if (s->blocksize % align || s->offset % align) {
			px_element_error(e, -EINVAL,
					 "%s: direct=true needs blocksize (%llu) and offset (%llu) to be multiples of %u, the direct-I/O alignment of '%s'",
					 px_element_name(e),
					 (unsigned long long)s->blocksize,
					 (unsigned long long)s->offset, align,
					 s->location);
			close(fd);
			return -EINVAL;
		}
	}
	s->end = s->length ? s->offset + s->length : UINT64_MAX;
	if (S_ISREG(st.st_mode))
		s->end = PX_MIN(s->end, (uint64_t)st.st_size);
	if (!s->seekable && s->offset) {
		px_element_error(e, -ESPIPE,
				 "%s: '%s' is not seekable: offset must be 0",
				 px_element_name(e), s->location);
		close(fd);
		return -ESPIPE;
	}
	s->fd = fd;
	return 0;
}

/* A new location: the NUMA node of its disk, where the source should run
 * (the engine places it at READY; numa-node= overrides). */
static int filesrc_prop_changed(struct px_element *e,
				const struct px_prop_spec *spec)
{
	struct filesrc *s = px_element_priv(e);

	if (!strcmp(spec->name, "location"))
		px_element_device_node(e, px__path_numa_node(s->location));
	return 0;
}

static int filesrc_start(struct px_element *e)
{
	struct filesrc *s = px_element_priv(e);
	uint32_t depth, slots;
	int rc;

	s->e = e;
	s->r = px_element_reactor(e);
	s->src = px_element_pad(e, "src");
	s->fd = -1;
	s->next_off = s->offset;
	s->sub_seq = s->push_seq = 0;
	s->inflight = 0;
	s->eof = s->failed = s->done = s->stopping = false;
	memset(s->reqs, 0, sizeof(s->reqs));
	for (unsigned i = 0; i < FSRC_WINDOW; i++)
		px_element_op_init(e, &s->reqs[i].op); /* counted for stop */
	rc = open_file(s);
	if (rc < 0)
		return rc;
	/* A pipe or a character device has one file position: one read at a
	 * time keeps its bytes in order. */
	depth = (uint32_t)s->depth;
	if (!depth)
		depth = (uint32_t)PX_MAX(1, PX_MIN(FSRC_AUTO_MAX,
						   FSRC_AUTO_BYTES / s->blocksize));
	if (!s->seekable)
		depth = 1;
	s->run_depth = depth;
	if (!s->depth && s->pool_slots && depth >= s->pool_slots)
		depth = (uint32_t)PX_MAX(1, s->pool_slots - 1); /* auto fits */
	slots = s->pool_slots ? (uint32_t)s->pool_slots
			      : depth + FSRC_POOL_MARGIN;
	if (slots <= depth) {
		px_element_error(e, -EINVAL,
				 "%s: pool-slots (%u) must be larger than depth (%u)",
				 px_element_name(e), slots, depth);
		close(s->fd);
		s->fd = -1;
		return -EINVAL;
	}
	rc = px_element_pool_create(e, page_align(s->blocksize), slots,
				    &s->pool);
	if (rc < 0) { /* px_element_pool_create() posted the ERROR */
		close(s->fd);
		s->fd = -1;
		return rc;
	}
	return 0;
}

static void fail(struct filesrc *s, int err, const char *what, uint64_t off)
{
	if (s->failed)
		return;
	s->failed = true;
	px_element_error(s->e, err, "%s: %s '%s' at offset %llu: %s",
			 px_element_name(s->e), what, s->location,
			 (unsigned long long)off, px_strerror(err));
}

/* Submit (or resubmit the rest of) REQ's read. */
static int submit(struct filesrc *s, struct fsrc_req *req)
{
	uint8_t *data = (uint8_t *)px_buf_data(&req->buf) + req->got;
	uint64_t off = s->seekable ? req->off + req->got : (uint64_t)-1;
	int rc;

	rc = px_io_read(s->r, &req->op, s->fd, data, req->want - req->got, off,
			read_done);
	if (rc < 0)
		return rc;
	req->state = REQ_INFLIGHT;
	s->inflight++;
	return 0;
}


/*
 * Short reads: a read that returns fewer bytes than asked, not at end of
 * file, is resubmitted for the rest into the same slot at the right offset,
 * so every buffer but the last is exactly blocksize bytes. A read of 0 is
 * end of file (the file shrank, or its size was unknown).
 */
static void read_done(struct px_op *op, int res, uint32_t flags)
{
	struct fsrc_req *req = px_container_of(op, struct fsrc_req, op);
	struct filesrc *s = req->s;
	int rc;

	(void)flags;
	s->inflight--;
	req->state = REQ_DONE;
	px_log(s->e, PX_LOG_LOG, "read at %llu: %d",
	       (unsigned long long)(req->off + req->got), res);
	if (s->stopping) {
		/* The kernel is done with the slot; the engine finishes the
		 * stop after the last read (PX_STOP_WHEN_IDLE). */
		px_buf_unref(&req->buf);
		req->state = REQ_FREE;
		close_when_idle(s);
		return;
	}
	/* Interrupted: read again, unless EOS was asked meanwhile; then it,
	 * like a read the EOS request cancelled (filesrc_work), ends here. */
	if (res == -EAGAIN || res == -EINTR || (res == -ECANCELED && s->eof)) {
		if (!s->eof)
			goto resubmit;
		res = 0;
	}
	if (res < 0) {
		fail(s, res, "read error in", req->off + req->got);
		return;
	}
	if (res == 0) {
		s->eof = true; /* the slot keeps what it got; later reads get 0 */
		goto out;
	}
	req->got += (uint32_t)res;
	if (!s->seekable) /* depth 1: the stream position is what arrived */
		s->next_off = req->off + req->got;
	/* O_DIRECT reads stop short only at end of file (the rest would be
	 * unaligned anyway); streams deliver what they have. */
	if (s->direct || !s->seekable) {
		if (req->got < req->want && s->direct)
			s->eof = true;
		goto out;
	}
resubmit:
	if (req->got < req->want) {
		rc = submit(s, req);
		if (rc < 0)
			fail(s, rc, "cannot submit a read of", req->off + req->got);
		return;
	}
out:
	px_element_schedule(s->e);
}

/* Push completed reads in sequence order. False when the link is full. */
static bool push_ready(struct filesrc *s)
{
	while (s->push_seq != s->sub_seq) {
		struct fsrc_req *req = &s->reqs[s->push_seq % FSRC_WINDOW];
		struct px_item it;
		enum px_flow f;
		uint64_t room;

		if (req->state != REQ_DONE)
			return true;
		/* A direct read may pass the end: trim to it. */
		room = s->end - req->off;
		if (req->got > room)
			req->got = (uint32_t)room;
		if (!req->got) {
			px_buf_unref(&req->buf);
		} else {
			req->buf.length = req->got;
			req->buf.seq = s->push_seq;
			req->buf.stream_offset = req->off;
			px_item_from_buf(&it, &req->buf);
			f = px_pad_push(s->src, &it);
			if (f == PX_FLOW_BUSY)
				return false;
			memset(&req->buf, 0, sizeof(req->buf));
			if (f != PX_FLOW_OK) {
				/* Downstream is gone or finished: stop reading. */
				s->done = true;
			}
		}
		req->state = REQ_FREE;
		s->push_seq++;
	}
	return true;
}

/* num-buffers reads made: the next thing is EOS. */
static bool counted_out(const struct filesrc *s)
{
	return s->num_buffers >= 0 && s->sub_seq >= (uint64_t)s->num_buffers;
}

static void filesrc_work(struct px_element *e)
{
	struct filesrc *s = px_element_priv(e);
	int rc;

	if (s->stopping || s->failed)
		return;
	if (!s->done && !push_ready(s))
		return; /* scheduled again when the link drains */
	if (!s->done && !s->eof && px_element_eos_requested(e)) {
		s->eof = true;
		/* A pipe or a terminal may never answer the read in flight:
		 * end it (what it got so far is pushed). A file's reads end
		 * by themselves. */
		if (!s->seekable)
			for (unsigned i = 0; i < FSRC_WINDOW; i++)
				if (s->reqs[i].state == REQ_INFLIGHT)
					(void)px_io_cancel(s->r, &s->reqs[i].op);
	}
	while (!s->done && !s->eof && s->next_off < s->end &&
	       !counted_out(s) && s->inflight < s->run_depth &&
	       s->sub_seq - s->push_seq < s->run_depth) {
		struct fsrc_req *req = &s->reqs[s->sub_seq % FSRC_WINDOW];
		uint64_t left = s->end - s->next_off;

		rc = px_element_buf_alloc(e, s->pool, (uint32_t)s->blocksize,
					  &req->buf);
		if (rc == -ENOBUFS)
			break; /* scheduled when a slot returns */
		if (rc < 0) {
			fail(s, rc, "cannot allocate a buffer for", s->next_off);
			return;
		}
		req->s = s;
		req->off = s->next_off;
		req->got = 0;
		/* O_DIRECT lengths stay aligned; the push trims to end. */
		req->want = (uint32_t)(s->direct ? s->blocksize
						 : PX_MIN(left, s->blocksize));
		rc = submit(s, req);
		if (rc < 0) {
			px_buf_unref(&req->buf);
			fail(s, rc, "cannot submit a read of", s->next_off);
			return;
		}
		s->sub_seq++;
		s->next_off += req->want;
	}
	if (s->done)
		return;
	if (s->inflight || s->push_seq != s->sub_seq)
		return;
	if (s->eof || s->next_off >= s->end || counted_out(s)) {
		if (px_element_push_eos(e) != PX_FLOW_BUSY)
			s->done = true;
	}
}

static int filesrc_stop(struct px_element *e)
{
	struct filesrc *s = px_element_priv(e);

	s->stopping = true;
	for (unsigned i = 0; i < FSRC_WINDOW; i++) {
		struct fsrc_req *req = &s->reqs[i];

		if (px_op_busy(&req->op)) {
			/* Its slot is the kernel's until read_done(). */
			(void)px_io_cancel(s->r, &req->op);
		} else {
			px_buf_unref(&req->buf);
			req->state = REQ_FREE;
		}
	}
	close_when_idle(s);
	return PX_STOP_WHEN_IDLE;
}

const struct px_element_class px__filesrc_class = {
	.name = "filesrc",
	.description = "Reads a file with io_uring READ_FIXED into pool slots",
	.priv_size = sizeof(struct filesrc),
	.pads = filesrc_pads,
	.n_pads = PX_ARRAY_SIZE(filesrc_pads),
	.props = filesrc_props,
	.n_props = PX_ARRAY_SIZE(filesrc_props),
	.prop_changed = filesrc_prop_changed,
	.start = filesrc_start,
	.work = filesrc_work,
	.stop = filesrc_stop,
};
