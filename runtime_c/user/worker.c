// SPDX-License-Identifier: GPL-2.0-only
/*
 * worker.c - one event loop per thread.
 *
 * Each worker owns an epoll instance, its own SO_REUSEPORT listening socket (the kernel
 * spreads new connections over the workers; no accept lock, no thundering herd), the
 * sessions it accepted (a session never migrates, so one session's steps never run
 * concurrently), a timer wheel for their wake-ups, and an eventfd the main thread writes
 * to at shutdown.  Worker 0 also runs the service's `every` timers.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "internal.h"

#define MAX_EVENTS	128

/* Run the `every` timers that are due; returns ms until the next one, -1 if none. */
static int64_t run_service_timers(struct worker *w)
{
	const struct wyki_service *svc = rt.svc;
	int64_t next = -1, *due;
	uint32_t i;
	int status;

	for (i = 0; i < svc->ntimers; i++) {
		due = &w->timer_next[i];
		if (w->now >= *due) {
			status = svc->timers[i].run(w->scratch);
			stat_inc(w, WYKI_STAT_TIMER_RUNS);
			if (wyki_status_is_fault(status)) {
				stat_inc(w, WYKI_STAT_FAULT_FIRST + wyki_status_fault(status));
				log_fault(w, svc->timers[i].name, status);
			}
			/* Keep the phase; after a long stall skip missed runs instead of bursting. */
			*due += svc->timers[i].period_ms;
			if (*due <= w->now)
				*due = w->now + svc->timers[i].period_ms;
		}
		if (next < 0 || *due - w->now < next)
			next = *due - w->now;
	}
	return next;
}

static int64_t min_timeout(int64_t a, int64_t b)
{
	if (a < 0)
		return b;
	if (b < 0)
		return a;
	return a < b ? a : b;
}

static void dispatch(struct worker *w, struct epoll_event *ev)
{
	struct ev_src *src = (struct ev_src *)ev->data.ptr;
	uint64_t junk;

	switch (src->kind) {
	case EV_CONN:
		conn_event(w, container_of(src, struct conn, src), ev->events);
		break;
	case EV_LISTEN:
		tcp_accept(w);
		break;
	case EV_UDP:
		udp_readable(w);
		break;
	case EV_WAKE:
		if (read(w->wake_fd, &junk, sizeof(junk)) < 0)
			junk = 0;	/* nothing to do: the stop flag is what matters */
		break;
	}
}

void *worker_main(void *arg)
{
	struct worker *w = (struct worker *)arg;
	struct epoll_event events[MAX_EVENTS];
	int64_t timeout, timers_in = -1;
	bool idle;
	int n, i;

	w->now = wyki_now_ms();
	wyki_wheel_init(&w->wheel, w->now);
	if (w->id == 0 && rt.svc->ntimers)
		timers_in = 0;
	while (!wyki_relaxed_load(&rt.stop)) {
		idle = list_empty(&w->ready);
		if (!idle)
			timeout = 0;
		else if (rt.ctl.on)
			timeout = control_timeout(w);	/* the clock moves only with a kick */
		else
			timeout = min_timeout(wyki_wheel_timeout(&w->wheel, w->now), timers_in);
		if (timeout > INT32_MAX)
			timeout = INT32_MAX;
		n = epoll_wait(w->epfd, events, MAX_EVENTS, (int)timeout);
		if (n < 0 && errno != EINTR) {
			wyki_logf("%s: epoll_wait: errno %d", rt.svc->name, errno);
			break;
		}
		w->now = wyki_now_ms();
		if (rt.ctl.on && idle && n == 0)
			control_idle(w);	/* answers a quiet request unless a wake-up is due */
		for (i = 0; i < n; i++)
			dispatch(w, &events[i]);
		wyki_wheel_expire(&w->wheel, w->now, conn_timer_fired, w);
		if (w->id == 0 && rt.svc->ntimers)
			timers_in = run_service_timers(w);
		run_ready(w);
	}
	close_all(w);
	return NULL;
}
