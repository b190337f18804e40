/*
 * service.c: see service.h. Sections: payloads, validate (requests, the directory, notices),
 * route, fold.
 */
#include "service.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "date.h"
#include "event.h"
#include "eventlog.h"
#include "fold.h"
#include "i18n.h"
#include "idno.h"
#include "lderr.h"

const char *const service_request_kinds[] = {
    "transfer", "org-life", "dues", "employment", "housing", "schooling", "rights", "other", NULL};
const char *const service_notice_kinds[] = {"election", "appraisal", "other", NULL};
const char *const service_visit_kinds[] = {"holiday", "hardship", "illness",
					   "family",  "other",	  NULL};
static const char *const step_actions[] = {"handover", "answer", "close", NULL};

static bool text(const char *s)
{
	return s && s[0];
}

static bool one_of(const char *s, const char *const *list)
{
	for (; s && *list; list++)
		if (strcmp(s, *list) == 0)
			return true;
	return false;
}

static bool site_ok(const ProtobufCBinaryData *b)
{
	return b->len == LD_SITE_ID_BYTES;
}

static bool same_site(const ProtobufCBinaryData *a, const uint8_t *b)
{
	return b && a->len == LD_SITE_ID_BYTES && memcmp(a->data, b, LD_SITE_ID_BYTES) == 0;
}

static bool same_bytes(const ProtobufCBinaryData *a, const ProtobufCBinaryData *b)
{
	return a->len == b->len && (a->len == 0 || memcmp(a->data, b->data, a->len) == 0);
}

static int refuse(struct verdict *v, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int refuse(struct verdict *v, int rc, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(v->why, sizeof(v->why), _(fmt), ap);
	va_end(ap);
	return rc;
}

/* ---------------------------------------------------------------------------------------------- */
/* Payloads                                                                                       */

/* The longest id of a request or notice: a key of the store (LMDB takes at most 511 bytes). */
#define SERVICE_ID_MAX 64

static bool id_ok(const char *s)
{
	return text(s) && strlen(s) <= SERVICE_ID_MAX;
}

static bool request_ok(const Ld__ServiceRequest *r)
{
	return r && id_ok(r->id) && one_of(r->kind, service_request_kinds) && text(r->text) &&
	       text(r->owner) && r->due_date >= r->opened && site_ok(&r->site) && r->from_person &&
	       r->phone;
}

int service_payload_check(const Ld__Event *ev, struct verdict *v)
{
	const char *kind = event_kind_name(ev->kind);
	bool member = text(ev->member);
	if (member && idno_validate(ev->member, LD_DATE_NONE, 0, NULL, NULL) != 0)
		return refuse(v, LD_EINPUT, "a %s event without a valid identity number", kind);
	switch (ev->kind) {
	case LD__EVENT_KIND__REQUEST_OPENED:
		if (!request_ok(ev->request))
			return refuse(v, LD_EINPUT, "%s: the request is not well formed", kind);
		break;
	case LD__EVENT_KIND__REQUEST_FORWARDED: {
		const Ld__RequestForward *f = ev->forward;
		if (!request_ok(f->request) || !site_ok(&f->to_site) || !text(f->handler) ||
		    !f->to_name || !f->note)
			return refuse(v, LD_EINPUT,
				      "%s: the request or its site is not well formed", kind);
		for (size_t i = 0; i < f->n_trail; i++)
			if (!f->trail[i]->action || !f->trail[i]->by || !f->trail[i]->to ||
			    !f->trail[i]->text)
				return refuse(v, LD_EINPUT, "%s: its trail is not well formed",
					      kind);
		if (!member)
			return refuse(v, LD_EINPUT, "%s: a forwarded request names its member",
				      kind);
		break;
	}
	case LD__EVENT_KIND__REQUEST_STEP: {
		const Ld__RequestStep *s = ev->step;
		if (!id_ok(s->request) || !one_of(s->action, step_actions) || !s->to || !s->text ||
		    !site_ok(&s->site) || (s->forwarded_to.len && !site_ok(&s->forwarded_to)))
			return refuse(v, LD_EINPUT, "%s: the step is not well formed", kind);
		if (strcmp(s->action, "handover") == 0 && !text(s->to))
			return refuse(v, LD_EINPUT, "%s: a hand-over names the person", kind);
		if (strcmp(s->action, "handover") != 0 && !text(s->text))
			return refuse(v, LD_EINPUT, "%s: an answer or a close says what", kind);
		break;
	}
	case LD__EVENT_KIND__BRANCH_PUBLISHED: {
		const Ld__BranchInfo *b = ev->branch;
		if (!text(b->code) || !text(b->name) || !b->address || !b->contact || !b->phone ||
		    strlen(b->code) > DIRECTORY_KEY_MAX - LD_SITE_ID_BYTES)
			return refuse(v, LD_EINPUT, "%s: no branch code or name", kind);
		break;
	}
	case LD__EVENT_KIND__NOTICE_SENT:
		if (!id_ok(ev->notice->id) || !one_of(ev->notice->kind, service_notice_kinds) ||
		    !text(ev->notice->text))
			return refuse(v, LD_EINPUT, "%s: no id, kind or text", kind);
		break;
	case LD__EVENT_KIND__NOTICE_ANSWERED:
		if (!id_ok(ev->notice_answer->notice) ||
		    (!ev->notice_answer->attend && !text(ev->notice_answer->reason)))
			return refuse(v, LD_EINPUT, "%s: no notice, or leave without a reason",
				      kind);
		break;
	case LD__EVENT_KIND__VISIT_RECORDED:
		if (!one_of(ev->visit->kind, service_visit_kinds) || !text(ev->visit->text) ||
		    !ev->visit->help)
			return refuse(v, LD_EINPUT, "%s: no kind or text", kind);
		break;
	default:
		break;
	}
	return 0;
}

/* ---------------------------------------------------------------------------------------------- */
/* Validate                                                                                       */

int request_state_get(struct store_txn *txn, const char *id, Ld__RequestState **out)
{
	struct store_val v;
	int rc = store_get(txn, TBL_REQUESTS, id, strlen(id), &v);
	if (rc)
		return rc;
	*out = ld__request_state__unpack(NULL, v.len, v.data);
	return *out ? 0 : LD_ECORRUPT;
}

int notice_state_get(struct store_txn *txn, const char *id, Ld__NoticeState **out)
{
	struct store_val v;
	int rc = store_get(txn, TBL_NOTICES, id, strlen(id), &v);
	if (rc)
		return rc;
	*out = ld__notice_state__unpack(NULL, v.len, v.data);
	return *out ? 0 : LD_ECORRUPT;
}

size_t directory_key(const uint8_t *site, const char *code, uint8_t key[DIRECTORY_KEY_MAX])
{
	size_t n = strlen(code);
	if (n > DIRECTORY_KEY_MAX - LD_SITE_ID_BYTES)
		return 0;
	memcpy(key, site, LD_SITE_ID_BYTES);
	memcpy(key + LD_SITE_ID_BYTES, code, n);
	return LD_SITE_ID_BYTES + n;
}

/* His other site as seen from ORIGIN (his outflow or current inflow site), or NULL. */
static const uint8_t *other_site(const Ld__MemberState *st, const uint8_t *origin)
{
	if (site_is_outflow(st, origin))
		return member_inflow_site(st);
	if (site_is_inflow(st, origin))
		return st->outflow_site.data;
	return NULL;
}

static int validate_opened(struct store_txn *txn, const Ld__Event *ev, bool local,
			   const uint8_t *self, const Ld__MemberState *st, struct verdict *v)
{
	if (!local)
		return refuse(v, LD_EFORBIDDEN,
			      "a request is kept at the site that took it; another site gets it "
			      "only forwarded (request.forwarded)");
	if (!same_site(&ev->request->site, self))
		return refuse(v, LD_EINPUT,
			      "the request names another site as the one that took it");
	if (text(ev->member)) {
		if (!st)
			return refuse(v, LD_ENOTFOUND, "no member %s here", ev->member);
		if (!site_cares_for(st, self))
			return refuse(
			    v, LD_EFORBIDDEN,
			    "he is %s and not this site's to care for: neither his outflow "
			    "site nor his current inflow site",
			    location_name(member_location(st)));
	}
	Ld__RequestState *r;
	int rc = request_state_get(txn, ev->request->id, &r);
	if (rc == 0) {
		ld__request_state__free_unpacked(r, NULL);
		return refuse(v, LD_EEXIST, "request %s exists already", ev->request->id);
	}
	return rc == LD_ENOTFOUND ? 0 : rc;
}

static int validate_forwarded(struct store_txn *txn, const Ld__Event *ev, const uint8_t *origin,
			      bool local, const uint8_t *self, const Ld__MemberState *st,
			      struct verdict *v)
{
	const Ld__RequestForward *f = ev->forward;
	if (!same_site(&f->request->site, origin))
		return refuse(v, LD_EFORBIDDEN, "only the site that took request %s may forward it",
			      f->request->id);
	if (!st)
		return refuse(v, LD_ENOTFOUND, "a request about a member this site does not know");
	const uint8_t *other = other_site(st, origin);
	if (!other)
		return refuse(v, LD_EFORBIDDEN,
			      "he is %s: a request is forwarded between his outflow site and his "
			      "current inflow site only",
			      location_name(member_location(st)));
	if (!same_site(&f->to_site, other))
		return refuse(v, LD_EFORBIDDEN,
			      "a request about him goes to his other site (his outflow or current "
			      "inflow site), not to this one");
	Ld__RequestState *r = NULL;
	int rc = request_state_get(txn, f->request->id, &r);
	if (!local) {
		if (!same_site(&f->to_site, self))
			return refuse(v, LD_EFORBIDDEN, "request %s is forwarded to another site",
				      f->request->id);
		if (rc == 0) {
			ld__request_state__free_unpacked(r, NULL);
			return refuse(v, LD_EEXIST, "request %s is here already", f->request->id);
		}
		return rc == LD_ENOTFOUND ? 0 : rc;
	}
	if (rc == LD_ENOTFOUND)
		return refuse(v, LD_ENOTFOUND, "no request %s here", f->request->id);
	if (rc)
		return rc;
	if (r->closed)
		rc = refuse(v, LD_EFORBIDDEN, "request %s is closed", r->request->id);
	else if (site_ok(&r->forwarded_to))
		rc = refuse(v, LD_EEXIST, "request %s is forwarded already (to %s)", r->request->id,
			    r->forwarded_name);
	else if (strcmp(r->member, ev->member) != 0)
		rc = refuse(v, LD_EINPUT, "request %s is about another member", r->request->id);
	ld__request_state__free_unpacked(r, NULL);
	return rc;
}

static int validate_step(struct store_txn *txn, const Ld__Event *ev, const uint8_t *origin,
			 struct verdict *v)
{
	const Ld__RequestStep *s = ev->step;
	Ld__RequestState *r;
	int rc = request_state_get(txn, s->request, &r);
	if (rc == LD_ENOTFOUND)
		return refuse(v, LD_ENOTFOUND, "no request %s here", s->request);
	if (rc)
		return rc;
	bool ours = same_site(&r->request->site, origin) || same_site(&r->forwarded_to, origin);
	if (!ours)
		rc = refuse(v, LD_EFORBIDDEN,
			    "only the site that took request %s, or the site it was forwarded to, "
			    "may record its steps",
			    s->request);
	else if (!same_bytes(&s->site, &r->request->site) ||
		 !same_bytes(&s->forwarded_to, &r->forwarded_to))
		rc = refuse(v, LD_EINPUT, "the step names other sites than request %s has",
			    s->request);
	else if (strcmp(r->member, ev->member ? ev->member : "") != 0)
		rc = refuse(v, LD_EINPUT, "request %s is about another member", s->request);
	else if (r->closed)
		rc = refuse(v, LD_EFORBIDDEN, "request %s is closed already", s->request);
	ld__request_state__free_unpacked(r, NULL);
	return rc;
}

int service_validate(struct store_txn *txn, const Ld__Event *ev, const uint8_t *origin,
		     const struct domain_site *site, const Ld__MemberState *st, struct verdict *v)
{
	const uint8_t *self = site->self;
	bool local = memcmp(origin, self, LD_SITE_ID_BYTES) == 0;
	switch (ev->kind) {
	case LD__EVENT_KIND__REQUEST_OPENED:
		return validate_opened(txn, ev, local, self, st, v);
	case LD__EVENT_KIND__REQUEST_FORWARDED:
		return validate_forwarded(txn, ev, origin, local, self, st, v);
	case LD__EVENT_KIND__REQUEST_STEP:
		return validate_step(txn, ev, origin, v);
	case LD__EVENT_KIND__BRANCH_PUBLISHED: {
		if (text(ev->member))
			return refuse(v, LD_EINPUT, "a branch in the directory names no member");
		if (!local)
			return 0; /* a peer's own branch: the channel authenticates it */
		Ld__BranchInfo *b;
		int rc = branch_get(txn, ev->branch->code, &b);
		if (rc == LD_ENOTFOUND)
			return refuse(v, LD_ENOTFOUND, "no branch %s at this site",
				      ev->branch->code);
		if (rc == 0)
			ld__branch_info__free_unpacked(b, NULL);
		return rc;
	}
	default:
		return refuse(v, LD_EINPUT, "%s is not a service kind", event_kind_name(ev->kind));
	}
}

/* The addressee MEMBER of N, or NULL. */
static Ld__NoticeAddressee *addressee(const Ld__NoticeState *n, const char *member)
{
	for (size_t i = 0; i < n->n_to; i++)
		if (strcmp(n->to[i]->member, member) == 0)
			return n->to[i];
	return NULL;
}

int service_state_check(struct store_txn *txn, const Ld__Event *ev, struct verdict *v)
{
	const char *id;
	if (ev->kind == LD__EVENT_KIND__NOTICE_SENT)
		id = ev->notice->id;
	else if (ev->kind == LD__EVENT_KIND__NOTICE_ANSWERED)
		id = ev->notice_answer->notice;
	else
		return 0;
	Ld__NoticeState *n;
	int rc = notice_state_get(txn, id, &n);
	if (rc == LD_ENOTFOUND && ev->kind == LD__EVENT_KIND__NOTICE_SENT)
		return 0;
	if (rc == LD_ENOTFOUND)
		return refuse(v, LD_ENOTFOUND, "no notice %s here", id);
	if (rc)
		return rc;
	const Ld__NoticeAddressee *a = addressee(n, ev->member);
	if (ev->kind == LD__EVENT_KIND__NOTICE_SENT && a)
		rc = refuse(v, LD_EEXIST, "notice %s is sent to him already", id);
	else if (ev->kind == LD__EVENT_KIND__NOTICE_SENT && !same_bytes(&n->site, &ev->origin))
		rc = refuse(v, LD_EEXIST, "notice %s is another site's", id);
	else if (ev->kind == LD__EVENT_KIND__NOTICE_ANSWERED && !a)
		rc = refuse(v, LD_ENOTFOUND, "notice %s was not sent to him", id);
	else if (ev->kind == LD__EVENT_KIND__NOTICE_ANSWERED && a->answered)
		rc = refuse(v, LD_EEXIST, "his answer to notice %s is recorded already", id);
	ld__notice_state__free_unpacked(n, NULL);
	return rc;
}

int directory_send_own(struct store_txn *txn, const uint8_t *self, const uint8_t *peer)
{
	struct store_cursor *c;
	int rc = store_cursor_open(txn, TBL_DIRECTORY, &c);
	if (rc)
		return rc;
	struct store_val k = {.data = self, .len = LD_SITE_ID_BYTES}, v;
	for (rc = store_cursor_get(c, STORE_SET_RANGE, &k, &v); rc == 0;
	     rc = store_cursor_get(c, STORE_NEXT, &k, &v)) {
		if (k.len <= LD_SITE_ID_BYTES || memcmp(k.data, self, LD_SITE_ID_BYTES) != 0)
			break;
		Ld__BranchInfo *b = ld__branch_info__unpack(NULL, v.len, v.data);
		if (!b) {
			rc = LD_ECORRUPT;
			break;
		}
		uint64_t seq = b->published_seq;
		ld__branch_info__free_unpacked(b, NULL);
		/* Another table than the cursor's: the walk goes on. */
		if (seq && (rc = eventlog_outbox_add(txn, peer, seq)))
			break;
	}
	store_cursor_close(c);
	return rc == LD_ENOTFOUND || rc == 0 ? 0 : rc;
}

/* ---------------------------------------------------------------------------------------------- */
/* Route                                                                                          */

static int route_add(const ProtobufCBinaryData *s, const uint8_t *self,
		     uint8_t dest[DOMAIN_MAX_DEST][LD_SITE_ID_BYTES], int n)
{
	if (!site_ok(s) || memcmp(s->data, self, LD_SITE_ID_BYTES) == 0)
		return n;
	for (int k = 0; k < n; k++)
		if (memcmp(dest[k], s->data, LD_SITE_ID_BYTES) == 0)
			return n;
	memcpy(dest[n], s->data, LD_SITE_ID_BYTES);
	return n + 1;
}

int service_route(const Ld__Event *ev, const uint8_t *self,
		  uint8_t dest[DOMAIN_MAX_DEST][LD_SITE_ID_BYTES])
{
	if (ev->payload_case != event_kind_payload(ev->kind))
		return 0;
	switch (ev->kind) {
	case LD__EVENT_KIND__REQUEST_FORWARDED:
		return route_add(&ev->forward->to_site, self, dest, 0);
	case LD__EVENT_KIND__REQUEST_STEP:
		return route_add(&ev->step->forwarded_to, self, dest,
				 route_add(&ev->step->site, self, dest, 0));
	default:
		return 0;
	}
}

/* ---------------------------------------------------------------------------------------------- */
/* Fold                                                                                           */

/* R with ENTRY after its trail, put back; the trail array is restored before returning. */
static int request_put_with(struct store_txn *txn, Ld__RequestState *r, Ld__TrailEntry *entry)
{
	Ld__TrailEntry **trail = malloc((r->n_trail + 1) * sizeof(*trail));
	if (!trail)
		return -ENOMEM;
	if (r->n_trail)
		memcpy(trail, r->trail, r->n_trail * sizeof(*trail));
	trail[r->n_trail] = entry;
	Ld__TrailEntry **keep = r->trail;
	r->trail = trail;
	r->n_trail++;
	const char *id = r->request->id;
	int rc = fold_put_packed(txn, TBL_REQUESTS, id, strlen(id), &r->base);
	r->n_trail--;
	r->trail = keep;
	free(trail);
	return rc;
}

static void trail_of(Ld__TrailEntry *t, const Ld__Event *ev, const char *action, const char *to,
		     const char *text_)
{
	ld__trail_entry__init(t);
	t->date = ev->date;
	t->time_ms = ev->time_ms;
	t->site = ev->origin;
	t->by = ev->operator_ ? ev->operator_ : (char *)"";
	t->action = (char *)action;
	t->to = (char *)(to ? to : "");
	t->text = (char *)(text_ ? text_ : "");
}

static int fold_opened(struct store_txn *txn, const Ld__Event *ev)
{
	Ld__RequestState r = LD__REQUEST_STATE__INIT;
	r.request = ev->request;
	r.handler = ev->request->owner;
	r.member = ev->member ? ev->member : (char *)"";
	Ld__TrailEntry t;
	trail_of(&t, ev, "open", ev->request->owner, ev->request->text);
	return request_put_with(txn, &r, &t);
}

static int fold_forwarded(struct store_txn *txn, const Ld__Event *ev)
{
	const Ld__RequestForward *f = ev->forward;
	Ld__TrailEntry t;
	trail_of(&t, ev, "forward", f->to_name, f->note);
	Ld__RequestState *old;
	int rc = request_state_get(txn, f->request->id, &old);
	if (rc == LD_ENOTFOUND) {
		/* The site it goes to starts from what the event carries. */
		Ld__RequestState r = LD__REQUEST_STATE__INIT;
		r.request = f->request;
		r.handler = f->handler;
		r.member = ev->member;
		r.forwarded_to = f->to_site;
		r.forwarded_name = f->to_name;
		r.n_trail = f->n_trail;
		r.trail = f->trail;
		return request_put_with(txn, &r, &t);
	}
	if (rc)
		return rc;
	ProtobufCBinaryData keep_to = old->forwarded_to;
	char *keep_name = old->forwarded_name;
	old->forwarded_to = f->to_site;
	old->forwarded_name = f->to_name;
	rc = request_put_with(txn, old, &t);
	old->forwarded_to = keep_to;
	old->forwarded_name = keep_name;
	ld__request_state__free_unpacked(old, NULL);
	return rc;
}

static int fold_step(struct store_txn *txn, const Ld__Event *ev)
{
	const Ld__RequestStep *s = ev->step;
	Ld__RequestState *r;
	int rc = request_state_get(txn, s->request, &r);
	if (rc)
		return rc == LD_ENOTFOUND ? LD_ECORRUPT : rc;
	Ld__TrailEntry t;
	trail_of(&t, ev, s->action, s->to, s->text);
	Ld__RequestState saved = *r;
	if (strcmp(s->action, "handover") == 0) {
		r->handler = s->to;
	} else if (strcmp(s->action, "close") == 0) {
		r->closed = true;
		r->closed_date = ev->date;
		r->result = s->text;
	}
	rc = request_put_with(txn, r, &t);
	*r = saved;
	ld__request_state__free_unpacked(r, NULL);
	return rc;
}

static int fold_notice_sent(struct store_txn *txn, const Ld__Event *ev)
{
	Ld__NoticeState *n = NULL, fresh = LD__NOTICE_STATE__INIT;
	int rc = notice_state_get(txn, ev->notice->id, &n);
	if (rc && rc != LD_ENOTFOUND)
		return rc;
	Ld__NoticeState *s = n ? n : &fresh;
	if (!n) {
		fresh.notice = ev->notice;
		fresh.site = ev->origin;
	}
	Ld__NoticeAddressee a = LD__NOTICE_ADDRESSEE__INIT;
	a.member = ev->member;
	Ld__NoticeAddressee **to = malloc((s->n_to + 1) * sizeof(*to));
	if (!to) {
		rc = -ENOMEM;
		goto out;
	}
	if (s->n_to)
		memcpy(to, s->to, s->n_to * sizeof(*to));
	to[s->n_to] = &a;
	Ld__NoticeAddressee **keep = s->to;
	s->to = to;
	s->n_to++;
	const char *id = ev->notice->id;
	rc = fold_put_packed(txn, TBL_NOTICES, id, strlen(id), &s->base);
	s->n_to--;
	s->to = keep;
	free(to);
out:
	if (n)
		ld__notice_state__free_unpacked(n, NULL);
	return rc;
}

static int fold_notice_answered(struct store_txn *txn, const Ld__Event *ev)
{
	const Ld__NoticeAnswer *ans = ev->notice_answer;
	Ld__NoticeState *n;
	int rc = notice_state_get(txn, ans->notice, &n);
	if (rc)
		return rc == LD_ENOTFOUND ? 0 : rc; /* a notice this site never had: history only */
	Ld__NoticeAddressee *a = addressee(n, ev->member);
	if (a) {
		char *keep = a->reason;
		a->answered = true;
		a->attend = ans->attend;
		a->reason = ans->reason;
		a->answered_date = ev->date;
		rc = fold_put_packed(txn, TBL_NOTICES, ans->notice, strlen(ans->notice), &n->base);
		a->reason = keep;
	}
	ld__notice_state__free_unpacked(n, NULL);
	return rc;
}

int service_fold(struct store_txn *txn, const Ld__Event *ev)
{
	switch (ev->kind) {
	case LD__EVENT_KIND__REQUEST_OPENED:
		return fold_opened(txn, ev);
	case LD__EVENT_KIND__REQUEST_FORWARDED:
		return fold_forwarded(txn, ev);
	case LD__EVENT_KIND__REQUEST_STEP:
		return fold_step(txn, ev);
	case LD__EVENT_KIND__NOTICE_SENT:
		return fold_notice_sent(txn, ev);
	case LD__EVENT_KIND__NOTICE_ANSWERED:
		return fold_notice_answered(txn, ev);
	case LD__EVENT_KIND__BRANCH_PUBLISHED: {
		uint8_t key[DIRECTORY_KEY_MAX];
		size_t n = directory_key(ev->origin.data, ev->branch->code, key);
		if (!n)
			return LD_ECORRUPT;
		Ld__BranchInfo b = *ev->branch;
		b.published_seq = ev->origin_seq;
		return fold_put_packed(txn, TBL_DIRECTORY, key, n, &b.base);
	}
	default:
		return 0;
	}
}
