/*
 * dues.c: see dues.h. Monthly dues = income in fen x rate in permille, rounded half up to the fen:
 * (income_fen * rate_permille + 500) / 1000, integer arithmetic only. A bracket's upper bound
 * belongs to it: 3000.00 yuan pays 0.5%, 3000.01 yuan pays 1% (中组发〔2008〕3号,
 * "3000元以下(含3000元)").
 */
#include "dues.h"
#include "i18n.h"
#include "lderr.h"

#include <errno.h>
#include <stddef.h>
#include <string.h>

/* The largest income accepted, as money_parse's limit (1e12 yuan): x 20 permille fits int64_t. */
#define DUES_INCOME_MAX_FEN 100000000000000LL

#define FARMER_MIN_FEN 20
#define FARMER_MAX_FEN 100
#define FLAT_FEN       20 /* student, unemployed: 0.20 yuan a month */

static const char *const category_names[DUES_CATEGORY_COUNT] = {
    [DUES_SALARIED] = "salaried",
    [DUES_ANNUAL_SALARY] = "annual-salary",
    [DUES_SELF_EMPLOYED] = "self-employed",
    [DUES_RETIRED] = "retired",
    [DUES_FARMER] = "farmer",
    [DUES_STUDENT] = "student",
    [DUES_UNEMPLOYED] = "unemployed",
    [DUES_HARDSHIP] = "hardship",
};

struct bracket {
	int64_t up_to_fen; /* inclusive upper bound of income; INT64_MAX for the last */
	int64_t permille;
};

static const struct bracket salaried_brackets[] = {
    {300000, 5},     /* <= 3000 yuan: 0.5% */
    {500000, 10},    /* <= 5000 yuan: 1% */
    {1000000, 15},   /* <= 10000 yuan: 1.5% */
    {INT64_MAX, 20}, /* above: 2% */
};

static const struct bracket retired_brackets[] = {
    {500000, 5},     /* <= 5000 yuan: 0.5% */
    {INT64_MAX, 10}, /* above: 1% */
};

int dues_category_parse(const char *s, enum dues_category *out)
{
	if (!s)
		return LD_EINPUT;
	for (int c = 0; c < DUES_CATEGORY_COUNT; c++) {
		if (strcmp(s, category_names[c]) == 0) {
			*out = (enum dues_category)c;
			return 0;
		}
	}
	return LD_EINPUT;
}

const char *dues_category_name(enum dues_category c)
{
	if ((int)c < 0 || c >= DUES_CATEGORY_COUNT)
		return "?";
	return category_names[c];
}

int dues_category_needs_income(enum dues_category c)
{
	return c == DUES_SALARIED || c == DUES_ANNUAL_SALARY || c == DUES_SELF_EMPLOYED ||
	       c == DUES_RETIRED;
}

int dues_category_is_set(enum dues_category c)
{
	return c == DUES_FARMER || c == DUES_HARDSHIP;
}

/* Dues on INCOME_FEN (0 .. DUES_INCOME_MAX_FEN) by the first bracket that holds it. */
static int64_t by_brackets(const struct bracket *brackets, int64_t income_fen)
{
	const struct bracket *b = brackets;
	while (income_fen > b->up_to_fen)
		b++;
	return (income_fen * b->permille + 500) / 1000;
}

static int fail(const char **reason, const char *why)
{
	if (reason)
		*reason = why;
	return LD_EINPUT;
}

/* Check INCOME_FEN for an income category; 0 or LD_EINPUT with the reason. */
static int check_income(int64_t income_fen, const char **reason)
{
	if (income_fen == -1)
		return fail(
		    reason,
		    _("this dues category is computed from the monthly income, which is "
		      "missing: give the income (--income, or the register's income column)"));
	if (income_fen < 0)
		return fail(reason, _("the monthly income must not be negative"));
	if (income_fen > DUES_INCOME_MAX_FEN)
		return fail(reason, _("the monthly income is too large (more than 1e12 yuan)"));
	return 0;
}

int dues_monthly_fen(enum dues_category c, int64_t income_fen, int64_t set_fen, int64_t *out,
		     const char **reason)
{
	int err;
	/* An amount set per member belongs to farmer and hardship: the others' is computed. */
	if (set_fen != -1 && !dues_category_is_set(c))
		return fail(reason,
			    _("the dues of this category are computed, not set: give --dues "
			      "(the register's dues column) for farmer or hardship only"));
	switch (c) {
	case DUES_SALARIED:
	case DUES_ANNUAL_SALARY:
	case DUES_SELF_EMPLOYED:
		err = check_income(income_fen, reason);
		if (err)
			return err;
		*out = by_brackets(salaried_brackets, income_fen);
		return 0;
	case DUES_RETIRED:
		err = check_income(income_fen, reason);
		if (err)
			return err;
		*out = by_brackets(retired_brackets, income_fen);
		return 0;
	case DUES_FARMER:
		if (set_fen == -1)
			return fail(reason, _("farmer dues are set per member: give an amount from "
					      "0.20 to 1.00 yuan a month"));
		if (set_fen < FARMER_MIN_FEN || set_fen > FARMER_MAX_FEN)
			return fail(reason,
				    _("farmer dues must be from 0.20 to 1.00 yuan a month"));
		*out = set_fen;
		return 0;
	case DUES_STUDENT:
	case DUES_UNEMPLOYED:
		*out = FLAT_FEN;
		return 0;
	case DUES_HARDSHIP:
		/*
		 * Approved reduced dues: 0 up to what the salaried table gives for the income (the
		 * table of any income category gives no more). Without an income that is 0.
		 */
		if (set_fen == -1)
			set_fen = 0;
		if (set_fen < 0)
			return fail(reason, _("hardship dues must not be negative"));
		if (income_fen == -1) {
			if (set_fen > 0)
				return fail(reason,
					    _("hardship dues above 0 need the monthly income: "
					      "they may not exceed the dues it gives"));
		} else {
			err = check_income(income_fen, reason);
			if (err)
				return err;
			if (set_fen > by_brackets(salaried_brackets, income_fen))
				return fail(reason,
					    _("hardship dues must not exceed the dues the income "
					      "table gives for the monthly income"));
		}
		*out = set_fen;
		return 0;
	case DUES_CATEGORY_COUNT:
		break;
	}
	return fail(reason, _("unknown dues category"));
}
