/*
 * sync_apply.c: the receiver. Each batch from a peer goes to the writer as one job
 * (sync_apply_decoded: events, quarantine and the cursor in one transaction); the Ack, with the
 * events quarantined if the link speaks version 2, is sent from the job's done callback, after
 * the commit. Reading from the peer pauses while MAX_APPLYING of its batches wait for the writer or
 * MAX_HELD are not yet done: the writer says when it has run a batch (apply_ran), so the next one
 * is read and decoded while the batches run are committed.
 *
 * Before the writer, a batch's events are decoded on a reader thread (sync_decode_batch, a short
 * reader job): the writer applies the batches one after another, and during a catch-up it is
 * the one busy thread, so what needs no store is done beside it, for the next batch while it
 * applies this one: the events unpacked, and a new member's state packed but for his seq (a
 * catch-up of registrations: about 10 % of B's time, BENCHMARKS.md 2026-12-02). Reader threads
 * finish in any order: a link's batches wait in `decoding`, in the order they came, and go to the
 * writer from its head as each is decoded. A batch that could not be decoded ahead (memory, the
 * pool stopping) goes all the same and is decoded by the writer, event by event, as is one the
 * writer runs again.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "commit.h"
#include "logging.h"
#include "readers.h"
#include "sync_internal.h"
#include "syncapply.h"
#include "writer.h"

struct apply_job {
	struct writer_job job;
	struct reader_job decode; /* its events decoded ahead (DECODED, or NULL) on a reader */
	struct decoded_batch *decoded;
	bool decode_done;
	struct apply_job *next_decoding; /* the link's `decoding` list, while on it */
	struct link *link;
	uint8_t peer[LD_SITE_ID_BYTES];
	struct peer_msg *msg;
	struct apply_stats stats;
	const char *why;
	bool careful;	    /* apply each event in a child transaction (syncapply.h) */
	bool counted_ran;   /* apply_ran took it off its link's `applying` */
	struct rules rules; /* the daemon's, copied on the loop thread (SIGHUP may replace them) */
};

/* A's decoded events are gone (run, or never to be): one more batch may be decoded ahead. */
static void decoded_drop(struct apply_job *a)
{
	if (!a->decoded)
		return;
	decoded_batch_free(a->decoded);
	a->decoded = NULL;
	atomic_fetch_sub(&a->link->sync->decoded_live, 1);
}

/*
 * Writer thread. The fast way first; if an event could not be folded (SYNC_APPLY_AGAIN, which is
 * WRITER_JOB_AGAIN), the writer rolls back what this job wrote and calls it again: then each
 * event is applied in a child transaction, and the one that cannot be folded is quarantined.
 */
static int apply_run(struct writer_job *job, struct store_txn *txn)
{
	struct apply_job *a = (struct apply_job *)job;
	struct domain_site site;
	a->why = NULL;
	commit_site(a->link->sync->d, &a->rules, &site);
	int rc = sync_apply_decoded(txn, a->peer, &site, a->msg->env->batch, a->decoded,
				    a->careful ? SYNC_APPLY_CAREFUL : 0, &a->stats, &a->why);
	decoded_drop(a); /* run again (careful, or after the map grew), it decodes them itself */
	if (rc == SYNC_APPLY_AGAIN)
		a->careful = true;
	return rc;
}

_Static_assert(SYNC_APPLY_AGAIN == WRITER_JOB_AGAIN, "the writer reruns what syncapply asks");
_Static_assert(DECODED_AHEAD >= MAX_APPLYING, "no batch at the writer waits to be decoded there");
_Static_assert(WINDOW >= MAX_HELD, "the sender lets as many batches go as B may hold");

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

/* Batch B of P's is applied (ST: what was quarantined): P's applied seq moves, and L acks it. */
static void ack_applied(struct link *l, struct sync_peer *p, const Ld__EventBatch *b,
			const struct apply_stats *st)
{
	if (b->last_seq > p->applied_seq)
		p->applied_seq = b->last_seq;
	send_ack(l, b, st);
}

/*
 * Batch B was applied, but the link it came on is no longer its peer's (both sites dialed at once
 * and the other connection won, or it is closing): the Ack goes on the peer's link now, once that
 * one's Hello is done. That Hello may have told the sender we have its log up to B's last seq, so
 * it will not send B again: without this Ack it would never learn of the events quarantined in B
 * (conflicts_resolve met it on a slow machine). Before that Hello, our Hello says it instead, and
 * the quarantined events are not reported: the sender's `conflicts` does not list them.
 */
static void ack_on_current_link(struct apply_job *a, const Ld__EventBatch *b)
{
	struct sync *s = a->link->sync;
	struct sync_peer *p = s->stopping ? NULL : peer_by_id(s, a->peer);
	struct link *now = p ? p->link : NULL;
	if (now && now != a->link && now->conn && now->hello_done)
		ack_applied(now, p, b, &a->stats);
}

/* L lets batches in while fewer than MAX_APPLYING wait for the writer and MAX_HELD are held. */
static bool link_may_read(const struct link *l)
{
	return l->applying < MAX_APPLYING && l->held < MAX_HELD;
}

/* Read from L again if it is still its peer's link and may let another batch in. */
static void link_resume(struct link *l)
{
	if (l->conn && l->peer && l->peer->link == l && link_may_read(l))
		peer_conn_pause(l->conn, false);
}

/* Loop thread: A's batch ran (its commit not yet durable): the next may be read and decoded. */
static void apply_ran(struct writer_job *job)
{
	struct apply_job *a = (struct apply_job *)job;
	a->counted_ran = true; /* the writer calls this once per submission */
	a->link->applying--;
	link_resume(a->link);
}

static void apply_done(struct writer_job *job)
{
	struct apply_job *a = (struct apply_job *)job;
	struct link *l = a->link;
	Ld__EventBatch *b = a->msg->env->batch;
	struct sync_peer *p = l->peer;
	if (!a->counted_ran) /* done without running (the writer stopped) */
		l->applying--;
	l->held--;
	if (l->conn && p && p->link == l) {
		if (job->result == 0) {
			ack_applied(l, p, b, &a->stats);
			if (a->stats.quarantined)
				log_warn(
				    "sync: %s: %llu event(s) quarantined; see liudong conflicts",
				    p->name, (unsigned long long)a->stats.quarantined);
			link_resume(l);
		} else {
			char why[200];
			snprintf(why, sizeof(why), "cannot apply a batch: %s",
				 job->result == -ERANGE && a->why ? a->why
								  : lderr_str(job->result));
			peer_error(p, "%s", why);
			log_warn("sync: %s: %s", p->name, why);
			link_close(l, LD__CLOSE_CODE__BATCH_REFUSED, why);
		}
	} else if (job->result == 0) {
		ack_on_current_link(a, b);
	}
	apply_stats_free(&a->stats);
	decoded_drop(a); /* never run: the writer stopped */
	peer_msg_free(a->msg);
	free(a);
	link_unref(l);
}

/*
 * Reader thread: decode the batch's events, unless DECODED_AHEAD batches are decoded and not yet
 * applied (their memory, some 640 bytes an event, is bounded so); the writer decodes the rest.
 */
static void decode_run(struct reader_job *job)
{
	struct apply_job *a =
	    (struct apply_job *)((char *)job - offsetof(struct apply_job, decode));
	struct sync *s = a->link->sync;
	job->result = 0;
	if (atomic_fetch_add(&s->decoded_live, 1) >= DECODED_AHEAD ||
	    sync_decode_batch(a->msg->env->batch, &a->decoded) != 0) {
		a->decoded = NULL;
		atomic_fetch_sub(&s->decoded_live, 1);
	}
}

/* Loop thread: A is decoded (or never will be); the link's batches decoded in order go on. */
static void decode_done(struct reader_job *job)
{
	struct apply_job *a =
	    (struct apply_job *)((char *)job - offsetof(struct apply_job, decode));
	struct link *l = a->link;
	a->decode_done = true;
	l->refs++; /* a job given to a stopping writer is done (and unrefs L) at once */
	while (l->decoding && l->decoding->decode_done) {
		struct apply_job *head = l->decoding;
		l->decoding = head->next_decoding;
		writer_submit(l->sync->d->writer, &head->job);
	}
	link_unref(l);
}

void on_batch(struct link *l, struct peer_msg *m)
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
	a->rules = l->sync->d->config.rules;
	a->job.run = apply_run;
	a->job.ran = apply_ran;
	a->job.done = apply_done;
	if (m->env->batch->last_seq > l->peer->their_head)
		l->peer->their_head = m->env->batch->last_seq;
	l->applying++;
	l->held++;
	if (!link_may_read(l))
		peer_conn_pause(l->conn, true);
	struct apply_job **tail = &l->decoding;
	while (*tail)
		tail = &(*tail)->next_decoding;
	*tail = a;
	a->decode.run = decode_run;
	a->decode.done = decode_done;
	a->decode.scan = false;
	struct readers *r = l->sync->d->readers;
	if (r)
		readers_submit(r, &a->decode); /* done at once if the pool is stopping */
	else
		decode_done(&a->decode);
}
