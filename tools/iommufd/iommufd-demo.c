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
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
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

	show_devices();
	close(fd);
	printf("\nclosed /dev/iommu: everything in the context is gone with it\n");
	return 0;
}
