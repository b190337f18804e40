/*
 * test_blockcache.c: unit tests of common/blockcache.c: a block given back is handed out again
 * (the smallest that is large enough), what is kept stays within the cache's budget, a larger
 * block takes the places of smaller ones, small blocks are never kept, and a trim after a quiet
 * turn gives every kept block back (ASan's leak check sees them freed).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "blockcache.h"

#define MIB ((size_t)1 << 20)

/* A block of at least WANT bytes from BC, written to its end (as a user would); *CAP its size. */
static void *get_block(struct block_cache *bc, size_t want, size_t *cap)
{
	*cap = want;
	void *p = block_cache_get(bc, cap);
	assert_non_null(p);
	assert_true(*cap >= want);
	memset(p, 0xA5, *cap);
	return p;
}

/* Empty BC as an idle daemon's trim timer does: two turns, the first still busy. */
static void drain(struct block_cache *bc)
{
	block_cache_trim(bc);
	block_cache_trim(bc);
	assert_int_equal(bc->n, 0);
	assert_int_equal(bc->bytes, 0);
}

static void smallest_large_enough_is_handed_out(void **state)
{
	(void)state;
	struct block_cache bc = BLOCK_CACHE_INIT(16 * MIB);
	size_t c1, c2, c3;
	void *four = get_block(&bc, 4 * MIB, &c1), *two = get_block(&bc, 2 * MIB, &c2);
	assert_int_equal(c1, 4 * MIB);
	assert_int_equal(c2, 2 * MIB);
	block_cache_put(&bc, four, c1);
	block_cache_put(&bc, two, c2);
	assert_int_equal(bc.bytes, 6 * MIB);

	void *p = get_block(&bc, MIB + 1, &c3); /* rounded up to 2 MiB: the 2 MiB block, not 4 */
	assert_ptr_equal(p, two);
	assert_int_equal(c3, 2 * MIB);
	assert_int_equal(bc.bytes, 4 * MIB);
	block_cache_put(&bc, p, c3);
	drain(&bc);
}

static void kept_blocks_stay_within_budget(void **state)
{
	(void)state;
	struct block_cache bc = BLOCK_CACHE_INIT(5 * MIB);
	size_t cap[3];
	void *b[3];
	for (int i = 0; i < 3; i++)
		b[i] = get_block(&bc, 2 * MIB, &cap[i]);
	for (int i = 0; i < 3; i++)
		block_cache_put(&bc, b[i], cap[i]);
	assert_int_equal(bc.n, 2); /* the third did not fit: freed */
	assert_int_equal(bc.bytes, 4 * MIB);

	size_t big;
	void *p = get_block(&bc, 6 * MIB, &big); /* none large enough: a new one */
	block_cache_put(&bc, p, big);		 /* over the whole budget: freed */
	assert_int_equal(bc.n, 2);
	assert_int_equal(bc.bytes, 4 * MIB);
	drain(&bc);
}

static void larger_block_takes_the_places_of_smaller(void **state)
{
	(void)state;
	struct block_cache bc = BLOCK_CACHE_INIT(6 * MIB);
	size_t c[4];
	void *one = get_block(&bc, MIB, &c[0]), *one_b = get_block(&bc, MIB, &c[1]),
	     *two = get_block(&bc, 2 * MIB, &c[2]), *four = get_block(&bc, 4 * MIB, &c[3]);
	block_cache_put(&bc, one, c[0]);
	block_cache_put(&bc, one_b, c[1]);
	block_cache_put(&bc, two, c[2]);
	assert_int_equal(bc.bytes, 4 * MIB);
	/* 4 MiB more needs 2 freed: the two of 1 MiB go, the 2 MiB block stays. */
	block_cache_put(&bc, four, c[3]);
	assert_int_equal(bc.n, 2);
	assert_int_equal(bc.bytes, 6 * MIB);
	size_t got;
	void *p = get_block(&bc, 3 * MIB, &got);
	assert_ptr_equal(p, four);
	block_cache_put(&bc, p, got);

	/* A block no larger than those kept does not push them out: freed. */
	void *other = malloc(2 * MIB);
	assert_non_null(other);
	block_cache_put(&bc, other, 2 * MIB);
	assert_int_equal(bc.n, 2);
	assert_int_equal(bc.bytes, 6 * MIB);
	p = get_block(&bc, 2 * MIB, &got);
	assert_ptr_equal(p, two);
	block_cache_put(&bc, p, got);
	drain(&bc);
}

static void slots_are_bounded_too(void **state)
{
	(void)state;
	struct block_cache bc = BLOCK_CACHE_INIT(64 * MIB);
	void *b[BLOCK_CACHE_KEPT + 1];
	size_t cap[BLOCK_CACHE_KEPT + 1];
	for (int i = 0; i <= BLOCK_CACHE_KEPT; i++)
		b[i] = get_block(&bc, MIB, &cap[i]);
	for (int i = 0; i <= BLOCK_CACHE_KEPT; i++)
		block_cache_put(&bc, b[i], cap[i]);
	assert_int_equal(bc.n, BLOCK_CACHE_KEPT);
	assert_int_equal(bc.bytes, BLOCK_CACHE_KEPT * MIB);

	/* A larger one when every place is taken: the smallest one gives its place. */
	size_t c;
	void *two = get_block(&bc, 2 * MIB, &c);
	block_cache_put(&bc, two, c);
	assert_int_equal(bc.n, BLOCK_CACHE_KEPT);
	assert_int_equal(bc.bytes, (BLOCK_CACHE_KEPT + 1) * MIB);
	drain(&bc);
}

static void small_blocks_are_not_kept(void **state)
{
	(void)state;
	struct block_cache bc = BLOCK_CACHE_INIT(16 * MIB);
	size_t cap;
	void *p = get_block(&bc, 4096, &cap);
	assert_int_equal(cap, 4096);
	block_cache_put(&bc, p, cap);
	assert_int_equal(bc.n, 0);
	block_cache_put(&bc, NULL, 0);
	assert_int_equal(bc.n, 0);
}

static void trim_waits_for_a_quiet_turn(void **state)
{
	(void)state;
	struct block_cache bc = BLOCK_CACHE_INIT(16 * MIB);
	size_t cap;
	void *p = get_block(&bc, 2 * MIB, &cap);
	block_cache_put(&bc, p, cap);
	block_cache_trim(&bc); /* one was asked for this turn: kept */
	assert_int_equal(bc.n, 1);
	block_cache_trim(&bc); /* a quiet turn: given back */
	assert_int_equal(bc.n, 0);
	assert_int_equal(bc.bytes, 0);

	p = get_block(&bc, 2 * MIB, &cap); /* and the cache works after it */
	block_cache_put(&bc, p, cap);
	assert_int_equal(bc.bytes, 2 * MIB);
	drain(&bc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(smallest_large_enough_is_handed_out),
	    cmocka_unit_test(kept_blocks_stay_within_budget),
	    cmocka_unit_test(larger_block_takes_the_places_of_smaller),
	    cmocka_unit_test(slots_are_bounded_too),
	    cmocka_unit_test(small_blocks_are_not_kept),
	    cmocka_unit_test(trim_waits_for_a_quiet_turn),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
