// SPDX-License-Identifier: GPL-2.0-only
/*
 * What the SMMUv3 driver offers to iommufd users: the ID registers of the
 * SMMU behind a device (IOMMU_GET_HW_INFO) and paging domains allocated
 * for a known device with iommufd's allocation flags (IOMMU_HWPT_ALLOC).
 *
 * A domain from arm_smmu_domain_alloc() is finalised lazily, at its first
 * attach, because only then does the driver learn which SMMU it belongs
 * to. A domain allocated here is finalised at once: the device is known,
 * and user space must learn at allocation time whether the stage it asked
 * for exists, not at attach time. Stage 1 is the default, as for the DMA
 * API; IOMMU_HWPT_ALLOC_NEST_PARENT asks for a stage-2 table, which is
 * what a VMM maps guest memory into when the guest's own stage-1 tables
 * are to be nested on top.
 */
#include <linux/iommu.h>
#include <linux/io.h>
#include <linux/slab.h>
#include <uapi/linux/iommufd.h>

#include "arm-smmu-v3.h"

/* ID registers the driver does not name, at their architected offsets */
#define SMMU_IDR2_OFFSET	0x8
#define SMMU_IDR4_OFFSET	0x10
#define SMMU_AIDR_OFFSET	0x1c

/**
 * arm_smmu_hw_info() - The ID registers of the SMMU serving @dev
 * @dev: a device probed by this driver
 * @length: set to the size of the returned data
 * @type: set to IOMMU_HW_INFO_TYPE_ARM_SMMUV3
 *
 * The registers are read from the SMMU as they are, so that a VMM sees
 * the implementation it would have to emulate: IDR0 to IDR5, IIDR and
 * AIDR, in the layout of struct iommu_hw_info_arm_smmuv3. They are
 * read-only and side-effect free, so reading them at any time is safe.
 *
 * Return: the data, which the caller frees with kfree(), or an ERR_PTR.
 */
void *arm_smmu_hw_info(struct device *dev, u32 *length, u32 *type)
{
	static const unsigned int idr_offset[] = {
		ARM_SMMU_IDR0, ARM_SMMU_IDR1, SMMU_IDR2_OFFSET,
		ARM_SMMU_IDR3, SMMU_IDR4_OFFSET, ARM_SMMU_IDR5,
	};
	struct arm_smmu_master *master = dev_iommu_priv_get(dev);
	struct iommu_hw_info_arm_smmuv3 *info;
	void __iomem *base;
	unsigned int i;

	if (!master || !master->smmu)
		return ERR_PTR(-ENODEV);
	base = master->smmu->base;

	info = kzalloc(sizeof(*info), GFP_KERNEL);
	if (!info)
		return ERR_PTR(-ENOMEM);
	BUILD_BUG_ON(ARRAY_SIZE(idr_offset) != ARRAY_SIZE(info->idr));
	for (i = 0; i < ARRAY_SIZE(info->idr); i++)
		info->idr[i] = readl_relaxed(base + idr_offset[i]);
	info->iidr = readl_relaxed(base + ARM_SMMU_IIDR);
	info->aidr = readl_relaxed(base + SMMU_AIDR_OFFSET);

	*length = sizeof(*info);
	*type = IOMMU_HW_INFO_TYPE_ARM_SMMUV3;
	return info;
}

/**
 * arm_smmu_domain_alloc_user() - A paging domain for an iommufd user
 * @dev: the device the domain is for; it fixes the SMMU
 * @flags: IOMMU_HWPT_ALLOC_* flags: NEST_PARENT for a stage-2 domain that
 *         may parent nested ones, PASID for a stage-1 domain usable on
 *         the device's substreams
 * @parent: a nesting parent for a nested domain; none are supported yet
 * @user_data: driver data for a nested domain; none is supported yet
 *
 * Return: the finalised domain, or an ERR_PTR: -EOPNOTSUPP for what this
 * SMMU or driver cannot do, -ENOMEM, or the error of finalisation.
 */
struct iommu_domain *
arm_smmu_domain_alloc_user(struct device *dev, u32 flags,
			   struct iommu_domain *parent,
			   const struct iommu_user_data *user_data)
{
	struct arm_smmu_master *master = dev_iommu_priv_get(dev);
	bool nest_parent = flags & IOMMU_HWPT_ALLOC_NEST_PARENT;
	struct arm_smmu_domain *smmu_domain;
	struct arm_smmu_device *smmu;
	struct iommu_domain *domain;
	int ret;

	if (!master || !master->smmu)
		return ERR_PTR(-ENODEV);
	smmu = master->smmu;

	if (parent || user_data)
		return ERR_PTR(-EOPNOTSUPP);
	if (flags & ~(IOMMU_HWPT_ALLOC_NEST_PARENT | IOMMU_HWPT_ALLOC_PASID))
		return ERR_PTR(-EOPNOTSUPP);
	/*
	 * A parent is a stage-2 table, which translates stream IDs only; the
	 * errata checks of probe time have cleared FEAT_NESTING where the
	 * two stages cannot be combined.
	 */
	if (nest_parent && ((flags & IOMMU_HWPT_ALLOC_PASID) ||
			    !(smmu->features & ARM_SMMU_FEAT_NESTING)))
		return ERR_PTR(-EOPNOTSUPP);
	/* Substreams exist only in stage-1 context descriptors */
	if ((flags & IOMMU_HWPT_ALLOC_PASID) &&
	    !(smmu->features & ARM_SMMU_FEAT_TRANS_S1))
		return ERR_PTR(-EOPNOTSUPP);

	domain = arm_smmu_domain_alloc(IOMMU_DOMAIN_UNMANAGED);
	if (!domain)
		return ERR_PTR(-ENOMEM);
	domain->type = IOMMU_DOMAIN_UNMANAGED;
	domain->ops = dev_iommu_ops(dev)->default_domain_ops;

	smmu_domain = to_smmu_domain(domain);
	smmu_domain->stage = nest_parent ? ARM_SMMU_DOMAIN_S2 :
					   ARM_SMMU_DOMAIN_S1;
	/* Nobody else can see the domain yet; init_mutex is not needed */
	smmu_domain->smmu = smmu;
	ret = arm_smmu_domain_finalise(domain, master);
	if (ret) {
		arm_smmu_domain_free(domain);
		return ERR_PTR(ret);
	}
	return domain;
}
