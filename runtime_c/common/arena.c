// SPDX-License-Identifier: GPL-2.0-only
/* arena.c - bump allocation; see arena.h. */
#include "arena.h"

void wyki_arena_init(struct wyki_arena *a, void *base, size_t size)
{
	a->base = (uint8_t *)base;
	a->size = size;
	a->used = 0;
}

void *wyki_arena_alloc(struct wyki_arena *a, size_t size, size_t align)
{
	uintptr_t start = (uintptr_t)a->base + a->used;
	uintptr_t aligned;
	size_t pad;

	if (align == 0 || (align & (align - 1)) != 0)
		return NULL;
	aligned = (start + (align - 1)) & ~(uintptr_t)(align - 1);
	pad = (size_t)(aligned - start);
	/* Written as subtractions so that a huge @size cannot wrap around. */
	if (pad > a->size - a->used || size > a->size - a->used - pad)
		return NULL;
	a->used += pad + size;
	return (void *)aligned;
}
