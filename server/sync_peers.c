/*
 * sync_peers.c: the registry of pinned peers (from the store's `peers` and the config's [peer]
 * sections, re-read by sync_reload), their links, the key a peer presents stored the first time,
 * and what each peer acknowledged of our log saved in its cursor (at most a second late, and at
 * stop), so that `status` knows it after a restart, before the Hello.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "logging.h"
#include "sync_internal.h"
#include "syncapply.h"
#include "writer.h"
#include "lderr.h"

void peer_error(struct sync_peer *p, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(p->last_error, sizeof(p->last_error), fmt, ap);
	va_end(ap);
}

/* ---------------------------------------------------------------------------------------------- */
/* Links                                                                                          */

void link_unref(struct link *l)
{
	if (--l->refs > 0 || l->conn)
		return;
	struct link **pp = &l->sync->links;
	while (*pp && *pp != l)
		pp = &(*pp)->next;
	if (*pp)
		*pp = l->next;
	free(l);
}

struct link *link_new(struct sync *s)
{
	struct link *l = calloc(1, sizeof(*l));
	if (!l)
		return NULL;
	l->sync = s;
	l->refs = 1; /* the connection's */
	l->opened_ms = l->last_rx_ms = l->last_tx_ms = clock_mono_ms();
	l->next = s->links;
	s->links = l;
	return l;
}

int link_send(struct link *l, const Ld__Envelope *env)
{
	if (!l->conn)
		return -EPIPE;
	l->last_tx_ms = clock_mono_ms();
	return peer_conn_send(l->conn, env);
}

void link_close(struct link *l, Ld__CloseCode code, const char *reason)
{
	if (l->conn)
		peer_conn_close(l->conn, code, reason, true);
}

/* ---------------------------------------------------------------------------------------------- */
/* Peers                                                                                          */

struct sync_peer *peer_by_id(struct sync *s, const uint8_t *id)
{
	for (struct sync_peer *p = s->peers; p; p = p->next) {
		if (p->present && memcmp(p->id, id, LD_SITE_ID_BYTES) == 0)
			return p;
	}
	return NULL;
}

struct sync_peer *peer_by_name(struct sync *s, const char *name)
{
	for (struct sync_peer *p = s->peers; p; p = p->next) {
		if (strcmp(p->name, name) == 0)
			return p;
	}
	return NULL;
}

/* Store the peer's public key the first time we see it (for `pubkey PEER` and its documents). */
struct key_job {
	struct writer_job job;
	char name[LD_NAME_MAX];
	uint8_t *spki;
	size_t len;
};

static int key_run(struct writer_job *job, struct store_txn *txn)
{
	struct key_job *k = (struct key_job *)job;
	struct store_val v;
	int rc = store_get(txn, TBL_PEERS, k->name, strlen(k->name), &v);
	if (rc)
		return rc == LD_ENOTFOUND ? 0 : rc; /* a peer from the config file only */
	Ld__PeerRecord *rec = ld__peer_record__unpack(NULL, v.len, v.data);
	if (!rec)
		return LD_ECORRUPT;
	rc = 0;
	if (!rec->public_key.len) {
		ProtobufCBinaryData own = rec->public_key;
		rec->public_key.data = k->spki;
		rec->public_key.len = k->len;
		size_t len = ld__peer_record__get_packed_size(rec);
		uint8_t *buf = malloc(len);
		if (buf) {
			ld__peer_record__pack(rec, buf);
			rc = store_put(txn, TBL_PEERS, k->name, strlen(k->name), buf, len, 0);
			free(buf);
		} else {
			rc = -ENOMEM;
		}
		rec->public_key = own;
	}
	ld__peer_record__free_unpacked(rec, NULL);
	return rc;
}

static void key_done(struct writer_job *job)
{
	struct key_job *k = (struct key_job *)job;
	free(k->spki);
	free(k);
}

void peer_store_key(struct sync_peer *p, const uint8_t *spki, size_t len)
{
	if (p->key_known)
		return;
	struct key_job *k = calloc(1, sizeof(*k));
	if (!k || !(k->spki = malloc(len))) {
		free(k);
		return;
	}
	memcpy(k->spki, spki, len);
	k->len = len;
	snprintf(k->name, sizeof(k->name), "%s", p->name);
	k->job.run = key_run;
	k->job.done = key_done;
	p->key_known = true;
	writer_submit(p->sync->d->writer, &k->job);
}

/* ---------------------------------------------------------------------------------------------- */
/* The peer's acknowledgement, kept in its cursor                                                 */

struct ack_job {
	struct writer_job job;
	struct sync *sync;
	uint8_t peer[LD_SITE_ID_BYTES];
	uint8_t log_id[LD_LOG_ID_BYTES];
	uint64_t seq;
};

static int ack_run(struct writer_job *job, struct store_txn *txn)
{
	struct ack_job *a = (struct ack_job *)job;
	Ld__SyncCursor *c;
	int rc = cursor_get(txn, a->peer, &c);
	if (rc)
		return rc;
	ProtobufCBinaryData own = c->our_log_id;
	c->acked_seq = a->seq;
	c->our_log_id.data = a->log_id; /* borrowed until cursor_put below */
	c->our_log_id.len = LD_LOG_ID_BYTES;
	rc = cursor_put(txn, a->peer, c);
	c->our_log_id = own; /* freed with C */
	ld__sync_cursor__free_unpacked(c, NULL);
	return rc;
}

void peer_save_ack(struct sync_peer *p);

/* Loop thread. The sync struct outlives the writer's jobs (sync_free comes after writer_stop). */
static void ack_done(struct writer_job *job)
{
	struct ack_job *a = (struct ack_job *)job;
	struct sync_peer *p = peer_by_id(a->sync, a->peer);
	uint64_t seq = a->seq;
	int result = job->result;
	free(a);
	if (!p)
		return;
	p->saving_ack = false;
	if (result == 0) {
		p->acked_saved = seq;
		if (p->sync->stopping)
			peer_save_ack(p); /* it moved while this was written: the last value too */
	}
}

/* Write P's acked_seq to its cursor if it moved since last written. */
void peer_save_ack(struct sync_peer *p)
{
	if (p->saving_ack || p->acked_seq == p->acked_saved)
		return;
	struct ack_job *a = calloc(1, sizeof(*a));
	if (!a)
		return;
	a->sync = p->sync;
	memcpy(a->peer, p->id, LD_SITE_ID_BYTES);
	memcpy(a->log_id, p->sync->log_id, LD_LOG_ID_BYTES);
	a->seq = p->acked_seq;
	a->job.run = ack_run;
	a->job.done = ack_done;
	p->saving_ack = true;
	writer_submit(p->sync->d->writer, &a->job);
}

/* What P had acknowledged of our log when the daemon last ran (nothing if of another log). */
static void peer_load_ack(struct sync_peer *p)
{
	struct store_txn *txn;
	Ld__SyncCursor *c;
	if (store_begin(p->sync->d->store, false, &txn) != 0)
		return;
	if (cursor_get(txn, p->id, &c) == 0) {
		if (c->our_log_id.len == LD_LOG_ID_BYTES &&
		    memcmp(c->our_log_id.data, p->sync->log_id, LD_LOG_ID_BYTES) == 0)
			p->acked_seq = p->acked_saved = c->acked_seq;
		ld__sync_cursor__free_unpacked(c, NULL);
	}
	store_abort(txn);
}

/* Add or update the peer NAME; mark it listed, and present (dialing it) if it was not. */
static void peer_upsert(struct sync *s, const char *name, const uint8_t *id, const char *address,
			bool key_known)
{
	struct sync_peer *p = peer_by_name(s, name);
	if (p && memcmp(p->id, id, LD_SITE_ID_BYTES) != 0) {
		/* Same name, another site: the old entry is dropped below, unlisted and renamed. */
		p->name[0] = '\0';
		p = NULL;
	}
	if (!p) {
		p = calloc(1, sizeof(*p));
		if (!p)
			return;
		p->sync = s;
		snprintf(p->name, sizeof(p->name), "%s", name);
		memcpy(p->id, id, LD_SITE_ID_BYTES);
		peer_load_ack(p);
		uv_timer_init(s->d->loop, &p->dial_timer);
		p->dial_timer.data = p;
		p->next = s->peers;
		s->peers = p;
	}
	p->listed = true;
	p->key_known = p->key_known || key_known;
	if (strcmp(p->address, address) != 0) {
		snprintf(p->address, sizeof(p->address), "%s", address);
		p->backoff_ms = 0;
	}
	if (!p->present) {
		p->present = true;
		p->state = PEER_DOWN;
		p->last_error[0] = '\0';
		peer_dial(p);
	}
}

void sync_reload(struct sync *s)
{
	if (s->stopping)
		return;
	for (struct sync_peer *p = s->peers; p; p = p->next)
		p->listed = false;
	struct store_txn *txn;
	if (store_begin(s->d->store, false, &txn) == 0) {
		struct store_cursor *c;
		if (store_cursor_open(txn, TBL_PEERS, &c) == 0) {
			struct store_val k, v;
			for (int rc = store_cursor_get(c, STORE_FIRST, &k, &v); rc == 0;
			     rc = store_cursor_get(c, STORE_NEXT, &k, &v)) {
				Ld__PeerRecord *r = ld__peer_record__unpack(NULL, v.len, v.data);
				if (!r)
					continue;
				if (r->site_id.len == LD_SITE_ID_BYTES)
					peer_upsert(s, r->name, r->site_id.data, r->address,
						    r->public_key.len > 0);
				ld__peer_record__free_unpacked(r, NULL);
			}
			store_cursor_close(c);
		}
		store_abort(txn);
	}
	for (size_t i = 0; i < s->d->config.n_peers; i++) {
		const struct config_peer *cp = &s->d->config.peers[i];
		bool taken = false;
		for (struct sync_peer *p = s->peers; p; p = p->next)
			taken =
			    taken || (p->listed && (strcmp(p->name, cp->name) == 0 ||
						    memcmp(p->id, cp->id, LD_SITE_ID_BYTES) == 0));
		if (!taken) /* `peer add` wins over the file */
			peer_upsert(s, cp->name, cp->id, cp->address, false);
	}
	/* Peers no longer listed: drop their connections. */
	for (struct sync_peer *p = s->peers; p; p = p->next) {
		if (p->listed || !p->present)
			continue;
		p->present = false;
		p->key_known = false; /* its record is gone: added again, it learns the key again */
		uv_timer_stop(&p->dial_timer);
		if (p->link)
			link_close(p->link, LD__CLOSE_CODE__PEER_REMOVED, "peer removed here");
		if (p->dialing)
			link_close(p->dialing, LD__CLOSE_CODE__PEER_REMOVED, "peer removed here");
	}
}

int sync_resync(struct sync *s, const char *name)
{
	struct sync_peer *p = peer_by_name(s, name);
	if (!p || !p->present)
		return LD_ENOTFOUND;
	p->acked_seq = 0;
	p->sent_seq = 0;
	p->inflight = 0;
	log_info("sync: %s: resending everything that concerns it", p->name);
	peer_fill(p);
	return 0;
}
