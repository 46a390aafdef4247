// SPDX-License-Identifier: GPL-2.0-only
/*
 * Tests of the /dev/iommu character device: command dispatch and the
 * size rules, the object table (IOMMU_DESTROY), IO address spaces
 * (IOMMU_IOAS_ALLOC, IOMMU_IOAS_ALLOW_IOVAS, IOMMU_IOAS_IOVA_RANGES) and
 * IOMMU_OPTION, plus fork, close and many-thread use of one file.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/iommufd.h>

#include "../kselftest_harness.h"

#define IOMMUFD_DEV "/dev/iommu"

/* A command number below the iommufd range and the highest possible one. */
#define CMD_BELOW_RANGE _IO(IOMMUFD_TYPE, IOMMUFD_CMD_BASE - 1)
#define CMD_TOP_OF_RANGE _IO(IOMMUFD_TYPE, 0xff)

/* An ID no test ever gets: the kernel hands out small IDs first. */
#define UNUSED_ID 0x7fff0000u

/* Assert in one line that a call failed with the given errno. */
#define ASSERT_ERRNO(_errno, _call)            \
	do {                                   \
		errno = 0;                     \
		ASSERT_EQ(-1, (_call));        \
		ASSERT_EQ(_errno, errno);      \
	} while (0)

/*
 * Thin wrappers around the commands. They return what ioctl() returns
 * and leave errno alone, so tests can assert on them in one line; they
 * assert nothing themselves and are safe to call from any thread.
 */
static int ioas_alloc(int fd, __u32 *ioas_id)
{
	struct iommu_ioas_alloc cmd = { .size = sizeof(cmd) };
	int rc;

	rc = ioctl(fd, IOMMU_IOAS_ALLOC, &cmd);
	if (!rc)
		*ioas_id = cmd.out_ioas_id;
	return rc;
}

static int destroy(int fd, __u32 id)
{
	struct iommu_destroy cmd = { .size = sizeof(cmd), .id = id };

	return ioctl(fd, IOMMU_DESTROY, &cmd);
}

static int allow_iovas(int fd, __u32 ioas_id,
		       const struct iommu_iova_range *ranges, __u32 num)
{
	struct iommu_ioas_allow_iovas cmd = {
		.size = sizeof(cmd),
		.ioas_id = ioas_id,
		.num_iovas = num,
		.allowed_iovas = (uintptr_t)ranges,
	};

	return ioctl(fd, IOMMU_IOAS_ALLOW_IOVAS, &cmd);
}

/* *num: capacity of @ranges in, count reported by the kernel out */
static int iova_ranges(int fd, __u32 ioas_id, struct iommu_iova_range *ranges,
		       __u32 *num, __u64 *alignment)
{
	struct iommu_ioas_iova_ranges cmd = {
		.size = sizeof(cmd),
		.ioas_id = ioas_id,
		.num_iovas = *num,
		.allowed_iovas = (uintptr_t)ranges,
	};
	int rc;

	rc = ioctl(fd, IOMMU_IOAS_IOVA_RANGES, &cmd);
	*num = cmd.num_iovas;
	if (alignment)
		*alignment = cmd.out_iova_alignment;
	return rc;
}

static int option(int fd, __u32 option_id, __u16 op, __u32 object_id,
		  __u64 *val)
{
	struct iommu_option cmd = {
		.size = sizeof(cmd),
		.option_id = option_id,
		.op = op,
		.object_id = object_id,
		.val64 = *val,
	};
	int rc;

	rc = ioctl(fd, IOMMU_OPTION, &cmd);
	*val = cmd.val64;
	return rc;
}

static int option_set(int fd, __u32 option_id, __u32 object_id, __u64 val)
{
	return option(fd, option_id, IOMMU_OPTION_OP_SET, object_id, &val);
}

/* Returns the value, or -1 with errno set */
static long long option_get(int fd, __u32 option_id, __u32 object_id)
{
	__u64 val = 0xdeadbeef;

	if (option(fd, option_id, IOMMU_OPTION_OP_GET, object_id, &val))
		return -1;
	return val;
}

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
	int fd;
};

FIXTURE_SETUP(iommufd)
{
	self->fd = open(IOMMUFD_DEV, O_RDWR);
	ASSERT_LE(0, self->fd);
}

FIXTURE_TEARDOWN(iommufd)
{
	close(self->fd);
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
};

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
	int fd;
	__u32 ioas_id;
};

FIXTURE_SETUP(iommufd_ioas)
{
	self->fd = open(IOMMUFD_DEV, O_RDWR);
	ASSERT_LE(0, self->fd);
	ASSERT_EQ(0, ioas_alloc(self->fd, &self->ioas_id));
}

FIXTURE_TEARDOWN(iommufd_ioas)
{
	close(self->fd);
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
	ASSERT_EQ(getpagesize(), alignment);
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
	ASSERT_EQ(getpagesize(), alignment);
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

TEST_HARNESS_MAIN
