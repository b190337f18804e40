/*
 * test_money.c: unit tests of common/money.c: which amounts a user may type, what they are worth in
 * fen, and how fen are shown back (always two decimals).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "money.h"
#include "lderr.h"

struct good_case {
	const char *text;
	int64_t fen;
};

static void test_parse_good(void **state)
{
	(void)state;
	static const struct good_case cases[] = {
	    {"0", 0},
	    {"0.00", 0},
	    {"0.2", 20},
	    {"0.20", 20},
	    {"0.01", 1},
	    {"1", 100},
	    {"12.5", 1250}, /* one decimal means tenths of a yuan */
	    {"12.50", 1250},
	    {"12.05", 1205},
	    {"3000", 300000},
	    {"3000.01", 300001},
	    {"2345.67", 234567},
	    {"007.00", 700},			  /* leading zeros are harmless */
	    {"1000000000000", 100000000000000LL}, /* the limit, 1e12 yuan */
	    {"1000000000000.00", 100000000000000LL},
	    {"999999999999.99", 99999999999999LL},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int64_t fen = -12345;
		if (money_parse(cases[i].text, &fen) != 0)
			fail_msg("money_parse(\"%s\") refused", cases[i].text);
		if (fen != cases[i].fen)
			fail_msg("money_parse(\"%s\") = %lld fen, expected %lld", cases[i].text,
				 (long long)fen, (long long)cases[i].fen);
	}
}

static void test_parse_bad(void **state)
{
	(void)state;
	static const char *const bad[] = {
	    "",	      /* nothing */
	    "12.505", /* a third decimal: no such fen */
	    "12.500", /* even a zero one */
	    "-1",     /* no sign: a negative amount is never typed */
	    "+1",
	    "1e3", /* no exponent */
	    "1E3",
	    " 1", /* no spaces */
	    "1 ",
	    "1\n",
	    "1.", /* a point needs decimals: "1." may be a cut-off "1.5" */
	    ".5", /* and digits before it */
	    ".",
	    "1..5",
	    "1.2.3",
	    "1,000", /* no thousands separators */
	    "1,5",   /* nor a decimal comma */
	    "¥12",
	    "12元",
	    "０.２０", /* full-width digits */
	    "0x10",
	    "inf",
	    "nan",
	    "1000000000000.01", /* over the limit */
	    "1000000000001",
	    "99999999999999999999999999", /* would overflow int64_t */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int64_t fen = -12345;
		if (money_parse(bad[i], &fen) != LD_EINPUT)
			fail_msg("money_parse(\"%s\") accepted", bad[i]);
		if (fen != -12345)
			fail_msg("money_parse(\"%s\") changed *fen", bad[i]);
	}
	/* Too large is told apart from a wrong form. */
	assert_true(money_too_large("1000000000001"));
	assert_true(money_too_large("99999999999999999999.5"));
	assert_false(money_too_large("1000000000000"));
	assert_false(money_too_large("12.345"));
	assert_false(money_too_large("-5"));
	assert_false(money_too_large(NULL));
	int64_t fen = -12345;
	assert_int_equal(money_parse(NULL, &fen), LD_EINPUT);
	assert_int_equal(fen, -12345);
}

static void assert_format(int64_t fen, const char *expected)
{
	char out[LD_MONEY_LEN];
	assert_string_equal(money_format(fen, out), expected);
}

static void test_format(void **state)
{
	(void)state;
	assert_format(0, "0.00");
	assert_format(1, "0.01");
	assert_format(20, "0.20");
	assert_format(100, "1.00");
	assert_format(1250, "12.50");
	assert_format(1173, "11.73");
	assert_format(300001, "3000.01");
	assert_format(-20, "-0.20");
	assert_format(-1, "-0.01");
	assert_format(-12345, "-123.45");
	assert_format(100000000000000LL, "1000000000000.00");
	assert_format(INT64_MAX, "92233720368547758.07");
	assert_format(INT64_MIN, "-92233720368547758.08");
	char out[LD_MONEY_LEN];
	assert_ptr_equal(money_format(0, out), out);
}

/* What is shown can be typed back in. */
static void test_round_trip(void **state)
{
	(void)state;
	static const int64_t amounts[] = {
	    0, 1, 9, 10, 99, 100, 101, 1999, 300000, 300001, 100000000000000LL};
	for (size_t i = 0; i < sizeof(amounts) / sizeof(amounts[0]); i++) {
		char out[LD_MONEY_LEN];
		int64_t back = -1;
		assert_int_equal(money_parse(money_format(amounts[i], out), &back), 0);
		assert_int_equal(back, amounts[i]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse_good),
	    cmocka_unit_test(test_parse_bad),
	    cmocka_unit_test(test_format),
	    cmocka_unit_test(test_round_trip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
