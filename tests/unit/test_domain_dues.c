/*
 * test_domain_dues.c: the domain core's rules (common/domain.c), on member states built in memory
 * and, for domain_validate, on a real store holding the events that made them.
 */
#include <errno.h>
#include <limits.h>
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

/* year * 12 + month - 1, as the months of record.proto */
#define MONTH(y, m) ((y)*12 + (m)-1)

static uint8_t site_a[LD_SITE_ID_BYTES], site_b[LD_SITE_ID_BYTES];

/* ---------------------------------------------------------------------------------------------- */
/* Dues owed and settled, over a state in memory                                                  */

struct dues_state {
	Ld__MemberState st;
	Ld__MemberInfo info;
	Ld__DuesExemption ex[4];
	Ld__DuesExemption *exp[4];
};

static void dues_state_init(struct dues_state *d, int64_t monthly)
{
	memset(d, 0, sizeof(*d));
	ld__member_state__init(&d->st);
	ld__member_info__init(&d->info);
	d->info.monthly_dues_fen = monthly;
	d->st.info = &d->info;
	d->st.exemptions = d->exp;
}

static void exempt(struct dues_state *d, int32_t from, int32_t to, int64_t fen)
{
	size_t i = d->st.n_exemptions++;
	ld__dues_exemption__init(&d->ex[i]);
	d->ex[i].id = "E";
	d->ex[i].from_month = from;
	d->ex[i].to_month = to;
	d->ex[i].monthly_fen = fen;
	d->exp[i] = &d->ex[i];
}

static void owed_at_monthly_dues_or_the_reduced_amount(void **state)
{
	(void)state;
	struct dues_state d;
	dues_state_init(&d, 1500);
	assert_int_equal(member_dues_owed_fen(&d.st, MONTH(2026, 1), MONTH(2026, 3)), 4500);
	assert_int_equal(member_dues_owed_fen(&d.st, MONTH(2026, 3), MONTH(2026, 2)), 0);
	exempt(&d, MONTH(2026, 2), MONTH(2026, 2), 0);
	exempt(&d, MONTH(2026, 3), MONTH(2026, 4), 500);
	/* January at 15.00, February free, March at 5.00 */
	assert_int_equal(member_dues_owed_fen(&d.st, MONTH(2026, 1), MONTH(2026, 3)), 2000);
	assert_int_equal(member_dues_owed_fen(&d.st, MONTH(2026, 2), MONTH(2026, 2)), 0);
	assert_int_equal(member_dues_owed_fen(&d.st, MONTH(2026, 4), MONTH(2026, 5)), 2000);
}

#define SETTLED(d, paid, first, as_of)                                                             \
	member_dues_settled_month(&(d).st, paid, sizeof(paid) / sizeof((paid)[0]), first, as_of)

static void settled_through_months_exempted_at_zero(void **state)
{
	(void)state;
	struct dues_state d;
	dues_state_init(&d, 1500);
	const struct month_span none[1] = {{1, 0}}; /* covers no month */
	const struct month_span dec25[] = {{MONTH(2025, 12), MONTH(2025, 12)}};
	const struct month_span oct25[] = {{MONTH(2025, 10), MONTH(2025, 10)}};
	/* Nothing paid, nothing exempted. */
	assert_int_equal(SETTLED(d, none, MONTH(2026, 1), MONTH(2026, 6)), INT32_MIN);
	assert_int_equal(SETTLED(d, dec25, MONTH(2026, 1), MONTH(2026, 6)), MONTH(2025, 12));
	/* Exempted at 0 for 2026: from the start of his stay, or after the last paid month. */
	exempt(&d, MONTH(2026, 1), MONTH(2026, 12), 0);
	assert_int_equal(SETTLED(d, none, MONTH(2026, 1), MONTH(2026, 6)), MONTH(2026, 12));
	assert_int_equal(SETTLED(d, none, MONTH(2026, 3), MONTH(2026, 6)), MONTH(2026, 12));
	assert_int_equal(SETTLED(d, dec25, MONTH(2025, 6), MONTH(2026, 6)), MONTH(2026, 12));
	/* Past the exemption, the clock runs from its last month. */
	assert_int_equal(SETTLED(d, none, MONTH(2026, 1), MONTH(2027, 5)), MONTH(2026, 12));
	/* A gap (November 2025 unpaid): the clock runs from it while it lasts... */
	assert_int_equal(SETTLED(d, oct25, MONTH(2025, 6), MONTH(2025, 12)), MONTH(2025, 10));
	assert_int_equal(SETTLED(d, none, MONTH(2025, 11), MONTH(2025, 12)), INT32_MIN);
	/* ...and stops once the months are settled again. */
	assert_int_equal(SETTLED(d, oct25, MONTH(2025, 6), MONTH(2026, 2)), MONTH(2026, 12));
	/* Paid beyond the exemption: the receipt carries on. */
	const struct month_span to_feb27[] = {{MONTH(2027, 1), MONTH(2027, 2)}};
	assert_int_equal(SETTLED(d, to_feb27, MONTH(2026, 1), MONTH(2026, 6)), MONTH(2027, 2));
	/* Several approvals in a row carry on; a reduced amount above 0 is not settled unpaid. */
	exempt(&d, MONTH(2027, 1), MONTH(2027, 3), 0);
	exempt(&d, MONTH(2027, 4), MONTH(2027, 6), 300);
	assert_int_equal(SETTLED(d, none, MONTH(2026, 1), MONTH(2026, 6)), MONTH(2027, 3));
	/* With no stay begun and nothing paid or exempted before, nothing is settled. */
	assert_int_equal(SETTLED(d, none, INT32_MIN, MONTH(2025, 6)), INT32_MIN);
}

/* A month paid ahead after a gap does not stop the clock of the gap. */
static void settled_not_by_a_month_paid_ahead(void **state)
{
	(void)state;
	struct dues_state d;
	dues_state_init(&d, 1500);
	const struct month_span paid[] = {
	    {MONTH(2027, 12), MONTH(2027, 12)},
	    {MONTH(2026, 3), MONTH(2026, 7)},
	};
	assert_int_equal(SETTLED(d, paid, MONTH(2026, 3), MONTH(2026, 5)), MONTH(2026, 7));
	assert_int_equal(SETTLED(d, paid, MONTH(2026, 3), MONTH(2026, 11)), MONTH(2026, 7));
	assert_int_equal(SETTLED(d, paid, MONTH(2026, 3), MONTH(2027, 6)), MONTH(2026, 7));
	assert_int_equal(SETTLED(d, paid, MONTH(2026, 3), MONTH(2027, 12)), MONTH(2027, 12));
	/* Before his stay began: nothing. */
	assert_int_equal(SETTLED(d, paid, MONTH(2026, 3), MONTH(2026, 1)), INT32_MIN);
}

/* ---------------------------------------------------------------------------------------------- */
/* domain_validate on a store                                                                     */

struct fixture {
	char dir[64];
	struct store *store;
	struct store_txn *txn;
	struct domain_site site;
};

static Ld__Event event_of(Ld__EventKind kind, const char *member)
{
	Ld__Event ev = LD__EVENT__INIT;
	ev.origin.data = site_a;
	ev.origin.len = LD_SITE_ID_BYTES;
	ev.kind = kind;
	ev.date = date_today();
	ev.member = (char *)member;
	ev.operator_ = "test";
	return ev;
}

static void commit(struct fixture *f, Ld__Event *ev)
{
	struct verdict v;
	int rc = domain_validate(f->txn, ev, site_a, &f->site, &v);
	if (rc)
		fail_msg("%s refused: %s", event_kind_name(ev->kind), v.why);
	assert_int_equal(eventlog_commit_local(f->txn, site_a, ev, NULL), 0);
}

static void add_branch(struct fixture *f, const char *code, bool temporary)
{
	Ld__BranchInfo b = LD__BRANCH_INFO__INIT;
	b.code = (char *)code;
	b.name = "支部";
	b.temporary = temporary;
	Ld__Event ev = event_of(LD__EVENT_KIND__BRANCH_ADDED, "");
	ev.payload_case = LD__EVENT__PAYLOAD_BRANCH;
	ev.branch = &b;
	commit(f, &ev);
}

/* Site A with branches 001 and T1 (temporary), member IDNO of branch 001 at 15.00 a month. */
static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	strcpy(f->dir, "/tmp/test-domain-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	assert_int_equal(store_open(f->dir, 0, STORE_NOSYNC, &f->store), 0);
	memset(site_a, 0xa1, sizeof(site_a));
	memset(site_b, 0xb2, sizeof(site_b));
	f->site =
	    (struct domain_site){.self = site_a, .today = date_today(), .probation_months = 12};
	assert_int_equal(store_begin(f->store, true, &f->txn), 0);
	add_branch(f, "001", false);
	add_branch(f, "T1", true);
	Ld__MemberInfo m = LD__MEMBER_INFO__INIT;
	m.id = IDNO;
	m.name = "张三";
	m.sex = "F";
	m.birth = date_from_ymd(1949, 12, 31);
	m.joined = date_from_ymd(1980, 7, 1);
	m.kind = "full";
	m.branch = "001";
	m.dues_category = "salaried";
	m.income_fen = 300000;
	m.set_dues_fen = -1;
	m.monthly_dues_fen = 1500;
	m.phone = "";
	Ld__Event ev = event_of(LD__EVENT_KIND__MEMBER_REGISTERED, IDNO);
	ev.payload_case = LD__EVENT__PAYLOAD_MEMBER_INFO;
	ev.member_info = &m;
	commit(f, &ev);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	store_abort(f->txn);
	store_close(f->store);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

static int validate(struct fixture *f, const Ld__Event *ev, const uint8_t *origin,
		    struct verdict *v)
{
	return domain_validate(f->txn, ev, origin, &f->site, v);
}

static Ld__Event dues_paid(Ld__DuesPaid *p, const char *receipt, int32_t from, int32_t to,
			   int64_t fen, bool voluntary)
{
	ld__dues_paid__init(p);
	p->receipt = (char *)receipt;
	p->from_month = from;
	p->to_month = to;
	p->amount_fen = fen;
	p->voluntary = voluntary;
	p->collector = "test";
	Ld__Event ev = event_of(LD__EVENT_KIND__DUES_PAID, IDNO);
	ev.payload_case = LD__EVENT__PAYLOAD_DUES_PAID;
	ev.dues_paid = p;
	return ev;
}

static void exempt_event(struct fixture *f, int32_t from, int32_t to, int64_t fen, int want)
{
	Ld__DuesExemption e = LD__DUES_EXEMPTION__INIT;
	e.id = "320583-2026-E000001";
	e.from_month = from;
	e.to_month = to;
	e.monthly_fen = fen;
	e.approved_by = "党委";
	e.reason = "困难";
	Ld__Event ev = event_of(LD__EVENT_KIND__DUES_EXEMPTED, IDNO);
	ev.payload_case = LD__EVENT__PAYLOAD_EXEMPTION;
	ev.exemption = &e;
	struct verdict v;
	assert_int_equal(validate(f, &ev, site_a, &v), want);
	if (want == 0)
		assert_int_equal(eventlog_commit_local(f->txn, site_a, &ev, NULL), 0);
}

static void over_ten_times_needs_voluntary(void **state)
{
	struct fixture *f = *state;
	int32_t now = month_of_date(date_today());
	Ld__DuesPaid p;
	struct verdict v;
	/* Two months at 15.00 owe 30.00: 300.00 passes, 300.01 is refused unless voluntary. */
	Ld__Event ev = dues_paid(&p, "R1", now - 1, now, 30000, false);
	assert_int_equal(validate(f, &ev, site_a, &v), 0);
	ev = dues_paid(&p, "R1", now - 1, now, 30001, false);
	assert_int_equal(validate(f, &ev, site_a, &v), LD_EFORBIDDEN);
	assert_non_null(strstr(v.why, "voluntary"));
	assert_non_null(strstr(v.why, "30.00"));
	ev = dues_paid(&p, "R1", now - 1, now, 30001, true);
	assert_int_equal(validate(f, &ev, site_a, &v), 0);
	/* Exempted at 0: any amount is voluntary; at 5.00: owed at 5.00. */
	exempt_event(f, now - 1, now - 1, 0, 0);
	exempt_event(f, now, now, 500, 0);
	ev = dues_paid(&p, "R1", now - 1, now - 1, 1, false);
	assert_int_equal(validate(f, &ev, site_a, &v), LD_EFORBIDDEN);
	ev = dues_paid(&p, "R1", now - 1, now - 1, 1, true);
	assert_int_equal(validate(f, &ev, site_a, &v), 0);
	ev = dues_paid(&p, "R1", now, now, 5000, false);
	assert_int_equal(validate(f, &ev, site_a, &v), 0);
	ev = dues_paid(&p, "R1", now, now, 5001, false);
	assert_int_equal(validate(f, &ev, site_a, &v), LD_EFORBIDDEN);
}

static void reduction_not_above_dues_nor_overlapping(void **state)
{
	struct fixture *f = *state;
	exempt_event(f, MONTH(2026, 1), MONTH(2026, 12), 1501, LD_EINPUT);
	exempt_event(f, MONTH(2026, 1), MONTH(2026, 12), 1500, 0);
	exempt_event(f, MONTH(2026, 12), MONTH(2027, 1), 0, LD_EEXIST);
	exempt_event(f, MONTH(2027, 1), MONTH(2027, 1), 0, 0);
}

static Ld__Event branch_event(Ld__BranchInfo *b, Ld__EventKind kind, const char *code)
{
	ld__branch_info__init(b);
	b->code = (char *)code;
	Ld__Event ev = event_of(kind, IDNO);
	ev.payload_case = LD__EVENT__PAYLOAD_BRANCH;
	ev.branch = b;
	return ev;
}

static char *temp_branch(struct fixture *f, char *out, size_t len)
{
	Ld__MemberState *st;
	assert_int_equal(member_state_get(f->txn, IDNO, &st), 0);
	snprintf(out, len, "%s", st->temp_branch);
	ld__member_state__free_unpacked(st, NULL);
	return out;
}

static void branch_join_and_leave(void **state)
{
	struct fixture *f = *state;
	Ld__BranchInfo b;
	struct verdict v;
	char tb[40];
	Ld__Event ev = branch_event(&b, LD__EVENT_KIND__BRANCH_JOINED, "NOPE");
	assert_int_equal(validate(f, &ev, site_a, &v), LD_ENOTFOUND);
	ev = branch_event(&b, LD__EVENT_KIND__BRANCH_LEFT, "T1");
	assert_int_equal(validate(f, &ev, site_a, &v), LD_EFORBIDDEN); /* not in it */
	ev = branch_event(&b, LD__EVENT_KIND__BRANCH_JOINED, "T1");
	commit(f, &ev);
	assert_string_equal(temp_branch(f, tb, sizeof(tb)), "T1");
	assert_int_equal(validate(f, &ev, site_a, &v), LD_EEXIST);
	/* Never from a peer: site-local. */
	ev.origin.data = site_b;
	assert_int_equal(validate(f, &ev, site_b, &v), LD_EFORBIDDEN);
	ev = branch_event(&b, LD__EVENT_KIND__BRANCH_LEFT, "001");
	assert_int_equal(validate(f, &ev, site_a, &v), LD_EFORBIDDEN); /* in T1, not 001 */
	ev = branch_event(&b, LD__EVENT_KIND__BRANCH_LEFT, "T1");
	commit(f, &ev);
	assert_string_equal(temp_branch(f, tb, sizeof(tb)), "");
	/* An unknown member. */
	ev = branch_event(&b, LD__EVENT_KIND__BRANCH_JOINED, "T1");
	ev.member = "110105194912310011";
	assert_int_equal(validate(f, &ev, site_a, &v), LD_ENOTFOUND);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(owed_at_monthly_dues_or_the_reduced_amount),
	    cmocka_unit_test(settled_through_months_exempted_at_zero),
	    cmocka_unit_test(settled_not_by_a_month_paid_ahead),
	    cmocka_unit_test_setup_teardown(over_ten_times_needs_voluntary, setup, teardown),
	    cmocka_unit_test_setup_teardown(reduction_not_above_dues_nor_overlapping, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(branch_join_and_leave, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
