/*
 * register.h: registering a member and his departure (外出登记): the checks and events shared by
 * `member add`, `outflow register` and `import members`, so that a row of a register file is
 * judged exactly as the same values typed at the command line.
 */
#pragma once

#include "fold.h"
#include "pballoc.h"

#include "record.pb-c.h"
#include "request.h"
#include "store.h"
#include "lderr.h"

/*
 * What the checks looked up last, remembered by a command that checks row after row in one
 * transaction (an import): the branch found and the peer (the inflow site) found by name. Its
 * owner zeroes it whenever it begins another transaction (what it remembers may have changed).
 */
struct lookup_memo {
	char branch[LD_NAME_MAX]; /* "" if none */
	char peer[LD_NAME_MAX];	  /* "" if none */
	uint8_t peer_id[LD_SITE_ID_BYTES];
};

/* Whether branch CODE is one of this site's (remembered in MEMO, if not NULL): 0, LD_ENOTFOUND
 * recorded in RQ ("no branch CODE; see liudong branch list, ..."), or a store failure. */
int branch_known(struct request *rq, struct store_txn *txn, struct lookup_memo *memo,
		 const char *code);

/* Branch CODE of this site into *OUT (free with ld__branch_info__free_unpacked): 0, LD_ENOTFOUND
 * recorded in RQ as branch_known records it, or a store failure. */
int branch_find(struct request *rq, struct store_txn *txn, const char *code, Ld__BranchInfo **out);

/* Where the values come from: options of a request, or the columns of a register row. */
struct fields {
	/* The value named KEY ("birth", "dues-category", ...), or NULL if not given or empty. */
	const char *(*get)(const struct fields *f, const char *key);
	const char *prefix; /* how errors name a value: "--" (options) or "" (columns) */
	const void *ctx;
	struct lookup_memo *memo; /* the caller's, or NULL */
};

/* Fields from the options of RQ. */
struct fields fields_of_request(const struct request *rq);

/*
 * Apply to M the member's values the fields give (name, kind, branch, dues-category, income,
 * dues, phone), each judged as `member add` judges it, and recompute his monthly dues from the
 * category, income and set amount that result (a new category drops the old set amount unless
 * dues is given). M's strings then point into F's values or static text; M stays the caller's.
 * Returns 0, or a failure recorded in RQ (LD_EINPUT bad value, LD_ENOTFOUND unknown branch) with M
 * unchanged.
 */
int member_info_apply(struct request *rq, struct store_txn *txn, const struct fields *f,
		      Ld__MemberInfo *m);

/*
 * Check the member the fields describe (identity number, dates, kind, branch, dues, not
 * registered yet) and commit his member.registered event. On failure the reason is recorded in
 * RQ and nothing is written. *seq (may be NULL) receives the event's seq; IDNO his number.
 */
int register_member(struct request *rq, struct store_txn *txn, const struct fields *f,
		    char idno[19], uint64_t *seq);

/*
 * register_member's checks without the write: his record into M and his member.registered event
 * into EV (strings pointing into F's values, IDNO and static text; valid while they are). The
 * event is not yet judged by the domain core. Returns 0 or a failure recorded in RQ.
 */
int register_member_check(struct request *rq, struct store_txn *txn, const struct fields *f,
			  char idno[19], Ld__MemberInfo *m, Ld__Event *ev);

/* An outflow registration checked and built, not yet written (register_outflow_check). */
struct outflow_draft {
	Ld__OutflowInfo of;
	Ld__Event ev;			     /* the outflow.registered event; its payload is OF */
	uint8_t inflow_id[LD_SITE_ID_BYTES]; /* the inflow site; OF points here (do not copy D) */
	Ld__BranchInfo
	    *suggested;	  /* owned, or NULL: the branch of its directory suggested (找组织) */
	uint8_t *payload; /* owned (or ARENA's), or NULL: OF packed (outflow_draft_pack) */
	size_t payload_len;
	/* His state if he is new, packed ahead (outflow_draft_state): its rest and his record and
	 * registration in the payload field as the event holds it (both owned, or ARENA's). */
	bool has_state;
	struct fold_state_ahead state;
	uint8_t *state_view, *state_rest;
	/* Borrowed, or NULL: where PAYLOAD and the state's bytes are cut from (a chunk of rows read
	 * ahead, given back all at once); NULL: the heap, freed by outflow_draft_free. */
	struct pb_arena *arena;
};

/*
 * register_outflow's checks of the fields and of the member ST (borrowed; it must outlive D),
 * without the write: the event into D (free it with outflow_draft_free, also on failure). The
 * event is not yet judged by the domain core. Returns 0 or a failure recorded in RQ.
 */
int register_outflow_check(struct request *rq, struct store_txn *txn, const struct fields *f,
			   const Ld__MemberState *st, struct outflow_draft *d);

/* Free what D holds (not D). */
void outflow_draft_free(struct outflow_draft *d);

/*
 * Pack D's OutflowInfo into D->payload, for its event to be committed with it spliced in (a row
 * read ahead: the packing done on the reader's thread, not the writer's). D->of must not change
 * after. Returns 0 or -ENOMEM.
 */
int outflow_draft_pack(struct outflow_draft *d);

/*
 * After outflow_draft_pack: the state D's event gives its member if he is new, packed ahead
 * (fold_state_ahead) for the writer to lay out with his seq; SITE_ID (borrowed) is this site, the
 * event's origin, set in D->ev as commit_check sets it. Returns 0, LD_ENOTFOUND (not packed, or
 * not such an event: the writer packs it whole) or -ENOMEM.
 */
int outflow_draft_state(struct outflow_draft *d, const uint8_t site_id[LD_SITE_ID_BYTES]);

/* A new member and his registration out, as one event (register_member_out_check). */
struct member_out_draft {
	char idno[19];
	Ld__MemberInfo m;
	Ld__MemberState st;	  /* the state his registration would make (for the checks) */
	struct outflow_draft out; /* its event carries M whole; free with outflow_draft_free */
	int32_t judged_on;	  /* 0, or commit_check_ahead's day for OUT.ev */
};

/*
 * An import's row with outflow columns: the member checked as register_member checks him and his
 * registration out as register_outflow checks it, built into D as one outflow.registered event
 * carrying his whole record (the domain core lets his outflow site start a member from it), not
 * yet judged by the domain core, nothing written. D holds pointers into itself and F: do not copy
 * it. Free D->out with outflow_draft_free, also on failure. Returns 0 or a failure in RQ.
 */
int register_member_out_check(struct request *rq, struct store_txn *txn, const struct fields *f,
			      struct member_out_draft *d);

/* register_member_out_check, then commit the event (commit_event). IDNO: his number. */
int register_member_out(struct request *rq, struct store_txn *txn, const struct fields *f,
			char idno[19], uint64_t *seq);

/*
 * Commit D, which register_member_out_check made in another (earlier) transaction: an import's
 * rows read ahead on a thread of their own. What may have changed since is looked up again in TXN
 * (with MEMO, the caller's): the member not in the store, his branch, the inflow site of that
 * name. If any changed, *STALE is set and nothing is written: check the row whole again
 * (register_member_out), which says why. The domain core judges D's event again unless it did
 * already today (D->judged_on). Returns 0, the domain core's refusal (in RQ) or a store failure.
 * D stays the caller's.
 */
int register_member_out_ahead(struct request *rq, struct store_txn *txn, struct lookup_memo *memo,
			      struct member_out_draft *d, bool *stale, uint64_t *seq);

/*
 * Check an outflow registration of the member IDNO from the fields (to, place, reason, from, until,
 * fixed-place, phone, employer) and commit it. Same failure rules.
 */
int register_outflow(struct request *rq, struct store_txn *txn, const struct fields *f,
		     const char *idno, uint64_t *seq);

/*
 * If ST's stay at an inflow site runs and that site is not NEXT_SITE (NULL: any), write
 * stay.ended (REASON: "registered-elsewhere", "transferred") about him: that site alone hears it,
 * and learns nothing of where he goes; it stops raising reminders and refuses its kinds about him.
 * ST stays the caller's. Returns 0, or as commit_event.
 */
int register_end_stay(struct request *rq, struct store_txn *txn, const Ld__MemberState *st,
		      const uint8_t *next_site, const char *reason);
