/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * Userspace interface of iommufd, the /dev/iommu character device.
 *
 * iommufd lets a process describe I/O virtual address (IOVA) layouts in
 * terms of its own memory and have them installed into the IOMMU
 * translation tables of the devices it owns.
 */
#ifndef _UAPI_IOMMUFD_H
#define _UAPI_IOMMUFD_H

#include <linux/ioctl.h>
#include <linux/types.h>

#define IOMMUFD_TYPE (';')

/**
 * DOC: How /dev/iommu commands are issued
 *
 * Each command is an ioctl() on a file descriptor returned by opening
 * /dev/iommu. The request code holds only the type character and the
 * command number; it does not encode a length. The length travels inside
 * the argument instead: every argument structure begins with a __u32
 * member named size, which the caller sets to sizeof() of the structure
 * as it was compiled. Structures only ever grow by gaining members at
 * their end, so programs and kernels built from different versions of
 * this file keep working together:
 *
 *  - size below the smallest layout ever defined for the command: EINVAL.
 *  - size beyond the layout this kernel knows: accepted only when all of
 *    the bytes past the known part are zero, otherwise E2BIG.
 *  - members missing from a shorter (older) layout are taken as zero.
 *
 * Objects (IOAS and others) are named by __u32 IDs handed out by the
 * kernel. An ID is only meaningful on the file descriptor that created
 * it, and 0 is never a valid ID.
 *
 * Error numbers follow one scheme for all commands:
 *
 *  - ENOTTY: the command number is unknown to this kernel.
 *  - EOPNOTSUPP: a flag, option, operation or type value is not
 *    implemented, or a reserved member is not zero.
 *  - EINVAL: a value is meaningless for the command (bad alignment,
 *    zero length, an inverted range, and so on).
 *  - ENOENT: an object ID does not exist or has the wrong type, or an
 *    IOVA range that must be mapped is not.
 *  - EOVERFLOW: an address plus a length wraps around, or a value does
 *    not fit the kernel's native word.
 *  - EMSGSIZE: an array supplied by the caller is too small for the
 *    result; the number of entries needed is written back so the caller
 *    can retry with a bigger array.
 *  - EFAULT: a user pointer could not be read or written.
 *  - ENOMEM: kernel memory ran out, or pinning pages would go over the
 *    caller's locked memory limit.
 */

/*
 * Command numbers. Each one occupies a fixed slot from IOMMUFD_CMD_BASE
 * onwards; slots are never reused or renumbered. Commands whose argument
 * structures are not part of this file yet still hold their place here.
 */
enum {
	IOMMUFD_CMD_BASE = 0x80,
	IOMMUFD_CMD_DESTROY = IOMMUFD_CMD_BASE,
	IOMMUFD_CMD_IOAS_ALLOC = 0x81,
	IOMMUFD_CMD_IOAS_ALLOW_IOVAS = 0x82,
	IOMMUFD_CMD_IOAS_COPY = 0x83,
	IOMMUFD_CMD_IOAS_IOVA_RANGES = 0x84,
	IOMMUFD_CMD_IOAS_MAP = 0x85,
	IOMMUFD_CMD_IOAS_UNMAP = 0x86,
	IOMMUFD_CMD_OPTION = 0x87,
	IOMMUFD_CMD_VFIO_IOAS = 0x88,
	IOMMUFD_CMD_HWPT_ALLOC = 0x89,
	IOMMUFD_CMD_GET_HW_INFO = 0x8a,
	IOMMUFD_CMD_HWPT_SET_DIRTY_TRACKING = 0x8b,
	IOMMUFD_CMD_HWPT_GET_DIRTY_BITMAP = 0x8c,
	IOMMUFD_CMD_HWPT_INVALIDATE = 0x8d,
	IOMMUFD_CMD_FAULT_QUEUE_ALLOC = 0x8e,
	IOMMUFD_CMD_IOAS_MAP_FILE = 0x8f,
	IOMMUFD_CMD_VIOMMU_ALLOC = 0x90,
	IOMMUFD_CMD_VDEVICE_ALLOC = 0x91,
	IOMMUFD_CMD_IOAS_CHANGE_PROCESS = 0x92,
	IOMMUFD_CMD_VEVENTQ_ALLOC = 0x93,
};

/**
 * struct iommu_destroy - argument of IOMMU_DESTROY
 * @size: sizeof(struct iommu_destroy), set by the caller
 * @id: ID of the object to release
 *
 * Releases one object of any kind that userspace is allowed to destroy.
 * The ID becomes free for reuse once the call succeeds.
 *
 * Errors: ENOENT when @id names no object; EBUSY when the object is
 * still in use (for example an IOAS that a device is attached to, or a
 * device object its driver still holds).
 */
struct iommu_destroy {
	__u32 size;
	__u32 id;
};

#define IOMMU_DESTROY _IO(IOMMUFD_TYPE, IOMMUFD_CMD_DESTROY)

/**
 * struct iommu_ioas_alloc - argument of IOMMU_IOAS_ALLOC
 * @size: sizeof(struct iommu_ioas_alloc), set by the caller
 * @flags: no flags are defined; must be 0
 * @out_ioas_id: filled in with the ID of the new IOAS
 *
 * Creates an I/O address space (IOAS): a table translating IOVAs to
 * ranges of user memory. It starts out empty. Hardware page tables built
 * from it follow every later change made to it.
 *
 * Errors: EOPNOTSUPP for a non-zero @flags; ENOMEM.
 */
struct iommu_ioas_alloc {
	__u32 size;
	__u32 flags;
	__u32 out_ioas_id;
};

#define IOMMU_IOAS_ALLOC _IO(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_ALLOC)

/**
 * struct iommu_iova_range - one span of IOVA space
 * @start: lowest IOVA of the span
 * @last: highest IOVA of the span, included in it
 *
 * Because @last is inclusive a span may reach the top of the 64-bit
 * space; a span always holds at least one byte.
 */
struct iommu_iova_range {
	__aligned_u64 start;
	__aligned_u64 last;
};

/**
 * struct iommu_ioas_iova_ranges - argument of IOMMU_IOAS_IOVA_RANGES
 * @size: sizeof(struct iommu_ioas_iova_ranges), set by the caller
 * @ioas_id: the IOAS to report on
 * @num_iovas: on input, how many entries @allowed_iovas can take; on
 *             output, how many entries the full answer has
 * @__reserved: must be 0
 * @allowed_iovas: user pointer to an array of struct iommu_iova_range
 *                 that receives the answer, in ascending order
 * @out_iova_alignment: filled in with the power-of-two alignment that
 *                      IOVAs, lengths and user addresses passed to
 *                      IOMMU_IOAS_MAP must respect: the smallest page of
 *                      the attached hardware page tables (1 with none,
 *                      so any byte range may be mapped, the IOVA keeping
 *                      the user address's offset in its page when the
 *                      kernel picks it), at least PAGE_SIZE while an
 *                      emulated device that pins pages is attached
 *
 * Reports which IOVA spans may be mapped in the IOAS right now. That is
 * everything the attached devices can translate, minus the spans some
 * device or the IOAS itself has set aside. The answer can shrink when a
 * device is attached and grow again when it leaves. With no device
 * attached nearly the whole 64-bit space is usable.
 *
 * A caller may pass @num_iovas = 0 to learn the needed count first. The
 * structure, @out_iova_alignment included, is written back even when the
 * array was too small; the array then holds as many leading entries as
 * fit.
 *
 * Errors: ENOENT for a bad @ioas_id; EOPNOTSUPP for a non-zero
 * @__reserved; EMSGSIZE when @num_iovas was too small (the output value
 * of @num_iovas is the count needed); EFAULT.
 */
struct iommu_ioas_iova_ranges {
	__u32 size;
	__u32 ioas_id;
	__u32 num_iovas;
	__u32 __reserved;
	__aligned_u64 allowed_iovas;
	__aligned_u64 out_iova_alignment;
};

#define IOMMU_IOAS_IOVA_RANGES _IO(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_IOVA_RANGES)

/**
 * struct iommu_ioas_allow_iovas - argument of IOMMU_IOAS_ALLOW_IOVAS
 * @size: sizeof(struct iommu_ioas_allow_iovas), set by the caller
 * @ioas_id: the IOAS to change
 * @num_iovas: number of entries in @allowed_iovas
 * @__reserved: must be 0
 * @allowed_iovas: user pointer to an array of struct iommu_iova_range
 *
 * Promises that the given IOVA spans stay usable. The list replaces any
 * list given before; an empty list removes the promise.
 *
 * While the list is not empty two things change. First, nothing may
 * make part of a listed span unusable: attaching a device that cannot
 * translate some of it, or that needs some of it set aside, fails.
 * Second, IOVAs chosen by the kernel (a map or copy without
 * IOMMU_IOAS_MAP_FIXED_IOVA) are taken only from the listed spans.
 *
 * Errors: ENOENT for a bad @ioas_id; EOPNOTSUPP for a non-zero
 * @__reserved; EINVAL when an entry has @start above @last or two
 * entries overlap; EADDRINUSE when a listed span already includes IOVAs
 * that are set aside; EFAULT; ENOMEM.
 */
struct iommu_ioas_allow_iovas {
	__u32 size;
	__u32 ioas_id;
	__u32 num_iovas;
	__u32 __reserved;
	__aligned_u64 allowed_iovas;
};

#define IOMMU_IOAS_ALLOW_IOVAS _IO(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_ALLOW_IOVAS)

/**
 * enum iommufd_ioas_map_flags - flags of IOMMU_IOAS_MAP, IOMMU_IOAS_COPY
 *                               and IOMMU_IOAS_MAP_FILE
 * @IOMMU_IOAS_MAP_FIXED_IOVA: the IOVA given by the caller is used as
 *                             is; without it the kernel picks a free IOVA
 *                             and writes it back
 * @IOMMU_IOAS_MAP_WRITEABLE: devices may write through the new mapping
 * @IOMMU_IOAS_MAP_READABLE: devices may read through the new mapping
 */
enum iommufd_ioas_map_flags {
	IOMMU_IOAS_MAP_FIXED_IOVA = 1 << 0,
	IOMMU_IOAS_MAP_WRITEABLE = 1 << 1,
	IOMMU_IOAS_MAP_READABLE = 1 << 2,
};

/**
 * struct iommu_ioas_map - argument of IOMMU_IOAS_MAP
 * @size: sizeof(struct iommu_ioas_map), set by the caller
 * @flags: a combination of enum iommufd_ioas_map_flags
 * @ioas_id: the IOAS that receives the mapping
 * @__reserved: must be 0
 * @user_va: start of the memory to map, as an address in the caller's
 *           address space
 * @length: number of bytes to map
 * @iova: where the memory appears in the IOAS; an input when
 *        IOMMU_IOAS_MAP_FIXED_IOVA is set, otherwise filled in by the
 *        kernel
 *
 * Makes the pages behind [@user_va, @user_va + @length) visible at
 * [@iova, @iova + @length) in the IOAS and in every hardware page table
 * that follows it. The pages are pinned, and charged to the locked
 * memory limit, while a hardware page table follows the IOAS (or an
 * emulated device pins them): with none, the map only records the range
 * and problems with the memory show when one is attached. @iova and
 * @length must be multiples of the alignment that IOMMU_IOAS_IOVA_RANGES
 * reports, and so must the offset of @user_va in its page.
 *
 * A fixed @iova must lie in usable IOVA space and must not touch an
 * existing mapping. Without IOMMU_IOAS_MAP_FIXED_IOVA the kernel looks
 * for free, usable space (only inside the allowed spans, if a list was
 * given with IOMMU_IOAS_ALLOW_IOVAS).
 *
 * Errors: ENOENT for a bad @ioas_id; EOPNOTSUPP for an unknown flag or a
 * non-zero @__reserved; EINVAL for a zero @length, bad alignment, or a
 * fixed range that is not usable; EEXIST when a fixed range overlaps an
 * existing mapping; ENOSPC when no free space is large enough;
 * EOVERFLOW when @iova + @length or @user_va + @length wraps; EFAULT
 * when the memory cannot be pinned; ENOMEM, including hitting the
 * locked memory limit (both only when the memory is pinned right away).
 */
struct iommu_ioas_map {
	__u32 size;
	__u32 flags;
	__u32 ioas_id;
	__u32 __reserved;
	__aligned_u64 user_va;
	__aligned_u64 length;
	__aligned_u64 iova;
};

#define IOMMU_IOAS_MAP _IO(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_MAP)

/**
 * struct iommu_ioas_copy - argument of IOMMU_IOAS_COPY
 * @size: sizeof(struct iommu_ioas_copy), set by the caller
 * @flags: a combination of enum iommufd_ioas_map_flags
 * @dst_ioas_id: the IOAS that receives the new mapping
 * @src_ioas_id: the IOAS whose mappings supply the memory
 * @length: number of bytes to copy
 * @dst_iova: where the memory appears in the destination; an input when
 *            IOMMU_IOAS_MAP_FIXED_IOVA is set, otherwise filled in by the
 *            kernel
 * @src_iova: start of the range in the source IOAS
 *
 * Maps into the destination IOAS the memory that
 * [@src_iova, @src_iova + @length) currently reaches in the source IOAS.
 * Pages already pinned are shared rather than pinned and charged a
 * second time. The source range must be covered from end
 * to end by existing mappings. Afterwards the two mappings are
 * independent: unmapping one leaves the other alone. Source and
 * destination may be the same IOAS.
 *
 * @flags work as for IOMMU_IOAS_MAP. Write access can only be granted
 * when the source memory was pinned for writing.
 *
 * Errors: ENOENT for a bad IOAS ID or a source range that is not fully
 * mapped; EOPNOTSUPP for an unknown flag; EPERM when write access is
 * asked for memory that was pinned read-only; EINVAL, EEXIST, ENOSPC
 * and EOVERFLOW as for IOMMU_IOAS_MAP, about the destination; ENOMEM.
 */
struct iommu_ioas_copy {
	__u32 size;
	__u32 flags;
	__u32 dst_ioas_id;
	__u32 src_ioas_id;
	__aligned_u64 length;
	__aligned_u64 dst_iova;
	__aligned_u64 src_iova;
};

#define IOMMU_IOAS_COPY _IO(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_COPY)

/**
 * struct iommu_ioas_unmap - argument of IOMMU_IOAS_UNMAP
 * @size: sizeof(struct iommu_ioas_unmap), set by the caller
 * @ioas_id: the IOAS to change
 * @iova: start of the range to remove
 * @length: on input, the length of the range; on output, the number of
 *          bytes that were really unmapped
 *
 * Removes every mapping inside [@iova, @iova + @length). Mappings are
 * never split: a mapping that lies only partly inside the range makes
 * the call fail. The special pair @iova = 0, @length = U64_MAX removes
 * every mapping of the IOAS, and succeeds even when there is none.
 *
 * Errors: ENOENT for a bad @ioas_id, when the range holds no mapping,
 * or when a mapping sticks out of it; EINVAL for a zero @length;
 * EOVERFLOW when @iova + @length wraps; EBUSY when a kernel driver
 * (an emulated device) keeps pages of the range pinned after it was
 * asked to let go; ENOMEM when such drivers could not be asked (nothing
 * is unmapped then). EFAULT when @length cannot be written back: the
 * mappings are gone all the same.
 */
struct iommu_ioas_unmap {
	__u32 size;
	__u32 ioas_id;
	__aligned_u64 iova;
	__aligned_u64 length;
};

#define IOMMU_IOAS_UNMAP _IO(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_UNMAP)

/**
 * enum iommufd_option - settings reachable through IOMMU_OPTION
 * @IOMMU_OPTION_RLIMIT_MODE: how pinned pages are charged against
 *                            RLIMIT_MEMLOCK. 0, the default, charges the
 *                            owning user; 1 charges the process (its mm).
 *                            It applies to the whole file descriptor, so
 *                            object_id must be 0. Changing it needs
 *                            CAP_SYS_RESOURCE and is only possible while
 *                            the file descriptor owns no object.
 * @IOMMU_OPTION_HUGE_PAGES: whether hardware page tables that follow an
 *                           IOAS may use pages larger than PAGE_SIZE.
 *                           1, the default, allows them; 0 restricts
 *                           them to PAGE_SIZE. object_id names the IOAS.
 */
enum iommufd_option {
	IOMMU_OPTION_RLIMIT_MODE = 0,
	IOMMU_OPTION_HUGE_PAGES = 1,
};

/**
 * enum iommufd_option_ops - what IOMMU_OPTION does with an option
 * @IOMMU_OPTION_OP_SET: store val64 as the new value
 * @IOMMU_OPTION_OP_GET: write the present value into val64
 */
enum iommufd_option_ops {
	IOMMU_OPTION_OP_SET = 0,
	IOMMU_OPTION_OP_GET = 1,
};

/**
 * struct iommu_option - argument of IOMMU_OPTION
 * @size: sizeof(struct iommu_option), set by the caller
 * @option_id: which option, one of enum iommufd_option
 * @op: the operation, one of enum iommufd_option_ops
 * @__reserved: must be 0
 * @object_id: the object the option belongs to, or 0 for an option of
 *             the whole file descriptor
 * @val64: the value to store (SET) or the value read back (GET)
 *
 * Reads or changes a setting of the file descriptor or of one of its
 * objects.
 *
 * Errors: EOPNOTSUPP for an unknown @option_id or @op, a non-zero
 * @__reserved, or a non-zero @object_id with a global option; ENOENT for
 * a bad @object_id; EINVAL for a value out of range, or when huge pages
 * are turned off for an IOAS whose mappings are already installed in a
 * hardware page table; EPERM without the needed capability; EBUSY when
 * the accounting mode is changed while objects exist.
 */
struct iommu_option {
	__u32 size;
	__u32 option_id;
	__u16 op;
	__u16 __reserved;
	__u32 object_id;
	__aligned_u64 val64;
};

#define IOMMU_OPTION _IO(IOMMUFD_TYPE, IOMMUFD_CMD_OPTION)

/**
 * enum iommufd_vfio_ioas_op - operations of IOMMU_VFIO_IOAS
 * @IOMMU_VFIO_IOAS_GET: write the ID of the IOAS in use by the VFIO
 *                       container emulation into ioas_id
 * @IOMMU_VFIO_IOAS_SET: make ioas_id the IOAS used by the VFIO container
 *                       emulation
 * @IOMMU_VFIO_IOAS_CLEAR: stop using any IOAS for the VFIO container
 *                         emulation
 */
enum iommufd_vfio_ioas_op {
	IOMMU_VFIO_IOAS_GET = 0,
	IOMMU_VFIO_IOAS_SET = 1,
	IOMMU_VFIO_IOAS_CLEAR = 2,
};

/**
 * struct iommu_vfio_ioas - argument of IOMMU_VFIO_IOAS
 * @size: sizeof(struct iommu_vfio_ioas), set by the caller
 * @ioas_id: input for IOMMU_VFIO_IOAS_SET, output for
 *           IOMMU_VFIO_IOAS_GET, ignored for IOMMU_VFIO_IOAS_CLEAR
 * @op: one of enum iommufd_vfio_ioas_op
 * @__reserved: must be 0
 *
 * A /dev/iommu file descriptor can also serve as a VFIO container, with
 * the legacy VFIO type1 ioctls acting on one chosen IOAS. This command
 * inspects or changes that choice, so that a program can mix the legacy
 * ioctls with native iommufd ones on the same IOAS.
 *
 * Errors: EOPNOTSUPP for an unknown @op or a non-zero @__reserved;
 * ENODEV for IOMMU_VFIO_IOAS_GET while no IOAS is chosen; ENOENT for a
 * bad @ioas_id with IOMMU_VFIO_IOAS_SET.
 */
struct iommu_vfio_ioas {
	__u32 size;
	__u32 ioas_id;
	__u16 op;
	__u16 __reserved;
};

#define IOMMU_VFIO_IOAS _IO(IOMMUFD_TYPE, IOMMUFD_CMD_VFIO_IOAS)

/**
 * enum iommu_hwpt_data_type - format of the driver data of a HWPT
 * @IOMMU_HWPT_DATA_NONE: no data: a paging HWPT that the kernel fills
 *                        from an IOAS
 * @IOMMU_HWPT_DATA_VTD_S1: Intel VT-d stage-1 table (nested)
 * @IOMMU_HWPT_DATA_ARM_SMMUV3: ARM SMMUv3 stage-1 context (nested)
 */
enum iommu_hwpt_data_type {
	IOMMU_HWPT_DATA_NONE = 0,
	IOMMU_HWPT_DATA_VTD_S1 = 1,
	IOMMU_HWPT_DATA_ARM_SMMUV3 = 2,
};

/**
 * enum iommufd_hwpt_alloc_flags - flags of IOMMU_HWPT_ALLOC
 * @IOMMU_HWPT_ALLOC_NEST_PARENT: the HWPT may later parent nested ones
 * @IOMMU_HWPT_ALLOC_DIRTY_TRACKING: the domain tracks dirty IOVAs
 * @IOMMU_HWPT_FAULT_ID_VALID: @fault_id names a fault queue
 * @IOMMU_HWPT_ALLOC_PASID: the HWPT may be attached to PASIDs
 */
enum iommufd_hwpt_alloc_flags {
	IOMMU_HWPT_ALLOC_NEST_PARENT = 1 << 0,
	IOMMU_HWPT_ALLOC_DIRTY_TRACKING = 1 << 1,
	IOMMU_HWPT_FAULT_ID_VALID = 1 << 2,
	IOMMU_HWPT_ALLOC_PASID = 1 << 3,
};

/**
 * struct iommu_hwpt_alloc - argument of IOMMU_HWPT_ALLOC
 * @size: sizeof(struct iommu_hwpt_alloc), set by the caller; at least
 *        the offset of @data_type (24)
 * @flags: a combination of enum iommufd_hwpt_alloc_flags
 * @dev_id: a device bound to this context; its IOMMU builds the table
 * @pt_id: an IOAS, for a paging HWPT that mirrors it; or a paging HWPT
 *         allocated with IOMMU_HWPT_ALLOC_NEST_PARENT, for a nested HWPT
 *         that uses it as its stage 2
 * @out_hwpt_id: filled with the new HWPT's ID
 * @__reserved: must be 0
 * @data_type: one of enum iommu_hwpt_data_type
 * @data_len: bytes at @data_uptr; 0 for IOMMU_HWPT_DATA_NONE
 * @data_uptr: driver-specific data; 0 for IOMMU_HWPT_DATA_NONE
 * @fault_id: with IOMMU_HWPT_FAULT_ID_VALID, the fault queue to report to
 * @__reserved2: must be 0
 *
 * A paging HWPT is a hardware page table for @dev_id's IOMMU that maps
 * everything the IOAS @pt_id maps, from now on, whether or not a device
 * is attached to it.
 *
 * A nested HWPT is a stage-1 table that the user (a guest) owns and
 * describes by @data_type and the data at @data_uptr, for example a
 * struct iommu_hwpt_vtd_s1. The IOMMU translates DMA through it, and
 * the addresses it finds in it and produces through the parent's
 * stage-2; the kernel never looks at the table itself. Only
 * IOMMU_HWPT_ALLOC_PASID may be combined with it. The parent cannot be
 * destroyed (EBUSY) while a nested HWPT uses it.
 *
 * Devices are attached to either kind by its ID. It exists until
 * destroyed with IOMMU_DESTROY, which fails with EBUSY while a device is
 * attached.
 *
 * Errors: EOPNOTSUPP for flags, a data type or reserved fields this
 * kernel or the IOMMU does not support, and for a nested HWPT without
 * data; EINVAL for a @pt_id of another type, a parent that is not a
 * NEST_PARENT HWPT of the same IOMMU, data given for
 * IOMMU_HWPT_DATA_NONE or missing for another type, data shorter than
 * the first version of its layout, or data the IOMMU driver finds
 * invalid; E2BIG for data longer than the layout this kernel knows with
 * non-zero bytes past it; ENOENT for a bad @dev_id or @pt_id; EINVAL or
 * EADDRINUSE when the IOAS already holds mappings that the device's
 * IOMMU cannot translate (page size, aperture); ENOMEM.
 */
struct iommu_hwpt_alloc {
	__u32 size;
	__u32 flags;
	__u32 dev_id;
	__u32 pt_id;
	__u32 out_hwpt_id;
	__u32 __reserved;
	__u32 data_type;
	__u32 data_len;
	__aligned_u64 data_uptr;
	__u32 fault_id;
	__u32 __reserved2;
};

#define IOMMU_HWPT_ALLOC _IO(IOMMUFD_TYPE, IOMMUFD_CMD_HWPT_ALLOC)

/**
 * struct iommu_hwpt_arm_smmuv3 - IOMMU_HWPT_DATA_ARM_SMMUV3: the stage-1
 *                                half of an ARM SMMUv3 stream table entry
 * @ste: words 0 and 1 of the stream table entry the guest wrote for the
 *       device, little-endian
 *
 * Only the fields that describe stage 1 may be set: V, Config (abort,
 * bypass or stage-1 translation), S1Fmt, S1ContextPtr (an address in the
 * parent's IOVA space, the guest's physical address space), S1CDMax,
 * S1DSS, S1CIR, S1COR, S1CSH, S1STALLD and EATS. The kernel combines
 * them with the stage 2 of the vIOMMU's parent into the entry it
 * installs; any other non-zero bit is refused with EIO.
 */
struct iommu_hwpt_arm_smmuv3 {
	__aligned_le64 ste[2];
};

/**
 * enum iommu_hwpt_vtd_s1_flags - flags of struct iommu_hwpt_vtd_s1
 * @IOMMU_VTD_S1_SRE: supervisor requests are allowed
 * @IOMMU_VTD_S1_EAFE: the extended access flag is enabled
 * @IOMMU_VTD_S1_WPE: write protection is enforced for supervisor
 *                    requests
 */
enum iommu_hwpt_vtd_s1_flags {
	IOMMU_VTD_S1_SRE = 1 << 0,
	IOMMU_VTD_S1_EAFE = 1 << 1,
	IOMMU_VTD_S1_WPE = 1 << 2,
};

/**
 * struct iommu_hwpt_vtd_s1 - IOMMU_HWPT_DATA_VTD_S1: an Intel VT-d
 *                            first-stage table
 * @flags: a combination of enum iommu_hwpt_vtd_s1_flags
 * @pgtbl_addr: the table's root, an address in the parent's IOVA space
 * @addr_width: the input address width of the table, in bits (48 for a
 *              4-level, 57 for a 5-level table)
 * @__reserved: must be 0
 */
struct iommu_hwpt_vtd_s1 {
	__aligned_u64 flags;
	__aligned_u64 pgtbl_addr;
	__u32 addr_width;
	__u32 __reserved;
};

/**
 * struct iommu_hw_info_vtd - Intel VT-d data of IOMMU_GET_HW_INFO
 * @flags: reports errata the VMM must work around; none defined here
 *         yet, always 0
 * @__reserved: always 0
 * @cap_reg: the Capability Register of the remapping unit
 * @ecap_reg: the Extended Capability Register of the remapping unit
 *
 * The register layouts are those of the VT-d specification, section
 * "Register Descriptions".
 */
struct iommu_hw_info_vtd {
	__u32 flags;
	__u32 __reserved;
	__aligned_u64 cap_reg;
	__aligned_u64 ecap_reg;
};

/**
 * struct iommu_hw_info_arm_smmuv3 - ARM SMMUv3 data of IOMMU_GET_HW_INFO
 * @flags: reports errata the VMM must work around; none defined here
 *         yet, always 0
 * @__reserved: always 0
 * @idr: the ID registers SMMU_IDR0 to SMMU_IDR5 of the SMMU serving the
 *       device
 * @iidr: SMMU_IIDR, which names the implementation and its revision
 * @aidr: SMMU_AIDR, the architecture revision (SMMUv3.x)
 *
 * The registers are reported as the SMMU presents them, in the layouts of
 * the SMMUv3 architecture specification, except for features that a
 * guest cannot use through a vIOMMU of this kernel: SMMU_IDR0.PRI reads
 * 0 and SMMU_IDR0.STALL_MODEL reads 0b01 (no stalls), since page requests
 * and stalled transactions are not passed on to a guest. A VMM emulating
 * an SMMU for its guest decides from them which features it can back,
 * such as the stage-1 table formats, granules, ASID size and the stream
 * ID width; whether nesting is possible at all, it learns from
 * IOMMU_HWPT_ALLOC with IOMMU_HWPT_ALLOC_NEST_PARENT and
 * IOMMU_VIOMMU_ALLOC.
 */
struct iommu_hw_info_arm_smmuv3 {
	__u32 flags;
	__u32 __reserved;
	__u32 idr[6];
	__u32 iidr;
	__u32 aidr;
};

/**
 * enum iommu_hw_info_type - layout of the data of IOMMU_GET_HW_INFO
 * @IOMMU_HW_INFO_TYPE_NONE: the IOMMU driver reports nothing
 * @IOMMU_HW_INFO_TYPE_DEFAULT: as an input type, whatever the driver
 *                              reports by default (the same value as
 *                              @IOMMU_HW_INFO_TYPE_NONE)
 * @IOMMU_HW_INFO_TYPE_INTEL_VTD: struct iommu_hw_info_vtd
 * @IOMMU_HW_INFO_TYPE_ARM_SMMUV3: struct iommu_hw_info_arm_smmuv3
 */
enum iommu_hw_info_type {
	IOMMU_HW_INFO_TYPE_NONE = 0,
	IOMMU_HW_INFO_TYPE_DEFAULT = 0,
	IOMMU_HW_INFO_TYPE_INTEL_VTD = 1,
	IOMMU_HW_INFO_TYPE_ARM_SMMUV3 = 2,
};

/**
 * enum iommufd_hw_capabilities - generic IOMMU capabilities
 * @IOMMU_HW_CAP_DIRTY_TRACKING: HWPTs can track dirty IOVAs
 * @IOMMU_HW_CAP_PCI_PASID_EXEC: the device may issue PASID requests with
 *                               the execute permission
 * @IOMMU_HW_CAP_PCI_PASID_PRIV: the device may issue PASID requests in
 *                               privileged mode
 */
enum iommufd_hw_capabilities {
	IOMMU_HW_CAP_DIRTY_TRACKING = 1 << 0,
	IOMMU_HW_CAP_PCI_PASID_EXEC = 1 << 1,
	IOMMU_HW_CAP_PCI_PASID_PRIV = 1 << 2,
};

/**
 * enum iommufd_hw_info_flags - flags of struct iommu_hw_info
 * @IOMMU_HW_INFO_FLAG_INPUT_TYPE: @in_data_type names the data layout
 *                                 wanted, instead of the driver's default
 */
enum iommufd_hw_info_flags {
	IOMMU_HW_INFO_FLAG_INPUT_TYPE = 1 << 0,
};

/**
 * struct iommu_hw_info - argument of IOMMU_GET_HW_INFO
 * @size: sizeof(struct iommu_hw_info), set by the caller; at least the
 *        offset of @out_capabilities (32)
 * @flags: a combination of enum iommufd_hw_info_flags
 * @dev_id: a device bound to this context
 * @data_len: input: bytes available at @data_uptr; output: the length of
 *            the data the IOMMU driver reports (0 when it reports none)
 * @data_uptr: user buffer for the driver's data; the kernel writes
 *             min(input @data_len, its own length) bytes of data there
 *             and zeroes the rest of the input length
 * @in_data_type: with IOMMU_HW_INFO_FLAG_INPUT_TYPE, the layout wanted (an
 *                enum iommu_hw_info_type; DEFAULT for the driver's own);
 *                ignored without the flag
 * @out_data_type: the layout of the data, an enum iommu_hw_info_type
 * @out_max_pasid_log2: log2 of the number of PASIDs the device may use,
 *                      0 when it has no PASID support
 * @__reserved: must be 0
 * @out_capabilities: a combination of enum iommufd_hw_capabilities
 *
 * Tells user space about the IOMMU that translates the device, so that a
 * VMM can present a matching virtual IOMMU to its guest. A call with
 * @data_len 0 learns the length of the data. An IOMMU driver that
 * reports nothing gives IOMMU_HW_INFO_TYPE_NONE and @data_len 0; the
 * command itself never fails for that reason.
 *
 * Errors: EOPNOTSUPP for unknown @flags, non-zero @__reserved, or an
 * @in_data_type the IOMMU driver does not report; ENOENT when @dev_id is
 * not a bound device; EFAULT when @data_uptr cannot be written; ENOMEM.
 */
struct iommu_hw_info {
	__u32 size;
	__u32 flags;
	__u32 dev_id;
	__u32 data_len;
	__aligned_u64 data_uptr;
	union {
		__u32 in_data_type;
		__u32 out_data_type;
	};
	__u8 out_max_pasid_log2;
	__u8 __reserved[3];
	__aligned_u64 out_capabilities;
};

#define IOMMU_GET_HW_INFO _IO(IOMMUFD_TYPE, IOMMUFD_CMD_GET_HW_INFO)

/**
 * struct iommu_ioas_map_file - argument of IOMMU_IOAS_MAP_FILE
 * @size: sizeof(struct iommu_ioas_map_file), set by the caller
 * @flags: a combination of enum iommufd_ioas_map_flags
 * @ioas_id: the IOAS that receives the mapping
 * @fd: file descriptor of a memfd (shmem or hugetlbfs) holding the memory
 * @start: byte offset into the file where the mapped part begins
 * @length: number of bytes to map
 * @iova: where the memory appears in the IOAS; an input when
 *        IOMMU_IOAS_MAP_FIXED_IOVA is set, otherwise filled in by the
 *        kernel
 *
 * Like IOMMU_IOAS_MAP, but the memory is named by a file and an offset
 * instead of a virtual address, so the file need not be mapped into the
 * caller. The file's pages are pinned and charged like those of
 * IOMMU_IOAS_MAP.
 *
 * Errors: as for IOMMU_IOAS_MAP, plus EBADF when @fd is not an open
 * file or not open for reading; EINVAL when the file is not a memfd
 * (shmem or hugetlbfs) or @start is not page aligned; EPERM for a
 * writeable map of a file not open for writing or sealed against
 * writes; EFAULT when a page of a hugetlbfs file was never instantiated
 * (shmem pages are allocated as needed); EOVERFLOW also covers @start +
 * @length.
 */
struct iommu_ioas_map_file {
	__u32 size;
	__u32 flags;
	__u32 ioas_id;
	__s32 fd;
	__aligned_u64 start;
	__aligned_u64 length;
	__aligned_u64 iova;
};

#define IOMMU_IOAS_MAP_FILE _IO(IOMMUFD_TYPE, IOMMUFD_CMD_IOAS_MAP_FILE)

/**
 * enum iommufd_hwpt_set_dirty_tracking_flags - flags of
 *                                             IOMMU_HWPT_SET_DIRTY_TRACKING
 * @IOMMU_HWPT_DIRTY_TRACKING_ENABLE: turn tracking on (off without it)
 */
enum iommufd_hwpt_set_dirty_tracking_flags {
	IOMMU_HWPT_DIRTY_TRACKING_ENABLE = 1,
};

/**
 * struct iommu_hwpt_set_dirty_tracking - argument of
 *                                        IOMMU_HWPT_SET_DIRTY_TRACKING
 * @size: sizeof(struct iommu_hwpt_set_dirty_tracking)
 * @flags: a combination of enum iommufd_hwpt_set_dirty_tracking_flags
 * @hwpt_id: a paging HWPT allocated with dirty tracking
 * @__reserved: must be 0
 *
 * Starts or stops recording which IOVAs devices wrote through the HWPT.
 * This kernel does not track dirty IOVAs yet: the command follows the
 * size rules and then fails with EOPNOTSUPP.
 */
struct iommu_hwpt_set_dirty_tracking {
	__u32 size;
	__u32 flags;
	__u32 hwpt_id;
	__u32 __reserved;
};

#define IOMMU_HWPT_SET_DIRTY_TRACKING _IO(IOMMUFD_TYPE, \
					  IOMMUFD_CMD_HWPT_SET_DIRTY_TRACKING)

/**
 * enum iommufd_hwpt_get_dirty_bitmap_flags - flags of
 *                                           IOMMU_HWPT_GET_DIRTY_BITMAP
 * @IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR: read the dirty bits, leave them set
 */
enum iommufd_hwpt_get_dirty_bitmap_flags {
	IOMMU_HWPT_GET_DIRTY_BITMAP_NO_CLEAR = 1,
};

/**
 * struct iommu_hwpt_get_dirty_bitmap - argument of
 *                                      IOMMU_HWPT_GET_DIRTY_BITMAP
 * @size: sizeof(struct iommu_hwpt_get_dirty_bitmap)
 * @hwpt_id: a paging HWPT with dirty tracking on
 * @flags: a combination of enum iommufd_hwpt_get_dirty_bitmap_flags
 * @__reserved: must be 0
 * @iova: first IOVA of the range to report
 * @length: bytes of the range
 * @page_size: the granule one bit of @data stands for
 * @data: user pointer to the bitmap, one bit per @page_size from @iova
 *
 * Not implemented by this kernel yet: after the size rules, EOPNOTSUPP.
 */
struct iommu_hwpt_get_dirty_bitmap {
	__u32 size;
	__u32 hwpt_id;
	__u32 flags;
	__u32 __reserved;
	__aligned_u64 iova;
	__aligned_u64 length;
	__aligned_u64 page_size;
	__aligned_u64 data;
};

#define IOMMU_HWPT_GET_DIRTY_BITMAP _IO(IOMMUFD_TYPE, \
					IOMMUFD_CMD_HWPT_GET_DIRTY_BITMAP)

/**
 * enum iommu_hwpt_invalidate_data_type - layouts of IOMMU_HWPT_INVALIDATE
 *                                        entries
 * @IOMMU_HWPT_INVALIDATE_DATA_VTD_S1: struct iommu_hwpt_vtd_s1_invalidate,
 *                                     for a nested HWPT of VT-d
 * @IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3: struct
 *                                           iommu_viommu_arm_smmuv3_invalidate,
 *                                           for a vIOMMU of type
 *                                           IOMMU_VIOMMU_TYPE_ARM_SMMUV3
 */
enum iommu_hwpt_invalidate_data_type {
	IOMMU_HWPT_INVALIDATE_DATA_VTD_S1 = 0,
	IOMMU_VIOMMU_INVALIDATE_DATA_ARM_SMMUV3 = 1,
};

/**
 * enum iommu_hwpt_vtd_s1_invalidate_flags - flags of struct
 *                                           iommu_hwpt_vtd_s1_invalidate
 * @IOMMU_VTD_INV_FLAGS_LEAF: only leaf entries changed; the IOMMU may keep
 *                            its cached intermediate entries
 */
enum iommu_hwpt_vtd_s1_invalidate_flags {
	IOMMU_VTD_INV_FLAGS_LEAF = 1 << 0,
};

/**
 * struct iommu_hwpt_vtd_s1_invalidate - one VT-d first-stage invalidation
 * @addr: the first address of the range, 4 KiB aligned
 * @npages: the number of 4 KiB pages; @addr 0 with @npages U64_MAX
 *          stands for everything
 * @flags: a combination of enum iommu_hwpt_vtd_s1_invalidate_flags
 * @__reserved: must be 0
 *
 * The IOTLB entries of the range, and the device TLBs of the attached
 * devices, are invalidated for the nested HWPT.
 */
struct iommu_hwpt_vtd_s1_invalidate {
	__aligned_u64 addr;
	__aligned_u64 npages;
	__u32 flags;
	__u32 __reserved;
};

/**
 * struct iommu_viommu_arm_smmuv3_invalidate - one ARM SMMUv3 command
 * @cmd: a command-queue entry as the guest wrote it to its own (virtual)
 *       SMMU's command queue, little-endian
 *
 * Accepted opcodes: CMD_TLBI_NH_ALL, CMD_TLBI_NH_VA, CMD_TLBI_NH_VAA,
 * CMD_TLBI_NH_ASID, CMD_ATC_INV, CMD_CFGI_CD and CMD_CFGI_CD_ALL. The
 * kernel replaces the VMID with the vIOMMU's and a virtual stream ID
 * with the physical one of the vDEVICE that has it; any other opcode,
 * or a stream ID without a vDEVICE, is refused with EIO.
 */
struct iommu_viommu_arm_smmuv3_invalidate {
	__aligned_le64 cmd[2];
};

/**
 * struct iommu_hwpt_invalidate - argument of IOMMU_HWPT_INVALIDATE
 * @size: sizeof(struct iommu_hwpt_invalidate)
 * @hwpt_id: the nested HWPT, or the vIOMMU, whose cached translations to
 *           invalidate
 * @data_uptr: user pointer to an array of @entry_num entries
 * @data_type: the layout of one entry, an enum
 *             iommu_hwpt_invalidate_data_type the HWPT's IOMMU knows
 * @entry_len: bytes of one entry as laid out in the array; at least the
 *             first version of the layout, and any bytes past what this
 *             kernel knows must be zero
 * @entry_num: input: entries in the array; output: entries handled
 * @__reserved: must be 0
 *
 * The IOMMU caches translations from a nested HWPT's stage-1 table, which
 * only its owner changes. After changing it, the owner (a VMM, on behalf
 * of its guest's invalidation commands) passes the invalidations on with
 * this command. The IOMMU driver handles the entries in order and stops
 * at the first it cannot handle; @entry_num then tells how many were
 * handled, also when the command fails. With @entry_num 0 nothing is
 * invalidated; the data type is still checked.
 *
 * A vIOMMU takes the invalidations of everything its guest's IOMMU
 * caches at once (all its nested HWPTs, device caches by virtual ID), in
 * the format of @data_type, for example raw ARM SMMUv3 commands.
 *
 * Errors: EOPNOTSUPP for non-zero @__reserved, entry flags the IOMMU
 * does not know or an IOMMU without user invalidation; EINVAL for
 * entries without @data_uptr or @entry_len, a @hwpt_id that is neither
 * a nested HWPT nor a vIOMMU, a @data_type its IOMMU does not know, an
 * @entry_len
 * shorter than the layout's first version, or an invalid entry; E2BIG
 * for non-zero bytes past the known layout in an entry; ENOENT for a
 * bad @hwpt_id; EFAULT.
 */
struct iommu_hwpt_invalidate {
	__u32 size;
	__u32 hwpt_id;
	__aligned_u64 data_uptr;
	__u32 data_type;
	__u32 entry_len;
	__u32 entry_num;
	__u32 __reserved;
};

#define IOMMU_HWPT_INVALIDATE _IO(IOMMUFD_TYPE, IOMMUFD_CMD_HWPT_INVALIDATE)

/**
 * struct iommu_fault_alloc - argument of IOMMU_FAULT_QUEUE_ALLOC
 * @size: sizeof(struct iommu_fault_alloc)
 * @flags: must be 0
 * @out_fault_id: ID of the new fault queue object
 * @out_fault_fd: file descriptor to read faults from and write responses to
 *
 * Not implemented by this kernel yet: after the size rules, EOPNOTSUPP.
 */
struct iommu_fault_alloc {
	__u32 size;
	__u32 flags;
	__u32 out_fault_id;
	__u32 out_fault_fd;
};

#define IOMMU_FAULT_QUEUE_ALLOC _IO(IOMMUFD_TYPE, IOMMUFD_CMD_FAULT_QUEUE_ALLOC)

/**
 * struct iommu_ioas_change_process - argument of IOMMU_IOAS_CHANGE_PROCESS
 * @size: sizeof(struct iommu_ioas_change_process)
 * @__reserved: must be 0
 *
 * Moves the charges of every IOAS of the context to the calling process,
 * for a VMM handing its work to a new process. Not implemented by this
 * kernel yet: after the size rules, EOPNOTSUPP.
 */
struct iommu_ioas_change_process {
	__u32 size;
	__u32 __reserved;
};

#define IOMMU_IOAS_CHANGE_PROCESS _IO(IOMMUFD_TYPE, \
				      IOMMUFD_CMD_IOAS_CHANGE_PROCESS)

/**
 * enum iommu_viommu_type - kinds of vIOMMU
 * @IOMMU_VIOMMU_TYPE_DEFAULT: a vIOMMU without driver features: a holder
 *                             of vDEVICEs and nested HWPTs on one parent
 * @IOMMU_VIOMMU_TYPE_ARM_SMMUV3: an ARM SMMUv3 as a guest sees it
 * @IOMMU_VIOMMU_TYPE_TEGRA241_CMDQV: an NVIDIA Tegra241 command queue
 *                                    (not supported by this kernel)
 */
enum iommu_viommu_type {
	IOMMU_VIOMMU_TYPE_DEFAULT = 0,
	IOMMU_VIOMMU_TYPE_ARM_SMMUV3 = 1,
	IOMMU_VIOMMU_TYPE_TEGRA241_CMDQV = 2,
};

/**
 * struct iommu_viommu_alloc - argument of IOMMU_VIOMMU_ALLOC
 * @size: sizeof(struct iommu_viommu_alloc); at least the offset of
 *        @data_len (24)
 * @flags: must be 0
 * @type: an enum iommu_viommu_type the device's IOMMU supports
 * @dev_id: a device bound to this context, behind the physical IOMMU the
 *          vIOMMU stands for
 * @hwpt_id: a paging HWPT allocated with IOMMU_HWPT_ALLOC_NEST_PARENT for
 *           that IOMMU: the stage 2 of everything nested in the vIOMMU
 * @out_viommu_id: filled with the new vIOMMU's ID
 * @data_len: bytes at @data_uptr, 0 when @data_uptr is 0
 * @__reserved: must be 0
 * @data_uptr: data of the vIOMMU type, read and written back (types
 *             without data: 0)
 *
 * A vIOMMU is the host's side of one IOMMU that a VMM presents to its
 * guest, on one physical IOMMU instance: it holds the stage-2 parent,
 * which cannot be destroyed before it, and everything the guest's IOMMU
 * shares across its devices, such as the guest's virtual device IDs
 * (IOMMU_VDEVICE_ALLOC) and, on an ARM SMMUv3, the VMID that tags its
 * TLB entries. Nested HWPTs allocated with the vIOMMU as @pt_id of
 * IOMMU_HWPT_ALLOC belong to it; IOMMU_HWPT_INVALIDATE on its ID passes
 * the guest's invalidation commands on; IOMMU_VEVENTQ_ALLOC gives the
 * guest's events back.
 *
 * Errors: EOPNOTSUPP for flags, @__reserved, or a @type the IOMMU does
 * not support; EINVAL for a @hwpt_id that is not a NEST_PARENT paging
 * HWPT of the device's IOMMU, or for data of the wrong size; ENOENT for
 * a bad @dev_id or @hwpt_id; ENOMEM; EFAULT.
 */
struct iommu_viommu_alloc {
	__u32 size;
	__u32 flags;
	__u32 type;
	__u32 dev_id;
	__u32 hwpt_id;
	__u32 out_viommu_id;
	__u32 data_len;
	__u32 __reserved;
	__aligned_u64 data_uptr;
};

#define IOMMU_VIOMMU_ALLOC _IO(IOMMUFD_TYPE, IOMMUFD_CMD_VIOMMU_ALLOC)

/**
 * struct iommu_vdevice_alloc - argument of IOMMU_VDEVICE_ALLOC
 * @size: sizeof(struct iommu_vdevice_alloc)
 * @viommu_id: the vIOMMU the device is behind, in the guest
 * @dev_id: a device bound to this context, of the vIOMMU's physical IOMMU
 * @out_vdevice_id: filled with the new vDEVICE's ID
 * @virt_id: the device's ID on the guest's IOMMU, such as the stream ID
 *           the guest gave it on a virtual ARM SMMUv3
 *
 * A vDEVICE tells the kernel which physical device a virtual ID names,
 * so that guest commands naming the virtual ID reach the right device
 * and events of the device reach the guest under its virtual ID. A
 * device has at most one vDEVICE, and a virtual ID names at most one
 * device of a vIOMMU. The vDEVICE holds its vIOMMU, and disappears with
 * its device when the device's driver unbinds it from the context.
 *
 * Errors: EEXIST when the device already has a vDEVICE or @virt_id is
 * taken in the vIOMMU; EINVAL for a device of another IOMMU instance or
 * a @virt_id that does not fit the kernel's index; ENOENT for a bad
 * @viommu_id or @dev_id; ENOMEM; EFAULT.
 */
struct iommu_vdevice_alloc {
	__u32 size;
	__u32 viommu_id;
	__u32 dev_id;
	__u32 out_vdevice_id;
	__aligned_u64 virt_id;
};

#define IOMMU_VDEVICE_ALLOC _IO(IOMMUFD_TYPE, IOMMUFD_CMD_VDEVICE_ALLOC)

/**
 * enum iommu_veventq_flag - flags of struct iommufd_vevent_header
 * @IOMMU_VEVENTQ_FLAG_LOST_EVENTS: the queue was full and events were
 *                                  dropped before the next one; this
 *                                  header carries no event of its own
 */
enum iommu_veventq_flag {
	IOMMU_VEVENTQ_FLAG_LOST_EVENTS = 1U << 0,
};

/**
 * struct iommufd_vevent_header - what precedes every vEVENT read
 * @flags: a combination of enum iommu_veventq_flag
 * @sequence: the event's number in its queue, counting from 0 to
 *            INT_MAX and then from 0 again; every event takes one,
 *            whether it was queued or dropped
 *
 * A read() of a vEVENTQ's file returns whole records only: a header, and
 * unless @flags has IOMMU_VEVENTQ_FLAG_LOST_EVENTS, the event data of the
 * queue's type right after it.
 */
struct iommufd_vevent_header {
	__u32 flags;
	__u32 sequence;
};

/**
 * enum iommu_veventq_type - kinds of vIOMMU events
 * @IOMMU_VEVENTQ_TYPE_DEFAULT: reserved, not a queue type
 * @IOMMU_VEVENTQ_TYPE_ARM_SMMUV3: struct iommu_vevent_arm_smmuv3
 * @IOMMU_VEVENTQ_TYPE_TEGRA241_CMDQV: NVIDIA Tegra241 command queue
 *                                     errors (not supported)
 */
enum iommu_veventq_type {
	IOMMU_VEVENTQ_TYPE_DEFAULT = 0,
	IOMMU_VEVENTQ_TYPE_ARM_SMMUV3 = 1,
	IOMMU_VEVENTQ_TYPE_TEGRA241_CMDQV = 2,
};

/**
 * struct iommu_vevent_arm_smmuv3 - IOMMU_VEVENTQ_TYPE_ARM_SMMUV3 event
 * @evt: an SMMUv3 event-queue record, little-endian, with the physical
 *       stream ID replaced by the device's virtual ID
 *
 * Reported for faults of stage-1 translation of a device with a vDEVICE
 * (translation, address size, access flag, permission faults and bad
 * context descriptors); faults of the host's stage 2 are not.
 */
struct iommu_vevent_arm_smmuv3 {
	__aligned_le64 evt[4];
};

/**
 * struct iommu_veventq_alloc - argument of IOMMU_VEVENTQ_ALLOC
 * @size: sizeof(struct iommu_veventq_alloc)
 * @flags: must be 0
 * @viommu_id: the vIOMMU whose events to queue
 * @type: an enum iommu_veventq_type the vIOMMU reports
 * @veventq_depth: the number of events the queue holds before it drops
 *                 further ones; at least 1
 * @out_veventq_id: filled with the queue's object ID
 * @out_veventq_fd: filled with a new file descriptor to read events from
 * @__reserved: must be 0
 *
 * A vIOMMU has at most one queue of each type. Events are read as
 * records (struct iommufd_vevent_header plus the type's data), as many
 * whole records as fit in the buffer; a read of an empty queue returns
 * 0 without waiting, and poll() reports EPOLLIN while an event waits.
 * When @veventq_depth events are waiting, further ones are dropped: a
 * header with IOMMU_VEVENTQ_FLAG_LOST_EVENTS follows the events queued
 * before, and carries the sequence number of the last event dropped.
 * The queue holds its vIOMMU, and its open file holds the queue:
 * IOMMU_DESTROY of the queue fails with EBUSY until the file is closed.
 *
 * Errors: EOPNOTSUPP for @flags, @__reserved or @type DEFAULT; EEXIST
 * when the vIOMMU has a queue of this @type; EINVAL for a
 * @veventq_depth of 0; ENOENT for a bad @viommu_id; ENOMEM; EMFILE;
 * EFAULT. A read() whose buffer cannot take the first waiting record
 * fails with EINVAL.
 */
struct iommu_veventq_alloc {
	__u32 size;
	__u32 flags;
	__u32 viommu_id;
	__u32 type;
	__u32 veventq_depth;
	__u32 out_veventq_id;
	__u32 out_veventq_fd;
	__u32 __reserved;
};

#define IOMMU_VEVENTQ_ALLOC _IO(IOMMUFD_TYPE, IOMMUFD_CMD_VEVENTQ_ALLOC)

#endif
