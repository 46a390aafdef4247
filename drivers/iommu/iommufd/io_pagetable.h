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
 *    references a struct iopt_pages, the pinned user memory it shows
 *    (pages.c), or a page-aligned slice of it; several areas may share
 *    one iopt_pages.
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
struct user_struct;

/**
 * struct io_pagetable - IOVA layout of one IOAS
 * @lock: protects every other member
 * @allowed_itree: struct iopt_allowed nodes
 * @reserved_itree: struct iopt_reserved nodes
 * @area_itree: struct iopt_area nodes
 * @domains: the struct iommu_domain pointers that mirror this IOAS
 * @iova_alignment: IOVAs and lengths of mappings must be multiples of this
 *                  power of two
 * @small_pages_only: IOMMU_OPTION_HUGE_PAGES was set to 0: page tables
 *                    that follow this IOAS use PAGE_SIZE entries only
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
 * struct iopt_pages - pinned pages of one range of user memory
 * @kref: one reference per area showing the pages
 * @npages: number of pages, all pinned while the object exists
 * @uaddr: user address (file offset for a memfd) of the first page when
 *         it was pinned; only a hint
 *         for choosing IOVAs whose alignment matches huge pages
 * @page_list: the pinned pages, in user address order (kvcalloc'ed)
 * @writable: pinned with FOLL_WRITE; unpinning marks the pages dirty
 * @charge: an enum iommufd_charge_mode: @npages is charged to
 *          @source_mm->pinned_vm or ->locked_vm, or to
 *          @source_user->locked_vm
 * @source_user: the user that pinned the pages, with a uid reference
 * @source_mm: the mm the pages came from, with an mmgrab() reference
 *
 * Everything is set when the object is created and stays unchanged until
 * the last reference is dropped, which unpins and uncharges; the object
 * therefore needs no lock. Several areas, in one or several IOASes, may
 * share one object (IOAS_COPY): the memory is pinned and charged once.
 */
struct iopt_pages {
	struct kref kref;
	unsigned long npages;
	unsigned long uaddr;
	struct page **page_list;
	bool writable;
	u8 charge;
	struct user_struct *source_user;
	struct mm_struct *source_mm;
};

struct iopt_pages *iopt_pages_pin(unsigned long uaddr, unsigned long length,
				  bool writable,
				  enum iommufd_charge_mode charge);
struct iopt_pages *iopt_pages_pin_file(struct file *file, loff_t start,
				       unsigned long length, bool writable,
				       enum iommufd_charge_mode charge);
void iopt_pages_put(struct iopt_pages *pages);

/* Take another reference for a new area showing (part of) @pages */
static inline void iopt_pages_get(struct iopt_pages *pages)
{
	kref_get(&pages->kref);
}

#ifdef CONFIG_IOMMUFD_TEST
void iopt_pages_set_batch_limit(unsigned int bytes);
#endif

/**
 * struct iopt_area - one mapping of an IO address space
 * @node: the IOVA range, in io_pagetable.area_itree
 * @pages: the memory shown, one reference held
 * @pages_first: index in @pages of the page at @node.start; 0 for a
 *               mapping made by IOMMU_IOAS_MAP, and the offset of the
 *               slice for one made by IOMMU_IOAS_COPY, which shows only
 *               part of the pages it shares
 * @iommu_prot: IOMMU_READ / IOMMU_WRITE / IOMMU_CACHE for the domains
 * @access_pins: pages of this area pinned through accesses and not yet
 *               unpinned (a page pinned twice counts twice); under the
 *               io_pagetable's lock. Unmap refuses to remove an area
 *               while it is not zero.
 */
struct iopt_area {
	struct interval_tree_node node;
	struct iopt_pages *pages;
	unsigned long pages_first;
	int iommu_prot;
	unsigned long access_pins;
};

void iopt_init(struct io_pagetable *iopt);
void iopt_destroy(struct io_pagetable *iopt);

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

bool iopt_huge_pages_enabled(struct io_pagetable *iopt);
int iopt_set_huge_pages(struct io_pagetable *iopt, bool enable);

#endif
