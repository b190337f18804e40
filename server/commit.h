/*
 * commit.h: how a command writes an event. The domain core judges it first (domain_validate, the
 * same function sync apply calls for a peer's events); a refusal becomes the command's one-line
 * error, naming the site that may write it; an accepted event is committed with its audit row.
 */
#pragma once

#include <stdint.h>

#include "domain.h"
#include "pbwire.h"
#include "request.h"
#include "lderr.h"

struct daemon;
struct fold_state_ahead;

/* This site as the domain core sees it: its id, today (Asia/Shanghai) and its rules. */
/* RULES: the copy the caller holds (a request's or a sync job's, never the daemon's own). */
void commit_site(const struct daemon *d, const struct rules *rules, struct domain_site *out);

/*
 * Judge EV as commit_event would, with ST (borrowed; NULL: the member is not known here) as the
 * member's state before it, without writing: for a command that checks everything before it
 * writes anything (import). Sets EV's origin and operator. Returns 0 or a refusal through
 * request_fail, worded as commit_event words it.
 */
int commit_check(struct request *rq, struct store_txn *txn, Ld__Event *ev,
		 const Ld__MemberState *st);

/*
 * Validate EV (its origin set to this site first) and commit it with eventlog_commit_local, then
 * audit ACTION (with DETAIL, may be NULL) if ACTION is not NULL. The operator is set from RQ.
 * EV stays the caller's. *seq (may be NULL) receives the local seq. Returns 0; a refusal through
 * request_fail (LD_EINPUT exit 3, LD_ENOTFOUND 4, LD_EFORBIDDEN or LD_EEXIST 5); or -errno from the
 * store.
 */
int commit_event(struct request *rq, struct store_txn *txn, Ld__Event *ev, const char *action,
		 const char *detail, uint64_t *seq);

/*
 * commit_check of EV about a member not known here, in a transaction before the one that commits
 * it (an import's rows read ahead of its writer). *JUDGED_ON gets the day the domain core judged
 * it by if its verdict holds in a later transaction while he is still not known
 * (domain_judged_alone), else 0: commit_event_new_member's JUDGED_ON.
 */
int commit_check_ahead(struct request *rq, struct store_txn *txn, Ld__Event *ev,
		       int32_t *judged_on);

/*
 * commit_event for an event about a member the caller found absent from the store in TXN (a new
 * registration): his state is not read again. PAYLOAD: NULL, or EV's payload packed already;
 * AHEAD: NULL, or his state packed ahead from it (eventlog_commit_known). JUDGED_ON: 0, or what
 * commit_check_ahead gave for EV with the same request: if that is still today, EV is not judged
 * again.
 */
int commit_event_new_member(struct request *rq, struct store_txn *txn, Ld__Event *ev,
			    const struct pbwire_splice *payload,
			    const struct fold_state_ahead *ahead, int32_t judged_on, uint64_t *seq);
