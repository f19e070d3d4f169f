// SPDX-License-Identifier: GPL-2.0-only
/*
 * platform.c - the OS side of wyki.h in userspace: clocks, logging, statistics, and the
 * superpage arena mapping.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include "internal.h"

#define SUPERPAGE	(2u << 20)

int64_t wyki_now_ms(void)
{
	struct timespec ts;

	if (rt.ctl.on)
		return control_now_ms();
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t wyki_unix_time(void)
{
	struct timespec ts;

	if (rt.ctl.on)
		return control_unix_time();
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec;
}

/* One write(2) per line, so lines from several workers never interleave. */
static void write_line(const char *buf, size_t len)
{
	ssize_t n;

	while (len) {
		n = write(STDERR_FILENO, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		buf += n;
		len -= (size_t)n;
	}
}

void wyki_logf(const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	int n;

	memcpy(line, "wyki: ", 6);
	va_start(ap, fmt);
	n = vsnprintf(line + 6, sizeof(line) - 7, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	n += 6;
	if ((size_t)n > sizeof(line) - 2)
		n = (int)sizeof(line) - 2;
	line[n++] = '\n';
	write_line(line, (size_t)n);
}

void wyki_log_bytes(const uint8_t *p, uint32_t n)
{
	char line[1024];
	size_t len = 0, i;

	len = (size_t)snprintf(line, sizeof(line), "%s: ", rt.svc ? rt.svc->name : "wyki");
	/* Control bytes would let a client forge log lines: print them as '?'. */
	for (i = 0; i < n && len < sizeof(line) - 1; i++)
		line[len++] = (p[i] >= 0x20 && p[i] < 0x7f) ? (char)p[i] : '?';
	line[len++] = '\n';
	write_line(line, len);
}

/* At most this many fault lines per worker per second: a client cannot flood the log. */
#define FAULT_LOG_PER_SECOND	10

void log_fault(struct worker *w, const char *what, int status)
{
	int64_t second = w->now / 1000;

	if (second != w->log_second) {
		w->log_second = second;
		w->log_budget = FAULT_LOG_PER_SECOND;
	}
	if (w->log_budget == 0)
		return;
	w->log_budget--;
	wyki_logf("%s: %s fault: %s (worker %u)", rt.svc->name, what,
		  wyki_fault_name(wyki_status_fault(status)), w->id);
}

void wyki_stats_snapshot(struct wyki_stats *out)
{
	unsigned int i, s;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < rt.nworkers; i++)
		for (s = 0; s < WYKI_STAT_COUNT; s++)
			out->v[s] += wyki_relaxed_load(&rt.workers[i].stats[s]);
}

/* Bytes of anonymous memory backed by transparent huge pages, from smaps_rollup. */
static long anon_huge_kb(void)
{
	FILE *f = fopen("/proc/self/smaps_rollup", "r");
	char line[256];
	long kb = -1;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "AnonHugePages: %ld kB", &kb) == 1)
			break;
	fclose(f);
	return kb;
}

/* Touch every page now, so that serving never takes a page fault on arena memory. */
static void prefault(void *p, size_t size)
{
	volatile uint8_t *b = (volatile uint8_t *)p;
	size_t off;

	for (off = 0; off < size; off += 4096)
		b[off] = 0;
}

/*
 * Map @size bytes (rounded up to 2 MiB) for the arena, preferring superpages:
 *   1. MAP_HUGETLB: reserved 2 MiB pages (needs vm.nr_hugepages; fails fast otherwise);
 *   2. a 2 MiB-aligned plain mapping with madvise(MADV_HUGEPAGE): THP, if enabled;
 *   3. the same mapping in 4 KiB pages.
 * Records which one it got in rt.map_kind: THP is checked after the fact, in smaps.
 */
int arena_map(size_t size)
{
	long huge_before, huge_after;
	uint8_t *p, *aligned;
	size_t over;

	size = WYKI_ALIGN_UP(size, (size_t)SUPERPAGE);
	p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB | MAP_POPULATE, -1, 0);
	if (p != MAP_FAILED) {
		rt.map = p;
		rt.map_size = size;
		rt.map_kind = "hugetlb";
		return 0;
	}
	/* Over-allocate by one superpage and trim, so the arena starts 2 MiB-aligned. */
	over = size + SUPERPAGE;
	p = mmap(NULL, over, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return -1;
	aligned = (uint8_t *)WYKI_ALIGN_UP((uintptr_t)p, (uintptr_t)SUPERPAGE);
	if (aligned > p)
		munmap(p, (size_t)(aligned - p));
	if (aligned + size < p + over)
		munmap(aligned + size, (size_t)(p + over - (aligned + size)));
	rt.map = aligned;
	rt.map_size = size;
	huge_before = anon_huge_kb();
	madvise(aligned, size, MADV_HUGEPAGE);
	prefault(aligned, size);
	huge_after = anon_huge_kb();
	rt.map_kind = huge_after > huge_before ? "thp" : "4k pages";
	return 0;
}

void arena_unmap(void)
{
	if (rt.map)
		munmap(rt.map, rt.map_size);
	rt.map = NULL;
}
