// SPDX-License-Identifier: GPL-2.0-only
/*
 * iommufd-bench: map and unmap throughput of /dev/iommu against VFIO type1
 * on the same device (QEMU's edu behind VT-d), in one run.
 *
 * Paths, each measured on its own with nothing else open:
 *   iommufd      IOMMU_IOAS_MAP/UNMAP, the edu device bound through its
 *                VFIO cdev and attached to the IOAS
 *   type1        VFIO_IOMMU_MAP/UNMAP_DMA on /dev/vfio/vfio (6.1's type1),
 *                the edu group in the container
 *   iommufd-t1   the same type1 ioctls on a /dev/iommu file used as the
 *                group's container
 *   mock         IOMMU_IOAS_MAP/UNMAP on an IOAS with a mock domain (only
 *                on kernels with CONFIG_IOMMUFD_TEST)
 * Backing memory: 4K (MADV_NOHUGEPAGE) and THP (MADV_HUGEPAGE, 2 MiB
 * aligned), written to before mapping. Each cell is the median of the
 * repetitions; the ratio compares with type1 on the same row.
 *
 * Usage: iommufd-bench [--smoke] [--reps N] [--csv FILE]
 * --smoke runs tiny sizes only, to keep the program from rotting.
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
#include <time.h>
#include <unistd.h>

#include <linux/iommufd.h>
#include <linux/vfio.h>

#include "../../drivers/iommu/iommufd/iommufd_test.h"
#include "edu.h"

#define SZ_2M (2UL << 20)
/* Inside every path's aperture, the mock's [16 MiB, 2 GiB) included */
#define BENCH_IOVA 0x10000000ULL
#define MAX_REPS 64

enum path { P_IOMMUFD, P_TYPE1, P_IOMMUFD_T1, P_MOCK, P_COUNT };
static const char *const path_name[P_COUNT] = {
	"iommufd", "type1", "iommufd-t1", "mock",
};

/* One open path: how to map and unmap on it */
struct bench_path {
	int fd;		/* /dev/iommu or the container */
	int other[2];	/* group and device fds to close */
	__u32 ioas_id;
	int type1;	/* use the type1 ioctls on fd */
};

static struct edu_dev edu;

static int ioas_new(int fd, __u32 *ioas_id)
{
	struct iommu_ioas_alloc alloc = { .size = sizeof(alloc) };

	if (ioctl(fd, IOMMU_IOAS_ALLOC, &alloc))
		return -1;
	*ioas_id = alloc.out_ioas_id;
	return 0;
}

static int open_path(enum path p, struct bench_path *bp)
{
	struct vfio_device_bind_iommufd bind = { .argsz = 16 };
	struct vfio_device_attach_iommufd_pt attach = { .argsz = 12 };
	struct iommu_test_cmd mock = {
		.size = sizeof(mock),
		.op = IOMMU_TEST_OP_MOCK_DOMAIN,
	};

	memset(bp, 0, sizeof(*bp));
	bp->other[0] = -1;
	bp->other[1] = -1;
	switch (p) {
	case P_IOMMUFD:
		bp->fd = open("/dev/iommu", O_RDWR);
		bp->other[0] = open(edu.cdev, O_RDWR);
		if (bp->fd < 0 || bp->other[0] < 0)
			return -1;
		bind.iommufd = bp->fd;
		if (ioctl(bp->other[0], VFIO_DEVICE_BIND_IOMMUFD, &bind) ||
		    ioas_new(bp->fd, &bp->ioas_id))
			return -1;
		attach.pt_id = bp->ioas_id;
		return ioctl(bp->other[0], VFIO_DEVICE_ATTACH_IOMMUFD_PT,
			     &attach);
	case P_TYPE1:
	case P_IOMMUFD_T1:
		bp->fd = open(p == P_TYPE1 ? "/dev/vfio/vfio" : "/dev/iommu",
			      O_RDWR);
		bp->other[0] = open(edu.group, O_RDWR);
		if (bp->fd < 0 || bp->other[0] < 0 ||
		    ioctl(bp->other[0], VFIO_GROUP_SET_CONTAINER, &bp->fd) ||
		    ioctl(bp->fd, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU))
			return -1;
		/* iommufd attaches the group's devices when they open */
		bp->other[1] = ioctl(bp->other[0], VFIO_GROUP_GET_DEVICE_FD,
				     edu.bdf);
		bp->type1 = 1;
		return bp->other[1] < 0 ? -1 : 0;
	case P_MOCK:
		bp->fd = open("/dev/iommu", O_RDWR);
		if (bp->fd < 0 || ioas_new(bp->fd, &bp->ioas_id))
			return -1;
		mock.id = bp->ioas_id;
		return ioctl(bp->fd, IOMMU_TEST_CMD, &mock);
	default:
		return -1;
	}
}

static void close_path(struct bench_path *bp)
{
	if (bp->other[1] >= 0)
		close(bp->other[1]);
	if (bp->other[0] >= 0)
		close(bp->other[0]);
	if (bp->fd >= 0)
		close(bp->fd);
}

static int do_map(struct bench_path *bp, void *buf, size_t len)
{
	struct vfio_iommu_type1_dma_map t1 = {
		.argsz = sizeof(t1),
		.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
		.vaddr = (uintptr_t)buf,
		.iova = BENCH_IOVA,
		.size = len,
	};
	struct iommu_ioas_map map = {
		.size = sizeof(map),
		.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE |
			 IOMMU_IOAS_MAP_WRITEABLE,
		.ioas_id = bp->ioas_id,
		.user_va = (uintptr_t)buf,
		.length = len,
		.iova = BENCH_IOVA,
	};

	if (bp->type1)
		return ioctl(bp->fd, VFIO_IOMMU_MAP_DMA, &t1);
	return ioctl(bp->fd, IOMMU_IOAS_MAP, &map);
}

static int do_unmap(struct bench_path *bp, size_t len)
{
	struct vfio_iommu_type1_dma_unmap t1 = {
		.argsz = sizeof(t1),
		.iova = BENCH_IOVA,
		.size = len,
	};
	struct iommu_ioas_unmap unmap = {
		.size = sizeof(unmap),
		.ioas_id = bp->ioas_id,
		.iova = BENCH_IOVA,
		.length = len,
	};

	if (bp->type1)
		return ioctl(bp->fd, VFIO_IOMMU_UNMAP_DMA, &t1);
	return ioctl(bp->fd, IOMMU_IOAS_UNMAP, &unmap);
}

static int report(enum path p, const char *what)
{
	printf("%s: %s failed: %s\n", path_name[p], what, strerror(errno));
	return 1;
}

static double now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* A prefaulted buffer: THP-backed (2 MiB aligned) or 4K-only */
static void *buffer(size_t len, int thp)
{
	size_t span = len + SZ_2M;
	char *raw, *buf;

	raw = mmap(NULL, span, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (raw == MAP_FAILED)
		return NULL;
	buf = (char *)(((uintptr_t)raw + SZ_2M - 1) & ~(SZ_2M - 1));
	madvise(buf, len, thp ? MADV_HUGEPAGE : MADV_NOHUGEPAGE);
	memset(buf, 0x5a, len);
	return buf;
}

int main(int argc, char **argv)
{
	static const size_t full_sizes[] = { 4096, SZ_2M, 64UL << 20 };
	static const size_t smoke_sizes[] = { 4096, 64 * 1024 };
	const size_t *sizes = full_sizes;
	double map_us[P_COUNT][2][3], unmap_us[P_COUNT][2][3];
	int nsizes = 3, reps = 5, smoke = 0, failures = 0, bad;
	double tmap[MAX_REPS], tunmap[MAX_REPS];
	const char *csv = NULL;
	FILE *out = NULL;
	int p, thp, s, r, i;

	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--smoke"))
			smoke = 1;
		else if (!strcmp(argv[i], "--reps") && i + 1 < argc)
			reps = atoi(argv[++i]);
		else if (!strcmp(argv[i], "--csv") && i + 1 < argc)
			csv = argv[++i];
	}
	if (smoke) {
		sizes = smoke_sizes;
		nsizes = 2;
		reps = 2;
	}
	if (reps < 1 || reps > MAX_REPS)
		reps = 5;
	if (edu_prepare(&edu)) {
		printf("no edu device with a VFIO cdev: nothing to measure\n");
		return 4;
	}
	printf("iommufd-bench: edu %s, %d repetitions, medians\n", edu.bdf,
	       reps);

	for (p = 0; p < P_COUNT; p++)
		for (thp = 0; thp < 2; thp++)
			for (s = 0; s < nsizes; s++)
				map_us[p][thp][s] = -1;

	for (p = 0; p < P_COUNT; p++) {
		struct bench_path bp;

		if (open_path(p, &bp)) {
			printf("%-10s unavailable: %s\n", path_name[p],
			       strerror(errno));
			close_path(&bp);
			if (p != P_MOCK)
				failures++;
			continue;
		}
		for (thp = 0; thp < 2; thp++) {
			for (s = 0; s < nsizes; s++) {
				void *buf;

				/* No THP backing below 2 MiB */
				if (thp && sizes[s] < SZ_2M)
					continue;
				buf = buffer(sizes[s], thp);
				if (!buf) {
					failures += report(p, "mmap");
					continue;
				}
				for (r = 0, bad = 0; r < reps && !bad; r++) {
					double t0 = now_us(), t1, t2;

					if (do_map(&bp, buf, sizes[s]))
						bad = report(p, "map");
					t1 = now_us();
					if (!bad && do_unmap(&bp, sizes[s]))
						bad = report(p, "unmap");
					t2 = now_us();
					tmap[r] = t1 - t0;
					tunmap[r] = t2 - t1;
				}
				failures += bad;
				if (!bad) {
					map_us[p][thp][s] = median(tmap, reps);
					unmap_us[p][thp][s] = median(tunmap, reps);
				}
				munmap(buf, sizes[s]);
			}
		}
		close_path(&bp);
	}

	if (csv)
		out = fopen(csv, "w");
	if (out)
		fprintf(out, "path,backing,bytes,map_us,unmap_us,map_vs_type1,unmap_vs_type1\n");
	printf("%-10s %-4s %10s %12s %12s %9s %9s\n", "path", "mem", "bytes",
	       "map us", "unmap us", "map x", "unmap x");
	for (p = 0; p < P_COUNT; p++) {
		for (thp = 0; thp < 2; thp++) {
			for (s = 0; s < nsizes; s++) {
				double m = map_us[p][thp][s];
				double u = unmap_us[p][thp][s];
				double tm = map_us[P_TYPE1][thp][s];
				double tu = unmap_us[P_TYPE1][thp][s];
				double rm = m > 0 && tm > 0 ? tm / m : 0;
				double ru = u > 0 && tu > 0 ? tu / u : 0;

				if (m < 0)
					continue;
				printf("%-10s %-4s %10zu %12.1f %12.1f %9.2f %9.2f\n",
				       path_name[p], thp ? "THP" : "4K",
				       sizes[s], m, u, rm, ru);
				if (out)
					fprintf(out, "%s,%s,%zu,%.1f,%.1f,%.3f,%.3f\n",
						path_name[p], thp ? "THP" : "4K",
						sizes[s], m, u, rm, ru);
			}
		}
	}
	if (out)
		fclose(out);
	printf("(x: type1 time / this path's time on the same row; > 1 is faster than type1)\n");
	return failures ? 1 : 0;
}
