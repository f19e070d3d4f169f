// SPDX-License-Identifier: GPL-2.0-only
/* wheel.c - hashed timer wheel; see wheel.h. */
#include "wheel.h"

#define SLOT_MASK	(WYKI_WHEEL_SLOTS - 1)

void wyki_wheel_init(struct wyki_wheel *w, int64_t now)
{
	memset(w->slot, 0, sizeof(w->slot));
	w->now = now;
	w->count = 0;
}

static void link_into(struct wyki_timer **head, struct wyki_timer *t)
{
	t->next = *head;
	if (t->next)
		t->next->pprev = &t->next;
	*head = t;
	t->pprev = head;
}

static void unlink_timer(struct wyki_timer *t)
{
	*t->pprev = t->next;
	if (t->next)
		t->next->pprev = t->pprev;
	t->next = NULL;
	t->pprev = NULL;
}

void wyki_wheel_add(struct wyki_wheel *w, struct wyki_timer *t, int64_t deadline)
{
	int64_t tick = deadline > w->now ? deadline : w->now + 1;

	wyki_wheel_del(w, t);
	t->deadline = deadline;
	link_into(&w->slot[(uint64_t)tick & SLOT_MASK], t);
	w->count++;
}

void wyki_wheel_del(struct wyki_wheel *w, struct wyki_timer *t)
{
	if (!wyki_timer_armed(t))
		return;
	unlink_timer(t);
	w->count--;
}

/*
 * Expire one slot.  Its list is first moved to a local head, so that callbacks arming
 * timers into this very slot cannot make the loop run forever, and callbacks disarming
 * timers still waiting on the local list unlink them cleanly (pprev points at it).
 */
static unsigned int expire_slot(struct wyki_wheel *w, struct wyki_timer **slot, int64_t now,
				wyki_timer_fn fn, void *arg)
{
	struct wyki_timer *pending = NULL, *t;
	unsigned int fired = 0;

	if (!*slot)
		return 0;
	pending = *slot;
	pending->pprev = &pending;
	*slot = NULL;
	while ((t = pending) != NULL) {
		unlink_timer(t);
		if (t->deadline <= now) {
			w->count--;
			fired++;
			fn(t, arg);
		} else {
			link_into(slot, t);	/* a later revolution: same slot */
		}
	}
	return fired;
}

unsigned int wyki_wheel_expire(struct wyki_wheel *w, int64_t now, wyki_timer_fn fn, void *arg)
{
	int64_t from = w->now, ticks, i;
	unsigned int fired = 0;

	if (now <= from)
		return 0;
	ticks = now - from;
	if (ticks > (int64_t)WYKI_WHEEL_SLOTS)
		ticks = WYKI_WHEEL_SLOTS;
	/* Advance first: a callback arming a due timer puts it at now + 1, not behind us. */
	w->now = now;
	for (i = 1; i <= ticks && w->count; i++)
		fired += expire_slot(w, &w->slot[(uint64_t)(now - ticks + i) & SLOT_MASK],
				     now, fn, arg);
	return fired;
}

int64_t wyki_wheel_timeout(const struct wyki_wheel *w, int64_t now)
{
	int64_t k, at;

	if (w->count == 0)
		return -1;
	for (k = 1; k <= (int64_t)WYKI_WHEEL_SLOTS; k++) {
		if (w->slot[(uint64_t)(w->now + k) & SLOT_MASK]) {
			at = w->now + k;
			return at > now ? at - now : 0;
		}
	}
	return 0;	/* not reached: count > 0 means some slot is non-empty */
}
