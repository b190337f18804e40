/*
 * sync.c: see sync.h.
 *
 * A `sync_peer` is a pinned site (from `liudong peer add` or a [peer] section); it lives until the
 * daemon stops, even if removed (then it is only marked absent). A `link` is one connection's sync
 * state; it is freed when its connection has closed and no writer job refers to it any more.
 *
 * Which connection survives when both sites dial each other: the one dialed by the site with the
 * smaller id; both sides decide the same way, each on its own.
 *
 * Sender: our events that concern a peer are keyed in `outbox` by (peer id, local seq). A batch
 * covers (sent_seq, last event's seq] and holds those events' committed bytes. At most WINDOW
 * batches are unacknowledged; an Ack moves acked_seq; after a reconnect the peer's Hello says what
 * it applied, and sending resumes from there. acked_seq is also kept in the peer's cursor (at most
 * a second late, and at stop), so that `status` knows it after a restart, before the Hello.
 * Receiver: a batch goes to the writer as one job (sync_apply_batch: events, quarantine and the
 * cursor in one transaction); the Ack is sent from the job's done callback, after the commit.
 */
#include "sync.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "daemon.h"
#include "eventlog.h"
#include "logging.h"
#include "peerconn.h"
#include "protover.h"
#include "syncapply.h"
#include "tls.h"
#include "view.h"
#include "writer.h"

#define WINDOW		 4	    /* unacknowledged batches per peer */
#define BATCH_EVENTS	 4096	    /* events per batch, at most */
#define BATCH_BYTES	 (2u << 20) /* bytes of events per batch, at most */
#define MAX_APPLYING	 4	    /* batches at the writer before reading pauses */
#define MAX_QUEUED	 (8u << 20) /* bytes queued to a socket before sending pauses */
#define HELLO_TIMEOUT_MS 20000
#define PING_IDLE_MS	 90000
#define SILENCE_MS	 300000
#define BACKOFF_MIN_MS	 1000
#define BACKOFF_MAX_MS	 300000
#define SKEW_WARN_MS	 (5 * 60 * 1000)
#define MAX_REPORTED	 4096 /* quarantined events taken from one Ack */

enum peer_state {
	PEER_DOWN = 0,
	PEER_CONNECTING,
	PEER_HANDSHAKING,
	PEER_CATCHING_UP,
	PEER_LIVE,
	PEER_REFUSED,
};

static const char *state_names[] = {"down",	   "connecting", "handshaking",
				    "catching up", "live",	 "refused"};

struct link;

struct sync_peer {
	struct sync *sync;
	struct sync_peer *next;
	char name[LD_NAME_MAX];
	uint8_t id[LD_SITE_ID_BYTES];
	char address[LD_NAME_MAX];
	bool present;	/* in the current list of peers */
	bool listed;	/* seen while re-reading the list (sync_reload) */
	bool key_known; /* its public key is stored */
	enum peer_state state;
	char last_error[256];
	int64_t last_contact_ms;
	struct link *link;    /* the connection in use (identified), or NULL */
	struct link *dialing; /* our own dial in progress, not yet identified */
	uv_timer_t dial_timer;
	unsigned backoff_ms;
	/* Sender: our log as the peer has it. */
	uint64_t acked_seq, sent_seq;
	uint64_t acked_saved; /* acked_seq as last written to the peer's cursor */
	bool saving_ack;      /* a writer job is writing it */
	/* `status`: lag_count outbox entries in (lag_from, lag_to], if lag_known */
	uint64_t lag_from, lag_to, lag_count;
	bool lag_known;
	unsigned inflight;
	/* Receiver: the peer's log as we have it. */
	uint64_t applied_seq, their_head;
};

struct link {
	struct sync *sync;
	struct link *next;
	struct peer_conn *conn; /* NULL once closed */
	struct sync_peer *peer; /* once identified */
	bool hello_done;
	int64_t opened_ms, last_rx_ms, last_tx_ms;
	unsigned applying;
	unsigned refs;	   /* writer jobs holding the link */
	bool was_current;  /* it was its peer's link when it began to close */
	unsigned protocol; /* the version both sides speak, once Hello is done */
};

struct sync {
	struct daemon *d;
	struct tls_ctx *tls;
	uv_tcp_t listener;
	bool listening;
	uv_timer_t tick;
	struct sync_peer *peers;
	struct link *links;
	uint8_t log_id[LD_LOG_ID_BYTES];
	bool stopping;
	unsigned closing_handles;
	void (*stop_cb)(void *data);
	void *stop_data;
};

static const struct peer_conn_ops link_ops;

static int64_t now_ms(void)
{
	return view_now_ms();
}

static void peer_error(struct sync_peer *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void peer_error(struct sync_peer *p, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(p->last_error, sizeof(p->last_error), fmt, ap);
	va_end(ap);
}

/* ---------------------------------------------------------------------------------------------- */
/* Links                                                                                          */

static void link_unref(struct link *l)
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

static struct link *link_new(struct sync *s)
{
	struct link *l = calloc(1, sizeof(*l));
	if (!l)
		return NULL;
	l->sync = s;
	l->refs = 1; /* the connection's */
	l->opened_ms = l->last_rx_ms = l->last_tx_ms = now_ms();
	l->next = s->links;
	s->links = l;
	return l;
}

static int link_send(struct link *l, const Ld__Envelope *env)
{
	if (!l->conn)
		return -EPIPE;
	l->last_tx_ms = now_ms();
	return peer_conn_send(l->conn, env);
}

static void link_close(struct link *l, Ld__CloseCode code, const char *reason)
{
	if (l->conn)
		peer_conn_close(l->conn, code, reason, true);
}

/* ---------------------------------------------------------------------------------------------- */
/* Peers                                                                                          */

static struct sync_peer *peer_by_id(struct sync *s, const uint8_t *id)
{
	for (struct sync_peer *p = s->peers; p; p = p->next) {
		if (p->present && memcmp(p->id, id, LD_SITE_ID_BYTES) == 0)
			return p;
	}
	return NULL;
}

static struct sync_peer *peer_by_name(struct sync *s, const char *name)
{
	for (struct sync_peer *p = s->peers; p; p = p->next) {
		if (strcmp(p->name, name) == 0)
			return p;
	}
	return NULL;
}

static void peer_dial(struct sync_peer *p);

static void on_dial_timer(uv_timer_t *t)
{
	peer_dial(t->data);
}

/* Try again later: capped exponential backoff with ±25% jitter. */
static void peer_schedule(struct sync_peer *p)
{
	if (p->sync->stopping || !p->present || !p->address[0] || p->link || p->dialing)
		return;
	unsigned base = p->backoff_ms ? p->backoff_ms : BACKOFF_MIN_MS;
	unsigned jitter = base / 4;
	unsigned delay = base - jitter + (jitter ? (unsigned)(rand() % (int)(2 * jitter + 1)) : 0);
	p->backoff_ms = base * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : base * 2;
	uv_timer_start(&p->dial_timer, on_dial_timer, delay, 0);
}

static void peer_dial(struct sync_peer *p)
{
	struct sync *s = p->sync;
	if (s->stopping || !p->present || !p->address[0] || p->link || p->dialing)
		return;
	struct link *l = link_new(s);
	if (!l)
		return;
	l->peer = p;
	int rc = peer_conn_dial(s->d->loop, s->tls, p->address, &link_ops, l, &l->conn);
	if (rc) {
		peer_error(p, "cannot dial %s: %s", p->address, uv_strerror(rc));
		l->conn = NULL;
		link_unref(l);
		peer_schedule(p);
		return;
	}
	p->dialing = l;
	if (p->state != PEER_REFUSED)
		p->state = PEER_CONNECTING;
}

/* P's outbox entries with FROM < seq <= TO, counted up to LIMIT. */
static uint64_t outbox_count(struct sync_peer *p, struct store_txn *txn, uint64_t from, uint64_t to,
			     uint64_t limit)
{
	struct store_cursor *c;
	if (from >= to || store_cursor_open(txn, TBL_OUTBOX, &c) != 0)
		return 0;
	uint8_t key[LD_SITE_ID_BYTES + 8];
	memcpy(key, p->id, LD_SITE_ID_BYTES);
	store_u64_key(from + 1, key + LD_SITE_ID_BYTES);
	struct store_val k = {.data = key, .len = sizeof(key)};
	uint64_t n = 0;
	for (int rc = store_cursor_get(c, STORE_SET_RANGE, &k, NULL); rc == 0 && n < limit;
	     rc = store_cursor_get(c, STORE_NEXT, &k, NULL)) {
		if (k.len != sizeof(key) || memcmp(k.data, p->id, LD_SITE_ID_BYTES) != 0 ||
		    store_u64_from((const uint8_t *)k.data + LD_SITE_ID_BYTES) > to)
			break;
		n++;
	}
	store_cursor_close(c);
	return n;
}

/* Is there anything of ours the peer has not acknowledged? Counts up to LIMIT. */
static uint64_t peer_lag(struct sync_peer *p, struct store_txn *txn, uint64_t limit)
{
	return outbox_count(p, txn, p->acked_seq, UINT64_MAX, limit);
}

/*
 * The lag `status` shows: P's outbox entries above acked_seq, up to HEAD (our head in TXN).
 * Counted whole once, then moved by what changed since the last count: outbox entries are never
 * removed, and none is added at or below a head already seen. So a peer far behind costs one walk
 * of its backlog, not one per `status`.
 */
static uint64_t peer_lag_exact(struct sync_peer *p, struct store_txn *txn, uint64_t head)
{
	uint64_t acked = p->acked_seq, n;
	if (!p->lag_known || head < p->lag_to || acked > p->lag_to) {
		n = outbox_count(p, txn, acked, head, UINT64_MAX);
	} else {
		n = p->lag_count;
		if (acked >= p->lag_from)
			n -= outbox_count(p, txn, p->lag_from, acked, UINT64_MAX);
		else
			n += outbox_count(p, txn, acked, p->lag_from, UINT64_MAX);
		n += outbox_count(p, txn, p->lag_to, head, UINT64_MAX);
	}
	p->lag_known = true;
	p->lag_from = acked;
	p->lag_to = head;
	p->lag_count = n;
	return n;
}

/* Send batches until the window is full or nothing is left. */
static void peer_fill(struct sync_peer *p)
{
	struct link *l = p->link;
	if (!l || !l->conn || !l->hello_done)
		return;
	struct store_txn *txn;
	if (store_begin(p->sync->d->store, false, &txn) != 0)
		return;
	ProtobufCBinaryData *events = calloc(BATCH_EVENTS, sizeof(*events));
	Ld__LogEntry **entries = calloc(BATCH_EVENTS, sizeof(*entries));
	bool sending = true;
	while (sending && events && entries && p->link == l && p->inflight < WINDOW &&
	       peer_conn_queued(l->conn) < MAX_QUEUED) {
		struct store_cursor *c;
		if (store_cursor_open(txn, TBL_OUTBOX, &c) != 0)
			break;
		uint8_t key[LD_SITE_ID_BYTES + 8];
		memcpy(key, p->id, LD_SITE_ID_BYTES);
		store_u64_key(p->sent_seq + 1, key + LD_SITE_ID_BYTES);
		struct store_val k = {.data = key, .len = sizeof(key)};
		size_t n = 0, bytes = 0;
		uint64_t last = p->sent_seq;
		for (int rc = store_cursor_get(c, STORE_SET_RANGE, &k, NULL);
		     rc == 0 && n < BATCH_EVENTS && bytes < BATCH_BYTES;
		     rc = store_cursor_get(c, STORE_NEXT, &k, NULL)) {
			if (k.len != sizeof(key) || memcmp(k.data, p->id, LD_SITE_ID_BYTES) != 0)
				break;
			uint64_t seq = store_u64_from((const uint8_t *)k.data + LD_SITE_ID_BYTES);
			if (eventlog_read(txn, seq, &entries[n], NULL) != 0)
				break;
			events[n] = entries[n]->event;
			bytes += events[n].len;
			last = seq;
			n++;
		}
		store_cursor_close(c);
		if (n > 0) {
			Ld__EventBatch b = LD__EVENT_BATCH__INIT;
			b.log_id.data = p->sync->log_id;
			b.log_id.len = LD_LOG_ID_BYTES;
			b.prev_seq = p->sent_seq;
			b.last_seq = last;
			b.n_events = n;
			b.events = events;
			Ld__Envelope env = LD__ENVELOPE__INIT;
			env.msg_case = LD__ENVELOPE__MSG_BATCH;
			env.batch = &b;
			if (link_send(l, &env) == 0) {
				p->sent_seq = last;
				p->inflight++;
			} else {
				/* The connection is closing (p->link is cleared): nothing more. */
				sending = false;
			}
		}
		for (size_t i = 0; i < n; i++)
			ld__log_entry__free_unpacked(entries[i], NULL);
		if (n == 0)
			break;
	}
	free(events);
	free(entries);
	if (p->link && p->link->hello_done)
		p->state = peer_lag(p, txn, 1) ? PEER_CATCHING_UP : PEER_LIVE;
	store_abort(txn);
}

/* ---------------------------------------------------------------------------------------------- */
/* Applying a peer's batch through the writer                                                     */

struct apply_job {
	struct writer_job job;
	struct link *link;
	uint8_t peer[LD_SITE_ID_BYTES];
	struct peer_msg *msg;
	struct apply_stats stats;
	const char *why;
	bool careful; /* apply each event in a child transaction (syncapply.h) */
};

/*
 * Writer thread. The fast way first; if an event could not be folded (SYNC_APPLY_AGAIN, which is
 * WRITER_JOB_AGAIN), the writer rolls back what this job wrote and calls it again: then each
 * event is applied in a child transaction, and the one that cannot be folded is quarantined.
 */
static int apply_run(struct writer_job *job, struct store_txn *txn)
{
	struct apply_job *a = (struct apply_job *)job;
	a->why = NULL;
	int rc = sync_apply_batch(txn, a->peer, a->msg->env->batch,
				  a->careful ? SYNC_APPLY_CAREFUL : 0, &a->stats, &a->why);
	if (rc == SYNC_APPLY_AGAIN)
		a->careful = true;
	return rc;
}

_Static_assert(SYNC_APPLY_AGAIN == WRITER_JOB_AGAIN, "the writer reruns what syncapply asks");

/* Send the Ack for batch B, with the events quarantined (ST) if the link speaks version 2. */
static void send_ack(struct link *l, const Ld__EventBatch *b, const struct apply_stats *st)
{
	Ld__Ack ack = LD__ACK__INIT;
	ack.log_id = b->log_id;
	ack.seq = b->last_seq;
	Ld__QuarantinedEvent *items = NULL, **ptrs = NULL;
	if (l->protocol >= 2 && st->n_list) {
		items = calloc(st->n_list, sizeof(*items));
		ptrs = calloc(st->n_list, sizeof(*ptrs));
		if (items && ptrs) {
			for (size_t i = 0; i < st->n_list; i++) {
				ld__quarantined_event__init(&items[i]);
				items[i].seq = st->list[i].seq;
				items[i].reason = (char *)st->list[i].reason;
				ptrs[i] = &items[i];
			}
			ack.n_quarantined = st->n_list;
			ack.quarantined = ptrs;
		}
	}
	Ld__Envelope env = LD__ENVELOPE__INIT;
	env.msg_case = LD__ENVELOPE__MSG_ACK;
	env.ack = &ack;
	link_send(l, &env);
	free(items);
	free(ptrs);
}

static void apply_done(struct writer_job *job)
{
	struct apply_job *a = (struct apply_job *)job;
	struct link *l = a->link;
	Ld__EventBatch *b = a->msg->env->batch;
	struct sync_peer *p = l->peer;
	l->applying--;
	if (l->conn && p && p->link == l) {
		if (job->result == 0) {
			if (b->last_seq > p->applied_seq)
				p->applied_seq = b->last_seq;
			send_ack(l, b, &a->stats);
			if (a->stats.quarantined)
				log_warn(
				    "sync: %s: %llu event(s) quarantined; see liudong conflicts",
				    p->name, (unsigned long long)a->stats.quarantined);
			if (p->link == l && l->applying < MAX_APPLYING)
				peer_conn_pause(l->conn, false);
		} else {
			char why[200];
			snprintf(why, sizeof(why), "cannot apply a batch: %s",
				 job->result == -ERANGE && a->why ? a->why
								  : strerror(-job->result));
			peer_error(p, "%s", why);
			log_warn("sync: %s: %s", p->name, why);
			link_close(l, LD__CLOSE_CODE__BATCH_REFUSED, why);
		}
	}
	apply_stats_free(&a->stats);
	peer_msg_free(a->msg);
	free(a);
	link_unref(l);
}

/* Our events the peer reported it quarantined (Ack.quarantined): kept as conflicts here too. */
struct report_job {
	struct writer_job job;
	uint8_t self[LD_SITE_ID_BYTES];
	uint8_t peer[LD_SITE_ID_BYTES];
	char name[LD_NAME_MAX];
	struct reported_event *list; /* reasons point into `reasons` */
	char *reasons;
	size_t n, added;
};

static int report_run(struct writer_job *job, struct store_txn *txn)
{
	struct report_job *r = (struct report_job *)job;
	return quarantine_add_reported(txn, r->self, r->peer, r->list, r->n, &r->added);
}

static void report_done(struct writer_job *job)
{
	struct report_job *r = (struct report_job *)job;
	if (job->result)
		log_error("sync: %s: cannot record the events it quarantined: %s", r->name,
			  strerror(-job->result));
	else if (r->added)
		log_warn("sync: %s quarantined %zu event(s) of ours; see liudong conflicts",
			 r->name, r->added);
	free(r->list);
	free(r->reasons);
	free(r);
}

/* Record the quarantined entries of ACK (from P; at most MAX_REPORTED, up to ack->seq). */
static void peer_record_reported(struct sync_peer *p, const Ld__Ack *ack)
{
	size_t n = ack->n_quarantined < MAX_REPORTED ? ack->n_quarantined : MAX_REPORTED;
	struct report_job *r = calloc(1, sizeof(*r));
	if (!r || !(r->list = calloc(n, sizeof(*r->list))) ||
	    !(r->reasons = malloc(n * APPLY_REASON_MAX))) {
		if (r)
			free(r->list);
		free(r);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		const Ld__QuarantinedEvent *q = ack->quarantined[i];
		if (!q->seq || q->seq > ack->seq)
			continue; /* not an event of the batch acknowledged */
		char *reason = r->reasons + r->n * APPLY_REASON_MAX;
		snprintf(reason, APPLY_REASON_MAX, "%s", q->reason ? q->reason : "");
		r->list[r->n].seq = q->seq;
		r->list[r->n].reason = reason;
		r->n++;
	}
	memcpy(r->self, p->sync->d->site_id, LD_SITE_ID_BYTES);
	memcpy(r->peer, p->id, LD_SITE_ID_BYTES);
	snprintf(r->name, sizeof(r->name), "%s", p->name);
	r->job.run = report_run;
	r->job.done = report_done;
	writer_submit(p->sync->d->writer, &r->job);
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
		return rc == -ENOENT ? 0 : rc; /* a peer from the config file only */
	Ld__PeerRecord *rec = ld__peer_record__unpack(NULL, v.len, v.data);
	if (!rec)
		return -EBADMSG;
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

static void peer_store_key(struct sync_peer *p, const uint8_t *spki, size_t len)
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

static void peer_save_ack(struct sync_peer *p);

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
static void peer_save_ack(struct sync_peer *p)
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

/* ---------------------------------------------------------------------------------------------- */
/* Connection callbacks                                                                           */

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
	h.wall_clock_ms = now_ms();
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

static void link_ready(struct peer_conn *c, const uint8_t *spki, size_t len)
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

static void on_hello(struct link *l, const Ld__Hello *h)
{
	struct sync *s = l->sync;
	struct sync_peer *p = l->peer;
	struct proto_range ours = {LD_PROTOCOL_MIN, LD_PROTOCOL_MAX};
	struct proto_range theirs =
	    proto_range_of_hello(h->protocol, h->protocol_min, h->protocol_max);
	uint32_t version = proto_negotiate(ours, theirs);
	if (!version) {
		char why[400], a[32], b[32];
		snprintf(why, sizeof(why),
			 "no protocol version in common: %s speaks %s, %s speaks %s; upgrade the "
			 "older site",
			 s->d->config.name, proto_range_format(ours, a, sizeof(a)), p->name,
			 proto_range_format(theirs, b, sizeof(b)));
		log_warn("sync: %s", why);
		p->state = PEER_REFUSED;
		link_close(l, LD__CLOSE_CODE__PROTOCOL_MISMATCH, why);
		return;
	}
	l->protocol = version;
	if (h->site_id.len != LD_SITE_ID_BYTES ||
	    memcmp(h->site_id.data, p->id, LD_SITE_ID_BYTES)) {
		link_close(l, LD__CLOSE_CODE__NOT_PINNED,
			   "Hello names another site than the certificate");
		return;
	}
	int64_t skew = h->wall_clock_ms - now_ms();
	if (skew > SKEW_WARN_MS || skew < -SKEW_WARN_MS)
		log_warn("sync: %s: its clock is %lld s %s ours", p->name,
			 (long long)(skew > 0 ? skew : -skew) / 1000,
			 skew > 0 ? "ahead of" : "behind");
	struct store_txn *txn;
	struct eventlog_head head = {0};
	if (store_begin(s->d->store, false, &txn) == 0) {
		eventlog_head(txn, &head);
		store_abort(txn);
	}
	bool knows_our_log = h->peer_log_id.len == LD_LOG_ID_BYTES &&
			     memcmp(h->peer_log_id.data, s->log_id, LD_LOG_ID_BYTES) == 0;
	uint64_t acked = knows_our_log ? h->peer_applied_seq : 0;
	if (acked > head.seq) {
		log_error("sync: %s claims to have applied our seq %llu but our log ends at %llu: "
			  "resending everything",
			  p->name, (unsigned long long)acked, (unsigned long long)head.seq);
		acked = 0;
	}
	if (!knows_our_log && h->peer_log_id.len)
		log_warn("sync: %s follows another log of ours: resending everything", p->name);
	p->acked_seq = p->sent_seq = acked;
	p->their_head = h->head_seq;
	p->inflight = 0;
	p->backoff_ms = 0;
	p->last_error[0] = '\0';
	l->hello_done = true;
	log_info("sync: %s (%s) connected: it has our log to %llu, we have its log to %llu",
		 p->name, peer_conn_remote(l->conn), (unsigned long long)acked,
		 (unsigned long long)p->applied_seq);
	peer_fill(p);
}

static void on_batch(struct link *l, struct peer_msg *m)
{
	struct apply_job *a = calloc(1, sizeof(*a));
	if (!a) {
		peer_msg_free(m);
		link_close(l, LD__CLOSE_CODE__INTERNAL_ERROR, "out of memory");
		return;
	}
	a->link = l;
	l->refs++;
	memcpy(a->peer, l->peer->id, LD_SITE_ID_BYTES);
	a->msg = m;
	a->job.run = apply_run;
	a->job.done = apply_done;
	if (m->env->batch->last_seq > l->peer->their_head)
		l->peer->their_head = m->env->batch->last_seq;
	if (++l->applying >= MAX_APPLYING)
		peer_conn_pause(l->conn, true);
	writer_submit(l->sync->d->writer, &a->job);
}

static void link_message(struct peer_conn *c, struct peer_msg *m)
{
	struct link *l = peer_conn_data(c);
	struct sync_peer *p = l->peer;
	Ld__Envelope *env = m->env;
	l->last_rx_ms = now_ms();
	if (!p) {
		peer_msg_free(m);
		return;
	}
	p->last_contact_ms = l->last_rx_ms;
	if (env->msg_case == LD__ENVELOPE__MSG_CLOSE) {
		char reason[400];
		Ld__CloseCode code = env->close->code;
		snprintf(reason, sizeof(reason), "%s closed the connection: %s", p->name,
			 env->close->reason ? env->close->reason : "");
		if (code != LD__CLOSE_CODE__DUPLICATE_CONNECTION) {
			if (!l->hello_done && p->link == l)
				p->state = PEER_REFUSED;
			log_warn("sync: %s", reason);
		}
		peer_msg_free(m);
		peer_conn_close(c, code, reason, false);
		return;
	}
	if (p->link != l) {
		peer_msg_free(m);
		return;
	}
	if (!l->hello_done && env->msg_case != LD__ENVELOPE__MSG_HELLO) {
		peer_msg_free(m);
		link_close(l, LD__CLOSE_CODE__BAD_MESSAGE, "a message came before Hello");
		return;
	}
	switch (env->msg_case) {
	case LD__ENVELOPE__MSG_HELLO:
		on_hello(l, env->hello);
		break;
	case LD__ENVELOPE__MSG_BATCH:
		on_batch(l, m);
		return; /* the job owns M */
	case LD__ENVELOPE__MSG_ACK:
		if (env->ack->log_id.len == LD_LOG_ID_BYTES &&
		    memcmp(env->ack->log_id.data, l->sync->log_id, LD_LOG_ID_BYTES) == 0) {
			if (env->ack->n_quarantined && l->protocol >= 2)
				peer_record_reported(p, env->ack);
			if (env->ack->seq > p->acked_seq)
				p->acked_seq = env->ack->seq;
			if (p->inflight)
				p->inflight--;
			peer_fill(p);
		}
		break;
	case LD__ENVELOPE__MSG_PING: {
		Ld__Pong pong = LD__PONG__INIT;
		pong.wall_clock_ms = now_ms();
		Ld__Envelope out = LD__ENVELOPE__INIT;
		out.msg_case = LD__ENVELOPE__MSG_PONG;
		out.pong = &pong;
		link_send(l, &out);
		break;
	}
	default:
		break;
	}
	peer_msg_free(m);
}

static void maybe_finish_stop(struct sync *s);

/*
 * The connection starts to close: from now on nothing is sent on it, so it stops being P's link
 * at once (peer_fill and the acks look at p->link), not only once it has closed.
 */
static void link_closing(struct peer_conn *c, Ld__CloseCode code, const char *reason)
{
	struct link *l = peer_conn_data(c);
	struct sync_peer *p = l->peer;
	if (!p || p->link != l)
		return;
	l->was_current = true;
	p->link = NULL;
	p->inflight = 0;
	if (p->state != PEER_REFUSED)
		p->state = PEER_DOWN;
	if (code != LD__CLOSE_CODE__DUPLICATE_CONNECTION || !p->last_error[0])
		peer_error(p, "%s", reason);
	log_info("sync: %s disconnected: %s", p->name, reason);
}

static void link_closed(struct peer_conn *c, Ld__CloseCode code, const char *reason)
{
	struct link *l = peer_conn_data(c);
	struct sync *s = l->sync;
	struct sync_peer *p = l->peer;
	l->conn = NULL;
	if (p && p->dialing == l)
		p->dialing = NULL;
	if (p && !l->was_current && !p->link && p->state != PEER_REFUSED) {
		/* A dial that failed, or a connection that closed before it was identified. */
		p->state = PEER_DOWN;
		peer_error(p, "%s", reason);
	}
	if (p && !p->link)
		peer_schedule(p);
	link_unref(l);
	maybe_finish_stop(s);
}

static const struct peer_conn_ops link_ops = {
    .ready = link_ready,
    .message = link_message,
    .closing = link_closing,
    .closed = link_closed,
};

/* ---------------------------------------------------------------------------------------------- */
/* Listener, ticks, peers list                                                                    */

static void on_peer_connection(uv_stream_t *server, int status)
{
	struct sync *s = server->data;
	if (status < 0 || s->stopping)
		return;
	struct link *l = link_new(s);
	if (!l)
		return;
	if (peer_conn_accept(server, s->tls, &link_ops, l, &l->conn) != 0) {
		l->conn = NULL;
		link_unref(l);
	}
}

/*
 * Our log may have grown with events that concern no peer (members at home, branches). Once a
 * second, tell an idle peer how far our log goes with a batch of no events, so that its cursor
 * and its acknowledgement reach our head (and `status` shows both sides at the same seq).
 */
static void advance_idle_peers(struct sync *s)
{
	struct store_txn *txn;
	struct eventlog_head head;
	if (store_begin(s->d->store, false, &txn) != 0)
		return;
	int rc = eventlog_head(txn, &head);
	for (struct sync_peer *p = s->peers; rc == 0 && p; p = p->next) {
		struct link *l = p->link;
		if (!p->present || !l || !l->conn || !l->hello_done || p->inflight ||
		    p->sent_seq >= head.seq || peer_lag(p, txn, 1))
			continue;
		Ld__EventBatch b = LD__EVENT_BATCH__INIT;
		b.log_id.data = s->log_id;
		b.log_id.len = LD_LOG_ID_BYTES;
		b.prev_seq = p->sent_seq;
		b.last_seq = head.seq;
		Ld__Envelope env = LD__ENVELOPE__INIT;
		env.msg_case = LD__ENVELOPE__MSG_BATCH;
		env.batch = &b;
		if (link_send(l, &env) == 0) {
			p->sent_seq = head.seq;
			p->inflight++;
		}
	}
	store_abort(txn);
}

static void on_tick(uv_timer_t *t)
{
	struct sync *s = t->data;
	int64_t now = now_ms();
	advance_idle_peers(s);
	for (struct sync_peer *p = s->peers; p; p = p->next) {
		if (p->present)
			peer_save_ack(p);
	}
	for (struct link *l = s->links; l; l = l->next) {
		if (!l->conn)
			continue;
		if (!l->hello_done && now - l->opened_ms > HELLO_TIMEOUT_MS) {
			link_close(l, LD__CLOSE_CODE__HELLO_TIMEOUT, "no Hello within 20 seconds");
		} else if (now - l->last_rx_ms > SILENCE_MS) {
			link_close(l, LD__CLOSE_CODE__SILENCE,
				   "no word from the peer for 300 seconds");
		} else if (l->hello_done && now - l->last_tx_ms > PING_IDLE_MS) {
			Ld__Ping ping = LD__PING__INIT;
			ping.wall_clock_ms = now;
			Ld__Envelope env = LD__ENVELOPE__INIT;
			env.msg_case = LD__ENVELOPE__MSG_PING;
			env.ping = &ping;
			link_send(l, &env);
		}
	}
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
		uv_timer_stop(&p->dial_timer);
		if (p->link)
			link_close(p->link, LD__CLOSE_CODE__PEER_REMOVED, "peer removed here");
		if (p->dialing)
			link_close(p->dialing, LD__CLOSE_CODE__PEER_REMOVED, "peer removed here");
	}
}

void sync_poke(struct sync *s)
{
	for (struct sync_peer *p = s->peers; p; p = p->next) {
		if (p->present && p->link)
			peer_fill(p);
	}
}

int sync_resync(struct sync *s, const char *name)
{
	struct sync_peer *p = peer_by_name(s, name);
	if (!p || !p->present)
		return -ENOENT;
	p->acked_seq = 0;
	p->sent_seq = 0;
	p->inflight = 0;
	log_info("sync: %s: resending everything that concerns it", p->name);
	peer_fill(p);
	return 0;
}

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
		json_object_set_new(o, "state", json_string(state_names[p->state]));
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
		json_object_set_new(o, "last_error",
				    p->last_error[0] ? json_string(p->last_error) : json_null());
		json_array_append_new(list, o);
	}
	store_abort(txn);
	return list;
}

/* ---------------------------------------------------------------------------------------------- */
/* Start and stop                                                                                 */

static int listen_on(struct sync *s, const char *address)
{
	char host[80];
	const char *colon = strrchr(address, ':');
	if (!colon || colon == address || (size_t)(colon - address) >= sizeof(host))
		return -EINVAL;
	memcpy(host, address, (size_t)(colon - address));
	host[colon - address] = '\0';
	int port = atoi(colon + 1);
	struct sockaddr_storage sa;
	int rc;
	if (host[0] == '[') {
		host[strlen(host) - 1] = '\0';
		rc = uv_ip6_addr(host + 1, port, (struct sockaddr_in6 *)&sa);
	} else {
		rc = uv_ip4_addr(host, port, (struct sockaddr_in *)&sa);
	}
	if (rc)
		return rc;
	uv_tcp_init(s->d->loop, &s->listener);
	s->listener.data = s;
	s->listening = true;
	rc = uv_tcp_bind(&s->listener, (struct sockaddr *)&sa, 0);
	if (rc == 0)
		rc = uv_listen((uv_stream_t *)&s->listener, 64, on_peer_connection);
	return rc;
}

int sync_start(struct daemon *d, struct sync **out)
{
	struct sync *s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->d = d;
	struct store_txn *txn;
	int rc = store_begin(d->store, false, &txn);
	if (rc == 0) {
		rc = meta_log_id(txn, s->log_id);
		store_abort(txn);
	}
	if (rc == 0)
		rc = tls_ctx_new(d->identity, &s->tls);
	if (rc) {
		free(s);
		return rc;
	}
	uv_timer_init(d->loop, &s->tick);
	s->tick.data = s;
	uv_timer_start(&s->tick, on_tick, 1000, 1000);
	*out = s;
	if (d->config.listen[0]) {
		rc = listen_on(s, d->config.listen);
		if (rc) {
			log_error("cannot listen for peers on %s: %s", d->config.listen,
				  uv_strerror(rc));
			return rc; /* the caller stops S */
		}
	}
	sync_reload(s);
	return 0;
}

static void handle_closed(uv_handle_t *h)
{
	struct sync *s = h->data;
	s->closing_handles--;
	maybe_finish_stop(s);
}

static void dial_timer_closed(uv_handle_t *h)
{
	struct sync *s = ((struct sync_peer *)h->data)->sync;
	s->closing_handles--;
	maybe_finish_stop(s);
}

static void maybe_finish_stop(struct sync *s)
{
	if (!s || !s->stopping || s->closing_handles)
		return;
	for (struct link *l = s->links; l; l = l->next) {
		if (l->conn)
			return;
	}
	void (*cb)(void *) = s->stop_cb;
	s->stop_cb = NULL;
	if (cb)
		cb(s->stop_data);
}

void sync_stop(struct sync *s, void (*cb)(void *data), void *data)
{
	s->stopping = true;
	s->stop_cb = cb;
	s->stop_data = data;
	s->closing_handles++;
	uv_close((uv_handle_t *)&s->tick, handle_closed);
	if (s->listening) {
		s->closing_handles++;
		uv_close((uv_handle_t *)&s->listener, handle_closed);
	}
	for (struct sync_peer *p = s->peers; p; p = p->next) {
		if (p->present)
			peer_save_ack(p); /* the writer stops after sync: the job runs */
		s->closing_handles++;
		uv_close((uv_handle_t *)&p->dial_timer, dial_timer_closed);
	}
	for (struct link *l = s->links; l; l = l->next)
		link_close(l, LD__CLOSE_CODE__SHUTTING_DOWN, "the site is stopping");
}

void sync_free(struct sync *s)
{
	if (!s)
		return;
	while (s->peers) {
		struct sync_peer *p = s->peers;
		s->peers = p->next;
		free(p);
	}
	while (s->links) {
		struct link *l = s->links;
		s->links = l->next;
		free(l);
	}
	tls_ctx_free(s->tls);
	free(s);
}
