// SPDX-License-Identifier: MIT
/* test_bus.c - the pipeline bus: pop with and without timeout, the fd that
 * is readable while messages wait, the callback, overflow, wait_end. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <pthread.h>
#include <string.h>
#include <unistd.h>

#include "bus_int.h"
#include "px_pipeline.h"
#include "px_test.h"

static bool readable(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	return poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLIN);
}

START_TEST(test_bus_pop)
{
	struct px_bus *bus;
	struct px_message m;
	uint64_t t0;

	ck_assert_int_eq(px__bus_create(&bus), 0);
	ck_assert_int_eq(px_bus_pop(bus, 0, &m), -EAGAIN);
	t0 = px__now_ns();
	ck_assert_int_eq(px_bus_pop(bus, 20 * 1000 * 1000, &m), -ETIMEDOUT);
	ck_assert_uint_ge(px__now_ns() - t0, 19 * 1000 * 1000);

	px__bus_postf(bus, PX_MSG_WARNING, -EIO, "src0", "careful %d", 1);
	px__bus_postf(bus, PX_MSG_INFO, 0, NULL, "second");
	ck_assert_uint_eq(px__bus_count(bus), 2);
	ck_assert_int_eq(px_bus_pop(bus, -1, &m), 0);
	ck_assert_int_eq(m.type, PX_MSG_WARNING);
	ck_assert_int_eq(m.code, -EIO);
	ck_assert_str_eq(m.source, "src0");
	ck_assert_str_eq(m.text, "careful 1");
	ck_assert_uint_ge(m.time_ns, t0);
	ck_assert_int_eq(px_bus_pop(bus, 0, &m), 0);
	ck_assert_str_eq(m.text, "second");
	ck_assert_int_eq(px_bus_pop(bus, 0, &m), -EAGAIN);
	ck_assert_str_eq(px_msg_type_name(PX_MSG_EOS), "EOS");
	ck_assert_str_eq(px_state_name(PX_STATE_PAUSED), "PAUSED");
	px__bus_destroy(bus);
}
END_TEST

START_TEST(test_bus_fd)
{
	struct px_bus *bus;
	struct px_message m;
	int fd;

	ck_assert_int_eq(px__bus_create(&bus), 0);
	fd = px_bus_fd(bus);
	ck_assert_int_ge(fd, 0);
	ck_assert(!readable(fd));
	px__bus_postf(bus, PX_MSG_INFO, 0, "x", "one");
	ck_assert(readable(fd));
	px__bus_postf(bus, PX_MSG_INFO, 0, "x", "two");
	ck_assert(readable(fd));
	ck_assert_int_eq(px_bus_pop(bus, 0, &m), 0);
	ck_assert(readable(fd));
	ck_assert_int_eq(px_bus_pop(bus, 0, &m), 0);
	ck_assert(!readable(fd));
	px__bus_destroy(bus);
}
END_TEST

struct cb_rec {
	int calls;
	enum px_msg_type last;
	char text[PX_MSG_TEXT];
};

static void on_msg(const struct px_message *msg, void *arg)
{
	struct cb_rec *r = arg;

	r->calls++;
	r->last = msg->type;
	snprintf(r->text, sizeof(r->text), "%s", msg->text);
}

START_TEST(test_bus_callback)
{
	struct px_bus *bus;
	struct cb_rec rec = { 0 };
	struct px_message m;

	ck_assert_int_eq(px__bus_create(&bus), 0);
	px_bus_set_callback(bus, on_msg, &rec);
	px__bus_postf(bus, PX_MSG_ELEMENT, 0, "e", "stats %u", 7u);
	ck_assert_int_eq(rec.calls, 1);
	ck_assert_int_eq(rec.last, PX_MSG_ELEMENT);
	ck_assert_str_eq(rec.text, "stats 7");
	/* still queued for pop */
	ck_assert_int_eq(px_bus_pop(bus, 0, &m), 0);
	px_bus_set_callback(bus, NULL, NULL);
	px__bus_postf(bus, PX_MSG_INFO, 0, "e", "quiet");
	ck_assert_int_eq(rec.calls, 1);
	px__bus_destroy(bus);
}
END_TEST

START_TEST(test_bus_overflow)
{
	struct px_bus *bus;
	struct px_message m;

	ck_assert_int_eq(px__bus_create(&bus), 0);
	px__bus_postf(bus, PX_MSG_ERROR, -EIO, "e", "keep me");
	for (int i = 0; i < PX__BUS_MAX + 10; i++)
		px__bus_postf(bus, PX_MSG_INFO, 0, "e", "%d", i);
	ck_assert_uint_eq(px__bus_count(bus), PX__BUS_MAX);
	ck_assert_uint_eq(px__bus_drops(bus), 11);
	ck_assert_int_eq(px_bus_pop(bus, 0, &m), 0);
	ck_assert_int_eq(m.type, PX_MSG_ERROR);
	ck_assert_int_eq(px_bus_pop(bus, 0, &m), 0);
	ck_assert_str_eq(m.text, "11");
	px__bus_destroy(bus);
}
END_TEST

struct late {
	struct px_bus *bus;
	pid_t waiter; /* the thread in px__bus_wait_end */
};

/* Post EOS once the waiter is blocked (or after 10 s: the test then
 * still checks that the EOS ends the wait). */
static void *late_eos(void *arg)
{
	struct late *l = arg;
	int64_t until = px_test_now_ns() + 10000000000LL;

	while (!px_test_thread_sleeps(l->waiter) && px_test_now_ns() < until)
		px_test_nap();
	px__bus_postf(l->bus, PX_MSG_EOS, 0, "p", "eos");
	return NULL;
}

START_TEST(test_bus_wait_end)
{
	struct px_bus *bus;
	struct px_message m;
	struct late late;
	pthread_t th;
	uint64_t gen;

	ck_assert_int_eq(px__bus_create(&bus), 0);
	/* An ERROR of an earlier generation does not end this run. */
	px__bus_postf(bus, PX_MSG_ERROR, -EINVAL, "p", "old build error");
	gen = px__bus_new_generation(bus);
	px__bus_postf(bus, PX_MSG_INFO, 0, "p", "info");
	ck_assert_int_eq(px__bus_wait_end(bus, gen, 1000000, &m), -ETIMEDOUT);
	late.bus = bus;
	late.waiter = px_test_tid();
	pthread_create(&th, NULL, late_eos, &late);
	ck_assert_int_eq(px__bus_wait_end(bus, gen, -1, &m), 0);
	ck_assert_int_eq(m.type, PX_MSG_EOS);
	pthread_join(th, NULL);
	/* Others stay queued. */
	ck_assert_uint_eq(px__bus_count(bus), 2);
	px__bus_destroy(bus);
}
END_TEST

START_TEST(test_bus_pipeline)
{
	struct px_pipeline *p;
	struct px_message m;

	ck_assert_int_eq(px_pipeline_create("busy", &p), 0);
	ck_assert_str_eq(px_pipeline_name(p), "busy");
	ck_assert_int_eq(px_pipeline_add(p, "no-such-thing", NULL, NULL),
			 -ENOENT);
	ck_assert_int_eq(px_bus_pop(px_pipeline_bus(p), 0, &m), 0);
	ck_assert_int_eq(m.type, PX_MSG_ERROR);
	ck_assert_int_eq(m.code, -ENOENT);
	ck_assert_str_eq(m.text, px_pipeline_error(p));
	ck_assert_int_eq(px_pipeline_wait(p, 0, &m), -ETIMEDOUT);
	px_pipeline_destroy(p);
}
END_TEST

static Suite *make_suite(void)
{
	Suite *s = suite_create("bus");
	TCase *tc;

	tc = px_tcase(s, "pop");
	tcase_add_test(tc, test_bus_pop);
	tc = px_tcase(s, "fd");
	tcase_add_test(tc, test_bus_fd);
	tc = px_tcase(s, "callback");
	tcase_add_test(tc, test_bus_callback);
	tc = px_tcase(s, "overflow");
	tcase_add_test(tc, test_bus_overflow);
	tc = px_tcase(s, "wait_end");
	tcase_add_test(tc, test_bus_wait_end);
	tc = px_tcase(s, "pipeline");
	tcase_add_test(tc, test_bus_pipeline);
	return s;
}

PX_TEST_MAIN(make_suite)
