// SPDX-License-Identifier: GPL-2.0-only
/*
 * VFIO device character devices: /dev/vfio/devices/vfioN.
 *
 * Every registered vfio_device also appears as a character device whose
 * minor is the device's index. An open of it yields a file that can do
 * nothing but VFIO_DEVICE_BIND_IOMMUFD until the user binds the device to
 * an iommufd by handing over a /dev/iommu file descriptor. Binding makes
 * iommufd take DMA ownership of the device (which the iommu core refuses
 * while the device's group is used through a VFIO container, or by a
 * kernel driver, or by another iommufd) and opens the device like the
 * group path does. After that the file behaves like a device file
 * obtained from VFIO_GROUP_GET_DEVICE_FD, plus
 * VFIO_DEVICE_ATTACH_IOMMUFD_PT and VFIO_DEVICE_DETACH_IOMMUFD_PT.
 *
 * The driver's iommufd ops do the binding (see iommufd.c): a device
 * behind an IOMMU becomes an iommufd device object, an emulated one (an
 * mdev) an access object, and the ID returned is that object's. Drivers
 * without the ops, and no-IOMMU devices, are refused with EOPNOTSUPP.
 * Binding first asks the driver's match op, as opening by name through
 * the group does, so a vfio-pci VF still needs its PF's VF token. While a
 * device is bound its group file cannot be opened (and the other way
 * round), so no group fd can stand in for the device in a hot reset.
 *
 * Locking: a struct vfio_device_file's mutex serializes bind, attach,
 * detach and release on one file; the device's dev_set->lock covers
 * open_count, open_device/close_device and the binding, exactly as for
 * the group path. The mutex nests outside dev_set->lock, which nests
 * outside every iommufd lock.
 */
#include <linux/cdev.h>
#include <linux/fs.h>
#include <linux/iommu.h>
#include <linux/iommufd.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/uuid.h>
#include <linux/vfio.h>

#include "vfio.h"

static dev_t vfio_device_devt;

/**
 * struct vfio_device_file - one open of a device cdev
 * @device: the device, with a registration reference held
 * @lock: serializes the ioctls that change the binding, and release
 * @ictx: the iommufd the device is bound to, or NULL before binding
 * @bound: the device is open and bound to @ictx
 * @kvm: the VM KVM associated this file with (KVM_DEV_VFIO_FILE_ADD),
 *       handed to the device's driver when the file binds; no reference
 *       is held, as for group files: KVM removes it before the VM dies
 */
struct vfio_device_file {
	struct vfio_device *device;
	struct mutex lock; /* see the kernel-doc above */
	struct iommufd_ctx *ictx;
	bool bound;
	struct kvm *kvm;
};

static int vfio_device_cdev_open(struct inode *inode, struct file *filep)
{
	struct vfio_device *device =
		container_of(inode->i_cdev, struct vfio_device, cdev);
	struct vfio_device_file *df;

	if (!vfio_device_try_get_registration(device))
		return -ENODEV;

	df = kzalloc(sizeof(*df), GFP_KERNEL_ACCOUNT);
	if (!df) {
		vfio_device_put_registration(device);
		return -ENOMEM;
	}
	df->device = device;
	mutex_init(&df->lock);
	filep->private_data = df;
	/* The regions are accessed with pread/pwrite at fixed offsets. */
	filep->f_mode |= FMODE_PREAD | FMODE_PWRITE;
	return 0;
}

/*
 * Let the driver check that this file may have the device, as opening by
 * name through the group does: vfio-pci refuses a VF whose PF is owned
 * by a user who set a VF token, unless the same token is given.
 */
static int vfio_device_cdev_match(struct vfio_device *device,
				  const uuid_t *token)
{
	char *buf;
	int ret;

	if (!device->ops->match)
		return 0;
	if (token)
		buf = kasprintf(GFP_KERNEL, "%s vf_token=%pUl",
				dev_name(device->dev), token);
	else
		buf = kstrdup(dev_name(device->dev), GFP_KERNEL);
	if (!buf)
		return -ENOMEM;
	ret = device->ops->match(device, buf);
	kfree(buf);
	if (ret < 0)
		return ret;
	return ret ? 0 : -ENODEV;
}

/*
 * Claim the device for this file: nobody else may have it open, through
 * another cdev file or its group. Then bind it to @ictx and open it for
 * use by its driver, in the order the group path uses.
 */
static int vfio_device_cdev_open_device(struct vfio_device *device,
					struct kvm *kvm,
					struct iommufd_ctx *ictx, u32 *id)
{
	int ret;

	if (!try_module_get(device->dev->driver->owner))
		return -ENODEV;

	mutex_lock(&device->dev_set->lock);
	if (device->open_count) {
		ret = -EINVAL;
		goto out_unlock;
	}
	ret = device->ops->bind_iommufd(device, ictx, id);
	if (ret)
		goto out_unlock;
	device->open_count = 1;
	device->cdev_opened = true;
	/* The driver must take its own reference if it keeps it. */
	device->kvm = kvm;
	if (device->ops->open_device) {
		ret = device->ops->open_device(device);
		if (ret) {
			device->open_count = 0;
			device->cdev_opened = false;
			device->kvm = NULL;
			device->ops->unbind_iommufd(device);
		}
	}
out_unlock:
	mutex_unlock(&device->dev_set->lock);
	if (ret)
		module_put(device->dev->driver->owner);
	return ret;
}

/* The driver stops DMA in close_device, before the device is unbound. */
static void vfio_device_cdev_close_device(struct vfio_device *device)
{
	mutex_lock(&device->dev_set->lock);
	vfio_assert_device_open(device);
	if (device->ops->close_device)
		device->ops->close_device(device);
	device->ops->unbind_iommufd(device);
	device->open_count = 0;
	device->cdev_opened = false;
	device->kvm = NULL;
	mutex_unlock(&device->dev_set->lock);
	module_put(device->dev->driver->owner);
}

static long vfio_device_cdev_bind(struct vfio_device_file *df,
				  struct vfio_device_bind_iommufd __user *arg)
{
	unsigned long minsz = offsetofend(struct vfio_device_bind_iommufd,
					  out_devid);
	struct vfio_device *device = df->device;
	struct vfio_device_bind_iommufd bind;
	struct iommufd_ctx *ictx;
	uuid_t token, *tokenp = NULL;
	u32 argsz, devid;
	long ret;

	if (get_user(argsz, &arg->argsz))
		return -EFAULT;
	if (argsz < minsz)
		return -EINVAL;
	ret = copy_struct_from_user(&bind, sizeof(bind), arg, argsz);
	if (ret)
		return ret;
	if ((bind.flags & ~VFIO_DEVICE_BIND_FLAG_TOKEN) || bind.iommufd < 0)
		return -EINVAL;
	if (bind.flags & VFIO_DEVICE_BIND_FLAG_TOKEN) {
		if (argsz < offsetofend(struct vfio_device_bind_iommufd,
					token_uuid_ptr))
			return -EINVAL;
		if (copy_from_user(&token, u64_to_user_ptr(bind.token_uuid_ptr),
				   sizeof(token)))
			return -EFAULT;
		tokenp = &token;
	}

	/* A no-IOMMU device has nothing iommufd could translate or track. */
	if (device->group->type == VFIO_NO_IOMMU ||
	    !device->ops->bind_iommufd)
		return -EOPNOTSUPP;

	ret = vfio_device_cdev_match(device, tokenp);
	if (ret)
		return ret;

	mutex_lock(&df->lock);
	if (df->bound) {
		ret = -EINVAL;
		goto out_unlock;
	}

	ret = vfio_device_block_group(device);
	if (ret)
		goto out_unlock;

	ictx = iommufd_ctx_from_fd(bind.iommufd);
	if (IS_ERR(ictx)) {
		ret = PTR_ERR(ictx);
		goto err_unblock;
	}

	ret = vfio_device_cdev_open_device(device, df->kvm, ictx, &devid);
	if (ret)
		goto err_put_ctx;

	if (put_user(devid, &arg->out_devid)) {
		ret = -EFAULT;
		goto err_close;
	}
	df->ictx = ictx;
	/* Everything the device's ops need is set up before this is seen. */
	smp_store_release(&df->bound, true);
	mutex_unlock(&df->lock);
	return 0;

err_close:
	vfio_device_cdev_close_device(device);
err_put_ctx:
	iommufd_ctx_put(ictx);
err_unblock:
	vfio_device_unblock_group(device);
out_unlock:
	mutex_unlock(&df->lock);
	return ret;
}

static long vfio_device_cdev_attach(struct vfio_device_file *df,
				    struct vfio_device_attach_iommufd_pt __user *arg)
{
	unsigned long minsz = offsetofend(struct vfio_device_attach_iommufd_pt,
					  pt_id);
	struct vfio_device_attach_iommufd_pt attach;
	struct vfio_device *device = df->device;
	bool pasid;
	long ret;

	if (copy_from_user(&attach, arg, minsz))
		return -EFAULT;
	if (attach.argsz < minsz || (attach.flags & ~VFIO_DEVICE_ATTACH_PASID))
		return -EINVAL;
	pasid = attach.flags & VFIO_DEVICE_ATTACH_PASID;
	if (pasid) {
		if (attach.argsz < offsetofend(typeof(attach), pasid))
			return -EINVAL;
		if (!device->ops->pasid_attach_ioas)
			return -EOPNOTSUPP;
		if (get_user(attach.pasid, &arg->pasid))
			return -EFAULT;
	}

	mutex_lock(&df->lock);
	mutex_lock(&device->dev_set->lock);
	/* Attaching an attached device moves it (see the ops' helpers) */
	if (pasid)
		ret = device->ops->pasid_attach_ioas(device, attach.pasid,
						     &attach.pt_id);
	else
		ret = device->ops->attach_ioas(device, &attach.pt_id);
	mutex_unlock(&device->dev_set->lock);
	/*
	 * The reply is written without the dev_set lock, which the other
	 * devices of the set (maybe another user's) need to open and close:
	 * a reply page that faults slowly must stall only this file, whose
	 * lock keeps the device where the attach put it meanwhile.
	 */
	if (!ret && put_user(attach.pt_id, &arg->pt_id)) {
		/* The caller cannot know where it is: undo it all. */
		mutex_lock(&device->dev_set->lock);
		if (pasid)
			device->ops->pasid_detach_ioas(device, attach.pasid);
		else
			device->ops->detach_ioas(device);
		mutex_unlock(&device->dev_set->lock);
		ret = -EFAULT;
	}
	mutex_unlock(&df->lock);
	return ret;
}

static long vfio_device_cdev_detach(struct vfio_device_file *df,
				    struct vfio_device_detach_iommufd_pt __user *arg)
{
	unsigned long minsz = offsetofend(struct vfio_device_detach_iommufd_pt,
					  flags);
	struct vfio_device_detach_iommufd_pt detach;
	struct vfio_device *device = df->device;
	bool pasid;

	if (copy_from_user(&detach, arg, minsz))
		return -EFAULT;
	if (detach.argsz < minsz || (detach.flags & ~VFIO_DEVICE_DETACH_PASID))
		return -EINVAL;
	pasid = detach.flags & VFIO_DEVICE_DETACH_PASID;
	if (pasid) {
		if (detach.argsz < offsetofend(typeof(detach), pasid))
			return -EINVAL;
		if (!device->ops->pasid_detach_ioas)
			return -EOPNOTSUPP;
		if (get_user(detach.pasid, &arg->pasid))
			return -EFAULT;
	}

	mutex_lock(&df->lock);
	mutex_lock(&device->dev_set->lock);
	if (pasid)
		device->ops->pasid_detach_ioas(device, detach.pasid);
	else
		device->ops->detach_ioas(device);
	mutex_unlock(&device->dev_set->lock);
	mutex_unlock(&df->lock);
	return 0;
}

/* The device's own operations are only reachable once it is bound. */
static struct vfio_device *vfio_device_cdev_bound(struct file *filep)
{
	struct vfio_device_file *df = filep->private_data;

	/* Pairs with the release in bind: the open device is visible. */
	return smp_load_acquire(&df->bound) ? df->device : NULL;
}

static long vfio_device_cdev_ioctl(struct file *filep, unsigned int cmd,
				   unsigned long arg)
{
	struct vfio_device_file *df = filep->private_data;
	void __user *uarg = (void __user *)arg;
	struct vfio_device *device;

	if (cmd == VFIO_DEVICE_BIND_IOMMUFD)
		return vfio_device_cdev_bind(df, uarg);

	device = vfio_device_cdev_bound(filep);
	if (!device)
		return -EINVAL;

	switch (cmd) {
	case VFIO_DEVICE_ATTACH_IOMMUFD_PT:
		return vfio_device_cdev_attach(df, uarg);
	case VFIO_DEVICE_DETACH_IOMMUFD_PT:
		return vfio_device_cdev_detach(df, uarg);
	default:
		return vfio_device_ioctl(device, cmd, arg);
	}
}

static ssize_t vfio_device_cdev_read(struct file *filep, char __user *buf,
				     size_t count, loff_t *ppos)
{
	struct vfio_device *device = vfio_device_cdev_bound(filep);

	if (!device || !device->ops->read)
		return -EINVAL;
	return device->ops->read(device, buf, count, ppos);
}

static ssize_t vfio_device_cdev_write(struct file *filep,
				      const char __user *buf, size_t count,
				      loff_t *ppos)
{
	struct vfio_device *device = vfio_device_cdev_bound(filep);

	if (!device || !device->ops->write)
		return -EINVAL;
	return device->ops->write(device, buf, count, ppos);
}

static int vfio_device_cdev_mmap(struct file *filep,
				 struct vm_area_struct *vma)
{
	struct vfio_device *device = vfio_device_cdev_bound(filep);

	if (!device || !device->ops->mmap)
		return -EINVAL;
	return device->ops->mmap(device, vma);
}

static int vfio_device_cdev_release(struct inode *inode, struct file *filep)
{
	struct vfio_device_file *df = filep->private_data;
	struct vfio_device *device = df->device;

	mutex_lock(&df->lock);
	if (df->bound) {
		vfio_device_cdev_close_device(device);
		iommufd_ctx_put(df->ictx);
		vfio_device_unblock_group(device);
	}
	mutex_unlock(&df->lock);
	mutex_destroy(&df->lock);
	kfree(df);
	vfio_device_put_registration(device);
	return 0;
}

static const struct file_operations vfio_device_cdev_fops = {
	.owner = THIS_MODULE,
	.open = vfio_device_cdev_open,
	.release = vfio_device_cdev_release,
	.read = vfio_device_cdev_read,
	.write = vfio_device_cdev_write,
	.unlocked_ioctl = vfio_device_cdev_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
	.mmap = vfio_device_cdev_mmap,
};

/**
 * vfio_file_is_device_cdev() - is @file an open device cdev?
 * @file: any file
 *
 * Return: true for a file opened through /dev/vfio/devices/vfioN.
 */
bool vfio_file_is_device_cdev(struct file *file)
{
	return file->f_op == &vfio_device_cdev_fops;
}

/**
 * vfio_device_cdev_enforced_coherent() - coherency of a cdev file's DMA
 * @file: an open device cdev
 *
 * iommufd asks the IOMMU to turn the device's no-snoop requests into
 * snooping ones on every domain it makes for a device whose IOMMU can,
 * and such a domain accepts no device whose IOMMU cannot; so the
 * device's DMA is coherent exactly when its IOMMU has the capability.
 *
 * Return: true when KVM need not assume the device bypasses CPU caches.
 */
bool vfio_device_cdev_enforced_coherent(struct file *file)
{
	struct vfio_device_file *df = file->private_data;

	return device_iommu_capable(df->device->dev,
				    IOMMU_CAP_ENFORCE_CACHE_COHERENCY);
}

/**
 * vfio_device_cdev_set_kvm() - remember the VM a cdev file belongs to
 * @file: an open device cdev
 * @kvm: the VM, or NULL when KVM lets go of the file
 *
 * The device's driver sees the VM in device->kvm from its open_device
 * on, so the VM must be set before the file binds, as with groups (where
 * it must be set before the device is opened).
 */
void vfio_device_cdev_set_kvm(struct file *file, struct kvm *kvm)
{
	struct vfio_device_file *df = file->private_data;

	mutex_lock(&df->lock);
	df->kvm = kvm;
	mutex_unlock(&df->lock);
}

/**
 * vfio_iommufd_device_ictx() - the iommufd a device is bound to by its cdev
 * @vdev: an open device, queried from its own ioctl
 *
 * Return: the iommufd context, or NULL when the device was opened through
 * its group.
 */
struct iommufd_ctx *vfio_iommufd_device_ictx(struct vfio_device *vdev)
{
	if (!vdev->cdev_opened || !vdev->iommufd_device)
		return NULL;
	return iommufd_device_to_ictx(vdev->iommufd_device);
}
EXPORT_SYMBOL_GPL(vfio_iommufd_device_ictx);

/**
 * vfio_iommufd_dev_id() - how an iommufd owns a device, for hot reset
 * @vdev: the vfio_device of @dev, or NULL when @dev has none; the caller
 *        holds the lock of its dev_set
 * @dev: a device a reset would affect
 * @ictx: the iommufd of the device asking
 *
 * Return: the device's ID in @ictx when it is bound there; otherwise
 * VFIO_PCI_DEVID_OWNED (0) when its IOMMU group is owned by @ictx, else
 * VFIO_PCI_DEVID_NOT_OWNED (-1).
 */
int vfio_iommufd_dev_id(struct vfio_device *vdev, struct device *dev,
			struct iommufd_ctx *ictx)
{
	struct iommu_group *group;
	bool owned;

	if (vdev) {
		lockdep_assert_held(&vdev->dev_set->lock);
		if (vdev->iommufd_device &&
		    iommufd_device_to_ictx(vdev->iommufd_device) == ictx)
			return iommufd_device_to_id(vdev->iommufd_device);
	}
	group = iommu_group_get(dev);
	if (!group)
		return VFIO_PCI_DEVID_NOT_OWNED;
	owned = iommufd_ctx_has_group(ictx, group);
	iommu_group_put(group);
	return owned ? VFIO_PCI_DEVID_OWNED : VFIO_PCI_DEVID_NOT_OWNED;
}
EXPORT_SYMBOL_GPL(vfio_iommufd_dev_id);

/**
 * vfio_device_cdev_init() - prepare the cdev of a device being initialized
 * @device: the device; its index is already allocated
 */
void vfio_device_cdev_init(struct vfio_device *device)
{
	device->device.devt = MKDEV(MAJOR(vfio_device_devt), device->index);
	cdev_init(&device->cdev, &vfio_device_cdev_fops);
	device->cdev.owner = THIS_MODULE;
}

/**
 * vfio_device_add() - add a device's struct device and its cdev
 * @device: the device being registered
 *
 * Return: 0 or the error of cdev_device_add().
 */
int vfio_device_add(struct vfio_device *device)
{
	return cdev_device_add(&device->cdev, &device->device);
}

/**
 * vfio_device_del() - undo vfio_device_add()
 * @device: the device being unregistered; no file of it is bound any more
 */
void vfio_device_del(struct vfio_device *device)
{
	cdev_device_del(&device->cdev, &device->device);
}

static char *vfio_device_devnode(struct device *dev, umode_t *mode)
{
	return kasprintf(GFP_KERNEL, "vfio/devices/%s", dev_name(dev));
}

/**
 * vfio_cdev_init() - reserve the device numbers of the cdevs
 * @device_class: the vfio-dev class, whose nodes go to /dev/vfio/devices
 *
 * Return: 0 or an error of alloc_chrdev_region().
 */
int vfio_cdev_init(struct class *device_class)
{
	device_class->devnode = vfio_device_devnode;
	return alloc_chrdev_region(&vfio_device_devt, 0, MINORMASK + 1,
				   "vfio-dev");
}

/**
 * vfio_cdev_cleanup() - undo vfio_cdev_init()
 */
void vfio_cdev_cleanup(void)
{
	unregister_chrdev_region(vfio_device_devt, MINORMASK + 1);
}

MODULE_IMPORT_NS(IOMMUFD);
