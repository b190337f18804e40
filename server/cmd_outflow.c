/*
 * cmd_outflow.c: `outflow register` (外出申报登记) at the member's outflow site. The event carries
 * a snapshot of the member, so the inflow site it is synced to needs nothing older.
 */
#include <errno.h>
#include <string.h>

#include "domain.h"
#include "audit.h"
#include "commands.h"
#include "daemon.h"
#include "date.h"
#include "eventlog.h"
#include "fold.h"
#include "idno.h"
#include "register.h"
#include "view.h"

int cmd_outflow_register(struct request *rq, struct store_txn *txn)
{
	struct fields f = fields_of_request(rq);
	const char *member = request_arg(rq, 0);
	uint64_t seq;
	int rc = register_outflow(rq, txn, &f, member, &seq);
	if (rc == 0)
		rc = audit_append(txn, request_operator(rq), rq->uid, "outflow.register", member,
				  request_param(rq, "to"));
	if (rc)
		return rc;
	char idno[LD_IDNO_SIZE], masked[LD_IDNO_SIZE];
	Ld__MemberState *st;
	if ((rc = member_lookup(rq, txn, member, idno, &st)))
		return rc;
	json_object_set_new(rq->result, "id", json_string(idno_mask(idno, masked)));
	json_object_set_new(rq->result, "state", json_string(location_name(member_location(st))));
	json_object_set_new(rq->result, "inflow_site", json_string(st->outflow->inflow_name));
	json_object_set_new(rq->result, "place", json_string(st->outflow->place));
	json_object_set_new(rq->result, "from", view_date(st->outflow->from));
	json_object_set_new(rq->result, "seq", json_integer((json_int_t)seq));
	ld__member_state__free_unpacked(st, NULL);
	return 0;
}
