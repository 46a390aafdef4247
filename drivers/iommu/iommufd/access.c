// SPDX-License-Identifier: GPL-2.0-only
/*
 * Accesses: how drivers of emulated devices reach user memory by IOVA.
 *
 * A device without an IOMMU of its own (an mdev, a software model) cannot
 * have an IOAS installed in hardware. Its driver instead creates a struct
 * iommufd_access in the iommufd context userspace gave it, attaches it to
 * an IOAS and then either pins the pages behind an IOVA range
 * (iommufd_access_pin_pages()) or copies to and from it
 * (iommufd_access_rw()).
 *
 * The access is an object of the context (IOMMUFD_OTYPE_ACCESS) so that
 * userspace sees its ID, but the driver owns it: the driver's reference
 * makes IOMMU_DESTROY fail with -EBUSY, and only iommufd_access_destroy()
 * removes it. The access holds a reference on the context's file, and
 * one on the IOAS it is attached to, so that IOAS cannot be destroyed
 * under it (-EBUSY too).
 *
 * Pins: memory is pinned on demand (pages.c). Pinning for an access pins
 * the pages of the range that nothing pinned yet (an IOAS with a domain
 * already keeps all of them pinned), counts one access pin per page in
 * the area's iopt_pages, and counts, per area, how many of its pages
 * accesses hold (area->access_pins, in pages, so that a driver may pin
 * page by page and unpin a whole range at once). An unmap that meets a
 * pinned area first calls the unmap callback of every access attached to the
 * IOAS (iommufd_access_notify_unmap()), with no lock of ours held, not
 * even the list lock: each access called is held by an object reference
 * and counted in access->notifying meanwhile. The driver must unpin what
 * it holds in the range before returning.
 * io_pagetable.c then retries once and fails with -EBUSY if a pin is
 * still there. Moving an access to another IOAS (replace) or detaching it
 * calls the callback for the whole IOVA space first; a replace fails with
 * -EBUSY and leaves the access where it was if pins remain.
 *
 * Locking, outermost first:
 *   (driver locks; the unmap callback is called with none of ours held)
 *   access->attach_lock   serialises attach, replace and detach
 *   iopt->accesses_lock   the list of accesses of an IOAS
 *   access->ioas_lock     access->ioas, ->ioas_unpin and ->npins; held
 *                         across a pin, unpin or rw
 *   iopt->lock            the areas and their access_pins
 * attach_lock and ioas_lock are never held while taking accesses_lock.
 * A driver may therefore hold its own locks when it attaches, replaces
 * or detaches, as long as its callback does not wait for them.
 */
#include <linux/highmem.h>
#include <linux/iommu.h>
#include <linux/iommufd.h>
#include <linux/kernel.h>
#include <linux/mutex.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <linux/wait_bit.h>

#include "iommufd_private.h"

/**
 * struct iommufd_access - an emulated device's window on an IOAS
 * @obj: object header (IOMMUFD_OTYPE_ACCESS)
 * @ictx: the context, whose file the access holds a reference on
 * @ops: the driver's callbacks
 * @data: the driver's cookie for @ops
 * @attach_lock: serialises iommufd_access_attach(), _replace() and _detach()
 * @ioas_lock: protects @ioas, @ioas_unpin and @npins
 * @ioas: where new pins go; NULL when detached and while the access is
 *        being moved
 * @ioas_unpin: the IOAS the access is attached to, where its pins are and
 *              where rw goes; the access holds a reference on it
 * @npins: pages pinned through the access and not yet unpinned
 * @notifying: unmap callbacks of this access running right now, called by
 *             iommufd_access_notify_unmap()
 * @iopt_node: entry in @ioas_unpin's iopt.accesses
 */
struct iommufd_access {
	struct iommufd_object obj;
	struct iommufd_ctx *ictx;
	const struct iommufd_access_ops *ops;
	void *data;
	struct mutex attach_lock; /* see the kernel-doc above */
	struct mutex ioas_lock; /* see the kernel-doc above */
	struct iommufd_ioas *ioas;
	struct iommufd_ioas *ioas_unpin;
	unsigned long npins;
	atomic_t notifying;
	struct list_head iopt_node;
};

static void iommufd_access_destroy_obj(struct iommufd_object *obj)
{
	struct iommufd_access *access =
		container_of(obj, struct iommufd_access, obj);

	/* iommufd_access_destroy() detached it before getting here. */
	WARN_ON(access->ioas_unpin);
	atomic_dec(&access->ictx->nr_devices);
	mutex_destroy(&access->ioas_lock);
	mutex_destroy(&access->attach_lock);
}

/* fdinfo: the IOAS the access is attached to (0 for none) and its pins */
static void iommufd_access_show(struct seq_file *m, struct iommufd_ctx *ictx,
				struct iommufd_object *obj)
{
	struct iommufd_access *access =
		container_of(obj, struct iommufd_access, obj);

	mutex_lock(&access->ioas_lock);
	seq_printf(m, " ioas=%u pinned=%lu",
		   access->ioas_unpin ? access->ioas_unpin->obj.id : 0,
		   access->npins);
	mutex_unlock(&access->ioas_lock);
}

const struct iommufd_otype_ops iommufd_access_ops = {
	.destroy = iommufd_access_destroy_obj,
	.name = "access",
	.show = iommufd_access_show,
};

/**
 * iommufd_access_create() - create an access object for a driver
 * @ictx: the context, from iommufd_ctx_from_file() or iommufd_ctx_from_fd()
 * @ops: the driver's callbacks; they must outlive the access
 * @data: cookie passed to @ops
 * @id: receives the object ID userspace knows the access by
 *
 * The access starts detached. The caller owns it until
 * iommufd_access_destroy(); meanwhile IOMMU_DESTROY of @id fails with
 * -EBUSY. The access keeps @ictx alive on its own.
 *
 * Return: the access or an ERR_PTR: -EINVAL when @ops needs pinning but
 * has no unmap callback, -ENOMEM.
 */
struct iommufd_access *
iommufd_access_create(struct iommufd_ctx *ictx,
		      const struct iommufd_access_ops *ops, void *data,
		      u32 *id)
{
	struct iommufd_access *access;

	if (ops->needs_pin_pages && !ops->unmap)
		return ERR_PTR(-EINVAL);

	access = iommufd_obj_new(ictx, struct iommufd_access,
				 IOMMUFD_OTYPE_ACCESS);
	if (IS_ERR(access))
		return access;
	access->ictx = ictx;
	access->ops = ops;
	access->data = data;
	mutex_init(&access->attach_lock);
	mutex_init(&access->ioas_lock);
	atomic_set(&access->notifying, 0);
	INIT_LIST_HEAD(&access->iopt_node);
	get_file(ictx->file);
	atomic_inc(&ictx->nr_devices);

	/* The driver's reference, given back by iommufd_access_destroy() */
	refcount_inc(&access->obj.users);
	*id = access->obj.id;
	iommufd_obj_publish(ictx, &access->obj);
	return access;
}
EXPORT_SYMBOL_NS_GPL(iommufd_access_create, IOMMUFD);

/**
 * iommufd_access_destroy() - detach and free an access
 * @access: the access, from iommufd_access_create()
 *
 * Detaches @access if needed (calling its unmap callback when it holds
 * pins) and removes it from its context. May drop the last reference on
 * the context's file.
 */
void iommufd_access_destroy(struct iommufd_access *access)
{
	struct iommufd_ctx *ictx = access->ictx;

	iommufd_access_detach(access);
	iommufd_obj_destroy_held(ictx, &access->obj);
	iommufd_ctx_put(ictx);
}
EXPORT_SYMBOL_NS_GPL(iommufd_access_destroy, IOMMUFD);

/*
 * Move @access from the IOAS it is on (if any) to @new_ioas (or to none).
 * The caller holds attach_lock and a reference on @new_ioas, which it
 * keeps; the access takes its own.
 */
static int iommufd_access_change_ioas(struct iommufd_access *access,
				      struct iommufd_ioas *new_ioas)
{
	struct iommufd_ioas *cur_ioas = access->ioas_unpin;
	unsigned long npins;

	lockdep_assert_held(&access->attach_lock);

	if (cur_ioas == new_ioas)
		return 0;

	/* Pins are of whole pages: the new IOAS must map whole pages. */
	if (new_ioas && access->ops->needs_pin_pages) {
		int rc = iopt_add_pinning_access(&new_ioas->iopt);

		if (rc)
			return rc;
	}

	if (cur_ioas) {
		/* No new pins from here on; rw still goes to cur_ioas. */
		mutex_lock(&access->ioas_lock);
		access->ioas = NULL;
		npins = access->npins;
		mutex_unlock(&access->ioas_lock);

		if (npins && access->ops->unmap)
			access->ops->unmap(access->data, 0, ULONG_MAX);
		/*
		 * An unmap notification may be running the driver's callback
		 * on another thread right now, with pins about to go: wait
		 * for it to finish before deciding that pins were leaked.
		 */
		wait_var_event(&access->notifying,
			       !atomic_read(&access->notifying));

		mutex_lock(&access->ioas_lock);
		if (access->npins) {
			/* A detach cannot fail: the driver broke the rules. */
			if (WARN_ON(!new_ioas))
				goto move;
			access->ioas = cur_ioas;
			mutex_unlock(&access->ioas_lock);
			if (access->ops->needs_pin_pages)
				iopt_remove_pinning_access(&new_ioas->iopt);
			return -EBUSY;
		}
move:
		mutex_unlock(&access->ioas_lock);

		down_write(&cur_ioas->iopt.accesses_lock);
		list_del_init(&access->iopt_node);
		up_write(&cur_ioas->iopt.accesses_lock);
		if (access->ops->needs_pin_pages)
			iopt_remove_pinning_access(&cur_ioas->iopt);
	}

	if (new_ioas) {
		refcount_inc(&new_ioas->obj.users);
		down_write(&new_ioas->iopt.accesses_lock);
		list_add_tail(&access->iopt_node, &new_ioas->iopt.accesses);
		up_write(&new_ioas->iopt.accesses_lock);
	}

	/* The switch is atomic for pin, unpin and rw. */
	mutex_lock(&access->ioas_lock);
	access->ioas = new_ioas;
	access->ioas_unpin = new_ioas;
	mutex_unlock(&access->ioas_lock);

	if (cur_ioas)
		iommufd_ioas_put(cur_ioas);
	return 0;
}

/* Look up @ioas_id and move the access there; @attached is the rule. */
static int iommufd_access_set_ioas(struct iommufd_access *access,
				   u32 ioas_id, bool attached)
{
	struct iommufd_ioas *ioas;
	int rc;

	mutex_lock(&access->attach_lock);
	if (!access->ioas_unpin == attached) {
		rc = -EINVAL;
		goto out_unlock;
	}
	ioas = iommufd_ioas_get(access->ictx, ioas_id);
	if (IS_ERR(ioas)) {
		rc = PTR_ERR(ioas);
		goto out_unlock;
	}
	rc = iommufd_access_change_ioas(access, ioas);
	iommufd_ioas_put(ioas);
out_unlock:
	mutex_unlock(&access->attach_lock);
	return rc;
}

/**
 * iommufd_access_attach() - attach a detached access to an IOAS
 * @access: the access
 * @ioas_id: ID of an IOAS in the access's context
 *
 * An access whose ops pin pages needs every mapping of the IOAS to start
 * and end on a page; the IOAS then accepts only such mappings while the
 * access is attached (IOMMU_IOAS_IOVA_RANGES reports the alignment).
 *
 * Return: 0; -EINVAL when @access is already attached, or pins pages
 * and the IOAS has a mapping that does not start or end on a page;
 * -ENOENT when @ioas_id names no IOAS.
 */
int iommufd_access_attach(struct iommufd_access *access, u32 ioas_id)
{
	return iommufd_access_set_ioas(access, ioas_id, false);
}
EXPORT_SYMBOL_NS_GPL(iommufd_access_attach, IOMMUFD);

/**
 * iommufd_access_replace() - move an attached access to another IOAS
 * @access: the access
 * @ioas_id: ID of an IOAS in the access's context; the current one is a
 *           no-op
 *
 * When the access holds pins, its unmap callback is called for the whole
 * IOVA space first. Once the move is done, pins and rw go to the new IOAS
 * only; rw keeps working on the old one until then.
 *
 * Return: 0; -EINVAL when @access is not attached, or as for
 * iommufd_access_attach(); -ENOENT when @ioas_id names no IOAS; -EBUSY
 * when pins remained after the callback (the access stays where it was).
 */
int iommufd_access_replace(struct iommufd_access *access, u32 ioas_id)
{
	return iommufd_access_set_ioas(access, ioas_id, true);
}
EXPORT_SYMBOL_NS_GPL(iommufd_access_replace, IOMMUFD);

/**
 * iommufd_access_detach() - detach an access from its IOAS
 * @access: the access; nothing happens when it is not attached
 *
 * When the access holds pins, its unmap callback is called for the whole
 * IOVA space first, and it must release all of them.
 */
void iommufd_access_detach(struct iommufd_access *access)
{
	mutex_lock(&access->attach_lock);
	if (access->ioas_unpin)
		WARN_ON(iommufd_access_change_ioas(access, NULL));
	mutex_unlock(&access->attach_lock);
}
EXPORT_SYMBOL_NS_GPL(iommufd_access_detach, IOMMUFD);

/*
 * Is [iova, last] covered by areas without a hole, and are they all
 * writable when @write? Return 0, -ENOENT or -EPERM.
 */
static int iommufd_access_check_range(struct io_pagetable *iopt,
				      unsigned long iova, unsigned long last,
				      bool write)
{
	unsigned long next = iova;
	struct iopt_area *area;

	lockdep_assert_held(&iopt->lock);

	iopt_for_each_area(area, iopt, iova, last) {
		if (area->node.start > next)
			return -ENOENT;
		if (write && !(area->iommu_prot & IOMMU_WRITE))
			return -EPERM;
		if (area->node.last >= last)
			return 0;
		next = area->node.last + 1;
	}
	return -ENOENT;
}

/*
 * The indexes, in @area's pages, of the first and last page of the part
 * of [iova, last] that @area maps; returns the number of pages.
 */
static unsigned long iommufd_area_pages(struct iopt_area *area,
					unsigned long iova, unsigned long last,
					unsigned long *first_idx,
					unsigned long *last_idx)
{
	*first_idx = iopt_area_index(area, max(area->node.start, iova));
	*last_idx = iopt_area_index(area, min(area->node.last, last));
	return *last_idx - *first_idx + 1;
}

/*
 * Give back the access pins taken on [iova, last] of the areas before
 * @end (NULL: all of them), in the pages of each area.
 */
static void iommufd_access_unpin_areas(struct io_pagetable *iopt,
				       unsigned long iova, unsigned long last,
				       struct iopt_area *end)
{
	struct iopt_area *area;

	for (area = iopt_area_iter_first(iopt, iova, last); area != end;
	     area = iopt_area_iter_next(area, iova, last)) {
		unsigned long first_idx, last_idx;

		iommufd_area_pages(area, iova, last, &first_idx, &last_idx);
		iopt_pages_access_unpin(area->pages, first_idx, last_idx);
	}
}

/*
 * Access-pin every page of [iova, last], which areas cover without a
 * hole, into @out. On error nothing stays pinned.
 */
static int iommufd_access_pin_areas(struct io_pagetable *iopt,
				    unsigned long iova, unsigned long last,
				    struct page **out)
{
	struct iopt_area *area;
	int rc;

	lockdep_assert_held(&iopt->lock);

	iopt_for_each_area(area, iopt, iova, last) {
		unsigned long first_idx, last_idx, npages;

		npages = iommufd_area_pages(area, iova, last, &first_idx,
					    &last_idx);
		/* Areas next to each other may share a page: one per area. */
		rc = iopt_pages_access_pin(area->pages, first_idx, last_idx,
					   out);
		if (rc) {
			iommufd_access_unpin_areas(iopt, iova, last, area);
			return rc;
		}
		out += npages;
	}
	return 0;
}

/* Compute the inclusive end of [iova, iova + length); 0 or errno. */
static int iommufd_access_range(unsigned long iova, unsigned long length,
				unsigned long *last)
{
	if (!length)
		return -EINVAL;
	if (check_add_overflow(iova, length - 1, last))
		return -EOVERFLOW;
	return 0;
}

/**
 * iommufd_access_pin_pages() - get the pages behind an IOVA range
 * @access: an attached access whose ops have needs_pin_pages
 * @iova: first IOVA; need not be page aligned
 * @length: bytes, not zero
 * @out_pages: receives one page per PAGE_SIZE page the range touches, in
 *             IOVA order
 * @flags: IOMMUFD_ACCESS_RW_WRITE when the device will write
 *
 * The pages stay valid until iommufd_access_unpin_pages() is called with
 * the same @iova and @length, which the driver must do at the latest from
 * its unmap callback. The core keeps the IOVA range mapped meanwhile.
 *
 * Return: 0; -EINVAL for a zero @length, unknown @flags or an access
 * that does not pin; -EOVERFLOW when the range wraps; -ENOENT when the
 * access is not attached or part of the range is not mapped; -EPERM for
 * a write to a read-only mapping; -EFAULT, -ENOMEM, -EINTR from pinning
 * memory nothing pinned yet. On error nothing is pinned.
 */
int iommufd_access_pin_pages(struct iommufd_access *access,
			     unsigned long iova, unsigned long length,
			     struct page **out_pages, unsigned int flags)
{
	struct io_pagetable *iopt;
	struct iopt_area *area;
	unsigned long last;
	int rc;

	rc = iommufd_access_range(iova, length, &last);
	if (rc)
		return rc;
	if (!access->ops->needs_pin_pages || (flags & ~IOMMUFD_ACCESS_RW_WRITE))
		return -EINVAL;

	mutex_lock(&access->ioas_lock);
	if (!access->ioas) {
		rc = -ENOENT;
		goto out_unlock;
	}
	iopt = &access->ioas->iopt;

	down_write(&iopt->lock);
	rc = iommufd_access_check_range(iopt, iova, last,
					flags & IOMMUFD_ACCESS_RW_WRITE);
	if (rc)
		goto out_unlock_iopt;
	rc = iommufd_access_pin_areas(iopt, iova, last, out_pages);
	if (rc)
		goto out_unlock_iopt;
	iopt_for_each_area(area, iopt, iova, last) {
		unsigned long first_idx, last_idx, npages;

		npages = iommufd_area_pages(area, iova, last, &first_idx,
					    &last_idx);
		/* Counted in pages: drivers may unpin in other chunks */
		area->access_pins += npages;
		access->npins += npages;
	}
out_unlock_iopt:
	up_write(&iopt->lock);
out_unlock:
	mutex_unlock(&access->ioas_lock);
	return rc;
}
EXPORT_SYMBOL_NS_GPL(iommufd_access_pin_pages, IOMMUFD);

/**
 * iommufd_access_unpin_pages() - give back pages from pin_pages
 * @access: the access the pages were pinned through
 * @iova: first IOVA of the range
 * @length: bytes
 *
 * Every page the range touches must have been pinned through @access,
 * by one iommufd_access_pin_pages() call or by several (pins are counted
 * per page, so a driver may pin page by page and unpin the whole range
 * at once). The driver must not touch the pages afterwards. Safe to call
 * from the unmap callback.
 */
void iommufd_access_unpin_pages(struct iommufd_access *access,
				unsigned long iova, unsigned long length)
{
	struct io_pagetable *iopt;
	struct iopt_area *area;
	unsigned long last;

	if (WARN_ON(iommufd_access_range(iova, length, &last)))
		return;

	mutex_lock(&access->ioas_lock);
	if (WARN_ON(!access->ioas_unpin || !access->npins))
		goto out_unlock;
	iopt = &access->ioas_unpin->iopt;

	down_write(&iopt->lock);
	iopt_for_each_area(area, iopt, iova, last) {
		unsigned long first_idx, last_idx, npages;

		npages = iommufd_area_pages(area, iova, last, &first_idx,
					    &last_idx);
		/* Unpinning what was not pinned would free pages in use */
		if (WARN_ON(area->access_pins < npages ||
			    access->npins < npages))
			continue;
		iopt_pages_access_unpin(area->pages, first_idx, last_idx);
		area->access_pins -= npages;
		access->npins -= npages;
	}
	up_write(&iopt->lock);
out_unlock:
	mutex_unlock(&access->ioas_lock);
}
EXPORT_SYMBOL_NS_GPL(iommufd_access_unpin_pages, IOMMUFD);

/**
 * iommufd_access_rw() - copy between a kernel buffer and an IOVA range
 * @access: an attached access
 * @iova: first IOVA
 * @data: kernel buffer of @len bytes
 * @len: bytes to copy, not zero
 * @flags: IOMMUFD_ACCESS_RW_WRITE to copy @data to the IOVA range (else
 *         from it); IOMMUFD_ACCESS_RW_KTHREAD when the caller may be a
 *         kernel thread without an mm
 *
 * The copy goes through the pages of the areas, pinned for the duration
 * of the call, with kmap_local_page(), never through a user address, so
 * it works from any task that may sleep and IOMMUFD_ACCESS_RW_KTHREAD
 * needs nothing special. Nothing stays pinned for the access.
 *
 * Return: 0; -EINVAL for a zero @len or unknown @flags; -EOVERFLOW when
 * the range wraps; -ENOENT when the access is not attached or part of the
 * range is not mapped; -EPERM for a write to a read-only mapping;
 * -EFAULT, -ENOMEM, -EINTR from pinning. On error nothing was copied.
 */
int iommufd_access_rw(struct iommufd_access *access, unsigned long iova,
		      void *data, size_t len, unsigned int flags)
{
	bool write = flags & IOMMUFD_ACCESS_RW_WRITE;
	struct page *onstack[16], **list = onstack;
	unsigned long last, npages = 0;
	struct iopt_area *area;
	struct io_pagetable *iopt;
	struct page **page;
	int rc;

	rc = iommufd_access_range(iova, len, &last);
	if (rc)
		return rc;
	if (flags & ~(IOMMUFD_ACCESS_RW_WRITE | IOMMUFD_ACCESS_RW_KTHREAD))
		return -EINVAL;

	mutex_lock(&access->ioas_lock);
	if (!access->ioas_unpin) {
		rc = -ENOENT;
		goto out_unlock;
	}
	iopt = &access->ioas_unpin->iopt;

	down_read(&iopt->lock);
	rc = iommufd_access_check_range(iopt, iova, last, write);
	if (rc)
		goto out_unlock_iopt;
	/* Areas may share a page: count the pages area by area. */
	iopt_for_each_area(area, iopt, iova, last) {
		unsigned long first_idx, last_idx;

		npages += iommufd_area_pages(area, iova, last, &first_idx,
					     &last_idx);
	}
	if (npages > ARRAY_SIZE(onstack)) {
		list = kvcalloc(npages, sizeof(*list), GFP_KERNEL_ACCOUNT);
		if (!list) {
			rc = -ENOMEM;
			goto out_unlock_iopt;
		}
	}
	rc = iommufd_access_pin_areas(iopt, iova, last, list);
	if (rc)
		goto out_unlock_iopt;

	page = list;
	iopt_for_each_area(area, iopt, iova, last) {
		unsigned long cur = max(area->node.start, iova);
		unsigned long to = min(area->node.last, last);

		while (true) {
			unsigned long off = iopt_area_offset(area, cur);
			size_t chunk = min(PAGE_SIZE - off, to - cur + 1);
			void *va = kmap_local_page(*page++);

			if (write)
				memcpy(va + off, data, chunk);
			else
				memcpy(data, va + off, chunk);
			kunmap_local(va);
			data += chunk;
			/* @to may be ULONG_MAX: stop before stepping past it */
			if (cur + (chunk - 1) == to)
				break;
			cur += chunk;
		}
		cond_resched();
	}
	iommufd_access_unpin_areas(iopt, iova, last, NULL);
out_unlock_iopt:
	up_read(&iopt->lock);
out_unlock:
	mutex_unlock(&access->ioas_lock);
	if (list != onstack)
		kvfree(list);
	return rc;
}
EXPORT_SYMBOL_NS_GPL(iommufd_access_rw, IOMMUFD);

/* Undo what iommufd_access_notify_unmap() took for one callback */
static void iommufd_access_notify_done(struct iommufd_access *access)
{
	if (atomic_dec_and_test(&access->notifying))
		wake_up_var(&access->notifying);
	iommufd_obj_put(&access->obj);
}

/**
 * iommufd_access_notify_unmap() - ask accesses to let go of a range
 * @iopt: the io_pagetable about to lose [@iova, @iova + @length)
 * @iova: first IOVA of the range
 * @length: bytes
 *
 * Calls the unmap callback of every access attached to @iopt, with no
 * lock of ours held: the attached accesses are collected under the list
 * lock, each with an object reference, and called after it is dropped.
 * Called by the unmap code with no io_pagetable lock held.
 *
 * Return: 0, or -ENOMEM when more accesses than fit on the stack are
 * attached and no memory could be had to collect them (nobody was
 * called then).
 */
int iommufd_access_notify_unmap(struct io_pagetable *iopt,
				unsigned long iova, unsigned long length)
{
	struct iommufd_access *onstack[8], **batch = onstack;
	unsigned int max = ARRAY_SIZE(onstack), n, taken, i;
	struct iommufd_access *access;

	while (true) {
		n = 0;
		taken = 0;
		down_read(&iopt->accesses_lock);
		list_for_each_entry(access, &iopt->accesses, iopt_node) {
			if (!access->ops->unmap)
				continue;
			/* Skipped when its destroy has begun */
			if (n++ < max && iommufd_obj_tryget(&access->obj)) {
				atomic_inc(&access->notifying);
				batch[taken++] = access;
			}
		}
		up_read(&iopt->accesses_lock);
		if (n <= max)
			break;
		/* More than room: give back what was taken and grow. */
		for (i = 0; i < taken; i++)
			iommufd_access_notify_done(batch[i]);
		if (batch != onstack)
			kfree(batch);
		max = n;
		batch = kcalloc(max, sizeof(*batch), GFP_KERNEL);
		if (!batch)
			return -ENOMEM;
	}

	for (i = 0; i < taken; i++) {
		batch[i]->ops->unmap(batch[i]->data, iova, length);
		iommufd_access_notify_done(batch[i]);
	}
	if (batch != onstack)
		kfree(batch);
	return 0;
}
