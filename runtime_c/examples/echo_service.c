// SPDX-License-Identifier: GPL-2.0-only
/*
 * echo_service.c - examples/echo.wyki, written by hand the way nanowyki will generate it:
 *
 *     service echo {
 *         listen tcp 7;
 *         sessions 1024;
 *         const CHUNK = 4096;
 *         session {
 *             loop {
 *                 let data = recv(CHUNK) else { close; };
 *                 send(data);
 *             }
 *         }
 *     }
 *
 * The session is a state machine with one state per blocking point (recv, send); `data`
 * lives across the send, so it is lifted into the frame.  The session loop has no `max`,
 * so it gets fuel: after FUEL iterations in one step it yields.
 */
#include "wyki.h"

#define CHUNK	4096
#define FUEL	64	/* loop iterations per step before yielding */

enum echo_state {
	S_RECV = 0,	/* the frame starts zeroed: state 0 is the session's start */
	S_SEND,
};

struct echo_frame {
	uint32_t state;
	uint32_t data_len;
	uint8_t data[CHUNK];
};

static int echo_step(void *fp, struct wyki_conn *c)
{
	struct echo_frame *f = fp;
	uint32_t fuel = FUEL, n;

	switch (f->state) {
	case S_RECV:
		goto s_recv;
	case S_SEND:
		goto s_send;
	}
	return WYKI_FAULT_STATUS(WYKI_FAULT_BOUNDS);	/* unreachable: a corrupt state */

s_recv:
	/* let data = recv(CHUNK) else { close; }; */
	n = wyki_rx_len(c);
	if (n == 0) {
		if (wyki_peer_closed(c))
			return WYKI_DONE;		/* else { close; } */
		f->state = S_RECV;
		return WYKI_NEED_INPUT;
	}
	if (n > CHUNK)
		n = CHUNK;
	memcpy(f->data, wyki_rx_data(c), n);
	f->data_len = n;
	wyki_rx_consume(c, n);
	/* fall through */
s_send:
	/* send(data); */
	if (wyki_tx_append(c, f->data, f->data_len) < 0) {
		f->state = S_SEND;
		return WYKI_NEED_OUTPUT;
	}
	/* loop back, paying one unit of fuel */
	if (--fuel == 0) {
		f->state = S_RECV;
		return WYKI_YIELD;
	}
	goto s_recv;
}

const struct wyki_service wyki_service = {
	.name = "echo",
	.proto = WYKI_TCP,
	.port = 7,
	.max_sessions = 1024,
	.frame_size = sizeof(struct echo_frame),
	.rx_size = 2 * CHUNK,		/* >= the largest receive */
	.tx_size = 2 * CHUNK,		/* >= the largest single send, doubled for batching */
	.step = echo_step,
};
