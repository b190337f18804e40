/*
 * test_keysort.c: keysort orders by key and keeps the order of equal keys, for keys that differ
 * in any byte, in some bytes only (identity numbers: the high bytes mostly alike), or in none.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdlib.h>

#include "keysort.h"

static uint64_t next(uint64_t *seed)
{
	*seed = *seed * 6364136223846793005u + 1442695040888963407u;
	return *seed >> 11 ^ *seed << 29;
}

/* The N items sorted by key, equal keys in the order of their values (given as 0, 1, ...). */
static void assert_sorted_stably(const struct keyed *v, size_t n)
{
	for (size_t i = 1; i < n; i++) {
		assert_true(v[i - 1].key <= v[i].key);
		if (v[i - 1].key == v[i].key)
			assert_true(v[i - 1].value < v[i].value);
	}
}

/* Sort N keys made by MAKE from a seed; check the order, and that no item was lost or doubled. */
static void check(size_t n, uint64_t (*make)(uint64_t *seed))
{
	struct keyed *v = calloc(n ? n : 1, sizeof(*v)), *tmp = calloc(n ? n : 1, sizeof(*v));
	uint64_t *keys = calloc(n ? n : 1, sizeof(*keys));
	assert_non_null(v);
	assert_non_null(tmp);
	assert_non_null(keys);
	uint64_t seed = 42 + n;
	for (size_t i = 0; i < n; i++)
		v[i] = (struct keyed){.key = keys[i] = make(&seed), .value = i};
	keysort(v, tmp, n);
	assert_sorted_stably(v, n);
	bool *seen = calloc(n ? n : 1, sizeof(*seen));
	assert_non_null(seen);
	for (size_t i = 0; i < n; i++) {
		assert_true(v[i].value < n);
		assert_false(seen[v[i].value]);
		seen[v[i].value] = true;
		assert_true(v[i].key == keys[v[i].value]);
	}
	free(seen);
	free(keys);
	free(tmp);
	free(v);
}

static uint64_t any_key(uint64_t *seed)
{
	return next(seed);
}

/* Numbers as import keys them: 17 digits and the check, a few area codes and years, so that the
 * high bytes repeat and many passes are skipped or nearly so; one in ten taken twice. */
static uint64_t idno_like(uint64_t *seed)
{
	static uint64_t last;
	uint64_t r = next(seed);
	if (r % 10 == 0 && last)
		return last;
	uint64_t digits = (110105 + r % 3) * 100000000000u + (19500101 + r % 7) * 1000u + r % 1000;
	return last = digits * 11 + r % 11;
}

static uint64_t few_keys(uint64_t *seed)
{
	return next(seed) % 5 << 40; /* only byte 5 differs */
}

static uint64_t one_key(uint64_t *seed)
{
	(void)seed;
	return 0x0123456789abcdefu;
}

static void test_keys(void **state)
{
	(void)state;
	uint64_t (*makes[])(uint64_t *) = {any_key, idno_like, few_keys, one_key};
	const size_t sizes[] = {0, 1, 2, 3, 255, 256, 257, 10000, 100000};
	for (size_t m = 0; m < sizeof(makes) / sizeof(makes[0]); m++)
		for (size_t s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++)
			check(sizes[s], makes[m]);
}

/* Keys at the ends of the range, and keys equal but for their top byte or their bottom one. */
static void test_edges(void **state)
{
	(void)state;
	struct keyed v[] = {{UINT64_MAX, 0}, {0, 1}, {1ull << 63, 2},	   {1, 3},
			    {UINT64_MAX, 4}, {0, 5}, {(1ull << 63) | 1, 6}};
	struct keyed tmp[7];
	keysort(v, tmp, 7);
	const uint64_t keys[] = {0, 0, 1, 1ull << 63, (1ull << 63) | 1, UINT64_MAX, UINT64_MAX};
	const size_t values[] = {1, 5, 3, 2, 6, 0, 4};
	for (int i = 0; i < 7; i++) {
		assert_true(v[i].key == keys[i]);
		assert_int_equal(v[i].value, values[i]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_keys),
	    cmocka_unit_test(test_edges),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
