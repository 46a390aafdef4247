/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * iommufd interfaces for kernel drivers.
 *
 * A driver receives an open /dev/iommu file (or its fd) from userspace and
 * turns it into a struct iommufd_ctx. Drivers of emulated devices, which
 * have no IOMMU of their own and reach guest memory by IOVA in software
 * (mdev style), then create an access: an object of the context that is
 * attached to one IOAS and through which the driver pins the pages behind
 * an IOVA range or copies to and from it.
 *
 * Drivers of devices behind a real IOMMU instead bind the device to the
 * context (which takes DMA ownership of it away from the kernel) and
 * attach it to an IOAS or a hardware page table by ID; the device's DMA
 * is then translated by page tables that follow the IOAS. The RID and each
 * PASID of the device are attached separately (IOMMU_NO_PASID names the
 * RID). Bind, attach,
 * replace, detach and unbind of one device must not run concurrently;
 * the driver serializes them.
 */
#ifndef __LINUX_IOMMUFD_H
#define __LINUX_IOMMUFD_H

#include <linux/err.h>
#include <linux/errno.h>
#include <linux/iommu.h>
#include <linux/list.h>
#include <linux/refcount.h>
#include <linux/rwsem.h>
#include <linux/stddef.h>
#include <linux/types.h>
#include <linux/uaccess.h>
#include <linux/xarray.h>

struct device;
struct file;
struct iommu_device;
struct iommu_group;
struct iommufd_access;
struct iommufd_ctx;
struct iommufd_device;
struct iommufd_hwpt_paging;
struct page;

/*
 * Object types. IOMMUFD_OTYPE_ANY is not a real type: it only serves as a
 * wildcard for lookups.
 */
enum iommufd_otype {
	IOMMUFD_OTYPE_ANY = 0,
	IOMMUFD_OTYPE_IOAS,
	IOMMUFD_OTYPE_ACCESS,
	IOMMUFD_OTYPE_HWPT_PAGING,
	IOMMUFD_OTYPE_HWPT_NESTED,
	IOMMUFD_OTYPE_DEVICE,
	IOMMUFD_OTYPE_VIOMMU,
	IOMMUFD_OTYPE_VDEVICE,
	IOMMUFD_OTYPE_VEVENTQ,
#ifdef CONFIG_IOMMUFD_TEST
	IOMMUFD_OTYPE_SELFTEST,
#endif
	IOMMUFD_OTYPE_COUNT,
};

/**
 * struct iommufd_object - header of every object in an iommufd_ctx
 * @users: one for the ID table plus one per holder (see
 *         drivers/iommu/iommufd/iommufd_private.h)
 * @type: an enum iommufd_otype, never IOMMUFD_OTYPE_ANY
 * @id: the ID userspace uses, never 0
 *
 * Drivers only see it as the head of a struct iommufd_viommu; the core
 * alone reads and changes it.
 */
struct iommufd_object {
	refcount_t users;
	enum iommufd_otype type;
	u32 id;
};

struct iommufd_viommu;

/**
 * struct iommufd_viommu_ops - an IOMMU driver's vIOMMU type
 * @destroy: release what the driver's viommu_init() set up; the core
 *           frees the memory afterwards. Optional.
 * @alloc_domain_nested: allocate a nested domain (IOMMU_DOMAIN_NESTED) of
 *                       the vIOMMU from @user_data (a struct of the
 *                       uAPI's enum iommu_hwpt_data_type); @flags are
 *                       IOMMU_HWPT_ALLOC_* flags. Return the domain or an
 *                       ERR_PTR: -EOPNOTSUPP for flags or a data type the
 *                       driver does not support, -EINVAL or -EIO for bad
 *                       data.
 * @cache_invalidate: carry out the invalidation commands in @array for
 *                    everything the vIOMMU's guest caches; as the
 *                    cache_invalidate_user op of iommu_domain_ops,
 *                    stop at the first entry that cannot be handled and
 *                    leave the number handled in @array->entry_num. The
 *                    vIOMMU's vDEVICEs cannot change meanwhile, so
 *                    iommufd_viommu_find_dev() may be used.
 */
struct iommufd_viommu_ops {
	void (*destroy)(struct iommufd_viommu *viommu);
	struct iommu_domain *(*alloc_domain_nested)(struct iommufd_viommu *viommu,
						    u32 flags,
						    const struct iommu_user_data *user_data);
	int (*cache_invalidate)(struct iommufd_viommu *viommu,
				struct iommu_user_data_array *array);
};

/**
 * struct iommufd_viommu - the host side of an IOMMU a guest sees
 *                         (IOMMUFD_OTYPE_VIOMMU)
 * @obj: object header
 * @ictx: the context
 * @iommu_dev: the physical IOMMU instance; only its devices may have
 *             vDEVICEs here
 * @parent: the stage-2 domain, of @hwpt
 * @hwpt: the NEST_PARENT paging HWPT, with a reference held
 * @ops: set by the driver's viommu_init op; NULL for
 *       IOMMU_VIOMMU_TYPE_DEFAULT
 * @type: an enum iommu_viommu_type of the uAPI
 * @vdevs_rwsem: held for writing while a vDEVICE joins or leaves @vdevs,
 *               for reading by the core around the @ops callbacks
 * @vdevs: virtual ID -> vDEVICE, the devices the guest sees behind it
 * @veventqs_rwsem: held for writing while a queue joins or leaves
 *                  @veventqs, for reading while an event is queued
 * @veventqs: its event queues, at most one of each type
 *
 * An IOMMU driver embeds this at the start of its own structure, whose
 * size it gives through the viommu_size op of its iommu_ops; the core
 * allocates it zeroed and fills in everything above except @ops before
 * calling the viommu_init op.
 */
struct iommufd_viommu {
	struct iommufd_object obj;
	struct iommufd_ctx *ictx;
	struct iommu_device *iommu_dev;
	struct iommu_domain *parent;
	struct iommufd_hwpt_paging *hwpt;
	const struct iommufd_viommu_ops *ops;
	unsigned int type;
	struct rw_semaphore vdevs_rwsem; /* see the kernel-doc above */
	struct xarray vdevs;
	struct rw_semaphore veventqs_rwsem; /* see the kernel-doc above */
	struct list_head veventqs;
};

/**
 * struct iommufd_access_ops - what an access driver provides
 * @needs_pin_pages: the driver calls iommufd_access_pin_pages(); @unmap
 *                   must then be set
 * @unmap: the IOVA range [@iova, @iova + @length) is about to disappear
 *         from the IOAS; when the access is leaving its IOAS, @iova is
 *         0 and @length ULONG_MAX, meaning all of the IOVA space. The
 *         driver must stop using the range and
 *         call iommufd_access_unpin_pages() for every pinned range that
 *         intersects it before returning. It may sleep, but must not
 *         attach, replace, detach or destroy any access. Callbacks run
 *         while the IOAS's list of accesses is held for reading, so a
 *         driver must not call iommufd_access_attach(), _replace(),
 *         _detach() or _destroy() while holding a lock that its @unmap
 *         takes.
 */
struct iommufd_access_ops {
	u8 needs_pin_pages : 1;
	void (*unmap)(void *data, unsigned long iova, unsigned long length);
};

/* Flags of iommufd_access_pin_pages() and iommufd_access_rw() */
enum {
	IOMMUFD_ACCESS_RW_READ = 0,
	IOMMUFD_ACCESS_RW_WRITE = 1 << 0,
	IOMMUFD_ACCESS_RW_KTHREAD = 1 << 1,
};

#if IS_ENABLED(CONFIG_IOMMUFD)
struct iommufd_ctx *iommufd_ctx_from_file(struct file *file);
struct iommufd_ctx *iommufd_ctx_from_fd(int fd);
void iommufd_ctx_put(struct iommufd_ctx *ictx);

struct iommufd_device *iommufd_device_bind(struct iommufd_ctx *ictx,
					   struct device *dev, u32 *id);
void iommufd_device_unbind(struct iommufd_device *idev);
int iommufd_device_attach(struct iommufd_device *idev, ioasid_t pasid,
			  u32 *pt_id);
int iommufd_device_replace(struct iommufd_device *idev, ioasid_t pasid,
			   u32 *pt_id);
void iommufd_device_detach(struct iommufd_device *idev, ioasid_t pasid);
struct iommufd_ctx *iommufd_device_to_ictx(struct iommufd_device *idev);
u32 iommufd_device_to_id(struct iommufd_device *idev);
bool iommufd_ctx_has_group(struct iommufd_ctx *ictx, struct iommu_group *group);
int iommufd_vfio_compat_ioas_id(struct iommufd_ctx *ictx, u32 *ioas_id);
void iommufd_vfio_compat_group_join(struct iommufd_ctx *ictx);
void iommufd_vfio_compat_group_leave(struct iommufd_ctx *ictx);

struct iommufd_access *
iommufd_access_create(struct iommufd_ctx *ictx,
		      const struct iommufd_access_ops *ops, void *data,
		      u32 *id);
void iommufd_access_destroy(struct iommufd_access *access);
int iommufd_access_attach(struct iommufd_access *access, u32 ioas_id);
int iommufd_access_replace(struct iommufd_access *access, u32 ioas_id);
void iommufd_access_detach(struct iommufd_access *access);

int iommufd_access_pin_pages(struct iommufd_access *access,
			     unsigned long iova, unsigned long length,
			     struct page **out_pages, unsigned int flags);
void iommufd_access_unpin_pages(struct iommufd_access *access,
				unsigned long iova, unsigned long length);
int iommufd_access_rw(struct iommufd_access *access, unsigned long iova,
		      void *data, size_t len, unsigned int flags);
#else
static inline struct iommufd_ctx *iommufd_ctx_from_file(struct file *file)
{
	return ERR_PTR(-EOPNOTSUPP);
}

static inline struct iommufd_ctx *iommufd_ctx_from_fd(int fd)
{
	return ERR_PTR(-EOPNOTSUPP);
}

static inline void iommufd_ctx_put(struct iommufd_ctx *ictx)
{
}

static inline struct iommufd_device *
iommufd_device_bind(struct iommufd_ctx *ictx, struct device *dev, u32 *id)
{
	return ERR_PTR(-EOPNOTSUPP);
}

static inline void iommufd_device_unbind(struct iommufd_device *idev)
{
}

static inline int iommufd_device_attach(struct iommufd_device *idev,
					ioasid_t pasid, u32 *pt_id)
{
	return -EOPNOTSUPP;
}

static inline int iommufd_device_replace(struct iommufd_device *idev,
					 ioasid_t pasid, u32 *pt_id)
{
	return -EOPNOTSUPP;
}

static inline void iommufd_device_detach(struct iommufd_device *idev,
					 ioasid_t pasid)
{
}

static inline struct iommufd_ctx *
iommufd_device_to_ictx(struct iommufd_device *idev)
{
	return NULL;
}

static inline u32 iommufd_device_to_id(struct iommufd_device *idev)
{
	return 0;
}

static inline bool iommufd_ctx_has_group(struct iommufd_ctx *ictx,
					 struct iommu_group *group)
{
	return false;
}

static inline int iommufd_vfio_compat_ioas_id(struct iommufd_ctx *ictx,
					      u32 *ioas_id)
{
	return -EOPNOTSUPP;
}

static inline void iommufd_vfio_compat_group_join(struct iommufd_ctx *ictx)
{
}

static inline void iommufd_vfio_compat_group_leave(struct iommufd_ctx *ictx)
{
}

static inline struct iommufd_access *
iommufd_access_create(struct iommufd_ctx *ictx,
		      const struct iommufd_access_ops *ops, void *data,
		      u32 *id)
{
	return ERR_PTR(-EOPNOTSUPP);
}

static inline void iommufd_access_destroy(struct iommufd_access *access)
{
}

static inline int iommufd_access_attach(struct iommufd_access *access,
					u32 ioas_id)
{
	return -EOPNOTSUPP;
}

static inline int iommufd_access_replace(struct iommufd_access *access,
					 u32 ioas_id)
{
	return -EOPNOTSUPP;
}

static inline void iommufd_access_detach(struct iommufd_access *access)
{
}

static inline int iommufd_access_pin_pages(struct iommufd_access *access,
					   unsigned long iova,
					   unsigned long length,
					   struct page **out_pages,
					   unsigned int flags)
{
	return -EOPNOTSUPP;
}

static inline void iommufd_access_unpin_pages(struct iommufd_access *access,
					      unsigned long iova,
					      unsigned long length)
{
}

static inline int iommufd_access_rw(struct iommufd_access *access,
				    unsigned long iova, void *data,
				    size_t len, unsigned int flags)
{
	return -EOPNOTSUPP;
}
#endif

/*
 * For IOMMU drivers' vIOMMUs. A built-in IOMMU driver cannot reach a
 * modular iommufd: it gets the stubs, and must then offer no vIOMMU type.
 */
#if IS_REACHABLE(CONFIG_IOMMUFD)
struct device *iommufd_viommu_find_dev(struct iommufd_viommu *viommu,
				       unsigned long virt_id);
int iommufd_viommu_get_vdev_id(struct iommufd_viommu *viommu,
			       struct device *dev, unsigned long *virt_id);
int iommufd_viommu_report_event(struct iommufd_viommu *viommu,
				unsigned int type, const void *data,
				size_t len);
#else
static inline struct device *
iommufd_viommu_find_dev(struct iommufd_viommu *viommu, unsigned long virt_id)
{
	return NULL;
}

static inline int iommufd_viommu_get_vdev_id(struct iommufd_viommu *viommu,
					     struct device *dev,
					     unsigned long *virt_id)
{
	return -ENOENT;
}

static inline int iommufd_viommu_report_event(struct iommufd_viommu *viommu,
					      unsigned int type,
					      const void *data, size_t len)
{
	return -EOPNOTSUPP;
}
#endif

/*
 * Copying driver data from user space. IOMMU drivers receive the data of
 * IOMMU_HWPT_ALLOC and the entries of IOMMU_HWPT_INVALIDATE as user
 * pointers with a user-given length, in layouts defined by iommufd's
 * uAPI that may grow at their end. These helpers apply the uAPI's rules:
 * a length below the first version of the layout is -EINVAL; bytes the
 * kernel does not know must be zero (-E2BIG otherwise); missing bytes of
 * newer fields read as zero.
 */

/**
 * iommu_user_data_copy() - copy the data of an allocation
 * @dst: kernel buffer of @dst_size bytes
 * @dst_size: size of the layout this kernel knows
 * @min_size: size of the layout's first version
 * @src: the user data
 * @type: the layout expected; other types are -EINVAL
 *
 * Return: 0, -EINVAL, -E2BIG or -EFAULT.
 */
static inline int iommu_user_data_copy(void *dst, size_t dst_size,
				       size_t min_size,
				       const struct iommu_user_data *src,
				       unsigned int type)
{
	if (src->type != type || src->len < min_size)
		return -EINVAL;
	return copy_struct_from_user(dst, dst_size, src->uptr, src->len);
}

/**
 * iommu_user_data_copy_out() - write driver data back to user space
 * @dst: the user data the driver was given
 * @src: kernel buffer of @src_size bytes, the layout this kernel knows
 * @src_size: its size
 *
 * Writes as much of @src as the user's buffer takes; a longer user buffer
 * keeps its bytes past @src_size (which had to be zero on the way in).
 *
 * Return: 0 or -EFAULT.
 */
static inline int iommu_user_data_copy_out(const struct iommu_user_data *dst,
					   const void *src, size_t src_size)
{
	if (copy_to_user(dst->uptr, src, min(dst->len, src_size)))
		return -EFAULT;
	return 0;
}

/**
 * iommu_user_array_copy_entry() - copy one entry of an invalidation array
 * @dst: kernel buffer of @dst_size bytes
 * @dst_size: size of the entry layout this kernel knows
 * @min_size: size of the entry layout's first version
 * @array: the user array
 * @type: the layout expected; other types are -EINVAL
 * @index: the entry, below @array->entry_num
 *
 * Return: 0, -EINVAL, -E2BIG or -EFAULT.
 */
static inline int iommu_user_array_copy_entry(void *dst, size_t dst_size,
					      size_t min_size,
					      const struct iommu_user_data_array *array,
					      unsigned int type, u32 index)
{
	if (array->type != type || array->entry_len < min_size ||
	    WARN_ON_ONCE(index >= array->entry_num))
		return -EINVAL;
	return copy_struct_from_user(dst, dst_size,
				     array->uptr + (size_t)index *
							   array->entry_len,
				     array->entry_len);
}

/**
 * iommu_user_array_apply() - hand each entry of an array to the driver
 * @array: the user array; on return, entry_num is the number of entries
 *         @apply accepted
 * @type: the layout expected; another type is -EINVAL with no entry
 *        handled
 * @entry: kernel buffer of @size bytes, for one entry at a time
 * @size: size of the entry layout this kernel knows
 * @min_size: size of the entry layout's first version
 * @apply: called on each entry in order; a non-zero return stops the walk
 * @owner: passed to @apply
 *
 * Return: 0 when every entry was applied, else the error of the copy or
 * of @apply for the first entry that was not.
 */
static inline int iommu_user_array_apply(struct iommu_user_data_array *array,
					 unsigned int type, void *entry,
					 size_t size, size_t min_size,
					 int (*apply)(void *owner,
						      const void *entry),
					 void *owner)
{
	u32 done;
	int rc = 0;

	if (array->type != type) {
		array->entry_num = 0;
		return -EINVAL;
	}
	for (done = 0; done != array->entry_num; done++) {
		rc = iommu_user_array_copy_entry(entry, size, min_size, array,
						 type, done);
		if (!rc)
			rc = apply(owner, entry);
		if (rc)
			break;
	}
	array->entry_num = done;
	return rc;
}

#endif
