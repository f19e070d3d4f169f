/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * internal.h - the kernel backend's private types: the module-wide runtime, workers and
 * connections.  The shapes mirror user/internal.h; what differs is where events come from.
 *
 * Userspace: one thread per worker blocks in epoll_wait.  Kernel: a worker is a work item
 * on an unbound workqueue plus a ready list.  Socket callbacks (softirq context) put the
 * connection on its worker's ready list and queue the worker's work item; the work item
 * runs the sessions on the list, each with a step budget, with cond_resched() between
 * sessions.  A session belongs to one worker for life and a work item never runs
 * concurrently with itself, so a session's steps never run concurrently and its state
 * needs no lock - the same guarantee as in userspace.
 */
#ifndef WYKI_KERNEL_INTERNAL_H
#define WYKI_KERNEL_INTERNAL_H

#include <linux/list.h>
#include <linux/net.h>
#include <linux/spinlock.h>
#include <linux/timer.h>
#include <linux/workqueue.h>
#include <net/sock.h>

#include "wyki.h"
#include "arena.h"
#include "wheel.h"
#include "wyki_sys.h"

/* What a session is waiting for: which event makes the runtime call step() again. */
enum conn_wait {
	WAIT_INPUT,	/* new bytes or EOF, or the wake-up time */
	WAIT_OUTPUT,	/* room in the transmit buffer */
	WAIT_SLEEP,	/* the wake-up time only */
	WAIT_READY,	/* yielded: runs again after the others on the ready list */
	WAIT_CLOSING,	/* ended: writing out the last bytes, then close */
};

struct worker;

struct conn {
	struct wyki_conn c;		/* what generated code sees */
	struct socket *sock;		/* NULL while in the pool */
	struct worker *w;
	void *frame;
	enum conn_wait wait;
	bool eof;			/* recv returned 0: never read again */
	struct wyki_timer timer;	/* wake-up time, or close linger */
	struct list_head ready;		/* on w->ready (under w->lock) while it has work */
	struct list_head all;		/* on w->conns (under w->lock) while alive */
	struct conn *free_next;		/* in the pool while not alive */
	uint32_t index;			/* arrival number since load (control.c's targets) */
};

struct udp_state;

struct worker {
	unsigned int id;
	spinlock_t lock;		/* ready and conns: taken by callbacks (softirq) too */
	struct list_head ready;		/* sessions with something to do */
	struct list_head conns;		/* every live session of this worker */
	struct work_struct work;	/* runs worker_work() */
	struct timer_list tick;		/* the next wheel / `every` deadline: queues work */
	unsigned long udp_pending;	/* bit 0: the UDP socket may have datagrams */
	uint64_t datagrams_in;		/* received, whatever became of them (control.c) */
	int64_t now;			/* wyki_now_ms() at the start of the current run */
	struct wyki_wheel wheel;	/* touched by this worker's work item only */
	void *scratch;			/* locals of datagram/timer/init handlers */
	int64_t *timer_next;		/* worker 0: next run of each `every` timer */
	struct udp_state *udp;		/* worker 0 of a UDP service */
	int64_t log_second;		/* fault-log rate limit: the current second... */
	unsigned int log_budget;	/* ...and lines left in it */
	uint64_t stats[WYKI_STAT_COUNT];
} __attribute__((aligned(WYKI_CACHELINE)));

/* The session pool: every frame and buffer exists from load time; a free list hands them out. */
struct pool {
	spinlock_t lock;
	struct conn *free;
	uint32_t live;
};

/*
 * Superpage arena: chunks of 2^order pages, allocated at load, freed at unload; plus a
 * virtually contiguous area (vzalloc) per table too large for any chunk.
 */
#define WYKI_MAX_BIG_TABLES	16

struct chunks {
	unsigned int order;
	unsigned int count;
	struct page **pages;
	void *big[WYKI_MAX_BIG_TABLES];
	unsigned int nbig;
	size_t big_bytes;
};

struct runtime {
	const struct wyki_service *svc;
	uint16_t port;
	unsigned int nworkers;
	uint32_t nsessions;
	struct chunks chunks;
	size_t arena_used;		/* bytes carved, padding included */
	struct pool pool;
	struct worker *workers;
	struct workqueue_struct *wq;
	struct socket *lsock;		/* TCP listener or UDP socket */
	struct work_struct accept_work;
	uint64_t accept_stats[WYKI_STAT_COUNT];	/* written by accept_work only */
	unsigned int next_worker;	/* round-robin assignment, accept_work only */
	uint32_t arrivals;		/* accepted + refused, accept_work only */
	/* The listener's original callbacks: accepted sockets inherit ours and get these back. */
	void (*orig_data_ready)(struct sock *sk);
	void (*orig_write_space)(struct sock *sk);
	void (*orig_state_change)(struct sock *sk);
	bool stopping;			/* set once at unload: work items become no-ops */
	bool control;			/* control=1: virtual clock, /proc/wyki/<svc>.control */
	atomic_t allocations;		/* pages chunks + sockets + kmallocs outstanding */
	struct proc_dir_entry *proc_dir, *proc_file;
};

extern struct runtime rt;

/* Counter updates by the owning work item only: no locked instruction, readers sum. */
static inline void stat_add(uint64_t *stats, enum wyki_stat s, uint64_t n)
{
	wyki_relaxed_store(&stats[s], wyki_relaxed_load(&stats[s]) + n);
}

static inline void stat_inc(uint64_t *stats, enum wyki_stat s)
{
	stat_add(stats, s, 1);
}

static inline bool rt_stopping(void)
{
	return READ_ONCE(rt.stopping);
}

/* control.c */
int64_t control_now_ms(void);
int64_t control_unix_time(void);
int control_start(struct proc_dir_entry *dir);

/* platform.c */
void log_fault(struct worker *w, const char *what, int status);
void alloc_count(int delta);

/* tcp.c */
int tcp_start(void);
void tcp_stop_listener(void);
void accept_work_fn(struct work_struct *work);
void conn_process(struct worker *w, struct conn *k);
void conn_timer_fired(struct wyki_timer *t, void *arg);
void conn_destroy(struct worker *w, struct conn *k);
void close_all(struct worker *w);
void worker_kick(struct worker *w);

/* udp.c */
size_t udp_state_size(const struct wyki_service *svc);
struct udp_state *udp_state_init(void *mem, const struct wyki_service *svc);
int udp_start(void);
void udp_stop(void);
bool udp_readable(struct worker *w);

#endif /* WYKI_KERNEL_INTERNAL_H */
