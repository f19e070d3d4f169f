// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_receive.c - the receives of generated code (common/receive.c) against the rules of
 * nanowyki/interp/receive.py `attempt` and the deadline rule, with a fake clock.
 */
#include "harness.h"
#include "wyki.h"

static int64_t fake_now = 1000;

int64_t wyki_now_ms(void)
{
	return fake_now;
}

static uint8_t rx_mem[64], tx_mem[16];
static uint8_t out[64];
static uint32_t out_len;
static bool some, timed_out;

static void conn_init(struct wyki_conn *c, const char *input, bool eof)
{
	memset(c, 0, sizeof(*c));
	c->rx.data = rx_mem;
	c->rx.cap = sizeof(rx_mem);
	c->tx.data = tx_mem;
	c->tx.cap = sizeof(tx_mem);
	CHECK(wyki_buf_append(&c->rx, input, (uint32_t)strlen(input)) == 0);
	if (eof)
		c->flags |= WYKI_CONN_PEER_CLOSED;
	memset(out, 0xAA, sizeof(out));
	out_len = 12345;
	some = true;
	timed_out = true;
}

static bool value_is(const char *s)
{
	return some && out_len == strlen(s) && memcmp(out, s, out_len) == 0;
}

static bool unread_is(const struct wyki_conn *c, const char *s)
{
	return wyki_rx_len(c) == strlen(s) && memcmp(wyki_rx_data(c), s, strlen(s)) == 0;
}

static bool line(struct wyki_conn *c, int64_t deadline, int64_t limit)
{
	return wyki_rx_line(c, deadline, limit, &timed_out, &some, out, &out_len);
}

static void test_line(void)
{
	struct wyki_conn c;

	conn_init(&c, "ab\r\ncd\nrest", false);
	CHECK(line(&c, 0, 8) && value_is("ab") && !timed_out);	/* one \r dropped */
	CHECK(line(&c, 0, 8) && value_is("cd"));
	CHECK(!line(&c, 0, 8) && unread_is(&c, "rest"));	/* wait for more */
	conn_init(&c, "a\r\r\n", false);
	CHECK(line(&c, 0, 8) && value_is("a\r"));		/* only one \r */
	conn_init(&c, "\n", false);
	CHECK(line(&c, 0, 0) && value_is(""));
	conn_init(&c, "abcd\r\n", false);
	CHECK(line(&c, 0, 4) && value_is("abcd"));		/* the limit excludes \r\n */
	conn_init(&c, "abcde\n", false);
	CHECK(line(&c, 0, 4) && !some && !timed_out && unread_is(&c, "abcde\n"));
}

static void test_line_cannot_end(void)
{
	struct wyki_conn c;

	conn_init(&c, "abcd", false);
	CHECK(!line(&c, 0, 4));				/* \n may still come */
	conn_init(&c, "abcd\r", false);
	CHECK(!line(&c, 0, 4));				/* \r\n may still end it */
	conn_init(&c, "abcdx", false);
	CHECK(line(&c, 0, 4) && !some && unread_is(&c, "abcdx"));
	conn_init(&c, "abcd\rx", false);
	CHECK(line(&c, 0, 4) && !some);
	conn_init(&c, "abc", true);				/* partial line at EOF */
	CHECK(line(&c, 0, 8) && !some && unread_is(&c, "abc"));
	conn_init(&c, "", true);
	CHECK(line(&c, 0, 8) && !some);
	conn_init(&c, "ok\npartial", true);
	CHECK(line(&c, 0, 8) && value_is("ok"));		/* a whole line first, even at EOF */
}

static bool until(struct wyki_conn *c, const char *d, int64_t limit)
{
	return wyki_rx_until(c, 0, (const uint8_t *)d, (uint32_t)strlen(d), limit, &timed_out,
			     &some, out, &out_len);
}

static void test_until(void)
{
	struct wyki_conn c;

	conn_init(&c, "key::value::", false);
	CHECK(until(&c, "::", 8) && value_is("key") && unread_is(&c, "value::"));
	CHECK(until(&c, "::", 5) && value_is("value") && unread_is(&c, ""));
	conn_init(&c, "abc:", false);
	CHECK(!until(&c, "::", 8));				/* "::" may still complete */
	conn_init(&c, "abcdef::", false);
	CHECK(until(&c, "::", 5) && !some && unread_is(&c, "abcdef::"));
	conn_init(&c, "abcde:", false);
	CHECK(!until(&c, "::", 5));				/* 5 bytes, then "::" may come */
	conn_init(&c, "abcde:x", false);
	CHECK(until(&c, "::", 5) && !some);			/* len >= limit + |d| */
	conn_init(&c, "abc", true);
	CHECK(until(&c, "::", 8) && !some && unread_is(&c, "abc"));
}

static bool exact(struct wyki_conn *c, int64_t count, int64_t limit)
{
	return wyki_rx_exact(c, 0, count, limit, &timed_out, &some, out, &out_len);
}

static void test_exact(void)
{
	struct wyki_conn c;

	conn_init(&c, "abcdef", false);
	CHECK(exact(&c, 4, 8) && value_is("abcd") && unread_is(&c, "ef"));
	CHECK(exact(&c, 0, 8) && value_is(""));
	CHECK(!exact(&c, 3, 8));
	CHECK(exact(&c, 9, 8) && !some);			/* count > N: none at once */
	CHECK(exact(&c, -1, 8) && !some);
	conn_init(&c, "ab", true);
	CHECK(exact(&c, 3, 8) && !some && unread_is(&c, "ab"));
}

static bool recv_some(struct wyki_conn *c, int64_t deadline, int64_t limit)
{
	return wyki_rx_some(c, deadline, limit, &timed_out, &some, out, &out_len);
}

static void test_some(void)
{
	struct wyki_conn c;

	conn_init(&c, "abcdef", false);
	CHECK(recv_some(&c, 0, 4) && value_is("abcd"));
	CHECK(recv_some(&c, 0, 4) && value_is("ef"));
	CHECK(!recv_some(&c, 0, 4));
	conn_init(&c, "", true);
	CHECK(recv_some(&c, 0, 4) && !some && !timed_out);
}

static void test_deadline(void)
{
	struct wyki_conn c;

	fake_now = 1000;
	conn_init(&c, "abc", false);
	CHECK(!line(&c, 1500, 8) && c.wake_ms == 1500);	/* arms the wake-up */
	conn_init(&c, "abc", false);
	CHECK(!line(&c, 0, 8) && c.wake_ms == 0);		/* no deadline: no wake-up */
	fake_now = 1500;
	CHECK(line(&c, 1500, 8) && !some && timed_out && unread_is(&c, "abc"));
	/* a receive that can complete does so even past its deadline, and clears timed_out */
	conn_init(&c, "abc\n", false);
	CHECK(line(&c, 1, 8) && value_is("abc") && !timed_out);
	/* an immediate none (too long) is not a timeout */
	conn_init(&c, "abcdefghij", false);
	CHECK(line(&c, 1, 4) && !some && !timed_out);
	fake_now = 1000;
}

int main(void)
{
	RUN(test_line);
	RUN(test_line_cannot_end);
	RUN(test_until);
	RUN(test_exact);
	RUN(test_some);
	RUN(test_deadline);
	return FINISH();
}
