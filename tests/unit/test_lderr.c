/*
 * test_lderr.c: the project's error space and its two translations, from errno (at the edges)
 * and to CLI.md's exit codes.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "lderr.h"
#include "status.h"

static void test_exit_codes(void **state)
{
	assert_int_equal(status_from_error(0), LD_EXIT_OK);
	assert_int_equal(status_from_error(LD_EUSAGE), LD_EXIT_USAGE);
	assert_int_equal(status_from_error(LD_EINPUT), LD_EXIT_INVALID);
	assert_int_equal(status_from_error(LD_ENOTFOUND), LD_EXIT_NOT_FOUND);
	const int refused[] = {LD_EEXIST,   LD_EFORBIDDEN, LD_EALREADY, LD_ESIGNATURE,
			       LD_EREVOKED, LD_EEXPIRED,   LD_ELOCKED};
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++)
		assert_int_equal(status_from_error(refused[i]), LD_EXIT_REFUSED);
	assert_int_equal(status_from_error(LD_ESTOPPING), LD_EXIT_UNAVAILABLE);
	assert_int_equal(status_from_error(LD_EUNAVAILABLE), LD_EXIT_UNAVAILABLE);
	/* A damaged record is not a refusal by a rule, nor is a full disk: both are internal. */
	assert_int_equal(status_from_error(LD_ECORRUPT), LD_EXIT_INTERNAL);
	assert_int_equal(status_from_error(LD_ENOSPACE), LD_EXIT_INTERNAL);
	/* A bare errno carries no meaning of ours, whatever its name suggests. */
	assert_int_equal(status_from_error(-ENOENT), LD_EXIT_INTERNAL);
	assert_int_equal(status_from_error(-EPERM), LD_EXIT_INTERNAL);
	assert_int_equal(status_from_error(-EBADMSG), LD_EXIT_INTERNAL);
	assert_int_equal(status_from_error(-EINVAL), LD_EXIT_INTERNAL);
}

static void test_from_errno(void **state)
{
	assert_int_equal(lderr_from_errno(0), 0);
	assert_int_equal(lderr_from_errno(ENOENT), LD_ENOTFOUND);
	assert_int_equal(lderr_from_errno(EEXIST), LD_EEXIST);
	assert_int_equal(lderr_from_errno(ENOSPC), LD_ENOSPACE);
	assert_int_equal(lderr_from_errno(EDQUOT), LD_ENOSPACE);
	assert_int_equal(lderr_from_errno(EIO), -EIO);
	assert_int_equal(lderr_from_errno(EACCES), -EACCES);
	assert_true(lderr_is_resource(LD_ENOSPACE));
	assert_true(lderr_is_resource(LD_EMAPFULL));
	assert_true(lderr_is_resource(-ENOMEM));
	assert_false(lderr_is_resource(LD_ECORRUPT));
	assert_false(lderr_is_resource(LD_EINPUT));
}

static void test_text(void **state)
{
	for (int e = LD_EBASE - 1; e > LD_ELAST; e--) {
		assert_true(lderr_is_ours(e));
		const char *t = lderr_str(e);
		assert_non_null(t);
		assert_true(strlen(t) > 3);
		assert_null(strstr(t, "Unknown error"));
	}
	assert_false(lderr_is_ours(LD_EBASE));
	assert_false(lderr_is_ours(LD_ELAST));
	assert_false(lderr_is_ours(-ENOENT));
	assert_string_equal(lderr_str(LD_ENOSPACE), "no space left on the data disk");
	assert_string_equal(lderr_str(-ENOENT), strerror(ENOENT));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_exit_codes),
	    cmocka_unit_test(test_from_errno),
	    cmocka_unit_test(test_text),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
