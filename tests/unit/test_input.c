/*
 * test_input.c: unit tests of common/input.c: trimming, the text of names and places, phone
 * numbers, the operator.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "input.h"
#include "lderr.h"
#include "utf8.h"

static void assert_trimmed(const char *in, const char *want)
{
	char buf[128];
	snprintf(buf, sizeof(buf), "%s", in);
	assert_ptr_equal(input_trim(buf), buf);
	assert_string_equal(buf, want);
}

static void test_trim(void **state)
{
	(void)state;
	assert_trimmed("  张三  ", "张三");
	assert_trimmed("\t张 三\r\n", "张 三");
	assert_trimmed("\u3000张三\u3000", "张三"); /* the ideographic space of an input method */
	assert_trimmed("\u00a0张三\u00a0", "张三");
	assert_trimmed("   ", "");
	assert_trimmed("", "");
	assert_trimmed("张三", "张三");
	assert_trimmed("x\u3000 \u00a0", "x"); /* spaces of one, two and three bytes at the end */
	assert_trimmed("\u3000", "");
	assert_trimmed("张 ", "张");
	assert_trimmed("a\u00a0b", "a\u00a0b");
	/* Control characters: not text, left as they are for the checks to refuse. */
	assert_trimmed(" a\x01 ", " a\x01 ");
	assert_trimmed(" a\x7f", " a\x7f");
	assert_trimmed("\v a ", "\v a ");
	/* Not UTF-8: left as it is, for the checks to refuse. */
	assert_trimmed(" \xd5\xc5 ", " \xd5\xc5 ");
	/* Printable ASCII at both ends: nothing to trim, whatever lies between. */
	assert_trimmed("a", "a");
	assert_trimmed("a \u3000 b", "a \u3000 b");
	assert_trimmed("a\x01\xd5\x62", "a\x01\xd5\x62"); /* \x62: b */
	assert_trimmed("a\u3000", "a");
	assert_trimmed("\u3000a", "a");
	/* Characters kept at both ends, whatever their length: nothing to trim. */
	assert_trimmed("张 \u3000 三", "张 \u3000 三");
	assert_trimmed("\u00e9t\u00e9", "\u00e9t\u00e9");
	assert_trimmed("\U0001F600x\U0001F600", "\U0001F600x\U0001F600");
	assert_trimmed("张\u3000", "张");
	assert_trimmed("\u00a0张", "张");
	assert_trimmed("张 \u00a0", "张");
	/* A last character not well formed, or more continuation bytes than a character holds:
	 * not UTF-8, left as it is. */
	assert_trimmed(" 张\xe5\xbc", " 张\xe5\xbc");
	assert_trimmed(" 张\x80\x80\x80\x80", " 张\x80\x80\x80\x80");
	assert_trimmed("\x80\x80 ", "\x80\x80 ");
}

static void assert_text_refused(const char *s, const char *why_part)
{
	const char *why = NULL;
	assert_int_equal(input_text_check(s, 96, &why), LD_EINPUT);
	assert_non_null(why);
	assert_non_null(strstr(why, why_part));
}

static void test_text(void **state)
{
	(void)state;
	const char *why;
	assert_int_equal(input_text_check("张三", 96, &why), 0);
	assert_int_equal(input_text_check("买买提·艾力", 96, NULL), 0);
	assert_int_equal(input_text_check("=HYPERLINK(\"x\")", 96, NULL), 0);
	assert_int_equal(input_text_check("南京市 鼓楼区", 96, NULL), 0);
	assert_text_refused("", "empty");
	assert_text_refused(" 张三", "white space");
	assert_text_refused("张三\u3000", "white space");
	assert_text_refused("张\t三", "control");
	assert_text_refused("张\n三", "control");
	assert_text_refused("张\r三", "control");
	assert_text_refused("张\x7f三", "control");
	assert_text_refused("张\xc2\x85三", "control"); /* C1 */
	assert_text_refused("\xd5\xc5", "UTF-8");
	for (const char *const *p =
		 (const char *const[]){"\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066",
				       "\u2067", "\u2068", "\u2069", "\u200e", "\u200f", NULL};
	     *p; p++) {
		char s[32];
		snprintf(s, sizeof(s), "张%s三", *p);
		assert_text_refused(s, "bidirectional");
	}
	assert_text_refused("张\u200b三", "zero-width");
	assert_text_refused("张\u200c三", "zero-width");
	assert_text_refused("张\u200d三", "zero-width");
	assert_text_refused("\ufeff张三", "zero-width");
	/*
	 * The last character is read from its first byte, never past the NUL: the bytes after this
	 * name, read as the rest of a character begun by the last byte of 员, would make U+00A0.
	 */
	const char after_nul[] = "流动党员\0\x82\xa0";
	assert_int_equal(input_text_check(after_nul, 96, &why), 0);
	/* MAX counts bytes: 32 Chinese characters are 96. */
	char name[128] = "";
	for (int i = 0; i < 32; i++)
		strcat(name, "张");
	assert_int_equal(input_text_check(name, 96, NULL), 0);
	strcat(name, "a");
	assert_text_refused(name, "too long");
}

/*
 * What input_text_check refused before it judged a text in one walk: UTF-8 (and no control
 * character but tab and line ends) first, over the whole text; then, character by character, a
 * control character, then an invisible one. The reference for the walk below.
 */
static const char *text_fault_in_two_walks(const char *s)
{
	if (!utf8_valid(s, true))
		return "UTF-8";
	for (const char *p = s; *p;) {
		uint32_t cp;
		size_t n = utf8_char(p, &cp);
		if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0))
			return "(TAB, newline)";
		if (cp == 0x200e || cp == 0x200f || (cp >= 0x202a && cp <= 0x202e) ||
		    (cp >= 0x2066 && cp <= 0x2069) || (cp >= 0x200b && cp <= 0x200d) ||
		    cp == 0xfeff)
			return "zero-width";
		p += n;
	}
	return NULL;
}

static void test_text_faults_in_one_walk(void **state)
{
	(void)state;
	/* Not UTF-8 anywhere is the reason, even after another fault; else the first fault. */
	assert_text_refused("张\t三\xd5", "UTF-8");
	assert_text_refused("张\u200b三\x01", "UTF-8");
	assert_text_refused("张\u200b三\t", "zero-width");
	assert_text_refused("张\t三\u200b", "(TAB, newline)");
	/* Random texts of pieces that are each one case or another. */
	static const char *const pieces[] = {"a",
					     "Z9",
					     " ",
					     "\t",
					     "\n",
					     "\r",
					     "\x01",
					     "\x7f",
					     "张",
					     "员",
					     "\u00b7",
					     "\u00a0",
					     "\u3000",
					     "\u200b",
					     "\u202e",
					     "\ufeff",
					     "\u2066",
					     "\xc2\x85",
					     "\xd5",
					     "\xe5\xbc",
					     "\xc0\xaf",
					     "\xed\xa0\x80",
					     "\xf0\x9f\x98\x80",
					     "\xf4\x90\x80\x80",
					     "\x80"};
	uint64_t x = 0x2545f4914f6cdd1du;
	for (int round = 0; round < 20000; round++) {
		char s[64] = "";
		int n = 1 + (int)(round % 6);
		for (int i = 0; i < n; i++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			strcat(s, pieces[x % (sizeof(pieces) / sizeof(pieces[0]))]);
		}
		const char *want = text_fault_in_two_walks(s), *why = NULL;
		int rc = input_text_check(s, sizeof(s), &why);
		if (want) {
			assert_int_equal(rc, LD_EINPUT);
			if (!strstr(why, want))
				fail_msg("round %d: \"%s\" refused as %s, not %s", round, s, why,
					 want);
		} else if (rc) {
			assert_null(strstr(why, "UTF-8"));
			assert_null(strstr(why, "(TAB, newline)"));
			assert_null(strstr(why, "zero-width"));
		}
	}
}

static void test_phone(void **state)
{
	(void)state;
	const char *good[] = {"13800000000",	 "19912345678",	     "+8613800000000",
			      "+86 13800000000", "+86-13800000000",  "025-84561234",
			      "010-1234567",	 "0512-12345678",    "0512 12345678",
			      "02584561234",	 "+86 025-84561234", NULL};
	for (const char **p = good; *p; p++) {
		const char *why = NULL;
		if (input_phone_check(*p, &why) != 0)
			fail_msg("%s refused: %s", *p, why);
	}
	const char *bad[] = {"",
			     "1",
			     "12345",
			     "1380000000",
			     "138000000001",
			     "12800000000",
			     "10800000000",
			     "025-1234",
			     "025-123456789",
			     "0251234",
			     "+8612345",
			     "86 13800000000",
			     "13800000000 ",
			     "0-1234567",
			     "00000-1234567",
			     "025--84561234",
			     "abc",
			     "１３８００００００００",
			     NULL};
	for (const char **p = bad; *p; p++) {
		const char *why = NULL;
		if (input_phone_check(*p, &why) != LD_EINPUT)
			fail_msg("%s accepted", *p);
		assert_non_null(strstr(why, "025-84561234"));
	}
}

static void test_operator(void **state)
{
	(void)state;
	const char *why;
	assert_int_equal(input_operator_check("审计员甲", &why), 0);
	assert_int_equal(input_operator_check("li.ming", NULL), 0);
	assert_int_equal(input_operator_check("a b", NULL), 0);
	char op[5001];
	memset(op, 'o', 64);
	op[64] = '\0';
	assert_int_equal(input_operator_check(op, NULL), 0);
	op[64] = 'o';
	op[65] = '\0';
	assert_int_equal(input_operator_check(op, &why), LD_EINPUT);
	assert_non_null(strstr(why, "1 to 64"));
	/* 64 characters, not bytes. */
	char zh[64 * 3 + 1] = "";
	for (int i = 0; i < 64; i++)
		strcat(zh, "审");
	assert_int_equal(input_operator_check(zh, NULL), 0);
	memset(op, 'o', 5000);
	op[5000] = '\0';
	assert_int_equal(input_operator_check(op, NULL), LD_EINPUT);
	assert_int_equal(input_operator_check("", NULL), LD_EINPUT);
	assert_int_equal(input_operator_check("   ", NULL), LD_EINPUT);
	assert_int_equal(input_operator_check("a\tb", NULL), LD_EINPUT);
	assert_int_equal(input_operator_check("a\u202eb", NULL), LD_EINPUT);
	assert_int_equal(input_operator_check("\xd5\xc5", NULL), LD_EINPUT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_trim),
	    cmocka_unit_test(test_text),
	    cmocka_unit_test(test_text_faults_in_one_walk),
	    cmocka_unit_test(test_phone),
	    cmocka_unit_test(test_operator),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
