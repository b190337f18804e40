/*
 * test_i18n.c: a thread speaks the language it is given (i18n_locale, i18n_use), whatever the
 * process's locale, as the daemon's writer and reader threads do for each request; a language
 * without a catalog is English; the labels have a context of their own. Needs the catalogs of the
 * build tree ($LIUDONG_LOCALEDIR, set by meson) and the locale zh_CN.UTF-8 (scripts/deps).
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "i18n.h"

#define MSG "internal error in the daemon (its log has the details)"

static void test_languages(void **state)
{
	assert_int_equal(i18n_bind(), 0);
	locale_t zh = i18n_locale("zh_CN");
	if (!zh)
		fail_msg("no locale zh_CN.UTF-8 on this machine: run scripts/deps (as root)");
	/* The same one each time, whatever the codeset named. */
	assert_true(i18n_locale("zh_CN.UTF-8") == zh);
	assert_true(i18n_locale("zh_CN.utf8@x") == zh);
	/* No catalog, nonsense, nothing: English. */
	assert_true(i18n_locale("fr_FR") == (locale_t)0);
	assert_true(i18n_locale("C") == (locale_t)0);
	assert_true(i18n_locale("../../etc") == (locale_t)0);
	assert_true(i18n_locale("") == (locale_t)0);
	assert_true(i18n_locale(NULL) == (locale_t)0);
	assert_true(i18n_locale("zh_CN_and_a_very_long_name_too") == (locale_t)0);
}

static void *speak(void *arg)
{
	locale_t old = i18n_use(*(locale_t *)arg);
	char *out = strdup(_(MSG));
	i18n_restore(old);
	return out;
}

static void test_threads(void **state)
{
	assert_int_equal(i18n_bind(), 0);
	locale_t langs[2] = {i18n_locale("zh_CN"), (locale_t)0};
	pthread_t t[2];
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&t[i], NULL, speak, &langs[i]), 0);
	char *said[2];
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_join(t[i], (void **)&said[i]), 0);
	assert_string_equal(said[0], "守护进程内部错误（详情见其日志）");
	assert_string_equal(said[1], MSG);
	/* The process itself stayed in C. */
	assert_string_equal(_(MSG), MSG);
	free(said[0]);
	free(said[1]);
}

static void test_labels(void **state)
{
	assert_int_equal(i18n_bind(), 0);
	locale_t old = i18n_use(i18n_locale("zh_CN"));
	assert_string_equal(i18n_label("last_contact"), "最近联系");
	assert_string_equal(i18n_label("acked_seq"), "已确认序号");
	assert_null(i18n_label("no_such_field"));
	i18n_restore(old);
	assert_null(i18n_label("last_contact"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_languages),
	    cmocka_unit_test(test_threads),
	    cmocka_unit_test(test_labels),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
