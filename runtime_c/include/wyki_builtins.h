/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * wyki_builtins.h - WYKI's pure builtins and checked integer operators, in C.
 *
 * Included by wyki.h (at its end), so generated code, the userspace runtime and the kernel
 * module all get it; include wyki.h, not this file.  The semantics are EXACTLY those of
 * nanowyki/purefns.py (same results, same faults); tests/runtime/test_builtins_differential.py
 * checks that on random and edge-case inputs.
 *
 * Conventions, the same for every function:
 *
 *   - Each returns an int status: 0, or WYKI_FAULT_STATUS(kind) for a run-time fault, so
 *     generated code writes `if ((st = wyki_add(a, b, &r)) != 0) return st;`.  A function
 *     documented "never faults" always returns 0 (the compiler folds the test away).
 *   - Results go through out-parameters, which are written only on success (on a fault
 *     every out-parameter and destination buffer is left untouched).
 *   - A WYKI `int` is int64_t, a `bool` is bool, a byte string is a (pointer, uint32_t
 *     length) pair.  The pointer may be NULL when the length is 0.
 *   - An optional result (`T?`) is a `bool *some` flag plus the value; the value is written
 *     only when *some is true (wyki_find also writes -1 for none).
 *   - A byte-string result is written into a caller-provided destination `dst` of capacity
 *     `cap` (the static bound of the result's type, docs/language.md "Static bounds"), its
 *     length into *dst_len.  Where the language cannot fault, a `cap` below the static
 *     bound is an emitter bug: the function then returns the `bounds` fault rather than
 *     write past `cap`.  Unless said otherwise `dst` must not overlap the inputs, except
 *     that it may be the input itself (`x = lower(x)`).
 *   - Sub-strings (slice, field, trim) also come as *_view functions that return a pointer
 *     into their input instead of copying: zero cost, valid as long as the input is.
 *   - No allocation, no libc beyond memmove/memcmp/memchr, no floating point, no locale;
 *     every function is O(its input) at worst (find included).  Header-only: nothing to
 *     link.
 */
#ifndef WYKI_BUILTINS_H
#define WYKI_BUILTINS_H

#include "wyki.h"

#define WYKI_INT_MAX	((int64_t)9223372036854775807LL)
#define WYKI_INT_MIN	(-WYKI_INT_MAX - 1)

/* The static bounds of the byte strings some builtins produce. */
#define WYKI_ITOA_MAX	20	/* "-9223372036854775808" */
#define WYKI_HEX_MAX	16	/* "7fffffffffffffff" */

#define WYKI_ST_BOUNDS		WYKI_FAULT_STATUS(WYKI_FAULT_BOUNDS)
#define WYKI_ST_OVERFLOW	WYKI_FAULT_STATUS(WYKI_FAULT_OVERFLOW)
#define WYKI_ST_DIVISION	WYKI_FAULT_STATUS(WYKI_FAULT_DIVISION)

/* ---------------------------------------------------------------------------------------
 * Integer operators.  All O(1), a few instructions; the checks are one flag test.
 * ------------------------------------------------------------------------------------- */

/* a + b; fault overflow outside the 64-bit range. */
static inline int wyki_add(int64_t a, int64_t b, int64_t *r)
{
	int64_t v;

	if (__builtin_add_overflow(a, b, &v))
		return WYKI_ST_OVERFLOW;
	*r = v;
	return 0;
}

/* a - b; fault overflow. */
static inline int wyki_sub(int64_t a, int64_t b, int64_t *r)
{
	int64_t v;

	if (__builtin_sub_overflow(a, b, &v))
		return WYKI_ST_OVERFLOW;
	*r = v;
	return 0;
}

/* a * b; fault overflow. */
static inline int wyki_mul(int64_t a, int64_t b, int64_t *r)
{
	int64_t v;

	if (__builtin_mul_overflow(a, b, &v))
		return WYKI_ST_OVERFLOW;
	*r = v;
	return 0;
}

/* a / b truncating toward zero; fault division if b is 0, overflow for MIN / -1.  One idiv. */
static inline int wyki_div(int64_t a, int64_t b, int64_t *r)
{
	if (b == 0)
		return WYKI_ST_DIVISION;
	if (b == -1) {
		if (a == WYKI_INT_MIN)
			return WYKI_ST_OVERFLOW;
		*r = -a;
		return 0;
	}
	*r = a / b;
	return 0;
}

/* a % b, the sign of a (truncating division); fault division if b is 0; MIN % -1 is 0. */
static inline int wyki_mod(int64_t a, int64_t b, int64_t *r)
{
	if (b == 0)
		return WYKI_ST_DIVISION;
	*r = b == -1 ? 0 : a % b;	/* MIN % -1 traps in hardware: never issue it */
	return 0;
}

/* -a; fault overflow for MIN. */
static inline int wyki_neg(int64_t a, int64_t *r)
{
	int64_t v;

	if (__builtin_sub_overflow((int64_t)0, a, &v))
		return WYKI_ST_OVERFLOW;
	*r = v;
	return 0;
}

/* a << n, dropping the bits shifted out (two's complement); fault bounds unless 0 <= n <= 63. */
static inline int wyki_shl(int64_t a, int64_t n, int64_t *r)
{
	if (n < 0 || n > 63)
		return WYKI_ST_BOUNDS;
	*r = (int64_t)((uint64_t)a << n);
	return 0;
}

/* a >> n, arithmetic (sign-extending); fault bounds unless 0 <= n <= 63. */
static inline int wyki_shr(int64_t a, int64_t n, int64_t *r)
{
	if (n < 0 || n > 63)
		return WYKI_ST_BOUNDS;
	/* Spelled without right-shifting a negative value (implementation-defined in C11);
	 * compilers emit one sar. */
	*r = a < 0 ? ~(~a >> n) : a >> n;
	return 0;
}

/* a & b, a | b, a ^ b, ~a on the two's-complement bits.  Never fault. */
static inline int wyki_and(int64_t a, int64_t b, int64_t *r)
{
	*r = a & b;
	return 0;
}

static inline int wyki_or(int64_t a, int64_t b, int64_t *r)
{
	*r = a | b;
	return 0;
}

static inline int wyki_xor(int64_t a, int64_t b, int64_t *r)
{
	*r = a ^ b;
	return 0;
}

static inline int wyki_not(int64_t a, int64_t *r)
{
	*r = ~a;
	return 0;
}

/* abs(a); fault overflow for MIN. */
static inline int wyki_abs(int64_t a, int64_t *r)
{
	if (a == WYKI_INT_MIN)
		return WYKI_ST_OVERFLOW;
	*r = a < 0 ? -a : a;
	return 0;
}

/* min(a, b), max(a, b).  Never fault. */
static inline int wyki_min(int64_t a, int64_t b, int64_t *r)
{
	*r = a <= b ? a : b;
	return 0;
}

static inline int wyki_max(int64_t a, int64_t b, int64_t *r)
{
	*r = a >= b ? a : b;
	return 0;
}

/* ---------------------------------------------------------------------------------------
 * Byte strings
 * ------------------------------------------------------------------------------------- */

/* An array index: 0, or fault bounds unless 0 <= i < n (`a[i]` on `[T; n]`).  O(1). */
static inline int wyki_check_index(int64_t i, int64_t n)
{
	return i >= 0 && i < n ? 0 : WYKI_ST_BOUNDS;
}

/* A length against a bound: 0, or fault bounds if n > cap.  O(1). */
static inline int wyki_check_len(int64_t n, int64_t cap)
{
	return n <= cap ? 0 : WYKI_ST_BOUNDS;
}

/* Copy @n bytes into @dst (capacity @cap): the store of a view or of a `fit` result.
 * Fault bounds if n > cap.  @src may overlap @dst (memmove).  O(n). */
static inline int wyki_bytes_copy(uint8_t *dst, uint32_t cap, uint32_t *dst_len,
				  const uint8_t *src, uint32_t n)
{
	if (n > cap)
		return WYKI_ST_BOUNDS;
	if (n && dst != src)
		memmove(dst, src, n);
	*dst_len = n;
	return 0;
}

/* a == b on byte strings (any bounds).  Never faults.  O(min length), one memcmp. */
static inline int wyki_bytes_eq(const uint8_t *a, uint32_t an, const uint8_t *b, uint32_t bn,
				bool *r)
{
	*r = an == bn && (an == 0 || memcmp(a, b, an) == 0);
	return 0;
}

/* len(b).  Never faults.  O(1). */
static inline int wyki_len(const uint8_t *b, uint32_t n, int64_t *r)
{
	(void)b;
	*r = (int64_t)n;
	return 0;
}

/* b[i]: the byte at i, 0..255; fault bounds unless 0 <= i < len(b).  O(1). */
static inline int wyki_index(const uint8_t *b, uint32_t n, int64_t i, int64_t *r)
{
	if (i < 0 || i >= (int64_t)n)
		return WYKI_ST_BOUNDS;
	*r = b[i];
	return 0;
}

/* b[i..j] as a view into b; fault bounds unless 0 <= i <= j <= len(b).  O(1). */
static inline int wyki_slice_view(const uint8_t *b, uint32_t n, int64_t i, int64_t j,
				  const uint8_t **out, uint32_t *out_len)
{
	if (i < 0 || i > j || j > (int64_t)n)
		return WYKI_ST_BOUNDS;
	*out = i == j ? b : b + i;
	*out_len = (uint32_t)(j - i);
	return 0;
}

/* b[i..j] copied into dst (cap >= the slice's static bound); fault bounds as above.  O(j-i).
 * dst may overlap b (`x = x[1..n]`). */
static inline int wyki_slice(const uint8_t *b, uint32_t n, int64_t i, int64_t j,
			     uint8_t *dst, uint32_t cap, uint32_t *dst_len)
{
	const uint8_t *p;
	uint32_t len;
	int st = wyki_slice_view(b, n, i, j, &p, &len);

	return st ? st : wyki_bytes_copy(dst, cap, dst_len, p, len);
}

/*
 * a ++ b into dst.  Fault bounds if len(a) + len(b) > cap: for an expression cap is the
 * sum of the static bounds, so it never faults; for `x ++= e` (dst = x's storage, a = x,
 * cap = x's bound) this is the language's run-time append check, and x is unchanged on
 * the fault.  dst may be a itself (in-place append; b may then lie inside a), otherwise
 * dst must not overlap a or b.  O(len(a) + len(b)); O(len(b)) in place.  A chain
 * a ++ b ++ c is built in one place: a ++ b, then c appended in place, each link with the
 * capacity its own result had, so each copies only its right operand.
 */
static inline int wyki_concat(const uint8_t *a, uint32_t an, const uint8_t *b, uint32_t bn,
			      uint8_t *dst, uint32_t cap, uint32_t *dst_len)
{
	if ((uint64_t)an + bn > cap)
		return WYKI_ST_BOUNDS;
	if (bn)
		memmove(dst + an, b, bn);
	if (an && dst != a)
		memmove(dst, a, an);
	*dst_len = an + bn;
	return 0;
}

/*
 * The search behind wyki_find: Crochemore-Perrin Two-Way.  find(b, pat) must not be
 * quadratic: b and pat come from the network and can each be megabytes, and in the kernel
 * a step must not hog its CPU.  Two-Way is linear (at most 2 * len(b) comparisons after
 * an O(len(pat)) factorization) in O(1) space, so it needs no table on the (kernel) stack.
 * The structure follows musl's memmem, without its bad-character shift table.  Kept in
 * this header (the compiler emits at most one copy per file) so that using find needs no
 * extra object in either build.
 */

/* Index of the critical factorization of pat (the maximal suffix), and its period. */
static inline size_t wyki_max_suffix_(const uint8_t *pat, size_t pn, bool reversed,
				       size_t *period)
{
	size_t ip = (size_t)-1, jp = 0, k = 1, p = 1;

	while (jp + k < pn) {
		uint8_t a = pat[ip + k], b = pat[jp + k];

		if (a == b) {
			if (k == p) {
				jp += p;
				k = 1;
			} else {
				k++;
			}
		} else if (reversed ? a < b : a > b) {
			jp += k;
			k = 1;
			p = jp - ip;
		} else {
			ip = jp++;
			k = p = 1;
		}
	}
	*period = p;
	return ip;	/* (size_t)-1 means the whole of pat */
}

static inline int64_t wyki_find_twoway(const uint8_t *h, uint32_t hn, const uint8_t *pat,
				       uint32_t pn)
{
	size_t ms, ms2, p, p2, mem, mem0, k, pos = 0, l = pn;

	if (pn == 0)
		return 0;
	if (pn > hn)
		return -1;
	ms = wyki_max_suffix_(pat, l, false, &p);
	ms2 = wyki_max_suffix_(pat, l, true, &p2);
	if (ms2 + 1 > ms + 1) {	/* +1: (size_t)-1 is the smallest */
		ms = ms2;
		p = p2;
	}
	if (memcmp(pat, pat + p, ms + 1) != 0) {
		/* Not periodic: any shift up to the longer side is safe, no memory needed. */
		mem0 = 0;
		p = (ms > l - ms - 1 ? ms : l - ms - 1) + 1;
	} else {
		/* Periodic with period p: after a full-match shift, the first l - p bytes are
		 * known to match already. */
		mem0 = l - p;
	}
	mem = 0;
	while (pos + l <= hn) {
		const uint8_t *w = h + pos;

		/* Right half, from the critical position. */
		for (k = (ms + 1 > mem ? ms + 1 : mem); k < l && pat[k] == w[k]; k++)
			;
		if (k < l) {
			pos += k - ms;
			mem = 0;
			continue;
		}
		/* Left half, backwards. */
		for (k = ms + 1; k > mem && pat[k - 1] == w[k - 1]; k--)
			;
		if (k <= mem)
			return (int64_t)pos;
		pos += p;
		mem = mem0;
	}
	return -1;
}


/*
 * find(b, pat): the index of the first occurrence of pat in b (an empty pat is found at
 * 0), *some = false and *at = -1 if none.  Never faults.  O(len(b) + len(pat)) worst case
 * (memchr for one byte, Two-Way with O(1) space otherwise: no input makes it quadratic).
 */
static inline int wyki_find(const uint8_t *b, uint32_t n, const uint8_t *pat, uint32_t pn,
			    bool *some, int64_t *at)
{
	int64_t i;

	if (pn == 0) {
		i = 0;
	} else if (pn > n) {
		i = -1;
	} else if (pn == 1) {
		const uint8_t *p = (const uint8_t *)memchr(b, pat[0], n);

		i = p ? (int64_t)(p - b) : -1;
	} else {
		i = wyki_find_twoway(b, n, pat, pn);
	}
	*some = i >= 0;
	*at = i;
	return 0;
}

/*
 * field(b, i) as a view: the i-th (from 0) maximal run of non-space bytes of b (fields are
 * separated by runs of ' ' only: tabs and CR/LF are field bytes); empty if i < 0 or there
 * are not that many fields.  Never faults.  O(len(b)).
 */
static inline int wyki_field_view(const uint8_t *b, uint32_t n, int64_t i,
				  const uint8_t **out, uint32_t *out_len)
{
	uint32_t k = 0, start;

	*out = b;
	*out_len = 0;
	if (i < 0)
		return 0;
	for (;;) {
		while (k < n && b[k] == ' ')
			k++;
		if (k == n)
			return 0;
		start = k;
		while (k < n && b[k] != ' ')
			k++;
		if (i-- == 0) {
			*out = b + start;
			*out_len = k - start;
			return 0;
		}
	}
}

/* field(b, i) copied into dst (cap >= bound of b).  Never faults (but see cap).  O(len(b)). */
static inline int wyki_field(const uint8_t *b, uint32_t n, int64_t i,
			     uint8_t *dst, uint32_t cap, uint32_t *dst_len)
{
	const uint8_t *p;
	uint32_t len;

	wyki_field_view(b, n, i, &p, &len);
	return wyki_bytes_copy(dst, cap, dst_len, p, len);
}

/* nfields(b): how many fields (as in field).  Never faults.  O(len(b)). */
static inline int wyki_nfields(const uint8_t *b, uint32_t n, int64_t *r)
{
	int64_t count = 0;
	uint32_t k;

	for (k = 0; k < n; k++)
		if (b[k] != ' ' && (k == 0 || b[k - 1] == ' '))
			count++;
	*r = count;
	return 0;
}

/* starts_with(b, p), ends_with(b, p) (an empty p: true).  Never fault.  O(len(p)). */
static inline int wyki_starts_with(const uint8_t *b, uint32_t n, const uint8_t *p, uint32_t pn,
				   bool *r)
{
	*r = pn <= n && (pn == 0 || memcmp(b, p, pn) == 0);
	return 0;
}

static inline int wyki_ends_with(const uint8_t *b, uint32_t n, const uint8_t *p, uint32_t pn,
				 bool *r)
{
	*r = pn <= n && (pn == 0 || memcmp(b + (n - pn), p, pn) == 0);
	return 0;
}

/* ASCII case folding of one byte; every other byte (>= 0x80 included) is unchanged. */
static inline uint8_t wyki_ascii_lower(uint8_t c)
{
	return c >= 'A' && c <= 'Z' ? (uint8_t)(c + ('a' - 'A')) : c;
}

static inline uint8_t wyki_ascii_upper(uint8_t c)
{
	return c >= 'a' && c <= 'z' ? (uint8_t)(c - ('a' - 'A')) : c;
}

/* eq_nocase(a, b): equal after ASCII lower-casing.  Never faults.  O(length). */
static inline int wyki_eq_nocase(const uint8_t *a, uint32_t an, const uint8_t *b, uint32_t bn,
				 bool *r)
{
	uint32_t k;

	*r = false;
	if (an != bn)
		return 0;
	for (k = 0; k < an; k++)
		if (wyki_ascii_lower(a[k]) != wyki_ascii_lower(b[k]))
			return 0;
	*r = true;
	return 0;
}

/* lower(b), upper(b) into dst (cap >= bound of b; dst may be b).  Never fault.  O(len(b)). */
static inline int wyki_lower(const uint8_t *b, uint32_t n, uint8_t *dst, uint32_t cap,
			     uint32_t *dst_len)
{
	uint32_t k;

	if (n > cap)
		return WYKI_ST_BOUNDS;
	for (k = 0; k < n; k++)
		dst[k] = wyki_ascii_lower(b[k]);
	*dst_len = n;
	return 0;
}

static inline int wyki_upper(const uint8_t *b, uint32_t n, uint8_t *dst, uint32_t cap,
			     uint32_t *dst_len)
{
	uint32_t k;

	if (n > cap)
		return WYKI_ST_BOUNDS;
	for (k = 0; k < n; k++)
		dst[k] = wyki_ascii_upper(b[k]);
	*dst_len = n;
	return 0;
}

/* trim(b) as a view: without the spaces and tabs (only those) at both ends.  Never faults.
 * O(bytes trimmed). */
static inline int wyki_trim_view(const uint8_t *b, uint32_t n, const uint8_t **out,
				 uint32_t *out_len)
{
	uint32_t i = 0, j = n;

	while (i < j && (b[i] == ' ' || b[i] == '\t'))
		i++;
	while (j > i && (b[j - 1] == ' ' || b[j - 1] == '\t'))
		j--;
	*out = i == j ? b : b + i;
	*out_len = j - i;
	return 0;
}

/* trim(b) copied into dst (cap >= bound of b; dst may be b).  Never faults.  O(len(b)). */
static inline int wyki_trim(const uint8_t *b, uint32_t n, uint8_t *dst, uint32_t cap,
			    uint32_t *dst_len)
{
	const uint8_t *p;
	uint32_t len;

	wyki_trim_view(b, n, &p, &len);
	return wyki_bytes_copy(dst, cap, dst_len, p, len);
}

/*
 * parse_int(b): decimal digits '0'..'9' with an optional leading '-' (no '+', no spaces,
 * no '_'; leading zeros allowed, "-0" is 0); *some = false if empty, "-" alone, not a
 * number, or outside the 64-bit range ("-9223372036854775808" is in it).  Never faults.
 * O(len(b)).
 */
static inline int wyki_parse_int(const uint8_t *b, uint32_t n, bool *some, int64_t *r)
{
	bool negative = n > 0 && b[0] == '-';
	uint32_t k = negative ? 1 : 0;
	/* Accumulate the magnitude; the limit is 2^63 for a negative number. */
	uint64_t limit = negative ? (uint64_t)1 << 63 : (uint64_t)WYKI_INT_MAX;
	uint64_t v = 0;

	*some = false;
	if (k == n)
		return 0;
	for (; k < n; k++) {
		uint64_t d;

		if (b[k] < '0' || b[k] > '9')
			return 0;
		d = (uint64_t)(b[k] - '0');
		if (v > (limit - d) / 10)
			return 0;	/* v * 10 + d > limit: out of range whatever follows */
		v = v * 10 + d;
	}
	*some = true;
	*r = negative ? (int64_t)((uint64_t)0 - v) : (int64_t)v;
	return 0;
}

/* itoa(n): decimal, '-' for negatives, into dst (cap >= WYKI_ITOA_MAX).  Never faults.
 * O(digits). */
static inline int wyki_itoa(int64_t v, uint8_t *dst, uint32_t cap, uint32_t *dst_len)
{
	uint8_t buf[WYKI_ITOA_MAX];
	uint64_t u = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
	uint32_t i = sizeof(buf);

	do {
		buf[--i] = (uint8_t)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		buf[--i] = '-';
	return wyki_bytes_copy(dst, cap, dst_len, buf + i, (uint32_t)sizeof(buf) - i);
}

/* hex(n): lowercase hexadecimal without leading zeros ("0" for 0), into dst (cap >=
 * WYKI_HEX_MAX); fault bounds if n < 0.  O(digits). */
static inline int wyki_hex(int64_t v, uint8_t *dst, uint32_t cap, uint32_t *dst_len)
{
	uint8_t buf[WYKI_HEX_MAX];
	uint64_t u = (uint64_t)v;
	uint32_t i = sizeof(buf);

	if (v < 0)
		return WYKI_ST_BOUNDS;
	do {
		buf[--i] = (uint8_t)"0123456789abcdef"[u & 0xf];
		u >>= 4;
	} while (u);
	return wyki_bytes_copy(dst, cap, dst_len, buf + i, (uint32_t)sizeof(buf) - i);
}

/* hash(b): 64-bit FNV-1a, as a two's-complement int.  Never faults.  O(len(b)), one
 * multiply per byte.  Not keyed: do not use it to place untrusted keys (tables use SipHash). */
static inline int wyki_hash(const uint8_t *b, uint32_t n, int64_t *r)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	uint32_t k;

	for (k = 0; k < n; k++)
		h = (h ^ b[k]) * 0x100000001b3ULL;
	*r = (int64_t)h;
	return 0;
}

/* byte(n): the one byte n; fault bounds unless 0 <= n <= 255.  cap >= 1.  O(1). */
static inline int wyki_byte(int64_t v, uint8_t *dst, uint32_t cap, uint32_t *dst_len)
{
	if (v < 0 || v > 0xff || cap < 1)
		return WYKI_ST_BOUNDS;
	dst[0] = (uint8_t)v;
	*dst_len = 1;
	return 0;
}

/* be16(n): 2 bytes big-endian; fault bounds unless 0 <= n < 2^16.  cap >= 2.  O(1). */
static inline int wyki_be16(int64_t v, uint8_t *dst, uint32_t cap, uint32_t *dst_len)
{
	if (v < 0 || v > 0xffff || cap < 2)
		return WYKI_ST_BOUNDS;
	dst[0] = (uint8_t)(v >> 8);
	dst[1] = (uint8_t)v;
	*dst_len = 2;
	return 0;
}

/* be32(n): 4 bytes big-endian; fault bounds unless 0 <= n < 2^32.  cap >= 4.  O(1). */
static inline int wyki_be32(int64_t v, uint8_t *dst, uint32_t cap, uint32_t *dst_len)
{
	if (v < 0 || v > 0xffffffffLL || cap < 4)
		return WYKI_ST_BOUNDS;
	dst[0] = (uint8_t)(v >> 24);
	dst[1] = (uint8_t)(v >> 16);
	dst[2] = (uint8_t)(v >> 8);
	dst[3] = (uint8_t)v;
	*dst_len = 4;
	return 0;
}

/* u16(b, i): the big-endian unsigned 2 bytes at i; fault bounds if i < 0 or i + 2 >
 * len(b).  O(1). */
static inline int wyki_u16(const uint8_t *b, uint32_t n, int64_t i, int64_t *r)
{
	if (i < 0 || i > (int64_t)n - 2)
		return WYKI_ST_BOUNDS;
	*r = (int64_t)b[i] << 8 | b[i + 1];
	return 0;
}

/* u32(b, i): the big-endian unsigned 4 bytes at i; fault bounds if i < 0 or i + 4 >
 * len(b).  O(1). */
static inline int wyki_u32(const uint8_t *b, uint32_t n, int64_t i, int64_t *r)
{
	if (i < 0 || i > (int64_t)n - 4)
		return WYKI_ST_BOUNDS;
	*r = (int64_t)b[i] << 24 | (int64_t)b[i + 1] << 16 | (int64_t)b[i + 2] << 8 | b[i + 3];
	return 0;
}

/*
 * fit(b, N): *some = true iff len(b) <= N (then the value is b itself: the emitter stores
 * it with wyki_bytes_copy into a bytes[N] place, or keeps the view).  Never faults.  O(1).
 */
static inline int wyki_fit(const uint8_t *b, uint32_t n, int64_t bound, bool *some)
{
	(void)b;
	*some = (int64_t)n <= bound;
	return 0;
}

#endif /* WYKI_BUILTINS_H */
