// SPDX-License-Identifier: GPL-2.0-only
/*
 * Devices bound to a context by their driver, and their attachment to
 * hardware page tables.
 *
 * Security model: a driver (VFIO, vDPA) binds a device only to a context
 * that userspace handed it as a file descriptor; the device never reaches
 * a context by any other link. Binding claims DMA ownership of the device
 * for the context (iommu_device_claim_dma_owner()), which the iommu core
 * refuses while a kernel driver uses the DMA API on any device of the
 * same iommu_group or another owner holds the group: a group is isolated
 * only as a whole, so it is usable only when every device in it is bound
 * to this context or has no DMA-capable driver. Until the device is
 * attached, the group sits on the core's blocking domain. Binding also
 * requires MSI isolation (interrupt remapping), unless the administrator
 * set iommufd.allow_unsafe_interrupts: without it a device could forge
 * interrupts of other devices by DMA.
 *
 * Attaching: the IOMMU translates a whole iommu_group through one domain,
 * so the devices of a group that are attached (all in this context, by
 * the ownership rule) share one HWPT, recorded in their struct
 * iommufd_group. Attaching the first device of a group installs the
 * HWPT's domain for the group; attaching further devices of the group to
 * the same HWPT only counts them, and to another HWPT fails. Replacing
 * moves the whole group to the new domain with iommu_group_replace_domain(),
 * which does not go through the blocking domain. The driver's own
 * attach_dev may still drop the old context before writing the new one
 * (6.1's VT-d does), so DMA may briefly fault during a replace.
 *
 * While a group is attached, the reserved regions of all of its devices
 * (MSI windows, firmware direct mappings), attached or merely bound,
 * are reserved in the IOAS of its HWPT, owned by the iommufd_group, so
 * nothing can be mapped over them; a group whose regions collide with
 * existing mappings cannot attach. A HWPT of a different IOMMU driver
 * than the device's is refused.
 *
 * PASIDs: a PASID-capable device's requests tagged with a PASID are
 * attached, replaced and detached through the same functions, with the
 * PASID as argument (IOMMU_NO_PASID for the RID). The context keeps, per
 * group and per PASID, the HWPT and the devices using it (struct
 * iommufd_attach); the RID's domain is installed for the whole group, a
 * PASID's for each device (iommu_attach_device_pasid()). Only HWPTs
 * allocated with IOMMU_HWPT_ALLOC_PASID serve PASIDs, and the RID must be
 * on one too while PASIDs are attached. PASIDs reserve nothing in the
 * IOAS.
 *
 * Attaching to an IOAS rather than a HWPT picks an automatic HWPT of that
 * IOAS the device can use, or creates one, under the IOAS mutex. The
 * device holds a reference on its HWPT; an automatic HWPT is destroyed
 * when the last device holding it detaches, or, should a lookup by ID
 * hold it at that very moment, when that lookup lets go of it
 * (iommufd_obj_put_lookup()).
 *
 * Locking: ictx->groups_lock protects the context's group table and
 * iommufd_group lifetimes. igroup->lock protects the group's attachments
 * and is held across the attach or replace in the iommu core. Order:
 * IOAS mutex -> igroup->lock -> iopt lock / iommu_group mutex; groups_lock
 * is never held around another lock of ours. A HWPT
 * reference that may be the last one of an automatic HWPT is dropped
 * only after every lock is released, since destroying the HWPT takes the
 * IOAS mutex.
 */
#include <linux/device.h>
#include <linux/iommu.h>
#include <linux/iommufd.h>
#include <linux/irqdomain.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/pci.h>
#include <linux/pci-ats.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <uapi/linux/iommufd.h>

#include "iommufd_private.h"

static bool allow_unsafe_interrupts;
module_param(allow_unsafe_interrupts, bool, 0644);
MODULE_PARM_DESC(allow_unsafe_interrupts,
		 "Allow binding devices whose IOMMU cannot isolate MSIs (no interrupt remapping). A device given to userspace could then raise other devices' interrupts. Off by default.");

/* Find or create the context's struct iommufd_group for @dev. */
static struct iommufd_group *iommufd_group_get(struct iommufd_ctx *ictx,
					       struct device *dev)
{
	struct iommufd_group *igroup;
	struct iommu_group *group;
	int rc;

	group = iommu_group_get(dev);
	if (!group)
		return ERR_PTR(-ENODEV);

	mutex_lock(&ictx->groups_lock);
	igroup = xa_load(&ictx->groups, iommu_group_id(group));
	if (igroup) {
		kref_get(&igroup->ref);
		mutex_unlock(&ictx->groups_lock);
		iommu_group_put(group);
		return igroup;
	}

	igroup = kzalloc(sizeof(*igroup), GFP_KERNEL_ACCOUNT);
	if (!igroup) {
		rc = -ENOMEM;
		goto err_unlock;
	}
	kref_init(&igroup->ref);
	mutex_init(&igroup->lock);
	igroup->sw_msi_start = PHYS_ADDR_MAX;
	xa_init(&igroup->attach);
	igroup->ictx = ictx;
	igroup->group = group;
	rc = xa_insert(&ictx->groups, iommu_group_id(group), igroup,
		       GFP_KERNEL_ACCOUNT);
	if (rc)
		goto err_free;
	mutex_unlock(&ictx->groups_lock);
	return igroup;

err_free:
	mutex_destroy(&igroup->lock);
	kfree(igroup);
err_unlock:
	mutex_unlock(&ictx->groups_lock);
	iommu_group_put(group);
	return ERR_PTR(rc);
}

/* Called by kref_put_mutex() with ictx->groups_lock held; releases it. */
static void iommufd_group_release(struct kref *kref)
{
	struct iommufd_group *igroup =
		container_of(kref, struct iommufd_group, ref);
	struct iommufd_ctx *ictx = igroup->ictx;

	xa_erase(&ictx->groups, iommu_group_id(igroup->group));
	mutex_unlock(&ictx->groups_lock);

	WARN_ON(!xa_empty(&igroup->attach));
	xa_destroy(&igroup->attach);
	iommu_group_put(igroup->group);
	mutex_destroy(&igroup->lock);
	kfree(igroup);
}

static void iommufd_group_put(struct iommufd_group *igroup)
{
	kref_put_mutex(&igroup->ref, iommufd_group_release,
		       &igroup->ictx->groups_lock);
}

/*
 * Count a device whose DMA ownership the context now holds, or no longer
 * holds. The count rises only after the claim succeeded and falls before
 * the ownership is released, so iommufd_ctx_has_group() never answers yes
 * for a group the context does not own, not even for an instant.
 */
static void iommufd_group_add_owner(struct iommufd_group *igroup, int delta)
{
	mutex_lock(&igroup->ictx->groups_lock);
	igroup->owners += delta;
	mutex_unlock(&igroup->ictx->groups_lock);
}

static void iommufd_device_destroy(struct iommufd_object *obj)
{
	struct iommufd_device *idev =
		container_of(obj, struct iommufd_device, obj);

	atomic_dec(&idev->ictx->nr_devices);
	iommufd_group_add_owner(idev->igroup, -1);
	iommu_device_release_dma_owner(idev->dev);
	iommufd_group_put(idev->igroup);
	mutex_destroy(&idev->vdev_lock);
}

/*
 * fdinfo: the device, its iommu_group, the HWPT its RID is attached to
 * (0 for none) and its attached PASIDs as PASID:HWPT pairs.
 */
static void iommufd_device_show(struct seq_file *m, struct iommufd_ctx *ictx,
				struct iommufd_object *obj)
{
	struct iommufd_device *idev =
		container_of(obj, struct iommufd_device, obj);
	struct iommufd_group *igroup = idev->igroup;
	struct iommufd_attach *attach;
	u32 rid_hwpt = 0;
	unsigned long pasid;
	char sep = '=';

	seq_printf(m, " dev=%s group=%d", dev_name(idev->dev),
		   iommu_group_id(igroup->group));
	mutex_lock(&igroup->lock);
	attach = xa_load(&igroup->attach, IOMMU_NO_PASID);
	if (attach && xa_load(&attach->devices, idev->obj.id))
		rid_hwpt = attach->hwpt->obj.id;
	seq_printf(m, " hwpt=%u pasids", rid_hwpt);
	xa_for_each_start(&igroup->attach, pasid, attach, IOMMU_NO_PASID + 1) {
		if (!xa_load(&attach->devices, idev->obj.id))
			continue;
		seq_printf(m, "%c%lu:%u", sep, pasid, attach->hwpt->obj.id);
		sep = ',';
	}
	mutex_unlock(&igroup->lock);
	if (sep == '=')
		seq_putc(m, '=');
}

const struct iommufd_otype_ops iommufd_device_ops = {
	.destroy = iommufd_device_destroy,
	.name = "device",
	.show = iommufd_device_show,
};

/**
 * iommufd_hwpt_show_devices() - list in fdinfo what is attached to a HWPT
 * @m: the fdinfo file
 * @ictx: the HWPT's context
 * @hwpt: the HWPT
 *
 * Appends " devices=" and the IDs of the devices attached to @hwpt,
 * comma-separated; a device attached by PASID rather than by RID is shown
 * as ID/PASID. Called from a show callback, with the context's
 * teardown_rwsem held for writing: the devices found in the table stay
 * bound meanwhile. It walks the devices, not ictx->groups, so that
 * groups_lock (which VFIO takes under pci_bus_sem) is not held around a
 * group's lock.
 */
void iommufd_hwpt_show_devices(struct seq_file *m, struct iommufd_ctx *ictx,
			       struct iommufd_hwpt *hwpt)
{
	struct iommufd_attach *attach;
	struct iommufd_object *obj;
	struct iommufd_device *idev;
	unsigned long index = 0;
	unsigned long pasid;
	char sep = '=';

	seq_puts(m, " devices");
	while ((obj = xa_find(&ictx->objects, &index, ULONG_MAX,
			      IOMMUFD_MARK_DEVICE))) {
		idev = container_of(obj, struct iommufd_device, obj);
		mutex_lock(&idev->igroup->lock);
		xa_for_each(&idev->igroup->attach, pasid, attach) {
			if (attach->hwpt != hwpt ||
			    !xa_load(&attach->devices, idev->obj.id))
				continue;
			seq_printf(m, "%c%u", sep, idev->obj.id);
			if (pasid != IOMMU_NO_PASID)
				seq_printf(m, "/%lu", pasid);
			sep = ',';
		}
		mutex_unlock(&idev->igroup->lock);
		index++;
	}
	if (sep == '=')
		seq_putc(m, '=');
}

/**
 * iommufd_device_bind_internal() - bind a device, choosing whether the
 *                                  binding keeps the context alive
 * @ictx: the context
 * @dev: the device
 * @id: receives the device object's ID
 * @hold_ctx: take a reference on the context's file. Drivers always do;
 *            only the selftest's mock devices, which are themselves
 *            objects of the context, must not, or the context could
 *            never be released.
 *
 * Return: see iommufd_device_bind().
 */
struct iommufd_device *iommufd_device_bind_internal(struct iommufd_ctx *ictx,
						    struct device *dev,
						    u32 *id, bool hold_ctx)
{
	struct iommufd_group *igroup;
	struct iommufd_device *idev;
	int rc;

	/* Mappings are made with IOMMU_CACHE; userspace cannot flush. */
	if (!device_iommu_capable(dev, IOMMU_CAP_CACHE_COHERENCY))
		return ERR_PTR(-EINVAL);

	if (!allow_unsafe_interrupts &&
	    !device_iommu_capable(dev, IOMMU_CAP_INTR_REMAP) &&
	    !irq_domain_check_msi_remap()) {
		dev_warn(dev,
			 "MSIs are not isolated on this platform; not binding to iommufd (module parameter iommufd.allow_unsafe_interrupts overrides)\n");
		return ERR_PTR(-EPERM);
	}

	igroup = iommufd_group_get(ictx, dev);
	if (IS_ERR(igroup))
		return ERR_CAST(igroup);

	rc = iommu_device_claim_dma_owner(dev, ictx);
	if (rc)
		goto err_put_group;

	idev = iommufd_obj_new(ictx, struct iommufd_device,
			       IOMMUFD_OTYPE_DEVICE);
	if (IS_ERR(idev)) {
		rc = PTR_ERR(idev);
		goto err_release_owner;
	}
	idev->ictx = ictx;
	idev->igroup = igroup;
	idev->dev = dev;
	idev->holds_ctx = hold_ctx;
	mutex_init(&idev->vdev_lock);
	if (hold_ctx)
		get_file(ictx->file);

	/* The driver's reference, given back by iommufd_device_unbind() */
	refcount_inc(&idev->obj.users);
	*id = idev->obj.id;
	iommufd_group_add_owner(igroup, 1);
	atomic_inc(&ictx->nr_devices);
	iommufd_obj_publish(ictx, &idev->obj);
	return idev;

err_release_owner:
	iommu_device_release_dma_owner(dev);
err_put_group:
	iommufd_group_put(igroup);
	return ERR_PTR(rc);
}

/**
 * iommufd_device_bind() - bind a device to a context for userspace DMA
 * @ictx: a context obtained from a file descriptor the user passed in
 * @dev: the device; the caller keeps it alive until it unbinds
 * @id: receives the ID userspace uses for the device
 *
 * Claims DMA ownership of @dev for @ictx: from now on the device reaches
 * no memory until it is attached to a HWPT, and no kernel driver may use
 * the DMA API on its iommu_group. The binding holds a reference on the
 * context until iommufd_device_unbind().
 *
 * Return: the device object; ERR_PTR(-EINVAL) when @dev has no IOMMU or
 * its IOMMU cannot enforce cache-coherent DMA; ERR_PTR(-EPERM) when MSIs cannot
 * be isolated (see the module parameter allow_unsafe_interrupts) or the
 * iommu_group is in use by a kernel driver or bound to another context;
 * ERR_PTR(-ENOMEM).
 */
struct iommufd_device *iommufd_device_bind(struct iommufd_ctx *ictx,
					   struct device *dev, u32 *id)
{
	return iommufd_device_bind_internal(ictx, dev, id, true);
}
EXPORT_SYMBOL_NS_GPL(iommufd_device_bind, IOMMUFD);

/* Drop a device's reference on its former HWPT, with no lock held. */
static void iommufd_hwpt_put_attached(struct iommufd_ctx *ictx,
				      struct iommufd_hwpt *hwpt)
{
	if (hwpt->obj.type == IOMMUFD_OTYPE_HWPT_PAGING &&
	    container_of(hwpt, struct iommufd_hwpt_paging, common)->auto_domain)
		iommufd_obj_put_destroy_unused(ictx, &hwpt->obj);
	else
		iommufd_obj_put(&hwpt->obj);
}

/*
 * Set up the software MSI window of @igroup in @hwpt's domain, once per
 * domain, and keep the window reserved in the IOAS for as long as the
 * domain exists: the doorbell mapping stays in the domain after the
 * group leaves.
 */
static int iommufd_hwpt_setup_msi(struct iommufd_hwpt_paging *hwpt,
				  struct iommufd_group *igroup)
{
	int rc = 0;

	if (igroup->sw_msi_start == PHYS_ADDR_MAX)
		return 0;

	mutex_lock(&hwpt->msi_lock);
	if (!hwpt->msi_cookie) {
		rc = iopt_reserve_iova(&hwpt->ioas->iopt, igroup->sw_msi_start,
				       igroup->sw_msi_start +
					       igroup->sw_msi_length - 1,
				       hwpt);
		if (!rc) {
			rc = iommu_get_msi_cookie(hwpt->common.domain,
						  igroup->sw_msi_start);
			if (rc)
				iopt_remove_reserved_iova(&hwpt->ioas->iopt,
							  hwpt);
		}
		hwpt->msi_cookie = !rc;
	}
	mutex_unlock(&hwpt->msi_lock);
	return rc;
}

/* Reserve @igroup's regions in @iopt, owned by @igroup. */
static int iommufd_group_reserve(struct iommufd_group *igroup,
				 struct io_pagetable *iopt)
{
	struct iommu_resv_region sw_msi;
	int rc;

	rc = iopt_reserve_group_regions(iopt, igroup->group, igroup, &sw_msi);
	if (rc)
		return rc;
	/* A property of the group: the same on every call. */
	igroup->sw_msi_start = sw_msi.start;
	igroup->sw_msi_length = sw_msi.length;
	return 0;
}

/* Is @idev attached through @pasid? Under igroup->lock. */
static struct iommufd_attach *iommufd_attach_of(struct iommufd_device *idev,
						ioasid_t pasid)
{
	struct iommufd_attach *attach = xa_load(&idev->igroup->attach, pasid);

	if (attach && xa_load(&attach->devices, idev->obj.id))
		return attach;
	return NULL;
}

/*
 * May @hwpt serve @pasid of @idev? A PASID needs a HWPT allocated for
 * PASIDs. The RID and the PASIDs of a group must
 * agree: an IOMMU driver may only be able to run PASIDs beside a RID
 * domain that was made for it, so while any PASID is attached the RID
 * takes only PASID-capable HWPTs, and a RID on another HWPT keeps PASIDs
 * out. Under igroup->lock.
 */
static int iommufd_hwpt_pasid_check(struct iommufd_device *idev,
				    struct iommufd_hwpt *hwpt, ioasid_t pasid)
{
	struct iommufd_group *igroup = idev->igroup;
	unsigned long index = IOMMU_NO_PASID;
	struct iommufd_attach *rid;

	if (pasid == IOMMU_NO_PASID) {
		if (!hwpt->pasid_compat &&
		    xa_find_after(&igroup->attach, &index, ULONG_MAX,
				  XA_PRESENT))
			return -EINVAL;
		return 0;
	}
	/* The PASID's width was checked by iommufd_device_change_pt(). */
	if (!hwpt->pasid_compat)
		return -EINVAL;
	rid = xa_load(&igroup->attach, IOMMU_NO_PASID);
	if (rid && !rid->hwpt->pasid_compat)
		return -EINVAL;
	return 0;
}

/*
 * Point @pasid of the devices in @attach at @hwpt's domain, one device
 * after the other; on failure those already moved go back to @old's
 * domain, which they had.
 */
static int iommufd_pasid_replace_all(struct iommufd_attach *attach,
				     ioasid_t pasid, struct iommufd_hwpt *hwpt,
				     struct iommufd_hwpt *old)
{
	struct iommufd_device *cur, *undo;
	unsigned long index, undo_index;
	int rc;

	xa_for_each(&attach->devices, index, cur) {
		rc = iommu_attach_device_pasid(hwpt->domain, cur->dev, pasid);
		if (!rc)
			continue;
		xa_for_each(&attach->devices, undo_index, undo) {
			if (undo == cur)
				break;
			WARN_ON(iommu_attach_device_pasid(old->domain,
							  undo->dev, pasid));
		}
		return rc;
	}
	return 0;
}

/*
 * Install @hwpt for @pasid of @idev's group, in place of @old (NULL for
 * a first attach). The RID is translated for the whole group, with the
 * group's reserved regions kept out of the IOAS; a PASID is installed per
 * device and reserves nothing: MSI doorbells and firmware direct
 * mappings are reached by requests without PASID.
 */
static int iommufd_attach_install(struct iommufd_device *idev, ioasid_t pasid,
				  struct iommufd_attach *attach,
				  struct iommufd_hwpt *hwpt,
				  struct iommufd_hwpt *old)
{
	struct iommufd_group *igroup = idev->igroup;
	struct iommufd_hwpt_paging *paging = iommufd_hwpt_paging_of(hwpt);
	bool new_ioas;
	int rc;

	if (pasid != IOMMU_NO_PASID) {
		if (old)
			return iommufd_pasid_replace_all(attach, pasid, hwpt,
							 old);
		return iommu_attach_device_pasid(hwpt->domain, idev->dev,
						 pasid);
	}

	/* Moving between HWPTs of one IOAS keeps the reservations. */
	new_ioas = !old || iommufd_hwpt_paging_of(old)->ioas != paging->ioas;
	if (new_ioas) {
		rc = iommufd_group_reserve(igroup, &paging->ioas->iopt);
		if (rc)
			return rc;
	}
	rc = iommufd_hwpt_setup_msi(paging, igroup);
	if (!rc)
		rc = iommu_group_replace_domain(igroup->group, hwpt->domain);
	if (rc) {
		if (new_ioas)
			iopt_remove_reserved_iova(&paging->ioas->iopt, igroup);
		return rc;
	}
	if (old && new_ioas)
		iopt_remove_reserved_iova(&iommufd_hwpt_paging_of(old)->ioas->iopt,
					  igroup);
	return 0;
}

/*
 * Attach (@replace false) or move (@replace true) @pasid of @idev to
 * @hwpt. Moving moves every device of the group attached through @pasid.
 * On success the caller must drop *@old_hwpt with
 * iommufd_hwpt_put_attached() once it holds no lock, when it is not NULL.
 */
static int iommufd_device_set_hwpt(struct iommufd_device *idev,
				   ioasid_t pasid, struct iommufd_hwpt *hwpt,
				   bool replace,
				   struct iommufd_hwpt **old_hwpt)
{
	struct iommufd_group *igroup = idev->igroup;
	struct iommufd_attach *attach, *fresh = NULL;
	struct iommufd_device *cur;
	struct iommufd_hwpt *old;
	unsigned long index;
	int rc;

	*old_hwpt = NULL;
	mutex_lock(&igroup->lock);
	if (!iommufd_attach_of(idev, pasid) != !replace) {
		rc = -EINVAL;
		goto out_unlock;
	}
	attach = xa_load(&igroup->attach, pasid);
	old = attach ? attach->hwpt : NULL;
	if (replace && old == hwpt) {
		rc = 0;
		goto out_unlock;
	}
	/* Another device of the group chose this PASID's HWPT already. */
	if (!replace && old && old != hwpt) {
		rc = -EINVAL;
		goto out_unlock;
	}
	/* A domain only works with the IOMMU driver that made it. */
	if (hwpt->iommu_ops != dev_iommu_ops(idev->dev)) {
		rc = -EINVAL;
		goto out_unlock;
	}
	rc = iommufd_hwpt_pasid_check(idev, hwpt, pasid);
	if (rc)
		goto out_unlock;

	if (replace) {
		rc = iommufd_attach_install(idev, pasid, attach, hwpt, old);
		if (rc)
			goto out_unlock;
		/* Every attached device moves its reference to @hwpt. */
		xa_for_each(&attach->devices, index, cur) {
			refcount_inc(&hwpt->obj.users);
			if (cur != idev)
				iommufd_obj_put(&old->obj);
		}
		/* @idev's reference on @old is left to the caller. */
		*old_hwpt = old;
		attach->hwpt = hwpt;
		goto out_unlock;
	}

	if (!attach) {
		fresh = kzalloc(sizeof(*fresh), GFP_KERNEL_ACCOUNT);
		if (!fresh) {
			rc = -ENOMEM;
			goto out_unlock;
		}
		xa_init(&fresh->devices);
		fresh->hwpt = hwpt;
		rc = xa_insert(&igroup->attach, pasid, fresh,
			       GFP_KERNEL_ACCOUNT);
		if (rc)
			goto out_free;
		attach = fresh;
	}
	rc = xa_insert(&attach->devices, idev->obj.id, idev,
		       GFP_KERNEL_ACCOUNT);
	if (rc)
		goto out_erase;
	/* The RID's domain is the group's: only its first device sets it. */
	if (fresh || pasid != IOMMU_NO_PASID) {
		rc = iommufd_attach_install(idev, pasid, attach, hwpt, NULL);
		if (rc) {
			xa_erase(&attach->devices, idev->obj.id);
			goto out_erase;
		}
	}
	refcount_inc(&hwpt->obj.users);
	goto out_unlock;

out_erase:
	if (fresh)
		xa_erase(&igroup->attach, pasid);
out_free:
	kfree(fresh);
out_unlock:
	mutex_unlock(&igroup->lock);
	return rc;
}

/*
 * May @pasid of @idev be attached (or moved, with @replace) to a HWPT
 * other than the one its group has there? Checked before building a new
 * automatic HWPT, so that a call bound to fail does not fill a domain for
 * nothing.
 */
static int iommufd_device_check_new_hwpt(struct iommufd_device *idev,
					 ioasid_t pasid, bool replace)
{
	struct iommufd_group *igroup = idev->igroup;
	int rc = 0;

	mutex_lock(&igroup->lock);
	if (!iommufd_attach_of(idev, pasid) != !replace ||
	    (!replace && xa_load(&igroup->attach, pasid)))
		rc = -EINVAL;
	mutex_unlock(&igroup->lock);
	return rc;
}

/*
 * Attach or move @pasid of @idev to an automatic HWPT of @ioas: the first
 * existing one whose domain accepts it, or a new one. New ones are made
 * PASID-capable for devices that have PASIDs, where the IOMMU driver
 * allows, so that the RID and PASIDs of such a device can share them.
 */
static int iommufd_device_auto_hwpt(struct iommufd_device *idev,
				    ioasid_t pasid, struct iommufd_ioas *ioas,
				    bool replace, u32 *hwpt_id,
				    struct iommufd_hwpt **old_hwpt)
{
	struct iommufd_hwpt_paging *hwpt, *unused;
	u32 flags = 0;
	int rc;

again:
	unused = NULL;
	mutex_lock(&ioas->mutex);
	list_for_each_entry(hwpt, &ioas->hwpt_list, hwpt_item) {
		if (!hwpt->auto_domain ||
		    !iommufd_obj_tryget(&hwpt->common.obj))
			continue;
		rc = iommufd_device_set_hwpt(idev, pasid, &hwpt->common,
					     replace, old_hwpt);
		*hwpt_id = hwpt->common.obj.id;
		/* On success the device holds its own reference. */
		if (rc != -EINVAL) {
			iommufd_obj_put(&hwpt->common.obj);
			goto out_unlock;
		}
		/*
		 * -EINVAL: this domain does not suit the device. If ours is
		 * the last reference but the table's, the HWPT's last device
		 * left while we held it, and nobody else will destroy it:
		 * do so once the mutex (which its destroy takes) is dropped,
		 * then look again.
		 */
		if (!atomic_add_unless(&hwpt->common.obj.users.refs, -1, 2)) {
			unused = hwpt;
			break;
		}
	}
	if (unused) {
		mutex_unlock(&ioas->mutex);
		iommufd_obj_put_destroy_unused(idev->ictx, &unused->common.obj);
		goto again;
	}

	rc = iommufd_device_check_new_hwpt(idev, pasid, replace);
	if (rc)
		goto out_unlock;
	if (idev->dev->iommu->max_pasids &&
	    dev_iommu_ops(idev->dev)->domain_alloc_user)
		flags = IOMMU_HWPT_ALLOC_PASID;
	hwpt = iommufd_hwpt_paging_alloc(idev->ictx, ioas, idev->dev, flags,
					 true, NULL);
	if (IS_ERR(hwpt)) {
		rc = PTR_ERR(hwpt);
		goto out_unlock;
	}
	rc = iommufd_device_set_hwpt(idev, pasid, &hwpt->common, replace,
				     old_hwpt);
	if (rc) {
		iommufd_obj_abort(idev->ictx, &hwpt->common.obj);
		goto out_unlock;
	}
	*hwpt_id = hwpt->common.obj.id;
	iommufd_obj_publish(idev->ictx, &hwpt->common.obj);
out_unlock:
	mutex_unlock(&ioas->mutex);
	return rc;
}

static int iommufd_device_change_pt(struct iommufd_device *idev,
				    ioasid_t pasid, u32 *pt_id, bool replace)
{
	struct iommufd_hwpt *old_hwpt = NULL;
	struct iommufd_object *obj;
	int rc;

	/* Checked first, so that such a call fails the same way for any ID. */
	if (pasid != IOMMU_NO_PASID &&
	    pasid >= idev->dev->iommu->max_pasids)
		return -EINVAL;

	obj = iommufd_obj_get(idev->ictx, *pt_id, IOMMUFD_OTYPE_ANY);
	if (IS_ERR(obj))
		return PTR_ERR(obj);

	switch (obj->type) {
	case IOMMUFD_OTYPE_HWPT_PAGING:
	case IOMMUFD_OTYPE_HWPT_NESTED:
		rc = iommufd_device_set_hwpt(idev, pasid,
					     container_of(obj,
							  struct iommufd_hwpt,
							  obj),
					     replace, &old_hwpt);
		break;
	case IOMMUFD_OTYPE_IOAS:
		rc = iommufd_device_auto_hwpt(idev, pasid,
					      container_of(obj,
							   struct iommufd_ioas,
							   obj),
					      replace, pt_id, &old_hwpt);
		break;
	default:
		rc = -EINVAL;
		break;
	}
	iommufd_obj_put_lookup(idev->ictx, obj);
	if (old_hwpt)
		iommufd_hwpt_put_attached(idev->ictx, old_hwpt);
	return rc;
}

/**
 * iommufd_device_attach() - attach a bound device to a page table
 * @idev: a device from iommufd_device_bind()
 * @pasid: IOMMU_NO_PASID for the device's requests without PASID (its
 *         RID), or a PASID below the device's PASID width for the
 *         requests tagged with it; not attached yet
 * @pt_id: in: the ID of a HWPT, or of an IOAS to pick or create an
 *         automatic HWPT of; out: the ID of the HWPT attached
 *
 * From now on the device's DMA with @pasid is translated by the HWPT. A
 * PASID must be attached to a HWPT allocated with IOMMU_HWPT_ALLOC_PASID
 * (automatic HWPTs of PASID-capable devices are), and while any PASID of
 * the device's group is attached, so must the RID.
 *
 * Return: 0; -ENOENT when @pt_id names no object; -EINVAL when it names
 * neither an IOAS nor a HWPT, when @pasid is already attached or beyond
 * the device's PASID width, when another device of its group is attached
 * through @pasid to a different HWPT, when the HWPT cannot serve PASIDs
 * as said above, or when the IOMMU driver finds the domain incompatible;
 * -EOPNOTSUPP when the IOMMU driver cannot attach domains to PASIDs;
 * -EADDRINUSE when the device's reserved regions collide with existing
 * mappings; -ENOMEM.
 */
int iommufd_device_attach(struct iommufd_device *idev, ioasid_t pasid,
			  u32 *pt_id)
{
	return iommufd_device_change_pt(idev, pasid, pt_id, false);
}
EXPORT_SYMBOL_NS_GPL(iommufd_device_attach, IOMMUFD);

/**
 * iommufd_device_replace() - move an attached device to another page table
 * @idev: a device attached through @pasid
 * @pasid: as for iommufd_device_attach()
 * @pt_id: as for iommufd_device_attach()
 *
 * Every device of the group attached through @pasid moves (for the RID
 * they share one domain anyway), straight from the old domain to the new
 * one. On failure everything stays where it was.
 *
 * Return: as iommufd_device_attach(), with -EINVAL also when @pasid of
 * @idev is not attached. Replacing with the current HWPT succeeds and
 * changes nothing.
 */
int iommufd_device_replace(struct iommufd_device *idev, ioasid_t pasid,
			   u32 *pt_id)
{
	return iommufd_device_change_pt(idev, pasid, pt_id, true);
}
EXPORT_SYMBOL_NS_GPL(iommufd_device_replace, IOMMUFD);

/**
 * iommufd_device_detach() - undo iommufd_device_attach()
 * @idev: a bound device
 * @pasid: as for iommufd_device_attach(); detaching a PASID (or RID) that
 *         is not attached does nothing
 *
 * The device's requests with @pasid are blocked afterwards. For the RID,
 * that happens when the last attached device of the group leaves; until
 * then the group keeps its domain.
 */
void iommufd_device_detach(struct iommufd_device *idev, ioasid_t pasid)
{
	struct iommufd_group *igroup = idev->igroup;
	struct iommufd_attach *attach;
	struct iommufd_hwpt *hwpt;

	mutex_lock(&igroup->lock);
	attach = iommufd_attach_of(idev, pasid);
	if (!attach) {
		mutex_unlock(&igroup->lock);
		return;
	}
	hwpt = attach->hwpt;
	xa_erase(&attach->devices, idev->obj.id);
	if (pasid != IOMMU_NO_PASID)
		iommu_detach_device_pasid(idev->dev, pasid);
	if (xa_empty(&attach->devices)) {
		if (pasid == IOMMU_NO_PASID) {
			iommu_detach_group(hwpt->domain, igroup->group);
			iopt_remove_reserved_iova(&iommufd_hwpt_paging_of(hwpt)->ioas->iopt,
						  igroup);
		}
		xa_erase(&igroup->attach, pasid);
		xa_destroy(&attach->devices);
		kfree(attach);
	}
	mutex_unlock(&igroup->lock);

	iommufd_hwpt_put_attached(idev->ictx, hwpt);
}
EXPORT_SYMBOL_NS_GPL(iommufd_device_detach, IOMMUFD);

/* The next PASID at or after *@pasid through which @idev is attached */
static bool iommufd_device_next_attached(struct iommufd_device *idev,
					 unsigned long *pasid)
{
	struct iommufd_group *igroup = idev->igroup;
	struct iommufd_attach *attach;
	bool found = false;

	mutex_lock(&igroup->lock);
	xa_for_each_start(&igroup->attach, *pasid, attach, *pasid) {
		if (xa_load(&attach->devices, idev->obj.id)) {
			found = true;
			break;
		}
	}
	mutex_unlock(&igroup->lock);
	return found;
}

/**
 * iommufd_device_unbind() - undo iommufd_device_bind()
 * @idev: the device; its vDEVICE is destroyed, then its RID and every
 *        PASID the driver left attached are detached, PASIDs before the
 *        RID
 *
 * DMA ownership is given back; the device object and the context
 * reference go away.
 */
void iommufd_device_unbind(struct iommufd_device *idev)
{
	struct iommufd_ctx *ictx = idev->ictx;
	bool holds_ctx = idev->holds_ctx;
	unsigned long pasid = IOMMU_NO_PASID + 1;

	iommufd_device_destroy_vdev(idev);
	while (iommufd_device_next_attached(idev, &pasid))
		iommufd_device_detach(idev, pasid);
	iommufd_device_detach(idev, IOMMU_NO_PASID);
	iommufd_obj_destroy_held(ictx, &idev->obj);
	if (holds_ctx)
		iommufd_ctx_put(ictx);
}
EXPORT_SYMBOL_NS_GPL(iommufd_device_unbind, IOMMUFD);

/**
 * iommufd_ctx_has_group() - is an iommu_group owned by a context?
 * @ictx: the context
 * @group: the group
 *
 * A group is owned while at least one of its devices is bound to the
 * context: the context then holds the group's DMA ownership, and no other
 * user can have any device of it. VFIO uses this to let a cdev user reset
 * devices it did not bind itself.
 *
 * Return: true when a device of @group is bound to @ictx. A group whose
 * bind is still in progress, or failed, is not owned.
 */
bool iommufd_ctx_has_group(struct iommufd_ctx *ictx, struct iommu_group *group)
{
	struct iommufd_group *igroup;
	bool owned;

	mutex_lock(&ictx->groups_lock);
	igroup = xa_load(&ictx->groups, iommu_group_id(group));
	owned = igroup && igroup->owners;
	mutex_unlock(&ictx->groups_lock);
	return owned;
}
EXPORT_SYMBOL_NS_GPL(iommufd_ctx_has_group, IOMMUFD);

/**
 * iommufd_device_to_ictx() - the context a device is bound to
 * @idev: a bound device
 *
 * Return: the context, valid while the device stays bound.
 */
struct iommufd_ctx *iommufd_device_to_ictx(struct iommufd_device *idev)
{
	return idev->ictx;
}
EXPORT_SYMBOL_NS_GPL(iommufd_device_to_ictx, IOMMUFD);

/**
 * iommufd_device_to_id() - the ID userspace knows a bound device by
 * @idev: a bound device
 *
 * Return: the object ID.
 */
u32 iommufd_device_to_id(struct iommufd_device *idev)
{
	return idev->obj.id;
}
EXPORT_SYMBOL_NS_GPL(iommufd_device_to_id, IOMMUFD);

/*
 * The PASID part of IOMMU_GET_HW_INFO: the PASID width the device and its
 * IOMMU have in common, and what a PCI function allows in its PASID
 * requests, which a VMM mirrors in the virtual function it shows.
 */
static void iommufd_device_pasid_info(struct device *dev,
				      struct iommu_hw_info *cmd)
{
	int features;

	cmd->out_max_pasid_log2 = 0;
	cmd->out_capabilities = 0;
	if (!dev->iommu->max_pasids)
		return;
	cmd->out_max_pasid_log2 = ilog2(dev->iommu->max_pasids);
	if (!dev_is_pci(dev))
		return;
	features = pci_pasid_features(to_pci_dev(dev));
	if (features < 0)
		return;
	if (features & PCI_PASID_CAP_EXEC)
		cmd->out_capabilities |= IOMMU_HW_CAP_PCI_PASID_EXEC;
	if (features & PCI_PASID_CAP_PRIV)
		cmd->out_capabilities |= IOMMU_HW_CAP_PCI_PASID_PRIV;
}

/**
 * iommufd_get_hw_info_ioctl() - IOMMU_GET_HW_INFO
 * @ucmd: the call; its argument is a struct iommu_hw_info
 *
 * Return: 0 or a negative errno, as documented in the uAPI header.
 */
int iommufd_get_hw_info_ioctl(struct iommufd_ucmd *ucmd)
{
	struct iommu_hw_info *cmd = ucmd->cmd;
	void __user *user_data = u64_to_user_ptr(cmd->data_uptr);
	u32 data_len = 0, type = IOMMU_HW_INFO_TYPE_NONE;
	const struct iommu_ops *ops;
	struct iommufd_device *idev;
	struct iommufd_object *obj;
	void *data = NULL;
	u32 copy;
	int rc;

	if ((cmd->flags & ~IOMMU_HW_INFO_FLAG_INPUT_TYPE) ||
	    memchr_inv(cmd->__reserved, 0, sizeof(cmd->__reserved)))
		return -EOPNOTSUPP;
	/* Without the flag the field is output only, whatever it holds. */
	if (!(cmd->flags & IOMMU_HW_INFO_FLAG_INPUT_TYPE))
		cmd->in_data_type = IOMMU_HW_INFO_TYPE_DEFAULT;

	obj = iommufd_obj_get(ucmd->ictx, cmd->dev_id, IOMMUFD_OTYPE_DEVICE);
	if (IS_ERR(obj))
		return PTR_ERR(obj);
	idev = container_of(obj, struct iommufd_device, obj);

	ops = dev_iommu_ops(idev->dev);
	if (ops->hw_info) {
		data = ops->hw_info(idev->dev, &data_len, &type);
		if (IS_ERR(data)) {
			rc = PTR_ERR(data);
			goto out_put;
		}
		if (WARN_ON_ONCE(type == IOMMU_HW_INFO_TYPE_NONE && data_len))
			data_len = 0;
	}
	/* Each driver reports one layout: only that one may be asked for. */
	if (cmd->in_data_type != IOMMU_HW_INFO_TYPE_DEFAULT &&
	    cmd->in_data_type != type) {
		rc = -EOPNOTSUPP;
		goto out_free;
	}

	copy = min(cmd->data_len, data_len);
	if (copy && copy_to_user(user_data, data, copy)) {
		rc = -EFAULT;
		goto out_free;
	}
	if (cmd->data_len > copy &&
	    clear_user(user_data + copy, cmd->data_len - copy)) {
		rc = -EFAULT;
		goto out_free;
	}

	cmd->data_len = data_len;
	cmd->out_data_type = type;
	iommufd_device_pasid_info(idev->dev, cmd);
	rc = iommufd_ucmd_respond(ucmd);
out_free:
	kfree(data);
out_put:
	iommufd_obj_put(obj);
	return rc;
}
