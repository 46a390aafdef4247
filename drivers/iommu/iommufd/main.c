// SPDX-License-Identifier: GPL-2.0-only
/*
 * /dev/iommu: the character device and its per-open context.
 *
 * Each open() of /dev/iommu creates one struct iommufd_ctx, owned by the
 * struct file and freed on the last close. The context is where the
 * objects a user creates (IO address spaces, hardware page tables, bound
 * devices) will live; commands arrive as ioctls on the file.
 *
 * Locking: nothing here is shared between contexts and the context has no
 * mutable state yet, so no lock is taken.
 */
#define pr_fmt(fmt) "iommufd: " fmt

#include <linux/file.h>
#include <linux/fs.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <uapi/linux/iommufd.h>

/**
 * struct iommufd_ctx - state of one open /dev/iommu file
 * @file: the file this context belongs to
 */
struct iommufd_ctx {
	struct file *file;
};

static int iommufd_fops_open(struct inode *inode, struct file *filp)
{
	struct iommufd_ctx *ictx;

	ictx = kzalloc(sizeof(*ictx), GFP_KERNEL_ACCOUNT);
	if (!ictx)
		return -ENOMEM;

	ictx->file = filp;
	filp->private_data = ictx;
	return 0;
}

static int iommufd_fops_release(struct inode *inode, struct file *filp)
{
	kfree(filp->private_data);
	return 0;
}

static long iommufd_fops_ioctl(struct file *filp, unsigned int cmd,
			       unsigned long arg)
{
	/* No command is implemented yet: every number is unknown. */
	return -ENOTTY;
}

static const struct file_operations iommufd_fops = {
	.owner = THIS_MODULE,
	.open = iommufd_fops_open,
	.release = iommufd_fops_release,
	.unlocked_ioctl = iommufd_fops_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
};

static struct miscdevice iommufd_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "iommu",
	.fops = &iommufd_fops,
	.nodename = "iommu",
	.mode = 0660,
};

static int __init iommufd_init(void)
{
	return misc_register(&iommufd_misc);
}

static void __exit iommufd_exit(void)
{
	misc_deregister(&iommufd_misc);
}

module_init(iommufd_init);
module_exit(iommufd_exit);

MODULE_DESCRIPTION("IOMMU userspace API (/dev/iommu)");
MODULE_LICENSE("GPL");
