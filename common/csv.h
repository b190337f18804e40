/*
 * csv.h: CSV as RFC 4180 writes it and Excel reads it: fields separated by commas, records by
 * CRLF, a field quoted when it holds a comma, a quote, CR or LF, quotes inside doubled. Files are
 * UTF-8; the writer starts them with a BOM so that Excel shows Chinese text, the reader skips one.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include "lderr.h"

#define CSV_BOM "\xef\xbb\xbf"

/*
 * Write FIELD to OUT, quoted if it needs to be. A field Excel would take for a formula (beginning
 * with '=', '+', '-', '@', TAB or CR, the OWASP list) is written after a "'", so that it shows as
 * text; so is a field that already begins with "'"s followed by one of those, so that
 * csv_cell_value gives back exactly what was written.
 */
void csv_write_field(FILE *out, const char *field);

/* True if FIELD would be written after a "'" (see csv_write_field). */
bool csv_needs_guard(const char *field);

/*
 * The value of a cell FIELD as read (csv_next): the "'" csv_write_field put before it taken away
 * again (one "'" before '=', '+', '-', '@', TAB, CR, or before more "'"s and one of those).
 * Returns a pointer into FIELD.
 */
const char *csv_cell_value(const char *field);

struct csv_reader {
	const char *p, *end;
	size_t line; /* the line the next record starts on (1-based) */
	char **fields;
	size_t n_fields, cap_fields;
	char *buf;
	size_t buf_len, buf_cap;
	/* After LD_EINPUT from csv_next: what is wrong (English: translate with _). */
	const char *why;
};

/* Start reading DATA (LEN bytes; not copied, must outlive the reader). A BOM is skipped. */
void csv_reader_init(struct csv_reader *r, const char *data, size_t len);

/*
 * Read the next record. On 0, *fields (N of them) are NUL-terminated strings valid until the next
 * call; *line is the line the record started on. Returns LD_ENOTFOUND at the end, LD_EINPUT for a
 * quote that is never closed, text after a closing quote or more than 1024 fields (*line says
 * where, R->why what), -ENOMEM.
 */
int csv_next(struct csv_reader *r, char ***fields, size_t *n, size_t *line);

/*
 * The record csv_next gave last lies in one block from its first field: each field after the one
 * before, with its NUL. Returns the block's length (a copy of it is a copy of the record).
 */
size_t csv_record_len(const struct csv_reader *r);

/* Where the next record starts: its byte offset in DATA (as given to csv_reader_init), its line
 * in *line. */
size_t csv_reader_tell(const struct csv_reader *r, const char *data, size_t *line);

/* Go back (or on) to a record start csv_reader_tell gave for the same DATA. */
void csv_reader_seek(struct csv_reader *r, const char *data, size_t offset, size_t line);

void csv_reader_free(struct csv_reader *r);
