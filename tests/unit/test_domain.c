/*
 * test_domain.c: the domain core. Walks the member's locations through every transition of
 * docs/domain.md at his outflow site O, with his inflow site I's events applied as a peer's, and
 * checks at each step what validate refuses (the wrong site, a state that forbids it, a malformed
 * payload, a date in the future) and the predicates the commands and the rules rely on: a
 * certificate's validity renewed by a passed review (not a failed one), the end of probation.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "date.h"
#include "domain.h"
#include "eventlog.h"
#include "fold.h"
#include "lderr.h"

#define IDNO "11010519491231002X"

static uint8_t site_o[LD_SITE_ID_BYTES], site_i[LD_SITE_ID_BYTES], site_x[LD_SITE_ID_BYTES];

struct fixture {
	char dir[64];
	struct store *store;
	uint64_t peer_seq; /* origin seq of the next event applied as a peer's */
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	strcpy(f->dir, "/tmp/test-domain-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	assert_int_equal(store_open(f->dir, 0, STORE_NOSYNC, &f->store), 0);
	memset(site_o, 0x0a, sizeof(site_o));
	memset(site_i, 0x1b, sizeof(site_i));
	memset(site_x, 0x2c, sizeof(site_x));
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	store_close(f->store);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

static int32_t today(void)
{
	return date_from_ymd(2026, 11, 29);
}

/*
 * Judge EV from ORIGIN at site SELF (the store); if valid, write it: committed as SELF's own, or
 * appended as a peer's. Returns validate's result; V receives its verdict.
 */
static int judge(struct fixture *f, const uint8_t *self, const uint8_t *origin, Ld__Event *ev,
		 struct verdict *v)
{
	struct domain_site site = {.self = self, .today = today(), .probation_months = 12};
	struct store_txn *txn;
	ev->origin.data = (uint8_t *)origin;
	ev->origin.len = LD_SITE_ID_BYTES;
	if (!ev->date)
		ev->date = today();
	assert_int_equal(store_begin(f->store, true, &txn), 0);
	int rc = domain_validate(txn, ev, origin, &site, v);
	if (rc == 0 && memcmp(origin, self, LD_SITE_ID_BYTES) == 0) {
		assert_int_equal(eventlog_commit_local(txn, self, ev, NULL), 0);
	} else if (rc == 0) {
		ev->origin_seq = ++f->peer_seq;
		size_t len = ld__event__get_packed_size(ev);
		uint8_t *buf = malloc(len);
		ld__event__pack(ev, buf);
		assert_int_equal(eventlog_append_remote(txn, ev, buf, len, NULL), 0);
		free(buf);
	}
	if (rc == 0)
		assert_int_equal(store_commit(txn), 0);
	else
		store_abort(txn);
	return rc;
}

static Ld__MemberState *state_of(struct fixture *f)
{
	struct store_txn *txn;
	Ld__MemberState *st;
	assert_int_equal(store_begin(f->store, false, &txn), 0);
	assert_int_equal(member_state_get(txn, IDNO, &st), 0);
	store_abort(txn);
	return st;
}

static enum location where(struct fixture *f)
{
	Ld__MemberState *st = state_of(f);
	enum location loc = member_location(st);
	ld__member_state__free_unpacked(st, NULL);
	return loc;
}

static Ld__MemberInfo info(const char *kind)
{
	Ld__MemberInfo m = LD__MEMBER_INFO__INIT;
	m.id = IDNO;
	m.name = "张三";
	m.sex = "F";
	m.kind = (char *)kind;
	m.branch = "001";
	m.dues_category = "salaried";
	m.joined = date_from_ymd(2026, 3, 1);
	m.monthly_dues_fen = 1500;
	return m;
}

static Ld__Event event(Ld__EventKind kind)
{
	Ld__Event ev = LD__EVENT__INIT;
	ev.kind = kind;
	ev.member = IDNO;
	return ev;
}

static int registered(struct fixture *f, const char *kind)
{
	struct verdict v;
	Ld__MemberInfo m = info(kind);
	Ld__Event ev = event(LD__EVENT_KIND__MEMBER_REGISTERED);
	ev.payload_case = LD__EVENT__PAYLOAD_MEMBER_INFO;
	ev.member_info = &m;
	return judge(f, site_o, site_o, &ev, &v);
}

/* His registration out to INFLOW (M and OF: the caller's, filled here). */
static Ld__Event outflow_event(Ld__MemberInfo *m, Ld__OutflowInfo *of, const uint8_t *inflow)
{
	*m = info("full");
	ld__outflow_info__init(of);
	of->member = m;
	of->reason = "work";
	of->inflow_site.data = (uint8_t *)inflow;
	of->inflow_site.len = LD_SITE_ID_BYTES;
	of->inflow_name = "I";
	of->place = "南京市雨花台区";
	of->from = today() - 40;
	Ld__Event ev = event(LD__EVENT_KIND__OUTFLOW_REGISTERED);
	ev.date = of->from;
	ev.payload_case = LD__EVENT__PAYLOAD_OUTFLOW;
	ev.outflow = of;
	return ev;
}

/* O registers him out to INFLOW. */
static int outflow(struct fixture *f, const uint8_t *self, const uint8_t *inflow, struct verdict *v)
{
	Ld__MemberInfo m;
	Ld__OutflowInfo of;
	Ld__Event ev = outflow_event(&m, &of, inflow);
	return judge(f, self, site_o, &ev, v);
}

/*
 * A member not known here is judged by his registration alone (an import judges its rows ahead
 * of its writer, in another transaction): no store is read (none is given here), so the verdict
 * holds later the same day. A request, or a site's directory, is judged by what the store holds.
 */
static void test_judged_alone(void **state)
{
	(void)state;
	struct domain_site site = {.self = site_o, .today = today(), .probation_months = 12};
	struct verdict v;
	Ld__MemberInfo m;
	Ld__OutflowInfo of;
	Ld__Event ev = outflow_event(&m, &of, site_i);
	ev.origin.data = site_o;
	ev.origin.len = LD_SITE_ID_BYTES;
	assert_true(domain_judged_alone(&ev));
	assert_int_equal(domain_validate_state(NULL, &ev, site_o, &site, NULL, &v), 0);
	/* Refused by the event alone too: at a site that is neither his outflow nor his inflow. */
	site.self = site_x;
	assert_int_equal(domain_validate_state(NULL, &ev, site_o, &site, NULL, &v), LD_EFORBIDDEN);
	Ld__Event reg = event(LD__EVENT_KIND__MEMBER_REGISTERED);
	assert_true(domain_judged_alone(&reg));
	Ld__Event req = event(LD__EVENT_KIND__REQUEST_OPENED);
	assert_false(domain_judged_alone(&req));
	Ld__Event pub = event(LD__EVENT_KIND__BRANCH_PUBLISHED);
	assert_false(domain_judged_alone(&pub));
}

static int note(struct fixture *f, const uint8_t *self, const uint8_t *origin, Ld__EventKind kind,
		const char *outcome, int32_t date, struct verdict *v)
{
	Ld__Note n = LD__NOTE__INIT;
	n.text = "text";
	n.outcome = (char *)(outcome ? outcome : "");
	Ld__Event ev = event(kind);
	ev.date = date;
	ev.payload_case = LD__EVENT__PAYLOAD_NOTE;
	ev.note = &n;
	return judge(f, self, origin, &ev, v);
}

static int checkin(struct fixture *f, const uint8_t *origin, struct verdict *v)
{
	Ld__Checkin c = LD__CHECKIN__INIT;
	c.certificate = "320583-2026-000001";
	c.branch = "B1";
	Ld__Event ev = event(LD__EVENT_KIND__CHECKIN);
	ev.payload_case = LD__EVENT__PAYLOAD_CHECKIN;
	ev.checkin = &c;
	return judge(f, site_o, origin, &ev, v);
}

static int dues(struct fixture *f, const uint8_t *origin, const char *receipt, struct verdict *v)
{
	Ld__DuesPaid p = LD__DUES_PAID__INIT;
	p.receipt = (char *)receipt;
	p.from_month = month_of_date(today());
	p.to_month = p.from_month;
	p.amount_fen = 1500;
	Ld__Event ev = event(LD__EVENT_KIND__DUES_PAID);
	ev.payload_case = LD__EVENT__PAYLOAD_DUES_PAID;
	ev.dues_paid = &p;
	return judge(f, site_o, origin, &ev, v);
}

/*
 * His outflow site may register a member it never registered and his departure in one event (an
 * import's row): he is away from it at once, his state from the snapshot; a site that is neither
 * his outflow site nor the inflow site it names still refuses the event, and his registration
 * afterwards is "registered already".
 */
static void test_registered_out_at_once(void **state)
{
	struct fixture *f = *state;
	struct verdict v;
	assert_int_equal(outflow(f, site_x, site_i, &v), LD_EFORBIDDEN);
	assert_non_null(strstr(v.why, "another inflow site"));
	assert_int_equal(outflow(f, site_o, site_i, &v), 0);
	assert_int_equal(where(f), LOC_AWAY);
	Ld__MemberState *st = state_of(f);
	assert_true(site_is_outflow(st, site_o));
	assert_true(site_is_inflow(st, site_i));
	assert_int_equal(st->n_history, 1);
	ld__member_state__free_unpacked(st, NULL);
	assert_int_equal(registered(f, "full"), LD_EEXIST);
	assert_int_equal(outflow(f, site_o, site_i, &v), LD_EEXIST);
}

/* home -> away -> checked-in -> departed -> returned -> away -> transferred, with refusals. */
static void test_walk(void **state)
{
	struct fixture *f = *state;
	struct verdict v;
	assert_int_equal(registered(f, "full"), 0);
	assert_int_equal(where(f), LOC_HOME);
	assert_int_equal(registered(f, "full"), LD_EEXIST);

	/* At home: the inflow kinds have no writer; the outflow site is named. */
	assert_int_equal(checkin(f, site_i, &v), LD_EFORBIDDEN);
	assert_true(v.has_writer && memcmp(v.writer, site_o, LD_SITE_ID_BYTES) == 0);

	assert_int_equal(outflow(f, site_o, site_i, &v), 0);
	assert_int_equal(where(f), LOC_AWAY);
	assert_int_equal(outflow(f, site_o, site_i, &v), LD_EEXIST);

	/* Check-in is the inflow site's; the outflow site is refused and told who may. */
	assert_int_equal(checkin(f, site_o, &v), LD_EFORBIDDEN);
	assert_true(v.has_writer && memcmp(v.writer, site_i, LD_SITE_ID_BYTES) == 0);
	assert_int_equal(checkin(f, site_i, &v), 0);
	assert_int_equal(where(f), LOC_CHECKED_IN);
	assert_int_equal(checkin(f, site_i, &v), LD_EEXIST);

	/* A lapse case runs beside: the inflow site still records feedback and dues. */
	assert_int_equal(note(f, site_o, site_o, LD__EVENT_KIND__LAPSE_DECIDED, "cleared", 0, &v),
			 LD_EFORBIDDEN);
	assert_int_equal(note(f, site_o, site_o, LD__EVENT_KIND__LAPSE_OPENED, NULL, 0, &v), 0);
	assert_int_equal(note(f, site_o, site_o, LD__EVENT_KIND__LAPSE_OPENED, NULL, 0, &v),
			 LD_EEXIST);
	assert_int_equal(where(f), LOC_CHECKED_IN);
	Ld__MemberState *st = state_of(f);
	assert_true(member_lapse_open(st) && member_stay_active(st) && member_checked_in(st));
	assert_true(site_is_inflow(st, site_i) && site_cares_for(st, site_i));
	ld__member_state__free_unpacked(st, NULL);
	assert_int_equal(note(f, site_o, site_i, LD__EVENT_KIND__FEEDBACK, NULL, 0, &v), 0);
	/* No certificate: the outflow site collects, but a peer's inflow site may (conflicts). */
	assert_int_equal(dues(f, site_i, "R1", &v), 0);
	assert_int_equal(dues(f, site_i, "R1", &v), LD_EEXIST);
	assert_int_equal(note(f, site_o, site_o, LD__EVENT_KIND__LAPSE_DECIDED, "cleared", 0, &v),
			 0);

	/* A date in the future is refused: today at this site, a day's grace for a peer. */
	assert_int_equal(
	    note(f, site_o, site_o, LD__EVENT_KIND__REPORT_RECEIVED, NULL, today() + 1, &v),
	    LD_EINPUT);
	assert_non_null(strstr(v.why, "future"));
	assert_int_equal(note(f, site_o, site_i, LD__EVENT_KIND__FEEDBACK, NULL, today() + 2, &v),
			 LD_EINPUT);

	/* Departure ends the inflow site's duties, once. */
	assert_int_equal(note(f, site_o, site_i, LD__EVENT_KIND__DEPARTURE_ASSESSED, NULL, 0, &v),
			 0);
	assert_int_equal(where(f), LOC_DEPARTED);
	assert_int_equal(note(f, site_o, site_i, LD__EVENT_KIND__DEPARTURE_ASSESSED, NULL, 0, &v),
			 LD_EFORBIDDEN);
	assert_int_equal(dues(f, site_i, "R2", &v), LD_EFORBIDDEN);
	st = state_of(f);
	assert_false(site_cares_for(st, site_i));
	assert_true(site_cares_for(st, site_o));
	ld__member_state__free_unpacked(st, NULL);

	/* 查验 brings him home. */
	assert_int_equal(note(f, site_o, site_o, LD__EVENT_KIND__RETURNED, NULL, 0, &v), 0);
	assert_int_equal(where(f), LOC_RETURNED);
	assert_int_equal(note(f, site_o, site_o, LD__EVENT_KIND__RETURNED, NULL, 0, &v),
			 LD_EFORBIDDEN);

	/* Out again; the relation moves; nothing more is recorded. */
	assert_int_equal(outflow(f, site_o, site_i, &v), 0);
	assert_int_equal(where(f), LOC_AWAY);
	Ld__Note rcv = LD__NOTE__INIT;
	rcv.text = "T1";
	Ld__Event ev = event(LD__EVENT_KIND__TRANSFER_RECEIVED);
	ev.payload_case = LD__EVENT__PAYLOAD_NOTE;
	ev.note = &rcv;
	assert_int_equal(judge(f, site_o, site_i, &ev, &v), LD_EFORBIDDEN); /* no letter names I */
	assert_int_equal(
	    note(f, site_o, site_o, LD__EVENT_KIND__PROBATION_DECIDED, "cancel", 0, &v),
	    LD_EFORBIDDEN); /* a full member */
	assert_int_equal(note(f, site_o, site_o, LD__EVENT_KIND__LAPSE_OPENED, NULL, 0, &v), 0);
	assert_int_equal(note(f, site_o, site_o, LD__EVENT_KIND__LAPSE_DECIDED, "removal", 0, &v),
			 0);
	assert_int_equal(where(f), LOC_REMOVED);
	assert_int_equal(note(f, site_o, site_o, LD__EVENT_KIND__REPORT_RECEIVED, NULL, 0, &v),
			 LD_EFORBIDDEN);
	st = state_of(f);
	assert_true(member_closed(st));
	assert_false(site_cares_for(st, site_o));
	ld__member_state__free_unpacked(st, NULL);
}

/* member_registered_out_to is TO_I for site I, false for O and X; member_registered_out_from
 * (the same pair seen from I) is TO_I for O at I only. */
static void assert_out_to(struct fixture *f, bool to_i)
{
	Ld__MemberState *st = state_of(f);
	assert_int_equal(member_registered_out_to(st, site_i), to_i);
	assert_false(member_registered_out_to(st, site_o));
	assert_false(member_registered_out_to(st, site_x));
	assert_int_equal(member_registered_out_from(st, site_o, site_i), to_i);
	assert_false(member_registered_out_from(st, site_i, site_o));
	assert_false(member_registered_out_from(st, site_x, site_i));
	assert_false(member_registered_out_from(st, site_o, site_x));
	ld__member_state__free_unpacked(st, NULL);
}

/*
 * Registered out to I (what `peer remove I` refuses over): from his registration out until 查验,
 * through check-in and departure; not at home, not after 查验, not once his relation moved.
 */
static void test_registered_out_to(void **state)
{
	struct fixture *f = *state;
	struct verdict v;
	assert_int_equal(registered(f, "full"), 0);
	assert_out_to(f, false);
	assert_int_equal(outflow(f, site_o, site_i, &v), 0);
	assert_out_to(f, true);
	assert_int_equal(checkin(f, site_i, &v), 0);
	assert_out_to(f, true);
	assert_int_equal(note(f, site_o, site_i, LD__EVENT_KIND__DEPARTURE_ASSESSED, NULL, 0, &v),
			 0);
	assert_out_to(f, true);
	assert_int_equal(note(f, site_o, site_o, LD__EVENT_KIND__RETURNED, NULL, 0, &v), 0);
	assert_out_to(f, false);
	assert_int_equal(outflow(f, site_o, site_i, &v), 0);
	assert_out_to(f, true);
	assert_int_equal(note(f, site_o, site_o, LD__EVENT_KIND__LAPSE_OPENED, NULL, 0, &v), 0);
	assert_int_equal(note(f, site_o, site_o, LD__EVENT_KIND__LAPSE_DECIDED, "removal", 0, &v),
			 0);
	assert_out_to(f, false);
}

/* member_in_branch for each site: ST's branch at O and at I, none at X. */
static void assert_branches(struct fixture *f, bool staying, bool in_b1)
{
	Ld__MemberState *st = state_of(f);
	assert_true(member_in_branch(st, site_o, "001")); /* his formal branch, whatever he does */
	assert_false(member_in_branch(st, site_o, "B1"));
	assert_int_equal(member_in_branch(st, site_i, "B1"), in_b1);
	assert_false(member_in_branch(st, site_i, "001")); /* not a branch of I's */
	assert_false(member_in_branch(st, site_x, "001"));
	assert_false(member_in_branch(st, site_x, "B1"));
	assert_string_equal(member_branch_here(st, site_o), "001");
	assert_string_equal(member_branch_here(st, site_i), in_b1 ? "B1" : "");
	assert_string_equal(member_branch_here(st, site_x), "");
	/* Put in a temporary branch (at O or at I: each site's own): in it there, and still in the
	 * branch he is in otherwise; shown in it. */
	char *temp = st->temp_branch;
	st->temp_branch = "T1";
	assert_true(member_in_branch(st, site_o, "T1"));
	assert_true(member_in_branch(st, site_o, "001"));
	assert_int_equal(member_in_branch(st, site_i, "T1"), staying);
	assert_int_equal(member_in_branch(st, site_i, "B1"), in_b1);
	assert_false(member_in_branch(st, site_x, "T1"));
	assert_string_equal(member_branch_here(st, site_i), staying ? "T1" : "");
	st->temp_branch = temp;
	ld__member_state__free_unpacked(st, NULL);
}

/*
 * The branch he is in, as each site lists it: his formal branch at O always; at I, the branch he
 * reported to (or a temporary one he was put in) while his stay there runs.
 */
static void test_member_in_branch(void **state)
{
	struct fixture *f = *state;
	struct verdict v;
	assert_int_equal(registered(f, "full"), 0);
	assert_branches(f, false, false);
	assert_int_equal(outflow(f, site_o, site_i, &v), 0);
	assert_branches(f, true, false); /* away: in no branch of I's he reported to yet */
	assert_int_equal(checkin(f, site_i, &v), 0);
	assert_branches(f, true, true);
	assert_int_equal(note(f, site_o, site_i, LD__EVENT_KIND__DEPARTURE_ASSESSED, NULL, 0, &v),
			 0);
	assert_branches(f, false, false); /* gone from I: its branch assessed his leaving */
	assert_int_equal(note(f, site_o, site_o, LD__EVENT_KIND__RETURNED, NULL, 0, &v), 0);
	assert_branches(f, false, false);
}

/* Probation: full or extend on or after the year's end; the extension moves the end. */
static void test_probation(void **state)
{
	struct fixture *f = *state;
	struct verdict v;
	assert_int_equal(registered(f, "probationary"), 0);
	int32_t end = date_from_ymd(2027, 3, 1);
	assert_int_equal(
	    note(f, site_o, site_o, LD__EVENT_KIND__PROBATION_DECIDED, "full", end - 1, &v),
	    LD_EINPUT); /* end - 1 is in the future too; judged at its own day below */
	Ld__Note n = LD__NOTE__INIT;
	n.text = "";
	n.outcome = "full";
	Ld__Event ev = event(LD__EVENT_KIND__PROBATION_DECIDED);
	ev.payload_case = LD__EVENT__PAYLOAD_NOTE;
	ev.note = &n;
	assert_int_equal(judge(f, site_o, site_o, &ev, &v), LD_EFORBIDDEN); /* today < end */
	assert_non_null(strstr(v.why, "2027-03-01"));
	Ld__MemberState *st = state_of(f);
	assert_int_equal(member_probation_end(st, 12), end);
	ld__member_state__free_unpacked(st, NULL);
	/* Cancel at any time. */
	assert_int_equal(
	    note(f, site_o, site_o, LD__EVENT_KIND__PROBATION_DECIDED, "cancel", 0, &v), 0);
	assert_int_equal(where(f), LOC_REMOVED);
}

/* cert_member_check for certificate C1 of a stay at I, as SITE sees ST: WANT 0 or refused. */
static void assert_cert_usable(struct fixture *f, const uint8_t *site, bool usable)
{
	char why[200] = "";
	Ld__MemberState *st = state_of(f);
	assert_int_equal(cert_member_check(st, "C1", site_i, site, why, sizeof(why)),
			 usable ? 0 : LD_EREVOKED);
	assert_true(usable ? !why[0] : strstr(why, "C1") != NULL);
	ld__member_state__free_unpacked(st, NULL);
}

/*
 * A certificate outlives neither the stay it was issued for (at its inflow site) nor his
 * membership (anywhere), and only his current one counts.
 */
static void test_cert_member_check(void **state)
{
	struct fixture *f = *state;
	struct verdict v;
	assert_int_equal(registered(f, "full"), 0);
	assert_int_equal(outflow(f, site_o, site_i, &v), 0);
	assert_cert_usable(f, site_i, true); /* away: he reports in with it */
	assert_cert_usable(f, site_o, true);
	assert_int_equal(checkin(f, site_i, &v), 0);
	assert_cert_usable(f, site_i, true);
	/* Another certificate is his current one. */
	Ld__MemberState *st = state_of(f);
	char *cur = st->certificate, why[200];
	st->certificate = "C2";
	assert_int_equal(cert_member_check(st, "C1", site_i, site_o, why, sizeof(why)),
			 LD_EREVOKED);
	assert_non_null(strstr(why, "not his current one"));
	st->certificate = "C1";
	assert_int_equal(cert_member_check(st, "C1", site_i, site_i, why, sizeof(why)), 0);
	st->certificate = cur;
	ld__member_state__free_unpacked(st, NULL);
	/* His stay at I is over: no longer at I; his outflow site may still inspect it. */
	assert_int_equal(note(f, site_o, site_i, LD__EVENT_KIND__DEPARTURE_ASSESSED, NULL, 0, &v),
			 0);
	assert_cert_usable(f, site_i, false);
	assert_cert_usable(f, site_o, true);
	/* Removed: nowhere. */
	assert_int_equal(note(f, site_o, site_o, LD__EVENT_KIND__LAPSE_OPENED, NULL, 0, &v), 0);
	assert_int_equal(note(f, site_o, site_o, LD__EVENT_KIND__LAPSE_DECIDED, "removal", 0, &v),
			 0);
	assert_cert_usable(f, site_o, false);
	assert_cert_usable(f, site_x, false);
}

/* An extension of probation ends at most one year after the end of his probation as admitted,
 * whenever it is decided. */
static void test_probation_extension(void **state)
{
	struct fixture *f = *state;
	struct verdict v;
	Ld__MemberInfo m = info("probationary");
	m.joined = today() - 500; /* his year ended some 135 days ago */
	Ld__Event reg = event(LD__EVENT_KIND__MEMBER_REGISTERED);
	reg.payload_case = LD__EVENT__PAYLOAD_MEMBER_INFO;
	reg.member_info = &m;
	assert_int_equal(judge(f, site_o, site_o, &reg, &v), 0);
	int32_t latest = date_add_months(date_add_months(m.joined, 12), 12);
	Ld__Note n = LD__NOTE__INIT;
	n.text = "";
	n.outcome = "extend";
	n.until = latest + 1;
	Ld__Event ev = event(LD__EVENT_KIND__PROBATION_DECIDED);
	ev.payload_case = LD__EVENT__PAYLOAD_NOTE;
	ev.note = &n;
	assert_int_equal(judge(f, site_o, site_o, &ev, &v), LD_EFORBIDDEN);
	assert_non_null(strstr(v.why, "at most one year"));
	n.until = latest;
	assert_int_equal(judge(f, site_o, site_o, &ev, &v), 0);
	Ld__MemberState *st = state_of(f);
	assert_int_equal(member_probation_end(st, 12), latest);
	ld__member_state__free_unpacked(st, NULL);
}

/* What a peer sends that is malformed or not for this site is refused with a reason. */
static void test_hostile(void **state)
{
	struct fixture *f = *state;
	struct verdict v;
	assert_int_equal(registered(f, "full"), 0);
	assert_int_equal(outflow(f, site_o, site_i, &v), 0);
	/* Every member kind without its payload. */
	for (int k = LD__EVENT_KIND__MEMBER_REGISTERED; k <= LD__EVENT_KIND__BRANCH_LEFT; k++) {
		Ld__Event ev = event((Ld__EventKind)k);
		assert_int_equal(judge(f, site_o, site_i, &ev, &v), LD_EINPUT);
		assert_non_null(strstr(v.why, "payload"));
	}
	/* Another kind's payload: the oneof must not be read as this kind's. */
	Ld__Note n = LD__NOTE__INIT;
	Ld__Event ev = event(LD__EVENT_KIND__CHECKIN);
	ev.payload_case = LD__EVENT__PAYLOAD_NOTE;
	ev.note = &n;
	assert_int_equal(judge(f, site_o, site_i, &ev, &v), LD_EINPUT);
	/* A receipt without a number. */
	assert_int_equal(dues(f, site_i, "", &v), LD_EINPUT);
	/* A transfer letter without an issuer. */
	Ld__TransferLetter l = LD__TRANSFER_LETTER__INIT;
	l.number = "T1";
	l.member = IDNO;
	l.to_site.data = site_i;
	l.to_site.len = LD_SITE_ID_BYTES;
	uint8_t letter[256], sig[64] = {0};
	Ld__Transfer t = LD__TRANSFER__INIT;
	t.letter.len = ld__transfer_letter__pack(&l, letter);
	t.letter.data = letter;
	t.signature.data = sig;
	t.signature.len = sizeof(sig);
	t.number = "T1";
	ev = event(LD__EVENT_KIND__TRANSFER_ISSUED);
	ev.payload_case = LD__EVENT__PAYLOAD_TRANSFER;
	ev.transfer = &t;
	assert_int_equal(judge(f, site_i, site_o, &ev, &v), LD_EINPUT);
	assert_non_null(strstr(v.why, "issuer"));
	/* A member this site does not know; a member whose records are not shared with it. */
	Ld__Event fb = event(LD__EVENT_KIND__FEEDBACK);
	fb.member = "110105194912310011";
	fb.payload_case = LD__EVENT__PAYLOAD_NOTE;
	fb.note = &n;
	assert_int_equal(judge(f, site_o, site_i, &fb, &v), LD_ENOTFOUND);
	assert_int_equal(note(f, site_x, site_o, LD__EVENT_KIND__REPORT_RECEIVED, NULL, 0, &v),
			 LD_EFORBIDDEN);
	assert_non_null(strstr(v.why, "not shared"));
	/* A site-local kind from a peer. */
	Ld__BranchInfo b = LD__BRANCH_INFO__INIT;
	b.code = "B1";
	ev = event(LD__EVENT_KIND__BRANCH_ADDED);
	ev.member = "";
	ev.payload_case = LD__EVENT__PAYLOAD_BRANCH;
	ev.branch = &b;
	assert_int_equal(judge(f, site_o, site_i, &ev, &v), LD_EFORBIDDEN);
}

/* The former inflow site hears stay.ended and stops: at I's own store. */
static void test_stay_ended(void **state)
{
	struct fixture *f = *state;
	struct verdict v;
	assert_int_equal(outflow(f, site_i, site_i, &v), 0); /* I learns of him from O */
	Ld__StayEnded end = LD__STAY_ENDED__INIT;
	end.inflow_site.data = site_i;
	end.inflow_site.len = LD_SITE_ID_BYTES;
	end.reason = "registered-elsewhere";
	Ld__Event ev = event(LD__EVENT_KIND__STAY_ENDED);
	ev.payload_case = LD__EVENT__PAYLOAD_STAY_ENDED;
	ev.stay_ended = &end;
	assert_int_equal(judge(f, site_i, site_o, &ev, &v), 0);
	assert_int_equal(where(f), LOC_DEPARTED);
	Ld__MemberState *st = state_of(f);
	assert_false(site_cares_for(st, site_i));
	ld__member_state__free_unpacked(st, NULL);
	/* I's own feedback is refused now, naming his outflow site. */
	assert_int_equal(note(f, site_i, site_i, LD__EVENT_KIND__FEEDBACK, NULL, 0, &v),
			 LD_EFORBIDDEN);
	assert_true(v.has_writer && memcmp(v.writer, site_o, LD_SITE_ID_BYTES) == 0);
}

static void test_places_and_names(void **state)
{
	assert_true(place_same("南京市 雨花台区", "南京市雨花台区"));
	assert_true(place_same("南京市，雨花台区。", "南京市雨花台区"));
	assert_true(place_same("Suzhou, Kunshan", "SuzhouKunshan"));
	assert_false(place_same("南京市雨花台区", "南京市玄武区"));
	assert_false(place_same("南京", ""));
	for (int i = 0; i < LOC_COUNT; i++) {
		enum location loc;
		assert_int_equal(location_parse(location_name((enum location)i), &loc), 0);
		assert_int_equal(loc, i);
	}
	enum location loc;
	assert_int_equal(location_parse("lapse", &loc), LD_EINPUT);
	/* The CLI's filters: "lapse" is a case, not a location. */
	assert_true(state_name_known("departed", false));
	assert_false(state_name_known("lapse", false));
	assert_true(state_name_known("lapse", true));
	assert_false(state_name_known("away ", true));
	Ld__MemberState st = LD__MEMBER_STATE__INIT;
	member_set_location(&st, LOC_CHECKED_IN);
	st.lapse = "";
	assert_true(member_matches(&st, "checked-in"));
	assert_false(member_matches(&st, "lapse"));
	st.lapse = "6 months without organizational life";
	assert_true(member_matches(&st, "lapse") && member_matches(&st, "checked-in"));
	/* A store written before the domain core kept the case as the state. */
	st.state = "lapse";
	st.lapse_prev_state = "away";
	assert_int_equal(member_location(&st), LOC_AWAY);
}

static int32_t d(const char *s)
{
	int32_t v;
	assert_int_equal(date_parse(s, &v), 0);
	return v;
}

/* A certificate state for a body issued on ISSUED, valid through UNTIL, with up to 3 reviews. */
struct cert_fixture {
	Ld__CertState c;
	Ld__SignedCertificate sc;
	Ld__CertReview review[3];
	Ld__CertReview *reviews[3];
	uint8_t body[256];
};

static void cert_init(struct cert_fixture *f, const char *issued, const char *until)
{
	memset(f, 0, sizeof(*f));
	Ld__CertificateBody b = LD__CERTIFICATE_BODY__INIT;
	b.number = "320583-2027-000001";
	b.member = "320583198004044414";
	b.issued = d(issued);
	b.valid_until = d(until);
	size_t len = ld__certificate_body__get_packed_size(&b);
	assert_true(len <= sizeof(f->body));
	ld__certificate_body__pack(&b, f->body);
	ld__signed_certificate__init(&f->sc);
	f->sc.body.data = f->body;
	f->sc.body.len = len;
	ld__cert_state__init(&f->c);
	f->c.number = b.number;
	f->c.member = b.member;
	f->c.signed_ = &f->sc;
	f->c.reviews = f->reviews;
}

static void cert_review(struct cert_fixture *f, const char *date, bool failed)
{
	size_t i = f->c.n_reviews++;
	ld__cert_review__init(&f->review[i]);
	f->review[i].date = d(date);
	f->review[i].failed = failed;
	f->reviews[i] = &f->review[i];
}

static void test_cert_validity_renewed(void **state)
{
	struct cert_fixture f;
	/* 365 days counting the issue day, across 29 February 2028. */
	cert_init(&f, "2027-03-01", "2028-02-28");
	assert_int_equal(cert_valid_until(&f.c), d("2028-02-28"));
	assert_int_equal(cert_last_review(&f.c), d("2027-03-01"));
	assert_false(cert_active(&f.c, d("2027-02-28")));
	assert_true(cert_active(&f.c, d("2027-03-01")));
	assert_true(cert_active(&f.c, d("2028-02-28")));
	assert_false(cert_active(&f.c, d("2028-02-29")));
	/* A failed review: the clock restarts, the validity does not. */
	cert_review(&f, "2028-03-01", true);
	assert_int_equal(cert_valid_until(&f.c), d("2028-02-28"));
	assert_int_equal(cert_last_review(&f.c), d("2028-03-01"));
	assert_false(cert_active(&f.c, d("2028-03-02")));
	/* A passed one: review date + 364 days; active past the original end. */
	cert_review(&f, "2028-03-10", false);
	assert_int_equal(cert_valid_until(&f.c), d("2029-03-09"));
	assert_int_equal(cert_last_review(&f.c), d("2028-03-10"));
	assert_true(cert_active(&f.c, d("2028-03-10")));
	assert_true(cert_active(&f.c, d("2029-03-09")));
	assert_false(cert_active(&f.c, d("2029-03-10")));
	/* An older passed review (recorded late) does not shorten it. */
	cert_review(&f, "2028-01-05", false);
	assert_int_equal(cert_valid_until(&f.c), d("2029-03-09"));
	assert_int_equal(cert_last_review(&f.c), d("2028-03-10"));
	/* Revoked: inactive from the day of its revocation. */
	f.c.revoked = true;
	f.c.revoked_date = d("2028-06-01");
	assert_true(cert_active(&f.c, d("2028-05-31")));
	assert_false(cert_active(&f.c, d("2028-06-01")));
}

static void test_probation_end(void **state)
{
	Ld__MemberInfo info = LD__MEMBER_INFO__INIT;
	Ld__MemberState st = LD__MEMBER_STATE__INIT;
	info.kind = "probationary";
	info.joined = d("2027-02-28");
	st.info = &info;
	assert_true(member_probationary(&st));
	assert_int_equal(member_probation_end(&st, 12), d("2028-02-28"));
	info.joined = d("2028-02-29");
	assert_int_equal(member_probation_end(&st, 12), d("2029-02-28"));
	/* Extended: the extension's end. */
	st.probation_until = d("2029-08-31");
	assert_int_equal(member_probation_end(&st, 12), d("2029-08-31"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_walk, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_registered_out_at_once, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_probation, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_hostile, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_stay_ended, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_registered_out_to, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_member_in_branch, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_probation_extension, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_cert_member_check, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_judged_alone, setup, teardown),
	    cmocka_unit_test(test_places_and_names),
	    cmocka_unit_test(test_cert_validity_renewed),
	    cmocka_unit_test(test_probation_end),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
