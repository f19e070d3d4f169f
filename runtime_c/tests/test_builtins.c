// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_builtins.c - wyki_builtins.h: checked arithmetic, shifts, byte strings, faults,
 * aliasing, and find (Two-Way) against a naive search on every small input.
 * tests/runtime/test_builtins_differential.py compares everything with nanowyki/purefns.py.
 */
#include "harness.h"
#include "wyki.h"

#define B(s) ((const uint8_t *)(s)), ((uint32_t)(sizeof(s) - 1))

static const int OVF = WYKI_FAULT_STATUS(WYKI_FAULT_OVERFLOW);
static const int BND = WYKI_FAULT_STATUS(WYKI_FAULT_BOUNDS);
static const int DIV = WYKI_FAULT_STATUS(WYKI_FAULT_DIVISION);

static bool eq(const uint8_t *p, uint32_t n, const char *s)
{
	return n == strlen(s) && (n == 0 || memcmp(p, s, n) == 0);
}

static void test_add_sub_mul_neg(void)
{
	int64_t r = 7;

	CHECK(wyki_add(WYKI_INT_MAX, 0, &r) == 0 && r == WYKI_INT_MAX);
	CHECK(wyki_add(WYKI_INT_MAX, 1, &r) == OVF && r == WYKI_INT_MAX);	/* untouched */
	CHECK(wyki_add(WYKI_INT_MIN, -1, &r) == OVF);
	CHECK(wyki_add(WYKI_INT_MIN, WYKI_INT_MAX, &r) == 0 && r == -1);
	CHECK(wyki_sub(WYKI_INT_MIN, 1, &r) == OVF);
	CHECK(wyki_sub(0, WYKI_INT_MIN, &r) == OVF);
	CHECK(wyki_sub(-1, WYKI_INT_MIN, &r) == 0 && r == WYKI_INT_MAX);
	CHECK(wyki_mul(WYKI_INT_MIN, -1, &r) == OVF);
	CHECK(wyki_mul(WYKI_INT_MIN, 1, &r) == 0 && r == WYKI_INT_MIN);
	CHECK(wyki_mul(3037000500LL, 3037000500LL, &r) == OVF);
	CHECK(wyki_mul(3037000499LL, 3037000499LL, &r) == 0 && r == 9223372030926249001LL);
	CHECK(wyki_mul(-4611686018427387904LL, 2, &r) == 0 && r == WYKI_INT_MIN);
	CHECK(wyki_neg(WYKI_INT_MIN, &r) == OVF);
	CHECK(wyki_neg(WYKI_INT_MAX, &r) == 0 && r == WYKI_INT_MIN + 1);
	CHECK(wyki_neg(0, &r) == 0 && r == 0);
	CHECK(wyki_abs(WYKI_INT_MIN, &r) == OVF);
	CHECK(wyki_abs(WYKI_INT_MIN + 1, &r) == 0 && r == WYKI_INT_MAX);
	CHECK(wyki_abs(-5, &r) == 0 && r == 5);
	CHECK(wyki_min(-1, 1, &r) == 0 && r == -1);
	CHECK(wyki_max(WYKI_INT_MIN, WYKI_INT_MAX, &r) == 0 && r == WYKI_INT_MAX);
}

static void test_div_mod(void)
{
	int64_t r = 7;

	CHECK(wyki_div(1, 0, &r) == DIV && r == 7);
	CHECK(wyki_mod(1, 0, &r) == DIV && r == 7);
	CHECK(wyki_div(WYKI_INT_MIN, 0, &r) == DIV);	/* division before overflow */
	CHECK(wyki_div(WYKI_INT_MIN, -1, &r) == OVF);
	CHECK(wyki_mod(WYKI_INT_MIN, -1, &r) == 0 && r == 0);
	CHECK(wyki_div(-7, 2, &r) == 0 && r == -3);
	CHECK(wyki_mod(-7, 2, &r) == 0 && r == -1);
	CHECK(wyki_div(7, -2, &r) == 0 && r == -3);
	CHECK(wyki_mod(7, -2, &r) == 0 && r == 1);
	CHECK(wyki_div(WYKI_INT_MIN, 2, &r) == 0 && r == WYKI_INT_MIN / 2);
	CHECK(wyki_mod(WYKI_INT_MIN, WYKI_INT_MAX, &r) == 0 && r == -1);
	CHECK(wyki_div(5, -1, &r) == 0 && r == -5);
}

static void test_shifts_and_bits(void)
{
	int64_t r = 7;

	CHECK(wyki_shl(1, 63, &r) == 0 && r == WYKI_INT_MIN);
	CHECK(wyki_shl(3, 63, &r) == 0 && r == WYKI_INT_MIN);
	CHECK(wyki_shl(-1, 1, &r) == 0 && r == -2);
	CHECK(wyki_shl(1, 64, &r) == BND && r == -2);
	CHECK(wyki_shl(1, -1, &r) == BND);
	CHECK(wyki_shr(1, WYKI_INT_MIN, &r) == BND);
	CHECK(wyki_shr(-1, 63, &r) == 0 && r == -1);
	CHECK(wyki_shr(WYKI_INT_MIN, 63, &r) == 0 && r == -1);
	CHECK(wyki_shr(-7, 1, &r) == 0 && r == -4);
	CHECK(wyki_shr(WYKI_INT_MAX, 62, &r) == 0 && r == 1);
	CHECK(wyki_shr(5, 0, &r) == 0 && r == 5);
	CHECK(wyki_and(12, 10, &r) == 0 && r == 8);
	CHECK(wyki_or(12, 10, &r) == 0 && r == 14);
	CHECK(wyki_xor(12, 10, &r) == 0 && r == 6);
	CHECK(wyki_not(0, &r) == 0 && r == -1);
}

static void test_index_slice_concat(void)
{
	uint8_t dst[8];
	const uint8_t *v;
	uint32_t n = 99, vn;
	int64_t r;

	CHECK(wyki_index(B("ab"), 1, &r) == 0 && r == 'b');
	CHECK(wyki_index(B("\xff"), 0, &r) == 0 && r == 255);
	CHECK(wyki_index(B("ab"), 2, &r) == BND);
	CHECK(wyki_index(B("ab"), -1, &r) == BND);
	CHECK(wyki_index(NULL, 0, 0, &r) == BND);
	CHECK(wyki_slice_view(B("hello"), 1, 3, &v, &vn) == 0 && eq(v, vn, "el"));
	CHECK(wyki_slice_view(B("hello"), 5, 5, &v, &vn) == 0 && vn == 0);
	CHECK(wyki_slice_view(B("hello"), 3, 2, &v, &vn) == BND);
	CHECK(wyki_slice_view(B("hello"), 0, 6, &v, &vn) == BND);
	CHECK(wyki_slice_view(B("hello"), -1, 2, &v, &vn) == BND);
	CHECK(wyki_slice_view(NULL, 0, 0, 0, &v, &vn) == 0 && vn == 0);
	CHECK(wyki_slice(B("hello"), 0, 5, dst, 5, &n) == 0 && eq(dst, n, "hello"));
	CHECK(wyki_slice(B("hello"), 0, 5, dst, 4, &n) == BND && n == 5);	/* emitter bug */
	/* x = x[1..4]: overlapping copy. */
	CHECK(wyki_slice(dst, 5, 1, 4, dst, 8, &n) == 0 && eq(dst, n, "ell"));
	CHECK(wyki_concat(B("ab"), B("cd"), dst, 4, &n) == 0 && eq(dst, n, "abcd"));
	CHECK(wyki_concat(B("ab"), B("cde"), dst, 4, &n) == BND && eq(dst, n, "abcd"));
	CHECK(wyki_concat(NULL, 0, NULL, 0, NULL, 0, &n) == 0 && n == 0);
	/* x ++= x and x ++= x[1..3], in place. */
	CHECK(wyki_concat(dst, 2, dst, 2, dst, 8, &n) == 0 && eq(dst, n, "abab"));
	CHECK(wyki_concat(dst, 4, dst + 1, 2, dst, 8, &n) == 0 && eq(dst, n, "ababba"));
	CHECK(wyki_concat(dst, 6, dst, 6, dst, 8, &n) == BND && eq(dst, 6, "ababba"));
	CHECK(wyki_bytes_copy(dst, 3, &n, B("xyz")) == 0 && eq(dst, n, "xyz"));
}

static void test_fields_and_trim(void)
{
	uint8_t dst[16];
	const uint8_t *v;
	uint32_t n, vn;
	int64_t r;

	CHECK(wyki_field_view(B("  get  key\tx  1 "), 0, &v, &vn) == 0 && eq(v, vn, "get"));
	CHECK(wyki_field_view(B("  get  key\tx  1 "), 1, &v, &vn) == 0 && eq(v, vn, "key\tx"));
	CHECK(wyki_field_view(B("  get  key\tx  1 "), 2, &v, &vn) == 0 && eq(v, vn, "1"));
	CHECK(wyki_field_view(B("  get  key\tx  1 "), 3, &v, &vn) == 0 && vn == 0);
	CHECK(wyki_field_view(B("a"), -1, &v, &vn) == 0 && vn == 0);
	CHECK(wyki_field_view(B("a"), WYKI_INT_MIN, &v, &vn) == 0 && vn == 0);
	CHECK(wyki_field_view(B("a b"), WYKI_INT_MAX, &v, &vn) == 0 && vn == 0);
	CHECK(wyki_field_view(NULL, 0, 0, &v, &vn) == 0 && vn == 0);
	CHECK(wyki_field(B("x yz"), 1, dst, 4, &n) == 0 && eq(dst, n, "yz"));
	CHECK(wyki_nfields(B("  get  key\tx  1 "), &r) == 0 && r == 3);
	CHECK(wyki_nfields(B("   "), &r) == 0 && r == 0);
	CHECK(wyki_nfields(NULL, 0, &r) == 0 && r == 0);
	CHECK(wyki_nfields(B("\t"), &r) == 0 && r == 1);
	CHECK(wyki_trim_view(B(" \t a b\r\n \t"), &v, &vn) == 0 && eq(v, vn, "a b\r\n"));
	CHECK(wyki_trim_view(B(" \t "), &v, &vn) == 0 && vn == 0);
	CHECK(wyki_trim(B("\tq "), dst, 4, &n) == 0 && eq(dst, n, "q"));
	memcpy(dst, "  ab ", 5);
	CHECK(wyki_trim(dst, 5, dst, 5, &n) == 0 && eq(dst, n, "ab"));	/* x = trim(x) */
}

static void test_case_and_compare(void)
{
	uint8_t dst[9];
	uint32_t n;
	bool r;

	CHECK(wyki_lower(B("AZ@[`{az\xc9"), dst, 9, &n) == 0 && eq(dst, n, "az@[`{az\xc9"));
	CHECK(wyki_upper(B("AZ@[`{az\xe9"), dst, 9, &n) == 0 && eq(dst, n, "AZ@[`{AZ\xe9"));
	CHECK(wyki_lower(NULL, 0, NULL, 0, &n) == 0 && n == 0);
	CHECK(wyki_eq_nocase(B("GeT"), B("gEt"), &r) == 0 && r);
	CHECK(wyki_eq_nocase(B("@"), B("`"), &r) == 0 && !r);
	CHECK(wyki_eq_nocase(B("\xc9"), B("\xe9"), &r) == 0 && !r);
	CHECK(wyki_eq_nocase(B("a"), B("ab"), &r) == 0 && !r);
	CHECK(wyki_eq_nocase(NULL, 0, B(""), &r) == 0 && r);
	CHECK(wyki_starts_with(B("abc"), B("ab"), &r) == 0 && r);
	CHECK(wyki_starts_with(B("abc"), B(""), &r) == 0 && r);
	CHECK(wyki_starts_with(B("ab"), B("abc"), &r) == 0 && !r);
	CHECK(wyki_ends_with(B("abc"), B("bc"), &r) == 0 && r);
	CHECK(wyki_ends_with(NULL, 0, B(""), &r) == 0 && r);
	CHECK(wyki_ends_with(B("abc"), B("ab"), &r) == 0 && !r);
	CHECK(wyki_bytes_eq(B("ab"), B("ab"), &r) == 0 && r);
	CHECK(wyki_bytes_eq(B("ab"), B("aB"), &r) == 0 && !r);
	CHECK(wyki_bytes_eq(NULL, 0, B(""), &r) == 0 && r);
}

static void test_numbers(void)
{
	uint8_t dst[WYKI_ITOA_MAX];
	uint8_t zeros[5001];
	uint32_t n;
	int64_t r = 7;
	bool some;

	CHECK(wyki_parse_int(B("-9223372036854775808"), &some, &r) == 0 && some &&
	      r == WYKI_INT_MIN);
	CHECK(wyki_parse_int(B("9223372036854775807"), &some, &r) == 0 && some &&
	      r == WYKI_INT_MAX);
	r = 7;
	CHECK(wyki_parse_int(B("9223372036854775808"), &some, &r) == 0 && !some && r == 7);
	CHECK(wyki_parse_int(B("-9223372036854775809"), &some, &r) == 0 && !some);
	CHECK(wyki_parse_int(B("99999999999999999999x"), &some, &r) == 0 && !some);
	CHECK(wyki_parse_int(B("-0"), &some, &r) == 0 && some && r == 0);
	CHECK(wyki_parse_int(B("007"), &some, &r) == 0 && some && r == 7);
	CHECK(wyki_parse_int(B("-"), &some, &r) == 0 && !some);
	CHECK(wyki_parse_int(B(""), &some, &r) == 0 && !some);
	CHECK(wyki_parse_int(NULL, 0, &some, &r) == 0 && !some);
	CHECK(wyki_parse_int(B("+1"), &some, &r) == 0 && !some);
	CHECK(wyki_parse_int(B(" 1"), &some, &r) == 0 && !some);
	CHECK(wyki_parse_int(B("1_0"), &some, &r) == 0 && !some);
	CHECK(wyki_parse_int(B("--1"), &some, &r) == 0 && !some);
	/* Many leading zeros: the value, 1 (purefns' Python int() refuses > 4300 digits). */
	memset(zeros, '0', sizeof(zeros));
	zeros[sizeof(zeros) - 1] = '1';
	CHECK(wyki_parse_int(zeros, sizeof(zeros), &some, &r) == 0 && some && r == 1);

	CHECK(wyki_itoa(WYKI_INT_MIN, dst, WYKI_ITOA_MAX, &n) == 0 &&
	      eq(dst, n, "-9223372036854775808"));
	CHECK(wyki_itoa(0, dst, WYKI_ITOA_MAX, &n) == 0 && eq(dst, n, "0"));
	CHECK(wyki_itoa(-1, dst, WYKI_ITOA_MAX, &n) == 0 && eq(dst, n, "-1"));
	CHECK(wyki_hex(WYKI_INT_MAX, dst, WYKI_HEX_MAX, &n) == 0 && eq(dst, n, "7fffffffffffffff"));
	CHECK(wyki_hex(0, dst, WYKI_HEX_MAX, &n) == 0 && eq(dst, n, "0"));
	CHECK(wyki_hex(255, dst, WYKI_HEX_MAX, &n) == 0 && eq(dst, n, "ff"));
	CHECK(wyki_hex(-1, dst, WYKI_HEX_MAX, &n) == BND);
	CHECK(wyki_hash(NULL, 0, &r) == 0 && r == (int64_t)0xcbf29ce484222325ULL);
	CHECK(wyki_hash(B("a"), &r) == 0 && r == (int64_t)0xaf63dc4c8601ec8cULL);
	CHECK(wyki_hash(B("foobar"), &r) == 0 && r == (int64_t)0x85944171f73967e8ULL);
}

static void test_binary(void)
{
	uint8_t dst[4];
	uint32_t n;
	int64_t r;
	bool some;

	CHECK(wyki_byte(255, dst, 1, &n) == 0 && n == 1 && dst[0] == 255);
	CHECK(wyki_byte(256, dst, 1, &n) == BND);
	CHECK(wyki_byte(-1, dst, 1, &n) == BND);
	CHECK(wyki_be16(0x1234, dst, 2, &n) == 0 && eq(dst, n, "\x12\x34"));
	CHECK(wyki_be16(65536, dst, 2, &n) == BND);
	CHECK(wyki_be32(0xdeadbeefLL, dst, 4, &n) == 0 && eq(dst, n, "\xde\xad\xbe\xef"));
	CHECK(wyki_be32(0x100000000LL, dst, 4, &n) == BND);
	CHECK(wyki_be32(-1, dst, 4, &n) == BND);
	CHECK(wyki_u16(B("\xff\xfe\x01"), 1, &r) == 0 && r == 0xfe01);
	CHECK(wyki_u16(B("\xff\xfe\x01"), 2, &r) == BND);
	CHECK(wyki_u16(B("\xff\xfe\x01"), -1, &r) == BND);
	CHECK(wyki_u16(NULL, 0, 0, &r) == BND);
	CHECK(wyki_u16(B("ab"), WYKI_INT_MAX, &r) == BND);
	CHECK(wyki_u32(B("\xff\xff\xff\xff"), 0, &r) == 0 && r == 0xffffffffLL);
	CHECK(wyki_u32(B("\xff\xff\xff\xff"), 1, &r) == BND);
	CHECK(wyki_u32(B("abc"), 0, &r) == BND);
	CHECK(wyki_check_index(0, 1) == 0 && wyki_check_index(3, 4) == 0);
	CHECK(wyki_check_index(4, 4) == BND && wyki_check_index(-1, 4) == BND);
	CHECK(wyki_check_index(WYKI_INT_MIN, 4) == BND && wyki_check_index(0, 0) == BND);
	CHECK(wyki_check_len(4, 4) == 0 && wyki_check_len(5, 4) == BND);
	CHECK(wyki_fit(B("abc"), 3, &some) == 0 && some);
	CHECK(wyki_fit(B("abc"), 2, &some) == 0 && !some);
	CHECK(wyki_fit(NULL, 0, 0, &some) == 0 && some);
	CHECK(wyki_fit(NULL, 0, -1, &some) == 0 && !some);
}

static int64_t naive_find(const uint8_t *h, uint32_t hn, const uint8_t *p, uint32_t pn)
{
	uint32_t i;

	for (i = 0; i + pn <= hn; i++)
		if (pn == 0 || memcmp(h + i, p, pn) == 0)
			return i;
	return -1;
}

/* Fill s with the digits of x in base k ("a", "b", ...), length n. */
static void word(uint8_t *s, uint32_t n, uint32_t x, uint32_t k)
{
	uint32_t i;

	for (i = 0; i < n; i++, x /= k)
		s[i] = (uint8_t)('a' + x % k);
}

static void test_find_exhaustive(void)
{
	uint8_t h[12], p[7];
	uint32_t hn, pn, hx, px, hmax, pmax, failures = 0;
	int64_t at;
	bool some;

	/* Every haystack up to 12 bytes and pattern up to 7 over {a, b}: all the periodic
	 * and critical-factorization cases Two-Way has. */
	for (hn = 0; hn <= 12; hn++) {
		hmax = 1u << hn;
		for (hx = 0; hx < hmax; hx++) {
			word(h, hn, hx, 2);
			for (pn = 0; pn <= 7; pn++) {
				pmax = 1u << pn;
				for (px = 0; px < pmax; px++) {
					word(p, pn, px, 2);
					wyki_find(h, hn, p, pn, &some, &at);
					if (at != naive_find(h, hn, p, pn) || some != (at >= 0))
						failures++;
				}
			}
		}
	}
	/* Three letters, shorter. */
	for (hn = 0; hn <= 8; hn++)
		for (hx = 0; hx < 6561; hx++) {
			word(h, hn, hx, 3);
			for (pn = 2; pn <= 4; pn++)
				for (px = 0; px < 81; px++) {
					word(p, pn, px, 3);
					wyki_find(h, hn, p, pn, &some, &at);
					if (at != naive_find(h, hn, p, pn))
						failures++;
				}
		}
	CHECK(failures == 0);
	CHECK(wyki_find(NULL, 0, NULL, 0, &some, &at) == 0 && some && at == 0);
	CHECK(wyki_find(NULL, 0, B("a"), &some, &at) == 0 && !some && at == -1);
	CHECK(wyki_find(B("a\r\nb"), B("\r\n"), &some, &at) == 0 && some && at == 1);
}

/* The worst case for a naive search is linear here: a^n against a^(m-1) b. */
static void test_find_long(void)
{
	static uint8_t h[1 << 16], p[1 << 12];
	int64_t at;
	bool some;

	memset(h, 'a', sizeof(h));
	memset(p, 'a', sizeof(p));
	p[sizeof(p) - 1] = 'b';
	CHECK(wyki_find(h, sizeof(h), p, sizeof(p), &some, &at) == 0 && !some);
	h[sizeof(h) - 1] = 'b';
	CHECK(wyki_find(h, sizeof(h), p, sizeof(p), &some, &at) == 0 && some &&
	      at == (int64_t)(sizeof(h) - sizeof(p)));
}

int main(void)
{
	RUN(test_add_sub_mul_neg);
	RUN(test_div_mod);
	RUN(test_shifts_and_bits);
	RUN(test_index_slice_concat);
	RUN(test_fields_and_trim);
	RUN(test_case_and_compare);
	RUN(test_numbers);
	RUN(test_binary);
	RUN(test_find_exhaustive);
	RUN(test_find_long);
	return FINISH();
}
