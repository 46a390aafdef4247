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
 *  - IOMMU_TEST_OP_CREATE_ACCESS: act as the driver of an emulated
 *    device: create an access attached to IOAS @id and return an fd
 *    whose release destroys it. Its unmap callback unpins every range
 *    the test pinned that meets the range being unmapped, as a real
 *    driver would.
 *  - IOMMU_TEST_OP_ACCESS_PAGES / _DESTROY_ACCESS_PAGES: pin an IOVA
 *    range through the access fd @id, check that the pages hold what
 *    the user buffer holds, and keep the pin under an ID until it is
 *    destroyed, the access fd is closed or the range is unmapped.
 *  - IOMMU_TEST_OP_ACCESS_RW: copy between a user buffer and an IOVA
 *    range through iommufd_access_rw(), in one call or (slow path) one
 *    call per page as a kernel thread would.
 *  - IOMMU_TEST_OP_ACCESS_REPLACE_IOAS: move the access to another IOAS.
 *  - IOMMU_TEST_OP_MOCK_DOMAIN / _MOCK_DOMAIN_FLAGS: create a mock device
 *    (below), bind it to the context like a VFIO driver would and attach
 *    it to the IOAS or HWPT @id. The result is a "selftest" object that
 *    owns the device; destroying it detaches, unbinds and removes the
 *    device.
 *  - IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE: replace the HWPT of such a device.
 *  - IOMMU_TEST_OP_MD_CHECK_MAP: check that a mock domain translates an
 *    IOVA range to the physical pages behind a user buffer.
 *  - IOMMU_TEST_OP_MD_CHECK_REFS: check the number of long-term pins
 *    (FOLL_PIN) on every page of a user buffer.
 *  - IOMMU_TEST_OP_MD_CHECK_IOTLB: read an entry of the emulated IOTLB
 *    of a mock nested HWPT.
 *  - IOMMU_TEST_OP_DEV_CHECK_CACHE: read an emulated cache of a mock
 *    device.
 *  - IOMMU_TEST_OP_PASID_ATTACH / _REPLACE / _DETACH: change what a PASID
 *    of a mock device is attached to, through the driver-facing API.
 *  - IOMMU_TEST_OP_PASID_CHECK_HWPT: check which domain translates a
 *    PASID (or the RID) of a mock device.
 * Every other operation number is reserved for later and fails with
 * EOPNOTSUPP.
 *
 * The mock IOMMU: a software IOMMU driver whose domains are xarrays from
 * IOVA page number to physical page number, in pages of its own of half a
 * CPU page (MOCK_IO_PAGE_SIZE), so that mappings that start or end inside
 * a CPU page are exercised. It translates the devices of a private bus,
 * "iommufd_mock", registered with iommu_device_register_bus() so that it
 * coexists with the machine's real IOMMU driver. Its aperture is
 * [MOCK_APERTURE_START, MOCK_APERTURE_LAST] and it maps MOCK_IO_PAGE_SIZE
 * and 2 MiB pages. Its domains may parent nested domains, whose "stage-1
 * table" is only an emulated IOTLB of four entries that the allocation
 * data fills and user invalidations clear, and may be attached to the
 * PASIDs of mock devices created with MOCK_FLAGS_DEVICE_PASID (a
 * "pasid-num-bits" property, as firmware would give). It reports cache
 * coherency and interrupt isolation, so binding its devices never depends
 * on the platform.
 *
 * Locking: ictx->test_batch_limit_set is only touched by ioctls on the
 * context and by its release, and a stale value merely restores the
 * default once too often. Each test access has a mutex for its list of
 * pinned ranges; it is never held while calling into the access API, so
 * it nests inside nothing of the core's. A selftest object's mutex plays
 * the driver's part of serializing calls on its device and is taken
 * outside every lock of the core. A mock domain's xarray has its own
 * internal lock; the iommu core and iommufd never map and unmap the same
 * IOVA at once.
 */
#include <linux/anon_inodes.h>
#include <linux/device.h>
#include <linux/file.h>
#include <linux/highmem.h>
#include <linux/idr.h>
#include <linux/iommu.h>
#include <linux/iommufd.h>
#include <linux/sizes.h>
#include <linux/xarray.h>
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/property.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
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
 * struct iommufd_test_access - the test's emulated device driver
 * @access: its access
 * @lock: protects @pinned and @next_id
 * @pinned: the ranges pinned and not yet released, struct
 *          iommufd_test_pinned
 * @next_id: the ID of the last pinned range
 */
struct iommufd_test_access {
	struct iommufd_access *access;
	struct mutex lock; /* protects pinned and next_id */
	struct list_head pinned;
	u32 next_id;
};

/**
 * struct iommufd_test_pinned - one range pinned by IOMMU_TEST_OP_ACCESS_PAGES
 * @node: entry in iommufd_test_access.pinned
 * @iova: first IOVA, as given to iommufd_access_pin_pages()
 * @length: bytes, as given to iommufd_access_pin_pages()
 * @id: what userspace calls it
 */
struct iommufd_test_pinned {
	struct list_head node;
	unsigned long iova;
	unsigned long length;
	u32 id;
};

static void iommufd_test_access_unmap(void *data, unsigned long iova,
				      unsigned long length)
{
	unsigned long last = length == ULONG_MAX ? ULONG_MAX :
						   iova + length - 1;
	struct iommufd_test_access *staccess = data;
	struct iommufd_test_pinned *pinned, *next;
	LIST_HEAD(victims);

	/* The core never asks about an empty range (it would wrap below). */
	if (WARN_ON_ONCE(!length))
		return;

	mutex_lock(&staccess->lock);
	list_for_each_entry_safe(pinned, next, &staccess->pinned, node) {
		if (pinned->iova > last ||
		    pinned->iova + (pinned->length - 1) < iova)
			continue;
		list_move(&pinned->node, &victims);
	}
	mutex_unlock(&staccess->lock);

	list_for_each_entry_safe(pinned, next, &victims, node) {
		iommufd_access_unpin_pages(staccess->access, pinned->iova,
					   pinned->length);
		list_del(&pinned->node);
		kfree(pinned);
	}
}

static const struct iommufd_access_ops iommufd_test_access_ops = {
	.unmap = iommufd_test_access_unmap,
};

static const struct iommufd_access_ops iommufd_test_access_pin_ops = {
	.needs_pin_pages = 1,
	.unmap = iommufd_test_access_unmap,
};

static int iommufd_test_access_release(struct inode *inode, struct file *file)
{
	struct iommufd_test_access *staccess = file->private_data;

	/* Detaching calls the unmap callback, which unpins everything. */
	iommufd_access_destroy(staccess->access);
	WARN_ON(!list_empty(&staccess->pinned));
	mutex_destroy(&staccess->lock);
	kfree(staccess);
	return 0;
}

static const struct file_operations iommufd_test_access_fops = {
	.release = iommufd_test_access_release,
};

/* The test access behind fd @fd, with a file reference for *@filep */
static struct iommufd_test_access *iommufd_test_access_get(int fd,
							   struct file **filep)
{
	struct file *file;

	file = fget(fd);
	if (!file)
		return ERR_PTR(-EBADFD);
	if (file->f_op != &iommufd_test_access_fops) {
		fput(file);
		return ERR_PTR(-EBADFD);
	}
	*filep = file;
	return file->private_data;
}

static int iommufd_test_create_access(struct iommufd_ucmd *ucmd)
{
	struct iommu_test_cmd *cmd = ucmd->cmd;
	struct iommufd_test_access *staccess;
	const struct iommufd_access_ops *ops;
	struct iommufd_access *access;
	struct file *file;
	u32 access_id;
	int fd, rc;

	if (cmd->create_access.flags & ~MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES)
		return -EOPNOTSUPP;
	ops = cmd->create_access.flags ? &iommufd_test_access_pin_ops :
					 &iommufd_test_access_ops;

	staccess = kzalloc(sizeof(*staccess), GFP_KERNEL_ACCOUNT);
	if (!staccess)
		return -ENOMEM;
	mutex_init(&staccess->lock);
	INIT_LIST_HEAD(&staccess->pinned);

	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0) {
		rc = fd;
		goto err_free;
	}
	access = iommufd_access_create(ucmd->ictx, ops, staccess, &access_id);
	if (IS_ERR(access)) {
		rc = PTR_ERR(access);
		goto err_put_fd;
	}
	staccess->access = access;
	rc = iommufd_access_attach(access, cmd->id);
	if (rc)
		goto err_destroy;

	file = anon_inode_getfile("[iommufd_test_access]",
				  &iommufd_test_access_fops, staccess, O_RDWR);
	if (IS_ERR(file)) {
		rc = PTR_ERR(file);
		goto err_destroy;
	}
	/* From here the file owns the access; its release undoes it all. */
	cmd->create_access.out_access_fd = fd;
	rc = iommufd_ucmd_respond(ucmd);
	if (rc) {
		fput(file);
		put_unused_fd(fd);
		return rc;
	}
	fd_install(fd, file);
	return 0;

err_destroy:
	iommufd_access_destroy(access);
err_put_fd:
	put_unused_fd(fd);
err_free:
	mutex_destroy(&staccess->lock);
	kfree(staccess);
	return rc;
}

/* Are the pinned pages what the user sees at @uptr? 0, -EINVAL, -EFAULT */
static int iommufd_test_check_pages(struct page **pages, unsigned long iova,
				    unsigned long length, void __user *uptr)
{
	unsigned long done = 0;
	void *tmp;
	int rc = 0;

	tmp = kmalloc(PAGE_SIZE, GFP_KERNEL_ACCOUNT);
	if (!tmp)
		return -ENOMEM;
	while (done != length) {
		unsigned long offset = offset_in_page(iova + done);
		size_t chunk = min(PAGE_SIZE - offset, length - done);
		void *va;
		int diff;

		if (copy_from_user(tmp, uptr + done, chunk)) {
			rc = -EFAULT;
			break;
		}
		va = kmap_local_page(*pages++);
		diff = memcmp(va + offset, tmp, chunk);
		kunmap_local(va);
		if (diff) {
			rc = -EINVAL;
			break;
		}
		done += chunk;
	}
	kfree(tmp);
	return rc;
}

static int iommufd_test_access_pages(struct iommufd_ucmd *ucmd)
{
	struct iommu_test_cmd *cmd = ucmd->cmd;
	struct iommufd_test_access *staccess;
	unsigned long iova, length, last;
	struct iommufd_test_pinned *pinned;
	unsigned int flags = 0;
	void __user *uptr;
	struct page **pages;
	struct file *file;
	size_t npages;
	int rc;

	if (cmd->access_pages.flags &
	    ~(MOCK_FLAGS_ACCESS_WRITE | MOCK_FLAGS_ACCESS_SYZ))
		return -EOPNOTSUPP;
	if (cmd->access_pages.flags & MOCK_FLAGS_ACCESS_WRITE)
		flags |= IOMMUFD_ACCESS_RW_WRITE;
	if (cmd->access_pages.iova > ULONG_MAX ||
	    cmd->access_pages.length > ULONG_MAX)
		return -EOVERFLOW;
	iova = cmd->access_pages.iova;
	length = cmd->access_pages.length;
	if (!length)
		return -EINVAL;
	if (check_add_overflow(iova, length - 1, &last))
		return -EOVERFLOW;
	npages = (last >> PAGE_SHIFT) - (iova >> PAGE_SHIFT) + 1;

	staccess = iommufd_test_access_get(cmd->id, &file);
	if (IS_ERR(staccess))
		return PTR_ERR(staccess);

	/*
	 * Whatever the length, this must fail cleanly rather than warn or
	 * wake the OOM killer (a fuzzer asks for terabytes).
	 */
	pages = kvcalloc(npages, sizeof(*pages),
			 GFP_KERNEL_ACCOUNT | __GFP_NOWARN | __GFP_RETRY_MAYFAIL);
	pinned = kzalloc(sizeof(*pinned), GFP_KERNEL_ACCOUNT);
	if (!pages || !pinned) {
		rc = -ENOMEM;
		goto out_free;
	}
	rc = iommufd_access_pin_pages(staccess->access, iova, length, pages,
				      flags);
	if (rc)
		goto out_free;
	uptr = u64_to_user_ptr(cmd->access_pages.uptr);
	if (uptr) {
		rc = iommufd_test_check_pages(pages, iova, length, uptr);
		if (rc)
			goto out_unpin;
	}

	pinned->iova = iova;
	pinned->length = length;
	mutex_lock(&staccess->lock);
	pinned->id = ++staccess->next_id;
	mutex_unlock(&staccess->lock);
	cmd->access_pages.out_access_pages_id = pinned->id;
	rc = iommufd_ucmd_respond(ucmd);
	if (rc)
		goto out_unpin;

	/*
	 * An unmap that ran since the pin did not see this range and failed
	 * with -EBUSY; the range is released like any other from now on.
	 */
	mutex_lock(&staccess->lock);
	list_add_tail(&pinned->node, &staccess->pinned);
	mutex_unlock(&staccess->lock);
	pinned = NULL;
	goto out_free;

out_unpin:
	iommufd_access_unpin_pages(staccess->access, iova, length);
out_free:
	kfree(pinned);
	kvfree(pages);
	fput(file);
	return rc;
}

static int iommufd_test_destroy_access_pages(struct iommufd_ucmd *ucmd)
{
	struct iommu_test_cmd *cmd = ucmd->cmd;
	struct iommufd_test_pinned *pinned, *found = NULL;
	struct iommufd_test_access *staccess;
	struct file *file;

	staccess = iommufd_test_access_get(cmd->id, &file);
	if (IS_ERR(staccess))
		return PTR_ERR(staccess);

	mutex_lock(&staccess->lock);
	list_for_each_entry(pinned, &staccess->pinned, node) {
		if (pinned->id == cmd->destroy_access_pages.access_pages_id) {
			list_del(&pinned->node);
			found = pinned;
			break;
		}
	}
	mutex_unlock(&staccess->lock);

	if (found) {
		iommufd_access_unpin_pages(staccess->access, found->iova,
					   found->length);
		kfree(found);
	}
	fput(file);
	return found ? 0 : -ENOENT;
}

/* Largest IOMMU_TEST_OP_ACCESS_RW: the bounce buffer is allocated whole */
#define IOMMUFD_TEST_RW_MAX (16UL << 20)

/* Copy through the access as one call, or one call per IOVA page. */
static int iommufd_test_rw(struct iommufd_access *access, unsigned long iova,
			   void *buf, unsigned long length, unsigned int flags,
			   bool slow)
{
	unsigned long done = 0;
	int rc;

	if (!slow)
		return iommufd_access_rw(access, iova, buf, length, flags);
	flags |= IOMMUFD_ACCESS_RW_KTHREAD;
	do {
		size_t chunk = min(PAGE_SIZE - offset_in_page(iova + done),
				   length - done);

		rc = iommufd_access_rw(access, iova + done, buf + done, chunk,
				       flags);
		if (rc)
			return rc;
		done += chunk;
	} while (done != length);
	return 0;
}

static int iommufd_test_access_rw(struct iommufd_ucmd *ucmd)
{
	struct iommu_test_cmd *cmd = ucmd->cmd;
	void __user *uptr = u64_to_user_ptr(cmd->access_rw.uptr);
	bool write = cmd->access_rw.flags & MOCK_ACCESS_RW_WRITE;
	struct iommufd_test_access *staccess;
	unsigned long iova, length, last;
	struct file *file;
	void *buf;
	int rc;

	if (cmd->access_rw.flags &
	    ~(MOCK_ACCESS_RW_WRITE | MOCK_ACCESS_RW_SLOW_PATH))
		return -EOPNOTSUPP;
	if (cmd->access_rw.iova > ULONG_MAX)
		return -EOVERFLOW;
	if (!cmd->access_rw.length ||
	    cmd->access_rw.length > IOMMUFD_TEST_RW_MAX)
		return -EINVAL;
	iova = cmd->access_rw.iova;
	length = cmd->access_rw.length;
	if (check_add_overflow(iova, length - 1, &last))
		return -EOVERFLOW;

	staccess = iommufd_test_access_get(cmd->id, &file);
	if (IS_ERR(staccess))
		return PTR_ERR(staccess);
	buf = kvzalloc(length, GFP_KERNEL_ACCOUNT);
	if (!buf) {
		rc = -ENOMEM;
		goto out_put;
	}
	if (write && copy_from_user(buf, uptr, length)) {
		rc = -EFAULT;
		goto out_free;
	}
	rc = iommufd_test_rw(staccess->access, iova, buf, length,
			     write ? IOMMUFD_ACCESS_RW_WRITE :
				     IOMMUFD_ACCESS_RW_READ,
			     cmd->access_rw.flags & MOCK_ACCESS_RW_SLOW_PATH);
	if (!rc && !write && copy_to_user(uptr, buf, length))
		rc = -EFAULT;
out_free:
	kvfree(buf);
out_put:
	fput(file);
	return rc;
}

static int iommufd_test_access_replace_ioas(struct iommufd_ucmd *ucmd)
{
	struct iommu_test_cmd *cmd = ucmd->cmd;
	struct iommufd_test_access *staccess;
	struct file *file;
	int rc;

	staccess = iommufd_test_access_get(cmd->id, &file);
	if (IS_ERR(staccess))
		return PTR_ERR(staccess);
	rc = iommufd_access_replace(staccess->access,
				    cmd->access_replace_ioas.ioas_id);
	fput(file);
	return rc;
}

/* The mock IOMMU driver */

/**
 * struct mock_dev - a device of the mock bus
 * @dev: the device
 * @id: its number in mock_dev_ida
 * @flags: the MOCK_FLAGS_DEVICE_* it was created with
 * @rid_domain: the domain its RID is attached to (NULL for blocking),
 *              written by attach_dev under the group mutex
 * @pasids: PASID -> the domain attached to it, under the group mutex
 * @cache: emulated per-device caches, for IOMMU_TEST_OP_DEV_CHECK_CACHE
 */
struct mock_dev {
	struct device dev;
	int id;
	u32 flags;
	struct iommu_domain *rid_domain;
	struct xarray pasids;
	u32 cache[MOCK_DEV_CACHE_NUM];
};

static struct mock_dev *to_mock_dev(struct device *dev)
{
	return container_of(dev, struct mock_dev, dev);
}

/* The mock PASID that cannot be replaced, to test failed replaces */
#define MOCK_PASID_NO_REPLACE 1024

#define MOCK_APERTURE_START BIT(24)
#define MOCK_APERTURE_LAST (BIT(31) - 1)

/**
 * struct mock_iommu_domain - an unmanaged domain of the mock IOMMU
 * @domain: the core's domain
 * @pfns: IOVA >> PAGE_SHIFT -> xa_mk_value(PFN), one entry per PAGE_SIZE
 *        of every mapping, whatever page size it was mapped with
 */
struct mock_iommu_domain {
	struct iommu_domain domain;
	struct xarray pfns;
};

static struct mock_iommu_domain *to_mock_domain(struct iommu_domain *domain)
{
	return container_of(domain, struct mock_iommu_domain, domain);
}

static int mock_attach_dev(struct iommu_domain *domain, struct device *dev)
{
	WRITE_ONCE(to_mock_dev(dev)->rid_domain,
		   domain->type == IOMMU_DOMAIN_BLOCKED ? NULL : domain);
	return 0;
}

static int mock_set_dev_pasid(struct iommu_domain *domain, struct device *dev,
			      ioasid_t pasid)
{
	struct mock_dev *mdev = to_mock_dev(dev);

	if (pasid == MOCK_PASID_NO_REPLACE && xa_load(&mdev->pasids, pasid))
		return -ENOMEM;
	return xa_err(xa_store(&mdev->pasids, pasid, domain, GFP_KERNEL));
}

static void mock_remove_dev_pasid(struct device *dev, ioasid_t pasid)
{
	xa_erase(&to_mock_dev(dev)->pasids, pasid);
}

static void mock_detach_dev(struct iommu_domain *domain, struct device *dev)
{
}

static void mock_blocking_free(struct iommu_domain *domain)
{
	kfree(domain);
}

static const struct iommu_domain_ops mock_blocking_ops = {
	.attach_dev = mock_attach_dev,
	.detach_dev = mock_detach_dev,
	.free = mock_blocking_free,
};

/* The mock IOMMU's page: half a CPU page */
#define MOCK_IO_PAGE_SHIFT (PAGE_SHIFT - 1)
#define MOCK_IO_PAGE_SIZE (PAGE_SIZE / 2)

static void mock_domain_erase(struct mock_iommu_domain *mock,
			      unsigned long iova, size_t length)
{
	unsigned long off;

	for (off = 0; off < length; off += MOCK_IO_PAGE_SIZE)
		xa_erase(&mock->pfns, (iova + off) >> MOCK_IO_PAGE_SHIFT);
}

static int mock_map_pages(struct iommu_domain *domain, unsigned long iova,
			  phys_addr_t paddr, size_t pgsize, size_t pgcount,
			  int prot, gfp_t gfp, size_t *mapped)
{
	struct mock_iommu_domain *mock = to_mock_domain(domain);
	unsigned long off;
	int rc;

	for (; pgcount; pgcount--) {
		for (off = 0; off < pgsize; off += MOCK_IO_PAGE_SIZE) {
			rc = xa_insert(&mock->pfns,
				       (iova + off) >> MOCK_IO_PAGE_SHIFT,
				       xa_mk_value((paddr + off) >>
						   MOCK_IO_PAGE_SHIFT), gfp);
			if (rc) {
				/* Mapping over a mapping is a core bug. */
				WARN_ON(rc == -EBUSY);
				mock_domain_erase(mock, iova, off);
				return rc;
			}
		}
		iova += pgsize;
		paddr += pgsize;
		*mapped += pgsize;
	}
	return 0;
}

static size_t mock_unmap_pages(struct iommu_domain *domain, unsigned long iova,
			       size_t pgsize, size_t pgcount,
			       struct iommu_iotlb_gather *gather)
{
	struct mock_iommu_domain *mock = to_mock_domain(domain);
	size_t length = pgsize * pgcount;
	unsigned long off;

	for (off = 0; off < length; off += MOCK_IO_PAGE_SIZE) {
		/* Unmapping a hole is a core bug. */
		if (WARN_ON(!xa_erase(&mock->pfns,
				      (iova + off) >> MOCK_IO_PAGE_SHIFT)))
			break;
	}
	return off;
}

static phys_addr_t mock_iova_to_phys(struct iommu_domain *domain,
				     dma_addr_t iova)
{
	void *entry = xa_load(&to_mock_domain(domain)->pfns,
			      iova >> MOCK_IO_PAGE_SHIFT);

	if (!entry)
		return 0;
	return ((phys_addr_t)xa_to_value(entry) << MOCK_IO_PAGE_SHIFT) +
	       (iova & (MOCK_IO_PAGE_SIZE - 1));
}

static bool mock_enforce_cache_coherency(struct iommu_domain *domain)
{
	return true;
}

static void mock_domain_free(struct iommu_domain *domain)
{
	struct mock_iommu_domain *mock = to_mock_domain(domain);

	WARN_ON(!xa_empty(&mock->pfns));
	xa_destroy(&mock->pfns);
	kfree(mock);
}

static const struct iommu_domain_ops mock_domain_ops = {
	.attach_dev = mock_attach_dev,
	.detach_dev = mock_detach_dev,
	.map_pages = mock_map_pages,
	.unmap_pages = mock_unmap_pages,
	.iova_to_phys = mock_iova_to_phys,
	.enforce_cache_coherency = mock_enforce_cache_coherency,
	.set_dev_pasid = mock_set_dev_pasid,
	.free = mock_domain_free,
};

/**
 * struct mock_nested_domain - a nested domain of the mock IOMMU
 * @domain: the core's domain
 * @parent: the stage-2 mock domain
 * @iotlb: the emulated IOTLB: set from the allocation data, cleared by
 *         invalidations
 */
struct mock_nested_domain {
	struct iommu_domain domain;
	struct mock_iommu_domain *parent;
	u32 iotlb[MOCK_NESTED_DOMAIN_IOTLB_NUM];
};

static struct mock_nested_domain *to_mock_nested(struct iommu_domain *domain)
{
	return container_of(domain, struct mock_nested_domain, domain);
}

static void mock_nested_free(struct iommu_domain *domain)
{
	kfree(to_mock_nested(domain));
}

/*
 * Clear entry @id of the emulated cache @cache of @num entries, or all of
 * them for IOMMU_TEST_INVALIDATE_FLAG_ALL in @flags.
 */
static int mock_cache_clear(u32 *cache, unsigned int num, u32 flags, u32 id)
{
	if (flags & ~IOMMU_TEST_INVALIDATE_FLAG_ALL)
		return -EOPNOTSUPP;
	if (id >= num)
		return -EINVAL;
	if (flags & IOMMU_TEST_INVALIDATE_FLAG_ALL)
		memset(cache, 0, num * sizeof(*cache));
	else
		cache[id] = 0;
	return 0;
}

static int mock_nested_invalidate_one(void *owner, const void *entry)
{
	const struct iommu_hwpt_invalidate_selftest *inv = entry;
	struct mock_nested_domain *nested = owner;

	return mock_cache_clear(nested->iotlb, MOCK_NESTED_DOMAIN_IOTLB_NUM,
				inv->flags, inv->iotlb_id);
}

static int mock_nested_invalidate(struct iommu_domain *domain,
				  struct iommu_user_data_array *array)
{
	struct iommu_hwpt_invalidate_selftest inv;

	return iommu_user_array_apply(array,
				      IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
				      &inv, sizeof(inv),
				      offsetofend(typeof(inv), iotlb_id),
				      mock_nested_invalidate_one,
				      to_mock_nested(domain));
}

static const struct iommu_domain_ops mock_nested_ops = {
	.attach_dev = mock_attach_dev,
	.detach_dev = mock_detach_dev,
	.set_dev_pasid = mock_set_dev_pasid,
	.cache_invalidate_user = mock_nested_invalidate,
	.free = mock_nested_free,
};

static struct iommu_domain *mock_paging_alloc(void)
{
	struct mock_iommu_domain *mock;

	mock = kzalloc(sizeof(*mock), GFP_KERNEL);
	if (!mock)
		return NULL;
	xa_init(&mock->pfns);
	mock->domain.type = IOMMU_DOMAIN_UNMANAGED;
	mock->domain.ops = &mock_domain_ops;
	mock->domain.pgsize_bitmap = MOCK_IO_PAGE_SIZE | SZ_2M;
	mock->domain.geometry.aperture_start = MOCK_APERTURE_START;
	mock->domain.geometry.aperture_end = MOCK_APERTURE_LAST;
	mock->domain.geometry.force_aperture = true;
	return &mock->domain;
}

static struct iommu_domain *mock_domain_alloc(unsigned int type)
{
	struct iommu_domain *blocking;

	if (type == IOMMU_DOMAIN_BLOCKED) {
		blocking = kzalloc(sizeof(*blocking), GFP_KERNEL);
		if (blocking)
			blocking->ops = &mock_blocking_ops;
		return blocking;
	}
	/* No DMA API domains: mock devices never do DMA for the kernel. */
	if (type != IOMMU_DOMAIN_UNMANAGED)
		return NULL;
	return mock_paging_alloc();
}

static struct iommu_domain *
mock_nested_alloc(struct iommu_domain *parent, u32 flags,
		  const struct iommu_user_data *user_data)
{
	struct mock_nested_domain *nested;
	struct iommu_hwpt_selftest data;
	int rc, i;

	if (flags & ~IOMMU_HWPT_ALLOC_PASID ||
	    user_data->type != IOMMU_HWPT_DATA_SELFTEST)
		return ERR_PTR(-EOPNOTSUPP);
	if (parent->ops != &mock_domain_ops)
		return ERR_PTR(-EINVAL);
	rc = iommu_user_data_copy(&data, sizeof(data),
				  offsetofend(struct iommu_hwpt_selftest, iotlb),
				  user_data, IOMMU_HWPT_DATA_SELFTEST);
	if (rc)
		return ERR_PTR(rc);

	nested = kzalloc(sizeof(*nested), GFP_KERNEL);
	if (!nested)
		return ERR_PTR(-ENOMEM);
	nested->domain.type = IOMMU_DOMAIN_NESTED;
	nested->domain.ops = &mock_nested_ops;
	nested->parent = to_mock_domain(parent);
	for (i = 0; i != MOCK_NESTED_DOMAIN_IOTLB_NUM; i++)
		nested->iotlb[i] = data.iotlb;
	return &nested->domain;
}

static struct iommu_domain *
mock_domain_alloc_user(struct device *dev, u32 flags,
		       struct iommu_domain *parent,
		       const struct iommu_user_data *user_data)
{
	struct iommu_domain *domain;

	if (parent)
		return mock_nested_alloc(parent, flags, user_data);
	if (flags & ~(IOMMU_HWPT_ALLOC_NEST_PARENT | IOMMU_HWPT_ALLOC_PASID) ||
	    user_data)
		return ERR_PTR(-EOPNOTSUPP);
	domain = mock_paging_alloc();
	return domain ?: ERR_PTR(-ENOMEM);
}

static struct bus_type iommufd_mock_bus;

/*
 * The mock vIOMMU (IOMMU_VIOMMU_TYPE_SELFTEST): nested domains as on a
 * NEST_PARENT HWPT, and invalidation of the caches of its devices, which
 * it finds by virtual ID.
 */
static struct iommu_domain *
mock_viommu_alloc_domain_nested(struct iommufd_viommu *viommu, u32 flags,
				const struct iommu_user_data *user_data)
{
	return mock_nested_alloc(viommu->parent, flags, user_data);
}

static int mock_viommu_invalidate_one(void *owner, const void *entry)
{
	const struct iommu_viommu_invalidate_selftest *inv = entry;
	struct device *dev;

	/* Unknown flags are EOPNOTSUPP whatever the device */
	if (inv->flags & ~IOMMU_TEST_INVALIDATE_FLAG_ALL)
		return -EOPNOTSUPP;
	dev = iommufd_viommu_find_dev(owner, inv->vdev_id);
	if (!dev || dev->bus != &iommufd_mock_bus)
		return -EINVAL;
	return mock_cache_clear(to_mock_dev(dev)->cache, MOCK_DEV_CACHE_NUM,
				inv->flags, inv->cache_id);
}

static int mock_viommu_cache_invalidate(struct iommufd_viommu *viommu,
					struct iommu_user_data_array *array)
{
	struct iommu_viommu_invalidate_selftest inv;

	return iommu_user_array_apply(array,
				      IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST,
				      &inv, sizeof(inv),
				      offsetofend(typeof(inv), cache_id),
				      mock_viommu_invalidate_one, viommu);
}

static const struct iommufd_viommu_ops mock_viommu_ops = {
	.alloc_domain_nested = mock_viommu_alloc_domain_nested,
	.cache_invalidate = mock_viommu_cache_invalidate,
};

static size_t mock_viommu_size(struct device *dev, unsigned int type)
{
	return type == IOMMU_VIOMMU_TYPE_SELFTEST ?
		       sizeof(struct iommufd_viommu) : 0;
}

static int mock_viommu_init(struct iommufd_viommu *viommu,
			    struct iommu_domain *parent,
			    const struct iommu_user_data *user_data)
{
	struct iommu_viommu_selftest data;
	int rc;

	if (parent->ops != &mock_domain_ops)
		return -EINVAL;
	if (user_data) {
		rc = iommu_user_data_copy(&data, sizeof(data),
					  offsetofend(typeof(data), out_data),
					  user_data, IOMMU_VIOMMU_TYPE_SELFTEST);
		if (rc)
			return rc;
		data.out_data = data.in_data;
		data.out_mmap_offset = 0;
		data.out_mmap_length = 0;
		rc = iommu_user_data_copy_out(user_data, &data, sizeof(data));
		if (rc)
			return rc;
	}
	viommu->ops = &mock_viommu_ops;
	return 0;
}

static bool mock_capable(struct device *dev, enum iommu_cap cap)
{
	return cap == IOMMU_CAP_CACHE_COHERENCY || cap == IOMMU_CAP_INTR_REMAP;
}

static void *mock_hw_info(struct device *dev, u32 *length, u32 *type)
{
	struct iommu_test_hw_info *info;

	info = kzalloc(sizeof(*info), GFP_KERNEL);
	if (!info)
		return ERR_PTR(-ENOMEM);
	info->test_reg = IOMMU_HW_INFO_SELFTEST_REGVAL;
	*length = sizeof(*info);
	*type = IOMMU_HW_INFO_TYPE_SELFTEST;
	return info;
}

static struct iommu_device mock_iommu;

static struct iommu_device *mock_probe_device(struct device *dev)
{
	return &mock_iommu;
}

static const struct iommu_ops mock_iommu_ops = {
	.owner = THIS_MODULE,
	.capable = mock_capable,
	.hw_info = mock_hw_info,
	.domain_alloc = mock_domain_alloc,
	.domain_alloc_user = mock_domain_alloc_user,
	.viommu_size = mock_viommu_size,
	.viommu_init = mock_viommu_init,
	.probe_device = mock_probe_device,
	.remove_dev_pasid = mock_remove_dev_pasid,
	.device_group = generic_device_group,
	.pgsize_bitmap = MOCK_IO_PAGE_SIZE | SZ_2M,
	.default_domain_ops = &mock_domain_ops,
};

static struct bus_type iommufd_mock_bus = {
	.name = "iommufd_mock",
};

static struct notifier_block mock_bus_nb;
static DEFINE_IDA(mock_dev_ida);

static void mock_dev_release(struct device *dev)
{
	struct mock_dev *mdev = to_mock_dev(dev);

	WARN_ON(!xa_empty(&mdev->pasids));
	xa_destroy(&mdev->pasids);
	ida_free(&mock_dev_ida, mdev->id);
	kfree(mdev);
}

/*
 * A PASID-capable mock device says so as a platform device would, by the
 * firmware property the iommu core reads at probe time.
 */
static const struct property_entry mock_pasid_props[] = {
	PROPERTY_ENTRY_U32("pasid-num-bits", MOCK_PASID_WIDTH),
	{}
};

/* Add a device to the mock bus; the iommu core probes it on the way. */
static struct mock_dev *mock_dev_create(u32 flags)
{
	struct iommu_group *group;
	struct mock_dev *mdev;
	int rc, i;

	mdev = kzalloc(sizeof(*mdev), GFP_KERNEL);
	if (!mdev)
		return ERR_PTR(-ENOMEM);
	mdev->id = ida_alloc(&mock_dev_ida, GFP_KERNEL);
	if (mdev->id < 0) {
		rc = mdev->id;
		kfree(mdev);
		return ERR_PTR(rc);
	}
	mdev->flags = flags;
	xa_init(&mdev->pasids);
	for (i = 0; i != MOCK_DEV_CACHE_NUM; i++)
		mdev->cache[i] = IOMMU_TEST_DEV_CACHE_DEFAULT;
	device_initialize(&mdev->dev);
	mdev->dev.release = mock_dev_release;
	mdev->dev.bus = &iommufd_mock_bus;
	rc = dev_set_name(&mdev->dev, "iommufd_mock%d", mdev->id);
	if (!rc && (flags & MOCK_FLAGS_DEVICE_PASID))
		rc = device_create_managed_software_node(&mdev->dev,
							 mock_pasid_props,
							 NULL);
	if (!rc)
		rc = device_add(&mdev->dev);
	if (rc) {
		put_device(&mdev->dev);
		return ERR_PTR(rc);
	}
	/*
	 * The core's bus notifier drops the error of the IOMMU probe. The
	 * mock IOMMU's own probe cannot fail, so a device left without a
	 * group means the core ran out of memory probing it.
	 */
	group = iommu_group_get(&mdev->dev);
	if (!group) {
		device_unregister(&mdev->dev);
		return ERR_PTR(-ENOMEM);
	}
	iommu_group_put(group);
	return mdev;
}

static void mock_dev_destroy(struct mock_dev *mdev)
{
	device_unregister(&mdev->dev);
}

/**
 * iommufd_test_init() - register the mock bus and the mock IOMMU
 *
 * Return: 0 or an error, in which case nothing stays registered.
 */
int iommufd_test_init(void)
{
	int rc;

	rc = bus_register(&iommufd_mock_bus);
	if (rc)
		return rc;
	mock_iommu.max_pasids = 1U << MOCK_PASID_WIDTH;
	rc = iommu_device_sysfs_add(&mock_iommu, NULL, NULL, "%s",
				    "iommufd_mock");
	if (rc)
		goto err_bus;
	rc = iommu_device_register_bus(&mock_iommu, &mock_iommu_ops,
				       &iommufd_mock_bus, &mock_bus_nb);
	if (rc)
		goto err_sysfs;
	return 0;

err_sysfs:
	iommu_device_sysfs_remove(&mock_iommu);
err_bus:
	bus_unregister(&iommufd_mock_bus);
	return rc;
}

/**
 * iommufd_test_exit() - undo iommufd_test_init()
 */
void iommufd_test_exit(void)
{
	iommu_device_unregister_bus(&mock_iommu, &iommufd_mock_bus,
				    &mock_bus_nb);
	iommu_device_sysfs_remove(&mock_iommu);
	bus_unregister(&iommufd_mock_bus);
}

/**
 * struct selftest_obj - a mock device owned by the context
 *                       (IOMMUFD_OTYPE_SELFTEST)
 * @obj: object header
 * @lock: serializes replace against destroy, as a driver would
 * @mdev: the device
 * @idev: its binding to the context
 */
struct selftest_obj {
	struct iommufd_object obj;
	struct mutex lock; /* see the kernel-doc above */
	struct mock_dev *mdev;
	struct iommufd_device *idev;
};

static void iommufd_selftest_destroy(struct iommufd_object *obj)
{
	struct selftest_obj *sobj = container_of(obj, struct selftest_obj, obj);

	if (sobj->idev)
		iommufd_device_unbind(sobj->idev);
	if (sobj->mdev)
		mock_dev_destroy(sobj->mdev);
	mutex_destroy(&sobj->lock);
}

const struct iommufd_otype_ops iommufd_selftest_ops = {
	.destroy = iommufd_selftest_destroy,
	.name = "selftest",
};

static int iommufd_test_mock_domain(struct iommufd_ucmd *ucmd)
{
	struct iommu_test_cmd *cmd = ucmd->cmd;
	struct selftest_obj *sobj;
	u32 pt_id = cmd->id;
	u32 dev_flags = 0;
	u32 idev_id;
	int rc;

	if (cmd->op == IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS) {
		dev_flags = cmd->mock_domain_flags.dev_flags;
		if (dev_flags & ~(MOCK_FLAGS_DEVICE_NO_DIRTY |
				  MOCK_FLAGS_DEVICE_HUGE_IOVA |
				  MOCK_FLAGS_DEVICE_PASID))
			return -EOPNOTSUPP;
	}

	sobj = iommufd_obj_new(ucmd->ictx, struct selftest_obj,
			       IOMMUFD_OTYPE_SELFTEST);
	if (IS_ERR(sobj))
		return PTR_ERR(sobj);
	mutex_init(&sobj->lock);

	sobj->mdev = mock_dev_create(dev_flags);
	if (IS_ERR(sobj->mdev)) {
		rc = PTR_ERR(sobj->mdev);
		sobj->mdev = NULL;
		goto err_abort;
	}
	sobj->idev = iommufd_device_bind_internal(ucmd->ictx, &sobj->mdev->dev,
						  &idev_id, false);
	if (IS_ERR(sobj->idev)) {
		rc = PTR_ERR(sobj->idev);
		sobj->idev = NULL;
		goto err_abort;
	}
	rc = iommufd_device_attach(sobj->idev, IOMMU_NO_PASID, &pt_id);
	if (rc)
		goto err_abort;

	/* Both op layouts start with the same three outputs. */
	cmd->mock_domain.out_stdev_id = sobj->obj.id;
	cmd->mock_domain.out_hwpt_id = pt_id;
	cmd->mock_domain.out_idev_id = idev_id;
	rc = iommufd_ucmd_respond(ucmd);
	if (rc)
		goto err_abort;
	iommufd_obj_publish(ucmd->ictx, &sobj->obj);
	return 0;

err_abort:
	iommufd_obj_abort(ucmd->ictx, &sobj->obj);
	return rc;
}

static struct selftest_obj *iommufd_test_sobj_get(struct iommufd_ucmd *ucmd,
						  u32 id)
{
	struct iommufd_object *obj;

	obj = iommufd_obj_get(ucmd->ictx, id, IOMMUFD_OTYPE_SELFTEST);
	if (IS_ERR(obj))
		return ERR_CAST(obj);
	return container_of(obj, struct selftest_obj, obj);
}

static int iommufd_test_mock_domain_replace(struct iommufd_ucmd *ucmd)
{
	struct iommu_test_cmd *cmd = ucmd->cmd;
	struct selftest_obj *sobj;
	u32 pt_id = cmd->mock_domain_replace.pt_id;
	int rc;

	sobj = iommufd_test_sobj_get(ucmd, cmd->id);
	if (IS_ERR(sobj))
		return PTR_ERR(sobj);
	mutex_lock(&sobj->lock);
	rc = iommufd_device_replace(sobj->idev, IOMMU_NO_PASID, &pt_id);
	mutex_unlock(&sobj->lock);
	if (!rc) {
		cmd->mock_domain_replace.pt_id = pt_id;
		rc = iommufd_ucmd_respond(ucmd);
	}
	iommufd_obj_put(&sobj->obj);
	return rc;
}

/* Look up a HWPT of type @otype whose domain has the mock's @ops. */
static struct iommufd_hwpt *
iommufd_test_mock_hwpt_get(struct iommufd_ucmd *ucmd, u32 id,
			   enum iommufd_otype otype,
			   const struct iommu_domain_ops *ops)
{
	struct iommufd_object *obj;
	struct iommufd_hwpt *hwpt;

	obj = iommufd_obj_get(ucmd->ictx, id, otype);
	if (IS_ERR(obj))
		return ERR_CAST(obj);
	hwpt = container_of(obj, struct iommufd_hwpt, obj);
	if (hwpt->domain->ops != ops) {
		iommufd_obj_put_lookup(ucmd->ictx, obj);
		return ERR_PTR(-EINVAL);
	}
	return hwpt;
}

/* The page mapped at user address @uptr, with a reference, or NULL */
static struct page *iommufd_test_user_page(unsigned long uptr)
{
	struct page *page;

	if (get_user_pages_fast(uptr, 1, 0, &page) != 1)
		return NULL;
	return page;
}

static int iommufd_test_md_check_map(struct iommufd_ucmd *ucmd)
{
	struct iommu_test_cmd *cmd = ucmd->cmd;
	unsigned long iova = cmd->check_map.iova;
	unsigned long uptr = cmd->check_map.uptr;
	struct mock_iommu_domain *mock;
	struct iommufd_hwpt *hwpt;
	unsigned long off;
	int rc = 0;

	if (!IS_ALIGNED(iova | uptr | cmd->check_map.length,
			MOCK_IO_PAGE_SIZE) ||
	    cmd->check_map.length > ULONG_MAX - iova)
		return -EINVAL;

	hwpt = iommufd_test_mock_hwpt_get(ucmd, cmd->id,
					  IOMMUFD_OTYPE_HWPT_PAGING,
					  &mock_domain_ops);
	if (IS_ERR(hwpt))
		return PTR_ERR(hwpt);
	mock = to_mock_domain(hwpt->domain);

	for (off = 0; off < cmd->check_map.length; off += MOCK_IO_PAGE_SIZE) {
		void *entry = xa_load(&mock->pfns,
				      (iova + off) >> MOCK_IO_PAGE_SHIFT);
		struct page *page = iommufd_test_user_page(uptr + off);
		phys_addr_t phys;

		if (!page) {
			rc = -EFAULT;
			break;
		}
		phys = page_to_phys(page) + offset_in_page(uptr + off);
		if (!entry ||
		    xa_to_value(entry) != phys >> MOCK_IO_PAGE_SHIFT)
			rc = -EINVAL;
		put_page(page);
		if (rc)
			break;
		cond_resched();
	}
	iommufd_obj_put_lookup(ucmd->ictx, &hwpt->obj);
	return rc;
}

/*
 * Does @page, which the caller holds once, have exactly @refs FOLL_PIN
 * pins? A large folio (THP, hugetlb) counts pins for the whole folio,
 * not per page, so for its pages only "pinned or not" can be checked.
 */
static bool iommufd_test_pins_match(struct page *page, unsigned int refs)
{
	struct folio *folio = page_folio(page);

	if (folio_test_large(folio))
		return !refs == !atomic_read(folio_pincount_ptr(folio));
	return (folio_ref_count(folio) - 1) / GUP_PIN_COUNTING_BIAS == refs;
}

static int iommufd_test_md_check_refs(struct iommufd_ucmd *ucmd)
{
	struct iommu_test_cmd *cmd = ucmd->cmd;
	unsigned long uptr = cmd->check_refs.uptr;
	unsigned long off;
	int rc = 0;

	if (!PAGE_ALIGNED(uptr) || !PAGE_ALIGNED(cmd->check_refs.length) ||
	    cmd->check_refs.length > ULONG_MAX - uptr)
		return -EINVAL;

	for (off = 0; off < cmd->check_refs.length; off += PAGE_SIZE) {
		struct page *page = iommufd_test_user_page(uptr + off);

		if (!page)
			return -EFAULT;
		if (!iommufd_test_pins_match(page, cmd->check_refs.refs))
			rc = -EINVAL;
		put_page(page);
		if (rc)
			return rc;
		cond_resched();
	}
	return 0;
}

static int iommufd_test_md_check_iotlb(struct iommufd_ucmd *ucmd)
{
	struct iommu_test_cmd *cmd = ucmd->cmd;
	struct iommufd_hwpt *hwpt;
	int rc = 0;

	hwpt = iommufd_test_mock_hwpt_get(ucmd, cmd->id,
					  IOMMUFD_OTYPE_HWPT_NESTED,
					  &mock_nested_ops);
	if (IS_ERR(hwpt))
		return PTR_ERR(hwpt);
	if (cmd->check_iotlb.id > MOCK_NESTED_DOMAIN_IOTLB_ID_MAX ||
	    to_mock_nested(hwpt->domain)->iotlb[cmd->check_iotlb.id] !=
		    cmd->check_iotlb.iotlb)
		rc = -EINVAL;
	iommufd_obj_put(&hwpt->obj);
	return rc;
}

static int iommufd_test_dev_check_cache(struct iommufd_ucmd *ucmd)
{
	struct iommu_test_cmd *cmd = ucmd->cmd;
	struct iommufd_device *idev;
	struct iommufd_object *obj;
	int rc = 0;

	obj = iommufd_obj_get(ucmd->ictx, cmd->id, IOMMUFD_OTYPE_DEVICE);
	if (IS_ERR(obj))
		return PTR_ERR(obj);
	idev = container_of(obj, struct iommufd_device, obj);
	if (idev->dev->bus != &iommufd_mock_bus ||
	    cmd->check_dev_cache.id > MOCK_DEV_CACHE_ID_MAX ||
	    to_mock_dev(idev->dev)->cache[cmd->check_dev_cache.id] !=
		    cmd->check_dev_cache.cache)
		rc = -EINVAL;
	iommufd_obj_put(obj);
	return rc;
}

/* An event of a mock device's vIOMMU, naming it by its virtual ID */
static int iommufd_test_trigger_vevent(struct iommufd_ucmd *ucmd)
{
	struct iommu_test_cmd *cmd = ucmd->cmd;
	struct iommu_viommu_event_selftest event = {};
	struct iommufd_device *idev;
	struct iommufd_object *obj;
	int rc = -ENOENT;

	obj = iommufd_obj_get(ucmd->ictx, cmd->trigger_vevent.dev_id,
			      IOMMUFD_OTYPE_DEVICE);
	if (IS_ERR(obj))
		return PTR_ERR(obj);
	idev = container_of(obj, struct iommufd_device, obj);
	if (idev->dev->bus != &iommufd_mock_bus) {
		rc = -EINVAL;
		goto out_put;
	}
	mutex_lock(&idev->vdev_lock);
	if (idev->vdev) {
		event.virt_id = idev->vdev->virt_id;
		rc = iommufd_viommu_report_event(idev->vdev->viommu,
						 IOMMU_VEVENTQ_TYPE_SELFTEST,
						 &event, sizeof(event));
	}
	mutex_unlock(&idev->vdev_lock);
out_put:
	iommufd_obj_put(obj);
	return rc;
}

/* PASID attach, replace and detach, as a VFIO driver would call them */
static int iommufd_test_pasid_change(struct iommufd_ucmd *ucmd)
{
	struct iommu_test_cmd *cmd = ucmd->cmd;
	struct selftest_obj *sobj;
	int rc = 0;

	/* The three layouts start with the PASID, and two with pt_id. */
	BUILD_BUG_ON(offsetof(struct iommu_test_cmd, pasid_replace.pt_id) !=
		     offsetof(struct iommu_test_cmd, pasid_attach.pt_id));
	sobj = iommufd_test_sobj_get(ucmd, cmd->id);
	if (IS_ERR(sobj))
		return PTR_ERR(sobj);
	mutex_lock(&sobj->lock);
	switch (cmd->op) {
	case IOMMU_TEST_OP_PASID_ATTACH:
		rc = iommufd_device_attach(sobj->idev, cmd->pasid_attach.pasid,
					   &cmd->pasid_attach.pt_id);
		break;
	case IOMMU_TEST_OP_PASID_REPLACE:
		rc = iommufd_device_replace(sobj->idev,
					    cmd->pasid_replace.pasid,
					    &cmd->pasid_replace.pt_id);
		break;
	default:
		iommufd_device_detach(sobj->idev, cmd->pasid_detach.pasid);
		break;
	}
	mutex_unlock(&sobj->lock);
	if (!rc && cmd->op != IOMMU_TEST_OP_PASID_DETACH)
		rc = iommufd_ucmd_respond(ucmd);
	iommufd_obj_put(&sobj->obj);
	return rc;
}

static int iommufd_test_pasid_check_hwpt(struct iommufd_ucmd *ucmd)
{
	struct iommu_test_cmd *cmd = ucmd->cmd;
	struct iommu_domain *attached;
	struct iommufd_object *obj;
	struct selftest_obj *sobj;
	struct mock_dev *mdev;
	int rc = 0;

	sobj = iommufd_test_sobj_get(ucmd, cmd->id);
	if (IS_ERR(sobj))
		return PTR_ERR(sobj);
	mdev = sobj->mdev;
	if (cmd->pasid_check.pasid == IOMMU_NO_PASID)
		attached = READ_ONCE(mdev->rid_domain);
	else
		attached = xa_load(&mdev->pasids, cmd->pasid_check.pasid);

	if (!cmd->pasid_check.hwpt_id) {
		if (attached)
			rc = -EINVAL;
		goto out_put;
	}
	obj = iommufd_obj_get(ucmd->ictx, cmd->pasid_check.hwpt_id,
			      IOMMUFD_OTYPE_ANY);
	if (IS_ERR(obj)) {
		rc = PTR_ERR(obj);
		goto out_put;
	}
	if (!iommufd_otype_is_hwpt(obj->type) ||
	    container_of(obj, struct iommufd_hwpt, obj)->domain != attached)
		rc = -EINVAL;
	iommufd_obj_put_lookup(ucmd->ictx, obj);
out_put:
	iommufd_obj_put(&sobj->obj);
	return rc;
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
	case IOMMU_TEST_OP_CREATE_ACCESS:
		return iommufd_test_create_access(ucmd);
	case IOMMU_TEST_OP_DESTROY_ACCESS_PAGES:
		return iommufd_test_destroy_access_pages(ucmd);
	case IOMMU_TEST_OP_ACCESS_PAGES:
		return iommufd_test_access_pages(ucmd);
	case IOMMU_TEST_OP_ACCESS_RW:
		return iommufd_test_access_rw(ucmd);
	case IOMMU_TEST_OP_ACCESS_REPLACE_IOAS:
		return iommufd_test_access_replace_ioas(ucmd);
	case IOMMU_TEST_OP_MOCK_DOMAIN:
	case IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS:
		return iommufd_test_mock_domain(ucmd);
	case IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE:
		return iommufd_test_mock_domain_replace(ucmd);
	case IOMMU_TEST_OP_MD_CHECK_MAP:
		return iommufd_test_md_check_map(ucmd);
	case IOMMU_TEST_OP_MD_CHECK_REFS:
		return iommufd_test_md_check_refs(ucmd);
	case IOMMU_TEST_OP_MD_CHECK_IOTLB:
		return iommufd_test_md_check_iotlb(ucmd);
	case IOMMU_TEST_OP_DEV_CHECK_CACHE:
		return iommufd_test_dev_check_cache(ucmd);
	case IOMMU_TEST_OP_TRIGGER_VEVENT:
		return iommufd_test_trigger_vevent(ucmd);
	case IOMMU_TEST_OP_PASID_ATTACH:
	case IOMMU_TEST_OP_PASID_REPLACE:
	case IOMMU_TEST_OP_PASID_DETACH:
		return iommufd_test_pasid_change(ucmd);
	case IOMMU_TEST_OP_PASID_CHECK_HWPT:
		return iommufd_test_pasid_check_hwpt(ucmd);
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
