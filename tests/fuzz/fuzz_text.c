/*
 * fuzz_text.c: every parser of text a user types: identity numbers, dates, months, money, site ids,
 * names, phones, operators and the cut of quoted input (first byte 0xf8 and above). The first byte
 * picks the parser; the rest is the text.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "date.h"
#include "dues.h"
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
	int64_t fen;
	const char *why;
	char out[64];
	uint8_t id[LD_SITE_ID_BYTES];
	enum dues_category c;
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
	switch (data[0] % 6) {
	case 0:
		if (idno_validate(s, LD_DATE_NONE, 0, out, &why) == 0 && strlen(out) != LD_IDNO_LEN)
			__builtin_trap();
		idno_mask(s, out);
		break;
	case 1:
		if (date_parse(s, &d) == 0 && strcmp(date_format(d, out), s) != 0)
			__builtin_trap(); /* a parsed date prints back as typed */
		break;
	case 2:
		if (month_parse(s, &d) == 0)
			month_format(d, out);
		break;
	case 3:
		if (money_parse(s, &fen) == 0 && fen < 0)
			__builtin_trap();
		break;
	case 4:
		if (siteid_parse(s, id, &why) == 0)
			siteid_format(id, out);
		break;
	case 5:
		if (dues_category_parse(s, &c) == 0 && money_parse(s + strlen(s) / 2, &fen) == 0)
			dues_monthly_fen(c, fen, fen / 100, &fen, &why);
		break;
	}
	free(s);
	return 0;
}
