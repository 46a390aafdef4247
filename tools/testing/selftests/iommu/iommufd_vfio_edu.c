// SPDX-License-Identifier: GPL-2.0-only
/*
 * Real DMA through an IOMMU mapping made with /dev/iommu: a tiny userspace
 * driver for QEMU's "edu" PCI device (1234:11e8), reached through its
 * VFIO device cdev bound to an iommufd.
 *
 * The edu device copies up to 4 KiB between its internal buffer (device
 * address 0x40000) and an IOVA, in either direction, when told to. Its
 * IOVAs are translated by the IOMMU (VT-d in the x86 test VM, SMMUv3 in
 * the arm64 one) through the page table iommufd filled from the IOAS, so a
 * copy only reaches memory the test mapped, at the IOVA it was mapped at.
 * On an SMMUv3 with both stages, the smmu_nested tests also put a stage-1
 * table of their own, written as a guest would, over such a stage 2
 * through a vIOMMU.
 *
 * The test uses the first edu device that is alone in its IOMMU group and
 * hands it to vfio-pci itself (driver_override); it is skipped when the
 * machine has none.
 */
#define _GNU_SOURCE
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stddef.h>
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

#include "../kselftest_harness.h"
#include "iommufd_utils.h"
#include "iommufd_edu.h"

#define EDU_REG_ID 0x00
#define EDU_REG_DMA_SRC 0x80
#define EDU_REG_DMA_DST 0x88
#define EDU_REG_DMA_CNT 0x90
#define EDU_REG_DMA_CMD 0x98
#define EDU_DMA_START 0x1
#define EDU_DMA_TO_RAM 0x2
#define EDU_BUF_ADDR 0x40000
#define EDU_BUF_SIZE 4096

#define PAGE 4096UL
/* The edu device only drives 28 address bits: stay far below */
#define IOVA_SRC 0x100000UL
#define IOVA_DST 0x200000UL
#define IOVA_NEVER 0x300000UL

/*
 * 1 when the IOMMU's domains can force snooping: on VT-d, when the unit
 * has snoop control (ECAP.SC); 6.1's SMMUv3 driver never offers it.
 */
static int iommu_forces_snoop(void)
{
	char buf[64];
	__u64 ecap;

	if (read_sysfs("/sys/class/iommu/dmar0/intel-iommu/ecap", buf,
		       sizeof(buf)))
		return 0;
	ecap = strtoull(buf, NULL, 16);
	return (ecap >> 7) & 1;
}

/* What a VMM holds for its guest's SMMU */
struct nest {
	char *ram;
	__u32 s2;
	__u32 viommu;
	__u32 vdev;
	__u32 veventq;
	int veventq_fd;
	__u32 nested;
};

FIXTURE(edu) {
	long pins0;
	char bdf[64];
	int iommufd;
	int devfd;
	__u32 devid;
	__u32 ioas_id;
	__u32 hwpt_id;
	__u64 bar0;
	__u64 config;
	char *src;
	char *dst;
	/* What the smmu_nested tests set up: the queue's file holds a context */
	struct nest nest;
};

static int region_offset(int devfd, __u32 index, __u64 *offset)
{
	struct vfio_region_info info = {
		.argsz = sizeof(info),
		.index = index,
	};

	if (ioctl(devfd, VFIO_DEVICE_GET_REGION_INFO, &info))
		return -1;
	*offset = info.offset;
	return 0;
}

static int map_fixed(int iommufd, __u32 ioas_id, void *buf, __u64 iova)
{
	struct iommu_ioas_map map = {
		.size = sizeof(map),
		.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE |
			 IOMMU_IOAS_MAP_WRITEABLE,
		.ioas_id = ioas_id,
		.user_va = (uintptr_t)buf,
		.length = PAGE,
		.iova = iova,
	};

	return ioctl(iommufd, IOMMU_IOAS_MAP, &map);
}

static int unmap(int iommufd, __u32 ioas_id, __u64 iova)
{
	struct iommu_ioas_unmap unmap = {
		.size = sizeof(unmap),
		.ioas_id = ioas_id,
		.iova = iova,
		.length = PAGE,
	};

	return ioctl(iommufd, IOMMU_IOAS_UNMAP, &unmap);
}

static int bar_write64(int devfd, __u64 bar0, __u64 reg, __u64 val)
{
	return pwrite(devfd, &val, 8, bar0 + reg) == 8 ? 0 : -1;
}

/* Run one edu DMA and wait for the device to finish it. */
static int edu_dma(int devfd, __u64 bar0, __u64 src, __u64 dst, __u64 cmd)
{
	__u64 status;
	int i;

	if (bar_write64(devfd, bar0, EDU_REG_DMA_SRC, src) ||
	    bar_write64(devfd, bar0, EDU_REG_DMA_DST, dst) ||
	    bar_write64(devfd, bar0, EDU_REG_DMA_CNT, EDU_BUF_SIZE) ||
	    bar_write64(devfd, bar0, EDU_REG_DMA_CMD, cmd | EDU_DMA_START))
		return -1;
	/* The device runs the copy from a timer, about 100 ms later */
	for (i = 0; i < 500; i++) {
		if (pread(devfd, &status, 8, bar0 + EDU_REG_DMA_CMD) != 8)
			return -1;
		if (!(status & EDU_DMA_START))
			return 0;
		usleep(10000);
	}
	return -1;
}

FIXTURE_SETUP(edu)
{
	struct iommu_ioas_alloc alloc = { .size = sizeof(alloc) };
	char cdev[128];
	__u16 cmd;
	__u32 id;

	self->pins0 = foll_pins();
	self->nest.veventq_fd = -1;
	if (edu_find(1, 0, self->bdf, sizeof(self->bdf)) ||
	    edu_cdev_of(self->bdf, cdev, sizeof(cdev)))
		SKIP(return, "no edu device alone in its IOMMU group");

	self->devfd = open(cdev, O_RDWR);
	ASSERT_LE(0, self->devfd) TH_LOG("%s: %s", cdev, strerror(errno));
	self->iommufd = open("/dev/iommu", O_RDWR);
	ASSERT_LE(0, self->iommufd);
	ASSERT_EQ(0, bind_iommufd(self->devfd, self->iommufd, &self->devid));
	ASSERT_NE(0, self->devid);
	ASSERT_EQ(0, ioctl(self->iommufd, IOMMU_IOAS_ALLOC, &alloc));
	self->ioas_id = alloc.out_ioas_id;
	self->hwpt_id = self->ioas_id;
	ASSERT_EQ(0, attach_pt(self->devfd, &self->hwpt_id))
		TH_LOG("attach: %s", strerror(errno));
	ASSERT_NE(self->ioas_id, self->hwpt_id);

	ASSERT_EQ(0, region_offset(self->devfd, VFIO_PCI_BAR0_REGION_INDEX,
				   &self->bar0));
	ASSERT_EQ(0, region_offset(self->devfd, VFIO_PCI_CONFIG_REGION_INDEX,
				   &self->config));
	ASSERT_EQ(4, pread(self->devfd, &id, 4, self->bar0 + EDU_REG_ID));
	ASSERT_EQ(0xed, id & 0xff);
	/* Bus mastering on, or the device cannot do DMA at all */
	ASSERT_EQ(2, pread(self->devfd, &cmd, 2, self->config + 4));
	cmd |= 0x4;
	ASSERT_EQ(2, pwrite(self->devfd, &cmd, 2, self->config + 4));

	self->src = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->src);
	self->dst = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->dst);
}

FIXTURE_TEARDOWN(edu)
{
	if (self->nest.veventq_fd >= 0)
		close(self->nest.veventq_fd);
	if (self->devfd > 0)
		close(self->devfd);
	if (self->iommufd > 0)
		close(self->iommufd);
	EXPECT_PINS_RELEASED(self->pins0);
}

/*
 * Fill @src with @fill and clear @dst, then map them at IOVA_SRC and
 * IOVA_DST of @ioas_id.
 */
static void edu_map_src_dst(struct __test_metadata *_metadata, int iommufd,
			    __u32 ioas_id, char *src, char *dst, int fill)
{
	memset(src, fill, PAGE);
	memset(dst, 0, PAGE);
	ASSERT_EQ(0, map_fixed(iommufd, ioas_id, src, IOVA_SRC));
	ASSERT_EQ(0, map_fixed(iommufd, ioas_id, dst, IOVA_DST));
}

/*
 * edu copies IOVA_SRC into its buffer and the buffer to IOVA_DST: what
 * src holds must arrive in dst.
 */
static void edu_round_trip(struct __test_metadata *_metadata, int devfd,
			   __u64 bar0, const char *src, const char *dst)
{
	ASSERT_EQ(0, edu_dma(devfd, bar0, IOVA_SRC, EDU_BUF_ADDR, 0));
	ASSERT_EQ(0, edu_dma(devfd, bar0, EDU_BUF_ADDR, IOVA_DST,
			     EDU_DMA_TO_RAM));
	ASSERT_EQ(0, memcmp(src, dst, PAGE));
}

struct faulting_ioctl {
	int fd;
	unsigned long request;
	void *arg;
	int rc;
};

static void *faulting_ioctl_thread(void *p)
{
	struct faulting_ioctl *call = p;

	call->rc = ioctl(call->fd, call->request, call->arg);
	return NULL;
}

static void *close_thread(void *p)
{
	close(*(int *)p);
	return NULL;
}

/*
 * Run @call, whose user buffer is @wp's page, until it faults on that
 * page; meanwhile close @closefd from another thread, which must finish
 * within 5 s: the faulting call holds no lock the device's teardown
 * needs. 0 when it did, -1 when it did not, -2 on a setup error.
 */
static int close_during_fault(struct wp_page *wp, struct faulting_ioctl *call,
			      int closefd)
{
	pthread_t caller, closer;
	int done;

	if (pthread_create(&caller, NULL, faulting_ioctl_thread, call))
		return -2;
	if (wp_page_wait_fault(wp, 10000)) {
		wp_page_release(wp);
		pthread_join(caller, NULL);
		return -2;
	}
	if (pthread_create(&closer, NULL, close_thread, &closefd)) {
		wp_page_release(wp);
		pthread_join(caller, NULL);
		return -2;
	}
	done = join_within(closer, 5000);
	/* Let everything finish before reporting */
	wp_page_release(wp);
	if (done)
		pthread_join(closer, NULL);
	pthread_join(caller, NULL);
	return done ? -1 : 0;
}

/*
 * IOMMU_IOAS_IOVA_RANGES writing into a page that faults (userfaultfd)
 * does not stop the attached device's cdev from closing: the ranges are
 * copied out with no lock held.
 */
TEST_F(edu, close_cdev_while_iova_ranges_faults)
{
	struct wp_page wp = { .uffd = -1 };
	struct iommu_ioas_iova_ranges cmd = {
		.size = sizeof(cmd),
		.ioas_id = self->ioas_id,
		.num_iovas = 8,
	};
	struct faulting_ioctl call = {
		.fd = self->iommufd,
		.request = IOMMU_IOAS_IOVA_RANGES,
		.arg = &cmd,
	};

	if (wp_page_setup(&wp))
		SKIP(return, "no userfaultfd write-protect");
	cmd.allowed_iovas = (uintptr_t)wp.page;
	ASSERT_EQ(0, close_during_fault(&wp, &call, self->devfd));
	self->devfd = -1;
	ASSERT_EQ(0, call.rc);
	ASSERT_LE(1, cmd.num_iovas);
	wp_page_free(&wp);
}

/* Bytes go to the device through one mapping and back through another */
TEST_F(edu, dma_both_ways)
{
	unsigned int i;

	for (i = 0; i < PAGE; i++)
		self->src[i] = i * 7 + 3;
	memset(self->dst, 0, PAGE);
	ASSERT_EQ(0, map_fixed(self->iommufd, self->ioas_id, self->src,
			       IOVA_SRC));
	ASSERT_EQ(0, map_fixed(self->iommufd, self->ioas_id, self->dst,
			       IOVA_DST));
	edu_round_trip(_metadata, self->devfd, self->bar0, self->src,
		       self->dst);
	TH_LOG("4096 bytes went RAM -> edu -> RAM through IOVAs 0x%lx and 0x%lx",
	       IOVA_SRC, IOVA_DST);
}

/*
 * Interrupts the IOMMU raised to report faults so far: VT-d's fault
 * interrupt (dmarN), the SMMUv3's event queue (arm-smmu-v3-evtq), from
 * /proc/interrupts. Unlike the log lines the drivers print, which are
 * rate-limited, every reported fault raises the count. -1 when there is
 * no such interrupt.
 */
static long iommu_fault_irqs(void)
{
	char line[1024], *p, *end;
	long total = -1, n;
	FILE *f;

	f = fopen("/proc/interrupts", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		if (!strstr(line, "arm-smmu-v3-evtq") && !strstr(line, "dmar"))
			continue;
		p = strchr(line, ':');
		if (!p)
			continue;
		if (total < 0)
			total = 0;
		/* One column per CPU, then the chip's name */
		for (p++; (n = strtol(p, &end, 10)) >= 0 && end != p; p = end)
			total += n;
	}
	fclose(f);
	return total;
}

/* Wait up to @ms for the fault interrupt count to pass @before */
static bool iommu_fault_seen(long before, int ms)
{
	for (; ms > 0; ms -= 10) {
		if (iommu_fault_irqs() > before)
			return true;
		usleep(10000);
	}
	return iommu_fault_irqs() > before;
}

/*
 * A DMA to an IOVA nobody mapped is stopped by the IOMMU, which reports
 * the fault (a DMAR fault on VT-d, a translation-fault event 0x10 on
 * SMMUv3: an interrupt, and a line in the log)
 */
TEST_F(edu, dma_to_unmapped_iova_is_blocked)
{
	long faults;

	memset(self->src, 0x5a, PAGE);
	memset(self->dst, 0x11, PAGE);
	ASSERT_EQ(0, map_fixed(self->iommufd, self->ioas_id, self->src,
			       IOVA_SRC));
	ASSERT_EQ(0, edu_dma(self->devfd, self->bar0, IOVA_SRC, EDU_BUF_ADDR,
			     0));
	faults = iommu_fault_irqs();
	ASSERT_LE(0, faults) TH_LOG("no IOMMU fault interrupt");
	ASSERT_EQ(0, edu_dma(self->devfd, self->bar0, EDU_BUF_ADDR, IOVA_NEVER,
			     EDU_DMA_TO_RAM));
	ASSERT_TRUE(iommu_fault_seen(faults, 5000));
	/* After UNMAP the device no longer reaches the old buffer */
	ASSERT_EQ(0, map_fixed(self->iommufd, self->ioas_id, self->dst,
			       IOVA_DST));
	ASSERT_EQ(0, unmap(self->iommufd, self->ioas_id, IOVA_DST));
	ASSERT_EQ(0, edu_dma(self->devfd, self->bar0, EDU_BUF_ADDR, IOVA_DST,
			     EDU_DMA_TO_RAM));
	ASSERT_EQ(0x11, self->dst[0]);
	ASSERT_EQ(0x11, self->dst[PAGE - 1]);
}

/*
 * An unmap of a range that no naturally aligned block of its size holds:
 * two pages starting at an odd page. The device wrote to the second page
 * before the unmap, so the IOMMU cached its translation; afterwards a DMA
 * there must be blocked. (6.1's VT-d first-stage flush rounded the range
 * down to an aligned block, missed its last page and warned.)
 */
TEST_F(edu, unmap_of_unaligned_range_flushes_it_all)
{
	const __u64 iova = 0x403000;
	char *buf;

	buf = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, buf);
	memset(buf, 0, 2 * PAGE);
	memset(self->src, 0x3a, PAGE);
	ASSERT_EQ(0, map_fixed(self->iommufd, self->ioas_id, self->src,
			       IOVA_SRC));
	ASSERT_EQ(0, ioas_map_fixed(self->iommufd, self->ioas_id, buf,
				    2 * PAGE, iova));
	ASSERT_EQ(0, edu_dma(self->devfd, self->bar0, IOVA_SRC, EDU_BUF_ADDR,
			     0));
	ASSERT_EQ(0, edu_dma(self->devfd, self->bar0, EDU_BUF_ADDR,
			     iova + PAGE, EDU_DMA_TO_RAM));
	ASSERT_EQ(0x3a, buf[PAGE]);
	ASSERT_EQ(0x3a, buf[2 * PAGE - 1]);

	memset(buf, 0, 2 * PAGE);
	ASSERT_EQ(0, ioas_unmap(self->iommufd, self->ioas_id, iova, 2 * PAGE,
				NULL));
	ASSERT_EQ(0, edu_dma(self->devfd, self->bar0, EDU_BUF_ADDR,
			     iova + PAGE, EDU_DMA_TO_RAM));
	ASSERT_EQ(0, buf[PAGE]);
	ASSERT_EQ(0, buf[2 * PAGE - 1]);
	ASSERT_EQ(0, munmap(buf, 2 * PAGE));
}

/* Detached, the group is blocked; attached again, DMA works again */
TEST_F(edu, detach_blocks_and_reattach_restores)
{
	__u32 pt_id = self->ioas_id;

	edu_map_src_dst(_metadata, self->iommufd, self->ioas_id, self->src,
			self->dst, 0x77);
	ASSERT_EQ(0, edu_dma(self->devfd, self->bar0, IOVA_SRC, EDU_BUF_ADDR,
			     0));
	ASSERT_EQ(0, detach_pt(self->devfd));
	/* Detaching again does nothing */
	ASSERT_EQ(0, detach_pt(self->devfd));
	ASSERT_EQ(0, edu_dma(self->devfd, self->bar0, EDU_BUF_ADDR, IOVA_DST,
			     EDU_DMA_TO_RAM));
	ASSERT_EQ(0, self->dst[0]);
	ASSERT_EQ(0, attach_pt(self->devfd, &pt_id));
	ASSERT_EQ(0, edu_dma(self->devfd, self->bar0, EDU_BUF_ADDR, IOVA_DST,
			     EDU_DMA_TO_RAM));
	ASSERT_EQ(0, memcmp(self->src, self->dst, PAGE));
}

/*
 * VFIO_DEVICE_ATTACH_PASID and VFIO_DEVICE_DETACH_PASID: the PASID
 * layouts are checked first (16 bytes to attach, 12 to detach); the edu
 * device has no PASID capability, so an attach is refused (EINVAL) and a
 * detach of a PASID that was never attached does nothing. The RID stays
 * where it was through all of it, and the first layouts keep working.
 */
TEST_F(edu, pasid_attach_detach)
{
	const __u32 attach_v1 = offsetof(struct vfio_device_attach_iommufd_pt,
					 pasid);
	const __u32 attach_v2 = sizeof(struct vfio_device_attach_iommufd_pt);
	const __u32 detach_v1 = offsetof(struct vfio_device_detach_iommufd_pt,
					 pasid);
	const __u32 detach_v2 = sizeof(struct vfio_device_detach_iommufd_pt);
	__u32 pt_id;

	ASSERT_EQ(12, attach_v1);
	ASSERT_EQ(16, attach_v2);
	ASSERT_EQ(8, detach_v1);
	ASSERT_EQ(12, detach_v2);
	edu_map_src_dst(_metadata, self->iommufd, self->ioas_id, self->src,
			self->dst, 0x6d);

	/* The flag needs the layout with @pasid */
	pt_id = self->ioas_id;
	ASSERT_ERRNO(EINVAL, vfio_attach_pt_raw(self->devfd, attach_v1,
						VFIO_DEVICE_ATTACH_PASID,
						&pt_id, 1));
	/* and the device, PASIDs */
	pt_id = self->ioas_id;
	ASSERT_ERRNO(EINVAL, vfio_attach_pt_raw(self->devfd, attach_v2,
						VFIO_DEVICE_ATTACH_PASID,
						&pt_id, 1));
	pt_id = self->hwpt_id;
	ASSERT_ERRNO(EINVAL, vfio_attach_pt_raw(self->devfd, attach_v2,
						VFIO_DEVICE_ATTACH_PASID,
						&pt_id, 1));
	ASSERT_ERRNO(EINVAL, vfio_detach_pt_raw(self->devfd, detach_v1,
						VFIO_DEVICE_DETACH_PASID, 1));
	ASSERT_EQ(0, vfio_detach_pt_raw(self->devfd, detach_v2,
					VFIO_DEVICE_DETACH_PASID, 1));

	/* The RID is still on the IOAS: DMA both ways */
	edu_round_trip(_metadata, self->devfd, self->bar0, self->src,
		       self->dst);

	/* The first layouts, without the flags, as before */
	pt_id = self->ioas_id;
	ASSERT_EQ(0, vfio_attach_pt_raw(self->devfd, attach_v1, 0, &pt_id, 0));
	ASSERT_EQ(self->hwpt_id, pt_id);
	ASSERT_EQ(0, vfio_detach_pt_raw(self->devfd, detach_v1, 0, 0));
	memset(self->dst, 0, PAGE);
	ASSERT_EQ(0, edu_dma(self->devfd, self->bar0, EDU_BUF_ADDR, IOVA_DST,
			     EDU_DMA_TO_RAM));
	ASSERT_EQ(0, self->dst[0]);
	pt_id = self->ioas_id;
	ASSERT_EQ(0, attach_pt(self->devfd, &pt_id));
	ASSERT_EQ(0, edu_dma(self->devfd, self->bar0, EDU_BUF_ADDR, IOVA_DST,
			     EDU_DMA_TO_RAM));
	ASSERT_EQ(0, memcmp(self->src, self->dst, PAGE));
}

/* Attaching again replaces: a second IOAS maps different memory */
TEST_F(edu, attach_again_replaces)
{
	struct iommu_ioas_alloc alloc = { .size = sizeof(alloc) };
	__u32 pt_id;

	memset(self->src, 0x42, PAGE);
	memset(self->dst, 0, PAGE);
	ASSERT_EQ(0, map_fixed(self->iommufd, self->ioas_id, self->src,
			       IOVA_SRC));
	ASSERT_EQ(0, edu_dma(self->devfd, self->bar0, IOVA_SRC, EDU_BUF_ADDR,
			     0));
	ASSERT_EQ(0, ioctl(self->iommufd, IOMMU_IOAS_ALLOC, &alloc));
	ASSERT_EQ(0, map_fixed(self->iommufd, alloc.out_ioas_id, self->dst,
			       IOVA_SRC));
	pt_id = alloc.out_ioas_id;
	ASSERT_EQ(0, attach_pt(self->devfd, &pt_id));
	ASSERT_NE(self->hwpt_id, pt_id);
	/* The same IOVA now reaches the other buffer */
	ASSERT_EQ(0, edu_dma(self->devfd, self->bar0, EDU_BUF_ADDR, IOVA_SRC,
			     EDU_DMA_TO_RAM));
	ASSERT_EQ(0x42, self->dst[0]);
	ASSERT_EQ(0x42, self->dst[PAGE - 1]);
	/* The first IOAS's automatic HWPT went with its only device */
	ASSERT_ERRNO(ENOENT, ioctl(self->iommufd, IOMMU_DESTROY,
				   &(struct iommu_destroy){
					   .size = sizeof(struct iommu_destroy),
					   .id = self->hwpt_id }));
}

/*
 * What the VT-d driver programmed for the edu device, read back from its
 * debugfs dump. In legacy mode that is the device's context entry; in
 * scalable mode (ECAP.SMTS) the PASID-table entry that requests without
 * PASID use (PASID 0, RID_PASID).
 */
#define VTD_DUMP "/sys/kernel/debug/iommu/intel/dmar_translation_struct"

/* Set by --expect-scalable: the boot must be in scalable mode */
static bool expect_scalable;

struct vtd_entry {
	bool scalable;
	unsigned int type;	/* legacy: TT; scalable: PGTT */
	unsigned int aw;	/* address width field */
	unsigned int did;	/* domain ID */
	__u64 table;		/* where the walk of a request starts */
	__u64 fl_table;		/* scalable: the first-stage pointer */
};

/*
 * The entry of @bdf ("DDDD:BB:DD.F"): 0, or -ENOENT when the dump has no
 * present entry for it, or -EIO when the dump cannot be read.
 */
static int vtd_entry_of(const char *bdf, struct vtd_entry *e)
{
	unsigned long long rhi, rlo, chi, clo, v2, v1, v0;
	char line[512], dev[16];
	int pasid, rc = -ENOENT;
	FILE *f;

	f = fopen(VTD_DUMP, "r");
	if (!f)
		return -EIO;
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line,
			   "%15s 0x%llx:0x%llx 0x%llx:0x%llx %d 0x%llx:0x%llx:0x%llx",
			   dev, &rhi, &rlo, &chi, &clo, &pasid, &v2, &v1,
			   &v0) != 9 ||
		    strcmp(dev, bdf + 5))
			continue;
		if (pasid == -1 && (clo & 1)) {
			/* Legacy context entry */
			e->scalable = false;
			e->type = (clo >> 2) & 3;
			e->table = clo & ~0xfffULL;
			e->aw = chi & 7;
			e->did = (chi >> 8) & 0xffff;
			rc = 0;
		} else if (pasid == 0 && (v0 & 1)) {
			e->scalable = true;
			e->type = (v0 >> 6) & 7;
			e->aw = (v0 >> 2) & 7;
			e->did = v1 & 0xffff;
			/* First-level (1) starts at FLPTR, else at SLPTPTR */
			e->table = (e->type == 1 ? v2 : v0) & ~0xfffULL;
			e->fl_table = v2 & ~0xfffULL;
			rc = 0;
		}
	}
	fclose(f);
	return rc;
}

/*
 * Attach, replace and detach, checked in what the driver wrote: each HWPT
 * has its own table, a HWPT attached again brings back exactly its own,
 * and a detached device points at neither. Every entry carries a domain
 * ID other than 0 (6.1's VT-d frees a domain's ID when its last device
 * leaves the unit, so the number itself may be reused). In scalable mode
 * the entry is a first-level (PGTT 1) or second-level (PGTT 2) one with
 * a 48-bit (AW 2) or 57-bit (AW 3) walk.
 */
TEST_F(edu, vtd_entries_follow_attach)
{
	struct iommu_ioas_alloc alloc = { .size = sizeof(alloc) };
	struct vtd_entry a, b, again, detached;
	__u32 hwpt_a, hwpt_b, pt_id;
	char buf[64];
	__u64 ecap;

	if (read_sysfs("/sys/class/iommu/dmar0/intel-iommu/ecap", buf,
		       sizeof(buf)))
		SKIP(return, "the IOMMU is not an Intel VT-d unit");
	ecap = strtoull(buf, NULL, 16);
	ASSERT_EQ(0, vtd_entry_of(self->bdf, &a)) TH_LOG("no entry for %s",
							 self->bdf);
	/* 6.1 uses scalable mode wherever the unit has it (SMTS, bit 43) */
	ASSERT_EQ(!!((ecap >> 43) & 1), a.scalable);
	if (expect_scalable)
		ASSERT_TRUE(a.scalable);
	if (a.scalable) {
		ASSERT_TRUE(a.type == 1 || a.type == 2) TH_LOG("PGTT %u",
							       a.type);
		ASSERT_TRUE(a.aw == 2 || a.aw == 3);
	} else {
		/* Untranslated requests only, through a multi-level table */
		ASSERT_EQ(0, a.type);
		ASSERT_TRUE(a.aw == 2 || a.aw == 3);
	}

	ASSERT_EQ(0, hwpt_alloc_paging(self->iommufd, self->devid,
				       self->ioas_id, 0, &hwpt_a));
	ASSERT_EQ(0, ioctl(self->iommufd, IOMMU_IOAS_ALLOC, &alloc));
	ASSERT_EQ(0, hwpt_alloc_paging(self->iommufd, self->devid,
				       alloc.out_ioas_id, 0, &hwpt_b));

	pt_id = hwpt_a;
	ASSERT_EQ(0, attach_pt(self->devfd, &pt_id));
	ASSERT_EQ(0, vtd_entry_of(self->bdf, &a));
	pt_id = hwpt_b;
	ASSERT_EQ(0, attach_pt(self->devfd, &pt_id));
	ASSERT_EQ(0, vtd_entry_of(self->bdf, &b));
	ASSERT_NE(a.table, b.table);
	ASSERT_EQ(a.type, b.type);
	ASSERT_NE(0, a.did);
	ASSERT_NE(0, b.did);

	pt_id = hwpt_a;
	ASSERT_EQ(0, attach_pt(self->devfd, &pt_id));
	ASSERT_EQ(0, vtd_entry_of(self->bdf, &again));
	ASSERT_NE(0, again.did);
	ASSERT_EQ(a.table, again.table);

	/* Detached: blocked, by no entry or one that is neither HWPT's */
	ASSERT_EQ(0, detach_pt(self->devfd));
	if (!vtd_entry_of(self->bdf, &detached)) {
		ASSERT_NE(a.table, detached.table);
		ASSERT_NE(b.table, detached.table);
	}

	pt_id = hwpt_a;
	ASSERT_EQ(0, attach_pt(self->devfd, &pt_id));
	ASSERT_EQ(0, vtd_entry_of(self->bdf, &again));
	ASSERT_NE(0, again.did);
	ASSERT_EQ(a.table, again.table);
	/* And the translation is live: DMA through HWPT A's IOAS */
	memset(self->src, 0x5c, PAGE);
	ASSERT_EQ(0, map_fixed(self->iommufd, self->ioas_id, self->src,
			       IOVA_SRC));
	ASSERT_EQ(0, edu_dma(self->devfd, self->bar0, IOVA_SRC, EDU_BUF_ADDR,
			     0));
	ASSERT_EQ(0, map_fixed(self->iommufd, self->ioas_id, self->dst,
			       IOVA_DST));
	ASSERT_EQ(0, edu_dma(self->devfd, self->bar0, EDU_BUF_ADDR, IOVA_DST,
			     EDU_DMA_TO_RAM));
	ASSERT_EQ(0, memcmp(self->src, self->dst, PAGE));
}

/* IOMMU_GET_HW_INFO of the edu device, whatever IOMMU serves it */
static int edu_hw_info(int iommufd, __u32 devid, void *buf, __u32 *len,
		       __u32 *type)
{
	struct iommu_hw_info info = {
		.size = sizeof(info),
		.dev_id = devid,
		.data_len = *len,
		.data_uptr = (uintptr_t)buf,
	};

	if (ioctl(iommufd, IOMMU_GET_HW_INFO, &info))
		return -1;
	*len = info.data_len;
	*type = info.out_data_type;
	return 0;
}

/*
 * The data names the IOMMU in front of the device: VT-d's capability
 * registers as sysfs shows them, or the SMMUv3's ID registers. A longer
 * buffer is zero-filled past the data, a shorter one gets a truncated
 * copy and the full length.
 */
TEST_F(edu, hw_info_names_the_iommu)
{
	unsigned char buf[64], part[16];
	__u32 len = sizeof(buf), type, i, full;
	char sysfs[64];

	memset(buf, 0xa5, sizeof(buf));
	ASSERT_EQ(0, edu_hw_info(self->iommufd, self->devid, buf, &len,
				 &type));
	full = len;
	if (!read_sysfs("/sys/class/iommu/dmar0/intel-iommu/cap", sysfs,
			sizeof(sysfs))) {
		struct iommu_hw_info_vtd *vtd = (void *)buf;

		ASSERT_EQ(IOMMU_HW_INFO_TYPE_INTEL_VTD, type);
		ASSERT_EQ(sizeof(*vtd), full);
		ASSERT_EQ(strtoull(sysfs, NULL, 16), vtd->cap_reg);
	} else {
		struct iommu_hw_info_arm_smmuv3 *smmu = (void *)buf;

		ASSERT_EQ(IOMMU_HW_INFO_TYPE_ARM_SMMUV3, type);
		ASSERT_EQ(40, sizeof(*smmu));
		ASSERT_EQ(sizeof(*smmu), full);
		ASSERT_EQ(0, smmu->flags);
		ASSERT_EQ(0, smmu->__reserved);
	}
	for (i = full; i < sizeof(buf); i++)
		ASSERT_EQ(0, buf[i]);

	memset(part, 0xa5, sizeof(part));
	len = 8;
	ASSERT_EQ(0, edu_hw_info(self->iommufd, self->devid, part, &len,
				 &type));
	ASSERT_EQ(full, len);
	ASSERT_EQ(0, memcmp(part, buf, 8));
	for (i = 8; i < sizeof(part); i++)
		ASSERT_EQ(0xa5, part[i]);
}

/* VT-d ECAP.NEST, SMTS, SLTS and FLTS */
#define VTD_ECAP_NEST(e) (((e) >> 26) & 1)
#define VTD_ECAP_SMTS(e) (((e) >> 43) & 1)
#define VTD_ECAP_SLTS(e) (((e) >> 46) & 1)
#define VTD_ECAP_FLTS(e) (((e) >> 47) & 1)

/* Nested translation needs scalable mode and both stages */
static bool vtd_nesting(__u64 ecap)
{
	return VTD_ECAP_NEST(ecap) && VTD_ECAP_SMTS(ecap) &&
	       VTD_ECAP_SLTS(ecap) && VTD_ECAP_FLTS(ecap);
}

/* PASID-table entry types (PGTT) */
#define VTD_PGTT_SL 2
#define VTD_PGTT_NESTED 3

/* Fill @vtd; false when the test skipped: the IOMMU is not VT-d */
static bool edu_vtd_or_skip(struct __test_metadata *_metadata, int iommufd,
			    __u32 devid, struct iommu_hw_info_vtd *vtd)
{
	__u32 len = sizeof(*vtd), type;

	ASSERT_EQ(0, edu_hw_info(iommufd, devid, vtd, &len, &type));
	if (type != IOMMU_HW_INFO_TYPE_INTEL_VTD)
		SKIP(return false, "the IOMMU is not an Intel VT-d unit");
	return true;
}

/*
 * VT-d paging HWPTs, from the driver's domain_alloc_user: with
 * IOMMU_HWPT_ALLOC_PASID in either mode (a PASID attach is what needs
 * PASID support), as a nesting parent exactly when the unit translates
 * nested (ECAP NEST, with SMTS, SLTS and FLTS), with other flags never. A
 * PASID-capable HWPT is a paging table like the automatic one: the same
 * kind of entry reads back, with its own table, and it carries the
 * device's DMA. A nested HWPT needs a nesting parent: EINVAL on another
 * paging HWPT.
 */
TEST_F(edu, vtd_paging_hwpt_flags)
{
	struct iommu_hwpt_vtd_s1 s1 = { .pgtbl_addr = IOVA_NEVER,
					.addr_width = 48 };
	struct iommu_hw_info_vtd vtd;
	struct vtd_entry before, after;
	__u32 hwpt, parent, id, pt_id;
	int rc;

	if (!edu_vtd_or_skip(_metadata, self->iommufd, self->devid, &vtd))
		return;
	TH_LOG("ECAP 0x%llx: nested translation %s",
	       (unsigned long long)vtd.ecap_reg,
	       vtd_nesting(vtd.ecap_reg) ? "yes" : "no");

	errno = 0;
	rc = hwpt_alloc_paging(self->iommufd, self->devid, self->ioas_id,
			       IOMMU_HWPT_ALLOC_NEST_PARENT, &parent);
	if (vtd_nesting(vtd.ecap_reg)) {
		ASSERT_EQ(0, rc);
		ASSERT_EQ(0, destroy(self->iommufd, parent));
	} else {
		ASSERT_EQ(-1, rc);
		ASSERT_EQ(EOPNOTSUPP, errno);
	}
	/* IOMMU_HWPT_ALLOC_DIRTY_TRACKING: no dirty tracking here */
	ASSERT_ERRNO(EOPNOTSUPP, hwpt_alloc_paging(self->iommufd, self->devid,
						   self->ioas_id, 1 << 1,
						   &id));

	ASSERT_EQ(0, vtd_entry_of(self->bdf, &before));
	ASSERT_EQ(0, hwpt_alloc_paging(self->iommufd, self->devid,
				       self->ioas_id, IOMMU_HWPT_ALLOC_PASID,
				       &hwpt));
	ASSERT_ERRNO(EINVAL, hwpt_alloc_data(self->iommufd, 0, self->devid,
					     hwpt, IOMMU_HWPT_DATA_VTD_S1,
					     &s1, sizeof(s1), &id));
	pt_id = hwpt;
	ASSERT_EQ(0, attach_pt(self->devfd, &pt_id));
	ASSERT_EQ(hwpt, pt_id);
	ASSERT_EQ(0, vtd_entry_of(self->bdf, &after));
	ASSERT_EQ(before.scalable, after.scalable);
	ASSERT_EQ(before.type, after.type);
	ASSERT_EQ(before.aw, after.aw);
	ASSERT_NE(before.table, after.table);
	ASSERT_NE(0, after.did);
	ASSERT_ERRNO(EBUSY, destroy(self->iommufd, hwpt));
	edu_map_src_dst(_metadata, self->iommufd, self->ioas_id, self->src,
			self->dst, 0x4e);
	edu_round_trip(_metadata, self->devfd, self->bar0, self->src,
		       self->dst);
}

/*
 * Nested translation on VT-d, where the unit has it; QEMU 10's model
 * has not (see README), so there the test only checks that a nesting
 * parent is refused and skips. The user's description of its
 * first-stage table is validated before anything is allocated; the
 * RID2PASID entry of the attached device is then a nested one (PGTT 3)
 * with the user's first-stage pointer and the parent's second-stage
 * table, under a domain ID of its own; invalidation entries are checked
 * one by one, and entry_num says how many were done.
 */
TEST_F(edu, vtd_nested_entries)
{
	struct iommu_hwpt_vtd_s1 s1 = { .pgtbl_addr = IOVA_NEVER,
					.addr_width = 48 };
	struct iommu_hwpt_vtd_s1_invalidate inv[2] = {
		{ .addr = 0, .npages = UINT64_MAX },
		{ .addr = IOVA_SRC, .npages = 1, .flags = 1 << 1 },
	};
	/* Descriptions refused, each for one reason */
	const struct {
		struct iommu_hwpt_vtd_s1 s1;
		__u32 len;
		int err;
	} bad[] = {
		{ { .pgtbl_addr = IOVA_NEVER, .addr_width = 39 },
		  sizeof(s1), EINVAL },
		{ { .pgtbl_addr = IOVA_NEVER + 8, .addr_width = 48 },
		  sizeof(s1), EINVAL },
		{ { .flags = 1 << 3, .pgtbl_addr = IOVA_NEVER,
		    .addr_width = 48 }, sizeof(s1), EOPNOTSUPP },
		{ { .pgtbl_addr = IOVA_NEVER, .addr_width = 48,
		    .__reserved = 1 }, sizeof(s1), EOPNOTSUPP },
		{ { .pgtbl_addr = IOVA_NEVER, .addr_width = 48 },
		  sizeof(s1) - 4, EINVAL },
	};
	struct iommu_hw_info_vtd vtd;
	struct vtd_entry s2e, ne;
	__u32 parent, nested, id, pt_id, num, next, i;

	if (!edu_vtd_or_skip(_metadata, self->iommufd, self->devid, &vtd))
		return;
	if (!vtd_nesting(vtd.ecap_reg)) {
		ASSERT_ERRNO(EOPNOTSUPP,
			     hwpt_alloc_paging(self->iommufd, self->devid,
					       self->ioas_id,
					       IOMMU_HWPT_ALLOC_NEST_PARENT,
					       &parent));
		SKIP(return, "no nested translation (ECAP 0x%llx)",
		     (unsigned long long)vtd.ecap_reg);
	}

	ASSERT_EQ(0, hwpt_alloc_paging(self->iommufd, self->devid,
				       self->ioas_id,
				       IOMMU_HWPT_ALLOC_NEST_PARENT, &parent));
	pt_id = parent;
	ASSERT_EQ(0, attach_pt(self->devfd, &pt_id));
	ASSERT_EQ(0, vtd_entry_of(self->bdf, &s2e));
	ASSERT_EQ(VTD_PGTT_SL, s2e.type);

	next = next_free_id(self->iommufd);
	for (i = 0; i < ARRAY_SIZE(bad); i++) {
		errno = 0;
		ASSERT_EQ(-1, hwpt_alloc_data(self->iommufd, 0, self->devid,
					      parent, IOMMU_HWPT_DATA_VTD_S1,
					      &bad[i].s1, bad[i].len, &id))
			TH_LOG("bad description %u", i);
		ASSERT_EQ(bad[i].err, errno) TH_LOG("bad description %u", i);
	}
	ASSERT_EQ(next, next_free_id(self->iommufd));

	ASSERT_EQ(0, hwpt_alloc_data(self->iommufd, 0, self->devid, parent,
				     IOMMU_HWPT_DATA_VTD_S1, &s1, sizeof(s1),
				     &nested));
	ASSERT_ERRNO(EBUSY, destroy(self->iommufd, parent));
	pt_id = nested;
	ASSERT_EQ(0, attach_pt(self->devfd, &pt_id));
	ASSERT_EQ(nested, pt_id);
	ASSERT_EQ(0, vtd_entry_of(self->bdf, &ne));
	ASSERT_EQ(VTD_PGTT_NESTED, ne.type);
	ASSERT_EQ(s2e.table, ne.table);
	ASSERT_EQ(IOVA_NEVER, ne.fl_table);
	ASSERT_NE(0, ne.did);
	ASSERT_NE(s2e.did, ne.did);

	/* An unknown flag in the second entry: the first was done */
	num = 2;
	ASSERT_ERRNO(EOPNOTSUPP, hwpt_invalidate(self->iommufd, nested, inv,
						 IOMMU_HWPT_INVALIDATE_DATA_VTD_S1,
						 sizeof(inv[0]), &num));
	ASSERT_EQ(1, num);
	inv[1].flags = IOMMU_VTD_INV_FLAGS_LEAF;
	inv[1].addr = IOVA_SRC + 8;
	num = 2;
	ASSERT_ERRNO(EINVAL, hwpt_invalidate(self->iommufd, nested, inv,
					     IOMMU_HWPT_INVALIDATE_DATA_VTD_S1,
					     sizeof(inv[0]), &num));
	ASSERT_EQ(1, num);
	inv[1].addr = IOVA_SRC;
	num = 2;
	ASSERT_EQ(0, hwpt_invalidate(self->iommufd, nested, inv,
				     IOMMU_HWPT_INVALIDATE_DATA_VTD_S1,
				     sizeof(inv[0]), &num));
	ASSERT_EQ(2, num);

	/* Back to the parent's own entry; then the nested HWPT can go */
	pt_id = parent;
	ASSERT_EQ(0, attach_pt(self->devfd, &pt_id));
	ASSERT_EQ(0, vtd_entry_of(self->bdf, &ne));
	ASSERT_EQ(VTD_PGTT_SL, ne.type);
	ASSERT_EQ(s2e.table, ne.table);
	ASSERT_EQ(0, destroy(self->iommufd, nested));
	pt_id = self->ioas_id;
	ASSERT_EQ(0, attach_pt(self->devfd, &pt_id));
	ASSERT_EQ(0, destroy(self->iommufd, parent));
}

/* SMMU_IDR0.S2P, S1P, TTF; SMMU_IDR1.SIDSIZE; SMMU_IDR5.OAS, GRAN4K */
#define SMMU_IDR0_S2P 0x1U
#define SMMU_IDR0_S1P 0x2U
#define SMMU_IDR0_TTF(r) (((r) >> 2) & 3)
#define SMMU_IDR1_SIDSIZE(r) ((r) & 0x3f)
#define SMMU_IDR5_OAS(r) ((r) & 7)
#define SMMU_IDR5_GRAN4K 0x10U
#define SMMU_IDR3_FWB 0x100U

/* The driver's consent to nesting on an SMMU without S2FWB */
#define SMMU_UNSAFE_NESTING \
	"/sys/module/arm_smmu_v3/parameters/allow_unsafe_nesting"

/*
 * The SMMUv3 data of GET_HW_INFO, or a skip on another IOMMU. Fills
 * @smmu and returns 0.
 */
static int edu_smmu_info(int iommufd, __u32 devid,
			 struct iommu_hw_info_arm_smmuv3 *smmu)
{
	__u32 len = sizeof(*smmu), type;

	if (edu_hw_info(iommufd, devid, smmu, &len, &type))
		return -1;
	return type == IOMMU_HW_INFO_TYPE_ARM_SMMUV3 ? 0 : 1;
}

/* Fill @smmu; false when the test skipped: the IOMMU is not an SMMUv3 */
static bool edu_smmu_or_skip(struct __test_metadata *_metadata, int iommufd,
			     __u32 devid, struct iommu_hw_info_arm_smmuv3 *smmu)
{
	int rc = edu_smmu_info(iommufd, devid, smmu);

	ASSERT_LE(0, rc);
	if (rc)
		SKIP(return false, "the IOMMU is not an ARM SMMUv3");
	return true;
}

/*
 * The SMMUv3 ID registers say what the driver relies on: stage 1 (the
 * driver's default for every domain) with the AArch64 table format and
 * the 4 KiB granule, a stream ID wide enough for PCI requester IDs, an
 * SMMUv3.x architecture revision. A stage-2 nesting parent can be
 * allocated exactly when both stages are implemented.
 */
TEST_F(edu, smmu_id_registers)
{
	struct iommu_hw_info_arm_smmuv3 smmu;
	__u32 id;
	int rc;

	if (!edu_smmu_or_skip(_metadata, self->iommufd, self->devid, &smmu))
		return;
	TH_LOG("IDR0-5 %08x %08x %08x %08x %08x %08x IIDR %08x AIDR %08x",
	       smmu.idr[0], smmu.idr[1], smmu.idr[2], smmu.idr[3],
	       smmu.idr[4], smmu.idr[5], smmu.iidr, smmu.aidr);
	ASSERT_TRUE(smmu.idr[0] & SMMU_IDR0_S1P);
	/* TTF: 2 AArch64, 3 AArch32 and AArch64 */
	ASSERT_LE(2, SMMU_IDR0_TTF(smmu.idr[0]));
	ASSERT_LE(16, SMMU_IDR1_SIDSIZE(smmu.idr[1]));
	ASSERT_TRUE(smmu.idr[5] & SMMU_IDR5_GRAN4K);
	/* OAS encodings 0 (32 bits) to 6 (52 bits) */
	ASSERT_GE(6, SMMU_IDR5_OAS(smmu.idr[5]));
	/* ArchMajorRev 0: SMMUv3.x */
	ASSERT_EQ(0, (smmu.aidr >> 4) & 0xf);

	errno = 0;
	rc = hwpt_alloc_paging(self->iommufd, self->devid, self->ioas_id,
			       IOMMU_HWPT_ALLOC_NEST_PARENT, &id);
	if (smmu.idr[0] & SMMU_IDR0_S2P) {
		ASSERT_EQ(0, rc);
		ASSERT_EQ(0, destroy(self->iommufd, id));
	} else {
		ASSERT_EQ(-1, rc);
		ASSERT_EQ(EOPNOTSUPP, errno);
	}
}

/*
 * SMMUv3 paging HWPTs: stage 1 by default and with
 * IOMMU_HWPT_ALLOC_PASID; stage 2 with IOMMU_HWPT_ALLOC_NEST_PARENT,
 * which cannot be combined with PASID (substreams exist in stage-1
 * context descriptors only). The edu device does DMA through the stage-2
 * table, moves to a stage-1 HWPT and back, and a stage-2 fault blocks a
 * DMA to an IOVA nobody mapped.
 */
TEST_F(edu, smmu_stage2_parent_dma)
{
	struct iommu_hw_info_arm_smmuv3 smmu;
	__u32 s1, s1_pasid, s2, pt_id;
	long faults;

	if (!edu_smmu_or_skip(_metadata, self->iommufd, self->devid, &smmu))
		return;
	if (!(smmu.idr[0] & SMMU_IDR0_S2P))
		SKIP(return, "the SMMU has no stage 2");

	ASSERT_ERRNO(EOPNOTSUPP,
		     hwpt_alloc_paging(self->iommufd, self->devid,
				       self->ioas_id,
				       IOMMU_HWPT_ALLOC_NEST_PARENT |
				       IOMMU_HWPT_ALLOC_PASID, &s2));
	ASSERT_EQ(0, hwpt_alloc_paging(self->iommufd, self->devid,
				       self->ioas_id, 0, &s1));
	ASSERT_EQ(0, hwpt_alloc_paging(self->iommufd, self->devid,
				       self->ioas_id, IOMMU_HWPT_ALLOC_PASID,
				       &s1_pasid));
	ASSERT_EQ(0, hwpt_alloc_paging(self->iommufd, self->devid,
				       self->ioas_id,
				       IOMMU_HWPT_ALLOC_NEST_PARENT, &s2));

	edu_map_src_dst(_metadata, self->iommufd, self->ioas_id, self->src,
			self->dst, 0x3c);

	pt_id = s2;
	ASSERT_EQ(0, attach_pt(self->devfd, &pt_id));
	ASSERT_EQ(s2, pt_id);
	ASSERT_ERRNO(EBUSY, destroy(self->iommufd, s2));
	edu_round_trip(_metadata, self->devfd, self->bar0, self->src,
		       self->dst);

	/* A stage-2 translation fault, reported as an event */
	memset(self->dst, 0, PAGE);
	faults = iommu_fault_irqs();
	ASSERT_LE(0, faults);
	ASSERT_EQ(0, edu_dma(self->devfd, self->bar0, EDU_BUF_ADDR,
			     IOVA_NEVER, EDU_DMA_TO_RAM));
	ASSERT_TRUE(iommu_fault_seen(faults, 5000));
	ASSERT_EQ(0, self->dst[0]);

	/* Stage 1 and back to stage 2, DMA each time */
	pt_id = s1_pasid;
	ASSERT_EQ(0, attach_pt(self->devfd, &pt_id));
	ASSERT_EQ(0, edu_dma(self->devfd, self->bar0, EDU_BUF_ADDR, IOVA_DST,
			     EDU_DMA_TO_RAM));
	ASSERT_EQ(0, memcmp(self->src, self->dst, PAGE));
	pt_id = s2;
	memset(self->dst, 0, PAGE);
	ASSERT_EQ(0, attach_pt(self->devfd, &pt_id));
	ASSERT_EQ(0, edu_dma(self->devfd, self->bar0, EDU_BUF_ADDR, IOVA_DST,
			     EDU_DMA_TO_RAM));
	ASSERT_EQ(0, memcmp(self->src, self->dst, PAGE));

	ASSERT_EQ(0, detach_pt(self->devfd));
	ASSERT_EQ(0, destroy(self->iommufd, s2));
	ASSERT_EQ(0, destroy(self->iommufd, s1));
	ASSERT_EQ(0, destroy(self->iommufd, s1_pasid));
}

/*
 * Nested (two-stage) translation on an SMMUv3, set up as a VMM would for
 * a guest that owns the edu device. "Guest RAM" is an anonymous buffer
 * mapped into the IOAS at IPA NEST_IPA, which the stage-2 parent
 * translates. The guest's context descriptor and LPAE stage-1 tables live
 * in that RAM and hold IPAs; the guest's stream table entry (words 0 and
 * 1) is the nested HWPT's data. The device's DMA addresses are stage-1
 * IOVAs, translated by both stages.
 *
 * Guest RAM, as offsets from NEST_IPA: the context descriptor at 0, the
 * L1, L2 and L3 tables at 0x1000, 0x2000 and 0x3000 (one IOAS map of the
 * first 64 KiB); the source page at 0x10000 and two destination pages at
 * 0x11000 and 0x12000 (one map each, so that one can be unmapped alone);
 * the rest of the 2 MiB in one more map.
 */
#define NEST_IPA 0x1000000UL
#define NEST_RAM_SIZE 0x200000UL
#define NEST_TABLES_SIZE 0x10000UL
#define NEST_CD 0x0UL
#define NEST_L1 0x1000UL
#define NEST_L2 0x2000UL
#define NEST_L3 0x3000UL
#define NEST_SRC 0x10000UL
#define NEST_DST 0x11000UL
#define NEST_DST2 0x12000UL
#define NEST_REST 0x13000UL
/* Stage-1 IOVAs, far below the 28 address bits edu drives */
#define NEST_IOVA_SRC 0x8000000UL
#define NEST_IOVA_DST 0x8001000UL
#define NEST_VSID 0x42
#define NEST_VSID_NONE 0x43
#define NEST_ASID 1
#define NEST_T0SZ 25
#define NEST_EVENTQ_DEPTH 16

/* LPAE descriptors, 4 KiB granule */
#define LPAE_TABLE 0x3ULL		/* valid; a table, or an L3 page */
#define LPAE_AP_UNPRIV 0x40ULL		/* AP[1]; AP[2] 0: read/write */
#define LPAE_SH_INNER 0x300ULL
#define LPAE_AF 0x400ULL
#define LPAE_NG 0x800ULL

/* Context descriptor, word 0 */
#define SMMU_CD0_T0SZ(n) ((__u64)(n))
#define SMMU_CD0_TG0_4K 0x0ULL
#define SMMU_CD0_IR0_WBWA 0x100ULL
#define SMMU_CD0_OR0_WBWA 0x400ULL
#define SMMU_CD0_SH0_INNER 0x3000ULL
#define SMMU_CD0_EPD1 0x40000000ULL
#define SMMU_CD0_V 0x80000000ULL
#define SMMU_CD0_IPS_40BIT 0x200000000ULL
#define SMMU_CD0_AA64 0x20000000000ULL
#define SMMU_CD0_R 0x200000000000ULL
#define SMMU_CD0_A 0x400000000000ULL
#define SMMU_CD0_ASET 0x800000000000ULL
#define SMMU_CD0_ASID(a) ((__u64)(a) << 48)
/* MAIR attribute 0: normal memory, inner and outer write-back */
#define SMMU_CD3_MAIR 0xffULL

/* Stream table entry, words 0 and 1 */
#define SMMU_STE0_V 0x1ULL
#define SMMU_STE0_CFG(c) ((__u64)(c) << 1)
#define SMMU_STE_CFG_ABORT 0
#define SMMU_STE_CFG_BYPASS 4
#define SMMU_STE_CFG_S1 5
#define SMMU_STE1_S1CIR_WBRA 0x4ULL
#define SMMU_STE1_S1COR_WBRA 0x10ULL
#define SMMU_STE1_S1CSH_INNER 0xc0ULL
#define SMMU_STE1_S1STALLD 0x8000000ULL
#define SMMU_STE1_EATS(e) ((__u64)(e) << 28)

/* The guest's entry for the edu device: stage 1 through the CD */
#define NEST_STE0 (SMMU_STE0_V | SMMU_STE0_CFG(SMMU_STE_CFG_S1) | \
		   (NEST_IPA + NEST_CD))
#define NEST_STE1 (SMMU_STE1_S1CIR_WBRA | SMMU_STE1_S1COR_WBRA | \
		   SMMU_STE1_S1CSH_INNER)

/* Command queue entries: opcodes (word 0, bits 7:0) and fields */
#define SMMU_CMD_PREFETCH_CFG 0x01ULL
#define SMMU_CMD_CFGI_STE 0x03ULL
#define SMMU_CMD_CFGI_ALL 0x04ULL
#define SMMU_CMD_CFGI_CD 0x05ULL
#define SMMU_CMD_CFGI_CD_ALL 0x06ULL
#define SMMU_CMD_TLBI_NH_ALL 0x10ULL
#define SMMU_CMD_TLBI_NH_ASID 0x11ULL
#define SMMU_CMD_TLBI_NH_VA 0x12ULL
#define SMMU_CMD_TLBI_NH_VAA 0x13ULL
#define SMMU_CMD_TLBI_S12_VMALL 0x28ULL
#define SMMU_CMD_TLBI_S2_IPA 0x2aULL
#define SMMU_CMD_TLBI_NSNH_ALL 0x30ULL
#define SMMU_CMD_ATC_INV 0x40ULL
#define SMMU_CMD_SYNC 0x46ULL
#define SMMU_CMD_SID(s) ((__u64)(s) << 32)
#define SMMU_CMD_ASID(a) ((__u64)(a) << 48)
#define SMMU_CMD_LEAF 0x1ULL
#define SMMU_CMD_CFGI_RANGE_ALL 0x1fULL
#define SMMU_CMD_ATC_SIZE_ALL 0x34ULL

/* Event records */
#define SMMU_EVT_F_TRANSLATION 0x10
#define SMMU_EVT_C_BAD_CD 0x0a
/* nest_drain_events(): the event has no address to check */
#define NEST_ANY_IOVA (~0ULL)
#define SMMU_EVT1_S2 0x8000000000ULL

/* One record of an ARM SMMUv3 vEVENTQ */
struct nest_vevent {
	struct iommufd_vevent_header hdr;
	struct iommu_vevent_arm_smmuv3 evt;
};

/* IOMMU_HWPT_ALLOC on vIOMMU @viommu_id with STE words @w0 and @w1 */
static int nest_alloc_ste(int iommufd, __u32 devid, __u32 viommu_id,
			  __u64 w0, __u64 w1, __u32 *id)
{
	struct iommu_hwpt_arm_smmuv3 ste = {
		.ste = { htole64(w0), htole64(w1) },
	};

	return hwpt_alloc_data(iommufd, 0, devid, viommu_id,
			       IOMMU_HWPT_DATA_ARM_SMMUV3, &ste, sizeof(ste),
			       id);
}

/*
 * IOMMU_HWPT_INVALIDATE on vIOMMU @viommu_id with *@num SMMUv3 commands,
 * two words each; *@num gets the count the kernel handled.
 */
static int nest_invalidate(int iommufd, __u32 viommu_id,
			   const __u64 (*words)[2], __u32 *num)
{
	struct iommu_viommu_arm_smmuv3_invalidate cmds[8] = {};
	__u32 i;

	if (*num > ARRAY_SIZE(cmds)) {
		errno = E2BIG;
		return -1;
	}
	for (i = 0; i < *num; i++) {
		cmds[i].cmd[0] = htole64(words[i][0]);
		cmds[i].cmd[1] = htole64(words[i][1]);
	}
	return hwpt_invalidate(iommufd, viommu_id, cmds,
			       IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3,
			       sizeof(cmds[0]), num);
}

static __u64 *ram_u64(char *ram, __u64 offset)
{
	return (__u64 *)(ram + offset);
}

/* The index of @iova in its table of @level (1 to 3), 4 KiB granule */
static unsigned int lpae_index(__u64 iova, int level)
{
	return (iova >> (12 + 9 * (3 - level))) & 0x1ff;
}

/* A read/write L3 page descriptor for the page at guest address @ipa */
static __u64 lpae_page(__u64 ipa)
{
	return ipa | LPAE_TABLE | LPAE_AP_UNPRIV | LPAE_SH_INNER | LPAE_AF |
	       LPAE_NG;
}

/* Make @pte the L3 entry of stage-1 @iova, visible to the SMMU */
static void nest_set_pte(char *ram, __u64 iova, __u64 pte)
{
	*ram_u64(ram, NEST_L3 + 8 * lpae_index(iova, 3)) = htole64(pte);
	__sync_synchronize();
}

/*
 * What the guest does to change a leaf: @pte becomes the L3 entry of
 * @iova, then one TLBI_NH_VA of it, which the vIOMMU must take whole.
 */
static void nest_set_leaf(struct __test_metadata *_metadata, int iommufd,
			  __u32 viommu_id, char *ram, __u64 iova, __u64 pte)
{
	const __u64 tlbi[1][2] = {
		{ SMMU_CMD_TLBI_NH_VA | SMMU_CMD_ASID(NEST_ASID),
		  iova | SMMU_CMD_LEAF },
	};
	__u32 num = 1;

	nest_set_pte(ram, iova, pte);
	ASSERT_EQ(0, nest_invalidate(iommufd, viommu_id, tlbi, &num))
		TH_LOG("TLBI_NH_VA 0x%llx: %s", (unsigned long long)iova,
		       strerror(errno));
	ASSERT_EQ(1, num);
}

/*
 * The guest's stage 1, all in IPAs: one context descriptor (39-bit VA,
 * 4 KiB granule, 40-bit output, ASID NEST_ASID) whose table maps
 * NEST_IOVA_SRC to the source page and NEST_IOVA_DST to the first
 * destination page, through one table at each of the three levels.
 */
static void nest_build_s1(char *ram)
{
	__u64 *cd = ram_u64(ram, NEST_CD);

	cd[0] = htole64(SMMU_CD0_T0SZ(NEST_T0SZ) | SMMU_CD0_TG0_4K |
			SMMU_CD0_IR0_WBWA | SMMU_CD0_OR0_WBWA |
			SMMU_CD0_SH0_INNER | SMMU_CD0_EPD1 | SMMU_CD0_V |
			SMMU_CD0_IPS_40BIT | SMMU_CD0_AA64 | SMMU_CD0_R |
			SMMU_CD0_A | SMMU_CD0_ASET |
			SMMU_CD0_ASID(NEST_ASID));
	cd[1] = htole64(NEST_IPA + NEST_L1);
	cd[3] = htole64(SMMU_CD3_MAIR);
	*ram_u64(ram, NEST_L1 + 8 * lpae_index(NEST_IOVA_SRC, 1)) =
		htole64((NEST_IPA + NEST_L2) | LPAE_TABLE);
	*ram_u64(ram, NEST_L2 + 8 * lpae_index(NEST_IOVA_SRC, 2)) =
		htole64((NEST_IPA + NEST_L3) | LPAE_TABLE);
	nest_set_pte(ram, NEST_IOVA_SRC, lpae_page(NEST_IPA + NEST_SRC));
	nest_set_pte(ram, NEST_IOVA_DST, lpae_page(NEST_IPA + NEST_DST));
}

/* The byte @i of pattern @seed */
static unsigned char pattern_byte(unsigned int i, int seed)
{
	return (i * 13 + seed) & 0xff;
}

static void page_fill(char *p, int seed)
{
	unsigned int i;

	for (i = 0; i < EDU_BUF_SIZE; i++)
		p[i] = pattern_byte(i, seed);
}

/* Whether the EDU_BUF_SIZE bytes at @p are pattern @seed */
static bool page_holds(const char *p, int seed)
{
	unsigned int i;

	for (i = 0; i < EDU_BUF_SIZE; i++)
		if ((unsigned char)p[i] != pattern_byte(i, seed))
			return false;
	return true;
}

static bool page_is_zero(const char *p)
{
	unsigned int i;

	for (i = 0; i < EDU_BUF_SIZE; i++)
		if (p[i])
			return false;
	return true;
}

/*
 * The source page of guest RAM @ram gets pattern @seed; edu reads @src
 * into its buffer and writes its buffer to @dst, which must bring the
 * pattern to the page at @dst_off of guest RAM.
 */
static void nest_copy(struct __test_metadata *_metadata, int devfd,
		      __u64 bar0, char *ram, int seed, __u64 src, __u64 dst,
		      __u64 dst_off)
{
	page_fill(ram + NEST_SRC, seed);
	ASSERT_EQ(0, edu_dma(devfd, bar0, src, EDU_BUF_ADDR, 0));
	ASSERT_EQ(0, edu_dma(devfd, bar0, EDU_BUF_ADDR, dst, EDU_DMA_TO_RAM));
	ASSERT_TRUE(page_holds(ram + dst_off, seed))
		TH_LOG("pattern %d", seed);
}

/* Attach the edu device (@devfd) to @pt_id, and it must be on it */
static void attach_pt_on(struct __test_metadata *_metadata, int devfd,
			 __u32 pt_id)
{
	__u32 id = pt_id;

	ASSERT_EQ(0, attach_pt(devfd, &id))
		TH_LOG("attach to %u: %s", pt_id, strerror(errno));
	ASSERT_EQ(pt_id, id);
}

/*
 * Read the vEVENTQ at @fd until it stays empty for half a second. QEMU's
 * SMMU reports one faulting DMA many times over (it translates the
 * transfer in pieces), more than the queue holds while the SMMU's event
 * thread fills it: every event must be of type @id, not a stage-2 one,
 * for the vDEVICE NEST_VSID, in the page of @iova unless that is
 * NEST_ANY_IOVA; lost-events headers may come between them, and sequence
 * numbers rise from 0. Returns the number of events read.
 */
static unsigned int nest_drain_events(struct __test_metadata *_metadata,
				      int fd, __u8 id, __u64 iova)
{
	const size_t hdr_len = sizeof(struct iommufd_vevent_header);
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	unsigned int events = 0;
	__s64 last_seq = -1;
	struct nest_vevent rec;
	char buf[4096];
	ssize_t len, off;
	__u64 evt0;

	while (poll(&pfd, 1, 500) == 1) {
		len = read(fd, buf, sizeof(buf));
		ASSERT_LT(0, len) TH_LOG("read: %s", strerror(errno));
		for (off = 0; off < len; off += hdr_len) {
			ASSERT_LE(off + (ssize_t)hdr_len, len);
			memcpy(&rec.hdr, buf + off, hdr_len);
			ASSERT_LT(last_seq, (__s64)rec.hdr.sequence);
			last_seq = rec.hdr.sequence;
			if (rec.hdr.flags == IOMMU_VEVENTQ_FLAG_LOST_EVENTS)
				continue;
			ASSERT_EQ(0, rec.hdr.flags);
			ASSERT_LE(off + (ssize_t)sizeof(rec), len);
			memcpy(&rec, buf + off, sizeof(rec));
			off += sizeof(rec.evt);
			if (!events++)
				ASSERT_EQ(0, rec.hdr.sequence);
			evt0 = le64toh(rec.evt.evt[0]);
			ASSERT_EQ(id, evt0 & 0xff);
			ASSERT_EQ(NEST_VSID, evt0 >> 32);
			ASSERT_EQ(0, le64toh(rec.evt.evt[1]) & SMMU_EVT1_S2);
			if (iova != NEST_ANY_IOVA)
				ASSERT_EQ(iova,
					  le64toh(rec.evt.evt[2]) & ~(PAGE - 1));
		}
	}
	ASSERT_LT(0, events);
	return events;
}

/*
 * What a VMM does for a guest with an SMMUv3 and the edu device (@devid,
 * bound to @iommufd, its cdev @devfd): guest RAM with the stage-1 tables
 * in it, mapped into IOAS @ioas_id; a stage-2 parent on that IOAS; a
 * vIOMMU on the parent, a vDEVICE giving the edu device virtual stream ID
 * NEST_VSID, and an event queue. With @attach, also the nested HWPT of
 * the guest's STE, with the device attached to it. False when the test
 * skipped: not an SMMUv3, or one without both stages.
 */
static bool nest_setup(struct __test_metadata *_metadata, int iommufd,
		       __u32 ioas_id, __u32 devid, int devfd, struct nest *n,
		       bool attach)
{
	struct iommu_hw_info_arm_smmuv3 smmu;
	int rc, err;

	memset(n, 0, sizeof(*n));
	n->veventq_fd = -1;
	if (!edu_smmu_or_skip(_metadata, iommufd, devid, &smmu))
		return false;
	if (!(smmu.idr[0] & SMMU_IDR0_S1P) || !(smmu.idr[0] & SMMU_IDR0_S2P))
		SKIP(return false, "the SMMU lacks a stage: no nesting");

	n->ram = mmap(NULL, NEST_RAM_SIZE, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, n->ram);
	memset(n->ram, 0, NEST_RAM_SIZE);
	nest_build_s1(n->ram);

	ASSERT_EQ(0, ioas_map_fixed(iommufd, ioas_id, n->ram,
				    NEST_TABLES_SIZE, NEST_IPA));
	ASSERT_EQ(0, ioas_map_fixed(iommufd, ioas_id, n->ram + NEST_SRC,
				    PAGE, NEST_IPA + NEST_SRC));
	ASSERT_EQ(0, ioas_map_fixed(iommufd, ioas_id, n->ram + NEST_DST,
				    PAGE, NEST_IPA + NEST_DST));
	ASSERT_EQ(0, ioas_map_fixed(iommufd, ioas_id, n->ram + NEST_DST2,
				    PAGE, NEST_IPA + NEST_DST2));
	ASSERT_EQ(0, ioas_map_fixed(iommufd, ioas_id, n->ram + NEST_REST,
				    NEST_RAM_SIZE - NEST_REST,
				    NEST_IPA + NEST_REST));
	ASSERT_EQ(0, hwpt_alloc_paging(iommufd, devid, ioas_id,
				       IOMMU_HWPT_ALLOC_NEST_PARENT, &n->s2));

	/*
	 * Without S2FWB the guest could make DMA non-coherent: the driver
	 * refuses vIOMMUs unless told the risk is accepted, which this test
	 * does for the allocation only (QEMU's SMMU has no S2FWB).
	 */
	if (!(smmu.idr[3] & SMMU_IDR3_FWB)) {
		ASSERT_EQ(0, write_sysfs(SMMU_UNSAFE_NESTING, "N"));
		ASSERT_ERRNO(EOPNOTSUPP,
			     viommu_alloc(iommufd, devid, n->s2,
					  IOMMU_VIOMMU_TYPE_ARM_SMMUV3, NULL,
					  0, &n->viommu));
		ASSERT_EQ(0, write_sysfs(SMMU_UNSAFE_NESTING, "Y"));
	}
	rc = viommu_alloc(iommufd, devid, n->s2, IOMMU_VIOMMU_TYPE_ARM_SMMUV3,
			  NULL, 0, &n->viommu);
	err = errno;
	if (!(smmu.idr[3] & SMMU_IDR3_FWB))
		ASSERT_EQ(0, write_sysfs(SMMU_UNSAFE_NESTING, "N"));
	ASSERT_EQ(0, rc) TH_LOG("IOMMU_VIOMMU_ALLOC: %s", strerror(err));
	ASSERT_EQ(0, vdevice_alloc(iommufd, n->viommu, devid, NEST_VSID,
				   &n->vdev));
	ASSERT_EQ(0, veventq_alloc(iommufd, n->viommu,
				   IOMMU_VEVENTQ_TYPE_ARM_SMMUV3,
				   NEST_EVENTQ_DEPTH, &n->veventq,
				   &n->veventq_fd));
	ASSERT_LE(0, n->veventq_fd);
	if (!attach)
		return true;

	ASSERT_EQ(0, nest_alloc_ste(iommufd, devid, n->viommu, NEST_STE0,
				    NEST_STE1, &n->nested))
		TH_LOG("nested HWPT: %s", strerror(errno));
	attach_pt_on(_metadata, devfd, n->nested);
	return true;
}

/*
 * DMA through both stages, then what a guest does to its stage 1: change
 * a leaf and invalidate it, remove it (a stage-1 fault, reported to the
 * vIOMMU's event queue under the virtual stream ID), restore it. Last, the
 * host takes the page away in stage 2 under the live stage-1 entry: the
 * DMA faults there, and that fault stays with the host.
 */
TEST_F(edu, smmu_nested_dma)
{
	const __u64 va_and_asid[2][2] = {
		{ SMMU_CMD_TLBI_NH_VA | SMMU_CMD_ASID(NEST_ASID),
		  NEST_IOVA_DST | SMMU_CMD_LEAF },
		{ SMMU_CMD_TLBI_NH_ASID | SMMU_CMD_ASID(NEST_ASID), 0 },
	};
	unsigned int n_events;
	struct nest_vevent ev;
	struct pollfd pfd;
	__u64 unmapped;
	struct nest *n = &self->nest;
	long faults;
	__u32 num;

	if (!nest_setup(_metadata, self->iommufd, self->ioas_id, self->devid,
			self->devfd, n, true))
		return;
	ASSERT_EQ(40, sizeof(struct nest_vevent));

	/* Stage 1 maps the IOVAs, stage 2 the IPAs they lead to */
	nest_copy(_metadata, self->devfd, self->bar0, n->ram, 1, NEST_IOVA_SRC,
		  NEST_IOVA_DST, NEST_DST);
	ASSERT_TRUE(page_is_zero(n->ram + NEST_DST2));

	/* The guest moves one leaf and invalidates it by VA */
	nest_set_leaf(_metadata, self->iommufd, n->viommu, n->ram,
		      NEST_IOVA_DST, lpae_page(NEST_IPA + NEST_DST2));
	nest_copy(_metadata, self->devfd, self->bar0, n->ram, 2, NEST_IOVA_SRC,
		  NEST_IOVA_DST, NEST_DST2);
	ASSERT_TRUE(page_holds(n->ram + NEST_DST, 1));

	/* Removed: a stage-1 translation fault, which the guest is told */
	nest_set_pte(n->ram, NEST_IOVA_DST, 0);
	num = 2;
	ASSERT_EQ(0, nest_invalidate(self->iommufd, n->viommu, va_and_asid,
				     &num));
	ASSERT_EQ(2, num);
	page_fill(n->ram + NEST_SRC, 3);
	ASSERT_EQ(0, edu_dma(self->devfd, self->bar0, NEST_IOVA_SRC,
			     EDU_BUF_ADDR, 0));
	faults = iommu_fault_irqs();
	ASSERT_LE(0, faults) TH_LOG("no IOMMU fault interrupt");
	ASSERT_EQ(0, edu_dma(self->devfd, self->bar0, EDU_BUF_ADDR,
			     NEST_IOVA_DST, EDU_DMA_TO_RAM));
	ASSERT_TRUE(iommu_fault_seen(faults, 5000));
	pfd.fd = n->veventq_fd;
	pfd.events = POLLIN;
	pfd.revents = 0;
	ASSERT_EQ(1, poll(&pfd, 1, 5000));
	/* poll() reports only the events asked for */
	ASSERT_EQ(POLLIN, pfd.revents);
	n_events = nest_drain_events(_metadata, n->veventq_fd,
				     SMMU_EVT_F_TRANSLATION, NEST_IOVA_DST);
	TH_LOG("%u fault events for one faulting DMA", n_events);
	ASSERT_TRUE(page_holds(n->ram + NEST_DST, 1));
	ASSERT_TRUE(page_holds(n->ram + NEST_DST2, 2));

	/* Restored: edu's buffer still holds what it read, pattern 3 */
	nest_set_leaf(_metadata, self->iommufd, n->viommu, n->ram,
		      NEST_IOVA_DST, lpae_page(NEST_IPA + NEST_DST));
	ASSERT_EQ(0, edu_dma(self->devfd, self->bar0, EDU_BUF_ADDR,
			     NEST_IOVA_DST, EDU_DMA_TO_RAM));
	ASSERT_TRUE(page_holds(n->ram + NEST_DST, 3));

	/* Stage 2 loses the page under the live stage-1 entry */
	ASSERT_EQ(0, ioas_unmap(self->iommufd, self->ioas_id,
				NEST_IPA + NEST_DST, PAGE, &unmapped));
	ASSERT_EQ(PAGE, unmapped);
	page_fill(n->ram + NEST_SRC, 4);
	ASSERT_EQ(0, edu_dma(self->devfd, self->bar0, NEST_IOVA_SRC,
			     EDU_BUF_ADDR, 0));
	faults = iommu_fault_irqs();
	ASSERT_LE(0, faults);
	ASSERT_EQ(0, edu_dma(self->devfd, self->bar0, EDU_BUF_ADDR,
			     NEST_IOVA_DST, EDU_DMA_TO_RAM));
	ASSERT_TRUE(iommu_fault_seen(faults, 5000));
	ASSERT_TRUE(page_holds(n->ram + NEST_DST, 3));
	ASSERT_TRUE(page_holds(n->ram + NEST_DST2, 2));
	/* A stage-2 fault is the host's: the guest's queue stays empty */
	pfd.revents = 0;
	ASSERT_EQ(0, poll(&pfd, 1, 1000));
	ASSERT_EQ(0, read(n->veventq_fd, &ev, sizeof(ev)));
	ASSERT_EQ(0, close(n->veventq_fd));
	n->veventq_fd = -1;
}

/*
 * The commands a vIOMMU passes on: stage-1 TLB, ATC and CD-cache ones,
 * alone or several at once; everything else, and a stream ID without a
 * vDEVICE, stops the array at that entry with EIO, after the entries
 * before it were carried out. DMA still works after all of it.
 */
TEST_F(edu, smmu_nested_invalidate_errors)
{
	const __u64 accepted[][2] = {
		{ SMMU_CMD_TLBI_NH_ALL, 0 },
		{ SMMU_CMD_TLBI_NH_ASID | SMMU_CMD_ASID(NEST_ASID), 0 },
		{ SMMU_CMD_TLBI_NH_VA | SMMU_CMD_ASID(NEST_ASID),
		  NEST_IOVA_DST | SMMU_CMD_LEAF },
		{ SMMU_CMD_TLBI_NH_VAA, NEST_IOVA_DST | SMMU_CMD_LEAF },
		{ SMMU_CMD_ATC_INV | SMMU_CMD_SID(NEST_VSID),
		  SMMU_CMD_ATC_SIZE_ALL },
		{ SMMU_CMD_CFGI_CD | SMMU_CMD_SID(NEST_VSID), SMMU_CMD_LEAF },
		{ SMMU_CMD_CFGI_CD_ALL | SMMU_CMD_SID(NEST_VSID), 0 },
	};
	const __u64 refused[][2] = {
		{ SMMU_CMD_PREFETCH_CFG | SMMU_CMD_SID(NEST_VSID), 0 },
		{ SMMU_CMD_CFGI_STE | SMMU_CMD_SID(NEST_VSID), SMMU_CMD_LEAF },
		{ SMMU_CMD_CFGI_ALL, SMMU_CMD_CFGI_RANGE_ALL },
		{ SMMU_CMD_TLBI_S12_VMALL, 0 },
		{ SMMU_CMD_TLBI_S2_IPA, (NEST_IPA + NEST_DST) | SMMU_CMD_LEAF },
		{ SMMU_CMD_TLBI_NSNH_ALL, 0 },
		{ SMMU_CMD_SYNC, 0 },
		/* Stream IDs the guest gave no device of the vIOMMU */
		{ SMMU_CMD_CFGI_CD | SMMU_CMD_SID(NEST_VSID_NONE),
		  SMMU_CMD_LEAF },
		{ SMMU_CMD_CFGI_CD_ALL | SMMU_CMD_SID(NEST_VSID_NONE), 0 },
		{ SMMU_CMD_ATC_INV | SMMU_CMD_SID(NEST_VSID_NONE),
		  SMMU_CMD_ATC_SIZE_ALL },
	};
	const __u64 second_refused[3][2] = {
		{ SMMU_CMD_TLBI_NH_ASID | SMMU_CMD_ASID(NEST_ASID), 0 },
		{ SMMU_CMD_TLBI_S2_IPA, (NEST_IPA + NEST_DST) | SMMU_CMD_LEAF },
		{ SMMU_CMD_TLBI_NH_ALL, 0 },
	};
	struct iommu_viommu_arm_smmuv3_invalidate one = {
		.cmd = { htole64(SMMU_CMD_TLBI_NH_ALL), 0 },
	};
	struct nest *n = &self->nest;
	unsigned int i;
	__u32 num;

	if (!nest_setup(_metadata, self->iommufd, self->ioas_id, self->devid,
			self->devfd, n, true))
		return;

	for (i = 0; i < ARRAY_SIZE(accepted); i++) {
		num = 1;
		ASSERT_EQ(0, nest_invalidate(self->iommufd, n->viommu,
					     &accepted[i], &num))
			TH_LOG("command 0x%llx: %s",
			       (unsigned long long)accepted[i][0],
			       strerror(errno));
		ASSERT_EQ(1, num);
	}
	num = ARRAY_SIZE(accepted);
	ASSERT_EQ(0, nest_invalidate(self->iommufd, n->viommu, accepted,
				     &num));
	ASSERT_EQ(ARRAY_SIZE(accepted), num);

	for (i = 0; i < ARRAY_SIZE(refused); i++) {
		num = 1;
		errno = 0;
		ASSERT_EQ(-1, nest_invalidate(self->iommufd, n->viommu,
					      &refused[i], &num))
			TH_LOG("command 0x%llx",
			       (unsigned long long)refused[i][0]);
		ASSERT_EQ(EIO, errno) TH_LOG("command 0x%llx",
					     (unsigned long long)refused[i][0]);
		ASSERT_EQ(0, num);
	}
	num = ARRAY_SIZE(second_refused);
	ASSERT_ERRNO(EIO, nest_invalidate(self->iommufd, n->viommu,
					  second_refused, &num));
	ASSERT_EQ(1, num);

	/* Entries of another IOMMU's layout */
	num = 1;
	ASSERT_ERRNO(EINVAL, hwpt_invalidate(self->iommufd, n->viommu, &one,
					     IOMMU_HWPT_INVALIDATE_DATA_VTD_S1,
					     sizeof(one), &num));
	ASSERT_EQ(0, num);

	nest_copy(_metadata, self->devfd, self->bar0, n->ram, 0x21,
		  NEST_IOVA_SRC, NEST_IOVA_DST, NEST_DST);
	ASSERT_EQ(0, close(n->veventq_fd));
	n->veventq_fd = -1;
}

/*
 * The guest's STE as nested HWPT data: only the stage-1 fields, and a
 * Config of abort, bypass or stage-1 translation. A refused entry (EIO)
 * allocates nothing. An abort entry blocks DMA; a bypass one leaves
 * stage 2 alone to translate, IOVA = IPA. Then the rules of the data
 * itself: length, flags, type.
 */
/*
 * A context descriptor the guest left invalid: the SMMU reports a bad CD
 * (C_BAD_CD), a configuration error of the guest's, which goes to the
 * guest's event queue under the virtual stream ID; the DMA writes
 * nothing.
 */
TEST_F(edu, smmu_nested_bad_cd_event)
{
	unsigned int n_events;
	struct nest *n = &self->nest;
	long faults;

	if (!nest_setup(_metadata, self->iommufd, self->ioas_id, self->devid,
			self->devfd, n, false))
		return;
	/* Never attached yet, so the SMMU has cached none of it */
	*ram_u64(n->ram, NEST_CD) &= ~htole64(SMMU_CD0_V);
	ASSERT_EQ(0, nest_alloc_ste(self->iommufd, self->devid, n->viommu,
				    NEST_STE0, NEST_STE1, &n->nested));
	attach_pt_on(_metadata, self->devfd, n->nested);

	page_fill(n->ram + NEST_SRC, 7);
	faults = iommu_fault_irqs();
	ASSERT_LE(0, faults) TH_LOG("no IOMMU fault interrupt");
	ASSERT_EQ(0, edu_dma(self->devfd, self->bar0, EDU_BUF_ADDR,
			     NEST_IOVA_DST, EDU_DMA_TO_RAM));
	ASSERT_TRUE(iommu_fault_seen(faults, 5000));
	n_events = nest_drain_events(_metadata, n->veventq_fd,
				     SMMU_EVT_C_BAD_CD, NEST_ANY_IOVA);
	TH_LOG("%u bad-CD events for one DMA", n_events);
	ASSERT_TRUE(page_is_zero(n->ram + NEST_DST));
	ASSERT_EQ(0, close(n->veventq_fd));
	n->veventq_fd = -1;
}

TEST_F(edu, smmu_nested_bad_ste)
{
	const __u64 refused[][2] = {
		{ SMMU_STE0_V | SMMU_STE0_CFG(1) | (NEST_IPA + NEST_CD),
		  NEST_STE1 },
		{ SMMU_STE0_V | SMMU_STE0_CFG(2) | (NEST_IPA + NEST_CD),
		  NEST_STE1 },
		{ SMMU_STE0_V | SMMU_STE0_CFG(3) | (NEST_IPA + NEST_CD),
		  NEST_STE1 },
		/* stage-2 translation, and both stages: the host's part */
		{ SMMU_STE0_V | SMMU_STE0_CFG(6) | (NEST_IPA + NEST_CD),
		  NEST_STE1 },
		{ SMMU_STE0_V | SMMU_STE0_CFG(7) | (NEST_IPA + NEST_CD),
		  NEST_STE1 },
		/* word 0 bits 52 and 58, between S1ContextPtr and S1CDMax */
		{ NEST_STE0 | 0x10000000000000ULL, NEST_STE1 },
		{ NEST_STE0 | 0x400000000000000ULL, NEST_STE1 },
		/* word 1: bit 8, STRW (bit 30), SHCFG (bit 44) */
		{ NEST_STE0, NEST_STE1 | 0x100ULL },
		{ NEST_STE0, NEST_STE1 | 0x40000000ULL },
		{ NEST_STE0, NEST_STE1 | 0x100000000000ULL },
		/* EATS 2: split-stage ATS */
		{ NEST_STE0, NEST_STE1 | SMMU_STE1_EATS(2) },
	};
	const __u64 accepted[][2] = {
		/* S1ContextPtr bit 6: a CD 64 bytes further */
		{ NEST_STE0 | 0x40ULL, NEST_STE1 },
		{ NEST_STE0, NEST_STE1 | SMMU_STE1_S1STALLD },
	};
	struct {
		struct iommu_hwpt_arm_smmuv3 ste;
		__u64 more;
	} longer = {
		.ste.ste = { htole64(NEST_STE0), htole64(NEST_STE1) },
	};
	__u32 id, next, aborts[2], bypass;
	struct nest *n = &self->nest;
	unsigned int i;

	if (!nest_setup(_metadata, self->iommufd, self->ioas_id, self->devid,
			self->devfd, n, false))
		return;

	for (i = 0; i < ARRAY_SIZE(refused); i++) {
		next = next_free_id(self->iommufd);
		ASSERT_NE(0, next);
		errno = 0;
		ASSERT_EQ(-1, nest_alloc_ste(self->iommufd, self->devid,
					     n->viommu, refused[i][0],
					     refused[i][1], &id))
			TH_LOG("STE 0x%llx 0x%llx",
			       (unsigned long long)refused[i][0],
			       (unsigned long long)refused[i][1]);
		ASSERT_EQ(EIO, errno) TH_LOG("STE 0x%llx 0x%llx",
					     (unsigned long long)refused[i][0],
					     (unsigned long long)refused[i][1]);
		ASSERT_EQ(next, next_free_id(self->iommufd));
	}
	for (i = 0; i < ARRAY_SIZE(accepted); i++) {
		ASSERT_EQ(0, nest_alloc_ste(self->iommufd, self->devid,
					    n->viommu, accepted[i][0],
					    accepted[i][1], &id))
			TH_LOG("STE 0x%llx 0x%llx: %s",
			       (unsigned long long)accepted[i][0],
			       (unsigned long long)accepted[i][1],
			       strerror(errno));
		ASSERT_EQ(0, destroy(self->iommufd, id));
	}

	/* Not valid (all zero), and abort: both block everything */
	ASSERT_EQ(0, nest_alloc_ste(self->iommufd, self->devid, n->viommu, 0,
				    0, &aborts[0]));
	ASSERT_EQ(0, nest_alloc_ste(self->iommufd, self->devid, n->viommu,
				    SMMU_STE0_V |
				    SMMU_STE0_CFG(SMMU_STE_CFG_ABORT), 0,
				    &aborts[1]));
	ASSERT_EQ(0, nest_alloc_ste(self->iommufd, self->devid, n->viommu,
				    SMMU_STE0_V |
				    SMMU_STE0_CFG(SMMU_STE_CFG_BYPASS), 0,
				    &bypass));

	/* Bypass: stage 2 alone, the IPA is the IOVA */
	attach_pt_on(_metadata, self->devfd, bypass);
	nest_copy(_metadata, self->devfd, self->bar0, n->ram, 0x31,
		  NEST_IPA + NEST_SRC, NEST_IPA + NEST_DST, NEST_DST);

	for (i = 0; i < ARRAY_SIZE(aborts); i++) {
		attach_pt_on(_metadata, self->devfd, aborts[i]);
		ASSERT_EQ(0, edu_dma(self->devfd, self->bar0, EDU_BUF_ADDR,
				     NEST_IPA + NEST_DST2, EDU_DMA_TO_RAM));
		ASSERT_TRUE(page_is_zero(n->ram + NEST_DST2))
			TH_LOG("abort HWPT %u", i);
	}

	/* The data: too short, longer with more to say, longer with zeros */
	next = next_free_id(self->iommufd);
	ASSERT_NE(0, next);
	ASSERT_ERRNO(EINVAL, hwpt_alloc_data(self->iommufd, 0, self->devid,
					     n->viommu,
					     IOMMU_HWPT_DATA_ARM_SMMUV3,
					     &longer, 8, &id));
	ASSERT_EQ(next, next_free_id(self->iommufd));
	longer.more = 1;
	ASSERT_ERRNO(E2BIG, hwpt_alloc_data(self->iommufd, 0, self->devid,
					    n->viommu,
					    IOMMU_HWPT_DATA_ARM_SMMUV3,
					    &longer, sizeof(longer), &id));
	ASSERT_EQ(next, next_free_id(self->iommufd));
	/* Substreams are the guest's, in its CD table: no PASID HWPT */
	ASSERT_ERRNO(EOPNOTSUPP, hwpt_alloc_data(self->iommufd,
						 IOMMU_HWPT_ALLOC_PASID,
						 self->devid, n->viommu,
						 IOMMU_HWPT_DATA_ARM_SMMUV3,
						 &longer.ste,
						 sizeof(longer.ste), &id));
	ASSERT_EQ(next, next_free_id(self->iommufd));
	ASSERT_ERRNO(EOPNOTSUPP, hwpt_alloc_data(self->iommufd, 0,
						 self->devid, n->viommu,
						 IOMMU_HWPT_DATA_VTD_S1,
						 &longer.ste,
						 sizeof(longer.ste), &id));
	ASSERT_EQ(next, next_free_id(self->iommufd));
	longer.more = 0;
	ASSERT_EQ(0, hwpt_alloc_data(self->iommufd, 0, self->devid, n->viommu,
				     IOMMU_HWPT_DATA_ARM_SMMUV3, &longer,
				     sizeof(longer), &id));
	ASSERT_EQ(0, destroy(self->iommufd, id));

	ASSERT_EQ(0, detach_pt(self->devfd));
	ASSERT_EQ(0, destroy(self->iommufd, aborts[0]));
	ASSERT_EQ(0, destroy(self->iommufd, aborts[1]));
	ASSERT_EQ(0, destroy(self->iommufd, bypass));
	ASSERT_EQ(0, close(n->veventq_fd));
	n->veventq_fd = -1;
}

/*
 * What holds what: the attached nested HWPT holds itself, its vIOMMU and
 * the parent; the device moves to the parent and back, with DMA through
 * stage 2 alone and through both; then everything goes, in order.
 */
TEST_F(edu, smmu_nested_lifetimes)
{
	struct nest *n = &self->nest;

	if (!nest_setup(_metadata, self->iommufd, self->ioas_id, self->devid,
			self->devfd, n, true))
		return;

	ASSERT_ERRNO(EBUSY, destroy(self->iommufd, n->viommu));
	ASSERT_ERRNO(EBUSY, destroy(self->iommufd, n->nested));
	ASSERT_ERRNO(EBUSY, destroy(self->iommufd, n->s2));

	attach_pt_on(_metadata, self->devfd, n->s2);
	nest_copy(_metadata, self->devfd, self->bar0, n->ram, 5,
		  NEST_IPA + NEST_SRC, NEST_IPA + NEST_DST, NEST_DST);

	attach_pt_on(_metadata, self->devfd, n->nested);
	nest_copy(_metadata, self->devfd, self->bar0, n->ram, 6, NEST_IOVA_SRC,
		  NEST_IOVA_DST, NEST_DST);

	ASSERT_EQ(0, detach_pt(self->devfd));
	ASSERT_EQ(0, destroy(self->iommufd, n->nested));
	/* The queue's open file holds it; the vDEVICE and queue, the vIOMMU */
	ASSERT_ERRNO(EBUSY, destroy(self->iommufd, n->veventq));
	ASSERT_ERRNO(EBUSY, destroy(self->iommufd, n->viommu));
	ASSERT_EQ(0, close(n->veventq_fd));
	n->veventq_fd = -1;
	ASSERT_EQ(0, destroy(self->iommufd, n->veventq));
	ASSERT_EQ(0, destroy(self->iommufd, n->vdev));
	ASSERT_EQ(0, destroy(self->iommufd, n->viommu));
	ASSERT_EQ(0, destroy(self->iommufd, n->s2));
}

/* The cdev's rules: bind first, bind once, one user at a time */
TEST_F(edu, cdev_bind_rules)
{
	struct vfio_device_info info = { .argsz = sizeof(info) };
	char path[128], link[128];
	__u32 pt_id = 0xffffffff;
	ssize_t n;
	int fd2;

	ASSERT_ERRNO(EINVAL, bind_iommufd(self->devfd, self->iommufd, NULL));
	ASSERT_ERRNO(ENOENT, attach_pt(self->devfd, &pt_id));
	ASSERT_EQ(0, ioctl(self->devfd, VFIO_DEVICE_GET_INFO, &info));
	ASSERT_TRUE(info.flags & VFIO_DEVICE_FLAGS_PCI);

	snprintf(path, sizeof(path), "/proc/self/fd/%d", self->devfd);
	fd2 = open(path, O_RDWR);
	ASSERT_LE(0, fd2);
	/* Nothing but bind on an unbound file */
	ASSERT_ERRNO(EINVAL, ioctl(fd2, VFIO_DEVICE_GET_INFO, &info));
	ASSERT_ERRNO(EINVAL, bind_iommufd(fd2, -2, NULL));
	ASSERT_ERRNO(EBADFD, bind_iommufd(fd2, fd2, NULL));
	/* The device is in use through the first file */
	ASSERT_ERRNO(EINVAL, bind_iommufd(fd2, self->iommufd, NULL));
	close(fd2);

	/* While bound through the cdev, the group file stays closed */
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/iommu_group",
		 self->bdf);
	n = readlink(path, link, sizeof(link) - 1);
	ASSERT_LT(0, n);
	link[n] = 0;
	snprintf(path, sizeof(path), "/dev/vfio/%s", strrchr(link, '/') + 1);
	ASSERT_ERRNO(EBUSY, open(path, O_RDWR));
}

/* Wrong IDs, wrong files, a second context, a BAR as "user memory" */
TEST_F(edu, attach_and_map_errors)
{
	struct iommu_ioas_map map = {
		.size = sizeof(map),
		.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE,
		.ioas_id = self->ioas_id,
		.length = PAGE,
		.iova = IOVA_NEVER,
	};
	__u32 pt_id = self->devid;
	char path[128];
	void *bar;
	int fd2, ictx2;

	/* an ID of the wrong type: a device is no page table */
	ASSERT_ERRNO(EINVAL, attach_pt(self->devfd, &pt_id));
	/* a failed attach left the device where it was: DMA still arrives */
	edu_map_src_dst(_metadata, self->iommufd, self->ioas_id, self->src,
			self->dst, 0x3c);
	ASSERT_EQ(0, edu_dma(self->devfd, self->bar0, IOVA_SRC, EDU_BUF_ADDR,
			     0));
	ASSERT_EQ(0, edu_dma(self->devfd, self->bar0, EDU_BUF_ADDR, IOVA_DST,
			     EDU_DMA_TO_RAM));
	ASSERT_EQ(0x3c, self->dst[PAGE - 1]);

	/* another file of the device, another context: still one user */
	snprintf(path, sizeof(path), "/proc/self/fd/%d", self->devfd);
	fd2 = open(path, O_RDWR);
	ASSERT_LE(0, fd2);
	ictx2 = open("/dev/iommu", O_RDWR);
	ASSERT_LE(0, ictx2);
	ASSERT_ERRNO(EINVAL, bind_iommufd(fd2, -1, NULL));
	ASSERT_ERRNO(EINVAL, bind_iommufd(fd2, ictx2, NULL));
	close(ictx2);
	close(fd2);

	/* MMIO is not memory that can be pinned */
	bar = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED,
		   self->devfd, self->bar0);
	ASSERT_NE(MAP_FAILED, bar);
	map.user_va = (uintptr_t)bar;
	ASSERT_ERRNO(EFAULT, ioctl(self->iommufd, IOMMU_IOAS_MAP, &map));
	munmap(bar, PAGE);
}

/*
 * Lifetimes: the device file keeps the context alive after the iommufd
 * file is closed, DMA through its mapping still works; closing the device
 * then unpins everything and leaves the device blocked. Closing the device
 * first while attached unwinds just as well.
 */
TEST(edu_file_lifetimes)
{
	struct iommu_ioas_alloc alloc = { .size = sizeof(alloc) };
	char bdf[64], cdev[128];
	long pins = foll_pins();
	__u64 bar0, config;
	int iommufd, devfd;
	char *src, *dst;
	__u32 pt_id;
	__u16 cmd;
	int round;

	if (edu_find(1, 0, bdf, sizeof(bdf)) ||
	    edu_cdev_of(bdf, cdev, sizeof(cdev)))
		SKIP(return, "no edu device alone in its IOMMU group");
	ASSERT_LE(0, pins);
	src = mmap(NULL, 64 * PAGE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	dst = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, src);
	ASSERT_NE(MAP_FAILED, dst);
	memset(src, 0x66, 64 * PAGE);

	/* round 0 closes the iommufd first, round 1 the device first */
	for (round = 0; round < 2; round++) {
		struct iommu_ioas_map map = {
			.size = sizeof(map),
			.flags = IOMMU_IOAS_MAP_FIXED_IOVA |
				 IOMMU_IOAS_MAP_READABLE |
				 IOMMU_IOAS_MAP_WRITEABLE,
			.user_va = (uintptr_t)src,
			.length = 64 * PAGE,
			.iova = IOVA_SRC,
		};

		iommufd = open("/dev/iommu", O_RDWR);
		ASSERT_LE(0, iommufd);
		devfd = open(cdev, O_RDWR);
		ASSERT_LE(0, devfd);
		ASSERT_EQ(0, bind_iommufd(devfd, iommufd, NULL));
		ASSERT_EQ(0, ioctl(iommufd, IOMMU_IOAS_ALLOC, &alloc));
		pt_id = alloc.out_ioas_id;
		ASSERT_EQ(0, attach_pt(devfd, &pt_id));
		map.ioas_id = alloc.out_ioas_id;
		ASSERT_EQ(0, ioctl(iommufd, IOMMU_IOAS_MAP, &map));
		ASSERT_EQ(pins + 64, foll_pins());
		ASSERT_EQ(0, map_fixed(iommufd, alloc.out_ioas_id, dst,
				       IOVA_DST));
		ASSERT_EQ(pins + 65, foll_pins());

		ASSERT_EQ(0, region_offset(devfd, VFIO_PCI_BAR0_REGION_INDEX,
					   &bar0));
		ASSERT_EQ(0, region_offset(devfd, VFIO_PCI_CONFIG_REGION_INDEX,
					   &config));
		ASSERT_EQ(2, pread(devfd, &cmd, 2, config + 4));
		cmd |= 0x4;
		ASSERT_EQ(2, pwrite(devfd, &cmd, 2, config + 4));

		if (round == 0) {
			ASSERT_EQ(0, close(iommufd));
			memset(dst, 0, PAGE);
			ASSERT_EQ(0, edu_dma(devfd, bar0, IOVA_SRC,
					     EDU_BUF_ADDR, 0));
			ASSERT_EQ(0, edu_dma(devfd, bar0, EDU_BUF_ADDR,
					     IOVA_DST, EDU_DMA_TO_RAM));
			ASSERT_EQ(0x66, dst[PAGE - 1]);
			ASSERT_EQ(pins + 65, foll_pins());
			ASSERT_EQ(0, close(devfd));
		} else {
			ASSERT_EQ(0, close(devfd));
			/*
			 * The IOAS keeps its mappings, but with its last
			 * device gone nothing needs the pages pinned.
			 */
			ASSERT_EQ(pins, foll_pins());
			ASSERT_EQ(0, close(iommufd));
		}
		ASSERT_EQ(pins, foll_pins());
	}

	/* Bound again but not attached, the device reaches nothing */
	iommufd = open("/dev/iommu", O_RDWR);
	ASSERT_LE(0, iommufd);
	devfd = open(cdev, O_RDWR);
	ASSERT_LE(0, devfd);
	ASSERT_EQ(0, bind_iommufd(devfd, iommufd, NULL));
	ASSERT_EQ(2, pread(devfd, &cmd, 2, config + 4));
	cmd |= 0x4;
	ASSERT_EQ(2, pwrite(devfd, &cmd, 2, config + 4));
	memset(dst, 0x11, PAGE);
	ASSERT_EQ(0, edu_dma(devfd, bar0, EDU_BUF_ADDR, IOVA_DST,
			     EDU_DMA_TO_RAM));
	ASSERT_EQ(0x11, dst[0]);
	close(devfd);
	close(iommufd);
}

/* The legacy path: a group whose container is an iommufd, type1 ioctls */
TEST(edu_group_with_iommufd_container)
{
	struct vfio_group_status status = { .argsz = sizeof(status) };
	struct vfio_region_info bar = { .argsz = sizeof(bar) };
	struct vfio_region_info cfg = {
		.argsz = sizeof(cfg),
		.index = VFIO_PCI_CONFIG_REGION_INDEX,
	};
	struct vfio_iommu_type1_dma_map map = {
		.argsz = sizeof(map),
		.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
		.size = PAGE,
	};
	char bdf[64], cdev[128], path[256], link[128];
	int iommufd, groupfd, devfd, cdevfd;
	char *src, *dst;
	unsigned int i;
	__u16 cmd;
	ssize_t n;

	if (edu_find(1, 0, bdf, sizeof(bdf)) ||
	    edu_cdev_of(bdf, cdev, sizeof(cdev)))
		SKIP(return, "no edu device alone in its IOMMU group");
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/iommu_group",
		 bdf);
	n = readlink(path, link, sizeof(link) - 1);
	ASSERT_LT(0, n);
	link[n] = 0;
	snprintf(path, sizeof(path), "/dev/vfio/%s", strrchr(link, '/') + 1);

	iommufd = open("/dev/iommu", O_RDWR);
	ASSERT_LE(0, iommufd);
	groupfd = open(path, O_RDWR);
	ASSERT_LE(0, groupfd);
	ASSERT_EQ(0, ioctl(groupfd, VFIO_GROUP_SET_CONTAINER, &iommufd));
	ASSERT_ERRNO(EINVAL, ioctl(groupfd, VFIO_GROUP_SET_CONTAINER,
				   &iommufd));
	ASSERT_EQ(0, ioctl(groupfd, VFIO_GROUP_GET_STATUS, &status));
	ASSERT_EQ(VFIO_GROUP_FLAGS_VIABLE | VFIO_GROUP_FLAGS_CONTAINER_SET,
		  status.flags);
	ASSERT_EQ(0, ioctl(iommufd, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU));
	devfd = ioctl(groupfd, VFIO_GROUP_GET_DEVICE_FD, bdf);
	ASSERT_LE(0, devfd);
	/*
	 * The device's domain forces snooping exactly when its IOMMU can
	 * (VT-d: snoop control, ECAP.SC, bit 7), as type1 would ask for it.
	 */
	ASSERT_EQ(iommu_forces_snoop(), ioctl(iommufd, VFIO_CHECK_EXTENSION,
					      VFIO_DMA_CC_IOMMU));
	/* The cdev cannot be used while the group is */
	cdevfd = open(cdev, O_RDWR);
	ASSERT_LE(0, cdevfd);
	ASSERT_ERRNO(EBUSY, bind_iommufd(cdevfd, iommufd, NULL));
	close(cdevfd);

	ASSERT_EQ(0, ioctl(devfd, VFIO_DEVICE_GET_REGION_INFO, &bar));
	ASSERT_EQ(0, ioctl(devfd, VFIO_DEVICE_GET_REGION_INFO, &cfg));
	ASSERT_EQ(2, pread(devfd, &cmd, 2, cfg.offset + 4));
	cmd |= 0x4;
	ASSERT_EQ(2, pwrite(devfd, &cmd, 2, cfg.offset + 4));

	src = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	dst = mmap(NULL, PAGE, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, src);
	ASSERT_NE(MAP_FAILED, dst);
	for (i = 0; i < PAGE; i++)
		src[i] = i * 13 + 1;
	memset(dst, 0, PAGE);
	map.vaddr = (uintptr_t)src;
	map.iova = IOVA_SRC;
	ASSERT_EQ(0, ioctl(iommufd, VFIO_IOMMU_MAP_DMA, &map));
	map.vaddr = (uintptr_t)dst;
	map.iova = IOVA_DST;
	ASSERT_EQ(0, ioctl(iommufd, VFIO_IOMMU_MAP_DMA, &map));
	ASSERT_EQ(0, edu_dma(devfd, bar.offset, IOVA_SRC, EDU_BUF_ADDR, 0));
	ASSERT_EQ(0, edu_dma(devfd, bar.offset, EDU_BUF_ADDR, IOVA_DST,
			     EDU_DMA_TO_RAM));
	ASSERT_EQ(0, memcmp(src, dst, PAGE));

	/* Unsetting the container while a device is open is refused */
	ASSERT_ERRNO(EBUSY, ioctl(groupfd, VFIO_GROUP_UNSET_CONTAINER));
	close(devfd);
	ASSERT_EQ(0, ioctl(groupfd, VFIO_GROUP_UNSET_CONTAINER));
	close(groupfd);
	close(iommufd);
}

/*
 * Two edu functions of one slot behind a PCIe root port: one IOMMU group,
 * and a secondary bus reset of the port resets both.
 */
FIXTURE(edu_pair) {
	long pins0;
	char bdf[2][64];
	int devfd[2];
	int iommufd;
};

FIXTURE_SETUP(edu_pair)
{
	char cdev[128];
	int i;

	self->pins0 = foll_pins();
	for (i = 0; i != 2; i++) {
		if (edu_find(2, i, self->bdf[i], sizeof(self->bdf[i])) ||
		    edu_cdev_of(self->bdf[i], cdev, sizeof(cdev)))
			SKIP(return, "no pair of edu functions in one group");
		self->devfd[i] = open(cdev, O_RDWR);
		ASSERT_LE(0, self->devfd[i]);
	}
	self->iommufd = open("/dev/iommu", O_RDWR);
	ASSERT_LE(0, self->iommufd);
}

FIXTURE_TEARDOWN(edu_pair)
{
	int i;

	for (i = 0; i != 2; i++)
		if (self->devfd[i] > 0)
			close(self->devfd[i]);
	if (self->iommufd > 0)
		close(self->iommufd);
	EXPECT_PINS_RELEASED(self->pins0);
}

static int hot_reset_info(int devfd, struct vfio_pci_hot_reset_info *info,
			  size_t size)
{
	memset(info, 0, size);
	info->argsz = size;
	return ioctl(devfd, VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, info);
}

/* devid reported for the function with BDF @bdf, or -2 if absent */
static int devid_of(struct vfio_pci_hot_reset_info *info, const char *bdf)
{
	unsigned int i, dom, bus, slot, fn;

	if (sscanf(bdf, "%x:%x:%x.%x", &dom, &bus, &slot, &fn) != 4)
		return -2;
	for (i = 0; i < info->count; i++)
		if (info->devices[i].segment == dom &&
		    info->devices[i].bus == bus &&
		    info->devices[i].devfn == ((slot << 3) | fn))
			return (int)info->devices[i].devid;
	return -2;
}

TEST_F(edu_pair, group_sibling_elsewhere_cannot_bind)
{
	__u32 devid;
	int other;

	ASSERT_EQ(0, bind_iommufd(self->devfd[0], self->iommufd, &devid));
	other = open("/dev/iommu", O_RDWR);
	ASSERT_LE(0, other);
	/* The group belongs to the first iommufd now */
	ASSERT_ERRNO(EPERM, bind_iommufd(self->devfd[1], other, NULL));
	ASSERT_EQ(0, bind_iommufd(self->devfd[1], self->iommufd, &devid));
	close(other);
}

/*
 * VFIO_DEVICE_ATTACH_IOMMUFD_PT whose reply faults (userfaultfd) does not
 * stop the sibling function, in the same reset set, from closing: the
 * reply is written after the reset set's lock is dropped.
 */
TEST_F(edu_pair, close_sibling_while_attach_reply_faults)
{
	struct iommu_ioas_alloc alloc = { .size = sizeof(alloc) };
	struct vfio_device_attach_iommufd_pt *attach;
	struct wp_page wp = { .uffd = -1 };
	struct faulting_ioctl call = {
		.fd = self->devfd[0],
		.request = VFIO_DEVICE_ATTACH_IOMMUFD_PT,
	};
	struct uffdio_writeprotect prot = {};
	__u32 pt_id;

	if (wp_page_setup(&wp))
		SKIP(return, "no userfaultfd write-protect");
	ASSERT_EQ(0, bind_iommufd(self->devfd[0], self->iommufd, NULL));
	ASSERT_EQ(0, bind_iommufd(self->devfd[1], self->iommufd, NULL));
	ASSERT_EQ(0, ioctl(self->iommufd, IOMMU_IOAS_ALLOC, &alloc));
	pt_id = alloc.out_ioas_id;
	ASSERT_EQ(0, attach_pt(self->devfd[1], &pt_id));

	/* The argument is readable; only the reply write faults */
	ASSERT_EQ(0, wp_page_release(&wp));
	attach = wp.page;
	attach->argsz = offsetof(struct vfio_device_attach_iommufd_pt, pasid);
	attach->pt_id = alloc.out_ioas_id;
	prot.range.start = (uintptr_t)wp.page;
	prot.range.len = PAGE;
	prot.mode = UFFDIO_WRITEPROTECT_MODE_WP;
	ASSERT_EQ(0, ioctl(wp.uffd, UFFDIO_WRITEPROTECT, &prot));
	call.arg = attach;

	ASSERT_EQ(0, close_during_fault(&wp, &call, self->devfd[1]));
	self->devfd[1] = -1;
	ASSERT_EQ(0, call.rc);
	ASSERT_EQ(pt_id, attach->pt_id);
	wp_page_free(&wp);
}

TEST_F(edu_pair, hot_reset_by_dev_id)
{
	char raw[sizeof(struct vfio_pci_hot_reset_info) +
		 8 * sizeof(struct vfio_pci_dependent_device)];
	struct vfio_pci_hot_reset_info *info = (void *)raw;
	struct vfio_pci_hot_reset reset = {
		.argsz = sizeof(reset),
	};
	struct {
		struct vfio_pci_hot_reset hdr;
		__s32 fds[1];
	} group_reset;
	__u32 devid0, devid1;

	ASSERT_EQ(0, bind_iommufd(self->devfd[0], self->iommufd, &devid0));
	/* Too small: the count and the flags come back */
	ASSERT_ERRNO(ENOSPC, hot_reset_info(self->devfd[0], info,
					    sizeof(*info)));
	ASSERT_EQ(2, info->count);
	ASSERT_TRUE(info->flags & VFIO_PCI_HOT_RESET_FLAG_DEV_ID);
	/* The sibling is not bound, but its group is ours */
	ASSERT_EQ(0, hot_reset_info(self->devfd[0], info, sizeof(raw)));
	ASSERT_EQ(2, info->count);
	ASSERT_EQ(VFIO_PCI_HOT_RESET_FLAG_DEV_ID |
		  VFIO_PCI_HOT_RESET_FLAG_DEV_ID_OWNED, info->flags);
	ASSERT_EQ((int)devid0, devid_of(info, self->bdf[0]));
	ASSERT_EQ(VFIO_PCI_DEVID_OWNED, devid_of(info, self->bdf[1]));
	ASSERT_EQ(0, bind_iommufd(self->devfd[1], self->iommufd, &devid1));
	ASSERT_EQ(0, hot_reset_info(self->devfd[0], info, sizeof(raw)));
	ASSERT_EQ((int)devid1, devid_of(info, self->bdf[1]));

	/* A cdev user resets with an empty group list, never with groups */
	ASSERT_EQ(0, ioctl(self->devfd[0], VFIO_DEVICE_PCI_HOT_RESET, &reset));
	group_reset.hdr.argsz = sizeof(group_reset);
	group_reset.hdr.count = 1;
	group_reset.fds[0] = -1;
	ASSERT_ERRNO(EINVAL, ioctl(self->devfd[0], VFIO_DEVICE_PCI_HOT_RESET,
				   &group_reset));
}

/* What TEST_HARNESS_MAIN adds: keeps the tests in source order */
static void __attribute__((constructor)) edu_constructor_order_last(void)
{
	if (!__constructor_order)
		__constructor_order = _CONSTRUCTOR_ORDER_BACKWARD;
}

int main(int argc, char **argv)
{
	expect_scalable = argc == 2 && !strcmp(argv[1], "--expect-scalable");
	if (expect_scalable)
		printf("# --expect-scalable: VT-d must be in scalable mode\n");
	return test_harness_run(argc, argv);
}
