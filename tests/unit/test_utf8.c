/*
 * test_utf8.c: unit tests of common/utf8.c: what counts as readable UTF-8, and a hostile text made
 * one readable line.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "utf8.h"

static void test_valid(void **state)
{
	(void)state;
	assert_true(utf8_valid("张三 Zhang\t", false));
	assert_true(utf8_valid("line\nline\r\n", true));
	assert_false(utf8_valid("line\nline", false));
	assert_false(utf8_valid("\x7f", false));
	assert_false(utf8_valid("\xc0\xaf", false));	     /* overlong '/' */
	assert_false(utf8_valid("\xed\xa0\x80", false));     /* a surrogate */
	assert_false(utf8_valid("\xf4\x90\x80\x80", false)); /* above U+10FFFF */
	assert_false(utf8_valid("\xe5\xbc", false));	     /* cut inside a character */
	assert_false(utf8_valid("\xd5\xc5\xc8\xfd", false)); /* 张三 in GBK */
}

/*
 * Long printable ASCII is checked eight bytes at a time: a bad byte is found wherever it lies in
 * its word, and each byte value is judged as the one-byte path judges it.
 */
static void test_valid_in_long_text(void **state)
{
	(void)state;
	char text[40];
	for (int at = 0; at < 24; at++) {
		for (int c = 1; c < 0x100; c++) {
			memset(text, 'a', sizeof(text) - 1);
			text[sizeof(text) - 1] = '\0';
			text[at] = (char)c;
			bool one_line = c >= 0x20 && c < 0x7f;
			bool lines = one_line || c == '\t' || c == '\n' || c == '\r';
			if (c == '\t')
				one_line = true;
			assert_int_equal(utf8_valid(text, false), one_line);
			assert_int_equal(utf8_valid(text, true), lines);
		}
		/* A character of three bytes across a word's end, and one cut by the end. */
		memset(text, 'a', sizeof(text) - 1);
		memcpy(text + at, "\xe5\xbc\xa0", 3);
		assert_true(utf8_valid(text, false));
		text[at + 3] = '\0';
		text[at + 2] = '\0';
		assert_false(utf8_valid(text, false));
	}
}

/* Three-byte characters, checked on a quicker path: the verdict is utf8_char's, lead by lead. */
static void test_valid_three_bytes(void **state)
{
	(void)state;
	static const unsigned char second[] = {0x41, 0x7f, 0x80, 0x9f, 0xa0, 0xbf, 0xc0, 0xff};
	static const unsigned char third[] = {0x00, 0x41, 0x80, 0xbf, 0xc0};
	for (unsigned lead = 0xe0; lead <= 0xef; lead++)
		for (size_t i = 0; i < sizeof(second); i++)
			for (size_t j = 0; j < sizeof(third); j++) {
				char text[] = {(char)lead, (char)second[i], (char)third[j], 'a',
					       '\0'};
				uint32_t cp;
				bool want = utf8_char(text, &cp) == 3;
				assert_int_equal(utf8_valid(text, false), want);
			}
}

/* With its length given: the same verdicts, and a NUL before the length is a control character
 * (a text cut short there is not taken as whole). */
static void test_valid_len(void **state)
{
	(void)state;
	const char text[] = "id,name\n11010519491231002X,张三\r\n";
	assert_true(utf8_valid_len(text, sizeof(text) - 1, true));
	assert_false(utf8_valid_len(text, sizeof(text) - 1, false));
	const char cut[] = "id,name\n\0\xff";
	assert_false(utf8_valid_len(cut, sizeof(cut) - 1, true));
	assert_true(utf8_valid(cut, true)); /* without the length: the text ends at its NUL */
	const char split[] = "ab\xe5\xbc";  /* cut inside a character at the length */
	assert_false(utf8_valid_len(split, sizeof(split) - 1, true));
	assert_true(utf8_valid_len("", 0, false));
	/* Where the first fault lies: a file's import names its line. */
	assert_int_equal(utf8_valid_prefix(text, sizeof(text) - 1, true), sizeof(text) - 1);
	assert_int_equal(utf8_valid_prefix(text, sizeof(text) - 1, false), 7); /* the first \n */
	assert_int_equal(utf8_valid_prefix(cut, sizeof(cut) - 1, true), 8);    /* the NUL */
	assert_int_equal(utf8_valid_prefix(split, sizeof(split) - 1, true), 2);
	const char gbk[] = "id,name\n1,\xd5\xc5\xc8\xfd\n"; /* 张三 typed in GBK */
	assert_int_equal(utf8_valid_prefix(gbk, sizeof(gbk) - 1, true), 10);
}

/* The verdict character by character, as utf8_char reads them: what the quick paths must give. */
/* Where the first character that is not valid begins, as utf8_char reads them (LEN: none). */
static size_t prefix_slowly(const char *s, size_t len, bool lines)
{
	for (size_t i = 0; i < len;) {
		uint32_t cp;
		size_t n = utf8_char(s + i, &cp);
		if (n == 0 || i + n > len)
			return i;
		if ((cp < 0x20 && cp != '\t' && !(lines && (cp == '\n' || cp == '\r'))) ||
		    cp == 0x7f)
			return i;
		i += n;
	}
	return len;
}

/*
 * Texts of every mix a register has (ASCII, tabs, line ends, Chinese) and of what it must not
 * (controls, DEL, stray and cut sequences), at every alignment: the word-at-a-time paths agree
 * with the character-by-character verdict.
 */
static void test_valid_mixed(void **state)
{
	(void)state;
	static const char *const pieces[] = {"a",
					     "id,",
					     "\t",
					     "\n",
					     "\r\n",
					     "\x01",
					     "\x1f",
					     "\x7f",
					     "张",
					     "三,",
					     "\xe5\xbc",
					     "\xff",
					     "\xc0\xaf",
					     "\xf0\x9f\x98\x80",
					     "\xed\xa0\x80",
					     " ",
					     "0123456789"};
	const size_t n_pieces = sizeof(pieces) / sizeof(pieces[0]);
	uint32_t seed = 12345;
	char text[80];
	for (int round = 0; round < 20000; round++) {
		size_t len = 0;
		while (len < 60) {
			seed = seed * 1103515245u + 12345u;
			/* mostly harmless pieces, so that long valid runs are common */
			size_t k = (seed >> 16) % (n_pieces * 12);
			const char *piece = pieces[k < n_pieces ? k
						   : k % 5 == 0 ? 8
						   : k % 3	? 0
								: 1];
			size_t pl = strlen(piece);
			memcpy(text + len, piece, pl);
			len += pl;
		}
		text[len] = '\0';
		for (size_t from = 0; from < 8; from++)
			for (int lines = 0; lines < 2; lines++) {
				size_t at = prefix_slowly(text + from, len - from, lines);
				assert_int_equal(utf8_valid_prefix(text + from, len - from, lines),
						 at);
				assert_int_equal(utf8_valid_len(text + from, len - from, lines),
						 at == len - from);
			}
	}
}

static void test_one_line(void **state)
{
	(void)state;
	char a[] = "张三\nrefused\tus\r";
	assert_string_equal(utf8_one_line(a), "张三 refused us ");
	char b[] = "bad \xff byte, cut \xe5\xbc";
	assert_string_equal(utf8_one_line(b), "bad ? byte, cut ??");
	char c[] = "\xc0\xaf\xed\xa0\x80 ok";
	assert_string_equal(utf8_one_line(c), "????? ok");
	assert_true(utf8_valid(c, false));
	char d[] = "";
	assert_string_equal(utf8_one_line(d), "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_valid),
	    cmocka_unit_test(test_valid_in_long_text),
	    cmocka_unit_test(test_valid_three_bytes),
	    cmocka_unit_test(test_valid_len),
	    cmocka_unit_test(test_valid_mixed),
	    cmocka_unit_test(test_one_line),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
