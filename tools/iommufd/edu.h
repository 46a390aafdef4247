/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Finding QEMU's edu device (PCI 1234:11e8) and handing it to vfio-pci,
 * shared by the tools of this directory.
 */
#ifndef __IOMMUFD_TOOLS_EDU_H
#define __IOMMUFD_TOOLS_EDU_H

#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* First line of a sysfs file, without its newline */
static inline int read_line(const char *path, char *buf, size_t len)
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

static inline void write_str(const char *path, const char *val)
{
	FILE *f = fopen(path, "w");

	if (f) {
		fputs(val, f);
		fclose(f);
	}
}

/**
 * struct edu_dev - where to reach an edu device
 * @bdf: its PCI address
 * @group: its VFIO group file, /dev/vfio/N
 * @cdev: its VFIO device cdev, /dev/vfio/devices/vfioN
 */
struct edu_dev {
	char bdf[64];
	char group[64];
	char cdev[PATH_MAX];
};

/*
 * Find the first edu device (in readdir order) that is not in the IOMMU
 * group @not_group (a /dev/vfio/N path, or NULL for any group), bind it to
 * vfio-pci if it has no driver, and fill @edu. Returns 0, or -1 when there
 * is none or it has no VFIO cdev.
 */
static inline int edu_prepare_other(struct edu_dev *edu,
				    const char *not_group)
{
	const char *base = "/sys/bus/pci/devices";
	char path[PATH_MAX], val[64], link[PATH_MAX];
	struct dirent *de;
	ssize_t n;
	DIR *d;

	memset(edu, 0, sizeof(*edu));
	d = opendir(base);
	if (!d)
		return -1;
	while (!edu->bdf[0] && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s/vendor", base, de->d_name);
		if (read_line(path, val, sizeof(val)) || strcmp(val, "0x1234"))
			continue;
		snprintf(path, sizeof(path), "%s/%s/device", base, de->d_name);
		if (read_line(path, val, sizeof(val)) || strcmp(val, "0x11e8"))
			continue;
		snprintf(path, sizeof(path), "%s/%s/iommu_group", base,
			 de->d_name);
		n = readlink(path, link, sizeof(link) - 1);
		if (n <= 0)
			continue;
		link[n] = 0;
		snprintf(edu->group, sizeof(edu->group), "/dev/vfio/%.50s",
			 strrchr(link, '/') + 1);
		if (not_group && !strcmp(edu->group, not_group))
			continue;
		snprintf(edu->bdf, sizeof(edu->bdf), "%.60s", de->d_name);
	}
	closedir(d);
	if (!edu->bdf[0])
		return -1;

	snprintf(path, sizeof(path), "%s/%s/driver_override", base, edu->bdf);
	write_str(path, "vfio-pci");
	snprintf(path, sizeof(path), "%s/%s/driver", base, edu->bdf);
	if (access(path, F_OK))
		write_str("/sys/bus/pci/drivers_probe", edu->bdf);
	snprintf(path, sizeof(path), "%s/%s/vfio-dev", base, edu->bdf);
	d = opendir(path);
	if (!d)
		return -1;
	while ((de = readdir(d)))
		if (!strncmp(de->d_name, "vfio", 4))
			snprintf(edu->cdev, sizeof(edu->cdev),
				 "/dev/vfio/devices/%.60s", de->d_name);
	closedir(d);
	return edu->cdev[0] ? 0 : -1;
}

/* The first edu device, in any group: see edu_prepare_other() */
static inline int edu_prepare(struct edu_dev *edu)
{
	return edu_prepare_other(edu, NULL);
}

#endif
