/*
 * test_dues.c: unit tests of common/dues.c, the monthly dues of 中组发〔2008〕3号. Every bracket of
 * every income category is checked exactly at its bound and one fen above it, and every refusal by
 * the sentence the user reads. Amounts are in fen; comments give them in yuan.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "dues.h"
#include "lderr.h"

#define NOT_GIVEN (-1)

struct dues_case {
	int64_t income_fen;
	int64_t dues_fen;
};

static void assert_dues(enum dues_category c, int64_t income_fen, int64_t set_fen,
			int64_t expected_fen)
{
	int64_t out = -12345;
	const char *reason = NULL;
	int err = dues_monthly_fen(c, income_fen, set_fen, &out, &reason);
	if (err != 0)
		fail_msg("%s, income %lld fen, set %lld fen: refused: %s", dues_category_name(c),
			 (long long)income_fen, (long long)set_fen,
			 reason ? reason : "(no reason)");
	if (out != expected_fen)
		fail_msg("%s, income %lld fen: dues %lld fen, expected %lld", dues_category_name(c),
			 (long long)income_fen, (long long)out, (long long)expected_fen);
}

static void assert_refused(enum dues_category c, int64_t income_fen, int64_t set_fen,
			   const char *expected_reason)
{
	int64_t out = -12345;
	const char *reason = NULL;
	assert_int_equal(dues_monthly_fen(c, income_fen, set_fen, &out, &reason), LD_EINPUT);
	assert_non_null(reason);
	assert_string_equal(reason, expected_reason);
	assert_int_equal(out, -12345); /* untouched */
	/* REASON may be NULL. */
	assert_int_equal(dues_monthly_fen(c, income_fen, set_fen, &out, NULL), LD_EINPUT);
}

/* The income table of salaried, annual-salary and self-employed members. */
static const struct dues_case salaried_table[] = {
    {0, 0},
    {1, 0},		/* 0.01 yuan x 0.5% = 0.00005 */
    {99, 0},		/* 0.99 x 0.5% = 0.495 fen: rounds down */
    {100, 1},		/* 1.00 x 0.5% = 0.5 fen: rounds half up */
    {300, 2},		/* 3.00 x 0.5% = 1.5 fen: up */
    {234567, 1173},	/* 2345.67 x 0.5% = 11.72835 */
    {300000, 1500},	/* 3000.00: 0.5%, the bound belongs to the lower bracket */
    {300001, 3000},	/* 3000.01: 1% */
    {400000, 4000},	/* 4000.00 */
    {500000, 5000},	/* 5000.00: 1% */
    {500001, 7500},	/* 5000.01: 1.5% */
    {1000000, 15000},	/* 10000.00: 1.5% */
    {1000001, 20000},	/* 10000.01: 2% */
    {1234567, 24691},	/* 12345.67 x 2% = 246.9134 */
    {10000000, 200000}, /* 100000.00 */
    {100000000000000LL, 2000000000000LL}, /* the largest income accepted, 1e12 yuan */
};

static void test_salaried_brackets(void **state)
{
	(void)state;
	static const enum dues_category categories[] = {DUES_SALARIED, DUES_ANNUAL_SALARY,
							DUES_SELF_EMPLOYED};
	for (size_t c = 0; c < sizeof(categories) / sizeof(categories[0]); c++) {
		for (size_t i = 0; i < sizeof(salaried_table) / sizeof(salaried_table[0]); i++)
			assert_dues(categories[c], salaried_table[i].income_fen, NOT_GIVEN,
				    salaried_table[i].dues_fen);
	}
}

static void test_retired_brackets(void **state)
{
	(void)state;
	static const struct dues_case table[] = {
	    {0, 0},
	    {99, 0},
	    {100, 1},
	    {300000, 1500},   /* 3000.00: still 0.5%, no bound at 3000 for pensions */
	    {300001, 1500},   /* 3000.01 x 0.5% = 15.00005 */
	    {500000, 2500},   /* 5000.00: 0.5% */
	    {500001, 5000},   /* 5000.01: 1% */
	    {1000000, 10000}, /* 10000.00: still 1%, no bound at 10000 for pensions */
	    {1000001, 10000}, /* 10000.01 x 1% = 100.0001 */
	    {100000000000000LL, 1000000000000LL},
	};
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++)
		assert_dues(DUES_RETIRED, table[i].income_fen, NOT_GIVEN, table[i].dues_fen);
}

/* Dues in an income category are never more than the next fen of income would make them. */
static void test_dues_never_fall_as_income_rises(void **state)
{
	(void)state;
	static const enum dues_category categories[] = {DUES_SALARIED, DUES_RETIRED};
	for (size_t c = 0; c < sizeof(categories) / sizeof(categories[0]); c++) {
		int64_t previous = 0;
		for (int64_t income = 0; income <= 1200000; income++) {
			int64_t out = 0;
			assert_int_equal(
			    dues_monthly_fen(categories[c], income, NOT_GIVEN, &out, NULL), 0);
			assert_true(out >= previous);
			previous = out;
		}
	}
}

static void test_income_refused(void **state)
{
	(void)state;
	static const enum dues_category categories[] = {DUES_SALARIED, DUES_ANNUAL_SALARY,
							DUES_SELF_EMPLOYED, DUES_RETIRED};
	for (size_t c = 0; c < sizeof(categories) / sizeof(categories[0]); c++) {
		assert_refused(categories[c], NOT_GIVEN, NOT_GIVEN,
			       "this dues category is computed from the monthly income, which is "
			       "missing: give the income (--income, or the register's income "
			       "column)");
		assert_refused(categories[c], -2, NOT_GIVEN,
			       "the monthly income must not be negative");
		assert_refused(categories[c], INT64_MIN, NOT_GIVEN,
			       "the monthly income must not be negative");
		assert_refused(categories[c], 100000000000001LL, NOT_GIVEN,
			       "the monthly income is too large (more than 1e12 yuan)");
		assert_refused(categories[c], INT64_MAX, NOT_GIVEN,
			       "the monthly income is too large (more than 1e12 yuan)");
		/* A set amount does not replace the income: it is not this category's. */
		assert_refused(categories[c], NOT_GIVEN, 20,
			       "the dues of this category are computed, not set: give --dues (the "
			       "register's dues column) for farmer or hardship only");
	}
}

static void test_farmer(void **state)
{
	(void)state;
	assert_dues(DUES_FARMER, NOT_GIVEN, 20, 20); /* 0.20 yuan, the least */
	assert_dues(DUES_FARMER, NOT_GIVEN, 21, 21);
	assert_dues(DUES_FARMER, NOT_GIVEN, 50, 50);
	assert_dues(DUES_FARMER, NOT_GIVEN, 100, 100); /* 1.00 yuan, the most */
	/* An income, if given, changes nothing. */
	assert_dues(DUES_FARMER, 1000000, 30, 30);
	assert_refused(DUES_FARMER, NOT_GIVEN, NOT_GIVEN,
		       "farmer dues are set per member: give an amount from 0.20 to 1.00 yuan a "
		       "month");
	assert_refused(DUES_FARMER, NOT_GIVEN, 19,
		       "farmer dues must be from 0.20 to 1.00 yuan a month");
	assert_refused(DUES_FARMER, NOT_GIVEN, 101,
		       "farmer dues must be from 0.20 to 1.00 yuan a month");
	assert_refused(DUES_FARMER, NOT_GIVEN, 0,
		       "farmer dues must be from 0.20 to 1.00 yuan a month");
	assert_refused(DUES_FARMER, NOT_GIVEN, -2,
		       "farmer dues must be from 0.20 to 1.00 yuan a month");
}

static void test_student_and_unemployed(void **state)
{
	(void)state;
	static const enum dues_category categories[] = {DUES_STUDENT, DUES_UNEMPLOYED};
	for (size_t c = 0; c < sizeof(categories) / sizeof(categories[0]); c++) {
		assert_dues(categories[c], NOT_GIVEN, NOT_GIVEN, 20); /* 0.20 yuan a month */
		/* Whatever else is given. */
		assert_dues(categories[c], 0, NOT_GIVEN, 20);
		assert_dues(categories[c], 1000001, NOT_GIVEN, 20);
		/* An amount set per member is not theirs: refused, not ignored. */
		assert_refused(categories[c], NOT_GIVEN, 100,
			       "the dues of this category are computed, not set: give --dues (the "
			       "register's dues column) for farmer or hardship only");
	}
	assert_refused(DUES_SALARIED, 300000, 500,
		       "the dues of this category are computed, not set: give --dues (the "
		       "register's dues column) for farmer or hardship only");
}

static void test_hardship(void **state)
{
	(void)state;
	/* Approved hardship without an amount pays nothing. */
	assert_dues(DUES_HARDSHIP, NOT_GIVEN, NOT_GIVEN, 0);
	assert_dues(DUES_HARDSHIP, NOT_GIVEN, 0, 0);
	assert_dues(DUES_HARDSHIP, 500000, NOT_GIVEN, 0);
	/* A reduced amount, up to what the income table gives (5000.00 yuan: 50.00). */
	assert_dues(DUES_HARDSHIP, 500000, 1000, 1000);
	assert_dues(DUES_HARDSHIP, 500000, 5000, 5000);
	assert_dues(DUES_HARDSHIP, 300000, 1500, 1500);
	assert_refused(DUES_HARDSHIP, 500000, 5001,
		       "hardship dues must not exceed the dues the income table gives for the "
		       "monthly income");
	assert_refused(DUES_HARDSHIP, 300000, 1501,
		       "hardship dues must not exceed the dues the income table gives for the "
		       "monthly income");
	assert_refused(DUES_HARDSHIP, 0, 1,
		       "hardship dues must not exceed the dues the income table gives for the "
		       "monthly income");
	/* Without an income there is nothing to reduce from. */
	assert_refused(DUES_HARDSHIP, NOT_GIVEN, 10,
		       "hardship dues above 0 need the monthly income: they may not exceed the "
		       "dues it gives");
	assert_refused(DUES_HARDSHIP, NOT_GIVEN, -2, "hardship dues must not be negative");
	assert_refused(DUES_HARDSHIP, 500000, -5, "hardship dues must not be negative");
	assert_refused(DUES_HARDSHIP, -7, 0, "the monthly income must not be negative");
}

static void test_unknown_category(void **state)
{
	(void)state;
	assert_refused(DUES_CATEGORY_COUNT, 500000, NOT_GIVEN, "unknown dues category");
	assert_refused((enum dues_category)99, 500000, NOT_GIVEN, "unknown dues category");
	assert_refused((enum dues_category)(-1), 500000, NOT_GIVEN, "unknown dues category");
}

static void test_category_names(void **state)
{
	(void)state;
	static const char *const names[DUES_CATEGORY_COUNT] = {
	    "salaried", "annual-salary", "self-employed", "retired",
	    "farmer",	"student",	 "unemployed",	  "hardship",
	};
	for (int c = 0; c < DUES_CATEGORY_COUNT; c++) {
		enum dues_category parsed = DUES_CATEGORY_COUNT;
		assert_string_equal(dues_category_name((enum dues_category)c), names[c]);
		assert_int_equal(dues_category_parse(names[c], &parsed), 0);
		assert_int_equal(parsed, c);
	}
	assert_string_equal(dues_category_name(DUES_CATEGORY_COUNT), "?");
	assert_string_equal(dues_category_name((enum dues_category)(-1)), "?");

	static const char *const bad[] = {
	    "", "Salaried", "salaried ", "annual", "self_employed", "在职", "?"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		enum dues_category parsed = DUES_FARMER;
		assert_int_equal(dues_category_parse(bad[i], &parsed), LD_EINPUT);
		assert_int_equal(parsed, DUES_FARMER);
	}
	enum dues_category parsed = DUES_FARMER;
	assert_int_equal(dues_category_parse(NULL, &parsed), LD_EINPUT);
}

static void test_needs_income(void **state)
{
	(void)state;
	assert_true(dues_category_needs_income(DUES_SALARIED));
	assert_true(dues_category_needs_income(DUES_ANNUAL_SALARY));
	assert_true(dues_category_needs_income(DUES_SELF_EMPLOYED));
	assert_true(dues_category_needs_income(DUES_RETIRED));
	assert_false(dues_category_needs_income(DUES_FARMER));
	assert_false(dues_category_needs_income(DUES_STUDENT));
	assert_false(dues_category_needs_income(DUES_UNEMPLOYED));
	assert_false(dues_category_needs_income(DUES_HARDSHIP));
	assert_false(dues_category_needs_income(DUES_CATEGORY_COUNT));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_salaried_brackets),
	    cmocka_unit_test(test_retired_brackets),
	    cmocka_unit_test(test_dues_never_fall_as_income_rises),
	    cmocka_unit_test(test_income_refused),
	    cmocka_unit_test(test_farmer),
	    cmocka_unit_test(test_student_and_unemployed),
	    cmocka_unit_test(test_hardship),
	    cmocka_unit_test(test_unknown_category),
	    cmocka_unit_test(test_category_names),
	    cmocka_unit_test(test_needs_income),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
