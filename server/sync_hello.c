/*
 * sync_hello.c: from a finished TLS handshake to a link in use. The peer's key must hash to a
 * pinned site id (else Close NOT_PINNED); of two connections between the same two sites, the one
 * dialed by the site with the smaller id survives (both decide the same way, each on its own;
 * the other is closed with DUPLICATE_CONNECTION). Then Hello both ways: the highest protocol
 * version both speak (protover.h; none: Close PROTOCOL_MISMATCH), the logs and cursors, from which
 * sending resumes (a peer that follows another log of ours, or claims a seq we never wrote, gets
 * everything again).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "logging.h"
#include "sync_internal.h"
#include "protover.h"
#include "syncapply.h"

static void send_hello(struct link *l)
{
	struct sync *s = l->sync;
	struct sync_peer *p = l->peer;
	struct store_txn *txn;
	struct eventlog_head head = {0};
	Ld__SyncCursor *cur = NULL;
	if (store_begin(s->d->store, false, &txn) == 0) {
		eventlog_head(txn, &head);
		cursor_get(txn, p->id, &cur);
		store_abort(txn);
	}
	Ld__Hello h = LD__HELLO__INIT;
	h.site_id.data = s->d->site_id;
	h.site_id.len = LD_SITE_ID_BYTES;
	h.name = s->d->config.name;
	h.protocol = LD_PROTOCOL_MAX; /* what a version-1 site reads */
	h.protocol_min = LD_PROTOCOL_MIN;
	h.protocol_max = LD_PROTOCOL_MAX;
	h.software = "liudongd " LD_VERSION;
	h.wall_clock_ms = clock_now_ms();
	h.log_id.data = s->log_id;
	h.log_id.len = LD_LOG_ID_BYTES;
	h.head_seq = head.seq;
	if (cur) {
		h.peer_log_id = cur->peer_log_id;
		h.peer_applied_seq = cur->applied_seq;
		p->applied_seq = cur->applied_seq;
	}
	Ld__Envelope env = LD__ENVELOPE__INIT;
	env.msg_case = LD__ENVELOPE__MSG_HELLO;
	env.hello = &h;
	link_send(l, &env);
	if (cur)
		ld__sync_cursor__free_unpacked(cur, NULL);
}

void link_ready(struct peer_conn *c, const uint8_t *spki, size_t len)
{
	struct link *l = peer_conn_data(c);
	struct sync *s = l->sync;
	uint8_t id[LD_SITE_ID_BYTES];
	char text[LD_SITE_ID_TEXT], why[400];
	if (siteid_from_spki(spki, len, id) != 0) {
		peer_conn_close(c, LD__CLOSE_CODE__NOT_PINNED, "cannot compute the site id", true);
		return;
	}
	siteid_format(id, text);
	struct sync_peer *p = peer_by_id(s, id);
	if (l->peer && l->peer != p) {
		/* We dialed NAME's address and found another site there. */
		snprintf(why, sizeof(why), "the site at %s has id %s, not the id pinned for %s",
			 l->peer->address, text, l->peer->name);
		peer_error(l->peer, "%s", why);
		log_warn("sync: %s", why);
		peer_conn_close(c, LD__CLOSE_CODE__NOT_PINNED, why, true);
		return;
	}
	if (!p) {
		snprintf(why, sizeof(why),
			 "site %s is not pinned at %s; its operators must run "
			 "liudong peer add with this id",
			 text, s->d->config.name);
		log_warn("sync: refused a connection from %s: %s", peer_conn_remote(c), why);
		peer_conn_close(c, LD__CLOSE_CODE__NOT_PINNED, why, true);
		return;
	}
	l->peer = p;
	if (p->dialing == l)
		p->dialing = NULL;
	if (p->link && p->link != l) {
		/* Two connections: keep the one dialed by the site with the smaller id. */
		bool we_are_smaller = memcmp(s->d->site_id, p->id, LD_SITE_ID_BYTES) < 0;
		bool keep_new = peer_conn_dialed(c) == we_are_smaller;
		if (!keep_new) {
			l->peer = NULL;
			peer_conn_close(c, LD__CLOSE_CODE__DUPLICATE_CONNECTION,
					"duplicate connection", true);
			return;
		}
		struct link *old = p->link;
		p->link = NULL;
		old->peer = NULL;
		link_close(old, LD__CLOSE_CODE__DUPLICATE_CONNECTION, "duplicate connection");
	}
	p->link = l;
	p->inflight = 0;
	p->state = PEER_HANDSHAKING;
	peer_store_key(p, spki, len);
	send_hello(l);
}

void hello_judge(const Ld__Hello *h, const uint8_t peer_id[LD_SITE_ID_BYTES],
		 const uint8_t our_log[LD_LOG_ID_BYTES], uint64_t our_head, int64_t now_ms,
		 struct hello_verdict *v)
{
	struct proto_range ours = {LD_PROTOCOL_MIN, LD_PROTOCOL_MAX};
	memset(v, 0, sizeof(*v));
	v->theirs = proto_range_of_hello(h->protocol, h->protocol_min, h->protocol_max);
	v->version = proto_negotiate(ours, v->theirs);
	v->same_site = h->site_id.len == LD_SITE_ID_BYTES &&
		       memcmp(h->site_id.data, peer_id, LD_SITE_ID_BYTES) == 0;
	/* The peer's clock may be anything: saturate, and keep -skew_ms defined (fuzz_peer). */
	if (__builtin_sub_overflow(h->wall_clock_ms, now_ms, &v->skew_ms))
		v->skew_ms = h->wall_clock_ms < 0 ? -INT64_MAX : INT64_MAX;
	else if (v->skew_ms == INT64_MIN)
		v->skew_ms = -INT64_MAX;
	v->knows_our_log = h->peer_log_id.len == LD_LOG_ID_BYTES &&
			   memcmp(h->peer_log_id.data, our_log, LD_LOG_ID_BYTES) == 0;
	v->other_log = !v->knows_our_log && h->peer_log_id.len;
	v->acked = v->knows_our_log ? h->peer_applied_seq : 0;
	if (v->acked > our_head) {
		v->beyond_head = true;
		v->acked = 0;
	}
}

void peer_note_clock(struct sync_peer *p, int64_t theirs_ms, int64_t now_ms)
{
	if (__builtin_sub_overflow(theirs_ms, now_ms, &p->skew_ms) || p->skew_ms == INT64_MIN)
		p->skew_ms = theirs_ms < 0 ? -INT64_MAX : INT64_MAX;
	p->skew_known = true;
}

void on_hello(struct link *l, const Ld__Hello *h)
{
	struct sync *s = l->sync;
	struct sync_peer *p = l->peer;
	struct proto_range ours = {LD_PROTOCOL_MIN, LD_PROTOCOL_MAX};
	struct store_txn *txn;
	struct eventlog_head head = {0};
	if (store_begin(s->d->store, false, &txn) == 0) {
		eventlog_head(txn, &head);
		store_abort(txn);
	}
	struct hello_verdict v;
	hello_judge(h, p->id, s->log_id, head.seq, clock_now_ms(), &v);
	if (!v.version) {
		char why[400], a[32], b[32];
		snprintf(why, sizeof(why),
			 "no protocol version in common: %s speaks %s, %s speaks %s; upgrade the "
			 "older site",
			 s->d->config.name, proto_range_format(ours, a, sizeof(a)), p->name,
			 proto_range_format(v.theirs, b, sizeof(b)));
		log_warn("sync: %s", why);
		p->state = PEER_REFUSED;
		p->refused_code = LD__CLOSE_CODE__PROTOCOL_MISMATCH;
		link_close(l, LD__CLOSE_CODE__PROTOCOL_MISMATCH, why);
		return;
	}
	l->protocol = v.version;
	if (!v.same_site) {
		link_close(l, LD__CLOSE_CODE__NOT_PINNED,
			   "Hello names another site than the certificate");
		return;
	}
	p->skew_known = h->wall_clock_ms != 0; /* 0: a site that does not send its clock */
	p->skew_ms = v.skew_ms;
	if (p->skew_known && (v.skew_ms > SKEW_WARN_MS || v.skew_ms < -SKEW_WARN_MS))
		log_warn("sync: %s: its clock is %lld s %s ours", p->name,
			 (long long)(v.skew_ms > 0 ? v.skew_ms : -v.skew_ms) / 1000,
			 v.skew_ms > 0 ? "ahead of" : "behind");
	if (v.beyond_head)
		log_error("sync: %s claims to have applied our seq %llu but our log ends at %llu: "
			  "resending everything",
			  p->name, (unsigned long long)h->peer_applied_seq,
			  (unsigned long long)head.seq);
	if (v.other_log)
		log_warn("sync: %s follows another log of ours: resending everything", p->name);
	uint64_t acked = v.acked;
	p->acked_seq = p->sent_seq = acked;
	p->their_head = h->head_seq;
	p->inflight = 0;
	p->backoff_ms = 0;
	p->last_error[0] = '\0';
	p->refused_code = LD__CLOSE_CODE__CLOSE_UNSPECIFIED;
	l->hello_done = true;
	log_info("sync: %s (%s) connected: it has our log to %llu, we have its log to %llu",
		 p->name, peer_conn_remote(l->conn), (unsigned long long)acked,
		 (unsigned long long)p->applied_seq);
	peer_fill(p);
}
