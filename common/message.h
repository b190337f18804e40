/*
 * message.h: the one formatter of every message that may quote a user's input (the daemon's
 * request_fail and request_warn, the CLI's cli_fail): a quoted value is cut to
 * MESSAGE_QUOTE_CHARS characters, on a character boundary, with "…" after it, so that a 100 KB
 * argument cannot fill the error line or hide the advice that follows it.
 */
#pragma once

#include <stdarg.h>
#include <stddef.h>

#define MESSAGE_QUOTE_CHARS 80

/*
 * Copy S to OUT (LEN bytes, NUL-terminated, LEN > 0) cut to MAX characters (a UTF-8 sequence is one
 * character; a stray byte counts as one) with "…" appended when something was cut; if OUT is too
 * small the copy is cut there too, on a character boundary. Returns OUT.
 */
char *message_cut(const char *s, size_t max, char *out, size_t len);

/*
 * vsnprintf into OUT (LEN bytes), except that every "%s" argument without a precision is cut as
 * message_cut(arg, MESSAGE_QUOTE_CHARS) cuts it (NULL prints "(null)"). A "%.Ns" or "%.*s" is
 * printed as asked: the way to pass a message built elsewhere whole ("%.400s"). The conversions
 * of C11 printf are supported but %n; the arguments are read by the types the format names.
 */
void message_vformat(char *out, size_t len, const char *fmt, va_list ap);
