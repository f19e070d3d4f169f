// SPDX-License-Identifier: GPL-2.0-only
/*
 * tcp.c - TCP sessions in the kernel: listen, accept, read, run step(), write, close.
 *
 * Events.  The listener's sk_data_ready queues the accept work item.  An accepted socket
 * gets its own sk_data_ready / sk_write_space / sk_state_change right after accept, under
 * sk_callback_lock, with sk_user_data pointing at its connection.  Those callbacks run in
 * softirq context and only put the connection on its worker's ready list and queue the
 * worker's work item.  The work item (worker_work in main.c) takes connections off the list
 * one by one and calls conn_process() on each.
 *
 * No edge flags are needed, unlike epoll edge-triggered mode: every callback fires after
 * the socket state changed, and queueing a work item that is running makes it run again,
 * so an event that arrives while a session is being processed is never lost.  A read loop
 * stops at a short read (the next arrival raises a callback) unless the peer already shut
 * down its side, in which case it reads on to the EOF.
 *
 * One batch, as in userspace: read everything available into rx, call step() until it
 * waits, then ONE kernel_sendmsg of tx.
 */
#include <linux/in.h>
#include <linux/tcp.h>
#include <net/tcp.h>

#include "internal.h"

#define STEP_BUDGET	8	/* step() calls per event before other sessions get a turn */
#define ACCEPT_BATCH	64	/* accepts per run of the accept work item */
#define CLOSE_LINGER_MS	5000	/* how long a closing session may wait to write its tail */
#define LISTEN_BACKLOG	1024

/* ---- the pool ---------------------------------------------------------------------- */

static struct conn *pool_get(void)
{
	struct conn *k;

	spin_lock_bh(&rt.pool.lock);
	k = rt.pool.free;
	if (k) {
		rt.pool.free = k->free_next;
		rt.pool.live++;
	}
	spin_unlock_bh(&rt.pool.lock);
	return k;
}

static void pool_put(struct conn *k)
{
	spin_lock_bh(&rt.pool.lock);
	k->free_next = rt.pool.free;
	rt.pool.free = k;
	rt.pool.live--;
	spin_unlock_bh(&rt.pool.lock);
}

/* ---- callbacks: softirq (or process context with BHs off); they only queue work ---- */

void worker_kick(struct worker *w)
{
	queue_work(rt.wq, &w->work);
}

/* Caller holds sk_callback_lock (read or write), which keeps @k alive. */
static void conn_mark_ready_locked(struct conn *k)
{
	struct worker *w = k->w;

	spin_lock_bh(&w->lock);
	if (list_empty(&k->ready))
		list_add_tail(&k->ready, &w->ready);
	spin_unlock_bh(&w->lock);
	worker_kick(w);
}

static void conn_data_ready(struct sock *sk)
{
	struct conn *k;

	read_lock_bh(&sk->sk_callback_lock);
	k = sk->sk_user_data;
	if (k)
		conn_mark_ready_locked(k);
	read_unlock_bh(&sk->sk_callback_lock);
}

static void conn_write_space(struct sock *sk)
{
	struct conn *k;

	read_lock_bh(&sk->sk_callback_lock);
	k = sk->sk_user_data;
	if (k && sk_stream_is_writeable(sk)) {
		/* What sk_stream_write_space would do: stop TCP calling us for every ACK. */
		if (sk->sk_socket)
			clear_bit(SOCK_NOSPACE, &sk->sk_socket->flags);
		conn_mark_ready_locked(k);
	}
	read_unlock_bh(&sk->sk_callback_lock);
}

static void conn_state_change(struct sock *sk)
{
	conn_data_ready(sk);	/* FIN, RST: the session's next read or write tells which */
}

/*
 * The listener's callback.  Accepted sockets are clones of the listener and inherit this
 * callback and its sk_user_data until conn_install() replaces them: hence the state check
 * (an established child must not be taken for the listener).
 */
static void listen_data_ready(struct sock *sk)
{
	read_lock_bh(&sk->sk_callback_lock);
	if (sk->sk_state == TCP_LISTEN && sk->sk_user_data && !rt_stopping())
		queue_work(rt.wq, &rt.accept_work);
	read_unlock_bh(&sk->sk_callback_lock);
}

/* Give an accepted socket back the callbacks TCP gave the listener, before sock_release. */
static void child_restore(struct socket *sock)
{
	struct sock *sk = sock->sk;

	write_lock_bh(&sk->sk_callback_lock);
	sk->sk_user_data = NULL;
	sk->sk_data_ready = rt.orig_data_ready;
	sk->sk_write_space = rt.orig_write_space;
	sk->sk_state_change = rt.orig_state_change;
	write_unlock_bh(&sk->sk_callback_lock);
}

/* ---- socket I/O -------------------------------------------------------------------- */

/*
 * Read what the socket has into the free room of rx.  Returns 1 if anything new (bytes
 * or EOF) arrived, 0 if not, -1 on a socket error (the connection is dead).
 */
static int fill_rx(struct worker *w, struct conn *k)
{
	struct wyki_buf *rx = &k->c.rx;
	struct msghdr msg;
	struct kvec iov;
	int progress = 0, n;
	uint32_t room;

	while (!k->eof) {
		/* Compact only when it buys real room: usually head and tail are both 0. */
		if (rx->head && rx->cap - rx->tail < rx->cap / 2)
			wyki_buf_compact(rx);
		room = rx->cap - rx->tail;
		if (room == 0)
			break;
		memset(&msg, 0, sizeof(msg));
		iov.iov_base = rx->data + rx->tail;
		iov.iov_len = room;
		n = kernel_recvmsg(k->sock, &msg, &iov, 1, room, MSG_DONTWAIT);
		if (n > 0) {
			rx->tail += (uint32_t)n;
			stat_inc(w->stats, WYKI_STAT_READS);
			progress = 1;
			/* Drained, unless a FIN is queued behind the data: then read to the EOF. */
			if ((uint32_t)n < room &&
			    !(READ_ONCE(k->sock->sk->sk_shutdown) & RCV_SHUTDOWN))
				break;
		} else if (n == 0) {
			k->c.flags |= WYKI_CONN_PEER_CLOSED;
			k->eof = true;
			progress = 1;
		} else if (n == -EAGAIN || n == -EINTR) {
			break;
		} else {
			return -1;
		}
	}
	return progress;
}

/* Write the transmit buffer: one kernel_sendmsg.  0 (maybe partly written), -1 if dead. */
static int flush_tx(struct worker *w, struct conn *k)
{
	struct wyki_buf *tx = &k->c.tx;
	uint32_t len = wyki_buf_len(tx);
	struct msghdr msg;
	struct kvec iov;
	int n;

	if (len == 0)
		return 0;
	memset(&msg, 0, sizeof(msg));
	msg.msg_flags = MSG_DONTWAIT | MSG_NOSIGNAL;
	iov.iov_base = tx->data + tx->head;
	iov.iov_len = len;
	n = kernel_sendmsg(k->sock, &msg, &iov, 1, len);
	stat_inc(w->stats, WYKI_STAT_WRITES);
	if (n < 0)
		return n == -EAGAIN ? 0 : -1;	/* full: sk_write_space will call us */
	wyki_buf_consume(tx, (uint32_t)n);
	return 0;
}

/* ---- life and death ---------------------------------------------------------------- */

/* Close now.  Runs in the worker's work item, or at unload once no work item runs. */
void conn_destroy(struct worker *w, struct conn *k)
{
	wyki_wheel_del(&w->wheel, &k->timer);
	child_restore(k->sock);		/* after this no callback can reach k */
	spin_lock_bh(&w->lock);
	list_del_init(&k->ready);
	list_del_init(&k->all);
	spin_unlock_bh(&w->lock);
	sock_release(k->sock);
	alloc_count(-1);
	k->sock = NULL;
	stat_inc(w->stats, WYKI_STAT_CLOSED);
	pool_put(k);
}

/* End the session: write what it queued, then close (after the tail is out, bounded). */
static void conn_end(struct worker *w, struct conn *k)
{
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
	spin_lock_bh(&w->lock);
	if (list_empty(&k->ready))
		list_add_tail(&k->ready, &w->ready);
	spin_unlock_bh(&w->lock);
	/* worker_work() requeues itself while its ready list is not empty. */
}

/* ---- running the state machine ----------------------------------------------------- */

enum input_verdict {
	INPUT_AGAIN,	/* new input arrived meanwhile: call step() again now */
	INPUT_WAIT,	/* wait for a callback or the wake-up time */
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
		return INPUT_STUCK;
	if (wyki_buf_room(&k->c.rx) == 0) {
		stat_inc(w->stats, WYKI_STAT_FAULT_FIRST + WYKI_FAULT_BOUNDS);
		log_fault(w, "session (receive buffer full)",
			  WYKI_FAULT_STATUS(WYKI_FAULT_BOUNDS));
		return INPUT_STUCK;
	}
	k->wait = WAIT_INPUT;
	if (k->c.wake_ms)
		wyki_wheel_add(&w->wheel, &k->timer, k->c.wake_ms);
	return INPUT_WAIT;
}

/* Call step() until the session waits, then write once (user/tcp.c, same rules). */
static void run_session(struct worker *w, struct conn *k)
{
	const struct wyki_service *svc = rt.svc;
	bool dead = false;
	uint32_t before;
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
			before = wyki_buf_len(&k->c.tx);
			if (flush_tx(w, k) < 0) {
				dead = true;
				goto waiting;
			}
			if (wyki_buf_len(&k->c.tx) < before)	/* room was made */
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
			stat_inc(w->stats, WYKI_STAT_FAULT_FIRST + wyki_status_fault(status));
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

/* The work item took @k off the ready list: something happened to it, or it yielded. */
void conn_process(struct worker *w, struct conn *k)
{
	uint32_t pending;
	int got;

	if (k->wait == WAIT_CLOSING) {
		if (flush_tx(w, k) < 0 || wyki_buf_len(&k->c.tx) == 0)
			conn_destroy(w, k);
		return;
	}
	if (k->wait == WAIT_READY) {
		run_session(w, k);
		return;
	}
	/* Input is buffered whatever the session waits for, up to rx's room. */
	got = fill_rx(w, k);
	pending = wyki_buf_len(&k->c.tx);
	if (got < 0 || flush_tx(w, k) < 0) {
		conn_destroy(w, k);
		return;
	}
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

/* ---- accepting --------------------------------------------------------------------- */

/*
 * Make @sock (just accepted) the session @k and hand it to a worker.  The callbacks are
 * installed and the connection put on the worker's lists in ONE critical section of
 * sk_callback_lock, so no callback and no run of the worker can see it half set up.
 * Lock order everywhere: sk_callback_lock, then worker->lock.
 */
static void conn_start(struct conn *k, struct socket *sock)
{
	struct worker *w = &rt.workers[rt.next_worker++ % rt.nworkers];
	struct sock *sk = sock->sk;

	tcp_sock_set_nodelay(sk);
	k->sock = sock;
	k->w = w;
	k->c.scratch = w->scratch;
	k->c.rx.head = k->c.rx.tail = 0;
	k->c.tx.head = k->c.tx.tail = 0;
	k->c.flags = 0;
	k->c.wake_ms = 0;
	k->eof = false;
	k->wait = WAIT_READY;	/* the session may speak first: run it at once */
	k->index = rt.arrivals;
	WRITE_ONCE(rt.arrivals, rt.arrivals + 1);
	wyki_timer_init(&k->timer);
	INIT_LIST_HEAD(&k->ready);
	INIT_LIST_HEAD(&k->all);
	memset(k->frame, 0, rt.svc->frame_size);	/* state 0, every lifted local zero */

	write_lock_bh(&sk->sk_callback_lock);
	sk->sk_user_data = k;
	sk->sk_data_ready = conn_data_ready;
	sk->sk_write_space = conn_write_space;
	sk->sk_state_change = conn_state_change;
	spin_lock(&w->lock);
	list_add_tail(&k->all, &w->conns);
	list_add_tail(&k->ready, &w->ready);
	spin_unlock(&w->lock);
	write_unlock_bh(&sk->sk_callback_lock);
	stat_inc(rt.accept_stats, WYKI_STAT_ACCEPTED);
	worker_kick(w);
}

void accept_work_fn(struct work_struct *work)
{
	struct socket *sock;
	struct conn *k;
	int i, err;

	(void)work;
	for (i = 0; i < ACCEPT_BATCH; i++) {
		if (rt_stopping())
			return;
		err = kernel_accept(rt.lsock, &sock, O_NONBLOCK);
		if (err == -EAGAIN)
			return;
		if (err < 0) {
			if (err != -ECONNABORTED)
				wyki_logf("%s: accept: error %d", rt.svc->name, err);
			continue;
		}
		alloc_count(1);
		k = pool_get();
		if (!k) {
			/* Past `sessions N`: refuse cleanly - the client sees a close, not a hang. */
			child_restore(sock);
			sock_release(sock);
			alloc_count(-1);
			stat_inc(rt.accept_stats, WYKI_STAT_REFUSED);
			WRITE_ONCE(rt.arrivals, rt.arrivals + 1);
			continue;
		}
		conn_start(k, sock);
	}
	queue_work(rt.wq, &rt.accept_work);	/* batch used up: there may be more */
}

int tcp_start(void)
{
	struct sockaddr_in addr = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_ANY) };
	struct socket *sock;
	struct sock *sk;
	int err;

	err = sock_create_kern(&init_net, AF_INET, SOCK_STREAM, IPPROTO_TCP, &sock);
	if (err < 0)
		return err;
	alloc_count(1);
	sk = sock->sk;
	sock_set_reuseaddr(sk);
	addr.sin_port = htons(rt.port);
	err = kernel_bind(sock, (struct sockaddr *)&addr, sizeof(addr));
	if (!err)
		err = kernel_listen(sock, LISTEN_BACKLOG);
	if (err < 0) {
		sock_release(sock);
		alloc_count(-1);
		return err;
	}
	write_lock_bh(&sk->sk_callback_lock);
	rt.orig_data_ready = sk->sk_data_ready;
	rt.orig_write_space = sk->sk_write_space;
	rt.orig_state_change = sk->sk_state_change;
	sk->sk_user_data = &rt;
	sk->sk_data_ready = listen_data_ready;
	write_unlock_bh(&sk->sk_callback_lock);
	rt.lsock = sock;
	return 0;
}

/*
 * Stop listening.  First the listener gets its own callback back, so sockets cloned from
 * now on inherit TCP's callbacks, not ours; then the ones cloned before, still waiting in
 * the accept queue, are accepted and closed with their callbacks restored; then release.
 */
void tcp_stop_listener(void)
{
	struct socket *sock;
	struct sock *sk;

	if (!rt.lsock)
		return;
	sk = rt.lsock->sk;
	write_lock_bh(&sk->sk_callback_lock);
	sk->sk_user_data = NULL;
	sk->sk_data_ready = rt.orig_data_ready;
	write_unlock_bh(&sk->sk_callback_lock);
	cancel_work_sync(&rt.accept_work);
	while (kernel_accept(rt.lsock, &sock, O_NONBLOCK) == 0) {
		child_restore(sock);
		sock_release(sock);
	}
	sock_release(rt.lsock);
	alloc_count(-1);
	rt.lsock = NULL;
}

void close_all(struct worker *w)
{
	while (!list_empty(&w->conns))
		conn_destroy(w, list_first_entry(&w->conns, struct conn, all));
}
