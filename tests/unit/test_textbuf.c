/*
 * test_textbuf.c: unit tests of server/textbuf.c, the buffer an answer is written into as text:
 * bytes (NULs among them) added and kept NUL-terminated, grown past its first block; a JSON string
 * literal as jansson's dump writes it; a string that is not UTF-8 refused with nothing added.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <jansson.h>
#include <string.h>

#include "textbuf.h"

static void bytes_are_kept_and_terminated(void **state)
{
	(void)state;
	struct textbuf t = {0};
	textbuf_add(&t, "a\0b", 3);
	assert_int_equal(t.len, 3);
	assert_memory_equal(t.p, "a\0b", 4);
	for (int i = 0; i < 5000; i++) /* past the first block, several times */
		textbuf_str(&t, "第一支部");
	assert_int_equal(t.len, 3 + 5000 * strlen("第一支部"));
	assert_int_equal(t.p[t.len], '\0');
	assert_false(t.failed);
	textbuf_free(&t);
	assert_null(t.p);
	assert_int_equal(t.len, 0);
}

/* S written as a literal is what jansson's compact dump of json_string(S) gives. */
static void assert_as_jansson(const char *s)
{
	struct textbuf t = {0};
	assert_true(textbuf_json_string(&t, s));
	json_t *j = json_string(s);
	assert_non_null(j);
	char *want = json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY);
	assert_non_null(want);
	assert_string_equal(t.p, want);
	free(want);
	json_decref(j);
	textbuf_free(&t);
}

static void strings_as_jansson_writes_them(void **state)
{
	(void)state;
	assert_as_jansson("");
	assert_as_jansson("王芳");
	assert_as_jansson("a\"b\\c/d");
	assert_as_jansson("line\nnext\ttab\rret\bback\fform");
	assert_as_jansson("\x01\x1f\x7f");
	assert_as_jansson("😀 U+1F600, 𠀀 U+20000");
}

static void not_utf8_adds_nothing(void **state)
{
	(void)state;
	static const char *const bad[] = {
	    "\xff", "a\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "ok\xe4\xb8", "\x80"};
	struct textbuf t = {0};
	textbuf_str(&t, "{\"k\":");
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_null(json_string(bad[i])); /* jansson refuses it too */
		assert_false(textbuf_json_string(&t, bad[i]));
		assert_string_equal(t.p, "{\"k\":");
	}
	assert_true(textbuf_json_string(&t, "好"));
	assert_string_equal(t.p, "{\"k\":\"好\"");
	textbuf_free(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(bytes_are_kept_and_terminated),
	    cmocka_unit_test(strings_as_jansson_writes_them),
	    cmocka_unit_test(not_utf8_adds_nothing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
