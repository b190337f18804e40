/*
 * test_csv.c: unit tests of common/csv.c: formulas neutralized for Excel (the OWASP rule), and
 * what the writer wrote read back exactly, quoting included.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csv.h"

/* FIELD as csv_write_field writes it. */
static char *written(const char *field)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	assert_non_null(f);
	csv_write_field(f, field);
	fclose(f);
	return buf;
}

static void assert_written(const char *field, const char *want)
{
	char *got = written(field);
	assert_string_equal(got, want);
	free(got);
}

static void test_neutralized(void **state)
{
	(void)state;
	assert_written("=1+2", "'=1+2");
	assert_written("+86 138", "'+86 138");
	assert_written("-5", "'-5");
	assert_written("@SUM(A1)", "'@SUM(A1)");
	assert_written("\tx", "'\tx");
	assert_written("\rx", "\"'\rx\"");
	assert_written("=HYPERLINK(\"http://x\",\"y\")",
		       "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\"");
	assert_written("'=1", "''=1");
	assert_written("''@x", "'''@x");
	/* Not a formula: unchanged. */
	assert_written("张三", "张三");
	assert_written("a=b", "a=b");
	assert_written("'quoted", "'quoted");
	assert_written("", "");
	assert_written("2026-03-01", "2026-03-01");
	assert_written("a,b", "\"a,b\"");
}

/* Start R on DATA (NUL-terminated) and read its first record into *VALUES (*N of them). */
static void first_record(struct csv_reader *r, const char *data, char ***values, size_t *n)
{
	size_t line;
	csv_reader_init(r, data, strlen(data));
	assert_int_equal(csv_next(r, values, n, &line), 0);
	assert_int_equal(line, 1);
}

static void test_round_trip(void **state)
{
	(void)state;
	const char *fields[] = {"=1+2",	    "+8613800000000", "-公司", "@x", "\tTAB", "\rCR",
				"'=1",	    "''=1",	      "'abc",  "''", "'",     "a=b",
				"=a,\"b\"", "张三",	      "",      "-",  "=",     NULL};
	for (size_t i = 0; fields[i]; i++) {
		/* A record of two cells: the field, then "x". */
		char *w = written(fields[i]);
		char rec[256];
		snprintf(rec, sizeof(rec), "%s,x\r\n", w);
		struct csv_reader r;
		char **values;
		size_t n;
		first_record(&r, rec, &values, &n);
		assert_int_equal(n, 2);
		assert_string_equal(csv_cell_value(values[0]), fields[i]);
		assert_string_equal(values[1], "x");
		csv_reader_free(&r);
		free(w);
	}
	/* A cell someone typed with a leading quote that guards nothing keeps it. */
	assert_string_equal(csv_cell_value("'abc"), "'abc");
	assert_string_equal(csv_cell_value("'=abc"), "=abc");
	assert_string_equal(csv_cell_value("'"), "'");
}

/* A record's fields lie in one block, one after another: a copy of it is a copy of the record. */
static void test_record_block(void **state)
{
	(void)state;
	const char *data = "a,\"b,\"\"c\"\"\",,张三\r\nxyz\n";
	struct csv_reader r;
	char **values;
	size_t n, line;
	first_record(&r, data, &values, &n);
	assert_int_equal(n, 4);
	assert_int_equal(csv_record_len(&r), sizeof("a\0b,\"c\"\0\0张三"));
	assert_memory_equal(values[0], "a\0b,\"c\"\0\0张三", csv_record_len(&r));
	for (size_t i = 1; i < n; i++)
		assert_ptr_equal(values[i], values[i - 1] + strlen(values[i - 1]) + 1);
	assert_int_equal(csv_next(&r, &values, &n, &line), 0);
	assert_int_equal(csv_record_len(&r), 4);
	assert_string_equal(values[0], "xyz");
	csv_reader_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_neutralized),
	    cmocka_unit_test(test_round_trip),
	    cmocka_unit_test(test_record_block),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
