/* utf8.c: see utf8.h. Overlong forms, surrogates and code points above U+10FFFF are refused. */
#include "utf8.h"

#include <stdint.h>
#include <string.h>

size_t utf8_char(const char *s, uint32_t *code)
{
	const unsigned char *p = (const unsigned char *)s;
	unsigned char c = p[0];
	if (c < 0x80) {
		*code = c;
		return 1;
	}
	int n = (c & 0xe0) == 0xc0 ? 1 : (c & 0xf0) == 0xe0 ? 2 : (c & 0xf8) == 0xf0 ? 3 : -1;
	if (n < 0)
		return 0;
	uint32_t cp = c & (0x3f >> n);
	for (int i = 1; i <= n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	static const uint32_t min[] = {0, 0x80, 0x800, 0x10000};
	if (cp < min[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	*code = cp;
	return (size_t)n + 1;
}

/* The length of the well-formed UTF-8 character at P (1 to 4), or 0 if none begins there. */
static size_t utf8_seq(const unsigned char *p)
{
	uint32_t cp;
	return utf8_char((const char *)p, &cp);
}

/*
 * Whether the 8 bytes of W are all printable ASCII (0x20 to 0x7e): none has its top bit set, none
 * is below 0x20, none is 0x7f. The usual word-at-a-time tests (each exact for bytes below 0x80).
 */
static bool word_printable(uint64_t w)
{
	const uint64_t ones = 0x0101010101010101u, highs = 0x8080808080808080u;
	uint64_t below = (w - ones * 0x20) & ~w; /* a byte < 0x20 sets its top bit */
	uint64_t del = ((w ^ (ones * 0x7f)) - ones) & ~(w ^ (ones * 0x7f)); /* a byte 0x7f */
	return ((w | below | del) & highs) == 0;
}

bool utf8_valid(const char *s, bool lines)
{
	return utf8_valid_len(s, strlen(s), lines);
}

size_t utf8_valid_prefix(const char *s, size_t len, bool lines)
{
	const unsigned char *start = (const unsigned char *)s, *p = start, *end = p + len;
	while (p < end) {
		uint64_t w;
		/* Printable ASCII, most of what is checked: eight bytes at a time. */
		if (end - p >= 8 && (memcpy(&w, p, 8), word_printable(w))) {
			p += 8;
			continue;
		}
		unsigned char c = *p;
		if (c >= 0x20 && c < 0x7f) {
			p++;
			continue;
		}
		/* Three bytes (most of Chinese) whose first allows any continuation: E1-EC, EE-EF
		 * (E0 could be overlong, ED a surrogate). A NUL ends the test before what follows.
		 */
		if (c >= 0xe1 && c <= 0xef && c != 0xed && (p[1] & 0xc0) == 0x80 &&
		    (p[2] & 0xc0) == 0x80) {
			p += 3;
			continue;
		}
		if ((c < 0x20 && c != '\t' && !(lines && (c == '\n' || c == '\r'))) || c == 0x7f)
			return (size_t)(p - start);
		size_t n = utf8_seq(p);
		if (n == 0)
			return (size_t)(p - start);
		p += n;
	}
	return len;
}

bool utf8_valid_len(const char *s, size_t len, bool lines)
{
	return utf8_valid_prefix(s, len, lines) == len;
}

char *utf8_one_line(char *s)
{
	unsigned char *p = (unsigned char *)s;
	while (*p) {
		size_t n = utf8_seq(p);
		if (n == 0)
			*p = '?';
		else if (*p < 0x20 || *p == 0x7f)
			*p = ' ';
		p += n ? n : 1;
	}
	return s;
}
