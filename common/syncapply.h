/*
 * syncapply.h: applying what a peer sends, inside one write transaction: the batch's continuity
 * with the cursor we keep for that peer, each event's id, origin, payload and the dual-management
 * rule, and the new cursor, all committed together (or not at all).
 *
 * Outcomes per event: applied (appended to our log and folded); duplicate (the same id with the
 * same bytes is in our log already: a resend, nothing to do); quarantined (kept in `quarantine`,
 * never applied, listed by `liudong conflicts`): it does not decode, it lacks the payload its kind
 * needs, it is not the peer's own event, the peer was not entitled to it, the same id came with
 * other bytes, or folding it into our state failed. A quarantined event never stops the batch:
 * the events after it are applied. Only a broken range (a gap after our cursor, another log not
 * from its start) refuses a whole batch.
 *
 * Also the other direction: a peer's Ack telling us which of OUR events it quarantined
 * (quarantine_add_reported), so that our `conflicts` lists them too.
 */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "domain.h"
#include "peer.pb-c.h"
#include "record.pb-c.h"
#include "siteid.h"
#include "store.h"
#include "lderr.h"

#define APPLY_REASON_MAX 300

/* One event of a batch that was quarantined: its seq in the sender's log (0: did not decode). */
struct apply_quarantined {
	uint64_t seq;
	char reason[APPLY_REASON_MAX];
};

/*
 * What applying a batch did. Start zeroed ({0}); sync_apply_batch frees and rebuilds `list` each
 * time it is called; free it with apply_stats_free. `list` (n_list entries, malloc'd, owned by
 * the stats) holds every quarantined event in batch order; quarantined == n_list.
 */
struct apply_stats {
	uint64_t applied, duplicates, quarantined;
	struct apply_quarantined *list;
	size_t n_list, cap_list;
};

/* Free ST's list and zero ST (NULL allowed). */
void apply_stats_free(struct apply_stats *st);

/* The cursor for PEER; a zeroed cursor (ld__sync_cursor__init) if there is none. */
int cursor_get(struct store_txn *txn, const uint8_t *peer, Ld__SyncCursor **out);

/* Store C as the cursor for PEER. */
int cursor_put(struct store_txn *txn, const uint8_t *peer, const Ld__SyncCursor *c);

/* sync_apply_batch's FLAGS. */
#define SYNC_APPLY_CAREFUL 0x1u /* each event in a child transaction (see below) */

/*
 * sync_apply_batch without SYNC_APPLY_CAREFUL found an event that passed every check but could
 * not be folded: its partial writes are in TXN. Abort TXN and apply the batch again with
 * SYNC_APPLY_CAREFUL in a fresh transaction (the writer does so for a job that returns it: it is
 * WRITER_JOB_AGAIN, server/writer.h).
 */
#define SYNC_APPLY_AGAIN (-EINPROGRESS)

/*
 * Apply batch B from PEER in TXN at SITE (each event must pass domain_validate). Without
 * SYNC_APPLY_CAREFUL (the fast way, no child transaction), each event is appended and folded
 * straight into TXN; with it, each event is appended and folded in a child transaction of its own,
 * so that one whose fold fails is rolled back alone and quarantined ("cannot be folded") while the
 * rest of the batch goes on. Returns 0 (counts and the quarantined events in *stats, rebuilt), or:
 *   SYNC_APPLY_AGAIN  (fast way only) see above; *stats is not meaningful.
 *   -ERANGE  the batch does not continue our cursor (a gap: the connection must restart from
 *            the cursor we announce); *why says so; nothing is written.
 *   -errno   the store failed (-ENOMEM, LD_EMAPFULL: grow the map and run again, LD_ENOSPACE:
 *            the disk is full, -EIO, ...).
 * A batch of a log_id other than the cursor's is accepted only from prev_seq 0 (the peer's log was
 * reset or this is the first contact); the cursor then follows the new log.
 */
int sync_apply_batch(struct store_txn *txn, const uint8_t *peer, const struct domain_site *site,
		     const Ld__EventBatch *b, unsigned flags, struct apply_stats *stats,
		     const char **why);

/*
 * A batch's events decoded ahead of its transaction, so that the writer, which must apply the
 * batches one after another, spends none of its time unpacking: the receiver decodes the next
 * batch on another thread while the writer applies this one. Needs no store.
 */
struct decoded_batch;

/*
 * Decode every event of B (borrowed: it must outlive the result) into *out, the caller's
 * (decoded_batch_free), and pack ahead the state each outflow.registered would give a member new
 * here (fold_state_ahead: the writer only adds his seq, if he is new when it applies the event).
 * An event that does not decode is decoded as NULL and quarantined when applied, as
 * sync_apply_batch would. Returns 0 or -ENOMEM (*out NULL).
 */
int sync_decode_batch(const Ld__EventBatch *b, struct decoded_batch **out);

/* The bytes D holds (its events' messages), for the caller's budget. */
size_t decoded_batch_size(const struct decoded_batch *d);

/* Free D (NULL allowed). Its block is kept for the next batch (blockcache.h). */
void decoded_batch_free(struct decoded_batch *d);

/* Free the blocks kept unless they were used since the last call (the daemon's trim timer). */
void decoded_batch_cache_trim(void);

/*
 * sync_apply_batch with B's events decoded ahead in D (sync_decode_batch of the same B; NULL:
 * each event is decoded here). The outcome is the same either way.
 */
int sync_apply_decoded(struct store_txn *txn, const uint8_t *peer, const struct domain_site *site,
		       const Ld__EventBatch *b, const struct decoded_batch *d, unsigned flags,
		       struct apply_stats *stats, const char **why);

/*
 * Quarantine an event from ORIGIN (this site quarantined it). BYTES may be unparseable; MEMBER
 * and KIND may be NULL. Returns 0 or -errno.
 */
int quarantine_add(struct store_txn *txn, const uint8_t *origin, uint64_t origin_seq,
		   const uint8_t *bytes, size_t len, const char *reason, const char *member,
		   const char *kind);

/* One event of ours a peer reported it quarantined (Ack.quarantined). */
struct reported_event {
	uint64_t seq;	    /* its seq in our log */
	const char *reason; /* the peer's words */
};

/*
 * The peer REPORTED_BY told us (Ack.quarantined) that it quarantined our events LIST[0..N-1]:
 * record each in our `quarantine` as a conflict, with SELF (our site id) as origin, the bytes of
 * our log entry, its member and kind, and `reported_by` set. Idempotent: an event that already
 * has a row for (REPORTED_BY, seq) (a batch acknowledged twice) is not added again; neither is
 * one that is not an event of ours in our log (seq 0, beyond our head, another site's event: the
 * peer's report is wrong). *added (may be NULL) receives how many rows were added. Returns 0 or
 * -errno from the store. LIST and its strings stay the caller's.
 */
int quarantine_add_reported(struct store_txn *txn, const uint8_t *self, const uint8_t *reported_by,
			    const struct reported_event *list, size_t n, size_t *added);
