// SPDX-License-Identifier: GPL-2.0-only
/*
 * The VFIO compatibility layer: which IOAS of a context stands in for a
 * legacy VFIO container (IOMMU_VFIO_IOAS), and the VFIO type1 container
 * ioctls on a /dev/iommu file, acting on that IOAS.
 *
 * Type1 emulation: a program written for VFIO's type1 container
 * (VFIO_GET_API_VERSION, VFIO_CHECK_EXTENSION, VFIO_SET_IOMMU,
 * VFIO_IOMMU_GET_INFO, VFIO_IOMMU_MAP_DMA, VFIO_IOMMU_UNMAP_DMA) can issue
 * them on a /dev/iommu file descriptor. They act on the compat IOAS, which
 * exists once a VFIO group joined the context as its container (or
 * userspace named one with IOMMU_VFIO_IOAS_SET); before that, as type1
 * without a group, VFIO_SET_IOMMU and the IOMMU ioctls fail with ENODEV.
 * Mappings are ordinary areas of that IOAS, pinned like IOMMU_IOAS_MAP.
 *
 * Charging: while the context holds a device (a bound device, an
 * emulated device's access, or a VFIO group that made the context its
 * container), mappings are charged as type1 charges them,
 * to the calling process's locked_vm (VmLck) against its RLIMIT_MEMLOCK,
 * whatever IOMMU_OPTION_RLIMIT_MODE says: VMM managers size that limit
 * per VMM process. Without a device they are charged like IOMMU_IOAS_MAP
 * (by default to the user): per-process charging without a device to
 * own would let any user pin unbounded memory from forked children.
 *
 * VFIO_SET_IOMMU(VFIO_TYPE1_IOMMU), the v1 API, turns the IOAS's huge
 * pages off, and an unmap may then take part of a mapping (the areas are
 * cut at the ends of the range), as v1 allowed; with v2 such an unmap
 * fails with EINVAL. Dirty tracking and VFIO_UPDATE_VADDR are not
 * offered.
 *
 * A context has at most one such "compat IOAS", remembered in
 * ictx->vfio_ioas. Userspace picks it with IOMMU_VFIO_IOAS_SET, reads it
 * with IOMMU_VFIO_IOAS_GET (ENODEV while none is set; GET never creates
 * one) and forgets it with IOMMU_VFIO_IOAS_CLEAR.
 *
 * The pointer holds no reference, so the compat IOAS can still be
 * destroyed like any other; the object table clears the pointer when the
 * IOAS leaves it (main.c). Whoever wants to use the compat IOAS takes a
 * reference with iommufd_vfio_compat_ioas_get().
 *
 * Locking: ictx->vfio_ioas is read and written under the xa_lock of
 * ictx->objects, the same lock under which objects leave the table.
 */
#include <linux/iommu.h>
#include <linux/iommufd.h>
#include <linux/kernel.h>
#include <linux/mutex.h>
#include <linux/overflow.h>
#include <linux/refcount.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <uapi/linux/iommufd.h>
#include <uapi/linux/vfio.h>

#include "iommufd_private.h"

/**
 * iommufd_vfio_compat_ioas_get() - reference the compat IOAS
 * @ictx: the context
 *
 * Return: the compat IOAS with a reference held, to be dropped with
 * iommufd_ioas_put(), or ERR_PTR(-ENODEV) when none is set.
 */
struct iommufd_ioas *iommufd_vfio_compat_ioas_get(struct iommufd_ctx *ictx)
{
	struct iommufd_ioas *ioas;

	xa_lock(&ictx->objects);
	ioas = ictx->vfio_ioas;
	/* A set pointer names a live object: the table clears it first. */
	if (!ioas || !refcount_inc_not_zero(&ioas->obj.users))
		ioas = ERR_PTR(-ENODEV);
	xa_unlock(&ictx->objects);
	return ioas;
}

static void iommufd_vfio_compat_ioas_set(struct iommufd_ctx *ictx,
					 struct iommufd_ioas *ioas)
{
	xa_lock(&ictx->objects);
	ictx->vfio_ioas = ioas;
	xa_unlock(&ictx->objects);
}

/**
 * iommufd_vfio_ioas_ioctl() - handler of IOMMU_VFIO_IOAS
 * @ucmd: the call; ucmd->cmd is a struct iommu_vfio_ioas
 *
 * Return: 0; -EOPNOTSUPP for an unknown op or a non-zero __reserved;
 * -ENODEV for GET with no compat IOAS; -ENOENT for SET with an ID that
 * names no IOAS; -EFAULT when the GET reply cannot be written.
 */
int iommufd_vfio_ioas_ioctl(struct iommufd_ucmd *ucmd)
{
	struct iommu_vfio_ioas *cmd = ucmd->cmd;
	struct iommufd_ctx *ictx = ucmd->ictx;
	struct iommufd_ioas *ioas;

	if (cmd->__reserved)
		return -EOPNOTSUPP;

	switch (cmd->op) {
	case IOMMU_VFIO_IOAS_GET:
		ioas = iommufd_vfio_compat_ioas_get(ictx);
		if (IS_ERR(ioas))
			return PTR_ERR(ioas);
		cmd->ioas_id = ioas->obj.id;
		iommufd_ioas_put(ioas);
		return iommufd_ucmd_respond(ucmd);
	case IOMMU_VFIO_IOAS_SET:
		ioas = iommufd_ioas_get(ictx, cmd->ioas_id);
		if (IS_ERR(ioas))
			return PTR_ERR(ioas);
		/* Our reference keeps it in the table until the pointer is set. */
		iommufd_vfio_compat_ioas_set(ictx, ioas);
		iommufd_ioas_put(ioas);
		return 0;
	case IOMMU_VFIO_IOAS_CLEAR:
		iommufd_vfio_compat_ioas_set(ictx, NULL);
		return 0;
	default:
		return -EOPNOTSUPP;
	}
}

/* Get the compat IOAS with a reference, creating it if there is none */
static struct iommufd_ioas *
iommufd_vfio_compat_ioas_ensure(struct iommufd_ctx *ictx)
{
	struct iommufd_ioas *ioas;

	ioas = iommufd_vfio_compat_ioas_get(ictx);
	if (!IS_ERR(ioas))
		return ioas;

	ioas = iommufd_ioas_create(ictx);
	if (IS_ERR(ioas))
		return ioas;
	/* Held so that nobody destroys it before the pointer is set */
	refcount_inc(&ioas->obj.users);
	iommufd_obj_publish(ictx, &ioas->obj);
	xa_lock(&ictx->objects);
	/* A racing creator may have won; ours then stays a plain IOAS. */
	if (!ictx->vfio_ioas)
		ictx->vfio_ioas = ioas;
	xa_unlock(&ictx->objects);
	return ioas;
}

/**
 * iommufd_vfio_compat_ioas_id() - the ID of the compat IOAS, made if needed
 * @ictx: the context
 * @ioas_id: receives the ID
 *
 * For VFIO, whose legacy group path attaches devices to the compat IOAS
 * when a group's container is an iommufd.
 *
 * Return: 0 or -ENOMEM.
 */
int iommufd_vfio_compat_ioas_id(struct iommufd_ctx *ictx, u32 *ioas_id)
{
	struct iommufd_ioas *ioas;

	ioas = iommufd_vfio_compat_ioas_ensure(ictx);
	if (IS_ERR(ioas))
		return PTR_ERR(ioas);
	*ioas_id = ioas->obj.id;
	iommufd_ioas_put(ioas);
	return 0;
}
EXPORT_SYMBOL_NS_GPL(iommufd_vfio_compat_ioas_id, IOMMUFD);

/**
 * iommufd_vfio_compat_group_join() - a VFIO group made the context its
 *                                    container
 * @ictx: the context
 *
 * A group whose container is the context holds the group's DMA ownership
 * for it, so the context holds a device: the type1 ioctls charge per
 * process from now on, as type1 does, even before any device of the group
 * is opened (VMMs map their RAM first). Undone by
 * iommufd_vfio_compat_group_leave().
 */
void iommufd_vfio_compat_group_join(struct iommufd_ctx *ictx)
{
	atomic_inc(&ictx->nr_devices);
}
EXPORT_SYMBOL_NS_GPL(iommufd_vfio_compat_group_join, IOMMUFD);

/**
 * iommufd_vfio_compat_group_leave() - a VFIO group left the context
 * @ictx: the context, which the group joined
 */
void iommufd_vfio_compat_group_leave(struct iommufd_ctx *ictx)
{
	atomic_dec(&ictx->nr_devices);
}
EXPORT_SYMBOL_NS_GPL(iommufd_vfio_compat_group_leave, IOMMUFD);

/*
 * VFIO_SET_IOMMU: type1 refuses it while the container has no group; ours
 * needs the compat IOAS, which a group joining the context creates. The
 * v1 API may unmap part of a mapping, which only works when the IOMMU
 * page tables use PAGE_SIZE entries, so it turns huge pages off.
 */
static int iommufd_vfio_set_iommu(struct iommufd_ctx *ictx, unsigned long type)
{
	struct iommufd_ioas *ioas;
	int rc = 0;

	if (type != VFIO_TYPE1_IOMMU && type != VFIO_TYPE1v2_IOMMU)
		return -EINVAL;

	ioas = iommufd_vfio_compat_ioas_get(ictx);
	if (IS_ERR(ioas))
		return PTR_ERR(ioas);
	if (type == VFIO_TYPE1_IOMMU)
		rc = iopt_set_huge_pages(&ioas->iopt, false);
	iommufd_ioas_put(ioas);
	return rc;
}

/*
 * VFIO_DMA_CC_IOMMU: DMA is cache coherent only when every hardware page
 * table of the compat IOAS forces no-snoop requests to snoop.
 */
static int iommufd_vfio_cc_iommu(struct iommufd_ctx *ictx)
{
	struct iommufd_hwpt_paging *hwpt;
	struct iommufd_ioas *ioas;
	int rc = 1;

	ioas = iommufd_vfio_compat_ioas_get(ictx);
	if (IS_ERR(ioas))
		return PTR_ERR(ioas);
	mutex_lock(&ioas->mutex);
	list_for_each_entry(hwpt, &ioas->hwpt_list, hwpt_item) {
		if (!hwpt->enforce_cache_coherency) {
			rc = 0;
			break;
		}
	}
	mutex_unlock(&ioas->mutex);
	iommufd_ioas_put(ioas);
	return rc;
}

static int iommufd_vfio_check_extension(struct iommufd_ctx *ictx,
					unsigned long type)
{
	switch (type) {
	case VFIO_TYPE1_IOMMU:
	case VFIO_TYPE1v2_IOMMU:
	case VFIO_UNMAP_ALL:
		return 1;
	case VFIO_DMA_CC_IOMMU:
		return iommufd_vfio_cc_iommu(ictx);
	default:
		return 0;
	}
}

/* What a type1 mapping is charged to; see the file comment. */
static enum iommufd_charge_mode iommufd_vfio_charge(struct iommufd_ctx *ictx)
{
	if (atomic_read(&ictx->nr_devices))
		return IOMMUFD_CHARGE_MM_LOCKED;
	return ictx->charge_mode;
}

static int iommufd_vfio_map_dma(struct iommufd_ctx *ictx,
				struct vfio_iommu_type1_dma_map __user *arg)
{
	u32 supported = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE;
	size_t minsz = offsetofend(struct vfio_iommu_type1_dma_map, size);
	struct vfio_iommu_type1_dma_map map;
	struct iommufd_ioas *ioas;
	unsigned long iova;
	int prot = IOMMU_CACHE;
	u64 end;
	int rc;

	if (copy_from_user(&map, arg, minsz))
		return -EFAULT;
	if (map.argsz < minsz || (map.flags & ~supported) || !map.size)
		return -EINVAL;
	if (map.flags & VFIO_DMA_MAP_FLAG_READ)
		prot |= IOMMU_READ;
	if (map.flags & VFIO_DMA_MAP_FLAG_WRITE)
		prot |= IOMMU_WRITE;
	if (check_add_overflow(map.iova, map.size - 1, &end) ||
	    check_add_overflow(map.vaddr, map.size - 1, &end) ||
	    map.iova > ULONG_MAX || map.size > ULONG_MAX ||
	    map.vaddr > ULONG_MAX - map.size)
		return -EINVAL;

	ioas = iommufd_vfio_compat_ioas_get(ictx);
	if (IS_ERR(ioas))
		return PTR_ERR(ioas);
	iova = map.iova;
	rc = iopt_map_user_pages(&ioas->iopt, &iova, map.vaddr, map.size, prot,
				 true, iommufd_vfio_charge(ictx));
	iommufd_ioas_put(ioas);
	return rc;
}

static int iommufd_vfio_unmap_dma(struct iommufd_ctx *ictx,
				  struct vfio_iommu_type1_dma_unmap __user *arg)
{
	size_t minsz = offsetofend(struct vfio_iommu_type1_dma_unmap, size);
	struct vfio_iommu_type1_dma_unmap unmap;
	unsigned long unmapped = 0;
	struct iommufd_ioas *ioas;
	u64 last;
	int rc;

	if (copy_from_user(&unmap, arg, minsz))
		return -EFAULT;
	if (unmap.argsz < minsz || (unmap.flags & ~VFIO_DMA_UNMAP_FLAG_ALL))
		return -EINVAL;
	if (unmap.flags & VFIO_DMA_UNMAP_FLAG_ALL) {
		if (unmap.iova || unmap.size)
			return -EINVAL;
	} else if (!unmap.size ||
		   check_add_overflow(unmap.iova, unmap.size - 1, &last) ||
		   last > ULONG_MAX) {
		return -EINVAL;
	}

	ioas = iommufd_vfio_compat_ioas_get(ictx);
	if (IS_ERR(ioas))
		return PTR_ERR(ioas);
	if (unmap.flags & VFIO_DMA_UNMAP_FLAG_ALL) {
		rc = iopt_unmap_all(&ioas->iopt, &unmapped);
	} else {
		/*
		 * type1 v1 (huge pages off) may unmap part of a mapping: cut
		 * the areas at both ends of the range first.
		 */
		if (!iopt_huge_pages_enabled(&ioas->iopt)) {
			unsigned long cuts[] = { last, unmap.iova - 1 };

			rc = iopt_cut_iova(&ioas->iopt, cuts,
					   unmap.iova ? 2 : 1);
			if (rc)
				goto out_put;
		}
		rc = iopt_unmap_iova(&ioas->iopt, unmap.iova, last, &unmapped);
		/*
		 * type1 answers an empty range with success and size 0, and a
		 * range that cuts a mapping with EINVAL.
		 */
		if (rc == -ENOENT) {
			if (iopt_area_in_range(&ioas->iopt, unmap.iova, last))
				rc = -EINVAL;
			else
				rc = 0;
		}
	}
out_put:
	iommufd_ioas_put(ioas);
	if (rc)
		return rc;
	unmap.size = unmapped;
	if (copy_to_user(&arg->size, &unmap.size, sizeof(unmap.size)))
		return -EFAULT;
	return 0;
}

/*
 * Build the capability chain of VFIO_IOMMU_GET_INFO in @buf (NULL to only
 * size it), as it sits right after the info struct: the IOVA ranges, then
 * how many more mappings may be made. Offsets are from the start of the
 * info struct. Returns the bytes of the chain.
 */
static size_t iommufd_vfio_build_caps(void *buf, struct iopt_range *ranges,
				      unsigned int count)
{
	struct vfio_iommu_type1_info_cap_iova_range *iova_cap = buf;
	struct vfio_iommu_type1_info_dma_avail *avail;
	size_t iova_size, avail_off;
	unsigned int i;

	iova_size = ALIGN(struct_size(iova_cap, iova_ranges, count), 8);
	avail_off = sizeof(struct vfio_iommu_type1_info) + iova_size;
	if (buf) {
		iova_cap->header.id = VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE;
		iova_cap->header.version = 1;
		iova_cap->header.next = avail_off;
		iova_cap->nr_iovas = count;
		for (i = 0; i < count; i++) {
			iova_cap->iova_ranges[i].start = ranges[i].start;
			iova_cap->iova_ranges[i].end = ranges[i].last;
		}
		avail = buf + iova_size;
		avail->header.id = VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL;
		avail->header.version = 1;
		avail->header.next = 0;
		/* Mappings are not limited in number: report type1's most. */
		avail->avail = U16_MAX;
	}
	return iova_size + ALIGN(sizeof(*avail), 8);
}

/*
 * VFIO_IOMMU_GET_INFO, as type1 answers it: the flags always announce the
 * page sizes and a capability chain; the chain is written after the
 * struct only when the caller's argsz holds all of it (cap_offset then
 * points at it, else it is 0), and argsz comes back as the size needed.
 * Exactly min(argsz, sizeof(info)) bytes of the struct are written, from
 * a zeroed copy.
 */
static int iommufd_vfio_iommu_get_info(struct iommufd_ctx *ictx,
				       struct vfio_iommu_type1_info __user *arg)
{
	size_t minsz = offsetofend(struct vfio_iommu_type1_info, iova_pgsizes);
	struct vfio_iommu_type1_info info = {};
	struct iopt_range *ranges;
	unsigned long alignment;
	struct iommufd_ioas *ioas;
	unsigned int count;
	size_t caps_size;
	void *caps;
	u32 argsz;
	int rc;

	if (copy_from_user(&info, arg, minsz))
		return -EFAULT;
	if (info.argsz < minsz)
		return -EINVAL;
	argsz = info.argsz;

	ioas = iommufd_vfio_compat_ioas_get(ictx);
	if (IS_ERR(ioas))
		return PTR_ERR(ioas);
	rc = iopt_get_usable_ranges(&ioas->iopt, &ranges, &count, &alignment);
	iommufd_ioas_put(ioas);
	if (rc)
		return rc;

	caps_size = iommufd_vfio_build_caps(NULL, ranges, count);
	info.flags = VFIO_IOMMU_INFO_PGSIZES | VFIO_IOMMU_INFO_CAPS;
	/*
	 * Every power of two from the IOAS's granule up can be mapped; type1
	 * users work in CPU pages, so a smaller granule (none attached, or
	 * a smaller IOMMU page) is reported as PAGE_SIZE, as type1 does.
	 */
	alignment = max_t(unsigned long, alignment, PAGE_SIZE);
	info.iova_pgsizes = ~((u64)alignment - 1);
	info.argsz = sizeof(info) + caps_size;
	info.cap_offset = 0;
	if (argsz >= info.argsz) {
		caps = kzalloc(caps_size, GFP_KERNEL_ACCOUNT);
		if (!caps) {
			rc = -ENOMEM;
			goto out_free;
		}
		iommufd_vfio_build_caps(caps, ranges, count);
		if (copy_to_user((void __user *)arg + sizeof(info), caps,
				 caps_size))
			rc = -EFAULT;
		kfree(caps);
		if (rc)
			goto out_free;
		info.cap_offset = sizeof(info);
	}
	if (copy_to_user(arg, &info, min_t(size_t, argsz, sizeof(info))))
		rc = -EFAULT;
out_free:
	kvfree(ranges);
	return rc;
}

/**
 * iommufd_vfio_ioctl() - the VFIO type1 container ioctls on /dev/iommu
 * @ictx: the context
 * @cmd: the ioctl number, of VFIO's type
 * @arg: its argument
 *
 * Return: as VFIO's type1 container would, or -ENOTTY for an ioctl that
 * is not emulated.
 */
long iommufd_vfio_ioctl(struct iommufd_ctx *ictx, unsigned int cmd,
			unsigned long arg)
{
	void __user *uarg = (void __user *)arg;

	switch (cmd) {
	case VFIO_GET_API_VERSION:
		return VFIO_API_VERSION;
	case VFIO_CHECK_EXTENSION:
		return iommufd_vfio_check_extension(ictx, arg);
	case VFIO_SET_IOMMU:
		return iommufd_vfio_set_iommu(ictx, arg);
	case VFIO_IOMMU_GET_INFO:
		return iommufd_vfio_iommu_get_info(ictx, uarg);
	case VFIO_IOMMU_MAP_DMA:
		return iommufd_vfio_map_dma(ictx, uarg);
	case VFIO_IOMMU_UNMAP_DMA:
		return iommufd_vfio_unmap_dma(ictx, uarg);
	default:
		return -ENOTTY;
	}
}
