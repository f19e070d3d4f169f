// SPDX-License-Identifier: GPL-2.0-only
/*
 * udpecho_service.c - a UDP service with a timer, written by hand the way nanowyki will
 * generate it from:
 *
 *     service udpecho {
 *         listen udp 7071;
 *         shared ticks: int = 0;
 *
 *         datagram pkt: bytes[512] {
 *             if pkt == "TICKS" { reply(itoa(ticks)); return; }   // (a handler body)
 *             reply(pkt);
 *         }
 *         every 10 ms { ticks += 1; }
 *     }
 *
 * Datagrams longer than 512 bytes are dropped by the runtime and counted.
 */
#include "wyki.h"

#define PKT_MAX	512

static wyki_atomic64 ticks = WYKI_ATOMIC64_INIT(0);

static int udpecho_datagram(void *scratch, struct wyki_dgram *d)
{
	uint8_t digits[20];
	int64_t v;
	int i = (int)sizeof(digits);

	(void)scratch;
	if (d->len == 5 && memcmp(d->pkt, "TICKS", 5) == 0) {
		v = wyki_atomic_load(&ticks);	/* itoa of a non-negative counter */
		do {
			digits[--i] = (uint8_t)('0' + v % 10);
			v /= 10;
		} while (v);
		if (wyki_reply_append(d, digits + i, (uint32_t)(sizeof(digits) - (size_t)i)) < 0)
			return WYKI_FAULT_STATUS(WYKI_FAULT_BOUNDS);
		wyki_reply_send(d);
		return WYKI_DONE;
	}
	if (wyki_reply_append(d, d->pkt, d->len) < 0)
		return WYKI_FAULT_STATUS(WYKI_FAULT_BOUNDS);
	wyki_reply_send(d);
	return WYKI_DONE;
}

static int tick(void *scratch)
{
	int64_t now;

	(void)scratch;
	if (!wyki_atomic_add_checked(&ticks, 1, &now))
		return WYKI_FAULT_STATUS(WYKI_FAULT_OVERFLOW);
	return WYKI_DONE;
}

static const struct wyki_timer_decl udpecho_timers[] = {
	{ .name = "every 10 ms", .period_ms = 10, .run = tick },
};

const struct wyki_service wyki_service = {
	.name = "udpecho",
	.proto = WYKI_UDP,
	.port = 7071,
	.max_sessions = 0,
	.scratch_size = 64,
	.max_datagram = PKT_MAX,
	.reply_size = PKT_MAX,
	.datagram = udpecho_datagram,
	.timers = udpecho_timers,
	.ntimers = 1,
};
