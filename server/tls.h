/*
 * tls.h: TLS 1.3 with certificates on both sides, over memory BIOs, so that libuv moves the bytes
 * and OpenSSL only transforms them. Only tls.c includes OpenSSL's SSL headers.
 *
 * Data flow for one connection:
 *   bytes from the socket  -> tls_feed -> tls_handshake / tls_read -> plaintext
 *   plaintext -> tls_write -> tls_take_out -> bytes for the socket
 * After tls_feed, tls_handshake, tls_read or tls_write, call tls_take_out until it returns 0 and
 * send what it gives: TLS produces output (handshake messages, alerts, records) at any of them.
 *
 * Peers are not verified by a CA: every site's certificate is self-signed. Any certificate is
 * accepted during the handshake; after it, the caller must pin the key (tls_peer_spki) to a site
 * id.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "identity.h"
#include "lderr.h"

#define LD_ALPN "liudong/1"

struct tls_ctx;
struct tls_conn;

/*
 * A context presenting ID's certificate and key (TLS 1.3 only, ALPN liudong/1, peer certificate
 * required). *out is the caller's, freed with tls_ctx_free. Returns 0 or -EIO (reason logged).
 */
int tls_ctx_new(const struct identity *id, struct tls_ctx **out);
void tls_ctx_free(struct tls_ctx *ctx);

/* A connection on CTX, as the server (accepted) or the client (dialed). Freed with tls_conn_free.
 */
int tls_conn_new(struct tls_ctx *ctx, bool server, struct tls_conn **out);
void tls_conn_free(struct tls_conn *c);

/* Give bytes received from the socket. Returns 0 or -ENOMEM. */
int tls_feed(struct tls_conn *c, const void *data, size_t len);

/*
 * Move the handshake on. Returns 0 when it is complete (ALPN agreed, peer certificate present),
 * -EAGAIN while it needs more bytes from the peer, -EPROTO if it failed (tls_error says why).
 */
int tls_handshake(struct tls_conn *c);

/*
 * Read decrypted bytes into BUF. Returns the count (> 0), 0 if nothing is available until more is
 * fed, -EPIPE if the peer closed the TLS session, -EPROTO on a TLS failure.
 */
int tls_read(struct tls_conn *c, void *buf, size_t len);

/* Encrypt LEN bytes (all of them, after the handshake). Returns 0, or -EPROTO. */
int tls_write(struct tls_conn *c, const void *data, size_t len);

/* Bytes waiting to be sent to the socket. */
size_t tls_pending(struct tls_conn *c);

/* Take up to LEN waiting bytes into BUF. Returns the count (0: none). */
size_t tls_take_out(struct tls_conn *c, void *buf, size_t len);

/*
 * The peer's public key as SubjectPublicKeyInfo DER (after the handshake). *der is malloc'd, the
 * caller frees it. Returns 0, LD_ENOTFOUND (no certificate), or LD_EINPUT (not an Ed25519 key).
 */
int tls_peer_spki(struct tls_conn *c, uint8_t **der, size_t *len);

/* Why the last call failed (static or owned by C, valid until its next call). */
const char *tls_error(struct tls_conn *c);

/* The negotiated protocol version text ("TLSv1.3") after the handshake. */
const char *tls_version(struct tls_conn *c);
