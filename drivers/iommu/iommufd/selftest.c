// SPDX-License-Identifier: GPL-2.0-only
/*
 * IOMMU_TEST_CMD, the test-only command (CONFIG_IOMMUFD_TEST); its
 * argument is described in iommufd_test.h.
 *
 * Implemented operations:
 *  - IOMMU_TEST_OP_ADD_RESERVED: reserve an IOVA range in an IOAS with
 *    the IOAS's own owner cookie, as if a device needed it set aside.
 *    The range lasts as long as the IOAS; it obeys the same rules as a
 *    device's reserved regions (EADDRINUSE over an allowed range or an
 *    area).
 *  - IOMMU_TEST_OP_SET_TEMP_MEMORY_LIMIT: shrink (or restore) the batch
 *    of struct page pointers used per pinning step in pages.c, so tests
 *    can make a small map take many steps. The value is global; the
 *    context that set it restores the default when it is released.
 * Every other operation number is reserved for later and fails with
 * EOPNOTSUPP.
 *
 * Locking: none of its own. ictx->test_batch_limit_set is only touched
 * by ioctls on the context and by its release, and a stale value merely
 * restores the default once too often.
 */
#include <linux/kernel.h>
#include <uapi/linux/iommufd.h>

#include "iommufd_private.h"
#include "iommufd_test.h"

static int iommufd_test_add_reserved(struct iommufd_ucmd *ucmd)
{
	struct iommu_test_cmd *cmd = ucmd->cmd;
	struct iommufd_ioas *ioas;
	u64 last;
	int rc;

	if (!cmd->add_reserved.length)
		return -EINVAL;
	if (check_add_overflow(cmd->add_reserved.start,
			       cmd->add_reserved.length - 1, &last) ||
	    last > ULONG_MAX)
		return -EOVERFLOW;

	ioas = iommufd_ioas_get(ucmd->ictx, cmd->id);
	if (IS_ERR(ioas))
		return PTR_ERR(ioas);
	rc = iopt_reserve_iova(&ioas->iopt, cmd->add_reserved.start, last,
			       &ioas->iopt);
	iommufd_ioas_put(ioas);
	return rc;
}

static int iommufd_test_set_batch_limit(struct iommufd_ucmd *ucmd)
{
	struct iommu_test_cmd *cmd = ucmd->cmd;

	iopt_pages_set_batch_limit(cmd->memory_limit.limit);
	ucmd->ictx->test_batch_limit_set = cmd->memory_limit.limit != 0;
	return 0;
}

/**
 * iommufd_test_ioctl() - handler of IOMMU_TEST_CMD
 * @ucmd: the call; ucmd->cmd is a struct iommu_test_cmd
 *
 * Return: 0 or a negative errno; -EOPNOTSUPP for an operation this
 * kernel does not implement or a non-zero __reserved.
 */
int iommufd_test_ioctl(struct iommufd_ucmd *ucmd)
{
	struct iommu_test_cmd *cmd = ucmd->cmd;

	if (cmd->__reserved)
		return -EOPNOTSUPP;

	switch (cmd->op) {
	case IOMMU_TEST_OP_ADD_RESERVED:
		return iommufd_test_add_reserved(ucmd);
	case IOMMU_TEST_OP_SET_TEMP_MEMORY_LIMIT:
		return iommufd_test_set_batch_limit(ucmd);
	default:
		return -EOPNOTSUPP;
	}
}

/**
 * iommufd_test_ctx_release() - undo a context's global test settings
 * @ictx: the context being released
 */
void iommufd_test_ctx_release(struct iommufd_ctx *ictx)
{
	if (ictx->test_batch_limit_set)
		iopt_pages_set_batch_limit(0);
}
