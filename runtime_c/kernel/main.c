// SPDX-License-Identifier: GPL-2.0-only
/*
 * main.c - the kernel runtime's module_init/module_exit: parameters, the superpage arena,
 * the workers (work items), the sockets, /proc/wyki/<service>, and a clean unload.
 *
 * Load order: measure and allocate the arena, carve everything from it, create the tables,
 * create the workqueue, run the service's init, create /proc/wyki/<service>, and only then
 * open the socket, so that the first connection finds everything ready.
 *
 * Unload order (each step relies on the previous ones):
 *   1. remove /proc/wyki/<service> (waits for readers);
 *   2. set rt.stopping: from now on every work item returns at once;
 *   3. listener/UDP socket: original callback back, pending accepts drained, released;
 *   4. flush_workqueue(): the runs that started before step 2 are over, none will follow;
 *   5. del_timer_sync() each worker's tick (no work item can re-arm it any more);
 *   6. close every session: original callbacks restored under sk_callback_lock, then
 *      sock_release (TIME_WAIT and orphaned sockets keep TCP's own callbacks);
 *   7. synchronize_net(): a softirq that loaded one of our callback pointers before step 6
 *      has left it;
 *   8. destroy_workqueue(), then free the tables' locks and the arena's pages, and check
 *      that every allocation came back: "wyki: <service> unloaded, 0 allocations outstanding".
 */
#include <linux/cpumask.h>
#include <linux/gfp.h>
#include <linux/jiffies.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/moduleparam.h>
#include <linux/proc_fs.h>
#include <linux/random.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/vmalloc.h>
#include <net/net_namespace.h>

#include "internal.h"
#include "table.h"

#define WORK_BUDGET	64	/* sessions per run of a worker's work item */
#define MAX_WORKERS	64
#define ARENA_MAX_ORDER	9	/* 2 MiB compound pages: one direct-map PMD entry each */

static ushort port;
module_param(port, ushort, 0444);
MODULE_PARM_DESC(port, "port to serve on (default: the service's own)");

static uint sessions;
module_param(sessions, uint, 0444);
MODULE_PARM_DESC(sessions, "most sessions alive at once (default and maximum: the service's bound)");

static bool control;
module_param(control, bool, 0444);
MODULE_PARM_DESC(control, "for tests: a virtual clock and /proc/wyki/<service>.control (control.c)");

struct runtime rt;

/* ---- the arena: chunks of 2^order pages -------------------------------------------- */

/*
 * A bump allocator over a sequence of chunks.  Measuring runs it over pretend chunks
 * (chunk-aligned fake addresses, nothing written), so it pads exactly as the real run will.
 * An object never straddles two chunks: what does not fit in the rest of a chunk starts
 * the next one.
 */
struct carver {
	struct wyki_arena cur;
	size_t chunk_size;
	unsigned int started;		/* chunks begun so far */
	unsigned int nchunks;		/* real run: chunks available */
	struct page **pages;		/* real run: the chunks; NULL when measuring */
};

static void *carve_alloc(struct carver *cv, size_t size, size_t align)
{
	void *p = cv->started ? wyki_arena_alloc(&cv->cur, size, align) : NULL;
	uint8_t *base;

	if (p)
		return p;
	if (size > cv->chunk_size)
		return NULL;	/* can never fit: a larger order is needed */
	if (cv->pages) {
		if (cv->started >= cv->nchunks)
			return NULL;
		base = page_address(cv->pages[cv->started]);
	} else {
		base = (uint8_t *)(uintptr_t)(((uintptr_t)cv->started + 1) * cv->chunk_size);
	}
	cv->started++;
	wyki_arena_init(&cv->cur, base, cv->chunk_size);
	return wyki_arena_alloc(&cv->cur, size, align);
}

/*
 * A table's memory: carved like everything else, unless it is larger than the largest chunk
 * (kv's 16384 items of 1 KiB are 21 MiB, alloc_pages stops at 4 MiB): then an area of its
 * own from vzalloc (4 KiB pages, so more TLB misses than a chunk; allocated only by the real
 * run: measuring returns a placeholder that takes no chunk space).
 */
static void *table_alloc(struct carver *cv, size_t size)
{
	void *p;

	if (size <= (PAGE_SIZE << ARENA_MAX_ORDER))
		return carve_alloc(cv, size, WYKI_CACHELINE);
	if (!cv->pages)
		return (void *)(uintptr_t)WYKI_CACHELINE;
	if (rt.chunks.nbig >= WYKI_MAX_BIG_TABLES)
		return NULL;
	p = vzalloc(size);
	if (!p)
		return NULL;
	alloc_count(1);
	rt.chunks.big[rt.chunks.nbig++] = p;
	rt.chunks.big_bytes += size;
	return p;
}

/* Carve everything (user/main.c:carve, the same layout).  -1 if it does not fit. */
static int carve(struct carver *cv, const struct wyki_siphash_key *hkey)
{
	const struct wyki_service *svc = rt.svc;
	bool real = cv->pages != NULL;
	size_t frame = WYKI_ALIGN_UP((size_t)svc->frame_size, (size_t)WYKI_CACHELINE);
	struct worker *workers;
	struct conn *conns = NULL;
	uint8_t *mem;
	uint32_t i;

	workers = carve_alloc(cv, sizeof(struct worker) * rt.nworkers, WYKI_CACHELINE);
	if (rt.nsessions)
		conns = carve_alloc(cv, sizeof(struct conn) * rt.nsessions, WYKI_CACHELINE);
	if (!workers || (rt.nsessions && !conns))
		return -1;
	if (real)
		rt.workers = workers;
	for (i = 0; i < rt.nsessions; i++) {
		uint8_t *f = carve_alloc(cv, frame ? frame : WYKI_CACHELINE, WYKI_CACHELINE);
		uint8_t *rx = carve_alloc(cv, svc->rx_size, WYKI_CACHELINE);
		uint8_t *tx = carve_alloc(cv, svc->tx_size, WYKI_CACHELINE);

		if (!f || !rx || !tx)
			return -1;
		if (real) {
			conns[i].frame = f;
			conns[i].c.rx.data = rx;
			conns[i].c.rx.cap = svc->rx_size;
			conns[i].c.tx.data = tx;
			conns[i].c.tx.cap = svc->tx_size;
			conns[i].free_next = i + 1 < rt.nsessions ? &conns[i + 1] : NULL;
		}
	}
	if (real)
		rt.pool.free = rt.nsessions ? conns : NULL;
	for (i = 0; i < svc->ntables; i++) {
		const struct wyki_table_decl *d = &svc->tables[i];
		size_t size = wyki_table_mem_size(d->key_size, d->value_size, d->capacity);

		mem = size ? table_alloc(cv, size) : NULL;
		if (!mem)
			return -1;
		if (real)
			*d->handle = wyki_table_init(mem, d->name, d->key_size, d->value_size,
						     d->capacity, hkey);
	}
	for (i = 0; i < rt.nworkers; i++) {
		void *scratch = carve_alloc(cv, svc->scratch_size ? svc->scratch_size : 1,
					    WYKI_CACHELINE);
		void *udp = NULL;

		if (svc->proto == WYKI_UDP && i == 0)
			udp = carve_alloc(cv, udp_state_size(svc), WYKI_CACHELINE);
		if (!scratch || (svc->proto == WYKI_UDP && i == 0 && !udp))
			return -1;
		if (real) {
			workers[i].scratch = scratch;
			workers[i].udp = udp ? udp_state_init(udp, svc) : NULL;
		}
	}
	mem = carve_alloc(cv, sizeof(int64_t) * (svc->ntimers + 1), 8);
	if (!mem)
		return -1;
	if (real)
		workers[0].timer_next = (int64_t *)mem;
	return 0;
}

static void free_chunks(void)
{
	unsigned int i;

	for (i = 0; i < rt.chunks.nbig; i++) {
		vfree(rt.chunks.big[i]);
		alloc_count(-1);
	}
	rt.chunks.nbig = 0;
	rt.chunks.big_bytes = 0;
	for (i = 0; i < rt.chunks.count; i++) {
		if (rt.chunks.pages[i]) {
			__free_pages(rt.chunks.pages[i], rt.chunks.order);
			alloc_count(-1);
		}
	}
	if (rt.chunks.pages) {
		kfree(rt.chunks.pages);
		alloc_count(-1);
	}
	rt.chunks.pages = NULL;
	rt.chunks.count = 0;
}

/* Try 2 MiB chunks first, then smaller orders while every object still fits in one. */
static int setup_memory(void)
{
	struct wyki_siphash_key hkey;
	struct carver cv;
	unsigned int i;
	int order;

	get_random_bytes(&hkey, sizeof(hkey));
	for (order = ARENA_MAX_ORDER; order >= 0; order--) {
		memset(&cv, 0, sizeof(cv));
		cv.chunk_size = PAGE_SIZE << order;
		if (carve(&cv, &hkey) < 0)
			break;		/* an object larger than this order: smaller ones fail too */
		rt.chunks.pages = kcalloc(cv.started, sizeof(struct page *), GFP_KERNEL);
		if (!rt.chunks.pages)
			return -ENOMEM;
		alloc_count(1);
		rt.chunks.order = (unsigned int)order;
		rt.chunks.count = cv.started;
		for (i = 0; i < cv.started; i++) {
			rt.chunks.pages[i] = alloc_pages(GFP_KERNEL | __GFP_COMP | __GFP_NOWARN |
							 __GFP_ZERO, order);
			if (!rt.chunks.pages[i])
				break;
			alloc_count(1);
		}
		if (i < cv.started) {
			free_chunks();
			continue;	/* memory too fragmented for this order: smaller chunks */
		}
		memset(&cv, 0, sizeof(cv));
		cv.chunk_size = PAGE_SIZE << order;
		cv.nchunks = rt.chunks.count;
		cv.pages = rt.chunks.pages;
		if (carve(&cv, &hkey) < 0) {	/* cannot happen: same code, same sizes */
			free_chunks();
			return -ENOMEM;
		}
		rt.arena_used = (size_t)(cv.started - 1) * cv.chunk_size + cv.cur.used;
		return 0;
	}
	wyki_logf("%s: cannot allocate the arena", rt.svc->name);
	return -ENOMEM;
}

/* ---- workers ----------------------------------------------------------------------- */

static int64_t min_timeout(int64_t a, int64_t b)
{
	if (a < 0)
		return b;
	if (b < 0)
		return a;
	return a < b ? a : b;
}

/* Run the `every` timers that are due (worker 0); ms until the next one, -1 if none. */
static int64_t run_service_timers(struct worker *w)
{
	const struct wyki_service *svc = rt.svc;
	int64_t next = -1, *due;
	uint32_t i;
	int status;

	for (i = 0; i < svc->ntimers; i++) {
		due = &w->timer_next[i];
		if (w->now >= *due) {
			status = svc->timers[i].run(w->scratch);
			stat_inc(w->stats, WYKI_STAT_TIMER_RUNS);
			if (wyki_status_is_fault(status)) {
				stat_inc(w->stats, WYKI_STAT_FAULT_FIRST + wyki_status_fault(status));
				log_fault(w, svc->timers[i].name, status);
			}
			/* Keep the phase; after a long stall skip missed runs instead of bursting. */
			*due += svc->timers[i].period_ms;
			if (*due <= w->now)
				*due = w->now + svc->timers[i].period_ms;
		}
		if (next < 0 || *due - w->now < next)
			next = *due - w->now;
	}
	return next;
}

/*
 * One run of a worker: datagrams (worker 0 of a UDP service), expired wake-ups, `every`
 * timers (worker 0), then up to WORK_BUDGET sessions from the ready list with
 * cond_resched() between them.  Requeues itself while work is left, and arms the tick for
 * the next deadline.
 */
static void worker_work(struct work_struct *work)
{
	struct worker *w = container_of(work, struct worker, work);
	int64_t next = -1;
	bool more = false;
	struct conn *k;
	int n;

	if (rt_stopping())
		return;
	w->now = wyki_now_ms();
	if (w->udp && test_and_clear_bit(0, &w->udp_pending) && udp_readable(w)) {
		set_bit(0, &w->udp_pending);
		more = true;
	}
	wyki_wheel_expire(&w->wheel, w->now, conn_timer_fired, w);
	if (w->id == 0 && rt.svc->ntimers)
		next = run_service_timers(w);
	for (n = 0; n < WORK_BUDGET; n++) {
		spin_lock_bh(&w->lock);
		k = list_first_entry_or_null(&w->ready, struct conn, ready);
		if (k)
			list_del_init(&k->ready);
		spin_unlock_bh(&w->lock);
		if (!k)
			break;
		conn_process(w, k);
		cond_resched();
		w->now = wyki_now_ms();
	}
	spin_lock_bh(&w->lock);
	more |= !list_empty(&w->ready);
	spin_unlock_bh(&w->lock);
	if (more)
		queue_work(rt.wq, &w->work);
	if (rt.control)
		return;	/* the clock stands still: `advance` moves it and kicks the workers */
	next = min_timeout(next, wyki_wheel_timeout(&w->wheel, w->now));
	if (next >= 0)
		mod_timer(&w->tick, jiffies + max_t(unsigned long, 1,
						      msecs_to_jiffies((unsigned int)min_t(int64_t, next, 60000))));
}

static void worker_tick(struct timer_list *t)
{
	struct worker *w = from_timer(w, t, tick);

	if (!rt_stopping())
		queue_work(rt.wq, &w->work);
}

static void workers_init(void)
{
	int64_t now = wyki_now_ms();
	unsigned int i;

	for (i = 0; i < rt.nworkers; i++) {
		struct worker *w = &rt.workers[i];

		w->id = i;
		spin_lock_init(&w->lock);
		INIT_LIST_HEAD(&w->ready);
		INIT_LIST_HEAD(&w->conns);
		INIT_WORK(&w->work, worker_work);
		timer_setup(&w->tick, worker_tick, 0);
		wyki_wheel_init(&w->wheel, now);
		w->now = now;
	}
}

/* ---- /proc/wyki/<service> ---------------------------------------------------------- */

static int proc_show(struct seq_file *m, void *v)
{
	struct wyki_stats s;
	unsigned int i;

	(void)v;
	wyki_stats_snapshot(&s);
	seq_printf(m, "service %s\nproto %s\nport %u\nworkers %u\nsessions %u\nlive %u\n",
		   rt.svc->name, rt.svc->proto == WYKI_TCP ? "tcp" : "udp", rt.port, rt.nworkers,
		   rt.nsessions, READ_ONCE(rt.pool.live));
	seq_printf(m, "arena_bytes %zu\narena_chunks %u\narena_chunk_order %u\nvmalloc_bytes %zu\n"
		   "allocations %d\n", rt.arena_used, rt.chunks.count, rt.chunks.order,
		   rt.chunks.big_bytes, atomic_read(&rt.allocations));
	for (i = 0; i < WYKI_STAT_COUNT; i++) {
		if (i == WYKI_STAT_FAULT_FIRST + WYKI_FAULT_NONE)
			continue;
		seq_printf(m, "%s %llu\n", wyki_stat_name((enum wyki_stat)i),
			   (unsigned long long)s.v[i]);
	}
	return 0;
}

/* ---- load and unload --------------------------------------------------------------- */

static void release_memory(void)
{
	uint32_t i;

	for (i = 0; rt.chunks.pages && i < rt.svc->ntables; i++)
		if (*rt.svc->tables[i].handle) {
			wyki_table_destroy(*rt.svc->tables[i].handle);
			*rt.svc->tables[i].handle = NULL;
		}
	rt.workers = NULL;
	free_chunks();
}

static void report_unloaded(void)
{
	wyki_logf("%s unloaded, %d allocations outstanding", rt.svc->name,
		  atomic_read(&rt.allocations));
}

static int __init wyki_init(void)
{
	const struct wyki_service *svc = &wyki_service;
	int err, status;
	uint32_t i;

	rt.svc = svc;
	rt.control = control;
	rt.port = port ? port : svc->port;
	rt.nworkers = min_t(unsigned int, num_online_cpus(), MAX_WORKERS);
	rt.nsessions = svc->proto == WYKI_TCP ? svc->max_sessions : 0;
	if (sessions && svc->proto == WYKI_TCP) {
		if (sessions > svc->max_sessions) {
			wyki_logf("%s: sessions must be 1..%u (the service's bound)", svc->name,
				  svc->max_sessions);
			return -EINVAL;
		}
		rt.nsessions = sessions;
	}
	spin_lock_init(&rt.pool.lock);
	INIT_WORK(&rt.accept_work, accept_work_fn);
	atomic_set(&rt.allocations, 0);

	err = setup_memory();
	if (err)
		goto fail;
	workers_init();
	rt.wq = alloc_workqueue("wyki_%s", WQ_UNBOUND, 0, svc->name);
	if (!rt.wq) {
		err = -ENOMEM;
		goto fail;
	}
	if (svc->init) {
		status = svc->init(rt.workers[0].scratch);
		if (wyki_status_is_fault(status)) {
			wyki_logf("%s: init fault: %s", svc->name,
				  wyki_fault_name(wyki_status_fault(status)));
			err = -EINVAL;
			goto fail;
		}
	}
	for (i = 0; i < svc->ntimers; i++)
		rt.workers[0].timer_next[i] = wyki_now_ms() + svc->timers[i].period_ms;

	rt.proc_dir = proc_mkdir("wyki", NULL);
	if (rt.proc_dir)
		rt.proc_file = proc_create_single(svc->name, 0444, rt.proc_dir, proc_show);
	if (!rt.proc_file) {
		wyki_logf("%s: cannot create /proc/wyki/%s (another wyki module loaded?)",
			  svc->name, svc->name);
		err = -EEXIST;
		goto fail;
	}
	if (rt.control) {
		err = control_start(rt.proc_dir);
		if (err)
			goto fail;
	}

	err = svc->proto == WYKI_TCP ? tcp_start() : udp_start();
	if (err) {
		wyki_logf("%s: cannot listen on %s port %u: error %d", svc->name,
			  svc->proto == WYKI_TCP ? "tcp" : "udp", rt.port, err);
		goto fail;
	}
	if (svc->ntimers)
		worker_kick(&rt.workers[0]);	/* starts the `every` timers */
	wyki_logf("%s ready on %s port %u (%u workers, %u sessions, arena %zu KiB in %u chunks of order %u, tables %zu KiB in vmalloc)%s",
		  svc->name, svc->proto == WYKI_TCP ? "tcp" : "udp", rt.port, rt.nworkers,
		  rt.nsessions, rt.arena_used >> 10, rt.chunks.count, rt.chunks.order,
		  rt.chunks.big_bytes >> 10, rt.control ? ", control: virtual clock" : "");
	return 0;

fail:
	if (rt.proc_dir)
		proc_remove(rt.proc_dir);
	rt.proc_dir = NULL;
	if (rt.wq) {
		WRITE_ONCE(rt.stopping, true);
		flush_workqueue(rt.wq);
		for (i = 0; rt.workers && i < rt.nworkers; i++)
			del_timer_sync(&rt.workers[i].tick);
		destroy_workqueue(rt.wq);
		rt.wq = NULL;
	}
	release_memory();
	report_unloaded();
	return err;
}

static void __exit wyki_exit(void)
{
	unsigned int i;

	proc_remove(rt.proc_dir);					/* 1 */
	WRITE_ONCE(rt.stopping, true);					/* 2 */
	smp_mb();
	if (rt.svc->proto == WYKI_TCP)					/* 3 */
		tcp_stop_listener();
	else
		udp_stop();
	flush_workqueue(rt.wq);						/* 4 */
	for (i = 0; i < rt.nworkers; i++)				/* 5 */
		del_timer_sync(&rt.workers[i].tick);
	for (i = 0; i < rt.nworkers; i++)				/* 6 */
		close_all(&rt.workers[i]);
	synchronize_net();						/* 7 */
	destroy_workqueue(rt.wq);					/* 8 */
	rt.wq = NULL;
	release_memory();
	report_unloaded();
}

module_init(wyki_init);
module_exit(wyki_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("nanowyki service runtime (kernel backend)");
