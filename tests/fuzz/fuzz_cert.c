/*
 * fuzz_cert.c: a certificate token (LD1:...) as anyone may type or scan it: cert_parse_token and
 * base64url, then `cert verify` through the daemon's handler (token_check: issuer, signature,
 * revocation, expiry) on a real site with a fixed key (fuzz_site.h), so that the corpus's tokens,
 * issued by that site, reach the signature's success path.
 *
 * The site is seeded once: branch 001, peer 南京 pinned, members M1 and M2 away at 南京, each
 * with a certificate issued by `cert issue` (320583-YYYY-000001 and -000002); the second is
 * revoked.
 *
 * Invariants (a violation traps): base64url text that decodes encodes back to itself (padding
 * aside); a token that parses, written again with cert_token, parses to the same bytes and is
 * written the same; a signature this site makes over a body verifies with its key and fails with
 * one bit changed; `cert verify` says valid only if the signature verifies with this site's key
 * and the issuer is this site; a refusal always gives a reason.
 *
 * FUZZ_CERT_CORPUS=DIR writes the seed corpus (the two certificates' tokens, expired, altered,
 * another issuer, white space, padding, garbage) into DIR and exits.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cert.h"
#include "date.h"
#include "fuzz_site.h"
#include "identity.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define M1 "320583199007070639"
#define M2 "320583198005050410"

static struct daemon site;
static char tokens[2][1024];

static void run_or_die(struct store_txn *txn, const char *command, const char *const *params,
		       struct fuzz_answer *answer)
{
	if (fuzz_site_run(&site, txn, command, params, answer) != 0) {
		fprintf(stderr, "fuzz_cert: seeding: %s failed\n", command);
		abort();
	}
}

static void seed(void)
{
	uint8_t peer[LD_SITE_ID_BYTES];
	char peer_text[LD_SITE_ID_TEXT];
	memset(peer, 0xb2, sizeof(peer));
	siteid_format(peer, peer_text);
	struct store_txn *txn;
	if (store_begin(site.store, true, &txn))
		abort();
	run_or_die(txn, "branch.add", (const char *[]){"arg", "001", "name", "第一支部", NULL},
		   NULL);
	run_or_die(
	    txn, "peer.add",
	    (const char *[]){"arg", "南京", "id", peer_text, "address", "127.0.0.1:7700", NULL},
	    NULL);
	const char *members[2] = {M1, M2}, *births[2] = {"1990-07-07", "1980-05-05"};
	for (int i = 0; i < 2; i++) {
		run_or_die(txn, "member.add",
			   (const char *[]){"id", members[i], "name", "刘洋", "sex", "M", "birth",
					    births[i], "joined", "2012-07-01", "kind", "full",
					    "branch", "001", "dues-category", "student", NULL},
			   NULL);
		run_or_die(txn, "outflow.register",
			   (const char *[]){"arg", members[i], "to", "南京", "place", "南京大学",
					    "reason", "study", "from", "2025-09-01", NULL},
			   NULL);
		struct fuzz_answer r;
		run_or_die(txn, "cert.issue", (const char *[]){"arg", members[i], NULL}, &r);
		const char *token = json_string_value(json_object_get(r.result, "token"));
		if (!token)
			abort();
		snprintf(tokens[i], sizeof(tokens[i]), "%s", token);
		fuzz_answer_free(&r);
	}
	Ld__SignedCertificate *sc;
	Ld__CertificateBody *b;
	const char *why;
	if (cert_parse_token(tokens[1], &sc, &b, &why))
		abort();
	run_or_die(txn, "cert.revoke", (const char *[]){"arg", b->number, "reason", "lost", NULL},
		   NULL);
	ld__certificate_body__free_unpacked(b, NULL);
	ld__signed_certificate__free_unpacked(sc, NULL);
	if (store_commit(txn))
		abort();
}

/* ---------------------------------------------------------------------------------------------- */
/* The seed corpus                                                                                */

static void write_text(const char *out, const char *name, const char *text)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", out, name);
	FILE *f = fopen(path, "wb");
	if (!f || fputs(text, f) < 0 || fclose(f) != 0)
		abort();
}

/* A token of BODY signed by this site (or with a zero signature if !SIGNED); the caller frees. */
static char *token_of(const Ld__CertificateBody *body, bool sign)
{
	uint8_t bb[2048], sig[64] = {0};
	size_t bl = ld__certificate_body__pack(body, bb);
	if (sign && identity_sign(site.identity, bb, bl, sig))
		abort();
	Ld__SignedCertificate sc = LD__SIGNED_CERTIFICATE__INIT;
	sc.body.data = bb;
	sc.body.len = bl;
	sc.signature.data = sig;
	sc.signature.len = sizeof(sig);
	return cert_token(&sc);
}

static void write_corpus(const char *out)
{
	write_text(out, "issued", tokens[0]);
	write_text(out, "revoked", tokens[1]);
	Ld__SignedCertificate *sc;
	Ld__CertificateBody *b;
	const char *why;
	if (cert_parse_token(tokens[0], &sc, &b, &why))
		abort();
	int32_t issued = b->issued, until = b->valid_until;
	b->issued = date_today() - 800;
	b->valid_until = date_today() - 435;
	char *t = token_of(b, true);
	write_text(out, "expired", t);
	free(t);
	b->issued = issued;
	b->valid_until = until;
	t = token_of(b, false);
	write_text(out, "bad-signature", t);
	free(t);
	uint8_t other[LD_SITE_ID_BYTES];
	memset(other, 0xc3, sizeof(other));
	uint8_t *issuer = b->issuer.data;
	char *issuer_name = b->issuer_name, *number = b->number;
	b->issuer.data = other;
	b->issuer_name = "上海";
	t = token_of(b, true);
	write_text(out, "unknown-issuer", t);
	free(t);
	b->issuer.data = issuer;
	b->issuer_name = issuer_name;
	b->number = "";
	t = token_of(b, true);
	write_text(out, "no-number", t);
	free(t);
	b->number = number;
	ld__certificate_body__free_unpacked(b, NULL);
	ld__signed_certificate__free_unpacked(sc, NULL);
	char buf[1200];
	snprintf(buf, sizeof(buf), "  \t%s\r\n", tokens[0]);
	write_text(out, "white-space", buf);
	snprintf(buf, sizeof(buf), "%s==", tokens[0]);
	write_text(out, "padded", buf);
	size_t n = strlen(tokens[0]);
	snprintf(buf, sizeof(buf), "%s", tokens[0]);
	buf[n - 1] = buf[n - 1] == 'A' ? 'B' : 'A'; /* leftover bits, or another signature */
	write_text(out, "last-char", buf);
	write_text(out, "prefix-only", "LD1:");
	write_text(out, "lowercase-prefix", "ld1:CgA");
	write_text(out, "garbage", "LD1:////++++====");
}

/* ---------------------------------------------------------------------------------------------- */

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_site_open(&site, fuzz_site_key_pem);
	seed();
	const char *corpus = getenv("FUZZ_CERT_CORPUS");
	if (corpus) {
		write_corpus(corpus);
		exit(0);
	}
	return 0;
}

/* base64url: what decodes encodes back to the same text, trailing '=' aside. */
static void check_base64(const char *text, size_t len)
{
	uint8_t *raw;
	size_t raw_len;
	if (base64url_decode(text, len, &raw, &raw_len) != 0)
		return;
	char *again = base64url_encode(raw, raw_len);
	if (!again)
		abort();
	while (len > 0 && text[len - 1] == '=')
		len--;
	if (strlen(again) != len || memcmp(again, text, len) != 0)
		__builtin_trap();
	free(again);
	free(raw);
}

/* A token that parses, written again, parses to the same and is written the same. */
static void check_token(const char *token)
{
	Ld__SignedCertificate *sc, *sc2;
	Ld__CertificateBody *b, *b2;
	const char *why;
	if (cert_parse_token(token, &sc, &b, &why) != 0)
		return;
	char *t1 = cert_token(sc);
	if (!t1)
		abort();
	if (cert_parse_token(t1, &sc2, &b2, &why) != 0)
		__builtin_trap(); /* a token we write must read back */
	char *t2 = cert_token(sc2);
	if (!t2 || strcmp(t1, t2) != 0 || sc->body.len != sc2->body.len ||
	    memcmp(sc->body.data, sc2->body.data, sc->body.len) != 0 ||
	    memcmp(sc->signature.data, sc2->signature.data, 64) != 0)
		__builtin_trap();
	/* This site's signature over the body verifies; one bit off, it does not. */
	uint8_t sig[64];
	size_t spki_len;
	const uint8_t *spki = identity_spki(site.identity, &spki_len);
	if (identity_sign(site.identity, sc->body.data, sc->body.len, sig))
		abort();
	if (identity_verify(spki, spki_len, sc->body.data, sc->body.len, sig) != 0)
		__builtin_trap();
	sig[sc->body.len % 64] ^= 1;
	if (identity_verify(spki, spki_len, sc->body.data, sc->body.len, sig) == 0)
		__builtin_trap();
	free(t1);
	free(t2);
	ld__certificate_body__free_unpacked(b2, NULL);
	ld__signed_certificate__free_unpacked(sc2, NULL);
	ld__certificate_body__free_unpacked(b, NULL);
	ld__signed_certificate__free_unpacked(sc, NULL);
}

/* `cert verify` says valid only for a token this site signed. */
static void check_verify(const char *token)
{
	struct store_txn *txn;
	if (store_begin(site.store, true, &txn) != 0)
		return;
	struct fuzz_answer a;
	int rc = fuzz_site_run(&site, txn, "cert.verify", (const char *[]){"arg", token, NULL}, &a);
	json_t *r = a.result;
	store_abort(txn);
	if (rc == 0 && json_is_true(json_object_get(r, "valid"))) {
		Ld__SignedCertificate *sc;
		Ld__CertificateBody *b;
		const char *why;
		size_t spki_len;
		const uint8_t *spki = identity_spki(site.identity, &spki_len);
		if (cert_parse_token(token, &sc, &b, &why) != 0)
			__builtin_trap();
		if (memcmp(b->issuer.data, site.site_id, LD_SITE_ID_BYTES) != 0 ||
		    identity_verify(spki, spki_len, sc->body.data, sc->body.len,
				    sc->signature.data) != 0)
			__builtin_trap(); /* valid, but not signed by this site */
		ld__certificate_body__free_unpacked(b, NULL);
		ld__signed_certificate__free_unpacked(sc, NULL);
	}
	if (rc == 0 && json_is_false(json_object_get(r, "valid")) &&
	    !json_string_value(json_object_get(r, "reason")))
		__builtin_trap(); /* not valid, and no reason why */
	fuzz_answer_free(&a);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	size_t len = strlen(s);
	check_base64(s, len);
	if (len >= strlen(LD_TOKEN_PREFIX))
		check_base64(s + strlen(LD_TOKEN_PREFIX), len - strlen(LD_TOKEN_PREFIX));
	check_token(s);
	check_verify(s);
	free(s);
	return 0;
}
