// SPDX-License-Identifier: GPL-2.0-only
/*
 * Span walk over an interval tree; see iova_span.h for the contract.
 *
 * Each step is a fresh query for the lowest node reaching into
 * [next, window_last]. If that node starts after @next, the step is a
 * hole up to just before it. Otherwise the step is a used span, grown
 * while some node starts at or before the address just past its end.
 * Every query is O(log n) and no node pointer survives a step.
 *
 * No locking of its own: the caller keeps the tree stable.
 */
#include <linux/interval_tree.h>
#include <linux/kernel.h>

#include "iova_span.h"

/* Compute the span that begins at span->next. */
static void iova_span_fill(struct iova_span *span)
{
	struct interval_tree_node *node;
	unsigned long end;

	node = interval_tree_iter_first(span->itree, span->next,
					span->window_last);
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
		node = interval_tree_iter_first(span->itree, end + 1,
						span->window_last);
		if (!node || node->start > end + 1)
			break;
		end = node->last;
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
	span->itree = itree;
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
