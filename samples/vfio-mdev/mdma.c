// SPDX-License-Identifier: GPL-2.0-only
/*
 * mdma: a mediated device that does DMA, to exercise the emulated-device
 * path of VFIO (vfio_pin_pages(), vfio_unpin_pages(), vfio_dma_rw() and
 * the dma_unmap callback) with a type1 container or an iommufd.
 *
 * Each mdev is a tiny copy engine with one register region (region 0,
 * reached with pread/pwrite on the device file at offset 0). Registers
 * are 64 bits wide, little endian, and must be accessed whole:
 *
 *   0x00 SRC     rw  source IOVA of a copy; IOVA of the first page to pin
 *   0x08 DST     rw  destination IOVA of a copy
 *   0x10 LEN     rw  bytes to copy, at most MDMA_MAX_COPY; bytes to pin
 *   0x18 CMD     wo  MDMA_CMD_COPY, MDMA_CMD_PIN or MDMA_CMD_UNPIN
 *   0x20 STATUS  ro  MDMA_STATUS_BUSY while a copy runs, else the result
 *                    of the last command: 0 or a negative errno
 *   0x28 PINNED  ro  the first IOVA pinned, or MDMA_NOT_PINNED
 *   0x30 UNMAPS  ro  pins given up because the IOVA was being unmapped
 *   0x38 COPIES  ro  copies completed
 *
 * A copy runs on a workqueue (a kernel thread with no user mm) and moves
 * the bytes through a bounce page with vfio_dma_rw(). PIN pins the pages
 * from the one holding SRC on, LEN / PAGE_SIZE of them (at least one, at
 * most MDMA_MAX_PIN), with one vfio_pin_pages() call per page as some
 * real drivers do, and writes MDMA_PIN_STAMP into the first at SRC's
 * offset through the kernel mapping, so userspace can check that the
 * right page was pinned. They stay pinned until UNPIN, a reset, the
 * close of the device, or an unmap touching them (counted in UNMAPS),
 * and are then unpinned with a single vfio_unpin_pages() call. Pages
 * that would run past the top of the IOVA space (and wrap to IOVA 0) are
 * refused with EOVERFLOW before anything is pinned.
 *
 * Create one with
 *   uuidgen > /sys/class/mdma/mdma/mdev_supported_types/mdma-copy/create
 *
 * Locking: mdma->lock protects the registers and the pin's state and is
 * only held for short sections that call nothing of VFIO's: the dma_unmap
 * callback takes it, and with a type1 container the callback runs under a
 * lock that vfio_pin_pages() and vfio_unpin_pages() nest inside, so
 * neither may be called with it held. mdma->pin_lock serializes the PIN
 * and UNPIN commands (and reset) and is held across those calls; the
 * callback never takes it. Whoever clears pin_iova under mdma->lock owns
 * the pins and unpins them. While a PIN is under way (mdma->pinning) the
 * callback waits for it to finish, so that no pin escapes an unmap.
 */
#include <linux/cdev.h>
#include <linux/device.h>
#include <linux/highmem.h>
#include <linux/iommu.h>
#include <linux/mdev.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/vfio.h>
#include <linux/workqueue.h>
#include <asm/unaligned.h>

#define MDMA_NAME		"mdma"

#define MDMA_REG_SRC		0x00
#define MDMA_REG_DST		0x08
#define MDMA_REG_LEN		0x10
#define MDMA_REG_CMD		0x18
#define MDMA_REG_STATUS		0x20
#define MDMA_REG_PINNED		0x28
#define MDMA_REG_UNMAPS		0x30
#define MDMA_REG_COPIES		0x38
#define MDMA_REGS_SIZE		0x40
#define MDMA_REGION_SIZE	PAGE_SIZE

#define MDMA_CMD_COPY		1
#define MDMA_CMD_PIN		2
#define MDMA_CMD_UNPIN		3

#define MDMA_STATUS_BUSY	1
#define MDMA_NOT_PINNED		(~0ULL)
#define MDMA_PIN_STAMP		0x214e4950414d444dULL	/* "MDMAPIN!" */
#define MDMA_MAX_COPY		SZ_1M
#define MDMA_MAX_PIN		16

/**
 * struct mdma_state - one mdma mdev
 * @vdev: the VFIO device
 * @pin_lock: serializes pinning and unpinning
 * @lock: protects everything below but @work and @bounce
 * @src: SRC register
 * @dst: DST register
 * @len: LEN register
 * @status: STATUS register
 * @unmaps: UNMAPS register
 * @copies: COPIES register
 * @pin_iova: the page-aligned first IOVA pinned, or MDMA_NOT_PINNED
 * @pin_npages: how many pages are pinned from @pin_iova on
 * @pinning: a PIN is calling vfio_pin_pages(); see @pin_wq
 * @pin_wq: where the unmap callback waits for @pinning to clear
 * @work: the copy in flight, with its parameters
 * @work_src: source IOVA of the copy in flight
 * @work_dst: destination IOVA of the copy in flight
 * @work_len: length of the copy in flight
 * @bounce: one page of the copy in flight, owned by @work
 */
struct mdma_state {
	struct vfio_device vdev;
	struct mutex pin_lock; /* see the kernel-doc above */
	struct mutex lock; /* see the kernel-doc above */
	u64 src;
	u64 dst;
	u64 len;
	s64 status;
	u64 unmaps;
	u64 copies;
	u64 pin_iova;
	unsigned int pin_npages;
	bool pinning;
	wait_queue_head_t pin_wq;
	struct work_struct work;
	u64 work_src;
	u64 work_dst;
	u64 work_len;
	void *bounce;
};

static struct mdma_state *to_mdma(struct vfio_device *vdev)
{
	return container_of(vdev, struct mdma_state, vdev);
}

static void mdma_copy_work(struct work_struct *work)
{
	struct mdma_state *mdma = container_of(work, struct mdma_state, work);
	u64 done = 0;
	int ret = 0;

	/* Here current->mm is NULL: vfio_dma_rw() must cope without one. */
	while (done < mdma->work_len) {
		size_t chunk = min_t(u64, mdma->work_len - done, PAGE_SIZE);

		ret = vfio_dma_rw(&mdma->vdev, mdma->work_src + done,
				  mdma->bounce, chunk, false);
		if (ret)
			break;
		ret = vfio_dma_rw(&mdma->vdev, mdma->work_dst + done,
				  mdma->bounce, chunk, true);
		if (ret)
			break;
		done += chunk;
	}

	mutex_lock(&mdma->lock);
	mdma->status = ret;
	if (!ret)
		mdma->copies++;
	mutex_unlock(&mdma->lock);
}

/* Start a copy; the caller holds mdma->lock. */
static int mdma_start_copy(struct mdma_state *mdma)
{
	if (mdma->status == MDMA_STATUS_BUSY)
		return -EBUSY;
	if (!mdma->len || mdma->len > MDMA_MAX_COPY)
		return -EINVAL;
	mdma->work_src = mdma->src;
	mdma->work_dst = mdma->dst;
	mdma->work_len = mdma->len;
	mdma->status = MDMA_STATUS_BUSY;
	queue_work(system_unbound_wq, &mdma->work);
	return 0;
}

/*
 * Take the pins if they overlap [iova, iova + length) (length may reach
 * past the end of the IOVA space); the caller then unpins them. Returns
 * the first IOVA pinned and sets *@npages, or returns MDMA_NOT_PINNED.
 * Holds mdma->lock.
 */
static u64 mdma_take_pin(struct mdma_state *mdma, u64 iova, u64 length,
			 unsigned int *npages)
{
	u64 pinned = mdma->pin_iova;
	u64 end, last;

	lockdep_assert_held(&mdma->lock);
	if (pinned == MDMA_NOT_PINNED || !length)
		return MDMA_NOT_PINNED;
	last = pinned + (u64)mdma->pin_npages * PAGE_SIZE - 1;
	end = length - 1 > U64_MAX - iova ? U64_MAX : iova + length - 1;
	if (pinned > end || last < iova)
		return MDMA_NOT_PINNED;
	mdma->pin_iova = MDMA_NOT_PINNED;
	*npages = mdma->pin_npages;
	return pinned;
}

/* Drop the pins, if any; the caller holds mdma->pin_lock. */
static void mdma_unpin(struct mdma_state *mdma)
{
	unsigned int npages;
	u64 iova;

	lockdep_assert_held(&mdma->pin_lock);
	mutex_lock(&mdma->lock);
	iova = mdma_take_pin(mdma, 0, U64_MAX, &npages);
	mutex_unlock(&mdma->lock);
	/* One call for all of them, however they were pinned */
	if (iova != MDMA_NOT_PINNED)
		vfio_unpin_pages(&mdma->vdev, iova, npages);
}

/*
 * Pin @npages pages from the one holding @src on, one call per page, and
 * stamp the first; the caller holds mdma->pin_lock.
 */
static int mdma_pin(struct mdma_state *mdma, u64 src, unsigned int npages)
{
	unsigned int offset = offset_in_page(src);
	u64 iova = ALIGN_DOWN(src, PAGE_SIZE);
	struct page *page, *first = NULL;
	unsigned int i;
	void *va;
	int ret = 0;

	lockdep_assert_held(&mdma->pin_lock);
	if (offset > PAGE_SIZE - sizeof(u64))
		return -EINVAL;
	/* The pages must not run past the top of the IOVA space into 0. */
	if ((u64)npages * PAGE_SIZE - 1 > U64_MAX - iova)
		return -EOVERFLOW;
	mutex_lock(&mdma->lock);
	if (mdma->pin_iova != MDMA_NOT_PINNED)
		ret = -EBUSY;
	else
		mdma->pinning = true;
	mutex_unlock(&mdma->lock);
	if (ret)
		return ret;

	for (i = 0; i < npages; i++) {
		ret = vfio_pin_pages(&mdma->vdev, iova + i * PAGE_SIZE, 1,
				     IOMMU_READ | IOMMU_WRITE, &page);
		if (ret != 1) {
			if (i)
				vfio_unpin_pages(&mdma->vdev, iova, i);
			ret = ret < 0 ? ret : -EFAULT;
			goto out;
		}
		if (!first)
			first = page;
	}
	va = kmap_local_page(first);
	put_unaligned_le64(MDMA_PIN_STAMP, va + offset);
	kunmap_local(va);
	set_page_dirty_lock(first);
	ret = 0;

out:
	mutex_lock(&mdma->lock);
	if (!ret) {
		mdma->pin_iova = iova;
		mdma->pin_npages = npages;
	}
	mdma->pinning = false;
	mutex_unlock(&mdma->lock);
	wake_up_all(&mdma->pin_wq);
	return ret;
}

/* PIN and UNPIN, which call into VFIO and so run without mdma->lock */
static int mdma_pin_command(struct mdma_state *mdma, u64 cmd)
{
	unsigned int npages;
	int ret = 0;
	u64 src;

	mutex_lock(&mdma->pin_lock);
	mutex_lock(&mdma->lock);
	src = mdma->src;
	npages = clamp_t(u64, mdma->len / PAGE_SIZE, 1, MDMA_MAX_PIN);
	mutex_unlock(&mdma->lock);
	if (cmd == MDMA_CMD_PIN)
		ret = mdma_pin(mdma, src, npages);
	else
		mdma_unpin(mdma);
	mutex_unlock(&mdma->pin_lock);

	mutex_lock(&mdma->lock);
	if (mdma->status != MDMA_STATUS_BUSY)
		mdma->status = ret;
	mutex_unlock(&mdma->lock);
	return ret;
}

/* The other commands; the caller holds mdma->lock. */
static int mdma_command(struct mdma_state *mdma, u64 cmd)
{
	int ret;

	if (cmd == MDMA_CMD_COPY)
		/* STATUS goes busy, then gets the copy's result */
		return mdma_start_copy(mdma);
	ret = -EINVAL;
	if (mdma->status != MDMA_STATUS_BUSY)
		mdma->status = ret;
	return ret;
}

/* Drop the pins, clear the registers and wait for the copy. */
static void mdma_reset(struct mdma_state *mdma)
{
	mutex_lock(&mdma->pin_lock);
	mdma_unpin(mdma);
	mutex_unlock(&mdma->pin_lock);
	mutex_lock(&mdma->lock);
	mdma->src = 0;
	mdma->dst = 0;
	mdma->len = 0;
	mutex_unlock(&mdma->lock);
	/* A copy started before the reset still posts its result */
	flush_work(&mdma->work);
	mutex_lock(&mdma->lock);
	if (mdma->status != MDMA_STATUS_BUSY)
		mdma->status = 0;
	mutex_unlock(&mdma->lock);
}

static int mdma_rw_reg(struct mdma_state *mdma, u64 *val, loff_t pos,
		       bool write)
{
	int ret = 0;

	mutex_lock(&mdma->lock);
	switch (pos) {
	case MDMA_REG_SRC:
		if (write)
			mdma->src = *val;
		*val = mdma->src;
		break;
	case MDMA_REG_DST:
		if (write)
			mdma->dst = *val;
		*val = mdma->dst;
		break;
	case MDMA_REG_LEN:
		if (write)
			mdma->len = *val;
		*val = mdma->len;
		break;
	case MDMA_REG_CMD:
		if (write)
			ret = mdma_command(mdma, *val);
		*val = 0;
		break;
	case MDMA_REG_STATUS:
		*val = mdma->status;
		break;
	case MDMA_REG_PINNED:
		*val = mdma->pin_iova;
		break;
	case MDMA_REG_UNMAPS:
		*val = mdma->unmaps;
		break;
	case MDMA_REG_COPIES:
		*val = mdma->copies;
		break;
	default:
		/* the rest of the region reads as zero, ignores writes */
		*val = 0;
		break;
	}
	mutex_unlock(&mdma->lock);
	return ret;
}

static ssize_t mdma_access(struct vfio_device *vdev, char __user *ubuf,
			   size_t count, loff_t *ppos, bool write)
{
	struct mdma_state *mdma = to_mdma(vdev);
	loff_t pos = *ppos;
	__le64 raw;
	u64 val = 0;
	int ret;

	if (count != sizeof(u64) || pos < 0 || pos % sizeof(u64) ||
	    pos >= MDMA_REGION_SIZE)
		return -EINVAL;
	if (write) {
		if (copy_from_user(&raw, ubuf, sizeof(raw)))
			return -EFAULT;
		val = le64_to_cpu(raw);
	}
	if (write && pos == MDMA_REG_CMD &&
	    (val == MDMA_CMD_PIN || val == MDMA_CMD_UNPIN))
		ret = mdma_pin_command(mdma, val);
	else
		ret = mdma_rw_reg(mdma, &val, pos, write);
	if (ret)
		return ret;
	if (!write) {
		raw = cpu_to_le64(val);
		if (copy_to_user(ubuf, &raw, sizeof(raw)))
			return -EFAULT;
	}
	*ppos += sizeof(u64);
	return sizeof(u64);
}

static ssize_t mdma_read(struct vfio_device *vdev, char __user *buf,
			 size_t count, loff_t *ppos)
{
	return mdma_access(vdev, buf, count, ppos, false);
}

static ssize_t mdma_write(struct vfio_device *vdev, const char __user *buf,
			  size_t count, loff_t *ppos)
{
	return mdma_access(vdev, (char __user *)buf, count, ppos, true);
}

static long mdma_ioctl(struct vfio_device *vdev, unsigned int cmd,
		       unsigned long arg)
{
	struct mdma_state *mdma = to_mdma(vdev);
	void __user *uarg = (void __user *)arg;
	unsigned long minsz;

	switch (cmd) {
	case VFIO_DEVICE_GET_INFO: {
		struct vfio_device_info info;

		minsz = offsetofend(struct vfio_device_info, num_irqs);
		if (copy_from_user(&info, uarg, minsz))
			return -EFAULT;
		if (info.argsz < minsz)
			return -EINVAL;
		info.flags = VFIO_DEVICE_FLAGS_PLATFORM |
			     VFIO_DEVICE_FLAGS_RESET;
		info.num_regions = 1;
		info.num_irqs = 0;
		return copy_to_user(uarg, &info, minsz) ? -EFAULT : 0;
	}
	case VFIO_DEVICE_GET_REGION_INFO: {
		struct vfio_region_info info;

		minsz = offsetofend(struct vfio_region_info, offset);
		if (copy_from_user(&info, uarg, minsz))
			return -EFAULT;
		if (info.argsz < minsz)
			return -EINVAL;
		if (info.index != 0)
			return -EINVAL;
		info.flags = VFIO_REGION_INFO_FLAG_READ |
			     VFIO_REGION_INFO_FLAG_WRITE;
		info.cap_offset = 0;
		info.size = MDMA_REGION_SIZE;
		info.offset = 0;
		return copy_to_user(uarg, &info, minsz) ? -EFAULT : 0;
	}
	case VFIO_DEVICE_RESET:
		mdma_reset(mdma);
		return 0;
	}
	return -ENOTTY;
}

/*
 * [iova, iova + length) is leaving the address space; length may reach
 * past the end of it (iommufd passes the whole space, 0 and ULONG_MAX,
 * when the device moves to another IOAS or detaches).
 */
static void mdma_dma_unmap(struct vfio_device *vdev, u64 iova, u64 length)
{
	struct mdma_state *mdma = to_mdma(vdev);
	unsigned int npages;
	u64 pinned;

	/* A PIN under way completes first (its pins do not hold our lock) */
	mutex_lock(&mdma->lock);
	while (mdma->pinning) {
		mutex_unlock(&mdma->lock);
		wait_event(mdma->pin_wq, !READ_ONCE(mdma->pinning));
		mutex_lock(&mdma->lock);
	}
	pinned = mdma_take_pin(mdma, iova, length, &npages);
	if (pinned != MDMA_NOT_PINNED)
		mdma->unmaps++;
	mutex_unlock(&mdma->lock);
	if (pinned != MDMA_NOT_PINNED)
		vfio_unpin_pages(vdev, pinned, npages);
}

static void mdma_close_device(struct vfio_device *vdev)
{
	mdma_reset(to_mdma(vdev));
}

static int mdma_init_dev(struct vfio_device *vdev)
{
	struct mdma_state *mdma = to_mdma(vdev);

	mdma->bounce = (void *)get_zeroed_page(GFP_KERNEL);
	if (!mdma->bounce)
		return -ENOMEM;
	mutex_init(&mdma->pin_lock);
	mutex_init(&mdma->lock);
	init_waitqueue_head(&mdma->pin_wq);
	INIT_WORK(&mdma->work, mdma_copy_work);
	mdma->pin_iova = MDMA_NOT_PINNED;
	return 0;
}

static void mdma_release_dev(struct vfio_device *vdev)
{
	struct mdma_state *mdma = to_mdma(vdev);

	mutex_destroy(&mdma->lock);
	mutex_destroy(&mdma->pin_lock);
	free_page((unsigned long)mdma->bounce);
	vfio_free_device(vdev);
}

static const struct vfio_device_ops mdma_dev_ops = {
	.name = MDMA_NAME,
	.init = mdma_init_dev,
	.release = mdma_release_dev,
	.close_device = mdma_close_device,
	.read = mdma_read,
	.write = mdma_write,
	.ioctl = mdma_ioctl,
	.dma_unmap = mdma_dma_unmap,
	.bind_iommufd = vfio_iommufd_emulated_bind,
	.unbind_iommufd = vfio_iommufd_emulated_unbind,
	.attach_ioas = vfio_iommufd_emulated_attach_ioas,
	.detach_ioas = vfio_iommufd_emulated_detach_ioas,
};

static int mdma_probe(struct mdev_device *mdev)
{
	struct mdma_state *mdma;
	int ret;

	mdma = vfio_alloc_device(mdma_state, vdev, &mdev->dev, &mdma_dev_ops);
	if (IS_ERR(mdma))
		return PTR_ERR(mdma);
	ret = vfio_register_emulated_iommu_dev(&mdma->vdev);
	if (ret) {
		vfio_put_device(&mdma->vdev);
		return ret;
	}
	dev_set_drvdata(&mdev->dev, mdma);
	return 0;
}

static void mdma_remove(struct mdev_device *mdev)
{
	struct mdma_state *mdma = dev_get_drvdata(&mdev->dev);

	vfio_unregister_group_dev(&mdma->vdev);
	vfio_put_device(&mdma->vdev);
}

static ssize_t mdma_show_description(struct mdev_type *mtype, char *buf)
{
	return sysfs_emit(buf, "copy engine: vfio_dma_rw copies, one pinned page\n");
}

static struct mdev_type mdma_type = {
	.sysfs_name = "copy",
	.pretty_name = "mdma copy engine",
};

static struct mdev_type *mdma_types[] = { &mdma_type };

static struct mdev_driver mdma_driver = {
	.device_api = VFIO_DEVICE_API_PLATFORM_STRING,
	.max_instances = 4,
	.driver = {
		.name = MDMA_NAME,
		.owner = THIS_MODULE,
		.mod_name = KBUILD_MODNAME,
	},
	.probe = mdma_probe,
	.remove = mdma_remove,
	.show_description = mdma_show_description,
};

static struct class *mdma_class;
static struct device mdma_parent_dev;
static struct mdev_parent mdma_parent;

static void mdma_parent_release(struct device *dev)
{
	/* static, nothing to free */
}

static int __init mdma_init(void)
{
	int ret;

	ret = mdev_register_driver(&mdma_driver);
	if (ret)
		return ret;

	mdma_class = class_create(THIS_MODULE, MDMA_NAME);
	if (IS_ERR(mdma_class)) {
		ret = PTR_ERR(mdma_class);
		goto err_driver;
	}
	mdma_parent_dev.class = mdma_class;
	mdma_parent_dev.release = mdma_parent_release;
	dev_set_name(&mdma_parent_dev, "%s", MDMA_NAME);
	ret = device_register(&mdma_parent_dev);
	if (ret)
		goto err_put_dev;

	ret = mdev_register_parent(&mdma_parent, &mdma_parent_dev,
				   &mdma_driver, mdma_types,
				   ARRAY_SIZE(mdma_types));
	if (ret)
		goto err_unregister_dev;
	return 0;

err_unregister_dev:
	device_unregister(&mdma_parent_dev);
	goto err_class;
err_put_dev:
	put_device(&mdma_parent_dev);
err_class:
	class_destroy(mdma_class);
err_driver:
	mdev_unregister_driver(&mdma_driver);
	return ret;
}

static void __exit mdma_exit(void)
{
	mdev_unregister_parent(&mdma_parent);
	device_unregister(&mdma_parent_dev);
	class_destroy(mdma_class);
	mdev_unregister_driver(&mdma_driver);
}

module_init(mdma_init);
module_exit(mdma_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Sample mediated device doing DMA through VFIO");
