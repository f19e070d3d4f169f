/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * siphash.h - SipHash-2-4 (Aumasson & Bernstein), the keyed hash of table keys.
 *
 * Why keyed: table keys come from the network; with a fixed hash a client could send keys
 * that all land in one chain and turn every lookup into a list walk.  The kernel has its
 * own siphash(); this portable copy keeps both backends hashing identically.
 */
#ifndef WYKI_SIPHASH_H
#define WYKI_SIPHASH_H

#include "wyki.h"

struct wyki_siphash_key {
	uint64_t k0, k1;
};

uint64_t wyki_siphash(const struct wyki_siphash_key *key, const void *data, size_t len);

#endif /* WYKI_SIPHASH_H */
