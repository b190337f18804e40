/*
 * clock.h: the two clocks of the program, in milliseconds. The wall clock (CLOCK_REALTIME) for
 * what is recorded or shown (event times, audit, Hello); the monotonic clock for measuring
 * intervals (timeouts, idle and silence), which must not jump when the wall clock is set.
 */
#pragma once

#include <stdint.h>

/*
 * Milliseconds since 1970-01-01 UTC. Any thread. Tests only: LIUDONGD_TEST_CLOCK_OFFSET=SECONDS
 * in the environment (read at the first call) moves this clock by that many seconds (negative:
 * back), so that a test can run a site whose clock is off; never set it in production.
 */
int64_t clock_now_ms(void);

/*
 * The wall clock as clock_now_ms, read from the kernel's coarse clock (CLOCK_REALTIME_COARSE: a
 * few ms behind at most, and some ten times cheaper): for the date of today, read many times per
 * row of an import. Any thread.
 */
int64_t clock_now_coarse_ms(void);

/* Milliseconds on the monotonic clock (an arbitrary start). Any thread. */
int64_t clock_mono_ms(void);
