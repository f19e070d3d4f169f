/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * wheel.h - a hashed timer wheel with 1 ms slots, one per worker (no locking).
 *
 * Why a wheel and not a heap: session wake-ups (sleep, receive timeouts, the close
 * linger) are armed and disarmed far more often than they fire, and a wheel does both in
 * O(1) with an intrusive list node in the connection - no allocation, no sift.  A timer
 * further away than one revolution (1024 ms) just stays in its slot for later rounds;
 * expiry compares deadlines, so rounds cost a skipped comparison, never an early fire.
 */
#ifndef WYKI_WHEEL_H
#define WYKI_WHEEL_H

#include "wyki.h"

#define WYKI_WHEEL_SLOTS	1024u	/* a power of two; one revolution = 1024 ms */

struct wyki_timer {
	struct wyki_timer *next;
	struct wyki_timer **pprev;	/* NULL when not armed */
	int64_t deadline;		/* ms, same clock as the wheel's */
};

struct wyki_wheel {
	struct wyki_timer *slot[WYKI_WHEEL_SLOTS];
	int64_t now;			/* last tick expired: every deadline <= now has fired */
	uint32_t count;			/* armed timers */
};

typedef void (*wyki_timer_fn)(struct wyki_timer *t, void *arg);

void wyki_wheel_init(struct wyki_wheel *w, int64_t now);

static inline void wyki_timer_init(struct wyki_timer *t)
{
	t->next = NULL;
	t->pprev = NULL;
	t->deadline = 0;
}

static inline bool wyki_timer_armed(const struct wyki_timer *t)
{
	return t->pprev != NULL;
}

/* Arm @t for @deadline (re-arming if armed).  A deadline already past fires at the next expire.  O(1). */
void wyki_wheel_add(struct wyki_wheel *w, struct wyki_timer *t, int64_t deadline);

/* Disarm @t; harmless if not armed.  O(1). */
void wyki_wheel_del(struct wyki_wheel *w, struct wyki_timer *t);

/*
 * Fire, in no particular order, every timer whose deadline is <= @now: each is disarmed,
 * then @fn(t, arg) is called, which may arm or disarm any timer (itself included).
 * Returns how many fired.  O(elapsed slots, at most 1024, + timers in them).
 */
unsigned int wyki_wheel_expire(struct wyki_wheel *w, int64_t now, wyki_timer_fn fn, void *arg);

/*
 * Milliseconds from @now until the wheel should next be expired (an epoll timeout): -1
 * if nothing is armed, 0 if something may be due.  May be early for timers in a later
 * revolution, never late.  O(slots scanned).
 */
int64_t wyki_wheel_timeout(const struct wyki_wheel *w, int64_t now);

#endif /* WYKI_WHEEL_H */
