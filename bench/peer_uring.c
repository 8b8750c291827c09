// SPDX-License-Identifier: MIT
/*
 * peer_uring.c - bare liburing loops that the reactor scenario measures
 * Parallax against: a NOP batch loop on a SINGLE_ISSUER|DEFER_TASKRUN ring,
 * and a MSG_RING ping-pong between two threads (the kernel's floor for a
 * cross-thread wakeup), with the same spin-then-sleep policy as a reactor.
 */
#include <errno.h>
#include <liburing.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>

#include "bench.h"

int bench_uring_nop(unsigned batch, double secs, double *ns_per_op, char *why,
		    size_t len)
{
	struct io_uring ring;
	struct io_uring_cqe *cqe;
	uint64_t i, t0, end;
	unsigned k, head, seen;
	int rc;

	rc = io_uring_queue_init(256, &ring,
				 IORING_SETUP_SINGLE_ISSUER |
					 IORING_SETUP_DEFER_TASKRUN);
	if (rc) {
		bench_snprintf(
			why, len,
			"io_uring_queue_init(SINGLE_ISSUER|DEFER_TASKRUN): "
			"%s",
			strerror(-rc));
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

/* ---- MSG_RING ping-pong ------------------------------------------------ */

#define MSG_PING 1
#define MSG_PONG 2
#define MSG_STOP 3

struct uw {
	struct io_uring ra; /* the main thread's ring */
	_Atomic int fd_b;   /* B's ring fd once it exists, -errno on failure */
	_Atomic uint64_t t0;
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
		uint64_t data, now;

		if (wait_cqe(&rb, s->spin_ns, &cqe) != 0)
			break;
		now = bench_now_ns();
		data = cqe->user_data;
		io_uring_cqe_seen(&rb, cqe);
		if (data == MSG_STOP)
			break;
		if (data != MSG_PING)
			continue;
		size_t i = atomic_load_explicit(&s->got, memory_order_relaxed);

		/* Acquire: t0 was stored before A's MSG_RING was submitted. */
		s->samples[i] =
			(double)(now - atomic_load_explicit(
					       &s->t0, memory_order_acquire)) /
			1000.0;
		atomic_store_explicit(&s->got, i + 1, memory_order_release);
		if (send_msg(&rb, s->ra.ring_fd, MSG_PONG) != 0)
			break;
	}
	io_uring_queue_exit(&rb);
	return NULL;
}

int bench_uring_wakeup(bool sleep_path, uint32_t spin_ns, uint64_t gap_ns,
		       double secs, double *samples, size_t n, size_t *got,
		       char *why, size_t len)
{
	static struct uw s;
	struct io_uring_cqe *cqe;
	struct timespec gap = {(time_t)(gap_ns / 1000000000u),
			       (long)(gap_ns % 1000000000u)};
	uint64_t end;
	pthread_t th;
	int fd_b, rc;

	memset(&s, 0, sizeof(s));
	s.spin_ns = spin_ns;
	s.samples = samples;
	s.n = n;
	atomic_store(&s.fd_b, 0);
	rc = io_uring_queue_init(64, &s.ra, IORING_SETUP_SINGLE_ISSUER);
	if (rc) {
		bench_snprintf(why, len, "io_uring_queue_init: %s",
			       strerror(-rc));
		return rc;
	}
	if (pthread_create(&th, NULL, uw_b, &s) != 0) {
		io_uring_queue_exit(&s.ra);
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
		if (sleep_path)
			clock_nanosleep(CLOCK_MONOTONIC, 0, &gap, NULL);
		/* Release: B reads t0 after it sees the message. */
		atomic_store_explicit(&s.t0, bench_now_ns(),
				      memory_order_release);
		rc = send_msg(&s.ra, fd_b, MSG_PING);
		if (rc == 0)
			rc = wait_cqe(&s.ra, sleep_path ? 0 : spin_ns, &cqe);
		if (rc) {
			bench_snprintf(why, len, "MSG_RING ping-pong: %s",
				       strerror(-rc));
			break;
		}
		if (cqe->res < 0) {
			rc = cqe->res;
			bench_snprintf(why, len, "MSG_RING: %s", strerror(-rc));
			break;
		}
		io_uring_cqe_seen(&s.ra, cqe);
	}
out:
	if (fd_b > 0)
		send_msg(&s.ra, fd_b, MSG_STOP);
	pthread_join(th, NULL);
	io_uring_queue_exit(&s.ra);
	*got = atomic_load(&s.got);
	return rc;
}
