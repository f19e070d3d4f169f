/*
 * http_epoll.c: the hand-written baseline for examples/http.wyki.
 *
 *     http_epoll --port N --4k FILE
 *
 * What a careful C programmer would write for the benchmark's two pages, and no more: one
 * thread, one level-triggered epoll instance, non-blocking sockets with TCP_NODELAY, one
 * input and one output buffer per connection (allocated at accept, never per request).  It
 * answers /hello and /4k with exactly the bytes http.wyki sends (the same headers in the same
 * order, Date included), other paths with the same 404, and the same errors for what it
 * rejects.  Every request that one read delivers is answered, then all the replies go out in
 * one write.  The response heads are rendered once per second, when the Date changes.
 *
 * It parses less than http.wyki: it rejects malformed request lines and a missing Host, and
 * honours "Connection: close" / "keep-alive", but does not validate header names.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define IN_CAP 16384             /* a request, line and headers, must fit here */
#define OUT_CAP (128 * 1024)     /* 16 pipelined /4k replies are ~70 KiB */
#define HEAD_MAX 320
#define BODY_MAX 4096
#define MAX_EVENTS 256

struct conn {
	int fd;
	bool closing;            /* close once out[] is sent */
	size_t in_len;
	size_t out_off, out_len;
	char in[IN_CAP];
	char out[OUT_CAP];
};

struct page {
	const char *path;
	char body[BODY_MAX];
	size_t body_len;
	char head[2][HEAD_MAX];  /* [keep-alive?], rendered for head_time */
	size_t head_len[2];
};

static struct page pages[] = {{.path = "/hello"}, {.path = "/4k"}, {.path = NULL}};
enum { NOT_FOUND = 2 };          /* pages[NOT_FOUND] is the 404 */
static time_t head_time = -1;
static int epfd;

static void die(const char *what)
{
	perror(what);
	exit(1);
}

static const char *reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 400: return "Bad Request";
	case 404: return "Not Found";
	case 414: return "URI Too Long";
	case 431: return "Request Header Fields Too Large";
	case 501: return "Not Implemented";
	default: return "Internal Server Error";
	}
}

/* The head http.wyki's head() builds: Server, Date, Content-Type, Content-Length, Connection. */
static size_t render_head(char *out, time_t now, int status, size_t length, bool keep)
{
	char date[40];
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S GMT", &tm);  /* C locale */
	int n = snprintf(out, HEAD_MAX,
			 "HTTP/1.1 %d %s\r\nServer: nanowyki\r\nDate: %s\r\n"
			 "Content-Type: text/plain\r\nContent-Length: %zu\r\nConnection: %s\r\n\r\n",
			 status, reason(status), date, length, keep ? "keep-alive" : "close");
	return (size_t)n;
}

static void refresh_heads(void)
{
	time_t now = time(NULL);
	if (now == head_time)
		return;
	head_time = now;
	for (int i = 0; i <= NOT_FOUND; i++) {
		int status = i == NOT_FOUND ? 404 : 200;
		for (int keep = 0; keep < 2; keep++)
			pages[i].head_len[keep] = render_head(pages[i].head[keep], now, status,
							      pages[i].body_len, keep);
	}
}

static void put(struct conn *c, const char *bytes, size_t n)
{
	memcpy(c->out + c->out_len, bytes, n);
	c->out_len += n;
}

/* An error reply after which the connection closes. */
static void fatal(struct conn *c, int status)
{
	char body[64], head[HEAD_MAX];
	size_t body_len = (size_t)snprintf(body, sizeof(body), "%d %s\n", status, reason(status));
	put(c, head, render_head(head, time(NULL), status, body_len, false));
	put(c, body, body_len);
	c->closing = true;
}

static bool has_token(const char *value, size_t len, const char *token)
{
	size_t t = strlen(token);
	for (size_t i = 0; i + t <= len; i++)
		if (strncasecmp(value + i, token, t) == 0)
			return true;
	return false;
}

/*
 * Answers the request occupying in[0..end) (end just past its blank line);
 * a reply that closes the connection sets c->closing.
 */
static void answer(struct conn *c, const char *req, size_t end)
{
	const char *eol = memmem(req, end, "\r\n", 2);
	const char *sp1 = memchr(req, ' ', (size_t)(eol - req));
	const char *sp2 = sp1 ? memchr(sp1 + 1, ' ', (size_t)(eol - sp1 - 1)) : NULL;
	if (!sp2 || memchr(sp2 + 1, ' ', (size_t)(eol - sp2 - 1)) || sp1[1] != '/') {
		fatal(c, 400);
		return;
	}
	size_t vlen = (size_t)(eol - sp2 - 1);
	bool http11 = vlen == 8 && memcmp(sp2 + 1, "HTTP/1.1", 8) == 0;
	if (!http11 && !(vlen == 8 && memcmp(sp2 + 1, "HTTP/1.0", 8) == 0)) {
		fatal(c, 400);
		return;
	}
	size_t mlen = (size_t)(sp1 - req);
	if (!(mlen == 3 && memcmp(req, "GET", 3) == 0) && !(mlen == 4 && memcmp(req, "HEAD", 4) == 0)) {
		fatal(c, 501);
		return;
	}
	bool head_only = mlen == 4, has_host = false, conn_close = false, conn_keep = false;
	for (const char *line = eol + 2; line < req + end - 2;) {
		const char *next = memmem(line, (size_t)(req + end - line), "\r\n", 2);
		const char *colon = memchr(line, ':', (size_t)(next - line));
		if (!colon) {
			fatal(c, 400);
			return;
		}
		size_t name_len = (size_t)(colon - line);
		if (name_len == 4 && strncasecmp(line, "Host", 4) == 0)
			has_host = true;
		if (name_len == 10 && strncasecmp(line, "Connection", 10) == 0) {
			conn_close |= has_token(colon + 1, (size_t)(next - colon - 1), "close");
			conn_keep |= has_token(colon + 1, (size_t)(next - colon - 1), "keep-alive");
		}
		line = next + 2;
	}
	if (http11 && !has_host) {
		fatal(c, 400);
		return;
	}
	const char *target = sp1 + 1;
	const char *query = memchr(target, '?', (size_t)(sp2 - target));
	size_t path_len = (size_t)((query ? query : sp2) - target);
	int i = 0;
	while (pages[i].path && !(strlen(pages[i].path) == path_len &&
				  memcmp(pages[i].path, target, path_len) == 0))
		i++;
	bool keep = !conn_close && (http11 || conn_keep);
	put(c, pages[i].head[keep], pages[i].head_len[keep]);
	if (!head_only)
		put(c, pages[i].body, pages[i].body_len);
	c->closing = !keep;
}

/*
 * Answers the complete requests in in[] while out[] has room for another reply; true if it
 * stopped for want of room (requests may be left).
 */
static bool answer_all(struct conn *c)
{
	size_t start = 0;
	bool full = false;
	refresh_heads();
	while (!c->closing) {
		if (OUT_CAP - c->out_len < HEAD_MAX + BODY_MAX) {
			full = true;
			break;
		}
		while (start + 1 < c->in_len && c->in[start] == '\r' && c->in[start + 1] == '\n')
			start += 2;      /* empty lines before a request line are ignored */
		const char *blank = memmem(c->in + start, c->in_len - start, "\r\n\r\n", 4);
		if (!blank) {
			if (start == 0 && c->in_len == IN_CAP)
				fatal(c, memmem(c->in, c->in_len, "\r\n", 2) ? 431 : 414);
			break;
		}
		size_t end = (size_t)(blank - (c->in + start)) + 4;
		answer(c, c->in + start, end);
		start += end;
	}
	memmove(c->in, c->in + start, c->in_len - start);
	c->in_len -= start;
	return full;
}

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
	/* Answer, send; again while out[] filled up before every request was answered. */
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
		c->in_len = c->out_off = c->out_len = 0;
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

static void load_page(struct page *p, const char *file)
{
	FILE *f = fopen(file, "rb");
	if (!f)
		die(file);
	p->body_len = fread(p->body, 1, BODY_MAX, f);
	fclose(f);
}

int main(int argc, char **argv)
{
	int port = 8080;
	const char *four_k = NULL;
	for (int i = 1; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--port") == 0)
			port = atoi(argv[i + 1]);
		else if (strcmp(argv[i], "--4k") == 0)
			four_k = argv[i + 1];
	}
	if (!four_k) {
		fprintf(stderr, "usage: %s [--port N] --4k FILE\n", argv[0]);
		return 2;
	}
	memcpy(pages[0].body, "Hello, world\n", 13);
	pages[0].body_len = 13;
	load_page(&pages[1], four_k);
	pages[NOT_FOUND].body_len = (size_t)snprintf(pages[NOT_FOUND].body, BODY_MAX, "404 Not Found\n");
	signal(SIGPIPE, SIG_IGN);

	int lfd = listen_on(port);
	epfd = epoll_create1(0);
	struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
	if (epfd < 0 || epoll_ctl(epfd, EPOLL_CTL_ADD, lfd, &ev) < 0)
		die("epoll");
	fprintf(stderr, "http_epoll: ready on tcp port %d\n", port);
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
