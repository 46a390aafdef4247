// SPDX-License-Identifier: GPL-2.0-only
/*
 * What the SMMUv3 driver offers to iommufd users: the ID registers of the
 * SMMU behind a device (IOMMU_GET_HW_INFO), paging domains allocated for
 * a known device with iommufd's allocation flags (IOMMU_HWPT_ALLOC), and
 * nested translation through vIOMMU objects.
 *
 * A domain from arm_smmu_domain_alloc() is finalised lazily, at its first
 * attach, because only then does the driver learn which SMMU it belongs
 * to. A domain allocated here is finalised at once: the device is known,
 * and user space must learn at allocation time whether the stage it asked
 * for exists, not at attach time. Stage 1 is the default, as for the DMA
 * API; IOMMU_HWPT_ALLOC_NEST_PARENT asks for a stage-2 table, which is
 * what a VMM maps guest memory into when the guest's own stage-1 tables
 * are to be nested on top.
 *
 * Nesting. A vIOMMU (struct arm_vsmmu) stands for one SMMU that a VMM
 * emulates, on one physical SMMU, over a stage-2 parent domain whose VMID
 * tags every TLB entry made for the guest. The guest describes each of
 * its devices by a stream table entry; a nested domain carries the
 * stage-1 half of it (words 0-1, checked here), and attaching it makes
 * arm_smmu_write_strtab_ent() install an entry that combines that stage 1
 * with the parent's stage 2. The guest's invalidation commands come back
 * through the vIOMMU: stage-1 TLB, ATC and CD-cache commands only, with
 * the VMID forced to the vIOMMU's and virtual stream IDs replaced by
 * physical ones, onto the real command queue in batches. Stage-1 faults
 * of a device with a vDEVICE go to the vIOMMU's event queue under the
 * virtual stream ID; stage-2 faults stay with the host.
 *
 * master->nested changes under the SMMU's streams_mutex, which the event
 * thread holds while it looks at it: a nested domain cannot be freed
 * before its devices moved to another domain, so a non-NULL pointer seen
 * under the mutex stays valid until it is released.
 */
#include <linux/iommu.h>
#include <linux/iommufd.h>
#include <linux/io.h>
#include <linux/moduleparam.h>
#include <linux/slab.h>
#include <uapi/linux/iommufd.h>

#include "arm-smmu-v3.h"

/*
 * VFIO and iommufd do no cache maintenance for user DMA: they rely on
 * it being coherent. A guest's stage 1 sets memory attributes of its
 * own, and unless stage 2 forces write-back (S2FWB) it can make the
 * device's accesses non-cacheable, reading memory behind the caches'
 * back (stale data of the page's previous owner included). So vIOMMUs
 * are only offered on SMMUs with S2FWB, unless the administrator accepts
 * that risk, as on emulated SMMUs for testing.
 */
static bool allow_unsafe_nesting;
module_param(allow_unsafe_nesting, bool, 0644);
MODULE_PARM_DESC(allow_unsafe_nesting,
		 "Offer nested translation (vIOMMUs) on SMMUs without stage-2 forced write-back, whose guests can make DMA non-coherent");

#define IDR3_FWB		BIT(8)
#define STRTAB_STE_2_S2FWB	BIT_ULL(25)

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
 * AIDR, in the layout of struct iommu_hw_info_arm_smmuv3, less what a
 * guest cannot use through a vIOMMU (PRI, stalls). They are read-only
 * and side-effect free, so reading them at any time is safe.
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
	/* A guest gets neither page requests nor stalls passed on */
	info->idr[0] &= ~(IDR0_PRI | IDR0_STALL_MODEL);
	info->idr[0] |= FIELD_PREP(IDR0_STALL_MODEL, 1);
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
	/* A stage-2 domain that stage-1 tables may be nested on */
	smmu_domain->stage = nest_parent ? ARM_SMMU_DOMAIN_NESTED :
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

/* Architected command opcodes and event IDs 6.1's header does not name */
#define CMDQ_OP_TLBI_NH_ALL_NUM		0x10
#define CMDQ_OP_TLBI_NH_VAA_NUM		0x13
#define EVT_ID_BAD_STE_NUM		0x04
#define EVT_ID_STREAM_DISABLED_NUM	0x06
#define EVT_ID_BAD_SUBSTREAMID_NUM	0x08
#define EVT_ID_BAD_CD_NUM		0x0a

/* The STE fields a guest may set in a nested domain's words 0 and 1 */
#define NESTED_STE0_MASK	(STRTAB_STE_0_V | STRTAB_STE_0_CFG |	\
				 STRTAB_STE_0_S1FMT |			\
				 STRTAB_STE_0_S1CTXPTR_MASK |		\
				 STRTAB_STE_0_S1CDMAX)
#define NESTED_STE1_MASK	(STRTAB_STE_1_S1DSS | STRTAB_STE_1_S1CIR | \
				 STRTAB_STE_1_S1COR | STRTAB_STE_1_S1CSH | \
				 STRTAB_STE_1_S1STALLD | STRTAB_STE_1_EATS)

/**
 * struct arm_vsmmu - an SMMUv3 as one guest sees it
 * @core: the iommufd part
 * @smmu: the physical SMMU
 * @s2_parent: the stage-2 domain, held by @core through its HWPT
 * @vmid: the VMID of everything nested in this vIOMMU (the parent's)
 * @fwb: the SMMU has S2FWB, which nested entries then set
 */
struct arm_vsmmu {
	struct iommufd_viommu core;
	struct arm_smmu_device *smmu;
	struct arm_smmu_domain *s2_parent;
	u16 vmid;
	bool fwb;
};

/* Whether @smmu forces stage 2's write-back attributes on request */
static bool arm_smmu_has_fwb(struct arm_smmu_device *smmu)
{
	return readl_relaxed(smmu->base + ARM_SMMU_IDR3) & IDR3_FWB;
}

/**
 * struct arm_smmu_nested_domain - the guest's stage 1 for some devices
 * @domain: the IOMMU_DOMAIN_NESTED domain
 * @vsmmu: the vIOMMU it was allocated on
 * @ste: the guest's STE words 0 and 1, checked, little-endian
 */
struct arm_smmu_nested_domain {
	struct iommu_domain domain;
	struct arm_vsmmu *vsmmu;
	__le64 ste[2];
};

static struct arm_vsmmu *to_vsmmu(struct iommufd_viommu *viommu)
{
	return container_of(viommu, struct arm_vsmmu, core);
}

static struct arm_smmu_nested_domain *to_nested(struct iommu_domain *domain)
{
	return container_of(domain, struct arm_smmu_nested_domain, domain);
}

/**
 * arm_smmu_nested_ste() - compose a nested stream table entry
 * @nested: the nested domain attached to the stream's master
 * @val: word 0 as arm_smmu_write_strtab_ent() built it for the stage-2
 *       parent
 * @dst: the entry being written; word 1 is set here for stage 1
 *
 * The guest's Config decides: stage-1 translation gets the guest's
 * stage-1 fields and both stages; bypass leaves the parent's stage 2
 * alone; abort (or an invalid guest entry) aborts.
 *
 * Return: word 0 to install.
 */
u64 arm_smmu_nested_ste(const struct arm_smmu_nested_domain *nested,
			u64 val, __le64 *dst)
{
	u64 ste0 = le64_to_cpu(nested->ste[0]);
	u64 ste1 = le64_to_cpu(nested->ste[1]);

	if (!(ste0 & STRTAB_STE_0_V))
		return STRTAB_STE_0_V |
		       FIELD_PREP(STRTAB_STE_0_CFG, STRTAB_STE_0_CFG_ABORT);

	switch (FIELD_GET(STRTAB_STE_0_CFG, ste0)) {
	case STRTAB_STE_0_CFG_S1_TRANS:
		val &= ~STRTAB_STE_0_CFG;
		val |= FIELD_PREP(STRTAB_STE_0_CFG, STRTAB_STE_0_CFG_NESTED) |
		       (ste0 & (STRTAB_STE_0_S1FMT | STRTAB_STE_0_S1CTXPTR_MASK |
				STRTAB_STE_0_S1CDMAX));
		/* Stage 2 decides cacheability, whatever stage 1 says */
		if (nested->vsmmu->fwb)
			dst[2] |= cpu_to_le64(STRTAB_STE_2_S2FWB);
		/*
		 * The guest's stage 1 is an EL1 regime. EATS is the driver's
		 * business: it is added below for masters with ATS enabled.
		 */
		dst[1] = cpu_to_le64((ste1 & NESTED_STE1_MASK &
				      ~STRTAB_STE_1_EATS) |
				     FIELD_PREP(STRTAB_STE_1_SHCFG,
						STRTAB_STE_1_SHCFG_INCOMING) |
				     FIELD_PREP(STRTAB_STE_1_STRW,
						STRTAB_STE_1_STRW_NSEL1));
		return val;
	case STRTAB_STE_0_CFG_BYPASS:
		return val;
	default:
		return STRTAB_STE_0_V |
		       FIELD_PREP(STRTAB_STE_0_CFG, STRTAB_STE_0_CFG_ABORT);
	}
}

static int arm_smmu_nested_attach_dev(struct iommu_domain *domain,
				      struct device *dev)
{
	struct arm_smmu_nested_domain *nested = to_nested(domain);
	struct arm_smmu_master *master = dev_iommu_priv_get(dev);

	if (!master || master->smmu != nested->vsmmu->smmu)
		return -EINVAL;
	return arm_smmu_attach_dev_nested(nested->vsmmu->s2_parent, dev,
					  nested);
}

static void arm_smmu_nested_free(struct iommu_domain *domain)
{
	kfree(to_nested(domain));
}

static const struct iommu_domain_ops arm_smmu_nested_ops = {
	.attach_dev = arm_smmu_nested_attach_dev,
	.free = arm_smmu_nested_free,
};

/*
 * Check the guest's STE words: only the stage-1 fields, a Config of
 * abort, bypass or stage-1 translation, and no ATS translation request
 * beyond plain EATS.
 */
static int arm_vsmmu_check_ste(__le64 *ste)
{
	u64 ste0 = le64_to_cpu(ste[0]), ste1 = le64_to_cpu(ste[1]);

	if ((ste0 & ~NESTED_STE0_MASK) || (ste1 & ~NESTED_STE1_MASK))
		return -EIO;
	if (!(ste0 & STRTAB_STE_0_V))
		ste0 = 0;
	switch (FIELD_GET(STRTAB_STE_0_CFG, ste0)) {
	case STRTAB_STE_0_CFG_ABORT:
	case STRTAB_STE_0_CFG_BYPASS:
		/* Nothing of stage 1 is used: keep nothing of it */
		ste0 &= STRTAB_STE_0_V | STRTAB_STE_0_CFG;
		ste1 = 0;
		break;
	case STRTAB_STE_0_CFG_S1_TRANS:
		if (FIELD_GET(STRTAB_STE_1_EATS, ste1) > STRTAB_STE_1_EATS_TRANS)
			return -EIO;
		break;
	default:
		return -EIO;
	}
	ste[0] = cpu_to_le64(ste0);
	ste[1] = cpu_to_le64(ste1);
	return 0;
}

static struct iommu_domain *
arm_vsmmu_alloc_domain_nested(struct iommufd_viommu *viommu, u32 flags,
			      const struct iommu_user_data *user_data)
{
	struct arm_smmu_nested_domain *nested;
	struct iommu_hwpt_arm_smmuv3 arg;
	int ret;

	if (flags)
		return ERR_PTR(-EOPNOTSUPP);
	if (user_data->type != IOMMU_HWPT_DATA_ARM_SMMUV3)
		return ERR_PTR(-EOPNOTSUPP);
	ret = iommu_user_data_copy(&arg, sizeof(arg),
				   offsetofend(typeof(arg), ste), user_data,
				   IOMMU_HWPT_DATA_ARM_SMMUV3);
	if (ret)
		return ERR_PTR(ret);
	ret = arm_vsmmu_check_ste(arg.ste);
	if (ret)
		return ERR_PTR(ret);

	nested = kzalloc(sizeof(*nested), GFP_KERNEL_ACCOUNT);
	if (!nested)
		return ERR_PTR(-ENOMEM);
	nested->domain.type = IOMMU_DOMAIN_NESTED;
	nested->domain.ops = &arm_smmu_nested_ops;
	nested->vsmmu = to_vsmmu(viommu);
	nested->ste[0] = arg.ste[0];
	nested->ste[1] = arg.ste[1];
	return &nested->domain;
}

/* The physical stream ID of the device the guest calls @vsid */
static int arm_vsmmu_vsid_to_sid(struct arm_vsmmu *vsmmu, u32 vsid, u32 *sid)
{
	struct arm_smmu_master *master;
	struct device *dev;

	dev = iommufd_viommu_find_dev(&vsmmu->core, vsid);
	if (!dev)
		return -EIO;
	master = dev_iommu_priv_get(dev);
	/* A guest sees one stream per device */
	*sid = master->streams[0].id;
	return 0;
}

/* Make a guest command safe for the real queue, or refuse it */
static int arm_vsmmu_convert_cmd(struct arm_vsmmu *vsmmu, u64 *cmd)
{
	u32 sid;
	int ret;

	switch (FIELD_GET(CMDQ_0_OP, cmd[0])) {
	case CMDQ_OP_TLBI_NH_ALL_NUM:
	case CMDQ_OP_TLBI_NH_ASID:
	case CMDQ_OP_TLBI_NH_VA:
	case CMDQ_OP_TLBI_NH_VAA_NUM:
		/* Whatever VMID the guest wrote, it gets only its own */
		cmd[0] &= ~CMDQ_TLBI_0_VMID;
		cmd[0] |= FIELD_PREP(CMDQ_TLBI_0_VMID, vsmmu->vmid);
		return 0;
	case CMDQ_OP_ATC_INV:
	case CMDQ_OP_CFGI_CD:
	case CMDQ_OP_CFGI_CD_ALL:
		/* The stream ID field is at the same place in all three */
		ret = arm_vsmmu_vsid_to_sid(vsmmu,
					    FIELD_GET(CMDQ_CFGI_0_SID, cmd[0]),
					    &sid);
		if (ret)
			return ret;
		cmd[0] &= ~CMDQ_CFGI_0_SID;
		cmd[0] |= FIELD_PREP(CMDQ_CFGI_0_SID, sid);
		return 0;
	default:
		return -EIO;
	}
}

static int arm_vsmmu_cache_invalidate(struct iommufd_viommu *viommu,
				      struct iommu_user_data_array *array)
{
	struct arm_vsmmu *vsmmu = to_vsmmu(viommu);
	struct iommu_viommu_arm_smmuv3_invalidate entry;
	u64 cmds[CMDQ_BATCH_ENTRIES * CMDQ_ENT_DWORDS];
	u32 done = 0, queued = 0, i;
	int ret = 0, ret2;

	if (array->type != IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3) {
		array->entry_num = 0;
		return -EINVAL;
	}
	for (i = 0; i != array->entry_num; i++) {
		ret = iommu_user_array_copy_entry(&entry, sizeof(entry),
						  offsetofend(typeof(entry), cmd),
						  array,
						  IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3,
						  i);
		if (ret)
			break;
		cmds[queued * CMDQ_ENT_DWORDS] = le64_to_cpu(entry.cmd[0]);
		cmds[queued * CMDQ_ENT_DWORDS + 1] = le64_to_cpu(entry.cmd[1]);
		ret = arm_vsmmu_convert_cmd(vsmmu, &cmds[queued * CMDQ_ENT_DWORDS]);
		if (ret)
			break;
		if (++queued == CMDQ_BATCH_ENTRIES) {
			ret = arm_smmu_cmdq_issue_cmdlist(vsmmu->smmu, cmds,
							  queued, true);
			if (ret)
				break;
			done += queued;
			queued = 0;
		}
	}
	/* What was accepted before a bad entry is still carried out */
	if (queued) {
		ret2 = arm_smmu_cmdq_issue_cmdlist(vsmmu->smmu, cmds, queued,
						   true);
		if (!ret2)
			done += queued;
		ret = ret ?: ret2;
	}
	array->entry_num = done;
	return ret;
}

static const struct iommufd_viommu_ops arm_vsmmu_ops = {
	.alloc_domain_nested = arm_vsmmu_alloc_domain_nested,
	.cache_invalidate = arm_vsmmu_cache_invalidate,
};

/**
 * arm_smmu_viommu_size() - the size of an SMMUv3 vIOMMU
 * @dev: a device of the SMMU
 * @viommu_type: the vIOMMU type asked for
 *
 * Return: the size for IOMMU_VIOMMU_TYPE_ARM_SMMUV3 on an SMMU that can
 * nest and keep the guest's DMA coherent (see allow_unsafe_nesting),
 * else 0.
 */
size_t arm_smmu_viommu_size(struct device *dev, unsigned int viommu_type)
{
	struct arm_smmu_master *master = dev_iommu_priv_get(dev);

	if (!IS_REACHABLE(CONFIG_IOMMUFD) ||
	    viommu_type != IOMMU_VIOMMU_TYPE_ARM_SMMUV3 || !master ||
	    !(master->smmu->features & ARM_SMMU_FEAT_NESTING))
		return 0;
	if (!arm_smmu_has_fwb(master->smmu) &&
	    !READ_ONCE(allow_unsafe_nesting))
		return 0;
	return sizeof(struct arm_vsmmu);
}

/**
 * arm_smmu_viommu_init() - set up an SMMUv3 vIOMMU
 * @viommu: the vIOMMU, of the size arm_smmu_viommu_size() gave
 * @parent: the stage-2 parent: a NEST_PARENT domain of this SMMU
 * @user_data: must be NULL: the type has no data
 *
 * Return: 0, or -EINVAL for a parent of another kind or SMMU, or data.
 */
int arm_smmu_viommu_init(struct iommufd_viommu *viommu,
			 struct iommu_domain *parent,
			 const struct iommu_user_data *user_data)
{
	struct arm_smmu_device *smmu =
		container_of(viommu->iommu_dev, struct arm_smmu_device, iommu);
	struct arm_vsmmu *vsmmu = to_vsmmu(viommu);
	struct arm_smmu_domain *s2;

	if (user_data || parent->ops != smmu->iommu.ops->default_domain_ops)
		return -EINVAL;
	s2 = to_smmu_domain(parent);
	if (s2->stage != ARM_SMMU_DOMAIN_NESTED || s2->smmu != smmu)
		return -EINVAL;

	vsmmu->smmu = smmu;
	vsmmu->s2_parent = s2;
	vsmmu->vmid = s2->s2_cfg.vmid;
	vsmmu->fwb = arm_smmu_has_fwb(smmu);
	viommu->ops = &arm_vsmmu_ops;
	return 0;
}

/**
 * arm_smmu_nested_event() - hand an event to the guest it belongs to
 * @smmu: the SMMU that reported it
 * @evt: the event-queue record
 *
 * Stage-1 faults and configuration errors of a stream whose master is
 * attached to a nested domain go to its vIOMMU's event queue, with the
 * virtual stream ID of the master's vDEVICE.
 *
 * Return: 0 when the guest got the event; an errno when the host is to
 * handle it as usual.
 */
int arm_smmu_nested_event(struct arm_smmu_device *smmu, u64 *evt)
{
	struct iommu_vevent_arm_smmuv3 vevt;
	struct arm_smmu_master *master;
	unsigned long vsid;
	int ret, i;

	switch (FIELD_GET(EVTQ_0_ID, evt[0])) {
	case EVT_ID_TRANSLATION_FAULT:
	case EVT_ID_ADDR_SIZE_FAULT:
	case EVT_ID_ACCESS_FAULT:
	case EVT_ID_PERMISSION_FAULT:
		if (evt[1] & EVTQ_1_S2)
			return -EOPNOTSUPP;
		break;
	case EVT_ID_BAD_STE_NUM:
	case EVT_ID_STREAM_DISABLED_NUM:
	case EVT_ID_BAD_SUBSTREAMID_NUM:
	case EVT_ID_BAD_CD_NUM:
		break;
	default:
		return -EOPNOTSUPP;
	}

	mutex_lock(&smmu->streams_mutex);
	master = arm_smmu_find_master(smmu, FIELD_GET(EVTQ_0_SID, evt[0]));
	if (!master || !master->nested) {
		ret = -ENOENT;
		goto out_unlock;
	}
	ret = iommufd_viommu_get_vdev_id(&master->nested->vsmmu->core,
					 master->dev, &vsid);
	if (ret)
		goto out_unlock;
	for (i = 0; i != ARRAY_SIZE(vevt.evt); i++)
		vevt.evt[i] = cpu_to_le64(evt[i]);
	vevt.evt[0] &= ~cpu_to_le64(EVTQ_0_SID);
	vevt.evt[0] |= cpu_to_le64(FIELD_PREP(EVTQ_0_SID, vsid));
	ret = iommufd_viommu_report_event(&master->nested->vsmmu->core,
					  IOMMU_VEVENTQ_TYPE_ARM_SMMUV3,
					  &vevt, sizeof(vevt));
out_unlock:
	mutex_unlock(&smmu->streams_mutex);
	return ret;
}
