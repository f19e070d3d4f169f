// SPDX-License-Identifier: GPL-2.0-only
/*
 * udp.c - datagram services in the kernel.  One socket; its sk_data_ready marks worker 0
 * and queues its work item, which receives up to UDP_BUDGET datagrams per run with
 * kernel_recvmsg(MSG_DONTWAIT), runs the handler on each, and sends that datagram's
 * replies once the handler returned (a fault ends the handler, and the replies it made
 * before still go, as in userspace).  There is no
 * recvmmsg/sendmmsg for kernel sockets, so the batch is a loop of single calls, which in
 * the kernel costs no syscall each.
 */
#include <linux/in.h>
#include <net/sock.h>

#include "internal.h"

#define UDP_REPLIES	32	/* replies one datagram may queue before they are sent */
#define UDP_BUDGET	64	/* datagrams per run of the work item, for fairness */

struct udp_state {
	uint32_t in_size;		/* max_datagram + 1: one more byte detects "too long" */
	uint32_t out_size;		/* reply_size */
	uint8_t *in_buf;
	uint8_t *out_buf;		/* UDP_REPLIES * out_size */
	uint32_t out_len[UDP_REPLIES];
	unsigned int nout;
	struct sockaddr_in from;
	struct worker *w;
};

size_t udp_state_size(const struct wyki_service *svc)
{
	return WYKI_ALIGN_UP(sizeof(struct udp_state), (size_t)WYKI_CACHELINE) +
	       ((size_t)svc->max_datagram + 1) + (size_t)UDP_REPLIES * svc->reply_size;
}

struct udp_state *udp_state_init(void *mem, const struct wyki_service *svc)
{
	struct udp_state *u = (struct udp_state *)mem;

	memset(u, 0, sizeof(*u));
	u->in_size = svc->max_datagram + 1;
	u->out_size = svc->reply_size;
	u->in_buf = (uint8_t *)mem + WYKI_ALIGN_UP(sizeof(*u), (size_t)WYKI_CACHELINE);
	u->out_buf = u->in_buf + u->in_size;
	return u;
}

/* Send every queued reply to the current sender; what the socket refuses is counted dropped. */
static void flush_replies(struct udp_state *u)
{
	struct worker *w = u->w;
	struct msghdr msg;
	struct kvec iov;
	unsigned int i;
	int n;

	for (i = 0; i < u->nout; i++) {
		memset(&msg, 0, sizeof(msg));
		msg.msg_name = &u->from;
		msg.msg_namelen = sizeof(u->from);
		msg.msg_flags = MSG_DONTWAIT | MSG_NOSIGNAL;
		iov.iov_base = u->out_buf + (size_t)i * u->out_size;
		iov.iov_len = u->out_len[i];
		n = kernel_sendmsg(rt.lsock, &msg, &iov, 1, iov.iov_len);
		stat_inc(w->stats, n >= 0 ? WYKI_STAT_REPLIES : WYKI_STAT_DROPS);
	}
	u->nout = 0;
}

static void reply_start(struct wyki_dgram *d, struct udp_state *u)
{
	d->reply.data = u->out_buf + (size_t)u->nout * u->out_size;
	d->reply.cap = u->out_size;
	d->reply.head = d->reply.tail = 0;
}

int wyki_reply_send(struct wyki_dgram *d)
{
	struct udp_state *u = (struct udp_state *)d->backend;

	u->out_len[u->nout] = wyki_buf_len(&d->reply);
	if (++u->nout == UDP_REPLIES)
		flush_replies(u);	/* a chatty handler: send early rather than drop */
	reply_start(d, u);
	return 0;
}

/* Receive and handle up to UDP_BUDGET datagrams.  True if more may be waiting. */
bool udp_readable(struct worker *w)
{
	const struct wyki_service *svc = rt.svc;
	struct udp_state *u = w->udp;
	struct wyki_dgram d;
	struct msghdr msg;
	struct kvec iov;
	int i, n, status;

	u->w = w;
	for (i = 0; i < UDP_BUDGET; i++) {
		memset(&msg, 0, sizeof(msg));
		msg.msg_name = &u->from;
		msg.msg_namelen = sizeof(u->from);
		iov.iov_base = u->in_buf;
		iov.iov_len = u->in_size;
		n = kernel_recvmsg(rt.lsock, &msg, &iov, 1, u->in_size, MSG_DONTWAIT);
		if (n < 0)
			return false;	/* -EAGAIN: drained; the next datagram calls us */
		wyki_relaxed_store(&w->datagrams_in, w->datagrams_in + 1);
		if ((uint32_t)n > svc->max_datagram || (msg.msg_flags & MSG_TRUNC)) {
			stat_inc(w->stats, WYKI_STAT_DROPS);
			continue;
		}
		stat_inc(w->stats, WYKI_STAT_DATAGRAMS);
		d.pkt = u->in_buf;
		d.len = (uint32_t)n;
		d.backend = u;
		u->nout = 0;
		reply_start(&d, u);
		status = svc->datagram(w->scratch, &d);
		if (wyki_status_is_fault(status)) {
			/* The run ends; the replies it already made still go (docs/language.md). */
			stat_inc(w->stats, WYKI_STAT_FAULT_FIRST + wyki_status_fault(status));
			log_fault(w, "datagram", status);
		}
		flush_replies(u);
	}
	return true;
}

static void udp_data_ready(struct sock *sk)
{
	struct worker *w;

	read_lock_bh(&sk->sk_callback_lock);
	w = sk->sk_user_data;
	if (w) {
		set_bit(0, &w->udp_pending);
		worker_kick(w);
	}
	read_unlock_bh(&sk->sk_callback_lock);
}

int udp_start(void)
{
	struct sockaddr_in addr = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_ANY) };
	struct socket *sock;
	struct sock *sk;
	int err;

	err = sock_create_kern(&init_net, AF_INET, SOCK_DGRAM, IPPROTO_UDP, &sock);
	if (err < 0)
		return err;
	alloc_count(1);
	sk = sock->sk;
	sock_set_reuseaddr(sk);
	addr.sin_port = htons(rt.port);
	err = kernel_bind(sock, (struct sockaddr *)&addr, sizeof(addr));
	if (err < 0) {
		sock_release(sock);
		alloc_count(-1);
		return err;
	}
	rt.lsock = sock;
	write_lock_bh(&sk->sk_callback_lock);
	rt.orig_data_ready = sk->sk_data_ready;
	sk->sk_user_data = &rt.workers[0];
	sk->sk_data_ready = udp_data_ready;
	write_unlock_bh(&sk->sk_callback_lock);
	return 0;
}

void udp_stop(void)
{
	struct sock *sk;

	if (!rt.lsock)
		return;
	sk = rt.lsock->sk;
	write_lock_bh(&sk->sk_callback_lock);
	sk->sk_user_data = NULL;
	sk->sk_data_ready = rt.orig_data_ready;
	write_unlock_bh(&sk->sk_callback_lock);
	sock_release(rt.lsock);
	alloc_count(-1);
	rt.lsock = NULL;
}
