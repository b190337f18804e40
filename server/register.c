/* register.c: see register.h. */
#include "register.h"

#include "commit.h"
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"
#include "daemon.h"
#include "date.h"
#include "domain.h"
#include "dues.h"
#include "eventlog.h"
#include "fold.h"
#include "idno.h"
#include "input.h"
#include "money.h"
#include "service.h"
#include "lderr.h"

#define NAME_MAX_BYTES 96

/* An option as given (an empty value is a value, judged like any other); the flag gives "yes". */
static const char *request_field(const struct fields *f, const char *key)
{
	const char *v = request_param(f->ctx, key);
	return v && strcmp(key, "fixed-place") == 0 ? "yes" : v;
}

struct fields fields_of_request(const struct request *rq)
{
	return (struct fields){.get = request_field, .prefix = "--", .ctx = rq};
}

static int need(struct request *rq, const struct fields *f, const char *key, const char **out)
{
	*out = f->get(f, key);
	if (!*out)
		return request_fail(rq, f->prefix[0] ? LD_EUSAGE : LD_EINPUT, "%s%s is required",
				    f->prefix, key);
	return 0;
}

static int date_field(struct request *rq, const struct fields *f, const char *key, const char *text,
		      int32_t *out)
{
	if (date_parse(text, out) == 0) /* every row of an import: no name made for nothing */
		return 0;
	char name[64];
	snprintf(name, sizeof(name), "%s%s", f->prefix, key);
	return request_date(rq, name, text, out);
}

static int money_field(struct request *rq, const struct fields *f, const char *key, int64_t *out)
{
	const char *text = f->get(f, key);
	if (!text || money_parse(text, out) == 0)
		return 0;
	if (money_too_large(text))
		return request_fail(
		    rq, LD_EINPUT,
		    "%s%s '%s' is more than 1,000,000,000,000 yuan: check the amount", f->prefix,
		    key, text);
	return request_fail(rq, LD_EINPUT,
			    "%s%s '%s' is not an amount in yuan with at most two decimals",
			    f->prefix, key, text);
}

/* The refusal of a branch CODE this site does not have (LD_ENOTFOUND, recorded in RQ). */
static int branch_unknown(struct request *rq, const char *code)
{
	return request_fail(rq, LD_ENOTFOUND,
			    "no branch %s; see liudong branch list, or add it with liudong branch "
			    "add",
			    code);
}

int branch_find(struct request *rq, struct store_txn *txn, const char *code, Ld__BranchInfo **out)
{
	int rc = branch_get(txn, code, out);
	return rc == LD_ENOTFOUND ? branch_unknown(rq, code) : rc;
}

int branch_known(struct request *rq, struct store_txn *txn, struct lookup_memo *memo,
		 const char *code)
{
	if (memo && memo->branch[0] && strcmp(memo->branch, code) == 0)
		return 0;
	struct store_val v;
	int rc = store_get(txn, TBL_BRANCHES, code, strlen(code), &v);
	if (rc == LD_ENOTFOUND)
		return branch_unknown(rq, code);
	if (rc)
		return rc;
	if (memo && strlen(code) < sizeof(memo->branch))
		strcpy(memo->branch, code);
	return 0;
}

/* The site id of peer NAME (remembered in MEMO, if not NULL) into ID: 0, LD_ENOTFOUND or a store
 * failure. */
static int peer_id_of(struct store_txn *txn, struct lookup_memo *memo, const char *name,
		      uint8_t id[LD_SITE_ID_BYTES])
{
	if (memo && memo->peer[0] && strcmp(memo->peer, name) == 0) {
		memcpy(id, memo->peer_id, LD_SITE_ID_BYTES);
		return 0;
	}
	struct store_val v;
	int rc = store_get(txn, TBL_PEERS, name, strlen(name), &v);
	if (rc)
		return rc;
	Ld__PeerRecord *p = ld__peer_record__unpack(NULL, v.len, v.data);
	bool ok = p && p->site_id.len == LD_SITE_ID_BYTES;
	if (ok)
		memcpy(id, p->site_id.data, LD_SITE_ID_BYTES);
	if (p)
		ld__peer_record__free_unpacked(p, NULL);
	if (!ok)
		return LD_ECORRUPT;
	if (memo && strlen(name) < sizeof(memo->peer)) {
		strcpy(memo->peer, name);
		memcpy(memo->peer_id, id, LD_SITE_ID_BYTES);
	}
	return 0;
}

int member_info_apply(struct request *rq, struct store_txn *txn, const struct fields *f,
		      Ld__MemberInfo *m)
{
	const char *p = f->prefix;
	const char *name = f->get(f, "name"), *kind = f->get(f, "kind");
	const char *branch = f->get(f, "branch"), *category_text = f->get(f, "dues-category");
	const char *phone = f->get(f, "phone");
	int rc;
	const char *why;
	if (name && input_text_check(name, NAME_MAX_BYTES, &why) != 0)
		return request_fail(rq, LD_EINPUT,
				    "%sname %.200s; a name is 1 to %d bytes of one line", p, why,
				    NAME_MAX_BYTES);
	if (kind && strcmp(kind, "full") != 0 && strcmp(kind, "probationary") != 0)
		return request_fail(rq, LD_EINPUT, "%skind must be full or probationary, not '%s'",
				    p, kind);
	enum dues_category category;
	const char *current = m->dues_category ? m->dues_category : "";
	if (dues_category_parse(category_text ? category_text : current, &category) != 0)
		return request_fail(rq, LD_EINPUT,
				    "%sdues-category '%s' is not one of salaried, "
				    "annual-salary, self-employed, retired, farmer, student, "
				    "unemployed, hardship",
				    p, category_text ? category_text : current);
	int64_t income = m->income_fen, set = m->set_dues_fen, monthly;
	/* An amount set per member belongs to its category: a new category starts without it. */
	if ((category_text && strcmp(dues_category_name(category), current) != 0) ||
	    !dues_category_is_set(category))
		set = -1; /* (one stored before such an amount was refused is dropped here) */
	if ((rc = money_field(rq, f, "income", &income)) || (rc = money_field(rq, f, "dues", &set)))
		return rc;
	if (dues_monthly_fen(category, income, set, &monthly, &why) != 0)
		return request_fail(rq, LD_EINPUT, "%.400s", why);
	if (phone && input_phone_check(phone, &why) != 0)
		return request_fail(rq, LD_EINPUT, "%sphone '%s' %.200s", p, phone, why);
	if (branch) {
		if ((rc = branch_known(rq, txn, f->memo, branch)))
			return rc;
		m->branch = (char *)branch;
	}
	if (name)
		m->name = (char *)name;
	if (kind)
		m->kind = (char *)kind;
	if (phone)
		m->phone = (char *)phone;
	m->dues_category = (char *)dues_category_name(category);
	m->income_fen = income;
	m->set_dues_fen = set;
	m->monthly_dues_fen = monthly;
	return 0;
}

int register_member_check(struct request *rq, struct store_txn *txn, const struct fields *f,
			  char idno[LD_IDNO_SIZE], Ld__MemberInfo *m, Ld__Event *ev)
{
	const char *id, *name, *sex, *birth_text, *joined_text, *kind, *branch, *category_text;
	const char *p = f->prefix;
	int rc;
	if ((rc = need(rq, f, "id", &id)) || (rc = need(rq, f, "name", &name)) ||
	    (rc = need(rq, f, "sex", &sex)) || (rc = need(rq, f, "birth", &birth_text)) ||
	    (rc = need(rq, f, "joined", &joined_text)) || (rc = need(rq, f, "kind", &kind)) ||
	    (rc = need(rq, f, "branch", &branch)) ||
	    (rc = need(rq, f, "dues-category", &category_text)))
		return rc;
	/* The name is checked by member_info_apply, below. */
	if (strcmp(sex, "M") != 0 && strcmp(sex, "F") != 0)
		return request_fail(rq, LD_EINPUT, "%ssex must be M or F, not '%s'", p, sex);
	int32_t birth, joined;
	if ((rc = date_field(rq, f, "birth", birth_text, &birth)) ||
	    (rc = date_field(rq, f, "joined", joined_text, &joined)))
		return rc;
	if (joined < date_add_months(birth, 18 * 12))
		return request_fail(rq, LD_EINPUT, "%sjoined %s is before the member turned 18", p,
				    joined_text);
	if (joined > date_today())
		return request_fail(rq, LD_EINPUT, "%sjoined %s is in the future", p, joined_text);
	const char *why;
	if (idno_validate(id, birth, sex[0], idno, &why) != 0)
		return request_fail(rq, LD_EINPUT, "%.400s", why);

	ld__member_info__init(m);
	m->id = idno;
	m->sex = (char *)sex;
	m->birth = birth;
	m->joined = joined;
	m->income_fen = -1;
	m->set_dues_fen = -1;
	m->phone = "";
	if ((rc = member_info_apply(rq, txn, f, m)))
		return rc;
	struct store_val there;
	if ((rc = store_get(txn, TBL_MEMBERS, idno, strlen(idno), &there)) != LD_ENOTFOUND) {
		char masked[LD_IDNO_SIZE];
		if (rc)
			return rc;
		return request_fail(rq, LD_EEXIST,
				    "a member with identity number %s is registered "
				    "already; see liudong member show",
				    idno_mask(idno, masked));
	}
	ld__event__init(ev);
	ev->kind = LD__EVENT_KIND__MEMBER_REGISTERED;
	ev->date = date_today();
	ev->member = idno;
	ev->operator_ = (char *)request_operator(rq);
	ev->payload_case = LD__EVENT__PAYLOAD_MEMBER_INFO;
	ev->member_info = m;
	return 0;
}

int register_member(struct request *rq, struct store_txn *txn, const struct fields *f,
		    char idno[LD_IDNO_SIZE], uint64_t *seq)
{
	Ld__MemberInfo m;
	Ld__Event ev;
	int rc = register_member_check(rq, txn, f, idno, &m, &ev);
	return rc ? rc : commit_event_new_member(rq, txn, &ev, NULL, NULL, 0, seq);
}

static const char *const reasons[] = {"work", "business", "residence", "study", "other"};

int register_end_stay(struct request *rq, struct store_txn *txn, const Ld__MemberState *st,
		      const uint8_t *next_site, const char *reason)
{
	const uint8_t *inflow = member_inflow_site(st);
	if (!inflow || (next_site && memcmp(inflow, next_site, LD_SITE_ID_BYTES) == 0))
		return 0;
	Ld__StayEnded end = LD__STAY_ENDED__INIT;
	end.inflow_site.data = (uint8_t *)inflow;
	end.inflow_site.len = LD_SITE_ID_BYTES;
	end.reason = (char *)reason;
	Ld__Event ev = LD__EVENT__INIT;
	ev.kind = LD__EVENT_KIND__STAY_ENDED;
	ev.date = date_today();
	ev.member = st->info->id;
	ev.payload_case = LD__EVENT__PAYLOAD_STAY_ENDED;
	ev.stay_ended = &end;
	return commit_event(rq, txn, &ev, "stay.end", st->outflow->inflow_name, NULL);
}

/*
 * The checks of an outflow registration that need no member in the store, and its payload: OF's
 * strings point into F's values. Returns 0 or a failure recorded in RQ.
 */
static int outflow_fields(struct request *rq, const struct fields *f, Ld__OutflowInfo *of,
			  int32_t *from)
{
	const char *p = f->prefix;
	const char *to, *place, *reason, *from_text;
	int rc;
	if ((rc = need(rq, f, "to", &to)) || (rc = need(rq, f, "place", &place)) ||
	    (rc = need(rq, f, "reason", &reason)) || (rc = need(rq, f, "from", &from_text)))
		return rc;
	const char *until_text = f->get(f, "until");
	const char *phone = f->get(f, "phone");
	const char *employer = f->get(f, "employer");
	const char *fixed = f->get(f, "fixed-place");
	bool reason_ok = false;
	for (size_t i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
		reason_ok = reason_ok || strcmp(reason, reasons[i]) == 0;
	if (!reason_ok)
		return request_fail(rq, LD_EINPUT,
				    "%sreason '%s' is not one of work, business, "
				    "residence, study, other",
				    p, reason);
	const char *why;
	if (input_text_check(place, 200, &why) != 0)
		return request_fail(
		    rq, LD_EINPUT, "%splace %.200s; a place is 1 to 200 bytes of one line", p, why);
	if (employer && input_text_check(employer, 200, &why) != 0)
		return request_fail(rq, LD_EINPUT,
				    "%semployer %.200s; an employer is 1 to 200 bytes of one line",
				    p, why);
	if (phone && input_phone_check(phone, &why) != 0)
		return request_fail(rq, LD_EINPUT, "%sphone '%s' %.200s", p, phone, why);
	bool fixed_place = false;
	if (fixed) {
		fixed_place = strcmp(fixed, "yes") == 0 || strcmp(fixed, "true") == 0 ||
			      strcmp(fixed, "1") == 0;
		if (!fixed_place && strcmp(fixed, "no") != 0 && strcmp(fixed, "false") != 0 &&
		    strcmp(fixed, "0") != 0)
			return request_fail(rq, LD_EINPUT,
					    "fixed_place must be yes or no, not '%s'", fixed);
	}
	int32_t until = LD_DATE_NONE;
	if ((rc = date_field(rq, f, "from", from_text, from)) ||
	    (until_text && (rc = date_field(rq, f, "until", until_text, &until))))
		return rc;
	if (until != LD_DATE_NONE && until < *from)
		return request_fail(rq, LD_EINPUT, "%suntil %s is before %sfrom %s", p, until_text,
				    p, from_text);
	ld__outflow_info__init(of);
	of->reason = (char *)reason;
	of->inflow_name = (char *)to;
	of->place = (char *)place;
	of->fixed_place = fixed_place;
	of->from = *from;
	of->until = until;
	of->phone = (char *)phone; /* NULL: his own, filled in by the caller */
	of->employer = (char *)(employer ? employer : "");
	of->outflow_name = rq->daemon->config.name;
	return 0;
}

/*
 * --suggest-branch CODE (找组织): a branch of the inflow site's directory (branch.published), named
 * in the registration so that the inflow site sees it at check-in. D->peer is the inflow site.
 */
static int suggested_branch(struct request *rq, struct store_txn *txn, const struct fields *f,
			    struct outflow_draft *d)
{
	const char *code = f->get(f, "suggest-branch");
	if (!code)
		return 0;
	uint8_t key[DIRECTORY_KEY_MAX];
	size_t n = code[0] ? directory_key(d->inflow_id, code, key) : 0;
	struct store_val v;
	int rc = n ? store_get(txn, TBL_DIRECTORY, key, n, &v) : LD_ENOTFOUND;
	if (rc == LD_ENOTFOUND)
		return request_fail(rq, rc,
				    "%ssuggest-branch: no branch '%s' in the directory of %s; see "
				    "liudong directory %s",
				    f->prefix, code, d->of.inflow_name, d->of.inflow_name);
	if (rc)
		return rc;
	if (!(d->suggested = ld__branch_info__unpack(NULL, v.len, v.data)))
		return LD_ECORRUPT;
	if (!d->suggested->accepts_mobile)
		request_warn(
		    rq,
		    "note: suggested branch %s of %s, which does not say it takes mobile members",
		    code, d->of.inflow_name);
	d->of.suggested_branch = d->suggested->code;
	d->of.suggested_branch_name = d->suggested->name;
	return 0;
}

int register_outflow_check(struct request *rq, struct store_txn *txn, const struct fields *f,
			   const Ld__MemberState *st, struct outflow_draft *d)
{
	int32_t from;
	int rc = outflow_fields(rq, f, &d->of, &from);
	if (rc)
		return rc;
	char masked[LD_IDNO_SIZE];
	d->suggested = NULL;
	if (st->outflow_site.len != LD_SITE_ID_BYTES ||
	    memcmp(st->outflow_site.data, rq->daemon->site_id, LD_SITE_ID_BYTES) != 0)
		return request_fail(rq, LD_EFORBIDDEN,
				    "member %s belongs to outflow site %s: only it may "
				    "register him out",
				    idno_mask(st->info->id, masked), st->outflow_name);
	if (member_closed(st))
		return request_fail(
		    rq, LD_EFORBIDDEN, "member %s is %s; he cannot be registered out",
		    idno_mask(st->info->id, masked), location_text(member_location(st)));
	const char *to = d->of.inflow_name;
	rc = peer_id_of(txn, f->memo, to, d->inflow_id);
	if (rc == LD_ENOTFOUND)
		return request_fail(rq, rc,
				    "%sto: no peer named '%s'; add it with liudong peer add",
				    f->prefix, to);
	if (rc)
		return rc;
	d->of.member = st->info;
	d->of.inflow_site.data = d->inflow_id;
	d->of.inflow_site.len = LD_SITE_ID_BYTES;
	if ((rc = suggested_branch(rq, txn, f, d)))
		return rc;
	if (!d->of.phone)
		d->of.phone = st->info->phone;
	ld__event__init(&d->ev);
	d->ev.kind = LD__EVENT_KIND__OUTFLOW_REGISTERED;
	d->ev.date = from;
	d->ev.member = st->info->id;
	d->ev.operator_ = (char *)request_operator(rq);
	d->ev.payload_case = LD__EVENT__PAYLOAD_OUTFLOW;
	d->ev.outflow = &d->of;
	return 0;
}

void outflow_draft_free(struct outflow_draft *d)
{
	if (d->suggested)
		ld__branch_info__free_unpacked(d->suggested, NULL);
	d->suggested = NULL;
	if (!d->arena) {
		free(d->payload);
		free(d->state_view);
		free(d->state_rest);
	}
	d->payload = d->state_view = d->state_rest = NULL;
	d->has_state = false;
}

/* LEN bytes for D's payload or state: from its arena, else the heap; *OLD (D's, NULL or one
 * such) is replaced. NULL: out of memory, *OLD kept. */
static uint8_t *draft_room(struct outflow_draft *d, uint8_t **old, size_t len)
{
	uint8_t *p =
	    d->arena ? d->arena->allocator.alloc(d->arena, len ? len : 1) : malloc(len ? len : 1);
	if (!p)
		return NULL;
	if (!d->arena)
		free(*old);
	return *old = p;
}

/* fold_state_ahead's room for the rest of the state, kept in the draft (CTX). */
static int state_rest_reserve(void *ctx, size_t len, uint8_t **room)
{
	struct outflow_draft *d = ctx;
	return (*room = draft_room(d, &d->state_rest, len)) ? 0 : -ENOMEM;
}

int outflow_draft_state(struct outflow_draft *d, const uint8_t site_id[LD_SITE_ID_BYTES])
{
	if (!d->payload)
		return LD_ENOTFOUND;
	/* The payload field as the event will hold it: his record and registration in it are
	 * the bytes the state's are laid out from. */
	uint64_t tag = (uint64_t)LD__EVENT__PAYLOAD_OUTFLOW << 3 | 2;
	size_t len = pbwire_varint_size(tag) + pbwire_varint_size(d->payload_len) + d->payload_len;
	uint8_t *view = draft_room(d, &d->state_view, len);
	if (!view)
		return -ENOMEM;
	uint8_t *p = pbwire_put_varint(view, tag);
	p = pbwire_put_varint(p, d->payload_len);
	memcpy(p, d->payload, d->payload_len);
	/* His outflow site is the origin commit_check gives the event. */
	d->ev.origin.data = (uint8_t *)site_id;
	d->ev.origin.len = LD_SITE_ID_BYTES;
	int rc = fold_state_ahead(&d->ev, view, len, &d->state, state_rest_reserve, d);
	d->has_state = rc == 0;
	return rc;
}

/* The room of a draft's payload, the draft's. */
static int payload_reserve(void *ctx, size_t len, uint8_t **room)
{
	struct outflow_draft *d = ctx;
	if (!(*room = draft_room(d, &d->payload, len)))
		return -ENOMEM;
	d->payload_len = len;
	return 0;
}

int outflow_draft_pack(struct outflow_draft *d)
{
	return pbwire_pack_into(&d->of.base, payload_reserve, d);
}

int register_outflow(struct request *rq, struct store_txn *txn, const struct fields *f,
		     const char *member, uint64_t *seq)
{
	char idno[LD_IDNO_SIZE];
	Ld__MemberState *st;
	Ld__OutflowInfo typed;
	int32_t from;
	/* The values as typed first, then the member they are about. */
	int rc = outflow_fields(rq, f, &typed, &from);
	if (rc || (rc = member_lookup(rq, txn, member, idno, &st)))
		return rc;
	struct outflow_draft d = {0};
	rc = register_outflow_check(rq, txn, f, st, &d);
	/* A stay elsewhere ends first: that site hears it alone, nothing of his next place. */
	if (rc == 0)
		rc = register_end_stay(rq, txn, st, d.inflow_id, "registered-elsewhere");
	if (rc == 0)
		rc = commit_event(rq, txn, &d.ev, NULL, NULL, seq);
	outflow_draft_free(&d);
	ld__member_state__free_unpacked(st, NULL);
	return rc;
}

int register_member_out_check(struct request *rq, struct store_txn *txn, const struct fields *f,
			      struct member_out_draft *d)
{
	Ld__Event reg;
	memset(d, 0, sizeof(*d));
	int rc = register_member_check(rq, txn, f, d->idno, &d->m, &reg);
	if (rc)
		return rc;
	/* The state his registration would make, for the checks of his registration out. */
	ld__member_state__init(&d->st);
	d->st.info = &d->m;
	d->st.outflow_site.data = rq->daemon->site_id;
	d->st.outflow_site.len = LD_SITE_ID_BYTES;
	d->st.outflow_name = rq->daemon->config.name;
	member_set_location(&d->st, LOC_HOME);
	return register_outflow_check(rq, txn, f, &d->st, &d->out);
}

int register_member_out(struct request *rq, struct store_txn *txn, const struct fields *f,
			char idno[LD_IDNO_SIZE], uint64_t *seq)
{
	struct member_out_draft d;
	int rc = register_member_out_check(rq, txn, f, &d);
	memcpy(idno, d.idno, LD_IDNO_SIZE);
	if (rc == 0)
		rc = commit_event_new_member(rq, txn, &d.out.ev, NULL, NULL, 0, seq);
	outflow_draft_free(&d.out);
	return rc;
}

int register_member_out_ahead(struct request *rq, struct store_txn *txn, struct lookup_memo *memo,
			      struct member_out_draft *d, bool *stale, uint64_t *seq)
{
	*stale = true;
	struct store_val there;
	uint8_t inflow[LD_SITE_ID_BYTES];
	int rc = store_get(txn, TBL_MEMBERS, d->idno, strlen(d->idno), &there);
	if (rc != LD_ENOTFOUND)
		return rc; /* 0: he is in the store now */
	if ((rc = branch_known(rq, txn, memo, d->m.branch)) != 0)
		return rc == LD_ENOTFOUND ? 0 : rc;
	if ((rc = peer_id_of(txn, memo, d->out.of.inflow_name, inflow)) != 0)
		return rc == LD_ENOTFOUND ? 0 : rc;
	if (memcmp(inflow, d->out.inflow_id, LD_SITE_ID_BYTES) != 0)
		return 0; /* the peer of that name is another site now */
	*stale = false;
	struct pbwire_splice payload = {LD__EVENT__PAYLOAD_OUTFLOW, d->out.payload,
					d->out.payload_len};
	return commit_event_new_member(rq, txn, &d->out.ev, d->out.payload ? &payload : NULL,
				       d->out.has_state ? &d->out.state : NULL, d->judged_on, seq);
}
