/* input.c: see input.h. */
#include "input.h"
#include "i18n.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>

#include "utf8.h"
#include "lderr.h"

static int fail(const char **why, const char *text)
{
	if (why)
		*why = text;
	return LD_EINPUT;
}

/* Decode the UTF-8 character at S (valid UTF-8 assumed); *n gets its length. */
static uint32_t decode(const unsigned char *s, size_t *n)
{
	if (s[0] < 0x80) {
		*n = 1;
		return s[0];
	}
	size_t len = (s[0] & 0xe0) == 0xc0 ? 2 : (s[0] & 0xf0) == 0xe0 ? 3 : 4;
	uint32_t cp = s[0] & (0x7f >> len);
	for (size_t i = 1; i < len; i++)
		cp = cp << 6 | (s[i] & 0x3f);
	*n = len;
	return cp;
}

static bool is_space(uint32_t cp)
{
	return cp == ' ' || (cp >= '\t' && cp <= '\r') || cp == 0xa0 || cp == 0x3000;
}

/* Bidirectional controls and zero-width characters: invisible, they change what text looks like. */
static bool is_invisible(uint32_t cp)
{
	return cp == 0x200e || cp == 0x200f || (cp >= 0x202a && cp <= 0x202e) ||
	       (cp >= 0x2066 && cp <= 0x2069) || (cp >= 0x200b && cp <= 0x200d) || cp == 0xfeff;
}

/* A byte that is a whole character, printable ASCII and not white space. */
static bool ascii_solid(unsigned char c)
{
	return c > ' ' && c < 0x7f;
}

/* Is the character at S well formed (*N: its bytes) and one trimming keeps (printable)? */
static bool kept(const char *s, size_t *n)
{
	uint32_t cp;
	*n = utf8_char(s, &cp);
	return *n == 1 ? ascii_solid((unsigned char)cp) : *n && !is_space(cp);
}

char *input_trim(char *s)
{
	/* Most values begin and end with a character trimming keeps (a number, a name in Chinese):
	 * nothing to trim, whatever lies between (if that is not text, it is left as it is too).
	 * The last character is found by stepping back over continuation bytes. */
	size_t len = strlen(s);
	if (!len)
		return s;
	if (ascii_solid((unsigned char)s[0]) && ascii_solid((unsigned char)s[len - 1]))
		return s;
	size_t last = len - 1, edge;
	while (last > 0 && len - last < 4 && ((unsigned char)s[last] & 0xc0) == 0x80)
		last--;
	if (kept(s, &edge) && kept(s + last, &edge) && edge == len - last)
		return s;
	/* One pass: is it text (else it is left as it is, for the checks to refuse), and where
	 * do its first and last characters that are not white space lie. */
	const char *first = NULL, *end = NULL;
	for (const char *p = s; *p;) {
		unsigned char c = (unsigned char)*p;
		if (ascii_solid(c)) {
			first = first ? first : p;
			end = ++p;
			continue;
		}
		if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
			p++;
			continue;
		}
		uint32_t cp;
		size_t n = c < 0x80 ? 0 : utf8_char(p, &cp);
		if (n == 0)
			return s; /* a control character or not UTF-8 */
		if (!is_space(cp)) {
			first = first ? first : p;
			end = p + n;
		}
		p += n;
	}
	if (!first) {
		if (*s)
			*s = '\0'; /* white space only ("" is not written: it may be read-only) */
		return s;
	}
	if (first == s && !*end)
		return s; /* nothing to trim */
	memmove(s, first, (size_t)(end - first));
	s[end - first] = '\0';
	return s;
}

/*
 * What input_text_check refuses in S, or NULL; *CHARS gets its characters when nothing is. One
 * walk: text that is not UTF-8 (or holds a control character but a tab or a line end) is refused
 * as such wherever that lies; else the first other fault found is the reason.
 */
static const char *text_fault(const char *s, size_t *chars)
{
	const char *fault = NULL;
	size_t n = 0;
	for (const unsigned char *p = (const unsigned char *)s; *p; n++) {
		if (*p >= 0x20 && *p < 0x7f) {
			p++;
			continue;
		}
		uint32_t cp;
		size_t len;
		if (*p >= 0xe1 && *p <= 0xef && *p != 0xed && (p[1] & 0xc0) == 0x80 &&
		    (p[2] & 0xc0) == 0x80) {
			/* Three bytes (most of Chinese) whose first allows any continuation (E0
			 * could be overlong, ED a surrogate): well formed. */
			cp = (uint32_t)(*p & 0x0f) << 12 | (uint32_t)(p[1] & 0x3f) << 6 |
			     (p[2] & 0x3f);
			len = 3;
		} else if (!(len = utf8_char((const char *)p, &cp)) ||
			   (cp < 0x20 && cp != '\t' && cp != '\n' && cp != '\r') || cp == 0x7f) {
			return _("must be UTF-8 text without control characters");
		}
		if (!fault && (cp < 0x20 || (cp >= 0x80 && cp < 0xa0)))
			fault = _("must not hold control characters (TAB, newline)");
		else if (!fault && is_invisible(cp))
			fault = _("must not hold bidirectional controls or zero-width characters "
				  "(U+200B-U+200F, U+202A-U+202E, U+2066-U+2069, U+FEFF)");
		p += len;
	}
	*chars = n;
	return fault;
}

int input_text_check(const char *s, size_t max, const char **why)
{
	size_t len = strlen(s), chars;
	const char *fault;
	if (len == 0)
		return fail(why, _("must not be empty"));
	if ((fault = text_fault(s, &chars)))
		return fail(why, fault);
	size_t n, last = len - 1;
	while (last > 0 && ((unsigned char)s[last] & 0xc0) == 0x80)
		last--; /* the first byte of the last character */
	if (is_space(decode((const unsigned char *)s, &n)) ||
	    is_space(decode((const unsigned char *)s + last, &n)))
		return fail(why, _("must not begin or end with white space"));
	if (len > max)
		return fail(why, _("is too long"));
	return 0;
}

int input_operator_check(const char *s, const char **why)
{
	size_t chars;
	const char *fault = text_fault(s, &chars);
	if (fault)
		return fail(why, fault);
	bool blank = true;
	for (const unsigned char *p = (const unsigned char *)s; *p;) {
		size_t n;
		bool space = is_space(decode(p, &n)); /* always: N is read below */
		blank = blank && space;
		p += n;
	}
	if (blank || chars > INPUT_OPERATOR_MAX_CHARS)
		return fail(
		    why, _("must be 1 to 64 characters (the name of the person at the keyboard)"));
	return 0;
}

static size_t digits(const char *s)
{
	size_t n = 0;
	while (s[n] >= '0' && s[n] <= '9')
		n++;
	return n;
}

int input_phone_check(const char *s, const char **why)
{
	static const char expected[] =
	    N_("must be a mobile number (11 digits: 13800000000) or a landline with its area code "
	       "(025-84561234), optionally after +86");
	const char *p = s;
	if (strncmp(p, "+86", 3) == 0) {
		p += 3;
		if (*p == ' ' || *p == '-')
			p++;
	}
	size_t n = digits(p);
	if (n == 11 && p[0] == '1' && p[1] >= '3' && p[1] <= '9' && !p[n])
		return 0;
	if (p[0] != '0')
		return fail(why, _(expected));
	/* A landline: 0 + area code (2 or 3 digits) + 7 or 8 digits, a separator allowed. */
	if (n >= 3 && (p[n] == '-' || p[n] == ' ')) {
		size_t local = digits(p + n + 1);
		if ((n == 3 || n == 4) && (local == 7 || local == 8) && !p[n + 1 + local])
			return 0;
		return fail(why, _(expected));
	}
	/* Without a separator the split is not known: 10 to 12 digits fit one. */
	if (n >= 10 && n <= 12 && !p[n])
		return 0;
	return fail(why, _(expected));
}
