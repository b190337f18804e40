/*
 * cmd_report.c: what needs doing and who is slipping: `due` (the rules with a clock, at this site)
 * and `stats` (counts for the department's reports).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "daemon.h"
#include "date.h"
#include "domain.h"
#include "eventlog.h"
#include "fold.h"
#include "idno.h"
#include "page.h"
#include "rules.h"
#include "sites.h"
#include "view.h"
#include "lderr.h"

static bool same(const ProtobufCBinaryData *a, const uint8_t *b)
{
	return a->len == LD_SITE_ID_BYTES && memcmp(a->data, b, LD_SITE_ID_BYTES) == 0;
}

static int32_t or_none(int32_t date)
{
	return date ? date : LD_DATE_NONE;
}

static int as_of_opt(struct request *rq, int32_t *out)
{
	const char *text = request_param(rq, "as-of");
	*out = date_today();
	if (text && date_parse(text, out) != 0)
		return request_fail(rq, LD_EINPUT,
				    "--as-of: '%s' is not a real date; use YYYY-MM-DD", text);
	return 0;
}

/* The facts the rules need about ST, from its state and the receipts, certificate and letter. */
static void gather(struct request *rq, struct store_txn *txn, const Ld__MemberState *st,
		   struct member_facts *f)
{
	const uint8_t *self = rq->daemon->site_id;
	memset(f, 0, sizeof(*f));
	f->outflow_here = site_is_outflow(st, self);
	f->inflow_here = site_is_inflow(st, self);
	f->checked_in = member_checked_in(st);
	f->away = member_stay_active(st);
	f->closed = !site_cares_for(st, self); /* transferred, removed, or his stay here ended */
	if (st->outflow) {
		f->fixed_place = st->outflow->fixed_place;
		f->from = st->outflow->from;
	}
	f->probationary = member_probationary(st);
	f->probation_end = member_probation_end(st, rq->rules.probation_months);
	f->last_attended = or_none(st->last_attended);
	f->last_report = or_none(st->last_report);
	f->last_contact = or_none(st->last_contact);
	if (st->checkin_date)
		f->last_contact =
		    f->last_contact == LD_DATE_NONE || st->checkin_date > f->last_contact
			? st->checkin_date
			: f->last_contact;
	int32_t paid = INT32_MIN;
	for (size_t i = 0; i < st->n_receipts; i++) {
		struct store_val v;
		if (store_get(txn, TBL_RECEIPTS, st->receipts[i], strlen(st->receipts[i]), &v) != 0)
			continue;
		Ld__Receipt *r = ld__receipt__unpack(NULL, v.len, v.data);
		if (r && !r->refunded && r->paid && r->paid->to_month > paid)
			paid = r->paid->to_month;
		if (r)
			ld__receipt__free_unpacked(r, NULL);
	}
	/* Months approved at 0 (免交) are settled as if paid. */
	f->paid_month = member_dues_settled_month(
	    st, paid, st->outflow ? month_of_date(st->outflow->from) : INT32_MIN);
	Ld__CertState *c;
	if (st->certificate[0] && cert_state_get(txn, st->certificate, &c) == 0) {
		if (!c->revoked && cert_valid_until(c) != LD_DATE_NONE) {
			f->has_cert = true;
			f->cert_valid_until = cert_valid_until(c);
			f->cert_reviewed = cert_last_review(c);
		}
		ld__cert_state__free_unpacked(c, NULL);
	}
	if (st->transfer[0] && !f->closed) {
		struct store_val v;
		if (store_get(txn, TBL_LETTERS, st->transfer, strlen(st->transfer), &v) == 0) {
			Ld__Transfer *t = ld__transfer__unpack(NULL, v.len, v.data);
			Ld__TransferLetter *l =
			    t ? ld__transfer_letter__unpack(NULL, t->letter.len, t->letter.data)
			      : NULL;
			if (l) {
				f->transfer_open = true;
				f->transfer_issued = l->issued;
				ld__transfer_letter__free_unpacked(l, NULL);
			}
			if (t)
				ld__transfer__free_unpacked(t, NULL);
		}
	}
}

/*
 * The reminders of a page: small structs, their details in one growing text arena, then written
 * out as JSON text in one pass (an office of 100,000 members has some 200,000 reminders, in some
 * 200 pages: building them as JSON objects would cost more than finding them).
 */
struct due_item {
	const char *kind; /* static */
	char member[LD_IDNO_SIZE];
	int32_t since;
	size_t detail; /* offset in the arena */
};

struct text {
	char *p;
	size_t len, cap;
	bool failed;
};

struct due_list {
	struct due_item *items;
	size_t n, cap;
	struct text arena;
	bool failed;
};

static void text_add(struct text *t, const char *s, size_t n)
{
	if (t->failed)
		return;
	if (t->len + n + 1 > t->cap) {
		size_t cap = t->cap ? t->cap : 4096;
		while (cap < t->len + n + 1)
			cap *= 2;
		char *p = realloc(t->p, cap);
		if (!p) {
			t->failed = true;
			return;
		}
		t->p = p;
		t->cap = cap;
	}
	memcpy(t->p + t->len, s, n);
	t->len += n;
	t->p[t->len] = '\0';
}

static void text_str(struct text *t, const char *s)
{
	text_add(t, s, strlen(s));
}

/* S as a JSON string literal (UTF-8 passes as is; quotes, backslashes, controls escaped). */
static void text_json_string(struct text *t, const char *s)
{
	text_add(t, "\"", 1);
	const char *run = s;
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		text_add(t, run, (size_t)(s - run));
		char esc[8];
		snprintf(esc, sizeof(esc), c == '"' ? "\\\"" : c == '\\' ? "\\\\" : "\\u%04x", c);
		text_str(t, esc);
		run = s + 1;
	}
	text_add(t, run, (size_t)(s - run));
	text_add(t, "\"", 1);
}

static void add_reminder(struct due_list *l, const char *kind, const char *member, int32_t since,
			 const char *detail)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 1024;
		struct due_item *items = realloc(l->items, cap * sizeof(*items));
		if (!items) {
			l->failed = true;
			return;
		}
		l->items = items;
		l->cap = cap;
	}
	struct due_item *it = &l->items[l->n++];
	it->kind = kind;
	snprintf(it->member, sizeof(it->member), "%s", member);
	it->since = since;
	it->detail = l->arena.len;
	text_add(&l->arena, detail, strlen(detail) + 1); /* with its NUL */
}

/* Site-level rules: 3+ full members at one place with no temporary branch; the 27th. */
struct place_group {
	uint8_t inflow[LD_SITE_ID_BYTES];
	char inflow_name[LD_NAME_MAX];
	char place[256]; /* as the first of them was registered: others may write it otherwise */
	unsigned members;
	unsigned in_temp_branch; /* how many of them are in a temporary branch already */
	int32_t since;		 /* the day the last of them left */
};

/* CODE names a temporary branch of this site. */
static bool temporary_branch(struct store_txn *txn, const char *code)
{
	Ld__BranchInfo *b;
	if (!code || !code[0] || branch_get(txn, code, &b) != 0)
		return false;
	bool temporary = b->temporary;
	ld__branch_info__free_unpacked(b, NULL);
	return temporary;
}

struct branch_group {
	char branch[64];
	unsigned members;
	bool met; /* a meeting this month */
};

/* Oldest first; then by kind, member and detail: a total order, the same on every page. */
static int cmp_reminder_in(const void *a, const void *b, const char *arena)
{
	const struct due_item *x = a, *y = b;
	if (x->since != y->since)
		return x->since < y->since ? -1 : 1;
	int c = strcmp(x->kind, y->kind);
	if (!c)
		c = strcmp(x->member, y->member);
	return c ? c : strcmp(arena + x->detail, arena + y->detail);
}

static void sort_reminders(struct due_list *l, size_t from)
{
	/* Insertion sort: a member raises at most RULES_MAX_REMINDERS; the site's few sort once. */
	for (size_t i = from + 1; i < l->n; i++) {
		struct due_item it = l->items[i];
		size_t j = i;
		while (j > from && cmp_reminder_in(&l->items[j - 1], &it, l->arena.p) > 0) {
			l->items[j] = l->items[j - 1];
			j--;
		}
		l->items[j] = it;
	}
}

/* What a reminder's row takes in the answer, about: for the page's byte bound. */
static size_t reminder_bytes(const char *detail)
{
	return 80 + 2 * strlen(detail);
}

/*
 * The member rules, a page: the reminders of each member after the one whose key is KEY (KEY_LEN
 * bytes; none: from the first), in identity-number order, each member's oldest first, into LIST
 * until PG is full. KEY is left on the last member taken. Returns 0 if there are members after
 * it, LD_ENOTFOUND if not, or another error.
 */
static int due_members(struct request *rq, struct store_txn *txn, int32_t as_of, struct page *pg,
		       char *key, size_t *key_len, struct due_list *list)
{
	struct store_cursor *c;
	int rc = store_cursor_open(txn, TBL_MEMBERS, &c);
	if (rc)
		return rc;
	bool after = *key_len > 0;
	struct store_val k = {.data = key, .len = *key_len}, v;
	rc = store_cursor_get(c, after ? STORE_SET_RANGE : STORE_FIRST, &k, &v);
	if (rc == 0 && after && k.len == *key_len && memcmp(k.data, key, k.len) == 0)
		rc = store_cursor_get(c, STORE_NEXT, &k, &v);
	for (; rc == 0 && !page_full(pg); rc = store_cursor_get(c, STORE_NEXT, &k, &v)) {
		if (k.len > PAGE_KEY_MAX) {
			rc = LD_ECORRUPT;
			break;
		}
		memcpy(key, k.data, k.len);
		*key_len = k.len;
		pg->scanned++;
		Ld__MemberState *st = ld__member_state__unpack(NULL, v.len, v.data);
		if (!st || !st->info) {
			if (st)
				ld__member_state__free_unpacked(st, NULL);
			continue;
		}
		struct member_facts f;
		gather(rq, txn, st, &f);
		if (f.outflow_here || f.inflow_here) { /* else he moved on: not this site's */
			char masked[LD_IDNO_SIZE];
			idno_mask(st->info->id, masked);
			struct reminder out[RULES_MAX_REMINDERS];
			size_t n = rules_member(&rq->rules, &f, as_of, out, RULES_MAX_REMINDERS);
			size_t from = list->n;
			for (size_t i = 0; i < n; i++) {
				add_reminder(list, out[i].kind, masked, out[i].since,
					     out[i].detail);
				page_take(pg, reminder_bytes(out[i].detail));
			}
			if (!list->failed && !list->arena.failed)
				sort_reminders(list, from);
		}
		ld__member_state__free_unpacked(st, NULL);
	}
	store_cursor_close(c);
	return rc;
}

/*
 * The site rules (3+ full members at one place with no temporary branch; the 27th) over all the
 * members, into LIST, sorted. They need every member, so every page of them reads the members
 * again (only their state: none of the receipts, certificates and letters the member rules read).
 * What this holds grows with the places and branches, not with the members.
 */
static int due_site(struct request *rq, struct store_txn *txn, int32_t as_of, struct due_list *list)
{
	const struct rules *rules = &rq->rules;
	const uint8_t *self = rq->daemon->site_id;
	struct place_group *places = NULL;
	size_t n_places = 0;
	struct branch_group *branches = NULL;
	size_t n_branches = 0;
	struct store_cursor *c;
	int rc = store_cursor_open(txn, TBL_MEMBERS, &c);
	if (rc)
		return rc;
	struct store_val k, v;
	for (rc = store_cursor_get(c, STORE_FIRST, &k, &v); rc == 0;
	     rc = store_cursor_get(c, STORE_NEXT, &k, &v)) {
		Ld__MemberState *st = ld__member_state__unpack(NULL, v.len, v.data);
		if (!st || !st->info) {
			if (st)
				ld__member_state__free_unpacked(st, NULL);
			continue;
		}
		bool outflow_here = site_is_outflow(st, self);
		bool inflow_here = site_is_inflow(st, self);
		bool closed = !site_cares_for(st, self);
		/* One destination: one inflow site, places written alike (place_same). */
		if (outflow_here && member_stay_active(st) && !closed && !member_probationary(st)) {
			const Ld__OutflowInfo *of = st->outflow;
			size_t i = 0;
			while (i < n_places && !(same(&of->inflow_site, places[i].inflow) &&
						 place_same(places[i].place, of->place)))
				i++;
			if (i == n_places) {
				struct place_group *g =
				    realloc(places, (n_places + 1) * sizeof(*g));
				if (g) {
					places = g;
					g = &places[n_places++];
					memset(g, 0, sizeof(*g));
					memcpy(g->inflow, of->inflow_site.data, LD_SITE_ID_BYTES);
					snprintf(g->inflow_name, sizeof(g->inflow_name), "%s",
						 of->inflow_name);
					snprintf(g->place, sizeof(g->place), "%s", of->place);
				}
			}
			if (i < n_places) {
				places[i].members++;
				if (of->from > places[i].since)
					places[i].since = of->from;
				/* Put in a temporary branch here (branch join), or formally of one.
				 */
				if (temporary_branch(txn, st->temp_branch) ||
				    temporary_branch(txn, st->info->branch))
					places[i].in_temp_branch++;
			}
		}
		if (inflow_here && member_checked_in(st) && !closed && st->checkin) {
			size_t i = 0;
			while (i < n_branches &&
			       strcmp(branches[i].branch, st->checkin->branch) != 0)
				i++;
			if (i == n_branches) {
				struct branch_group *g =
				    realloc(branches, (n_branches + 1) * sizeof(*g));
				if (g) {
					branches = g;
					memset(&branches[n_branches], 0, sizeof(*branches));
					snprintf(branches[n_branches].branch,
						 sizeof(branches[n_branches].branch), "%s",
						 st->checkin->branch);
					n_branches++;
				}
			}
			if (i < n_branches)
				branches[i].members++;
		}
		ld__member_state__free_unpacked(st, NULL);
	}
	store_cursor_close(c);
	for (size_t i = 0; i < n_places; i++) {
		const struct place_group *g = &places[i];
		if (g->members < (unsigned)rules->temp_branch_members ||
		    g->in_temp_branch == g->members)
			continue;
		char detail[400];
		if (g->in_temp_branch == 0)
			snprintf(detail, sizeof(detail),
				 "%u full members at %s (%s) and no temporary branch: "
				 "form one (临时党支部; liudong branch add --temporary, "
				 "liudong branch join)",
				 g->members, g->place, g->inflow_name);
		else
			snprintf(detail, sizeof(detail),
				 "%u full members at %s (%s), %u of them in no temporary branch: "
				 "put them in one (liudong branch join)",
				 g->members, g->place, g->inflow_name,
				 g->members - g->in_temp_branch);
		add_reminder(list, "temp-branch", "", g->since, detail);
	}
	/* The 27th: each inflow branch with mobile members that has not met this month. */
	int y, m, day;
	date_to_ymd(as_of, &y, &m, &day);
	int32_t life_day = date_from_ymd(y, m, rules->org_life_day);
	if (n_branches && day >= rules->org_life_day) {
		struct store_cursor *mc;
		if (store_cursor_open(txn, TBL_MEETINGS, &mc) == 0) {
			for (int r2 = store_cursor_get(mc, STORE_FIRST, &k, &v); r2 == 0;
			     r2 = store_cursor_get(mc, STORE_NEXT, &k, &v)) {
				Ld__Meeting *mt = ld__meeting__unpack(NULL, v.len, v.data);
				if (!mt)
					continue;
				int my, mm;
				date_to_ymd(mt->date, &my, &mm, NULL);
				for (size_t i = 0; i < n_branches; i++)
					if (my == y && mm == m &&
					    strcmp(mt->branch, branches[i].branch) == 0)
						branches[i].met = true;
				ld__meeting__free_unpacked(mt, NULL);
			}
			store_cursor_close(mc);
		}
		for (size_t i = 0; i < n_branches; i++) {
			if (branches[i].met)
				continue;
			char detail[300];
			snprintf(detail, sizeof(detail),
				 "branch %s: %u mobile member(s); no "
				 "organizational life recorded this month (the %dth is the day)",
				 branches[i].branch, branches[i].members, rules->org_life_day);
			add_reminder(list, "org-life-day", "", life_day, detail);
		}
	}
	free(places);
	free(branches);
	if (rc != LD_ENOTFOUND)
		return rc;
	if (list->failed || list->arena.failed)
		return -ENOMEM;
	sort_reminders(list, 0);
	return 0;
}

/* Append LIST's reminders FROM..TO to OUT as JSON objects, comma-separated after *n written. */
static void due_write(struct text *out, const struct due_list *list, size_t from, size_t to,
		      size_t *n)
{
	char text_day[LD_DATE_LEN];
	for (size_t i = from; i < to; i++) {
		const struct due_item *it = &list->items[i];
		text_str(out, (*n)++ ? ",{\"kind\":\"" : "{\"kind\":\"");
		text_str(out, it->kind);
		text_str(out, "\",\"member\":\"");
		text_str(out, it->member);
		text_str(out, "\",\"since\":\"");
		text_str(out, date_format(it->since, text_day));
		text_str(out, "\",\"detail\":");
		text_json_string(out, list->arena.p + it->detail);
		text_add(out, "}", 1);
	}
}

static void due_list_free(struct due_list *l)
{
	free(l->items);
	free(l->arena.p);
}

/*
 * `due`, a page at a time (page.h): first the member rules, member by member in identity-number
 * order (cursor 'D' and the last member's key: a member's reminders are never split between
 * pages), then the site rules (cursor 'S' and how many of them the pages before held), each part
 * oldest first.
 */
int cmd_due(struct request *rq, struct store_txn *txn)
{
	int32_t as_of;
	int rc = as_of_opt(rq, &as_of);
	if (rc)
		return rc;
	struct page pg;
	if ((rc = page_begin(rq, &pg)))
		return rc;
	const char *after = request_param(rq, "after");
	char key[PAGE_KEY_MAX], tag = 'D';
	size_t key_len = 0;
	if (after && (rc = page_open(rq, after, &tag, key, sizeof(key), &key_len)))
		return rc;
	uint64_t site_skip = 0;
	if (after && tag == 'S' && key_len == 8) {
		memcpy(&site_skip, key, 8);
	} else if (after && tag != 'D') {
		return request_fail(rq, LD_EINPUT, "that listing's place (after) is not due's");
	}
	struct due_list list = {0}, site = {0};
	struct text out = {0};
	char text_day[LD_DATE_LEN], head[96], next[PAGE_CURSOR_LEN] = "";
	snprintf(head, sizeof(head), "{\"as_of\":\"%s\",\"reminders\":[",
		 date_format(as_of, text_day));
	text_str(&out, head);
	size_t written = 0;
	if (tag == 'D') {
		rc = due_members(rq, txn, as_of, &pg, key, &key_len, &list);
		if (list.failed || list.arena.failed)
			rc = -ENOMEM;
		if (rc == 0)
			rc = page_seal('D', key, key_len, next, sizeof(next));
		else if (rc == LD_ENOTFOUND)
			rc = 0, tag = 'S'; /* the members are done: the site rules, here if room */
		due_write(&out, &list, 0, list.n, &written);
	}
	if (rc == 0 && tag == 'S') {
		if (page_full(&pg)) { /* the members filled this page: the site rules on the next */
			uint64_t skip = 0;
			rc = page_seal('S', &skip, sizeof(skip), next, sizeof(next));
		} else if ((rc = due_site(rq, txn, as_of, &site)) == 0) {
			size_t from = site_skip < site.n ? (size_t)site_skip : site.n, i = from;
			for (; i < site.n && !page_full(&pg); i++)
				page_take(&pg, reminder_bytes(site.arena.p + site.items[i].detail));
			due_write(&out, &site, from, i, &written);
			uint64_t skip = i;
			if (i < site.n)
				rc = page_seal('S', &skip, sizeof(skip), next, sizeof(next));
		}
	}
	due_list_free(&list);
	due_list_free(&site);
	if (rc == 0) {
		text_str(&out, "],\"next\":");
		if (next[0]) {
			text_add(&out, "\"", 1);
			text_str(&out, next);
			text_add(&out, "\"", 1);
		} else {
			text_str(&out, "null");
		}
		text_add(&out, "}", 1);
	}
	if (rc == 0 && out.failed)
		rc = -ENOMEM;
	if (rc) {
		free(out.p);
		return rc;
	}
	rq->raw_json = out.p;
	return 0;
}

/* counts[key]++ in a JSON object of integers. */
static void count(json_t *counts, const char *key, json_int_t by)
{
	json_t *v = json_object_get(counts, key);
	json_object_set_new(counts, key, json_integer((v ? json_integer_value(v) : 0) + by));
}

int cmd_stats(struct request *rq, struct store_txn *txn)
{
	int32_t as_of;
	int rc = as_of_opt(rq, &as_of);
	if (rc)
		return rc;
	json_t *by_state = json_object(), *by_dest = json_object(), *by_reason = json_object();
	json_t *certs = json_pack("{s:i, s:i, s:i}", "active", 0, "expired", 0, "revoked", 0);
	json_t *dues = json_object(), *attendance = json_object();
	json_object_set_new(rq->result, "as_of", view_date(as_of));
	json_object_set_new(rq->result, "members_by_state", by_state);
	json_object_set_new(rq->result, "members_by_destination", by_dest);
	json_object_set_new(rq->result, "members_by_reason", by_reason);
	json_object_set_new(rq->result, "certificates", certs);
	struct store_cursor *c;
	struct store_val k, v;
	if ((rc = store_cursor_open(txn, TBL_MEMBERS, &c)))
		goto out;
	for (rc = store_cursor_get(c, STORE_FIRST, &k, &v); rc == 0;
	     rc = store_cursor_get(c, STORE_NEXT, &k, &v)) {
		Ld__MemberState *st = ld__member_state__unpack(NULL, v.len, v.data);
		if (!st)
			continue;
		count(by_state, location_name(member_location(st)), 1);
		if (member_stay_active(st)) {
			count(by_dest, st->outflow->inflow_name, 1);
			count(by_reason, st->outflow->reason, 1);
		}
		ld__member_state__free_unpacked(st, NULL);
	}
	store_cursor_close(c);
	if ((rc = store_cursor_open(txn, TBL_CERTS, &c)))
		goto out;
	for (rc = store_cursor_get(c, STORE_FIRST, &k, &v); rc == 0;
	     rc = store_cursor_get(c, STORE_NEXT, &k, &v)) {
		Ld__CertState *cs = ld__cert_state__unpack(NULL, v.len, v.data);
		Ld__CertificateBody *b =
		    cs ? ld__certificate_body__unpack(NULL, cs->signed_->body.len,
						      cs->signed_->body.data)
		       : NULL;
		if (b)
			count(certs,
			      cs->revoked		     ? "revoked"
			      : cert_valid_until(cs) < as_of ? "expired"
							     : "active",
			      1);
		if (b)
			ld__certificate_body__free_unpacked(b, NULL);
		if (cs)
			ld__cert_state__free_unpacked(cs, NULL);
	}
	store_cursor_close(c);
	/* Dues collected here, by the month they were paid in (refunds excluded). */
	if ((rc = store_cursor_open(txn, TBL_RECEIPTS, &c)))
		goto out;
	for (rc = store_cursor_get(c, STORE_FIRST, &k, &v); rc == 0;
	     rc = store_cursor_get(c, STORE_NEXT, &k, &v)) {
		Ld__Receipt *r = ld__receipt__unpack(NULL, v.len, v.data);
		if (r && r->paid && !r->refunded && same(&r->site, rq->daemon->site_id)) {
			char m[LD_MONTH_LEN];
			month_format(month_of_date(r->date), m);
			count(dues, m, r->paid->amount_fen);
		}
		if (r)
			ld__receipt__free_unpacked(r, NULL);
	}
	store_cursor_close(c);
	json_t *dues_list = json_array();
	const char *key;
	json_t *val;
	json_object_foreach(dues, key, val)
	{
		json_array_append_new(dues_list,
				      json_pack("{s:s, s:O}", "month", key, "collected_fen", val));
	}
	json_object_set_new(rq->result, "dues_by_month", dues_list);
	/* Attendance at meetings held here: present / recorded, by branch. */
	if ((rc = store_cursor_open(txn, TBL_MEETINGS, &c)))
		goto out;
	json_t *meeting_branch = json_object();
	for (rc = store_cursor_get(c, STORE_FIRST, &k, &v); rc == 0;
	     rc = store_cursor_get(c, STORE_NEXT, &k, &v)) {
		Ld__Meeting *m = ld__meeting__unpack(NULL, v.len, v.data);
		if (m) {
			json_object_set_new(meeting_branch, m->id, json_string(m->branch));
			json_t *b = json_object_get(attendance, m->branch);
			if (!b)
				json_object_set_new(attendance, m->branch,
						    json_pack("{s:i, s:i, s:i}", "meetings", 0,
							      "present", 0, "excused", 0));
			count(json_object_get(attendance, m->branch), "meetings", 1);
			ld__meeting__free_unpacked(m, NULL);
		}
	}
	store_cursor_close(c);
	if ((rc = store_cursor_open(txn, TBL_MEMBERS, &c)))
		goto out_meetings;
	for (rc = store_cursor_get(c, STORE_FIRST, &k, &v); rc == 0;
	     rc = store_cursor_get(c, STORE_NEXT, &k, &v)) {
		Ld__MemberState *st = ld__member_state__unpack(NULL, v.len, v.data);
		for (size_t i = 0; st && i < st->n_history; i++) {
			Ld__Event *ev;
			if (eventlog_read(txn, st->history[i], NULL, &ev) != 0)
				continue;
			if (ev->kind == LD__EVENT_KIND__ATTENDANCE && ev->attendance &&
			    ev->attendance->meeting && same(&ev->origin, rq->daemon->site_id)) {
				json_t *b =
				    json_object_get(attendance, ev->attendance->meeting->branch);
				if (b)
					count(b, ev->attendance->present ? "present" : "excused",
					      1);
			}
			ld__event__free_unpacked(ev, NULL);
		}
		if (st)
			ld__member_state__free_unpacked(st, NULL);
	}
	store_cursor_close(c);
	json_t *att_list = json_array();
	json_object_foreach(attendance, key, val)
	{
		json_int_t p = json_integer_value(json_object_get(val, "present"));
		json_int_t e = json_integer_value(json_object_get(val, "excused"));
		json_t *row =
		    json_pack("{s:s, s:O, s:I, s:I}", "branch", key, "meetings",
			      json_object_get(val, "meetings"), "present", p, "excused", e);
		json_object_set_new(row, "rate_percent",
				    p + e ? json_real(100.0 * (double)p / (double)(p + e))
					  : json_null());
		json_array_append_new(att_list, row);
	}
	json_object_set_new(rq->result, "attendance_by_branch", att_list);
out_meetings:
	json_decref(meeting_branch);
out:
	json_decref(dues);
	json_decref(attendance);
	return rc == LD_ENOTFOUND ? 0 : rc;
}
