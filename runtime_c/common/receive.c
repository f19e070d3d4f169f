// SPDX-License-Identifier: GPL-2.0-only
/*
 * receive.c - the four receives of generated code (wyki_gen.h): recv_line, recv_until,
 * recv_exact and recv, exactly as nanowyki/interp/receive.py `attempt`, plus the deadline rule
 * of nanowyki/interp/socketless.py (a receive that cannot complete gives none once its
 * deadline has passed, and sets timed_out).
 *
 * Each `attempt_*` decides on the unread input alone: ATT_WAIT (more input could complete
 * it), ATT_NONE (it gives none now; no byte is consumed) or ATT_VALUE (the value is
 * data[0, *take) and *eat bytes are consumed, the value plus its terminator).
 */
#include "wyki.h"

enum attempt { ATT_WAIT, ATT_NONE, ATT_VALUE };

/* ATT_NONE at end of input, else ATT_WAIT. */
static enum attempt none_at_eof(const struct wyki_conn *c)
{
	return wyki_peer_closed(c) ? ATT_NONE : ATT_WAIT;
}

static enum attempt attempt_line(const struct wyki_conn *c, int64_t limit, uint32_t *take,
				 uint32_t *eat)
{
	const uint8_t *in = wyki_rx_data(c);
	int64_t len = wyki_rx_len(c);
	int64_t at = wyki_rx_find(c, '\n', 0);

	if (at >= 0) {
		int64_t end = at > 0 && in[at - 1] == '\r' ? at - 1 : at;

		if (end > limit)
			return ATT_NONE;
		*take = (uint32_t)end;
		*eat = (uint32_t)at + 1;
		return ATT_VALUE;
	}
	/* Without a '\n', a line that fits needs at most @limit bytes and a '\r'. */
	if (limit < 0 || len > limit + 1 || (len == limit + 1 && in[limit] != '\r'))
		return ATT_NONE;
	return none_at_eof(c);
}

static enum attempt attempt_until(const struct wyki_conn *c, const uint8_t *d, uint32_t dn,
				  int64_t limit, uint32_t *take, uint32_t *eat)
{
	int64_t len = wyki_rx_len(c);
	int64_t at = wyki_rx_find_delim(c, d, dn, 0);

	if (at >= 0) {
		if (at > limit)
			return ATT_NONE;
		*take = (uint32_t)at;
		*eat = (uint32_t)at + dn;
		return ATT_VALUE;
	}
	if (len >= limit + (int64_t)dn)
		return ATT_NONE;
	return none_at_eof(c);
}

static enum attempt attempt_exact(const struct wyki_conn *c, int64_t count, int64_t limit,
				  uint32_t *take, uint32_t *eat)
{
	if (count < 0 || count > limit)
		return ATT_NONE;
	if ((int64_t)wyki_rx_len(c) >= count) {
		*take = *eat = (uint32_t)count;
		return ATT_VALUE;
	}
	return none_at_eof(c);
}

static enum attempt attempt_some(const struct wyki_conn *c, int64_t limit, uint32_t *take,
				 uint32_t *eat)
{
	int64_t len = wyki_rx_len(c);

	if (len > 0) {
		int64_t n = limit < len ? limit : len;

		if (n < 0)	/* a negative bound: Python's inbox[:n] is not a prefix; none */
			return ATT_NONE;
		*take = *eat = (uint32_t)n;
		return ATT_VALUE;
	}
	return none_at_eof(c);
}

/*
 * Carry out the decision: store the value (or none), consume, keep timed_out; or apply the
 * deadline: none and timed_out once it has passed, else arm the wake-up and wait.
 */
static bool finish(struct wyki_conn *c, enum attempt a, int64_t deadline, uint32_t take,
		   uint32_t eat, bool *timed_out, bool *some, uint8_t *data, uint32_t *len)
{
	switch (a) {
	case ATT_VALUE:
		if (take > 0)
			memcpy(data, wyki_rx_data(c), take);
		*len = take;
		*some = true;
		wyki_rx_consume(c, eat);
		*timed_out = false;
		return true;
	case ATT_NONE:
		*some = false;
		*len = 0;
		*timed_out = false;
		return true;
	case ATT_WAIT:
		break;
	}
	if (deadline != 0 && wyki_now_ms() >= deadline) {
		*some = false;
		*len = 0;
		*timed_out = true;
		return true;
	}
	if (deadline != 0)
		wyki_conn_wake_at(c, deadline);
	return false;
}

bool wyki_rx_line(struct wyki_conn *c, int64_t deadline, int64_t limit, bool *timed_out,
		  bool *some, uint8_t *data, uint32_t *len)
{
	uint32_t take = 0, eat = 0;
	enum attempt a = attempt_line(c, limit, &take, &eat);

	return finish(c, a, deadline, take, eat, timed_out, some, data, len);
}

bool wyki_rx_until(struct wyki_conn *c, int64_t deadline, const uint8_t *d, uint32_t dn,
		   int64_t limit, bool *timed_out, bool *some, uint8_t *data, uint32_t *len)
{
	uint32_t take = 0, eat = 0;
	enum attempt a = attempt_until(c, d, dn, limit, &take, &eat);

	return finish(c, a, deadline, take, eat, timed_out, some, data, len);
}

bool wyki_rx_exact(struct wyki_conn *c, int64_t deadline, int64_t count, int64_t limit,
		   bool *timed_out, bool *some, uint8_t *data, uint32_t *len)
{
	uint32_t take = 0, eat = 0;
	enum attempt a = attempt_exact(c, count, limit, &take, &eat);

	return finish(c, a, deadline, take, eat, timed_out, some, data, len);
}

bool wyki_rx_some(struct wyki_conn *c, int64_t deadline, int64_t limit, bool *timed_out,
		  bool *some, uint8_t *data, uint32_t *len)
{
	uint32_t take = 0, eat = 0;
	enum attempt a = attempt_some(c, limit, &take, &eat);

	return finish(c, a, deadline, take, eat, timed_out, some, data, len);
}
