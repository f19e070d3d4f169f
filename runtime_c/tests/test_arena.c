// SPDX-License-Identifier: GPL-2.0-only
/* test_arena.c - bump allocation: alignment, exhaustion, no wrap-around. */
#include <stdint.h>

#include "arena.h"
#include "harness.h"

static _Alignas(4096) uint8_t region[8192];

static void test_alignment(void)
{
	struct wyki_arena a;
	uint8_t *p, *q, *r;

	wyki_arena_init(&a, region, sizeof(region));
	p = wyki_arena_alloc(&a, 3, 1);
	q = wyki_arena_alloc(&a, 8, 64);
	r = wyki_arena_alloc(&a, 1, 4096);
	CHECK(p == region);
	CHECK(q && ((uintptr_t)q & 63) == 0 && q >= p + 3);
	CHECK(r == region + 4096);
	CHECK(a.used == 4097);
	CHECK(wyki_arena_alloc(&a, 1, 3) == NULL);	/* not a power of two */
	CHECK(wyki_arena_alloc(&a, 1, 0) == NULL);
}

static void test_exhaustion(void)
{
	struct wyki_arena a;
	uint8_t *p;

	wyki_arena_init(&a, region, sizeof(region));
	p = wyki_arena_alloc(&a, 8000, 8);
	CHECK(p == region);
	CHECK(wyki_arena_alloc(&a, 193, 1) == NULL);	/* 192 left */
	CHECK(a.used == 8000);				/* a failure changes nothing */
	CHECK(wyki_arena_alloc(&a, 128, 64) != NULL);	/* 8000 -> 8000 is 64-aligned */
	CHECK(wyki_arena_alloc(&a, 64, 128) == NULL);	/* padding 64 + 64 > 64 left */
	CHECK(wyki_arena_alloc(&a, 64, 64) != NULL);
	CHECK(wyki_arena_left(&a) == 0);
	CHECK(wyki_arena_alloc(&a, 0, 1) != NULL);	/* zero bytes still fit */
	CHECK(wyki_arena_alloc(&a, 1, 1) == NULL);
}

static void test_no_wraparound(void)
{
	struct wyki_arena a;

	wyki_arena_init(&a, region, sizeof(region));
	CHECK(wyki_arena_alloc(&a, SIZE_MAX, 1) == NULL);
	CHECK(wyki_arena_alloc(&a, SIZE_MAX - 10, 64) == NULL);
	CHECK(a.used == 0);
}

int main(void)
{
	RUN(test_alignment);
	RUN(test_exhaustion);
	RUN(test_no_wraparound);
	return FINISH();
}
