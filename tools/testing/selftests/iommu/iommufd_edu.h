/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * What the programs that drive QEMU's edu PCI device (1234:11e8) through
 * its VFIO device cdev share: finding a free edu device, handing it to
 * vfio-pci, binding its cdev, and telling whether the boot isolates MSIs.
 */
#ifndef __SELFTEST_IOMMUFD_EDU_H
#define __SELFTEST_IOMMUFD_EDU_H

#include <dirent.h>
#include <glob.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/vfio.h>

#include "iommufd_utils.h"

#define EDU_VENDOR "0x1234"
#define EDU_DEVICE "0x11e8"

/* iommufd's switch to bind devices whose MSIs are not isolated */
#define UNSAFE_PARAM "/sys/module/iommufd/parameters/allow_unsafe_interrupts"

static inline bool is_edu(const char *bdf)
{
	char path[512], val[64];

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%.60s/vendor", bdf);
	if (read_sysfs(path, val, sizeof(val)) || strcmp(val, EDU_VENDOR))
		return false;
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%.60s/device", bdf);
	return !read_sysfs(path, val, sizeof(val)) && !strcmp(val, EDU_DEVICE);
}

/*
 * The edu functions in the IOMMU group directory @path. Other members,
 * such as the PCIe root port above them, are not counted: 6.1 on arm64
 * puts the root port in its functions' group (ACS is enabled too late on
 * device-tree machines), x86 does not.
 */
static inline int count_edu_in_group(const char *path)
{
	struct dirent *de;
	int n = 0;
	DIR *d;

	d = opendir(path);
	if (!d)
		return -1;
	while ((de = readdir(d)))
		if (de->d_name[0] != '.' && is_edu(de->d_name))
			n++;
	closedir(d);
	return n;
}

/* Give an edu device to vfio-pci and return its cdev path */
static inline int edu_cdev_of(const char *bdf, char *cdev, size_t cdev_len)
{
	const char *base = "/sys/bus/pci/devices";
	char path[512];
	struct dirent *de;
	DIR *vd;

	snprintf(path, sizeof(path), "%s/%s/driver_override", base, bdf);
	if (write_sysfs(path, "vfio-pci"))
		return -1;
	snprintf(path, sizeof(path), "%s/%s/driver", base, bdf);
	if (access(path, F_OK))
		write_sysfs("/sys/bus/pci/drivers_probe", bdf);

	snprintf(path, sizeof(path), "%s/%s/vfio-dev", base, bdf);
	vd = opendir(path);
	if (!vd)
		return -1;
	cdev[0] = 0;
	while ((de = readdir(vd)))
		if (!strncmp(de->d_name, "vfio", 4))
			snprintf(cdev, cdev_len, "/dev/vfio/devices/%.60s",
				 de->d_name);
	closedir(vd);
	return cdev[0] ? 0 : -1;
}

/*
 * Find the @nth (from 0) edu device whose IOMMU group has @group_size edu
 * functions.
 */
static inline int edu_find(int group_size, int nth, char *bdf, size_t bdf_len)
{
	const char *base = "/sys/bus/pci/devices";
	struct dirent **list;
	char path[512];
	int i, n, found = -1;

	n = scandir(base, &list, NULL, alphasort);
	if (n < 0)
		return -1;
	for (i = 0; i < n; i++) {
		const char *name = list[i]->d_name;

		if (found >= 0 || name[0] == '.' || !is_edu(name))
			continue;
		snprintf(path, sizeof(path), "%s/%.60s/iommu_group/devices",
			 base, name);
		if (count_edu_in_group(path) != group_size || nth--)
			continue;
		snprintf(bdf, bdf_len, "%.60s", name);
		found = i;
	}
	for (i = 0; i < n; i++)
		free(list[i]);
	free(list);
	return found >= 0 ? 0 : -1;
}

/*
 * Whether this boot was made without MSI isolation: on a machine with a
 * device tree (arm64), no GICv3 ITS under the interrupt controller node;
 * on x86, the kernel option intremap=off.
 */
static inline bool booted_without_msi_isolation(void)
{
	char cmdline[2048];
	bool its;
	glob_t g;

	if (!access("/sys/firmware/devicetree/base", F_OK)) {
		its = !glob("/sys/firmware/devicetree/base/*/its@*", 0, NULL,
			    &g);
		if (its)
			globfree(&g);
		return !its;
	}
	return !read_sysfs("/proc/cmdline", cmdline, sizeof(cmdline)) &&
	       strstr(cmdline, "intremap=off");
}

#endif
