/*
 * money.c: see money.h. Parsing is strict, because a sloppy amount is more often a typo than a
 * shorthand: one or more digits, then optionally '.' and one or two digits. So "12", "12.5",
 * "12.50" and "0.20" are money; "", "-1", "+1", " 1", "1 ", "1e3", "1,000", "1.", ".5" and "12.505"
 * are not. Leading zeros are harmless and accepted ("007.00" is 700 fen).
 */
#include "money.h"
#include "lderr.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>

#define MONEY_MAX_YUAN 1000000000000LL /* 1e12 yuan: more than any income or dues */

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

bool money_too_large(const char *s)
{
	if (!s || !is_digit(*s))
		return false;
	const char *p = s;
	while (is_digit(*p))
		p++;
	if (*p == '.' && is_digit(p[1]))
		p += is_digit(p[2]) ? 3 : 2;
	int64_t fen;
	return *p == '\0' && money_parse(s, &fen) != 0;
}

int money_parse(const char *s, int64_t *fen)
{
	if (!s || !is_digit(*s))
		return LD_EINPUT;
	int64_t yuan = 0;
	const char *p = s;
	for (; is_digit(*p); p++) {
		yuan = yuan * 10 + (*p - '0');
		if (yuan > MONEY_MAX_YUAN)
			return LD_EINPUT; /* also stops before int64_t could overflow */
	}
	int64_t cents = 0;
	if (*p == '.') {
		p++;
		if (!is_digit(p[0]))
			return LD_EINPUT; /* "1." */
		cents = (p[0] - '0') * 10;
		p++;
		if (is_digit(p[0])) {
			cents += p[0] - '0';
			p++;
		}
	}
	if (*p != '\0')
		return LD_EINPUT; /* a third decimal, a sign, an exponent, a space... */
	if (yuan == MONEY_MAX_YUAN && cents > 0)
		return LD_EINPUT;
	*fen = yuan * 100 + cents;
	return 0;
}

char *money_format(int64_t fen, char out[LD_MONEY_LEN])
{
	/* Through uint64_t, so that INT64_MIN has a magnitude too. */
	uint64_t magnitude = fen < 0 ? 0 - (uint64_t)fen : (uint64_t)fen;
	snprintf(out, LD_MONEY_LEN, "%s%llu.%02llu", fen < 0 ? "-" : "",
		 (unsigned long long)(magnitude / 100), (unsigned long long)(magnitude % 100));
	return out;
}
