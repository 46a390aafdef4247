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
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/iommufd.h>

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

/* A "Vm...:" line of /proc/self/status in kB, or -1 */
static inline long status_kb(const char *fmt)
{
	char line[128];
	long kb = -1;
	FILE *f;

	f = fopen("/proc/self/status", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, fmt, &kb) == 1)
			break;
	fclose(f);
	return kb;
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

#endif
