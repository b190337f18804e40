/* blockcache.c: see blockcache.h. */
#include "blockcache.h"

#include <stdlib.h>
#include <string.h>

void *block_cache_get(struct block_cache *bc, size_t *cap)
{
	if (*cap < BLOCK_CACHE_BIG)
		return malloc(*cap ? *cap : 1);
	size_t want = (*cap + BLOCK_CACHE_BIG - 1) / BLOCK_CACHE_BIG * BLOCK_CACHE_BIG;
	void *p = NULL;
	pthread_mutex_lock(&bc->lock);
	bc->busy = true;
	for (size_t i = 0; i < bc->n && !p; i++) {
		if (bc->cap[i] >= want) {
			p = bc->kept[i];
			*cap = bc->cap[i];
			bc->n--;
			bc->kept[i] = bc->kept[bc->n];
			bc->cap[i] = bc->cap[bc->n];
		}
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
	if (cap >= BLOCK_CACHE_BIG) {
		pthread_mutex_lock(&bc->lock);
		bool keep = bc->n < BLOCK_CACHE_KEPT;
		if (keep) {
			bc->kept[bc->n] = p;
			bc->cap[bc->n++] = cap;
		}
		pthread_mutex_unlock(&bc->lock);
		if (keep)
			return;
	}
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
	pthread_mutex_unlock(&bc->lock);
	for (size_t i = 0; i < n; i++)
		free(kept[i]);
}
