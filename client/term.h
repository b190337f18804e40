/*
 * term.h: what the CLI does only for a person at a terminal. A long list goes through $PAGER
 * when stdout is a terminal and the list has more lines than it (`less -FRX` if $PAGER is unset;
 * no pager if it is empty or `cat`); a long import or export shows its progress on stderr when
 * stderr is a terminal. Piped or redirected, the output is exactly what it would be without them.
 */
#pragma once

#include <stdio.h>

/*
 * Where a list for people is written: stdout, or (stdout a terminal, a pager wanted) a buffer
 * that goes to the pager once it holds more lines than the terminal has, else to stdout at
 * term_page_end. One list at a time. The FILE is term.c's until term_page_end.
 */
FILE *term_page_begin(void);

/* After a part of the list (a page): start the pager if the list outgrew the terminal. */
void term_page_part(FILE *out);

/* The list is whole: to stdout if it fits the terminal, else wait for the pager to quit. */
void term_page_end(FILE *out);

/*
 * The columns output for people is fitted to: the terminal's width when stdout is a terminal
 * (in a pager too), else FALLBACK, so that a file or a pipe gets the same lines whatever
 * terminal the command was typed in.
 */
size_t term_columns(size_t fallback);

/* Show "liudong: TEXT" on stderr's line, replacing the last, if stderr is a terminal. */
void term_progress(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Clear the progress line, if one is shown. */
void term_progress_end(void);
