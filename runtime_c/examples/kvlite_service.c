// SPDX-License-Identifier: GPL-2.0-only
/*
 * kvlite_service.c - a tiny line protocol over a table, written by hand the way nanowyki
 * will generate it from:
 *
 *     service kvlite {
 *         listen tcp 7070;
 *         sessions 1024;
 *         table store: map<bytes[64], bytes[256]>[4096];
 *         shared requests: int = 0;
 *
 *         session {
 *             loop {
 *                 let line = recv_line(512) else { close; };
 *                 requests += 1;
 *                 let cmd = field(line, 0);
 *                 if cmd == "SET" && nfields(line) == 3 {
 *                     store.put(field(line, 1), field(line, 2));   // (1)
 *                     send("OK\r\n");
 *                 } else if cmd == "GET" && nfields(line) == 2 {
 *                     let v = store.get(field(line, 1)) else { send("NONE\r\n"); continue; };
 *                     send(v, "\r\n");
 *                 } else {
 *                     send("ERROR\r\n");
 *                     close;
 *                 }
 *             }
 *         }
 *     }
 *
 * (1) A field is bounded by the line (512), the key by 64 and the value by 256: the store
 * narrows them with a run-time check, so an over-long key or value faults `bounds`, which
 * ends this session only.  (The checker today wants an explicit slice; the C is the same.)
 *
 * Pipelining: the loop handles every complete line in the receive buffer in one step, and
 * the runtime writes all the replies with one send.
 */
#include "wyki.h"

#define LINE_MAX	512
#define KEY_MAX		64
#define VALUE_MAX	256
#define FUEL		64

enum kv_state {
	S_RECV_LINE = 0,
	S_SEND_OK,
	S_SEND_NONE,
	S_SEND_VALUE,
	S_SEND_ERROR,
};

struct kv_frame {
	uint32_t state;
	uint32_t line_len;
	uint32_t v_len;
	uint8_t line[LINE_MAX];
	uint8_t v[VALUE_MAX];
};

static struct wyki_table *store;
static wyki_atomic64 requests = WYKI_ATOMIC64_INIT(0);

static const struct wyki_table_decl kv_tables[] = {
	{ .name = "store", .key_size = KEY_MAX, .value_size = VALUE_MAX, .capacity = 4096,
	  .handle = &store },
};

/* ---- pure builtins (the emitter will take these from a builtins header) ------------- */

struct span {
	const uint8_t *p;
	uint32_t len;
};

/* field(b, i): the i-th run of non-space bytes, empty if absent. */
static struct span field(const uint8_t *b, uint32_t len, uint32_t i)
{
	struct span s = { b, 0 };
	uint32_t at = 0, start;

	for (;;) {
		while (at < len && b[at] == ' ')
			at++;
		if (at == len)
			return s;
		start = at;
		while (at < len && b[at] != ' ')
			at++;
		if (i-- == 0) {
			s.p = b + start;
			s.len = at - start;
			return s;
		}
	}
}

static uint32_t nfields(const uint8_t *b, uint32_t len)
{
	uint32_t n = 0, at = 0;

	while (at < len) {
		while (at < len && b[at] == ' ')
			at++;
		if (at < len)
			n++;
		while (at < len && b[at] != ' ')
			at++;
	}
	return n;
}

static bool span_eq(struct span s, const char *lit, uint32_t n)
{
	return s.len == n && memcmp(s.p, lit, n) == 0;
}

/*
 * recv_line(N) as a non-blocking check.  1: a line (copied into the frame, consumed);
 * 0: none (end of input, or no line ends within N bytes); -1: wait for more input.
 */
static int try_recv_line(struct wyki_conn *c, uint8_t *out, uint32_t *out_len, uint32_t max)
{
	uint32_t avail = wyki_rx_len(c), look = avail < max + 2 ? avail : max + 2;
	int64_t nl = wyki_rx_find(c, '\n', 0);
	uint32_t n;

	if (nl < 0 || (uint32_t)nl >= look) {
		if (avail >= max + 2 || wyki_peer_closed(c))
			return 0;
		return -1;
	}
	n = (uint32_t)nl;
	if (n > 0 && wyki_rx_data(c)[n - 1] == '\r')
		n--;
	if (n > max)
		return 0;
	memcpy(out, wyki_rx_data(c), n);
	*out_len = n;
	wyki_rx_consume(c, (uint32_t)nl + 1);
	return 1;
}

/* ---- the session ----------------------------------------------------------------------- */

#define SEND_LIT(c, s)	wyki_tx_append((c), (s), sizeof(s) - 1)

static int kv_step(void *fp, struct wyki_conn *c)
{
	struct kv_frame *f = fp;
	uint32_t fuel = FUEL;
	struct span cmd, key, val;
	int rc;

	switch (f->state) {
	case S_RECV_LINE: goto s_recv_line;
	case S_SEND_OK: goto s_send_ok;
	case S_SEND_NONE: goto s_send_none;
	case S_SEND_VALUE: goto s_send_value;
	case S_SEND_ERROR: goto s_send_error;
	}
	return WYKI_FAULT_STATUS(WYKI_FAULT_BOUNDS);

s_recv_line:
	rc = try_recv_line(c, f->line, &f->line_len, LINE_MAX);
	if (rc < 0) {
		f->state = S_RECV_LINE;
		return WYKI_NEED_INPUT;
	}
	if (rc == 0)
		return WYKI_DONE;				/* else { close; } */
	wyki_atomic_add(&requests, 1);
	cmd = field(f->line, f->line_len, 0);
	if (span_eq(cmd, "SET", 3) && nfields(f->line, f->line_len) == 3) {
		key = field(f->line, f->line_len, 1);
		val = field(f->line, f->line_len, 2);
		switch (wyki_table_put(store, key.p, key.len, val.p, val.len)) {
		case WYKI_TABLE_OK:
			break;
		case WYKI_TABLE_FULL:
			return WYKI_FAULT_STATUS(WYKI_FAULT_TABLE_FULL);
		default:
			return WYKI_FAULT_STATUS(WYKI_FAULT_BOUNDS);
		}
		goto s_send_ok;
	}
	if (span_eq(cmd, "GET", 3) && nfields(f->line, f->line_len) == 2) {
		key = field(f->line, f->line_len, 1);
		if (key.len > KEY_MAX)
			return WYKI_FAULT_STATUS(WYKI_FAULT_BOUNDS);
		if (wyki_table_get(store, key.p, key.len, f->v, VALUE_MAX, &f->v_len) !=
		    WYKI_TABLE_OK)
			goto s_send_none;
		goto s_send_value;
	}
	goto s_send_error;

s_send_ok:
	if (SEND_LIT(c, "OK\r\n") < 0) {
		f->state = S_SEND_OK;
		return WYKI_NEED_OUTPUT;
	}
	goto loop_next;

s_send_none:
	if (SEND_LIT(c, "NONE\r\n") < 0) {
		f->state = S_SEND_NONE;
		return WYKI_NEED_OUTPUT;
	}
	goto loop_next;					/* continue; */

s_send_value:
	/* send(v, "\r\n"): one send of several values is all or nothing */
	if (wyki_tx_room(c) < f->v_len + 2) {
		f->state = S_SEND_VALUE;
		return WYKI_NEED_OUTPUT;
	}
	wyki_tx_append(c, f->v, f->v_len);
	SEND_LIT(c, "\r\n");
	goto loop_next;

s_send_error:
	if (SEND_LIT(c, "ERROR\r\n") < 0) {
		f->state = S_SEND_ERROR;
		return WYKI_NEED_OUTPUT;
	}
	return WYKI_DONE;				/* close; */

loop_next:
	if (--fuel == 0) {
		f->state = S_RECV_LINE;
		return WYKI_YIELD;
	}
	goto s_recv_line;
}

const struct wyki_service wyki_service = {
	.name = "kvlite",
	.proto = WYKI_TCP,
	.port = 7070,
	.max_sessions = 1024,
	.frame_size = sizeof(struct kv_frame),
	.rx_size = 4096,	/* >= LINE_MAX + 2; the rest lets a pipelined batch in at once */
	.tx_size = 8192,
	.step = kv_step,
	.tables = kv_tables,
	.ntables = 1,
};
