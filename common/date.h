/*
 * date.h: calendar dates and months as plain integers.
 *
 * A date is the number of days since 1970-01-01 (proleptic Gregorian), so that date arithmetic is
 * integer arithmetic and dates sort as integers. A month is year * 12 + (month - 1). "Today" is the
 * date in Asia/Shanghai (UTC+8, no daylight saving), where every site keeps its books.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include "lderr.h"

#define LD_DATE_LEN  11	       /* "YYYY-MM-DD" + NUL */
#define LD_MONTH_LEN 8	       /* "YYYY-MM" + NUL */
#define LD_DATE_NONE INT32_MIN /* "no date" in records that may lack one */

/* True if y-m-d is a real calendar date with 1900 <= y <= 9999. */
bool date_valid(int y, int m, int d);

/* Days since 1970-01-01 of a valid y-m-d. Undefined for an invalid date (check date_valid). */
int32_t date_from_ymd(int y, int m, int d);

/* Split DAYS into y, m, d. Any pointer may be NULL. */
void date_to_ymd(int32_t days, int *y, int *m, int *d);

/*
 * Parse exactly "YYYY-MM-DD" (leading zeros required) into *days.
 * Returns 0; -ERANGE if S is a date before 1900-01-01 (none is kept); or LD_EINPUT if S is not that
 * shape or not a real date. *days is untouched unless 0.
 */
int date_parse(const char *s, int32_t *days);

/*
 * Write "YYYY-MM-DD" into OUT (LD_DATE_LEN bytes). Returns OUT. A day outside the years 0000..9999
 * (LD_DATE_NONE among them) is written "----------", visibly not a date.
 */
char *date_format(int32_t days, char out[LD_DATE_LEN]);

/* Today in Asia/Shanghai: the current UTC time plus 8 hours, floored to days; in a thread
 * between date_today_pin and date_today_unpin, the day pinned. */
int32_t date_today(void);

/*
 * Make DAY today for the calling thread (date_today_pin(date_today()): hold the day): a thread
 * that judges many rows at once (an import's judges, its reader ahead) judges them all on one day,
 * and reads the clock once, not three times a row. A row judged on a day that is over by the time
 * it is written is judged again by the writer, which holds no day (commit.h). Unpin before the
 * thread does anything else.
 */
void date_today_pin(int32_t day);
void date_today_unpin(void);

/*
 * DAYS plus MONTHS calendar months, clamped to the last day of the target month
 * (2026-01-31 + 1 month = 2026-02-28). MONTHS may be negative.
 */
int32_t date_add_months(int32_t days, int months);

/*
 * Parse exactly "YYYY-MM" (leading zeros required, 1900 <= YYYY) into *month. Returns 0 or
 * LD_EINPUT (then *month is untouched).
 */
int month_parse(const char *s, int32_t *month);

/*
 * Write "YYYY-MM" into OUT (LD_MONTH_LEN bytes). Returns OUT. A month outside the years
 * 0000..9999 is written "-------".
 */
char *month_format(int32_t month, char out[LD_MONTH_LEN]);

/* The month a date lies in. */
int32_t month_of_date(int32_t days);
