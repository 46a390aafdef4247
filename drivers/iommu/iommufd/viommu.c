// SPDX-License-Identifier: GPL-2.0-only
/*
 * vIOMMU and vDEVICE objects: the host's half of an IOMMU that a VMM
 * emulates for its guest, and of the devices the guest sees behind it.
 *
 * A guest that owns stage-1 page tables (nested HWPTs) talks to its IOMMU
 * about more than page tables: it invalidates caches by its own device
 * IDs and ASIDs, and expects events about its devices. A vIOMMU gathers
 * what the guest's IOMMU shares across its devices on one physical IOMMU
 * instance: the stage-2 parent (a NEST_PARENT paging HWPT it holds),
 * the IOMMU driver's per-guest state (on an SMMUv3 the VMID), the
 * guest's virtual device IDs, and its event queues (veventq.c).
 *
 * The IOMMU driver provides the type: iommu_ops->viommu_size tells how big
 * the driver's structure (embedding struct iommufd_viommu) is, the core
 * allocates it as an object, and iommu_ops->viommu_init fills in the
 * driver's part and its struct iommufd_viommu_ops. IOMMU_VIOMMU_TYPE_DEFAULT
 * needs no driver: it only holds vDEVICEs and nested HWPTs, which its
 * parent's driver allocates as for any nested HWPT.
 *
 * A vDEVICE maps a virtual ID to a bound device. It holds its vIOMMU but
 * not its device: when the device's driver unbinds it, the device
 * destroys its vDEVICE first (iommufd_device_destroy_vdev()).
 *
 * Locking:
 *  - idev->vdev_lock covers a device's vDEVICE pointer and its
 *    unbinding flag; a vDEVICE is created and published under it, so a
 *    device never goes away with a vDEVICE half made.
 *  - viommu->vdevs_rwsem is taken for writing to add or remove a vDEVICE
 *    and for reading around the driver's callbacks, which may thus look
 *    devices up by virtual ID and use them.
 *  Order: vdev_lock -> vdevs_rwsem.
 */
#include <linux/iommu.h>
#include <linux/iommufd.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/wait_bit.h>
#include <uapi/linux/iommufd.h>

#include "iommufd_private.h"

static void iommufd_viommu_destroy(struct iommufd_object *obj)
{
	struct iommufd_viommu *viommu = iommufd_viommu_of_obj(obj);

	/* vDEVICEs and queues hold the vIOMMU: there are none left. */
	WARN_ON(!xa_empty(&viommu->vdevs));
	WARN_ON(!list_empty(&viommu->veventqs));
	if (viommu->ops && viommu->ops->destroy)
		viommu->ops->destroy(viommu);
	xa_destroy(&viommu->vdevs);
	iommufd_obj_put(&viommu->hwpt->common.obj);
}

static void iommufd_viommu_show(struct seq_file *m, struct iommufd_ctx *ictx,
				struct iommufd_object *obj)
{
	struct iommufd_viommu *viommu = iommufd_viommu_of_obj(obj);
	struct device *iommu = viommu->iommu_dev->dev;

	seq_printf(m, " type=%u hwpt=%u iommu=%s", viommu->type,
		   viommu->hwpt->common.obj.id, iommu ? dev_name(iommu) : "-");
}

const struct iommufd_otype_ops iommufd_viommu_ops = {
	.destroy = iommufd_viommu_destroy,
	.name = "viommu",
	.show = iommufd_viommu_show,
};

/* The physical IOMMU instance translating @dev */
static struct iommu_device *iommufd_iommu_dev_of(struct device *dev)
{
	return dev->iommu->iommu_dev;
}

/*
 * Look up @hwpt_id as the stage-2 parent of a vIOMMU for @dev: a paging
 * HWPT allocated with IOMMU_HWPT_ALLOC_NEST_PARENT by @dev's driver.
 */
static struct iommufd_hwpt_paging *
iommufd_viommu_parent_get(struct iommufd_ctx *ictx, u32 hwpt_id,
			  struct device *dev)
{
	struct iommufd_hwpt_paging *hwpt;
	struct iommufd_object *obj;

	obj = iommufd_obj_get(ictx, hwpt_id, IOMMUFD_OTYPE_ANY);
	if (IS_ERR(obj))
		return ERR_CAST(obj);
	hwpt = container_of(obj, struct iommufd_hwpt_paging, common.obj);
	if (obj->type != IOMMUFD_OTYPE_HWPT_PAGING || !hwpt->nest_parent ||
	    hwpt->common.iommu_ops != dev_iommu_ops(dev)) {
		iommufd_obj_put_lookup(ictx, obj);
		return ERR_PTR(-EINVAL);
	}
	/* Never automatic, so a plain reference keeps it. */
	return hwpt;
}

/**
 * iommufd_viommu_alloc_ioctl() - IOMMU_VIOMMU_ALLOC
 * @ucmd: the call; its argument is a struct iommu_viommu_alloc
 *
 * Return: 0 or an errno as the uAPI documents.
 */
int iommufd_viommu_alloc_ioctl(struct iommufd_ucmd *ucmd)
{
	struct iommu_viommu_alloc *cmd = ucmd->cmd;
	struct iommu_user_data user_data = {
		.type = cmd->type,
		.uptr = u64_to_user_ptr(cmd->data_uptr),
		.len = cmd->data_len,
	};
	struct iommufd_hwpt_paging *hwpt;
	struct iommufd_viommu *viommu;
	const struct iommu_ops *ops;
	struct iommufd_device *idev;
	struct iommufd_object *obj;
	size_t size;
	int rc;

	if (cmd->flags || cmd->__reserved)
		return -EOPNOTSUPP;
	if (!cmd->data_len != !cmd->data_uptr)
		return -EINVAL;

	obj = iommufd_obj_get(ucmd->ictx, cmd->dev_id, IOMMUFD_OTYPE_DEVICE);
	if (IS_ERR(obj))
		return PTR_ERR(obj);
	idev = container_of(obj, struct iommufd_device, obj);
	ops = dev_iommu_ops(idev->dev);

	hwpt = iommufd_viommu_parent_get(ucmd->ictx, cmd->hwpt_id, idev->dev);
	if (IS_ERR(hwpt)) {
		rc = PTR_ERR(hwpt);
		goto out_put_idev;
	}

	if (cmd->type == IOMMU_VIOMMU_TYPE_DEFAULT) {
		rc = -EINVAL;
		if (cmd->data_len)
			goto out_put_hwpt;
		size = sizeof(*viommu);
	} else {
		rc = -EOPNOTSUPP;
		size = ops->viommu_size && ops->viommu_init ?
			       ops->viommu_size(idev->dev, cmd->type) : 0;
		if (!size)
			goto out_put_hwpt;
		if (WARN_ON_ONCE(size < sizeof(*viommu)))
			goto out_put_hwpt;
	}

	obj = iommufd_obj_new_raw(ucmd->ictx, size, IOMMUFD_OTYPE_VIOMMU);
	if (IS_ERR(obj)) {
		rc = PTR_ERR(obj);
		goto out_put_hwpt;
	}
	viommu = iommufd_viommu_of_obj(obj);
	viommu->ictx = ucmd->ictx;
	viommu->iommu_dev = iommufd_iommu_dev_of(idev->dev);
	viommu->parent = hwpt->common.domain;
	/* The lookup's reference on the parent becomes the vIOMMU's. */
	viommu->hwpt = hwpt;
	viommu->type = cmd->type;
	init_rwsem(&viommu->vdevs_rwsem);
	xa_init(&viommu->vdevs);
	init_rwsem(&viommu->veventqs_rwsem);
	INIT_LIST_HEAD(&viommu->veventqs);

	if (cmd->type != IOMMU_VIOMMU_TYPE_DEFAULT) {
		rc = ops->viommu_init(viommu, hwpt->common.domain,
				      cmd->data_len ? &user_data : NULL);
		if (rc) {
			/* A failed init leaves nothing for ops->destroy. */
			viommu->ops = NULL;
			goto out_abort;
		}
	}

	cmd->out_viommu_id = viommu->obj.id;
	rc = iommufd_ucmd_respond(ucmd);
	if (rc)
		goto out_abort;
	iommufd_obj_publish(ucmd->ictx, &viommu->obj);
	goto out_put_idev;

out_abort:
	iommufd_obj_abort(ucmd->ictx, &viommu->obj);
	goto out_put_idev;
out_put_hwpt:
	iommufd_obj_put(&hwpt->common.obj);
out_put_idev:
	iommufd_obj_put(&idev->obj);
	return rc;
}

static void iommufd_vdevice_destroy(struct iommufd_object *obj)
{
	struct iommufd_vdevice *vdev =
		container_of(obj, struct iommufd_vdevice, obj);
	struct iommufd_viommu *viommu = vdev->viommu;
	struct iommufd_device *idev = vdev->idev;

	down_write(&viommu->vdevs_rwsem);
	xa_cmpxchg(&viommu->vdevs, vdev->virt_id, vdev, NULL, GFP_KERNEL);
	up_write(&viommu->vdevs_rwsem);

	/* Last use of @idev: an unbind may be waiting for this. */
	mutex_lock(&idev->vdev_lock);
	if (idev->vdev == vdev)
		idev->vdev = NULL;
	wake_up_var(&idev->vdev);
	mutex_unlock(&idev->vdev_lock);

	iommufd_obj_put(&viommu->obj);
}

/* The device stays bound while its vDEVICE is there, see above. */
static void iommufd_vdevice_show(struct seq_file *m, struct iommufd_ctx *ictx,
				 struct iommufd_object *obj)
{
	struct iommufd_vdevice *vdev =
		container_of(obj, struct iommufd_vdevice, obj);

	seq_printf(m, " viommu=%u device=%u virt-id=%lu", vdev->viommu->obj.id,
		   vdev->idev->obj.id, vdev->virt_id);
}

const struct iommufd_otype_ops iommufd_vdevice_ops = {
	.destroy = iommufd_vdevice_destroy,
	.name = "vdevice",
	.show = iommufd_vdevice_show,
};

/*
 * Create, answer and publish the vDEVICE of @idev in @viommu, under the
 * device's vdev_lock.
 */
static int iommufd_vdevice_create(struct iommufd_ucmd *ucmd,
				  struct iommufd_viommu *viommu,
				  struct iommufd_device *idev)
{
	struct iommu_vdevice_alloc *cmd = ucmd->cmd;
	struct iommufd_vdevice *vdev;
	void *old;
	int rc;

	lockdep_assert_held(&idev->vdev_lock);

	if (idev->unbinding)
		return -ENOENT;
	if (idev->vdev)
		return -EEXIST;

	vdev = iommufd_obj_new(ucmd->ictx, struct iommufd_vdevice,
			       IOMMUFD_OTYPE_VDEVICE);
	if (IS_ERR(vdev))
		return PTR_ERR(vdev);
	vdev->idev = idev;
	vdev->virt_id = cmd->virt_id;

	down_write(&viommu->vdevs_rwsem);
	old = xa_cmpxchg(&viommu->vdevs, vdev->virt_id, NULL, vdev,
			 GFP_KERNEL_ACCOUNT);
	up_write(&viommu->vdevs_rwsem);
	if (old) {
		iommufd_obj_discard(ucmd->ictx, &vdev->obj);
		return xa_is_err(old) ? xa_err(old) : -EEXIST;
	}
	/* From here on the destroy callback undoes everything. */
	refcount_inc(&viommu->obj.users);
	vdev->viommu = viommu;
	idev->vdev = vdev;

	cmd->out_vdevice_id = vdev->obj.id;
	rc = iommufd_ucmd_respond(ucmd);
	if (rc) {
		/*
		 * The destroy callback takes vdev_lock itself. The pointer is
		 * cleared first so that an unbind meanwhile does not try to
		 * destroy an object that was never published.
		 */
		idev->vdev = NULL;
		mutex_unlock(&idev->vdev_lock);
		iommufd_obj_abort(ucmd->ictx, &vdev->obj);
		mutex_lock(&idev->vdev_lock);
		return rc;
	}
	iommufd_obj_publish(ucmd->ictx, &vdev->obj);
	return 0;
}

/**
 * iommufd_vdevice_alloc_ioctl() - IOMMU_VDEVICE_ALLOC
 * @ucmd: the call; its argument is a struct iommu_vdevice_alloc
 *
 * Return: 0 or an errno as the uAPI documents.
 */
int iommufd_vdevice_alloc_ioctl(struct iommufd_ucmd *ucmd)
{
	struct iommu_vdevice_alloc *cmd = ucmd->cmd;
	struct iommufd_viommu *viommu;
	struct iommufd_device *idev;
	struct iommufd_object *obj;
	int rc;

	obj = iommufd_obj_get(ucmd->ictx, cmd->viommu_id, IOMMUFD_OTYPE_VIOMMU);
	if (IS_ERR(obj))
		return PTR_ERR(obj);
	viommu = iommufd_viommu_of_obj(obj);

	obj = iommufd_obj_get(ucmd->ictx, cmd->dev_id, IOMMUFD_OTYPE_DEVICE);
	if (IS_ERR(obj)) {
		rc = PTR_ERR(obj);
		goto out_put_viommu;
	}
	idev = container_of(obj, struct iommufd_device, obj);

	if (cmd->virt_id > ULONG_MAX ||
	    iommufd_iommu_dev_of(idev->dev) != viommu->iommu_dev) {
		rc = -EINVAL;
		goto out_put_idev;
	}

	mutex_lock(&idev->vdev_lock);
	rc = iommufd_vdevice_create(ucmd, viommu, idev);
	mutex_unlock(&idev->vdev_lock);
out_put_idev:
	iommufd_obj_put(&idev->obj);
out_put_viommu:
	iommufd_obj_put(&viommu->obj);
	return rc;
}

/**
 * iommufd_device_destroy_vdev() - destroy a device's vDEVICE for unbind
 * @idev: the device, being unbound by its driver
 *
 * Afterwards the device has no vDEVICE and cannot get one. A vDEVICE
 * that userspace is destroying at the same moment is waited for.
 */
void iommufd_device_destroy_vdev(struct iommufd_device *idev)
{
	struct iommufd_vdevice *vdev;

	mutex_lock(&idev->vdev_lock);
	idev->unbinding = true;
	while ((vdev = idev->vdev)) {
		if (iommufd_obj_tryget(&vdev->obj)) {
			mutex_unlock(&idev->vdev_lock);
			iommufd_obj_destroy_held(idev->ictx, &vdev->obj);
			return;
		}
		/* Its destroy callback is running; it clears the pointer. */
		mutex_unlock(&idev->vdev_lock);
		wait_var_event(&idev->vdev, !READ_ONCE(idev->vdev));
		mutex_lock(&idev->vdev_lock);
	}
	mutex_unlock(&idev->vdev_lock);
}

/**
 * iommufd_viommu_find_dev() - the device a guest names by a virtual ID
 * @viommu: the vIOMMU
 * @virt_id: the virtual ID given to IOMMU_VDEVICE_ALLOC
 *
 * Only for the callbacks of struct iommufd_viommu_ops that say they may
 * use it: the device stays valid until the callback returns.
 *
 * Return: the device, or NULL when no vDEVICE has @virt_id.
 */
struct device *iommufd_viommu_find_dev(struct iommufd_viommu *viommu,
				       unsigned long virt_id)
{
	struct iommufd_vdevice *vdev;

	lockdep_assert_held(&viommu->vdevs_rwsem);

	vdev = xa_load(&viommu->vdevs, virt_id);
	return vdev ? vdev->idev->dev : NULL;
}
EXPORT_SYMBOL_NS_GPL(iommufd_viommu_find_dev, IOMMUFD);

/**
 * iommufd_viommu_get_vdev_id() - the virtual ID of a device
 * @viommu: the vIOMMU
 * @dev: a device the caller knows to be bound and alive
 * @virt_id: filled with the virtual ID
 *
 * Return: 0, or -ENOENT when @dev has no vDEVICE in @viommu.
 */
int iommufd_viommu_get_vdev_id(struct iommufd_viommu *viommu,
			       struct device *dev, unsigned long *virt_id)
{
	struct iommufd_vdevice *vdev;
	unsigned long index;
	int rc = -ENOENT;

	down_read(&viommu->vdevs_rwsem);
	xa_for_each(&viommu->vdevs, index, vdev) {
		if (vdev->idev->dev == dev) {
			*virt_id = index;
			rc = 0;
			break;
		}
	}
	up_read(&viommu->vdevs_rwsem);
	return rc;
}
EXPORT_SYMBOL_NS_GPL(iommufd_viommu_get_vdev_id, IOMMUFD);
