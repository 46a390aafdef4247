// SPDX-License-Identifier: GPL-2.0-only
/*
 * HWPT objects: hardware page tables (iommu_domains) that devices attach to.
 *
 * A paging HWPT owns one paging iommu_domain and keeps it in its IOAS's
 * io_pagetable from creation to destruction, so the domain always maps
 * exactly what the IOAS maps, whether or not a device is attached.
 * Paging HWPTs come into being in two ways:
 *  - automatically, when a device is attached to an IOAS and no existing
 *    automatic HWPT of that IOAS accepts it (device.c). Such a HWPT goes
 *    away by itself when its last device detaches;
 *  - explicitly, through IOMMU_HWPT_ALLOC on an IOAS. Such a HWPT lives
 *    until IOMMU_DESTROY or the close of the file.
 *
 * A nested HWPT is a stage-1 table that user space (a guest, through its
 * VMM) builds and owns in its own memory. The IOMMU translates requests
 * through it and then through a stage 2, the domain of a paging HWPT
 * allocated with IOMMU_HWPT_ALLOC_NEST_PARENT: the addresses in the
 * stage-1 table, and the addresses it produces, are IOVAs of that
 * parent's IOAS. The kernel never reads or writes the stage-1 table; it
 * only hands the IOMMU driver its description (driver-specific data,
 * which the driver validates) and passes the user's invalidations of
 * what the IOMMU caches from it on to the driver (IOMMU_HWPT_INVALIDATE).
 * A nested HWPT holds its parent, which cannot be destroyed before it.
 * One allocated on a vIOMMU (viommu.c) holds the vIOMMU as well, and the
 * vIOMMU's driver builds its domain.
 *
 * Userspace sees every kind by ID and may attach devices to it, by RID or
 * by PASID (device.c).
 *
 * Locking: a paging HWPT is linked into its IOAS's hwpt_list under the
 * IOAS mutex, which the creator holds around the whole creation so that
 * two devices attaching at once cannot both build an automatic HWPT. The
 * destroy callback takes the IOAS mutex to unlink. The msi_lock of a HWPT
 * only guards the one-time setup of its software MSI window. A nested
 * HWPT is never on a list and needs no lock of its own: its parent and
 * domain are fixed for its whole life.
 */
#include <linux/iommu.h>
#include <linux/iommufd.h>
#include <linux/mutex.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <uapi/linux/iommufd.h>

#include "iommufd_private.h"

/* Free everything of a HWPT that is no longer on its IOAS's list. */
static void iommufd_hwpt_paging_release(struct iommufd_hwpt_paging *hwpt)
{
	if (hwpt->common.domain) {
		iopt_table_remove_domain(&hwpt->ioas->iopt, hwpt->common.domain);
		iommu_domain_free(hwpt->common.domain);
	}
	if (hwpt->msi_cookie)
		iopt_remove_reserved_iova(&hwpt->ioas->iopt, hwpt);
	iommufd_ioas_put(hwpt->ioas);
	mutex_destroy(&hwpt->msi_lock);
}

static void iommufd_hwpt_paging_destroy(struct iommufd_object *obj)
{
	struct iommufd_hwpt_paging *hwpt =
		container_of(obj, struct iommufd_hwpt_paging, common.obj);

	mutex_lock(&hwpt->ioas->mutex);
	list_del(&hwpt->hwpt_item);
	mutex_unlock(&hwpt->ioas->mutex);
	iommufd_hwpt_paging_release(hwpt);
}

/* An unpublished HWPT is undone by its creator, under the IOAS mutex. */
static void iommufd_hwpt_paging_abort(struct iommufd_object *obj)
{
	struct iommufd_hwpt_paging *hwpt =
		container_of(obj, struct iommufd_hwpt_paging, common.obj);

	lockdep_assert_held(&hwpt->ioas->mutex);
	list_del(&hwpt->hwpt_item);
	iommufd_hwpt_paging_release(hwpt);
}

/* What every HWPT line of /proc/PID/fdinfo ends with */
static void iommufd_hwpt_show_common(struct seq_file *m,
				     struct iommufd_ctx *ictx,
				     struct iommufd_hwpt *hwpt)
{
	struct device *iommu = hwpt->iommu_dev ? hwpt->iommu_dev->dev : NULL;

	seq_printf(m, " iommu=%s pasid=%d", iommu ? dev_name(iommu) : "-",
		   hwpt->pasid_compat);
	iommufd_hwpt_show_devices(m, ictx, hwpt);
}

static void iommufd_hwpt_paging_show(struct seq_file *m,
				     struct iommufd_ctx *ictx,
				     struct iommufd_object *obj)
{
	struct iommufd_hwpt_paging *hwpt =
		container_of(obj, struct iommufd_hwpt_paging, common.obj);

	seq_printf(m, " ioas=%u auto=%d nest-parent=%d coherent=%d",
		   hwpt->ioas->obj.id, hwpt->auto_domain, hwpt->nest_parent,
		   hwpt->enforce_cache_coherency);
	iommufd_hwpt_show_common(m, ictx, &hwpt->common);
}

const struct iommufd_otype_ops iommufd_hwpt_paging_ops = {
	.destroy = iommufd_hwpt_paging_destroy,
	.abort = iommufd_hwpt_paging_abort,
	.name = "hwpt-paging",
	.show = iommufd_hwpt_paging_show,
};

/*
 * A paging domain for @dev: through the driver's domain_alloc_user op when
 * it has one, which understands the allocation flags, else through the
 * plain 6.1 allocation, which knows none.
 */
static struct iommu_domain *
iommufd_paging_domain_alloc(struct device *dev, u32 flags,
			    const struct iommu_user_data *user_data)
{
	const struct iommu_ops *ops = dev_iommu_ops(dev);
	struct iommu_domain *domain;

	if (ops->domain_alloc_user) {
		domain = ops->domain_alloc_user(dev, flags, NULL, user_data);
		if (!IS_ERR(domain) &&
		    WARN_ON_ONCE(domain->type != IOMMU_DOMAIN_UNMANAGED)) {
			iommu_domain_free(domain);
			return ERR_PTR(-EINVAL);
		}
		return domain;
	}
	if (flags || user_data)
		return ERR_PTR(-EOPNOTSUPP);
	domain = iommu_domain_alloc(dev->bus);
	return domain ?: ERR_PTR(-ENOMEM);
}

/**
 * iommufd_hwpt_paging_alloc() - build an unpublished paging HWPT
 * @ictx: the context
 * @ioas: the IOAS to mirror; the caller holds a reference and its mutex
 * @dev: a device the domain must be able to translate; its IOMMU driver
 *       allocates the domain
 * @flags: IOMMU_HWPT_ALLOC_NEST_PARENT and/or IOMMU_HWPT_ALLOC_PASID
 * @auto_domain: the HWPT is created by an attach to @ioas and ends with
 *               its last device
 * @user_data: driver data for the domain, or NULL
 *
 * The domain is filled with every mapping of @ioas before this returns.
 * The caller publishes the object, or aborts it with iommufd_obj_abort()
 * while still holding the IOAS mutex.
 *
 * Return: the HWPT or an ERR_PTR: -EOPNOTSUPP for flags or data the
 * IOMMU driver does not support, -ENOMEM, or an error of
 * iopt_table_add_domain().
 */
struct iommufd_hwpt_paging *
iommufd_hwpt_paging_alloc(struct iommufd_ctx *ictx, struct iommufd_ioas *ioas,
			  struct device *dev, u32 flags, bool auto_domain,
			  const struct iommu_user_data *user_data)
{
	struct iommufd_hwpt_paging *hwpt;
	struct iommu_domain *domain;
	int rc;

	lockdep_assert_held(&ioas->mutex);

	if (flags & ~(IOMMU_HWPT_ALLOC_NEST_PARENT | IOMMU_HWPT_ALLOC_PASID))
		return ERR_PTR(-EOPNOTSUPP);

	hwpt = iommufd_obj_new_at(ictx, struct iommufd_hwpt_paging, common.obj,
				  IOMMUFD_OTYPE_HWPT_PAGING);
	if (IS_ERR(hwpt))
		return hwpt;
	mutex_init(&hwpt->msi_lock);
	refcount_inc(&ioas->obj.users);
	hwpt->ioas = ioas;
	hwpt->auto_domain = auto_domain;
	hwpt->nest_parent = flags & IOMMU_HWPT_ALLOC_NEST_PARENT;
	hwpt->common.pasid_compat = flags & IOMMU_HWPT_ALLOC_PASID;
	/* From here on the abort callback can undo everything. */
	list_add_tail(&hwpt->hwpt_item, &ioas->hwpt_list);

	hwpt->common.iommu_ops = dev_iommu_ops(dev);
	hwpt->common.iommu_dev = dev->iommu->iommu_dev;
	domain = iommufd_paging_domain_alloc(dev, flags, user_data);
	if (IS_ERR(domain)) {
		rc = PTR_ERR(domain);
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
	    domain->ops->enforce_cache_coherency)
		hwpt->enforce_cache_coherency =
			domain->ops->enforce_cache_coherency(domain);

	rc = iopt_table_add_domain(&ioas->iopt, domain);
	if (rc) {
		iommu_domain_free(domain);
		goto err_abort;
	}
	hwpt->common.domain = domain;
	return hwpt;

err_abort:
	iommufd_obj_abort(ictx, &hwpt->common.obj);
	return ERR_PTR(rc);
}

static void iommufd_hwpt_nested_destroy(struct iommufd_object *obj)
{
	struct iommufd_hwpt_nested *hwpt =
		container_of(obj, struct iommufd_hwpt_nested, common.obj);

	if (hwpt->common.domain)
		iommu_domain_free(hwpt->common.domain);
	if (hwpt->viommu)
		iommufd_obj_put(&hwpt->viommu->obj);
	iommufd_obj_put(&hwpt->parent->common.obj);
}

static void iommufd_hwpt_nested_show(struct seq_file *m,
				     struct iommufd_ctx *ictx,
				     struct iommufd_object *obj)
{
	struct iommufd_hwpt_nested *hwpt =
		container_of(obj, struct iommufd_hwpt_nested, common.obj);

	seq_printf(m, " parent=%u viommu=%u", hwpt->parent->common.obj.id,
		   hwpt->viommu ? hwpt->viommu->obj.id : 0);
	iommufd_hwpt_show_common(m, ictx, &hwpt->common);
}

const struct iommufd_otype_ops iommufd_hwpt_nested_ops = {
	.destroy = iommufd_hwpt_nested_destroy,
	.name = "hwpt-nested",
	.show = iommufd_hwpt_nested_show,
};

/*
 * Build an unpublished nested HWPT on @parent from @user_data, through
 * @viommu when it is given (whose parent @parent is). Only
 * IOMMU_HWPT_ALLOC_PASID makes sense for a stage-1 table; it cannot
 * parent other tables itself.
 */
static struct iommufd_hwpt_nested *
iommufd_hwpt_nested_alloc(struct iommufd_ctx *ictx,
			  struct iommufd_hwpt_paging *parent,
			  struct iommufd_viommu *viommu,
			  struct device *dev, u32 flags,
			  const struct iommu_user_data *user_data)
{
	const struct iommu_ops *ops = dev_iommu_ops(dev);
	bool by_viommu = viommu && viommu->ops;
	struct iommufd_hwpt_nested *hwpt;
	struct iommu_domain *domain;

	if ((flags & ~IOMMU_HWPT_ALLOC_PASID) || !user_data->len ||
	    (by_viommu ? !viommu->ops->alloc_domain_nested :
			 !ops->domain_alloc_user))
		return ERR_PTR(-EOPNOTSUPP);
	if (parent->auto_domain || !parent->nest_parent ||
	    parent->common.iommu_ops != ops ||
	    (viommu && viommu->iommu_dev != dev->iommu->iommu_dev))
		return ERR_PTR(-EINVAL);

	hwpt = iommufd_obj_new_at(ictx, struct iommufd_hwpt_nested,
				  common.obj, IOMMUFD_OTYPE_HWPT_NESTED);
	if (IS_ERR(hwpt))
		return hwpt;
	refcount_inc(&parent->common.obj.users);
	hwpt->parent = parent;
	if (viommu) {
		refcount_inc(&viommu->obj.users);
		hwpt->viommu = viommu;
	}
	hwpt->common.iommu_ops = ops;
	hwpt->common.iommu_dev = dev->iommu->iommu_dev;
	hwpt->common.pasid_compat = flags & IOMMU_HWPT_ALLOC_PASID;

	if (by_viommu)
		domain = viommu->ops->alloc_domain_nested(viommu, flags,
							  user_data);
	else
		domain = ops->domain_alloc_user(dev, flags,
						parent->common.domain,
						user_data);
	if (!IS_ERR(domain) &&
	    WARN_ON_ONCE(domain->type != IOMMU_DOMAIN_NESTED)) {
		iommu_domain_free(domain);
		domain = ERR_PTR(-EINVAL);
	}
	if (IS_ERR(domain)) {
		iommufd_obj_abort(ictx, &hwpt->common.obj);
		return ERR_CAST(domain);
	}
	hwpt->common.domain = domain;
	return hwpt;
}

/* Publish @hwpt after telling userspace its ID, or abort it. */
static int iommufd_hwpt_respond(struct iommufd_ucmd *ucmd,
				struct iommufd_hwpt *hwpt,
				struct iommufd_ioas *ioas)
{
	struct iommu_hwpt_alloc *cmd = ucmd->cmd;
	int rc;

	cmd->out_hwpt_id = hwpt->obj.id;
	rc = iommufd_ucmd_respond(ucmd);
	if (!rc) {
		iommufd_obj_publish(ucmd->ictx, &hwpt->obj);
		return 0;
	}
	/* A paging HWPT is aborted under the mutex of its IOAS. */
	if (ioas)
		mutex_lock(&ioas->mutex);
	iommufd_obj_abort(ucmd->ictx, &hwpt->obj);
	if (ioas)
		mutex_unlock(&ioas->mutex);
	return rc;
}

/**
 * iommufd_hwpt_alloc_ioctl() - IOMMU_HWPT_ALLOC
 * @ucmd: the call; its argument is a struct iommu_hwpt_alloc
 *
 * @pt_id names an IOAS for a paging HWPT, or for a nested one a paging
 * HWPT allocated with IOMMU_HWPT_ALLOC_NEST_PARENT or a vIOMMU on such
 * a HWPT.
 *
 * Return: 0; -EOPNOTSUPP for flags or data this kernel or the IOMMU
 * driver does not support; -ENOENT when @dev_id is not a bound device or
 * @pt_id names nothing; -EINVAL for inconsistent data fields, a @pt_id of
 * another type, or a parent that cannot parent; the driver's errors on
 * the data (-EINVAL, -E2BIG); otherwise as iommufd_hwpt_paging_alloc().
 */
int iommufd_hwpt_alloc_ioctl(struct iommufd_ucmd *ucmd)
{
	struct iommu_hwpt_alloc *cmd = ucmd->cmd;
	struct iommu_user_data user_data = {
		.type = cmd->data_type,
		.uptr = u64_to_user_ptr(cmd->data_uptr),
		.len = cmd->data_len,
	};
	bool have_data = cmd->data_type != IOMMU_HWPT_DATA_NONE;
	struct iommufd_hwpt_paging *paging, *parent;
	struct iommufd_hwpt_nested *nested;
	struct iommufd_viommu *viommu;
	struct iommufd_device *idev;
	struct iommufd_object *obj;
	struct iommufd_ioas *ioas;
	int rc;

	if ((cmd->flags & ~(IOMMU_HWPT_ALLOC_NEST_PARENT |
			    IOMMU_HWPT_ALLOC_PASID)) ||
	    cmd->__reserved || cmd->__reserved2)
		return -EOPNOTSUPP;
	if (have_data ? !cmd->data_len || !cmd->data_uptr :
			cmd->data_len || cmd->data_uptr)
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

	switch (obj->type) {
	case IOMMUFD_OTYPE_IOAS:
		ioas = container_of(obj, struct iommufd_ioas, obj);
		mutex_lock(&ioas->mutex);
		paging = iommufd_hwpt_paging_alloc(ucmd->ictx, ioas, idev->dev,
						   cmd->flags, false,
						   have_data ? &user_data :
							       NULL);
		mutex_unlock(&ioas->mutex);
		if (IS_ERR(paging)) {
			rc = PTR_ERR(paging);
			break;
		}
		/*
		 * Answered without the IOAS mutex: a reply buffer that faults
		 * slowly must not stall attaches to this IOAS. Unpublished,
		 * and not automatic, the HWPT is invisible meanwhile.
		 */
		rc = iommufd_hwpt_respond(ucmd, &paging->common, ioas);
		break;
	case IOMMUFD_OTYPE_HWPT_PAGING:
	case IOMMUFD_OTYPE_VIOMMU:
		viommu = obj->type == IOMMUFD_OTYPE_VIOMMU ?
				 iommufd_viommu_of_obj(obj) : NULL;
		parent = viommu ? viommu->hwpt :
				  container_of(obj, struct iommufd_hwpt_paging,
					       common.obj);
		nested = iommufd_hwpt_nested_alloc(ucmd->ictx, parent, viommu,
						   idev->dev, cmd->flags,
						   &user_data);
		if (IS_ERR(nested)) {
			rc = PTR_ERR(nested);
			break;
		}
		rc = iommufd_hwpt_respond(ucmd, &nested->common, NULL);
		break;
	default:
		rc = -EINVAL;
		break;
	}
	iommufd_obj_put_lookup(ucmd->ictx, obj);
out_put_idev:
	iommufd_obj_put(&idev->obj);
	return rc;
}

/**
 * iommufd_hwpt_invalidate_ioctl() - IOMMU_HWPT_INVALIDATE
 * @ucmd: the call; its argument is a struct iommu_hwpt_invalidate
 *
 * Hands the user's array of invalidation entries to the IOMMU driver of
 * a nested HWPT or a vIOMMU. However the call ends, entry_num is written
 * back with the number of entries the driver handled, so that userspace
 * can tell where it stopped.
 *
 * Return: 0; -EOPNOTSUPP for a non-zero reserved field or a driver
 * without user invalidation; -EINVAL for entries without a pointer or a
 * length, or a @hwpt_id that is neither a nested HWPT nor a vIOMMU;
 * -ENOENT when it names nothing; the driver's errors; -EFAULT when the
 * reply cannot be written.
 */
int iommufd_hwpt_invalidate_ioctl(struct iommufd_ucmd *ucmd)
{
	struct iommu_hwpt_invalidate *cmd = ucmd->cmd;
	struct iommu_user_data_array array = {
		.type = cmd->data_type,
		.uptr = u64_to_user_ptr(cmd->data_uptr),
		.entry_len = cmd->entry_len,
		.entry_num = cmd->entry_num,
	};
	struct iommufd_object *obj = NULL;
	struct iommufd_viommu *viommu;
	struct iommu_domain *domain;
	u32 handled = 0;
	int rc;

	if (cmd->__reserved) {
		rc = -EOPNOTSUPP;
		goto out;
	}
	if (cmd->entry_num && (!cmd->data_uptr || !cmd->entry_len)) {
		rc = -EINVAL;
		goto out;
	}

	obj = iommufd_obj_get(ucmd->ictx, cmd->hwpt_id, IOMMUFD_OTYPE_ANY);
	if (IS_ERR(obj)) {
		rc = PTR_ERR(obj);
		obj = NULL;
		goto out;
	}
	switch (obj->type) {
	case IOMMUFD_OTYPE_HWPT_NESTED:
		domain = container_of(obj, struct iommufd_hwpt, obj)->domain;
		if (!domain->ops->cache_invalidate_user) {
			rc = -EOPNOTSUPP;
			goto out;
		}
		rc = domain->ops->cache_invalidate_user(domain, &array);
		break;
	case IOMMUFD_OTYPE_VIOMMU:
		viommu = iommufd_viommu_of_obj(obj);
		if (!viommu->ops || !viommu->ops->cache_invalidate) {
			rc = -EOPNOTSUPP;
			goto out;
		}
		/* The driver may look vDEVICEs up meanwhile. */
		down_read(&viommu->vdevs_rwsem);
		rc = viommu->ops->cache_invalidate(viommu, &array);
		up_read(&viommu->vdevs_rwsem);
		break;
	default:
		rc = -EINVAL;
		goto out;
	}
	handled = min(array.entry_num, cmd->entry_num);
out:
	if (obj)
		iommufd_obj_put_lookup(ucmd->ictx, obj);
	cmd->entry_num = handled;
	if (iommufd_ucmd_respond(ucmd))
		return -EFAULT;
	return rc;
}
