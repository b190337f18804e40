/*
 * test_overlap.c: unit tests of common/overlap.c, the double payments of `conflicts`: the sort and
 * sweep must find exactly the pairs, in exactly the order, that comparing every span with every
 * other finds (what `conflicts` did before): on hand-made cases and on random sets with few
 * owners, long and short spans, equal spans and spans whose from is after their to.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "overlap.h"

/* The pairs i < j of SPANS (in index order, index == position) that overlap: the old loop. */
static size_t brute(const struct overlap_span *spans, size_t n, struct overlap_pair *out)
{
	size_t len = 0;
	for (size_t i = 0; i < n; i++)
		for (size_t j = i + 1; j < n; j++) {
			const struct overlap_span *a = &spans[i], *b = &spans[j];
			if (strcmp(a->owner, b->owner) == 0 && a->from <= b->to &&
			    b->from <= a->to) {
				out[len].a = i;
				out[len].b = j;
				len++;
			}
		}
	return len;
}

static void check_same(struct overlap_span *spans, size_t n)
{
	struct overlap_pair *want = malloc((n * n / 2 + 1) * sizeof(*want));
	assert_non_null(want);
	size_t n_want = brute(spans, n, want);
	struct overlap_pair *got;
	size_t n_got;
	assert_int_equal(overlap_pairs(spans, n, &got, &n_got), 0);
	assert_int_equal(n_got, n_want);
	for (size_t i = 0; i < n_got; i++) {
		assert_int_equal(got[i].a, want[i].a);
		assert_int_equal(got[i].b, want[i].b);
	}
	free(got);
	free(want);
}

static void test_cases(void **state)
{
	(void)state;
	struct overlap_span s[] = {
	    {"A", 10, 12, 0}, /* overlaps 2 (12) and 3 (11..11) */
	    {"B", 10, 12, 1}, /* another member: overlaps only 4 */
	    {"A", 12, 14, 2}, /* overlaps 0 and 5 (14) */
	    {"A", 11, 11, 3}, {"B", 1, 10, 4},
	    {"A", 14, 20, 5}, {"A", 21, 30, 6}, /* touches 5 (20) without a month in common */
	    {"A", 9, 5, 7},			/* from after to: overlaps nothing */
	};
	size_t n = sizeof(s) / sizeof(s[0]);
	struct overlap_pair want[] = {{0, 2}, {0, 3}, {1, 4}, {2, 5}};
	struct overlap_pair *got;
	size_t n_got;
	assert_int_equal(overlap_pairs(s, n, &got, &n_got), 0);
	assert_int_equal(n_got, sizeof(want) / sizeof(want[0]));
	for (size_t i = 0; i < n_got; i++) {
		assert_int_equal(got[i].a, want[i].a);
		assert_int_equal(got[i].b, want[i].b);
	}
	free(got);
}

static void test_none(void **state)
{
	(void)state;
	struct overlap_pair *got = (void *)1;
	size_t n_got = 7;
	assert_int_equal(overlap_pairs(NULL, 0, &got, &n_got), 0);
	assert_null(got);
	assert_int_equal(n_got, 0);
	struct overlap_span one = {"A", 1, 2, 0};
	assert_int_equal(overlap_pairs(&one, 1, &got, &n_got), 0);
	assert_int_equal(n_got, 0);
	struct overlap_span apart[] = {{"A", 1, 2, 0}, {"A", 3, 4, 1}, {"B", 1, 4, 2}};
	assert_int_equal(overlap_pairs(apart, 3, &got, &n_got), 0);
	assert_int_equal(n_got, 0);
	free(got);
}

static void test_random(void **state)
{
	(void)state;
	static const char *const owners[] = {"110105195001010011", "110105195001010020",
					     "110105195001010038", "x", ""};
	srand(12);
	for (int round = 0; round < 300; round++) {
		size_t n = (size_t)(rand() % 200);
		struct overlap_span *s = calloc(n + 1, sizeof(*s));
		assert_non_null(s);
		size_t n_owners = 1 + (size_t)(rand() % 5);
		int spread = 1 + rand() % 400;
		for (size_t i = 0; i < n; i++) {
			s[i].owner = owners[(size_t)rand() % n_owners];
			s[i].from = 24000 + rand() % spread;
			int len = rand() % 10 == 0 ? rand() % 120 : rand() % 3;
			s[i].to = rand() % 25 == 0 ? s[i].from - 1 - rand() % 5 : s[i].from + len;
			s[i].index = i;
		}
		check_same(s, n);
		free(s);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_cases),
	    cmocka_unit_test(test_none),
	    cmocka_unit_test(test_random),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
