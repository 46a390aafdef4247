// SPDX-License-Identifier: GPL-2.0-only
/*
 * The IOAS object: an IO address space as userspace sees it, and the
 * commands that act on one (IOMMU_IOAS_ALLOC, IOMMU_IOAS_ALLOW_IOVAS,
 * IOMMU_IOAS_IOVA_RANGES, IOMMU_IOAS_MAP, IOMMU_IOAS_MAP_FILE,
 * IOMMU_IOAS_COPY, IOMMU_IOAS_UNMAP and the per-IOAS
 * IOMMU_OPTION_HUGE_PAGES).
 *
 * An IOAS is a struct iommufd_object wrapped around a struct
 * io_pagetable; all of its state lives in the io_pagetable. The handlers
 * here turn the uAPI's u64 values into checked unsigned long arguments
 * (zero lengths, wrapping sums) and leave the layout rules to
 * io_pagetable.c. Destroying the IOAS unmaps everything still mapped.
 *
 * Locking: this file takes no lock directly. Every handler holds a
 * reference on the IOAS (from iommufd_ioas_get()) for as long as it uses
 * it, and the iopt_ functions take the io_pagetable's lock as needed.
 */
#include <linux/file.h>
#include <linux/interval_tree.h>
#include <linux/iommu.h>
#include <linux/kernel.h>
#include <linux/sched.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <uapi/linux/iommufd.h>

#include "iommufd_private.h"

static void iommufd_ioas_destroy(struct iommufd_object *obj)
{
	struct iommufd_ioas *ioas = container_of(obj, struct iommufd_ioas, obj);

	/* Every HWPT holds its IOAS, so none is left. */
	WARN_ON(!list_empty(&ioas->hwpt_list));
	iopt_destroy(&ioas->iopt);
	mutex_destroy(&ioas->mutex);
}

static void iommufd_ioas_show(struct seq_file *m, struct iommufd_ctx *ictx,
			      struct iommufd_object *obj)
{
	static const char *const charged_to[] = {
		[IOMMUFD_CHARGE_USER] = "uid",
		[IOMMUFD_CHARGE_MM] = "pid",
		[IOMMUFD_CHARGE_MM_LOCKED] = "pid-locked",
	};
	struct iommufd_ioas *ioas = container_of(obj, struct iommufd_ioas, obj);
	struct iopt_usage usage;

	iopt_get_usage(&ioas->iopt, &usage);
	seq_printf(m, " areas=%lu mapped=%llu pinned=%lu domains=%lu accesses=%lu",
		   usage.areas, usage.mapped, usage.pinned, usage.domains,
		   usage.accesses);
	if (usage.charged_mixed)
		seq_puts(m, " charged=mixed");
	else if (usage.pinned)
		seq_printf(m, " charged=%s:%u", charged_to[usage.charge],
			   usage.charged_id);
}

const struct iommufd_otype_ops iommufd_ioas_ops = {
	.destroy = iommufd_ioas_destroy,
	.name = "ioas",
	.show = iommufd_ioas_show,
};

/**
 * iommufd_ioas_get() - look up an IOAS by ID
 * @ictx: the context to search
 * @id: the ID given by userspace
 *
 * Return: the IOAS with a reference held, to be dropped with
 * iommufd_ioas_put(), or ERR_PTR(-ENOENT).
 */
struct iommufd_ioas *iommufd_ioas_get(struct iommufd_ctx *ictx, u32 id)
{
	struct iommufd_object *obj;

	obj = iommufd_obj_get(ictx, id, IOMMUFD_OTYPE_IOAS);
	if (IS_ERR(obj))
		return ERR_CAST(obj);
	return container_of(obj, struct iommufd_ioas, obj);
}

/**
 * iommufd_ioas_create() - allocate an empty, unpublished IOAS
 * @ictx: the context
 *
 * Return: the IOAS, to be published with iommufd_obj_publish() or undone
 * with iommufd_obj_abort(), or an ERR_PTR.
 */
struct iommufd_ioas *iommufd_ioas_create(struct iommufd_ctx *ictx)
{
	struct iommufd_ioas *ioas;

	ioas = iommufd_obj_new(ictx, struct iommufd_ioas, IOMMUFD_OTYPE_IOAS);
	if (IS_ERR(ioas))
		return ioas;
	iopt_init(&ioas->iopt);
	mutex_init(&ioas->mutex);
	INIT_LIST_HEAD(&ioas->hwpt_list);
	return ioas;
}

int iommufd_ioas_alloc_ioctl(struct iommufd_ucmd *ucmd)
{
	struct iommu_ioas_alloc *cmd = ucmd->cmd;
	struct iommufd_ioas *ioas;
	int rc;

	if (cmd->flags)
		return -EOPNOTSUPP;

	ioas = iommufd_ioas_create(ucmd->ictx);
	if (IS_ERR(ioas))
		return PTR_ERR(ioas);

	/* Tell userspace the ID before anyone can destroy the object. */
	cmd->out_ioas_id = ioas->obj.id;
	rc = iommufd_ucmd_respond(ucmd);
	if (rc) {
		iommufd_obj_abort(ucmd->ictx, &ioas->obj);
		return rc;
	}
	iommufd_obj_publish(ucmd->ictx, &ioas->obj);
	return 0;
}

int iommufd_ioas_allow_iovas_ioctl(struct iommufd_ucmd *ucmd)
{
	struct iommu_ioas_allow_iovas *cmd = ucmd->cmd;
	struct iommu_iova_range __user *uranges;
	struct rb_root_cached itree = RB_ROOT_CACHED;
	struct iommufd_ioas *ioas;
	u32 i;
	int rc = 0;

	if (cmd->__reserved)
		return -EOPNOTSUPP;

	ioas = iommufd_ioas_get(ucmd->ictx, cmd->ioas_id);
	if (IS_ERR(ioas))
		return PTR_ERR(ioas);

	/* Build the whole new set first so a bad entry changes nothing. */
	uranges = u64_to_user_ptr(cmd->allowed_iovas);
	for (i = 0; i != cmd->num_iovas; i++) {
		struct iommu_iova_range range;

		if (copy_from_user(&range, &uranges[i], sizeof(range))) {
			rc = -EFAULT;
			goto out_free;
		}
		/* Only reachable where unsigned long is 32 bits wide. */
		if (range.start > ULONG_MAX || range.last > ULONG_MAX) {
			rc = -EOVERFLOW;
			goto out_free;
		}
		rc = iopt_allowed_add(&itree, range.start, range.last);
		if (rc)
			goto out_free;
		cond_resched();
	}
	rc = iopt_set_allowed(&ioas->iopt, &itree);

out_free:
	/* The rejected new set, or the old one that was replaced. */
	iopt_allowed_free(&itree);
	iommufd_ioas_put(ioas);
	return rc;
}

/* State of an IOMMU_IOAS_IOVA_RANGES walk */
/*
 * IOMMU_IOAS_IOVA_RANGES. The ranges are gathered in kernel memory and
 * copied out with no lock held (see iopt_get_usable_ranges()). What fits
 * in the caller's array is written; num_iovas always says how many there
 * are, and -EMSGSIZE tells that some did not fit.
 */
int iommufd_ioas_iova_ranges_ioctl(struct iommufd_ucmd *ucmd)
{
	struct iommu_ioas_iova_ranges *cmd = ucmd->cmd;
	struct iommu_iova_range __user *uranges;
	struct iommufd_ioas *ioas;
	struct iopt_range *ranges;
	unsigned long alignment;
	unsigned int count, i;
	int rc;

	if (cmd->__reserved)
		return -EOPNOTSUPP;

	ioas = iommufd_ioas_get(ucmd->ictx, cmd->ioas_id);
	if (IS_ERR(ioas))
		return PTR_ERR(ioas);
	rc = iopt_get_usable_ranges(&ioas->iopt, &ranges, &count, &alignment);
	iommufd_ioas_put(ioas);
	if (rc)
		return rc;

	uranges = u64_to_user_ptr(cmd->allowed_iovas);
	for (i = 0; i < count && i < cmd->num_iovas; i++) {
		struct iommu_iova_range elm = {
			.start = ranges[i].start,
			.last = ranges[i].last,
		};

		if (copy_to_user(&uranges[i], &elm, sizeof(elm))) {
			rc = -EFAULT;
			goto out_free;
		}
	}

	/* The struct goes back even when the array was too small. */
	i = cmd->num_iovas;
	cmd->num_iovas = count;
	cmd->out_iova_alignment = alignment;
	rc = iommufd_ucmd_respond(ucmd);
	if (!rc && count > i)
		rc = -EMSGSIZE;
out_free:
	kvfree(ranges);
	return rc;
}

#define IOMMUFD_MAP_FLAGS                                                    \
	(IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_WRITEABLE |              \
	 IOMMU_IOAS_MAP_READABLE)

/*
 * Protection for the page tables. Userspace has no way to flush CPU
 * caches for a device, so mappings are always cache coherent.
 */
static int iommufd_map_prot(u32 map_flags)
{
	int prot = IOMMU_CACHE;

	if (map_flags & IOMMU_IOAS_MAP_WRITEABLE)
		prot |= IOMMU_WRITE;
	if (map_flags & IOMMU_IOAS_MAP_READABLE)
		prot |= IOMMU_READ;
	return prot;
}

/*
 * Checks shared by MAP, MAP_FILE and COPY: EOPNOTSUPP for unknown flags,
 * EINVAL for a zero length or a mapping neither readable nor writeable.
 */
static int iommufd_check_map_flags(u32 flags, u64 length)
{
	if (flags & ~IOMMUFD_MAP_FLAGS)
		return -EOPNOTSUPP;
	if (!length ||
	    !(flags & (IOMMU_IOAS_MAP_WRITEABLE | IOMMU_IOAS_MAP_READABLE)))
		return -EINVAL;
	return 0;
}

/*
 * IOMMU_IOAS_MAP. Argument errors, in the order they are checked:
 * EOPNOTSUPP for unknown flags or a non-zero __reserved; EINVAL for a
 * zero length or neither READABLE nor WRITEABLE; EOVERFLOW when iova +
 * length - 1 or user_va + length wraps (or a value does not fit an
 * unsigned long); ENOENT for a bad ioas_id; then the layout and pinning
 * errors of iopt_map_user_pages(). A kernel-chosen IOVA is written back;
 * if that write faults the mapping stays and EFAULT is returned.
 */
int iommufd_ioas_map_ioctl(struct iommufd_ucmd *ucmd)
{
	struct iommu_ioas_map *cmd = ucmd->cmd;
	bool fixed = cmd->flags & IOMMU_IOAS_MAP_FIXED_IOVA;
	struct iommufd_ioas *ioas;
	unsigned long iova;
	u64 end;
	int rc;

	if (cmd->__reserved)
		return -EOPNOTSUPP;
	rc = iommufd_check_map_flags(cmd->flags, cmd->length);
	if (rc)
		return rc;
	if (check_add_overflow(cmd->iova, cmd->length - 1, &end) ||
	    check_add_overflow(cmd->user_va, cmd->length, &end))
		return -EOVERFLOW;
	/* Only reachable where unsigned long is 32 bits wide. */
	if (cmd->iova > ULONG_MAX || cmd->length > ULONG_MAX ||
	    cmd->user_va > ULONG_MAX - cmd->length)
		return -EOVERFLOW;

	ioas = iommufd_ioas_get(ucmd->ictx, cmd->ioas_id);
	if (IS_ERR(ioas))
		return PTR_ERR(ioas);

	iova = cmd->iova;
	rc = iopt_map_user_pages(&ioas->iopt, &iova, cmd->user_va, cmd->length,
				 iommufd_map_prot(cmd->flags), fixed,
				 ucmd->ictx->charge_mode);
	if (!rc && !fixed) {
		cmd->iova = iova;
		rc = iommufd_ucmd_respond(ucmd);
	}
	iommufd_ioas_put(ioas);
	return rc;
}

/**
 * iommufd_ioas_map_file_ioctl() - IOMMU_IOAS_MAP_FILE
 * @ucmd: the call; its argument is a struct iommu_ioas_map_file
 *
 * Return: 0 or a negative errno, as documented in the uAPI header.
 */
int iommufd_ioas_map_file_ioctl(struct iommufd_ucmd *ucmd)
{
	struct iommu_ioas_map_file *cmd = ucmd->cmd;
	bool fixed = cmd->flags & IOMMU_IOAS_MAP_FIXED_IOVA;
	struct iommufd_ioas *ioas;
	unsigned long iova;
	struct file *file;
	u64 end;
	int rc;

	rc = iommufd_check_map_flags(cmd->flags, cmd->length);
	if (rc)
		return rc;
	if (check_add_overflow(cmd->iova, cmd->length - 1, &end) ||
	    check_add_overflow(cmd->start, cmd->length, &end) ||
	    end > LLONG_MAX)
		return -EOVERFLOW;
	if (cmd->iova > ULONG_MAX || cmd->length > ULONG_MAX ||
	    cmd->start > ULONG_MAX)
		return -EOVERFLOW;

	file = fget(cmd->fd);
	if (!file)
		return -EBADF;

	ioas = iommufd_ioas_get(ucmd->ictx, cmd->ioas_id);
	if (IS_ERR(ioas)) {
		rc = PTR_ERR(ioas);
		goto out_fput;
	}

	iova = cmd->iova;
	rc = iopt_map_file_pages(&ioas->iopt, &iova, file, cmd->start,
				 cmd->length, iommufd_map_prot(cmd->flags),
				 fixed,
				 ucmd->ictx->charge_mode);
	if (!rc && !fixed) {
		cmd->iova = iova;
		rc = iommufd_ucmd_respond(ucmd);
	}
	iommufd_ioas_put(ioas);
out_fput:
	fput(file);
	return rc;
}

/*
 * IOMMU_IOAS_COPY. Argument errors, in the order they are checked:
 * EOPNOTSUPP for unknown flags; EINVAL for a zero length or neither
 * READABLE nor WRITEABLE; EOVERFLOW when src_iova + length - 1 wraps, or
 * dst_iova + length - 1 with FIXED_IOVA (without it dst_iova is only an
 * output); ENOENT for a bad IOAS ID; then the errors of iopt_copy_iova().
 * A kernel-chosen IOVA is written back; if that write faults the
 * mapping stays and EFAULT is returned.
 */
int iommufd_ioas_copy_ioctl(struct iommufd_ucmd *ucmd)
{
	struct iommu_ioas_copy *cmd = ucmd->cmd;
	bool fixed = cmd->flags & IOMMU_IOAS_MAP_FIXED_IOVA;
	struct iommufd_ioas *src, *dst;
	unsigned long iova;
	u64 last;
	int rc;

	rc = iommufd_check_map_flags(cmd->flags, cmd->length);
	if (rc)
		return rc;
	/* The ULONG_MAX tests only matter where unsigned long is 32 bits. */
	if (check_add_overflow(cmd->src_iova, cmd->length - 1, &last) ||
	    last > ULONG_MAX)
		return -EOVERFLOW;
	if (fixed && (check_add_overflow(cmd->dst_iova, cmd->length - 1,
					 &last) || last > ULONG_MAX))
		return -EOVERFLOW;

	src = iommufd_ioas_get(ucmd->ictx, cmd->src_ioas_id);
	if (IS_ERR(src))
		return PTR_ERR(src);
	dst = iommufd_ioas_get(ucmd->ictx, cmd->dst_ioas_id);
	if (IS_ERR(dst)) {
		rc = PTR_ERR(dst);
		goto out_put_src;
	}

	iova = fixed ? cmd->dst_iova : 0;
	rc = iopt_copy_iova(&dst->iopt, &iova, &src->iopt, cmd->src_iova,
			    cmd->length, iommufd_map_prot(cmd->flags), fixed);
	if (!rc && !fixed) {
		cmd->dst_iova = iova;
		rc = iommufd_ucmd_respond(ucmd);
	}

	iommufd_ioas_put(dst);
out_put_src:
	iommufd_ioas_put(src);
	return rc;
}

/*
 * IOMMU_IOAS_UNMAP. iova 0 with length U64_MAX unmaps everything and
 * succeeds on an empty IOAS. Otherwise: EINVAL for a zero length,
 * EOVERFLOW when iova + length - 1 wraps, ENOENT when the range holds no
 * mapping or cuts one (then nothing is unmapped). The number of bytes
 * unmapped is written back on success.
 */
int iommufd_ioas_unmap_ioctl(struct iommufd_ucmd *ucmd)
{
	struct iommu_ioas_unmap *cmd = ucmd->cmd;
	struct iommufd_ioas *ioas;
	unsigned long unmapped;
	u64 last;
	int rc;

	if (cmd->iova == 0 && cmd->length == U64_MAX) {
		last = ULONG_MAX;
	} else {
		if (!cmd->length)
			return -EINVAL;
		if (check_add_overflow(cmd->iova, cmd->length - 1, &last))
			return -EOVERFLOW;
		/* Only reachable where unsigned long is 32 bits wide. */
		if (last > ULONG_MAX)
			return -EOVERFLOW;
	}

	ioas = iommufd_ioas_get(ucmd->ictx, cmd->ioas_id);
	if (IS_ERR(ioas))
		return PTR_ERR(ioas);

	if (cmd->iova == 0 && cmd->length == U64_MAX)
		rc = iopt_unmap_all(&ioas->iopt, &unmapped);
	else
		rc = iopt_unmap_iova(&ioas->iopt, cmd->iova, last, &unmapped);
	if (!rc) {
		cmd->length = unmapped;
		rc = iommufd_ucmd_respond(ucmd);
	}
	iommufd_ioas_put(ioas);
	return rc;
}

/* IOMMU_OPTION_HUGE_PAGES: object_id names the IOAS */
int iommufd_ioas_huge_pages_option(struct iommufd_ucmd *ucmd)
{
	struct iommu_option *cmd = ucmd->cmd;
	struct iommufd_ioas *ioas;
	int rc = 0;

	ioas = iommufd_ioas_get(ucmd->ictx, cmd->object_id);
	if (IS_ERR(ioas))
		return PTR_ERR(ioas);

	switch (cmd->op) {
	case IOMMU_OPTION_OP_GET:
		cmd->val64 = iopt_huge_pages_enabled(&ioas->iopt);
		break;
	case IOMMU_OPTION_OP_SET:
		if (cmd->val64 > 1)
			rc = -EINVAL;
		else
			rc = iopt_set_huge_pages(&ioas->iopt, cmd->val64);
		break;
	default:
		rc = -EOPNOTSUPP;
		break;
	}

	iommufd_ioas_put(ioas);
	return rc;
}
