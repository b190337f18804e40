/*
 * test_domain.c: the domain core's pure predicates at their boundaries: a certificate's validity
 * renewed by a passed review (not by a failed one), whether it is active on a day, the day its
 * review clock runs from, and the end of a member's probation (a year, or an extension's end).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "date.h"
#include "domain.h"

static int32_t d(const char *s)
{
	int32_t v;
	assert_int_equal(date_parse(s, &v), 0);
	return v;
}

/* A certificate state for a body issued on ISSUED, valid through UNTIL, with up to 3 reviews. */
struct cert_fixture {
	Ld__CertState c;
	Ld__SignedCertificate sc;
	Ld__CertReview review[3];
	Ld__CertReview *reviews[3];
	uint8_t body[256];
};

static void cert_init(struct cert_fixture *f, const char *issued, const char *until)
{
	memset(f, 0, sizeof(*f));
	Ld__CertificateBody b = LD__CERTIFICATE_BODY__INIT;
	b.number = "320583-2027-000001";
	b.member = "320583198004044414";
	b.issued = d(issued);
	b.valid_until = d(until);
	size_t len = ld__certificate_body__get_packed_size(&b);
	assert_true(len <= sizeof(f->body));
	ld__certificate_body__pack(&b, f->body);
	ld__signed_certificate__init(&f->sc);
	f->sc.body.data = f->body;
	f->sc.body.len = len;
	ld__cert_state__init(&f->c);
	f->c.number = b.number;
	f->c.member = b.member;
	f->c.signed_ = &f->sc;
	f->c.reviews = f->reviews;
}

static void cert_review(struct cert_fixture *f, const char *date, bool failed)
{
	size_t i = f->c.n_reviews++;
	ld__cert_review__init(&f->review[i]);
	f->review[i].date = d(date);
	f->review[i].failed = failed;
	f->reviews[i] = &f->review[i];
}

static void test_cert_validity_renewed(void **state)
{
	struct cert_fixture f;
	/* 365 days counting the issue day, across 29 February 2028. */
	cert_init(&f, "2027-03-01", "2028-02-28");
	assert_int_equal(cert_valid_until(&f.c), d("2028-02-28"));
	assert_int_equal(cert_last_review(&f.c), d("2027-03-01"));
	assert_false(cert_active(&f.c, d("2027-02-28")));
	assert_true(cert_active(&f.c, d("2027-03-01")));
	assert_true(cert_active(&f.c, d("2028-02-28")));
	assert_false(cert_active(&f.c, d("2028-02-29")));
	/* A failed review: the clock restarts, the validity does not. */
	cert_review(&f, "2028-03-01", true);
	assert_int_equal(cert_valid_until(&f.c), d("2028-02-28"));
	assert_int_equal(cert_last_review(&f.c), d("2028-03-01"));
	assert_false(cert_active(&f.c, d("2028-03-02")));
	/* A passed one: review date + 364 days; active past the original end. */
	cert_review(&f, "2028-03-10", false);
	assert_int_equal(cert_valid_until(&f.c), d("2029-03-09"));
	assert_int_equal(cert_last_review(&f.c), d("2028-03-10"));
	assert_true(cert_active(&f.c, d("2028-03-10")));
	assert_true(cert_active(&f.c, d("2029-03-09")));
	assert_false(cert_active(&f.c, d("2029-03-10")));
	/* An older passed review (recorded late) does not shorten it. */
	cert_review(&f, "2028-01-05", false);
	assert_int_equal(cert_valid_until(&f.c), d("2029-03-09"));
	assert_int_equal(cert_last_review(&f.c), d("2028-03-10"));
	/* Revoked: inactive from the day of its revocation. */
	f.c.revoked = true;
	f.c.revoked_date = d("2028-06-01");
	assert_true(cert_active(&f.c, d("2028-05-31")));
	assert_false(cert_active(&f.c, d("2028-06-01")));
}

static void test_probation_end(void **state)
{
	Ld__MemberInfo info = LD__MEMBER_INFO__INIT;
	Ld__MemberState st = LD__MEMBER_STATE__INIT;
	info.kind = "probationary";
	info.joined = d("2027-02-28");
	st.info = &info;
	assert_true(member_probationary(&st));
	assert_int_equal(member_probation_end(&st, 12), d("2028-02-28"));
	info.joined = d("2028-02-29");
	assert_int_equal(member_probation_end(&st, 12), d("2029-02-28"));
	/* Extended: the extension's end. */
	st.probation_until = d("2029-08-31");
	assert_int_equal(member_probation_end(&st, 12), d("2029-08-31"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_cert_validity_renewed),
	    cmocka_unit_test(test_probation_end),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
