/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * IOMMU_TEST_CMD: the test-only command of /dev/iommu (CONFIG_IOMMUFD_TEST).
 *
 * This is not uAPI. It exists so that the kselftests in
 * tools/testing/selftests/iommu can reach state that ordinary commands
 * cannot (reserved IOVA without a device, tiny internal batches, ...).
 * The kselftests include this file directly from the kernel tree, so the
 * layout must stay the same on both sides, but it may change from one
 * kernel to the next together with the tests.
 *
 * The argument follows the rules of every iommufd command: it starts with
 * its size and the kernel accepts any size from the end of @last on,
 * provided unknown trailing bytes are zero.
 */
#ifndef _IOMMUFD_TEST_H
#define _IOMMUFD_TEST_H

#include <linux/iommufd.h>
#include <linux/types.h>

/* Command number: 32 slots above the first real command */
#define IOMMUFD_CMD_TEST (IOMMUFD_CMD_BASE + 32)
#define IOMMU_TEST_CMD _IO(IOMMUFD_TYPE, IOMMUFD_CMD_TEST)

/*
 * Operations. Every number is fixed; the ones this kernel does not
 * implement yet fail with EOPNOTSUPP.
 */
enum iommu_test_op {
	IOMMU_TEST_OP_ADD_RESERVED = 1,
	IOMMU_TEST_OP_MOCK_DOMAIN = 2,
	IOMMU_TEST_OP_MD_CHECK_MAP = 3,
	IOMMU_TEST_OP_MD_CHECK_REFS = 4,
	IOMMU_TEST_OP_CREATE_ACCESS = 5,
	IOMMU_TEST_OP_DESTROY_ACCESS_PAGES = 6,
	IOMMU_TEST_OP_ACCESS_PAGES = 7,
	IOMMU_TEST_OP_ACCESS_RW = 8,
	IOMMU_TEST_OP_SET_TEMP_MEMORY_LIMIT = 9,
	IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE = 10,
	IOMMU_TEST_OP_ACCESS_REPLACE_IOAS = 11,
	IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS = 12,
	IOMMU_TEST_OP_DIRTY = 13,
	IOMMU_TEST_OP_MD_CHECK_IOTLB = 14,
	IOMMU_TEST_OP_TRIGGER_IOPF = 15,
	IOMMU_TEST_OP_DEV_CHECK_CACHE = 16,
	IOMMU_TEST_OP_TRIGGER_VEVENT = 17,
	IOMMU_TEST_OP_PASID_ATTACH = 18,
	IOMMU_TEST_OP_PASID_REPLACE = 19,
	IOMMU_TEST_OP_PASID_DETACH = 20,
	IOMMU_TEST_OP_PASID_CHECK_HWPT = 21,
};

/* IOMMU_TEST_OP_CREATE_ACCESS flags */
enum {
	MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES = 1 << 0,
};

/* IOMMU_TEST_OP_ACCESS_PAGES flags */
enum {
	MOCK_FLAGS_ACCESS_WRITE = 1 << 0,
	MOCK_FLAGS_ACCESS_SYZ = 1 << 16,
};

/* IOMMU_TEST_OP_ACCESS_RW flags */
enum {
	MOCK_ACCESS_RW_WRITE = 1 << 0,
	MOCK_ACCESS_RW_SLOW_PATH = 1 << 2,
};

/* IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS device flags */
enum {
	MOCK_FLAGS_DEVICE_NO_DIRTY = 1 << 0,
	MOCK_FLAGS_DEVICE_HUGE_IOVA = 1 << 1,
	MOCK_FLAGS_DEVICE_PASID = 1 << 2,
};

/* IOMMU_GET_HW_INFO of a mock device */
#define IOMMU_HW_INFO_TYPE_SELFTEST 0xfeedbeef
#define IOMMU_HW_INFO_SELFTEST_REGVAL 0xdeadbeef

/**
 * struct iommu_test_hw_info - the mock IOMMU's data for IOMMU_GET_HW_INFO
 * @flags: always 0
 * @test_reg: always IOMMU_HW_INFO_SELFTEST_REGVAL
 */
struct iommu_test_hw_info {
	__u32 flags;
	__u32 test_reg;
};

/* The mock IOMMU's nested HWPTs (IOMMU_HWPT_ALLOC with a parent) */
#define IOMMU_HWPT_DATA_SELFTEST 0xdead
#define IOMMU_TEST_IOTLB_DEFAULT 0xbadbeef
#define MOCK_NESTED_DOMAIN_IOTLB_ID_MAX 3
#define MOCK_NESTED_DOMAIN_IOTLB_NUM 4

/**
 * struct iommu_hwpt_selftest - data of a mock nested HWPT
 * @iotlb: the value every entry of its emulated IOTLB starts with
 */
struct iommu_hwpt_selftest {
	__u32 iotlb;
};

/* IOMMU_HWPT_INVALIDATE of a mock nested HWPT */
#define IOMMU_HWPT_INVALIDATE_DATA_SELFTEST 0xdeadbeef
#define IOMMU_HWPT_INVALIDATE_DATA_SELFTEST_INVALID 0xdadbeef
enum {
	IOMMU_TEST_INVALIDATE_FLAG_ALL = 1 << 0,
};

/**
 * struct iommu_hwpt_invalidate_selftest - one invalidation of a mock
 *                                         nested HWPT
 * @flags: IOMMU_TEST_INVALIDATE_FLAG_ALL to clear every IOTLB entry
 * @iotlb_id: otherwise the entry to clear, at most
 *            MOCK_NESTED_DOMAIN_IOTLB_ID_MAX
 *
 * A cleared entry reads 0 through IOMMU_TEST_OP_MD_CHECK_IOTLB.
 */
struct iommu_hwpt_invalidate_selftest {
	__u32 flags;
	__u32 iotlb_id;
};

/* The per-device caches of a mock device (IOMMU_TEST_OP_DEV_CHECK_CACHE) */
#define IOMMU_TEST_DEV_CACHE_DEFAULT 0xbaddad
#define MOCK_DEV_CACHE_ID_MAX 3
#define MOCK_DEV_CACHE_NUM 4

/* The mock vIOMMU (IOMMU_VIOMMU_ALLOC of a mock device) */
#define IOMMU_VIOMMU_TYPE_SELFTEST 0xdeadbeef

/**
 * struct iommu_viommu_selftest - data of a mock vIOMMU
 * @in_data: any value
 * @out_data: written back with @in_data
 * @out_mmap_offset: written back with 0 (nothing to mmap yet)
 * @out_mmap_length: written back with 0
 */
struct iommu_viommu_selftest {
	__u32 in_data;
	__u32 out_data;
	__aligned_u64 out_mmap_offset;
	__aligned_u64 out_mmap_length;
};

/* IOMMU_HWPT_INVALIDATE of a mock vIOMMU: the caches of its devices */
#define IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST 0xdeadbeef
#define IOMMU_VIOMMU_INVALIDATE_DATA_SELFTEST_INVALID 0xdadbeef

/**
 * struct iommu_viommu_invalidate_selftest - one invalidation of a mock
 *                                           vIOMMU
 * @flags: IOMMU_TEST_INVALIDATE_FLAG_ALL to clear every cache entry of
 *         the device
 * @vdev_id: the device, by the virtual ID of its vDEVICE
 * @cache_id: otherwise the entry to clear, at most MOCK_DEV_CACHE_ID_MAX
 *
 * A cleared entry reads 0 through IOMMU_TEST_OP_DEV_CHECK_CACHE.
 */
struct iommu_viommu_invalidate_selftest {
	__u32 flags;
	__u32 vdev_id;
	__u32 cache_id;
};

/* Events of a mock vIOMMU (IOMMU_TEST_OP_TRIGGER_VEVENT) */
#define IOMMU_VEVENTQ_TYPE_SELFTEST 0xbeefbeef

/**
 * struct iommu_viommu_event_selftest - a mock vIOMMU event
 * @virt_id: the virtual ID of the device that raised it
 */
struct iommu_viommu_event_selftest {
	__u32 virt_id;
};

/* PASID width of a mock device created with MOCK_FLAGS_DEVICE_PASID */
#define MOCK_PASID_WIDTH 20

/**
 * struct iommu_test_cmd - argument of IOMMU_TEST_CMD
 * @size: sizeof(struct iommu_test_cmd)
 * @op: one of enum iommu_test_op
 * @id: the object the operation works on (an IOAS for ADD_RESERVED and
 *      CREATE_ACCESS, an access fd for the other access operations)
 * @__reserved: must be 0
 * @add_reserved: IOMMU_TEST_OP_ADD_RESERVED: reserve [@start, @start +
 *                @length) in IOAS @id, as a device's reserved region
 *                would
 * @mock_domain: IOMMU_TEST_OP_MOCK_DOMAIN: create a mock device, bind it
 *               and attach it to the IOAS or HWPT @id; returns the owning
 *               selftest object, the HWPT attached and the device object
 * @check_map: IOMMU_TEST_OP_MD_CHECK_MAP: EINVAL unless the mock HWPT
 *             @id maps [@iova, @iova + @length) to the pages at @uptr
 * @check_refs: IOMMU_TEST_OP_MD_CHECK_REFS: EINVAL unless every page of
 *              [@uptr, @uptr + @length) has exactly @refs FOLL_PIN pins;
 *              pages of large folios only tell pinned (any @refs > 0)
 *              from not pinned (0)
 * @create_access: IOMMU_TEST_OP_CREATE_ACCESS: create an access attached
 *                 to IOAS @id, returned as a new fd in @out_access_fd;
 *                 @flags MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES lets it
 *                 pin pages
 * @destroy_access_pages: IOMMU_TEST_OP_DESTROY_ACCESS_PAGES: unpin the
 *                        range @access_pages_id of access fd @id
 * @access_pages: IOMMU_TEST_OP_ACCESS_PAGES: pin [@iova, @iova + @length)
 *                through access fd @id (for writing with @flags
 *                MOCK_FLAGS_ACCESS_WRITE); unless @uptr is 0 the pages
 *                must hold what @uptr holds (else EINVAL). The pin is
 *                returned as @out_access_pages_id.
 * @access_rw: IOMMU_TEST_OP_ACCESS_RW: copy @length bytes (at most 16 MiB)
 *             from IOVA @iova of access fd @id to @uptr, or from @uptr
 *             to the IOVA with @flags MOCK_ACCESS_RW_WRITE;
 *             MOCK_ACCESS_RW_SLOW_PATH copies a page per call
 * @memory_limit: IOMMU_TEST_OP_SET_TEMP_MEMORY_LIMIT: bytes of struct
 *                page pointers one pinning or unpinning step may use
 *                (at least one page per step whatever the value), 0 for
 *                the default of one page of pointers; @id is ignored.
 *                The setting is global and returns to the default when
 *                the file that set it is closed.
 * @mock_domain_replace: IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE: move the
 *                       mock device of selftest object @id to IOAS or
 *                       HWPT @pt_id; @pt_id returns the HWPT attached
 * @access_replace_ioas: IOMMU_TEST_OP_ACCESS_REPLACE_IOAS: move access fd
 *                       @id to IOAS @ioas_id
 * @mock_domain_flags: IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS: as @mock_domain
 *                     with device flags @dev_flags. MOCK_FLAGS_DEVICE_PASID
 *                     gives the device MOCK_PASID_WIDTH bits of PASID;
 *                     NO_DIRTY and HUGE_IOVA are accepted and change
 *                     nothing until dirty tracking exists.
 * @dirty: IOMMU_TEST_OP_DIRTY (not implemented yet)
 * @check_iotlb: IOMMU_TEST_OP_MD_CHECK_IOTLB: EINVAL unless entry @id of
 *               the IOTLB of mock nested HWPT @id (the command's) holds
 *               @iotlb; ENOENT when that is not a nested HWPT
 * @trigger_iopf: IOMMU_TEST_OP_TRIGGER_IOPF (not implemented yet)
 * @check_dev_cache: IOMMU_TEST_OP_DEV_CHECK_CACHE: EINVAL unless cache
 *                   entry @id of the mock device bound as device object
 *                   @id (the command's) holds @cache
 * @trigger_vevent: IOMMU_TEST_OP_TRIGGER_VEVENT: queue an event with the
 *                  virtual ID of mock device @dev_id on the
 *                  IOMMU_VEVENTQ_TYPE_SELFTEST queue of its vIOMMU;
 *                  ENOENT without a vDEVICE, EOPNOTSUPP without such
 *                  a queue (a full queue counts the event as lost)
 * @pasid_attach: IOMMU_TEST_OP_PASID_ATTACH: attach @pasid of the mock
 *                device of selftest object @id to IOAS or HWPT @pt_id,
 *                which returns the HWPT attached. PASID 1024 is the
 *                mock's faulty PASID: once attached, replacing its
 *                domain fails with ENOMEM until it is detached.
 * @pasid_replace: IOMMU_TEST_OP_PASID_REPLACE: the same for a replace
 * @pasid_detach: IOMMU_TEST_OP_PASID_DETACH: detach @pasid
 * @pasid_check: IOMMU_TEST_OP_PASID_CHECK_HWPT: EINVAL unless @pasid of
 *               the mock device of selftest object @id is translated by
 *               the domain of HWPT @hwpt_id, or, for @hwpt_id 0, by no
 *               domain of iommufd; @pasid 0 checks the RID
 * @last: end of the first version; never read
 */
struct iommu_test_cmd {
	__u32 size;
	__u32 op;
	__u32 id;
	__u32 __reserved;
	union {
		struct {
			__aligned_u64 start;
			__aligned_u64 length;
		} add_reserved;
		struct {
			__u32 out_stdev_id;
			__u32 out_hwpt_id;
			__u32 out_idev_id;
		} mock_domain;
		struct {
			__aligned_u64 iova;
			__aligned_u64 length;
			__aligned_u64 uptr;
		} check_map;
		struct {
			__aligned_u64 length;
			__aligned_u64 uptr;
			__u32 refs;
		} check_refs;
		struct {
			__u32 out_access_fd;
			__u32 flags;
		} create_access;
		struct {
			__u32 access_pages_id;
		} destroy_access_pages;
		struct {
			__u32 flags;
			__u32 out_access_pages_id;
			__aligned_u64 iova;
			__aligned_u64 length;
			__aligned_u64 uptr;
		} access_pages;
		struct {
			__aligned_u64 iova;
			__aligned_u64 length;
			__aligned_u64 uptr;
			__u32 flags;
		} access_rw;
		struct {
			__u32 limit;
		} memory_limit;
		struct {
			__u32 pt_id;
		} mock_domain_replace;
		struct {
			__u32 ioas_id;
		} access_replace_ioas;
		struct {
			__u32 out_stdev_id;
			__u32 out_hwpt_id;
			__u32 out_idev_id;
			__u32 dev_flags;
		} mock_domain_flags;
		struct {
			__u32 flags;
			__aligned_u64 iova;
			__aligned_u64 length;
			__aligned_u64 page_size;
			__aligned_u64 uptr;
			__aligned_u64 out_nr_dirty;
		} dirty;
		struct {
			__u32 id;
			__u32 iotlb;
		} check_iotlb;
		struct {
			__u32 dev_id;
			__u32 pasid;
			__u32 grpid;
			__u32 perm;
			__aligned_u64 addr;
		} trigger_iopf;
		struct {
			__u32 id;
			__u32 cache;
		} check_dev_cache;
		struct {
			__u32 dev_id;
		} trigger_vevent;
		struct {
			__u32 pasid;
			__u32 pt_id;
		} pasid_attach;
		struct {
			__u32 pasid;
			__u32 pt_id;
		} pasid_replace;
		struct {
			__u32 pasid;
		} pasid_detach;
		struct {
			__u32 pasid;
			__u32 hwpt_id;
		} pasid_check;
	};
	__u32 last;
};

#endif
