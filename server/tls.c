/*
 * tls.c: see tls.h. One SSL object per connection with two memory BIOs: `in` holds bytes the
 * socket delivered and TLS has not read; `out` holds bytes TLS wrote and the socket has not sent.
 */
#include "tls.h"

#include <errno.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "logging.h"
#include "lderr.h"

struct tls_ctx {
	SSL_CTX *ssl_ctx;
};

struct tls_conn {
	SSL *ssl;
	BIO *in, *out;
	bool server;
	char error[256];
};

static const unsigned char alpn_wire[] = "\x09" LD_ALPN;

/* Drain OpenSSL's error queue into BUF (one line), for logs and status. */
static void drain_errors(char *buf, size_t len, const char *what)
{
	unsigned long e = ERR_get_error();
	if (e) {
		char reason[200];
		ERR_error_string_n(e, reason, sizeof(reason));
		snprintf(buf, len, "%s: %s", what, reason);
	} else {
		snprintf(buf, len, "%s", what);
	}
	ERR_clear_error();
}

/* Any certificate passes the handshake: sites are self-signed and pinned by key afterwards. */
static int accept_any(int preverify, X509_STORE_CTX *store)
{
	return 1;
}

static int select_alpn(SSL *ssl, const unsigned char **out, unsigned char *outlen,
		       const unsigned char *in, unsigned int inlen, void *arg)
{
	unsigned char *selected;
	if (SSL_select_next_proto(&selected, outlen, alpn_wire, sizeof(alpn_wire) - 1, in, inlen) !=
	    OPENSSL_NPN_NEGOTIATED)
		return SSL_TLSEXT_ERR_ALERT_FATAL;
	*out = selected;
	return SSL_TLSEXT_ERR_OK;
}

int tls_ctx_new(const struct identity *id, struct tls_ctx **out)
{
	struct tls_ctx *t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	char why[256];
	t->ssl_ctx = SSL_CTX_new(TLS_method());
	if (!t->ssl_ctx)
		goto fail;
	if (!SSL_CTX_set_min_proto_version(t->ssl_ctx, TLS1_3_VERSION) ||
	    !SSL_CTX_set_max_proto_version(t->ssl_ctx, TLS1_3_VERSION))
		goto fail;
	if (SSL_CTX_use_certificate_file(t->ssl_ctx, identity_crt_path(id), SSL_FILETYPE_PEM) !=
		1 ||
	    SSL_CTX_use_PrivateKey_file(t->ssl_ctx, identity_key_path(id), SSL_FILETYPE_PEM) != 1 ||
	    SSL_CTX_check_private_key(t->ssl_ctx) != 1)
		goto fail;
	SSL_CTX_set_verify(t->ssl_ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT,
			   accept_any);
	SSL_CTX_set_alpn_select_cb(t->ssl_ctx, select_alpn, NULL);
	SSL_CTX_set_session_cache_mode(t->ssl_ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_num_tickets(t->ssl_ctx, 0);
	SSL_CTX_set_mode(t->ssl_ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_RELEASE_BUFFERS);
	*out = t;
	return 0;
fail:
	drain_errors(why, sizeof(why), "TLS set-up failed");
	log_error("%s", why);
	if (t->ssl_ctx)
		SSL_CTX_free(t->ssl_ctx);
	free(t);
	return -EIO;
}

void tls_ctx_free(struct tls_ctx *ctx)
{
	if (!ctx)
		return;
	SSL_CTX_free(ctx->ssl_ctx);
	free(ctx);
}

int tls_conn_new(struct tls_ctx *ctx, bool server, struct tls_conn **out)
{
	struct tls_conn *c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->server = server;
	c->ssl = SSL_new(ctx->ssl_ctx);
	c->in = BIO_new(BIO_s_mem());
	c->out = BIO_new(BIO_s_mem());
	if (!c->ssl || !c->in || !c->out) {
		SSL_free(c->ssl);
		BIO_free(c->in);
		BIO_free(c->out);
		free(c);
		return -ENOMEM;
	}
	BIO_set_mem_eof_return(c->in, -1);  /* an empty input is "want more", not end of stream */
	SSL_set_bio(c->ssl, c->in, c->out); /* the SSL owns both BIOs now */
	if (server) {
		SSL_set_accept_state(c->ssl);
	} else {
		SSL_set_alpn_protos(c->ssl, alpn_wire, sizeof(alpn_wire) - 1);
		SSL_set_connect_state(c->ssl);
	}
	*out = c;
	return 0;
}

void tls_conn_free(struct tls_conn *c)
{
	if (!c)
		return;
	SSL_free(c->ssl);
	free(c);
}

int tls_feed(struct tls_conn *c, const void *data, size_t len)
{
	while (len > 0) {
		int chunk = len > (1u << 30) ? (1 << 30) : (int)len;
		int n = BIO_write(c->in, data, chunk);
		if (n <= 0)
			return -ENOMEM;
		data = (const uint8_t *)data + n;
		len -= (size_t)n;
	}
	return 0;
}

/* Translate an SSL_* result. */
static int ssl_result(struct tls_conn *c, int ret, const char *what)
{
	int err = SSL_get_error(c->ssl, ret);
	switch (err) {
	case SSL_ERROR_WANT_READ:
	case SSL_ERROR_WANT_WRITE:
		ERR_clear_error();
		return -EAGAIN;
	case SSL_ERROR_ZERO_RETURN:
		snprintf(c->error, sizeof(c->error), "the peer closed the TLS session");
		return -EPIPE;
	default:
		drain_errors(c->error, sizeof(c->error), what);
		return -EPROTO;
	}
}

int tls_handshake(struct tls_conn *c)
{
	if (SSL_is_init_finished(c->ssl))
		return 0;
	int ret = SSL_do_handshake(c->ssl);
	if (ret != 1) {
		int rc = ssl_result(c, ret, "TLS handshake failed");
		return rc == -EPIPE ? -EPROTO : rc;
	}
	const unsigned char *proto;
	unsigned int proto_len;
	SSL_get0_alpn_selected(c->ssl, &proto, &proto_len);
	if (proto_len != strlen(LD_ALPN) || memcmp(proto, LD_ALPN, proto_len) != 0) {
		snprintf(c->error, sizeof(c->error), "the peer does not speak %s (ALPN)", LD_ALPN);
		return -EPROTO;
	}
	if (!SSL_get0_peer_certificate(c->ssl)) {
		snprintf(c->error, sizeof(c->error), "the peer presented no certificate");
		return -EPROTO;
	}
	return 0;
}

int tls_read(struct tls_conn *c, void *buf, size_t len)
{
	size_t got = 0;
	int ret = SSL_read_ex(c->ssl, buf, len, &got);
	if (ret == 1)
		return (int)got;
	int rc = ssl_result(c, ret, "TLS read failed");
	return rc == -EAGAIN ? 0 : rc;
}

int tls_write(struct tls_conn *c, const void *data, size_t len)
{
	while (len > 0) {
		size_t written = 0;
		int ret = SSL_write_ex(c->ssl, data, len, &written);
		if (ret != 1) {
			int rc = ssl_result(c, ret, "TLS write failed");
			if (rc != -EAGAIN)
				return rc;
			/* Memory BIOs never block: WANT_* here means renegotiation data; go on. */
			if (written == 0)
				return -EPROTO;
		}
		data = (const uint8_t *)data + written;
		len -= written;
	}
	return 0;
}

size_t tls_pending(struct tls_conn *c)
{
	return BIO_ctrl_pending(c->out);
}

size_t tls_take_out(struct tls_conn *c, void *buf, size_t len)
{
	size_t got = 0;
	if (BIO_read_ex(c->out, buf, len, &got) != 1)
		return 0;
	return got;
}

int tls_peer_spki(struct tls_conn *c, uint8_t **der, size_t *len)
{
	X509 *cert = SSL_get0_peer_certificate(c->ssl);
	if (!cert)
		return LD_ENOTFOUND;
	EVP_PKEY *key = X509_get0_pubkey(cert);
	if (!key || EVP_PKEY_get_id(key) != EVP_PKEY_ED25519)
		return LD_EINPUT;
	unsigned char *buf = NULL;
	int n = i2d_PUBKEY(key, &buf);
	if (n <= 0)
		return LD_EINPUT;
	*der = malloc((size_t)n);
	if (!*der) {
		OPENSSL_free(buf);
		return -ENOMEM;
	}
	memcpy(*der, buf, (size_t)n);
	OPENSSL_free(buf);
	*len = (size_t)n;
	return 0;
}

const char *tls_error(struct tls_conn *c)
{
	return c->error[0] ? c->error : "unknown TLS failure";
}

const char *tls_version(struct tls_conn *c)
{
	return SSL_get_version(c->ssl);
}
