/*
 * test_date.c: unit tests of common/date.c: real and unreal dates (leap years), parsing and
 * formatting, "today" in Asia/Shanghai, and month arithmetic that clamps to the end of the month
 * (the clock of every reminder: a member registered out on 08-31 is due a transfer on 02-28).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <time.h>

#include "date.h"
#include "lderr.h"

/* Parse a date the test knows is good. */
static int32_t day(const char *s)
{
	int32_t d = 0;
	assert_int_equal(date_parse(s, &d), 0);
	return d;
}

static void assert_date(int32_t days, const char *expected)
{
	char buf[LD_DATE_LEN];
	assert_string_equal(date_format(days, buf), expected);
}

static void test_epoch_and_known_days(void **state)
{
	(void)state;
	assert_int_equal(date_from_ymd(1970, 1, 1), 0);
	assert_int_equal(date_from_ymd(1970, 1, 2), 1);
	assert_int_equal(date_from_ymd(1969, 12, 31), -1);
	assert_int_equal(date_from_ymd(2000, 3, 1), 11017);
	assert_int_equal(date_from_ymd(1900, 1, 1), -25567);
	assert_int_equal(date_from_ymd(2026, 1, 1), 20454);
	assert_int_equal(date_from_ymd(9999, 12, 31), 2932896);
}

/* Every day from 1900-01-01 to 9999-12-31 splits and joins back, and the next day follows it. */
static void test_every_day_round_trips(void **state)
{
	(void)state;
	int32_t first = date_from_ymd(1900, 1, 1), last = date_from_ymd(9999, 12, 31);
	int py = 1899, pm = 12, pd = 31;
	for (int32_t days = first; days <= last; days++) {
		int y, m, d;
		date_to_ymd(days, &y, &m, &d);
		assert_true(date_valid(y, m, d));
		assert_int_equal(date_from_ymd(y, m, d), days);
		if (d != 1) {
			assert_true(y == py && m == pm && d == pd + 1);
		} else if (m != 1) {
			assert_true(y == py && m == pm + 1);
			assert_false(date_valid(py, pm, pd + 1));
		} else {
			assert_true(y == py + 1 && pm == 12 && pd == 31);
		}
		py = y;
		pm = m;
		pd = d;
	}
	assert_true(py == 9999 && pm == 12 && pd == 31);
}

static void test_to_ymd_allows_null(void **state)
{
	(void)state;
	int y = 0, m = 0, d = 0;
	date_to_ymd(date_from_ymd(2024, 2, 29), &y, NULL, NULL);
	date_to_ymd(date_from_ymd(2024, 2, 29), NULL, &m, NULL);
	date_to_ymd(date_from_ymd(2024, 2, 29), NULL, NULL, &d);
	assert_int_equal(y, 2024);
	assert_int_equal(m, 2);
	assert_int_equal(d, 29);
	date_to_ymd(0, NULL, NULL, NULL);
}

static void test_leap_years(void **state)
{
	(void)state;
	assert_true(date_valid(2024, 2, 29));  /* divisible by 4 */
	assert_false(date_valid(2026, 2, 29)); /* not */
	assert_false(date_valid(1900, 2, 29)); /* by 100, not by 400 */
	assert_true(date_valid(2000, 2, 29));  /* by 400 */
	assert_false(date_valid(2100, 2, 29));
	assert_true(date_valid(2026, 2, 28));
	assert_false(date_valid(2024, 2, 30));
	/* The 29th of February and the 1st of March are neighbours. */
	assert_int_equal(day("2024-03-01") - day("2024-02-29"), 1);
	assert_int_equal(day("2026-03-01") - day("2026-02-28"), 1);
	assert_int_equal(day("2025-01-01") - day("2024-01-01"), 366);
	assert_int_equal(day("2027-01-01") - day("2026-01-01"), 365);
}

static void test_valid_ranges(void **state)
{
	(void)state;
	assert_true(date_valid(1900, 1, 1));
	assert_false(date_valid(1899, 12, 31));
	assert_true(date_valid(9999, 12, 31));
	assert_false(date_valid(10000, 1, 1));
	assert_false(date_valid(2026, 0, 1));
	assert_false(date_valid(2026, 13, 1));
	assert_false(date_valid(2026, 1, 0));
	assert_false(date_valid(2026, 1, 32));
	assert_true(date_valid(2026, 1, 31));
	/* 30 days hath September, April, June and November. */
	assert_false(date_valid(2026, 4, 31));
	assert_false(date_valid(2026, 6, 31));
	assert_false(date_valid(2026, 9, 31));
	assert_false(date_valid(2026, 11, 31));
	assert_true(date_valid(2026, 12, 31));
	assert_false(date_valid(-1, 1, 1));
}

static void test_parse_good(void **state)
{
	(void)state;
	int32_t d = 0;
	assert_int_equal(date_parse("2024-02-29", &d), 0);
	assert_int_equal(d, date_from_ymd(2024, 2, 29));
	assert_int_equal(date_parse("2000-02-29", &d), 0);
	assert_int_equal(d, date_from_ymd(2000, 2, 29));
	assert_int_equal(date_parse("1900-01-01", &d), 0);
	assert_int_equal(d, -25567);
	assert_int_equal(date_parse("9999-12-31", &d), 0);
	assert_int_equal(d, 2932896);
}

static void test_parse_bad(void **state)
{
	(void)state;
	static const char *const bad[] = {
	    "2026-02-29", /* not a leap year */
	    "1900-02-29", /* nor this */
	    "2026-04-31", /* April has 30 days */
	    "2026-13-01",
	    "2026-00-10",
	    "2026-01-00",
	    "2026-1-5", /* leading zeros are required */
	    "2026-01-5",
	    "26-01-05",
	    "2026/01/05",
	    "20260105",
	    "2026-01-05 ", /* nothing around it */
	    " 2026-01-05",
	    "2026-01-05T08:00",
	    "2026-01", /* a month is not a date */
	    "",
	    "2026-01-0x",
	    "二〇二六-01-05",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int32_t d = 12345;
		if (date_parse(bad[i], &d) != LD_EINPUT)
			fail_msg("date_parse(\"%s\") accepted", bad[i]);
		assert_int_equal(d, 12345); /* untouched */
	}
	int32_t d = 12345;
	assert_int_equal(date_parse(NULL, &d), LD_EINPUT);
	assert_int_equal(d, 12345);
	/* A real day of a year before 1900 is told apart: its year is what is wrong. */
	assert_int_equal(date_parse("1899-12-31", &d), -ERANGE);
	assert_int_equal(date_parse("0001-01-01", &d), -ERANGE);
	assert_int_equal(date_parse("1899-13-01", &d), LD_EINPUT);
	assert_int_equal(date_parse("1899-02-30", &d), LD_EINPUT);
	assert_int_equal(d, 12345);
}

static void test_format(void **state)
{
	(void)state;
	assert_date(0, "1970-01-01");
	assert_date(date_from_ymd(2024, 2, 29), "2024-02-29");
	assert_date(date_from_ymd(1900, 1, 1), "1900-01-01");
	assert_date(date_from_ymd(9999, 12, 31), "9999-12-31");
	assert_date(day("2026-11-09"), "2026-11-09");
	/* "No date" does not pass for one. */
	assert_date(LD_DATE_NONE, "----------");
	char buf[LD_DATE_LEN];
	assert_ptr_equal(date_format(0, buf), buf);
}

/* "Today" is the date on a clock in Shanghai (UTC+8), whatever the machine's time zone. */
static void test_today_is_shanghai(void **state)
{
	(void)state;
	for (int attempt = 0; attempt < 3; attempt++) {
		time_t before = time(NULL);
		int32_t today = date_today();
		time_t after = time(NULL);
		if (before / 60 != after / 60)
			continue; /* the clock turned a minute meanwhile: try again */
		time_t shanghai = before + 8 * 3600;
		struct tm tm;
		gmtime_r(&shanghai, &tm);
		char expected[LD_DATE_LEN];
		strftime(expected, sizeof(expected), "%Y-%m-%d", &tm);
		assert_date(today, expected);
		assert_true(today >= date_from_ymd(2024, 1, 1));
		return;
	}
	fail_msg("the clock kept turning");
}

static void *today_elsewhere(void *out)
{
	*(int32_t *)out = date_today();
	return NULL;
}

/* A day pinned is today for its thread alone, until unpinned. */
static void test_today_pinned(void **state)
{
	(void)state;
	int32_t real = date_today(), pinned = date_from_ymd(2000, 2, 29), other = 0;
	date_today_pin(pinned);
	assert_int_equal(date_today(), pinned);
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, today_elsewhere, &other), 0);
	pthread_join(t, NULL);
	assert_true(other >= real && other <= real + 1); /* the clock's day there */
	date_today_unpin();
	int32_t after = date_today();
	assert_true(after >= real && after <= real + 1);
}

static void assert_add_months(const char *from, int months, const char *expected)
{
	char buf[LD_DATE_LEN];
	const char *got = date_format(date_add_months(day(from), months), buf);
	if (strcmp(got, expected) != 0)
		fail_msg("%s %+d months = %s, expected %s", from, months, got, expected);
}

static void test_add_months_clamps_to_month_end(void **state)
{
	(void)state;
	/* The 31st. */
	assert_add_months("2026-01-31", 1, "2026-02-28");
	assert_add_months("2024-01-31", 1, "2024-02-29");
	assert_add_months("2026-03-31", 1, "2026-04-30");
	assert_add_months("2026-03-31", -1, "2026-02-28");
	assert_add_months("2026-05-31", -1, "2026-04-30");
	assert_add_months("2026-07-31", 1, "2026-08-31");
	assert_add_months("2026-12-31", 1, "2027-01-31");
	assert_add_months("2026-08-31", 6, "2027-02-28"); /* the 6-month transfer reminder */
	assert_add_months("2025-12-31", 2, "2026-02-28");
	/* The 30th. */
	assert_add_months("2026-01-30", 1, "2026-02-28");
	assert_add_months("2024-01-30", 1, "2024-02-29");
	assert_add_months("2026-04-30", 1, "2026-05-30");
	assert_add_months("2026-03-30", -1, "2026-02-28");
	/* The 29th. */
	assert_add_months("2026-01-29", 1, "2026-02-28");
	assert_add_months("2024-01-29", 1, "2024-02-29");
	assert_add_months("2024-02-29", 12, "2025-02-28");
	assert_add_months("2024-02-29", 48, "2028-02-29");
	assert_add_months("2024-02-29", -12, "2023-02-28");
	assert_add_months("2024-02-29", 1, "2024-03-29");
	/* The clamp is not remembered: each addition starts from the date it is given. */
	assert_add_months("2026-02-28", 1, "2026-03-28");
	/* Ordinary days, across years both ways. */
	assert_add_months("2026-01-15", 0, "2026-01-15");
	assert_add_months("2026-01-15", -1, "2025-12-15");
	assert_add_months("2026-01-15", -13, "2024-12-15");
	assert_add_months("2026-11-27", 2, "2027-01-27");
	assert_add_months("2026-06-27", 12, "2027-06-27");
	assert_add_months("2026-06-27", 120, "2036-06-27");
}

static void test_month_parse_and_format(void **state)
{
	(void)state;
	int32_t m = 0;
	char buf[LD_MONTH_LEN];
	assert_int_equal(month_parse("2026-01", &m), 0);
	assert_int_equal(m, 2026 * 12);
	assert_string_equal(month_format(m, buf), "2026-01");
	assert_int_equal(month_parse("2026-12", &m), 0);
	assert_int_equal(m, 2026 * 12 + 11);
	assert_string_equal(month_format(m, buf), "2026-12");
	/* December and the January after it are consecutive months. */
	assert_string_equal(month_format(m + 1, buf), "2027-01");
	assert_int_equal(month_parse("1900-01", &m), 0);
	assert_string_equal(month_format(m, buf), "1900-01");
	assert_int_equal(month_parse("9999-12", &m), 0);
	assert_string_equal(month_format(m, buf), "9999-12");
	assert_ptr_equal(month_format(m, buf), buf);
	assert_string_equal(month_format(-1, buf), "-------");

	static const char *const bad[] = {
	    "2026-13",	  "2026-00", "2026-1",	 "26-01",    "2026/01", "202601",
	    "2026-01-01", "1899-12", " 2026-01", "2026-01 ", "",	"2026-0a",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		m = 777;
		if (month_parse(bad[i], &m) != LD_EINPUT)
			fail_msg("month_parse(\"%s\") accepted", bad[i]);
		assert_int_equal(m, 777);
	}
	assert_int_equal(month_parse(NULL, &m), LD_EINPUT);
}

static void test_month_of_date(void **state)
{
	(void)state;
	int32_t m = 0;
	assert_int_equal(month_parse("2026-02", &m), 0);
	assert_int_equal(month_of_date(day("2026-02-01")), m);
	assert_int_equal(month_of_date(day("2026-02-28")), m);
	assert_int_equal(month_of_date(day("2026-03-01")), m + 1);
	assert_int_equal(month_of_date(day("2026-01-31")), m - 1);
	assert_int_equal(month_parse("1969-12", &m), 0);
	assert_int_equal(month_of_date(-1), m);
	assert_int_equal(month_of_date(0), m + 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_epoch_and_known_days),
	    cmocka_unit_test(test_every_day_round_trips),
	    cmocka_unit_test(test_to_ymd_allows_null),
	    cmocka_unit_test(test_leap_years),
	    cmocka_unit_test(test_valid_ranges),
	    cmocka_unit_test(test_parse_good),
	    cmocka_unit_test(test_parse_bad),
	    cmocka_unit_test(test_format),
	    cmocka_unit_test(test_today_is_shanghai),
	    cmocka_unit_test(test_today_pinned),
	    cmocka_unit_test(test_add_months_clamps_to_month_end),
	    cmocka_unit_test(test_month_parse_and_format),
	    cmocka_unit_test(test_month_of_date),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
