// SPDX-License-Identifier: MIT
/*
 * nats_bridge.c - the connection and the worker thread natssink and natssrc
 * share (nats_bridge.h has the thread rules).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "nats_bridge.h"

/* How long the worker sleeps between looks at an outage. */
#define PXN_TICK_MS 100
/* libnats retries a lost server this often. */
#define PXN_RECONNECT_WAIT_MS 100

int64_t pxn_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * PXN_SEC + ts.tv_nsec;
}

const char *pxn_status_text(natsStatus s, char *buf, size_t len)
{
	const char *detail = nats_GetLastError(NULL);

	if (detail && *detail && strcmp(detail, natsStatus_GetText(s)))
		snprintf(buf, len, "%s (%s)", natsStatus_GetText(s), detail);
	else
		snprintf(buf, len, "%s", natsStatus_GetText(s));
	return buf;
}

int pxn_fail(struct pxn_bridge *b, int err, const char *fmt, ...)
{
	char text[400];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (!atomic_exchange(&b->failed, true))
		px_element_error(b->e, err, "%s: %s", b->name, text);
	pxn_wake(b);
	return err;
}

void pxn_wake(struct pxn_bridge *b)
{
	uint64_t one = 1;

	/* EAGAIN only at a counter of 2^64-2: the reactor is woken anyway. */
	if (write(b->efd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		px_element_warning(b->e, "%s: cannot wake the reactor: %s",
				   b->name, strerror(errno));
}

void pxn_wait_locked(struct pxn_bridge *b, int ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	(void)pthread_cond_timedwait(&b->cv, &b->mu, &ts);
}

int pxn_check_outage(struct pxn_bridge *b)
{
	int64_t since = atomic_load(&b->down_since);
	int64_t now;

	if (!since) {
		b->warned = false;
		return 0;
	}
	now = pxn_now();
	if (!b->warned && !atomic_load(&b->ready) &&
	    now - since >= PXN_TICK_MS * 1000000LL) {
		/* not connected yet (a lost connection warned at once) */
		b->warned = true;
		px_element_warning(b->e,
				   "%s: NATS server %s unreachable: waiting for "
				   "it to return (ERROR after %.1f s)",
				   b->name, b->url, (double)b->down_timeout / 1e9);
	}
	if (now - since >= b->down_timeout)
		return pxn_fail(b, -ETIMEDOUT,
				"NATS server %s unreachable for %.1f s "
				"(disconnect-timeout)",
				b->url, (double)(now - since) / 1e9);
	return 0;
}

bool pxn_header_i64(natsMsg *m, const char *key, int64_t *v)
{
	const char *s = NULL;
	char *end;

	if (natsMsgHeader_Get(m, key, &s) != NATS_OK || !s)
		return false;
	errno = 0;
	*v = strtoll(s, &end, 10);
	return !errno && end != s && !*end;
}

bool pxn_header_u64(natsMsg *m, const char *key, uint64_t *v)
{
	const char *s = NULL;
	char *end;

	if (natsMsgHeader_Get(m, key, &s) != NATS_OK || !s || *s == '-')
		return false;
	errno = 0;
	*v = strtoull(s, &end, 10);
	return !errno && end != s && !*end;
}

/* ---- libnats callbacks (its threads) -------------------------------------- */

static void on_disconnected(natsConnection *nc, void *arg)
{
	struct pxn_bridge *b = arg;
	int64_t zero = 0;

	(void)nc;
	atomic_store(&b->connected, false);
	if (atomic_compare_exchange_strong(&b->down_since, &zero, pxn_now()) &&
	    !pxn_quitting(b))
		px_element_warning(b->e,
				   "%s: NATS server %s unreachable: waiting for "
				   "it to return (ERROR after %.1f s)",
				   b->name, b->url, (double)b->down_timeout / 1e9);
}

static void on_connected(natsConnection *nc, void *arg)
{
	struct pxn_bridge *b = arg;

	(void)nc;
	atomic_store(&b->connected, true);
	atomic_store(&b->down_since, 0);
	pthread_mutex_lock(&b->mu);
	pthread_cond_broadcast(&b->cv);
	pthread_mutex_unlock(&b->mu);
}

static void on_reconnected(natsConnection *nc, void *arg)
{
	struct pxn_bridge *b = arg;

	int64_t since = atomic_load(&b->down_since);

	px_stat_add(&b->reconnects, 1);
	px_element_info(b->e, "%s: reconnected to %s after %.3f s", b->name,
			b->url, since ? (double)(pxn_now() - since) / 1e9 : 0.0);
	atomic_store(&b->reconnected, true);
	on_connected(nc, arg);
}

/* ---- the worker ------------------------------------------------------------ */

/* Connect, retrying in the background until disconnect-timeout. */
static int connect_server(struct pxn_bridge *b)
{
	char why[200];
	natsStatus s;

	s = natsOptions_Create(&b->opts);
	if (s == NATS_OK)
		s = natsOptions_SetServers(b->opts, NULL, 0);
	if (s == NATS_OK)
		s = natsOptions_SetURL(b->opts, b->url);
	if (s == NATS_OK)
		s = natsOptions_SetName(b->opts, b->name);
	/* Reconnect for ever: disconnect-timeout decides when to give up. */
	if (s == NATS_OK)
		s = natsOptions_SetMaxReconnect(b->opts, -1);
	if (s == NATS_OK)
		s = natsOptions_SetReconnectWait(b->opts, PXN_RECONNECT_WAIT_MS);
	/* Publishes while disconnected fail at once instead of queueing
	 * behind the resend of what was in flight: order is kept by
	 * resending first (natssink.c). */
	if (s == NATS_OK)
		s = natsOptions_SetReconnectBufSize(b->opts, 1);
	if (s == NATS_OK)
		s = natsOptions_SetDisconnectedCB(b->opts, on_disconnected, b);
	if (s == NATS_OK)
		s = natsOptions_SetReconnectedCB(b->opts, on_reconnected, b);
	if (s == NATS_OK)
		s = natsOptions_SetRetryOnFailedConnect(b->opts, true,
							on_connected, b);
	if (s != NATS_OK)
		return pxn_fail(b, -EINVAL, "url=%s: %s", b->url,
				pxn_status_text(s, why, sizeof(why)));
	atomic_store(&b->down_since, pxn_now());
	s = natsConnection_Connect(&b->nc, b->opts);
	if (s == NATS_OK) {
		on_connected(b->nc, b);
	} else if (s != NATS_NOT_YET_CONNECTED) {
		return pxn_fail(b, -ECONNREFUSED, "cannot connect to %s: %s",
				b->url, pxn_status_text(s, why, sizeof(why)));
	}
	pthread_mutex_lock(&b->mu);
	while (!atomic_load(&b->connected) && !pxn_quitting(b)) {
		if (pxn_check_outage(b) < 0)
			break;
		pxn_wait_locked(b, PXN_TICK_MS);
	}
	pthread_mutex_unlock(&b->mu);
	if (!atomic_load(&b->connected))
		return -ETIMEDOUT;
	s = natsConnection_JetStream(&b->js, b->nc,
				     b->have_jso ? &b->jso : NULL);
	if (s != NATS_OK)
		return pxn_fail(b, -ENOMEM, "JetStream context: %s",
				pxn_status_text(s, why, sizeof(why)));
	return 0;
}

static void *worker(void *arg)
{
	struct pxn_bridge *b = arg;

	if (connect_server(b) == 0 && !pxn_quitting(b))
		(void)b->run(b);
	/* The acknowledgements the reactor sent before it stopped reach the
	 * server before the connection closes. */
	if (b->nc && atomic_load(&b->connected))
		(void)natsConnection_FlushTimeout(b->nc, 1000);
	jsCtx_Destroy(b->js);
	b->js = NULL;
	natsConnection_Destroy(b->nc); /* closes it */
	b->nc = NULL;
	natsOptions_Destroy(b->opts);
	b->opts = NULL;
	atomic_store(&b->done, true);
	pxn_wake(b);
	return NULL;
}

/* ---- the reactor side -------------------------------------------------------- */

static void wake_done(struct px_op *op, int res, uint32_t flags)
{
	struct pxn_bridge *b = px_container_of(op, struct pxn_bridge, wake_op);

	(void)res;
	(void)flags;
	/* Stopping: work() no longer runs, so the op re-arms itself here
	 * until the worker is done; then the element's ops are idle and the
	 * stop completes. */
	if (atomic_load(&b->quit)) {
		(void)pxn_arm(b);
		return;
	}
	px_element_schedule(b->e);
}

bool pxn_arm(struct pxn_bridge *b)
{
	int rc;

	if (atomic_load(&b->done) || px_op_busy(&b->wake_op))
		return !atomic_load(&b->done);
	rc = px_io_read(px_element_reactor(b->e), &b->wake_op, b->efd,
			&b->wake_val, sizeof(b->wake_val), (uint64_t)-1,
			wake_done);
	if (rc < 0) {
		(void)pxn_fail(b, rc, "cannot wait on its eventfd: %s",
			       strerror(-rc));
		return false;
	}
	return true;
}

int pxn_start(struct pxn_bridge *b, struct px_element *e, pxn_run_fn run)
{
	int rc;

	b->e = e;
	b->name = px_element_name(e);
	b->run = run;
	atomic_store(&b->ready, false);
	atomic_store(&b->quit, false);
	atomic_store(&b->done, false);
	atomic_store(&b->failed, false);
	atomic_store(&b->connected, false);
	atomic_store(&b->reconnected, false);
	atomic_store(&b->down_since, 0);
	b->warned = false;
	px_stat_set(&b->reconnects, 0);
	if (b->thread_started) { /* a restart: the last worker is done */
		(void)pthread_join(b->thread, NULL);
		b->thread_started = false;
	}
	if (!b->efd_open) {
		b->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
		if (b->efd < 0) {
			rc = -errno;
			px_element_error(e, rc, "%s: eventfd: %s", b->name,
					 strerror(-rc));
			return rc;
		}
		pthread_mutex_init(&b->mu, NULL);
		pthread_condattr_t ca;
		pthread_condattr_init(&ca);
		pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
		pthread_cond_init(&b->cv, &ca);
		pthread_condattr_destroy(&ca);
		b->efd_open = true;
	}
	px_element_op_init(e, &b->wake_op);
	if (!pxn_arm(b))
		return -EIO;
	rc = pthread_create(&b->thread, NULL, worker, b);
	if (rc) {
		px_element_error(e, -rc, "%s: cannot start its NATS thread: %s",
				 b->name, strerror(rc));
		return -rc;
	}
	b->thread_started = true;
	return 0;
}

void pxn_stop(struct pxn_bridge *b)
{
	pthread_mutex_lock(&b->mu);
	atomic_store(&b->quit, true);
	pthread_cond_broadcast(&b->cv);
	pthread_mutex_unlock(&b->mu);
	if (!b->thread_started)
		atomic_store(&b->done, true);
	pxn_wake(b);
}

void pxn_fini(struct pxn_bridge *b)
{
	if (b->thread_started) {
		/* done: the worker only returns now */
		(void)pthread_join(b->thread, NULL);
		b->thread_started = false;
	}
	if (b->efd_open) {
		close(b->efd);
		b->efd_open = false;
		pthread_mutex_destroy(&b->mu);
		pthread_cond_destroy(&b->cv);
	}
}
