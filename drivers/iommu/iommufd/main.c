// SPDX-License-Identifier: GPL-2.0-only
/*
 * /dev/iommu: the character device, its per-open context, the object ID
 * table and the ioctl dispatcher.
 *
 * Each open() of /dev/iommu creates one struct iommufd_ctx, owned by the
 * struct file and freed on the last close. Objects created through the
 * file are kept in ctx->objects, an allocating xarray that never hands
 * out ID 0; the object life cycle is described in iommufd_private.h.
 *
 * Commands are dispatched through iommufd_ioctl_ops[], indexed by
 * command number - IOMMUFD_CMD_BASE. Each entry names the handler, the
 * argument struct and the last member of that struct's first version, so
 * the size rules of the uAPI are applied here once for every command:
 * a size below the first version is EINVAL, unknown trailing bytes must
 * be zero (else E2BIG), and replies never write past either the user's
 * or the kernel's idea of the struct.
 *
 * Kernel drivers reach a context through iommufd_ctx_from_file() or
 * iommufd_ctx_from_fd(), which hold a reference on the file; objects a
 * driver owns (accesses, access.c) hold one too, so the context is never
 * released while they exist. iommufd_obj_destroy_held() removes such an
 * object, which IOMMU_DESTROY refuses with -EBUSY.
 *
 * Locking:
 *  - The xa_lock of ctx->objects protects the table itself, each
 *    object's transition out of the table (users 1 -> 0 happens only
 *    under it, together with the erase), ctx->charge_mode and
 *    ctx->vfio_ioas. It is a
 *    spinlock and the innermost lock: nothing else is acquired, and
 *    nothing sleeps, while it is held.
 *  - An object reference (obj->users) is not a lock, but it keeps the
 *    object alive and in the table, so a handler may sleep and take the
 *    object's own locks while holding one.
 *  - Object destroy callbacks run with ctx->teardown_rwsem held for
 *    reading and no other iommufd lock. It is the outermost lock of the
 *    context: /proc/PID/fdinfo holds it for writing while it describes
 *    the objects it finds in the table, which therefore cannot be torn
 *    down under it. It takes no object references, so a concurrent
 *    IOMMU_DESTROY waits for it instead of failing with -EBUSY.
 * Concurrent ioctls on one file are serialised only by the above; the
 * release path runs when no ioctl can be in flight any more.
 */
#define pr_fmt(fmt) "iommufd: " fmt

#include <linux/capability.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/iommufd.h>
#include <linux/miscdevice.h>
#include <linux/seq_file.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/wait_bit.h>
#include <uapi/linux/iommufd.h>
#include <uapi/linux/vfio.h>

#include "iommufd_private.h"
#ifdef CONFIG_IOMMUFD_TEST
#include "iommufd_test.h"
#endif

static const struct iommufd_otype_ops *const iommufd_otypes[] = {
	[IOMMUFD_OTYPE_IOAS] = &iommufd_ioas_ops,
	[IOMMUFD_OTYPE_ACCESS] = &iommufd_access_ops,
	[IOMMUFD_OTYPE_HWPT_PAGING] = &iommufd_hwpt_paging_ops,
	[IOMMUFD_OTYPE_HWPT_NESTED] = &iommufd_hwpt_nested_ops,
	[IOMMUFD_OTYPE_DEVICE] = &iommufd_device_ops,
	[IOMMUFD_OTYPE_VIOMMU] = &iommufd_viommu_ops,
	[IOMMUFD_OTYPE_VDEVICE] = &iommufd_vdevice_ops,
	[IOMMUFD_OTYPE_VEVENTQ] = &iommufd_veventq_ops,
#ifdef CONFIG_IOMMUFD_TEST
	[IOMMUFD_OTYPE_SELFTEST] = &iommufd_selftest_ops,
#endif
};

static_assert(ARRAY_SIZE(iommufd_otypes) == IOMMUFD_OTYPE_COUNT);

/**
 * iommufd_obj_new_raw() - allocate an object and reserve its ID
 * @ictx: context the object will belong to
 * @size: size of the containing structure, at least sizeof(struct
 *        iommufd_object)
 * @type: the object's type
 *
 * The memory is zeroed. The ID is taken but lookups do not find it until
 * iommufd_obj_publish(); until then the caller owns the object and must
 * end its creation with iommufd_obj_publish(), iommufd_obj_abort() or
 * iommufd_obj_discard().
 *
 * Return: the object or an ERR_PTR.
 */
struct iommufd_object *iommufd_obj_new_raw(struct iommufd_ctx *ictx,
					   size_t size,
					   enum iommufd_otype type)
{
	struct iommufd_object *obj;
	int rc;

	if (WARN_ON(type <= IOMMUFD_OTYPE_ANY || type >= IOMMUFD_OTYPE_COUNT ||
		    size < sizeof(*obj)))
		return ERR_PTR(-EINVAL);

	obj = kzalloc(size, GFP_KERNEL_ACCOUNT);
	if (!obj)
		return ERR_PTR(-ENOMEM);
	obj->type = type;
	refcount_set(&obj->users, 1);

	/* A NULL entry makes xa_alloc() store a reserved (zero) entry. */
	rc = xa_alloc(&ictx->objects, &obj->id, NULL, xa_limit_31b,
		      GFP_KERNEL_ACCOUNT);
	if (rc) {
		kfree(obj);
		return ERR_PTR(rc);
	}
	return obj;
}

/**
 * iommufd_obj_publish() - make a new object visible to lookups
 * @ictx: the object's context
 * @obj: an object from iommufd_obj_new_raw(), fully set up
 *
 * After this the caller no longer owns @obj: another thread may destroy
 * it at once, so the caller must not touch it again unless it took a
 * reference beforehand.
 */
void iommufd_obj_publish(struct iommufd_ctx *ictx, struct iommufd_object *obj)
{
	void *old;

	/* The slot already exists, so this cannot need memory. */
	old = xa_cmpxchg(&ictx->objects, obj->id, XA_ZERO_ENTRY, obj,
			 GFP_KERNEL);
	WARN_ON(old);
	if (obj->type == IOMMUFD_OTYPE_DEVICE)
		xa_set_mark(&ictx->objects, obj->id, IOMMUFD_MARK_DEVICE);
}

/**
 * iommufd_obj_discard() - free an unpublished object and release its ID
 * @ictx: the object's context
 * @obj: an object from iommufd_obj_new_raw() that was never published
 *
 * Only the memory and the ID are released; use this when the type's own
 * state was never set up, and iommufd_obj_abort() otherwise.
 */
void iommufd_obj_discard(struct iommufd_ctx *ictx, struct iommufd_object *obj)
{
	void *old;

	old = xa_erase(&ictx->objects, obj->id);
	WARN_ON(old);
	kfree(obj);
}

/**
 * iommufd_obj_abort() - undo the creation of an unpublished object
 * @ictx: the object's context
 * @obj: an object from iommufd_obj_new_raw() whose type state is set up
 *
 * Runs the type's abort callback (or its destroy callback when it has no
 * abort), then releases the ID and the memory.
 */
void iommufd_obj_abort(struct iommufd_ctx *ictx, struct iommufd_object *obj)
{
	const struct iommufd_otype_ops *ops = iommufd_otypes[obj->type];

	if (ops->abort)
		ops->abort(obj);
	else
		ops->destroy(obj);
	iommufd_obj_discard(ictx, obj);
}

/**
 * iommufd_obj_get() - look up a published object and take a reference
 * @ictx: the context to search
 * @id: the ID given by userspace
 * @type: the expected type, or IOMMUFD_OTYPE_ANY
 *
 * Return: the object, to be released with iommufd_obj_put(), or
 * ERR_PTR(-ENOENT) when @id names no published object of @type.
 */
struct iommufd_object *iommufd_obj_get(struct iommufd_ctx *ictx, u32 id,
				       enum iommufd_otype type)
{
	struct iommufd_object *obj;

	xa_lock(&ictx->objects);
	obj = xa_load(&ictx->objects, id);
	if (!obj || (type != IOMMUFD_OTYPE_ANY && obj->type != type) ||
	    !refcount_inc_not_zero(&obj->users))
		obj = ERR_PTR(-ENOENT);
	xa_unlock(&ictx->objects);
	return obj;
}

/*
 * Take @obj, whose users just dropped to zero, out of the table. Called
 * with the xa_lock held; pointers the context keeps to objects without a
 * reference are cleared here, in the same critical section.
 */
static void iommufd_obj_unlink_locked(struct iommufd_ctx *ictx,
				      struct iommufd_object *obj)
{
	lockdep_assert_held(&ictx->objects.xa_lock);

	__xa_erase(&ictx->objects, obj->id);
	if (ictx->vfio_ioas && &ictx->vfio_ioas->obj == obj)
		ictx->vfio_ioas = NULL;
}

/*
 * Tear down an object that has just left the table with users == 0.
 * An fdinfo reader may still be describing it, so the teardown waits for
 * the reader. Of a type without a show callback, whose destroy may in
 * turn destroy other objects (the selftest's mock device unbinds a
 * device), fdinfo reads only the header: only the kfree() waits then,
 * and the lock is never taken twice by one task.
 */
static void iommufd_obj_free(struct iommufd_ctx *ictx,
			     struct iommufd_object *obj)
{
	const struct iommufd_otype_ops *ops = iommufd_otypes[obj->type];

	if (ops->show)
		down_read(&ictx->teardown_rwsem);
	ops->destroy(obj);
	if (!ops->show)
		down_read(&ictx->teardown_rwsem);
	kfree(obj);
	up_read(&ictx->teardown_rwsem);
}

/*
 * Take object @id out of the table if nobody but the table holds it.
 * Nothing changes when the answer is -EBUSY or -ENOENT.
 */
static int iommufd_obj_remove(struct iommufd_ctx *ictx, u32 id)
{
	struct iommufd_object *obj;

	xa_lock(&ictx->objects);
	obj = xa_load(&ictx->objects, id);
	if (!obj) {
		xa_unlock(&ictx->objects);
		return -ENOENT;
	}
	if (!refcount_dec_if_one(&obj->users)) {
		xa_unlock(&ictx->objects);
		return -EBUSY;
	}
	iommufd_obj_unlink_locked(ictx, obj);
	xa_unlock(&ictx->objects);

	iommufd_obj_free(ictx, obj);
	return 0;
}

/**
 * iommufd_obj_put() - drop a reference taken with iommufd_obj_get()
 * @obj: the object
 *
 * The table's reference keeps the count from reaching zero here. A
 * driver destroying its object waits in iommufd_obj_destroy_held() for
 * such short-term references to go, so it is woken up.
 */
void iommufd_obj_put(struct iommufd_object *obj)
{
	refcount_dec(&obj->users);
	/* Only the address is used: @obj may be gone already. */
	wake_up_var(&obj->users);
}

/**
 * iommufd_obj_destroy_held() - destroy an object kept alive by its creator
 * @ictx: the object's context
 * @obj: a published object on which the caller holds the one long-term
 *       reference besides the table's (objects a kernel driver owns, such
 *       as devices and accesses, which IOMMU_DESTROY refuses with -EBUSY
 *       for that reason)
 *
 * The caller's reference is consumed. The object is first hidden from
 * lookups; references that concurrent ioctls took with iommufd_obj_get()
 * are then waited for, since the driver is about to free what the object
 * points to. Finally the object is destroyed and freed.
 */
void iommufd_obj_destroy_held(struct iommufd_ctx *ictx,
			      struct iommufd_object *obj)
{
	xa_lock(&ictx->objects);
	/* The table's reference keeps this from reaching zero. */
	refcount_dec(&obj->users);
	/* The ID stays reserved, but lookups no longer find the object. */
	WARN_ON(__xa_cmpxchg(&ictx->objects, obj->id, obj, XA_ZERO_ENTRY,
			     GFP_ATOMIC) != obj);
	xa_unlock(&ictx->objects);

	wait_var_event(&obj->users, refcount_read(&obj->users) == 1);

	xa_lock(&ictx->objects);
	WARN_ON(!refcount_dec_if_one(&obj->users));
	iommufd_obj_unlink_locked(ictx, obj);
	xa_unlock(&ictx->objects);

	iommufd_obj_free(ictx, obj);
}

/**
 * iommufd_obj_put_destroy_unused() - drop a reference, destroying the
 *                                    object if nobody else uses it
 * @ictx: the object's context
 * @obj: a published object the caller holds a reference on
 *
 * For objects the kernel created on the user's behalf and removes by
 * itself when their last user goes (automatic HWPTs). If someone else
 * still holds the object, only the caller's reference is dropped.
 */
void iommufd_obj_put_destroy_unused(struct iommufd_ctx *ictx,
				    struct iommufd_object *obj)
{
	xa_lock(&ictx->objects);
	/* The table's reference keeps this from reaching zero. */
	refcount_dec(&obj->users);
	if (!refcount_dec_if_one(&obj->users)) {
		xa_unlock(&ictx->objects);
		return;
	}
	iommufd_obj_unlink_locked(ictx, obj);
	xa_unlock(&ictx->objects);

	iommufd_obj_free(ictx, obj);
}

/**
 * iommufd_obj_put_lookup() - drop a reference from iommufd_obj_get()
 * @ictx: the object's context
 * @obj: the object
 *
 * As iommufd_obj_put(), except for an automatic HWPT, which lives only
 * as long as a device uses it: if its last device left while the caller
 * held it, nobody else will destroy it, so the caller does. Must be
 * called without iommufd locks held, as a destroy may follow.
 */
void iommufd_obj_put_lookup(struct iommufd_ctx *ictx,
			    struct iommufd_object *obj)
{
	if (obj->type == IOMMUFD_OTYPE_HWPT_PAGING &&
	    container_of(obj, struct iommufd_hwpt_paging, common.obj)
		    ->auto_domain)
		iommufd_obj_put_destroy_unused(ictx, obj);
	else
		iommufd_obj_put(obj);
}

/**
 * iommufd_ucmd_respond() - copy a command's argument back to userspace
 * @ucmd: the call being handled
 *
 * Writes min(user size, kernel size) bytes of the kernel copy, so a
 * caller built against an older or newer header gets exactly the part
 * both sides know.
 *
 * Return: 0 or -EFAULT.
 */
int iommufd_ucmd_respond(struct iommufd_ucmd *ucmd)
{
	size_t len = min_t(size_t, ucmd->user_size, ucmd->kernel_size);

	if (copy_to_user(ucmd->ubuffer, ucmd->cmd, len))
		return -EFAULT;
	return 0;
}

static int iommufd_destroy_ioctl(struct iommufd_ucmd *ucmd)
{
	struct iommu_destroy *cmd = ucmd->cmd;

	return iommufd_obj_remove(ucmd->ictx, cmd->id);
}

/* IOMMU_OPTION_RLIMIT_MODE: a setting of the whole context */
static int iommufd_charge_mode_option(struct iommufd_ucmd *ucmd)
{
	struct iommu_option *cmd = ucmd->cmd;
	struct iommufd_ctx *ictx = ucmd->ictx;
	int rc = 0;

	if (cmd->object_id)
		return -EOPNOTSUPP;

	switch (cmd->op) {
	case IOMMU_OPTION_OP_GET:
		xa_lock(&ictx->objects);
		cmd->val64 = ictx->charge_mode;
		xa_unlock(&ictx->objects);
		return 0;
	case IOMMU_OPTION_OP_SET:
		if (!capable(CAP_SYS_RESOURCE))
			return -EPERM;
		/*
		 * Pages already charged one way must be uncharged the same
		 * way, so the mode only changes while there are no objects
		 * (reserved IDs of objects being created count as objects).
		 */
		xa_lock(&ictx->objects);
		if (!xa_empty(&ictx->objects))
			rc = -EBUSY;
		else if (cmd->val64 == 0)
			ictx->charge_mode = IOMMUFD_CHARGE_USER;
		else if (cmd->val64 == 1)
			ictx->charge_mode = IOMMUFD_CHARGE_MM;
		else
			rc = -EINVAL;
		xa_unlock(&ictx->objects);
		return rc;
	default:
		return -EOPNOTSUPP;
	}
}

static int iommufd_option_ioctl(struct iommufd_ucmd *ucmd)
{
	struct iommu_option *cmd = ucmd->cmd;
	int rc;

	if (cmd->__reserved)
		return -EOPNOTSUPP;

	switch (cmd->option_id) {
	case IOMMU_OPTION_RLIMIT_MODE:
		rc = iommufd_charge_mode_option(ucmd);
		break;
	case IOMMU_OPTION_HUGE_PAGES:
		rc = iommufd_ioas_huge_pages_option(ucmd);
		break;
	default:
		return -EOPNOTSUPP;
	}
	if (rc || cmd->op != IOMMU_OPTION_OP_GET)
		return rc;
	return iommufd_ucmd_respond(ucmd);
}

/*
 * A command the uAPI declares but this kernel does not implement yet: it
 * passes the size checks like any other (so a caller learns EINVAL or
 * E2BIG for a bad size, as upstream answers), then EOPNOTSUPP.
 */
static int iommufd_not_implemented_ioctl(struct iommufd_ucmd *ucmd)
{
	return -EOPNOTSUPP;
}

/* Room for the argument of any command in iommufd_ioctl_ops[] */
union iommufd_ucmd_buffer {
	struct iommu_destroy destroy;
	struct iommu_hwpt_alloc hwpt_alloc;
	struct iommu_hw_info hw_info;
	struct iommu_ioas_alloc ioas_alloc;
	struct iommu_ioas_allow_iovas allow_iovas;
	struct iommu_ioas_iova_ranges iova_ranges;
	struct iommu_ioas_map map;
	struct iommu_ioas_map_file map_file;
	struct iommu_ioas_copy copy;
	struct iommu_ioas_unmap unmap;
	struct iommu_option option;
	struct iommu_vfio_ioas vfio_ioas;
	struct iommu_hwpt_set_dirty_tracking set_dirty_tracking;
	struct iommu_hwpt_get_dirty_bitmap get_dirty_bitmap;
	struct iommu_hwpt_invalidate hwpt_invalidate;
	struct iommu_fault_alloc fault_alloc;
	struct iommu_viommu_alloc viommu_alloc;
	struct iommu_vdevice_alloc vdevice_alloc;
	struct iommu_veventq_alloc veventq_alloc;
	struct iommu_ioas_change_process change_process;
#ifdef CONFIG_IOMMUFD_TEST
	struct iommu_test_cmd test;
#endif
};

/**
 * struct iommufd_ioctl_op - one entry of the dispatch table
 * @ioctl_num: the full ioctl number; any other number with the same nr
 *             (wrong type, size or direction bits) is unknown
 * @kernel_size: sizeof() the argument struct this kernel knows
 * @min_size: offset of the end of the first version's last member
 * @handler: does the work; ucmd->cmd holds the copied-in argument
 */
struct iommufd_ioctl_op {
	unsigned int ioctl_num;
	size_t kernel_size;
	size_t min_size;
	int (*handler)(struct iommufd_ucmd *ucmd);
};

/*
 * IOMMUFD_IOCTL(FOO, ...) describes IOMMU_FOO, numbered IOMMUFD_CMD_FOO;
 * IOMMUFD_IOCTL_NR() is the same for a command named otherwise.
 */
#define IOMMUFD_IOCTL(_name, _handler, _struct, _first_last)                 \
	IOMMUFD_IOCTL_NR(IOMMUFD_CMD_##_name, IOMMU_##_name, _handler,       \
			 _struct, _first_last)

#define IOMMUFD_IOCTL_NR(_nr, _ioctl, _handler, _struct, _first_last)        \
	[(_nr) - IOMMUFD_CMD_BASE] = {                                       \
		.ioctl_num = _ioctl,                                         \
		.kernel_size = sizeof(_struct) +                             \
			BUILD_BUG_ON_ZERO(sizeof(_struct) >                  \
					  sizeof(union iommufd_ucmd_buffer)), \
		.min_size = offsetofend(_struct, _first_last),               \
		.handler = _handler,                                         \
	}

static const struct iommufd_ioctl_op iommufd_ioctl_ops[] = {
	IOMMUFD_IOCTL(DESTROY, iommufd_destroy_ioctl,
		      struct iommu_destroy, id),
	IOMMUFD_IOCTL(IOAS_ALLOC, iommufd_ioas_alloc_ioctl,
		      struct iommu_ioas_alloc, out_ioas_id),
	IOMMUFD_IOCTL(IOAS_ALLOW_IOVAS, iommufd_ioas_allow_iovas_ioctl,
		      struct iommu_ioas_allow_iovas, allowed_iovas),
	IOMMUFD_IOCTL(IOAS_COPY, iommufd_ioas_copy_ioctl,
		      struct iommu_ioas_copy, src_iova),
	IOMMUFD_IOCTL(IOAS_IOVA_RANGES, iommufd_ioas_iova_ranges_ioctl,
		      struct iommu_ioas_iova_ranges, out_iova_alignment),
	IOMMUFD_IOCTL(IOAS_MAP, iommufd_ioas_map_ioctl,
		      struct iommu_ioas_map, iova),
	IOMMUFD_IOCTL(IOAS_UNMAP, iommufd_ioas_unmap_ioctl,
		      struct iommu_ioas_unmap, length),
	IOMMUFD_IOCTL(OPTION, iommufd_option_ioctl,
		      struct iommu_option, val64),
	IOMMUFD_IOCTL(VFIO_IOAS, iommufd_vfio_ioas_ioctl,
		      struct iommu_vfio_ioas, __reserved),
	IOMMUFD_IOCTL(HWPT_ALLOC, iommufd_hwpt_alloc_ioctl,
		      struct iommu_hwpt_alloc, __reserved),
	IOMMUFD_IOCTL(GET_HW_INFO, iommufd_get_hw_info_ioctl,
		      struct iommu_hw_info, __reserved),
	IOMMUFD_IOCTL(IOAS_MAP_FILE, iommufd_ioas_map_file_ioctl,
		      struct iommu_ioas_map_file, iova),
	/* Declared by the uAPI, not implemented yet: sizes still count. */
	IOMMUFD_IOCTL(HWPT_SET_DIRTY_TRACKING, iommufd_not_implemented_ioctl,
		      struct iommu_hwpt_set_dirty_tracking, __reserved),
	IOMMUFD_IOCTL(HWPT_GET_DIRTY_BITMAP, iommufd_not_implemented_ioctl,
		      struct iommu_hwpt_get_dirty_bitmap, data),
	IOMMUFD_IOCTL(HWPT_INVALIDATE, iommufd_hwpt_invalidate_ioctl,
		      struct iommu_hwpt_invalidate, __reserved),
	IOMMUFD_IOCTL_NR(IOMMUFD_CMD_FAULT_QUEUE_ALLOC, IOMMU_FAULT_QUEUE_ALLOC,
			 iommufd_not_implemented_ioctl,
			 struct iommu_fault_alloc, out_fault_fd),
	IOMMUFD_IOCTL(VIOMMU_ALLOC, iommufd_viommu_alloc_ioctl,
		      struct iommu_viommu_alloc, out_viommu_id),
	IOMMUFD_IOCTL(VDEVICE_ALLOC, iommufd_vdevice_alloc_ioctl,
		      struct iommu_vdevice_alloc, virt_id),
	IOMMUFD_IOCTL(IOAS_CHANGE_PROCESS, iommufd_not_implemented_ioctl,
		      struct iommu_ioas_change_process, __reserved),
	IOMMUFD_IOCTL(VEVENTQ_ALLOC, iommufd_veventq_alloc_ioctl,
		      struct iommu_veventq_alloc, out_veventq_fd),
#ifdef CONFIG_IOMMUFD_TEST
	IOMMUFD_IOCTL_NR(IOMMUFD_CMD_TEST, IOMMU_TEST_CMD, iommufd_test_ioctl,
			 struct iommu_test_cmd, last),
#endif
};

static long iommufd_fops_ioctl(struct file *filp, unsigned int cmd,
			       unsigned long arg)
{
	const struct iommufd_ioctl_op *op;
	union iommufd_ucmd_buffer buf;
	struct iommufd_ucmd ucmd = {
		.ictx = filp->private_data,
		.ubuffer = (void __user *)arg,
		.cmd = &buf,
	};
	unsigned int nr = _IOC_NR(cmd);
	int rc;

	/*
	 * VFIO shares the ioctl type; its container ioctls are numbered
	 * below ours (VFIO_BASE + n), so a /dev/iommu file can also serve
	 * as a type1 container.
	 */
	if (nr < IOMMUFD_CMD_BASE)
		return iommufd_vfio_ioctl(ucmd.ictx, cmd, arg);

	if (nr < IOMMUFD_CMD_BASE ||
	    nr - IOMMUFD_CMD_BASE >= ARRAY_SIZE(iommufd_ioctl_ops))
		return -ENOTTY;
	op = &iommufd_ioctl_ops[nr - IOMMUFD_CMD_BASE];
	/* Holes in the table have a zero ioctl_num, which never matches. */
	if (op->ioctl_num != cmd)
		return -ENOTTY;

	rc = get_user(ucmd.user_size, (u32 __user *)ucmd.ubuffer);
	if (rc)
		return rc;
	if (ucmd.user_size < op->min_size)
		return -EINVAL;
	ucmd.kernel_size = op->kernel_size;
	rc = copy_struct_from_user(ucmd.cmd, ucmd.kernel_size, ucmd.ubuffer,
				   ucmd.user_size);
	if (rc)
		return rc;
	return op->handler(&ucmd);
}

static int iommufd_fops_open(struct inode *inode, struct file *filp)
{
	struct iommufd_ctx *ictx;

	ictx = kzalloc(sizeof(*ictx), GFP_KERNEL_ACCOUNT);
	if (!ictx)
		return -ENOMEM;

	xa_init_flags(&ictx->objects, XA_FLAGS_ALLOC1 | XA_FLAGS_ACCOUNT);
	init_rwsem(&ictx->teardown_rwsem);
	mutex_init(&ictx->groups_lock);
	xa_init(&ictx->groups);
	atomic_set(&ictx->nr_devices, 0);
	ictx->charge_mode = IOMMUFD_CHARGE_USER;
	ictx->file = filp;
	filp->private_data = ictx;
	return 0;
}

/*
 * Destroy every object of a context that is going away. An object that
 * others depend on holds a reference from each of them, so it is skipped
 * until they are gone; passes repeat while they make progress.
 */
static void iommufd_destroy_all(struct iommufd_ctx *ictx)
{
	struct iommufd_object *obj;
	unsigned long index;
	bool progress;

	do {
		progress = false;
		xa_for_each(&ictx->objects, index, obj) {
			if (!refcount_dec_if_one(&obj->users))
				continue;
			xa_lock(&ictx->objects);
			iommufd_obj_unlink_locked(ictx, obj);
			xa_unlock(&ictx->objects);
			iommufd_obj_free(ictx, obj);
			progress = true;
		}
	} while (progress);

	/* Whatever is left is held by something outside the context. */
	WARN_ON(!xa_empty(&ictx->objects));
}

static const struct file_operations iommufd_fops;

/**
 * iommufd_ctx_from_file() - get the iommufd context of an open file
 * @file: a file the caller holds, which should be an open /dev/iommu
 *
 * A reference on @file is taken; the context stays valid until it is
 * given back with iommufd_ctx_put().
 *
 * Return: the context, or ERR_PTR(-EBADFD) when @file is not /dev/iommu.
 */
struct iommufd_ctx *iommufd_ctx_from_file(struct file *file)
{
	if (file->f_op != &iommufd_fops)
		return ERR_PTR(-EBADFD);
	get_file(file);
	return file->private_data;
}
EXPORT_SYMBOL_NS_GPL(iommufd_ctx_from_file, IOMMUFD);

/**
 * iommufd_ctx_from_fd() - get the iommufd context behind a file descriptor
 * @fd: a file descriptor of the calling process
 *
 * As iommufd_ctx_from_file(), for the file @fd refers to.
 *
 * Return: the context, to be released with iommufd_ctx_put(), or
 * ERR_PTR(-EBADF) for a bad descriptor and ERR_PTR(-EBADFD) when it is
 * not /dev/iommu.
 */
struct iommufd_ctx *iommufd_ctx_from_fd(int fd)
{
	struct iommufd_ctx *ictx;
	struct file *file;

	file = fget(fd);
	if (!file)
		return ERR_PTR(-EBADF);
	ictx = iommufd_ctx_from_file(file);
	/* On success the context took its own reference on the file. */
	fput(file);
	return ictx;
}
EXPORT_SYMBOL_NS_GPL(iommufd_ctx_from_fd, IOMMUFD);

/**
 * iommufd_ctx_put() - release a context obtained from a file or fd
 * @ictx: the context
 *
 * Drops the file reference taken by iommufd_ctx_from_file() or
 * iommufd_ctx_from_fd(); the context may be freed afterwards.
 */
void iommufd_ctx_put(struct iommufd_ctx *ictx)
{
	fput(ictx->file);
}
EXPORT_SYMBOL_NS_GPL(iommufd_ctx_put, IOMMUFD);

static int iommufd_fops_release(struct inode *inode, struct file *filp)
{
	struct iommufd_ctx *ictx = filp->private_data;

	iommufd_destroy_all(ictx);
	xa_destroy(&ictx->objects);
	WARN_ON(!xa_empty(&ictx->groups));
	xa_destroy(&ictx->groups);
	mutex_destroy(&ictx->groups_lock);
	iommufd_test_ctx_release(ictx);
	kfree(ictx);
	return 0;
}

/*
 * At most this many objects are described in /proc/PID/fdinfo; a
 * context with more says so in its last line.
 */
#define IOMMUFD_FDINFO_MAX_OBJECTS 1000

static const char *const iommufd_charge_mode_names[] = {
	[IOMMUFD_CHARGE_USER] = "user",
	[IOMMUFD_CHARGE_MM] = "mm",
	[IOMMUFD_CHARGE_MM_LOCKED] = "mm-locked",
};

/*
 * /proc/PID/fdinfo/FD: after the lines the VFS prints, one line for the
 * context and one per object, each a "key:" and space-separated
 * key=value pairs:
 *
 *   iommufd:	charge-mode=user
 *   ioas:	id=1 areas=2 mapped=2097152 pinned=512 ...
 *
 * Readers need PTRACE_MODE_READ on the process, as for every fdinfo
 * file. The objects are described in ID order while teardown_rwsem is
 * held for writing: an object found in the table cannot be destroyed
 * before its line is written, but the whole listing is not one atomic
 * snapshot.
 */
static void iommufd_fops_show_fdinfo(struct seq_file *m, struct file *filp)
{
	struct iommufd_ctx *ictx = filp->private_data;
	const struct iommufd_otype_ops *ops;
	struct iommufd_object *obj;
	unsigned long index = 0;
	unsigned int shown = 0;
	u8 charge_mode;

	xa_lock(&ictx->objects);
	charge_mode = ictx->charge_mode;
	xa_unlock(&ictx->objects);
	seq_printf(m, "iommufd:\tcharge-mode=%s\n",
		   iommufd_charge_mode_names[charge_mode]);

	down_write(&ictx->teardown_rwsem);
	/* xa_find() skips the zero entries of objects being created. */
	while ((obj = xa_find(&ictx->objects, &index, ULONG_MAX, XA_PRESENT))) {
		if (shown == IOMMUFD_FDINFO_MAX_OBJECTS) {
			seq_printf(m, "truncated:\tshown=%u\n", shown);
			break;
		}
		ops = iommufd_otypes[obj->type];
		seq_printf(m, "%s:\tid=%u", ops->name, obj->id);
		if (ops->show)
			ops->show(m, ictx, obj);
		seq_putc(m, '\n');
		/* seq_read() calls again with a larger buffer. */
		if (seq_has_overflowed(m))
			break;
		shown++;
		index++;
		cond_resched();
	}
	up_write(&ictx->teardown_rwsem);
}

static const struct file_operations iommufd_fops = {
	.owner = THIS_MODULE,
	.open = iommufd_fops_open,
	.release = iommufd_fops_release,
	.show_fdinfo = iommufd_fops_show_fdinfo,
	.unlocked_ioctl = iommufd_fops_ioctl,
	.compat_ioctl = compat_ptr_ioctl,
};

static struct miscdevice iommufd_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = "iommu",
	.fops = &iommufd_fops,
	.nodename = "iommu",
	.mode = 0660,
};

/*
 * /dev/vfio/vfio, when VFIO's own container is not built: the same file
 * operations, so a legacy VFIO user gets an iommufd context, on which the
 * type1 ioctls work (vfio_compat.c) and which groups accept as container.
 * Mode and minor are those VFIO's container uses.
 */
static struct miscdevice iommufd_vfio_misc = {
	.minor = VFIO_MINOR,
	.name = "vfio",
	.fops = &iommufd_fops,
	.nodename = "vfio/vfio",
	.mode = 0666,
};

static int __init iommufd_init(void)
{
	int rc;

	rc = iommufd_test_init();
	if (rc)
		return rc;
	rc = misc_register(&iommufd_misc);
	if (rc)
		goto err_test;
	if (IS_ENABLED(CONFIG_IOMMUFD_VFIO_CONTAINER)) {
		rc = misc_register(&iommufd_vfio_misc);
		if (rc)
			goto err_misc;
	}
	return 0;

err_misc:
	misc_deregister(&iommufd_misc);
err_test:
	iommufd_test_exit();
	return rc;
}

static void __exit iommufd_exit(void)
{
	if (IS_ENABLED(CONFIG_IOMMUFD_VFIO_CONTAINER))
		misc_deregister(&iommufd_vfio_misc);
	misc_deregister(&iommufd_misc);
	iommufd_test_exit();
}

module_init(iommufd_init);
module_exit(iommufd_exit);

#if IS_ENABLED(CONFIG_IOMMUFD_VFIO_CONTAINER)
MODULE_ALIAS_MISCDEV(VFIO_MINOR);
MODULE_ALIAS("devname:vfio/vfio");
#endif
MODULE_DESCRIPTION("IOMMU userspace API (/dev/iommu)");
MODULE_IMPORT_NS(IOMMUFD_INTERNAL);
MODULE_LICENSE("GPL");
