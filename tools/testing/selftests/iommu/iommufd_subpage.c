// SPDX-License-Identifier: GPL-2.0-only
/*
 * Mappings that do not start or end on a CPU page.
 *
 * The alignment an IOAS demands (out_iova_alignment of
 * IOMMU_IOAS_IOVA_RANGES) is the smallest page its hardware page tables
 * can map: 1 with none attached, so that any byte range of memory may be
 * given any IOVA; the mock IOMMU's page, half a CPU page, with a mock
 * domain; at least a CPU page while an emulated device that pins pages
 * is attached. The offset of the user address in its page counts like
 * the IOVA. A kernel-chosen IOVA keeps the user address's offset in its
 * page. Attaching something that needs a larger alignment than an
 * existing mapping has fails with EINVAL and changes nothing.
 *
 * Needs root and CONFIG_IOMMUFD_TEST (mock devices and accesses).
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
#include <unistd.h>

#include <linux/iommufd.h>

#include "../kselftest_harness.h"
#include "iommufd_utils.h"

#define BUF_SIZE SZ_64K
/* The mock IOMMU's page: half a CPU page */
#define MOCK_PAGE (PAGE_SZ / 2)
#define PAGE_SZ ((__u64)sysconf(_SC_PAGESIZE))
#define IOVA MOCK_APERTURE_START

static __u64 alignment_of(int fd, __u32 ioas_id)
{
	struct iommu_iova_range r[4];
	__u32 num = 4;
	__u64 align = 0;

	if (iova_ranges(fd, ioas_id, r, &num, &align))
		return 0;
	return align;
}

FIXTURE(subpage)
{
	long pins0;
	int fd;
	__u32 ioas_id;
	char *buf;
	bool test_cmd;
	/* An access holding the context while it pins, -1 once closed */
	int access_fd;
};

FIXTURE_SETUP(subpage)
{
	unsigned int i;

	self->pins0 = foll_pins();
	self->access_fd = -1;
	self->fd = open(IOMMUFD_DEV, O_RDWR);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, ioas_alloc(self->fd, &self->ioas_id));
	self->buf = mmap(NULL, BUF_SIZE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->buf);
	for (i = 0; i < BUF_SIZE; i++)
		self->buf[i] = i * 7 + i / 4096;
	self->test_cmd = have_test_cmd(self->fd);
}

FIXTURE_TEARDOWN(subpage)
{
	if (self->access_fd >= 0)
		close(self->access_fd);
	close(self->fd);
	munmap(self->buf, BUF_SIZE);
	EXPECT_PINS_RELEASED(self->pins0);
}

TEST_F(subpage, alignment_follows_what_is_attached)
{
	__u32 stdev, access_fd, access2_fd;

	/* Nothing attached: any byte */
	ASSERT_EQ(1, alignment_of(self->fd, self->ioas_id));
	if (!self->test_cmd)
		SKIP(return, NO_TEST_CMD);

	/* An access that only copies needs nothing more */
	ASSERT_EQ(0, create_access(self->fd, self->ioas_id, 0,
				   (int *)&access_fd));
	ASSERT_EQ(1, alignment_of(self->fd, self->ioas_id));
	/* One that pins needs whole pages */
	ASSERT_EQ(0, create_access(self->fd, self->ioas_id,
				   MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES,
				   (int *)&access2_fd));
	ASSERT_EQ(PAGE_SZ, alignment_of(self->fd, self->ioas_id));
	close(access2_fd);
	ASSERT_EQ(1, alignment_of(self->fd, self->ioas_id));

	/* The mock domain's page */
	ASSERT_EQ(0, mock_domain(self->fd, self->ioas_id, &stdev, NULL, NULL));
	ASSERT_EQ(MOCK_PAGE, alignment_of(self->fd, self->ioas_id));
	ASSERT_EQ(0, destroy(self->fd, stdev));
	ASSERT_EQ(1, alignment_of(self->fd, self->ioas_id));
	close(access_fd);
}

TEST_F(subpage, any_byte_range_without_domain)
{
	char out[300];
	int access_fd;
	__u64 iova = 0, len;

	/* Odd address, odd length, odd IOVA */
	ASSERT_EQ(0, ioas_map_fixed(self->fd, self->ioas_id, self->buf + 101,
				    299, IOVA + 5));
	/* The kernel keeps the user address's offset in its page */
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas_id, MAP_RW,
			      self->buf + 0x123, 0x2000, &iova));
	ASSERT_EQ(0x123, iova % PAGE_SZ);
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas_id, MAP_RW,
			      self->buf + PAGE_SZ - 1, 2, &iova));
	ASSERT_EQ(PAGE_SZ - 1, iova % PAGE_SZ);

	if (self->test_cmd) {
		/* The bytes are the ones mapped, across the page boundary */
		ASSERT_EQ(0, create_access(self->fd, self->ioas_id, 0,
					   &access_fd));
		ASSERT_EQ(0, access_rw(self->fd, access_fd, iova, out, 2, 0));
		ASSERT_EQ(0, memcmp(out, self->buf + PAGE_SZ - 1, 2));
		ASSERT_EQ(0, access_rw(self->fd, access_fd, IOVA + 5, out,
				       299, 0));
		ASSERT_EQ(0, memcmp(out, self->buf + 101, 299));
		close(access_fd);
	}

	/* A length whose pages cannot be counted, from address 0 */
	ASSERT_ERRNO(EINVAL, ioas_map_fixed(self->fd, self->ioas_id, NULL,
					    UINT64_MAX - SZ_4K + 1, 0));
	ASSERT_ERRNO(EINVAL, ioas_map_fixed(self->fd, self->ioas_id, NULL,
					    UINT64_MAX, 0));

	/* Unmapping takes the exact range */
	ASSERT_ERRNO(ENOENT, ioas_unmap(self->fd, self->ioas_id, IOVA + 5,
					298, &len));
	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas_id, IOVA + 5, 299,
				&len));
	ASSERT_EQ(299, len);
}

TEST_F(subpage, adjacent_areas_sharing_a_page)
{
	char out[256];
	int access_fd;

	if (!self->test_cmd)
		SKIP(return, NO_TEST_CMD);
	/* Two halves of one IOVA page from two different pages of memory */
	ASSERT_EQ(0, ioas_map_fixed(self->fd, self->ioas_id, self->buf + 100,
				    100, IOVA));
	ASSERT_EQ(0, ioas_map_fixed(self->fd, self->ioas_id,
				    self->buf + 3 * PAGE_SZ + 1000, 100,
				    IOVA + 100));
	ASSERT_EQ(0, create_access(self->fd, self->ioas_id, 0, &access_fd));
	ASSERT_EQ(0, access_rw(self->fd, access_fd, IOVA + 50, out, 100, 0));
	ASSERT_EQ(0, memcmp(out, self->buf + 150, 50));
	ASSERT_EQ(0, memcmp(out + 50, self->buf + 3 * PAGE_SZ + 1000, 50));

	/* Writes go to the right bytes and nowhere else */
	memset(out, 0xee, sizeof(out));
	ASSERT_EQ(0, access_rw(self->fd, access_fd, IOVA + 99, out, 2,
			       MOCK_ACCESS_RW_WRITE));
	ASSERT_EQ((char)0xee, self->buf[199]);
	ASSERT_EQ((char)0xee, self->buf[3 * PAGE_SZ + 1000]);
	ASSERT_NE((char)0xee, self->buf[200]);
	ASSERT_NE((char)0xee, self->buf[3 * PAGE_SZ + 1001]);
	/* The slow path (a call per page, as a kernel thread) agrees */
	ASSERT_EQ(0, access_rw(self->fd, access_fd, IOVA + 50, out, 100,
			       MOCK_ACCESS_RW_SLOW_PATH));
	ASSERT_EQ(0, memcmp(out, self->buf + 150, 50));
	ASSERT_EQ(0, memcmp(out + 50, self->buf + 3 * PAGE_SZ + 1000, 50));
	close(access_fd);
}

TEST_F(subpage, copy_of_a_byte_range)
{
	__u32 ioas2;
	__u64 dst = 0;
	char out[64];
	int access_fd;

	if (!self->test_cmd)
		SKIP(return, NO_TEST_CMD);
	ASSERT_EQ(0, ioas_alloc(self->fd, &ioas2));
	ASSERT_EQ(0, ioas_map_fixed(self->fd, self->ioas_id, self->buf + 10,
				    3 * PAGE_SZ, IOVA));
	/* A copy from inside the area, crossing a page of memory */
	ASSERT_EQ(0, ioas_copy(self->fd, ioas2, self->ioas_id, MAP_RW,
			       IOVA + PAGE_SZ - 40, 64, &dst));
	/* Memory offset: 10 + PAGE_SZ - 40 */
	ASSERT_EQ(PAGE_SZ - 30, dst % PAGE_SZ);
	ASSERT_EQ(0, create_access(self->fd, ioas2, 0, &access_fd));
	ASSERT_EQ(0, access_rw(self->fd, access_fd, dst, out, 64, 0));
	ASSERT_EQ(0, memcmp(out, self->buf + PAGE_SZ - 30, 64));
	close(access_fd);
}

/*
 * The type1 v1 API cuts a mapping inside its last CPU page (the mock
 * IOMMU maps half pages): both pieces then show that page, which stays
 * pinned, once, for as long as either is mapped.
 */
TEST_F(subpage, type1_cut_inside_the_last_page)
{
	__u32 hwpt;
	__u64 len;

	if (!self->test_cmd)
		SKIP(return, NO_TEST_CMD);
	ASSERT_EQ(0, vfio_ioas(self->fd, IOMMU_VFIO_IOAS_SET,
			       &self->ioas_id));
	ASSERT_EQ(0, ioctl(self->fd, VFIO_SET_IOMMU, VFIO_TYPE1_IOMMU));
	ASSERT_EQ(0, mock_domain(self->fd, self->ioas_id, NULL, &hwpt, NULL));
	ASSERT_EQ(0, type1_map(self->fd, self->buf, IOVA, 2 * PAGE_SZ, T1_RW));
	ASSERT_EQ(0, md_check_refs(self->fd, self->buf, 2 * PAGE_SZ, 1));

	/* Three mock pages: the cut falls inside the second CPU page */
	ASSERT_EQ(0, type1_unmap(self->fd, IOVA, 3 * MOCK_PAGE, 0, &len));
	ASSERT_EQ(3 * MOCK_PAGE, len);
	ASSERT_ERRNO(EINVAL, md_check_map(self->fd, hwpt, IOVA, self->buf,
					  MOCK_PAGE));
	ASSERT_EQ(0, md_check_map(self->fd, hwpt, IOVA + 3 * MOCK_PAGE,
				  self->buf + 3 * MOCK_PAGE, MOCK_PAGE));
	ASSERT_EQ(0, md_check_refs(self->fd, self->buf, PAGE_SZ, 0));
	ASSERT_EQ(0, md_check_refs(self->fd, self->buf + PAGE_SZ, PAGE_SZ, 1));

	ASSERT_EQ(0, type1_unmap(self->fd, 0, 0, VFIO_DMA_UNMAP_FLAG_ALL,
				 &len));
	ASSERT_EQ(MOCK_PAGE, len);
	ASSERT_EQ(0, md_check_refs(self->fd, self->buf, 2 * PAGE_SZ, 0));
}

TEST_F(subpage, attach_refuses_what_it_cannot_map)
{
	__u32 stdev, hwpt;
	int access_fd;
	__u64 len;

	if (!self->test_cmd)
		SKIP(return, NO_TEST_CMD);
	ASSERT_EQ(0, ioas_map_fixed(self->fd, self->ioas_id, self->buf,
				    4 * PAGE_SZ, IOVA));
	ASSERT_EQ(0, ioas_map_fixed(self->fd, self->ioas_id, self->buf + 100,
				    MOCK_PAGE, IOVA + 8 * PAGE_SZ));

	ASSERT_ERRNO(EINVAL, mock_domain(self->fd, self->ioas_id, NULL, NULL,
					 NULL));
	ASSERT_ERRNO(EINVAL, create_access(self->fd, self->ioas_id,
					   MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES,
					   &access_fd));
	/* Nothing changed: still any byte, nothing pinned */
	ASSERT_EQ(1, alignment_of(self->fd, self->ioas_id));
	ASSERT_EQ(0, md_check_refs(self->fd, self->buf, 4 * PAGE_SZ, 0));

	/* Once the odd mapping is gone, both attach */
	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas_id, IOVA + 8 * PAGE_SZ,
				MOCK_PAGE, &len));
	ASSERT_EQ(0, mock_domain(self->fd, self->ioas_id, &stdev, &hwpt,
				 NULL));
	ASSERT_EQ(0, md_check_map(self->fd, hwpt, IOVA, self->buf,
				  4 * PAGE_SZ));
	ASSERT_EQ(0, create_access(self->fd, self->ioas_id,
				   MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES,
				   &access_fd));
	self->access_fd = access_fd;
	ASSERT_EQ(PAGE_SZ, alignment_of(self->fd, self->ioas_id));
	self->access_fd = -1;
	close(access_fd);
}

TEST_F(subpage, mock_domain_maps_half_pages)
{
	__u32 stdev, hwpt;
	__u64 iova = 0, len;

	if (!self->test_cmd)
		SKIP(return, NO_TEST_CMD);
	ASSERT_EQ(0, mock_domain(self->fd, self->ioas_id, &stdev, &hwpt,
				 NULL));

	/* From the second half of a page, three mock pages long */
	ASSERT_EQ(0, ioas_map_fixed(self->fd, self->ioas_id,
				    self->buf + MOCK_PAGE, 3 * MOCK_PAGE,
				    IOVA + MOCK_PAGE));
	ASSERT_EQ(0, md_check_map(self->fd, hwpt, IOVA + MOCK_PAGE,
				  self->buf + MOCK_PAGE, 3 * MOCK_PAGE));
	/* Not the first half, not the page after */
	ASSERT_ERRNO(EINVAL, md_check_map(self->fd, hwpt, IOVA, self->buf,
					  MOCK_PAGE));
	ASSERT_ERRNO(EINVAL, md_check_map(self->fd, hwpt,
					  IOVA + 4 * MOCK_PAGE,
					  self->buf + 4 * MOCK_PAGE,
					  MOCK_PAGE));
	/* Both pages touched are pinned, once */
	ASSERT_EQ(0, md_check_refs(self->fd, self->buf, 2 * PAGE_SZ, 1));

	/* The other half of the first page, mapped on its own: pinned twice */
	ASSERT_EQ(0, ioas_map_fixed(self->fd, self->ioas_id, self->buf,
				    MOCK_PAGE, IOVA + 16 * PAGE_SZ));
	ASSERT_EQ(0, md_check_refs(self->fd, self->buf, PAGE_SZ, 2));

	/* A kernel-chosen IOVA keeps the half */
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas_id, MAP_RW,
			      self->buf + 5 * MOCK_PAGE, MOCK_PAGE, &iova));
	ASSERT_EQ(MOCK_PAGE, iova % PAGE_SZ);
	ASSERT_EQ(0, md_check_map(self->fd, hwpt, iova,
				  self->buf + 5 * MOCK_PAGE, MOCK_PAGE));

	/* Off the mock page: address, IOVA or length */
	ASSERT_ERRNO(EINVAL, ioas_map_fixed(self->fd, self->ioas_id,
					    self->buf + 100, MOCK_PAGE,
					    IOVA + 32 * PAGE_SZ));
	ASSERT_ERRNO(EINVAL, ioas_map_fixed(self->fd, self->ioas_id,
					    self->buf, MOCK_PAGE,
					    IOVA + 32 * PAGE_SZ + 100));
	ASSERT_ERRNO(EINVAL, ioas_map_fixed(self->fd, self->ioas_id,
					    self->buf, MOCK_PAGE + 1,
					    IOVA + 32 * PAGE_SZ));

	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas_id, 0, UINT64_MAX,
				&len));
	ASSERT_EQ(5 * MOCK_PAGE, len);
	ASSERT_EQ(0, md_check_refs(self->fd, self->buf, BUF_SIZE, 0));
}

TEST_HARNESS_MAIN
