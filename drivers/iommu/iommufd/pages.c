// SPDX-License-Identifier: GPL-2.0-only
/*
 * User memory behind the areas of an IOAS (struct iopt_pages): which of
 * it is pinned, when, and its RLIMIT_MEMLOCK charge.
 *
 * An iopt_pages names a range of user memory (an address range of the
 * mapping process, or a range of a memfd) and pins nothing when it is
 * created. Pages are pinned on demand, for as long as something needs
 * them, and charged while they are pinned:
 *  - holds (struct iopt_pages_hold, a page-index range in @holds): an
 *    area of an IOAS that has at least one domain holds its whole range,
 *    since the domains map every page of it (io_pagetable.c); a map holds
 *    its new area before taking the IOAS lock so that GUP runs outside it;
 *  - access pins: emulated devices pin single pages through an access
 *    (access.c); @access_counts counts them per page index.
 * A page is pinned exactly while a hold covers it or its access count is
 * not zero. Taking a hold or an access pin pins (and charges) only the
 * pages nothing pinned yet; dropping the last one unpins (and uncharges)
 * them. An IOAS with neither domains nor accesses therefore pins and
 * charges nothing, as upstream's iommufd behaves: IOAS_MAP then only
 * records the range, and problems with the memory (a hole, a device BAR,
 * a process that exited) show when a domain is attached or an access
 * pins, with -EFAULT.
 *
 * Pinning uses the mm the memory was mapped from (@source_mm, kept with
 * mmgrab()), so an attach made later or from another process pins the
 * mapper's pages: pin_user_pages_fast() when that is the caller's own mm,
 * else pin_user_pages_remote() while mmget_not_zero() succeeds (once the
 * mapping process has exited, its memory is gone: -EFAULT). GUP refuses
 * VM_IO and VM_PFNMAP memory (device BARs), memory without the needed
 * permission and holes with -EFAULT; a writable pin of a regular
 * filesystem's page cache fails with -EFAULT too (see
 * iopt_folio_longterm_writable()). Memory named by a memfd
 * (IOMMU_IOAS_MAP_FILE) is pinned by file offset with memfd_pin_pages();
 * the object keeps a reference on the file, which need not be mapped,
 * and a write seal racing with a writable pin is checked for once the
 * pages are pinned (iopt_pages_file_sealed()).
 *
 * Pinned pages are recorded in @pfns by chunks of IOPT_CHUNK_PAGES page
 * indexes (one page of pfns: 512 indexes, a THP's worth, with 4 KiB
 * pages). A chunk exists while any page of it is pinned and is either
 *  - a value entry, its base: the pinned index i of the chunk is at pfn
 *    base + i % IOPT_CHUNK_PAGES. Huge pages, and 4 KiB pages that happen
 *    to lie in order, cost nothing beyond the xarray slot; or
 *  - an array of IOPT_CHUNK_PAGES pfns, once a page pinned into the chunk
 *    does not follow the others.
 * Only entries of pinned indexes mean anything. The storage follows what
 * is pinned, never the length of the range: one page pinned out of a
 * terabyte costs a slot. Whoever owns a hold or an access pin covering an
 * index may read its pfn without the mutex: it is written before the hold
 * or pin is granted and stays until it is gone, and a chunk turning from
 * a run into an array keeps the pfns of the pinned indexes.
 *
 * Accounting: each run of pages about to be pinned is charged first, so
 * a pin over the limit fails before GUP does any work.
 *  - user mode (IOMMU_OPTION_RLIMIT_MODE 0): locked_vm of the user that
 *    mapped the memory, as io_uring does;
 *  - mm mode (1): pinned_vm of the mapping process (VmPin);
 *  - mm-locked mode: its locked_vm (VmLck), as VFIO type1 charges.
 * The limit is the mapping process's RLIMIT_MEMLOCK, enforced unless the
 * task pinning has CAP_IPC_LOCK. The charge goes back to the same
 * counter whoever unpins, and when.
 *
 * Locking: @mutex protects the holds, the access counts, @pfns (whose
 * own lock only serves the readers) and @npinned, and is held across GUP
 * and unpinning. The order is iopt->lock -> iopt_pages.mutex -> mmap_lock
 * (inside GUP, and for the mm-locked charge); no two iopt_pages mutexes
 * are ever held together.
 * Everything else in the object is set at creation and never changes; the
 * kref covers its life. Unpinning may sleep (dirtying takes the page
 * lock), so nothing here may be called under a spinlock.
 */
#include <linux/capability.h>
#include <linux/backing-dev.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/hugetlb.h>
#include <linux/kernel.h>
#include <linux/memfd.h>
#include <linux/mm.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/sched/user.h>
#include <linux/slab.h>
#include <uapi/linux/fcntl.h>

#include "io_pagetable.h"
#include "iova_span.h"

/*
 * Bytes of struct page pointers one pin call covers: a page worth (a
 * chunk of @pfns) by default. IOMMU_TEST_OP_SET_TEMP_MEMORY_LIMIT can
 * shrink it (to a single page per call at the extreme) so that tests run
 * the batching loops many times over small ranges; it is read once per
 * loop.
 */
#define IOPT_PAGES_DEFAULT_BATCH_BYTES PAGE_SIZE

#ifdef CONFIG_IOMMUFD_TEST
static unsigned int iopt_pages_batch_bytes = IOPT_PAGES_DEFAULT_BATCH_BYTES;

/**
 * iopt_pages_set_batch_limit() - change the pinning batch (tests only)
 * @bytes: bytes of page pointers per call; 0 restores the default
 */
void iopt_pages_set_batch_limit(unsigned int bytes)
{
	WRITE_ONCE(iopt_pages_batch_bytes,
		   bytes ? bytes : IOPT_PAGES_DEFAULT_BATCH_BYTES);
}

static unsigned long iopt_pages_batch(void)
{
	return max_t(unsigned long, 1,
		     READ_ONCE(iopt_pages_batch_bytes) / sizeof(struct page *));
}
#else
static unsigned long iopt_pages_batch(void)
{
	return IOPT_PAGES_DEFAULT_BATCH_BYTES / sizeof(struct page *);
}
#endif

/* Add @npages to @counter unless the sum would exceed @limit. */
static int iopt_charge_long(atomic_long_t *counter, unsigned long npages,
			    unsigned long limit)
{
	unsigned long cur, new;

	do {
		cur = atomic_long_read(counter);
		new = cur + npages;
		if (new < cur || new > limit)
			return -ENOMEM;
	} while ((unsigned long)atomic_long_cmpxchg(counter, cur, new) != cur);
	return 0;
}

/* The same for mm->pinned_vm, which is an atomic64_t on every arch */
static int iopt_charge_64(atomic64_t *counter, unsigned long npages,
			  unsigned long limit)
{
	u64 cur, new;

	do {
		cur = atomic64_read(counter);
		new = cur + npages;
		if (new < cur || new > limit)
			return -ENOMEM;
	} while ((u64)atomic64_cmpxchg(counter, cur, new) != cur);
	return 0;
}

/*
 * mm->locked_vm, as VFIO type1 charges it: under the mmap lock, beside
 * what mlock() counts there, against the RLIMIT_MEMLOCK of @task. A
 * charge needs a live mm. An uncharge goes back to the mm_struct it was
 * taken from even after that process exited: the object holds the
 * mm_struct (mmgrab()), whose mmap lock and counters stay valid until the
 * last mmdrop(), so the counter never drifts whoever unpins, and when.
 */
static int iopt_charge_locked_vm(struct mm_struct *mm, unsigned long npages,
				 bool inc, struct task_struct *task,
				 bool unlimited)
{
	int rc;

	if (inc && !mmget_not_zero(mm))
		return -EFAULT;
	mmap_write_lock(mm);
	rc = __account_locked_vm(mm, npages, inc, task, unlimited);
	mmap_write_unlock(mm);
	if (inc)
		mmput(mm);
	return rc;
}

/* Charge @npages about to be pinned; see the file comment. */
static int iopt_pages_charge(struct iopt_pages *pages, unsigned long npages)
{
	bool unlimited = capable(CAP_IPC_LOCK);
	unsigned long limit = ULONG_MAX;

	if (!unlimited)
		limit = task_rlimit(pages->source_task, RLIMIT_MEMLOCK) >>
			PAGE_SHIFT;

	switch (pages->charge) {
	case IOMMUFD_CHARGE_MM:
		return iopt_charge_64(&pages->source_mm->pinned_vm, npages,
				      limit);
	case IOMMUFD_CHARGE_MM_LOCKED:
		return iopt_charge_locked_vm(pages->source_mm, npages, true,
					     pages->source_task, unlimited);
	default:
		return iopt_charge_long(&pages->source_user->locked_vm, npages,
					limit);
	}
}

static void iopt_pages_uncharge(struct iopt_pages *pages,
				unsigned long npages)
{
	switch (pages->charge) {
	case IOMMUFD_CHARGE_MM:
		atomic64_sub(npages, &pages->source_mm->pinned_vm);
		break;
	case IOMMUFD_CHARGE_MM_LOCKED:
		iopt_charge_locked_vm(pages->source_mm, npages, false,
				      pages->source_task, true);
		break;
	default:
		atomic_long_sub(npages, &pages->source_user->locked_vm);
		break;
	}
}

/* Page indexes per chunk of @pfns: a page of pfns */
#define IOPT_CHUNK_PAGES (PAGE_SIZE / sizeof(unsigned long))
/* Pages a pin of a small run gathers on the stack */
#define IOPT_PIN_ONSTACK 16

/* The pfn of pinned page @idx */
static unsigned long iopt_pages_pfn(struct iopt_pages *pages,
				    unsigned long idx)
{
	void *entry = xa_load(&pages->pfns, idx / IOPT_CHUNK_PAGES);
	unsigned long off = idx % IOPT_CHUNK_PAGES;

	if (xa_is_value(entry))
		return xa_to_value(entry) + off;
	return ((unsigned long *)entry)[off];
}

/*
 * Record @n pages just pinned, @list, at the indexes from @idx on, all
 * in one chunk; @in_order: they are one physically contiguous run. Other
 * pinned indexes of the chunk keep their pfns.
 */
static int iopt_pages_store(struct iopt_pages *pages, unsigned long idx,
			    struct page **list, unsigned long n, bool in_order)
{
	unsigned long chunk = idx / IOPT_CHUNK_PAGES;
	unsigned long off = idx % IOPT_CHUNK_PAGES;
	unsigned long pfn = page_to_pfn(list[0]);
	void *entry = xa_load(&pages->pfns, chunk);
	unsigned long *pfns, i;
	void *old;

	/* A run entry cannot start before pfn 0 */
	in_order = in_order && pfn >= off;
	if (in_order && !entry)
		return xa_err(xa_store(&pages->pfns, chunk,
				       xa_mk_value(pfn - off),
				       GFP_KERNEL_ACCOUNT));
	if (in_order && xa_is_value(entry) && xa_to_value(entry) == pfn - off)
		return 0;

	if (entry && !xa_is_value(entry)) {
		pfns = entry;
		for (i = 0; i != n; i++)
			pfns[off + i] = page_to_pfn(list[i]);
		return 0;
	}

	/* A first chunk out of order, or a run that stops being one */
	pfns = kmalloc(PAGE_SIZE, GFP_KERNEL_ACCOUNT);
	if (!pfns)
		return -ENOMEM;
	for (i = 0; entry && i != IOPT_CHUNK_PAGES; i++)
		pfns[i] = xa_to_value(entry) + i;
	for (i = 0; i != n; i++)
		pfns[off + i] = page_to_pfn(list[i]);
	/* Readers see the run or the array: both agree on pinned pages. */
	old = xa_store(&pages->pfns, chunk, pfns, GFP_KERNEL_ACCOUNT);
	if (xa_is_err(old)) {
		kfree(pfns);
		return xa_err(old);
	}
	return 0;
}

/* Forget the chunks within [first, last] none of whose pages is pinned */
static void iopt_pages_trim(struct iopt_pages *pages, unsigned long first,
			    unsigned long last)
{
	unsigned long chunk;
	void *entry;

	xa_for_each_range(&pages->pfns, chunk, entry, first / IOPT_CHUNK_PAGES,
			  last / IOPT_CHUNK_PAGES) {
		unsigned long start = chunk * IOPT_CHUNK_PAGES;
		unsigned long end = start + IOPT_CHUNK_PAGES - 1;

		if (interval_tree_iter_first(&pages->holds, start, end) ||
		    xa_find(&pages->access_counts, &start, end, XA_PRESENT))
			continue;
		xa_erase(&pages->pfns, chunk);
		if (!xa_is_value(entry))
			kfree(entry);
	}
}

/*
 * Unpin the @npages recorded pages from index @first on, a physically
 * contiguous run at a time, so that a huge page is given back with one
 * reference drop.
 */
static void iopt_pages_unpin_stored(struct iopt_pages *pages,
				    unsigned long first, unsigned long npages)
{
	unsigned long last = first + npages - 1;

	while (first <= last) {
		phys_addr_t phys;
		unsigned long n;

		n = iopt_pages_phys_run(pages, first, last, &phys);
		/* Devices may have written to writable pages: dirty them. */
		unpin_user_page_range_dirty_lock(pfn_to_page(PHYS_PFN(phys)), n,
						 pages->writable);
		first += n;
		cond_resched();
	}
}

/*
 * May a device keep writing to the pages of @folio for as long as they
 * stay pinned?
 * Anonymous memory and files without writeback (shmem, hugetlbfs, ramfs),
 * yes. The page cache of a filesystem that writes back (a MAP_SHARED
 * mapping of an ext4 file, say), no: the filesystem expects the pages to
 * change only through its own paths, which a long-term pin goes around
 * (lost data, or a crash at writeback). Later kernels refuse such pins in
 * GUP itself, with -EFAULT, and io_uring refuses file-backed registered
 * buffers; 6.1's GUP does not, so the pages are checked once pinned.
 */
static bool iopt_folio_longterm_writable(struct folio *folio)
{
	struct address_space *mapping;

	if (folio_test_anon(folio))
		return true;
	/* Read once: a truncation may clear it, which is harmless here. */
	mapping = folio_mapping(folio);
	return !mapping || !mapping_can_writeback(mapping);
}

/*
 * One look at the @npages pages GUP just pinned into @list: returns
 * whether they lie one after the other in memory (the common case, and
 * always within a huge page), and, with @check, -EFAULT if one of them
 * may not stay pinned for writing (iopt_folio_longterm_writable()).
 *
 * The pass costs one load and compare per page: a page is checked
 * against the one expected after its predecessor (nth_page(), valid
 * within a folio, and what a run means), struct pages are read only at
 * the start of each folio, and the writeback question, which depends only
 * on the folio, is asked there.
 */
static int iopt_pages_scan(struct page **list, unsigned long npages,
			   bool check, bool *in_order)
{
	struct page *prev = NULL;
	unsigned long i = 0;

	*in_order = true;
	while (i < npages) {
		struct folio *folio = page_folio(list[i]);
		unsigned long left;

		if (check && !iopt_folio_longterm_writable(folio))
			return -EFAULT;
		/* Does the page after a folio change follow the last one? */
		if (prev && page_to_pfn(list[i]) != page_to_pfn(prev) + 1)
			*in_order = false;
		/* Then the rest of the folio, for as long as it is in order */
		left = min_t(unsigned long, npages - i,
			     folio_nr_pages(folio) -
			     folio_page_idx(folio, list[i]));
		prev = list[i++];
		while (--left && list[i] == nth_page(prev, 1))
			prev = list[i++];
	}
	return 0;
}

/*
 * A read-only pin of @npages pages at @uaddr of @mm, whose mmap lock the
 * caller holds, within one VMA: returns the number pinned (up to the
 * VMA's end) or an errno.
 *
 * In a private (copy-on-write) mapping a plain read-only pin may get a
 * page the process does not own: the shared zero page of memory never
 * written, or a file's page cache page. The process's next write then
 * moves it to a new page, and the device keeps reading the old one.
 * Later kernels' GUP unshares such pages for long-term read-only pins;
 * 6.1's does not, so the pin asks for the write side of the COW break
 * (FOLL_FORCE | FOLL_WRITE, which only replaces the page with the
 * process's own copy and writes nothing): the device and the process
 * then see the same page. Shared mappings need nothing of the kind.
 */
static long iopt_pin_readonly(struct mm_struct *mm, unsigned long uaddr,
			      unsigned long npages, struct page **out)
{
	unsigned int gup_flags = FOLL_LONGTERM;
	struct vm_area_struct *vma;

	vma = vma_lookup(mm, uaddr);
	if (!vma)
		return -EFAULT;
	/*
	 * Only where the process may read (FOLL_FORCE would let a pin
	 * through PROT_NONE) and not for hugetlbfs, which has no zero page
	 * and refuses FOLL_FORCE writes.
	 */
	if (is_cow_mapping(vma->vm_flags) && (vma->vm_flags & VM_READ) &&
	    !is_vm_hugetlb_page(vma))
		gup_flags |= FOLL_FORCE | FOLL_WRITE;
	/* One VMA per call: the next one may need other flags. */
	npages = min(npages, (vma->vm_end - uaddr) >> PAGE_SHIFT);
	return pin_user_pages_remote(mm, uaddr, npages, gup_flags, out, NULL,
				     NULL);
}

/*
 * One GUP call: pin up to @npages pages of user memory from @uaddr into
 * @out. Returns the number pinned, at least one, or an errno.
 */
static long iopt_pages_gup(struct iopt_pages *pages, unsigned long uaddr,
			   unsigned long npages, struct page **out)
{
	struct mm_struct *mm = pages->source_mm;
	long rc;

	if (pages->writable && mm == current->mm) {
		rc = pin_user_pages_fast(uaddr, npages,
					 FOLL_LONGTERM | FOLL_WRITE, out);
	} else {
		/* Once the process exited its memory is gone. */
		if (!mmget_not_zero(mm))
			return -EFAULT;
		mmap_read_lock(mm);
		if (pages->writable)
			rc = pin_user_pages_remote(mm, uaddr, npages,
						   FOLL_LONGTERM | FOLL_WRITE,
						   out, NULL, NULL);
		else
			rc = iopt_pin_readonly(mm, uaddr, npages, out);
		mmap_read_unlock(mm);
		mmput(mm);
	}
	/*
	 * A short count means GUP stopped at a page it could not pin; the
	 * next call starts there and reports why. Zero would never make
	 * progress.
	 */
	return rc ?: -EFAULT;
}

/*
 * Is @file sealed against writes? Asked again once the pages are pinned
 * for writing: F_SEAL_WRITE waits, under the inode lock, for pins it can
 * see to go and fails if they stay, so a seal that won the race against
 * our pin is visible under the same lock here, and one that lost it sees
 * our pins and fails with EBUSY. Either way no writable pin outlives a
 * write seal.
 */
static bool iopt_pages_file_sealed(struct file *file)
{
	struct inode *inode = file_inode(file);
	int seals;

	inode_lock_shared(inode);
	seals = memfd_get_seals(file);
	inode_unlock_shared(inode);
	return seals > 0 && (seals & (F_SEAL_WRITE | F_SEAL_FUTURE_WRITE));
}

/*
 * Pin and charge the @npages pages from index @first, which nothing pins
 * yet, and record them. On failure nothing of the run stays pinned or
 * charged; chunks it left empty are for the caller to trim.
 */
static int iopt_pages_pin_run(struct iopt_pages *pages, unsigned long first,
			      unsigned long npages)
{
	unsigned long max_batch = min(iopt_pages_batch(), IOPT_CHUNK_PAGES);
	struct page *onstack[IOPT_PIN_ONSTACK];
	struct page **batch = onstack;
	unsigned long done = 0;
	long rc;

	lockdep_assert_held(&pages->mutex);

	rc = iopt_pages_charge(pages, npages);
	if (rc)
		return rc;
	/* Small runs, the common case of small maps, allocate nothing. */
	if (min(npages, max_batch) > ARRAY_SIZE(onstack)) {
		batch = kmalloc_array(max_batch, sizeof(*batch), GFP_KERNEL);
		if (!batch) {
			rc = -ENOMEM;
			goto err_uncharge;
		}
	} else {
		max_batch = min_t(unsigned long, max_batch,
				  ARRAY_SIZE(onstack));
	}

	while (done != npages) {
		unsigned long idx = first + done;
		unsigned long offset = idx << PAGE_SHIFT;
		unsigned long n;
		bool in_order;

		/* No batch crosses a chunk, so each is stored in one go. */
		n = min3(npages - done, max_batch,
			 IOPT_CHUNK_PAGES - idx % IOPT_CHUNK_PAGES);
		if (fatal_signal_pending(current)) {
			rc = -EINTR;
			goto err_unpin;
		}
		if (pages->file) {
			rc = memfd_pin_pages(pages->file, pages->uaddr + offset,
					     n, batch);
			if (rc >= 0)
				rc = n;
		} else {
			rc = iopt_pages_gup(pages, pages->uaddr + offset, n,
					    batch);
		}
		if (rc < 0)
			goto err_unpin;
		n = rc;
		/* Only GUP may hand out pages of a writeback file */
		rc = iopt_pages_scan(batch, n, pages->writable && !pages->file,
				     &in_order);
		if (!rc)
			rc = iopt_pages_store(pages, idx, batch, n, in_order);
		if (rc) {
			unpin_user_pages(batch, n);
			goto err_unpin;
		}
		done += n;
		cond_resched();
	}
	if (pages->file && pages->writable &&
	    iopt_pages_file_sealed(pages->file)) {
		rc = -EPERM;
		goto err_unpin;
	}
	if (batch != onstack)
		kfree(batch);
	pages->npinned += npages;
	return 0;

err_unpin:
	if (done)
		iopt_pages_unpin_stored(pages, first, done);
	if (batch != onstack)
		kfree(batch);
err_uncharge:
	iopt_pages_uncharge(pages, npages);
	return rc;
}

/* Undo iopt_pages_pin_run() */
static int iopt_pages_unpin_run(struct iopt_pages *pages, unsigned long first,
				unsigned long npages)
{
	lockdep_assert_held(&pages->mutex);

	iopt_pages_unpin_stored(pages, first, npages);
	iopt_pages_uncharge(pages, npages);
	pages->npinned -= npages;
	return 0;
}

/*
 * Pin (@pin) or unpin each maximal run of page indexes in [@first, @last]
 * that neither a hold covers nor an access pins, in ascending order.
 * Stops at the first error, with *@stopped set to the first index of the
 * run that failed (on success, to @last + 1).
 */
static int iopt_pages_walk_unheld(struct iopt_pages *pages,
				  unsigned long first, unsigned long last,
				  bool pin, unsigned long *stopped)
{
	struct iova_span span;
	int rc;

	lockdep_assert_held(&pages->mutex);

	for_each_iova_span(&span, &pages->holds, first, last) {
		unsigned long idx = span.start;

		if (span.used)
			continue;
		while (idx <= span.last) {
			unsigned long pinned = idx;
			unsigned long end = span.last;

			/* Cut the hole at the next page an access pins. */
			if (xa_find(&pages->access_counts, &pinned, span.last,
				    XA_PRESENT)) {
				end = pinned - 1;
				if (pinned == idx) {
					idx++;
					continue;
				}
			}
			if (pin)
				rc = iopt_pages_pin_run(pages, idx,
							end - idx + 1);
			else
				rc = iopt_pages_unpin_run(pages, idx,
							  end - idx + 1);
			if (rc) {
				*stopped = idx;
				return rc;
			}
			idx = end + 1;
		}
	}
	*stopped = last + 1;
	return 0;
}

/* Pin whatever of [first, last] is not pinned yet; all or nothing */
static int iopt_pages_pin_unheld(struct iopt_pages *pages,
				 unsigned long first, unsigned long last)
{
	unsigned long stopped;
	int rc;

	rc = iopt_pages_walk_unheld(pages, first, last, true, &stopped);
	if (rc) {
		/* The runs before the failing one were pinned whole. */
		if (stopped != first)
			iopt_pages_walk_unheld(pages, first, stopped - 1,
					       false, &stopped);
		iopt_pages_trim(pages, first, last);
	}
	return rc;
}

/* Unpin whatever of [first, last] nothing keeps pinned any more */
static void iopt_pages_unpin_unheld(struct iopt_pages *pages,
				    unsigned long first, unsigned long last)
{
	unsigned long stopped;

	iopt_pages_walk_unheld(pages, first, last, false, &stopped);
	iopt_pages_trim(pages, first, last);
}

/*
 * The last hold, [first, last], went and no access pins anything: what
 * is pinned is exactly that range. Unpin it and drop every chunk without
 * the span walk and the per-chunk checks of iopt_pages_unpin_unheld(),
 * the common case of unmapping an area that was mapped on its own.
 */
static void iopt_pages_unpin_last(struct iopt_pages *pages,
				  unsigned long first, unsigned long last)
{
	unsigned long chunk;
	void *entry;

	lockdep_assert_held(&pages->mutex);

	if (WARN_ON(pages->npinned != last - first + 1)) {
		iopt_pages_unpin_unheld(pages, first, last);
		return;
	}
	iopt_pages_unpin_run(pages, first, last - first + 1);
	xa_for_each(&pages->pfns, chunk, entry)
		if (!xa_is_value(entry))
			kfree(entry);
	xa_destroy(&pages->pfns);
}

/**
 * iopt_pages_hold() - keep a range of pages pinned
 * @pages: the memory
 * @hold: the caller's hold, not active
 * @first: first page index
 * @last: last page index, inclusive, below @pages->npages
 *
 * Pins and charges the pages of the range nothing pinned yet. The pages
 * stay pinned, and readable with iopt_pages_phys_run(), until
 * iopt_pages_unhold().
 *
 * Return: 0; -ENOMEM when the charge would pass RLIMIT_MEMLOCK or memory
 * ran out; -EFAULT when a page cannot be pinned (or its process exited);
 * -EPERM for a writable pin of a memfd sealed meanwhile; -EINTR on a
 * fatal signal. On error nothing changed.
 */
int iopt_pages_hold(struct iopt_pages *pages, struct iopt_pages_hold *hold,
		    unsigned long first, unsigned long last)
{
	int rc;

	if (WARN_ON(hold->active || first > last || last >= pages->npages))
		return -EINVAL;

	mutex_lock(&pages->mutex);
	rc = iopt_pages_pin_unheld(pages, first, last);
	if (!rc) {
		hold->node.start = first;
		hold->node.last = last;
		interval_tree_insert(&hold->node, &pages->holds);
		hold->active = true;
	}
	mutex_unlock(&pages->mutex);
	return rc;
}

/**
 * iopt_pages_phys_run() - where a run of pinned pages lies in memory
 * @pages: the memory
 * @idx: first page index; the caller keeps it pinned (a hold or an
 *       access pin) for as long as it uses the result
 * @last: last page index of interest, inclusive, also kept pinned
 * @phys: receives the physical address of page @idx
 *
 * Counts how many pages from @idx on follow each other in physical
 * memory, so that a caller filling an IOMMU domain can map them with one
 * call and let the driver pick large IOMMU pages.
 *
 * Return: the number of pages of the run, at least 1 and at most
 * @last - @idx + 1.
 */
unsigned long iopt_pages_phys_run(struct iopt_pages *pages, unsigned long idx,
				  unsigned long last, phys_addr_t *phys)
{
	unsigned long pfn = iopt_pages_pfn(pages, idx);
	unsigned long n = 1;

	*phys = PFN_PHYS(pfn);
	/* A chunk at a time: a run chunk goes whole, an array by entries */
	while (idx + n <= last) {
		unsigned long cur = idx + n;
		unsigned long off = cur % IOPT_CHUNK_PAGES;
		unsigned long left = min(last - cur + 1, IOPT_CHUNK_PAGES - off);
		void *entry = xa_load(&pages->pfns, cur / IOPT_CHUNK_PAGES);
		unsigned long *pfns = entry;
		unsigned long i;

		if (xa_is_value(entry)) {
			if (xa_to_value(entry) + off != pfn + n)
				break;
			n += left;
			continue;
		}
		for (i = 0; i != left && pfns[off + i] == pfn + n + i; i++)
			;
		n += i;
		if (i != left)
			break;
	}
	return n;
}

/**
 * iopt_pages_unhold() - undo iopt_pages_hold()
 * @pages: the memory
 * @hold: an active hold on @pages; inactive afterwards
 *
 * The pages of the range that nothing else pins are unpinned and
 * uncharged.
 */
void iopt_pages_unhold(struct iopt_pages *pages, struct iopt_pages_hold *hold)
{
	if (WARN_ON(!hold->active))
		return;

	mutex_lock(&pages->mutex);
	interval_tree_remove(&hold->node, &pages->holds);
	hold->active = false;
	if (RB_EMPTY_ROOT(&pages->holds.rb_root) &&
	    xa_empty(&pages->access_counts))
		iopt_pages_unpin_last(pages, hold->node.start,
				      hold->node.last);
	else
		iopt_pages_unpin_unheld(pages, hold->node.start,
					hold->node.last);
	mutex_unlock(&pages->mutex);
}

/**
 * iopt_pages_split_hold() - divide a hold in two
 * @pages: the memory
 * @hold: an active hold whose range is [first, last]
 * @tail: an inactive hold; receives [@tail_first, last]
 * @head_last: last page index @hold keeps, in [first, last]
 * @tail_first: @head_last + 1, or @head_last when an area split inside a
 *              page leaves that page to both halves; at most last
 *
 * @hold keeps [first, @head_last]. Nothing is pinned or unpinned. A split
 * inside the last page gives that page to both holds: @head_last is then
 * last, and so is @tail_first.
 */
void iopt_pages_split_hold(struct iopt_pages *pages,
			   struct iopt_pages_hold *hold,
			   struct iopt_pages_hold *tail, unsigned long head_last,
			   unsigned long tail_first)
{
	if (WARN_ON(!hold->active || tail->active ||
		    head_last < hold->node.start ||
		    tail_first > hold->node.last ||
		    (tail_first != head_last && tail_first != head_last + 1)))
		return;

	mutex_lock(&pages->mutex);
	tail->node.start = tail_first;
	tail->node.last = hold->node.last;
	interval_tree_insert(&tail->node, &pages->holds);
	tail->active = true;
	/* The tree is keyed by start and last: re-add the shortened hold. */
	interval_tree_remove(&hold->node, &pages->holds);
	hold->node.last = head_last;
	interval_tree_insert(&hold->node, &pages->holds);
	mutex_unlock(&pages->mutex);
}

/* Add @delta (+1 or -1) to the access count of each page of a range. */
static int iopt_pages_count_access(struct iopt_pages *pages,
				   unsigned long first, unsigned long last,
				   long delta, unsigned long *stopped)
{
	unsigned long idx;

	for (idx = first; idx <= last; idx++) {
		unsigned long count = 0;
		void *entry, *old;

		entry = xa_load(&pages->access_counts, idx);
		if (entry)
			count = xa_to_value(entry);
		count += delta;
		if (count)
			old = xa_store(&pages->access_counts, idx,
				       xa_mk_value(count), GFP_KERNEL_ACCOUNT);
		else
			old = xa_erase(&pages->access_counts, idx);
		if (xa_is_err(old)) {
			*stopped = idx;
			return xa_err(old);
		}
	}
	return 0;
}

/**
 * iopt_pages_access_pin() - pin pages for an access
 * @pages: the memory
 * @first: first page index
 * @last: last page index, inclusive, below @pages->npages
 * @out: receives the @last - @first + 1 pages
 *
 * Each page's access count goes up by one; pages nothing pinned yet are
 * pinned and charged. Every page must be given back with
 * iopt_pages_access_unpin(), in any chunks.
 *
 * Return: as iopt_pages_hold(). On error nothing changed.
 */
int iopt_pages_access_pin(struct iopt_pages *pages, unsigned long first,
			  unsigned long last, struct page **out)
{
	unsigned long stopped;
	int rc;

	if (WARN_ON(first > last || last >= pages->npages))
		return -EINVAL;

	mutex_lock(&pages->mutex);
	/* First what no count covers yet, while the counts still say so */
	rc = iopt_pages_pin_unheld(pages, first, last);
	if (rc)
		goto out_unlock;
	rc = iopt_pages_count_access(pages, first, last, 1, &stopped);
	if (rc) {
		if (stopped != first)
			WARN_ON(iopt_pages_count_access(pages, first,
							stopped - 1, -1,
							&stopped));
		/* The counts are back: unpin exactly what was pinned. */
		iopt_pages_unpin_unheld(pages, first, last);
		goto out_unlock;
	}
	for (; first <= last; first++)
		*out++ = pfn_to_page(iopt_pages_pfn(pages, first));
out_unlock:
	mutex_unlock(&pages->mutex);
	return rc;
}

/**
 * iopt_pages_access_unpin() - give back pages pinned for an access
 * @pages: the memory
 * @first: first page index
 * @last: last page index, inclusive
 *
 * Each page's access count goes down by one; pages nothing pins any more
 * are unpinned and uncharged.
 */
void iopt_pages_access_unpin(struct iopt_pages *pages, unsigned long first,
			     unsigned long last)
{
	unsigned long stopped;

	mutex_lock(&pages->mutex);
	/* Lowering or erasing existing entries allocates nothing. */
	WARN_ON(iopt_pages_count_access(pages, first, last, -1, &stopped));
	iopt_pages_unpin_unheld(pages, first, last);
	mutex_unlock(&pages->mutex);
}

/*
 * Create an iopt_pages for the pages holding @length bytes of the caller's
 * memory at @uaddr, or of @file at offset @start when @file is not NULL.
 * Nothing is pinned or charged yet.
 */
static struct iopt_pages *iopt_pages_create(unsigned long uaddr,
					    struct file *file, loff_t start,
					    unsigned long length,
					    bool writable,
					    enum iommufd_charge_mode charge)
{
	struct iopt_pages *pages;

	pages = kzalloc(sizeof(*pages), GFP_KERNEL_ACCOUNT);
	if (!pages)
		return ERR_PTR(-ENOMEM);
	kref_init(&pages->kref);
	mutex_init(&pages->mutex);
	pages->holds = RB_ROOT_CACHED;
	xa_init(&pages->access_counts);
	xa_init(&pages->pfns);
	if (file)
		uaddr = start;
	pages->npages = DIV_ROUND_UP(offset_in_page(uaddr) + length, PAGE_SIZE);
	pages->uaddr = uaddr & PAGE_MASK;
	if (file)
		pages->file = get_file(file);
	pages->writable = writable;
	pages->charge = charge;
	pages->source_user = get_uid(current_user());
	mmgrab(current->mm);
	pages->source_mm = current->mm;
	get_task_struct(current->group_leader);
	pages->source_task = current->group_leader;
	return pages;
}

/**
 * iopt_pages_create_user() - describe a range of the caller's memory
 * @uaddr: first user address
 * @length: bytes, not zero; @uaddr + @length must not wrap
 * @writable: pin for writing (devices may write to the memory)
 * @charge: what pinned pages are charged to: the caller's user, or the
 *          caller's mm (pinned_vm or, as VFIO type1 does, locked_vm)
 *
 * The object covers every page the range touches, page index 0 holding
 * @uaddr. Nothing is pinned until a hold or an access pin asks for
 * pages.
 *
 * Return: the new object with one reference, or an ERR_PTR: -EINVAL for
 * a length within a page of the whole address space, -ENOMEM.
 */
struct iopt_pages *iopt_pages_create_user(unsigned long uaddr,
					  unsigned long length, bool writable,
					  enum iommufd_charge_mode charge)
{
	if (WARN_ON_ONCE(!length))
		return ERR_PTR(-EINVAL);
	/* Its pages could not be counted (a user address of 0 allows it) */
	if (length > ULONG_MAX - PAGE_SIZE)
		return ERR_PTR(-EINVAL);
	return iopt_pages_create(uaddr, NULL, 0, length, writable, charge);
}

/**
 * iopt_pages_create_file() - describe a range of a memfd
 * @file: a memfd (shmem or hugetlbfs); the object takes a reference
 * @start: byte offset of the range in @file
 * @length: bytes, not zero
 * @writable: pin for writing; @file must then be open for writing and
 *            not sealed against writes
 * @charge: as for iopt_pages_create_user()
 *
 * Like iopt_pages_create_user(), but the memory is named by the file,
 * which need not be mapped. Missing shmem pages are allocated when
 * pinned.
 *
 * Return: the new object, or an ERR_PTR: -EINVAL when @file is not a
 * memfd or @start is negative, -EBADF when it is not open for reading,
 * -EPERM for a writable range of a file that may not be written, -ENOMEM.
 */
struct iopt_pages *iopt_pages_create_file(struct file *file, loff_t start,
					  unsigned long length, bool writable,
					  enum iommufd_charge_mode charge)
{
	int seals;

	if (WARN_ON_ONCE(!length))
		return ERR_PTR(-EINVAL);
	if (length > ULONG_MAX - PAGE_SIZE)
		return ERR_PTR(-EINVAL);
	/* Only shmem and hugetlbfs files, the memfd kinds, have seals. */
	seals = memfd_get_seals(file);
	if (seals < 0)
		return ERR_PTR(-EINVAL);
	if (start < 0)
		return ERR_PTR(-EINVAL);
	if (!(file->f_mode & FMODE_READ))
		return ERR_PTR(-EBADF);
	if (writable && (!(file->f_mode & FMODE_WRITE) ||
			 (seals & (F_SEAL_WRITE | F_SEAL_FUTURE_WRITE))))
		return ERR_PTR(-EPERM);
	return iopt_pages_create(0, file, start, length, writable, charge);
}

static void iopt_pages_release(struct kref *kref)
{
	struct iopt_pages *pages = container_of(kref, struct iopt_pages, kref);

	/* Holds and access pins each come with an area's reference. */
	WARN_ON(pages->npinned || !xa_empty(&pages->pfns) ||
		!RB_EMPTY_ROOT(&pages->holds.rb_root) ||
		!xa_empty(&pages->access_counts));
	xa_destroy(&pages->access_counts);
	xa_destroy(&pages->pfns);
	mutex_destroy(&pages->mutex);
	if (pages->file)
		fput(pages->file);
	put_task_struct(pages->source_task);
	mmdrop(pages->source_mm);
	free_uid(pages->source_user);
	kfree(pages);
}

/**
 * iopt_pages_put() - drop a reference
 * @pages: the object, with no hold or access pin left
 *
 * May sleep.
 */
void iopt_pages_put(struct iopt_pages *pages)
{
	kref_put(&pages->kref, iopt_pages_release);
}
