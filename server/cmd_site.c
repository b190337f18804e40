/*
 * cmd_site.c: the site and its peers: site, pubkey, peer add/remove/list, audit, verify.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "service.h"
#include "commands.h"
#include "daemon.h"
#include "date.h"
#include "domain.h"
#include "eventlog.h"
#include "hostport.h"
#include "idno.h"
#include "input.h"
#include "page.h"
#include "siteid.h"
#include "view.h"
#include "lderr.h"

int cmd_site(struct request *rq, struct store_txn *txn)
{
	struct daemon *d = rq->daemon;
	struct eventlog_head head;
	uint8_t log_id[LD_LOG_ID_BYTES];
	int rc = eventlog_head(txn, &head);
	if (rc == 0)
		rc = meta_log_id(txn, log_id);
	if (rc)
		return rc;
	json_object_set_new(rq->result, "site_id", json_string(d->site_id_text));
	json_object_set_new(rq->result, "name", json_string(d->config.name));
	json_object_set_new(rq->result, "code", json_string(d->config.code));
	json_object_set_new(rq->result, "log_id", view_hex(log_id, sizeof(log_id)));
	json_object_set_new(rq->result, "head_seq", json_integer((json_int_t)head.seq));
	json_object_set_new(rq->result, "listen", json_string(d->config.listen));
	return 0;
}

static int peer_get(struct store_txn *txn, const char *name, Ld__PeerRecord **out)
{
	struct store_val v;
	int rc = store_get(txn, TBL_PEERS, name, strlen(name), &v);
	if (rc)
		return rc;
	*out = ld__peer_record__unpack(NULL, v.len, v.data);
	return *out ? 0 : LD_ECORRUPT;
}

int cmd_pubkey(struct request *rq, struct store_txn *txn)
{
	const char *peer = request_arg(rq, 0);
	const uint8_t *spki;
	size_t len;
	Ld__PeerRecord *p = NULL;
	if (peer) {
		int rc = peer_get(txn, peer, &p);
		if (rc == LD_ENOTFOUND)
			return request_fail(rq, rc, "no peer named '%s'; see liudong peer list",
					    peer);
		if (rc)
			return rc;
		if (!p->public_key.len) {
			ld__peer_record__free_unpacked(p, NULL);
			return request_fail(
			    rq, LD_ENOTFOUND,
			    "peer '%s' has not connected yet, so its key is not known", peer);
		}
		spki = p->public_key.data;
		len = p->public_key.len;
	} else {
		spki = identity_spki(rq->daemon->identity, &len);
	}
	char *pem = identity_spki_pem(spki, len);
	if (p)
		ld__peer_record__free_unpacked(p, NULL);
	if (!pem)
		return -EIO;
	json_object_set_new(rq->result, "pem", json_string(pem));
	free(pem);
	return 0;
}

int cmd_peer_add(struct request *rq, struct store_txn *txn)
{
	const char *name = request_arg(rq, 0);
	const char *id_text = request_param(rq, "id");
	const char *address = request_param(rq, "address");
	if (!name || !id_text)
		return request_fail(
		    rq, LD_EUSAGE,
		    "usage: liudong peer add NAME --id SITE_ID [--address HOST:PORT]");
	const char *why = NULL;
	if (input_text_check(name, LD_NAME_MAX - 1, &why) != 0)
		return request_fail(rq, LD_EINPUT,
				    "peer name %.200s; it is 1 to %d bytes of one line", why,
				    LD_NAME_MAX - 1);
	uint8_t id[LD_SITE_ID_BYTES];
	if (siteid_parse(id_text, id, &why) != 0)
		return request_fail(rq, LD_EINPUT,
				    "--id: %s; copy the id that `liudong site` prints there",
				    why ? why : "not a site id");
	if (memcmp(id, rq->daemon->site_id, LD_SITE_ID_BYTES) == 0)
		return request_fail(rq, LD_EFORBIDDEN,
				    "--id is this site's own id; give the peer's");
	const char *bad_address = NULL;
	if (!address)
		address = ""; /* the peer dials us; we never dial it */
	else if (hostport_parse(address, NULL, &bad_address) != 0)
		return request_fail(rq, LD_EINPUT,
				    "--address must be HOST:PORT (%s), e.g. 127.0.0.1:7701",
				    bad_address);

	/* One name per peer and one peer per site id. */
	struct store_cursor *c;
	int rc = store_cursor_open(txn, TBL_PEERS, &c);
	if (rc)
		return rc;
	struct store_val k, v;
	for (rc = store_cursor_get(c, STORE_FIRST, &k, &v); rc == 0;
	     rc = store_cursor_get(c, STORE_NEXT, &k, &v)) {
		Ld__PeerRecord *p = ld__peer_record__unpack(NULL, v.len, v.data);
		bool same_id = p && p->site_id.len == LD_SITE_ID_BYTES &&
			       memcmp(p->site_id.data, id, LD_SITE_ID_BYTES) == 0;
		bool same_name = p && strcmp(p->name, name) == 0;
		char other[LD_NAME_MAX];
		snprintf(other, sizeof(other), "%s", p ? p->name : "?");
		if (p)
			ld__peer_record__free_unpacked(p, NULL);
		if (same_name || same_id) {
			store_cursor_close(c);
			if (same_name)
				return request_fail(rq, LD_EEXIST,
						    "a peer named '%s' exists already; "
						    "remove it first to change it",
						    name);
			return request_fail(rq, LD_EEXIST,
					    "that site id is pinned already as peer '%s'", other);
		}
	}
	store_cursor_close(c);
	if (rc != LD_ENOTFOUND)
		return rc;

	Ld__PeerRecord rec = LD__PEER_RECORD__INIT;
	rec.name = (char *)name;
	rec.site_id.data = id;
	rec.site_id.len = sizeof(id);
	rec.address = (char *)address;
	rec.added_ms = view_now_ms();
	size_t len = ld__peer_record__get_packed_size(&rec);
	uint8_t *buf = malloc(len);
	if (!buf)
		return -ENOMEM;
	ld__peer_record__pack(&rec, buf);
	rc = store_put(txn, TBL_PEERS, name, strlen(name), buf, len, STORE_NOOVERWRITE);
	free(buf);
	/* 找组织: the branches this site published before reach the new peer too. */
	if (rc == 0)
		rc = directory_send_own(txn, rq->daemon->site_id, id);
	if (rc == 0)
		rc = audit_append(txn, request_operator(rq), rq->uid, "peer.add", NULL, name);
	if (rc)
		return rc;
	char text[LD_SITE_ID_TEXT];
	json_object_set_new(rq->result, "name", json_string(name));
	json_object_set_new(rq->result, "site_id", json_string(siteid_format(id, text)));
	json_object_set_new(rq->result, "address", json_string(address));
	return 0;
}

/*
 * The members in TXN whose registration out links this site (SELF) and PEER, still open: *TO,
 * registered out here to PEER (member_registered_out_to); *FROM, registered out by PEER to here
 * (member_registered_out_from). Returns 0 or -errno.
 */
static int count_registered_out(struct store_txn *txn, const uint8_t *self, const uint8_t *peer,
				size_t *to, size_t *from)
{
	struct store_cursor *c;
	struct store_val k, v;
	int rc = store_cursor_open(txn, TBL_MEMBERS, &c);
	if (rc)
		return rc;
	*to = *from = 0;
	for (rc = store_cursor_get(c, STORE_FIRST, &k, &v); rc == 0;
	     rc = store_cursor_get(c, STORE_NEXT, &k, &v)) {
		Ld__MemberState *st = ld__member_state__unpack(NULL, v.len, v.data);
		if (!st) {
			rc = LD_ECORRUPT;
			break;
		}
		*to += member_registered_out_to(st, peer);
		*from += member_registered_out_from(st, peer, self);
		ld__member_state__free_unpacked(st, NULL);
	}
	store_cursor_close(c);
	return rc == LD_ENOTFOUND ? 0 : rc;
}

int cmd_peer_remove(struct request *rq, struct store_txn *txn)
{
	const char *name = request_arg(rq, 0);
	if (!name)
		return request_fail(rq, LD_EUSAGE, "usage: liudong peer remove NAME [--force]");
	Ld__PeerRecord *p;
	int rc = peer_get(txn, name, &p);
	if (rc == LD_ENOTFOUND)
		return request_fail(rq, rc, "no peer named '%s'; see liudong peer list", name);
	if (rc)
		return rc;
	size_t out = 0, in = 0;
	if (p->site_id.len == LD_SITE_ID_BYTES)
		rc = count_registered_out(txn, rq->daemon->site_id, p->site_id.data, &out, &in);
	ld__peer_record__free_unpacked(p, NULL);
	if (rc)
		return rc;
	bool force = request_flag(rq, "force");
	if (out > 0 && !force)
		return request_fail(rq, LD_EFORBIDDEN,
				    "%zu member(s) are registered out to %s: removing the peer "
				    "stops their sync; give --force to remove it all the same",
				    out, name);
	if (in > 0 && !force)
		return request_fail(rq, LD_EFORBIDDEN,
				    "%zu member(s) of %s are registered out to here: removing the "
				    "peer stops their sync; give --force to remove it all the same",
				    in, name);
	rc = store_del(txn, TBL_PEERS, name, strlen(name));
	if (rc == 0)
		rc = audit_append(txn, request_operator(rq), rq->uid, "peer.remove", NULL, name);
	if (rc)
		return rc;
	if (out + in > 0)
		request_warn(
		    rq,
		    "note: removed %s; the %zu member(s) registered out between it and here "
		    "keep their records here, but nothing is synced with %s until it is "
		    "added again",
		    name, out + in, name);
	json_object_set_new(rq->result, "removed", json_string(name));
	json_object_set_new(rq->result, "registered_out", json_integer((json_int_t)out));
	json_object_set_new(rq->result, "registered_in", json_integer((json_int_t)in));
	return 0;
}

int cmd_peer_list(struct request *rq, struct store_txn *txn)
{
	json_t *peers = json_array();
	json_object_set_new(rq->result, "peers", peers);
	struct store_cursor *c;
	int rc = store_cursor_open(txn, TBL_PEERS, &c);
	if (rc)
		return rc;
	struct store_val k, v;
	for (rc = store_cursor_get(c, STORE_FIRST, &k, &v); rc == 0;
	     rc = store_cursor_get(c, STORE_NEXT, &k, &v)) {
		Ld__PeerRecord *p = ld__peer_record__unpack(NULL, v.len, v.data);
		if (!p) {
			rc = LD_ECORRUPT;
			break;
		}
		char text[LD_SITE_ID_TEXT] = "";
		if (p->site_id.len == LD_SITE_ID_BYTES)
			siteid_format(p->site_id.data, text);
		json_array_append_new(peers, json_pack("{s:s, s:s, s:s}", "name", p->name,
						       "site_id", text, "address", p->address));
		ld__peer_record__free_unpacked(p, NULL);
	}
	store_cursor_close(c);
	return rc == LD_ENOTFOUND ? 0 : rc;
}

/*
 * The audit rows, oldest first, a page at a time: those after the row `after` (the number of the
 * last row the page before held: rows are numbered as they are written).
 */
int cmd_audit(struct request *rq, struct store_txn *txn)
{
	const char *since_text = request_param(rq, "since");
	const char *member = request_param(rq, "member");
	const char *after_text = request_param(rq, "after");
	int32_t since = LD_DATE_NONE;
	int rc = request_date(rq, "--since", since_text, &since);
	if (rc)
		return rc;
	char idno[LD_IDNO_SIZE] = "";
	if (member) {
		const char *why;
		if (idno_validate(member, LD_DATE_NONE, 0, idno, &why) != 0)
			return request_fail(rq, LD_EINPUT, "--member: %.400s", why);
	}
	struct page pg;
	rc = page_begin(rq, &pg);
	if (rc)
		return rc;
	uint64_t after = 0;
	if (after_text) {
		char *end;
		errno = 0;
		unsigned long long n = strtoull(after_text, &end, 10);
		if (!after_text[0] || *end || errno || after_text[0] == '-' || n == UINT64_MAX)
			return request_fail(rq, LD_EINPUT,
					    "the audit's place (after) must be a row number");
		after = n;
	}
	/* --since is a day in Asia/Shanghai: its start in UTC ms. */
	int64_t since_ms =
	    since == LD_DATE_NONE ? INT64_MIN : ((int64_t)since * 86400 - 8 * 3600) * 1000;
	json_t *entries = json_array();
	json_object_set_new(rq->result, "next", json_null()); /* first: the rows come last */
	json_object_set_new(rq->result, "entries", entries);
	struct store_cursor *c;
	if ((rc = store_cursor_open(txn, TBL_AUDIT, &c)))
		return rc;
	uint8_t first[8];
	store_u64_key(after + 1, first);
	struct store_val k = {.data = first, .len = sizeof(first)}, v;
	uint64_t last = after;
	for (rc = store_cursor_get(c, STORE_SET_RANGE, &k, &v); rc == 0 && !page_full(&pg);
	     rc = store_cursor_get(c, STORE_NEXT, &k, &v)) {
		Ld__AuditEntry *e = ld__audit_entry__unpack(NULL, v.len, v.data);
		if (!e || k.len != 8) {
			if (e)
				ld__audit_entry__free_unpacked(e, NULL);
			rc = LD_ECORRUPT;
			break;
		}
		pg.scanned++;
		last = store_u64_from(k.data);
		if (e->time_ms >= since_ms && (!member || strcmp(e->member, idno) == 0)) {
			char masked[LD_IDNO_SIZE];
			json_t *row = json_pack("{s:o, s:s, s:i, s:s, s:s, s:s}", "time",
						view_time(e->time_ms), "operator", e->operator_,
						"uid", (int)e->uid, "action", e->action, "member",
						e->member[0] ? idno_mask(e->member, masked) : "",
						"detail", e->detail);
			if (row) {
				page_take(&pg, page_json_bytes(row));
				json_array_append_new(entries, row);
			}
		}
		ld__audit_entry__free_unpacked(e, NULL);
	}
	store_cursor_close(c);
	if (rc == 0) {
		char next[24];
		snprintf(next, sizeof(next), "%llu", (unsigned long long)last);
		json_object_set_new(rq->result, "next", json_string(next));
		return 0;
	}
	if (rc == LD_ENOTFOUND) {
		json_object_set_new(rq->result, "next", json_null());
		return 0;
	}
	return rc;
}

int cmd_verify(struct request *rq, struct store_txn *txn)
{
	struct verify_result r;
	int rc = eventlog_verify(txn, &r);
	if (rc)
		return rc;
	json_object_set_new(rq->result, "ok", json_boolean(r.ok));
	json_object_set_new(rq->result, "entries", json_integer((json_int_t)r.entries));
	json_object_set_new(rq->result, "first_bad",
			    r.first_bad ? json_integer((json_int_t)r.first_bad) : json_null());
	if (r.problem)
		json_object_set_new(rq->result, "problem", json_string(r.problem));
	return 0;
}
