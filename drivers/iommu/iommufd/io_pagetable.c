// SPDX-License-Identifier: GPL-2.0-only
/*
 * IOVA layout of an IO address space: allowed and reserved ranges, and
 * the areas (mappings) made by IOMMU_IOAS_MAP and IOMMU_IOAS_COPY.
 *
 * Invariants kept under iopt->lock:
 *  - allowed ranges never overlap each other;
 *  - no reserved range overlaps an allowed range;
 *  - areas never overlap each other nor a reserved range;
 *  - a set of allowed ranges is installed whole or not at all;
 *  - every area in area_itree is mapped in every domain of
 *    iopt->domains, and every domain maps nothing else;
 *  - every area is aligned to the smallest page size of every domain
 *    (iopt->iova_alignment), and lies inside every domain's aperture
 *    (the rest is reserved with the domain as owner).
 * The IOVAs usable for mappings are those outside every reserved range;
 * the allowed ranges do not narrow them, they only promise that the
 * ranges listed stay usable and steer IOVA allocation. Allowed ranges may
 * be set without covering existing areas, which stay mapped.
 *
 * Pinning on demand: an area's pages are pinned (an iopt_pages_hold on
 * its range, pages.c) exactly while the io_pagetable has at least one
 * domain, which must map them; without a domain an area pins and charges
 * nothing (accesses pin what they use themselves). Attaching the first
 * domain holds every area, under the write lock, and fails with nothing
 * changed if some memory cannot be pinned (-EFAULT, -ENOMEM); removing
 * the last one lets every area go.
 *
 * Mapping: a struct iopt_pages describing the memory is created; when
 * the IOAS has a domain the new area is held (the memory pinned and
 * charged) with no iopt lock held, and only then is the write lock taken
 * to choose or check the IOVA and insert the area. If that fails the
 * hold is released again, so a failed map leaves nothing behind.
 * Unmapping removes the areas from the tree under the write lock and
 * unpins after dropping it.
 *
 * Copying: the areas covering the source range are looked up under the
 * source's read lock and turned into new areas ("slices") that take
 * their own reference on the same iopt_pages, with pages_first pointing
 * at the first page shown. The source lock is dropped before the
 * destination's write lock is taken, so two io_pagetable locks are never
 * held together and source and destination may be the same IOAS. The
 * slices then go in like a map: held when the destination has domains,
 * checked, inserted, or put back.
 *
 * Kernel-chosen IOVAs: the lowest free IOVA (outside areas and reserved
 * ranges, inside an allowed range if there are any) aligned to the
 * smaller of the length rounded up to a power of two and the alignment
 * of the user address, so that huge pages of the CPU can later become
 * huge pages of the IOMMU.
 *
 * Access pins: an emulated device's access (access.c) may pin part of an
 * area, counted in area->access_pins. An unmap that meets such an area
 * drops the lock, asks every attached access to let go of the range
 * (iommufd_access_notify_unmap(), whose callbacks unpin) and starts
 * over. If an area is still pinned right after the accesses were told,
 * the unmap fails with -EBUSY and removes nothing: the driver did not
 * respond, or a new pin raced with the unmap.
 *
 * Locking: iopt->lock (rw_semaphore) protects all of struct io_pagetable
 * except the list of accesses, which has iopt->accesses_lock. The order
 * is (access driver locks) -> iopt->accesses_lock -> access->ioas_lock ->
 * iopt->lock; no lock of ours is held while an access is notified.
 * Readers take it shared, anything changing a tree or a setting takes it
 * exclusive. It is never held across a copy to or from user memory: a
 * user buffer can be made to fault for as long as its owner likes, and
 * device teardown in another context may need this lock. It is never
 * held while pinning (GUP takes mmap_lock) nor while unpinning.
 * It nests outside the xa_lock of the context's object table and is never
 * taken while that spinlock is held. The caller must hold a reference on
 * the IOAS that contains the io_pagetable.
 */
#include <linux/iommu.h>
#include <linux/kernel.h>
#include <linux/lockdep.h>
#include <linux/log2.h>
#include <linux/mm.h>
#include <linux/pid.h>
#include <linux/scatterlist.h>
#include <linux/sched/user.h>
#include <linux/slab.h>
#include <linux/uidgid.h>

#include "io_pagetable.h"
#include "iova_span.h"

/**
 * iopt_init() - set up an empty IOVA layout
 * @iopt: the io_pagetable to set up
 *
 * Everything is usable; no range is allowed or reserved.
 */
void iopt_init(struct io_pagetable *iopt)
{
	init_rwsem(&iopt->lock);
	iopt->allowed_itree = RB_ROOT_CACHED;
	iopt->reserved_itree = RB_ROOT_CACHED;
	iopt->area_itree = RB_ROOT_CACHED;
	xa_init_flags(&iopt->domains, XA_FLAGS_ALLOC);
	/* Nothing translates this IOAS yet: any byte may be mapped. */
	iopt->iova_alignment = 1;
	iopt->small_pages_only = false;
	iopt->pinning_accesses = 0;
	iopt->alloc_floor = 0;
	init_rwsem(&iopt->accesses_lock);
	INIT_LIST_HEAD(&iopt->accesses);
}

/**
 * iopt_destroy() - free everything an io_pagetable holds
 * @iopt: the io_pagetable, which nobody else can reach any more
 *
 * Every area is unmapped, which unpins and uncharges its pages unless
 * another area still shares them. Reserved ranges owned by @iopt itself
 * are expected; any other owner should have removed its ranges before
 * releasing the IOAS.
 */
void iopt_destroy(struct io_pagetable *iopt)
{
	struct interval_tree_node *node;
	unsigned long unmapped;

	/* An attached access holds the IOAS, so nothing can be pinned. */
	WARN_ON(!list_empty(&iopt->accesses));
	WARN_ON(iopt_unmap_all(iopt, &unmapped));
	WARN_ON(!xa_empty(&iopt->domains));
	xa_destroy(&iopt->domains);

	while ((node = interval_tree_iter_first(&iopt->reserved_itree, 0,
						ULONG_MAX))) {
		struct iopt_reserved *res =
			container_of(node, struct iopt_reserved, node);

		WARN_ON_ONCE(res->owner != iopt);
		interval_tree_remove(node, &iopt->reserved_itree);
		kfree(res);
		cond_resched();
	}
	iopt_allowed_free(&iopt->allowed_itree);
}

/*
 * IOVA became free at @start (an area or a reserved range went away, or
 * the allowed ranges changed): kernel-chosen areas may go there again.
 */
static void iopt_free_iova_from(struct io_pagetable *iopt,
				unsigned long start)
{
	lockdep_assert_held_write(&iopt->lock);
	iopt->alloc_floor = min(iopt->alloc_floor, start);
}

/**
 * iopt_allowed_add() - add a range to an allowed set being built
 * @itree: the caller's private tree
 * @start: first IOVA of the range
 * @last: last IOVA of the range, inclusive
 *
 * Return: 0; -EINVAL if @start > @last or the range overlaps one already
 * in @itree; -ENOMEM.
 */
int iopt_allowed_add(struct rb_root_cached *itree, unsigned long start,
		     unsigned long last)
{
	struct iopt_allowed *allowed;

	if (start > last || interval_tree_iter_first(itree, start, last))
		return -EINVAL;

	allowed = kzalloc(sizeof(*allowed), GFP_KERNEL_ACCOUNT);
	if (!allowed)
		return -ENOMEM;
	allowed->node.start = start;
	allowed->node.last = last;
	interval_tree_insert(&allowed->node, itree);
	return 0;
}

/**
 * iopt_allowed_free() - empty a tree of struct iopt_allowed
 * @itree: the tree; it is empty and reusable afterwards
 */
void iopt_allowed_free(struct rb_root_cached *itree)
{
	struct interval_tree_node *node;

	while ((node = interval_tree_iter_first(itree, 0, ULONG_MAX))) {
		interval_tree_remove(node, itree);
		kfree(container_of(node, struct iopt_allowed, node));
		cond_resched();
	}
}

/**
 * iopt_set_allowed() - replace the allowed ranges of an io_pagetable
 * @iopt: the io_pagetable
 * @itree: the new set, built with iopt_allowed_add(); an empty tree
 *         removes every allowed range
 *
 * The new set is checked against the reserved ranges and installed in one
 * step under the lock. On success @itree receives the previous set; on
 * failure nothing changes. Either way the caller frees @itree.
 *
 * Return: 0; -EADDRINUSE if a new range overlaps a reserved range.
 */
int iopt_set_allowed(struct io_pagetable *iopt, struct rb_root_cached *itree)
{
	struct interval_tree_node *node;
	int rc = 0;

	down_write(&iopt->lock);
	for (node = interval_tree_iter_first(itree, 0, ULONG_MAX); node;
	     node = interval_tree_iter_next(node, 0, ULONG_MAX)) {
		if (interval_tree_iter_first(&iopt->reserved_itree,
					     node->start, node->last)) {
			rc = -EADDRINUSE;
			goto out_unlock;
		}
		/*
		 * Existing areas need not lie inside the new set: allowed
		 * ranges only steer IOVAs the kernel picks from now on.
		 */
		cond_resched();
	}
	/* rb trees hold no pointer back to their root, so a swap is safe. */
	swap(iopt->allowed_itree, *itree);
	/* Where kernel-chosen IOVAs may go changed everywhere. */
	iopt->alloc_floor = 0;
out_unlock:
	up_write(&iopt->lock);
	return rc;
}

/**
 * iopt_reserve_iova_locked() - reserve a range of IOVA
 * @iopt: the io_pagetable, its lock held for writing
 * @start: first IOVA of the range
 * @last: last IOVA of the range, inclusive
 * @owner: cookie to remove the range by later; @iopt itself for ranges
 *         the IOAS keeps for its whole life
 *
 * Return: 0; -EINVAL if @start > @last; -EADDRINUSE if the range overlaps
 * an allowed range or an area; -ENOMEM.
 */
int iopt_reserve_iova_locked(struct io_pagetable *iopt, unsigned long start,
			     unsigned long last, const void *owner)
{
	struct iopt_reserved *res;

	lockdep_assert_held_write(&iopt->lock);

	if (start > last)
		return -EINVAL;
	if (interval_tree_iter_first(&iopt->allowed_itree, start, last))
		return -EADDRINUSE;
	if (interval_tree_iter_first(&iopt->area_itree, start, last))
		return -EADDRINUSE;

	res = kzalloc(sizeof(*res), GFP_KERNEL_ACCOUNT);
	if (!res)
		return -ENOMEM;
	res->node.start = start;
	res->node.last = last;
	res->owner = owner;
	interval_tree_insert(&res->node, &iopt->reserved_itree);
	return 0;
}

/**
 * iopt_reserve_iova() - reserve a range of IOVA, taking the lock
 * @iopt: the io_pagetable
 * @start: first IOVA of the range
 * @last: last IOVA of the range, inclusive
 * @owner: cookie to remove the range by later
 *
 * Return: as iopt_reserve_iova_locked().
 */
int iopt_reserve_iova(struct io_pagetable *iopt, unsigned long start,
		      unsigned long last, const void *owner)
{
	int rc;

	down_write(&iopt->lock);
	rc = iopt_reserve_iova_locked(iopt, start, last, owner);
	up_write(&iopt->lock);
	return rc;
}

/**
 * iopt_remove_reserved_iova_locked() - drop every range of one owner
 * @iopt: the io_pagetable, its lock held for writing
 * @owner: the cookie given when the ranges were reserved
 */
void iopt_remove_reserved_iova_locked(struct io_pagetable *iopt,
				      const void *owner)
{
	struct interval_tree_node *node, *next;

	lockdep_assert_held_write(&iopt->lock);

	for (node = interval_tree_iter_first(&iopt->reserved_itree, 0,
					     ULONG_MAX);
	     node; node = next) {
		struct iopt_reserved *res =
			container_of(node, struct iopt_reserved, node);

		/* Step on before the node may leave the tree. */
		next = interval_tree_iter_next(node, 0, ULONG_MAX);
		if (res->owner != owner)
			continue;
		iopt_free_iova_from(iopt, node->start);
		interval_tree_remove(node, &iopt->reserved_itree);
		kfree(res);
		cond_resched();
	}
}

/**
 * iopt_remove_reserved_iova() - drop every range of one owner, taking
 *                               the lock
 * @iopt: the io_pagetable
 * @owner: the cookie given when the ranges were reserved
 */
void iopt_remove_reserved_iova(struct io_pagetable *iopt, const void *owner)
{
	down_write(&iopt->lock);
	iopt_remove_reserved_iova_locked(iopt, owner);
	up_write(&iopt->lock);
}

/* Count the usable ranges, filling @ranges as far as @max allows. */
static unsigned int iopt_fill_usable_ranges(struct io_pagetable *iopt,
					    struct iopt_range *ranges,
					    unsigned int max)
{
	struct iova_span span;
	unsigned int count = 0;

	lockdep_assert_held(&iopt->lock);

	for_each_iova_span(&span, &iopt->reserved_itree, 0, ULONG_MAX) {
		if (span.used)
			continue;
		if (count < max) {
			ranges[count].start = span.start;
			ranges[count].last = span.last;
		}
		count++;
	}
	return count;
}

/**
 * iopt_get_usable_ranges() - copy out the IOVA ranges open to mappings
 * @iopt: the io_pagetable
 * @ranges: receives a kvcalloc'ed array, in ascending order, that the
 *          caller frees with kvfree(); NULL when @count is 0
 * @count: receives the number of ranges
 * @iova_alignment: receives the alignment mappings must respect, read
 *                  under the same lock as the ranges
 *
 * A usable range is a hole between reserved ranges within [0, ULONG_MAX].
 * The snapshot is taken in kernel memory so that callers copy it to user
 * space with no lock held: a user buffer that faults slowly (userfaultfd,
 * FUSE) must never stall whoever needs the io_pagetable's lock.
 *
 * Return: 0 or -ENOMEM.
 */
int iopt_get_usable_ranges(struct io_pagetable *iopt,
			   struct iopt_range **ranges, unsigned int *count,
			   unsigned long *iova_alignment)
{
	struct iopt_range *buf = NULL;
	unsigned int max = 0, need;

	while (true) {
		down_read(&iopt->lock);
		need = iopt_fill_usable_ranges(iopt, buf, max);
		*iova_alignment = iopt->iova_alignment;
		up_read(&iopt->lock);
		if (need <= max)
			break;
		/* The layout changed between two looks: size for it again. */
		kvfree(buf);
		max = need;
		buf = kvcalloc(max, sizeof(*buf), GFP_KERNEL_ACCOUNT);
		if (!buf)
			return -ENOMEM;
	}
	*ranges = buf;
	*count = need;
	return 0;
}

/**
 * iopt_huge_pages_enabled() - read the IOMMU_OPTION_HUGE_PAGES setting
 * @iopt: the io_pagetable
 *
 * Return: true unless page tables are limited to PAGE_SIZE entries.
 */
bool iopt_huge_pages_enabled(struct io_pagetable *iopt)
{
	bool enabled;

	down_read(&iopt->lock);
	enabled = !iopt->small_pages_only;
	up_read(&iopt->lock);
	return enabled;
}

/**
 * iopt_set_huge_pages() - change the IOMMU_OPTION_HUGE_PAGES setting
 * @iopt: the io_pagetable
 * @enable: allow entries larger than PAGE_SIZE
 *
 * Return: 0; -EINVAL when the setting would change while mappings are
 * installed in a hardware page table.
 */
int iopt_set_huge_pages(struct io_pagetable *iopt, bool enable)
{
	int rc = 0;

	down_write(&iopt->lock);
	/*
	 * Entries already in a hardware page table keep their size, so the
	 * setting cannot change under installed mappings.
	 */
	if (iopt->small_pages_only != !enable &&
	    !xa_empty(&iopt->domains) &&
	    !RB_EMPTY_ROOT(&iopt->area_itree.rb_root))
		rc = -EINVAL;
	else
		iopt->small_pages_only = !enable;
	up_write(&iopt->lock);
	return rc;
}

/* Number of pages an area shows, in part or whole */
static unsigned long iopt_area_npages(struct iopt_area *area)
{
	return iopt_area_index(area, area->node.last) - area->pages_first + 1;
}

/* Runs of pinned pages handed to the IOMMU driver in one call */
#define IOPT_MAP_RUNS 64
/* The longest run one entry carries: a scatterlist length is 32-bit */
#define IOPT_MAP_RUN_MAX (SZ_1G >> PAGE_SHIFT)

/*
 * Map @area into @domain. Physically contiguous runs of the pinned pages
 * go to the driver as one range each, which lets it use its large page
 * sizes where the IOVA and the physical address allow. An area of one
 * run is one iommu_map(); more runs go by scatterlists of up to
 * IOPT_MAP_RUNS of them through iommu_map_sg(), which has the driver sync
 * its IOTLB (a flush in VT-d's caching mode) once per list rather than
 * once per run: that is most of the cost of mapping scattered 4 KiB pages
 * under an emulated IOMMU. With @small_pages every page is mapped on its
 * own (iommu_map_sg() would merge contiguous pages). On failure whatever
 * was mapped is unmapped again.
 */
static int iopt_area_map_domain(struct iopt_area *area,
				struct iommu_domain *domain, bool small_pages)
{
	unsigned long last_idx = area->pages_first + iopt_area_npages(area) - 1;
	unsigned long iova = area->node.start, idx = area->pages_first;
	unsigned long offset = area->page_offset;
	unsigned long list_iova = iova;
	struct scatterlist *sgl = NULL;
	unsigned int nents = 0;
	ssize_t mapped;
	int rc;

	if (WARN_ON(!area->hold.active))
		return -EINVAL;

	while (idx <= last_idx) {
		phys_addr_t phys;
		unsigned long n;
		size_t len;

		n = iopt_pages_phys_run(area->pages, idx,
					small_pages ? idx :
					min(last_idx,
					    idx + IOPT_MAP_RUN_MAX - 1),
					&phys);
		/* The first page starts at the offset, the last may end early */
		len = min_t(unsigned long, n * PAGE_SIZE - offset,
			    area->node.last - iova + 1);
		if (small_pages || (!sgl && idx + n > last_idx)) {
			/* One run left and no list started: map it directly */
			rc = iommu_map(domain, iova, phys + offset, len,
				       area->iommu_prot);
			if (rc)
				goto err_unmap;
			list_iova = iova + len;
		} else {
			if (!sgl) {
				sgl = kmalloc_array(IOPT_MAP_RUNS, sizeof(*sgl),
						    GFP_KERNEL);
				if (!sgl) {
					rc = -ENOMEM;
					goto err_unmap;
				}
			}
			if (!nents)
				sg_init_table(sgl, IOPT_MAP_RUNS);
			sg_set_page(&sgl[nents++], pfn_to_page(PHYS_PFN(phys)),
				    len, offset);
		}
		iova += len;
		offset = 0;
		idx += n;
		if (nents && (nents == IOPT_MAP_RUNS || idx > last_idx)) {
			sg_mark_end(&sgl[nents - 1]);
			mapped = iommu_map_sg(domain, list_iova, sgl, nents,
					      area->iommu_prot);
			/* A failed list was unmapped by iommu_map_sg() */
			if (mapped < 0) {
				rc = mapped;
				iova = list_iova;
				goto err_unmap;
			}
			list_iova = iova;
			nents = 0;
		}
		cond_resched();
	}
	kfree(sgl);
	return 0;

err_unmap:
	kfree(sgl);
	if (list_iova != area->node.start)
		iommu_unmap(domain, area->node.start,
			    list_iova - area->node.start);
	return rc;
}

static void iopt_area_unmap_domain(struct iopt_area *area,
				   struct iommu_domain *domain)
{
	size_t length = area->node.last - area->node.start + 1;

	WARN_ON(iommu_unmap(domain, area->node.start, length) != length);
}

/* Keep every page of @area pinned */
static int iopt_area_hold(struct iopt_area *area)
{
	return iopt_pages_hold(area->pages, &area->hold, area->pages_first,
			       area->pages_first + iopt_area_npages(area) - 1);
}

static void iopt_area_unhold(struct iopt_area *area)
{
	if (area->hold.active)
		iopt_pages_unhold(area->pages, &area->hold);
}

/* Free an area that belongs to no io_pagetable (any more). */
static void iopt_area_free(struct iopt_area *area)
{
	iopt_area_unhold(area);
	iopt_pages_put(area->pages);
	kfree(area);
}

/*
 * Install a freshly inserted area in every domain that mirrors the IOAS,
 * undoing the domains already filled when one fails. Its pages are held
 * first if the IOAS has a domain (unless the map did that already), and
 * let go if it has none. On failure the hold is left to iopt_area_free().
 */
static int iopt_area_fill_domains(struct io_pagetable *iopt,
				  struct iopt_area *area)
{
	struct iommu_domain *domain;
	unsigned long index, undo;
	int rc;

	lockdep_assert_held_write(&iopt->lock);

	if (xa_empty(&iopt->domains)) {
		iopt_area_unhold(area);
		return 0;
	}
	if (!area->hold.active) {
		rc = iopt_area_hold(area);
		if (rc)
			return rc;
	}

	xa_for_each(&iopt->domains, index, domain) {
		rc = iopt_area_map_domain(area, domain,
					  iopt->small_pages_only);
		if (rc)
			goto err_unmap;
	}
	return 0;

err_unmap:
	xa_for_each(&iopt->domains, undo, domain) {
		if (undo == index)
			break;
		iopt_area_unmap_domain(area, domain);
	}
	return rc;
}

/*
 * Remove an area that is leaving the tree from every domain, before its
 * pages may be unpinned.
 */
static void iopt_area_unfill_domains(struct io_pagetable *iopt,
				     struct iopt_area *area)
{
	struct iommu_domain *domain;
	unsigned long index;

	lockdep_assert_held_write(&iopt->lock);

	xa_for_each(&iopt->domains, index, domain)
		iopt_area_unmap_domain(area, domain);
}

/*
 * The granule every domain of @iopt (and @extra) can map, their largest
 * smallest page; at least PAGE_SIZE while accesses may pin pages.
 */
static unsigned long iopt_domains_alignment(struct io_pagetable *iopt,
					    struct iommu_domain *extra)
{
	unsigned long align = iopt->pinning_accesses ? PAGE_SIZE : 1;
	struct iommu_domain *domain;
	unsigned long index;

	xa_for_each(&iopt->domains, index, domain)
		align = max(align, 1UL << __ffs(domain->pgsize_bitmap));
	if (extra)
		align = max(align, 1UL << __ffs(extra->pgsize_bitmap));
	return align;
}

/*
 * May the alignment of @iopt become @align? Every area must start, end
 * and show memory from offsets that are multiples of it. -EINVAL if not.
 */
static int iopt_check_areas_alignment(struct io_pagetable *iopt,
				      unsigned long align)
{
	unsigned long mask = align - 1;
	struct iopt_area *area;

	lockdep_assert_held(&iopt->lock);

	if (align <= iopt->iova_alignment)
		return 0;
	iopt_for_each_area(area, iopt, 0, ULONG_MAX) {
		if ((area->node.start & mask) ||
		    ((area->node.last + 1) & mask) ||
		    (area->page_offset & mask))
			return -EINVAL;
		cond_resched();
	}
	return 0;
}

/**
 * iopt_add_pinning_access() - an access that pins pages attaches
 * @iopt: the io_pagetable
 *
 * Pins are of whole pages, so from now on every area must start and end
 * on a page (the alignment becomes at least PAGE_SIZE).
 *
 * Return: 0, or -EINVAL when an existing area does not.
 */
int iopt_add_pinning_access(struct io_pagetable *iopt)
{
	int rc;

	down_write(&iopt->lock);
	rc = iopt_check_areas_alignment(iopt, PAGE_SIZE);
	if (!rc) {
		iopt->pinning_accesses++;
		iopt->iova_alignment = iopt_domains_alignment(iopt, NULL);
	}
	up_write(&iopt->lock);
	return rc;
}

/**
 * iopt_remove_pinning_access() - undo iopt_add_pinning_access()
 * @iopt: the io_pagetable
 */
void iopt_remove_pinning_access(struct io_pagetable *iopt)
{
	down_write(&iopt->lock);
	if (!WARN_ON(!iopt->pinning_accesses))
		iopt->pinning_accesses--;
	iopt->iova_alignment = iopt_domains_alignment(iopt, NULL);
	up_write(&iopt->lock);
}

/**
 * iopt_table_add_domain() - make a domain mirror an IO address space
 * @iopt: the io_pagetable
 * @domain: an unmanaged domain that is not in any io_pagetable
 *
 * The IOVAs outside the domain's aperture become reserved (owned by
 * @domain) and every existing area is mapped into it; from then on every
 * map and unmap of @iopt reaches @domain too. The first domain pins the
 * memory of every area (GUP under the write lock).
 *
 * Return: 0; -EINVAL when the domain's smallest page is larger than an
 * existing area's alignment allows; -EADDRINUSE when an area or an
 * allowed range lies outside the aperture; -EFAULT when the memory of an
 * area cannot be pinned (gone, or never pinnable); -ENOMEM (also over
 * RLIMIT_MEMLOCK), -EINTR, or an error of the IOMMU driver's map. On
 * error nothing changed.
 */
int iopt_table_add_domain(struct io_pagetable *iopt,
			  struct iommu_domain *domain)
{
	const struct iommu_domain_geometry *geo = &domain->geometry;
	struct iopt_area *area, *undo;
	unsigned long align;
	bool first_domain;
	u32 index;
	int rc;

	down_write(&iopt->lock);
	first_domain = xa_empty(&iopt->domains);
	align = iopt_domains_alignment(iopt, domain);
	rc = iopt_check_areas_alignment(iopt, align);
	if (rc)
		goto err_unlock;

	if (geo->force_aperture) {
		if (geo->aperture_start) {
			rc = iopt_reserve_iova_locked(iopt, 0,
						      geo->aperture_start - 1,
						      domain);
			if (rc)
				goto err_unreserve;
		}
		if (geo->aperture_end < ULONG_MAX) {
			rc = iopt_reserve_iova_locked(iopt,
						      geo->aperture_end + 1,
						      ULONG_MAX, domain);
			if (rc)
				goto err_unreserve;
		}
	}

	rc = xa_alloc(&iopt->domains, &index, XA_ZERO_ENTRY, xa_limit_32b,
		      GFP_KERNEL_ACCOUNT);
	if (rc)
		goto err_unreserve;

	iopt_for_each_area(area, iopt, 0, ULONG_MAX) {
		if (first_domain) {
			rc = iopt_area_hold(area);
			if (rc)
				goto err_unmap;
		}
		rc = iopt_area_map_domain(area, domain,
					  iopt->small_pages_only);
		if (rc) {
			if (first_domain)
				iopt_area_unhold(area);
			goto err_unmap;
		}
	}

	xa_store(&iopt->domains, index, domain, GFP_KERNEL);
	iopt->iova_alignment = align;
	up_write(&iopt->lock);
	return 0;

err_unmap:
	for (undo = iopt_area_iter_first(iopt, 0, ULONG_MAX); undo != area;
	     undo = iopt_area_iter_next(undo, 0, ULONG_MAX)) {
		iopt_area_unmap_domain(undo, domain);
		if (first_domain)
			iopt_area_unhold(undo);
		cond_resched();
	}
	xa_erase(&iopt->domains, index);
err_unreserve:
	iopt_remove_reserved_iova_locked(iopt, domain);
err_unlock:
	up_write(&iopt->lock);
	return rc;
}

/**
 * iopt_table_remove_domain() - undo iopt_table_add_domain()
 * @iopt: the io_pagetable
 * @domain: a domain added to it
 *
 * Every area is unmapped from @domain, which is left empty. Without
 * domains left the areas stop pinning their memory.
 */
void iopt_table_remove_domain(struct io_pagetable *iopt,
			      struct iommu_domain *domain)
{
	struct iommu_domain *cur;
	struct iopt_area *area;
	unsigned long index;

	down_write(&iopt->lock);
	xa_for_each(&iopt->domains, index, cur)
		if (cur == domain)
			break;
	if (WARN_ON(cur != domain))
		goto out_unlock;
	xa_erase(&iopt->domains, index);

	iopt_for_each_area(area, iopt, 0, ULONG_MAX) {
		iopt_area_unmap_domain(area, domain);
		if (xa_empty(&iopt->domains))
			iopt_area_unhold(area);
		cond_resched();
	}
	iopt_remove_reserved_iova_locked(iopt, domain);
	iopt->iova_alignment = iopt_domains_alignment(iopt, NULL);
out_unlock:
	up_write(&iopt->lock);
}

/**
 * iopt_reserve_group_regions() - reserve what a group must never reach
 * @iopt: the io_pagetable
 * @group: an iommu_group about to be translated by a domain of @iopt
 * @owner: cookie for the reserved ranges, owning no range of @iopt yet
 * @sw_msi: receives the software-managed MSI window of the group (start
 *          PHYS_ADDR_MAX when it has none)
 *
 * Every region the IOMMU driver reports for a device of @group (MSI
 * windows, firmware-owned direct mappings, holes) becomes reserved in
 * @iopt, since every device of the group is translated by the domain,
 * attached or not. Relaxable direct mappings (the RMRRs of integrated
 * graphics and USB controllers, which a device given to userspace does
 * not need) are left usable.
 *
 * Return: 0; -EADDRINUSE when a region collides with an area or an
 * allowed range; -ENOMEM. On error nothing is reserved for @owner.
 */
int iopt_reserve_group_regions(struct io_pagetable *iopt,
			       struct iommu_group *group, const void *owner,
			       struct iommu_resv_region *sw_msi)
{
	struct iommu_resv_region *resv, *next;
	LIST_HEAD(resv_regions);
	int rc;

	sw_msi->start = PHYS_ADDR_MAX;
	sw_msi->length = 0;
	rc = iommu_get_group_resv_regions(group, &resv_regions);
	if (rc)
		goto out_free;

	down_write(&iopt->lock);
	list_for_each_entry(resv, &resv_regions, list) {
		if (resv->type == IOMMU_RESV_DIRECT_RELAXABLE)
			continue;
		if (resv->type == IOMMU_RESV_SW_MSI) {
			sw_msi->start = resv->start;
			sw_msi->length = resv->length;
		}
		rc = iopt_reserve_iova_locked(iopt, resv->start,
					      resv->start + resv->length - 1,
					      owner);
		if (rc) {
			iopt_remove_reserved_iova_locked(iopt, owner);
			break;
		}
	}
	up_write(&iopt->lock);

out_free:
	list_for_each_entry_safe(resv, next, &resv_regions, list)
		kfree(resv);
	return rc;
}

/* Check the parts of a map request that depend on the layout. */
static int iopt_check_map_alignment(struct io_pagetable *iopt,
				    unsigned long iova, unsigned long uaddr,
				    unsigned long length, bool fixed_iova)
{
	unsigned long mask = iopt->iova_alignment - 1;

	lockdep_assert_held(&iopt->lock);

	/* The offset of @uaddr in its page is the memory's offset. */
	if ((uaddr & mask) || (length & mask) || (fixed_iova && (iova & mask)))
		return -EINVAL;
	return 0;
}

/**
 * iopt_check_fixed_iova_locked() - may a new area take a given range?
 * @iopt: the io_pagetable, its lock held
 * @iova: first IOVA of the range
 * @length: bytes, not zero; @iova + @length - 1 must not wrap
 *
 * Return: 0; -EINVAL when the range touches a reserved range; -EEXIST
 * when it touches an area.
 */
int iopt_check_fixed_iova_locked(struct io_pagetable *iopt,
				 unsigned long iova, unsigned long length)
{
	unsigned long last = iova + length - 1;

	lockdep_assert_held(&iopt->lock);

	if (interval_tree_iter_first(&iopt->reserved_itree, iova, last))
		return -EINVAL;
	if (interval_tree_iter_first(&iopt->area_itree, iova, last))
		return -EEXIST;
	return 0;
}

/* Alignment of a kernel-chosen IOVA for @length bytes at @uaddr */
static unsigned long iopt_auto_alignment(struct io_pagetable *iopt,
					 unsigned long uaddr,
					 unsigned long length)
{
	unsigned long align;

	if (length > ULONG_MAX / 2 + 1)
		align = ULONG_MAX / 2 + 1;
	else
		align = roundup_pow_of_two(length);
	/* The offset of uaddr in a huge page must match the IOVA's. */
	uaddr &= PAGE_MASK;
	if (uaddr)
		align = min(align, 1UL << __ffs(uaddr));
	/*
	 * Whole pages at least, so that a domain can be attached later; the
	 * offset in the first page is added to the aligned IOVA.
	 */
	return max3(align, PAGE_SIZE, iopt->iova_alignment);
}

/*
 * The lowest IOVA at or above @from that a kernel-chosen area could use:
 * outside every area and reserved range, and inside an allowed range
 * when there are any. ULONG_MAX when there is none.
 */
static unsigned long iopt_first_free(struct io_pagetable *iopt,
				     unsigned long from)
{
	struct iova_span allowed, span;

	lockdep_assert_held(&iopt->lock);

	if (RB_EMPTY_ROOT(&iopt->allowed_itree.rb_root)) {
		for_each_iova_span_union(&span, &iopt->area_itree,
					 &iopt->reserved_itree, from,
					 ULONG_MAX)
			if (!span.used)
				return span.start;
		return ULONG_MAX;
	}
	for_each_iova_span(&allowed, &iopt->allowed_itree, from, ULONG_MAX) {
		if (!allowed.used)
			continue;
		for_each_iova_span_union(&span, &iopt->area_itree,
					 &iopt->reserved_itree, allowed.start,
					 allowed.last)
			if (!span.used)
				return span.start;
		cond_resched();
	}
	return ULONG_MAX;
}

/**
 * iopt_alloc_iova_locked() - choose the IOVA of a new area
 * @iopt: the io_pagetable, its lock held for writing
 * @iova: receives the IOVA
 * @uaddr: user address of the memory to map, for its alignment
 * @length: bytes, not zero
 *
 * Takes the lowest IOVA outside areas and reserved ranges, inside an
 * allowed range when there are any, aligned as the file comment says
 * plus the offset of @uaddr in its page: the IOVA and the memory share
 * their offset in the page.
 *
 * The search starts at iopt->alloc_floor, below which nothing is free,
 * and first moves the floor up to the lowest free IOVA. Mapping area
 * after area with kernel-chosen IOVAs thus costs O(log n) per map however
 * many areas exist (the walk from the floor crosses the area made last),
 * instead of a walk over all of them. The result is the same as a search
 * from 0; only a layout full of holes too small for the request still
 * makes the search walk them.
 *
 * Return: 0 or -ENOSPC.
 */
int iopt_alloc_iova_locked(struct io_pagetable *iopt, unsigned long *iova,
			   unsigned long uaddr, unsigned long length)
{
	unsigned long align = iopt_auto_alignment(iopt, uaddr, length);
	unsigned long offset = offset_in_page(uaddr);
	struct iova_span allowed;
	unsigned long floor, base;

	lockdep_assert_held_write(&iopt->lock);

	/* Room for the whole first page: the IOVA is base + offset. */
	if (check_add_overflow(length, offset, &length))
		return -ENOSPC;

	floor = iopt_first_free(iopt, iopt->alloc_floor);
	iopt->alloc_floor = floor;

	if (RB_EMPTY_ROOT(&iopt->allowed_itree.rb_root)) {
		if (!iova_span_find_free(&iopt->area_itree,
					 &iopt->reserved_itree, floor,
					 ULONG_MAX, length, align, &base))
			return -ENOSPC;
		*iova = base + offset;
		return 0;
	}

	/* Touching allowed ranges merge, so an area may straddle them. */
	for_each_iova_span(&allowed, &iopt->allowed_itree, floor, ULONG_MAX) {
		if (!allowed.used)
			continue;
		if (iova_span_find_free(&iopt->area_itree,
					&iopt->reserved_itree, allowed.start,
					allowed.last, length, align, &base)) {
			*iova = base + offset;
			return 0;
		}
		cond_resched();
	}
	return -ENOSPC;
}

/*
 * Pin @length bytes at user address @uaddr, or at offset @uaddr of @file,
 * and insert an area for them.
 */
static int iopt_map_common(struct io_pagetable *iopt, unsigned long *iova,
			   struct file *file, unsigned long uaddr,
			   unsigned long length, int iommu_prot,
			   bool fixed_iova,
			   enum iommufd_charge_mode charge)
{
	struct iopt_pages *pages;
	struct iopt_area *area;
	bool has_domains;
	int rc;

	/* Fail cheap mistakes before pinning anything. */
	down_read(&iopt->lock);
	rc = iopt_check_map_alignment(iopt, *iova, uaddr, length, fixed_iova);
	has_domains = !xa_empty(&iopt->domains);
	up_read(&iopt->lock);
	if (rc)
		return rc;

	area = kzalloc(sizeof(*area), GFP_KERNEL_ACCOUNT);
	if (!area)
		return -ENOMEM;

	if (file)
		pages = iopt_pages_create_file(file, uaddr, length,
					       iommu_prot & IOMMU_WRITE,
					       charge);
	else
		pages = iopt_pages_create_user(uaddr, length,
					       iommu_prot & IOMMU_WRITE,
					       charge);
	if (IS_ERR(pages)) {
		kfree(area);
		return PTR_ERR(pages);
	}
	area->pages = pages;
	area->pages_first = 0;
	area->page_offset = offset_in_page(uaddr);
	area->iommu_prot = iommu_prot;

	/*
	 * Pin now, outside the lock, if domains will need the pages; should
	 * the last domain go meanwhile, inserting the area lets go again.
	 */
	if (has_domains) {
		/* The whole memory; area->node is not set yet. */
		rc = iopt_pages_hold(pages, &area->hold, 0, pages->npages - 1);
		if (rc)
			goto err_free_area;
	}

	down_write(&iopt->lock);
	/* The layout may have changed while the pages were pinned. */
	rc = iopt_check_map_alignment(iopt, *iova, uaddr, length, fixed_iova);
	if (rc)
		goto err_unlock;
	if (fixed_iova)
		rc = iopt_check_fixed_iova_locked(iopt, *iova, length);
	else
		rc = iopt_alloc_iova_locked(iopt, iova, uaddr, length);
	if (rc)
		goto err_unlock;

	area->node.start = *iova;
	area->node.last = *iova + length - 1;
	interval_tree_insert(&area->node, &iopt->area_itree);
	rc = iopt_area_fill_domains(iopt, area);
	if (rc)
		goto err_remove;
	up_write(&iopt->lock);
	return 0;

err_remove:
	interval_tree_remove(&area->node, &iopt->area_itree);
	iopt_free_iova_from(iopt, area->node.start);
err_unlock:
	up_write(&iopt->lock);
err_free_area:
	iopt_area_free(area);
	return rc;
}

/**
 * iopt_map_user_pages() - map a range of the caller's memory
 * @iopt: the io_pagetable
 * @iova: with @fixed_iova, the IOVA to map at; otherwise receives the
 *        IOVA the kernel chose
 * @uaddr: first user address
 * @length: bytes, not zero; neither @uaddr + @length nor @iova + @length
 *          - 1 may wrap (the caller checks)
 * @iommu_prot: IOMMU_READ / IOMMU_WRITE / IOMMU_CACHE; IOMMU_WRITE pins
 *              the memory for writing
 * @fixed_iova: use *@iova as given
 * @charge: what to charge the pinned pages to
 *
 * Adds an area for the memory, which is pinned only if the IOAS has a
 * domain (see the file comment). Must be called by the process owning
 * the memory.
 *
 * Return: 0; -EINVAL for an unaligned @uaddr, @length or fixed IOVA, or a
 * fixed range touching a reserved range; -EEXIST for a fixed range
 * touching an area; -ENOSPC when no free IOVA range fits; -EFAULT,
 * -ENOMEM, -EINTR from pinning. On error nothing changed.
 */
int iopt_map_user_pages(struct io_pagetable *iopt, unsigned long *iova,
			unsigned long uaddr, unsigned long length,
			int iommu_prot, bool fixed_iova,
			enum iommufd_charge_mode charge)
{
	return iopt_map_common(iopt, iova, NULL, uaddr, length, iommu_prot,
			       fixed_iova, charge);
}

/**
 * iopt_map_file_pages() - map a range of a memfd
 * @iopt: the io_pagetable
 * @iova: as for iopt_map_user_pages()
 * @file: the memfd, held by the caller
 * @start: byte offset of the range in @file
 * @length: bytes, not zero; @start + @length must not wrap
 * @iommu_prot: as for iopt_map_user_pages()
 * @fixed_iova: use *@iova as given
 * @charge: what to charge the pinned pages to
 *
 * Return: as iopt_map_user_pages(), plus the errors of
 * iopt_pages_create_file().
 */
int iopt_map_file_pages(struct io_pagetable *iopt, unsigned long *iova,
			struct file *file, unsigned long start,
			unsigned long length, int iommu_prot, bool fixed_iova,
			enum iommufd_charge_mode charge)
{
	return iopt_map_common(iopt, iova, file, start, length, iommu_prot,
			       fixed_iova, charge);
}

/*
 * Free areas that belong to no io_pagetable (removed by an unmap, or
 * built for a copy that did not happen), without iopt->lock held.
 */
static void iopt_free_removed_areas(struct rb_root_cached *removed)
{
	struct interval_tree_node *node;

	while ((node = interval_tree_iter_first(removed, 0, ULONG_MAX))) {
		struct iopt_area *area = iopt_area_of(node);

		interval_tree_remove(node, removed);
		iopt_area_free(area);
		cond_resched();
	}
}

/**
 * iopt_area_in_range() - does any area meet an IOVA range?
 * @iopt: the io_pagetable
 * @start: first IOVA of the range
 * @last: last IOVA of the range, inclusive
 *
 * Return: true when at least one area overlaps [@start, @last].
 */
bool iopt_area_in_range(struct io_pagetable *iopt, unsigned long start,
			unsigned long last)
{
	bool found;

	down_read(&iopt->lock);
	found = interval_tree_iter_first(&iopt->area_itree, start, last);
	up_read(&iopt->lock);
	return found;
}

/**
 * iopt_unmap_iova() - remove every area inside an IOVA range
 * @iopt: the io_pagetable
 * @start: first IOVA of the range
 * @last: last IOVA of the range, inclusive, not below @start
 * @unmapped: receives the number of bytes unmapped
 *
 * Areas are removed whole. If an area lies only partly inside the range
 * nothing is removed at all.
 *
 * Areas that accesses pinned are released by the accesses first, see
 * the file comment.
 *
 * Return: 0; -ENOENT when an area sticks out of the range or the range
 * holds no area; -EBUSY when an access kept an area pinned; -ENOMEM when
 * the accesses could not be told. On error nothing is removed.
 */
int iopt_unmap_iova(struct io_pagetable *iopt, unsigned long start,
		    unsigned long last, unsigned long *unmapped)
{
	struct rb_root_cached removed = RB_ROOT_CACHED;
	unsigned long pinned_first, pinned_last;
	struct iopt_area *area, *next;
	unsigned long bytes = 0;
	bool notified = false;
	bool found = false;
	int rc = 0;

	*unmapped = 0;
again:
	down_write(&iopt->lock);
	/*
	 * In one pass: no area may stick out of the range (only the first
	 * and the last can), and find the span of areas that accesses still
	 * pin, if any.
	 */
	pinned_first = ULONG_MAX;
	pinned_last = 0;
	iopt_for_each_area(area, iopt, start, last) {
		if (area->node.start < start || area->node.last > last) {
			rc = -ENOENT;
			goto out_unlock;
		}
		cond_resched();
		if (!area->access_pins)
			continue;
		pinned_first = min(pinned_first, area->node.start);
		pinned_last = max(pinned_last, area->node.last);
	}
	if (pinned_first <= pinned_last) {
		up_write(&iopt->lock);
		if (notified)
			return -EBUSY;
		/* A span of the whole IOVA space is "everything": ULONG_MAX */
		rc = iommufd_access_notify_unmap(iopt, pinned_first,
						 pinned_last - pinned_first ==
						 ULONG_MAX ? ULONG_MAX :
						 pinned_last - pinned_first + 1);
		if (rc)
			return rc;
		notified = true;
		goto again;
	}

	for (area = iopt_area_iter_first(iopt, start, last); area;
	     area = next) {
		next = iopt_area_iter_next(area, start, last);
		iopt_area_unfill_domains(iopt, area);
		interval_tree_remove(&area->node, &iopt->area_itree);
		iopt_free_iova_from(iopt, area->node.start);
		interval_tree_insert(&area->node, &removed);
		bytes += area->node.last - area->node.start + 1;
		found = true;
		cond_resched();
	}
	if (!found)
		rc = -ENOENT;
out_unlock:
	up_write(&iopt->lock);

	iopt_free_removed_areas(&removed);
	*unmapped = bytes;
	return rc;
}

/*
 * The area that must be split so that @iova ends an area, or NULL when
 * none must. -EINVAL for a cut off the IOAS's alignment; -EBUSY when an
 * access pins pages of the area (which pages is not known per half).
 */
static struct iopt_area *iopt_area_to_cut(struct io_pagetable *iopt,
					  unsigned long iova)
{
	struct interval_tree_node *node;
	struct iopt_area *area;

	lockdep_assert_held(&iopt->lock);

	node = interval_tree_iter_first(&iopt->area_itree, iova, iova);
	if (!node || node->last == iova)
		return NULL;
	area = iopt_area_of(node);
	if ((iova + 1) & (iopt->iova_alignment - 1))
		return ERR_PTR(-EINVAL);
	if (area->access_pins)
		return ERR_PTR(-EBUSY);
	return area;
}

/*
 * Split @area after @iova into two areas showing the same pinned pages.
 * Both stay mapped in every domain, whose entries are PAGE_SIZE ones only
 * when huge pages are off (the caller's business).
 */
static void iopt_area_split(struct io_pagetable *iopt, struct iopt_area *area,
			    unsigned long iova, struct iopt_area *tail)
{
	struct interval_tree_node *node = &area->node;

	lockdep_assert_held_write(&iopt->lock);

	iopt_pages_get(area->pages);
	tail->pages = area->pages;
	tail->pages_first = iopt_area_index(area, iova + 1);
	tail->page_offset = iopt_area_offset(area, iova + 1);
	tail->iommu_prot = area->iommu_prot;
	if (area->hold.active)
		iopt_pages_split_hold(area->pages, &area->hold, &tail->hold,
				      iopt_area_index(area, iova),
				      tail->pages_first);
	tail->node.start = iova + 1;
	tail->node.last = node->last;
	/* The tree is keyed by start: shortening the head means re-adding */
	interval_tree_remove(node, &iopt->area_itree);
	node->last = iova;
	interval_tree_insert(node, &iopt->area_itree);
	interval_tree_insert(&tail->node, &iopt->area_itree);
}

/**
 * iopt_cut_iova() - make IOVAs the ends of areas, splitting areas
 * @iopt: the io_pagetable
 * @iovas: IOVAs that must each be the last byte of an area (or lie
 *         outside every area) afterwards
 * @num: entries of @iovas, at most 2
 *
 * For the type1 v1 API, which may unmap part of a mapping: the areas are
 * cut at the ends of the range first, then unmapped whole. Every cut is
 * checked and its memory allocated before any is made, so on error no
 * area changed.
 *
 * Return: 0; -EINVAL for a cut not on the IOAS's alignment; -EBUSY when
 * an access pins pages of an area to cut; -ENOMEM.
 */
int iopt_cut_iova(struct io_pagetable *iopt, const unsigned long *iovas,
		  unsigned int num)
{
	struct iopt_area *tails[2] = {}, *area;
	unsigned int i;
	int rc = 0;

	if (WARN_ON(num > ARRAY_SIZE(tails)))
		return -EINVAL;
	for (i = 0; i < num; i++) {
		tails[i] = kzalloc(sizeof(*tails[i]), GFP_KERNEL_ACCOUNT);
		if (!tails[i]) {
			rc = -ENOMEM;
			goto out_free;
		}
	}

	down_write(&iopt->lock);
	for (i = 0; i < num; i++) {
		area = iopt_area_to_cut(iopt, iovas[i]);
		if (IS_ERR(area)) {
			rc = PTR_ERR(area);
			goto out_unlock;
		}
	}
	/* A first cut never makes a second one invalid: cut in order. */
	for (i = 0; i < num; i++) {
		area = iopt_area_to_cut(iopt, iovas[i]);
		if (!area)
			continue;
		iopt_area_split(iopt, area, iovas[i], tails[i]);
		tails[i] = NULL;
	}
out_unlock:
	up_write(&iopt->lock);
out_free:
	for (i = 0; i < num; i++)
		kfree(tails[i]);
	return rc;
}

/**
 * iopt_unmap_all() - remove every area
 * @iopt: the io_pagetable
 * @unmapped: receives the number of bytes unmapped
 *
 * Return: 0, also when there was nothing to unmap; -EBUSY or -ENOMEM as
 * iopt_unmap_iova().
 */
int iopt_unmap_all(struct io_pagetable *iopt, unsigned long *unmapped)
{
	int rc;

	rc = iopt_unmap_iova(iopt, 0, ULONG_MAX, unmapped);
	return rc == -ENOENT ? 0 : rc;
}

/*
 * Build, in @slices, one new area per source area that [start, start +
 * length - 1] of @src goes through, each showing the matching part of
 * that area's pages with a reference of its own. The nodes are keyed by
 * their offset from @start, so the tree reads as the layout of the copy.
 * On error the caller still frees whatever @slices holds.
 */
static int iopt_collect_slices(struct io_pagetable *src, unsigned long start,
			       unsigned long length, int iommu_prot,
			       struct rb_root_cached *slices)
{
	unsigned long last = start + length - 1;
	unsigned long next = start;
	struct iopt_area *area;
	bool covered = false;
	int rc = 0;

	down_read(&src->lock);
	iopt_for_each_area(area, src, start, last) {
		struct iopt_area *slice;
		unsigned long to;

		/*
		 * Areas come in IOVA order and never overlap, so each one
		 * starts at or before @next unless there is a hole.
		 */
		if (area->node.start > next) {
			rc = -ENOENT;
			goto out_unlock;
		}
		if ((iommu_prot & IOMMU_WRITE) && !area->pages->writable) {
			rc = -EPERM;
			goto out_unlock;
		}

		slice = kzalloc(sizeof(*slice), GFP_KERNEL_ACCOUNT);
		if (!slice) {
			rc = -ENOMEM;
			goto out_unlock;
		}
		to = min(area->node.last, last);
		iopt_pages_get(area->pages);
		slice->pages = area->pages;
		slice->pages_first = iopt_area_index(area, next);
		slice->page_offset = iopt_area_offset(area, next);
		slice->iommu_prot = iommu_prot;
		slice->node.start = next - start;
		slice->node.last = to - start;
		interval_tree_insert(&slice->node, slices);

		/* @to may be ULONG_MAX, so compare before stepping past it. */
		if (to == last) {
			covered = true;
			break;
		}
		next = to + 1;
		cond_resched();
	}
	if (!covered)
		rc = -ENOENT;
out_unlock:
	up_read(&src->lock);
	return rc;
}

/* Hold the pages of every slice; on error the caller frees them all. */
static int iopt_hold_slices(struct rb_root_cached *slices)
{
	struct interval_tree_node *node;
	int rc;

	for (node = interval_tree_iter_first(slices, 0, ULONG_MAX); node;
	     node = interval_tree_iter_next(node, 0, ULONG_MAX)) {
		rc = iopt_area_hold(iopt_area_of(node));
		if (rc)
			return rc;
		cond_resched();
	}
	return 0;
}

/* User address of the first byte a slice shows */
static unsigned long iopt_area_uaddr(struct iopt_area *area)
{
	return area->pages->uaddr + (area->pages_first << PAGE_SHIFT) +
	       area->page_offset;
}

/*
 * The alignment rules of a map, for a copy of @length bytes made of
 * @slices: the IOVA of every piece and the memory behind it must be
 * aligned as the destination demands.
 */
static int iopt_check_slices_alignment(struct io_pagetable *iopt,
				       unsigned long iova, unsigned long length,
				       bool fixed_iova,
				       struct rb_root_cached *slices)
{
	unsigned long mask = iopt->iova_alignment - 1;
	struct interval_tree_node *node;

	lockdep_assert_held(&iopt->lock);

	if ((length & mask) || (fixed_iova && (iova & mask)))
		return -EINVAL;
	for (node = interval_tree_iter_first(slices, 0, ULONG_MAX); node;
	     node = interval_tree_iter_next(node, 0, ULONG_MAX)) {
		struct iopt_area *slice = iopt_area_of(node);

		if ((node->start & mask) || (iopt_area_uaddr(slice) & mask))
			return -EINVAL;
		cond_resched();
	}
	return 0;
}

/*
 * Move every slice into @iopt at @iova + its offset. The range must have
 * been checked to be free. On failure every slice is back in @slices.
 */
static int iopt_insert_slices_locked(struct io_pagetable *iopt,
				     unsigned long iova, unsigned long length,
				     struct rb_root_cached *slices)
{
	unsigned long last = iova + length - 1;
	struct interval_tree_node *node, *next;
	int rc;

	lockdep_assert_held_write(&iopt->lock);

	while ((node = interval_tree_iter_first(slices, 0, ULONG_MAX))) {
		struct iopt_area *area = iopt_area_of(node);

		interval_tree_remove(node, slices);
		node->start += iova;
		node->last += iova;
		interval_tree_insert(node, &iopt->area_itree);
		rc = iopt_area_fill_domains(iopt, area);
		if (rc) {
			/* Not in any domain: it only leaves the tree. */
			interval_tree_remove(node, &iopt->area_itree);
			interval_tree_insert(node, slices);
			goto err_undo;
		}
		cond_resched();
	}
	return 0;

err_undo:
	/* The range was free, so every area left in it is one of ours. */
	for (node = interval_tree_iter_first(&iopt->area_itree, iova, last);
	     node; node = next) {
		next = interval_tree_iter_next(node, iova, last);
		iopt_area_unfill_domains(iopt, iopt_area_of(node));
		interval_tree_remove(node, &iopt->area_itree);
		interval_tree_insert(node, slices);
		cond_resched();
	}
	iopt_free_iova_from(iopt, iova);
	return rc;
}

/**
 * iopt_copy_iova() - map in one io_pagetable what another one maps
 * @dst: the io_pagetable receiving the mapping
 * @dst_iova: with @fixed_iova, the IOVA to map at; otherwise receives the
 *            IOVA the kernel chose
 * @src: the io_pagetable whose areas supply the pages; may be @dst
 * @src_iova: first IOVA of the range in @src
 * @length: bytes, not zero; neither @src_iova + @length - 1 nor, with
 *          @fixed_iova, @dst_iova + @length - 1 may wrap (the caller
 *          checks)
 * @iommu_prot: IOMMU_READ / IOMMU_WRITE / IOMMU_CACHE for the new areas
 * @fixed_iova: use *@dst_iova as given
 *
 * The source range must be covered without holes by areas of @src,
 * wholly or in part. @dst gets one new area per source area crossed,
 * each referencing the same struct iopt_pages at the matching page
 * offset: pages already pinned are neither pinned nor charged again
 * (when @dst has a domain, pages nothing pinned yet are). The source
 * areas are only looked at (under @src's read lock, which is dropped
 * before @dst's write lock is taken), so the copy is of the layout at
 * that moment.
 *
 * Return: 0; -EINVAL for the errors of a map about the destination
 * (alignment, reserved range); -ENOENT when the source range is not fully
 * mapped; -EPERM when @iommu_prot has
 * IOMMU_WRITE but some source pages were pinned read-only; -EEXIST when
 * a fixed range touches an area; -ENOSPC; -ENOMEM; -EFAULT, -EINTR from
 * pinning. On error nothing changed.
 */
int iopt_copy_iova(struct io_pagetable *dst, unsigned long *dst_iova,
		   struct io_pagetable *src, unsigned long src_iova,
		   unsigned long length, int iommu_prot, bool fixed_iova)
{
	struct rb_root_cached slices = RB_ROOT_CACHED;
	struct iopt_area *first;
	bool has_domains;
	int rc;

	rc = iopt_collect_slices(src, src_iova, length, iommu_prot, &slices);
	if (rc)
		goto out_free;
	first = iopt_area_of(interval_tree_iter_first(&slices, 0, 0));

	/* As a map does: pin outside the lock what domains will need. */
	down_read(&dst->lock);
	has_domains = !xa_empty(&dst->domains);
	up_read(&dst->lock);
	if (has_domains) {
		rc = iopt_hold_slices(&slices);
		if (rc)
			goto out_free;
	}

	down_write(&dst->lock);
	rc = iopt_check_slices_alignment(dst, *dst_iova, length, fixed_iova,
					 &slices);
	if (rc)
		goto out_unlock;
	if (fixed_iova)
		rc = iopt_check_fixed_iova_locked(dst, *dst_iova, length);
	else
		rc = iopt_alloc_iova_locked(dst, dst_iova,
					    iopt_area_uaddr(first), length);
	if (rc)
		goto out_unlock;
	rc = iopt_insert_slices_locked(dst, *dst_iova, length, &slices);
out_unlock:
	up_write(&dst->lock);
out_free:
	/* Empty on success; otherwise the slices and their page refs. */
	iopt_free_removed_areas(&slices);
	return rc;
}

/* Whom the pages of @pages are charged to, as the current task names it */
static unsigned int iopt_pages_charged_id(struct iopt_pages *pages)
{
	if (pages->charge == IOMMUFD_CHARGE_USER)
		return from_kuid_munged(current_user_ns(),
					pages->source_user->uid);
	return task_tgid_vnr(pages->source_task);
}

/**
 * iopt_get_usage() - sum up what an io_pagetable maps and pins
 * @iopt: the io_pagetable
 * @usage: filled in
 *
 * Walks every area under the read lock, in time linear in their number
 * and yielding the CPU on the way; meant for /proc/PID/fdinfo, not for a
 * fast path.
 */
void iopt_get_usage(struct io_pagetable *iopt, struct iopt_usage *usage)
{
	struct iommu_domain *domain;
	struct list_head *entry;
	struct iopt_area *area;
	bool charged = false;
	struct rb_node *rb;
	unsigned long index;
	unsigned int id;

	memset(usage, 0, sizeof(*usage));

	down_read(&iopt->accesses_lock);
	list_for_each(entry, &iopt->accesses)
		usage->accesses++;
	up_read(&iopt->accesses_lock);

	down_read(&iopt->lock);
	xa_for_each(&iopt->domains, index, domain)
		usage->domains++;
	/* In-order, not an interval query: every node is visited once. */
	for (rb = rb_first_cached(&iopt->area_itree); rb; rb = rb_next(rb)) {
		area = container_of(rb, struct iopt_area, node.rb);
		/* Millions of areas take a while: yield now and then */
		if (!(++usage->areas % 4096))
			cond_resched();
		usage->mapped += area->node.last - area->node.start + 1;
		if (!area->hold.active)
			continue;
		usage->pinned += iopt_area_npages(area);
		id = iopt_pages_charged_id(area->pages);
		if (!charged) {
			charged = true;
			usage->charge = area->pages->charge;
			usage->charged_id = id;
		} else if (usage->charge != area->pages->charge ||
			   usage->charged_id != id) {
			usage->charged_mixed = true;
		}
	}
	up_read(&iopt->lock);
}
