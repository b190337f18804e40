/*
 * rules.c: see rules.h. One function per rule; each adds at most one reminder.
 */
#include "rules.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "calendar.h"
#include "date.h"
#include "i18n.h"

struct sink {
	struct reminder *out;
	size_t n, max;
};

static void reminder_add(struct sink *s, const char *kind, int32_t since, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void reminder_add(struct sink *s, const char *kind, int32_t since, const char *fmt, ...)
{
	if (s->n >= s->max)
		return;
	struct reminder *r = &s->out[s->n++];
	r->kind = kind;
	r->since = since;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->detail, sizeof(r->detail), _(fmt), ap);
	va_end(ap);
}

static int32_t latest(int32_t a, int32_t b)
{
	if (a == LD_DATE_NONE)
		return b;
	if (b == LD_DATE_NONE)
		return a;
	return a > b ? a : b;
}

/*
 * A 6-month rule with an early warning: REF is when the clock started. Raises KIND at MONTHS,
 * else KIND-warning at WARN_MONTHS (0: no warning).
 */
static void clock_rule(struct sink *s, int32_t as_of, int32_t ref, int months, int warn_months,
		       const char *kind, const char *warning, const char *what)
{
	char day[LD_DATE_LEN];
	int32_t due = date_add_months(ref, months);
	if (as_of >= due) {
		reminder_add(s, kind, due, "no %s since %s (%d months)", _(what),
			     date_format(ref, day), months);
		return;
	}
	if (warn_months > 0 && warn_months < months) {
		int32_t warn = date_add_months(ref, warn_months);
		if (as_of >= warn)
			reminder_add(s, warning, warn, "no %s since %s; due on %s", _(what),
				     date_format(ref, day),
				     date_format(due, (char[LD_DATE_LEN]){0}));
	}
}

size_t rules_member(const struct rules *r, const struct member_facts *f, int32_t as_of,
		    struct reminder *out, size_t max)
{
	struct sink s = {.out = out, .max = max};
	char day[LD_DATE_LEN];
	if (f->closed)
		return 0;
	if (f->away) {
		/* Away at a fixed place 6+ months: his relation should move (应转尽转). */
		int32_t due = date_add_months(f->from, r->transfer_months);
		if (f->outflow_here && f->fixed_place && !f->transfer_open && as_of >= due)
			reminder_add(&s, "transfer", due,
				     "away at a fixed place since %s: transfer his "
				     "relation (liudong transfer issue)",
				     date_format(f->from, day));
		/* Registered out, not reported in (报到). */
		due = f->from + r->checkin_days;
		if (!f->checked_in && as_of >= due)
			reminder_add(&s, "not-checked-in", due,
				     "registered out on %s and not reported in at "
				     "the inflow site after %d days",
				     date_format(f->from, day), r->checkin_days);
		/* Organizational life, dues: both sites; the case is the outflow site's. */
		clock_rule(&s, as_of, latest(f->last_attended, f->from), r->org_life_months,
			   r->org_life_warning_months, "no-org-life", "no-org-life-warning",
			   N_("organizational life attended"));
		int32_t paid_to = LD_DATE_NONE;
		if (f->paid_month != INT32_MIN) {
			int y = (f->paid_month + 1) / 12, m = (f->paid_month + 1) % 12 + 1;
			paid_to = date_from_ymd(y, m, 1); /* the first day not paid for */
		}
		clock_rule(&s, as_of, latest(paid_to, f->from), r->dues_months,
			   r->dues_warning_months, "no-dues", "no-dues-warning", N_("dues paid"));
		if (f->outflow_here) {
			clock_rule(&s, as_of, latest(f->last_contact, f->from), r->contact_months,
				   r->contact_warning_months, "no-contact", "no-contact-warning",
				   N_("contact of any kind"));
			int32_t ref = latest(f->last_report, f->from);
			due = date_add_months(ref, r->report_months);
			if (as_of >= due)
				reminder_add(&s, "report-overdue", due,
					     "no thought report (思想汇报) since %s",
					     date_format(ref, day));
		}
		if (f->has_cert) {
			/*
			 * 年审 by the branch where he takes part in organizational life: due 12
			 * months after issue or the last review, until it is done, expired or not.
			 */
			due = date_add_months(f->cert_reviewed, r->cert_review_months);
			bool reviewer = f->checked_in ? f->inflow_here : f->outflow_here;
			if (reviewer && as_of >= due)
				reminder_add(&s, "cert-review", due,
					     "annual review (年审) of his certificate "
					     "is due since %s (liudong cert review)",
					     date_format(due, day));
			if (as_of > f->cert_valid_until)
				reminder_add(&s, "cert-expired", f->cert_valid_until + 1,
					     "his certificate "
					     "expired on %s: issue a new one or record his return",
					     date_format(f->cert_valid_until, day));
			else if (as_of >= f->cert_valid_until - CERT_EXPIRING_DAYS)
				reminder_add(
				    &s, "cert-expiring", f->cert_valid_until - CERT_EXPIRING_DAYS,
				    "his certificate is valid until %s: review it (年审) or issue "
				    "a new one",
				    date_format(f->cert_valid_until, day));
		}
	}
	if (f->outflow_here && f->probationary && f->probation_end != LD_DATE_NONE) {
		/* One year from admission, or the end an extension named. */
		if (as_of >= f->probation_end)
			reminder_add(&s, "probation", f->probation_end,
				     "probation ends on %s: his branch decides on "
				     "conversion (liudong probation decide)",
				     date_format(f->probation_end, day));
	}
	/*
	 * Before 七一 and 春节 (走访慰问): a mobile member with no visit in the last visit_months,
	 * at both his sites, from holiday_visit_days before the holiday through its day.
	 */
	int32_t holiday;
	const char *name;
	if (f->away && (f->outflow_here || f->inflow_here) &&
	    calendar_care_holiday(as_of, r->holiday_visit_days, &holiday, &name)) {
		int32_t visit = f->last_visit ? f->last_visit : LD_DATE_NONE;
		if (visit == LD_DATE_NONE || visit <= date_add_months(as_of, -r->visit_months)) {
			char seen[LD_DATE_LEN];
			if (visit == LD_DATE_NONE)
				snprintf(seen, sizeof(seen), "%s", _("never"));
			else
				date_format(visit, seen);
			reminder_add(&s, "holiday-visit", holiday - r->holiday_visit_days,
				     "%s is on %s and he has had no visit (走访慰问) since %s: "
				     "visit him or his family (liudong visit add)",
				     name, date_format(holiday, day), seen);
		}
	}
	if (f->outflow_here && f->transfer_open) {
		int32_t due = date_add_months(f->transfer_issued, r->transfer_ack_months);
		if (as_of >= due)
			reminder_add(&s, "transfer-unacknowledged", due,
				     "transfer letter issued on %s has no "
				     "receipt (回执)",
				     date_format(f->transfer_issued, day));
	}
	return s.n;
}
