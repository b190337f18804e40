/*
 * cmd_service.c: the service centre's other work (issue 14): the branch directory peers publish
 * (流动党员找组织), notices of elections and appraisals with each member's answer (请假), visits
 * (走访慰问). Requests are cmd_request.c's.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "commands.h"
#include "commit.h"
#include "daemon.h"
#include "date.h"
#include "eventlog.h"
#include "fold.h"
#include "i18n.h"
#include "idno.h"
#include "service.h"
#include "service_util.h"
#include "sites.h"
#include "view.h"
#include "lderr.h"

/* ---------------------------------------------------------------------------------------------- */
/* The directory (找组织) */

static bool contains(const char *s, const char *needle)
{
	return s && strstr(s, needle) != NULL;
}

int cmd_directory(struct request *rq, struct store_txn *txn)
{
	const char *peer = request_arg(rq, 0), *search = request_param(rq, "search");
	Ld__PeerRecord *p = NULL;
	int rc;
	if (peer && (!peer[0] || strlen(peer) >= LD_NAME_MAX))
		return request_fail(rq, LD_ENOTFOUND, "no peer named '%s'; see liudong peer list",
				    peer);
	if (peer) {
		struct store_val pv;
		rc = store_get(txn, TBL_PEERS, peer, strlen(peer), &pv);
		if (rc == LD_ENOTFOUND)
			return request_fail(rq, rc, "no peer named '%s'; see liudong peer list",
					    peer);
		if (rc)
			return rc;
		if (!(p = ld__peer_record__unpack(NULL, pv.len, pv.data)))
			return LD_ECORRUPT;
	}
	json_t *list = json_array();
	json_object_set_new(rq->result, "branches", list);
	struct store_cursor *c;
	if ((rc = store_cursor_open(txn, TBL_DIRECTORY, &c)))
		goto out;
	struct store_val k, v;
	for (rc = store_cursor_get(c, STORE_FIRST, &k, &v); rc == 0;
	     rc = store_cursor_get(c, STORE_NEXT, &k, &v)) {
		const uint8_t *site = k.data;
		if (k.len <= LD_SITE_ID_BYTES ||
		    memcmp(site, rq->daemon->site_id, LD_SITE_ID_BYTES) == 0 ||
		    (p && (p->site_id.len != LD_SITE_ID_BYTES ||
			   memcmp(site, p->site_id.data, LD_SITE_ID_BYTES) != 0)))
			continue;
		Ld__BranchInfo *b = ld__branch_info__unpack(NULL, v.len, v.data);
		if (!b) {
			rc = LD_ECORRUPT;
			break;
		}
		if (!search || contains(b->code, search) || contains(b->name, search) ||
		    contains(b->address, search) || contains(b->contact, search))
			json_array_append_new(
			    list, json_pack("{s:o, s:s, s:s, s:s, s:s, s:s, s:b}", "site",
					    site_name_json(rq, txn, site, LD_SITE_ID_BYTES), "code",
					    b->code, "name", b->name, "address", b->address,
					    "contact", b->contact, "phone", b->phone,
					    "accepts_mobile", b->accepts_mobile));
		ld__branch_info__free_unpacked(b, NULL);
	}
	store_cursor_close(c);
	if (rc == LD_ENOTFOUND)
		rc = 0;
out:
	if (p)
		ld__peer_record__free_unpacked(p, NULL);
	return rc;
}

/* ---------------------------------------------------------------------------------------------- */
/* Notices and leave (请假) */

static bool one_of(const char *s, const char *const *list)
{
	for (; s && *list; list++)
		if (strcmp(s, *list) == 0)
			return true;
	return false;
}

/*
 * notice send IDNO...: one notice.sent for each member, all or none (the first refusal fails the
 * request and nothing of it is written). Only his outflow site sends one (the domain core).
 */
int cmd_notice_send(struct request *rq, struct store_txn *txn)
{
	const char *kind = request_param(rq, "kind"), *day = request_param(rq, "date"), *text;
	int rc;
	if (!kind || !day)
		return request_fail(
		    rq, LD_EUSAGE,
		    "--kind and --date are required; see liudong notice send --help");
	if (!request_arg(rq, 0))
		return request_fail(rq, LD_EUSAGE, "name the members (IDNO...) to notify");
	if ((rc = service_need_text(rq, "text", &text)))
		return rc;
	if (!one_of(kind, service_notice_kinds))
		return request_fail(rq, LD_EINPUT,
				    "--kind '%s' is not one of election, appraisal, other", kind);
	int32_t date;
	if ((rc = request_date(rq, "--date", day, &date)))
		return rc;
	for (unsigned i = 0; request_arg(rq, i); i++)
		for (unsigned j = i + 1; request_arg(rq, j); j++)
			if (strcasecmp(request_arg(rq, i), request_arg(rq, j)) == 0) {
				char masked[LD_IDNO_SIZE];
				return request_fail(rq, LD_EINPUT,
						    "%s is named twice: name each member once",
						    idno_mask(request_arg(rq, i), masked));
			}
	int32_t today = date_today();
	char id[48];
	if ((rc = site_serial(rq, txn, "notice_serial", 'N', today, id, sizeof(id))))
		return rc;
	Ld__Notice n = LD__NOTICE__INIT;
	n.id = id;
	n.kind = (char *)kind;
	n.date = date;
	n.text = (char *)text;
	json_t *members = json_array();
	json_object_set_new(rq->result, "members", members);
	for (unsigned i = 0; rc == 0 && request_arg(rq, i); i++) {
		char idno[LD_IDNO_SIZE], masked[LD_IDNO_SIZE];
		Ld__MemberState *st;
		if ((rc = member_lookup(rq, txn, request_arg(rq, i), idno, &st)))
			break;
		ld__member_state__free_unpacked(st, NULL);
		Ld__Event ev = LD__EVENT__INIT;
		ev.kind = LD__EVENT_KIND__NOTICE_SENT;
		ev.member = idno;
		ev.date = today;
		ev.payload_case = LD__EVENT__PAYLOAD_NOTICE;
		ev.notice = &n;
		if ((rc = commit_event(rq, txn, &ev, "notice.send", id, NULL)))
			break;
		json_array_append_new(members, json_string(idno_mask(idno, masked)));
	}
	if (rc)
		return rc;
	json_object_set_new(rq->result, "notice", json_string(id));
	json_object_set_new(rq->result, "kind", json_string(kind));
	json_object_set_new(rq->result, "date", view_date(date));
	return 0;
}

int cmd_notice_answer(struct request *rq, struct store_txn *txn)
{
	const char *id = request_arg(rq, 0), *member = request_arg(rq, 1), *reason = NULL;
	bool attend = request_flag(rq, "attend"), leave = request_flag(rq, "leave");
	int rc;
	if (!id || !member)
		return request_fail(rq, LD_EUSAGE,
				    "usage: liudong notice answer NOTICE IDNO --attend | --leave "
				    "--reason TEXT");
	if (attend == leave)
		return request_fail(rq, LD_EUSAGE,
				    "give one of --attend or --leave --reason TEXT (请假)");
	if (leave && (rc = service_need_text(rq, "reason", &reason)))
		return rc;
	if (attend && request_param(rq, "reason"))
		return request_fail(rq, LD_EUSAGE, "--reason goes with --leave");
	if (!id[0] || strlen(id) > 64)
		return request_fail(rq, LD_ENOTFOUND,
				    "no notice '%s' here; see liudong notice list", id);
	char idno[LD_IDNO_SIZE], masked[LD_IDNO_SIZE];
	Ld__MemberState *st;
	if ((rc = member_lookup(rq, txn, member, idno, &st)))
		return rc;
	ld__member_state__free_unpacked(st, NULL);
	Ld__NoticeAnswer a = LD__NOTICE_ANSWER__INIT;
	a.notice = (char *)id;
	a.attend = attend;
	a.reason = (char *)(reason ? reason : "");
	Ld__Event ev = LD__EVENT__INIT;
	ev.kind = LD__EVENT_KIND__NOTICE_ANSWERED;
	ev.member = idno;
	ev.date = date_today();
	ev.payload_case = LD__EVENT__PAYLOAD_NOTICE_ANSWER;
	ev.notice_answer = &a;
	if ((rc = commit_event(rq, txn, &ev, "notice.answer", id, NULL)))
		return rc;
	json_object_set_new(rq->result, "notice", json_string(id));
	json_object_set_new(rq->result, "member", json_string(idno_mask(idno, masked)));
	json_object_set_new(rq->result, "answer", json_string(attend ? "attend" : "leave"));
	json_object_set_new(rq->result, "reason", reason ? json_string(reason) : json_null());
	return 0;
}

int cmd_notice_list(struct request *rq, struct store_txn *txn)
{
	bool only_open = request_flag(rq, "open");
	json_t *list = json_array();
	json_object_set_new(rq->result, "notices", list);
	struct store_cursor *c;
	int rc = store_cursor_open(txn, TBL_NOTICES, &c);
	if (rc)
		return rc;
	struct store_val k, v;
	for (rc = store_cursor_get(c, STORE_FIRST, &k, &v); rc == 0;
	     rc = store_cursor_get(c, STORE_NEXT, &k, &v)) {
		Ld__NoticeState *n = ld__notice_state__unpack(NULL, v.len, v.data);
		if (!n) {
			rc = LD_ECORRUPT;
			break;
		}
		json_t *to = json_array();
		size_t unanswered = 0;
		for (size_t i = 0; i < n->n_to; i++) {
			const Ld__NoticeAddressee *a = n->to[i];
			char masked[LD_IDNO_SIZE];
			unanswered += !a->answered;
			json_array_append_new(
			    to, json_pack("{s:s, s:o, s:o, s:o}", "member",
					  idno_mask(a->member, masked), "answer",
					  a->answered ? json_string(a->attend ? "attend" : "leave")
						      : json_null(),
					  "reason",
					  a->answered && !a->attend ? json_string(a->reason)
								    : json_null(),
					  "answered",
					  a->answered ? view_date(a->answered_date) : json_null()));
		}
		if (!only_open || unanswered)
			json_array_append_new(
			    list,
			    json_pack("{s:s, s:s, s:o, s:s, s:o, s:I, s:o}", "notice",
				      n->notice->id, "kind", n->notice->kind, "date",
				      view_date(n->notice->date), "text", n->notice->text, "site",
				      site_name_json(rq, txn, n->site.data, n->site.len),
				      "unanswered", (json_int_t)unanswered, "to", to));
		else
			json_decref(to);
		ld__notice_state__free_unpacked(n, NULL);
	}
	store_cursor_close(c);
	return rc == LD_ENOTFOUND ? 0 : rc;
}

/* ---------------------------------------------------------------------------------------------- */
/* Visits (走访慰问) */

int cmd_visit_add(struct request *rq, struct store_txn *txn)
{
	const char *kind = request_param(rq, "kind"), *text, *help;
	int32_t date;
	int rc;
	if (!kind)
		return request_fail(rq, LD_EUSAGE,
				    "--kind is required; see liudong visit add --help");
	if ((rc = service_need_text(rq, "text", &text)) ||
	    (rc = service_opt_text(rq, "help", "", &help)) || (rc = request_date_opt(rq, &date)))
		return rc;
	if (!one_of(kind, service_visit_kinds))
		return request_fail(rq, LD_EINPUT,
				    "--kind '%s' is not one of holiday, hardship, illness, family, "
				    "other",
				    kind);
	char idno[LD_IDNO_SIZE], masked[LD_IDNO_SIZE];
	Ld__MemberState *st;
	if ((rc = member_lookup(rq, txn, request_arg(rq, 0), idno, &st)))
		return rc;
	ld__member_state__free_unpacked(st, NULL);
	Ld__Visit vi = LD__VISIT__INIT;
	vi.kind = (char *)kind;
	vi.text = (char *)text;
	vi.help = (char *)help;
	Ld__Event ev = LD__EVENT__INIT;
	ev.kind = LD__EVENT_KIND__VISIT_RECORDED;
	ev.member = idno;
	ev.date = date;
	ev.payload_case = LD__EVENT__PAYLOAD_VISIT;
	ev.visit = &vi;
	if ((rc = commit_event(rq, txn, &ev, "visit.add", kind, NULL)))
		return rc;
	json_object_set_new(rq->result, "member", json_string(idno_mask(idno, masked)));
	json_object_set_new(rq->result, "kind", json_string(kind));
	json_object_set_new(rq->result, "date", view_date(date));
	return 0;
}

/* The visits in ST's history into LIST, oldest first. */
static int member_visits(struct request *rq, struct store_txn *txn, const Ld__MemberState *st,
			 json_t *list)
{
	char masked[LD_IDNO_SIZE];
	idno_mask(st->info->id, masked);
	for (size_t i = 0; i < st->n_history; i++) {
		Ld__Event *ev;
		int rc = eventlog_read(txn, st->history[i], NULL, &ev);
		if (rc)
			return rc;
		if (ev->kind == LD__EVENT_KIND__VISIT_RECORDED &&
		    ev->payload_case == LD__EVENT__PAYLOAD_VISIT)
			json_array_append_new(
			    list,
			    json_pack("{s:s, s:o, s:o, s:s, s:s, s:s, s:s}", "member", masked,
				      "date", view_date(ev->date), "site",
				      site_name_json(rq, txn, ev->origin.data, ev->origin.len),
				      "by", ev->operator_, "kind", ev->visit->kind, "text",
				      ev->visit->text, "help", ev->visit->help));
		ld__event__free_unpacked(ev, NULL);
	}
	return 0;
}

int cmd_visit_list(struct request *rq, struct store_txn *txn)
{
	json_t *list = json_array();
	json_object_set_new(rq->result, "visits", list);
	const char *member = request_arg(rq, 0);
	int rc;
	if (member) {
		char idno[LD_IDNO_SIZE];
		Ld__MemberState *st;
		if ((rc = member_lookup(rq, txn, member, idno, &st)))
			return rc;
		rc = member_visits(rq, txn, st, list);
		ld__member_state__free_unpacked(st, NULL);
		return rc;
	}
	struct store_cursor *c;
	if ((rc = store_cursor_open(txn, TBL_MEMBERS, &c)))
		return rc;
	struct store_val k, v;
	for (rc = store_cursor_get(c, STORE_FIRST, &k, &v); rc == 0;
	     rc = store_cursor_get(c, STORE_NEXT, &k, &v)) {
		Ld__MemberState *st = ld__member_state__unpack(NULL, v.len, v.data);
		if (!st) {
			rc = LD_ECORRUPT;
			break;
		}
		if (st->last_visit)
			rc = member_visits(rq, txn, st, list);
		ld__member_state__free_unpacked(st, NULL);
		if (rc)
			break;
	}
	store_cursor_close(c);
	return rc == LD_ENOTFOUND ? 0 : rc;
}
