/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * arena.h - bump allocation from a region obtained once at start-up.
 *
 * The backend maps the region (2 MiB pages when it can: MAP_HUGETLB / transparent huge
 * pages in userspace, alloc_pages order 9 in the kernel); everything the service needs is
 * carved from it before the first connection, and nothing is ever freed individually:
 * the whole region goes back at shutdown.  So there is no allocator on the request path,
 * no fragmentation, and the TLB covers the hot data with a few entries.
 */
#ifndef WYKI_ARENA_H
#define WYKI_ARENA_H

#include "wyki.h"

struct wyki_arena {
	uint8_t *base;
	size_t size;
	size_t used;
};

/* Manage [base, base + size).  @base should be at least 64-byte aligned. */
void wyki_arena_init(struct wyki_arena *a, void *base, size_t size);

/*
 * @size bytes aligned to @align (a power of two), or NULL when the arena is exhausted
 * (the arena is unchanged).  O(1).  Memory is whatever the region held: the backends
 * map zeroed pages, and nothing is reused, so it is zero in practice.
 */
void *wyki_arena_alloc(struct wyki_arena *a, size_t size, size_t align);

/* Bytes still free (ignoring alignment padding to come). */
static inline size_t wyki_arena_left(const struct wyki_arena *a)
{
	return a->size - a->used;
}

#endif /* WYKI_ARENA_H */
