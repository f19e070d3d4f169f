/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * table.h - creating tables (runtime side; generated code uses the wyki_table_* calls
 * declared in wyki.h).
 *
 * Layout, all from one arena block: a bucket array of chain heads (a power of two, at
 * least the capacity, so the average chain is at most one entry long), a pool of exactly
 * `capacity` entries threaded on a free list, and lock stripes: bucket b is guarded by
 * stripe b % nstripes, each lock on its own cache line.  Entries are referred to by
 * 32-bit index + 1 (0 = none), which halves the link size and keeps the layout position
 * independent.
 */
#ifndef WYKI_TABLE_H
#define WYKI_TABLE_H

#include "wyki.h"
#include "siphash.h"

/* Bytes of arena a table of this shape needs (alignment included).  0 if too large. */
size_t wyki_table_mem_size(uint32_t key_size, uint32_t value_size, uint32_t capacity);

/*
 * Build a table in @mem (wyki_table_mem_size bytes, 64-byte aligned, any content).
 * Returns the table, at the start of @mem.
 */
struct wyki_table *wyki_table_init(void *mem, const char *name, uint32_t key_size,
				   uint32_t value_size, uint32_t capacity,
				   const struct wyki_siphash_key *hkey);

/* Release the locks' OS resources (nothing in the kernel).  The memory is the arena's. */
void wyki_table_destroy(struct wyki_table *t);

#endif /* WYKI_TABLE_H */
