/*
 * cmd_member.c: branches and members at their outflow site: branch add/list/join/leave, member
 * add/update/show/list/find, history. Every change is an event (eventlog_commit_local) and an audit
 * row.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "audit.h"
#include "commands.h"
#include "commit.h"
#include "daemon.h"
#include "date.h"
#include "domain.h"
#include "dues.h"
#include "enums.h"
#include "event.h"
#include "eventlog.h"
#include "fold.h"
#include "i18n.h"
#include "idno.h"
#include "input.h"
#include "money.h"
#include "page.h"
#include "register.h"
#include "sites.h"
#include "view.h"
#include "lderr.h"

#define NAME_MAX_BYTES 96

/* ---------------------------------------------------------------------------------------------- */
/* Shared by the handlers of this file and cmd_outflow.c                                          */

/*
 * member_lookup, the state unpacked with allocator A (NULL: malloc, freed with
 * ld__member_state__free_unpacked; an arena: freed with it).
 */
static int member_lookup_in(struct request *rq, struct store_txn *txn, const char *text,
			    char idno[LD_IDNO_SIZE], ProtobufCAllocator *a, Ld__MemberState **out)
{
	const char *why;
	if (!text)
		return request_fail(rq, LD_EUSAGE, "give the member's identity number");
	if (idno_validate(text, LD_DATE_NONE, 0, idno, &why) != 0)
		return request_fail(rq, LD_EINPUT, "%.400s", why);
	struct store_val v;
	int rc = store_get(txn, TBL_MEMBERS, idno, strlen(idno), &v);
	if (rc == LD_ENOTFOUND) {
		char masked[LD_IDNO_SIZE];
		return request_fail(
		    rq, rc, "no member with identity number %s here; see liudong member find",
		    idno_mask(idno, masked));
	}
	if (rc)
		return rc;
	*out = ld__member_state__unpack(a, v.len, v.data);
	return *out ? 0 : LD_ECORRUPT;
}

int member_lookup(struct request *rq, struct store_txn *txn, const char *text,
		  char idno[LD_IDNO_SIZE], Ld__MemberState **out)
{
	return member_lookup_in(rq, txn, text, idno, NULL, out);
}

/* A required option, or a usage failure naming it. */
static int need(struct request *rq, const char *key, const char **out)
{
	*out = request_param(rq, key);
	if (!*out)
		return request_fail(rq, LD_EUSAGE, "--%s is required; see liudong %s --help", key,
				    request_words(rq));
	return 0;
}

/* ---------------------------------------------------------------------------------------------- */
/* Branches                                                                                       */

/*
 * The directory options of `branch add` (--address, --contact, --phone, --accepts-mobile) into B;
 * *publish: any was given, so the branch goes into the directory its peers see.
 */
static int branch_directory_fields(struct request *rq, Ld__BranchInfo *b, bool *publish)
{
	static const char *const keys[] = {"address", "contact", "phone"};
	char **fields[] = {&b->address, &b->contact, &b->phone};
	const char *why;
	b->accepts_mobile = request_flag(rq, "accepts-mobile");
	*publish = b->accepts_mobile;
	for (size_t i = 0; i < 3; i++) {
		const char *v = request_param(rq, keys[i]);
		if (!v)
			continue;
		int bad = i == 2 ? input_phone_check(v, &why) : input_text_check(v, 200, &why);
		if (bad)
			return request_fail(rq, LD_EINPUT, "--%s %.200s", keys[i], why);
		*fields[i] = (char *)v;
		*publish = true;
	}
	return 0;
}

int cmd_branch_add(struct request *rq, struct store_txn *txn)
{
	const char *code = request_arg(rq, 0);
	const char *name;
	int rc;
	if (!code)
		return request_fail(rq, LD_EUSAGE, "usage: liudong branch add CODE --name NAME");
	if ((rc = need(rq, "name", &name)))
		return rc;
	size_t n = strlen(code);
	bool code_ok = n > 0 && n <= 32;
	for (size_t i = 0; code_ok && i < n; i++)
		code_ok = isalnum((unsigned char)code[i]) || code[i] == '-' || code[i] == '_';
	if (!code_ok)
		return request_fail(rq, LD_EINPUT,
				    "branch code '%s' must be 1 to 32 letters, digits, "
				    "'-' or '_'",
				    code);
	const char *why;
	if (input_text_check(name, NAME_MAX_BYTES, &why) != 0)
		return request_fail(rq, LD_EINPUT,
				    "--name %.200s; a name is 1 to %d bytes of one line", why,
				    NAME_MAX_BYTES);
	Ld__BranchInfo *old;
	if (branch_get(txn, code, &old) == 0) {
		ld__branch_info__free_unpacked(old, NULL);
		return request_fail(rq, LD_EEXIST, "branch %s exists already", code);
	}
	Ld__BranchInfo b = LD__BRANCH_INFO__INIT;
	b.code = (char *)code;
	b.name = (char *)name;
	b.temporary = request_flag(rq, "temporary");
	bool publish;
	if ((rc = branch_directory_fields(rq, &b, &publish)))
		return rc;
	Ld__Event ev = LD__EVENT__INIT;
	ev.kind = LD__EVENT_KIND__BRANCH_ADDED;
	ev.date = date_today();
	ev.operator_ = (char *)request_operator(rq);
	ev.payload_case = LD__EVENT__PAYLOAD_BRANCH;
	ev.branch = &b;
	if ((rc = commit_event(rq, txn, &ev, "branch.add", code, NULL)))
		return rc;
	/* In the directory its peers see (找组织): branch.published goes to every peer. */
	if (publish) {
		ev.kind = LD__EVENT_KIND__BRANCH_PUBLISHED;
		if ((rc = commit_event(rq, txn, &ev, NULL, NULL, NULL)))
			return rc;
	}
	json_object_set_new(rq->result, "published", json_boolean(publish));
	json_object_set_new(rq->result, "code", json_string(code));
	json_object_set_new(rq->result, "name", json_string(name));
	json_object_set_new(rq->result, "temporary", json_boolean(b.temporary));
	return 0;
}

int cmd_branch_list(struct request *rq, struct store_txn *txn)
{
	json_t *list = json_array();
	json_object_set_new(rq->result, "branches", list);
	struct store_cursor *c;
	int rc = store_cursor_open(txn, TBL_BRANCHES, &c);
	if (rc)
		return rc;
	struct store_val k, v;
	for (rc = store_cursor_get(c, STORE_FIRST, &k, &v); rc == 0;
	     rc = store_cursor_get(c, STORE_NEXT, &k, &v)) {
		Ld__BranchInfo *b = ld__branch_info__unpack(NULL, v.len, v.data);
		if (!b) {
			rc = LD_ECORRUPT;
			break;
		}
		json_array_append_new(list, json_pack("{s:s, s:s, s:b, s:s, s:s, s:s, s:b}", "code",
						      b->code, "name", b->name, "temporary",
						      b->temporary, "address", b->address,
						      "contact", b->contact, "phone", b->phone,
						      "accepts_mobile", b->accepts_mobile));
		ld__branch_info__free_unpacked(b, NULL);
	}
	store_cursor_close(c);
	return rc == LD_ENOTFOUND ? 0 : rc;
}

/*
 * branch join / branch leave CODE IDNO...: one branch.joined (branch.left) event for each member,
 * all or none: the first refusal fails the request and nothing of it is written.
 */
static int branch_members(struct request *rq, struct store_txn *txn, Ld__EventKind kind)
{
	bool join = kind == LD__EVENT_KIND__BRANCH_JOINED;
	const char *code = request_arg(rq, 0);
	if (!code || !request_arg(rq, 1))
		return request_fail(rq, LD_EUSAGE, "usage: liudong branch %s CODE IDNO...",
				    join ? "join" : "leave");
	Ld__BranchInfo *b;
	int rc = branch_find(rq, txn, code, &b);
	if (rc)
		return rc;
	json_t *members = json_array();
	json_object_set_new(rq->result, "branch", json_string(code));
	json_object_set_new(rq->result, "temporary", json_boolean(b->temporary));
	json_object_set_new(rq->result, "members", members);
	ld__branch_info__free_unpacked(b, NULL);
	const char *text;
	for (unsigned i = 1; rc == 0 && (text = request_arg(rq, i)); i++) {
		char idno[LD_IDNO_SIZE], masked[LD_IDNO_SIZE];
		Ld__MemberState *st;
		if ((rc = member_lookup(rq, txn, text, idno, &st)))
			break;
		ld__member_state__free_unpacked(st, NULL);
		Ld__BranchInfo info = LD__BRANCH_INFO__INIT;
		info.code = (char *)code;
		Ld__Event ev = LD__EVENT__INIT;
		ev.kind = kind;
		ev.date = date_today();
		ev.member = idno;
		ev.payload_case = LD__EVENT__PAYLOAD_BRANCH;
		ev.branch = &info;
		rc = commit_event(rq, txn, &ev, join ? "branch.join" : "branch.leave", code, NULL);
		if (rc == 0)
			json_array_append_new(members, json_string(idno_mask(idno, masked)));
	}
	return rc;
}

int cmd_branch_join(struct request *rq, struct store_txn *txn)
{
	return branch_members(rq, txn, LD__EVENT_KIND__BRANCH_JOINED);
}

int cmd_branch_leave(struct request *rq, struct store_txn *txn)
{
	return branch_members(rq, txn, LD__EVENT_KIND__BRANCH_LEFT);
}

/* ---------------------------------------------------------------------------------------------- */
/* Members                                                                                        */

int cmd_member_add(struct request *rq, struct store_txn *txn)
{
	struct fields f = fields_of_request(rq);
	char idno[LD_IDNO_SIZE], masked[LD_IDNO_SIZE];
	uint64_t seq;
	int rc = register_member(rq, txn, &f, idno, &seq);
	if (rc == 0)
		rc = audit_append(txn, request_operator(rq), rq->uid, "member.add", idno, NULL);
	if (rc)
		return rc;
	Ld__MemberState *st;
	if ((rc = member_state_get(txn, idno, &st)))
		return rc;
	json_object_set_new(rq->result, "id", json_string(idno_mask(idno, masked)));
	json_object_set_new(rq->result, "name", json_string(st->info->name));
	json_object_set_new(rq->result, "monthly_dues_fen",
			    json_integer(st->info->monthly_dues_fen));
	json_object_set_new(rq->result, "seq", json_integer((json_int_t)seq));
	ld__member_state__free_unpacked(st, NULL);
	return 0;
}

/* The options of `member update`, in the order its answer lists what changed. */
static const char *const update_keys[] = {"name", "phone", "income", "dues-category",
					  "dues", "kind",  "branch", NULL};

int cmd_member_update(struct request *rq, struct store_txn *txn)
{
	char idno[LD_IDNO_SIZE], masked[LD_IDNO_SIZE];
	Ld__MemberState *st;
	int rc = member_lookup(rq, txn, request_arg(rq, 0), idno, &st);
	if (rc)
		return rc;
	idno_mask(idno, masked);
	json_t *changed = json_array();
	for (size_t i = 0; update_keys[i]; i++)
		if (request_param(rq, update_keys[i]))
			json_array_append_new(changed, json_string(update_keys[i]));
	const char *date_text = request_param(rq, "date");
	int32_t date = date_today();
	Ld__MemberInfo m;
	if (json_array_size(changed) == 0) {
		rc = request_fail(rq, LD_EUSAGE,
				  "give at least one change (--name, --phone, --income, "
				  "--dues-category, --dues, --kind, --branch); see liudong member "
				  "update --help");
		goto out;
	}
	/* Who may, before what: a branch or value is this site's to judge only if he is its own. */
	if (!site_is_outflow(st, rq->daemon->site_id)) {
		rc = request_fail(rq, LD_EFORBIDDEN,
				  "member %s belongs to outflow site %s: only it may update his "
				  "record",
				  masked, st->outflow_name);
		goto out;
	}
	if ((rc = request_date(rq, "--date", date_text, &date)))
		goto out;
	m = *st->info; /* the whole record, changed where the options say */
	struct fields f = fields_of_request(rq);
	if ((rc = member_info_apply(rq, txn, &f, &m)))
		goto out;
	Ld__Event ev = LD__EVENT__INIT;
	ev.kind = LD__EVENT_KIND__MEMBER_UPDATED;
	ev.date = date;
	ev.member = idno;
	ev.payload_case = LD__EVENT__PAYLOAD_MEMBER_INFO;
	ev.member_info = &m;
	uint64_t seq;
	char *what = json_dumps(changed, JSON_COMPACT);
	rc = commit_event(rq, txn, &ev, "member.update", what, &seq);
	free(what);
	if (rc)
		goto out;
	json_object_set_new(rq->result, "id", json_string(masked));
	json_object_set_new(rq->result, "name", json_string(m.name));
	json_object_set_new(rq->result, "changed", json_incref(changed));
	json_object_set_new(rq->result, "monthly_dues_fen", json_integer(m.monthly_dues_fen));
	json_object_set_new(rq->result, "date", view_date(date));
	json_object_set_new(rq->result, "seq", json_integer((json_int_t)seq));
out:
	json_decref(changed);
	ld__member_state__free_unpacked(st, NULL);
	return rc;
}

/*
 * The answer is written as text (jout.h, rq->raw_json), the member unpacked into an arena on the
 * stack: the lookup the control threads answer most, with no JSON tree and few allocations.
 */
int cmd_member_show(struct request *rq, struct store_txn *txn)
{
	char idno[LD_IDNO_SIZE];
	unsigned char block[4096];
	struct pb_arena arena;
	pb_arena_init(&arena, block, sizeof(block));
	Ld__MemberState *st;
	int rc = member_lookup_in(rq, txn, request_arg(rq, 0), idno, &arena.allocator, &st);
	if (rc)
		goto out;
	bool reveal = request_flag(rq, "reveal");
	if (reveal)
		rc = audit_append(txn, request_operator(rq), rq->uid, "member.reveal", idno, NULL);
	if (rc == 0) {
		struct jout o;
		jout_text(&o);
		view_member(&o, st, reveal, rq->daemon->site_id, rq->daemon->config.name);
		rq->raw_json = jout_text_take(&o);
		if (!rq->raw_json)
			rc = -ENOMEM;
	}
out:
	pb_arena_reset(&arena);
	return rc;
}

/* The short form of a member, for lists at SITE: his branch there (member_branch_here). */
static json_t *member_row(const Ld__MemberState *st, const uint8_t *site)
{
	char masked[LD_IDNO_SIZE];
	const Ld__MemberInfo *m = st->info;
	const Ld__OutflowInfo *of = st->outflow;
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "id", idno_mask(m->id, masked),
			 "name", m->name, "sex", m->sex, "branch", member_branch_here(st, site),
			 "state", location_name(member_location(st)), "inflow_site",
			 of ? of->inflow_name : "", "place", of ? of->place : "");
}

typedef bool (*member_filter)(const struct request *rq, const Ld__MemberState *st);

/*
 * One page of the members KEEP keeps, in identity-number order (the table's), from the one after
 * the cursor `after` (sealed: 'M' and his key). See page.h.
 */
static int list_members(struct request *rq, struct store_txn *txn, member_filter keep)
{
	struct page pg;
	int rc = page_begin(rq, &pg);
	if (rc)
		return rc;
	const char *after = request_param(rq, "after");
	char key[PAGE_KEY_MAX], tag;
	size_t key_len = 0;
	if (after) {
		unsigned char *data;
		if ((rc = page_open(rq, after, &tag, &data, &key_len)))
			return rc;
		if (tag != 'M' || key_len > sizeof(key)) {
			free(data);
			return request_fail(rq, LD_EINPUT,
					    "that listing's place (after) is not a member's");
		}
		memcpy(key, data, key_len);
		free(data);
	}
	json_t *list = json_array();
	json_object_set_new(rq->result, "next", json_null()); /* first: the rows come last */
	json_object_set_new(rq->result, "members", list);
	struct store_cursor *c;
	if ((rc = store_cursor_open(txn, TBL_MEMBERS, &c)))
		return rc;
	struct store_val k = {.data = key, .len = key_len}, v;
	rc = store_cursor_get(c, after ? STORE_SET_RANGE : STORE_FIRST, &k, &v);
	/* SET_RANGE lands on the cursor's member himself, whom the last page held: step past. */
	if (rc == 0 && after && k.len == key_len && memcmp(k.data, key, key_len) == 0)
		rc = store_cursor_get(c, STORE_NEXT, &k, &v);
	for (; rc == 0 && !page_full(&pg); rc = store_cursor_get(c, STORE_NEXT, &k, &v)) {
		Ld__MemberState *st = ld__member_state__unpack(NULL, v.len, v.data);
		if (!st || !st->info || k.len > PAGE_KEY_MAX) {
			if (st)
				ld__member_state__free_unpacked(st, NULL);
			rc = LD_ECORRUPT;
			break;
		}
		pg.scanned++;
		memcpy(key, k.data, k.len);
		key_len = k.len;
		if (keep(rq, st)) {
			json_t *row = member_row(st, rq->daemon->site_id);
			page_take(&pg, page_json_bytes(row));
			json_array_append_new(list, row);
		}
		ld__member_state__free_unpacked(st, NULL);
	}
	store_cursor_close(c);
	if (rc == 0) /* the page is full and there are more */
		return page_next(rq, 'M', key, key_len);
	return rc == LD_ENOTFOUND ? page_next(rq, 'M', NULL, 0) : rc;
}

static bool filter_state_branch(const struct request *rq, const Ld__MemberState *st)
{
	const char *state = request_param(rq, "state");
	const char *branch = request_param(rq, "branch");
	const char *c = request_param(rq, "case");
	return (!state || member_matches(st, state)) && (!c || member_matches(st, c)) &&
	       (!branch || member_in_branch(st, rq->daemon->site_id, branch));
}

int cmd_member_list(struct request *rq, struct store_txn *txn)
{
	const char *state = request_param(rq, "state");
	const char *c = request_param(rq, "case");
	if (state && !state_name_known(state, true))
		return request_fail(rq, LD_EINPUT,
				    "--state '%s' is not one of home, away, checked-in, departed, "
				    "returned, transferred, removed, lapse",
				    state);
	if (c && (!state_name_known(c, true) || state_name_known(c, false)))
		return request_fail(rq, LD_EINPUT, "--case '%s' is not a case; use --case lapse",
				    c);
	const char *branch = request_param(rq, "branch");
	int rc = branch ? branch_known(rq, txn, NULL, branch) : 0;
	return rc ? rc : list_members(rq, txn, filter_state_branch);
}

/* The member whose identity number is TEXT (valid: checked once by cmd_member_find; the check
 * character may be typed as x). */
static bool filter_idno(const struct request *rq, const Ld__MemberState *st)
{
	return strcasecmp(st->info->id, request_arg(rq, 0)) == 0;
}

/* A name, phone or place holding TEXT. */
static bool filter_text(const struct request *rq, const Ld__MemberState *st)
{
	const char *text = request_arg(rq, 0);
	return strstr(st->info->name, text) || strstr(st->info->phone, text) ||
	       (st->outflow && strstr(st->outflow->place, text));
}

/*
 * A name, phone or place holding TEXT, or the whole identity number TEXT: never a part of a
 * number, whose hidden digits (the birth date) would be found out one guess at a time.
 */
int cmd_member_find(struct request *rq, struct store_txn *txn)
{
	const char *text = request_arg(rq, 0);
	if (!text || !text[0])
		return request_fail(rq, LD_EUSAGE,
				    "usage: liudong member find TEXT (part of a name, "
				    "phone or place, or a whole identity number)");
	bool whole = idno_validate(text, LD_DATE_NONE, 0, NULL, NULL) == 0;
	return list_members(rq, txn, whole ? filter_idno : filter_text);
}

/* ---------------------------------------------------------------------------------------------- */
/* History                                                                                        */

/* Why his stay at an inflow site ended (stay.ended), as people read it. */
static const char *stay_reason_text(const char *reason)
{
	/* The words register.c and cmd_daily.c store, marked for the catalog. */
	static const char *const reasons[] = {NC_("stay", "registered-elsewhere"),
					      NC_("stay", "transferred")};
	for (size_t i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++) {
		if (strcmp(reason, reasons[i]) == 0) {
			const char *t = i18n_context("stay", reason);
			return t ? t : reason;
		}
	}
	return reason;
}

/* The outcome of a note of KIND (probation's result, a lapse case's), as people read it. */
static const char *note_outcome_text(Ld__EventKind kind, const char *outcome)
{
	if (kind == LD__EVENT_KIND__PROBATION_DECIDED)
		return enum_display(&enum_probation_result, outcome);
	if (kind == LD__EVENT_KIND__LAPSE_DECIDED)
		return enum_display(&enum_lapse_outcome, outcome);
	return outcome;
}

/* "contact changed: phone P place T ..." of C into OUT (LEN bytes). */
static void contact_summary(const Ld__Contact *c, char *out, size_t len)
{
	/* TRANSLATORS: items of "contact changed: %s", joined by spaces: the new value. */
	const char *const formats[] = {N_("phone %s"), N_("place %s"), N_("employer %s"),
				       N_("address %s")};
	const char *const values[] = {c->phone, c->place, c->employer, c->address};
	char items[384];
	size_t n = 0;
	items[0] = '\0';
	for (size_t i = 0; i < sizeof(values) / sizeof(values[0]) && n < sizeof(items); i++) {
		if (!values[i][0])
			continue;
		n += (size_t)snprintf(items + n, sizeof(items) - n, "%s", n ? " " : "");
		if (n < sizeof(items))
			n += (size_t)snprintf(items + n, sizeof(items) - n, _(formats[i]),
					      values[i]);
	}
	if (items[0])
		/* TRANSLATORS: %s: what changed, "phone 138... place Nanjing". */
		snprintf(out, len, _("contact changed: %s"), items);
	else /* nothing named (no contact command writes that) */
		snprintf(out, len, "%s", _("contact changed:"));
}

/*
 * A line a person can read about EV, in the calling thread's language (the request's): whole
 * sentences for the catalog, the enum words of the payload in that language too (enum_display).
 */
static void event_summary(const Ld__Event *ev, char *out, size_t len)
{
	char a[LD_DATE_LEN], money[LD_MONEY_LEN];
	switch (ev->kind) {
	case LD__EVENT_KIND__MEMBER_REGISTERED:
	case LD__EVENT_KIND__MEMBER_UPDATED:
		if (ev->member_info) {
			const Ld__MemberInfo *m = ev->member_info;
			snprintf(out, len,
				 /* TRANSLATORS: his name, kind (full, probationary), branch code,
				  * dues category, monthly dues. */
				 _("%s, %s member of branch %s, %s, dues %s yuan a month"), m->name,
				 enum_display(&enum_member_kind, m->kind), m->branch,
				 enum_display(&enum_dues_category, m->dues_category),
				 money_format(m->monthly_dues_fen, money));
			return;
		}
		break;
	case LD__EVENT_KIND__OUTFLOW_REGISTERED:
		if (ev->outflow) {
			const Ld__OutflowInfo *of = ev->outflow;
			const char *reason = enum_display(&enum_outflow_reason, of->reason);
			if (of->fixed_place)
				snprintf(out, len,
					 /* TRANSLATORS: the inflow site, the place, the reason
					  * (work, study...), the day he leaves; he has a fixed
					  * place there (固定处所). */
					 _("registered out to %s (%s) for %s from %s, fixed place"),
					 of->inflow_name, of->place, reason,
					 date_format(of->from, a));
			else
				snprintf(out, len,
					 /* TRANSLATORS: the inflow site, the place, the reason
					  * (work, study...), the day he leaves. */
					 _("registered out to %s (%s) for %s from %s"),
					 of->inflow_name, of->place, reason,
					 date_format(of->from, a));
			return;
		}
		break;
	case LD__EVENT_KIND__CERT_ISSUED:
		snprintf(out, len, "%s", _("activity certificate issued"));
		return;
	case LD__EVENT_KIND__CERT_REVOKED:
		if (ev->revoked) {
			/* TRANSLATORS: the certificate's number, the reason (lost, returned...). */
			snprintf(out, len, _("certificate %s revoked (%s)"), ev->revoked->number,
				 enum_display(&enum_revoke_reason, ev->revoked->reason));
			return;
		}
		break;
	case LD__EVENT_KIND__CERT_REVIEWED:
		if (ev->reviewed) {
			/* TRANSLATORS: the certificate's number, the review's result (年审). */
			snprintf(out, len, _("certificate %s reviewed: %s"), ev->reviewed->number,
				 ev->reviewed->result);
			return;
		}
		break;
	case LD__EVENT_KIND__CHECKIN:
		if (ev->checkin) {
			const Ld__Checkin *c = ev->checkin;
			if (c->contact[0])
				snprintf(
				    out, len,
				    /* TRANSLATORS: 报到: the certificate's number, the
				     * branch's code and name, the contact person there. */
				    _("reported in with certificate %s; branch %s %s, contact %s"),
				    c->certificate, c->branch, c->branch_name, c->contact);
			else
				snprintf(out, len,
					 /* TRANSLATORS: 报到: the certificate's number, the
					  * branch's code and name. */
					 _("reported in with certificate %s; branch %s %s"),
					 c->certificate, c->branch, c->branch_name);
			return;
		}
		break;
	case LD__EVENT_KIND__ATTENDANCE:
		if (ev->attendance && ev->attendance->meeting) {
			const Ld__Meeting *m = ev->attendance->meeting;
			const char *kind = enum_display(&enum_meeting_kind, m->kind);
			if (ev->attendance->present)
				snprintf(out, len,
					 /* TRANSLATORS: the meeting's number, its kind (theme-day,
					  * lecture...), its branch's name, its topic. */
					 _("attended %s (%s, %s: %s)"), m->id, kind, m->branch_name,
					 m->topic);
			else
				snprintf(out, len,
					 /* TRANSLATORS: 请假: the meeting's number, its kind, its
					  * branch's name, its topic; why he was excused. */
					 _("excused from %s (%s, %s: %s): %s"), m->id, kind,
					 m->branch_name, m->topic, ev->attendance->reason);
			return;
		}
		break;
	case LD__EVENT_KIND__DUES_PAID:
		if (ev->dues_paid) {
			char f[LD_MONTH_LEN], t[LD_MONTH_LEN];
			snprintf(out, len,
				 /* TRANSLATORS: the first and last month paid (2026-03..2026-05),
				  * the amount, the receipt's number. */
				 _("dues %s..%s paid: %s yuan, receipt %s"),
				 month_format(ev->dues_paid->from_month, f),
				 month_format(ev->dues_paid->to_month, t),
				 money_format(ev->dues_paid->amount_fen, money),
				 ev->dues_paid->receipt);
			return;
		}
		break;
	case LD__EVENT_KIND__DUES_REFUNDED:
		if (ev->dues_refunded) {
			/* TRANSLATORS: the receipt's number, why it was refunded. */
			snprintf(out, len, _("receipt %s refunded: %s"), ev->dues_refunded->receipt,
				 ev->dues_refunded->reason);
			return;
		}
		break;
	case LD__EVENT_KIND__CONTACT_CHANGED:
		if (ev->contact) {
			contact_summary(ev->contact, out, len);
			return;
		}
		break;
	case LD__EVENT_KIND__TRANSFER_ISSUED:
		if (ev->transfer) {
			/* TRANSLATORS: the number of the letter of 组织关系转接 (介绍信). */
			snprintf(out, len, _("transfer letter %s issued"), ev->transfer->number);
			return;
		}
		break;
	case LD__EVENT_KIND__DUES_EXEMPTED:
		if (ev->payload_case == LD__EVENT__PAYLOAD_EXEMPTION) {
			const Ld__DuesExemption *e = ev->exemption;
			char f[LD_MONTH_LEN], t[LD_MONTH_LEN];
			snprintf(out, len,
				 /* TRANSLATORS: the first and last month, the monthly amount
				  * approved (少交, 免交), the approval's number, who approved it,
				  * why. */
				 _("dues %s..%s approved at %s yuan a month (%s), %s: %s"),
				 month_format(e->from_month, f), month_format(e->to_month, t),
				 money_format(e->monthly_fen, money), e->id, e->approved_by,
				 e->reason);
			return;
		}
		break;
	case LD__EVENT_KIND__BRANCH_JOINED:
	case LD__EVENT_KIND__BRANCH_LEFT:
		if (ev->payload_case == LD__EVENT__PAYLOAD_BRANCH) {
			if (ev->kind == LD__EVENT_KIND__BRANCH_JOINED)
				/* TRANSLATORS: the branch's code. */
				snprintf(out, len, _("joined branch %s"), ev->branch->code);
			else
				/* TRANSLATORS: the branch's code. */
				snprintf(out, len, _("left branch %s"), ev->branch->code);
			return;
		}
		break;
	case LD__EVENT_KIND__STAY_ENDED:
		if (ev->payload_case == LD__EVENT__PAYLOAD_STAY_ENDED) {
			/* TRANSLATORS: why (registered out elsewhere, transferred). */
			snprintf(out, len, _("his stay at the former inflow site ended (%s)"),
				 stay_reason_text(ev->stay_ended->reason));
			return;
		}
		break;
	default:
		/* The payload is a union: only a Note may be read as one. */
		if (ev->payload_case == LD__EVENT__PAYLOAD_NOTE && ev->note) {
			const Ld__Note *note = ev->note;
			const char *text =
			    note->text[0] ? note->text : note_outcome_text(ev->kind, note->outcome);
			if (note->kind[0])
				/* TRANSLATORS: the event's kind (feedback), the feedback's kind
				 * (situation, help), its text. */
				snprintf(out, len, _("%s (%s): %s"), event_kind_text(ev->kind),
					 enum_display(&enum_feedback_kind, note->kind), text);
			else
				/* TRANSLATORS: the event's kind (report.received, returned...), its
				 * text (or outcome). */
				snprintf(out, len, _("%s: %s"), event_kind_text(ev->kind), text);
			return;
		}
		break;
	}
	snprintf(out, len, "%s", event_kind_text(ev->kind));
}

/*
 * His events, oldest first, a page at a time: those of his history after the local seq `after`
 * (the last the page before held; a plain number: it tells nothing about him).
 */
int cmd_history(struct request *rq, struct store_txn *txn)
{
	struct page pg;
	int rc = page_begin(rq, &pg);
	if (rc)
		return rc;
	const char *after_text = request_param(rq, "after");
	uint64_t after = 0;
	if (after_text) {
		char *end;
		errno = 0;
		unsigned long long n = strtoull(after_text, &end, 10);
		if (!after_text[0] || *end || errno || after_text[0] == '-')
			return request_fail(rq, LD_EINPUT,
					    "the history's place (after) must be a seq number");
		after = n;
	}
	char idno[LD_IDNO_SIZE];
	Ld__MemberState *st;
	if ((rc = member_lookup(rq, txn, request_arg(rq, 0), idno, &st)))
		return rc;
	json_t *events = json_array();
	json_object_set_new(rq->result, "next", json_null()); /* first: the rows come last */
	json_object_set_new(rq->result, "events", events);
	size_t i = 0;
	while (i < st->n_history && st->history[i] <= after)
		i++;
	uint64_t last = 0;
	for (; i < st->n_history && rc == 0 && !page_full(&pg); i++) {
		uint64_t seq = st->history[i];
		Ld__Event *ev;
		if ((rc = eventlog_read(txn, seq, NULL, &ev)))
			break;
		char summary[512];
		event_summary(ev, summary, sizeof(summary));
		json_t *row = json_pack("{s:o, s:I, s:I, s:s, s:o, s:o, s:s, s:s}", "origin",
					site_name_json(rq, txn, ev->origin.data, ev->origin.len),
					"seq", (json_int_t)ev->origin_seq, "local_seq",
					(json_int_t)seq, "kind", event_kind_name(ev->kind), "date",
					view_date(ev->date), "time", view_time(ev->time_ms),
					"operator", ev->operator_, "summary", summary);
		ld__event__free_unpacked(ev, NULL);
		if (!row) {
			rc = -ENOMEM;
			break;
		}
		page_take(&pg, page_json_bytes(row));
		json_array_append_new(events, row);
		last = seq;
	}
	if (rc == 0) {
		char next[24];
		snprintf(next, sizeof(next), "%llu", (unsigned long long)last);
		json_object_set_new(rq->result, "next",
				    i < st->n_history ? json_string(next) : json_null());
	}
	ld__member_state__free_unpacked(st, NULL);
	return rc;
}
