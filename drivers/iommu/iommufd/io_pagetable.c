// SPDX-License-Identifier: GPL-2.0-only
/*
 * IOVA layout of an IO address space: allowed and reserved ranges.
 *
 * Invariants kept under iopt->lock:
 *  - allowed ranges never overlap each other;
 *  - no reserved range overlaps an allowed range;
 *  - a set of allowed ranges is installed whole or not at all.
 * The IOVAs usable for mappings are those outside every reserved range;
 * the allowed ranges do not narrow them, they only promise that the
 * ranges listed stay usable (and, later, steer IOVA allocation).
 *
 * Locking: iopt->lock (rw_semaphore) protects all of struct io_pagetable.
 * Readers take it shared, anything changing a tree or a setting takes it
 * exclusive. It may be held across copy_to_user() by a walk callback. It
 * nests outside the xa_lock of the context's object table and is never
 * taken while that spinlock is held. The caller must hold a reference on
 * the IOAS that contains the io_pagetable.
 */
#include <linux/kernel.h>
#include <linux/lockdep.h>
#include <linux/slab.h>

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
	/*
	 * Nothing translates this IOAS yet; PAGE_SIZE is the granule until
	 * attached domains may ask for a larger one.
	 */
	iopt->iova_alignment = PAGE_SIZE;
	iopt->small_pages_only = false;
}

/**
 * iopt_destroy() - free everything an io_pagetable holds
 * @iopt: the io_pagetable, which nobody else can reach any more
 *
 * Reserved ranges owned by @iopt itself are expected; any other owner
 * should have removed its ranges before releasing the IOAS.
 */
void iopt_destroy(struct io_pagetable *iopt)
{
	struct interval_tree_node *node;

	while ((node = interval_tree_iter_first(&iopt->reserved_itree, 0,
						ULONG_MAX))) {
		struct iopt_reserved *res =
			container_of(node, struct iopt_reserved, node);

		WARN_ON_ONCE(res->owner != iopt);
		interval_tree_remove(node, &iopt->reserved_itree);
		kfree(res);
	}
	iopt_allowed_free(&iopt->allowed_itree);
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
		 * HOOK(areas): once mappings exist, this is the place to
		 * require that the new set covers them. Open question:
		 * upstream accepts a set that leaves mappings outside.
		 */
	}
	/* rb trees hold no pointer back to their root, so a swap is safe. */
	swap(iopt->allowed_itree, *itree);
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
 * an allowed range; -ENOMEM.
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
	/* HOOK(areas): a range that holds a mapping cannot be reserved. */

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
		interval_tree_remove(node, &iopt->reserved_itree);
		kfree(res);
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

/**
 * iopt_visit_usable_ranges() - report the IOVA ranges open to mappings
 * @iopt: the io_pagetable
 * @visitor: its visit() is called under the read lock, once per maximal
 *           usable range in ascending order; it may sleep and fault
 * @iova_alignment: receives the alignment mappings must respect, read
 *                  under the same lock as the ranges
 *
 * A usable range is a hole between reserved ranges within [0, ULONG_MAX].
 *
 * Return: 0 or the first non-zero value visit() returned.
 */
int iopt_visit_usable_ranges(struct io_pagetable *iopt,
			     struct iopt_range_visitor *visitor,
			     unsigned long *iova_alignment)
{
	struct iova_span span;
	int rc = 0;

	down_read(&iopt->lock);
	*iova_alignment = iopt->iova_alignment;
	for_each_iova_span(&span, &iopt->reserved_itree, 0, ULONG_MAX) {
		if (span.used)
			continue;
		rc = visitor->visit(visitor, span.start, span.last);
		if (rc)
			break;
	}
	up_read(&iopt->lock);
	return rc;
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
 * Return: 0. Later, -EINVAL when turning huge pages off while mappings
 * are already installed in a hardware page table.
 */
int iopt_set_huge_pages(struct io_pagetable *iopt, bool enable)
{
	down_write(&iopt->lock);
	/*
	 * HOOK(domains): turning huge pages off must fail with -EINVAL once
	 * a hardware page table already holds mappings of this IOAS.
	 */
	iopt->small_pages_only = !enable;
	up_write(&iopt->lock);
	return 0;
}
