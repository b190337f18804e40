/* calendar.c: see calendar.h. */
#include "calendar.h"

#include <stddef.h>

#include "date.h"

/* 春节 from 2020 to 2040 (month, day), from the published lunar calendar. */
static const unsigned char spring[CALENDAR_SPRING_LAST - CALENDAR_SPRING_FIRST + 1][2] = {
    {1, 25}, {2, 12}, {2, 1},  {1, 22}, {2, 10}, {1, 29}, {2, 17}, /* 2020-2026 */
    {2, 6},  {1, 26}, {2, 13}, {2, 3},	{1, 23}, {2, 11}, {1, 31}, /* 2027-2033 */
    {2, 19}, {2, 8},  {1, 28}, {2, 15}, {2, 4},	 {1, 24}, {2, 12}, /* 2034-2040 */
};

bool calendar_working_day(int32_t day)
{
	int weekday = (int)(((day % 7) + 7 + 4) % 7); /* 1970-01-01 was a Thursday: 0 = Sunday */
	return weekday >= 1 && weekday <= 5;
}

int32_t calendar_add_working_days(int32_t day, int n)
{
	while (n > 0) {
		day++;
		if (calendar_working_day(day))
			n--;
	}
	return day;
}

int32_t calendar_spring_festival(int year)
{
	if (year < CALENDAR_SPRING_FIRST || year > CALENDAR_SPRING_LAST)
		return LD_DATE_NONE;
	const unsigned char *md = spring[year - CALENDAR_SPRING_FIRST];
	return date_from_ymd(year, md[0], md[1]);
}

bool calendar_care_holiday(int32_t day, int within, int32_t *holiday, const char **name)
{
	int y;
	date_to_ymd(day, &y, NULL, NULL);
	/* This year's and next year's: a window late in December reaches next year's 春节. */
	for (int year = y; year <= y + 1; year++) {
		int32_t spring_day = calendar_spring_festival(year);
		int32_t july = date_from_ymd(year, 7, 1);
		const int32_t days[2] = {spring_day, july};
		static const char *const names[2] = {"春节", "七一"};
		for (int i = 0; i < 2; i++) {
			if (days[i] == LD_DATE_NONE || days[i] < day || days[i] - day > within)
				continue;
			*holiday = days[i];
			*name = names[i];
			return true;
		}
	}
	return false;
}
