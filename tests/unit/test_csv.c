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

/* Read DATA's records and check each is WANT's (fields joined by '|', "" for none) at its line. */
static void assert_records(const char *data, const char *const *want, const size_t *lines)
{
	struct csv_reader r;
	csv_reader_init(&r, data, strlen(data));
	char **values;
	size_t n, line, k = 0;
	while (csv_next(&r, &values, &n, &line) == 0) {
		char got[256] = "";
		for (size_t i = 0; i < n; i++)
			snprintf(got + strlen(got), sizeof(got) - strlen(got), "%s%s", i ? "|" : "",
				 values[i]);
		assert_non_null(want[k]);
		assert_string_equal(got, want[k]);
		assert_int_equal(line, lines[k]);
		k++;
	}
	assert_null(want[k]);
	csv_reader_free(&r);
}

/*
 * Records end at CRLF, LF, a CR alone or the end of the data, whether they hold a quote (read
 * field by field) or not (copied whole); a quoted field keeps its newlines and commas.
 */
static void test_record_ends(void **state)
{
	(void)state;
	const char *plain = "a,b\r\nc,,d\n\ne\rf,张三,";
	const char *const want_plain[] = {"a|b", "c||d", "", "e", "f|张三|", NULL};
	const size_t lines_plain[] = {1, 2, 3, 4, 5};
	assert_records(plain, want_plain, lines_plain);
	const char *quoted = "\"a\",b\r\nc,\"\",d\n\"x\ny,z\"\re,\"f\"\"\"";
	const char *const want_quoted[] = {"a|b", "c||d", "x\ny,z", "e|f\"", NULL};
	const size_t lines_quoted[] = {1, 2, 3, 5};
	assert_records(quoted, want_quoted, lines_quoted);
	/* At most 1024 fields, with a quote or without. */
	static char many[2 * 1025 + 8];
	for (int quote = 0; quote < 2; quote++) {
		for (size_t fields = 1024; fields <= 1025; fields++) {
			char *p = many;
			if (quote)
				p += sprintf(p, "\"q\",");
			for (size_t i = quote; i < fields; i++)
				*p++ = 'x', *p++ = ',';
			p[-1] = '\n';
			*p = '\0';
			struct csv_reader r;
			csv_reader_init(&r, many, strlen(many));
			char **values;
			size_t n, line;
			int rc = csv_next(&r, &values, &n, &line);
			assert_int_equal(rc, fields == 1024 ? 0 : LD_EINPUT);
			if (rc == 0)
				assert_int_equal(n, 1024);
			else
				assert_string_equal(r.why, "the line has more than 1024 fields");
			csv_reader_free(&r);
		}
	}
	/* What else is not CSV, and why (at the line its record starts on). */
	const struct {
		const char *data, *why;
	} bad[] = {
	    {"a,b\n\"c,d\n", "a quoted field is not closed"},
	    {"a,b\n\"c\"d,e\n",
	     "text follows a field's closing quote (a quote inside a field is written twice)"}};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct csv_reader r;
		char **values;
		size_t n, line;
		first_record(&r, bad[i].data, &values, &n);
		assert_int_equal(csv_next(&r, &values, &n, &line), LD_EINPUT);
		assert_int_equal(line, 2);
		assert_string_equal(r.why, bad[i].why);
		csv_reader_free(&r);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_neutralized),
	    cmocka_unit_test(test_round_trip),
	    cmocka_unit_test(test_record_block),
	    cmocka_unit_test(test_record_ends),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
