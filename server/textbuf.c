/* textbuf.c: see textbuf.h. */
#include "textbuf.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* The length of the UTF-8 sequence at S (1 to 4), 0 if it is not one (jansson's utf8_check). */
static size_t utf8_seq(const unsigned char *s)
{
	unsigned char u = s[0];
	size_t n;
	uint32_t v;
	if (u < 0x80)
		return 1;
	if (u >= 0xC2 && u <= 0xDF) {
		n = 2;
		v = u & 0x1F;
	} else if (u >= 0xE0 && u <= 0xEF) {
		n = 3;
		v = u & 0x0F;
	} else if (u >= 0xF0 && u <= 0xF4) {
		n = 4;
		v = u & 0x07;
	} else {
		return 0;
	}
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xC0) != 0x80) /* the NUL that ends the string stops here too */
			return 0;
		v = (v << 6) | (s[i] & 0x3F);
	}
	if (v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF) || (n == 3 && v < 0x800) ||
	    (n == 4 && v < 0x10000))
		return 0;
	return n;
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
				p++; /* ASCII needs no check */
			if (*p < 0x80 || (n = utf8_seq(p)) == 0)
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
