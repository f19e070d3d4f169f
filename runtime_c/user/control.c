// SPDX-License-Identifier: GPL-2.0-only
/*
 * control.c - `--control`: a virtual clock and a command channel, for tests.
 *
 * A transcript (docs/transcripts.md) is exact about time and about when the service has
 * finished reacting to a client.  With --control the binary gives a test runner both:
 *
 *   - time stands still: wyki_now_ms() starts at 0 and wyki_unix_time() at 1767225600
 *     (2026-01-01 00:00:00 UTC), as the reference interpreter's clock, and they move only
 *     on `advance`;
 *   - the main thread reads one command per line on stdin and answers one line on stdout:
 *
 *       quiet        -> "ok" once every worker has no ready event and no runnable session
 *       advance MS   -> "ok now=T": the clock moves MS forward; every wake-up and `every`
 *                       timer due on the way fires at its own time, in time order, and the
 *                       service settles after each; answered once settled at the target
 *       stats        -> "ok live=N accepted=N ... fault_bounds=N ...": the counters
 *       anything else-> "error ..."
 *
 *     End of input stops the service as SIGTERM does.
 *
 * How `quiet` knows: the main thread bumps ctl.quiet_req and kicks every worker's eventfd.
 * A worker with an unanswered request polls with a zero timeout; an epoll_wait(0) that
 * returns nothing, begun after it read the request, with no session ready and no wake-up
 * due, means it has nothing left to do.  On loopback a client's send() has queued its bytes
 * at the service's socket before it returns, so once the runner's send is back and every
 * worker has answered a later request, the service has seen and handled those bytes.
 *
 * Off the test path this costs one predictable branch in wyki_now_ms/wyki_unix_time and
 * in the worker loop's timeout.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "internal.h"

#define CONTROL_UNIX_START	1767225600	/* wyki_unix_time() when wyki_now_ms() is 0 */
#define CONTROL_LINE_MAX	128
#define CONTROL_ADVANCE_MAX	(1ULL << 52)	/* ms, about 142,000 years: no overflow */

int64_t control_now_ms(void)
{
	return wyki_relaxed_load(&rt.ctl.clock);
}

int64_t control_unix_time(void)
{
	return CONTROL_UNIX_START + control_now_ms() / 1000;
}

/* ---- the worker's side ------------------------------------------------------------- */

/*
 * The exact time of @w's next wake-up or `every` timer (the wheel only bounds it); -1: none.
 * The wheel has expired everything up to its `now`, and a timer armed for a time not after it
 * waits in the next slot (wyki_wheel_add): it fires when the clock reaches wheel.now + 1, so
 * that is when it is due, or a worker would wait for it forever without the clock moving.
 */
static int64_t next_due(struct worker *w)
{
	const struct wyki_service *svc = rt.svc;
	int64_t due = -1, at;
	struct list *l;
	uint32_t i;

	for (l = w->conns.next; l != &w->conns; l = l->next) {
		struct conn *k = container_of(l, struct conn, all);

		if (!wyki_timer_armed(&k->timer))
			continue;
		at = k->timer.deadline > w->wheel.now ? k->timer.deadline : w->wheel.now + 1;
		if (due < 0 || at < due)
			due = at;
	}
	if (w->id == 0)
		for (i = 0; i < svc->ntimers; i++)
			if (due < 0 || w->timer_next[i] < due)
				due = w->timer_next[i];
	return due;
}

int control_timeout(struct worker *w)
{
	int64_t due = next_due(w);

	w->probe = wyki_relaxed_load(&rt.ctl.quiet_req);
	if (due >= 0 && due <= w->now)
		return 0;	/* fires in this round */
	return w->probe != w->quiet_ack ? 0 : -1;
}

void control_idle(struct worker *w)
{
	int64_t due = next_due(w);

	if ((due >= 0 && due <= w->now) || w->probe == w->quiet_ack)
		return;
	pthread_mutex_lock(&rt.ctl.lock);
	w->quiet_ack = w->probe;
	w->next_due = due;
	pthread_cond_broadcast(&rt.ctl.settled);
	pthread_mutex_unlock(&rt.ctl.lock);
}

/* ---- the main thread's side -------------------------------------------------------- */

/* Wake every worker and wait until each has answered; returns the earliest due time, -1: none. */
static int64_t settle(void)
{
	uint64_t seq = wyki_relaxed_load(&rt.ctl.quiet_req) + 1, one = 1;
	int64_t due = -1;
	unsigned int i;

	wyki_relaxed_store(&rt.ctl.quiet_req, seq);
	for (i = 0; i < rt.nworkers; i++)
		if (write(rt.workers[i].wake_fd, &one, sizeof(one)) < 0)
			wyki_logf("%s: cannot wake worker %u", rt.svc->name, i);
	pthread_mutex_lock(&rt.ctl.lock);
	for (i = 0; i < rt.nworkers; i++) {
		while (rt.workers[i].quiet_ack != seq)
			pthread_cond_wait(&rt.ctl.settled, &rt.ctl.lock);
		if (rt.workers[i].next_due >= 0 && (due < 0 || rt.workers[i].next_due < due))
			due = rt.workers[i].next_due;
	}
	pthread_mutex_unlock(&rt.ctl.lock);
	return due;
}

/* Move the clock to each due time up to @target in turn, settling after each. */
static int64_t advance(int64_t ms)
{
	int64_t now = control_now_ms(), target = now + ms, due;

	for (due = settle(); due > now && due <= target; due = settle()) {
		now = due;
		wyki_relaxed_store(&rt.ctl.clock, now);
	}
	wyki_relaxed_store(&rt.ctl.clock, target);
	settle();
	return target;
}

static void answer(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void answer(const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	size_t len, off = 0;
	ssize_t n;

	va_start(ap, fmt);
	len = (size_t)vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	if (len > sizeof(line) - 2)
		len = sizeof(line) - 2;
	line[len++] = '\n';
	while (off < len) {
		n = write(STDOUT_FILENO, line + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		off += (size_t)n;
	}
}

static void command(char *line)
{
	char stats[1024];
	unsigned long long ms;
	char *end;

	if (strcmp(line, "quiet") == 0) {
		settle();
		answer("ok");
	} else if (strncmp(line, "advance ", 8) == 0) {
		errno = 0;
		ms = strtoull(line + 8, &end, 10);
		if (errno || end == line + 8 || *end || line[8] == '-' || ms > CONTROL_ADVANCE_MAX)
			answer("error advance needs milliseconds, 0..%llu", CONTROL_ADVANCE_MAX);
		else
			answer("ok now=%lld", (long long)advance((int64_t)ms));
	} else if (strcmp(line, "stats") == 0) {
		settle();
		stats_line(stats, sizeof(stats));
		answer("ok %s", stats);
	} else {
		answer("error unknown command '%.40s' (known: quiet, advance MS, stats)", line);
	}
}

/* Read commands until end of input or SIGINT/SIGTERM; SIGUSR1 prints statistics. */
void control_loop(const sigset_t *signals)
{
	char buf[CONTROL_LINE_MAX + 1], *nl;
	size_t len = 0;
	struct signalfd_siginfo si;
	struct pollfd pfd[2];
	ssize_t n;

	pfd[0].fd = STDIN_FILENO;
	pfd[0].events = POLLIN;
	pfd[1].fd = signalfd(-1, signals, SFD_CLOEXEC);
	pfd[1].events = POLLIN;
	if (pfd[1].fd < 0)
		wyki_logf("%s: signalfd: errno %d (signals ignored)", rt.svc->name, errno);
	for (;;) {
		if (poll(pfd, pfd[1].fd < 0 ? 1 : 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pfd[1].fd >= 0 && (pfd[1].revents & POLLIN) &&
		    read(pfd[1].fd, &si, sizeof(si)) == sizeof(si)) {
			if (si.ssi_signo != SIGUSR1)
				break;
			print_stats("SIGUSR1");
		}
		if (!(pfd[0].revents & (POLLIN | POLLHUP | POLLERR)))
			continue;
		n = read(STDIN_FILENO, buf + len, CONTROL_LINE_MAX - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
		buf[len] = '\0';
		while ((nl = strchr(buf, '\n')) != NULL) {
			*nl = '\0';
			if (nl > buf && nl[-1] == '\r')
				nl[-1] = '\0';
			command(buf);
			len -= (size_t)(nl + 1 - buf);
			memmove(buf, nl + 1, len + 1);
		}
		if (len == CONTROL_LINE_MAX) {
			answer("error line longer than %d bytes", CONTROL_LINE_MAX);
			len = 0;
		}
	}
	if (pfd[1].fd >= 0)
		close(pfd[1].fd);
}
