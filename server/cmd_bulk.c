/*
 * cmd_bulk.c: registers in and out: `export` (one page of rows per request; the CLI asks for the
 * next page until there is none, and writes CSV or JSON) and `import members` (a whole register
 * file in one request: every row is checked as `member add` and `outflow register` check it, and
 * if any row is bad nothing is written and every bad row is named; then the rows are committed
 * in parts, see IMPORT_PART_ROWS, the later parts' rows read and checked ahead of the writer).
 */
#include <errno.h>
#include <stdint.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "audit.h"
#include "i18n.h"
#include "cert.h"
#include "commit.h"
#include "commands.h"
#include "csv.h"
#include "daemon.h"
#include "date.h"
#include "domain.h"
#include "dues.h"
#include "eventlog.h"
#include "fold.h"
#include "idno.h"
#include "input.h"
#include "keysort.h"
#include "logging.h"
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
	enum dues_category category;
	bool set =
	    dues_category_parse(m->dues_category, &category) == 0 && dues_category_is_set(category);
	json_object_set_new(o, "dues", money_or_empty(set ? m->set_dues_fen : -1));
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

#define ROW_MEMO 64 /* a power of two */

struct row {
	char **values;
	size_t n;
	size_t columns;	  /* the header's: a row has as many fields (row_shape) */
	const int *index; /* column of each key in key_names, or -1 */
	/* Which key number each key the checks asked for is (-1: none), by its address: the checks
	 * ask some 40 keys of every row, the same string literals each time. */
	struct {
		const char *key;
		int k;
	} memo[ROW_MEMO];
};

static const char *const key_names[] = {
    "id",	"name",	 "sex", "birth", "joined", "kind", "branch", "dues-category",
    "income",	"phone", "to",	"place", "reason", "from", "until",  "fixed-place",
    "employer", "dues",	 NULL};

/* The value of key number K of row R, or NULL if the row has none. */
static const char *row_value(const struct row *r, int k)
{
	int col = r->index[k];
	if (col < 0 || (size_t)col >= r->n || !r->values[col][0])
		return NULL;
	return r->values[col];
}

/* Key number of KEY, or -1. */
static int key_number(const char *key)
{
	for (int i = 0; key_names[i]; i++)
		if (strcmp(key_names[i], key) == 0)
			return i;
	return -1;
}

static const char *row_field(const struct fields *f, const char *key)
{
	struct row *r = (struct row *)f->ctx; /* the caller's own, not const: the memo is ours */
	int k = -2;
	/* Open addressing, never evicted: fewer keys are asked than there are slots. */
	for (size_t i = 0, slot = ((uintptr_t)key >> 1) % ROW_MEMO; i < ROW_MEMO;
	     i++, slot = (slot + 1) % ROW_MEMO) {
		if (r->memo[slot].key == key) {
			k = r->memo[slot].k;
			break;
		}
		if (!r->memo[slot].key) {
			r->memo[slot].key = key;
			k = r->memo[slot].k = key_number(key);
			break;
		}
	}
	if (k == -2) /* the memo is full */
		k = key_number(key);
	return k < 0 ? NULL : row_value(r, k);
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

/*
 * An import runs in parts of IMPORT_PART_ROWS rows, each committed on its own, so that the peers
 * apply one part while the next is written and the transaction's dirty pages stay bounded. A bad
 * row still refuses the whole file: the whole file is judged, on a thread of its own in a read
 * transaction, while the first part is written in a child transaction of the first run; that part
 * joins the batch only once the judge found every row good (else it is dropped and the file
 * refused with every bad row named), so nothing is committed before the whole file is judged and
 * the judging costs the import no time of the writer's. The import's id is the SHA-256 of the
 * file; each part records in `meta` how many of the file's rows are in, so that the same file
 * imported again after a crash (or a part refused by a change made meanwhile) goes on where it
 * stopped, without doubles.
 */
#define IMPORT_PART_ROWS 8192

/*
 * The first part is smaller: the writer writes it while the judges judge the file, on the same
 * CPUs, and nothing is committed before they are done. The less it has to write, the sooner the
 * judges are done and the peers get the first rows.
 */
#define IMPORT_FIRST_PART_ROWS 1024

/*
 * Knobs for the tests only (tests/integration/import_parts.sh), read from the environment:
 * LIUDONGD_IMPORT_PART_ROWS, rows per part; LIUDONGD_IMPORT_GATE, a file's path: while it exists,
 * no part after the first is written (the import waits its turn again and again, without
 * holding the writer), so that a test can kill or stop the daemon, or write, between two parts
 * however slow the machine.
 */
static size_t env_size(const char *name, size_t dflt, size_t max)
{
	const char *v = getenv(name);
	char *end;
	unsigned long long n = v && *v ? strtoull(v, &end, 10) : 0;
	return v && *v && !*end && n >= 1 && n <= max ? (size_t)n : dflt;
}

static size_t import_part_rows(void)
{
	return env_size("LIUDONGD_IMPORT_PART_ROWS", IMPORT_PART_ROWS, 1000000);
}
#define IMPORT_KEY     "import:"
#define IMPORT_KEY_LEN (sizeof(IMPORT_KEY) - 1 + 32)

/* A part of the import: where its first row starts, set by the run of the part before it. */
struct import_part {
	size_t offset, line; /* where its first row starts in the file */
	size_t rows, out;    /* its rows, and how many of them are registered out (once written) */
};

struct import_state {
	uint8_t key[IMPORT_KEY_LEN]; /* "import:" + SHA-256 of the file */
	int index[sizeof(key_names) / sizeof(key_names[0])];
	size_t columns;		      /* the header's fields */
	size_t before;		      /* rows committed by an earlier import of the same file */
	size_t total;		      /* rows of the file (known once judged) */
	size_t part_rows;	      /* rows per part (part_rows_of: the first may have fewer) */
	size_t csv_len;		      /* the file's length (its text is the request's) */
	size_t first_row, first_line; /* where the rows start (after the header): offset, line */
	struct import_part *parts; /* N_PARTS of them, each known once the one before is written */
	size_t n_parts;
	struct import_ahead *ahead; /* the rows after the first part, read ahead; or NULL */
	unsigned ahead_from;	    /* the first part not yet begun from them */
};

/* Rows in part K: IM->part_rows, the first part at most IMPORT_FIRST_PART_ROWS. */
static size_t part_rows_of(const struct import_state *im, unsigned k)
{
	return k == 0 && im->part_rows > IMPORT_FIRST_PART_ROWS ? IMPORT_FIRST_PART_ROWS
								: im->part_rows;
}

/* The file's rows before part K (after those in before the import, IM->before). */
static size_t rows_before_part(const struct import_state *im, unsigned k)
{
	return k == 0 ? 0 : part_rows_of(im, 0) + (size_t)(k - 1) * im->part_rows;
}

static void import_ahead_end(struct import_state *im);

static void import_state_free(void *p)
{
	struct import_state *im = p;
	import_ahead_end(im);
	free(im->parts);
	free(im);
}

/* A progress record's value V: rows in, rows in all. 0, or LD_ECORRUPT. */
static int progress_parse(const struct store_val *v, size_t *done, size_t *total)
{
	if (v->len != 16)
		return LD_ECORRUPT;
	*done = (size_t)store_u64_from(v->data);
	*total = (size_t)store_u64_from((const uint8_t *)v->data + 8);
	return 0;
}

/* The file's progress record: rows in, rows in all. */
static int import_progress(struct store_txn *txn, const struct import_state *im, size_t *done,
			   size_t *total)
{
	struct store_val v;
	int rc = store_get(txn, TBL_META, im->key, sizeof(im->key), &v);
	return rc ? rc : progress_parse(&v, done, total);
}

/*
 * An import refused by its rows: if another file's import stopped part way (the daemon stopped or
 * failed between its parts), say so, since its rows in the store are what this file's rows clash
 * with ("registered already").
 */
static void import_unfinished_note(struct request *rq, struct store_txn *txn,
				   const struct import_state *im)
{
	struct store_cursor *c;
	if (store_cursor_open(txn, TBL_META, &c) != 0)
		return;
	struct store_val k = {.data = IMPORT_KEY, .len = sizeof(IMPORT_KEY) - 1}, v;
	for (int rc = store_cursor_get(c, STORE_SET_RANGE, &k, &v); rc == 0;
	     rc = store_cursor_get(c, STORE_NEXT, &k, &v)) {
		if (k.len != IMPORT_KEY_LEN || memcmp(k.data, IMPORT_KEY, sizeof(IMPORT_KEY) - 1))
			break;
		size_t done, total;
		if (memcmp(k.data, im->key, IMPORT_KEY_LEN) == 0 ||
		    progress_parse(&v, &done, &total) != 0)
			continue;
		if (done < total)
			request_warn(rq,
				     "note: an import of another file stopped after %zu of its %zu "
				     "rows, which are in; import that same file again to finish it",
				     done, total);
	}
	store_cursor_close(c);
}

static int import_progress_put(struct store_txn *txn, const struct import_state *im, size_t done)
{
	uint8_t v[16];
	store_u64_key(done, v);
	store_u64_key(im->total, v + 8);
	return store_put(txn, TBL_META, im->key, sizeof(im->key), v, sizeof(v), 0);
}

/* What export wrote: the guard against formulas taken away, then trimmed as typed. */
static void row_clean(char **values, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const char *v = csv_cell_value(values[i]);
		if (v != values[i])
			memmove(values[i], v, strlen(v) + 1);
		input_trim(values[i]);
	}
}

/* The header: every register column, any of the export's extra ones, nothing else. */
static int import_header(struct request *rq, const char *file, char **values, size_t n, int *index)
{
	for (size_t k = 0; key_names[k]; k++) {
		char col[32];
		column_of(key_names[k], col, sizeof(col));
		index[k] = -1;
		for (size_t i = 0; i < n; i++)
			if (strcmp(values[i], col) == 0)
				index[k] = (int)i;
	}
	for (size_t i = 0; i < n; i++) {
		bool known = false;
		for (size_t k = 0; register_columns[k]; k++)
			known = known || strcmp(values[i], register_columns[k]) == 0;
		for (size_t k = 0; extra_columns[k]; k++)
			known = known || strcmp(values[i], extra_columns[k]) == 0;
		if (!known)
			return request_fail(
			    rq, LD_EINPUT,
			    "%s, line 1: unknown column '%s'; the columns "
			    "are id,name,sex,birth,joined,kind,branch,dues_category,"
			    "income,phone,to,place,reason,from,until,fixed_place,employer",
			    file, values[i]);
	}
	for (size_t k = 0; register_columns[k]; k++) {
		bool found = false;
		for (size_t i = 0; i < n; i++)
			found = found || strcmp(values[i], register_columns[k]) == 0;
		if (!found)
			return request_fail(rq, LD_EINPUT, "%s, line 1: the column '%s' is missing",
					    file, register_columns[k]);
	}
	return 0;
}

/* The outflow columns' keys, `to` (the inflow site) first. */
static const char *const outflow_keys[] = {"to",    "place",	   "reason",   "from",
					   "until", "fixed-place", "employer", NULL};

/*
 * The one rule a register row is read by, for the judges, the reader ahead and the writer alike:
 * it has as many fields as the header (none taken as empty, none ignored), and it registers its
 * member out (*out) if its `to` is given; another outflow column given while `to` is empty is
 * refused, not dropped. F's context is the row (struct row). Returns 0 or a refusal (LD_EINPUT)
 * in RQ.
 */
static int row_shape(struct request *rq, const struct fields *f, bool *out)
{
	const struct row *r = f->ctx;
	*out = false;
	if (r->n != r->columns)
		return request_fail(rq, LD_EINPUT,
				    "the row has %zu field(s), the header names %zu; give every "
				    "row one field for each column (an empty one too) and quote a "
				    "field that holds a comma",
				    r->n, r->columns);
	if (f->get(f, outflow_keys[0])) {
		*out = true;
		return 0;
	}
	for (size_t i = 1; outflow_keys[i]; i++) {
		const char *value = f->get(f, outflow_keys[i]);
		/* fixed_place "no" says nothing (a spreadsheet's default): only "yes" is given. */
		if (!value ||
		    (strcmp(outflow_keys[i], "fixed-place") == 0 && strcmp(value, "no") == 0))
			continue;
		char col[32];
		column_of(outflow_keys[i], col, sizeof(col));
		return request_fail(rq, LD_EINPUT,
				    "%s is given but to is empty; fill to (the inflow site) to "
				    "register him out, or empty the outflow columns",
				    col);
	}
	return 0;
}

/*
 * Judge one row as `member add` and `outflow register` would, writing nothing, once row_shape
 * took it: a row with `to` given is one outflow.registered event carrying his record, judged as a
 * member not known here. *out: the row registers him out. Returns 0, a refusal recorded in RQ, or
 * a store failure.
 */
static int import_check_row(struct request *rq, struct store_txn *txn, const struct fields *f,
			    char idno[LD_IDNO_SIZE], bool *out)
{
	int shape = row_shape(rq, f, out);
	if (shape)
		return shape;
	if (!*out) {
		Ld__MemberInfo m;
		Ld__Event ev;
		int rc = register_member_check(rq, txn, f, idno, &m, &ev);
		return rc ? rc : commit_check(rq, txn, &ev, NULL);
	}
	struct member_out_draft d;
	int rc = register_member_out_check(rq, txn, f, &d);
	memcpy(idno, d.idno, LD_IDNO_SIZE);
	if (rc == 0)
		rc = commit_check(rq, txn, &d.out.ev, NULL);
	outflow_draft_free(&d.out);
	return rc;
}

/* Name a bad row (at most BAD_ROWS_SHOWN of them) among RQ's warnings; *SHOWN and *BAD count. */
static void import_bad_row(struct request *rq, const char *file, size_t line, size_t *shown,
			   size_t *bad)
{
	text_clean(rq->error); /* the reason may quote the row's bytes (fuzz_import) */
	(*bad)++;
	if (*shown < BAD_ROWS_SHOWN) {
		(*shown)++;
		request_warn(rq, "%s, line %zu: %.400s", file, line,
			     rq->error[0] ? rq->error : "bad row");
	}
	rq->error[0] = '\0';
}

static bool row_refused(int r)
{
	return r == LD_EINPUT || r == LD_EUSAGE || r == LD_ENOTFOUND || r == LD_EEXIST ||
	       r == LD_EFORBIDDEN;
}

/*
 * The request of a thread of the import's own (a judge, the reader ahead): a copy of RQ's that
 * shares its arguments, with an error and warnings of its own (what it says is the import's only
 * if the import says so). Returns 0 or -ENOMEM; free COPY->warnings with json_decref.
 */
static int import_thread_request(struct request *copy, const struct request *rq)
{
	copy->daemon = rq->daemon;
	copy->req = rq->req;
	copy->uid = rq->uid;
	copy->rules = rq->rules;
	copy->loc = rq->loc;
	copy->cmd = rq->cmd;
	copy->warnings = json_array();
	return copy->warnings ? 0 : -ENOMEM;
}

/*
 * The file is judged whole before anything is committed, by two judges on threads of their own
 * when it is large (each half of the rows) while the writer writes the first part. A judge's
 * request is a copy of the import's with an error and warnings of its own (what it says is the
 * import's only if the file is refused). It reads in a read transaction of its own: it sees what
 * was committed before the import began, not what jobs of the same batch wrote before it. The
 * writer thread, the only one that grows the store's map, waits for them without a transaction
 * of its own begun meanwhile (store.h: a grow waiting between two would wait for ever).
 *
 * The second judge starts at a line end found by counting quotes, which a quote inside an
 * unquoted field can mislead: so the first judge checks that its last row ends exactly there
 * (offset and line). If it does not, the first judge judges on to the end, as one judge would,
 * and what the second found is set aside.
 */
struct judge {
	pthread_t thread;
	struct request rq;
	const char *file, *csv;
	const struct import_state *im;
	size_t from, from_line; /* where its rows start */
	size_t to, to_line;	/* where the next judge's rows start; 0: it judges to the end */
	bool whole;		/* TO proved not to be a row start: this judge went on to the end */
	size_t rows;		/* rows read (after FROM), those in already included */
	size_t shown, bad;	/* bad rows named in its warnings, and all of them */
	struct keyed *seen;	/* the good rows' numbers (idno_key) and lines */
	size_t n_seen;
	int rc; /* 0, LD_EINPUT (a quote not closed, in its rq), or a store failure */
};

struct import_judging {
	struct judge judges[2];
	int n; /* judges started */
};

/* The rows at or after J->from (after the first im->before of the file, if J starts the rows). */
static int judge_rows(struct judge *j, struct store_txn *txn, struct csv_reader *reader)
{
	struct row row = {.index = j->im->index, .columns = j->im->columns};
	struct lookup_memo memo = {0}; /* one read transaction for the whole file */
	struct fields f = {.get = row_field, .prefix = "", .ctx = &row, .memo = &memo};
	struct request *rq = &j->rq;
	size_t skip = j->from == j->im->first_row ? j->im->before : 0, n, line = j->from_line,
	       seen_cap = 0;
	char **values;
	int rc;
	for (;;) {
		if (j->to && !j->whole) {
			size_t at_line, at = csv_reader_tell(reader, j->csv, &at_line);
			if (at == j->to && at_line == j->to_line)
				return 0; /* the next judge's rows */
			if (at >= j->to)
				j->whole = true; /* not a row start: on to the end, alone */
		}
		if ((rc = csv_next(reader, &values, &n, &line)) != 0)
			break;
		if (n == 1 && !values[0][0])
			continue; /* a blank line */
		if (j->rows++ < skip)
			continue; /* in the store since an earlier import of this file */
		row_clean(values, n);
		row.values = values;
		row.n = n;
		rq->error[0] = '\0';
		char idno[LD_IDNO_SIZE] = "";
		bool out = false;
		int r = import_check_row(rq, txn, &f, idno, &out);
		if (r && !row_refused(r))
			return r; /* the store failed, not the row */
		if (r) {
			import_bad_row(rq, j->file, line, &j->shown, &j->bad);
			continue;
		}
		if (j->n_seen == seen_cap) {
			seen_cap = seen_cap ? seen_cap * 2 : 1024;
			void *p = realloc(j->seen, seen_cap * sizeof(*j->seen));
			if (!p)
				return -ENOMEM;
			j->seen = p;
		}
		j->seen[j->n_seen++] = (struct keyed){.key = idno_key(idno), .value = line};
	}
	if (rc == LD_ENOTFOUND) /* the end of the file */
		return 0;
	if (rc == LD_EINPUT)
		return request_fail(rq, LD_EINPUT, "%s, line %zu: %s; nothing was imported",
				    j->file, line, _(reader->why));
	return rc;
}

static void *judge_main(void *arg)
{
	struct judge *j = arg;
	locale_t old = i18n_use(j->rq.loc);
	date_today_pin(date_today()); /* its rows judged on one day (date.h) */
	struct store_txn *txn;
	j->rc = store_begin(j->rq.daemon->store, false, &txn);
	if (j->rc == 0) {
		struct csv_reader reader;
		csv_reader_init(&reader, j->csv, j->im->csv_len);
		csv_reader_seek(&reader, j->csv, j->from, j->from_line);
		j->rc = judge_rows(j, txn, &reader);
		csv_reader_free(&reader);
		store_abort(txn);
	}
	/* Sorted here, beside the other judge: the writer only merges (import_judging_end). */
	struct keyed *tmp = j->rc == 0 && j->n_seen > 1 ? malloc(j->n_seen * sizeof(*tmp)) : NULL;
	if (tmp)
		keysort(j->seen, tmp, j->n_seen);
	else if (j->rc == 0 && j->n_seen > 1)
		j->rc = -ENOMEM;
	free(tmp);
	date_today_unpin();
	i18n_restore(old);
	return NULL;
}

/* The line ends in [FROM, TO). */
static size_t line_ends(const char *from, const char *to)
{
	size_t n = 0;
	for (const char *p = from; (p = memchr(p, '\n', (size_t)(to - p))) != NULL; p++)
		n++;
	return n;
}

/*
 * Where a second judge may start: the first line end at or after the middle of the rows that is
 * outside quotes by their count from FROM (*LINE its line). 0 if none.
 */
static size_t judge_split(const char *csv, size_t from, size_t from_line, size_t len, size_t *line)
{
	size_t mid = from + (len - from) / 2;
	bool quoted = false;
	for (const char *p = csv + from; (p = memchr(p, '"', (size_t)(csv + mid - p)));)
		quoted = !quoted, p++;
	size_t at = 0;
	for (size_t i = mid; i < len && !at; i++) {
		if (csv[i] == '"')
			quoted = !quoted;
		else if (csv[i] == '\n' && !quoted)
			at = i + 1;
	}
	if (!at || at >= len)
		return 0;
	*line = from_line + line_ends(csv + from, csv + at);
	return at;
}

/* Start judging IM's file (J is the caller's until import_judging_end). Returns 0 or -errno. */
static int import_judging_start(struct import_judging *jg, struct request *rq, const char *file,
				const char *csv, const struct import_state *im)
{
	memset(jg, 0, sizeof(*jg));
	size_t len = im->csv_len, line = 0, split = 0;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	/* Two judges for a large file judged from its first row. */
	if (im->before == 0 && cpus > 1 &&
	    len - im->first_row >= env_size("LIUDONGD_IMPORT_SPLIT_BYTES", 1 << 20, SIZE_MAX))
		split = judge_split(csv, im->first_row, im->first_line, len, &line);
	int n = split ? 2 : 1;
	for (int i = 0; i < n; i++) {
		struct judge *j = &jg->judges[i];
		if (import_thread_request(&j->rq, rq) != 0)
			return -ENOMEM; /* import_judging_end frees what was started */
		j->file = file;
		j->csv = csv;
		j->im = im;
		j->from = i == 0 ? im->first_row : split;
		j->from_line = i == 0 ? im->first_line : line;
		j->to = i == 0 && n == 2 ? split : 0;
		j->to_line = j->to ? line : 0;
		int rc = pthread_create(&j->thread, NULL, judge_main, j);
		if (rc)
			return -rc;
		jg->n++;
	}
	return 0;
}

/* J's warnings onto RQ's, at most BAD_ROWS_SHOWN in all (*SHOWN so far). */
static void judge_warnings(struct request *rq, const struct judge *j, size_t *shown)
{
	size_t i;
	json_t *w;
	json_array_foreach(j->rq.warnings, i, w)
	{
		if (*shown >= BAD_ROWS_SHOWN)
			break;
		json_array_append(rq->warnings, w);
		(*shown)++;
	}
}

/*
 * Wait for the judges (JG started or not: also after a failed import_judging_start) and give
 * their verdict on the whole file: 0 with IM->total set, or the file's refusal (the bad rows
 * named in RQ's warnings, a number held twice among them), or a failure.
 */
static int import_judging_end(struct import_judging *jg, struct request *rq, const char *file,
			      struct import_state *im, int started)
{
	for (int i = 0; i < jg->n; i++)
		pthread_join(jg->judges[i].thread, NULL);
	/* The judges whose rows count: the second's unless the first went on to the end. */
	int used = jg->n == 2 && !jg->judges[0].whole ? 2 : 1;
	if (jg->n == 2 && started == 0)
		log_info(used == 2
			     ? "import: %.100s judged by two threads, the second from line %zu"
			     : "import: %.100s: line %zu is inside a row after all (a quote in a "
			       "field); the first thread judged the rest",
			 file, jg->judges[1].from_line);
	int rc = started;
	size_t shown = 0, bad = 0, rows = 0, had = json_array_size(rq->warnings);
	for (int i = 0; i < used && rc == 0; i++) {
		struct judge *j = &jg->judges[i];
		rows += j->rows;
		bad += j->bad;
		if (j->rc == 0 || j->rc == LD_EINPUT)
			judge_warnings(rq, j, &shown);
		if (j->rc == LD_EINPUT) /* a quote not closed: that refuses the file */
			memcpy(rq->error, j->rq.error, sizeof(rq->error));
		rc = j->rc;
	}
	/* The good rows' numbers, each judge's sorted by it, walked as one sorted list: a number
	 * held twice is refused at each later line. */
	const struct judge *j0 = &jg->judges[0], *j1 = used == 2 ? &jg->judges[1] : NULL;
	size_t a = 0, b = 0, n1 = j1 ? j1->n_seen : 0;
	const struct keyed *prev = NULL;
	while (rc == 0 && (a < j0->n_seen || b < n1)) {
		/* Equal numbers: the first judge's line comes first. */
		const struct keyed *cur =
		    b >= n1 || (a < j0->n_seen && j0->seen[a].key <= j1->seen[b].key)
			? &j0->seen[a++]
			: &j1->seen[b++];
		if (prev && prev->key == cur->key) {
			char number[LD_IDNO_SIZE], masked[LD_IDNO_SIZE];
			idno_of_key(cur->key, number);
			request_fail(rq, LD_EEXIST,
				     "identity number %s is on line %zu of the file already",
				     idno_mask(number, masked), prev->value);
			import_bad_row(rq, file, cur->value, &shown, &bad);
		}
		prev = cur;
	}
	for (int i = 0; i < 2; i++) {
		json_decref(jg->judges[i].rq.warnings);
		free(jg->judges[i].seen);
	}
	im->total = rows;
	while (rc == 0 && !bad && json_array_size(rq->warnings) > had) /* said only on refusal */
		json_array_remove(rq->warnings, json_array_size(rq->warnings) - 1);
	if (rc == 0 && bad) {
		if (bad > shown)
			request_warn(rq, "... and %zu more bad rows", bad - shown);
		rc = request_fail(rq, LD_EINPUT,
				  "%zu bad row(s) in %s (listed above); nothing was "
				  "imported",
				  bad, file);
	}
	return rc;
}

/*
 * Reading ahead. After the file is judged, the writer writes one part after another, and a row
 * costs it most of its time in reading and checking (csv_next, the checks of `member add` and
 * `outflow register`), which need nothing it writes. So a thread of the import's own reads the
 * rows after the first part and checks each as the writer would (register_member_out_check and
 * the domain core's judgement, commit_check_ahead, in a read transaction of its own, begun and
 * ended for each chunk of rows) and packs the payload of its event (outflow_draft_pack), while
 * the writer writes the chunks it finished. The writer then looks up again only what may have
 * changed since (register_member_out_ahead) and commits, the payload's bytes spliced into the
 * event, without judging it again on the same day. A row the thread could not make ready (a member
 * without outflow columns, a refusal, a store failure) the writer reads and checks whole, as
 * without it; so does a part the writer runs again (writer.h), since its chunks are given back
 * as they are written.
 *
 * The thread is at most AHEAD_CHUNKS chunks of AHEAD_ROWS rows ahead (its memory, ~1 KiB a
 * row, is bounded so, whatever the file's size), a chunk never spans two parts, and it never
 * waits with a transaction open (store.h: the writer may need to grow the map). It stops at the
 * end of the file, when told to (import_ahead_end: the import ended or failed), or at a failure,
 * after which the writer reads the rest itself.
 */
#define AHEAD_ROWS   1024
#define AHEAD_CHUNKS 4
#define AHEAD_BLOCK  (AHEAD_ROWS * 1024) /* a row's values, event and state: ~0.65 KiB */

/* A row read ahead: its values (cleaned, in one block of its own) and, if READY, its event. */
struct ahead_row {
	char **values; /* the value pointers, then the strings: one block of the chunk's arena */
	size_t n;
	size_t line;
	bool ready;
	struct member_out_draft d; /* holds pointers into itself and VALUES: never moved */
};

struct ahead_chunk {
	struct pb_arena arena;	  /* its rows' values, events and states: given back at once */
	unsigned char *block;	  /* owned: the arena's block, AHEAD_BLOCK bytes */
	unsigned part;		  /* the part its rows belong to */
	struct import_part start; /* where its first row starts */
	struct ahead_row *rows;	  /* AHEAD_ROWS of them */
	size_t n;
	struct import_part end; /* where the row after its last starts */
	bool last;		/* the last chunk of its part */
};

struct import_ahead {
	pthread_t thread;
	struct request rq; /* a copy of the import's, with an error and warnings of its own */
	const char *csv;
	const struct import_state *im;
	struct import_part from; /* where its first row starts: part FIRST's */
	unsigned first;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct ahead_chunk chunks[AHEAD_CHUNKS]; /* a ring: FILLED of them from TAKE on are ready */
	unsigned take, filled;
	bool done;	  /* the thread made its last chunk (end of file, failure or stop) */
	atomic_bool stop; /* told to stop */
};

static void ahead_chunk_clear(struct ahead_chunk *c)
{
	for (size_t i = 0; i < c->n; i++) {
		struct ahead_row *r = &c->rows[i];
		if (r->ready)
			outflow_draft_free(&r->d.out);
		r->values = NULL;
		r->ready = false;
	}
	c->n = 0;
	pb_arena_reset(&c->arena);
}

/* Copy the record READER gave last (VALUES, N of them) into R's block in C's arena, cleaned as the
 * writer cleans a row. Returns 0 or -ENOMEM. */
static int ahead_row_copy(struct ahead_chunk *c, struct ahead_row *r,
			  const struct csv_reader *reader, char **values, size_t n)
{
	size_t len = csv_record_len(reader);
	char **v = c->arena.allocator.alloc(&c->arena, n * sizeof(char *) + len);
	if (!v)
		return -ENOMEM;
	char *at = memcpy(v + n, values[0], len);
	for (size_t i = 0; i < n; i++)
		v[i] = at + (values[i] - values[0]);
	row_clean(v, n);
	r->values = v;
	r->n = n;
	return 0;
}

/* The thread: wait for a free chunk (no transaction open), or NULL once told to stop. */
static struct ahead_chunk *ahead_free_chunk(struct import_ahead *a)
{
	pthread_mutex_lock(&a->lock);
	while (!atomic_load(&a->stop) && a->filled == AHEAD_CHUNKS)
		pthread_cond_wait(&a->cond, &a->lock);
	struct ahead_chunk *c =
	    atomic_load(&a->stop) ? NULL : &a->chunks[(a->take + a->filled) % AHEAD_CHUNKS];
	pthread_mutex_unlock(&a->lock);
	return c;
}

/*
 * Fill C with the next rows of part C->part from READER (*IN_PART of them read before), in a read
 * transaction of its own. Returns 0, LD_ENOTFOUND at the end of the file (C holds what was left),
 * or a failure (C is then not to be used).
 */
static int ahead_fill(struct import_ahead *a, struct ahead_chunk *c, struct csv_reader *reader,
		      size_t *in_part)
{
	struct store_txn *txn;
	int rc = store_begin(a->rq.daemon->store, false, &txn);
	if (rc)
		return rc;
	c->start.offset = csv_reader_tell(reader, a->csv, &c->start.line);
	struct row row = {.index = a->im->index, .columns = a->im->columns};
	struct lookup_memo memo = {0};
	struct fields f = {.get = row_field, .prefix = "", .ctx = &row, .memo = &memo};
	char **values;
	size_t n, line;
	size_t rows = part_rows_of(a->im, c->part);
	while (c->n < AHEAD_ROWS && *in_part < rows && !atomic_load(&a->stop)) {
		if ((rc = csv_next(reader, &values, &n, &line)) != 0)
			break;
		if (n == 1 && !values[0][0])
			continue; /* a blank line, as the writer skips it */
		struct ahead_row *r = &c->rows[c->n];
		if ((rc = ahead_row_copy(c, r, reader, values, n)) != 0)
			break;
		c->n++;
		(*in_part)++;
		r->line = line;
		row.values = r->values;
		row.n = r->n;
		bool out;
		if (row_shape(&a->rq, &f, &out) != 0 || !out)
			continue; /* a member alone (or a bad row): the writer checks him whole */
		int checked = register_member_out_check(&a->rq, txn, &f, &r->d);
		/* Judged by the domain core here too, so the writer need not (commit.h). */
		if (checked == 0)
			checked = commit_check_ahead(&a->rq, txn, &r->d.out.ev, &r->d.judged_on);
		r->ready = checked == 0;
		if (!r->ready) {
			outflow_draft_free(&r->d.out);
			continue;
		}
		/* His registration and his state if he is new, packed here (in the chunk's arena);
		 * else the writer packs them. */
		r->d.out.arena = &c->arena;
		if (outflow_draft_pack(&r->d.out) == 0)
			(void)outflow_draft_state(&r->d.out, a->rq.daemon->site_id);
	}
	store_abort(txn);
	if (rc == 0 && atomic_load(&a->stop))
		rc = LD_ESTOPPING;
	c->end.offset = csv_reader_tell(reader, a->csv, &c->end.line);
	c->last = *in_part == rows || rc == LD_ENOTFOUND;
	return rc;
}

static void *ahead_main(void *arg)
{
	struct import_ahead *a = arg;
	locale_t old = i18n_use(a->rq.loc);
	/* As a judge, its rows on one day: the writer judges again a row whose day is over. */
	date_today_pin(date_today());
	struct csv_reader reader;
	csv_reader_init(&reader, a->csv, a->im->csv_len);
	csv_reader_seek(&reader, a->csv, a->from.offset, a->from.line);
	unsigned part = a->first;
	size_t in_part = 0;
	int rc = 0;
	struct ahead_chunk *c;
	while (rc == 0 && (c = ahead_free_chunk(a))) {
		ahead_chunk_clear(c);
		c->part = part;
		rc = ahead_fill(a, c, &reader, &in_part);
		if (rc != 0 && rc != LD_ENOTFOUND)
			break; /* C is not given: the writer reads from the last chunk's end */
		if (c->last)
			part++, in_part = 0;
		pthread_mutex_lock(&a->lock);
		a->filled++;
		pthread_cond_broadcast(&a->cond);
		pthread_mutex_unlock(&a->lock);
	}
	csv_reader_free(&reader);
	date_today_unpin();
	i18n_restore(old);
	pthread_mutex_lock(&a->lock);
	a->done = true;
	pthread_cond_broadcast(&a->cond);
	pthread_mutex_unlock(&a->lock);
	return NULL;
}

/* Start reading ahead from part FIRST (its start known) to the end of the file. Failing to
 * start only leaves the writer to read every part itself. */
/* Free A, its chunks and what their rows hold (no thread running). */
static void ahead_free(struct import_ahead *a)
{
	for (int i = 0; i < AHEAD_CHUNKS; i++) {
		struct ahead_chunk *c = &a->chunks[i];
		if (c->rows)
			ahead_chunk_clear(c);
		free(c->rows);
		free(c->block);
	}
	json_decref(a->rq.warnings);
	free(a);
}

static void import_ahead_start(struct request *rq, const char *csv, struct import_state *im,
			       unsigned first)
{
	if (im->ahead || first >= im->n_parts || sysconf(_SC_NPROCESSORS_ONLN) < 2)
		return;
	struct import_ahead *a = calloc(1, sizeof(*a));
	if (!a)
		return;
	for (int i = 0; i < AHEAD_CHUNKS; i++) {
		struct ahead_chunk *c = &a->chunks[i];
		if (!(c->rows = calloc(AHEAD_ROWS, sizeof(struct ahead_row))) ||
		    !(c->block = malloc(AHEAD_BLOCK)))
			goto fail;
		pb_arena_init(&c->arena, c->block, AHEAD_BLOCK);
	}
	if (import_thread_request(&a->rq, rq) != 0)
		goto fail;
	a->csv = csv;
	a->im = im;
	a->from = im->parts[first];
	a->first = first;
	pthread_mutex_init(&a->lock, NULL);
	pthread_cond_init(&a->cond, NULL);
	if (pthread_create(&a->thread, NULL, ahead_main, a) != 0) {
		pthread_mutex_destroy(&a->lock);
		pthread_cond_destroy(&a->cond);
		goto fail;
	}
	im->ahead = a;
	im->ahead_from = first;
	return;
fail:
	ahead_free(a);
}

/* Stop reading ahead and free it all (none started: nothing). */
static void import_ahead_end(struct import_state *im)
{
	struct import_ahead *a = im->ahead;
	if (!a)
		return;
	pthread_mutex_lock(&a->lock);
	atomic_store(&a->stop, true);
	pthread_cond_broadcast(&a->cond);
	pthread_mutex_unlock(&a->lock);
	pthread_join(a->thread, NULL);
	pthread_mutex_destroy(&a->lock);
	pthread_cond_destroy(&a->cond);
	ahead_free(a);
	im->ahead = NULL;
}

/*
 * The writer: the next chunk of part K read ahead (chunks of earlier parts given back on the
 * way), or NULL if there will be none (the thread ended, failed or is not running). Give it back
 * with ahead_give_back once its rows are written.
 */
static struct ahead_chunk *ahead_take(struct import_state *im, unsigned k)
{
	struct import_ahead *a = im->ahead;
	if (!a)
		return NULL;
	struct ahead_chunk *c = NULL;
	pthread_mutex_lock(&a->lock);
	for (;;) {
		while (!a->filled && !a->done)
			pthread_cond_wait(&a->cond, &a->lock);
		if (!a->filled)
			break;
		c = &a->chunks[a->take];
		if (c->part >= k)
			break;
		a->take = (a->take + 1) % AHEAD_CHUNKS; /* a part run again without them */
		a->filled--;
		pthread_cond_broadcast(&a->cond);
		c = NULL;
	}
	pthread_mutex_unlock(&a->lock);
	return c && c->part == k ? c : NULL;
}

static void ahead_give_back(struct import_state *im)
{
	struct import_ahead *a = im->ahead;
	pthread_mutex_lock(&a->lock);
	a->take = (a->take + 1) % AHEAD_CHUNKS;
	a->filled--;
	pthread_cond_broadcast(&a->cond);
	pthread_mutex_unlock(&a->lock);
}

/* A file's text checked as UTF-8 on a thread of its own (TEXT, LEN in; VALID out). */
struct text_check {
	const char *text;
	size_t len, valid;
};

static void *text_check_main(void *arg)
{
	struct text_check *t = arg;
	t->valid = utf8_valid_prefix(t->text, t->len, true);
	return NULL;
}

#define TEXT_CHECK_APART (1u << 20) /* a smaller file is checked on the writer, after its hash */

/*
 * KEY: the SHA-256 of CSV (LEN bytes, CSV[LEN] a NUL), while another thread checks that it is
 * UTF-8 text with no control characters but tabs and line ends: one after the other, the two
 * took a 100,000-row register ~14 ms before its rows were judged. Returns 0, -EIO, or a refusal
 * in RQ naming the line of FILE where the first fault lies.
 */
static int import_text_hash(struct request *rq, const char *file, const char *csv, size_t len,
			    uint8_t key[LD_HASH_BYTES])
{
	struct text_check t = {.text = csv, .len = len};
	pthread_t thread;
	bool apart =
	    len >= TEXT_CHECK_APART && pthread_create(&thread, NULL, text_check_main, &t) == 0;
	int rc = eventlog_sha256(csv, len, key) != 0 ? -EIO : 0;
	if (apart)
		pthread_join(thread, NULL);
	else
		text_check_main(&t);
	if (rc || t.valid == len)
		return rc;
	size_t line = 1 + line_ends(csv, csv + t.valid);
	return request_fail(
	    rq, LD_EINPUT,
	    "%s, line %zu: not UTF-8 text, or a control character; save the register "
	    "as CSV UTF-8; nothing was imported",
	    file, line);
}

/* Read the header and find how far an earlier import of this file got. *out is NULL when nothing
 * is left to import. */
static int import_prepare(struct request *rq, struct store_txn *txn, const char *file,
			  const char *csv, struct import_state **out)
{
	*out = NULL;
	struct import_state *im = calloc(1, sizeof(*im));
	if (!im)
		return -ENOMEM;
	im->csv_len = request_param_len(rq, "csv"); /* CSV is that parameter's value */
	memcpy(im->key, IMPORT_KEY, sizeof(IMPORT_KEY) - 1);
	struct csv_reader reader;
	csv_reader_init(&reader, csv, im->csv_len);
	char **values;
	size_t n, line, total = 0;
	int rc = import_text_hash(rq, file, csv, im->csv_len, im->key + sizeof(IMPORT_KEY) - 1);
	if (rc)
		goto out;
	if ((rc = csv_next(&reader, &values, &n, &line)) != 0) {
		rc = request_fail(rq, LD_EINPUT,
				  "%s is empty or not CSV: the first line must name "
				  "the columns (%s,...)",
				  file, register_columns[0]);
		goto out;
	}
	if ((rc = import_header(rq, file, values, n, im->index)))
		goto out;
	im->columns = n;
	im->first_row = csv_reader_tell(&reader, csv, &im->first_line);
	im->part_rows = import_part_rows();
	rc = import_progress(txn, im, &im->before, &total);
	if (rc == 0 && im->before >= total) {
		request_warn(rq,
			     "note: %s was imported already (%zu members); nothing was "
			     "imported again",
			     file, total);
		json_object_set_new(rq->result, "imported", json_integer(0));
		json_object_set_new(rq->result, "registered_out", json_integer(0));
		goto out; /* *out stays NULL: nothing to do */
	}
	if (rc && rc != LD_ENOTFOUND)
		goto out;
	rc = 0;
	*out = im;
	im = NULL;
out:
	csv_reader_free(&reader);
	if (im)
		import_state_free(im);
	return rc;
}

/* One row: registered out (R, if read ahead and ready, as it was checked) or registered, as
 * `outflow register` and `member add` do; counted in PT. */
static int import_write_row(struct request *rq, struct store_txn *txn, const struct fields *f,
			    struct ahead_row *r, struct import_part *pt)
{
	/* A row made ready ahead has an inflow site and the header's fields (row_shape): its
	 * values, made on the reader's CPU, are not read here (a cache miss a row). Any other is
	 * read by the judges' rule again, so that no path writes a row they would refuse. */
	bool out = r && r->ready;
	bool stale = true;
	int rc = out ? register_member_out_ahead(rq, txn, f->memo, &r->d, &stale, NULL)
		     : row_shape(rq, f, &out);
	if (rc == 0 && stale) {
		char idno[LD_IDNO_SIZE];
		/* A member registered out is one event: his registration out carries his record. */
		rc = out ? register_member_out(rq, txn, f, idno, NULL)
			 : register_member(rq, txn, f, idno, NULL);
	}
	pt->out += rc == 0 && out;
	pt->rows += rc == 0;
	return rc;
}

/*
 * Write the rows of part K, from its start in IM->parts (after SKIP rows): every row as `member
 * add` and `outflow register`, at most part_rows_of; first those read ahead for it, then any
 * left from the file. The part's rows and out are counted; *next gets where the next part
 * starts. Returns 0, a row's refusal (in RQ; *line its line), or a store failure.
 */
static int import_write_rows(struct request *rq, struct store_txn *txn, const char *csv,
			     struct import_state *im, unsigned k, size_t skip, size_t *line,
			     struct import_part *next)
{
	struct import_part *pt = &im->parts[k];
	struct row row = {.index = im->index, .columns = im->columns};
	struct lookup_memo memo = {0}; /* this part's transaction only: other jobs ran between */
	struct fields f = {.get = row_field, .prefix = "", .ctx = &row, .memo = &memo};
	int rc = 0, read = 0;
	*line = pt->line;
	pt->rows = pt->out = 0;
	*next = (struct import_part){.offset = pt->offset, .line = pt->line};
	/* A part run again (writer.h) reads its rows itself: those read ahead were given back. */
	bool whole = false;
	if (k >= im->ahead_from && im->ahead) {
		im->ahead_from = k + 1;
		struct ahead_chunk *c;
		while (rc == 0 && !whole && (c = ahead_take(im, k))) {
			if (c->start.offset != next->offset) { /* never: read the rest here */
				log_warn("import: rows read ahead from %zu, not %zu; reading on "
					 "without them",
					 c->start.offset, next->offset);
				ahead_give_back(im);
				import_ahead_end(im);
				break;
			}
			for (size_t i = 0; i < c->n && rc == 0; i++) {
				struct ahead_row *r = &c->rows[i];
				row.values = r->values;
				row.n = r->n;
				*line = r->line;
				rc = import_write_row(rq, txn, &f, r, pt);
			}
			*next = c->end;
			whole = c->last;
			ahead_give_back(im);
		}
		if (rc || whole)
			return rc;
	}
	struct csv_reader reader;
	csv_reader_init(&reader, csv, im->csv_len);
	csv_reader_seek(&reader, csv, next->offset, next->line);
	size_t n;
	char **values;
	while (rc == 0 && pt->rows < part_rows_of(im, k) &&
	       (read = csv_next(&reader, &values, &n, line)) == 0) {
		if (n == 1 && !values[0][0])
			continue;
		if (skip) { /* in the store since an earlier import of this file */
			skip--;
			continue;
		}
		row_clean(values, n);
		row.values = values;
		row.n = n;
		rc = import_write_row(rq, txn, &f, NULL, pt);
	}
	next->offset = csv_reader_tell(&reader, csv, &next->line);
	csv_reader_free(&reader);
	if (rc)
		return rc;
	return read && read != LD_ENOTFOUND ? read : 0;
}

/* Refuse the import at LINE of part K for RQ's reason (a change made since the file was judged). */
static int import_refused_at(struct request *rq, const char *file, struct import_state *im,
			     unsigned k, size_t line, int rc)
{
	char why[sizeof(rq->error)];
	snprintf(why, sizeof(why), "%s", rq->error);
	text_clean(why);
	size_t in = im->before + rows_before_part(im, k);
	return request_fail(rq, rc,
			    "%s, line %zu: %.300s; the %zu row(s) before its part are "
			    "imported; import the same file again to go on from there",
			    file, line, why, in);
}

/*
 * The first part, while the file is judged: written in a child transaction, kept only if the judge
 * finds every row good. Returns 0, a refusal in RQ, or a store failure; on any, nothing is left
 * written in TXN.
 */
static int import_first_part(struct request *rq, struct store_txn *txn, const char *file,
			     const char *csv, struct import_state *im, struct import_part *next)
{
	struct import_judging j;
	int rc = import_judging_start(&j, rq, file, csv, im);
	if (rc)
		return import_judging_end(&j, rq, file, im, rc);
	struct store_txn *child = NULL;
	size_t line = 0;
	int wrote = store_begin_child(txn, &child);
	if (wrote == 0)
		wrote = import_write_rows(rq, child, csv, im, 0, im->before, &line, next);
	else
		child = NULL;
	int judged = import_judging_end(&j, rq, file, im, 0);
	if (wrote == 0 && judged == 0)
		return store_commit(child);
	if (child)
		store_abort(child);
	if (judged) { /* the file is refused: its reasons are in RQ */
		if (judged == LD_EINPUT)
			import_unfinished_note(rq, txn, im);
		return judged;
	}
	if (row_refused(wrote)) /* a change made since the file was judged */
		return import_refused_at(rq, file, im, 0, line, wrote);
	return wrote;
}

/* Write part RQ->job.part of the import. */
static int import_write_part(struct request *rq, struct store_txn *txn, const char *file,
			     const char *csv, struct import_state *im)
{
	unsigned k = rq->job.part;
	const char *gate = getenv("LIUDONGD_IMPORT_GATE");
	struct stat st;
	if (k > 0 && gate && *gate && stat(gate, &st) == 0) {
		/* Shut: nothing written; this part's turn comes again after the jobs queued
		 * meanwhile (the writer counts the part up again). */
		nanosleep(&(struct timespec){.tv_nsec = 10 * 1000 * 1000}, NULL);
		rq->job.part = k - 1;
		rq->job.more = true;
		return 0;
	}
	int rc;
	struct import_part next;
	if (k == 0) {
		rc = import_first_part(rq, txn, file, csv, im, &next);
		/* Judged: the file's rows (but those in already) make this many parts. */
		size_t left = im->total - im->before, first = part_rows_of(im, 0);
		size_t n =
		    left <= first ? 1 : 1 + (left - first + im->part_rows - 1) / im->part_rows;
		void *p = rc == 0 && n > 1 ? realloc(im->parts, n * sizeof(*im->parts)) : NULL;
		if (p) {
			im->parts = p;
			im->n_parts = n;
		} else if (rc == 0 && n > 1) {
			rc = -ENOMEM;
		}
	} else {
		size_t line;
		rc = import_write_rows(rq, txn, csv, im, k, 0, &line, &next);
		if (rc && row_refused(rc))
			rc = import_refused_at(rq, file, im, k, line, rc);
	}
	if (rc)
		return rc;
	if (k + 1 < im->n_parts)
		im->parts[k + 1] = next;
	if (k == 0) /* judged: the rows of the later parts can be read ahead */
		import_ahead_start(rq, csv, im, 1);
	const struct import_part *pt = &im->parts[k];
	size_t in = im->before, out = 0, now = 0;
	for (unsigned i = 0; i <= k; i++) {
		in += im->parts[i].rows;
		now += im->parts[i].rows;
		out += im->parts[i].out;
	}
	char detail[200];
	snprintf(detail, sizeof(detail), "%zu member(s) from %.100s (rows %zu-%zu of %zu)",
		 pt->rows, file, in - pt->rows + 1, in, im->total);
	if ((rc = import_progress_put(txn, im, in)) ||
	    (rc = audit_append(txn, request_operator(rq), rq->uid, "import.members", NULL, detail)))
		return rc;
	rq->job.more = k + 1 < im->n_parts;
	json_object_set_new(rq->result, "imported", json_integer((json_int_t)now));
	json_object_set_new(rq->result, "registered_out", json_integer((json_int_t)out));
	if (im->before)
		json_object_set_new(rq->result, "resumed_after",
				    json_integer((json_int_t)im->before));
	return 0;
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
		file = _("the file");
	if (!rq->state) {
		struct import_state *im;
		int rc = import_prepare(rq, txn, file, csv, &im);
		if (rc || !im)
			return rc;
		rq->state = im;
		rq->state_free = import_state_free;
	}
	struct import_state *im = rq->state;
	if (rq->job.part == 0) {
		/* The parts: as many as the file holds rows left, the first from the rows' start
		 * (skipping those in the store already). Their count is known once judged; until
		 * then there is at least the first. */
		free(im->parts);
		im->n_parts = 1;
		im->parts = calloc(1, sizeof(*im->parts));
		if (!im->parts)
			return -ENOMEM;
		im->parts[0] =
		    (struct import_part){.offset = im->first_row, .line = im->first_line};
	}
	int rc = import_write_part(rq, txn, file, csv, im);
	if (rc == 0 && !rq->job.more)
		import_ahead_end(im); /* the last part: nothing more to read */
	return rc;
}
