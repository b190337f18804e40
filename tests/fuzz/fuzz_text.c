/*
 * fuzz_text.c: every parser of text a user types: identity numbers, dates, months, money, site ids,
 * dues categories, HOST:PORT addresses, location states, and names, phones, operators and the cut
 * of quoted input (first byte 0xf8 and above). The first byte picks the parser; the rest is the
 * text.
 *
 * Invariants (a violation traps): what parses prints back and parses again to the same value
 * (a date and a month print back exactly as typed; an identity number's canonical form validates
 * to itself; money and site ids to the same fen and bytes; an address to the same host and port;
 * a category and a state to the same name); a mask is as long as the number; a checked name is
 * 1 to 96 bytes; a cut quote fits its buffer.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "date.h"
#include "domain.h"
#include "dues.h"
#include "hostport.h"
#include "idno.h"
#include "input.h"
#include "message.h"
#include "money.h"
#include "siteid.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	char *s = malloc(size);
	if (!s)
		return 0;
	memcpy(s, data + 1, size - 1);
	s[size - 1] = '\0';
	int32_t d;
	int64_t fen, fen2;
	const char *why;
	char out[64], out2[64];
	uint8_t id[LD_SITE_ID_BYTES], id2[LD_SITE_ID_BYTES];
	enum dues_category c, c2;
	struct hostport hp, hp2;
	enum location loc, loc2;
	int y, m, day;

	if (data[0] >= 0xf8) {
		char cut[MESSAGE_QUOTE_CHARS * 4 + 8];
		if (strlen(message_cut(s, MESSAGE_QUOTE_CHARS, cut, sizeof(cut))) >= sizeof(cut))
			__builtin_trap();
		input_phone_check(s, &why);
		input_operator_check(s, &why);
		input_trim(s);
		if (input_text_check(s, 96, &why) == 0 && (strlen(s) > 96 || !s[0]))
			__builtin_trap();
		free(s);
		return 0;
	}
	switch (data[0] % 8) {
	case 0:
		if (idno_validate(s, LD_DATE_NONE, 0, out, &why) == 0) {
			if (strlen(out) != LD_IDNO_LEN)
				__builtin_trap();
			/* The canonical form is an identity number, and its own canonical form. */
			if (idno_validate(out, LD_DATE_NONE, 0, out2, &why) != 0 ||
			    strcmp(out, out2))
				__builtin_trap();
			idno_mask(out, out2);
			/* The area and sequence digits shown; the birth digits and the check
			 * character hidden (the view cannot rebuild the number). */
			if (strlen(out2) != LD_IDNO_LEN || memcmp(out, out2, 6) ||
			    memcmp(out + 14, out2 + 14, 3) || strspn(out2 + 6, "*") != 8 ||
			    out2[17] != '*')
				__builtin_trap();
		}
		idno_mask(s, out);
		break;
	case 1:
		if (date_parse(s, &d) == 0) {
			if (strcmp(date_format(d, out), s) != 0)
				__builtin_trap(); /* a parsed date prints back as typed */
			date_to_ymd(d, &y, &m, &day);
			if (!date_valid(y, m, day) || date_from_ymd(y, m, day) != d)
				__builtin_trap();
			month_format(month_of_date(d), out2);
			if (strncmp(out2, s, 7) != 0)
				__builtin_trap(); /* the month of a date is its first 7 characters
						   */
		}
		break;
	case 2:
		if (month_parse(s, &d) == 0 && strcmp(month_format(d, out), s) != 0)
			__builtin_trap(); /* a parsed month prints back as typed */
		break;
	case 3:
		if (money_parse(s, &fen) == 0) {
			if (fen < 0)
				__builtin_trap();
			if (money_parse(money_format(fen, out), &fen2) != 0 || fen2 != fen)
				__builtin_trap(); /* printed money reads back as the same fen */
		}
		break;
	case 4:
		if (siteid_parse(s, id, &why) == 0) {
			if (siteid_parse(siteid_format(id, out), id2, &why) != 0 ||
			    memcmp(id, id2, sizeof(id)) != 0)
				__builtin_trap();
		}
		break;
	case 5:
		if (dues_category_parse(s, &c) == 0) {
			if (dues_category_parse(dues_category_name(c), &c2) != 0 || c2 != c)
				__builtin_trap();
			if (money_parse(s + strlen(s) / 2, &fen) == 0)
				dues_monthly_fen(c, fen, fen / 100, &fen, &why);
		}
		break;
	case 6:
		if (hostport_parse(s, &hp, &why) == 0) {
			if (!hp.host[0] || hp.port == 0 || atoi(hp.port_text) != hp.port)
				__builtin_trap();
			char again[LD_HOST_MAX + 16];
			snprintf(again, sizeof(again), strchr(hp.host, ':') ? "[%s]:%u" : "%s:%u",
				 hp.host, (unsigned)hp.port);
			if (hostport_parse(again, &hp2, &why) != 0 || strcmp(hp.host, hp2.host) ||
			    hp.port != hp2.port)
				__builtin_trap(); /* an address written again reads the same */
		}
		break;
	case 7:
		if (location_parse(s, &loc) == 0 &&
		    (location_parse(location_name(loc), &loc2) != 0 || loc2 != loc))
			__builtin_trap();
		break;
	}
	free(s);
	return 0;
}
