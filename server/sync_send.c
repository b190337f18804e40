/*
 * sync_send.c: the sender. Our events that concern a peer are keyed in `outbox` by (peer id,
 * local seq). A batch covers (sent_seq, last event's seq] and holds those events' committed
 * bytes; at most WINDOW batches are unacknowledged, and no more is queued to a socket than
 * MAX_QUEUED. An Ack moves acked_seq; one that lists events the peer quarantined (version 2) has
 * them recorded here as conflicts. An idle peer is told once a second how far our log goes.
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
uint64_t peer_lag_exact(struct sync_peer *p, struct store_txn *txn, uint64_t head)
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

/*
 * Events in the next batch on L, at most: a link's first batches are small and grow (BATCH_FIRST,
 * twice that, ... up to BATCH_EVENTS), so that a peer catching up has its first events to apply
 * while the larger batches behind them are still on their way, rather than waiting for a whole
 * window of the largest to be read, packed, sent and read before its writer starts.
 */
static size_t batch_limit(const struct link *l)
{
	size_t n = BATCH_FIRST;
	for (unsigned i = 0; i < l->batches_sent && n < BATCH_EVENTS; i++)
		n *= 2;
	return n < BATCH_EVENTS ? n : BATCH_EVENTS;
}

/* Send batches until the window is full or nothing is left. */
void peer_fill(struct sync_peer *p)
{
	struct link *l = p->link;
	if (!l || !l->conn || !l->hello_done)
		return;
	struct store_txn *txn;
	if (store_begin(p->sync->d->store, false, &txn) != 0)
		return;
	/* The events' bytes are read where the store holds them: valid while TXN is. */
	ProtobufCBinaryData *events = calloc(BATCH_EVENTS, sizeof(*events));
	bool sending = true;
	while (sending && events && p->link == l && p->inflight < WINDOW &&
	       peer_conn_queued(l->conn) < MAX_QUEUED) {
		struct store_cursor *c;
		if (store_cursor_open(txn, TBL_OUTBOX, &c) != 0)
			break;
		uint8_t key[LD_SITE_ID_BYTES + 8];
		memcpy(key, p->id, LD_SITE_ID_BYTES);
		store_u64_key(p->sent_seq + 1, key + LD_SITE_ID_BYTES);
		struct store_val k = {.data = key, .len = sizeof(key)};
		struct eventlog_reader log;
		if (eventlog_reader_open(txn, &log) != 0) {
			store_cursor_close(c);
			break;
		}
		size_t n = 0, bytes = 0, limit = batch_limit(l);
		uint64_t last = p->sent_seq;
		for (int rc = store_cursor_get(c, STORE_SET_RANGE, &k, NULL);
		     rc == 0 && n < limit && bytes < BATCH_BYTES;
		     rc = store_cursor_get(c, STORE_NEXT, &k, NULL)) {
			if (k.len != sizeof(key) || memcmp(k.data, p->id, LD_SITE_ID_BYTES) != 0)
				break;
			uint64_t seq = store_u64_from((const uint8_t *)k.data + LD_SITE_ID_BYTES);
			if (eventlog_reader_bytes(&log, seq, &events[n]) != 0)
				break;
			p->sync->read_since_trim += events[n].len;
			bytes += events[n].len;
			last = seq;
			n++;
		}
		eventlog_reader_close(&log);
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
				l->batches_sent++;
			} else {
				/* The connection is closing (p->link is cleared): nothing more. */
				sending = false;
			}
		}
		if (n == 0)
			break;
	}
	free(events);
	if (p->link && p->link->hello_done)
		p->state = peer_lag(p, txn, 1) ? PEER_CATCHING_UP : PEER_LIVE;
	store_abort(txn);
	/* A catch-up reads the log through the map faster than the daemon's timer trims it: the
	 * pages read stay resident until then. Drop them after every few MiB sent as well. */
	if (p->sync->read_since_trim >= SEND_TRIM_BYTES) {
		p->sync->read_since_trim = 0;
		store_trim(p->sync->d->store);
	}
}

/*
 * Our log may have grown with events that concern no peer (members at home, branches). Once a
 * second, tell an idle peer how far our log goes with a batch of no events, so that its cursor
 * and its acknowledgement reach our head (and `status` shows both sides at the same seq).
 */
void advance_idle_peers(struct sync *s)
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

void sync_poke(struct sync *s)
{
	for (struct sync_peer *p = s->peers; p; p = p->next) {
		if (p->present && p->link)
			peer_fill(p);
	}
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
			  lderr_str(job->result));
	else if (r->added)
		log_warn("sync: %s quarantined %zu event(s) of ours; see liudong conflicts",
			 r->name, r->added);
	free(r->list);
	free(r->reasons);
	free(r);
}

size_t ack_reported_events(const Ld__Ack *ack, struct reported_event *list, char *reasons)
{
	size_t n = ack->n_quarantined < MAX_REPORTED ? ack->n_quarantined : MAX_REPORTED, k = 0;
	for (size_t i = 0; i < n; i++) {
		const Ld__QuarantinedEvent *q = ack->quarantined[i];
		if (!q->seq || q->seq > ack->seq)
			continue; /* not an event of the batch acknowledged */
		char *reason = reasons + k * APPLY_REASON_MAX;
		snprintf(reason, APPLY_REASON_MAX, "%s", q->reason ? q->reason : "");
		list[k].seq = q->seq;
		list[k].reason = reason;
		k++;
	}
	return k;
}

/* Record the quarantined entries of ACK (from P; at most MAX_REPORTED, up to ack->seq). */
void peer_record_reported(struct sync_peer *p, const Ld__Ack *ack)
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
	r->n = ack_reported_events(ack, r->list, r->reasons);
	memcpy(r->self, p->sync->d->site_id, LD_SITE_ID_BYTES);
	memcpy(r->peer, p->id, LD_SITE_ID_BYTES);
	snprintf(r->name, sizeof(r->name), "%s", p->name);
	r->job.run = report_run;
	r->job.done = report_done;
	writer_submit(p->sync->d->writer, &r->job);
}
