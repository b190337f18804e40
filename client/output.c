/*
 * output.c: see output.h.
 */
#include "output.h"

#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "enums.h"
#include "i18n.h"
#include "money.h"
#include "term.h"

/* Decode one UTF-8 code point at *s and advance; invalid bytes count as one narrow character. */
static uint32_t utf8_next(const char **s)
{
	const unsigned char *p = (const unsigned char *)*s;
	uint32_t cp;
	int n;
	if (p[0] < 0x80) {
		cp = p[0];
		n = 1;
	} else if ((p[0] & 0xe0) == 0xc0 && (p[1] & 0xc0) == 0x80) {
		cp = (uint32_t)(p[0] & 0x1f) << 6 | (p[1] & 0x3f);
		n = 2;
	} else if ((p[0] & 0xf0) == 0xe0 && (p[1] & 0xc0) == 0x80 && (p[2] & 0xc0) == 0x80) {
		cp = (uint32_t)(p[0] & 0x0f) << 12 | (uint32_t)(p[1] & 0x3f) << 6 | (p[2] & 0x3f);
		n = 3;
	} else if ((p[0] & 0xf8) == 0xf0 && (p[1] & 0xc0) == 0x80 && (p[2] & 0xc0) == 0x80 &&
		   (p[3] & 0xc0) == 0x80) {
		cp = (uint32_t)(p[0] & 0x07) << 18 | (uint32_t)(p[1] & 0x3f) << 12 |
		     (uint32_t)(p[2] & 0x3f) << 6 | (p[3] & 0x3f);
		n = 4;
	} else {
		cp = '?';
		n = 1;
	}
	*s += n;
	return cp;
}

/* East Asian Wide and Fullwidth ranges (Unicode UAX #11), the ones Chinese text uses. */
static bool wide(uint32_t cp)
{
	return (cp >= 0x1100 && cp <= 0x115f) || (cp >= 0x2e80 && cp <= 0x303e) ||
	       (cp >= 0x3041 && cp <= 0x33ff) || (cp >= 0x3400 && cp <= 0x4dbf) ||
	       (cp >= 0x4e00 && cp <= 0x9fff) || (cp >= 0xa000 && cp <= 0xa4cf) ||
	       (cp >= 0xac00 && cp <= 0xd7a3) || (cp >= 0xf900 && cp <= 0xfaff) ||
	       (cp >= 0xfe30 && cp <= 0xfe4f) || (cp >= 0xff00 && cp <= 0xff60) ||
	       (cp >= 0xffe0 && cp <= 0xffe6) || (cp >= 0x20000 && cp <= 0x3fffd);
}

size_t output_width(const char *s)
{
	size_t w = 0;
	while (*s)
		w += wide(utf8_next(&s)) ? 2 : 1;
	return w;
}

/*
 * Every field the daemon answers with, marked for translation as a label (context "label": the
 * key is the msgid). A key missing here is shown as it is; the test po_complete checks that every
 * key the daemon's sources name is here. "SUBJECT.KEY": KEY where the records are SUBJECT's
 * (output_subject, or the object KEY is in), labelled otherwise than elsewhere: a name is a
 * person's (姓名) but a site's, a peer's or a branch's (名称).
 */
static const char *const label_keys[] = {
    NC_("label", "branch.name"),
    NC_("label", "conflicts.id"),
    NC_("label", "directory.name"),
    NC_("label", "peer.name"),
    NC_("label", "site.name"),
    NC_("label", "status.name"),
    NC_("label", "suggested_branch.name"),
    NC_("label", "accepts_mobile"),
    NC_("label", "acked_seq"),
    NC_("label", "action"),
    NC_("label", "active"),
    NC_("label", "address"),
    NC_("label", "amount"),
    NC_("label", "amount_fen"),
    NC_("label", "answer"),
    NC_("label", "answered"),
    NC_("label", "applied_seq"),
    NC_("label", "approved_by"),
    NC_("label", "as_of"),
    NC_("label", "attend"),
    NC_("label", "attendance_by_branch"),
    NC_("label", "audit"),
    NC_("label", "average_days_to_close"),
    NC_("label", "basis"),
    NC_("label", "basis_fen"),
    NC_("label", "birth"),
    NC_("label", "birth_year"),
    NC_("label", "branch"),
    NC_("label", "branches"),
    NC_("label", "by"),
    NC_("label", "by_kind"),
    NC_("label", "category"),
    NC_("label", "certificate"),
    NC_("label", "certificates"),
    NC_("label", "changed"),
    NC_("label", "checked_in"),
    NC_("label", "close"),
    NC_("label", "closed"),
    NC_("label", "code"),
    NC_("label", "collected_fen"),
    NC_("label", "collector"),
    NC_("label", "conflicts"),
    NC_("label", "contact"),
    NC_("label", "count"),
    NC_("label", "date"),
    NC_("label", "departed"),
    NC_("label", "detail"),
    NC_("label", "due_date"),
    NC_("label", "dues"),
    NC_("label", "dues_by_month"),
    NC_("label", "dues_category"),
    NC_("label", "employer"),
    NC_("label", "entries"),
    NC_("label", "error"),
    NC_("label", "events"),
    NC_("label", "excused"),
    NC_("label", "exemption"),
    NC_("label", "expired"),
    NC_("label", "first_bad"),
    NC_("label", "fixed_place"),
    NC_("label", "for_this_site"),
    NC_("label", "forwarded_to"),
    NC_("label", "from"),
    NC_("label", "from_person"),
    NC_("label", "handler"),
    NC_("label", "handover"),
    NC_("label", "head_seq"),
    NC_("label", "help"),
    NC_("label", "id"),
    NC_("label", "imported"),
    NC_("label", "income"),
    NC_("label", "income_fen"),
    NC_("label", "inflow"),
    NC_("label", "inflow_branch"),
    NC_("label", "inflow_site"),
    NC_("label", "issued"),
    NC_("label", "issuer"),
    NC_("label", "joined"),
    NC_("label", "kind"),
    NC_("label", "lag"),
    NC_("label", "lapse"),
    NC_("label", "lapse_case"),
    NC_("label", "last_attended"),
    NC_("label", "last_contact"),
    NC_("label", "last_error"),
    NC_("label", "last_report"),
    NC_("label", "last_visit"),
    NC_("label", "leave"),
    NC_("label", "letter"),
    NC_("label", "listen"),
    NC_("label", "local_seq"),
    NC_("label", "log_id"),
    NC_("label", "meeting"),
    NC_("label", "meetings"),
    NC_("label", "member"),
    NC_("label", "members"),
    NC_("label", "members_by_destination"),
    NC_("label", "members_by_reason"),
    NC_("label", "members_by_state"),
    NC_("label", "month"),
    NC_("label", "monthly_dues_fen"),
    NC_("label", "monthly_fen"),
    NC_("label", "months"),
    NC_("label", "name"),
    NC_("label", "next"),
    NC_("label", "no"),
    NC_("label", "note"),
    NC_("label", "notice"),
    NC_("label", "notices"),
    NC_("label", "number"),
    NC_("label", "ok"),
    NC_("label", "on_time_rate"),
    NC_("label", "open"),
    NC_("label", "opened"),
    NC_("label", "operator"),
    NC_("label", "org"),
    NC_("label", "origin"),
    NC_("label", "origin_seq"),
    NC_("label", "origin_site"),
    NC_("label", "outcome"),
    NC_("label", "outflow_site"),
    NC_("label", "overdue"),
    NC_("label", "owner"),
    NC_("label", "paid"),
    NC_("label", "passed"),
    NC_("label", "peer"),
    NC_("label", "peers"),
    NC_("label", "pem"),
    NC_("label", "phone"),
    NC_("label", "place"),
    NC_("label", "present"),
    NC_("label", "probation_opinion"),
    NC_("label", "probation_until"),
    NC_("label", "problem"),
    NC_("label", "quarantined"),
    NC_("label", "rate_percent"),
    NC_("label", "reason"),
    NC_("label", "receipt"),
    NC_("label", "receipts"),
    NC_("label", "registered_out"),
    NC_("label", "reminders"),
    NC_("label", "removed"),
    NC_("label", "request"),
    NC_("label", "requests"),
    NC_("label", "resolved"),
    NC_("label", "resolved_by"),
    NC_("label", "result"),
    NC_("label", "resumed_after"),
    NC_("label", "resync"),
    NC_("label", "returned"),
    NC_("label", "reviews"),
    NC_("label", "revoke_reason"),
    NC_("label", "revoked"),
    NC_("label", "rows"),
    NC_("label", "seq"),
    NC_("label", "sex"),
    NC_("label", "since"),
    NC_("label", "site"),
    NC_("label", "site_id"),
    NC_("label", "state"),
    NC_("label", "status"),
    NC_("label", "stay_ended"),
    NC_("label", "suggested_branch"),
    NC_("label", "summary"),
    NC_("label", "temp_branch"),
    NC_("label", "temporary"),
    NC_("label", "text"),
    NC_("label", "their_head_seq"),
    NC_("label", "time"),
    NC_("label", "to"),
    NC_("label", "token"),
    NC_("label", "topic"),
    NC_("label", "trail"),
    NC_("label", "transfer"),
    NC_("label", "uid"),
    NC_("label", "unanswered"),
    NC_("label", "until"),
    NC_("label", "valid"),
    NC_("label", "valid_until"),
    NC_("label", "visits"),
    NC_("label", "voluntary"),
    NC_("label", "voting"),
};

/* What the records printed are (output_subject: its first LEN bytes), or NULL. */
static const char *subject;
static size_t subject_len;

void output_subject(const char *words)
{
	subject = words;
	subject_len = words ? strcspn(words, " ") : 0;
}

/* KEY's translation (i18n_label), if it is one of label_keys; else NULL. */
static const char *label_known(const char *key)
{
	for (size_t i = 0; i < sizeof(label_keys) / sizeof(label_keys[0]); i++)
		if (strcmp(label_keys[i], key) == 0)
			return i18n_label(key);
	return NULL;
}

/* The label of KEY for people: its translation as the subject's ("SUBJECT.KEY"), else as any
 * record's (i18n_label); else the key, "_fen" dropped. */
static const char *label(const char *key, char *buf, size_t len)
{
	const char *l = NULL;
	if (subject && (size_t)snprintf(buf, len, "%.*s.%s", (int)subject_len, subject, key) < len)
		l = label_known(buf);
	if (l || (l = label_known(key)))
		return l;
	size_t n = strlen(key);
	if (n > 4 && strcmp(key + n - 4, "_fen") == 0)
		n -= 4;
	snprintf(buf, len, "%.*s", (int)n, key);
	return buf;
}

/*
 * The fields whose value is an enum's word, and the enums it may be one of: shown in Chinese
 * (its usual word, enums.h) where the user reads Chinese. --json keeps the English word.
 */
static const struct {
	const char *key;
	const struct ld_enum *e[8];
} enum_fields[] = {
    {"sex", {&enum_sex}},
    {"state", {&enum_location, &enum_peer_state}},
    {"dues_category", {&enum_dues_category}},
    {"category", {&enum_dues_category}},
    {"kind",
     {&enum_member_kind, &enum_meeting_kind, &enum_feedback_kind, &enum_request_kind,
      &enum_notice_kind, &enum_visit_kind, &enum_reminder_kind}},
    {"reason", {&enum_outflow_reason}},
    {"revoke_reason", {&enum_revoke_reason}},
    {"outcome", {&enum_lapse_outcome}},
    {"result", {&enum_probation_result}},
    {"status", {&enum_request_status}},
    {"action", {&enum_request_action}},
};

/* VALUE of field KEY as the user reads it: an enum's word in Chinese, else VALUE. */
static const char *enum_text(const char *key, const char *value)
{
	/* The CLI's language is set once, at its start: asked once, not for every cell. */
	static int chinese = -1;
	if (chinese < 0) {
		const char *lang = i18n_client_lang();
		chinese = lang && strncmp(lang, "zh", 2) == 0;
	}
	if (!chinese)
		return value;
	for (size_t i = 0; i < sizeof(enum_fields) / sizeof(enum_fields[0]); i++) {
		if (strcmp(enum_fields[i].key, key) != 0)
			continue;
		for (size_t k = 0; k < 8 && enum_fields[i].e[k]; k++) {
			const char *zh = enum_zh(enum_fields[i].e[k], value);
			if (zh)
				return zh;
		}
	}
	/* An event's kind (history, an answer's "kind": member.registered, ...): its name for
	 * people, as the daemon's summaries give it. */
	const char *t =
	    strcmp(key, "kind") == 0 && strchr(value, '.') ? i18n_context("event", value) : NULL;
	return t ? t : value;
}

static bool is_fen(const char *key)
{
	size_t n = strlen(key);
	return n > 4 && strcmp(key + n - 4, "_fen") == 0;
}

/* A scalar as text for people into BUF. */
static const char *scalar_text(const char *key, json_t *v, char *buf, size_t len)
{
	switch (json_typeof(v)) {
	case JSON_STRING:
		/* An empty text (no phone given) is shown as a field with no value is: "-". */
		if (!json_string_value(v)[0])
			return "-";
		return enum_text(key, json_string_value(v));
	case JSON_INTEGER:
		if (is_fen(key)) {
			char m[LD_MONEY_LEN];
			snprintf(buf, len, "%s", money_format(json_integer_value(v), m));
		} else {
			snprintf(buf, len, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		}
		return buf;
	case JSON_REAL:
		snprintf(buf, len, "%g", json_real_value(v));
		return buf;
	case JSON_TRUE:
		return _("yes");
	case JSON_FALSE:
		return _("no");
	case JSON_NULL:
		return "-";
	case JSON_ARRAY: {
		/* Months (one per month, in order) as the range they make: 2026-03..2026-05. */
		if (strcmp(key, "months") == 0 && json_array_size(v) > 1 &&
		    json_is_string(json_array_get(v, 0))) {
			snprintf(buf, len, "%s..%s", json_string_value(json_array_get(v, 0)),
				 json_string_value(json_array_get(v, json_array_size(v) - 1)));
			return buf;
		}
		/* Scalars, or objects (a notice's addressees): joined with commas. */
		size_t used = 0;
		buf[0] = '\0';
		for (size_t i = 0; i < json_array_size(v) && used < len; i++) {
			char item[256];
			const char *t = scalar_text(key, json_array_get(v, i), item, sizeof(item));
			used += (size_t)snprintf(buf + used, len - used, "%s%s", i ? ", " : "", t);
		}
		return buf;
	}
	case JSON_OBJECT: {
		/* An object in a list: its first field (who: a notice's addressee), then its other
		 * fields that have a value, in parentheses (his answer, the reason, the date). */
		const char *field;
		json_t *f;
		size_t used = 0, shown = 0;
		buf[0] = '\0';
		json_object_foreach(v, field, f)
		{
			if (used >= len)
				break;
			if (json_is_null(f) || json_is_array(f) || json_is_object(f))
				continue;
			char item[256];
			const char *t = scalar_text(field, f, item, sizeof(item));
			const char *sep = shown == 0 ? "" : shown == 1 ? " (" : ", ";
			used += (size_t)snprintf(buf + used, len - used, "%s%s", sep, t);
			shown++;
		}
		if (shown > 1 && used < len)
			snprintf(buf + used, len - used, ")");
		return buf;
	}
	default:
		return "...";
	}
}

static void pad(FILE *out, size_t n)
{
	static const char spaces[] =
	    "                                                                ";
	for (size_t k; n; n -= k) {
		k = n < sizeof(spaces) - 1 ? n : sizeof(spaces) - 1;
		fwrite(spaces, 1, k, out);
	}
}

static bool is_table(json_t *v)
{
	return json_is_array(v) &&
	       (json_array_size(v) == 0 || json_is_object(json_array_get(v, 0)));
}

/* The columns a table may take when the output is no terminal (term_columns), and the narrowest
 * a column is made to fit them. */
#define TABLE_COLUMNS	100
#define TABLE_MIN_WIDTH 8
/* A word this wide or wider (a token) may be cut wherever the line ends; a shorter one is cut
 * only when the table cannot fit otherwise (table_fit), an id or a time never. */
#define TABLE_WORD_MAX 26

/* The columns tables and records are fitted to, asked once. */
static size_t out_columns(void)
{
	static size_t cols;
	if (!cols)
		cols = term_columns(TABLE_COLUMNS);
	return cols;
}

/* Keys left out of tables for people (output_hide); they stay in --json. */
static const char *hidden_keys;

void output_hide(const char *keys)
{
	hidden_keys = keys;
}

static bool hidden(const char *key)
{
	size_t n = strlen(key);
	for (const char *p = hidden_keys; p && *p;) {
		const char *end = strchr(p, ',');
		size_t m = end ? (size_t)(end - p) : strlen(p);
		if (m == n && strncmp(p, key, n) == 0)
			return true;
		p = end ? end + 1 : p + m;
	}
	return false;
}

struct output_table {
	char **keys;	 /* the first row's keys, copied */
	size_t *widths;	 /* as printed: the widest cell, cut so that the table fits */
	size_t *natural; /* the widest cell seen */
	size_t *least;	 /* the label's width, the least a column is cut to */
	size_t *word;	 /* its longest word (at most TABLE_WORD_MAX) */
	size_t *code;	 /* its longest id, time or code (table_words); 0 if a token */
	size_t ncol;
	size_t rows; /* printed */
};

struct output_table *output_table_new(void)
{
	return calloc(1, sizeof(struct output_table));
}

/* Take the columns from ROW, the first: its keys, each as wide as its label. 0 or -1. */
static int table_columns(struct output_table *t, json_t *row)
{
	size_t ncol = json_object_size(row);
	t->keys = calloc(ncol ? ncol : 1, sizeof(*t->keys));
	t->widths = calloc(ncol ? ncol : 1, sizeof(*t->widths));
	t->natural = calloc(ncol ? ncol : 1, sizeof(*t->natural));
	t->least = calloc(ncol ? ncol : 1, sizeof(*t->least));
	t->word = calloc(ncol ? ncol : 1, sizeof(*t->word));
	t->code = calloc(ncol ? ncol : 1, sizeof(*t->code));
	if (!t->keys || !t->widths || !t->natural || !t->least || !t->word || !t->code)
		return -1;
	const char *key;
	json_t *v;
	char lbuf[64];
	json_object_foreach(row, key, v)
	{
		if (hidden(key))
			continue;
		t->keys[t->ncol] = strdup(key);
		if (!t->keys[t->ncol])
			return -1;
		t->natural[t->ncol] = output_width(label(key, lbuf, sizeof(lbuf)));
		t->least[t->ncol] =
		    t->natural[t->ncol] > TABLE_MIN_WIDTH ? t->natural[t->ncol] : TABLE_MIN_WIDTH;
		t->ncol++;
	}
	return 0;
}

/* The columns are fitted to the width of a terminal, not to TABLE_COLUMNS for a file or a pipe. */
static bool out_terminal(void)
{
	static int terminal = -1;
	if (terminal < 0)
		terminal = term_columns(0) != 0;
	return terminal;
}

/*
 * Cut the widest columns, a column at a time, until the table fits out_columns() or cannot. Each
 * pass lowers the floor some columns are cut to, the least (their label) at the end:
 *   0. every column down to its longest word: a cell of words wraps between them;
 *   1. the columns of several words (free text, wrapped anyway) down to their least;
 *   2. any column down to its longest id, time or code (a name, an enum's word give way; a token
 *      of TABLE_WORD_MAX or more, to its least);
 *   3. on a terminal only, the widest column down to its least, then the next: the terminal would
 *      break the line anyway.
 * Piped or in a file, a column is never cut below an id, a time or a code shorter than
 * TABLE_WORD_MAX (split, it can neither be read nor copied): the table is wider than the line.
 */
static void table_fit(struct output_table *t)
{
	size_t total = t->ncol ? 2 * (t->ncol - 1) : 0, columns = out_columns();
	for (size_t c = 0; c < t->ncol; c++) {
		t->widths[c] = t->natural[c];
		total += t->widths[c];
	}
	int passes = out_terminal() ? 4 : 3;
	for (int pass = 0; pass < passes; pass++) {
		while (total > columns) {
			size_t widest = t->ncol;
			for (size_t c = 0; c < t->ncol; c++) {
				size_t floor = t->least[c];
				if (pass == 0 || (pass == 1 && t->natural[c] <= t->word[c]))
					floor = t->word[c];
				else if (pass == 2)
					floor = t->code[c];
				if (floor < t->least[c])
					floor = t->least[c];
				/* The last pass cuts one column as far as it goes (the widest
				 * first, a time usually) rather than split every id a little. */
				size_t *by = pass == 3 ? t->natural : t->widths;
				if (t->widths[c] > floor &&
				    (widest == t->ncol || by[c] > by[widest]))
					widest = c;
			}
			if (widest == t->ncol)
				break; /* every column at this pass's floor */
			t->widths[widest]--;
			total--;
		}
	}
}

/* C may stand in an id, a time or a code, and not in a name or a word of text. */
static bool code_char(uint32_t c)
{
	return (c >= '0' && c <= '9') || (c && strchr(".:_*/+@#", (int)c));
}

/*
 * The widest word of S, in *word: a run wrap_part does not break (no space, no Chinese character
 * in it; a Chinese character is a word of its own); and in *code the widest of those with a digit
 * or one of .:_*\/+@# in it (an id, a time, a date, a masked identity number, an event kind such as
 * outflow.registered), 0 if that is TABLE_WORD_MAX or wider. Both at most TABLE_WORD_MAX.
 */
static void table_words(const char *s, size_t *word, size_t *code)
{
	size_t widest = 0, run = 0, widest_code = 0;
	bool is_code = false;
	for (bool more = true; more;) {
		uint32_t cp = *s ? utf8_next(&s) : 0;
		bool is_wide = wide(cp);
		more = cp != 0;
		if (cp == ' ' || is_wide || !more) {
			if (is_code && run > widest_code)
				widest_code = run;
			run = 0;
			is_code = false;
			if (is_wide && widest < 2)
				widest = 2;
			continue;
		}
		run++;
		is_code = is_code || code_char(cp);
		if (run > widest)
			widest = run;
	}
	*word = widest < TABLE_WORD_MAX ? widest : TABLE_WORD_MAX;
	*code = widest_code < TABLE_WORD_MAX ? widest_code : 0;
}

/* A line may not start with CP: a closing bracket or a punctuation mark (，。；) ends its word. */
static bool closes(uint32_t cp)
{
	static const uint32_t wide_marks[] = {0x3001, 0x3002, 0x300d, 0x300f, 0x3011, 0xff01,
					      0xff09, 0xff0c, 0xff1a, 0xff1b, 0xff1f};
	if (cp < 0x80)
		return cp && strchr(",.;:!?)]}", (int)cp);
	for (size_t i = 0; i < sizeof(wide_marks) / sizeof(wide_marks[0]); i++)
		if (cp == wide_marks[i])
			return true;
	return false;
}

/* A line may not end with CP: an opening bracket (（「) belongs to the word after it. */
static bool opens(uint32_t cp)
{
	return cp == '(' || cp == '[' || cp == '{' || cp == 0x300c || cp == 0x300e ||
	       cp == 0x3010 || cp == 0xff08;
}

/*
 * The part of S that fits W columns, cut where a line may break: at a space, or beside a Chinese
 * character (which needs no space to break), but not before a punctuation mark nor after an
 * opening bracket. Its length in *len, its display columns in *cols (spaces at its end left
 * out); returns where the rest starts (spaces at the cut skipped), or the end of S.
 */
static const char *wrap_part(const char *s, size_t w, size_t *len, size_t *cols)
{
	const char *p = s, *brk = NULL;
	size_t used = 0, brk_used = 0;
	bool prev_wide = false;
	uint32_t prev = 0;
	while (*p) {
		const char *q = p;
		uint32_t cp = utf8_next(&q);
		bool is_wide = wide(cp);
		size_t cw = is_wide ? 2 : 1;
		if (p > s &&
		    (*p == ' ' || ((is_wide || prev_wide) && !closes(cp) && !opens(prev)))) {
			brk = p;
			brk_used = used;
		}
		if (used + cw > w && p > s)
			break;
		used += cw;
		prev_wide = is_wide;
		prev = cp;
		p = q;
	}
	if (*p && brk) {
		p = brk;
		used = brk_used;
	}
	*len = (size_t)(p - s);
	while (*len > 1 && s[*len - 1] == ' ') {
		--*len;
		used--;
	}
	*cols = used;
	while (*p == ' ')
		p++;
	return p;
}

/* One row: each cell in its column, a long one on as many lines as it takes. */
static void table_row(FILE *out, struct output_table *t, const char *const *cells)
{
	const char *few[16], **rest = few;
	if (t->ncol > 16 && !(rest = calloc(t->ncol, sizeof(*rest))))
		return;
	for (size_t c = 0; c < t->ncol; c++)
		rest[c] = cells[c];
	for (bool more = true; more;) {
		more = false;
		size_t owed = 0; /* spaces not yet written: none after the line's last text */
		for (size_t c = 0; c < t->ncol; c++) {
			size_t len, cols;
			const char *next = wrap_part(rest[c], t->widths[c], &len, &cols);
			if (len) {
				pad(out, owed);
				owed = 0;
				fwrite(rest[c], 1, len, out);
			}
			if (len > 1023) { /* as wide as its first 1023 bytes, as it always was */
				char part[1024];
				snprintf(part, sizeof(part), "%.*s", 1023, rest[c]);
				cols = output_width(part);
			}
			owed += t->widths[c] - cols + 2;
			rest[c] = next;
			more = more || *next;
		}
		fputc('\n', out);
	}
	if (rest != few)
		free(rest);
}

void output_table_rows(FILE *out, struct output_table *t, json_t *rows)
{
	if (!t || json_array_size(rows) == 0)
		return;
	bool first = !t->keys;
	if (first && table_columns(t, json_array_get(rows, 0)) != 0)
		return;
	char lbuf[64], vbuf[1024];
	for (size_t r = 0; r < json_array_size(rows); r++) {
		json_t *row = json_array_get(rows, r);
		for (size_t c = 0; c < t->ncol; c++) {
			json_t *cell = json_object_get(row, t->keys[c]);
			const char *text =
			    cell ? scalar_text(t->keys[c], cell, vbuf, sizeof(vbuf)) : "-";
			size_t w = output_width(text), word, code;
			table_words(text, &word, &code);
			if (w > t->natural[c])
				t->natural[c] = w;
			if (word > t->word[c])
				t->word[c] = word;
			if (code > t->code[c])
				t->code[c] = code;
		}
	}
	table_fit(t);
	const char **cells = calloc(t->ncol ? t->ncol : 1, sizeof(*cells));
	char(*bufs)[1024] = calloc(t->ncol ? t->ncol : 1, sizeof(*bufs));
	if (!cells || !bufs)
		goto out;
	if (first) {
		for (size_t c = 0; c < t->ncol; c++) {
			snprintf(bufs[c], sizeof(bufs[c]), "%s",
				 label(t->keys[c], lbuf, sizeof(lbuf)));
			cells[c] = bufs[c];
		}
		table_row(out, t, cells);
	}
	for (size_t r = 0; r < json_array_size(rows); r++) {
		json_t *row = json_array_get(rows, r);
		for (size_t c = 0; c < t->ncol; c++) {
			json_t *cell = json_object_get(row, t->keys[c]);
			const char *text =
			    cell ? scalar_text(t->keys[c], cell, bufs[c], sizeof(bufs[c])) : "-";
			/* Borrowed (the row's, a static word, bufs[c]); one too long for bufs[c] is
			 * cut to it, as when every cell was copied there. */
			if (text != bufs[c] && strlen(text) >= sizeof(bufs[c])) {
				memcpy(bufs[c], text, sizeof(bufs[c]) - 1);
				bufs[c][sizeof(bufs[c]) - 1] = '\0';
				text = bufs[c];
			}
			cells[c] = text;
		}
		table_row(out, t, cells);
	}
	t->rows += json_array_size(rows);
out:
	free(cells);
	free(bufs);
}

void output_heading(FILE *out, const char *key)
{
	char lbuf[64];
	fprintf(out, _("%s:\n"), label(key, lbuf, sizeof(lbuf)));
}

void output_table_end(FILE *out, struct output_table *t)
{
	if (out && (!t || t->rows == 0))
		fprintf(out, "%s\n", _("(none)"));
	if (!t)
		return;
	for (size_t c = 0; c < t->ncol; c++)
		free(t->keys[c]);
	free(t->keys);
	free(t->widths);
	free(t->natural);
	free(t->least);
	free(t->word);
	free(t->code);
	free(t);
}

static void print_table(FILE *out, json_t *rows)
{
	struct output_table *t = output_table_new();
	output_table_rows(out, t, rows);
	output_table_end(out, t);
}

void output_scalars(FILE *out, json_t *obj, const char *skip)
{
	const char *key;
	json_t *v;
	size_t width = 0;
	char lbuf[64], vbuf[1024];
	json_object_foreach(obj, key, v)
	{
		if (!is_table(v) && !json_is_object(v) && !(skip && strcmp(key, skip) == 0)) {
			size_t w = output_width(label(key, lbuf, sizeof(lbuf)));
			if (w > width)
				width = w;
		}
	}
	json_object_foreach(obj, key, v)
	{
		if (is_table(v) || json_is_object(v) || (skip && strcmp(key, skip) == 0))
			continue;
		const char *l = label(key, lbuf, sizeof(lbuf));
		fputs(l, out);
		pad(out, width - output_width(l) + 2);
		/* A long value goes on in its column, so that the record fits out_columns() too. */
		size_t columns = out_columns();
		size_t room = columns > width + 2 + 20 ? columns - width - 2 : 20;
		const char *rest = scalar_text(key, v, vbuf, sizeof(vbuf));
		for (bool first = true; first || *rest; first = false) {
			size_t len, cols;
			const char *next = wrap_part(rest, room, &len, &cols);
			if (!first)
				pad(out, width + 2);
			fwrite(rest, 1, len, out);
			fputc('\n', out);
			rest = next;
		}
	}
}

void output_records(FILE *out, json_t *rows)
{
	size_t i;
	json_t *row;
	if (json_array_size(rows) == 0)
		fprintf(out, "%s\n", _("(none)"));
	json_array_foreach(rows, i, row)
	{
		if (i)
			fputc('\n', out);
		output_scalars(out, row, NULL);
	}
}

bool output_has_table(json_t *obj)
{
	const char *key;
	json_t *v;
	json_object_foreach(obj, key, v)
	{
		if ((is_table(v) && json_array_size(v) > 0) ||
		    (json_is_object(v) && output_has_table(v)))
			return true;
	}
	return false;
}

void output_print(FILE *out, json_t *obj, bool json)
{
	if (json) {
		char *s = json_dumps(obj, JSON_COMPACT);
		if (s) {
			fputs(s, out);
			fputc('\n', out);
			free(s);
		}
		return;
	}
	output_scalars(out, obj, NULL);
	const char *key;
	json_t *v;
	char lbuf[64];
	json_object_foreach(obj, key, v)
	{
		if (is_table(v)) {
			if (json_object_size(obj) > 1)
				fprintf(out, _("%s:\n"), label(key, lbuf, sizeof(lbuf)));
			print_table(out, v);
		} else if (json_is_object(v)) {
			fprintf(out, _("%s:\n"), label(key, lbuf, sizeof(lbuf)));
			/* Its fields are the object's: labelled as KEY's. */
			const char *was = subject;
			size_t was_len = subject_len;
			output_subject(key);
			output_print(out, v, false);
			subject = was;
			subject_len = was_len;
		}
	}
}
