// SPDX-License-Identifier: GPL-2.0-only
/*
 * Stress tests of one /dev/iommu context (needs CONFIG_IOMMUFD_TEST and
 * root).
 *
 * "threads": worker threads share one context and issue, at random and
 * for a fixed time, every command that creates, changes or destroys an
 * object: IOAS_ALLOC, IOAS_MAP (fixed and kernel-chosen IOVA),
 * IOAS_UNMAP (ranges and everything), IOAS_COPY between IOASes,
 * IOAS_IOVA_RANGES, IOAS_ALLOW_IOVAS, mock devices (created attached to
 * an IOAS or a HWPT, moved with MOCK_DOMAIN_REPLACE, removed by
 * destroying their selftest object), HWPT_ALLOC, IOMMU_DESTROY of random
 * IDs, and access objects of emulated devices (create, pin pages, unpin,
 * read/write, move to another IOAS, close). One more thread keeps
 * opening a second context, filling it with objects and closing it with
 * the objects live (in both orders of closing the context and an access
 * that holds it). The threads only know the objects through shared,
 * racy pools, so a call may name an object that is gone or whose ID was
 * reused: each command has a list of the errnos such races legitimately
 * produce, and anything else fails the test with the command and errno.
 * Afterwards every object is destroyed, the object table must be empty,
 * and nothing may stay pinned: VmPin (the context charges the process,
 * IOMMU_OPTION_RLIMIT_MODE 1) returns to its starting value and every
 * page of the buffers has no FOLL_PIN pin left (MD_CHECK_REFS). The
 * number of calls per command and outcome is printed at the end.
 *
 * "many_areas": maps one 4 KiB page into an IOAS and copies it with a
 * kernel-chosen IOVA into a second IOAS again and again, one area per
 * copy, printing the time each block of copies took (the IOVA search is
 * linear in the number of areas on kernels before the sub-linear
 * allocator, which makes this quadratic), then removes every area with
 * one IOAS_UNMAP and closes the context. The soft lockup detector is set
 * to its tightest threshold (kernel.watchdog_thresh = 1) meanwhile, so
 * that a long stretch of kernel work without a reschedule shows up in the
 * kernel log, which the harness scans after the run.
 *
 * Knobs (environment):
 *   IOMMUFD_STRESS_SECONDS        duration of "threads" (default 20)
 *   IOMMUFD_STRESS_THREADS        worker threads besides the reopen one
 *                                 (default 8)
 *   IOMMUFD_STRESS_SEED           seed of the workers' random choices
 *                                 (default: from the clock; printed)
 *   IOMMUFD_STRESS_AREAS          areas "many_areas" creates (default
 *                                 DEFAULT_AREAS below; 0 skips the test)
 *   IOMMUFD_STRESS_AREAS_SECONDS  time after which "many_areas" stops
 *                                 copying, whatever the count (default
 *                                 120); reaching it is reported, not a
 *                                 failure
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#include <linux/iommufd.h>

#include "../kselftest_harness.h"
#include "iommufd_utils.h"

#define DEFAULT_SECONDS 20
#define DEFAULT_THREADS 8
#define MAX_THREADS 64
/*
 * Measured on the debug kernel under TCG (2026-12-04): with the
 * sub-linear IOVA search about 13000 copies/s whatever the count, and
 * an IOAS_UNMAP of everything at about 23000 areas/s, so 512k areas take
 * about a minute (1M: 81 s of copies, 45 s of unmap). With the linear
 * search the rate falls from 3500/s to 100/s by 16k areas, and the time
 * limit stops the copies.
 */
#define DEFAULT_AREAS 524288
#define DEFAULT_AREAS_SECONDS 120

#define WATCHDOG_THRESH "/proc/sys/kernel/watchdog_thresh"

/* Mock IOMMU aperture: [1 << 24, (1 << 31) - 1] */
#define APERTURE_LAST 0x7fffffffUL
/* Fixed IOVAs go into 64 KiB cells of this window inside the aperture */
#define CELL SZ_64K
#define NR_CELLS 4096
/* ... or, now and then, outside the aperture */
#define OUTSIDE_BASE 0x100000000ULL

#define BUF_SIZE (16 * SZ_1M)
#define RO_SIZE SZ_1M

/* Sizes of the shared pools of objects */
#define NR_IOAS 12
#define NR_DEV 8
#define NR_HWPT 8
#define NR_SEEN 32
#define NR_ACCESS 6

/* Per-thread memory of recent mappings and access pins */
#define NR_RECENT 16
#define NR_PINS 8

#define MAX_ERRNO 140

/*
 * A TAP comment line. Tests run in a forked child that leaves with
 * _exit(), which drops stdio buffers, so every line is flushed. A macro
 * around printf() so that the compiler checks the format (a string
 * literal) against the arguments.
 */
#define note(fmt, ...) do {				\
	flockfile(stdout);				\
	printf("# " fmt "\n", ##__VA_ARGS__);		\
	fflush(stdout);					\
	funlockfile(stdout);				\
} while (0)

/* Formats of note() too long for their call, each whole for grep */
#define RANGE_ORDER_NOTE "thread %u: IOAS_IOVA_RANGES of ioas %u: range %u [0x%llx, 0x%llx] out of order"
#define THREADS_NOTE "%lu worker threads and one reopening thread for %lu s, seed 0x%llx (IOMMUFD_STRESS_SEED)"
#define SWEEP_NOTE "objects outside the pools at the end (destroyed by the sweep): %u; objects the pools had no room for: %lu"
#define AREAS_STOP_NOTE "stopping at %lu areas: over IOMMUFD_STRESS_AREAS_SECONDS=%.0f"

static unsigned int rnd(__u64 *state, unsigned int n)
{
	return (xorshift64s(state) >> 32) % n;
}

/* ------------------------------------------------------------------ */
/* Operations and the errnos each may legitimately end with            */

enum {
	OP_IOAS_ALLOC,
	OP_IOAS_DESTROY,
	OP_MAP_FIXED,
	OP_MAP_AUTO,
	OP_UNMAP_RANGE,
	OP_UNMAP_ALL,
	OP_COPY,
	OP_IOVA_RANGES,
	OP_ALLOW_IOVAS,
	OP_MOCK_ON_IOAS,
	OP_MOCK_ON_HWPT,
	OP_MOCK_DESTROY,
	OP_HWPT_ALLOC,
	OP_HWPT_DESTROY,
	OP_REPLACE,
	OP_DESTROY_RANDOM,
	OP_ACCESS_CREATE,
	OP_ACCESS_CLOSE,
	OP_ACCESS_PAGES,
	OP_ACCESS_UNPIN,
	OP_ACCESS_RW,
	OP_ACCESS_REPLACE,
	OP_REOPEN,
	NR_OPS,
};

/*
 * Why each errno is possible; "gone" means another thread destroyed the
 * object first, "reused" that its ID now names an object of another
 * type. Nothing is charged against a limit (root has CAP_IPC_LOCK) and
 * memory is plentiful, so ENOMEM is never expected.
 */
static const struct op_desc {
	const char *name;
	unsigned int weight;	/* relative frequency; 0: not picked */
	int allowed[6];		/* zero-terminated */
} op_descs[NR_OPS] = {
	[OP_IOAS_ALLOC] = { "IOAS_ALLOC", 4, { 0 } },
	/* gone; EBUSY: in use by a HWPT, access or a concurrent call */
	[OP_IOAS_DESTROY] = { "DESTROY(ioas)", 2, { ENOENT, EBUSY } },
	/*
	 * gone; EEXIST: overlaps an area; EINVAL: touches a reserved range
	 * (outside the aperture of an attached mock device)
	 */
	[OP_MAP_FIXED] = { "IOAS_MAP(fixed)", 10, { ENOENT, EEXIST, EINVAL } },
	/* gone; ENOSPC: the allowed ranges or the aperture are full */
	[OP_MAP_AUTO] = { "IOAS_MAP(auto)", 6, { ENOENT, ENOSPC } },
	/*
	 * gone, or no area in the range, or an area sticks out; EBUSY: an
	 * access pinned the range between the unmap callback and the retry
	 */
	[OP_UNMAP_RANGE] = { "IOAS_UNMAP(range)", 8, { ENOENT, EBUSY } },
	[OP_UNMAP_ALL] = { "IOAS_UNMAP(all)", 1, { ENOENT, EBUSY } },
	/*
	 * gone, or the source range is not fully mapped; EEXIST, EINVAL,
	 * ENOSPC: as for a map, about the destination; EPERM: a writeable
	 * copy of memory pinned read-only
	 */
	[OP_COPY] = { "IOAS_COPY", 8,
		      { ENOENT, EEXIST, EINVAL, ENOSPC, EPERM } },
	/* gone; EMSGSIZE: more ranges than the array holds */
	[OP_IOVA_RANGES] = { "IOAS_IOVA_RANGES", 3, { ENOENT, EMSGSIZE } },
	/* gone; EADDRINUSE: a range outside an attached device's aperture */
	[OP_ALLOW_IOVAS] = { "IOAS_ALLOW_IOVAS", 2, { ENOENT, EADDRINUSE } },
	/*
	 * gone; EINVAL: reused as neither IOAS nor HWPT; EADDRINUSE: areas
	 * or allowed ranges outside the mock aperture
	 */
	[OP_MOCK_ON_IOAS] = { "MOCK_DOMAIN(ioas)", 3,
			      { ENOENT, EINVAL, EADDRINUSE } },
	/* the same, the HWPT's ID possibly reused as an IOAS */
	[OP_MOCK_ON_HWPT] = { "MOCK_DOMAIN(hwpt)", 2,
			      { ENOENT, EINVAL, EADDRINUSE } },
	/* gone; EBUSY: a concurrent replace holds the selftest object */
	[OP_MOCK_DESTROY] = { "DESTROY(stdev)", 3, { ENOENT, EBUSY } },
	/*
	 * device or IOAS gone; EINVAL: pt_id reused as a non-IOAS;
	 * EOPNOTSUPP: pt_id reused as a paging HWPT, of which only nested
	 * HWPTs (with data) can be made; EADDRINUSE: the IOAS maps or
	 * allows IOVAs outside the aperture
	 */
	[OP_HWPT_ALLOC] = { "HWPT_ALLOC", 3,
			    { ENOENT, EINVAL, EOPNOTSUPP, EADDRINUSE } },
	/* gone; EBUSY: a device is attached to it */
	[OP_HWPT_DESTROY] = { "DESTROY(hwpt)", 2, { ENOENT, EBUSY } },
	/* as MOCK_DOMAIN, for the device and the new page table */
	[OP_REPLACE] = { "MOCK_DOMAIN_REPLACE", 4,
			 { ENOENT, EINVAL, EADDRINUSE } },
	/* no such object; EBUSY: in use (or held by a driver) */
	[OP_DESTROY_RANDOM] = { "DESTROY(random id)", 1, { ENOENT, EBUSY } },
	/* IOAS gone */
	[OP_ACCESS_CREATE] = { "CREATE_ACCESS", 2, { ENOENT } },
	[OP_ACCESS_CLOSE] = { "close(access)", 2, { 0 } },
	/*
	 * EBADFD: the fd was closed (or its number reused by another kind
	 * of file); EINVAL: the access was made without the pin flag;
	 * ENOENT: the range is not mapped, or the access is being moved;
	 * EPERM: a write pin of a read-only mapping
	 */
	[OP_ACCESS_PAGES] = { "ACCESS_PAGES", 5,
			      { EBADFD, EINVAL, ENOENT, EPERM } },
	/* EBADFD as above; ENOENT: an unmap callback released the pin */
	[OP_ACCESS_UNPIN] = { "DESTROY_ACCESS_PAGES", 3, { EBADFD, ENOENT } },
	/* as ACCESS_PAGES, without the pin flag rule */
	[OP_ACCESS_RW] = { "ACCESS_RW", 4, { EBADFD, ENOENT, EPERM } },
	/*
	 * EBADFD; ENOENT: IOAS gone; EBUSY: a pin made concurrently was not
	 * yet known to the unmap callback
	 */
	[OP_ACCESS_REPLACE] = { "ACCESS_REPLACE_IOAS", 2,
				{ EBADFD, ENOENT, EBUSY } },
	/* the reopening thread: its own context, every step must work */
	[OP_REOPEN] = { "reopen (2nd fd)", 0, { 0 } },
};

/* ------------------------------------------------------------------ */
/* Shared state                                                        */

struct stress {
	int fd;
	char *buf;		/* BUF_SIZE, read-write */
	char *robuf;		/* RO_SIZE, read-only */
	__u32 ioas[NR_IOAS];
	__u64 dev[NR_DEV];	/* stdev id << 32 | idev id */
	__u32 hwpt[NR_HWPT];	/* HWPTs we allocated; owned by the pool */
	__u32 seen[NR_SEEN];	/* any HWPT ID seen; not owned */
	__u32 access[NR_ACCESS];	/* access fd + 1; 0 is an empty slot */
	__u32 max_id;
	int stop;
	int failed;
	unsigned long created;	/* objects created, for the report */
	unsigned long lost;	/* objects no pool had room for */
};

struct recent {
	__u32 ioas;
	__u64 iova;
	__u64 length;
};

struct pin {
	int fd;
	__u32 id;
};

struct worker {
	struct stress *s;
	pthread_t thread;
	unsigned int idx;
	__u64 rng;
	struct recent recent[NR_RECENT];
	unsigned int nr_recent;
	struct pin pins[NR_PINS];
	unsigned int nr_pins;
	char *rwbuf;		/* SZ_64K, for ACCESS_RW */
	unsigned long count[NR_OPS][MAX_ERRNO + 1];
	unsigned long skipped[NR_OPS];
	double max_secs[NR_OPS];	/* the slowest operation of each kind */
	unsigned long created;
	unsigned long iterations;	/* of the reopening thread */
};

static bool stopping(struct stress *s)
{
	return __atomic_load_n(&s->stop, __ATOMIC_RELAXED);
}

static void see_id(struct stress *s, __u32 id)
{
	__u32 cur = __atomic_load_n(&s->max_id, __ATOMIC_RELAXED);

	while (id > cur &&
	       !__atomic_compare_exchange_n(&s->max_id, &cur, id, false,
					    __ATOMIC_RELAXED,
					    __ATOMIC_RELAXED))
		;
}

/*
 * Account the result of one call of @op; an errno outside the op's list
 * fails the test and stops every thread. @what describes the arguments.
 */
static void record(struct worker *w, unsigned int op, int rc,
		   const char *what)
{
	const struct op_desc *d = &op_descs[op];
	int e = rc ? errno : 0;
	unsigned int i;

	if (e < 0 || e > MAX_ERRNO)
		e = MAX_ERRNO;
	w->count[op][e]++;
	if (!e)
		return;
	for (i = 0; i < ARRAY_SIZE(d->allowed) && d->allowed[i]; i++)
		if (d->allowed[i] == e)
			return;
	note("thread %u: %s (%s) failed with %s (%d): not an allowed result",
	     w->idx, d->name, what, errno_name(e), e);
	__atomic_store_n(&w->s->failed, 1, __ATOMIC_RELAXED);
	__atomic_store_n(&w->s->stop, 1, __ATOMIC_RELAXED);
}

/*
 * A new object found its pool full: destroy it again. Should it be in
 * use already (its ID reached another thread by reuse), it is lost to
 * the pools, and the final sweep destroys it.
 */
static void destroy_unpooled(struct worker *w, unsigned int op, __u32 id)
{
	int rc = destroy(w->s->fd, id);

	record(w, op, rc, "pool full");
	if (rc && errno == EBUSY)
		__atomic_add_fetch(&w->s->lost, 1, __ATOMIC_RELAXED);
}

/* Pools: slots hold an ID or 0; peek reads one, take empties one. */
static bool pool_put(__u32 *slots, unsigned int n, __u32 v, __u64 *rng)
{
	unsigned int i, start = rnd(rng, n);

	for (i = 0; i != n; i++) {
		__u32 zero = 0;

		if (__atomic_compare_exchange_n(&slots[(start + i) % n], &zero,
						v, false, __ATOMIC_RELAXED,
						__ATOMIC_RELAXED))
			return true;
	}
	return false;
}

static __u32 pool_peek(__u32 *slots, unsigned int n, __u64 *rng)
{
	return __atomic_load_n(&slots[rnd(rng, n)], __ATOMIC_RELAXED);
}

static __u32 pool_take(__u32 *slots, unsigned int n, __u64 *rng)
{
	return __atomic_exchange_n(&slots[rnd(rng, n)], 0, __ATOMIC_RELAXED);
}

static bool pool_put64(__u64 *slots, unsigned int n, __u64 v, __u64 *rng)
{
	unsigned int i, start = rnd(rng, n);

	for (i = 0; i != n; i++) {
		__u64 zero = 0;

		if (__atomic_compare_exchange_n(&slots[(start + i) % n], &zero,
						v, false, __ATOMIC_RELAXED,
						__ATOMIC_RELAXED))
			return true;
	}
	return false;
}

static __u64 pool_peek64(__u64 *slots, unsigned int n, __u64 *rng)
{
	return __atomic_load_n(&slots[rnd(rng, n)], __ATOMIC_RELAXED);
}

static __u64 pool_take64(__u64 *slots, unsigned int n, __u64 *rng)
{
	return __atomic_exchange_n(&slots[rnd(rng, n)], 0, __ATOMIC_RELAXED);
}

/* Any HWPT ID seen: overwrite a random slot, the pool owns nothing */
static void seen_hwpt(struct stress *s, __u32 id, __u64 *rng)
{
	see_id(s, id);
	__atomic_store_n(&s->seen[rnd(rng, NR_SEEN)], id, __ATOMIC_RELAXED);
}

static void remember(struct worker *w, __u32 ioas, __u64 iova, __u64 length)
{
	w->recent[w->nr_recent++ % NR_RECENT] = (struct recent){
		.ioas = ioas, .iova = iova, .length = length,
	};
}

/* A recent mapping, or NULL when there is none yet */
static struct recent *pick_recent(struct worker *w)
{
	if (!w->nr_recent)
		return NULL;
	return &w->recent[rnd(&w->rng,
			      w->nr_recent < NR_RECENT ? w->nr_recent :
							 NR_RECENT)];
}

/* A fixed IOVA and length that stay inside one 64 KiB cell */
static void rand_fixed(struct worker *w, __u64 *iova, __u64 *length)
{
	unsigned int off = rnd(&w->rng, CELL / SZ_4K);

	*length = (1 + rnd(&w->rng, CELL / SZ_4K - off)) * SZ_4K;
	if (!rnd(&w->rng, 16))
		*iova = OUTSIDE_BASE + (__u64)rnd(&w->rng, 256) * CELL;
	else
		*iova = MOCK_APERTURE_START +
			(__u64)rnd(&w->rng, NR_CELLS) * CELL;
	*iova += off * SZ_4K;
}

/* Memory for a map of @length: its address and the map flags */
static const void *rand_memory(struct worker *w, __u64 length, __u32 *flags)
{
	struct stress *s = w->s;
	unsigned int r = rnd(&w->rng, 20);

	if (r < 2) {
		*flags = IOMMU_IOAS_MAP_READABLE;
		return s->robuf + rnd(&w->rng, (RO_SIZE - length) / SZ_4K + 1) *
				  SZ_4K;
	}
	if (r < 5)
		*flags = IOMMU_IOAS_MAP_READABLE;
	else if (r < 7)
		*flags = IOMMU_IOAS_MAP_WRITEABLE;
	else
		*flags = MAP_RW;
	return s->buf + rnd(&w->rng, (BUF_SIZE - length) / SZ_4K + 1) * SZ_4K;
}

/* ------------------------------------------------------------------ */
/* The operations. Each returns false when it found nothing to act on. */

static bool op_ioas_alloc(struct worker *w)
{
	struct stress *s = w->s;
	__u32 id;
	int rc;

	rc = ioas_alloc(s->fd, &id);
	record(w, OP_IOAS_ALLOC, rc, "");
	if (rc)
		return true;
	see_id(s, id);
	w->created++;
	if (!pool_put(s->ioas, NR_IOAS, id, &w->rng))
		destroy_unpooled(w, OP_IOAS_DESTROY, id);
	return true;
}

static bool op_ioas_destroy(struct worker *w)
{
	struct stress *s = w->s;
	__u32 id = pool_take(s->ioas, NR_IOAS, &w->rng);
	int rc;

	if (!id)
		return false;
	rc = destroy(s->fd, id);
	record(w, OP_IOAS_DESTROY, rc, "");
	/* Should the pool be full again, the final sweep destroys it. */
	if (rc && errno == EBUSY)
		if (!pool_put(s->ioas, NR_IOAS, id, &w->rng))
			__atomic_add_fetch(&s->lost, 1, __ATOMIC_RELAXED);
	return true;
}

static bool op_map(struct worker *w, bool fixed)
{
	struct stress *s = w->s;
	__u32 id = pool_peek(s->ioas, NR_IOAS, &w->rng);
	__u64 iova, length;
	const void *va;
	__u32 flags;
	char what[96];
	int rc;

	if (!id)
		return false;
	rand_fixed(w, &iova, &length);
	va = rand_memory(w, length, &flags);
	if (fixed)
		flags |= IOMMU_IOAS_MAP_FIXED_IOVA;
	snprintf(what, sizeof(what), "ioas %u iova 0x%llx length 0x%llx",
		 id, (unsigned long long)iova, (unsigned long long)length);
	rc = ioas_map(s->fd, id, flags, va, length, &iova);
	record(w, fixed ? OP_MAP_FIXED : OP_MAP_AUTO, rc, what);
	if (!rc)
		remember(w, id, iova, length);
	return true;
}

static bool op_unmap_range(struct worker *w)
{
	struct stress *s = w->s;
	struct recent *r = pick_recent(w);
	__u64 iova, length;
	char what[96];
	__u32 id;
	int rc;

	if (r && rnd(&w->rng, 4)) {
		/* Probably exactly one area */
		id = r->ioas;
		iova = r->iova;
		length = r->length;
	} else {
		/* Whole cells, which most areas do not cross */
		id = pool_peek(s->ioas, NR_IOAS, &w->rng);
		if (!id)
			return false;
		iova = MOCK_APERTURE_START +
		       (__u64)rnd(&w->rng, NR_CELLS) * CELL;
		length = (1 + rnd(&w->rng, 8)) * CELL;
	}
	snprintf(what, sizeof(what), "ioas %u iova 0x%llx length 0x%llx",
		 id, (unsigned long long)iova, (unsigned long long)length);
	rc = ioas_unmap(s->fd, id, iova, length, NULL);
	record(w, OP_UNMAP_RANGE, rc, what);
	return true;
}

static bool op_unmap_all(struct worker *w)
{
	struct stress *s = w->s;
	__u32 id = pool_peek(s->ioas, NR_IOAS, &w->rng);
	char what[32];

	if (!id)
		return false;
	snprintf(what, sizeof(what), "ioas %u", id);
	record(w, OP_UNMAP_ALL, ioas_unmap(s->fd, id, 0, UINT64_MAX, NULL),
	       what);
	return true;
}

static bool op_copy(struct worker *w)
{
	struct stress *s = w->s;
	struct recent *r = pick_recent(w);
	__u32 src, dst, flags;
	__u64 src_iova, length, dst_iova, dummy;
	char what[128];
	int rc;

	dst = pool_peek(s->ioas, NR_IOAS, &w->rng);
	if (!dst)
		return false;
	if (r && rnd(&w->rng, 4)) {
		src = r->ioas;
		src_iova = r->iova;
		length = r->length;
	} else {
		src = pool_peek(s->ioas, NR_IOAS, &w->rng);
		if (!src)
			return false;
		rand_fixed(w, &src_iova, &length);
	}
	rand_fixed(w, &dst_iova, &dummy);
	switch (rnd(&w->rng, 3)) {
	case 0:
		flags = IOMMU_IOAS_MAP_READABLE;
		break;
	case 1:
		flags = IOMMU_IOAS_MAP_WRITEABLE;
		break;
	default:
		flags = MAP_RW;
	}
	if (rnd(&w->rng, 2))
		flags |= IOMMU_IOAS_MAP_FIXED_IOVA;
	snprintf(what, sizeof(what),
		 "ioas %u iova 0x%llx length 0x%llx to ioas %u%s",
		 src, (unsigned long long)src_iova, (unsigned long long)length,
		 dst, flags & IOMMU_IOAS_MAP_FIXED_IOVA ? " fixed" : "");
	rc = ioas_copy(s->fd, dst, src, flags, src_iova, length, &dst_iova);
	record(w, OP_COPY, rc, what);
	if (!rc)
		remember(w, dst, dst_iova, length);
	return true;
}

static bool op_iova_ranges(struct worker *w)
{
	struct stress *s = w->s;
	__u32 id = pool_peek(s->ioas, NR_IOAS, &w->rng);
	struct iommu_iova_range ranges[16];
	__u32 num = rnd(&w->rng, 2) ? 16 : 1;
	__u64 align;
	unsigned int i;
	int rc;

	if (!id)
		return false;
	rc = iova_ranges(s->fd, id, ranges, &num, &align);
	record(w, OP_IOVA_RANGES, rc, "");
	if (rc)
		return true;
	/* Ascending, disjoint, non-empty */
	for (i = 0; i != num; i++) {
		if (ranges[i].start > ranges[i].last ||
		    (i && ranges[i].start <= ranges[i - 1].last)) {
			note(RANGE_ORDER_NOTE, w->idx, id, i,
			     (unsigned long long)ranges[i].start,
			     (unsigned long long)ranges[i].last);
			__atomic_store_n(&s->failed, 1, __ATOMIC_RELAXED);
			__atomic_store_n(&s->stop, 1, __ATOMIC_RELAXED);
		}
	}
	return true;
}

static bool op_allow_iovas(struct worker *w)
{
	struct stress *s = w->s;
	__u32 id = pool_peek(s->ioas, NR_IOAS, &w->rng);
	struct iommu_iova_range ranges[2];
	__u32 num = 1;
	unsigned int r = rnd(&w->rng, 10);

	if (!id)
		return false;
	ranges[0].start = MOCK_APERTURE_START;
	ranges[0].last = MOCK_APERTURE_START + SZ_1M * 1024 - 1;
	if (r < 2) {
		num = 0;
	} else if (r < 3) {
		ranges[0].last = MOCK_APERTURE_START + NR_CELLS * CELL / 2 - 1;
		ranges[1].start = MOCK_APERTURE_START + NR_CELLS * CELL;
		ranges[1].last = APERTURE_LAST;
		num = 2;
	} else if (r < 4) {
		ranges[0].start = OUTSIDE_BASE;
		ranges[0].last = 2 * OUTSIDE_BASE - 1;
	}
	record(w, OP_ALLOW_IOVAS, allow_iovas(s->fd, id, ranges, num), "");
	return true;
}

static void put_dev(struct worker *w, __u32 stdev, __u32 hwpt, __u32 idev)
{
	struct stress *s = w->s;

	see_id(s, stdev);
	see_id(s, idev);
	seen_hwpt(s, hwpt, &w->rng);
	w->created++;
	if (!pool_put64(s->dev, NR_DEV, (__u64)stdev << 32 | idev, &w->rng))
		destroy_unpooled(w, OP_MOCK_DESTROY, stdev);
}

static bool op_mock(struct worker *w, bool on_hwpt)
{
	struct stress *s = w->s;
	__u32 pt, stdev, hwpt, idev;
	char what[32];
	int rc;

	if (on_hwpt)
		pt = rnd(&w->rng, 2) ? pool_peek(s->hwpt, NR_HWPT, &w->rng) :
				       pool_peek(s->seen, NR_SEEN, &w->rng);
	else
		pt = pool_peek(s->ioas, NR_IOAS, &w->rng);
	if (!pt)
		return false;
	snprintf(what, sizeof(what), "pt %u", pt);
	rc = mock_domain(s->fd, pt, &stdev, &hwpt, &idev);
	record(w, on_hwpt ? OP_MOCK_ON_HWPT : OP_MOCK_ON_IOAS, rc, what);
	if (!rc)
		put_dev(w, stdev, hwpt, idev);
	return true;
}

static bool op_mock_destroy(struct worker *w)
{
	struct stress *s = w->s;
	__u64 dev = pool_take64(s->dev, NR_DEV, &w->rng);
	int rc;

	if (!dev)
		return false;
	rc = destroy(s->fd, dev >> 32);
	record(w, OP_MOCK_DESTROY, rc, "");
	if (rc && errno == EBUSY)
		if (!pool_put64(s->dev, NR_DEV, dev, &w->rng))
			__atomic_add_fetch(&s->lost, 1, __ATOMIC_RELAXED);
	return true;
}

static bool op_hwpt_alloc(struct worker *w)
{
	struct stress *s = w->s;
	__u64 dev = pool_peek64(s->dev, NR_DEV, &w->rng);
	__u32 ioas = pool_peek(s->ioas, NR_IOAS, &w->rng);
	char what[48];
	__u32 hwpt;
	int rc;

	if (!dev || !ioas)
		return false;
	snprintf(what, sizeof(what), "dev %u pt %u", (__u32)dev, ioas);
	rc = hwpt_alloc(s->fd, (__u32)dev, ioas, &hwpt);
	record(w, OP_HWPT_ALLOC, rc, what);
	if (rc)
		return true;
	w->created++;
	seen_hwpt(s, hwpt, &w->rng);
	if (!pool_put(s->hwpt, NR_HWPT, hwpt, &w->rng))
		destroy_unpooled(w, OP_HWPT_DESTROY, hwpt);
	return true;
}

static bool op_hwpt_destroy(struct worker *w)
{
	struct stress *s = w->s;
	__u32 id = pool_take(s->hwpt, NR_HWPT, &w->rng);
	int rc;

	if (!id)
		return false;
	rc = destroy(s->fd, id);
	record(w, OP_HWPT_DESTROY, rc, "");
	if (rc && errno == EBUSY)
		if (!pool_put(s->hwpt, NR_HWPT, id, &w->rng))
			__atomic_add_fetch(&s->lost, 1, __ATOMIC_RELAXED);
	return true;
}

static bool op_replace(struct worker *w)
{
	struct stress *s = w->s;
	__u64 dev = pool_peek64(s->dev, NR_DEV, &w->rng);
	char what[48];
	__u32 pt, hwpt;
	int rc;

	if (!dev)
		return false;
	switch (rnd(&w->rng, 3)) {
	case 0:
		pt = pool_peek(s->ioas, NR_IOAS, &w->rng);
		break;
	case 1:
		pt = pool_peek(s->hwpt, NR_HWPT, &w->rng);
		break;
	default:
		pt = pool_peek(s->seen, NR_SEEN, &w->rng);
	}
	if (!pt)
		return false;
	snprintf(what, sizeof(what), "stdev %u to pt %u",
		 (__u32)(dev >> 32), pt);
	rc = mock_domain_replace(s->fd, dev >> 32, pt, &hwpt);
	record(w, OP_REPLACE, rc, what);
	if (!rc)
		seen_hwpt(s, hwpt, &w->rng);
	return true;
}

static bool op_destroy_random(struct worker *w)
{
	struct stress *s = w->s;
	__u32 max = __atomic_load_n(&s->max_id, __ATOMIC_RELAXED);
	__u32 id = 1 + rnd(&w->rng, max + 4);
	char what[32];

	snprintf(what, sizeof(what), "id %u", id);
	record(w, OP_DESTROY_RANDOM, destroy(s->fd, id), what);
	return true;
}

static bool op_access_create(struct worker *w)
{
	struct stress *s = w->s;
	__u32 ioas = pool_peek(s->ioas, NR_IOAS, &w->rng);
	int rc, afd;

	if (!ioas)
		return false;
	rc = create_access(s->fd, ioas,
			   rnd(&w->rng, 4) ?
				   MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES : 0,
			   &afd);
	record(w, OP_ACCESS_CREATE, rc, "");
	if (rc)
		return true;
	w->created++;
	if (!pool_put(s->access, NR_ACCESS, afd + 1, &w->rng))
		record(w, OP_ACCESS_CLOSE, close(afd), "pool full");
	return true;
}

static bool op_access_close(struct worker *w)
{
	struct stress *s = w->s;
	int afd = pool_take(s->access, NR_ACCESS, &w->rng);

	if (!afd)
		return false;
	record(w, OP_ACCESS_CLOSE, close(afd - 1), "");
	return true;
}

static int peek_access(struct worker *w)
{
	return (int)pool_peek(w->s->access, NR_ACCESS, &w->rng) - 1;
}

static bool op_access_pages(struct worker *w)
{
	struct recent *r = pick_recent(w);
	int afd = peek_access(w);
	__u32 flags = 0, id;
	char what[80];
	int rc;

	if (afd < 0 || !r)
		return false;
	if (rnd(&w->rng, 2))
		flags |= MOCK_FLAGS_ACCESS_WRITE;
	snprintf(what, sizeof(what), "fd %d iova 0x%llx length 0x%llx", afd,
		 (unsigned long long)r->iova, (unsigned long long)r->length);
	rc = access_pages(w->s->fd, afd, r->iova, r->length, NULL, flags,
			  &id);
	record(w, OP_ACCESS_PAGES, rc, what);
	if (rc)
		return true;
	if (w->nr_pins == NR_PINS) {
		/* Give back the oldest before remembering a new one */
		record(w, OP_ACCESS_UNPIN,
		       destroy_access_pages(w->s->fd, w->pins[0].fd,
					    w->pins[0].id),
		       "oldest");
		memmove(&w->pins[0], &w->pins[1],
			sizeof(w->pins[0]) * (NR_PINS - 1));
		w->nr_pins--;
	}
	w->pins[w->nr_pins++] = (struct pin){ .fd = afd, .id = id };
	return true;
}

static bool op_access_unpin(struct worker *w)
{
	unsigned int i;

	if (!w->nr_pins)
		return false;
	i = rnd(&w->rng, w->nr_pins);
	record(w, OP_ACCESS_UNPIN,
	       destroy_access_pages(w->s->fd, w->pins[i].fd,
				    w->pins[i].id), "");
	w->pins[i] = w->pins[--w->nr_pins];
	return true;
}

static bool op_access_rw(struct worker *w)
{
	struct recent *r = pick_recent(w);
	int afd = peek_access(w);
	__u32 flags = 0;
	__u64 off, len;

	if (afd < 0 || !r)
		return false;
	if (rnd(&w->rng, 2))
		flags |= MOCK_ACCESS_RW_WRITE;
	if (!rnd(&w->rng, 4))
		flags |= MOCK_ACCESS_RW_SLOW_PATH;
	/* Any byte range of the mapping, not only whole pages */
	off = rnd(&w->rng, r->length);
	len = 1 + rnd(&w->rng, r->length - off);
	record(w, OP_ACCESS_RW,
	       access_rw(w->s->fd, afd, r->iova + off, w->rwbuf, len, flags),
	       "");
	return true;
}

static bool op_access_replace(struct worker *w)
{
	__u32 ioas = pool_peek(w->s->ioas, NR_IOAS, &w->rng);
	int afd = peek_access(w);

	if (afd < 0 || !ioas)
		return false;
	record(w, OP_ACCESS_REPLACE, access_replace_ioas(w->s->fd, afd, ioas), "");
	return true;
}

static bool (*const op_funcs[NR_OPS])(struct worker *w) = {
	[OP_IOAS_ALLOC] = op_ioas_alloc,
	[OP_IOAS_DESTROY] = op_ioas_destroy,
	[OP_UNMAP_RANGE] = op_unmap_range,
	[OP_UNMAP_ALL] = op_unmap_all,
	[OP_COPY] = op_copy,
	[OP_IOVA_RANGES] = op_iova_ranges,
	[OP_ALLOW_IOVAS] = op_allow_iovas,
	[OP_MOCK_DESTROY] = op_mock_destroy,
	[OP_HWPT_ALLOC] = op_hwpt_alloc,
	[OP_HWPT_DESTROY] = op_hwpt_destroy,
	[OP_REPLACE] = op_replace,
	[OP_DESTROY_RANDOM] = op_destroy_random,
	[OP_ACCESS_CREATE] = op_access_create,
	[OP_ACCESS_CLOSE] = op_access_close,
	[OP_ACCESS_PAGES] = op_access_pages,
	[OP_ACCESS_UNPIN] = op_access_unpin,
	[OP_ACCESS_RW] = op_access_rw,
	[OP_ACCESS_REPLACE] = op_access_replace,
};

static bool run_op(struct worker *w, unsigned int op)
{
	switch (op) {
	case OP_MAP_FIXED:
		return op_map(w, true);
	case OP_MAP_AUTO:
		return op_map(w, false);
	case OP_MOCK_ON_IOAS:
		return op_mock(w, false);
	case OP_MOCK_ON_HWPT:
		return op_mock(w, true);
	default:
		return op_funcs[op](w);
	}
}

static void *worker_thread(void *arg)
{
	struct worker *w = arg;
	unsigned int total = 0, op, r;

	for (op = 0; op != NR_OPS; op++)
		total += op_descs[op].weight;
	while (!stopping(w->s)) {
		double t;

		r = rnd(&w->rng, total);
		for (op = 0; r >= op_descs[op].weight; op++)
			r -= op_descs[op].weight;
		t = seconds_now();
		if (!run_op(w, op))
			w->skipped[op]++;
		t = seconds_now() - t;
		if (t > w->max_secs[op])
			w->max_secs[op] = t;
	}
	/* Pins this thread still knows of go with the accesses' close. */
	return NULL;
}

/* One step of the reopening thread, which must succeed */
static bool reopen_step(struct worker *w, int rc, const char *what)
{
	record(w, OP_REOPEN, rc, what);
	return !rc;
}

/*
 * Fill the fresh context @fd with objects, some pages pinned by an
 * access whose fd goes to *@afd. False when a step failed.
 */
static bool reopen_fill(struct worker *w, int fd, int *afd)
{
	struct iommu_option opt = {
		.size = sizeof(opt),
		.option_id = IOMMU_OPTION_RLIMIT_MODE,
		.op = IOMMU_OPTION_OP_SET,
		.val64 = 1,
	};
	__u32 ioas, ioas2, stdev, pin;
	struct stress *s = w->s;
	bool dev = rnd(&w->rng, 2);
	__u64 iova = 0;

	if (rnd(&w->rng, 4) &&
	    !reopen_step(w, ioctl(fd, IOMMU_OPTION, &opt), "RLIMIT_MODE 1"))
		return false;
	if (!reopen_step(w, ioas_alloc(fd, &ioas), "IOAS_ALLOC"))
		return false;
	w->created++;
	/* A device first, so that kernel-chosen IOVAs fit it */
	if (dev) {
		if (!reopen_step(w, mock_domain(fd, ioas, &stdev, NULL, NULL),
				 "MOCK_DOMAIN"))
			return false;
		w->created++;
	}
	if (!reopen_step(w, ioas_map_fixed(fd, ioas, s->buf, SZ_64K,
					   MOCK_APERTURE_START),
			 "IOAS_MAP fixed") ||
	    !reopen_step(w, ioas_map(fd, ioas, MAP_RW, s->buf + SZ_1M,
				     SZ_256K, &iova),
			 "IOAS_MAP auto"))
		return false;
	if (rnd(&w->rng, 2)) {
		if (!reopen_step(w, ioas_alloc(fd, &ioas2), "IOAS_ALLOC 2"))
			return false;
		w->created++;
		if (!reopen_step(w, ioas_copy(fd, ioas2, ioas, MAP_RW,
					      MOCK_APERTURE_START, SZ_64K,
					      &iova),
				 "IOAS_COPY"))
			return false;
	}
	if (rnd(&w->rng, 2)) {
		if (!reopen_step(w, create_access(fd, ioas,
						  MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES,
						  afd),
				 "CREATE_ACCESS"))
			return false;
		w->created++;
		if (!reopen_step(w, access_pages(fd, *afd,
						 MOCK_APERTURE_START,
						 SZ_64K, NULL,
						 MOCK_FLAGS_ACCESS_WRITE,
						 &pin),
				 "ACCESS_PAGES"))
			return false;
	}
	if (dev && rnd(&w->rng, 4) == 0 &&
	    !reopen_step(w, destroy(fd, stdev), "DESTROY stdev"))
		return false;
	return true;
}

/*
 * Open a second context, fill it with objects and close it with the
 * objects live, over and over. Nothing else uses that context, so every
 * call must succeed.
 */
static void *reopen_thread(void *arg)
{
	struct worker *w = arg;
	int fd, afd;
	double t;

	while (!stopping(w->s)) {
		t = seconds_now();
		afd = -1;
		fd = open(IOMMUFD_DEV, O_RDWR);
		if (fd < 0) {
			record(w, OP_REOPEN, -1, "open");
			break;
		}
		if (reopen_fill(w, fd, &afd))
			w->iterations++;
		/* The access holds the context: close in either order. */
		if (afd >= 0 && rnd(&w->rng, 2)) {
			record(w, OP_REOPEN, close(afd), "close access");
			afd = -1;
		}
		record(w, OP_REOPEN, close(fd), "close fd");
		if (afd >= 0)
			record(w, OP_REOPEN, close(afd), "close access last");
		/* A whole round, open to close */
		t = seconds_now() - t;
		if (t > w->max_secs[OP_REOPEN])
			w->max_secs[OP_REOPEN] = t;
	}
	return NULL;
}

/* What kind of object @id is, for the report of leftovers */
static const char *obj_kind(int fd, __u32 id)
{
	struct iommu_hw_info info = { .size = sizeof(info), .dev_id = id };
	__u32 num = 0;

	if (!iova_ranges(fd, id, NULL, &num, NULL) || errno == EMSGSIZE)
		return "IOAS";
	/* An empty range of a mock HWPT checks nothing and succeeds */
	if (!md_check_map(fd, id, 0, NULL, 0))
		return "HWPT";
	if (!ioctl(fd, IOMMU_GET_HW_INFO, &info))
		return "device";
	return "other (selftest object?)";
}

/* Total over the workers of op's calls that ended with errno e */
static unsigned long total_count(struct worker *ws, unsigned int nr,
				 unsigned int op, int e)
{
	unsigned long sum = 0;
	unsigned int t;

	for (t = 0; t != nr; t++)
		sum += ws[t].count[op][e];
	return sum;
}

static void print_counts(struct worker *ws, unsigned int nr, double secs)
{
	unsigned long all = 0, created = 0;
	unsigned int op, t;
	int e;

	note("%-22s %10s %8s  %s", "operation", "ok", "max ms", "errors (count)");
	for (op = 0; op != NR_OPS; op++) {
		char line[256] = "";
		unsigned long skipped = 0;
		double max = 0;
		size_t n = 0;

		for (e = 1; e <= MAX_ERRNO; e++) {
			unsigned long c = total_count(ws, nr, op, e);

			if (!c)
				continue;
			all += c;
			n += snprintf(line + n, sizeof(line) - n, "%s%s %lu",
				      n ? ", " : "", errno_name(e), c);
			if (n >= sizeof(line))
				break;
		}
		for (t = 0; t != nr; t++) {
			skipped += ws[t].skipped[op];
			if (ws[t].max_secs[op] > max)
				max = ws[t].max_secs[op];
		}
		all += total_count(ws, nr, op, 0);
		note("%-22s %10lu %8.1f  %s%s(%lu skipped: nothing to act on)",
		     op_descs[op].name, total_count(ws, nr, op, 0), max * 1e3,
		     line, n ? "; " : "", skipped);
	}
	for (t = 0; t != nr; t++)
		created += ws[t].created;
	{
		char line[512];
		size_t n = 0;

		for (t = 0; t != nr; t++) {
			unsigned long sum = 0;

			for (op = 0; op != NR_OPS; op++)
				for (e = 0; e <= MAX_ERRNO; e++)
					sum += ws[t].count[op][e];
			n += snprintf(line + n, sizeof(line) - n, " %lu", sum);
			if (n >= sizeof(line))
				break;
		}
		note("calls per thread (the last one reopens):%s", line);
	}
	note("calls: %lu in %.1f s (%.0f/s); objects created: %lu; reopen iterations: %lu",
	     all, secs, all / secs, created, ws[nr - 1].iterations);
}

/* ------------------------------------------------------------------ */
/* The tests                                                           */

FIXTURE(stress) {
	long pins0;
	struct stress s;
	char *raw;
	long vmpin_base;
	/* The test's threads, the first @started of them running */
	struct worker *ws;
	unsigned int started;
};

FIXTURE_SETUP(stress)
{
	struct iommu_option opt = {
		.size = sizeof(opt),
		.option_id = IOMMU_OPTION_RLIMIT_MODE,
		.op = IOMMU_OPTION_OP_SET,
		.val64 = 1,
	};

	self->pins0 = foll_pins();
	self->s.fd = -1;
	if (geteuid())
		SKIP(return, "needs root");
	self->vmpin_base = vmpin_kb();
	ASSERT_LE(0, self->vmpin_base);
	self->s.fd = open(IOMMUFD_DEV, O_RDWR);
	ASSERT_LE(0, self->s.fd);
	if (md_check_refs(self->s.fd, NULL, 0, 0) && errno == ENOTTY)
		SKIP(return, "needs CONFIG_IOMMUFD_TEST");
	/* Charge the process, so VmPin shows what this test pins */
	ASSERT_EQ(0, ioctl(self->s.fd, IOMMU_OPTION, &opt));

	/* 2 MiB aligned, for kernel-chosen IOVAs that follow it */
	self->raw = mmap(NULL, BUF_SIZE + RO_SIZE + SZ_2M,
			 PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->raw);
	self->s.buf = (char *)(((uintptr_t)self->raw + SZ_2M - 1) &
			       ~(SZ_2M - 1));
	self->s.robuf = self->s.buf + BUF_SIZE;
	/* Real pages (not the zero page) whose pins can be counted */
	memset(self->s.buf, 0x5a, BUF_SIZE + RO_SIZE);
	ASSERT_EQ(0, mprotect(self->s.robuf, RO_SIZE, PROT_READ));
	ASSERT_EQ(0, md_check_refs(self->s.fd, self->s.buf, BUF_SIZE, 0));
	ASSERT_EQ(0, md_check_refs(self->s.fd, self->s.robuf, RO_SIZE, 0));
}

/* What a test that stopped early left: threads, accesses, the context */
FIXTURE_TEARDOWN(stress)
{
	unsigned int i;

	__atomic_store_n(&self->s.stop, 1, __ATOMIC_RELAXED);
	for (i = 0; i != self->started; i++)
		pthread_join(self->ws[i].thread, NULL);
	for (i = 0; i != NR_ACCESS; i++)
		if (self->s.access[i])
			close(self->s.access[i] - 1);
	if (self->s.fd >= 0)
		close(self->s.fd);
	if (self->raw)
		munmap(self->raw, BUF_SIZE + RO_SIZE + SZ_2M);
	EXPECT_PINS_RELEASED(self->pins0);
}

TEST_F_TIMEOUT(stress, threads, DEFAULT_SECONDS + 300)
{
	unsigned long secs = env_number("IOMMUFD_STRESS_SECONDS",
				       DEFAULT_SECONDS);
	unsigned long nr = env_number("IOMMUFD_STRESS_THREADS",
				     DEFAULT_THREADS);
	__u64 seed = env_number("IOMMUFD_STRESS_SEED", 0);
	struct stress *s = &self->s;
	struct worker *ws;
	unsigned int t, i, lingering = 0, pass;
	double start, end;
	bool progress;
	int fd2;

	if (nr < 1 || nr > MAX_THREADS)
		nr = DEFAULT_THREADS;
	if (!seed)
		seed = (__u64)time(NULL) * 0x9e3779b97f4a7c15ULL ^ getpid();
	note(THREADS_NOTE, nr, secs, (unsigned long long)seed);

	/* The last one is the reopening thread */
	ws = calloc(nr + 1, sizeof(*ws));
	ASSERT_NE(NULL, ws);
	self->ws = ws;
	for (t = 0; t != nr + 1; t++) {
		ws[t].s = s;
		ws[t].idx = t;
		ws[t].rng = seed + (t + 1) * 0x9e3779b97f4a7c15ULL;
		if (!ws[t].rng)
			ws[t].rng = 1;
		ws[t].rwbuf = malloc(SZ_64K);
		ASSERT_NE(NULL, ws[t].rwbuf);
	}

	start = seconds_now();
	for (t = 0; t != nr + 1; t++) {
		ASSERT_EQ(0, pthread_create(&ws[t].thread, NULL,
					    t == nr ? reopen_thread :
						      worker_thread,
					    &ws[t]));
		self->started++;
	}
	while (!stopping(s) && seconds_now() < start + secs)
		usleep(100000);
	__atomic_store_n(&s->stop, 1, __ATOMIC_RELAXED);
	for (t = 0; t != nr + 1; t++)
		ASSERT_EQ(0, pthread_join(ws[t].thread, NULL));
	self->started = 0;
	end = seconds_now();
	print_counts(ws, nr + 1, end - start);
	ASSERT_EQ(0, s->failed);

	/*
	 * Tear down: accesses, devices, HWPTs, IOASes. A pool may hold the
	 * ID of an object a random destroy removed (ENOENT), or that ID
	 * reused by another object, still in use (EBUSY); the sweep below
	 * then destroys whatever is left, and the table must end up empty.
	 */
	for (i = 0; i != NR_ACCESS; i++) {
		if (!s->access[i])
			continue;
		ASSERT_EQ(0, close(s->access[i] - 1));
		s->access[i] = 0;
	}
	for (i = 0; i != NR_DEV + NR_HWPT + NR_IOAS; i++) {
		__u32 id = i < NR_DEV ? s->dev[i] >> 32 :
			   i < NR_DEV + NR_HWPT ? s->hwpt[i - NR_DEV] :
			   s->ioas[i - NR_DEV - NR_HWPT];

		if (!id || !destroy(s->fd, id))
			continue;
		ASSERT_TRUE(errno == ENOENT || errno == EBUSY)
			TH_LOG("id %u: %s", id, errno_name(errno));
	}
	/* Whatever fell out of the pools: destroy every ID until none */
	for (pass = 0, progress = true; progress; pass++) {
		ASSERT_GT(16, pass);
		progress = false;
		for (i = 1; i <= s->max_id + 4; i++) {
			const char *kind = obj_kind(s->fd, i);

			if (!destroy(s->fd, i)) {
				note("left over: ID %u, %s", i, kind);
				lingering++;
				progress = true;
				continue;
			}
			ASSERT_TRUE(errno == ENOENT || errno == EBUSY)
				TH_LOG("id %u: %s", i, errno_name(errno));
		}
	}
	note(SWEEP_NOTE, lingering, s->lost);
	/* As root, changing the charge mode proves the table empty */
	{
		struct iommu_option opt = {
			.size = sizeof(opt),
			.option_id = IOMMU_OPTION_RLIMIT_MODE,
			.op = IOMMU_OPTION_OP_SET,
			.val64 = 1,
		};

		ASSERT_EQ(0, ioctl(s->fd, IOMMU_OPTION, &opt))
			TH_LOG("object table not empty: %s", errno_name(errno));
	}
	ASSERT_EQ(0, close(s->fd));
	s->fd = -1;

	/* Nothing pinned, nothing charged */
	ASSERT_EQ(self->vmpin_base, vmpin_kb());
	fd2 = open(IOMMUFD_DEV, O_RDWR);
	ASSERT_LE(0, fd2);
	ASSERT_EQ(0, md_check_refs(fd2, s->buf, BUF_SIZE, 0));
	ASSERT_EQ(0, md_check_refs(fd2, s->robuf, RO_SIZE, 0));
	ASSERT_EQ(0, close(fd2));
	for (t = 0; t != nr + 1; t++)
		free(ws[t].rwbuf);
	free(ws);
	self->ws = NULL;
}

FIXTURE(many_areas) {
	long pins0;
	char saved_thresh[32];
	bool thresh_changed;
};

FIXTURE_SETUP(many_areas)
{
	self->pins0 = foll_pins();
	if (geteuid())
		SKIP(return, "needs root");
}

FIXTURE_TEARDOWN(many_areas)
{
	if (self->thresh_changed)
		write_sysfs(WATCHDOG_THRESH, self->saved_thresh);
	EXPECT_PINS_RELEASED(self->pins0);
}

TEST_F_TIMEOUT(many_areas, copy_one_page, DEFAULT_AREAS_SECONDS + 600)
{
	unsigned long want = env_number("IOMMUFD_STRESS_AREAS", DEFAULT_AREAS);
	double cap = env_number("IOMMUFD_STRESS_AREAS_SECONDS",
			       DEFAULT_AREAS_SECONDS);
	struct iommu_option opt = {
		.size = sizeof(opt),
		.option_id = IOMMU_OPTION_RLIMIT_MODE,
		.op = IOMMU_OPTION_OP_SET,
		.val64 = 1,
	};
	unsigned long made, block, interval;
	double t0, tb, t, t_unmap, t_close;
	long vmpin_base = vmpin_kb();
	__u32 src, dst;
	__u64 iova, len;
	char *page;
	int fd;

	if (!want)
		SKIP(return, "IOMMUFD_STRESS_AREAS=0");
	/* Per 64k copies, or 16 reports for a smaller count */
	interval = 65536;
	if (want < 4 * interval)
		interval = ((want / 16 + 1023) / 1024) * 1024 ?: 1024;

	ASSERT_LE(0, vmpin_base);
	page = mmap(NULL, SZ_4K, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, page);
	memset(page, 0x3c, SZ_4K);
	fd = open(IOMMUFD_DEV, O_RDWR);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ioctl(fd, IOMMU_OPTION, &opt));
	ASSERT_EQ(0, ioas_alloc(fd, &src));
	ASSERT_EQ(0, ioas_alloc(fd, &dst));
	ASSERT_EQ(0, ioas_map_fixed(fd, src, page, SZ_4K, 0));

	if (!read_sysfs(WATCHDOG_THRESH, self->saved_thresh,
			sizeof(self->saved_thresh)) &&
	    !write_sysfs(WATCHDOG_THRESH, "1"))
		self->thresh_changed = true;
	else
		note("cannot set %s; soft lockups are detected at the usual threshold",
		     WATCHDOG_THRESH);
	note("copying one page into %lu areas (kernel-chosen IOVAs), report every %lu",
	     want, interval);

	t0 = seconds_now();
	tb = t0;
	for (made = 0, block = 0; made < want; made++) {
		iova = 0;
		ASSERT_EQ(0, ioas_copy(fd, dst, src, MAP_RW, 0, SZ_4K, &iova))
			TH_LOG("copy %lu: %s", made, errno_name(errno));
		ASSERT_EQ(0, iova % SZ_4K);
		if (++block == interval || made + 1 == want) {
			t = seconds_now();
			note("copies %lu..%lu: %.2f s, %.0f/s (total %.1f s)",
			     made + 1 - block, made, t - tb, block / (t - tb),
			     t - t0);
			tb = t;
			block = 0;
			if (t - t0 > cap && made + 1 < want) {
				made++;
				note(AREAS_STOP_NOTE, made, cap);
				break;
			}
		}
	}
	t = seconds_now();
	note("%lu areas in %.1f s, %.0f/s", made, t - t0, made / (t - t0));

	len = UINT64_MAX;
	ASSERT_EQ(0, ioas_unmap(fd, dst, 0, UINT64_MAX, &len));
	t_unmap = seconds_now() - t;
	ASSERT_EQ((__u64)made * SZ_4K, len);
	t = seconds_now();
	ASSERT_EQ(0, close(fd));
	t_close = seconds_now() - t;
	note("IOAS_UNMAP of all %lu areas: %.2f s; close: %.2f s", made,
	     t_unmap, t_close);

	if (self->thresh_changed) {
		ASSERT_EQ(0, write_sysfs(WATCHDOG_THRESH, self->saved_thresh));
		self->thresh_changed = false;
	}
	ASSERT_EQ(vmpin_base, vmpin_kb());
	fd = open(IOMMUFD_DEV, O_RDWR);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, md_check_refs(fd, page, SZ_4K, 0));
	ASSERT_EQ(0, close(fd));
	munmap(page, SZ_4K);
}

/*
 * The harness reads each test's timeout from its metadata; make it
 * follow the budgets set in the environment, with room for teardown.
 */
static void __attribute__((constructor)) set_timeouts(void)
{
	_stress_threads_object.timeout =
		env_number("IOMMUFD_STRESS_SECONDS", DEFAULT_SECONDS) + 300;
	_many_areas_copy_one_page_object.timeout =
		env_number("IOMMUFD_STRESS_AREAS_SECONDS",
			   DEFAULT_AREAS_SECONDS) + 600;
}

/* Should a test die with the soft lockup threshold lowered, restore it */
static char saved_thresh[32];

static void restore_thresh(void)
{
	char cur[32];

	if (saved_thresh[0] && !read_sysfs(WATCHDOG_THRESH, cur, sizeof(cur)) &&
	    strcmp(cur, saved_thresh))
		write_sysfs(WATCHDOG_THRESH, saved_thresh);
}

int main(int argc, char **argv)
{
	if (!read_sysfs(WATCHDOG_THRESH, saved_thresh, sizeof(saved_thresh)))
		atexit(restore_thresh);
	return test_harness_run(argc, argv);
}
