/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * internal.h - the userspace backend's private types: the process-wide runtime, workers
 * (one thread, one epoll instance, one SO_REUSEPORT socket each) and connections.
 */
#ifndef WYKI_USER_INTERNAL_H
#define WYKI_USER_INTERNAL_H

#include <pthread.h>
#include <signal.h>
#include <sys/socket.h>

#include "wyki.h"
#include "arena.h"
#include "wheel.h"
#include "wyki_sys.h"

/* A circular doubly-linked list, as the kernel's list_head. */
struct list {
	struct list *next, *prev;
};

static inline void list_init(struct list *l)
{
	l->next = l->prev = l;
}

static inline bool list_empty(const struct list *l)
{
	return l->next == l;
}

static inline void list_add_tail(struct list *l, struct list *n)
{
	n->prev = l->prev;
	n->next = l;
	l->prev->next = n;
	l->prev = n;
}

/* Unlink @n and leave it self-linked, so a second list_del is harmless. */
static inline void list_del(struct list *n)
{
	n->prev->next = n->next;
	n->next->prev = n->prev;
	list_init(n);
}

/* What an epoll event's data.ptr points at: the first member of each source. */
enum ev_kind {
	EV_CONN,
	EV_LISTEN,
	EV_UDP,
	EV_WAKE,
};

struct ev_src {
	enum ev_kind kind;
};

/* What a session is waiting for: which event makes the runtime call step() again. */
enum conn_wait {
	WAIT_INPUT,	/* new bytes or EOF, or the wake-up time */
	WAIT_OUTPUT,	/* room in the transmit buffer */
	WAIT_SLEEP,	/* the wake-up time only */
	WAIT_READY,	/* yielded: on the worker's ready list */
	WAIT_CLOSING,	/* ended: writing out the last bytes, then close */
};

struct worker;

struct conn {
	struct ev_src src;		/* EV_CONN; must stay first */
	struct wyki_conn c;		/* what generated code sees */
	int fd;
	enum conn_wait wait;
	bool can_read;			/* edge-triggered: no EAGAIN/EOF seen since the last edge */
	bool can_write;
	bool pending_eof;		/* EPOLLRDHUP seen: read to EOF even after a short read */
	struct worker *w;
	void *frame;
	struct wyki_timer timer;	/* wake-up time, or close linger */
	struct list ready;		/* on w->ready while WAIT_READY */
	struct list all;		/* on w->conns while alive */
	struct conn *free_next;		/* in the pool while not alive */
};

struct udp_state;

struct worker {
	unsigned int id;
	pthread_t thread;
	int epfd;
	int listen_fd;			/* TCP listener, or -1 */
	int udp_fd;			/* UDP socket, or -1 */
	int wake_fd;			/* eventfd: the main thread's shutdown kick */
	struct ev_src listen_src, udp_src, wake_src;
	int64_t now;			/* wyki_now_ms() at the last wake-up */
	struct wyki_wheel wheel;
	struct list ready;		/* sessions that yielded */
	struct list conns;		/* every live session of this worker */
	void *scratch;			/* locals of datagram/timer handlers */
	int64_t *timer_next;		/* worker 0: next run of each `every` timer */
	struct udp_state *udp;
	int64_t log_second;		/* fault-log rate limit: the current second... */
	unsigned int log_budget;	/* ...and lines left in it */
	uint64_t stats[WYKI_STAT_COUNT];
	uint64_t probe;			/* --control: the quiet request read before epoll_wait */
	uint64_t quiet_ack;		/* --control: the last request answered (under ctl.lock) */
	int64_t next_due;		/* --control: the next wake-up when it answered, -1: none */
} __attribute__((aligned(WYKI_CACHELINE)));

/* The session pool: every frame and buffer exists from start-up; a free list hands them out. */
struct pool {
	pthread_mutex_t lock;
	struct conn *free;
	uint32_t live;
};

/* --control (control.c): the virtual clock and the quiet handshake with the workers. */
struct control {
	bool on;
	int64_t clock;			/* wyki_now_ms(), relaxed atomic, written by main only */
	uint64_t quiet_req;		/* the latest quiet request, relaxed atomic */
	pthread_mutex_t lock;
	pthread_cond_t settled;		/* a worker answered a quiet request */
};

struct runtime {
	const struct wyki_service *svc;
	uint16_t port;
	unsigned int nworkers;
	uint32_t nsessions;
	unsigned int stats_interval;	/* seconds, 0 = only on SIGUSR1 */
	void *map;			/* the arena's mapping */
	size_t map_size;
	const char *map_kind;		/* "hugetlb", "thp" or "4k pages" */
	struct wyki_arena arena;
	struct pool pool;
	struct worker *workers;
	int stop;			/* set once, read by every worker (relaxed atomic) */
	struct control ctl;
};

extern struct runtime rt;

/* Counter updates by the owning worker only: no locked instruction, readers sum. */
static inline void stat_add(struct worker *w, enum wyki_stat s, uint64_t n)
{
	wyki_relaxed_store(&w->stats[s], wyki_relaxed_load(&w->stats[s]) + n);
}

static inline void stat_inc(struct worker *w, enum wyki_stat s)
{
	stat_add(w, s, 1);
}

/* control.c */
int64_t control_now_ms(void);
int64_t control_unix_time(void);
int control_timeout(struct worker *w);
void control_idle(struct worker *w);
void control_loop(const sigset_t *signals);

/* main.c */
void stats_line(char *line, size_t size);
void print_stats(const char *when);

/* platform.c */
int arena_map(size_t size);
void arena_unmap(void);
void log_fault(struct worker *w, const char *what, int status);

/* tcp.c */
void tcp_accept(struct worker *w);
void conn_event(struct worker *w, struct conn *k, uint32_t events);
void conn_timer_fired(struct wyki_timer *t, void *arg);
void run_ready(struct worker *w);
void close_all(struct worker *w);

/* udp.c */
size_t udp_state_size(const struct wyki_service *svc);
struct udp_state *udp_state_init(void *mem, const struct wyki_service *svc);
void udp_readable(struct worker *w);

/* worker.c */
void *worker_main(void *arg);

#endif /* WYKI_USER_INTERNAL_H */
