/*
 * test_enums.c: the words of the enumerated options in English and Chinese (enums.h): a Chinese
 * word means its English one, which stays the canonical word; options by command words or control
 * name; the list -h prints; the word a thread shows people, in its language.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "dues.h"
#include "enums.h"
#include "i18n.h"

static void test_chinese_words(void **state)
{
	assert_string_equal(enum_canonical(&enum_outflow_reason, "务工"), "work");
	assert_string_equal(enum_canonical(&enum_outflow_reason, "work"), "work");
	assert_string_equal(enum_canonical(&enum_meeting_kind, "主题党日"), "theme-day");
	assert_string_equal(enum_canonical(&enum_meeting_kind, "支委会"), "committee");
	assert_string_equal(enum_canonical(&enum_dues_category, "离退休"), "retired");
	assert_string_equal(enum_canonical(&enum_sex, "女"), "F");
	assert_string_equal(enum_canonical(&enum_member_kind, "预备党员"), "probationary");
	assert_string_equal(enum_canonical(&enum_lapse_outcome, "停止党籍"), "suspension");
	assert_string_equal(enum_canonical(&enum_probation_result, "转正"), "full");
	assert_string_equal(enum_canonical(&enum_revoke_reason, "遗失"), "lost");
	assert_string_equal(enum_canonical(&enum_feedback_kind, "帮扶"), "help");
	assert_string_equal(enum_canonical(&enum_location, "已报到"), "checked-in");
	assert_string_equal(enum_canonical(&enum_request_kind, "组织关系转接"), "transfer");
	assert_string_equal(enum_canonical(&enum_notice_kind, "换届选举"), "election");
	assert_string_equal(enum_canonical(&enum_visit_kind, "节日慰问"), "holiday");
	/* Not a word of this enum: another enum's, a part of one, nothing. */
	assert_null(enum_canonical(&enum_outflow_reason, "遗失"));
	assert_null(enum_canonical(&enum_outflow_reason, "务"));
	assert_null(enum_canonical(&enum_outflow_reason, ""));
	assert_null(enum_canonical(&enum_outflow_reason, NULL));
	assert_null(enum_canonical(&enum_outflow_reason, "Work"));
}

static void test_options(void **state)
{
	/* --reason is an outflow reason, a revoke reason, or free text, by command. */
	assert_ptr_equal(enum_for_option("outflow register", "reason"), &enum_outflow_reason);
	assert_ptr_equal(enum_for_option("outflow.register", "reason"), &enum_outflow_reason);
	assert_ptr_equal(enum_for_option("cert.revoke", "reason"), &enum_revoke_reason);
	assert_null(enum_for_option("dues.refund", "reason"));
	assert_null(enum_for_option("meeting.attend", "reason"));
	assert_null(enum_for_option("outflow", "reason"));
	assert_null(enum_for_option("outflow.registe", "reason"));
	assert_ptr_equal(enum_for_option("meeting.add", "kind"), &enum_meeting_kind);
	assert_ptr_equal(enum_for_option("member.add", "kind"), &enum_member_kind);
	assert_ptr_equal(enum_for_option("feedback", "kind"), &enum_feedback_kind);
	assert_ptr_equal(enum_for_option("dues calc", "category"), &enum_dues_category);
	assert_ptr_equal(enum_for_option("request.open", "kind"), &enum_request_kind);
	assert_ptr_equal(enum_for_option("notice send", "kind"), &enum_notice_kind);
	assert_ptr_equal(enum_for_option("visit.add", "kind"), &enum_visit_kind);

	assert_string_equal(enum_normalize("member.add", "dues-category", "离退休"), "retired");
	assert_string_equal(enum_normalize("outflow.register", "reason", "务工"), "work");
	/* Free text and unknown words pass as they are: the handler says what is wrong. */
	const char *text = "务工";
	assert_ptr_equal(enum_normalize("dues.refund", "reason", text), text);
	const char *maybe = "maybe";
	assert_ptr_equal(enum_normalize("lapse.decide", "outcome", maybe), maybe);

	/* What bash completion walks: every pair, each enum with words. */
	const char *command, *option;
	const struct ld_enum *e;
	size_t n = 0;
	while (enum_option_at(n, &command, &option, &e)) {
		assert_ptr_equal(enum_for_option(command, option), e);
		assert_true(e->n > 0);
		n++;
	}
	assert_true(n >= 12);
}

/* The daemon's dues categories are the enum's, each with its Chinese word. */
static void test_dues_categories(void **state)
{
	assert_int_equal(enum_dues_category.n, DUES_CATEGORY_COUNT);
	for (size_t i = 0; i < enum_dues_category.n; i++) {
		enum dues_category c;
		assert_int_equal(dues_category_parse(enum_dues_category.words[i].word, &c), 0);
		assert_string_equal(dues_category_name(c), enum_dues_category.words[i].word);
		assert_non_null(enum_dues_category.words[i].zh[0]);
	}
}

static void test_words_listed(void **state)
{
	char buf[512];
	enum_words(&enum_outflow_reason, buf, sizeof(buf));
	assert_string_equal(buf, "work (务工), business (经商), residence (居住), study (学习), "
				 "other (其他)");
	enum_words(&enum_member_kind, buf, sizeof(buf));
	assert_string_equal(buf, "full (正式党员/正式), probationary (预备党员/预备)");
	/* A short buffer: cut, still a string. */
	char small[10];
	enum_words(&enum_meeting_kind, small, sizeof(small));
	assert_true(strlen(small) < sizeof(small));
}

/* A thread switched to Chinese (as the daemon does for a request) shows the usual Chinese word. */
static void test_display_follows_the_language_of_the_thread(void **state)
{
	assert_string_equal(enum_display(&enum_meeting_kind, "theme-day"), "theme-day");
	locale_t zh = i18n_locale("zh_CN");
	if (!zh)
		fail_msg("no locale zh_CN.UTF-8 on this machine: run scripts/deps (as root)");
	locale_t old = i18n_use(zh);
	assert_string_equal(i18n_lang(), "zh_CN");
	assert_string_equal(enum_display(&enum_meeting_kind, "theme-day"), "主题党日");
	assert_string_equal(enum_display(&enum_member_kind, "full"), "正式党员");
	/* Not a word of that enum: as it is. */
	assert_string_equal(enum_display(&enum_meeting_kind, "work"), "work");
	assert_null(enum_display(&enum_meeting_kind, NULL));
	i18n_restore(old);
	assert_null(i18n_lang());
	assert_string_equal(enum_display(&enum_member_kind, "full"), "full");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_chinese_words),
	    cmocka_unit_test(test_options),
	    cmocka_unit_test(test_dues_categories),
	    cmocka_unit_test(test_words_listed),
	    cmocka_unit_test(test_display_follows_the_language_of_the_thread),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
