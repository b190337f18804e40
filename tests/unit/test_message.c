/*
 * test_message.c: unit tests of common/message.c: the cut of quoted input, and that every other
 * conversion prints as printf prints it.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "message.h"

static char out[1024];

__attribute__((format(printf, 1, 2))) static const char *fmt(const char *f, ...)
{
	va_list ap;
	va_start(ap, f);
	message_vformat(out, sizeof(out), f, ap);
	va_end(ap);
	return out;
}

static void test_cut(void **state)
{
	(void)state;
	char big[300], want[400];
	memset(big, 'a', 299);
	big[299] = '\0';
	snprintf(want, sizeof(want), "code '%.80s…' is bad", big);
	assert_string_equal(fmt("code '%s' is bad", big), want);
	/* 80 characters exactly: not cut. */
	big[80] = '\0';
	snprintf(want, sizeof(want), "'%s'", big);
	assert_string_equal(fmt("'%s'", big), want);
	/* 81: cut. */
	big[80] = 'a';
	big[81] = '\0';
	assert_non_null(strstr(fmt("'%s'", big), "a…'"));
	assert_int_equal(strlen(out), 2 + 80 + 3);
	/* UTF-8: characters, not bytes, and never half of one. */
	char zh[400] = "";
	for (int i = 0; i < 100; i++)
		strcat(zh, "张");
	fmt("%s", zh);
	assert_int_equal(strlen(out), 80 * 3 + 3);
	assert_string_equal(out + 80 * 3, "…");
	/* A precision is the caller's: printed as asked. */
	memset(big, 'b', 299);
	big[299] = '\0';
	assert_int_equal(strlen(fmt("%.200s", big)), 200);
	assert_int_equal(strlen(fmt("%.*s", 150, big)), 150);
}

static void test_cut_small_buffer(void **state)
{
	(void)state;
	char dst[8];
	assert_string_equal(message_cut("abcdefghij", 80, dst, sizeof(dst)), "abcd…");
	assert_string_equal(message_cut("张三李四", 80, dst, sizeof(dst)), "张…");
	assert_string_equal(message_cut("abc", 80, dst, sizeof(dst)), "abc");
	assert_string_equal(message_cut("abcdef", 3, dst, sizeof(dst)), "abc…");
	assert_string_equal(message_cut("", 3, dst, sizeof(dst)), "");
}

static void test_other_conversions(void **state)
{
	(void)state;
	char want[256];
	uint64_t u = UINT64_C(18446744073709551615);
	size_t z = 12345;
	snprintf(want, sizeof(want),
		 "%d %5d %-3d| %u %ld %lld %zu %" PRIu64 " %x %#o %c %% %.2f %g %s", -7, 42, 1, 3u,
		 -9L, -10LL, z, u, 255u, 8u, 'Q', 3.14159, 0.5, "ok");
	assert_string_equal(fmt("%d %5d %-3d| %u %ld %lld %zu %" PRIu64 " %x %#o %c %% %.2f %g %s",
				-7, 42, 1, 3u, -9L, -10LL, z, u, 255u, 8u, 'Q', 3.14159, 0.5, "ok"),
			    want);
	assert_string_equal(fmt("%*d|%-*s|%.*s", 5, 42, 4, "ab", 2, "xyz"), "   42|ab  |xy");
	assert_string_equal(fmt("no conversions"), "no conversions");
	assert_string_equal(fmt("%s and %s", "甲", "乙"), "甲 and 乙");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_cut),
	    cmocka_unit_test(test_cut_small_buffer),
	    cmocka_unit_test(test_other_conversions),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
