// SPDX-License-Identifier: GPL-2.0-only
/*
 * main.c - the userspace runtime's main(): parse options, lay out the arena, create the
 * tables, open one socket per worker, start the workers, then wait for signals.
 *
 * Signals: SIGINT/SIGTERM/SIGUSR1 are blocked in every thread and taken synchronously by
 * the main thread with sigtimedwait, so no handler runs in the middle of a step and no
 * async-signal-safety reasoning is needed.  To stop, the main thread sets rt.stop and
 * writes every worker's eventfd; workers close their sessions and exit; main joins them,
 * prints the final statistics and returns 0.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "internal.h"
#include "table.h"

struct runtime rt;

/* ---- options ----------------------------------------------------------------------- */

static void usage(FILE *out, const char *prog)
{
	fprintf(out,
		"usage: %s [--port N] [--workers N] [--sessions N] [--stats-interval S] [--control]\n"
		"\n"
		"Serve the WYKI service '%s' (%s port %u by default).\n"
		"\n"
		"  --port N            listen on port N instead\n"
		"  --workers N         event-loop threads (default: online CPUs)\n"
		"  --sessions N        most sessions alive at once (default and maximum: %u)\n"
		"  --stats-interval S  print statistics every S seconds (default: only on SIGUSR1)\n"
		"  --control           for tests: a virtual clock (starts at 0 ms, 2026-01-01) moved\n"
		"                      only by commands on stdin: quiet, advance MS, stats\n"
		"                      (docs/transcripts.md)\n"
		"  --help              this text\n"
		"\n"
		"SIGUSR1 prints statistics to stderr; SIGINT or SIGTERM shut down cleanly.\n",
		prog, wyki_service.name, wyki_service.proto == WYKI_TCP ? "tcp" : "udp",
		wyki_service.port, wyki_service.max_sessions);
}

static int parse_uint(const char *s, unsigned long max, unsigned long *out)
{
	char *end;

	errno = 0;
	*out = strtoul(s, &end, 10);
	return (errno || end == s || *end || *out > max || s[0] == '-') ? -1 : 0;
}

static int parse_options(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "port", required_argument, NULL, 'p' },
		{ "workers", required_argument, NULL, 'w' },
		{ "sessions", required_argument, NULL, 's' },
		{ "stats-interval", required_argument, NULL, 'i' },
		{ "control", no_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const struct wyki_service *svc = &wyki_service;
	unsigned long v;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	int c;

	rt.svc = svc;
	rt.port = svc->port;
	rt.nworkers = cpus > 0 ? (unsigned int)cpus : 1;
	rt.nsessions = svc->proto == WYKI_TCP ? svc->max_sessions : 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'p':
			if (parse_uint(optarg, 65535, &v) || v == 0)
				goto bad;
			rt.port = (uint16_t)v;
			break;
		case 'w':
			if (parse_uint(optarg, 1024, &v) || v == 0)
				goto bad;
			rt.nworkers = (unsigned int)v;
			break;
		case 's':
			if (parse_uint(optarg, svc->max_sessions, &v) || v == 0) {
				fprintf(stderr, "%s: --sessions must be 1..%u (the service's bound)\n",
					argv[0], svc->max_sessions);
				return -1;
			}
			rt.nsessions = (uint32_t)v;
			break;
		case 'i':
			if (parse_uint(optarg, 86400, &v))
				goto bad;
			rt.stats_interval = (unsigned int)v;
			break;
		case 'c':
			rt.ctl.on = true;
			break;
		case 'h':
			usage(stdout, argv[0]);
			exit(0);
		default:
			usage(stderr, argv[0]);
			return -1;
		}
	}
	if (optind < argc) {
		usage(stderr, argv[0]);
		return -1;
	}
	return 0;
bad:
	fprintf(stderr, "%s: bad value '%s'\n", argv[0], optarg);
	return -1;
}

/* ---- memory ------------------------------------------------------------------------ */

/*
 * Carve everything from @a.  Called twice: first on a pretend arena to measure (@real
 * false: nothing is written), then on the mapped one.  One function, so the two can
 * never disagree.  Returns -1 if the arena is too small.
 */
static int carve(struct wyki_arena *a, bool real, const struct wyki_siphash_key *hkey)
{
	const struct wyki_service *svc = rt.svc;
	size_t frame = WYKI_ALIGN_UP((size_t)svc->frame_size, (size_t)WYKI_CACHELINE);
	struct conn *conns;
	uint8_t *mem;
	uint32_t i;

	rt.workers = wyki_arena_alloc(a, sizeof(struct worker) * rt.nworkers, WYKI_CACHELINE);
	conns = wyki_arena_alloc(a, sizeof(struct conn) * rt.nsessions, WYKI_CACHELINE);
	if (!rt.workers || (rt.nsessions && !conns))
		return -1;
	for (i = 0; i < rt.nsessions; i++) {
		uint8_t *f = wyki_arena_alloc(a, frame, WYKI_CACHELINE);
		uint8_t *rx = wyki_arena_alloc(a, svc->rx_size, WYKI_CACHELINE);
		uint8_t *tx = wyki_arena_alloc(a, svc->tx_size, WYKI_CACHELINE);

		if (!f || !rx || !tx)
			return -1;
		if (real) {
			conns[i].src.kind = EV_CONN;
			conns[i].fd = -1;
			conns[i].frame = f;
			conns[i].c.rx.data = rx;
			conns[i].c.rx.cap = svc->rx_size;
			conns[i].c.tx.data = tx;
			conns[i].c.tx.cap = svc->tx_size;
			conns[i].free_next = i + 1 < rt.nsessions ? &conns[i + 1] : NULL;
		}
	}
	if (real)
		rt.pool.free = rt.nsessions ? conns : NULL;
	for (i = 0; i < svc->ntables; i++) {
		const struct wyki_table_decl *d = &svc->tables[i];
		size_t size = wyki_table_mem_size(d->key_size, d->value_size, d->capacity);

		mem = size ? wyki_arena_alloc(a, size, WYKI_CACHELINE) : NULL;
		if (!mem)
			return -1;
		if (real)
			*d->handle = wyki_table_init(mem, d->name, d->key_size, d->value_size,
						     d->capacity, hkey);
	}
	for (i = 0; i < rt.nworkers; i++) {
		void *scratch = wyki_arena_alloc(a, svc->scratch_size ? svc->scratch_size : 1,
						 WYKI_CACHELINE);
		void *udp = NULL;

		if (svc->proto == WYKI_UDP)
			udp = wyki_arena_alloc(a, udp_state_size(svc), WYKI_CACHELINE);
		if (!scratch || (svc->proto == WYKI_UDP && !udp))
			return -1;
		if (real) {
			rt.workers[i].scratch = scratch;
			rt.workers[i].udp = udp ? udp_state_init(udp, svc) : NULL;
		}
	}
	mem = wyki_arena_alloc(a, sizeof(int64_t) * (svc->ntimers + 1), 8);
	if (!mem)
		return -1;
	if (real)
		rt.workers[0].timer_next = (int64_t *)mem;
	return 0;
}

static int setup_memory(void)
{
	struct wyki_siphash_key hkey = { 0, 0 };
	struct wyki_arena measure;

	/* A pretend arena at a 2 MiB-aligned, non-NULL address: same padding as the real one. */
	wyki_arena_init(&measure, (void *)(uintptr_t)(2u << 20), SIZE_MAX / 2);
	if (carve(&measure, false, &hkey) < 0 || arena_map(measure.used) < 0) {
		rt.workers = NULL;
		wyki_logf("%s: cannot map an arena of %zu bytes", rt.svc->name, measure.used);
		return -1;
	}
	rt.workers = NULL;	/* pointed into the pretend arena */
	if (getrandom(&hkey, sizeof(hkey), 0) != sizeof(hkey))
		hkey.k0 = (uint64_t)wyki_now_ms() * 0x9e3779b97f4a7c15ULL;	/* better than 0 */
	wyki_arena_init(&rt.arena, rt.map, rt.map_size);
	return carve(&rt.arena, true, &hkey);
}

/* ---- sockets and workers ----------------------------------------------------------- */

/* A socket bound to [::]:port (IPv4 too, via v4-mapped addresses), SO_REUSEPORT. */
static int open_socket(int type)
{
	struct sockaddr_in6 addr = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_ANY_INIT };
	int fd, one = 1, zero = 0;

	addr.sin6_port = htons(rt.port);
	fd = socket(AF_INET6, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 ||
	    (type == SOCK_STREAM && listen(fd, 4096) < 0)) {
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * Whether a socket, of this process or another, already holds the port.  SO_REUSEPORT lets
 * every socket of the same user join the port's group, so without this check a second
 * instance started on a taken port would bind, say "ready", and silently take a share of the
 * first one's clients.  The probe has no SO_REUSEPORT, so its bind fails with EADDRINUSE if
 * anything holds the port (a TCP probe sets SO_REUSEADDR, so that connections left in
 * TIME_WAIT by an earlier run do not count; a UDP probe must not, or it would share the port).
 */
static bool port_taken(int type)
{
	struct sockaddr_in6 addr = { .sin6_family = AF_INET6, .sin6_addr = IN6ADDR_ANY_INIT };
	int fd, one = 1, zero = 0;
	bool taken;

	addr.sin6_port = htons(rt.port);
	fd = socket(AF_INET6, type | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return false;	/* open_socket() will report what is wrong */
	if (type == SOCK_STREAM)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	taken = bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 && errno == EADDRINUSE;
	close(fd);
	return taken;
}

static int watch(struct worker *w, int fd, struct ev_src *src, enum ev_kind kind)
{
	struct epoll_event ev = { .events = EPOLLIN };

	src->kind = kind;
	ev.data.ptr = src;
	return epoll_ctl(w->epfd, EPOLL_CTL_ADD, fd, &ev);
}

static int worker_init(struct worker *w, unsigned int id)
{
	int fd, type;

	w->id = id;
	list_init(&w->ready);
	list_init(&w->conns);
	w->epfd = epoll_create1(EPOLL_CLOEXEC);
	w->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (w->epfd < 0 || w->wake_fd < 0 || watch(w, w->wake_fd, &w->wake_src, EV_WAKE) < 0)
		return -1;
	type = rt.svc->proto == WYKI_TCP ? SOCK_STREAM : SOCK_DGRAM;
	if (id == 0 && port_taken(type)) {
		errno = EADDRINUSE;
		fd = -1;
	} else {
		fd = open_socket(type);
	}
	if (fd < 0) {
		wyki_logf("%s: cannot listen on port %u: %s", rt.svc->name, rt.port,
			  strerror(errno));
		return -1;
	}
	if (rt.svc->proto == WYKI_TCP) {
		w->listen_fd = fd;
		return watch(w, fd, &w->listen_src, EV_LISTEN);
	}
	w->udp_fd = fd;
	return watch(w, fd, &w->udp_src, EV_UDP);
}

static void worker_fini(struct worker *w)
{
	if (w->listen_fd >= 0)
		close(w->listen_fd);
	if (w->udp_fd >= 0)
		close(w->udp_fd);
	if (w->wake_fd >= 0)
		close(w->wake_fd);
	if (w->epfd >= 0)
		close(w->epfd);
}

/* ---- statistics and signals -------------------------------------------------------- */

/* "live=N accepted=N ... fault_table_full=N": every counter, summed over the workers. */
void stats_line(char *line, size_t size)
{
	struct wyki_stats s;
	size_t len;
	unsigned int i;

	wyki_stats_snapshot(&s);
	len = (size_t)snprintf(line, size, "live=%u", wyki_relaxed_load(&rt.pool.live));
	for (i = 0; i < WYKI_STAT_COUNT && len < size; i++) {
		if (i == WYKI_STAT_FAULT_FIRST + WYKI_FAULT_NONE)
			continue;
		len += (size_t)snprintf(line + len, size - len, " %s=%llu",
					wyki_stat_name((enum wyki_stat)i),
					(unsigned long long)s.v[i]);
	}
}

void print_stats(const char *when)
{
	char line[1024];

	stats_line(line, sizeof(line));
	wyki_logf("%s stats (%s) %s", rt.svc->name, when, line);
}

static void wait_for_stop(const sigset_t *set)
{
	struct timespec interval = { .tv_sec = rt.stats_interval };
	int sig;

	for (;;) {
		if (rt.stats_interval)
			sig = sigtimedwait(set, NULL, &interval);
		else
			sig = sigwaitinfo(set, NULL);
		if (sig == SIGINT || sig == SIGTERM)
			return;
		if (sig == SIGUSR1 || (sig < 0 && errno == EAGAIN))
			print_stats(sig == SIGUSR1 ? "SIGUSR1" : "interval");
	}
}

static int start_service(void)
{
	const struct wyki_service *svc = rt.svc;
	int64_t now = wyki_now_ms();
	uint32_t i;
	int status;

	if (svc->init) {
		status = svc->init(rt.workers[0].scratch);
		if (wyki_status_is_fault(status)) {
			wyki_logf("%s: init fault: %s", svc->name,
				  wyki_fault_name(wyki_status_fault(status)));
			return -1;
		}
	}
	for (i = 0; i < svc->ntimers; i++)
		rt.workers[0].timer_next[i] = now + svc->timers[i].period_ms;
	return 0;
}

int main(int argc, char **argv)
{
	sigset_t set;
	unsigned int i, started = 0;
	int rc = 1;

	if (parse_options(argc, argv) < 0)
		return 2;
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &set, NULL);	/* inherited by every worker */
	pthread_mutex_init(&rt.pool.lock, NULL);
	pthread_mutex_init(&rt.ctl.lock, NULL);
	pthread_cond_init(&rt.ctl.settled, NULL);

	if (setup_memory() < 0)
		goto out;
	for (i = 0; i < rt.nworkers; i++) {
		rt.workers[i].epfd = rt.workers[i].wake_fd = -1;
		rt.workers[i].listen_fd = rt.workers[i].udp_fd = -1;
	}
	for (i = 0; i < rt.nworkers; i++)
		if (worker_init(&rt.workers[i], i) < 0)
			goto out;
	if (start_service() < 0)
		goto out;
	for (started = 0; started < rt.nworkers; started++)
		if (pthread_create(&rt.workers[started].thread, NULL, worker_main,
				   &rt.workers[started]) != 0)
			goto stop;
	/* "bytes used": what `nanowyki check --report` computes (tests/test_report_binaries.py) */
	wyki_logf("%s ready on %s port %u (%u workers, %u sessions, arena %zu MiB in %s, "
		  "%zu bytes used)", rt.svc->name, rt.svc->proto == WYKI_TCP ? "tcp" : "udp",
		  rt.port, rt.nworkers, rt.nsessions, rt.map_size >> 20, rt.map_kind, rt.arena.used);
	if (rt.ctl.on)
		control_loop(&set);
	else
		wait_for_stop(&set);
	rc = 0;
stop:
	wyki_relaxed_store(&rt.stop, 1);
	for (i = 0; i < started; i++) {
		uint64_t one = 1;

		if (write(rt.workers[i].wake_fd, &one, sizeof(one)) < 0)
			wyki_logf("%s: cannot wake worker %u", rt.svc->name, i);
	}
	for (i = 0; i < started; i++)
		pthread_join(rt.workers[i].thread, NULL);
	print_stats("final");
	wyki_logf("%s stopped", rt.svc->name);
out:
	if (rt.workers)
		for (i = 0; i < rt.nworkers; i++)
			worker_fini(&rt.workers[i]);
	for (i = 0; rt.map && i < rt.svc->ntables; i++)
		if (*rt.svc->tables[i].handle)
			wyki_table_destroy(*rt.svc->tables[i].handle);
	arena_unmap();
	return rc;
}

