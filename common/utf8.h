/*
 * utf8.h: is this text what people and JSON can read? Names, places and tokens from clients,
 * files and peers must be UTF-8 (a GBK name would be lost in JSON output).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The length (1 to 4) of the well-formed UTF-8 character at S, its code point into *CODE; or 0 if
 * none begins there (*CODE untouched). S must hold a NUL before its end. */
size_t utf8_char(const char *s, uint32_t *code);

/* True if S is valid UTF-8 with no control characters but tab (and CR, LF if LINES). */
bool utf8_valid(const char *s, bool lines);

/* The same of the LEN bytes at S, S[LEN] being a NUL (a NUL before it is a control character):
 * for a text of many megabytes whose length is known, one pass over it instead of two. */
bool utf8_valid_len(const char *s, size_t len, bool lines);

/* How many of the LEN bytes at S (S[LEN] a NUL) are valid as utf8_valid_len judges them: LEN, or
 * where the first byte that is not lies (a file's fault, to name its line). */
size_t utf8_valid_prefix(const char *s, size_t len, bool lines);

/*
 * Make S (in place) one line of valid UTF-8 that any reader can show: a peer's reason or a text
 * cut to fit a buffer may hold anything. Each byte that does not begin a well-formed character
 * becomes '?', each control character (tab and line breaks too) a space. Returns S.
 */
char *utf8_one_line(char *s);
