// SPDX-License-Identifier: GPL-2.0-only
/*
 * Intel VT-d domains for user space (iommufd): paging domains allocated
 * with iommufd's flags, nested domains, and domains attached to PASIDs.
 *
 * Ownership of the two stages. A paging domain allocated with
 * IOMMU_HWPT_ALLOC_NEST_PARENT is always a second-stage table, managed by
 * the kernel through iommufd's IOAS: it maps guest-physical addresses
 * (the parent's IOVAs) to host memory. A nested domain has no table of
 * its own. It names a first-stage table that user space (a guest) builds
 * and changes in its own memory, at an address of the parent's IOVA
 * space; the IOMMU walks it, translating every address it reads and
 * produces through the parent. The kernel never reads the user's table:
 * it validates the description (root address, width, flags) against
 * what the IOMMU reports, and programs it into PASID-table entries with
 * PGTT = nested.
 *
 * PASIDs. The RID of a device is translated through the PASID entry
 * RID2PASID in scalable mode, and every other PASID through its own
 * entry. Both are written by the same functions (the first-stage,
 * second-stage and nested setups of pasid.c); the RID's attachment is
 * tracked in the domain's device list as before, a PASID's in a struct
 * intel_dev_pasid, found by the device's pasids xarray and listed in the
 * domain's dev_pasids.
 *
 * Caches. The IOMMU tags what it caches by domain ID (DID) and, for
 * first-stage and nested translations, by PASID as well. Every domain
 * has its own DID per IOMMU, nested ones included, so that two guests'
 * first-stage tables on one parent never share cache entries. Hence:
 *  - a change in a first-stage paging domain is flushed for each PASID
 *    it is attached to, not only RID2PASID;
 *  - a change in a parent's table is flushed for the DID of each nested
 *    domain built on it, since their cached translations went through it.
 *    The parent is attached to every IOMMU its nested domains are
 *    attached to (domain_attach_iommu() counts them), so that its
 *    flushes reach those IOMMUs even when no device uses it directly;
 *  - the user's own changes to its first-stage table reach the IOMMU as
 *    IOMMU_HWPT_INVALIDATE entries, turned into PASID-based IOTLB and
 *    device-TLB invalidations for the nested domain's DID and PASIDs.
 *
 * Locking. The iommu core calls attach, set_dev_pasid and remove_dev_pasid
 * with the device's group mutex held, which orders every change of one
 * device's pasids xarray. A domain's dev_pasids and s1_domains lists are
 * changed and walked under the domain's spinlock (irqsave, as the flush
 * paths take it); a parent's lock is taken before a nested domain's.
 */

#include <linux/iommu.h>
#include <linux/iommufd.h>
#include <linux/pci.h>
#include <uapi/linux/iommufd.h>

#include "iommu.h"
#include "pasid.h"

/**
 * struct intel_dev_pasid - a domain attached to one PASID of a device
 * @link: entry in @domain's dev_pasids
 * @info: the device
 * @domain: the domain
 * @pasid: the PASID, never RID2PASID
 */
struct intel_dev_pasid {
	struct list_head link;
	struct device_domain_info *info;
	struct dmar_domain *domain;
	ioasid_t pasid;
};

static const struct iommu_domain_ops intel_nested_ops;

static bool is_paging(struct iommu_domain *domain)
{
	return domain->ops == intel_iommu_ops.default_domain_ops &&
	       domain->type == IOMMU_DOMAIN_UNMANAGED;
}

static bool is_first_level(struct dmar_domain *dmar)
{
	return dmar->flags & DOMAIN_FLAG_USE_FIRST_LEVEL;
}

/* Translations of a PCI device's DMA alias are not under its control */
static bool is_dma_alias(struct device *dev)
{
	return dev_is_pci(dev) &&
	       pci_real_dma_dev(to_pci_dev(dev)) != to_pci_dev(dev);
}

/*
 * A paging domain; a nesting parent must be a second-stage table, and is
 * only of use where nested domains can be built on it: scalable mode with
 * nested, first-stage and second-stage translation.
 * IOMMU_HWPT_ALLOC_PASID needs nothing more: either kind of table can be
 * used by a PASID entry, which set_dev_pasid checks.
 */
static struct iommu_domain *paging_alloc(struct intel_iommu *iommu, u32 flags)
{
	struct dmar_domain *dmar;
	struct iommu_domain *domain;

	if (flags & ~(IOMMU_HWPT_ALLOC_NEST_PARENT | IOMMU_HWPT_ALLOC_PASID))
		return ERR_PTR(-EOPNOTSUPP);
	if ((flags & IOMMU_HWPT_ALLOC_NEST_PARENT) &&
	    !(sm_supported(iommu) && ecap_nest(iommu->ecap) &&
	      ecap_flts(iommu->ecap) && ecap_slts(iommu->ecap)))
		return ERR_PTR(-EOPNOTSUPP);

	domain = intel_iommu_domain_alloc(IOMMU_DOMAIN_UNMANAGED);
	if (!domain)
		return ERR_PTR(-ENOMEM);
	domain->type = IOMMU_DOMAIN_UNMANAGED;
	domain->ops = intel_iommu_ops.default_domain_ops;
	domain->pgsize_bitmap = intel_iommu_ops.pgsize_bitmap;

	dmar = to_dmar_domain(domain);
	if (flags & IOMMU_HWPT_ALLOC_NEST_PARENT) {
		/* Nothing is mapped yet: the table format can still change */
		dmar->flags &= ~DOMAIN_FLAG_USE_FIRST_LEVEL;
		dmar->nest_parent = 1;
	}
	return domain;
}

/*
 * Whether @iommu can walk the first-stage table of @nested: what the
 * user's flags and width ask for must be reported by the IOMMU.
 */
static int s1_supported(struct intel_iommu *iommu, struct dmar_domain *nested)
{
	if (!sm_supported(iommu) || !ecap_nest(iommu->ecap) ||
	    !ecap_flts(iommu->ecap) || !ecap_slts(iommu->ecap))
		return -EOPNOTSUPP;
	if ((nested->s1_flags & IOMMU_VTD_S1_SRE) && !ecap_srs(iommu->ecap))
		return -EOPNOTSUPP;
	if ((nested->s1_flags & IOMMU_VTD_S1_EAFE) && !ecap_eafs(iommu->ecap))
		return -EOPNOTSUPP;
	if (nested->s1_width == 57 && !cap_fl5lp_support(iommu->cap))
		return -EOPNOTSUPP;
	return 0;
}

static struct iommu_domain *nested_alloc(struct intel_iommu *iommu,
					 struct iommu_domain *parent, u32 flags,
					 const struct iommu_user_data *user_data)
{
	const u64 known = IOMMU_VTD_S1_SRE | IOMMU_VTD_S1_EAFE |
			  IOMMU_VTD_S1_WPE;
	struct dmar_domain *s2 = to_dmar_domain(parent);
	struct iommu_hwpt_vtd_s1 s1;
	struct dmar_domain *nested;
	unsigned long irqflags;
	int rc;

	if ((flags & ~IOMMU_HWPT_ALLOC_PASID) || !user_data ||
	    user_data->type != IOMMU_HWPT_DATA_VTD_S1)
		return ERR_PTR(-EOPNOTSUPP);
	if (!is_paging(parent) || !s2->nest_parent)
		return ERR_PTR(-EINVAL);
	rc = iommu_user_data_copy(&s1, sizeof(s1),
				  offsetofend(struct iommu_hwpt_vtd_s1,
					      __reserved),
				  user_data, IOMMU_HWPT_DATA_VTD_S1);
	if (rc)
		return ERR_PTR(rc);
	if ((s1.flags & ~known) || s1.__reserved)
		return ERR_PTR(-EOPNOTSUPP);
	if (s1.addr_width != 48 && s1.addr_width != 57)
		return ERR_PTR(-EINVAL);
	/* The root is read through the parent: it must be an IOVA of it */
	if (!IS_ALIGNED(s1.pgtbl_addr, VTD_PAGE_SIZE) ||
	    s1.pgtbl_addr > parent->geometry.aperture_end)
		return ERR_PTR(-EINVAL);

	nested = kzalloc(sizeof(*nested), GFP_KERNEL_ACCOUNT);
	if (!nested)
		return ERR_PTR(-ENOMEM);
	nested->nid = NUMA_NO_NODE;
	INIT_LIST_HEAD(&nested->devices);
	INIT_LIST_HEAD(&nested->s1_domains);
	INIT_LIST_HEAD(&nested->dev_pasids);
	spin_lock_init(&nested->lock);
	xa_init(&nested->iommu_array);
	nested->s2_domain = s2;
	nested->s1_pgtbl = s1.pgtbl_addr;
	nested->s1_flags = s1.flags;
	nested->s1_width = s1.addr_width;
	rc = s1_supported(iommu, nested);
	if (rc) {
		kfree(nested);
		return ERR_PTR(rc);
	}
	nested->domain.type = IOMMU_DOMAIN_NESTED;
	nested->domain.ops = &intel_nested_ops;

	spin_lock_irqsave(&s2->lock, irqflags);
	list_add(&nested->s1_link, &s2->s1_domains);
	spin_unlock_irqrestore(&s2->lock, irqflags);
	return &nested->domain;
}

/**
 * intel_iommu_domain_alloc_user() - the domain_alloc_user op of VT-d
 * @dev: the device the domain is for; its IOMMU's capabilities decide
 * @flags: IOMMU_HWPT_ALLOC_NEST_PARENT and IOMMU_HWPT_ALLOC_PASID
 * @parent: for a nested domain, its second-stage parent; else NULL
 * @user_data: for a nested domain, struct iommu_hwpt_vtd_s1; else NULL
 *
 * Return: the domain, or an ERR_PTR: -EOPNOTSUPP for flags, data or
 * features the IOMMU does not have, -EINVAL for a parent that is not a
 * nesting parent of VT-d or for bad data.
 */
struct iommu_domain *
intel_iommu_domain_alloc_user(struct device *dev, u32 flags,
			      struct iommu_domain *parent,
			      const struct iommu_user_data *user_data)
{
	struct device_domain_info *info = dev_iommu_priv_get(dev);

	if (!info || !info->iommu)
		return ERR_PTR(-ENODEV);
	if (parent)
		return nested_alloc(info->iommu, parent, flags, user_data);
	if (user_data)
		return ERR_PTR(-EOPNOTSUPP);
	return paging_alloc(info->iommu, flags);
}

/* The parent's table must reach the addresses the IOMMU can produce */
static int nested_prepare(struct dmar_domain *nested, struct device *dev)
{
	struct device_domain_info *info = dev_iommu_priv_get(dev);
	int rc;

	if (is_dma_alias(dev))
		return -EOPNOTSUPP;
	rc = s1_supported(info->iommu, nested);
	if (rc)
		return rc;
	return prepare_domain_attach_device(&nested->s2_domain->domain, dev);
}

/*
 * The RID: the shared attach path writes the RID2PASID entry through
 * intel_pasid_setup_nested(), as set_dev_pasid does for other PASIDs.
 */
static int nested_attach_dev(struct iommu_domain *domain, struct device *dev)
{
	int rc;

	rc = nested_prepare(to_dmar_domain(domain), dev);
	if (rc)
		return rc;
	return intel_iommu_attach_device(domain, dev);
}

/**
 * intel_flush_s1_range() - invalidate first-stage IOTLB entries of a range
 * @iommu: the IOMMU
 * @did: the domain ID the entries are tagged with
 * @pasid: the PASID they are tagged with (RID2PASID for the RID)
 * @addr: first address of the range, page aligned
 * @npages: pages in the range, or -1 for all of the PASID's entries
 * @ih: only leaf entries changed (invalidation hint)
 *
 * A page-selective invalidation names a naturally aligned block of a
 * power-of-two size: this issues one for the smallest block that holds
 * the whole range, or a PASID-selective one when that block is larger
 * than the IOMMU can name.
 */
void intel_flush_s1_range(struct intel_iommu *iommu, u16 did, ioasid_t pasid,
			  u64 addr, unsigned long npages, bool ih)
{
	unsigned int order;
	u64 last;

	if (npages == -1UL || npages > (U64_MAX - addr) >> VTD_PAGE_SHIFT) {
		qi_flush_piotlb(iommu, did, pasid, 0, -1, false);
		return;
	}
	last = addr + ((u64)npages << VTD_PAGE_SHIFT) - 1;
	order = fls64(addr ^ last);
	if (order >= 64 ||
	    order > VTD_PAGE_SHIFT + cap_max_amask_val(iommu->cap)) {
		qi_flush_piotlb(iommu, did, pasid, 0, -1, false);
		return;
	}
	order = max_t(unsigned int, order, VTD_PAGE_SHIFT);
	qi_flush_piotlb(iommu, did, pasid, addr & ~((1ULL << order) - 1),
			1UL << (order - VTD_PAGE_SHIFT), ih);
}

/* The device TLB of a PASID attachment: ATS translations it cached */
static void flush_pasid_devtlb(struct intel_dev_pasid *attach)
{
	struct device_domain_info *info = attach->info;
	struct intel_iommu *iommu = info->iommu;

	if (!info->ats_enabled)
		return;
	qi_flush_dev_iotlb_pasid(iommu, PCI_DEVID(info->bus, info->devfn),
				 info->pfsid, attach->pasid, info->ats_qdep, 0,
				 64 - VTD_PAGE_SHIFT);
}

/*
 * Everything a nested domain caches on @iommu, after its parent changed.
 * Its domain ID on @iommu is valid while a device or PASID attachment on
 * @iommu is listed: attach paths get the ID before they list, detach
 * paths unlist before they put it. The nested domain's lock has a class
 * of its own; its parent's is held.
 */
static void flush_nested_all(struct dmar_domain *nested,
			     struct intel_iommu *iommu)
{
	struct device_domain_info *info;
	struct intel_dev_pasid *attach;
	bool used = false;

	spin_lock(&nested->lock);
	list_for_each_entry(info, &nested->devices, link) {
		if (info->iommu != iommu)
			continue;
		used = true;
		if (info->ats_enabled)
			qi_flush_dev_iotlb(iommu,
					   PCI_DEVID(info->bus, info->devfn),
					   info->pfsid, info->ats_qdep, 0,
					   64 - VTD_PAGE_SHIFT);
	}
	list_for_each_entry(attach, &nested->dev_pasids, link) {
		if (attach->info->iommu != iommu)
			continue;
		used = true;
		flush_pasid_devtlb(attach);
	}
	if (used)
		iommu->flush.flush_iotlb(iommu,
					 domain_id_iommu(nested, iommu), 0, 0,
					 DMA_TLB_DSI_FLUSH);
	spin_unlock(&nested->lock);
}

/**
 * intel_user_domain_flush() - flush what the RID2PASID flush misses
 * @domain: a domain whose table changed in [@addr, @addr + @npages pages)
 * @iommu: the IOMMU being flushed
 * @addr: first address
 * @npages: pages, or -1 for everything
 * @ih: only leaf entries changed
 *
 * Called by the driver's IOTLB flush of @domain on @iommu, which covers
 * the RID2PASID entries of the domain's devices: this adds the PASIDs the
 * domain is attached to and the nested domains built on it.
 */
void intel_user_domain_flush(struct dmar_domain *domain,
			     struct intel_iommu *iommu, u64 addr,
			     unsigned long npages, bool ih)
{
	struct intel_dev_pasid *attach;
	struct dmar_domain *nested;
	unsigned long flags;

	if (list_empty_careful(&domain->dev_pasids) &&
	    list_empty_careful(&domain->s1_domains))
		return;

	spin_lock_irqsave(&domain->lock, flags);
	list_for_each_entry(attach, &domain->dev_pasids, link) {
		if (attach->info->iommu != iommu)
			continue;
		/* Second-stage entries are flushed by DID, for all PASIDs */
		if (is_first_level(domain))
			intel_flush_s1_range(iommu,
					     domain_id_iommu(domain, iommu),
					     attach->pasid, addr, npages, ih);
		flush_pasid_devtlb(attach);
	}
	list_for_each_entry(nested, &domain->s1_domains, s1_link)
		flush_nested_all(nested, iommu);
	spin_unlock_irqrestore(&domain->lock, flags);
}

/* Write @pasid's entry for @dmar: the same setups as for the RID */
static int pasid_setup(struct intel_iommu *iommu, struct dmar_domain *dmar,
		       struct device *dev, ioasid_t pasid)
{
	if (dmar->domain.type == IOMMU_DOMAIN_NESTED)
		return intel_pasid_setup_nested(iommu, dev, pasid, dmar);
	if (is_first_level(dmar))
		return domain_setup_first_level(iommu, dmar, dev, pasid);
	return intel_pasid_setup_second_level(iommu, dmar, dev, pasid);
}

static void dev_pasid_link(struct intel_dev_pasid *attach)
{
	unsigned long flags;

	spin_lock_irqsave(&attach->domain->lock, flags);
	list_add(&attach->link, &attach->domain->dev_pasids);
	spin_unlock_irqrestore(&attach->domain->lock, flags);
}

static void dev_pasid_unlink(struct intel_dev_pasid *attach)
{
	unsigned long flags;

	spin_lock_irqsave(&attach->domain->lock, flags);
	list_del(&attach->link);
	spin_unlock_irqrestore(&attach->domain->lock, flags);
}

/* Forget an attachment whose PASID entry no longer points to its domain */
static void dev_pasid_free(struct intel_dev_pasid *attach)
{
	dev_pasid_unlink(attach);
	domain_detach_iommu(attach->domain, attach->info->iommu);
	kfree(attach);
}

/**
 * intel_iommu_set_dev_pasid() - the set_dev_pasid op of paging and nested
 *                               domains
 * @domain: a paging domain of iommufd or a nested domain
 * @dev: a device whose PCI PASID capability is enabled
 * @pasid: the PASID, not RID2PASID; the core checked it against the
 *         device's width
 *
 * Replaces the PASID's domain, if it had one. The PASID entry is written
 * by the function that writes RID2PASID for the same kind of domain.
 * VT-d cannot change a present PASID entry in place: it is torn down and
 * written again, and on failure the previous domain's entry is restored.
 *
 * Return: 0, -EOPNOTSUPP when the IOMMU or the device has no PASID
 * support or the domain is of another kind, or an error of the setup.
 */
int intel_iommu_set_dev_pasid(struct iommu_domain *domain, struct device *dev,
			      ioasid_t pasid)
{
	struct device_domain_info *info = dev_iommu_priv_get(dev);
	struct dmar_domain *dmar = to_dmar_domain(domain);
	struct intel_iommu *iommu = info->iommu;
	struct intel_dev_pasid *attach, *old;
	int rc;

	if (!pasid_supported(iommu) || !info->pasid_enabled ||
	    is_dma_alias(dev) || pasid == PASID_RID2PASID)
		return -EOPNOTSUPP;
	if (domain->type == IOMMU_DOMAIN_NESTED)
		rc = nested_prepare(dmar, dev);
	else if (is_paging(domain))
		rc = prepare_domain_attach_device(domain, dev);
	else
		rc = -EOPNOTSUPP;
	if (rc)
		return rc;

	old = xa_load(&info->pasids, pasid);
	if (old && old->domain == dmar)
		return 0;

	attach = kzalloc(sizeof(*attach), GFP_KERNEL);
	if (!attach)
		return -ENOMEM;
	attach->info = info;
	attach->domain = dmar;
	attach->pasid = pasid;

	rc = domain_attach_iommu(dmar, iommu);
	if (rc)
		goto err_free;
	/* A new index needs memory; replacing an old one does not */
	if (!old) {
		rc = xa_insert(&info->pasids, pasid, attach, GFP_KERNEL);
		if (rc)
			goto err_detach;
	} else {
		intel_pasid_tear_down_entry(iommu, dev, pasid, false);
	}

	/* Listed first: the domain's flushes must cover the new entry */
	dev_pasid_link(attach);
	rc = pasid_setup(iommu, dmar, dev, pasid);
	if (rc)
		goto err_restore;
	if (old) {
		xa_store(&info->pasids, pasid, attach, GFP_KERNEL);
		dev_pasid_free(old);
	}
	return 0;

err_restore:
	dev_pasid_unlink(attach);
	if (old && pasid_setup(iommu, old->domain, dev, pasid))
		dev_err(dev, "PASID %u left blocked\n", pasid);
	else if (!old)
		xa_erase(&info->pasids, pasid);
err_detach:
	domain_detach_iommu(dmar, iommu);
err_free:
	kfree(attach);
	return rc;
}

/**
 * intel_iommu_remove_dev_pasid() - the remove_dev_pasid op of VT-d
 * @dev: the device
 * @pasid: a PASID set_dev_pasid attached
 *
 * The PASID entry is cleared (requests with @pasid fault afterwards) and
 * the caches are flushed for its domain ID before the domain lets go.
 */
void intel_iommu_remove_dev_pasid(struct device *dev, ioasid_t pasid)
{
	struct device_domain_info *info = dev_iommu_priv_get(dev);
	struct intel_dev_pasid *attach;

	attach = xa_erase(&info->pasids, pasid);
	if (WARN_ON(!attach))
		return;
	intel_pasid_tear_down_entry(info->iommu, dev, pasid, false);
	dev_pasid_free(attach);
}

/**
 * intel_iommu_release_pasids() - detach what a released device left
 * @info: the device, going away
 *
 * Its owner detaches every PASID before it lets the device go; whatever
 * remains is torn down here, so that no domain keeps a stale attachment.
 */
void intel_iommu_release_pasids(struct device_domain_info *info)
{
	struct intel_dev_pasid *attach;
	unsigned long pasid;

	xa_for_each(&info->pasids, pasid, attach) {
		dev_warn(info->dev, "PASID %lu still attached at release\n",
			 pasid);
		intel_iommu_remove_dev_pasid(info->dev, pasid);
	}
	xa_destroy(&info->pasids);
}

/*
 * One IOMMU_HWPT_INVALIDATE_DATA_VTD_S1 entry: the user changed its
 * first-stage table in the given range. Every PASID entry that points to
 * the table is flushed for the nested domain's DID: RID2PASID of the
 * devices attached by RID, and each attached PASID.
 */
static int nested_invalidate_one(void *owner, const void *entry)
{
	const struct iommu_hwpt_vtd_s1_invalidate *inv = entry;
	struct dmar_domain *nested = owner;
	struct device_domain_info *info;
	struct intel_dev_pasid *attach;
	unsigned long npages, flags;
	bool ih;

	if ((inv->flags & ~IOMMU_VTD_INV_FLAGS_LEAF) || inv->__reserved)
		return -EOPNOTSUPP;
	if (!IS_ALIGNED(inv->addr, VTD_PAGE_SIZE) || !inv->npages)
		return -EINVAL;
	if (inv->npages == U64_MAX) {
		if (inv->addr)
			return -EINVAL;
		npages = -1UL;
	} else {
		if (inv->npages > (U64_MAX - inv->addr) >> VTD_PAGE_SHIFT)
			return -EINVAL;
		npages = min_t(u64, inv->npages, ULONG_MAX - 1);
	}
	ih = inv->flags & IOMMU_VTD_INV_FLAGS_LEAF;

	spin_lock_irqsave(&nested->lock, flags);
	list_for_each_entry(info, &nested->devices, link) {
		intel_flush_s1_range(info->iommu,
				     domain_id_iommu(nested, info->iommu),
				     PASID_RID2PASID, inv->addr, npages, ih);
		if (info->ats_enabled)
			qi_flush_dev_iotlb(info->iommu,
					   PCI_DEVID(info->bus, info->devfn),
					   info->pfsid, info->ats_qdep, 0,
					   64 - VTD_PAGE_SHIFT);
	}
	list_for_each_entry(attach, &nested->dev_pasids, link) {
		intel_flush_s1_range(attach->info->iommu,
				     domain_id_iommu(nested,
						     attach->info->iommu),
				     attach->pasid, inv->addr, npages, ih);
		flush_pasid_devtlb(attach);
	}
	spin_unlock_irqrestore(&nested->lock, flags);
	return 0;
}

static int nested_cache_invalidate_user(struct iommu_domain *domain,
					struct iommu_user_data_array *array)
{
	struct iommu_hwpt_vtd_s1_invalidate inv;

	return iommu_user_array_apply(array, IOMMU_HWPT_INVALIDATE_DATA_VTD_S1,
				      &inv, sizeof(inv),
				      offsetofend(typeof(inv), __reserved),
				      nested_invalidate_one,
				      to_dmar_domain(domain));
}

static void nested_free(struct iommu_domain *domain)
{
	struct dmar_domain *nested = to_dmar_domain(domain);
	struct dmar_domain *s2 = nested->s2_domain;
	unsigned long flags;

	WARN_ON(!list_empty(&nested->devices) ||
		!list_empty(&nested->dev_pasids));
	spin_lock_irqsave(&s2->lock, flags);
	list_del(&nested->s1_link);
	spin_unlock_irqrestore(&s2->lock, flags);
	kfree(nested);
}

static const struct iommu_domain_ops intel_nested_ops = {
	.attach_dev = nested_attach_dev,
	.detach_dev = intel_iommu_detach_device,
	.set_dev_pasid = intel_iommu_set_dev_pasid,
	.cache_invalidate_user = nested_cache_invalidate_user,
	.free = nested_free,
};
