// SPDX-License-Identifier: GPL-2.0-only
/*
 * vEVENTQ objects: events of a vIOMMU's guest, queued for its VMM.
 *
 * An IOMMU driver that sees an event concerning a device with a vDEVICE
 * (say a stage-1 translation fault on an SMMUv3) rewrites it as the
 * guest's IOMMU would have reported it and hands it to
 * iommufd_viommu_report_event(). The VMM reads the events of each type
 * from the queue's file and injects them into the guest.
 *
 * A queue holds a bounded number of events. One that arrives when the
 * queue is full is dropped, and the queue's lost marker, a list node that
 * reads as a header with IOMMU_VEVENTQ_FLAG_LOST_EVENTS, goes to the tail
 * (moving there if it was queued earlier); the reader so learns of the
 * loss where it happened in the stream, or after it. Every event, queued or dropped,
 * takes the next sequence number (counting to INT_MAX, then from 0), and
 * the marker reads with the number of the last one dropped, so the gap
 * before it tells how many were lost.
 *
 * The file holds a reference on the object, and on the context's file so
 * that the context outlives it; IOMMU_DESTROY of the queue is thus
 * refused while the file is open.
 *
 * Locking: viommu->veventqs_rwsem covers the vIOMMU's list of queues
 * (written when a queue comes and goes, read while reporting); the
 * queue's spinlock covers its events, counters and marker; read_mutex
 * serializes readers, which copy to user space without the spinlock.
 */
#include <linux/anon_inodes.h>
#include <linux/file.h>
#include <linux/fs.h>
#include <linux/iommufd.h>
#include <linux/poll.h>
#include <linux/seq_file.h>
#include <linux/slab.h>
#include <uapi/linux/iommufd.h>

#include "iommufd_private.h"

static void iommufd_veventq_destroy(struct iommufd_object *obj)
{
	struct iommufd_veventq *veventq =
		container_of(obj, struct iommufd_veventq, obj);
	struct iommufd_viommu *viommu = veventq->viommu;
	struct iommufd_vevent *vevent, *next;

	down_write(&viommu->veventqs_rwsem);
	list_del(&veventq->item);
	up_write(&viommu->veventqs_rwsem);

	/* Nobody reports or reads any more: no lock needed. */
	list_del(&veventq->lost_node);
	list_for_each_entry_safe(vevent, next, &veventq->events, node) {
		list_del(&vevent->node);
		kfree(vevent);
	}
	mutex_destroy(&veventq->read_mutex);
	iommufd_obj_put(&viommu->obj);
}

static void iommufd_veventq_show(struct seq_file *m, struct iommufd_ctx *ictx,
				 struct iommufd_object *obj)
{
	struct iommufd_veventq *veventq =
		container_of(obj, struct iommufd_veventq, obj);
	u32 num_events;

	spin_lock(&veventq->lock);
	num_events = veventq->num_events;
	spin_unlock(&veventq->lock);
	seq_printf(m, " viommu=%u type=%u depth=%u events=%u",
		   veventq->viommu->obj.id, veventq->type, veventq->depth,
		   num_events);
}

const struct iommufd_otype_ops iommufd_veventq_ops = {
	.destroy = iommufd_veventq_destroy,
	.name = "veventq",
	.show = iommufd_veventq_show,
};

/* Queue @vevent, or count it as lost when the queue is full. */
static void iommufd_veventq_add(struct iommufd_veventq *veventq,
				struct iommufd_vevent *vevent)
{
	spin_lock(&veventq->lock);
	vevent->sequence = veventq->sequence;
	veventq->sequence = (veventq->sequence + 1) & INT_MAX;
	if (veventq->num_events < veventq->depth) {
		list_add_tail(&vevent->node, &veventq->events);
		veventq->num_events++;
		vevent = NULL;
	} else {
		/*
		 * The marker goes (or moves) behind everything queued, so that
		 * sequence numbers keep rising along the stream; an earlier
		 * loss stays visible as a gap between the events around it.
		 */
		veventq->lost_sequence = vevent->sequence;
		list_move_tail(&veventq->lost_node, &veventq->events);
	}
	spin_unlock(&veventq->lock);
	kfree(vevent);
	wake_up_interruptible(&veventq->wait);
}

/**
 * iommufd_viommu_report_event() - queue an event for a vIOMMU's guest
 * @viommu: the vIOMMU
 * @type: the queue type, an enum iommu_veventq_type of the uAPI
 * @data: the event, as the queue type lays it out for user space
 * @len: its size
 *
 * The event is copied. May sleep.
 *
 * Return: 0 when the event was queued or counted as lost, -EOPNOTSUPP
 * when @viommu has no queue of @type, -ENOMEM.
 */
int iommufd_viommu_report_event(struct iommufd_viommu *viommu,
				unsigned int type, const void *data,
				size_t len)
{
	struct iommufd_veventq *veventq;
	struct iommufd_vevent *vevent;
	int rc = -EOPNOTSUPP;

	down_read(&viommu->veventqs_rwsem);
	list_for_each_entry(veventq, &viommu->veventqs, item) {
		if (veventq->type != type)
			continue;
		vevent = kzalloc(struct_size(vevent, data, len), GFP_KERNEL);
		if (!vevent) {
			rc = -ENOMEM;
			break;
		}
		INIT_LIST_HEAD(&vevent->node);
		vevent->len = len;
		memcpy(vevent->data, data, len);
		iommufd_veventq_add(veventq, vevent);
		rc = 0;
		break;
	}
	up_read(&viommu->veventqs_rwsem);
	return rc;
}
EXPORT_SYMBOL_NS_GPL(iommufd_viommu_report_event, IOMMUFD);

/*
 * Take the oldest record off the queue if a record of it fits in @room
 * bytes: an event, or &veventq->lost_node. NULL when the queue is empty;
 * ERR_PTR(-EMSGSIZE) when the record does not fit.
 */
static struct list_head *iommufd_veventq_pop(struct iommufd_veventq *veventq,
					     size_t room, u32 *lost_seq)
{
	struct iommufd_vevent *vevent;
	struct list_head *node;
	size_t need;

	spin_lock(&veventq->lock);
	node = list_empty(&veventq->events) ? NULL : veventq->events.next;
	if (!node)
		goto out;
	need = sizeof(struct iommufd_vevent_header);
	if (node != &veventq->lost_node) {
		vevent = list_entry(node, struct iommufd_vevent, node);
		need += vevent->len;
	}
	if (need > room) {
		node = ERR_PTR(-EMSGSIZE);
		goto out;
	}
	list_del_init(node);
	if (node == &veventq->lost_node)
		*lost_seq = veventq->lost_sequence;
	else
		veventq->num_events--;
out:
	spin_unlock(&veventq->lock);
	return node;
}

/* Put back a record that could not be copied out, at the head. */
static void iommufd_veventq_unpop(struct iommufd_veventq *veventq,
				  struct list_head *node)
{
	spin_lock(&veventq->lock);
	list_add(node, &veventq->events);
	if (node != &veventq->lost_node)
		veventq->num_events++;
	spin_unlock(&veventq->lock);
}

static ssize_t iommufd_veventq_read(struct file *filep, char __user *buf,
				    size_t count, loff_t *ppos)
{
	struct iommufd_veventq *veventq = filep->private_data;
	struct iommufd_vevent_header hdr;
	struct iommufd_vevent *vevent;
	struct list_head *node;
	size_t done = 0;
	u32 lost_seq = 0;
	int rc = 0;

	if (*ppos)
		return -ESPIPE;

	mutex_lock(&veventq->read_mutex);
	for (;;) {
		node = iommufd_veventq_pop(veventq, count - done, &lost_seq);
		if (IS_ERR_OR_NULL(node)) {
			/* Only a first record that cannot fit is an error. */
			if (IS_ERR(node) && !done)
				rc = -EINVAL;
			break;
		}
		if (node == &veventq->lost_node) {
			vevent = NULL;
			hdr.flags = IOMMU_VEVENTQ_FLAG_LOST_EVENTS;
			hdr.sequence = lost_seq;
		} else {
			vevent = list_entry(node, struct iommufd_vevent, node);
			hdr.flags = 0;
			hdr.sequence = vevent->sequence;
		}
		if (copy_to_user(buf + done, &hdr, sizeof(hdr)) ||
		    (vevent && copy_to_user(buf + done + sizeof(hdr),
					    vevent->data, vevent->len))) {
			iommufd_veventq_unpop(veventq, node);
			if (!done)
				rc = -EFAULT;
			break;
		}
		done += sizeof(hdr);
		if (vevent) {
			done += vevent->len;
			kfree(vevent);
		}
	}
	mutex_unlock(&veventq->read_mutex);
	return done ?: rc;
}

static __poll_t iommufd_veventq_poll(struct file *filep,
				     struct poll_table_struct *wait)
{
	struct iommufd_veventq *veventq = filep->private_data;
	__poll_t mask = 0;

	poll_wait(filep, &veventq->wait, wait);
	spin_lock(&veventq->lock);
	if (!list_empty(&veventq->events))
		mask = EPOLLIN | EPOLLRDNORM;
	spin_unlock(&veventq->lock);
	return mask;
}

static int iommufd_veventq_release(struct inode *inode, struct file *filep)
{
	struct iommufd_veventq *veventq = filep->private_data;
	struct file *ictx_file = veventq->ictx->file;

	/* The context's table keeps the object until it is destroyed. */
	iommufd_obj_put(&veventq->obj);
	fput(ictx_file);
	return 0;
}

static const struct file_operations iommufd_veventq_fops = {
	.owner = THIS_MODULE,
	.read = iommufd_veventq_read,
	.poll = iommufd_veventq_poll,
	.release = iommufd_veventq_release,
	.llseek = no_llseek,
};

/*
 * Make @veventq one of @viommu's queues, unless it has one of that type
 * already. From then on the destroy callback undoes the queue.
 */
static int iommufd_veventq_link(struct iommufd_viommu *viommu,
				struct iommufd_veventq *veventq)
{
	struct iommufd_veventq *other;
	int rc = 0;

	down_write(&viommu->veventqs_rwsem);
	list_for_each_entry(other, &viommu->veventqs, item) {
		if (other->type == veventq->type) {
			rc = -EEXIST;
			goto out;
		}
	}
	refcount_inc(&viommu->obj.users);
	veventq->viommu = viommu;
	list_add_tail(&veventq->item, &viommu->veventqs);
out:
	up_write(&viommu->veventqs_rwsem);
	return rc;
}

/**
 * iommufd_veventq_alloc_ioctl() - IOMMU_VEVENTQ_ALLOC
 * @ucmd: the call; its argument is a struct iommu_veventq_alloc
 *
 * Return: 0 or an errno as the uAPI documents.
 */
int iommufd_veventq_alloc_ioctl(struct iommufd_ucmd *ucmd)
{
	struct iommu_veventq_alloc *cmd = ucmd->cmd;
	struct iommufd_ctx *ictx = ucmd->ictx;
	struct iommufd_veventq *veventq;
	struct iommufd_viommu *viommu;
	struct iommufd_object *obj;
	struct file *filep;
	int fd, rc;

	if (cmd->flags || cmd->__reserved ||
	    cmd->type == IOMMU_VEVENTQ_TYPE_DEFAULT)
		return -EOPNOTSUPP;
	if (!cmd->veventq_depth)
		return -EINVAL;

	obj = iommufd_obj_get(ictx, cmd->viommu_id, IOMMUFD_OTYPE_VIOMMU);
	if (IS_ERR(obj))
		return PTR_ERR(obj);
	viommu = iommufd_viommu_of_obj(obj);

	veventq = iommufd_obj_new(ictx, struct iommufd_veventq,
				  IOMMUFD_OTYPE_VEVENTQ);
	if (IS_ERR(veventq)) {
		rc = PTR_ERR(veventq);
		goto out_put_viommu;
	}
	veventq->ictx = ictx;
	veventq->type = cmd->type;
	veventq->depth = cmd->veventq_depth;
	mutex_init(&veventq->read_mutex);
	init_waitqueue_head(&veventq->wait);
	spin_lock_init(&veventq->lock);
	INIT_LIST_HEAD(&veventq->events);
	INIT_LIST_HEAD(&veventq->lost_node);

	rc = iommufd_veventq_link(viommu, veventq);
	if (rc) {
		mutex_destroy(&veventq->read_mutex);
		iommufd_obj_discard(ictx, &veventq->obj);
		goto out_put_viommu;
	}

	fd = get_unused_fd_flags(O_CLOEXEC);
	if (fd < 0) {
		rc = fd;
		goto out_abort;
	}
	/*
	 * Answer before the file exists: a file cannot be taken back
	 * synchronously, as its release runs later.
	 */
	cmd->out_veventq_id = veventq->obj.id;
	cmd->out_veventq_fd = fd;
	rc = iommufd_ucmd_respond(ucmd);
	if (rc)
		goto out_put_fd;
	filep = anon_inode_getfile("[iommufd-veventq]", &iommufd_veventq_fops,
				   veventq, O_RDONLY);
	if (IS_ERR(filep)) {
		rc = PTR_ERR(filep);
		goto out_put_fd;
	}
	/* The file's references, dropped by its release */
	refcount_inc(&veventq->obj.users);
	get_file(ictx->file);
	iommufd_obj_publish(ictx, &veventq->obj);
	fd_install(fd, filep);
	goto out_put_viommu;

out_put_fd:
	put_unused_fd(fd);
out_abort:
	iommufd_obj_abort(ictx, &veventq->obj);
out_put_viommu:
	iommufd_obj_put(&viommu->obj);
	return rc;
}
