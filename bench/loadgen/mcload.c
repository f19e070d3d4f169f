/*
 * mcload.c: a load generator for the memcached text protocol.
 *
 *     mcload --port N [--host A] [--conns 64] [--depth 1] [--op get|set] [--keys 10000]
 *            [--value 64] [--duration 3] [--prefill]
 *
 * Every key of the key space ("key:000000" ...) has a value derived from the key; --prefill
 * first stores them all (on one connection, untimed), so that every get hits.  A get run
 * without --prefill counts misses as errors unless an earlier run stored the keys.
 * Then, for --duration seconds, it keeps --depth requests in flight on each of --conns
 * connections: each reply read is checked (a get must return the key's value, a set must get
 * STORED) and replaced by a new request for a random key, all the requests a read made room
 * for going out in one write.  One thread, one epoll instance.
 *
 * It prints one line to stdout:
 *     requests=N errors=E seconds=S rate=R
 * (N replies in S seconds, E of them wrong; R = N / S per second) and exits 0, or 1 with a
 * message on stderr if a connection failed or closed.
 */

#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define DEPTH_MAX 64
#define VALUE_MAX 1024
#define KEY_LEN 10                   /* "key:" and six digits */
#define IN_CAP (64 * 1024)
#define OUT_CAP (DEPTH_MAX * (VALUE_MAX + 64))

struct options {
	const char *host;
	int port, conns, depth, keys, value;
	bool set, prefill;
	double duration;
};

struct conn {
	int fd;
	unsigned expected[DEPTH_MAX];    /* keys of the requests in flight, oldest first */
	unsigned head, inflight;
	size_t in_len, out_off, out_len;
	char in[IN_CAP];
	char out[OUT_CAP];
};

static struct options opt = {"127.0.0.1", 11211, 64, 1, 10000, 64, false, false, 3.0};
static uint64_t rng = 0x9e3779b97f4a7c15ULL;
static long replies, errors;
static int epfd = -1;
static bool timed;                   /* false while storing the keys */

static void fail(const char *what)
{
	fprintf(stderr, "mcload: %s: %s\n", what, errno ? strerror(errno) : "failed");
	exit(1);
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static unsigned random_key(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned)(rng % (uint64_t)opt.keys);
}

/* Key k's value: opt.value bytes, a letter that depends on k. */
static void value_of(unsigned k, char *out)
{
	memset(out, 'a' + (int)(k % 26), (size_t)opt.value);
}

/* Appends a request for key k to out[]: a get, or a set (set) of the key's value. */
static void request(struct conn *c, unsigned k, bool set)
{
	char *p = c->out + c->out_len;
	if (set) {
		p += sprintf(p, "set key:%06u 0 0 %d\r\n", k, opt.value);
		value_of(k, p);
		p += opt.value;
		p += sprintf(p, "\r\n");
	} else {
		p += sprintf(p, "get key:%06u\r\n", k);
	}
	c->out_len = (size_t)(p - c->out);
	c->expected[(c->head + c->inflight) % DEPTH_MAX] = k;
	c->inflight++;
}

/*
 * The length of the complete reply at the start of buf (n bytes), 0 if it is not all there
 * yet; *ok says whether it is the right reply to the oldest request in flight.
 */
static size_t reply_length(const struct conn *c, const char *buf, size_t n, bool set, bool *ok)
{
	const char *eol = memmem(buf, n, "\r\n", 2);
	if (!eol)
		return 0;
	size_t line = (size_t)(eol - buf) + 2;
	if (set || strncmp(buf, "VALUE ", 6) != 0) {
		*ok = set && line == 8 && memcmp(buf, "STORED\r\n", 8) == 0;
		return line;   /* a get answered by a bare line (END: a miss, or an error) is wrong */
	}
	unsigned k = c->expected[c->head];
	char want[64], value[VALUE_MAX];
	int want_len = sprintf(want, "VALUE key:%06u 0 %d\r\n", k, opt.value);
	size_t total = line + (size_t)opt.value + 2 + 5;
	if (n < total)
		return 0;
	value_of(k, value);
	*ok = (size_t)want_len == line && memcmp(buf, want, line) == 0 &&
	      memcmp(buf + line, value, (size_t)opt.value) == 0 &&
	      memcmp(buf + line + opt.value, "\r\nEND\r\n", 7) == 0;
	return *ok ? total : line;
}

/* Prints the first wrong reply, so that a failing run says what went wrong. */
static void report_wrong(const struct conn *c, const char *reply, size_t n)
{
	fprintf(stderr, "mcload: first wrong reply, to %s key:%06u: \"", opt.set ? "set" : "get",
		c->expected[c->head]);
	for (size_t i = 0; i < n && i < 80; i++)
		fprintf(stderr, reply[i] >= ' ' && reply[i] < 127 ? "%c" : "\\x%02x",
			(unsigned char)reply[i]);
	fprintf(stderr, "\"\n");
}

/* Sends out[]; what the socket does not take now goes on EPOLLOUT. */
static void send_out(struct conn *c)
{
	bool was_waiting = c->out_off > 0;
	while (c->out_off < c->out_len) {
		ssize_t n = write(c->fd, c->out + c->out_off, c->out_len - c->out_off);
		if (n < 0 && errno == EAGAIN)
			break;
		if (n <= 0)
			fail("write");
		c->out_off += (size_t)n;
	}
	bool waiting = c->out_off < c->out_len;
	if (!waiting)
		c->out_off = c->out_len = 0;
	if (waiting != was_waiting) {
		struct epoll_event ev = {.events = EPOLLIN | (waiting ? EPOLLOUT : 0), .data.ptr = c};
		epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &ev);
	}
}

/* Reads and checks the complete replies; when timed, sends one new request per reply. */
static void on_readable(struct conn *c, bool set)
{
	ssize_t n = read(c->fd, c->in + c->in_len, IN_CAP - c->in_len);
	if (n == 0)
		fail("the server closed a connection");
	if (n < 0)
		return;
	c->in_len += (size_t)n;
	size_t start = 0, len;
	bool ok = false;
	while (c->inflight > 0 &&
	       (len = reply_length(c, c->in + start, c->in_len - start, set, &ok)) > 0) {
		replies++;
		if (!ok && errors++ == 0)
			report_wrong(c, c->in + start, len);
		start += len;
		c->head = (c->head + 1) % DEPTH_MAX;
		c->inflight--;
		if (timed && c->out_len + VALUE_MAX + 64 <= OUT_CAP)
			request(c, random_key(), set);
	}
	memmove(c->in, c->in + start, c->in_len - start);
	c->in_len -= start;
	send_out(c);
}

#define CONNECT_TIMEOUT_MS 15000

/* Starts a non-blocking connect to the server; returns the socket. */
static int start_connect(void)
{
	struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)opt.port)};
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;
	if (inet_pton(AF_INET, opt.host, &addr.sin_addr) != 1)
		fail("bad --host");
	if (fd < 0 || fcntl(fd, F_SETFL, O_NONBLOCK) < 0)
		fail("socket");
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 && errno != EINPROGRESS)
		fail("connect");
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}

/*
 * Connects every connection at once, then waits for each (left blocking).  One after another,
 * a server behind QEMU's user-mode network (which listens with a backlog of 1) would cost a
 * SYN retransmission, one second, for every other connection.
 */
static void connect_all(struct conn *conns)
{
	for (int i = 0; i < opt.conns; i++)
		conns[i].fd = start_connect();
	for (int i = 0; i < opt.conns; i++) {
		struct pollfd p = {.fd = conns[i].fd, .events = POLLOUT};
		int err = 0;
		socklen_t len = sizeof(err);
		int ready = poll(&p, 1, CONNECT_TIMEOUT_MS);
		if (ready == 0)
			errno = ETIMEDOUT;
		else if (ready > 0 && getsockopt(p.fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0)
			errno = err;
		if (ready <= 0 || errno != 0 || fcntl(p.fd, F_SETFL, 0) < 0)
			fail("connect");
	}
}

/* Stores every key, in batches of up to DEPTH_MAX pipelined sets, on connection c (blocking). */
static void prefill(struct conn *c)
{
	for (int first = 0; first < opt.keys; first += DEPTH_MAX) {
		int last = first + DEPTH_MAX < opt.keys ? first + DEPTH_MAX : opt.keys;
		for (int k = first; k < last; k++)
			request(c, (unsigned)k, true);
		send_out(c);
		while (c->inflight > 0) {
			on_readable(c, true);
		}
	}
	c->head = c->inflight = 0;
}

static void parse_args(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		const char *name = argv[i], *value;
		if (strcmp(name, "--prefill") == 0) {
			opt.prefill = true;
			continue;
		}
		value = i + 1 < argc ? argv[++i] : "";
		if (strcmp(name, "--host") == 0)
			opt.host = value;
		else if (strcmp(name, "--port") == 0)
			opt.port = atoi(value);
		else if (strcmp(name, "--conns") == 0)
			opt.conns = atoi(value);
		else if (strcmp(name, "--depth") == 0)
			opt.depth = atoi(value);
		else if (strcmp(name, "--keys") == 0)
			opt.keys = atoi(value);
		else if (strcmp(name, "--value") == 0)
			opt.value = atoi(value);
		else if (strcmp(name, "--duration") == 0)
			opt.duration = atof(value);
		else if (strcmp(name, "--op") == 0 && (strcmp(value, "get") == 0 || strcmp(value, "set") == 0))
			opt.set = strcmp(value, "set") == 0;
		else
			goto usage;
	}
	if (opt.conns >= 1 && opt.depth >= 1 && opt.depth <= DEPTH_MAX && opt.keys >= 1 &&
	    opt.keys <= 1000000 && opt.value >= 1 && opt.value <= VALUE_MAX && opt.duration > 0)
		return;
usage:
	fprintf(stderr, "usage: mcload --port N [--host A] [--conns N] [--depth 1..%d] "
			"[--op get|set] [--keys 1..1000000] [--value 1..%d] [--duration S] [--prefill]\n",
		DEPTH_MAX, VALUE_MAX);
	exit(2);
}

int main(int argc, char **argv)
{
	parse_args(argc, argv);
	struct conn *conns = calloc((size_t)opt.conns, sizeof(*conns));
	epfd = epoll_create1(0);
	if (!conns || epfd < 0)
		fail("setup");
	connect_all(conns);
	if (opt.prefill)
		prefill(&conns[0]);
	if (errors > 0) {
		fprintf(stderr, "mcload: %ld of %d sets failed while storing the keys\n", errors, opt.keys);
		return 1;
	}
	replies = 0;
	timed = true;

	double start = now(), stop = start + opt.duration, t = start;
	for (int i = 0; i < opt.conns; i++) {
		struct conn *c = &conns[i];
		fcntl(c->fd, F_SETFL, O_NONBLOCK);
		struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
		if (epoll_ctl(epfd, EPOLL_CTL_ADD, c->fd, &ev) < 0)
			fail("epoll_ctl");
		for (int d = 0; d < opt.depth; d++)
			request(c, random_key(), opt.set);
		send_out(c);
	}
	struct epoll_event events[256];
	while (t < stop) {
		int n = epoll_wait(epfd, events, 256, 100);
		for (int i = 0; i < n; i++) {
			struct conn *c = events[i].data.ptr;
			if (events[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR))
				on_readable(c, opt.set);
			else
				send_out(c);
		}
		t = now();
	}
	printf("requests=%ld errors=%ld seconds=%.3f rate=%.0f\n", replies, errors, t - start,
	       (double)replies / (t - start));
	return 0;
}
