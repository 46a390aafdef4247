// SPDX-License-Identifier: GPL-2.0-only
/*
 * Fault injection over whole iommufd scenarios.
 *
 * Each test runs one scenario (a sequence of /dev/iommu calls) again and
 * again with /proc/self/task/TID/fail-nth set to 1, 2, 3, ...: the nth
 * fault-injection point the thread passes (a slab or page allocation)
 * fails. After each run the counter is read back; a non-zero value means
 * the scenario finished before reaching the nth point, so every error
 * path has been tried and the loop ends.
 *
 * Every run must end in one of two ways: each call succeeded, or the
 * first failing call failed with ENOMEM and changed nothing. That is
 * checked through the pinned-page charge (VmPin, with RLIMIT_MODE 1, and
 * VmLck for the type1 ioctls):
 * each scenario keeps the charge its successful calls should leave, the
 * charge must be exactly that after the run, and back to the start after
 * the file is closed, when (with IOMMU_TEST_CMD) no page of the buffer
 * may be pinned either. KASAN, kmemleak and lockdep in the test kernel
 * watch the rest.
 *
 * Memory is pinned on demand: a page is pinned, and charged once per
 * IOAS_MAP that named it, exactly while an area of an IOAS with a domain
 * covers it or an access pins it. A map or copy into an IOAS without a
 * domain pins nothing, the first domain attached pins every area of its
 * IOAS and the last one going unpins them, and an unmap unpins only the
 * pages no other area with a domain (or access) still needs.
 *
 * Before any test, the program sets failslab and fail_page_alloc (in
 * debugfs) to fail sleeping allocations too, any order of pages, and to
 * affect only tasks that ask through fail-nth; the settings it found
 * are put back at exit. Without fail-nth (no CONFIG_FAULT_INJECTION) the
 * tests skip.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <linux/iommufd.h>

#include "../kselftest_harness.h"
#include "iommufd_utils.h"

#define BUF_SIZE (4 * SZ_1M)

/*
 * Where in the buffer the scenarios with an access keep the data they
 * copy: faulted in beforehand like the rest (a page fault of the test
 * while fail-nth is set would use up the injected failure) and mapped by
 * none of them.
 */
#define SCRATCH_OFF (3 * SZ_1M)

/* A scenario needing more injection points than this is a bug */
#define MAX_NTH 10000

/* The fail-nth file of the calling thread */
static void fail_nth_path(char *path, size_t len)
{
	snprintf(path, len, "/proc/self/task/%ld/fail-nth",
		 (long)syscall(SYS_gettid));
}

static bool fail_nth_write(int nth_fd, unsigned int nth)
{
	char buf[16];
	int len;

	len = snprintf(buf, sizeof(buf), "%u", nth);
	return pwrite(nth_fd, buf, len, 0) == len;
}

/* What is left of the count written last; -1 on error */
static long fail_nth_read(int nth_fd)
{
	char buf[16];
	ssize_t n;

	n = pread(nth_fd, buf, sizeof(buf) - 1, 0);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	return strtol(buf, NULL, 10);
}

/*
 * The state of one run. Scenarios set @fd once the file is open (and
 * @access_fd once they have an access, closed first), add to
 * @pinned_kb (VmPin) and @locked_kb (VmLck) what each successful call
 * pins and subtract what it releases, and record in @step and @err where
 * and how they stopped.
 */
struct fail_run {
	int fd;
	int access_fd;
	long pinned_kb;
	long locked_kb;
	int step;
	int err;
	char *buf;
};

/* Count a step that returned @rc; true when it failed (errno is kept) */
static bool step_failed(struct fail_run *run, int rc)
{
	run->step++;
	if (!rc)
		return false;
	run->err = errno;
	return true;
}

static int set_mm_mode(int fd)
{
	struct iommu_option cmd = {
		.size = sizeof(cmd),
		.option_id = IOMMU_OPTION_RLIMIT_MODE,
		.op = IOMMU_OPTION_OP_SET,
		.val64 = 1,
	};

	return ioctl(fd, IOMMU_OPTION, &cmd);
}

/* Reserve IOVA through IOMMU_TEST_CMD; 0 without CONFIG_IOMMUFD_TEST */
/* add_reserved(); without the test command there is nothing to reserve */
static int try_add_reserved(int fd, __u32 id, __u64 start, __u64 length)
{
	if (add_reserved(fd, id, start, length) && errno != ENOTTY)
		return -1;
	return 0;
}

/* Open /dev/iommu for a run; with @mm_mode, charge VmPin */
static int open_iommufd(struct fail_run *run, bool mm_mode)
{
	run->fd = open(IOMMUFD_DEV, O_RDWR);
	if (step_failed(run, run->fd < 0 ? -1 : 0))
		return -1;
	if (mm_mode && step_failed(run, set_mm_mode(run->fd)))
		return -1;
	return run->fd;
}

/* A step that checks data: 0 when equal, else -1 with errno EIO */
static int same_data(const void *a, const void *b, size_t len)
{
	if (!memcmp(a, b, len))
		return 0;
	errno = EIO;
	return -1;
}

/* IOMMU_TEST_OP_ACCESS_RW through the access of @run */
static int run_rw_at(struct fail_run *run, __u64 iova, void *data,
		     __u64 length, __u32 flags)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_ACCESS_RW,
		.id = run->access_fd,
		.access_rw = { .iova = iova, .length = length,
			       .uptr = (uintptr_t)data, .flags = flags },
	};

	return test_cmd(run->fd, &cmd);
}

/*
 * IOMMU_TEST_OP_ACCESS_PAGES through the access of @run; the pages must
 * show @uptr unless it is NULL. *@id names the pin.
 */
static int run_pin_iova(struct fail_run *run, __u64 iova, __u64 length,
			const void *uptr, __u32 flags, __u32 *id)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_ACCESS_PAGES,
		.id = run->access_fd,
		.access_pages = { .iova = iova, .length = length,
				  .uptr = (uintptr_t)uptr, .flags = flags },
	};
	int rc;

	rc = test_cmd(run->fd, &cmd);
	if (!rc && id)
		*id = cmd.access_pages.out_access_pages_id;
	return rc;
}

/* Give back the pin @id of the access of @run */
static int run_unpin_id(struct fail_run *run, __u32 id)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_DESTROY_ACCESS_PAGES,
		.id = run->access_fd,
		.destroy_access_pages.access_pages_id = id,
	};

	return test_cmd(run->fd, &cmd);
}

/* An access to @ioas_id for @run, pinning pages with @pin */
static int add_access(struct fail_run *run, __u32 ioas_id, bool pin)
{
	return create_access(run->fd, ioas_id,
			     pin ? MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES : 0,
			     &run->access_fd);
}

/* Close the access of @run, which lets go of all its pins */
static void close_access(struct fail_run *run)
{
	close(run->access_fd);
	run->access_fd = -1;
}

/*
 * Map two areas, copy a range across both into a second IOAS and part
 * of the first back into itself, then unmap and destroy it all. Neither
 * IOAS has a domain: nothing is pinned or charged at any point.
 */
static int scenario_map_copy_unmap(struct fail_run *run)
{
	const __u32 ro_fixed = IOMMU_IOAS_MAP_READABLE |
			       IOMMU_IOAS_MAP_FIXED_IOVA;
	char *buf = run->buf;
	__u64 iova;
	__u32 a, b;
	int fd;

	fd = open_iommufd(run, true);
	if (fd < 0)
		return -1;
	if (step_failed(run, ioas_alloc(fd, &a)) ||
	    step_failed(run, ioas_alloc(fd, &b)))
		return -1;

	iova = 0;
	if (step_failed(run, ioas_map(fd, a, MAP_FIXED_RW, buf, 4 * SZ_64K,
				      &iova)))
		return -1;
	/* A whole huge page, read-only, right after the first area */
	iova = 4 * SZ_64K;
	if (step_failed(run, ioas_map(fd, a, ro_fixed, buf + SZ_2M, SZ_2M,
				      &iova)))
		return -1;

	/* The end of the first area and the start of the second */
	iova = 16 * SZ_1M;
	if (step_failed(run, ioas_copy(fd, b, a, ro_fixed, 2 * SZ_64K,
				       3 * SZ_64K, &iova)) ||
	    step_failed(run, ioas_copy(fd, a, a, MAP_RW, 0, SZ_64K, &iova)) ||
	    step_failed(run, ioas_unmap(fd, a, 0, UINT64_MAX, NULL)) ||
	    step_failed(run, ioas_unmap(fd, b, 0, UINT64_MAX, NULL)) ||
	    step_failed(run, destroy(fd, b)) ||
	    step_failed(run, destroy(fd, a)))
		return -1;
	return 0;
}

/* Allowed ranges, replaced and cleared, beside reserved ones */
static int scenario_allow_iovas(struct fail_run *run)
{
	struct iommu_iova_range three[] = {
		{ .start = SZ_1M, .last = 2 * SZ_1M - 1 },
		{ .start = 4 * SZ_1M, .last = 8 * SZ_1M - 1 },
		{ .start = SZ_64K, .last = 2 * SZ_64K - 1 },
	};
	struct iommu_iova_range two[] = {
		{ .start = 16 * SZ_1M, .last = 32 * SZ_1M - 1 },
		{ .start = 0, .last = SZ_4K - 1 },
	};
	__u64 iova = 0;
	__u32 a;
	int fd;

	fd = open_iommufd(run, true);
	if (fd < 0)
		return -1;
	if (step_failed(run, ioas_alloc(fd, &a)) ||
	    step_failed(run, allow_iovas(fd, a, three, 3)) ||
	    step_failed(run, try_add_reserved(fd, a, 64 * SZ_1M, SZ_1M)) ||
	    step_failed(run, allow_iovas(fd, a, two, 2)))
		return -1;
	/* Kernel-chosen IOVAs come from the allowed ranges; no domain pins */
	if (step_failed(run, ioas_map(fd, a, MAP_RW, run->buf, SZ_64K,
				      &iova)) ||
	    step_failed(run, vfio_ioas(fd, IOMMU_VFIO_IOAS_SET, &a)) ||
	    step_failed(run, allow_iovas(fd, a, NULL, 0)) ||
	    step_failed(run, destroy(fd, a)))
		return -1;
	return 0;
}

/* IOVA_RANGES around several reserved ranges */
static int scenario_iova_ranges(struct fail_run *run)
{
	struct iommu_iova_range r[8];
	__u32 num = ARRAY_SIZE(r);
	__u32 a;
	int fd;

	fd = open_iommufd(run, false);
	if (fd < 0)
		return -1;
	if (step_failed(run, ioas_alloc(fd, &a)) ||
	    step_failed(run, try_add_reserved(fd, a, 0, SZ_64K)) ||
	    step_failed(run, try_add_reserved(fd, a, SZ_1M, SZ_1M)) ||
	    step_failed(run, try_add_reserved(fd, a, SZ_1M + SZ_64K, 4 * SZ_1M)) ||
	    step_failed(run, iova_ranges(fd, a, r, &num, NULL)) ||
	    step_failed(run, destroy(fd, a)))
		return -1;
	return 0;
}

/*
 * An emulated device's access to IOASes without a domain, where only
 * what it pins is pinned (and per page counted): read and written
 * through, its pins released by hand and by an unmap's callback, moved
 * to another IOAS and closed while holding a pin.
 */
static int scenario_access(struct fail_run *run)
{
	const size_t big = 20 * SZ_4K, len = 2 * SZ_4K;
	char *tmp = run->buf + SCRATCH_OFF;
	char *buf = run->buf;
	__u32 a, b, pin;
	__u64 iova;
	int fd;

	fd = open_iommufd(run, true);
	if (fd < 0)
		return -1;
	if (step_failed(run, ioas_alloc(fd, &a)) ||
	    step_failed(run, ioas_alloc(fd, &b)))
		return -1;
	iova = SZ_1M;
	if (step_failed(run, ioas_map(fd, a, MAP_FIXED_RW, buf, 4 * SZ_64K,
				      &iova)) ||
	    step_failed(run, ioas_copy(fd, b, a, MAP_FIXED_RW, SZ_1M, SZ_64K,
				       &iova)) ||
	    step_failed(run, add_access(run, a, true)))
		return -1;

	/* Each pins for the call only: a few pages, then a page array */
	if (step_failed(run, run_rw_at(run, SZ_1M + SZ_4K - 5, tmp, len,
				       0)) ||
	    step_failed(run, same_data(tmp, buf + SZ_4K - 5, len)) ||
	    step_failed(run, run_rw_at(run, SZ_1M + SZ_4K - 5, tmp, len,
				       MOCK_ACCESS_RW_WRITE |
				       MOCK_ACCESS_RW_SLOW_PATH)) ||
	    step_failed(run, run_rw_at(run, SZ_1M + 100, tmp, big, 0)) ||
	    step_failed(run, same_data(tmp, buf + 100, big)))
		return -1;

	/* Pinned on demand, counted in a new per-page xarray */
	if (step_failed(run, run_pin_iova(run, SZ_1M + SZ_64K, 3 * SZ_4K,
					  buf + SZ_64K,
					  MOCK_FLAGS_ACCESS_WRITE, &pin)))
		return -1;
	run->pinned_kb += 3 * SZ_4K / 1024;
	/* Over pinned and unpinned pages: only the pins of the call go */
	if (step_failed(run, run_rw_at(run, SZ_1M + SZ_64K - 100, tmp, len,
				       0)) ||
	    step_failed(run, same_data(tmp, buf + SZ_64K - 100, len)) ||
	    step_failed(run, run_unpin_id(run, pin)))
		return -1;
	run->pinned_kb -= 3 * SZ_4K / 1024;

	/* Pinned again, and released by the unmap's callback */
	if (step_failed(run, run_pin_iova(run, SZ_1M, 4 * SZ_64K, NULL, 0,
					  NULL)))
		return -1;
	run->pinned_kb += 4 * SZ_64K / 1024;
	if (step_failed(run, ioas_unmap(fd, a, SZ_1M, 4 * SZ_64K, NULL)))
		return -1;
	run->pinned_kb -= 4 * SZ_64K / 1024;

	/* To the copy in b, pinned there, closed with the pin held */
	if (step_failed(run, access_replace_ioas(run->fd, run->access_fd, b)) ||
	    step_failed(run, run_pin_iova(run, iova, SZ_64K, buf, 0, NULL)))
		return -1;
	run->pinned_kb += SZ_64K / 1024;
	close_access(run);
	run->pinned_kb -= SZ_64K / 1024;
	if (step_failed(run, destroy(fd, a)) ||
	    step_failed(run, destroy(fd, b)))
		return -1;
	return 0;
}

/* have_test_cmd(), asked of a context of its own */
static bool kernel_has_test_cmd(void)
{
	bool have;
	int fd;

	fd = open(IOMMUFD_DEV, O_RDWR);
	if (fd < 0)
		return false;
	have = have_test_cmd(fd);
	close(fd);
	return have;
}

#define MOCK_IOVA(off) (MOCK_APERTURE_START + (off))

/*
 * A mock device attached where mappings already exist, so that each
 * attach fills a domain and the first one of an IOAS pins its areas:
 * two maps of the same buffer (each pinned and charged once), a copy
 * sharing the pages of one of them and pages an access already pins.
 * The automatic HWPT goes again (unpinning all but the access's pages)
 * and comes back, then come a HWPT from IOMMU_HWPT_ALLOC, a replace onto
 * it, a replace onto another IOAS (a new automatic HWPT there) and the
 * teardown. One small device and small maps: each mock device passes
 * dozens of injection points of the driver core, and each xarray node
 * of a mock domain two.
 */
static int scenario_mock_attach(struct fail_run *run)
{
	const __u32 ro_fixed = IOMMU_IOAS_MAP_READABLE |
			       IOMMU_IOAS_MAP_FIXED_IOVA;
	/* The first attach pins all of a but the access's two pages */
	const long a_kb = 8 * SZ_64K / 1024, access_kb = 2 * SZ_4K / 1024;
	__u32 a, b, stdev, idev, hwpt, hwpt2, hwpt_b;
	char *buf = run->buf;
	__u64 iova;
	int fd;

	fd = open_iommufd(run, true);
	if (fd < 0)
		return -1;
	if (step_failed(run, ioas_alloc(fd, &a)) ||
	    step_failed(run, ioas_alloc(fd, &b)))
		return -1;
	/* No domain yet: nothing is pinned */
	iova = MOCK_IOVA(SZ_1M);
	if (step_failed(run, ioas_map_fixed(fd, a, buf, 4 * SZ_64K,
					    MOCK_IOVA(0))) ||
	    step_failed(run, ioas_map(fd, a, ro_fixed, buf + 4 * SZ_64K,
				      2 * SZ_64K, &iova)) ||
	    step_failed(run, ioas_map_fixed(fd, a, buf, 2 * SZ_64K,
					    MOCK_IOVA(2 * SZ_1M))) ||
	    step_failed(run, ioas_copy_fixed(fd, a, a, MOCK_IOVA(SZ_64K),
					     2 * SZ_64K,
					     MOCK_IOVA(3 * SZ_1M))) ||
	    step_failed(run, ioas_map_fixed(fd, b, buf + 6 * SZ_64K, SZ_64K,
					    MOCK_IOVA(0))))
		return -1;
	/* Two pages of the copy, pinned before any domain is attached */
	if (step_failed(run, add_access(run, a, true)) ||
	    step_failed(run, run_pin_iova(run, MOCK_IOVA(3 * SZ_1M),
					  2 * SZ_4K, buf + SZ_64K, 0, NULL)))
		return -1;
	run->pinned_kb += access_kb;

	if (step_failed(run, mock_domain(fd, a, &stdev, &hwpt, &idev)))
		return -1;
	run->pinned_kb += a_kb - access_kb;
	if (step_failed(run, md_check_map(fd, hwpt, MOCK_IOVA(0), buf,
					  4 * SZ_64K)) ||
	    step_failed(run, md_check_map(fd, hwpt, iova, buf + 4 * SZ_64K,
					  2 * SZ_64K)) ||
	    step_failed(run, md_check_map(fd, hwpt, MOCK_IOVA(2 * SZ_1M), buf,
					  2 * SZ_64K)) ||
	    step_failed(run, md_check_map(fd, hwpt, MOCK_IOVA(3 * SZ_1M),
					  buf + SZ_64K, 2 * SZ_64K)) ||
	    step_failed(run, destroy(fd, stdev)))
		return -1;
	run->pinned_kb -= a_kb - access_kb;

	if (step_failed(run, mock_domain(fd, a, &stdev, &hwpt, &idev)))
		return -1;
	run->pinned_kb += a_kb - access_kb;
	if (step_failed(run, md_check_map(fd, hwpt, MOCK_IOVA(0), buf,
					  4 * SZ_64K)) ||
	    step_failed(run, md_check_map(fd, hwpt, MOCK_IOVA(3 * SZ_1M),
					  buf + SZ_64K, 2 * SZ_64K)) ||
	    step_failed(run, hwpt_alloc(fd, idev, a, &hwpt2)) ||
	    step_failed(run, md_check_map(fd, hwpt2, MOCK_IOVA(0), buf,
					  4 * SZ_64K)) ||
	    step_failed(run, md_check_map(fd, hwpt2, iova, buf + 4 * SZ_64K,
					  2 * SZ_64K)) ||
	    step_failed(run, md_check_map(fd, hwpt2, MOCK_IOVA(2 * SZ_1M),
					  buf, 2 * SZ_64K)) ||
	    step_failed(run, mock_domain_replace(fd, stdev, hwpt2, NULL)) ||
	    step_failed(run, mock_domain_replace(fd, stdev, b, &hwpt_b)))
		return -1;
	run->pinned_kb += SZ_64K / 1024;
	if (step_failed(run, md_check_map(fd, hwpt_b, MOCK_IOVA(0),
					  buf + 6 * SZ_64K, SZ_64K)) ||
	    step_failed(run, destroy(fd, stdev)))
		return -1;
	run->pinned_kb -= SZ_64K / 1024;
	if (step_failed(run, destroy(fd, hwpt2)))
		return -1;
	run->pinned_kb -= a_kb - access_kb;
	close_access(run);
	run->pinned_kb -= access_kb;
	if (step_failed(run, ioas_unmap(fd, a, 0, UINT64_MAX, NULL)) ||
	    step_failed(run, ioas_unmap(fd, b, 0, UINT64_MAX, NULL)) ||
	    step_failed(run, destroy(fd, a)) ||
	    step_failed(run, destroy(fd, b)))
		return -1;
	return 0;
}

/*
 * Mappings made while mock domains are attached: two domains on one IOAS
 * (the automatic HWPT of a mock device and one from IOMMU_HWPT_ALLOC),
 * one more from IOMMU_HWPT_ALLOC on another, so every map and copy pins
 * at once, fills up to two domains and must undo the first when the
 * second fails.
 */
static int scenario_mock_map(struct fail_run *run)
{
	const __u32 ro = IOMMU_IOAS_MAP_READABLE;
	__u32 a, b, stdev, idev, hwpt, hwpt2, hwpt_b;
	char *buf = run->buf;
	__u64 iova, iova2;
	int fd;

	fd = open_iommufd(run, true);
	if (fd < 0)
		return -1;
	if (step_failed(run, ioas_alloc(fd, &a)) ||
	    step_failed(run, ioas_alloc(fd, &b)) ||
	    step_failed(run, mock_domain(fd, a, &stdev, &hwpt, &idev)) ||
	    step_failed(run, hwpt_alloc(fd, idev, a, &hwpt2)) ||
	    step_failed(run, hwpt_alloc(fd, idev, b, &hwpt_b)))
		return -1;

	if (step_failed(run, ioas_map_fixed(fd, a, buf, 4 * SZ_64K,
					    MOCK_IOVA(0))))
		return -1;
	run->pinned_kb += 4 * SZ_64K / 1024;
	if (step_failed(run, md_check_map(fd, hwpt, MOCK_IOVA(0), buf,
					  4 * SZ_64K)) ||
	    step_failed(run, md_check_map(fd, hwpt2, MOCK_IOVA(0), buf,
					  4 * SZ_64K)))
		return -1;
	/* Read-only, where the kernel chooses: inside the aperture */
	iova = 0;
	if (step_failed(run, ioas_map(fd, a, ro, buf + 4 * SZ_64K,
				      2 * SZ_64K, &iova)))
		return -1;
	run->pinned_kb += 2 * SZ_64K / 1024;
	if (step_failed(run, md_check_map(fd, hwpt, iova, buf + 4 * SZ_64K,
					  2 * SZ_64K)) ||
	    step_failed(run, md_check_map(fd, hwpt2, iova, buf + 4 * SZ_64K,
					  2 * SZ_64K)))
		return -1;

	/* Into the other IOAS's domain, and within the first one */
	iova2 = 0;
	if (step_failed(run, ioas_copy_fixed(fd, b, a, MOCK_IOVA(SZ_64K),
					     2 * SZ_64K, MOCK_IOVA(0))) ||
	    step_failed(run, md_check_map(fd, hwpt_b, MOCK_IOVA(0),
					  buf + SZ_64K, 2 * SZ_64K)) ||
	    step_failed(run, ioas_copy(fd, b, a, ro, iova + SZ_64K, SZ_64K,
				       &iova2)) ||
	    step_failed(run, md_check_map(fd, hwpt_b, iova2,
					  buf + 5 * SZ_64K, SZ_64K)) ||
	    step_failed(run, ioas_copy_fixed(fd, a, a, MOCK_IOVA(0), SZ_64K,
					     MOCK_IOVA(SZ_1M))) ||
	    step_failed(run, md_check_map(fd, hwpt2, MOCK_IOVA(SZ_1M), buf,
					  SZ_64K)))
		return -1;

	/*
	 * A page is unpinned once no area shows it: the first unmap lets
	 * go of the last SZ_64K of the first map only (copies show the
	 * rest), the second of what the copies in b do not show (SZ_64K of
	 * each map), the third of the rest.
	 */
	if (step_failed(run, ioas_unmap(fd, a, MOCK_IOVA(0), 4 * SZ_64K,
					NULL)))
		return -1;
	run->pinned_kb -= SZ_64K / 1024;
	if (step_failed(run, ioas_unmap(fd, a, 0, UINT64_MAX, NULL)))
		return -1;
	run->pinned_kb -= 2 * SZ_64K / 1024;
	if (step_failed(run, ioas_unmap(fd, b, 0, UINT64_MAX, NULL)))
		return -1;
	run->pinned_kb -= 3 * SZ_64K / 1024;
	if (step_failed(run, destroy(fd, hwpt2)) ||
	    step_failed(run, destroy(fd, hwpt_b)) ||
	    step_failed(run, destroy(fd, stdev)) ||
	    step_failed(run, destroy(fd, a)) ||
	    step_failed(run, destroy(fd, b)))
		return -1;
	return 0;
}

/*
 * Mappings that start and end inside pages. Without a domain any byte
 * range may be mapped and nothing is pinned: two maps side by side that
 * share a page, a copy across both to an odd IOVA, read and written
 * through an access that does not pin (one that pins needs whole pages),
 * which pins each page for the call only, once per area showing it.
 * Then mappings in the mock IOMMU's half pages: one pinned by the
 * attach, read through the access, and one next to it sharing its last
 * page, pinned again by the map since it is a memory object of its own.
 */
static int scenario_subpage(struct fail_run *run)
{
	const __u64 map_iova = MOCK_IOVA(SZ_4K / 2);
	char *map_buf = run->buf + SZ_4K + SZ_4K / 2;
	char *tmp = run->buf + SCRATCH_OFF;
	char *data = tmp + SZ_4K;
	char *buf = run->buf;
	__u32 a, stdev, hwpt;
	__u64 iova;
	int fd;

	fd = open_iommufd(run, true);
	if (fd < 0)
		return -1;
	iova = SZ_2M + 7;
	if (step_failed(run, ioas_alloc(fd, &a)) ||
	    step_failed(run, ioas_map_fixed(fd, a, buf + 100, 1000,
					    SZ_1M + 100)) ||
	    step_failed(run, ioas_map_fixed(fd, a, buf + 1100, 4000,
					    SZ_1M + 1100)) ||
	    step_failed(run, ioas_copy(fd, a, a, MAP_FIXED_RW, SZ_1M + 600,
				       1000, &iova)) ||
	    step_failed(run, add_access(run, a, false)))
		return -1;

	/* One area, both areas and two pages (written), the copy */
	memset(data, 0x5a, 4000);
	if (step_failed(run, run_rw_at(run, SZ_1M + 100, tmp, 1000, 0)) ||
	    step_failed(run, same_data(tmp, buf + 100, 1000)) ||
	    step_failed(run, run_rw_at(run, SZ_1M + 1000, data, 4000,
				       MOCK_ACCESS_RW_WRITE)) ||
	    step_failed(run, same_data(buf + 1000, data, 4000)) ||
	    step_failed(run, run_rw_at(run, iova, tmp, 1000,
				       MOCK_ACCESS_RW_SLOW_PATH)) ||
	    step_failed(run, same_data(tmp, buf + 600, 1000)) ||
	    step_failed(run, ioas_unmap(fd, a, SZ_1M + 100, 1000, NULL)) ||
	    step_failed(run, ioas_unmap(fd, a, 0, UINT64_MAX, NULL)))
		return -1;

	/* 8 KiB from the middle of a page, so three pages: the attach pins */
	if (step_failed(run, ioas_map_fixed(fd, a, map_buf, 2 * SZ_4K,
					    map_iova)) ||
	    step_failed(run, mock_domain(fd, a, &stdev, &hwpt, NULL)))
		return -1;
	run->pinned_kb += 3 * SZ_4K / 1024;
	if (step_failed(run, md_check_map(fd, hwpt, map_iova, map_buf,
					  2 * SZ_4K)) ||
	    step_failed(run, run_rw_at(run, map_iova + 100, tmp, 4000, 0)) ||
	    step_failed(run, same_data(tmp, map_buf + 100, 4000)) ||
	    step_failed(run, ioas_map_fixed(fd, a, map_buf + 2 * SZ_4K,
					    SZ_4K / 2, map_iova + 2 * SZ_4K)))
		return -1;
	run->pinned_kb += SZ_4K / 1024;
	if (step_failed(run, md_check_map(fd, hwpt, map_iova, map_buf,
					  2 * SZ_4K + SZ_4K / 2)) ||
	    step_failed(run, destroy(fd, stdev)))
		return -1;
	run->pinned_kb -= 4 * SZ_4K / 1024;
	close_access(run);
	if (step_failed(run, ioas_unmap(fd, a, 0, UINT64_MAX, NULL)) ||
	    step_failed(run, destroy(fd, a)))
		return -1;
	return 0;
}

/* A memfd for IOMMU_IOAS_MAP_FILE, made once per test */
static int fail_memfd = -1;

/*
 * The commands the other scenarios leave out: IOMMU_IOAS_MAP_FILE,
 * IOMMU_GET_HW_INFO and the VFIO type1 ioctls on the compat IOAS of a
 * context holding a (mock) device, whose maps are charged to VmLck. The
 * IOAS has a domain, so every map pins at once.
 */
static int scenario_file_info_type1(struct fail_run *run)
{
	struct iommu_test_hw_info data;
	struct iommu_hw_info hw = {
		.size = sizeof(hw),
		.data_len = sizeof(data),
		.data_uptr = (uintptr_t)&data,
	};
	char raw[128];
	struct vfio_iommu_type1_info *info = (void *)raw;
	__u32 a, stdev, idev;
	__u64 iova;
	int fd;

	fd = open_iommufd(run, true);
	if (fd < 0)
		return -1;
	if (step_failed(run, ioas_alloc(fd, &a)) ||
	    step_failed(run, vfio_ioas(fd, IOMMU_VFIO_IOAS_SET, &a)) ||
	    step_failed(run, mock_domain(fd, a, &stdev, NULL, &idev)))
		return -1;
	hw.dev_id = idev;
	info->argsz = sizeof(raw);
	if (step_failed(run, ioctl(fd, IOMMU_GET_HW_INFO, &hw)) ||
	    step_failed(run, ioctl(fd, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU)) ||
	    step_failed(run, ioctl(fd, VFIO_IOMMU_GET_INFO, info)) ||
	    step_failed(run, type1_map(fd, run->buf, MOCK_IOVA(0),
				       4 * SZ_64K, T1_RW)))
		return -1;
	run->locked_kb += 4 * SZ_64K / 1024;
	iova = MOCK_IOVA(SZ_1M);
	if (step_failed(run, ioas_map_file(fd, a, MAP_FIXED_RW, fail_memfd, 0,
					   2 * SZ_64K, &iova)))
		return -1;
	run->pinned_kb += 2 * SZ_64K / 1024;
	if (step_failed(run, type1_unmap(fd, 0, 0, VFIO_DMA_UNMAP_FLAG_ALL,
					 NULL)))
		return -1;
	run->pinned_kb -= 2 * SZ_64K / 1024;
	run->locked_kb -= 4 * SZ_64K / 1024;
	if (step_failed(run, destroy(fd, stdev)) ||
	    step_failed(run, destroy(fd, a)))
		return -1;
	return 0;
}

#define INV_ALL IOMMU_TEST_INVALIDATE_FLAG_ALL

/*
 * IOMMU_HWPT_INVALIDATE on @id with the one entry of @type and @len bytes
 * at @entry, which must be handled (EIO when the count says otherwise)
 */
static int invalidate_entry(int fd, __u32 id, const void *entry, __u32 type,
			    __u32 len)
{
	__u32 num = 1;

	if (hwpt_invalidate(fd, id, entry, type, len, &num))
		return -1;
	if (num == 1)
		return 0;
	errno = EIO;
	return -1;
}

/* IOMMU_HWPT_INVALIDATE of IOTLB @id (or all) of nested HWPT @hwpt_id */
static int invalidate_one(int fd, __u32 hwpt_id, __u32 flags, __u32 id)
{
	struct iommu_hwpt_invalidate_selftest inv = {
		.flags = flags,
		.iotlb_id = id,
	};

	return invalidate_entry(fd, hwpt_id, &inv,
				IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
				sizeof(inv));
}

/* What the IOAS of open_mock_device() pins, in KiB */
#define MOCK_DEVICE_KB (4 * SZ_64K / 1024)

/*
 * The start of a scenario on a mock device: the file, an IOAS with the
 * first 4 * 64 KiB of the buffer mapped at MOCK_IOVA(0) and a mock device
 * on it, whose domain pins them. The file, or -1 when a step failed.
 */
static int open_mock_device(struct fail_run *run, __u32 *ioas_id,
			    __u32 *stdev_id, __u32 *idev_id)
{
	int fd;

	fd = open_iommufd(run, true);
	if (fd < 0)
		return -1;
	if (step_failed(run, ioas_alloc(fd, ioas_id)) ||
	    step_failed(run, ioas_map_fixed(fd, *ioas_id, run->buf,
					    4 * SZ_64K, MOCK_IOVA(0))) ||
	    step_failed(run, mock_domain(fd, *ioas_id, stdev_id, NULL,
					 idev_id)))
		return -1;
	run->pinned_kb += MOCK_DEVICE_KB;
	return fd;
}

/* And a NEST_PARENT HWPT of the IOAS (*@parent_id), one step more */
static int open_nest_parent(struct fail_run *run, __u32 *ioas_id,
			    __u32 *stdev_id, __u32 *idev_id, __u32 *parent_id)
{
	int fd;

	fd = open_mock_device(run, ioas_id, stdev_id, idev_id);
	if (fd < 0 ||
	    step_failed(run, hwpt_alloc_paging(fd, *idev_id, *ioas_id,
					       IOMMU_HWPT_ALLOC_NEST_PARENT,
					       parent_id)))
		return -1;
	return fd;
}

/*
 * The end of it, once the last domain is gone: the pins are released,
 * the IOAS is emptied and destroyed.
 */
static int unmap_destroy_ioas(struct fail_run *run, int fd, __u32 ioas_id)
{
	run->pinned_kb -= MOCK_DEVICE_KB;
	if (step_failed(run, ioas_unmap(fd, ioas_id, 0, UINT64_MAX, NULL)) ||
	    step_failed(run, destroy(fd, ioas_id)))
		return -1;
	return 0;
}

/*
 * Nested HWPTs: a NEST_PARENT HWPT of an IOAS with a mock device on its
 * automatic HWPT, two nested HWPTs on it (one with PASID), their IOTLBs
 * set and invalidated, the device moved onto one, back to the parent,
 * to the IOAS (a new automatic HWPT), and the teardown in the order the
 * parent needs. The parent shares the pins of the automatic HWPT; they
 * go with the last domain.
 */
static int scenario_nested(struct fail_run *run)
{
	const __u32 iotlb = IOMMU_TEST_IOTLB_DEFAULT;
	__u32 a, stdev, idev, parent, nested, nested2;
	char *buf = run->buf;
	int fd;

	fd = open_nest_parent(run, &a, &stdev, &idev, &parent);
	if (fd < 0)
		return -1;
	if (step_failed(run, md_check_map(fd, parent, MOCK_IOVA(0), buf,
					  4 * SZ_64K)) ||
	    step_failed(run, hwpt_alloc_nested(fd, idev, parent, 0, iotlb,
					       &nested)) ||
	    step_failed(run, hwpt_alloc_nested(fd, idev, parent,
					       IOMMU_HWPT_ALLOC_PASID, 0x1234,
					       &nested2)) ||
	    step_failed(run, md_check_iotlbs(fd, nested, iotlb)) ||
	    step_failed(run, md_check_iotlbs(fd, nested2, 0x1234)) ||
	    step_failed(run, invalidate_one(fd, nested, 0, 2)) ||
	    step_failed(run, md_check_iotlb(fd, nested, 2, 0)) ||
	    step_failed(run, md_check_iotlb(fd, nested, 3, iotlb)) ||
	    step_failed(run, mock_domain_replace(fd, stdev, nested, NULL)) ||
	    step_failed(run, invalidate_one(fd, nested, INV_ALL, 0)) ||
	    step_failed(run, md_check_iotlbs(fd, nested, 0)) ||
	    step_failed(run, mock_domain_replace(fd, stdev, nested2, NULL)) ||
	    step_failed(run, destroy(fd, nested)) ||
	    step_failed(run, mock_domain_replace(fd, stdev, parent, NULL)) ||
	    step_failed(run, mock_domain_replace(fd, stdev, a, NULL)) ||
	    step_failed(run, destroy(fd, nested2)) ||
	    step_failed(run, destroy(fd, parent)) ||
	    step_failed(run, dev_check_cache(fd, idev, 0,
					     IOMMU_TEST_DEV_CACHE_DEFAULT)) ||
	    step_failed(run, destroy(fd, stdev)))
		return -1;
	return unmap_destroy_ioas(run, fd, a);
}

/* Clear cache @id (or all) of the device with vDEVICE @virt_id */
static int viommu_invalidate_one(int fd, __u32 viommu_id, __u32 flags,
				 __u32 virt_id, __u32 id)
{
	struct iommu_viommu_invalidate_selftest inv = {
		.flags = flags,
		.vdev_id = virt_id,
		.cache_id = id,
	};

	return invalidate_entry(fd, viommu_id, &inv,
				IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST,
				sizeof(inv));
}

/* Read one mock event with sequence @seq and virtual ID @virt_id */
static int read_vevent(int evfd, __u32 seq, __u32 virt_id)
{
	struct {
		struct iommufd_vevent_header hdr;
		struct iommu_viommu_event_selftest event;
	} rec;

	if (read(evfd, &rec, sizeof(rec)) != sizeof(rec))
		return -1;
	if (rec.hdr.flags || rec.hdr.sequence != seq ||
	    rec.event.virt_id != virt_id) {
		errno = EIO;
		return -1;
	}
	return 0;
}

/*
 * vIOMMU objects: a mock vIOMMU (with data) on a NEST_PARENT HWPT, a
 * vDEVICE, a nested HWPT allocated on the vIOMMU with the device moved
 * onto it, a cache invalidation by virtual ID, an event queue with an
 * event raised and read, and a teardown that leaves the vDEVICE to the
 * destruction of its device. The vEVENTQ's file is kept in
 * run->access_fd, which the runner closes.
 */
static int scenario_viommu(struct fail_run *run)
{
	struct iommu_viommu_selftest data = { .in_data = 0xbeef };
	__u32 a, stdev, idev, parent, viommu, vdev, nested, veventq;
	const __u32 virt = 0x77;
	int fd;

	fd = open_nest_parent(run, &a, &stdev, &idev, &parent);
	if (fd < 0)
		return -1;
	if (step_failed(run, viommu_alloc(fd, idev, parent,
					  IOMMU_VIOMMU_TYPE_SELFTEST, &data,
					  sizeof(data), &viommu)) ||
	    step_failed(run, data.out_data == 0xbeef ? 0 : -1) ||
	    step_failed(run, vdevice_alloc(fd, viommu, idev, virt, &vdev)) ||
	    step_failed(run, hwpt_alloc_nested(fd, idev, viommu, 0,
					       IOMMU_TEST_IOTLB_DEFAULT,
					       &nested)) ||
	    step_failed(run, mock_domain_replace(fd, stdev, nested, NULL)) ||
	    step_failed(run, viommu_invalidate_one(fd, viommu, 0, virt, 1)) ||
	    step_failed(run, dev_check_cache(fd, idev, 1, 0)) ||
	    step_failed(run, veventq_alloc(fd, viommu,
					   IOMMU_VEVENTQ_TYPE_SELFTEST, 2,
					   &veventq, &run->access_fd)) ||
	    step_failed(run, trigger_vevent(fd, idev)) ||
	    step_failed(run, read_vevent(run->access_fd, 0, virt)) ||
	    step_failed(run, mock_domain_replace(fd, stdev, parent, NULL)) ||
	    step_failed(run, destroy(fd, nested)) ||
	    step_failed(run, close(run->access_fd)))
		return -1;
	run->access_fd = -1;
	if (step_failed(run, destroy(fd, veventq)) ||
	    step_failed(run, mock_domain_replace(fd, stdev, a, NULL)) ||
	    /* The device takes its vDEVICE with it */
	    step_failed(run, destroy(fd, stdev)) ||
	    step_failed(run, destroy(fd, viommu)) ||
	    step_failed(run, destroy(fd, parent)))
		return -1;
	return unmap_destroy_ioas(run, fd, a);
}

/*
 * PASIDs of a PASID-capable mock device: attached to a PASID paging
 * HWPT, to a nested one made with PASID and to the IOAS (an automatic
 * HWPT), each checked, replaced between them, the RID moved to a
 * PASID-capable HWPT while they are attached, detached, and the device
 * destroyed with one still attached. All the domains share the pins of
 * the first; they go with the last.
 */
static int scenario_pasid(struct fail_run *run)
{
	__u32 a, stdev, idev, rid, hwpt, parent, nested, auto_hwpt;
	char *buf = run->buf;
	int fd;

	fd = open_iommufd(run, true);
	if (fd < 0)
		return -1;
	if (step_failed(run, ioas_alloc(fd, &a)) ||
	    step_failed(run, ioas_map_fixed(fd, a, buf, 4 * SZ_64K,
					    MOCK_IOVA(0))) ||
	    step_failed(run, mock_domain_flags(fd, a, MOCK_FLAGS_DEVICE_PASID,
					       &stdev, &rid, &idev)))
		return -1;
	run->pinned_kb += MOCK_DEVICE_KB;
	if (step_failed(run, hwpt_alloc_paging(fd, idev, a,
					       IOMMU_HWPT_ALLOC_PASID,
					       &hwpt)) ||
	    step_failed(run, hwpt_alloc_paging(fd, idev, a,
					       IOMMU_HWPT_ALLOC_NEST_PARENT,
					       &parent)) ||
	    step_failed(run, hwpt_alloc_nested(fd, idev, parent,
					       IOMMU_HWPT_ALLOC_PASID,
					       IOMMU_TEST_IOTLB_DEFAULT,
					       &nested)) ||
	    step_failed(run, pasid_attach(fd, stdev, 1, hwpt, NULL)) ||
	    step_failed(run, pasid_attach(fd, stdev, 2, nested, NULL)) ||
	    step_failed(run, pasid_attach(fd, stdev, 3, a, &auto_hwpt)) ||
	    step_failed(run, pasid_check_hwpt(fd, stdev, 1, hwpt)) ||
	    step_failed(run, pasid_check_hwpt(fd, stdev, 2, nested)) ||
	    step_failed(run, pasid_check_hwpt(fd, stdev, 3, auto_hwpt)) ||
	    step_failed(run, pasid_check_hwpt(fd, stdev, 0, rid)) ||
	    step_failed(run, pasid_replace(fd, stdev, 1, nested, NULL)) ||
	    step_failed(run, pasid_replace(fd, stdev, 2, hwpt, NULL)) ||
	    step_failed(run, pasid_replace(fd, stdev, 3, hwpt, NULL)) ||
	    step_failed(run, pasid_replace(fd, stdev, 3, a, NULL)) ||
	    step_failed(run, mock_domain_replace(fd, stdev, nested, NULL)) ||
	    step_failed(run, mock_domain_replace(fd, stdev, hwpt, NULL)) ||
	    step_failed(run, pasid_check_hwpt(fd, stdev, 0, hwpt)) ||
	    step_failed(run, pasid_check_hwpt(fd, stdev, 1, nested)) ||
	    step_failed(run, pasid_detach(fd, stdev, 1)) ||
	    step_failed(run, pasid_detach(fd, stdev, 2)) ||
	    step_failed(run, pasid_check_hwpt(fd, stdev, 1, 0)) ||
	    step_failed(run, destroy(fd, nested)) ||
	    step_failed(run, destroy(fd, parent)) ||
	    step_failed(run, destroy(fd, stdev)) ||
	    step_failed(run, md_check_map(fd, hwpt, MOCK_IOVA(0), buf,
					  4 * SZ_64K)) ||
	    step_failed(run, destroy(fd, hwpt)))
		return -1;
	return unmap_destroy_ioas(run, fd, a);
}

FIXTURE(fail_nth) {
	long pins0;
	long base_kb;
	void *raw;
	char *buf;
	/* The run under way, whose files the teardown closes */
	struct fail_run run;
};

/* A fault-injection knob in debugfs, and what it held before */
struct fault_knob {
	const char *path;
	const char *want;
	char saved[32];
	bool set;
};

static struct fault_knob fault_knobs[] = {
	{ "/sys/kernel/debug/failslab/ignore-gfp-wait", "N" },
	{ "/sys/kernel/debug/failslab/verbose", "0" },
	{ "/sys/kernel/debug/failslab/task-filter", "Y" },
	{ "/sys/kernel/debug/fail_page_alloc/ignore-gfp-wait", "N" },
	{ "/sys/kernel/debug/fail_page_alloc/verbose", "0" },
	{ "/sys/kernel/debug/fail_page_alloc/task-filter", "Y" },
	{ "/sys/kernel/debug/fail_page_alloc/min-order", "0" },
	{ "/sys/kernel/debug/fail_page_alloc/ignore-gfp-highmem", "N" },
};

/*
 * Set the knobs the tests need, once for the whole program; a knob that
 * is missing (no such fault type, debugfs not mounted) is left alone,
 * and the tests find out through fail-nth whether injection works.
 */
static void __attribute__((constructor)) fault_knobs_set(void)
{
	struct fault_knob *k;

	for (k = fault_knobs; k != fault_knobs + ARRAY_SIZE(fault_knobs); k++)
		k->set = !read_sysfs(k->path, k->saved, sizeof(k->saved)) &&
			 !write_sysfs(k->path, k->want);
}

static void __attribute__((destructor)) fault_knobs_restore(void)
{
	struct fault_knob *k;

	for (k = fault_knobs; k != fault_knobs + ARRAY_SIZE(fault_knobs); k++)
		if (k->set)
			write_sysfs(k->path, k->saved);
}

FIXTURE_SETUP(fail_nth)
{
	self->pins0 = foll_pins();
	self->run.fd = -1;
	self->run.access_fd = -1;
	self->base_kb = vmpin_kb();
	ASSERT_LE(0, self->base_kb);

	/* Faulted in beforehand: pinning then allocates no page tables */
	self->raw = mmap(NULL, BUF_SIZE + SZ_2M, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->raw);
	self->buf = (char *)(((uintptr_t)self->raw + SZ_2M - 1) &
			     ~(SZ_2M - 1));
	madvise(self->buf, BUF_SIZE, MADV_HUGEPAGE);
	memset(self->buf, 0x42, BUF_SIZE);
}

FIXTURE_TEARDOWN(fail_nth)
{
	if (self->run.access_fd >= 0)
		close(self->run.access_fd);
	if (self->run.fd >= 0)
		close(self->run.fd);
	munmap(self->raw, BUF_SIZE + SZ_2M);
	EXPECT_PINS_RELEASED(self->pins0);
}

/*
 * Run @scenario with the nth injection point failing, n = 1, 2, ...; the
 * first @check_len bytes of @buf, those it maps, must be unpinned after
 * each run. The state of each run is kept in *@run.
 */
static void run_fail_nth(struct __test_metadata *_metadata,
			 struct fail_run *run, char *buf, size_t check_len,
			 long base_kb, int (*scenario)(struct fail_run *run))
{
	unsigned int nth, failed_runs = 0;
	int nth_fd, check_fd = -1;
	long base_lck_kb = vmlck_kb();
	char path[64];

	/*
	 * Checked here rather than in the setup: 6.1.0's harness ran the
	 * body even after a setup SKIP (6.1.192's no longer does).
	 */
	fail_nth_path(path, sizeof(path));
	if (access(path, F_OK))
		SKIP(return, "no %s (needs CONFIG_FAULT_INJECTION)", path);
	if (access(IOMMUFD_DEV, F_OK))
		SKIP(return, "no %s", IOMMUFD_DEV);
	if (geteuid())
		SKIP(return, "needs root (IOMMU_OPTION_RLIMIT_MODE)");
	nth_fd = open(path, O_RDWR);
	ASSERT_LE(0, nth_fd);
	/* A context of its own to look at the pins, when the kernel can */
	if (kernel_has_test_cmd()) {
		check_fd = open(IOMMUFD_DEV, O_RDWR);
		ASSERT_LE(0, check_fd);
	}

	for (nth = 1; nth != MAX_NTH; nth++) {
		long left;
		int rc;

		*run = (struct fail_run){
			.fd = -1, .access_fd = -1, .buf = buf,
		};
		ASSERT_TRUE(fail_nth_write(nth_fd, nth));
		rc = scenario(run);
		left = fail_nth_read(nth_fd);
		/* Off again before anything else can be made to fail */
		ASSERT_TRUE(fail_nth_write(nth_fd, 0));
		ASSERT_LE(0, left);

		if (rc) {
			failed_runs++;
			ASSERT_EQ(ENOMEM, run->err)
				TH_LOG("nth %u: step %d failed with errno %d",
				       nth, run->step, run->err);
		}
		/* The failed call left nothing pinned behind */
		ASSERT_EQ(base_kb + run->pinned_kb, vmpin_kb())
			TH_LOG("nth %u: stopped at step %d", nth, run->step);
		ASSERT_EQ(base_lck_kb + run->locked_kb, vmlck_kb())
			TH_LOG("nth %u: stopped at step %d", nth, run->step);
		if (run->access_fd >= 0)
			ASSERT_EQ(0, close(run->access_fd));
		run->access_fd = -1;
		if (run->fd >= 0)
			ASSERT_EQ(0, close(run->fd));
		run->fd = -1;
		ASSERT_EQ(base_kb, vmpin_kb()) TH_LOG("nth %u", nth);
		/* Nor anything charged to VmLck (the type1 ioctls) */
		ASSERT_EQ(base_lck_kb, vmlck_kb()) TH_LOG("nth %u", nth);
		/* Not a page of the buffer is pinned any more */
		if (check_fd >= 0)
			ASSERT_EQ(0, md_check_refs(check_fd, buf, check_len, 0))
				TH_LOG("nth %u: errno %d", nth, errno);

		/* The count was not used up: no fault was injected. */
		if (left) {
			ASSERT_EQ(0, rc) TH_LOG("nth %u: step %d errno %d",
						nth, run->step, run->err);
			break;
		}
	}
	close(nth_fd);
	if (check_fd >= 0)
		close(check_fd);
	ASSERT_NE(MAX_NTH, nth);
	TH_LOG("%u runs, %u of them stopped by an injected failure", nth,
	       failed_runs);
}

TEST_F_TIMEOUT(fail_nth, map_copy_unmap, 600)
{
	run_fail_nth(_metadata, &self->run, self->buf, BUF_SIZE, self->base_kb,
		     scenario_map_copy_unmap);
}

TEST_F_TIMEOUT(fail_nth, allow_iovas, 600)
{
	run_fail_nth(_metadata, &self->run, self->buf, BUF_SIZE, self->base_kb,
		     scenario_allow_iovas);
}

TEST_F_TIMEOUT(fail_nth, iova_ranges, 600)
{
	run_fail_nth(_metadata, &self->run, self->buf, BUF_SIZE, self->base_kb,
		     scenario_iova_ranges);
}

TEST_F_TIMEOUT(fail_nth, access, 600)
{
	if (!access("/dev/iommu", F_OK)) {
		int fd = open(IOMMUFD_DEV, O_RDWR);
		struct iommu_test_cmd cmd = { .op = 0 };
		bool have;

		ASSERT_LE(0, fd);
		have = test_cmd(fd, &cmd) == -1 && errno == EOPNOTSUPP;
		close(fd);
		if (!have)
			SKIP(return, "no IOMMU_TEST_CMD");
	}
	run_fail_nth(_metadata, &self->run, self->buf, BUF_SIZE, self->base_kb,
		     scenario_access);
}

TEST_F_TIMEOUT(fail_nth, mock_attach_with_maps, 600)
{
	if (!access(IOMMUFD_DEV, F_OK) && !kernel_has_test_cmd())
		SKIP(return, "no IOMMU_TEST_CMD");
	run_fail_nth(_metadata, &self->run, self->buf, 8 * SZ_64K,
		     self->base_kb, scenario_mock_attach);
}

TEST_F_TIMEOUT(fail_nth, map_with_mock_domains, 600)
{
	if (!access(IOMMUFD_DEV, F_OK) && !kernel_has_test_cmd())
		SKIP(return, "no IOMMU_TEST_CMD");
	run_fail_nth(_metadata, &self->run, self->buf, 8 * SZ_64K,
		     self->base_kb, scenario_mock_map);
}

TEST_F_TIMEOUT(fail_nth, subpage, 600)
{
	if (!access(IOMMUFD_DEV, F_OK) && !kernel_has_test_cmd())
		SKIP(return, "no IOMMU_TEST_CMD");
	run_fail_nth(_metadata, &self->run, self->buf, 8 * SZ_64K,
		     self->base_kb, scenario_subpage);
}

TEST_F_TIMEOUT(fail_nth, nested_hwpt_invalidate, 600)
{
	if (!access(IOMMUFD_DEV, F_OK) && !kernel_has_test_cmd())
		SKIP(return, "no IOMMU_TEST_CMD");
	run_fail_nth(_metadata, &self->run, self->buf, 8 * SZ_64K,
		     self->base_kb, scenario_nested);
}

TEST_F_TIMEOUT(fail_nth, pasid_attach_replace_detach, 600)
{
	if (!access(IOMMUFD_DEV, F_OK) && !kernel_has_test_cmd())
		SKIP(return, "no IOMMU_TEST_CMD");
	run_fail_nth(_metadata, &self->run, self->buf, 8 * SZ_64K,
		     self->base_kb, scenario_pasid);
}

TEST_F_TIMEOUT(fail_nth, viommu_vdevice_veventq, 600)
{
	if (!access(IOMMUFD_DEV, F_OK) && !kernel_has_test_cmd())
		SKIP(return, "no IOMMU_TEST_CMD");
	run_fail_nth(_metadata, &self->run, self->buf, 8 * SZ_64K,
		     self->base_kb, scenario_viommu);
}

TEST_F_TIMEOUT(fail_nth, file_info_type1, 600)
{
	if (!access(IOMMUFD_DEV, F_OK) && !kernel_has_test_cmd())
		SKIP(return, "no IOMMU_TEST_CMD");
	fail_memfd = memfd_create("fail_nth", 0);
	ASSERT_LE(0, fail_memfd);
	ASSERT_EQ(0, ftruncate(fail_memfd, 2 * SZ_64K));
	run_fail_nth(_metadata, &self->run, self->buf, 4 * SZ_64K,
		     self->base_kb, scenario_file_info_type1);
	close(fail_memfd);
}

TEST_HARNESS_MAIN
