// SPDX-License-Identifier: GPL-2.0-only
/*
 * The VFIO compatibility layer: which IOAS of a context stands in for a
 * legacy VFIO container (IOMMU_VFIO_IOAS).
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
#include <linux/kernel.h>
#include <linux/refcount.h>
#include <uapi/linux/iommufd.h>

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
