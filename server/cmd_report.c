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
#include "i18n.h"
#include "domain.h"
#include "eventlog.h"
#include "fold.h"
#include "idno.h"
#include "page.h"
#include "pballoc.h"
#include "rules.h"
#include "service_util.h"
#include "sites.h"
#include "textbuf.h"
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
	if (text)
		return request_date(rq, "--as-of", text, out);
	return 0;
}

/* The facts the rules need about ST as of AS_OF, from its state and the receipts, certificate and
 * letter. */
static void gather(struct request *rq, struct store_txn *txn, const Ld__MemberState *st,
		   int32_t as_of, ProtobufCAllocator *arena, struct member_facts *f)
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
	f->last_visit = or_none(st->last_visit);
	if (st->checkin_date)
		f->last_contact =
		    f->last_contact == LD_DATE_NONE || st->checkin_date > f->last_contact
			? st->checkin_date
			: f->last_contact;
	/* The months his receipts pay for; those approved at 0 (免交) are settled as if paid. */
	struct month_span some[64], *paid = some;
	size_t n_paid = 0;
	if (st->n_receipts > sizeof(some) / sizeof(some[0]) &&
	    !(paid = malloc(st->n_receipts * sizeof(*paid))))
		paid = some; /* out of memory: the first receipts only */
	size_t cap = paid == some ? sizeof(some) / sizeof(some[0]) : st->n_receipts;
	for (size_t i = 0; i < st->n_receipts && n_paid < cap; i++) {
		struct store_val v;
		if (store_get(txn, TBL_RECEIPTS, st->receipts[i], strlen(st->receipts[i]), &v) != 0)
			continue;
		Ld__Receipt *r = ld__receipt__unpack(arena, v.len, v.data);
		if (r && !r->refunded && r->paid)
			paid[n_paid++] =
			    (struct month_span){r->paid->from_month, r->paid->to_month};
		if (r)
			ld__receipt__free_unpacked(r, arena);
	}
	f->paid_month = member_dues_settled_month(
	    st, paid, n_paid, st->outflow ? month_of_date(st->outflow->from) : INT32_MIN,
	    month_of_date(as_of));
	if (paid != some)
		free(paid);
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

struct due_list {
	struct due_item *items;
	size_t n, cap;
	struct textbuf arena;
	bool failed;
};

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
	size_t len = strnlen(member, sizeof(it->member) - 1);
	memcpy(it->member, member, len);
	it->member[len] = '\0';
	it->since = since;
	it->detail = l->arena.len;
	textbuf_add(&l->arena, detail, strlen(detail) + 1); /* with its NUL */
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

/*
 * Which branches of this site are temporary: looked up once each per request (a site has tens of
 * branches; the site rules ask for each of 100,000 members).
 */
#define BRANCH_CACHE 64
struct branch_cache {
	char code[BRANCH_CACHE][33];
	bool temporary[BRANCH_CACHE];
	size_t n;
};

/* CODE names a temporary branch of this site. */
static bool temporary_branch(struct store_txn *txn, struct branch_cache *cache, const char *code)
{
	if (!code || !code[0])
		return false;
	for (size_t i = 0; i < cache->n; i++)
		if (strcmp(cache->code[i], code) == 0)
			return cache->temporary[i];
	Ld__BranchInfo *b;
	bool temporary = false;
	if (branch_get(txn, code, &b) == 0) {
		temporary = b->temporary;
		ld__branch_info__free_unpacked(b, NULL);
	}
	if (cache->n < BRANCH_CACHE && strlen(code) < sizeof(cache->code[0])) {
		strcpy(cache->code[cache->n], code);
		cache->temporary[cache->n++] = temporary;
	}
	return temporary;
}

struct branch_group {
	char branch[64];
	unsigned members;
	bool met; /* a meeting this month */
};

/*
 * The site rules' tallies: members by place and by branch. They need every member: counted as the
 * pages of members go and carried from page to page in the cursor (sealed), so the site rules
 * read no member again, unless the tallies outgrow the cursor (members at very many places).
 */
struct site_tally {
	struct place_group *places;
	size_t n_places;
	struct branch_group *branches;
	size_t n_branches;
	struct branch_cache cache; /* not carried */
	bool failed;
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

static void tally_member(struct request *rq, struct store_txn *txn, const Ld__MemberState *st,
			 struct site_tally *t);

/* What a reminder's row takes in the answer, about: for the page's byte bound. */
static size_t reminder_bytes(const char *detail)
{
	return 80 + 2 * strlen(detail);
}

/*
 * The member rules, a page: the reminders of each member after the one whose key is KEY (KEY_LEN
 * bytes; none: from the first), in identity-number order, each member's oldest first, into LIST
 * until PG is full; each member counted into TALLY for the site rules. KEY is left on the last
 * member taken. Returns 0 if there are members after it, LD_ENOTFOUND if not, or another error.
 */
static int due_members(struct request *rq, struct store_txn *txn, int32_t as_of, struct page *pg,
		       char *key, size_t *key_len, struct due_list *list, struct site_tally *tally)
{
	struct store_cursor *c;
	int rc = store_cursor_open(txn, TBL_MEMBERS, &c);
	if (rc)
		return rc;
	bool after = *key_len > 0;
	struct store_val k = {.data = key, .len = *key_len}, v;
	/* Each member unpacked into an arena on the stack, given back before the next: what is
	 * kept of him (the tally, the reminders) is copied. */
	unsigned char block[8192];
	struct pb_arena arena;
	pb_arena_init(&arena, block, sizeof(block));
	rc = store_cursor_get(c, after ? STORE_SET_RANGE : STORE_FIRST, &k, &v);
	if (rc == 0 && after && k.len == *key_len && memcmp(k.data, key, k.len) == 0)
		rc = store_cursor_get(c, STORE_NEXT, &k, &v);
	for (; rc == 0 && !page_full(pg); rc = store_cursor_get(c, STORE_NEXT, &k, &v)) {
		pb_arena_reset(&arena);
		if (k.len > PAGE_KEY_MAX) {
			rc = LD_ECORRUPT;
			break;
		}
		memcpy(key, k.data, k.len);
		*key_len = k.len;
		pg->scanned++;
		Ld__MemberState *st = ld__member_state__unpack(&arena.allocator, v.len, v.data);
		if (!st || !st->info)
			continue;
		tally_member(rq, txn, st, tally);
		struct member_facts f;
		gather(rq, txn, st, as_of, &arena.allocator, &f);
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
	}
	pb_arena_reset(&arena);
	store_cursor_close(c);
	return rc;
}

/*
 * The group of T at OF's place (T->n_places if none). A place written exactly as a group's (kept
 * whole) is that group's: no other group is place_same with it, or it would not have been made;
 * most are written so, and strcmp costs less than place_same.
 */
static size_t place_find(const struct site_tally *t, const Ld__OutflowInfo *of)
{
	if (strlen(of->place) < sizeof(t->places[0].place) - 1)
		for (size_t i = 0; i < t->n_places; i++)
			if (strcmp(t->places[i].place, of->place) == 0 &&
			    same(&of->inflow_site, t->places[i].inflow))
				return i;
	size_t i = 0;
	while (i < t->n_places && !(same(&of->inflow_site, t->places[i].inflow) &&
				    place_same(t->places[i].place, of->place)))
		i++;
	return i;
}

/* Count ST into T: his place if he is one of this site's full members away, his branch there if
 * he reported in here. */
static void tally_member(struct request *rq, struct store_txn *txn, const Ld__MemberState *st,
			 struct site_tally *t)
{
	const uint8_t *self = rq->daemon->site_id;
	bool closed = !site_cares_for(st, self);
	/* One destination: one inflow site, places written alike (place_same). */
	if (site_is_outflow(st, self) && member_stay_active(st) && !closed &&
	    !member_probationary(st)) {
		const Ld__OutflowInfo *of = st->outflow;
		size_t i = place_find(t, of);
		if (i == t->n_places) {
			struct place_group *g = realloc(t->places, (t->n_places + 1) * sizeof(*g));
			if (!g) {
				t->failed = true;
				return;
			}
			t->places = g;
			g = &t->places[t->n_places++];
			memset(g, 0, sizeof(*g));
			memcpy(g->inflow, of->inflow_site.data, LD_SITE_ID_BYTES);
			snprintf(g->inflow_name, sizeof(g->inflow_name), "%s", of->inflow_name);
			snprintf(g->place, sizeof(g->place), "%s", of->place);
		}
		t->places[i].members++;
		if (of->from > t->places[i].since)
			t->places[i].since = of->from;
		/* Put in a temporary branch here (branch join), or formally of one. */
		if (temporary_branch(txn, &t->cache, st->temp_branch) ||
		    temporary_branch(txn, &t->cache, st->info->branch))
			t->places[i].in_temp_branch++;
	}
	if (site_is_inflow(st, self) && member_checked_in(st) && !closed && st->checkin) {
		size_t i = 0;
		while (i < t->n_branches && strcmp(t->branches[i].branch, st->checkin->branch) != 0)
			i++;
		if (i == t->n_branches) {
			struct branch_group *g =
			    realloc(t->branches, (t->n_branches + 1) * sizeof(*g));
			if (!g) {
				t->failed = true;
				return;
			}
			t->branches = g;
			memset(&g[t->n_branches], 0, sizeof(*g));
			snprintf(g[t->n_branches].branch, sizeof(g->branch), "%s",
				 st->checkin->branch);
			t->n_branches++;
		}
		t->branches[i].members++;
	}
}

static void tally_free(struct site_tally *t)
{
	free(t->places);
	free(t->branches);
	t->places = NULL;
	t->branches = NULL;
	t->n_places = t->n_branches = 0;
}

/* Count every member into T (a fresh one): when the tally could not go along with the pages. */
static int tally_scan(struct request *rq, struct store_txn *txn, struct site_tally *t)
{
	struct store_cursor *c;
	int rc = store_cursor_open(txn, TBL_MEMBERS, &c);
	if (rc)
		return rc;
	struct store_val k, v;
	for (rc = store_cursor_get(c, STORE_FIRST, &k, &v); rc == 0 && !t->failed;
	     rc = store_cursor_get(c, STORE_NEXT, &k, &v)) {
		Ld__MemberState *st = ld__member_state__unpack(NULL, v.len, v.data);
		if (st && st->info)
			tally_member(rq, txn, st, t);
		if (st)
			ld__member_state__free_unpacked(st, NULL);
	}
	store_cursor_close(c);
	if (t->failed)
		return -ENOMEM;
	return rc == LD_ENOTFOUND ? 0 : rc;
}

/*
 * T as bytes after OUT's, for the cursor; false (OUT as it was) if they would pass MAX: a site
 * with members at very many places then counts them again at the end (tally_scan).
 */
static bool tally_pack(const struct site_tally *t, struct textbuf *out, size_t max)
{
	size_t start = out->len;
	uint32_t n = (uint32_t)t->n_places;
	textbuf_add(out, (const char *)&n, sizeof(n));
	for (size_t i = 0; i < t->n_places && out->len - start <= max; i++) {
		const struct place_group *g = &t->places[i];
		uint16_t name_len = (uint16_t)strlen(g->inflow_name),
			 place_len = (uint16_t)strlen(g->place);
		uint32_t nums[3] = {g->members, g->in_temp_branch, (uint32_t)g->since};
		textbuf_add(out, (const char *)g->inflow, sizeof(g->inflow));
		textbuf_add(out, (const char *)nums, sizeof(nums));
		textbuf_add(out, (const char *)&name_len, sizeof(name_len));
		textbuf_add(out, g->inflow_name, name_len);
		textbuf_add(out, (const char *)&place_len, sizeof(place_len));
		textbuf_add(out, g->place, place_len);
	}
	n = (uint32_t)t->n_branches;
	textbuf_add(out, (const char *)&n, sizeof(n));
	for (size_t i = 0; i < t->n_branches && out->len - start <= max; i++) {
		const struct branch_group *g = &t->branches[i];
		uint16_t len = (uint16_t)strlen(g->branch);
		uint32_t members = g->members;
		textbuf_add(out, (const char *)&len, sizeof(len));
		textbuf_add(out, g->branch, len);
		textbuf_add(out, (const char *)&members, sizeof(members));
	}
	if (out->failed || out->len - start > max) {
		out->len = start;
		return false;
	}
	return true;
}

/* Take LEN bytes at *p into OUT (CAP bytes with its NUL) if there are that many in *left. */
static bool take(const unsigned char **p, size_t *left, void *out, size_t len)
{
	if (len > *left)
		return false;
	memcpy(out, *p, len);
	*p += len;
	*left -= len;
	return true;
}

static bool take_text(const unsigned char **p, size_t *left, char *out, size_t cap)
{
	uint16_t len;
	if (!take(p, left, &len, sizeof(len)) || len >= cap || !take(p, left, out, len))
		return false;
	out[len] = '\0';
	return true;
}

/* T from tally_pack's bytes (sealed: made here). 0, -ENOMEM or LD_ECORRUPT. */
static int tally_unpack(const unsigned char *p, size_t left, struct site_tally *t)
{
	uint32_t n;
	if (!take(&p, &left, &n, sizeof(n)) || n > left)
		return LD_ECORRUPT;
	if (n && !(t->places = calloc(n, sizeof(*t->places))))
		return -ENOMEM;
	for (t->n_places = 0; t->n_places < n; t->n_places++) {
		struct place_group *g = &t->places[t->n_places];
		uint32_t nums[3];
		if (!take(&p, &left, g->inflow, sizeof(g->inflow)) ||
		    !take(&p, &left, nums, sizeof(nums)) ||
		    !take_text(&p, &left, g->inflow_name, sizeof(g->inflow_name)) ||
		    !take_text(&p, &left, g->place, sizeof(g->place)))
			return LD_ECORRUPT;
		g->members = nums[0];
		g->in_temp_branch = nums[1];
		g->since = (int32_t)nums[2];
	}
	if (!take(&p, &left, &n, sizeof(n)) || n > left)
		return LD_ECORRUPT;
	if (n && !(t->branches = calloc(n, sizeof(*t->branches))))
		return -ENOMEM;
	for (t->n_branches = 0; t->n_branches < n; t->n_branches++) {
		struct branch_group *g = &t->branches[t->n_branches];
		uint32_t members;
		if (!take_text(&p, &left, g->branch, sizeof(g->branch)) ||
		    !take(&p, &left, &members, sizeof(members)))
			return LD_ECORRUPT;
		g->members = members;
	}
	return left ? LD_ECORRUPT : 0;
}

/* service_due's reminders into a due_list. */
static void add_service_reminder(void *ctx, const char *kind, const char *member, int32_t since,
				 const char *detail)
{
	add_reminder(ctx, kind, member, since, detail);
}

/*
 * The site rules (3+ full members at one place with no temporary branch; the 27th) from T, the
 * tally of every member, into LIST, sorted.
 */
static int site_reminders(struct request *rq, struct store_txn *txn, int32_t as_of,
			  struct site_tally *t, struct due_list *list)
{
	const struct rules *rules = &rq->rules;
	for (size_t i = 0; i < t->n_places; i++) {
		const struct place_group *g = &t->places[i];
		if (g->members < (unsigned)rules->temp_branch_members ||
		    g->in_temp_branch == g->members)
			continue;
		char detail[400];
		if (g->in_temp_branch == 0)
			snprintf(detail, sizeof(detail),
				 _("%u full members at %s (%s) and no temporary branch: "
				   "form one (临时党支部; liudong branch add --temporary, "
				   "liudong branch join)"),
				 g->members, g->place, g->inflow_name);
		else
			snprintf(detail, sizeof(detail),
				 _("%u full members at %s (%s), %u of them in no temporary branch: "
				   "put them in one (liudong branch join)"),
				 g->members, g->place, g->inflow_name,
				 g->members - g->in_temp_branch);
		add_reminder(list, "temp-branch", "", g->since, detail);
	}
	/* The 27th: each inflow branch with mobile members that has not met this month. */
	int y, m, day;
	date_to_ymd(as_of, &y, &m, &day);
	int32_t life_day = date_from_ymd(y, m, rules->org_life_day);
	if (t->n_branches && day >= rules->org_life_day) {
		struct store_cursor *mc;
		struct store_val k, v;
		if (store_cursor_open(txn, TBL_MEETINGS, &mc) == 0) {
			for (int r2 = store_cursor_get(mc, STORE_FIRST, &k, &v); r2 == 0;
			     r2 = store_cursor_get(mc, STORE_NEXT, &k, &v)) {
				Ld__Meeting *mt = ld__meeting__unpack(NULL, v.len, v.data);
				if (!mt)
					continue;
				int my, mm;
				date_to_ymd(mt->date, &my, &mm, NULL);
				for (size_t i = 0; i < t->n_branches; i++)
					if (my == y && mm == m &&
					    strcmp(mt->branch, t->branches[i].branch) == 0)
						t->branches[i].met = true;
				ld__meeting__free_unpacked(mt, NULL);
			}
			store_cursor_close(mc);
		}
		for (size_t i = 0; i < t->n_branches; i++) {
			if (t->branches[i].met)
				continue;
			char detail[300];
			snprintf(detail, sizeof(detail),
				 _("branch %s: %u mobile member(s); no "
				   "organizational life recorded this month (the %dth is the day)"),
				 t->branches[i].branch, t->branches[i].members,
				 rules->org_life_day);
			add_reminder(list, "org-life-day", "", life_day, detail);
		}
	}
	/* The service centre: requests near or past their promised day, notices unanswered. */
	int rc = service_due(rq, txn, as_of, add_service_reminder, list);
	if (rc)
		return rc;
	if (list->failed || list->arena.failed)
		return -ENOMEM;
	sort_reminders(list, 0);
	return 0;
}

static char *put(char *p, const char *s, size_t n)
{
	memcpy(p, s, n);
	return p + n;
}

#define PUT(p, lit) put(p, lit, sizeof(lit) - 1)

/* Append LIST's reminders FROM..TO to OUT as JSON objects, comma-separated after *n written. */
static void due_write(struct textbuf *out, const struct due_list *list, size_t from, size_t to,
		      size_t *n)
{
	for (size_t i = from; i < to; i++) {
		const struct due_item *it = &list->items[i];
		size_t kind_len = strlen(it->kind), member_len = strlen(it->member);
		/* The row but its detail: 45 bytes of names and punctuation. */
		if (!textbuf_reserve(out, 64 + kind_len + member_len + LD_DATE_LEN))
			return;
		char *p = out->p + out->len;
		if ((*n)++)
			*p++ = ',';
		p = PUT(p, "{\"kind\":\"");
		p = put(p, it->kind, kind_len);
		p = PUT(p, "\",\"member\":\"");
		p = put(p, it->member, member_len);
		p = PUT(p, "\",\"since\":\"");
		date_format(it->since, p);
		p += LD_DATE_LEN - 1;
		p = PUT(p, "\",\"detail\":");
		out->len = (size_t)(p - out->p);
		textbuf_json_string(out, list->arena.p + it->detail);
		textbuf_add(out, "}", 1);
	}
}

static void due_list_free(struct due_list *l)
{
	free(l->items);
	free(l->arena.p);
}

/*
 * The rows of a page of `due` unless the request says (page.h's default is 1,000): its rows cost
 * little to write (text, no JSON objects), and what a page costs besides them (the cursor sealed
 * and opened, three threads woken) was a quarter of the whole with 1,000. PAGE_BYTES bounds it
 * still: some 5,300 reminders, 0.8 MB.
 */
#define DUE_PAGE_ROWS PAGE_ROWS_MAX

/*
 * `due`, a page at a time (page.h): first the member rules, member by member in identity-number
 * order (a member's reminders are never split between pages), then the site rules, each part
 * oldest first. The cursor, sealed: 'D', the last member's key (a byte of length, then it), then
 * whether the site tallies follow and they; or 'S', how many site reminders the pages before
 * held, whether the tallies follow and they.
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
	if (!request_param(rq, "limit"))
		pg.limit = DUE_PAGE_ROWS;
	const char *after = request_param(rq, "after");
	char key[PAGE_KEY_MAX], tag = 'D';
	size_t key_len = 0;
	uint64_t site_skip = 0;
	struct site_tally tally = {.n_places = 0};
	bool tallied = true; /* TALLY counts every member before the cursor */
	if (after) {
		unsigned char *data;
		size_t len;
		if ((rc = page_open(rq, after, &tag, &data, &len)))
			return rc;
		const unsigned char *p = data;
		size_t left = len, head = tag == 'D' ? (left ? 1u + p[0] : 1) : 8;
		bool ok = (tag == 'D' || tag == 'S') && left >= head + 1;
		if (ok && tag == 'D') {
			key_len = p[0];
			ok = key_len <= sizeof(key);
			if (ok)
				memcpy(key, p + 1, key_len);
		} else if (ok) {
			memcpy(&site_skip, p, 8);
		}
		if (ok) {
			tallied = p[head] != 0;
			rc = tallied ? tally_unpack(p + head + 1, left - head - 1, &tally) : 0;
		}
		free(data);
		if (!ok) {
			tally_free(&tally);
			return request_fail(rq, LD_EINPUT,
					    "that listing's place (after) is not due's");
		}
		if (rc) {
			tally_free(&tally);
			return rc;
		}
	}
	struct due_list list = {0}, site = {0};
	struct textbuf cursor = {0};
	char text_day[LD_DATE_LEN], head[96];
	char *next = NULL;
	size_t written = 0, site_from = 0, site_to = 0;
	if (tag == 'D') {
		rc = due_members(rq, txn, as_of, &pg, key, &key_len, &list, &tally);
		if (list.failed || list.arena.failed || tally.failed)
			rc = -ENOMEM;
		if (rc == 0) {
			uint8_t n = (uint8_t)key_len;
			textbuf_add(&cursor, (const char *)&n, 1);
			textbuf_add(&cursor, key, key_len);
		} else if (rc == LD_ENOTFOUND) {
			rc = 0, tag = 'S'; /* the members are done: the site rules, here if room */
		}
	}
	if (rc == 0 && tag == 'S') {
		if (!page_full(&pg)) {
			if (!tallied) {
				tally_free(&tally);
				rc = tally_scan(rq, txn, &tally);
				tallied = rc == 0;
			}
			if (rc == 0)
				rc = site_reminders(rq, txn, as_of, &tally, &site);
			size_t from = site_skip < site.n ? (size_t)site_skip : site.n, i = from;
			for (; rc == 0 && i < site.n && !page_full(&pg); i++)
				page_take(&pg, reminder_bytes(site.arena.p + site.items[i].detail));
			if (rc == 0) {
				site_from = from;
				site_to = i;
			}
			site_skip = i;
			if (rc == 0 && i >= site.n)
				tag = 0; /* the last page */
		}
		if (rc == 0 && tag == 'S') /* more site reminders, or the members filled the page */
			textbuf_add(&cursor, (const char *)&site_skip, sizeof(site_skip));
	}
	if (rc == 0 && tag) {
		uint8_t flag = 1;
		textbuf_add(&cursor, (const char *)&flag, 1);
		if (!tallied || !tally_pack(&tally, &cursor, PAGE_SEALED_MAX - 256))
			cursor.p[cursor.len - 1] = 0; /* counted again at the end (tally_scan) */
		rc = cursor.failed ? -ENOMEM : page_seal(tag, cursor.p, cursor.len, &next);
	}
	tally_free(&tally);
	free(cursor.p);
	/*
	 * The rows last, "next" before them: the CLI copies the rows through without parsing them.
	 * Written once, into the answer, with room for them made at once (page_take's estimate
	 * is more than a row takes).
	 */
	struct textbuf answer = {0};
	if (rc == 0 && textbuf_reserve(&answer, pg.bytes + (next ? strlen(next) : 0) + 128)) {
		snprintf(head, sizeof(head),
			 "{\"as_of\":\"%s\",\"next\":", date_format(as_of, text_day));
		textbuf_str(&answer, head);
		if (next) {
			textbuf_add(&answer, "\"", 1);
			textbuf_str(&answer, next);
			textbuf_add(&answer, "\"", 1);
		} else {
			textbuf_str(&answer, "null");
		}
		textbuf_str(&answer, ",\"reminders\":[");
		due_write(&answer, &list, 0, list.n, &written);
		due_write(&answer, &site, site_from, site_to, &written);
		textbuf_str(&answer, "]}");
	}
	due_list_free(&list);
	due_list_free(&site);
	free(next);
	if (rc == 0 && answer.failed)
		rc = -ENOMEM;
	if (rc) {
		free(answer.p);
		return rc;
	}
	rq->raw_json = answer.p;
	return 0;
}

static int month_key_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
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
		if (r && r->paid && !r->refunded && r->date <= as_of &&
		    same(&r->site, rq->daemon->site_id)) {
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
	size_t n_months = json_object_size(dues), i_month = 0;
	const char **months = n_months ? malloc(n_months * sizeof(*months)) : NULL;
	if (n_months && !months) {
		rc = -ENOMEM;
		json_decref(dues_list);
		goto out;
	}
	json_object_foreach(dues, key, val) months[i_month++] = key;
	if (n_months > 1)
		qsort(months, n_months, sizeof(*months), month_key_cmp); /* YYYY-MM, oldest first */
	for (size_t i = 0; i < n_months; i++)
		json_array_append_new(dues_list,
				      json_pack("{s:s, s:O}", "month", months[i], "collected_fen",
						json_object_get(dues, months[i])));
	free(months);
	json_object_set_new(rq->result, "dues_by_month", dues_list);
	/* Attendance at meetings held here: present / recorded, by branch. */
	if ((rc = store_cursor_open(txn, TBL_MEETINGS, &c)))
		goto out;
	json_t *meeting_branch = json_object();
	for (rc = store_cursor_get(c, STORE_FIRST, &k, &v); rc == 0;
	     rc = store_cursor_get(c, STORE_NEXT, &k, &v)) {
		Ld__Meeting *m = ld__meeting__unpack(NULL, v.len, v.data);
		if (m && m->date > as_of) { /* held after the day asked */
			ld__meeting__free_unpacked(m, NULL);
			continue;
		}
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
			    ev->attendance->meeting && ev->date <= as_of &&
			    same(&ev->origin, rq->daemon->site_id)) {
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
		/* One decimal: 88.9, not 88.88888888888889. */
		json_object_set_new(
		    row, "rate_percent",
		    p + e ? json_real((double)((1000 * p + (p + e) / 2) / (p + e)) / 10.0)
			  : json_null());
		json_array_append_new(att_list, row);
	}
	json_object_set_new(rq->result, "attendance_by_branch", att_list);
	rc = service_stats(rq, txn, as_of, rq->result);
out_meetings:
	json_decref(meeting_branch);
out:
	json_decref(dues);
	json_decref(attendance);
	return rc == LD_ENOTFOUND ? 0 : rc;
}
