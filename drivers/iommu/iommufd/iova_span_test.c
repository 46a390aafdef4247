// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit tests of the span walk (iova_span.c) and of the allowed/reserved
 * rules of io_pagetable.c that userspace cannot reach yet (nothing
 * reserves IOVA before devices exist).
 *
 * Locking: the io_pagetables here are private to one test; the iopt_
 * functions take their lock as usual.
 */
#include <kunit/test.h>
#include <linux/interval_tree.h>

#include "io_pagetable.h"
#include "iova_span.h"

struct span_want {
	unsigned long start;
	unsigned long last;
	bool used;
};

/* Walk [start, last] of @itree and compare with @want, in order. */
static void span_expect(struct kunit *test, struct rb_root_cached *itree,
			unsigned long start, unsigned long last,
			const struct span_want *want, unsigned int nr_want)
{
	struct iova_span span;
	unsigned int i = 0;

	for_each_iova_span(&span, itree, start, last) {
		KUNIT_ASSERT_LT(test, i, nr_want);
		KUNIT_EXPECT_EQ(test, want[i].start, span.start);
		KUNIT_EXPECT_EQ(test, want[i].last, span.last);
		KUNIT_EXPECT_EQ(test, want[i].used, span.used);
		i++;
	}
	KUNIT_EXPECT_EQ(test, nr_want, i);
}

static void span_add(struct rb_root_cached *itree,
		     struct interval_tree_node *node, unsigned long start,
		     unsigned long last)
{
	node->start = start;
	node->last = last;
	interval_tree_insert(node, itree);
}

static void iova_span_test_empty(struct kunit *test)
{
	struct rb_root_cached itree = RB_ROOT_CACHED;
	const struct span_want all[] = { { 0, ULONG_MAX, false } };
	const struct span_want part[] = { { 10, 20, false } };

	span_expect(test, &itree, 0, ULONG_MAX, all, ARRAY_SIZE(all));
	span_expect(test, &itree, 10, 20, part, ARRAY_SIZE(part));
}

static void iova_span_test_merge(struct kunit *test)
{
	struct rb_root_cached itree = RB_ROOT_CACHED;
	struct interval_tree_node n[5];
	/* [10,19] and [20,29] touch, [15,40] overlaps both, [60,60] alone */
	const struct span_want want[] = {
		{ 0, 9, false },
		{ 10, 40, true },
		{ 41, 59, false },
		{ 60, 60, true },
		{ 61, 99, false },
	};
	/* A window starting and ending inside used spans is clipped. */
	const struct span_want clipped[] = {
		{ 12, 40, true },
		{ 41, 59, false },
		{ 60, 60, true },
	};

	span_add(&itree, &n[0], 20, 29);
	span_add(&itree, &n[1], 10, 19);
	span_add(&itree, &n[2], 15, 40);
	span_add(&itree, &n[3], 60, 60);
	span_add(&itree, &n[4], 12, 13);

	span_expect(test, &itree, 0, 99, want, ARRAY_SIZE(want));
	span_expect(test, &itree, 12, 60, clipped, ARRAY_SIZE(clipped));
}

static void iova_span_test_top_of_space(struct kunit *test)
{
	struct rb_root_cached itree = RB_ROOT_CACHED;
	struct interval_tree_node n[2];
	const struct span_want want[] = {
		{ 0, 0, true },
		{ 1, ULONG_MAX - 1, false },
		{ ULONG_MAX, ULONG_MAX, true },
	};

	span_add(&itree, &n[0], ULONG_MAX, ULONG_MAX);
	span_add(&itree, &n[1], 0, 0);
	span_expect(test, &itree, 0, ULONG_MAX, want, ARRAY_SIZE(want));
}

/* Usable ranges, collected for comparison */
struct usable_log {
	struct iopt_range_visitor visitor;
	struct span_want got[8];
	unsigned int nr;
};

static int usable_log_one(struct iopt_range_visitor *visitor,
			  unsigned long start, unsigned long last)
{
	struct usable_log *log = container_of(visitor, struct usable_log,
					      visitor);

	if (log->nr == ARRAY_SIZE(log->got))
		return -ENOSPC;
	log->got[log->nr].start = start;
	log->got[log->nr].last = last;
	log->nr++;
	return 0;
}

static void iopt_test_reserved_and_allowed(struct kunit *test)
{
	struct usable_log log = { .visitor.visit = usable_log_one };
	struct rb_root_cached allowed = RB_ROOT_CACHED;
	struct io_pagetable iopt;
	unsigned long alignment;
	int owner_a, owner_b;

	iopt_init(&iopt);

	KUNIT_EXPECT_EQ(test, -EINVAL, iopt_reserve_iova(&iopt, 2, 1, &owner_a));
	KUNIT_EXPECT_EQ(test, 0, iopt_reserve_iova(&iopt, 0x1000, 0x1fff,
						   &owner_a));
	/* Reserved ranges of different owners may overlap. */
	KUNIT_EXPECT_EQ(test, 0, iopt_reserve_iova(&iopt, 0x1800, 0x2fff,
						   &owner_b));
	KUNIT_EXPECT_EQ(test, 0, iopt_reserve_iova(&iopt, 0x8000, 0x8fff,
						   &owner_b));

	KUNIT_EXPECT_EQ(test, 0, iopt_visit_usable_ranges(&iopt, &log.visitor,
							  &alignment));
	KUNIT_EXPECT_EQ(test, PAGE_SIZE, alignment);
	KUNIT_ASSERT_EQ(test, 3U, log.nr);
	KUNIT_EXPECT_EQ(test, 0UL, log.got[0].start);
	KUNIT_EXPECT_EQ(test, 0xfffUL, log.got[0].last);
	KUNIT_EXPECT_EQ(test, 0x3000UL, log.got[1].start);
	KUNIT_EXPECT_EQ(test, 0x7fffUL, log.got[1].last);
	KUNIT_EXPECT_EQ(test, 0x9000UL, log.got[2].start);
	KUNIT_EXPECT_EQ(test, ULONG_MAX, log.got[2].last);

	/* An allowed set touching a reserved range is refused whole. */
	KUNIT_ASSERT_EQ(test, 0, iopt_allowed_add(&allowed, 0x4000, 0x4fff));
	KUNIT_ASSERT_EQ(test, 0, iopt_allowed_add(&allowed, 0x2f00, 0x2fff));
	KUNIT_EXPECT_EQ(test, -EINVAL,
			iopt_allowed_add(&allowed, 0x4800, 0x5fff));
	KUNIT_EXPECT_EQ(test, -EADDRINUSE, iopt_set_allowed(&iopt, &allowed));
	KUNIT_EXPECT_TRUE(test, RB_EMPTY_ROOT(&iopt.allowed_itree.rb_root));
	iopt_allowed_free(&allowed);

	/* Once owner_b's ranges are gone the same set is accepted. */
	iopt_remove_reserved_iova(&iopt, &owner_b);
	KUNIT_ASSERT_EQ(test, 0, iopt_allowed_add(&allowed, 0x4000, 0x4fff));
	KUNIT_ASSERT_EQ(test, 0, iopt_allowed_add(&allowed, 0x2f00, 0x2fff));
	KUNIT_EXPECT_EQ(test, 0, iopt_set_allowed(&iopt, &allowed));
	/* The caller got the previous (empty) set back. */
	KUNIT_EXPECT_TRUE(test, RB_EMPTY_ROOT(&allowed.rb_root));

	/* Now nothing may be reserved inside an allowed range. */
	KUNIT_EXPECT_EQ(test, -EADDRINUSE,
			iopt_reserve_iova(&iopt, 0x4fff, 0x5000, &owner_b));
	KUNIT_EXPECT_EQ(test, 0, iopt_reserve_iova(&iopt, 0x5000, 0x5fff,
						   &owner_b));

	iopt_remove_reserved_iova(&iopt, &owner_a);
	iopt_remove_reserved_iova(&iopt, &owner_b);
	KUNIT_EXPECT_TRUE(test, RB_EMPTY_ROOT(&iopt.reserved_itree.rb_root));
	iopt_destroy(&iopt);
}

static struct kunit_case iommufd_iova_test_cases[] = {
	KUNIT_CASE(iova_span_test_empty),
	KUNIT_CASE(iova_span_test_merge),
	KUNIT_CASE(iova_span_test_top_of_space),
	KUNIT_CASE(iopt_test_reserved_and_allowed),
	{}
};

static struct kunit_suite iommufd_iova_test_suite = {
	.name = "iommufd-iova",
	.test_cases = iommufd_iova_test_cases,
};

kunit_test_suite(iommufd_iova_test_suite);
