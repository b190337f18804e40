/*
 * input.h: the free text people type (names, places, phone numbers, the operator) as the domain
 * accepts it. The commands and `import members` call these same checks, so a register row is
 * judged as the same value typed at the command line. Each check returns 0, or LD_EINPUT with *WHY
 * (if WHY is not NULL) set to a static English phrase saying what is wrong and what is expected,
 * to follow the name of the field ("--name must be ..." is the caller's "--name " + *WHY).
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include "lderr.h"

#define INPUT_OPERATOR_MAX_CHARS 64

/*
 * Trim S in place: white space at both ends (ASCII space, TAB, CR, LF, VT, FF, U+00A0 and the
 * ideographic space U+3000 an input method types) is removed. S is written only if something
 * is removed. Returns S.
 */
char *input_trim(char *s);

/*
 * Is S a name or a line of text (member, branch, place, employer, address): 1 to MAX bytes of
 * UTF-8 after trimming (the caller trims: S with white space at either end is refused), with no
 * control character (TAB and newline included), no bidirectional control (U+200E, U+200F,
 * U+202A..U+202E, U+2066..U+2069) and no zero-width character (U+200B..U+200D, U+FEFF): what
 * would make one name look like another, or change the display of what follows it.
 */
int input_text_check(const char *s, size_t max, const char **why);

/*
 * Is S a phone number: a mainland mobile number (11 digits, 1 then 3..9) or a landline with its
 * area code (0, then 2 or 3 digits of area code, then 7 or 8 digits; one '-' or space may stand
 * after the area code: 025-84561234), either optionally preceded by +86 (and a space or '-').
 */
int input_phone_check(const char *s, const char **why);

/*
 * Is S an operator name for the audit: 1 to INPUT_OPERATOR_MAX_CHARS characters of UTF-8 text,
 * not only spaces, with none of the characters input_text_check refuses.
 */
int input_operator_check(const char *s, const char **why);
