// SPDX-License-Identifier: GPL-2.0-only
/* common.c - the backend-neutral functions of wyki.h. */
#include "wyki.h"

static const char *const fault_names[WYKI_FAULT_KINDS] = {
	[WYKI_FAULT_NONE] = "none",
	[WYKI_FAULT_BOUNDS] = "bounds",
	[WYKI_FAULT_OVERFLOW] = "overflow",
	[WYKI_FAULT_DIVISION] = "division",
	[WYKI_FAULT_FUEL] = "fuel",
	[WYKI_FAULT_TABLE_FULL] = "table_full",
};

const char *wyki_fault_name(enum wyki_fault kind)
{
	if ((unsigned int)kind >= WYKI_FAULT_KINDS)
		return "unknown";
	return fault_names[kind];
}

static const char *const stat_names[WYKI_STAT_COUNT] = {
	[WYKI_STAT_ACCEPTED] = "accepted",
	[WYKI_STAT_REFUSED] = "refused",
	[WYKI_STAT_CLOSED] = "closed",
	[WYKI_STAT_READS] = "reads",
	[WYKI_STAT_WRITES] = "writes",
	[WYKI_STAT_DATAGRAMS] = "datagrams",
	[WYKI_STAT_REPLIES] = "replies",
	[WYKI_STAT_DROPS] = "drops",
	[WYKI_STAT_TIMER_RUNS] = "timer_runs",
	[WYKI_STAT_FAULT_FIRST + WYKI_FAULT_NONE] = "fault_none",
	[WYKI_STAT_FAULT_FIRST + WYKI_FAULT_BOUNDS] = "fault_bounds",
	[WYKI_STAT_FAULT_FIRST + WYKI_FAULT_OVERFLOW] = "fault_overflow",
	[WYKI_STAT_FAULT_FIRST + WYKI_FAULT_DIVISION] = "fault_division",
	[WYKI_STAT_FAULT_FIRST + WYKI_FAULT_FUEL] = "fault_fuel",
	[WYKI_STAT_FAULT_FIRST + WYKI_FAULT_TABLE_FULL] = "fault_table_full",
};

const char *wyki_stat_name(enum wyki_stat s)
{
	if ((unsigned int)s >= WYKI_STAT_COUNT)
		return "unknown";
	return stat_names[s];
}

int wyki_tx_append_int(struct wyki_conn *c, int64_t v)
{
	uint8_t buf[20];	/* "-9223372036854775808" */
	uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
	int i = (int)sizeof(buf);

	do {
		buf[--i] = (uint8_t)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		buf[--i] = '-';
	return wyki_tx_append(c, buf + i, (uint32_t)(sizeof(buf) - (size_t)i));
}

bool wyki_atomic_add_checked(wyki_atomic64 *a, int64_t v, int64_t *result)
{
	int64_t old = wyki_atomic_load(a), sum;

	for (;;) {
		if (__builtin_add_overflow(old, v, &sum))
			return false;
#ifdef __KERNEL__
		{
			int64_t seen = atomic64_cmpxchg(a, old, sum);

			if (seen == old)
				break;
			old = seen;
		}
#else
		if (__atomic_compare_exchange_n(&a->counter, &old, sum, false,
						__ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
			break;
#endif
	}
	if (result)
		*result = sum;
	return true;
}
