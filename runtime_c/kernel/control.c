// SPDX-License-Identifier: GPL-2.0-only
/*
 * control.c - `control=1`: a virtual clock and /proc/wyki/<service>.control, for transcripts.
 *
 * The kernel twin of user/control.c (docs/transcripts.md, "Against a compiled service").
 * With the module parameter control=1:
 *
 *   - time stands still: wyki_now_ms() starts at 0 and wyki_unix_time() at 1767225600
 *     (2026-01-01 00:00:00 UTC) and they move only on `advance`, which kicks the workers;
 *     they arm no kernel timer;
 *   - /proc/wyki/<service>.control takes one command per write and keeps its answer for the
 *     next read (the guest's /init relays them from the serial console):
 *
 *       quiet OPENED DATAGRAMS [BYTES[+] ...]
 *                 -> "ok" once the service has seen everything the clients did (below) and
 *                    every worker is idle: no queued or running work item, no session on a
 *                    ready list, no datagram pending, no wake-up or `every` timer due
 *       quiet     -> the same with the last targets
 *       advance MS-> "ok now=T": the clock moves to each wake-up or `every` timer due on the
 *                    way in turn, the service settling after each, then to now+MS
 *       stats     -> "ok live=N accepted=N ...", once settled
 *
 * Why `quiet` takes what the clients did.  The clients reach the guest through QEMU's user
 * networking: a host send() returns once SLIRP has the bytes, not the guest, so "every worker
 * is idle" can be true before the service has seen them.  The replay therefore says how many
 * connections it opened, how many datagrams it sent, and for each connection (in the order
 * it opened them, which is the order the service accepted them: the replay waits for each
 * accept) how many bytes it sent and whether it shut down or closed its side ("+").  The
 * service has seen them when its arrivals (accepted + refused) and datagrams received reach
 * the totals, and each live session's socket has received that many bytes (TCP's own count,
 * read or not) or, when "+", its FIN (or a reset).  A connection the service has closed
 * needs nothing more: bytes still on their way to it meet a closed socket, and the service
 * does not act on them.  Once the targets are met, an RCU grace period lets every softirq
 * that counted those bytes finish its callback, which queued the worker; then idleness is
 * checked.
 *
 * A settle that does not finish within QUIET_TIMEOUT_MS answers an error saying what is
 * still missing.  Off the test path this costs one predictable branch in the clock and in
 * the worker's run.
 */
#include <linux/delay.h>
#include <linux/jiffies.h>
#include <linux/kernel.h>
#include <linux/mutex.h>
#include <linux/proc_fs.h>
#include <linux/rcupdate.h>
#include <linux/string.h>
#include <linux/uaccess.h>
#include <net/tcp.h>

#include "internal.h"

#define CONTROL_UNIX_START	1767225600	/* wyki_unix_time() when wyki_now_ms() is 0 */
#define CONTROL_LINE_MAX	1024
#define CONTROL_CONNS_MAX	128		/* connections one transcript may open */
#define CONTROL_ADVANCE_MAX	(1ULL << 52)	/* ms, about 142,000 years: no overflow */
#define QUIET_TIMEOUT_MS	10000

/* What the clients did to connection i (the i-th arrival since the module was loaded). */
struct conn_target {
	u64 bytes;		/* sent */
	bool ended;		/* shut down or closed: a FIN (or a reset) is on its way */
};

static struct {
	struct mutex lock;		/* one command at a time */
	int64_t clock;			/* wyki_now_ms() */
	u32 opened;
	u64 datagrams;
	u32 nconns;
	struct conn_target conns[CONTROL_CONNS_MAX];
	struct conn_target parsed[CONTROL_CONNS_MAX];	/* a quiet's, until it parsed whole */
	char line[CONTROL_LINE_MAX];	/* the command being run */
	char stats[CONTROL_LINE_MAX - 8];
	char answer[CONTROL_LINE_MAX];
	size_t answer_len;
	char why[128];			/* what a settle still waits for */
	char name[64];			/* <service>.control */
} ctl;

int64_t control_now_ms(void)
{
	return READ_ONCE(ctl.clock);
}

int64_t control_unix_time(void)
{
	return CONTROL_UNIX_START + control_now_ms() / 1000;
}

/* ---- what the service has seen ------------------------------------------------------ */

static u64 datagrams_received(void)
{
	u64 n = 0;
	unsigned int i;

	for (i = 0; i < rt.nworkers; i++)
		n += wyki_relaxed_load(&rt.workers[i].datagrams_in);
	return n;
}

/* Has every live session of @w seen what its client sent?  Sets ctl.why when not. */
static bool sessions_caught_up(struct worker *w)
{
	bool met = true;
	struct conn *k;

	spin_lock_bh(&w->lock);		/* conn_destroy unlinks under it before sock_release */
	list_for_each_entry(k, &w->conns, all) {
		const struct conn_target *t;
		struct sock *sk = k->sock->sk;
		u64 got = READ_ONCE(tcp_sk(sk)->bytes_received);

		if (k->index >= ctl.nconns)
			continue;
		t = &ctl.conns[k->index];
		/* A FIN comes after every byte sent before it; a reset ends the stream too. */
		if (t->ended && !(READ_ONCE(sk->sk_shutdown) & RCV_SHUTDOWN)) {
			snprintf(ctl.why, sizeof(ctl.why),
				 "connection %u has %llu of %llu bytes and no FIN", k->index, got,
				 t->bytes);
			met = false;
			break;
		}
		if (!t->ended && got < t->bytes) {
			snprintf(ctl.why, sizeof(ctl.why), "connection %u has %llu of %llu bytes",
				 k->index, got, t->bytes);
			met = false;
			break;
		}
	}
	spin_unlock_bh(&w->lock);
	return met;
}

static bool targets_met(void)
{
	u32 arrivals = READ_ONCE(rt.arrivals);
	u64 datagrams = datagrams_received();
	unsigned int i;

	if (arrivals < ctl.opened) {
		snprintf(ctl.why, sizeof(ctl.why), "%u of %u connections arrived", arrivals,
			 ctl.opened);
		return false;
	}
	if (datagrams < ctl.datagrams) {
		snprintf(ctl.why, sizeof(ctl.why), "%llu of %llu datagrams arrived", datagrams,
			 ctl.datagrams);
		return false;
	}
	for (i = 0; i < rt.nworkers; i++)
		if (!sessions_caught_up(&rt.workers[i]))
			return false;
	return true;
}

/*
 * The time at which @w's next wake-up, close linger or `every` timer fires; -1: none.  The
 * wheel has expired everything up to its `now`, and a timer armed for a time not after it
 * (a `sleep(0)`) waits in the next slot: it fires when the clock reaches wheel.now + 1.
 */
static int64_t next_due(struct worker *w)
{
	int64_t due = -1, at;
	struct conn *k;
	uint32_t i;

	spin_lock_bh(&w->lock);
	list_for_each_entry(k, &w->conns, all) {
		if (!wyki_timer_armed(&k->timer))
			continue;
		at = max(k->timer.deadline, READ_ONCE(w->wheel.now) + 1);
		if (due < 0 || at < due)
			due = at;
	}
	spin_unlock_bh(&w->lock);
	if (w->id == 0)
		for (i = 0; i < rt.svc->ntimers; i++)
			if (due < 0 || w->timer_next[i] < due)
				due = w->timer_next[i];
	return due;
}

static bool worker_idle(struct worker *w)
{
	int64_t due;
	bool ready;

	if (work_busy(&w->work) || test_bit(0, &w->udp_pending)) {
		snprintf(ctl.why, sizeof(ctl.why), "worker %u is running", w->id);
		return false;
	}
	spin_lock_bh(&w->lock);
	ready = !list_empty(&w->ready);
	spin_unlock_bh(&w->lock);
	if (ready) {
		snprintf(ctl.why, sizeof(ctl.why), "worker %u has a ready session", w->id);
		return false;
	}
	due = next_due(w);
	if (due >= 0 && due <= control_now_ms()) {
		snprintf(ctl.why, sizeof(ctl.why), "worker %u has a timer due at %lld ms", w->id,
			 due);
		return false;
	}
	return true;
}

static bool all_idle(void)
{
	unsigned int i;

	if (work_busy(&rt.accept_work)) {
		snprintf(ctl.why, sizeof(ctl.why), "accepting");
		return false;
	}
	for (i = 0; i < rt.nworkers; i++)
		if (!worker_idle(&rt.workers[i]))
			return false;
	return true;
}

/* Wait until the targets are met and every worker is idle.  0, or -ETIMEDOUT (ctl.why). */
static int settle(void)
{
	unsigned long deadline = jiffies + msecs_to_jiffies(QUIET_TIMEOUT_MS);
	bool seen = false;

	for (;;) {
		if (!seen && targets_met()) {
			/*
			 * The softirqs that counted those bytes have left their callbacks, which
			 * queued the workers.  (Softirqs are RCU readers; the expedited grace
			 * period takes ~1 ms under TCG where a normal one takes ~20.)
			 */
			synchronize_rcu_expedited();
			seen = true;
		}
		if (seen && all_idle())
			return 0;
		if (time_after(jiffies, deadline))
			return -ETIMEDOUT;
		usleep_range(100, 300);
	}
}

static void kick_all(void)
{
	unsigned int i;

	for (i = 0; i < rt.nworkers; i++)
		worker_kick(&rt.workers[i]);
}

static int64_t earliest_due(void)
{
	int64_t due = -1, d;
	unsigned int i;

	for (i = 0; i < rt.nworkers; i++) {
		d = next_due(&rt.workers[i]);
		if (d >= 0 && (due < 0 || d < due))
			due = d;
	}
	return due;
}

/* Move the clock to each due time up to now+@ms in turn, settling after each. */
static int advance(int64_t ms)
{
	int64_t target = control_now_ms() + ms, due;
	int err = settle();

	while (!err && (due = earliest_due()) >= 0 && due <= target) {
		WRITE_ONCE(ctl.clock, due);
		kick_all();
		err = settle();
	}
	if (err)
		return err;
	WRITE_ONCE(ctl.clock, target);
	kick_all();
	return settle();
}

/* ---- commands ------------------------------------------------------------------------ */

static void answer(const char *fmt, ...) __printf(1, 2);

static void answer(const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(ctl.answer, sizeof(ctl.answer), fmt, ap);
	va_end(ap);
	ctl.answer_len = min_t(size_t, (size_t)max(n, 0), sizeof(ctl.answer) - 1);
}

static void answer_settled(int err, const char *what, const char *ok)
{
	if (err)
		answer("error %s: not settled after %d ms: %s", what, QUIET_TIMEOUT_MS, ctl.why);
	else
		answer("ok%s", ok);
}

/* "OPENED DATAGRAMS [BYTES[+] ...]" into the targets; -EINVAL (targets unchanged) if malformed. */
static int parse_targets(char *args)
{
	u32 opened, nconns = 0;
	u64 datagrams, bytes;
	char *word, *plus;
	bool ended;

	word = strsep(&args, " ");
	if (!word || kstrtou32(word, 10, &opened))
		return -EINVAL;
	word = strsep(&args, " ");
	if (!word || kstrtou64(word, 10, &datagrams))
		return -EINVAL;
	while ((word = strsep(&args, " ")) != NULL) {
		if (!*word)
			continue;
		plus = strchr(word, '+');
		ended = plus != NULL;
		if (plus) {
			if (plus[1])
				return -EINVAL;
			*plus = '\0';
		}
		if (nconns == CONTROL_CONNS_MAX || kstrtou64(word, 10, &bytes))
			return -EINVAL;
		ctl.parsed[nconns].bytes = bytes;
		ctl.parsed[nconns].ended = ended;
		nconns++;
	}
	memcpy(ctl.conns, ctl.parsed, nconns * sizeof(ctl.conns[0]));
	ctl.opened = opened;
	ctl.datagrams = datagrams;
	ctl.nconns = nconns;
	return 0;
}

/* "live=N accepted=N ...": the names and order of user/main.c's stats_line. */
static void stats_line(char *line, size_t size)
{
	struct wyki_stats s;
	size_t len;
	unsigned int i;

	wyki_stats_snapshot(&s);
	len = (size_t)scnprintf(line, size, "live=%u", READ_ONCE(rt.pool.live));
	for (i = 0; i < WYKI_STAT_COUNT; i++) {
		if (i == WYKI_STAT_FAULT_FIRST + WYKI_FAULT_NONE)
			continue;
		len += (size_t)scnprintf(line + len, size - len, " %s=%llu",
					 wyki_stat_name((enum wyki_stat)i),
					 (unsigned long long)s.v[i]);
	}
}

static void command(char *line)
{
	char *stats = ctl.stats;
	size_t size = sizeof(ctl.stats);
	u64 ms;

	if (strcmp(line, "quiet") == 0) {
		answer_settled(settle(), "quiet", "");
	} else if (strncmp(line, "quiet ", 6) == 0) {
		if (parse_targets(line + 6))
			answer("error quiet needs OPENED DATAGRAMS [BYTES[+] ...] (at most %d)",
			       CONTROL_CONNS_MAX);
		else
			answer_settled(settle(), "quiet", "");
	} else if (strncmp(line, "advance ", 8) == 0) {
		if (line[8] == '-' || kstrtou64(line + 8, 10, &ms) || ms > CONTROL_ADVANCE_MAX) {
			answer("error advance needs milliseconds, 0..%llu", CONTROL_ADVANCE_MAX);
		} else {
			int err = advance((int64_t)ms);

			snprintf(stats, size, " now=%lld", control_now_ms());
			answer_settled(err, "advance", stats);
		}
	} else if (strcmp(line, "stats") == 0) {
		int err = settle();

		stats_line(stats, size);
		if (err)
			answer_settled(err, "stats", "");
		else
			answer("ok %s", stats);
	} else {
		answer("error unknown command '%.40s' (known: quiet, advance MS, stats)", line);
	}
}

static ssize_t control_write(struct file *file, const char __user *buf, size_t len,
			     loff_t *pos)
{
	char *line = ctl.line;
	size_t n = len;

	(void)file;
	(void)pos;
	if (n >= sizeof(ctl.line))
		return -EINVAL;
	mutex_lock(&ctl.lock);
	if (copy_from_user(line, buf, n)) {
		mutex_unlock(&ctl.lock);
		return -EFAULT;
	}
	line[n] = '\0';
	while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
	command(line);
	mutex_unlock(&ctl.lock);
	return (ssize_t)len;
}

static ssize_t control_read(struct file *file, char __user *buf, size_t len, loff_t *pos)
{
	ssize_t n;

	(void)file;
	mutex_lock(&ctl.lock);
	n = simple_read_from_buffer(buf, len, pos, ctl.answer, ctl.answer_len);
	mutex_unlock(&ctl.lock);
	return n;
}

static const struct proc_ops control_ops = {
	.proc_read = control_read,
	.proc_write = control_write,
	.proc_lseek = default_llseek,
};

/* /proc/wyki/<service>.control; the clock starts at 0. */
int control_start(struct proc_dir_entry *dir)
{
	mutex_init(&ctl.lock);
	WRITE_ONCE(ctl.clock, 0);
	ctl.opened = 0;
	ctl.datagrams = 0;
	ctl.nconns = 0;
	answer("error no command yet");
	snprintf(ctl.name, sizeof(ctl.name), "%s.control", rt.svc->name);
	return proc_create(ctl.name, 0600, dir, &control_ops) ? 0 : -ENOMEM;
}
