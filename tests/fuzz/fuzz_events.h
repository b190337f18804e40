/*
 * fuzz_events.h: events as the harnesses of sync (fuzz_peer, fuzz_syncapply) write them: a
 * member's registration data, his outflow, an event of a peer, its bytes, a batch of them, and
 * this site's own events committed to its log. Every value is fixed, so that a harness's seed
 * corpus is the same in every run.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "peer.pb-c.h"
#include "record.pb-c.h"
#include "store.h"

/* MemberInfo of IDNO (张三, full member of branch 001, salaried, dues 15 元); borrows IDNO. */
Ld__MemberInfo fuzz_member_info(const char *idno);

/* OutflowInfo of M out to inflow site TO (P, 南京, for work, no end); borrows M and TO. */
Ld__OutflowInfo fuzz_outflow(Ld__MemberInfo *m, const uint8_t *to);

/*
 * An event of ORIGIN numbered SEQ about MEMBER: KIND, on a fixed date; the caller sets its payload.
 * Borrows ORIGIN and MEMBER.
 */
Ld__Event fuzz_event(const uint8_t *origin, uint64_t seq, Ld__EventKind kind, const char *member);

/* EV's bytes (the caller frees .data). Aborts if out of memory. */
ProtobufCBinaryData fuzz_event_pack(Ld__Event *ev);

/*
 * ORIGIN's event SEQ, M registered out to site TO (fuzz_outflow), packed (the caller frees .data).
 */
ProtobufCBinaryData fuzz_pack_outflow(const uint8_t *origin, uint64_t seq, Ld__MemberInfo *m,
				      const uint8_t *to);

/* ORIGIN's event SEQ about MEMBER: KIND with NOTE, packed (the caller frees .data). */
ProtobufCBinaryData fuzz_pack_note(const uint8_t *origin, uint64_t seq, Ld__EventKind kind,
				   const char *member, Ld__Note *note);

/* A batch of log LOG_ID: the N events EV, (PREV, LAST]; borrows LOG_ID and EV. */
Ld__EventBatch fuzz_batch(const uint8_t *log_id, ProtobufCBinaryData *ev, size_t n, uint64_t prev,
			  uint64_t last);

/* Commit EV to the log of this site SELF in TXN (eventlog_commit_local); aborts on failure. */
void fuzz_commit_local(struct store_txn *txn, const uint8_t *self, Ld__Event *ev);

/* SELF registers the member IDNO (fuzz_member_info) in TXN; aborts on failure. */
void fuzz_commit_registered(struct store_txn *txn, const uint8_t *self, const char *idno);

/* SELF registers the member IDNO out to site TO (fuzz_outflow) in TXN; aborts on failure. */
void fuzz_commit_outflow(struct store_txn *txn, const uint8_t *self, const char *idno,
			 const uint8_t *to);
