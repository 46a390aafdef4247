/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Walking an interval tree as a sequence of spans.
 *
 * An interval tree may hold overlapping and touching nodes. Seen over a
 * window [start, last], it splits the window into alternating "used"
 * spans (covered by at least one node, touching or overlapping nodes
 * merged into one span) and "holes" (covered by none). The walk yields
 * them in ascending order, clipped to the window, with no gaps between
 * consecutive spans.
 *
 * A walk may also cover the union of two trees (for instance the
 * mappings and the reserved ranges of an IO address space): a span is
 * used when a node of either tree covers it, and nodes of the two trees
 * that touch or overlap merge into one used span.
 *
 * The walker keeps no pointers into the trees between steps, only the
 * next address to describe, but the trees must not change during a walk:
 * the caller holds whatever lock protects them.
 */
#ifndef __IOMMUFD_IOVA_SPAN_H
#define __IOMMUFD_IOVA_SPAN_H

#include <linux/types.h>

struct rb_root_cached;

/**
 * struct iova_span - cursor of a span walk
 * @start: first address of the current span
 * @last: last address of the current span, inclusive
 * @used: true when the current span is covered by nodes, false for a hole
 * @itree: the tree being walked
 * @other: a second tree walked together with @itree, or NULL
 * @next: first address not yet described
 * @window_last: last address of the window
 * @done: the window is exhausted; the fields above are meaningless
 */
struct iova_span {
	unsigned long start;
	unsigned long last;
	bool used;

	/* private to iova_span.c */
	struct rb_root_cached *itree;
	struct rb_root_cached *other;
	unsigned long next;
	unsigned long window_last;
	bool done;
};

struct iova_span *iova_span_first(struct iova_span *span,
				  struct rb_root_cached *itree,
				  unsigned long start, unsigned long last);
struct iova_span *iova_span_first_union(struct iova_span *span,
					struct rb_root_cached *itree,
					struct rb_root_cached *other,
					unsigned long start, unsigned long last);
void iova_span_next(struct iova_span *span);
bool iova_span_find_free(struct rb_root_cached *itree,
			 struct rb_root_cached *other, unsigned long start,
			 unsigned long last, unsigned long length,
			 unsigned long align, unsigned long *found);

static inline bool iova_span_done(const struct iova_span *span)
{
	return span->done;
}

/*
 * Visit every used span and hole of @itree within [@start, @last]; @span
 * points to the caller's struct iova_span, which describes the current
 * span in the loop body. The loop keeps its own copy of the pointer so
 * that @span is evaluated once.
 */
#define for_each_iova_span(span, itree, start, last)                       \
	for (struct iova_span *__iova_span_cur =                           \
		     iova_span_first(span, itree, start, last);            \
	     !iova_span_done(__iova_span_cur);                             \
	     iova_span_next(__iova_span_cur))

/* The same over the union of @itree and @other (which may be NULL) */
#define for_each_iova_span_union(span, itree, other, start, last)          \
	for (struct iova_span *__iova_span_cur =                           \
		     iova_span_first_union(span, itree, other, start, last); \
	     !iova_span_done(__iova_span_cur);                             \
	     iova_span_next(__iova_span_cur))

#endif
