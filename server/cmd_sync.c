/*
 * cmd_sync.c: sync seen from the command line: status, conflicts (and settling them), peer
 * resync, log.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "i18n.h"
#include "commands.h"
#include "daemon.h"
#include "event.h"
#include "eventlog.h"
#include "date.h"
#include "idno.h"
#include "overlap.h"
#include "siteid.h"
#include "sites.h"
#include "sync.h"
#include "utf8.h"
#include "view.h"
#include "lderr.h"

int cmd_status(struct request *rq, struct store_txn *txn)
{
	struct daemon *d = rq->daemon;
	json_object_set_new(rq->result, "peers", d->sync ? sync_status(d->sync) : json_array());
	return 0;
}

int cmd_peer_resync(struct request *rq, struct store_txn *txn)
{
	const char *name = request_arg(rq, 0);
	if (!name)
		return request_fail(rq, LD_EUSAGE, "usage: liudong peer resync NAME");
	if (!rq->daemon->sync || sync_resync(rq->daemon->sync, name) != 0)
		return request_fail(rq, LD_ENOTFOUND, "no peer named '%s'; see liudong peer list",
				    name);
	json_object_set_new(rq->result, "resync", json_string(name));
	return 0;
}

/* ---------------------------------------------------------------------------------------------- */
/* Conflicts: quarantined events (ours refused by a peer, a peer's refused here) and double */
/* payments. Each has an id: "Q<seq>" for a quarantine row, "D<receipt>+<receipt>" for a pair.    */

#define NOTE_MAX 1000

/* S as a JSON string; bytes that are not UTF-8 (a hostile peer's text) shown as '?'. */
static json_t *text_json(const char *s)
{
	if (!s)
		return json_string("");
	if (utf8_valid(s, true))
		return json_string(s);
	char *copy = strdup(s);
	json_t *j = json_string(copy ? utf8_one_line(copy) : "?");
	free(copy);
	return j;
}

/* IDNO if it is an identity number (a peer's text may be anything), else NULL: for audit rows. */
static const char *audit_member(const char *idno)
{
	return idno && idno_validate(idno, LD_DATE_NONE, 0, NULL, NULL) == 0 ? idno : NULL;
}

/* The member as shown: masked, or whole with --reveal (then audited once per row). */
static int member_json(struct request *rq, struct store_txn *txn, const char *idno, json_t **out)
{
	char masked[LD_IDNO_SIZE];
	*out = NULL;
	if (!idno || !idno[0]) {
		*out = json_string("");
		return 0;
	}
	if (!request_flag(rq, "reveal")) {
		*out = text_json(idno_mask(idno, masked));
		return 0;
	}
	int rc = audit_append(txn, request_operator(rq), rq->uid, "member.reveal",
			      audit_member(idno), "conflicts");
	if (rc == 0)
		*out = text_json(idno);
	return rc;
}

static void conflict_status(json_t *o, bool resolved, const char *note, const char *by,
			    int64_t when_ms)
{
	json_object_set_new(o, "status", json_string(resolved ? "resolved" : "open"));
	json_object_set_new(o, "note", resolved ? text_json(note) : json_null());
	json_object_set_new(o, "resolved_by", resolved ? text_json(by) : json_null());
	json_object_set_new(o, "resolved", resolved ? view_time(when_ms) : json_null());
}

/*
 * The unrefunded paid receipts, for double payments: each receipt's key (its number), member and
 * months, in one arena, and the spans to sweep. Small: the receipts themselves are read again for
 * the pairs found only.
 */
struct paid_list {
	char *arena; /* NUL-ended keys and members */
	size_t len, cap;
	struct overlap_span *spans; /* owner set once the arena stops moving */
	size_t *keys, *owners;	    /* by index: the key's and the member's offsets in arena */
	size_t n, n_cap;
};

static void paid_list_free(struct paid_list *l)
{
	free(l->arena);
	free(l->spans);
	free(l->keys);
	free(l->owners);
}

/* Copy S (N bytes) into the arena with a NUL; *at is its offset. */
static int arena_add(struct paid_list *l, const void *s, size_t n, size_t *at)
{
	if (l->len + n + 1 > l->cap) {
		size_t cap = l->cap ? l->cap : 1 << 16;
		while (cap < l->len + n + 1)
			cap *= 2;
		char *p = realloc(l->arena, cap);
		if (!p)
			return -ENOMEM;
		l->arena = p;
		l->cap = cap;
	}
	memcpy(l->arena + l->len, s, n);
	l->arena[l->len + n] = '\0';
	*at = l->len;
	l->len += n + 1;
	return 0;
}

static int receipts_paid(struct store_txn *txn, struct paid_list *l)
{
	memset(l, 0, sizeof(*l));
	struct store_cursor *c;
	int rc = store_cursor_open(txn, TBL_RECEIPTS, &c);
	if (rc)
		return rc;
	struct store_val k, v;
	for (rc = store_cursor_get(c, STORE_FIRST, &k, &v); rc == 0;
	     rc = store_cursor_get(c, STORE_NEXT, &k, &v)) {
		Ld__Receipt *r = ld__receipt__unpack(NULL, v.len, v.data);
		if (!r || r->refunded || !r->paid) {
			if (r)
				ld__receipt__free_unpacked(r, NULL);
			continue;
		}
		if (l->n == l->n_cap) {
			size_t cap = l->n_cap ? 2 * l->n_cap : 256;
			struct overlap_span *spans = realloc(l->spans, cap * sizeof(*spans));
			if (spans)
				l->spans = spans;
			size_t *keys = spans ? realloc(l->keys, cap * sizeof(*keys)) : NULL;
			if (keys)
				l->keys = keys;
			size_t *owners = keys ? realloc(l->owners, cap * sizeof(*owners)) : NULL;
			if (owners)
				l->owners = owners;
			if (!owners) {
				ld__receipt__free_unpacked(r, NULL);
				rc = -ENOMEM;
				break;
			}
			l->n_cap = cap;
		}
		struct overlap_span *s = &l->spans[l->n];
		rc = arena_add(l, k.data, k.len, &l->keys[l->n]);
		if (rc == 0)
			rc = arena_add(l, r->member, strlen(r->member), &l->owners[l->n]);
		s->from = r->paid->from_month;
		s->to = r->paid->to_month;
		s->index = l->n;
		ld__receipt__free_unpacked(r, NULL);
		if (rc)
			break;
		l->n++;
	}
	store_cursor_close(c);
	for (size_t i = 0; i < l->n; i++)
		l->spans[i].owner = l->arena + l->owners[i];
	return rc == LD_ENOTFOUND ? 0 : rc;
}

/* The receipt whose key is the INDEX-th of L, read again. */
static int paid_get(struct store_txn *txn, const struct paid_list *l, size_t index,
		    Ld__Receipt **out)
{
	const char *key = l->arena + l->keys[index];
	struct store_val v;
	int rc = store_get(txn, TBL_RECEIPTS, key, strlen(key), &v);
	if (rc)
		return rc == LD_ENOTFOUND ? LD_ECORRUPT : rc;
	*out = ld__receipt__unpack(NULL, v.len, v.data);
	return *out && (*out)->paid ? 0 : LD_ECORRUPT;
}

/* The id of the double payment of receipts A and B: "D" and the two numbers in order. */
static void dues_id(const Ld__Receipt *a, const Ld__Receipt *b, char *out, size_t len)
{
	const char *x = a->paid->receipt, *y = b->paid->receipt;
	if (strcmp(x, y) > 0) {
		const char *t = x;
		x = y;
		y = t;
	}
	snprintf(out, len, "D%s+%s", x, y);
}

/*
 * The double payments of TXN: every pair of unrefunded receipts of one member with a month in
 * common, in the order comparing each receipt with each later one in the table finds them (as
 * `conflicts` listed them when it did that). FN is called with each pair's receipts (A before B in
 * the table) until it returns other than 0; that is returned.
 */
static int dues_pairs(struct store_txn *txn,
		      int (*fn)(void *ctx, const Ld__Receipt *a, const Ld__Receipt *b), void *ctx)
{
	struct paid_list l;
	int rc = receipts_paid(txn, &l);
	struct overlap_pair *pairs = NULL;
	size_t n_pairs = 0;
	if (rc == 0)
		rc = overlap_pairs(l.spans, l.n, &pairs, &n_pairs);
	for (size_t i = 0; i < n_pairs && rc == 0; i++) {
		Ld__Receipt *a = NULL, *b = NULL;
		rc = paid_get(txn, &l, pairs[i].a, &a);
		if (rc == 0)
			rc = paid_get(txn, &l, pairs[i].b, &b);
		if (rc == 0)
			rc = fn(ctx, a, b);
		if (a)
			ld__receipt__free_unpacked(a, NULL);
		if (b)
			ld__receipt__free_unpacked(b, NULL);
	}
	free(pairs);
	paid_list_free(&l);
	return rc;
}

struct dues_listing {
	struct request *rq;
	struct store_txn *txn;
	json_t *list;
};

/* One double payment as listed. */
static int dues_row(void *ctx, const Ld__Receipt *a, const Ld__Receipt *b)
{
	struct dues_listing *dl = ctx;
	struct request *rq = dl->rq;
	struct store_txn *txn = dl->txn;
	int32_t month =
	    a->paid->from_month > b->paid->from_month ? a->paid->from_month : b->paid->from_month;
	char m[LD_MONTH_LEN], detail[300], id[160];
	json_t *sa = site_name_json(rq, txn, a->site.data, a->site.len);
	json_t *sb = site_name_json(rq, txn, b->site.data, b->site.len);
	snprintf(detail, sizeof(detail),
		 "%s paid twice: receipt %s at %s and %s at %s; "
		 "refund one with liudong dues refund",
		 month_format(month, m), a->paid->receipt, json_string_value(sa), b->paid->receipt,
		 json_string_value(sb));
	dues_id(a, b, id, sizeof(id));
	json_t *member;
	int rc = member_json(rq, txn, a->member, &member);
	if (rc) {
		json_decref(sa);
		json_decref(sb);
		return rc;
	}
	json_t *o = json_pack("{s:s, s:s, s:o, s:o, s:s, s:s, s:[s,s]}", "id", id, "kind",
			      "dues.double-payment", "member", member, "origin", sa, "reason",
			      "a month paid at two sites", "detail", detail, "events",
			      a->paid->receipt, b->paid->receipt);
	json_decref(sb);
	if (!o)
		return -ENOMEM;
	conflict_status(o, false, NULL, NULL, 0);
	json_array_append_new(dl->list, o);
	return 0;
}

/*
 * Double payments: a month covered by two receipts, neither refunded (two sites collected while
 * apart). Kept, listed (open) until `dues refund` settles them.
 */
static int dues_conflicts(struct request *rq, struct store_txn *txn, json_t *list)
{
	struct dues_listing dl = {.rq = rq, .txn = txn, .list = list};
	return dues_pairs(txn, dues_row, &dl);
}

/* A quarantine row as listed. */
static int quarantine_row(struct request *rq, struct store_txn *txn, uint64_t key,
			  const Ld__Quarantined *q, json_t **out)
{
	struct daemon *d = rq->daemon;
	char id[32], ev[200], detail[600];
	bool ours = q->reported_by.len > 0;
	/* Ours: the event is this site's (origin = us), the peer named in reported_by refused it.
	 */
	json_t *origin = ours ? site_name_json(rq, txn, d->site_id, LD_SITE_ID_BYTES)
			      : site_name_json(rq, txn, q->origin.data, q->origin.len);
	json_t *reason = text_json(q->reason[0] ? q->reason : _("no reason given"));
	if (ours) {
		json_t *by = site_name_json(rq, txn, q->reported_by.data, q->reported_by.len);
		snprintf(detail, sizeof(detail), _("quarantined by %s: %s"), json_string_value(by),
			 json_string_value(reason));
		json_decref(by);
	} else {
		snprintf(detail, sizeof(detail), _("quarantined here: %s"),
			 json_string_value(reason));
	}
	snprintf(id, sizeof(id), "Q%llu", (unsigned long long)key);
	snprintf(ev, sizeof(ev), "%s:%llu", json_string_value(origin),
		 (unsigned long long)q->origin_seq);
	json_t *member;
	int rc = member_json(rq, txn, q->member, &member);
	if (rc) {
		json_decref(origin);
		json_decref(reason);
		return rc;
	}
	*out = json_pack("{s:s, s:o, s:o, s:o, s:o, s:o, s:[o], s:o}", "id", id, "kind",
			 q->kind[0] ? text_json(q->kind) : json_string("unknown"), "member", member,
			 "origin", origin, "reason", reason, "detail", text_json(detail), "events",
			 text_json(ev), "time", view_time(q->time_ms));
	if (!*out)
		return -ENOMEM;
	conflict_status(*out, q->resolved, q->resolution, q->resolved_by, q->resolved_ms);
	return 0;
}

int cmd_conflicts(struct request *rq, struct store_txn *txn)
{
	bool open_only = request_flag(rq, "open");
	json_t *list = json_array();
	json_object_set_new(rq->result, "conflicts", list);
	int rc = dues_conflicts(rq, txn, list);
	if (rc)
		return rc;
	struct store_cursor *c;
	if ((rc = store_cursor_open(txn, TBL_QUARANTINE, &c)))
		return rc;
	struct store_val k, v;
	for (rc = store_cursor_get(c, STORE_FIRST, &k, &v); rc == 0;
	     rc = store_cursor_get(c, STORE_NEXT, &k, &v)) {
		Ld__Quarantined *q = ld__quarantined__unpack(NULL, v.len, v.data);
		if (!q || k.len != 8) {
			if (q)
				ld__quarantined__free_unpacked(q, NULL);
			rc = LD_ECORRUPT;
			break;
		}
		json_t *row = NULL;
		if (!(open_only && q->resolved))
			rc = quarantine_row(rq, txn, store_u64_from(k.data), q, &row);
		ld__quarantined__free_unpacked(q, NULL);
		if (rc)
			break;
		if (row)
			json_array_append_new(list, row);
	}
	store_cursor_close(c);
	return rc == LD_ENOTFOUND ? 0 : rc;
}

/* 1 (to stop) if A and B are the double payment whose id is CTX. */
static int dues_match(void *ctx, const Ld__Receipt *a, const Ld__Receipt *b)
{
	char id[160];
	dues_id(a, b, id, sizeof(id));
	return strcmp(id, ctx) == 0;
}

/* Is ID an open double payment? 0 if so, LD_ENOTFOUND if none has that id. */
static int dues_conflict_find(struct store_txn *txn, const char *id)
{
	int rc = dues_pairs(txn, dues_match, (void *)id);
	return rc == 1 ? 0 : rc == 0 ? LD_ENOTFOUND : rc;
}

/* "Q<seq>": the seq into *key. LD_EINPUT if ID is not that. */
static int quarantine_key(const char *id, uint64_t *key)
{
	if (id[0] != 'Q' || id[1] < '1' || id[1] > '9' || strlen(id) > 21)
		return LD_EINPUT;
	char *end;
	errno = 0;
	unsigned long long k = strtoull(id + 1, &end, 10);
	if (errno || *end)
		return LD_EINPUT;
	*key = k;
	return 0;
}

int cmd_conflicts_resolve(struct request *rq, struct store_txn *txn)
{
	const char *id = request_arg(rq, 0);
	const char *note = request_param(rq, "note");
	if (!id || !note)
		return request_fail(rq, LD_EUSAGE,
				    "usage: liudong conflicts resolve ID --note TEXT");
	int rc = request_text(rq, "note", note, NOTE_MAX);
	if (rc)
		return rc;
	if (id[0] == 'D') {
		if (!strchr(id, '+') || strlen(id) > 150)
			return request_fail(rq, LD_EINPUT,
					    "'%s' is not a conflict id (D and two receipts joined "
					    "by +); see liudong conflicts",
					    id);
		rc = dues_conflict_find(txn, id);
		if (rc == LD_ENOTFOUND)
			return request_fail(rq, rc, "no conflict %s; see liudong conflicts", id);
		if (rc)
			return rc;
		return request_fail(rq, LD_EFORBIDDEN,
				    "conflict %s is a double payment: it is settled by refunding "
				    "one receipt with liudong dues refund",
				    id);
	}
	uint64_t key;
	if (quarantine_key(id, &key))
		return request_fail(rq, LD_EINPUT,
				    "'%s' is not a conflict id (Q and a number, or D and two "
				    "receipts); see liudong conflicts",
				    id);
	uint8_t k[8];
	store_u64_key(key, k);
	struct store_val v;
	rc = store_get(txn, TBL_QUARANTINE, k, sizeof(k), &v);
	if (rc == LD_ENOTFOUND)
		return request_fail(rq, rc, "no conflict %s; see liudong conflicts", id);
	if (rc)
		return rc;
	Ld__Quarantined *q = ld__quarantined__unpack(NULL, v.len, v.data);
	if (!q)
		return LD_ECORRUPT;
	if (q->resolved) {
		rc = request_fail(rq, LD_EALREADY, "conflict %s was resolved already by %s: %s", id,
				  q->resolved_by, q->resolution);
		ld__quarantined__free_unpacked(q, NULL);
		return rc;
	}
	/* Fields set here are borrowed: put back before the free. */
	char *old_resolution = q->resolution, *old_by = q->resolved_by;
	q->resolved = true;
	q->resolution = (char *)note;
	q->resolved_by = (char *)request_operator(rq);
	q->resolved_ms = view_now_ms();
	size_t len = ld__quarantined__get_packed_size(q);
	uint8_t *buf = malloc(len ? len : 1);
	rc = buf ? 0 : -ENOMEM;
	if (rc == 0) {
		ld__quarantined__pack(q, buf);
		rc = store_put(txn, TBL_QUARANTINE, k, sizeof(k), buf, len, 0);
	}
	free(buf);
	char detail[NOTE_MAX + 64];
	snprintf(detail, sizeof(detail), "%s: %s", id, note);
	if (rc == 0)
		rc = audit_append(txn, request_operator(rq), rq->uid, "conflict.resolve",
				  audit_member(q->member), detail);
	if (rc == 0) {
		json_t *row;
		rc = quarantine_row(rq, txn, key, q, &row);
		if (rc == 0) {
			json_object_update(rq->result, row);
			json_decref(row);
		}
	}
	q->resolution = old_resolution;
	q->resolved_by = old_by;
	ld__quarantined__free_unpacked(q, NULL);
	return rc;
}

int cmd_log(struct request *rq, struct store_txn *txn)
{
	const char *from_text = request_param(rq, "from");
	const char *limit_text = request_param(rq, "limit");
	char *end;
	unsigned long long from = 1, limit = 1000;
	if (from_text) {
		from = strtoull(from_text, &end, 10);
		if (!from_text[0] || *end)
			return request_fail(rq, LD_EINPUT, "--from must be a seq number");
	}
	if (limit_text) {
		limit = strtoull(limit_text, &end, 10);
		if (!limit_text[0] || *end || limit == 0)
			return request_fail(rq, LD_EINPUT, "--limit must be a positive number");
	}
	json_t *list = json_array();
	json_object_set_new(rq->result, "entries", list);
	struct store_cursor *c;
	int rc = store_cursor_open(txn, TBL_LOG, &c);
	if (rc)
		return rc;
	uint8_t key[8];
	store_u64_key(from, key);
	struct store_val k = {.data = key, .len = 8}, v;
	json_t *names = json_object(); /* origin id hex -> name, so peers are looked up once */
	for (rc = store_cursor_get(c, STORE_SET_RANGE, &k, &v); rc == 0 && limit > 0;
	     rc = store_cursor_get(c, STORE_NEXT, &k, &v), limit--) {
		uint64_t seq = store_u64_from(k.data);
		Ld__Event *ev;
		if ((rc = eventlog_read(txn, seq, NULL, &ev)))
			break;
		json_t *hex = ev->origin.len == LD_SITE_ID_BYTES ? view_hex(ev->origin.data, 32)
								 : json_string("?");
		json_t *name = json_object_get(names, json_string_value(hex));
		if (!name) {
			name = site_name_json(rq, txn, ev->origin.data, ev->origin.len);
			json_object_set_new(names, json_string_value(hex), name);
		}
		json_decref(hex);
		char masked[LD_IDNO_SIZE];
		json_array_append_new(
		    list, json_pack("{s:I, s:O, s:I, s:s, s:s, s:o}", "seq", (json_int_t)seq,
				    "origin", name ? name : json_null(), "origin_seq",
				    (json_int_t)ev->origin_seq, "kind", event_kind_name(ev->kind),
				    "member", ev->member[0] ? idno_mask(ev->member, masked) : "",
				    "date", view_date(ev->date)));
		ld__event__free_unpacked(ev, NULL);
	}
	json_decref(names);
	store_cursor_close(c);
	return rc == LD_ENOTFOUND || rc == 0 ? 0 : rc;
}
