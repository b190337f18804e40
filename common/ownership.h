/*
 * ownership.h: the dual-management rule (双重管理) in code: which site may originate an event
 * about a member, and which sites an event concerns.
 *
 * O = the member's outflow site (his formal relation), I = his current inflow site (the one his
 * outflow registration names). Each kind of event has exactly one of them as its writer
 * (event.h); a site refuses and quarantines an event from a site not entitled to it.
 */
#pragma once

#include <stdint.h>

#include "record.pb-c.h"
#include "siteid.h"
#include "store.h"

/*
 * May ORIGIN originate EV, given the member's state in TXN (before EV)? Returns 0 if so; -EPERM
 * with *why (static text) if not; -errno if the store failed. Site-local kinds are never accepted
 * from another site.
 */
int ownership_check(struct store_txn *txn, const Ld__Event *ev, const uint8_t *origin,
		    const char **why);

/*
 * As ownership_check, for an event this site is about to write itself: stricter, because here the
 * member's present state is known to be current. An inflow-only kind (feedback, departure,
 * check-in, probation opinion) needs him away now, not merely an inflow site that once was.
 * (A peer's event is judged by ownership_check alone: it may have been written before the
 * member's return reached that peer.)
 */
int ownership_check_local(struct store_txn *txn, const Ld__Event *ev, const uint8_t *self,
			  const char **why);

/*
 * The site entitled to write EV about its member (O, I, the caretaker or the transfer's receiver)
 * into OUT. Returns 0, -ENOENT if the member is unknown or the kind names no single site (local,
 * either), or -errno.
 */
int ownership_writer(struct store_txn *txn, const Ld__Event *ev, uint8_t out[LD_SITE_ID_BYTES]);

#define OWNERSHIP_MAX_DEST 3

/*
 * The sites other than SELF that EV concerns, from the member's state in TXN after EV was folded:
 * his outflow site, his current inflow site and the site a transfer letter names. Writes up to
 * OWNERSHIP_MAX_DEST ids into DEST and returns how many (0 for site-local events), or -errno.
 */
int ownership_destinations(struct store_txn *txn, const Ld__Event *ev, const uint8_t *self,
			   uint8_t dest[OWNERSHIP_MAX_DEST][LD_SITE_ID_BYTES]);
