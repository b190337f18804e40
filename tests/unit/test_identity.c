/*
 * test_identity.c: a new site's key and certificate on disk, signatures, and the PEM that
 * `liudong pubkey` prints, checked with the openssl command line as a user would check it.
 */
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <openssl/bio.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "identity.h"
#include "siteid.h"
#include "lderr.h"

struct fixture {
	char dir[64];
	char key[128];
	char crt[128];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (f == NULL)
		return -1;
	strcpy(f->dir, "/tmp/ld-identity-XXXXXX");
	if (mkdtemp(f->dir) == NULL) {
		free(f);
		return -1;
	}
	snprintf(f->key, sizeof(f->key), "%s/site.key", f->dir);
	snprintf(f->crt, sizeof(f->crt), "%s/site.crt", f->dir);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	DIR *d = opendir(f->dir);
	struct dirent *e;

	while (d != NULL && (e = readdir(d)) != NULL) {
		char path[512];

		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", f->dir, e->d_name);
		unlink(path);
	}
	if (d != NULL)
		closedir(d);
	rmdir(f->dir);
	free(f);
	return 0;
}

static char *read_text(const char *path)
{
	FILE *file = fopen(path, "r");
	char *text = calloc(1, 65536);
	size_t n;

	assert_non_null(file);
	assert_non_null(text);
	n = fread(text, 1, 65535, file);
	text[n] = '\0';
	fclose(file);
	return text;
}

static void write_bytes(const char *path, const void *data, size_t len)
{
	FILE *file = fopen(path, "w");

	assert_non_null(file);
	assert_int_equal(fwrite(data, 1, len, file), len);
	assert_int_equal(fclose(file), 0);
}

static void create_writes_a_private_key_only_we_can_read(void **state)
{
	struct fixture *f = *state;
	uint8_t id[LD_SITE_ID_BYTES];
	struct stat st;
	char *key_text;
	char *crt_text;

	assert_int_equal(identity_create(f->key, f->crt, "昆山市委组织部", id), 0);
	assert_int_equal(stat(f->key, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(stat(f->crt, &st), 0);
	assert_int_equal(st.st_mode & 0077 & ~0044, 0); /* at most world-readable */

	key_text = read_text(f->key);
	crt_text = read_text(f->crt);
	assert_non_null(strstr(key_text, "-----BEGIN PRIVATE KEY-----")); /* PKCS#8, unencrypted */
	assert_non_null(strstr(crt_text, "-----BEGIN CERTIFICATE-----"));
	free(key_text);
	free(crt_text);
}

static void create_never_overwrites_and_leaves_nothing_behind(void **state)
{
	struct fixture *f = *state;
	char other_key[160];
	struct stat st;
	char *before;
	char *after;

	assert_int_equal(identity_create(f->key, f->crt, "site", NULL), 0);
	before = read_text(f->key);
	assert_int_equal(identity_create(f->key, f->crt, "site", NULL), LD_EEXIST);
	after = read_text(f->key);
	assert_string_equal(before, after);
	free(before);
	free(after);

	/* The certificate exists but the key does not: the new key must not stay on disk. */
	snprintf(other_key, sizeof(other_key), "%s/other.key", f->dir);
	assert_int_equal(identity_create(other_key, f->crt, "site", NULL), LD_EEXIST);
	assert_int_equal(stat(other_key, &st), -1);
	assert_int_equal(errno, ENOENT);

	assert_int_equal(identity_create(other_key, "/nonexistent-dir/x.crt", "site", NULL),
			 LD_ENOTFOUND);
	assert_int_equal(stat(other_key, &st), -1);
	assert_int_equal(identity_create(other_key, f->crt, "", NULL), LD_EINPUT);
}

static void certificate_names_the_site_and_lasts_twenty_years(void **state)
{
	struct fixture *f = *state;
	char cn[256];
	FILE *file;
	X509 *cert;
	time_t in_19_years = time(NULL) + (time_t)19 * 365 * 24 * 3600;
	time_t in_21_years = time(NULL) + (time_t)21 * 365 * 24 * 3600;

	assert_int_equal(identity_create(f->key, f->crt, "昆山市委组织部", NULL), 0);
	file = fopen(f->crt, "r");
	assert_non_null(file);
	cert = PEM_read_X509(file, NULL, NULL, NULL);
	fclose(file);
	assert_non_null(cert);

	assert_true(X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, cn,
					      sizeof(cn)) > 0);
	assert_string_equal(cn, "昆山市委组织部");
	assert_int_equal(X509_get_version(cert), X509_VERSION_3);
	assert_int_equal(X509_verify(cert, X509_get0_pubkey(cert)), 1); /* self-signed */
	assert_int_equal(X509_cmp_current_time(X509_get0_notBefore(cert)), -1);
	assert_int_equal(X509_cmp_time(X509_get0_notAfter(cert), &in_19_years), 1);
	assert_int_equal(X509_cmp_time(X509_get0_notAfter(cert), &in_21_years), -1);
	X509_free(cert);
}

static void load_gives_the_same_site_id(void **state)
{
	struct fixture *f = *state;
	uint8_t created[LD_SITE_ID_BYTES];
	uint8_t hashed[LD_SITE_ID_BYTES];
	struct identity *id = NULL;
	const uint8_t *spki;
	size_t spki_len = 0;

	assert_int_equal(identity_create(f->key, f->crt, "site", created), 0);
	assert_int_equal(identity_load(f->key, f->crt, &id), 0);
	assert_non_null(id);
	assert_memory_equal(identity_site_id(id), created, LD_SITE_ID_BYTES);
	spki = identity_spki(id, &spki_len);
	assert_int_equal(spki_len, 44); /* Ed25519 SubjectPublicKeyInfo */
	assert_int_equal(siteid_from_spki(spki, spki_len, hashed), 0);
	assert_memory_equal(hashed, created, LD_SITE_ID_BYTES);
	assert_string_equal(identity_key_path(id), f->key);
	assert_string_equal(identity_crt_path(id), f->crt);
	identity_free(id);
	identity_free(NULL);
}

static void load_refuses_missing_bad_and_mismatched_files(void **state)
{
	struct fixture *f = *state;
	char key2[160];
	char crt2[160];
	char junk[160];
	struct identity *id = NULL;

	assert_int_equal(identity_load(f->key, f->crt, &id), LD_ENOTFOUND);
	assert_int_equal(identity_create(f->key, f->crt, "one", NULL), 0);
	snprintf(key2, sizeof(key2), "%s/two.key", f->dir);
	snprintf(crt2, sizeof(crt2), "%s/two.crt", f->dir);
	assert_int_equal(identity_create(key2, crt2, "two", NULL), 0);

	/* The certificate of another site's key. */
	assert_int_equal(identity_load(f->key, crt2, &id), -EIO);
	assert_null(id);

	snprintf(junk, sizeof(junk), "%s/junk.key", f->dir);
	write_bytes(junk, "not a key\n", 10);
	assert_int_equal(identity_load(junk, f->crt, &id), -EIO);
	assert_int_equal(identity_load(f->key, junk, &id), -EIO);

	if (geteuid() != 0) { /* root reads anything */
		assert_int_equal(chmod(f->key, 0), 0);
		assert_int_equal(identity_load(f->key, f->crt, &id), -EACCES);
		assert_int_equal(chmod(f->key, 0600), 0);
	}
	assert_int_equal(identity_load(f->key, NULL, &id), 0);
	assert_null(identity_crt_path(id));
	identity_free(id);
}

/* `doctor` reads the files again while the daemon runs: each way they can go bad is told apart. */
static void check_files_tells_what_changed_on_disk(void **state)
{
	struct fixture *f = *state;
	char key2[160], crt2[160], saved[160];
	struct identity *id = NULL;
	struct identity_files out;
	time_t now = time(NULL);

	assert_int_equal(identity_create(f->key, f->crt, "one", NULL), 0);
	snprintf(key2, sizeof(key2), "%s/two.key", f->dir);
	snprintf(crt2, sizeof(crt2), "%s/two.crt", f->dir);
	snprintf(saved, sizeof(saved), "%s/saved.key", f->dir);
	assert_int_equal(identity_create(key2, crt2, "two", NULL), 0);
	assert_int_equal(identity_load(f->key, f->crt, &id), 0);

	/* As made: readable, 0600, the certificate of this key, for 20 years. */
	assert_int_equal(identity_check_files(id, &out), 0);
	assert_int_equal(out.key_err, 0);
	assert_false(out.key_other);
	assert_int_equal(out.key_mode, 0600);
	assert_int_equal(out.crt_err, 0);
	assert_false(out.crt_other);
	assert_true(out.crt_not_after_ms / 1000 > now + (int64_t)19 * 365 * 86400);
	assert_true(out.crt_not_after_ms / 1000 < now + (int64_t)21 * 365 * 86400);

	/* Readable by others. */
	assert_int_equal(chmod(f->key, 0644), 0);
	assert_int_equal(identity_check_files(id, &out), 0);
	assert_int_equal(out.key_mode, 0644);
	assert_int_equal(chmod(f->key, 0600), 0);

	/* Garbage, gone, a directory, another site's key. */
	assert_int_equal(rename(f->key, saved), 0);
	write_bytes(f->key, "not a key\n", 10);
	assert_int_equal(identity_check_files(id, &out), 0);
	assert_int_equal(out.key_err, -EIO);
	assert_int_equal(unlink(f->key), 0);
	assert_int_equal(identity_check_files(id, &out), 0);
	assert_int_equal(out.key_err, LD_ENOTFOUND);
	assert_int_equal(mkdir(f->key, 0700), 0);
	assert_int_equal(identity_check_files(id, &out), 0);
	assert_int_not_equal(out.key_err, 0);
	assert_int_equal(rmdir(f->key), 0);
	if (geteuid() != 0) { /* root reads anything */
		assert_int_equal(rename(saved, f->key), 0);
		assert_int_equal(chmod(f->key, 0), 0);
		assert_int_equal(identity_check_files(id, &out), 0);
		assert_int_equal(out.key_err, -EACCES);
		assert_int_equal(chmod(f->key, 0600), 0);
		assert_int_equal(rename(f->key, saved), 0);
	}
	assert_int_equal(rename(key2, f->key), 0);
	assert_int_equal(identity_check_files(id, &out), 0);
	assert_int_equal(out.key_err, 0);
	assert_true(out.key_other);
	assert_true(out.crt_other); /* the certificate is not of the key now in the file */
	assert_int_equal(rename(saved, f->key), 0);

	/* The certificate of another key; no certificate. */
	assert_int_equal(rename(crt2, f->crt), 0);
	assert_int_equal(identity_check_files(id, &out), 0);
	assert_int_equal(out.key_err, 0);
	assert_false(out.key_other);
	assert_true(out.crt_other);
	assert_int_equal(unlink(f->crt), 0);
	assert_int_equal(identity_check_files(id, &out), 0);
	assert_int_equal(out.crt_err, LD_ENOTFOUND);
	identity_free(id);
}

static void signatures_verify_and_tampering_is_caught(void **state)
{
	struct fixture *f = *state;
	static const char body[] = "320583-2026-000017 张三 有效期至 2027-03-01";
	uint8_t other_id[LD_SITE_ID_BYTES];
	struct identity *id = NULL;
	struct identity *other = NULL;
	char key2[160];
	char crt2[160];
	uint8_t sig[64];
	uint8_t bad[64];
	uint8_t tampered[sizeof(body)];
	const uint8_t *spki;
	const uint8_t *other_spki;
	size_t spki_len;
	size_t other_len;

	assert_int_equal(identity_create(f->key, f->crt, "one", NULL), 0);
	assert_int_equal(identity_load(f->key, f->crt, &id), 0);
	spki = identity_spki(id, &spki_len);

	assert_int_equal(identity_sign(id, (const uint8_t *)body, sizeof(body), sig), 0);
	assert_int_equal(identity_verify(spki, spki_len, (const uint8_t *)body, sizeof(body), sig),
			 0);

	memcpy(tampered, body, sizeof(body));
	tampered[0] ^= 1;
	assert_int_equal(identity_verify(spki, spki_len, tampered, sizeof(body), sig), LD_ECORRUPT);
	assert_int_equal(
	    identity_verify(spki, spki_len, (const uint8_t *)body, sizeof(body) - 1, sig),
	    LD_ECORRUPT);
	memcpy(bad, sig, sizeof(sig));
	bad[63] ^= 0x80;
	assert_int_equal(identity_verify(spki, spki_len, (const uint8_t *)body, sizeof(body), bad),
			 LD_ECORRUPT);

	/* Another site's key does not verify our signature. */
	snprintf(key2, sizeof(key2), "%s/two.key", f->dir);
	snprintf(crt2, sizeof(crt2), "%s/two.crt", f->dir);
	assert_int_equal(identity_create(key2, crt2, "two", other_id), 0);
	assert_int_equal(identity_load(key2, crt2, &other), 0);
	other_spki = identity_spki(other, &other_len);
	assert_int_equal(
	    identity_verify(other_spki, other_len, (const uint8_t *)body, sizeof(body), sig),
	    LD_ECORRUPT);

	/* Not a key at all, or a truncated one. */
	assert_int_equal(
	    identity_verify((const uint8_t *)"junk", 4, (const uint8_t *)body, sizeof(body), sig),
	    LD_EINPUT);
	assert_int_equal(
	    identity_verify(spki, spki_len - 1, (const uint8_t *)body, sizeof(body), sig),
	    LD_EINPUT);

	/* The empty message is a message too. */
	assert_int_equal(identity_sign(id, NULL, 0, sig), 0);
	assert_int_equal(identity_verify(spki, spki_len, NULL, 0, sig), 0);

	identity_free(other);
	identity_free(id);
}

static void pem_round_trips_to_the_same_key(void **state)
{
	struct fixture *f = *state;
	struct identity *id = NULL;
	const uint8_t *spki;
	size_t spki_len;
	unsigned char *der = NULL;
	EVP_PKEY *key;
	BIO *mem;
	char *pem;
	int der_len;

	assert_int_equal(identity_create(f->key, f->crt, "site", NULL), 0);
	assert_int_equal(identity_load(f->key, f->crt, &id), 0);
	spki = identity_spki(id, &spki_len);
	pem = identity_spki_pem(spki, spki_len);
	assert_non_null(pem);
	assert_int_equal(strncmp(pem, "-----BEGIN PUBLIC KEY-----\n", 27), 0);
	assert_non_null(strstr(pem, "-----END PUBLIC KEY-----\n"));

	mem = BIO_new_mem_buf(pem, -1);
	key = PEM_read_bio_PUBKEY(mem, NULL, NULL, NULL);
	assert_non_null(key);
	der_len = i2d_PUBKEY(key, &der);
	assert_int_equal(der_len, (int)spki_len);
	assert_memory_equal(der, spki, spki_len);

	assert_null(identity_spki_pem((const uint8_t *)"junk", 4));

	OPENSSL_free(der);
	EVP_PKEY_free(key);
	BIO_free(mem);
	free(pem);
	identity_free(id);
}

static void openssl_command_line_verifies_our_signature(void **state)
{
	struct fixture *f = *state;
	static const char body[] = "LD1 certificate body bytes";
	struct identity *id = NULL;
	char pub[160], msg[160], sigfile[160], command[1024];
	const uint8_t *spki;
	size_t spki_len;
	uint8_t sig[64];
	char *pem;

	if (access("/usr/bin/openssl", X_OK) != 0)
		skip();
	assert_int_equal(identity_create(f->key, f->crt, "site", NULL), 0);
	assert_int_equal(identity_load(f->key, f->crt, &id), 0);
	spki = identity_spki(id, &spki_len);
	pem = identity_spki_pem(spki, spki_len);
	assert_non_null(pem);
	assert_int_equal(identity_sign(id, (const uint8_t *)body, strlen(body), sig), 0);

	snprintf(pub, sizeof(pub), "%s/pub.pem", f->dir);
	snprintf(msg, sizeof(msg), "%s/body.bin", f->dir);
	snprintf(sigfile, sizeof(sigfile), "%s/sig.bin", f->dir);
	write_bytes(pub, pem, strlen(pem));
	write_bytes(msg, body, strlen(body));
	write_bytes(sigfile, sig, sizeof(sig));

	snprintf(command, sizeof(command),
		 "/usr/bin/openssl pkeyutl -verify -pubin -inkey %s -rawin -in %s -sigfile %s "
		 ">/dev/null 2>&1",
		 pub, msg, sigfile);
	assert_int_equal(system(command), 0);

	write_bytes(msg, "LD1 certificate body bytez", strlen(body));
	assert_int_not_equal(system(command), 0);

	free(pem);
	identity_free(id);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(create_writes_a_private_key_only_we_can_read, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(create_never_overwrites_and_leaves_nothing_behind,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(certificate_names_the_site_and_lasts_twenty_years,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(load_gives_the_same_site_id, setup, teardown),
	    cmocka_unit_test_setup_teardown(load_refuses_missing_bad_and_mismatched_files, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(check_files_tells_what_changed_on_disk, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(signatures_verify_and_tampering_is_caught, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(pem_round_trips_to_the_same_key, setup, teardown),
	    cmocka_unit_test_setup_teardown(openssl_command_line_verifies_our_signature, setup,
					    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
