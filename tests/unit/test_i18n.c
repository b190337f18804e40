/*
 * test_i18n.c: a thread speaks the language it is given (i18n_locale, i18n_use), whatever the
 * process's locale, as the daemon's writer and reader threads do for each request; a language
 * without a catalog is English; the labels have a context of their own. Needs the catalogs of the
 * build tree ($LIUDONG_LOCALEDIR, set by meson) and the locale zh_CN.UTF-8 (scripts/deps). The
 * rules' reminders read in the thread's language, its translations' numbered arguments in their
 * order, the language changing from one call to the next on one thread (rules.c remembers each
 * translation per thread and locale).
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

#include "config.h"
#include "date.h"
#include "i18n.h"
#include "rules.h"

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

/* The details rules_member gives a member away since 2026-01-15 with no contact, as of
 * 2026-12-01, in DETAILS (by kind: no-org-life, not-checked-in). */
static void reminders(const char **kinds, char details[][200], size_t n)
{
	struct rules r;
	rules_defaults(&r);
	struct member_facts f = {0};
	f.outflow_here = f.away = true;
	assert_int_equal(date_parse("2026-01-15", &f.from), 0);
	f.probation_end = f.last_attended = f.last_report = f.last_contact = LD_DATE_NONE;
	f.paid_month = INT32_MIN;
	int32_t as_of;
	assert_int_equal(date_parse("2026-12-01", &as_of), 0);
	struct reminder out[RULES_MAX_REMINDERS];
	size_t got = rules_member(&r, &f, as_of, out, RULES_MAX_REMINDERS);
	for (size_t k = 0; k < n; k++) {
		details[k][0] = '\0';
		for (size_t i = 0; i < got; i++)
			if (strcmp(out[i].kind, kinds[k]) == 0)
				snprintf(details[k], sizeof(details[k]), "%s", out[i].detail);
	}
}

static void test_reminders(void **state)
{
	assert_int_equal(i18n_bind(), 0);
	const char *kinds[] = {"no-org-life", "not-checked-in"};
	char details[2][200];
	for (int round = 0; round < 2; round++) {
		locale_t old = i18n_use(i18n_locale("zh_CN"));
		reminders(kinds, details, 2);
		i18n_restore(old);
		assert_string_equal(details[0], "自 2026-01-15 起未参加组织生活（6 个月）");
		assert_string_equal(details[1], "2026-01-15 外出登记，30 天后仍未到流入地报到");
		reminders(kinds, details, 2);
		assert_string_equal(details[0],
				    "no organizational life attended since 2026-01-15 (6 months)");
		assert_string_equal(details[1], "registered out on 2026-01-15 and not reported in "
						"at the inflow site after 30 days");
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_languages),
	    cmocka_unit_test(test_threads),
	    cmocka_unit_test(test_labels),
	    cmocka_unit_test(test_reminders),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
