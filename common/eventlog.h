/*
 * eventlog.h: the site's event log: append, read, verify.
 *
 * Local seq numbers start at 1 and grow by one per entry. Each LogEntry holds the exact bytes of an
 * Event and the SHA-256 of the previous entry's bytes (32 zero bytes for the first), so altering
 * any entry at rest breaks the chain at the next one. The head (seq and hash of the last entry) is
 * kept in `meta` and changes in the same transaction as the log. Every event is indexed in
 * `origins` by (origin site, origin seq): appending an id that is there already is refused.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "pbwire.h"
#include "record.pb-c.h"
#include "siteid.h"
#include "store.h"
#include "lderr.h"

#define LD_LOG_ID_BYTES 16
#define LD_HASH_BYTES	32

struct eventlog_head {
	uint64_t seq;
	uint8_t hash[LD_HASH_BYTES];
};

/* The SHA-256 of DATA (LEN bytes) into OUT. Any thread. Returns 0 or -EIO. */
int eventlog_sha256(const void *data, size_t len, uint8_t out[LD_HASH_BYTES]);

/*
 * On first use of a store, record SITE_ID, a random log_id and the schema version in `meta`; later,
 * check that the store belongs to SITE_ID (LD_EINPUT if another site's). Runs its own write txn.
 */
int meta_init(struct store *s, const uint8_t site_id[LD_SITE_ID_BYTES]);

/* The store's log_id into OUT. Returns 0 or LD_ENOTFOUND before meta_init. */
int meta_log_id(struct store_txn *txn, uint8_t out[LD_LOG_ID_BYTES]);

/* The head of the log (seq 0 and a zero hash when empty). */
int eventlog_head(struct store_txn *txn, struct eventlog_head *head);

/*
 * Make EV a local event and append it: sets origin = SITE_ID, origin_seq = the new local seq and
 * time_ms = now, packs it, appends, folds it into the state tables (fold.h), and queues it in
 * `outbox` for each peer site it concerns (domain.h). The caller validated it (domain_validate). EV
 * stays the caller's. *seq (may be NULL) receives the local seq. Returns 0 or -errno from the
 * store.
 */
/*
 * Record that PEER (a site id) must receive our local seq SEQ, an event it did not get when it was
 * committed (a peer pinned later: the site's directory). Returns 0 or -errno.
 */
int eventlog_outbox_add(struct store_txn *txn, const uint8_t *peer, uint64_t seq);

int eventlog_commit_local(struct store_txn *txn, const uint8_t site_id[LD_SITE_ID_BYTES],
			  Ld__Event *ev, uint64_t *seq);

struct fold_state_ahead;

/*
 * eventlog_commit_local for a caller that read the member before (domain_validate_state): with
 * HAVE_BEFORE, BEFORE is his state before EV (NULL: not known here), borrowed, so the fold does
 * not read him again. PAYLOAD, if not NULL, is EV's payload (the oneof's member set) packed
 * already, by a thread that read it ahead: spliced in, not packed again. AHEAD (NULL: none): his
 * state if new here, packed ahead by fold_state_ahead from that payload. Same results.
 */
int eventlog_commit_known(struct store_txn *txn, const uint8_t site_id[LD_SITE_ID_BYTES],
			  Ld__Event *ev, bool have_before, Ld__MemberState *before,
			  const struct pbwire_splice *payload, const struct fold_state_ahead *ahead,
			  uint64_t *seq);

/*
 * Append an event a peer originated: BYTES (LEN) exactly as received, EV their unpacked form (its
 * origin and origin_seq are its id). The caller has checked that the id is new and the event valid
 * (domain_validate). Folds it. *seq (may be NULL) receives the local seq. Returns 0,
 * LD_EEXIST if the id is in the log already, or -errno.
 */
int eventlog_append_remote(struct store_txn *txn, const Ld__Event *ev, const uint8_t *bytes,
			   size_t len, uint64_t *seq);

/*
 * eventlog_append_remote for a caller that read the member before (domain_validate_state): with
 * HAVE_BEFORE, BEFORE is his state before EV (NULL: not known here), borrowed. AHEAD (borrowed;
 * NULL: none): his state if new here, packed ahead by fold_state_ahead from the same BYTES. Same
 * results.
 */
int eventlog_append_known(struct store_txn *txn, const Ld__Event *ev, const uint8_t *bytes,
			  size_t len, bool have_before, Ld__MemberState *before,
			  const struct fold_state_ahead *ahead, uint64_t *seq);

/*
 * The local seq of a peer's event with id (ORIGIN, ORIGIN_SEQ) into *seq. Returns 0 or
 * LD_ENOTFOUND. This site's own events are not indexed: their origin seq is their local seq.
 */
int eventlog_find_origin(struct store_txn *txn, const uint8_t *origin, uint64_t origin_seq,
			 uint64_t *seq);

/*
 * Read entry SEQ. ENTRY and EVENT may each be NULL; what is returned is the caller's, freed with
 * ld__log_entry__free_unpacked(*entry, NULL) and ld__event__free_unpacked(*event, NULL). The
 * entry's event field holds the exact bytes the origin committed. Returns 0, LD_ENOTFOUND,
 * LD_ECORRUPT.
 */
int eventlog_read(struct store_txn *txn, uint64_t seq, Ld__LogEntry **entry, Ld__Event **event);

/*
 * A reader of events' exact bytes in ascending seq, through one cursor on the log: what the sender
 * passes on without unpacking. Cheaper than eventlog_read, and than a lookup per seq when the
 * seqs follow one another.
 */
struct eventlog_reader {
	struct store_cursor *cursor; /* owned */
	uint64_t at;		     /* the seq the cursor is on, 0: none */
};

/* Open R on TXN's log (closed with eventlog_reader_close before TXN ends). Returns 0 or -errno. */
int eventlog_reader_open(struct store_txn *txn, struct eventlog_reader *r);

/*
 * Entry SEQ's event: *BYTES points into TXN's view of the store (borrowed: valid until TXN ends or
 * writes; nothing to free). Returns 0, LD_ENOTFOUND, LD_ECORRUPT (the entry is not a LogEntry with
 * an event).
 */
int eventlog_reader_bytes(struct eventlog_reader *r, uint64_t seq, ProtobufCBinaryData *bytes);

void eventlog_reader_close(struct eventlog_reader *r);

struct verify_result {
	bool ok;
	uint64_t entries;    /* entries walked */
	uint64_t first_bad;  /* first seq whose chain or content is wrong; 0 if none */
	const char *problem; /* static text: what was wrong, NULL if ok */
};

/*
 * Walk the whole log checking the hash chain, the seq order, the head and the origins index, then
 * fold the log again into emptied state tables and compare with what is stored. TXN must be a write
 * transaction; this function makes every change inside a child transaction that it aborts, so the
 * store is left as it was. Returns 0 (the verdict in *r) or -errno if the walk itself failed.
 */
int eventlog_verify(struct store_txn *txn, struct verify_result *r);
