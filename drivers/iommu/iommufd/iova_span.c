// SPDX-License-Identifier: GPL-2.0-only
/*
 * Span walk over an interval tree; see iova_span.h for the contract.
 *
 * Each step is a fresh query for the lowest node reaching into
 * [next, window_last]. If that node starts after @next, the step is a
 * hole up to just before it. Otherwise the step is a used span, grown
 * while some node starts at or before the address just past its end.
 * Every query is O(log n) and no node pointer survives a step. With two
 * trees each query asks both and keeps the lower-starting answer, which
 * is all the merging the union needs.
 *
 * iova_span_find_free() is the IOVA allocator's search built on the
 * walk: the lowest aligned start of a free range of a given length.
 *
 * No locking of its own: the caller keeps the tree stable, with a lock it
 * may sleep under, since long walks give up the CPU now and then.
 */
#include <linux/interval_tree.h>
#include <linux/kernel.h>
#include <linux/log2.h>
#include <linux/sched.h>

#include "iova_span.h"

/*
 * The lowest-starting node of either tree that reaches into
 * [from, window_last], or NULL.
 */
static struct interval_tree_node *iova_span_lowest(struct iova_span *span,
						   unsigned long from)
{
	struct interval_tree_node *mine, *theirs;

	mine = interval_tree_iter_first(span->itree, from, span->window_last);
	if (!span->other)
		return mine;
	theirs = interval_tree_iter_first(span->other, from, span->window_last);
	if (!mine || (theirs && theirs->start < mine->start))
		return theirs;
	return mine;
}

/* Compute the span that begins at span->next. */
static void iova_span_fill(struct iova_span *span)
{
	struct interval_tree_node *node;
	unsigned long end;

	node = iova_span_lowest(span, span->next);
	if (!node) {
		span->used = false;
		span->start = span->next;
		span->last = span->window_last;
		return;
	}
	if (node->start > span->next) {
		span->used = false;
		span->start = span->next;
		span->last = node->start - 1;
		return;
	}

	/*
	 * Used span. Any node overlapping or touching [next, end] that
	 * reaches further than end is found by querying just past end,
	 * and the lowest node of that query is the one to check.
	 */
	end = node->last;
	while (end < span->window_last) {
		node = iova_span_lowest(span, end + 1);
		if (!node || node->start > end + 1)
			break;
		end = node->last;
		/* A run of millions of touching nodes is a long walk. */
		cond_resched();
	}
	span->used = true;
	span->start = span->next;
	span->last = min(end, span->window_last);
}

/**
 * iova_span_first() - start a span walk
 * @span: the cursor to set up
 * @itree: the tree to walk
 * @start: first address of the window
 * @last: last address of the window, inclusive, not below @start
 *
 * On return @span describes the first span of the window.
 *
 * Return: @span.
 */
struct iova_span *iova_span_first(struct iova_span *span,
				  struct rb_root_cached *itree,
				  unsigned long start, unsigned long last)
{
	return iova_span_first_union(span, itree, NULL, start, last);
}

/**
 * iova_span_first_union() - start a span walk over two trees
 * @span: the cursor to set up
 * @itree: the first tree
 * @other: the second tree, or NULL to walk @itree alone
 * @start: first address of the window
 * @last: last address of the window, inclusive, not below @start
 *
 * A span is used when a node of either tree covers it.
 *
 * Return: @span.
 */
struct iova_span *iova_span_first_union(struct iova_span *span,
					struct rb_root_cached *itree,
					struct rb_root_cached *other,
					unsigned long start, unsigned long last)
{
	span->itree = itree;
	span->other = other;
	span->next = start;
	span->window_last = last;
	span->done = WARN_ON_ONCE(start > last);
	if (!span->done)
		iova_span_fill(span);
	return span;
}

/**
 * iova_span_next() - move to the span after the current one
 * @span: a cursor that is not done
 */
void iova_span_next(struct iova_span *span)
{
	/* Also stops at the top of the address space, where +1 would wrap. */
	if (span->last >= span->window_last) {
		span->done = true;
		return;
	}
	span->next = span->last + 1;
	iova_span_fill(span);
}

/**
 * iova_span_find_free() - lowest aligned free range in a window
 * @itree: first tree of used ranges
 * @other: second tree of used ranges, or NULL
 * @start: first address of the window
 * @last: last address of the window, inclusive
 * @length: bytes needed, not zero
 * @align: power of two the result must be a multiple of
 * @found: receives the first address of the free range
 *
 * Looks for [*found, *found + @length - 1] inside [@start, @last] that no
 * node of either tree touches, with *found a multiple of @align, and
 * takes the lowest such address.
 *
 * Return: true when a range was found.
 */
bool iova_span_find_free(struct rb_root_cached *itree,
			 struct rb_root_cached *other, unsigned long start,
			 unsigned long last, unsigned long length,
			 unsigned long align, unsigned long *found)
{
	struct iova_span span;

	if (WARN_ON_ONCE(!length || !is_power_of_2(align)))
		return false;

	for_each_iova_span_union(&span, itree, other, start, last) {
		unsigned long first;

		if (span.used)
			continue;
		first = ALIGN(span.start, align);
		/* Rounding up past the top of the address space wraps. */
		if (first < span.start || first > span.last)
			continue;
		if (span.last - first < length - 1) {
			cond_resched();
			continue;
		}
		*found = first;
		return true;
	}
	return false;
}
