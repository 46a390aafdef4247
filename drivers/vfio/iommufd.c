// SPDX-License-Identifier: GPL-2.0-only
/*
 * A VFIO group whose "container" is an iommufd.
 *
 * Legacy VFIO users set a container on a group (VFIO_GROUP_SET_CONTAINER)
 * and then open its devices through the group. When the file descriptor
 * given is a /dev/iommu file instead of /dev/vfio/vfio, the iommufd plays
 * the container's part: the group's DMA ownership is claimed for the
 * iommufd at that moment (so the group must be viable, as with a
 * container), and every device opened through the group is bound to the
 * iommufd and attached to its compatibility IOAS, the one the type1
 * ioctls issued on the iommufd file map into. The program keeps using
 * VFIO_IOMMU_MAP_DMA and friends, now on the iommufd file.
 *
 * Locking: everything here runs under the group's group_lock, which is
 * taken outside all iommufd locks.
 */
#include <linux/iommu.h>
#include <linux/iommufd.h>
#include <linux/vfio.h>

#include "vfio.h"

/**
 * vfio_group_attach_iommufd() - VFIO_GROUP_SET_CONTAINER with an iommufd
 * @group: the group, with group_lock held, without container
 * @file: the file given; if it is not an iommufd nothing happens
 *
 * Return: 0; -EINVAL when @file is not /dev/iommu or the group has no
 * real IOMMU; -EPERM when the group is not viable (a kernel driver or
 * another owner uses it); -ENOMEM.
 */
int vfio_group_attach_iommufd(struct vfio_group *group, struct file *file)
{
	struct iommufd_ctx *ictx;
	u32 ioas_id;
	int ret;

	lockdep_assert_held(&group->group_lock);

	ictx = iommufd_ctx_from_file(file);
	if (IS_ERR(ictx))
		return -EINVAL;
	if (group->type != VFIO_IOMMU) {
		ret = -EINVAL;
		goto err_put;
	}
	/* Devices opened later attach to the compat IOAS: have one ready. */
	ret = iommufd_vfio_compat_ioas_id(ictx, &ioas_id);
	if (ret)
		goto err_put;
	ret = iommu_group_claim_dma_owner(group->iommu_group, ictx);
	if (ret)
		goto err_put;

	group->iommufd = ictx;
	/* As for a container: the group file itself is the first user */
	group->container_users = 1;
	return 0;

err_put:
	iommufd_ctx_put(ictx);
	return ret;
}

/**
 * vfio_group_detach_iommufd() - undo vfio_group_attach_iommufd()
 * @group: the group, with group_lock held and no device open
 */
void vfio_group_detach_iommufd(struct vfio_group *group)
{
	lockdep_assert_held(&group->group_lock);
	WARN_ON(group->container_users != 1);

	iommu_group_release_dma_owner(group->iommu_group);
	iommufd_ctx_put(group->iommufd);
	group->iommufd = NULL;
	group->container_users = 0;
}

/**
 * vfio_group_use_iommufd() - count a device file of an iommufd group
 * @group: the group, with group_lock held
 *
 * The counterpart of vfio_device_assign_container(); undone by
 * vfio_device_unassign_container(), which works for both.
 *
 * Return: 0.
 */
int vfio_group_use_iommufd(struct vfio_group *group)
{
	lockdep_assert_held(&group->group_lock);
	WARN_ON(!group->container_users);

	get_file(group->opened_file);
	group->container_users++;
	return 0;
}

/**
 * vfio_iommufd_group_device_bind() - bind a device opened through an
 *                                    iommufd group
 * @device: the device, being opened for the first time; group_lock held
 *
 * Return: 0 or an error of iommufd_device_bind() / _attach().
 */
int vfio_iommufd_group_device_bind(struct vfio_device *device)
{
	struct iommufd_ctx *ictx = device->group->iommufd;
	struct iommufd_device *idev;
	u32 devid, ioas_id;
	int ret;

	lockdep_assert_held(&device->group->group_lock);

	ret = iommufd_vfio_compat_ioas_id(ictx, &ioas_id);
	if (ret)
		return ret;
	idev = iommufd_device_bind(ictx, device->dev, &devid);
	if (IS_ERR(idev))
		return PTR_ERR(idev);
	ret = iommufd_device_attach(idev, &ioas_id);
	if (ret) {
		iommufd_device_unbind(idev);
		return ret;
	}
	device->iommufd_group_device = idev;
	return 0;
}

/**
 * vfio_iommufd_group_device_unbind() - undo vfio_iommufd_group_device_bind()
 * @device: the device, closed for the last time; group_lock held
 */
void vfio_iommufd_group_device_unbind(struct vfio_device *device)
{
	lockdep_assert_held(&device->group->group_lock);

	if (WARN_ON(!device->iommufd_group_device))
		return;
	iommufd_device_unbind(device->iommufd_group_device);
	device->iommufd_group_device = NULL;
}
