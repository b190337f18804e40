/*
 * test_rules.c: every rule with a clock at its boundary: the day before it is due raises nothing,
 * its day and the day after raise it; month arithmetic at the ends of months.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "config.h"
#include "date.h"
#include "rules.h"

static struct rules r;

static int32_t d(const char *s)
{
	int32_t v;
	assert_int_equal(date_parse(s, &v), 0);
	return v;
}

/* A member away since FROM at this outflow site, checked in, paid and in touch up to FROM. */
static struct member_facts away(const char *from)
{
	struct member_facts f = {0};
	f.outflow_here = true;
	f.away = true;
	f.checked_in = true;
	f.from = d(from);
	f.probation_end = LD_DATE_NONE;
	f.last_attended = f.last_report = f.last_contact = LD_DATE_NONE;
	f.paid_month = INT32_MIN;
	return f;
}

static bool raised(const struct member_facts *f, const char *as_of, const char *kind)
{
	struct reminder out[RULES_MAX_REMINDERS];
	size_t n = rules_member(&r, f, d(as_of), out, RULES_MAX_REMINDERS);
	for (size_t i = 0; i < n; i++) {
		if (strcmp(out[i].kind, kind) == 0)
			return true;
	}
	return false;
}

/* KIND is not raised the day before DUE, and is raised on DUE and the day after. */
static void boundary(const struct member_facts *f, const char *before, const char *due,
		     const char *after, const char *kind)
{
	assert_false(raised(f, before, kind));
	assert_true(raised(f, due, kind));
	assert_true(raised(f, after, kind));
}

static void test_not_checked_in(void **state)
{
	struct member_facts f = away("2026-02-01");
	f.checked_in = false;
	boundary(&f, "2026-03-02", "2026-03-03", "2026-03-04", "not-checked-in");
	f.checked_in = true;
	assert_false(raised(&f, "2026-03-04", "not-checked-in"));
	/* Raised at the inflow site too. */
	f.checked_in = false;
	f.outflow_here = false;
	f.inflow_here = true;
	assert_true(raised(&f, "2026-03-04", "not-checked-in"));
}

static void test_no_org_life(void **state)
{
	struct member_facts f = away("2025-12-01");
	f.last_attended = d("2026-01-27");
	boundary(&f, "2026-07-26", "2026-07-27", "2026-07-28", "no-org-life");
	boundary(&f, "2026-04-26", "2026-04-27", "2026-04-28", "no-org-life-warning");
	/* The full rule replaces the warning. */
	assert_false(raised(&f, "2026-07-28", "no-org-life-warning"));
	assert_false(raised(&f, "2026-06-26", "no-org-life"));
	/* Never attended: the clock starts when he left. */
	f.last_attended = LD_DATE_NONE;
	boundary(&f, "2026-05-31", "2026-06-01", "2026-06-02", "no-org-life");
}

static void test_transfer(void **state)
{
	struct member_facts f = away("2026-01-10");
	f.fixed_place = true;
	boundary(&f, "2026-07-09", "2026-07-10", "2026-07-11", "transfer");
	f.fixed_place = false;
	assert_false(raised(&f, "2026-07-11", "transfer"));
	/* Raised to the outflow site only, and not once a letter is issued. */
	f.fixed_place = true;
	f.transfer_open = true;
	f.transfer_issued = d("2026-07-10");
	assert_false(raised(&f, "2026-07-11", "transfer"));
	f.transfer_open = false;
	f.outflow_here = false;
	f.inflow_here = true;
	assert_false(raised(&f, "2026-07-11", "transfer"));
}

static void test_month_ends(void **state)
{
	/* 6 months after the 31st of August is the last day of February. */
	struct member_facts f = away("2026-08-31");
	f.fixed_place = true;
	boundary(&f, "2027-02-27", "2027-02-28", "2027-03-01", "transfer");
	/* After the 30th and 29th: the 29th of February in a leap year. */
	f = away("2027-08-30");
	f.fixed_place = true;
	boundary(&f, "2028-02-28", "2028-02-29", "2028-03-01", "transfer");
	f = away("2027-08-29");
	f.fixed_place = true;
	boundary(&f, "2028-02-28", "2028-02-29", "2028-03-01", "transfer");
	/* And an ordinary 31st: 2026-01-31 + 6 months = 2026-07-31. */
	f = away("2026-01-31");
	f.fixed_place = true;
	boundary(&f, "2026-07-30", "2026-07-31", "2026-08-01", "transfer");
}

static void test_no_dues(void **state)
{
	struct member_facts f = away("2026-01-10");
	int32_t m;
	assert_int_equal(month_parse("2026-03", &m), 0);
	f.paid_month = m; /* paid through March: the clock starts on 1 April */
	boundary(&f, "2026-06-30", "2026-07-01", "2026-07-02", "no-dues-warning");
	boundary(&f, "2026-09-30", "2026-10-01", "2026-10-02", "no-dues");
	/* Nothing paid since he left: from the day he left. */
	f.paid_month = INT32_MIN;
	boundary(&f, "2026-07-09", "2026-07-10", "2026-07-11", "no-dues");
}

static void test_contact_and_report(void **state)
{
	struct member_facts f = away("2026-01-15");
	f.last_contact = d("2026-02-28");
	boundary(&f, "2026-05-27", "2026-05-28", "2026-05-29", "no-contact-warning");
	boundary(&f, "2026-08-27", "2026-08-28", "2026-08-29", "no-contact");
	f.last_report = d("2026-03-31");
	boundary(&f, "2026-09-29", "2026-09-30", "2026-10-01", "report-overdue");
	/* Both are the outflow site's. */
	f.outflow_here = false;
	f.inflow_here = true;
	assert_false(raised(&f, "2026-10-01", "report-overdue"));
	assert_false(raised(&f, "2026-10-01", "no-contact"));
}

/* KIND is raised neither the day before FIRST nor the day after LAST, and on both. */
static void window(const struct member_facts *f, const char *before, const char *first,
		   const char *last, const char *after, const char *kind)
{
	assert_false(raised(f, before, kind));
	assert_true(raised(f, first, kind));
	assert_true(raised(f, last, kind));
	assert_false(raised(f, after, kind));
}

/* A certificate issued on ISSUED for 365 days counting that day, at his inflow site. */
static struct member_facts certified(const char *issued)
{
	struct member_facts f = away("2026-01-10");
	f.has_cert = true;
	f.cert_reviewed = d(issued);
	f.cert_valid_until = d(issued) + 364;
	f.outflow_here = false; /* checked in: the inflow branch reviews it */
	f.inflow_here = true;
	return f;
}

static void test_cert_review(void **state)
{
	struct member_facts f = certified("2026-01-12"); /* valid through 2027-01-11 */
	assert_int_equal(f.cert_valid_until, d("2027-01-11"));
	/* Due 12 months after issue, and still due after the certificate expired. */
	boundary(&f, "2027-01-11", "2027-01-12", "2027-01-13", "cert-review");
	assert_true(raised(&f, "2027-06-30", "cert-review"));
	assert_true(raised(&f, "2027-06-30", "cert-expired"));
	/* Reviewed (passed): due 12 months after the review, validity renewed. */
	f.cert_reviewed = d("2027-01-20");
	f.cert_valid_until = d("2027-01-20") + 364;
	boundary(&f, "2028-01-19", "2028-01-20", "2028-01-21", "cert-review");
	assert_false(raised(&f, "2027-06-30", "cert-expired"));
	/* Reviewed and failed: the clock restarts, the validity does not. */
	f.cert_valid_until = d("2027-01-11");
	assert_false(raised(&f, "2027-06-30", "cert-review"));
	assert_true(raised(&f, "2027-06-30", "cert-expired"));
	/* Not checked in: his outflow site reviews it, not the inflow site. */
	f = certified("2026-01-12");
	f.checked_in = false;
	assert_false(raised(&f, "2027-01-12", "cert-review"));
	f.outflow_here = true;
	f.inflow_here = false;
	assert_true(raised(&f, "2027-01-12", "cert-review"));
}

static void test_cert_review_leap_year(void **state)
{
	/*
	 * Issued 2027-03-01, its year spans 2028-02-29: valid through 2028-02-28, the review due on
	 * 2028-03-01, after it expired. Raised from that day on until it is done.
	 */
	struct member_facts f = certified("2027-03-01");
	assert_int_equal(f.cert_valid_until, d("2028-02-28"));
	boundary(&f, "2028-02-29", "2028-03-01", "2028-03-02", "cert-review");
	assert_true(raised(&f, "2028-12-31", "cert-review"));
	/* Issued on 29 February: 12 months later is 28 February. */
	f = certified("2028-02-29");
	boundary(&f, "2029-02-27", "2029-02-28", "2029-03-01", "cert-review");
}

static void test_cert_expiring_expired(void **state)
{
	struct member_facts f = certified("2026-01-12"); /* valid through 2027-01-11 */
	/* 30 days before its last valid day through that day, then cert-expired from the next. */
	window(&f, "2026-12-11", "2026-12-12", "2027-01-11", "2027-01-12", "cert-expiring");
	boundary(&f, "2027-01-11", "2027-01-12", "2027-01-13", "cert-expired");
	/* Both sites are told. */
	f.outflow_here = true;
	f.inflow_here = false;
	assert_true(raised(&f, "2026-12-12", "cert-expiring"));
	assert_true(raised(&f, "2027-01-12", "cert-expired"));
	/* Across 29 February. */
	f = certified("2027-03-01"); /* valid through 2028-02-28 */
	window(&f, "2028-01-28", "2028-01-29", "2028-02-28", "2028-02-29", "cert-expiring");
	boundary(&f, "2028-02-28", "2028-02-29", "2028-03-01", "cert-expired");
	/* No certificate, no reminder. */
	f.has_cert = false;
	assert_false(raised(&f, "2028-02-01", "cert-expiring"));
	assert_false(raised(&f, "2028-03-01", "cert-expired"));
	assert_false(raised(&f, "2028-03-01", "cert-review"));
}

static void test_probation_and_letters(void **state)
{
	struct member_facts f = away("2026-01-10");
	f.probationary = true;
	f.probation_end = d("2026-11-30");
	boundary(&f, "2026-11-29", "2026-11-30", "2026-12-01", "probation");
	/* Extended: the reminder follows the new end. */
	f.probation_end = d("2027-05-31");
	boundary(&f, "2027-05-30", "2027-05-31", "2027-06-01", "probation");
	/* The outflow site's alone. */
	f.outflow_here = false;
	f.inflow_here = true;
	assert_false(raised(&f, "2027-06-01", "probation"));
	f.outflow_here = true;
	f.inflow_here = false;
	f.transfer_open = true;
	f.transfer_issued = d("2026-01-31");
	boundary(&f, "2026-02-27", "2026-02-28", "2026-03-01", "transfer-unacknowledged");
}

static void test_closed_raises_nothing(void **state)
{
	struct member_facts f = away("2020-01-01");
	f.fixed_place = true;
	f.checked_in = false;
	struct reminder out[RULES_MAX_REMINDERS];
	assert_true(rules_member(&r, &f, d("2026-01-01"), out, RULES_MAX_REMINDERS) > 3);
	f.closed = true;
	assert_int_equal(rules_member(&r, &f, d("2026-01-01"), out, RULES_MAX_REMINDERS), 0);
}

/*
 * holiday-visit: a mobile member with no visit in 12 months, from 14 days before 七一 and 春节
 * through the day, at both his sites; a visit within the year silences it.
 */
static void test_holiday_visit(void **state)
{
	struct member_facts f = away("2026-02-01");
	f.last_visit = LD_DATE_NONE;
	boundary(&f, "2027-06-16", "2027-06-17", "2027-06-24", "holiday-visit");
	assert_true(raised(&f, "2027-07-01", "holiday-visit"));
	assert_false(raised(&f, "2027-07-02", "holiday-visit"));
	/* Never visited: said so, with no date to be "since". */
	struct reminder out[RULES_MAX_REMINDERS];
	size_t n = rules_member(&r, &f, d("2027-06-24"), out, RULES_MAX_REMINDERS);
	for (size_t i = 0; i < n; i++)
		if (strcmp(out[i].kind, "holiday-visit") == 0) {
			assert_non_null(strstr(out[i].detail, "no visit (走访慰问) yet"));
			assert_null(strstr(out[i].detail, "since"));
		}
	/* 春节 2028 is 26 January: from 12 January. */
	boundary(&f, "2028-01-11", "2028-01-12", "2028-01-19", "holiday-visit");
	assert_false(raised(&f, "2028-01-27", "holiday-visit"));
	/* A visit 11 months before silences it; one a full year before does not. */
	f.last_visit = d("2026-07-24");
	assert_false(raised(&f, "2027-06-24", "holiday-visit"));
	f.last_visit = d("2026-06-24");
	assert_true(raised(&f, "2027-06-24", "holiday-visit"));
	/* At the inflow site too; not for a member at home or whose stay here ended. */
	f.outflow_here = false;
	f.inflow_here = true;
	assert_true(raised(&f, "2027-06-24", "holiday-visit"));
	f.away = false;
	assert_false(raised(&f, "2027-06-24", "holiday-visit"));
	f.away = true;
	f.closed = true;
	assert_false(raised(&f, "2027-06-24", "holiday-visit"));
	/* Its settings. */
	struct rules keep = r;
	f.closed = false;
	r.holiday_visit_days = 7;
	assert_false(raised(&f, "2027-06-23", "holiday-visit"));
	assert_true(raised(&f, "2027-06-24", "holiday-visit"));
	r = keep;
}

static void test_settings(void **state)
{
	struct member_facts f = away("2026-01-10");
	f.fixed_place = true;
	r.transfer_months = 12;
	assert_false(raised(&f, "2026-07-11", "transfer"));
	assert_true(raised(&f, "2027-01-10", "transfer"));
	rules_defaults(&r);
}

int main(void)
{
	rules_defaults(&r);
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_not_checked_in),
	    cmocka_unit_test(test_no_org_life),
	    cmocka_unit_test(test_transfer),
	    cmocka_unit_test(test_month_ends),
	    cmocka_unit_test(test_no_dues),
	    cmocka_unit_test(test_contact_and_report),
	    cmocka_unit_test(test_cert_review),
	    cmocka_unit_test(test_cert_review_leap_year),
	    cmocka_unit_test(test_cert_expiring_expired),
	    cmocka_unit_test(test_probation_and_letters),
	    cmocka_unit_test(test_closed_raises_nothing),
	    cmocka_unit_test(test_settings),
	    cmocka_unit_test(test_holiday_visit),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
