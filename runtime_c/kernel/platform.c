// SPDX-License-Identifier: GPL-2.0-only
/*
 * platform.c - the OS side of wyki.h in the kernel: clocks, logging, statistics.
 */
#include <linux/kernel.h>
#include <linux/ktime.h>
#include <linux/printk.h>
#include <linux/timekeeping.h>

#include "internal.h"

int64_t wyki_now_ms(void)
{
	if (unlikely(rt.control))
		return control_now_ms();
	return (int64_t)div_u64(ktime_get_ns(), NSEC_PER_MSEC);
}

int64_t wyki_unix_time(void)
{
	if (unlikely(rt.control))
		return control_unix_time();
	return (int64_t)ktime_get_real_seconds();
}

void wyki_logf(const char *fmt, ...)
{
	struct va_format vaf;
	va_list ap;

	va_start(ap, fmt);
	vaf.fmt = fmt;
	vaf.va = &ap;
	pr_info("wyki: %pV\n", &vaf);
	va_end(ap);
}

void wyki_log_bytes(const uint8_t *p, uint32_t n)
{
	char line[256];
	uint32_t i;

	/* Control bytes would let a client forge log lines: print them as '?'. */
	for (i = 0; i < n && i < sizeof(line) - 1; i++)
		line[i] = (p[i] >= 0x20 && p[i] < 0x7f) ? (char)p[i] : '?';
	line[i] = '\0';
	pr_info("%s: %s\n", rt.svc ? rt.svc->name : "wyki", line);
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
	for (s = 0; s < WYKI_STAT_COUNT; s++)
		out->v[s] = wyki_relaxed_load(&rt.accept_stats[s]);
	for (i = 0; rt.workers && i < rt.nworkers; i++)
		for (s = 0; s < WYKI_STAT_COUNT; s++)
			out->v[s] += wyki_relaxed_load(&rt.workers[i].stats[s]);
}

/* Every page chunk, socket and kmalloc the module holds: must be 0 after unload. */
void alloc_count(int delta)
{
	atomic_add(delta, &rt.allocations);
}
