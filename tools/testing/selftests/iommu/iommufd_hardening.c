// SPDX-License-Identifier: GPL-2.0-only
/*
 * What a hostile or careless user of /dev/iommu must not get away with,
 * one test (or a few) per defect found in review:
 *
 *  - memlock: the VFIO type1 ioctls charge per process only where type1
 *    could (a device in the context); with no device a forked child gets
 *    no fresh budget, and IOMMU_IOAS_MAP keeps its per-user and
 *    per-process rules across fork, exec and the mapper's exit;
 *  - VFIO_IOMMU_GET_INFO writes no more than argsz and no kernel bytes;
 *  - no lock that another context's device teardown needs is held while
 *    a user buffer faults (userfaultfd write-protect stalls the copy for
 *    as long as the test likes).
 *
 * Needs root and CONFIG_IOMMUFD_TEST (mock devices); the userfaultfd
 * tests need CONFIG_USERFAULTFD. The binary also re-executes itself
 * ("--exec-child") for the exec test.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <linux/iommufd.h>
#include <linux/userfaultfd.h>
#include <linux/vfio.h>

#include "../kselftest_harness.h"
#include "iommufd_utils.h"

#define NR_FORKS 4
#define LIMIT_1_5M (SZ_1M + SZ_1M / 2)

static void *buf_1m(void)
{
	void *p = mmap(NULL, SZ_1M * NR_FORKS, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		return NULL;
	memset(p, 1, SZ_1M * NR_FORKS);
	return p;
}

/*
 * @NR_FORKS times: fork a child that maps 1 MiB (its own slice of @buf)
 * at IOVA @iova + i MiB through @fd, with IOAS_MAP into @ioas_id or, when
 * it is 0, with VFIO_IOMMU_MAP_DMA, and exits. Return how many of the
 * maps succeeded, or -1 when a child failed otherwise than with ENOMEM.
 */
static int maps_from_children(int fd, __u32 ioas_id, char *buf, __u64 iova)
{
	int i, ok = 0;

	for (i = 0; i < NR_FORKS; i++) {
		__u64 at = iova + i * SZ_1M;
		pid_t pid = fork();
		int rc;

		if (pid < 0)
			return -1;
		if (!pid) {
			if (ioas_id)
				rc = ioas_map_fixed(fd, ioas_id,
						    buf + i * SZ_1M, SZ_1M, at);
			else
				rc = type1_map(fd, buf + i * SZ_1M, at, SZ_1M,
					       T1_RW);
			if (!rc)
				_exit(0);
			_exit(errno == ENOMEM ? 1 : 2);
		}
		rc = wait_child(pid);
		if (rc == 0)
			ok++;
		else if (rc != 1)
			return -1;
	}
	return ok;
}

/*
 * @NR_FORKS children that each map 1 MiB (their own slice of @buf) at
 * IOVA @iova + i MiB with VFIO_IOMMU_MAP_DMA through @fd, then stay alive
 * until killed, so that a later pin still finds their memory; @pids gets
 * them (0 for those not started). Return how many of the maps succeeded,
 * or -1 when a child failed otherwise than with ENOMEM.
 */
static int type1_maps_from_live_children(int fd, char *buf, __u64 iova,
					 pid_t *pids)
{
	int i, ok = 0, report[2];
	char rc;

	memset(pids, 0, NR_FORKS * sizeof(*pids));
	if (pipe(report))
		return -1;
	for (i = 0; i < NR_FORKS; i++) {
		pids[i] = fork();
		if (pids[i] < 0)
			return -1;
		if (!pids[i]) {
			rc = 0;
			if (type1_map(fd, buf + i * SZ_1M, iova + i * SZ_1M,
				      SZ_1M, T1_RW))
				rc = errno == ENOMEM ? 1 : 2;
			if (write(report[1], &rc, 1) != 1)
				_exit(1);
			for (;;)
				pause();
		}
		if (read(report[0], &rc, 1) != 1 || rc == 2)
			return -1;
		if (!rc)
			ok++;
	}
	close(report[0]);
	close(report[1]);
	return ok;
}

static void kill_children(pid_t *pids)
{
	int i;

	for (i = 0; i < NR_FORKS && pids[i] > 0; i++) {
		kill(pids[i], SIGKILL);
		waitpid(pids[i], NULL, 0);
	}
}

/*
 * Run the statements given after @limit in a child process that dropped
 * to nobody with that RLIMIT_MEMLOCK; they end with _exit(). The child's
 * exit status.
 */
#define AS_NOBODY(limit, ...)                                           \
	({                                                              \
		pid_t __pid = fork();                                   \
		if (!__pid) {                                           \
			if (become_nobody(limit))                       \
				_exit(100);                             \
			__VA_ARGS__                                     \
			_exit(99);                                      \
		}                                                       \
		__pid < 0 ? -1 : wait_child(__pid);                     \
	})

/*
 * The reproducer of the review: without a device, VFIO_SET_IOMMU has no
 * compat IOAS to act on, and the type1 ioctls answer ENODEV.
 */
TEST(type1_without_device_is_enodev)
{
	char raw[64] = {};
	struct vfio_iommu_type1_info *info = (void *)raw;
	void *buf = buf_1m();
	int fd;

	ASSERT_NE(NULL, buf);
	fd = open(IOMMUFD_DEV, O_RDWR);
	ASSERT_LE(0, fd);
	ASSERT_ERRNO(ENODEV, ioctl(fd, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU));
	ASSERT_ERRNO(ENODEV, ioctl(fd, VFIO_SET_IOMMU, VFIO_TYPE1_IOMMU));
	info->argsz = sizeof(*info);
	ASSERT_ERRNO(ENODEV, ioctl(fd, VFIO_IOMMU_GET_INFO, info));
	ASSERT_ERRNO(ENODEV, type1_map(fd, buf, 0, SZ_1M, T1_RW));
	ASSERT_ERRNO(ENODEV, type1_unmap(fd, 0, SZ_1M, 0, NULL));
	ASSERT_ERRNO(ENODEV, type1_unmap(fd, 0, 0, VFIO_DMA_UNMAP_FLAG_ALL,
					 NULL));
	close(fd);
	munmap(buf, SZ_1M * NR_FORKS);
}

/*
 * A compat IOAS named with IOMMU_VFIO_IOAS_SET but no device: the type1
 * ioctls work, but charge as IOAS_MAP does (the user). Without a domain
 * they pin nothing, so the maps of four forked children with a 1.5 MiB
 * limit all succeed; the charge comes when a domain pins them, and the
 * four of them do not fit in the one user's budget, one does.
 */
TEST(type1_without_device_charges_the_user)
{
	char *buf = buf_1m();
	__u32 ioas_id;
	int fd;

	if (geteuid())
		SKIP(return, "needs root to drop to a small RLIMIT_MEMLOCK");
	ASSERT_NE(NULL, buf);
	fd = open(IOMMUFD_DEV, O_RDWR);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ioas_alloc(fd, &ioas_id));
	ASSERT_EQ(0, vfio_ioas(fd, IOMMU_VFIO_IOAS_SET, &ioas_id));
	ASSERT_EQ(0, AS_NOBODY(LIMIT_1_5M, {
		pid_t pids[NR_FORKS];
		int rc = 0;

		if (ioctl(fd, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU))
			_exit(101);
		if (type1_maps_from_live_children(fd, buf,
						  MOCK_APERTURE_START,
						  pids) != NR_FORKS)
			rc = 102;
		else if (mock_domain(fd, ioas_id, NULL, NULL, NULL) != -1 ||
			 errno != ENOMEM)
			rc = 103;
		else if (type1_unmap(fd, MOCK_APERTURE_START + SZ_1M,
				     (NR_FORKS - 1) * SZ_1M, 0, NULL))
			rc = 104;
		else if (mock_domain(fd, ioas_id, NULL, NULL, NULL))
			rc = 105;
		kill_children(pids);
		_exit(rc);
	}));
	close(fd);
	munmap(buf, SZ_1M * NR_FORKS);
}

/*
 * With a device, type1's own semantics: each process is charged to its
 * own VmLck, so each forked child maps 1 MiB under a 1.5 MiB limit. The
 * charges go back to the children's (exited) processes when the parent
 * unmaps.
 */
TEST(type1_with_device_charges_each_process)
{
	char *buf = buf_1m();
	__u64 unmapped;
	int fd;

	if (geteuid())
		SKIP(return, "needs root to drop to a small RLIMIT_MEMLOCK");
	ASSERT_NE(NULL, buf);
	fd = type1_open();
	ASSERT_LE(0, fd);
	ASSERT_EQ(NR_FORKS, AS_NOBODY(LIMIT_1_5M, {
		_exit(maps_from_children(fd, 0, buf, MOCK_APERTURE_START));
	}));
	/* Each child pinned its own copy of its slice */
	ASSERT_EQ(0, type1_unmap(fd, 0, 0, VFIO_DMA_UNMAP_FLAG_ALL,
				 &unmapped));
	ASSERT_EQ(SZ_1M * NR_FORKS, unmapped);
	close(fd);
	munmap(buf, SZ_1M * NR_FORKS);
}

/*
 * IOAS_MAP, default (per-user) charging: one of four children gets 1 MiB.
 * The IOAS has a domain, so each map pins and charges at once.
 */
TEST(ioas_map_user_mode_fork_shares_the_budget)
{
	char *buf = buf_1m();
	__u32 ioas_id;
	int fd;

	if (geteuid())
		SKIP(return, "needs root to drop to a small RLIMIT_MEMLOCK");
	ASSERT_NE(NULL, buf);
	fd = open(IOMMUFD_DEV, O_RDWR);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ioas_alloc(fd, &ioas_id));
	ASSERT_EQ(0, mock_domain(fd, ioas_id, NULL, NULL, NULL));
	ASSERT_EQ(1, AS_NOBODY(LIMIT_1_5M, {
		_exit(maps_from_children(fd, ioas_id, buf,
					 MOCK_APERTURE_START));
	}));
	close(fd);
	munmap(buf, SZ_1M * NR_FORKS);
}

/*
 * Per-process mode, set on the same kind of fd: a second 1 MiB fails. The
 * IOAS has a domain, so each map pins and charges at once.
 */
TEST(ioas_map_mm_mode_limits_one_process)
{
	char *buf = buf_1m();
	__u32 ioas_id;
	int fd;

	if (geteuid())
		SKIP(return, "needs root to drop to a small RLIMIT_MEMLOCK");
	ASSERT_NE(NULL, buf);
	fd = open(IOMMUFD_DEV, O_RDWR);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, option_set(fd, IOMMU_OPTION_RLIMIT_MODE, 0, 1));
	ASSERT_EQ(0, ioas_alloc(fd, &ioas_id));
	ASSERT_EQ(0, mock_domain(fd, ioas_id, NULL, NULL, NULL));
	ASSERT_EQ(0, AS_NOBODY(LIMIT_1_5M, {
		const __u64 start = MOCK_APERTURE_START;
		long pin = vmpin_kb();

		if (ioas_map_fixed(fd, ioas_id, buf, SZ_1M, start))
			_exit(101);
		if (vmpin_kb() != pin + 1024)
			_exit(102);
		if (ioas_map_fixed(fd, ioas_id, buf + SZ_1M, SZ_1M,
				   start + SZ_1M) != -1 || errno != ENOMEM)
			_exit(103);
		if (vmpin_kb() != pin + 1024)
			_exit(104);
		_exit(0);
	}));
	close(fd);
	munmap(buf, SZ_1M * NR_FORKS);
}

/*
 * The process that mapped exits first; the parent, sharing the fd,
 * unmaps. The pages are unpinned and the charge went back to the child's
 * mm, not to the parent's.
 */
TEST(mapper_exits_before_unmap)
{
	char *buf = buf_1m();
	long pin = vmpin_kb();
	__u64 unmapped;
	__u32 ioas_id;
	pid_t pid;
	int fd;

	ASSERT_NE(NULL, buf);
	fd = open(IOMMUFD_DEV, O_RDWR);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, option_set(fd, IOMMU_OPTION_RLIMIT_MODE, 0, 1));
	ASSERT_EQ(0, ioas_alloc(fd, &ioas_id));
	/* A domain, so that the child's map pins and charges at once */
	ASSERT_EQ(0, mock_domain(fd, ioas_id, NULL, NULL, NULL));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid)
		_exit(ioas_map_fixed(fd, ioas_id, buf, SZ_1M,
				     MOCK_APERTURE_START) ||
		      vmpin_kb() != 1024 ? 1 : 0);
	ASSERT_EQ(0, wait_child(pid));
	/* The child's own copy of the buffer is pinned, not ours */
	ASSERT_EQ(pin, vmpin_kb());
	ASSERT_EQ(0, ioas_unmap(fd, ioas_id, 0, UINT64_MAX, &unmapped));
	ASSERT_EQ(SZ_1M, unmapped);
	ASSERT_EQ(pin, vmpin_kb());
	close(fd);
	munmap(buf, SZ_1M * NR_FORKS);
}

/*
 * exec keeps the fd but not the mm: the new image was never charged, and
 * unmapping what the old image mapped leaves its VmPin and VmLck at 0.
 * Runs in a child so that the test's own counters stay out of it.
 */
static int exec_child(int fd, __u32 ioas_id, int type1)
{
	__u64 unmapped = 0;
	int rc;

	if (vmpin_kb() != 0 || vmlck_kb() != 0)
		return 20;
	if (type1)
		rc = type1_unmap(fd, 0, 0, VFIO_DMA_UNMAP_FLAG_ALL, &unmapped);
	else
		rc = ioas_unmap(fd, ioas_id, 0, UINT64_MAX, &unmapped);
	if (rc || unmapped != SZ_1M)
		return 21;
	if (vmpin_kb() != 0 || vmlck_kb() != 0)
		return 22;
	return 0;
}

static int exec_self(int fd, __u32 ioas_id, int type1)
{
	char sfd[16], sid[16], st1[4];

	snprintf(sfd, sizeof(sfd), "%d", fd);
	snprintf(sid, sizeof(sid), "%u", ioas_id);
	snprintf(st1, sizeof(st1), "%d", type1);
	execl("/proc/self/exe", "iommufd_hardening", "--exec-child", sfd, sid,
	      st1, NULL);
	return 30;
}

TEST(exec_with_inherited_fd)
{
	char *buf = buf_1m();
	__u32 ioas_id;
	pid_t pid;
	int fd;

	ASSERT_NE(NULL, buf);
	/* IOAS_MAP charged per process */
	fd = open(IOMMUFD_DEV, O_RDWR);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, option_set(fd, IOMMU_OPTION_RLIMIT_MODE, 0, 1));
	ASSERT_EQ(0, ioas_alloc(fd, &ioas_id));
	/* A domain, so that the map pins and charges at once */
	ASSERT_EQ(0, mock_domain(fd, ioas_id, NULL, NULL, NULL));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		if (ioas_map_fixed(fd, ioas_id, buf, SZ_1M,
				   MOCK_APERTURE_START) || vmpin_kb() != 1024)
			_exit(10);
		_exit(exec_self(fd, ioas_id, 0));
	}
	ASSERT_EQ(0, wait_child(pid));
	close(fd);

	/* The type1 ioctls with a device, charged to VmLck */
	fd = type1_open();
	ASSERT_LE(0, fd);
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		if (type1_map(fd, buf, MOCK_APERTURE_START, SZ_1M, T1_RW) ||
		    vmlck_kb() != 1024)
			_exit(11);
		_exit(exec_self(fd, 0, 1));
	}
	ASSERT_EQ(0, wait_child(pid));
	close(fd);
	munmap(buf, SZ_1M * NR_FORKS);
}

/*
 * VFIO_IOMMU_GET_INFO writes min(argsz, sizeof(info)) bytes: a 20-byte
 * caller (up to cap_offset) keeps the 4 bytes after it, and the padding
 * of a full struct reads back as zero.
 */
TEST(type1_get_info_writes_only_argsz)
{
	struct vfio_iommu_type1_info *info;
	unsigned char raw[256];
	__u32 ioas_id;
	size_t i;
	int fd;

	fd = open(IOMMUFD_DEV, O_RDWR);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ioas_alloc(fd, &ioas_id));
	ASSERT_EQ(0, vfio_ioas(fd, IOMMU_VFIO_IOAS_SET, &ioas_id));
	info = (void *)raw;

	memset(raw, 0xa5, sizeof(raw));
	/* Up to the end of cap_offset */
	info->argsz = offsetof(struct vfio_iommu_type1_info, cap_offset) + 4;
	ASSERT_EQ(20, info->argsz);
	ASSERT_EQ(0, ioctl(fd, VFIO_IOMMU_GET_INFO, info));
	ASSERT_EQ(VFIO_IOMMU_INFO_PGSIZES | VFIO_IOMMU_INFO_CAPS, info->flags);
	ASSERT_EQ(0, info->cap_offset);
	ASSERT_LT(sizeof(*info), info->argsz);
	for (i = 20; i < sizeof(raw); i++)
		ASSERT_EQ(0xa5, raw[i]);

	/* Only up to iova_pgsizes */
	memset(raw, 0xa5, sizeof(raw));
	info->argsz = 16;
	ASSERT_EQ(0, ioctl(fd, VFIO_IOMMU_GET_INFO, info));
	ASSERT_EQ(~(__u64)(SZ_4K - 1), info->iova_pgsizes);
	for (i = 16; i < sizeof(raw); i++)
		ASSERT_EQ(0xa5, raw[i]);

	/* The whole struct, no room for the capabilities: padding is 0 */
	memset(raw, 0xa5, sizeof(raw));
	ASSERT_EQ(24, sizeof(*info));
	info->argsz = sizeof(*info);
	ASSERT_EQ(0, ioctl(fd, VFIO_IOMMU_GET_INFO, info));
	ASSERT_EQ(0, info->cap_offset);
	for (i = 20; i < 24; i++)
		ASSERT_EQ(0, raw[i]);
	for (i = sizeof(*info); i < sizeof(raw); i++)
		ASSERT_EQ(0xa5, raw[i]);

	/* Room for everything: nothing is written past argsz either */
	memset(raw, 0xa5, sizeof(raw));
	info->argsz = 128;
	ASSERT_EQ(0, ioctl(fd, VFIO_IOMMU_GET_INFO, info));
	ASSERT_EQ(sizeof(*info), info->cap_offset);
	ASSERT_GE(128, info->argsz);
	for (i = info->argsz; i < sizeof(raw); i++)
		ASSERT_EQ(0xa5, raw[i]);
	close(fd);
}

/* ------------------------------------------------------------------ */
/* No lock held across a user fault                                    */

struct stall_call {
	int fd;
	unsigned long request;
	void *arg;
	int rc;
	int err;
};

static void *stall_call_thread(void *p)
{
	struct stall_call *call = p;

	call->rc = ioctl(call->fd, call->request, call->arg);
	call->err = errno;
	return NULL;
}

struct teardown_call {
	int fd;
	__u32 id;
	__u32 ioas_id;
	int rc;
};

/* Destroy a mock device: detaches it, frees its automatic HWPT */
static void *destroy_thread(void *p)
{
	struct teardown_call *call = p;

	call->rc = destroy(call->fd, call->id);
	return NULL;
}

/* Attach a new mock device to the IOAS: takes the IOAS mutex */
static void *attach_thread(void *p)
{
	struct teardown_call *call = p;

	call->rc = mock_domain(call->fd, call->ioas_id, &call->id, NULL, NULL);
	return NULL;
}

FIXTURE(stall) {
	long pins0;
	int fd;
	__u32 ioas_id;
	__u32 stdev_id;
	__u32 idev_id;
	struct wp_page wp;
};

FIXTURE_SETUP(stall)
{
	self->pins0 = foll_pins();
	self->wp.uffd = -1;
	self->wp.page = NULL;
	self->fd = open(IOMMUFD_DEV, O_RDWR);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, ioas_alloc(self->fd, &self->ioas_id));
	ASSERT_EQ(0, mock_domain(self->fd, self->ioas_id, &self->stdev_id,
				 NULL, &self->idev_id));
	if (wp_page_setup(&self->wp))
		SKIP(return, "no userfaultfd write-protect (%s)",
		     strerror(errno));
}

FIXTURE_TEARDOWN(stall)
{
	wp_page_free(&self->wp);
	close(self->fd);
	EXPECT_PINS_RELEASED(self->pins0);
}

/*
 * IOAS_IOVA_RANGES writing into a page that faults: meanwhile a device
 * on the same IOAS can still be torn down (its HWPT leaves the IOAS,
 * which needs the io_pagetable lock for writing).
 */
TEST_F(stall, iova_ranges_fault_does_not_block_teardown)
{
	struct iommu_iova_range *ranges = self->wp.page;
	struct iommu_ioas_iova_ranges cmd = {
		.size = sizeof(cmd),
		.ioas_id = self->ioas_id,
		.num_iovas = 4,
		.allowed_iovas = (uintptr_t)ranges,
	};
	struct stall_call call = {
		.fd = self->fd,
		.request = IOMMU_IOAS_IOVA_RANGES,
		.arg = &cmd,
	};
	struct teardown_call td = { .fd = self->fd, .id = self->stdev_id };
	pthread_t stalled, teardown;
	int done;

	ASSERT_EQ(0, pthread_create(&stalled, NULL, stall_call_thread, &call));
	ASSERT_EQ(0, wp_page_wait_fault(&self->wp, 10000));
	ASSERT_EQ(0, pthread_create(&teardown, NULL, destroy_thread, &td));
	done = join_within(teardown, 5000);
	/* Unblock everything before asserting, so nothing is left hanging */
	ASSERT_EQ(0, wp_page_release(&self->wp));
	if (done)
		ASSERT_EQ(0, pthread_join(teardown, NULL));
	ASSERT_EQ(0, pthread_join(stalled, NULL));
	ASSERT_EQ(0, done);
	ASSERT_EQ(0, td.rc);
	ASSERT_EQ(0, call.rc);
	/* The snapshot was taken before the device left */
	ASSERT_EQ(1, cmd.num_iovas);
	ASSERT_EQ(MOCK_APERTURE_START, ranges[0].start);
}

/*
 * HWPT_ALLOC whose reply faults: meanwhile another device can still be
 * attached to the same IOAS (which takes the IOAS mutex).
 */
TEST_F(stall, hwpt_alloc_reply_fault_does_not_block_attach)
{
	struct iommu_hwpt_alloc *cmd = self->wp.page;
	struct stall_call call = {
		.fd = self->fd,
		.request = IOMMU_HWPT_ALLOC,
		.arg = cmd,
	};
	struct teardown_call td = { .fd = self->fd,
				    .ioas_id = self->ioas_id };
	pthread_t stalled, attach;
	int done;

	/* Written before the page is protected again */
	ASSERT_EQ(0, wp_page_release(&self->wp));
	cmd->size = sizeof(*cmd);
	cmd->dev_id = self->idev_id;
	cmd->pt_id = self->ioas_id;
	{
		struct uffdio_writeprotect prot = {
			.range = { .start = (uintptr_t)cmd, .len = SZ_4K },
			.mode = UFFDIO_WRITEPROTECT_MODE_WP,
		};

		ASSERT_EQ(0, ioctl(self->wp.uffd, UFFDIO_WRITEPROTECT, &prot));
	}
	ASSERT_EQ(0, pthread_create(&stalled, NULL, stall_call_thread, &call));
	ASSERT_EQ(0, wp_page_wait_fault(&self->wp, 10000));
	ASSERT_EQ(0, pthread_create(&attach, NULL, attach_thread, &td));
	done = join_within(attach, 5000);
	ASSERT_EQ(0, wp_page_release(&self->wp));
	if (done)
		ASSERT_EQ(0, pthread_join(attach, NULL));
	ASSERT_EQ(0, pthread_join(stalled, NULL));
	ASSERT_EQ(0, done);
	ASSERT_EQ(0, td.rc);
	ASSERT_EQ(0, call.rc);
	ASSERT_NE(0, cmd->out_hwpt_id);
	ASSERT_EQ(0, destroy(self->fd, cmd->out_hwpt_id));
}

int main(int argc, char **argv)
{
	if (argc == 5 && !strcmp(argv[1], "--exec-child"))
		return exec_child(atoi(argv[2]), strtoul(argv[3], NULL, 0),
				  atoi(argv[4]));
	return test_harness_run(argc, argv);
}
