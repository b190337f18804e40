/*
 * idno.h: resident identity numbers (居民身份证号码), GB 11643-1999.
 *
 * 18 characters: 6-digit area code, 8-digit birth date YYYYMMDD, 3-digit sequence (odd = male,
 * even = female), and a check character by ISO 7064 MOD 11-2 over the first 17 digits
 * (weights 7 9 10 5 8 4 2 1 6 3 7 9 10 5 8 4 2; remainder 0..10 -> "10X98765432").
 * Members are keyed by this number; it is personal data, shown masked unless asked for.
 */
#pragma once

#include <stdint.h>
#include "lderr.h"

#define LD_IDNO_LEN  18
#define LD_IDNO_SIZE 19 /* with NUL */

/*
 * The check character ('0'..'9' or 'X') for the first 17 characters of S, or 0 if they are not all
 * ASCII digits (S NULL included). Characters after the 17th are not read.
 */
char idno_check_char(const char *s);

/*
 * Validate S as an identity number. A lowercase final 'x' is accepted and normalized.
 * BIRTH: the member's birth date (days, see date.h) that the number must match, or LD_DATE_NONE.
 * SEX: 'M' or 'F' (lowercase accepted) that the sequence digit must match, or 0 to skip.
 * NORMALIZED: if not NULL, receives the canonical form (uppercase X), LD_IDNO_SIZE bytes; written
 *   only on success.
 * Returns 0, or LD_EINPUT with *REASON (if REASON not NULL) set to an English sentence naming the
 * first fault found, in this order: length (counted in characters, a UTF-8 sequence being one),
 * a character that is not a digit (or X last), area code (not a province code), birth date (not a
 * real date, before 1900, or in the future), check character (saying which one was expected),
 * birth date not matching BIRTH, SEX not M or F, sex digit not matching SEX.
 * *REASON is static or lives in a thread-local buffer: valid until the next idno_validate in the
 * same thread. Do not free it.
 */
int idno_validate(const char *s, int32_t birth, char sex, char normalized[LD_IDNO_SIZE],
		  const char **reason);

/*
 * A number as idno_validate normalizes it (17 digits, then a digit or 'X') as one integer, for
 * sorting many (an import's, to find one given twice): numbers in the order strcmp gives them,
 * equal only when the numbers are. idno_of_key gives the number back (LD_IDNO_SIZE bytes).
 */
uint64_t idno_key(const char normalized[LD_IDNO_SIZE]);
void idno_of_key(uint64_t key, char out[LD_IDNO_SIZE]);

/*
 * Mask S for display: the 6-digit area code and the 3 sequence digits kept, the 8 birth digits and
 * the check character as '*' ("110105********002*"). The default views show the birth year beside
 * it (never the day): the month, the day and the check character stay hidden, ~365 numbers fit
 * what is shown, and nothing shown can confirm a guess (the check character would). S shorter
 * than 18 characters (never a stored number) is masked whole. Counts bytes: meant for numbers
 * already validated. OUT holds LD_IDNO_SIZE bytes (longer S are truncated to 18). S NULL gives "".
 * Returns OUT.
 */
char *idno_mask(const char *s, char out[LD_IDNO_SIZE]);
