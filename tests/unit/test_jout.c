/*
 * test_jout.c: unit tests of server/jout.c and the member view written with it: the text it
 * writes is byte for byte what jansson's compact dump gives for the tree the same calls build
 * (escapes, non-ASCII, strings that are not UTF-8 and are left out, nested objects, integers at
 * their limits), and `member show`'s view of members in several states is the same both ways.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "date.h"
#include "jout.h"
#include "view.h"

typedef void (*writer)(struct jout *o, const void *arg);

/*
 * W run both ways: the text must equal the compact dump of the tree, and EXPECT when given.
 */
static void same_both_ways(writer w, const void *arg, const char *expect)
{
	json_t *tree = json_object();
	struct jout t;
	jout_tree(&t, tree);
	w(&t, arg);
	char *dumped = json_dumps(tree, JSON_COMPACT);
	assert_non_null(dumped);

	struct jout x;
	jout_text(&x);
	w(&x, arg);
	char *text = jout_text_take(&x);
	assert_non_null(text);
	assert_string_equal(text, dumped);
	if (expect)
		assert_string_equal(text, expect);
	free(text);
	free(dumped);
	json_decref(tree);
}

static void write_empty(struct jout *o, const void *arg)
{
	(void)o;
	(void)arg;
}

static void write_scalars(struct jout *o, const void *arg)
{
	(void)arg;
	jout_string(o, "plain", "王建国 001/002");
	jout_string(o, "escapes", "a\"b\\c\bd\fe\nf\rg\th\x01i\x1fj\x7fk");
	jout_string(o, "empty", "");
	jout_integer(o, "zero", 0);
	jout_integer(o, "min", INT64_MIN);
	jout_integer(o, "max", INT64_MAX);
	jout_integer(o, "neg", -1234);
	jout_bool(o, "yes", true);
	jout_bool(o, "no", false);
	jout_null(o, "nothing");
	jout_string(o, "four_bytes", "\xF0\x9F\x98\x80 \xE4\xB8\xAD");
}

static void scalars_as_jansson(void **state)
{
	(void)state;
	same_both_ways(write_empty, NULL, "{}");
	same_both_ways(
	    write_scalars, NULL,
	    "{\"plain\":\"王建国 001/002\",\"escapes\":\"a\\\"b\\\\c\\bd\\fe\\nf\\rg\\th"
	    "\\u0001i\\u001Fj\x7fk\",\"empty\":\"\",\"zero\":0,\"min\":"
	    "-9223372036854775808,\"max\":9223372036854775807,\"neg\":-1234,"
	    "\"yes\":true,\"no\":false,\"nothing\":null,\"four_bytes\":\"\xF0\x9F\x98\x80"
	    " \xE4\xB8\xAD\"}");
}

/* Not UTF-8 (or NULL): each such key is left out, its neighbours and their commas kept. */
static const char *const not_utf8[] = {
    "\xC0\x80",		/* overlong NUL */
    "\xE0\x80\xAF",	/* overlong '/' */
    "\xED\xA0\x80",	/* a surrogate */
    "\xF4\x90\x80\x80", /* over U+10FFFF */
    "\xF5\x80\x80\x80", /* no such lead byte */
    "ab\xE4\xB8",	/* cut short */
    "\x80",		/* a lone continuation */
    "ok\xFF",		/* never in UTF-8 */
    NULL,
};

static void write_bad_strings(struct jout *o, const void *arg)
{
	const char *bad = arg;
	jout_string(o, "bad_first", bad);
	jout_string(o, "a", "1");
	jout_string(o, "bad", bad);
	jout_integer(o, "b", 2);
	jout_string(o, "bad_last", bad);
}

static void bad_strings_left_out(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(not_utf8) / sizeof(not_utf8[0]); i++)
		same_both_ways(write_bad_strings, not_utf8[i], "{\"a\":\"1\",\"b\":2}");
}

/* Nested objects: kept, empty, or left out whole when a string in them is not UTF-8. */
static void write_nested(struct jout *o, const void *arg)
{
	const char *inner = arg;
	jout_begin(o, "first");
	jout_string(o, "s", inner);
	jout_end(o);
	jout_string(o, "mid", "m");
	jout_begin(o, "empty");
	jout_end(o);
	jout_begin(o, "outer");
	jout_integer(o, "n", 1);
	jout_begin(o, "inner");
	jout_string(o, "s", inner);
	jout_integer(o, "after", 3);
	jout_end(o);
	jout_end(o);
	jout_begin(o, "last");
	jout_string(o, "s", inner);
	jout_end(o);
}

static void nested_as_jansson(void **state)
{
	(void)state;
	same_both_ways(write_nested, "x",
		       "{\"first\":{\"s\":\"x\"},\"mid\":\"m\",\"empty\":{},\"outer\":{\"n\":1,"
		       "\"inner\":{\"s\":\"x\",\"after\":3}},\"last\":{\"s\":\"x\"}}");
	/* The tree side here is jansson with json_object_set_new(NULL): the same as json_pack's. */
	same_both_ways(write_nested, "\xC0\x80",
		       "{\"mid\":\"m\",\"empty\":{},\"outer\":{\"n\":1}}");
}

static void unbalanced_is_refused(void **state)
{
	(void)state;
	struct jout x;
	jout_text(&x);
	jout_begin(&x, "open");
	assert_null(jout_text_take(&x));
	jout_text(&x);
	jout_end(&x);
	assert_null(jout_text_take(&x));
}

/* ---------------------------------------------------------------------------------------------- */
/* The member view                                                                                */

struct shown {
	const Ld__MemberState *st;
	bool reveal;
};

static const uint8_t self_id[32] = {1, 2, 3};

static void write_member(struct jout *o, const void *arg)
{
	const struct shown *s = arg;
	view_member(o, s->st, s->reveal, self_id, "昆山");
}

static void member_view_as_jansson(void **state)
{
	(void)state;
	int32_t birth, joined, from, until, day;
	assert_int_equal(date_parse("1980-05-17", &birth), 0);
	assert_int_equal(date_parse("2001-07-01", &joined), 0);
	assert_int_equal(date_parse("2026-03-01", &from), 0);
	assert_int_equal(date_parse("2027-02-28", &until), 0);
	assert_int_equal(date_parse("2026-06-30", &day), 0);

	Ld__MemberInfo info = LD__MEMBER_INFO__INIT;
	info.id = "110105198005170011";
	info.name = "王\"建\\国";
	info.sex = "M";
	info.birth = birth;
	info.joined = joined;
	info.kind = "full";
	info.branch = "001";
	info.dues_category = "salaried";
	info.monthly_dues_fen = 3250;
	info.phone = "13900000001";
	Ld__MemberState home = LD__MEMBER_STATE__INIT;
	home.info = &info;
	home.state = "home";
	home.outflow_site.data = (uint8_t *)self_id;
	home.outflow_site.len = sizeof(self_id);
	home.last_attended = LD_DATE_NONE;
	home.last_report = LD_DATE_NONE;
	struct shown s = {&home, false};
	same_both_ways(write_member, &s, NULL);
	s.reveal = true;
	same_both_ways(write_member, &s, NULL);

	/* Away, with everything the view shows set. */
	Ld__OutflowInfo of = LD__OUTFLOW_INFO__INIT;
	of.reason = "work";
	of.inflow_name = "南京";
	of.place = "南京市\t玄武区";
	of.fixed_place = true;
	of.from = from;
	of.until = until;
	of.employer = "甲,乙建筑公司";
	of.suggested_branch = "007";
	of.suggested_branch_name = "第七支部";
	Ld__DuesExemption ex1 = LD__DUES_EXEMPTION__INIT, ex2 = LD__DUES_EXEMPTION__INIT;
	ex1.id = "320583-2025-E1";
	ex2.id = "320583-2026-E2";
	ex2.from_month = 2026 * 12;
	ex2.to_month = 2026 * 12 + 11;
	ex2.monthly_fen = 0;
	ex2.approved_by = "张书记";
	Ld__DuesExemption *exs[] = {&ex1, &ex2};
	Ld__Checkin checkin = LD__CHECKIN__INIT;
	checkin.branch = "102";
	Ld__MemberState away = home;
	away.state = "checked-in";
	away.outflow = &of;
	away.outflow_site.data = (uint8_t[32]){9};
	away.outflow_name = "苏州";
	away.certificate = "320583-2026-000123";
	away.last_attended = day;
	away.last_report = day;
	away.last_contact = day;
	away.departed = day;
	away.lapse = "no contact";
	away.n_exemptions = 2;
	away.exemptions = exs;
	away.stay_ended = day;
	away.temp_branch = "T01";
	away.returned = day;
	away.transfer = "320583-2026-T9";
	away.probation = "合格";
	away.checkin = &checkin;
	away.checkin_date = day;
	s.st = &away;
	for (int r = 0; r < 2; r++) {
		s.reveal = r;
		same_both_ways(write_member, &s, NULL);
	}
	/* A name that is not UTF-8 (a corrupt record) is left out the same way. */
	info.name = "\xE4\xB8";
	ex2.approved_by = "\xFF";
	same_both_ways(write_member, &s, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(scalars_as_jansson),     cmocka_unit_test(bad_strings_left_out),
	    cmocka_unit_test(nested_as_jansson),      cmocka_unit_test(unbalanced_is_refused),
	    cmocka_unit_test(member_view_as_jansson),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
