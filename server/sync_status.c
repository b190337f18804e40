/*
 * sync_status.c: what `liudong status` shows of each peer: state, last contact, our head and what
 * it acknowledged, its head and what we applied, lag, quarantined, last error.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "logging.h"
#include "sync_internal.h"
#include "utf8.h"
#include "syncapply.h"
#include "view.h"

const char *const sync_state_names[] = {"down",	       "connecting", "handshaking",
					"catching up", "live",	     "refused"};

/* Quarantined events from PEER. */
static uint64_t quarantined_from(struct store_txn *txn, const uint8_t *peer)
{
	struct store_cursor *c;
	if (store_cursor_open(txn, TBL_QUARANTINE, &c) != 0)
		return 0;
	uint64_t n = 0;
	struct store_val k, v;
	for (int rc = store_cursor_get(c, STORE_FIRST, &k, &v); rc == 0;
	     rc = store_cursor_get(c, STORE_NEXT, &k, &v)) {
		Ld__Quarantined *q = ld__quarantined__unpack(NULL, v.len, v.data);
		if (q && q->origin.len == LD_SITE_ID_BYTES &&
		    memcmp(q->origin.data, peer, LD_SITE_ID_BYTES) == 0)
			n++;
		if (q)
			ld__quarantined__free_unpacked(q, NULL);
	}
	store_cursor_close(c);
	return n;
}

json_t *sync_status(struct sync *s)
{
	json_t *list = json_array();
	struct store_txn *txn;
	if (store_begin(s->d->store, false, &txn) != 0)
		return list;
	struct eventlog_head head = {0};
	eventlog_head(txn, &head);
	for (struct sync_peer *p = s->peers; p; p = p->next) {
		if (!p->present)
			continue;
		Ld__SyncCursor *cur = NULL;
		uint64_t applied = p->applied_seq;
		if (cursor_get(txn, p->id, &cur) == 0) {
			applied = cur->applied_seq;
			ld__sync_cursor__free_unpacked(cur, NULL);
		}
		char text[LD_SITE_ID_TEXT];
		json_t *o = json_object();
		json_object_set_new(o, "name", json_string(p->name));
		json_object_set_new(o, "site_id", json_string(siteid_format(p->id, text)));
		json_object_set_new(o, "address", json_string(p->address));
		json_object_set_new(o, "state", json_string(sync_state_names[p->state]));
		json_object_set_new(o, "last_contact",
				    p->last_contact_ms ? view_time(p->last_contact_ms)
						       : json_null());
		json_object_set_new(o, "head_seq", json_integer((json_int_t)head.seq));
		json_object_set_new(o, "acked_seq", json_integer((json_int_t)p->acked_seq));
		json_object_set_new(o, "their_head_seq", json_integer((json_int_t)p->their_head));
		json_object_set_new(o, "applied_seq", json_integer((json_int_t)applied));
		json_object_set_new(o, "lag",
				    json_integer((json_int_t)peer_lag_exact(p, txn, head.seq)));
		json_object_set_new(o, "quarantined",
				    json_integer((json_int_t)quarantined_from(txn, p->id)));
		char error[sizeof(p->last_error)];
		snprintf(error, sizeof(error), "%s", p->last_error); /* a peer's words: anything */
		json_object_set_new(o, "last_error",
				    error[0] ? json_string(utf8_one_line(error)) : json_null());
		json_array_append_new(list, o);
	}
	store_abort(txn);
	return list;
}

int sync_report(struct sync *s, struct store_txn *txn, struct sync_peer_report **out, size_t *n)
{
	size_t count = 0;
	*out = NULL;
	*n = 0;
	for (struct sync_peer *p = s->peers; p; p = p->next)
		count += p->present;
	if (!count)
		return 0;
	struct sync_peer_report *list = calloc(count, sizeof(*list));
	if (!list)
		return -ENOMEM;
	struct eventlog_head head = {0};
	eventlog_head(txn, &head);
	size_t i = 0;
	for (struct sync_peer *p = s->peers; p && i < count; p = p->next) {
		if (!p->present)
			continue;
		struct sync_peer_report *r = &list[i++];
		snprintf(r->name, sizeof(r->name), "%s", p->name);
		snprintf(r->address, sizeof(r->address), "%s", p->address);
		r->state = sync_state_names[p->state];
		r->linked = p->link && p->link->hello_done;
		r->connected_once = p->last_contact_ms != 0;
		r->unpinned =
		    p->state == PEER_REFUSED && p->refused_code == LD__CLOSE_CODE__NOT_PINNED;
		r->incompatible = p->state == PEER_REFUSED &&
				  p->refused_code == LD__CLOSE_CODE__PROTOCOL_MISMATCH;
		snprintf(r->last_error, sizeof(r->last_error), "%s", p->last_error);
		r->skew_known = p->skew_known;
		r->skew_ms = p->skew_ms;
		r->lag = peer_lag_exact(p, txn, head.seq);
		uint64_t applied = p->applied_seq;
		Ld__SyncCursor *cur = NULL;
		if (cursor_get(txn, p->id, &cur) == 0) {
			applied = cur->applied_seq;
			ld__sync_cursor__free_unpacked(cur, NULL);
		}
		r->behind = p->their_head > applied ? p->their_head - applied : 0;
	}
	*out = list;
	*n = i;
	return 0;
}
