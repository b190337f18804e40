/*
 * output.c: see output.h.
 */
#include "output.h"

#include <inttypes.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "money.h"

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

bool output_chinese(void)
{
	const char *vars[] = {"LC_ALL", "LC_MESSAGES", "LANG"};
	for (size_t i = 0; i < 3; i++) {
		const char *v = getenv(vars[i]);
		if (v && v[0])
			return strncmp(v, "zh_CN", 5) == 0;
	}
	return false;
}

static const struct {
	const char *key, *zh;
} labels[] = {
    {"id", "身份证号"},
    {"name", "姓名"},
    {"sex", "性别"},
    {"birth", "出生日期"},
    {"birth_year", "出生年份"},
    {"joined", "入党日期"},
    {"kind", "党员类别"},
    {"branch", "所在支部"},
    {"state", "状态"},
    {"outflow_site", "流出地"},
    {"inflow_site", "流入地"},
    {"place", "流入地点"},
    {"certificate", "活动证"},
    {"monthly_dues_fen", "月党费"},
    {"dues_category", "缴费类别"},
    {"phone", "电话"},
    {"reason", "外出原因"},
    {"from", "外出日期"},
    {"until", "预计返回"},
    {"fixed_place", "固定处所"},
    {"employer", "工作单位"},
    {"site_id", "站点标识"},
    {"code", "代码"},
    {"log_id", "日志标识"},
    {"head_seq", "日志序号"},
    {"listen", "监听地址"},
    {"address", "地址"},
    {"origin", "来源"},
    {"seq", "序号"},
    {"date", "日期"},
    {"summary", "摘要"},
    {"time", "时间"},
    {"operator", "操作员"},
    {"action", "操作"},
    {"member", "党员"},
    {"detail", "详情"},
    {"temporary", "临时支部"},
    {"ok", "完好"},
    {"entries", "条目"},
    {"first_bad", "首个损坏"},
    {"problem", "问题"},
};

/* The label of KEY: Chinese if asked and known; else the key, "_fen" dropped. */
static const char *label(const char *key, char *buf, size_t len)
{
	if (output_chinese()) {
		for (size_t i = 0; i < sizeof(labels) / sizeof(labels[0]); i++) {
			if (strcmp(labels[i].key, key) == 0)
				return labels[i].zh;
		}
	}
	size_t n = strlen(key);
	if (n > 4 && strcmp(key + n - 4, "_fen") == 0)
		n -= 4;
	snprintf(buf, len, "%.*s", (int)n, key);
	return buf;
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
		return json_string_value(v);
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
		return output_chinese() ? "是" : "yes";
	case JSON_FALSE:
		return output_chinese() ? "否" : "no";
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
		/* An array of scalars: joined with commas. */
		size_t used = 0;
		buf[0] = '\0';
		for (size_t i = 0; i < json_array_size(v) && used < len; i++) {
			char item[128];
			const char *t = scalar_text(key, json_array_get(v, i), item, sizeof(item));
			used += (size_t)snprintf(buf + used, len - used, "%s%s", i ? ", " : "", t);
		}
		return buf;
	}
	default:
		return "...";
	}
}

static void pad(FILE *out, size_t n)
{
	while (n--)
		fputc(' ', out);
}

static bool is_table(json_t *v)
{
	return json_is_array(v) &&
	       (json_array_size(v) == 0 || json_is_object(json_array_get(v, 0)));
}

/* The columns a table may take, and the narrowest a column is made to fit them. */
#define TABLE_COLUMNS	100
#define TABLE_MIN_WIDTH 8

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
	if (!t->keys || !t->widths || !t->natural || !t->least)
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

/* Cut the widest columns, a column at a time, until the table fits TABLE_COLUMNS or cannot. */
static void table_fit(struct output_table *t)
{
	size_t total = t->ncol ? 2 * (t->ncol - 1) : 0;
	for (size_t c = 0; c < t->ncol; c++) {
		t->widths[c] = t->natural[c];
		total += t->widths[c];
	}
	while (total > TABLE_COLUMNS) {
		size_t widest = t->ncol;
		for (size_t c = 0; c < t->ncol; c++) {
			if (t->widths[c] > t->least[c] &&
			    (widest == t->ncol || t->widths[c] > t->widths[widest]))
				widest = c;
		}
		if (widest == t->ncol)
			break; /* every column at its least: it is as narrow as it gets */
		t->widths[widest]--;
		total--;
	}
}

/*
 * The part of S that fits W columns, cut where a line may break: at a space, or beside a Chinese
 * character (which needs no space to break). Its length in *len; returns where the rest starts
 * (spaces at the cut skipped), or the end of S.
 */
static const char *wrap_part(const char *s, size_t w, size_t *len)
{
	const char *p = s, *brk = NULL;
	size_t used = 0;
	bool prev_wide = false;
	while (*p) {
		const char *q = p;
		bool is_wide = wide(utf8_next(&q));
		size_t cw = is_wide ? 2 : 1;
		if (p > s && (*p == ' ' || is_wide || prev_wide))
			brk = p;
		if (used + cw > w && p > s)
			break;
		used += cw;
		prev_wide = is_wide;
		p = q;
	}
	if (*p && brk)
		p = brk;
	*len = (size_t)(p - s);
	while (*p == ' ')
		p++;
	return p;
}

/* One row: each cell in its column, a long one on as many lines as it takes. */
static void table_row(FILE *out, struct output_table *t, const char *const *cells)
{
	const char **rest = calloc(t->ncol ? t->ncol : 1, sizeof(*rest));
	if (!rest)
		return;
	for (size_t c = 0; c < t->ncol; c++)
		rest[c] = cells[c];
	for (bool more = true; more;) {
		more = false;
		size_t owed = 0; /* spaces not yet written: none after the line's last text */
		for (size_t c = 0; c < t->ncol; c++) {
			size_t len;
			const char *next = wrap_part(rest[c], t->widths[c], &len);
			if (len) {
				pad(out, owed);
				owed = 0;
				fwrite(rest[c], 1, len, out);
			}
			char part[1024];
			snprintf(part, sizeof(part), "%.*s", (int)(len < 1023 ? len : 1023),
				 rest[c]);
			owed += t->widths[c] - output_width(part) + 2;
			rest[c] = next;
			more = more || *next;
		}
		fputc('\n', out);
	}
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
			size_t w =
			    cell ? output_width(scalar_text(t->keys[c], cell, vbuf, sizeof(vbuf)))
				 : 1;
			if (w > t->natural[c])
				t->natural[c] = w;
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
			if (text != bufs[c])
				snprintf(bufs[c], sizeof(bufs[c]), "%s", text);
			cells[c] = bufs[c];
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
	fprintf(out, "%s:\n", label(key, lbuf, sizeof(lbuf)));
}

void output_table_end(FILE *out, struct output_table *t)
{
	if (out && (!t || t->rows == 0))
		fputs(output_chinese() ? "（无）\n" : "(none)\n", out);
	if (!t)
		return;
	for (size_t c = 0; c < t->ncol; c++)
		free(t->keys[c]);
	free(t->keys);
	free(t->widths);
	free(t->natural);
	free(t->least);
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
		fputs(scalar_text(key, v, vbuf, sizeof(vbuf)), out);
		fputc('\n', out);
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
				fprintf(out, "%s:\n", label(key, lbuf, sizeof(lbuf)));
			print_table(out, v);
		} else if (json_is_object(v)) {
			fprintf(out, "%s:\n", label(key, lbuf, sizeof(lbuf)));
			output_print(out, v, false);
		}
	}
}
