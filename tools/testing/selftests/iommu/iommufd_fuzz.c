// SPDX-License-Identifier: GPL-2.0-only
/*
 * A structured, seeded ioctl fuzzer for /dev/iommu (needs root and
 * CONFIG_IOMMUFD_TEST).
 *
 * Each sequence opens a fresh context and issues 50 to 200 random calls
 * of every command this kernel handles: the native commands (IOMMU_DESTROY,
 * IOAS_ALLOC, IOAS_ALLOW_IOVAS, IOAS_COPY, IOAS_IOVA_RANGES, IOAS_MAP,
 * IOAS_MAP_FILE, IOAS_UNMAP, OPTION, VFIO_IOAS, HWPT_ALLOC, GET_HW_INFO,
 * HWPT_INVALIDATE), the ones the uAPI declares but this kernel does not
 * implement (HWPT dirty tracking, FAULT_QUEUE_ALLOC: size rules, then
 * EOPNOTSUPP), every IOMMU_TEST_CMD operation (1-12, the checks of nested
 * IOTLBs and device caches, PASID attach, detach and check on no HWPT,
 * and the unimplemented ones), unknown command numbers, and the VFIO
 * type1 container ioctls on the same file. The model has no nested HWPT
 * and no PASID attached: HWPT_ALLOC on a paging HWPT and HWPT_INVALIDATE
 * must fail, with one of the errnos of the problems the argument has
 * (the kernel may find them in any order), and the latter must write
 * back entry_num 0.
 * Arguments are drawn from valid and invalid values: IDs of live objects,
 * of objects of another type, of nothing; the size field below the first
 * version, at an older layout, larger with a zero tail, larger with a
 * non-zero tail, running into an unmapped page; valid and random flags;
 * IOVAs on area boundaries, overlapping, unaligned, at the top of the
 * address space; huge lengths; memory that is read-only, unmapped or not
 * there; memfds open read-only, write-only, sealed, closed fds, other
 * files.
 *
 * Oracles:
 *  - every call must succeed or fail with an errno from its command's
 *    documented list (cmd_descs[] below, from the kernel-doc in
 *    include/uapi/linux/iommufd.h and the handlers);
 *  - the size rules of the uAPI exactly (EINVAL below the first version,
 *    E2BIG for a non-zero tail, EFAULT for an unreadable one), and the
 *    kernel never writes past the struct;
 *  - a model of every object and of the areas of each IOAS follows the
 *    successful calls: a success must agree with it (no overlapping
 *    areas, a copy only of mapped memory, the bytes an unmap reports),
 *    and where it fully determines the answer (IOMMU_DESTROY of a known
 *    ID, IOAS_UNMAP of a valid range of a live IOAS, VFIO_IOAS GET,
 *    VFIO_IOMMU_UNMAP_DMA, MD_CHECK_MAP of a mapped area, the VFIO
 *    version and extensions) the answer must be that one;
 *  - the model also knows each IOAS's alignment and what is pinned. The
 *    alignment (out_iova_alignment) is 1 with nothing attached, the
 *    mock IOMMU's page (half a CPU page) while a domain is, a CPU page
 *    while an access that pins pages is; maps, copies and type1 cuts
 *    must respect it (IOVA, length, offset of the memory in its page),
 *    a kernel-chosen IOVA keeps the memory's offset in its page, and an
 *    attach that would raise it over an area fails with EINVAL. Memory
 *    is pinned on demand: each map names a memory object whose pages
 *    are pinned, once, while an area of an IOAS with a domain shows
 *    them or an access pins them. So the model predicts the answer of
 *    IOAS_MAP, MAP_FILE, COPY, VFIO_IOMMU_MAP_DMA (but for the room a
 *    kernel-chosen IOVA finds), of attaching mock devices, HWPT_ALLOC,
 *    the accesses (create, replace, pages, rw) and MD_CHECK_REFS,
 *    including EFAULT for memory that cannot be pinned and ENOMEM over
 *    the memlock limit; and VmPin and VmLck must be what it charged,
 *    after every call that changes that;
 *  - after each sequence: the IOVA ranges of every IOAS are sorted,
 *    disjoint, aligned to out_iova_alignment and hold every area of the
 *    model; IOAS_UNMAP of everything reports exactly the bytes the model
 *    holds; and once the file (and the access fds) are closed, VmPin
 *    (the context charges the process, IOMMU_OPTION_RLIMIT_MODE 1) and
 *    VmLck (the type1 ioctls) are back to their values before the
 *    sequence and no page of the buffers is pinned (MD_CHECK_REFS).
 *
 * The process drops CAP_IPC_LOCK and runs with RLIMIT_MEMLOCK of 64 MiB,
 * so huge lengths fail at the charge instead of pinning or allocating a
 * lot.
 *
 * Reproducing: the master seed is printed; sequence i uses seed
 * master + i * SEED_STEP, and a failure prints its sequence's seed and
 * the calls that led to it. IOMMUFD_FUZZ_SEED=<seed> IOMMUFD_FUZZ_SEQS=1
 * replays one sequence (IOMMUFD_FUZZ_VERBOSE=1 prints every call).
 * Seeds that once failed go into regression_seeds[], which always runs.
 *
 * Knobs (environment):
 *   IOMMUFD_FUZZ_SEED     master seed (default: from the clock)
 *   IOMMUFD_FUZZ_SEQS     number of sequences (default DEFAULT_SEQS, or
 *                         unlimited when IOMMUFD_FUZZ_SECONDS is set)
 *   IOMMUFD_FUZZ_SECONDS  stop starting sequences after this many seconds
 *   IOMMUFD_FUZZ_VERBOSE  1: print every call
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <linux/capability.h>
#include <linux/iommufd.h>
#include <linux/vfio.h>

#include "../kselftest_harness.h"
#include "iommufd_utils.h"

/* About 60 s on the debug kernel under TCG; see the report */
#define DEFAULT_SEQS 1000
#define SEED_STEP 0x9e3779b97f4a7c15ULL

/*
 * Seeds of sequences that once failed; they always run first. A seed
 * replays the same calls only as long as the generator below does not
 * change, so add the seed of every new failure here when it is fixed.
 *  0x1: a size below 4 with garbage after it (the harness's own bug)
 *  0x9e3779b97f4a8e49: IOVA_RANGES output array inside the argument
 *  0x2e2ac13ef8e8eb06, 0xe3779b97f4a7d384: VFIO_CHECK_EXTENSION of
 *    VFIO_DMA_CC_IOMMU without a compat IOAS became ENODEV
 *  0xf9ccc45ca8cc6cbe, 0xc62eff5520ffc1a5: a type1 v1 unmap (huge pages
 *    off) cuts areas instead of failing with EINVAL
 *  0x56e27eb562eddf5e: MD_CHECK_REFS of the memfd's mapping ran past it
 *    into memory the model does not know (the model's own bug)
 *  0x5a6ff4d5aa911190: an access pin of a map starting in the hole but
 *    reaching past it into memory the process maps (the model's bug);
 *    on arm64 it also found the model taking x86's end of user space
 *    (47 bits) for arm64's (48)
 *  0x353fd19b25e439ae: a type1 v1 unmap cutting an area inside the last
 *    page of its pinned range left the tail's page without a pin
 *  0xf53dc40fbd718e01: on arm64 an access pin of a tagged address (top
 *    byte set) that GUP untags into mapped memory (the model's bug)
 */
static const __u64 regression_seeds[] = {
	0x1,
	0x9e3779b97f4a8e49,
	0x2e2ac13ef8e8eb06,
	0xe3779b97f4a7d384,
	0xf9ccc45ca8cc6cbe,
	0xc62eff5520ffc1a5,
	0x56e27eb562eddf5e,
	0x5a6ff4d5aa911190,
	0x353fd19b25e439ae,
	0xf53dc40fbd718e01,
};

#define MEMLOCK_LIMIT (64 * SZ_1M)
#define BUF_SIZE (4 * SZ_1M)
#define RO_SIZE SZ_256K
#define MEMFD_SIZE SZ_2M
/* Bytes the argument of one call may take before the guard page */
#define ARG_ROOM 512
#define MAX_ID 4096
#define MAX_ACCESS 16
#define LOG_LINES 24
#define LOG_LEN 240
#define MAX_ERRNO 140
#define APERTURE_LAST 0x7fffffffUL
/* The CPU page (checked at set-up) and the mock IOMMU's, half of it */
#define CPU_PAGE SZ_4K
/*
 * Where user space ends (TASK_SIZE): 47-bit on x86_64 (4-level paging),
 * 48-bit on arm64 (VA_BITS_48, as the test kernels are built); GUP fails
 * from there on.
 */
#ifdef __aarch64__
#define USER_VA_END 0x1000000000000ULL
#else
#define USER_VA_END 0x800000000000ULL
#endif
#define MOCK_PAGE (CPU_PAGE / 2)

/*
 * arm64 ignores the top byte of a user address (TBI), and GUP strips it
 * (untagged_addr()) when bit 55 is clear: such an address reaches
 * whatever the process maps at its lower 56 bits, which the model does
 * not know.
 */
static bool va_tagged(__u64 va)
{
#ifdef __aarch64__
	return (va >> 56) && !(va & (1ULL << 55));
#else
	return false;
#endif
}

/* Pages RLIMIT_MEMLOCK lets one counter (VmPin, VmLck, ...) hold */
#define LIMIT_PAGES (MEMLOCK_LIMIT / CPU_PAGE)
/*
 * The test command's own page pointer array (ACCESS_PAGES): more than
 * INT_MAX bytes are refused (kvmalloc()), up to this many are taken to be
 * allocated, and between the two the answer depends on the guest's
 * memory.
 */
#define LIST_SURE_BYTES (32 * SZ_1M)
/* What the model helpers return (besides 0 or -errno) when not sure */
#define UNSURE 1
#define MAX_RESV 16
/* The mock device flags MOCK_DOMAIN_FLAGS takes */
#define MOCK_DEV_FLAGS (MOCK_FLAGS_DEVICE_NO_DIRTY | \
			MOCK_FLAGS_DEVICE_HUGE_IOVA | MOCK_FLAGS_DEVICE_PASID)
/* The IOMMU_HWPT_ALLOC flags the mock takes for a paging HWPT */
#define HWPT_PAGING_FLAGS (IOMMU_HWPT_ALLOC_NEST_PARENT | \
			   IOMMU_HWPT_ALLOC_PASID)

/*
 * A TAP comment; flushed, since the test child leaves with _exit(). note(),
 * flog() and fail() are macros around printf() and snprintf() so that the
 * compiler checks their format strings (a string literal) and arguments.
 */
#define note(fmt, ...) do {				\
	printf("# " fmt "\n", ##__VA_ARGS__);		\
	fflush(stdout);					\
} while (0)

/* A format of note() too long for its call, whole for grep */
#define MASTER_SEED_NOTE "master seed 0x%llx: IOMMUFD_FUZZ_SEED=0x%llx replays this run, sequence i has seed master + i * 0x%llx"

/* splitmix64: turns any seed, 0 included, into a good xorshift state */
static __u64 splitmix(__u64 x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/* ------------------------------------------------------------------ */
/* Commands and their documented errnos                                */

enum {
	K_DESTROY,
	K_IOAS_ALLOC,
	K_ALLOW_IOVAS,
	K_COPY,
	K_IOVA_RANGES,
	K_MAP,
	K_UNMAP,
	K_OPTION,
	K_VFIO_IOAS,
	K_HWPT_ALLOC,
	K_GET_HW_INFO,
	K_MAP_FILE,
	K_UNKNOWN_CMD,
	K_DECLARED,
	K_T_ADD_RESERVED,
	K_T_MOCK_DOMAIN,
	K_T_CHECK_MAP,
	K_T_CHECK_REFS,
	K_T_CREATE_ACCESS,
	K_T_DESTROY_ACCESS_PAGES,
	K_T_ACCESS_PAGES,
	K_T_ACCESS_RW,
	K_T_SET_LIMIT,
	K_T_REPLACE,
	K_T_ACCESS_REPLACE,
	K_T_MOCK_FLAGS,
	K_T_OTHER,
	K_VFIO_API_VERSION,
	K_VFIO_CHECK_EXT,
	K_VFIO_SET_IOMMU,
	K_VFIO_GET_INFO,
	K_VFIO_MAP_DMA,
	K_VFIO_UNMAP_DMA,
	K_VFIO_UNKNOWN,
	K_CLOSE_ACCESS,
	NR_KINDS,
};

/*
 * The one table of results: for each command, the errnos its kernel-doc
 * (include/uapi/linux/iommufd.h, iommufd_test.h, the handlers) allows.
 * The native commands (native = true) may also fail the size rules of
 * every command: EINVAL, E2BIG, EFAULT.
 */
static const struct cmd_desc {
	const char *name;
	unsigned int weight;
	bool native;
	int errnos[12];
} cmd_descs[NR_KINDS] = {
	[K_DESTROY] = { "DESTROY", 6, true, { ENOENT, EBUSY } },
	[K_IOAS_ALLOC] = { "IOAS_ALLOC", 6, true, { EOPNOTSUPP, ENOMEM } },
	[K_ALLOW_IOVAS] = { "IOAS_ALLOW_IOVAS", 3, true,
			    { ENOENT, EOPNOTSUPP, EINVAL, EADDRINUSE, EFAULT,
			      ENOMEM } },
	[K_COPY] = { "IOAS_COPY", 8, true,
		     { ENOENT, EOPNOTSUPP, EPERM, EINVAL, EEXIST, ENOSPC,
		       EOVERFLOW, ENOMEM, EFAULT } },
	[K_IOVA_RANGES] = { "IOAS_IOVA_RANGES", 4, true,
			    { ENOENT, EOPNOTSUPP, EMSGSIZE, EFAULT } },
	[K_MAP] = { "IOAS_MAP", 14, true,
		    { ENOENT, EOPNOTSUPP, EINVAL, EEXIST, ENOSPC, EOVERFLOW,
		      EFAULT, ENOMEM } },
	[K_UNMAP] = { "IOAS_UNMAP", 10, true,
		      { ENOENT, EINVAL, EOVERFLOW, EBUSY, EFAULT } },
	[K_OPTION] = { "OPTION", 3, true,
		       { EOPNOTSUPP, ENOENT, EINVAL, EPERM, EBUSY } },
	[K_VFIO_IOAS] = { "VFIO_IOAS", 4, true,
			  { EOPNOTSUPP, ENODEV, ENOENT } },
	[K_HWPT_ALLOC] = { "HWPT_ALLOC", 3, true,
			   { EOPNOTSUPP, EINVAL, ENOENT, EADDRINUSE, ENOMEM } },
	[K_GET_HW_INFO] = { "GET_HW_INFO", 2, true,
			    { EOPNOTSUPP, ENOENT, EFAULT, ENOMEM } },
	[K_MAP_FILE] = { "IOAS_MAP_FILE", 6, true,
			 { ENOENT, EOPNOTSUPP, EINVAL, EEXIST, ENOSPC,
			   EOVERFLOW, EFAULT, ENOMEM, EBADF, EPERM } },
	[K_UNKNOWN_CMD] = { "unknown command", 1, false, { ENOTTY } },
	/*
	 * in the uAPI, not implemented: the size rules, then EOPNOTSUPP;
	 * but HWPT_INVALIDATE, which has no nested HWPT to work on here
	 */
	[K_DECLARED] = { "declared command (0x8b-0x8e)", 2, true,
			 { EOPNOTSUPP, EINVAL, ENOENT } },
	/* IOMMU_TEST_CMD: each also EOPNOTSUPP for a non-zero __reserved */
	[K_T_ADD_RESERVED] = { "TEST ADD_RESERVED", 2, true,
			       { EOPNOTSUPP, EINVAL, EOVERFLOW, ENOENT,
				 EADDRINUSE, ENOMEM } },
	[K_T_MOCK_DOMAIN] = { "TEST MOCK_DOMAIN", 5, true,
			      { EOPNOTSUPP, ENOENT, EINVAL, EADDRINUSE,
				ENOMEM } },
	[K_T_CHECK_MAP] = { "TEST MD_CHECK_MAP", 3, true,
			    { EOPNOTSUPP, EINVAL, ENOENT, EFAULT } },
	[K_T_CHECK_REFS] = { "TEST MD_CHECK_REFS", 1, true,
			     { EOPNOTSUPP, EINVAL, EFAULT } },
	[K_T_CREATE_ACCESS] = { "TEST CREATE_ACCESS", 4, true,
				{ EOPNOTSUPP, ENOENT, EMFILE, ENOMEM } },
	[K_T_DESTROY_ACCESS_PAGES] = { "TEST DESTROY_ACCESS_PAGES", 2, true,
				       { EOPNOTSUPP, EBADFD, ENOENT } },
	[K_T_ACCESS_PAGES] = { "TEST ACCESS_PAGES", 6, true,
			       { EOPNOTSUPP, EOVERFLOW, EINVAL, EBADFD,
				 ENOMEM, ENOENT, EPERM, EFAULT } },
	[K_T_ACCESS_RW] = { "TEST ACCESS_RW", 3, true,
			    { EOPNOTSUPP, EOVERFLOW, EINVAL, EBADFD, ENOMEM,
			      EFAULT, ENOENT, EPERM } },
	[K_T_SET_LIMIT] = { "TEST SET_TEMP_MEMORY_LIMIT", 1, true,
			    { EOPNOTSUPP } },
	[K_T_REPLACE] = { "TEST MOCK_DOMAIN_REPLACE", 3, true,
			  { EOPNOTSUPP, ENOENT, EINVAL, EADDRINUSE, ENOMEM } },
	[K_T_ACCESS_REPLACE] = { "TEST ACCESS_REPLACE_IOAS", 2, true,
				 { EOPNOTSUPP, EBADFD, EINVAL, ENOENT,
				   EBUSY } },
	[K_T_MOCK_FLAGS] = { "TEST MOCK_DOMAIN_FLAGS", 1, true,
			     { EOPNOTSUPP, ENOENT, EINVAL, EADDRINUSE,
			       ENOMEM } },
	/* unimplemented ops; checks and PASID ops that find nothing */
	[K_T_OTHER] = { "TEST op 0, 13-21, 22+", 1, true,
			{ EOPNOTSUPP, ENOENT, EINVAL } },
	[K_VFIO_API_VERSION] = { "VFIO_GET_API_VERSION", 1, false, { 0 } },
	[K_VFIO_CHECK_EXT] = { "VFIO_CHECK_EXTENSION", 1, false, { 0 } },
	/*
	 * ENODEV: the lead's change makes SET_IOMMU on a context without a
	 * compat IOAS or device, and GET_INFO/MAP_DMA/UNMAP_DMA before
	 * SET_IOMMU, fail with ENODEV; today the first succeeds and the
	 * others give EINVAL. TODO: tighten once that is in.
	 */
	[K_VFIO_SET_IOMMU] = { "VFIO_SET_IOMMU", 3, false,
			       { EINVAL, ENOMEM, ENODEV } },
	[K_VFIO_GET_INFO] = { "VFIO_IOMMU_GET_INFO", 2, false,
			      { EFAULT, EINVAL, ENOMEM, ENODEV } },
	[K_VFIO_MAP_DMA] = { "VFIO_IOMMU_MAP_DMA", 5, false,
			     { EFAULT, EINVAL, EEXIST, ENOMEM, ENODEV } },
	[K_VFIO_UNMAP_DMA] = { "VFIO_IOMMU_UNMAP_DMA", 4, false,
			       { EFAULT, EINVAL, EBUSY, ENODEV } },
	[K_VFIO_UNKNOWN] = { "unknown VFIO ioctl", 1, false, { ENOTTY } },
	[K_CLOSE_ACCESS] = { "close(access fd)", 1, false, { 0 } },
};

/* ------------------------------------------------------------------ */
/* Environment shared by all sequences                                 */

static struct {
	char *buf;		/* BUF_SIZE read-write, then a hole */
	char *robuf;		/* RO_SIZE read-only */
	char *hole;		/* PROT_NONE */
	char *argpage;		/* a page followed by a PROT_NONE page */
	char *slot;		/* argpage + page - ARG_ROOM */
	char *guard;		/* the PROT_NONE page after it */
	char *edge;		/* the end of another page before a guard */
	char *hwbuf;		/* output of GET_HW_INFO */
	struct iommu_iova_range *ranges;	/* 256 entries */
	int memfd;		/* shmem, MEMFD_SIZE, read-write */
	int memfd_ro;		/* the same file, opened read-only */
	int memfd_wo;		/* the same file, opened write-only */
	int sealed;		/* another memfd, F_SEAL_WRITE */
	int hugefd;		/* a hugetlbfs memfd, or -1 */
	int devnull;
	int closed_fd;		/* a number that is not an open fd */
	char *memmap;		/* memfd mapped shared, for MD_CHECK_* */
	char *sealmap;		/* sealed mapped read-only */
	int checker;		/* a context with no objects, for CHECK_REFS */
	bool verbose;
	unsigned long long calls;
	unsigned long count[NR_KINDS][MAX_ERRNO + 1];
	unsigned long predicted[NR_KINDS];	/* beyond the size rules */
} env;

/* ------------------------------------------------------------------ */
/* The model                                                           */

enum { O_NONE, O_IOAS, O_HWPT, O_STDEV, O_IDEV };

/*
 * The memory one IOAS_MAP (MAP_FILE, MAP_DMA) names, as the kernel's
 * struct iopt_pages: areas made from it by copies and splits share it.
 * Page i of it is pinned, once, while an area of an IOAS with a domain
 * covers it or an access pins it; nothing else pins (pin on demand).
 */
enum { MEM_USER, MEM_SHMEM, MEM_SEALED, MEM_HUGE };
/* What its pinned pages are charged to: VmPin, VmLck, the user */
enum { CH_PIN, CH_LCK, CH_USER, NR_CH };

struct mem {
	__u64 base;		/* page-aligned user address or file offset */
	__u64 npages;
	__u8 kind;
	__u8 charge;
	bool writable;		/* pinned for writing */
};

struct area {
	__u64 start, last;
	__u64 moff;		/* offset of start's byte from the mem's base */
	__u32 mem;		/* index in fz.mems */
	bool pw;		/* the memory is pinned writeable */
	bool w;			/* the area maps it writeable */
};

struct range {
	__u64 start, last;
};

struct mobj {
	__u8 type;
	/* O_IOAS */
	bool unaligned_resv;
	bool small_pages;	/* IOMMU_OPTION_HUGE_PAGES is 0 */
	bool many_resv;		/* more reserved ranges than resv[] holds */
	__u32 nhwpt, naccess;
	__u32 npinacc;		/* attached accesses that pin pages */
	struct area *areas;
	__u32 nareas, cap;
	struct range allowed[4];	/* IOAS_ALLOW_IOVAS */
	__u32 nallowed;
	struct range resv[MAX_RESV];	/* TEST ADD_RESERVED */
	__u32 nresv;
	/* O_HWPT */
	__u32 ioas;
	bool auto_domain;
	bool nest_parent;	/* IOMMU_HWPT_ALLOC_NEST_PARENT */
	__u32 ndev;
	/*
	 * O_STDEV, O_IDEV: a mock device made with MOCK_FLAGS_DEVICE_PASID;
	 * an automatic O_HWPT: made for one
	 */
	bool pasid;
	/* O_STDEV */
	__u32 idev, hwpt;
};

/* A range pinned through an access (TEST ACCESS_PAGES) */
struct pin {
	__u32 id;
	__u64 iova, last;
};

struct access {
	int fd;
	__u32 ioas;
	bool pin;
	__u32 next_id;		/* the ID of the last pin */
	struct pin *pins;
	unsigned int npins, cap;
};

struct fz {
	__u64 seed, rng;
	int fd;
	struct mobj obj[MAX_ID];
	__u32 max_id;		/* no model object above it */
	struct access acc[MAX_ACCESS];
	unsigned int nacc;
	struct mem *mems;
	__u32 nmems, capmems;
	bool charge_user;	/* IOMMU_OPTION_RLIMIT_MODE is 0 */
	__u64 ch_base[NR_CH];	/* pages charged before the sequence */
	__u64 ch_seen[NR_CH];	/* as last compared with VmPin and VmLck */
	__u32 vfio_ioas;
	bool set_iommu_done;
	unsigned int ncall;
	bool failed;
	char log[LOG_LINES][LOG_LEN];
	unsigned int nlog;
};

/* The call being made */
struct call {
	unsigned int kind;
	char desc[LOG_LEN - 40];
	int forced;		/* errno the size rules demand, else 0 */
	bool predicted;		/* @want holds the only right answers */
	int want[4];		/* 0: success */
	unsigned int nwant;
	int err;
	long ret;
};

static __u64 rnd64(struct fz *f)
{
	return xorshift64s(&f->rng);
}

static unsigned int rnd(struct fz *f, unsigned int n)
{
	return (rnd64(f) >> 32) % n;
}

/* Below @n, not 0: areas may be of any size up to 2^64 */
static __u64 rnd_below(struct fz *f, __u64 n)
{
	return rnd64(f) % n;
}

/* Keep a line of the sequence's history; print it when verbose */
static void flog_line(struct fz *f, const char *msg)
{
	char *line = f->log[f->nlog++ % LOG_LINES];

	strcpy(line, msg);
	if (env.verbose)
		note("  %s", line);
}

#define flog(f, fmt, ...) do {						\
	char flog_msg_[LOG_LEN];					\
									\
	snprintf(flog_msg_, sizeof(flog_msg_), fmt, ##__VA_ARGS__);	\
	flog_line(f, flog_msg_);					\
} while (0)

static void fail_msg(struct fz *f, const char *msg)
{
	unsigned int i, first;

	if (f->failed)
		return;
	f->failed = true;
	note("FAIL: sequence seed 0x%016llx, call %u: %s",
	     (unsigned long long)f->seed, f->ncall, msg);
	note("  replay: IOMMUFD_FUZZ_SEED=0x%llx IOMMUFD_FUZZ_SEQS=1 IOMMUFD_FUZZ_VERBOSE=1",
	     (unsigned long long)f->seed);
	note("  the last calls of the sequence:");
	first = f->nlog > LOG_LINES ? f->nlog - LOG_LINES : 0;
	for (i = first; i != f->nlog; i++)
		note("    %s", f->log[i % LOG_LINES]);
}

#define fail(f, fmt, ...) do {						\
	char fail_msg_[512];						\
									\
	snprintf(fail_msg_, sizeof(fail_msg_), fmt, ##__VA_ARGS__);	\
	fail_msg(f, fail_msg_);						\
} while (0)

static struct mobj *obj_of(struct fz *f, __u32 id, __u8 type)
{
	if (id == 0 || id >= MAX_ID || f->obj[id].type != type)
		return NULL;
	return &f->obj[id];
}

/* A fresh object the kernel reported; false (and a failure) if odd */
static struct mobj *obj_new(struct fz *f, __u32 id, __u8 type)
{
	if (id == 0 || id >= MAX_ID) {
		fail(f, "the kernel returned ID %u", id);
		return NULL;
	}
	if (f->obj[id].type != O_NONE) {
		fail(f,
		     "the kernel returned ID %u, which the model has as a live object of type %u",
		     id, f->obj[id].type);
		return NULL;
	}
	memset(&f->obj[id], 0, sizeof(f->obj[id]));
	f->obj[id].type = type;
	if (id > f->max_id)
		f->max_id = id;
	return &f->obj[id];
}

static void obj_free(struct fz *f, __u32 id)
{
	free(f->obj[id].areas);
	memset(&f->obj[id], 0, sizeof(f->obj[id]));
}

/* A random live object of @type, or 0 */
static __u32 live_of(struct fz *f, __u8 type)
{
	__u32 ids[MAX_ID];
	unsigned int n = 0, id;

	for (id = 1; id <= f->max_id; id++)
		if (f->obj[id].type == type)
			ids[n++] = id;
	return n ? ids[rnd(f, n)] : 0;
}

/* An ID meant to name an object of @type, often right, often not */
static __u32 pick_id(struct fz *f, __u8 type)
{
	unsigned int r = rnd(f, 100);
	__u32 id;

	if (r < 72) {
		id = live_of(f, type);
		if (id)
			return id;
	}
	if (r < 82) {
		static const __u8 any[] = { O_IOAS, O_HWPT, O_STDEV, O_IDEV };

		id = live_of(f, any[rnd(f, 4)]);
		if (id)
			return id;
	}
	if (r < 88)
		return 0;
	if (r < 96)
		return 1 + rnd(f, 24);
	return rnd64(f);
}

/* Model areas of an IOAS, kept sorted by start */
static bool areas_overlap(struct mobj *o, __u64 start, __u64 last)
{
	__u32 i;

	for (i = 0; i != o->nareas; i++)
		if (o->areas[i].start <= last && o->areas[i].last >= start)
			return true;
	return false;
}

static void area_add(struct mobj *o, const struct area *a)
{
	__u32 i;

	if (o->nareas == o->cap) {
		o->cap = o->cap ? 2 * o->cap : 16;
		o->areas = realloc(o->areas, o->cap * sizeof(*o->areas));
		if (!o->areas)
			abort();
	}
	for (i = o->nareas; i && o->areas[i - 1].start > a->start; i--)
		o->areas[i] = o->areas[i - 1];
	o->areas[i] = *a;
	o->nareas++;
}

/*
 * What IOAS_UNMAP of [start, last] does to the model: *bytes in areas
 * wholly inside, and whether an area sticks out of the range
 */
static void areas_in(struct mobj *o, __u64 start, __u64 last, __u64 *bytes,
		     bool *sticks)
{
	__u32 i;

	*bytes = 0;
	*sticks = false;
	for (i = 0; i != o->nareas; i++) {
		struct area *a = &o->areas[i];

		if (a->start > last || a->last < start)
			continue;
		if (a->start < start || a->last > last)
			*sticks = true;
		else
			*bytes += a->last - a->start + 1;
	}
}

static void areas_remove(struct mobj *o, __u64 start, __u64 last)
{
	__u32 i, j;

	for (i = 0, j = 0; i != o->nareas; i++) {
		struct area *a = &o->areas[i];

		if (a->start >= start && a->last <= last)
			continue;
		o->areas[j++] = *a;
	}
	o->nareas = j;
}

static __u64 areas_total(struct mobj *o)
{
	__u64 sum = 0;
	__u32 i;

	for (i = 0; i != o->nareas; i++)
		sum += o->areas[i].last - o->areas[i].start + 1;
	return sum;
}

/* Split the area of @o holding both @at - 1 and @at, if there is one */
static void area_split(struct mobj *o, __u64 at)
{
	__u32 i;

	for (i = 0; i != o->nareas; i++) {
		struct area a = o->areas[i];

		if (a.start >= at || a.last < at)
			continue;
		o->areas[i].last = at - 1;
		a.moff += at - a.start;
		a.start = at;
		area_add(o, &a);
		return;
	}
}

/* Bytes of areas of @o inside [start, last], parts of areas included */
static __u64 overlap_bytes(struct mobj *o, __u64 start, __u64 last)
{
	__u64 sum = 0;
	__u32 i;

	for (i = 0; i != o->nareas; i++) {
		struct area *a = &o->areas[i];
		__u64 s = a->start > start ? a->start : start;
		__u64 l = a->last < last ? a->last : last;

		if (s <= l)
			sum += l - s + 1;
	}
	return sum;
}

/* [start, last] was unmapped, so it started and ended on area bounds */
static void model_unmapped(struct mobj *o, __u64 start, __u64 last)
{
	area_split(o, start);
	if (last != UINT64_MAX)
		area_split(o, last + 1);
	areas_remove(o, start, last);
}

static struct access *access_of(struct fz *f, int fd)
{
	unsigned int i;

	for (i = 0; i != f->nacc; i++)
		if (f->acc[i].fd == fd)
			return &f->acc[i];
	return NULL;
}

/* A device leaves its HWPT; an automatic HWPT goes with its last one */
static void hwpt_put(struct fz *f, __u32 hwpt_id)
{
	struct mobj *h = obj_of(f, hwpt_id, O_HWPT);
	struct mobj *ioas;

	if (!h)
		return;
	h->ndev--;
	if (h->auto_domain && !h->ndev) {
		ioas = obj_of(f, h->ioas, O_IOAS);
		if (ioas)
			ioas->nhwpt--;
		obj_free(f, hwpt_id);
	}
}

/*
 * A device (PASID-capable with @pasid) was attached to @hwpt_id (as
 * reported), coming from @pt_id
 */
static bool hwpt_get(struct fz *f, __u32 hwpt_id, __u32 pt_id, bool pasid)
{
	struct mobj *h = obj_of(f, hwpt_id, O_HWPT);
	struct mobj *ioas;

	if (h) {
		if (pt_id != hwpt_id && h->ioas != pt_id) {
			fail(f, "device attached to HWPT %u of IOAS %u when asked for %u",
			     hwpt_id, h->ioas, pt_id);
			return false;
		}
		h->ndev++;
		return true;
	}
	ioas = obj_of(f, pt_id, O_IOAS);
	if (!ioas) {
		fail(f,
		     "attach to %u succeeded with the new HWPT %u, but %u is no IOAS in the model",
		     pt_id, hwpt_id, pt_id);
		return false;
	}
	h = obj_new(f, hwpt_id, O_HWPT);
	if (!h)
		return false;
	h->ioas = pt_id;
	h->auto_domain = true;
	h->pasid = pasid;
	h->ndev = 1;
	f->obj[pt_id].nhwpt++;
	return true;
}

/* ------------------------------------------------------------------ */
/* Alignment, memory, pins                                             */

/*
 * out_iova_alignment of an IOAS: 1 with nothing attached, the mock
 * IOMMU's page while a domain is, a CPU page while an access that pins
 * pages is
 */
static __u64 ioas_align(const struct mobj *o)
{
	__u64 align = o->npinacc ? CPU_PAGE : 1;

	if (o->nhwpt && align < MOCK_PAGE)
		align = MOCK_PAGE;
	return align;
}

/*
 * May the alignment of @o become @align: do all its areas start, end and
 * show memory from offsets that are multiples of it?
 */
static bool areas_allow(const struct mobj *o, __u64 align)
{
	__u32 i;

	if (align <= ioas_align(o))
		return true;
	for (i = 0; i != o->nareas; i++) {
		const struct area *a = &o->areas[i];

		if ((a->start | (a->last + 1) | a->moff) & (align - 1))
			return false;
	}
	return true;
}

static bool outside_aperture(__u64 start, __u64 last)
{
	return start < MOCK_APERTURE_START || last > APERTURE_LAST;
}

/* Does [start, last] touch a range reserved in @o? */
static bool touches_resv(const struct mobj *o, __u64 start, __u64 last)
{
	__u32 i;

	/* A domain reserves everything outside its aperture */
	if (o->nhwpt && outside_aperture(start, last))
		return true;
	for (i = 0; i != o->nresv; i++)
		if (o->resv[i].start <= last && o->resv[i].last >= start)
			return true;
	return false;
}

/* Index in its memory of the page holding the byte of @a at @iova */
static __u64 area_idx(const struct area *a, __u64 iova)
{
	return (a->moff + (iova - a->start)) / CPU_PAGE;
}

/* A user address showing the first byte of @a, 0 if none */
static __u64 area_uva(struct fz *f, const struct area *a)
{
	const struct mem *m = &f->mems[a->mem];
	__u64 off = m->base + a->moff;

	switch (m->kind) {
	case MEM_USER:
		return off;
	case MEM_SHMEM:
		return off < MEMFD_SIZE ? (uintptr_t)env.memmap + off : 0;
	case MEM_SEALED:
		return off < MEMFD_SIZE ? (uintptr_t)env.sealmap + off : 0;
	}
	return 0;
}

/*
 * A memory object for @len bytes from the user address or file offset
 * @addr, for a map about to be made; mem_drop() if it fails
 */
static __u32 mem_new(struct fz *f, __u8 kind, __u64 addr, __u64 len,
		     bool writable, __u8 charge)
{
	__u64 bytes = (addr & (CPU_PAGE - 1)) + len;
	struct mem *m;

	if (f->nmems == f->capmems) {
		f->capmems = f->capmems ? 2 * f->capmems : 64;
		f->mems = realloc(f->mems, f->capmems * sizeof(*f->mems));
		if (!f->mems)
			abort();
	}
	m = &f->mems[f->nmems];
	m->base = addr & ~(__u64)(CPU_PAGE - 1);
	m->npages = bytes / CPU_PAGE + !!(bytes % CPU_PAGE);
	m->kind = kind;
	m->charge = charge;
	m->writable = writable;
	return f->nmems++;
}

static void mem_drop(struct fz *f, __u32 mi)
{
	if (mi + 1 == f->nmems)
		f->nmems--;
}

/*
 * What a new map charges: the context's mode, but VmLck for a type1 map
 * while a device or an access is bound, as VFIO does
 */
static __u8 map_charge(struct fz *f, bool type1)
{
	__u32 id;

	if (type1 && f->nacc)
		return CH_LCK;
	for (id = 1; type1 && id <= f->max_id; id++)
		if (f->obj[id].type == O_IDEV)
			return CH_LCK;
	return f->charge_user ? CH_USER : CH_PIN;
}

/*
 * The -errno of pinning pages @a to @b of @m, 0 when they can be: GUP
 * pins the buffer, the read-only buffer only for reading, and stops at
 * the first page it cannot pin: the hole after the buffers, page 0 and
 * the kernel's half fault; whatever else the process maps is unknown
 * (UNSURE). shmem refuses a page past the end of the file, and no page
 * of the hugetlbfs file was ever faulted in.
 */
static int mem_fault(const struct mem *m, __u64 a, __u64 b)
{
	__u64 lo = (uintptr_t)env.buf, hi, pa, pb;
	__u64 hole_end = (uintptr_t)env.hole + 2 * SZ_2M;

	switch (m->kind) {
	case MEM_USER:
		hi = (uintptr_t)env.robuf + (m->writable ? 0 : RO_SIZE);
		pa = m->base + a * CPU_PAGE;
		pb = m->base + b * CPU_PAGE;
		if (pa >= lo && pb < hi)
			return 0;
		/* From the buffers on, the first page GUP fails at is known */
		if (va_tagged(pa))
			return UNSURE;
		if ((pa >= lo && pa < hole_end) || pa < CPU_PAGE ||
		    pa >= USER_VA_END)
			return -EFAULT;
		return UNSURE;
	case MEM_SHMEM:
	case MEM_SEALED:
		return m->base / CPU_PAGE + b >= MEMFD_SIZE / CPU_PAGE ?
		       -EINVAL : 0;
	}
	return -EFAULT;
}

static void pin_add(struct access *a, __u32 id, __u64 iova, __u64 last)
{
	if (a->npins == a->cap) {
		a->cap = a->cap ? 2 * a->cap : 16;
		a->pins = realloc(a->pins, a->cap * sizeof(*a->pins));
		if (!a->pins)
			abort();
	}
	a->pins[a->npins++] = (struct pin){ id, iova, last };
}

/* Does an access pin part of [start, last] of IOAS @id? */
static bool range_pinned(struct fz *f, __u32 id, __u64 start, __u64 last)
{
	unsigned int i, j;

	for (i = 0; i != f->nacc; i++) {
		struct access *a = &f->acc[i];

		for (j = 0; a->ioas == id && j != a->npins; j++)
			if (a->pins[j].iova <= last && a->pins[j].last >= start)
				return true;
	}
	return false;
}

/*
 * An unmap of [start, last] in IOAS @id succeeds: the accesses were told
 * of the span of the areas there that they pin, and the test's accesses
 * let go of every range that meets it
 */
static void unmap_releases(struct fz *f, __u32 id, __u64 start, __u64 last)
{
	struct mobj *o = &f->obj[id];
	__u64 first = UINT64_MAX, end = 0;
	unsigned int i, j;

	for (i = 0; i != o->nareas; i++) {
		struct area *a = &o->areas[i];

		if (a->start < start || a->last > last ||
		    !range_pinned(f, id, a->start, a->last))
			continue;
		if (a->start < first)
			first = a->start;
		if (a->last > end)
			end = a->last;
	}
	if (first > end)
		return;
	for (i = 0; i != f->nacc; i++) {
		struct access *a = &f->acc[i];

		for (j = a->npins; a->ioas == id && j--;)
			if (a->pins[j].iova <= end && a->pins[j].last >= first)
				a->pins[j] = a->pins[--a->npins];
	}
}

/* Pinned pages of one memory object: pages first to last of it */
struct prange {
	__u32 mem;
	__u64 first, last;
};

/* What is pinned, and what each counter is charged */
struct pinset {
	struct prange *r;
	unsigned int n, cap;
	__u64 charged[NR_CH];
	bool unsure;		/* the kernel's answer depends on its memory */
};

static void pinset_add(struct pinset *ps, __u32 mem, __u64 first,
		       __u64 last)
{
	if (ps->n == ps->cap) {
		ps->cap = ps->cap ? 2 * ps->cap : 64;
		ps->r = realloc(ps->r, ps->cap * sizeof(*ps->r));
		if (!ps->r)
			abort();
	}
	ps->r[ps->n++] = (struct prange){ mem, first, last };
}

static int prange_cmp(const void *a, const void *b)
{
	const struct prange *x = a, *y = b;

	if (x->mem != y->mem)
		return x->mem < y->mem ? -1 : 1;
	if (x->first != y->first)
		return x->first < y->first ? -1 : 1;
	return 0;
}

/* The pages the areas of @o show between IOVAs @start and @last */
static void pinset_add_areas(struct pinset *ps, const struct mobj *o,
			     __u64 start, __u64 last)
{
	__u32 i;

	for (i = 0; i != o->nareas; i++) {
		const struct area *a = &o->areas[i];

		if (a->start > last || a->last < start)
			continue;
		pinset_add(ps, a->mem,
			   area_idx(a, a->start > start ? a->start : start),
			   area_idx(a, a->last < last ? a->last : last));
	}
}

/*
 * What the model has pinned: every area of an IOAS with a domain, every
 * range an access pins; sorted, the ranges of a memory merged
 */
static void pinset_init(struct fz *f, struct pinset *ps)
{
	unsigned int i, j, n = 0;
	__u32 id;

	memset(ps, 0, sizeof(*ps));
	for (id = 1; id <= f->max_id; id++)
		if (f->obj[id].type == O_IOAS && f->obj[id].nhwpt)
			pinset_add_areas(ps, &f->obj[id], 0, UINT64_MAX);
	for (i = 0; i != f->nacc; i++) {
		struct access *a = &f->acc[i];
		struct mobj *o = obj_of(f, a->ioas, O_IOAS);

		for (j = 0; o && j != a->npins; j++)
			pinset_add_areas(ps, o, a->pins[j].iova,
					 a->pins[j].last);
	}
	if (ps->n)
		qsort(ps->r, ps->n, sizeof(*ps->r), prange_cmp);
	for (i = 0; i != ps->n; i++) {
		struct prange *prev = n ? &ps->r[n - 1] : NULL;

		if (prev && prev->mem == ps->r[i].mem &&
		    ps->r[i].first <= prev->last + 1) {
			if (ps->r[i].last > prev->last)
				prev->last = ps->r[i].last;
			continue;
		}
		ps->r[n++] = ps->r[i];
	}
	ps->n = n;
	memcpy(ps->charged, f->ch_base, sizeof(ps->charged));
	for (i = 0; i != ps->n; i++)
		ps->charged[f->mems[ps->r[i].mem].charge] +=
			ps->r[i].last - ps->r[i].first + 1;
}

/*
 * The kernel pins pages @first to @last of memory @mi for a hold or an
 * access (iopt_pages_pin_unheld()): it takes the runs of pages nothing
 * pins yet in order, each charged (ENOMEM over the limit) and
 * then pinned. Returns the -errno, or 0 with the pages added to @ps.
 */
static int sim_pin(struct fz *f, struct pinset *ps, __u32 mi, __u64 first,
		   __u64 last)
{
	const struct mem *m = &f->mems[mi];
	struct prange *have;
	unsigned int nhave = 0, i;
	__u64 next = first, to;
	int e = 0;

	have = malloc((ps->n + 1) * sizeof(*have));
	if (!have)
		abort();
	for (i = 0; i != ps->n; i++)
		if (ps->r[i].mem == mi)
			have[nhave++] = ps->r[i];
	if (nhave)
		qsort(have, nhave, sizeof(*have), prange_cmp);
	for (i = 0; !e;) {
		while (i != nhave && have[i].last < next)
			i++;
		if (i != nhave && have[i].first <= next) {
			/* Pinned already */
			if (have[i].last >= last)
				break;
			next = have[i].last + 1;
			continue;
		}
		to = i != nhave && have[i].first <= last ? have[i].first - 1 :
							    last;
		if (ps->charged[m->charge] + (to - next + 1) > LIMIT_PAGES)
			e = -ENOMEM;
		else
			e = mem_fault(m, next, to);
		if (e == UNSURE) {
			/* What follows depends on the guest's memory */
			ps->unsure = true;
			e = 0;
			break;
		}
		if (e)
			break;
		ps->charged[m->charge] += to - next + 1;
		pinset_add(ps, mi, next, to);
		if (to == last)
			break;
		next = to + 1;
	}
	free(have);
	return e;
}

/* An access pins [iova, last] of @o: the pages of each area in turn */
static int sim_access_pin(struct fz *f, struct pinset *ps,
			  const struct mobj *o, __u64 iova, __u64 last)
{
	__u32 i;
	int e;

	for (i = 0; i != o->nareas; i++) {
		const struct area *a = &o->areas[i];

		if (a->start > last || a->last < iova)
			continue;
		e = sim_pin(f, ps, a->mem,
			    area_idx(a, a->start > iova ? a->start : iova),
			    area_idx(a, a->last < last ? a->last : last));
		if (e)
			return e;
	}
	return 0;
}

/*
 * Is [iova, last] of @o mapped without a hole, by areas that map
 * writeable where @write? 0, -ENOENT or -EPERM, as an access checks it.
 */
static int access_range(const struct mobj *o, __u64 iova, __u64 last,
			bool write)
{
	__u64 next = iova;
	__u32 i;

	for (i = 0; i != o->nareas; i++) {
		const struct area *a = &o->areas[i];

		if (a->start > last || a->last < iova)
			continue;
		if (a->start > next)
			return -ENOENT;
		if (write && !a->w)
			return -EPERM;
		if (a->last >= last)
			return 0;
		next = a->last + 1;
	}
	return -ENOENT;
}

/*
 * Adding a mock domain to IOAS @id. The first one checks that every
 * area is on its page (EINVAL) and that no area nor allowed range lies
 * outside its aperture (EADDRINUSE), then pins every area in IOVA
 * order. 0, -errno, or UNSURE when that depends on the guest's memory.
 */
static int domain_add_errno(struct fz *f, __u32 id)
{
	struct mobj *o = &f->obj[id];
	struct pinset ps;
	__u32 i;
	int e = 0;

	if (o->nhwpt)
		return 0;
	if (!areas_allow(o, o->npinacc ? CPU_PAGE : MOCK_PAGE))
		return -EINVAL;
	for (i = 0; i != o->nareas; i++)
		if (outside_aperture(o->areas[i].start, o->areas[i].last))
			return -EADDRINUSE;
	for (i = 0; i != o->nallowed; i++)
		if (outside_aperture(o->allowed[i].start, o->allowed[i].last))
			return -EADDRINUSE;
	pinset_init(f, &ps);
	for (i = 0; i != o->nareas && !e; i++) {
		struct area *a = &o->areas[i];

		e = sim_pin(f, &ps, a->mem, area_idx(a, a->start),
			    area_idx(a, a->last));
	}
	free(ps.r);
	return ps.unsure ? UNSURE : e;
}

/*
 * The cuts of a type1 v1 unmap: @last and then @iova - 1 must become the
 * last byte of their areas. Every cut is checked before any is made:
 * -EINVAL for one off the IOAS's alignment, -EBUSY in an area an access
 * pins. The unmap itself then makes them.
 */
static int cuts_errno(struct fz *f, __u32 id, __u64 iova, __u64 last)
{
	struct mobj *o = &f->obj[id];
	__u64 at[2] = { last, iova - 1 };
	unsigned int n = iova ? 2 : 1, i, j;

	for (i = 0; i != n; i++) {
		for (j = 0; j != o->nareas; j++) {
			struct area *a = &o->areas[j];

			if (a->start > at[i] || at[i] >= a->last)
				continue;
			if ((at[i] + 1) & (ioas_align(o) - 1))
				return -EINVAL;
			if (range_pinned(f, id, a->start, a->last))
				return -EBUSY;
		}
	}
	return 0;
}

/* VmPin and VmLck in kB, with one read of /proc/self/status */
static void vm_pin_lck(long *pin, long *lck)
{
	char line[128];
	FILE *file;

	*pin = -1;
	*lck = -1;
	file = fopen("/proc/self/status", "r");
	if (!file)
		return;
	while (fgets(line, sizeof(line), file))
		if (sscanf(line, "VmPin: %ld kB", pin) != 1)
			sscanf(line, "VmLck: %ld kB", lck);
	fclose(file);
}

/*
 * VmPin and VmLck must be what the model has charged: checked whenever
 * that changes (a leak of a failed call shows at the next check)
 */
static void check_charges(struct fz *f, bool always)
{
	struct pinset ps;
	long pin, lck;

	pinset_init(f, &ps);
	free(ps.r);
	if (!always && ps.charged[CH_PIN] == f->ch_seen[CH_PIN] &&
	    ps.charged[CH_LCK] == f->ch_seen[CH_LCK])
		return;
	memcpy(f->ch_seen, ps.charged, sizeof(f->ch_seen));
	vm_pin_lck(&pin, &lck);
	if (pin != (long)ps.charged[CH_PIN] * (CPU_PAGE / 1024) ||
	    lck != (long)ps.charged[CH_LCK] * (CPU_PAGE / 1024))
		fail(f, "VmPin %ld kB and VmLck %ld kB, the model has charged %llu and %llu pages",
		     pin, lck, (unsigned long long)ps.charged[CH_PIN],
		     (unsigned long long)ps.charged[CH_LCK]);
}

/* ------------------------------------------------------------------ */
/* Random values                                                       */

static __u64 rand_len(struct fz *f)
{
	static const __u64 huge[] = {
		UINT64_MAX, 1ULL << 63, 1ULL << 40, UINT64_MAX - SZ_4K + 1,
		1ULL << 32,
	};
	unsigned int r = rnd(f, 100);

	if (r < 47)
		return (1 + rnd(f, 16)) * SZ_4K;
	/* Pages of the mock IOMMU: half a CPU page */
	if (r < 55)
		return (1 + rnd(f, 32)) * MOCK_PAGE;
	if (r < 65)
		return (1 + rnd(f, 512)) * SZ_4K;
	if (r < 70)
		return 0;
	if (r < 77)
		return 1 + rnd(f, SZ_64K);
	if (r < 84)
		return huge[rnd(f, ARRAY_SIZE(huge))];
	if (r < 92)
		return (__u64)SZ_64K << rnd(f, 6);
	return rnd64(f);
}

/* Often a boundary of an existing area, so ranges overlap and cut */
static __u64 rand_iova(struct fz *f, __u32 ioas_id)
{
	struct mobj *o = obj_of(f, ioas_id, O_IOAS);
	unsigned int r = rnd(f, 100);

	if (r < 25 && o && o->nareas) {
		struct area *a = &o->areas[rnd(f, o->nareas)];

		switch (rnd(f, 4)) {
		case 0:
			return a->start;
		case 1:
			return a->last + 1;
		case 2:
			return a->start + SZ_4K;
		default:
			return a->start > SZ_4K ? a->start - SZ_4K : 0;
		}
	}
	if (r < 40)
		return MOCK_APERTURE_START + (__u64)rnd(f, 4096) * SZ_4K;
	if (r < 45)
		return MOCK_APERTURE_START + (__u64)rnd(f, 8192) * MOCK_PAGE;
	if (r < 60)
		return (__u64)rnd(f, 4096) * SZ_4K;
	if (r < 68)
		return 0;
	if (r < 76)
		return UINT64_MAX - (__u64)(1 + rnd(f, 16)) * SZ_4K + 1;
	if (r < 84)
		return rnd(f, 1 << 30);
	if (r < 92)
		return 1ULL << (32 + rnd(f, 31));
	return rnd64(f);
}

/* A user address for @len bytes */
static __u64 rand_va(struct fz *f, __u64 len)
{
	unsigned int r = rnd(f, 100);

	if (r < 65) {
		/* Whole CPU pages, or pages of the mock IOMMU */
		__u64 unit = r < 58 ? SZ_4K : MOCK_PAGE;

		if (len > BUF_SIZE)
			return (uintptr_t)env.buf;
		return (uintptr_t)env.buf +
		       rnd(f, (BUF_SIZE - len) / unit + 1) * unit;
	}
	if (r < 73) {
		if (len > RO_SIZE)
			return (uintptr_t)env.robuf;
		return (uintptr_t)env.robuf +
		       rnd(f, (RO_SIZE - len) / SZ_4K + 1) * SZ_4K;
	}
	if (r < 78)
		return (uintptr_t)env.hole;
	if (r < 83)
		return (uintptr_t)env.buf + 1 + rnd(f, SZ_64K);
	if (r < 86)
		return 0;
	if (r < 90)
		return (uintptr_t)env.buf + BUF_SIZE - SZ_4K;
	if (r < 94)
		return 0xffff888000000000ULL;
	return rnd64(f);
}

static const char *va_name(__u64 va, char *buf, size_t len)
{
	if (va >= (uintptr_t)env.buf && va < (uintptr_t)env.buf + BUF_SIZE)
		snprintf(buf, len, "buf+0x%llx",
			 (unsigned long long)(va - (uintptr_t)env.buf));
	else if (va >= (uintptr_t)env.robuf &&
		 va < (uintptr_t)env.robuf + RO_SIZE)
		snprintf(buf, len, "ro+0x%llx",
			 (unsigned long long)(va - (uintptr_t)env.robuf));
	else if (va >= (uintptr_t)env.memmap &&
		 va < (uintptr_t)env.memmap + MEMFD_SIZE)
		snprintf(buf, len, "memfd+0x%llx",
			 (unsigned long long)(va - (uintptr_t)env.memmap));
	else if (va >= (uintptr_t)env.sealmap &&
		 va < (uintptr_t)env.sealmap + MEMFD_SIZE)
		snprintf(buf, len, "sealed+0x%llx",
			 (unsigned long long)(va - (uintptr_t)env.sealmap));
	else if (va == (uintptr_t)env.hole)
		snprintf(buf, len, "hole");
	else
		snprintf(buf, len, "0x%llx", (unsigned long long)va);
	return buf;
}

static __u32 rand_map_flags(struct fz *f)
{
	unsigned int r = rnd(f, 100);
	__u32 fixed = rnd(f, 2) ? IOMMU_IOAS_MAP_FIXED_IOVA : 0;

	if (r < 60)
		return MAP_RW | fixed;
	if (r < 70)
		return IOMMU_IOAS_MAP_READABLE | fixed;
	if (r < 75)
		return IOMMU_IOAS_MAP_WRITEABLE | fixed;
	if (r < 80)
		return fixed;
	if (r < 90)
		return MAP_RW | fixed | (1U << (3 + rnd(f, 29)));
	return rnd64(f);
}

/* ------------------------------------------------------------------ */
/* Issuing calls                                                       */

/*
 * Copy a native command's argument into the slot before the guard page,
 * with a size chosen at random: usually right, sometimes below the first
 * version (EINVAL), at an older layout (the missing fields read as zero,
 * so they are zeroed in @cmd too), larger with a zero tail, larger with
 * a non-zero tail (E2BIG), running into the guard page (EFAULT) or with
 * no argument at all (EFAULT). Returns the argument pointer to pass.
 */
static void *place_native(struct fz *f, struct call *c, void *cmd,
			  size_t size, size_t min, __u32 *usize_out)
{
	unsigned int r = rnd(f, 100);
	__u32 usize = size;
	char *slot = env.slot;

	c->forced = 0;
	if (r < 84) {
		usize = size;
	} else if (r < 87) {
		usize = rnd(f, min);
		c->forced = EINVAL;
	} else if (r < 90 && min < size) {
		usize = min + rnd(f, size - min);
	} else if (r < 94) {
		usize = size + 8 * (1 + rnd(f, 8));
	} else if (r < 97) {
		usize = size + 8 * (1 + rnd(f, 8));
		c->forced = E2BIG;
	} else if (r < 99) {
		usize = ARG_ROOM + 1 + rnd(f, 4096);
		c->forced = EFAULT;
	} else {
		*usize_out = 0;
		c->forced = EFAULT;
		return NULL;
	}

	if (usize < size && !c->forced)
		memset((char *)cmd + usize, 0, size - usize);
	memset(slot, 0, ARG_ROOM);
	memcpy(slot, cmd, size);
	memcpy(slot, &usize, sizeof(usize));
	/* Past a short size the kernel must not look */
	if (usize < size && usize >= sizeof(usize))
		memset(slot + usize, 0xa5, size - usize);
	if (c->forced == E2BIG)
		slot[size + rnd(f, usize - size)] = 1 + rnd(f, 255);
	*usize_out = usize;
	return slot;
}

static bool errno_allowed(const struct cmd_desc *d, int e)
{
	unsigned int i;

	if (d->native && (e == EINVAL || e == E2BIG || e == EFAULT))
		return true;
	for (i = 0; i != ARRAY_SIZE(d->errnos) && d->errnos[i]; i++)
		if (d->errnos[i] == e)
			return true;
	return false;
}

/* Judge the result of @c; true when it succeeded */
static bool judge(struct fz *f, struct call *c)
{
	const struct cmd_desc *d = &cmd_descs[c->kind];
	int e = c->err;

	env.calls++;
	env.count[c->kind][e < 0 || e > MAX_ERRNO ? MAX_ERRNO : e]++;
	flog(f, "#%u %s(%s) = %s", f->ncall, d->name, c->desc, errno_name(e));
	if (c->forced) {
		if (e != c->forced)
			fail(f, "%s: got %s, the size rules demand %s", d->name,
			     errno_name(e), errno_name(c->forced));
		return false;
	}
	if (c->predicted) {
		char want[64] = "";
		size_t n = 0;
		unsigned int i;

		env.predicted[c->kind]++;

		for (i = 0; i != c->nwant; i++)
			if (c->want[i] == e)
				return !e && !f->failed;
		for (i = 0; i != c->nwant && n < sizeof(want); i++)
			n += snprintf(want + n, sizeof(want) - n, "%s%s",
				      i ? " or " : "", errno_name(c->want[i]));
		fail(f, "%s: got %s, the model expects %s", d->name,
		     errno_name(e), want);
		return false;
	}
	if (e && !errno_allowed(d, e))
		fail(f, "%s: %s is not among the errnos documented for it",
		     d->name, errno_name(e));
	return !e && !f->failed;
}

static void predict(struct call *c, int expect)
{
	c->predicted = true;
	c->want[0] = expect;
	c->nwant = 1;
}

/* Another right answer, besides those predict() and also() gave */
static void also(struct call *c, int e)
{
	if (c->nwant < ARRAY_SIZE(c->want))
		c->want[c->nwant++] = e;
}

/*
 * One more right answer, for a call whose argument has several problems
 * the kernel may find in any order; the first one predicts
 */
static void also_once(struct call *c, int e)
{
	unsigned int i;

	if (!c->predicted) {
		predict(c, e);
		return;
	}
	for (i = 0; i != c->nwant; i++)
		if (c->want[i] == e)
			return;
	also(c, e);
}

/*
 * Issue a native command. After the call @cmd holds what the kernel
 * wrote back; bytes past the struct must be untouched.
 */
static bool native(struct fz *f, struct call *c, unsigned long nr, void *cmd,
		   size_t size, __u32 usize, void *arg)
{
	unsigned char before[ARG_ROOM];
	size_t keep;

	if (arg)
		memcpy(before, env.slot, ARG_ROOM);
	f->ncall++;
	c->ret = ioctl(f->fd, nr, arg);
	c->err = c->ret ? errno : 0;
	if (arg && usize <= ARG_ROOM) {
		keep = usize < size ? usize : size;
		memcpy(cmd, env.slot, keep);
		if (memcmp(before + keep, env.slot + keep, ARG_ROOM - keep))
			fail(f, "%s: the kernel wrote past byte %zu of the argument",
			     cmd_descs[c->kind].name, keep);
	}
	return judge(f, c);
}

/* ------------------------------------------------------------------ */
/* The commands                                                        */

static void k_destroy(struct fz *f)
{
	struct iommu_destroy cmd = { .size = sizeof(cmd) };
	struct call c = { .kind = K_DESTROY };
	static const __u8 types[] = { O_IOAS, O_HWPT, O_STDEV, O_IDEV };
	struct mobj *o;
	__u32 usize;
	void *arg;

	cmd.id = rnd(f, 4) ? live_of(f, types[rnd(f, 4)]) : pick_id(f, O_NONE);
	if (!cmd.id)
		cmd.id = pick_id(f, O_IOAS);
	arg = place_native(f, &c, &cmd, sizeof(cmd),
			   offsetof(struct iommu_destroy, id) + sizeof(__u32), &usize);
	o = cmd.id < MAX_ID ? &f->obj[cmd.id] : NULL;
	/* The model knows the answer for the objects it knows */
	switch (o ? o->type : O_NONE) {
	case O_IOAS:
		predict(&c, o->nhwpt || o->naccess ? EBUSY : 0);
		break;
	case O_HWPT:
		predict(&c, o->ndev ? EBUSY : 0);
		break;
	case O_IDEV:
		/* held by its selftest object, the "driver" */
		predict(&c, EBUSY);
		break;
	case O_STDEV:
		predict(&c, 0);
		break;
	}
	snprintf(c.desc, sizeof(c.desc), "size=%u id=%u", usize, cmd.id);
	if (!native(f, &c, IOMMU_DESTROY, &cmd, sizeof(cmd), usize, arg))
		return;
	if (!o || o->type == O_NONE) {
		/* An object the model does not know: an access */
		fail(f, "destroyed ID %u, which the model does not know",
		     cmd.id);
		return;
	}
	switch (o->type) {
	case O_IOAS:
		if (f->vfio_ioas == cmd.id)
			f->vfio_ioas = 0;
		break;
	case O_HWPT:
		f->obj[o->ioas].nhwpt--;
		break;
	case O_STDEV:
		hwpt_put(f, o->hwpt);
		obj_free(f, o->idev);
		break;
	}
	obj_free(f, cmd.id);
}

static void k_ioas_alloc(struct fz *f)
{
	struct iommu_ioas_alloc cmd = { .size = sizeof(cmd) };
	struct call c = { .kind = K_IOAS_ALLOC };
	__u32 usize;
	void *arg;

	if (!rnd(f, 10))
		cmd.flags = rnd(f, 2) ? 1U << rnd(f, 32) : (__u32)rnd64(f);
	arg = place_native(f, &c, &cmd, sizeof(cmd),
			   offsetof(struct iommu_ioas_alloc, out_ioas_id) + sizeof(__u32),
			   &usize);
	predict(&c, cmd.flags ? EOPNOTSUPP : 0);
	if (!cmd.flags)
		also(&c, ENOMEM);
	snprintf(c.desc, sizeof(c.desc), "size=%u flags=0x%x", usize,
		 cmd.flags);
	if (native(f, &c, IOMMU_IOAS_ALLOC, &cmd, sizeof(cmd), usize, arg))
		obj_new(f, cmd.out_ioas_id, O_IOAS);
}

/* Fill env.ranges with @n ranges for ALLOW_IOVAS, mostly sensible */
static void rand_ranges(struct fz *f, unsigned int n)
{
	unsigned int i;

	for (i = 0; i != n; i++) {
		struct iommu_iova_range *r = &env.ranges[i];

		switch (rnd(f, 8)) {
		case 0:
			r->start = MOCK_APERTURE_START;
			r->last = MOCK_APERTURE_START + (SZ_1M << 8) - 1;
			break;
		case 1:
			r->start = 0;
			r->last = (1ULL << 32) - 1;
			break;
		case 2:
			/* inverted */
			r->start = 1ULL << 33;
			r->last = 1ULL << 32;
			break;
		case 3:
			r->start = (__u64)rnd(f, 1 << 20) * SZ_4K;
			r->last = r->start + (1 + rnd(f, 256)) * SZ_4K - 1;
			break;
		case 4:
			r->start = 1ULL << 40;
			r->last = UINT64_MAX;
			break;
		case 5:
			r->start = rnd64(f);
			r->last = rnd64(f);
			break;
		default:
			r->start = MOCK_APERTURE_START +
				   (__u64)i * (SZ_1M << 4);
			r->last = r->start + (SZ_1M << 4) - 1;
		}
	}
}

static void k_allow_iovas(struct fz *f)
{
	struct iommu_ioas_allow_iovas cmd = { .size = sizeof(cmd) };
	struct call c = { .kind = K_ALLOW_IOVAS };
	unsigned int r = rnd(f, 100);
	__u32 usize;
	void *arg;

	cmd.ioas_id = pick_id(f, O_IOAS);
	cmd.allowed_iovas = (uintptr_t)env.ranges;
	if (r < 20) {
		cmd.num_iovas = 0;
	} else if (r < 85) {
		cmd.num_iovas = 1 + rnd(f, 4);
		rand_ranges(f, cmd.num_iovas);
	} else if (r < 92) {
		/* Runs into the guard page */
		cmd.num_iovas = 1 << 20;
		cmd.allowed_iovas = (uintptr_t)env.edge - 2 * sizeof(*env.ranges);
		memset(env.edge - 2 * sizeof(*env.ranges), 0,
		       2 * sizeof(*env.ranges));
	} else {
		cmd.num_iovas = 1 + rnd(f, 4);
		cmd.allowed_iovas = rnd(f, 2) ? 0 : (uintptr_t)env.hole;
	}
	if (!rnd(f, 20))
		cmd.__reserved = 1 + rnd(f, 1000);
	arg = place_native(f, &c, &cmd, sizeof(cmd),
			   offsetof(struct iommu_ioas_allow_iovas, allowed_iovas) +
			   sizeof(__u64), &usize);
	snprintf(c.desc, sizeof(c.desc),
		 "size=%u ioas=%u num=%u [0x%llx,0x%llx]... res=%u", usize,
		 cmd.ioas_id, cmd.num_iovas,
		 (unsigned long long)env.ranges[0].start,
		 (unsigned long long)env.ranges[0].last, cmd.__reserved);
	if (native(f, &c, IOMMU_IOAS_ALLOW_IOVAS, &cmd, sizeof(cmd), usize,
		   arg)) {
		struct mobj *o = obj_of(f, cmd.ioas_id, O_IOAS);
		__u32 i;

		/* The new set replaces the old one */
		if (!o || cmd.num_iovas > ARRAY_SIZE(o->allowed)) {
			fail(f, "ALLOW_IOVAS of %u ranges in %u succeeded",
			     cmd.num_iovas, cmd.ioas_id);
			return;
		}
		for (i = 0; i != cmd.num_iovas; i++) {
			o->allowed[i].start = env.ranges[i].start;
			o->allowed[i].last = env.ranges[i].last;
		}
		o->nallowed = cmd.num_iovas;
	}
}

/*
 * Check IOVA ranges as reported: ascending, disjoint, non-empty, and
 * aligned to the reported alignment unless the test made a reservation
 * that is not; with @o, every model area lies inside one range.
 */
static void check_ranges(struct fz *f, __u32 ioas_id,
			 struct iommu_iova_range *r, __u32 n, __u64 align,
			 bool areas)
{
	struct mobj *o = obj_of(f, ioas_id, O_IOAS);
	__u32 i, j;

	if (!align || (align & (align - 1))) {
		fail(f, "IOAS %u: out_iova_alignment 0x%llx is not a power of two",
		     ioas_id, (unsigned long long)align);
		return;
	}
	for (i = 0; i != n; i++) {
		if (r[i].start > r[i].last ||
		    (i && r[i].start <= r[i - 1].last)) {
			fail(f, "IOAS %u: range %u [0x%llx, 0x%llx] is empty or out of order",
			     ioas_id, i, (unsigned long long)r[i].start,
			     (unsigned long long)r[i].last);
			return;
		}
		if (o && !o->unaligned_resv &&
		    ((r[i].start & (align - 1)) ||
		     ((r[i].last + 1) & (align - 1)))) {
			fail(f, "IOAS %u: range %u [0x%llx, 0x%llx] is not aligned to 0x%llx",
			     ioas_id, i, (unsigned long long)r[i].start,
			     (unsigned long long)r[i].last,
			     (unsigned long long)align);
			return;
		}
	}
	if (!o || !areas)
		return;
	for (j = 0; j != o->nareas; j++) {
		struct area *a = &o->areas[j];

		for (i = 0; i != n; i++)
			if (a->start >= r[i].start && a->last <= r[i].last)
				break;
		if (i == n) {
			fail(f, "IOAS %u: area [0x%llx, 0x%llx] lies outside every usable range",
			     ioas_id, (unsigned long long)a->start,
			     (unsigned long long)a->last);
			return;
		}
	}
}

static void k_iova_ranges(struct fz *f)
{
	struct iommu_ioas_iova_ranges cmd = { .size = sizeof(cmd) };
	struct call c = { .kind = K_IOVA_RANGES };
	unsigned int r = rnd(f, 100);
	__u32 usize, cap;
	void *arg;

	cmd.ioas_id = pick_id(f, O_IOAS);
	cmd.allowed_iovas = (uintptr_t)env.ranges;
	if (r < 30) {
		cmd.num_iovas = 0;
	} else if (r < 50) {
		cmd.num_iovas = 1;
	} else if (r < 85) {
		cmd.num_iovas = 256;
	} else if (r < 92) {
		cmd.allowed_iovas = 0;
		cmd.num_iovas = 1 + rnd(f, 4);
	} else {
		cmd.allowed_iovas = (uintptr_t)env.edge - sizeof(*env.ranges);
		cmd.num_iovas = 4;
	}
	if (!rnd(f, 20))
		cmd.__reserved = 1 + rnd(f, 1000);
	cap = cmd.num_iovas;
	arg = place_native(f, &c, &cmd, sizeof(cmd),
			   offsetof(struct iommu_ioas_iova_ranges, out_iova_alignment) +
			   sizeof(__u64), &usize);
	snprintf(c.desc, sizeof(c.desc), "size=%u ioas=%u num=%u ptr=%s res=%u",
		 usize, cmd.ioas_id, cap,
		 cmd.allowed_iovas == (uintptr_t)env.ranges ? "ok" : "bad",
		 cmd.__reserved);
	if (native(f, &c, IOMMU_IOAS_IOVA_RANGES, &cmd, sizeof(cmd), usize,
		   arg)) {
		if (cmd.num_iovas > cap)
			fail(f, "IOVA_RANGES succeeded with %u ranges for room for %u",
			     cmd.num_iovas, cap);
		else if (obj_of(f, cmd.ioas_id, O_IOAS) &&
			 cmd.out_iova_alignment !=
			 ioas_align(&f->obj[cmd.ioas_id]))
			fail(f, "IOAS %u: out_iova_alignment 0x%llx, the model has 0x%llx",
			     cmd.ioas_id,
			     (unsigned long long)cmd.out_iova_alignment,
			     (unsigned long long)ioas_align(&f->obj[cmd.ioas_id]));
		else if (cmd.allowed_iovas == (uintptr_t)env.ranges)
			check_ranges(f, cmd.ioas_id, env.ranges, cmd.num_iovas,
				     cmd.out_iova_alignment, false);
	} else if (c.err == EMSGSIZE && !c.forced && cmd.num_iovas <= cap) {
		fail(f, "EMSGSIZE, yet %u ranges fit in room for %u",
		     cmd.num_iovas, cap);
	}
}

#define MAP_FLAGS (IOMMU_IOAS_MAP_FIXED_IOVA | IOMMU_IOAS_MAP_WRITEABLE | \
		   IOMMU_IOAS_MAP_READABLE)
#define MAP_PROT (IOMMU_IOAS_MAP_WRITEABLE | IOMMU_IOAS_MAP_READABLE)

/*
 * The end of a map or copy of @len bytes that got past the alignment
 * and the pinning: a fixed range must not touch a reserved range
 * (EINVAL) nor an area (EEXIST); a kernel-chosen one may find no room.
 */
static void predict_layout(struct call *c, struct mobj *o, __u64 iova,
			   __u64 len, bool fixed)
{
	__u64 last = iova + len - 1;

	if (!fixed) {
		predict(c, 0);
		also(c, ENOSPC);
	} else if (o->many_resv) {
		predict(c, 0);
		also(c, EINVAL);
		also(c, EEXIST);
	} else if (touches_resv(o, iova, last)) {
		predict(c, EINVAL);
	} else {
		predict(c, areas_overlap(o, iova, last) ? EEXIST : 0);
	}
}

/*
 * A map of @len bytes of the new memory @mi, @moff into it, into IOAS
 * @o once the command's own checks passed: EINVAL off the alignment (a
 * fixed IOVA, the length, the offset of the memory in its page),
 * @create_err about the memory itself, the pinning when @o has a domain
 * (and only then: pin on demand), then the layout
 */
static void predict_map(struct fz *f, struct call *c, struct mobj *o,
			__u32 mi, __u64 moff, __u64 len, __u64 iova,
			bool fixed, int create_err)
{
	__u64 mask = ioas_align(o) - 1;
	struct pinset ps;
	int e;

	if ((moff | len | (fixed ? iova : 0)) & mask) {
		predict(c, EINVAL);
		return;
	}
	if (create_err) {
		predict(c, create_err);
		return;
	}
	if (o->nhwpt) {
		pinset_init(f, &ps);
		e = sim_pin(f, &ps, mi, 0, f->mems[mi].npages - 1);
		free(ps.r);
		if (ps.unsure)
			return;
		if (e) {
			predict(c, -e);
			return;
		}
	}
	predict_layout(c, o, iova, len, fixed);
}

/*
 * A successful map of [iova, iova + len) in IOAS @id of the memory in
 * @a: check, record
 */
static void model_map(struct fz *f, __u32 id, __u64 iova, __u64 len,
		      struct area *a, bool fixed, __u64 want_iova)
{
	struct mobj *o = obj_of(f, id, O_IOAS);
	__u64 mask;

	if (!o) {
		fail(f, "mapped into %u, which the model has as no IOAS", id);
		return;
	}
	mask = ioas_align(o) - 1;
	if (fixed && iova != want_iova) {
		fail(f, "fixed map landed at 0x%llx, not 0x%llx",
		     (unsigned long long)iova, (unsigned long long)want_iova);
		return;
	}
	/* A kernel-chosen IOVA keeps the memory's offset in its page */
	if (!fixed && (iova ^ a->moff) & (CPU_PAGE - 1)) {
		fail(f, "the kernel chose IOVA 0x%llx for memory 0x%llx into its page",
		     (unsigned long long)iova,
		     (unsigned long long)(a->moff & (CPU_PAGE - 1)));
		return;
	}
	if ((iova | len | a->moff) & mask || iova + len - 1 < iova) {
		fail(f, "map of 0x%llx bytes at IOVA 0x%llx, memory at 0x%llx, alignment 0x%llx",
		     (unsigned long long)len, (unsigned long long)iova,
		     (unsigned long long)a->moff,
		     (unsigned long long)(mask + 1));
		return;
	}
	if (areas_overlap(o, iova, iova + len - 1) ||
	    touches_resv(o, iova, iova + len - 1)) {
		fail(f, "map at [0x%llx, 0x%llx] overlaps an area or a reserved range of the model",
		     (unsigned long long)iova,
		     (unsigned long long)(iova + len - 1));
		return;
	}
	a->start = iova;
	a->last = iova + len - 1;
	area_add(o, a);
}

static void k_map(struct fz *f)
{
	struct iommu_ioas_map cmd = { .size = sizeof(cmd) };
	struct call c = { .kind = K_MAP };
	__u32 usize, mi = UINT32_MAX;
	struct area a = {};
	struct mobj *o;
	char vbuf[32];
	__u64 want, end;
	bool fixed;
	void *arg;

	cmd.ioas_id = pick_id(f, O_IOAS);
	cmd.flags = rand_map_flags(f);
	cmd.length = rand_len(f);
	cmd.user_va = rand_va(f, cmd.length);
	want = rand_iova(f, cmd.ioas_id);
	cmd.iova = want;
	if (!rnd(f, 25))
		cmd.__reserved = 1 + rnd(f, 1000);
	arg = place_native(f, &c, &cmd, sizeof(cmd),
			   offsetof(struct iommu_ioas_map, iova) + sizeof(__u64), &usize);
	fixed = cmd.flags & IOMMU_IOAS_MAP_FIXED_IOVA;
	o = obj_of(f, cmd.ioas_id, O_IOAS);
	/* In the order the kernel checks */
	if (cmd.__reserved || (cmd.flags & ~MAP_FLAGS)) {
		predict(&c, EOPNOTSUPP);
	} else if (!cmd.length || !(cmd.flags & MAP_PROT)) {
		predict(&c, EINVAL);
	} else if (__builtin_add_overflow(cmd.iova, cmd.length - 1, &end) ||
		   __builtin_add_overflow(cmd.user_va, cmd.length, &end)) {
		predict(&c, EOVERFLOW);
	} else if (!o) {
		predict(&c, ENOENT);
	} else {
		a.moff = cmd.user_va & (CPU_PAGE - 1);
		a.pw = cmd.flags & IOMMU_IOAS_MAP_WRITEABLE;
		a.w = a.pw;
		mi = mem_new(f, MEM_USER, cmd.user_va, cmd.length, a.pw,
			     map_charge(f, false));
		a.mem = mi;
		/* Nearly 2^64 bytes: EINVAL, as upstream answers */
		predict_map(f, &c, o, mi, a.moff, cmd.length, want, fixed,
			    cmd.length > UINT64_MAX - CPU_PAGE ? EINVAL : 0);
	}
	snprintf(c.desc, sizeof(c.desc),
		 "size=%u ioas=%u flags=0x%x va=%s len=0x%llx iova=0x%llx res=%u",
		 usize, cmd.ioas_id, cmd.flags,
		 va_name(cmd.user_va, vbuf, sizeof(vbuf)),
		 (unsigned long long)cmd.length, (unsigned long long)want,
		 cmd.__reserved);
	if (native(f, &c, IOMMU_IOAS_MAP, &cmd, sizeof(cmd), usize, arg))
		model_map(f, cmd.ioas_id, cmd.iova, cmd.length, &a, fixed,
			  want);
	else if (mi != UINT32_MAX)
		mem_drop(f, mi);
}

static void k_map_file(struct fz *f)
{
	/*
	 * Which file, by percentile; @kind -1: not a memfd (EINVAL), -2: no
	 * open file (EBADF)
	 */
	static const struct {
		unsigned int below;
		const char *name;
		int kind;
		bool ro, wo;
	} files[] = {
		{ 55, "memfd", MEM_SHMEM },
		{ 63, "memfd(ro)", MEM_SHMEM, true },
		{ 68, "memfd(wo)", MEM_SHMEM, false, true },
		{ 74, "sealed", MEM_SEALED, true },
		{ 78, "hugetlb", MEM_HUGE },
		{ 82, "/dev/null", -1 },
		{ 85, "iommufd", -1 },
		{ 91, "closed", -2 },
		{ 95, "-1", -2 },
	};
	const int fds[] = {
		env.memfd, env.memfd_ro, env.memfd_wo, env.sealed, env.hugefd,
		env.devnull, f->fd, env.closed_fd, -1,
	};
	struct iommu_ioas_map_file cmd = { .size = sizeof(cmd) };
	struct call c = { .kind = K_MAP_FILE };
	unsigned int r = rnd(f, 100), i;
	__u32 usize, mi = UINT32_MAX;
	const char *fdname = "random";
	struct area a = {};
	__u64 want, end;
	struct mobj *o;
	int create_err;
	bool fixed;
	void *arg;

	cmd.ioas_id = pick_id(f, O_IOAS);
	cmd.flags = rand_map_flags(f);
	/* Without a hugetlbfs file its share goes to the next one */
	for (i = 0; i != ARRAY_SIZE(files); i++)
		if (r < files[i].below &&
		    (files[i].kind != MEM_HUGE || env.hugefd >= 0))
			break;
	if (i == ARRAY_SIZE(files)) {
		cmd.fd = rnd64(f);
	} else {
		cmd.fd = fds[i];
		fdname = files[i].name;
	}
	r = rnd(f, 100);
	cmd.length = rand_len(f);
	if (r < 63)
		cmd.start = rnd(f, MEMFD_SIZE / SZ_4K) * SZ_4K;
	else if (r < 70)
		cmd.start = rnd(f, MEMFD_SIZE / MOCK_PAGE) * MOCK_PAGE;
	else if (r < 80)
		cmd.start = 1 + rnd(f, MEMFD_SIZE);
	else if (r < 90)
		cmd.start = MEMFD_SIZE + rnd(f, 16) * SZ_4K;
	else
		cmd.start = rnd(f, 2) ? rnd64(f) : (1ULL << 62);
	want = rand_iova(f, cmd.ioas_id);
	cmd.iova = want;
	arg = place_native(f, &c, &cmd, sizeof(cmd),
			   offsetof(struct iommu_ioas_map_file, iova) + sizeof(__u64),
			   &usize);
	fixed = cmd.flags & IOMMU_IOAS_MAP_FIXED_IOVA;
	o = obj_of(f, cmd.ioas_id, O_IOAS);
	a.pw = cmd.flags & IOMMU_IOAS_MAP_WRITEABLE;
	a.w = a.pw;
	if (cmd.flags & ~MAP_FLAGS) {
		predict(&c, EOPNOTSUPP);
	} else if (!cmd.length || !(cmd.flags & MAP_PROT)) {
		predict(&c, EINVAL);
	} else if (__builtin_add_overflow(cmd.iova, cmd.length - 1, &end) ||
		   __builtin_add_overflow(cmd.start, cmd.length, &end) ||
		   end > INT64_MAX) {
		predict(&c, EOVERFLOW);
	} else if (i == ARRAY_SIZE(files)) {
		/* A random number: is there a file? */
	} else if (files[i].kind == -2) {
		predict(&c, EBADF);
	} else if (!o) {
		predict(&c, ENOENT);
	} else {
		/* What iopt_pages_create_file() says of the file */
		create_err = 0;
		if (files[i].kind < 0)
			create_err = EINVAL;
		else if (files[i].wo)
			create_err = EBADF;
		else if (files[i].ro && a.pw)
			create_err = EPERM;
		a.moff = cmd.start & (CPU_PAGE - 1);
		mi = mem_new(f, files[i].kind < 0 ? MEM_HUGE : files[i].kind,
			     cmd.start, cmd.length, a.pw, map_charge(f, false));
		a.mem = mi;
		predict_map(f, &c, o, mi, a.moff, cmd.length, want, fixed,
			    create_err);
	}
	snprintf(c.desc, sizeof(c.desc),
		 "size=%u ioas=%u flags=0x%x fd=%s start=0x%llx len=0x%llx iova=0x%llx",
		 usize, cmd.ioas_id, cmd.flags, fdname,
		 (unsigned long long)cmd.start, (unsigned long long)cmd.length,
		 (unsigned long long)want);
	if (!native(f, &c, IOMMU_IOAS_MAP_FILE, &cmd, sizeof(cmd), usize,
		    arg)) {
		if (mi != UINT32_MAX)
			mem_drop(f, mi);
		return;
	}
	if (mi == UINT32_MAX) {
		fail(f, "MAP_FILE of %s (fd %d) succeeded", fdname, cmd.fd);
		return;
	}
	model_map(f, cmd.ioas_id, cmd.iova, cmd.length, &a, fixed, want);
}

/*
 * The areas a copy of [iova, last] of @src is made of, one per source
 * area, at offsets from 0 in the copy: -ENOENT at a hole, -EPERM for a
 * writeable copy of memory pinned read-only
 */
static int copy_slices(const struct mobj *src, __u64 iova, __u64 last,
		       bool write, struct area *slices, __u32 *n)
{
	__u64 next = iova, to;
	__u32 i;

	*n = 0;
	for (i = 0; i != src->nareas; i++) {
		const struct area *a = &src->areas[i];

		if (a->last < next)
			continue;
		if (a->start > next)
			return -ENOENT;
		if (write && !a->pw)
			return -EPERM;
		to = a->last < last ? a->last : last;
		slices[(*n)++] = (struct area){
			.start = next - iova,
			.last = to - iova,
			.moff = a->moff + (next - a->start),
			.mem = a->mem,
			.pw = a->pw,
			.w = write,
		};
		if (to == last)
			return 0;
		next = to + 1;
	}
	return -ENOENT;
}

/*
 * A copy of @n @slices, @len bytes, into @dst once the source was found
 * whole: the slices are pinned when @dst has a domain, then they must
 * meet its alignment (the length, a fixed IOVA, and each slice's offset
 * in the copy and of its memory in its page), then the layout
 */
static void predict_copy(struct fz *f, struct call *c, struct mobj *dst,
			 const struct area *slices, __u32 n, __u64 len,
			 __u64 iova, bool fixed)
{
	__u64 mask = ioas_align(dst) - 1;
	struct pinset ps;
	__u32 i;
	int e = 0;

	if (dst->nhwpt) {
		pinset_init(f, &ps);
		for (i = 0; i != n && !e; i++)
			e = sim_pin(f, &ps, slices[i].mem,
				    area_idx(&slices[i], slices[i].start),
				    area_idx(&slices[i], slices[i].last));
		free(ps.r);
		if (ps.unsure)
			return;
		if (e) {
			predict(c, -e);
			return;
		}
	}
	if ((len | (fixed ? iova : 0)) & mask) {
		predict(c, EINVAL);
		return;
	}
	for (i = 0; i != n; i++) {
		if ((slices[i].start | slices[i].moff) & mask) {
			predict(c, EINVAL);
			return;
		}
	}
	predict_layout(c, dst, iova, len, fixed);
}

static void k_copy(struct fz *f)
{
	struct iommu_ioas_copy cmd = { .size = sizeof(cmd) };
	struct call c = { .kind = K_COPY };
	struct area *slices = NULL;
	struct mobj *src, *dst;
	__u32 usize, i, n = 0;
	__u64 want, end;
	bool fixed;
	void *arg;
	int e;

	cmd.src_ioas_id = pick_id(f, O_IOAS);
	cmd.dst_ioas_id = rnd(f, 4) ? pick_id(f, O_IOAS) : cmd.src_ioas_id;
	cmd.flags = rand_map_flags(f);
	src = obj_of(f, cmd.src_ioas_id, O_IOAS);
	if (src && src->nareas && rnd(f, 4)) {
		/* From a few consecutive areas, whole or in part */
		i = rnd(f, src->nareas);
		cmd.src_iova = src->areas[i].start;
		if (rnd(f, 4) == 0 &&
		    src->areas[i].last - src->areas[i].start >= SZ_4K)
			cmd.src_iova += rnd(f, 2) ? SZ_4K : MOCK_PAGE;
		i += rnd(f, 3);
		if (i >= src->nareas)
			i = src->nareas - 1;
		cmd.length = src->areas[i].last + 1 - cmd.src_iova;
		if (rnd(f, 4) == 0 && cmd.length > SZ_4K)
			cmd.length -= rnd(f, 2) ? SZ_4K : MOCK_PAGE;
		if (src->areas[i].last < cmd.src_iova)
			cmd.length = SZ_4K;
	} else {
		cmd.src_iova = rand_iova(f, cmd.src_ioas_id);
		cmd.length = rand_len(f);
	}
	want = rand_iova(f, cmd.dst_ioas_id);
	cmd.dst_iova = want;
	arg = place_native(f, &c, &cmd, sizeof(cmd),
			   offsetof(struct iommu_ioas_copy, src_iova) + sizeof(__u64),
			   &usize);
	fixed = cmd.flags & IOMMU_IOAS_MAP_FIXED_IOVA;
	dst = obj_of(f, cmd.dst_ioas_id, O_IOAS);
	if (cmd.flags & ~MAP_FLAGS) {
		predict(&c, EOPNOTSUPP);
	} else if (!cmd.length || !(cmd.flags & MAP_PROT)) {
		predict(&c, EINVAL);
	} else if (__builtin_add_overflow(cmd.src_iova, cmd.length - 1, &end) ||
		   (fixed && __builtin_add_overflow(cmd.dst_iova,
						    cmd.length - 1, &end))) {
		predict(&c, EOVERFLOW);
	} else if (!src || !dst) {
		predict(&c, ENOENT);
	} else {
		slices = calloc(src->nareas + 1, sizeof(*slices));
		if (!slices)
			abort();
		e = copy_slices(src, cmd.src_iova,
				cmd.src_iova + cmd.length - 1,
				cmd.flags & IOMMU_IOAS_MAP_WRITEABLE, slices,
				&n);
		if (e)
			predict(&c, -e);
		else
			predict_copy(f, &c, dst, slices, n, cmd.length, want,
				     fixed);
	}
	snprintf(c.desc, sizeof(c.desc),
		 "size=%u flags=0x%x src=%u:0x%llx len=0x%llx dst=%u:0x%llx",
		 usize, cmd.flags, cmd.src_ioas_id,
		 (unsigned long long)cmd.src_iova,
		 (unsigned long long)cmd.length, cmd.dst_ioas_id,
		 (unsigned long long)want);
	if (!native(f, &c, IOMMU_IOAS_COPY, &cmd, sizeof(cmd), usize, arg)) {
		free(slices);
		return;
	}
	if (!slices || !n) {
		fail(f, "copy succeeded where the model has no source");
		free(slices);
		return;
	}
	if (fixed && cmd.dst_iova != want) {
		fail(f, "fixed copy landed at 0x%llx",
		     (unsigned long long)cmd.dst_iova);
	} else if (!fixed && (cmd.dst_iova ^ slices[0].moff) & (CPU_PAGE - 1)) {
		fail(f, "the kernel chose IOVA 0x%llx for a copy of memory 0x%llx into its page",
		     (unsigned long long)cmd.dst_iova,
		     (unsigned long long)(slices[0].moff & (CPU_PAGE - 1)));
	} else if ((cmd.dst_iova & (ioas_align(dst) - 1)) ||
		   __builtin_add_overflow(cmd.dst_iova, cmd.length - 1,
					  &end) ||
		   areas_overlap(dst, cmd.dst_iova, end) ||
		   touches_resv(dst, cmd.dst_iova, end)) {
		fail(f, "copy to [0x%llx, +0x%llx) overlaps the model's areas or is unaligned",
		     (unsigned long long)cmd.dst_iova,
		     (unsigned long long)cmd.length);
	}
	for (i = 0; i != n && !f->failed; i++) {
		slices[i].start += cmd.dst_iova;
		slices[i].last += cmd.dst_iova;
		area_add(dst, &slices[i]);
	}
	free(slices);
}

static void k_unmap(struct fz *f)
{
	struct iommu_ioas_unmap cmd = { .size = sizeof(cmd) };
	struct call c = { .kind = K_UNMAP };
	unsigned int r = rnd(f, 100);
	struct mobj *o;
	__u64 bytes = 0, last = 0;
	bool all, range_ok, sticks = false;
	__u32 usize;
	void *arg;

	cmd.ioas_id = pick_id(f, O_IOAS);
	o = obj_of(f, cmd.ioas_id, O_IOAS);
	if (r < 10) {
		cmd.iova = 0;
		cmd.length = UINT64_MAX;
	} else if (r < 55 && o && o->nareas) {
		unsigned int i = rnd(f, o->nareas);
		unsigned int j = i + rnd(f, 3);

		if (j >= o->nareas)
			j = o->nareas - 1;
		cmd.iova = o->areas[i].start;
		cmd.length = o->areas[j].last + 1 - cmd.iova;
		/* Now and then cut an area */
		if (!rnd(f, 6))
			cmd.length -= SZ_4K;
		if (!rnd(f, 8))
			cmd.iova += SZ_4K, cmd.length -= SZ_4K;
		if (!rnd(f, 8))
			cmd.iova -= SZ_4K, cmd.length += 2 * SZ_4K;
	} else {
		cmd.iova = rand_iova(f, cmd.ioas_id);
		cmd.length = rand_len(f);
	}
	arg = place_native(f, &c, &cmd, sizeof(cmd),
			   offsetof(struct iommu_ioas_unmap, length) + sizeof(__u64),
			   &usize);
	all = cmd.iova == 0 && cmd.length == UINT64_MAX;
	/* The input range; the kernel writes back the bytes unmapped */
	range_ok = cmd.length &&
		   !__builtin_add_overflow(cmd.iova, cmd.length - 1, &last);
	o = obj_of(f, cmd.ioas_id, O_IOAS);
	if (o && all) {
		bytes = areas_total(o);
		predict(&c, 0);
	} else if (o && range_ok) {
		areas_in(o, cmd.iova, last, &bytes, &sticks);
		predict(&c, sticks || !bytes ? ENOENT : 0);
	}
	snprintf(c.desc, sizeof(c.desc), "size=%u ioas=%u iova=0x%llx len=0x%llx",
		 usize, cmd.ioas_id, (unsigned long long)cmd.iova,
		 (unsigned long long)cmd.length);
	if (!native(f, &c, IOMMU_IOAS_UNMAP, &cmd, sizeof(cmd), usize, arg))
		return;
	if (!o) {
		fail(f, "unmapped in %u, which the model has as no IOAS",
		     cmd.ioas_id);
		return;
	}
	if (!all && range_ok)
		bytes = overlap_bytes(o, cmd.iova, last);
	if (cmd.length != bytes) {
		fail(f, "unmap reported 0x%llx bytes, the model had 0x%llx",
		     (unsigned long long)cmd.length,
		     (unsigned long long)bytes);
		return;
	}
	if (all) {
		unmap_releases(f, cmd.ioas_id, 0, UINT64_MAX);
		o->nareas = 0;
	} else if (!range_ok) {
		fail(f, "unmap of a bad range succeeded");
	} else {
		unmap_releases(f, cmd.ioas_id, cmd.iova, last);
		model_unmapped(o, cmd.iova, last);
	}
}

static void k_option(struct fz *f)
{
	struct iommu_option cmd = { .size = sizeof(cmd) };
	struct call c = { .kind = K_OPTION };
	__u32 usize;
	void *arg;

	cmd.option_id = rnd(f, 8) ? rnd(f, 2) : rnd(f, 100);
	cmd.op = rnd(f, 8) ? rnd(f, 2) : rnd(f, 100);
	cmd.object_id = rnd(f, 2) ? 0 : pick_id(f, O_IOAS);
	cmd.val64 = rnd(f, 8) ? rnd(f, 2) : rnd(f, 2) ? 2 : rnd64(f);
	if (!rnd(f, 20))
		cmd.__reserved = 1 + rnd(f, 100);
	arg = place_native(f, &c, &cmd, sizeof(cmd),
			   offsetof(struct iommu_option, val64) + sizeof(__u64), &usize);
	snprintf(c.desc, sizeof(c.desc),
		 "size=%u option=%u op=%u obj=%u val=0x%llx res=%u", usize,
		 cmd.option_id, cmd.op, cmd.object_id,
		 (unsigned long long)cmd.val64, cmd.__reserved);
	if (!native(f, &c, IOMMU_OPTION, &cmd, sizeof(cmd), usize, arg))
		return;
	if (cmd.op == IOMMU_OPTION_OP_GET && cmd.val64 > 1)
		fail(f, "OPTION GET returned %llu",
		     (unsigned long long)cmd.val64);
	if (cmd.option_id == IOMMU_OPTION_HUGE_PAGES) {
		struct mobj *o = obj_of(f, cmd.object_id, O_IOAS);

		if (!o)
			fail(f, "HUGE_PAGES of %u, which is no IOAS in the model",
			     cmd.object_id);
		else if (cmd.op == IOMMU_OPTION_OP_SET)
			o->small_pages = !cmd.val64;
		else if (o->small_pages != !cmd.val64)
			fail(f, "HUGE_PAGES of IOAS %u is %llu, the model has %u",
			     cmd.object_id, (unsigned long long)cmd.val64,
			     !o->small_pages);
	}
	/* What new maps are charged to */
	if (cmd.option_id == IOMMU_OPTION_RLIMIT_MODE) {
		if (cmd.op == IOMMU_OPTION_OP_SET)
			f->charge_user = !cmd.val64;
		else if (f->charge_user != !cmd.val64)
			fail(f, "RLIMIT_MODE is %llu, the model has %u",
			     (unsigned long long)cmd.val64, !f->charge_user);
	}
}

/*
 * Learn whether huge pages are on in the compat IOAS: VFIO_SET_IOMMU of
 * the v1 API turns them off (on newer kernels)
 */
static void learn_small_pages(struct fz *f)
{
	struct iommu_option cmd = {
		.size = sizeof(cmd),
		.option_id = IOMMU_OPTION_HUGE_PAGES,
		.op = IOMMU_OPTION_OP_GET,
		.object_id = f->vfio_ioas,
	};
	struct call c = { .kind = K_OPTION };

	if (!obj_of(f, f->vfio_ioas, O_IOAS))
		return;
	snprintf(c.desc, sizeof(c.desc), "HUGE_PAGES GET of compat IOAS %u",
		 f->vfio_ioas);
	predict(&c, 0);
	memcpy(env.slot, &cmd, sizeof(cmd));
	if (native(f, &c, IOMMU_OPTION, &cmd, sizeof(cmd), sizeof(cmd),
		   env.slot))
		f->obj[f->vfio_ioas].small_pages = !cmd.val64;
}

/* GET must answer what the model holds */
static void k_vfio_ioas(struct fz *f)
{
	/* SET most, so that the type1 ioctls have a compat IOAS to use */
	static const __u16 ops[] = {
		IOMMU_VFIO_IOAS_SET, IOMMU_VFIO_IOAS_SET, IOMMU_VFIO_IOAS_SET,
		IOMMU_VFIO_IOAS_GET, IOMMU_VFIO_IOAS_GET, IOMMU_VFIO_IOAS_CLEAR,
	};
	struct iommu_vfio_ioas cmd = { .size = sizeof(cmd) };
	struct call c = { .kind = K_VFIO_IOAS };
	__u32 usize;
	void *arg;

	cmd.op = rnd(f, 10) ? ops[rnd(f, ARRAY_SIZE(ops))] : rnd(f, 1000);
	cmd.ioas_id = pick_id(f, O_IOAS);
	if (!rnd(f, 20))
		cmd.__reserved = 1 + rnd(f, 100);
	arg = place_native(f, &c, &cmd, sizeof(cmd),
			   offsetof(struct iommu_vfio_ioas, __reserved) + sizeof(__u16),
			   &usize);
	if (!cmd.__reserved && cmd.op == IOMMU_VFIO_IOAS_GET)
		predict(&c, f->vfio_ioas ? 0 : ENODEV);
	snprintf(c.desc, sizeof(c.desc), "size=%u op=%u ioas=%u res=%u",
		 usize, cmd.op, cmd.ioas_id, cmd.__reserved);
	if (!native(f, &c, IOMMU_VFIO_IOAS, &cmd, sizeof(cmd), usize, arg))
		return;
	switch (cmd.op) {
	case IOMMU_VFIO_IOAS_GET:
		if (cmd.ioas_id != f->vfio_ioas)
			fail(f, "VFIO_IOAS GET gave %u, the model has %u",
			     cmd.ioas_id, f->vfio_ioas);
		break;
	case IOMMU_VFIO_IOAS_SET:
		if (!obj_of(f, cmd.ioas_id, O_IOAS))
			fail(f, "VFIO_IOAS SET of %u, no IOAS in the model",
			     cmd.ioas_id);
		f->vfio_ioas = cmd.ioas_id;
		break;
	case IOMMU_VFIO_IOAS_CLEAR:
		f->vfio_ioas = 0;
		break;
	default:
		fail(f, "VFIO_IOAS op %u succeeded", cmd.op);
	}
}

static void k_hwpt_alloc(struct fz *f)
{
	struct iommu_hwpt_alloc cmd = { .size = sizeof(cmd) };
	struct call c = { .kind = K_HWPT_ALLOC };
	struct mobj *h;
	__u32 usize;
	void *arg;
	__u8 pt;
	int e;

	cmd.dev_id = pick_id(f, O_IDEV);
	cmd.pt_id = pick_id(f, O_IOAS);
	if (!rnd(f, 10))
		cmd.flags = 1U << rnd(f, 32);
	if (!rnd(f, 10))
		cmd.data_type = rnd(f, 2) ? 1 + rnd(f, 2) : rnd64(f);
	if (!rnd(f, 10))
		cmd.data_len = 1 + rnd(f, 64), cmd.data_uptr =
			(uintptr_t)env.hwbuf;
	if (!rnd(f, 20))
		cmd.__reserved = 1;
	if (!rnd(f, 20))
		cmd.__reserved2 = 1;
	if (!rnd(f, 20))
		cmd.fault_id = pick_id(f, O_HWPT);
	arg = place_native(f, &c, &cmd, sizeof(cmd),
			   offsetof(struct iommu_hwpt_alloc, __reserved) + sizeof(__u32),
			   &usize);
	/*
	 * Each problem of the argument is a right answer: the kernel may
	 * check in any order. Only a paging HWPT of an IOAS can be made:
	 * on a paging HWPT the model never gives the data of a nested one.
	 */
	pt = cmd.pt_id < MAX_ID ? f->obj[cmd.pt_id].type : O_NONE;
	if (cmd.__reserved || cmd.__reserved2 ||
	    (cmd.flags & ~HWPT_PAGING_FLAGS))
		also_once(&c, EOPNOTSUPP);
	if (cmd.data_type == IOMMU_HWPT_DATA_NONE ?
		    cmd.data_len || cmd.data_uptr :
		    !cmd.data_len || !cmd.data_uptr)
		also_once(&c, EINVAL);
	if (!obj_of(f, cmd.dev_id, O_IDEV))
		also_once(&c, ENOENT);
	switch (pt) {
	case O_IOAS:
		/* The mock makes no paging HWPT from data */
		if (cmd.data_type != IOMMU_HWPT_DATA_NONE)
			also_once(&c, EOPNOTSUPP);
		break;
	case O_HWPT:
		/* A nested one: no data of a type the mock knows */
		also_once(&c, EOPNOTSUPP);
		if (f->obj[cmd.pt_id].auto_domain ||
		    !f->obj[cmd.pt_id].nest_parent)
			also_once(&c, EINVAL);
		break;
	case O_NONE:
		/* The model has no ID of accesses */
		also_once(&c, ENOENT);
		if (cmd.pt_id)
			also_once(&c, EINVAL);
		break;
	default:
		also_once(&c, EINVAL);
	}
	/* A good one: a new HWPT adds a domain */
	if (!c.predicted) {
		e = domain_add_errno(f, cmd.pt_id);
		if (e != UNSURE)
			predict(&c, -e);
	}
	snprintf(c.desc, sizeof(c.desc),
		 "size=%u flags=0x%x dev=%u pt=%u type=%u len=%u res=%u/%u",
		 usize, cmd.flags, cmd.dev_id, cmd.pt_id, cmd.data_type,
		 cmd.data_len, cmd.__reserved, cmd.__reserved2);
	if (!native(f, &c, IOMMU_HWPT_ALLOC, &cmd, sizeof(cmd), usize, arg))
		return;
	if (!obj_of(f, cmd.pt_id, O_IOAS) || !obj_of(f, cmd.dev_id, O_IDEV)) {
		fail(f, "HWPT_ALLOC succeeded for device %u and pt %u the model does not have",
		     cmd.dev_id, cmd.pt_id);
		return;
	}
	h = obj_new(f, cmd.out_hwpt_id, O_HWPT);
	if (!h)
		return;
	h->ioas = cmd.pt_id;
	h->nest_parent = cmd.flags & IOMMU_HWPT_ALLOC_NEST_PARENT;
	f->obj[cmd.pt_id].nhwpt++;
}

static void k_get_hw_info(struct fz *f)
{
	struct iommu_hw_info cmd = { .size = sizeof(cmd) };
	struct call c = { .kind = K_GET_HW_INFO };
	static const __u32 lens[] = { 0, 4, 8, 16, 64, 256 };
	struct iommu_test_hw_info *info = (void *)env.hwbuf;
	__u32 usize, inlen, i;
	void *arg;

	cmd.dev_id = pick_id(f, O_IDEV);
	inlen = lens[rnd(f, ARRAY_SIZE(lens))];
	cmd.data_len = inlen;
	cmd.data_uptr = (uintptr_t)env.hwbuf;
	if (!rnd(f, 10))
		cmd.data_uptr = rnd(f, 2) ? 0 : (uintptr_t)env.edge - 4;
	if (!rnd(f, 20))
		cmd.flags = 1U << rnd(f, 32);
	if (!rnd(f, 5)) {
		/* The layout wanted: the driver's own, or one it lacks */
		static const __u32 types[] = {
			IOMMU_HW_INFO_TYPE_DEFAULT, IOMMU_HW_INFO_TYPE_SELFTEST,
			IOMMU_HW_INFO_TYPE_INTEL_VTD,
		};

		cmd.flags |= IOMMU_HW_INFO_FLAG_INPUT_TYPE;
		cmd.in_data_type = rnd(f, 5) ? types[rnd(f, 3)] : rnd64(f);
	}
	if (!rnd(f, 20))
		cmd.__reserved[rnd(f, 3)] = 1;
	memset(env.hwbuf, 0xcc, 256);
	arg = place_native(f, &c, &cmd, sizeof(cmd),
			   offsetof(struct iommu_hw_info, __reserved) + sizeof(__u8[3]),
			   &usize);
	snprintf(c.desc, sizeof(c.desc),
		 "size=%u dev=%u len=%u ptr=%s flags=0x%x type=0x%x",
		 usize, cmd.dev_id, inlen,
		 cmd.data_uptr == (uintptr_t)env.hwbuf ? "ok" : "bad",
		 cmd.flags, cmd.in_data_type);
	if (!native(f, &c, IOMMU_GET_HW_INFO, &cmd, sizeof(cmd), usize, arg))
		return;
	/* Every device is a mock one */
	if (cmd.out_data_type != IOMMU_HW_INFO_TYPE_SELFTEST ||
	    cmd.data_len != sizeof(*info)) {
		fail(f, "GET_HW_INFO of a mock device: type 0x%x, length %u",
		     cmd.out_data_type, cmd.data_len);
		return;
	}
	/* 20 bits of PASID for a device made with MOCK_FLAGS_DEVICE_PASID */
	if (obj_of(f, cmd.dev_id, O_IDEV) &&
	    cmd.out_max_pasid_log2 !=
	    (f->obj[cmd.dev_id].pasid ? MOCK_PASID_WIDTH : 0))
		fail(f, "GET_HW_INFO of device %u: PASID width %u",
		     cmd.dev_id, cmd.out_max_pasid_log2);
	if (cmd.data_uptr != (uintptr_t)env.hwbuf)
		return;
	if (inlen >= sizeof(*info) &&
	    (info->flags || info->test_reg != IOMMU_HW_INFO_SELFTEST_REGVAL))
		fail(f, "GET_HW_INFO data: flags 0x%x reg 0x%x", info->flags,
		     info->test_reg);
	for (i = sizeof(*info); i < inlen; i++)
		if (env.hwbuf[i])
			fail(f, "GET_HW_INFO left byte %u of the buffer unzeroed",
			     i);
	for (i = inlen; i < 256; i++)
		if ((unsigned char)env.hwbuf[i] != 0xcc)
			fail(f, "GET_HW_INFO wrote byte %u past data_len %u", i,
			     inlen);
}

/*
 * HWPT_INVALIDATE with no nested HWPT (the model has none) fails; each
 * problem of the argument is a right answer, in whatever order the
 * kernel looks: a non-zero __reserved, entries without a pointer or a
 * length, an ID of no object (an access's, the model does not know)
 * or of one that is no nested HWPT.
 */
static void predict_invalidate(struct fz *f, struct call *c,
			       const struct iommu_hwpt_invalidate *cmd)
{
	__u8 type = cmd->hwpt_id < MAX_ID ? f->obj[cmd->hwpt_id].type :
					     O_NONE;

	if (cmd->__reserved)
		also_once(c, EOPNOTSUPP);
	if (cmd->entry_num && (!cmd->data_uptr || !cmd->entry_len))
		also_once(c, EINVAL);
	switch (type) {
	case O_IOAS:
	case O_HWPT:
		also_once(c, EINVAL);
		break;
	case O_NONE:
		also_once(c, ENOENT);
		if (cmd->hwpt_id)
			also_once(c, EINVAL);
		break;
	default:
		/* a device: not a HWPT either */
		also_once(c, EINVAL);
		also_once(c, ENOENT);
	}
}

/*
 * The commands the uAPI declares and this kernel does not implement yet:
 * they obey the size rules and then fail with EOPNOTSUPP. And
 * HWPT_INVALIDATE, which fails too, writing back entry_num 0.
 */
static void k_declared(struct fz *f)
{
	union {
		struct iommu_hwpt_set_dirty_tracking dirty;
		struct iommu_hwpt_get_dirty_bitmap bitmap;
		struct iommu_hwpt_invalidate inval;
		struct iommu_fault_alloc fault;
	} cmd;
	static const struct {
		unsigned long nr;
		size_t size, min;
	} cmds[] = {
		{ IOMMU_HWPT_SET_DIRTY_TRACKING,
		  sizeof(struct iommu_hwpt_set_dirty_tracking),
		  offsetof(struct iommu_hwpt_set_dirty_tracking, __reserved) + sizeof(__u32) },
		{ IOMMU_HWPT_GET_DIRTY_BITMAP,
		  sizeof(struct iommu_hwpt_get_dirty_bitmap),
		  offsetof(struct iommu_hwpt_get_dirty_bitmap, data) + sizeof(__u64) },
		{ IOMMU_HWPT_INVALIDATE, sizeof(struct iommu_hwpt_invalidate),
		  offsetof(struct iommu_hwpt_invalidate, __reserved) + sizeof(__u32) },
		{ IOMMU_FAULT_QUEUE_ALLOC, sizeof(struct iommu_fault_alloc),
		  offsetof(struct iommu_fault_alloc, out_fault_fd) + sizeof(__u32) },
	};
	struct call c = { .kind = K_DECLARED };
	unsigned int i = rnd(f, ARRAY_SIZE(cmds));
	__u32 usize, w;
	void *arg;

	/* Random contents: an ID now and then, flags, pointers */
	memset(&cmd, 0, sizeof(cmd));
	for (w = 1; w < cmds[i].size / 4; w++)
		if (rnd(f, 2))
			((__u32 *)&cmd)[w] = rnd(f, 2) ? pick_id(f, O_HWPT) :
							 rnd64(f);
	cmd.dirty.size = cmds[i].size;
	arg = place_native(f, &c, &cmd, cmds[i].size, cmds[i].min, &usize);
	if (cmds[i].nr == IOMMU_HWPT_INVALIDATE)
		predict_invalidate(f, &c, &cmd.inval);
	else
		predict(&c, EOPNOTSUPP);
	snprintf(c.desc, sizeof(c.desc), "cmd=0x%lx size=%u", cmds[i].nr,
		 usize);
	native(f, &c, cmds[i].nr, &cmd, cmds[i].size, usize, arg);
	if (cmds[i].nr == IOMMU_HWPT_INVALIDATE && !c.forced &&
	    cmd.inval.entry_num)
		fail(f, "HWPT_INVALIDATE of no nested HWPT reports %u entries handled",
		     cmd.inval.entry_num);
}

static void k_unknown(struct fz *f)
{
	static const unsigned int known[] = { 0x80, 0x81, 0x82, 0x83, 0x84,
					      0x85, 0x86, 0x87, 0x88, 0x89,
					      0x8a, 0x8b, 0x8c, 0x8d, 0x8e,
					      0x8f, 0x90, 0x91, 0x92, 0x93,
					      0xa0 };
	struct call c = { .kind = K_UNKNOWN_CMD };
	unsigned int nr, i;
	unsigned long cmd;

	if (rnd(f, 2)) {
		/* A command number this kernel does not handle */
		do {
			nr = 0x80 + rnd(f, 0x80);
			for (i = 0; i != ARRAY_SIZE(known); i++)
				if (known[i] == nr)
					break;
		} while (i != ARRAY_SIZE(known));
		cmd = _IO(IOMMUFD_TYPE, nr);
	} else {
		/* A known number with size or direction bits */
		nr = known[rnd(f, ARRAY_SIZE(known))];
		cmd = rnd(f, 2) ? _IOW(IOMMUFD_TYPE, nr, __u64) :
				  _IOWR(IOMMUFD_TYPE, nr, struct iommu_destroy);
	}
	memset(env.slot, 0, ARG_ROOM);
	*(__u32 *)env.slot = 8;
	snprintf(c.desc, sizeof(c.desc), "cmd=0x%lx", cmd);
	f->ncall++;
	c.ret = ioctl(f->fd, cmd, env.slot);
	c.err = c.ret ? errno : 0;
	judge(f, &c);
}

/* ------------------------------------------------------------------ */
/* IOMMU_TEST_CMD                                                      */

/*
 * Issue IOMMU_TEST_CMD @cmd; @desc describes the op's own fields. A
 * non-zero __reserved must give EOPNOTSUPP.
 */
static bool test_call(struct fz *f, struct call *c, struct iommu_test_cmd *cmd,
		      const char *desc)
{
	__u32 usize;
	void *arg;

	if (!rnd(f, 30))
		cmd->__reserved = 1 + rnd(f, 100);
	cmd->size = sizeof(*cmd);
	arg = place_native(f, c, cmd, sizeof(*cmd),
			   offsetof(struct iommu_test_cmd, last) + sizeof(__u32), &usize);
	if (cmd->__reserved)
		predict(c, EOPNOTSUPP);
	snprintf(c->desc, sizeof(c->desc), "size=%u op=%u id=%u %s res=%u",
		 usize, cmd->op, cmd->id, desc, cmd->__reserved);
	return native(f, c, IOMMU_TEST_CMD, cmd, sizeof(*cmd), usize, arg);
}

static void t_add_reserved(struct fz *f)
{
	struct iommu_test_cmd cmd = { .op = IOMMU_TEST_OP_ADD_RESERVED };
	struct call c = { .kind = K_T_ADD_RESERVED };
	struct mobj *o;
	char desc[64];
	__u64 last;

	cmd.id = pick_id(f, O_IOAS);
	cmd.add_reserved.start = rand_iova(f, cmd.id);
	cmd.add_reserved.length = rand_len(f);
	snprintf(desc, sizeof(desc), "start=0x%llx len=0x%llx",
		 (unsigned long long)cmd.add_reserved.start,
		 (unsigned long long)cmd.add_reserved.length);
	if (!test_call(f, &c, &cmd, desc))
		return;
	if (!obj_of(f, cmd.id, O_IOAS)) {
		fail(f, "reserved in %u, no IOAS in the model", cmd.id);
		return;
	}
	o = &f->obj[cmd.id];
	last = cmd.add_reserved.start + cmd.add_reserved.length - 1;
	if (areas_overlap(o, cmd.add_reserved.start, last))
		fail(f, "reserved a range over an area");
	if ((cmd.add_reserved.start | cmd.add_reserved.length) & (SZ_4K - 1))
		o->unaligned_resv = true;
	if (o->nresv == MAX_RESV)
		o->many_resv = true;
	else
		o->resv[o->nresv++] = (struct range){ cmd.add_reserved.start,
						      last };
}

/* How many automatic HWPTs IOAS @id has; *@one is one of them */
static unsigned int nr_auto_hwpts(struct fz *f, __u32 id, __u32 *one)
{
	unsigned int n = 0;
	__u32 h;

	*one = 0;
	for (h = 1; h <= f->max_id; h++)
		if (f->obj[h].type == O_HWPT && f->obj[h].ioas == id &&
		    f->obj[h].auto_domain) {
			*one = h;
			n++;
		}
	return n;
}

/*
 * Attaching a mock device (PASID-capable with @pasid) to @pt, or moving
 * one there: a HWPT takes it, an IOAS gives it its automatic HWPT
 * (*@hwpt) or a new one, which adds a domain; other objects are refused.
 * An ID the model does not know may be one of an access (EINVAL). A
 * PASID-capable device's automatic HWPT is PASID-capable: it may get a
 * new one beside one that is not, so *@hwpt is 0 (any) when the model
 * cannot tell which it gets.
 */
static void predict_attach(struct fz *f, struct call *c, __u32 pt,
			   __u32 *hwpt, bool pasid)
{
	__u8 type = pt < MAX_ID ? f->obj[pt].type : O_NONE;
	unsigned int n;
	__u32 h;
	int e;

	*hwpt = 0;
	switch (type) {
	case O_HWPT:
		*hwpt = pt;
		predict(c, 0);
		break;
	case O_IOAS:
		n = nr_auto_hwpts(f, pt, &h);
		if (n) {
			/* A new domain would fit where the first one does */
			predict(c, 0);
			if (n == 1 && (!pasid || f->obj[h].pasid))
				*hwpt = h;
			break;
		}
		e = domain_add_errno(f, pt);
		if (e != UNSURE)
			predict(c, -e);
		break;
	case O_IDEV:
	case O_STDEV:
		predict(c, EINVAL);
		break;
	default:
		predict(c, ENOENT);
		if (pt)
			also(c, EINVAL);
	}
}

static void t_mock_domain(struct fz *f, bool flags)
{
	struct iommu_test_cmd cmd = {
		.op = flags ? IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS :
			      IOMMU_TEST_OP_MOCK_DOMAIN,
	};
	struct call c = { .kind = flags ? K_T_MOCK_FLAGS : K_T_MOCK_DOMAIN };
	__u32 stdev, hwpt, idev, want = 0;
	struct mobj *s;
	char desc[48];
	bool pasid;

	cmd.id = rnd(f, 3) ? pick_id(f, O_IOAS) : pick_id(f, O_HWPT);
	if (flags)
		cmd.mock_domain_flags.dev_flags =
			rnd(f, 2) ? MOCK_FLAGS_DEVICE_NO_DIRTY :
				    1U << rnd(f, 32);
	pasid = cmd.mock_domain_flags.dev_flags & MOCK_FLAGS_DEVICE_PASID;
	snprintf(desc, sizeof(desc), "dev_flags=0x%x",
		 cmd.mock_domain_flags.dev_flags);
	if (cmd.mock_domain_flags.dev_flags & ~MOCK_DEV_FLAGS)
		predict(&c, EOPNOTSUPP);
	else
		predict_attach(f, &c, cmd.id, &want, pasid);
	if (!test_call(f, &c, &cmd, desc))
		return;
	stdev = cmd.mock_domain.out_stdev_id;
	hwpt = cmd.mock_domain.out_hwpt_id;
	idev = cmd.mock_domain.out_idev_id;
	if (!obj_of(f, cmd.id, O_IOAS) && !obj_of(f, cmd.id, O_HWPT)) {
		fail(f, "mock device attached to %u, which the model has as neither IOAS nor HWPT",
		     cmd.id);
		return;
	}
	if (want && hwpt != want) {
		fail(f, "mock device attached to %u got HWPT %u, the model has %u",
		     cmd.id, hwpt, want);
		return;
	}
	s = obj_new(f, stdev, O_STDEV);
	if (!s || !obj_new(f, idev, O_IDEV))
		return;
	s->idev = idev;
	s->hwpt = hwpt;
	s->pasid = pasid;
	f->obj[idev].pasid = pasid;
	hwpt_get(f, hwpt, cmd.id, s->pasid);
}

/* A HWPT that maps a model area, for MD_CHECK_MAP; 0 if none */
static __u32 hwpt_with_area(struct fz *f, struct area **a)
{
	__u32 ids[MAX_ID], n = 0, id;
	struct mobj *o;

	for (id = 1; id <= f->max_id; id++) {
		if (f->obj[id].type != O_HWPT)
			continue;
		o = obj_of(f, f->obj[id].ioas, O_IOAS);
		if (o && o->nareas)
			ids[n++] = id;
	}
	if (!n)
		return 0;
	id = ids[rnd(f, n)];
	o = &f->obj[f->obj[id].ioas];
	*a = &o->areas[rnd(f, o->nareas)];
	return id;
}

static void t_check_map(struct fz *f)
{
	struct iommu_test_cmd cmd = { .op = IOMMU_TEST_OP_MD_CHECK_MAP };
	struct call c = { .kind = K_T_CHECK_MAP };
	struct area *a = NULL;
	char desc[96], vbuf[32];

	cmd.id = rnd(f, 3) ? hwpt_with_area(f, &a) : 0;
	if (cmd.id && area_uva(f, a) && rnd(f, 4)) {
		/*
		 * Some pages of the mock IOMMU (half a CPU page) of a mapped
		 * area: the domain must have them
		 */
		__u64 pages = (a->last - a->start + 1) / MOCK_PAGE;
		__u64 first = rnd_below(f, pages);

		cmd.check_map.iova = a->start + first * MOCK_PAGE;
		cmd.check_map.length =
			(1 + rnd_below(f, pages - first)) * MOCK_PAGE;
		cmd.check_map.uptr = area_uva(f, a) + first * MOCK_PAGE;
		predict(&c, 0);
	} else {
		if (!cmd.id)
			cmd.id = pick_id(f, O_HWPT);
		cmd.check_map.iova = rand_iova(f, 0);
		cmd.check_map.length = rnd(f, 4) ? (1 + rnd(f, 16)) * SZ_4K :
						   rand_len(f);
		cmd.check_map.uptr = rand_va(f, cmd.check_map.length);
	}
	snprintf(desc, sizeof(desc), "iova=0x%llx len=0x%llx uptr=%s",
		 (unsigned long long)cmd.check_map.iova,
		 (unsigned long long)cmd.check_map.length,
		 va_name(cmd.check_map.uptr, vbuf, sizeof(vbuf)));
	test_call(f, &c, &cmd, desc);
}

/*
 * TEST MD_CHECK_REFS of @len bytes at @uptr: -EINVAL unaligned, then
 * page by page -EFAULT where nothing is mapped and -EINVAL where the pins
 * of the page are not @refs: one per memory object that pins it. UNSURE:
 * the range runs into memory the model does not know.
 */
static int check_refs_errno(struct fz *f, __u64 uptr, __u64 len, __u32 refs)
{
	__u64 buf = (uintptr_t)env.buf, end = (uintptr_t)env.robuf + RO_SIZE;
	__u64 mem = (uintptr_t)env.memmap, seal = (uintptr_t)env.sealmap;
	__u64 off, p, key, idx;
	struct pinset ps;
	unsigned int i, n;
	int e = 0;
	__u8 kind;

	if ((uptr | len) & (CPU_PAGE - 1) || len > UINT64_MAX - uptr)
		return -EINVAL;
	pinset_init(f, &ps);
	for (off = 0; off < len && !e; off += CPU_PAGE) {
		p = uptr + off;
		if (p >= buf && p < end) {
			kind = MEM_USER;
			key = p;
		} else if (p >= mem && p < mem + MEMFD_SIZE) {
			kind = MEM_SHMEM;
			key = p - mem;
		} else if (p >= seal && p < seal + MEMFD_SIZE) {
			kind = MEM_SEALED;
			key = p - seal;
		} else {
			/*
			 * The hole after the buffers, page 0 and the kernel's
			 * fault; whatever else the process maps is unknown
			 */
			e = UNSURE;
			if (!va_tagged(p) &&
			    ((p >= end && p < end + 2 * SZ_2M) || p < CPU_PAGE ||
			     p >= USER_VA_END))
				e = -EFAULT;
			break;
		}
		for (i = 0, n = 0; i != ps.n; i++) {
			const struct mem *m = &f->mems[ps.r[i].mem];

			if (m->kind != kind || key < m->base)
				continue;
			idx = (key - m->base) / CPU_PAGE;
			if (idx >= ps.r[i].first && idx <= ps.r[i].last)
				n++;
		}
		if (n != refs)
			e = -EINVAL;
	}
	free(ps.r);
	return e;
}

static void t_check_refs(struct fz *f)
{
	struct iommu_test_cmd cmd = { .op = IOMMU_TEST_OP_MD_CHECK_REFS };
	struct call c = { .kind = K_T_CHECK_REFS };
	char desc[96], vbuf[32];
	unsigned int r = rnd(f, 8);
	__u64 off;
	int e;

	cmd.check_refs.length = rnd(f, 4) ? (1 + rnd(f, 16)) * SZ_4K :
					    rand_len(f);
	/* Now and then the memfds, which only MAP_FILE pins */
	if (r < 2) {
		off = rnd(f, MEMFD_SIZE / SZ_4K) * SZ_4K;
		cmd.check_refs.uptr = off + (uintptr_t)(r ? env.sealmap :
							    env.memmap);
		if (cmd.check_refs.length > MEMFD_SIZE - off)
			cmd.check_refs.length = MEMFD_SIZE - off;
	} else {
		cmd.check_refs.uptr = rand_va(f, cmd.check_refs.length);
	}
	cmd.check_refs.refs = rnd(f, 4) ? rnd(f, 3) : rnd64(f);
	snprintf(desc, sizeof(desc), "uptr=%s len=0x%llx refs=%u",
		 va_name(cmd.check_refs.uptr, vbuf, sizeof(vbuf)),
		 (unsigned long long)cmd.check_refs.length,
		 cmd.check_refs.refs);
	e = check_refs_errno(f, cmd.check_refs.uptr, cmd.check_refs.length,
			     cmd.check_refs.refs);
	if (e != UNSURE)
		predict(&c, -e);
	test_call(f, &c, &cmd, desc);
}

static void t_create_access(struct fz *f)
{
	struct iommu_test_cmd cmd = { .op = IOMMU_TEST_OP_CREATE_ACCESS };
	struct call c = { .kind = K_T_CREATE_ACCESS };
	struct access *a;
	struct mobj *o;
	char desc[32];

	if (f->nacc == MAX_ACCESS)
		return;
	cmd.id = pick_id(f, O_IOAS);
	cmd.create_access.flags = rnd(f, 10) ?
		rnd(f, 5) ? MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES : 0 :
		rnd64(f);
	snprintf(desc, sizeof(desc), "flags=0x%x", cmd.create_access.flags);
	/* One that pins pages needs areas on whole pages */
	o = obj_of(f, cmd.id, O_IOAS);
	if (cmd.create_access.flags & ~MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES)
		predict(&c, EOPNOTSUPP);
	else if (!o)
		predict(&c, ENOENT);
	else if (cmd.create_access.flags && !areas_allow(o, CPU_PAGE))
		predict(&c, EINVAL);
	else
		predict(&c, 0);
	if (!test_call(f, &c, &cmd, desc))
		return;
	if (!o) {
		fail(f, "access attached to %u, no IOAS in the model", cmd.id);
		close(cmd.create_access.out_access_fd);
		return;
	}
	a = &f->acc[f->nacc++];
	memset(a, 0, sizeof(*a));
	a->fd = cmd.create_access.out_access_fd;
	a->ioas = cmd.id;
	a->pin = cmd.create_access.flags;
	o->naccess++;
	o->npinacc += a->pin;
}

/* An access fd, or something that is not one */
static int pick_access_fd(struct fz *f)
{
	unsigned int r = rnd(f, 100);

	if (r < 80 && f->nacc)
		return f->acc[rnd(f, f->nacc)].fd;
	if (r < 85)
		return f->fd;
	if (r < 90)
		return env.memfd;
	if (r < 95)
		return env.closed_fd;
	return rnd(f, 2) ? -1 : (int)rnd64(f);
}

/* Lengths for ACCESS_PAGES: the kernel allocates a page pointer array
 * for the whole length before looking at the range, so lengths between
 * 64 MiB and 2^44 (arrays of 128 KiB to 2 GiB) are left out on purpose.
 */
static __u64 access_len(struct fz *f)
{
	unsigned int r = rnd(f, 100);

	if (r < 75)
		return 1 + rnd(f, 16 * SZ_4K);
	if (r < 85)
		return 0;
	if (r < 92)
		return (1 + rnd(f, 16384)) * SZ_4K;
	return rnd(f, 2) ? UINT64_MAX : 1ULL << (44 + rnd(f, 19));
}

static void t_access_pages(struct fz *f)
{
	struct iommu_test_cmd cmd = { .op = IOMMU_TEST_OP_ACCESS_PAGES };
	struct call c = { .kind = K_T_ACCESS_PAGES };
	char desc[96], vbuf[32];
	__u64 iova, last = 0;
	struct pinset ps;
	struct access *a;
	struct mobj *o;
	bool write;
	int e;

	cmd.id = pick_access_fd(f);
	a = access_of(f, cmd.id);
	o = a ? obj_of(f, a->ioas, O_IOAS) : NULL;
	if (o && o->nareas && rnd(f, 4)) {
		struct area *ar = &o->areas[rnd(f, o->nareas)];
		__u64 len = ar->last - ar->start + 1;
		__u64 off = len ? rnd_below(f, len) : rnd64(f);

		cmd.access_pages.iova = ar->start + off;
		cmd.access_pages.length = 1 + rnd_below(f, len - off ?: 1);
	} else {
		cmd.access_pages.iova = rand_iova(f, a ? a->ioas : 0) +
					(rnd(f, 4) ? 0 : rnd(f, SZ_4K));
		cmd.access_pages.length = access_len(f);
	}
	cmd.access_pages.flags = rnd(f, 10) ? rnd(f, 2) :
				 rnd(f, 2) ? MOCK_FLAGS_ACCESS_SYZ : rnd64(f);
	if (!rnd(f, 8))
		cmd.access_pages.uptr = rand_va(f, cmd.access_pages.length);
	snprintf(desc, sizeof(desc), "flags=0x%x iova=0x%llx len=0x%llx uptr=%s",
		 cmd.access_pages.flags,
		 (unsigned long long)cmd.access_pages.iova,
		 (unsigned long long)cmd.access_pages.length,
		 va_name(cmd.access_pages.uptr, vbuf, sizeof(vbuf)));
	iova = cmd.access_pages.iova;
	write = cmd.access_pages.flags & MOCK_FLAGS_ACCESS_WRITE;
	/* In the order the kernel checks */
	if (cmd.access_pages.flags &
	    ~(MOCK_FLAGS_ACCESS_WRITE | MOCK_FLAGS_ACCESS_SYZ)) {
		predict(&c, EOPNOTSUPP);
	} else if (!cmd.access_pages.length) {
		predict(&c, EINVAL);
	} else if (__builtin_add_overflow(iova, cmd.access_pages.length - 1,
					  &last)) {
		predict(&c, EOVERFLOW);
	} else if (!a || !o) {
		predict(&c, EBADFD);
	} else if (last / CPU_PAGE - iova / CPU_PAGE >=
		   INT_MAX / sizeof(void *)) {
		/* The test's own array of page pointers */
		predict(&c, ENOMEM);
	} else if ((last / CPU_PAGE - iova / CPU_PAGE) * sizeof(void *) >=
		   LIST_SURE_BYTES) {
		/* Might be allocated */
	} else if (!a->pin) {
		predict(&c, EINVAL);
	} else {
		/* Pin on demand: what nothing pins yet is pinned now */
		pinset_init(f, &ps);
		e = access_range(o, iova, last, write);
		if (!e)
			e = sim_access_pin(f, &ps, o, iova, last);
		free(ps.r);
		if (e && !ps.unsure) {
			predict(&c, -e);
		} else if (!ps.unsure) {
			predict(&c, 0);
			/* The pages against the user's buffer */
			if (cmd.access_pages.uptr) {
				also(&c, EINVAL);
				also(&c, EFAULT);
			}
		}
	}
	if (!test_call(f, &c, &cmd, desc))
		return;
	if (!a || !o) {
		fail(f, "ACCESS_PAGES on fd %d, no access of the model",
		     (int)cmd.id);
		return;
	}
	if (cmd.access_pages.out_access_pages_id != ++a->next_id)
		fail(f, "ACCESS_PAGES gave pin %u, the model expects %u",
		     cmd.access_pages.out_access_pages_id, a->next_id);
	pin_add(a, cmd.access_pages.out_access_pages_id, iova, last);
}

static void t_destroy_access_pages(struct fz *f)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_DESTROY_ACCESS_PAGES,
	};
	struct call c = { .kind = K_T_DESTROY_ACCESS_PAGES };
	struct access *a;
	unsigned int i;
	char desc[32];

	cmd.id = pick_access_fd(f);
	a = access_of(f, cmd.id);
	if (a && a->npins && rnd(f, 4))
		cmd.destroy_access_pages.access_pages_id =
			a->pins[rnd(f, a->npins)].id;
	else
		cmd.destroy_access_pages.access_pages_id =
			rnd(f, 2) ? rnd(f, 8) : rnd64(f);
	snprintf(desc, sizeof(desc), "pin=%u",
		 cmd.destroy_access_pages.access_pages_id);
	for (i = 0; a && i != a->npins; i++)
		if (a->pins[i].id == cmd.destroy_access_pages.access_pages_id)
			break;
	predict(&c, !a ? EBADFD : i == a->npins ? ENOENT : 0);
	if (!test_call(f, &c, &cmd, desc))
		return;
	if (!a || i == a->npins)
		fail(f, "unpinned %u through fd %d, which the model does not have",
		     cmd.destroy_access_pages.access_pages_id, (int)cmd.id);
	else
		a->pins[i] = a->pins[--a->npins];
}

/* Can the test copy @len bytes from (to, with @to) user memory at @uptr? */
static bool user_ok(__u64 uptr, __u64 len, bool to)
{
	__u64 end = (uintptr_t)(to ? env.robuf : env.robuf + RO_SIZE);

	return uptr >= (uintptr_t)env.buf && uptr <= end && len <= end - uptr;
}

/*
 * TEST ACCESS_RW through access @a, after its own checks: the user's
 * buffer is read for a write, then the range (page by page on the slow
 * path) is checked and its pages pinned for the copy, then the buffer is
 * written for a read. 0, -errno, or UNSURE.
 */
static int access_rw_errno(struct fz *f, struct access *a, __u64 iova,
			   __u64 len, __u64 uptr, unsigned int flags)
{
	struct mobj *o = obj_of(f, a->ioas, O_IOAS);
	bool write = flags & MOCK_ACCESS_RW_WRITE;
	__u64 done = 0, chunk = len, n[NR_CH];
	unsigned int keep;
	struct pinset ps;
	int e = 0;

	if (write && !user_ok(uptr, len, false))
		return -EFAULT;
	pinset_init(f, &ps);
	keep = ps.n;
	memcpy(n, ps.charged, sizeof(n));
	while (!e && done != len) {
		if (flags & MOCK_ACCESS_RW_SLOW_PATH) {
			chunk = CPU_PAGE - ((iova + done) & (CPU_PAGE - 1));
			if (chunk > len - done)
				chunk = len - done;
		}
		e = access_range(o, iova + done, iova + done + chunk - 1,
				 write);
		if (!e)
			e = sim_access_pin(f, &ps, o, iova + done,
					   iova + done + chunk - 1);
		/* Unpinned after the copy */
		ps.n = keep;
		memcpy(ps.charged, n, sizeof(n));
		done += chunk;
	}
	free(ps.r);
	if (ps.unsure)
		return UNSURE;
	if (!e && !write && !user_ok(uptr, len, true))
		e = -EFAULT;
	return e;
}

static void t_access_rw(struct fz *f)
{
	struct iommu_test_cmd cmd = { .op = IOMMU_TEST_OP_ACCESS_RW };
	struct call c = { .kind = K_T_ACCESS_RW };
	char desc[96], vbuf[32];
	struct access *a;
	struct mobj *o;
	__u64 last;
	int e;

	cmd.id = pick_access_fd(f);
	a = access_of(f, cmd.id);
	o = a ? obj_of(f, a->ioas, O_IOAS) : NULL;
	if (o && o->nareas && rnd(f, 4)) {
		struct area *ar = &o->areas[rnd(f, o->nareas)];
		__u64 len = ar->last - ar->start + 1;
		__u64 off = len ? rnd_below(f, len) : rnd64(f);
		__u64 max = len - off > SZ_256K ? SZ_256K : len - off;

		cmd.access_rw.iova = ar->start + off;
		cmd.access_rw.length = 1 + rnd_below(f, max ?: SZ_256K);
	} else {
		cmd.access_rw.iova = rand_iova(f, a ? a->ioas : 0) +
				     rnd(f, SZ_4K);
		cmd.access_rw.length = rnd(f, 8) ? 1 + rnd(f, SZ_256K) :
				       rnd(f, 2) ? (16 * SZ_1M) + rnd(f, 2) :
						   rand_len(f);
	}
	cmd.access_rw.flags = rnd(f, 10) ? rnd(f, 2) | (rnd(f, 2) << 2) :
					   rnd64(f);
	cmd.access_rw.uptr = rnd(f, 8) ? (uintptr_t)env.buf :
					 rand_va(f, cmd.access_rw.length);
	snprintf(desc, sizeof(desc), "flags=0x%x iova=0x%llx len=0x%llx uptr=%s",
		 cmd.access_rw.flags, (unsigned long long)cmd.access_rw.iova,
		 (unsigned long long)cmd.access_rw.length,
		 va_name(cmd.access_rw.uptr, vbuf, sizeof(vbuf)));
	/* In the order the kernel checks */
	if (cmd.access_rw.flags &
	    ~(MOCK_ACCESS_RW_WRITE | MOCK_ACCESS_RW_SLOW_PATH)) {
		predict(&c, EOPNOTSUPP);
	} else if (!cmd.access_rw.length ||
		   cmd.access_rw.length > 16 * SZ_1M) {
		predict(&c, EINVAL);
	} else if (__builtin_add_overflow(cmd.access_rw.iova,
					  cmd.access_rw.length - 1, &last)) {
		predict(&c, EOVERFLOW);
	} else if (!a || !o) {
		predict(&c, EBADFD);
	} else {
		e = access_rw_errno(f, a, cmd.access_rw.iova,
				    cmd.access_rw.length, cmd.access_rw.uptr,
				    cmd.access_rw.flags);
		if (e != UNSURE)
			predict(&c, -e);
	}
	if (test_call(f, &c, &cmd, desc) && !a)
		fail(f, "ACCESS_RW through fd %d, no access of the model",
		     (int)cmd.id);
}

static void t_set_limit(struct fz *f)
{
	static const __u32 limits[] = { 0, 1, 8, 64, 4096 };
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_SET_TEMP_MEMORY_LIMIT,
	};
	struct call c = { .kind = K_T_SET_LIMIT };
	char desc[32];

	cmd.memory_limit.limit = rnd(f, 6) ? limits[rnd(f, 5)] : rnd64(f);
	snprintf(desc, sizeof(desc), "limit=%u", cmd.memory_limit.limit);
	test_call(f, &c, &cmd, desc);
}

static void t_replace(struct fz *f)
{
	struct iommu_test_cmd cmd = { .op = IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE };
	struct call c = { .kind = K_T_REPLACE };
	__u32 pt, want;
	struct mobj *s;
	char desc[32];

	cmd.id = pick_id(f, O_STDEV);
	pt = rnd(f, 2) ? pick_id(f, O_IOAS) : pick_id(f, O_HWPT);
	cmd.mock_domain_replace.pt_id = pt;
	snprintf(desc, sizeof(desc), "pt=%u", pt);
	s = obj_of(f, cmd.id, O_STDEV);
	if (s)
		predict_attach(f, &c, pt, &want, s->pasid);
	else
		predict(&c, ENOENT);
	if (!test_call(f, &c, &cmd, desc))
		return;
	s = obj_of(f, cmd.id, O_STDEV);
	if (!s) {
		fail(f, "replaced on %u, no mock device in the model", cmd.id);
		return;
	}
	if (want && cmd.mock_domain_replace.pt_id != want) {
		fail(f, "mock device moved to %u got HWPT %u, the model has %u",
		     pt, cmd.mock_domain_replace.pt_id, want);
		return;
	}
	if (cmd.mock_domain_replace.pt_id == s->hwpt)
		return;
	if (!hwpt_get(f, cmd.mock_domain_replace.pt_id, pt, s->pasid))
		return;
	hwpt_put(f, s->hwpt);
	s->hwpt = cmd.mock_domain_replace.pt_id;
}

static void t_access_replace(struct fz *f)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_ACCESS_REPLACE_IOAS,
	};
	struct call c = { .kind = K_T_ACCESS_REPLACE };
	struct access *a;
	struct mobj *o;
	char desc[32];

	cmd.id = pick_access_fd(f);
	cmd.access_replace_ioas.ioas_id = pick_id(f, O_IOAS);
	snprintf(desc, sizeof(desc), "ioas=%u",
		 cmd.access_replace_ioas.ioas_id);
	a = access_of(f, cmd.id);
	o = obj_of(f, cmd.access_replace_ioas.ioas_id, O_IOAS);
	/* One that pins pages needs areas on whole pages */
	if (!a)
		predict(&c, EBADFD);
	else if (!o)
		predict(&c, ENOENT);
	else if (a->ioas != cmd.access_replace_ioas.ioas_id && a->pin &&
		 !areas_allow(o, CPU_PAGE))
		predict(&c, EINVAL);
	else
		predict(&c, 0);
	if (!test_call(f, &c, &cmd, desc))
		return;
	if (!a || !o) {
		fail(f, "access replace succeeded for objects the model does not have");
		return;
	}
	if (a->ioas == cmd.access_replace_ioas.ioas_id)
		return;
	f->obj[a->ioas].naccess--;
	f->obj[a->ioas].npinacc -= a->pin;
	a->ioas = cmd.access_replace_ioas.ioas_id;
	o->naccess++;
	o->npinacc += a->pin;
	/* The unmap callback released every pin before the move */
	a->npins = 0;
}

/*
 * The test ops past MOCK_DOMAIN_FLAGS, and 0 and past the last: the
 * unimplemented ones fail with EOPNOTSUPP. The model has no nested HWPT
 * (MD_CHECK_IOTLB: ENOENT) and never changes a device cache from its
 * default (DEV_CHECK_CACHE of 0: EINVAL); TRIGGER_VEVENT names device
 * ID 0, which never exists (ENOENT). The PASID ops name PASID 1
 * (0 is the RID) and no HWPT: attach and replace fail, a detach and a
 * check of nothing attached succeed on a PASID-capable device, while a
 * device without PASIDs may refuse PASID 1 (EINVAL).
 */
static void t_other(struct fz *f)
{
	struct iommu_test_cmd cmd = {};
	struct call c = { .kind = K_T_OTHER };
	bool may_succeed = false;
	const char *desc = "";
	struct mobj *s;

	cmd.op = rnd(f, 4) ? IOMMU_TEST_OP_DIRTY + rnd(f, 9) :
			     rnd(f, 2) ? 0 : 22 + rnd(f, 1 << 20);
	cmd.id = pick_id(f, O_IOAS);
	s = obj_of(f, cmd.id, O_STDEV);
	switch (cmd.op) {
	case IOMMU_TEST_OP_MD_CHECK_IOTLB:
	case IOMMU_TEST_OP_TRIGGER_VEVENT:
		predict(&c, ENOENT);
		break;
	case IOMMU_TEST_OP_DEV_CHECK_CACHE:
		predict(&c, obj_of(f, cmd.id, O_IDEV) ? EINVAL : ENOENT);
		break;
	case IOMMU_TEST_OP_PASID_ATTACH:
	case IOMMU_TEST_OP_PASID_REPLACE:
		/* one layout for the four: pasid first */
		cmd.pasid_attach.pasid = 1;
		desc = "pasid=1";
		predict(&c, ENOENT);
		if (s)
			also(&c, EINVAL);
		break;
	case IOMMU_TEST_OP_PASID_DETACH:
	case IOMMU_TEST_OP_PASID_CHECK_HWPT:
		cmd.pasid_attach.pasid = 1;
		desc = "pasid=1";
		may_succeed = s;
		predict(&c, s ? 0 : ENOENT);
		if (s && !s->pasid)
			also(&c, EINVAL);
		break;
	default:
		predict(&c, EOPNOTSUPP);
	}
	if (test_call(f, &c, &cmd, desc) && !may_succeed)
		fail(f, "test op %u succeeded", cmd.op);
}

static void k_close_access(struct fz *f)
{
	struct call c = { .kind = K_CLOSE_ACCESS };
	unsigned int i;
	struct access *a;

	if (!f->nacc)
		return;
	i = rnd(f, f->nacc);
	a = &f->acc[i];
	snprintf(c.desc, sizeof(c.desc), "fd=%d", a->fd);
	f->ncall++;
	c.ret = close(a->fd);
	c.err = c.ret ? errno : 0;
	judge(f, &c);
	/* Detaching releases the pins */
	if (obj_of(f, a->ioas, O_IOAS)) {
		f->obj[a->ioas].naccess--;
		f->obj[a->ioas].npinacc -= a->pin;
	}
	free(a->pins);
	f->acc[i] = f->acc[--f->nacc];
}

/* ------------------------------------------------------------------ */
/* VFIO type1 on /dev/iommu                                            */

/* Plain ioctl with its argument in the slot; bytes from @keep on must
 * stay as they were
 */
static long vfio_call(struct fz *f, struct call *c, unsigned long nr,
		      unsigned long arg, size_t keep)
{
	unsigned char before[ARG_ROOM];

	memcpy(before, env.slot, ARG_ROOM);
	f->ncall++;
	c->ret = ioctl(f->fd, nr, arg);
	c->err = c->ret < 0 ? errno : 0;
	if (keep < ARG_ROOM &&
	    memcmp(before + keep, env.slot + keep, ARG_ROOM - keep))
		fail(f, "%s: the kernel wrote past byte %zu (argsz)",
		     cmd_descs[c->kind].name, keep);
	return c->ret;
}

static void v_api_version(struct fz *f)
{
	struct call c = { .kind = K_VFIO_API_VERSION };

	snprintf(c.desc, sizeof(c.desc), "-");
	predict(&c, 0);
	if (vfio_call(f, &c, VFIO_GET_API_VERSION, 0, 0) != VFIO_API_VERSION &&
	    !c.err)
		fail(f, "VFIO_GET_API_VERSION = %ld", c.ret);
	judge(f, &c);
}

static void v_check_ext(struct fz *f)
{
	struct call c = { .kind = K_VFIO_CHECK_EXT };
	unsigned long ext = rnd(f, 4) ? rnd(f, 12) : rnd64(f);
	long want = ext == VFIO_TYPE1_IOMMU || ext == VFIO_TYPE1v2_IOMMU ||
		    ext == VFIO_UNMAP_ALL || ext == VFIO_DMA_CC_IOMMU;

	snprintf(c.desc, sizeof(c.desc), "ext=%lu", ext);
	predict(&c, 0);
	/*
	 * Cache coherency depends on the HWPTs of the compat IOAS (0 or
	 * 1), and without one it is ENODEV (both new; it used to be 1).
	 */
	if (ext == VFIO_DMA_CC_IOMMU && !f->vfio_ioas)
		also(&c, ENODEV);
	vfio_call(f, &c, VFIO_CHECK_EXTENSION, ext, 0);
	if (!c.err && c.ret != want &&
	    !(ext == VFIO_DMA_CC_IOMMU && f->vfio_ioas && c.ret == 0))
		fail(f, "VFIO_CHECK_EXTENSION(%lu) = %ld, want %ld", ext,
		     c.ret, want);
	judge(f, &c);
}

/* Learn the compat IOAS after SET_IOMMU made one */
static void learn_vfio_ioas(struct fz *f)
{
	struct iommu_vfio_ioas cmd = {
		.size = sizeof(cmd),
		.op = IOMMU_VFIO_IOAS_GET,
	};
	struct call c = { .kind = K_VFIO_IOAS };

	snprintf(c.desc, sizeof(c.desc), "GET after SET_IOMMU");
	predict(&c, 0);
	memcpy(env.slot, &cmd, sizeof(cmd));
	if (!native(f, &c, IOMMU_VFIO_IOAS, &cmd, sizeof(cmd), sizeof(cmd),
		    env.slot))
		return;
	if (f->vfio_ioas) {
		if (cmd.ioas_id != f->vfio_ioas)
			fail(f, "SET_IOMMU replaced the compat IOAS %u by %u",
			     f->vfio_ioas, cmd.ioas_id);
		return;
	}
	if (obj_new(f, cmd.ioas_id, O_IOAS))
		f->vfio_ioas = cmd.ioas_id;
}

static void v_set_iommu(struct fz *f)
{
	struct call c = { .kind = K_VFIO_SET_IOMMU };
	unsigned long type = rnd(f, 4) ? (rnd(f, 2) ? VFIO_TYPE1v2_IOMMU :
						      VFIO_TYPE1_IOMMU) :
					 rnd(f, 2) ? rnd(f, 12) : rnd64(f);
	bool valid = type == VFIO_TYPE1_IOMMU || type == VFIO_TYPE1v2_IOMMU;

	snprintf(c.desc, sizeof(c.desc), "type=%lu", type);
	if (!valid) {
		/* ENODEV: the coming check may come first. TODO: tighten */
		predict(&c, EINVAL);
		also(&c, ENODEV);
	}
	vfio_call(f, &c, VFIO_SET_IOMMU, type, 0);
	if (!judge(f, &c))
		return;
	f->set_iommu_done = true;
	learn_vfio_ioas(f);
	learn_small_pages(f);
}

static void v_get_info(struct fz *f)
{
	struct vfio_iommu_type1_info *info = (void *)env.slot;
	struct call c = { .kind = K_VFIO_GET_INFO };
	static const __u32 sizes[] = { 0, 8, 16, 20, 24, 32, 64, 256 };
	__u32 argsz = sizes[rnd(f, ARRAY_SIZE(sizes))];
	struct vfio_iommu_type1_info_cap_iova_range *cap;
	unsigned long arg = (uintptr_t)env.slot;
	__u32 i;

	memset(env.slot, 0, ARG_ROOM);
	info->argsz = argsz;
	if (!rnd(f, 20))
		arg = rnd(f, 2) ? 0 : (uintptr_t)env.guard - 8;
	if (!f->vfio_ioas && arg == (uintptr_t)env.slot) {
		/* ENODEV: once GET_INFO needs SET_IOMMU. TODO: tighten */
		predict(&c, EINVAL);
		also(&c, ENODEV);
	}
	snprintf(c.desc, sizeof(c.desc), "argsz=%u%s", argsz,
		 arg == (uintptr_t)env.slot ? "" : " bad pointer");
	vfio_call(f, &c, VFIO_IOMMU_GET_INFO, arg, argsz > 24 ? argsz : 24);
	if (!judge(f, &c) || arg != (uintptr_t)env.slot)
		return;
	/*
	 * Every power of two from the IOAS's alignment up, but never below
	 * a CPU page, as type1 says; no IOAS here asks for more than that
	 */
	if (!(info->flags & VFIO_IOMMU_INFO_PGSIZES) ||
	    info->iova_pgsizes != ~(__u64)(CPU_PAGE - 1))
		fail(f, "GET_INFO flags 0x%x pgsizes 0x%llx", info->flags,
		     (unsigned long long)info->iova_pgsizes);
	if (argsz < 20)
		return;
	if (argsz < 24 && memcmp(env.slot + argsz, "\0\0\0\0", 24 - argsz))
		fail(f, "GET_INFO with argsz %u wrote bytes up to 24", argsz);
	if (!info->cap_offset)
		return;
	cap = (void *)(env.slot + info->cap_offset);
	if (info->cap_offset != sizeof(*info) ||
	    cap->header.id != VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE) {
		fail(f, "GET_INFO capability at %u, id %u", info->cap_offset,
		     cap->header.id);
		return;
	}
	for (i = 0; i != cap->nr_iovas; i++) {
		struct vfio_iova_range *r = &cap->iova_ranges[i];

		if ((char *)(r + 1) > env.slot + argsz)
			break;
		if (r->start > r->end ||
		    (i && r->start <= cap->iova_ranges[i - 1].end))
			fail(f, "GET_INFO IOVA range %u out of order", i);
	}
}

static void v_map_dma(struct fz *f)
{
	struct vfio_iommu_type1_dma_map *map = (void *)env.slot;
	struct call c = { .kind = K_VFIO_MAP_DMA };
	unsigned long arg = (uintptr_t)env.slot;
	__u32 mi = UINT32_MAX;
	struct area a = {};
	struct mobj *o;
	char vbuf[32];
	__u64 end;

	memset(env.slot, 0, ARG_ROOM);
	map->argsz = rnd(f, 10) ? sizeof(*map) : rnd(f, 64);
	map->flags = rnd(f, 10) ? 1 + rnd(f, 3) : rnd64(f);
	map->size = rand_len(f);
	map->vaddr = rand_va(f, map->size);
	map->iova = rand_iova(f, f->vfio_ioas);
	if (!rnd(f, 30))
		arg = 0;
	o = obj_of(f, f->vfio_ioas, O_IOAS);
	a.pw = map->flags & VFIO_DMA_MAP_FLAG_WRITE;
	a.w = a.pw;
	if (!arg) {
		predict(&c, EFAULT);
	} else if (map->argsz < sizeof(*map) || !map->size ||
		   (map->flags & ~(__u32)(VFIO_DMA_MAP_FLAG_READ |
					  VFIO_DMA_MAP_FLAG_WRITE)) ||
		   __builtin_add_overflow(map->iova, map->size - 1, &end) ||
		   __builtin_add_overflow(map->vaddr, map->size, &end)) {
		predict(&c, EINVAL);
	} else if (!o) {
		/* The lead's change: ENODEV before SET_IOMMU. TODO */
		predict(&c, EINVAL);
		also(&c, ENODEV);
	} else {
		a.moff = map->vaddr & (CPU_PAGE - 1);
		mi = mem_new(f, MEM_USER, map->vaddr, map->size, a.pw,
			     map_charge(f, true));
		a.mem = mi;
		/* Nearly 2^64 bytes: EINVAL, as upstream answers */
		predict_map(f, &c, o, mi, a.moff, map->size, map->iova, true,
			    map->size > UINT64_MAX - CPU_PAGE ? EINVAL : 0);
	}
	snprintf(c.desc, sizeof(c.desc),
		 "argsz=%u flags=0x%x va=%s iova=0x%llx size=0x%llx",
		 map->argsz, map->flags, va_name(map->vaddr, vbuf, sizeof(vbuf)),
		 (unsigned long long)map->iova, (unsigned long long)map->size);
	vfio_call(f, &c, VFIO_IOMMU_MAP_DMA, arg, sizeof(*map));
	if (!judge(f, &c)) {
		if (mi != UINT32_MAX)
			mem_drop(f, mi);
		return;
	}
	if (mi == UINT32_MAX) {
		fail(f, "MAP_DMA succeeded with no compat IOAS in the model");
		return;
	}
	model_map(f, f->vfio_ioas, map->iova, map->size, &a, true, map->iova);
}

static void v_unmap_dma(struct fz *f)
{
	struct vfio_iommu_type1_dma_unmap *unmap = (void *)env.slot;
	struct call c = { .kind = K_VFIO_UNMAP_DMA };
	struct mobj *o = obj_of(f, f->vfio_ioas, O_IOAS);
	unsigned long arg = (uintptr_t)env.slot;
	__u64 bytes = 0, last = 0;
	bool sticks = false, all, ranged = false;

	memset(env.slot, 0, ARG_ROOM);
	unmap->argsz = rnd(f, 10) ? sizeof(*unmap) : rnd(f, 64);
	unmap->flags = rnd(f, 10) ? (rnd(f, 4) ? 0 : VFIO_DMA_UNMAP_FLAG_ALL) :
				    rnd64(f);
	if (o && o->nareas && rnd(f, 2)) {
		struct area *a = &o->areas[rnd(f, o->nareas)];

		unmap->iova = a->start;
		unmap->size = a->last - a->start + 1;
		if (!rnd(f, 4))
			unmap->size += SZ_4K;
		if (!rnd(f, 6))
			unmap->iova += SZ_4K;
	} else {
		unmap->iova = rand_iova(f, f->vfio_ioas);
		unmap->size = rand_len(f);
	}
	if (unmap->flags == VFIO_DMA_UNMAP_FLAG_ALL && rnd(f, 4)) {
		unmap->iova = 0;
		unmap->size = 0;
	}
	if (!rnd(f, 30))
		arg = 0;
	all = unmap->flags == VFIO_DMA_UNMAP_FLAG_ALL;
	if (arg && unmap->argsz >= offsetof(typeof(*unmap), size) + sizeof(__u64) &&
	    (unmap->flags & ~VFIO_DMA_UNMAP_FLAG_ALL) == 0) {
		if (all && !unmap->iova && !unmap->size) {
			bytes = o ? areas_total(o) : 0;
			predict(&c, 0);
		} else if (!all && unmap->size &&
			   !__builtin_add_overflow(unmap->iova, unmap->size - 1,
						   &last)) {
			ranged = true;
			if (o)
				areas_in(o, unmap->iova, last, &bytes, &sticks);
			predict(&c, sticks ? EINVAL : 0);
			/*
			 * With huge pages off (the v1 API) the areas are
			 * first cut at the ends of the range, if they all
			 * can be; then nothing sticks out.
			 */
			if (o && o->small_pages)
				predict(&c, -cuts_errno(f, f->vfio_ioas,
							unmap->iova, last));
		}
		if (!o) {
			/* No compat IOAS: EINVAL, ENODEV to come. TODO */
			predict(&c, EINVAL);
			also(&c, ENODEV);
		} else if (!f->set_iommu_done) {
			/* ENODEV before SET_IOMMU, to come. TODO: tighten */
			also(&c, ENODEV);
		}
	}
	snprintf(c.desc, sizeof(c.desc), "argsz=%u flags=0x%x iova=0x%llx size=0x%llx",
		 unmap->argsz, unmap->flags, (unsigned long long)unmap->iova,
		 (unsigned long long)unmap->size);
	vfio_call(f, &c, VFIO_IOMMU_UNMAP_DMA, arg, sizeof(*unmap));
	/* A failed cut cuts nothing */
	if (!judge(f, &c))
		return;
	if (!o) {
		fail(f, "UNMAP_DMA succeeded with no compat IOAS in the model");
		return;
	}
	if (ranged)
		bytes = overlap_bytes(o, unmap->iova, last);
	if (unmap->size != bytes) {
		fail(f, "UNMAP_DMA reported 0x%llx bytes, the model had 0x%llx",
		     (unsigned long long)unmap->size,
		     (unsigned long long)bytes);
		return;
	}
	if (all) {
		unmap_releases(f, f->vfio_ioas, 0, UINT64_MAX);
		o->nareas = 0;
	} else {
		/* The cuts made nothing stick out */
		if (o->small_pages) {
			area_split(o, unmap->iova);
			if (last != UINT64_MAX)
				area_split(o, last + 1);
		}
		unmap_releases(f, f->vfio_ioas, unmap->iova, last);
		model_unmapped(o, unmap->iova, last);
	}
}

static void v_unknown(struct fz *f)
{
	static const unsigned int known[] = { 100, 101, 102, 112, 113, 114 };
	struct call c = { .kind = K_VFIO_UNKNOWN };
	unsigned long cmd;
	unsigned int nr, i;

	if (rnd(f, 2)) {
		do {
			nr = rnd(f, 0x80);
			for (i = 0; i != ARRAY_SIZE(known); i++)
				if (known[i] == nr)
					break;
		} while (i != ARRAY_SIZE(known));
		cmd = _IO(VFIO_TYPE, nr);
	} else {
		/* A known number with size bits, or of another type */
		nr = known[rnd(f, ARRAY_SIZE(known))];
		cmd = rnd(f, 2) ? _IOR(VFIO_TYPE, nr, __u32) : _IO('x', nr);
	}
	memset(env.slot, 0, ARG_ROOM);
	snprintf(c.desc, sizeof(c.desc), "cmd=0x%lx", cmd);
	vfio_call(f, &c, cmd, (uintptr_t)env.slot, 0);
	judge(f, &c);
}

/* ------------------------------------------------------------------ */
/* Sequences                                                           */

static void t_mock_plain(struct fz *f)
{
	t_mock_domain(f, false);
}

static void t_mock_flags(struct fz *f)
{
	t_mock_domain(f, true);
}

static void (*const generators[NR_KINDS])(struct fz *f) = {
	[K_DESTROY] = k_destroy,
	[K_IOAS_ALLOC] = k_ioas_alloc,
	[K_ALLOW_IOVAS] = k_allow_iovas,
	[K_COPY] = k_copy,
	[K_IOVA_RANGES] = k_iova_ranges,
	[K_MAP] = k_map,
	[K_UNMAP] = k_unmap,
	[K_OPTION] = k_option,
	[K_VFIO_IOAS] = k_vfio_ioas,
	[K_HWPT_ALLOC] = k_hwpt_alloc,
	[K_GET_HW_INFO] = k_get_hw_info,
	[K_MAP_FILE] = k_map_file,
	[K_UNKNOWN_CMD] = k_unknown,
	[K_DECLARED] = k_declared,
	[K_T_ADD_RESERVED] = t_add_reserved,
	[K_T_MOCK_DOMAIN] = t_mock_plain,
	[K_T_CHECK_MAP] = t_check_map,
	[K_T_CHECK_REFS] = t_check_refs,
	[K_T_CREATE_ACCESS] = t_create_access,
	[K_T_DESTROY_ACCESS_PAGES] = t_destroy_access_pages,
	[K_T_ACCESS_PAGES] = t_access_pages,
	[K_T_ACCESS_RW] = t_access_rw,
	[K_T_SET_LIMIT] = t_set_limit,
	[K_T_REPLACE] = t_replace,
	[K_T_ACCESS_REPLACE] = t_access_replace,
	[K_T_MOCK_FLAGS] = t_mock_flags,
	[K_T_OTHER] = t_other,
	[K_VFIO_API_VERSION] = v_api_version,
	[K_VFIO_CHECK_EXT] = v_check_ext,
	[K_VFIO_SET_IOMMU] = v_set_iommu,
	[K_VFIO_GET_INFO] = v_get_info,
	[K_VFIO_MAP_DMA] = v_map_dma,
	[K_VFIO_UNMAP_DMA] = v_unmap_dma,
	[K_VFIO_UNKNOWN] = v_unknown,
	[K_CLOSE_ACCESS] = k_close_access,
};

/* One random call, chosen by the weights of cmd_descs[] */
static void step(struct fz *f)
{
	static unsigned int total;
	unsigned int k, r;

	if (!total)
		for (k = 0; k != NR_KINDS; k++)
			total += cmd_descs[k].weight;
	r = rnd(f, total);
	for (k = 0; r >= cmd_descs[k].weight; k++)
		r -= cmd_descs[k].weight;
	generators[k](f);
}

/*
 * End of a sequence, file still open: IOVA ranges of every IOAS, and for
 * some of them IOAS_UNMAP of everything against the model; the others
 * go with the file.
 */
static void final_checks(struct fz *f)
{
	struct iommu_iova_range *r = env.ranges;
	__u32 id, num;
	__u64 align, len;

	check_charges(f, true);
	for (id = 1; id <= f->max_id && !f->failed; id++) {
		struct mobj *o = obj_of(f, id, O_IOAS);

		if (!o)
			continue;
		num = 256;
		if (iova_ranges(f->fd, id, r, &num, &align)) {
			fail(f, "final IOVA_RANGES of IOAS %u: %s", id,
			     errno_name(errno));
			return;
		}
		if (align != ioas_align(o)) {
			fail(f, "IOAS %u: out_iova_alignment 0x%llx, the model has 0x%llx",
			     id, (unsigned long long)align,
			     (unsigned long long)ioas_align(o));
			return;
		}
		check_ranges(f, id, r, num, align, true);
		if (f->failed || rnd(f, 2))
			continue;
		len = 0;
		if (ioas_unmap(f->fd, id, 0, UINT64_MAX, &len)) {
			fail(f, "final unmap of everything in IOAS %u: %s", id,
			     errno_name(errno));
			return;
		}
		if (len != areas_total(o))
			fail(f,
			     "unmap of everything in IOAS %u: 0x%llx bytes, the model has 0x%llx in %u areas",
			     id, (unsigned long long)len,
			     (unsigned long long)areas_total(o), o->nareas);
		unmap_releases(f, id, 0, UINT64_MAX);
		o->nareas = 0;
	}
	if (!f->failed)
		check_charges(f, true);
}

static int check_refs_all(int fd)
{
	if (md_check_refs(fd, env.buf, BUF_SIZE, 0))
		return -1;
	if (md_check_refs(fd, env.robuf, RO_SIZE, 0))
		return -2;
	if (md_check_refs(fd, env.memmap, MEMFD_SIZE, 0))
		return -3;
	if (md_check_refs(fd, env.sealmap, MEMFD_SIZE, 0))
		return -4;
	return 0;
}

static void reset_model(struct fz *f)
{
	unsigned int i;
	__u32 id;

	for (id = 1; id <= f->max_id; id++)
		free(f->obj[id].areas);
	for (i = 0; i != f->nacc; i++)
		free(f->acc[i].pins);
	free(f->mems);
	memset(f, 0, sizeof(*f));
	f->fd = -1;
}

/* Run one sequence; true when every check held */
static bool run_sequence(struct fz *f, __u64 seed, bool check_refs)
{
	struct iommu_option opt = {
		.size = sizeof(opt),
		.option_id = IOMMU_OPTION_RLIMIT_MODE,
		.op = IOMMU_OPTION_OP_SET,
		.val64 = 1,
	};
	long pin0 = vmpin_kb(), lck0 = vmlck_kb(), pin1, lck1;
	unsigned int i, n;
	int rc;

	reset_model(f);
	f->seed = seed;
	f->rng = splitmix(seed) | 1;
	f->ch_base[CH_PIN] = pin0 / (CPU_PAGE / 1024);
	f->ch_base[CH_LCK] = lck0 / (CPU_PAGE / 1024);
	memcpy(f->ch_seen, f->ch_base, sizeof(f->ch_seen));
	if (env.verbose)
		note("sequence 0x%llx", (unsigned long long)seed);
	f->fd = open(IOMMUFD_DEV, O_RDWR);
	if (f->fd < 0) {
		fail(f, "open %s: %s", IOMMUFD_DEV, strerror(errno));
		return false;
	}
	if (ioctl(f->fd, IOMMU_OPTION, &opt))
		fail(f, "RLIMIT_MODE 1 on a new context: %s", errno_name(errno));

	n = 50 + rnd(f, 151);
	for (i = 0; i != n && !f->failed; i++) {
		step(f);
		if (!f->failed)
			check_charges(f, false);
	}
	if (!f->failed)
		final_checks(f);

	for (i = 0; i != f->nacc; i++)
		if (close(f->acc[i].fd))
			fail(f, "close of access fd %d: %s", f->acc[i].fd,
			     strerror(errno));
	if (close(f->fd))
		fail(f, "close: %s", strerror(errno));
	f->fd = -1;
	pin1 = vmpin_kb();
	lck1 = vmlck_kb();
	if (pin1 != pin0 || lck1 != lck0)
		fail(f, "after close VmPin %ld kB (was %ld), VmLck %ld kB (was %ld)",
		     pin1, pin0, lck1, lck0);
	if (check_refs || f->failed) {
		rc = check_refs_all(env.checker);
		if (rc)
			fail(f, "after close pages of buffer %d are still pinned",
			     -rc);
	}
	return !f->failed;
}

static void print_counts(void)
{
	unsigned int k;
	int e;

	note("%-28s %8s %8s  %s", "command", "model", "ok",
	     "errors (count)");
	for (k = 0; k != NR_KINDS; k++) {
		char line[400] = "";
		size_t n = 0;

		for (e = 1; e <= MAX_ERRNO && n < sizeof(line); e++)
			if (env.count[k][e])
				n += snprintf(line + n, sizeof(line) - n,
					      "%s%s %lu", n ? ", " : "",
					      errno_name(e), env.count[k][e]);
		note("%-28s %8lu %8lu  %s", cmd_descs[k].name,
		     env.predicted[k], env.count[k][0], line);
	}
}

/* ------------------------------------------------------------------ */
/* Set-up and the tests                                                */

static int drop_ipc_lock(void)
{
	struct __user_cap_header_struct hdr = {
		.version = _LINUX_CAPABILITY_VERSION_3,
	};
	struct __user_cap_data_struct data[2];
	struct rlimit rl = { MEMLOCK_LIMIT, MEMLOCK_LIMIT };

	if (setrlimit(RLIMIT_MEMLOCK, &rl))
		return -1;
	if (syscall(SYS_capget, &hdr, data))
		return -1;
	data[0].effective &= ~(1U << CAP_IPC_LOCK);
	data[0].permitted &= ~(1U << CAP_IPC_LOCK);
	data[0].inheritable &= ~(1U << CAP_IPC_LOCK);
	return syscall(SYS_capset, &hdr, data);
}

static int reopen_memfd(int fd, int flags)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	return open(path, flags);
}

FIXTURE(fuzz) {
	long pins0;
	struct fz *f;
	char *raw;
	size_t raw_len;
};

FIXTURE_SETUP(fuzz)
{
	long pg = sysconf(_SC_PAGESIZE);
	char *p;

	self->pins0 = foll_pins();
	if (geteuid())
		SKIP(return, "needs root (CAP_SYS_RESOURCE)");
	/* The model counts pins and alignments in 4 KiB pages */
	if (pg != CPU_PAGE)
		SKIP(return, "needs 4 KiB pages");
	env.checker = open(IOMMUFD_DEV, O_RDWR);
	ASSERT_LE(0, env.checker);
	if (md_check_refs(env.checker, NULL, 0, 0) && errno == ENOTTY)
		SKIP(return, "needs CONFIG_IOMMUFD_TEST");
	ASSERT_EQ(0, drop_ipc_lock());
	env.verbose = env_number("IOMMUFD_FUZZ_VERBOSE", 0);

	/*
	 * buf | robuf | hole (4 MiB) | argpage | guard | edge page | guard,
	 * 2 MiB aligned
	 */
	self->raw_len = BUF_SIZE + RO_SIZE + 2 * SZ_2M + 4 * pg + SZ_2M;
	self->raw = mmap(NULL, self->raw_len, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->raw);
	p = (char *)(((uintptr_t)self->raw + SZ_2M - 1) & ~(SZ_2M - 1));
	/* Small pages, so pin counts are per page and exact */
	madvise(self->raw, self->raw_len, MADV_NOHUGEPAGE);
	env.buf = p;
	env.robuf = p + BUF_SIZE;
	env.hole = env.robuf + RO_SIZE;
	env.argpage = env.hole + 2 * SZ_2M;
	env.guard = env.argpage + pg;
	env.slot = env.guard - ARG_ROOM;
	memset(env.buf, 0x5a, BUF_SIZE + RO_SIZE);
	ASSERT_EQ(0, mprotect(env.robuf, RO_SIZE, PROT_READ));
	/* Inaccessible, and nothing else gets mapped there */
	ASSERT_EQ(0, mprotect(env.hole, 2 * SZ_2M, PROT_NONE));
	ASSERT_EQ(0, mprotect(env.guard, pg, PROT_NONE));
	env.edge = env.guard + 2 * pg;
	ASSERT_EQ(0, mprotect(env.edge, pg, PROT_NONE));
	env.hwbuf = malloc(256);
	env.ranges = calloc(256, sizeof(*env.ranges));
	ASSERT_NE(NULL, env.hwbuf);
	ASSERT_NE(NULL, env.ranges);

	env.memfd = memfd_create("iommufd_fuzz", MFD_ALLOW_SEALING);
	ASSERT_LE(0, env.memfd);
	ASSERT_EQ(0, ftruncate(env.memfd, MEMFD_SIZE));
	env.memmap = mmap(NULL, MEMFD_SIZE, PROT_READ | PROT_WRITE,
			  MAP_SHARED, env.memfd, 0);
	ASSERT_NE(MAP_FAILED, env.memmap);
	memset(env.memmap, 0x6b, MEMFD_SIZE);
	env.memfd_ro = reopen_memfd(env.memfd, O_RDONLY);
	env.memfd_wo = reopen_memfd(env.memfd, O_WRONLY);
	ASSERT_LE(0, env.memfd_ro);
	ASSERT_LE(0, env.memfd_wo);
	env.sealed = memfd_create("iommufd_fuzz_sealed", MFD_ALLOW_SEALING);
	ASSERT_LE(0, env.sealed);
	ASSERT_EQ(0, ftruncate(env.sealed, MEMFD_SIZE));
	/* Every page of it exists, so pins can be counted */
	ASSERT_EQ(0, fallocate(env.sealed, 0, 0, MEMFD_SIZE));
	ASSERT_EQ(0, fcntl(env.sealed, F_ADD_SEALS,
			   F_SEAL_WRITE | F_SEAL_SHRINK | F_SEAL_GROW));
	env.sealmap = mmap(NULL, MEMFD_SIZE, PROT_READ, MAP_SHARED,
			   env.sealed, 0);
	ASSERT_NE(MAP_FAILED, env.sealmap);
	env.hugefd = memfd_create("iommufd_fuzz_huge", MFD_HUGETLB);
	if (env.hugefd >= 0 && ftruncate(env.hugefd, SZ_2M)) {
		close(env.hugefd);
		env.hugefd = -1;
	}
	env.devnull = open("/dev/null", O_RDWR);
	ASSERT_LE(0, env.devnull);
	for (env.closed_fd = 900; fcntl(env.closed_fd, F_GETFD) != -1;
	     env.closed_fd++)
		;
	ASSERT_EQ(0, check_refs_all(env.checker));

	self->f = calloc(1, sizeof(*self->f));
	ASSERT_NE(NULL, self->f);
}

FIXTURE_TEARDOWN(fuzz)
{
	if (self->f)
		reset_model(self->f);
	free(self->f);
	/* Each sequence closes its context and accesses before it returns */
	EXPECT_PINS_RELEASED(self->pins0);
}

TEST_F_TIMEOUT(fuzz, regression_seeds, 600)
{
	unsigned int i, failed = 0;

	for (i = 0; i != ARRAY_SIZE(regression_seeds); i++)
		if (!run_sequence(self->f, regression_seeds[i], true))
			failed++;
	note("%zu regression seeds, %u failed, %llu calls",
	     ARRAY_SIZE(regression_seeds), failed, env.calls);
	ASSERT_EQ(0, failed);
}

TEST_F_TIMEOUT(fuzz, random_sequences, 600)
{
	unsigned long long seconds = env_number("IOMMUFD_FUZZ_SECONDS", 0);
	unsigned long long seqs = env_number("IOMMUFD_FUZZ_SEQS",
					  seconds ? ~0ULL : DEFAULT_SEQS);
	__u64 master = env_number("IOMMUFD_FUZZ_SEED", 0);
	unsigned long long i, failed = 0;
	double start = seconds_now(), t;

	if (!getenv("IOMMUFD_FUZZ_SEED"))
		master = splitmix((__u64)time(NULL) ^ ((__u64)getpid() << 32));
	note(MASTER_SEED_NOTE, (unsigned long long)master, (unsigned long long)master,
	     (unsigned long long)SEED_STEP);
	if (seqs == ~0ULL)
		note("up to %llu s", seconds);
	else
		note("%llu sequences%s", seqs, seconds ? " at most" : "");

	for (i = 0; i != seqs; i++) {
		if (seconds && seconds_now() - start > seconds)
			break;
		/* Pin counts of every page now and then: they are slow */
		if (!run_sequence(self->f, master + i * SEED_STEP,
				  i % 32 == 31) && ++failed == 5)
			break;
	}
	t = seconds_now() - start;
	ASSERT_EQ(0, check_refs_all(env.checker));
	note("%llu sequences, %llu calls in %.1f s (%.0f calls/s), %llu failed",
	     i, env.calls, t, env.calls / t, failed);
	print_counts();
	ASSERT_EQ(0, failed);
}

static void __attribute__((constructor)) set_timeouts(void)
{
	unsigned long long s = env_number("IOMMUFD_FUZZ_SECONDS", 0);

	/* A sequence count without a time limit may take long */
	if (getenv("IOMMUFD_FUZZ_SEQS") && !s)
		s = 3600 * 24;
	if (s)
		_fuzz_random_sequences_object.timeout = s + 300;
}

TEST_HARNESS_MAIN
