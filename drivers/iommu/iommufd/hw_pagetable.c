// SPDX-License-Identifier: GPL-2.0-only
/*
 * HWPT objects: hardware page tables (iommu_domains) that mirror an IOAS.
 *
 * A paging HWPT owns one unmanaged iommu_domain and keeps it in its
 * IOAS's io_pagetable from creation to destruction, so the domain always
 * maps exactly what the IOAS maps, whether or not a device is attached.
 * HWPTs come into being in two ways:
 *  - automatically, when a device is attached to an IOAS and no existing
 *    automatic HWPT of that IOAS accepts it (device.c). Such a HWPT goes
 *    away by itself when its last device detaches;
 *  - explicitly, through IOMMU_HWPT_ALLOC. Such a HWPT lives until
 *    IOMMU_DESTROY or the close of the file.
 * Userspace sees both kinds by ID and may attach other devices to them.
 *
 * Locking: a HWPT is linked into its IOAS's hwpt_list under the IOAS
 * mutex, which the creator holds around the whole creation so that two
 * devices attaching at once cannot both build an automatic HWPT. The
 * destroy callback takes the IOAS mutex to unlink. The msi_lock of a HWPT
 * only guards the one-time setup of its software MSI window.
 */
#include <linux/iommu.h>
#include <linux/mutex.h>
#include <linux/slab.h>
#include <uapi/linux/iommufd.h>

#include "iommufd_private.h"

/* Free everything of a HWPT that is no longer on its IOAS's list. */
static void iommufd_hwpt_paging_release(struct iommufd_hwpt_paging *hwpt)
{
	if (hwpt->domain) {
		iopt_table_remove_domain(&hwpt->ioas->iopt, hwpt->domain);
		iommu_domain_free(hwpt->domain);
	}
	if (hwpt->msi_cookie)
		iopt_remove_reserved_iova(&hwpt->ioas->iopt, hwpt);
	iommufd_ioas_put(hwpt->ioas);
	mutex_destroy(&hwpt->msi_lock);
}

static void iommufd_hwpt_paging_destroy(struct iommufd_object *obj)
{
	struct iommufd_hwpt_paging *hwpt =
		container_of(obj, struct iommufd_hwpt_paging, obj);

	mutex_lock(&hwpt->ioas->mutex);
	list_del(&hwpt->hwpt_item);
	mutex_unlock(&hwpt->ioas->mutex);
	iommufd_hwpt_paging_release(hwpt);
}

/* An unpublished HWPT is undone by its creator, under the IOAS mutex. */
static void iommufd_hwpt_paging_abort(struct iommufd_object *obj)
{
	struct iommufd_hwpt_paging *hwpt =
		container_of(obj, struct iommufd_hwpt_paging, obj);

	lockdep_assert_held(&hwpt->ioas->mutex);
	list_del(&hwpt->hwpt_item);
	iommufd_hwpt_paging_release(hwpt);
}

const struct iommufd_otype_ops iommufd_hwpt_paging_ops = {
	.destroy = iommufd_hwpt_paging_destroy,
	.abort = iommufd_hwpt_paging_abort,
};

/**
 * iommufd_hwpt_paging_alloc() - build an unpublished paging HWPT
 * @ictx: the context
 * @ioas: the IOAS to mirror; the caller holds a reference and its mutex
 * @dev: a device the domain must be able to translate; its IOMMU driver
 *       allocates the domain
 * @auto_domain: the HWPT is created by an attach to @ioas and ends with
 *               its last device
 *
 * The domain is filled with every mapping of @ioas before this returns.
 * The caller publishes the object, or aborts it with iommufd_obj_abort()
 * while still holding the IOAS mutex.
 *
 * Return: the HWPT or an ERR_PTR: -ENOMEM, or an error of
 * iopt_table_add_domain().
 */
struct iommufd_hwpt_paging *
iommufd_hwpt_paging_alloc(struct iommufd_ctx *ictx, struct iommufd_ioas *ioas,
			  struct device *dev, bool auto_domain)
{
	struct iommufd_hwpt_paging *hwpt;
	int rc;

	lockdep_assert_held(&ioas->mutex);

	hwpt = iommufd_obj_new(ictx, struct iommufd_hwpt_paging,
			       IOMMUFD_OTYPE_HWPT_PAGING);
	if (IS_ERR(hwpt))
		return hwpt;
	mutex_init(&hwpt->msi_lock);
	refcount_inc(&ioas->obj.users);
	hwpt->ioas = ioas;
	hwpt->auto_domain = auto_domain;
	/* From here on the abort callback can undo everything. */
	list_add_tail(&hwpt->hwpt_item, &ioas->hwpt_list);

	hwpt->iommu_ops = dev_iommu_ops(dev);
	hwpt->domain = iommu_domain_alloc(dev->bus);
	if (!hwpt->domain) {
		rc = -ENOMEM;
		goto err_abort;
	}
	/*
	 * Mappings are always made with IOMMU_CACHE. Where the device's
	 * IOMMU can also force its no-snoop requests to snoop, ask for that
	 * now, before the first mapping (VT-d sets it per PTE), as type1
	 * does: KVM then need not emulate cache flushes for the device.
	 * Devices of IOMMUs without it cannot attach to such a domain and
	 * get an automatic HWPT of their own.
	 */
	if (device_iommu_capable(dev, IOMMU_CAP_ENFORCE_CACHE_COHERENCY) &&
	    hwpt->domain->ops->enforce_cache_coherency)
		hwpt->enforce_cache_coherency =
			hwpt->domain->ops->enforce_cache_coherency(hwpt->domain);

	rc = iopt_table_add_domain(&ioas->iopt, hwpt->domain);
	if (rc) {
		iommu_domain_free(hwpt->domain);
		hwpt->domain = NULL;
		goto err_abort;
	}
	return hwpt;

err_abort:
	iommufd_obj_abort(ictx, &hwpt->obj);
	return ERR_PTR(rc);
}

/**
 * iommufd_hwpt_alloc_ioctl() - IOMMU_HWPT_ALLOC
 * @ucmd: the call; its argument is a struct iommu_hwpt_alloc
 *
 * Only paging HWPTs (data type IOMMU_HWPT_DATA_NONE on an IOAS) without
 * flags exist so far.
 *
 * Return: 0; -EOPNOTSUPP for flags or data this kernel does not know;
 * -ENOENT when @dev_id is not a bound device; -EINVAL when @pt_id is not
 * an IOAS; otherwise as iommufd_hwpt_paging_alloc().
 */
int iommufd_hwpt_alloc_ioctl(struct iommufd_ucmd *ucmd)
{
	struct iommu_hwpt_alloc *cmd = ucmd->cmd;
	struct iommufd_hwpt_paging *hwpt;
	struct iommufd_device *idev;
	struct iommufd_object *obj;
	struct iommufd_ioas *ioas;
	int rc;

	if (cmd->flags || cmd->__reserved || cmd->__reserved2)
		return -EOPNOTSUPP;
	if (cmd->data_type != IOMMU_HWPT_DATA_NONE)
		return -EOPNOTSUPP;
	if (cmd->data_len || cmd->data_uptr)
		return -EINVAL;

	obj = iommufd_obj_get(ucmd->ictx, cmd->dev_id, IOMMUFD_OTYPE_DEVICE);
	if (IS_ERR(obj))
		return PTR_ERR(obj);
	idev = container_of(obj, struct iommufd_device, obj);

	obj = iommufd_obj_get(ucmd->ictx, cmd->pt_id, IOMMUFD_OTYPE_ANY);
	if (IS_ERR(obj)) {
		rc = PTR_ERR(obj);
		goto out_put_idev;
	}
	if (obj->type != IOMMUFD_OTYPE_IOAS) {
		rc = -EINVAL;
		goto out_put_pt;
	}
	ioas = container_of(obj, struct iommufd_ioas, obj);

	mutex_lock(&ioas->mutex);
	hwpt = iommufd_hwpt_paging_alloc(ucmd->ictx, ioas, idev->dev, false);
	mutex_unlock(&ioas->mutex);
	if (IS_ERR(hwpt)) {
		rc = PTR_ERR(hwpt);
		goto out_put_pt;
	}
	/*
	 * Not under the IOAS mutex: a reply buffer that faults slowly must
	 * not stall attaches to this IOAS. Being unpublished, and not an
	 * automatic HWPT, the new HWPT is meanwhile invisible to everyone.
	 */
	cmd->out_hwpt_id = hwpt->obj.id;
	rc = iommufd_ucmd_respond(ucmd);
	if (rc) {
		mutex_lock(&ioas->mutex);
		iommufd_obj_abort(ucmd->ictx, &hwpt->obj);
		mutex_unlock(&ioas->mutex);
		goto out_put_pt;
	}
	iommufd_obj_publish(ucmd->ictx, &hwpt->obj);
out_put_pt:
	iommufd_obj_put_lookup(ucmd->ictx, obj);
out_put_idev:
	iommufd_obj_put(&idev->obj);
	return rc;
}
