// SPDX-License-Identifier: GPL-2.0-only
/*
 * tcp.c - TCP sessions: accept, read, run step(), write, close.
 *
 * Connections are registered edge-triggered (EPOLLET).  Why: a session often stops
 * reading on purpose - its receive buffer is full while it waits for output room, or it
 * sleeps - and with level-triggered epoll the still-readable socket would wake the loop
 * on every epoll_wait until we EPOLL_CTL_MOD it away and back (two syscalls per pause).
 * Edge-triggered costs one flag per direction instead: can_read / can_write record
 * "no EAGAIN since the last edge", and we resume reading from that flag, not from epoll.
 * The listener stays level-triggered (worker.c) so that accepting a bounded batch per
 * wake-up is fair and the rest is simply reported again.
 *
 * One batch: read everything available (into the free room), call step() until it waits,
 * then write the transmit buffer ONCE.  That single write is what makes pipelined requests
 * cheap: 16 pipelined requests cost one recv and one send.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "internal.h"

#define STEP_BUDGET	8	/* step() calls per event before other sessions get a turn */
#define ACCEPT_BATCH	64	/* accepts per listener wake-up */
#define CLOSE_LINGER_MS	5000	/* how long a closing session may wait to write its tail */

/* ---- the pool ---------------------------------------------------------------------- */

static struct conn *pool_get(void)
{
	struct conn *k;

	pthread_mutex_lock(&rt.pool.lock);
	k = rt.pool.free;
	if (k) {
		rt.pool.free = k->free_next;
		rt.pool.live++;
	}
	pthread_mutex_unlock(&rt.pool.lock);
	return k;
}

static void pool_put(struct conn *k)
{
	pthread_mutex_lock(&rt.pool.lock);
	k->free_next = rt.pool.free;
	rt.pool.free = k;
	rt.pool.live--;
	pthread_mutex_unlock(&rt.pool.lock);
}

/* ---- socket I/O -------------------------------------------------------------------- */

/*
 * Read what the socket has into the free room of rx.  Returns 1 if anything new (bytes
 * or EOF) arrived, 0 if not, -1 on a socket error (the connection is dead).
 */
static int fill_rx(struct worker *w, struct conn *k)
{
	struct wyki_buf *rx = &k->c.rx;
	int progress = 0;
	uint32_t room;
	ssize_t n;

	while (k->can_read) {
		/* Compact only when it buys real room: usually head and tail are both 0. */
		if (rx->head && rx->cap - rx->tail < rx->cap / 2)
			wyki_buf_compact(rx);
		room = rx->cap - rx->tail;
		if (room == 0)
			break;
		n = recv(k->fd, rx->data + rx->tail, room, 0);
		if (n > 0) {
			rx->tail += (uint32_t)n;
			stat_inc(w, WYKI_STAT_READS);
			progress = 1;
			/*
			 * A short read drained the socket, and the next arrival is a new edge -
			 * except EOF: a FIN that came with the data raised its edge already
			 * (EPOLLRDHUP), so keep reading until recv says 0.
			 */
			if ((uint32_t)n < room && !k->pending_eof)
				k->can_read = false;
		} else if (n == 0) {
			k->c.flags |= WYKI_CONN_PEER_CLOSED;
			k->can_read = false;
			progress = 1;
		} else if (errno == EAGAIN || errno == EWOULDBLOCK) {
			k->can_read = false;
		} else if (errno != EINTR) {
			return -1;
		}
	}
	return progress;
}

/* Write the transmit buffer: one send.  0 (maybe partly written), or -1 if the socket is dead. */
static int flush_tx(struct worker *w, struct conn *k)
{
	struct wyki_buf *tx = &k->c.tx;
	uint32_t len = wyki_buf_len(tx);
	ssize_t n;

	if (len == 0 || !k->can_write)
		return 0;
	do
		n = send(k->fd, tx->data + tx->head, len, MSG_NOSIGNAL | MSG_DONTWAIT);
	while (n < 0 && errno == EINTR);
	stat_inc(w, WYKI_STAT_WRITES);
	if (n < 0) {
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return -1;
		k->can_write = false;
		return 0;
	}
	wyki_buf_consume(tx, (uint32_t)n);
	if ((uint32_t)n < len)
		k->can_write = false;	/* socket buffer full: EPOLLOUT edge will follow */
	return 0;
}

/* ---- life and death ---------------------------------------------------------------- */

static void conn_destroy(struct worker *w, struct conn *k)
{
	wyki_wheel_del(&w->wheel, &k->timer);
	list_del(&k->ready);
	list_del(&k->all);
	close(k->fd);		/* also removes it from the epoll set */
	k->fd = -1;
	stat_inc(w, WYKI_STAT_CLOSED);
	pool_put(k);
}

/* End the session: write what it queued, then close (after the tail is out, bounded). */
static void conn_end(struct worker *w, struct conn *k)
{
	list_del(&k->ready);
	if (flush_tx(w, k) < 0 || wyki_buf_len(&k->c.tx) == 0) {
		conn_destroy(w, k);
		return;
	}
	k->wait = WAIT_CLOSING;
	wyki_wheel_add(&w->wheel, &k->timer, w->now + CLOSE_LINGER_MS);
}

static void make_ready(struct worker *w, struct conn *k)
{
	k->wait = WAIT_READY;
	if (list_empty(&k->ready))
		list_add_tail(&w->ready, &k->ready);
}

/* ---- running the state machine ----------------------------------------------------- */

/* What to do with a step that returned WYKI_NEED_INPUT. */
enum input_verdict {
	INPUT_AGAIN,	/* new input arrived meanwhile: call step() again now */
	INPUT_WAIT,	/* wait for an edge or the wake-up time */
	INPUT_STUCK,	/* nothing more can come, or it cannot fit: end the session */
	INPUT_DEAD,	/* socket error */
};

static enum input_verdict wants_input(struct worker *w, struct conn *k)
{
	int got = fill_rx(w, k);

	if (got < 0)
		return INPUT_DEAD;
	if (got > 0)
		return INPUT_AGAIN;
	if (wyki_peer_closed(&k->c))
		return INPUT_STUCK;	/* generated code should have seen EOF; end cleanly */
	if (wyki_buf_room(&k->c.rx) == 0) {
		/* The emitter sizes rx for the largest receive, so this is a bounds fault. */
		stat_inc(w, WYKI_STAT_FAULT_FIRST + WYKI_FAULT_BOUNDS);
		log_fault(w, "session (receive buffer full)",
			  WYKI_FAULT_STATUS(WYKI_FAULT_BOUNDS));
		return INPUT_STUCK;
	}
	k->wait = WAIT_INPUT;
	if (k->c.wake_ms)
		wyki_wheel_add(&w->wheel, &k->timer, k->c.wake_ms);
	return INPUT_WAIT;
}

/*
 * Call step() until the session waits, then write once.  Returns with the session either
 * waiting (and its wake-up armed), on the ready list, or ended.
 */
static void run_session(struct worker *w, struct conn *k)
{
	const struct wyki_service *svc = rt.svc;
	bool dead = false;
	int budget, status;

	wyki_wheel_del(&w->wheel, &k->timer);
	for (budget = STEP_BUDGET; budget > 0; budget--) {
		k->c.wake_ms = 0;
		status = svc->step(k->frame, &k->c);
		switch (status) {
		case WYKI_NEED_INPUT:
			switch (wants_input(w, k)) {
			case INPUT_AGAIN:
				continue;
			case INPUT_WAIT:
				goto waiting;
			case INPUT_STUCK:
				conn_end(w, k);
				return;
			case INPUT_DEAD:
				dead = true;
				goto waiting;
			}
			goto waiting;
		case WYKI_NEED_OUTPUT:
			if (flush_tx(w, k) < 0) {
				dead = true;
				goto waiting;
			}
			if (k->can_write)	/* everything went: room now */
				continue;
			k->wait = WAIT_OUTPUT;
			goto waiting;
		case WYKI_SLEEP:
			k->wait = WAIT_SLEEP;
			wyki_wheel_add(&w->wheel, &k->timer, k->c.wake_ms ? k->c.wake_ms : w->now);
			goto waiting;
		case WYKI_YIELD:
			continue;
		case WYKI_DONE:
			conn_end(w, k);
			return;
		default:
			stat_inc(w, WYKI_STAT_FAULT_FIRST + wyki_status_fault(status));
			log_fault(w, "session", status);
			conn_end(w, k);
			return;
		}
	}
	make_ready(w, k);	/* budget spent yielding: others first */
waiting:
	if (!dead && flush_tx(w, k) < 0)
		dead = true;
	if (dead)
		conn_destroy(w, k);
}

void conn_event(struct worker *w, struct conn *k, uint32_t events)
{
	uint32_t pending;
	int got;

	if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
		k->can_read = true;
	if (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR))
		k->pending_eof = true;
	if (events & (EPOLLOUT | EPOLLHUP | EPOLLERR))
		k->can_write = true;

	if (k->wait == WAIT_CLOSING) {
		if (flush_tx(w, k) < 0 || wyki_buf_len(&k->c.tx) == 0)
			conn_destroy(w, k);
		return;
	}
	/* Input is buffered whatever the session waits for, up to rx's room. */
	got = fill_rx(w, k);
	pending = wyki_buf_len(&k->c.tx);
	if (got < 0 || flush_tx(w, k) < 0) {
		conn_destroy(w, k);
		return;
	}
	/* A session waiting for room runs as soon as some was made, even by a partial write. */
	if ((k->wait == WAIT_INPUT && got > 0) ||
	    (k->wait == WAIT_OUTPUT && wyki_buf_len(&k->c.tx) < pending))
		run_session(w, k);
}

void conn_timer_fired(struct wyki_timer *t, void *arg)
{
	struct worker *w = (struct worker *)arg;
	struct conn *k = container_of(t, struct conn, timer);

	if (k->wait == WAIT_CLOSING)
		conn_destroy(w, k);	/* the peer would not take the tail: give up */
	else if (k->wait == WAIT_INPUT || k->wait == WAIT_SLEEP)
		run_session(w, k);	/* the step compares now_ms() with its deadline */
}

void run_ready(struct worker *w)
{
	struct list batch;
	struct conn *k;

	if (list_empty(&w->ready))
		return;
	/* Only those ready now: a session that yields again waits for the next round. */
	batch = w->ready;
	batch.next->prev = &batch;
	batch.prev->next = &batch;
	list_init(&w->ready);
	while (!list_empty(&batch)) {
		k = container_of(batch.next, struct conn, ready);
		list_del(&k->ready);
		run_session(w, k);
	}
}

/* ---- accepting --------------------------------------------------------------------- */

static void conn_start(struct worker *w, struct conn *k, int fd)
{
	const struct wyki_service *svc = rt.svc;
	struct epoll_event ev;
	int one = 1;

	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	k->fd = fd;
	k->w = w;
	k->c.scratch = w->scratch;
	k->c.rx.head = k->c.rx.tail = 0;
	k->c.tx.head = k->c.tx.tail = 0;
	k->c.flags = 0;
	k->c.wake_ms = 0;
	k->can_read = true;	/* clients often send with the handshake: try at once */
	k->can_write = true;
	k->pending_eof = false;
	k->wait = WAIT_INPUT;
	wyki_timer_init(&k->timer);
	list_init(&k->ready);
	memset(k->frame, 0, svc->frame_size);	/* state 0, every lifted local zero */
	list_add_tail(&w->conns, &k->all);

	ev.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET;
	ev.data.ptr = &k->src;
	if (epoll_ctl(w->epfd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		conn_destroy(w, k);
		return;
	}
	stat_inc(w, WYKI_STAT_ACCEPTED);
	run_session(w, k);	/* the session may speak first */
}

void tcp_accept(struct worker *w)
{
	struct conn *k;
	int i, fd;

	for (i = 0; i < ACCEPT_BATCH; i++) {
		fd = accept4(w->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			if (errno != EAGAIN && errno != EWOULDBLOCK)
				wyki_logf("%s: accept: errno %d", rt.svc->name, errno);
			return;
		}
		k = pool_get();
		if (!k) {
			/* Past `sessions N`: refuse cleanly - the client sees a close, not a hang. */
			close(fd);
			stat_inc(w, WYKI_STAT_REFUSED);
			continue;
		}
		conn_start(w, k, fd);
	}
}

void close_all(struct worker *w)
{
	while (!list_empty(&w->conns))
		conn_destroy(w, container_of(w->conns.next, struct conn, all));
}
