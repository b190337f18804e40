/* overlap.c: see overlap.h. */
#include "overlap.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static int cmp_span(const void *x, const void *y)
{
	const struct overlap_span *a = x, *b = y;
	int c = strcmp(a->owner, b->owner);
	if (c)
		return c;
	if (a->from != b->from)
		return a->from < b->from ? -1 : 1;
	return a->index < b->index ? -1 : a->index > b->index;
}

static int cmp_pair(const void *x, const void *y)
{
	const struct overlap_pair *a = x, *b = y;
	if (a->a != b->a)
		return a->a < b->a ? -1 : 1;
	return a->b < b->b ? -1 : a->b > b->b;
}

int overlap_pairs(struct overlap_span *spans, size_t n, struct overlap_pair **pairs,
		  size_t *n_pairs)
{
	*pairs = NULL;
	*n_pairs = 0;
	if (n < 2)
		return 0;
	qsort(spans, n, sizeof(*spans), cmp_span);
	struct overlap_pair *out = NULL;
	size_t len = 0, cap = 0;
	for (size_t p = 0; p < n; p++) {
		const struct overlap_span *a = &spans[p];
		/* Later spans of the owner begin no earlier: the first that begins after a ends
		 * ends the sweep, and every later one begins after a ends too. */
		for (size_t q = p + 1; q < n && spans[q].from <= a->to; q++) {
			const struct overlap_span *b = &spans[q];
			if (strcmp(a->owner, b->owner) != 0)
				break;
			if (a->from > b->to) /* b is no span (from > to) */
				continue;
			if (len == cap) {
				size_t grown_cap = cap ? 2 * cap : 16;
				struct overlap_pair *grown = realloc(out, grown_cap * sizeof(*out));
				if (!grown) {
					free(out);
					return -ENOMEM;
				}
				out = grown;
				cap = grown_cap;
			}
			out[len].a = a->index < b->index ? a->index : b->index;
			out[len].b = a->index < b->index ? b->index : a->index;
			len++;
		}
	}
	if (len > 1)
		qsort(out, len, sizeof(*out), cmp_pair);
	*pairs = out;
	*n_pairs = len;
	return 0;
}
