/*
 * cert.h: activity certificates (流动党员活动证): tokens, signatures, status.
 *
 * A certificate is a SignedCertificate: `body` is a serialized CertificateBody, `signature` the
 * issuing site's Ed25519 signature over exactly those bytes. Its token is "LD1:" followed by the
 * SignedCertificate bytes in base64url without padding: text, a QR code, or a PNG. Anyone holding
 * the issuer's public key can verify it offline, with this code or with `openssl pkeyutl`.
 */
#pragma once

#include <stddef.h>
#include <stdint.h>

#include "record.pb-c.h"
#include "lderr.h"

#define LD_TOKEN_PREFIX	   "LD1:"
#define LD_CERT_NUMBER_MAX 32

/*
 * The token of SC: a malloc'd NUL-terminated string the caller frees, or NULL (out of memory).
 */
char *cert_token(const Ld__SignedCertificate *sc);

/*
 * Parse TOKEN (surrounding white space allowed). On 0, *sc and *body are the caller's, freed with
 * ld__signed_certificate__free_unpacked(*sc, NULL) and ld__certificate_body__free_unpacked(*body,
 * NULL). Returns LD_EINPUT with *why (static) if it is not a token: wrong prefix, not base64url,
 * does not decode, or lacks fields.
 */
int cert_parse_token(const char *token, Ld__SignedCertificate **sc, Ld__CertificateBody **body,
		     const char **why);

/* base64url without padding of DATA into a malloc'd string (NULL on failure). */
char *base64url_encode(const uint8_t *data, size_t len);

/* Decode base64url (no padding; '=' tolerated) into a malloc'd buffer. Returns 0 or LD_EINPUT. */
int base64url_decode(const char *text, size_t text_len, uint8_t **out, size_t *out_len);
