// SPDX-License-Identifier: GPL-2.0-only
/*
 * Nested HWPTs, IOMMU_HWPT_INVALIDATE and PASID attach, on the mock IOMMU.
 *
 * A nested HWPT is a stage-1 table the user owns, made by IOMMU_HWPT_ALLOC
 * with driver data on top of a paging HWPT allocated with
 * IOMMU_HWPT_ALLOC_NEST_PARENT (the stage 2, which follows an IOAS). The
 * mock driver's nested HWPT has four IOTLB entries, all set from the data
 * at allocation ({u32 iotlb}), read back through IOMMU_TEST_OP_MD_CHECK_IOTLB
 * and zeroed by IOMMU_HWPT_INVALIDATE entries {u32 flags, u32 iotlb_id}.
 * IOMMU_HWPT_INVALIDATE writes back how many entries it handled, also
 * when it fails part way.
 *
 * A mock device made with MOCK_FLAGS_DEVICE_PASID has 20 bits of PASID:
 * IOMMU_TEST_OP_PASID_ATTACH, _REPLACE and _DETACH put a PASID on a HWPT
 * allocated with IOMMU_HWPT_ALLOC_PASID (or on the PASID-capable automatic
 * HWPT of an IOAS), _CHECK_HWPT tells what translates a PASID (pasid 0:
 * the RID). While a PASID is attached the RID may only be on a
 * PASID-capable HWPT, and a RID on one that is not keeps PASIDs off.
 *
 * Every test ends by closing the file with what it left live; the
 * teardown then checks, from a new file, that no page of the buffer is
 * still pinned.
 *
 * Needs root and CONFIG_IOMMUFD_TEST (mock devices).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/iommufd.h>

#include "../kselftest_harness.h"
#include "iommufd_utils.h"

#define NO_TEST_CMD "no IOMMU_TEST_CMD (needs CONFIG_IOMMUFD_TEST)"
/* An ID no test ever gets: the kernel hands out small IDs first */
#define UNUSED_ID 0x7fff0000u
#define BUF_SIZE (16 * SZ_4K)
#define IOVA MOCK_APERTURE_START
#define IOTLB_NUM MOCK_NESTED_DOMAIN_IOTLB_NUM
#define DEFAULT_IOTLB IOMMU_TEST_IOTLB_DEFAULT
#define INV_TYPE IOMMU_HWPT_INVALIDATE_DATA_SELFTEST
#define INV_ALL IOMMU_TEST_INVALIDATE_FLAG_ALL
/* The highest PASID of a PASID-capable mock device, and the first beyond */
#define PASID_LAST ((1u << MOCK_PASID_WIDTH) - 1)
/* The first PASID beyond a mock device's width */
enum { PASID_BEYOND = 1 << MOCK_PASID_WIDTH };
/* The mock fails a replace of this PASID with ENOMEM, keeping the old HWPT */
#define PASID_NO_REPLACE 1024

/* One invalidation entry of a mock nested HWPT */
#define INV(_flags, _id)                                    \
	((struct iommu_hwpt_invalidate_selftest){           \
		.flags = (_flags), .iotlb_id = (_id) })

/* Anything to hand HWPT_ALLOC as data of an unknown type */
static const __u64 zero_data[4];

/*
 * The first IOTLB entry of nested HWPT @hwpt_id that does not hold its
 * value in @want, or -1 when all four do.
 */
static int iotlb_mismatch(int fd, __u32 hwpt_id, const __u32 *want)
{
	int i;

	for (i = 0; i != MOCK_NESTED_DOMAIN_IOTLB_NUM; i++)
		if (md_check_iotlb(fd, hwpt_id, i, want[i]))
			return i;
	return -1;
}

/* IOMMU_HWPT_INVALIDATE with the argument as given */
static int invalidate_cmd(int fd, struct iommu_hwpt_invalidate *cmd)
{
	return ioctl(fd, IOMMU_HWPT_INVALIDATE, cmd);
}

/* IOMMU_GET_HW_INFO: the PASID width and the capabilities of @idev_id */
static int hw_info_pasid(int fd, __u32 idev_id, __u8 *max_pasid_log2,
			 __u64 *caps)
{
	struct iommu_hw_info cmd = {
		.size = sizeof(cmd),
		.dev_id = idev_id,
		.out_max_pasid_log2 = 0xff,
		.out_capabilities = ~0ULL,
	};
	int rc;

	rc = ioctl(fd, IOMMU_GET_HW_INFO, &cmd);
	*max_pasid_log2 = cmd.out_max_pasid_log2;
	*caps = cmd.out_capabilities;
	if (!rc && cmd.out_data_type != IOMMU_HW_INFO_TYPE_SELFTEST) {
		errno = EPROTO;
		return -1;
	}
	return rc;
}

/* No page of @buf is pinned by anything, asked from a new file */
static int buf_unpinned(const void *buf, __u64 len)
{
	int fd, rc;

	fd = open(IOMMUFD_DEV, O_RDWR);
	if (fd < 0)
		return -1;
	rc = md_check_refs(fd, buf, len, 0);
	close(fd);
	return rc;
}

static char *test_buf(void)
{
	char *buf = mmap(NULL, BUF_SIZE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (buf != MAP_FAILED)
		memset(buf, 0x5a, BUF_SIZE);
	return buf;
}

static bool have_test_cmd(int fd)
{
	struct iommu_test_cmd probe = { .op = 0 };

	return test_cmd(fd, &probe) == -1 && errno == EOPNOTSUPP;
}

/*
 * What both fixtures start with: a context, the test buffer and an IOAS
 * mapping it at IOVA. Without IOMMU_TEST_CMD *@test_cmd is false and no
 * IOAS is made.
 */
static void open_mapped_ioas(struct __test_metadata *_metadata, int *fd,
			     char **buf, bool *test_cmd, __u32 *ioas_id)
{
	*fd = open(IOMMUFD_DEV, O_RDWR);
	ASSERT_LE(0, *fd);
	*buf = test_buf();
	ASSERT_NE(MAP_FAILED, *buf);
	*test_cmd = have_test_cmd(*fd);
	if (!*test_cmd)
		return;
	ASSERT_EQ(0, ioas_alloc(*fd, ioas_id));
	ASSERT_EQ(0, ioas_map_fixed(*fd, *ioas_id, *buf, BUF_SIZE, IOVA));
}

/*
 * And both end so: whatever the test left live goes with the file, and
 * then no page of the buffer may be pinned.
 */
static void close_unpinned(struct __test_metadata *_metadata, int fd,
			   char *buf, bool test_cmd)
{
	if (fd >= 0)
		close(fd);
	if (test_cmd)
		EXPECT_EQ(0, buf_unpinned(buf, BUF_SIZE));
	munmap(buf, BUF_SIZE);
}

/* ------------------------------------------------------------------ */
/* Nested HWPTs and their invalidation                                 */

/*
 * An IOAS mapping the buffer, a mock device on its automatic HWPT and a
 * paging HWPT of the IOAS allocated with IOMMU_HWPT_ALLOC_NEST_PARENT.
 */
FIXTURE(nesting) {
	int fd;
	__u32 ioas_id;
	__u32 stdev_id;
	__u32 idev_id;
	__u32 hwpt_id;
	__u32 parent_id;
	char *buf;
	bool test_cmd;
};

FIXTURE_SETUP(nesting)
{
	open_mapped_ioas(_metadata, &self->fd, &self->buf, &self->test_cmd,
			 &self->ioas_id);
	if (!self->test_cmd)
		SKIP(return, NO_TEST_CMD);
	ASSERT_EQ(0, mock_domain(self->fd, self->ioas_id, &self->stdev_id,
				 &self->hwpt_id, &self->idev_id));
	ASSERT_EQ(0, hwpt_alloc_paging(self->fd, self->idev_id, self->ioas_id,
				       IOMMU_HWPT_ALLOC_NEST_PARENT,
				       &self->parent_id));
}

FIXTURE_TEARDOWN(nesting)
{
	close_unpinned(_metadata, self->fd, self->buf, self->test_cmd);
}

TEST_F(nesting, nested_alloc_sets_iotlbs)
{
	__u32 nested, nested2, nested_pasid;

	if (!self->test_cmd)
		SKIP(return, NO_TEST_CMD);
	ASSERT_EQ(0, hwpt_alloc_nested(self->fd, self->idev_id,
				       self->parent_id, 0, DEFAULT_IOTLB,
				       &nested));
	ASSERT_NE(self->parent_id, nested);
	ASSERT_EQ(0, md_check_iotlbs(self->fd, nested, DEFAULT_IOTLB));
	/* Any value, for each nested HWPT its own */
	ASSERT_EQ(0, hwpt_alloc_nested(self->fd, self->idev_id,
				       self->parent_id, 0, 0x12345678,
				       &nested2));
	ASSERT_NE(nested, nested2);
	ASSERT_EQ(0, md_check_iotlbs(self->fd, nested2, 0x12345678));
	ASSERT_EQ(0, md_check_iotlbs(self->fd, nested, DEFAULT_IOTLB));
	/* IOMMU_HWPT_ALLOC_PASID is the one flag a nested HWPT takes */
	ASSERT_EQ(0, hwpt_alloc_nested(self->fd, self->idev_id,
				       self->parent_id, IOMMU_HWPT_ALLOC_PASID,
				       0, &nested_pasid));
	ASSERT_EQ(0, md_check_iotlbs(self->fd, nested_pasid, 0));
	/* A parent allocated with PASID as well may parent too */
	ASSERT_EQ(0, destroy(self->fd, nested2));
	ASSERT_EQ(0, hwpt_alloc_paging(self->fd, self->idev_id, self->ioas_id,
				       IOMMU_HWPT_ALLOC_NEST_PARENT |
					       IOMMU_HWPT_ALLOC_PASID,
				       &self->parent_id));
	ASSERT_EQ(0, hwpt_alloc_nested(self->fd, self->idev_id,
				       self->parent_id, 0, 7, &nested2));
	ASSERT_EQ(0, md_check_iotlbs(self->fd, nested2, 7));
	/* The rest is left for the close */
}

TEST_F(nesting, nested_alloc_data_len)
{
	struct {
		struct iommu_hwpt_selftest data;
		__u8 tail[60];
	} big = { .data.iotlb = 0xabcd };
	__u32 first_free, nested;

	if (!self->test_cmd)
		SKIP(return, NO_TEST_CMD);
	first_free = next_free_id(self->fd);
	/* Shorter than the first layout, or no data at all */
	ASSERT_ERRNO(EINVAL, hwpt_alloc_data(self->fd, 0, self->idev_id,
					     self->parent_id,
					     IOMMU_HWPT_DATA_SELFTEST, &big,
					     3, NULL));
	ASSERT_ERRNO(EINVAL, hwpt_alloc_data(self->fd, 0, self->idev_id,
					     self->parent_id,
					     IOMMU_HWPT_DATA_SELFTEST, &big,
					     1, NULL));
	ASSERT_ERRNO(EINVAL, hwpt_alloc_data(self->fd, 0, self->idev_id,
					     self->parent_id,
					     IOMMU_HWPT_DATA_SELFTEST, &big,
					     0, NULL));
	ASSERT_ERRNO(EINVAL, hwpt_alloc_data(self->fd, 0, self->idev_id,
					     self->parent_id,
					     IOMMU_HWPT_DATA_SELFTEST, NULL,
					     sizeof(big.data), NULL));
	/* Longer: the tail must be zero */
	big.tail[1] = 1;
	ASSERT_ERRNO(E2BIG, hwpt_alloc_data(self->fd, 0, self->idev_id,
					    self->parent_id,
					    IOMMU_HWPT_DATA_SELFTEST, &big,
					    sizeof(big.data) + 4, NULL));
	big.tail[1] = 0;
	big.tail[sizeof(big.tail) - 1] = 0x80;
	ASSERT_ERRNO(E2BIG, hwpt_alloc_data(self->fd, 0, self->idev_id,
					    self->parent_id,
					    IOMMU_HWPT_DATA_SELFTEST, &big,
					    sizeof(big), NULL));
	/* None of them made anything */
	ASSERT_EQ(first_free, next_free_id(self->fd));

	/* Just beyond the non-zero byte, and exactly the layout: taken */
	ASSERT_EQ(0, hwpt_alloc_data(self->fd, 0, self->idev_id,
				     self->parent_id, IOMMU_HWPT_DATA_SELFTEST,
				     &big, sizeof(big) - 1, &nested));
	ASSERT_EQ(first_free, nested);
	ASSERT_EQ(0, md_check_iotlbs(self->fd, nested, 0xabcd));
	ASSERT_EQ(0, destroy(self->fd, nested));
	ASSERT_EQ(0, hwpt_alloc_data(self->fd, 0, self->idev_id,
				     self->parent_id, IOMMU_HWPT_DATA_SELFTEST,
				     &big, sizeof(big.data) + 4, &nested));
	ASSERT_EQ(0, md_check_iotlbs(self->fd, nested, 0xabcd));
	ASSERT_EQ(0, destroy(self->fd, nested));
	ASSERT_EQ(0, hwpt_alloc_data(self->fd, 0, self->idev_id,
				     self->parent_id, IOMMU_HWPT_DATA_SELFTEST,
				     &big, sizeof(big.data), &nested));
	ASSERT_EQ(0, md_check_iotlbs(self->fd, nested, 0xabcd));
}

TEST_F(nesting, nested_alloc_type_and_flags)
{
	static const __u32 bad_flags[] = {
		IOMMU_HWPT_ALLOC_NEST_PARENT,
		IOMMU_HWPT_ALLOC_NEST_PARENT | IOMMU_HWPT_ALLOC_PASID,
		IOMMU_HWPT_ALLOC_DIRTY_TRACKING,
		IOMMU_HWPT_FAULT_ID_VALID,
		1u << 4,
		1u << 31,
	};
	struct iommu_hwpt_selftest data = { .iotlb = DEFAULT_IOTLB };
	struct iommu_hwpt_alloc cmd = {
		.size = sizeof(cmd),
		.dev_id = self->idev_id,
		.pt_id = self->parent_id,
		.data_type = IOMMU_HWPT_DATA_SELFTEST,
		.data_len = sizeof(data),
		.data_uptr = (uintptr_t)&data,
	};
	__u32 first_free;
	unsigned int i;

	if (!self->test_cmd)
		SKIP(return, NO_TEST_CMD);
	first_free = next_free_id(self->fd);
	/* No data: a paging HWPT cannot be made of a paging HWPT */
	ASSERT_ERRNO(EOPNOTSUPP, hwpt_alloc_paging(self->fd, self->idev_id,
						   self->parent_id, 0, NULL));
	/* Types the mock driver does not know */
	ASSERT_ERRNO(EOPNOTSUPP,
		     hwpt_alloc_data(self->fd, 0, self->idev_id,
				     self->parent_id, IOMMU_HWPT_DATA_VTD_S1,
				     zero_data, 24, NULL));
	ASSERT_ERRNO(EOPNOTSUPP,
		     hwpt_alloc_data(self->fd, 0, self->idev_id,
				     self->parent_id,
				     IOMMU_HWPT_DATA_ARM_SMMUV3, zero_data,
				     16, NULL));
	ASSERT_ERRNO(EOPNOTSUPP,
		     hwpt_alloc_data(self->fd, 0, self->idev_id,
				     self->parent_id, 0xbeef, &data,
				     sizeof(data), NULL));
	/* Flags other than IOMMU_HWPT_ALLOC_PASID */
	for (i = 0; i != ARRAY_SIZE(bad_flags); i++) {
		cmd.flags = bad_flags[i];
		errno = 0;
		ASSERT_EQ(-1, ioctl(self->fd, IOMMU_HWPT_ALLOC, &cmd))
			TH_LOG("flags 0x%x", bad_flags[i]);
		ASSERT_EQ(EOPNOTSUPP, errno) TH_LOG("flags 0x%x", bad_flags[i]);
	}
	/* Reserved fields */
	cmd.flags = 0;
	cmd.__reserved = 1;
	ASSERT_ERRNO(EOPNOTSUPP, ioctl(self->fd, IOMMU_HWPT_ALLOC, &cmd));
	cmd.__reserved = 0;
	cmd.__reserved2 = 1;
	ASSERT_ERRNO(EOPNOTSUPP, ioctl(self->fd, IOMMU_HWPT_ALLOC, &cmd));
	ASSERT_EQ(first_free, next_free_id(self->fd));
	/* The same argument, right, is taken */
	cmd.__reserved2 = 0;
	cmd.flags = IOMMU_HWPT_ALLOC_PASID;
	ASSERT_EQ(0, ioctl(self->fd, IOMMU_HWPT_ALLOC, &cmd));
	ASSERT_EQ(first_free, cmd.out_hwpt_id);
	ASSERT_EQ(0, md_check_iotlbs(self->fd, cmd.out_hwpt_id,
				     DEFAULT_IOTLB));
}

TEST_F(nesting, nested_parent_rules)
{
	__u32 plain, pasid_only, nested, first_free;
	__u32 ids[2];
	unsigned int i;

	if (!self->test_cmd)
		SKIP(return, NO_TEST_CMD);
	ASSERT_EQ(0, hwpt_alloc_paging(self->fd, self->idev_id, self->ioas_id,
				       0, &plain));
	ASSERT_EQ(0, hwpt_alloc_paging(self->fd, self->idev_id, self->ioas_id,
				       IOMMU_HWPT_ALLOC_PASID, &pasid_only));
	ASSERT_EQ(0, hwpt_alloc_nested(self->fd, self->idev_id,
				       self->parent_id, 0, DEFAULT_IOTLB,
				       &nested));
	first_free = next_free_id(self->fd);

	/* A parent must be a paging HWPT allocated with NEST_PARENT */
	ASSERT_ERRNO(EINVAL, hwpt_alloc_nested(self->fd, self->idev_id, plain,
					       0, DEFAULT_IOTLB, NULL));
	ASSERT_ERRNO(EINVAL, hwpt_alloc_nested(self->fd, self->idev_id,
					       pasid_only, 0, DEFAULT_IOTLB,
					       NULL));
	/* not an automatic one */
	ASSERT_ERRNO(EINVAL, hwpt_alloc_nested(self->fd, self->idev_id,
					       self->hwpt_id, 0, DEFAULT_IOTLB,
					       NULL));
	/* nor a nested one */
	ASSERT_ERRNO(EINVAL, hwpt_alloc_nested(self->fd, self->idev_id, nested,
					       0, DEFAULT_IOTLB, NULL));
	ASSERT_ERRNO(EINVAL, hwpt_alloc_nested(self->fd, self->idev_id, nested,
					       IOMMU_HWPT_ALLOC_PASID,
					       DEFAULT_IOTLB, NULL));
	/* nor any other object */
	ids[0] = self->stdev_id;
	ids[1] = self->idev_id;
	for (i = 0; i != ARRAY_SIZE(ids); i++)
		ASSERT_ERRNO(EINVAL, hwpt_alloc_nested(self->fd, self->idev_id,
						       ids[i], 0, DEFAULT_IOTLB,
						       NULL));
	ASSERT_ERRNO(ENOENT, hwpt_alloc_nested(self->fd, self->idev_id, 0, 0,
					       DEFAULT_IOTLB, NULL));
	ASSERT_ERRNO(ENOENT, hwpt_alloc_nested(self->fd, self->idev_id,
					       UNUSED_ID, 0, DEFAULT_IOTLB,
					       NULL));
	ASSERT_ERRNO(ENOENT, hwpt_alloc_nested(self->fd, self->idev_id,
					       first_free, 0, DEFAULT_IOTLB,
					       NULL));
	/* The device must be a bound device */
	ids[0] = self->stdev_id;
	ids[1] = self->parent_id;
	for (i = 0; i != ARRAY_SIZE(ids); i++)
		ASSERT_ERRNO(ENOENT, hwpt_alloc_nested(self->fd, ids[i],
						       self->parent_id, 0,
						       DEFAULT_IOTLB, NULL));
	ASSERT_ERRNO(ENOENT, hwpt_alloc_nested(self->fd, UNUSED_ID,
					       self->parent_id, 0,
					       DEFAULT_IOTLB, NULL));
	/* Nothing was made; the refused parents are not held */
	ASSERT_EQ(first_free, next_free_id(self->fd));
	ASSERT_EQ(0, destroy(self->fd, plain));
	ASSERT_EQ(0, destroy(self->fd, pasid_only));
	ASSERT_EQ(0, md_check_iotlbs(self->fd, nested, DEFAULT_IOTLB));
}

TEST_F(nesting, check_iotlb_errors)
{
	__u32 nested, gone;

	if (!self->test_cmd)
		SKIP(return, NO_TEST_CMD);
	ASSERT_EQ(0, hwpt_alloc_nested(self->fd, self->idev_id,
				       self->parent_id, 0, DEFAULT_IOTLB,
				       &nested));
	ASSERT_EQ(0, md_check_iotlb(self->fd, nested,
				    MOCK_NESTED_DOMAIN_IOTLB_ID_MAX,
				    DEFAULT_IOTLB));
	/* No such entry */
	ASSERT_ERRNO(EINVAL, md_check_iotlb(self->fd, nested,
					    MOCK_NESTED_DOMAIN_IOTLB_ID_MAX + 1,
					    DEFAULT_IOTLB));
	ASSERT_ERRNO(EINVAL, md_check_iotlb(self->fd, nested, UINT32_MAX,
					    DEFAULT_IOTLB));
	/* Another value */
	ASSERT_ERRNO(EINVAL, md_check_iotlb(self->fd, nested, 0, 0));
	ASSERT_ERRNO(EINVAL, md_check_iotlb(self->fd, nested, 3,
					    DEFAULT_IOTLB + 1));
	/* Anything but a nested HWPT */
	ASSERT_ERRNO(ENOENT, md_check_iotlb(self->fd, self->parent_id, 0,
					    DEFAULT_IOTLB));
	ASSERT_ERRNO(ENOENT, md_check_iotlb(self->fd, self->hwpt_id, 0,
					    DEFAULT_IOTLB));
	ASSERT_ERRNO(ENOENT, md_check_iotlb(self->fd, self->ioas_id, 0,
					    DEFAULT_IOTLB));
	ASSERT_ERRNO(ENOENT, md_check_iotlb(self->fd, self->stdev_id, 0,
					    DEFAULT_IOTLB));
	ASSERT_ERRNO(ENOENT, md_check_iotlb(self->fd, self->idev_id, 0,
					    DEFAULT_IOTLB));
	ASSERT_ERRNO(ENOENT, md_check_iotlb(self->fd, 0, 0, DEFAULT_IOTLB));
	ASSERT_ERRNO(ENOENT, md_check_iotlb(self->fd, UNUSED_ID, 0,
					    DEFAULT_IOTLB));
	/* nor one that is gone */
	ASSERT_EQ(0, hwpt_alloc_nested(self->fd, self->idev_id,
				       self->parent_id, 0, DEFAULT_IOTLB,
				       &gone));
	ASSERT_EQ(0, destroy(self->fd, gone));
	ASSERT_ERRNO(ENOENT, md_check_iotlb(self->fd, gone, 0,
					    DEFAULT_IOTLB));
}

TEST_F(nesting, invalidate_entries)
{
	struct iommu_hwpt_invalidate_selftest inv[4] = {
		{ .iotlb_id = 0 },
		{ .iotlb_id = 1 },
		{ .iotlb_id = MOCK_NESTED_DOMAIN_IOTLB_ID_MAX + 1 },
		{ .iotlb_id = 3 },
	};
	__u32 nested, other, num;

	if (!self->test_cmd)
		SKIP(return, NO_TEST_CMD);
	ASSERT_EQ(0, hwpt_alloc_nested(self->fd, self->idev_id,
				       self->parent_id, 0, DEFAULT_IOTLB,
				       &nested));
	ASSERT_EQ(0, hwpt_alloc_nested(self->fd, self->idev_id,
				       self->parent_id, 0, DEFAULT_IOTLB,
				       &other));

	/* Up to the bad third entry: two handled, and applied */
	num = 4;
	ASSERT_ERRNO(EINVAL, hwpt_invalidate(self->fd, nested, inv, INV_TYPE,
					     sizeof(inv[0]), &num));
	ASSERT_EQ(2, num);
	ASSERT_EQ(-1, iotlb_mismatch(self->fd, nested,
				     (__u32[]){ 0, 0, DEFAULT_IOTLB, DEFAULT_IOTLB }));

	/* One entry: just that one */
	inv[0].iotlb_id = 3;
	num = 1;
	ASSERT_EQ(0, hwpt_invalidate(self->fd, nested, inv, INV_TYPE,
				     sizeof(inv[0]), &num));
	ASSERT_EQ(1, num);
	ASSERT_EQ(-1, iotlb_mismatch(self->fd, nested,
				     (__u32[]){ 0, 0, DEFAULT_IOTLB, 0 }));

	/* An unknown flag stops at its entry too */
	inv[0] = INV(0, 2);
	inv[1] = INV(1u << 1, 0);
	num = 2;
	ASSERT_ERRNO(EOPNOTSUPP, hwpt_invalidate(self->fd, nested, inv,
						 INV_TYPE, sizeof(inv[0]),
						 &num));
	ASSERT_EQ(1, num);
	ASSERT_EQ(0, md_check_iotlbs(self->fd, nested, 0));

	/* Another nested HWPT on the same parent kept its entries */
	ASSERT_EQ(0, md_check_iotlbs(self->fd, other, DEFAULT_IOTLB));

	/* ALL clears every entry */
	inv[0] = INV(INV_ALL, 0);
	num = 1;
	ASSERT_EQ(0, hwpt_invalidate(self->fd, other, inv, INV_TYPE,
				     sizeof(inv[0]), &num));
	ASSERT_EQ(1, num);
	ASSERT_EQ(0, md_check_iotlbs(self->fd, other, 0));

	/* Four good entries, repeated ones included */
	ASSERT_EQ(0, hwpt_alloc_nested(self->fd, self->idev_id,
				       self->parent_id, 0, DEFAULT_IOTLB,
				       &other));
	inv[0] = INV(0, 1);
	inv[1] = INV(0, 2);
	inv[2] = INV(0, 1);
	inv[3] = INV(0, 2);
	num = 4;
	ASSERT_EQ(0, hwpt_invalidate(self->fd, other, inv, INV_TYPE,
				     sizeof(inv[0]), &num));
	ASSERT_EQ(4, num);
	ASSERT_EQ(-1, iotlb_mismatch(self->fd, other,
				     (__u32[]){ DEFAULT_IOTLB, 0, 0, DEFAULT_IOTLB }));
}

TEST_F(nesting, invalidate_errors)
{
	const struct iommu_hwpt_invalidate_selftest good[3] = {
		{ .iotlb_id = 0 }, { .iotlb_id = 1 }, { .iotlb_id = 2 },
	};
	struct iommu_hwpt_invalidate cmd = {
		.size = sizeof(cmd),
		.data_uptr = (uintptr_t)good,
		.data_type = INV_TYPE,
		.entry_len = sizeof(good[0]),
		.entry_num = 3,
	};
	struct iommu_hwpt_invalidate base;
	struct iommu_hwpt_invalidate_selftest bad[3];
	__u32 nested, ids[3];
	unsigned int i;

	if (!self->test_cmd)
		SKIP(return, NO_TEST_CMD);
	ASSERT_EQ(0, hwpt_alloc_nested(self->fd, self->idev_id,
				       self->parent_id, 0, DEFAULT_IOTLB,
				       &nested));
	cmd.hwpt_id = nested;
	base = cmd;

	/* Each refused before any entry: entry_num 0 comes back */
	cmd.__reserved = 1;
	ASSERT_ERRNO(EOPNOTSUPP, invalidate_cmd(self->fd, &cmd));
	ASSERT_EQ(0, cmd.entry_num);
	cmd = base;
	cmd.data_uptr = 0;
	ASSERT_ERRNO(EINVAL, invalidate_cmd(self->fd, &cmd));
	ASSERT_EQ(0, cmd.entry_num);
	cmd = base;
	cmd.entry_len = 0;
	ASSERT_ERRNO(EINVAL, invalidate_cmd(self->fd, &cmd));
	ASSERT_EQ(0, cmd.entry_num);
	/* No such object */
	cmd = base;
	cmd.hwpt_id = 0;
	ASSERT_ERRNO(ENOENT, invalidate_cmd(self->fd, &cmd));
	ASSERT_EQ(0, cmd.entry_num);
	cmd = base;
	cmd.hwpt_id = UNUSED_ID;
	ASSERT_ERRNO(ENOENT, invalidate_cmd(self->fd, &cmd));
	ASSERT_EQ(0, cmd.entry_num);
	/* Paging HWPTs (the parent, the automatic one) and the IOAS */
	ids[0] = self->parent_id;
	ids[1] = self->hwpt_id;
	ids[2] = self->ioas_id;
	for (i = 0; i != ARRAY_SIZE(ids); i++) {
		cmd = base;
		cmd.hwpt_id = ids[i];
		errno = 0;
		ASSERT_EQ(-1, invalidate_cmd(self->fd, &cmd)) TH_LOG("id %u",
								     ids[i]);
		ASSERT_EQ(EINVAL, errno) TH_LOG("id %u", ids[i]);
		ASSERT_EQ(0, cmd.entry_num);
	}
	/* Data types the mock does not know */
	cmd = base;
	cmd.data_type = IOMMU_HWPT_INVALIDATE_DATA_SELFTEST_INVALID;
	ASSERT_ERRNO(EINVAL, invalidate_cmd(self->fd, &cmd));
	ASSERT_EQ(0, cmd.entry_num);
	cmd = base;
	cmd.data_type = 0;	/* IOMMU_HWPT_INVALIDATE_DATA_VTD_S1 */
	ASSERT_ERRNO(EINVAL, invalidate_cmd(self->fd, &cmd));
	ASSERT_EQ(0, cmd.entry_num);
	/* Entries shorter than the first layout */
	cmd = base;
	cmd.entry_len = 4;
	ASSERT_ERRNO(EINVAL, invalidate_cmd(self->fd, &cmd));
	ASSERT_EQ(0, cmd.entry_num);
	cmd = base;
	cmd.entry_len = 7;
	ASSERT_ERRNO(EINVAL, invalidate_cmd(self->fd, &cmd));
	ASSERT_EQ(0, cmd.entry_num);
	/* A bad first entry: unknown flags, an iotlb_id past the last */
	memcpy(bad, good, sizeof(bad));
	bad[0].flags = 1u << 1;
	cmd = base;
	cmd.data_uptr = (uintptr_t)bad;
	ASSERT_ERRNO(EOPNOTSUPP, invalidate_cmd(self->fd, &cmd));
	ASSERT_EQ(0, cmd.entry_num);
	bad[0].flags = INV_ALL | 1u << 31;
	cmd.entry_num = 3;
	ASSERT_ERRNO(EOPNOTSUPP, invalidate_cmd(self->fd, &cmd));
	ASSERT_EQ(0, cmd.entry_num);
	bad[0].flags = 0;
	bad[0].iotlb_id = MOCK_NESTED_DOMAIN_IOTLB_ID_MAX + 1;
	cmd.entry_num = 3;
	ASSERT_ERRNO(EINVAL, invalidate_cmd(self->fd, &cmd));
	ASSERT_EQ(0, cmd.entry_num);
	bad[0].iotlb_id = UINT32_MAX;
	cmd.entry_num = 3;
	ASSERT_ERRNO(EINVAL, invalidate_cmd(self->fd, &cmd));
	ASSERT_EQ(0, cmd.entry_num);

	/* None of it touched an entry */
	ASSERT_EQ(0, md_check_iotlbs(self->fd, nested, DEFAULT_IOTLB));

	/* No entries: nothing to do, whatever the pointer and length */
	cmd = base;
	cmd.entry_num = 0;
	cmd.data_uptr = 0;
	cmd.entry_len = 0;
	ASSERT_EQ(0, invalidate_cmd(self->fd, &cmd));
	ASSERT_EQ(0, cmd.entry_num);
	cmd = base;
	cmd.entry_num = 0;
	ASSERT_EQ(0, invalidate_cmd(self->fd, &cmd));
	ASSERT_EQ(0, cmd.entry_num);
	/* but the type is still checked */
	cmd.data_type = IOMMU_HWPT_INVALIDATE_DATA_SELFTEST_INVALID;
	ASSERT_ERRNO(EINVAL, invalidate_cmd(self->fd, &cmd));
	ASSERT_EQ(0, cmd.entry_num);
	ASSERT_EQ(0, md_check_iotlbs(self->fd, nested, DEFAULT_IOTLB));

	/* The right argument works */
	cmd = base;
	ASSERT_EQ(0, invalidate_cmd(self->fd, &cmd));
	ASSERT_EQ(3, cmd.entry_num);
	ASSERT_EQ(-1, iotlb_mismatch(self->fd, nested,
				     (__u32[]){ 0, 0, 0, DEFAULT_IOTLB }));
}

/* Entries longer than the first layout: the tail of each must be zero */
TEST_F(nesting, invalidate_entry_len)
{
	struct {
		struct iommu_hwpt_invalidate_selftest inv;
		__u32 tail[2];
	} big[3] = {
		{ .inv.iotlb_id = 3 }, { .inv.iotlb_id = 0 },
		{ .inv.iotlb_id = 2 },
	};
	struct iommu_hwpt_invalidate_selftest one = { .iotlb_id = 1 };
	__u8 raw[2 * 9] = {};
	__u32 nested, num;

	if (!self->test_cmd)
		SKIP(return, NO_TEST_CMD);
	ASSERT_EQ(0, hwpt_alloc_nested(self->fd, self->idev_id,
				       self->parent_id, 0, DEFAULT_IOTLB,
				       &nested));
	/* The second entry's tail is not zero: the first one is handled */
	big[1].tail[1] = 1;
	num = 3;
	ASSERT_ERRNO(E2BIG, hwpt_invalidate(self->fd, nested, big, INV_TYPE,
					    sizeof(big[0]), &num));
	ASSERT_EQ(1, num);
	ASSERT_EQ(-1, iotlb_mismatch(self->fd, nested,
				     (__u32[]){ DEFAULT_IOTLB, DEFAULT_IOTLB, DEFAULT_IOTLB, 0 }));
	/* With the first entry's tail not zero, nothing is */
	big[0].tail[0] = 1;
	big[0].inv.iotlb_id = 1;
	num = 3;
	ASSERT_ERRNO(E2BIG, hwpt_invalidate(self->fd, nested, big, INV_TYPE,
					    sizeof(big[0]), &num));
	ASSERT_EQ(0, num);
	ASSERT_EQ(-1, iotlb_mismatch(self->fd, nested,
				     (__u32[]){ DEFAULT_IOTLB, DEFAULT_IOTLB, DEFAULT_IOTLB, 0 }));
	/* Zero tails: every entry, at its stride */
	big[0].tail[0] = 0;
	big[1].tail[1] = 0;
	num = 3;
	ASSERT_EQ(0, hwpt_invalidate(self->fd, nested, big, INV_TYPE,
				     sizeof(big[0]), &num));
	ASSERT_EQ(3, num);
	ASSERT_EQ(-1, iotlb_mismatch(self->fd, nested,
				     (__u32[]){ 0, 0, 0, 0 }));
	/* One byte longer than an entry: the stride is entry_len */
	ASSERT_EQ(0, hwpt_alloc_nested(self->fd, self->idev_id,
				       self->parent_id, 0, DEFAULT_IOTLB,
				       &nested));
	memcpy(raw, &one, sizeof(one));
	one.iotlb_id = 2;
	memcpy(raw + 9, &one, sizeof(one));
	num = 2;
	ASSERT_EQ(0, hwpt_invalidate(self->fd, nested, raw, INV_TYPE, 9,
				     &num));
	ASSERT_EQ(2, num);
	ASSERT_EQ(-1, iotlb_mismatch(self->fd, nested,
				     (__u32[]){ DEFAULT_IOTLB, 0, 0, DEFAULT_IOTLB }));
}

TEST_F(nesting, destroy_order)
{
	__u32 nested, nested2, hwpt;

	if (!self->test_cmd)
		SKIP(return, NO_TEST_CMD);
	ASSERT_EQ(0, hwpt_alloc_nested(self->fd, self->idev_id,
				       self->parent_id, 0, DEFAULT_IOTLB,
				       &nested));
	ASSERT_EQ(0, hwpt_alloc_nested(self->fd, self->idev_id,
				       self->parent_id, 0, DEFAULT_IOTLB,
				       &nested2));
	/* The parent stays while any child does; the IOAS with the parent */
	ASSERT_ERRNO(EBUSY, destroy(self->fd, self->parent_id));
	ASSERT_ERRNO(EBUSY, destroy(self->fd, self->ioas_id));
	ASSERT_EQ(0, destroy(self->fd, nested2));
	ASSERT_ERRNO(EBUSY, destroy(self->fd, self->parent_id));

	/* A nested HWPT stays while a device is attached to it */
	ASSERT_EQ(0, mock_domain_replace(self->fd, self->stdev_id, nested,
					 &hwpt));
	ASSERT_EQ(nested, hwpt);
	ASSERT_ERRNO(EBUSY, destroy(self->fd, nested));
	ASSERT_ERRNO(EBUSY, destroy(self->fd, self->parent_id));
	/* still whole: the failed destroys changed nothing */
	ASSERT_EQ(0, md_check_iotlbs(self->fd, nested, DEFAULT_IOTLB));
	ASSERT_EQ(0, pasid_check_hwpt(self->fd, self->stdev_id, 0, nested));
	ASSERT_EQ(0, mock_domain_replace(self->fd, self->stdev_id,
					 self->parent_id, NULL));
	ASSERT_EQ(0, destroy(self->fd, nested));
	ASSERT_ERRNO(ENOENT, destroy(self->fd, nested));
	ASSERT_ERRNO(ENOENT, md_check_iotlb(self->fd, nested, 0,
					    DEFAULT_IOTLB));
	/* Now only the device holds the parent */
	ASSERT_ERRNO(EBUSY, destroy(self->fd, self->parent_id));
	ASSERT_EQ(0, destroy(self->fd, self->stdev_id));
	ASSERT_EQ(0, md_check_map(self->fd, self->parent_id, IOVA, self->buf,
				  BUF_SIZE));
	ASSERT_EQ(0, destroy(self->fd, self->parent_id));
	/* With the last domain, the pins went */
	ASSERT_EQ(0, md_check_refs(self->fd, self->buf, BUF_SIZE, 0));
	ASSERT_EQ(0, destroy(self->fd, self->ioas_id));
}

/* MOCK_DOMAIN_REPLACE moves the RID between paging and nested HWPTs */
TEST_F(nesting, rid_replace_paging_and_nested)
{
	__u32 nested, nested2, hwpt;
	struct iommu_hwpt_invalidate_selftest inv = { .iotlb_id = 2 };
	__u32 num = 1;

	if (!self->test_cmd)
		SKIP(return, NO_TEST_CMD);
	ASSERT_EQ(0, hwpt_alloc_nested(self->fd, self->idev_id,
				       self->parent_id, 0, DEFAULT_IOTLB,
				       &nested));
	ASSERT_EQ(0, hwpt_alloc_nested(self->fd, self->idev_id,
				       self->parent_id, 0, 1, &nested2));
	ASSERT_EQ(0, pasid_check_hwpt(self->fd, self->stdev_id, 0,
				      self->hwpt_id));

	/* Automatic to nested: the automatic HWPT goes with its device */
	ASSERT_EQ(0, mock_domain_replace(self->fd, self->stdev_id, nested,
					 &hwpt));
	ASSERT_EQ(nested, hwpt);
	ASSERT_EQ(0, pasid_check_hwpt(self->fd, self->stdev_id, 0, nested));
	ASSERT_ERRNO(EINVAL, pasid_check_hwpt(self->fd, self->stdev_id, 0,
					      self->parent_id));
	ASSERT_ERRNO(ENOENT, destroy(self->fd, self->hwpt_id));
	/* Attached, it is still invalidated */
	ASSERT_EQ(0, hwpt_invalidate(self->fd, nested, &inv, INV_TYPE,
				     sizeof(inv), &num));
	ASSERT_EQ(1, num);
	ASSERT_EQ(-1, iotlb_mismatch(self->fd, nested,
				     (__u32[]){ DEFAULT_IOTLB, DEFAULT_IOTLB, 0, DEFAULT_IOTLB }));

	/* Nested to its parent, to another nested one, to the same */
	ASSERT_EQ(0, mock_domain_replace(self->fd, self->stdev_id,
					 self->parent_id, &hwpt));
	ASSERT_EQ(self->parent_id, hwpt);
	ASSERT_EQ(0, pasid_check_hwpt(self->fd, self->stdev_id, 0,
				      self->parent_id));
	ASSERT_ERRNO(EINVAL, pasid_check_hwpt(self->fd, self->stdev_id, 0,
					      nested));
	ASSERT_EQ(0, mock_domain_replace(self->fd, self->stdev_id, nested2,
					 &hwpt));
	ASSERT_EQ(nested2, hwpt);
	ASSERT_EQ(0, mock_domain_replace(self->fd, self->stdev_id, nested2,
					 &hwpt));
	ASSERT_EQ(nested2, hwpt);
	ASSERT_EQ(0, pasid_check_hwpt(self->fd, self->stdev_id, 0, nested2));
	/* Not onto something that is no HWPT or IOAS */
	ASSERT_ERRNO(EINVAL, mock_domain_replace(self->fd, self->stdev_id,
						 self->idev_id, NULL));
	ASSERT_ERRNO(ENOENT, mock_domain_replace(self->fd, self->stdev_id,
						 UNUSED_ID, NULL));
	ASSERT_EQ(0, pasid_check_hwpt(self->fd, self->stdev_id, 0, nested2));
	/* The one left is free, the one in use is not */
	ASSERT_EQ(0, destroy(self->fd, nested));
	ASSERT_ERRNO(EBUSY, destroy(self->fd, nested2));

	/* Back to the IOAS: a new automatic HWPT mirrors it */
	ASSERT_EQ(0, mock_domain_replace(self->fd, self->stdev_id,
					 self->ioas_id, &hwpt));
	ASSERT_NE(self->parent_id, hwpt);
	ASSERT_NE(nested2, hwpt);
	ASSERT_NE(self->ioas_id, hwpt);
	ASSERT_EQ(0, md_check_map(self->fd, hwpt, IOVA, self->buf, BUF_SIZE));
	ASSERT_EQ(0, pasid_check_hwpt(self->fd, self->stdev_id, 0, hwpt));
	ASSERT_EQ(0, destroy(self->fd, nested2));
	ASSERT_ERRNO(ENOENT, md_check_iotlb(self->fd, nested2, 0, 1));
}

TEST_F(nesting, close_with_nested_attached)
{
	__u32 nested, stdev2;

	if (!self->test_cmd)
		SKIP(return, NO_TEST_CMD);
	ASSERT_EQ(0, hwpt_alloc_nested(self->fd, self->idev_id,
				       self->parent_id, 0, DEFAULT_IOTLB,
				       &nested));
	ASSERT_EQ(0, mock_domain_replace(self->fd, self->stdev_id, nested,
					 NULL));
	ASSERT_EQ(0, mock_domain(self->fd, self->ioas_id, &stdev2, NULL,
				 NULL));
	ASSERT_EQ(0, md_check_refs(self->fd, self->buf, BUF_SIZE, 1));
	/* Every object live and in use; the close undoes it all */
	ASSERT_EQ(0, close(self->fd));
	self->fd = -1;
	ASSERT_EQ(0, buf_unpinned(self->buf, BUF_SIZE));
}

TEST_F(nesting, dev_check_cache)
{
	__u32 i, stdev2, idev2;

	if (!self->test_cmd)
		SKIP(return, NO_TEST_CMD);
	for (i = 0; i <= MOCK_DEV_CACHE_ID_MAX; i++)
		ASSERT_EQ(0, dev_check_cache(self->fd, self->idev_id, i,
					     IOMMU_TEST_DEV_CACHE_DEFAULT));
	/* No such entry; another value */
	ASSERT_ERRNO(EINVAL, dev_check_cache(self->fd, self->idev_id,
					     MOCK_DEV_CACHE_ID_MAX + 1,
					     IOMMU_TEST_DEV_CACHE_DEFAULT));
	ASSERT_ERRNO(EINVAL, dev_check_cache(self->fd, self->idev_id,
					     UINT32_MAX,
					     IOMMU_TEST_DEV_CACHE_DEFAULT));
	ASSERT_ERRNO(EINVAL, dev_check_cache(self->fd, self->idev_id, 0, 0));
	ASSERT_ERRNO(EINVAL, dev_check_cache(self->fd, self->idev_id, 3,
					     IOMMU_TEST_DEV_CACHE_DEFAULT + 1));
	/* Only a device object names a device */
	ASSERT_ERRNO(ENOENT, dev_check_cache(self->fd, self->ioas_id, 0,
					     IOMMU_TEST_DEV_CACHE_DEFAULT));
	ASSERT_ERRNO(ENOENT, dev_check_cache(self->fd, self->hwpt_id, 0,
					     IOMMU_TEST_DEV_CACHE_DEFAULT));
	ASSERT_ERRNO(ENOENT, dev_check_cache(self->fd, 0, 0,
					     IOMMU_TEST_DEV_CACHE_DEFAULT));
	ASSERT_ERRNO(ENOENT, dev_check_cache(self->fd, UNUSED_ID, 0,
					     IOMMU_TEST_DEV_CACHE_DEFAULT));
	/* A PASID-capable device has the same caches */
	ASSERT_EQ(0, mock_domain_flags(self->fd, self->parent_id,
				       MOCK_FLAGS_DEVICE_PASID, &stdev2, NULL,
				       &idev2));
	for (i = 0; i <= MOCK_DEV_CACHE_ID_MAX; i++)
		ASSERT_EQ(0, dev_check_cache(self->fd, idev2, i,
					     IOMMU_TEST_DEV_CACHE_DEFAULT));
	/* A device that is gone has none */
	ASSERT_EQ(0, destroy(self->fd, stdev2));
	ASSERT_ERRNO(ENOENT, dev_check_cache(self->fd, idev2, 0,
					     IOMMU_TEST_DEV_CACHE_DEFAULT));
}

TEST_F(nesting, mock_domain_flags_and_hw_info)
{
	static const struct {
		__u32 flags;
		__u8 max_pasid_log2;
	} good[] = {
		{ 0, 0 },
		{ MOCK_FLAGS_DEVICE_NO_DIRTY, 0 },
		{ MOCK_FLAGS_DEVICE_HUGE_IOVA, 0 },
		{ MOCK_FLAGS_DEVICE_PASID, MOCK_PASID_WIDTH },
		{ MOCK_FLAGS_DEVICE_NO_DIRTY | MOCK_FLAGS_DEVICE_HUGE_IOVA |
		  MOCK_FLAGS_DEVICE_PASID, MOCK_PASID_WIDTH },
	};
	static const __u32 bad[] = {
		1u << 3, 1u << 16, 1u << 31, MOCK_FLAGS_DEVICE_PASID | 1u << 3,
	};
	__u32 stdev, hwpt, idev, first_free;
	__u8 pasid_log2;
	unsigned int i;
	__u64 caps;

	if (!self->test_cmd)
		SKIP(return, NO_TEST_CMD);
	/* The fixture's device, made without flags */
	ASSERT_EQ(0, hw_info_pasid(self->fd, self->idev_id, &pasid_log2,
				   &caps));
	ASSERT_EQ(0, pasid_log2);
	ASSERT_EQ(0, caps);

	for (i = 0; i != ARRAY_SIZE(good); i++) {
		ASSERT_EQ(0, mock_domain_flags(self->fd, self->parent_id,
					       good[i].flags, &stdev, &hwpt,
					       &idev))
			TH_LOG("dev_flags 0x%x", good[i].flags);
		ASSERT_EQ(self->parent_id, hwpt);
		ASSERT_EQ(0, hw_info_pasid(self->fd, idev, &pasid_log2,
					   &caps));
		ASSERT_EQ(good[i].max_pasid_log2, pasid_log2)
			TH_LOG("dev_flags 0x%x", good[i].flags);
		ASSERT_EQ(0, caps);
		ASSERT_EQ(0, pasid_check_hwpt(self->fd, stdev, 0,
					      self->parent_id));
		ASSERT_EQ(0, destroy(self->fd, stdev));
	}
	first_free = next_free_id(self->fd);
	for (i = 0; i != ARRAY_SIZE(bad); i++) {
		errno = 0;
		ASSERT_EQ(-1, mock_domain_flags(self->fd, self->ioas_id, bad[i],
						&stdev, &hwpt, &idev))
			TH_LOG("dev_flags 0x%x", bad[i]);
		ASSERT_EQ(EOPNOTSUPP, errno) TH_LOG("dev_flags 0x%x", bad[i]);
	}
	ASSERT_EQ(first_free, next_free_id(self->fd));
}

/* ------------------------------------------------------------------ */
/* PASID attach                                                        */

/*
 * An IOAS mapping the buffer, a PASID-capable mock device on its
 * automatic HWPT and, of the IOAS: two paging HWPTs allocated with
 * IOMMU_HWPT_ALLOC_PASID (@hwpt_a, @hwpt_b), one without (@plain), a
 * NEST_PARENT one without PASID (@parent), a nested one on it with PASID
 * (@nested_p) and one without (@nested).
 */
FIXTURE(pasid_dev) {
	int fd;
	__u32 ioas_id;
	__u32 stdev_id;
	__u32 idev_id;
	__u32 rid_hwpt;
	__u32 hwpt_a;
	__u32 hwpt_b;
	__u32 plain;
	__u32 parent;
	__u32 nested_p;
	__u32 nested;
	char *buf;
	bool test_cmd;
};

FIXTURE_SETUP(pasid_dev)
{
	open_mapped_ioas(_metadata, &self->fd, &self->buf, &self->test_cmd,
			 &self->ioas_id);
	if (!self->test_cmd)
		SKIP(return, NO_TEST_CMD);
	ASSERT_EQ(0, mock_domain_flags(self->fd, self->ioas_id,
				       MOCK_FLAGS_DEVICE_PASID,
				       &self->stdev_id, &self->rid_hwpt,
				       &self->idev_id));
	ASSERT_EQ(0, hwpt_alloc_paging(self->fd, self->idev_id, self->ioas_id,
				       IOMMU_HWPT_ALLOC_PASID, &self->hwpt_a));
	ASSERT_EQ(0, hwpt_alloc_paging(self->fd, self->idev_id, self->ioas_id,
				       IOMMU_HWPT_ALLOC_PASID, &self->hwpt_b));
	ASSERT_EQ(0, hwpt_alloc_paging(self->fd, self->idev_id, self->ioas_id,
				       0, &self->plain));
	ASSERT_EQ(0, hwpt_alloc_paging(self->fd, self->idev_id, self->ioas_id,
				       IOMMU_HWPT_ALLOC_NEST_PARENT,
				       &self->parent));
	ASSERT_EQ(0, hwpt_alloc_nested(self->fd, self->idev_id, self->parent,
				       IOMMU_HWPT_ALLOC_PASID, DEFAULT_IOTLB,
				       &self->nested_p));
	ASSERT_EQ(0, hwpt_alloc_nested(self->fd, self->idev_id, self->parent,
				       0, DEFAULT_IOTLB, &self->nested));
}

FIXTURE_TEARDOWN(pasid_dev)
{
	close_unpinned(_metadata, self->fd, self->buf, self->test_cmd);
}

TEST_F(pasid_dev, attach_check_detach)
{
	__u32 hwpt;

	if (!self->test_cmd)
		SKIP(return, NO_TEST_CMD);
	/* Nothing on a PASID at first; the RID on its automatic HWPT */
	ASSERT_EQ(0, pasid_check_hwpt(self->fd, self->stdev_id, 1, 0));
	ASSERT_ERRNO(EINVAL, pasid_check_hwpt(self->fd, self->stdev_id, 1,
					      self->rid_hwpt));
	ASSERT_EQ(0, pasid_check_hwpt(self->fd, self->stdev_id, 0,
				      self->rid_hwpt));
	ASSERT_ERRNO(EINVAL, pasid_check_hwpt(self->fd, self->stdev_id, 0, 0));

	ASSERT_EQ(0, pasid_attach(self->fd, self->stdev_id, 1, self->hwpt_a,
				  &hwpt));
	ASSERT_EQ(self->hwpt_a, hwpt);
	ASSERT_EQ(0, pasid_check_hwpt(self->fd, self->stdev_id, 1,
				      self->hwpt_a));
	ASSERT_ERRNO(EINVAL, pasid_check_hwpt(self->fd, self->stdev_id, 1,
					      self->hwpt_b));
	ASSERT_ERRNO(EINVAL, pasid_check_hwpt(self->fd, self->stdev_id, 1,
					      self->rid_hwpt));
	ASSERT_ERRNO(EINVAL, pasid_check_hwpt(self->fd, self->stdev_id, 1, 0));
	/* Other PASIDs and the RID did not move */
	ASSERT_EQ(0, pasid_check_hwpt(self->fd, self->stdev_id, 2, 0));
	ASSERT_EQ(0, pasid_check_hwpt(self->fd, self->stdev_id, 0,
				      self->rid_hwpt));
	ASSERT_ERRNO(EINVAL, pasid_check_hwpt(self->fd, self->stdev_id, 0,
					      self->hwpt_a));

	/* The last PASID of 20 bits, and a nested HWPT made with PASID */
	ASSERT_EQ(0, pasid_attach(self->fd, self->stdev_id, PASID_LAST,
				  self->hwpt_b, &hwpt));
	ASSERT_EQ(self->hwpt_b, hwpt);
	ASSERT_EQ(0, pasid_attach(self->fd, self->stdev_id, 2, self->nested_p,
				  &hwpt));
	ASSERT_EQ(self->nested_p, hwpt);
	ASSERT_EQ(0, pasid_check_hwpt(self->fd, self->stdev_id, PASID_LAST,
				      self->hwpt_b));
	ASSERT_EQ(0, pasid_check_hwpt(self->fd, self->stdev_id, 2,
				      self->nested_p));
	ASSERT_EQ(0, pasid_check_hwpt(self->fd, self->stdev_id, 1,
				      self->hwpt_a));

	/* Detach: that PASID only; again, or one never attached: nothing */
	ASSERT_EQ(0, pasid_detach(self->fd, self->stdev_id, 1));
	ASSERT_EQ(0, pasid_check_hwpt(self->fd, self->stdev_id, 1, 0));
	ASSERT_EQ(0, pasid_detach(self->fd, self->stdev_id, 1));
	ASSERT_EQ(0, pasid_detach(self->fd, self->stdev_id, 3));
	ASSERT_EQ(0, pasid_check_hwpt(self->fd, self->stdev_id, 1, 0));
	ASSERT_EQ(0, pasid_check_hwpt(self->fd, self->stdev_id, PASID_LAST,
				      self->hwpt_b));
	ASSERT_EQ(0, pasid_check_hwpt(self->fd, self->stdev_id, 2,
				      self->nested_p));
	ASSERT_EQ(0, pasid_check_hwpt(self->fd, self->stdev_id, 0,
				      self->rid_hwpt));
	/* The HWPT the PASID left is free again */
	ASSERT_EQ(0, destroy(self->fd, self->hwpt_a));
	ASSERT_ERRNO(EBUSY, destroy(self->fd, self->hwpt_b));
	/* A detached PASID attaches again */
	ASSERT_EQ(0, pasid_attach(self->fd, self->stdev_id, 1, self->hwpt_b,
				  &hwpt));
	ASSERT_EQ(self->hwpt_b, hwpt);
	ASSERT_EQ(0, pasid_check_hwpt(self->fd, self->stdev_id, 1,
				      self->hwpt_b));
	/* The rest is left for the close */
}

TEST_F(pasid_dev, attach_errors)
{
	__u32 first_free, hwpt;

	if (!self->test_cmd)
		SKIP(return, NO_TEST_CMD);
	first_free = next_free_id(self->fd);
	/* PASIDs past the device's 20 bits */
	ASSERT_ERRNO(EINVAL, pasid_attach(self->fd, self->stdev_id,
					  PASID_BEYOND, self->hwpt_a, NULL));
	ASSERT_ERRNO(EINVAL, pasid_attach(self->fd, self->stdev_id,
					  UINT32_MAX, self->hwpt_a, NULL));
	/* No such page table */
	ASSERT_ERRNO(ENOENT, pasid_attach(self->fd, self->stdev_id, 1, 0,
					  NULL));
	ASSERT_ERRNO(ENOENT, pasid_attach(self->fd, self->stdev_id, 1,
					  UNUSED_ID, NULL));
	ASSERT_ERRNO(ENOENT, pasid_attach(self->fd, self->stdev_id, 1,
					  first_free, NULL));
	/* HWPTs allocated without IOMMU_HWPT_ALLOC_PASID */
	ASSERT_ERRNO(EINVAL, pasid_attach(self->fd, self->stdev_id, 1,
					  self->plain, NULL));
	ASSERT_ERRNO(EINVAL, pasid_attach(self->fd, self->stdev_id, 1,
					  self->parent, NULL));
	ASSERT_ERRNO(EINVAL, pasid_attach(self->fd, self->stdev_id, 1,
					  self->nested, NULL));
	/* Only a selftest object names a mock device */
	ASSERT_ERRNO(ENOENT, pasid_attach(self->fd, self->idev_id, 1,
					  self->hwpt_a, NULL));
	ASSERT_ERRNO(ENOENT, pasid_attach(self->fd, self->ioas_id, 1,
					  self->hwpt_a, NULL));
	ASSERT_ERRNO(ENOENT, pasid_attach(self->fd, UNUSED_ID, 1,
					  self->hwpt_a, NULL));
	/* Nothing was attached or made; nothing holds those HWPTs */
	ASSERT_EQ(0, pasid_check_hwpt(self->fd, self->stdev_id, 1, 0));
	ASSERT_EQ(first_free, next_free_id(self->fd));
	ASSERT_EQ(0, destroy(self->fd, self->plain));
	ASSERT_EQ(0, destroy(self->fd, self->nested));

	/* Attached once only, whatever the second HWPT */
	ASSERT_EQ(0, pasid_attach(self->fd, self->stdev_id, 1, self->hwpt_a,
				  NULL));
	ASSERT_ERRNO(EINVAL, pasid_attach(self->fd, self->stdev_id, 1,
					  self->hwpt_a, NULL));
	ASSERT_ERRNO(EINVAL, pasid_attach(self->fd, self->stdev_id, 1,
					  self->hwpt_b, NULL));
	ASSERT_ERRNO(EINVAL, pasid_attach(self->fd, self->stdev_id, 1,
					  self->ioas_id, NULL));
	ASSERT_EQ(0, pasid_check_hwpt(self->fd, self->stdev_id, 1,
				      self->hwpt_a));
	/* A replace needs it attached */
	ASSERT_ERRNO(EINVAL, pasid_replace(self->fd, self->stdev_id, 5,
					   self->hwpt_b, NULL));
	ASSERT_EQ(0, pasid_check_hwpt(self->fd, self->stdev_id, 5, 0));
	ASSERT_EQ(0, destroy(self->fd, self->hwpt_b));
	/* The one attachment still works as it should */
	ASSERT_EQ(0, pasid_replace(self->fd, self->stdev_id, 1,
				   self->nested_p, &hwpt));
	ASSERT_EQ(self->nested_p, hwpt);
}

/* A PASID attached to an IOAS gets its automatic, PASID-capable, HWPT */
TEST_F(pasid_dev, attach_to_ioas)
{
	__u32 hwpt, ioas2, hwpt2;
	__u64 len;

	if (!self->test_cmd)
		SKIP(return, NO_TEST_CMD);
	ASSERT_EQ(0, pasid_attach(self->fd, self->stdev_id, 1, self->ioas_id,
				  &hwpt));
	ASSERT_NE(self->ioas_id, hwpt);
	ASSERT_EQ(0, pasid_check_hwpt(self->fd, self->stdev_id, 1, hwpt));
	ASSERT_EQ(0, md_check_map(self->fd, hwpt, IOVA, self->buf, BUF_SIZE));
	ASSERT_EQ(0, pasid_check_hwpt(self->fd, self->stdev_id, 0,
				      self->rid_hwpt));
	ASSERT_ERRNO(EBUSY, destroy(self->fd, hwpt));
	ASSERT_EQ(0, pasid_detach(self->fd, self->stdev_id, 1));
	if (hwpt != self->rid_hwpt)
		ASSERT_ERRNO(ENOENT, destroy(self->fd, hwpt));

	/* An IOAS nothing else uses: the HWPT lives as long as the PASID */
	ASSERT_EQ(0, ioas_alloc(self->fd, &ioas2));
	ASSERT_EQ(0, ioas_map_fixed(self->fd, ioas2, self->buf, SZ_4K,
				    IOVA + SZ_1M));
	ASSERT_EQ(0, pasid_attach(self->fd, self->stdev_id, 7, ioas2,
				  &hwpt2));
	ASSERT_NE(ioas2, hwpt2);
	ASSERT_NE(hwpt, hwpt2);
	ASSERT_EQ(0, md_check_map(self->fd, hwpt2, IOVA + SZ_1M, self->buf,
				  SZ_4K));
	ASSERT_EQ(0, pasid_check_hwpt(self->fd, self->stdev_id, 7, hwpt2));
	ASSERT_ERRNO(EBUSY, destroy(self->fd, ioas2));
	/* Attached to the IOAS again: the same HWPT, by replace */
	ASSERT_EQ(0, pasid_replace(self->fd, self->stdev_id, 7, ioas2,
				   &hwpt));
	ASSERT_EQ(hwpt2, hwpt);
	ASSERT_EQ(0, pasid_detach(self->fd, self->stdev_id, 7));
	ASSERT_ERRNO(ENOENT, destroy(self->fd, hwpt2));
	ASSERT_EQ(0, ioas_unmap(self->fd, ioas2, 0, UINT64_MAX, &len));
	ASSERT_EQ(SZ_4K, len);
	ASSERT_EQ(0, destroy(self->fd, ioas2));
}

TEST_F(pasid_dev, replace)
{
	__u32 hwpt;

	if (!self->test_cmd)
		SKIP(return, NO_TEST_CMD);
	ASSERT_EQ(0, pasid_attach(self->fd, self->stdev_id, 3, self->hwpt_a,
				  NULL));
	ASSERT_EQ(0, pasid_replace(self->fd, self->stdev_id, 3, self->hwpt_b,
				   &hwpt));
	ASSERT_EQ(self->hwpt_b, hwpt);
	ASSERT_EQ(0, pasid_check_hwpt(self->fd, self->stdev_id, 3,
				      self->hwpt_b));
	/* The old HWPT is let go */
	ASSERT_EQ(0, destroy(self->fd, self->hwpt_a));
	/* To the same HWPT: nothing changes */
	ASSERT_EQ(0, pasid_replace(self->fd, self->stdev_id, 3, self->hwpt_b,
				   &hwpt));
	ASSERT_EQ(self->hwpt_b, hwpt);
	ASSERT_EQ(0, pasid_check_hwpt(self->fd, self->stdev_id, 3,
				      self->hwpt_b));
	/* Refused: the PASID stays where it was */
	ASSERT_ERRNO(EINVAL, pasid_replace(self->fd, self->stdev_id, 3,
					   self->plain, NULL));
	ASSERT_ERRNO(EINVAL, pasid_replace(self->fd, self->stdev_id, 3,
					   self->nested, NULL));
	ASSERT_ERRNO(ENOENT, pasid_replace(self->fd, self->stdev_id, 3, 0,
					   NULL));
	ASSERT_ERRNO(ENOENT, pasid_replace(self->fd, self->stdev_id, 3,
					   UNUSED_ID, NULL));
	ASSERT_ERRNO(EINVAL, pasid_replace(self->fd, self->stdev_id,
					   PASID_BEYOND, self->hwpt_b, NULL));
	ASSERT_EQ(0, pasid_check_hwpt(self->fd, self->stdev_id, 3,
				      self->hwpt_b));
	ASSERT_ERRNO(EBUSY, destroy(self->fd, self->hwpt_b));
	/* To a nested HWPT, to the IOAS */
	ASSERT_EQ(0, pasid_replace(self->fd, self->stdev_id, 3,
				   self->nested_p, &hwpt));
	ASSERT_EQ(self->nested_p, hwpt);
	ASSERT_EQ(0, pasid_check_hwpt(self->fd, self->stdev_id, 3,
				      self->nested_p));
	ASSERT_EQ(0, destroy(self->fd, self->hwpt_b));
	ASSERT_EQ(0, pasid_replace(self->fd, self->stdev_id, 3, self->ioas_id,
				   &hwpt));
	ASSERT_NE(self->ioas_id, hwpt);
	ASSERT_EQ(0, pasid_check_hwpt(self->fd, self->stdev_id, 3, hwpt));
	ASSERT_EQ(0, md_check_map(self->fd, hwpt, IOVA, self->buf, BUF_SIZE));
	ASSERT_EQ(0, destroy(self->fd, self->nested_p));
	/* The RID did not move through any of it */
	ASSERT_EQ(0, pasid_check_hwpt(self->fd, self->stdev_id, 0,
				      self->rid_hwpt));
	ASSERT_EQ(0, pasid_detach(self->fd, self->stdev_id, 3));
	ASSERT_EQ(0, pasid_check_hwpt(self->fd, self->stdev_id, 3, 0));
}

TEST_F(pasid_dev, replace_of_pasid_1024_fails)
{
	__u32 hwpt = 0;

	if (!self->test_cmd)
		SKIP(return, NO_TEST_CMD);
	ASSERT_EQ(0, pasid_attach(self->fd, self->stdev_id, PASID_NO_REPLACE,
				  self->hwpt_a, &hwpt));
	ASSERT_EQ(self->hwpt_a, hwpt);
	ASSERT_ERRNO(ENOMEM, pasid_replace(self->fd, self->stdev_id,
					   PASID_NO_REPLACE, self->hwpt_b,
					   NULL));
	ASSERT_ERRNO(ENOMEM, pasid_replace(self->fd, self->stdev_id,
					   PASID_NO_REPLACE, self->nested_p,
					   NULL));
	/* The old HWPT is still attached, the new ones were not kept */
	ASSERT_EQ(0, pasid_check_hwpt(self->fd, self->stdev_id,
				      PASID_NO_REPLACE, self->hwpt_a));
	ASSERT_ERRNO(EINVAL, pasid_check_hwpt(self->fd, self->stdev_id,
					      PASID_NO_REPLACE, self->hwpt_b));
	ASSERT_ERRNO(EBUSY, destroy(self->fd, self->hwpt_a));
	ASSERT_EQ(0, destroy(self->fd, self->hwpt_b));
	ASSERT_EQ(0, destroy(self->fd, self->nested_p));
	/* Other PASIDs replace as usual */
	ASSERT_EQ(0, pasid_attach(self->fd, self->stdev_id,
				  PASID_NO_REPLACE + 1, self->hwpt_a, NULL));
	ASSERT_EQ(0, pasid_replace(self->fd, self->stdev_id,
				   PASID_NO_REPLACE + 1, self->rid_hwpt,
				   &hwpt));
	ASSERT_EQ(self->rid_hwpt, hwpt);
	/* After a detach it attaches again, anywhere */
	ASSERT_EQ(0, pasid_detach(self->fd, self->stdev_id, PASID_NO_REPLACE));
	ASSERT_EQ(0, pasid_check_hwpt(self->fd, self->stdev_id,
				      PASID_NO_REPLACE, 0));
	ASSERT_EQ(0, destroy(self->fd, self->hwpt_a));
	ASSERT_EQ(0, pasid_attach(self->fd, self->stdev_id, PASID_NO_REPLACE,
				  self->rid_hwpt, &hwpt));
	ASSERT_EQ(self->rid_hwpt, hwpt);
	ASSERT_EQ(0, pasid_check_hwpt(self->fd, self->stdev_id,
				      PASID_NO_REPLACE, self->rid_hwpt));
}

/* While a PASID is attached, the RID only goes to PASID-capable HWPTs */
TEST_F(pasid_dev, rid_with_pasid_attached)
{
	__u32 hwpt;

	if (!self->test_cmd)
		SKIP(return, NO_TEST_CMD);
	ASSERT_EQ(0, pasid_attach(self->fd, self->stdev_id, 1, self->hwpt_a,
				  NULL));
	ASSERT_ERRNO(EINVAL, mock_domain_replace(self->fd, self->stdev_id,
						 self->plain, NULL));
	ASSERT_ERRNO(EINVAL, mock_domain_replace(self->fd, self->stdev_id,
						 self->parent, NULL));
	ASSERT_ERRNO(EINVAL, mock_domain_replace(self->fd, self->stdev_id,
						 self->nested, NULL));
	ASSERT_EQ(0, pasid_check_hwpt(self->fd, self->stdev_id, 0,
				      self->rid_hwpt));
	ASSERT_EQ(0, destroy(self->fd, self->plain));

	/* PASID-capable ones are fine, paging and nested */
	ASSERT_EQ(0, mock_domain_replace(self->fd, self->stdev_id,
					 self->nested_p, &hwpt));
	ASSERT_EQ(self->nested_p, hwpt);
	ASSERT_EQ(0, pasid_check_hwpt(self->fd, self->stdev_id, 0,
				      self->nested_p));
	ASSERT_EQ(0, pasid_check_hwpt(self->fd, self->stdev_id, 1,
				      self->hwpt_a));
	ASSERT_EQ(0, mock_domain_replace(self->fd, self->stdev_id,
					 self->hwpt_b, &hwpt));
	ASSERT_EQ(self->hwpt_b, hwpt);
	/* The RID and a PASID on one HWPT; the PASID's detach leaves the RID */
	ASSERT_EQ(0, pasid_replace(self->fd, self->stdev_id, 1, self->hwpt_b,
				   NULL));
	ASSERT_EQ(0, pasid_detach(self->fd, self->stdev_id, 1));
	ASSERT_EQ(0, pasid_check_hwpt(self->fd, self->stdev_id, 0,
				      self->hwpt_b));
	ASSERT_EQ(0, pasid_attach(self->fd, self->stdev_id, 1, self->hwpt_a,
				  NULL));
	/* The IOAS gives the RID a PASID-capable automatic HWPT */
	ASSERT_EQ(0, mock_domain_replace(self->fd, self->stdev_id,
					 self->ioas_id, &hwpt));
	ASSERT_NE(self->ioas_id, hwpt);
	ASSERT_EQ(0, pasid_check_hwpt(self->fd, self->stdev_id, 0, hwpt));
	ASSERT_EQ(0, pasid_check_hwpt(self->fd, self->stdev_id, 1,
				      self->hwpt_a));
	ASSERT_EQ(0, pasid_attach(self->fd, self->stdev_id, 2, hwpt, NULL));
	ASSERT_EQ(0, pasid_check_hwpt(self->fd, self->stdev_id, 2, hwpt));
}

/* While the RID is on a HWPT without PASID, no PASID attaches */
TEST_F(pasid_dev, rid_on_non_pasid_hwpt)
{
	__u32 hwpt;

	if (!self->test_cmd)
		SKIP(return, NO_TEST_CMD);
	ASSERT_EQ(0, mock_domain_replace(self->fd, self->stdev_id, self->plain,
					 &hwpt));
	ASSERT_EQ(self->plain, hwpt);
	ASSERT_ERRNO(EINVAL, pasid_attach(self->fd, self->stdev_id, 1,
					  self->hwpt_a, NULL));
	ASSERT_ERRNO(EINVAL, pasid_attach(self->fd, self->stdev_id, 1,
					  self->nested_p, NULL));
	ASSERT_EQ(0, pasid_check_hwpt(self->fd, self->stdev_id, 1, 0));
	/* A nested one without PASID, or its parent: the same */
	ASSERT_EQ(0, mock_domain_replace(self->fd, self->stdev_id,
					 self->nested, &hwpt));
	ASSERT_EQ(self->nested, hwpt);
	ASSERT_ERRNO(EINVAL, pasid_attach(self->fd, self->stdev_id, 1,
					  self->hwpt_a, NULL));
	ASSERT_EQ(0, mock_domain_replace(self->fd, self->stdev_id,
					 self->parent, NULL));
	ASSERT_ERRNO(EINVAL, pasid_attach(self->fd, self->stdev_id, 1,
					  self->hwpt_a, NULL));
	ASSERT_EQ(0, pasid_check_hwpt(self->fd, self->stdev_id, 1, 0));
	ASSERT_EQ(0, destroy(self->fd, self->hwpt_a));
	/* Back on a PASID-capable one: PASIDs attach */
	ASSERT_EQ(0, mock_domain_replace(self->fd, self->stdev_id,
					 self->hwpt_b, NULL));
	ASSERT_EQ(0, pasid_attach(self->fd, self->stdev_id, 1, self->hwpt_b,
				  NULL));
	ASSERT_EQ(0, pasid_check_hwpt(self->fd, self->stdev_id, 1,
				      self->hwpt_b));
	ASSERT_EQ(0, pasid_check_hwpt(self->fd, self->stdev_id, 0,
				      self->hwpt_b));
}

/* A mock device without MOCK_FLAGS_DEVICE_PASID has no PASIDs */
TEST_F(pasid_dev, device_without_pasid)
{
	__u32 ioas2, stdev, hwpt, idev;
	__u8 pasid_log2;
	__u64 caps;

	if (!self->test_cmd)
		SKIP(return, NO_TEST_CMD);
	ASSERT_EQ(0, ioas_alloc(self->fd, &ioas2));
	ASSERT_EQ(0, mock_domain(self->fd, ioas2, &stdev, &hwpt, &idev));
	ASSERT_EQ(0, hw_info_pasid(self->fd, idev, &pasid_log2, &caps));
	ASSERT_EQ(0, pasid_log2);
	ASSERT_EQ(0, hw_info_pasid(self->fd, self->idev_id, &pasid_log2,
				   &caps));
	ASSERT_EQ(MOCK_PASID_WIDTH, pasid_log2);
	ASSERT_EQ(0, caps);

	ASSERT_ERRNO(EINVAL, pasid_attach(self->fd, stdev, 1, self->hwpt_a,
					  NULL));
	ASSERT_ERRNO(EINVAL, pasid_attach(self->fd, stdev, PASID_LAST,
					  self->hwpt_a, NULL));
	ASSERT_ERRNO(EINVAL, pasid_attach(self->fd, stdev, PASID_BEYOND,
					  self->hwpt_a, NULL));
	ASSERT_EQ(0, pasid_check_hwpt(self->fd, stdev, 0, hwpt));
	/* Even on a PASID-capable HWPT */
	ASSERT_EQ(0, mock_domain_replace(self->fd, stdev, self->hwpt_b, NULL));
	ASSERT_ERRNO(EINVAL, pasid_attach(self->fd, stdev, 1, self->hwpt_a,
					  NULL));
	ASSERT_EQ(0, pasid_check_hwpt(self->fd, stdev, 0, self->hwpt_b));
	ASSERT_EQ(0, destroy(self->fd, self->hwpt_a));
	ASSERT_EQ(0, destroy(self->fd, stdev));
	ASSERT_EQ(0, destroy(self->fd, ioas2));
}

TEST_F(pasid_dev, destroy_while_attached)
{
	if (!self->test_cmd)
		SKIP(return, NO_TEST_CMD);
	ASSERT_EQ(0, pasid_attach(self->fd, self->stdev_id, 1, self->hwpt_a,
				  NULL));
	ASSERT_EQ(0, pasid_attach(self->fd, self->stdev_id, 2, self->nested_p,
				  NULL));
	ASSERT_ERRNO(EBUSY, destroy(self->fd, self->hwpt_a));
	ASSERT_ERRNO(EBUSY, destroy(self->fd, self->nested_p));
	ASSERT_ERRNO(EBUSY, destroy(self->fd, self->parent));
	ASSERT_ERRNO(EBUSY, destroy(self->fd, self->ioas_id));
	/* Still attached after the refusals */
	ASSERT_EQ(0, pasid_check_hwpt(self->fd, self->stdev_id, 1,
				      self->hwpt_a));
	ASSERT_EQ(0, pasid_check_hwpt(self->fd, self->stdev_id, 2,
				      self->nested_p));
	ASSERT_EQ(0, md_check_iotlbs(self->fd, self->nested_p, DEFAULT_IOTLB));

	ASSERT_EQ(0, pasid_detach(self->fd, self->stdev_id, 2));
	ASSERT_EQ(0, destroy(self->fd, self->nested_p));
	ASSERT_EQ(0, destroy(self->fd, self->nested));
	ASSERT_EQ(0, destroy(self->fd, self->parent));
	ASSERT_ERRNO(EBUSY, destroy(self->fd, self->hwpt_a));
	ASSERT_EQ(0, pasid_detach(self->fd, self->stdev_id, 1));
	ASSERT_EQ(0, destroy(self->fd, self->hwpt_a));
}

/* Destroying the device detaches its PASIDs and lets their HWPTs go */
TEST_F(pasid_dev, destroy_device_with_pasids)
{
	if (!self->test_cmd)
		SKIP(return, NO_TEST_CMD);
	ASSERT_EQ(0, pasid_attach(self->fd, self->stdev_id, 1, self->hwpt_a,
				  NULL));
	ASSERT_EQ(0, pasid_attach(self->fd, self->stdev_id, 2, self->nested_p,
				  NULL));
	ASSERT_EQ(0, pasid_attach(self->fd, self->stdev_id, PASID_NO_REPLACE,
				  self->hwpt_b, NULL));
	ASSERT_EQ(0, pasid_attach(self->fd, self->stdev_id, PASID_LAST,
				  self->ioas_id, NULL));
	ASSERT_EQ(0, destroy(self->fd, self->stdev_id));
	ASSERT_ERRNO(ENOENT, destroy(self->fd, self->idev_id));
	ASSERT_ERRNO(ENOENT, pasid_check_hwpt(self->fd, self->stdev_id, 1, 0));
	ASSERT_ERRNO(ENOENT, destroy(self->fd, self->rid_hwpt));

	ASSERT_EQ(0, destroy(self->fd, self->hwpt_a));
	ASSERT_EQ(0, destroy(self->fd, self->nested_p));
	ASSERT_EQ(0, destroy(self->fd, self->nested));
	ASSERT_EQ(0, destroy(self->fd, self->hwpt_b));
	ASSERT_EQ(0, destroy(self->fd, self->parent));
	ASSERT_EQ(0, md_check_refs(self->fd, self->buf, BUF_SIZE, 1));
	ASSERT_EQ(0, destroy(self->fd, self->plain));
	/* No domain left: nothing pinned, nothing holds the IOAS */
	ASSERT_EQ(0, md_check_refs(self->fd, self->buf, BUF_SIZE, 0));
	ASSERT_EQ(0, destroy(self->fd, self->ioas_id));
}

TEST_F(pasid_dev, close_with_everything_live)
{
	__u32 stdev2;

	if (!self->test_cmd)
		SKIP(return, NO_TEST_CMD);
	ASSERT_EQ(0, pasid_attach(self->fd, self->stdev_id, 1, self->hwpt_a,
				  NULL));
	ASSERT_EQ(0, pasid_attach(self->fd, self->stdev_id, 2, self->nested_p,
				  NULL));
	ASSERT_EQ(0, pasid_attach(self->fd, self->stdev_id, PASID_NO_REPLACE,
				  self->ioas_id, NULL));
	ASSERT_EQ(0, mock_domain_replace(self->fd, self->stdev_id,
					 self->nested_p, NULL));
	/* Another PASID-capable device with its RID on the other nested one */
	ASSERT_EQ(0, mock_domain_flags(self->fd, self->parent,
				       MOCK_FLAGS_DEVICE_PASID, &stdev2, NULL,
				       NULL));
	ASSERT_EQ(0, mock_domain_replace(self->fd, stdev2, self->nested,
					 NULL));
	ASSERT_EQ(0, pasid_check_hwpt(self->fd, stdev2, 0, self->nested));
	ASSERT_EQ(0, md_check_refs(self->fd, self->buf, BUF_SIZE, 1));
	ASSERT_EQ(0, close(self->fd));
	self->fd = -1;
	ASSERT_EQ(0, buf_unpinned(self->buf, BUF_SIZE));
}

/*
 * A child process gets the file with a PASID and a nested HWPT attached,
 * uses it (the context is the same one) and closes it; the parent's
 * file goes on as before.
 */
TEST_F(pasid_dev, fork_child_uses_and_closes)
{
	struct iommu_hwpt_invalidate_selftest inv = { .iotlb_id = 1 };
	__u32 num;
	pid_t pid;

	if (!self->test_cmd)
		SKIP(return, NO_TEST_CMD);
	ASSERT_EQ(0, pasid_attach(self->fd, self->stdev_id, 1, self->nested_p,
				  NULL));
	ASSERT_EQ(0, pasid_attach(self->fd, self->stdev_id, 2, self->hwpt_a,
				  NULL));
	ASSERT_EQ(0, mock_domain_replace(self->fd, self->stdev_id,
					 self->hwpt_b, NULL));

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		num = 1;
		if (pasid_check_hwpt(self->fd, self->stdev_id, 1,
				     self->nested_p))
			_exit(1);
		if (md_check_iotlbs(self->fd, self->nested_p, DEFAULT_IOTLB))
			_exit(2);
		if (hwpt_invalidate(self->fd, self->nested_p, &inv, INV_TYPE,
				    sizeof(inv), &num) || num != 1)
			_exit(3);
		if (pasid_attach(self->fd, self->stdev_id, 3, self->hwpt_b,
				 NULL))
			_exit(4);
		_exit(close(self->fd) ? 5 : 0);
	}
	ASSERT_EQ(0, wait_child(pid));

	/* What the child did shows in the one context */
	ASSERT_EQ(-1, iotlb_mismatch(self->fd, self->nested_p,
				     (__u32[]){ DEFAULT_IOTLB, 0, DEFAULT_IOTLB, DEFAULT_IOTLB }));
	ASSERT_EQ(0, pasid_check_hwpt(self->fd, self->stdev_id, 3,
				      self->hwpt_b));
	ASSERT_EQ(0, pasid_check_hwpt(self->fd, self->stdev_id, 1,
				      self->nested_p));
	ASSERT_EQ(0, pasid_check_hwpt(self->fd, self->stdev_id, 2,
				      self->hwpt_a));
	ASSERT_EQ(0, pasid_check_hwpt(self->fd, self->stdev_id, 0,
				      self->hwpt_b));
	/* and the parent tears it down */
	ASSERT_EQ(0, pasid_detach(self->fd, self->stdev_id, 1));
	ASSERT_EQ(0, pasid_detach(self->fd, self->stdev_id, 2));
	ASSERT_EQ(0, pasid_detach(self->fd, self->stdev_id, 3));
	ASSERT_EQ(0, destroy(self->fd, self->nested_p));
	ASSERT_EQ(0, destroy(self->fd, self->nested));
	ASSERT_EQ(0, destroy(self->fd, self->parent));
	ASSERT_EQ(0, destroy(self->fd, self->hwpt_a));
	ASSERT_EQ(0, destroy(self->fd, self->stdev_id));
	ASSERT_EQ(0, destroy(self->fd, self->hwpt_b));
	ASSERT_EQ(0, destroy(self->fd, self->plain));
	ASSERT_EQ(0, md_check_refs(self->fd, self->buf, BUF_SIZE, 0));
	ASSERT_EQ(0, destroy(self->fd, self->ioas_id));
}

/*
 * The parent closes its file first; the child, holding the last
 * reference, still uses the context and ends it by exiting.
 */
TEST_F(pasid_dev, fork_parent_closes_first)
{
	int go[2], done[2];
	char c = 0;
	pid_t pid;

	if (!self->test_cmd)
		SKIP(return, NO_TEST_CMD);
	ASSERT_EQ(0, pasid_attach(self->fd, self->stdev_id, 1, self->nested_p,
				  NULL));
	ASSERT_EQ(0, pasid_attach(self->fd, self->stdev_id, 2, self->hwpt_a,
				  NULL));
	ASSERT_EQ(0, pipe(go));
	ASSERT_EQ(0, pipe(done));

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		close(go[1]);
		close(done[0]);
		if (read(go[0], &c, 1) != 1)
			_exit(1);
		if (pasid_check_hwpt(self->fd, self->stdev_id, 1,
				     self->nested_p) ||
		    pasid_check_hwpt(self->fd, self->stdev_id, 2,
				     self->hwpt_a))
			_exit(2);
		if (pasid_replace(self->fd, self->stdev_id, 2, self->hwpt_b,
				  NULL) ||
		    destroy(self->fd, self->hwpt_a) ||
		    destroy(self->fd, self->plain))
			_exit(3);
		/* The one context: the objects gone are gone for all */
		if (destroy(self->fd, self->hwpt_a) != -1 || errno != ENOENT)
			_exit(4);
		if (write(done[1], &c, 1) != 1)
			_exit(5);
		/* Exits with it all attached */
		_exit(0);
	}
	close(go[0]);
	close(done[1]);
	ASSERT_EQ(0, close(self->fd));
	self->fd = -1;
	ASSERT_EQ(1, write(go[1], &c, 1));
	ASSERT_EQ(1, read(done[0], &c, 1));
	ASSERT_EQ(0, wait_child(pid));
	close(go[1]);
	close(done[0]);
	/* The last reference went with the child, and the pins with it */
	ASSERT_EQ(0, buf_unpinned(self->buf, BUF_SIZE));
}

TEST_HARNESS_MAIN
