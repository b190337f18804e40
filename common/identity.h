/*
 * identity.h: a site's Ed25519 key, its self-signed TLS certificate, and signatures.
 *
 * The one key signs the site's TLS certificate, its activity certificates and its transfer letters.
 * The private key lives in site.key (PEM, PKCS#8, mode 0600), the certificate in site.crt (PEM).
 * Only this file and tls.c use OpenSSL keys and certificates; others see struct identity as opaque.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "siteid.h"
#include "lderr.h"

struct identity;

/*
 * Make a new key and a self-signed X.509 certificate (CN = NAME, valid 20 years) and write them to
 * KEY_PATH (created 0600, must not exist) and CRT_PATH (0644, must not exist).
 * NAME is UTF-8; the CN keeps its first 64 characters (X.509's limit), the config keeps the name.
 * ID (if not NULL) receives the site id. Returns 0, LD_EEXIST if a file exists, -errno on I/O
 * failure, LD_EINPUT if NAME is NULL or empty, -EIO on an OpenSSL failure (the reason is logged).
 * On failure neither file is left behind.
 */
int identity_create(const char *key_path, const char *crt_path, const char *name,
		    uint8_t id[LD_SITE_ID_BYTES]);

/*
 * Load the key from KEY_PATH (and check that CRT_PATH holds a certificate for the same key;
 * CRT_PATH may be NULL to skip that, and identity_crt_path then returns NULL). A key readable by
 * others and an expired certificate are logged as warnings. *out is the caller's, freed with
 * identity_free. Returns 0, LD_ENOTFOUND, -EACCES (or another -errno of open), -EIO (bad file, or
 * the certificate of another key; the reason is logged), -ENOMEM.
 */
int identity_load(const char *key_path, const char *crt_path, struct identity **out);

/* What identity_check_files found of the key and certificate files on disk. */
struct identity_files {
	int key_err;	   /* 0; -errno if it cannot be opened; -EIO: no Ed25519 key in it */
	bool key_other;	   /* it holds another key than the one the daemon runs with */
	unsigned key_mode; /* its permission bits (when it could be opened) */
	int crt_err;	   /* 0; -errno; -EIO: no certificate in it; LD_ENOTFOUND: none set */
	bool crt_other;	   /* the certificate is of another key than the key file's */
	int64_t crt_not_after_ms; /* when it expires, ms since 1970 (when crt_err is 0) */
};

/*
 * Read ID's key and certificate files again, as a restart would (quietly: nothing is logged, the
 * thread's OpenSSL error queue is left empty), into *out. CRT_PATH not given at load: crt_err is
 * LD_ENOTFOUND. Small files: quick enough for the loop thread. Returns 0 or -ENOMEM.
 */
int identity_check_files(const struct identity *id, struct identity_files *out);

/* Free ID (NULL allowed). */
void identity_free(struct identity *id);

/* The site id of ID. Pointer valid while ID lives. */
const uint8_t *identity_site_id(const struct identity *id);

/* The public key as SubjectPublicKeyInfo DER. Pointer valid while ID lives; *len receives its size.
 */
const uint8_t *identity_spki(const struct identity *id, size_t *len);

/* Paths given to identity_load (copies), for tls.c. Valid while ID lives. */
const char *identity_key_path(const struct identity *id);
const char *identity_crt_path(const struct identity *id);

/*
 * Ed25519 signature (64 bytes) of MSG (LEN bytes; NULL allowed when LEN is 0) into SIG.
 * Safe to call from several threads on one ID. Returns 0 or -EIO (logged).
 */
int identity_sign(const struct identity *id, const uint8_t *msg, size_t len, uint8_t sig[64]);

/*
 * Verify SIG over MSG with the public key in SPKI DER (SPKI_LEN bytes).
 * Returns 0 if valid, LD_ECORRUPT if the signature does not verify, LD_EINPUT if SPKI is not an
 * Ed25519 key, -EIO if OpenSSL fails otherwise (out of memory; logged). Nothing is logged for
 * LD_ECORRUPT or LD_EINPUT.
 */
int identity_verify(const uint8_t *spki, size_t spki_len, const uint8_t *msg, size_t len,
		    const uint8_t sig[64]);

/*
 * PEM ("-----BEGIN PUBLIC KEY-----") of an SPKI DER, as `openssl pkeyutl -pubin` reads it.
 * Returns a malloc'd NUL-terminated string the caller frees, or NULL if SPKI is not an Ed25519 key
 * or memory runs out.
 */
char *identity_spki_pem(const uint8_t *spki, size_t len);
