/*
 * dues.h: monthly party dues (党费) per 中组发〔2008〕3号, in integer fen, rounding half up.
 *
 *   salaried, annual-salary, self-employed: income <= 3000 yuan 0.5%; <= 5000 1%; <= 10000 1.5%;
 *     else 2% (a bound belongs to the bracket below it: 3000.00 pays 0.5%, 3000.01 pays 1%)
 *   retired (pension): <= 5000 0.5%; else 1%
 *   farmer: set per member, 20 to 100 fen
 *   student, unemployed: 20 fen
 *   hardship: set per member (approved), 0 up to the amount the income table gives
 *     (0 without income)
 */
#pragma once

#include <stdint.h>
#include "lderr.h"

enum dues_category {
	DUES_SALARIED = 0,
	DUES_ANNUAL_SALARY,
	DUES_SELF_EMPLOYED,
	DUES_RETIRED,
	DUES_FARMER,
	DUES_STUDENT,
	DUES_UNEMPLOYED,
	DUES_HARDSHIP,
	DUES_CATEGORY_COUNT,
};

/* Parse "salaried" ... "hardship" (the CLI spelling). Returns 0 or LD_EINPUT. */
int dues_category_parse(const char *s, enum dues_category *out);

/* The CLI spelling of C; "?" for an out-of-range value. Static string. */
const char *dues_category_name(enum dues_category c);

/*
 * True (1) if the category's dues are computed from an income (salaried, annual-salary,
 * self-employed, retired), else 0.
 */
int dues_category_needs_income(enum dues_category c);

/* True (1) if the category's dues are an amount set per member (farmer, hardship), else 0. */
int dues_category_is_set(enum dues_category c);

/*
 * Monthly dues in fen into *out.
 * INCOME_FEN: after-tax monthly income or pension (>= 0); used by income categories, else ignored
 *   (pass -1 when not given: an income category then fails with LD_EINPUT).
 * SET_FEN: the amount set per member (farmer, hardship), or -1 when not given. Farmer requires it
 *   within 20..100; hardship defaults to 0 and must not be negative, nor above what the salaried
 *   table gives for INCOME_FEN (so a hardship amount above 0 needs INCOME_FEN).
 * OUT must not be NULL; it is written only on success.
 * Returns 0, or LD_EINPUT with *reason (if REASON not NULL) a static sentence saying what is
 * missing or out of range.
 */
int dues_monthly_fen(enum dues_category c, int64_t income_fen, int64_t set_fen, int64_t *out,
		     const char **reason);
