// SPDX-License-Identifier: GPL-2.0-only
/*
 * KUnit tests of the span walk and the free-range search (iova_span.c)
 * and of the allowed/reserved/area rules of io_pagetable.c that
 * userspace cannot reach yet (nothing reserves IOVA before devices
 * exist).
 *
 * Locking: the io_pagetables here are private to one test; the iopt_
 * functions take their lock as usual.
 */
#include <kunit/test.h>
#include <linux/interval_tree.h>
#include <linux/slab.h>

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

/* Walk [start, last] of the union of two trees and compare with @want. */
static void span_expect_union(struct kunit *test, struct rb_root_cached *a,
			      struct rb_root_cached *b, unsigned long start,
			      unsigned long last, const struct span_want *want,
			      unsigned int nr_want)
{
	struct iova_span span;
	unsigned int i = 0;

	for_each_iova_span_union(&span, a, b, start, last) {
		KUNIT_ASSERT_LT(test, i, nr_want);
		KUNIT_EXPECT_EQ(test, want[i].start, span.start);
		KUNIT_EXPECT_EQ(test, want[i].last, span.last);
		KUNIT_EXPECT_EQ(test, want[i].used, span.used);
		i++;
	}
	KUNIT_EXPECT_EQ(test, nr_want, i);
}

static void iova_span_test_union(struct kunit *test)
{
	struct rb_root_cached a = RB_ROOT_CACHED, b = RB_ROOT_CACHED;
	struct rb_root_cached empty = RB_ROOT_CACHED;
	struct interval_tree_node na[3], nb[3];
	/*
	 * a: [10,19] [40,49] [90,99]; b: [20,29] (touches a), [45,60]
	 * (overlaps a and reaches past it), [70,70]
	 */
	const struct span_want want[] = {
		{ 0, 9, false },
		{ 10, 29, true },
		{ 30, 39, false },
		{ 40, 60, true },
		{ 61, 69, false },
		{ 70, 70, true },
		{ 71, 89, false },
		{ 90, 99, true },
		{ 100, 120, false },
	};
	const struct span_want only_a[] = {
		{ 5, 9, false },
		{ 10, 19, true },
		{ 20, 25, false },
	};

	span_add(&a, &na[0], 10, 19);
	span_add(&a, &na[1], 40, 49);
	span_add(&a, &na[2], 90, 99);
	span_add(&b, &nb[0], 20, 29);
	span_add(&b, &nb[1], 45, 60);
	span_add(&b, &nb[2], 70, 70);

	span_expect_union(test, &a, &b, 0, 120, want, ARRAY_SIZE(want));
	/* Either argument order gives the same answer. */
	span_expect_union(test, &b, &a, 0, 120, want, ARRAY_SIZE(want));
	/* An empty or missing second tree is the plain walk. */
	span_expect_union(test, &a, &empty, 5, 25, only_a, ARRAY_SIZE(only_a));
	span_expect_union(test, &a, NULL, 5, 25, only_a, ARRAY_SIZE(only_a));
}

static void iova_span_test_find_free(struct kunit *test)
{
	struct rb_root_cached a = RB_ROOT_CACHED, b = RB_ROOT_CACHED;
	struct interval_tree_node na[2], nb[1];
	unsigned long found = 0xdead;

	/* Empty: the lowest aligned address of the window */
	KUNIT_EXPECT_TRUE(test, iova_span_find_free(&a, &b, 0, ULONG_MAX,
						    0x1000, 0x1000, &found));
	KUNIT_EXPECT_EQ(test, 0UL, found);
	KUNIT_EXPECT_TRUE(test, iova_span_find_free(&a, &b, 0x1001, ULONG_MAX,
						    0x1000, 0x1000, &found));
	KUNIT_EXPECT_EQ(test, 0x2000UL, found);

	/* used: a [0x0,0x0fff] [0x3000,0x3fff], b [0x1000,0x1fff] */
	span_add(&a, &na[0], 0, 0xfff);
	span_add(&a, &na[1], 0x3000, 0x3fff);
	span_add(&b, &nb[0], 0x1000, 0x1fff);

	/* The one-page hole at 0x2000 fits one page only */
	KUNIT_EXPECT_TRUE(test, iova_span_find_free(&a, &b, 0, ULONG_MAX,
						    0x1000, 0x1000, &found));
	KUNIT_EXPECT_EQ(test, 0x2000UL, found);
	KUNIT_EXPECT_TRUE(test, iova_span_find_free(&a, &b, 0, ULONG_MAX,
						    0x2000, 0x1000, &found));
	KUNIT_EXPECT_EQ(test, 0x4000UL, found);
	/* Alignment skips free space below the aligned start */
	KUNIT_EXPECT_TRUE(test, iova_span_find_free(&a, &b, 0, ULONG_MAX,
						    0x1000, 0x8000, &found));
	KUNIT_EXPECT_EQ(test, 0x8000UL, found);
	/* Without b the hole at 0x1000 is two pages */
	KUNIT_EXPECT_TRUE(test, iova_span_find_free(&a, NULL, 0, ULONG_MAX,
						    0x2000, 0x1000, &found));
	KUNIT_EXPECT_EQ(test, 0x1000UL, found);

	/* A window too small, or fully used, has no room */
	found = 0xdead;
	KUNIT_EXPECT_FALSE(test, iova_span_find_free(&a, &b, 0, 0x3fff,
						     0x2000, 0x1000, &found));
	KUNIT_EXPECT_FALSE(test, iova_span_find_free(&a, &b, 0, 0x1fff,
						     0x1, 0x1, &found));
	KUNIT_EXPECT_EQ(test, 0xdeadUL, found);

	/* The very top of the address space, and alignment that wraps */
	KUNIT_EXPECT_TRUE(test, iova_span_find_free(&a, &b, ULONG_MAX - 0xfff,
						    ULONG_MAX, 0x1000, 0x1000,
						    &found));
	KUNIT_EXPECT_EQ(test, ULONG_MAX - 0xfff, found);
	KUNIT_EXPECT_FALSE(test, iova_span_find_free(&a, &b, ULONG_MAX - 0xffe,
						     ULONG_MAX, 0x1, 0x1000,
						     &found));
}

static void iopt_test_reserved_and_allowed(struct kunit *test)
{
	struct rb_root_cached allowed = RB_ROOT_CACHED;
	struct io_pagetable iopt;
	struct iopt_range *got;
	unsigned long alignment;
	int owner_a, owner_b;
	unsigned int nr;

	iopt_init(&iopt);

	KUNIT_EXPECT_EQ(test, -EINVAL, iopt_reserve_iova(&iopt, 2, 1, &owner_a));
	KUNIT_EXPECT_EQ(test, 0, iopt_reserve_iova(&iopt, 0x1000, 0x1fff,
						   &owner_a));
	/* Reserved ranges of different owners may overlap. */
	KUNIT_EXPECT_EQ(test, 0, iopt_reserve_iova(&iopt, 0x1800, 0x2fff,
						   &owner_b));
	KUNIT_EXPECT_EQ(test, 0, iopt_reserve_iova(&iopt, 0x8000, 0x8fff,
						   &owner_b));

	KUNIT_ASSERT_EQ(test, 0, iopt_get_usable_ranges(&iopt, &got, &nr,
							&alignment));
	/* Nothing attached: any byte may be mapped */
	KUNIT_EXPECT_EQ(test, 1UL, alignment);
	KUNIT_ASSERT_EQ(test, 3U, nr);
	KUNIT_EXPECT_EQ(test, 0UL, got[0].start);
	KUNIT_EXPECT_EQ(test, 0xfffUL, got[0].last);
	KUNIT_EXPECT_EQ(test, 0x3000UL, got[1].start);
	KUNIT_EXPECT_EQ(test, 0x7fffUL, got[1].last);
	KUNIT_EXPECT_EQ(test, 0x9000UL, got[2].start);
	KUNIT_EXPECT_EQ(test, ULONG_MAX, got[2].last);
	kvfree(got);

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

/*
 * A range holding a mapping cannot be reserved. Areas normally come from
 * pinning user memory, which a KUnit thread has none of, so a bare node
 * stands in for one and leaves before the io_pagetable is destroyed.
 */
static void iopt_test_reserve_over_area(struct kunit *test)
{
	struct iopt_area area = {};
	struct io_pagetable iopt;
	int owner;

	iopt_init(&iopt);
	area.node.start = 0x10000;
	area.node.last = 0x1ffff;
	down_write(&iopt.lock);
	interval_tree_insert(&area.node, &iopt.area_itree);
	up_write(&iopt.lock);

	KUNIT_EXPECT_EQ(test, -EADDRINUSE,
			iopt_reserve_iova(&iopt, 0x1f000, 0x20fff, &owner));
	KUNIT_EXPECT_EQ(test, -EADDRINUSE,
			iopt_reserve_iova(&iopt, 0, ULONG_MAX, &owner));
	KUNIT_EXPECT_EQ(test, 0, iopt_reserve_iova(&iopt, 0x20000, 0x20fff,
						   &owner));
	KUNIT_EXPECT_EQ(test, 0, iopt_reserve_iova(&iopt, 0xf000, 0xffff,
						   &owner));

	down_write(&iopt.lock);
	interval_tree_remove(&area.node, &iopt.area_itree);
	iopt_remove_reserved_iova_locked(&iopt, &owner);
	up_write(&iopt.lock);
	iopt_destroy(&iopt);
}

/*
 * Where new areas may go: fixed ranges against reserved ranges and
 * areas, and the IOVAs the kernel picks, with a bare node standing in
 * for an area as above.
 */
static void iopt_test_place_area(struct kunit *test)
{
	struct rb_root_cached allowed = RB_ROOT_CACHED;
	struct iopt_area area = {};
	struct io_pagetable iopt;
	unsigned long iova;
	int owner;

	iopt_init(&iopt);
	down_write(&iopt.lock);
	KUNIT_ASSERT_EQ(test, 0, iopt_reserve_iova_locked(&iopt, 0, 0xffff,
							  &owner));
	area.node.start = 0x20000;
	area.node.last = 0x2ffff;
	interval_tree_insert(&area.node, &iopt.area_itree);

	/* Fixed: reserved is EINVAL, an area EEXIST, touching is fine */
	KUNIT_EXPECT_EQ(test, -EINVAL,
			iopt_check_fixed_iova_locked(&iopt, 0xf000, 0x2000));
	KUNIT_EXPECT_EQ(test, -EEXIST,
			iopt_check_fixed_iova_locked(&iopt, 0x2f000, 0x2000));
	KUNIT_EXPECT_EQ(test, -EINVAL,
			iopt_check_fixed_iova_locked(&iopt, 0, ULONG_MAX));
	KUNIT_EXPECT_EQ(test, 0,
			iopt_check_fixed_iova_locked(&iopt, 0x10000, 0x10000));
	KUNIT_EXPECT_EQ(test, 0,
			iopt_check_fixed_iova_locked(&iopt, 0x30000, 0x1000));

	/* Picked: above the reserved range, around the area */
	KUNIT_EXPECT_EQ(test, 0, iopt_alloc_iova_locked(&iopt, &iova, 0x1000,
							0x1000));
	KUNIT_EXPECT_EQ(test, 0x10000UL, iova);
	/* 64 KiB-aligned user address and length: the hole before fits */
	KUNIT_EXPECT_EQ(test, 0, iopt_alloc_iova_locked(&iopt, &iova, 0x10000,
							0x10000));
	KUNIT_EXPECT_EQ(test, 0x10000UL, iova);
	/* 128 KiB alignment skips to 0x40000 */
	KUNIT_EXPECT_EQ(test, 0, iopt_alloc_iova_locked(&iopt, &iova, 0,
							0x20000));
	KUNIT_EXPECT_EQ(test, 0x40000UL, iova);
	/* The user address caps the alignment */
	KUNIT_EXPECT_EQ(test, 0, iopt_alloc_iova_locked(&iopt, &iova, 0x3000,
							0x20000));
	KUNIT_EXPECT_EQ(test, 0x30000UL, iova);
	up_write(&iopt.lock);

	/* Only inside allowed ranges once there are some */
	KUNIT_ASSERT_EQ(test, 0, iopt_allowed_add(&allowed, 0x24000, 0x37fff));
	KUNIT_ASSERT_EQ(test, 0, iopt_set_allowed(&iopt, &allowed));
	down_write(&iopt.lock);
	KUNIT_EXPECT_EQ(test, 0, iopt_alloc_iova_locked(&iopt, &iova, 0x1000,
							0x8000));
	KUNIT_EXPECT_EQ(test, 0x30000UL, iova);
	KUNIT_EXPECT_EQ(test, -ENOSPC,
			iopt_alloc_iova_locked(&iopt, &iova, 0x1000, 0x9000));
	/* A fixed range outside them is still fine */
	KUNIT_EXPECT_EQ(test, 0,
			iopt_check_fixed_iova_locked(&iopt, 0x100000, 0x1000));

	interval_tree_remove(&area.node, &iopt.area_itree);
	iopt_remove_reserved_iova_locked(&iopt, &owner);
	up_write(&iopt.lock);
	iopt_destroy(&iopt);
}

/*
 * Kernel-chosen IOVAs start their search at the floor, below which
 * nothing is free: it climbs as areas are packed in, and falls again as
 * soon as a range below it is freed, so the answers are those of a
 * search from 0.
 */
static void iopt_test_alloc_floor(struct kunit *test)
{
	const unsigned int nr = 16;
	struct iopt_area *areas;
	struct io_pagetable iopt;
	unsigned long iova;
	unsigned int i;
	int owner;

	areas = kunit_kcalloc(test, nr, sizeof(*areas), GFP_KERNEL);
	KUNIT_ASSERT_NOT_NULL(test, areas);
	iopt_init(&iopt);
	down_write(&iopt.lock);
	KUNIT_ASSERT_EQ(test, 0, iopt_reserve_iova_locked(&iopt, 0, 0xffff,
							  &owner));
	for (i = 0; i < nr; i++) {
		KUNIT_ASSERT_EQ(test, 0, iopt_alloc_iova_locked(&iopt, &iova,
								0x1000,
								0x1000));
		KUNIT_EXPECT_EQ(test, 0x10000UL + i * 0x1000UL, iova);
		/* The floor is the hole this one took, so the walk is short */
		KUNIT_EXPECT_EQ(test, iova, iopt.alloc_floor);
		areas[i].node.start = iova;
		areas[i].node.last = iova + 0xfff;
		interval_tree_insert(&areas[i].node, &iopt.area_itree);
	}

	/* Freeing the reserved range below lowers the floor to 0 */
	iopt_remove_reserved_iova_locked(&iopt, &owner);
	KUNIT_EXPECT_EQ(test, 0UL, iopt.alloc_floor);
	KUNIT_ASSERT_EQ(test, 0, iopt_alloc_iova_locked(&iopt, &iova, 0x1000,
							0x1000));
	KUNIT_EXPECT_EQ(test, 0UL, iova);

	/* A larger, aligned request skips the small holes below it */
	KUNIT_ASSERT_EQ(test, 0, iopt_reserve_iova_locked(&iopt, 0, 0xffff,
							  &owner));
	KUNIT_ASSERT_EQ(test, 0, iopt_alloc_iova_locked(&iopt, &iova, 0,
							0x10000));
	KUNIT_EXPECT_EQ(test, 0x20000UL, iova);
	KUNIT_EXPECT_EQ(test, 0x20000UL, iopt.alloc_floor);

	for (i = 0; i < nr; i++)
		interval_tree_remove(&areas[i].node, &iopt.area_itree);
	iopt_remove_reserved_iova_locked(&iopt, &owner);
	up_write(&iopt.lock);
	iopt_destroy(&iopt);
}

static struct kunit_case iommufd_iova_test_cases[] = {
	KUNIT_CASE(iova_span_test_empty),
	KUNIT_CASE(iova_span_test_merge),
	KUNIT_CASE(iova_span_test_top_of_space),
	KUNIT_CASE(iova_span_test_union),
	KUNIT_CASE(iova_span_test_find_free),
	KUNIT_CASE(iopt_test_reserved_and_allowed),
	KUNIT_CASE(iopt_test_reserve_over_area),
	KUNIT_CASE(iopt_test_place_area),
	KUNIT_CASE(iopt_test_alloc_floor),
	{}
};

static struct kunit_suite iommufd_iova_test_suite = {
	.name = "iommufd-iova",
	.test_cases = iommufd_iova_test_cases,
};

kunit_test_suite(iommufd_iova_test_suite);
