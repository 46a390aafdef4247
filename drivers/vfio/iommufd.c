// SPDX-License-Identifier: GPL-2.0-only
/*
 * VFIO devices bound to an iommufd.
 *
 * A vfio_device reaches an iommufd in two ways: its cdev is bound by
 * VFIO_DEVICE_BIND_IOMMUFD (device_cdev.c), or it is opened through a
 * group whose "container" is an iommufd (VFIO_GROUP_SET_CONTAINER given a
 * /dev/iommu file). Either way the driver's bind_iommufd, attach_ioas,
 * detach_ioas and unbind_iommufd ops do the work, and most drivers use one
 * of the two sets of helpers here:
 *
 *  - physical devices, translated by a real IOMMU: an iommufd device
 *    object, which takes DMA ownership of the device and attaches it to
 *    an IOAS or HWPT (its DMA is then translated by that page table);
 *  - emulated devices (vfio_register_emulated_iommu_dev(), the mdevs):
 *    an iommufd access object attached to an IOAS. The driver keeps
 *    calling vfio_pin_pages(), vfio_unpin_pages() and vfio_dma_rw(),
 *    which go to the access instead of a container, and its dma_unmap op
 *    is called back before an IOVA range it may have pinned disappears.
 *
 * For the group path, the group's DMA ownership is claimed for the
 * iommufd when it is set as container (so the group must be viable, as
 * with a container), and every device opened through the group is bound
 * to the iommufd and attached to its compatibility IOAS, the one the type1
 * ioctls issued on the iommufd file map into.
 *
 * Locking: the binding fields of struct vfio_device (iommufd_device,
 * iommufd_access, iommufd_attached) change under the device set's lock,
 * which nests outside every iommufd lock; the group functions also run
 * under the group's group_lock. While a device is open its binding stays,
 * so the pin and rw paths need no lock of their own. An emulated driver's
 * dma_unmap op may be called with the device set's lock (and, on the
 * group path, the group_lock) held, when its device moves or detaches,
 * so it must not take those.
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
 * Return: 0; -EINVAL when @file is not /dev/iommu or the group is a
 * no-IOMMU one; -EPERM or -EBUSY when the group's DMA cannot be claimed
 * (a kernel driver or another owner uses it); -ENOMEM.
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
	if (group->type != VFIO_IOMMU && group->type != VFIO_EMULATED_IOMMU) {
		ret = -EINVAL;
		goto err_put;
	}
	/* Devices opened later attach to the compat IOAS: have one ready. */
	ret = iommufd_vfio_compat_ioas_id(ictx, &ioas_id);
	if (ret)
		goto err_put;
	/* An emulated group has no IOMMU whose DMA could be owned. */
	if (group->type == VFIO_IOMMU) {
		ret = iommu_group_claim_dma_owner(group->iommu_group, ictx);
		if (ret)
			goto err_put;
	}

	iommufd_vfio_compat_group_join(ictx);
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

	iommufd_vfio_compat_group_leave(group->iommufd);
	if (group->type == VFIO_IOMMU)
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
 * @device: the device, being opened for the first time; its dev_set lock
 *          and the group_lock held
 *
 * Return: 0; -EOPNOTSUPP when the driver cannot bind to an iommufd; or an
 * error of its bind_iommufd or attach_ioas op.
 */
int vfio_iommufd_group_device_bind(struct vfio_device *device)
{
	struct iommufd_ctx *ictx = device->group->iommufd;
	u32 id, ioas_id;
	int ret;

	lockdep_assert_held(&device->group->group_lock);

	if (!device->ops->bind_iommufd)
		return -EOPNOTSUPP;
	ret = iommufd_vfio_compat_ioas_id(ictx, &ioas_id);
	if (ret)
		return ret;
	ret = device->ops->bind_iommufd(device, ictx, &id);
	if (ret)
		return ret;
	ret = device->ops->attach_ioas(device, &ioas_id);
	if (ret)
		device->ops->unbind_iommufd(device);
	return ret;
}

/**
 * vfio_iommufd_group_device_unbind() - undo vfio_iommufd_group_device_bind()
 * @device: the device, closed for the last time; dev_set lock and
 *          group_lock held
 */
void vfio_iommufd_group_device_unbind(struct vfio_device *device)
{
	lockdep_assert_held(&device->group->group_lock);

	if (WARN_ON(!device->iommufd_device && !device->iommufd_access))
		return;
	device->ops->unbind_iommufd(device);
}

/**
 * vfio_iommufd_physical_bind() - bind_iommufd op for a device behind an IOMMU
 * @vdev: the device being opened; its dev_set lock held
 * @ictx: the iommufd
 * @out_device_id: where the ID of the new iommufd device object goes
 *
 * Return: 0 or an error of iommufd_device_bind(), such as -EBUSY when the
 * device's DMA is owned by someone else.
 */
int vfio_iommufd_physical_bind(struct vfio_device *vdev,
			       struct iommufd_ctx *ictx, u32 *out_device_id)
{
	struct iommufd_device *idev;

	lockdep_assert_held(&vdev->dev_set->lock);

	idev = iommufd_device_bind(ictx, vdev->dev, out_device_id);
	if (IS_ERR(idev))
		return PTR_ERR(idev);
	vdev->iommufd_device = idev;
	vdev->iommufd_attached = false;
	xa_init(&vdev->iommufd_pasids);
	return 0;
}
EXPORT_SYMBOL_GPL(vfio_iommufd_physical_bind);

/**
 * vfio_iommufd_physical_unbind() - unbind_iommufd op for a physical device
 * @vdev: the device, closed; its dev_set lock held
 *
 * Detaches the device (and its PASIDs) first when it is attached;
 * afterwards its DMA is blocked until the kernel takes it back.
 */
void vfio_iommufd_physical_unbind(struct vfio_device *vdev)
{
	lockdep_assert_held(&vdev->dev_set->lock);

	if (vdev->iommufd_attached)
		iommufd_device_detach(vdev->iommufd_device, IOMMU_NO_PASID);
	vdev->iommufd_attached = false;
	/* Unbinding detaches the PASIDs left attached. */
	xa_destroy(&vdev->iommufd_pasids);
	iommufd_device_unbind(vdev->iommufd_device);
	vdev->iommufd_device = NULL;
}
EXPORT_SYMBOL_GPL(vfio_iommufd_physical_unbind);

/**
 * vfio_iommufd_physical_attach_ioas() - attach_ioas op for a physical device
 * @vdev: the bound device; its dev_set lock held
 * @pt_id: in: an IOAS or HWPT ID; out: the HWPT the device is attached to
 *
 * A device attached already moves to the new page table without a moment
 * of blocked DMA in between (iommufd_device_replace()).
 *
 * Return: 0 or an error of iommufd_device_attach() / _replace(); the
 * device stays where it was on failure.
 */
int vfio_iommufd_physical_attach_ioas(struct vfio_device *vdev, u32 *pt_id)
{
	int ret;

	lockdep_assert_held(&vdev->dev_set->lock);

	if (WARN_ON(!vdev->iommufd_device))
		return -EINVAL;
	if (vdev->iommufd_attached)
		ret = iommufd_device_replace(vdev->iommufd_device,
					     IOMMU_NO_PASID, pt_id);
	else
		ret = iommufd_device_attach(vdev->iommufd_device,
					    IOMMU_NO_PASID, pt_id);
	if (!ret)
		vdev->iommufd_attached = true;
	return ret;
}
EXPORT_SYMBOL_GPL(vfio_iommufd_physical_attach_ioas);

/**
 * vfio_iommufd_physical_detach_ioas() - detach_ioas op for a physical device
 * @vdev: the bound device; its dev_set lock held
 *
 * Nothing happens when the device is not attached.
 */
void vfio_iommufd_physical_detach_ioas(struct vfio_device *vdev)
{
	lockdep_assert_held(&vdev->dev_set->lock);

	if (WARN_ON(!vdev->iommufd_device) || !vdev->iommufd_attached)
		return;
	iommufd_device_detach(vdev->iommufd_device, IOMMU_NO_PASID);
	vdev->iommufd_attached = false;
}
EXPORT_SYMBOL_GPL(vfio_iommufd_physical_detach_ioas);

/**
 * vfio_iommufd_physical_pasid_attach_ioas() - pasid_attach_ioas op for a
 *                                             physical device
 * @vdev: the bound device; its dev_set lock held
 * @pasid: the PASID, chosen by the user
 * @pt_id: in: an IOAS or HWPT ID; out: the HWPT the PASID is attached to
 *
 * As vfio_iommufd_physical_attach_ioas(), for the requests the device
 * tags with @pasid. A PASID attached already moves to the new table.
 *
 * Return: 0 or an error of iommufd_device_attach() / _replace().
 */
int vfio_iommufd_physical_pasid_attach_ioas(struct vfio_device *vdev,
					    u32 pasid, u32 *pt_id)
{
	int ret;

	lockdep_assert_held(&vdev->dev_set->lock);

	if (WARN_ON(!vdev->iommufd_device))
		return -EINVAL;
	if (xa_load(&vdev->iommufd_pasids, pasid))
		return iommufd_device_replace(vdev->iommufd_device, pasid,
					      pt_id);
	/* Room first, so that a successful attach is always recorded. */
	ret = xa_reserve(&vdev->iommufd_pasids, pasid, GFP_KERNEL_ACCOUNT);
	if (ret)
		return ret;
	ret = iommufd_device_attach(vdev->iommufd_device, pasid, pt_id);
	if (ret)
		xa_release(&vdev->iommufd_pasids, pasid);
	else
		xa_store(&vdev->iommufd_pasids, pasid, xa_mk_value(1),
			 GFP_KERNEL_ACCOUNT);
	return ret;
}
EXPORT_SYMBOL_GPL(vfio_iommufd_physical_pasid_attach_ioas);

/**
 * vfio_iommufd_physical_pasid_detach_ioas() - pasid_detach_ioas op for a
 *                                             physical device
 * @vdev: the bound device; its dev_set lock held
 * @pasid: the PASID
 *
 * Nothing happens when @pasid is not attached.
 */
void vfio_iommufd_physical_pasid_detach_ioas(struct vfio_device *vdev,
					     u32 pasid)
{
	lockdep_assert_held(&vdev->dev_set->lock);

	if (WARN_ON(!vdev->iommufd_device) ||
	    !xa_erase(&vdev->iommufd_pasids, pasid))
		return;
	iommufd_device_detach(vdev->iommufd_device, pasid);
}
EXPORT_SYMBOL_GPL(vfio_iommufd_physical_pasid_detach_ioas);

/*
 * An IOVA range of the IOAS is going away (or the whole IOVA space, when
 * the access moves or detaches: iova 0, length ULONG_MAX). The driver's
 * dma_unmap op must unpin whatever it pinned there, as it does for a
 * type1 container.
 */
static void vfio_iommufd_emulated_unmap(void *data, unsigned long iova,
					unsigned long length)
{
	struct vfio_device *vdev = data;

	if (vdev->ops->dma_unmap)
		vdev->ops->dma_unmap(vdev, iova, length);
}

/* Drivers with a dma_unmap op may pin; the others may only copy. */
static const struct iommufd_access_ops vfio_iommufd_pinning_ops = {
	.needs_pin_pages = 1,
	.unmap = vfio_iommufd_emulated_unmap,
};

static const struct iommufd_access_ops vfio_iommufd_copying_ops = {
	.unmap = vfio_iommufd_emulated_unmap,
};

/**
 * vfio_iommufd_emulated_bind() - bind_iommufd op for an emulated device
 * @vdev: the device being opened; its dev_set lock held
 * @ictx: the iommufd
 * @out_device_id: where the ID of the new access object goes
 *
 * Return: 0 or an error of iommufd_access_create().
 */
int vfio_iommufd_emulated_bind(struct vfio_device *vdev,
			       struct iommufd_ctx *ictx, u32 *out_device_id)
{
	struct iommufd_access *access;

	lockdep_assert_held(&vdev->dev_set->lock);

	/* A device behind an IOMMU needs the DMA ownership of physical_bind */
	if (WARN_ON(vdev->group->type != VFIO_EMULATED_IOMMU))
		return -EINVAL;
	access = iommufd_access_create(ictx, vdev->ops->dma_unmap ?
					     &vfio_iommufd_pinning_ops :
					     &vfio_iommufd_copying_ops,
				       vdev, out_device_id);
	if (IS_ERR(access))
		return PTR_ERR(access);
	vdev->iommufd_access = access;
	vdev->iommufd_attached = false;
	return 0;
}
EXPORT_SYMBOL_GPL(vfio_iommufd_emulated_bind);

/**
 * vfio_iommufd_emulated_unbind() - unbind_iommufd op for an emulated device
 * @vdev: the device, closed (it pins nothing any more); dev_set lock held
 */
void vfio_iommufd_emulated_unbind(struct vfio_device *vdev)
{
	lockdep_assert_held(&vdev->dev_set->lock);

	if (vdev->iommufd_attached)
		iommufd_access_detach(vdev->iommufd_access);
	vdev->iommufd_attached = false;
	iommufd_access_destroy(vdev->iommufd_access);
	vdev->iommufd_access = NULL;
}
EXPORT_SYMBOL_GPL(vfio_iommufd_emulated_unbind);

/**
 * vfio_iommufd_emulated_attach_ioas() - attach_ioas op for an emulated device
 * @vdev: the bound device; its dev_set lock held
 * @pt_id: the ID of an IOAS (an emulated device has no hardware page
 *         table to attach to); left unchanged
 *
 * Moving an attached device to another IOAS first calls its dma_unmap op
 * for the whole IOVA space.
 *
 * Return: 0; -ENOENT when @pt_id is not an IOAS; -EBUSY when the driver
 * kept pages pinned across a move (the device stays where it was).
 */
int vfio_iommufd_emulated_attach_ioas(struct vfio_device *vdev, u32 *pt_id)
{
	int ret;

	lockdep_assert_held(&vdev->dev_set->lock);

	if (WARN_ON(!vdev->iommufd_access))
		return -EINVAL;
	if (vdev->iommufd_attached)
		ret = iommufd_access_replace(vdev->iommufd_access, *pt_id);
	else
		ret = iommufd_access_attach(vdev->iommufd_access, *pt_id);
	if (!ret)
		vdev->iommufd_attached = true;
	return ret;
}
EXPORT_SYMBOL_GPL(vfio_iommufd_emulated_attach_ioas);

/**
 * vfio_iommufd_emulated_detach_ioas() - detach_ioas op for an emulated device
 * @vdev: the bound device; its dev_set lock held
 */
void vfio_iommufd_emulated_detach_ioas(struct vfio_device *vdev)
{
	lockdep_assert_held(&vdev->dev_set->lock);

	if (WARN_ON(!vdev->iommufd_access) || !vdev->iommufd_attached)
		return;
	iommufd_access_detach(vdev->iommufd_access);
	vdev->iommufd_attached = false;
}
EXPORT_SYMBOL_GPL(vfio_iommufd_emulated_detach_ioas);

/**
 * vfio_iommufd_access_pin_pages() - vfio_pin_pages() for an iommufd access
 * @device: an open emulated device bound to an iommufd
 * @iova: the first IOVA; the page holding it is the first one pinned
 * @npage: how many pages
 * @prot: IOMMU_READ and/or IOMMU_WRITE
 * @pages: where the pages go
 *
 * Return: @npage, or an error of iommufd_access_pin_pages(): -ENOENT when
 * the device is not attached or the range is not all mapped (type1 says
 * -EINVAL there), -EPERM when writing to memory mapped read-only;
 * -EINVAL for an IOVA beyond unsigned long.
 */
int vfio_iommufd_access_pin_pages(struct vfio_device *device,
				  dma_addr_t iova, int npage, int prot,
				  struct page **pages)
{
	unsigned int flags = 0;
	int ret;

	if (iova > ULONG_MAX)
		return -EINVAL;
	if (prot & IOMMU_WRITE)
		flags |= IOMMUFD_ACCESS_RW_WRITE;
	ret = iommufd_access_pin_pages(device->iommufd_access,
				       ALIGN_DOWN(iova, PAGE_SIZE),
				       (unsigned long)npage * PAGE_SIZE,
				       pages, flags);
	return ret ? ret : npage;
}

/**
 * vfio_iommufd_access_unpin_pages() - vfio_unpin_pages() for an iommufd access
 * @device: an open emulated device bound to an iommufd
 * @iova: the IOVA given to vfio_pin_pages()
 * @npage: how many pages were pinned there
 */
void vfio_iommufd_access_unpin_pages(struct vfio_device *device,
				     dma_addr_t iova, int npage)
{
	if (WARN_ON(iova > ULONG_MAX))
		return;
	iommufd_access_unpin_pages(device->iommufd_access,
				   ALIGN_DOWN(iova, PAGE_SIZE),
				   (unsigned long)npage * PAGE_SIZE);
}

/**
 * vfio_iommufd_access_rw() - vfio_dma_rw() for an iommufd access
 * @device: an open emulated device bound to an iommufd
 * @iova: where in the IOAS
 * @data: the kernel buffer
 * @len: how many bytes
 * @write: copy @data to the IOVA range, instead of from it
 *
 * Works from kernel threads and workqueues too, which have no user mm.
 *
 * Return: 0 or an error of iommufd_access_rw() (-ENOENT for an IOVA
 * range not all mapped); -EINVAL for an IOVA beyond unsigned long.
 */
int vfio_iommufd_access_rw(struct vfio_device *device, dma_addr_t iova,
			   void *data, size_t len, bool write)
{
	unsigned int flags = 0;

	if (iova > ULONG_MAX)
		return -EINVAL;
	if (write)
		flags |= IOMMUFD_ACCESS_RW_WRITE;
	if (!current->mm)
		flags |= IOMMUFD_ACCESS_RW_KTHREAD;
	return iommufd_access_rw(device->iommufd_access, iova, data, len,
				 flags);
}
