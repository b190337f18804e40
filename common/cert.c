/* cert.c: see cert.h. */
#include "cert.h"
#include "i18n.h"
#include "utf8.h"
#include "lderr.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char b64url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

char *base64url_encode(const uint8_t *data, size_t len)
{
	char *out = malloc(len / 3 * 4 + 5);
	if (!out)
		return NULL;
	size_t o = 0, i = 0;
	for (; i + 2 < len; i += 3) {
		uint32_t v = (uint32_t)data[i] << 16 | (uint32_t)data[i + 1] << 8 | data[i + 2];
		out[o++] = b64url[v >> 18];
		out[o++] = b64url[(v >> 12) & 63];
		out[o++] = b64url[(v >> 6) & 63];
		out[o++] = b64url[v & 63];
	}
	if (len - i == 1) {
		uint32_t v = (uint32_t)data[i] << 16;
		out[o++] = b64url[v >> 18];
		out[o++] = b64url[(v >> 12) & 63];
	} else if (len - i == 2) {
		uint32_t v = (uint32_t)data[i] << 16 | (uint32_t)data[i + 1] << 8;
		out[o++] = b64url[v >> 18];
		out[o++] = b64url[(v >> 12) & 63];
		out[o++] = b64url[(v >> 6) & 63];
	}
	out[o] = '\0';
	return out;
}

static int b64url_value(char c)
{
	const char *p = c ? strchr(b64url, c) : NULL;
	return p ? (int)(p - b64url) : -1;
}

int base64url_decode(const char *text, size_t text_len, uint8_t **out, size_t *out_len)
{
	while (text_len > 0 && text[text_len - 1] == '=')
		text_len--;
	if (text_len % 4 == 1)
		return LD_EINPUT;
	uint8_t *buf = malloc(text_len / 4 * 3 + 3);
	if (!buf)
		return -ENOMEM;
	size_t o = 0;
	uint32_t acc = 0;
	int bits = 0;
	for (size_t i = 0; i < text_len; i++) {
		int v = b64url_value(text[i]);
		if (v < 0) {
			free(buf);
			return LD_EINPUT;
		}
		acc = acc << 6 | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			buf[o++] = (uint8_t)(acc >> bits);
		}
	}
	/* Leftover bits must be zero, so that each certificate has exactly one token. */
	if (bits && (acc & ((1u << bits) - 1)) != 0) {
		free(buf);
		return LD_EINPUT;
	}
	*out = buf;
	*out_len = o;
	return 0;
}

char *cert_token(const Ld__SignedCertificate *sc)
{
	size_t len = ld__signed_certificate__get_packed_size(sc);
	uint8_t *buf = malloc(len ? len : 1);
	if (!buf)
		return NULL;
	ld__signed_certificate__pack(sc, buf);
	char *b64 = base64url_encode(buf, len);
	free(buf);
	if (!b64)
		return NULL;
	char *token = malloc(strlen(LD_TOKEN_PREFIX) + strlen(b64) + 1);
	if (token)
		sprintf(token, "%s%s", LD_TOKEN_PREFIX, b64);
	free(b64);
	return token;
}

int cert_parse_token(const char *token, Ld__SignedCertificate **sc, Ld__CertificateBody **body,
		     const char **why)
{
	while (isspace((unsigned char)*token))
		token++;
	size_t len = strlen(token);
	while (len > 0 && isspace((unsigned char)token[len - 1]))
		len--;
	size_t plen = strlen(LD_TOKEN_PREFIX);
	if (len < plen || strncmp(token, LD_TOKEN_PREFIX, plen) != 0) {
		*why = _("a certificate token begins with LD1:");
		return LD_EINPUT;
	}
	uint8_t *raw;
	size_t raw_len;
	if (base64url_decode(token + plen, len - plen, &raw, &raw_len) != 0) {
		*why = _("the token is not base64url text (a character is wrong or missing)");
		return LD_EINPUT;
	}
	*sc = ld__signed_certificate__unpack(NULL, raw_len, raw);
	free(raw);
	if (!*sc) {
		*why = _("the token does not decode as a certificate");
		return LD_EINPUT;
	}
	*body = ld__certificate_body__unpack(NULL, (*sc)->body.len, (*sc)->body.data);
	const Ld__CertificateBody *b = *body;
	if (!b || (*sc)->signature.len != 64 || !b->number[0] || !b->member[0] ||
	    b->issuer.len != 32 || !utf8_valid(b->number, false) || !utf8_valid(b->member, false) ||
	    !utf8_valid(b->name, false) || !utf8_valid(b->sex, false) ||
	    !utf8_valid(b->formal_branch, false) || !utf8_valid(b->issuer_name, false) ||
	    !utf8_valid(b->inflow_name, false) || !utf8_valid(b->place, false)) {
		if (*body)
			ld__certificate_body__free_unpacked(*body, NULL);
		ld__signed_certificate__free_unpacked(*sc, NULL);
		*why = _("the token does not hold a complete certificate");
		return LD_EINPUT;
	}
	return 0;
}
