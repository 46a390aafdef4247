// SPDX-License-Identifier: GPL-2.0-only
/*
 * iommufd-bench: the cost of mapping, unmapping and copying memory through
 * /dev/iommu against 6.1's VFIO type1, on the same device (QEMU's edu
 * behind VT-d), the same memory and the same kernel, in one run.
 *
 * Paths; each is opened for one cell at a time, with nothing else open:
 *   iommufd     IOMMU_IOAS_MAP (IOMMU_IOAS_MAP_FILE for memfd memory) and
 *               IOMMU_IOAS_UNMAP; the edu device bound through its VFIO
 *               cdev and attached to the IOAS. A second edu device, in
 *               another IOMMU group, attached to a second IOAS of the same
 *               file is the destination of IOMMU_IOAS_COPY.
 *   type1       VFIO_IOMMU_MAP_DMA/UNMAP_DMA on /dev/vfio/vfio (6.1's
 *               type1), the edu device's group in the container
 *   iommufd-t1  the same type1 ioctls on a /dev/iommu file used as the
 *               group's container
 *   mock        as iommufd, on IOASes with mock domains (IOMMU_TEST_CMD:
 *               kernels built with CONFIG_IOMMUFD_TEST only)
 *   nodev       as iommufd, on IOASes without any device: memory is
 *               pinned on demand, so these maps pin nothing (what an IOAS
 *               costs before its devices attach)
 *
 * Backing memory, prefaulted by writing every page before it is mapped:
 *   4k       private anonymous, MADV_NOHUGEPAGE
 *   thp      private anonymous, MADV_HUGEPAGE, 2 MiB aligned; how much of
 *            it AnonHugePages covers is checked in /proc/self/smaps
 *   hugetlb  MAP_HUGETLB with 2 MiB pages (boot with hugepages=N)
 *   memfd    a shared mapping of a memfd; the iommufd paths map the file
 *            (IOMMU_IOAS_MAP_FILE), the type1 paths the mapping
 * Cells that cannot exist (thp or hugetlb below 2 MiB) are left out.
 *
 * Operations, one row each:
 *   map, unmap   one buffer of each size, in GiB/s
 *   copy         IOMMU_IOAS_COPY of a mapped buffer into the second IOAS,
 *                in GiB/s; "x map" compares it with a fresh map
 *   map-lat, unmap-lat
 *                --small-count buffers of 4 KiB and of 64 KiB (4k memory)
 *                mapped one by one, then unmapped one by one; ns per call
 *   map-scale    --scale-count separate 4 KiB buffers mapped one by one
 *                into one IOAS (container): the time per map of the last
 *                1000 over that of the first 1000 (1.0: an IOAS that
 *                fills up does not slow maps down)
 *   kmem         free memory the largest map takes, in KiB per GiB
 *                mapped (see free_kib())
 * Every cell runs --reps times and reports the median, min and max, and
 * the median time per 4 KiB page of the buffer ("ns/4K"), so that rows of
 * different sizes compare at a glance. The ratio "x type1" is type1's
 * median time over this row's: above 1, this path is faster than type1.
 *
 * --pagesizes reads back the IOMMU page sizes of each VT-d mapping from
 * the Intel IOMMU's debugfs dump of the page tables (count_leaves()).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <linux/iommufd.h>
#include <linux/vfio.h>

#include "../../drivers/iommu/iommufd/iommufd_test.h"
#include "edu.h"

#define SZ_4K 0x1000UL
#define SZ_64K 0x10000UL
#define SZ_2M 0x200000UL
#define SZ_64M 0x4000000UL
#define SZ_1G 0x40000000UL
/*
 * Every mapping lies in [BENCH_IOVA, BENCH_IOVA + SZ_1G), inside every
 * path's aperture (the mock's is [16 MiB, 2 GiB)); 1 GiB aligned so that
 * the IOMMU may use any page size.
 */
#define BENCH_IOVA SZ_1G
#define MAX_SIZE SZ_1G
/* Distinct memory behind the small buffers; beyond it they repeat */
#define SMALL_POOL (4 * SZ_64M)
#define MAX_REPS 64
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define MAX_ROWS 1024
#define DEBUGFS_PGTABLE "/sys/kernel/debug/iommu/intel/domain_translation_struct"

enum path { P_IOMMUFD, P_TYPE1, P_IOMMUFD_T1, P_MOCK, P_NODEV, P_COUNT };
static const char *const path_name[P_COUNT] = {
	"iommufd", "type1", "iommufd-t1", "mock", "nodev",
};

enum backing { B_4K, B_THP, B_HUGETLB, B_MEMFD, B_COUNT };
static const char *const backing_name[B_COUNT] = {
	"4k", "thp", "hugetlb", "memfd",
};

enum op {
	OP_MAP, OP_UNMAP, OP_COPY, OP_MAP_LAT, OP_UNMAP_LAT, OP_MAP_SCALE,
	OP_KMEM
};

static const struct {
	const char *name;
	const char *unit;
} op_info[] = {
	[OP_MAP] = { "map", "GiB/s" },
	[OP_UNMAP] = { "unmap", "GiB/s" },
	[OP_COPY] = { "copy", "GiB/s" },
	[OP_MAP_LAT] = { "map-lat", "ns/call" },
	[OP_UNMAP_LAT] = { "unmap-lat", "ns/call" },
	[OP_MAP_SCALE] = { "map-scale", "last/1st" },
	[OP_KMEM] = { "kmem", "KiB/GiB" },
};

/* IOMMU page sizes: 4 KiB, 2 MiB, 1 GiB leaves */
enum { PG_4K, PG_2M, PG_1G, PG_COUNT };
static const char *const pg_name[PG_COUNT] = { "4K", "2M", "1G" };

/**
 * struct row - one line of the result table
 * @path: enum path
 * @backing: enum backing
 * @op: enum op
 * @size: bytes per buffer
 * @med: median, in the unit of @op
 * @min: smallest value
 * @max: largest value
 * @med_ns: median time of one repetition (bulk) or call (latency), in ns;
 *          0 for kmem
 * @pages: IOMMU leaves of each size mapping the buffer; -1 if unknown
 * @note: remarks, no commas
 */
struct row {
	enum path path;
	enum backing backing;
	enum op op;
	size_t size;
	double med, min, max;
	double med_ns;
	long pages[PG_COUNT];
	char note[48];
};

/**
 * struct buffer - prefaulted memory to map
 * @va: the buffer, 2 MiB aligned
 * @len: its length
 * @map: start of what to munmap()
 * @map_len: its length
 * @memfd: the memfd behind @va, or -1
 * @note: what the backing turned out to be, when not what was asked for
 */
struct buffer {
	char *va;
	size_t len;
	void *map;
	size_t map_len;
	int memfd;
	char note[48];
};

/**
 * struct bench_path - one open path
 * @p: which path
 * @fd: /dev/iommu or the type1 container
 * @files: device and group files, closed last to first before @fd
 * @ioas: the IOAS measured and, if not 0, the IOMMU_IOAS_COPY destination
 * @type1: use the type1 ioctls on @fd
 */
struct bench_path {
	enum path p;
	int fd;
	int files[2];
	__u32 ioas[2];
	int type1;
};

static struct {
	int reps;
	int smoke;
	int pagesizes;
	int kmem;
	long small_count;
	long scale_count;
	size_t max_size;
	unsigned int paths;
	unsigned int backings;
	const char *csv;
	const char *label;
} opt = {
	.reps = 5,
	.kmem = 1,
	.small_count = 10000,
	.scale_count = 100000,
	.max_size = MAX_SIZE,
	.paths = (1U << P_COUNT) - 1,
	.backings = (1U << B_COUNT) - 1,
};

static struct edu_dev edu, edu2;
static char kernel[256];
static struct row rows[MAX_ROWS];
static int nrows;
static int failures;

static int report(enum path p, const char *what)
{
	printf("%s: %s failed: %s\n", path_name[p], what, strerror(errno));
	failures++;
	return -1;
}

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* Sorts @v and returns its median */
static double median(double *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static const char *size_str(size_t size)
{
	static char buf[4][24];
	static int i;
	char *s = buf[i++ % 4];

	if (size >= SZ_1G && !(size % SZ_1G))
		snprintf(s, 24, "%zuG", size / SZ_1G);
	else if (size >= (1UL << 20) && !(size % (1UL << 20)))
		snprintf(s, 24, "%zuM", size >> 20);
	else if (size >= 1024 && !(size % 1024))
		snprintf(s, 24, "%zuK", size >> 10);
	else
		snprintf(s, 24, "%zu", size);
	return s;
}

static struct row *add_row(enum path p, enum backing b, enum op op,
			   size_t size)
{
	struct row *r;
	int i;

	if (nrows == MAX_ROWS) {
		fprintf(stderr, "iommufd-bench: more than %d rows\n", MAX_ROWS);
		exit(1);
	}
	r = &rows[nrows++];
	memset(r, 0, sizeof(*r));
	r->path = p;
	r->backing = b;
	r->op = op;
	r->size = size;
	for (i = 0; i < PG_COUNT; i++)
		r->pages[i] = -1;
	return r;
}

/* A row of throughput (bytes per repetition) from times in ns */
static struct row *add_bulk(enum path p, enum backing b, enum op op,
			    size_t size, double *ns, int n)
{
	struct row *r = add_row(p, b, op, size);
	double gib = (double)size / SZ_1G;

	r->med_ns = median(ns, n);
	r->med = gib / (r->med_ns / 1e9);
	r->min = gib / (ns[n - 1] / 1e9);
	r->max = gib / (ns[0] / 1e9);
	return r;
}

/* A row of plain values (ns per call, KiB per GiB) */
static struct row *add_plain(enum path p, enum backing b, enum op op,
			     size_t size, double *v, int n)
{
	struct row *r = add_row(p, b, op, size);

	r->med = median(v, n);
	r->min = v[0];
	r->max = v[n - 1];
	if (op != OP_KMEM)
		r->med_ns = r->med;
	return r;
}

/* Value of a "Key: N" line of /proc/meminfo, or -1 */
static long proc_meminfo(const char *key)
{
	size_t klen = strlen(key);
	char line[256];
	long val = -1;
	FILE *f;

	f = fopen("/proc/meminfo", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (!strncmp(line, key, klen) && line[klen] == ':') {
			val = strtol(line + klen + 1, NULL, 10);
			break;
		}
	fclose(f);
	return val;
}

/*
 * Free memory in KiB, as exactly as userspace can see it: the per-CPU
 * counter deltas folded in first (vm.stat_refresh), then MemFree plus the
 * pages that sit on the per-CPU free lists (the "count:" lines of
 * /proc/zoneinfo), which MemFree does not include. A kernel allocation
 * served from those lists would otherwise not show in MemFree at all.
 */
static long free_kib(void)
{
	long kib, pcp = 0, v;
	char line[256];
	FILE *f;

	write_str("/proc/sys/vm/stat_refresh", "1");
	kib = proc_meminfo("MemFree");
	f = fopen("/proc/zoneinfo", "r");
	if (f) {
		while (fgets(line, sizeof(line), f))
			if (sscanf(line, " count: %ld", &v) == 1)
				pcp += v;
		fclose(f);
	}
	return kib < 0 ? -1 : kib + pcp * (sysconf(_SC_PAGESIZE) / 1024);
}

/* AnonHugePages of the mappings of /proc/self/smaps in [va, va + len) */
static long anon_huge_kib(const char *va, size_t len)
{
	unsigned long start, end, lo = (uintptr_t)va, hi = lo + len;
	int inside = 0;
	char line[512];
	long kib = 0, v;
	FILE *f;

	f = fopen("/proc/self/smaps", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%lx-%lx ", &start, &end) == 2 &&
		    strchr(line, '-') < strchr(line, ' '))
			inside = start < hi && end > lo;
		else if (inside &&
			 sscanf(line, "AnonHugePages: %ld kB", &v) == 1)
			kib += v;
	}
	fclose(f);
	return kib;
}

static void buffer_free(struct buffer *b)
{
	if (b->map)
		munmap(b->map, b->map_len);
	if (b->memfd >= 0)
		close(b->memfd);
	b->map = NULL;
	b->memfd = -1;
}

/*
 * Allocate and prefault @len bytes of @bk memory at a 2 MiB aligned
 * address. Returns 0, or -1 with the reason in @why (the cell is skipped).
 */
static int buffer_alloc(struct buffer *b, enum backing bk, size_t len,
			char *why, size_t why_len)
{
	int prot = PROT_READ | PROT_WRITE;
	long have, need, hkib;

	memset(b, 0, sizeof(*b));
	b->memfd = -1;
	b->len = len;
	if (bk == B_HUGETLB) {
		hkib = proc_meminfo("Hugepagesize");
		have = proc_meminfo("HugePages_Free");
		need = len / SZ_2M;
		if (hkib != 2048 || have < need) {
			snprintf(why, why_len,
				 "%ld free 2M hugepages, need %ld (boot with hugepages=%ld)",
				 hkib == 2048 ? have : 0, need, need);
			return -1;
		}
		b->map = mmap(NULL, len, prot,
			      MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB, -1, 0);
		if (b->map == MAP_FAILED) {
			b->map = NULL;
			snprintf(why, why_len, "MAP_HUGETLB: %s",
				 strerror(errno));
			return -1;
		}
		b->map_len = len;
		b->va = b->map;
		memset(b->va, 0x5a, len);
		return 0;
	}

	/* Reserve room to align at 2 MiB, then place the memory there */
	b->map_len = len + SZ_2M;
	b->map = mmap(NULL, b->map_len, bk == B_MEMFD ? PROT_NONE : prot,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (b->map == MAP_FAILED) {
		b->map = NULL;
		snprintf(why, why_len, "mmap: %s", strerror(errno));
		return -1;
	}
	b->va = (char *)(((uintptr_t)b->map + SZ_2M - 1) & ~(SZ_2M - 1));
	if (bk == B_MEMFD) {
		b->memfd = memfd_create("iommufd-bench", MFD_CLOEXEC);
		if (b->memfd < 0 || ftruncate(b->memfd, len) ||
		    mmap(b->va, len, prot, MAP_SHARED | MAP_FIXED, b->memfd,
			 0) == MAP_FAILED) {
			snprintf(why, why_len, "memfd: %s", strerror(errno));
			buffer_free(b);
			return -1;
		}
	} else {
		madvise(b->va, len,
			bk == B_THP ? MADV_HUGEPAGE : MADV_NOHUGEPAGE);
	}
	memset(b->va, 0x5a, len);
	if (bk == B_THP) {
		have = anon_huge_kib(b->va, len);
		if (have < (long)(len >> 10)) {
			printf("thp %s: only %ld of %zu KiB in huge pages (AnonHugePages)\n",
			       size_str(len), have, len >> 10);
			snprintf(b->note, sizeof(b->note), "thp %ld%%",
				 have < 0 ? 0 : (long)(100.0 * have /
						     (len >> 10)));
		}
	}
	return 0;
}

static int ioas_new(int fd, __u32 *ioas_id)
{
	struct iommu_ioas_alloc alloc = { .size = sizeof(alloc) };

	if (ioctl(fd, IOMMU_IOAS_ALLOC, &alloc))
		return -1;
	*ioas_id = alloc.out_ioas_id;
	return 0;
}

/* Bind the device of cdev @path to @iommufd and attach it to a new IOAS */
static int cdev_attach(int iommufd, const char *path, int *devfd,
		       __u32 *ioas_id)
{
	/* The first version of each struct, as 6.6's QEMU sends it */
	struct vfio_device_bind_iommufd bind = {
		.argsz = 16,
		.iommufd = iommufd,
	};
	struct vfio_device_attach_iommufd_pt attach = { .argsz = 12 };

	*devfd = open(path, O_RDWR);
	if (*devfd < 0 ||
	    ioctl(*devfd, VFIO_DEVICE_BIND_IOMMUFD, &bind) ||
	    ioas_new(iommufd, ioas_id))
		return -1;
	attach.pt_id = *ioas_id;
	return ioctl(*devfd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &attach);
}

/* A new IOAS with a mock domain of its own */
static int mock_ioas(int iommufd, __u32 *ioas_id)
{
	struct iommu_test_cmd mock = {
		.size = sizeof(mock),
		.op = IOMMU_TEST_OP_MOCK_DOMAIN,
	};

	if (ioas_new(iommufd, ioas_id))
		return -1;
	mock.id = *ioas_id;
	return ioctl(iommufd, IOMMU_TEST_CMD, &mock);
}

static void close_path(struct bench_path *bp)
{
	int i;

	for (i = ARRAY_SIZE(bp->files) - 1; i >= 0; i--)
		if (bp->files[i] >= 0)
			close(bp->files[i]);
	if (bp->fd >= 0)
		close(bp->fd);
}

/*
 * Open path @p. Returns 0 or -1 (errno set). A missing copy destination
 * is not an error: ioas[1] stays 0; @copy_err gets the errno then.
 */
static int open_path(enum path p, struct bench_path *bp, int *copy_err)
{
	int grp, dev, i;

	memset(bp, 0, sizeof(*bp));
	bp->p = p;
	bp->fd = -1;
	for (i = 0; i < (int)ARRAY_SIZE(bp->files); i++)
		bp->files[i] = -1;
	*copy_err = ENODEV;
	switch (p) {
	case P_IOMMUFD:
		bp->fd = open("/dev/iommu", O_RDWR);
		if (bp->fd < 0 || cdev_attach(bp->fd, edu.cdev, &bp->files[0],
					      &bp->ioas[0]))
			return -1;
		if (!edu2.cdev[0])
			return 0;
		if (cdev_attach(bp->fd, edu2.cdev, &bp->files[1],
				&bp->ioas[1])) {
			*copy_err = errno;
			bp->ioas[1] = 0;
		}
		return 0;
	case P_TYPE1:
	case P_IOMMUFD_T1:
		bp->type1 = 1;
		bp->fd = open(p == P_TYPE1 ? "/dev/vfio/vfio" : "/dev/iommu",
			      O_RDWR);
		grp = open(edu.group, O_RDWR);
		bp->files[0] = grp;
		if (bp->fd < 0 || grp < 0 ||
		    ioctl(grp, VFIO_GROUP_SET_CONTAINER, &bp->fd) ||
		    ioctl(bp->fd, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU))
			return -1;
		/* iommufd attaches the group's devices when they open */
		dev = ioctl(grp, VFIO_GROUP_GET_DEVICE_FD, edu.bdf);
		bp->files[1] = dev;
		return dev < 0 ? -1 : 0;
	case P_MOCK:
		bp->fd = open("/dev/iommu", O_RDWR);
		if (bp->fd < 0 || mock_ioas(bp->fd, &bp->ioas[0]))
			return -1;
		if (mock_ioas(bp->fd, &bp->ioas[1])) {
			*copy_err = errno;
			bp->ioas[1] = 0;
		}
		return 0;
	case P_NODEV:
		bp->fd = open("/dev/iommu", O_RDWR);
		for (i = 0; i < 2; i++) {
			struct iommu_ioas_alloc alloc = {
				.size = sizeof(alloc),
			};

			if (bp->fd < 0 ||
			    ioctl(bp->fd, IOMMU_IOAS_ALLOC, &alloc))
				return -1;
			bp->ioas[i] = alloc.out_ioas_id;
		}
		return 0;
	default:
		errno = EINVAL;
		return -1;
	}
}

/* Map [@off, @off + @len) of @b at @iova of the measured IOAS */
static int do_map(struct bench_path *bp, const struct buffer *b, size_t off,
		  size_t len, __u64 iova)
{
	__u32 flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE |
		      IOMMU_IOAS_MAP_WRITEABLE;
	struct vfio_iommu_type1_dma_map t1 = {
		.argsz = sizeof(t1),
		.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
		.vaddr = (uintptr_t)b->va + off,
		.iova = iova,
		.size = len,
	};
	struct iommu_ioas_map map = {
		.size = sizeof(map),
		.flags = flags,
		.ioas_id = bp->ioas[0],
		.user_va = (uintptr_t)b->va + off,
		.length = len,
		.iova = iova,
	};
	struct iommu_ioas_map_file file = {
		.size = sizeof(file),
		.flags = flags,
		.ioas_id = bp->ioas[0],
		.fd = b->memfd,
		.start = off,
		.length = len,
		.iova = iova,
	};

	if (bp->type1)
		return ioctl(bp->fd, VFIO_IOMMU_MAP_DMA, &t1);
	if (b->memfd >= 0)
		return ioctl(bp->fd, IOMMU_IOAS_MAP_FILE, &file);
	return ioctl(bp->fd, IOMMU_IOAS_MAP, &map);
}

/* Unmap [@iova, @iova + @len) of IOAS @which (0 measured, 1 copy) */
static int do_unmap(struct bench_path *bp, int which, __u64 iova,
		    size_t len)
{
	struct vfio_iommu_type1_dma_unmap t1 = {
		.argsz = sizeof(t1),
		.iova = iova,
		.size = len,
	};
	struct iommu_ioas_unmap unmap = {
		.size = sizeof(unmap),
		.ioas_id = bp->ioas[which],
		.iova = iova,
		.length = len,
	};

	if (bp->type1)
		return ioctl(bp->fd, VFIO_IOMMU_UNMAP_DMA, &t1);
	return ioctl(bp->fd, IOMMU_IOAS_UNMAP, &unmap);
}

/* IOMMU_IOAS_COPY of [BENCH_IOVA, + @len) to the same IOVA of ioas[1] */
static int do_copy(struct bench_path *bp, size_t len)
{
	struct iommu_ioas_copy copy = {
		.size = sizeof(copy),
		.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE |
			 IOMMU_IOAS_MAP_WRITEABLE,
		.dst_ioas_id = bp->ioas[1],
		.src_ioas_id = bp->ioas[0],
		.length = len,
		.dst_iova = BENCH_IOVA,
		.src_iova = BENCH_IOVA,
	};

	return ioctl(bp->fd, IOMMU_IOAS_COPY, &copy);
}

/*
 * Count the leaves of each size that map [@iova, @iova + @len) in the
 * VT-d page table of IOMMU group @group (a /dev/vfio/N path), from the
 * Intel IOMMU's debugfs dump (CONFIG_INTEL_IOMMU_DEBUGFS). It lists every
 * PCI device's domain, once per group, as
 *
 *   Device 0000:00:03.0 @0x<page directory>
 *   IOVA_PFN  PML5E  PML4E  PDPE  PDE  PTE
 *   0x0000000040000 |  0x..  0x..  0x..  0x..  0x..
 *   (blank line)
 *
 * with one line per present leaf: its IOVA >> 12, then the entries that
 * lead to it from level 5 down to level 1. The levels below the leaf
 * print as 0 and a present entry never is 0, so the lowest non-zero
 * column tells the page size: PTE 4 KiB, PDE 2 MiB, PDPE 1 GiB. The
 * device named is the first of its group, which may be another member of
 * the edu device's group, and the block repeats for every member of the
 * group: only the first one counts. Returns 0, or -1 when the file or the
 * group's block is missing.
 */
static int count_leaves(const char *group, __u64 iova, size_t len,
			long *pages)
{
	unsigned long long pfn, e[6];
	char *line = NULL, path[PATH_MAX], dev[128];
	size_t cap = 0;
	int ours = 0, found = 0, lvl;
	FILE *f;

	group = strrchr(group, '/') + 1;
	f = fopen(DEBUGFS_PGTABLE, "r");
	if (!f)
		return -1;
	memset(pages, 0, PG_COUNT * sizeof(*pages));
	while (getline(&line, &cap, f) > 0) {
		if (sscanf(line, "Device %127s", dev) == 1) {
			snprintf(path, sizeof(path),
				 "/sys/kernel/iommu_groups/%s/devices/%s",
				 group, dev);
			/* A group's table is listed once per member */
			ours = !found && !access(path, F_OK);
			found |= ours;
			continue;
		}
		if (!ours || sscanf(line, "%llx |%llx%llx%llx%llx%llx", &pfn,
				    &e[5], &e[4], &e[3], &e[2], &e[1]) != 6)
			continue;
		if ((pfn << 12) < iova || (pfn << 12) >= iova + len)
			continue;
		for (lvl = 1; lvl <= 3 && !e[lvl]; lvl++)
			;
		if (lvl <= 3)
			pages[lvl - 1]++;
	}
	free(line);
	fclose(f);
	return found ? 0 : -1;
}

/*
 * One mapping (and its copy) kept while its page sizes are read back, if
 * the path is on VT-d
 */
static void read_pagesizes(struct bench_path *bp, const struct buffer *b,
			   struct row *map_row, struct row *copy_row)
{
	int copied = 0;

	if (bp->p == P_MOCK || bp->p == P_NODEV ||
	    do_map(bp, b, 0, b->len, BENCH_IOVA))
		return;
	if (copy_row && !do_copy(bp, b->len)) {
		copied = 1;
		if (count_leaves(edu2.group, BENCH_IOVA, b->len,
				 copy_row->pages))
			copy_row->pages[0] = -1;
	}
	if (count_leaves(edu.group, BENCH_IOVA, b->len, map_row->pages))
		map_row->pages[0] = -1;
	if (copied)
		do_unmap(bp, 1, BENCH_IOVA, b->len);
	do_unmap(bp, 0, BENCH_IOVA, b->len);
}

/*
 * Let the frees that the last unmap deferred (RCU) land, and have every
 * slab cache give its empty slabs back, so that the slab pages a map
 * needs show as taken from the free memory rather than as reused.
 */
static void settle_memory(void)
{
	char path[PATH_MAX];
	struct dirent *de;
	DIR *d;

	usleep(100 * 1000);
	d = opendir("/sys/kernel/slab");
	if (!d)
		return;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.') {
			snprintf(path, sizeof(path),
				 "/sys/kernel/slab/%.200s/shrink", de->d_name);
			write_str(path, "1");
		}
	closedir(d);
}

/*
 * Free memory taken by a map of the whole of @b, scaled to KiB per GiB:
 * the median of opt.reps maps, each after settle_memory(). Between two
 * readings 100 ms apart before each map, the free memory moves by the
 * noise of the method; the largest such move is in the note.
 */
static int measure_kmem(struct bench_path *bp, const struct buffer *b,
			enum backing bk)
{
	double kib[MAX_REPS], scale = (double)SZ_1G / b->len;
	long idle, before, after, noise = 0;
	struct row *row;
	int r;

	for (r = 0; r < opt.reps; r++) {
		settle_memory();
		idle = free_kib();
		usleep(100 * 1000);
		before = free_kib();
		if (idle < 0 || before < 0)
			return 0;
		if (labs(before - idle) > noise)
			noise = labs(before - idle);
		if (do_map(bp, b, 0, b->len, BENCH_IOVA))
			return report(bp->p, "map (kmem)");
		after = free_kib();
		if (do_unmap(bp, 0, BENCH_IOVA, b->len))
			return report(bp->p, "unmap (kmem)");
		kib[r] = (before - after) * scale;
	}
	row = add_plain(bp->p, bk, OP_KMEM, b->len, kib, opt.reps);
	snprintf(row->note, sizeof(row->note), "idle noise %ld KiB", noise);
	return 0;
}

/* The map, unmap and copy rows of one path on one buffer */
static int run_bulk(struct bench_path *bp, const struct buffer *b,
		    enum backing bk, int largest)
{
	double tmap[MAX_REPS], tunmap[MAX_REPS], tcopy[MAX_REPS], t0, t1, t2;
	struct row *map_row, *copy_row = NULL;
	size_t len = b->len;
	int r;

	for (r = 0; r < opt.reps; r++) {
		t0 = now_ns();
		if (do_map(bp, b, 0, len, BENCH_IOVA)) {
			/* Kernels before 6.13 have no IOMMU_IOAS_MAP_FILE */
			if (errno == ENOTTY && b->memfd >= 0 && !bp->type1) {
				printf("%s memfd %s skipped: %s\n",
				       path_name[bp->p], size_str(len),
				       "no IOMMU_IOAS_MAP_FILE here");
				return 0;
			}
			return report(bp->p, "map");
		}
		t1 = now_ns();
		if (do_unmap(bp, 0, BENCH_IOVA, len))
			return report(bp->p, "unmap");
		t2 = now_ns();
		tmap[r] = t1 - t0;
		tunmap[r] = t2 - t1;
	}
	for (r = 0; bp->ioas[1] && r < opt.reps; r++) {
		if (do_map(bp, b, 0, len, BENCH_IOVA))
			return report(bp->p, "map (copy source)");
		t0 = now_ns();
		if (do_copy(bp, len))
			return report(bp->p, "copy");
		tcopy[r] = now_ns() - t0;
		if (do_unmap(bp, 1, BENCH_IOVA, len) ||
		    do_unmap(bp, 0, BENCH_IOVA, len))
			return report(bp->p, "unmap (copy)");
	}
	map_row = add_bulk(bp->p, bk, OP_MAP, len, tmap, opt.reps);
	strcpy(map_row->note, b->note);
	strcpy(add_bulk(bp->p, bk, OP_UNMAP, len, tunmap, opt.reps)->note,
	       b->note);
	if (bp->ioas[1]) {
		copy_row = add_bulk(bp->p, bk, OP_COPY, len, tcopy, opt.reps);
		strcpy(copy_row->note, b->note);
	}
	if (opt.pagesizes)
		read_pagesizes(bp, b, map_row, copy_row);
	if (largest && opt.kmem)
		return measure_kmem(bp, b, bk);
	return 0;
}

/* 6.1's type1 refuses more mappings per container than this parameter */
#define TYPE1_ENTRY_LIMIT "/sys/module/vfio_iommu_type1/parameters/dma_entry_limit"

/* Read (@val NULL) or write a number in a sysfs file; -1 on failure */
static long sysfs_long(const char *path, const long *val)
{
	FILE *f = fopen(path, val ? "w" : "r");
	long v = -1;

	if (!f)
		return -1;
	if (val)
		v = fprintf(f, "%ld\n", *val) > 0 ? *val : -1;
	else if (fscanf(f, "%ld", &v) != 1)
		v = -1;
	if (fclose(f))
		v = -1;
	return v;
}

/*
 * Does a filling IOAS slow maps down? opt.scale_count 4 KiB buffers from
 * @pool (repeating past its end) mapped one by one at consecutive IOVAs,
 * the first and the last window of maps timed, then all unmapped at once.
 */
static int run_scale(struct bench_path *bp, const struct buffer *pool)
{
	long count = opt.scale_count, in_pool = pool->len / SZ_4K, i, win;
	int rc = 0;
	double ratio[MAX_REPS], first = 0, last = 0, t = 0;
	struct row *row;
	int r;

	win = count / 4 < 1000 ? count / 4 : 1000;
	if (win < 1)
		return 0;
	for (r = 0; r < opt.reps; r++) {
		for (i = 0; i < count; i++) {
			if (i == 0 || i == count - win)
				t = now_ns();
			if (do_map(bp, pool, (i % in_pool) * SZ_4K, SZ_4K,
				   BENCH_IOVA + i * SZ_4K)) {
				/* type1 has a per-container limit */
				if (errno == ENOSPC && bp->type1)
					printf("%s map-scale skipped: more than %s maps\n",
					       path_name[bp->p],
					       "dma_entry_limit");
				else
					rc = report(bp->p, "map (scale)");
				do_unmap(bp, 0, BENCH_IOVA, count * SZ_4K);
				return rc;
			}
			if (i == win - 1)
				first = (now_ns() - t) / win;
			if (i == count - 1)
				last = (now_ns() - t) / win;
		}
		if (do_unmap(bp, 0, BENCH_IOVA, count * SZ_4K))
			return report(bp->p, "unmap (scale)");
		ratio[r] = last / first;
	}
	row = add_plain(bp->p, B_4K, OP_MAP_SCALE, SZ_4K, ratio, opt.reps);
	row->med_ns = 0;
	snprintf(row->note, sizeof(row->note), "1st %.0f ns, last %.0f ns",
		 first, last);
	return 0;
}

/*
 * Per-call latency: opt.small_count buffers of @size from @pool mapped at
 * consecutive IOVAs one call each, then unmapped one call each (in rounds
 * when they do not all fit in the 1 GiB IOVA window).
 */
static int run_latency(struct bench_path *bp, const struct buffer *pool,
		       size_t size)
{
	long slots = SZ_1G / size, in_pool = pool->len / size, done, i, n;
	double map_ns[MAX_REPS], unmap_ns[MAX_REPS], t;
	int r;

	for (r = 0; r < opt.reps; r++) {
		map_ns[r] = 0;
		unmap_ns[r] = 0;
		for (done = 0; done < opt.small_count; done += n) {
			n = opt.small_count - done < slots ?
			    opt.small_count - done : slots;
			t = now_ns();
			for (i = 0; i < n; i++)
				if (do_map(bp, pool, ((done + i) % in_pool) * size,
					   size, BENCH_IOVA + i * size))
					return report(bp->p, "map (small)");
			map_ns[r] += now_ns() - t;
			t = now_ns();
			for (i = 0; i < n; i++)
				if (do_unmap(bp, 0, BENCH_IOVA + i * size, size))
					return report(bp->p, "unmap (small)");
			unmap_ns[r] += now_ns() - t;
		}
		map_ns[r] /= opt.small_count;
		unmap_ns[r] /= opt.small_count;
	}
	add_plain(bp->p, B_4K, OP_MAP_LAT, size, map_ns, opt.reps);
	add_plain(bp->p, B_4K, OP_UNMAP_LAT, size, unmap_ns, opt.reps);
	return size == SZ_4K && opt.scale_count ? run_scale(bp, pool) : 0;
}

/*
 * Open each selected path once to see whether it works here. A path that
 * does not is dropped; only the mock may be missing without a failure.
 */
static void probe_paths(void)
{
	struct bench_path bp;
	int p, copy_err, ok;

	for (p = 0; p < P_COUNT; p++) {
		if (!(opt.paths & (1U << p)))
			continue;
		ok = !open_path(p, &bp, &copy_err);
		if (!ok && p == P_MOCK)
			printf("%-10s skipped: no IOMMU_TEST_CMD here (CONFIG_IOMMUFD_TEST): %s\n",
			       path_name[p], strerror(errno));
		else if (!ok)
			report(p, "open");
		else if (!bp.type1 && !bp.ioas[1])
			printf("%-10s no copy rows: no second domain (%s)\n",
			       path_name[p], p == P_IOMMUFD && !edu2.cdev[0] ?
			       "no edu device in another IOMMU group" :
			       strerror(copy_err));
		close_path(&bp);
		if (!ok)
			opt.paths &= ~(1U << p);
	}
}

/*
 * Open every usable path in turn and run on @b either the bulk rows of
 * backing @bk or, if @small is not 0, the latency rows of @small buffers
 */
static void run_paths(const struct buffer *b, enum backing bk, size_t small,
		      int largest)
{
	struct bench_path bp;
	int p, copy_err;

	for (p = 0; p < P_COUNT; p++) {
		if (!(opt.paths & (1U << p)))
			continue;
		if (open_path(p, &bp, &copy_err))
			report(p, "open");
		else if (small)
			run_latency(&bp, b, small);
		else
			run_bulk(&bp, b, bk, largest);
		close_path(&bp);
	}
}

/* Table order: operation, backing, size, path */
static int cmp_row(const void *a, const void *b)
{
	const struct row *x = a, *y = b;

	if (x->op != y->op)
		return x->op - y->op;
	if (x->backing != y->backing)
		return x->backing - y->backing;
	if (x->size != y->size)
		return x->size < y->size ? -1 : 1;
	return x->path - y->path;
}

static const struct row *find_row(enum path p, const struct row *like)
{
	int i;

	for (i = 0; i < nrows; i++)
		if (rows[i].path == p && rows[i].backing == like->backing &&
		    rows[i].op == like->op && rows[i].size == like->size)
			return &rows[i];
	return NULL;
}

/*
 * type1's median time (or kernel memory) over this row's, 0 if there is
 * nothing to compare: above 1, this row does better than type1
 */
static double vs_type1(const struct row *r)
{
	const struct row *t = find_row(P_TYPE1, r);

	if (!t || r->op == OP_COPY)
		return 0;
	if (r->op == OP_KMEM)
		return t->med > 0 && r->med > 0 ? t->med / r->med : 0;
	return r->med_ns ? t->med_ns / r->med_ns : 0;
}

/* For copy rows: a fresh map's median time over the copy's */
static double vs_map(const struct row *r)
{
	struct row like = *r;
	const struct row *m;

	if (r->op != OP_COPY)
		return 0;
	like.op = OP_MAP;
	m = find_row(r->path, &like);
	return m && r->med_ns ? m->med_ns / r->med_ns : 0;
}

static const char *pages_str(const struct row *r)
{
	static char buf[64];
	int n = 0, i;

	if (r->op != OP_MAP && r->op != OP_COPY)
		return "-";
	if (r->pages[0] < 0)
		return "n/a";
	buf[0] = 0;
	for (i = PG_COUNT - 1; i >= 0; i--)
		if (r->pages[i])
			n += snprintf(buf + n, sizeof(buf) - n, "%s%ldx%s",
				      n ? "+" : "", r->pages[i], pg_name[i]);
	return n ? buf : "none";
}

/* Nanoseconds per 4 KiB page of a timed row, 0 for kmem rows */
static double ns_per_4k(const struct row *r)
{
	size_t pages = r->size / SZ_4K;

	return r->med_ns / (pages ? pages : 1);
}

static void print_table(void)
{
	char x[16], m[16], p[16];
	const struct row *r;
	int i;

	printf("\n%-10s %-7s %5s %-9s %10s %10s %10s %-7s %8s %7s %6s  %s\n",
	       "path", "backing", "size", "op", "median", "min", "max",
	       "unit", "ns/4K", "x type1", "x map", "IOMMU pages, notes");
	for (i = 0; i < nrows; i++) {
		r = &rows[i];
		strcpy(x, "-");
		strcpy(m, "-");
		strcpy(p, "-");
		if (vs_type1(r))
			snprintf(x, sizeof(x), "%.2f", vs_type1(r));
		if (vs_map(r))
			snprintf(m, sizeof(m), "%.1f", vs_map(r));
		if (ns_per_4k(r))
			snprintf(p, sizeof(p), "%.1f", ns_per_4k(r));
		printf("%-10s %-7s %5s %-9s %10.4g %10.4g %10.4g %-7s %8s %7s %6s  %s%s%s\n",
		       path_name[r->path], backing_name[r->backing],
		       size_str(r->size), op_info[r->op].name, r->med, r->min,
		       r->max, op_info[r->op].unit, p, x, m, pages_str(r),
		       r->note[0] ? "  " : "", r->note);
	}
}

static int write_csv(const char *file)
{
	const struct row *r;
	FILE *f;
	int i, j;

	f = fopen(file, "w");
	if (!f) {
		printf("%s: %s\n", file, strerror(errno));
		return -1;
	}
	fputs("path,backing,size,op,median,min,max,unit,median_ns,", f);
	fputs("ratio_vs_type1,ratio_vs_map,pages_4k,pages_2m,pages_1g,", f);
	fputs("reps,kernel,note\n", f);
	for (i = 0; i < nrows; i++) {
		r = &rows[i];
		fprintf(f, "%s,%s,%zu,%s,%.6g,%.6g,%.6g,%s,%.0f,",
			path_name[r->path], backing_name[r->backing], r->size,
			op_info[r->op].name, r->med, r->min, r->max,
			op_info[r->op].unit, r->med_ns);
		if (vs_type1(r))
			fprintf(f, "%.3f", vs_type1(r));
		fputc(',', f);
		if (vs_map(r))
			fprintf(f, "%.3f", vs_map(r));
		for (j = 0; j < PG_COUNT; j++)
			if (r->pages[0] >= 0 && (r->op == OP_MAP ||
						 r->op == OP_COPY))
				fprintf(f, ",%ld", r->pages[j]);
			else
				fputc(',', f);
		fprintf(f, ",%d,%s,%s\n", opt.reps, kernel, r->note);
	}
	return fclose(f);
}

static void print_usage(FILE *f)
{
	fprintf(f,
		"usage: iommufd-bench [options]\n"
		"  --reps N          repetitions of every cell (default 5, at most %d)\n"
		"  --max-size SIZE   largest buffer, e.g. 64M (default and at most 1G);\n"
		"                    sizes are 4K, 2M, 64M, 1G up to it, and SIZE\n"
		"  --small-count N   buffers of each small size for the latency rows\n"
		"                    (default 10000, 0: no latency rows)\n"
		"  --scale-count N   4 KiB maps of the map-scale row (default 100000,\n"
		"                    at most 262144, 0: no such row)\n"
		"  --paths LIST      some of iommufd,type1,iommufd-t1,mock,nodev\n"
		"                    (default all)\n"
		"  --backings LIST   some of 4k,thp,hugetlb,memfd (default all)\n"
		"  --pagesizes       read the IOMMU page sizes of each VT-d mapping\n"
		"                    back from %s\n"
		"  --no-kmem         skip the kernel memory rows\n"
		"  --label TEXT      name of this kernel in the CSV (default: \"debug\"\n"
		"                    on kernels with kmemleak, else none)\n"
		"  --csv FILE        also write the rows to FILE as CSV\n"
		"  --smoke           tiny sizes, 2 repetitions: only checks that it runs\n",
		MAX_REPS, DEBUGFS_PGTABLE);
}

/* "4096", "64K", "2M", "1G" */
static int parse_size(const char *s, size_t *out)
{
	unsigned long long v;
	const char *unit;
	char *end;

	errno = 0;
	v = strtoull(s, &end, 0);
	unit = *end ? strchr("KMG", *end) : NULL;
	if (unit) {
		v <<= 10 * (unit - "KMG" + 1);
		end++;
	}
	if (errno || end == s || *end || !v || v % SZ_4K || v > MAX_SIZE)
		return -1;
	*out = v;
	return 0;
}

/* A comma-separated list of @names into a bit mask */
static int parse_list(const char *s, const char *const *names, int n,
		      unsigned int *mask)
{
	char *copy = strdup(s), *tok, *save = NULL;
	int i, bad = 0;

	*mask = 0;
	for (tok = strtok_r(copy, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		for (i = 0; i < n && strcmp(tok, names[i]); i++)
			;
		if (i == n)
			bad = 1;
		else
			*mask |= 1U << i;
	}
	free(copy);
	return bad || !*mask ? -1 : 0;
}

/* Returns 0, or the index of the first bad argument */
static int parse_args(int argc, char **argv)
{
	const char *a, *v;
	char *end;
	int i;

	for (i = 1; i < argc; i++) {
		a = argv[i];
		v = argv[i + 1];	/* argv[argc] is NULL */
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			print_usage(stdout);
			exit(0);
		}
		if (!strcmp(a, "--smoke")) {
			opt.smoke = 1;
			continue;
		}
		if (!strcmp(a, "--pagesizes")) {
			opt.pagesizes = 1;
			continue;
		}
		if (!strcmp(a, "--no-kmem")) {
			opt.kmem = 0;
			continue;
		}
		/* The rest take a value */
		if (!v)
			return i;
		i++;
		if (!strcmp(a, "--reps")) {
			opt.reps = strtol(v, &end, 10);
			if (*end || opt.reps < 1 || opt.reps > MAX_REPS)
				return i - 1;
		} else if (!strcmp(a, "--scale-count")) {
			opt.scale_count = strtol(v, &end, 10);
			if (*end || opt.scale_count < 0 ||
			    opt.scale_count > (long)(SZ_1G / SZ_4K))
				return i - 1;
		} else if (!strcmp(a, "--small-count")) {
			opt.small_count = strtol(v, &end, 10);
			if (*end || opt.small_count < 0)
				return i - 1;
		} else if (!strcmp(a, "--max-size")) {
			if (parse_size(v, &opt.max_size))
				return i - 1;
		} else if (!strcmp(a, "--paths")) {
			if (parse_list(v, path_name, P_COUNT, &opt.paths))
				return i - 1;
		} else if (!strcmp(a, "--backings")) {
			if (parse_list(v, backing_name, B_COUNT, &opt.backings))
				return i - 1;
		} else if (!strcmp(a, "--label")) {
			opt.label = v;
		} else if (!strcmp(a, "--csv")) {
			opt.csv = v;
		} else {
			return i - 1;
		}
	}
	return 0;
}

/* uname -r and -v of this kernel, and its label; no commas (CSV) */
static void name_kernel(void)
{
	struct utsname u;
	char *c;

	if (!opt.label && !access("/sys/kernel/debug/kmemleak", F_OK))
		opt.label = "debug";
	if (uname(&u)) {
		strcpy(u.release, "?");
		strcpy(u.version, "?");
	}
	snprintf(kernel, sizeof(kernel), "%s %s%s%s%s", u.release, u.version,
		 opt.label ? " [" : "", opt.label ? opt.label : "",
		 opt.label ? "]" : "");
	for (c = kernel; *c; c++)
		if (*c == ',')
			*c = ';';
}

/* Thp and hugetlb buffers are made of 2 MiB pages */
static int cell_exists(enum backing bk, size_t size)
{
	if (bk == B_THP || bk == B_HUGETLB)
		return !(size % SZ_2M);
	return 1;
}

int main(int argc, char **argv)
{
	static const size_t full_sizes[] = { SZ_4K, SZ_2M, SZ_64M, SZ_1G };
	static const size_t smoke_sizes[] = { SZ_4K, SZ_64K };
	static const size_t small_sizes[] = { SZ_4K, SZ_64K };
	size_t sizes[ARRAY_SIZE(full_sizes) + 1], pool;
	int nsizes = 0, i, s, bk;
	long type1_limit;
	struct buffer b;
	char why[128];
	double t0;

	i = parse_args(argc, argv);
	if (i) {
		fprintf(stderr, "iommufd-bench: bad argument '%s' (see --help)\n",
			argv[i]);
		return 2;
	}
	if (opt.smoke) {
		for (i = 0; i < (int)ARRAY_SIZE(smoke_sizes); i++)
			sizes[nsizes++] = smoke_sizes[i];
		opt.reps = 2;
		opt.small_count = 8;
		opt.scale_count = 64;
		opt.kmem = 0;
	} else {
		for (i = 0; i < (int)ARRAY_SIZE(full_sizes); i++)
			if (full_sizes[i] <= opt.max_size)
				sizes[nsizes++] = full_sizes[i];
		if (sizes[nsizes - 1] != opt.max_size)
			sizes[nsizes++] = opt.max_size;
	}
	name_kernel();

	if ((opt.paths & ~(1U << P_MOCK | 1U << P_NODEV)) &&
	    edu_prepare(&edu)) {
		printf("no edu device with a VFIO cdev: nothing to measure\n");
		return 4;
	}
	if (opt.paths & (1U << P_IOMMUFD))
		edu_prepare_other(&edu2, edu.group);
	printf("iommufd-bench on %s\n", kernel);
	if (edu.bdf[0])
		printf("edu %s (%s); copy destination: %s%s%s\n", edu.bdf,
		       edu.group, edu2.bdf[0] ? edu2.bdf : "none",
		       edu2.bdf[0] ? " " : "", edu2.group);
	printf("%d repetitions: median, min, max; %ld small buffers per latency row\n",
	       opt.reps, opt.small_count);
	if (opt.pagesizes && access(DEBUGFS_PGTABLE, R_OK)) {
		printf("IOMMU page sizes: n/a, no %s (CONFIG_INTEL_IOMMU_DEBUGFS)\n",
		       DEBUGFS_PGTABLE);
		opt.pagesizes = 0;
	}
	t0 = now_ns();
	/*
	 * 6.1's type1 allows 65535 mappings per container by default, read
	 * when the container opens: raise it for the map-scale row (root
	 * may) and put it back at the end.
	 */
	type1_limit = sysfs_long(TYPE1_ENTRY_LIMIT, NULL);
	if (type1_limit >= 0 && type1_limit < opt.scale_count)
		sysfs_long(TYPE1_ENTRY_LIMIT, &opt.scale_count);
	probe_paths();
	if (!opt.paths) {
		if (type1_limit >= 0 && type1_limit < opt.scale_count)
			sysfs_long(TYPE1_ENTRY_LIMIT, &type1_limit);
		printf("nothing to measure on this kernel\n");
		return failures ? 1 : 4;
	}

	for (bk = 0; bk < B_COUNT; bk++) {
		if (!(opt.backings & (1U << bk)))
			continue;
		for (s = 0; s < nsizes; s++) {
			if (!cell_exists(bk, sizes[s]))
				continue;
			if (buffer_alloc(&b, bk, sizes[s], why, sizeof(why))) {
				printf("%s %s skipped: %s\n", backing_name[bk],
				       size_str(sizes[s]), why);
				continue;
			}
			run_paths(&b, bk, 0, s == nsizes - 1);
			buffer_free(&b);
		}
	}

	for (s = 0; opt.small_count && s < (int)ARRAY_SIZE(small_sizes); s++) {
		pool = SMALL_POOL / small_sizes[s];
		if (pool > (size_t)opt.small_count)
			pool = opt.small_count;
		if (buffer_alloc(&b, B_4K, pool * small_sizes[s], why,
				 sizeof(why))) {
			printf("latency %s skipped: %s\n",
			       size_str(small_sizes[s]), why);
			continue;
		}
		run_paths(&b, B_4K, small_sizes[s], 0);
		buffer_free(&b);
	}

	qsort(rows, nrows, sizeof(*rows), cmp_row);
	print_table();
	printf("x type1: type1's median time (kmem: memory) / this row's\n"
	       "         above 1, this row does better than type1\n"
	       "x map: median time of a fresh map / of the copy of the same buffer\n");
	if (opt.kmem)
		printf("kmem: MemFree + per-CPU free lists lost with the largest buffer mapped\n");
	if (type1_limit >= 0 && type1_limit < opt.scale_count)
		sysfs_long(TYPE1_ENTRY_LIMIT, &type1_limit);
	printf("%d failures, %.1f s\n", failures, (now_ns() - t0) / 1e9);
	if (opt.csv && write_csv(opt.csv))
		failures++;
	return failures ? 1 : 0;
}
