// SPDX-License-Identifier: GPL-2.0-only
/*
 * iommufd-demo: show, in plain words, what /dev/iommu offers on this
 * machine. Run by "make run" inside the test VM: an IO address space, a
 * mapping, and a real device (QEMU's edu) doing DMA through a mapping
 * made here.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <linux/iommufd.h>
#include <linux/vfio.h>

#include "edu.h"

/* List the PCI devices and the IOMMU group that isolates each of them. */
static void show_devices(void)
{
	const char *base = "/sys/bus/pci/devices";
	struct dirent **names;
	int i, n;

	n = scandir(base, &names, NULL, alphasort);
	if (n < 0)
		return;
	printf("\nPCI devices and their IOMMU groups (devices in one group\n"
	       "cannot be isolated from each other, so they are handed to\n"
	       "userspace together or not at all):\n");
	for (i = 0; i < n; i++) {
		struct dirent *de = names[i];
		char path[PATH_MAX], link[PATH_MAX], vendor[16], device[16];
		const char *group = "none";
		const char *what = "";
		ssize_t n;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s/vendor", base, de->d_name);
		if (read_line(path, vendor, sizeof(vendor)))
			continue;
		snprintf(path, sizeof(path), "%s/%s/device", base, de->d_name);
		if (read_line(path, device, sizeof(device)))
			continue;
		snprintf(path, sizeof(path), "%s/%s/iommu_group", base,
			 de->d_name);
		n = readlink(path, link, sizeof(link) - 1);
		if (n > 0) {
			link[n] = 0;
			group = strrchr(link, '/') + 1;
		}
		if (!strcmp(vendor, "0x1234") && !strcmp(device, "0x11e8"))
			what = "  <- QEMU edu, a device that can do DMA";
		printf("  %s  %s:%s  group %s%s\n", de->d_name, vendor + 2,
		       device + 2, group, what);
	}
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

/*
 * Make an IO address space, map a buffer into it, look at it and take
 * the mapping away again. No device is attached yet, so nothing is
 * translated, but the memory is really pinned and accounted.
 */
static int show_ioas(int fd)
{
	struct iommu_iova_range ranges[8];
	struct iommu_ioas_iova_ranges query = {
		.size = sizeof(query),
		.num_iovas = 8,
		.allowed_iovas = (uintptr_t)ranges,
	};
	struct iommu_ioas_alloc alloc = { .size = sizeof(alloc) };
	struct iommu_ioas_unmap unmap = { .size = sizeof(unmap) };
	struct iommu_ioas_map map = { .size = sizeof(map) };
	struct iommu_destroy destroy = { .size = sizeof(destroy) };
	size_t len = 1024 * 1024;
	unsigned int i;
	char *buf;

	if (ioctl(fd, IOMMU_IOAS_ALLOC, &alloc)) {
		printf("IOMMU_IOAS_ALLOC failed: %s\n", strerror(errno));
		return 1;
	}
	printf("\nallocated IO address space (IOAS) %u\n", alloc.out_ioas_id);

	buf = mmap(NULL, len, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED)
		return 1;
	memset(buf, 0xed, len);
	map.flags = IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE;
	map.ioas_id = alloc.out_ioas_id;
	map.user_va = (uintptr_t)buf;
	map.length = len;
	if (ioctl(fd, IOMMU_IOAS_MAP, &map)) {
		printf("IOMMU_IOAS_MAP failed: %s\n", strerror(errno));
		return 1;
	}
	printf("mapped 1 MiB of this process at %p to IOVA 0x%llx (chosen by\n"
	       "the kernel); its pages are now pinned and charged to\n"
	       "RLIMIT_MEMLOCK\n", buf, (unsigned long long)map.iova);

	query.ioas_id = alloc.out_ioas_id;
	if (ioctl(fd, IOMMU_IOAS_IOVA_RANGES, &query)) {
		printf("IOMMU_IOAS_IOVA_RANGES failed: %s\n", strerror(errno));
		return 1;
	}
	printf("usable IOVA ranges (alignment 0x%llx):\n",
	       (unsigned long long)query.out_iova_alignment);
	for (i = 0; i < query.num_iovas && i < 8; i++)
		printf("  0x%llx - 0x%llx\n",
		       (unsigned long long)ranges[i].start,
		       (unsigned long long)ranges[i].last);

	unmap.ioas_id = alloc.out_ioas_id;
	unmap.iova = map.iova;
	unmap.length = len;
	if (ioctl(fd, IOMMU_IOAS_UNMAP, &unmap)) {
		printf("IOMMU_IOAS_UNMAP failed: %s\n", strerror(errno));
		return 1;
	}
	printf("unmapped %llu bytes at IOVA 0x%llx: the pages are unpinned\n",
	       (unsigned long long)unmap.length,
	       (unsigned long long)unmap.iova);

	destroy.id = alloc.out_ioas_id;
	if (ioctl(fd, IOMMU_DESTROY, &destroy)) {
		printf("IOMMU_DESTROY failed: %s\n", strerror(errno));
		return 1;
	}
	printf("destroyed IOAS %u\n", alloc.out_ioas_id);
	munmap(buf, len);
	return 0;
}

/* One edu DMA of 4 KiB, waiting until the device is done */
static int edu_dma(int devfd, __u64 bar0, __u64 src, __u64 dst,
		   __u64 to_ram)
{
	__u64 regs[4] = { src, dst, 4096, 1 | (to_ram << 1) };
	__u64 status;
	int i;

	for (i = 0; i < 4; i++)
		if (pwrite(devfd, &regs[i], 8, bar0 + 0x80 + 8 * i) != 8)
			return -1;
	for (i = 0; i < 500; i++) {
		if (pread(devfd, &status, 8, bar0 + 0x98) != 8)
			return -1;
		if (!(status & 1))
			return 0;
		usleep(10000);
	}
	return -1;
}

/*
 * A real device doing DMA through translations we programmed: QEMU's edu
 * device, through its VFIO cdev bound to our iommufd, copies a buffer
 * from one IOVA into itself and back out to another IOVA.
 */
static int show_dma(int fd)
{
	struct vfio_device_bind_iommufd bind = { .argsz = 16, .iommufd = fd };
	struct vfio_device_attach_iommufd_pt attach = { .argsz = 12 };
	struct vfio_region_info bar = { .argsz = sizeof(bar), .index = 0 };
	struct vfio_region_info cfg = { .argsz = sizeof(cfg), .index = 7 };
	struct iommu_ioas_alloc alloc = { .size = sizeof(alloc) };
	struct iommu_ioas_map map = { .size = sizeof(map) };
	unsigned char *src, *dst;
	struct edu_dev edu;
	__u16 cmd;
	int devfd, i;

	if (edu_prepare(&edu)) {
		printf("\nno edu device with a VFIO cdev here: no DMA demo\n");
		return 0;
	}
	devfd = open(edu.cdev, O_RDWR);
	if (devfd < 0 || ioctl(devfd, VFIO_DEVICE_BIND_IOMMUFD, &bind) ||
	    ioctl(fd, IOMMU_IOAS_ALLOC, &alloc)) {
		printf("\nedu %s: bind failed: %s\n", edu.bdf, strerror(errno));
		return 1;
	}
	attach.pt_id = alloc.out_ioas_id;
	if (ioctl(devfd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, &attach) ||
	    ioctl(devfd, VFIO_DEVICE_GET_REGION_INFO, &bar) ||
	    ioctl(devfd, VFIO_DEVICE_GET_REGION_INFO, &cfg)) {
		printf("\nedu %s: attach failed: %s\n", edu.bdf, strerror(errno));
		return 1;
	}
	printf("\nedu device %s: opened %s, bound it to this iommufd\n"
	       "(device ID %u), attached it to a new IOAS %u (hardware page\n"
	       "table %u); its DMA now goes through IOMMU page tables (VT-d,\n"
	       "SMMUv3) that follow that IOAS\n", edu.bdf, edu.cdev,
	       bind.out_devid, alloc.out_ioas_id, attach.pt_id);
	/* Let the device master the bus */
	if (pread(devfd, &cmd, 2, cfg.offset + 4) == 2) {
		cmd |= 4;
		pwrite(devfd, &cmd, 2, cfg.offset + 4);
	}

	src = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	dst = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (src == MAP_FAILED || dst == MAP_FAILED)
		return 1;
	for (i = 0; i < 4096; i++)
		src[i] = "iommufd moves bytes. "[i % 21];
	memset(dst, 0, 4096);
	map.ioas_id = alloc.out_ioas_id;
	map.flags = IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_READABLE |
		    IOMMU_IOAS_MAP_WRITEABLE;
	map.length = 4096;
	map.user_va = (uintptr_t)src;
	map.iova = 0x100000;
	if (ioctl(fd, IOMMU_IOAS_MAP, &map))
		return 1;
	map.user_va = (uintptr_t)dst;
	map.iova = 0x200000;
	if (ioctl(fd, IOMMU_IOAS_MAP, &map))
		return 1;
	printf("mapped a 4 KiB buffer at IOVA 0x100000 and an empty one at\n"
	       "IOVA 0x200000\n");
	if (edu_dma(devfd, bar.offset, 0x100000, 0x40000, 0) ||
	    edu_dma(devfd, bar.offset, 0x40000, 0x200000, 1)) {
		printf("edu DMA did not complete\n");
		return 1;
	}
	printf("edu copied IOVA 0x100000 -> its own buffer -> IOVA 0x200000;\n"
	       "the empty buffer now reads: \"%.42s...\"\n", dst);
	if (memcmp(src, dst, 4096)) {
		printf("but the bytes differ!\n");
		return 1;
	}
	printf("all 4096 bytes arrived intact\n");
	close(devfd);
	munmap(src, 4096);
	munmap(dst, 4096);
	return 0;
}

int main(void)
{
	struct stat st;
	int fd;

	printf("iommufd demo: the IOMMU sits between devices and memory and\n"
	       "decides which memory each device may reach by DMA. /dev/iommu\n"
	       "lets a program (a virtual machine monitor, a userspace driver)\n"
	       "build those rules for devices it has been given.\n\n");

	if (stat("/dev/iommu", &st)) {
		printf("/dev/iommu is missing: %s\n", strerror(errno));
		return 1;
	}
	printf("/dev/iommu is character device %u:%u\n", major(st.st_rdev),
	       minor(st.st_rdev));

	fd = open("/dev/iommu", O_RDWR);
	if (fd < 0) {
		printf("opening it failed: %s\n", strerror(errno));
		return 1;
	}
	printf("opened it: this file descriptor is now a private context that\n"
	       "will hold IO address spaces and attached devices\n");

	if (ioctl(fd, _IO(IOMMUFD_TYPE, 0xff)) == -1 && errno == ENOTTY)
		printf("an unknown command is refused with ENOTTY, as it should be\n");
	else
		printf("unexpected answer to an unknown command\n");

	if (show_ioas(fd) || show_dma(fd)) {
		close(fd);
		return 1;
	}
	show_devices();
	close(fd);
	printf("\nclosed /dev/iommu: everything in the context is gone with it\n");
	return 0;
}
