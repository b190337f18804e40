/*
 * benchlib.h: what the benchmark programs share: the members they generate, a monotonic clock,
 * and the parsing of number options.
 */
#pragma once

#include <stdint.h>
#include "lderr.h"

/* One generated member: a valid identity number (area 110105) and the dates it implies. */
struct bench_member {
	char id[19];
	char sex;
	int32_t birth;
	int32_t joined;
};

/*
 * The INDEX-th member for sex mode SEX ('M', 'F', or 0 for both): born 1940-01-01 plus a day per
 * 1,000 members (500 with one sex), the sequence digit giving the sex (odd male, even female),
 * joined 18 years and 6 months after birth. Returns 0, or -ERANGE if INDEX is so large that he
 * would join in the future.
 */
int bench_member_make(uint64_t index, char sex, struct bench_member *m);

/* Nanoseconds on the monotonic clock. */
uint64_t bench_now_ns(void);

/* qsort comparison of two uint64_t, ascending. */
int bench_cmp_u64(const void *a, const void *b);

/* Seconds on the monotonic clock. */
double bench_mono_s(void);

/*
 * Parse TEXT as a whole number >= MIN for option --NAME of program PROG. Returns 0, or LD_EINPUT
 * after printing one line on stderr.
 */
int bench_parse_u64(const char *prog, const char *name, const char *text, uint64_t min,
		    uint64_t *out);
