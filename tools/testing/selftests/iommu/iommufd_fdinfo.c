// SPDX-License-Identifier: GPL-2.0-only
/*
 * /proc/PID/fdinfo of a /dev/iommu file: what an administrator sees of a
 * context.
 *
 * After the lines every fdinfo file has, an iommufd file shows one line
 * for the context ("iommufd:\tcharge-mode=...") and one per object in ID
 * order, "TYPE:\tid=ID" followed by space-separated key=value pairs:
 *
 *   ioas:        areas mapped pinned domains accesses [charged]
 *   hwpt-paging: ioas auto nest-parent coherent iommu pasid devices
 *   hwpt-nested: parent viommu iommu pasid devices
 *   device:      dev group hwpt pasids
 *   access:      ioas pinned
 *   viommu:      type hwpt iommu
 *   vdevice:     viommu device virt-id
 *   veventq:     viommu type depth events
 *
 * At most 1000 objects are listed; a "truncated:\tshown=1000" line says
 * that more exist. Each test checks the lines exactly after every kind
 * of operation, that reading fdinfo never makes IOMMU_DESTROY fail, and
 * that /proc's ptrace rule decides who may read it.
 *
 * Needs root and CONFIG_IOMMUFD_TEST (mock devices and accesses).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/iommufd.h>

#include "../kselftest_harness.h"
#include "iommufd_utils.h"

#define BUF_SIZE (16 * SZ_4K)
#define IOVA MOCK_APERTURE_START
/* Room for the longest listing a test makes: 1000 objects */
#define INFO_SIZE (256 * 1024)

/* The whole of /proc/@pid/fdinfo/@fd in @info; its length, or -1 */
static ssize_t read_fdinfo(pid_t pid, int fd, char *info)
{
	ssize_t n, len = 0;
	char path[64];
	int f;

	snprintf(path, sizeof(path), "/proc/%d/fdinfo/%d", pid, fd);
	f = open(path, O_RDONLY);
	if (f < 0)
		return -1;
	while ((n = read(f, info + len, INFO_SIZE - 1 - len)) > 0)
		len += n;
	close(f);
	if (n < 0)
		return -1;
	info[len] = 0;
	return len;
}

/*
 * What follows "@type:\tid=@id" in our own fdinfo of @fd, without the
 * newline ("" when nothing does), in @rest; -1 when there is no such line.
 */
static int obj_line(int fd, const char *type, __u32 id, char *rest,
		    size_t size)
{
	static char info[INFO_SIZE];
	char head[64];
	char *p, *end;

	if (read_fdinfo(getpid(), fd, info) < 0)
		return -1;
	snprintf(head, sizeof(head), "\n%s:\tid=%u", type, id);
	for (p = strstr(info, head); p; p = strstr(p + 1, head)) {
		p += strlen(head);
		/* id=1 must not match the line of id=12 */
		if (*p == ' ' || *p == '\n')
			break;
	}
	if (!p)
		return -1;
	end = strchr(p, '\n');
	snprintf(rest, size, "%.*s", (int)(end - p), p);
	return 0;
}

/* How many lines of @info describe an object */
static int count_objects(const char *info)
{
	int n = 0;

	for (info = strstr(info, ":\tid="); info;
	     info = strstr(info + 1, ":\tid="))
		n++;
	return n;
}

/* The line of an IOAS with nothing pinned: areas, bytes mapped, domains */
#define UNPINNED " areas=%d mapped=%lu pinned=0 domains=%d accesses=0"

/*
 * In a test of the fixture: the fdinfo line of object @id of @type in
 * file @fd is exactly what the printf format and arguments give.
 */
#define ASSERT_LINE(fd, type, id, ...)                                       \
	do {                                                                 \
		ASSERT_EQ(0, obj_line(fd, type, id, self->line,              \
				      sizeof(self->line)));                  \
		snprintf(self->want, sizeof(self->want), __VA_ARGS__);       \
		ASSERT_STREQ(self->want, self->line);                        \
	} while (0)

/* What a thread reading fdinfo in a loop shares with the test */
struct reader {
	int fd;
	bool stop;		/* __atomic accesses */
	unsigned long reads;
};

/*
 * A context, a buffer of BUF_SIZE and an IOAS that maps it at IOVA; and
 * what a test opens or starts besides, which the teardown closes or
 * stops unless the test did (the files then read -1).
 */
FIXTURE(fdinfo) {
	long pins0;
	int fd;
	__u32 ioas_id;
	char *buf;
	char line[512];
	char want[512];
	int fd2;
	int access_fd;
	int evfd;
	struct reader reader;
	pthread_t reader_thread;
	bool reading;
};

FIXTURE_SETUP(fdinfo)
{
	self->pins0 = foll_pins();
	self->fd2 = -1;
	self->access_fd = -1;
	self->evfd = -1;
	self->fd = open(IOMMUFD_DEV, O_RDWR);
	ASSERT_LE(0, self->fd);
	if (!have_test_cmd(self->fd))
		SKIP(return, NO_TEST_CMD);
	self->buf = mmap(NULL, BUF_SIZE, PROT_READ | PROT_WRITE,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_NE(MAP_FAILED, self->buf);
	memset(self->buf, 0x5a, BUF_SIZE);
	ASSERT_EQ(0, ioas_alloc(self->fd, &self->ioas_id));
	ASSERT_EQ(0, ioas_map_fixed(self->fd, self->ioas_id, self->buf,
				    BUF_SIZE, IOVA));
}

/*
 * Close with whatever the test left live; then nothing may stay pinned.
 * No ASSERT here: after a failed ASSERT in the test, 6.1's harness would
 * jump back into the teardown from any further one.
 */
FIXTURE_TEARDOWN(fdinfo)
{
	int fd;

	/*
	 * A reader holds the file while it shows it: stopped first, or the
	 * release of the context could come from its thread, at any time.
	 */
	if (self->reading) {
		__atomic_store_n(&self->reader.stop, true, __ATOMIC_RELAXED);
		pthread_join(self->reader_thread, NULL);
	}
	if (self->evfd >= 0)
		close(self->evfd);
	if (self->access_fd >= 0)
		close(self->access_fd);
	if (self->fd2 >= 0)
		close(self->fd2);
	close(self->fd);
	if (self->buf) {
		fd = open(IOMMUFD_DEV, O_RDWR);
		EXPECT_LE(0, fd);
		EXPECT_EQ(0, md_check_refs(fd, self->buf, BUF_SIZE, 0));
		close(fd);
		munmap(self->buf, BUF_SIZE);
	}
	EXPECT_PINS_RELEASED(self->pins0);
}

/* A new context: the context line and no object; the charge mode follows */
TEST_F(fdinfo, empty_context)
{
	static char info[INFO_SIZE];
	int fd = open(IOMMUFD_DEV, O_RDWR);

	ASSERT_LE(0, fd);
	ASSERT_LT(0, read_fdinfo(getpid(), fd, info));
	/* The VFS's own lines come first. */
	ASSERT_EQ(0, strncmp(info, "pos:\t0\n", 7));
	ASSERT_NE(NULL, strstr(info, "\niommufd:\tcharge-mode=user\n"));
	ASSERT_EQ(0, count_objects(info));

	ASSERT_EQ(0, option_set(fd, IOMMU_OPTION_RLIMIT_MODE, 0, 1));
	ASSERT_LT(0, read_fdinfo(getpid(), fd, info));
	ASSERT_NE(NULL, strstr(info, "\niommufd:\tcharge-mode=mm\n"));
	close(fd);
}

/*
 * An IOAS through map, a device (pinning on demand), unmap and the
 * device leaving: areas, bytes, pinned pages and who pays for them.
 */
TEST_F(fdinfo, ioas_map_attach_unmap)
{
	long pages = BUF_SIZE / sysconf(_SC_PAGESIZE);
	__u32 stdev_id, hwpt_id, idev_id, ioas2;

	/* Mapped but not pinned: no domain needs the pages yet. */
	ASSERT_LINE(self->fd, "ioas", self->ioas_id, UNPINNED, 1, BUF_SIZE, 0);

	ASSERT_EQ(0, ioas_alloc(self->fd, &ioas2));
	ASSERT_LINE(self->fd, "ioas", ioas2, UNPINNED, 0, 0UL, 0);

	/* A device pins everything, charged to the mapping user (root). */
	ASSERT_EQ(0, mock_domain(self->fd, self->ioas_id, &stdev_id, &hwpt_id,
				 &idev_id));
	ASSERT_LINE(self->fd, "ioas", self->ioas_id,
		    " areas=1 mapped=%lu pinned=%ld domains=1 accesses=0 charged=uid:0",
		    BUF_SIZE, pages);

	/* Two areas: the buffer mapped again, elsewhere. */
	ASSERT_EQ(0, ioas_map_fixed(self->fd, self->ioas_id, self->buf,
				    BUF_SIZE, IOVA + BUF_SIZE));
	ASSERT_LINE(self->fd, "ioas", self->ioas_id,
		    " areas=2 mapped=%lu pinned=%ld domains=1 accesses=0 charged=uid:0",
		    2 * BUF_SIZE, 2 * pages);

	/* Everything unmapped: nothing left pinned. */
	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas_id, 0, UINT64_MAX, NULL));
	ASSERT_LINE(self->fd, "ioas", self->ioas_id, UNPINNED, 0, 0UL, 1);

	/* The device gone, its automatic HWPT and its lines go too. */
	ASSERT_EQ(0, destroy(self->fd, stdev_id));
	ASSERT_EQ(-1, obj_line(self->fd, "device", idev_id, self->line,
			       sizeof(self->line)));
	ASSERT_EQ(-1, obj_line(self->fd, "hwpt-paging", hwpt_id, self->line,
			       sizeof(self->line)));
	ASSERT_LINE(self->fd, "ioas", self->ioas_id, UNPINNED, 0, 0UL, 0);
}

/* With RLIMIT_MODE 1 the pages are charged to the process, by PID */
TEST_F(fdinfo, charged_to_process)
{
	long pages = BUF_SIZE / sysconf(_SC_PAGESIZE);
	__u32 ioas_id;
	int fd;

	fd = open(IOMMUFD_DEV, O_RDWR);
	self->fd2 = fd;
	ASSERT_LE(0, fd);
	ASSERT_EQ(0, option_set(fd, IOMMU_OPTION_RLIMIT_MODE, 0, 1));
	ASSERT_EQ(0, ioas_alloc(fd, &ioas_id));
	ASSERT_EQ(0, ioas_map_fixed(fd, ioas_id, self->buf, BUF_SIZE, IOVA));
	ASSERT_EQ(0, mock_domain(fd, ioas_id, NULL, NULL, NULL));
	ASSERT_LINE(fd, "ioas", ioas_id,
		    " areas=1 mapped=%lu pinned=%ld domains=1 accesses=0 charged=pid:%d",
		    BUF_SIZE, pages, getpid());
	self->fd2 = -1;
	close(fd);
}

/*
 * Another user maps into the same IOAS, through the inherited file: the
 * pinned pages have two payers, which the IOAS line says.
 */
TEST_F(fdinfo, charged_mixed)
{
	long pages = BUF_SIZE / sysconf(_SC_PAGESIZE);
	pid_t pid;

	ASSERT_EQ(0, mock_domain(self->fd, self->ioas_id, NULL, NULL, NULL));
	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		char *buf2 = mmap(NULL, BUF_SIZE, PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (buf2 == MAP_FAILED || become_nobody(SZ_1M))
			_exit(1);
		memset(buf2, 1, BUF_SIZE);
		_exit(ioas_map_fixed(self->fd, self->ioas_id, buf2, BUF_SIZE,
				     IOVA + BUF_SIZE) ? 2 : 0);
	}
	ASSERT_EQ(0, wait_child(pid));
	ASSERT_LINE(self->fd, "ioas", self->ioas_id,
		    " areas=2 mapped=%lu pinned=%ld domains=1 accesses=0 charged=mixed",
		    2 * BUF_SIZE, 2 * pages);

	/* The other user's area gone, one payer is left. */
	ASSERT_EQ(0, ioas_unmap(self->fd, self->ioas_id, IOVA + BUF_SIZE,
				BUF_SIZE, NULL));
	ASSERT_LINE(self->fd, "ioas", self->ioas_id,
		    " areas=1 mapped=%lu pinned=%ld domains=1 accesses=0 charged=uid:0",
		    BUF_SIZE, pages);
}

/* The device and HWPT lines: what is attached where, RID and PASID */
TEST_F(fdinfo, device_and_hwpt)
{
	__u32 stdev_id, hwpt_id, idev_id, pasid_hwpt, rid_hwpt;
	unsigned int mock_nr, coherent;
	int group, n;
	char tail[128];

	ASSERT_EQ(0, mock_domain_flags(self->fd, self->ioas_id,
				       MOCK_FLAGS_DEVICE_PASID, &stdev_id,
				       &hwpt_id, &idev_id));

	/* The device: its name, group, RID's HWPT and no PASID. */
	ASSERT_EQ(0, obj_line(self->fd, "device", idev_id, self->line,
			      sizeof(self->line)));
	n = sscanf(self->line, " dev=iommufd_mock%u group=%d %127[^\n]",
		   &mock_nr, &group, tail);
	ASSERT_EQ(3, n);
	snprintf(self->want, sizeof(self->want), "hwpt=%u pasids=", hwpt_id);
	ASSERT_STREQ(self->want, tail);

	/*
	 * The automatic HWPT: its IOAS, the mock IOMMU and the device; that
	 * of a PASID-capable device can serve PASIDs.
	 */
	ASSERT_EQ(0, obj_line(self->fd, "hwpt-paging", hwpt_id, self->line,
			      sizeof(self->line)));
	n = sscanf(self->line, " ioas=%*u auto=1 nest-parent=0 coherent=%u",
		   &coherent);
	ASSERT_EQ(1, n);
	snprintf(self->want, sizeof(self->want),
		 " ioas=%u auto=1 nest-parent=0 coherent=%u iommu=iommufd_mock pasid=1 devices=%u",
		 self->ioas_id, coherent, idev_id);
	ASSERT_STREQ(self->want, self->line);

	/* HWPTs of their own for the RID and for PASID 7. */
	ASSERT_EQ(0, hwpt_alloc_paging(self->fd, idev_id, self->ioas_id,
				       IOMMU_HWPT_ALLOC_PASID, &rid_hwpt));
	ASSERT_EQ(0, mock_domain_replace(self->fd, stdev_id, rid_hwpt, NULL));
	/* The automatic HWPT went with its last device (its ID is free). */
	ASSERT_EQ(-1, obj_line(self->fd, "hwpt-paging", hwpt_id, self->line,
			       sizeof(self->line)));
	ASSERT_EQ(0, hwpt_alloc_paging(self->fd, idev_id, self->ioas_id,
				       IOMMU_HWPT_ALLOC_PASID, &pasid_hwpt));
	ASSERT_EQ(0, pasid_attach(self->fd, stdev_id, 7, pasid_hwpt, NULL));

	ASSERT_LINE(self->fd, "device", idev_id,
		    " dev=iommufd_mock%u group=%d hwpt=%u pasids=7:%u",
		    mock_nr, group, rid_hwpt, pasid_hwpt);
	ASSERT_LINE(self->fd, "hwpt-paging", pasid_hwpt,
		    " ioas=%u auto=0 nest-parent=0 coherent=%u iommu=iommufd_mock pasid=1 devices=%u/7",
		    self->ioas_id, coherent, idev_id);

	/* PASID detached: the HWPT lists nobody, the device no PASID. */
	ASSERT_EQ(0, pasid_detach(self->fd, stdev_id, 7));
	ASSERT_LINE(self->fd, "hwpt-paging", pasid_hwpt,
		    " ioas=%u auto=0 nest-parent=0 coherent=%u iommu=iommufd_mock pasid=1 devices=",
		    self->ioas_id, coherent);
	ASSERT_LINE(self->fd, "device", idev_id,
		    " dev=iommufd_mock%u group=%d hwpt=%u pasids=",
		    mock_nr, group, rid_hwpt);
}

/* Nested HWPT, vIOMMU, vDEVICE and vEVENTQ lines */
TEST_F(fdinfo, nesting_objects)
{
	__u32 stdev_id, idev_id, parent_id, nested_id, viommu_id, vdev_id;
	__u32 veventq_id;

	ASSERT_EQ(0, mock_domain(self->fd, self->ioas_id, &stdev_id, NULL,
				 &idev_id));
	ASSERT_EQ(0, hwpt_alloc_paging(self->fd, idev_id, self->ioas_id,
				       IOMMU_HWPT_ALLOC_NEST_PARENT,
				       &parent_id));
	ASSERT_EQ(0, hwpt_alloc_nested(self->fd, idev_id, parent_id, 0,
				       IOMMU_TEST_IOTLB_DEFAULT, &nested_id));
	ASSERT_EQ(0, viommu_alloc(self->fd, idev_id, parent_id,
				  IOMMU_VIOMMU_TYPE_SELFTEST, NULL, 0,
				  &viommu_id));
	ASSERT_EQ(0, vdevice_alloc(self->fd, viommu_id, idev_id, 0x99,
				   &vdev_id));
	ASSERT_EQ(0, veventq_alloc(self->fd, viommu_id,
				   IOMMU_VEVENTQ_TYPE_SELFTEST, 4, &veventq_id,
				   &self->evfd));

	ASSERT_LINE(self->fd, "hwpt-nested", nested_id,
		    " parent=%u viommu=0 iommu=iommufd_mock pasid=0 devices=",
		    parent_id);
	ASSERT_LINE(self->fd, "viommu", viommu_id,
		    " type=%u hwpt=%u iommu=iommufd_mock",
		    IOMMU_VIOMMU_TYPE_SELFTEST, parent_id);
	ASSERT_LINE(self->fd, "vdevice", vdev_id,
		    " viommu=%u device=%u virt-id=153",
		    viommu_id, idev_id);

	/* An event waits in the queue until it is read. */
	ASSERT_EQ(0, trigger_vevent(self->fd, idev_id));
	ASSERT_LINE(self->fd, "veventq", veventq_id,
		    " viommu=%u type=%u depth=4 events=1",
		    viommu_id, IOMMU_VEVENTQ_TYPE_SELFTEST);

	/* The device moves onto the nested HWPT. */
	ASSERT_EQ(0, mock_domain_replace(self->fd, stdev_id, nested_id, NULL));
	ASSERT_LINE(self->fd, "hwpt-nested", nested_id,
		    " parent=%u viommu=0 iommu=iommufd_mock pasid=0 devices=%u",
		    parent_id, idev_id);
	close(self->evfd);
	self->evfd = -1;
}

/* An access: the IOAS it is on, and what it pins */
TEST_F(fdinfo, access_pins)
{
	static char info[INFO_SIZE];
	__u32 pages_id;
	int access_fd;
	char *p;

	ASSERT_EQ(0, create_access(self->fd, self->ioas_id,
				   MOCK_FLAGS_ACCESS_CREATE_NEEDS_PIN_PAGES,
				   &access_fd));
	self->access_fd = access_fd;
	ASSERT_EQ(0, access_pages(self->fd, access_fd, IOVA, 2 * SZ_4K,
				  self->buf, 0, &pages_id));
	ASSERT_LT(0, read_fdinfo(getpid(), self->fd, info));
	p = strstr(info, "\naccess:\tid=");
	ASSERT_NE(NULL, p);
	snprintf(self->want, sizeof(self->want), " ioas=%u pinned=%lu\n",
		 self->ioas_id, 2 * SZ_4K / sysconf(_SC_PAGESIZE));
	p = strchr(p + 1, ' ');
	ASSERT_EQ(0, strncmp(self->want, p, strlen(self->want)));

	/* The IOAS counts the access; its areas pin nothing themselves. */
	ASSERT_LINE(self->fd, "ioas", self->ioas_id,
		    " areas=1 mapped=%lu pinned=0 domains=0 accesses=1",
		    BUF_SIZE);

	ASSERT_EQ(0, destroy_access_pages(self->fd, access_fd, pages_id));
	ASSERT_LT(0, read_fdinfo(getpid(), self->fd, info));
	snprintf(self->want, sizeof(self->want), " ioas=%u pinned=0\n",
		 self->ioas_id);
	p = strchr(strstr(info, "\naccess:\tid=") + 1, ' ');
	ASSERT_EQ(0, strncmp(self->want, p, strlen(self->want)));
	self->access_fd = -1;
	close(access_fd);
	/* The access went with its file. */
	ASSERT_LT(0, read_fdinfo(getpid(), self->fd, info));
	ASSERT_EQ(NULL, strstr(info, "\naccess:\t"));
}

/* More than 1000 objects: the first 1000 and a line saying so */
TEST_F(fdinfo, truncated)
{
	static char info[INFO_SIZE];
	__u32 id = 0;
	int i;

	/* The fixture's IOAS is the first; 1000 more. */
	for (i = 0; i != 1000; i++)
		ASSERT_EQ(0, ioas_alloc(self->fd, &id));
	ASSERT_LT(0, read_fdinfo(getpid(), self->fd, info));
	ASSERT_EQ(1000, count_objects(info));
	ASSERT_NE(NULL, strstr(info, "\ntruncated:\tshown=1000\n"));
	/* The last object is not listed, the first one is. */
	snprintf(self->want, sizeof(self->want), "\nioas:\tid=%u ", id);
	ASSERT_EQ(NULL, strstr(info, self->want));

	/* Exactly 1000 is no truncation. */
	ASSERT_EQ(0, destroy(self->fd, id));
	ASSERT_LT(0, read_fdinfo(getpid(), self->fd, info));
	ASSERT_EQ(1000, count_objects(info));
	ASSERT_EQ(NULL, strstr(info, "\ntruncated:"));
}

/*
 * As /proc rules say: the owner and root read it, another user does not
 * (EACCES). A forked child shares the context and sees the same lines.
 */
TEST_F(fdinfo, permissions_and_fork)
{
	static char info[INFO_SIZE];
	pid_t parent = getpid();
	pid_t pid;

	pid = fork();
	ASSERT_LE(0, pid);
	if (!pid) {
		char line[512];

		/* Root reads its parent's; the inherited file shows the IOAS. */
		if (read_fdinfo(parent, self->fd, info) < 0 ||
		    !strstr(info, "\nioas:\tid="))
			_exit(1);
		if (obj_line(self->fd, "ioas", self->ioas_id, line,
			     sizeof(line)))
			_exit(2);
		if (become_nobody(0))
			_exit(3);
		/* Another user may not read root's process... */
		if (read_fdinfo(parent, self->fd, info) != -1 ||
		    errno != EACCES)
			_exit(4);
		/* ...but its own, which holds the same file. */
		if (obj_line(self->fd, "ioas", self->ioas_id, line,
			     sizeof(line)))
			_exit(5);
		_exit(0);
	}
	ASSERT_EQ(0, wait_child(pid));
}

static void *read_loop(void *arg)
{
	static char info[INFO_SIZE];
	struct reader *r = arg;

	while (!__atomic_load_n(&r->stop, __ATOMIC_RELAXED)) {
		if (read_fdinfo(getpid(), r->fd, info) < 0)
			return (void *)1;
		r->reads++;
	}
	return NULL;
}

/*
 * fdinfo takes no reference on what it shows: objects created and
 * destroyed while another thread reads it in a loop are never refused
 * with EBUSY, and devices come and go under it.
 */
TEST_F(fdinfo, destroy_while_reading)
{
	struct reader *r = &self->reader;
	__u32 ioas_id, stdev_id, hwpt_id, idev_id;
	void *ret;
	int i;

	r->fd = self->fd;
	ASSERT_EQ(0, pthread_create(&self->reader_thread, NULL, read_loop,
				    r));
	self->reading = true;
	for (i = 0; i != 200; i++) {
		ASSERT_EQ(0, ioas_alloc(self->fd, &ioas_id));
		ASSERT_EQ(0, ioas_map_fixed(self->fd, ioas_id, self->buf,
					    BUF_SIZE, IOVA));
		ASSERT_EQ(0, mock_domain(self->fd, ioas_id, &stdev_id,
					 NULL, &idev_id));
		ASSERT_EQ(0, hwpt_alloc_paging(self->fd, idev_id, ioas_id, 0,
					       &hwpt_id));
		ASSERT_EQ(0, destroy(self->fd, hwpt_id));
		ASSERT_EQ(0, destroy(self->fd, stdev_id));
		ASSERT_EQ(0, destroy(self->fd, ioas_id));
	}
	__atomic_store_n(&r->stop, true, __ATOMIC_RELAXED);
	self->reading = false;
	ASSERT_EQ(0, pthread_join(self->reader_thread, &ret));
	ASSERT_EQ(NULL, ret);
	ASSERT_LT(0, r->reads);
}

TEST_HARNESS_MAIN
