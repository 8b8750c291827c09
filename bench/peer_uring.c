// SPDX-License-Identifier: MIT
/*
 * peer_uring.c - bare liburing loops that the reactor scenario measures
 * Parallax against: a NOP batch loop on a ring with the reactor's flags,
 * and MSG_RING posts from one thread to another (the kernel's floor for a
 * cross-thread wakeup), with the same spin-then-sleep policy as a reactor.
 */
#include <errno.h>
#include <liburing.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>

#include "bench.h"

int bench_uring_nop(unsigned batch, unsigned flags, double secs,
		    double *ns_per_op, char *why, size_t len)
{
	struct io_uring ring;
	struct io_uring_cqe *cqe;
	uint64_t i, t0, end;
	unsigned k, head, seen;
	int rc;

	rc = io_uring_queue_init(256, &ring, flags);
	if (rc) {
		bench_snprintf(why, len, "io_uring_queue_init(flags 0x%x): %s",
			       flags, strerror(-rc));
		return rc;
	}
	t0 = bench_now_ns();
	end = t0 + (uint64_t)(secs * 1e9);
	for (i = 0; (i & 63) || bench_now_ns() < end; i++) {
		for (k = 0; k < batch; k++) {
			struct io_uring_sqe *sqe = io_uring_get_sqe(&ring);

			io_uring_prep_nop(sqe);
			io_uring_sqe_set_data(sqe, &ring);
		}
		rc = io_uring_submit_and_wait(&ring, batch);
		if (rc < 0)
			break;
		seen = 0;
		io_uring_for_each_cqe(&ring, head, cqe)
		{
			if (cqe->res < 0)
				rc = cqe->res;
			seen++;
		}
		io_uring_cq_advance(&ring, seen);
		if (rc < 0 || seen != batch) {
			rc = rc < 0 ? rc : -EIO;
			break;
		}
	}
	*ns_per_op = (double)(bench_now_ns() - t0) / (double)(i * batch);
	io_uring_queue_exit(&ring);
	if (rc < 0) {
		bench_snprintf(why, len, "bare liburing NOP loop: %s",
			       strerror(-rc));
		return rc;
	}
	return 0;
}

/* ---- MSG_RING wakeup -------------------------------------------------- */

#define MSG_PING 1
#define MSG_STOP 2

struct uw {
	_Atomic int fd_b; /* B's ring fd once it exists, -errno on failure */
	_Atomic uint64_t t0;
	_Atomic int pending; /* a PING is on its way to B */
	uint32_t spin_ns;
	double *samples;
	size_t n;
	_Atomic size_t got;
};

/* Spin on the CQ for up to spin_ns, then sleep in the kernel. */
static int wait_cqe(struct io_uring *r, uint32_t spin_ns,
		    struct io_uring_cqe **cqe)
{
	uint64_t end = bench_now_ns() + spin_ns;

	while (spin_ns && bench_now_ns() < end)
		if (io_uring_peek_cqe(r, cqe) == 0)
			return 0;
	return io_uring_wait_cqe(r, cqe);
}

/* MSG_RING to fd; no CQE on our side unless it fails. */
static int send_msg(struct io_uring *r, int fd, uint64_t data)
{
	struct io_uring_sqe *sqe = io_uring_get_sqe(r);
	int rc;

	if (!sqe)
		return -EBUSY;
	io_uring_prep_msg_ring(sqe, fd, 0, data, 0);
	sqe->flags |= IOSQE_CQE_SKIP_SUCCESS;
	rc = io_uring_submit(r);
	return rc < 0 ? rc : 0;
}

static void *uw_b(void *arg)
{
	struct uw *s = arg;
	struct io_uring rb;
	struct io_uring_cqe *cqe;
	int rc = io_uring_queue_init(64, &rb, IORING_SETUP_SINGLE_ISSUER);

	/* Release: pairs with the acquire load in bench_uring_wakeup. */
	atomic_store_explicit(&s->fd_b, rc ? rc : rb.ring_fd,
			      memory_order_release);
	if (rc)
		return NULL;
	for (;;) {
		uint64_t data, now, t0;
		size_t i;

		if (wait_cqe(&rb, s->spin_ns, &cqe) != 0)
			break;
		now = bench_now_ns();
		data = cqe->user_data;
		io_uring_cqe_seen(&rb, cqe);
		if (data == MSG_STOP)
			break;
		if (data != MSG_PING)
			continue;
		/* Acquire: t0 was stored before A submitted the PING. */
		t0 = atomic_load_explicit(&s->t0, memory_order_acquire);
		i = atomic_load_explicit(&s->got, memory_order_relaxed);
		if (i < s->n)
			s->samples[i++] = (double)(now - t0) / 1000.0;
		/* Release: the sample before got and pending; pairs with A. */
		atomic_store_explicit(&s->got, i, memory_order_release);
		atomic_store_explicit(&s->pending, 0, memory_order_release);
	}
	io_uring_queue_exit(&rb);
	return NULL;
}

/* Let gap_ns pass: by spinning on the clock (spin path) or sleeping. */
static void wait_gap(bool sleep_path, uint64_t gap_ns)
{
	struct timespec ts = {(time_t)(gap_ns / 1000000000u),
			      (long)(gap_ns % 1000000000u)};
	uint64_t end;

	if (sleep_path) {
		clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, NULL);
		return;
	}
	end = bench_now_ns() + gap_ns;
	while (bench_now_ns() < end)
		;
}

int bench_uring_wakeup(bool sleep_path, uint32_t spin_ns, uint64_t gap_ns,
		       double secs, double *samples, size_t n, size_t *got,
		       char *why, size_t len)
{
	static struct uw s;
	struct io_uring ra;
	struct io_uring_cqe *cqe;
	uint64_t end;
	pthread_t th;
	int fd_b, rc;

	memset(&s, 0, sizeof(s));
	s.spin_ns = spin_ns;
	s.samples = samples;
	s.n = n;
	rc = io_uring_queue_init(64, &ra, IORING_SETUP_SINGLE_ISSUER);
	if (rc) {
		bench_snprintf(why, len, "io_uring_queue_init: %s",
			       strerror(-rc));
		return rc;
	}
	if (pthread_create(&th, NULL, uw_b, &s) != 0) {
		io_uring_queue_exit(&ra);
		return -EAGAIN;
	}
	while ((fd_b = atomic_load_explicit(&s.fd_b, memory_order_acquire)) ==
	       0)
		;
	if (fd_b < 0) {
		rc = fd_b;
		bench_snprintf(why, len, "io_uring_queue_init on B: %s",
			       strerror(-rc));
		goto out;
	}
	end = bench_now_ns() + (uint64_t)(secs * 1e9);
	while (atomic_load_explicit(&s.got, memory_order_acquire) < n &&
	       bench_now_ns() < end) {
		wait_gap(sleep_path, gap_ns);
		/* Acquire: pairs with B's release after its sample. */
		if (atomic_load_explicit(&s.pending, memory_order_acquire))
			continue;
		atomic_store_explicit(&s.pending, 1, memory_order_relaxed);
		/* Release: B reads t0 once it sees the PING. */
		atomic_store_explicit(&s.t0, bench_now_ns(),
				      memory_order_release);
		rc = send_msg(&ra, fd_b, MSG_PING);
		/* A CQE here is a failed MSG_RING (successes are skipped). */
		if (rc == 0 && io_uring_peek_cqe(&ra, &cqe) == 0) {
			rc = cqe->res < 0 ? cqe->res : -EIO;
			io_uring_cqe_seen(&ra, cqe);
		}
		if (rc) {
			bench_snprintf(why, len, "MSG_RING: %s", strerror(-rc));
			break;
		}
	}
out:
	if (fd_b > 0)
		send_msg(&ra, fd_b, MSG_STOP);
	pthread_join(th, NULL);
	io_uring_queue_exit(&ra);
	*got = atomic_load(&s.got);
	return rc;
}

/* ---- a spin-polled user-space flag: the spin path's own class of peer ---- */

struct sf {
	_Atomic uint64_t seq; /* A: bumped once per ping (release) */
	_Atomic uint64_t t0;  /* A: the time just before the bump */
	_Atomic int stop;
	double *samples;
	size_t n;
	_Atomic size_t got;
};

static void *sf_b(void *arg)
{
	struct sf *s = arg;
	uint64_t seen = 0;

	for (;;) {
		/* Acquire: pairs with A's release bump; t0 is then visible. */
		uint64_t q = atomic_load_explicit(&s->seq, memory_order_acquire);
		size_t i;

		if (q == seen) {
			if (atomic_load_explicit(&s->stop,
						 memory_order_relaxed))
				break;
			continue;
		}
		seen = q;
		uint64_t now = bench_now_ns();
		uint64_t t0 = atomic_load_explicit(&s->t0,
						   memory_order_relaxed);

		i = atomic_load_explicit(&s->got, memory_order_relaxed);
		if (i < s->n)
			s->samples[i++] = (double)(now - t0) / 1000.0;
		/* Release: the sample before got; pairs with A's acquire. */
		atomic_store_explicit(&s->got, i, memory_order_release);
	}
	return NULL;
}

int bench_flag_wakeup(uint64_t gap_ns, double secs, double *samples, size_t n,
		      size_t *got)
{
	static struct sf s;
	uint64_t end, sent = 0;
	pthread_t th;

	memset(&s, 0, sizeof(s));
	s.samples = samples;
	s.n = n;
	if (pthread_create(&th, NULL, sf_b, &s) != 0)
		return -EAGAIN;
	end = bench_now_ns() + (uint64_t)(secs * 1e9);
	while (sent < n && bench_now_ns() < end) {
		/* One ping in flight: wait until B took the last one. */
		while (atomic_load_explicit(&s.got, memory_order_acquire) <
			       sent &&
		       bench_now_ns() < end)
			;
		wait_gap(false, gap_ns);
		atomic_store_explicit(&s.t0, bench_now_ns(),
				      memory_order_relaxed);
		/* Release: t0 before the bump B polls for. */
		atomic_fetch_add_explicit(&s.seq, 1, memory_order_release);
		sent++;
	}
	while (atomic_load_explicit(&s.got, memory_order_acquire) < sent &&
	       bench_now_ns() < end + 1000000000ull)
		;
	atomic_store_explicit(&s.stop, 1, memory_order_relaxed);
	pthread_join(th, NULL);
	*got = atomic_load(&s.got);
	return 0;
}
