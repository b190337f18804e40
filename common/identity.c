/*
 * identity.c: the site's Ed25519 key and self-signed certificate, and Ed25519 signatures.
 *
 * Files are written through memory BIOs and plain write(2), so that the key file is created with
 * O_EXCL and mode 0600 before a byte of it exists, and an I/O failure keeps its errno. Every
 * OpenSSL failure drains the thread's error queue into one logged line (openssl_fail), so no stale
 * error is left behind for the next TLS call to misread.
 */
#include "identity.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "logging.h"
#include "lderr.h"

#define SIGNATURE_BYTES	      64
#define CERT_VALID_DAYS	      (20 * 365 + 5) /* 20 years, leap days included */
#define CERT_BACKDATE_SECONDS (24 * 3600)    /* a peer whose clock is behind still accepts it */
#define CN_MAX_CHARS	      64	     /* ub-common-name of X.520 */

struct identity {
	EVP_PKEY *key;
	uint8_t id[LD_SITE_ID_BYTES];
	uint8_t *spki;
	size_t spki_len;
	char *key_path;
	char *crt_path;
};

/*
 * Log WHAT with the reasons OpenSSL queued for it, and empty the queue.
 * Returns -EIO, so that callers can write `return openssl_fail(...)`.
 */
__attribute__((format(printf, 1, 2))) static int openssl_fail(const char *what, ...)
{
	char message[512];
	char reasons[1024] = "";
	size_t used = 0;
	unsigned long e;
	va_list ap;

	va_start(ap, what);
	vsnprintf(message, sizeof(message), what, ap);
	va_end(ap);
	while ((e = ERR_get_error()) != 0) {
		const char *lib = ERR_lib_error_string(e);
		const char *reason = ERR_reason_error_string(e);
		char code[256];

		if (reason == NULL) {
			ERR_error_string_n(e, code, sizeof(code));
			reason = code;
		}
		if (used < sizeof(reasons))
			used += (size_t)snprintf(reasons + used, sizeof(reasons) - used, "%s%s%s%s",
						 used > 0 ? "; " : "", lib ? lib : "",
						 lib ? ": " : "", reason);
	}
	log_error("%s: %s", message, used > 0 ? reasons : "OpenSSL gave no reason");
	return -EIO;
}

/* Write all LEN bytes of BUF to FD. Returns 0 or -errno. */
static int write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			return lderr_from_errno(errno);
		}
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Write the contents of memory BIO MEM to FD and fsync it. Returns 0 or -errno. */
static int write_bio(int fd, BIO *mem)
{
	char *data;
	long len = BIO_get_mem_data(mem, &data);
	int r;

	if (len <= 0)
		return -EIO;
	r = write_all(fd, data, (size_t)len);
	if (r < 0)
		return r;
	if (fsync(fd) < 0)
		return lderr_from_errno(errno);
	return 0;
}

/* The SubjectPublicKeyInfo DER of KEY in *out (OPENSSL_free it) and its length, or -EIO. */
static int spki_of(EVP_PKEY *key, uint8_t **out, size_t *len)
{
	unsigned char *der = NULL;
	int n = i2d_PUBKEY(key, &der);

	if (n <= 0)
		return openssl_fail("cannot encode the public key");
	*out = der;
	*len = (size_t)n;
	return 0;
}

/* The Ed25519 public key in SPKI DER, or NULL (queue cleared) if it is not one. Caller frees. */
static EVP_PKEY *ed25519_from_spki(const uint8_t *spki, size_t len)
{
	const unsigned char *p = spki;
	EVP_PKEY *key;

	if (spki == NULL || len == 0 || len > LONG_MAX)
		return NULL;
	key = d2i_PUBKEY(NULL, &p, (long)len);
	if (key == NULL || p != spki + len || !EVP_PKEY_is_a(key, "ED25519")) {
		EVP_PKEY_free(key);
		ERR_clear_error();
		return NULL;
	}
	return key;
}

/* The first CN_MAX_CHARS UTF-8 characters of NAME, as a length in bytes. */
static size_t cn_length(const char *name)
{
	size_t chars = 0;
	size_t i = 0;

	for (; name[i] != '\0'; i++) {
		if (((unsigned char)name[i] & 0xc0) != 0x80 && chars++ == CN_MAX_CHARS)
			break;
	}
	return i;
}

/* A new self-signed certificate for KEY with CN = NAME, or NULL (logged). Caller frees. */
static X509 *make_certificate(EVP_PKEY *key, const char *name)
{
	static const struct {
		int nid;
		const char *value;
	} extensions[] = {
	    {NID_basic_constraints, "critical,CA:FALSE"},
	    {NID_key_usage, "critical,digitalSignature"},
	    {NID_ext_key_usage, "serverAuth,clientAuth"},
	    {NID_subject_key_identifier, "hash"},
	};
	unsigned char serial_bytes[16];
	X509V3_CTX ctx;
	BIGNUM *serial = NULL;
	X509_NAME *subject;
	X509 *cert = X509_new();

	if (cert == NULL)
		goto fail_cert;
	if (RAND_bytes(serial_bytes, sizeof(serial_bytes)) != 1)
		goto fail_cert;
	serial_bytes[0] &= 0x7f; /* positive */
	serial_bytes[0] |= 0x40; /* and 16 bytes long */
	serial = BN_bin2bn(serial_bytes, sizeof(serial_bytes), NULL);
	if (serial == NULL || BN_to_ASN1_INTEGER(serial, X509_get_serialNumber(cert)) == NULL)
		goto fail_cert;
	if (X509_set_version(cert, X509_VERSION_3) != 1)
		goto fail_cert;
	if (X509_gmtime_adj(X509_getm_notBefore(cert), -CERT_BACKDATE_SECONDS) == NULL ||
	    X509_time_adj_ex(X509_getm_notAfter(cert), CERT_VALID_DAYS, 0, NULL) == NULL)
		goto fail_cert;
	subject = X509_get_subject_name(cert);
	if (X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_UTF8, (const unsigned char *)name,
				       (int)cn_length(name), -1, 0) != 1)
		goto fail_cert;
	if (X509_set_issuer_name(cert, subject) != 1 || X509_set_pubkey(cert, key) != 1)
		goto fail_cert;
	X509V3_set_ctx(&ctx, cert, cert, NULL, NULL, 0);
	for (size_t i = 0; i < sizeof(extensions) / sizeof(extensions[0]); i++) {
		X509_EXTENSION *ext =
		    X509V3_EXT_conf_nid(NULL, &ctx, extensions[i].nid, extensions[i].value);
		int added = ext != NULL && X509_add_ext(cert, ext, -1) == 1;

		X509_EXTENSION_free(ext);
		if (!added)
			goto fail_cert;
	}
	if (X509_sign(cert, key, NULL) <= 0) /* Ed25519 takes no digest */
		goto fail_cert;
	BN_free(serial);
	return cert;

fail_cert:
	openssl_fail("cannot make the site certificate");
	BN_free(serial);
	X509_free(cert);
	return NULL;
}

int identity_create(const char *key_path, const char *crt_path, const char *name,
		    uint8_t id[LD_SITE_ID_BYTES])
{
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;
	BIO *key_pem = NULL;
	BIO *crt_pem = NULL;
	uint8_t *spki = NULL;
	size_t spki_len = 0;
	int key_fd = -1;
	int crt_fd = -1;
	int r;

	if (name == NULL || name[0] == '\0')
		return LD_EINPUT;
	key_fd = open(key_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (key_fd < 0)
		return lderr_from_errno(errno);
	crt_fd = open(crt_path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (crt_fd < 0) {
		r = lderr_from_errno(errno);
		goto fail_key_file;
	}

	key = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	if (key == NULL) {
		r = openssl_fail("cannot generate an Ed25519 key");
		goto fail_files;
	}
	cert = make_certificate(key, name);
	if (cert == NULL) {
		r = -EIO;
		goto fail_key;
	}
	key_pem = BIO_new(BIO_s_mem());
	crt_pem = BIO_new(BIO_s_mem());
	if (key_pem == NULL || crt_pem == NULL ||
	    PEM_write_bio_PrivateKey(key_pem, key, NULL, NULL, 0, NULL, NULL) != 1 ||
	    PEM_write_bio_X509(crt_pem, cert) != 1) {
		r = openssl_fail("cannot encode the site key and certificate");
		goto fail_pem;
	}
	r = write_bio(key_fd, key_pem);
	if (r < 0) {
		log_error("cannot write %s: %s", key_path, lderr_str(r));
		goto fail_pem;
	}
	r = write_bio(crt_fd, crt_pem);
	if (r < 0) {
		log_error("cannot write %s: %s", crt_path, lderr_str(r));
		goto fail_pem;
	}
	r = spki_of(key, &spki, &spki_len);
	if (r < 0)
		goto fail_pem;
	if (id != NULL && siteid_from_spki(spki, spki_len, id) < 0) {
		r = openssl_fail("cannot hash the public key");
		goto fail_spki;
	}
	if (close(crt_fd) < 0) {
		r = lderr_from_errno(errno);
		crt_fd = -1;
		goto fail_spki;
	}
	crt_fd = -1;
	if (close(key_fd) < 0) {
		r = lderr_from_errno(errno);
		key_fd = -1;
		goto fail_spki;
	}
	key_fd = -1;
	OPENSSL_free(spki);
	BIO_free(crt_pem);
	BIO_free(key_pem);
	X509_free(cert);
	EVP_PKEY_free(key);
	return 0;

fail_spki:
	OPENSSL_free(spki);
fail_pem:
	BIO_free(crt_pem);
	BIO_free(key_pem);
	X509_free(cert);
fail_key:
	EVP_PKEY_free(key);
fail_files:
	if (crt_fd >= 0)
		close(crt_fd);
	unlink(crt_path);
fail_key_file:
	if (key_fd >= 0)
		close(key_fd);
	unlink(key_path);
	return r;
}

/* A PEM pass phrase callback that refuses: a site key is never encrypted, and we never prompt. */
static int no_pass_phrase(char *buf, int size, int rwflag, void *user)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)user;
	return -1;
}

/* Read the private key at PATH into *out. Returns 0, -errno if it cannot be opened, -EIO if bad. */
static int read_private_key(const char *path, EVP_PKEY **out)
{
	struct stat st;
	EVP_PKEY *key;
	FILE *f = fopen(path, "re");
	int r = 0;

	if (f == NULL)
		return lderr_from_errno(errno);
	if (fstat(fileno(f), &st) == 0 && (st.st_mode & 077) != 0)
		log_warn("%s can be read by other users (mode %04o): chmod 600 it", path,
			 (unsigned int)(st.st_mode & 07777));
	key = PEM_read_PrivateKey(f, NULL, no_pass_phrase, NULL);
	if (key == NULL) {
		r = openssl_fail("%s does not hold a readable private key", path);
		goto out_file;
	}
	if (!EVP_PKEY_is_a(key, "ED25519")) {
		log_error("%s holds a %s key, not an Ed25519 key", path,
			  EVP_PKEY_get0_type_name(key));
		EVP_PKEY_free(key);
		r = -EIO;
		goto out_file;
	}
	*out = key;
out_file:
	fclose(f);
	return r;
}

/* Check that the certificate at PATH is for KEY. Returns 0, -errno if unreadable, -EIO if not. */
static int check_certificate(const char *path, EVP_PKEY *key)
{
	X509 *cert;
	FILE *f = fopen(path, "re");
	int r = 0;

	if (f == NULL)
		return lderr_from_errno(errno);
	cert = PEM_read_X509(f, NULL, no_pass_phrase, NULL);
	if (cert == NULL) {
		r = openssl_fail("%s does not hold a readable certificate", path);
		goto out_file;
	}
	if (EVP_PKEY_eq(X509_get0_pubkey(cert), key) != 1) {
		ERR_clear_error();
		log_error("%s is the certificate of another key than the site key", path);
		r = -EIO;
		goto out_cert;
	}
	if (X509_cmp_current_time(X509_get0_notAfter(cert)) < 0)
		log_warn("%s has expired: peers will refuse it; make a new one for the same key",
			 path);
out_cert:
	X509_free(cert);
out_file:
	fclose(f);
	return r;
}

/* The private key at PATH into *key, quietly. Returns 0, -errno, or -EIO if it holds none. */
static int read_key_quiet(const char *path, EVP_PKEY **key, unsigned *mode)
{
	struct stat st;
	FILE *f = fopen(path, "re");
	if (f == NULL)
		return lderr_from_errno(errno);
	if (fstat(fileno(f), &st) == 0)
		*mode = (unsigned int)(st.st_mode & 07777);
	*key = PEM_read_PrivateKey(f, NULL, no_pass_phrase, NULL);
	fclose(f);
	ERR_clear_error();
	if (*key != NULL && !EVP_PKEY_is_a(*key, "ED25519")) {
		EVP_PKEY_free(*key);
		*key = NULL;
	}
	return *key ? 0 : -EIO;
}

int identity_check_files(const struct identity *id, struct identity_files *out)
{
	EVP_PKEY *key = NULL;
	memset(out, 0, sizeof(*out));
	out->key_err = read_key_quiet(id->key_path, &key, &out->key_mode);
	if (key != NULL && EVP_PKEY_eq(key, id->key) != 1)
		out->key_other = true;
	out->crt_err = LD_ENOTFOUND;
	if (id->crt_path != NULL) {
		FILE *f = fopen(id->crt_path, "re");
		X509 *cert = NULL;
		if (f == NULL) {
			out->crt_err = lderr_from_errno(errno);
		} else {
			cert = PEM_read_X509(f, NULL, no_pass_phrase, NULL);
			fclose(f);
			out->crt_err = cert ? 0 : -EIO;
		}
		if (cert != NULL) {
			struct tm tm;
			if (EVP_PKEY_eq(X509_get0_pubkey(cert), key ? key : id->key) != 1)
				out->crt_other = true;
			if (ASN1_TIME_to_tm(X509_get0_notAfter(cert), &tm) == 1)
				out->crt_not_after_ms = (int64_t)timegm(&tm) * 1000;
			else
				out->crt_err = -EIO;
			X509_free(cert);
		}
	}
	EVP_PKEY_free(key);
	ERR_clear_error();
	return 0;
}

int identity_load(const char *key_path, const char *crt_path, struct identity **out)
{
	struct identity *id = calloc(1, sizeof(*id));
	int r;

	if (id == NULL)
		return -ENOMEM;
	id->key_path = strdup(key_path);
	id->crt_path = crt_path ? strdup(crt_path) : NULL;
	if (id->key_path == NULL || (crt_path != NULL && id->crt_path == NULL)) {
		r = -ENOMEM;
		goto fail_identity;
	}
	r = read_private_key(key_path, &id->key);
	if (r < 0)
		goto fail_identity;
	if (crt_path != NULL) {
		r = check_certificate(crt_path, id->key);
		if (r < 0)
			goto fail_identity;
	}
	r = spki_of(id->key, &id->spki, &id->spki_len);
	if (r < 0)
		goto fail_identity;
	if (siteid_from_spki(id->spki, id->spki_len, id->id) < 0) {
		r = openssl_fail("cannot hash the public key");
		goto fail_identity;
	}
	*out = id;
	return 0;

fail_identity:
	identity_free(id);
	return r;
}

void identity_free(struct identity *id)
{
	if (id == NULL)
		return;
	EVP_PKEY_free(id->key);
	OPENSSL_free(id->spki);
	free(id->key_path);
	free(id->crt_path);
	free(id);
}

const uint8_t *identity_site_id(const struct identity *id)
{
	return id->id;
}

const uint8_t *identity_spki(const struct identity *id, size_t *len)
{
	*len = id->spki_len;
	return id->spki;
}

const char *identity_key_path(const struct identity *id)
{
	return id->key_path;
}

const char *identity_crt_path(const struct identity *id)
{
	return id->crt_path;
}

int identity_sign(const struct identity *id, const uint8_t *msg, size_t len, uint8_t sig[64])
{
	static const uint8_t empty[1];
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	size_t sig_len = SIGNATURE_BYTES;
	int r = 0;

	if (ctx == NULL)
		return openssl_fail("cannot sign");
	if (EVP_DigestSignInit(ctx, NULL, NULL, NULL, id->key) != 1 ||
	    EVP_DigestSign(ctx, sig, &sig_len, msg ? msg : empty, len) != 1 ||
	    sig_len != SIGNATURE_BYTES)
		r = openssl_fail("cannot sign");
	EVP_MD_CTX_free(ctx);
	return r;
}

int identity_verify(const uint8_t *spki, size_t spki_len, const uint8_t *msg, size_t len,
		    const uint8_t sig[64])
{
	static const uint8_t empty[1];
	EVP_PKEY *key = ed25519_from_spki(spki, spki_len);
	EVP_MD_CTX *ctx;
	int r;

	if (key == NULL)
		return LD_EINPUT;
	ctx = EVP_MD_CTX_new();
	if (ctx == NULL) {
		r = openssl_fail("cannot verify a signature");
		goto out_key;
	}
	if (EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, key) != 1) {
		r = openssl_fail("cannot verify a signature");
		goto out_ctx;
	}
	r = EVP_DigestVerify(ctx, sig, SIGNATURE_BYTES, msg ? msg : empty, len) == 1 ? 0
										     : LD_ECORRUPT;
	ERR_clear_error(); /* a bad signature is an answer, not an error to log */
out_ctx:
	EVP_MD_CTX_free(ctx);
out_key:
	EVP_PKEY_free(key);
	return r;
}

char *identity_spki_pem(const uint8_t *spki, size_t len)
{
	EVP_PKEY *key = ed25519_from_spki(spki, len);
	BIO *mem = NULL;
	char *data;
	long data_len;
	char *pem = NULL;

	if (key == NULL)
		return NULL;
	mem = BIO_new(BIO_s_mem());
	if (mem == NULL || PEM_write_bio_PUBKEY(mem, key) != 1) {
		openssl_fail("cannot write the public key as PEM");
		goto out_bio;
	}
	data_len = BIO_get_mem_data(mem, &data);
	if (data_len <= 0)
		goto out_bio;
	pem = malloc((size_t)data_len + 1);
	if (pem == NULL)
		goto out_bio;
	memcpy(pem, data, (size_t)data_len);
	pem[data_len] = '\0';
out_bio:
	BIO_free(mem);
	EVP_PKEY_free(key);
	return pem;
}
