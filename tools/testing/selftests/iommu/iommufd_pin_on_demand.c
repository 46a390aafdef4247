// SPDX-License-Identifier: GPL-2.0-only
/*
 * When user memory behind an IOAS is pinned, and what that costs whom.
 *
 * iommufd pins on demand, as upstream Linux does: IOMMU_IOAS_MAP only
 * records the range. The pages are pinned, and charged to the memlock
 * limit, while a domain (HWPT) must map them or an access pins them, and
 * no longer:
 *  - an IOAS without domains pins and charges nothing, whatever is mapped
 *    (even memory that could never be pinned, or more than the limit);
 *  - attaching the first domain pins every area and fails, changing
 *    nothing, with EFAULT (memory that cannot be pinned, or whose process
 *    exited) or ENOMEM (over the limit);
 *  - detaching the last domain unpins and uncharges everything;
 *  - an access pins exactly the pages it asks for, once each.
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
#include <sys/wait.h>
#include <unistd.h>

#include <linux/iommufd.h>

#include "../kselftest_harness.h"
#include "iommufd_utils.h"

#define BUF_PAGES 256
#define BUF_SIZE (BUF_PAGES * SZ_4K)

FIXTURE(pin)
{
	long pins0;
	int fd;
	__u32 ioas_id;
	char *buf;
	long vmpin;
	bool test_cmd;
	/* The access a test made, -1 once the test closed it */
	int access_fd;
};

FIXTURE_SETUP(pin)
{
	self->pins0 = foll_pins();
	self->access_fd = -1;
	self->fd = open(IOMMUFD_DEV, O_RDWR);
	ASSERT_LE(0, self->fd);
	/* Charge the process (VmPin), which the tests can read */
	ASSERT_EQ(0, option_set(self->fd, IOMMU_OPTION_RLIMIT_MODE, 0, 1));
	ASSERT_EQ(0, ioas_alloc(self->fd, &self->ioas_id));
	self->buf = mmap(NULL, BUF_SIZE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->buf);
	memset(self->buf, 0x5a, BUF_SIZE);
	self->vmpin = vmpin_kb();
	ASSERT_LE(0, self->vmpin);
	self->test_cmd = have_test_cmd(self->fd);
}

FIXTURE_TEARDOWN(pin)
{
	if (self->access_fd >= 0)
		close(self->access_fd);
	close(self->fd);
	munmap(self->buf, BUF_SIZE);
	/* Everything went with the context */
	EXPECT_EQ(self->vmpin, vmpin_kb());
	EXPECT_PINS_RELEASED(self->pins0);
}

/* The mock aperture starts at 16 MiB: map there so that domains fit */
#define IOVA MOCK_APERTURE_START

TEST_F(pin, map_without_domain_pins_nothing)
{
	__u64 len;

	if (!self->test_cmd)
		SKIP(return, NO_TEST_CMD);
	ASSERT_EQ(0, ioas_map_fixed(self->fd, self->ioas_id, self->buf,
				    BUF_SIZE, IOVA));
	ASSERT_EQ(0, md_check_refs(self->fd, self->buf, BUF_SIZE, 0));
	ASSERT_EQ(self->vmpin, vmpin_kb());
	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas_id, IOVA, BUF_SIZE,
				&len));
	ASSERT_EQ(BUF_SIZE, len);
	ASSERT_EQ(self->vmpin, vmpin_kb());
}

TEST_F(pin, attach_pins_and_detach_unpins)
{
	__u32 stdev, hwpt;

	if (!self->test_cmd)
		SKIP(return, NO_TEST_CMD);
	ASSERT_EQ(0, ioas_map_fixed(self->fd, self->ioas_id, self->buf,
				    BUF_SIZE, IOVA));
	ASSERT_EQ(0, mock_domain(self->fd, self->ioas_id, &stdev, &hwpt,
				 NULL));
	ASSERT_EQ(0, md_check_refs(self->fd, self->buf, BUF_SIZE, 1));
	ASSERT_EQ(self->vmpin + BUF_SIZE / 1024, vmpin_kb());
	ASSERT_EQ(0, md_check_map(self->fd, hwpt, IOVA, self->buf, BUF_SIZE));

	/* A second domain shares the pins */
	ASSERT_EQ(0, mock_domain(self->fd, self->ioas_id, NULL, NULL, NULL));
	ASSERT_EQ(0, md_check_refs(self->fd, self->buf, BUF_SIZE, 1));

	/* Destroying the first device leaves one domain: still pinned */
	ASSERT_EQ(0, destroy(self->fd, stdev));
	ASSERT_EQ(0, md_check_refs(self->fd, self->buf, BUF_SIZE, 1));
	ASSERT_EQ(self->vmpin + BUF_SIZE / 1024, vmpin_kb());
}

TEST_F(pin, last_domain_gone_unpins_and_uncharges)
{
	__u32 stdev, hwpt;

	if (!self->test_cmd)
		SKIP(return, NO_TEST_CMD);
	ASSERT_EQ(0, mock_domain(self->fd, self->ioas_id, &stdev, &hwpt,
				 NULL));
	/* With a domain, the map pins at once */
	ASSERT_EQ(0, ioas_map_fixed(self->fd, self->ioas_id, self->buf,
				    BUF_SIZE, IOVA));
	ASSERT_EQ(0, md_check_refs(self->fd, self->buf, BUF_SIZE, 1));
	ASSERT_EQ(self->vmpin + BUF_SIZE / 1024, vmpin_kb());

	ASSERT_EQ(0, destroy(self->fd, stdev));
	ASSERT_EQ(0, md_check_refs(self->fd, self->buf, BUF_SIZE, 0));
	ASSERT_EQ(self->vmpin, vmpin_kb());

	/* And again when a domain comes back */
	ASSERT_EQ(0, mock_domain(self->fd, self->ioas_id, NULL, &hwpt, NULL));
	ASSERT_EQ(0, md_check_refs(self->fd, self->buf, BUF_SIZE, 1));
	ASSERT_EQ(0, md_check_map(self->fd, hwpt, IOVA, self->buf, BUF_SIZE));
}

TEST_F(pin, unpinnable_memory_fails_the_attach)
{
	long pg = sysconf(_SC_PAGESIZE);
	__u32 stdev, hwpt;
	__u64 len;
	char *p;

	if (!self->test_cmd)
		SKIP(return, NO_TEST_CMD);
	p = mmap(NULL, 4 * pg, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1,
		 0);
	ASSERT_NE(MAP_FAILED, p);

	/* Nothing checks the memory while nothing needs it */
	ASSERT_EQ(0, ioas_map_fixed(self->fd, self->ioas_id, self->buf,
				    BUF_SIZE, IOVA));
	ASSERT_EQ(0, ioas_map_fixed(self->fd, self->ioas_id, p, 4 * pg,
				    IOVA + BUF_SIZE));

	ASSERT_ERRNO(EFAULT, mock_domain(self->fd, self->ioas_id, NULL, NULL,
					 NULL));
	/* The good area is not left pinned by the failed attach */
	ASSERT_EQ(0, md_check_refs(self->fd, self->buf, BUF_SIZE, 0));
	ASSERT_EQ(self->vmpin, vmpin_kb());

	/* With a domain a map of such memory fails at once */
	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas_id, IOVA + BUF_SIZE,
				4 * pg, &len));
	ASSERT_EQ(0, mock_domain(self->fd, self->ioas_id, &stdev, &hwpt,
				 NULL));
	ASSERT_ERRNO(EFAULT, ioas_map_fixed(self->fd, self->ioas_id, p,
					    4 * pg, IOVA + BUF_SIZE));
	ASSERT_EQ(0, md_check_map(self->fd, hwpt, IOVA, self->buf, BUF_SIZE));
	ASSERT_EQ(self->vmpin + BUF_SIZE / 1024, vmpin_kb());
	munmap(p, 4 * pg);
}

TEST_F(pin, mapper_gone_fails_the_attach)
{
	__u32 stdev, hwpt;
	pid_t pid;
	__u64 len;

	if (!self->test_cmd)
		SKIP(return, NO_TEST_CMD);
	/* A child maps its own copy of the buffer and exits */
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		memset(self->buf, 0x77, BUF_SIZE);
		_exit(ioas_map_fixed(self->fd, self->ioas_id, self->buf,
				     BUF_SIZE, IOVA) ? 1 : 0);
	}
	ASSERT_EQ(0, wait_child(pid));

	/* Its memory is gone: nothing can be pinned for a domain */
	ASSERT_ERRNO(EFAULT, mock_domain(self->fd, self->ioas_id, NULL, NULL,
					 NULL));
	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas_id, IOVA, BUF_SIZE,
				&len));
	ASSERT_EQ(0, mock_domain(self->fd, self->ioas_id, &stdev, &hwpt,
				 NULL));
}

TEST_F(pin, mapper_gone_while_pinned_then_reattach)
{
	__u32 stdev, hwpt;
	int access_fd;
	pid_t pid;
	char c;

	if (!self->test_cmd)
		SKIP(return, NO_TEST_CMD);
	ASSERT_EQ(0, mock_domain(self->fd, self->ioas_id, &stdev, &hwpt,
				 NULL));
	ASSERT_EQ(0, create_access(self->fd, self->ioas_id, 0, &access_fd));
	self->access_fd = access_fd;
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		memset(self->buf, 0x77, BUF_SIZE);
		_exit(ioas_map_fixed(self->fd, self->ioas_id, self->buf,
				     BUF_SIZE, IOVA) ? 1 : 0);
	}
	ASSERT_EQ(0, wait_child(pid));
	/* Pinned while the child lived: the domain keeps its pages */
	ASSERT_EQ(0, access_rw(self->fd, access_fd, IOVA + 100, &c, 1,
			       0));
	ASSERT_EQ(0x77, c);

	/* Unpinned with the last domain, they cannot come back */
	ASSERT_EQ(0, destroy(self->fd, stdev));
	ASSERT_ERRNO(EFAULT, access_rw(self->fd, access_fd, IOVA + 100,
				       &c, 1, 0));
	ASSERT_ERRNO(EFAULT, mock_domain(self->fd, self->ioas_id, NULL, NULL,
					 NULL));
	self->access_fd = -1;
	close(access_fd);
}

TEST_F(pin, over_the_limit_fails_the_attach)
{
	pid_t pid;

	if (!self->test_cmd)
		SKIP(return, NO_TEST_CMD);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		__u32 stdev, hwpt;
		__u64 len;

		/* A limit of half the buffer */
		if (become_nobody(BUF_SIZE / 2))
			_exit(100);
		if (ioas_map_fixed(self->fd, self->ioas_id, self->buf,
				   BUF_SIZE, IOVA))
			_exit(101);
		if (vmpin_kb() != 0)
			_exit(102);
		if (mock_domain(self->fd, self->ioas_id, NULL, NULL, NULL) !=
		    -1 || errno != ENOMEM)
			_exit(103);
		if (vmpin_kb() != 0 ||
		    md_check_refs(self->fd, self->buf, BUF_SIZE, 0))
			_exit(104);
		/* Within the limit once half is unmapped: none of it... */
		if (ioas_unmap(self->fd, self->ioas_id, IOVA, BUF_SIZE, &len))
			_exit(105);
		if (ioas_map_fixed(self->fd, self->ioas_id, self->buf,
				   BUF_SIZE / 2, IOVA))
			_exit(106);
		if (mock_domain(self->fd, self->ioas_id, &stdev, &hwpt, NULL))
			_exit(107);
		if (vmpin_kb() != BUF_SIZE / 2 / 1024)
			_exit(108);
		/* ...and a map past the limit with a domain fails at once */
		if (ioas_map_fixed(self->fd, self->ioas_id,
				   self->buf + BUF_SIZE / 2, SZ_4K,
				   IOVA + BUF_SIZE) != -1 || errno != ENOMEM)
			_exit(109);
		_exit(0);
	}
	ASSERT_EQ(0, wait_child(pid));
}

TEST_F(pin, access_pins_only_its_pages)
{
	__u32 pages_id, pages_id2;
	int access_fd;

	if (!self->test_cmd)
		SKIP(return, NO_TEST_CMD);
	ASSERT_EQ(0, ioas_map_fixed(self->fd, self->ioas_id, self->buf,
				    BUF_SIZE, IOVA));
	ASSERT_EQ(0, create_access(self->fd, self->ioas_id,
				   MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES,
				   &access_fd));
	self->access_fd = access_fd;

	ASSERT_EQ(0, access_pages(self->fd, access_fd, IOVA + 8 * SZ_4K,
				  2 * SZ_4K, NULL, 0, &pages_id));
	ASSERT_EQ(0, md_check_refs(self->fd, self->buf, 8 * SZ_4K, 0));
	ASSERT_EQ(0, md_check_refs(self->fd, self->buf + 8 * SZ_4K,
				   2 * SZ_4K, 1));
	ASSERT_EQ(0, md_check_refs(self->fd, self->buf + 10 * SZ_4K,
				   BUF_SIZE - 10 * SZ_4K, 0));
	ASSERT_EQ(self->vmpin + 8, vmpin_kb());

	/* An overlapping pin shares the page pinned already */
	ASSERT_EQ(0, access_pages(self->fd, access_fd, IOVA + 9 * SZ_4K,
				  2 * SZ_4K, NULL, 0, &pages_id2));
	ASSERT_EQ(0, md_check_refs(self->fd, self->buf + 8 * SZ_4K,
				   3 * SZ_4K, 1));
	ASSERT_EQ(self->vmpin + 12, vmpin_kb());

	/* A domain pins the rest; access pins do not pin twice */
	ASSERT_EQ(0, mock_domain(self->fd, self->ioas_id, NULL, NULL, NULL));
	ASSERT_EQ(0, md_check_refs(self->fd, self->buf, BUF_SIZE, 1));
	ASSERT_EQ(self->vmpin + BUF_SIZE / 1024, vmpin_kb());

	ASSERT_EQ(0, destroy_access_pages(self->fd, access_fd, pages_id));
	ASSERT_EQ(0, md_check_refs(self->fd, self->buf, BUF_SIZE, 1));
	ASSERT_EQ(0, destroy_access_pages(self->fd, access_fd, pages_id2));
	ASSERT_EQ(0, md_check_refs(self->fd, self->buf, BUF_SIZE, 1));
	self->access_fd = -1;
	close(access_fd);
}

TEST_F(pin, access_pin_outlives_the_domain)
{
	__u32 stdev, pages_id;
	int access_fd;

	if (!self->test_cmd)
		SKIP(return, NO_TEST_CMD);
	ASSERT_EQ(0, mock_domain(self->fd, self->ioas_id, &stdev, NULL,
				 NULL));
	ASSERT_EQ(0, ioas_map_fixed(self->fd, self->ioas_id, self->buf,
				    BUF_SIZE, IOVA));
	ASSERT_EQ(0, create_access(self->fd, self->ioas_id,
				   MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES,
				   &access_fd));
	self->access_fd = access_fd;
	ASSERT_EQ(0, access_pages(self->fd, access_fd, IOVA + SZ_4K,
				  SZ_4K, NULL, 0, &pages_id));
	ASSERT_EQ(0, md_check_refs(self->fd, self->buf, BUF_SIZE, 1));

	/* Without the domain only the access's page stays pinned */
	ASSERT_EQ(0, destroy(self->fd, stdev));
	ASSERT_EQ(0, md_check_refs(self->fd, self->buf, SZ_4K, 0));
	ASSERT_EQ(0, md_check_refs(self->fd, self->buf + SZ_4K, SZ_4K, 1));
	ASSERT_EQ(0, md_check_refs(self->fd, self->buf + 2 * SZ_4K,
				   BUF_SIZE - 2 * SZ_4K, 0));
	ASSERT_EQ(self->vmpin + 4, vmpin_kb());

	ASSERT_EQ(0, destroy_access_pages(self->fd, access_fd, pages_id));
	ASSERT_EQ(0, md_check_refs(self->fd, self->buf, BUF_SIZE, 0));
	ASSERT_EQ(self->vmpin, vmpin_kb());
	self->access_fd = -1;
	close(access_fd);
}

TEST_F(pin, access_rw_without_domain_leaves_nothing_pinned)
{
	char out[3 * SZ_4K];
	int access_fd;

	if (!self->test_cmd)
		SKIP(return, NO_TEST_CMD);
	ASSERT_EQ(0, ioas_map_fixed(self->fd, self->ioas_id, self->buf,
				    BUF_SIZE, IOVA));
	ASSERT_EQ(0, create_access(self->fd, self->ioas_id, 0, &access_fd));
	self->access_fd = access_fd;
	self->buf[SZ_4K + 100] = 0x11;
	ASSERT_EQ(0, access_rw(self->fd, access_fd, IOVA + SZ_4K + 50,
			       out, sizeof(out), 0));
	ASSERT_EQ(0x11, out[50]);
	ASSERT_EQ(0x5a, out[49]);
	ASSERT_EQ(0, md_check_refs(self->fd, self->buf, BUF_SIZE, 0));
	ASSERT_EQ(self->vmpin, vmpin_kb());
	self->access_fd = -1;
	close(access_fd);
}

TEST_F(pin, copy_pins_only_what_a_domain_needs)
{
	__u32 ioas2, stdev2, hwpt2;
	__u64 dst = IOVA + 2 * BUF_SIZE, len;

	if (!self->test_cmd)
		SKIP(return, NO_TEST_CMD);
	ASSERT_EQ(0, ioas_alloc(self->fd, &ioas2));
	ASSERT_EQ(0, mock_domain(self->fd, ioas2, &stdev2, &hwpt2, NULL));
	ASSERT_EQ(0, ioas_map_fixed(self->fd, self->ioas_id, self->buf,
				    BUF_SIZE, IOVA));
	ASSERT_EQ(self->vmpin, vmpin_kb());

	/* 16 pages from page 4 go to an IOAS with a domain */
	ASSERT_EQ(0, ioas_copy_fixed(self->fd, ioas2, self->ioas_id,
				     IOVA + 4 * SZ_4K, 16 * SZ_4K, dst));
	ASSERT_EQ(0, md_check_refs(self->fd, self->buf, 4 * SZ_4K, 0));
	ASSERT_EQ(0, md_check_refs(self->fd, self->buf + 4 * SZ_4K,
				   16 * SZ_4K, 1));
	ASSERT_EQ(0, md_check_refs(self->fd, self->buf + 20 * SZ_4K,
				   BUF_SIZE - 20 * SZ_4K, 0));
	ASSERT_EQ(self->vmpin + 64, vmpin_kb());
	ASSERT_EQ(0, md_check_map(self->fd, hwpt2, dst,
				  self->buf + 4 * SZ_4K, 16 * SZ_4K));

	/* The source goes; the copy keeps its pages */
	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas_id, IOVA, BUF_SIZE,
				&len));
	ASSERT_EQ(0, md_check_refs(self->fd, self->buf + 4 * SZ_4K,
				   16 * SZ_4K, 1));
	ASSERT_EQ(self->vmpin + 64, vmpin_kb());
	ASSERT_EQ(0, ioas_unmap(self->fd, ioas2, dst, 16 * SZ_4K, &len));
	ASSERT_EQ(0, md_check_refs(self->fd, self->buf, BUF_SIZE, 0));
	ASSERT_EQ(self->vmpin, vmpin_kb());
}

/*
 * Exchange pages @a and @b of @buf (mremap() through a spare address),
 * so that they no longer lie in physical order.
 */
static int swap_pages(char *buf, unsigned int a, unsigned int b)
{
	void *spare, *p;

	spare = mmap(NULL, SZ_4K, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS,
		     -1, 0);
	if (spare == MAP_FAILED)
		return -1;
	p = mremap(buf + a * SZ_4K, SZ_4K, SZ_4K,
		   MREMAP_MAYMOVE | MREMAP_FIXED, spare);
	if (p != spare)
		return -1;
	p = mremap(buf + b * SZ_4K, SZ_4K, SZ_4K,
		   MREMAP_MAYMOVE | MREMAP_FIXED, buf + a * SZ_4K);
	if (p != buf + a * SZ_4K)
		return -1;
	p = mremap(spare, SZ_4K, SZ_4K, MREMAP_MAYMOVE | MREMAP_FIXED,
		   buf + b * SZ_4K);
	return p == buf + b * SZ_4K ? 0 : -1;
}

/*
 * The pinned pages of a range are recorded by chunks, each a run (the
 * pfn of its first page) while its pages lie in physical order and an
 * array of pfns from the first page that does not. Here an access pins
 * page 0 (a run), then a domain pins the rest, whose pages 1 and 3 were
 * swapped: the chunk becomes an array that must keep page 0's pfn. The
 * domain must map every page, and the access's page must be page 0.
 */
TEST_F(pin, pages_out_of_physical_order_are_mapped_right)
{
	__u32 pages_id, stdev, hwpt_id;
	int access_fd;

	if (!self->test_cmd)
		SKIP(return, NO_TEST_CMD);
	ASSERT_EQ(0, swap_pages(self->buf, 1, 3));
	self->buf[SZ_4K] = 1;
	self->buf[3 * SZ_4K] = 3;
	ASSERT_EQ(0, ioas_map_fixed(self->fd, self->ioas_id, self->buf,
				    BUF_SIZE, IOVA));
	ASSERT_EQ(0, create_access(self->fd, self->ioas_id,
				   MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES,
				   &access_fd));
	self->access_fd = access_fd;
	ASSERT_EQ(0, access_pages(self->fd, access_fd, IOVA, SZ_4K,
				  self->buf, 0, &pages_id));

	ASSERT_EQ(0, mock_domain(self->fd, self->ioas_id, &stdev, &hwpt_id,
				 NULL));
	ASSERT_EQ(0, md_check_map(self->fd, hwpt_id, IOVA, self->buf,
				  BUF_SIZE));
	ASSERT_EQ(0, md_check_refs(self->fd, self->buf, BUF_SIZE, 1));
	ASSERT_EQ(self->vmpin + BUF_SIZE / 1024, vmpin_kb());

	/* The access's pin outlives the domain */
	ASSERT_EQ(0, destroy(self->fd, stdev));
	ASSERT_EQ(0, md_check_refs(self->fd, self->buf, SZ_4K, 1));
	ASSERT_EQ(0, md_check_refs(self->fd, self->buf + SZ_4K,
				   BUF_SIZE - SZ_4K, 0));
	ASSERT_EQ(self->vmpin + 4, vmpin_kb());
	ASSERT_EQ(0, destroy_access_pages(self->fd, access_fd, pages_id));
	ASSERT_EQ(0, md_check_refs(self->fd, self->buf, BUF_SIZE, 0));
	ASSERT_EQ(self->vmpin, vmpin_kb());
	self->access_fd = -1;
	close(access_fd);
}

/*
 * Reserve @size bytes of address space with no memory behind it and map
 * them at IOVA; NULL on failure.
 */
static char *map_address_space(int fd, __u32 ioas_id, size_t size)
{
	char *p;

	p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		return NULL;
	if (ioas_map_fixed(fd, ioas_id, p, size, IOVA)) {
		munmap(p, size);
		return NULL;
	}
	return p;
}

/*
 * A large mapping of memory never touched costs no pinned page and no
 * page array while no domain needs it. 1 GiB of address space; the test
 * needs no memory behind it.
 */
TEST_F(pin, large_map_without_domain_costs_nothing)
{
	const size_t size = 1UL << 30;
	__u64 len;
	char *p;

	if (!self->test_cmd)
		SKIP(return, NO_TEST_CMD);
	p = map_address_space(self->fd, self->ioas_id, size);
	ASSERT_NE(NULL, p);
	ASSERT_EQ(self->vmpin, vmpin_kb());
	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas_id, IOVA, size, &len));
	ASSERT_EQ(size, len);
	munmap(p, size);
}

/*
 * What records the pinned pages grows with what is pinned, not with the
 * length of the mapping: one page pinned by an access out of 64 GiB of
 * address space. A page array for the whole range would be 128 MiB of
 * vmalloc; the regression fuzz seed 0x64db56bd58321b21 ran a small guest
 * out of memory that way.
 */
TEST_F(pin, access_pin_in_a_huge_map_costs_little)
{
	const size_t size = 64UL << 30;
	long vmalloc0, vmalloc1;
	__u32 pages_id;
	int access_fd;
	char *p;

	if (!self->test_cmd)
		SKIP(return, NO_TEST_CMD);
	p = map_address_space(self->fd, self->ioas_id, size);
	ASSERT_NE(NULL, p);
	ASSERT_EQ(0, create_access(self->fd, self->ioas_id,
				   MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES,
				   &access_fd));
	self->access_fd = access_fd;

	vmalloc0 = proc_kb("/proc/meminfo", "VmallocUsed: %ld kB");
	ASSERT_LE(0, vmalloc0);
	ASSERT_EQ(0, access_pages(self->fd, access_fd, IOVA + size / 2,
				  SZ_4K, NULL, 0, &pages_id));
	vmalloc1 = proc_kb("/proc/meminfo", "VmallocUsed: %ld kB");
	ASSERT_EQ(self->vmpin + 4, vmpin_kb());
	/* Other users of vmalloc may move it a little meanwhile */
	ASSERT_GT(1024, vmalloc1 - vmalloc0)
		TH_LOG("VmallocUsed grew by %ld kB", vmalloc1 - vmalloc0);

	ASSERT_EQ(0, destroy_access_pages(self->fd, access_fd, pages_id));
	ASSERT_EQ(self->vmpin, vmpin_kb());
	self->access_fd = -1;
	close(access_fd);
	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas_id, IOVA, size, NULL));
	munmap(p, size);
}

TEST_HARNESS_MAIN
