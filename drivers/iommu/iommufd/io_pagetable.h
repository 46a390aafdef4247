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
 *  - areas: the mappings made by IOMMU_IOAS_MAP and IOMMU_IOAS_COPY.
 *    Areas never overlap each other nor a reserved range. Each
 *    references a struct iopt_pages, the user memory it shows
 *    (pages.c), or a slice of it; several areas may share one
 *    iopt_pages. An area need not start or end on a page boundary: with
 *    no domain attached any byte granule may be mapped.
 *  - domains: the hardware page tables (iommu_domains of HWPT objects)
 *    that mirror the areas: every area is mapped in each of them.
 *  - accesses: the struct iommufd_access objects of emulated devices
 *    attached to the IOAS (access.c). They may pin the pages of areas;
 *    an area with access pins is only removed after every access was
 *    told to let go of it (iommufd_access_notify_unmap()).
 *
 * All functions prefixed iopt_ take the io_pagetable's lock themselves
 * unless their name ends in _locked; see io_pagetable.c for the locking.
 * Functions prefixed iopt_pages_ are in pages.c and take no iopt lock.
 */
#ifndef __IOMMUFD_IO_PAGETABLE_H
#define __IOMMUFD_IO_PAGETABLE_H

#include <linux/interval_tree.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mm.h>
#include <linux/mutex.h>
#include <linux/rbtree.h>
#include <linux/rwsem.h>
#include <linux/types.h>
#include <linux/xarray.h>

/**
 * enum iommufd_charge_mode - what pinned pages are charged to
 * @IOMMUFD_CHARGE_USER: the user's locked_vm (IOMMU_OPTION_RLIMIT_MODE 0)
 * @IOMMUFD_CHARGE_MM: the process's pinned_vm, VmPin (RLIMIT_MODE 1)
 * @IOMMUFD_CHARGE_MM_LOCKED: the process's locked_vm, VmLck, as VFIO
 *                            type1 charges it; used by the type1 ioctls
 *
 * Every mode counts against RLIMIT_MEMLOCK unless the task has
 * CAP_IPC_LOCK.
 */
enum iommufd_charge_mode {
	IOMMUFD_CHARGE_USER = 0,
	IOMMUFD_CHARGE_MM = 1,
	IOMMUFD_CHARGE_MM_LOCKED = 2,
};

struct file;
struct iommu_domain;
struct iommu_group;
struct iommu_resv_region;
struct mm_struct;
struct page;
struct task_struct;
struct user_struct;

/**
 * struct io_pagetable - IOVA layout of one IOAS
 * @lock: protects every other member
 * @allowed_itree: struct iopt_allowed nodes
 * @reserved_itree: struct iopt_reserved nodes
 * @area_itree: struct iopt_area nodes
 * @domains: the struct iommu_domain pointers that mirror this IOAS
 * @iova_alignment: IOVAs, lengths and the offsets of the memory in its
 *                  first page of mappings must be multiples of this power
 *                  of two: the largest smallest page of the domains,
 *                  PAGE_SIZE when an access that pins pages is attached,
 *                  else 1
 * @small_pages_only: IOMMU_OPTION_HUGE_PAGES was set to 0: page tables
 *                    that follow this IOAS use PAGE_SIZE entries only
 * @pinning_accesses: attached accesses that pin pages (they need every
 *                    area to start and end on a page)
 * @alloc_floor: no IOVA below it is free for a kernel-chosen area (it is
 *               covered, or outside every allowed range); where the
 *               search for one starts, see iopt_alloc_iova_locked()
 * @accesses_lock: protects @accesses; never held while an access is
 *                 told about an unmap (see access.c)
 * @accesses: the attached struct iommufd_access, through their
 *            iopt_node
 */
struct io_pagetable {
	struct rw_semaphore lock;
	struct rb_root_cached allowed_itree;
	struct rb_root_cached reserved_itree;
	struct rb_root_cached area_itree;
	struct xarray domains;
	unsigned long iova_alignment;
	bool small_pages_only;
	unsigned int pinning_accesses;
	unsigned long alloc_floor;
	struct rw_semaphore accesses_lock;
	struct list_head accesses;
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

/**
 * struct iopt_pages - a range of user memory and what of it is pinned
 * @kref: one reference per area showing the memory
 * @npages: number of pages of the range
 * @uaddr: user address of the first page (file offset for a memfd), in
 *         @source_mm
 * @file: the memfd the range is of, referenced; NULL for user memory
 * @writable: pinned with FOLL_WRITE; unpinning marks the pages dirty
 * @charge: an enum iommufd_charge_mode: pinned pages are charged to
 *          @source_mm->pinned_vm or ->locked_vm, or to
 *          @source_user->locked_vm
 * @source_user: the user that mapped the memory, with a uid reference
 * @source_mm: the mm the memory is in, with an mmgrab() reference
 * @source_task: the mapping process (its group leader), referenced, whose
 *               RLIMIT_MEMLOCK limits the charge
 * @mutex: protects the members below
 * @holds: struct iopt_pages_hold nodes, page-index ranges kept pinned
 * @access_counts: per page index, the number of access pins (value
 *                 entries); pages without an entry have none
 * @pfns: where the pinned pages are, by chunks of page indexes (a run
 *        or an array of pfns; see pages.c). Private to pages.c: other
 *        files reach pinned pages through iopt_pages_phys_run() and
 *        iopt_pages_access_pin()
 * @npinned: pages pinned (and charged) right now
 *
 * A page is pinned exactly while a hold covers it or an access pins it;
 * see pages.c. Several areas, in one or several IOASes, may share one
 * object (IOAS_COPY): a page is pinned and charged once however many of
 * them need it.
 */
struct iopt_pages {
	struct kref kref;
	unsigned long npages;
	unsigned long uaddr;
	struct file *file;
	bool writable;
	u8 charge;
	struct user_struct *source_user;
	struct mm_struct *source_mm;
	struct task_struct *source_task;

	struct mutex mutex; /* see the kernel-doc above */
	struct rb_root_cached holds;
	struct xarray access_counts;
	struct xarray pfns;
	unsigned long npinned;
};

/**
 * struct iopt_pages_hold - a range of page indexes kept pinned
 * @node: the range, in iopt_pages.holds while @active
 * @active: the hold is taken
 *
 * Embedded in its user (an area); see iopt_pages_hold().
 */
struct iopt_pages_hold {
	struct interval_tree_node node;
	bool active;
};

struct iopt_pages *iopt_pages_create_user(unsigned long uaddr,
					  unsigned long length, bool writable,
					  enum iommufd_charge_mode charge);
struct iopt_pages *iopt_pages_create_file(struct file *file, loff_t start,
					  unsigned long length, bool writable,
					  enum iommufd_charge_mode charge);
void iopt_pages_put(struct iopt_pages *pages);

/* Take another reference for a new area showing (part of) @pages */
static inline void iopt_pages_get(struct iopt_pages *pages)
{
	kref_get(&pages->kref);
}

int iopt_pages_hold(struct iopt_pages *pages, struct iopt_pages_hold *hold,
		    unsigned long first, unsigned long last);
void iopt_pages_unhold(struct iopt_pages *pages, struct iopt_pages_hold *hold);
void iopt_pages_split_hold(struct iopt_pages *pages,
			   struct iopt_pages_hold *hold,
			   struct iopt_pages_hold *tail, unsigned long head_last,
			   unsigned long tail_first);
int iopt_pages_access_pin(struct iopt_pages *pages, unsigned long first,
			  unsigned long last, struct page **out);
void iopt_pages_access_unpin(struct iopt_pages *pages, unsigned long first,
			     unsigned long last);

unsigned long iopt_pages_phys_run(struct iopt_pages *pages, unsigned long idx,
				  unsigned long last, phys_addr_t *phys);

#ifdef CONFIG_IOMMUFD_TEST
void iopt_pages_set_batch_limit(unsigned int bytes);
#endif

/**
 * struct iopt_area - one mapping of an IO address space
 * @node: the IOVA range, in io_pagetable.area_itree
 * @pages: the memory shown, one reference held
 * @pages_first: index in @pages of the page holding the byte at
 *               @node.start; 0 for a mapping made by IOMMU_IOAS_MAP, and
 *               the offset of the slice for one made by IOMMU_IOAS_COPY,
 *               which shows only part of the pages it shares
 * @page_offset: offset of that byte in its page
 * @iommu_prot: IOMMU_READ / IOMMU_WRITE / IOMMU_CACHE for the domains
 * @hold: keeps every page of the area pinned while the io_pagetable has
 *        a domain (taken early by a map, see io_pagetable.c)
 * @access_pins: pages of this area pinned through accesses and not yet
 *               unpinned (a page pinned twice counts twice); under the
 *               io_pagetable's lock. Unmap refuses to remove an area
 *               while it is not zero.
 */
struct iopt_area {
	struct interval_tree_node node;
	struct iopt_pages *pages;
	unsigned long pages_first;
	unsigned int page_offset;
	int iommu_prot;
	struct iopt_pages_hold hold;
	unsigned long access_pins;
};

/* The area of a node of an area tree (area_itree, slices), or NULL */
static inline struct iopt_area *iopt_area_of(struct interval_tree_node *node)
{
	return node ? container_of(node, struct iopt_area, node) : NULL;
}

/* The first area of @iopt meeting [@start, @last], or NULL */
static inline struct iopt_area *iopt_area_iter_first(struct io_pagetable *iopt,
						     unsigned long start,
						     unsigned long last)
{
	return iopt_area_of(interval_tree_iter_first(&iopt->area_itree, start,
						     last));
}

/* The area after @area meeting [@start, @last], or NULL */
static inline struct iopt_area *iopt_area_iter_next(struct iopt_area *area,
						    unsigned long start,
						    unsigned long last)
{
	return iopt_area_of(interval_tree_iter_next(&area->node, start, last));
}

/* The state of an iopt_for_each_area() loop */
struct iopt_area_iter {
	struct iopt_area *area;
	unsigned long start;
	unsigned long last;
	bool started;
};

static inline struct iopt_area *iopt_area_iter_step(struct iopt_area_iter *it,
						    struct io_pagetable *iopt)
{
	if (it->started)
		it->area = iopt_area_iter_next(it->area, it->start, it->last);
	else
		it->area = iopt_area_iter_first(iopt, it->start, it->last);
	it->started = true;
	return it->area;
}

/*
 * Each area of @iopt meeting [@from, @to], in IOVA order; @from and @to
 * are evaluated once. The caller holds @iopt->lock; the loop body must
 * not remove @area.
 */
#define iopt_for_each_area(area, iopt, from, to)                        \
	for (struct iopt_area_iter __iopt_area_it = { .start = (from),  \
						      .last = (to) };   \
	     ((area) = iopt_area_iter_step(&__iopt_area_it, iopt));)

void iopt_init(struct io_pagetable *iopt);
void iopt_destroy(struct io_pagetable *iopt);

/**
 * struct iopt_usage - a summary of an io_pagetable, for /proc/PID/fdinfo
 * @areas: number of areas
 * @mapped: bytes the areas cover
 * @pinned: pages kept pinned by the areas for the domains, counted per
 *          area (a page two areas show, after IOAS_COPY, counts twice)
 * @domains: number of domains mirroring the areas
 * @accesses: number of attached accesses
 * @charge: the enum iommufd_charge_mode of the first pinned area
 * @charged_id: whom that area's pages are charged to: a uid for
 *              IOMMUFD_CHARGE_USER, else a process ID, both as the
 *              calling task sees them
 * @charged_mixed: pinned areas are charged to more than one target
 */
struct iopt_usage {
	unsigned long areas;
	u64 mapped;
	unsigned long pinned;
	unsigned long domains;
	unsigned long accesses;
	u8 charge;
	unsigned int charged_id;
	bool charged_mixed;
};

void iopt_get_usage(struct io_pagetable *iopt, struct iopt_usage *usage);

int iopt_check_fixed_iova_locked(struct io_pagetable *iopt,
				 unsigned long iova, unsigned long length);
int iopt_alloc_iova_locked(struct io_pagetable *iopt, unsigned long *iova,
			   unsigned long uaddr, unsigned long length);
int iopt_map_user_pages(struct io_pagetable *iopt, unsigned long *iova,
			unsigned long uaddr, unsigned long length,
			int iommu_prot, bool fixed_iova,
			enum iommufd_charge_mode charge);
int iopt_map_file_pages(struct io_pagetable *iopt, unsigned long *iova,
			struct file *file, unsigned long start,
			unsigned long length, int iommu_prot, bool fixed_iova,
			enum iommufd_charge_mode charge);
int iopt_copy_iova(struct io_pagetable *dst, unsigned long *dst_iova,
		   struct io_pagetable *src, unsigned long src_iova,
		   unsigned long length, int iommu_prot, bool fixed_iova);
int iopt_unmap_iova(struct io_pagetable *iopt, unsigned long start,
		    unsigned long last, unsigned long *unmapped);
int iopt_unmap_all(struct io_pagetable *iopt, unsigned long *unmapped);
int iopt_cut_iova(struct io_pagetable *iopt, const unsigned long *iovas,
		  unsigned int num);
bool iopt_area_in_range(struct io_pagetable *iopt, unsigned long start,
			unsigned long last);

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
 * struct iopt_range - an inclusive IOVA range
 * @start: first IOVA
 * @last: last IOVA
 */
struct iopt_range {
	unsigned long start;
	unsigned long last;
};

int iopt_get_usable_ranges(struct io_pagetable *iopt,
			   struct iopt_range **ranges, unsigned int *count,
			   unsigned long *iova_alignment);

int iommufd_access_notify_unmap(struct io_pagetable *iopt,
				unsigned long iova, unsigned long length);

int iopt_table_add_domain(struct io_pagetable *iopt,
			  struct iommu_domain *domain);
void iopt_table_remove_domain(struct io_pagetable *iopt,
			      struct iommu_domain *domain);
int iopt_reserve_group_regions(struct io_pagetable *iopt,
			       struct iommu_group *group, const void *owner,
			       struct iommu_resv_region *sw_msi);

int iopt_add_pinning_access(struct io_pagetable *iopt);
void iopt_remove_pinning_access(struct io_pagetable *iopt);

/* Index in @area's iopt_pages of the page holding @iova */
static inline unsigned long iopt_area_index(struct iopt_area *area,
					    unsigned long iova)
{
	return area->pages_first +
	       ((iova - area->node.start + area->page_offset) >> PAGE_SHIFT);
}

/* Offset of @iova's byte in that page */
static inline unsigned long iopt_area_offset(struct iopt_area *area,
					     unsigned long iova)
{
	return (iova - area->node.start + area->page_offset) & ~PAGE_MASK;
}

bool iopt_huge_pages_enabled(struct io_pagetable *iopt);
int iopt_set_huge_pages(struct io_pagetable *iopt, bool enable);

#endif
