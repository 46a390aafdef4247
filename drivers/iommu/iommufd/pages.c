// SPDX-License-Identifier: GPL-2.0-only
/*
 * Pinned user memory (struct iopt_pages) and its RLIMIT_MEMLOCK charge.
 *
 * An iopt_pages is created by pinning every page of a user range with
 * FOLL_LONGTERM; the pages stay pinned until the last reference is put.
 * Areas reference the object instead of owning the pages so that one
 * pinning can back several areas (IOAS_COPY shares it between IOASes)
 * and is charged only once.
 *
 * Pinning goes through pin_user_pages_fast() on the caller's own mm, a
 * batch of struct page pointers per call (a page worth, or what the test
 * command set, see iopt_pages_batch()), straight into the object's page
 * array. GUP refuses VM_IO and VM_PFNMAP memory (device
 * BARs), memory without the needed permission and holes with -EFAULT,
 * which is passed on as is; a writable pin of a regular filesystem's page
 * cache fails with -EFAULT too (see iopt_page_longterm_writable()).
 * Memory named by a memfd (IOMMU_IOAS_MAP_FILE) is pinned by file offset
 * with memfd_pin_pages() instead, in the same batches; the file need not
 * be mapped, and a write seal racing with a writable pin is checked for
 * once the pages are pinned (iopt_pages_file_sealed()).
 *
 * Accounting: the whole range is charged before anything is pinned, so a
 * map over the limit fails before doing any work.
 *  - user mode (IOMMU_OPTION_RLIMIT_MODE 0): user->locked_vm of the
 *    calling user, as io_uring does;
 *  - mm mode (1): mm->pinned_vm of the calling process (VmPin in
 *    /proc/PID/status).
 * The counter always moves; the limit, rlimit(RLIMIT_MEMLOCK) of the
 * caller, is enforced unless the caller has CAP_IPC_LOCK. The object
 * keeps references on the user and the mm it charged, so the charge is
 * returned to the same counter even when another process (a forked
 * child, say) drops the last reference.
 *
 * Locking: none of its own. An object is fully set up before anyone else
 * can see it and never changes afterwards; the kref covers its life.
 * Pinning takes mmap_lock inside GUP (when the fast path falls back), so
 * callers must not hold iopt->lock across iopt_pages_pin(); the order,
 * once pinning on demand needs a per-object mutex, is iopt->lock ->
 * pages mutex -> mmap_lock. Unpinning may sleep (dirtying takes the page
 * lock), so iopt_pages_put() must not be called under a spinlock.
 */
#include <linux/capability.h>
#include <linux/backing-dev.h>
#include <linux/fs.h>
#include <linux/hugetlb.h>
#include <linux/kernel.h>
#include <linux/memfd.h>
#include <linux/mm.h>
#include <linux/sched/mm.h>
#include <linux/sched/signal.h>
#include <linux/sched/user.h>
#include <linux/shmem_fs.h>
#include <linux/slab.h>
#include <uapi/linux/fcntl.h>

#include "io_pagetable.h"

/*
 * Bytes of struct page pointers one pin or unpin call covers: a page
 * worth by default. IOMMU_TEST_OP_SET_TEMP_MEMORY_LIMIT can shrink it (to
 * a single page per call at the extreme) so that tests run the batching
 * loops many times over small ranges; it is read once per loop.
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
 * what mlock() counts there. A charge needs a live mm (the caller's own).
 * An uncharge goes back to the mm_struct it was taken from even after
 * that process exited: the object holds the mm_struct (mmgrab()), whose
 * mmap lock and counters stay valid until the last mmdrop(), so the
 * counter never drifts whoever drops the last reference, and when.
 */
static int iopt_charge_locked_vm(struct mm_struct *mm, unsigned long npages,
				 bool inc, bool unlimited)
{
	int rc;

	if (inc && !mmget_not_zero(mm))
		return -ESRCH;
	mmap_write_lock(mm);
	rc = __account_locked_vm(mm, npages, inc, current, unlimited);
	mmap_write_unlock(mm);
	if (inc)
		mmput(mm);
	return rc;
}

static int iopt_pages_charge(struct iopt_pages *pages)
{
	bool unlimited = capable(CAP_IPC_LOCK);
	unsigned long limit = ULONG_MAX;

	if (!unlimited)
		limit = rlimit(RLIMIT_MEMLOCK) >> PAGE_SHIFT;

	switch (pages->charge) {
	case IOMMUFD_CHARGE_MM:
		return iopt_charge_64(&pages->source_mm->pinned_vm,
				      pages->npages, limit);
	case IOMMUFD_CHARGE_MM_LOCKED:
		return iopt_charge_locked_vm(pages->source_mm, pages->npages,
					     true, unlimited);
	default:
		return iopt_charge_long(&pages->source_user->locked_vm,
					pages->npages, limit);
	}
}

static void iopt_pages_uncharge(struct iopt_pages *pages)
{
	switch (pages->charge) {
	case IOMMUFD_CHARGE_MM:
		atomic64_sub(pages->npages, &pages->source_mm->pinned_vm);
		break;
	case IOMMUFD_CHARGE_MM_LOCKED:
		iopt_charge_locked_vm(pages->source_mm, pages->npages, false,
				      true);
		break;
	default:
		atomic_long_sub(pages->npages, &pages->source_user->locked_vm);
		break;
	}
}

/* Unpin the first @npinned entries of the page array. */
static void iopt_pages_unpin(struct iopt_pages *pages, unsigned long npinned)
{
	unsigned long max_batch = iopt_pages_batch();
	unsigned long done = 0;

	while (done != npinned) {
		unsigned long batch = min(npinned - done, max_batch);

		/* Devices may have written to writable pages: dirty them. */
		if (pages->writable)
			unpin_user_pages_dirty_lock(pages->page_list + done,
						    batch, true);
		else
			unpin_user_pages(pages->page_list + done, batch);
		done += batch;
		cond_resched();
	}
}

/*
 * May a device keep writing to @page for as long as it stays pinned?
 * Anonymous memory and files without writeback (shmem, hugetlbfs, ramfs),
 * yes. The page cache of a filesystem that writes back (a MAP_SHARED
 * mapping of an ext4 file, say), no: the filesystem expects the pages to
 * change only through its own paths, which a long-term pin goes around
 * (lost data, or a crash at writeback). Later kernels refuse such pins in
 * GUP itself, with -EFAULT, and io_uring refuses file-backed registered
 * buffers; 6.1's GUP does not, so the pages are checked once pinned.
 */
static bool iopt_page_longterm_writable(struct page *page)
{
	struct folio *folio = page_folio(page);
	struct address_space *mapping;

	if (folio_test_anon(folio))
		return true;
	/* Read once: a truncation may clear it, which is harmless here. */
	mapping = folio_mapping(folio);
	return !mapping || !mapping_can_writeback(mapping);
}

/*
 * A read-only pin of @npages pages at @uaddr, within one VMA: returns the
 * number pinned (up to the VMA's end) or an errno.
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
static long iopt_pin_readonly(unsigned long uaddr, unsigned long npages,
			      struct page **out)
{
	unsigned int gup_flags = FOLL_LONGTERM;
	struct mm_struct *mm = current->mm;
	struct vm_area_struct *vma;
	long rc;

	mmap_read_lock(mm);
	vma = vma_lookup(mm, uaddr);
	if (!vma) {
		rc = -EFAULT;
		goto out_unlock;
	}
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
	rc = pin_user_pages(uaddr, npages, gup_flags, out, NULL);
out_unlock:
	mmap_read_unlock(mm);
	return rc;
}

/*
 * Pin every page of [uaddr, uaddr + npages * PAGE_SIZE) into the page
 * array. On failure nothing stays pinned.
 */
static int iopt_pages_fill(struct iopt_pages *pages, unsigned long uaddr)
{
	unsigned long max_batch = iopt_pages_batch();
	unsigned int gup_flags = FOLL_LONGTERM;
	unsigned long done = 0;
	int rc;

	if (pages->writable)
		gup_flags |= FOLL_WRITE;

	while (done != pages->npages) {
		unsigned long batch = min(pages->npages - done, max_batch);

		if (fatal_signal_pending(current)) {
			rc = -EINTR;
			goto err_unpin;
		}
		if (pages->writable)
			rc = pin_user_pages_fast(uaddr + done * PAGE_SIZE,
						 batch, gup_flags,
						 pages->page_list + done);
		else
			rc = iopt_pin_readonly(uaddr + done * PAGE_SIZE, batch,
					       pages->page_list + done);
		/*
		 * A short count means GUP stopped at a page it could not
		 * pin; the next call starts there and reports why. Zero
		 * would never make progress.
		 */
		if (rc <= 0) {
			if (!rc)
				rc = -EFAULT;
			goto err_unpin;
		}
		if (pages->writable) {
			struct page **got = pages->page_list + done;
			long i;

			done += rc;
			for (i = 0; i < rc; i++) {
				if (!iopt_page_longterm_writable(got[i])) {
					rc = -EFAULT;
					goto err_unpin;
				}
			}
		} else {
			done += rc;
		}
		cond_resched();
	}
	return 0;

err_unpin:
	iopt_pages_unpin(pages, done);
	return rc;
}

/*
 * Pin every page of the memfd range starting at byte @start into the
 * page array. On failure nothing stays pinned.
 */
static int iopt_pages_fill_file(struct iopt_pages *pages, struct file *file,
				loff_t start)
{
	unsigned long max_batch = iopt_pages_batch();
	unsigned long done = 0;
	long rc;

	while (done != pages->npages) {
		unsigned long batch = min(pages->npages - done, max_batch);

		if (fatal_signal_pending(current)) {
			rc = -EINTR;
			goto err_unpin;
		}
		rc = memfd_pin_pages(file, start + done * PAGE_SIZE, batch,
				     pages->page_list + done);
		if (rc < 0)
			goto err_unpin;
		done += batch;
	}
	return 0;

err_unpin:
	iopt_pages_unpin(pages, done);
	return rc;
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
	unsigned int seals;

	inode_lock_shared(inode);
	seals = memfd_file_seals(file);
	inode_unlock_shared(inode);
	return seals & (F_SEAL_WRITE | F_SEAL_FUTURE_WRITE);
}

/*
 * Create, charge and pin an iopt_pages of @length bytes, from the
 * caller's memory at @uaddr, or from @file at offset @start when @file
 * is not NULL.
 */
static struct iopt_pages *iopt_pages_create(unsigned long uaddr,
					    struct file *file, loff_t start,
					    unsigned long length,
					    bool writable,
					    enum iommufd_charge_mode charge)
{
	struct iopt_pages *pages;
	int rc;

	pages = kzalloc(sizeof(*pages), GFP_KERNEL_ACCOUNT);
	if (!pages)
		return ERR_PTR(-ENOMEM);
	kref_init(&pages->kref);
	pages->npages = length >> PAGE_SHIFT;
	pages->uaddr = file ? start : uaddr;
	pages->writable = writable;
	pages->charge = charge;
	pages->source_user = get_uid(current_user());
	mmgrab(current->mm);
	pages->source_mm = current->mm;

	rc = iopt_pages_charge(pages);
	if (rc)
		goto err_drop_refs;

	/*
	 * Within the limit this is 8 bytes per 4 KiB pinned; without one
	 * (CAP_IPC_LOCK) a bogus length must fail rather than warn or wake
	 * the OOM killer.
	 */
	pages->page_list = kvcalloc(pages->npages, sizeof(*pages->page_list),
				    GFP_KERNEL_ACCOUNT | __GFP_NOWARN |
				    __GFP_RETRY_MAYFAIL);
	if (!pages->page_list) {
		rc = -ENOMEM;
		goto err_uncharge;
	}

	if (file)
		rc = iopt_pages_fill_file(pages, file, start);
	else
		rc = iopt_pages_fill(pages, uaddr);
	if (rc)
		goto err_free_list;
	if (file && writable && iopt_pages_file_sealed(file)) {
		iopt_pages_unpin(pages, pages->npages);
		rc = -EPERM;
		goto err_free_list;
	}
	return pages;

err_free_list:
	kvfree(pages->page_list);
err_uncharge:
	iopt_pages_uncharge(pages);
err_drop_refs:
	mmdrop(pages->source_mm);
	free_uid(pages->source_user);
	kfree(pages);
	return ERR_PTR(rc);
}

/**
 * iopt_pages_pin() - pin and charge a range of the caller's memory
 * @uaddr: first user address, page aligned
 * @length: bytes, a non-zero multiple of PAGE_SIZE; @uaddr + @length
 *          must not wrap
 * @writable: pin for writing (devices may write to the memory)
 * @charge: what to charge the pages to: the caller's user, or the
 *          caller's mm (pinned_vm or, as VFIO type1 does, locked_vm)
 *
 * Must be called in the context of the process owning the memory and
 * without iopt->lock held.
 *
 * Return: the new object with one reference, or an ERR_PTR: -ENOMEM when
 * the charge would go over RLIMIT_MEMLOCK or memory ran out, -EFAULT when
 * some page cannot be pinned, -EINTR on a fatal signal. On error nothing
 * is pinned and nothing is charged.
 */
struct iopt_pages *iopt_pages_pin(unsigned long uaddr, unsigned long length,
				  bool writable,
				  enum iommufd_charge_mode charge)
{
	if (WARN_ON_ONCE(!length || !PAGE_ALIGNED(uaddr) ||
			 !PAGE_ALIGNED(length)))
		return ERR_PTR(-EINVAL);
	return iopt_pages_create(uaddr, NULL, 0, length, writable, charge);
}

/**
 * iopt_pages_pin_file() - pin and charge a range of a memfd
 * @file: a memfd (shmem or hugetlbfs)
 * @start: byte offset of the range in @file, page aligned
 * @length: bytes, a non-zero multiple of PAGE_SIZE
 * @writable: pin for writing; @file must then be open for writing and
 *            not sealed against writes
 * @charge: as for iopt_pages_pin()
 *
 * Like iopt_pages_pin(), but the memory is named by the file, which need
 * not be mapped. Missing shmem pages are allocated. The charge goes to
 * the caller, as for iopt_pages_pin().
 *
 * Return: as iopt_pages_pin(), plus -EINVAL when @file is not a memfd or
 * @start is unaligned, -EPERM for a writable pin of a file that may not
 * be written, -EFAULT for a hugetlbfs page that does not exist yet.
 */
struct iopt_pages *iopt_pages_pin_file(struct file *file, loff_t start,
				       unsigned long length, bool writable,
				       enum iommufd_charge_mode charge)
{
	if (WARN_ON_ONCE(!length || !PAGE_ALIGNED(length)))
		return ERR_PTR(-EINVAL);
	if (!shmem_file(file) && !is_file_hugepages(file))
		return ERR_PTR(-EINVAL);
	if (!PAGE_ALIGNED(start) || start < 0)
		return ERR_PTR(-EINVAL);
	if (!(file->f_mode & FMODE_READ))
		return ERR_PTR(-EBADF);
	if (writable && (!(file->f_mode & FMODE_WRITE) ||
			 (memfd_file_seals(file) &
			  (F_SEAL_WRITE | F_SEAL_FUTURE_WRITE))))
		return ERR_PTR(-EPERM);
	return iopt_pages_create(0, file, start, length, writable, charge);
}

static void iopt_pages_release(struct kref *kref)
{
	struct iopt_pages *pages = container_of(kref, struct iopt_pages, kref);

	iopt_pages_unpin(pages, pages->npages);
	kvfree(pages->page_list);
	iopt_pages_uncharge(pages);
	mmdrop(pages->source_mm);
	free_uid(pages->source_user);
	kfree(pages);
}

/**
 * iopt_pages_put() - drop a reference to pinned pages
 * @pages: the object
 *
 * The last reference unpins the pages and returns the charge to the
 * user or mm that paid it. May sleep.
 */
void iopt_pages_put(struct iopt_pages *pages)
{
	kref_put(&pages->kref, iopt_pages_release);
}
