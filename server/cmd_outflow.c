/*
 * cmd_outflow.c: `outflow register` (外出申报登记) at the member's outflow site. The event carries
 * a snapshot of the member, so the inflow site it is synced to needs nothing older.
 */
#include <errno.h>
#include <string.h>

#include "audit.h"
#include "commands.h"
#include "daemon.h"
#include "date.h"
#include "eventlog.h"
#include "fold.h"
#include "idno.h"
#include "view.h"

static const char *reasons[] = { "work", "business", "residence", "study", "other" };

int cmd_outflow_register(struct request *rq, struct store_txn *txn)
{
	const char *to = request_param(rq, "to");
	const char *place = request_param(rq, "place");
	const char *reason = request_param(rq, "reason");
	const char *from_text = request_param(rq, "from");
	const char *until_text = request_param(rq, "until");
	const char *phone = request_param(rq, "phone");
	const char *employer = request_param(rq, "employer");
	if (!to || !place || !reason || !from_text)
		return request_fail(rq, -EDOM, "--to, --place, --reason and --from are required; "
				    "see liudong outflow register --help");
	bool reason_ok = false;
	for (size_t i = 0; i < sizeof(reasons) / sizeof(reasons[0]); i++)
		reason_ok = reason_ok || strcmp(reason, reasons[i]) == 0;
	if (!reason_ok)
		return request_fail(rq, -EINVAL, "--reason '%s' is not one of work, business, "
				    "residence, study, other", reason);
	if (!place[0] || strlen(place) > 200)
		return request_fail(rq, -EINVAL, "--place must be 1 to 200 bytes");
	int32_t from, until = LD_DATE_NONE;
	if (date_parse(from_text, &from) != 0)
		return request_fail(rq, -EINVAL, "--from: '%s' is not a real date; use YYYY-MM-DD",
				    from_text);
	if (until_text && date_parse(until_text, &until) != 0)
		return request_fail(rq, -EINVAL, "--until: '%s' is not a real date; use YYYY-MM-DD",
				    until_text);
	if (until != LD_DATE_NONE && until < from)
		return request_fail(rq, -EINVAL, "--until %s is before --from %s", until_text,
				    from_text);

	char idno[LD_IDNO_SIZE];
	Ld__MemberState *st;
	int rc = member_lookup(rq, txn, request_arg(rq, 0), idno, &st);
	if (rc)
		return rc;
	struct store_val pv;
	Ld__PeerRecord *peer = NULL;
	char masked[LD_IDNO_SIZE];
	idno_mask(idno, masked);
	if (st->outflow_site.len != LD_SITE_ID_BYTES ||
	    memcmp(st->outflow_site.data, rq->daemon->site_id, LD_SITE_ID_BYTES) != 0) {
		rc = request_fail(rq, -EPERM, "member %s belongs to outflow site %s: only it may "
				  "register him out", masked, st->outflow_name);
		goto out;
	}
	bool away = strcmp(st->state, "away") == 0 || strcmp(st->state, "checked-in") == 0;
	if (!away && strcmp(st->state, "home") != 0 && strcmp(st->state, "returned") != 0) {
		rc = request_fail(rq, -EPERM, "member %s is %s; he cannot be registered out",
				  masked, st->state);
		goto out;
	}
	if (away && st->outflow && strcmp(st->outflow->inflow_name, to) == 0) {
		rc = request_fail(rq, -EEXIST, "member %s is registered out to %s already", masked, to);
		goto out;
	}
	rc = store_get(txn, TBL_PEERS, to, strlen(to), &pv);
	if (rc == 0) {
		peer = ld__peer_record__unpack(NULL, pv.len, pv.data);
		rc = peer ? 0 : -EBADMSG;
	}
	if (rc == -ENOENT) {
		rc = request_fail(rq, rc, "--to: no peer named '%s'; add it with liudong peer add",
				  to);
		goto out;
	}
	if (rc)
		goto out;

	Ld__OutflowInfo of = LD__OUTFLOW_INFO__INIT;
	of.member = st->info;
	of.reason = (char *)reason;
	of.inflow_site = peer->site_id;
	of.inflow_name = (char *)to;
	of.place = (char *)place;
	of.fixed_place = request_flag(rq, "fixed-place");
	of.from = from;
	of.until = until;
	of.phone = (char *)(phone ? phone : st->info->phone);
	of.employer = (char *)(employer ? employer : "");
	of.outflow_name = rq->daemon->config.name;
	Ld__Event ev = LD__EVENT__INIT;
	ev.kind = LD__EVENT_KIND__OUTFLOW_REGISTERED;
	ev.date = from;
	ev.member = idno;
	ev.operator_ = (char *)request_operator(rq);
	ev.payload_case = LD__EVENT__PAYLOAD_OUTFLOW;
	ev.outflow = &of;
	uint64_t seq;
	if ((rc = eventlog_commit_local(txn, rq->daemon->site_id, &ev, &seq)) ||
	    (rc = audit_append(txn, request_operator(rq), rq->uid, "outflow.register", idno, to)))
		goto out;
	json_object_set_new(rq->result, "id", json_string(masked));
	json_object_set_new(rq->result, "state", json_string("away"));
	json_object_set_new(rq->result, "inflow_site", json_string(to));
	json_object_set_new(rq->result, "place", json_string(place));
	json_object_set_new(rq->result, "from", view_date(from));
	json_object_set_new(rq->result, "seq", json_integer((json_int_t)seq));
out:
	if (peer)
		ld__peer_record__free_unpacked(peer, NULL);
	ld__member_state__free_unpacked(st, NULL);
	return rc;
}
