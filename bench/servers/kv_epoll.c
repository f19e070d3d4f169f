/*
 * kv_epoll.c: the hand-written baseline for examples/kv.wyki.
 *
 *     kv_epoll --port N
 *
 * The memcached text protocol's get, gets, set, delete, version and quit, with the replies
 * kv.wyki sends (other commands get "ERROR"), written as a careful C programmer would for a
 * benchmark: one thread, one level-triggered epoll instance, non-blocking sockets with
 * TCP_NODELAY, one input and one output buffer per connection (allocated at accept, never per
 * request), and every command that one read delivers answered before one write sends all
 * the replies.  The store is a fixed open-addressing table with kv.wyki's limits (16384 items,
 * keys of at most 250 bytes, values of at most 1024), hashed with FNV-1a; deleted slots
 * become tombstones.  Expiry times are honoured on reads (0 = never, up to 30 days relative,
 * else absolute; negative = already expired); flush_all, add, cas, incr and the rest are left out.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define KEY_MAX 250
#define VALUE_MAX 1024
#define CAPACITY 16384             /* most items stored at once */
#define SLOTS (2 * CAPACITY)        /* a power of two: the table is at most half full */
#define LINE_MAX 8192
#define BYTES_LIMIT 2147483645LL
#define FLAGS_MAX 4294967295LL
#define RELATIVE_MAX 2592000
#define IN_CAP 16384
#define OUT_CAP (128 * 1024)
#define REPLY_ROOM (64 * 1024)      /* room one command's reply may need (a get of ~32 keys) */
#define MAX_EVENTS 256

#define BAD_FORMAT "CLIENT_ERROR bad command line format\r\n"
#define TOO_LARGE "SERVER_ERROR object too large for cache\r\n"
#define NO_MEMORY "SERVER_ERROR out of memory storing object\r\n"
#define DELETE_USAGE "CLIENT_ERROR bad command line format.  Usage: delete <key> [noreply]\r\n"

enum slot_state { EMPTY, LIVE, DELETED };

struct item {
	enum slot_state state;
	uint8_t key_len;
	uint16_t data_len;
	int64_t flags, exptime, cas;
	char key[KEY_MAX];
	char data[VALUE_MAX];
};

struct span {
	const char *p;
	size_t n;
};

struct conn {
	int fd;
	bool closing;              /* close once out[] is sent */
	size_t in_len, skip;       /* skip: bytes of a rejected data block still to drop */
	size_t out_off, out_len;
	char in[IN_CAP];
	char out[OUT_CAP];
};

static struct item table[SLOTS];
static size_t live_items;
static int64_t next_cas = 1;
static int epfd;

static void die(const char *what)
{
	perror(what);
	exit(1);
}

/* ---- the store ---- */

static uint64_t fnv1a(struct span key)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	for (size_t i = 0; i < key.n; i++)
		h = (h ^ (unsigned char)key.p[i]) * 0x100000001b3ULL;
	return h;
}

static bool same_key(const struct item *it, struct span key)
{
	return it->key_len == key.n && memcmp(it->key, key.p, key.n) == 0;
}

/* The live item under key, or NULL; an expired one found there is deleted. */
static struct item *lookup(struct span key)
{
	for (uint64_t i = fnv1a(key);; i++) {
		struct item *it = &table[i & (SLOTS - 1)];
		if (it->state == EMPTY)
			return NULL;
		if (it->state == LIVE && same_key(it, key)) {
			if (it->exptime != 0 && it->exptime <= time(NULL)) {
				it->state = DELETED;
				live_items--;
				return NULL;
			}
			return it;
		}
	}
}

/* The slot to store key in (its live item, else a free slot); NULL if the store is full. */
static struct item *slot_for(struct span key)
{
	struct item *it = lookup(key), *free_slot = NULL;
	if (it)
		return it;
	if (live_items >= CAPACITY)
		return NULL;
	for (uint64_t i = fnv1a(key);; i++) {
		it = &table[i & (SLOTS - 1)];
		if (it->state != LIVE && !free_slot)
			free_slot = it;
		if (it->state == EMPTY)
			return free_slot;
	}
}

static void remove_key(struct span key)
{
	struct item *it = lookup(key);
	if (it) {
		it->state = DELETED;
		live_items--;
	}
}

/* ---- command lines ---- */

/* Field i of a line: fields are separated by runs of spaces; empty if absent. */
static struct span field(struct span line, int i)
{
	const char *p = line.p, *end = line.p + line.n;
	for (;;) {
		while (p < end && *p == ' ')
			p++;
		const char *start = p;
		while (p < end && *p != ' ')
			p++;
		if (i-- == 0 || start == end)
			return (struct span){start, (size_t)(p - start)};
	}
}

static int nfields(struct span line)
{
	int n = 0;
	while (field(line, n).n > 0)
		n++;
	return n;
}

static bool is(struct span s, const char *word)
{
	return s.n == strlen(word) && memcmp(s.p, word, s.n) == 0;
}

/* Decimal digits with an optional leading '-', as WYKI's parse_int. */
static bool parse_int(struct span s, int64_t *out)
{
	size_t i = s.n > 0 && s.p[0] == '-';
	if (i == s.n || s.n - i > 18)
		return false;
	int64_t v = 0;
	for (; i < s.n; i++) {
		if (s.p[i] < '0' || s.p[i] > '9')
			return false;
		v = v * 10 + (s.p[i] - '0');
	}
	*out = s.p[0] == '-' ? -v : v;
	return true;
}

static int64_t expiry(int64_t exptime)
{
	if (exptime == 0)
		return 0;
	if (exptime < 0)
		return 1;
	return exptime <= RELATIVE_MAX ? time(NULL) + exptime : exptime;
}

/* ---- replies ---- */

static void put(struct conn *c, const void *bytes, size_t n)
{
	memcpy(c->out + c->out_len, bytes, n);
	c->out_len += n;
}

static void puts_(struct conn *c, const char *s)
{
	put(c, s, strlen(s));
}

static void put_int(struct conn *c, int64_t v)
{
	c->out_len += (size_t)sprintf(c->out + c->out_len, "%lld", (long long)v);
}

static void get(struct conn *c, struct span line, int nf, bool with_cas)
{
	for (int i = 1; i < nf; i++) {
		if (field(line, i).n > KEY_MAX) {
			puts_(c, BAD_FORMAT);
			return;
		}
	}
	for (int i = 1; i < nf; i++) {
		struct span key = field(line, i);
		const struct item *it = lookup(key);
		if (!it)
			continue;
		put(c, "VALUE ", 6);
		put(c, key.p, key.n);
		put(c, " ", 1);
		put_int(c, it->flags);
		put(c, " ", 1);
		put_int(c, it->data_len);
		if (with_cas) {
			put(c, " ", 1);
			put_int(c, it->cas);
		}
		put(c, "\r\n", 2);
		put(c, it->data, it->data_len);
		put(c, "\r\n", 2);
	}
	put(c, "END\r\n", 5);
}

/*
 * set <key> <flags> <exptime> <bytes> [noreply], its data block starting at data (avail bytes
 * of it buffered). Returns how many bytes of the block it consumed, or -1 to wait for more.
 */
static long set(struct conn *c, struct span line, int nf, const char *data, size_t avail)
{
	bool noreply = nf > 1 && is(field(line, nf - 1), "noreply");
	const char *error = NULL;
	int64_t nbytes, flags, exptime;
	if (nf != 5 && nf != 6) {
		puts_(c, "ERROR\r\n");
		return 0;
	}
	if (!parse_int(field(line, 4), &nbytes) || nbytes < 0 || nbytes > BYTES_LIMIT) {
		if (!noreply)
			puts_(c, BAD_FORMAT);
		return 0;
	}
	struct span key = field(line, 1);
	if (key.n > KEY_MAX || !parse_int(field(line, 2), &flags) ||
	    !parse_int(field(line, 3), &exptime) || flags < 0 || flags > FLAGS_MAX) {
		error = BAD_FORMAT;
	} else if (nbytes > VALUE_MAX) {
		remove_key(key);             /* as memcached: a failed set leaves no stale value */
		error = TOO_LARGE;
	}
	if (error) {                         /* drop the block, however long */
		if (!noreply)
			puts_(c, error);
		c->skip = (size_t)nbytes + 2;
		return 0;
	}
	if (avail < (size_t)nbytes + 2)
		return -1;
	if (data[nbytes] != '\r' || data[nbytes + 1] != '\n') {
		error = "CLIENT_ERROR bad data chunk\r\n";
	} else {
		struct item *it = slot_for(key);
		if (!it) {
			error = NO_MEMORY;
		} else {
			if (it->state != LIVE)
				live_items++;
			*it = (struct item){.state = LIVE, .key_len = (uint8_t)key.n,
					    .data_len = (uint16_t)nbytes, .flags = flags,
					    .exptime = expiry(exptime), .cas = next_cas++};
			memcpy(it->key, key.p, key.n);
			memcpy(it->data, data, (size_t)nbytes);
			if (it->exptime == 1) {      /* already expired: stores nothing */
				it->state = DELETED;
				live_items--;
			}
		}
	}
	if (!noreply)
		puts_(c, error ? error : "STORED\r\n");
	return (long)nbytes + 2;
}

/* delete <key> [0] [noreply] */
static void delete(struct conn *c, struct span line, int nf, bool noreply)
{
	bool hold = is(field(line, 2), "0");
	const char *reply = "DELETED\r\n";
	struct span key = field(line, 1);
	if (!(nf == 2 || (nf == 3 && (hold || noreply)) || (nf == 4 && hold && noreply)))
		reply = DELETE_USAGE;
	else if (key.n > KEY_MAX)
		reply = BAD_FORMAT;
	else if (!lookup(key))
		reply = "NOT_FOUND\r\n";
	else
		remove_key(key);
	if (!noreply)
		puts_(c, reply);
}

/*
 * Answers the command line at in[start..] (its '\n' at eol) and, for set, its data block.
 * Returns the bytes consumed, or 0 to wait for more input.
 */
static size_t command(struct conn *c, size_t start, const char *eol)
{
	const char *p = c->in + start;
	size_t line_len = (size_t)(eol - p), used = line_len + 1;
	if (line_len > 0 && p[line_len - 1] == '\r')
		line_len--;
	struct span line = {p, line_len}, cmd = field(line, 0);
	int nf = nfields(line);
	bool noreply = nf > 1 && is(field(line, nf - 1), "noreply");

	if (is(cmd, "get") || is(cmd, "gets")) {
		if (nf == 1)
			puts_(c, "ERROR\r\n");
		else
			get(c, line, nf, cmd.n == 4);
	} else if (is(cmd, "set")) {
		size_t before = c->out_len;
		long block = set(c, line, nf, eol + 1, c->in_len - start - used);
		if (block < 0) {
			c->out_len = before;
			return 0;
		}
		used += (size_t)block;
	} else if (is(cmd, "delete") && nf >= 2 && nf <= 4) {
		delete(c, line, nf, noreply);
	} else if (is(cmd, "version")) {
		puts_(c, "VERSION 1.6.0-nanowyki\r\n");
	} else if (is(cmd, "quit")) {
		c->closing = true;
	} else {
		puts_(c, "ERROR\r\n");
	}
	return used;
}

/*
 * Answers the complete commands in in[] while out[] has room for another reply; true if it
 * stopped for want of room (commands may be left).
 */
static bool answer_all(struct conn *c)
{
	size_t start = 0;
	bool full = false;
	while (!c->closing) {
		if (c->skip > 0) {
			size_t n = c->skip < c->in_len - start ? c->skip : c->in_len - start;
			start += n;
			c->skip -= n;
			if (c->skip > 0)
				break;
		}
		if (OUT_CAP - c->out_len < REPLY_ROOM) {
			full = true;
			break;
		}
		const char *eol = memchr(c->in + start, '\n', c->in_len - start);
		if (!eol || eol - (c->in + start) > LINE_MAX + 1) {
			if (c->in_len - start > LINE_MAX + 1) {
				puts_(c, "CLIENT_ERROR line too long\r\n");
				c->closing = true;
			}
			break;
		}
		size_t used = command(c, start, eol);
		if (used == 0)
			break;
		start += used;
	}
	memmove(c->in, c->in + start, c->in_len - start);
	c->in_len -= start;
	return full;
}

/* ---- connections (as in http_epoll.c) ---- */

static void close_conn(struct conn *c)
{
	close(c->fd);
	free(c);
}

/* Sends what out[] holds; false if the connection is gone. Waits for EPOLLOUT when full. */
static bool flush(struct conn *c)
{
	while (c->out_off < c->out_len) {
		ssize_t n = write(c->fd, c->out + c->out_off, c->out_len - c->out_off);
		if (n < 0 && errno == EAGAIN)
			break;
		if (n <= 0)
			return false;
		c->out_off += (size_t)n;
	}
	bool pending = c->out_off < c->out_len;
	if (!pending) {
		c->out_off = c->out_len = 0;
		if (c->closing)
			return false;
	}
	struct epoll_event ev = {.events = pending ? EPOLLOUT : EPOLLIN, .data.ptr = c};
	epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &ev);
	return true;
}

static void on_event(struct conn *c, unsigned events)
{
	if (events & (EPOLLIN | EPOLLHUP | EPOLLERR)) {
		ssize_t n = read(c->fd, c->in + c->in_len, IN_CAP - c->in_len);
		if (n == 0 || (n < 0 && errno != EAGAIN)) {
			close_conn(c);
			return;
		}
		if (n > 0)
			c->in_len += (size_t)n;
	}
	/* Answer, send; again while out[] filled up before every command was answered. */
	for (;;) {
		bool more = c->out_off == c->out_len && answer_all(c);
		if (!flush(c)) {
			close_conn(c);
			return;
		}
		if (!more || c->out_off < c->out_len)
			return;
	}
}

static void accept_all(int lfd)
{
	for (;;) {
		int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK);
		if (fd < 0)
			return;
		int one = 1;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		struct conn *c = malloc(sizeof(*c));
		if (!c) {
			close(fd);
			continue;
		}
		c->fd = fd;
		c->closing = false;
		c->in_len = c->skip = c->out_off = c->out_len = 0;
		struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
		if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
			close_conn(c);
	}
}

static int listen_on(int port)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0), one = 1;
	struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
				   .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 || listen(fd, 1024) < 0)
		die("listen");
	return fd;
}

int main(int argc, char **argv)
{
	int port = 11211;
	for (int i = 1; i + 1 < argc; i += 2)
		if (strcmp(argv[i], "--port") == 0)
			port = atoi(argv[i + 1]);
	signal(SIGPIPE, SIG_IGN);

	int lfd = listen_on(port);
	epfd = epoll_create1(0);
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
	if (epfd < 0 || epoll_ctl(epfd, EPOLL_CTL_ADD, lfd, &ev) < 0)
		die("epoll");
	fprintf(stderr, "kv_epoll: ready on tcp port %d\n", port);
	struct epoll_event events[MAX_EVENTS];
	for (;;) {
		int n = epoll_wait(epfd, events, MAX_EVENTS, -1);
		for (int i = 0; i < n; i++) {
			if (events[i].data.ptr == NULL)
				accept_all(lfd);
			else
				on_event(events[i].data.ptr, events[i].events);
		}
	}
}
