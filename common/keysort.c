/*
 * keysort.c: see keysort.h. Each pass counts the items of each value of one byte of the key, then
 * moves them, in order, to where their value's run starts: the order within a run is kept, so
 * after the last pass items are ordered by the whole key, equal keys as they came.
 */
#include "keysort.h"

#include <string.h>

void keysort(struct keyed *v, struct keyed *tmp, size_t n)
{
	size_t count[8][256];
	memset(count, 0, sizeof(count));
	for (size_t i = 0; i < n; i++)
		for (int b = 0; b < 8; b++)
			count[b][(v[i].key >> (8 * b)) & 0xff]++;
	struct keyed *from = v, *to = tmp;
	for (int b = 0; b < 8; b++) {
		size_t *c = count[b];
		if (n == 0 || c[(from[0].key >> (8 * b)) & 0xff] == n)
			continue; /* every key has this byte: the pass would move nothing */
		size_t at = 0;
		for (int d = 0; d < 256; d++) {
			size_t k = c[d];
			c[d] = at;
			at += k;
		}
		for (size_t i = 0; i < n; i++)
			to[c[(from[i].key >> (8 * b)) & 0xff]++] = from[i];
		struct keyed *t = from;
		from = to;
		to = t;
	}
	if (from != v)
		memcpy(v, from, n * sizeof(*v));
}
