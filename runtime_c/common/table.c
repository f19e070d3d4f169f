// SPDX-License-Identifier: GPL-2.0-only
/*
 * table.c - fixed-capacity, chained hash tables with striped locks; see table.h.
 *
 * Lock order, the only one anywhere: stripe locks in increasing index, then the free-list
 * lock.  get/contains take one stripe; put/remove take one stripe and, to take or return
 * an entry, the free-list lock inside it; clear takes every stripe in order, then the
 * free list.  Nothing else runs while a lock is held, so there is no deadlock.
 */
#include "table.h"
#include "wyki_sys.h"

#define MAX_STRIPES	256u

struct stripe {
	wyki_lock_t lock;
} __attribute__((aligned(WYKI_CACHELINE)));

struct entry {
	uint32_t next;		/* index + 1 of the next entry in the chain / free list */
	uint32_t hash;		/* low bits of the key's hash: skips most memcmps */
	uint32_t klen;
	uint32_t vlen;
	uint8_t data[];		/* key_size bytes of key, then value_size bytes of value */
};

struct wyki_table {
	const char *name;
	uint32_t key_size, value_size, capacity;
	uint32_t bucket_mask;		/* nbuckets - 1 */
	uint32_t stripe_mask;		/* nstripes - 1 */
	size_t entry_size;
	struct wyki_siphash_key hkey;
	uint32_t *buckets;		/* chain heads, index + 1 */
	uint8_t *entries;		/* capacity * entry_size */
	struct stripe *stripes;
	struct stripe free_lock;
	uint32_t free_head;		/* index + 1, under free_lock */
	int64_t size;			/* entries in use; relaxed atomic */
};

struct layout {
	uint32_t nbuckets, nstripes;
	size_t entry_size;
	size_t off_stripes, off_buckets, off_entries, total;
};

static uint32_t pow2_at_least(uint32_t n)
{
	uint32_t p = 1;

	while (p < n)
		p <<= 1;
	return p;
}

static int compute_layout(uint32_t key_size, uint32_t value_size, uint32_t capacity,
			  struct layout *l)
{
	size_t off;

	if (capacity == 0 || capacity > (1u << 24) || key_size > (1u << 20) ||
	    value_size > (1u << 20))
		return -1;
	l->nbuckets = pow2_at_least(capacity);
	l->nstripes = l->nbuckets < MAX_STRIPES ? l->nbuckets : MAX_STRIPES;
	l->entry_size = WYKI_ALIGN_UP(sizeof(struct entry) + (size_t)key_size + value_size,
				      (size_t)8);
	off = WYKI_ALIGN_UP(sizeof(struct wyki_table), (size_t)WYKI_CACHELINE);
	l->off_stripes = off;
	off += (size_t)l->nstripes * sizeof(struct stripe);
	l->off_buckets = off;
	off = WYKI_ALIGN_UP(off + (size_t)l->nbuckets * sizeof(uint32_t), (size_t)WYKI_CACHELINE);
	l->off_entries = off;
	l->total = off + (size_t)capacity * l->entry_size;
	return 0;
}

size_t wyki_table_mem_size(uint32_t key_size, uint32_t value_size, uint32_t capacity)
{
	struct layout l;

	return compute_layout(key_size, value_size, capacity, &l) ? 0 : l.total;
}

static struct entry *entry_at(const struct wyki_table *t, uint32_t ref)
{
	return (struct entry *)(t->entries + (size_t)(ref - 1) * t->entry_size);
}

static uint8_t *entry_value(const struct wyki_table *t, struct entry *e)
{
	return e->data + t->key_size;
}

/* Empty buckets; every entry on the free list.  Caller holds every lock (or owns t). */
static void reset_locked(struct wyki_table *t)
{
	uint32_t i;

	memset(t->buckets, 0, ((size_t)t->bucket_mask + 1) * sizeof(uint32_t));
	for (i = 0; i < t->capacity; i++)
		entry_at(t, i + 1)->next = i + 2 <= t->capacity ? i + 2 : 0;
	t->free_head = 1;
	wyki_relaxed_store(&t->size, 0);
}

struct wyki_table *wyki_table_init(void *mem, const char *name, uint32_t key_size,
				   uint32_t value_size, uint32_t capacity,
				   const struct wyki_siphash_key *hkey)
{
	struct wyki_table *t = (struct wyki_table *)mem;
	struct layout l;
	uint32_t i;

	if (compute_layout(key_size, value_size, capacity, &l))
		return NULL;
	memset(t, 0, sizeof(*t));
	t->name = name;
	t->key_size = key_size;
	t->value_size = value_size;
	t->capacity = capacity;
	t->bucket_mask = l.nbuckets - 1;
	t->stripe_mask = l.nstripes - 1;
	t->entry_size = l.entry_size;
	t->hkey = *hkey;
	t->stripes = (struct stripe *)((uint8_t *)mem + l.off_stripes);
	t->buckets = (uint32_t *)((uint8_t *)mem + l.off_buckets);
	t->entries = (uint8_t *)mem + l.off_entries;
	for (i = 0; i < l.nstripes; i++)
		wyki_lock_init(&t->stripes[i].lock);
	wyki_lock_init(&t->free_lock.lock);
	reset_locked(t);
	return t;
}

void wyki_table_destroy(struct wyki_table *t)
{
	uint32_t i;

	for (i = 0; i <= t->stripe_mask; i++)
		wyki_lock_destroy(&t->stripes[i].lock);
	wyki_lock_destroy(&t->free_lock.lock);
}

/* Where a key lives: its hash, bucket and stripe. */
struct slot {
	uint32_t hash;
	uint32_t *head;
	wyki_lock_t *lock;
};

static void locate(struct wyki_table *t, const void *key, uint32_t klen, struct slot *s)
{
	uint64_t h = wyki_siphash(&t->hkey, key, klen);
	uint32_t b = (uint32_t)h & t->bucket_mask;

	s->hash = (uint32_t)(h >> 32);
	s->head = &t->buckets[b];
	s->lock = &t->stripes[b & t->stripe_mask].lock;
}

/*
 * The link that points at the entry holding @key (so the caller can unlink it), or the
 * chain's final 0 link if absent.  Caller holds the stripe lock.
 */
static uint32_t *find_link(struct wyki_table *t, const struct slot *s, const void *key,
			   uint32_t klen)
{
	uint32_t *link = s->head;
	struct entry *e;

	for (; *link; link = &e->next) {
		e = entry_at(t, *link);
		if (e->hash == s->hash && e->klen == klen && memcmp(e->data, key, klen) == 0)
			break;
	}
	return link;
}

int wyki_table_get(struct wyki_table *t, const void *key, uint32_t klen,
		   void *out, uint32_t out_cap, uint32_t *out_len)
{
	struct slot s;
	uint32_t *link;
	struct entry *e;
	int rc = WYKI_TABLE_NOT_FOUND;

	if (klen > t->key_size)
		return WYKI_TABLE_NOT_FOUND;	/* could never have been stored */
	locate(t, key, klen, &s);
	wyki_lock(s.lock);
	link = find_link(t, &s, key, klen);
	if (*link) {
		e = entry_at(t, *link);
		if (e->vlen > out_cap) {
			rc = WYKI_TABLE_TOO_BIG;
		} else {
			memcpy(out, entry_value(t, e), e->vlen);
			*out_len = e->vlen;
			rc = WYKI_TABLE_OK;
		}
	}
	wyki_unlock(s.lock);
	return rc;
}

bool wyki_table_contains(struct wyki_table *t, const void *key, uint32_t klen)
{
	struct slot s;
	bool found;

	if (klen > t->key_size)
		return false;
	locate(t, key, klen, &s);
	wyki_lock(s.lock);
	found = *find_link(t, &s, key, klen) != 0;
	wyki_unlock(s.lock);
	return found;
}

/* Take an entry from the free list: its ref, or 0 when the table is full. */
static uint32_t take_entry(struct wyki_table *t)
{
	uint32_t ref;

	wyki_lock(&t->free_lock.lock);
	ref = t->free_head;
	if (ref)
		t->free_head = entry_at(t, ref)->next;
	wyki_unlock(&t->free_lock.lock);
	if (ref)
		wyki_relaxed_add(&t->size, 1);
	return ref;
}

static void give_entry(struct wyki_table *t, uint32_t ref)
{
	wyki_lock(&t->free_lock.lock);
	entry_at(t, ref)->next = t->free_head;
	t->free_head = ref;
	wyki_unlock(&t->free_lock.lock);
	wyki_relaxed_add(&t->size, -1);
}

int wyki_table_put(struct wyki_table *t, const void *key, uint32_t klen,
		   const void *val, uint32_t vlen)
{
	struct slot s;
	uint32_t *link, ref;
	struct entry *e;

	if (klen > t->key_size || vlen > t->value_size)
		return WYKI_TABLE_TOO_BIG;
	locate(t, key, klen, &s);
	wyki_lock(s.lock);
	link = find_link(t, &s, key, klen);
	ref = *link;
	if (!ref) {
		ref = take_entry(t);
		if (!ref) {
			wyki_unlock(s.lock);
			return WYKI_TABLE_FULL;
		}
		e = entry_at(t, ref);
		e->hash = s.hash;
		e->klen = klen;
		memcpy(e->data, key, klen);
		e->next = *s.head;	/* new entries go first: recently set, likely read */
		*s.head = ref;
	}
	e = entry_at(t, ref);
	memcpy(entry_value(t, e), val, vlen);
	e->vlen = vlen;
	wyki_unlock(s.lock);
	return WYKI_TABLE_OK;
}

int wyki_table_remove(struct wyki_table *t, const void *key, uint32_t klen)
{
	struct slot s;
	uint32_t *link, ref;

	if (klen > t->key_size)
		return WYKI_TABLE_NOT_FOUND;
	locate(t, key, klen, &s);
	wyki_lock(s.lock);
	link = find_link(t, &s, key, klen);
	ref = *link;
	if (ref) {
		*link = entry_at(t, ref)->next;
		give_entry(t, ref);
	}
	wyki_unlock(s.lock);
	return ref ? WYKI_TABLE_OK : WYKI_TABLE_NOT_FOUND;
}

void wyki_table_clear(struct wyki_table *t)
{
	uint32_t i;

	for (i = 0; i <= t->stripe_mask; i++)
		wyki_lock(&t->stripes[i].lock);
	wyki_lock(&t->free_lock.lock);
	reset_locked(t);
	wyki_unlock(&t->free_lock.lock);
	for (i = t->stripe_mask + 1; i-- > 0;)
		wyki_unlock(&t->stripes[i].lock);
}

int64_t wyki_table_size(struct wyki_table *t)
{
	return wyki_relaxed_load(&t->size);
}
