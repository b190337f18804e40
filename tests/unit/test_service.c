/*
 * test_service.c: the domain core of the service side (service.h). Two sites, O (his outflow
 * site) and I (his inflow site), each with its own store; an event is judged and written at the
 * site that makes it, then judged and applied at the other as a peer's, as sync does. Every new
 * transition: a request opened, forwarded, handed over, answered, closed; the directory; a notice
 * and its answer; a visit; and what each refuses (the wrong site, a closed request, a second
 * answer, a malformed payload).
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
#include "service.h"
#include "lderr.h"

#define IDNO "11010519491231002X"

static uint8_t site_o[LD_SITE_ID_BYTES], site_i[LD_SITE_ID_BYTES], site_x[LD_SITE_ID_BYTES];

struct fixture {
	char dir[2][64];
	struct store *store[2]; /* [0]: O's, [1]: I's */
	uint64_t seq[3];	/* origin seq of the next event of O, I, X */
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	for (int i = 0; i < 2; i++) {
		strcpy(f->dir[i], "/tmp/test-service-XXXXXX");
		assert_non_null(mkdtemp(f->dir[i]));
		assert_int_equal(store_open(f->dir[i], 0, STORE_NOSYNC, &f->store[i]), 0);
	}
	memset(site_o, 0x0a, sizeof(site_o));
	memset(site_i, 0x1b, sizeof(site_i));
	memset(site_x, 0x2c, sizeof(site_x));
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	for (int i = 0; i < 2; i++) {
		store_close(f->store[i]);
		char cmd[128];
		snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir[i]);
		assert_int_equal(system(cmd), 0);
	}
	free(f);
	return 0;
}

static int32_t today(void)
{
	return date_from_ymd(2026, 11, 30);
}

static struct store *store_of(struct fixture *f, const uint8_t *self)
{
	return self == site_o ? f->store[0] : f->store[1];
}

/*
 * Judge EV from ORIGIN at SELF; if valid, write it there (SELF's own, or a peer's). Returns
 * validate's result, V its verdict.
 */
static int at(struct fixture *f, const uint8_t *self, const uint8_t *origin, Ld__Event *ev,
	      struct verdict *v)
{
	struct domain_site site = {.self = self, .today = today(), .probation_months = 12};
	struct store_txn *txn;
	ev->origin.data = (uint8_t *)origin;
	ev->origin.len = LD_SITE_ID_BYTES;
	if (!ev->date)
		ev->date = today();
	assert_int_equal(store_begin(store_of(f, self), true, &txn), 0);
	int rc = domain_validate(txn, ev, origin, &site, v);
	if (rc == 0 && self == origin) {
		assert_int_equal(eventlog_commit_local(txn, self, ev, NULL), 0);
	} else if (rc == 0) {
		int k = origin == site_o ? 0 : origin == site_i ? 1 : 2;
		ev->origin_seq = 1000 + ++f->seq[k];
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

/* Where EV, written at ORIGIN, goes: the number of sites, the first in *first. */
static int route(struct fixture *f, const uint8_t *self, const Ld__Event *ev, const uint8_t **first)
{
	uint8_t dest[DOMAIN_MAX_DEST][LD_SITE_ID_BYTES];
	struct store_txn *txn;
	assert_int_equal(store_begin(store_of(f, self), false, &txn), 0);
	int n = domain_destinations(txn, ev, self, dest);
	store_abort(txn);
	*first = NULL;
	if (n > 0)
		*first = memcmp(dest[0], site_o, LD_SITE_ID_BYTES) == 0	  ? site_o
			 : memcmp(dest[0], site_i, LD_SITE_ID_BYTES) == 0 ? site_i
									  : site_x;
	return n;
}

/* Written at ORIGIN, then applied at the other site: both results must be 0. */
static int both(struct fixture *f, const uint8_t *origin, Ld__Event *ev, struct verdict *v)
{
	int rc = at(f, origin, origin, ev, v);
	if (rc)
		return rc;
	return at(f, origin == site_o ? site_i : site_o, origin, ev, v);
}

static Ld__MemberInfo info(void)
{
	Ld__MemberInfo m = LD__MEMBER_INFO__INIT;
	m.id = IDNO;
	m.name = "张三";
	m.sex = "F";
	m.kind = "full";
	m.branch = "001";
	m.dues_category = "salaried";
	m.joined = date_from_ymd(2020, 3, 1);
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

/* He is registered at O and registered out to I: both sites know him. */
static void away(struct fixture *f)
{
	struct verdict v;
	Ld__MemberInfo m = info();
	Ld__Event reg = event(LD__EVENT_KIND__MEMBER_REGISTERED);
	reg.payload_case = LD__EVENT__PAYLOAD_MEMBER_INFO;
	reg.member_info = &m;
	assert_int_equal(at(f, site_o, site_o, &reg, &v), 0);
	Ld__OutflowInfo of = LD__OUTFLOW_INFO__INIT;
	of.member = &m;
	of.reason = "work";
	of.inflow_site.data = site_i;
	of.inflow_site.len = LD_SITE_ID_BYTES;
	of.inflow_name = "I";
	of.place = "南京";
	of.from = today() - 40;
	Ld__Event ev = event(LD__EVENT_KIND__OUTFLOW_REGISTERED);
	ev.date = of.from;
	ev.payload_case = LD__EVENT__PAYLOAD_OUTFLOW;
	ev.outflow = &of;
	assert_int_equal(both(f, site_o, &ev, &v), 0);
}

static Ld__ServiceRequest request(const uint8_t *site, const char *id)
{
	Ld__ServiceRequest r = LD__SERVICE_REQUEST__INIT;
	r.id = (char *)id;
	r.kind = "transfer";
	r.text = "转接组织关系";
	r.from_person = "张三";
	r.phone = "";
	r.owner = "wang";
	r.opened = today();
	r.due_date = today() + 14;
	r.site.data = (uint8_t *)site;
	r.site.len = LD_SITE_ID_BYTES;
	return r;
}

static int step(struct fixture *f, const uint8_t *self, const uint8_t *origin, const char *id,
		const char *action, const char *to, const char *text, bool forwarded,
		struct verdict *v)
{
	Ld__RequestStep s = LD__REQUEST_STEP__INIT;
	s.request = (char *)id;
	s.action = (char *)action;
	s.to = (char *)to;
	s.text = (char *)text;
	s.site.data = site_i;
	s.site.len = LD_SITE_ID_BYTES;
	if (forwarded) {
		s.forwarded_to.data = site_o;
		s.forwarded_to.len = LD_SITE_ID_BYTES;
	}
	Ld__Event ev = event(LD__EVENT_KIND__REQUEST_STEP);
	ev.payload_case = LD__EVENT__PAYLOAD_STEP;
	ev.step = &s;
	ev.operator_ = "li";
	return at(f, self, origin, &ev, v);
}

static Ld__RequestState *request_at(struct fixture *f, const uint8_t *self, const char *id)
{
	struct store_txn *txn;
	Ld__RequestState *r = NULL;
	assert_int_equal(store_begin(store_of(f, self), false, &txn), 0);
	int rc = request_state_get(txn, id, &r);
	store_abort(txn);
	return rc == 0 ? r : NULL;
}

/*
 * A request about a transfer opened at I, forwarded to O (owner unchanged), handed over and
 * answered there, closed: the trail at both sites holds every step; each step goes to the other
 * site; a step after the close, from a third site, or naming other sites is refused.
 */
static void test_request_walk(void **state)
{
	struct fixture *f = *state;
	struct verdict v;
	const uint8_t *first;
	away(f);
	const char *id = "320100-2026-Q000001";
	Ld__ServiceRequest r = request(site_i, id);
	Ld__Event open = event(LD__EVENT_KIND__REQUEST_OPENED);
	open.payload_case = LD__EVENT__PAYLOAD_REQUEST;
	open.request = &r;
	open.operator_ = "wang";
	/* Opened at I: kept there, never sent; a peer's request.opened is refused. */
	assert_int_equal(at(f, site_i, site_i, &open, &v), 0);
	assert_int_equal(route(f, site_i, &open, &first), 0);
	assert_int_equal(at(f, site_o, site_i, &open, &v), LD_EFORBIDDEN);
	assert_int_equal(at(f, site_i, site_i, &open, &v), LD_EEXIST);
	/* O does not have it: a step there is "not found". */
	assert_int_equal(step(f, site_o, site_o, id, "answer", "", "x", false, &v), LD_ENOTFOUND);

	/* A hand-over at I before the forward: stays at I. */
	assert_int_equal(step(f, site_i, site_i, id, "handover", "zhao", "", false, &v), 0);

	/* Forwarded to X (not his other site) refused; to O accepted, at both. */
	Ld__TrailEntry t0 = LD__TRAIL_ENTRY__INIT;
	t0.action = "open";
	t0.by = "wang";
	t0.to = "wang";
	t0.text = r.text;
	Ld__TrailEntry t1 = t0;
	t1.action = "handover";
	t1.to = "zhao";
	t1.text = "";
	Ld__TrailEntry *trail[] = {&t0, &t1};
	Ld__RequestForward fw = LD__REQUEST_FORWARD__INIT;
	fw.request = &r;
	fw.to_site.data = site_x;
	fw.to_site.len = LD_SITE_ID_BYTES;
	fw.to_name = "O";
	fw.note = "转出地办理";
	fw.handler = "zhao";
	fw.n_trail = 2;
	fw.trail = trail;
	Ld__Event fwd = event(LD__EVENT_KIND__REQUEST_FORWARDED);
	fwd.payload_case = LD__EVENT__PAYLOAD_FORWARD;
	fwd.forward = &fw;
	assert_int_equal(at(f, site_i, site_i, &fwd, &v), LD_EFORBIDDEN);
	fw.to_site.data = site_o;
	/* Only the site that took it forwards it: O cannot forward I's request. */
	assert_int_equal(at(f, site_i, site_o, &fwd, &v), LD_EFORBIDDEN);
	assert_int_equal(both(f, site_i, &fwd, &v), 0);
	assert_int_equal(route(f, site_i, &fwd, &first), 1);
	assert_ptr_equal(first, site_o);
	assert_int_equal(at(f, site_i, site_i, &fwd, &v), LD_EEXIST);

	/* At O: handed over, answered; each goes to I. Steps naming no forward are refused. */
	assert_int_equal(step(f, site_o, site_o, id, "handover", "chen", "", false, &v), LD_EINPUT);
	assert_int_equal(step(f, site_o, site_o, id, "handover", "chen", "", true, &v), 0);
	assert_int_equal(step(f, site_i, site_o, id, "handover", "chen", "", true, &v), 0);
	assert_int_equal(step(f, site_o, site_o, id, "answer", "", "介绍信已开", true, &v), 0);
	assert_int_equal(step(f, site_i, site_o, id, "answer", "", "介绍信已开", true, &v), 0);
	/* X is neither site of the request. */
	assert_int_equal(step(f, site_i, site_x, id, "answer", "", "x", true, &v), LD_EFORBIDDEN);
	/* Malformed: a hand-over to nobody, an action nobody knows. */
	assert_int_equal(step(f, site_o, site_o, id, "handover", "", "", true, &v), LD_EINPUT);
	assert_int_equal(step(f, site_o, site_o, id, "reopen", "", "x", true, &v), LD_EINPUT);
	/* An id longer than a store key may be: refused with a reason, never a store error. */
	char long_id[600];
	memset(long_id, 'Q', sizeof(long_id) - 1);
	long_id[sizeof(long_id) - 1] = '\0';
	assert_int_equal(step(f, site_i, site_o, long_id, "answer", "", "x", true, &v), LD_EINPUT);
	assert_true(v.why[0] != '\0');

	assert_int_equal(step(f, site_o, site_o, id, "close", "", "已办结", true, &v), 0);
	assert_int_equal(step(f, site_i, site_o, id, "close", "", "已办结", true, &v), 0);
	assert_int_equal(step(f, site_o, site_o, id, "answer", "", "again", true, &v),
			 LD_EFORBIDDEN);
	assert_int_equal(step(f, site_i, site_i, id, "answer", "", "again", true, &v),
			 LD_EFORBIDDEN);

	/* The trail at both sites: open, handover, forward (I), handover, answer, close (O). */
	static const char *const want_i[] = {"open",	 "handover", "forward",
					     "handover", "answer",   "close"};
	for (int s = 0; s < 2; s++) {
		Ld__RequestState *rs = request_at(f, s ? site_i : site_o, id);
		assert_non_null(rs);
		assert_string_equal(rs->request->owner, "wang");
		assert_string_equal(rs->handler, "chen");
		assert_true(rs->closed);
		assert_string_equal(rs->result, "已办结");
		assert_int_equal(rs->n_trail, 6);
		for (int k = 0; k < 6; k++)
			assert_string_equal(rs->trail[k]->action, want_i[k]);
		assert_string_equal(rs->trail[1]->to, "zhao");
		assert_string_equal(rs->trail[3]->to, "chen");
		ld__request_state__free_unpacked(rs, NULL);
	}
	/* His history at O holds the forward and O's steps. */
	struct store_txn *txn;
	Ld__MemberState *st;
	assert_int_equal(store_begin(f->store[0], false, &txn), 0);
	assert_int_equal(member_state_get(txn, IDNO, &st), 0);
	store_abort(txn);
	assert_int_equal(st->n_history, 2 + 4);
	ld__member_state__free_unpacked(st, NULL);
}

/* A request about no member stays local; about a member this site does not care for, refused. */
static void test_request_scope(void **state)
{
	struct fixture *f = *state;
	struct verdict v;
	Ld__ServiceRequest r = request(site_o, "320100-2026-Q000002");
	Ld__Event open = event(LD__EVENT_KIND__REQUEST_OPENED);
	open.payload_case = LD__EVENT__PAYLOAD_REQUEST;
	open.request = &r;
	/* Unknown member. */
	assert_int_equal(at(f, site_o, site_o, &open, &v), LD_ENOTFOUND);
	open.member = "";
	r.kind = "weather";
	assert_int_equal(at(f, site_o, site_o, &open, &v), LD_EINPUT);
	r.kind = "housing";
	r.due_date = r.opened - 1;
	assert_int_equal(at(f, site_o, site_o, &open, &v), LD_EINPUT);
	r.due_date = r.opened + 3;
	assert_int_equal(at(f, site_o, site_o, &open, &v), 0);
	/* Its site is O: a request claiming to be I's, opened at O, is refused. */
	Ld__ServiceRequest r2 = request(site_i, "320100-2026-Q000003");
	open.request = &r2;
	assert_int_equal(at(f, site_o, site_o, &open, &v), LD_EINPUT);
	/* Forwarding a request about no member: malformed. */
	Ld__RequestForward fw = LD__REQUEST_FORWARD__INIT;
	fw.request = &r;
	fw.to_site.data = site_i;
	fw.to_site.len = LD_SITE_ID_BYTES;
	fw.to_name = "I";
	fw.note = "";
	fw.handler = "wang";
	Ld__Event fwd = event(LD__EVENT_KIND__REQUEST_FORWARDED);
	fwd.member = "";
	fwd.payload_case = LD__EVENT__PAYLOAD_FORWARD;
	fwd.forward = &fw;
	assert_int_equal(at(f, site_o, site_o, &fwd, &v), LD_EINPUT);
}

/* branch.published: O's own branch, to every peer; I keeps it in its directory. */
static void test_directory(void **state)
{
	struct fixture *f = *state;
	struct verdict v;
	Ld__BranchInfo b = LD__BRANCH_INFO__INIT;
	b.code = "B7";
	b.name = "雨花台区流动党员党支部";
	b.address = "南京市雨花台区";
	b.contact = "李";
	b.phone = "025-1234";
	b.accepts_mobile = true;
	Ld__Event ev = event(LD__EVENT_KIND__BRANCH_PUBLISHED);
	ev.member = "";
	ev.payload_case = LD__EVENT__PAYLOAD_BRANCH;
	ev.branch = &b;
	/* No such branch at I. */
	assert_int_equal(at(f, site_i, site_i, &ev, &v), LD_ENOTFOUND);
	Ld__Event add = ev;
	add.kind = LD__EVENT_KIND__BRANCH_ADDED;
	assert_int_equal(at(f, site_i, site_i, &add, &v), 0);
	assert_int_equal(at(f, site_i, site_i, &ev, &v), 0);
	assert_int_equal(at(f, site_o, site_i, &ev, &v), 0);
	struct store_txn *txn;
	uint8_t key[DIRECTORY_KEY_MAX];
	size_t n = directory_key(site_i, "B7", key);
	struct store_val val;
	assert_int_equal(store_begin(f->store[0], false, &txn), 0);
	assert_int_equal(store_get(txn, TBL_DIRECTORY, key, n, &val), 0);
	Ld__BranchInfo *got = ld__branch_info__unpack(NULL, val.len, val.data);
	store_abort(txn);
	assert_non_null(got);
	assert_string_equal(got->contact, "李");
	assert_true(got->accepts_mobile);
	ld__branch_info__free_unpacked(got, NULL);
	/* Malformed: no name; naming a member. */
	b.name = "";
	assert_int_equal(at(f, site_o, site_i, &ev, &v), LD_EINPUT);
	b.name = "x";
	ev.member = IDNO;
	assert_int_equal(at(f, site_o, site_i, &ev, &v), LD_EINPUT);
}

static int notice(struct fixture *f, const uint8_t *self, const uint8_t *origin, const char *id,
		  struct verdict *v)
{
	Ld__Notice n = LD__NOTICE__INIT;
	n.id = (char *)id;
	n.kind = "election";
	n.date = today() + 20;
	n.text = "换届选举";
	Ld__Event ev = event(LD__EVENT_KIND__NOTICE_SENT);
	ev.payload_case = LD__EVENT__PAYLOAD_NOTICE;
	ev.notice = &n;
	return at(f, self, origin, &ev, v);
}

static int answer(struct fixture *f, const uint8_t *self, const uint8_t *origin, const char *id,
		  bool attend, const char *reason, struct verdict *v)
{
	Ld__NoticeAnswer a = LD__NOTICE_ANSWER__INIT;
	a.notice = (char *)id;
	a.attend = attend;
	a.reason = (char *)reason;
	Ld__Event ev = event(LD__EVENT_KIND__NOTICE_ANSWERED);
	ev.payload_case = LD__EVENT__PAYLOAD_NOTICE_ANSWER;
	ev.notice_answer = &a;
	return at(f, self, origin, &ev, v);
}

/* A notice is O's; it reaches I; his leave is recorded once; I may not answer for him. */
static void test_notice(void **state)
{
	struct fixture *f = *state;
	struct verdict v;
	away(f);
	const char *id = "320100-2026-N000001";
	assert_int_equal(notice(f, site_i, site_i, id, &v), LD_EFORBIDDEN);
	assert_int_equal(notice(f, site_o, site_o, id, &v), 0);
	assert_int_equal(notice(f, site_i, site_o, id, &v), 0);
	assert_int_equal(notice(f, site_o, site_o, id, &v), LD_EEXIST);
	assert_int_equal(answer(f, site_o, site_o, "nope", true, "", &v), LD_ENOTFOUND);
	char long_id[600];
	memset(long_id, 'N', sizeof(long_id) - 1);
	long_id[sizeof(long_id) - 1] = '\0';
	assert_int_equal(answer(f, site_i, site_o, long_id, true, "", &v), LD_EINPUT);
	assert_true(v.why[0] != '\0');
	assert_int_equal(answer(f, site_o, site_o, id, false, "", &v), LD_EINPUT);
	assert_int_equal(answer(f, site_i, site_i, id, false, "在外务工", &v), LD_EFORBIDDEN);
	assert_int_equal(answer(f, site_o, site_o, id, false, "在外务工", &v), 0);
	assert_int_equal(answer(f, site_i, site_o, id, false, "在外务工", &v), 0);
	assert_int_equal(answer(f, site_o, site_o, id, true, "", &v), LD_EEXIST);
	for (int s = 0; s < 2; s++) {
		struct store_txn *txn;
		Ld__NoticeState *n;
		assert_int_equal(store_begin(f->store[s], false, &txn), 0);
		assert_int_equal(notice_state_get(txn, id, &n), 0);
		store_abort(txn);
		assert_int_equal(n->n_to, 1);
		assert_true(n->to[0]->answered && !n->to[0]->attend);
		assert_string_equal(n->to[0]->reason, "在外务工");
		ld__notice_state__free_unpacked(n, NULL);
	}
}

static int visit(struct fixture *f, const uint8_t *self, const uint8_t *origin, int32_t date,
		 struct verdict *v)
{
	Ld__Visit vi = LD__VISIT__INIT;
	vi.kind = "holiday";
	vi.text = "春节慰问";
	vi.help = "慰问金";
	Ld__Event ev = event(LD__EVENT_KIND__VISIT_RECORDED);
	ev.date = date;
	ev.payload_case = LD__EVENT__PAYLOAD_VISIT;
	ev.visit = &vi;
	return at(f, self, origin, &ev, v);
}

/* A visit by either site while he is away; the last visit is his state at both. */
static void test_visit(void **state)
{
	struct fixture *f = *state;
	struct verdict v;
	away(f);
	assert_int_equal(visit(f, site_o, site_x, today(), &v), LD_EFORBIDDEN);
	assert_int_equal(visit(f, site_i, site_i, today() - 3, &v), 0);
	assert_int_equal(visit(f, site_o, site_i, today() - 3, &v), 0);
	assert_int_equal(visit(f, site_o, site_o, today() - 10, &v), 0);
	assert_int_equal(visit(f, site_o, site_o, today() + 1, &v), LD_EINPUT); /* future */
	for (int s = 0; s < 2; s++) {
		struct store_txn *txn;
		Ld__MemberState *st;
		assert_int_equal(store_begin(f->store[s], false, &txn), 0);
		assert_int_equal(member_state_get(txn, IDNO, &st), 0);
		store_abort(txn);
		assert_int_equal(st->last_visit, today() - 3);
		ld__member_state__free_unpacked(st, NULL);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_request_walk, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_request_scope, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_directory, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_notice, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_visit, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
