/* page.c: see page.h. */
#include "page.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "lderr.h"

#define NONCE_BYTES 12
#define TAG_BYTES   16

/* The sealing key: made once per process, read-only after (pthread_once orders it). */
static pthread_once_t seal_once = PTHREAD_ONCE_INIT;
static unsigned char seal_key[32];
static bool seal_ready;

static void seal_init(void)
{
	seal_ready = RAND_bytes(seal_key, sizeof(seal_key)) == 1;
}

int page_begin(struct request *rq, struct page *pg)
{
	memset(pg, 0, sizeof(*pg));
	pg->limit = PAGE_ROWS_DEFAULT;
	const char *text = request_param(rq, "limit");
	if (!text)
		return 0;
	char *end;
	long n = strtol(text, &end, 10);
	if (!text[0] || *end || n < 1 || n > PAGE_ROWS_MAX)
		return request_fail(rq, LD_EINPUT, "the page limit must be 1 to %d rows",
				    PAGE_ROWS_MAX);
	pg->limit = (size_t)n;
	return 0;
}

bool page_full(const struct page *pg)
{
	return pg->rows >= pg->limit || pg->bytes >= PAGE_BYTES || pg->scanned >= PAGE_SCAN;
}

void page_take(struct page *pg, size_t bytes)
{
	pg->rows++;
	pg->bytes += bytes;
}

static size_t string_bytes(const char *s)
{
	size_t n = 2;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		n += c < 0x20 ? 6 : c == '"' || c == '\\' ? 2 : 1;
	}
	return n;
}

size_t page_json_bytes(const json_t *v)
{
	size_t n = 0;
	switch (json_typeof(v)) {
	case JSON_OBJECT: {
		const char *key;
		json_t *item;
		n = 2;
		json_object_foreach((json_t *)v, key, item)
		{
			n += string_bytes(key) + 2 + page_json_bytes(item);
		}
		return n;
	}
	case JSON_ARRAY:
		n = 2;
		for (size_t i = 0; i < json_array_size(v); i++)
			n += page_json_bytes(json_array_get(v, i)) + 1;
		return n;
	case JSON_STRING:
		return string_bytes(json_string_value(v));
	case JSON_INTEGER:
	case JSON_REAL:
		return 24;
	default:
		return 5;
	}
}

static void hex(const unsigned char *p, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
	}
	out[2 * n] = '\0';
}

static int unhex(const char *s, unsigned char *out, size_t cap, size_t *len)
{
	size_t n = strlen(s);
	if (n % 2 || n / 2 > cap)
		return -1;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		int v = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
		if (v < 0)
			return -1;
		if (i % 2)
			out[i / 2] |= (unsigned char)v;
		else
			out[i / 2] = (unsigned char)(v << 4);
	}
	*len = n / 2;
	return 0;
}

/* AES-256-GCM of IN (LEN bytes) into OUT, with NONCE; the tag into TAG, or checked against it. */
static int gcm(bool seal, const unsigned char *nonce, const unsigned char *in, size_t len,
	       unsigned char *out, unsigned char *tag)
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int n = 0, ok = ctx != NULL;
	ok = ok && EVP_CipherInit_ex(ctx, EVP_aes_256_gcm(), NULL, seal_key, nonce, seal ? 1 : 0);
	ok = ok && EVP_CipherUpdate(ctx, out, &n, in, (int)len) && (size_t)n == len;
	if (ok && !seal)
		ok = EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, TAG_BYTES, tag);
	ok = ok && EVP_CipherFinal_ex(ctx, out + len, &n);
	if (ok && seal)
		ok = EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, TAG_BYTES, tag);
	EVP_CIPHER_CTX_free(ctx);
	return ok ? 0 : -1;
}

int page_seal(char tag, const void *data, size_t len, char **out)
{
	*out = NULL;
	if (len > PAGE_SEALED_MAX)
		return -EINVAL;
	pthread_once(&seal_once, seal_init);
	size_t box_len = NONCE_BYTES + 1 + len + TAG_BYTES;
	unsigned char *plain = malloc(1 + len), *box = malloc(box_len);
	char *text = malloc(2 * box_len + 1);
	int rc = plain && box && text ? 0 : -ENOMEM;
	if (rc == 0 && (!seal_ready || RAND_bytes(box, NONCE_BYTES) != 1))
		rc = -EIO;
	if (rc == 0) {
		plain[0] = (unsigned char)tag;
		memcpy(plain + 1, data, len);
		if (gcm(true, box, plain, len + 1, box + NONCE_BYTES, box + NONCE_BYTES + 1 + len))
			rc = -EIO;
	}
	if (rc == 0) {
		hex(box, box_len, text);
		*out = text;
		text = NULL;
	}
	free(plain);
	free(box);
	free(text);
	return rc;
}

int page_open(struct request *rq, const char *text, char *tag, unsigned char **data, size_t *len)
{
	*data = NULL;
	*len = 0;
	pthread_once(&seal_once, seal_init);
	size_t cap = NONCE_BYTES + 1 + PAGE_SEALED_MAX + TAG_BYTES, n;
	unsigned char *box = malloc(cap), *plain = malloc(cap);
	int rc = box && plain ? LD_EINPUT : -ENOMEM;
	if (rc == LD_EINPUT && seal_ready && unhex(text, box, cap, &n) == 0 &&
	    n >= NONCE_BYTES + 1 + TAG_BYTES) {
		size_t plain_len = n - NONCE_BYTES - TAG_BYTES;
		if (gcm(false, box, box + NONCE_BYTES, plain_len, plain,
			box + NONCE_BYTES + plain_len) == 0) {
			*tag = (char)plain[0];
			*len = plain_len - 1;
			memmove(plain, plain + 1, *len);
			*data = plain;
			plain = NULL;
			rc = 0;
		}
	}
	free(box);
	free(plain);
	if (rc == LD_EINPUT)
		return request_fail(
		    rq, LD_EINPUT,
		    "the listing's place (after) is not one this daemon gave, or it "
		    "restarted since: run the command again");
	return rc;
}

int page_next(struct request *rq, char tag, const void *key, size_t len)
{
	if (!key) {
		json_object_set_new(rq->result, "next", json_null());
		return 0;
	}
	char *text;
	int rc = page_seal(tag, key, len, &text);
	if (rc == 0)
		json_object_set_new(rq->result, "next", json_string(text));
	free(text);
	return rc;
}
