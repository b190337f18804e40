/* benchlib.c: see benchlib.h. */
#include "benchlib.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "date.h"
#include "idno.h"
#include "lderr.h"

int bench_member_make(uint64_t index, char sex, struct bench_member *m)
{
	uint64_t per_day = sex ? 500 : 1000;
	uint64_t day = index / per_day, r = index % per_day;
	unsigned seq = sex ? (unsigned)(r * 2 + (sex == 'M')) : (unsigned)r;
	if (day > 60 * 366)
		return -ERANGE;
	m->birth = date_from_ymd(1940, 1, 1) + (int32_t)day;
	m->joined = date_add_months(m->birth, 18 * 12 + 6);
	if (m->joined > date_today())
		return -ERANGE;
	m->sex = seq % 2 ? 'M' : 'F';
	int y, mo, d;
	date_to_ymd(m->birth, &y, &mo, &d);
	snprintf(m->id, sizeof(m->id), "110105%04d%02d%02d%03u", y, mo, d, seq);
	m->id[17] = idno_check_char(m->id);
	m->id[18] = '\0';
	return 0;
}

uint64_t bench_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

int bench_cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

double bench_mono_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int bench_parse_u64(const char *prog, const char *name, const char *text, uint64_t min,
		    uint64_t *out)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(text, &end, 10);
	if (errno || end == text || *end || text[0] == '-' || v < min) {
		fprintf(stderr, "%s: --%s must be a whole number >= %" PRIu64 ", not '%s'\n", prog,
			name, min, text);
		return LD_EINPUT;
	}
	*out = v;
	return 0;
}
