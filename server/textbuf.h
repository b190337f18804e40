/*
 * textbuf.h: a growable buffer for an answer written as text (JSON written directly, not built as
 * a jansson tree), and the daemon's one writer of a JSON string literal, which gives the bytes
 * jansson 2.14's dump gives: `"` and `\` escaped, \b \f \n \r \t as such, other bytes under 0x20
 * as \u00XX (upper-case hex), everything else (`/`, DEL, non-ASCII) as it is; a string that is not
 * UTF-8 as jansson's utf8_check judges it (no overlong forms, no surrogates, nothing over
 * U+10FFFF) is refused, as json_string refuses it.
 *
 *   struct textbuf t = {0};
 *   textbuf_add(&t, "{\"name\":", 8);
 *   textbuf_json_string(&t, name);
 *   ...
 *   if (t.failed) ...; else use t.p (t.len bytes, NUL-terminated); textbuf_free(&t);
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>

struct textbuf {
	char *p; /* malloc'd, NUL-terminated once anything was added; NULL at first */
	size_t len, cap;
	bool failed; /* memory ran out: nothing more is added */
};

/* Room in T for N more bytes and a NUL; false (T failed) if memory ran out. */
bool textbuf_reserve(struct textbuf *t, size_t n);

/* Add the N bytes at S (they may hold NULs: the buffer may carry binary records). */
void textbuf_add(struct textbuf *t, const void *s, size_t n);

/* Add the string S. */
void textbuf_str(struct textbuf *t, const char *s);

/* Add S as a JSON string literal. False, and nothing added, if S is not UTF-8 (or T failed). */
bool textbuf_json_string(struct textbuf *t, const char *s);

/* Give back T's memory; T is empty again. */
void textbuf_free(struct textbuf *t);
