/*
 * fold.h: the state tables as a fold of the log.
 *
 * fold_apply is the only code that changes the state tables (fold_tables); it runs in the
 * transaction that appends the event, so state and log never disagree. Rebuilding the state from
 * the log is folding every entry again in seq order (eventlog_verify does it).
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "domain.h"
#include "pbwire.h"

#include "record.pb-c.h"
#include "store.h"
#include "lderr.h"

/* The tables fold_apply writes (FOLD_TABLE_COUNT of them). */
#define FOLD_TABLE_COUNT 9
extern const enum store_table fold_tables[FOLD_TABLE_COUNT];

/* Fold EV, committed as local seq SEQ, into the state tables. Returns 0 or -errno. */
int fold_apply(struct store_txn *txn, const Ld__Event *ev, uint64_t seq);

/*
 * What a caller that has read the member already hands a fold, and what the fold hands back, so
 * that neither reads nor unpacks him again.
 */
struct fold_hint {
	bool have_before;	 /* in: BEFORE is his state before the event */
	Ld__MemberState *before; /* in: borrowed (NULL: not known here); changed during the
				    fold and restored */
	const uint8_t *self;	 /* in: this site, to route the event by his state after it; or
				    NULL */
	const uint8_t *ev_bytes; /* in: the event as packed in the log (EV_LEN bytes), or NULL:
				    his state then copies its sub-messages from them (pbwire.h) */
	size_t ev_len;
	const struct fold_state_ahead *ahead; /* in: EV's member's state if he is new here,
						 packed ahead (fold_state_ahead); or NULL */
	bool routed; /* out: the fold wrote his state, and DEST holds N_DEST sites */
	int n_dest;
	uint8_t dest[DOMAIN_MAX_DEST][LD_SITE_ID_BYTES]; /* as domain_route gives them */
};

/*
 * The state a member not known here gets from EV (an outflow.registered, the kind that may start
 * a member here), packed ahead of the writer: its fields but his record, his registration and
 * the seq EV gets (REST, pbwire_pack_rest's), and his record and registration as they are in the
 * event's bytes (SP, borrowed from them). The fold adds the seq and lays it out
 * (pbwire_splice_into): the bytes it would have packed itself.
 */
struct fold_state_ahead {
	const uint8_t *rest; /* REST_LEN bytes, in the room fold_state_ahead was given */
	size_t rest_len;
	struct pbwire_splice sp[2];
	size_t at[2]; /* where in REST each of SP goes (pbwire_splice_points) */
	size_t n_sp;
};

/*
 * Fill OUT for EV, EV_BYTES (EV as it is in the log, EV_LEN bytes: OUT points into them), the
 * rest packed into room from RESERVE(CTX, ...). Needs no store; any thread. Returns 0,
 * LD_ENOTFOUND (another kind, or a registration without his record: the fold packs it whole),
 * -ENOMEM or RESERVE's failure.
 */
int fold_state_ahead(const Ld__Event *ev, const uint8_t *ev_bytes, size_t ev_len,
		     struct fold_state_ahead *out, pbwire_reserve_fn reserve, void *ctx);

/* fold_apply with H (may be NULL). */
int fold_apply_hinted(struct store_txn *txn, const Ld__Event *ev, uint64_t seq,
		      struct fold_hint *h);

/*
 * The member with identity number IDNO: *out is unpacked, the caller frees it with
 * ld__member_state__free_unpacked(*out, NULL). Returns 0, LD_ENOTFOUND, or LD_ECORRUPT.
 */
int member_state_get(struct store_txn *txn, const char *idno, Ld__MemberState **out);

/* Store ST under its identity number. Returns 0 or -errno. */
int member_state_put(struct store_txn *txn, const Ld__MemberState *st);

/* A state row: MSG (borrowed) packed straight into table T under KEY (KLEN bytes). Returns 0 or
 * -errno. */
int fold_put_packed(struct store_txn *txn, enum store_table t, const void *key, size_t klen,
		    const ProtobufCMessage *msg);

/* The branch with CODE: as member_state_get, freed with ld__branch_info__free_unpacked. */
int branch_get(struct store_txn *txn, const char *code, Ld__BranchInfo **out);

/* The certificate NUMBER: as member_state_get, freed with ld__cert_state__free_unpacked. */
int cert_state_get(struct store_txn *txn, const char *number, Ld__CertState **out);
