// SPDX-License-Identifier: GPL-2.0-only
/* test_buf.c - connection buffers: append, consume, compaction, full, find, ints. */
#include "harness.h"
#include "wyki.h"

static uint8_t rx_mem[16], tx_mem[16];

static void conn_init(struct wyki_conn *c)
{
	memset(c, 0, sizeof(*c));
	c->rx.data = rx_mem;
	c->rx.cap = sizeof(rx_mem);
	c->tx.data = tx_mem;
	c->tx.cap = sizeof(tx_mem);
}

/* What the runtime does when bytes arrive. */
static void arrive(struct wyki_conn *c, const char *s)
{
	CHECK(wyki_buf_append(&c->rx, s, (uint32_t)strlen(s)) == 0);
}

static void test_append_consume(void)
{
	struct wyki_conn c;

	conn_init(&c);
	CHECK(wyki_tx_room(&c) == 16);
	CHECK(wyki_tx_append(&c, "hello", 5) == 0);
	CHECK(wyki_buf_len(&c.tx) == 5 && memcmp(c.tx.data, "hello", 5) == 0);
	wyki_buf_consume(&c.tx, 2);
	CHECK(wyki_buf_len(&c.tx) == 3 && c.tx.head == 2);
	wyki_buf_consume(&c.tx, 3);
	CHECK(c.tx.head == 0 && c.tx.tail == 0);	/* empty resets to the front */
	CHECK(wyki_tx_append(&c, "", 0) == 0 && wyki_buf_len(&c.tx) == 0);
}

static void test_full_is_all_or_nothing(void)
{
	struct wyki_conn c;

	conn_init(&c);
	CHECK(wyki_tx_append(&c, "0123456789abcdef", 16) == 0);
	CHECK(wyki_tx_room(&c) == 0);
	CHECK(wyki_tx_append(&c, "x", 1) == -1);
	CHECK(wyki_buf_len(&c.tx) == 16);		/* unchanged */
	wyki_buf_consume(&c.tx, 4);
	CHECK(wyki_tx_append(&c, "01234", 5) == -1);	/* 4 free, 5 asked: nothing queued */
	CHECK(wyki_buf_len(&c.tx) == 12 && c.tx.head == 4);
	CHECK(wyki_tx_write(&c, "WXYZ!", 5) == 4);	/* partial write takes what fits */
	CHECK(wyki_tx_room(&c) == 0);
	CHECK(memcmp(c.tx.data, "456789abcdefWXYZ", 16) == 0);	/* compacted */
}

static void test_compaction(void)
{
	struct wyki_conn c;

	conn_init(&c);
	CHECK(wyki_tx_append(&c, "0123456789", 10) == 0);
	wyki_buf_consume(&c.tx, 8);			/* "89" pending at 8..10 */
	CHECK(wyki_tx_append(&c, "ABCDEF", 6) == 0);	/* fits at the tail: no memmove */
	CHECK(c.tx.head == 8 && c.tx.tail == 16);
	CHECK(wyki_tx_append(&c, "GH", 2) == 0);	/* tail full: compacts first */
	CHECK(c.tx.head == 0 && c.tx.tail == 10);
	CHECK(memcmp(c.tx.data, "89ABCDEFGH", 10) == 0);
	wyki_buf_compact(&c.tx);			/* head 0: a no-op */
	CHECK(c.tx.tail == 10);
}

static void test_rx_find(void)
{
	struct wyki_conn c;

	conn_init(&c);
	arrive(&c, "GET a\r\nSET");
	CHECK(wyki_rx_find(&c, '\n', 0) == 6);
	CHECK(wyki_rx_find(&c, '\n', 7) == -1);
	CHECK(wyki_rx_find(&c, 'Z', 0) == -1);
	CHECK(wyki_rx_find(&c, 'G', 100) == -1);
	CHECK(wyki_rx_find_delim(&c, (const uint8_t *)"\r\n", 2, 0) == 5);
	CHECK(wyki_rx_find_delim(&c, (const uint8_t *)"SET", 3, 0) == 7);
	CHECK(wyki_rx_find_delim(&c, (const uint8_t *)"SETX", 4, 0) == -1);	/* runs off the end */
	CHECK(wyki_rx_find_delim(&c, (const uint8_t *)"", 0, 3) == 3);
	wyki_rx_consume(&c, 7);
	CHECK(wyki_rx_len(&c) == 3 && memcmp(wyki_rx_data(&c), "SET", 3) == 0);
	CHECK(wyki_rx_find(&c, 'S', 0) == 0);		/* indices are relative to the view */
	CHECK(!wyki_peer_closed(&c));
	c.flags |= WYKI_CONN_PEER_CLOSED;
	CHECK(wyki_peer_closed(&c));
}

static void test_append_int(void)
{
	struct wyki_conn c;
	uint8_t big[32];

	conn_init(&c);
	c.tx.data = big;
	c.tx.cap = sizeof(big);
	CHECK(wyki_tx_append_int(&c, 0) == 0);
	CHECK(wyki_tx_append_int(&c, -42) == 0);
	CHECK(wyki_buf_len(&c.tx) == 4 && memcmp(big, "0-42", 4) == 0);
	wyki_buf_consume(&c.tx, 4);
	CHECK(wyki_tx_append_int(&c, INT64_MIN) == 0);
	CHECK(wyki_buf_len(&c.tx) == 20 && memcmp(big, "-9223372036854775808", 20) == 0);
	CHECK(wyki_tx_append_int(&c, INT64_MAX) == -1);	/* 19 digits, 12 free */
}

static void test_status_and_names(void)
{
	int s = WYKI_FAULT_STATUS(WYKI_FAULT_TABLE_FULL);

	CHECK(wyki_status_is_fault(s));
	CHECK(wyki_status_fault(s) == WYKI_FAULT_TABLE_FULL);
	CHECK(!wyki_status_is_fault(WYKI_DONE) && !wyki_status_is_fault(WYKI_YIELD));
	CHECK(!wyki_status_is_fault(WYKI_STATUS_FAULT_BASE));
	CHECK(strcmp(wyki_fault_name(WYKI_FAULT_BOUNDS), "bounds") == 0);
	CHECK(strcmp(wyki_fault_name(WYKI_FAULT_TABLE_FULL), "table_full") == 0);
	CHECK(strcmp(wyki_stat_name(WYKI_STAT_FAULT_FIRST + WYKI_FAULT_FUEL), "fault_fuel") == 0);
}

static void test_atomic_add_checked(void)
{
	wyki_atomic64 a = WYKI_ATOMIC64_INIT(INT64_MAX - 1);
	int64_t r = 0;

	CHECK(wyki_atomic_add_checked(&a, 1, &r) && r == INT64_MAX);
	CHECK(!wyki_atomic_add_checked(&a, 1, &r));
	CHECK(wyki_atomic_load(&a) == INT64_MAX);	/* unchanged on overflow */
	wyki_atomic_store(&a, 5);
	CHECK(wyki_atomic_add(&a, -7) == -2);
}

int main(void)
{
	RUN(test_append_consume);
	RUN(test_full_is_all_or_nothing);
	RUN(test_compaction);
	RUN(test_rx_find);
	RUN(test_append_int);
	RUN(test_status_and_names);
	RUN(test_atomic_add_checked);
	return FINISH();
}
