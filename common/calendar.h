/*
 * calendar.h: the service centre's calendar. Working days, for the promised time of a request
 * (限时办结): Monday to Friday; no table of public holidays is kept (a day off moved by the State
 * Council is not known here), so a promise over a holiday week falls due before the office
 * reopens, never after. The holidays of visits and care (走访慰问): 七一 (1 July) and 春节, the
 * lunar new year, from a table of its dates for 2020 to 2040.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

/* The years calendar_spring_festival knows. */
#define CALENDAR_SPRING_FIRST 2020
#define CALENDAR_SPRING_LAST  2040

/* DAY (days since 1970-01-01) is Monday to Friday. */
bool calendar_working_day(int32_t day);

/*
 * The day N working days after DAY (N >= 0): DAY itself does not count, so a request opened on a
 * Friday with N = 1 is due on Monday. N = 0 gives DAY.
 */
int32_t calendar_add_working_days(int32_t day, int n);

/* 春节 (the lunar new year's day) of YEAR, or LD_DATE_NONE for a year outside the table. */
int32_t calendar_spring_festival(int year);

/*
 * The holiday of care (七一 or 春节) that falls on or after DAY and at most WITHIN days after it:
 * *holiday its date and *name (static: "七一", "春节"). Returns true if there is one.
 */
bool calendar_care_holiday(int32_t day, int within, int32_t *holiday, const char **name);
