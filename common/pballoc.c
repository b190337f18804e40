/*
 * pballoc.c: see pballoc.h. Each block carries its size in a header so that free can give the
 * budget back.
 */
#include "pballoc.h"

#include <stdalign.h>
#include <stdint.h>
#include <stdlib.h>

struct block_header {
	alignas(max_align_t) size_t size;
};

static void *budget_alloc(void *data, size_t size)
{
	struct pb_budget *b = data;
	if (size > b->limit - b->used)
		return NULL;
	struct block_header *h;
	size_t align = alignof(max_align_t);
	size_t need = (sizeof(*h) + size + align - 1) & ~(align - 1);
	if (need <= b->block_cap - b->block_used) { /* the caller's block first: no malloc */
		h = (struct block_header *)(b->block + b->block_used);
		b->block_used += need;
	} else {
		h = malloc(sizeof(*h) + size);
		if (!h)
			return NULL;
	}
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
	if (b->block && (unsigned char *)h >= b->block &&
	    (unsigned char *)h < b->block + b->block_cap)
		return; /* in the block: given back with it (no block: no arithmetic on NULL) */
	free(h);
}

void pb_budget_init(struct pb_budget *b, size_t limit)
{
	pb_budget_init_block(b, limit, NULL, 0);
}

void pb_budget_init_block(struct pb_budget *b, size_t limit, void *block, size_t cap)
{
	b->allocator.alloc = budget_alloc;
	b->allocator.free = budget_free;
	b->allocator.allocator_data = b;
	b->used = 0;
	b->limit = limit;
	/* The block's start aligned as malloc's are; what is cut off is not used. */
	uintptr_t p = (uintptr_t)block, align = alignof(max_align_t);
	uintptr_t start = (p + align - 1) & ~(align - 1);
	size_t skip = (size_t)(start - p);
	b->block = block ? (unsigned char *)block + (skip < cap ? skip : cap) : NULL;
	b->block_cap = block && skip < cap ? cap - skip : 0;
	b->block_used = 0;
}

struct spill {
	alignas(max_align_t) struct spill *next;
};

static void *arena_alloc(void *data, size_t size)
{
	struct pb_arena *a = data;
	size_t align = alignof(max_align_t);
	size_t at = (a->used + align - 1) & ~(align - 1);
	if (at <= a->cap && size <= a->cap - at) {
		if (a->spilled > a->limit || at + size > a->limit - a->spilled)
			return NULL;
		a->used = at + size;
		return a->block + at;
	}
	size_t in_block = a->used < a->cap ? a->used : a->cap;
	if (size > SIZE_MAX - sizeof(struct spill) || in_block + a->spilled > a->limit ||
	    size > a->limit - in_block - a->spilled)
		return NULL;
	struct spill *sp = malloc(sizeof(*sp) + size);
	if (!sp)
		return NULL;
	sp->next = a->spill;
	a->spill = sp;
	a->spilled += size;
	return sp + 1;
}

static void arena_free(void *data, void *ptr)
{
	(void)data;
	(void)ptr; /* everything goes back at pb_arena_reset */
}

void pb_arena_init(struct pb_arena *a, void *block, size_t cap)
{
	a->allocator.alloc = arena_alloc;
	a->allocator.free = arena_free;
	a->allocator.allocator_data = a;
	/* The block's start aligned as malloc's are; what is cut off is not used. */
	uintptr_t p = (uintptr_t)block, align = alignof(max_align_t);
	uintptr_t start = (p + align - 1) & ~(align - 1);
	size_t skip = (size_t)(start - p);
	a->block = (unsigned char *)block + (skip < cap ? skip : cap);
	a->cap = skip < cap ? cap - skip : 0;
	a->used = 0;
	a->spill = NULL;
	a->spilled = 0;
	a->limit = SIZE_MAX;
}

void pb_arena_limit(struct pb_arena *a, size_t limit)
{
	a->limit = limit;
}

void pb_arena_reset(struct pb_arena *a)
{
	for (struct spill *sp = a->spill, *next; sp; sp = next) {
		next = sp->next;
		free(sp);
	}
	a->spill = NULL;
	a->spilled = 0;
	a->used = 0;
}
