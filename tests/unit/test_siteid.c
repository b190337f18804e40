/*
 * test_siteid.c: site ids read as Syncthing device ids are read, and every single typo is caught.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "siteid.h"
#include "lderr.h"

/* Syncthing's own test vector (lib/protocol/deviceid_test.go) and the bytes it stands for. */
static const char syncthing_text[] =
    "P56IOI7-MZJNU2Y-IQGDREY-DM2MGTI-MGL3BXN-PQ6W5BM-TBBZ4TJ-XZWICQ2";
static const uint8_t syncthing_bytes[LD_SITE_ID_BYTES] = {
    0x7f, 0x7c, 0x87, 0x23, 0xec, 0xca, 0x5b, 0x4d, 0x22, 0x06, 0x1c, 0x49, 0x81, 0xb3, 0x4c, 0x34,
    0xd8, 0x65, 0xec, 0x37, 0x6b, 0xe1, 0xeb, 0x74, 0x33, 0x08, 0x73, 0xc9, 0xa6, 0xf9, 0xb2, 0x05,
};

static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

static void formats_as_syncthing_does(void **state)
{
	char text[LD_SITE_ID_TEXT];

	(void)state;
	assert_ptr_equal(siteid_format(syncthing_bytes, text), text);
	assert_string_equal(text, syncthing_text);
	assert_int_equal(strlen(text), 63);
}

static void parses_what_syncthing_parses(void **state)
{
	static const char *const spellings[] = {
	    "P56IOI7-MZJNU2Y-IQGDREY-DM2MGTI-MGL3BXN-PQ6W5BM-TBBZ4TJ-XZWICQ2",
	    "P56IOI7MZJNU2YIQGDREYDM2MGTIMGL3BXNPQ6W5BMTBBZ4TJXZWICQ2",
	    "p56ioi7-mzjnu2y-iqgdrey-dm2mgti-mgl3bxn-pq6w5bm-tbbz4tj-xzwicq2",
	    "P56IOI7 MZJNU2Y IQGDREY DM2MGTI MGL3BXN PQ6W5BM TBBZ4TJ XZWICQ2",
	    "P56IOI-7MZJNU2Y-IQGDR-EYDM2M-GTI-MGL3-BXNPQ6-W5BM-TBB-Z4TJ-XZWICQ2",
	    /* 0, 1 and 8 typed for O, I and B */
	    "P561017MZJNU2YIQGDREYDM2MGTIMGL3BXNPQ6W5BMT88Z4TJXZWICQ2",
	};

	(void)state;
	for (size_t i = 0; i < sizeof(spellings) / sizeof(spellings[0]); i++) {
		uint8_t id[LD_SITE_ID_BYTES] = {0};
		const char *reason = "untouched";

		assert_int_equal(siteid_parse(spellings[i], id, &reason), 0);
		assert_memory_equal(id, syncthing_bytes, LD_SITE_ID_BYTES);
		assert_string_equal(reason, "untouched");
	}
}

static void every_single_typo_is_caught(void **state)
{
	char compact[57];
	size_t n = 0;
	int caught = 0;

	(void)state;
	for (const char *p = syncthing_text; *p; p++) {
		if (*p != '-')
			compact[n++] = *p;
	}
	compact[n] = '\0';
	assert_int_equal(n, 56);

	for (size_t pos = 0; pos < 56; pos++) {
		for (const char *c = alphabet; *c; c++) {
			char typo[57];
			uint8_t id[LD_SITE_ID_BYTES];
			const char *reason = NULL;

			if (*c == compact[pos])
				continue;
			memcpy(typo, compact, sizeof(typo));
			typo[pos] = *c;
			assert_int_equal(siteid_parse(typo, id, &reason), LD_EINPUT);
			assert_non_null(reason);
			assert_non_null(strstr(reason, "check character"));
			caught++;
		}
	}
	assert_int_equal(caught, 56 * 31);
}

static void typo_reason_points_at_the_groups_to_reread(void **state)
{
	char typo[] = "P56IOI7-MZJNU2Y-IQGDREY-DM2MGTI-MGL3BXN-PQ6W5BM-TBBZ4TJ-XZWICQ2";
	uint8_t id[LD_SITE_ID_BYTES];
	const char *reason = NULL;

	(void)state;
	typo[strlen(typo) - 3] = 'D'; /* group 8: "XZWIDQ2" */
	assert_int_equal(siteid_parse(typo, id, &reason), LD_EINPUT);
	assert_non_null(strstr(reason, "groups 7 and 8"));
}

static void wrong_length_and_alphabet_are_named(void **state)
{
	uint8_t id[LD_SITE_ID_BYTES];
	uint8_t before[LD_SITE_ID_BYTES];
	const char *reason = NULL;

	(void)state;
	memset(id, 0xab, sizeof(id));
	memcpy(before, id, sizeof(id));

	assert_int_equal(siteid_parse("P56IOI7-MZJNU2Y-IQGDREY", id, &reason), LD_EINPUT);
	assert_non_null(strstr(reason, "wrong length"));
	assert_int_equal(siteid_parse("P56IOI7-MZJNU2Y-IQGDREY-DM2MGTI-MGL3BXN-PQ6W5BM-TBBZ4TJ-"
				      "XZWICQ2-A",
				      id, &reason),
			 LD_EINPUT);
	assert_non_null(strstr(reason, "wrong length"));
	assert_int_equal(siteid_parse("", id, &reason), LD_EINPUT);
	assert_non_null(strstr(reason, "wrong length"));
	assert_int_equal(
	    siteid_parse("P56IOI7-MZJNU2Y-IQGDREY-DM2MGTI-MGL3BXN-PQ6W5BM-TBBZ4TJ-XZWIC9"
			 "2",
			 id, &reason),
	    LD_EINPUT);
	assert_non_null(strstr(reason, "alphabet"));
	assert_int_equal(
	    siteid_parse("P56IOI7_MZJNU2Y-IQGDREY-DM2MGTI-MGL3BXN-PQ6W5BM-TBBZ4TJ-XZWICQ2", id,
			 &reason),
	    LD_EINPUT);
	assert_non_null(strstr(reason, "alphabet"));
	/* A failed parse leaves the id alone, and REASON may be NULL. */
	assert_memory_equal(id, before, sizeof(id));
	assert_int_equal(siteid_parse("nonsense", id, NULL), LD_EINPUT);
}

static void text_no_digest_can_produce_is_refused(void **state)
{
	char text[57];
	int refused = 0;

	(void)state;
	/* The last data character carries 1 bit of the digest and 4 bits that must be 0: "B" sets
	 * one. */
	memset(text, 'A', 56);
	text[56] = '\0';
	text[54] = 'B';
	for (const char *c = alphabet; *c; c++) {
		uint8_t id[LD_SITE_ID_BYTES];
		const char *reason = NULL;

		text[55] = *c;
		assert_int_equal(siteid_parse(text, id, &reason), LD_EINPUT);
		if (strstr(reason, "not a site id") != NULL)
			refused++;
	}
	assert_int_equal(refused, 1); /* the one check character that matches */
}

static void random_ids_survive_the_round_trip(void **state)
{
	(void)state;
	srand(20260101);
	for (int round = 0; round < 2000; round++) {
		uint8_t id[LD_SITE_ID_BYTES];
		uint8_t back[LD_SITE_ID_BYTES];
		char text[LD_SITE_ID_TEXT];

		for (size_t i = 0; i < sizeof(id); i++)
			id[i] = (uint8_t)(rand() & 0xff);
		if (round == 0)
			memset(id, 0, sizeof(id));
		if (round == 1)
			memset(id, 0xff, sizeof(id));
		siteid_format(id, text);
		assert_int_equal(strlen(text), 63);
		for (int dash = 7; dash < 63; dash += 8)
			assert_int_equal(text[dash], '-');
		assert_int_equal(siteid_parse(text, back, NULL), 0);
		assert_memory_equal(id, back, sizeof(id));
	}
}

static void id_is_sha256_of_the_key(void **state)
{
	static const uint8_t abc_sha256[LD_SITE_ID_BYTES] = {
	    0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea, 0x41, 0x41, 0x40,
	    0xde, 0x5d, 0xae, 0x22, 0x23, 0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17,
	    0x7a, 0x9c, 0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad,
	};
	uint8_t id[LD_SITE_ID_BYTES];

	(void)state;
	assert_int_equal(siteid_from_spki((const uint8_t *)"abc", 3, id), 0);
	assert_memory_equal(id, abc_sha256, sizeof(id));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(formats_as_syncthing_does),
	    cmocka_unit_test(parses_what_syncthing_parses),
	    cmocka_unit_test(every_single_typo_is_caught),
	    cmocka_unit_test(typo_reason_points_at_the_groups_to_reread),
	    cmocka_unit_test(wrong_length_and_alphabet_are_named),
	    cmocka_unit_test(text_no_digest_can_produce_is_refused),
	    cmocka_unit_test(random_ids_survive_the_round_trip),
	    cmocka_unit_test(id_is_sha256_of_the_key),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
