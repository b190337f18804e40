/*
 * test_idno.c: unit tests of common/idno.c. Every refusal is checked by the sentence the user
 * reads, and numbers that are refused for one fault are built correct in every other way (with the
 * right check character), so that each test shows the fault it names is the one found.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <string.h>

#include "date.h"
#include "idno.h"
#include "lderr.h"

#define VALID_FEMALE "11010519491231002X" /* the example of DOMAIN.md: female, born 1949-12-31 */

/* First 17 digits plus their check character: a number whose check character is right. */
static const char *with_check(const char *first17)
{
	static char buf[LD_IDNO_SIZE];
	assert_int_equal(strlen(first17), 17);
	memcpy(buf, first17, 17);
	buf[17] = idno_check_char(first17);
	assert_true(buf[17] != 0);
	buf[18] = '\0';
	return buf;
}

static int32_t day(const char *s)
{
	int32_t d = 0;
	assert_int_equal(date_parse(s, &d), 0);
	return d;
}

/* S is refused (with no birth date or sex to match) with exactly the reason EXPECTED. */
static void assert_refused(const char *s, int32_t birth, char sex, const char *expected)
{
	const char *reason = NULL;
	char normalized[LD_IDNO_SIZE] = "untouched";
	assert_int_equal(idno_validate(s, birth, sex, normalized, &reason), LD_EINPUT);
	assert_non_null(reason);
	assert_string_equal(reason, expected);
	assert_string_equal(normalized, "untouched");
}

static void test_check_char(void **state)
{
	(void)state;
	assert_int_equal(idno_check_char("11010519491231002"), 'X');
	assert_int_equal(idno_check_char("44052418800101001"), '4'); /* GB 11643's own example */
	assert_int_equal(idno_check_char("11010519491231001"), '1');
	/* Only the first 17 characters count. */
	assert_int_equal(idno_check_char(VALID_FEMALE), 'X');
	/* Not digits: no check character. */
	assert_int_equal(idno_check_char("1101051949123100A"), 0);
	assert_int_equal(idno_check_char("1101051949"), 0);
	assert_int_equal(idno_check_char(""), 0);
	assert_int_equal(idno_check_char(NULL), 0);
}

static void test_valid_numbers(void **state)
{
	(void)state;
	char normalized[LD_IDNO_SIZE];
	const char *reason = "not set";
	assert_int_equal(idno_validate(VALID_FEMALE, LD_DATE_NONE, 0, normalized, &reason), 0);
	assert_string_equal(normalized, VALID_FEMALE);
	assert_string_equal(reason, "not set"); /* untouched on success */

	/* With the birth date and sex it must match. */
	assert_int_equal(idno_validate(VALID_FEMALE, day("1949-12-31"), 'F', normalized, NULL), 0);
	assert_int_equal(idno_validate(VALID_FEMALE, day("1949-12-31"), 'f', NULL, NULL), 0);

	/* A lowercase x is the same number. */
	assert_int_equal(idno_validate("11010519491231002x", LD_DATE_NONE, 0, normalized, NULL), 0);
	assert_string_equal(normalized, VALID_FEMALE);

	/* A man, born on a leap day, in Jiangsu. */
	const char *man = with_check("32058220000229001");
	assert_int_equal(idno_validate(man, day("2000-02-29"), 'M', normalized, NULL), 0);
	assert_string_equal(normalized, man);

	/* Every province code is accepted, and Hong Kong, Macao, Taiwan and residence permits. */
	static const char *const provinces[] = {
	    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34",
	    "35", "36", "37", "41", "42", "43", "44", "45", "46", "50", "51", "52",
	    "53", "54", "61", "62", "63", "64", "65", "71", "81", "82", "83", "91",
	};
	for (size_t i = 0; i < sizeof(provinces) / sizeof(provinces[0]); i++) {
		char first17[18];
		memcpy(first17, provinces[i], 2);
		memcpy(first17 + 2, "010519491231002", 16);
		if (idno_validate(with_check(first17), LD_DATE_NONE, 0, NULL, &reason) != 0)
			fail_msg("province %s refused: %s", provinces[i], reason);
	}
}

static void test_reason_may_be_null(void **state)
{
	(void)state;
	assert_int_equal(idno_validate("123", LD_DATE_NONE, 0, NULL, NULL), LD_EINPUT);
	assert_int_equal(idno_validate("110105194912310021", LD_DATE_NONE, 0, NULL, NULL),
			 LD_EINPUT);
}

static void test_refused_length(void **state)
{
	(void)state;
	assert_refused("", LD_DATE_NONE, 0, "identity number is empty");
	assert_refused(NULL, LD_DATE_NONE, 0, "identity number is empty");
	assert_refused("1", LD_DATE_NONE, 0, "identity number has 1 character, expected 18");
	assert_refused("11010519491231002", LD_DATE_NONE, 0,
		       "identity number has 17 characters, expected 18");
	assert_refused("11010519491231002X1", LD_DATE_NONE, 0,
		       "identity number has 19 characters, expected 18");
	/* The old 15-digit numbers are not accepted. */
	assert_refused("110105491231002", LD_DATE_NONE, 0,
		       "identity number has 15 characters, expected 18");
	/* Spaces count: a number pasted with a space around it is too long. */
	assert_refused(" " VALID_FEMALE, LD_DATE_NONE, 0,
		       "identity number has 19 characters, expected 18");
	assert_refused(VALID_FEMALE "\n", LD_DATE_NONE, 0,
		       "identity number has 19 characters, expected 18");
	/* Characters, not bytes: "身份证号" is 4 characters (12 bytes). */
	assert_refused("身份证号", LD_DATE_NONE, 0,
		       "identity number has 4 characters, expected 18");
}

static void test_refused_characters(void **state)
{
	(void)state;
	assert_refused("1101051949123A002X", LD_DATE_NONE, 0,
		       "identity number character 14 is 'A', expected a digit");
	assert_refused("X10105194912310021", LD_DATE_NONE, 0,
		       "identity number character 1 is 'X', expected a digit");
	assert_refused("110105 94912310021", LD_DATE_NONE, 0,
		       "identity number character 7 is a space, expected a digit");
	assert_refused("11010519491231002Y", LD_DATE_NONE, 0,
		       "identity number character 18 is 'Y', expected a digit or X");
	assert_refused("110105-9491231002X", LD_DATE_NONE, 0,
		       "identity number character 7 is '-', expected a digit");
	/* A full-width digit (as typed by a Chinese input method) is one character, not a digit. */
	assert_refused("１10105194912310021", LD_DATE_NONE, 0,
		       "identity number character 1 is not a digit");
	assert_refused("11010519491231002叉", LD_DATE_NONE, 0,
		       "identity number character 18 is not a digit or X");
	assert_refused("1101051949\t231002X", LD_DATE_NONE, 0,
		       "identity number character 11 is not a digit");
}

static void test_refused_area_code(void **state)
{
	(void)state;
	assert_refused(with_check("01010519491231002"), LD_DATE_NONE, 0,
		       "identity number area code 010105 is not real: 01 is not a province code");
	assert_refused(with_check("99010519491231002"), LD_DATE_NONE, 0,
		       "identity number area code 990105 is not real: 99 is not a province code");
	assert_refused(with_check("16010519491231002"), LD_DATE_NONE, 0,
		       "identity number area code 160105 is not real: 16 is not a province code");
	assert_refused(with_check("00000019491231002"), LD_DATE_NONE, 0,
		       "identity number area code 000000 is not real: 00 is not a province code");
	assert_refused(with_check("72010519491231002"), LD_DATE_NONE, 0,
		       "identity number area code 720105 is not real: 72 is not a province code");
}

static void test_refused_birth_date(void **state)
{
	(void)state;
	assert_refused(with_check("11010519491331002"), LD_DATE_NONE, 0,
		       "identity number birth date 19491331 is not a real date");
	assert_refused(with_check("11010519490229002"), LD_DATE_NONE, 0,
		       "identity number birth date 19490229 is not a real date");
	assert_refused(with_check("11010519000229002"), LD_DATE_NONE, 0,
		       "identity number birth date 19000229 is not a real date");
	assert_refused(with_check("11010519491200002"), LD_DATE_NONE, 0,
		       "identity number birth date 19491200 is not a real date");
	assert_refused(with_check("11010519490431002"), LD_DATE_NONE, 0,
		       "identity number birth date 19490431 is not a real date");
	assert_refused(with_check("11010518990230002"), LD_DATE_NONE, 0,
		       "identity number birth date 18990230 is not a real date");
	/* GB 11643's own example is a real number, but of a man born in 1880. */
	assert_refused("440524188001010014", LD_DATE_NONE, 0,
		       "identity number birth date 18800101 is before 1900");
	assert_refused(with_check("11010529991231002"), LD_DATE_NONE, 0,
		       "identity number birth date 29991231 is in the future");
	/* A leap day in a leap year is real. */
	assert_int_equal(
	    idno_validate(with_check("11010520000229002"), LD_DATE_NONE, 0, NULL, NULL), 0);
	assert_int_equal(
	    idno_validate(with_check("11010519960229002"), LD_DATE_NONE, 0, NULL, NULL), 0);
}

static void test_refused_check_char(void **state)
{
	(void)state;
	assert_refused("110105194912310023", LD_DATE_NONE, 0,
		       "identity number check character is 3, expected X (a digit is mistyped)");
	/* One digit mistyped. */
	assert_refused("11010519491231003X", LD_DATE_NONE, 0,
		       "identity number check character is X, expected 8 (a digit is mistyped)");
	/* Two neighbouring digits swapped, in the sequence and in the area code. */
	assert_refused("11010519491231020X", LD_DATE_NONE, 0,
		       "identity number check character is X, expected 6 (a digit is mistyped)");
	assert_refused("11001519491231002X", LD_DATE_NONE, 0,
		       "identity number check character is X, expected 7 (a digit is mistyped)");
	/* A lowercase x is named as X. */
	assert_refused("11010519491231001x", LD_DATE_NONE, 0,
		       "identity number check character is X, expected 1 (a digit is mistyped)");
}

static void test_refused_birth_mismatch(void **state)
{
	(void)state;
	assert_refused(VALID_FEMALE, day("1950-01-01"), 0,
		       "identity number birth date 1949-12-31 does not match --birth 1950-01-01");
	assert_refused(VALID_FEMALE, day("1949-12-30"), 'F',
		       "identity number birth date 1949-12-31 does not match --birth 1949-12-30");
}

static void test_refused_sex(void **state)
{
	(void)state;
	assert_refused(VALID_FEMALE, LD_DATE_NONE, 'M',
		       "identity number sequence digit says female, but --sex is M");
	assert_refused(VALID_FEMALE, day("1949-12-31"), 'm',
		       "identity number sequence digit says female, but --sex is M");
	assert_refused("110105194912310011", LD_DATE_NONE, 'F',
		       "identity number sequence digit says male, but --sex is F");
	assert_refused(VALID_FEMALE, LD_DATE_NONE, 'Q', "--sex must be M or F");
	/* Every odd digit is male, every even digit female. */
	for (char digit = '0'; digit <= '9'; digit++) {
		char first17[18] = "1101051949123100";
		first17[16] = digit;
		first17[17] = '\0';
		char sex = (digit - '0') % 2 ? 'M' : 'F';
		assert_int_equal(idno_validate(with_check(first17), LD_DATE_NONE, sex, NULL, NULL),
				 0);
	}
}

/*
 * A number checked again (as each layer of an import or of a peer's apply does) is judged again
 * on what it is given each time: the birth date and sex still compared, the number normalized.
 */
static void test_checked_again(void **state)
{
	(void)state;
	char norm[LD_IDNO_SIZE];
	assert_int_equal(idno_validate(VALID_FEMALE, LD_DATE_NONE, 0, NULL, NULL), 0);
	assert_refused(VALID_FEMALE, day("1950-01-01"), 0,
		       "identity number birth date 1949-12-31 does not match --birth 1950-01-01");
	assert_refused(VALID_FEMALE, LD_DATE_NONE, 'M',
		       "identity number sequence digit says female, but --sex is M");
	assert_int_equal(idno_validate(VALID_FEMALE, day("1949-12-31"), 'F', norm, NULL), 0);
	assert_string_equal(norm, VALID_FEMALE);
	/* One character off right after: refused, not taken for the number before it. */
	char off[] = VALID_FEMALE;
	off[17] = off[17] == '1' ? '2' : '1';
	assert_int_not_equal(idno_validate(off, LD_DATE_NONE, 0, NULL, NULL), 0);
	assert_int_not_equal(idno_validate("1101051949123100", LD_DATE_NONE, 0, NULL, NULL), 0);
	/* A lowercase x is the same number, normalized to X, whichever was checked first. */
	assert_int_equal(idno_validate(VALID_FEMALE, LD_DATE_NONE, 0, NULL, NULL), 0);
	assert_int_equal(idno_validate("11010519491231002x", LD_DATE_NONE, 0, norm, NULL), 0);
	assert_string_equal(norm, VALID_FEMALE);
	assert_int_equal(idno_validate(VALID_FEMALE, LD_DATE_NONE, 0, norm, NULL), 0);
	assert_string_equal(norm, VALID_FEMALE);
}

static void test_mask(void **state)
{
	(void)state;
	char out[LD_IDNO_SIZE];
	assert_string_equal(idno_mask(VALID_FEMALE, out), "110105********002*");
	assert_ptr_equal(idno_mask(VALID_FEMALE, out), out);
	/* Nothing of the birth date shows. */
	assert_null(strstr(idno_mask("320582200002290011", out), "2000"));
	/*
	 * The check character is hidden too: with the birth year the default views show, every
	 * month and day of that year gives a number with a right check character, so nothing
	 * shown tells the real one. (With it shown, 1 in 11 would fit: about 33 candidates.)
	 */
	assert_string_equal(idno_mask("11010519491231002X", out), "110105********002*");
	char other[LD_IDNO_SIZE];
	idno_mask(with_check("11010519490101002"), other);
	assert_string_equal(idno_mask(with_check("11010519491231002"), out), other);
	/* Short strings (never a stored number) are masked whole. */
	assert_string_equal(idno_mask("123456789", out), "*********");
	assert_string_equal(idno_mask("1", out), "*");
	assert_string_equal(idno_mask("", out), "");
	assert_string_equal(idno_mask(NULL, out), "");
	assert_string_equal(idno_mask("110105491231002", out), "***************");
	/* Longer strings are cut to 18 first. */
	assert_string_equal(idno_mask("11010519491231002X99", out), "110105********002*");
}

/* Keys: back to the number they were made of, in strcmp's order, equal only for equal numbers. */
static void test_key(void **state)
{
	(void)state;
	const char *numbers[] = {"000000000000000000", "11010519491231002X", "110105194912310029",
				 "11010519491231003X", "320583198001010211", "999999999999999999",
				 "99999999999999999X"};
	const size_t n = sizeof(numbers) / sizeof(numbers[0]);
	for (size_t i = 0; i < n; i++) {
		char back[LD_IDNO_SIZE];
		idno_of_key(idno_key(numbers[i]), back);
		assert_string_equal(back, numbers[i]);
		for (size_t j = 0; j < n; j++) {
			int by_text = strcmp(numbers[i], numbers[j]);
			uint64_t a = idno_key(numbers[i]), b = idno_key(numbers[j]);
			assert_int_equal(by_text < 0, a < b);
			assert_int_equal(by_text == 0, a == b);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_check_char),
	    cmocka_unit_test(test_valid_numbers),
	    cmocka_unit_test(test_reason_may_be_null),
	    cmocka_unit_test(test_refused_length),
	    cmocka_unit_test(test_refused_characters),
	    cmocka_unit_test(test_refused_area_code),
	    cmocka_unit_test(test_refused_birth_date),
	    cmocka_unit_test(test_refused_check_char),
	    cmocka_unit_test(test_refused_birth_mismatch),
	    cmocka_unit_test(test_refused_sex),
	    cmocka_unit_test(test_checked_again),
	    cmocka_unit_test(test_mask),
	    cmocka_unit_test(test_key),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
