/*
 * blockcache.h: large blocks of memory kept for the next use. A block of megabytes freed is given
 * back to the kernel, and the next one is paid for again page by page (a page fault each, dear
 * on a virtual machine); a peer's batches and their decoded events come by the hundred, each
 * needing a block of the same size. A cache keeps a few freed, up to its budget of bytes (what
 * the daemon holds beyond its work is bounded by that, not by how large the blocks grew), hands
 * out the smallest that is large enough, and lets them go once a turn passed without one being
 * asked for (block_cache_trim, from the daemon's trim timer), so that an idle daemon holds none.
 * A freed block larger than some kept takes their place if that brings it within the budget: a
 * link's batches grow, and the small blocks of its first ones would otherwise hold the places.
 * Thread-safe.
 *
 *   static struct block_cache cache = BLOCK_CACHE_INIT(16u << 20);   // keep at most 16 MiB
 *   size_t cap = want;
 *   void *p = block_cache_get(&cache, &cap);   // cap: the block's real size, >= want
 *   ...
 *   block_cache_put(&cache, p, cap);           // kept, or freed
 */
#pragma once

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#define BLOCK_CACHE_BIG	 (1u << 20) /* smaller blocks are malloc'd and freed as usual */
#define BLOCK_CACHE_KEPT 6	    /* blocks kept at most, within the budget */

struct block_cache {
	pthread_mutex_t lock;
	void *kept[BLOCK_CACHE_KEPT];
	size_t cap[BLOCK_CACHE_KEPT];
	size_t n;
	size_t bytes;  /* kept: the sum of cap[] */
	size_t budget; /* bytes kept at most */
	bool busy;     /* a block was asked for since the last trim */
};

#define BLOCK_CACHE_INIT(max_bytes)                                                                \
	{                                                                                          \
		.lock = PTHREAD_MUTEX_INITIALIZER, .budget = (max_bytes)                           \
	}

/*
 * A block of at least *CAP bytes (*CAP set to its size: a large one is rounded up to a whole
 * number of BLOCK_CACHE_BIG), the caller's until block_cache_put; NULL if out of memory.
 */
void *block_cache_get(struct block_cache *bc, size_t *cap);

/*
 * Give back P (CAP bytes, as block_cache_get set it; NULL allowed): kept if there is room within
 * the budget, made if need be by freeing kept blocks smaller than P; otherwise freed.
 */
void block_cache_put(struct block_cache *bc, void *p, size_t cap);

/* Free the blocks kept, unless one was asked for since the last call (still in use). */
void block_cache_trim(struct block_cache *bc);
