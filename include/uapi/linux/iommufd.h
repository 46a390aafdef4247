/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
#ifndef _UAPI_IOMMUFD_H
#define _UAPI_IOMMUFD_H

#include <linux/ioctl.h>
#include <linux/types.h>

/**
 * DOC: The /dev/iommu user API
 *
 * Every command is an ioctl on an open /dev/iommu file, numbered
 * _IO(IOMMUFD_TYPE, nr) with nr counting up from IOMMUFD_CMD_BASE. The
 * ioctl number carries no size: the argument struct says its own size in
 * its first field, a __u32 named size, and only ever grows at its end.
 *
 * A command that the kernel does not know fails with ENOTTY.
 */
#define IOMMUFD_TYPE (';')
#define IOMMUFD_CMD_BASE 0x80

#endif
