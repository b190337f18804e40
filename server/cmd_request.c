/*
 * cmd_request.c: requests to the service centre (首问责任制, 首办责任制, 限时办结): open, hand
 * over, forward to the member's other site, answer, close, show, list; and what they add to `due`
 * and `stats`. The domain core (common/service.c) judges each step; the trail is the requests
 * table's, kept at every site that holds the request.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "calendar.h"
#include "commands.h"
#include "commit.h"
#include "daemon.h"
#include "date.h"
#include "fold.h"
#include "i18n.h"
#include "idno.h"
#include "input.h"
#include "service.h"
#include "service_util.h"
#include "sites.h"
#include "view.h"
#include "lderr.h"

/* ---------------------------------------------------------------------------------------------- */
/* Options                                                                                        */

int service_need_text(struct request *rq, const char *key, const char **out)
{
	return request_need_text(rq, key, SERVICE_TEXT_MAX, out);
}

int service_opt_text(struct request *rq, const char *key, const char *def, const char **out)
{
	*out = request_param(rq, key);
	if (!*out) {
		*out = def;
		return 0;
	}
	return request_text(rq, key, *out, SERVICE_TEXT_MAX);
}

static bool one_of(const char *s, const char *const *list)
{
	for (; s && *list; list++)
		if (strcmp(s, *list) == 0)
			return true;
	return false;
}

/* The request named by the first positional, or a failure (usage, not found). */
static int request_named(struct request *rq, struct store_txn *txn, Ld__RequestState **out)
{
	const char *id = request_arg(rq, 0);
	if (!id)
		return request_fail(rq, LD_EUSAGE, "give the request's number (REQ)");
	if (!id[0] || strlen(id) > 64)
		return request_fail(rq, LD_ENOTFOUND,
				    "no request '%s' here; see liudong request list", id);
	int rc = request_state_get(txn, id, out);
	if (rc == LD_ENOTFOUND)
		return request_fail(rq, rc, "no request %s here; see liudong request list", id);
	return rc;
}

/* ---------------------------------------------------------------------------------------------- */
/* Writing                                                                                        */

int cmd_request_open(struct request *rq, struct store_txn *txn)
{
	const char *kind = request_param(rq, "kind"), *text, *from, *phone, *why;
	const char *member = request_param(rq, "member");
	int32_t date;
	int rc;
	if (!kind)
		return request_fail(rq, LD_EUSAGE,
				    "--kind is required; see liudong request open --help");
	if ((rc = service_need_text(rq, "text", &text)) ||
	    (rc = service_opt_text(rq, "from-person", "", &from)) ||
	    (rc = request_date_opt(rq, &date)))
		return rc;
	if (!one_of(kind, service_request_kinds))
		return request_fail(
		    rq, LD_EINPUT,
		    "--kind '%s' is not one of transfer, org-life, dues, employment, "
		    "housing, schooling, rights, other",
		    kind);
	phone = request_param(rq, "phone");
	if (phone && input_phone_check(phone, &why) != 0)
		return request_fail(rq, LD_EINPUT, "--phone %.200s", why);
	const char *owner = request_operator(rq);
	if (!owner[0])
		return request_fail(
		    rq, LD_EUSAGE,
		    "the first-inquiry owner (首问) is the operator: give --operator NAME");
	char idno[LD_IDNO_SIZE] = "", masked[LD_IDNO_SIZE] = "";
	if (member) {
		Ld__MemberState *st;
		if ((rc = member_lookup(rq, txn, member, idno, &st)))
			return rc;
		ld__member_state__free_unpacked(st, NULL);
		idno_mask(idno, masked);
	}
	char id[48];
	if ((rc = site_serial(rq, txn, "request_serial", 'Q', date, id, sizeof(id))))
		return rc;
	Ld__ServiceRequest r = LD__SERVICE_REQUEST__INIT;
	r.id = id;
	r.kind = (char *)kind;
	r.text = (char *)text;
	r.from_person = (char *)from;
	r.phone = (char *)(phone ? phone : "");
	r.owner = (char *)owner;
	r.opened = date;
	r.due_date = calendar_add_working_days(date, rules_request_days(&rq->rules, kind));
	r.site.data = rq->daemon->site_id;
	r.site.len = LD_SITE_ID_BYTES;
	r.site_name = rq->daemon->config.name;
	Ld__Event ev = LD__EVENT__INIT;
	ev.kind = LD__EVENT_KIND__REQUEST_OPENED;
	ev.member = idno;
	ev.date = date;
	ev.payload_case = LD__EVENT__PAYLOAD_REQUEST;
	ev.request = &r;
	if ((rc = commit_event(rq, txn, &ev, "request.open", id, NULL)))
		return rc;
	json_object_set_new(rq->result, "request", json_string(id));
	json_object_set_new(rq->result, "kind", json_string(kind));
	json_object_set_new(rq->result, "owner", json_string(owner));
	json_object_set_new(rq->result, "member", masked[0] ? json_string(masked) : json_null());
	json_object_set_new(rq->result, "opened", view_date(date));
	json_object_set_new(rq->result, "due_date", view_date(r.due_date));
	return 0;
}

/* A step (handover, answer, close) of the request named by the first positional. */
static int step_command(struct request *rq, struct store_txn *txn, const char *action,
			const char *to, const char *text)
{
	Ld__RequestState *r;
	int rc = request_named(rq, txn, &r);
	if (rc)
		return rc;
	Ld__RequestStep s = LD__REQUEST_STEP__INIT;
	s.request = r->request->id;
	s.action = (char *)action;
	s.to = (char *)(to ? to : "");
	s.text = (char *)(text ? text : "");
	s.site = r->request->site;
	s.forwarded_to = r->forwarded_to;
	Ld__Event ev = LD__EVENT__INIT;
	ev.kind = LD__EVENT_KIND__REQUEST_STEP;
	ev.member = r->member;
	ev.date = date_today();
	ev.payload_case = LD__EVENT__PAYLOAD_STEP;
	ev.step = &s;
	char action_name[32];
	snprintf(action_name, sizeof(action_name), "request.%s", action);
	rc = commit_event(rq, txn, &ev, action_name, r->request->id, NULL);
	if (rc == 0) {
		json_object_set_new(rq->result, "request", json_string(r->request->id));
		json_object_set_new(rq->result, "action", json_string(action));
		json_object_set_new(rq->result, "owner", json_string(r->request->owner));
		json_object_set_new(rq->result, "handler",
				    json_string(strcmp(action, "handover") == 0 ? to : r->handler));
		json_object_set_new(rq->result, "date", view_date(ev.date));
	}
	ld__request_state__free_unpacked(r, NULL);
	return rc;
}

int cmd_request_handover(struct request *rq, struct store_txn *txn)
{
	const char *to, *note;
	int rc;
	if ((rc = service_need_text(rq, "to", &to)) ||
	    (rc = service_opt_text(rq, "note", "", &note)))
		return rc;
	return step_command(rq, txn, "handover", to, note);
}

int cmd_request_answer(struct request *rq, struct store_txn *txn)
{
	const char *text;
	int rc = service_need_text(rq, "text", &text);
	return rc ? rc : step_command(rq, txn, "answer", NULL, text);
}

int cmd_request_close(struct request *rq, struct store_txn *txn)
{
	const char *result;
	int rc = service_need_text(rq, "result", &result);
	return rc ? rc : step_command(rq, txn, "close", NULL, result);
}

int cmd_request_forward(struct request *rq, struct store_txn *txn)
{
	const char *to = request_param(rq, "to"), *note;
	int rc;
	if (!to)
		return request_fail(rq, LD_EUSAGE,
				    "--to is required; see liudong request forward --help");
	if (!to[0] || strlen(to) >= LD_NAME_MAX)
		return request_fail(rq, LD_ENOTFOUND,
				    "--to: no peer named '%s'; see liudong peer list", to);
	if ((rc = service_opt_text(rq, "note", "", &note)))
		return rc;
	Ld__RequestState *r;
	if ((rc = request_named(rq, txn, &r)))
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
	if (!r->member[0]) {
		rc = request_fail(rq, LD_EFORBIDDEN,
				  "request %s is about no member: only a matter about a member is "
				  "forwarded, to his other site",
				  r->request->id);
		goto out;
	}
	Ld__RequestForward f = LD__REQUEST_FORWARD__INIT;
	f.request = r->request;
	f.to_site = peer->site_id;
	f.to_name = (char *)to;
	f.note = (char *)note;
	f.handler = r->handler;
	f.n_trail = r->n_trail;
	f.trail = r->trail;
	Ld__Event ev = LD__EVENT__INIT;
	ev.kind = LD__EVENT_KIND__REQUEST_FORWARDED;
	ev.member = r->member;
	ev.date = date_today();
	ev.payload_case = LD__EVENT__PAYLOAD_FORWARD;
	ev.forward = &f;
	if ((rc = commit_event(rq, txn, &ev, "request.forward", r->request->id, NULL)))
		goto out;
	json_object_set_new(rq->result, "request", json_string(r->request->id));
	json_object_set_new(rq->result, "forwarded_to", json_string(to));
	json_object_set_new(rq->result, "owner", json_string(r->request->owner));
out:
	if (peer)
		ld__peer_record__free_unpacked(peer, NULL);
	ld__request_state__free_unpacked(r, NULL);
	return rc;
}

/* ---------------------------------------------------------------------------------------------- */
/* Reading                                                                                        */

/* Past its due date on DAY and still open (what --overdue lists: the requests to act on). */
static bool overdue(const Ld__RequestState *r, int32_t day)
{
	return !r->closed && day > r->request->due_date;
}

/* As shown: open past its due date on DAY, or closed after it (as stats counts it late). */
static bool shown_overdue(const Ld__RequestState *r, int32_t day)
{
	return r->closed ? r->closed_date > r->request->due_date : overdue(r, day);
}

static json_t *masked_member(const char *idno)
{
	char masked[LD_IDNO_SIZE];
	if (!idno || !idno[0])
		return json_null();
	return json_string(idno_mask(idno, masked));
}

/* The row of R that `request list` shows. */
static json_t *request_row(struct request *rq, struct store_txn *txn, const Ld__RequestState *r)
{
	int32_t today = date_today();
	return json_pack(
	    "{s:s, s:s, s:o, s:s, s:s, s:o, s:s, s:o, s:o, s:b}", "request", r->request->id, "kind",
	    r->request->kind, "member", masked_member(r->member), "owner", r->request->owner,
	    "handler", r->handler, "site",
	    site_name_json(rq, txn, r->request->site.data, r->request->site.len), "status",
	    r->closed ? "closed" : "open", "opened", view_date(r->request->opened), "due_date",
	    view_date(r->request->due_date), "overdue", shown_overdue(r, today));
}

int cmd_request_show(struct request *rq, struct store_txn *txn)
{
	Ld__RequestState *r;
	int rc = request_named(rq, txn, &r);
	if (rc)
		return rc;
	json_t *row = request_row(rq, txn, r);
	json_object_update(rq->result, row);
	json_decref(row);
	json_object_set_new(rq->result, "text", json_string(r->request->text));
	json_object_set_new(rq->result, "from_person", json_string(r->request->from_person));
	json_object_set_new(rq->result, "phone", json_string(r->request->phone));
	json_object_set_new(rq->result, "forwarded_to",
			    r->forwarded_to.len ? json_string(r->forwarded_name) : json_null());
	json_object_set_new(rq->result, "closed",
			    r->closed ? view_date(r->closed_date) : json_null());
	json_object_set_new(rq->result, "result", r->closed ? json_string(r->result) : json_null());
	json_t *trail = json_array();
	for (size_t i = 0; i < r->n_trail; i++) {
		const Ld__TrailEntry *t = r->trail[i];
		json_array_append_new(
		    trail,
		    json_pack("{s:o, s:o, s:s, s:s, s:s, s:s}", "date", view_date(t->date), "site",
			      site_name_json(rq, txn, t->site.data, t->site.len), "by", t->by,
			      "action", t->action, "to", t->to, "text", t->text));
	}
	json_object_set_new(rq->result, "trail", trail);
	ld__request_state__free_unpacked(r, NULL);
	return 0;
}

int cmd_request_list(struct request *rq, struct store_txn *txn)
{
	bool only_open = request_flag(rq, "open"), only_overdue = request_flag(rq, "overdue");
	const char *owner = request_param(rq, "owner"), *member = request_param(rq, "member");
	char idno[LD_IDNO_SIZE] = "";
	const char *why;
	if (member && idno_validate(member, LD_DATE_NONE, 0, idno, &why) != 0)
		return request_fail(rq, LD_EINPUT, "--member: %.400s", why);
	json_t *list = json_array();
	json_object_set_new(rq->result, "requests", list);
	struct store_cursor *c;
	int rc = store_cursor_open(txn, TBL_REQUESTS, &c);
	if (rc)
		return rc;
	int32_t today = date_today();
	struct store_val k, v;
	for (rc = store_cursor_get(c, STORE_FIRST, &k, &v); rc == 0;
	     rc = store_cursor_get(c, STORE_NEXT, &k, &v)) {
		Ld__RequestState *r = ld__request_state__unpack(NULL, v.len, v.data);
		if (!r) {
			rc = LD_ECORRUPT;
			break;
		}
		bool take = (!only_open || !r->closed) && (!only_overdue || overdue(r, today)) &&
			    (!owner || strcmp(r->request->owner, owner) == 0) &&
			    (!member || strcmp(r->member, idno) == 0);
		if (take)
			json_array_append_new(list, request_row(rq, txn, r));
		ld__request_state__free_unpacked(r, NULL);
	}
	store_cursor_close(c);
	return rc == LD_ENOTFOUND ? 0 : rc;
}

/* ---------------------------------------------------------------------------------------------- */
/* due and stats                                                                                  */

static int requests_due(struct request *rq, struct store_txn *txn, int32_t as_of,
			service_reminder_fn add, void *ctx)
{
	struct store_cursor *c;
	int rc = store_cursor_open(txn, TBL_REQUESTS, &c);
	if (rc)
		return rc;
	struct store_val k, v;
	char masked[LD_IDNO_SIZE], day[LD_DATE_LEN];
	for (rc = store_cursor_get(c, STORE_FIRST, &k, &v); rc == 0;
	     rc = store_cursor_get(c, STORE_NEXT, &k, &v)) {
		Ld__RequestState *r = ld__request_state__unpack(NULL, v.len, v.data);
		if (!r) {
			rc = LD_ECORRUPT;
			break;
		}
		int32_t due = r->request->due_date;
		int32_t soon = due - rq->rules.request_soon_days;
		const char *member = r->member[0] ? idno_mask(r->member, masked) : "";
		char detail[600];
		if (!r->closed && as_of > due) {
			snprintf(detail, sizeof(detail),
				 _("request %s (%s, owner %s, handler %s) was promised by %s: "
				   "close it with a result (liudong request close)"),
				 r->request->id, r->request->kind, r->request->owner, r->handler,
				 date_format(due, day));
			add(ctx, "request-overdue", member, due + 1, detail);
		} else if (!r->closed && as_of >= soon) {
			snprintf(detail, sizeof(detail),
				 _("request %s (%s, owner %s, handler %s) is promised by %s"),
				 r->request->id, r->request->kind, r->request->owner, r->handler,
				 date_format(due, day));
			add(ctx, "request-due-soon", member, soon, detail);
		}
		ld__request_state__free_unpacked(r, NULL);
	}
	store_cursor_close(c);
	return rc == LD_ENOTFOUND ? 0 : rc;
}

/* Notices this site sent (it is their outflow site) without an answer, near their date. */
static int notices_due(struct request *rq, struct store_txn *txn, int32_t as_of,
		       service_reminder_fn add, void *ctx)
{
	struct store_cursor *c;
	int rc = store_cursor_open(txn, TBL_NOTICES, &c);
	if (rc)
		return rc;
	struct store_val k, v;
	char masked[LD_IDNO_SIZE], day[LD_DATE_LEN];
	for (rc = store_cursor_get(c, STORE_FIRST, &k, &v); rc == 0;
	     rc = store_cursor_get(c, STORE_NEXT, &k, &v)) {
		Ld__NoticeState *n = ld__notice_state__unpack(NULL, v.len, v.data);
		if (!n) {
			rc = LD_ECORRUPT;
			break;
		}
		int32_t from = n->notice->date - rq->rules.notice_remind_days;
		bool ours = n->site.len == LD_SITE_ID_BYTES &&
			    memcmp(n->site.data, rq->daemon->site_id, LD_SITE_ID_BYTES) == 0;
		for (size_t i = 0; ours && as_of >= from && as_of <= n->notice->date && i < n->n_to;
		     i++) {
			if (n->to[i]->answered)
				continue;
			char detail[600];
			snprintf(detail, sizeof(detail),
				 _("notice %s (%s on %s): no answer yet; record whether he attends "
				   "or asks leave (liudong notice answer)"),
				 n->notice->id, n->notice->kind, date_format(n->notice->date, day));
			add(ctx, "notice-unanswered", idno_mask(n->to[i]->member, masked), from,
			    detail);
		}
		ld__notice_state__free_unpacked(n, NULL);
	}
	store_cursor_close(c);
	return rc == LD_ENOTFOUND ? 0 : rc;
}

int service_due(struct request *rq, struct store_txn *txn, int32_t as_of, service_reminder_fn add,
		void *ctx)
{
	int rc = requests_due(rq, txn, as_of, add, ctx);
	return rc ? rc : notices_due(rq, txn, as_of, add, ctx);
}

int service_stats(struct request *rq, struct store_txn *txn, int32_t as_of, json_t *result)
{
	json_t *by_kind = json_object();
	json_int_t open = 0, closed = 0, late = 0, on_time = 0, days = 0;
	struct store_cursor *c;
	int rc = store_cursor_open(txn, TBL_REQUESTS, &c);
	if (rc) {
		json_decref(by_kind);
		return rc;
	}
	struct store_val k, v;
	for (rc = store_cursor_get(c, STORE_FIRST, &k, &v); rc == 0;
	     rc = store_cursor_get(c, STORE_NEXT, &k, &v)) {
		Ld__RequestState *r = ld__request_state__unpack(NULL, v.len, v.data);
		if (!r) {
			rc = LD_ECORRUPT;
			break;
		}
		if (r->request->opened <= as_of) {
			json_t *n = json_object_get(by_kind, r->request->kind);
			json_object_set_new(by_kind, r->request->kind,
					    json_integer(n ? json_integer_value(n) + 1 : 1));
			if (r->closed && r->closed_date <= as_of) {
				closed++;
				days += r->closed_date - r->request->opened;
				on_time += r->closed_date <= r->request->due_date;
			} else {
				open++;
				late += as_of > r->request->due_date;
			}
		}
		ld__request_state__free_unpacked(r, NULL);
	}
	store_cursor_close(c);
	if (rc != LD_ENOTFOUND) {
		json_decref(by_kind);
		return rc;
	}
	json_object_set_new(
	    result, "requests",
	    json_pack("{s:o, s:I, s:I, s:I, s:o, s:o}", "by_kind", by_kind, "open", open, "closed",
		      closed, "overdue", late, "average_days_to_close",
		      closed ? json_real((double)days / (double)closed) : json_null(),
		      "on_time_rate",
		      closed ? json_real((double)on_time / (double)closed) : json_null()));
	return 0;
}
