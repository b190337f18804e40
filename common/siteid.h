/*
 * siteid.h: site ids, the names by which sites pin each other.
 *
 * A site id is the SHA-256 of the site's Ed25519 public key in SubjectPublicKeyInfo DER. It is
 * printed for people as base32 (RFC 4648 alphabet, no padding: 52 characters), cut into 4 groups of
 * 13, each followed by a Luhn mod 32 check character (56 characters), written as 8 groups of 7
 * joined by '-': MFZWI3D-BONSGYC-...   (as Syncthing device ids, so staff can read one over the
 * phone).
 */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include "lderr.h"

#define LD_SITE_ID_BYTES 32
#define LD_SITE_ID_TEXT	 64 /* 56 characters + 7 dashes + NUL */

/* SHA-256 of DER (LEN bytes) into ID. Returns 0 or -EIO. */
int siteid_from_spki(const uint8_t *der, size_t len, uint8_t id[LD_SITE_ID_BYTES]);

/* Format ID as text into OUT (63 characters and a NUL). Returns OUT. */
char *siteid_format(const uint8_t id[LD_SITE_ID_BYTES], char out[LD_SITE_ID_TEXT]);

/*
 * Parse text into ID. Accepts lowercase, and dashes or spaces anywhere (they are ignored); the
 * digits 0, 1 and 8 are read as O, I and B, as Syncthing does.
 * Returns 0, or LD_EINPUT with *reason (if not NULL) a static sentence: wrong length, a character
 * outside the base32 alphabet, or a check character that does not match (a mistyped id; the
 * sentence says which characters to read again). ID is untouched on failure.
 */
int siteid_parse(const char *s, uint8_t id[LD_SITE_ID_BYTES], const char **reason);
