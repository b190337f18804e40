/*
 * idno.c: see idno.h. Validation checks, in order: length, characters, area code (a real province),
 * birth date (a real date, not in the future), check character, then the birth date and sex the
 * caller gave. The first fault found is the reason; a reason that names details (the check
 * character expected, the date seen) is formatted into a thread-local buffer, valid until the next
 * idno_validate in the same thread.
 */
#include "idno.h"
#include "i18n.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "date.h"
#include "lderr.h"

#define REASON_SIZE 160

static _Thread_local char reason_buf[REASON_SIZE];

static const int check_weights[17] = {7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2};
static const char check_chars[11] = {'1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'};

/* The province-level codes of GB/T 2260 (first two digits of an area code). */
static const int province_codes[] = {
    11, 12, 13, 14, 15,		/* 北京 天津 河北 山西 内蒙古 */
    21, 22, 23,			/* 辽宁 吉林 黑龙江 */
    31, 32, 33, 34, 35, 36, 37, /* 上海 江苏 浙江 安徽 福建 江西 山东 */
    41, 42, 43, 44, 45, 46,	/* 河南 湖北 湖南 广东 广西 海南 */
    50, 51, 52, 53, 54,		/* 重庆 四川 贵州 云南 西藏 */
    61, 62, 63, 64, 65,		/* 陕西 甘肃 青海 宁夏 新疆 */
    71,				/* 台湾 */
    81, 82, 83,			/* 香港 澳门 and residence permits (83) */
    91,				/* foreigners' permanent residence */
};

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool is_province_code(int code)
{
	for (size_t i = 0; i < sizeof(province_codes) / sizeof(province_codes[0]); i++) {
		if (province_codes[i] == code)
			return true;
	}
	return false;
}

char idno_check_char(const char *s)
{
	if (!s)
		return 0;
	int sum = 0;
	for (int i = 0; i < 17; i++) {
		if (!is_digit(s[i]))
			return 0;
		sum += (s[i] - '0') * check_weights[i];
	}
	return check_chars[sum % 11];
}

/* The number of characters of S, counting a UTF-8 sequence as one (a pasted 汉字 is one). */
static size_t count_chars(const char *s)
{
	size_t n = 0;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if ((*p & 0xC0) != 0x80)
			n++;
	}
	return n;
}

static int fail(const char **reason, const char *why)
{
	if (reason)
		*reason = why;
	return LD_EINPUT;
}

/* Format a reason into the thread-local buffer and fail with it. */
static int failf(const char **reason, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int failf(const char **reason, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(reason_buf, sizeof(reason_buf), _(fmt), ap);
	va_end(ap);
	return fail(reason, reason_buf);
}

/*
 * Fail with the first character of S (18 characters, see count_chars) that is not a digit, or not a
 * digit or X in the last place. Returns 0 if there is none.
 */
static int check_characters(const char *s, const char **reason)
{
	/* Walk characters, not bytes, so the position named is the one the user sees. */
	const unsigned char *p = (const unsigned char *)s;
	for (int pos = 1; *p; pos++) {
		unsigned char c = *p++;
		while ((*p & 0xC0) == 0x80)
			p++;
		if (is_digit((char)c) || (pos == 18 && (c == 'X' || c == 'x')))
			continue;
		const char *expected = pos == 18 ? _("a digit or X") : _("a digit");
		if (c >= 0x21 && c <= 0x7E)
			return failf(reason, "identity number character %d is '%c', expected %s",
				     pos, c, expected);
		if (c == ' ')
			return failf(reason, "identity number character %d is a space, expected %s",
				     pos, expected);
		return failf(reason, "identity number character %d is not %s", pos, expected);
	}
	return 0;
}

static const char *sex_name(char sex)
{
	return sex == 'M' ? _("male") : _("female");
}

/*
 * The number this thread found valid last, as given, with what its digits say: a row of an import
 * or a peer's event has its number checked by several layers in turn, and the checks below depend
 * on nothing but the number (a birth date not in the future stays so).
 */
static _Thread_local struct {
	char s[LD_IDNO_SIZE]; /* "" if none */
	int32_t born;
	char check;
} last_valid;

/* The checks of the number alone: *BORN its birth date, *CHECK its check character (upper case). */
static int number_checks(const char *s, int32_t *born_out, char *check_out, const char **reason)
{
	if (!s || !*s)
		return fail(reason, _("identity number is empty"));

	size_t n = count_chars(s);
	if (n != LD_IDNO_LEN)
		return failf(reason, "identity number has %zu character%s, expected 18", n,
			     n == 1 ? "" : "s");

	int err = check_characters(s, reason);
	if (err)
		return err;
	/* From here S is 18 ASCII bytes. */

	int province = (s[0] - '0') * 10 + (s[1] - '0');
	if (!is_province_code(province)) /* none starts with 0 */
		return failf(
		    reason,
		    "identity number area code %.6s is not real: %.2s is not a province code", s,
		    s);

	int y = 0, m = 0, d = 0;
	for (int i = 6; i < 10; i++)
		y = y * 10 + (s[i] - '0');
	for (int i = 10; i < 12; i++)
		m = m * 10 + (s[i] - '0');
	for (int i = 12; i < 14; i++)
		d = d * 10 + (s[i] - '0');
	/* The leap years repeat every 400 years: 2000 + y % 400 has the same calendar as Y. */
	if (y < 1900 && date_valid(2000 + y % 400, m, d))
		return failf(reason, "identity number birth date %.8s is before 1900", s + 6);
	if (!date_valid(y, m, d))
		return failf(reason, "identity number birth date %.8s is not a real date", s + 6);
	int32_t born = date_from_ymd(y, m, d);
	if (born > date_today())
		return failf(reason, "identity number birth date %.8s is in the future", s + 6);

	char expected = idno_check_char(s);
	char got = s[17] == 'x' ? 'X' : s[17];
	if (got != expected)
		return failf(
		    reason,
		    "identity number check character is %c, expected %c (a digit is mistyped)", got,
		    expected);
	*born_out = born;
	*check_out = got;
	return 0;
}

int idno_validate(const char *s, int32_t birth, char sex, char normalized[LD_IDNO_SIZE],
		  const char **reason)
{
	int32_t born = 0;
	char got = 0;
	if (s && last_valid.s[0] && strcmp(s, last_valid.s) == 0) {
		born = last_valid.born;
		got = last_valid.check;
	} else {
		int err = number_checks(s, &born, &got, reason);
		if (err)
			return err;
		memcpy(last_valid.s, s, LD_IDNO_SIZE); /* 18 bytes and its NUL: checked above */
		last_valid.born = born;
		last_valid.check = got;
	}

	if (birth != LD_DATE_NONE && birth != born) {
		char seen[LD_DATE_LEN], given[LD_DATE_LEN];
		return failf(reason, "identity number birth date %s does not match --birth %s",
			     date_format(born, seen), date_format(birth, given));
	}

	char number_sex = (s[16] - '0') % 2 == 1 ? 'M' : 'F';
	if (sex == 'm' || sex == 'f')
		sex = (char)(sex - 'a' + 'A');
	if (sex != 0 && sex != 'M' && sex != 'F')
		return fail(reason, _("--sex must be M or F"));
	if (sex != 0 && sex != number_sex)
		return failf(reason, "identity number sequence digit says %s, but --sex is %c",
			     sex_name(number_sex), sex);

	if (normalized) {
		memcpy(normalized, s, LD_IDNO_LEN);
		normalized[17] = got;
		normalized[LD_IDNO_LEN] = '\0';
	}
	return 0;
}

uint64_t idno_key(const char normalized[LD_IDNO_SIZE])
{
	uint64_t digits = 0;
	for (int i = 0; i < LD_IDNO_LEN - 1; i++)
		digits = digits * 10 + (uint64_t)(normalized[i] - '0');
	char c = normalized[LD_IDNO_LEN - 1];
	return digits * 11 + (c == 'X' ? 10 : (uint64_t)(c - '0')); /* < 11e17 < 2^64 */
}

void idno_of_key(uint64_t key, char out[LD_IDNO_SIZE])
{
	uint64_t c = key % 11, digits = key / 11;
	out[LD_IDNO_LEN - 1] = c == 10 ? 'X' : (char)('0' + c);
	for (int i = LD_IDNO_LEN - 2; i >= 0; i--, digits /= 10)
		out[i] = (char)('0' + digits % 10);
	out[LD_IDNO_LEN] = '\0';
}

char *idno_mask(const char *s, char out[LD_IDNO_SIZE])
{
	size_t n = s ? strnlen(s, LD_IDNO_LEN) : 0;
	for (size_t i = 0; i < n; i++) {
		bool kept = n == LD_IDNO_LEN && (i < 6 || (i >= 14 && i < 17));
		out[i] = kept ? s[i] : '*';
	}
	out[n] = '\0';
	return out;
}
