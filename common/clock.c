/* clock.c: see clock.h. */
#include "clock.h"

#include <pthread.h>
#include <stdlib.h>
#include <time.h>

static int64_t test_offset_ms;
static pthread_once_t test_offset_once = PTHREAD_ONCE_INIT;

/* LIUDONGD_TEST_CLOCK_OFFSET (tests only): whole seconds, may be negative; anything else: 0. */
static void test_offset_read(void)
{
	const char *text = getenv("LIUDONGD_TEST_CLOCK_OFFSET");
	if (!text || !text[0])
		return;
	char *end;
	long long s = strtoll(text, &end, 10);
	if (*end == '\0' && s > -100LL * 365 * 86400 && s < 100LL * 365 * 86400)
		test_offset_ms = (int64_t)s * 1000;
}

static int64_t ms_of(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t clock_now_ms(void)
{
	pthread_once(&test_offset_once, test_offset_read);
	return ms_of(CLOCK_REALTIME) + test_offset_ms;
}

int64_t clock_now_coarse_ms(void)
{
	pthread_once(&test_offset_once, test_offset_read);
	return ms_of(CLOCK_REALTIME_COARSE) + test_offset_ms;
}

int64_t clock_mono_ms(void)
{
	return ms_of(CLOCK_MONOTONIC);
}
