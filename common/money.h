/*
 * money.h: money as integer fen (分). Input is yuan with at most two decimals ("12.50");
 * output is yuan with exactly two ("12.50").
 */
#pragma once

#include <stdint.h>
#include <stdbool.h>

#include "lderr.h"

#define LD_MONEY_LEN 32

/*
 * Parse yuan ("3000", "3000.5", "3000.01") into *fen. No sign, no exponent, no spaces, at most two
 * decimals, at most 1e12 yuan. Digits are required on both sides of a point: "1." and ".5" are
 * refused as likely typos. Returns 0, or LD_EINPUT (then *fen is untouched; S NULL is LD_EINPUT
 * too).
 */
int money_parse(const char *s, int64_t *fen);

/* True if S is written as an amount money_parse takes but is over its 1e12 yuan: what is wrong with
 * it is its size, not its form. */
bool money_too_large(const char *s);

/* Write FEN as yuan with two decimals ("-0.20" for negatives). Returns OUT. */
char *money_format(int64_t fen, char out[LD_MONEY_LEN]);
