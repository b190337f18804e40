/*
 * cmd_daily.c: the daily work of both sites (DOMAIN.md, lifecycle steps 4 to 7): meetings and
 * attendance, dues receipts, reports, contact changes, feedback, departure, return (查验),
 * transfer of the relation, probation and lapse cases. Each writes one event, and only at the
 * site the dual-management rule gives it to: a command run at the other site exits 5 and names
 * the site that may.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "cert.h"
#include "commands.h"
#include "commit.h"
#include "daemon.h"
#include "date.h"
#include "domain.h"
#include "event.h"
#include "eventlog.h"
#include "fold.h"
#include "identity.h"
#include "idno.h"
#include "input.h"
#include "money.h"
#include "register.h"
#include "sites.h"
#include "view.h"
#include "i18n.h"
#include "lderr.h"

#define TEXT_MAX 2000

/* ---------------------------------------------------------------------------------------------- */
/* Shared steps                                                                                   */

static int need_text(struct request *rq, const char *key, const char **out)
{
	return request_need_text(rq, key, TEXT_MAX, out);
}

static bool one_of(const char *s, const char *const *list)
{
	for (; *list; list++) {
		if (strcmp(s, *list) == 0)
			return true;
	}
	return false;
}

/* The member named by the first positional, his masked number, and an event about him. */
struct member_event {
	char idno[LD_IDNO_SIZE];
	char masked[LD_IDNO_SIZE];
	Ld__MemberState *st;
	Ld__Event ev;
};

/* As member_event_begin, for the member with identity number IDNO (already valid). */
static int member_event_begin_for(struct request *rq, struct store_txn *txn, Ld__EventKind kind,
				  const char *idno, struct member_event *me)
{
	memset(me, 0, sizeof(*me));
	int rc = member_lookup(rq, txn, idno, me->idno, &me->st);
	if (rc)
		return rc;
	idno_mask(me->idno, me->masked);
	ld__event__init(&me->ev);
	me->ev.kind = kind;
	me->ev.member = me->idno;
	me->ev.date = date_today();
	return 0;
}

static void member_event_end(struct member_event *me)
{
	if (me->st)
		ld__member_state__free_unpacked(me->st, NULL);
}

/* As member_event_begin_for, for the member named by positional argument ARG. */
static int member_event_begin(struct request *rq, struct store_txn *txn, Ld__EventKind kind,
			      unsigned arg, struct member_event *me)
{
	return member_event_begin_for(rq, txn, kind, request_arg(rq, arg), me);
}

/* The common answer: who, what, when. */
static void answer(struct request *rq, const struct member_event *me)
{
	json_object_set_new(rq->result, "member", json_string(me->masked));
	json_object_set_new(rq->result, "kind", json_string(event_kind_name(me->ev.kind)));
	json_object_set_new(rq->result, "date", view_date(me->ev.date));
}

/* The months FROM..TO as a JSON array of "YYYY-MM" (a new reference). */
static json_t *months_json(int32_t from, int32_t to)
{
	json_t *list = json_array();
	for (int32_t m = from; m <= to; m++) {
		char text[LD_MONTH_LEN];
		json_array_append_new(list, json_string(month_format(m, text)));
	}
	return list;
}

/* ---------------------------------------------------------------------------------------------- */
/* Organizational life                                                                            */

static const char *const meeting_kinds[] = {"branch-meeting", "committee", "group",
					    "lecture",	      "theme-day", "life-meeting",
					    "appraisal",      NULL};

int cmd_meeting_add(struct request *rq, struct store_txn *txn)
{
	const char *branch = request_param(rq, "branch");
	const char *kind = request_param(rq, "kind");
	const char *topic;
	int32_t date;
	int rc;
	if (!branch || !kind)
		return request_fail(rq, LD_EUSAGE,
				    "--branch and --kind are required; see liudong "
				    "meeting add --help");
	if ((rc = need_text(rq, "topic", &topic)) || (rc = request_date_opt(rq, &date)))
		return rc;
	if (!one_of(kind, meeting_kinds))
		return request_fail(rq, LD_EINPUT,
				    "--kind '%s' is not one of branch-meeting, "
				    "committee, group, lecture, theme-day, life-meeting, appraisal",
				    kind);
	Ld__BranchInfo *b;
	if ((rc = branch_find(rq, txn, branch, &b)))
		return rc;
	char id[48];
	if ((rc = site_serial(rq, txn, "meeting_serial", 'M', date, id, sizeof(id)))) {
		ld__branch_info__free_unpacked(b, NULL);
		return rc;
	}
	Ld__Meeting m = LD__MEETING__INIT;
	m.id = id;
	m.branch = (char *)branch;
	m.branch_name = b->name;
	m.date = date;
	m.kind = (char *)kind;
	m.topic = (char *)topic;
	m.site.data = rq->daemon->site_id;
	m.site.len = LD_SITE_ID_BYTES;
	Ld__Event ev = LD__EVENT__INIT;
	ev.kind = LD__EVENT_KIND__MEETING_HELD;
	ev.date = date;
	ev.operator_ = (char *)request_operator(rq);
	ev.payload_case = LD__EVENT__PAYLOAD_MEETING;
	ev.meeting = &m;
	rc = commit_event(rq, txn, &ev, "meeting.add", id, NULL);
	ld__branch_info__free_unpacked(b, NULL);
	if (rc)
		return rc;
	int day;
	date_to_ymd(date, NULL, NULL, &day);
	char date_text[LD_DATE_LEN];
	date_format(date, date_text);
	if (day != rq->rules.org_life_day)
		request_warn(rq,
			     "note: meeting %s recorded on %s, not on day %d of the month, the "
			     "mobile members' organizational life day",
			     id, date_text, rq->rules.org_life_day);
	json_object_set_new(rq->result, "meeting", json_string(id));
	json_object_set_new(rq->result, "branch", json_string(branch));
	json_object_set_new(rq->result, "date", view_date(date));
	json_object_set_new(rq->result, "kind", json_string(kind));
	json_object_set_new(rq->result, "topic", json_string(topic));
	return 0;
}

static int meeting_get(struct store_txn *txn, const char *id, Ld__Meeting **out)
{
	struct store_val v;
	int rc = store_get(txn, TBL_MEETINGS, id, strlen(id), &v);
	if (rc)
		return rc;
	*out = ld__meeting__unpack(NULL, v.len, v.data);
	return *out ? 0 : LD_ECORRUPT;
}

/* True if the member's history already has attendance of meeting ID. */
static bool attended_already(struct store_txn *txn, const Ld__MemberState *st, const char *id)
{
	bool found = false;
	for (size_t i = 0; i < st->n_history && !found; i++) {
		Ld__Event *ev;
		if (eventlog_read(txn, st->history[i], NULL, &ev) != 0)
			continue;
		found = ev->kind == LD__EVENT_KIND__ATTENDANCE && ev->attendance &&
			ev->attendance->meeting && strcmp(ev->attendance->meeting->id, id) == 0;
		ld__event__free_unpacked(ev, NULL);
	}
	return found;
}

int cmd_meeting_attend(struct request *rq, struct store_txn *txn)
{
	const char *id = request_arg(rq, 0);
	const char *reason = request_param(rq, "reason");
	bool absent = request_flag(rq, "absent");
	if (!id || !request_arg(rq, 1))
		return request_fail(rq, LD_EUSAGE,
				    "usage: liudong meeting attend MEETING IDNO "
				    "[--absent --reason TEXT]");
	if (absent && (!reason || !reason[0]))
		return request_fail(rq, LD_EUSAGE, "--absent needs --reason (why he was excused)");
	if (reason && !absent)
		return request_fail(rq, LD_EUSAGE, "--reason goes with --absent");
	int rc = reason ? request_text(rq, "reason", reason, TEXT_MAX) : 0;
	if (rc)
		return rc;
	Ld__Meeting *m;
	rc = meeting_get(txn, id, &m);
	if (rc == LD_ENOTFOUND)
		return request_fail(rq, rc, "no meeting %s here; see liudong meeting list", id);
	if (rc)
		return rc;
	struct member_event me;
	if ((rc = member_event_begin(rq, txn, LD__EVENT_KIND__ATTENDANCE, 1, &me)))
		goto out;
	if (attended_already(txn, me.st, id)) {
		rc = request_fail(rq, LD_EEXIST,
				  "attendance of member %s at meeting %s is recorded "
				  "already",
				  me.masked, id);
		goto out;
	}
	Ld__Attendance a = LD__ATTENDANCE__INIT;
	a.meeting = m;
	a.present = !absent;
	a.reason = (char *)(reason ? reason : "");
	me.ev.date = m->date;
	me.ev.payload_case = LD__EVENT__PAYLOAD_ATTENDANCE;
	me.ev.attendance = &a;
	if ((rc = commit_event(rq, txn, &me.ev, "meeting.attend", id, NULL)))
		goto out;
	answer(rq, &me);
	json_object_set_new(rq->result, "meeting", json_string(id));
	json_object_set_new(rq->result, "present", json_boolean(!absent));
out:
	member_event_end(&me);
	ld__meeting__free_unpacked(m, NULL);
	return rc;
}

int cmd_meeting_list(struct request *rq, struct store_txn *txn)
{
	const char *branch = request_param(rq, "branch");
	const char *from_text = request_param(rq, "from");
	const char *to_text = request_param(rq, "to");
	int32_t from = INT32_MIN, to = INT32_MAX;
	int rc = request_date(rq, "--from", from_text, &from);
	if (rc || (rc = request_date(rq, "--to", to_text, &to)))
		return rc;
	if (to < from)
		return request_fail(rq, LD_EINPUT, "--to %s is before --from %s", to_text,
				    from_text);
	if (branch && (rc = branch_known(rq, txn, NULL, branch)))
		return rc;
	json_t *list = json_array();
	json_object_set_new(rq->result, "meetings", list);
	struct store_cursor *c;
	rc = store_cursor_open(txn, TBL_MEETINGS, &c);
	if (rc)
		return rc;
	struct store_val k, v;
	for (rc = store_cursor_get(c, STORE_FIRST, &k, &v); rc == 0;
	     rc = store_cursor_get(c, STORE_NEXT, &k, &v)) {
		Ld__Meeting *m = ld__meeting__unpack(NULL, v.len, v.data);
		if (!m) {
			rc = LD_ECORRUPT;
			break;
		}
		if ((!branch || strcmp(m->branch, branch) == 0) && m->date >= from && m->date <= to)
			json_array_append_new(list, json_pack("{s:s, s:s, s:o, s:s, s:s}",
							      "meeting", m->id, "branch", m->branch,
							      "date", view_date(m->date), "kind",
							      m->kind, "topic", m->topic));
		ld__meeting__free_unpacked(m, NULL);
	}
	store_cursor_close(c);
	return rc == LD_ENOTFOUND ? 0 : rc;
}

/* ---------------------------------------------------------------------------------------------- */
/* Dues                                                                                           */

static int receipt_get(struct store_txn *txn, const char *number, Ld__Receipt **out)
{
	struct store_val v;
	int rc = store_get(txn, TBL_RECEIPTS, number, strlen(number), &v);
	if (rc)
		return rc;
	*out = ld__receipt__unpack(NULL, v.len, v.data);
	return *out ? 0 : LD_ECORRUPT;
}

int cmd_dues_pay(struct request *rq, struct store_txn *txn)
{
	const char *from_text = request_param(rq, "from");
	const char *to_text = request_param(rq, "to");
	const char *amount_text = request_param(rq, "amount");
	if (!from_text || !amount_text)
		return request_fail(rq, LD_EUSAGE,
				    "--from and --amount are required; see liudong dues "
				    "pay --help");
	int32_t from, to, date;
	int64_t amount;
	int rc;
	if (month_parse(from_text, &from) != 0)
		return request_fail(rq, LD_EINPUT, "--from: '%s' is not a month; use YYYY-MM",
				    from_text);
	to = from;
	if (to_text && month_parse(to_text, &to) != 0)
		return request_fail(rq, LD_EINPUT, "--to: '%s' is not a month; use YYYY-MM",
				    to_text);
	if (to < from)
		return request_fail(rq, LD_EINPUT, "--to %s is before --from %s", to_text,
				    from_text);
	if (to - from >= 120)
		return request_fail(rq, LD_EINPUT, "one receipt covers at most 120 months");
	if (money_parse(amount_text, &amount) != 0 || amount <= 0)
		return request_fail(rq, LD_EINPUT,
				    "--amount '%s' is not an amount in yuan above 0 with "
				    "at most two decimals",
				    amount_text);
	if ((rc = request_date_opt(rq, &date)))
		return rc;
	struct member_event me;
	if ((rc = member_event_begin(rq, txn, LD__EVENT_KIND__DUES_PAID, 0, &me)))
		return rc;
	/* Who collects (the inflow site while his certificate is active on the payment's date,
	 * else his outflow site) is the domain core's to judge, with the rest of the event. */
	/* A month is paid once. */
	for (size_t i = 0; i < me.st->n_receipts && rc == 0; i++) {
		Ld__Receipt *r;
		if (receipt_get(txn, me.st->receipts[i], &r) != 0)
			continue;
		if (!r->refunded && r->paid->from_month <= to && r->paid->to_month >= from) {
			int32_t month = r->paid->from_month > from ? r->paid->from_month : from;
			char m[LD_MONTH_LEN];
			rc = request_fail(rq, LD_EEXIST,
					  "%s is paid already for member %s (receipt %s); "
					  "a month is paid once",
					  month_format(month, m), me.masked, r->paid->receipt);
		}
		ld__receipt__free_unpacked(r, NULL);
	}
	if (rc)
		goto out;
	int64_t months = to - from + 1;
	int64_t basis = member_dues_owed_fen(me.st, from, to); /* approved reductions count */
	char receipt[48];
	if ((rc = site_serial(rq, txn, "receipt_serial", 'R', date, receipt, sizeof(receipt))))
		goto out;
	Ld__DuesPaid p = LD__DUES_PAID__INIT;
	p.receipt = receipt;
	p.from_month = from;
	p.to_month = to;
	p.amount_fen = amount;
	p.basis_fen = basis;
	p.collector = (char *)request_operator(rq);
	p.voluntary = request_flag(rq, "voluntary");
	me.ev.date = date;
	me.ev.payload_case = LD__EVENT__PAYLOAD_DUES_PAID;
	me.ev.dues_paid = &p;
	if ((rc = commit_event(rq, txn, &me.ev, "dues.pay", receipt, NULL)))
		goto out;
	if (amount < basis && !p.voluntary) {
		char a[LD_MONEY_LEN], b[LD_MONEY_LEN];
		request_warn(rq,
			     "note: receipt %s recorded for %s yuan, less than his dues for %lld "
			     "month(s), %s yuan; it records both",
			     receipt, money_format(amount, a), (long long)months,
			     money_format(basis, b));
	}
	answer(rq, &me);
	json_object_set_new(rq->result, "receipt", json_string(receipt));
	json_object_set_new(rq->result, "months", months_json(from, to));
	json_object_set_new(rq->result, "amount_fen", json_integer(amount));
	json_object_set_new(rq->result, "basis_fen", json_integer(basis));
	json_object_set_new(rq->result, "voluntary", json_boolean(p.voluntary));
out:
	member_event_end(&me);
	return rc;
}

static json_t *receipt_row(struct request *rq, struct store_txn *txn, const Ld__Receipt *r)
{
	return json_pack(
	    "{s:s, s:o, s:o, s:I, s:I, s:o, s:s, s:s, s:b}", "receipt", r->paid->receipt, "site",
	    site_name_json(rq, txn, r->site.data, r->site.len), "months",
	    months_json(r->paid->from_month, r->paid->to_month), "amount_fen",
	    (json_int_t)r->paid->amount_fen, "basis_fen", (json_int_t)r->paid->basis_fen, "date",
	    view_date(r->date), "status", r->refunded ? "refunded" : "paid", "collector",
	    r->paid->collector, "voluntary", r->paid->voluntary);
}

int cmd_dues_list(struct request *rq, struct store_txn *txn)
{
	char idno[LD_IDNO_SIZE];
	Ld__MemberState *st;
	int rc = member_lookup(rq, txn, request_arg(rq, 0), idno, &st);
	if (rc)
		return rc;
	json_t *list = json_array();
	json_object_set_new(rq->result, "receipts", list);
	for (size_t i = 0; i < st->n_receipts; i++) {
		Ld__Receipt *r;
		if (receipt_get(txn, st->receipts[i], &r) != 0)
			continue;
		json_array_append_new(list, receipt_row(rq, txn, r));
		ld__receipt__free_unpacked(r, NULL);
	}
	ld__member_state__free_unpacked(st, NULL);
	return 0;
}

int cmd_dues_refund(struct request *rq, struct store_txn *txn)
{
	const char *number = request_arg(rq, 0);
	const char *reason;
	int rc;
	if (!number)
		return request_fail(rq, LD_EUSAGE,
				    "usage: liudong dues refund RECEIPT --reason TEXT");
	if ((rc = need_text(rq, "reason", &reason)))
		return rc;
	if ((rc = serial_check(rq, number, 'R', N_("receipt"))))
		return rc;
	Ld__Receipt *r;
	rc = receipt_get(txn, number, &r);
	if (rc == LD_ENOTFOUND)
		return request_fail(rq, rc, "no receipt %s here; see liudong dues list", number);
	if (rc)
		return rc;
	char name[LD_NAME_MAX] = "?";
	if (r->site.len != LD_SITE_ID_BYTES ||
	    memcmp(r->site.data, rq->daemon->site_id, LD_SITE_ID_BYTES) != 0) {
		if (r->site.len == LD_SITE_ID_BYTES)
			site_lookup(rq, txn, r->site.data, name, NULL);
		rc = request_fail(rq, LD_EFORBIDDEN,
				  "receipt %s was issued by %s: only it may refund it", number,
				  name);
	} else if (r->refunded) {
		rc = request_fail(rq, LD_EALREADY, "receipt %s is refunded already", number);
	}
	if (rc) {
		ld__receipt__free_unpacked(r, NULL);
		return rc;
	}
	Ld__DuesRefunded f = LD__DUES_REFUNDED__INIT;
	f.receipt = (char *)number;
	f.reason = (char *)reason;
	Ld__Event ev = LD__EVENT__INIT;
	ev.kind = LD__EVENT_KIND__DUES_REFUNDED;
	ev.date = date_today();
	ev.member = r->member;
	ev.payload_case = LD__EVENT__PAYLOAD_DUES_REFUNDED;
	ev.dues_refunded = &f;
	rc = commit_event(rq, txn, &ev, "dues.refund", number, NULL);
	if (rc == 0) {
		json_object_set_new(rq->result, "receipt", json_string(number));
		json_object_set_new(rq->result, "status", json_string("refunded"));
		json_object_set_new(rq->result, "amount_fen", json_integer(r->paid->amount_fen));
	}
	ld__receipt__free_unpacked(r, NULL);
	return rc;
}

/* A month of the option KEY (YYYY-MM) into *out. */
static int month_opt(struct request *rq, const char *key, const char *text, int32_t *out)
{
	if (month_parse(text, out) != 0)
		return request_fail(rq, LD_EINPUT, "--%s: '%s' is not a month; use YYYY-MM", key,
				    text);
	return 0;
}

int cmd_dues_exempt(struct request *rq, struct store_txn *txn)
{
	const char *monthly_text, *approved_by, *reason, *from_text;
	const char *to_text = request_param(rq, "to");
	int32_t from, to;
	int64_t monthly;
	int rc;
	if ((rc = need_text(rq, "monthly", &monthly_text)) ||
	    (rc = need_text(rq, "approved-by", &approved_by)) ||
	    (rc = need_text(rq, "reason", &reason)) || (rc = need_text(rq, "from", &from_text)))
		return rc;
	if (money_parse(monthly_text, &monthly) != 0 || monthly < 0)
		return request_fail(rq, LD_EINPUT,
				    "--monthly '%s' is not an amount in yuan (0 or more, at most "
				    "two decimals)",
				    monthly_text);
	if ((rc = month_opt(rq, "from", from_text, &from)))
		return rc;
	to = from;
	if (to_text && (rc = month_opt(rq, "to", to_text, &to)))
		return rc;
	if (to < from)
		return request_fail(rq, LD_EINPUT, "--to %s is before --from %s", to_text,
				    from_text);
	if (to - from >= 120)
		return request_fail(rq, LD_EINPUT, "one approval covers at most 120 months");
	struct member_event me;
	if ((rc = member_event_begin(rq, txn, LD__EVENT_KIND__DUES_EXEMPTED, 0, &me)))
		return rc;
	char id[48];
	if ((rc = site_serial(rq, txn, "exemption_serial", 'E', me.ev.date, id, sizeof(id))))
		goto out;
	Ld__DuesExemption e = LD__DUES_EXEMPTION__INIT;
	e.id = id;
	e.from_month = from;
	e.to_month = to;
	e.monthly_fen = monthly;
	e.approved_by = (char *)approved_by;
	e.reason = (char *)reason;
	me.ev.payload_case = LD__EVENT__PAYLOAD_EXEMPTION;
	me.ev.exemption = &e;
	if ((rc = commit_event(rq, txn, &me.ev, "dues.exempt", id, NULL)))
		goto out;
	answer(rq, &me);
	json_object_set_new(rq->result, "exemption", json_string(id));
	json_object_set_new(rq->result, "months", months_json(from, to));
	json_object_set_new(rq->result, "monthly_fen", json_integer(monthly));
out:
	member_event_end(&me);
	return rc;
}

/* ---------------------------------------------------------------------------------------------- */
/* Notes: report, feedback, departure, return, probation, lapse                                   */

struct note_spec {
	Ld__EventKind kind;
	const char *text_key; /* option holding the text, or NULL */
	const char *kind_key; /* option holding a kind, or NULL */
	const char *const *kinds;
	const char *outcome_key; /* option holding an outcome, or NULL */
	const char *const *outcomes;
	bool dated;	       /* takes --date */
	const char *until_key; /* option holding the end of an extension, or NULL */
	const char *action;
};

/* Write the note SPEC describes; the domain core judges whether his state allows it. */
static int note_command(struct request *rq, struct store_txn *txn, const struct note_spec *spec)
{
	const char *text = NULL, *kind = "", *outcome = "";
	int32_t date = date_today();
	int rc;
	if (spec->text_key && (rc = need_text(rq, spec->text_key, &text)))
		return rc;
	if (spec->kind_key && request_param(rq, spec->kind_key)) {
		kind = request_param(rq, spec->kind_key);
		if (!one_of(kind, spec->kinds))
			return request_fail(rq, LD_EINPUT,
					    "--%s '%s' is not a known value; see liudong "
					    "%s --help",
					    spec->kind_key, kind, request_words(rq));
	} else if (spec->kinds) {
		kind = spec->kinds[0];
	}
	if (spec->outcome_key) {
		outcome = request_param(rq, spec->outcome_key);
		if (!outcome)
			return request_fail(rq, LD_EUSAGE,
					    "--%s is required; see liudong %s --help",
					    spec->outcome_key, request_words(rq));
		if (!one_of(outcome, spec->outcomes))
			return request_fail(rq, LD_EINPUT,
					    "--%s '%s' is not a known value; see liudong "
					    "%s --help",
					    spec->outcome_key, outcome, request_words(rq));
	}
	if (spec->dated && (rc = request_date_opt(rq, &date)))
		return rc;
	struct member_event me;
	if ((rc = member_event_begin(rq, txn, spec->kind, 0, &me)))
		return rc;
	Ld__Note note = LD__NOTE__INIT;
	const char *until = spec->until_key ? request_param(rq, spec->until_key) : NULL;
	char until_opt[40];
	snprintf(until_opt, sizeof(until_opt), "--%s", spec->until_key ? spec->until_key : "");
	if ((rc = request_date(rq, until_opt, until, &note.until)))
		goto out;
	if (spec->until_key && strcmp(outcome, "extend") == 0 && !until) {
		rc = request_fail(rq, LD_EUSAGE,
				  "--result extend needs --%s DATE (the extension's end)",
				  spec->until_key);
		goto out;
	}
	if (until && strcmp(outcome, "extend") != 0) {
		rc = request_fail(rq, LD_EUSAGE, "--%s goes with --result extend", spec->until_key);
		goto out;
	}
	note.text = (char *)(text ? text : "");
	note.kind = (char *)kind;
	note.outcome = (char *)outcome;
	me.ev.date = date;
	me.ev.payload_case = LD__EVENT__PAYLOAD_NOTE;
	me.ev.note = &note;
	if ((rc = commit_event(rq, txn, &me.ev, spec->action, outcome[0] ? outcome : kind, NULL)))
		goto out;
	answer(rq, &me);
	if (outcome[0])
		json_object_set_new(rq->result, "outcome", json_string(outcome));
out:
	member_event_end(&me);
	return rc;
}

int cmd_report_add(struct request *rq, struct store_txn *txn)
{
	static const struct note_spec spec = {.kind = LD__EVENT_KIND__REPORT_RECEIVED,
					      .text_key = "summary",
					      .dated = true,
					      .action = "report.add"};
	return note_command(rq, txn, &spec);
}

int cmd_feedback(struct request *rq, struct store_txn *txn)
{
	static const char *const kinds[] = {"situation", "help", NULL};
	static const struct note_spec spec = {.kind = LD__EVENT_KIND__FEEDBACK,
					      .text_key = "text",
					      .kind_key = "kind",
					      .kinds = kinds,
					      .dated = true,
					      .action = "feedback"};
	return note_command(rq, txn, &spec);
}

int cmd_depart(struct request *rq, struct store_txn *txn)
{
	static const struct note_spec spec = {.kind = LD__EVENT_KIND__DEPARTURE_ASSESSED,
					      .text_key = "assessment",
					      .dated = true,
					      .action = "depart"};
	return note_command(rq, txn, &spec);
}

int cmd_return(struct request *rq, struct store_txn *txn)
{
	static const struct note_spec spec = {.kind = LD__EVENT_KIND__RETURNED,
					      .text_key = "summary",
					      .dated = true,
					      .action = "return"};
	return note_command(rq, txn, &spec);
}

int cmd_probation_opinion(struct request *rq, struct store_txn *txn)
{
	static const struct note_spec spec = {.kind = LD__EVENT_KIND__PROBATION_OPINION,
					      .text_key = "text",
					      .action = "probation.opinion"};
	return note_command(rq, txn, &spec);
}

int cmd_probation_decide(struct request *rq, struct store_txn *txn)
{
	static const char *const outcomes[] = {"full", "extend", "cancel", NULL};
	static const struct note_spec spec = {.kind = LD__EVENT_KIND__PROBATION_DECIDED,
					      .outcome_key = "result",
					      .outcomes = outcomes,
					      .dated = true,
					      .until_key = "until",
					      .action = "probation.decide"};
	return note_command(rq, txn, &spec);
}

int cmd_lapse_open(struct request *rq, struct store_txn *txn)
{
	static const struct note_spec spec = {
	    .kind = LD__EVENT_KIND__LAPSE_OPENED, .text_key = "grounds", .action = "lapse.open"};
	return note_command(rq, txn, &spec);
}

int cmd_lapse_decide(struct request *rq, struct store_txn *txn)
{
	static const char *const outcomes[] = {"cleared", "correction", "suspension", "removal",
					       NULL};
	static const struct note_spec spec = {.kind = LD__EVENT_KIND__LAPSE_DECIDED,
					      .outcome_key = "outcome",
					      .outcomes = outcomes,
					      .action = "lapse.decide"};
	return note_command(rq, txn, &spec);
}

/* ---------------------------------------------------------------------------------------------- */
/* Contact                                                                                        */

int cmd_contact(struct request *rq, struct store_txn *txn)
{
	static const char *const keys[] = {"phone", "place", "employer", "address"};
	const char *values[4];
	bool any = false;
	for (int i = 0; i < 4; i++) {
		const char *why;
		values[i] = request_param(rq, keys[i]);
		if (values[i] && i == 0 && input_phone_check(values[i], &why) != 0)
			return request_fail(rq, LD_EINPUT, "--phone '%s' %.200s", values[i], why);
		if (values[i] && i > 0 && input_text_check(values[i], 200, &why) != 0)
			return request_fail(rq, LD_EINPUT,
					    "--%s %.200s; it is 1 to 200 bytes of one line",
					    keys[i], why);
		any = any || values[i];
	}
	if (!any)
		return request_fail(rq, LD_EUSAGE,
				    "give at least one of --phone, --place, --employer, "
				    "--address");
	struct member_event me;
	int rc = member_event_begin(rq, txn, LD__EVENT_KIND__CONTACT_CHANGED, 0, &me);
	if (rc)
		return rc;
	Ld__Contact c = LD__CONTACT__INIT;
	c.phone = (char *)(values[0] ? values[0] : "");
	c.place = (char *)(values[1] ? values[1] : "");
	c.employer = (char *)(values[2] ? values[2] : "");
	c.address = (char *)(values[3] ? values[3] : "");
	me.ev.payload_case = LD__EVENT__PAYLOAD_CONTACT;
	me.ev.contact = &c;
	if ((rc = commit_event(rq, txn, &me.ev, "contact", NULL, NULL)) == 0)
		answer(rq, &me);
	member_event_end(&me);
	return rc;
}

/* ---------------------------------------------------------------------------------------------- */
/* Transfer of the relation (组织关系转接) */

int cmd_transfer_issue(struct request *rq, struct store_txn *txn)
{
	const char *to = request_param(rq, "to");
	const char *org;
	int32_t date;
	int rc;
	if (!to)
		return request_fail(rq, LD_EUSAGE,
				    "--to is required; see liudong transfer issue --help");
	if ((rc = need_text(rq, "org", &org)) || (rc = request_date_opt(rq, &date)))
		return rc;
	struct member_event me;
	if ((rc = member_event_begin(rq, txn, LD__EVENT_KIND__TRANSFER_ISSUED, 0, &me)))
		return rc;
	Ld__PeerRecord *peer = NULL;
	struct store_val pv;
	rc = store_get(txn, TBL_PEERS, to, strlen(to), &pv);
	if (rc == LD_ENOTFOUND) {
		rc = request_fail(rq, rc, "--to: no peer named '%s'; see liudong peer list", to);
		goto out;
	}
	if (rc || !(peer = ld__peer_record__unpack(NULL, pv.len, pv.data))) {
		rc = rc ? rc : LD_ECORRUPT;
		goto out;
	}
	char number[48];
	if ((rc = site_serial(rq, txn, "letter_serial", 'T', date, number, sizeof(number))))
		goto out;
	Ld__TransferLetter l = LD__TRANSFER_LETTER__INIT;
	l.number = number;
	l.member = me.idno;
	l.name = me.st->info->name;
	l.issuer.data = rq->daemon->site_id;
	l.issuer.len = LD_SITE_ID_BYTES;
	l.issuer_name = rq->daemon->config.name;
	l.to_site = peer->site_id;
	l.to_name = (char *)to;
	l.org = (char *)org;
	l.issued = date;
	l.valid_until = date_add_months(date, 3);
	size_t len = ld__transfer_letter__get_packed_size(&l);
	uint8_t *buf = malloc(len);
	uint8_t sig[64];
	if (!buf) {
		rc = -ENOMEM;
		goto out;
	}
	ld__transfer_letter__pack(&l, buf);
	rc = identity_sign(rq->daemon->identity, buf, len, sig);
	Ld__Transfer t = LD__TRANSFER__INIT;
	t.letter.data = buf;
	t.letter.len = len;
	t.signature.data = sig;
	t.signature.len = sizeof(sig);
	t.number = number;
	t.member = me.st->info; /* the receiving site may never have known him */
	me.ev.date = date;
	me.ev.payload_case = LD__EVENT__PAYLOAD_TRANSFER;
	me.ev.transfer = &t;
	/* To another site than his inflow site: his stay there ends now (it hears no receipt). */
	if (rc == 0 && peer->site_id.len == LD_SITE_ID_BYTES)
		rc = register_end_stay(rq, txn, me.st, peer->site_id.data, "transferred");
	if (rc == 0)
		rc = commit_event(rq, txn, &me.ev, "transfer.issue", number, NULL);
	free(buf);
	if (rc)
		goto out;
	answer(rq, &me);
	json_object_set_new(rq->result, "letter", json_string(number));
	json_object_set_new(rq->result, "to", json_string(to));
	json_object_set_new(rq->result, "org", json_string(org));
	json_object_set_new(rq->result, "valid_until", view_date(l.valid_until));
out:
	if (peer)
		ld__peer_record__free_unpacked(peer, NULL);
	member_event_end(&me);
	return rc;
}

/* True if a peer's transfer.issued with letter NUMBER was quarantined here; its reason in WHY. */
static bool letter_quarantined(struct store_txn *txn, const char *number, char *why, size_t len)
{
	struct store_cursor *c;
	struct store_val k, v;
	bool found = false;
	if (store_cursor_open(txn, TBL_QUARANTINE, &c) != 0)
		return false;
	for (int rc = store_cursor_get(c, STORE_FIRST, &k, &v); rc == 0 && !found;
	     rc = store_cursor_get(c, STORE_NEXT, &k, &v)) {
		Ld__Quarantined *q = ld__quarantined__unpack(NULL, v.len, v.data);
		Ld__Event *ev = q && !q->reported_by.len
				    ? ld__event__unpack(NULL, q->event.len, q->event.data)
				    : NULL;
		if (ev && ev->payload_case == LD__EVENT__PAYLOAD_TRANSFER && ev->transfer->number &&
		    strcmp(ev->transfer->number, number) == 0) {
			snprintf(why, len, "%s", q->reason);
			found = true;
		}
		if (ev)
			ld__event__free_unpacked(ev, NULL);
		if (q)
			ld__quarantined__free_unpacked(q, NULL);
	}
	store_cursor_close(c);
	return found;
}

int cmd_transfer_receive(struct request *rq, struct store_txn *txn)
{
	const char *number = request_arg(rq, 0);
	int32_t date;
	int rc;
	if (!number)
		return request_fail(rq, LD_EUSAGE,
				    "usage: liudong transfer receive LETTER [--date DATE]");
	if ((rc = request_date_opt(rq, &date)) ||
	    (rc = serial_check(rq, number, 'T', N_("transfer letter"))))
		return rc;
	struct store_val v;
	rc = store_get(txn, TBL_LETTERS, number, strlen(number), &v);
	char why[256];
	if (rc == LD_ENOTFOUND && letter_quarantined(txn, number, why, sizeof(why)))
		return request_fail(rq, LD_EFORBIDDEN,
				    "transfer letter %s arrived but was quarantined (%.250s); see "
				    "liudong conflicts and ask its issuer for a new one",
				    number, why);
	if (rc == LD_ENOTFOUND)
		return request_fail(rq, rc,
				    "no transfer letter %s here (it may not have arrived "
				    "yet; see liudong status)",
				    number);
	if (rc)
		return rc;
	Ld__Transfer *t = ld__transfer__unpack(NULL, v.len, v.data);
	Ld__TransferLetter *l =
	    t ? ld__transfer_letter__unpack(NULL, t->letter.len, t->letter.data) : NULL;
	Ld__PeerRecord *issuer = NULL;
	struct member_event me = {0};
	char name[LD_NAME_MAX];
	if (!l || t->signature.len != 64 || l->issuer.len != LD_SITE_ID_BYTES ||
	    l->to_site.len != LD_SITE_ID_BYTES || !l->member || !l->member[0]) {
		rc = request_fail(rq, LD_EINPUT,
				  "transfer letter %s is not well formed (no issuer, receiver or "
				  "signature); ask its issuer for a new one",
				  number);
		goto out;
	}
	if (l->to_site.len != LD_SITE_ID_BYTES ||
	    memcmp(l->to_site.data, rq->daemon->site_id, LD_SITE_ID_BYTES) != 0) {
		rc = request_fail(rq, LD_EFORBIDDEN,
				  "transfer letter %s is addressed to %s, not this site", number,
				  l->to_name);
		goto out;
	}
	if (site_lookup(rq, txn, l->issuer.data, name, &issuer) != 0 || !issuer ||
	    !issuer->public_key.len ||
	    identity_verify(issuer->public_key.data, issuer->public_key.len, t->letter.data,
			    t->letter.len, t->signature.data) != 0) {
		rc = request_fail(rq, LD_ESIGNATURE,
				  "transfer letter %s does not verify against its "
				  "issuer's key",
				  number);
		goto out;
	}
	if (date < l->issued) {
		char day[LD_DATE_LEN];
		rc = request_fail(
		    rq, LD_EINPUT,
		    "--date %s is before transfer letter %s was issued (%s): its 回执 "
		    "is dated on or after that day",
		    date_format(date, (char[LD_DATE_LEN]){0}), number, date_format(l->issued, day));
		goto out;
	}
	if (date > l->valid_until) {
		char day[LD_DATE_LEN];
		rc =
		    request_fail(rq, LD_EEXPIRED,
				 "transfer letter %s was valid until %s: its issuing site issues a "
				 "new one",
				 number, date_format(l->valid_until, day));
		goto out;
	}
	if ((rc = member_event_begin_for(rq, txn, LD__EVENT_KIND__TRANSFER_RECEIVED, l->member,
					 &me)))
		goto out;
	Ld__Note note = LD__NOTE__INIT;
	note.text = (char *)number;
	me.ev.date = date;
	me.ev.payload_case = LD__EVENT__PAYLOAD_NOTE;
	me.ev.note = &note;
	if ((rc = commit_event(rq, txn, &me.ev, "transfer.receive", number, NULL)))
		goto out;
	answer(rq, &me);
	json_object_set_new(rq->result, "letter", json_string(number));
	json_object_set_new(rq->result, "state", json_string(location_name(LOC_TRANSFERRED)));
out:
	member_event_end(&me);
	if (issuer)
		ld__peer_record__free_unpacked(issuer, NULL);
	if (l)
		ld__transfer_letter__free_unpacked(l, NULL);
	if (t)
		ld__transfer__free_unpacked(t, NULL);
	return rc;
}
