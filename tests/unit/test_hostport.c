/*
 * test_hostport.c: the one HOST:PORT parser, used by the config, `peer add`, the listener and
 * the dialer.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "hostport.h"
#include "lderr.h"

static void test_accepted(void **state)
{
	struct hostport hp;
	assert_int_equal(hostport_parse("1.2.3.4:5", &hp, NULL), 0);
	assert_string_equal(hp.host, "1.2.3.4");
	assert_int_equal(hp.port, 5);
	assert_string_equal(hp.port_text, "5");
	assert_int_equal(hostport_parse("[::1]:5", &hp, NULL), 0);
	assert_string_equal(hp.host, "::1");
	assert_int_equal(hp.port, 5);
	assert_int_equal(hostport_parse("localhost:5", &hp, NULL), 0);
	assert_string_equal(hp.host, "localhost");
	assert_int_equal(hostport_parse("site.example.cn:65535", &hp, NULL), 0);
	assert_int_equal(hp.port, 65535);
	assert_int_equal(hostport_parse("127.0.0.1:7701", NULL, NULL), 0);
}

static void test_refused(void **state)
{
	const char *bad[] = {
	    "1.2.3.4",	     "1.2.3.4:",       ":5",	     "1.2.3.4:0",
	    "1.2.3.4:65536", "1.2.3.4:99999",  "1.2.3.4:5x", "1.2.3.4:-5",
	    " 1.2.3.4:5",    "1.2.3.4 :5",     "1.2.3.4: 5", "local host:5",
	    "::1:5",	     "[::1:5",	       "[]:5",	     "",
	    "[::1]",	     "1.2.3.4:000005",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *why = NULL;
		struct hostport hp;
		if (hostport_parse(bad[i], &hp, &why) != LD_EINPUT)
			fail_msg("\"%s\" was accepted", bad[i]);
		assert_non_null(why);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_accepted),
	    cmocka_unit_test(test_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
