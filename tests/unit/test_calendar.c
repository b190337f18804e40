/*
 * test_calendar.c: working days (Monday to Friday) for the promised time of a request, the table
 * of 春节 and the care holidays (七一, 春节) the visit reminders look ahead to.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "calendar.h"
#include "date.h"

static void test_working_days(void **state)
{
	int32_t fri = date_from_ymd(2026, 11, 27), mon = date_from_ymd(2026, 11, 30);
	assert_true(calendar_working_day(fri));
	assert_false(calendar_working_day(fri + 1)); /* Saturday */
	assert_false(calendar_working_day(fri + 2)); /* Sunday */
	assert_true(calendar_working_day(mon));
	assert_int_equal(calendar_add_working_days(fri, 0), fri);
	assert_int_equal(calendar_add_working_days(fri, 1), mon);
	assert_int_equal(calendar_add_working_days(fri, 5), fri + 7);
	assert_int_equal(calendar_add_working_days(mon, 10), mon + 14);
	/* A Saturday counts from the Monday after. */
	assert_int_equal(calendar_add_working_days(fri + 1, 1), mon);
	/* Before 1970 too. */
	assert_true(calendar_working_day(date_from_ymd(1969, 12, 31))); /* Wednesday */
}

static void test_spring_festival(void **state)
{
	assert_int_equal(calendar_spring_festival(2020), date_from_ymd(2020, 1, 25));
	assert_int_equal(calendar_spring_festival(2026), date_from_ymd(2026, 2, 17));
	assert_int_equal(calendar_spring_festival(2027), date_from_ymd(2027, 2, 6));
	assert_int_equal(calendar_spring_festival(2040), date_from_ymd(2040, 2, 12));
	assert_int_equal(calendar_spring_festival(2019), LD_DATE_NONE);
	assert_int_equal(calendar_spring_festival(2041), LD_DATE_NONE);
	/* Every date of the table falls between 21 January and 20 February. */
	for (int y = CALENDAR_SPRING_FIRST; y <= CALENDAR_SPRING_LAST; y++) {
		int32_t d = calendar_spring_festival(y);
		assert_true(d >= date_from_ymd(y, 1, 21) && d <= date_from_ymd(y, 2, 20));
	}
}

static void test_care_holiday(void **state)
{
	int32_t h;
	const char *name;
	/* A week before 七一. */
	assert_true(calendar_care_holiday(date_from_ymd(2027, 6, 24), 14, &h, &name));
	assert_int_equal(h, date_from_ymd(2027, 7, 1));
	assert_string_equal(name, "七一");
	assert_true(calendar_care_holiday(date_from_ymd(2027, 7, 1), 14, &h, &name));
	assert_false(calendar_care_holiday(date_from_ymd(2027, 7, 2), 14, &h, &name));
	assert_false(calendar_care_holiday(date_from_ymd(2027, 6, 16), 14, &h, &name));
	/* Before 春节 2027 (6 February), from late January; and across a new year. */
	assert_true(calendar_care_holiday(date_from_ymd(2027, 1, 30), 14, &h, &name));
	assert_int_equal(h, date_from_ymd(2027, 2, 6));
	assert_string_equal(name, "春节");
	assert_true(calendar_care_holiday(date_from_ymd(2027, 12, 31), 30, &h, &name));
	assert_int_equal(h, date_from_ymd(2028, 1, 26));
	assert_false(calendar_care_holiday(date_from_ymd(2027, 10, 1), 14, &h, &name));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_working_days),
	    cmocka_unit_test(test_spring_festival),
	    cmocka_unit_test(test_care_holiday),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
