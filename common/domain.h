/*
 * domain.h: the domain core. The member's state machine, every predicate about him (away, checked
 * in, certificate active, who collects dues, which site may write each kind of event), and one
 * validate() that local commands call before they write and sync apply calls before it folds.
 * Nothing outside this file compares state names (docs/domain.md has the transition table).
 *
 * Where a member is is one location (home, away, checked-in, departed, returned, transferred,
 * removed). Cases run beside it and never change it: an open lapse case, probation (and its
 * extension), approved dues reductions. While he is away or checked in, the inflow site his
 * current registration names writes the inflow kinds; every other kind, and all of them in the
 * other locations, is his outflow site's.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "event.h"
#include "record.pb-c.h"
#include "siteid.h"
#include "store.h"
#include "lderr.h"

enum location {
	LOC_HOME =
	    0,	  /* registered, never out, or back after 查验 of an old stay: see LOC_RETURNED */
	LOC_AWAY, /* registered out, not yet reported in (报到) at the inflow site */
	LOC_CHECKED_IN,	 /* reported in at the inflow site */
	LOC_DEPARTED,	 /* the inflow branch assessed his leaving; 查验 not yet done */
	LOC_RETURNED,	 /* 查验 done at the outflow site; the certificate recalled */
	LOC_TRANSFERRED, /* his relation moved to another organization: no longer mobile */
	LOC_REMOVED,	 /* probation cancelled or removed as lapsed */
	LOC_COUNT,
};

/* "home", "away", ... for LOC (static text). */
const char *location_name(enum location loc);
/* LOC's word for people, in the thread's message language (i18n.h); location_name's in English. */
const char *location_text(enum location loc);

/* The location named NAME into *out. Returns 0 or LD_EINPUT. */
int location_parse(const char *name, enum location *out);

/*
 * NAME is a location (home, away, ...) or, if CASES, also a case beside it ("lapse": a lapse case
 * is open). For the CLI's filters.
 */
bool state_name_known(const char *name, bool cases);

/* ST's member is in location NAME, or has case NAME open ("lapse"). */
bool member_matches(const Ld__MemberState *st, const char *name);

/* Where ST's member is. A stored state this version does not know reads as LOC_HOME. */
enum location member_location(const Ld__MemberState *st);

/* Set ST's location (fold only). The name ST points to afterwards is static text. */
void member_set_location(Ld__MemberState *st, enum location loc);

/* ---------------------------------------------------------------------------------------------- */
/* Predicates over one member's state. ST is never NULL; SITE is a LD_SITE_ID_BYTES id.           */

/* Away or checked in: his stay at the inflow site of his current registration is running. */
bool member_stay_active(const Ld__MemberState *st);

/* Reported in (报到) at his current inflow site. */
bool member_checked_in(const Ld__MemberState *st);

/* His relation moved or he was removed: nothing more is written about him anywhere. */
bool member_closed(const Ld__MemberState *st);

/* A lapse case (6 months without organizational life, dues or contact) is open. */
bool member_lapse_open(const Ld__MemberState *st);

/* On probation (预备党员). */
bool member_probationary(const Ld__MemberState *st);

/* The last day of his probation: one year from admission, or the extension's end. */
int32_t member_probation_end(const Ld__MemberState *st, int probation_months);

/* SITE holds his formal relation. */
bool site_is_outflow(const Ld__MemberState *st, const uint8_t *site);

/* SITE is his current inflow site (his stay there is running). */
bool site_is_inflow(const Ld__MemberState *st, const uint8_t *site);

/*
 * His registration out (外出登记) names SITE as his inflow site and is still open: he is away,
 * checked in, or departed from SITE with 查验 not yet done. `peer remove` refuses over such
 * members.
 */
bool member_registered_out_to(const Ld__MemberState *st, const uint8_t *site);

/*
 * PEER is his outflow site and registered him out to SELF, still open (member_registered_out_to
 * SELF): the inflow site's side of the same pair. `peer remove PEER` at SELF refuses over him.
 */
bool member_registered_out_from(const Ld__MemberState *st, const uint8_t *peer,
				const uint8_t *self);

/* His current inflow site's id (borrowed from ST), or NULL when his stay is not running. */
const uint8_t *member_inflow_site(const Ld__MemberState *st);

/*
 * He is in branch CODE of SITE: where SITE is his outflow site, his formal branch or the temporary
 * branch he was put in there; where SITE is his current inflow site, the branch he reported to
 * (报到) or the (temporary) branch he was put in there. `member list --branch` lists by it.
 */
bool member_in_branch(const Ld__MemberState *st, const uint8_t *site, const char *code);

/*
 * The branch of SITE he is shown in (borrowed from ST): at his outflow site his formal branch; at
 * his current inflow site the (temporary) branch he was put in, else the one he reported to; ""
 * where he is in none (a former inflow site, or not yet reported in). `member list` shows it.
 */
const char *member_branch_here(const Ld__MemberState *st, const uint8_t *site);

/*
 * SITE should raise reminders about him and run his daily work: his outflow site while he is not
 * closed; his inflow site while his stay runs. A former inflow site raises nothing.
 */
bool site_cares_for(const Ld__MemberState *st, const uint8_t *site);

/* The dues paid for MONTH under an approved reduction (少交/免交), or -1 if none covers it. */
int64_t member_exempt_fen(const Ld__MemberState *st, int32_t month);

/*
 * What his dues for the months FROM..TO (year * 12 + month - 1) come to: each month at the
 * amount an approved reduction sets for it, else at his monthly dues. 0 if TO < FROM.
 */
int64_t member_dues_owed_fen(const Ld__MemberState *st, int32_t from, int32_t to);

/* A payment above this many times what its months owe is voluntary (自愿多交), and must say so. */
#define DUES_VOLUNTARY_FACTOR 10

/* The months one receipt pays for (year*12+month-1, FROM <= TO). */
struct month_span {
	int32_t from, to;
};

/*
 * The last month his dues are settled for, the month the no-dues clock runs from, as of the month
 * AS_OF: a month is settled if a receipt in PAID (N_PAID of them, refunded ones left out) covers
 * it or it is reduced to 0 (免交). If AS_OF is settled, the last month of the settled run through
 * it; else the last settled month before it, back to FIRST_OWED - 1 (FIRST_OWED: the month his
 * stay began; INT32_MIN: none, then back 100 years). INT32_MIN if none is. So a month paid ahead
 * after a gap does not stop the clock of the gap ("6 consecutive months without dues").
 */
int32_t member_dues_settled_month(const Ld__MemberState *st, const struct month_span *paid,
				  size_t n_paid, int32_t first_owed, int32_t as_of);

/* ---------------------------------------------------------------------------------------------- */
/* Certificates (《流动党员活动证》)                                                              */

/* The last day C is usable: its body's valid_until, or renewed by its last passed review. */
int32_t cert_valid_until(const Ld__CertState *c);

/* The day of its issue or its last review (年审), passed or not: the review clock runs from it. */
int32_t cert_last_review(const Ld__CertState *c);

/* Not revoked, issued on or before DAY and usable through DAY. */
bool cert_active(const Ld__CertState *c, int32_t day);

/*
 * Whether certificate NUMBER, issued for a stay at INFLOW (a site id), is still his to show, by
 * what SITE knows of him (ST): 0, or LD_EREVOKED with the reason in WHY (LEN bytes, translated):
 * he is removed or transferred; another certificate is his current one; or SITE is INFLOW and his
 * stay there is over (departed, returned, registered out elsewhere). A certificate outlives
 * neither his membership nor the stay it was issued for, whatever it says.
 */
int cert_member_check(const Ld__MemberState *st, const char *number, const uint8_t *inflow,
		      const uint8_t *site, char *why, size_t len);

/*
 * Who collects his dues on DAY: his current inflow site while his stay runs and his certificate
 * CERT (NULL: none) is active, else his outflow site. Returns the id, borrowed from ST.
 */
const uint8_t *dues_collector(const Ld__MemberState *st, const Ld__CertState *cert, int32_t day);

/* ---------------------------------------------------------------------------------------------- */
/* Places */

/*
 * Compare two places after removing spaces and punctuation, half- and full-width alike
 * ("南京市 雨花台区" equals "南京市雨花台区"). True if they are the same place.
 */
bool place_same(const char *a, const char *b);

/* ---------------------------------------------------------------------------------------------- */
/* Events */

/* Who may write each kind (event_kind_writer) is in event.h; what it means for a member is here. */

/* The reason validate gives, and the site that may write the event when it is not ORIGIN. */
struct verdict {
	char why[240];
	bool has_writer; /* WRITER is the site that may */
	uint8_t writer[LD_SITE_ID_BYTES];
	const char *role; /* its role as WHY words it ("his outflow site"), static; or NULL */
};

/* The site that judges an event: itself, its day, its rules. */
struct domain_site {
	const uint8_t *self;  /* this site's id */
	int32_t today;	      /* date_today() at this site (Asia/Shanghai) */
	int probation_months; /* [rules] probation_months */
};

/*
 * May ORIGIN write EV, given the member's state in TXN before EV, at SITE? Checks that the event
 * carries a well-formed payload for its kind (so folding it cannot fail but on a store error),
 * that ORIGIN is the site the dual-management rule gives it to in the member's present location,
 * that his state allows it (no check-in twice, no dues after his stay ended, no decision without
 * a case...), that it concerns SITE (a peer's event), and that a date of something done is not
 * after today (a peer's: today + 1, for clocks a little apart).
 * Returns 0; or, with V->why set, LD_EINPUT (malformed), LD_EFORBIDDEN (not ORIGIN's to write, or
 * his state forbids it; V->writer names the site that may, when there is one), LD_EEXIST (done
 * already), LD_ENOTFOUND (a member, certificate, receipt or letter it needs is unknown here); or
 * another -errno if the store failed (V->why empty). Nothing is written.
 */
int domain_validate(struct store_txn *txn, const Ld__Event *ev, const uint8_t *origin,
		    const struct domain_site *site, struct verdict *v);

/*
 * The state of EV's member before EV, read once for domain_validate_state and the fold: *ST
 * (NULL if he is not known here, or EV names no valid identity number; else the caller frees it
 * with ld__member_state__free_unpacked). *HAVE (may be NULL): he was looked up (so *ST NULL means
 * not known here). Returns 0 or -errno from the store.
 */
int domain_member_before(struct store_txn *txn, const Ld__Event *ev, bool *have,
			 Ld__MemberState **st);

/*
 * domain_validate for a caller that holds the member's state before EV already: ST (NULL: he is
 * not known here; ignored for an event about no member), borrowed. So a command that read him
 * does not read him again, and an import can judge a row's registration out before his own
 * registration is written (ST: the state that registration makes).
 */
int domain_validate_state(struct store_txn *txn, const Ld__Event *ev, const uint8_t *origin,
			  const struct domain_site *site, const Ld__MemberState *st,
			  struct verdict *v);

/*
 * True if domain_validate_state judges EV about a member not known here (ST NULL) by EV, the
 * origin and SITE alone, reading nothing in the store: then a verdict given in one transaction
 * holds in a later one on the same day, with the same rules, as long as he is still not known
 * (an import's rows judged ahead of its writer). False for the kinds whose writer the store says
 * (requests, a site's own directory).
 */
bool domain_judged_alone(const Ld__Event *ev);

#define DOMAIN_MAX_DEST 3

/*
 * The sites other than SELF that EV concerns, from AFTER, the member's state once EV is folded
 * (borrowed; NULL for none): as domain_destinations, without reading the store. Returns the
 * number written to DEST, or LD_ENOTFOUND if EV needs his state and AFTER is NULL.
 */
int domain_route(const Ld__Event *ev, const Ld__MemberState *after, const uint8_t *self,
		 uint8_t dest[DOMAIN_MAX_DEST][LD_SITE_ID_BYTES]);

/*
 * The sites other than SELF that EV concerns, from the member's state in TXN after EV was folded:
 * his outflow site, his current inflow site, the site a transfer letter names, the former inflow
 * site a stay.ended tells. Writes up to DOMAIN_MAX_DEST ids into DEST and returns how many (0 for
 * site-local events), or -errno.
 */
int domain_destinations(struct store_txn *txn, const Ld__Event *ev, const uint8_t *self,
			uint8_t dest[DOMAIN_MAX_DEST][LD_SITE_ID_BYTES]);
