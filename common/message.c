/*
 * message.c: see message.h. The format is walked conversion by conversion; each is printed by
 * snprintf with its own specification, so the output is printf's, but for the cut of "%s".
 */
#include "message.h"

#include <ctype.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define ELLIPSIS "\xe2\x80\xa6" /* U+2026 */

/* The length of the UTF-8 character at S (1 for a stray byte; never past a NUL). */
static size_t char_len(const char *s)
{
	unsigned char c = (unsigned char)s[0];
	size_t n = c < 0x80		? 1
		   : (c & 0xe0) == 0xc0 ? 2
		   : (c & 0xf0) == 0xe0 ? 3
		   : (c & 0xf8) == 0xf0 ? 4
					: 1;
	for (size_t i = 1; i < n; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			return 1;
	return n;
}

char *message_cut(const char *s, size_t max, char *out, size_t len)
{
	size_t room = len - 1, used = 0, chars = 0;
	const char *p = s;
	while (*p && chars < max) {
		size_t n = char_len(p);
		if (used + n > room)
			break;
		memcpy(out + used, p, n);
		used += n;
		p += n;
		chars++;
	}
	if (*p) {
		/* Cut: make room for the ellipsis, on a character boundary. */
		while (used > 0 && used + sizeof(ELLIPSIS) - 1 > room) {
			do
				used--;
			while (used > 0 && ((unsigned char)out[used] & 0xc0) == 0x80);
		}
		if (used + sizeof(ELLIPSIS) - 1 <= room) {
			memcpy(out + used, ELLIPSIS, sizeof(ELLIPSIS) - 1);
			used += sizeof(ELLIPSIS) - 1;
		}
	}
	out[used] = '\0';
	return out;
}

struct sink {
	char *out;
	size_t len, n; /* n: bytes written, at most len - 1 */
};

static void put(struct sink *k, const char *s, size_t n)
{
	size_t room = k->len - 1 - k->n;
	if (n > room)
		n = room;
	memcpy(k->out + k->n, s, n);
	k->n += n;
	k->out[k->n] = '\0';
}

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
/* Print one conversion SPEC with its star arguments (if any) and VALUE. */
#define EMIT(k, spec, wstar, pstar, wv, pv, value)                                                 \
	do {                                                                                       \
		char *to_ = (k)->out + (k)->n;                                                     \
		size_t room_ = (k)->len - (k)->n;                                                  \
		int r_ = (wstar) && (pstar) ? snprintf(to_, room_, spec, wv, pv, value)            \
			 : (wstar)	    ? snprintf(to_, room_, spec, wv, value)                \
			 : (pstar)	    ? snprintf(to_, room_, spec, pv, value)                \
					    : snprintf(to_, room_, spec, value);                            \
		if (r_ > 0)                                                                        \
			(k)->n += (size_t)r_ < room_ ? (size_t)r_ : room_ - 1;                     \
	} while (0)

void message_vformat(char *out, size_t len, const char *fmt, va_list ap)
{
	struct sink k = {.out = out, .len = len, .n = 0};
	out[0] = '\0';
	const char *p = fmt;
	while (*p) {
		if (*p != '%') {
			const char *q = strchr(p, '%');
			size_t n = q ? (size_t)(q - p) : strlen(p);
			put(&k, p, n);
			p += n;
			continue;
		}
		const char *start = p++;
		if (*p == '%') {
			put(&k, "%", 1);
			p++;
			continue;
		}
		while (*p && strchr("-+ #0", *p))
			p++;
		bool wstar = false, pstar = false, prec = false;
		if (*p == '*') {
			wstar = true;
			p++;
		}
		while (isdigit((unsigned char)*p))
			p++;
		if (*p == '.') {
			prec = true;
			p++;
			if (*p == '*') {
				pstar = true;
				p++;
			}
			while (isdigit((unsigned char)*p))
				p++;
		}
		char lm = 0; /* h H(hh) l q(ll) z j t L */
		if (*p == 'h') {
			lm = p[1] == 'h' ? 'H' : 'h';
			p += lm == 'H' ? 2 : 1;
		} else if (*p == 'l') {
			lm = p[1] == 'l' ? 'q' : 'l';
			p += lm == 'q' ? 2 : 1;
		} else if (*p && strchr("zjtL", *p)) {
			lm = *p++;
		}
		char conv = *p;
		if (!conv)
			break;
		p++;
		char spec[32];
		size_t slen = (size_t)(p - start);
		if (slen >= sizeof(spec)) {
			put(&k, start, slen);
			continue;
		}
		memcpy(spec, start, slen);
		spec[slen] = '\0';
		int wv = wstar ? va_arg(ap, int) : 0;
		int pv = pstar ? va_arg(ap, int) : 0;
		switch (conv) {
		case 'd':
		case 'i':
			if (lm == 'l')
				EMIT(&k, spec, wstar, pstar, wv, pv, va_arg(ap, long));
			else if (lm == 'q')
				EMIT(&k, spec, wstar, pstar, wv, pv, va_arg(ap, long long));
			else if (lm == 'z')
				EMIT(&k, spec, wstar, pstar, wv, pv, va_arg(ap, size_t));
			else if (lm == 'j')
				EMIT(&k, spec, wstar, pstar, wv, pv, va_arg(ap, intmax_t));
			else if (lm == 't')
				EMIT(&k, spec, wstar, pstar, wv, pv, va_arg(ap, ptrdiff_t));
			else
				EMIT(&k, spec, wstar, pstar, wv, pv, va_arg(ap, int));
			break;
		case 'u':
		case 'o':
		case 'x':
		case 'X':
			if (lm == 'l')
				EMIT(&k, spec, wstar, pstar, wv, pv, va_arg(ap, unsigned long));
			else if (lm == 'q')
				EMIT(&k, spec, wstar, pstar, wv, pv,
				     va_arg(ap, unsigned long long));
			else if (lm == 'z')
				EMIT(&k, spec, wstar, pstar, wv, pv, va_arg(ap, size_t));
			else if (lm == 'j')
				EMIT(&k, spec, wstar, pstar, wv, pv, va_arg(ap, uintmax_t));
			else if (lm == 't')
				EMIT(&k, spec, wstar, pstar, wv, pv, va_arg(ap, ptrdiff_t));
			else
				EMIT(&k, spec, wstar, pstar, wv, pv, va_arg(ap, unsigned));
			break;
		case 'c':
			EMIT(&k, spec, wstar, pstar, wv, pv, va_arg(ap, int));
			break;
		case 'f':
		case 'F':
		case 'e':
		case 'E':
		case 'g':
		case 'G':
		case 'a':
		case 'A':
			if (lm == 'L')
				EMIT(&k, spec, wstar, pstar, wv, pv, va_arg(ap, long double));
			else
				EMIT(&k, spec, wstar, pstar, wv, pv, va_arg(ap, double));
			break;
		case 'p':
			EMIT(&k, spec, wstar, pstar, wv, pv, va_arg(ap, void *));
			break;
		case 's': {
			const char *s = va_arg(ap, const char *);
			char cut[MESSAGE_QUOTE_CHARS * 4 + 8];
			if (!s)
				s = "(null)";
			else if (!prec)
				s = message_cut(s, MESSAGE_QUOTE_CHARS, cut, sizeof(cut));
			EMIT(&k, spec, wstar, pstar, wv, pv, s);
			break;
		}
		default: /* %n or not a conversion: printed as written, nothing read */
			put(&k, spec, slen);
			break;
		}
	}
}
#pragma GCC diagnostic pop
