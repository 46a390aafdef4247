// SPDX-License-Identifier: GPL-2.0-only
/*
 * Nested HWPTs, IOMMU_HWPT_INVALIDATE, PASID attach, vIOMMUs, vDEVICEs
 * and vEVENTQs, on the mock IOMMU.
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
 * A vIOMMU (IOMMU_VIOMMU_ALLOC) stands for the IOMMU a guest sees, on a
 * NEST_PARENT HWPT: nested HWPTs are allocated on it, a vDEVICE gives a
 * device its virtual ID in it, IOMMU_HWPT_INVALIDATE on its ID clears
 * the caches of mock devices named by virtual ID ({u32 flags, u32
 * vdev_id, u32 cache_id}, read through IOMMU_TEST_OP_DEV_CHECK_CACHE),
 * and IOMMU_TEST_OP_TRIGGER_VEVENT makes a device report an event, read
 * from the file of the vIOMMU's vEVENTQ as a struct
 * iommufd_vevent_header and the device's virtual ID.
 *
 * Every test ends by closing the file with what it left live; the
 * teardown then checks, from a new file, that no page of the buffer is
 * still pinned.
 *
 * Needs root and CONFIG_IOMMUFD_TEST (mock devices).
 */
#define _GNU_SOURCE
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
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
	long pins0;
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
	self->pins0 = foll_pins();
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
	EXPECT_PINS_RELEASED(self->pins0);
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
	long pins0;
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
	self->pins0 = foll_pins();
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
	EXPECT_PINS_RELEASED(self->pins0);
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
	/* No ASSERT before the child is reaped: it holds the context */
	EXPECT_EQ(0, close(self->fd));
	self->fd = -1;
	EXPECT_EQ(1, write(go[1], &c, 1));
	EXPECT_EQ(1, read(done[0], &c, 1));
	/* Had the go not been sent, this ends the child's wait */
	close(go[1]);
	close(done[0]);
	ASSERT_EQ(0, wait_child(pid));
	/* The last reference went with the child, and the pins with it */
	ASSERT_EQ(0, buf_unpinned(self->buf, BUF_SIZE));
}

/* ------------------------------------------------------------------ */
/* vIOMMUs, vDEVICEs and vEVENTQs                                      */

#define VIOMMU_MOCK IOMMU_VIOMMU_TYPE_SELFTEST
#define VIOMMU_DEFAULT IOMMU_VIOMMU_TYPE_DEFAULT
#define VINV_TYPE IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST
#define VQ_TYPE IOMMU_VEVENTQ_TYPE_SELFTEST
#define CACHE_DEFAULT IOMMU_TEST_DEV_CACHE_DEFAULT
#define CACHE_ID_BEYOND (MOCK_DEV_CACHE_ID_MAX + 1)
/* Virtual device IDs, as a guest would pick them */
#define VIRT_A 0x10
#define VIRT_B 0x21
#define VIRT_C 0x3003
/* The depth of the vevent fixture's queue */
#define VQ_DEPTH 4

/* One invalidation entry of a mock vIOMMU */
#define VINV(_flags, _vdev, _cache)                                     \
	((struct iommu_viommu_invalidate_selftest){                     \
		.flags = (_flags), .vdev_id = (_vdev),                  \
		.cache_id = (_cache) })

/* What a read() of a mock vEVENTQ returns per event */
struct vevent_rec {
	struct iommufd_vevent_header hdr;
	struct iommu_viommu_event_selftest ev;
};

enum {
	REC_LEN = sizeof(struct vevent_rec),
	HDR_LEN = sizeof(struct iommufd_vevent_header),
};

static_assert(REC_LEN == 12, "a mock vEVENT record is 12 bytes");

/* Cache values of a mock device, by entry */
#define CACHES(_a, _b, _c, _d) ((const __u32[]){ _a, _b, _c, _d })
#define CACHES_DEFAULT                                                  \
	CACHES(CACHE_DEFAULT, CACHE_DEFAULT, CACHE_DEFAULT, CACHE_DEFAULT)

/* Every cache entry of mock device @idev_id holds its value in @want */
static void expect_caches(struct __test_metadata *_metadata, int fd,
			  __u32 idev_id, const __u32 *want)
{
	int i;

	for (i = 0; i != MOCK_DEV_CACHE_NUM; i++)
		ASSERT_EQ(0, dev_check_cache(fd, idev_id, i, want[i]))
			TH_LOG("device %u cache %d", idev_id, i);
}

/*
 * IOMMU_HWPT_INVALIDATE of the @n entries at @inv on vIOMMU @viommu_id:
 * it fails with @err (0: it succeeds) having handled @done of them.
 */
static void vinv(struct __test_metadata *_metadata, int fd, __u32 viommu_id,
		 const struct iommu_viommu_invalidate_selftest *inv, __u32 n,
		 int err, __u32 done)
{
	__u32 num = n;

	if (err)
		ASSERT_ERRNO(err, hwpt_invalidate(fd, viommu_id, inv,
						  VINV_TYPE, sizeof(*inv),
						  &num));
	else
		ASSERT_EQ(0, hwpt_invalidate(fd, viommu_id, inv, VINV_TYPE,
					     sizeof(*inv), &num));
	ASSERT_EQ(done, num);
}

/*
 * For each of the @n values at @vals: ioctl @nr on a copy of the command
 * of @len bytes at @base with the value in its field of @field_len bytes
 * at @offset (named @name), which must fail with @err. With @zeroed not
 * -1, the failed call must also have written 0 to the __u32 at that
 * offset (the count of entries IOMMU_HWPT_INVALIDATE handled).
 */
static void field_refused(struct __test_metadata *_metadata, int fd,
			  unsigned long nr, const void *base, size_t len,
			  size_t offset, size_t field_len, const char *name,
			  int err, const __u64 *vals, unsigned int n,
			  long zeroed)
{
	__u64 cmd[16];
	unsigned int i;
	__u32 val32;

	ASSERT_GE(sizeof(cmd), len);
	for (i = 0; i != n; i++) {
		memcpy(cmd, base, len);
		if (field_len == sizeof(val32)) {
			val32 = vals[i];
			memcpy((char *)cmd + offset, &val32, sizeof(val32));
		} else {
			ASSERT_EQ(sizeof(vals[i]), field_len);
			memcpy((char *)cmd + offset, &vals[i], field_len);
		}
		errno = 0;
		ASSERT_EQ(-1, ioctl(fd, nr, cmd))
			TH_LOG("%s 0x%llx", name, (unsigned long long)vals[i]);
		ASSERT_EQ(err, errno)
			TH_LOG("%s 0x%llx", name, (unsigned long long)vals[i]);
		if (zeroed < 0)
			continue;
		memcpy(&val32, (char *)cmd + zeroed, sizeof(val32));
		ASSERT_EQ(0, val32)
			TH_LOG("%s 0x%llx", name, (unsigned long long)vals[i]);
	}
}

#define __FIELD_ERRNO(_err, _fd, _nr, _base, _field, _zeroed, ...)	\
	do {								\
		const __u64 __vals[] = { __VA_ARGS__ };			\
		const typeof(_base) *__b = &(_base);			\
		__auto_type __f = &(*__b)._field;			\
									\
		field_refused(_metadata, _fd, _nr, __b, sizeof(*__b),	\
			      (const char *)__f - (const char *)__b,	\
			      sizeof(*__f), #_field, _err, __vals,		\
			      ARRAY_SIZE(__vals), _zeroed);		\
	} while (0)

/*
 * Each value after @_field, put in that field of a copy of the command
 * @_base, makes ioctl @_nr fail with @_err
 */
#define ASSERT_FIELD_ERRNO(_err, _fd, _nr, _base, _field, ...)		\
	__FIELD_ERRNO(_err, _fd, _nr, _base, _field, -1, __VA_ARGS__)

/* The same for IOMMU_HWPT_INVALIDATE, which must handle no entry */
#define ASSERT_INV_FIELD_ERRNO(_err, _fd, _base, _field, ...)		\
	__FIELD_ERRNO(_err, _fd, IOMMU_HWPT_INVALIDATE, _base, _field,	\
		      offsetof(struct iommu_hwpt_invalidate, entry_num),	\
		      __VA_ARGS__)

/* An IOMMU_VIOMMU_ALLOC that must fail */
struct viommu_case {
	__u32 type;
	void *data;
	__u32 data_len;
	int err;
};

/* Each of the @n vIOMMU allocations at @c fails with its errno */
static void viommu_refused(struct __test_metadata *_metadata, int fd,
			   __u32 idev_id, __u32 parent_id,
			   const struct viommu_case *c, unsigned int n)
{
	unsigned int i;

	for (i = 0; i != n; i++) {
		errno = 0;
		ASSERT_EQ(-1, viommu_alloc(fd, idev_id, parent_id, c[i].type,
					   c[i].data, c[i].data_len, NULL))
			TH_LOG("type 0x%x data_len %u", c[i].type,
			       c[i].data_len);
		ASSERT_EQ(c[i].err, errno)
			TH_LOG("type 0x%x data_len %u", c[i].type,
			       c[i].data_len);
	}
}

/* The lowest free file descriptor number: what the next file gets */
static int next_free_fd(int fd)
{
	int probe = dup(fd);

	if (probe >= 0)
		close(probe);
	return probe;
}

/* 1 when poll() reports an event waiting on @evfd, 0 when none */
static int ev_pending(int evfd)
{
	struct pollfd pfd = { .fd = evfd, .events = POLLIN };
	int rc;

	rc = poll(&pfd, 1, 0);
	if (rc <= 0)
		return rc;
	if (pfd.revents & (POLLERR | POLLHUP | POLLNVAL))
		return -1;
	return pfd.revents & POLLIN ? 1 : -1;
}

/* The record at @p is event @seq, of the vDEVICE with @virt_id */
static void expect_rec(struct __test_metadata *_metadata, const char *p,
		       __u32 seq, __u32 virt_id)
{
	struct vevent_rec rec;

	memcpy(&rec, p, sizeof(rec));
	ASSERT_EQ(0, rec.hdr.flags) TH_LOG("event %u", seq);
	ASSERT_EQ(seq, rec.hdr.sequence);
	ASSERT_EQ(virt_id, rec.ev.virt_id) TH_LOG("event %u", seq);
}

/* The header at @p tells that events were lost, the last being @seq */
static void expect_lost(struct __test_metadata *_metadata, const char *p,
			__u32 seq)
{
	struct iommufd_vevent_header hdr;

	memcpy(&hdr, p, sizeof(hdr));
	ASSERT_EQ(IOMMU_VEVENTQ_FLAG_LOST_EVENTS, hdr.flags);
	ASSERT_EQ(seq, hdr.sequence);
}

/* Trigger @n events of mock device @idev_id */
static void trigger_n(struct __test_metadata *_metadata, int fd,
		      __u32 idev_id, unsigned int n)
{
	unsigned int i;

	for (i = 0; i != n; i++)
		ASSERT_EQ(0, trigger_vevent(fd, idev_id)) TH_LOG("event %u", i);
}

/*
 * One event of mock device @idev_id, and a read of @evfd then gives it
 * alone: event @seq, of the vDEVICE with @virt_id
 */
static void trigger_read_one(struct __test_metadata *_metadata, int fd,
			     __u32 idev_id, int evfd, __u32 seq,
			     __u32 virt_id)
{
	char ev[64];

	ASSERT_EQ(0, trigger_vevent(fd, idev_id));
	ASSERT_EQ(REC_LEN, read(evfd, ev, sizeof(ev))) TH_LOG("event %u", seq);
	expect_rec(_metadata, ev, seq, virt_id);
}

/* Close the file at *@fdp, which then reads -1 */
static void close_fd(struct __test_metadata *_metadata, int *fdp)
{
	ASSERT_EQ(0, close(*fdp));
	*fdp = -1;
}

/* A new mock device on IOAS @ioas_id, @virt_id in vIOMMU @viommu_id */
static void vdev_device(struct __test_metadata *_metadata, int fd,
			__u32 ioas_id, __u32 viommu_id, __u32 virt_id,
			__u32 *stdev_id, __u32 *idev_id, __u32 *vdev_id)
{
	ASSERT_EQ(0, mock_domain(fd, ioas_id, stdev_id, NULL, idev_id));
	ASSERT_EQ(0, vdevice_alloc(fd, viommu_id, *idev_id, virt_id,
				   vdev_id));
}

/*
 * Another mock vIOMMU on @parent_id, made through device @dev_id, with a
 * queue of @depth (*@veventq_id, read from *@evfd) and a new mock device
 * of IOAS @ioas_id (*@idev_id) that is @virt_id in it
 */
static void other_viommu(struct __test_metadata *_metadata, int fd,
			 __u32 dev_id, __u32 ioas_id, __u32 parent_id,
			 __u32 depth, __u32 virt_id, __u32 *veventq_id,
			 int *evfd, __u32 *idev_id)
{
	__u32 viommu_id, stdev_id;

	ASSERT_EQ(0, viommu_alloc(fd, dev_id, parent_id, VIOMMU_MOCK, NULL, 0,
				  &viommu_id));
	ASSERT_EQ(0, veventq_alloc(fd, viommu_id, VQ_TYPE, depth, veventq_id,
				   evfd));
	vdev_device(_metadata, fd, ioas_id, viommu_id, virt_id, &stdev_id,
		    idev_id, NULL);
}

/* Mock device @stdev_id moves to @pt_id, and tells it is there */
static void replace_on(struct __test_metadata *_metadata, int fd,
		       __u32 stdev_id, __u32 pt_id)
{
	__u32 hwpt;

	ASSERT_EQ(0, mock_domain_replace(fd, stdev_id, pt_id, &hwpt));
	ASSERT_EQ(pt_id, hwpt);
}

/*
 * A nested HWPT on vIOMMU @viommu_id with the default IOTLBs, and mock
 * device @stdev_id (@idev_id) moved onto it
 */
static void attach_nested(struct __test_metadata *_metadata, int fd,
			  __u32 idev_id, __u32 stdev_id, __u32 viommu_id,
			  __u32 *nested)
{
	ASSERT_EQ(0, hwpt_alloc_nested(fd, idev_id, viommu_id, 0,
				       DEFAULT_IOTLB, nested));
	ASSERT_EQ(0, mock_domain_replace(fd, stdev_id, *nested, NULL));
}

/*
 * What the viommu and vevent fixtures start with: the mapped IOAS, a
 * mock device on it, a NEST_PARENT HWPT of the IOAS and a mock vIOMMU
 * on that. Without IOMMU_TEST_CMD only the first part is done.
 */
static void open_viommu(struct __test_metadata *_metadata, int *fd,
			char **buf, bool *test_cmd, __u32 *ioas_id,
			__u32 *stdev_id, __u32 *hwpt_id, __u32 *idev_id,
			__u32 *parent_id, __u32 *viommu_id)
{
	open_mapped_ioas(_metadata, fd, buf, test_cmd, ioas_id);
	if (!*test_cmd)
		return;
	ASSERT_EQ(0, mock_domain(*fd, *ioas_id, stdev_id, hwpt_id, idev_id));
	ASSERT_EQ(0, hwpt_alloc_paging(*fd, *idev_id, *ioas_id,
				       IOMMU_HWPT_ALLOC_NEST_PARENT,
				       parent_id));
	ASSERT_EQ(0, viommu_alloc(*fd, *idev_id, *parent_id, VIOMMU_MOCK,
				  NULL, 0, viommu_id));
}

/* And end with: the queue's file, if open, goes before the context */
static void close_viommu(struct __test_metadata *_metadata, int evfd,
			 int fd, char *buf, bool test_cmd)
{
	if (evfd >= 0)
		close(evfd);
	close_unpinned(_metadata, fd, buf, test_cmd);
}

/*
 * An IOAS mapping the buffer, a mock device on its automatic HWPT, a
 * paging HWPT of the IOAS allocated with IOMMU_HWPT_ALLOC_NEST_PARENT
 * and a mock vIOMMU on it, made through the device without data. A test
 * that opens a vEVENTQ keeps its file in @evfd, which the teardown
 * closes before the context.
 */
FIXTURE(viommu) {
	long pins0;
	int fd;
	int evfd;
	__u32 ioas_id;
	__u32 stdev_id;
	__u32 idev_id;
	__u32 hwpt_id;
	__u32 parent_id;
	__u32 viommu_id;
	char *buf;
	bool test_cmd;
};

FIXTURE_SETUP(viommu)
{
	self->pins0 = foll_pins();
	self->evfd = -1;
	open_viommu(_metadata, &self->fd, &self->buf, &self->test_cmd,
		    &self->ioas_id, &self->stdev_id, &self->hwpt_id,
		    &self->idev_id, &self->parent_id, &self->viommu_id);
	if (!self->test_cmd)
		SKIP(return, NO_TEST_CMD);
}

FIXTURE_TEARDOWN(viommu)
{
	close_viommu(_metadata, self->evfd, self->fd, self->buf,
		     self->test_cmd);
	EXPECT_PINS_RELEASED(self->pins0);
}

TEST_F(viommu, alloc_mock_data)
{
	struct {
		struct iommu_viommu_selftest data;
		__u8 tail[16];
	} big = {};
	struct iommu_viommu_selftest data = {
		.in_data = 0x12345678,
		.out_data = 0xffffffff,
		.out_mmap_offset = ~0ULL,
		.out_mmap_length = ~0ULL,
	};
	__u32 first_free, id, id2, id3;
	unsigned int i;

	if (!self->test_cmd)
		SKIP(return, NO_TEST_CMD);
	/* The whole layout: out_data echoes in_data, nothing to mmap */
	first_free = next_free_id(self->fd);
	ASSERT_EQ(0, viommu_alloc(self->fd, self->idev_id, self->parent_id,
				  VIOMMU_MOCK, &data, sizeof(data), &id));
	ASSERT_EQ(first_free, id);
	ASSERT_EQ(0x12345678, data.in_data);
	ASSERT_EQ(0x12345678, data.out_data);
	ASSERT_EQ(0, data.out_mmap_offset);
	ASSERT_EQ(0, data.out_mmap_length);

	/* in_data and out_data only: nothing is written past them */
	data.in_data = 0xa5a5;
	data.out_data = 0;
	data.out_mmap_offset = ~0ULL;
	data.out_mmap_length = 0x1234;
	ASSERT_EQ(0, viommu_alloc(self->fd, self->idev_id, self->parent_id,
				  VIOMMU_MOCK, &data, 8, &id2));
	ASSERT_NE(id, id2);
	ASSERT_EQ(0xa5a5, data.in_data);
	ASSERT_EQ(0xa5a5, data.out_data);
	ASSERT_EQ(~0ULL, data.out_mmap_offset);
	ASSERT_EQ(0x1234, data.out_mmap_length);

	/* Longer than the layout with a zero tail: taken, the tail kept */
	big.data.out_data = 1;
	big.data.out_mmap_offset = 2;
	big.data.out_mmap_length = 3;
	ASSERT_EQ(0, viommu_alloc(self->fd, self->idev_id, self->parent_id,
				  VIOMMU_MOCK, &big, sizeof(big), &id3));
	ASSERT_NE(id2, id3);
	ASSERT_EQ(0, big.data.in_data);
	ASSERT_EQ(0, big.data.out_data);
	ASSERT_EQ(0, big.data.out_mmap_offset);
	ASSERT_EQ(0, big.data.out_mmap_length);
	for (i = 0; i != sizeof(big.tail); i++)
		ASSERT_EQ(0, big.tail[i]);

	/* Each is a vIOMMU of its own, free to go */
	ASSERT_EQ(0, destroy(self->fd, id));
	ASSERT_EQ(0, destroy(self->fd, id2));
	ASSERT_EQ(0, destroy(self->fd, id3));
	ASSERT_ERRNO(ENOENT, destroy(self->fd, id2));
}

TEST_F(viommu, alloc_data_errors)
{
	struct {
		struct iommu_viommu_selftest data;
		__u8 tail[16];
	} big = { .data.in_data = 0x77 };
	const struct viommu_case bad_len[] = {
		/* Shorter than in_data and out_data */
		{ VIOMMU_MOCK, &big, 1, EINVAL },
		{ VIOMMU_MOCK, &big, 4, EINVAL },
		{ VIOMMU_MOCK, &big, 7, EINVAL },
		/* A length without a pointer, a pointer without a length */
		{ VIOMMU_MOCK, NULL, sizeof(big.data), EINVAL },
		{ VIOMMU_MOCK, &big, 0, EINVAL },
	};
	/* Past the layout, the bytes must be zero */
	const struct viommu_case nonzero_tail[] = {
		{ VIOMMU_MOCK, &big, sizeof(big.data) + 1, E2BIG },
		{ VIOMMU_MOCK, &big, sizeof(big), E2BIG },
	};
	/* The generic type takes no data at all */
	const struct viommu_case with_data[] = {
		{ VIOMMU_DEFAULT, &big.data, sizeof(big.data), EINVAL },
		{ VIOMMU_DEFAULT, &big.data, 8, EINVAL },
		{ VIOMMU_DEFAULT, NULL, 8, EINVAL },
		{ VIOMMU_DEFAULT, &big.data, 0, EINVAL },
	};
	__u32 first_free, id;

	if (!self->test_cmd)
		SKIP(return, NO_TEST_CMD);
	first_free = next_free_id(self->fd);
	viommu_refused(_metadata, self->fd, self->idev_id, self->parent_id,
		       bad_len, ARRAY_SIZE(bad_len));
	big.tail[0] = 1;
	viommu_refused(_metadata, self->fd, self->idev_id, self->parent_id,
		       nonzero_tail, ARRAY_SIZE(nonzero_tail));
	big.tail[0] = 0;
	big.tail[sizeof(big.tail) - 1] = 0x80;
	viommu_refused(_metadata, self->fd, self->idev_id, self->parent_id,
		       &nonzero_tail[1], 1);
	viommu_refused(_metadata, self->fd, self->idev_id, self->parent_id,
		       with_data, ARRAY_SIZE(with_data));
	/* None of them made anything, or wrote anything back */
	ASSERT_EQ(first_free, next_free_id(self->fd));
	ASSERT_EQ(0, big.data.out_data);

	/* Up to just before the non-zero byte: taken */
	ASSERT_EQ(0, viommu_alloc(self->fd, self->idev_id, self->parent_id,
				  VIOMMU_MOCK, &big, sizeof(big) - 1, &id));
	ASSERT_EQ(first_free, id);
	ASSERT_EQ(0x77, big.data.out_data);
	ASSERT_EQ(0x80, big.tail[sizeof(big.tail) - 1]);
}

TEST_F(viommu, alloc_types)
{
	static const struct viommu_case unsupported[] = {
		{ IOMMU_VIOMMU_TYPE_ARM_SMMUV3, NULL, 0, EOPNOTSUPP },
		{ IOMMU_VIOMMU_TYPE_TEGRA241_CMDQV, NULL, 0, EOPNOTSUPP },
		{ 0x1234, NULL, 0, EOPNOTSUPP },
		{ VIOMMU_MOCK + 1, NULL, 0, EOPNOTSUPP },
	};
	__u32 first_free, id, id2;

	if (!self->test_cmd)
		SKIP(return, NO_TEST_CMD);
	first_free = next_free_id(self->fd);
	viommu_refused(_metadata, self->fd, self->idev_id, self->parent_id,
		       unsupported, ARRAY_SIZE(unsupported));
	ASSERT_EQ(first_free, next_free_id(self->fd));

	/* The generic vIOMMU, as many as wanted, on one parent */
	ASSERT_EQ(0, viommu_alloc(self->fd, self->idev_id, self->parent_id,
				  VIOMMU_DEFAULT, NULL, 0, &id));
	ASSERT_EQ(first_free, id);
	ASSERT_EQ(0, viommu_alloc(self->fd, self->idev_id, self->parent_id,
				  VIOMMU_DEFAULT, NULL, 0, &id2));
	ASSERT_NE(id, id2);
	ASSERT_NE(self->viommu_id, id2);
	ASSERT_EQ(0, destroy(self->fd, id));
	ASSERT_EQ(0, destroy(self->fd, id2));
	ASSERT_EQ(0, destroy(self->fd, self->viommu_id));
	ASSERT_EQ(0, destroy(self->fd, self->parent_id));
}

TEST_F(viommu, alloc_args)
{
	struct iommu_viommu_alloc base = {
		.size = sizeof(base),
		.type = VIOMMU_MOCK,
		.dev_id = self->idev_id,
		.hwpt_id = self->parent_id,
	};
	struct {
		struct iommu_viommu_alloc cmd;
		__u64 tail;
	} big = { .cmd = base };
	struct iommu_viommu_alloc cmd;
	__u32 first_free, plain, nested, v_nested, idev2;

	if (!self->test_cmd)
		SKIP(return, NO_TEST_CMD);
	ASSERT_EQ(0, hwpt_alloc_paging(self->fd, self->idev_id, self->ioas_id,
				       0, &plain));
	ASSERT_EQ(0, hwpt_alloc_nested(self->fd, self->idev_id,
				       self->parent_id, 0, DEFAULT_IOTLB,
				       &nested));
	ASSERT_EQ(0, hwpt_alloc_nested(self->fd, self->idev_id,
				       self->viommu_id, 0, DEFAULT_IOTLB,
				       &v_nested));
	first_free = next_free_id(self->fd);

	/* Flags and the reserved field */
	ASSERT_FIELD_ERRNO(EOPNOTSUPP, self->fd, IOMMU_VIOMMU_ALLOC, base,
			   flags, 1, 1u << 31);
	ASSERT_FIELD_ERRNO(EOPNOTSUPP, self->fd, IOMMU_VIOMMU_ALLOC, base,
			   __reserved, 1);
	/* The device must be a bound device */
	ASSERT_FIELD_ERRNO(ENOENT, self->fd, IOMMU_VIOMMU_ALLOC, base, dev_id,
			   0, UNUSED_ID, self->stdev_id, self->ioas_id,
			   self->parent_id);
	/* The parent must exist */
	ASSERT_FIELD_ERRNO(ENOENT, self->fd, IOMMU_VIOMMU_ALLOC, base,
			   hwpt_id, 0, UNUSED_ID, first_free);
	/*
	 * and be a paging HWPT allocated with NEST_PARENT: not an IOAS, an
	 * automatic or plain paging HWPT, or a nested one of either kind
	 */
	ASSERT_FIELD_ERRNO(EINVAL, self->fd, IOMMU_VIOMMU_ALLOC, base,
			   hwpt_id, self->ioas_id, self->hwpt_id, plain,
			   nested, v_nested);
	/* Sizes: below the first version; unknown non-zero bytes */
	ASSERT_FIELD_ERRNO(EINVAL, self->fd, IOMMU_VIOMMU_ALLOC, base, size,
			   20);
	big.cmd.size = sizeof(big);
	big.tail = 1;
	ASSERT_ERRNO(E2BIG, ioctl(self->fd, IOMMU_VIOMMU_ALLOC, &big));
	ASSERT_EQ(first_free, next_free_id(self->fd));

	/* The refused parents are not held by anything */
	ASSERT_EQ(0, destroy(self->fd, plain));
	ASSERT_EQ(0, destroy(self->fd, nested));
	first_free = next_free_id(self->fd);

	/* Without the data fields (24 bytes), or with a zero tail: taken */
	cmd = base;
	cmd.size = 24;
	cmd.out_viommu_id = 0;
	ASSERT_EQ(0, ioctl(self->fd, IOMMU_VIOMMU_ALLOC, &cmd));
	ASSERT_EQ(first_free, cmd.out_viommu_id);
	big.tail = 0;
	ASSERT_EQ(0, ioctl(self->fd, IOMMU_VIOMMU_ALLOC, &big));
	ASSERT_NE(0, big.cmd.out_viommu_id);
	ASSERT_NE(cmd.out_viommu_id, big.cmd.out_viommu_id);
	ASSERT_NE(self->viommu_id, big.cmd.out_viommu_id);
	ASSERT_EQ(0, destroy(self->fd, cmd.out_viommu_id));
	ASSERT_EQ(0, destroy(self->fd, big.cmd.out_viommu_id));
	/* A vIOMMU made by another device of the same IOMMU */
	ASSERT_EQ(0, mock_domain(self->fd, self->ioas_id, NULL, NULL,
				 &idev2));
	ASSERT_EQ(0, viommu_alloc(self->fd, idev2, self->parent_id,
				  VIOMMU_MOCK, NULL, 0, &cmd.out_viommu_id));
	ASSERT_NE(self->viommu_id, cmd.out_viommu_id);
}

/* The vIOMMU holds its parent; the parent holds the IOAS */
TEST_F(viommu, destroy_holds_parent)
{
	__u32 parent2, def;

	if (!self->test_cmd)
		SKIP(return, NO_TEST_CMD);
	ASSERT_ERRNO(EBUSY, destroy(self->fd, self->parent_id));
	ASSERT_ERRNO(EBUSY, destroy(self->fd, self->ioas_id));
	ASSERT_EQ(0, destroy(self->fd, self->viommu_id));
	ASSERT_ERRNO(ENOENT, destroy(self->fd, self->viommu_id));
	ASSERT_EQ(0, destroy(self->fd, self->parent_id));
	ASSERT_ERRNO(ENOENT, destroy(self->fd, self->parent_id));

	/* The same for a generic vIOMMU */
	ASSERT_EQ(0, hwpt_alloc_paging(self->fd, self->idev_id, self->ioas_id,
				       IOMMU_HWPT_ALLOC_NEST_PARENT, &parent2));
	ASSERT_EQ(0, viommu_alloc(self->fd, self->idev_id, parent2,
				  VIOMMU_DEFAULT, NULL, 0, &def));
	ASSERT_ERRNO(EBUSY, destroy(self->fd, parent2));
	ASSERT_EQ(0, destroy(self->fd, def));
	ASSERT_EQ(0, destroy(self->fd, parent2));
	/* Only the device's automatic HWPT is left */
	ASSERT_EQ(0, destroy(self->fd, self->stdev_id));
	ASSERT_EQ(0, md_check_refs(self->fd, self->buf, BUF_SIZE, 0));
	ASSERT_EQ(0, destroy(self->fd, self->ioas_id));
}

TEST_F(viommu, vdevice_alloc)
{
	__u32 viommu2, stdev2, idev2, vdev, vdev2, vdev3, first_free;

	if (!self->test_cmd)
		SKIP(return, NO_TEST_CMD);
	ASSERT_EQ(0, viommu_alloc(self->fd, self->idev_id, self->parent_id,
				  VIOMMU_MOCK, NULL, 0, &viommu2));
	ASSERT_EQ(0, mock_domain(self->fd, self->ioas_id, &stdev2, NULL,
				 &idev2));
	first_free = next_free_id(self->fd);
	ASSERT_EQ(0, vdevice_alloc(self->fd, self->viommu_id, self->idev_id,
				   VIRT_A, &vdev));
	ASSERT_EQ(first_free, vdev);

	/* One vDEVICE per device, on any vIOMMU */
	first_free = next_free_id(self->fd);
	ASSERT_ERRNO(EEXIST, vdevice_alloc(self->fd, self->viommu_id,
					   self->idev_id, VIRT_A, NULL));
	ASSERT_ERRNO(EEXIST, vdevice_alloc(self->fd, self->viommu_id,
					   self->idev_id, VIRT_B, NULL));
	ASSERT_ERRNO(EEXIST, vdevice_alloc(self->fd, viommu2, self->idev_id,
					   VIRT_A, NULL));
	ASSERT_ERRNO(EEXIST, vdevice_alloc(self->fd, viommu2, self->idev_id,
					   VIRT_B, NULL));
	/* One device per virtual ID in a vIOMMU */
	ASSERT_ERRNO(EEXIST, vdevice_alloc(self->fd, self->viommu_id, idev2,
					   VIRT_A, NULL));
	ASSERT_EQ(first_free, next_free_id(self->fd));
	/* In another vIOMMU the same virtual ID is another one */
	ASSERT_EQ(0, vdevice_alloc(self->fd, viommu2, idev2, VIRT_A, &vdev2));
	ASSERT_EQ(first_free, vdev2);
	ASSERT_ERRNO(EEXIST, vdevice_alloc(self->fd, self->viommu_id, idev2,
					   VIRT_B, NULL));

	/* A destroyed vDEVICE frees its device and its virtual ID */
	ASSERT_EQ(0, destroy(self->fd, vdev));
	ASSERT_ERRNO(ENOENT, destroy(self->fd, vdev));
	ASSERT_EQ(0, destroy(self->fd, vdev2));
	ASSERT_EQ(0, vdevice_alloc(self->fd, self->viommu_id, idev2, VIRT_A,
				   &vdev3));
	ASSERT_EQ(0, vdevice_alloc(self->fd, viommu2, self->idev_id, VIRT_A,
				   &vdev));
	ASSERT_NE(vdev, vdev3);
	/* Each vIOMMU is held by its vDEVICE */
	ASSERT_ERRNO(EBUSY, destroy(self->fd, self->viommu_id));
	ASSERT_ERRNO(EBUSY, destroy(self->fd, viommu2));
	ASSERT_EQ(0, destroy(self->fd, vdev));
	ASSERT_EQ(0, destroy(self->fd, viommu2));
	ASSERT_ERRNO(EBUSY, destroy(self->fd, self->viommu_id));
	ASSERT_EQ(0, destroy(self->fd, vdev3));
	ASSERT_EQ(0, destroy(self->fd, self->viommu_id));
}

TEST_F(viommu, vdevice_alloc_errors)
{
	struct iommu_vdevice_alloc base = {
		.size = sizeof(base),
		.viommu_id = self->viommu_id,
		.dev_id = self->idev_id,
		.virt_id = VIRT_A,
	};
	struct {
		struct iommu_vdevice_alloc cmd;
		__u64 tail;
	} big = { .cmd = base };
	__u32 first_free, def, vdev;

	if (!self->test_cmd)
		SKIP(return, NO_TEST_CMD);
	first_free = next_free_id(self->fd);
	/* No vIOMMU by that ID */
	ASSERT_FIELD_ERRNO(ENOENT, self->fd, IOMMU_VDEVICE_ALLOC, base,
			   viommu_id, 0, UNUSED_ID, self->ioas_id,
			   self->parent_id, self->idev_id);
	/* No bound device by that ID */
	ASSERT_FIELD_ERRNO(ENOENT, self->fd, IOMMU_VDEVICE_ALLOC, base,
			   dev_id, 0, UNUSED_ID, self->stdev_id, self->ioas_id,
			   self->viommu_id);
	/* Sizes: below the first version; unknown non-zero bytes */
	ASSERT_FIELD_ERRNO(EINVAL, self->fd, IOMMU_VDEVICE_ALLOC, base, size,
			   16);
	big.cmd.size = sizeof(big);
	big.tail = 1;
	ASSERT_ERRNO(E2BIG, ioctl(self->fd, IOMMU_VDEVICE_ALLOC, &big));
	ASSERT_EQ(first_free, next_free_id(self->fd));
	/* Nothing holds the vIOMMU */
	ASSERT_EQ(0, destroy(self->fd, self->viommu_id));

	/* A generic vIOMMU has vDEVICEs too; a zero tail is fine */
	ASSERT_EQ(0, viommu_alloc(self->fd, self->idev_id, self->parent_id,
				  VIOMMU_DEFAULT, NULL, 0, &def));
	big.tail = 0;
	big.cmd.viommu_id = def;
	ASSERT_EQ(0, ioctl(self->fd, IOMMU_VDEVICE_ALLOC, &big));
	vdev = big.cmd.out_vdevice_id;
	ASSERT_NE(0, vdev);
	ASSERT_NE(def, vdev);
	ASSERT_ERRNO(EEXIST, vdevice_alloc(self->fd, def, self->idev_id,
					   VIRT_B, NULL));
	ASSERT_ERRNO(EBUSY, destroy(self->fd, def));
	ASSERT_EQ(0, destroy(self->fd, vdev));
	ASSERT_EQ(0, destroy(self->fd, def));
}

/* Unbinding a device takes its vDEVICE with it */
TEST_F(viommu, vdevice_gone_with_device)
{
	__u32 stdev2, idev2, vdev, vdev2, nested;

	if (!self->test_cmd)
		SKIP(return, NO_TEST_CMD);
	ASSERT_EQ(0, mock_domain(self->fd, self->ioas_id, &stdev2, NULL,
				 &idev2));
	ASSERT_EQ(0, vdevice_alloc(self->fd, self->viommu_id, self->idev_id,
				   VIRT_A, &vdev));
	attach_nested(_metadata, self->fd, self->idev_id, self->stdev_id,
		      self->viommu_id, &nested);
	ASSERT_ERRNO(EBUSY, destroy(self->fd, self->viommu_id));

	ASSERT_EQ(0, destroy(self->fd, self->stdev_id));
	ASSERT_ERRNO(ENOENT, destroy(self->fd, vdev));
	ASSERT_ERRNO(ENOENT, destroy(self->fd, self->idev_id));
	/* The virtual ID is free for another device */
	ASSERT_EQ(0, vdevice_alloc(self->fd, self->viommu_id, idev2, VIRT_A,
				   &vdev2));
	ASSERT_EQ(0, destroy(self->fd, vdev2));
	/* Only the nested HWPT, no longer attached, holds the vIOMMU */
	ASSERT_ERRNO(EBUSY, destroy(self->fd, self->viommu_id));
	ASSERT_EQ(0, md_check_iotlbs(self->fd, nested, DEFAULT_IOTLB));
	ASSERT_EQ(0, destroy(self->fd, nested));
	ASSERT_EQ(0, destroy(self->fd, self->viommu_id));
	ASSERT_EQ(0, destroy(self->fd, self->parent_id));
}

/* A vDEVICE on a vIOMMU that is otherwise free goes with its device */
TEST_F(viommu, vdevice_only_holder)
{
	__u32 vdev;

	if (!self->test_cmd)
		SKIP(return, NO_TEST_CMD);
	ASSERT_EQ(0, vdevice_alloc(self->fd, self->viommu_id, self->idev_id,
				   VIRT_C, &vdev));
	ASSERT_ERRNO(EBUSY, destroy(self->fd, self->viommu_id));
	ASSERT_EQ(0, destroy(self->fd, self->stdev_id));
	ASSERT_ERRNO(ENOENT, destroy(self->fd, vdev));
	ASSERT_EQ(0, destroy(self->fd, self->viommu_id));
	ASSERT_EQ(0, destroy(self->fd, self->parent_id));
	ASSERT_EQ(0, md_check_refs(self->fd, self->buf, BUF_SIZE, 0));
	ASSERT_EQ(0, destroy(self->fd, self->ioas_id));
}

TEST_F(viommu, nested_alloc)
{
	struct {
		struct iommu_hwpt_selftest data;
		__u8 tail[12];
	} big = { .data.iotlb = 0x5a5a };
	__u32 nested, nested2, first_free;

	if (!self->test_cmd)
		SKIP(return, NO_TEST_CMD);
	first_free = next_free_id(self->fd);
	ASSERT_EQ(0, hwpt_alloc_nested(self->fd, self->idev_id,
				       self->viommu_id, 0, DEFAULT_IOTLB,
				       &nested));
	ASSERT_EQ(first_free, nested);
	ASSERT_EQ(0, md_check_iotlbs(self->fd, nested, DEFAULT_IOTLB));
	ASSERT_EQ(0, hwpt_alloc_nested(self->fd, self->idev_id,
				       self->viommu_id, 0, 0x12345678,
				       &nested2));
	ASSERT_NE(nested, nested2);
	ASSERT_EQ(0, md_check_iotlbs(self->fd, nested2, 0x12345678));
	ASSERT_EQ(0, md_check_iotlbs(self->fd, nested, DEFAULT_IOTLB));
	ASSERT_EQ(0, destroy(self->fd, nested2));

	/* The rules of a nested HWPT on a parent HWPT */
	first_free = next_free_id(self->fd);
	ASSERT_ERRNO(EOPNOTSUPP, hwpt_alloc_nested(self->fd, self->idev_id,
						   self->viommu_id,
						   IOMMU_HWPT_ALLOC_NEST_PARENT,
						   DEFAULT_IOTLB, NULL));
	ASSERT_ERRNO(EOPNOTSUPP, hwpt_alloc_paging(self->fd, self->idev_id,
						   self->viommu_id, 0, NULL));
	ASSERT_ERRNO(EOPNOTSUPP,
		     hwpt_alloc_data(self->fd, 0, self->idev_id,
				     self->viommu_id, 0xbeef, &big.data,
				     sizeof(big.data), NULL));
	ASSERT_ERRNO(EINVAL, hwpt_alloc_data(self->fd, 0, self->idev_id,
					     self->viommu_id,
					     IOMMU_HWPT_DATA_SELFTEST, &big,
					     0, NULL));
	ASSERT_ERRNO(EINVAL, hwpt_alloc_data(self->fd, 0, self->idev_id,
					     self->viommu_id,
					     IOMMU_HWPT_DATA_SELFTEST, &big,
					     3, NULL));
	big.tail[2] = 1;
	ASSERT_ERRNO(E2BIG, hwpt_alloc_data(self->fd, 0, self->idev_id,
					    self->viommu_id,
					    IOMMU_HWPT_DATA_SELFTEST, &big,
					    sizeof(big), NULL));
	ASSERT_ERRNO(ENOENT, hwpt_alloc_nested(self->fd, self->stdev_id,
					       self->viommu_id, 0,
					       DEFAULT_IOTLB, NULL));
	ASSERT_EQ(first_free, next_free_id(self->fd));
	big.tail[2] = 0;
	ASSERT_EQ(0, hwpt_alloc_data(self->fd, 0, self->idev_id,
				     self->viommu_id, IOMMU_HWPT_DATA_SELFTEST,
				     &big, sizeof(big), &nested2));
	ASSERT_EQ(first_free, nested2);
	ASSERT_EQ(0, md_check_iotlbs(self->fd, nested2, 0x5a5a));

	/* The device attaches to it, and goes back to the parent */
	replace_on(_metadata, self->fd, self->stdev_id, nested);
	ASSERT_EQ(0, pasid_check_hwpt(self->fd, self->stdev_id, 0, nested));
	ASSERT_ERRNO(EBUSY, destroy(self->fd, nested));
	replace_on(_metadata, self->fd, self->stdev_id, nested2);
	ASSERT_EQ(0, destroy(self->fd, nested));
	replace_on(_metadata, self->fd, self->stdev_id, self->parent_id);
	ASSERT_EQ(0, pasid_check_hwpt(self->fd, self->stdev_id, 0,
				      self->parent_id));
	ASSERT_EQ(0, md_check_iotlbs(self->fd, nested2, 0x5a5a));
	ASSERT_EQ(0, destroy(self->fd, nested2));
	ASSERT_EQ(0, destroy(self->fd, self->viommu_id));
	/* The device still holds the parent */
	ASSERT_ERRNO(EBUSY, destroy(self->fd, self->parent_id));
}

/* A generic vIOMMU passes nested allocation to the driver as it is */
TEST_F(viommu, nested_on_default_viommu)
{
	__u32 def, nested;

	if (!self->test_cmd)
		SKIP(return, NO_TEST_CMD);
	ASSERT_EQ(0, viommu_alloc(self->fd, self->idev_id, self->parent_id,
				  VIOMMU_DEFAULT, NULL, 0, &def));
	ASSERT_EQ(0, hwpt_alloc_nested(self->fd, self->idev_id, def, 0, 0x99,
				       &nested));
	ASSERT_EQ(0, md_check_iotlbs(self->fd, nested, 0x99));
	ASSERT_ERRNO(EOPNOTSUPP, hwpt_alloc_nested(self->fd, self->idev_id,
						   def,
						   IOMMU_HWPT_ALLOC_NEST_PARENT,
						   0x99, NULL));
	replace_on(_metadata, self->fd, self->stdev_id, nested);
	ASSERT_EQ(0, pasid_check_hwpt(self->fd, self->stdev_id, 0, nested));
	ASSERT_ERRNO(EBUSY, destroy(self->fd, def));
	ASSERT_ERRNO(EBUSY, destroy(self->fd, nested));
	replace_on(_metadata, self->fd, self->stdev_id, self->parent_id);
	ASSERT_ERRNO(EBUSY, destroy(self->fd, def));
	ASSERT_EQ(0, destroy(self->fd, nested));
	ASSERT_EQ(0, destroy(self->fd, def));
}

TEST_F(viommu, invalidate_caches)
{
	struct iommu_viommu_invalidate_selftest inv[4];
	__u32 stdev2, idev2, stdev3, idev3;

	if (!self->test_cmd)
		SKIP(return, NO_TEST_CMD);
	ASSERT_EQ(0, vdevice_alloc(self->fd, self->viommu_id, self->idev_id,
				   VIRT_A, NULL));
	vdev_device(_metadata, self->fd, self->ioas_id, self->viommu_id, VIRT_B,
		    &stdev2, &idev2, NULL);
	vdev_device(_metadata, self->fd, self->ioas_id, self->viommu_id, VIRT_C,
		    &stdev3, &idev3, NULL);
	expect_caches(_metadata, self->fd, self->idev_id, CACHES_DEFAULT);
	expect_caches(_metadata, self->fd, idev2, CACHES_DEFAULT);

	/* One entry of one device, found by its virtual ID */
	inv[0] = VINV(0, VIRT_A, 1);
	vinv(_metadata, self->fd, self->viommu_id, inv, 1, 0, 1);
	expect_caches(_metadata, self->fd, self->idev_id,
		      CACHES(CACHE_DEFAULT, 0, CACHE_DEFAULT, CACHE_DEFAULT));
	expect_caches(_metadata, self->fd, idev2, CACHES_DEFAULT);

	/* Entries for two devices in one call */
	inv[0] = VINV(0, VIRT_B, MOCK_DEV_CACHE_ID_MAX);
	inv[1] = VINV(0, VIRT_A, 0);
	vinv(_metadata, self->fd, self->viommu_id, inv, 2, 0, 2);
	expect_caches(_metadata, self->fd, self->idev_id,
		      CACHES(0, 0, CACHE_DEFAULT, CACHE_DEFAULT));
	expect_caches(_metadata, self->fd, idev2,
		      CACHES(CACHE_DEFAULT, CACHE_DEFAULT, CACHE_DEFAULT, 0));

	/* No entries: nothing happens */
	inv[0] = VINV(INV_ALL, VIRT_A, 0);
	vinv(_metadata, self->fd, self->viommu_id, inv, 0, 0, 0);
	expect_caches(_metadata, self->fd, self->idev_id,
		      CACHES(0, 0, CACHE_DEFAULT, CACHE_DEFAULT));

	/* ALL clears every entry of its device only */
	inv[0] = VINV(INV_ALL, VIRT_B, 0);
	vinv(_metadata, self->fd, self->viommu_id, inv, 1, 0, 1);
	expect_caches(_metadata, self->fd, idev2, CACHES(0, 0, 0, 0));
	expect_caches(_metadata, self->fd, self->idev_id,
		      CACHES(0, 0, CACHE_DEFAULT, CACHE_DEFAULT));
	expect_caches(_metadata, self->fd, idev3, CACHES_DEFAULT);

	/* A bad third entry: the two before it are applied */
	inv[0] = VINV(0, VIRT_C, 0);
	inv[1] = VINV(0, VIRT_C, 2);
	inv[2] = VINV(0, VIRT_C, CACHE_ID_BEYOND);
	inv[3] = VINV(0, VIRT_C, 3);
	vinv(_metadata, self->fd, self->viommu_id, inv, 4, EINVAL, 2);
	expect_caches(_metadata, self->fd, idev3,
		      CACHES(0, CACHE_DEFAULT, 0, CACHE_DEFAULT));
	/* So for an unknown flag or virtual ID in the third entry */
	inv[0] = VINV(0, VIRT_A, 2);
	inv[1] = VINV(0, VIRT_C, 1);
	inv[2] = VINV(0x2, VIRT_C, 3);
	vinv(_metadata, self->fd, self->viommu_id, inv, 4, EOPNOTSUPP, 2);
	expect_caches(_metadata, self->fd, self->idev_id,
		      CACHES(0, 0, 0, CACHE_DEFAULT));
	expect_caches(_metadata, self->fd, idev3,
		      CACHES(0, 0, 0, CACHE_DEFAULT));
	inv[0] = VINV(0, VIRT_A, 3);
	inv[1] = VINV(0, VIRT_A, 3);
	inv[2] = VINV(0, VIRT_A + 1, 3);
	vinv(_metadata, self->fd, self->viommu_id, inv, 4, EINVAL, 2);
	expect_caches(_metadata, self->fd, self->idev_id, CACHES(0, 0, 0, 0));
	expect_caches(_metadata, self->fd, idev3,
		      CACHES(0, 0, 0, CACHE_DEFAULT));
	expect_caches(_metadata, self->fd, idev2, CACHES(0, 0, 0, 0));
}

TEST_F(viommu, invalidate_errors)
{
	const struct iommu_viommu_invalidate_selftest good[2] = {
		VINV(0, VIRT_A, 0), VINV(0, VIRT_A, 1),
	};
	struct iommu_hwpt_invalidate base = {
		.size = sizeof(base),
		.hwpt_id = self->viommu_id,
		.data_uptr = (uintptr_t)good,
		.data_type = VINV_TYPE,
		.entry_len = sizeof(good[0]),
		.entry_num = 2,
	};
	struct {
		struct iommu_viommu_invalidate_selftest inv;
		__u32 tail;
	} big[2] = {
		{ .inv = VINV(0, VIRT_A, 2) }, { .inv = VINV(0, VIRT_A, 3) },
	};
	/* Entries refused, each as the first one */
	const struct {
		struct iommu_viommu_invalidate_selftest inv;
		int err;
	} bad_first[] = {
		{ VINV(0x2, VIRT_A, 0), EOPNOTSUPP },
		{ VINV(INV_ALL | 0x80000000, VIRT_A, 0), EOPNOTSUPP },
		{ VINV(0, VIRT_A, CACHE_ID_BEYOND), EINVAL },
		{ VINV(0, VIRT_A, UINT32_MAX), EINVAL },
		{ VINV(0, VIRT_C, 0), EINVAL },
		{ VINV(INV_ALL, VIRT_B, 0), EINVAL },
	};
	struct iommu_viommu_invalidate_selftest other;
	struct iommu_hwpt_invalidate cmd;
	__u32 viommu2, stdev2, idev2;
	unsigned int i;

	if (!self->test_cmd)
		SKIP(return, NO_TEST_CMD);
	ASSERT_EQ(0, vdevice_alloc(self->fd, self->viommu_id, self->idev_id,
				   VIRT_A, NULL));
	/* A device with a vDEVICE in another vIOMMU only */
	ASSERT_EQ(0, viommu_alloc(self->fd, self->idev_id, self->parent_id,
				  VIOMMU_MOCK, NULL, 0, &viommu2));
	vdev_device(_metadata, self->fd, self->ioas_id, viommu2, VIRT_B,
		    &stdev2, &idev2, NULL);

	/* Data types the mock vIOMMU does not know, with entries or none */
	ASSERT_INV_FIELD_ERRNO(EINVAL, self->fd, base, data_type,
			       IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST_INVALID,
			       IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3);
	cmd = base;
	cmd.entry_num = 0;
	ASSERT_INV_FIELD_ERRNO(EINVAL, self->fd, cmd, data_type,
			       IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST_INVALID);
	/* The generic checks come first */
	ASSERT_INV_FIELD_ERRNO(EOPNOTSUPP, self->fd, base, __reserved, 1);
	ASSERT_INV_FIELD_ERRNO(EINVAL, self->fd, base, data_uptr, 0);
	/*
	 * Entries of no length, or shorter than the layout, like those of
	 * a nested HWPT
	 */
	ASSERT_INV_FIELD_ERRNO(EINVAL, self->fd, base, entry_len, 0, 8,
			       sizeof(good[0]) - 1);

	/* A bad first entry */
	cmd = base;
	for (i = 0; i != ARRAY_SIZE(bad_first); i++) {
		cmd.data_uptr = (uintptr_t)&bad_first[i].inv;
		cmd.entry_num = 1;
		errno = 0;
		ASSERT_EQ(-1, invalidate_cmd(self->fd, &cmd))
			TH_LOG("entry %u", i);
		ASSERT_EQ(bad_first[i].err, errno) TH_LOG("entry %u", i);
		ASSERT_EQ(0, cmd.entry_num) TH_LOG("entry %u", i);
	}
	/* Longer entries: a non-zero tail in the first one */
	big[0].tail = 1;
	cmd = base;
	cmd.data_uptr = (uintptr_t)big;
	cmd.entry_len = sizeof(big[0]);
	ASSERT_ERRNO(E2BIG, invalidate_cmd(self->fd, &cmd));
	ASSERT_EQ(0, cmd.entry_num);
	/* No cache was touched */
	expect_caches(_metadata, self->fd, self->idev_id, CACHES_DEFAULT);
	expect_caches(_metadata, self->fd, idev2, CACHES_DEFAULT);

	/* A non-zero tail in the second: the first is applied */
	big[0].tail = 0;
	big[1].tail = 0x100;
	cmd.entry_num = 2;
	ASSERT_ERRNO(E2BIG, invalidate_cmd(self->fd, &cmd));
	ASSERT_EQ(1, cmd.entry_num);
	expect_caches(_metadata, self->fd, self->idev_id,
		      CACHES(CACHE_DEFAULT, CACHE_DEFAULT, 0, CACHE_DEFAULT));
	/* Zero tails: both, at the stride of entry_len */
	big[1].tail = 0;
	cmd.entry_num = 2;
	ASSERT_EQ(0, invalidate_cmd(self->fd, &cmd));
	ASSERT_EQ(2, cmd.entry_num);
	expect_caches(_metadata, self->fd, self->idev_id,
		      CACHES(CACHE_DEFAULT, CACHE_DEFAULT, 0, 0));
	/* The right argument works; the other vIOMMU's device is its own */
	vinv(_metadata, self->fd, self->viommu_id, good, 2, 0, 2);
	expect_caches(_metadata, self->fd, self->idev_id, CACHES(0, 0, 0, 0));
	other = VINV(0, VIRT_B, 1);
	vinv(_metadata, self->fd, viommu2, &other, 1, 0, 1);
	expect_caches(_metadata, self->fd, idev2,
		      CACHES(CACHE_DEFAULT, 0, CACHE_DEFAULT, CACHE_DEFAULT));
}

/* A generic vIOMMU takes no invalidation */
TEST_F(viommu, invalidate_default_viommu)
{
	const struct iommu_viommu_invalidate_selftest inv =
		VINV(INV_ALL, VIRT_A, 0);
	__u32 def, num = 1;

	if (!self->test_cmd)
		SKIP(return, NO_TEST_CMD);
	ASSERT_EQ(0, viommu_alloc(self->fd, self->idev_id, self->parent_id,
				  VIOMMU_DEFAULT, NULL, 0, &def));
	ASSERT_EQ(0, vdevice_alloc(self->fd, def, self->idev_id, VIRT_A,
				   NULL));
	ASSERT_ERRNO(EOPNOTSUPP, hwpt_invalidate(self->fd, def, &inv,
						 VINV_TYPE, sizeof(inv),
						 &num));
	ASSERT_EQ(0, num);
	expect_caches(_metadata, self->fd, self->idev_id, CACHES_DEFAULT);
}

/*
 * Everything on the vIOMMU at once, torn down from the top: each object
 * refuses to go while another holds it, and nothing changes by that.
 */
TEST_F(viommu, destroy_order_top_down)
{
	__u32 vdev, nested, veventq, hwpt;

	if (!self->test_cmd)
		SKIP(return, NO_TEST_CMD);
	ASSERT_EQ(0, vdevice_alloc(self->fd, self->viommu_id, self->idev_id,
				   VIRT_A, &vdev));
	attach_nested(_metadata, self->fd, self->idev_id, self->stdev_id,
		      self->viommu_id, &nested);
	ASSERT_EQ(0, veventq_alloc(self->fd, self->viommu_id, VQ_TYPE, 2,
				   &veventq, &self->evfd));

	ASSERT_ERRNO(EBUSY, destroy(self->fd, self->ioas_id));
	ASSERT_ERRNO(EBUSY, destroy(self->fd, self->parent_id));
	ASSERT_ERRNO(EBUSY, destroy(self->fd, self->viommu_id));
	ASSERT_ERRNO(EBUSY, destroy(self->fd, nested));
	ASSERT_ERRNO(EBUSY, destroy(self->fd, veventq));
	/* All of it still works */
	ASSERT_EQ(0, md_check_iotlbs(self->fd, nested, DEFAULT_IOTLB));
	ASSERT_EQ(0, pasid_check_hwpt(self->fd, self->stdev_id, 0, nested));
	trigger_read_one(_metadata, self->fd, self->idev_id, self->evfd, 0,
			 VIRT_A);

	/* The vDEVICE goes first; the vIOMMU is still held */
	ASSERT_EQ(0, destroy(self->fd, vdev));
	ASSERT_ERRNO(EBUSY, destroy(self->fd, self->viommu_id));
	/* then the nested HWPT, once the device left it */
	replace_on(_metadata, self->fd, self->stdev_id, self->parent_id);
	ASSERT_EQ(0, destroy(self->fd, nested));
	ASSERT_ERRNO(EBUSY, destroy(self->fd, self->viommu_id));
	/* then the queue, once its file is closed */
	ASSERT_ERRNO(EBUSY, destroy(self->fd, veventq));
	close_fd(_metadata, &self->evfd);
	ASSERT_ERRNO(EBUSY, destroy(self->fd, self->viommu_id));
	ASSERT_EQ(0, destroy(self->fd, veventq));
	ASSERT_ERRNO(ENOENT, destroy(self->fd, veventq));
	ASSERT_EQ(0, destroy(self->fd, self->viommu_id));
	/* The device on it holds the parent, and nothing else does */
	ASSERT_ERRNO(EBUSY, destroy(self->fd, self->parent_id));
	ASSERT_EQ(0, mock_domain_replace(self->fd, self->stdev_id,
					 self->ioas_id, &hwpt));
	ASSERT_EQ(0, destroy(self->fd, self->parent_id));
	ASSERT_EQ(0, md_check_map(self->fd, hwpt, IOVA, self->buf, BUF_SIZE));
}

/* The same, in the other order, starting with the queue and the device */
TEST_F(viommu, destroy_order_bottom_up)
{
	__u32 vdev, nested, veventq, stdev2, idev2;

	if (!self->test_cmd)
		SKIP(return, NO_TEST_CMD);
	vdev_device(_metadata, self->fd, self->ioas_id, self->viommu_id, VIRT_B,
		    &stdev2, &idev2, &vdev);
	ASSERT_EQ(0, hwpt_alloc_nested(self->fd, idev2, self->viommu_id, 0,
				       DEFAULT_IOTLB, &nested));
	ASSERT_EQ(0, mock_domain_replace(self->fd, stdev2, nested, NULL));
	ASSERT_EQ(0, veventq_alloc(self->fd, self->viommu_id, VQ_TYPE, 2,
				   &veventq, &self->evfd));
	ASSERT_EQ(0, trigger_vevent(self->fd, idev2));

	/* The queue first, with an event still in it */
	close_fd(_metadata, &self->evfd);
	ASSERT_EQ(0, destroy(self->fd, veventq));
	ASSERT_ERRNO(EOPNOTSUPP, trigger_vevent(self->fd, idev2));
	ASSERT_ERRNO(EBUSY, destroy(self->fd, self->viommu_id));
	/* then the device: its vDEVICE and its attachment go */
	ASSERT_EQ(0, destroy(self->fd, stdev2));
	ASSERT_ERRNO(ENOENT, destroy(self->fd, vdev));
	ASSERT_ERRNO(EBUSY, destroy(self->fd, self->viommu_id));
	ASSERT_ERRNO(EBUSY, destroy(self->fd, self->parent_id));
	ASSERT_EQ(0, destroy(self->fd, nested));
	ASSERT_EQ(0, destroy(self->fd, self->viommu_id));
	ASSERT_EQ(0, destroy(self->fd, self->parent_id));
	/* The fixture's device is all that is left on the IOAS */
	ASSERT_ERRNO(EBUSY, destroy(self->fd, self->ioas_id));
	ASSERT_EQ(0, destroy(self->fd, self->stdev_id));
	ASSERT_EQ(0, md_check_refs(self->fd, self->buf, BUF_SIZE, 0));
	ASSERT_EQ(0, destroy(self->fd, self->ioas_id));
}

/*
 * The vevent fixture adds to the viommu one: a vDEVICE of the device
 * with virtual ID VIRT_A, and a queue of mock events VQ_DEPTH deep. A
 * test that opens the queue of another vIOMMU keeps its file in @evfd2.
 */
FIXTURE(vevent) {
	long pins0;
	int fd;
	int evfd;
	int evfd2;
	__u32 ioas_id;
	__u32 stdev_id;
	__u32 idev_id;
	__u32 parent_id;
	__u32 viommu_id;
	__u32 vdev_id;
	__u32 veventq_id;
	char *buf;
	bool test_cmd;
};

FIXTURE_SETUP(vevent)
{
	self->pins0 = foll_pins();
	self->evfd = -1;
	self->evfd2 = -1;
	open_viommu(_metadata, &self->fd, &self->buf, &self->test_cmd,
		    &self->ioas_id, &self->stdev_id, NULL, &self->idev_id,
		    &self->parent_id, &self->viommu_id);
	if (!self->test_cmd)
		SKIP(return, NO_TEST_CMD);
	ASSERT_EQ(0, vdevice_alloc(self->fd, self->viommu_id, self->idev_id,
				   VIRT_A, &self->vdev_id));
	ASSERT_EQ(0, veventq_alloc(self->fd, self->viommu_id, VQ_TYPE,
				   VQ_DEPTH, &self->veventq_id, &self->evfd));
	ASSERT_LE(0, self->evfd);
}

FIXTURE_TEARDOWN(vevent)
{
	if (self->evfd2 >= 0)
		close(self->evfd2);
	close_viommu(_metadata, self->evfd, self->fd, self->buf,
		     self->test_cmd);
	EXPECT_PINS_RELEASED(self->pins0);
}

TEST_F(vevent, alloc_errors)
{
	struct iommu_veventq_alloc base = {
		.size = sizeof(base),
		.type = VQ_TYPE,
		.veventq_depth = 2,
	};
	struct {
		struct iommu_veventq_alloc cmd;
		__u64 tail;
	} big;
	struct iommu_veventq_alloc cmd;
	__u32 viommu2, first_free;
	int first_fd;
	char ev[16];

	if (!self->test_cmd)
		SKIP(return, NO_TEST_CMD);
	ASSERT_EQ(0, viommu_alloc(self->fd, self->idev_id, self->parent_id,
				  VIOMMU_MOCK, NULL, 0, &viommu2));
	base.viommu_id = viommu2;
	first_free = next_free_id(self->fd);
	first_fd = next_free_fd(self->fd);

	ASSERT_FIELD_ERRNO(EOPNOTSUPP, self->fd, IOMMU_VEVENTQ_ALLOC, base,
			   flags, 1, 0x80000000);
	ASSERT_FIELD_ERRNO(EOPNOTSUPP, self->fd, IOMMU_VEVENTQ_ALLOC, base,
			   __reserved, 1);
	ASSERT_FIELD_ERRNO(EOPNOTSUPP, self->fd, IOMMU_VEVENTQ_ALLOC, base,
			   type, IOMMU_VEVENTQ_TYPE_DEFAULT);
	ASSERT_FIELD_ERRNO(EINVAL, self->fd, IOMMU_VEVENTQ_ALLOC, base,
			   veventq_depth, 0);
	/* No vIOMMU by that ID */
	ASSERT_FIELD_ERRNO(ENOENT, self->fd, IOMMU_VEVENTQ_ALLOC, base,
			   viommu_id, 0, UNUSED_ID, self->ioas_id,
			   self->parent_id, self->vdev_id);
	/* One queue of a type per vIOMMU, of any depth */
	cmd = base;
	cmd.viommu_id = self->viommu_id;
	ASSERT_FIELD_ERRNO(EEXIST, self->fd, IOMMU_VEVENTQ_ALLOC, cmd,
			   veventq_depth, base.veventq_depth, VQ_DEPTH);
	/* Sizes: below the first version; unknown non-zero bytes */
	ASSERT_FIELD_ERRNO(EINVAL, self->fd, IOMMU_VEVENTQ_ALLOC, base, size,
			   8);
	memset(&big, 0, sizeof(big));
	big.cmd = base;
	big.cmd.size = sizeof(big);
	big.tail = 1;
	ASSERT_ERRNO(E2BIG, ioctl(self->fd, IOMMU_VEVENTQ_ALLOC, &big));
	/* No object, and no file, was left behind */
	ASSERT_EQ(first_free, next_free_id(self->fd));
	ASSERT_EQ(first_fd, next_free_fd(self->fd));
	/* The second vIOMMU is not held */
	ASSERT_EQ(0, destroy(self->fd, viommu2));
	ASSERT_EQ(0, viommu_alloc(self->fd, self->idev_id, self->parent_id,
				  VIOMMU_MOCK, NULL, 0, &viommu2));

	/* With a zero tail it is taken: a new queue, a new empty file */
	big.cmd.viommu_id = viommu2;
	big.tail = 0;
	ASSERT_EQ(0, ioctl(self->fd, IOMMU_VEVENTQ_ALLOC, &big));
	self->evfd2 = big.cmd.out_veventq_fd;
	ASSERT_EQ(first_fd, self->evfd2);
	ASSERT_NE(self->veventq_id, big.cmd.out_veventq_id);
	ASSERT_NE(viommu2, big.cmd.out_veventq_id);
	ASSERT_EQ(0, read(first_fd, ev, sizeof(ev)));
	ASSERT_ERRNO(EBUSY, destroy(self->fd, viommu2));
	close_fd(_metadata, &self->evfd2);
	ASSERT_EQ(0, destroy(self->fd, big.cmd.out_veventq_id));
	ASSERT_EQ(0, destroy(self->fd, viommu2));
}

TEST_F(vevent, trigger_errors)
{
	__u32 viommu2, stdev2, idev2, stdev3, idev3, vdev3;
	char ev[64];

	if (!self->test_cmd)
		SKIP(return, NO_TEST_CMD);
	/* A device without a vDEVICE, or no device at all */
	ASSERT_EQ(0, mock_domain(self->fd, self->ioas_id, &stdev2, NULL,
				 &idev2));
	ASSERT_ERRNO(ENOENT, trigger_vevent(self->fd, idev2));
	ASSERT_ERRNO(ENOENT, trigger_vevent(self->fd, UNUSED_ID));
	/* A vIOMMU without a mock event queue */
	ASSERT_EQ(0, viommu_alloc(self->fd, self->idev_id, self->parent_id,
				  VIOMMU_MOCK, NULL, 0, &viommu2));
	vdev_device(_metadata, self->fd, self->ioas_id, viommu2, VIRT_A,
		    &stdev3, &idev3, &vdev3);
	ASSERT_ERRNO(EOPNOTSUPP, trigger_vevent(self->fd, idev3));
	/* None of it reached the fixture's queue */
	ASSERT_EQ(0, ev_pending(self->evfd));
	ASSERT_EQ(0, read(self->evfd, ev, sizeof(ev)));

	/* Once the vDEVICE is gone, so are the device's events */
	trigger_read_one(_metadata, self->fd, self->idev_id, self->evfd, 0,
			 VIRT_A);
	ASSERT_EQ(0, destroy(self->fd, self->vdev_id));
	ASSERT_ERRNO(ENOENT, trigger_vevent(self->fd, self->idev_id));
	ASSERT_EQ(0, read(self->evfd, ev, sizeof(ev)));
	/* The other device, with a vDEVICE here now, reports under its ID */
	ASSERT_EQ(0, destroy(self->fd, vdev3));
	ASSERT_ERRNO(ENOENT, trigger_vevent(self->fd, idev3));
	ASSERT_EQ(0, vdevice_alloc(self->fd, self->viommu_id, idev3, VIRT_C,
				   NULL));
	trigger_read_one(_metadata, self->fd, idev3, self->evfd, 1, VIRT_C);
}

TEST_F(vevent, read_and_poll)
{
	__u32 stdev2, idev2;
	char ev[128];

	if (!self->test_cmd)
		SKIP(return, NO_TEST_CMD);
	/* Empty: no wait, nothing to read */
	ASSERT_EQ(0, ev_pending(self->evfd));
	ASSERT_EQ(0, read(self->evfd, ev, sizeof(ev)));

	ASSERT_EQ(0, trigger_vevent(self->fd, self->idev_id));
	ASSERT_EQ(1, ev_pending(self->evfd));
	ASSERT_EQ(1, ev_pending(self->evfd));
	ASSERT_EQ(REC_LEN, read(self->evfd, ev, sizeof(ev)));
	expect_rec(_metadata, ev, 0, VIRT_A);
	ASSERT_EQ(0, ev_pending(self->evfd));
	ASSERT_EQ(0, read(self->evfd, ev, sizeof(ev)));

	/* Two at once, in order */
	trigger_n(_metadata, self->fd, self->idev_id, 2);
	ASSERT_EQ(2 * REC_LEN, read(self->evfd, ev, sizeof(ev)));
	expect_rec(_metadata, ev, 1, VIRT_A);
	expect_rec(_metadata, ev + REC_LEN, 2, VIRT_A);
	ASSERT_EQ(0, ev_pending(self->evfd));

	/* Devices of one vIOMMU share its queue and its sequence */
	vdev_device(_metadata, self->fd, self->ioas_id, self->viommu_id, VIRT_B,
		    &stdev2, &idev2, NULL);
	ASSERT_EQ(0, trigger_vevent(self->fd, self->idev_id));
	ASSERT_EQ(0, trigger_vevent(self->fd, idev2));
	ASSERT_EQ(0, trigger_vevent(self->fd, self->idev_id));
	ASSERT_EQ(1, ev_pending(self->evfd));
	ASSERT_EQ(3 * REC_LEN, read(self->evfd, ev, sizeof(ev)));
	expect_rec(_metadata, ev, 3, VIRT_A);
	expect_rec(_metadata, ev + REC_LEN, 4, VIRT_B);
	expect_rec(_metadata, ev + 2 * REC_LEN, 5, VIRT_A);
	ASSERT_EQ(0, ev_pending(self->evfd));
	ASSERT_EQ(0, read(self->evfd, ev, sizeof(ev)));
}

/* A read() returns whole records only, as many as fit */
TEST_F(vevent, read_buffer_sizes)
{
	static const size_t too_small[] = { 1, HDR_LEN, REC_LEN - 1 };
	char ev[64];
	unsigned int i;

	if (!self->test_cmd)
		SKIP(return, NO_TEST_CMD);
	trigger_n(_metadata, self->fd, self->idev_id, 3);
	for (i = 0; i != ARRAY_SIZE(too_small); i++) {
		errno = 0;
		ASSERT_EQ(-1, read(self->evfd, ev, too_small[i]))
			TH_LOG("%zu bytes", too_small[i]);
		ASSERT_EQ(EINVAL, errno) TH_LOG("%zu bytes", too_small[i]);
	}
	/* Nothing was taken by those */
	ASSERT_EQ(1, ev_pending(self->evfd));
	/* Two and a half records: two */
	ASSERT_EQ(2 * REC_LEN, read(self->evfd, ev, 2 * REC_LEN + REC_LEN / 2));
	expect_rec(_metadata, ev, 0, VIRT_A);
	expect_rec(_metadata, ev + REC_LEN, 1, VIRT_A);
	ASSERT_EQ(1, ev_pending(self->evfd));
	/* Exactly one record */
	ASSERT_EQ(REC_LEN, read(self->evfd, ev, REC_LEN));
	expect_rec(_metadata, ev, 2, VIRT_A);
	ASSERT_EQ(0, ev_pending(self->evfd));
	/* One and almost another */
	trigger_n(_metadata, self->fd, self->idev_id, 2);
	ASSERT_EQ(REC_LEN, read(self->evfd, ev, 2 * REC_LEN - 1));
	expect_rec(_metadata, ev, 3, VIRT_A);
	ASSERT_EQ(REC_LEN, read(self->evfd, ev, 2 * REC_LEN - 1));
	expect_rec(_metadata, ev, 4, VIRT_A);
	ASSERT_EQ(0, read(self->evfd, ev, sizeof(ev)));
}

/* A full queue drops events and tells so once, with the last lost */
TEST_F(vevent, overflow)
{
	char ev[VQ_DEPTH * REC_LEN + 64];
	unsigned int i;

	if (!self->test_cmd)
		SKIP(return, NO_TEST_CMD);
	trigger_n(_metadata, self->fd, self->idev_id, VQ_DEPTH + 3);
	/* A buffer of VQ_DEPTH records: the events */
	ASSERT_EQ(VQ_DEPTH * REC_LEN, read(self->evfd, ev, VQ_DEPTH * REC_LEN));
	for (i = 0; i != VQ_DEPTH; i++)
		expect_rec(_metadata, ev + i * REC_LEN, i, VIRT_A);
	/* then the header of the lost ones, without event data */
	ASSERT_EQ(HDR_LEN, read(self->evfd, ev, sizeof(ev)));
	expect_lost(_metadata, ev, VQ_DEPTH + 2);
	ASSERT_EQ(0, ev_pending(self->evfd));
	ASSERT_EQ(0, read(self->evfd, ev, sizeof(ev)));
	/* The lost events had their sequence numbers */
	trigger_read_one(_metadata, self->fd, self->idev_id, self->evfd,
			 VQ_DEPTH + 3, VIRT_A);

	/* Again, one over, read at once */
	trigger_n(_metadata, self->fd, self->idev_id, VQ_DEPTH + 1);
	ASSERT_EQ(VQ_DEPTH * REC_LEN + HDR_LEN,
		  read(self->evfd, ev, sizeof(ev)));
	for (i = 0; i != VQ_DEPTH; i++)
		expect_rec(_metadata, ev + i * REC_LEN, VQ_DEPTH + 4 + i,
			   VIRT_A);
	expect_lost(_metadata, ev + VQ_DEPTH * REC_LEN, 2 * VQ_DEPTH + 4);
	ASSERT_EQ(0, read(self->evfd, ev, sizeof(ev)));
	trigger_read_one(_metadata, self->fd, self->idev_id, self->evfd,
			 2 * VQ_DEPTH + 5, VIRT_A);
}

/*
 * The lost-events header moves behind events queued after it when more
 * are lost, so that sequence numbers rise along what is read; the
 * earlier loss shows as a gap.
 */
TEST_F(vevent, lost_header_moves_to_tail)
{
	char ev[VQ_DEPTH * REC_LEN + 64];
	unsigned int i;

	if (!self->test_cmd)
		SKIP(return, NO_TEST_CMD);
	/* Full, then event VQ_DEPTH lost */
	trigger_n(_metadata, self->fd, self->idev_id, VQ_DEPTH + 1);
	/* Room for one: event VQ_DEPTH + 1 is queued, + 2 lost again */
	ASSERT_EQ(REC_LEN, read(self->evfd, ev, REC_LEN));
	expect_rec(_metadata, ev, 0, VIRT_A);
	trigger_n(_metadata, self->fd, self->idev_id, 2);

	ASSERT_EQ(VQ_DEPTH * REC_LEN + HDR_LEN,
		  read(self->evfd, ev, sizeof(ev)));
	for (i = 1; i != VQ_DEPTH; i++)
		expect_rec(_metadata, ev + (i - 1) * REC_LEN, i, VIRT_A);
	expect_rec(_metadata, ev + (VQ_DEPTH - 1) * REC_LEN, VQ_DEPTH + 1,
		   VIRT_A);
	expect_lost(_metadata, ev + VQ_DEPTH * REC_LEN, VQ_DEPTH + 2);
	ASSERT_EQ(0, read(self->evfd, ev, sizeof(ev)));
}

/* A queue of depth 1 holds one event */
TEST_F(vevent, depth_one)
{
	__u32 idev2, veventq2;
	char ev[64];

	if (!self->test_cmd)
		SKIP(return, NO_TEST_CMD);
	other_viommu(_metadata, self->fd, self->idev_id, self->ioas_id,
		     self->parent_id, 1, VIRT_B, &veventq2, &self->evfd2,
		     &idev2);
	trigger_n(_metadata, self->fd, idev2, 2);
	ASSERT_EQ(REC_LEN + HDR_LEN, read(self->evfd2, ev, sizeof(ev)));
	expect_rec(_metadata, ev, 0, VIRT_B);
	expect_lost(_metadata, ev + REC_LEN, 1);
	trigger_read_one(_metadata, self->fd, idev2, self->evfd2, 2, VIRT_B);
	/* Nothing reached the other vIOMMU's queue */
	ASSERT_EQ(0, read(self->evfd, ev, sizeof(ev)));
	close_fd(_metadata, &self->evfd2);
}

/* Every queue counts its own events */
TEST_F(vevent, sequence_per_queue)
{
	__u32 idev2, veventq2;
	char ev[128];

	if (!self->test_cmd)
		SKIP(return, NO_TEST_CMD);
	/* The same virtual ID, in another vIOMMU */
	other_viommu(_metadata, self->fd, self->idev_id, self->ioas_id,
		     self->parent_id, 8, VIRT_A, &veventq2, &self->evfd2,
		     &idev2);
	ASSERT_NE(self->evfd, self->evfd2);

	ASSERT_EQ(0, trigger_vevent(self->fd, self->idev_id));
	ASSERT_EQ(0, trigger_vevent(self->fd, self->idev_id));
	ASSERT_EQ(0, trigger_vevent(self->fd, idev2));
	ASSERT_EQ(0, trigger_vevent(self->fd, self->idev_id));
	ASSERT_EQ(0, trigger_vevent(self->fd, idev2));
	ASSERT_EQ(3 * REC_LEN, read(self->evfd, ev, sizeof(ev)));
	expect_rec(_metadata, ev, 0, VIRT_A);
	expect_rec(_metadata, ev + REC_LEN, 1, VIRT_A);
	expect_rec(_metadata, ev + 2 * REC_LEN, 2, VIRT_A);
	ASSERT_EQ(2 * REC_LEN, read(self->evfd2, ev, sizeof(ev)));
	expect_rec(_metadata, ev, 0, VIRT_A);
	expect_rec(_metadata, ev + REC_LEN, 1, VIRT_A);
	ASSERT_EQ(0, read(self->evfd2, ev, sizeof(ev)));
	ASSERT_EQ(0, read(self->evfd, ev, sizeof(ev)));
	close_fd(_metadata, &self->evfd2);
	ASSERT_EQ(0, destroy(self->fd, veventq2));
}

/* The open file holds the queue, the queue holds the vIOMMU */
TEST_F(vevent, file_holds_queue)
{
	__u32 veventq2;

	if (!self->test_cmd)
		SKIP(return, NO_TEST_CMD);
	ASSERT_ERRNO(EBUSY, destroy(self->fd, self->veventq_id));
	ASSERT_ERRNO(EBUSY, destroy(self->fd, self->viommu_id));
	ASSERT_EQ(0, destroy(self->fd, self->vdev_id));
	ASSERT_ERRNO(EBUSY, destroy(self->fd, self->viommu_id));
	ASSERT_ERRNO(EBUSY, destroy(self->fd, self->veventq_id));
	ASSERT_EQ(0, vdevice_alloc(self->fd, self->viommu_id, self->idev_id,
				   VIRT_B, &self->vdev_id));
	trigger_read_one(_metadata, self->fd, self->idev_id, self->evfd, 0,
			 VIRT_B);

	/* Closed, the file lets it go; until then it is still there */
	close_fd(_metadata, &self->evfd);
	ASSERT_ERRNO(EEXIST, veventq_alloc(self->fd, self->viommu_id, VQ_TYPE,
					   VQ_DEPTH, NULL, NULL));
	ASSERT_ERRNO(EBUSY, destroy(self->fd, self->viommu_id));
	ASSERT_EQ(0, destroy(self->fd, self->veventq_id));
	ASSERT_ERRNO(ENOENT, destroy(self->fd, self->veventq_id));
	ASSERT_ERRNO(EOPNOTSUPP, trigger_vevent(self->fd, self->idev_id));

	/* A new queue counts from 0 again */
	ASSERT_EQ(0, veventq_alloc(self->fd, self->viommu_id, VQ_TYPE, 2,
				   &veventq2, &self->evfd2));
	trigger_read_one(_metadata, self->fd, self->idev_id, self->evfd2, 0,
			 VIRT_B);
	ASSERT_EQ(0, destroy(self->fd, self->vdev_id));
	ASSERT_ERRNO(EBUSY, destroy(self->fd, self->viommu_id));
	close_fd(_metadata, &self->evfd2);
	ASSERT_EQ(0, destroy(self->fd, veventq2));
	ASSERT_EQ(0, destroy(self->fd, self->viommu_id));
	ASSERT_EQ(0, destroy(self->fd, self->parent_id));
}

/*
 * Closing /dev/iommu with everything live and in use, the queue's file
 * still open with events in it; that file is closed after.
 */
TEST_F(vevent, close_context_before_queue_file)
{
	__u32 nested, stdev2, idev2;

	if (!self->test_cmd)
		SKIP(return, NO_TEST_CMD);
	attach_nested(_metadata, self->fd, self->idev_id, self->stdev_id,
		      self->viommu_id, &nested);
	vdev_device(_metadata, self->fd, self->ioas_id, self->viommu_id, VIRT_B,
		    &stdev2, &idev2, NULL);
	trigger_n(_metadata, self->fd, idev2, VQ_DEPTH + 1);
	ASSERT_EQ(1, ev_pending(self->evfd));

	close_fd(_metadata, &self->fd);
	close_fd(_metadata, &self->evfd);
	ASSERT_EQ(0, buf_unpinned(self->buf, BUF_SIZE));
}

/* The other way round: the queue's file first, then /dev/iommu */
TEST_F(vevent, close_queue_file_first)
{
	__u32 nested;

	if (!self->test_cmd)
		SKIP(return, NO_TEST_CMD);
	attach_nested(_metadata, self->fd, self->idev_id, self->stdev_id,
		      self->viommu_id, &nested);
	trigger_n(_metadata, self->fd, self->idev_id, 2);
	close_fd(_metadata, &self->evfd);
	close_fd(_metadata, &self->fd);
	ASSERT_EQ(0, buf_unpinned(self->buf, BUF_SIZE));
}

/*
 * A forked child shares the context and the queue's open file: its
 * events, invalidations and new objects are the parent's, and its exit
 * (closing its copies of both files) changes nothing.
 */
TEST_F(vevent, fork_child_uses_and_exits)
{
	struct iommu_viommu_invalidate_selftest inv = {
		.vdev_id = VIRT_A,
		.cache_id = 2,
	};
	__u32 vdev2, num;
	char ev[64];
	pid_t pid;

	if (!self->test_cmd)
		SKIP(return, NO_TEST_CMD);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		num = 1;
		if (trigger_vevent(self->fd, self->idev_id))
			_exit(1);
		if (hwpt_invalidate(self->fd, self->viommu_id, &inv,
				    VINV_TYPE, sizeof(inv), &num) || num != 1)
			_exit(2);
		/* The device has its vDEVICE already */
		if (!vdevice_alloc(self->fd, self->viommu_id, self->idev_id,
				   VIRT_B, NULL) || errno != EEXIST)
			_exit(3);
		if (destroy(self->fd, self->vdev_id))
			_exit(4);
		if (vdevice_alloc(self->fd, self->viommu_id, self->idev_id,
				  VIRT_B, &vdev2))
			_exit(5);
		_exit(close(self->evfd) || close(self->fd) ? 6 : 0);
	}
	ASSERT_EQ(0, wait_child(pid));

	/* The child's event waits in the parent's copy of the queue */
	ASSERT_EQ(REC_LEN, read(self->evfd, ev, sizeof(ev)));
	expect_rec(_metadata, ev, 0, VIRT_A);
	ASSERT_EQ(0, dev_check_cache(self->fd, self->idev_id, 2, 0));
	ASSERT_EQ(0, dev_check_cache(self->fd, self->idev_id, 1,
				     CACHE_DEFAULT));
	/* and the vDEVICE it made in place of the first one */
	ASSERT_ERRNO(EEXIST, vdevice_alloc(self->fd, self->viommu_id,
					   self->idev_id, VIRT_C, NULL));
	trigger_read_one(_metadata, self->fd, self->idev_id, self->evfd, 1,
			 VIRT_B);
	ASSERT_ERRNO(EBUSY, destroy(self->fd, self->viommu_id));
}

TEST_HARNESS_MAIN
