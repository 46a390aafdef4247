// SPDX-License-Identifier: GPL-2.0-only
/*
 * Tests of the /dev/iommu character device and its command dispatch.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/ioctl.h>
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

	ASSERT_LE(0, fd1);
	ASSERT_LE(0, fd2);
	ASSERT_NE(fd1, fd2);
	/* Closing one leaves the other usable. */
	ASSERT_EQ(0, close(fd1));
	EXPECT_EQ(-1, ioctl(fd2, CMD_BELOW_RANGE));
	EXPECT_EQ(ENOTTY, errno);
	ASSERT_EQ(0, close(fd2));
}

TEST(unknown_commands_are_enotty)
{
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

TEST_HARNESS_MAIN
