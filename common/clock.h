/*
 * clock.h: the two clocks of the program, in milliseconds. The wall clock (CLOCK_REALTIME) for
 * what is recorded or shown (event times, audit, Hello); the monotonic clock for measuring
 * intervals (timeouts, idle and silence), which must not jump when the wall clock is set.
 */
#pragma once

#include <stdint.h>

/* Milliseconds since 1970-01-01 UTC. Any thread. */
int64_t clock_now_ms(void);

/* Milliseconds on the monotonic clock (an arbitrary start). Any thread. */
int64_t clock_mono_ms(void);
