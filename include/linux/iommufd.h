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
#include <linux/stddef.h>
#include <linux/types.h>
#include <linux/uaccess.h>

struct device;
struct file;
struct iommu_group;
struct iommufd_access;
struct iommufd_ctx;
struct iommufd_device;
struct page;

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

#endif
