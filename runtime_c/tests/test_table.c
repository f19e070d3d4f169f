// SPDX-License-Identifier: GPL-2.0-only
/*
 * test_table.c - tables: insert, replace, remove, full, collisions, clear, size limits,
 * SipHash test vectors, and concurrent puts from two threads.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "harness.h"
#include "siphash.h"
#include "table.h"

static const struct wyki_siphash_key test_key = { 0x0706050403020100ULL, 0x0f0e0d0c0b0a0908ULL };

/* A table in malloc'd memory (the runtime uses the arena; the table does not care). */
static struct wyki_table *make_table(uint32_t ks, uint32_t vs, uint32_t cap, void **mem)
{
	size_t size = wyki_table_mem_size(ks, vs, cap);

	*mem = aligned_alloc(64, (size + 63) & ~(size_t)63);
	return wyki_table_init(*mem, "t", ks, vs, cap, &test_key);
}

static int put_s(struct wyki_table *t, const char *k, const char *v)
{
	return wyki_table_put(t, k, (uint32_t)strlen(k), v, (uint32_t)strlen(v));
}

/* Get @k as a C string in @out (or "" and the return code). */
static int get_s(struct wyki_table *t, const char *k, char *out, uint32_t cap)
{
	uint32_t len = 0;
	int rc = wyki_table_get(t, k, (uint32_t)strlen(k), out, cap - 1, &len);

	out[rc == WYKI_TABLE_OK ? len : 0] = '\0';
	return rc;
}

static void test_siphash_vectors(void)
{
	uint8_t msg[64];
	int i;

	for (i = 0; i < 64; i++)
		msg[i] = (uint8_t)i;
	/* From the SipHash reference implementation's vectors.h (key 00..0f, msg 00..len-1). */
	CHECK(wyki_siphash(&test_key, msg, 0) == 0x726fdb47dd0e0e31ULL);
	CHECK(wyki_siphash(&test_key, msg, 1) == 0x74f839c593dc67fdULL);
	CHECK(wyki_siphash(&test_key, msg, 15) == 0xa129ca6149be45e5ULL);
}

static void test_insert_replace_remove(void)
{
	void *mem;
	struct wyki_table *t = make_table(16, 32, 8, &mem);
	char v[64];

	CHECK(t != NULL);
	CHECK(wyki_table_size(t) == 0);
	CHECK(get_s(t, "a", v, sizeof(v)) == WYKI_TABLE_NOT_FOUND);
	CHECK(put_s(t, "a", "one") == WYKI_TABLE_OK);
	CHECK(put_s(t, "b", "two") == WYKI_TABLE_OK);
	CHECK(get_s(t, "a", v, sizeof(v)) == WYKI_TABLE_OK && strcmp(v, "one") == 0);
	CHECK(put_s(t, "a", "uno, longer") == WYKI_TABLE_OK);	/* replace */
	CHECK(wyki_table_size(t) == 2);
	CHECK(get_s(t, "a", v, sizeof(v)) == WYKI_TABLE_OK && strcmp(v, "uno, longer") == 0);
	CHECK(put_s(t, "a", "") == WYKI_TABLE_OK);		/* empty values are values */
	CHECK(get_s(t, "a", v, sizeof(v)) == WYKI_TABLE_OK && strcmp(v, "") == 0);
	CHECK(wyki_table_put(t, "", 0, "empty key", 9) == WYKI_TABLE_OK);
	CHECK(wyki_table_contains(t, "", 0));
	CHECK(wyki_table_contains(t, "b", 1) && !wyki_table_contains(t, "c", 1));
	CHECK(wyki_table_remove(t, "b", 1) == WYKI_TABLE_OK);
	CHECK(wyki_table_remove(t, "b", 1) == WYKI_TABLE_NOT_FOUND);
	CHECK(!wyki_table_contains(t, "b", 1));
	CHECK(wyki_table_size(t) == 2);
	/* Keys are bytes, not strings: "a" and "a\0" differ. */
	CHECK(wyki_table_put(t, "a\0", 2, "nul", 3) == WYKI_TABLE_OK);
	CHECK(get_s(t, "a", v, sizeof(v)) == WYKI_TABLE_OK && strcmp(v, "") == 0);
	wyki_table_destroy(t);
	free(mem);
}

static void test_limits(void)
{
	void *mem;
	struct wyki_table *t = make_table(4, 4, 2, &mem);
	char v[8];
	uint32_t len;

	CHECK(put_s(t, "12345", "v") == WYKI_TABLE_TOO_BIG);	/* key over key_size */
	CHECK(put_s(t, "k", "12345") == WYKI_TABLE_TOO_BIG);	/* value over value_size */
	CHECK(get_s(t, "12345", v, sizeof(v)) == WYKI_TABLE_NOT_FOUND);
	CHECK(put_s(t, "1234", "abcd") == WYKI_TABLE_OK);	/* exactly the sizes */
	CHECK(wyki_table_get(t, "1234", 4, v, 3, &len) == WYKI_TABLE_TOO_BIG);	/* small out */
	CHECK(put_s(t, "x", "1") == WYKI_TABLE_OK);
	CHECK(put_s(t, "y", "2") == WYKI_TABLE_FULL);		/* capacity 2 */
	CHECK(put_s(t, "x", "3") == WYKI_TABLE_OK);		/* replacing needs no room */
	CHECK(wyki_table_remove(t, "x", 1) == WYKI_TABLE_OK);
	CHECK(put_s(t, "y", "2") == WYKI_TABLE_OK);		/* room again */
	CHECK(wyki_table_size(t) == 2);
	CHECK(wyki_table_mem_size(4, 4, 0) == 0);		/* capacity 0 is not a table */
	wyki_table_destroy(t);
	free(mem);
}

static void test_collisions(void)
{
	void *mem;
	struct wyki_table *t = make_table(8, 8, 8, &mem);	/* 8 buckets: bucket = h & 7 */
	char keys[5][8], v[16];
	int found = 0, i;

	/* Find five keys that share bucket 0, so they form one chain. */
	for (i = 0; found < 5 && i < 10000; i++) {
		char k[8];

		snprintf(k, sizeof(k), "k%d", i);
		if ((wyki_siphash(&test_key, k, strlen(k)) & 7) == 0)
			memcpy(keys[found++], k, sizeof(k));
	}
	CHECK(found == 5);
	for (i = 0; i < 5; i++)
		CHECK(put_s(t, keys[i], keys[i]) == WYKI_TABLE_OK);
	/* Remove the middle, the head (last inserted) and the tail of the chain. */
	CHECK(wyki_table_remove(t, keys[2], (uint32_t)strlen(keys[2])) == WYKI_TABLE_OK);
	CHECK(wyki_table_remove(t, keys[4], (uint32_t)strlen(keys[4])) == WYKI_TABLE_OK);
	CHECK(wyki_table_remove(t, keys[0], (uint32_t)strlen(keys[0])) == WYKI_TABLE_OK);
	for (i = 0; i < 5; i++) {
		int rc = get_s(t, keys[i], v, sizeof(v));

		if (i == 1 || i == 3)
			CHECK(rc == WYKI_TABLE_OK && strcmp(v, keys[i]) == 0);
		else
			CHECK(rc == WYKI_TABLE_NOT_FOUND);
	}
	CHECK(wyki_table_size(t) == 2);
	wyki_table_destroy(t);
	free(mem);
}

static void test_clear(void)
{
	void *mem;
	struct wyki_table *t = make_table(8, 8, 100, &mem);
	char k[16], v[16];
	int i, ok = 1;

	for (i = 0; i < 100; i++) {
		snprintf(k, sizeof(k), "%d", i);
		ok &= put_s(t, k, k) == WYKI_TABLE_OK;
	}
	CHECK(ok && wyki_table_size(t) == 100);
	CHECK(put_s(t, "extra", "x") == WYKI_TABLE_FULL);
	wyki_table_clear(t);
	CHECK(wyki_table_size(t) == 0);
	CHECK(get_s(t, "7", v, sizeof(v)) == WYKI_TABLE_NOT_FOUND);
	for (i = 0; i < 100; i++) {	/* the whole capacity is usable again */
		snprintf(k, sizeof(k), "n%d", i);
		ok &= put_s(t, k, "v") == WYKI_TABLE_OK;
	}
	CHECK(ok && wyki_table_size(t) == 100);
	wyki_table_destroy(t);
	free(mem);
}

/* ---- two threads ---------------------------------------------------------------------- */

#define PER_THREAD	20000
#define SHARED_KEYS	64

struct worker_arg {
	struct wyki_table *t;
	int id;
	int failures;
};

/*
 * Each thread inserts its own keys, hammers a set of keys shared by both (replace), and
 * removes half of its own.  Afterwards every surviving key must hold the right value.
 */
static void *hammer(void *p)
{
	struct worker_arg *a = (struct worker_arg *)p;
	char k[32], v[32];
	int i;

	for (i = 0; i < PER_THREAD; i++) {
		snprintf(k, sizeof(k), "t%d-%d", a->id, i);
		if (put_s(a->t, k, k) != WYKI_TABLE_OK)
			a->failures++;
		snprintf(k, sizeof(k), "shared%d", i % SHARED_KEYS);
		snprintf(v, sizeof(v), "from%d", a->id);
		if (put_s(a->t, k, v) != WYKI_TABLE_OK)
			a->failures++;
		if (i % 2) {
			snprintf(k, sizeof(k), "t%d-%d", a->id, i - 1);
			if (wyki_table_remove(a->t, k, (uint32_t)strlen(k)) != WYKI_TABLE_OK)
				a->failures++;
		}
	}
	return NULL;
}

static void test_concurrent_puts(void)
{
	void *mem;
	struct wyki_table *t = make_table(32, 32, PER_THREAD + SHARED_KEYS + 2, &mem);	/* +2: a put before its remove */
	struct worker_arg args[2] = { { t, 0, 0 }, { t, 1, 0 } };
	pthread_t th[2];
	char k[32], v[32];
	int i, id, bad = 0;

	for (i = 0; i < 2; i++)
		pthread_create(&th[i], NULL, hammer, &args[i]);
	for (i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	CHECK(args[0].failures == 0 && args[1].failures == 0);
	CHECK(wyki_table_size(t) == PER_THREAD + SHARED_KEYS);
	for (id = 0; id < 2; id++) {
		for (i = 0; i < PER_THREAD; i++) {
			int rc;

			snprintf(k, sizeof(k), "t%d-%d", id, i);
			rc = get_s(t, k, v, sizeof(v));
			if (i % 2 == 0)
				bad += rc != WYKI_TABLE_NOT_FOUND;
			else
				bad += rc != WYKI_TABLE_OK || strcmp(v, k) != 0;
		}
	}
	for (i = 0; i < SHARED_KEYS; i++) {
		snprintf(k, sizeof(k), "shared%d", i);
		bad += get_s(t, k, v, sizeof(v)) != WYKI_TABLE_OK ||
		       (strcmp(v, "from0") != 0 && strcmp(v, "from1") != 0);
	}
	CHECK(bad == 0);
	wyki_table_destroy(t);
	free(mem);
}

int main(void)
{
	RUN(test_siphash_vectors);
	RUN(test_insert_replace_remove);
	RUN(test_limits);
	RUN(test_collisions);
	RUN(test_clear);
	RUN(test_concurrent_puts);
	return FINISH();
}
