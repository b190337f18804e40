/* textbuf.c: see textbuf.h. */
#include "textbuf.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "utf8.h"

#define TEXTBUF_FIRST_CAP 1024

bool textbuf_reserve(struct textbuf *t, size_t n)
{
	if (t->failed)
		return false;
	if (t->cap - t->len > n)
		return true;
	size_t cap = t->cap ? t->cap : TEXTBUF_FIRST_CAP;
	while (cap - t->len <= n) {
		if (cap > SIZE_MAX / 2) {
			t->failed = true;
			return false;
		}
		cap *= 2;
	}
	char *p = realloc(t->p, cap);
	if (!p) {
		t->failed = true;
		return false;
	}
	t->p = p;
	t->cap = cap;
	return true;
}

void textbuf_add(struct textbuf *t, const void *s, size_t n)
{
	if (!textbuf_reserve(t, n))
		return;
	memcpy(t->p + t->len, s, n);
	t->len += n;
	t->p[t->len] = '\0';
}

void textbuf_str(struct textbuf *t, const char *s)
{
	textbuf_add(t, s, strlen(s));
}

bool textbuf_json_string(struct textbuf *t, const char *s)
{
	if (t->failed)
		return false;
	size_t mark = t->len;
	const unsigned char *p = (const unsigned char *)s;
	textbuf_add(t, "\"", 1);
	while (*p) {
		const unsigned char *run = p; /* bytes copied as they are */
		size_t n;
		for (;;) {
			while (*p >= 0x20 && *p < 0x80 && *p != '"' && *p != '\\')
				p++;   /* ASCII needs no check */
			uint32_t code; /* the rules of jansson's utf8_check: utf8_char's */
			if (*p < 0x80 || (n = utf8_char((const char *)p, &code)) == 0)
				break;
			p += n;
		}
		textbuf_add(t, run, (size_t)(p - run));
		if (!*p)
			break;
		char esc[8];
		const char *e = esc;
		size_t len = 2;
		switch (*p) {
		case '"':
			e = "\\\"";
			break;
		case '\\':
			e = "\\\\";
			break;
		case '\b':
			e = "\\b";
			break;
		case '\f':
			e = "\\f";
			break;
		case '\n':
			e = "\\n";
			break;
		case '\r':
			e = "\\r";
			break;
		case '\t':
			e = "\\t";
			break;
		default:
			if (*p >= 0x20) { /* not UTF-8 */
				t->len = mark;
				if (t->p)
					t->p[mark] = '\0';
				return false;
			}
			snprintf(esc, sizeof(esc), "\\u%04X", (unsigned)*p);
			len = 6;
		}
		textbuf_add(t, e, len);
		p++;
	}
	textbuf_add(t, "\"", 1);
	return !t->failed;
}

void textbuf_free(struct textbuf *t)
{
	free(t->p);
	*t = (struct textbuf){0};
}
