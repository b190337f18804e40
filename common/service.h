/*
 * service.h: the domain core of the service side (流动党员服务中心, issue 14): requests with
 * first-inquiry and first-handling responsibility (首问, 首办) and a promised time (限时办结), the
 * branch directory for finding an organization (找组织), notices with attendance or leave (请假),
 * visits (走访慰问). domain.c calls in here for these kinds; nothing else does.
 *
 * Who writes what (docs/domain.md, "Service"):
 * - request.opened: the site that took the matter, about any member it cares for (or none); never
 *   sent. request.forwarded: that site, about a member, to his other site (his outflow site from
 *   his inflow site, or the reverse), once; it carries the request and its trail so far.
 *   request.step (handover, answer, close): the site that took it or the site it went to, while it
 *   is open; each step names both sites and goes to the other one.
 * - branch.published: a site about its own branch, to every peer.
 * - notice.sent, notice.answered: his outflow site (event.h); the inflow site hears them.
 * - visit.recorded: his outflow site, or his inflow site while his stay runs.
 */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "domain.h"
#include "record.pb-c.h"
#include "store.h"

/* The kinds of requests, NULL-terminated (request open --kind). */
extern const char *const service_request_kinds[];
/* Notices (notice send --kind) and visits (visit add --kind), NULL-terminated. */
extern const char *const service_notice_kinds[];
extern const char *const service_visit_kinds[];

/* Is EV's payload well formed for its service kind? 0, or LD_EINPUT with V->why. Other kinds: 0. */
int service_payload_check(const Ld__Event *ev, struct verdict *v);

/*
 * domain_validate_state for the kinds written by WRITER_SERVICE or WRITER_SITE (requests, the
 * directory): ST is EV's member's state before it (borrowed, NULL: not known or no member).
 * Returns as domain_validate.
 */
int service_validate(struct store_txn *txn, const Ld__Event *ev, const uint8_t *origin,
		     const struct domain_site *site, const Ld__MemberState *st, struct verdict *v);

/*
 * What his state forbids for notice.answered and notice.sent, once the writer rule passed: the
 * notice is sent to him once; an answer to a notice he got, once. Other kinds: 0.
 */
int service_state_check(struct store_txn *txn, const Ld__Event *ev, struct verdict *v);

/*
 * The sites other than SELF a request event goes to (the payload names them: no store read).
 * Returns how many ids were written to DEST.
 */
int service_route(const Ld__Event *ev, const uint8_t *self,
		  uint8_t dest[DOMAIN_MAX_DEST][LD_SITE_ID_BYTES]);

/*
 * Fold EV (validated) into the service tables: requests (and their trail), notices (and the
 * answers), the directory. The member's history is fold.c's. Returns 0 or -errno.
 */
int service_fold(struct store_txn *txn, const Ld__Event *ev);

/* The request ID: *out unpacked, freed with ld__request_state__free_unpacked. 0, LD_ENOTFOUND,
 * LD_ECORRUPT. */
int request_state_get(struct store_txn *txn, const char *id, Ld__RequestState **out);

/* The notice ID: as request_state_get, freed with ld__notice_state__free_unpacked. */
int notice_state_get(struct store_txn *txn, const char *id, Ld__NoticeState **out);

/*
 * A peer pinned after this site published its branches: queue each of this site's branch.published
 * events (SELF's rows of the directory) for PEER, so it gets the directory its older peers have.
 * Returns 0 or -errno.
 */
int directory_send_own(struct store_txn *txn, const uint8_t *self, const uint8_t *peer);

/* The directory key of branch CODE of peer SITE: SITE's 32 bytes then CODE. Returns its length,
 * or 0 if CODE is too long for KEY (KEY_MAX bytes). */
#define DIRECTORY_KEY_MAX 96
size_t directory_key(const uint8_t *site, const char *code, uint8_t key[DIRECTORY_KEY_MAX]);
