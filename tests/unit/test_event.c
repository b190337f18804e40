/*
 * test_event.c: the table of event kinds: names, and the payload each kind must carry
 * (event_payload_ok), which sync relies on to quarantine an event before folding it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "event.h"
#include "siteid.h"

/* Every kind without a payload is refused, naming what is missing. */
static void test_payload_missing(void **state)
{
	for (int kind = LD__EVENT_KIND__MEMBER_REGISTERED; kind <= LD__EVENT_KIND__LAPSE_DECIDED;
	     kind++) {
		Ld__Event ev = LD__EVENT__INIT;
		ev.kind = (Ld__EventKind)kind;
		const char *why = NULL;
		assert_false(event_payload_ok(ev.kind, &ev, &why));
		assert_non_null(why);
		assert_non_null(strstr(why, "payload"));
	}
	Ld__Event unset = LD__EVENT__INIT;
	assert_false(event_payload_ok(unset.kind, &unset, NULL));
}

/* The payload of another kind is refused too; a kind from a newer version passes as it is. */
static void test_payload_of_another_kind(void **state)
{
	Ld__Note note = LD__NOTE__INIT;
	Ld__Event ev = LD__EVENT__INIT;
	ev.kind = LD__EVENT_KIND__DUES_PAID;
	ev.payload_case = LD__EVENT__PAYLOAD_NOTE;
	ev.note = &note;
	assert_false(event_payload_ok(ev.kind, &ev, NULL));
	ev.kind = LD__EVENT_KIND__REPORT_RECEIVED;
	assert_true(event_payload_ok(ev.kind, &ev, NULL));
	ev.kind = (Ld__EventKind)99;
	ev.payload_case = LD__EVENT__PAYLOAD__NOT_SET;
	assert_true(event_payload_ok(ev.kind, &ev, NULL));
	assert_string_equal(event_kind_name(ev.kind), "unknown");
}

/* What folding relies on inside a payload: receipt numbers, certificates, transfer letters. */
static void test_payload_content(void **state)
{
	const char *why;
	Ld__DuesPaid paid = LD__DUES_PAID__INIT;
	Ld__Event ev = LD__EVENT__INIT;
	ev.kind = LD__EVENT_KIND__DUES_PAID;
	ev.payload_case = LD__EVENT__PAYLOAD_DUES_PAID;
	ev.dues_paid = &paid;
	paid.receipt = "";
	assert_false(event_payload_ok(ev.kind, &ev, &why));
	assert_non_null(strstr(why, "receipt"));
	paid.receipt = "320583-2026-R000001";
	assert_true(event_payload_ok(ev.kind, &ev, &why));
	assert_null(why);

	Ld__SignedCertificate cert = LD__SIGNED_CERTIFICATE__INIT;
	Ld__Event ci = LD__EVENT__INIT;
	ci.kind = LD__EVENT_KIND__CERT_ISSUED;
	ci.payload_case = LD__EVENT__PAYLOAD_CERT;
	ci.cert = &cert;
	cert.body.data = (uint8_t *)"\xff\xff";
	cert.body.len = 2;
	assert_false(event_payload_ok(ci.kind, &ci, &why));
	assert_non_null(strstr(why, "certificate"));
	Ld__CertificateBody body = LD__CERTIFICATE_BODY__INIT;
	body.number = "320583-2026-000017";
	uint8_t body_bytes[128];
	cert.body.len = ld__certificate_body__pack(&body, body_bytes);
	cert.body.data = body_bytes;
	assert_true(event_payload_ok(ci.kind, &ci, NULL));

	Ld__Transfer tr = LD__TRANSFER__INIT;
	Ld__Event te = LD__EVENT__INIT;
	te.kind = LD__EVENT_KIND__TRANSFER_ISSUED;
	te.payload_case = LD__EVENT__PAYLOAD_TRANSFER;
	te.transfer = &tr;
	tr.letter.data = (uint8_t *)"\xff";
	tr.letter.len = 1;
	assert_false(event_payload_ok(te.kind, &te, &why));
	assert_non_null(strstr(why, "does not decode"));
	Ld__TransferLetter letter = LD__TRANSFER_LETTER__INIT;
	letter.number = "320583-2026-L000001";
	uint8_t letter_bytes[256], issuer[LD_SITE_ID_BYTES] = {1};
	tr.letter.len = ld__transfer_letter__pack(&letter, letter_bytes);
	tr.letter.data = letter_bytes;
	assert_false(event_payload_ok(te.kind, &te, &why));
	assert_non_null(strstr(why, "issuer"));
	letter.issuer.data = issuer;
	letter.issuer.len = sizeof(issuer);
	tr.letter.len = ld__transfer_letter__pack(&letter, letter_bytes);
	assert_true(event_payload_ok(te.kind, &te, NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_payload_missing),
	    cmocka_unit_test(test_payload_of_another_kind),
	    cmocka_unit_test(test_payload_content),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
