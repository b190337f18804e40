/*
 * syncapply.h: applying what a peer sends, inside one write transaction: the batch's continuity
 * with the cursor we keep for that peer, each event's id and origin, the dual-management rule, and
 * the new cursor, all committed together (or not at all).
 *
 * Outcomes per event: applied (appended to our log and folded); duplicate (the same id with the
 * same bytes is in our log already: a resend, nothing to do); quarantined (kept in `quarantine`,
 * never applied, listed by `liudong conflicts`): the peer was not entitled to it, the same id came
 * with other bytes, it does not decode, or it is not the peer's own event.
 */
#pragma once

#include <stdint.h>

#include "domain.h"
#include "peer.pb-c.h"
#include "record.pb-c.h"
#include "siteid.h"
#include "store.h"

struct apply_stats {
	uint64_t applied, duplicates, quarantined;
};

/* The cursor for PEER; a zeroed cursor (ld__sync_cursor__init) if there is none. */
int cursor_get(struct store_txn *txn, const uint8_t *peer, Ld__SyncCursor **out);

/* Store C as the cursor for PEER. */
int cursor_put(struct store_txn *txn, const uint8_t *peer, const Ld__SyncCursor *c);

/*
 * Apply batch B from PEER at SITE (this site, its day and rules: each event must pass
 * domain_validate). Returns 0 (counts in *stats, which is zeroed first), or:
 *   -ERANGE  the batch does not continue our cursor (a gap: the connection must restart from
 *            the cursor we announce); *why says so; nothing is written.
 *   -errno   the store failed.
 * A batch of a log_id other than the cursor's is accepted only from prev_seq 0 (the peer's log was
 * reset or this is the first contact); the cursor then follows the new log.
 */
int sync_apply_batch(struct store_txn *txn, const uint8_t *peer, const struct domain_site *site,
		     const Ld__EventBatch *b, struct apply_stats *stats, const char **why);

/* Quarantine an event. BYTES may be unparseable; MEMBER and KIND may be NULL. */
int quarantine_add(struct store_txn *txn, const uint8_t *origin, uint64_t origin_seq,
		   const uint8_t *bytes, size_t len, const char *reason, const char *member,
		   const char *kind);
