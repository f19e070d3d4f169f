// SPDX-License-Identifier: GPL-2.0-only
/* test_wheel.c - the timer wheel: firing order, rounds, re-arming, timeouts. */
#include "harness.h"
#include "wheel.h"

static struct wyki_wheel wheel;

struct probe {
	struct wyki_timer t;
	int fired;
	int64_t rearm;		/* > 0: arm again at this deadline from the callback */
	struct probe *kill;	/* disarm this other timer from the callback */
};

static void on_fire(struct wyki_timer *t, void *arg)
{
	struct probe *p = (struct probe *)t;	/* t is the first member */

	(void)arg;
	p->fired++;
	if (p->rearm > 0) {
		wyki_wheel_add(&wheel, &p->t, p->rearm);
		p->rearm = 0;
	}
	if (p->kill)
		wyki_wheel_del(&wheel, &p->kill->t);
}

static void probe_init(struct probe *p)
{
	memset(p, 0, sizeof(*p));
	wyki_timer_init(&p->t);
}

static void test_fires_when_due(void)
{
	struct probe a, b;

	wyki_wheel_init(&wheel, 1000);
	probe_init(&a);
	probe_init(&b);
	wyki_wheel_add(&wheel, &a.t, 1005);
	wyki_wheel_add(&wheel, &b.t, 1010);
	CHECK(wyki_wheel_timeout(&wheel, 1000) == 5);
	CHECK(wyki_wheel_expire(&wheel, 1004, on_fire, NULL) == 0);
	CHECK(wyki_wheel_expire(&wheel, 1005, on_fire, NULL) == 1 && a.fired == 1);
	CHECK(!wyki_timer_armed(&a.t) && wyki_timer_armed(&b.t));
	CHECK(wyki_wheel_timeout(&wheel, 1005) == 5);
	CHECK(wyki_wheel_expire(&wheel, 2000, on_fire, NULL) == 1 && b.fired == 1);
	CHECK(wheel.count == 0 && wyki_wheel_timeout(&wheel, 2000) == -1);
}

static void test_later_rounds_and_jumps(void)
{
	struct probe far, past;

	wyki_wheel_init(&wheel, 0);
	probe_init(&far);
	probe_init(&past);
	wyki_wheel_add(&wheel, &far.t, 5000);		/* ~5 revolutions away */
	CHECK(wyki_wheel_expire(&wheel, 4000, on_fire, NULL) == 0);	/* a jump > 1 revolution */
	CHECK(far.fired == 0 && wyki_timer_armed(&far.t));
	CHECK(wyki_wheel_timeout(&wheel, 4000) > 0);	/* early is fine, never late */
	CHECK(wyki_wheel_expire(&wheel, 4999, on_fire, NULL) == 0);
	CHECK(wyki_wheel_expire(&wheel, 5000, on_fire, NULL) == 1 && far.fired == 1);
	wyki_wheel_add(&wheel, &past.t, 10);		/* already past: due next expire */
	CHECK(wyki_wheel_timeout(&wheel, 5000) <= 1);
	CHECK(wyki_wheel_expire(&wheel, 5001, on_fire, NULL) == 1 && past.fired == 1);
}

static void test_rearm_and_delete(void)
{
	struct probe a, b, c;

	wyki_wheel_init(&wheel, 0);
	probe_init(&a);
	probe_init(&b);
	probe_init(&c);
	wyki_wheel_add(&wheel, &a.t, 10);
	wyki_wheel_add(&wheel, &a.t, 20);		/* re-arm moves it */
	CHECK(wheel.count == 1);
	CHECK(wyki_wheel_expire(&wheel, 15, on_fire, NULL) == 0);
	a.rearm = 20;					/* fires at 20, re-arms for "now" */
	CHECK(wyki_wheel_expire(&wheel, 20, on_fire, NULL) == 1 && a.fired == 1);
	CHECK(wyki_timer_armed(&a.t));			/* not fired twice in one expire */
	CHECK(wyki_wheel_expire(&wheel, 21, on_fire, NULL) == 1 && a.fired == 2);

	/* b and c share a slot; whichever fires first disarms the other. */
	wyki_wheel_add(&wheel, &b.t, 30);
	wyki_wheel_add(&wheel, &c.t, 30);
	b.kill = &c;
	c.kill = &b;
	CHECK(wyki_wheel_expire(&wheel, 30, on_fire, NULL) == 1);
	CHECK(b.fired + c.fired == 1 && wheel.count == 0);
	wyki_wheel_del(&wheel, &b.t);			/* harmless when not armed */
	CHECK(wheel.count == 0);
}

static void test_many_timers(void)
{
	static struct probe p[3000];
	int64_t now;
	int i, total = 0, late = 0;

	wyki_wheel_init(&wheel, 0);
	for (i = 0; i < 3000; i++) {
		probe_init(&p[i]);
		wyki_wheel_add(&wheel, &p[i].t, (i * 7919) % 4000 + 1);
	}
	for (now = 1; now <= 4000; now += 3) {
		total += (int)wyki_wheel_expire(&wheel, now, on_fire, NULL);
		for (i = 0; i < 3000; i++)
			if (!p[i].fired && p[i].t.deadline <= now)
				late++;
	}
	total += (int)wyki_wheel_expire(&wheel, 4001, on_fire, NULL);
	CHECK(total == 3000 && late == 0 && wheel.count == 0);
}

int main(void)
{
	RUN(test_fires_when_due);
	RUN(test_later_rounds_and_jumps);
	RUN(test_rearm_and_delete);
	RUN(test_many_timers);
	return FINISH();
}
