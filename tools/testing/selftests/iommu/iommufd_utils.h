/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Helpers shared by the iommufd selftests: thin wrappers that issue one
 * /dev/iommu command each. They return what ioctl() returns and leave
 * errno alone, so a test can assert a call's result in one line; they
 * assert nothing themselves and are safe to call from any thread.
 */
#ifndef __SELFTEST_IOMMUFD_UTILS_H
#define __SELFTEST_IOMMUFD_UTILS_H

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/iommufd.h>
#include <linux/userfaultfd.h>
#include <linux/vfio.h>

#include "../kselftest.h"
#include "../../../../drivers/iommu/iommufd/iommufd_test.h"

#define IOMMUFD_DEV "/dev/iommu"

#define SZ_4K 0x1000UL
#define SZ_64K 0x10000UL
#define SZ_256K 0x40000UL
#define SZ_1M 0x100000UL
#define SZ_2M 0x200000UL

#define MAP_RW (IOMMU_IOAS_MAP_WRITEABLE | IOMMU_IOAS_MAP_READABLE)
#define MAP_FIXED_RW (MAP_RW | IOMMU_IOAS_MAP_FIXED_IOVA)

/* Assert in one line that a call failed with the given errno. */
#define ASSERT_ERRNO(_errno, _call)            \
	do {                                   \
		errno = 0;                     \
		ASSERT_EQ(-1, (long)(_call));  \
		ASSERT_EQ(_errno, errno);      \
	} while (0)

/* A monotonic clock in seconds, for test budgets and rates */
static inline double seconds_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/*
 * The name of an errno the suites meet ("ok" for 0), or "errno N" for
 * another; the buffer for the latter is per thread.
 */
static inline const char *errno_name(int e)
{
	static const char * const names[] = {
		[0] = "ok", [EPERM] = "EPERM", [ENOENT] = "ENOENT",
		[EINTR] = "EINTR", [EBADF] = "EBADF", [ENOMEM] = "ENOMEM",
		[EFAULT] = "EFAULT", [EBUSY] = "EBUSY", [EEXIST] = "EEXIST",
		[ENODEV] = "ENODEV", [EINVAL] = "EINVAL", [EMFILE] = "EMFILE",
		[ENOTTY] = "ENOTTY", [ENOSPC] = "ENOSPC", [E2BIG] = "E2BIG",
		[EOVERFLOW] = "EOVERFLOW", [EBADFD] = "EBADFD",
		[EMSGSIZE] = "EMSGSIZE", [EOPNOTSUPP] = "EOPNOTSUPP",
		[EADDRINUSE] = "EADDRINUSE",
	};
	static __thread char buf[16];

	if (e >= 0 && e < (int)ARRAY_SIZE(names) && names[e])
		return names[e];
	snprintf(buf, sizeof(buf), "errno %d", e);
	return buf;
}

/* A number from the environment (any base strtoull() reads), or @def */
static inline unsigned long long env_number(const char *name,
					    unsigned long long def)
{
	const char *v = getenv(name);
	unsigned long long r;
	char *end;

	if (!v || !*v)
		return def;
	r = strtoull(v, &end, 0);
	return *end ? def : r;
}

/*
 * xorshift64*: the next number of the sequence in *@state (which must
 * not be 0). Small and fast; the fuzzer's recorded seeds replay only as
 * long as this stays the same.
 */
static inline __u64 xorshift64s(__u64 *state)
{
	__u64 x = *state;

	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	*state = x;
	return x * 0x2545f4914f6cdd1dULL;
}

/* Write a string to a sysfs (or proc) file; 0 or -1 */
static inline int write_sysfs(const char *path, const char *val)
{
	ssize_t n;
	int fd;

	fd = open(path, O_WRONLY);
	if (fd < 0)
		return -1;
	n = write(fd, val, strlen(val));
	close(fd);
	return n == (ssize_t)strlen(val) ? 0 : -1;
}

/* Read one line of a sysfs (or proc) file, without its newline; 0 or -1 */
static inline int read_sysfs(const char *path, char *buf, size_t len)
{
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY);
	if (fd < 0)
		return -1;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	buf[strcspn(buf, "\n")] = 0;
	return 0;
}

/* Pins held by the kernel, over all: gup's FOLL_PIN counters */
static inline long foll_pins(void)
{
	long acquired = -1, released = -1, v;
	char name[64];
	FILE *f;

	/* fold the per-CPU counter deltas in first */
	if (write_sysfs("/proc/sys/vm/stat_refresh", "1"))
		return -1;
	f = fopen("/proc/vmstat", "r");
	if (!f)
		return -1;
	while (fscanf(f, "%63s %ld", name, &v) == 2) {
		if (!strcmp(name, "nr_foll_pin_acquired"))
			acquired = v;
		else if (!strcmp(name, "nr_foll_pin_released"))
			released = v;
	}
	fclose(f);
	return acquired < 0 || released < 0 ? -1 : acquired - released;
}

/*
 * The pin check of every fixture: its data has a "long pins0", set with
 * foll_pins() first thing in FIXTURE_SETUP (before any SKIP), and
 * FIXTURE_TEARDOWN ends with EXPECT_PINS_RELEASED(self->pins0), once
 * every file that can keep a context alive is closed, the test's threads
 * are stopped and its children reaped. No waiting is needed: the task
 * that drops the last reference to a file releases it, with the contexts
 * it holds and their pins, before it returns to userspace (a child does
 * so before waitpid() sees it exit). That task can be another thread of
 * the test, in a call on the file or showing its fdinfo, hence stopping
 * threads first. EXPECT, never ASSERT: an ASSERT failing in a teardown
 * after a failed test loops in 6.1's harness. Without root the counters
 * cannot be read (-1 both times): that is logged, not compared.
 */
#define EXPECT_PINS_RELEASED(_pins0)					\
	do {								\
		long __pins0 = (_pins0), __pins = foll_pins();		\
									\
		if (__pins0 < 0 && __pins < 0) {			\
			TH_LOG("FOLL_PIN counters unreadable: not checked"); \
			break;						\
		}							\
		if (__pins != __pins0)					\
			TH_LOG("FOLL_PIN count %ld, %ld at setup: %+ld", \
			       __pins, __pins0, __pins - __pins0);	\
		EXPECT_EQ(__pins0, __pins);				\
	} while (0)

/* IOMMU_OPTION; *@val in and out */
static inline int option(int fd, __u32 option_id, __u16 op,
			 __u32 object_id, __u64 *val)
{
	struct iommu_option cmd = {
		.size = sizeof(cmd),
		.option_id = option_id,
		.op = op,
		.object_id = object_id,
		.val64 = *val,
	};
	int rc;

	rc = ioctl(fd, IOMMU_OPTION, &cmd);
	*val = cmd.val64;
	return rc;
}

static inline int option_set(int fd, __u32 option_id, __u32 object_id,
			     __u64 val)
{
	return option(fd, option_id, IOMMU_OPTION_OP_SET, object_id, &val);
}

/* Returns the value, or -1 with errno set */
static inline long long option_get(int fd, __u32 option_id, __u32 object_id)
{
	__u64 val = 0xdeadbeef;

	if (option(fd, option_id, IOMMU_OPTION_OP_GET, object_id, &val))
		return -1;
	return val;
}

static inline int ioas_alloc(int fd, __u32 *ioas_id)
{
	struct iommu_ioas_alloc cmd = { .size = sizeof(cmd) };
	int rc;

	rc = ioctl(fd, IOMMU_IOAS_ALLOC, &cmd);
	if (!rc)
		*ioas_id = cmd.out_ioas_id;
	return rc;
}

static inline int destroy(int fd, __u32 id)
{
	struct iommu_destroy cmd = { .size = sizeof(cmd), .id = id };

	return ioctl(fd, IOMMU_DESTROY, &cmd);
}

static inline int allow_iovas(int fd, __u32 ioas_id,
			      const struct iommu_iova_range *ranges, __u32 num)
{
	struct iommu_ioas_allow_iovas cmd = {
		.size = sizeof(cmd),
		.ioas_id = ioas_id,
		.num_iovas = num,
		.allowed_iovas = (uintptr_t)ranges,
	};

	return ioctl(fd, IOMMU_IOAS_ALLOW_IOVAS, &cmd);
}

/* *num: capacity of @ranges in, count reported by the kernel out */
static inline int iova_ranges(int fd, __u32 ioas_id, struct iommu_iova_range *ranges,
			      __u32 *num, __u64 *alignment)
{
	struct iommu_ioas_iova_ranges cmd = {
		.size = sizeof(cmd),
		.ioas_id = ioas_id,
		.num_iovas = *num,
		.allowed_iovas = (uintptr_t)ranges,
	};
	int rc;

	rc = ioctl(fd, IOMMU_IOAS_IOVA_RANGES, &cmd);
	*num = cmd.num_iovas;
	if (alignment)
		*alignment = cmd.out_iova_alignment;
	return rc;
}

/* *iova: the fixed IOVA in; the IOVA of the new mapping out */
static inline int ioas_map(int fd, __u32 ioas_id, __u32 flags, const void *uva,
			   __u64 length, __u64 *iova)
{
	struct iommu_ioas_map cmd = {
		.size = sizeof(cmd),
		.flags = flags,
		.ioas_id = ioas_id,
		.user_va = (uintptr_t)uva,
		.length = length,
		.iova = *iova,
	};
	int rc;

	rc = ioctl(fd, IOMMU_IOAS_MAP, &cmd);
	if (!rc)
		*iova = cmd.iova;
	return rc;
}

/* Map at a fixed IOVA */
static inline int ioas_map_fixed(int fd, __u32 ioas_id, const void *uva,
				 __u64 length, __u64 iova)
{
	return ioas_map(fd, ioas_id, MAP_FIXED_RW, uva, length, &iova);
}

/* *dst_iova: the fixed IOVA in; the IOVA of the new mapping out */
static inline int ioas_map_file(int fd, __u32 ioas_id, __u32 flags,
				int mfd, __u64 start, __u64 length, __u64 *iova)
{
	struct iommu_ioas_map_file cmd = {
		.size = sizeof(cmd),
		.flags = flags,
		.ioas_id = ioas_id,
		.fd = mfd,
		.start = start,
		.length = length,
		.iova = *iova,
	};
	int rc;

	rc = ioctl(fd, IOMMU_IOAS_MAP_FILE, &cmd);
	*iova = cmd.iova;
	return rc;
}

static inline int ioas_copy(int fd, __u32 dst_id, __u32 src_id, __u32 flags,
			    __u64 src_iova, __u64 length, __u64 *dst_iova)
{
	struct iommu_ioas_copy cmd = {
		.size = sizeof(cmd),
		.flags = flags,
		.dst_ioas_id = dst_id,
		.src_ioas_id = src_id,
		.length = length,
		.dst_iova = *dst_iova,
		.src_iova = src_iova,
	};
	int rc;

	rc = ioctl(fd, IOMMU_IOAS_COPY, &cmd);
	if (!rc)
		*dst_iova = cmd.dst_iova;
	return rc;
}

/* Copy to a fixed IOVA, read-write */
static inline int ioas_copy_fixed(int fd, __u32 dst_id, __u32 src_id,
				  __u64 src_iova, __u64 length, __u64 dst_iova)
{
	return ioas_copy(fd, dst_id, src_id, MAP_FIXED_RW, src_iova, length,
			 &dst_iova);
}

/* *unmapped: the length written back, when not NULL */
static inline int ioas_unmap(int fd, __u32 ioas_id, __u64 iova, __u64 length,
			     __u64 *unmapped)
{
	struct iommu_ioas_unmap cmd = {
		.size = sizeof(cmd),
		.ioas_id = ioas_id,
		.iova = iova,
		.length = length,
	};
	int rc;

	rc = ioctl(fd, IOMMU_IOAS_UNMAP, &cmd);
	if (unmapped)
		*unmapped = cmd.length;
	return rc;
}

/* The value of the line matching @fmt in a /proc file, in kB, or -1 */
static inline long proc_kb(const char *path, const char *fmt)
{
	char line[128];
	long kb = -1;
	FILE *f;

	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, fmt, &kb) == 1)
			break;
	fclose(f);
	return kb;
}

/* A "Vm...:" line of /proc/self/status in kB, or -1 */
static inline long status_kb(const char *fmt)
{
	return proc_kb("/proc/self/status", fmt);
}

/* VmPin of this process in kB (pages charged in RLIMIT_MODE 1), or -1 */
static inline long vmpin_kb(void)
{
	return status_kb("VmPin: %ld kB");
}

/* VmLck in kB (what VFIO type1 and its emulation charge), or -1 */
static inline long vmlck_kb(void)
{
	return status_kb("VmLck: %ld kB");
}

static inline int test_cmd(int fd, struct iommu_test_cmd *cmd)
{
	cmd->size = sizeof(*cmd);
	return ioctl(fd, IOMMU_TEST_CMD, cmd);
}

/*
 * Does this kernel have IOMMU_TEST_CMD (CONFIG_IOMMUFD_TEST)? Op 0 is no
 * operation: EOPNOTSUPP from the command, ENOTTY without it.
 */
static inline bool have_test_cmd(int fd)
{
	struct iommu_test_cmd probe = { .op = 0 };

	return test_cmd(fd, &probe) == -1 && errno == EOPNOTSUPP;
}

/* What a test that needs the mock says when it skips */
#define NO_TEST_CMD "no IOMMU_TEST_CMD (needs CONFIG_IOMMUFD_TEST)"

/* IOMMU_TEST_OP_ADD_RESERVED: reserve [@start, @start + @length) */
static inline int add_reserved(int fd, __u32 ioas_id, __u64 start,
			       __u64 length)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_ADD_RESERVED,
		.id = ioas_id,
		.add_reserved = { .start = start, .length = length },
	};

	return test_cmd(fd, &cmd);
}

/* IOMMU_TEST_OP_ACCESS_REPLACE_IOAS: move the access @access_fd */
static inline int access_replace_ioas(int fd, int access_fd, __u32 ioas_id)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_ACCESS_REPLACE_IOAS,
		.id = access_fd,
		.access_replace_ioas = { .ioas_id = ioas_id },
	};

	return test_cmd(fd, &cmd);
}

/* First IOVA of the mock IOMMU's aperture, [1 << 24, (1 << 31) - 1] */
#define MOCK_APERTURE_START 0x1000000UL

/* Create a mock device attached to @pt_id (an IOAS or a HWPT) */
static inline int mock_domain(int fd, __u32 pt_id, __u32 *stdev_id,
			      __u32 *hwpt_id, __u32 *idev_id)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_MOCK_DOMAIN,
		.id = pt_id,
	};
	int rc;

	rc = test_cmd(fd, &cmd);
	if (stdev_id)
		*stdev_id = cmd.mock_domain.out_stdev_id;
	if (hwpt_id)
		*hwpt_id = cmd.mock_domain.out_hwpt_id;
	if (idev_id)
		*idev_id = cmd.mock_domain.out_idev_id;
	return rc;
}

/* An access object attached to @ioas_id; *@access_fd is its file */
static inline int create_access(int fd, __u32 ioas_id, __u32 flags,
				int *access_fd)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_CREATE_ACCESS,
		.id = ioas_id,
		.create_access = { .flags = flags },
	};
	int rc;

	rc = test_cmd(fd, &cmd);
	if (!rc)
		*access_fd = cmd.create_access.out_access_fd;
	return rc;
}

/* IOMMU_TEST_OP_ACCESS_RW: copy @length bytes between @p and @iova */
static inline int access_rw(int fd, int access_fd, __u64 iova, void *p,
			    __u64 length, __u32 flags)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_ACCESS_RW,
		.id = access_fd,
		.access_rw = {
			.iova = iova,
			.length = length,
			.uptr = (uintptr_t)p,
			.flags = flags,
		},
	};

	return test_cmd(fd, &cmd);
}

/*
 * IOMMU_TEST_OP_ACCESS_PAGES: pin [@iova, @iova + @length) through the
 * access; the pages must show @uptr unless it is NULL. *@pages_id (when
 * not NULL) names the pin.
 */
static inline int access_pages(int fd, int access_fd, __u64 iova,
			       __u64 length, const void *uptr,
			       __u32 flags, __u32 *pages_id)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_ACCESS_PAGES,
		.id = access_fd,
		.access_pages = {
			.flags = flags,
			.iova = iova,
			.length = length,
			.uptr = (uintptr_t)uptr,
		},
	};
	int rc;

	rc = test_cmd(fd, &cmd);
	if (!rc && pages_id)
		*pages_id = cmd.access_pages.out_access_pages_id;
	return rc;
}

/* IOMMU_TEST_OP_DESTROY_ACCESS_PAGES: give back the pin @pages_id */
static inline int destroy_access_pages(int fd, int access_fd,
				       __u32 pages_id)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_DESTROY_ACCESS_PAGES,
		.id = access_fd,
		.destroy_access_pages = { .access_pages_id = pages_id },
	};

	return test_cmd(fd, &cmd);
}

/* Move the mock device of @stdev_id to @pt_id; *@hwpt_id gets the HWPT */
static inline int mock_domain_replace(int fd, __u32 stdev_id, __u32 pt_id,
				      __u32 *hwpt_id)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE,
		.id = stdev_id,
		.mock_domain_replace.pt_id = pt_id,
	};
	int rc;

	rc = test_cmd(fd, &cmd);
	if (hwpt_id)
		*hwpt_id = cmd.mock_domain_replace.pt_id;
	return rc;
}

/* 0 when mock HWPT @hwpt_id maps [@iova, @iova + @length) to @buf */
static inline int md_check_map(int fd, __u32 hwpt_id, __u64 iova,
			       const void *buf, __u64 length)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_MD_CHECK_MAP,
		.id = hwpt_id,
		.check_map = { .iova = iova, .length = length,
			       .uptr = (uintptr_t)buf },
	};

	return test_cmd(fd, &cmd);
}

/* 0 when every page of @buf has exactly @refs long-term pins */
static inline int md_check_refs(int fd, const void *buf, __u64 length,
				__u32 refs)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_MD_CHECK_REFS,
		.check_refs = { .length = length, .uptr = (uintptr_t)buf,
				.refs = refs },
	};

	return test_cmd(fd, &cmd);
}

static inline int hwpt_alloc(int fd, __u32 dev_id, __u32 pt_id,
			     __u32 *hwpt_id)
{
	struct iommu_hwpt_alloc cmd = {
		.size = sizeof(cmd),
		.dev_id = dev_id,
		.pt_id = pt_id,
	};
	int rc;

	rc = ioctl(fd, IOMMU_HWPT_ALLOC, &cmd);
	if (hwpt_id)
		*hwpt_id = cmd.out_hwpt_id;
	return rc;
}

/* The lowest free ID of the context (IDs are handed out lowest first) */
static inline __u32 next_free_id(int fd)
{
	__u32 id = 0;

	if (ioas_alloc(fd, &id) || destroy(fd, id))
		return 0;
	return id;
}

/* IOMMU_HWPT_ALLOC with flags and data; *@hwpt_id gets the new HWPT */
static inline int hwpt_alloc_data(int fd, __u32 flags, __u32 dev_id,
				  __u32 pt_id, __u32 data_type,
				  const void *data, __u32 data_len,
				  __u32 *hwpt_id)
{
	struct iommu_hwpt_alloc cmd = {
		.size = sizeof(cmd),
		.flags = flags,
		.dev_id = dev_id,
		.pt_id = pt_id,
		.data_type = data_type,
		.data_len = data_len,
		.data_uptr = (uintptr_t)data,
	};
	int rc;

	rc = ioctl(fd, IOMMU_HWPT_ALLOC, &cmd);
	if (!rc && hwpt_id)
		*hwpt_id = cmd.out_hwpt_id;
	return rc;
}

/* A paging HWPT of IOAS @ioas_id with @flags (NEST_PARENT, PASID) */
static inline int hwpt_alloc_paging(int fd, __u32 dev_id, __u32 ioas_id,
				    __u32 flags, __u32 *hwpt_id)
{
	return hwpt_alloc_data(fd, flags, dev_id, ioas_id,
			       IOMMU_HWPT_DATA_NONE, NULL, 0, hwpt_id);
}

/* A mock nested HWPT on @parent_id whose IOTLBs all start as @iotlb */
static inline int hwpt_alloc_nested(int fd, __u32 dev_id, __u32 parent_id,
				    __u32 flags, __u32 iotlb, __u32 *hwpt_id)
{
	struct iommu_hwpt_selftest data = { .iotlb = iotlb };

	return hwpt_alloc_data(fd, flags, dev_id, parent_id,
			       IOMMU_HWPT_DATA_SELFTEST, &data, sizeof(data),
			       hwpt_id);
}

/*
 * IOMMU_HWPT_INVALIDATE of *@entry_num entries of @entry_len bytes at
 * @reqs; *@entry_num gets the count of entries handled, failed or not.
 */
static inline int hwpt_invalidate(int fd, __u32 hwpt_id, const void *reqs,
				  __u32 data_type, __u32 entry_len,
				  __u32 *entry_num)
{
	struct iommu_hwpt_invalidate cmd = {
		.size = sizeof(cmd),
		.hwpt_id = hwpt_id,
		.data_uptr = (uintptr_t)reqs,
		.data_type = data_type,
		.entry_len = entry_len,
		.entry_num = *entry_num,
	};
	int rc;

	rc = ioctl(fd, IOMMU_HWPT_INVALIDATE, &cmd);
	*entry_num = cmd.entry_num;
	return rc;
}

/* 0 when IOTLB @index of mock nested HWPT @hwpt_id holds @iotlb */
static inline int md_check_iotlb(int fd, __u32 hwpt_id, __u32 index,
				 __u32 iotlb)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_MD_CHECK_IOTLB,
		.id = hwpt_id,
		.check_iotlb = { .id = index, .iotlb = iotlb },
	};

	return test_cmd(fd, &cmd);
}

/* 0 when every IOTLB of mock nested HWPT @hwpt_id holds @iotlb */
static inline int md_check_iotlbs(int fd, __u32 hwpt_id, __u32 iotlb)
{
	__u32 i;

	for (i = 0; i != MOCK_NESTED_DOMAIN_IOTLB_NUM; i++)
		if (md_check_iotlb(fd, hwpt_id, i, iotlb))
			return -1;
	return 0;
}

/* 0 when cache @index of the mock device @idev_id holds @cache */
static inline int dev_check_cache(int fd, __u32 idev_id, __u32 index,
				  __u32 cache)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_DEV_CHECK_CACHE,
		.id = idev_id,
		.check_dev_cache = { .id = index, .cache = cache },
	};

	return test_cmd(fd, &cmd);
}

/*
 * IOMMU_VIOMMU_ALLOC of @type for device @dev_id on the NEST_PARENT HWPT
 * @hwpt_id, with @data_len bytes of type data at @data (read, and
 * written back); *@viommu_id (when not NULL) gets the new vIOMMU
 */
static inline int viommu_alloc(int fd, __u32 dev_id, __u32 hwpt_id,
			       __u32 type, void *data, __u32 data_len,
			       __u32 *viommu_id)
{
	struct iommu_viommu_alloc cmd = {
		.size = sizeof(cmd),
		.type = type,
		.dev_id = dev_id,
		.hwpt_id = hwpt_id,
		.data_len = data_len,
		.data_uptr = (uintptr_t)data,
	};
	int rc;

	rc = ioctl(fd, IOMMU_VIOMMU_ALLOC, &cmd);
	if (!rc && viommu_id)
		*viommu_id = cmd.out_viommu_id;
	return rc;
}

/* IOMMU_VDEVICE_ALLOC: device @dev_id is @virt_id in vIOMMU @viommu_id */
static inline int vdevice_alloc(int fd, __u32 viommu_id, __u32 dev_id,
				__u64 virt_id, __u32 *vdev_id)
{
	struct iommu_vdevice_alloc cmd = {
		.size = sizeof(cmd),
		.viommu_id = viommu_id,
		.dev_id = dev_id,
		.virt_id = virt_id,
	};
	int rc;

	rc = ioctl(fd, IOMMU_VDEVICE_ALLOC, &cmd);
	if (!rc && vdev_id)
		*vdev_id = cmd.out_vdevice_id;
	return rc;
}

/*
 * IOMMU_VEVENTQ_ALLOC of @type and @depth on vIOMMU @viommu_id;
 * *@veventq_id and *@veventq_fd (when not NULL) get the queue and the
 * file to read its events from
 */
static inline int veventq_alloc(int fd, __u32 viommu_id, __u32 type,
				__u32 depth, __u32 *veventq_id,
				int *veventq_fd)
{
	struct iommu_veventq_alloc cmd = {
		.size = sizeof(cmd),
		.viommu_id = viommu_id,
		.type = type,
		.veventq_depth = depth,
	};
	int rc;

	rc = ioctl(fd, IOMMU_VEVENTQ_ALLOC, &cmd);
	if (rc)
		return rc;
	if (veventq_id)
		*veventq_id = cmd.out_veventq_id;
	if (veventq_fd)
		*veventq_fd = cmd.out_veventq_fd;
	return 0;
}

/* IOMMU_TEST_OP_TRIGGER_VEVENT: an event of the mock device @idev_id */
static inline int trigger_vevent(int fd, __u32 idev_id)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_TRIGGER_VEVENT,
		.trigger_vevent = { .dev_id = idev_id },
	};

	return test_cmd(fd, &cmd);
}

/* As mock_domain(), for a mock device with MOCK_FLAGS_DEVICE_* @dev_flags */
static inline int mock_domain_flags(int fd, __u32 pt_id, __u32 dev_flags,
				    __u32 *stdev_id, __u32 *hwpt_id,
				    __u32 *idev_id)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS,
		.id = pt_id,
		.mock_domain_flags = { .dev_flags = dev_flags },
	};
	int rc;

	rc = test_cmd(fd, &cmd);
	if (rc)
		return rc;
	if (stdev_id)
		*stdev_id = cmd.mock_domain_flags.out_stdev_id;
	if (hwpt_id)
		*hwpt_id = cmd.mock_domain_flags.out_hwpt_id;
	if (idev_id)
		*idev_id = cmd.mock_domain_flags.out_idev_id;
	return 0;
}

/*
 * IOMMU_TEST_OP_PASID_ATTACH or _REPLACE (@op): put @pasid of the mock
 * device of @stdev_id on IOAS or HWPT @pt_id; *@hwpt_id (when not NULL)
 * gets the HWPT attached.
 */
static inline int pasid_set(int fd, __u32 op, __u32 stdev_id, __u32 pasid,
			    __u32 pt_id, __u32 *hwpt_id)
{
	struct iommu_test_cmd cmd = {
		.op = op,
		.id = stdev_id,
		/* _attach and _replace have one layout */
		.pasid_attach = { .pasid = pasid, .pt_id = pt_id },
	};
	int rc;

	rc = test_cmd(fd, &cmd);
	if (!rc && hwpt_id)
		*hwpt_id = cmd.pasid_attach.pt_id;
	return rc;
}

static inline int pasid_attach(int fd, __u32 stdev_id, __u32 pasid,
			       __u32 pt_id, __u32 *hwpt_id)
{
	return pasid_set(fd, IOMMU_TEST_OP_PASID_ATTACH, stdev_id, pasid,
			 pt_id, hwpt_id);
}

static inline int pasid_replace(int fd, __u32 stdev_id, __u32 pasid,
				__u32 pt_id, __u32 *hwpt_id)
{
	return pasid_set(fd, IOMMU_TEST_OP_PASID_REPLACE, stdev_id, pasid,
			 pt_id, hwpt_id);
}

static inline int pasid_detach(int fd, __u32 stdev_id, __u32 pasid)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_PASID_DETACH,
		.id = stdev_id,
		.pasid_detach = { .pasid = pasid },
	};

	return test_cmd(fd, &cmd);
}

/*
 * 0 when @pasid of the mock device of @stdev_id is translated by HWPT
 * @hwpt_id (pasid 0: the RID), or for @hwpt_id 0 when nothing is
 * attached to it
 */
static inline int pasid_check_hwpt(int fd, __u32 stdev_id, __u32 pasid,
				   __u32 hwpt_id)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_PASID_CHECK_HWPT,
		.id = stdev_id,
		.pasid_check = { .pasid = pasid, .hwpt_id = hwpt_id },
	};

	return test_cmd(fd, &cmd);
}

/*
 * VFIO_DEVICE_ATTACH_IOMMUFD_PT on a VFIO device cdev with every field:
 * @argsz, @flags (VFIO_DEVICE_ATTACH_PASID), *@pt_id (in: an IOAS or HWPT;
 * out: the HWPT attached) and @pasid
 */
static inline int vfio_attach_pt_raw(int devfd, __u32 argsz, __u32 flags,
				     __u32 *pt_id, __u32 pasid)
{
	struct vfio_device_attach_iommufd_pt attach = {
		.argsz = argsz,
		.flags = flags,
		.pt_id = *pt_id,
		.pasid = pasid,
	};
	int rc;

	rc = ioctl(devfd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &attach);
	*pt_id = attach.pt_id;
	return rc;
}

/* VFIO_DEVICE_DETACH_IOMMUFD_PT with @argsz, @flags and @pasid */
static inline int vfio_detach_pt_raw(int devfd, __u32 argsz, __u32 flags,
				     __u32 pasid)
{
	struct vfio_device_detach_iommufd_pt detach = {
		.argsz = argsz,
		.flags = flags,
		.pasid = pasid,
	};

	return ioctl(devfd, VFIO_DEVICE_DETACH_IOMMUFD_PT, &detach);
}

/* The VFIO type1 container ioctls, issued on a /dev/iommu fd */
static inline int type1_map(int fd, void *buf, __u64 iova, __u64 size,
			    __u32 flags)
{
	struct vfio_iommu_type1_dma_map map = {
		.argsz = sizeof(map),
		.flags = flags,
		.vaddr = (uintptr_t)buf,
		.iova = iova,
		.size = size,
	};

	return ioctl(fd, VFIO_IOMMU_MAP_DMA, &map);
}

static inline int type1_unmap(int fd, __u64 iova, __u64 size, __u32 flags,
			      __u64 *unmapped)
{
	struct vfio_iommu_type1_dma_unmap unmap = {
		.argsz = sizeof(unmap),
		.flags = flags,
		.iova = iova,
		.size = size,
	};
	int rc;

	rc = ioctl(fd, VFIO_IOMMU_UNMAP_DMA, &unmap);
	if (unmapped)
		*unmapped = unmap.size;
	return rc;
}

#define T1_RW (VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE)

/* Wait for a child and return its exit status, or -1 */
static inline int wait_child(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

/* Leave root for uid/gid 65534 with a locked memory limit of @limit */
static inline int become_nobody(rlim_t limit)
{
	struct rlimit rl = { .rlim_cur = limit, .rlim_max = limit };

	if (setrlimit(RLIMIT_MEMLOCK, &rl))
		return -1;
	/* Leaving uid 0 clears every capability, CAP_IPC_LOCK included. */
	if (setgroups(0, NULL) || setresgid(65534, 65534, 65534) ||
	    setresuid(65534, 65534, 65534))
		return -1;
	return 0;
}

/*
 * A VFIO device cdev bound to an iommufd and attached, in the first
 * layouts of the structures (no token, no PASID), as QEMU 10.0 passes
 * them; newer sizes are the business of the tests that check them.
 */
static inline int bind_iommufd(int devfd, int iommufd, __u32 *devid)
{
	struct vfio_device_bind_iommufd bind = {
		.argsz = offsetof(struct vfio_device_bind_iommufd,
				  token_uuid_ptr),
		.iommufd = iommufd,
	};
	int rc;

	rc = ioctl(devfd, VFIO_DEVICE_BIND_IOMMUFD, &bind);
	if (devid)
		*devid = bind.out_devid;
	return rc;
}

/* *pt_id: the IOAS or HWPT to attach to in, the HWPT attached out */
static inline int attach_pt(int devfd, __u32 *pt_id)
{
	struct vfio_device_attach_iommufd_pt attach = {
		.argsz = offsetof(struct vfio_device_attach_iommufd_pt, pasid),
		.pt_id = *pt_id,
	};
	int rc;

	rc = ioctl(devfd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &attach);
	*pt_id = attach.pt_id;
	return rc;
}

static inline int detach_pt(int devfd)
{
	struct vfio_device_detach_iommufd_pt detach = {
		.argsz = offsetof(struct vfio_device_detach_iommufd_pt, pasid),
	};

	return ioctl(devfd, VFIO_DEVICE_DETACH_IOMMUFD_PT, &detach);
}

/* *ioas_id: the ID to set in, the ID reported out */
static inline int vfio_ioas(int fd, __u16 op, __u32 *ioas_id)
{
	struct iommu_vfio_ioas cmd = {
		.size = sizeof(cmd),
		.ioas_id = *ioas_id,
		.op = op,
	};
	int rc;

	rc = ioctl(fd, IOMMU_VFIO_IOAS, &cmd);
	if (!rc)
		*ioas_id = cmd.ioas_id;
	return rc;
}

/*
 * A /dev/iommu fd set up as a type1 container that holds a device, as a
 * VFIO group joining it would leave it: a compat IOAS with a mock device
 * attached, and VFIO_SET_IOMMU(TYPE1v2) done. The fd, or -1.
 */
static inline int type1_open(void)
{
	__u32 ioas_id;
	int fd;

	fd = open(IOMMUFD_DEV, O_RDWR);
	if (fd < 0)
		return -1;
	if (ioas_alloc(fd, &ioas_id) ||
	    vfio_ioas(fd, IOMMU_VFIO_IOAS_SET, &ioas_id) ||
	    mock_domain(fd, ioas_id, NULL, NULL, NULL) ||
	    ioctl(fd, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU)) {
		close(fd);
		return -1;
	}
	return fd;
}

/*
 * A page whose writes fault into userfaultfd (write-protect mode) until
 * the test lets them through: a copy_to_user() into it waits in the
 * kernel for as long as the test wants.
 */
struct wp_page {
	int uffd;
	void *page;
};

static inline int wp_page_setup(struct wp_page *wp)
{
	struct uffdio_api api = {
		.api = UFFD_API,
		.features = UFFD_FEATURE_PAGEFAULT_FLAG_WP,
	};
	struct uffdio_register reg = {};
	struct uffdio_writeprotect prot = {};

	wp->uffd = syscall(__NR_userfaultfd, O_CLOEXEC | O_NONBLOCK);
	if (wp->uffd < 0)
		return -1;
	if (ioctl(wp->uffd, UFFDIO_API, &api))
		return -1;
	wp->page = mmap(NULL, SZ_4K, PROT_READ | PROT_WRITE,
			MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (wp->page == MAP_FAILED)
		return -1;
	memset(wp->page, 0, SZ_4K);
	reg.range.start = (uintptr_t)wp->page;
	reg.range.len = SZ_4K;
	reg.mode = UFFDIO_REGISTER_MODE_WP;
	if (ioctl(wp->uffd, UFFDIO_REGISTER, &reg))
		return -1;
	prot.range = reg.range;
	prot.mode = UFFDIO_WRITEPROTECT_MODE_WP;
	return ioctl(wp->uffd, UFFDIO_WRITEPROTECT, &prot);
}

/* Wait up to @ms for a write fault on the page; 0 when one came */
static inline int wp_page_wait_fault(struct wp_page *wp, int ms)
{
	struct pollfd pfd = { .fd = wp->uffd, .events = POLLIN };
	struct uffd_msg msg;

	if (poll(&pfd, 1, ms) != 1)
		return -1;
	if (read(wp->uffd, &msg, sizeof(msg)) != sizeof(msg))
		return -1;
	return msg.event == UFFD_EVENT_PAGEFAULT ? 0 : -1;
}

/* Let the faulting write through */
static inline int wp_page_release(struct wp_page *wp)
{
	struct uffdio_writeprotect prot = {
		.range = { .start = (uintptr_t)wp->page, .len = SZ_4K },
		.mode = 0,
	};

	return ioctl(wp->uffd, UFFDIO_WRITEPROTECT, &prot);
}

static inline void wp_page_free(struct wp_page *wp)
{
	if (wp->page && wp->page != MAP_FAILED)
		munmap(wp->page, SZ_4K);
	if (wp->uffd >= 0)
		close(wp->uffd);
}

/* Join @t within @ms milliseconds; 0 when it finished */
static inline int join_within(pthread_t t, int ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	return pthread_timedjoin_np(t, NULL, &ts);
}

#endif
