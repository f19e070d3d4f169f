// SPDX-License-Identifier: GPL-2.0-only
/*
 * udp.c - datagram services: recvmmsg a batch, run the handler on each datagram, send
 * all the replies of the batch with one sendmmsg.  The socket is level-triggered: a
 * worker drains a bounded number of batches per wake-up and epoll reports the rest.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sys/socket.h>

#include "internal.h"

#define UDP_BATCH	32	/* datagrams per recvmmsg, replies per sendmmsg */
#define UDP_ROUNDS	4	/* batches per wake-up, for fairness with other sockets */

struct udp_state {
	struct worker *w;
	uint32_t in_size;		/* max_datagram + 1: one more byte detects "too long" */
	uint32_t out_size;		/* reply_size */
	uint8_t *in_buf;		/* UDP_BATCH * in_size */
	uint8_t *out_buf;		/* UDP_BATCH * out_size */
	unsigned int nout;		/* replies queued */
	struct sockaddr_storage *cur_from;
	socklen_t cur_fromlen;
	struct mmsghdr in[UDP_BATCH];
	struct iovec in_iov[UDP_BATCH];
	struct sockaddr_storage from[UDP_BATCH];
	struct mmsghdr out[UDP_BATCH];
	struct iovec out_iov[UDP_BATCH];
};

size_t udp_state_size(const struct wyki_service *svc)
{
	return WYKI_ALIGN_UP(sizeof(struct udp_state), (size_t)WYKI_CACHELINE) +
	       (size_t)UDP_BATCH * ((size_t)svc->max_datagram + 1) +
	       (size_t)UDP_BATCH * svc->reply_size;
}

struct udp_state *udp_state_init(void *mem, const struct wyki_service *svc)
{
	struct udp_state *u = (struct udp_state *)mem;

	memset(u, 0, sizeof(*u));
	u->in_size = svc->max_datagram + 1;
	u->out_size = svc->reply_size;
	u->in_buf = (uint8_t *)mem + WYKI_ALIGN_UP(sizeof(*u), (size_t)WYKI_CACHELINE);
	u->out_buf = u->in_buf + (size_t)UDP_BATCH * u->in_size;
	return u;
}

/* Send every queued reply.  What the socket will not take now is dropped and counted. */
static void flush_replies(struct udp_state *u)
{
	struct worker *w = u->w;
	unsigned int done = 0;
	int n;

	while (done < u->nout) {
		n = sendmmsg(w->udp_fd, u->out + done, u->nout - done, MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		done += (unsigned int)n;
	}
	stat_add(w, WYKI_STAT_REPLIES, done);
	stat_add(w, WYKI_STAT_DROPS, u->nout - done);
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
	struct mmsghdr *m = &u->out[u->nout];

	u->out_iov[u->nout].iov_base = d->reply.data;
	u->out_iov[u->nout].iov_len = wyki_buf_len(&d->reply);
	memset(&m->msg_hdr, 0, sizeof(m->msg_hdr));
	m->msg_hdr.msg_name = u->cur_from;
	m->msg_hdr.msg_namelen = u->cur_fromlen;
	m->msg_hdr.msg_iov = &u->out_iov[u->nout];
	m->msg_hdr.msg_iovlen = 1;
	if (++u->nout == UDP_BATCH)
		flush_replies(u);	/* a chatty handler: send early rather than drop */
	reply_start(d, u);
	return 0;
}

static void handle_one(struct worker *w, struct udp_state *u, unsigned int i)
{
	const struct wyki_service *svc = rt.svc;
	struct mmsghdr *m = &u->in[i];
	struct wyki_dgram d;
	int status;

	if (m->msg_len > svc->max_datagram || (m->msg_hdr.msg_flags & MSG_TRUNC)) {
		stat_inc(w, WYKI_STAT_DROPS);
		return;
	}
	stat_inc(w, WYKI_STAT_DATAGRAMS);
	d.pkt = u->in_buf + (size_t)i * u->in_size;
	d.len = m->msg_len;
	d.backend = u;
	u->cur_from = &u->from[i];
	u->cur_fromlen = m->msg_hdr.msg_namelen;
	reply_start(&d, u);
	status = svc->datagram(w->scratch, &d);
	if (wyki_status_is_fault(status)) {
		/* The run ends; the replies it already made still go (docs/language.md). */
		stat_inc(w, WYKI_STAT_FAULT_FIRST + wyki_status_fault(status));
		log_fault(w, "datagram", status);
	}
}

static void prepare_receive(struct udp_state *u)
{
	unsigned int i;

	for (i = 0; i < UDP_BATCH; i++) {
		u->in_iov[i].iov_base = u->in_buf + (size_t)i * u->in_size;
		u->in_iov[i].iov_len = u->in_size;
		memset(&u->in[i].msg_hdr, 0, sizeof(u->in[i].msg_hdr));
		u->in[i].msg_hdr.msg_name = &u->from[i];
		u->in[i].msg_hdr.msg_namelen = sizeof(u->from[i]);
		u->in[i].msg_hdr.msg_iov = &u->in_iov[i];
		u->in[i].msg_hdr.msg_iovlen = 1;
	}
}

void udp_readable(struct worker *w)
{
	struct udp_state *u = w->udp;
	int round, n, i;

	u->w = w;
	for (round = 0; round < UDP_ROUNDS; round++) {
		prepare_receive(u);
		n = recvmmsg(w->udp_fd, u->in, UDP_BATCH, MSG_DONTWAIT, NULL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		for (i = 0; i < n; i++)
			handle_one(w, u, (unsigned int)i);
		flush_replies(u);
		if (n < UDP_BATCH)
			break;
	}
}
