/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * wyki_gen.h - the runtime functions that code generated from Cish calls beyond wyki.h and
 * wyki_builtins.h (nanowyki/languages/cish.py, "Runtime functions ...").  Included by wyki.h
 * after wyki_builtins.h; generated code includes wyki.h only.
 *
 * Conventions: a `bool` function returns true when the operation completed (the step goes
 * on) and false when it must wait (the step stores its state and returns); an `int`
 * function returns 0 or a fault status (WYKI_FAULT_STATUS(kind)).
 *
 * Implemented here, static inline (trivial): wyki_deadline, wyki_after_ms, wyki_fuel_spend,
 * wyki_peer_closed_all, wyki_set_timeout, wyki_sleep_done, wyki_tx_send, wyki_tx_send_int,
 * wyki_tx_send_bool, wyki_reply_bytes, wyki_reply_int, wyki_reply_bool, wyki_log_int,
 * wyki_log_bool, wyki_table_status, wyki_table_get_bytes, wyki_table_get_fixed,
 * wyki_bytes_set, wyki_shared_add, wyki_shared_sub, wyki_shared_mul, wyki_used_size.
 *
 * Implemented in runtime_c/common/receive.c (linked by both backends), exactly as
 * nanowyki/interp/receive.py `attempt` plus the deadline rule: wyki_rx_line, wyki_rx_until,
 * wyki_rx_exact, wyki_rx_some.
 */
#ifndef WYKI_GEN_H
#define WYKI_GEN_H

/* Checkpoints per step before a session yields; the generated file defines it first. */
#ifndef WYKI_FUEL
#define WYKI_FUEL 1000
#endif

/* ---------------------------------------------------------------------------------------
 * Time
 * ------------------------------------------------------------------------------------- */

static inline int64_t wyki_sat_add_(int64_t a, int64_t b)
{
	if (b > 0 && a > WYKI_INT_MAX - b)
		return WYKI_INT_MAX;
	if (b < 0 && a < WYKI_INT_MIN - b)
		return WYKI_INT_MIN;
	return a + b;
}

/* The receive deadline of a `set_timeout(ms)`: 0 (none) when ms <= 0. */
static inline int64_t wyki_deadline(int64_t ms)
{
	return ms <= 0 ? 0 : wyki_sat_add_(wyki_now_ms(), ms);
}

/* The wake-up time of `sleep(ms)`. */
static inline int64_t wyki_after_ms(int64_t ms)
{
	return wyki_sat_add_(wyki_now_ms(), ms);
}

/* Has `sleep` ended?  Else arm the wake-up and wait (the step returns WYKI_SLEEP). */
static inline bool wyki_sleep_done(struct wyki_conn *c, int64_t wake)
{
	if (wyki_now_ms() >= wake)
		return true;
	wyki_conn_wake_at(c, wake);
	return false;
}

/* `set_timeout(ms)`: a negative timeout is none. */
static inline void wyki_set_timeout(int64_t *timeout_ms, int64_t ms)
{
	*timeout_ms = ms < 0 ? 0 : ms;
}

/* One checkpoint: false (yield) when the step's fuel runs out, refilled for the next step. */
static inline bool wyki_fuel_spend(int64_t *fuel)
{
	if (--*fuel > 0)
		return true;
	*fuel = WYKI_FUEL;
	return false;
}

/* WYKI's peer_closed(): shut down, and every byte it sent consumed. */
static inline bool wyki_peer_closed_all(const struct wyki_conn *c)
{
	return wyki_peer_closed(c) && wyki_rx_len(c) == 0;
}

/* ---------------------------------------------------------------------------------------
 * Receives: true when the receive completed now (result stored, *timed_out cleared) or its
 * deadline (0: none) passed (*some = false, *timed_out = true); false after arming the
 * wake-up at the deadline (the step returns WYKI_NEED_INPUT).  The result is an optional
 * byte string: *some, data[0, *len).  @limit is the receive's bound N.
 * ------------------------------------------------------------------------------------- */

bool wyki_rx_line(struct wyki_conn *c, int64_t deadline, int64_t limit, bool *timed_out,
		  bool *some, uint8_t *data, uint32_t *len);
bool wyki_rx_until(struct wyki_conn *c, int64_t deadline, const uint8_t *d, uint32_t dn,
		   int64_t limit, bool *timed_out, bool *some, uint8_t *data, uint32_t *len);
bool wyki_rx_exact(struct wyki_conn *c, int64_t deadline, int64_t count, int64_t limit,
		   bool *timed_out, bool *some, uint8_t *data, uint32_t *len);
bool wyki_rx_some(struct wyki_conn *c, int64_t deadline, int64_t limit, bool *timed_out,
		  bool *some, uint8_t *data, uint32_t *len);

/* ---------------------------------------------------------------------------------------
 * Sends: queue what fits of p[*sent, n); true (and *sent = 0) once all of it is queued,
 * else false with *sent advanced (the step returns WYKI_NEED_OUTPUT and resumes here).
 * ------------------------------------------------------------------------------------- */

static inline bool wyki_tx_send(struct wyki_conn *c, const uint8_t *p, uint32_t n,
				uint32_t *sent)
{
	if (*sent < n)
		*sent += wyki_tx_write(c, p + *sent, n - *sent);
	if (*sent < n)
		return false;
	*sent = 0;
	return true;
}

static inline bool wyki_tx_send_int(struct wyki_conn *c, int64_t v, uint32_t *sent)
{
	uint8_t text[WYKI_ITOA_MAX];
	uint32_t n = 0;

	wyki_itoa(v, text, sizeof(text), &n);
	return wyki_tx_send(c, text, n, sent);
}

static inline bool wyki_tx_send_bool(struct wyki_conn *c, bool v, uint32_t *sent)
{
	return v ? wyki_tx_send(c, (const uint8_t *)"true", 4, sent)
		 : wyki_tx_send(c, (const uint8_t *)"false", 5, sent);
}

/* ---------------------------------------------------------------------------------------
 * Replies (datagrams) and log
 * ------------------------------------------------------------------------------------- */

/* One whole reply: 0, or fault bounds when it is longer than the reply size. */
static inline int wyki_reply_bytes(struct wyki_dgram *d, const uint8_t *p, uint32_t n)
{
	if (wyki_reply_append(d, p, n) < 0)
		return WYKI_ST_BOUNDS;
	wyki_reply_send(d);	/* a reply the backend cannot queue is dropped and counted */
	return 0;
}

static inline int wyki_reply_int(struct wyki_dgram *d, int64_t v)
{
	uint8_t text[WYKI_ITOA_MAX];
	uint32_t n = 0;

	wyki_itoa(v, text, sizeof(text), &n);
	return wyki_reply_bytes(d, text, n);
}

static inline int wyki_reply_bool(struct wyki_dgram *d, bool v)
{
	return v ? wyki_reply_bytes(d, (const uint8_t *)"true", 4)
		 : wyki_reply_bytes(d, (const uint8_t *)"false", 5);
}

static inline void wyki_log_int(int64_t v)
{
	uint8_t text[WYKI_ITOA_MAX];
	uint32_t n = 0;

	wyki_itoa(v, text, sizeof(text), &n);
	wyki_log_bytes(text, n);
}

static inline void wyki_log_bool(bool v)
{
	if (v)
		wyki_log_bytes((const uint8_t *)"true", 4);
	else
		wyki_log_bytes((const uint8_t *)"false", 5);
}

/* ---------------------------------------------------------------------------------------
 * Copies.  A byte string is copied by its length, not its capacity: `x = y` of a
 * bytes[N] costs len(y).  The bytes of dst past the new length keep what they held (they
 * are never read: every reader stops at len).  A struct, optional or array holding byte
 * strings is copied by a generated `copy_TYPE(dst, src)` that calls this per member.
 * ------------------------------------------------------------------------------------- */

/* dst = src for a byte string whose bound fits dst's (never faults); dst may be src. */
static inline void wyki_bytes_set(uint8_t *dst, uint32_t *dst_len, const uint8_t *src,
				  uint32_t n)
{
	if (n && dst != src)
		memcpy(dst, src, n);
	*dst_len = n;
}

/* ---------------------------------------------------------------------------------------
 * Shared integers: `n += v`, `n -= v`, `n *= v` on a `shared n`, each one atomic
 * read-modify-write (workers may update n at the same time: no update is lost).  The
 * language's overflow rule holds: on overflow n is unchanged and the fault is returned.
 * Else *old is the value n had just before the update.  A compare-and-swap loop:
 * uncontended, one locked instruction.
 * ------------------------------------------------------------------------------------- */

/* Replace *a by @next if it still holds *@seen, else load what it holds into *@seen. */
static inline bool wyki_atomic_cas_(wyki_atomic64 *a, int64_t *seen, int64_t next)
{
#ifdef __KERNEL__
	int64_t was = atomic64_cmpxchg(a, *seen, next);

	if (was == *seen)
		return true;
	*seen = was;
	return false;
#else
	return __atomic_compare_exchange_n(&a->counter, seen, next, false, __ATOMIC_SEQ_CST,
					   __ATOMIC_SEQ_CST);
#endif
}

static inline int wyki_shared_update_(wyki_atomic64 *a, int (*op)(int64_t, int64_t, int64_t *),
				      int64_t v, int64_t *old)
{
	int64_t seen = wyki_atomic_load(a), next;
	int st;

	do {
		st = op(seen, v, &next);
		if (st != 0)
			return st;
	} while (!wyki_atomic_cas_(a, &seen, next));
	*old = seen;
	return 0;
}

static inline int wyki_shared_add(wyki_atomic64 *a, int64_t v, int64_t *old)
{
	return wyki_shared_update_(a, wyki_add, v, old);
}

static inline int wyki_shared_sub(wyki_atomic64 *a, int64_t v, int64_t *old)
{
	return wyki_shared_update_(a, wyki_sub, v, old);
}

static inline int wyki_shared_mul(wyki_atomic64 *a, int64_t v, int64_t *old)
{
	return wyki_shared_update_(a, wyki_mul, v, old);
}

/* ---------------------------------------------------------------------------------------
 * Tables.  A key or value that is not a byte string is passed as `&v, sizeof(v)`.
 * ------------------------------------------------------------------------------------- */

/* A wyki_table_rc of put as a status: 0, fault table_full, or fault bounds. */
static inline int wyki_table_status(int rc)
{
	if (rc == WYKI_TABLE_OK)
		return 0;
	if (rc == WYKI_TABLE_FULL)
		return WYKI_FAULT_STATUS(WYKI_FAULT_TABLE_FULL);
	return WYKI_ST_BOUNDS;
}

/* `t.get(k)` of a byte-string value: *some, data[0, *len) (room @cap). */
static inline int wyki_table_get_bytes(struct wyki_table *t, const void *kp, uint32_t kn,
				       bool *some, uint8_t *data, uint32_t cap, uint32_t *len)
{
	int rc = wyki_table_get(t, kp, kn, data, cap, len);

	*some = rc == WYKI_TABLE_OK;
	return rc == WYKI_TABLE_NOT_FOUND ? 0 : wyki_table_status(rc);
}

/*
 * The size of a struct value up to the end of its last member, a byte string whose bytes
 * start at @tail and number @tail_len: what `t.put(k, v)` stores of such a struct (a get
 * copies it back and leaves the bytes past it, never read, as they were).
 */
static inline uint32_t wyki_used_size(const void *start, const uint8_t *tail, uint32_t tail_len)
{
	return (uint32_t)(tail - (const uint8_t *)start) + tail_len;
}

/* `t.get(k)` of a value of fixed @size bytes (an int, bool or struct) into *@out; a struct
 * stored up to its last byte string's length (wyki_used_size) fills only that much. */
static inline int wyki_table_get_fixed(struct wyki_table *t, const void *kp, uint32_t kn,
				       bool *some, void *out, uint32_t size)
{
	uint32_t len = 0;
	int rc = wyki_table_get(t, kp, kn, out, size, &len);

	*some = rc == WYKI_TABLE_OK;
	return rc == WYKI_TABLE_NOT_FOUND ? 0 : wyki_table_status(rc);
}

#endif /* WYKI_GEN_H */
