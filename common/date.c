/*
 * date.c: see date.h. Dates are days since 1970-01-01 in the proleptic Gregorian calendar,
 * converted with Howard Hinnant's days_from_civil / civil_from_days ("chrono-Compatible Low-Level
 * Date Algorithms"): the year is shifted to start on 1 March so that the leap day falls at its end,
 * and 400-year eras of 146097 days make the arithmetic exact for any year. A month is
 * year * 12 + (m - 1). Everything is pure integer arithmetic except date_today(), which reads the
 * clock.
 */
#include "date.h"

#include "clock.h"
#include "lderr.h"

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>

#define SECONDS_PER_DAY	    86400
#define SHANGHAI_UTC_OFFSET (8 * 3600) /* Asia/Shanghai: UTC+8, no daylight saving since 1991 */

/* Floor division and its non-negative remainder (C's / and % truncate toward zero). */
static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;
	if ((a % b != 0) && ((a < 0) != (b < 0)))
		q--;
	return q;
}

static int64_t floor_mod(int64_t a, int64_t b)
{
	return a - floor_div(a, b) * b;
}

static bool is_leap_year(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int64_t y, int m)
{
	static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	if (m == 2 && is_leap_year(y))
		return 29;
	return days[m - 1];
}

/* Hinnant's days_from_civil, for any year (M 1..12, D 1..31). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	y -= m <= 2;
	int64_t era = floor_div(y, 400);
	int64_t yoe = y - era * 400;				       /* [0, 399] */
	int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1; /* [0, 365] */
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;	       /* [0, 146096] */
	return era * 146097 + doe - 719468;
}

/* Hinnant's civil_from_days, for any day count. */
static void civil_from_days(int64_t z, int64_t *y, int *m, int *d)
{
	z += 719468;
	int64_t era = floor_div(z, 146097);
	int64_t doe = z - era * 146097;					     /* [0, 146096] */
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365; /* [0, 399] */
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);		     /* [0, 365] */
	int64_t mp = (5 * doy + 2) / 153;				     /* [0, 11] */
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

bool date_valid(int y, int m, int d)
{
	if (y < 1900 || y > 9999 || m < 1 || m > 12 || d < 1)
		return false;
	return d <= days_in_month(y, m);
}

int32_t date_from_ymd(int y, int m, int d)
{
	return (int32_t)days_from_civil(y, m, d);
}

void date_to_ymd(int32_t days, int *y, int *m, int *d)
{
	int64_t year;
	int month, day;
	civil_from_days(days, &year, &month, &day);
	if (y)
		*y = (int)year;
	if (m)
		*m = month;
	if (d)
		*d = day;
}

/* The value of LEN ASCII digits at S, or -1 if any of them is not a digit. */
static int parse_digits(const char *s, int len)
{
	int v = 0;
	for (int i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

int date_parse(const char *s, int32_t *days)
{
	if (!s)
		return LD_EINPUT;
	/* Check the shape one character at a time, so a short string is never read past its NUL. */
	for (int i = 0; i < 10; i++) {
		bool dash = i == 4 || i == 7;
		if (dash ? s[i] != '-' : (s[i] < '0' || s[i] > '9'))
			return LD_EINPUT;
	}
	if (s[10] != '\0')
		return LD_EINPUT;
	int y = parse_digits(s, 4), m = parse_digits(s + 5, 2), d = parse_digits(s + 8, 2);
	if (y < 1900 && date_valid(2000 + y % 4, m, d)) /* a real day of the month, before 1900 */
		return -ERANGE;
	if (!date_valid(y, m, d))
		return LD_EINPUT;
	*days = date_from_ymd(y, m, d);
	return 0;
}

/* Write V as LEN decimal digits (zero-padded, V in 0 .. 10^LEN - 1) at OUT. */
static void put_digits(char *out, int v, int len)
{
	for (int i = len - 1; i >= 0; i--) {
		out[i] = (char)('0' + v % 10);
		v /= 10;
	}
}

char *date_format(int32_t days, char out[LD_DATE_LEN])
{
	int64_t y;
	int m, d;
	civil_from_days(days, &y, &m, &d);
	if (y < 0 || y > 9999) {
		/* LD_DATE_NONE and other days no one can have meant: visibly not a date. */
		static const char none[LD_DATE_LEN] = "----------";
		for (size_t i = 0; i < LD_DATE_LEN; i++)
			out[i] = none[i];
		return out;
	}
	put_digits(out, (int)y, 4);
	out[4] = '-';
	put_digits(out + 5, m, 2);
	out[7] = '-';
	put_digits(out + 8, d, 2);
	out[10] = '\0';
	return out;
}

static _Thread_local bool today_pinned;
static _Thread_local int32_t today_held;

int32_t date_today(void)
{
	if (today_pinned)
		return today_held;
	int64_t now = clock_now_coarse_ms() / 1000;
	return (int32_t)floor_div(now + SHANGHAI_UTC_OFFSET, SECONDS_PER_DAY);
}

void date_today_pin(int32_t day)
{
	today_held = day;
	today_pinned = true;
}

void date_today_unpin(void)
{
	today_pinned = false;
}

int32_t date_add_months(int32_t days, int months)
{
	int64_t y;
	int m, d;
	civil_from_days(days, &y, &m, &d);
	int64_t total = y * 12 + (m - 1) + months;
	int64_t ny = floor_div(total, 12);
	int nm = (int)floor_mod(total, 12) + 1;
	int last = days_in_month(ny, nm);
	return (int32_t)days_from_civil(ny, nm, d < last ? d : last);
}

int month_parse(const char *s, int32_t *month)
{
	if (!s)
		return LD_EINPUT;
	for (int i = 0; i < 7; i++) {
		if (i == 4 ? s[i] != '-' : (s[i] < '0' || s[i] > '9'))
			return LD_EINPUT;
	}
	if (s[7] != '\0')
		return LD_EINPUT;
	int y = parse_digits(s, 4), m = parse_digits(s + 5, 2);
	if (y < 1900 || m < 1 || m > 12)
		return LD_EINPUT;
	*month = y * 12 + (m - 1);
	return 0;
}

char *month_format(int32_t month, char out[LD_MONTH_LEN])
{
	int64_t y = floor_div(month, 12);
	int m = (int)floor_mod(month, 12) + 1;
	if (y < 0 || y > 9999) {
		static const char none[LD_MONTH_LEN] = "-------";
		for (size_t i = 0; i < LD_MONTH_LEN; i++)
			out[i] = none[i];
		return out;
	}
	put_digits(out, (int)y, 4);
	out[4] = '-';
	put_digits(out + 5, m, 2);
	out[7] = '\0';
	return out;
}

int32_t month_of_date(int32_t days)
{
	int64_t y;
	int m, d;
	civil_from_days(days, &y, &m, &d);
	return (int32_t)(y * 12 + (m - 1));
}
