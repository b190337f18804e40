/*
 * siteid.c: site ids as SHA-256 digests and as the text people read over the phone.
 *
 * The text form is Syncthing's device id format, character for character: the 32 bytes in RFC 4648
 * base32 without padding (52 characters), cut into 4 groups of 13; each group is followed by one
 * check character (Syncthing's variant of Luhn mod 32, which weights the characters 1, 2, 1, 2, ...
 * from the left); the 56 characters are written as 8 groups of 7 joined by '-'. Because doubling is
 * a permutation of 0..31 in that scheme, any single mistyped character changes its group's check.
 *
 * Parsing forgives what people do when they copy an id by hand, as Syncthing does: lowercase,
 * dashes and spaces anywhere, and the digits 0, 1 and 8 (not in the alphabet) read as O, I and B.
 */
#include "siteid.h"
#include "i18n.h"
#include "lderr.h"

#include <errno.h>
#include <string.h>

#include <openssl/evp.h>

#define BASE32_CHARS  52 /* ceil(256 / 5) */
#define GROUP_CHARS   13 /* data characters per check character */
#define GROUPS	      4
#define CHECKED_CHARS (GROUPS * (GROUP_CHARS + 1)) /* 56 */
#define CHUNK_CHARS   7

static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/* The value (0..31) of an uppercase base32 character, or -1. */
static int base32_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= '2' && c <= '7')
		return c - '2' + 26;
	return -1;
}

/* Syncthing's Luhn mod 32 check character over LEN base32 characters (all in the alphabet). */
static char luhn32(const char *s, size_t len)
{
	int factor = 1;
	int sum = 0;

	for (size_t i = 0; i < len; i++) {
		int addend = factor * base32_value(s[i]);
		factor = factor == 2 ? 1 : 2;
		sum += addend / 32 + addend % 32;
	}
	return alphabet[(32 - sum % 32) % 32];
}

int siteid_from_spki(const uint8_t *der, size_t len, uint8_t id[LD_SITE_ID_BYTES])
{
	unsigned int out_len = 0;

	if (EVP_Digest(der, len, id, &out_len, EVP_sha256(), NULL) != 1 ||
	    out_len != LD_SITE_ID_BYTES)
		return -EIO;
	return 0;
}

/* RFC 4648 base32 of the 32 bytes of ID, without padding, into OUT (52 characters, no NUL). */
static void base32_encode(const uint8_t id[LD_SITE_ID_BYTES], char out[BASE32_CHARS])
{
	unsigned int buffer = 0;
	int bits = 0;
	size_t n = 0;

	for (size_t i = 0; i < LD_SITE_ID_BYTES; i++) {
		buffer = (buffer << 8) | id[i];
		bits += 8;
		while (bits >= 5) {
			out[n++] = alphabet[(buffer >> (bits - 5)) & 31];
			bits -= 5;
		}
	}
	if (bits > 0)
		out[n++] = alphabet[(buffer << (5 - bits)) & 31];
}

/*
 * Decode 52 base32 characters into ID. Returns 0, or LD_EINPUT if the last character carries bits
 * beyond the 256 of the digest (no id is written that way).
 */
static int base32_decode(const char in[BASE32_CHARS], uint8_t id[LD_SITE_ID_BYTES])
{
	unsigned int buffer = 0;
	int bits = 0;
	size_t n = 0;

	for (size_t i = 0; i < BASE32_CHARS; i++) {
		buffer = (buffer << 5) | (unsigned int)base32_value(in[i]);
		bits += 5;
		if (bits >= 8) {
			id[n++] = (uint8_t)(buffer >> (bits - 8));
			bits -= 8;
		}
	}
	if ((buffer & ((1u << bits) - 1)) != 0)
		return LD_EINPUT;
	return 0;
}

char *siteid_format(const uint8_t id[LD_SITE_ID_BYTES], char out[LD_SITE_ID_TEXT])
{
	char plain[BASE32_CHARS];
	char checked[CHECKED_CHARS];
	size_t n = 0;

	base32_encode(id, plain);
	for (size_t g = 0; g < GROUPS; g++) {
		memcpy(checked + g * (GROUP_CHARS + 1), plain + g * GROUP_CHARS, GROUP_CHARS);
		checked[g * (GROUP_CHARS + 1) + GROUP_CHARS] =
		    luhn32(plain + g * GROUP_CHARS, GROUP_CHARS);
	}
	for (size_t i = 0; i < CHECKED_CHARS; i++) {
		if (i > 0 && i % CHUNK_CHARS == 0)
			out[n++] = '-';
		out[n++] = checked[i];
	}
	out[n] = '\0';
	return out;
}

/* What a person meant by C: uppercase; 0, 1 and 8 read as O, I and B (Syncthing's untypeoify). */
static char meant(char c)
{
	if (c >= 'a' && c <= 'z')
		return (char)(c - 'a' + 'A');
	switch (c) {
	case '0':
		return 'O';
	case '1':
		return 'I';
	case '8':
		return 'B';
	default:
		return c;
	}
}

int siteid_parse(const char *s, uint8_t id[LD_SITE_ID_BYTES], const char **reason)
{
	static const char *const group_mismatch[GROUPS] = {
	    "a check character does not match: one of characters 1 to 14 (groups 1 and 2) is "
	    "mistyped",
	    "a check character does not match: one of characters 15 to 28 (groups 3 and 4) is "
	    "mistyped",
	    "a check character does not match: one of characters 29 to 42 (groups 5 and 6) is "
	    "mistyped",
	    "a check character does not match: one of characters 43 to 56 (groups 7 and 8) is "
	    "mistyped",
	};
	char checked[CHECKED_CHARS];
	char plain[BASE32_CHARS];
	uint8_t decoded[LD_SITE_ID_BYTES];
	size_t n = 0;
	const char *why = NULL;

	for (const char *p = s; *p != '\0'; p++) {
		char c;

		if (*p == '-' || *p == ' ')
			continue;
		c = meant(*p);
		if (base32_value(c) < 0) {
			why = _("a character is outside the base32 alphabet (A to Z and 2 to 7)");
			goto fail;
		}
		if (n == CHECKED_CHARS) {
			why =
			    _("wrong length: a site id has 56 characters besides dashes, this has "
			      "more");
			goto fail;
		}
		checked[n++] = c;
	}
	if (n != CHECKED_CHARS) {
		why = _("wrong length: a site id has 56 characters besides dashes, this has fewer");
		goto fail;
	}
	for (size_t g = 0; g < GROUPS; g++) {
		const char *group = checked + g * (GROUP_CHARS + 1);

		if (luhn32(group, GROUP_CHARS) != group[GROUP_CHARS]) {
			why = group_mismatch[g];
			goto fail;
		}
		memcpy(plain + g * GROUP_CHARS, group, GROUP_CHARS);
	}
	if (base32_decode(plain, decoded) < 0) {
		why = _("not a site id: its last group cannot come from a SHA-256 digest");
		goto fail;
	}
	memcpy(id, decoded, LD_SITE_ID_BYTES);
	return 0;

fail:
	if (reason)
		*reason = why;
	return LD_EINPUT;
}
