/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The IOVA layout of an IO address space (struct io_pagetable).
 *
 * An io_pagetable describes which IOVAs of one IOAS may be used and how:
 *  - allowed ranges: set by IOMMU_IOAS_ALLOW_IOVAS, non-overlapping. When
 *    there are any, IOVAs the kernel picks by itself come only from them,
 *    and nothing may be reserved inside them.
 *  - reserved ranges: spans that must never be mapped (outside a
 *    device's aperture, its MSI window, ...). Each is tagged with an
 *    owner cookie so whoever added a set can later remove exactly that
 *    set. Reserved ranges of different owners may overlap.
 * Mappings ("areas") will join these trees in a later stage.
 *
 * All functions prefixed iopt_ take the io_pagetable's lock themselves
 * unless their name ends in _locked; see io_pagetable.c for the locking.
 */
#ifndef __IOMMUFD_IO_PAGETABLE_H
#define __IOMMUFD_IO_PAGETABLE_H

#include <linux/interval_tree.h>
#include <linux/rbtree.h>
#include <linux/rwsem.h>
#include <linux/types.h>

/**
 * struct io_pagetable - IOVA layout of one IOAS
 * @lock: protects every other member
 * @allowed_itree: struct iopt_allowed nodes
 * @reserved_itree: struct iopt_reserved nodes
 * @iova_alignment: IOVAs and lengths of mappings must be multiples of this
 *                  power of two
 * @small_pages_only: IOMMU_OPTION_HUGE_PAGES was set to 0: page tables
 *                    that follow this IOAS use PAGE_SIZE entries only
 */
struct io_pagetable {
	struct rw_semaphore lock;
	struct rb_root_cached allowed_itree;
	struct rb_root_cached reserved_itree;
	unsigned long iova_alignment;
	bool small_pages_only;
};

/**
 * struct iopt_allowed - one allowed IOVA range
 * @node: the range, in io_pagetable.allowed_itree or a tree being built
 */
struct iopt_allowed {
	struct interval_tree_node node;
};

/**
 * struct iopt_reserved - one reserved IOVA range
 * @node: the range, in io_pagetable.reserved_itree
 * @owner: cookie of whoever reserved it
 */
struct iopt_reserved {
	struct interval_tree_node node;
	const void *owner;
};

void iopt_init(struct io_pagetable *iopt);
void iopt_destroy(struct io_pagetable *iopt);

/*
 * Building and installing an allowed set: the caller fills a private tree
 * with iopt_allowed_add(), installs it with iopt_set_allowed() and then
 * always frees its tree with iopt_allowed_free(); on success the tree
 * holds the set that was replaced.
 */
int iopt_allowed_add(struct rb_root_cached *itree, unsigned long start,
		     unsigned long last);
void iopt_allowed_free(struct rb_root_cached *itree);
int iopt_set_allowed(struct io_pagetable *iopt, struct rb_root_cached *itree);

int iopt_reserve_iova_locked(struct io_pagetable *iopt, unsigned long start,
			     unsigned long last, const void *owner);
int iopt_reserve_iova(struct io_pagetable *iopt, unsigned long start,
		      unsigned long last, const void *owner);
void iopt_remove_reserved_iova_locked(struct io_pagetable *iopt,
				      const void *owner);
void iopt_remove_reserved_iova(struct io_pagetable *iopt, const void *owner);

/**
 * struct iopt_range_visitor - receiver of iopt_visit_usable_ranges()
 * @visit: called once per range; a non-zero return ends the walk
 *
 * Embed it in a structure holding the walk's own state and reach that
 * with container_of() from @visit.
 */
struct iopt_range_visitor {
	int (*visit)(struct iopt_range_visitor *visitor, unsigned long start,
		     unsigned long last);
};

int iopt_visit_usable_ranges(struct io_pagetable *iopt,
			     struct iopt_range_visitor *visitor,
			     unsigned long *iova_alignment);

bool iopt_huge_pages_enabled(struct io_pagetable *iopt);
int iopt_set_huge_pages(struct io_pagetable *iopt, bool enable);

#endif
