// SPDX-License-Identifier: GPL-2.0-only
/*
 * builtins_driver.c - runs wyki_builtins.h operations read from stdin, for
 * tests/runtime/test_builtins_differential.py, which compares them with nanowyki/purefns.py.
 *
 * One operation per line: its name, then its arguments separated by single spaces; an int
 * is decimal, a byte string is 'x' followed by its bytes in hexadecimal ("x" is empty).
 * One result per line:
 *
 *   int N | bool 0 | bool 1 | bytes xHEX | none | fault KIND | error WHAT
 *
 * Every input string is copied into a heap block of exactly its length (NULL when empty)
 * and every destination is a heap block of exactly the static bound the emitter would give
 * it, so AddressSanitizer catches any access one byte out.
 */
#define _POSIX_C_SOURCE 200809L	/* strtok_r */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

#include "wyki.h"

#define MAX_ARGS 4
#define LINE_MAX_BYTES (1 << 22)

struct arg {
	int64_t i;
	uint8_t *b;	/* exactly n bytes, NULL when n == 0 */
	uint32_t n;
};

static char line[LINE_MAX_BYTES];

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static int parse_arg(const char *tok, char kind, struct arg *a)
{
	if (kind == 'i') {
		char *end;

		errno = 0;
		a->i = strtoll(tok, &end, 10);
		return errno || end == tok || *end ? -1 : 0;
	}
	{
		size_t len = strlen(tok), k;

		if (tok[0] != 'x' || len % 2 != 1)
			return -1;
		a->n = (uint32_t)(len / 2);
		a->b = a->n ? malloc(a->n) : NULL;
		if (a->n && !a->b)
			return -1;
		for (k = 0; k < a->n; k++) {
			int hi = hexval(tok[1 + 2 * k]), lo = hexval(tok[2 + 2 * k]);

			if (hi < 0 || lo < 0)
				return -1;
			a->b[k] = (uint8_t)(hi << 4 | lo);
		}
		return 0;
	}
}

static void put_bytes(const uint8_t *p, uint32_t n)
{
	uint32_t k;

	fputs("bytes x", stdout);
	for (k = 0; k < n; k++)
		printf("%02x", p[k]);
	putchar('\n');
}

static void put_fault(int st)
{
	if (wyki_status_is_fault(st))
		printf("fault %s\n", wyki_fault_name(wyki_status_fault(st)));
	else
		printf("error status %d\n", st);
}

static void put_int(int st, int64_t v)
{
	if (st)
		put_fault(st);
	else
		printf("int %lld\n", (long long)v);
}

static void put_bool(int st, bool v)
{
	if (st)
		put_fault(st);
	else
		printf("bool %d\n", v ? 1 : 0);
}

/* A destination of exactly @cap bytes (NULL for 0), filled with a marker. */
static uint8_t *dst_alloc(uint32_t cap)
{
	uint8_t *d = cap ? malloc(cap) : NULL;

	if (d)
		memset(d, 0xa5, cap);
	return d;
}

static void put_dst(int st, const uint8_t *d, uint32_t n)
{
	if (st)
		put_fault(st);
	else
		put_bytes(d, n);
}

/* A view must lie inside its input. */
static void put_view(int st, const struct arg *a, const uint8_t *v, uint32_t n)
{
	if (st)
		put_fault(st);
	else if (n && (v < a->b || v + n > a->b + a->n))
		printf("error view outside its input\n");
	else
		put_bytes(v, n);
}

static const struct {
	const char *name;
	const char *sig;	/* argument kinds: i int, b bytes */
} ops[] = {
	{"add", "ii"}, {"sub", "ii"}, {"mul", "ii"}, {"div", "ii"}, {"mod", "ii"},
	{"shl", "ii"}, {"shr", "ii"}, {"and", "ii"}, {"or", "ii"}, {"xor", "ii"},
	{"min", "ii"}, {"max", "ii"}, {"neg", "i"}, {"not", "i"}, {"abs", "i"},
	{"itoa", "i"}, {"hex", "i"}, {"byte", "i"}, {"be16", "i"}, {"be32", "i"},
	{"len", "b"}, {"nfields", "b"}, {"lower", "b"}, {"upper", "b"}, {"trim", "b"},
	{"trimview", "b"}, {"parse_int", "b"}, {"hash", "b"},
	{"index", "bi"}, {"field", "bi"}, {"fieldview", "bi"}, {"u16", "bi"}, {"u32", "bi"},
	{"fit", "bi"}, {"slice", "bii"}, {"sliceview", "bii"},
	{"find", "bb"}, {"starts_with", "bb"}, {"ends_with", "bb"}, {"eq_nocase", "bb"},
	{"eq", "bb"}, {"concat", "bbi"}, {"append", "bbi"},
};

static void run(const char *op, struct arg *a)
{
	int64_t r = 0;
	bool f = false, some = false;
	const uint8_t *v = NULL;
	uint32_t vn = 0, dn = 0, cap;
	uint8_t *d = NULL;
	int st;

#define IOP(nm, fn) if (!strcmp(op, nm)) { st = fn(a[0].i, a[1].i, &r); put_int(st, r); return; }
	IOP("add", wyki_add) IOP("sub", wyki_sub) IOP("mul", wyki_mul) IOP("div", wyki_div)
	IOP("mod", wyki_mod) IOP("shl", wyki_shl) IOP("shr", wyki_shr) IOP("and", wyki_and)
	IOP("or", wyki_or) IOP("xor", wyki_xor) IOP("min", wyki_min) IOP("max", wyki_max)
#undef IOP
#define UOP(nm, fn) if (!strcmp(op, nm)) { st = fn(a[0].i, &r); put_int(st, r); return; }
	UOP("neg", wyki_neg) UOP("not", wyki_not) UOP("abs", wyki_abs)
#undef UOP
	/* int -> bytes, into a destination of the static bound. */
#define MK(nm, fn, bound)						\
	if (!strcmp(op, nm)) {						\
		d = dst_alloc(bound);					\
		st = fn(a[0].i, d, bound, &dn);				\
		put_dst(st, d, dn);					\
		free(d);						\
		return;							\
	}
	MK("itoa", wyki_itoa, WYKI_ITOA_MAX) MK("hex", wyki_hex, WYKI_HEX_MAX)
	MK("byte", wyki_byte, 1) MK("be16", wyki_be16, 2) MK("be32", wyki_be32, 4)
#undef MK
	/* bytes -> bytes of the input's bound. */
#define BB(nm, fn)							\
	if (!strcmp(op, nm)) {						\
		d = dst_alloc(a[0].n);					\
		st = fn(a[0].b, a[0].n, d, a[0].n, &dn);		\
		put_dst(st, d, dn);					\
		free(d);						\
		return;							\
	}
	BB("lower", wyki_lower) BB("upper", wyki_upper) BB("trim", wyki_trim)
#undef BB
	if (!strcmp(op, "len")) {
		st = wyki_len(a[0].b, a[0].n, &r);
		put_int(st, r);
	} else if (!strcmp(op, "nfields")) {
		st = wyki_nfields(a[0].b, a[0].n, &r);
		put_int(st, r);
	} else if (!strcmp(op, "hash")) {
		st = wyki_hash(a[0].b, a[0].n, &r);
		put_int(st, r);
	} else if (!strcmp(op, "trimview")) {
		st = wyki_trim_view(a[0].b, a[0].n, &v, &vn);
		put_view(st, &a[0], v, vn);
	} else if (!strcmp(op, "parse_int")) {
		st = wyki_parse_int(a[0].b, a[0].n, &some, &r);
		if (!st && !some)
			printf("none\n");
		else
			put_int(st, r);
	} else if (!strcmp(op, "index")) {
		st = wyki_index(a[0].b, a[0].n, a[1].i, &r);
		put_int(st, r);
	} else if (!strcmp(op, "u16")) {
		st = wyki_u16(a[0].b, a[0].n, a[1].i, &r);
		put_int(st, r);
	} else if (!strcmp(op, "u32")) {
		st = wyki_u32(a[0].b, a[0].n, a[1].i, &r);
		put_int(st, r);
	} else if (!strcmp(op, "field")) {
		d = dst_alloc(a[0].n);
		st = wyki_field(a[0].b, a[0].n, a[1].i, d, a[0].n, &dn);
		put_dst(st, d, dn);
	} else if (!strcmp(op, "fieldview")) {
		st = wyki_field_view(a[0].b, a[0].n, a[1].i, &v, &vn);
		put_view(st, &a[0], v, vn);
	} else if (!strcmp(op, "fit")) {
		st = wyki_fit(a[0].b, a[0].n, a[1].i, &some);
		if (st)
			put_fault(st);
		else if (!some)
			printf("none\n");
		else
			put_bytes(a[0].b, a[0].n);
	} else if (!strcmp(op, "slice")) {
		d = dst_alloc(a[0].n);
		st = wyki_slice(a[0].b, a[0].n, a[1].i, a[2].i, d, a[0].n, &dn);
		put_dst(st, d, dn);
	} else if (!strcmp(op, "sliceview")) {
		st = wyki_slice_view(a[0].b, a[0].n, a[1].i, a[2].i, &v, &vn);
		put_view(st, &a[0], v, vn);
	} else if (!strcmp(op, "find")) {
		st = wyki_find(a[0].b, a[0].n, a[1].b, a[1].n, &some, &r);
		if (!st && some != (r >= 0))
			printf("error find flag %d at %lld\n", some, (long long)r);
		else if (!st && !some)
			printf("none\n");
		else
			put_int(st, r);
	} else if (!strcmp(op, "starts_with")) {
		st = wyki_starts_with(a[0].b, a[0].n, a[1].b, a[1].n, &f);
		put_bool(st, f);
	} else if (!strcmp(op, "ends_with")) {
		st = wyki_ends_with(a[0].b, a[0].n, a[1].b, a[1].n, &f);
		put_bool(st, f);
	} else if (!strcmp(op, "eq_nocase")) {
		st = wyki_eq_nocase(a[0].b, a[0].n, a[1].b, a[1].n, &f);
		put_bool(st, f);
	} else if (!strcmp(op, "eq")) {
		st = wyki_bytes_eq(a[0].b, a[0].n, a[1].b, a[1].n, &f);
		put_bool(st, f);
	} else if (!strcmp(op, "concat")) {
		/* a ++ b into a fresh destination of capacity cap. */
		if (a[2].i < 0 || a[2].i > (1 << 24)) {
			printf("error bad capacity\n");
			return;
		}
		cap = (uint32_t)a[2].i;
		d = dst_alloc(cap);
		st = wyki_concat(a[0].b, a[0].n, a[1].b, a[1].n, d, cap, &dn);
		put_dst(st, d, dn);
	} else if (!strcmp(op, "append")) {
		/* x ++= b, with x (holding a) of bound cap >= len(a), in place; on a fault x
		 * must be unchanged. */
		if (a[2].i < a[0].n || a[2].i > (1 << 24)) {
			printf("error bad capacity\n");
			return;
		}
		cap = (uint32_t)a[2].i;
		d = dst_alloc(cap);
		if (a[0].n)
			memcpy(d, a[0].b, a[0].n);
		dn = a[0].n;
		st = wyki_concat(d, dn, a[1].b, a[1].n, d, cap, &dn);
		if (st && (dn != a[0].n || (dn && memcmp(d, a[0].b, dn) != 0)))
			printf("error append changed the place on a fault\n");
		else
			put_dst(st, d, dn);
	} else {
		printf("error unknown op %s\n", op);
	}
	free(d);
}

int main(void)
{
	while (fgets(line, sizeof(line), stdin)) {
		struct arg a[MAX_ARGS];
		char *save = NULL, *op, *tok;
		const char *sig = NULL;
		size_t k, len = strlen(line);
		int bad = 0;

		if (len && line[len - 1] == '\n')
			line[--len] = '\0';
		else if (len == sizeof(line) - 1)
			return 2;	/* line too long: the test fails loudly on the short output */
		memset(a, 0, sizeof(a));
		op = strtok_r(line, " ", &save);
		if (!op) {
			printf("error empty line\n");
			continue;
		}
		for (k = 0; k < sizeof(ops) / sizeof(ops[0]); k++)
			if (!strcmp(ops[k].name, op))
				sig = ops[k].sig;
		if (!sig) {
			printf("error unknown op %s\n", op);
			continue;
		}
		for (k = 0; sig[k]; k++) {
			tok = strtok_r(NULL, " ", &save);
			if (!tok || parse_arg(tok, sig[k], &a[k]) != 0)
				bad = 1;
		}
		if (bad || strtok_r(NULL, " ", &save))
			printf("error bad arguments\n");
		else
			run(op, a);
		for (k = 0; k < MAX_ARGS; k++)
			free(a[k].b);
	}
	return 0;
}
