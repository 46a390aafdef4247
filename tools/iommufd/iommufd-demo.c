// SPDX-License-Identifier: GPL-2.0-only
/*
 * iommufd-demo: show, in plain words, what /dev/iommu offers on this
 * machine. Run by "make run" inside the test VM. It grows with the
 * subsystem; the goal is a real device DMA through a mapping it makes.
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
#include <sys/sysmacros.h>
#include <unistd.h>

#include <linux/iommufd.h>

static int read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");

	if (!f)
		return -1;
	if (!fgets(buf, len, f)) {
		fclose(f);
		return -1;
	}
	fclose(f);
	buf[strcspn(buf, "\n")] = 0;
	return 0;
}

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

	if (show_ioas(fd)) {
		close(fd);
		return 1;
	}
	show_devices();
	close(fd);
	printf("\nclosed /dev/iommu: everything in the context is gone with it\n");
	return 0;
}
