/*
 * pballoc.c: see pballoc.h. Each block carries its size in a header so that free can give the
 * budget back.
 */
#include "pballoc.h"

#include <stdalign.h>
#include <stdlib.h>

struct block_header {
	alignas(max_align_t) size_t size;
};

static void *budget_alloc(void *data, size_t size)
{
	struct pb_budget *b = data;
	if (size > b->limit - b->used)
		return NULL;
	struct block_header *h = malloc(sizeof(*h) + size);
	if (!h)
		return NULL;
	h->size = size;
	b->used += size;
	return h + 1;
}

static void budget_free(void *data, void *ptr)
{
	struct pb_budget *b = data;
	if (!ptr)
		return;
	struct block_header *h = (struct block_header *)ptr - 1;
	b->used -= h->size;
	free(h);
}

void pb_budget_init(struct pb_budget *b, size_t limit)
{
	b->allocator.alloc = budget_alloc;
	b->allocator.free = budget_free;
	b->allocator.allocator_data = b;
	b->used = 0;
	b->limit = limit;
}
