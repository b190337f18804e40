/*
 * output.h: what the CLI prints. With --json, exactly one JSON object on stdout. Otherwise for
 * people: an object's scalar fields as aligned "label  value" lines, each array of objects as a
 * table whose columns respect the display width of Chinese text; labels translated (gettext,
 * i18n.h) in the user's locale; fields ending in _fen shown as yuan.
 */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* Display columns of the UTF-8 text S (East Asian wide characters count 2). */
size_t output_width(const char *s);

/* Print OBJ to OUT: as one JSON line if JSON, else for people. OBJ stays the caller's. */
void output_print(FILE *out, json_t *obj, bool json);

/* True if OBJ holds a table (a list of rows), at any depth: a list, worth a pager. */
bool output_has_table(json_t *obj);

/* Print OBJ's scalar fields (not its arrays and objects, nor NEXT if given) for people, aligned. */
void output_scalars(FILE *out, json_t *obj, const char *skip);

/*
 * Print ROWS (an array of objects) for people as records, not a table: each row's scalar fields as
 * aligned "label  value" lines (output_scalars), a blank line between rows; "(none)" if there is
 * none. For a list whose rows have too many fields, or words too long, to be a table's columns.
 */
void output_records(FILE *out, json_t *rows);

/*
 * Leave the columns KEYS (comma-separated; NULL for none) out of the tables printed from now on:
 * what does not fit the line (term_columns). KEYS is borrowed (static).
 */
void output_hide(const char *keys);

/*
 * The records printed from now on are WORDS's (a command's words, "branch list": its first word,
 * "branch", counts; NULL: nobody's): a key is labelled as "branch.KEY" where that label differs
 * from KEY's (a branch's name is not a person's). WORDS is borrowed (static).
 */
void output_subject(const char *words);

/* "LABEL:" on a line of its own: the heading of the table KEY holds. */
void output_heading(FILE *out, const char *key);

/*
 * A table printed a page at a time, as the rows come: the header with the first rows, columns as
 * wide as the widest cell seen so far (a later page's wider cell widens the columns from there
 * on), the widest cut so that a line fits term_columns(100), a column of free text first, a column
 * of one word (a time, an id) never below that word: a longer cell wraps in its column, after a
 * space where it can; a table whose words do not fit is wider than the line. output_table_end
 * prints "(none)" if no row came, and frees it.
 */
struct output_table;
/* OUT may be NULL for output_table_end: free T, print nothing. */
struct output_table *output_table_new(void);
void output_table_rows(FILE *out, struct output_table *t, json_t *rows);
void output_table_end(FILE *out, struct output_table *t);
