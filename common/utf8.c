/* utf8.c: see utf8.h. Overlong forms, surrogates and code points above U+10FFFF are refused. */
#include "utf8.h"

#include <stdint.h>
#include <string.h>

bool utf8_valid(const char *s, bool lines)
{
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		unsigned char c = *p++;
		if (c < 0x80) {
			if ((c < 0x20 && c != '\t' && !(lines && (c == '\n' || c == '\r'))) ||
			    c == 0x7f)
				return false;
			continue;
		}
		int n = (c & 0xe0) == 0xc0   ? 1
			: (c & 0xf0) == 0xe0 ? 2
			: (c & 0xf8) == 0xf0 ? 3
					     : -1;
		if (n < 0)
			return false;
		uint32_t cp = c & (0x3f >> n);
		for (int i = 0; i < n; i++, p++) {
			if ((*p & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (*p & 0x3f);
		}
		static const uint32_t min[] = {0, 0x80, 0x800, 0x10000};
		if (cp < min[n] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return false;
	}
	return true;
}
