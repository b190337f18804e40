/*
 * rules.c: see rules.h. One function per rule; each adds at most one reminder.
 */
#include "rules.h"

#include <locale.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "calendar.h"
#include "date.h"
#include "i18n.h"

struct sink {
	struct reminder *out;
	size_t n, max;
};

/*
 * A reminder's format as this thread's locale translates it, and, when it is simple (only %s, %d
 * and %%, all in order or all numbered: "%2$s", as the translations reorder them), the type of
 * each argument in order: format_detail's fast way.
 */
#define ARGS_MAX 8

struct translated {
	const char *text;
	bool simple;
	int nargs;
	char types[ARGS_MAX]; /* 's' or 'd', by position */
};

/* The conversion at P (after its '%', not "%%"): its argument's position in *pos (counting
 * unnumbered ones in *seq) and its letter; where it ends in *end. 0 if it is not simple. */
static char conversion(const char *p, int *seq, int *pos, const char **end)
{
	if (p[0] >= '1' && p[0] <= '9' && p[1] == '$') {
		*pos = p[0] - '0';
		p += 2;
	} else {
		*pos = ++*seq;
	}
	*end = p + 1;
	return *p == 's' || *p == 'd' ? *p : 0;
}

static void parse_format(struct translated *t)
{
	int seq = 0, numbered = 0, pos;
	const char *end;
	t->simple = true;
	for (const char *p = t->text; t->simple && (p = strchr(p, '%'));) {
		if (p[1] == '%') {
			p += 2;
			continue;
		}
		char c = conversion(p + 1, &seq, &pos, &end);
		numbered += p[1] >= '1' && p[1] <= '9' && p[2] == '$';
		if (!c || pos > ARGS_MAX || (t->types[pos - 1] && t->types[pos - 1] != c)) {
			t->simple = false;
			break;
		}
		t->types[pos - 1] = c;
		if (pos > t->nargs)
			t->nargs = pos;
		p = end;
	}
	if (numbered && seq) /* both kinds: printf does not allow it either */
		t->simple = false;
	for (int i = 0; t->simple && i < t->nargs; i++)
		t->simple = t->types[i] != 0; /* a numbered argument never used */
}

/*
 * The translation of MSGID, parsed: `due` asks for the same dozen formats for each of 100,000
 * members, so they are remembered per thread, by the msgid's address and the thread's locale
 * (i18n_locale's are kept until the process ends).
 */
#define MEMO_SLOTS  64 /* a power of two, over twice the formats and words of this file */
#define MEMO_PROBES 8

static const struct translated *translate(const char *msgid)
{
	static _Thread_local struct {
		locale_t loc;
		const char *msgid;
		struct translated t;
	} memo[MEMO_SLOTS];
	locale_t loc = uselocale((locale_t)0);
	uint64_t key = (uint64_t)((uintptr_t)msgid ^ (uintptr_t)loc);
	size_t h = (size_t)(key * UINT64_C(0x9e3779b97f4a7c15) >> 58), i = h; /* 6 bits: 64 */
	for (int k = 0; k < MEMO_PROBES; k++, i = (i + 1) % MEMO_SLOTS) {
		if (memo[i].msgid == msgid && memo[i].loc == loc)
			return &memo[i].t;
		if (!memo[i].msgid)
			break;
	}
	if (memo[i].msgid) /* MEMO_PROBES taken: one of them goes */
		i = h;
	memset(&memo[i].t, 0, sizeof(memo[i].t));
	memo[i].t.text = _(msgid);
	parse_format(&memo[i].t);
	memo[i].loc = loc;
	memo[i].msgid = msgid;
	return &memo[i].t;
}

/* LEN bytes of S into OUT (CAP with its NUL) at *n, cut where it is full. */
static void put(char *out, size_t cap, size_t *n, const char *s, size_t len)
{
	size_t room = cap - 1 - *n;
	if (len > room)
		len = room;
	memcpy(out + *n, s, len);
	*n += len;
}

/*
 * vsnprintf(OUT, CAP, T's text, AP), cut alike; without vsnprintf when T is simple (glibc's
 * vfprintf was half of what `due` spent on a member's rules).
 */
static void format_detail(char *out, size_t cap, const struct translated *t, va_list ap)
{
	if (!t->simple) {
		vsnprintf(out, cap, t->text, ap);
		return;
	}
	union {
		const char *s;
		int d;
	} args[ARGS_MAX];
	for (int i = 0; i < t->nargs; i++) {
		if (t->types[i] == 's')
			args[i].s = va_arg(ap, const char *);
		else
			args[i].d = va_arg(ap, int);
	}
	size_t n = 0;
	int seq = 0, pos;
	const char *f = t->text, *pc;
	for (; (pc = strchr(f, '%')); f = pc) {
		put(out, cap, &n, f, (size_t)(pc - f));
		if (pc[1] == '%') {
			put(out, cap, &n, "%", 1);
			pc += 2;
			continue;
		}
		char c = conversion(pc + 1, &seq, &pos, &pc);
		if (c == 's') {
			const char *a = args[pos - 1].s ? args[pos - 1].s : "(null)";
			put(out, cap, &n, a, strlen(a));
		} else {
			int v = args[pos - 1].d;
			char digits[16], *d = digits + sizeof(digits);
			unsigned u = v < 0 ? 0u - (unsigned)v : (unsigned)v;
			do
				*--d = (char)('0' + u % 10);
			while (u /= 10);
			if (v < 0)
				*--d = '-';
			put(out, cap, &n, d, (size_t)(digits + sizeof(digits) - d));
		}
	}
	put(out, cap, &n, f, strlen(f));
	out[n] = '\0';
}

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
	format_detail(r->detail, sizeof(r->detail), translate(fmt), ap);
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
		reminder_add(s, kind, due, "no %s since %s (%d months)", translate(what)->text,
			     date_format(ref, day), months);
		return;
	}
	if (warn_months > 0 && warn_months < months) {
		int32_t warn = date_add_months(ref, warn_months);
		if (as_of >= warn)
			reminder_add(s, warning, warn, "no %s since %s; due on %s",
				     translate(what)->text, date_format(ref, day),
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
				reminder_add(
				    &s, "cert-expired", f->cert_valid_until + 1,
				    "his certificate "
				    "was valid until %s: issue a new one or record his return",
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
		int32_t since = holiday - r->holiday_visit_days;
		if (visit == LD_DATE_NONE)
			reminder_add(
			    &s, "holiday-visit", since,
			    "%s is on %s and he has had no visit (走访慰问) yet: visit him "
			    "or his family (liudong visit add)",
			    name, date_format(holiday, day));
		else if (visit <= date_add_months(as_of, -r->visit_months))
			reminder_add(&s, "holiday-visit", since,
				     "%s is on %s and he has had no visit (走访慰问) since %s: "
				     "visit him or his family (liudong visit add)",
				     name, date_format(holiday, day),
				     date_format(visit, (char[LD_DATE_LEN]){0}));
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
