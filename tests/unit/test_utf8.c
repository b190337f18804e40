/*
 * test_utf8.c: unit tests of common/utf8.c: what counts as readable UTF-8, and a hostile text made
 * one readable line.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "utf8.h"

static void test_valid(void **state)
{
	(void)state;
	assert_true(utf8_valid("张三 Zhang\t", false));
	assert_true(utf8_valid("line\nline\r\n", true));
	assert_false(utf8_valid("line\nline", false));
	assert_false(utf8_valid("\x7f", false));
	assert_false(utf8_valid("\xc0\xaf", false));	     /* overlong '/' */
	assert_false(utf8_valid("\xed\xa0\x80", false));     /* a surrogate */
	assert_false(utf8_valid("\xf4\x90\x80\x80", false)); /* above U+10FFFF */
	assert_false(utf8_valid("\xe5\xbc", false));	     /* cut inside a character */
	assert_false(utf8_valid("\xd5\xc5\xc8\xfd", false)); /* 张三 in GBK */
}

static void test_one_line(void **state)
{
	(void)state;
	char a[] = "张三\nrefused\tus\r";
	assert_string_equal(utf8_one_line(a), "张三 refused us ");
	char b[] = "bad \xff byte, cut \xe5\xbc";
	assert_string_equal(utf8_one_line(b), "bad ? byte, cut ??");
	char c[] = "\xc0\xaf\xed\xa0\x80 ok";
	assert_string_equal(utf8_one_line(c), "????? ok");
	assert_true(utf8_valid(c, false));
	char d[] = "";
	assert_string_equal(utf8_one_line(d), "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_valid),
	    cmocka_unit_test(test_one_line),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
