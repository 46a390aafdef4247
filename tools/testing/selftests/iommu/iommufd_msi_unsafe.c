// SPDX-License-Identifier: GPL-2.0-only
/*
 * Binding a device whose MSIs the platform does not isolate.
 *
 * Without interrupt remapping (x86: VT-d with the kernel option
 * intremap=off) or an ITS (arm64: a GICv2), a device given to userspace
 * could make DMA writes that raise other devices' interrupts. iommufd then
 * refuses to bind it (EPERM) unless the administrator set the module
 * parameter iommufd.allow_unsafe_interrupts, as VFIO's type1 does.
 *
 * These tests need such a boot and QEMU's edu device, and skip on any
 * other; harness/check-arch.sh makes one such boot per architecture, with
 * IOMMUFD_EXPECT_UNSAFE_MSI=1 in the environment, which turns the skip
 * for a boot that isolates MSIs into a failure.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/iommufd.h>

#include "../kselftest_harness.h"
#include "iommufd_utils.h"
#include "iommufd_edu.h"

FIXTURE(msi_unsafe) {
	long pins0;
	int iommufd;
	int devfd;
	char saved[8];
};

FIXTURE_SETUP(msi_unsafe)
{
	const char *expect = getenv("IOMMUFD_EXPECT_UNSAFE_MSI");
	char bdf[64], cdev[128];

	self->pins0 = foll_pins();
	self->iommufd = -1;
	self->devfd = -1;
	if (!booted_without_msi_isolation()) {
		ASSERT_FALSE(expect && !strcmp(expect, "1"))
			TH_LOG("this boot isolates MSIs, but should not");
		SKIP(return,
		     "MSIs are isolated (needs intremap=off, or a GIC without ITS)");
	}
	if (edu_find(1, 0, bdf, sizeof(bdf)) ||
	    edu_cdev_of(bdf, cdev, sizeof(cdev)))
		SKIP(return, "no edu device alone in its IOMMU group");
	ASSERT_EQ(0, read_sysfs(UNSAFE_PARAM, self->saved,
				sizeof(self->saved)));
	self->iommufd = open("/dev/iommu", O_RDWR);
	ASSERT_LE(0, self->iommufd);
	self->devfd = open(cdev, O_RDWR);
	ASSERT_LE(0, self->devfd);
}

/* No ASSERT here: 6.1's harness loops on one after a failed test. */
FIXTURE_TEARDOWN(msi_unsafe)
{
	if (self->devfd >= 0)
		close(self->devfd);
	if (self->iommufd >= 0)
		close(self->iommufd);
	if (self->saved[0])
		EXPECT_EQ(0, write_sysfs(UNSAFE_PARAM, self->saved));
	EXPECT_PINS_RELEASED(self->pins0);
}

/* The default: the device cannot be bound, and stays unbound */
TEST_F(msi_unsafe, bind_refused)
{
	ASSERT_EQ(0, write_sysfs(UNSAFE_PARAM, "N"));
	ASSERT_ERRNO(EPERM, bind_iommufd(self->devfd, self->iommufd, NULL));
	/* Refused again: the first attempt left nothing half bound. */
	ASSERT_ERRNO(EPERM, bind_iommufd(self->devfd, self->iommufd, NULL));
}

/* The administrator's opt-in lets the same device bind */
TEST_F(msi_unsafe, bind_allowed_by_parameter)
{
	__u32 devid = 0;

	ASSERT_EQ(0, write_sysfs(UNSAFE_PARAM, "Y"));
	ASSERT_EQ(0, bind_iommufd(self->devfd, self->iommufd, &devid));
	ASSERT_NE(0, devid);
}

TEST_HARNESS_MAIN
