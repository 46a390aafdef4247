/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Internal interfaces of iommufd shared between its source files.
 *
 * Object model: everything a user creates through /dev/iommu is an
 * object embedding struct iommufd_object as its first member. Objects
 * live in the per-file context's ID table (ictx->objects) and are named
 * to userspace by their ID. An object is born in two steps:
 *
 *   iommufd_obj_new()     allocate the object and reserve an ID for it;
 *                         lookups cannot see it yet
 *   iommufd_obj_publish() make the ID visible; the object now belongs to
 *                         the table and may be destroyed at any time
 *   iommufd_obj_abort()   or, instead of publishing, undo the creation
 *                         (iommufd_obj_discard() when the type's own
 *                         state was never set up)
 *
 * obj->users counts the table's own reference (one) plus one per holder
 * obtained with iommufd_obj_get(), including references one object keeps
 * on another object it depends on. An object is only ever destroyed
 * when the table's reference is the last one, so a holder never sees its
 * object freed underneath it and never drops the count to zero.
 *
 * The locks are described in main.c, which owns the table.
 */
#ifndef __IOMMUFD_PRIVATE_H
#define __IOMMUFD_PRIVATE_H

#include <linux/atomic.h>
#include <linux/build_bug.h>
#include <linux/container_of.h>
#include <linux/err.h>
#include <linux/iommufd.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mutex.h>
#include <linux/refcount.h>
#include <linux/rwsem.h>
#include <linux/spinlock.h>
#include <linux/stddef.h>
#include <linux/types.h>
#include <linux/wait.h>
#include <linux/xarray.h>

#include "io_pagetable.h"

struct device;
struct file;
struct iommu_device;
struct iommu_domain;
struct iommu_group;
struct iommu_ops;
struct iommu_user_data;
struct seq_file;

/**
 * struct iommufd_ctx - state of one open /dev/iommu file
 * @file: the file this context belongs to
 * @objects: ID -> struct iommufd_object *; reserved (unpublished) IDs hold
 *           a zero entry, which lookups do not return. Published devices
 *           carry IOMMUFD_MARK_DEVICE, so fdinfo can walk just them.
 * @charge_mode: an enum iommufd_charge_mode; written under the xa_lock of
 *               @objects and only while @objects is empty, so it is stable
 *               for anyone holding an object
 * @vfio_ioas: the IOAS the VFIO compatibility layer works on, or NULL
 *             (IOMMU_VFIO_IOAS). It holds no reference: it is read and
 *             written under the xa_lock of @objects, and the code that
 *             takes an object out of @objects clears it in the same
 *             critical section.
 * @groups_lock: protects @groups
 * @groups: iommu_group ID -> struct iommufd_group, for every group with a
 *          device bound to this context
 * @nr_devices: bound devices plus accesses of emulated devices; the VFIO
 *              type1 ioctls charge per process only while it is not zero
 * @teardown_rwsem: object destroy callbacks run with it held for reading;
 *                  /proc/PID/fdinfo holds it for writing, so that an
 *                  object it found in @objects stays intact while it is
 *                  described, even if it is removed from @objects
 *                  meanwhile (see iommufd_fops_show_fdinfo())
 * @test_batch_limit_set: (CONFIG_IOMMUFD_TEST) this context changed the
 *                        global pinning batch, which its release restores
 */
/* The xarray mark of device objects in iommufd_ctx.objects */
#define IOMMUFD_MARK_DEVICE XA_MARK_1

struct iommufd_ctx {
	struct file *file;
	struct xarray objects;
	struct rw_semaphore teardown_rwsem; /* see the kernel-doc above */
	struct mutex groups_lock; /* see the kernel-doc above */
	struct xarray groups;
	atomic_t nr_devices;
	u8 charge_mode;
	struct iommufd_ioas *vfio_ioas;
#ifdef CONFIG_IOMMUFD_TEST
	bool test_batch_limit_set;
#endif
};

/**
 * struct iommufd_otype_ops - what the core needs to know about a type
 * @destroy: release everything the object owns, including the references
 *           it holds on other objects. The core frees the object memory
 *           afterwards. Called without any iommufd lock held.
 * @abort: undo a creation that is not published yet; when NULL,
 *         @destroy is used instead
 * @name: the type as /proc/PID/fdinfo names it
 * @show: optional; append " key=value" pairs describing the object to
 *        its fdinfo line. Called with the context's teardown_rwsem held
 *        for writing and nothing else, so it may take the object's own
 *        locks; the object may already be out of the table. A type with
 *        @show runs @destroy under teardown_rwsem, so its @destroy must
 *        not destroy other objects.
 */
struct iommufd_otype_ops {
	void (*destroy)(struct iommufd_object *obj);
	void (*abort)(struct iommufd_object *obj);
	const char *name;
	void (*show)(struct seq_file *m, struct iommufd_ctx *ictx,
		     struct iommufd_object *obj);
};

struct iommufd_object *iommufd_obj_new_raw(struct iommufd_ctx *ictx,
					   size_t size,
					   enum iommufd_otype type);
void iommufd_obj_publish(struct iommufd_ctx *ictx, struct iommufd_object *obj);
void iommufd_obj_discard(struct iommufd_ctx *ictx, struct iommufd_object *obj);
void iommufd_obj_abort(struct iommufd_ctx *ictx, struct iommufd_object *obj);
struct iommufd_object *iommufd_obj_get(struct iommufd_ctx *ictx, u32 id,
				       enum iommufd_otype type);
void iommufd_obj_destroy_held(struct iommufd_ctx *ictx,
			      struct iommufd_object *obj);
void iommufd_obj_put_destroy_unused(struct iommufd_ctx *ictx,
				    struct iommufd_object *obj);

/* Take another reference unless the object is already being destroyed */
static inline bool iommufd_obj_tryget(struct iommufd_object *obj)
{
	return refcount_inc_not_zero(&obj->users);
}

void iommufd_obj_put(struct iommufd_object *obj);
void iommufd_obj_put_lookup(struct iommufd_ctx *ictx,
			    struct iommufd_object *obj);

/*
 * Allocate a zeroed @ptype of type @otype, with a reserved ID. Every
 * object type is a struct that starts with its struct iommufd_object,
 * named @member (obj, or common.obj for a HWPT).
 */
#define iommufd_obj_new_at(ictx, ptype, member, otype)                        \
	({                                                                    \
		struct iommufd_object *__obj;                                 \
									      \
		static_assert(offsetof(ptype, member) == 0);                  \
		__obj = iommufd_obj_new_raw(ictx, sizeof(ptype), otype);      \
		IS_ERR(__obj) ? ERR_CAST(__obj) : (typeof(ptype) *)__obj;     \
	})

#define iommufd_obj_new(ictx, ptype, otype)                                   \
	iommufd_obj_new_at(ictx, ptype, obj, otype)

/**
 * struct iommufd_ucmd - one ioctl call being handled
 * @ictx: the context the call was made on
 * @ubuffer: the user's argument struct
 * @user_size: the size userspace says @ubuffer has
 * @kernel_size: sizeof() the argument struct this kernel knows
 * @cmd: kernel copy of the argument, @kernel_size bytes; any part the
 *       user did not supply reads as zero
 */
struct iommufd_ucmd {
	struct iommufd_ctx *ictx;
	void __user *ubuffer;
	u32 user_size;
	size_t kernel_size;
	void *cmd;
};

int iommufd_ucmd_respond(struct iommufd_ucmd *ucmd);

/**
 * struct iommufd_ioas - an IO address space object (IOMMUFD_OTYPE_IOAS)
 * @obj: object header
 * @iopt: the IOVA layout
 * @mutex: protects @hwpt_list, and serializes the choice or creation of
 *         an automatic HWPT for a device attaching to this IOAS
 * @hwpt_list: the struct iommufd_hwpt_paging built on this IOAS, through
 *             their hwpt_item; entries may be mid-destruction (users 0)
 */
struct iommufd_ioas {
	struct iommufd_object obj;
	struct io_pagetable iopt;
	struct mutex mutex; /* see the kernel-doc above */
	struct list_head hwpt_list;
};

struct iommufd_ioas *iommufd_ioas_get(struct iommufd_ctx *ictx, u32 id);
struct iommufd_ioas *iommufd_ioas_create(struct iommufd_ctx *ictx);

static inline void iommufd_ioas_put(struct iommufd_ioas *ioas)
{
	iommufd_obj_put(&ioas->obj);
}

/**
 * struct iommufd_hwpt - what every HWPT object starts with
 * @obj: object header; every device attachment (RID or PASID) holds a
 *       reference, and so does every nested HWPT on a paging one
 * @domain: the iommu_domain, owned by the HWPT
 * @iommu_ops: the ops of the IOMMU driver that allocated @domain; only
 *             devices of that driver may be attached
 * @iommu_dev: the IOMMU instance of the device @domain was allocated for
 * @pasid_compat: allocated with IOMMU_HWPT_ALLOC_PASID: the domain may be
 *                attached to PASIDs
 */
struct iommufd_hwpt {
	struct iommufd_object obj;
	struct iommu_domain *domain;
	const struct iommu_ops *iommu_ops;
	struct iommu_device *iommu_dev;
	bool pasid_compat;
};

/**
 * struct iommufd_hwpt_paging - a hardware page table that mirrors an IOAS
 *                              (IOMMUFD_OTYPE_HWPT_PAGING)
 * @common: the HWPT; its domain is in @ioas's io_pagetable for the
 *          object's whole life
 * @ioas: the IOAS mirrored, with a reference held
 * @auto_domain: created by attaching a device to the IOAS itself; it is
 *               destroyed when its last device leaves
 * @nest_parent: allocated with IOMMU_HWPT_ALLOC_NEST_PARENT: nested HWPTs
 *               may use it as their stage 2
 * @enforce_cache_coherency: the domain forces DMA to snoop CPU caches
 * @msi_lock: protects @msi_cookie
 * @msi_cookie: the domain has its software MSI window set up, and the
 *              window is reserved in @ioas with the HWPT as owner
 * @hwpt_item: entry in @ioas's hwpt_list, under the IOAS mutex
 */
struct iommufd_hwpt_paging {
	struct iommufd_hwpt common;
	struct iommufd_ioas *ioas;
	bool auto_domain;
	bool nest_parent;
	bool enforce_cache_coherency;
	struct mutex msi_lock; /* see the kernel-doc above */
	bool msi_cookie;
	struct list_head hwpt_item;
};

/**
 * struct iommufd_hwpt_nested - a stage-1 table owned by user space, nested
 *                              on a paging HWPT (IOMMUFD_OTYPE_HWPT_NESTED)
 * @common: the HWPT; its domain is of type IOMMU_DOMAIN_NESTED
 * @parent: the stage-2 HWPT, with a reference held: the IOMMU translates
 *          the addresses of the stage-1 table and of its output through
 *          it, so it must outlive this HWPT
 * @viommu: the vIOMMU it was allocated on (whose parent is @parent), with
 *          a reference held, or NULL
 */
struct iommufd_hwpt_nested {
	struct iommufd_hwpt common;
	struct iommufd_hwpt_paging *parent;
	struct iommufd_viommu *viommu;
};

static inline bool iommufd_otype_is_hwpt(enum iommufd_otype type)
{
	return type == IOMMUFD_OTYPE_HWPT_PAGING ||
	       type == IOMMUFD_OTYPE_HWPT_NESTED;
}

/*
 * The paging HWPT whose IOAS holds what @hwpt's DMA reaches: the HWPT
 * itself, or the parent of a nested one.
 */
static inline struct iommufd_hwpt_paging *
iommufd_hwpt_paging_of(struct iommufd_hwpt *hwpt)
{
	if (hwpt->obj.type == IOMMUFD_OTYPE_HWPT_NESTED)
		return container_of(hwpt, struct iommufd_hwpt_nested,
				    common)->parent;
	return container_of(hwpt, struct iommufd_hwpt_paging, common);
}

struct iommufd_hwpt_paging *
iommufd_hwpt_paging_alloc(struct iommufd_ctx *ictx, struct iommufd_ioas *ioas,
			  struct device *dev, u32 flags, bool auto_domain,
			  const struct iommu_user_data *user_data);
int iommufd_hwpt_alloc_ioctl(struct iommufd_ucmd *ucmd);
int iommufd_hwpt_invalidate_ioctl(struct iommufd_ucmd *ucmd);
int iommufd_get_hw_info_ioctl(struct iommufd_ucmd *ucmd);

/**
 * struct iommufd_attach - what one PASID of a group's devices is attached to
 * @hwpt: the HWPT; each device in @devices holds a reference on it
 * @devices: ID -> struct iommufd_device, the devices of the group that
 *           attached this PASID
 *
 * For the RID (IOMMU_NO_PASID) the IOMMU translates a whole group at
 * once, so the group's domain is installed when the first device attaches
 * and removed when the last one leaves. A PASID's domain is installed per
 * device; the group's devices that use the PASID still share its HWPT,
 * as they do for the RID.
 */
struct iommufd_attach {
	struct iommufd_hwpt *hwpt;
	struct xarray devices;
};

/**
 * struct iommufd_group - an iommu_group as seen by one context
 * @ref: one per bound device of the group, and one per bind in progress
 * @owners: devices of the group whose DMA ownership this context holds,
 *          under ictx->groups_lock; the context owns the group exactly
 *          while this is not zero
 * @ictx: the context
 * @group: the iommu_group, with a reference held
 * @lock: protects @attach and everything in it
 * @attach: PASID -> struct iommufd_attach, for the RID (IOMMU_NO_PASID)
 *          and every PASID that at least one device of the group has
 *          attached
 * @sw_msi_start: base of the group's software-managed MSI window, or
 *                PHYS_ADDR_MAX when it has none; known once the group
 *                was attached
 * @sw_msi_length: its length
 *
 * Lock order: the IOAS mutex -> @lock -> the io_pagetable lock and the
 * iommu_group's own mutex.
 */
struct iommufd_group {
	struct kref ref;
	unsigned int owners;
	struct iommufd_ctx *ictx;
	struct iommu_group *group;
	struct mutex lock; /* see the kernel-doc above */
	struct xarray attach;
	phys_addr_t sw_msi_start;
	size_t sw_msi_length;
};

/**
 * struct iommufd_device - a device bound to a context by its driver
 *                         (IOMMUFD_OTYPE_DEVICE)
 * @obj: object header; the driver holds a reference until it unbinds
 * @ictx: the context
 * @igroup: the device's group in this context, with a reference held
 * @dev: the device
 * @holds_ctx: the binding holds a reference on the context's file
 * @vdev_lock: protects @vdev and @unbinding
 * @vdev: the device's vDEVICE, or NULL; it holds no reference on the
 *        device, which destroys it before going away
 * @unbinding: the driver is unbinding the device: no new vDEVICE
 */
struct iommufd_device {
	struct iommufd_object obj;
	struct iommufd_ctx *ictx;
	struct iommufd_group *igroup;
	struct device *dev;
	bool holds_ctx;
	struct mutex vdev_lock; /* see the kernel-doc above */
	struct iommufd_vdevice *vdev;
	bool unbinding;
};

/**
 * struct iommufd_vdevice - a device as a vIOMMU's guest names it
 *                          (IOMMUFD_OTYPE_VDEVICE)
 * @obj: object header
 * @viommu: the vIOMMU, with a reference held
 * @idev: the device; valid for the vDEVICE's whole life, since the device
 *        destroys its vDEVICE before it is unbound
 * @virt_id: the index in @viommu's vdevs
 */
struct iommufd_vdevice {
	struct iommufd_object obj;
	struct iommufd_viommu *viommu;
	struct iommufd_device *idev;
	unsigned long virt_id;
};

void iommufd_device_destroy_vdev(struct iommufd_device *idev);
void iommufd_hwpt_show_devices(struct seq_file *m, struct iommufd_ctx *ictx,
			       struct iommufd_hwpt *hwpt);

/**
 * struct iommufd_vevent - one record waiting in a vEVENTQ
 * @node: entry in the queue's events
 * @sequence: the number in its struct iommufd_vevent_header
 * @len: bytes of @data
 * @data: the event of the queue's type
 */
struct iommufd_vevent {
	struct list_head node;
	u32 sequence;
	size_t len;
	u8 data[];
};

/**
 * struct iommufd_veventq - a queue of one vIOMMU's events of one type
 *                          (IOMMUFD_OTYPE_VEVENTQ)
 * @obj: object header; the open file holds a reference
 * @viommu: the vIOMMU, with a reference held
 * @ictx: the context, whose file the queue's file holds
 * @type: an enum iommu_veventq_type of the uAPI
 * @depth: the most events waiting at once
 * @item: entry in the vIOMMU's veventqs
 * @read_mutex: serializes readers, so records leave in order
 * @wait: where poll() waits for an event
 * @lock: protects everything below
 * @events: the waiting struct iommufd_vevent, oldest first, and
 *          @lost_node when it is queued
 * @num_events: the entries of @events that are events
 * @sequence: the number the next event gets
 * @lost_node: put at the tail when an event is dropped for lack of
 *             room (moved there if it is queued already); it reads as a
 *             header with IOMMU_VEVENTQ_FLAG_LOST_EVENTS
 * @lost_sequence: the number of the last event dropped
 */
struct iommufd_veventq {
	struct iommufd_object obj;
	struct iommufd_viommu *viommu;
	struct iommufd_ctx *ictx;
	unsigned int type;
	u32 depth;
	struct list_head item;
	struct mutex read_mutex; /* see the kernel-doc above */
	wait_queue_head_t wait;
	spinlock_t lock; /* see the kernel-doc above */
	struct list_head events;
	u32 num_events;
	u32 sequence;
	struct list_head lost_node;
	u32 lost_sequence;
};

static inline struct iommufd_viommu *
iommufd_viommu_of_obj(struct iommufd_object *obj)
{
	return container_of(obj, struct iommufd_viommu, obj);
}

int iommufd_viommu_alloc_ioctl(struct iommufd_ucmd *ucmd);
int iommufd_vdevice_alloc_ioctl(struct iommufd_ucmd *ucmd);
int iommufd_veventq_alloc_ioctl(struct iommufd_ucmd *ucmd);

struct iommufd_device *iommufd_device_bind_internal(struct iommufd_ctx *ictx,
						    struct device *dev,
						    u32 *id, bool hold_ctx);

extern const struct iommufd_otype_ops iommufd_ioas_ops;
extern const struct iommufd_otype_ops iommufd_access_ops;
extern const struct iommufd_otype_ops iommufd_hwpt_paging_ops;
extern const struct iommufd_otype_ops iommufd_hwpt_nested_ops;
extern const struct iommufd_otype_ops iommufd_device_ops;
extern const struct iommufd_otype_ops iommufd_viommu_ops;
extern const struct iommufd_otype_ops iommufd_vdevice_ops;
extern const struct iommufd_otype_ops iommufd_veventq_ops;
extern const struct iommufd_otype_ops iommufd_selftest_ops;

/* ioctl handlers */
int iommufd_ioas_alloc_ioctl(struct iommufd_ucmd *ucmd);
int iommufd_ioas_allow_iovas_ioctl(struct iommufd_ucmd *ucmd);
int iommufd_ioas_iova_ranges_ioctl(struct iommufd_ucmd *ucmd);
int iommufd_ioas_map_ioctl(struct iommufd_ucmd *ucmd);
int iommufd_ioas_map_file_ioctl(struct iommufd_ucmd *ucmd);
int iommufd_ioas_copy_ioctl(struct iommufd_ucmd *ucmd);
int iommufd_ioas_unmap_ioctl(struct iommufd_ucmd *ucmd);
int iommufd_ioas_huge_pages_option(struct iommufd_ucmd *ucmd);
int iommufd_vfio_ioas_ioctl(struct iommufd_ucmd *ucmd);

struct iommufd_ioas *iommufd_vfio_compat_ioas_get(struct iommufd_ctx *ictx);
long iommufd_vfio_ioctl(struct iommufd_ctx *ictx, unsigned int cmd,
			unsigned long arg);

#ifdef CONFIG_IOMMUFD_TEST
int iommufd_test_ioctl(struct iommufd_ucmd *ucmd);
void iommufd_test_ctx_release(struct iommufd_ctx *ictx);
int iommufd_test_init(void);
void iommufd_test_exit(void);
#else
static inline void iommufd_test_ctx_release(struct iommufd_ctx *ictx)
{
}

static inline int iommufd_test_init(void)
{
	return 0;
}

static inline void iommufd_test_exit(void)
{
}
#endif

#endif
