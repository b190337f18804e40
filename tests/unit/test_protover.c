/*
 * test_protover.c: the protocol version two sites agree on from their Hellos.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "protover.h"

static uint32_t nego(uint32_t a_min, uint32_t a_max, uint32_t b_min, uint32_t b_max)
{
	struct proto_range a = {a_min, a_max}, b = {b_min, b_max};
	uint32_t v = proto_negotiate(a, b);
	assert_int_equal(v, proto_negotiate(b, a)); /* both sides decide the same */
	return v;
}

static void test_highest_shared(void **state)
{
	assert_int_equal(nego(1, 1, 1, 2), 1);
	assert_int_equal(nego(1, 2, 2, 3), 2);
	assert_int_equal(nego(1, 2, 1, 2), 2);
	assert_int_equal(nego(1, 5, 3, 4), 4);
}

static void test_none_shared(void **state)
{
	assert_int_equal(nego(3, 4, 1, 2), 0);
	assert_int_equal(nego(0, 0, 1, 2), 0);
	assert_int_equal(nego(2, 1, 1, 2), 0); /* an empty range */
}

/* A version-1 Hello has only `protocol`: its range is that one version. */
static void test_version_1_hello(void **state)
{
	struct proto_range ours = {LD_PROTOCOL_MIN, LD_PROTOCOL_MAX};
	struct proto_range v1 = proto_range_of_hello(1, 0, 0);
	assert_int_equal(v1.min, 1);
	assert_int_equal(v1.max, 1);
	assert_int_equal(proto_negotiate(ours, v1), 1);
	struct proto_range v2 = proto_range_of_hello(2, 1, 2);
	assert_int_equal(proto_negotiate(ours, v2), 2);
	struct proto_range future = proto_range_of_hello(9, 7, 9);
	assert_int_equal(proto_negotiate(ours, future), 0);
	char buf[32];
	assert_string_equal(proto_range_format(ours, buf, sizeof(buf)), "1..2");
	assert_string_equal(proto_range_format(v1, buf, sizeof(buf)), "1");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_highest_shared),
	    cmocka_unit_test(test_none_shared),
	    cmocka_unit_test(test_version_1_hello),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
