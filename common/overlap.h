/*
 * overlap.h: which month spans of one owner overlap: the double payments `conflicts` lists (a
 * month covered by two unrefunded receipts of one member). A sort by owner and first month, then a
 * sweep along each owner's spans: O(n log n + pairs), where comparing every span with every other
 * was O(n^2) (40,000 receipts: 5.5 s on the loop thread).
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

struct overlap_span {
	const char *owner; /* borrowed; compared with strcmp */
	int32_t from, to;  /* months, both included; a span with from > to overlaps nothing */
	size_t index;	   /* the caller's: its place in the caller's order */
};

struct overlap_pair {
	size_t a, b; /* the two spans' indexes, a < b */
};

/*
 * Every pair of the N SPANS with the same owner and a month in common (a.from <= b.to and
 * b.from <= a.to), once each, into *pairs (malloc'd, the caller frees it; NULL when there are none)
 * and *n_pairs, sorted by (a, b): the order a loop over every i < j in index order finds them.
 * SPANS is reordered. Returns 0 or -ENOMEM.
 */
int overlap_pairs(struct overlap_span *spans, size_t n, struct overlap_pair **pairs,
		  size_t *n_pairs);
