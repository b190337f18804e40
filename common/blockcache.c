/* blockcache.c: see blockcache.h. */
#include "blockcache.h"

#include <stdlib.h>
#include <string.h>

/* Take kept block I out of BC (lock held). */
static void *take(struct block_cache *bc, size_t i)
{
	void *p = bc->kept[i];
	bc->bytes -= bc->cap[i];
	bc->n--;
	bc->kept[i] = bc->kept[bc->n];
	bc->cap[i] = bc->cap[bc->n];
	return p;
}

/* The smallest kept block of at least AT_LEAST bytes (lock held): its index, or bc->n if none. */
static size_t smallest(const struct block_cache *bc, size_t at_least)
{
	size_t best = bc->n;
	for (size_t i = 0; i < bc->n; i++)
		if (bc->cap[i] >= at_least && (best == bc->n || bc->cap[i] < bc->cap[best]))
			best = i;
	return best;
}

void *block_cache_get(struct block_cache *bc, size_t *cap)
{
	if (*cap < BLOCK_CACHE_BIG)
		return malloc(*cap ? *cap : 1);
	size_t want = (*cap + BLOCK_CACHE_BIG - 1) / BLOCK_CACHE_BIG * BLOCK_CACHE_BIG;
	void *p = NULL;
	pthread_mutex_lock(&bc->lock);
	bc->busy = true;
	size_t best = smallest(bc, want);
	if (best < bc->n) {
		*cap = bc->cap[best];
		p = take(bc, best);
	}
	pthread_mutex_unlock(&bc->lock);
	if (p)
		return p;
	*cap = want;
	return malloc(want);
}

void block_cache_put(struct block_cache *bc, void *p, size_t cap)
{
	if (!p)
		return;
	void *evicted[BLOCK_CACHE_KEPT];
	size_t n_evicted = 0;
	bool keep = false;
	if (cap >= BLOCK_CACHE_BIG && cap <= bc->budget) {
		pthread_mutex_lock(&bc->lock);
		/* Room there would be with the kept blocks smaller than P freed. */
		size_t room = bc->budget - bc->bytes, slots = BLOCK_CACHE_KEPT - bc->n;
		for (size_t i = 0; i < bc->n; i++)
			if (bc->cap[i] < cap) {
				room += bc->cap[i];
				slots++;
			}
		keep = room >= cap && slots > 0;
		/* Made by freeing them smallest first, as few as it takes. */
		while (keep && (bc->budget - bc->bytes < cap || bc->n == BLOCK_CACHE_KEPT))
			evicted[n_evicted++] = take(bc, smallest(bc, 0));
		if (keep) {
			bc->kept[bc->n] = p;
			bc->cap[bc->n++] = cap;
			bc->bytes += cap;
		}
		pthread_mutex_unlock(&bc->lock);
	}
	for (size_t i = 0; i < n_evicted; i++)
		free(evicted[i]);
	if (!keep)
		free(p);
}

void block_cache_trim(struct block_cache *bc)
{
	void *kept[BLOCK_CACHE_KEPT];
	pthread_mutex_lock(&bc->lock);
	size_t n = bc->busy ? 0 : bc->n; /* still in use: kept until a quiet turn */
	bc->busy = false;
	memcpy(kept, bc->kept, n * sizeof(*kept));
	bc->n -= n;
	if (n)
		bc->bytes = 0; /* all of them went */
	pthread_mutex_unlock(&bc->lock);
	for (size_t i = 0; i < n; i++)
		free(kept[i]);
}
