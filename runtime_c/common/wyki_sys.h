/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * wyki_sys.h - the few OS primitives the backend-neutral runtime code (tables, arena,
 * timer wheel) needs, for userspace and for the kernel.  Private to the runtime:
 * generated code includes wyki.h only.
 */
#ifndef WYKI_SYS_H
#define WYKI_SYS_H

#include "wyki.h"

#ifdef __KERNEL__
#include <linux/spinlock.h>

/* Table critical sections are a few dozen instructions and never sleep: a spinlock. */
typedef spinlock_t wyki_lock_t;
static inline void wyki_lock_init(wyki_lock_t *l) { spin_lock_init(l); }
static inline void wyki_lock_destroy(wyki_lock_t *l) { (void)l; }
static inline void wyki_lock(wyki_lock_t *l) { spin_lock(l); }
static inline void wyki_unlock(wyki_lock_t *l) { spin_unlock(l); }
#else
#include <pthread.h>

/*
 * A mutex, not a spinlock, in userspace: there may be more workers than CPUs, and a
 * spinning waiter whose lock holder was preempted burns a whole time slice.  glibc's
 * uncontended mutex is one compare-and-swap each way, the same as a spinlock.
 */
typedef pthread_mutex_t wyki_lock_t;
static inline void wyki_lock_init(wyki_lock_t *l) { pthread_mutex_init(l, NULL); }
static inline void wyki_lock_destroy(wyki_lock_t *l) { pthread_mutex_destroy(l); }
static inline void wyki_lock(wyki_lock_t *l) { pthread_mutex_lock(l); }
static inline void wyki_unlock(wyki_lock_t *l) { pthread_mutex_unlock(l); }
#endif

/* Relaxed counters: exact totals, no ordering (statistics, table sizes). */
#define wyki_relaxed_add(p, v)	__atomic_fetch_add((p), (v), __ATOMIC_RELAXED)
#define wyki_relaxed_load(p)	__atomic_load_n((p), __ATOMIC_RELAXED)
#define wyki_relaxed_store(p, v) __atomic_store_n((p), (v), __ATOMIC_RELAXED)

#define WYKI_CACHELINE		64
#define WYKI_ALIGN_UP(x, a)	(((x) + ((a) - 1)) & ~((__typeof__(x))(a) - 1))

#ifndef container_of
#define container_of(ptr, type, member) \
	((type *)((char *)(ptr) - offsetof(type, member)))
#endif

#endif /* WYKI_SYS_H */
