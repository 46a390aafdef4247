// SPDX-License-Identifier: GPL-2.0-only
/*
 * Tests of the /dev/iommu character device: command dispatch and the
 * size rules, the object table (IOMMU_DESTROY), IO address spaces
 * (IOMMU_IOAS_ALLOC, IOMMU_IOAS_ALLOW_IOVAS, IOMMU_IOAS_IOVA_RANGES),
 * mappings (IOMMU_IOAS_MAP, IOMMU_IOAS_COPY, IOMMU_IOAS_UNMAP) with their
 * page pinning and RLIMIT_MEMLOCK accounting, IOMMU_OPTION and
 * IOMMU_VFIO_IOAS, plus fork, close and many-thread use of one file.
 * Tests that need the test-only IOMMU_TEST_CMD (reserved IOVA, small
 * pinning batches, accesses of emulated devices, mock IOMMU devices and
 * domains, and with them IOMMU_HWPT_ALLOC) skip when the kernel lacks
 * CONFIG_IOMMUFD_TEST. Nested HWPTs, IOMMU_HWPT_INVALIDATE and PASID
 * attach have their own file, iommufd_nesting.c.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/iommufd.h>
#include <linux/vfio.h>

#include "../kselftest_harness.h"
#include "iommufd_utils.h"

/* A command number below the iommufd range and the highest possible one. */
#define CMD_BELOW_RANGE _IO(IOMMUFD_TYPE, IOMMUFD_CMD_BASE - 1)
#define CMD_TOP_OF_RANGE _IO(IOMMUFD_TYPE, 0xff)

/* An ID no test ever gets: the kernel hands out small IDs first. */
#define UNUSED_ID 0x7fff0000u

/*
 * Thin wrappers around the commands. They return what ioctl() returns
 * and leave errno alone, so tests can assert on them in one line; they
 * assert nothing themselves and are safe to call from any thread.
 */

/* ------------------------------------------------------------------ */
/* The character device                                                */

TEST(devnode_is_a_char_device)
{
	struct stat st;

	ASSERT_EQ(0, stat(IOMMUFD_DEV, &st));
	EXPECT_TRUE(S_ISCHR(st.st_mode));
	/* Only root (and who the administrator allows) may open it. */
	EXPECT_EQ(0660, st.st_mode & 07777);
	/* misc devices have major 10 */
	EXPECT_EQ(10, major(st.st_rdev));
}

TEST(open_close)
{
	int fd = open(IOMMUFD_DEV, O_RDWR | O_CLOEXEC);

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, close(fd));
}

TEST(contexts_are_independent)
{
	int fd1 = open(IOMMUFD_DEV, O_RDWR);
	int fd2 = open(IOMMUFD_DEV, O_RDWR);
	__u32 id1, id2;

	ASSERT_LE(0, fd1);
	ASSERT_LE(0, fd2);
	ASSERT_NE(fd1, fd2);
	ASSERT_EQ(0, ioas_alloc(fd1, &id1));
	/* IDs are per context: fd2 cannot destroy fd1's IOAS by its ID. */
	ASSERT_ERRNO(ENOENT, destroy(fd2, id1));
	ASSERT_EQ(0, ioas_alloc(fd2, &id2));
	/* Closing one leaves the other usable. */
	ASSERT_EQ(0, close(fd1));
	EXPECT_EQ(-1, ioctl(fd2, CMD_BELOW_RANGE));
	EXPECT_EQ(ENOTTY, errno);
	EXPECT_EQ(1, option_get(fd2, IOMMU_OPTION_HUGE_PAGES, id2));
	EXPECT_EQ(0, destroy(fd2, id2));
	ASSERT_EQ(0, close(fd2));
}

TEST(unknown_commands_are_enotty)
{
	/* Numbers that stay unknown whatever commands get added later. */
	unsigned int cmds[] = {
		CMD_BELOW_RANGE,
		CMD_TOP_OF_RANGE,
		_IO('x', IOMMUFD_CMD_BASE),		/* wrong type */
		_IOWR(IOMMUFD_TYPE, IOMMUFD_CMD_BASE, __u64), /* sized */
	};
	__u64 arg[8] = {};
	unsigned int i;
	int fd;

	fd = open(IOMMUFD_DEV, O_RDWR);
	ASSERT_LE(0, fd);
	for (i = 0; i != ARRAY_SIZE(cmds); i++) {
		errno = 0;
		EXPECT_EQ(-1, ioctl(fd, cmds[i], arg)) TH_LOG("cmd %#x", cmds[i]);
		EXPECT_EQ(ENOTTY, errno) TH_LOG("cmd %#x", cmds[i]);
	}
	close(fd);
}

TEST(fork_inherits_context)
{
	int fd = open(IOMMUFD_DEV, O_RDWR);
	int status;
	pid_t pid;

	ASSERT_LE(0, fd);
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		/* The child shares the open file; it can use and close it. */
		if (ioctl(fd, CMD_BELOW_RANGE) != -1 || errno != ENOTTY)
			_exit(1);
		_exit(close(fd) ? 2 : 0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	EXPECT_EQ(0, WEXITSTATUS(status));
	/* The parent's reference is unaffected by the child's close. */
	EXPECT_EQ(-1, ioctl(fd, CMD_BELOW_RANGE));
	EXPECT_EQ(ENOTTY, errno);
	ASSERT_EQ(0, close(fd));
}

/* ------------------------------------------------------------------ */
/* Size rules, common to every command                                 */

FIXTURE(iommufd) {
	long pins0;
	int fd;
};

FIXTURE_SETUP(iommufd)
{
	self->pins0 = foll_pins();
	self->fd = open(IOMMUFD_DEV, O_RDWR);
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(iommufd)
{
	close(self->fd);
	EXPECT_PINS_RELEASED(self->pins0);
}

/* Each implemented command with the size of its first version */
static const struct {
	unsigned int cmd;
	__u32 min_size;
	__u32 size;
} sized_cmds[] = {
	{ IOMMU_DESTROY, 8, sizeof(struct iommu_destroy) },
	{ IOMMU_IOAS_ALLOC, 12, sizeof(struct iommu_ioas_alloc) },
	{ IOMMU_IOAS_ALLOW_IOVAS, 24, sizeof(struct iommu_ioas_allow_iovas) },
	{ IOMMU_IOAS_IOVA_RANGES, 32, sizeof(struct iommu_ioas_iova_ranges) },
	{ IOMMU_OPTION, 24, sizeof(struct iommu_option) },
	{ IOMMU_IOAS_MAP, 40, sizeof(struct iommu_ioas_map) },
	{ IOMMU_IOAS_UNMAP, 24, sizeof(struct iommu_ioas_unmap) },
	{ IOMMU_IOAS_COPY, 40, sizeof(struct iommu_ioas_copy) },
	{ IOMMU_VFIO_IOAS, 12, sizeof(struct iommu_vfio_ioas) },
	{ IOMMU_HWPT_ALLOC, 24, sizeof(struct iommu_hwpt_alloc) },
	{ IOMMU_GET_HW_INFO, 32, sizeof(struct iommu_hw_info) },
	{ IOMMU_IOAS_MAP_FILE, 40, sizeof(struct iommu_ioas_map_file) },
	{ IOMMU_HWPT_SET_DIRTY_TRACKING, 16,
	  sizeof(struct iommu_hwpt_set_dirty_tracking) },
	{ IOMMU_HWPT_GET_DIRTY_BITMAP, 48,
	  sizeof(struct iommu_hwpt_get_dirty_bitmap) },
	{ IOMMU_HWPT_INVALIDATE, 32, sizeof(struct iommu_hwpt_invalidate) },
	{ IOMMU_FAULT_QUEUE_ALLOC, 16, sizeof(struct iommu_fault_alloc) },
};

/*
 * Commands the uAPI declares that this kernel does not implement yet
 * check their sizes like the others, then answer EOPNOTSUPP.
 */
TEST_F(iommufd, declared_commands_not_implemented_are_eopnotsupp)
{
	const unsigned int cmds[] = {
		IOMMU_HWPT_SET_DIRTY_TRACKING, IOMMU_HWPT_GET_DIRTY_BITMAP,
		IOMMU_FAULT_QUEUE_ALLOC, IOMMU_IOAS_CHANGE_PROCESS,
	};
	__u32 buf[16];
	unsigned int i;

	for (i = 0; i != ARRAY_SIZE(cmds); i++) {
		memset(buf, 0, sizeof(buf));
		buf[0] = sizeof(buf);
		ASSERT_ERRNO(EOPNOTSUPP, ioctl(self->fd, cmds[i], buf));
	}
}

/*
 * IOMMU_HWPT_INVALIDATE is implemented: with no object to name, ENOENT,
 * and entry_num (0 handled) is written back even then.
 */
TEST_F(iommufd, hwpt_invalidate_without_object)
{
	struct iommu_hwpt_invalidate_selftest inv = {};
	struct iommu_hwpt_invalidate cmd = {
		.size = sizeof(cmd),
		.data_type = IOMMU_HWPT_INVALIDATE_DATA_SELFTEST,
	};
	__u32 ioas_id;

	ASSERT_ERRNO(ENOENT, ioctl(self->fd, IOMMU_HWPT_INVALIDATE, &cmd));
	ASSERT_EQ(0, cmd.entry_num);
	cmd.hwpt_id = UNUSED_ID;
	cmd.data_uptr = (uintptr_t)&inv;
	cmd.entry_len = sizeof(inv);
	cmd.entry_num = 1;
	ASSERT_ERRNO(ENOENT, ioctl(self->fd, IOMMU_HWPT_INVALIDATE, &cmd));
	ASSERT_EQ(0, cmd.entry_num);
	/* An IOAS has no caches to invalidate */
	ASSERT_EQ(0, ioas_alloc(self->fd, &ioas_id));
	cmd.hwpt_id = ioas_id;
	cmd.entry_num = 1;
	ASSERT_ERRNO(EINVAL, ioctl(self->fd, IOMMU_HWPT_INVALIDATE, &cmd));
	ASSERT_EQ(0, cmd.entry_num);
}

TEST_F(iommufd, size_below_minimum_is_einval)
{
	__u32 buf[32] = {};
	unsigned int i;

	for (i = 0; i != ARRAY_SIZE(sized_cmds); i++) {
		buf[0] = 0;
		ASSERT_ERRNO(EINVAL, ioctl(self->fd, sized_cmds[i].cmd, buf));
		buf[0] = 4;
		ASSERT_ERRNO(EINVAL, ioctl(self->fd, sized_cmds[i].cmd, buf));
		buf[0] = sized_cmds[i].min_size - 1;
		ASSERT_ERRNO(EINVAL, ioctl(self->fd, sized_cmds[i].cmd, buf));
	}
}

TEST_F(iommufd, nonzero_tail_is_e2big)
{
	unsigned char buf[256];
	unsigned int i;

	for (i = 0; i != ARRAY_SIZE(sized_cmds); i++) {
		__u32 size = sized_cmds[i].size;

		/* The first unknown byte is set */
		memset(buf, 0, sizeof(buf));
		*(__u32 *)buf = size + 8;
		buf[size] = 1;
		ASSERT_ERRNO(E2BIG, ioctl(self->fd, sized_cmds[i].cmd, buf));
		/* The last unknown byte is set */
		buf[size] = 0;
		*(__u32 *)buf = sizeof(buf);
		buf[sizeof(buf) - 1] = 0x80;
		ASSERT_ERRNO(E2BIG, ioctl(self->fd, sized_cmds[i].cmd, buf));
	}
}

TEST_F(iommufd, null_argument_is_efault)
{
	unsigned int i;

	for (i = 0; i != ARRAY_SIZE(sized_cmds); i++)
		ASSERT_ERRNO(EFAULT, ioctl(self->fd, sized_cmds[i].cmd, NULL));
}

TEST_F(iommufd, larger_struct_with_zero_tail_works)
{
	struct {
		struct iommu_ioas_alloc cmd;
		__u32 tail[61];
	} big = { .cmd = { .size = sizeof(big) } };
	unsigned int i;

	ASSERT_EQ(0, ioctl(self->fd, IOMMU_IOAS_ALLOC, &big));
	ASSERT_NE(0, big.cmd.out_ioas_id);
	/* The reply stops at the end of the struct the kernel knows. */
	for (i = 0; i != ARRAY_SIZE(big.tail); i++)
		ASSERT_EQ(0, big.tail[i]);
	ASSERT_EQ(0, destroy(self->fd, big.cmd.out_ioas_id));
}

TEST_F(iommufd, larger_option_get_writes_only_known_part)
{
	struct {
		struct iommu_option cmd;
		__u64 tail;
	} big = {
		.cmd = {
			.size = sizeof(big),
			.option_id = IOMMU_OPTION_RLIMIT_MODE,
			.op = IOMMU_OPTION_OP_GET,
			.val64 = 77,
		},
	};

	ASSERT_EQ(0, ioctl(self->fd, IOMMU_OPTION, &big));
	ASSERT_EQ(0, big.cmd.val64);
	ASSERT_EQ(sizeof(big), big.cmd.size);
	ASSERT_EQ(0, big.tail);
}

/* ------------------------------------------------------------------ */
/* IOMMU_DESTROY and IOMMU_IOAS_ALLOC                                  */

TEST_F(iommufd, destroy_missing_id_is_enoent)
{
	ASSERT_ERRNO(ENOENT, destroy(self->fd, 0));
	ASSERT_ERRNO(ENOENT, destroy(self->fd, 1));
	ASSERT_ERRNO(ENOENT, destroy(self->fd, UNUSED_ID));
	ASSERT_ERRNO(ENOENT, destroy(self->fd, UINT32_MAX));
}

TEST_F(iommufd, destroy_twice_is_enoent)
{
	__u32 id;

	ASSERT_EQ(0, ioas_alloc(self->fd, &id));
	ASSERT_EQ(0, destroy(self->fd, id));
	ASSERT_ERRNO(ENOENT, destroy(self->fd, id));
	/* The destroyed ID is gone for every command. */
	ASSERT_ERRNO(ENOENT, option_get(self->fd, IOMMU_OPTION_HUGE_PAGES, id));
}

TEST_F(iommufd, ioas_alloc_gives_distinct_nonzero_ids)
{
	__u32 ids[8];
	unsigned int i, j;

	for (i = 0; i != ARRAY_SIZE(ids); i++) {
		ASSERT_EQ(0, ioas_alloc(self->fd, &ids[i]));
		ASSERT_NE(0, ids[i]);
		for (j = 0; j != i; j++)
			ASSERT_NE(ids[j], ids[i]);
	}
	for (i = 0; i != ARRAY_SIZE(ids); i++)
		ASSERT_EQ(0, destroy(self->fd, ids[i]));
}

TEST_F(iommufd, ioas_alloc_flags_are_eopnotsupp)
{
	struct iommu_ioas_alloc cmd = { .size = sizeof(cmd) };

	cmd.flags = 1;
	ASSERT_ERRNO(EOPNOTSUPP, ioctl(self->fd, IOMMU_IOAS_ALLOC, &cmd));
	cmd.flags = 1u << 31;
	ASSERT_ERRNO(EOPNOTSUPP, ioctl(self->fd, IOMMU_IOAS_ALLOC, &cmd));
	/* Nothing was created: the first ID is still free. */
	ASSERT_ERRNO(ENOENT, destroy(self->fd, 1));
}

TEST_F(iommufd, ioas_alloc_reply_fault_leaves_nothing)
{
	/* A read-only argument: the ID cannot be written back. */
	struct iommu_ioas_alloc *cmd;

	cmd = mmap(NULL, getpagesize(), PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, cmd);
	cmd->size = sizeof(*cmd);
	ASSERT_EQ(0, mprotect(cmd, getpagesize(), PROT_READ));
	ASSERT_ERRNO(EFAULT, ioctl(self->fd, IOMMU_IOAS_ALLOC, cmd));
	ASSERT_ERRNO(ENOENT, destroy(self->fd, 1));
	munmap(cmd, getpagesize());
}

/* ------------------------------------------------------------------ */
/* Commands on one IOAS                                                */

FIXTURE(iommufd_ioas) {
	long pins0;
	int fd;
	__u32 ioas_id;
};

FIXTURE_SETUP(iommufd_ioas)
{
	self->pins0 = foll_pins();
	self->fd = open(IOMMUFD_DEV, O_RDWR);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, ioas_alloc(self->fd, &self->ioas_id));
}

FIXTURE_TEARDOWN(iommufd_ioas)
{
	close(self->fd);
	EXPECT_PINS_RELEASED(self->pins0);
}

TEST_F(iommufd_ioas, allow_iovas_accepts_valid_sets)
{
	struct iommu_iova_range two[] = {
		{ .start = 0x10000, .last = 0x1ffff },
		{ .start = 0x1000, .last = 0x1fff },	/* any order */
	};
	struct iommu_iova_range touching[] = {
		{ .start = 0, .last = 0xfff },
		{ .start = 0x1000, .last = 0x1fff },
	};
	struct iommu_iova_range one_byte = { .start = 5, .last = 5 };
	struct iommu_iova_range all = { .start = 0, .last = UINT64_MAX };

	ASSERT_EQ(0, allow_iovas(self->fd, self->ioas_id, two, 2));
	ASSERT_EQ(0, allow_iovas(self->fd, self->ioas_id, touching, 2));
	ASSERT_EQ(0, allow_iovas(self->fd, self->ioas_id, &one_byte, 1));
	ASSERT_EQ(0, allow_iovas(self->fd, self->ioas_id, &all, 1));
}

TEST_F(iommufd_ioas, allow_iovas_empty_list_clears)
{
	struct iommu_iova_range r = { .start = 0x1000, .last = 0x1fff };

	ASSERT_EQ(0, allow_iovas(self->fd, self->ioas_id, &r, 1));
	/* num_iovas 0 clears; the pointer is not read. */
	ASSERT_EQ(0, allow_iovas(self->fd, self->ioas_id, NULL, 0));
	ASSERT_EQ(0, allow_iovas(self->fd, self->ioas_id, NULL, 0));
}

TEST_F(iommufd_ioas, allow_iovas_inverted_is_einval)
{
	struct iommu_iova_range r[] = {
		{ .start = 0x1000, .last = 0x1fff },
		{ .start = 0x3000, .last = 0x2fff },
	};

	ASSERT_ERRNO(EINVAL, allow_iovas(self->fd, self->ioas_id, r, 2));
	ASSERT_ERRNO(EINVAL, allow_iovas(self->fd, self->ioas_id, &r[1], 1));
}

TEST_F(iommufd_ioas, allow_iovas_overlap_is_einval)
{
	struct iommu_iova_range partial[] = {
		{ .start = 0x1000, .last = 0x2fff },
		{ .start = 0x2000, .last = 0x3fff },
	};
	struct iommu_iova_range inside[] = {
		{ .start = 0x1000, .last = 0x8fff },
		{ .start = 0x2000, .last = 0x2fff },
	};
	struct iommu_iova_range same[] = {
		{ .start = 0x1000, .last = 0x1fff },
		{ .start = 0x1000, .last = 0x1fff },
	};
	struct iommu_iova_range shared_byte[] = {
		{ .start = 0x2000, .last = 0x2fff },
		{ .start = 0x1000, .last = 0x2000 },
	};

	ASSERT_ERRNO(EINVAL, allow_iovas(self->fd, self->ioas_id, partial, 2));
	ASSERT_ERRNO(EINVAL, allow_iovas(self->fd, self->ioas_id, inside, 2));
	ASSERT_ERRNO(EINVAL, allow_iovas(self->fd, self->ioas_id, same, 2));
	ASSERT_ERRNO(EINVAL,
		     allow_iovas(self->fd, self->ioas_id, shared_byte, 2));
}

TEST_F(iommufd_ioas, allow_iovas_errors)
{
	struct iommu_ioas_allow_iovas cmd = {
		.size = sizeof(cmd),
		.ioas_id = self->ioas_id,
		.__reserved = 1,
	};
	struct iommu_iova_range r = { .start = 0x1000, .last = 0x1fff };

	ASSERT_ERRNO(EOPNOTSUPP, ioctl(self->fd, IOMMU_IOAS_ALLOW_IOVAS, &cmd));
	ASSERT_ERRNO(ENOENT, allow_iovas(self->fd, 0, &r, 1));
	ASSERT_ERRNO(ENOENT, allow_iovas(self->fd, UNUSED_ID, &r, 1));
	ASSERT_ERRNO(EFAULT, allow_iovas(self->fd, self->ioas_id, NULL, 1));
}

TEST_F(iommufd_ioas, iova_ranges_count_only_is_emsgsize)
{
	__u64 alignment = 0;
	__u32 num = 0;

	ASSERT_ERRNO(EMSGSIZE, iova_ranges(self->fd, self->ioas_id, NULL, &num,
					   &alignment));
	/* The count and the alignment are reported anyway. */
	ASSERT_EQ(1, num);
	ASSERT_EQ(1, alignment);
}

TEST_F(iommufd_ioas, iova_ranges_empty_ioas_is_everything)
{
	struct iommu_iova_range r[4];
	__u64 alignment = 0;
	__u32 num = ARRAY_SIZE(r);
	unsigned int i;

	memset(r, 0xa5, sizeof(r));
	ASSERT_EQ(0, iova_ranges(self->fd, self->ioas_id, r, &num,
				 &alignment));
	ASSERT_EQ(1, num);
	ASSERT_EQ(0, r[0].start);
	ASSERT_EQ(UINT64_MAX, r[0].last);
	/* Nothing attached: any byte range may be mapped */
	ASSERT_EQ(1, alignment);
	/* Entries past the answer are left alone. */
	for (i = 1; i != ARRAY_SIZE(r); i++) {
		ASSERT_EQ(0xa5a5a5a5a5a5a5a5ULL, r[i].start);
		ASSERT_EQ(0xa5a5a5a5a5a5a5a5ULL, r[i].last);
	}
}

TEST_F(iommufd_ioas, iova_ranges_not_narrowed_by_allow_iovas)
{
	struct iommu_iova_range allowed[] = {
		{ .start = 0x10000, .last = 0x1ffff },
		{ .start = 0x40000, .last = 0x7ffff },
	};
	struct iommu_iova_range r[2] = {};
	__u32 num = ARRAY_SIZE(r);

	/*
	 * The allowed list promises IOVA stays usable; it does not make
	 * the rest unusable, so the answer is still the whole space.
	 */
	ASSERT_EQ(0, allow_iovas(self->fd, self->ioas_id, allowed, 2));
	ASSERT_EQ(0, iova_ranges(self->fd, self->ioas_id, r, &num, NULL));
	ASSERT_EQ(1, num);
	ASSERT_EQ(0, r[0].start);
	ASSERT_EQ(UINT64_MAX, r[0].last);
}

TEST_F(iommufd_ioas, iova_ranges_errors)
{
	struct iommu_ioas_iova_ranges cmd = {
		.size = sizeof(cmd),
		.ioas_id = self->ioas_id,
		.__reserved = 1,
	};
	struct iommu_iova_range r;
	__u32 num = 1;

	ASSERT_ERRNO(EOPNOTSUPP, ioctl(self->fd, IOMMU_IOAS_IOVA_RANGES, &cmd));
	ASSERT_ERRNO(ENOENT, iova_ranges(self->fd, 0, &r, &num, NULL));
	num = 1;
	ASSERT_ERRNO(ENOENT, iova_ranges(self->fd, UNUSED_ID, &r, &num, NULL));
	num = 1;
	ASSERT_ERRNO(EFAULT, iova_ranges(self->fd, self->ioas_id, NULL, &num,
					 NULL));
}

/* ------------------------------------------------------------------ */
/* IOMMU_OPTION                                                        */

TEST_F(iommufd_ioas, option_unknown_is_eopnotsupp)
{
	struct iommu_option cmd = {
		.size = sizeof(cmd),
		.option_id = IOMMU_OPTION_RLIMIT_MODE,
		.op = IOMMU_OPTION_OP_GET,
		.__reserved = 1,
	};
	__u64 val = 0;

	ASSERT_ERRNO(EOPNOTSUPP, ioctl(self->fd, IOMMU_OPTION, &cmd));
	ASSERT_ERRNO(EOPNOTSUPP, option(self->fd, 2, IOMMU_OPTION_OP_GET, 0,
					&val));
	ASSERT_ERRNO(EOPNOTSUPP, option(self->fd, UINT32_MAX,
					IOMMU_OPTION_OP_GET, self->ioas_id,
					&val));
	ASSERT_ERRNO(EOPNOTSUPP, option(self->fd, IOMMU_OPTION_RLIMIT_MODE, 2,
					0, &val));
	ASSERT_ERRNO(EOPNOTSUPP, option(self->fd, IOMMU_OPTION_HUGE_PAGES, 2,
					self->ioas_id, &val));
}

TEST_F(iommufd, rlimit_mode_get_default)
{
	ASSERT_EQ(0, option_get(self->fd, IOMMU_OPTION_RLIMIT_MODE, 0));
}

TEST_F(iommufd_ioas, rlimit_mode_object_id_is_eopnotsupp)
{
	ASSERT_ERRNO(EOPNOTSUPP, option_get(self->fd, IOMMU_OPTION_RLIMIT_MODE,
					    self->ioas_id));
	ASSERT_ERRNO(EOPNOTSUPP, option_set(self->fd, IOMMU_OPTION_RLIMIT_MODE,
					    self->ioas_id, 0));
}

TEST_F(iommufd, rlimit_mode_set_as_root)
{
	if (geteuid())
		SKIP(return, "needs root (CAP_SYS_RESOURCE)");

	ASSERT_EQ(0, option_set(self->fd, IOMMU_OPTION_RLIMIT_MODE, 0, 1));
	ASSERT_EQ(1, option_get(self->fd, IOMMU_OPTION_RLIMIT_MODE, 0));
	ASSERT_EQ(0, option_set(self->fd, IOMMU_OPTION_RLIMIT_MODE, 0, 0));
	ASSERT_EQ(0, option_get(self->fd, IOMMU_OPTION_RLIMIT_MODE, 0));
}

TEST_F(iommufd, rlimit_mode_bad_value_is_einval)
{
	if (geteuid())
		SKIP(return, "needs root (CAP_SYS_RESOURCE)");

	ASSERT_ERRNO(EINVAL, option_set(self->fd, IOMMU_OPTION_RLIMIT_MODE, 0,
					2));
	ASSERT_ERRNO(EINVAL, option_set(self->fd, IOMMU_OPTION_RLIMIT_MODE, 0,
					UINT64_MAX));
	ASSERT_EQ(0, option_get(self->fd, IOMMU_OPTION_RLIMIT_MODE, 0));
}

TEST_F(iommufd_ioas, rlimit_mode_with_objects_is_ebusy)
{
	if (geteuid())
		SKIP(return, "needs root (CAP_SYS_RESOURCE)");

	ASSERT_ERRNO(EBUSY, option_set(self->fd, IOMMU_OPTION_RLIMIT_MODE, 0,
				       1));
	ASSERT_EQ(0, option_get(self->fd, IOMMU_OPTION_RLIMIT_MODE, 0));
	ASSERT_EQ(0, destroy(self->fd, self->ioas_id));
	ASSERT_EQ(0, option_set(self->fd, IOMMU_OPTION_RLIMIT_MODE, 0, 1));
}

TEST_F(iommufd, rlimit_mode_set_unprivileged_is_eperm)
{
	int status;
	pid_t pid;

	if (geteuid())
		SKIP(return, "needs root to drop privileges");

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		/* Leaving uid 0 clears every capability. */
		if (setgid(65534) || setuid(65534))
			_exit(10);
		if (option_set(self->fd, IOMMU_OPTION_RLIMIT_MODE, 0, 1) != -1)
			_exit(11);
		if (errno != EPERM)
			_exit(12);
		/* Reading needs no privilege. */
		_exit(option_get(self->fd, IOMMU_OPTION_RLIMIT_MODE, 0) ? 13 : 0);
	}
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status));
	ASSERT_EQ(0, option_get(self->fd, IOMMU_OPTION_RLIMIT_MODE, 0));
}

TEST_F(iommufd_ioas, huge_pages_get_set)
{
	ASSERT_EQ(1, option_get(self->fd, IOMMU_OPTION_HUGE_PAGES,
				self->ioas_id));
	ASSERT_EQ(0, option_set(self->fd, IOMMU_OPTION_HUGE_PAGES,
				self->ioas_id, 0));
	ASSERT_EQ(0, option_get(self->fd, IOMMU_OPTION_HUGE_PAGES,
				self->ioas_id));
	ASSERT_EQ(0, option_set(self->fd, IOMMU_OPTION_HUGE_PAGES,
				self->ioas_id, 0));
	ASSERT_EQ(0, option_set(self->fd, IOMMU_OPTION_HUGE_PAGES,
				self->ioas_id, 1));
	ASSERT_EQ(1, option_get(self->fd, IOMMU_OPTION_HUGE_PAGES,
				self->ioas_id));
}

TEST_F(iommufd_ioas, huge_pages_is_per_ioas)
{
	__u32 other;

	ASSERT_EQ(0, ioas_alloc(self->fd, &other));
	ASSERT_EQ(0, option_set(self->fd, IOMMU_OPTION_HUGE_PAGES,
				self->ioas_id, 0));
	ASSERT_EQ(1, option_get(self->fd, IOMMU_OPTION_HUGE_PAGES, other));
	ASSERT_EQ(0, option_get(self->fd, IOMMU_OPTION_HUGE_PAGES,
				self->ioas_id));
}

TEST_F(iommufd_ioas, huge_pages_bad_value_is_einval)
{
	ASSERT_ERRNO(EINVAL, option_set(self->fd, IOMMU_OPTION_HUGE_PAGES,
					self->ioas_id, 2));
	ASSERT_ERRNO(EINVAL, option_set(self->fd, IOMMU_OPTION_HUGE_PAGES,
					self->ioas_id, UINT64_MAX));
	ASSERT_EQ(1, option_get(self->fd, IOMMU_OPTION_HUGE_PAGES,
				self->ioas_id));
}

TEST_F(iommufd_ioas, huge_pages_bad_object_is_enoent)
{
	int other_fd = open(IOMMUFD_DEV, O_RDWR);
	__u32 foreign;

	ASSERT_ERRNO(ENOENT, option_get(self->fd, IOMMU_OPTION_HUGE_PAGES, 0));
	ASSERT_ERRNO(ENOENT, option_set(self->fd, IOMMU_OPTION_HUGE_PAGES, 0,
					1));
	ASSERT_ERRNO(ENOENT, option_get(self->fd, IOMMU_OPTION_HUGE_PAGES,
					UNUSED_ID));
	/* An IOAS of another file is not an object of this one. */
	ASSERT_LE(0, other_fd);
	ASSERT_EQ(0, ioas_alloc(other_fd, &foreign));
	ASSERT_EQ(0, ioas_alloc(other_fd, &foreign));
	ASSERT_ERRNO(ENOENT, option_get(self->fd, IOMMU_OPTION_HUGE_PAGES,
					foreign));
	close(other_fd);
}

/* ------------------------------------------------------------------ */
/* Life cycle: close, fork, threads                                    */

TEST(close_with_live_objects)
{
	struct iommu_iova_range r = { .start = 0x1000, .last = 0xffff };
	unsigned int i;
	__u32 id;
	int fd;

	fd = open(IOMMUFD_DEV, O_RDWR);
	ASSERT_LE(0, fd);
	for (i = 0; i != 32; i++) {
		ASSERT_EQ(0, ioas_alloc(fd, &id));
		ASSERT_EQ(0, allow_iovas(fd, id, &r, 1));
		ASSERT_EQ(0, option_set(fd, IOMMU_OPTION_HUGE_PAGES, id, i & 1));
	}
	/* Closing frees everything; a new context starts empty. */
	ASSERT_EQ(0, close(fd));
	fd = open(IOMMUFD_DEV, O_RDWR);
	ASSERT_LE(0, fd);
	ASSERT_ERRNO(ENOENT, destroy(fd, id));
	ASSERT_EQ(0, close(fd));
}

TEST_F(iommufd_ioas, fork_child_uses_inherited_fd)
{
	__u32 child_id = 0;
	int pipefd[2];
	int status;
	pid_t pid;

	ASSERT_EQ(0, pipe(pipefd));
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		__u32 id;

		/* Same context: the child sees and changes the parent's. */
		if (option_get(self->fd, IOMMU_OPTION_HUGE_PAGES,
			       self->ioas_id) != 1)
			_exit(10);
		if (ioas_alloc(self->fd, &id))
			_exit(11);
		if (destroy(self->fd, self->ioas_id))
			_exit(12);
		if (write(pipefd[1], &id, sizeof(id)) != sizeof(id))
			_exit(13);
		_exit(0);
	}
	close(pipefd[1]);
	ASSERT_EQ(pid, waitpid(pid, &status, 0));
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(0, WEXITSTATUS(status));
	ASSERT_EQ(sizeof(child_id), read(pipefd[0], &child_id, sizeof(child_id)));
	close(pipefd[0]);

	/* The child's exit closed its copy only; its object survives. */
	ASSERT_ERRNO(ENOENT, destroy(self->fd, self->ioas_id));
	ASSERT_EQ(1, option_get(self->fd, IOMMU_OPTION_HUGE_PAGES, child_id));
	ASSERT_EQ(0, destroy(self->fd, child_id));
}

#define NR_THREADS 4
#define NR_LOOPS 200

struct thread_arg {
	int fd;
	__u32 shared_id;
	unsigned int failures;
	int last_errno;
	__u32 kept[NR_LOOPS / 4];
	unsigned int nr_kept;
};

/*
 * Each thread creates, uses and destroys its own IOASes, keeps every
 * fourth one, and reads the shared IOAS all along.
 */
static void *alloc_destroy_thread(void *p)
{
	struct thread_arg *arg = p;
	struct iommu_iova_range r;
	unsigned int i;
	__u32 id, num;

	for (i = 0; i != NR_LOOPS; i++) {
		num = 1;
		if (ioas_alloc(arg->fd, &id) || !id ||
		    option_set(arg->fd, IOMMU_OPTION_HUGE_PAGES, id, i & 1) ||
		    option_get(arg->fd, IOMMU_OPTION_HUGE_PAGES, id) != (i & 1) ||
		    iova_ranges(arg->fd, arg->shared_id, &r, &num, NULL) ||
		    num != 1 ||
		    option_get(arg->fd, IOMMU_OPTION_HUGE_PAGES,
			       arg->shared_id) != 1) {
			arg->failures++;
			arg->last_errno = errno;
			continue;
		}
		if (i % 4 == 0 && arg->nr_kept < ARRAY_SIZE(arg->kept)) {
			arg->kept[arg->nr_kept++] = id;
			continue;
		}
		if (destroy(arg->fd, id)) {
			arg->failures++;
			arg->last_errno = errno;
		}
	}
	return NULL;
}

TEST_F_TIMEOUT(iommufd_ioas, threads_alloc_destroy, 300)
{
	struct thread_arg args[NR_THREADS] = {};
	pthread_t threads[NR_THREADS];
	unsigned int t, u, i, j;

	for (t = 0; t != NR_THREADS; t++) {
		args[t].fd = self->fd;
		args[t].shared_id = self->ioas_id;
		ASSERT_EQ(0, pthread_create(&threads[t], NULL,
					    alloc_destroy_thread, &args[t]));
	}
	for (t = 0; t != NR_THREADS; t++)
		ASSERT_EQ(0, pthread_join(threads[t], NULL));

	for (t = 0; t != NR_THREADS; t++) {
		ASSERT_EQ(0, args[t].failures)
			TH_LOG("thread %u, errno %d", t, args[t].last_errno);
		ASSERT_EQ(NR_LOOPS / 4, args[t].nr_kept);
	}
	/* Every kept ID is distinct and live, and not the shared one. */
	for (t = 0; t != NR_THREADS; t++) {
		for (i = 0; i != args[t].nr_kept; i++) {
			ASSERT_NE(self->ioas_id, args[t].kept[i]);
			for (u = t; u != NR_THREADS; u++)
				for (j = (u == t) ? i + 1 : 0;
				     j < args[u].nr_kept; j++)
					ASSERT_NE(args[t].kept[i],
						  args[u].kept[j]);
		}
	}
	for (t = 0; t != NR_THREADS; t++)
		for (i = 0; i != args[t].nr_kept; i++)
			ASSERT_EQ(0, destroy(self->fd, args[t].kept[i]));
	ASSERT_EQ(0, destroy(self->fd, self->ioas_id));

	/* The table is empty now; as root, an empty table can be proven. */
	if (!geteuid())
		ASSERT_EQ(0, option_set(self->fd, IOMMU_OPTION_RLIMIT_MODE, 0,
					0));
}

/* stop and ok are shared between threads: use __atomic accesses */
struct reader_arg {
	int fd;
	__u32 ioas_id;
	int stop;
	unsigned int ok;
	unsigned int gone;
	unsigned int other;
	int other_errno;
};

/* Reads one IOAS until it is gone; counts how each call ended. */
static void *ioas_reader_thread(void *p)
{
	struct reader_arg *arg = p;
	struct iommu_iova_range r;
	__u32 num;

	while (!__atomic_load_n(&arg->stop, __ATOMIC_RELAXED)) {
		num = 1;
		if (!iova_ranges(arg->fd, arg->ioas_id, &r, &num, NULL)) {
			__atomic_add_fetch(&arg->ok, 1, __ATOMIC_RELAXED);
			continue;
		}
		if (errno == ENOENT) {
			arg->gone++;
			break;
		}
		arg->other++;
		arg->other_errno = errno;
	}
	return NULL;
}

TEST_F_TIMEOUT(iommufd_ioas, destroy_races_with_users, 300)
{
	struct reader_arg arg = { .fd = self->fd, .ioas_id = self->ioas_id };
	unsigned int busy = 0;
	pthread_t thread;
	int rc;

	ASSERT_EQ(0, pthread_create(&thread, NULL, ioas_reader_thread, &arg));
	/* Let the reader get going, then destroy under its feet. */
	while (!__atomic_load_n(&arg.ok, __ATOMIC_RELAXED))
		usleep(1000);
	for (;;) {
		rc = destroy(self->fd, self->ioas_id);
		if (!rc)
			break;
		/* A reader holding the IOAS makes destroy fail, no more. */
		ASSERT_EQ(EBUSY, errno);
		busy++;
	}
	__atomic_store_n(&arg.stop, 1, __ATOMIC_RELAXED);
	ASSERT_EQ(0, pthread_join(thread, NULL));
	TH_LOG("destroy saw EBUSY %u times", busy);

	ASSERT_EQ(0, arg.other) TH_LOG("reader errno %d", arg.other_errno);
	ASSERT_ERRNO(ENOENT, destroy(self->fd, self->ioas_id));
}

/* ------------------------------------------------------------------ */
/* IOMMU_IOAS_MAP and IOMMU_IOAS_UNMAP                                 */

#define BUF_SIZE (16 * SZ_1M)
/* The highest page of the 64-bit IOVA space */
#define TOP_PAGE (UINT64_MAX - SZ_4K + 1)

/*
 * An IOAS and a 16 MiB buffer starting on a 2 MiB boundary, so the IOVAs
 * the kernel picks (which follow the user address alignment) are known.
 * Map, unmap and copy themselves are tested with and without domains by
 * the mock_map fixture below, whose variant without runs on any kernel.
 */
FIXTURE(ioas_map) {
	long pins0;
	int fd;
	__u32 ioas_id;
	void *raw;
	char *buf;
	/* A second context a test pins with, -1 once the test closed it */
	int fd2;
};

FIXTURE_SETUP(ioas_map)
{
	self->pins0 = foll_pins();
	self->fd2 = -1;
	self->fd = open(IOMMUFD_DEV, O_RDWR);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, ioas_alloc(self->fd, &self->ioas_id));
	self->raw = mmap(NULL, BUF_SIZE + SZ_2M, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->raw);
	self->buf = (char *)(((uintptr_t)self->raw + SZ_2M - 1) &
			     ~(SZ_2M - 1));
}

FIXTURE_TEARDOWN(ioas_map)
{
	if (self->fd2 >= 0)
		close(self->fd2);
	close(self->fd);
	munmap(self->raw, BUF_SIZE + SZ_2M);
	EXPECT_PINS_RELEASED(self->pins0);
}

TEST_F(ioas_map, whole_buffer)
{
	__u64 len = 0;

	ASSERT_EQ(0, ioas_map_fixed(self->fd, self->ioas_id, self->buf,
				    BUF_SIZE, 1ULL << 40));
	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas_id, 1ULL << 40, BUF_SIZE,
				&len));
	ASSERT_EQ(BUF_SIZE, len);
}

TEST_F(ioas_map, auto_iova_lowest_aligned_hole)
{
	char *b = self->buf;
	__u64 iova = 0, len = 0;

	/* Aligned to min(length rounded up to 2^n, user address alignment) */
	iova = 0xdeadbeef;	/* ignored without FIXED_IOVA */
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas_id, MAP_RW, b, SZ_4K,
			      &iova));
	ASSERT_EQ(0, iova);
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas_id, MAP_RW, b + 0x2000,
			      0x2000, &iova));
	ASSERT_EQ(0x2000, iova);
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas_id, MAP_RW, b + SZ_4K,
			      SZ_4K, &iova));
	ASSERT_EQ(0x1000, iova);
	/* A 2 MiB-aligned buffer gets a 2 MiB-aligned IOVA */
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas_id, MAP_RW, b, SZ_2M,
			      &iova));
	ASSERT_EQ(SZ_2M, iova);
	/* Only 4 KiB alignment, but the hole below 2 MiB is too small */
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas_id, MAP_RW, b + SZ_4K,
			      SZ_2M, &iova));
	ASSERT_EQ(2 * SZ_2M, iova);
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas_id, MAP_RW, b + 0x3000,
			      SZ_4K, &iova));
	ASSERT_EQ(0x4000, iova);
	/* A user address aligned to 64 KiB, a length of 3 pages */
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas_id, MAP_RW, b + SZ_64K,
			      0x3000, &iova));
	ASSERT_EQ(0x8000, iova);

	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas_id, 0, UINT64_MAX, &len));
	ASSERT_EQ(2 * SZ_2M + 0x8000, len);
}

TEST_F(ioas_map, auto_iova_skips_fixed_maps)
{
	__u64 iova = 0;

	ASSERT_EQ(0, ioas_map_fixed(self->fd, self->ioas_id, self->buf, SZ_4K,
				    0));
	ASSERT_EQ(0, ioas_map_fixed(self->fd, self->ioas_id, self->buf,
				    SZ_64K, SZ_64K));
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas_id, MAP_RW, self->buf,
			      SZ_64K, &iova));
	ASSERT_EQ(2 * SZ_64K, iova);
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas_id, MAP_RW, self->buf,
			      SZ_4K, &iova));
	ASSERT_EQ(SZ_4K, iova);
}

TEST_F(ioas_map, fixed_overlap_is_eexist)
{
	ASSERT_EQ(0, ioas_map_fixed(self->fd, self->ioas_id, self->buf,
				    0x4000, 0x10000));
	ASSERT_ERRNO(EEXIST, ioas_map_fixed(self->fd, self->ioas_id, self->buf,
					    0x2000, 0xf000));
	ASSERT_ERRNO(EEXIST, ioas_map_fixed(self->fd, self->ioas_id, self->buf,
					    0x2000, 0x13000));
	ASSERT_ERRNO(EEXIST, ioas_map_fixed(self->fd, self->ioas_id, self->buf,
					    SZ_4K, 0x11000));
	ASSERT_ERRNO(EEXIST, ioas_map_fixed(self->fd, self->ioas_id, self->buf,
					    SZ_1M, 0));
	/* Touching on either side is fine */
	ASSERT_EQ(0, ioas_map_fixed(self->fd, self->ioas_id, self->buf,
				    0x4000, 0xc000));
	ASSERT_EQ(0, ioas_map_fixed(self->fd, self->ioas_id, self->buf,
				    SZ_4K, 0x14000));
}

TEST_F(ioas_map, top_of_iova_space)
{
	__u64 len = 0;

	ASSERT_EQ(0, ioas_map_fixed(self->fd, self->ioas_id, self->buf, SZ_4K,
				    TOP_PAGE));
	ASSERT_ERRNO(EEXIST, ioas_map_fixed(self->fd, self->ioas_id,
					    self->buf, 0x2000,
					    TOP_PAGE - SZ_4K));
	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas_id, TOP_PAGE, SZ_4K,
				&len));
	ASSERT_EQ(SZ_4K, len);
}

TEST_F(ioas_map, bad_flags_are_eopnotsupp)
{
	struct iommu_ioas_map cmd = {
		.size = sizeof(cmd),
		.flags = MAP_RW,
		.ioas_id = self->ioas_id,
		.user_va = (uintptr_t)self->buf,
		.length = SZ_4K,
		.__reserved = 1,
	};
	__u64 iova = 0;

	ASSERT_ERRNO(EOPNOTSUPP, ioctl(self->fd, IOMMU_IOAS_MAP, &cmd));
	ASSERT_ERRNO(EOPNOTSUPP, ioas_map(self->fd, self->ioas_id,
					  MAP_RW | 1 << 3, self->buf, SZ_4K,
					  &iova));
	ASSERT_ERRNO(EOPNOTSUPP, ioas_map(self->fd, self->ioas_id,
					  MAP_RW | 1u << 31, self->buf, SZ_4K,
					  &iova));
	/* Nothing was mapped */
	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas_id, 0, UINT64_MAX,
				&iova));
	ASSERT_EQ(0, iova);
}

TEST_F(ioas_map, bad_arguments)
{
	__u64 iova = 0, len = 1;

	/* No access at all */
	ASSERT_ERRNO(EINVAL, ioas_map(self->fd, self->ioas_id, 0, self->buf,
				      SZ_4K, &iova));
	ASSERT_ERRNO(EINVAL, ioas_map(self->fd, self->ioas_id,
				      IOMMU_IOAS_MAP_FIXED_IOVA, self->buf,
				      SZ_4K, &iova));
	ASSERT_ERRNO(EINVAL, ioas_map(self->fd, self->ioas_id, MAP_RW,
				      self->buf, 0, &iova));
	/* No alignment is needed while nothing is attached... */
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas_id, MAP_RW, self->buf + 1,
			      SZ_4K, &iova));
	ASSERT_EQ(1, iova % SZ_4K);
	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas_id, iova, SZ_4K, NULL));
	/* ...but pages of user_va, length and a fixed iova once it pins */
	if (have_test_cmd(self->fd)) {
		int access_fd;

		ASSERT_EQ(0, create_access(self->fd, self->ioas_id,
					   MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES,
					   &access_fd));
		ASSERT_ERRNO(EINVAL, ioas_map(self->fd, self->ioas_id, MAP_RW,
					      self->buf + 1, SZ_4K, &iova));
		ASSERT_ERRNO(EINVAL, ioas_map(self->fd, self->ioas_id, MAP_RW,
					      self->buf, SZ_4K + 1, &iova));
		ASSERT_ERRNO(EINVAL, ioas_map(self->fd, self->ioas_id, MAP_RW,
					      self->buf, 0x800, &iova));
		ASSERT_ERRNO(EINVAL, ioas_map_fixed(self->fd, self->ioas_id,
						    self->buf, SZ_4K, 0x1800));
		close(access_fd);
	}
	/* Sums that wrap */
	ASSERT_ERRNO(EOVERFLOW, ioas_map_fixed(self->fd, self->ioas_id,
					       self->buf, 0x2000, TOP_PAGE));
	ASSERT_ERRNO(EOVERFLOW, ioas_map_fixed(self->fd, self->ioas_id,
					       self->buf, UINT64_MAX, SZ_4K));
	ASSERT_ERRNO(EOVERFLOW, ioas_map(self->fd, self->ioas_id, MAP_RW,
					 (void *)(uintptr_t)TOP_PAGE, 0x2000,
					 &iova));
	ASSERT_ERRNO(EOVERFLOW, ioas_map(self->fd, self->ioas_id, MAP_RW,
					 (void *)(uintptr_t)TOP_PAGE, SZ_4K,
					 &iova));
	/* Bad IOAS */
	ASSERT_ERRNO(ENOENT, ioas_map(self->fd, 0, MAP_RW, self->buf, SZ_4K,
				      &iova));
	ASSERT_ERRNO(ENOENT, ioas_map(self->fd, UNUSED_ID, MAP_RW, self->buf,
				      SZ_4K, &iova));

	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas_id, 0, UINT64_MAX, &len));
	ASSERT_EQ(0, len);
}

TEST_F(ioas_map, unpinnable_memory_is_efault)
{
	long pg = getpagesize();
	__u64 iova = 0, len = 1;
	__u32 other;
	char *p;

	if (!have_test_cmd(self->fd))
		SKIP(return, NO_TEST_CMD);
	/* With a domain attached a map pins, and so checks, the memory */
	ASSERT_EQ(0, mock_domain(self->fd, self->ioas_id, NULL, NULL, NULL));

	/* A hole in the middle of three pages */
	p = mmap(NULL, 3 * pg, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, munmap(p + pg, pg));
	ASSERT_ERRNO(EFAULT, ioas_map(self->fd, self->ioas_id, MAP_RW, p + pg,
				      pg, &iova));
	ASSERT_ERRNO(EFAULT, ioas_map(self->fd, self->ioas_id, MAP_RW, p,
				      3 * pg, &iova));
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas_id, MAP_RW, p + 2 * pg, pg,
			      &iova));
	ASSERT_EQ(MOCK_APERTURE_START, iova);
	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas_id, iova, pg, NULL));
	munmap(p, pg);
	munmap(p + 2 * pg, pg);

	/* No access */
	p = mmap(NULL, pg, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_ERRNO(EFAULT, ioas_map(self->fd, self->ioas_id, MAP_RW, p, pg,
				      &iova));
	ASSERT_ERRNO(EFAULT, ioas_map(self->fd, self->ioas_id,
				      IOMMU_IOAS_MAP_READABLE, p, pg, &iova));
	munmap(p, pg);

	/* Read-only memory may only be mapped read-only */
	p = mmap(NULL, pg, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_ERRNO(EFAULT, ioas_map(self->fd, self->ioas_id, MAP_RW, p, pg,
				      &iova));
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas_id, IOMMU_IOAS_MAP_READABLE,
			      p, pg, &iova));
	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas_id, iova, pg, NULL));
	munmap(p, pg);

	/* Page 0 and kernel addresses */
	ASSERT_ERRNO(EFAULT, ioas_map(self->fd, self->ioas_id, MAP_RW, NULL,
				      pg, &iova));
	ASSERT_ERRNO(EFAULT, ioas_map(self->fd, self->ioas_id, MAP_RW,
				      (void *)0xffff888000000000ULL, pg,
				      &iova));

	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas_id, 0, UINT64_MAX, &len));
	ASSERT_EQ(0, len);

	/*
	 * Without a domain a map only records the range: memory that cannot
	 * be pinned maps, and the attach that would pin it fails instead.
	 */
	p = mmap(NULL, pg, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, p);
	ASSERT_EQ(0, ioas_alloc(self->fd, &other));
	ASSERT_EQ(0, ioas_map_fixed(self->fd, other, p, pg,
				    MOCK_APERTURE_START));
	ASSERT_ERRNO(EFAULT, mock_domain(self->fd, other, NULL, NULL, NULL));
	/* Nothing was attached: no aperture keeps IOVA 0 out */
	ASSERT_EQ(0, ioas_map_fixed(self->fd, other, self->buf, pg, 0));
	ASSERT_EQ(0, ioas_unmap(self->fd, other, 0, UINT64_MAX, &len));
	ASSERT_EQ(2 * pg, len);
	ASSERT_EQ(0, mock_domain(self->fd, other, NULL, NULL, NULL));
	munmap(p, pg);
}

TEST_F(ioas_map, unmap_errors)
{
	__u64 len = 0;

	ASSERT_ERRNO(ENOENT, ioas_unmap(self->fd, self->ioas_id, 0x10000,
					SZ_4K, NULL));
	ASSERT_EQ(0, ioas_map_fixed(self->fd, self->ioas_id, self->buf,
				    SZ_4K, 0x10000));
	ASSERT_ERRNO(ENOENT, ioas_unmap(self->fd, self->ioas_id, 0x11000,
					SZ_4K, NULL));
	ASSERT_ERRNO(EINVAL, ioas_unmap(self->fd, self->ioas_id, 0x10000, 0,
					NULL));
	ASSERT_ERRNO(EOVERFLOW, ioas_unmap(self->fd, self->ioas_id, SZ_4K,
					   UINT64_MAX, NULL));
	ASSERT_ERRNO(EOVERFLOW, ioas_unmap(self->fd, self->ioas_id, TOP_PAGE,
					   0x2000, NULL));
	ASSERT_ERRNO(ENOENT, ioas_unmap(self->fd, 0, 0x10000, SZ_4K, NULL));
	ASSERT_ERRNO(ENOENT, ioas_unmap(self->fd, UNUSED_ID, 0, UINT64_MAX,
					NULL));
	/* A range ending at the top of the space is no overflow */
	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas_id, 0x10000,
				UINT64_MAX - 0x10000 + 1, &len));
	ASSERT_EQ(SZ_4K, len);
}

TEST_F(ioas_map, auto_iova_only_in_allowed_ranges)
{
	struct iommu_iova_range allowed[] = {
		{ .start = 0x100000, .last = 0x103fff },
		{ .start = 0x200000, .last = 0x2fffff },
	};
	struct iommu_iova_range small = { .start = 0x300000, .last = 0x300fff };
	__u64 iova = 0;

	ASSERT_EQ(0, allow_iovas(self->fd, self->ioas_id, allowed, 2));
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas_id, MAP_RW, self->buf,
			      0x4000, &iova));
	ASSERT_EQ(0x100000, iova);
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas_id, MAP_RW, self->buf,
			      SZ_4K, &iova));
	ASSERT_EQ(0x200000, iova);
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas_id, MAP_RW, self->buf,
			      0x8000, &iova));
	ASSERT_EQ(0x208000, iova);
	ASSERT_ERRNO(ENOSPC, ioas_map(self->fd, self->ioas_id, MAP_RW,
				      self->buf, SZ_1M, &iova));
	/* A fixed IOVA need not be inside an allowed range */
	ASSERT_EQ(0, ioas_map_fixed(self->fd, self->ioas_id, self->buf,
				    SZ_1M, 0x400000));

	ASSERT_EQ(0, allow_iovas(self->fd, self->ioas_id, &small, 1));
	ASSERT_ERRNO(ENOSPC, ioas_map(self->fd, self->ioas_id, MAP_RW,
				      self->buf, 0x2000, &iova));
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas_id, MAP_RW, self->buf,
			      SZ_4K, &iova));
	ASSERT_EQ(0x300000, iova);
	ASSERT_ERRNO(ENOSPC, ioas_map(self->fd, self->ioas_id, MAP_RW,
				      self->buf, SZ_4K, &iova));
}

TEST_F(ioas_map, allow_iovas_may_leave_areas_outside)
{
	struct iommu_iova_range allowed = { .start = SZ_1M, .last = 0x1fffff };
	struct iommu_iova_range r[2];
	__u64 len = 0;
	__u32 num = 2;

	ASSERT_EQ(0, ioas_map_fixed(self->fd, self->ioas_id, self->buf,
				    SZ_64K, SZ_64K));
	ASSERT_EQ(0, allow_iovas(self->fd, self->ioas_id, &allowed, 1));
	/* The area is still there */
	ASSERT_ERRNO(EEXIST, ioas_map_fixed(self->fd, self->ioas_id,
					    self->buf, SZ_4K, SZ_64K));
	/* Mappings do not make IOVA unusable for IOVA_RANGES */
	ASSERT_EQ(0, iova_ranges(self->fd, self->ioas_id, r, &num, NULL));
	ASSERT_EQ(1, num);
	ASSERT_EQ(0, r[0].start);
	ASSERT_EQ(UINT64_MAX, r[0].last);
	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas_id, SZ_64K, SZ_64K, &len));
	ASSERT_EQ(SZ_64K, len);
}

TEST_F(ioas_map, transparent_huge_pages)
{
	char *thp = self->buf + 4 * SZ_2M;
	__u64 iova = 0, len = 0;

	ASSERT_EQ(0, madvise(thp, 2 * SZ_2M, MADV_HUGEPAGE));
	memset(thp, 0x5a, 2 * SZ_2M);
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas_id, MAP_RW, thp, 2 * SZ_2M,
			      &iova));
	ASSERT_EQ(0, iova);
	/* Part of a huge page, at the same offset in the IOVA space */
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas_id, MAP_RW,
			      thp + SZ_2M + SZ_64K, SZ_64K, &iova));
	ASSERT_EQ(2 * SZ_2M, iova);
	ASSERT_EQ(0, ioas_map_fixed(self->fd, self->ioas_id, thp + SZ_4K,
				    SZ_2M, 1ULL << 30));
	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas_id, 0, UINT64_MAX, &len));
	ASSERT_EQ(3 * SZ_2M + SZ_64K, len);
	/* The memory is intact */
	ASSERT_EQ(0x5a, thp[0]);
	ASSERT_EQ(0x5a, thp[2 * SZ_2M - 1]);
}

TEST_F(ioas_map, close_with_maps)
{
	int fd = open(IOMMUFD_DEV, O_RDWR);
	__u32 id;

	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ioas_alloc(fd, &id));
	ASSERT_EQ(0, ioas_map_fixed(fd, id, self->buf, BUF_SIZE, 0));
	ASSERT_EQ(0, ioas_map_fixed(fd, id, self->buf, SZ_64K, 1ULL << 40));
	ASSERT_EQ(0, close(fd));
}

/* Threads mapping and unmapping at kernel-chosen IOVAs in one IOAS */
struct map_thread_arg {
	int fd;
	__u32 ioas_id;
	char *buf;
	unsigned int failures;
	int last_errno;
};

static void *map_unmap_thread(void *p)
{
	struct map_thread_arg *arg = p;
	unsigned int i;
	__u64 iova = 0, len = 0;

	for (i = 0; i != NR_LOOPS; i++) {
		if (ioas_map(arg->fd, arg->ioas_id, MAP_RW, arg->buf,
			     SZ_4K * (1 + i % 4), &iova) ||
		    ioas_unmap(arg->fd, arg->ioas_id, iova, SZ_4K * (1 + i % 4),
			       &len) ||
		    len != SZ_4K * (1 + i % 4)) {
			arg->failures++;
			arg->last_errno = errno;
		}
	}
	return NULL;
}

TEST_F_TIMEOUT(ioas_map, threads_map_unmap, 300)
{
	struct map_thread_arg args[NR_THREADS];
	pthread_t threads[NR_THREADS];
	unsigned int t;
	__u64 len = 1;

	for (t = 0; t != NR_THREADS; t++) {
		args[t] = (struct map_thread_arg){
			.fd = self->fd,
			.ioas_id = self->ioas_id,
			.buf = self->buf + t * SZ_1M,
		};
		ASSERT_EQ(0, pthread_create(&threads[t], NULL,
					    map_unmap_thread, &args[t]));
	}
	for (t = 0; t != NR_THREADS; t++)
		ASSERT_EQ(0, pthread_join(threads[t], NULL));
	for (t = 0; t != NR_THREADS; t++) {
		int err = args[t].last_errno;

		ASSERT_EQ(0, args[t].failures)
			TH_LOG("thread %u, errno %d", t, err);
	}
	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas_id, 0, UINT64_MAX, &len));
	ASSERT_EQ(0, len);
}

/* ------------------------------------------------------------------ */
/* Pinned-page accounting                                              */

/* A new context in RLIMIT_MODE 1 (per process) with one IOAS; root only */
static int open_mm_mode(__u32 *ioas_id)
{
	int fd = open(IOMMUFD_DEV, O_RDWR);

	if (fd < 0)
		return -1;
	if (option_set(fd, IOMMU_OPTION_RLIMIT_MODE, 0, 1) ||
	    ioas_alloc(fd, ioas_id)) {
		close(fd);
		return -1;
	}
	return fd;
}

TEST_F(ioas_map, vmpin_follows_maps_in_mm_mode)
{
	const __u64 start = MOCK_APERTURE_START;
	long base = vmpin_kb();
	__u32 id, id2, stdev2;
	__u64 iova = 0;
	int fd;

	if (!have_test_cmd(self->fd))
		SKIP(return, NO_TEST_CMD);
	if (geteuid())
		SKIP(return, "needs root (CAP_SYS_RESOURCE)");
	ASSERT_LE(0, base);
	fd = open_mm_mode(&id);
	self->fd2 = fd;
	ASSERT_LE(0, fd);
	/* With a domain attached each map pins and charges at once */
	ASSERT_EQ(0, mock_domain(fd, id, NULL, NULL, NULL));

	ASSERT_EQ(0, ioas_map_fixed(fd, id, self->buf, SZ_1M, start));
	ASSERT_EQ(base + SZ_1M / 1024, vmpin_kb());
	ASSERT_EQ(0, ioas_map(fd, id, IOMMU_IOAS_MAP_READABLE, self->buf,
			      SZ_64K, &iova));
	ASSERT_EQ(base + (SZ_1M + SZ_64K) / 1024, vmpin_kb());
	ASSERT_EQ(0, ioas_unmap(fd, id, start, SZ_1M, NULL));
	ASSERT_EQ(base + SZ_64K / 1024, vmpin_kb());

	/*
	 * Maps into an IOAS without a domain charge nothing; attaching the
	 * first domain charges them, detaching the last returns the charge.
	 */
	ASSERT_EQ(0, ioas_alloc(fd, &id2));
	ASSERT_EQ(0, ioas_map_fixed(fd, id2, self->buf, BUF_SIZE, start));
	ASSERT_EQ(base + SZ_64K / 1024, vmpin_kb());
	ASSERT_EQ(0, mock_domain(fd, id2, &stdev2, NULL, NULL));
	ASSERT_EQ(base + (BUF_SIZE + SZ_64K) / 1024, vmpin_kb());
	ASSERT_EQ(0, destroy(fd, stdev2));
	ASSERT_EQ(base + SZ_64K / 1024, vmpin_kb());
	/* Destroying the IOAS with its maps changes nothing more */
	ASSERT_EQ(0, destroy(fd, id2));
	ASSERT_EQ(base + SZ_64K / 1024, vmpin_kb());

	/* Closing the file returns the charge of the maps pinned */
	ASSERT_EQ(0, ioas_map_fixed(fd, id, self->buf, SZ_2M, start + SZ_2M));
	ASSERT_EQ(base + (SZ_2M + SZ_64K) / 1024, vmpin_kb());
	self->fd2 = -1;
	ASSERT_EQ(0, close(fd));
	ASSERT_EQ(base, vmpin_kb());

	/* The default mode charges the user, not VmPin */
	ASSERT_EQ(0, mock_domain(self->fd, self->ioas_id, NULL, NULL, NULL));
	ASSERT_EQ(0, ioas_map_fixed(self->fd, self->ioas_id, self->buf, SZ_1M,
				    start));
	ASSERT_EQ(base, vmpin_kb());
}

TEST_F(ioas_map, failed_map_leaves_nothing_pinned)
{
	long pg = getpagesize();
	long base = vmpin_kb();
	__u64 iova = 0;
	__u32 id;
	char *p;
	int fd;

	if (!have_test_cmd(self->fd))
		SKIP(return, NO_TEST_CMD);
	if (geteuid())
		SKIP(return, "needs root (CAP_SYS_RESOURCE)");
	ASSERT_LE(0, base);
	fd = open_mm_mode(&id);
	self->fd2 = fd;
	ASSERT_LE(0, fd);
	/* A domain, so that maps pin at once */
	ASSERT_EQ(0, mock_domain(fd, id, NULL, NULL, NULL));

	/* 2 MiB of good memory followed by inaccessible or missing pages */
	p = mmap(NULL, SZ_2M + 2 * pg, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, p);
	memset(p, 1, SZ_2M);
	ASSERT_EQ(0, mprotect(p + SZ_2M, pg, PROT_NONE));
	ASSERT_EQ(0, munmap(p + SZ_2M + pg, pg));

	ASSERT_ERRNO(EFAULT, ioas_map(fd, id, MAP_RW, p, SZ_2M + pg, &iova));
	ASSERT_EQ(base, vmpin_kb());
	ASSERT_ERRNO(EFAULT, ioas_map(fd, id, MAP_RW, p + pg, SZ_2M + pg,
				      &iova));
	ASSERT_EQ(base, vmpin_kb());
	/* Failing after pinning: the fixed IOVA is taken */
	ASSERT_EQ(0, ioas_map_fixed(fd, id, p, SZ_4K, MOCK_APERTURE_START));
	ASSERT_ERRNO(EEXIST, ioas_map_fixed(fd, id, p, SZ_2M,
					    MOCK_APERTURE_START));
	ASSERT_EQ(base + 4, vmpin_kb());
	ASSERT_EQ(0, ioas_unmap(fd, id, 0, UINT64_MAX, NULL));
	ASSERT_EQ(base, vmpin_kb());

	munmap(p, SZ_2M + pg);
	self->fd2 = -1;
	close(fd);
}

TEST_F(ioas_map, rlimit_user_mode_unprivileged)
{
	const __u64 start = MOCK_APERTURE_START;
	pid_t pid;

	if (!have_test_cmd(self->fd))
		SKIP(return, NO_TEST_CMD);
	if (geteuid())
		SKIP(return, "needs root to drop privileges");
	/* A domain, so that maps pin and charge at once */
	ASSERT_EQ(0, mock_domain(self->fd, self->ioas_id, NULL, NULL, NULL));

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		__u64 iova = 0;
		__u32 id2;

		/* The file was opened while still root */
		if (become_nobody(SZ_64K))
			_exit(10);
		if (ioas_map_fixed(self->fd, self->ioas_id, self->buf, SZ_64K,
				   start))
			_exit(11);
		if (ioas_map(self->fd, self->ioas_id, MAP_RW, self->buf, SZ_4K,
			     &iova) != -1 || errno != ENOMEM)
			_exit(12);
		/* Over the limit in one go fails just the same */
		if (ioas_map_fixed(self->fd, self->ioas_id, self->buf, SZ_1M,
				   start + SZ_1M) != -1 || errno != ENOMEM)
			_exit(13);
		if (ioas_unmap(self->fd, self->ioas_id, start, SZ_64K, NULL))
			_exit(14);
		if (ioas_map_fixed(self->fd, self->ioas_id, self->buf, SZ_4K,
				   start) ||
		    ioas_map_fixed(self->fd, self->ioas_id, self->buf,
				   SZ_64K - SZ_4K, start + SZ_64K))
			_exit(15);
		if (ioas_map(self->fd, self->ioas_id, MAP_RW, self->buf, SZ_4K,
			     &iova) != -1 || errno != ENOMEM)
			_exit(16);
		if (ioas_unmap(self->fd, self->ioas_id, 0, UINT64_MAX, NULL))
			_exit(17);
		/*
		 * Without a domain a map charges nothing: the attach that
		 * pins it goes over the limit instead, and changes nothing.
		 */
		if (ioas_alloc(self->fd, &id2) ||
		    ioas_map_fixed(self->fd, id2, self->buf, SZ_1M, start))
			_exit(18);
		if (mock_domain(self->fd, id2, NULL, NULL, NULL) != -1 ||
		    errno != ENOMEM)
			_exit(19);
		if (ioas_map_fixed(self->fd, self->ioas_id, self->buf, SZ_64K,
				   start))
			_exit(20);
		_exit(0);
	}
	ASSERT_EQ(0, wait_child(pid));
}

TEST_F(ioas_map, rlimit_mm_mode_unprivileged)
{
	const __u64 start = MOCK_APERTURE_START;
	__u32 id;
	pid_t pid;
	int fd;

	if (!have_test_cmd(self->fd))
		SKIP(return, NO_TEST_CMD);
	if (geteuid())
		SKIP(return, "needs root to drop privileges");
	fd = open_mm_mode(&id);
	self->fd2 = fd;
	ASSERT_LE(0, fd);
	/* A domain, so that maps pin and charge at once */
	ASSERT_EQ(0, mock_domain(fd, id, NULL, NULL, NULL));

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		__u32 id2;

		if (become_nobody(SZ_64K))
			_exit(10);
		if (ioas_map_fixed(fd, id, self->buf, SZ_64K, start))
			_exit(11);
		if (vmpin_kb() != SZ_64K / 1024)
			_exit(12);
		if (ioas_map_fixed(fd, id, self->buf, SZ_4K, start + SZ_1M) !=
		    -1 || errno != ENOMEM)
			_exit(13);
		if (ioas_unmap(fd, id, start, SZ_64K, NULL) || vmpin_kb() != 0)
			_exit(14);
		if (ioas_map_fixed(fd, id, self->buf, SZ_4K, start + SZ_1M))
			_exit(15);
		/* Without a domain: no charge, until the attach fails */
		if (ioas_alloc(fd, &id2) ||
		    ioas_map_fixed(fd, id2, self->buf, SZ_1M, start) ||
		    vmpin_kb() != SZ_4K / 1024)
			_exit(16);
		if (mock_domain(fd, id2, NULL, NULL, NULL) != -1 ||
		    errno != ENOMEM || vmpin_kb() != SZ_4K / 1024)
			_exit(17);
		_exit(0);
	}
	ASSERT_EQ(0, wait_child(pid));
	self->fd2 = -1;
	close(fd);
}

TEST_F(ioas_map, cap_ipc_lock_ignores_rlimit)
{
	pid_t pid;

	if (!have_test_cmd(self->fd))
		SKIP(return, NO_TEST_CMD);
	if (geteuid())
		SKIP(return, "needs root (CAP_IPC_LOCK)");
	/* A domain, so that the map pins and charges at once */
	ASSERT_EQ(0, mock_domain(self->fd, self->ioas_id, NULL, NULL, NULL));

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		struct rlimit rl = { .rlim_cur = SZ_64K, .rlim_max = SZ_64K };
		const __u64 iova = MOCK_APERTURE_START;

		if (setrlimit(RLIMIT_MEMLOCK, &rl))
			_exit(10);
		if (ioas_map_fixed(self->fd, self->ioas_id, self->buf, SZ_1M,
				   iova))
			_exit(11);
		if (md_check_refs(self->fd, self->buf, SZ_1M, 1))
			_exit(13);
		_exit(ioas_unmap(self->fd, self->ioas_id, iova, SZ_1M, NULL) ?
		      12 : 0);
	}
	ASSERT_EQ(0, wait_child(pid));
}

TEST_F(ioas_map, fork_child_unmaps_parent_map)
{
	const __u64 iova = MOCK_APERTURE_START + SZ_1M;
	long base = vmpin_kb();
	__u32 id;
	pid_t pid;
	int fd;

	if (!have_test_cmd(self->fd))
		SKIP(return, NO_TEST_CMD);
	if (geteuid())
		SKIP(return, "needs root (CAP_SYS_RESOURCE)");
	ASSERT_LE(0, base);
	fd = open_mm_mode(&id);
	self->fd2 = fd;
	ASSERT_LE(0, fd);
	/* A domain, so that the map pins and charges at once */
	ASSERT_EQ(0, mock_domain(fd, id, NULL, NULL, NULL));
	ASSERT_EQ(0, ioas_map_fixed(fd, id, self->buf, 4 * SZ_64K, iova));
	ASSERT_EQ(base + 4 * SZ_64K / 1024, vmpin_kb());

	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		__u64 len = 0;

		/* Nothing was charged to the child's own mm */
		if (vmpin_kb() != 0)
			_exit(10);
		if (ioas_unmap(fd, id, iova, 4 * SZ_64K, &len) ||
		    len != 4 * SZ_64K)
			_exit(11);
		/* The charge went back to the parent, not to the child */
		_exit(vmpin_kb() != 0 ? 12 : 0);
	}
	ASSERT_EQ(0, wait_child(pid));
	ASSERT_EQ(base, vmpin_kb());
	ASSERT_ERRNO(ENOENT, ioas_unmap(fd, id, iova, 4 * SZ_64K, NULL));
	self->fd2 = -1;
	close(fd);
}

/* ------------------------------------------------------------------ */
/* IOMMU_IOAS_COPY                                                     */

TEST_F(ioas_map, copy_to_other_ioas)
{
	__u64 len = 0;
	__u32 dst;

	ASSERT_EQ(0, ioas_alloc(self->fd, &dst));
	ASSERT_EQ(0, ioas_map_fixed(self->fd, self->ioas_id, self->buf,
				    SZ_64K, SZ_64K));
	ASSERT_EQ(0, ioas_copy_fixed(self->fd, dst, self->ioas_id, SZ_64K,
				     SZ_64K, SZ_1M));
	ASSERT_ERRNO(EEXIST, ioas_map_fixed(self->fd, dst, self->buf, SZ_4K,
					    SZ_1M + SZ_64K - SZ_4K));
	/* Unmapping the copy leaves the source mapped, and the reverse */
	ASSERT_EQ(0, ioas_unmap(self->fd, dst, SZ_1M, SZ_64K, &len));
	ASSERT_EQ(SZ_64K, len);
	ASSERT_ERRNO(EEXIST, ioas_map_fixed(self->fd, self->ioas_id,
					    self->buf, SZ_4K, SZ_64K));
	ASSERT_EQ(0, ioas_copy_fixed(self->fd, dst, self->ioas_id, SZ_64K,
				     SZ_64K, SZ_1M));
	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas_id, 0, UINT64_MAX, &len));
	ASSERT_EQ(SZ_64K, len);
	ASSERT_EQ(0, ioas_unmap(self->fd, dst, 0, UINT64_MAX, &len));
	ASSERT_EQ(SZ_64K, len);
}

TEST_F(ioas_map, copy_auto_iova)
{
	__u64 iova = 0xdeadbeef, len = 0;
	__u32 dst;

	ASSERT_EQ(0, ioas_alloc(self->fd, &dst));
	ASSERT_EQ(0, ioas_map_fixed(self->fd, self->ioas_id, self->buf,
				    SZ_2M, 0x40000000));
	ASSERT_EQ(0, ioas_map_fixed(self->fd, dst, self->buf, SZ_4K, 0));
	/* Aligned like the memory behind it: 64 KiB into a 2 MiB buffer */
	ASSERT_EQ(0, ioas_copy(self->fd, dst, self->ioas_id, MAP_RW,
			       0x40000000 + SZ_64K, SZ_64K, &iova));
	ASSERT_EQ(SZ_64K, iova);
	ASSERT_EQ(0, ioas_copy(self->fd, dst, self->ioas_id, MAP_RW,
			       0x40000000, SZ_2M, &iova));
	ASSERT_EQ(SZ_2M, iova);
	ASSERT_EQ(0, ioas_unmap(self->fd, dst, 0, UINT64_MAX, &len));
	ASSERT_EQ(SZ_4K + SZ_64K + SZ_2M, len);
}

TEST_F(ioas_map, copy_spans_several_areas)
{
	__u64 len = 0;
	__u32 dst;

	ASSERT_EQ(0, ioas_alloc(self->fd, &dst));
	/* Three touching areas from unrelated memory */
	ASSERT_EQ(0, ioas_map_fixed(self->fd, self->ioas_id, self->buf,
				    0x4000, 0x10000));
	ASSERT_EQ(0, ioas_map_fixed(self->fd, self->ioas_id,
				    self->buf + SZ_1M, 0x2000, 0x14000));
	ASSERT_EQ(0, ioas_map_fixed(self->fd, self->ioas_id, self->buf, 0x2000,
				    0x16000));
	/* The end of the first, all of the second, the start of the third */
	ASSERT_EQ(0, ioas_copy_fixed(self->fd, dst, self->ioas_id, 0x12000,
				     0x5000, 0x100000));
	/* One area per source piece: unmaps follow the pieces */
	ASSERT_ERRNO(ENOENT, ioas_unmap(self->fd, dst, 0x100000, SZ_4K, NULL));
	ASSERT_ERRNO(ENOENT, ioas_unmap(self->fd, dst, 0x103000, 0x2000,
					NULL));
	ASSERT_EQ(0, ioas_unmap(self->fd, dst, 0x100000, 0x2000, &len));
	ASSERT_EQ(0x2000, len);
	ASSERT_EQ(0, ioas_unmap(self->fd, dst, 0x104000, SZ_4K, &len));
	ASSERT_EQ(SZ_4K, len);
	ASSERT_EQ(0, ioas_unmap(self->fd, dst, 0x102000, 0x2000, &len));
	ASSERT_EQ(0x2000, len);
	ASSERT_EQ(0, ioas_unmap(self->fd, dst, 0, UINT64_MAX, &len));
	ASSERT_EQ(0, len);
	/* The whole run, exactly */
	ASSERT_EQ(0, ioas_copy_fixed(self->fd, dst, self->ioas_id, 0x10000,
				     0x8000, 0));
	ASSERT_EQ(0, ioas_unmap(self->fd, dst, 0, 0x8000, &len));
	ASSERT_EQ(0x8000, len);
}

TEST_F(ioas_map, copy_source_not_mapped_is_enoent)
{
	__u64 iova = 0;
	__u32 dst;

	ASSERT_EQ(0, ioas_alloc(self->fd, &dst));
	ASSERT_ERRNO(ENOENT, ioas_copy(self->fd, dst, self->ioas_id, MAP_RW,
				       0, SZ_4K, &iova));
	ASSERT_EQ(0, ioas_map_fixed(self->fd, self->ioas_id, self->buf, 0x2000,
				    0x10000));
	ASSERT_EQ(0, ioas_map_fixed(self->fd, self->ioas_id, self->buf, 0x2000,
				    0x13000));
	/* Hole at 0x12000 */
	ASSERT_ERRNO(ENOENT, ioas_copy(self->fd, dst, self->ioas_id, MAP_RW,
				       0x10000, 0x5000, &iova));
	/* Starts before, ends after */
	ASSERT_ERRNO(ENOENT, ioas_copy(self->fd, dst, self->ioas_id, MAP_RW,
				       0xf000, 0x2000, &iova));
	ASSERT_ERRNO(ENOENT, ioas_copy(self->fd, dst, self->ioas_id, MAP_RW,
				       0x13000, 0x3000, &iova));
	ASSERT_ERRNO(ENOENT, ioas_copy(self->fd, dst, self->ioas_id, MAP_RW,
				       0x12000, SZ_4K, &iova));
	/* Nothing was created */
	ASSERT_EQ(0, ioas_unmap(self->fd, dst, 0, UINT64_MAX, &iova));
	ASSERT_EQ(0, iova);
}

TEST_F(ioas_map, copy_bad_arguments)
{
	struct iommu_ioas_copy cmd = { .size = sizeof(cmd) };
	__u64 iova = 0, len = 1;
	__u32 dst;

	ASSERT_EQ(0, ioas_alloc(self->fd, &dst));
	ASSERT_EQ(0, ioas_map_fixed(self->fd, self->ioas_id, self->buf, SZ_64K,
				    SZ_64K));
	ASSERT_ERRNO(EOPNOTSUPP, ioas_copy(self->fd, dst, self->ioas_id,
					   MAP_RW | 1 << 3, SZ_64K, SZ_4K,
					   &iova));
	ASSERT_ERRNO(EOPNOTSUPP, ioas_copy(self->fd, dst, self->ioas_id,
					   MAP_RW | 1u << 31, SZ_64K, SZ_4K,
					   &iova));
	ASSERT_ERRNO(EINVAL, ioas_copy(self->fd, dst, self->ioas_id, 0,
				       SZ_64K, SZ_4K, &iova));
	ASSERT_ERRNO(EINVAL, ioas_copy(self->fd, dst, self->ioas_id, MAP_RW,
				       SZ_64K, 0, &iova));
	/*
	 * Alignment of the source, the length and a fixed destination, when
	 * the destination needs pages (an access that pins is attached)
	 */
	if (have_test_cmd(self->fd)) {
		int access_fd;

		ASSERT_EQ(0, create_access(self->fd, dst,
					   MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES,
					   &access_fd));
		ASSERT_ERRNO(EINVAL, ioas_copy(self->fd, dst, self->ioas_id,
					       MAP_RW, SZ_64K + 0x800, SZ_4K,
					       &iova));
		ASSERT_ERRNO(EINVAL, ioas_copy(self->fd, dst, self->ioas_id,
					       MAP_RW, SZ_64K, 0x800, &iova));
		ASSERT_ERRNO(EINVAL, ioas_copy_fixed(self->fd, dst,
						     self->ioas_id, SZ_64K,
						     SZ_4K, 0x10800));
		close(access_fd);
	}
	/* Sums that wrap */
	ASSERT_ERRNO(EOVERFLOW, ioas_copy(self->fd, dst, self->ioas_id, MAP_RW,
					  TOP_PAGE, 0x2000, &iova));
	ASSERT_ERRNO(EOVERFLOW, ioas_copy_fixed(self->fd, dst, self->ioas_id,
						SZ_64K, 0x2000, TOP_PAGE));
	/* Without FIXED_IOVA the destination IOVA is only an output */
	iova = TOP_PAGE;
	ASSERT_EQ(0, ioas_copy(self->fd, dst, self->ioas_id, MAP_RW, SZ_64K,
			       0x2000, &iova));
	ASSERT_EQ(0, iova);
	/* Overlap in the destination */
	ASSERT_ERRNO(EEXIST, ioas_copy_fixed(self->fd, dst, self->ioas_id,
					     SZ_64K, 0x2000, SZ_4K));
	/* Bad IDs */
	ASSERT_ERRNO(ENOENT, ioas_copy(self->fd, UNUSED_ID, self->ioas_id,
				       MAP_RW, SZ_64K, SZ_4K, &iova));
	ASSERT_ERRNO(ENOENT, ioas_copy(self->fd, dst, UNUSED_ID, MAP_RW,
				       SZ_64K, SZ_4K, &iova));
	ASSERT_ERRNO(ENOENT, ioas_copy(self->fd, dst, 0, MAP_RW, SZ_64K,
				       SZ_4K, &iova));
	/* The raw command: the chosen IOVA comes back in dst_iova */
	cmd.flags = MAP_RW;
	cmd.dst_ioas_id = dst;
	cmd.src_ioas_id = self->ioas_id;
	cmd.length = SZ_4K;
	cmd.src_iova = SZ_64K;
	ASSERT_EQ(0, ioctl(self->fd, IOMMU_IOAS_COPY, &cmd));
	ASSERT_EQ(0x2000, cmd.dst_iova);

	ASSERT_EQ(0, ioas_unmap(self->fd, dst, 0, UINT64_MAX, &len));
	ASSERT_EQ(0x3000, len);
}

TEST_F(ioas_map, copy_write_from_readonly_is_eperm)
{
	__u64 iova = 0, len = 0;
	__u32 dst;

	ASSERT_EQ(0, ioas_alloc(self->fd, &dst));
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas_id,
			      IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_FIXED_IOVA,
			      self->buf, SZ_64K, &iova));
	ASSERT_EQ(0, ioas_map_fixed(self->fd, self->ioas_id, self->buf, SZ_64K,
				    SZ_64K));
	ASSERT_ERRNO(EPERM, ioas_copy(self->fd, dst, self->ioas_id, MAP_RW, 0,
				      SZ_4K, &iova));
	ASSERT_ERRNO(EPERM, ioas_copy(self->fd, dst, self->ioas_id,
				      IOMMU_IOAS_MAP_WRITEABLE, 0, SZ_4K,
				      &iova));
	/* Across a read-only and a writable area */
	ASSERT_ERRNO(EPERM, ioas_copy(self->fd, dst, self->ioas_id, MAP_RW,
				      SZ_64K - SZ_4K, 0x2000, &iova));
	ASSERT_EQ(0, ioas_copy(self->fd, dst, self->ioas_id,
			       IOMMU_IOAS_MAP_READABLE, SZ_64K - SZ_4K, 0x2000,
			       &iova));
	/* Writable pages may be copied read-only or read-write */
	ASSERT_EQ(0, ioas_copy(self->fd, dst, self->ioas_id, MAP_RW, SZ_64K,
			       SZ_4K, &iova));
	ASSERT_EQ(0, ioas_unmap(self->fd, dst, 0, UINT64_MAX, &len));
	ASSERT_EQ(0x3000, len);
}

TEST_F(ioas_map, copy_shares_the_pin_and_the_charge)
{
	const __u64 start = MOCK_APERTURE_START;
	long base = vmpin_kb();
	__u32 id, dst, stdev, dst_stdev;
	int fd;

	if (!have_test_cmd(self->fd))
		SKIP(return, NO_TEST_CMD);
	if (geteuid())
		SKIP(return, "needs root (CAP_SYS_RESOURCE)");
	ASSERT_LE(0, base);
	fd = open_mm_mode(&id);
	self->fd2 = fd;
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ioas_alloc(fd, &dst));
	/* Domains on both: every area keeps the pages it shows pinned */
	ASSERT_EQ(0, mock_domain(fd, id, &stdev, NULL, NULL));
	ASSERT_EQ(0, mock_domain(fd, dst, &dst_stdev, NULL, NULL));

	ASSERT_EQ(0, ioas_map_fixed(fd, id, self->buf, SZ_1M, start));
	ASSERT_EQ(base + SZ_1M / 1024, vmpin_kb());
	ASSERT_EQ(0, ioas_copy_fixed(fd, dst, id, start, SZ_1M, start));
	ASSERT_EQ(0, ioas_copy_fixed(fd, dst, id, start + SZ_64K, SZ_4K,
				     start + SZ_1M));
	ASSERT_EQ(0, ioas_copy_fixed(fd, id, id, start + SZ_64K, SZ_64K,
				     start + SZ_2M));
	ASSERT_EQ(base + SZ_1M / 1024, vmpin_kb());

	/* A page stays pinned, once, while any area shows it */
	ASSERT_EQ(0, ioas_unmap(fd, id, start, SZ_1M, NULL));
	ASSERT_EQ(base + SZ_1M / 1024, vmpin_kb());
	/* Left: the second 64 KiB, in id, and one page of it in dst */
	ASSERT_EQ(0, ioas_unmap(fd, dst, start, SZ_1M, NULL));
	ASSERT_EQ(base + SZ_64K / 1024, vmpin_kb());
	ASSERT_EQ(0, destroy(fd, dst_stdev));
	ASSERT_EQ(base + SZ_64K / 1024, vmpin_kb());
	ASSERT_EQ(0, destroy(fd, dst));
	ASSERT_EQ(base + SZ_64K / 1024, vmpin_kb());
	ASSERT_EQ(0, ioas_unmap(fd, id, start + SZ_2M, SZ_64K, NULL));
	ASSERT_EQ(base, vmpin_kb());

	/* Detaching the source's domain leaves the copied pages pinned */
	ASSERT_EQ(0, ioas_alloc(fd, &dst));
	ASSERT_EQ(0, mock_domain(fd, dst, NULL, NULL, NULL));
	ASSERT_EQ(0, ioas_map_fixed(fd, id, self->buf, SZ_2M, start));
	ASSERT_EQ(0, ioas_copy_fixed(fd, dst, id, start + SZ_1M, SZ_64K,
				     start));
	ASSERT_EQ(base + SZ_2M / 1024, vmpin_kb());
	ASSERT_EQ(0, destroy(fd, stdev));
	ASSERT_EQ(base + SZ_64K / 1024, vmpin_kb());
	ASSERT_EQ(0, destroy(fd, id));
	ASSERT_EQ(base + SZ_64K / 1024, vmpin_kb());
	/* Closing with copies left returns everything */
	self->fd2 = -1;
	ASSERT_EQ(0, close(fd));
	ASSERT_EQ(base, vmpin_kb());
}

/* The source of copies, mapped and unmapped over and over */
struct copy_race_arg {
	int fd;
	__u32 src_id;
	__u32 dst_id;
	char *buf;
	int stop;
	unsigned int copied;
	unsigned int failures;
	int last_errno;
};

static void *remap_source_thread(void *p)
{
	struct copy_race_arg *arg = p;
	unsigned int i;

	for (i = 0; i != NR_LOOPS; i++) {
		if (ioas_map_fixed(arg->fd, arg->src_id, arg->buf, SZ_64K,
				   SZ_1M) ||
		    ioas_unmap(arg->fd, arg->src_id, SZ_1M, SZ_64K, NULL)) {
			arg->failures++;
			arg->last_errno = errno;
		}
	}
	__atomic_store_n(&arg->stop, 1, __ATOMIC_RELAXED);
	return NULL;
}

TEST_F_TIMEOUT(ioas_map, copy_races_with_source_unmap, 300)
{
	struct copy_race_arg arg = { .fd = self->fd, .buf = self->buf };
	unsigned int other = 0;
	pthread_t thread;
	__u64 len = 0;

	arg.src_id = self->ioas_id;
	ASSERT_EQ(0, ioas_alloc(self->fd, &arg.dst_id));
	ASSERT_EQ(0, pthread_create(&thread, NULL, remap_source_thread, &arg));
	while (!__atomic_load_n(&arg.stop, __ATOMIC_RELAXED)) {
		__u64 iova = 0;

		/* Either the whole source is there or none of it is */
		if (ioas_copy(self->fd, arg.dst_id, arg.src_id, MAP_RW,
			      SZ_1M + SZ_4K, SZ_64K - SZ_4K, &iova)) {
			if (errno != ENOENT)
				other++;
			continue;
		}
		arg.copied++;
		if (ioas_unmap(self->fd, arg.dst_id, iova, SZ_64K - SZ_4K,
			       &len) || len != SZ_64K - SZ_4K)
			other++;
	}
	ASSERT_EQ(0, pthread_join(thread, NULL));
	ASSERT_EQ(0, arg.failures) TH_LOG("errno %d", arg.last_errno);
	ASSERT_EQ(0, other);
	TH_LOG("%u copies made", arg.copied);
	ASSERT_EQ(0, ioas_unmap(self->fd, arg.dst_id, 0, UINT64_MAX, &len));
	ASSERT_EQ(0, len);
}

/* IOMMU_IOAS_MAP_FILE: memfd-backed memory, named by fd and offset */
static int memfd_of(size_t size)
{
	int mfd = memfd_create("iommufd-test", MFD_ALLOW_SEALING);

	if (mfd < 0 || ftruncate(mfd, size)) {
		if (mfd >= 0)
			close(mfd);
		return -1;
	}
	return mfd;
}

TEST_F(ioas_map, map_file_shares_the_file_pages)
{
	__u64 iova = MOCK_APERTURE_START;
	__u32 hwpt_id, stdev_id;
	char *view;
	int mfd;

	mfd = memfd_of(SZ_64K);
	ASSERT_LE(0, mfd);
	ASSERT_EQ(0, mock_domain(self->fd, self->ioas_id, &stdev_id, &hwpt_id,
				 NULL));
	/* Pages the file never had are allocated by the pin. */
	ASSERT_EQ(0, ioas_map_file(self->fd, self->ioas_id, MAP_FIXED_RW, mfd,
				   0, SZ_64K, &iova));
	ASSERT_EQ(MOCK_APERTURE_START, iova);
	view = mmap(NULL, SZ_64K, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
	ASSERT_NE(MAP_FAILED, view);
	/* The domain maps the file's own pages, pinned once */
	ASSERT_EQ(0, md_check_map(self->fd, hwpt_id, iova, view, SZ_64K));
	ASSERT_EQ(0, md_check_refs(self->fd, view, SZ_64K, 1));
	/* A second map of the same range pins the pages again */
	iova = 0;
	ASSERT_EQ(0, ioas_map_file(self->fd, self->ioas_id, MAP_RW, mfd, 0,
				   SZ_64K, &iova));
	ASSERT_NE(MOCK_APERTURE_START, iova);
	ASSERT_EQ(0, md_check_refs(self->fd, view, SZ_64K, 2));
	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas_id, iova, SZ_64K, NULL));
	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas_id, MOCK_APERTURE_START,
				SZ_64K, NULL));
	ASSERT_EQ(0, md_check_refs(self->fd, view, SZ_64K, 0));
	ASSERT_EQ(0, destroy(self->fd, stdev_id));
	munmap(view, SZ_64K);
	close(mfd);
}

TEST_F(ioas_map, map_file_offset_and_contents)
{
	__u64 iova = MOCK_APERTURE_START;
	__u32 hwpt_id;
	char *view;
	int mfd;

	if (!have_test_cmd(self->fd))
		SKIP(return, NO_TEST_CMD);
	mfd = memfd_of(4 * SZ_64K);
	ASSERT_LE(0, mfd);
	view = mmap(NULL, 4 * SZ_64K, PROT_READ | PROT_WRITE, MAP_SHARED, mfd,
		    0);
	ASSERT_NE(MAP_FAILED, view);
	memset(view, 0x3c, 4 * SZ_64K);
	/* Map the second 64 KiB only; without a domain nothing is pinned */
	ASSERT_EQ(0, ioas_map_file(self->fd, self->ioas_id,
				   IOMMU_IOAS_MAP_READABLE |
				   IOMMU_IOAS_MAP_FIXED_IOVA,
				   mfd, SZ_64K, SZ_64K, &iova));
	ASSERT_EQ(MOCK_APERTURE_START, iova);
	ASSERT_EQ(0, md_check_refs(self->fd, view, 4 * SZ_64K, 0));
	/* A domain maps and pins those file pages, and no others */
	ASSERT_EQ(0, mock_domain(self->fd, self->ioas_id, NULL, &hwpt_id,
				 NULL));
	ASSERT_EQ(0, md_check_map(self->fd, hwpt_id, iova, view + SZ_64K,
				  SZ_64K));
	ASSERT_EQ(0, md_check_refs(self->fd, view, SZ_64K, 0));
	ASSERT_EQ(0, md_check_refs(self->fd, view + SZ_64K, SZ_64K, 1));
	ASSERT_EQ(0, md_check_refs(self->fd, view + 2 * SZ_64K, 2 * SZ_64K,
				   0));
	/* The file may go away: the map keeps its pages pinned */
	munmap(view, 4 * SZ_64K);
	close(mfd);
	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas_id, iova, SZ_64K, NULL));
}

/*
 * One range with pages in each state the pin meets: written (found in the
 * page cache), fallocated but never written (read in, which zeroes them)
 * and missing (allocated). Each is pinned once, mapped where it is, and
 * keeps its contents.
 */
TEST_F(ioas_map, map_file_pages_in_every_state)
{
	const size_t pg = SZ_4K, len = 16 * SZ_4K;
	__u64 iova = MOCK_APERTURE_START;
	__u32 hwpt_id, stdev_id;
	char *view;
	long pins;
	size_t i;
	int mfd;

	if (!have_test_cmd(self->fd))
		SKIP(return, NO_TEST_CMD);
	mfd = memfd_of(len);
	ASSERT_LE(0, mfd);
	view = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
	ASSERT_NE(MAP_FAILED, view);
	memset(view, 0x5a, 4 * pg);
	ASSERT_EQ(0, fallocate(mfd, 0, 4 * pg, 4 * pg));
	memset(view + 12 * pg, 0xa5, 4 * pg);
	ASSERT_EQ(0, mock_domain(self->fd, self->ioas_id, &stdev_id, &hwpt_id,
				 NULL));
	pins = foll_pins();
	ASSERT_LE(0, pins);
	ASSERT_EQ(0, ioas_map_file(self->fd, self->ioas_id, MAP_FIXED_RW, mfd,
				   0, len, &iova));
	ASSERT_EQ(pins + 16, foll_pins());
	ASSERT_EQ(0, md_check_map(self->fd, hwpt_id, iova, view, len));
	ASSERT_EQ(0, md_check_refs(self->fd, view, len, 1));
	for (i = 0; i < len; i++) {
		char want = i < 4 * pg ? 0x5a : i >= 12 * pg ? 0xa5 : 0;

		ASSERT_EQ(want, view[i]) TH_LOG("byte %zu", i);
	}
	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas_id, iova, len, NULL));
	ASSERT_EQ(pins, foll_pins());
	ASSERT_EQ(0, md_check_refs(self->fd, view, len, 0));
	ASSERT_EQ(0, destroy(self->fd, stdev_id));
	munmap(view, len);
	close(mfd);
}

/*
 * A hugetlbfs memfd range that starts inside one 2 MiB page and ends in
 * the next: one pin per 4 KiB of the range (each huge page pinned with
 * one update for its part), all of them given back by the unmap.
 */
TEST_F(ioas_map, map_file_hugetlb_across_huge_pages)
{
	const char *nr_path = "/proc/sys/vm/nr_hugepages";
	__u64 iova = MOCK_APERTURE_START;
	char saved[32] = "", *view;
	__u32 hwpt_id, stdev_id;
	long pins;
	int mfd, fd;
	ssize_t n;

	if (!have_test_cmd(self->fd))
		SKIP(return, NO_TEST_CMD);
	/* Two free huge pages, reserved for the test when there are none */
	fd = open(nr_path, O_RDONLY);
	ASSERT_LE(0, fd);
	n = read(fd, saved, sizeof(saved) - 1);
	close(fd);
	ASSERT_LT(0, n);
	saved[n] = 0;
	if (atol(saved) < 2 && write_sysfs(nr_path, "2"))
		SKIP(return, "cannot reserve 2 MiB huge pages");
	mfd = memfd_create("iommufd-test-huge", MFD_HUGETLB);
	if (mfd < 0 || ftruncate(mfd, 2 * SZ_2M) ||
	    fallocate(mfd, 0, 0, 2 * SZ_2M)) {
		if (mfd >= 0)
			close(mfd);
		if (atol(saved) < 2)
			write_sysfs(nr_path, saved);
		SKIP(return, "no hugetlbfs memfd with two 2 MiB pages");
	}
	view = mmap(NULL, 2 * SZ_2M, PROT_READ | PROT_WRITE, MAP_SHARED, mfd,
		    0);
	ASSERT_NE(MAP_FAILED, view);
	memset(view, 0x3c, 2 * SZ_2M);
	ASSERT_EQ(0, mock_domain(self->fd, self->ioas_id, &stdev_id, &hwpt_id,
				 NULL));
	pins = foll_pins();
	ASSERT_LE(0, pins);
	ASSERT_EQ(0, ioas_map_file(self->fd, self->ioas_id, MAP_FIXED_RW, mfd,
				   SZ_4K, SZ_2M, &iova));
	ASSERT_EQ(pins + (long)(SZ_2M / SZ_4K), foll_pins());
	ASSERT_EQ(0, md_check_map(self->fd, hwpt_id, iova, view + SZ_4K,
				  SZ_2M));
	ASSERT_EQ(0, md_check_refs(self->fd, view + SZ_4K, SZ_2M, 1));
	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas_id, iova, SZ_2M, NULL));
	ASSERT_EQ(pins, foll_pins());
	ASSERT_EQ(0, md_check_refs(self->fd, view, 2 * SZ_2M, 0));
	ASSERT_EQ(0, destroy(self->fd, stdev_id));
	munmap(view, 2 * SZ_2M);
	close(mfd);
	if (atol(saved) < 2)
		ASSERT_EQ(0, write_sysfs(nr_path, saved));
}

TEST_F(ioas_map, map_file_errors)
{
	__u64 iova = 0, len = 1;
	int mfd, rofd, nullfd;
	char path[64];

	if (!have_test_cmd(self->fd))
		SKIP(return, NO_TEST_CMD);
	mfd = memfd_of(SZ_64K);
	ASSERT_LE(0, mfd);
	ASSERT_ERRNO(EBADF, ioas_map_file(self->fd, self->ioas_id, MAP_RW, -1,
					  0, SZ_4K, &iova));
	nullfd = open("/dev/null", O_RDWR);
	ASSERT_LE(0, nullfd);
	ASSERT_ERRNO(EINVAL, ioas_map_file(self->fd, self->ioas_id, MAP_RW,
					   nullfd, 0, SZ_4K, &iova));
	close(nullfd);
	ASSERT_ERRNO(EINVAL, ioas_map_file(self->fd, self->ioas_id, MAP_RW,
					   mfd, 0, 0, &iova));
	/* A file offset off the page, when pages are needed */
	{
		int access_fd;

		ASSERT_EQ(0, create_access(self->fd, self->ioas_id,
					   MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES,
					   &access_fd));
		ASSERT_ERRNO(EINVAL, ioas_map_file(self->fd, self->ioas_id,
						   MAP_RW, mfd, 100, SZ_4K,
						   &iova));
		close(access_fd);
	}
	ASSERT_ERRNO(EINVAL, ioas_map_file(self->fd, self->ioas_id, 0, mfd, 0,
					   SZ_4K, &iova));
	ASSERT_ERRNO(EOPNOTSUPP, ioas_map_file(self->fd, self->ioas_id,
					       MAP_RW | (1 << 5), mfd, 0,
					       SZ_4K, &iova));
	ASSERT_ERRNO(EOVERFLOW, ioas_map_file(self->fd, self->ioas_id, MAP_RW,
					      mfd, -SZ_4K, SZ_64K, &iova));
	ASSERT_ERRNO(ENOENT, ioas_map_file(self->fd, self->ioas_id + 1000,
					   MAP_RW, mfd, 0, SZ_4K, &iova));
	/*
	 * Past the end of the file: without a domain the map only records
	 * the range, and the attach that pins it fails; with one, the map.
	 */
	iova = MOCK_APERTURE_START;
	ASSERT_EQ(0, ioas_map_file(self->fd, self->ioas_id, MAP_FIXED_RW, mfd,
				   0, 2 * SZ_64K, &iova));
	ASSERT_ERRNO(EINVAL, mock_domain(self->fd, self->ioas_id, NULL, NULL,
					 NULL));
	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas_id, iova, 2 * SZ_64K,
				&len));
	ASSERT_EQ(2 * SZ_64K, len);
	ASSERT_EQ(0, mock_domain(self->fd, self->ioas_id, NULL, NULL, NULL));
	ASSERT_ERRNO(EINVAL, ioas_map_file(self->fd, self->ioas_id, MAP_RW,
					   mfd, 0, 2 * SZ_64K, &iova));
	/* Writeable maps need a writeable, unsealed file */
	snprintf(path, sizeof(path), "/proc/self/fd/%d", mfd);
	rofd = open(path, O_RDONLY);
	ASSERT_LE(0, rofd);
	ASSERT_ERRNO(EPERM, ioas_map_file(self->fd, self->ioas_id, MAP_RW,
					  rofd, 0, SZ_4K, &iova));
	iova = 0;
	ASSERT_EQ(0, ioas_map_file(self->fd, self->ioas_id,
				   IOMMU_IOAS_MAP_READABLE, rofd, 0, SZ_4K,
				   &iova));
	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas_id, iova, SZ_4K, NULL));
	close(rofd);
	ASSERT_EQ(0, fcntl(mfd, F_ADD_SEALS, F_SEAL_WRITE));
	ASSERT_ERRNO(EPERM, ioas_map_file(self->fd, self->ioas_id, MAP_RW, mfd,
					  0, SZ_4K, &iova));
	/* Nothing failed above left a mapping behind */
	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas_id, 0, UINT64_MAX, &len));
	ASSERT_EQ(0, len);
	close(mfd);
}

TEST_F(ioas_map, type1_container_on_iommufd)
{
	struct iommu_vfio_ioas vioas = {
		.size = sizeof(vioas),
		.op = IOMMU_VFIO_IOAS_GET,
	};
	__u64 iova = MOCK_APERTURE_START, len;
	__u32 hwpt_id;
	int fd;

	fd = open(IOMMUFD_DEV, O_RDWR);
	self->fd2 = fd;
	ASSERT_LE(0, fd);
	ASSERT_EQ(VFIO_API_VERSION, ioctl(fd, VFIO_GET_API_VERSION));
	ASSERT_EQ(1, ioctl(fd, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU));
	ASSERT_EQ(1, ioctl(fd, VFIO_CHECK_EXTENSION, VFIO_TYPE1_IOMMU));
	ASSERT_EQ(1, ioctl(fd, VFIO_CHECK_EXTENSION, VFIO_UNMAP_ALL));
	ASSERT_EQ(0, ioctl(fd, VFIO_CHECK_EXTENSION, VFIO_NOIOMMU_IOMMU));
	ASSERT_EQ(0, ioctl(fd, VFIO_CHECK_EXTENSION, VFIO_SPAPR_TCE_IOMMU));
	/* Nothing to map into before there is a compat IOAS */
	ASSERT_ERRNO(ENODEV, type1_map(fd, self->buf, iova, SZ_64K, T1_RW));
	ASSERT_ERRNO(EINVAL, ioctl(fd, VFIO_SET_IOMMU, VFIO_SPAPR_TCE_IOMMU));
	/* As type1 without a group: VFIO_SET_IOMMU has nothing to act on */
	ASSERT_ERRNO(ENODEV, ioctl(fd, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU));
	ASSERT_ERRNO(ENODEV, ioctl(fd, VFIO_CHECK_EXTENSION,
				   VFIO_DMA_CC_IOMMU));
	/* A device on the compat IOAS, as a group's container would have */
	ASSERT_EQ(0, ioas_alloc(fd, &vioas.ioas_id));
	ASSERT_EQ(0, vfio_ioas(fd, IOMMU_VFIO_IOAS_SET, &vioas.ioas_id));
	ASSERT_EQ(1, ioctl(fd, VFIO_CHECK_EXTENSION, VFIO_DMA_CC_IOMMU));
	ASSERT_EQ(0, mock_domain(fd, vioas.ioas_id, NULL, &hwpt_id, NULL));
	/* The mock domain does not force snooping: not coherent */
	ASSERT_EQ(0, ioctl(fd, VFIO_CHECK_EXTENSION, VFIO_DMA_CC_IOMMU));
	ASSERT_EQ(0, ioctl(fd, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU));
	ASSERT_EQ(0, ioctl(fd, IOMMU_VFIO_IOAS, &vioas));
	ASSERT_NE(0, vioas.ioas_id);

	ASSERT_EQ(0, type1_map(fd, self->buf, iova, SZ_64K, T1_RW));
	ASSERT_EQ(0, md_check_map(fd, hwpt_id, iova, self->buf, SZ_64K));
	ASSERT_ERRNO(EEXIST, type1_map(fd, self->buf, iova, SZ_4K, T1_RW));
	ASSERT_ERRNO(EINVAL, type1_map(fd, self->buf, iova, 0, T1_RW));
	ASSERT_ERRNO(EINVAL, type1_map(fd, self->buf, iova + SZ_1M, SZ_4K,
				       T1_RW | VFIO_DMA_MAP_FLAG_VADDR));
	/* Outside the mock aperture */
	ASSERT_ERRNO(EINVAL, type1_map(fd, self->buf, 0, SZ_4K, T1_RW));
	/* Cutting a mapping is EINVAL, an empty range unmaps nothing */
	ASSERT_ERRNO(EINVAL, type1_unmap(fd, iova, SZ_4K, 0, NULL));
	len = 1;
	ASSERT_EQ(0, type1_unmap(fd, iova + SZ_1M, SZ_4K, 0, &len));
	ASSERT_EQ(0, len);
	ASSERT_EQ(0, type1_unmap(fd, iova, SZ_64K, 0, &len));
	ASSERT_EQ(SZ_64K, len);
	ASSERT_ERRNO(EINVAL, md_check_map(fd, hwpt_id, iova, self->buf,
					  SZ_4K));
	/* UNMAP_FLAG_ALL */
	ASSERT_EQ(0, type1_map(fd, self->buf, iova, SZ_64K, T1_RW));
	ASSERT_EQ(0, type1_map(fd, self->buf + SZ_64K, iova + SZ_1M, SZ_4K,
			       VFIO_DMA_MAP_FLAG_READ));
	ASSERT_ERRNO(EINVAL, type1_unmap(fd, iova, 0,
					 VFIO_DMA_UNMAP_FLAG_ALL, NULL));
	ASSERT_EQ(0, type1_unmap(fd, 0, 0, VFIO_DMA_UNMAP_FLAG_ALL, &len));
	ASSERT_EQ(SZ_64K + SZ_4K, len);
	ASSERT_ERRNO(EINVAL, type1_unmap(fd, iova, 0, 0, NULL));
	ASSERT_ERRNO(ENOTTY, ioctl(fd, VFIO_IOMMU_DIRTY_PAGES, NULL));
	self->fd2 = -1;
	close(fd);
}

/*
 * With a device in the context, the type1 ioctls charge pinned pages as
 * type1 does: to the process's VmLck against RLIMIT_MEMLOCK, whatever the
 * context's RLIMIT_MODE.
 */
TEST_F(ioas_map, type1_map_charges_vmlck)
{
	long lck = vmlck_kb(), pin = vmpin_kb();
	__u64 iova = MOCK_APERTURE_START;
	pid_t pid;
	int fd;

	ASSERT_LE(0, lck);
	fd = type1_open();
	self->fd2 = fd;
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, type1_map(fd, self->buf, iova, SZ_1M, T1_RW));
	ASSERT_EQ(lck + SZ_1M / 1024, vmlck_kb());
	ASSERT_EQ(pin, vmpin_kb());
	ASSERT_EQ(0, type1_unmap(fd, iova, SZ_1M, 0, NULL));
	ASSERT_EQ(lck, vmlck_kb());
	/* closing the container returns the charge too */
	ASSERT_EQ(0, type1_map(fd, self->buf, iova, SZ_64K, T1_RW));
	ASSERT_EQ(lck + SZ_64K / 1024, vmlck_kb());
	self->fd2 = -1;
	ASSERT_EQ(0, close(fd));
	ASSERT_EQ(lck, vmlck_kb());

	if (geteuid())
		SKIP(return, "needs root to drop to a small RLIMIT_MEMLOCK");
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		fd = type1_open();
		if (fd < 0)
			_exit(10);
		if (become_nobody(SZ_256K))
			_exit(11);
		lck = vmlck_kb();
		if (type1_map(fd, self->buf, iova, SZ_1M, T1_RW) != -1 ||
		    errno != ENOMEM || vmlck_kb() != lck)
			_exit(12);
		if (type1_map(fd, self->buf, iova, SZ_256K, T1_RW) ||
		    vmlck_kb() != lck + SZ_256K / 1024)
			_exit(13);
		if (type1_map(fd, self->buf, iova + SZ_1M, SZ_4K, T1_RW) != -1 ||
		    errno != ENOMEM)
			_exit(14);
		if (type1_unmap(fd, 0, 0, VFIO_DMA_UNMAP_FLAG_ALL, NULL) ||
		    vmlck_kb() != lck)
			_exit(15);
		_exit(0);
	}
	ASSERT_EQ(0, wait_child(pid));
}

/*
 * The type1 v1 API may unmap part of a mapping (huge pages are off): the
 * pieces left stay mapped in the domain, and v2 still refuses the cut.
 */
TEST_F(ioas_map, type1_v1_unmaps_part_of_a_mapping)
{
	__u64 iova = MOCK_APERTURE_START, len;
	__u32 ioas_id, hwpt_id;
	int fd;

	fd = open(IOMMUFD_DEV, O_RDWR);
	self->fd2 = fd;
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ioas_alloc(fd, &ioas_id));
	ASSERT_EQ(0, vfio_ioas(fd, IOMMU_VFIO_IOAS_SET, &ioas_id));
	ASSERT_EQ(0, ioctl(fd, VFIO_SET_IOMMU, VFIO_TYPE1_IOMMU));
	ASSERT_EQ(0, mock_domain(fd, ioas_id, NULL, &hwpt_id, NULL));
	ASSERT_EQ(0, type1_map(fd, self->buf, iova, SZ_64K, T1_RW));
	/* Not on a page boundary */
	ASSERT_ERRNO(EINVAL, type1_unmap(fd, iova + SZ_4K, 100, 0, NULL));
	/* Its end is, its start is not: the failed call cut nothing either */
	ASSERT_ERRNO(EINVAL, type1_unmap(fd, iova + SZ_4K + 100,
					 SZ_4K - 100, 0, NULL));
	ASSERT_ERRNO(ENOENT, ioas_unmap(fd, ioas_id, iova + 2 * SZ_4K,
					SZ_64K - 2 * SZ_4K, NULL));
	ASSERT_EQ(0, type1_unmap(fd, iova + SZ_4K, 2 * SZ_4K, 0, &len));
	ASSERT_EQ(2 * SZ_4K, len);
	ASSERT_EQ(0, md_check_map(fd, hwpt_id, iova, self->buf, SZ_4K));
	ASSERT_ERRNO(EINVAL, md_check_map(fd, hwpt_id, iova + SZ_4K,
					  self->buf + SZ_4K, SZ_4K));
	ASSERT_EQ(0, md_check_map(fd, hwpt_id, iova + 3 * SZ_4K,
				  self->buf + 3 * SZ_4K, SZ_64K - 3 * SZ_4K));
	/* The tail can be cut again, and the head unmapped alone */
	ASSERT_EQ(0, type1_unmap(fd, iova + SZ_64K - SZ_4K, SZ_4K, 0, &len));
	ASSERT_EQ(SZ_4K, len);
	ASSERT_EQ(0, type1_unmap(fd, iova, SZ_4K, 0, &len));
	ASSERT_EQ(SZ_4K, len);
	ASSERT_EQ(0, type1_unmap(fd, 0, 0, VFIO_DMA_UNMAP_FLAG_ALL, &len));
	ASSERT_EQ(SZ_64K - 4 * SZ_4K, len);
	self->fd2 = -1;
	close(fd);

	/* v2: a cut is refused and nothing goes */
	fd = type1_open();
	self->fd2 = fd;
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, type1_map(fd, self->buf, iova, SZ_64K, T1_RW));
	ASSERT_ERRNO(EINVAL, type1_unmap(fd, iova + SZ_4K, SZ_4K, 0, NULL));
	ASSERT_EQ(0, type1_unmap(fd, 0, 0, VFIO_DMA_UNMAP_FLAG_ALL, &len));
	ASSERT_EQ(SZ_64K, len);
	self->fd2 = -1;
	close(fd);
}

TEST_F(ioas_map, type1_get_info_reports_iova_ranges)
{
	struct vfio_iommu_type1_info_cap_iova_range *cap;
	struct vfio_iommu_type1_info_dma_avail *avail;
	struct vfio_iommu_type1_info *info;
	/* The range capability with one range, then DMA_AVAIL */
	size_t cap_size = sizeof(*cap) + sizeof(cap->iova_ranges[0]);
	size_t need = sizeof(*info) + cap_size + 16;
	__u32 ioas_id;
	char raw[256];
	int fd;

	fd = open(IOMMUFD_DEV, O_RDWR);
	ASSERT_LE(0, fd);
	info = (struct vfio_iommu_type1_info *)raw;
	memset(raw, 0, sizeof(raw));
	info->argsz = sizeof(*info);
	ASSERT_ERRNO(ENODEV, ioctl(fd, VFIO_IOMMU_GET_INFO, info));
	ASSERT_ERRNO(ENODEV, ioctl(fd, VFIO_SET_IOMMU, VFIO_TYPE1_IOMMU));
	ASSERT_EQ(0, ioas_alloc(fd, &ioas_id));
	ASSERT_EQ(0, vfio_ioas(fd, IOMMU_VFIO_IOAS_SET, &ioas_id));
	ASSERT_EQ(0, ioctl(fd, VFIO_SET_IOMMU, VFIO_TYPE1_IOMMU));
	/* The v1 API turned huge pages off */
	ASSERT_EQ(0, option_get(fd, IOMMU_OPTION_HUGE_PAGES, ioas_id));
	/* Too small for the capabilities: told how much room they need */
	ASSERT_EQ(0, ioctl(fd, VFIO_IOMMU_GET_INFO, info));
	ASSERT_EQ(VFIO_IOMMU_INFO_PGSIZES | VFIO_IOMMU_INFO_CAPS, info->flags);
	ASSERT_EQ(~(__u64)(SZ_4K - 1), info->iova_pgsizes);
	ASSERT_EQ(0, info->cap_offset);
	ASSERT_EQ(need, info->argsz);
	info->argsz = sizeof(raw);
	ASSERT_EQ(0, ioctl(fd, VFIO_IOMMU_GET_INFO, info));
	ASSERT_EQ(need, info->argsz);
	ASSERT_EQ(sizeof(*info), info->cap_offset);
	cap = (void *)(raw + info->cap_offset);
	ASSERT_EQ(VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE, cap->header.id);
	ASSERT_EQ(1, cap->header.version);
	ASSERT_EQ(sizeof(*info) + cap_size, cap->header.next);
	ASSERT_EQ(1, cap->nr_iovas);
	ASSERT_EQ(0, cap->iova_ranges[0].start);
	ASSERT_EQ(UINT64_MAX, cap->iova_ranges[0].end);
	avail = (void *)(raw + cap->header.next);
	ASSERT_EQ(VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL, avail->header.id);
	ASSERT_EQ(1, avail->header.version);
	ASSERT_EQ(0, avail->header.next);
	ASSERT_EQ(65535, avail->avail);
	/* A mock device's aperture narrows the range */
	ASSERT_EQ(0, mock_domain(fd, ioas_id, NULL, NULL, NULL));
	ASSERT_EQ(0, ioctl(fd, VFIO_IOMMU_GET_INFO, info));
	ASSERT_EQ(1, cap->nr_iovas);
	ASSERT_EQ(MOCK_APERTURE_START, cap->iova_ranges[0].start);
	ASSERT_EQ((1ULL << 31) - 1, cap->iova_ranges[0].end);
	close(fd);
}

/* IOMMU_GET_HW_INFO on a mock device */
TEST_F(ioas_map, get_hw_info)
{
	struct iommu_test_hw_info info[2];
	struct iommu_hw_info cmd = {
		.size = sizeof(cmd),
		.data_uptr = (uintptr_t)info,
	};
	__u32 stdev_id, idev_id;

	ASSERT_EQ(0, mock_domain(self->fd, self->ioas_id, &stdev_id, NULL,
				 &idev_id));
	cmd.dev_id = idev_id;
	/* Probe for the length */
	ASSERT_EQ(0, ioctl(self->fd, IOMMU_GET_HW_INFO, &cmd));
	ASSERT_EQ(sizeof(info[0]), cmd.data_len);
	ASSERT_EQ(IOMMU_HW_INFO_TYPE_SELFTEST, cmd.out_data_type);
	ASSERT_EQ(0, cmd.out_capabilities);
	/* A mock device made without MOCK_FLAGS_DEVICE_PASID has no PASIDs */
	ASSERT_EQ(0, cmd.out_max_pasid_log2);
	/* A larger buffer gets the data and zeroes after it */
	memset(info, 0xff, sizeof(info));
	cmd.data_len = sizeof(info);
	ASSERT_EQ(0, ioctl(self->fd, IOMMU_GET_HW_INFO, &cmd));
	ASSERT_EQ(sizeof(info[0]), cmd.data_len);
	ASSERT_EQ(0, info[0].flags);
	ASSERT_EQ(IOMMU_HW_INFO_SELFTEST_REGVAL, info[0].test_reg);
	ASSERT_EQ(0, info[1].flags);
	ASSERT_EQ(0, info[1].test_reg);
	/* A shorter one gets what fits */
	memset(info, 0xff, sizeof(info));
	cmd.data_len = 4;
	ASSERT_EQ(0, ioctl(self->fd, IOMMU_GET_HW_INFO, &cmd));
	ASSERT_EQ(sizeof(info[0]), cmd.data_len);
	ASSERT_EQ(0, info[0].flags);
	ASSERT_EQ(0xffffffff, info[0].test_reg);
	/* The first layout, without out_capabilities, is accepted */
	cmd.size = offsetof(struct iommu_hw_info, out_capabilities);
	ASSERT_EQ(0, ioctl(self->fd, IOMMU_GET_HW_INFO, &cmd));
	cmd.size = offsetof(struct iommu_hw_info, out_capabilities) - 4;
	ASSERT_ERRNO(EINVAL, ioctl(self->fd, IOMMU_GET_HW_INFO, &cmd));
	cmd.size = sizeof(cmd);
	/* Without INPUT_TYPE the type field is ignored on the way in */
	cmd.in_data_type = 0x12345;
	ASSERT_EQ(0, ioctl(self->fd, IOMMU_GET_HW_INFO, &cmd));
	ASSERT_EQ(IOMMU_HW_INFO_TYPE_SELFTEST, cmd.out_data_type);
	/* With it: the driver's own type or DEFAULT, nothing else */
	cmd.flags = IOMMU_HW_INFO_FLAG_INPUT_TYPE;
	cmd.in_data_type = IOMMU_HW_INFO_TYPE_SELFTEST;
	ASSERT_EQ(0, ioctl(self->fd, IOMMU_GET_HW_INFO, &cmd));
	ASSERT_EQ(IOMMU_HW_INFO_TYPE_SELFTEST, cmd.out_data_type);
	cmd.in_data_type = IOMMU_HW_INFO_TYPE_DEFAULT;
	ASSERT_EQ(0, ioctl(self->fd, IOMMU_GET_HW_INFO, &cmd));
	ASSERT_EQ(IOMMU_HW_INFO_TYPE_SELFTEST, cmd.out_data_type);
	cmd.in_data_type = IOMMU_HW_INFO_TYPE_INTEL_VTD;
	ASSERT_ERRNO(EOPNOTSUPP, ioctl(self->fd, IOMMU_GET_HW_INFO, &cmd));
	/* Errors */
	cmd.flags = 2;
	ASSERT_ERRNO(EOPNOTSUPP, ioctl(self->fd, IOMMU_GET_HW_INFO, &cmd));
	cmd.flags = 0;
	cmd.__reserved[1] = 1;
	ASSERT_ERRNO(EOPNOTSUPP, ioctl(self->fd, IOMMU_GET_HW_INFO, &cmd));
	cmd.__reserved[1] = 0;
	cmd.dev_id = self->ioas_id;
	ASSERT_ERRNO(ENOENT, ioctl(self->fd, IOMMU_GET_HW_INFO, &cmd));
	cmd.dev_id = idev_id;
	cmd.data_uptr = 8;
	cmd.data_len = sizeof(info[0]);
	ASSERT_ERRNO(EFAULT, ioctl(self->fd, IOMMU_GET_HW_INFO, &cmd));
	ASSERT_EQ(0, destroy(self->fd, stdev_id));
	cmd.data_uptr = (uintptr_t)info;
	ASSERT_ERRNO(ENOENT, ioctl(self->fd, IOMMU_GET_HW_INFO, &cmd));
}

/* ------------------------------------------------------------------ */
/* IOMMU_VFIO_IOAS                                                     */

TEST_F(iommufd_ioas, vfio_ioas_get_set_clear)
{
	__u32 id = 0, other;

	/* GET never creates one */
	ASSERT_ERRNO(ENODEV, vfio_ioas(self->fd, IOMMU_VFIO_IOAS_GET, &id));
	ASSERT_ERRNO(ENODEV, vfio_ioas(self->fd, IOMMU_VFIO_IOAS_GET, &id));

	id = self->ioas_id;
	ASSERT_EQ(0, vfio_ioas(self->fd, IOMMU_VFIO_IOAS_SET, &id));
	id = 0;
	ASSERT_EQ(0, vfio_ioas(self->fd, IOMMU_VFIO_IOAS_GET, &id));
	ASSERT_EQ(self->ioas_id, id);

	/* SET replaces */
	ASSERT_EQ(0, ioas_alloc(self->fd, &other));
	id = other;
	ASSERT_EQ(0, vfio_ioas(self->fd, IOMMU_VFIO_IOAS_SET, &id));
	id = 0;
	ASSERT_EQ(0, vfio_ioas(self->fd, IOMMU_VFIO_IOAS_GET, &id));
	ASSERT_EQ(other, id);

	/* CLEAR ignores ioas_id and may be repeated */
	id = UNUSED_ID;
	ASSERT_EQ(0, vfio_ioas(self->fd, IOMMU_VFIO_IOAS_CLEAR, &id));
	ASSERT_EQ(0, vfio_ioas(self->fd, IOMMU_VFIO_IOAS_CLEAR, &id));
	ASSERT_ERRNO(ENODEV, vfio_ioas(self->fd, IOMMU_VFIO_IOAS_GET, &id));
	/* Neither IOAS is held by the compat pointer */
	ASSERT_EQ(0, destroy(self->fd, other));
	ASSERT_EQ(0, destroy(self->fd, self->ioas_id));
}

TEST_F(iommufd_ioas, vfio_ioas_destroy_clears_it)
{
	__u32 id = self->ioas_id;

	ASSERT_EQ(0, vfio_ioas(self->fd, IOMMU_VFIO_IOAS_SET, &id));
	/* Being the compat IOAS does not make it busy */
	ASSERT_EQ(0, destroy(self->fd, self->ioas_id));
	ASSERT_ERRNO(ENODEV, vfio_ioas(self->fd, IOMMU_VFIO_IOAS_GET, &id));
	/* A new object reusing the ID is not the compat IOAS */
	ASSERT_EQ(0, ioas_alloc(self->fd, &id));
	ASSERT_ERRNO(ENODEV, vfio_ioas(self->fd, IOMMU_VFIO_IOAS_GET, &id));
	/* Closing with a compat IOAS set is fine */
	ASSERT_EQ(0, vfio_ioas(self->fd, IOMMU_VFIO_IOAS_SET, &id));
}

TEST_F(iommufd_ioas, vfio_ioas_errors)
{
	struct iommu_vfio_ioas cmd = {
		.size = sizeof(cmd),
		.ioas_id = self->ioas_id,
		.op = IOMMU_VFIO_IOAS_SET,
		.__reserved = 1,
	};
	struct iommu_vfio_ioas *ro;
	__u32 id;

	ASSERT_ERRNO(EOPNOTSUPP, ioctl(self->fd, IOMMU_VFIO_IOAS, &cmd));
	cmd.__reserved = 0;
	cmd.op = IOMMU_VFIO_IOAS_CLEAR + 1;
	ASSERT_ERRNO(EOPNOTSUPP, ioctl(self->fd, IOMMU_VFIO_IOAS, &cmd));
	cmd.op = UINT16_MAX;
	ASSERT_ERRNO(EOPNOTSUPP, ioctl(self->fd, IOMMU_VFIO_IOAS, &cmd));
	id = 0;
	ASSERT_ERRNO(ENOENT, vfio_ioas(self->fd, IOMMU_VFIO_IOAS_SET, &id));
	id = UNUSED_ID;
	ASSERT_ERRNO(ENOENT, vfio_ioas(self->fd, IOMMU_VFIO_IOAS_SET, &id));
	/* A failed SET changes nothing */
	ASSERT_ERRNO(ENODEV, vfio_ioas(self->fd, IOMMU_VFIO_IOAS_GET, &id));
	/* The reply of GET cannot be written */
	id = self->ioas_id;
	ASSERT_EQ(0, vfio_ioas(self->fd, IOMMU_VFIO_IOAS_SET, &id));
	ro = mmap(NULL, getpagesize(), PROT_READ | PROT_WRITE,
		  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, ro);
	ro->size = sizeof(*ro);
	ro->op = IOMMU_VFIO_IOAS_GET;
	ASSERT_EQ(0, mprotect(ro, getpagesize(), PROT_READ));
	ASSERT_ERRNO(EFAULT, ioctl(self->fd, IOMMU_VFIO_IOAS, ro));
	munmap(ro, getpagesize());
}

/* ------------------------------------------------------------------ */
/* IOMMU_TEST_CMD: reserved IOVA and small pinning batches             */

static int set_temp_memory_limit(int fd, __u32 limit)
{
	struct iommu_test_cmd cmd = {
		.op = IOMMU_TEST_OP_SET_TEMP_MEMORY_LIMIT,
		.memory_limit = { .limit = limit },
	};

	return test_cmd(fd, &cmd);
}

TEST_F(iommufd_ioas, test_cmd_errors)
{
	struct iommu_test_cmd cmd = { .op = IOMMU_TEST_OP_ADD_RESERVED };
	__u32 op;

	if (!have_test_cmd(self->fd))
		SKIP(return, NO_TEST_CMD);
	/* Every op number not implemented yet, and beyond */
	for (op = 0; op <= IOMMU_TEST_OP_PASID_CHECK_HWPT + 1; op++) {
		if (op == IOMMU_TEST_OP_MD_CHECK_IOTLB ||
		    op == IOMMU_TEST_OP_DEV_CHECK_CACHE ||
		    op == IOMMU_TEST_OP_TRIGGER_VEVENT ||
		    (op >= IOMMU_TEST_OP_PASID_ATTACH &&
		     op <= IOMMU_TEST_OP_PASID_CHECK_HWPT)) {
			/*
			 * Implemented: @id names no nested HWPT, device or
			 * selftest object (TRIGGER_VEVENT: dev_id 0 none)
			 */
			memset(&cmd, 0, sizeof(cmd));
			cmd.op = op;
			cmd.id = self->ioas_id;
			errno = 0;
			ASSERT_EQ(-1, test_cmd(self->fd, &cmd));
			ASSERT_EQ(ENOENT, errno) TH_LOG("op %u", op);
			continue;
		}
		if (op == IOMMU_TEST_OP_ADD_RESERVED ||
		    op == IOMMU_TEST_OP_SET_TEMP_MEMORY_LIMIT ||
		    op == IOMMU_TEST_OP_CREATE_ACCESS ||
		    op == IOMMU_TEST_OP_DESTROY_ACCESS_PAGES ||
		    op == IOMMU_TEST_OP_ACCESS_PAGES ||
		    op == IOMMU_TEST_OP_ACCESS_RW ||
		    op == IOMMU_TEST_OP_ACCESS_REPLACE_IOAS ||
		    op == IOMMU_TEST_OP_MOCK_DOMAIN ||
		    op == IOMMU_TEST_OP_MD_CHECK_MAP ||
		    op == IOMMU_TEST_OP_MD_CHECK_REFS ||
		    op == IOMMU_TEST_OP_MOCK_DOMAIN_REPLACE ||
		    op == IOMMU_TEST_OP_MOCK_DOMAIN_FLAGS)
			continue;
		memset(&cmd, 0, sizeof(cmd));
		cmd.op = op;
		cmd.id = self->ioas_id;
		errno = 0;
		ASSERT_EQ(-1, test_cmd(self->fd, &cmd));
		ASSERT_EQ(EOPNOTSUPP, errno) TH_LOG("op %u", op);
	}
	memset(&cmd, 0, sizeof(cmd));
	cmd.op = IOMMU_TEST_OP_ADD_RESERVED;
	cmd.id = self->ioas_id;
	cmd.__reserved = 1;
	cmd.add_reserved.length = SZ_4K;
	ASSERT_ERRNO(EOPNOTSUPP, test_cmd(self->fd, &cmd));
	/* The size rules apply as to every command */
	cmd.__reserved = 0;
	cmd.size = offsetof(struct iommu_test_cmd, last);
	ASSERT_ERRNO(EINVAL, ioctl(self->fd, IOMMU_TEST_CMD, &cmd));

	ASSERT_ERRNO(ENOENT, add_reserved(self->fd, 0, 0, SZ_4K));
	ASSERT_ERRNO(ENOENT, add_reserved(self->fd, UNUSED_ID, 0, SZ_4K));
	ASSERT_ERRNO(EINVAL, add_reserved(self->fd, self->ioas_id, SZ_4K, 0));
	ASSERT_ERRNO(EOVERFLOW, add_reserved(self->fd, self->ioas_id,
					     TOP_PAGE, 0x2000));
	ASSERT_EQ(0, add_reserved(self->fd, self->ioas_id, TOP_PAGE, SZ_4K));
}

TEST_F(iommufd_ioas, reserved_shrinks_iova_ranges)
{
	struct iommu_iova_range r[4];
	__u32 num = ARRAY_SIZE(r);

	if (!have_test_cmd(self->fd))
		SKIP(return, NO_TEST_CMD);
	ASSERT_EQ(0, add_reserved(self->fd, self->ioas_id, 0, SZ_4K));
	ASSERT_EQ(0, add_reserved(self->fd, self->ioas_id, 0x10000, 0x8000));
	/* Overlapping and touching reservations merge in the answer */
	ASSERT_EQ(0, add_reserved(self->fd, self->ioas_id, 0x14000, 0x8000));
	ASSERT_EQ(0, add_reserved(self->fd, self->ioas_id, 0x1c000, 0x4000));
	ASSERT_EQ(0, add_reserved(self->fd, self->ioas_id, TOP_PAGE, SZ_4K));
	ASSERT_EQ(0, iova_ranges(self->fd, self->ioas_id, r, &num, NULL));
	ASSERT_EQ(2, num);
	ASSERT_EQ(SZ_4K, r[0].start);
	ASSERT_EQ(0xffff, r[0].last);
	ASSERT_EQ(0x20000, r[1].start);
	ASSERT_EQ(TOP_PAGE - 1, r[1].last);

	/* A too-small array still learns the count */
	num = 1;
	ASSERT_ERRNO(EMSGSIZE, iova_ranges(self->fd, self->ioas_id, r, &num,
					   NULL));
	ASSERT_EQ(2, num);
	ASSERT_EQ(SZ_4K, r[0].start);
}

TEST_F(ioas_map, map_over_reserved)
{
	__u64 iova = 0, len = 0;

	if (!have_test_cmd(self->fd))
		SKIP(return, NO_TEST_CMD);
	ASSERT_EQ(0, add_reserved(self->fd, self->ioas_id, SZ_64K, SZ_64K));
	ASSERT_ERRNO(EINVAL, ioas_map_fixed(self->fd, self->ioas_id, self->buf,
					    SZ_4K, SZ_64K));
	ASSERT_ERRNO(EINVAL, ioas_map_fixed(self->fd, self->ioas_id, self->buf,
					    SZ_4K, 2 * SZ_64K - SZ_4K));
	ASSERT_ERRNO(EINVAL, ioas_map_fixed(self->fd, self->ioas_id, self->buf,
					    SZ_1M, 0));
	/* Touching it is fine */
	ASSERT_EQ(0, ioas_map_fixed(self->fd, self->ioas_id, self->buf,
				    SZ_64K, 0));
	ASSERT_EQ(0, ioas_map_fixed(self->fd, self->ioas_id, self->buf,
				    SZ_4K, 2 * SZ_64K));
	/* Automatic IOVAs go around it */
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas_id, MAP_RW, self->buf,
			      SZ_4K, &iova));
	ASSERT_EQ(2 * SZ_64K + SZ_4K, iova);
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas_id, MAP_RW, self->buf,
			      SZ_64K, &iova));
	ASSERT_EQ(3 * SZ_64K, iova);
	/* So do copies */
	ASSERT_ERRNO(EINVAL, ioas_copy_fixed(self->fd, self->ioas_id,
					     self->ioas_id, 0, SZ_4K,
					     SZ_64K + SZ_4K));
	ASSERT_EQ(0, ioas_copy(self->fd, self->ioas_id, self->ioas_id, MAP_RW,
			       0, SZ_4K, &iova));
	ASSERT_EQ(2 * SZ_64K + 2 * SZ_4K, iova);
	/* Reserving over an area is refused */
	ASSERT_ERRNO(EADDRINUSE, add_reserved(self->fd, self->ioas_id,
					      SZ_64K - SZ_4K, SZ_4K));
	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas_id, 0, UINT64_MAX, &len));
	ASSERT_EQ(SZ_64K + 3 * SZ_4K + SZ_64K, len);
}

TEST_F(iommufd_ioas, reserved_and_allowed_exclude_each_other)
{
	struct iommu_iova_range inside = { .start = 0x11000, .last = 0x11fff };
	struct iommu_iova_range around = { .start = 0, .last = 0xfffff };
	struct iommu_iova_range beside = { .start = 0x20000, .last = 0x2ffff };

	if (!have_test_cmd(self->fd))
		SKIP(return, NO_TEST_CMD);
	ASSERT_EQ(0, add_reserved(self->fd, self->ioas_id, 0x10000, 0x10000));
	ASSERT_ERRNO(EADDRINUSE, allow_iovas(self->fd, self->ioas_id, &inside,
					     1));
	ASSERT_ERRNO(EADDRINUSE, allow_iovas(self->fd, self->ioas_id, &around,
					     1));
	ASSERT_EQ(0, allow_iovas(self->fd, self->ioas_id, &beside, 1));
	ASSERT_ERRNO(EADDRINUSE, add_reserved(self->fd, self->ioas_id,
					      0x2f000, 0x2000));
	ASSERT_EQ(0, add_reserved(self->fd, self->ioas_id, 0x30000, SZ_4K));
}

/*
 * Map, check the charge, unmap, with each pinning step a few pages: @id
 * and @dst have domains, so the map pins at once, and a copy of all but
 * the first page keeps those pinned after the map goes.
 */
static void map_unmap_in_small_batches(struct __test_metadata *_metadata,
				       int fd, __u32 id, __u32 dst, char *p,
				       __u64 length)
{
	long base = vmpin_kb();
	__u64 iova = 0, len = 0;

	ASSERT_EQ(0, ioas_map(fd, id, MAP_RW, p, length, &iova));
	ASSERT_EQ(base + (long)(length / 1024), vmpin_kb());
	ASSERT_EQ(0, ioas_copy_fixed(fd, dst, id, iova + SZ_4K,
				     length - SZ_4K, MOCK_APERTURE_START));
	ASSERT_EQ(base + (long)(length / 1024), vmpin_kb());
	ASSERT_EQ(0, ioas_unmap(fd, id, iova, length, &len));
	ASSERT_EQ(length, len);
	ASSERT_EQ(base + (long)((length - SZ_4K) / 1024), vmpin_kb());
	ASSERT_EQ(0, ioas_unmap(fd, dst, MOCK_APERTURE_START, length - SZ_4K,
				&len));
	ASSERT_EQ(length - SZ_4K, len);
	ASSERT_EQ(base, vmpin_kb());
}

TEST_F_TIMEOUT(ioas_map, small_pinning_batches, 300)
{
	static const __u32 limits[] = { 1, 8, 24, 4096, 0 };
	char *thp = self->buf + 4 * SZ_2M;
	long pg = getpagesize();
	unsigned int i;
	__u32 id, dst;
	int fd;

	if (!have_test_cmd(self->fd))
		SKIP(return, NO_TEST_CMD);
	if (geteuid())
		SKIP(return, "needs root (CAP_SYS_RESOURCE)");
	fd = open_mm_mode(&id);
	self->fd2 = fd;
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ioas_alloc(fd, &dst));
	ASSERT_EQ(0, mock_domain(fd, id, NULL, NULL, NULL));
	ASSERT_EQ(0, mock_domain(fd, dst, NULL, NULL, NULL));
	ASSERT_EQ(0, madvise(thp, 2 * SZ_2M, MADV_HUGEPAGE));
	memset(self->buf, 0x3c, BUF_SIZE);

	for (i = 0; i != ARRAY_SIZE(limits); i++) {
		ASSERT_EQ(0, set_temp_memory_limit(fd, limits[i]));
		/* Odd page counts, so the last batch is a short one */
		map_unmap_in_small_batches(_metadata, fd, id, dst, self->buf,
					   5 * pg);
		map_unmap_in_small_batches(_metadata, fd, id, dst,
					   self->buf + pg, SZ_1M + 3 * pg);
		/* Huge pages, whole and cut on both sides */
		map_unmap_in_small_batches(_metadata, fd, id, dst, thp,
					   2 * SZ_2M);
		map_unmap_in_small_batches(_metadata, fd, id, dst,
					   thp + SZ_64K, SZ_2M + 7 * pg);
	}
	/* The memory is intact */
	ASSERT_EQ(0x3c, thp[0]);
	ASSERT_EQ(0x3c, thp[2 * SZ_2M - 1]);
	self->fd2 = -1;
	close(fd);
}

TEST_F(ioas_map, small_batches_failed_map_unpins)
{
	long pg = getpagesize();
	long base = vmpin_kb();
	__u64 iova = 0;
	__u32 id;
	char *p;
	int fd;

	if (!have_test_cmd(self->fd))
		SKIP(return, NO_TEST_CMD);
	if (geteuid())
		SKIP(return, "needs root (CAP_SYS_RESOURCE)");
	fd = open_mm_mode(&id);
	self->fd2 = fd;
	ASSERT_LE(0, fd);
	/* A domain, so that maps pin at once */
	ASSERT_EQ(0, mock_domain(fd, id, NULL, NULL, NULL));
	ASSERT_EQ(0, set_temp_memory_limit(fd, 8));

	/* Many one-page steps succeed before the hole stops the map */
	p = mmap(NULL, 64 * pg, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, p);
	memset(p, 1, 64 * pg);
	ASSERT_EQ(0, munmap(p + 40 * pg, pg));
	ASSERT_ERRNO(EFAULT, ioas_map(fd, id, MAP_RW, p, 64 * pg, &iova));
	ASSERT_EQ(base, vmpin_kb());
	ASSERT_EQ(0, ioas_map(fd, id, MAP_RW, p, 40 * pg, &iova));
	ASSERT_EQ(base + 40 * pg / 1024, vmpin_kb());
	self->fd2 = -1;
	ASSERT_EQ(0, close(fd));
	ASSERT_EQ(base, vmpin_kb());
	munmap(p, 40 * pg);
	munmap(p + 41 * pg, 23 * pg);
}

/* ------------------------------------------------------------------ */
/* Accesses of emulated devices (IOMMU_TEST_OP_*ACCESS*)              */

#define ACCESS_IOVA 0x400000UL
#define ACCESS_LEN (16 * SZ_4K)
#define RW_BOTH_PATHS { 0, MOCK_ACCESS_RW_SLOW_PATH }

/*
 * An IOAS with a buffer of ACCESS_LEN bytes full of a pattern mapped at
 * ACCESS_IOVA, and an access that may pin attached to it.
 */
FIXTURE(access) {
	long pins0;
	int fd;
	__u32 ioas_id;
	int access_fd;
	char *buf;
	/* A thread pinning through the access, and the files it uses */
	pthread_t thread;
	bool thread_running;
	int thread_fds[2];
};

FIXTURE_SETUP(access)
{
	unsigned int i;

	self->pins0 = foll_pins();
	self->access_fd = -1;
	self->fd = open(IOMMUFD_DEV, O_RDWR);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, ioas_alloc(self->fd, &self->ioas_id));
	self->buf = mmap(NULL, 4 * ACCESS_LEN, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->buf);
	for (i = 0; i != 4 * ACCESS_LEN; i++)
		self->buf[i] = (char)(i * 7 + i / 4096);
	if (!have_test_cmd(self->fd))
		return;
	ASSERT_EQ(0, ioas_map_fixed(self->fd, self->ioas_id, self->buf,
				    ACCESS_LEN, ACCESS_IOVA));
	ASSERT_EQ(0, create_access(self->fd, self->ioas_id,
				   MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES,
				   &self->access_fd));
}

FIXTURE_TEARDOWN(access)
{
	/* Its calls hold the files: the last close could be its own */
	if (self->thread_running)
		pthread_join(self->thread, NULL);
	if (self->access_fd >= 0)
		close(self->access_fd);
	close(self->fd);
	munmap(self->buf, 4 * ACCESS_LEN);
	EXPECT_PINS_RELEASED(self->pins0);
}

/*
 * Pins at both ends of the IOVA space: the unmap notification for
 * "everything" must not wrap to an empty range.
 */
TEST_F(access, unmap_all_with_pins_at_both_ends)
{
	__u64 unmapped = 0;
	__u32 low, high;

	if (!have_test_cmd(self->fd))
		SKIP(return, NO_TEST_CMD);
	ASSERT_EQ(0, ioas_map_fixed(self->fd, self->ioas_id,
				    self->buf + ACCESS_LEN, SZ_4K, 0));
	ASSERT_EQ(0, ioas_map_fixed(self->fd, self->ioas_id,
				    self->buf + ACCESS_LEN + SZ_4K, SZ_4K,
				    TOP_PAGE));
	ASSERT_EQ(0, access_pages(self->fd, self->access_fd, 0, SZ_4K,
				  self->buf + ACCESS_LEN, 0, &low));
	ASSERT_EQ(0, access_pages(self->fd, self->access_fd, TOP_PAGE, SZ_4K,
				  self->buf + ACCESS_LEN + SZ_4K, 0, &high));
	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas_id, 0, UINT64_MAX,
				&unmapped));
	ASSERT_EQ(ACCESS_LEN + 2 * SZ_4K, unmapped);
	/* The driver was told to let go of both */
	ASSERT_ERRNO(ENOENT, destroy_access_pages(self->fd, self->access_fd,
						  low));
	ASSERT_ERRNO(ENOENT, destroy_access_pages(self->fd, self->access_fd,
						  high));
}

TEST_F(access, rw_reads_what_the_user_wrote)
{
	static const __u32 paths[] = RW_BOTH_PATHS;
	char tmp[3 * SZ_4K];
	unsigned int i;

	if (self->access_fd < 0)
		SKIP(return, NO_TEST_CMD);
	for (i = 0; i != ARRAY_SIZE(paths); i++) {
		memset(tmp, 0, sizeof(tmp));
		/* Unaligned on both ends, across three pages */
		ASSERT_EQ(0, access_rw(self->fd, self->access_fd,
				       ACCESS_IOVA + SZ_4K + 100, tmp,
				       2 * SZ_4K + 50, paths[i]));
		ASSERT_EQ(0, memcmp(tmp, self->buf + SZ_4K + 100,
				    2 * SZ_4K + 50));
		ASSERT_EQ(0, tmp[2 * SZ_4K + 50]);
		/* One byte, the last one */
		ASSERT_EQ(0, access_rw(self->fd, self->access_fd,
				       ACCESS_IOVA + ACCESS_LEN - 1, tmp, 1,
				       paths[i]));
		ASSERT_EQ(self->buf[ACCESS_LEN - 1], tmp[0]);
	}
	/* A later change by the user shows through */
	self->buf[5] = 0x5a;
	ASSERT_EQ(0, access_rw(self->fd, self->access_fd, ACCESS_IOVA + 5,
			       tmp, 1, 0));
	ASSERT_EQ(0x5a, tmp[0]);
}

TEST_F(access, rw_writes_land_in_the_user_buffer)
{
	static const __u32 paths[] = RW_BOTH_PATHS;
	char tmp[2 * SZ_4K];
	char expect[4 * SZ_4K];
	unsigned int i;

	if (self->access_fd < 0)
		SKIP(return, NO_TEST_CMD);
	for (i = 0; i != ARRAY_SIZE(paths); i++) {
		memcpy(expect, self->buf, sizeof(expect));
		memset(tmp, 0xa0 + i, sizeof(tmp));
		ASSERT_EQ(0, access_rw(self->fd, self->access_fd,
				       ACCESS_IOVA + SZ_4K - 7, tmp, sizeof(tmp),
				       MOCK_ACCESS_RW_WRITE | paths[i]));
		memset(expect + SZ_4K - 7, 0xa0 + i, sizeof(tmp));
		ASSERT_EQ(0, memcmp(expect, self->buf, sizeof(expect)));
	}
}

TEST_F(access, rw_errors)
{
	char tmp[SZ_4K * 2];
	__u64 iova = ACCESS_IOVA + 2 * ACCESS_LEN;

	if (self->access_fd < 0)
		SKIP(return, NO_TEST_CMD);
	/* Read-only mapping: reading works, writing does not */
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas_id,
			      IOMMU_IOAS_MAP_READABLE |
			      IOMMU_IOAS_MAP_FIXED_IOVA,
			      self->buf + ACCESS_LEN, SZ_4K, &iova));
	ASSERT_EQ(0, access_rw(self->fd, self->access_fd, iova, tmp, SZ_4K,
			       0));
	ASSERT_EQ(0, memcmp(tmp, self->buf + ACCESS_LEN, SZ_4K));
	ASSERT_ERRNO(EPERM, access_rw(self->fd, self->access_fd, iova, tmp,
				      16, MOCK_ACCESS_RW_WRITE));
	ASSERT_ERRNO(EPERM, access_rw(self->fd, self->access_fd, iova, tmp,
				      16, MOCK_ACCESS_RW_WRITE |
				      MOCK_ACCESS_RW_SLOW_PATH));
	/* Unmapped, and running off the end of a mapping */
	ASSERT_ERRNO(ENOENT, access_rw(self->fd, self->access_fd, 0, tmp, 16,
				       0));
	ASSERT_ERRNO(ENOENT, access_rw(self->fd, self->access_fd,
				       ACCESS_IOVA + ACCESS_LEN - SZ_4K, tmp,
				       2 * SZ_4K, 0));
	ASSERT_ERRNO(ENOENT, access_rw(self->fd, self->access_fd,
				       ACCESS_IOVA - 1, tmp, 2, 0));
	/* Bad arguments */
	ASSERT_ERRNO(EINVAL, access_rw(self->fd, self->access_fd,
				       ACCESS_IOVA, tmp, 0, 0));
	ASSERT_ERRNO(EOVERFLOW, access_rw(self->fd, self->access_fd,
					  UINT64_MAX, tmp, 2, 0));
	ASSERT_ERRNO(EOPNOTSUPP, access_rw(self->fd, self->access_fd,
					   ACCESS_IOVA, tmp, 1, 1 << 1));
	ASSERT_ERRNO(EFAULT, access_rw(self->fd, self->access_fd,
				       ACCESS_IOVA, NULL, 16, 0));
	ASSERT_ERRNO(EBADFD, access_rw(self->fd, self->fd, ACCESS_IOVA, tmp,
				       16, 0));
	ASSERT_ERRNO(EBADFD, access_rw(self->fd, -1, ACCESS_IOVA, tmp, 16,
				       0));
}

TEST_F(access, rw_across_two_areas)
{
	static const __u32 paths[] = RW_BOTH_PATHS;
	__u64 second = ACCESS_IOVA + ACCESS_LEN;
	char tmp[2 * SZ_4K];
	unsigned int i;

	if (self->access_fd < 0)
		SKIP(return, NO_TEST_CMD);
	/* Other memory right after the first area */
	ASSERT_EQ(0, ioas_map_fixed(self->fd, self->ioas_id,
				    self->buf + 2 * ACCESS_LEN, ACCESS_LEN,
				    second));
	for (i = 0; i != ARRAY_SIZE(paths); i++) {
		ASSERT_EQ(0, access_rw(self->fd, self->access_fd,
				       second - SZ_4K - 3, tmp, sizeof(tmp),
				       paths[i]));
		ASSERT_EQ(0, memcmp(tmp, self->buf + ACCESS_LEN - SZ_4K - 3,
				    SZ_4K + 3));
		ASSERT_EQ(0, memcmp(tmp + SZ_4K + 3, self->buf + 2 * ACCESS_LEN,
				    SZ_4K - 3));
	}
	memset(tmp, 0x11, sizeof(tmp));
	ASSERT_EQ(0, access_rw(self->fd, self->access_fd, second - 2, tmp, 4,
			       MOCK_ACCESS_RW_WRITE));
	ASSERT_EQ(0x11, self->buf[ACCESS_LEN - 1]);
	ASSERT_EQ(0x11, self->buf[2 * ACCESS_LEN + 1]);
	ASSERT_NE(0x11, self->buf[2 * ACCESS_LEN + 2]);
}

TEST_F(access, rw_through_a_copy_in_another_ioas)
{
	__u64 dst_iova = 0x10000000;
	char tmp[SZ_4K];
	__u32 other;
	int afd;

	if (self->access_fd < 0)
		SKIP(return, NO_TEST_CMD);
	ASSERT_EQ(0, ioas_alloc(self->fd, &other));
	ASSERT_EQ(0, ioas_copy_fixed(self->fd, other, self->ioas_id,
				     ACCESS_IOVA + 2 * SZ_4K, 4 * SZ_4K,
				     dst_iova));
	ASSERT_EQ(0, create_access(self->fd, other, 0, &afd));
	ASSERT_EQ(0, access_rw(self->fd, afd, dst_iova + SZ_4K + 8, tmp,
			       sizeof(tmp), 0));
	ASSERT_EQ(0, memcmp(tmp, self->buf + 3 * SZ_4K + 8, sizeof(tmp)));
	/* Writes through the copy reach the same memory */
	memset(tmp, 0x77, 16);
	ASSERT_EQ(0, access_rw(self->fd, afd, dst_iova, tmp, 16,
			       MOCK_ACCESS_RW_WRITE));
	ASSERT_EQ(0x77, self->buf[2 * SZ_4K]);
	ASSERT_EQ(0, access_rw(self->fd, self->access_fd,
			       ACCESS_IOVA + 2 * SZ_4K, tmp, 16, 0));
	ASSERT_EQ(0x77, tmp[15]);
	/* An access without pinning may still not pin */
	ASSERT_ERRNO(EINVAL, access_pages(self->fd, afd, dst_iova, SZ_4K, NULL,
					  0, NULL));
	ASSERT_EQ(0, close(afd));
}

TEST_F(access, pages_pin_checks_the_contents)
{
	__u32 id;

	if (self->access_fd < 0)
		SKIP(return, NO_TEST_CMD);
	ASSERT_EQ(0, access_pages(self->fd, self->access_fd, ACCESS_IOVA,
				  ACCESS_LEN, self->buf, 0, &id));
	ASSERT_EQ(0, access_pages(self->fd, self->access_fd,
				  ACCESS_IOVA + 10, 2 * SZ_4K, self->buf + 10,
				  MOCK_FLAGS_ACCESS_WRITE, &id));
	/* Other memory than is mapped there */
	ASSERT_ERRNO(EINVAL, access_pages(self->fd, self->access_fd,
					  ACCESS_IOVA, SZ_4K,
					  self->buf + SZ_4K, 0, NULL));
	ASSERT_ERRNO(EFAULT, access_pages(self->fd, self->access_fd,
					  ACCESS_IOVA, SZ_4K, (void *)8, 0,
					  NULL));
	ASSERT_ERRNO(ENOENT, access_pages(self->fd, self->access_fd,
					  ACCESS_IOVA + ACCESS_LEN - SZ_4K,
					  2 * SZ_4K, NULL, 0, NULL));
	ASSERT_ERRNO(EINVAL, access_pages(self->fd, self->access_fd,
					  ACCESS_IOVA, 0, NULL, 0, NULL));
	ASSERT_ERRNO(EOVERFLOW, access_pages(self->fd, self->access_fd,
					     UINT64_MAX, 2, NULL, 0, NULL));
	ASSERT_ERRNO(EOPNOTSUPP, access_pages(self->fd, self->access_fd,
					      ACCESS_IOVA, SZ_4K, NULL, 2,
					      NULL));
	ASSERT_ERRNO(EBADFD, access_pages(self->fd, self->fd, ACCESS_IOVA,
					  SZ_4K, NULL, 0, NULL));
}

TEST_F(access, pages_write_to_readonly_is_eperm)
{
	__u64 iova = ACCESS_IOVA + 4 * ACCESS_LEN;

	if (self->access_fd < 0)
		SKIP(return, NO_TEST_CMD);
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas_id,
			      IOMMU_IOAS_MAP_READABLE |
			      IOMMU_IOAS_MAP_FIXED_IOVA,
			      self->buf, SZ_4K, &iova));
	ASSERT_ERRNO(EPERM, access_pages(self->fd, self->access_fd, iova,
					 SZ_4K, NULL, MOCK_FLAGS_ACCESS_WRITE,
					 NULL));
	ASSERT_EQ(0, access_pages(self->fd, self->access_fd, iova, SZ_4K,
				  self->buf, 0, NULL));
}

TEST_F(access, unmap_calls_back_and_unpins)
{
	__u64 len = 0;
	__u32 id, other;

	if (self->access_fd < 0)
		SKIP(return, NO_TEST_CMD);
	ASSERT_EQ(0, access_pages(self->fd, self->access_fd,
				  ACCESS_IOVA + SZ_4K, 2 * SZ_4K, NULL,
				  MOCK_FLAGS_ACCESS_WRITE, &id));
	ASSERT_EQ(0, access_pages(self->fd, self->access_fd,
				  ACCESS_IOVA + 8 * SZ_4K, SZ_4K, NULL, 0,
				  &other));
	/* Cutting the pinned area is refused before anyone is bothered */
	ASSERT_ERRNO(ENOENT, ioas_unmap(self->fd, self->ioas_id, ACCESS_IOVA,
					SZ_4K, NULL));
	ASSERT_EQ(0, destroy_access_pages(self->fd, self->access_fd, id));
	ASSERT_EQ(0, access_pages(self->fd, self->access_fd,
				  ACCESS_IOVA + SZ_4K, 2 * SZ_4K, NULL, 0,
				  &id));
	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas_id, ACCESS_IOVA,
				ACCESS_LEN, &len));
	ASSERT_EQ(ACCESS_LEN, len);
	/* The callback released both pins */
	ASSERT_ERRNO(ENOENT, destroy_access_pages(self->fd, self->access_fd,
						  id));
	ASSERT_ERRNO(ENOENT, destroy_access_pages(self->fd, self->access_fd,
						  other));
	ASSERT_ERRNO(ENOENT, access_rw(self->fd, self->access_fd, ACCESS_IOVA,
				       &len, 1, 0));
	/* Mapped again, it works again */
	ASSERT_EQ(0, ioas_map_fixed(self->fd, self->ioas_id, self->buf,
				    ACCESS_LEN, ACCESS_IOVA));
	ASSERT_EQ(0, access_pages(self->fd, self->access_fd, ACCESS_IOVA,
				  ACCESS_LEN, self->buf, 0, &id));
	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas_id, 0, UINT64_MAX, &len));
	ASSERT_EQ(ACCESS_LEN, len);
}

TEST_F(access, destroy_access_pages)
{
	__u32 a, b;

	if (self->access_fd < 0)
		SKIP(return, NO_TEST_CMD);
	ASSERT_EQ(0, access_pages(self->fd, self->access_fd, ACCESS_IOVA,
				  SZ_4K, NULL, 0, &a));
	ASSERT_EQ(0, access_pages(self->fd, self->access_fd, ACCESS_IOVA,
				  SZ_4K, NULL, 0, &b));
	ASSERT_NE(a, b);
	ASSERT_EQ(0, destroy_access_pages(self->fd, self->access_fd, a));
	ASSERT_ERRNO(ENOENT, destroy_access_pages(self->fd, self->access_fd,
						  a));
	ASSERT_ERRNO(ENOENT, destroy_access_pages(self->fd, self->access_fd,
						  UNUSED_ID));
	ASSERT_EQ(0, destroy_access_pages(self->fd, self->access_fd, b));
	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas_id, ACCESS_IOVA,
				ACCESS_LEN, NULL));
}

TEST_F(access, close_access_fd_with_pins)
{
	char c;

	if (self->access_fd < 0)
		SKIP(return, NO_TEST_CMD);
	ASSERT_EQ(0, access_pages(self->fd, self->access_fd, ACCESS_IOVA,
				  SZ_4K, NULL, 0, NULL));
	ASSERT_EQ(0, access_pages(self->fd, self->access_fd,
				  ACCESS_IOVA + SZ_4K, 4 * SZ_4K, NULL,
				  MOCK_FLAGS_ACCESS_WRITE, NULL));
	ASSERT_EQ(0, close(self->access_fd));
	self->access_fd = -1;
	/* Nothing holds the IOAS or its areas any more */
	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas_id, ACCESS_IOVA,
				ACCESS_LEN, NULL));
	ASSERT_EQ(0, destroy(self->fd, self->ioas_id));

	/* The access also keeps the context alive past its close */
	ASSERT_EQ(0, ioas_alloc(self->fd, &self->ioas_id));
	ASSERT_EQ(0, ioas_map_fixed(self->fd, self->ioas_id, self->buf,
				    ACCESS_LEN, ACCESS_IOVA));
	ASSERT_EQ(0, create_access(self->fd, self->ioas_id,
				   MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES,
				   &self->access_fd));
	ASSERT_EQ(0, access_pages(self->fd, self->access_fd, ACCESS_IOVA,
				  SZ_4K, NULL, 0, NULL));
	ASSERT_EQ(0, close(self->fd));
	self->fd = open(IOMMUFD_DEV, O_RDWR);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, access_rw(self->fd, self->access_fd, ACCESS_IOVA, &c, 1,
			       0));
	ASSERT_EQ(self->buf[0], c);
	ASSERT_EQ(0, close(self->access_fd));
	self->access_fd = -1;
}

TEST_F(access, destroy_is_ebusy_while_attached)
{
	__u32 next_id, access_id;

	if (self->access_fd < 0)
		SKIP(return, NO_TEST_CMD);
	/* IDs come lowest first: the access took the one after the IOAS */
	ASSERT_EQ(0, ioas_alloc(self->fd, &next_id));
	access_id = self->ioas_id + 1;
	ASSERT_EQ(access_id + 1, next_id);
	ASSERT_ERRNO(EBUSY, destroy(self->fd, access_id));
	ASSERT_ERRNO(EBUSY, destroy(self->fd, self->ioas_id));
	ASSERT_EQ(0, close(self->access_fd));
	self->access_fd = -1;
	ASSERT_ERRNO(ENOENT, destroy(self->fd, access_id));
	ASSERT_EQ(0, destroy(self->fd, self->ioas_id));
}

TEST_F(access, create_access_errors)
{
	int afd;

	if (self->access_fd < 0)
		SKIP(return, NO_TEST_CMD);
	ASSERT_ERRNO(ENOENT, create_access(self->fd, UNUSED_ID, 0, &afd));
	ASSERT_ERRNO(EOPNOTSUPP, create_access(self->fd, self->ioas_id, 2,
					       &afd));
	ASSERT_ERRNO(EBADFD, access_replace_ioas(self->fd, self->fd,
						 self->ioas_id));
	ASSERT_ERRNO(ENOENT, access_replace_ioas(self->fd, self->access_fd,
						 UNUSED_ID));
}

TEST_F(access, replace_moves_the_access)
{
	__u64 iova = 0x20000000;
	char tmp[SZ_4K];
	__u32 other, id;

	if (self->access_fd < 0)
		SKIP(return, NO_TEST_CMD);
	ASSERT_EQ(0, ioas_alloc(self->fd, &other));
	ASSERT_EQ(0, ioas_map_fixed(self->fd, other, self->buf + ACCESS_LEN,
				    SZ_4K, iova));
	ASSERT_EQ(0, access_pages(self->fd, self->access_fd, ACCESS_IOVA,
				  SZ_4K, NULL, 0, &id));
	/* Same IOAS: nothing happens, the pin stays */
	ASSERT_EQ(0, access_replace_ioas(self->fd, self->access_fd,
					 self->ioas_id));
	ASSERT_EQ(0, destroy_access_pages(self->fd, self->access_fd, id));
	ASSERT_EQ(0, access_pages(self->fd, self->access_fd, ACCESS_IOVA,
				  SZ_4K, NULL, 0, &id));

	/* The move releases the pin through the callback */
	ASSERT_EQ(0, access_replace_ioas(self->fd, self->access_fd, other));
	ASSERT_ERRNO(ENOENT, destroy_access_pages(self->fd, self->access_fd,
						  id));
	ASSERT_EQ(0, access_rw(self->fd, self->access_fd, iova, tmp, SZ_4K,
			       0));
	ASSERT_EQ(0, memcmp(tmp, self->buf + ACCESS_LEN, SZ_4K));
	ASSERT_ERRNO(ENOENT, access_rw(self->fd, self->access_fd, ACCESS_IOVA,
				       tmp, 1, 0));
	ASSERT_EQ(0, access_pages(self->fd, self->access_fd, iova, SZ_4K,
				  self->buf + ACCESS_LEN, 0, NULL));

	/* The old IOAS is free, the new one is held */
	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas_id, ACCESS_IOVA,
				ACCESS_LEN, NULL));
	ASSERT_EQ(0, destroy(self->fd, self->ioas_id));
	ASSERT_ERRNO(EBUSY, destroy(self->fd, other));
	ASSERT_ERRNO(ENOENT, access_replace_ioas(self->fd, self->access_fd,
						 self->ioas_id));
	ASSERT_EQ(0, close(self->access_fd));
	self->access_fd = -1;
	ASSERT_EQ(0, destroy(self->fd, other));
}

static void *access_pin_thread(void *p)
{
	int *fds = p;
	unsigned int i;
	__u32 id;

	for (i = 0; i != 200; i++) {
		if (access_pages(fds[0], fds[1], ACCESS_IOVA, SZ_4K, NULL, 0,
				 &id))
			continue;
		destroy_access_pages(fds[0], fds[1], id);
	}
	return NULL;
}

TEST_F_TIMEOUT(access, pins_race_with_unmap, 300)
{
	unsigned int i, busy = 0;
	int rc;

	if (self->access_fd < 0)
		SKIP(return, NO_TEST_CMD);
	self->thread_fds[0] = self->fd;
	self->thread_fds[1] = self->access_fd;
	ASSERT_EQ(0, pthread_create(&self->thread, NULL, access_pin_thread,
				    self->thread_fds));
	self->thread_running = true;
	for (i = 0; i != 200; i++) {
		rc = ioas_unmap(self->fd, self->ioas_id, ACCESS_IOVA,
				ACCESS_LEN, NULL);
		if (rc) {
			/* A pin that raced with the callback */
			ASSERT_EQ(EBUSY, errno);
			busy++;
			continue;
		}
		ASSERT_EQ(0, ioas_map_fixed(self->fd, self->ioas_id, self->buf,
					    ACCESS_LEN, ACCESS_IOVA));
	}
	self->thread_running = false;
	ASSERT_EQ(0, pthread_join(self->thread, NULL));
	TH_LOG("unmap saw EBUSY %u times", busy);
}

/* Mock domains: a mock device attached to an IOAS mirrors its mappings */
TEST_F(ioas_map, mock_domain_mirrors_maps)
{
	__u64 iova = MOCK_APERTURE_START;
	__u32 stdev_id, hwpt_id, idev_id;

	memset(self->buf, 0x5a, SZ_64K);
	ASSERT_EQ(0, mock_domain(self->fd, self->ioas_id, &stdev_id, &hwpt_id,
				 &idev_id));
	ASSERT_NE(0, stdev_id);
	ASSERT_NE(0, hwpt_id);
	ASSERT_NE(0, idev_id);
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas_id, MAP_FIXED_RW, self->buf,
			      SZ_64K, &iova));
	ASSERT_EQ(0, md_check_map(self->fd, hwpt_id, iova, self->buf, SZ_64K));
	ASSERT_EQ(0, md_check_refs(self->fd, self->buf, SZ_64K, 1));
	/* Outside the aperture is reserved */
	iova = 0;
	ASSERT_ERRNO(EINVAL, ioas_map(self->fd, self->ioas_id, MAP_FIXED_RW,
				      self->buf, SZ_64K, &iova));
	/* In use: the HWPT holds the IOAS, the device holds the HWPT */
	ASSERT_ERRNO(EBUSY, destroy(self->fd, self->ioas_id));
	ASSERT_ERRNO(EBUSY, destroy(self->fd, hwpt_id));
	ASSERT_ERRNO(EBUSY, destroy(self->fd, idev_id));
	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas_id, MOCK_APERTURE_START,
				SZ_64K, NULL));
	ASSERT_ERRNO(EINVAL, md_check_map(self->fd, hwpt_id,
					  MOCK_APERTURE_START, self->buf,
					  SZ_4K));
	ASSERT_EQ(0, md_check_refs(self->fd, self->buf, SZ_64K, 0));
	/* The automatic HWPT goes with its last device */
	ASSERT_EQ(0, destroy(self->fd, stdev_id));
	ASSERT_ERRNO(ENOENT, destroy(self->fd, hwpt_id));
	ASSERT_ERRNO(ENOENT, destroy(self->fd, idev_id));
	ASSERT_EQ(0, destroy(self->fd, self->ioas_id));
}

TEST_F(ioas_map, mock_domain_filled_from_existing_maps)
{
	__u64 iova = MOCK_APERTURE_START + SZ_2M;
	__u32 stdev_id, hwpt_id, hwpt2_id, idev_id, ioas2_id;

	ASSERT_EQ(0, ioas_map(self->fd, self->ioas_id, MAP_FIXED_RW, self->buf,
			      SZ_2M, &iova));
	ASSERT_EQ(0, mock_domain(self->fd, self->ioas_id, &stdev_id, &hwpt_id,
				 &idev_id));
	ASSERT_EQ(0, md_check_map(self->fd, hwpt_id, iova, self->buf, SZ_2M));
	/* A user-allocated HWPT on a second IOAS, then replace onto it */
	ASSERT_EQ(0, ioas_alloc(self->fd, &ioas2_id));
	ASSERT_EQ(0, hwpt_alloc(self->fd, idev_id, ioas2_id, &hwpt2_id));
	ASSERT_EQ(0, mock_domain_replace(self->fd, stdev_id, hwpt2_id, NULL));
	ASSERT_ERRNO(ENOENT, destroy(self->fd, hwpt_id));
	ASSERT_ERRNO(EBUSY, destroy(self->fd, hwpt2_id));
	ASSERT_EQ(0, destroy(self->fd, stdev_id));
	ASSERT_EQ(0, destroy(self->fd, hwpt2_id));
	ASSERT_EQ(0, destroy(self->fd, ioas2_id));
}

TEST(close_with_mock_domain_live)
{
	__u32 ioas_id, hwpt_id;
	__u64 iova = MOCK_APERTURE_START;
	void *buf;
	int fd;

	buf = mmap(NULL, SZ_64K, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, buf);
	fd = open(IOMMUFD_DEV, O_RDWR);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, ioas_alloc(fd, &ioas_id));
	ASSERT_EQ(0, mock_domain(fd, ioas_id, NULL, &hwpt_id, NULL));
	ASSERT_EQ(0, ioas_map(fd, ioas_id, MAP_FIXED_RW, buf, SZ_64K, &iova));
	ASSERT_EQ(0, close(fd));
	fd = open(IOMMUFD_DEV, O_RDWR);
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, md_check_refs(fd, buf, SZ_64K, 0));
	close(fd);
	munmap(buf, SZ_64K);
}

/* ------------------------------------------------------------------ */
/* Mappings mirrored into mock domains, with 0, 1 or 2 domains          */

/* Last IOVA of the mock IOMMU's aperture */
#define MOCK_APERTURE_LAST ((1ULL << 31) - 1)
#define MOCK_IOVA(off) (MOCK_APERTURE_START + (off))
/* Small pages only, so MD_CHECK_REFS counts the pins of each page */
#define MOCK_BUF_SIZE (32 * SZ_4K)

/* @len bytes of small pages, faulted in with a pattern; MAP_FAILED */
static char *small_pages_buf(size_t len)
{
	char *p;
	size_t i;

	p = mmap(NULL, len, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		return p;
	if (madvise(p, len, MADV_NOHUGEPAGE)) {
		munmap(p, len);
		return MAP_FAILED;
	}
	for (i = 0; i != len; i++)
		p[i] = (char)(i * 3 + i / SZ_4K);
	return p;
}

/*
 * @len bytes (a multiple of 2 MiB) starting on a 2 MiB boundary, backed by
 * transparent huge pages where the kernel can; *@raw receives what to
 * unmap (@len + 2 MiB bytes). NULL on failure.
 */
static char *huge_pages_buf(size_t len, void **raw)
{
	char *p;

	*raw = mmap(NULL, len + SZ_2M, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (*raw == MAP_FAILED)
		return NULL;
	p = (char *)(((uintptr_t)*raw + SZ_2M - 1) & ~(SZ_2M - 1));
	madvise(p, len, MADV_HUGEPAGE);
	memset(p, 0x3c, len);
	return p;
}

/*
 * An IOAS with a variant number of mock domains: none; one automatic
 * HWPT (a mock device attached to the IOAS); or that plus a second HWPT
 * from IOMMU_HWPT_ALLOC with a second mock device attached to it. Every
 * test checks each domain after each change. The variant without domains
 * also runs without the test command (IOMMUFD_TEST): then the pin counts
 * are not checked.
 */
FIXTURE(mock_map) {
	long pins0;
	int fd;
	__u32 ioas_id;
	unsigned int nr_hwpts;
	__u32 hwpt_ids[2];
	__u32 stdev_ids[2];
	__u32 idev_ids[2];
	char *buf;
	bool test_cmd;
};

FIXTURE_VARIANT(mock_map) {
	unsigned int mock_domains;
};

FIXTURE_VARIANT_ADD(mock_map, no_domain) {
	.mock_domains = 0,
};

FIXTURE_VARIANT_ADD(mock_map, one_domain) {
	.mock_domains = 1,
};

FIXTURE_VARIANT_ADD(mock_map, two_domains) {
	.mock_domains = 2,
};

FIXTURE_SETUP(mock_map)
{
	__u32 hwpt_id;

	self->pins0 = foll_pins();
	self->fd = open(IOMMUFD_DEV, O_RDWR);
	ASSERT_LE(0, self->fd);
	self->buf = small_pages_buf(MOCK_BUF_SIZE);
	ASSERT_NE(MAP_FAILED, self->buf);
	ASSERT_EQ(0, ioas_alloc(self->fd, &self->ioas_id));
	/*
	 * Without the test command (a kernel without IOMMUFD_TEST) only the
	 * variant without domains runs, and what it can check without
	 */
	self->test_cmd = have_test_cmd(self->fd);
	if (!self->test_cmd && variant->mock_domains)
		SKIP(return, NO_TEST_CMD);

	if (variant->mock_domains >= 1)
		ASSERT_EQ(0, mock_domain(self->fd, self->ioas_id,
					 &self->stdev_ids[0],
					 &self->hwpt_ids[0],
					 &self->idev_ids[0]));
	if (variant->mock_domains >= 2) {
		ASSERT_EQ(0, hwpt_alloc(self->fd, self->idev_ids[0],
					self->ioas_id, &self->hwpt_ids[1]));
		ASSERT_NE(self->hwpt_ids[0], self->hwpt_ids[1]);
		ASSERT_EQ(0, mock_domain(self->fd, self->hwpt_ids[1],
					 &self->stdev_ids[1], &hwpt_id,
					 &self->idev_ids[1]));
		ASSERT_EQ(self->hwpt_ids[1], hwpt_id);
	}
	self->nr_hwpts = variant->mock_domains;
}

FIXTURE_TEARDOWN(mock_map)
{
	close(self->fd);
	munmap(self->buf, MOCK_BUF_SIZE);
	EXPECT_PINS_RELEASED(self->pins0);
}

/* Each of the @nr mock HWPTs maps [@iova, @iova + @len) to @buf */
static void check_hwpts_map(struct __test_metadata *_metadata, int fd,
			    const __u32 *hwpt_ids, unsigned int nr,
			    __u64 iova, const void *buf, __u64 len)
{
	unsigned int i;
	int rc;

	for (i = 0; i != nr; i++) {
		rc = md_check_map(fd, hwpt_ids[i], iova, buf, len);
		ASSERT_EQ(0, rc) TH_LOG("HWPT %u at IOVA %#llx, errno %d",
					hwpt_ids[i], (unsigned long long)iova,
					errno);
	}
}

/* No page of [@iova, @iova + @len) maps to @buf in any of the HWPTs */
static void check_hwpts_unmapped(struct __test_metadata *_metadata, int fd,
				 const __u32 *hwpt_ids, unsigned int nr,
				 __u64 iova, const char *buf, __u64 len)
{
	unsigned int i;
	__u64 off;

	for (i = 0; i != nr; i++) {
		for (off = 0; off < len; off += SZ_4K)
			ASSERT_ERRNO(EINVAL,
				     md_check_map(fd, hwpt_ids[i], iova + off,
						  buf + off, SZ_4K));
	}
}

/* The same for every domain of a mock_map test */
#define check_domains_map(_iova, _buf, _len)                            \
	check_hwpts_map(_metadata, self->fd, self->hwpt_ids,            \
			self->nr_hwpts, _iova, _buf, _len)
#define check_domains_unmapped(_iova, _buf, _len)                       \
	check_hwpts_unmapped(_metadata, self->fd, self->hwpt_ids,       \
			     self->nr_hwpts, _iova, _buf, _len)

/*
 * The long-term pins @_n maps of a page hold in a mock_map test: @_n with
 * domains, none in the variant without, where nothing pins the pages.
 */
#define PINS(_n) (self->nr_hwpts ? (_n) : 0)

/*
 * Each page of [@_buf, @_buf + @_len) has @_n long-term pins (MD_CHECK_REFS).
 * Nothing can count them without the test command: then only the rest of
 * the test runs.
 */
#define CHECK_REFS(_buf, _len, _n)					\
	do {								\
		if (self->test_cmd)					\
			ASSERT_EQ(0, md_check_refs(self->fd, _buf, _len, \
						   _n));		\
	} while (0)

/* Assert that a call succeeded (@_errno 0) or failed with @_errno */
#define ASSERT_RESULT(_errno, _call)                          \
	do {                                                  \
		int __want = (_errno);                        \
		int __rc;                                     \
		errno = 0;                                    \
		__rc = (_call);                               \
		ASSERT_EQ(__want ? -1 : 0, __rc);             \
		ASSERT_EQ(__want, errno);                     \
	} while (0)

TEST_F(mock_map, iova_ranges_are_the_aperture)
{
	struct iommu_iova_range r[4] = {};
	__u64 alignment = 0;
	__u32 num = ARRAY_SIZE(r);

	ASSERT_EQ(0, iova_ranges(self->fd, self->ioas_id, r, &num,
				 &alignment));
	ASSERT_EQ(1, num);
	/* Any byte without a domain, the mock IOMMU's half page with one */
	ASSERT_EQ(self->nr_hwpts ? SZ_4K / 2 : 1, alignment);
	if (self->nr_hwpts) {
		ASSERT_EQ(MOCK_APERTURE_START, r[0].start);
		ASSERT_EQ(MOCK_APERTURE_LAST, r[0].last);
	} else {
		ASSERT_EQ(0, r[0].start);
		ASSERT_EQ(UINT64_MAX, r[0].last);
	}
}

TEST_F(mock_map, map_fixed_then_unmap)
{
	__u64 iova = MOCK_IOVA(SZ_1M), len = 0;

	ASSERT_EQ(0, ioas_map(self->fd, self->ioas_id, MAP_FIXED_RW,
			      self->buf + 4 * SZ_4K, 16 * SZ_4K, &iova));
	ASSERT_EQ(MOCK_IOVA(SZ_1M), iova);
	check_domains_map(iova, self->buf + 4 * SZ_4K, 16 * SZ_4K);
	/* Exactly the mapped pages are pinned, once, if a domain needs them */
	CHECK_REFS(self->buf, 4 * SZ_4K, 0);
	CHECK_REFS(self->buf + 4 * SZ_4K, 16 * SZ_4K, PINS(1));
	CHECK_REFS(self->buf + 20 * SZ_4K, 12 * SZ_4K, 0);
	/* The page before and the page after are not mapped */
	check_domains_unmapped(iova - SZ_4K, self->buf + 3 * SZ_4K, SZ_4K);
	check_domains_unmapped(iova + 16 * SZ_4K, self->buf + 20 * SZ_4K,
			       SZ_4K);
	/* Other memory than the one mapped there */
	check_domains_unmapped(iova, self->buf, SZ_4K);

	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas_id, iova, 16 * SZ_4K,
				&len));
	ASSERT_EQ(16 * SZ_4K, len);
	check_domains_unmapped(iova, self->buf + 4 * SZ_4K, 16 * SZ_4K);
	CHECK_REFS(self->buf, MOCK_BUF_SIZE, 0);
	/* Gone: unmapping it again finds nothing */
	ASSERT_ERRNO(ENOENT, ioas_unmap(self->fd, self->ioas_id, iova,
					16 * SZ_4K, NULL));
}

TEST_F(mock_map, map_auto_iova_is_inside_the_aperture)
{
	__u64 iova = 0, iova2 = 0;
	__u64 first = self->nr_hwpts ? MOCK_APERTURE_START : 0;

	ASSERT_EQ(0, ioas_map(self->fd, self->ioas_id, MAP_RW, self->buf,
			      4 * SZ_4K, &iova));
	ASSERT_EQ(first, iova);
	check_domains_map(iova, self->buf, 4 * SZ_4K);
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas_id, MAP_RW,
			      self->buf + 4 * SZ_4K, 4 * SZ_4K, &iova2));
	ASSERT_EQ(first + 4 * SZ_4K, iova2);
	check_domains_map(iova, self->buf, 8 * SZ_4K);
	CHECK_REFS(self->buf, 8 * SZ_4K, PINS(1));
	CHECK_REFS(self->buf + 8 * SZ_4K, MOCK_BUF_SIZE - 8 * SZ_4K, 0);
}

TEST_F(mock_map, map_outside_the_aperture)
{
	static const __u64 outside[] = {
		0, MOCK_APERTURE_START - SZ_4K, MOCK_APERTURE_LAST + 1,
		1ULL << 40,
	};
	unsigned int i;
	__u64 len = 0;

	for (i = 0; i != ARRAY_SIZE(outside); i++)
		ASSERT_RESULT(self->nr_hwpts ? EINVAL : 0,
			      ioas_map_fixed(self->fd, self->ioas_id,
					     self->buf, SZ_4K, outside[i]));
	/* Straddling the first IOVA of the aperture */
	if (self->nr_hwpts)
		ASSERT_ERRNO(EINVAL,
			     ioas_map_fixed(self->fd, self->ioas_id,
					    self->buf + SZ_4K, 2 * SZ_4K,
					    MOCK_APERTURE_START - SZ_4K));
	/* Failed maps pinned nothing, nor did those without a domain */
	CHECK_REFS(self->buf + SZ_4K, 2 * SZ_4K, 0);
	CHECK_REFS(self->buf, SZ_4K, 0);
	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas_id, 0, UINT64_MAX, &len));
	ASSERT_EQ(self->nr_hwpts ? 0 : ARRAY_SIZE(outside) * SZ_4K, len);
	CHECK_REFS(self->buf, SZ_4K, 0);
}

TEST_F(mock_map, allow_iovas_outside_the_aperture)
{
	struct iommu_iova_range inside = {
		.start = MOCK_APERTURE_START,
		.last = MOCK_APERTURE_LAST,
	};
	struct iommu_iova_range below = { .start = 0, .last = SZ_1M - 1 };
	__u64 iova = 0;

	ASSERT_RESULT(self->nr_hwpts ? EADDRINUSE : 0,
		      allow_iovas(self->fd, self->ioas_id, &below, 1));
	ASSERT_EQ(0, allow_iovas(self->fd, self->ioas_id, &inside, 1));
	/* The kernel now picks IOVAs from the aperture in every variant */
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas_id, MAP_RW, self->buf,
			      2 * SZ_4K, &iova));
	ASSERT_EQ(MOCK_APERTURE_START, iova);
	check_domains_map(iova, self->buf, 2 * SZ_4K);
}

TEST_F(mock_map, same_memory_mapped_twice)
{
	__u64 a = MOCK_IOVA(0), b = MOCK_IOVA(SZ_2M), len = 0;

	ASSERT_EQ(0, ioas_map_fixed(self->fd, self->ioas_id, self->buf,
				    8 * SZ_4K, a));
	ASSERT_EQ(0, ioas_map_fixed(self->fd, self->ioas_id, self->buf,
				    8 * SZ_4K, b));
	check_domains_map(a, self->buf, 8 * SZ_4K);
	check_domains_map(b, self->buf, 8 * SZ_4K);
	/* Each map pins on its own */
	CHECK_REFS(self->buf, 8 * SZ_4K, PINS(2));

	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas_id, a, 8 * SZ_4K, &len));
	ASSERT_EQ(8 * SZ_4K, len);
	CHECK_REFS(self->buf, 8 * SZ_4K, PINS(1));
	check_domains_unmapped(a, self->buf, 8 * SZ_4K);
	check_domains_map(b, self->buf, 8 * SZ_4K);
	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas_id, b, 8 * SZ_4K, &len));
	CHECK_REFS(self->buf, 8 * SZ_4K, 0);
	check_domains_unmapped(b, self->buf, 8 * SZ_4K);
}

TEST_F(mock_map, map_readonly)
{
	__u64 iova = MOCK_IOVA(SZ_64K);

	ASSERT_EQ(0, ioas_map(self->fd, self->ioas_id,
			      IOMMU_IOAS_MAP_READABLE |
			      IOMMU_IOAS_MAP_FIXED_IOVA,
			      self->buf, 4 * SZ_4K, &iova));
	check_domains_map(iova, self->buf, 4 * SZ_4K);
	CHECK_REFS(self->buf, 4 * SZ_4K, PINS(1));
	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas_id, iova, 4 * SZ_4K,
				NULL));
	CHECK_REFS(self->buf, 4 * SZ_4K, 0);
	check_domains_unmapped(iova, self->buf, 4 * SZ_4K);
}

/*
 * A read-only map of private memory nobody wrote yet: the device gets the
 * page the process will see, not the shared zero page that the process's
 * first write would move it away from; and after that write both still
 * agree.
 */
TEST_F(mock_map, map_readonly_private_unshares)
{
	__u64 iova = MOCK_IOVA(SZ_1M);
	char *p;

	p = mmap(NULL, 4 * SZ_4K, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, p);
	/* Read only: the page tables now point at the zero page */
	ASSERT_EQ(0, p[0] + p[SZ_4K]);
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas_id,
			      IOMMU_IOAS_MAP_READABLE |
			      IOMMU_IOAS_MAP_FIXED_IOVA,
			      p, 4 * SZ_4K, &iova));
	check_domains_map(iova, p, 4 * SZ_4K);
	memset(p, 0x5a, 4 * SZ_4K);
	check_domains_map(iova, p, 4 * SZ_4K);
	CHECK_REFS(p, 4 * SZ_4K, PINS(1));
	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas_id, iova, 4 * SZ_4K,
				NULL));
	CHECK_REFS(p, 4 * SZ_4K, 0);
	/*
	 * Memory the process may not read cannot be pinned either: the map
	 * fails with a domain, and is only recorded without one.
	 */
	ASSERT_EQ(0, mprotect(p, 4 * SZ_4K, PROT_NONE));
	ASSERT_RESULT(self->nr_hwpts ? EFAULT : 0,
		      ioas_map(self->fd, self->ioas_id,
			       IOMMU_IOAS_MAP_READABLE |
			       IOMMU_IOAS_MAP_FIXED_IOVA,
			       p, 4 * SZ_4K, &iova));
	ASSERT_RESULT(self->nr_hwpts ? ENOENT : 0,
		      ioas_unmap(self->fd, self->ioas_id, iova, 4 * SZ_4K,
				 NULL));
	munmap(p, 4 * SZ_4K);
}

TEST_F(mock_map, unmap_part_of_an_area_is_enoent)
{
	__u64 iova = MOCK_IOVA(SZ_1M), len = 0;

	ASSERT_EQ(0, ioas_map_fixed(self->fd, self->ioas_id, self->buf,
				    8 * SZ_4K, iova));
	ASSERT_ERRNO(ENOENT, ioas_unmap(self->fd, self->ioas_id, iova,
					4 * SZ_4K, NULL));
	ASSERT_ERRNO(ENOENT, ioas_unmap(self->fd, self->ioas_id,
					iova + SZ_4K, 8 * SZ_4K, NULL));
	/* Covers the area and ends inside a second one */
	ASSERT_EQ(0, ioas_map_fixed(self->fd, self->ioas_id,
				    self->buf + 8 * SZ_4K, 4 * SZ_4K,
				    iova + 16 * SZ_4K));
	ASSERT_ERRNO(ENOENT, ioas_unmap(self->fd, self->ioas_id, iova,
					18 * SZ_4K, NULL));
	/* Nothing of either left any domain, nothing was unpinned */
	check_domains_map(iova, self->buf, 8 * SZ_4K);
	check_domains_map(iova + 16 * SZ_4K, self->buf + 8 * SZ_4K,
			  4 * SZ_4K);
	CHECK_REFS(self->buf, 12 * SZ_4K, PINS(1));
	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas_id, iova, 8 * SZ_4K,
				&len));
	ASSERT_EQ(8 * SZ_4K, len);
	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas_id, iova + 16 * SZ_4K,
				4 * SZ_4K, &len));
	ASSERT_EQ(4 * SZ_4K, len);
	CHECK_REFS(self->buf, 12 * SZ_4K, 0);
}

TEST_F(mock_map, unmap_range_over_several_areas)
{
	__u64 len = 0;

	/* Three areas with holes between them */
	ASSERT_EQ(0, ioas_map_fixed(self->fd, self->ioas_id, self->buf,
				    4 * SZ_4K, MOCK_IOVA(0)));
	ASSERT_EQ(0, ioas_map_fixed(self->fd, self->ioas_id,
				    self->buf + 4 * SZ_4K, 4 * SZ_4K,
				    MOCK_IOVA(SZ_64K)));
	ASSERT_EQ(0, ioas_map_fixed(self->fd, self->ioas_id,
				    self->buf + 8 * SZ_4K, 4 * SZ_4K,
				    MOCK_IOVA(2 * SZ_64K)));
	check_domains_map(MOCK_IOVA(0), self->buf, 4 * SZ_4K);
	check_domains_map(MOCK_IOVA(SZ_64K), self->buf + 4 * SZ_4K, 4 * SZ_4K);
	check_domains_map(MOCK_IOVA(2 * SZ_64K), self->buf + 8 * SZ_4K,
			  4 * SZ_4K);

	/* The first two, holes included */
	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas_id, MOCK_IOVA(0),
				2 * SZ_64K, &len));
	ASSERT_EQ(8 * SZ_4K, len);
	check_domains_unmapped(MOCK_IOVA(0), self->buf, 4 * SZ_4K);
	check_domains_unmapped(MOCK_IOVA(SZ_64K), self->buf + 4 * SZ_4K,
			       4 * SZ_4K);
	check_domains_map(MOCK_IOVA(2 * SZ_64K), self->buf + 8 * SZ_4K,
			  4 * SZ_4K);
	CHECK_REFS(self->buf, 8 * SZ_4K, 0);
	CHECK_REFS(self->buf + 8 * SZ_4K, 4 * SZ_4K, PINS(1));
	/* Nothing left in that range */
	ASSERT_ERRNO(ENOENT, ioas_unmap(self->fd, self->ioas_id, MOCK_IOVA(0),
					2 * SZ_64K, NULL));
	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas_id, 0, UINT64_MAX, &len));
	ASSERT_EQ(4 * SZ_4K, len);
	CHECK_REFS(self->buf, 12 * SZ_4K, 0);
}

TEST_F(mock_map, unmap_all)
{
	__u64 iova = 0, len = 1;

	/* Nothing mapped: a success that unmaps nothing */
	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas_id, 0, UINT64_MAX, &len));
	ASSERT_EQ(0, len);
	ASSERT_EQ(0, ioas_map_fixed(self->fd, self->ioas_id, self->buf,
				    4 * SZ_4K, MOCK_IOVA(SZ_1M)));
	ASSERT_EQ(0, ioas_map_fixed(self->fd, self->ioas_id,
				    self->buf + 4 * SZ_4K, 8 * SZ_4K,
				    MOCK_APERTURE_LAST + 1 - 8 * SZ_4K));
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas_id, MAP_RW,
			      self->buf + 16 * SZ_4K, 2 * SZ_4K, &iova));
	check_domains_map(MOCK_IOVA(SZ_1M), self->buf, 4 * SZ_4K);
	check_domains_map(MOCK_APERTURE_LAST + 1 - 8 * SZ_4K,
			  self->buf + 4 * SZ_4K, 8 * SZ_4K);
	check_domains_map(iova, self->buf + 16 * SZ_4K, 2 * SZ_4K);
	CHECK_REFS(self->buf, 12 * SZ_4K, PINS(1));
	CHECK_REFS(self->buf + 16 * SZ_4K, 2 * SZ_4K, PINS(1));

	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas_id, 0, UINT64_MAX, &len));
	ASSERT_EQ(14 * SZ_4K, len);
	check_domains_unmapped(MOCK_IOVA(SZ_1M), self->buf, 4 * SZ_4K);
	check_domains_unmapped(MOCK_APERTURE_LAST + 1 - 8 * SZ_4K,
			       self->buf + 4 * SZ_4K, 8 * SZ_4K);
	check_domains_unmapped(iova, self->buf + 16 * SZ_4K, 2 * SZ_4K);
	CHECK_REFS(self->buf, MOCK_BUF_SIZE, 0);
	/* Nothing left: still a success */
	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas_id, 0, UINT64_MAX, &len));
	ASSERT_EQ(0, len);
}

TEST_F(mock_map, copy_within_the_ioas)
{
	__u64 src = MOCK_IOVA(0), dst = MOCK_IOVA(SZ_1M), iova = 0, len = 0;

	ASSERT_EQ(0, ioas_map_fixed(self->fd, self->ioas_id, self->buf,
				    16 * SZ_4K, src));
	ASSERT_EQ(0, ioas_copy_fixed(self->fd, self->ioas_id, self->ioas_id,
				     src + 4 * SZ_4K, 8 * SZ_4K, dst));
	check_domains_map(src, self->buf, 16 * SZ_4K);
	check_domains_map(dst, self->buf + 4 * SZ_4K, 8 * SZ_4K);
	/* The copy shares the pin of the source */
	CHECK_REFS(self->buf, 16 * SZ_4K, PINS(1));
	/* A copy of the copy, where the kernel puts it */
	ASSERT_EQ(0, ioas_copy(self->fd, self->ioas_id, self->ioas_id,
			       IOMMU_IOAS_MAP_READABLE, dst + SZ_4K, SZ_4K,
			       &iova));
	check_domains_map(iova, self->buf + 5 * SZ_4K, SZ_4K);
	CHECK_REFS(self->buf, 16 * SZ_4K, PINS(1));
	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas_id, iova, SZ_4K, &len));
	ASSERT_EQ(SZ_4K, len);
	/* Not onto an IOVA in use */
	ASSERT_ERRNO(EEXIST, ioas_copy_fixed(self->fd, self->ioas_id,
					     self->ioas_id, src, SZ_4K, dst));

	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas_id, src, 16 * SZ_4K,
				&len));
	ASSERT_EQ(16 * SZ_4K, len);
	check_domains_unmapped(src, self->buf, 16 * SZ_4K);
	check_domains_map(dst, self->buf + 4 * SZ_4K, 8 * SZ_4K);
	/* The pages the copy shows stay pinned, the others of the source go */
	CHECK_REFS(self->buf, 4 * SZ_4K, 0);
	CHECK_REFS(self->buf + 4 * SZ_4K, 8 * SZ_4K, PINS(1));
	CHECK_REFS(self->buf + 12 * SZ_4K, 4 * SZ_4K, 0);
	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas_id, dst, 8 * SZ_4K,
				&len));
	CHECK_REFS(self->buf, 16 * SZ_4K, 0);
	check_domains_unmapped(dst, self->buf + 4 * SZ_4K, 8 * SZ_4K);
}

TEST_F(mock_map, copy_to_an_ioas_with_its_own_domain)
{
	__u64 src = MOCK_IOVA(0), dst = MOCK_IOVA(4 * SZ_1M), len = 0;
	__u32 ioas2, stdev2, hwpt2;
	unsigned int i;

	if (!self->test_cmd)
		SKIP(return, NO_TEST_CMD);
	ASSERT_EQ(0, ioas_alloc(self->fd, &ioas2));
	ASSERT_EQ(0, mock_domain(self->fd, ioas2, &stdev2, &hwpt2, NULL));
	for (i = 0; i != self->nr_hwpts; i++)
		ASSERT_NE(self->hwpt_ids[i], hwpt2);

	ASSERT_EQ(0, ioas_map_fixed(self->fd, self->ioas_id, self->buf,
				    16 * SZ_4K, src));
	ASSERT_EQ(0, ioas_copy_fixed(self->fd, ioas2, self->ioas_id,
				     src + 2 * SZ_4K, 12 * SZ_4K, dst));
	ASSERT_EQ(0, md_check_map(self->fd, hwpt2, dst, self->buf + 2 * SZ_4K,
				  12 * SZ_4K));
	/* Only the copy is in the other IOAS's domain */
	ASSERT_ERRNO(EINVAL, md_check_map(self->fd, hwpt2, src, self->buf,
					  SZ_4K));
	check_domains_map(src, self->buf, 16 * SZ_4K);
	check_domains_unmapped(dst, self->buf + 2 * SZ_4K, SZ_4K);
	/*
	 * Pinned once, whichever domain needs a page: the source's ends only
	 * where its IOAS has a domain, the copied part in any case.
	 */
	CHECK_REFS(self->buf, 2 * SZ_4K, PINS(1));
	CHECK_REFS(self->buf + 2 * SZ_4K, 12 * SZ_4K, 1);
	CHECK_REFS(self->buf + 14 * SZ_4K, 2 * SZ_4K, PINS(1));

	/* The copy outlives the source mapping and keeps its pages pinned */
	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas_id, src, 16 * SZ_4K,
				&len));
	ASSERT_EQ(16 * SZ_4K, len);
	check_domains_unmapped(src, self->buf, 16 * SZ_4K);
	ASSERT_EQ(0, md_check_map(self->fd, hwpt2, dst, self->buf + 2 * SZ_4K,
				  12 * SZ_4K));
	CHECK_REFS(self->buf, 2 * SZ_4K, 0);
	CHECK_REFS(self->buf + 2 * SZ_4K, 12 * SZ_4K, 1);
	CHECK_REFS(self->buf + 14 * SZ_4K, 2 * SZ_4K, 0);
	ASSERT_EQ(0, ioas_unmap(self->fd, ioas2, 0, UINT64_MAX, &len));
	ASSERT_EQ(12 * SZ_4K, len);
	ASSERT_ERRNO(EINVAL, md_check_map(self->fd, hwpt2, dst,
					  self->buf + 2 * SZ_4K, SZ_4K));
	CHECK_REFS(self->buf, 16 * SZ_4K, 0);

	ASSERT_EQ(0, destroy(self->fd, stdev2));
	ASSERT_ERRNO(ENOENT, destroy(self->fd, hwpt2));
	ASSERT_EQ(0, destroy(self->fd, ioas2));
}

TEST_F(mock_map, attach_after_map_fills_the_domain)
{
	struct iommu_iova_range aperture = {
		.start = MOCK_APERTURE_START,
		.last = MOCK_APERTURE_LAST,
	};
	__u32 stdev, hwpt, idev, hwpt_user;
	__u64 auto_iova = 0;

	if (!self->test_cmd)
		SKIP(return, NO_TEST_CMD);
	/* Kernel-chosen IOVAs inside the aperture in every variant */
	ASSERT_EQ(0, allow_iovas(self->fd, self->ioas_id, &aperture, 1));
	ASSERT_EQ(0, ioas_map_fixed(self->fd, self->ioas_id, self->buf,
				    8 * SZ_4K, MOCK_IOVA(SZ_1M)));
	ASSERT_EQ(0, ioas_map(self->fd, self->ioas_id, MAP_RW,
			      self->buf + 8 * SZ_4K, 4 * SZ_4K, &auto_iova));
	ASSERT_EQ(MOCK_APERTURE_START, auto_iova);
	CHECK_REFS(self->buf, 12 * SZ_4K, PINS(1));

	/* The first domain pins the maps there are */
	ASSERT_EQ(0, mock_domain(self->fd, self->ioas_id, &stdev, &hwpt,
				 &idev));
	CHECK_REFS(self->buf, 12 * SZ_4K, 1);
	/* A device attached to the IOAS joins its automatic HWPT */
	if (self->nr_hwpts)
		ASSERT_EQ(self->hwpt_ids[0], hwpt);
	ASSERT_EQ(0, md_check_map(self->fd, hwpt, MOCK_IOVA(SZ_1M), self->buf,
				  8 * SZ_4K));
	ASSERT_EQ(0, md_check_map(self->fd, hwpt, auto_iova,
				  self->buf + 8 * SZ_4K, 4 * SZ_4K));

	/* A new HWPT is filled from the existing maps at creation */
	ASSERT_EQ(0, hwpt_alloc(self->fd, idev, self->ioas_id, &hwpt_user));
	ASSERT_EQ(0, md_check_map(self->fd, hwpt_user, MOCK_IOVA(SZ_1M),
				  self->buf, 8 * SZ_4K));
	ASSERT_EQ(0, md_check_map(self->fd, hwpt_user, auto_iova,
				  self->buf + 8 * SZ_4K, 4 * SZ_4K));
	/* Domains do not pin: the pages stay pinned once */
	CHECK_REFS(self->buf, 12 * SZ_4K, 1);
	check_domains_map(MOCK_IOVA(SZ_1M), self->buf, 8 * SZ_4K);

	/* And it follows later changes */
	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas_id, auto_iova, 4 * SZ_4K,
				NULL));
	ASSERT_ERRNO(EINVAL, md_check_map(self->fd, hwpt_user, auto_iova,
					  self->buf + 8 * SZ_4K, SZ_4K));
	ASSERT_ERRNO(EINVAL, md_check_map(self->fd, hwpt, auto_iova,
					  self->buf + 8 * SZ_4K, SZ_4K));
	CHECK_REFS(self->buf + 8 * SZ_4K, 4 * SZ_4K, 0);

	ASSERT_EQ(0, destroy(self->fd, hwpt_user));
	ASSERT_EQ(0, destroy(self->fd, stdev));
	/*
	 * The automatic HWPT went with its last device, or stayed; the pins
	 * go with the last domain.
	 */
	if (self->nr_hwpts)
		ASSERT_ERRNO(EBUSY, destroy(self->fd, hwpt));
	else
		ASSERT_ERRNO(ENOENT, destroy(self->fd, hwpt));
	CHECK_REFS(self->buf, 8 * SZ_4K, PINS(1));
}

TEST_F(mock_map, huge_pages_off_then_map)
{
	char *huge;
	void *raw;
	__u64 len = 0;

	huge = huge_pages_buf(2 * SZ_2M, &raw);
	ASSERT_NE(NULL, huge);
	/* No mapping yet: the option may change whatever the domains */
	ASSERT_EQ(0, option_set(self->fd, IOMMU_OPTION_HUGE_PAGES,
				self->ioas_id, 0));
	ASSERT_EQ(0, option_get(self->fd, IOMMU_OPTION_HUGE_PAGES,
				self->ioas_id));
	ASSERT_EQ(0, ioas_map_fixed(self->fd, self->ioas_id, huge, 2 * SZ_2M,
				    MOCK_IOVA(SZ_2M)));
	ASSERT_EQ(0, ioas_map_fixed(self->fd, self->ioas_id, self->buf,
				    4 * SZ_4K, MOCK_IOVA(0)));
	check_domains_map(MOCK_IOVA(SZ_2M), huge, 2 * SZ_2M);
	check_domains_map(MOCK_IOVA(0), self->buf, 4 * SZ_4K);
	CHECK_REFS(huge, 2 * SZ_2M, PINS(1));

	/* With domains and maps the setting is frozen */
	ASSERT_RESULT(self->nr_hwpts ? EINVAL : 0,
		      option_set(self->fd, IOMMU_OPTION_HUGE_PAGES,
				 self->ioas_id, 1));
	ASSERT_EQ(self->nr_hwpts ? 0 : 1,
		  option_get(self->fd, IOMMU_OPTION_HUGE_PAGES,
			     self->ioas_id));
	/* Setting the value it has is no change */
	ASSERT_EQ(0, option_set(self->fd, IOMMU_OPTION_HUGE_PAGES,
				self->ioas_id,
				self->nr_hwpts ? 0 : 1));

	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas_id, 0, UINT64_MAX, &len));
	ASSERT_EQ(2 * SZ_2M + 4 * SZ_4K, len);
	check_domains_unmapped(MOCK_IOVA(SZ_2M), huge, 2 * SZ_4K);
	CHECK_REFS(huge, 2 * SZ_2M, 0);
	ASSERT_EQ(0, option_set(self->fd, IOMMU_OPTION_HUGE_PAGES,
				self->ioas_id, 1));
	ASSERT_EQ(1, option_get(self->fd, IOMMU_OPTION_HUGE_PAGES,
				self->ioas_id));
	munmap(raw, 3 * SZ_2M);
}

TEST_F(mock_map, huge_pages_on_then_off_with_maps)
{
	char *huge;
	void *raw;

	huge = huge_pages_buf(SZ_2M, &raw);
	ASSERT_NE(NULL, huge);
	ASSERT_EQ(1, option_get(self->fd, IOMMU_OPTION_HUGE_PAGES,
				self->ioas_id));
	/* A whole 2 MiB page, and part of it at an unaligned IOVA */
	ASSERT_EQ(0, ioas_map_fixed(self->fd, self->ioas_id, huge, SZ_2M,
				    MOCK_IOVA(0)));
	ASSERT_EQ(0, ioas_map_fixed(self->fd, self->ioas_id, huge + SZ_64K,
				    SZ_64K, MOCK_IOVA(SZ_2M + SZ_4K)));
	check_domains_map(MOCK_IOVA(0), huge, SZ_2M);
	check_domains_map(MOCK_IOVA(SZ_2M + SZ_4K), huge + SZ_64K, SZ_64K);
	/* Exact counts where the pages are small, pinned-or-not on a THP */
	CHECK_REFS(huge, SZ_64K, PINS(1));
	CHECK_REFS(huge + SZ_64K, SZ_64K, PINS(2));
	CHECK_REFS(huge + 2 * SZ_64K, SZ_2M - 2 * SZ_64K, PINS(1));

	ASSERT_RESULT(self->nr_hwpts ? EINVAL : 0,
		      option_set(self->fd, IOMMU_OPTION_HUGE_PAGES,
				 self->ioas_id, 0));
	ASSERT_EQ(self->nr_hwpts ? 1 : 0,
		  option_get(self->fd, IOMMU_OPTION_HUGE_PAGES,
			     self->ioas_id));
	/* Without maps the setting may change again */
	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas_id, 0, UINT64_MAX, NULL));
	CHECK_REFS(huge, SZ_2M, 0);
	check_domains_unmapped(MOCK_IOVA(0), huge, SZ_4K);
	ASSERT_EQ(0, option_set(self->fd, IOMMU_OPTION_HUGE_PAGES,
				self->ioas_id, 0));
	ASSERT_EQ(0, option_get(self->fd, IOMMU_OPTION_HUGE_PAGES,
				self->ioas_id));
	munmap(raw, 2 * SZ_2M);
}

TEST_F(mock_map, destroy_ioas_with_maps)
{
	unsigned int i;

	ASSERT_EQ(0, ioas_map_fixed(self->fd, self->ioas_id, self->buf,
				    8 * SZ_4K, MOCK_IOVA(0)));
	if (self->nr_hwpts) {
		/* Each HWPT holds the IOAS */
		ASSERT_ERRNO(EBUSY, destroy(self->fd, self->ioas_id));
		check_domains_map(MOCK_IOVA(0), self->buf, 8 * SZ_4K);
		CHECK_REFS(self->buf, 8 * SZ_4K, 1);
		for (i = 0; i != self->nr_hwpts; i++)
			ASSERT_EQ(0, destroy(self->fd, self->stdev_ids[i]));
	}
	/* The HWPT from HWPT_ALLOC is still there and holds the IOAS */
	if (self->nr_hwpts == 2) {
		ASSERT_ERRNO(EBUSY, destroy(self->fd, self->ioas_id));
		ASSERT_EQ(0, md_check_map(self->fd, self->hwpt_ids[1],
					  MOCK_IOVA(0), self->buf, 8 * SZ_4K));
		CHECK_REFS(self->buf, 8 * SZ_4K, 1);
		ASSERT_EQ(0, destroy(self->fd, self->hwpt_ids[1]));
	}
	if (self->nr_hwpts)
		ASSERT_ERRNO(ENOENT, destroy(self->fd, self->hwpt_ids[0]));
	/* The last domain took the pins along; the map is still there */
	CHECK_REFS(self->buf, 8 * SZ_4K, 0);
	ASSERT_ERRNO(EEXIST, ioas_map_fixed(self->fd, self->ioas_id, self->buf,
					    SZ_4K, MOCK_IOVA(0)));
	ASSERT_EQ(0, destroy(self->fd, self->ioas_id));
	CHECK_REFS(self->buf, 8 * SZ_4K, 0);
}

TEST_F(mock_map, detach_keeps_the_maps)
{
	__u32 stdev, hwpt;
	unsigned int i;

	if (!self->test_cmd)
		SKIP(return, NO_TEST_CMD);
	ASSERT_EQ(0, ioas_map_fixed(self->fd, self->ioas_id, self->buf,
				    8 * SZ_4K, MOCK_IOVA(0)));
	for (i = 0; i != self->nr_hwpts; i++)
		ASSERT_EQ(0, destroy(self->fd, self->stdev_ids[i]));
	if (self->nr_hwpts == 2)
		ASSERT_EQ(0, destroy(self->fd, self->hwpt_ids[1]));
	/* The IOAS keeps its map but no pin; the aperture is gone */
	CHECK_REFS(self->buf, 8 * SZ_4K, 0);
	ASSERT_EQ(0, ioas_map_fixed(self->fd, self->ioas_id, self->buf,
				    SZ_4K, 0));
	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas_id, 0, SZ_4K, NULL));
	/* A new device gets a new domain, filled again */
	ASSERT_EQ(0, mock_domain(self->fd, self->ioas_id, &stdev, &hwpt,
				 NULL));
	ASSERT_EQ(0, md_check_map(self->fd, hwpt, MOCK_IOVA(0), self->buf,
				  8 * SZ_4K));
	CHECK_REFS(self->buf, 8 * SZ_4K, 1);
	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas_id, MOCK_IOVA(0),
				8 * SZ_4K, NULL));
	ASSERT_ERRNO(EINVAL, md_check_map(self->fd, hwpt, MOCK_IOVA(0),
					  self->buf, SZ_4K));
	CHECK_REFS(self->buf, 8 * SZ_4K, 0);
}

/* ------------------------------------------------------------------ */
/* Mock devices and HWPTs: attach, replace, lifetime, IOMMU_HWPT_ALLOC  */

/*
 * An IOAS with 8 pages of the buffer mapped at the start of the mock
 * aperture and one mock device attached to it (through an automatic
 * HWPT). IDs are handed out lowest first, so the four objects are
 * consecutive: IOAS, selftest object, device, HWPT.
 */
FIXTURE(mock_dev) {
	long pins0;
	int fd;
	__u32 ioas_id;
	__u32 stdev_id;
	__u32 idev_id;
	__u32 hwpt_id;
	char *buf;
	bool test_cmd;
	/* What a test opens besides, -1 once the test closed it */
	int access_fd;
	int fd2;
};

FIXTURE_SETUP(mock_dev)
{
	self->pins0 = foll_pins();
	self->access_fd = -1;
	self->fd2 = -1;
	self->fd = open(IOMMUFD_DEV, O_RDWR);
	ASSERT_LE(0, self->fd);
	self->buf = small_pages_buf(MOCK_BUF_SIZE);
	ASSERT_NE(MAP_FAILED, self->buf);
	ASSERT_EQ(0, ioas_alloc(self->fd, &self->ioas_id));
	self->test_cmd = have_test_cmd(self->fd);
	if (!self->test_cmd)
		return;
	ASSERT_EQ(0, mock_domain(self->fd, self->ioas_id, &self->stdev_id,
				 &self->hwpt_id, &self->idev_id));
	ASSERT_EQ(self->ioas_id + 1, self->stdev_id);
	ASSERT_EQ(self->ioas_id + 2, self->idev_id);
	ASSERT_EQ(self->ioas_id + 3, self->hwpt_id);
	ASSERT_EQ(0, ioas_map_fixed(self->fd, self->ioas_id, self->buf,
				    8 * SZ_4K, MOCK_IOVA(0)));
}

FIXTURE_TEARDOWN(mock_dev)
{
	if (self->access_fd >= 0)
		close(self->access_fd);
	if (self->fd2 >= 0)
		close(self->fd2);
	close(self->fd);
	munmap(self->buf, MOCK_BUF_SIZE);
	EXPECT_PINS_RELEASED(self->pins0);
}

TEST_F(mock_dev, devices_on_one_ioas_share_the_auto_hwpt)
{
	__u32 stdev2, hwpt2, idev2, stdev3, hwpt3;

	if (!self->test_cmd)
		SKIP(return, NO_TEST_CMD);
	ASSERT_EQ(0, mock_domain(self->fd, self->ioas_id, &stdev2, &hwpt2,
				 &idev2));
	ASSERT_EQ(self->hwpt_id, hwpt2);
	ASSERT_NE(self->stdev_id, stdev2);
	ASSERT_NE(self->idev_id, idev2);
	/* A device attached by the HWPT's ID uses it as well */
	ASSERT_EQ(0, mock_domain(self->fd, self->hwpt_id, &stdev3, &hwpt3,
				 NULL));
	ASSERT_EQ(self->hwpt_id, hwpt3);
	ASSERT_EQ(0, md_check_map(self->fd, self->hwpt_id, MOCK_IOVA(0),
				  self->buf, 8 * SZ_4K));

	/* The HWPT stays while any of them is attached */
	ASSERT_EQ(0, destroy(self->fd, self->stdev_id));
	ASSERT_ERRNO(EBUSY, destroy(self->fd, self->hwpt_id));
	ASSERT_EQ(0, destroy(self->fd, stdev2));
	ASSERT_ERRNO(EBUSY, destroy(self->fd, self->hwpt_id));
	ASSERT_EQ(0, ioas_map_fixed(self->fd, self->ioas_id,
				    self->buf + 8 * SZ_4K, 4 * SZ_4K,
				    MOCK_IOVA(SZ_1M)));
	ASSERT_EQ(0, md_check_map(self->fd, self->hwpt_id, MOCK_IOVA(SZ_1M),
				  self->buf + 8 * SZ_4K, 4 * SZ_4K));
	ASSERT_EQ(0, destroy(self->fd, stdev3));
	ASSERT_ERRNO(ENOENT, destroy(self->fd, self->hwpt_id));
	ASSERT_ERRNO(ENOENT, md_check_map(self->fd, self->hwpt_id,
					  MOCK_IOVA(0), self->buf, SZ_4K));
	/* The last domain took the pins along; nothing holds the IOAS */
	ASSERT_EQ(0, md_check_refs(self->fd, self->buf, 12 * SZ_4K, 0));
	ASSERT_EQ(0, destroy(self->fd, self->ioas_id));
	ASSERT_EQ(0, md_check_refs(self->fd, self->buf, MOCK_BUF_SIZE, 0));
}

TEST_F(mock_dev, attach_to_other_objects_is_einval)
{
	__u32 access_id, hwpt;
	int access_fd;

	if (!self->test_cmd)
		SKIP(return, NO_TEST_CMD);
	/* The access takes the lowest free ID */
	access_id = next_free_id(self->fd);
	ASSERT_EQ(self->hwpt_id + 1, access_id);
	ASSERT_EQ(0, create_access(self->fd, self->ioas_id, 0, &access_fd));
	self->access_fd = access_fd;
	ASSERT_ERRNO(EBUSY, destroy(self->fd, access_id));

	ASSERT_ERRNO(EINVAL, mock_domain(self->fd, self->stdev_id, NULL, NULL,
					 NULL));
	ASSERT_ERRNO(EINVAL, mock_domain(self->fd, self->idev_id, NULL, NULL,
					 NULL));
	ASSERT_ERRNO(EINVAL, mock_domain(self->fd, access_id, NULL, NULL,
					 NULL));
	ASSERT_ERRNO(EINVAL, mock_domain_replace(self->fd, self->stdev_id,
						 self->stdev_id, NULL));
	ASSERT_ERRNO(EINVAL, mock_domain_replace(self->fd, self->stdev_id,
						 self->idev_id, NULL));
	ASSERT_ERRNO(EINVAL, mock_domain_replace(self->fd, self->stdev_id,
						 access_id, NULL));
	self->access_fd = -1;
	ASSERT_EQ(0, close(access_fd));

	/* The device stayed where it was */
	ASSERT_EQ(0, md_check_map(self->fd, self->hwpt_id, MOCK_IOVA(0),
				  self->buf, 8 * SZ_4K));
	ASSERT_EQ(0, mock_domain_replace(self->fd, self->stdev_id,
					 self->ioas_id, &hwpt));
	ASSERT_EQ(self->hwpt_id, hwpt);
	/* The failed attaches left no object: the access's ID is free */
	ASSERT_EQ(access_id, next_free_id(self->fd));
	ASSERT_EQ(0, destroy(self->fd, self->stdev_id));
	ASSERT_ERRNO(ENOENT, destroy(self->fd, self->hwpt_id));
	ASSERT_EQ(self->stdev_id, next_free_id(self->fd));
}

TEST_F(mock_dev, attach_to_missing_objects_is_enoent)
{
	__u32 gone;

	if (!self->test_cmd)
		SKIP(return, NO_TEST_CMD);
	ASSERT_EQ(0, ioas_alloc(self->fd, &gone));
	ASSERT_EQ(0, destroy(self->fd, gone));

	ASSERT_ERRNO(ENOENT, mock_domain(self->fd, 0, NULL, NULL, NULL));
	ASSERT_ERRNO(ENOENT, mock_domain(self->fd, gone, NULL, NULL, NULL));
	ASSERT_ERRNO(ENOENT, mock_domain(self->fd, UNUSED_ID, NULL, NULL,
					 NULL));
	ASSERT_ERRNO(ENOENT, mock_domain_replace(self->fd, self->stdev_id, 0,
						 NULL));
	ASSERT_ERRNO(ENOENT, mock_domain_replace(self->fd, self->stdev_id,
						 gone, NULL));
	ASSERT_ERRNO(ENOENT, mock_domain_replace(self->fd, self->stdev_id,
						 UNUSED_ID, NULL));
	/* Replace needs the selftest object, nothing else will do */
	ASSERT_ERRNO(ENOENT, mock_domain_replace(self->fd, self->idev_id,
						 self->ioas_id, NULL));
	ASSERT_ERRNO(ENOENT, mock_domain_replace(self->fd, self->hwpt_id,
						 self->ioas_id, NULL));
	ASSERT_ERRNO(ENOENT, mock_domain_replace(self->fd, UNUSED_ID,
						 self->ioas_id, NULL));

	ASSERT_EQ(gone, next_free_id(self->fd));
	ASSERT_EQ(0, md_check_map(self->fd, self->hwpt_id, MOCK_IOVA(0),
				  self->buf, 8 * SZ_4K));
	ASSERT_ERRNO(EBUSY, destroy(self->fd, self->hwpt_id));
}

TEST_F(mock_dev, replace_between_ioases_and_hwpts)
{
	char *other = self->buf + 16 * SZ_4K;
	__u32 ioas2, hwpt2, hwpt_user, hwpt;

	if (!self->test_cmd)
		SKIP(return, NO_TEST_CMD);
	/* The same IOVA shows other memory in the second IOAS */
	ASSERT_EQ(0, ioas_alloc(self->fd, &ioas2));
	ASSERT_EQ(0, ioas_map_fixed(self->fd, ioas2, other, 8 * SZ_4K,
				    MOCK_IOVA(0)));
	/* The pins follow the domains: only an IOAS with one pins */
	ASSERT_EQ(0, md_check_refs(self->fd, self->buf, 8 * SZ_4K, 1));
	ASSERT_EQ(0, md_check_refs(self->fd, other, 8 * SZ_4K, 0));

	/* To the second IOAS: a new automatic HWPT, the old one is gone */
	ASSERT_EQ(0, mock_domain_replace(self->fd, self->stdev_id, ioas2,
					 &hwpt2));
	ASSERT_NE(self->hwpt_id, hwpt2);
	ASSERT_EQ(0, md_check_refs(self->fd, self->buf, 8 * SZ_4K, 0));
	ASSERT_EQ(0, md_check_refs(self->fd, other, 8 * SZ_4K, 1));
	ASSERT_EQ(0, md_check_map(self->fd, hwpt2, MOCK_IOVA(0), other,
				  8 * SZ_4K));
	ASSERT_ERRNO(EINVAL, md_check_map(self->fd, hwpt2, MOCK_IOVA(0),
					  self->buf, SZ_4K));
	ASSERT_ERRNO(ENOENT, md_check_map(self->fd, self->hwpt_id,
					  MOCK_IOVA(0), self->buf, SZ_4K));
	ASSERT_ERRNO(ENOENT, destroy(self->fd, self->hwpt_id));
	/* The aperture moved along: reserved in the second, free in the first */
	ASSERT_ERRNO(EINVAL, ioas_map_fixed(self->fd, ioas2, other, SZ_4K, 0));
	ASSERT_EQ(0, ioas_map_fixed(self->fd, self->ioas_id, self->buf, SZ_4K,
				    0));
	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas_id, 0, SZ_4K, NULL));

	/* To a HWPT of the first IOAS that the user allocated */
	ASSERT_EQ(0, hwpt_alloc(self->fd, self->idev_id, self->ioas_id,
				&hwpt_user));
	ASSERT_EQ(0, mock_domain_replace(self->fd, self->stdev_id, hwpt_user,
					 &hwpt));
	ASSERT_EQ(hwpt_user, hwpt);
	ASSERT_EQ(0, md_check_map(self->fd, hwpt_user, MOCK_IOVA(0),
				  self->buf, 8 * SZ_4K));
	ASSERT_EQ(0, md_check_refs(self->fd, self->buf, 8 * SZ_4K, 1));
	ASSERT_EQ(0, md_check_refs(self->fd, other, 8 * SZ_4K, 0));
	ASSERT_ERRNO(ENOENT, destroy(self->fd, hwpt2));
	ASSERT_ERRNO(EBUSY, destroy(self->fd, hwpt_user));
	ASSERT_EQ(0, ioas_map_fixed(self->fd, ioas2, other, SZ_4K, 0));
	ASSERT_EQ(0, ioas_unmap(self->fd, ioas2, 0, SZ_4K, NULL));

	/*
	 * To the IOAS of that HWPT: IOAS IDs pick automatic HWPTs only, so
	 * the device moves to a new one.
	 */
	ASSERT_EQ(0, mock_domain_replace(self->fd, self->stdev_id,
					 self->ioas_id, &hwpt));
	ASSERT_NE(hwpt_user, hwpt);
	ASSERT_EQ(0, md_check_map(self->fd, hwpt, MOCK_IOVA(0), self->buf,
				  8 * SZ_4K));
	ASSERT_EQ(0, destroy(self->fd, hwpt_user));

	/* And back to the second IOAS */
	ASSERT_EQ(0, mock_domain_replace(self->fd, self->stdev_id, ioas2,
					 &hwpt2));
	ASSERT_EQ(0, md_check_map(self->fd, hwpt2, MOCK_IOVA(0), other,
				  8 * SZ_4K));
	ASSERT_ERRNO(ENOENT, destroy(self->fd, hwpt));
	/* No pin was left behind or taken twice */
	ASSERT_EQ(0, md_check_refs(self->fd, self->buf, 8 * SZ_4K, 0));
	ASSERT_EQ(0, md_check_refs(self->fd, other, 8 * SZ_4K, 1));

	/* Only the second IOAS is held */
	ASSERT_EQ(0, destroy(self->fd, self->ioas_id));
	ASSERT_EQ(0, md_check_refs(self->fd, self->buf, 8 * SZ_4K, 0));
	ASSERT_ERRNO(EBUSY, destroy(self->fd, ioas2));
	ASSERT_EQ(0, destroy(self->fd, self->stdev_id));
	ASSERT_ERRNO(ENOENT, destroy(self->fd, hwpt2));
	ASSERT_EQ(0, destroy(self->fd, ioas2));
	ASSERT_EQ(0, md_check_refs(self->fd, other, 8 * SZ_4K, 0));
}

TEST_F(mock_dev, replace_to_the_current_hwpt_changes_nothing)
{
	__u32 hwpt = 0;

	if (!self->test_cmd)
		SKIP(return, NO_TEST_CMD);
	ASSERT_EQ(0, mock_domain_replace(self->fd, self->stdev_id,
					 self->hwpt_id, &hwpt));
	ASSERT_EQ(self->hwpt_id, hwpt);
	hwpt = 0;
	ASSERT_EQ(0, mock_domain_replace(self->fd, self->stdev_id,
					 self->ioas_id, &hwpt));
	ASSERT_EQ(self->hwpt_id, hwpt);
	ASSERT_EQ(0, md_check_map(self->fd, self->hwpt_id, MOCK_IOVA(0),
				  self->buf, 8 * SZ_4K));
	ASSERT_ERRNO(EBUSY, destroy(self->fd, self->hwpt_id));
	/* No reference was taken twice: the HWPT goes with the device */
	ASSERT_EQ(0, destroy(self->fd, self->stdev_id));
	ASSERT_ERRNO(ENOENT, destroy(self->fd, self->hwpt_id));
	ASSERT_EQ(0, destroy(self->fd, self->ioas_id));
}

TEST_F(mock_dev, iovas_outside_the_aperture_are_eaddrinuse)
{
	struct iommu_iova_range below = { .start = 0, .last = SZ_1M - 1 };
	char *other = self->buf + 16 * SZ_4K;
	__u32 ioas2, ioas3, id;

	if (!self->test_cmd)
		SKIP(return, NO_TEST_CMD);
	/* A mapping below the aperture */
	ASSERT_EQ(0, ioas_alloc(self->fd, &ioas2));
	ASSERT_EQ(0, ioas_map_fixed(self->fd, ioas2, other, 4 * SZ_4K, 0));
	/* An allowed range below the aperture */
	ASSERT_EQ(0, ioas_alloc(self->fd, &ioas3));
	ASSERT_EQ(0, allow_iovas(self->fd, ioas3, &below, 1));
	id = next_free_id(self->fd);

	ASSERT_ERRNO(EADDRINUSE, mock_domain(self->fd, ioas2, NULL, NULL,
					     NULL));
	ASSERT_ERRNO(EADDRINUSE, mock_domain(self->fd, ioas3, NULL, NULL,
					     NULL));
	ASSERT_ERRNO(EADDRINUSE, mock_domain_replace(self->fd, self->stdev_id,
						     ioas2, NULL));
	ASSERT_ERRNO(EADDRINUSE, mock_domain_replace(self->fd, self->stdev_id,
						     ioas3, NULL));
	ASSERT_ERRNO(EADDRINUSE, hwpt_alloc(self->fd, self->idev_id, ioas2,
					    NULL));
	ASSERT_ERRNO(EADDRINUSE, hwpt_alloc(self->fd, self->idev_id, ioas3,
					    NULL));

	/* Nothing was created, nothing moved */
	ASSERT_EQ(id, next_free_id(self->fd));
	ASSERT_EQ(0, md_check_map(self->fd, self->hwpt_id, MOCK_IOVA(0),
				  self->buf, 8 * SZ_4K));
	ASSERT_ERRNO(EBUSY, destroy(self->fd, self->hwpt_id));
	/* No failed attach left a pin on the maps of ioas2 */
	ASSERT_EQ(0, md_check_refs(self->fd, other, 4 * SZ_4K, 0));
	/* No domain reserved anything in the two IOASes */
	ASSERT_EQ(0, ioas_map_fixed(self->fd, ioas2, other + 4 * SZ_4K, SZ_4K,
				    MOCK_APERTURE_LAST + 1));
	ASSERT_EQ(0, ioas_map_fixed(self->fd, ioas3, other, SZ_4K, SZ_64K));
	ASSERT_EQ(0, destroy(self->fd, ioas2));
	ASSERT_EQ(0, destroy(self->fd, ioas3));
	ASSERT_EQ(0, md_check_refs(self->fd, other, 5 * SZ_4K, 0));
}

TEST_F(mock_dev, destroy_in_use_is_ebusy)
{
	__u32 hwpt_user, stdev2, idev2;

	if (!self->test_cmd)
		SKIP(return, NO_TEST_CMD);
	ASSERT_ERRNO(EBUSY, destroy(self->fd, self->ioas_id));
	ASSERT_ERRNO(EBUSY, destroy(self->fd, self->hwpt_id));
	/* The device object belongs to its driver (the selftest object) */
	ASSERT_ERRNO(EBUSY, destroy(self->fd, self->idev_id));

	ASSERT_EQ(0, hwpt_alloc(self->fd, self->idev_id, self->ioas_id,
				&hwpt_user));
	ASSERT_EQ(0, mock_domain(self->fd, hwpt_user, &stdev2, NULL, &idev2));
	ASSERT_ERRNO(EBUSY, destroy(self->fd, hwpt_user));
	ASSERT_ERRNO(EBUSY, destroy(self->fd, idev2));
	ASSERT_EQ(0, destroy(self->fd, stdev2));
	ASSERT_ERRNO(ENOENT, destroy(self->fd, idev2));

	/* Destroying the selftest object detaches and unbinds */
	ASSERT_EQ(0, destroy(self->fd, self->stdev_id));
	ASSERT_ERRNO(ENOENT, destroy(self->fd, self->idev_id));
	ASSERT_ERRNO(ENOENT, destroy(self->fd, self->hwpt_id));
	ASSERT_ERRNO(ENOENT, hwpt_alloc(self->fd, self->idev_id,
					self->ioas_id, NULL));
	ASSERT_ERRNO(ENOENT, mock_domain_replace(self->fd, self->stdev_id,
						 self->ioas_id, NULL));

	/* The unused HWPT from HWPT_ALLOC still mirrors and holds the IOAS */
	ASSERT_ERRNO(EBUSY, destroy(self->fd, self->ioas_id));
	ASSERT_EQ(0, md_check_map(self->fd, hwpt_user, MOCK_IOVA(0),
				  self->buf, 8 * SZ_4K));
	ASSERT_ERRNO(EINVAL, ioas_map_fixed(self->fd, self->ioas_id,
					    self->buf, SZ_4K, 0));
	ASSERT_EQ(0, md_check_refs(self->fd, self->buf, 8 * SZ_4K, 1));
	ASSERT_EQ(0, destroy(self->fd, hwpt_user));
	/* Without a domain neither map pins */
	ASSERT_EQ(0, ioas_map_fixed(self->fd, self->ioas_id, self->buf, SZ_4K,
				    0));
	ASSERT_EQ(0, md_check_refs(self->fd, self->buf, SZ_4K, 0));
	ASSERT_EQ(0, destroy(self->fd, self->ioas_id));
	ASSERT_EQ(0, md_check_refs(self->fd, self->buf, MOCK_BUF_SIZE, 0));
}

TEST_F(mock_dev, mock_domain_flags)
{
	static const __u32 good[] = {
		MOCK_FLAGS_DEVICE_HUGE_IOVA,
		MOCK_FLAGS_DEVICE_PASID,
		MOCK_FLAGS_DEVICE_NO_DIRTY | MOCK_FLAGS_DEVICE_HUGE_IOVA |
			MOCK_FLAGS_DEVICE_PASID,
	};
	static const __u32 bad[] = {
		1u << 3,
		1u << 31,
		MOCK_FLAGS_DEVICE_PASID | 1u << 3,
		MOCK_FLAGS_DEVICE_NO_DIRTY | 1u << 31,
	};
	__u32 stdev, hwpt, idev;
	unsigned int i;

	if (!self->test_cmd)
		SKIP(return, NO_TEST_CMD);
	ASSERT_EQ(0, mock_domain_flags(self->fd, self->ioas_id,
				       MOCK_FLAGS_DEVICE_NO_DIRTY, &stdev,
				       &hwpt, NULL));
	ASSERT_EQ(self->hwpt_id, hwpt);
	ASSERT_EQ(0, destroy(self->fd, stdev));
	ASSERT_EQ(0, mock_domain_flags(self->fd, self->hwpt_id, 0, &stdev,
				       &hwpt, NULL));
	ASSERT_EQ(self->hwpt_id, hwpt);
	ASSERT_EQ(0, destroy(self->fd, stdev));

	/* Every flag the mock knows, alone and together */
	for (i = 0; i != ARRAY_SIZE(good); i++) {
		ASSERT_EQ(0, mock_domain_flags(self->fd, self->hwpt_id,
					       good[i], &stdev, &hwpt, &idev))
			TH_LOG("dev_flags 0x%x", good[i]);
		ASSERT_EQ(self->hwpt_id, hwpt);
		ASSERT_EQ(self->hwpt_id + 1, stdev);
		ASSERT_EQ(self->hwpt_id + 2, idev);
		ASSERT_EQ(0, destroy(self->fd, stdev));
	}

	for (i = 0; i != ARRAY_SIZE(bad); i++)
		ASSERT_ERRNO(EOPNOTSUPP,
			     mock_domain_flags(self->fd, self->ioas_id, bad[i],
					       &stdev, &hwpt, NULL));
	/* The refused ones left no object */
	ASSERT_EQ(self->hwpt_id + 1, next_free_id(self->fd));
}

static int hwpt_alloc_cmd(int fd, struct iommu_hwpt_alloc *cmd)
{
	return ioctl(fd, IOMMU_HWPT_ALLOC, cmd);
}

TEST_F(mock_dev, hwpt_alloc_errors)
{
	const struct iommu_hwpt_alloc good = {
		.size = sizeof(good),
		.dev_id = self->idev_id,
		.pt_id = self->ioas_id,
	};
	static const __u32 bad_flags[] = {
		IOMMU_HWPT_ALLOC_DIRTY_TRACKING, IOMMU_HWPT_FAULT_ID_VALID,
		1u << 4, 1u << 31,
		IOMMU_HWPT_ALLOC_NEST_PARENT | IOMMU_HWPT_ALLOC_DIRTY_TRACKING,
		IOMMU_HWPT_ALLOC_PASID | IOMMU_HWPT_FAULT_ID_VALID,
	};
	static const __u32 bad_types[] = {
		IOMMU_HWPT_DATA_VTD_S1, IOMMU_HWPT_DATA_ARM_SMMUV3,
		IOMMU_HWPT_DATA_SELFTEST, UINT32_MAX,
	};
	struct iommu_hwpt_selftest data = { .iotlb = IOMMU_TEST_IOTLB_DEFAULT };
	__u64 zeroes[4] = {};
	struct iommu_hwpt_alloc cmd;
	__u32 first_free;
	unsigned int i;

	if (!self->test_cmd)
		SKIP(return, NO_TEST_CMD);
	first_free = next_free_id(self->fd);
	ASSERT_EQ(self->hwpt_id + 1, first_free);

	for (i = 0; i != ARRAY_SIZE(bad_flags); i++) {
		cmd = good;
		cmd.flags = bad_flags[i];
		ASSERT_ERRNO(EOPNOTSUPP, hwpt_alloc_cmd(self->fd, &cmd));
	}
	cmd = good;
	cmd.__reserved = 1;
	ASSERT_ERRNO(EOPNOTSUPP, hwpt_alloc_cmd(self->fd, &cmd));
	cmd = good;
	cmd.__reserved2 = 1;
	ASSERT_ERRNO(EOPNOTSUPP, hwpt_alloc_cmd(self->fd, &cmd));
	for (i = 0; i != ARRAY_SIZE(bad_types); i++) {
		/* A data type needs data */
		cmd = good;
		cmd.data_type = bad_types[i];
		ASSERT_ERRNO(EINVAL, hwpt_alloc_cmd(self->fd, &cmd));
		cmd.data_len = sizeof(zeroes);
		ASSERT_ERRNO(EINVAL, hwpt_alloc_cmd(self->fd, &cmd));
		cmd.data_len = 0;
		cmd.data_uptr = (uintptr_t)zeroes;
		ASSERT_ERRNO(EINVAL, hwpt_alloc_cmd(self->fd, &cmd));
		/* With it: the mock makes no paging HWPT from data */
		cmd.data_len = sizeof(zeroes);
		ASSERT_ERRNO(EOPNOTSUPP, hwpt_alloc_cmd(self->fd, &cmd));
	}
	/* No data goes with IOMMU_HWPT_DATA_NONE */
	cmd = good;
	cmd.data_len = 8;
	ASSERT_ERRNO(EINVAL, hwpt_alloc_cmd(self->fd, &cmd));
	cmd = good;
	cmd.data_uptr = (uintptr_t)self->buf;
	ASSERT_ERRNO(EINVAL, hwpt_alloc_cmd(self->fd, &cmd));
	cmd.data_len = 8;
	ASSERT_ERRNO(EINVAL, hwpt_alloc_cmd(self->fd, &cmd));

	/*
	 * @pt_id must be an IOAS, or a paging HWPT that may parent nested
	 * ones (the automatic one may not)
	 */
	cmd = good;
	cmd.pt_id = self->hwpt_id;
	cmd.data_type = IOMMU_HWPT_DATA_SELFTEST;
	cmd.data_len = sizeof(data);
	cmd.data_uptr = (uintptr_t)&data;
	ASSERT_ERRNO(EINVAL, hwpt_alloc_cmd(self->fd, &cmd));
	cmd = good;
	cmd.pt_id = self->stdev_id;
	ASSERT_ERRNO(EINVAL, hwpt_alloc_cmd(self->fd, &cmd));
	cmd.pt_id = self->idev_id;
	ASSERT_ERRNO(EINVAL, hwpt_alloc_cmd(self->fd, &cmd));
	cmd.pt_id = 0;
	ASSERT_ERRNO(ENOENT, hwpt_alloc_cmd(self->fd, &cmd));
	cmd.pt_id = first_free;
	ASSERT_ERRNO(ENOENT, hwpt_alloc_cmd(self->fd, &cmd));
	cmd.pt_id = UNUSED_ID;
	ASSERT_ERRNO(ENOENT, hwpt_alloc_cmd(self->fd, &cmd));

	/* @dev_id must be a bound device */
	cmd = good;
	cmd.dev_id = self->stdev_id;
	ASSERT_ERRNO(ENOENT, hwpt_alloc_cmd(self->fd, &cmd));
	cmd.dev_id = self->ioas_id;
	ASSERT_ERRNO(ENOENT, hwpt_alloc_cmd(self->fd, &cmd));
	cmd.dev_id = self->hwpt_id;
	ASSERT_ERRNO(ENOENT, hwpt_alloc_cmd(self->fd, &cmd));
	cmd.dev_id = 0;
	ASSERT_ERRNO(ENOENT, hwpt_alloc_cmd(self->fd, &cmd));
	cmd.dev_id = UNUSED_ID;
	ASSERT_ERRNO(ENOENT, hwpt_alloc_cmd(self->fd, &cmd));

	/* None of them left an object; the good ones take the free ID */
	ASSERT_EQ(first_free, next_free_id(self->fd));
	cmd = good;
	ASSERT_EQ(0, hwpt_alloc_cmd(self->fd, &cmd));
	ASSERT_EQ(first_free, cmd.out_hwpt_id);
	ASSERT_EQ(0, md_check_map(self->fd, cmd.out_hwpt_id, MOCK_IOVA(0),
				  self->buf, 8 * SZ_4K));
	ASSERT_EQ(0, destroy(self->fd, cmd.out_hwpt_id));
}

/* IOMMU_HWPT_ALLOC_NEST_PARENT and _PASID make paging HWPTs as well */
TEST_F(mock_dev, hwpt_alloc_paging_flags)
{
	static const __u32 flags[] = {
		IOMMU_HWPT_ALLOC_NEST_PARENT,
		IOMMU_HWPT_ALLOC_PASID,
		IOMMU_HWPT_ALLOC_NEST_PARENT | IOMMU_HWPT_ALLOC_PASID,
	};
	__u32 first_free, hwpt;
	unsigned int i;

	if (!self->test_cmd)
		SKIP(return, NO_TEST_CMD);
	first_free = next_free_id(self->fd);
	for (i = 0; i != ARRAY_SIZE(flags); i++) {
		ASSERT_EQ(0, hwpt_alloc_paging(self->fd, self->idev_id,
					       self->ioas_id, flags[i], &hwpt))
			TH_LOG("flags 0x%x", flags[i]);
		ASSERT_EQ(first_free, hwpt);
		/* It mirrors the IOAS and holds it */
		ASSERT_EQ(0, md_check_map(self->fd, hwpt, MOCK_IOVA(0),
					  self->buf, 8 * SZ_4K));
		ASSERT_EQ(0, ioas_map_fixed(self->fd, self->ioas_id,
					    self->buf + 8 * SZ_4K, SZ_4K,
					    MOCK_IOVA(SZ_1M)));
		ASSERT_EQ(0, md_check_map(self->fd, hwpt, MOCK_IOVA(SZ_1M),
					  self->buf + 8 * SZ_4K, SZ_4K));
		ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas_id,
					MOCK_IOVA(SZ_1M), SZ_4K, NULL));
		/* A device moves onto it and back */
		ASSERT_EQ(0, mock_domain_replace(self->fd, self->stdev_id,
						 hwpt, NULL));
		ASSERT_ERRNO(EBUSY, destroy(self->fd, hwpt));
		ASSERT_EQ(0, mock_domain_replace(self->fd, self->stdev_id,
						 self->ioas_id, &self->hwpt_id));
		ASSERT_EQ(0, destroy(self->fd, hwpt));
	}
	ASSERT_EQ(0, md_check_refs(self->fd, self->buf, 8 * SZ_4K, 1));
}

TEST_F(mock_dev, hwpt_alloc_struct_size)
{
	struct {
		struct iommu_hwpt_alloc cmd;
		__u64 tail[2];
	} big;
	__u32 hwpt_id;

	if (!self->test_cmd)
		SKIP(return, NO_TEST_CMD);
	/*
	 * The first layout ends after __reserved, at 24 bytes. The kernel
	 * reads nothing past it (what follows would be refused) and writes
	 * nothing past it.
	 */
	memset(&big, 0xa5, sizeof(big));
	big.cmd.size = 24;
	big.cmd.flags = 0;
	big.cmd.dev_id = self->idev_id;
	big.cmd.pt_id = self->ioas_id;
	big.cmd.out_hwpt_id = 0;
	big.cmd.__reserved = 0;
	ASSERT_EQ(0, hwpt_alloc_cmd(self->fd, &big.cmd));
	hwpt_id = big.cmd.out_hwpt_id;
	ASSERT_EQ(self->hwpt_id + 1, hwpt_id);
	ASSERT_EQ(0xa5a5a5a5, big.cmd.data_type);
	ASSERT_EQ(0xa5a5a5a5, big.cmd.data_len);
	ASSERT_EQ(0xa5a5a5a5a5a5a5a5ULL, big.cmd.data_uptr);
	ASSERT_EQ(0, md_check_map(self->fd, hwpt_id, MOCK_IOVA(0), self->buf,
				  8 * SZ_4K));
	ASSERT_EQ(0, destroy(self->fd, hwpt_id));

	/* Shorter than the first layout */
	big.cmd.size = 23;
	ASSERT_ERRNO(EINVAL, hwpt_alloc_cmd(self->fd, &big.cmd));
	big.cmd.size = 16;
	ASSERT_ERRNO(EINVAL, hwpt_alloc_cmd(self->fd, &big.cmd));
	big.cmd.size = 0;
	ASSERT_ERRNO(EINVAL, hwpt_alloc_cmd(self->fd, &big.cmd));

	/* Longer than this kernel's layout: the tail must be zero */
	memset(&big, 0, sizeof(big));
	big.cmd.size = sizeof(big);
	big.cmd.dev_id = self->idev_id;
	big.cmd.pt_id = self->ioas_id;
	big.tail[1] = 1;
	ASSERT_ERRNO(E2BIG, hwpt_alloc_cmd(self->fd, &big.cmd));
	big.tail[1] = 0;
	big.tail[0] = 1ULL << 63;
	ASSERT_ERRNO(E2BIG, hwpt_alloc_cmd(self->fd, &big.cmd));
	ASSERT_EQ(self->hwpt_id + 1, next_free_id(self->fd));
	big.tail[0] = 0;
	ASSERT_EQ(0, hwpt_alloc_cmd(self->fd, &big.cmd));
	ASSERT_EQ(self->hwpt_id + 1, big.cmd.out_hwpt_id);
	ASSERT_EQ(0, big.tail[0]);
	ASSERT_EQ(0, big.tail[1]);
	ASSERT_EQ(0, destroy(self->fd, big.cmd.out_hwpt_id));
}

TEST_F(mock_dev, hwpt_alloc_reply_fault_leaves_nothing)
{
	struct iommu_hwpt_alloc *cmd;
	__u32 ioas2, first_free;

	if (!self->test_cmd)
		SKIP(return, NO_TEST_CMD);
	ASSERT_EQ(0, ioas_alloc(self->fd, &ioas2));
	first_free = next_free_id(self->fd);
	cmd = mmap(NULL, SZ_4K, PROT_READ | PROT_WRITE,
		   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, cmd);
	*cmd = (struct iommu_hwpt_alloc){
		.size = sizeof(*cmd),
		.dev_id = self->idev_id,
		.pt_id = ioas2,
	};
	ASSERT_EQ(0, mprotect(cmd, SZ_4K, PROT_READ));
	ASSERT_ERRNO(EFAULT, hwpt_alloc_cmd(self->fd, cmd));
	munmap(cmd, SZ_4K);

	/* No HWPT is left: no ID, no reserved aperture, nothing holds it */
	ASSERT_EQ(first_free, next_free_id(self->fd));
	ASSERT_EQ(0, ioas_map_fixed(self->fd, ioas2, self->buf, SZ_4K, 0));
	ASSERT_EQ(0, destroy(self->fd, ioas2));
}

TEST_F(mock_dev, hwpt_alloc_mirrors_its_ioas_without_devices)
{
	char *other = self->buf + 16 * SZ_4K;
	__u32 ioas2, hwpt;
	__u64 iova = 0;

	if (!self->test_cmd)
		SKIP(return, NO_TEST_CMD);
	ASSERT_EQ(0, ioas_alloc(self->fd, &ioas2));
	ASSERT_EQ(0, ioas_map_fixed(self->fd, ioas2, other, 4 * SZ_4K,
				    MOCK_IOVA(SZ_2M)));
	ASSERT_EQ(0, hwpt_alloc(self->fd, self->idev_id, ioas2, &hwpt));
	/* Filled at creation */
	ASSERT_EQ(0, md_check_map(self->fd, hwpt, MOCK_IOVA(SZ_2M), other,
				  4 * SZ_4K));
	/* The aperture is reserved with no device attached */
	ASSERT_ERRNO(EINVAL, ioas_map_fixed(self->fd, ioas2, other, SZ_4K, 0));
	ASSERT_EQ(0, ioas_map(self->fd, ioas2, MAP_RW, other + 4 * SZ_4K,
			      4 * SZ_4K, &iova));
	ASSERT_EQ(MOCK_APERTURE_START, iova);
	ASSERT_EQ(0, md_check_map(self->fd, hwpt, iova, other + 4 * SZ_4K,
				  4 * SZ_4K));
	ASSERT_EQ(0, ioas_copy_fixed(self->fd, ioas2, self->ioas_id,
				     MOCK_IOVA(0), 8 * SZ_4K, MOCK_IOVA(SZ_1M)));
	ASSERT_EQ(0, md_check_map(self->fd, hwpt, MOCK_IOVA(SZ_1M), self->buf,
				  8 * SZ_4K));
	ASSERT_EQ(0, md_check_refs(self->fd, self->buf, 8 * SZ_4K, 1));
	ASSERT_EQ(0, md_check_refs(self->fd, other, 8 * SZ_4K, 1));

	ASSERT_EQ(0, ioas_unmap(self->fd, ioas2, MOCK_IOVA(SZ_2M), 4 * SZ_4K,
				NULL));
	ASSERT_ERRNO(EINVAL, md_check_map(self->fd, hwpt, MOCK_IOVA(SZ_2M),
					  other, SZ_4K));
	ASSERT_EQ(0, md_check_refs(self->fd, other, 4 * SZ_4K, 0));
	ASSERT_ERRNO(EBUSY, destroy(self->fd, ioas2));
	ASSERT_EQ(0, destroy(self->fd, hwpt));
	ASSERT_EQ(0, ioas_map_fixed(self->fd, ioas2, other, SZ_4K, 0));
	ASSERT_EQ(0, destroy(self->fd, ioas2));
	ASSERT_EQ(0, md_check_refs(self->fd, other, 8 * SZ_4K, 0));
	ASSERT_EQ(0, md_check_refs(self->fd, self->buf, 8 * SZ_4K, 1));
}

TEST_F(mock_dev, close_with_devices_hwpts_and_maps)
{
	__u32 ioas1, ioas2, stdev1, hwpt1, idev1, hwpt_user, hwpt_spare;
	long base = vmpin_kb();
	bool root = !geteuid();
	int fd, check_fd;

	if (!self->test_cmd)
		SKIP(return, NO_TEST_CMD);
	ASSERT_LE(0, base);
	fd = open(IOMMUFD_DEV, O_RDWR);
	self->fd2 = fd;
	ASSERT_LE(0, fd);
	/* As root, charge this context's pins to VmPin to see them go */
	if (root)
		ASSERT_EQ(0, option_set(fd, IOMMU_OPTION_RLIMIT_MODE, 0, 1));
	ASSERT_EQ(0, ioas_alloc(fd, &ioas1));
	ASSERT_EQ(0, ioas_alloc(fd, &ioas2));
	ASSERT_EQ(0, ioas_map_fixed(fd, ioas1, self->buf + 16 * SZ_4K,
				    8 * SZ_4K, MOCK_IOVA(0)));
	ASSERT_EQ(0, mock_domain(fd, ioas1, &stdev1, &hwpt1, &idev1));
	ASSERT_EQ(0, ioas_map_fixed(fd, ioas1, self->buf + 16 * SZ_4K,
				    4 * SZ_4K, MOCK_IOVA(SZ_1M)));
	ASSERT_EQ(0, hwpt_alloc(fd, idev1, ioas2, &hwpt_user));
	ASSERT_EQ(0, mock_domain(fd, hwpt_user, NULL, NULL, NULL));
	ASSERT_EQ(0, hwpt_alloc(fd, idev1, ioas1, &hwpt_spare));
	ASSERT_EQ(0, ioas_copy_fixed(fd, ioas2, ioas1, MOCK_IOVA(0),
				     8 * SZ_4K, MOCK_IOVA(0)));
	ASSERT_EQ(0, ioas_map_fixed(fd, ioas2, self->buf + 24 * SZ_4K,
				    8 * SZ_4K, MOCK_IOVA(SZ_1M)));
	ASSERT_EQ(0, md_check_map(fd, hwpt_user, MOCK_IOVA(0),
				  self->buf + 16 * SZ_4K, 8 * SZ_4K));
	ASSERT_EQ(0, md_check_map(fd, hwpt_spare, MOCK_IOVA(SZ_1M),
				  self->buf + 16 * SZ_4K, 4 * SZ_4K));
	ASSERT_EQ(0, md_check_refs(fd, self->buf + 16 * SZ_4K, 4 * SZ_4K, 2));
	ASSERT_EQ(0, md_check_refs(fd, self->buf + 20 * SZ_4K, 12 * SZ_4K,
				   1));
	if (root)
		ASSERT_EQ(base + 20 * SZ_4K / 1024, vmpin_kb());

	self->fd2 = -1;
	ASSERT_EQ(0, close(fd));
	check_fd = open(IOMMUFD_DEV, O_RDWR);
	ASSERT_LE(0, check_fd);
	ASSERT_EQ(0, md_check_refs(check_fd, self->buf + 16 * SZ_4K,
				   16 * SZ_4K, 0));
	if (root)
		ASSERT_EQ(base, vmpin_kb());
	ASSERT_EQ(0, close(check_fd));
	/* The fixture's own context was not touched */
	ASSERT_EQ(0, md_check_refs(self->fd, self->buf, 8 * SZ_4K, 1));
	ASSERT_EQ(0, md_check_map(self->fd, self->hwpt_id, MOCK_IOVA(0),
				  self->buf, 8 * SZ_4K));
}

TEST_F(mock_dev, fork_child_does_not_inherit_pins)
{
	char *unpinned = self->buf + 16 * SZ_4K;
	__u64 len = 0;
	char expect;
	pid_t pid;

	if (!self->test_cmd)
		SKIP(return, NO_TEST_CMD);
	expect = self->buf[SZ_4K + 5];
	pid = fork();
	ASSERT_LE(0, pid);
	if (pid == 0) {
		/* The pinned pages were copied for the child: not pinned */
		if (md_check_refs(self->fd, self->buf, 8 * SZ_4K, 0))
			_exit(10);
		/* and not what the domain maps */
		if (md_check_map(self->fd, self->hwpt_id, MOCK_IOVA(0),
				 self->buf, SZ_4K) != -1 || errno != EINVAL)
			_exit(11);
		memset(self->buf, 0xee, 8 * SZ_4K);
		/* The child may map its own memory through the shared file */
		if (ioas_map_fixed(self->fd, self->ioas_id, unpinned,
				   4 * SZ_4K, MOCK_IOVA(SZ_1M)))
			_exit(12);
		if (md_check_map(self->fd, self->hwpt_id, MOCK_IOVA(SZ_1M),
				 unpinned, 4 * SZ_4K))
			_exit(13);
		_exit(0);
	}
	ASSERT_EQ(0, wait_child(pid));

	/* The parent's pages kept their pin, their contents and their IOVA */
	ASSERT_EQ(0, md_check_refs(self->fd, self->buf, 8 * SZ_4K, 1));
	ASSERT_EQ(0, md_check_map(self->fd, self->hwpt_id, MOCK_IOVA(0),
				  self->buf, 8 * SZ_4K));
	ASSERT_EQ(expect, self->buf[SZ_4K + 5]);
	memset(self->buf, 0x11, 8 * SZ_4K);
	ASSERT_EQ(0, md_check_map(self->fd, self->hwpt_id, MOCK_IOVA(0),
				  self->buf, 8 * SZ_4K));
	/*
	 * The child's map holds the child's copies, which outlive it; the
	 * parent's own pages at those addresses were never pinned.
	 */
	ASSERT_ERRNO(EINVAL, md_check_map(self->fd, self->hwpt_id,
					  MOCK_IOVA(SZ_1M), unpinned, SZ_4K));
	ASSERT_EQ(0, md_check_refs(self->fd, unpinned, 4 * SZ_4K, 0));
	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas_id, MOCK_IOVA(SZ_1M),
				4 * SZ_4K, &len));
	ASSERT_EQ(4 * SZ_4K, len);
	ASSERT_EQ(0, md_check_refs(self->fd, self->buf, 8 * SZ_4K, 1));
}

TEST_F(mock_dev, md_check_errors)
{
	__u64 top = UINT64_MAX - SZ_4K + 1;
	char *gone;

	if (!self->test_cmd)
		SKIP(return, NO_TEST_CMD);
	/* Unaligned IOVA, user address or length; a wrapping range */
	ASSERT_ERRNO(EINVAL, md_check_map(self->fd, self->hwpt_id,
					  MOCK_IOVA(0) + 1, self->buf, SZ_4K));
	ASSERT_ERRNO(EINVAL, md_check_map(self->fd, self->hwpt_id,
					  MOCK_IOVA(0), self->buf + 1, SZ_4K));
	ASSERT_ERRNO(EINVAL, md_check_map(self->fd, self->hwpt_id,
					  MOCK_IOVA(0), self->buf, SZ_4K + 1));
	ASSERT_ERRNO(EINVAL, md_check_map(self->fd, self->hwpt_id, top,
					  self->buf, 2 * SZ_4K));
	ASSERT_ERRNO(EINVAL, md_check_refs(self->fd, self->buf + 1, SZ_4K,
					   1));
	ASSERT_ERRNO(EINVAL, md_check_refs(self->fd, self->buf, SZ_4K - 1,
					   1));
	/* Only HWPTs have a mock domain */
	ASSERT_ERRNO(ENOENT, md_check_map(self->fd, self->ioas_id,
					  MOCK_IOVA(0), self->buf, SZ_4K));
	ASSERT_ERRNO(ENOENT, md_check_map(self->fd, self->stdev_id,
					  MOCK_IOVA(0), self->buf, SZ_4K));
	ASSERT_ERRNO(ENOENT, md_check_map(self->fd, UNUSED_ID, MOCK_IOVA(0),
					  self->buf, SZ_4K));
	/* User memory that is not there */
	gone = mmap(NULL, SZ_4K, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, gone);
	ASSERT_EQ(0, munmap(gone, SZ_4K));
	ASSERT_ERRNO(EFAULT, md_check_map(self->fd, self->hwpt_id,
					  MOCK_IOVA(0), gone, SZ_4K));
	ASSERT_ERRNO(EFAULT, md_check_refs(self->fd, gone, SZ_4K, 0));
	/* The right answers still come */
	ASSERT_EQ(0, md_check_map(self->fd, self->hwpt_id, MOCK_IOVA(0),
				  self->buf, 8 * SZ_4K));
	ASSERT_EQ(0, md_check_refs(self->fd, self->buf, 8 * SZ_4K, 1));
	ASSERT_ERRNO(EINVAL, md_check_refs(self->fd, self->buf, 8 * SZ_4K, 2));
	ASSERT_ERRNO(EINVAL, md_check_refs(self->fd, self->buf, 8 * SZ_4K, 0));
}

TEST_HARNESS_MAIN
