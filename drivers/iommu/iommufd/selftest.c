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
 * Every other operation number is reserved for later and fails with
 * EOPNOTSUPP.
 *
 * Locking: ictx->test_batch_limit_set is only touched by ioctls on the
 * context and by its release, and a stale value merely restores the
 * default once too often. Each test access has a mutex for its list of
 * pinned ranges; it is never held while calling into the access API, so
 * it nests inside nothing of the core's.
 */
#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/highmem.h>
#include <linux/iommufd.h>
#include <linux/kernel.h>
#include <linux/mm.h>
#include <linux/mutex.h>
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

	/* Whatever the length, this must fail cleanly rather than warn. */
	pages = kvcalloc(npages, sizeof(*pages),
			 GFP_KERNEL_ACCOUNT | __GFP_NOWARN);
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
