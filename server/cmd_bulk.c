/*
 * cmd_bulk.c: registers in and out: `export` (one page of rows per request; the CLI asks for the
 * next page until there is none, and writes CSV or JSON) and `import members` (a whole register
 * file in one request and one transaction: every row is checked as `member add` and `outflow
 * register` check it, and if any row is bad nothing is written and every bad row is named).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "cert.h"
#include "commands.h"
#include "csv.h"
#include "daemon.h"
#include "date.h"
#include "domain.h"
#include "eventlog.h"
#include "fold.h"
#include "idno.h"
#include "input.h"
#include "money.h"
#include "register.h"
#include "sites.h"
#include "utf8.h"
#include "view.h"
#include "lderr.h"

#define PAGE_DEFAULT   2000
#define PAGE_MAX       20000
#define BAD_ROWS_SHOWN 1000

/* The register columns of CLI.md, in order; export adds the rest after them. */
static const char *const register_columns[] = {
    "id",    "name", "sex",   "birth",	"joined", "kind",  "branch",	  "dues_category", "income",
    "phone", "to",   "place", "reason", "from",	  "until", "fixed_place", "employer",	   NULL,
};
static const char *const extra_columns[] = {"state", "inflow", "certificate", "dues", NULL};

static json_t *money_or_empty(int64_t fen)
{
	char buf[LD_MONEY_LEN];
	return json_string(fen < 0 ? "" : money_format(fen, buf));
}

static json_t *date_or_empty(int32_t days)
{
	char buf[LD_DATE_LEN];
	return json_string(days == LD_DATE_NONE ? "" : date_format(days, buf));
}

/* One register row of ST: every value a string, as the CSV will hold it. */
static json_t *member_export_row(const Ld__MemberState *st)
{
	const Ld__MemberInfo *m = st->info;
	const Ld__OutflowInfo *of = st->outflow;
	bool away = member_stay_active(st);
	json_t *o = json_object();
	json_object_set_new(o, "id", json_string(m->id));
	json_object_set_new(o, "name", json_string(m->name));
	json_object_set_new(o, "sex", json_string(m->sex));
	json_object_set_new(o, "birth", date_or_empty(m->birth));
	json_object_set_new(o, "joined", date_or_empty(m->joined));
	json_object_set_new(o, "kind", json_string(m->kind));
	json_object_set_new(o, "branch", json_string(m->branch));
	json_object_set_new(o, "dues_category", json_string(m->dues_category));
	json_object_set_new(o, "income", money_or_empty(m->income_fen));
	json_object_set_new(o, "phone", json_string(m->phone));
	json_object_set_new(o, "to", json_string(away ? of->inflow_name : ""));
	json_object_set_new(o, "place", json_string(away ? of->place : ""));
	json_object_set_new(o, "reason", json_string(away ? of->reason : ""));
	json_object_set_new(o, "from", away ? date_or_empty(of->from) : json_string(""));
	json_object_set_new(o, "until", away ? date_or_empty(of->until) : json_string(""));
	json_object_set_new(o, "fixed_place",
			    json_string(away ? (of->fixed_place ? "yes" : "no") : ""));
	json_object_set_new(o, "employer", json_string(away ? of->employer : ""));
	json_object_set_new(o, "state", json_string(location_name(member_location(st))));
	json_object_set_new(o, "inflow", json_string(of ? of->inflow_name : ""));
	json_object_set_new(o, "certificate", json_string(st->certificate));
	json_object_set_new(o, "dues", money_or_empty(m->set_dues_fen));
	return o;
}

static json_t *cert_export_row(struct request *rq, const Ld__CertState *c)
{
	Ld__CertificateBody *b =
	    ld__certificate_body__unpack(NULL, c->signed_->body.len, c->signed_->body.data);
	if (!b)
		return NULL;
	char masked[LD_IDNO_SIZE];
	json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:o, s:o, s:s, s:s, s:s}", "number", c->number,
			      "member", idno_mask(b->member, masked), "name", b->name, "status",
			      c->revoked			   ? "revoked"
			      : cert_valid_until(c) < date_today() ? "expired"
								   : "active",
			      "issued", date_or_empty(b->issued), "valid_until",
			      date_or_empty(cert_valid_until(c)), "issuer", b->issuer_name,
			      "inflow_site", b->inflow_name, "place", b->place);
	ld__certificate_body__free_unpacked(b, NULL);
	return o;
}

static json_t *receipt_export_row(struct request *rq, struct store_txn *txn, const Ld__Receipt *r)
{
	char masked[LD_IDNO_SIZE], f[LD_MONTH_LEN], t[LD_MONTH_LEN], a[LD_MONEY_LEN],
	    b[LD_MONEY_LEN];
	return json_pack(
	    "{s:s, s:s, s:o, s:s, s:s, s:s, s:s, s:o, s:s, s:s}", "receipt", r->paid->receipt,
	    "member", idno_mask(r->member, masked), "site",
	    site_name_json(rq, txn, r->site.data, r->site.len), "from",
	    month_format(r->paid->from_month, f), "to", month_format(r->paid->to_month, t),
	    "amount", money_format(r->paid->amount_fen, a), "basis",
	    money_format(r->paid->basis_fen, b), "date", date_or_empty(r->date), "status",
	    r->refunded ? "refunded" : "paid", "collector", r->paid->collector);
}

/* Attendance rows of one member, from his history. */
static void attendance_rows(struct store_txn *txn, const Ld__MemberState *st, json_t *rows)
{
	char masked[LD_IDNO_SIZE];
	idno_mask(st->info->id, masked);
	for (size_t i = 0; i < st->n_history; i++) {
		Ld__Event *ev;
		if (eventlog_read(txn, st->history[i], NULL, &ev) != 0)
			continue;
		if (ev->kind == LD__EVENT_KIND__ATTENDANCE && ev->attendance &&
		    ev->attendance->meeting) {
			const Ld__Meeting *m = ev->attendance->meeting;
			json_array_append_new(
			    rows, json_pack("{s:s, s:o, s:s, s:s, s:s, s:s, s:s, s:s, s:s}",
					    "meeting", m->id, "date", date_or_empty(m->date),
					    "branch", m->branch, "kind", m->kind, "topic", m->topic,
					    "member", masked, "name", st->info->name, "present",
					    ev->attendance->present ? "yes" : "no", "reason",
					    ev->attendance->reason));
		}
		ld__event__free_unpacked(ev, NULL);
	}
}

int cmd_export(struct request *rq, struct store_txn *txn)
{
	const char *what = request_arg(rq, 0);
	const char *after = request_param(rq, "after");
	const char *limit_text = request_param(rq, "limit");
	enum store_table table;
	if (!what)
		return request_fail(rq, LD_EUSAGE,
				    "usage: liudong export members|certs|dues|attendance");
	if (strcmp(what, "members") == 0 || strcmp(what, "attendance") == 0)
		table = TBL_MEMBERS;
	else if (strcmp(what, "certs") == 0)
		table = TBL_CERTS;
	else if (strcmp(what, "dues") == 0)
		table = TBL_RECEIPTS;
	else
		return request_fail(rq, LD_EINPUT,
				    "cannot export '%s'; choose members, certs, dues or "
				    "attendance",
				    what);
	long limit = PAGE_DEFAULT;
	int rc0;
	if (limit_text) {
		char *end;
		limit = strtol(limit_text, &end, 10);
		if (!limit_text[0] || *end || limit < 1 || limit > PAGE_MAX)
			return request_fail(rq, LD_EINPUT, "--limit must be 1 to %d", PAGE_MAX);
	}
	if (request_flag(rq, "reveal") && table == TBL_MEMBERS && what[0] == 'm' &&
	    (rc0 = audit_append(txn, request_operator(rq), rq->uid, "export.members", NULL,
				"full identity numbers")))
		return rc0;
	json_t *rows = json_array();
	json_object_set_new(rq->result, "rows", rows);
	struct store_cursor *c;
	int rc = store_cursor_open(txn, table, &c);
	if (rc)
		return rc;
	struct store_val k = {.data = after, .len = after ? strlen(after) : 0}, v;
	rc = after && after[0] ? store_cursor_get(c, STORE_SET_RANGE, &k, &v)
			       : store_cursor_get(c, STORE_FIRST, &k, &v);
	/* SET_RANGE lands on AFTER itself, which the last page held: step past it. */
	if (rc == 0 && after && k.len == strlen(after) && memcmp(k.data, after, k.len) == 0)
		rc = store_cursor_get(c, STORE_NEXT, &k, &v);
	char last[128] = "";
	long n = 0;
	for (; rc == 0 && n < limit; rc = store_cursor_get(c, STORE_NEXT, &k, &v), n++) {
		snprintf(last, sizeof(last), "%.*s", (int)k.len, (const char *)k.data);
		if (table == TBL_MEMBERS) {
			Ld__MemberState *st = ld__member_state__unpack(NULL, v.len, v.data);
			if (st && st->info) {
				if (what[0] == 'm')
					json_array_append_new(rows, member_export_row(st));
				else
					attendance_rows(txn, st, rows);
			}
			if (st)
				ld__member_state__free_unpacked(st, NULL);
		} else if (table == TBL_CERTS) {
			Ld__CertState *cs = ld__cert_state__unpack(NULL, v.len, v.data);
			json_t *row = cs ? cert_export_row(rq, cs) : NULL;
			if (row)
				json_array_append_new(rows, row);
			if (cs)
				ld__cert_state__free_unpacked(cs, NULL);
		} else {
			Ld__Receipt *r = ld__receipt__unpack(NULL, v.len, v.data);
			if (r && r->paid)
				json_array_append_new(rows, receipt_export_row(rq, txn, r));
			if (r)
				ld__receipt__free_unpacked(r, NULL);
		}
	}
	store_cursor_close(c);
	if (rc && rc != LD_ENOTFOUND)
		return rc;
	json_object_set_new(rq->result, "next", rc == 0 ? json_string(last) : json_null());
	return 0;
}

/* ---------------------------------------------------------------------------------------------- */
/* Import                                                                                         */

struct row {
	char **values;
	size_t n;
	const int *index; /* column of each key in key_names, or -1 */
};

static const char *const key_names[] = {
    "id",	"name",	 "sex", "birth", "joined", "kind", "branch", "dues-category",
    "income",	"phone", "to",	"place", "reason", "from", "until",  "fixed-place",
    "employer", "dues",	 NULL};

static const char *row_field(const struct fields *f, const char *key)
{
	const struct row *r = f->ctx;
	for (int i = 0; key_names[i]; i++) {
		if (strcmp(key_names[i], key) != 0)
			continue;
		int col = r->index[i];
		if (col < 0 || (size_t)col >= r->n || !r->values[col][0])
			return NULL;
		return r->values[col];
	}
	return NULL;
}

/* The column name of a key: dashes become underscores. */
static void column_of(const char *key, char *out, size_t len)
{
	snprintf(out, len, "%s", key);
	for (char *p = out; *p; p++)
		if (*p == '-')
			*p = '_';
}

/* Make S one line of UTF-8: if it is not, bytes outside printable ASCII become '?'. */
static void text_clean(char *s)
{
	if (utf8_valid(s, false))
		return;
	for (char *p = s; *p; p++)
		if ((unsigned char)*p >= 0x80 || (unsigned char)*p < 0x20)
			*p = '?';
}

int cmd_import(struct request *rq, struct store_txn *txn)
{
	const char *what = request_arg(rq, 0);
	const char *file = request_param(rq, "file");
	const char *csv = request_param(rq, "csv");
	if (!what || strcmp(what, "members") != 0)
		return request_fail(rq, LD_EUSAGE, "usage: liudong import members FILE");
	if (!csv)
		return request_fail(rq, LD_EUSAGE, "no file content was sent");
	if (!file)
		file = "the file";
	struct csv_reader reader;
	csv_reader_init(&reader, csv, strlen(csv));
	char **values;
	size_t n, line;
	int rc = csv_next(&reader, &values, &n, &line);
	if (rc) {
		csv_reader_free(&reader);
		return request_fail(rq, LD_EINPUT,
				    "%s is empty or not CSV: the first line must name "
				    "the columns (%s,...)",
				    file, register_columns[0]);
	}
	/* The header: every register column, any of the export's extra ones, nothing else. */
	int index[sizeof(key_names) / sizeof(key_names[0])];
	for (size_t k = 0; key_names[k]; k++) {
		char col[32];
		column_of(key_names[k], col, sizeof(col));
		index[k] = -1;
		for (size_t i = 0; i < n; i++)
			if (strcmp(values[i], col) == 0)
				index[k] = (int)i;
	}
	for (size_t i = 0; i < n && rc == 0; i++) {
		bool known = false;
		for (size_t k = 0; register_columns[k]; k++)
			known = known || strcmp(values[i], register_columns[k]) == 0;
		for (size_t k = 0; extra_columns[k]; k++)
			known = known || strcmp(values[i], extra_columns[k]) == 0;
		if (!known)
			rc = request_fail(
			    rq, LD_EINPUT,
			    "%s, line 1: unknown column '%s'; the columns "
			    "are id,name,sex,birth,joined,kind,branch,dues_category,"
			    "income,phone,to,place,reason,from,until,fixed_place,employer",
			    file, values[i]);
	}
	for (size_t k = 0; register_columns[k] && rc == 0; k++) {
		bool found = false;
		for (size_t i = 0; i < n; i++)
			found = found || strcmp(values[i], register_columns[k]) == 0;
		if (!found)
			rc = request_fail(rq, LD_EINPUT, "%s, line 1: the column '%s' is missing",
					  file, register_columns[k]);
	}
	if (rc) {
		csv_reader_free(&reader);
		return rc;
	}

	struct row row = {.index = index};
	struct fields f = {.get = row_field, .prefix = "", .ctx = &row};
	size_t imported = 0, out = 0, bad = 0;
	json_t *bad_lines = json_array();
	while ((rc = csv_next(&reader, &values, &n, &line)) == 0) {
		if (n == 1 && !values[0][0])
			continue; /* a blank line */
		/* What export wrote: the guard against formulas taken away, then trimmed as typed.
		 */
		for (size_t i = 0; i < n; i++) {
			const char *v = csv_cell_value(values[i]);
			memmove(values[i], v, strlen(v) + 1);
			input_trim(values[i]);
		}
		row.values = values;
		row.n = n;
		rq->error[0] = '\0';
		char idno[LD_IDNO_SIZE];
		int r = register_member(rq, txn, &f, idno, NULL);
		if (r == 0 && row_field(&f, "to")) {
			r = register_outflow(rq, txn, &f, idno, NULL);
			out += r == 0;
		}
		if (r == 0) {
			imported++;
			continue;
		}
		if (r != LD_EINPUT && r != LD_EUSAGE && r != LD_ENOTFOUND && r != LD_EEXIST &&
		    r != LD_EFORBIDDEN) {
			rc = r; /* the store failed, not the row */
			break;
		}
		/* The reason may quote the row's bytes: not UTF-8, it would be lost (fuzz_import)
		 */
		text_clean(rq->error);
		if (bad++ < BAD_ROWS_SHOWN)
			json_array_append_new(
			    bad_lines, json_pack("{s:I, s:s}", "line", (json_int_t)line, "reason",
						 rq->error[0] ? rq->error : "bad row"));
	}
	csv_reader_free(&reader);
	if (rc == LD_EINPUT) {
		json_decref(bad_lines);
		return request_fail(rq, LD_EINPUT,
				    "%s, line %zu: a quoted field is not closed; nothing "
				    "was imported",
				    file, line);
	}
	if (rc != LD_ENOTFOUND) {
		json_decref(bad_lines);
		return rc;
	}
	if (bad) {
		for (size_t i = 0; i < json_array_size(bad_lines); i++) {
			json_t *b = json_array_get(bad_lines, i);
			request_warn(rq, "%s, line %" JSON_INTEGER_FORMAT ": %.400s", file,
				     json_integer_value(json_object_get(b, "line")),
				     json_string_value(json_object_get(b, "reason")));
		}
		if (bad > BAD_ROWS_SHOWN)
			request_warn(rq, "... and %zu more bad rows", bad - BAD_ROWS_SHOWN);
		json_decref(bad_lines);
		/* Nothing is kept: the whole request's transaction is rolled back. */
		return request_fail(rq, LD_EINPUT,
				    "%zu bad row(s) in %s (listed above); nothing was "
				    "imported",
				    bad, file);
	}
	json_decref(bad_lines);
	char detail[160];
	snprintf(detail, sizeof(detail), "%zu member(s) from %s", imported, file);
	if ((rc = audit_append(txn, request_operator(rq), rq->uid, "import.members", NULL, detail)))
		return rc;
	json_object_set_new(rq->result, "imported", json_integer((json_int_t)imported));
	json_object_set_new(rq->result, "registered_out", json_integer((json_int_t)out));
	return 0;
}
