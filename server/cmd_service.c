/*
 * cmd_service.c: the service centre's other work (issue 14): the branch directory peers publish
 * (流动党员找组织), notices of elections and appraisals with each member's answer (请假), visits
 * (走访慰问). Requests are cmd_request.c's.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
