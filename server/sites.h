/*
 * sites.h: naming sites for people: this site, a pinned peer, or an id nobody here knows.
 */
#pragma once

#include <jansson.h>
#include <stdint.h>

#include "config.h"
#include "record.pb-c.h"
#include "request.h"
#include "store.h"
#include "lderr.h"

/*
 * Find the site with ID (32 bytes). NAME receives this site's name or the peer's name. REC (may
 * be NULL) receives the peer's record (NULL for this site), freed by the caller with
 * ld__peer_record__free_unpacked(*rec, NULL). Returns 0, or LD_ENOTFOUND for a site not pinned
 * here.
 */
int site_lookup(const struct request *rq, struct store_txn *txn, const uint8_t *id,
		char name[LD_NAME_MAX], Ld__PeerRecord **rec);

/* The name of the site with ID, or its id text if it is not known here. A new JSON string. */
json_t *site_name_json(const struct request *rq, struct store_txn *txn, const uint8_t *id,
		       size_t id_len);

/*
 * The next number of a series this site issues, CODE-YEAR-<LETTER>SERIAL with a 6-digit serial
 * per year (LETTER 0: none): certificates 320583-2026-000017, receipts 320583-2026-R000001,
 * meetings ...-M..., transfer letters ...-T.... NAME names the series; DATE gives the year.
 */
int site_serial(const struct request *rq, struct store_txn *txn, const char *name, char letter,
		int32_t date, char *out, size_t len);

/*
 * NUMBER has the shape of a number of site_serial's series LETTER (any site's: digits, a year,
 * LETTER, at least 6 digits): 0, or LD_EINPUT recorded in RQ naming WHAT (N_("receipt"), ...:
 * translated here) and an example of this site's, so that a mistyped number is told apart from
 * one this site does not hold.
 */
int serial_check(struct request *rq, const char *number, char letter, const char *what);
