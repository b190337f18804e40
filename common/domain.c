/*
 * domain.c: see domain.h. Sections: locations, predicates, certificates, places, payloads (is an
 * event well formed for its kind), validate (who may write it, does his state allow it, does it
 * concern this site), destinations.
 */
#include "domain.h"
#include "i18n.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "date.h"
#include "fold.h"
#include "identity.h"
#include "idno.h"
#include "money.h"
#include "service.h"
#include "lderr.h"

/* ---------------------------------------------------------------------------------------------- */
/* Locations                                                                                      */

/* The case a member can have open that the CLI filters by, and that stores before the domain core
 * kept as his state. */
#define CASE_LAPSE "lapse"

/* The words are stored and synced; in messages they are translated (context "state"). */
static const char *const location_names[LOC_COUNT] = {
    [LOC_HOME] = NC_("state", "home"),
    [LOC_AWAY] = NC_("state", "away"),
    [LOC_CHECKED_IN] = NC_("state", "checked-in"),
    [LOC_DEPARTED] = NC_("state", "departed"),
    [LOC_RETURNED] = NC_("state", "returned"),
    [LOC_TRANSFERRED] = NC_("state", "transferred"),
    [LOC_REMOVED] = NC_("state", "removed"),
};

const char *location_name(enum location loc)
{
	return (unsigned)loc < LOC_COUNT ? location_names[loc] : "home";
}

const char *location_text(enum location loc)
{
	const char *name = location_name(loc);
	const char *t = i18n_context("state", name);
	return t ? t : name;
}

int location_parse(const char *name, enum location *out)
{
	for (int i = 0; name && i < LOC_COUNT; i++) {
		if (strcmp(name, location_names[i]) == 0) {
			*out = (enum location)i;
			return 0;
		}
	}
	return LD_EINPUT;
}

enum location member_location(const Ld__MemberState *st)
{
	enum location loc = LOC_HOME;
	/* Stores written before the domain core kept an open lapse case as the state "lapse". */
	const char *name =
	    st->state && strcmp(st->state, "lapse") == 0 ? st->lapse_prev_state : st->state;
	location_parse(name, &loc);
	return loc;
}

bool state_name_known(const char *name, bool cases)
{
	enum location loc;
	return location_parse(name, &loc) == 0 || (cases && name && strcmp(name, CASE_LAPSE) == 0);
}

bool member_matches(const Ld__MemberState *st, const char *name)
{
	enum location loc;
	if (name && strcmp(name, CASE_LAPSE) == 0)
		return member_lapse_open(st);
	return location_parse(name, &loc) == 0 && member_location(st) == loc;
}

void member_set_location(Ld__MemberState *st, enum location loc)
{
	st->state = (char *)location_name(loc);
}

/* ---------------------------------------------------------------------------------------------- */
/* Predicates                                                                                     */

static bool same_site(const ProtobufCBinaryData *a, const uint8_t *b)
{
	return b && a->len == LD_SITE_ID_BYTES && memcmp(a->data, b, LD_SITE_ID_BYTES) == 0;
}

bool member_stay_active(const Ld__MemberState *st)
{
	enum location loc = member_location(st);
	return st->outflow && st->outflow->inflow_site.len == LD_SITE_ID_BYTES &&
	       (loc == LOC_AWAY || loc == LOC_CHECKED_IN);
}

bool member_checked_in(const Ld__MemberState *st)
{
	return member_location(st) == LOC_CHECKED_IN;
}

bool member_closed(const Ld__MemberState *st)
{
	enum location loc = member_location(st);
	return loc == LOC_TRANSFERRED || loc == LOC_REMOVED;
}

bool member_lapse_open(const Ld__MemberState *st)
{
	return st->lapse && st->lapse[0];
}

bool member_probationary(const Ld__MemberState *st)
{
	return st->info && st->info->kind && strcmp(st->info->kind, "probationary") == 0;
}

int32_t member_probation_end(const Ld__MemberState *st, int probation_months)
{
	if (st->probation_until)
		return st->probation_until;
	return date_add_months(st->info ? st->info->joined : 0, probation_months);
}

bool site_is_outflow(const Ld__MemberState *st, const uint8_t *site)
{
	return same_site(&st->outflow_site, site);
}

const uint8_t *member_inflow_site(const Ld__MemberState *st)
{
	return member_stay_active(st) ? st->outflow->inflow_site.data : NULL;
}

bool site_is_inflow(const Ld__MemberState *st, const uint8_t *site)
{
	return member_stay_active(st) && same_site(&st->outflow->inflow_site, site);
}

bool member_registered_out_to(const Ld__MemberState *st, const uint8_t *site)
{
	enum location loc = member_location(st);
	return st->outflow && same_site(&st->outflow->inflow_site, site) &&
	       (loc == LOC_AWAY || loc == LOC_CHECKED_IN || loc == LOC_DEPARTED);
}

bool member_registered_out_from(const Ld__MemberState *st, const uint8_t *peer, const uint8_t *self)
{
	return site_is_outflow(st, peer) && member_registered_out_to(st, self);
}

/* His branch at SITE other than a temporary one: his formal branch at his outflow site, the one he
 * reported to at his current inflow site; NULL where he is in none. */
static const char *own_branch_at(const Ld__MemberState *st, const uint8_t *site)
{
	if (site_is_outflow(st, site))
		return st->info ? st->info->branch : NULL;
	if (site_is_inflow(st, site))
		return st->checkin ? st->checkin->branch : NULL;
	return NULL;
}

/* The temporary branch of SITE he was put in (a site-local event), or NULL. */
static const char *temp_branch_at(const Ld__MemberState *st, const uint8_t *site)
{
	bool here = site_is_outflow(st, site) || site_is_inflow(st, site);
	return here && st->temp_branch && st->temp_branch[0] ? st->temp_branch : NULL;
}

const char *member_branch_here(const Ld__MemberState *st, const uint8_t *site)
{
	const char *own = own_branch_at(st, site), *temp = temp_branch_at(st, site);
	if (site_is_outflow(st, site) || !temp)
		return own ? own : "";
	return temp;
}

bool member_in_branch(const Ld__MemberState *st, const uint8_t *site, const char *code)
{
	const char *own = own_branch_at(st, site), *temp = temp_branch_at(st, site);
	return (own && strcmp(own, code) == 0) || (temp && strcmp(temp, code) == 0);
}

bool site_cares_for(const Ld__MemberState *st, const uint8_t *site)
{
	if (member_closed(st))
		return false;
	return site_is_outflow(st, site) || site_is_inflow(st, site);
}

int64_t member_exempt_fen(const Ld__MemberState *st, int32_t month)
{
	for (size_t i = st->n_exemptions; i-- > 0;) {
		const Ld__DuesExemption *e = st->exemptions[i];
		if (month >= e->from_month && month <= e->to_month)
			return e->monthly_fen;
	}
	return -1;
}

int64_t member_dues_owed_fen(const Ld__MemberState *st, int32_t from, int32_t to)
{
	int64_t monthly = st->info ? st->info->monthly_dues_fen : 0, sum = 0;
	for (int32_t m = from; m <= to && m >= from; m++) {
		int64_t fen = member_exempt_fen(st, m);
		sum += fen >= 0 ? fen : monthly;
	}
	return sum;
}

/* The exemption at 0 that covers MONTH, or NULL. */
static const Ld__DuesExemption *exempt_free(const Ld__MemberState *st, int32_t month)
{
	for (size_t i = st->n_exemptions; i-- > 0;) {
		const Ld__DuesExemption *e = st->exemptions[i];
		if (month >= e->from_month && month <= e->to_month)
			return e->monthly_fen == 0 ? e : NULL; /* the latest approval decides */
	}
	return NULL;
}

static bool month_settled(const Ld__MemberState *st, const struct month_span *paid, size_t n_paid,
			  int32_t month)
{
	for (size_t i = 0; i < n_paid; i++)
		if (month >= paid[i].from && month <= paid[i].to)
			return true;
	return exempt_free(st, month) != NULL;
}

#define SETTLED_SPAN_MAX 1200 /* months looked at either way: a hundred years */

int32_t member_dues_settled_month(const Ld__MemberState *st, const struct month_span *paid,
				  size_t n_paid, int32_t first_owed, int32_t as_of)
{
	if (as_of < INT32_MIN + SETTLED_SPAN_MAX || as_of > INT32_MAX - SETTLED_SPAN_MAX)
		return INT32_MIN;
	int32_t m = as_of;
	if (month_settled(st, paid, n_paid, m)) {
		while (m < as_of + SETTLED_SPAN_MAX && month_settled(st, paid, n_paid, m + 1))
			m++;
		return m;
	}
	int32_t low = first_owed != INT32_MIN && first_owed > as_of - SETTLED_SPAN_MAX
			  ? first_owed - 1
			  : as_of - SETTLED_SPAN_MAX;
	for (m = as_of - 1; m >= low; m--)
		if (month_settled(st, paid, n_paid, m))
			return m;
	return INT32_MIN;
}

/* ---------------------------------------------------------------------------------------------- */
/* Certificates                                                                                   */

/* The body's issue and last days, or false if the body does not decode. */
static bool cert_days(const Ld__CertState *c, int32_t *issued, int32_t *valid_until)
{
	if (!c->signed_)
		return false;
	Ld__CertificateBody *b =
	    ld__certificate_body__unpack(NULL, c->signed_->body.len, c->signed_->body.data);
	if (!b)
		return false;
	*issued = b->issued;
	*valid_until = b->valid_until;
	ld__certificate_body__free_unpacked(b, NULL);
	return true;
}

/* UNTIL renewed by C's passed reviews: each gives review date + (UNTIL - ISSUED). */
static int32_t renewed_until(const Ld__CertState *c, int32_t issued, int32_t until)
{
	int32_t days = until - issued; /* valid_days - 1 */
	for (size_t i = 0; i < c->n_reviews; i++) {
		const Ld__CertReview *r = c->reviews[i];
		if (!r->failed && r->date + days > until)
			until = r->date + days;
	}
	return until;
}

int32_t cert_valid_until(const Ld__CertState *c)
{
	int32_t issued, until;
	if (!cert_days(c, &issued, &until))
		return LD_DATE_NONE;
	return renewed_until(c, issued, until);
}

int32_t cert_last_review(const Ld__CertState *c)
{
	int32_t issued, until;
	if (!cert_days(c, &issued, &until))
		return LD_DATE_NONE;
	int32_t last = issued;
	for (size_t i = 0; i < c->n_reviews; i++)
		if (c->reviews[i]->date > last)
			last = c->reviews[i]->date;
	return last;
}

bool cert_active(const Ld__CertState *c, int32_t day)
{
	int32_t issued, until;
	if (!c || !cert_days(c, &issued, &until))
		return false;
	if (c->revoked && c->revoked_date <= day)
		return false;
	return day >= issued && day <= renewed_until(c, issued, until);
}

int cert_member_check(const Ld__MemberState *st, const char *number, const uint8_t *inflow,
		      const uint8_t *site, char *why, size_t len)
{
	enum location loc = member_location(st);
	if (member_closed(st))
		snprintf(why, len, _("he is %s: his certificate %s is no longer valid"),
			 location_text(loc), number);
	else if (st->certificate && st->certificate[0] && strcmp(st->certificate, number) != 0)
		snprintf(why, len, _("certificate %s is not his current one (%s is)"), number,
			 st->certificate);
	else if (memcmp(inflow, site, LD_SITE_ID_BYTES) == 0 && !site_is_inflow(st, site))
		snprintf(why, len, _("his stay here is over (he is %s): certificate %s was for it"),
			 location_text(loc), number);
	else
		return 0;
	return LD_EREVOKED;
}

const uint8_t *dues_collector(const Ld__MemberState *st, const Ld__CertState *cert, int32_t day)
{
	if (member_stay_active(st) && cert && strcmp(cert->member, st->info->id) == 0 &&
	    cert_active(cert, day))
		return st->outflow->inflow_site.data;
	return st->outflow_site.data;
}

/* ---------------------------------------------------------------------------------------------- */
/* Places                                                                                         */

/* True if the UTF-8 sequence at S (of LEN bytes) is a space or punctuation, half- or full-width. */
static bool ignorable(const unsigned char *s, size_t len)
{
	if (len == 1)
		return s[0] <= ' ' || (s[0] >= '!' && s[0] <= '/') ||
		       (s[0] >= ':' && s[0] <= '@') || (s[0] >= '[' && s[0] <= '`') ||
		       (s[0] >= '{' && s[0] <= '~');
	if (len != 3)
		return false;
	unsigned cp = (s[0] & 0x0fu) << 12 | (s[1] & 0x3fu) << 6 | (s[2] & 0x3fu);
	return (cp >= 0x3000 &&
		cp <= 0x303f) || /* CJK symbols and punctuation, ideographic space */
	       (cp >= 0xff01 && cp <= 0xff0f) ||
	       (cp >= 0xff1a && cp <= 0xff20) || (cp >= 0xff3b && cp <= 0xff40) ||
	       (cp >= 0xff5b && cp <= 0xff65) || (cp >= 0x2010 && cp <= 0x2027) || cp == 0x00b7 ||
	       cp == 0x30fb;
}

static size_t seq_len(unsigned char c)
{
	return c < 0x80 ? 1 : c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1;
}

/* The next sequence of S at *I that is not ignorable; its length, 0 at the end. */
static size_t next_kept(const unsigned char *s, size_t *i)
{
	while (s[*i]) {
		size_t n = seq_len(s[*i]);
		for (size_t k = 1; k < n; k++)
			if (!s[*i + k])
				n = k;
		bool middot = n == 2 && s[*i] == 0xc2 && s[*i + 1] == 0xb7;
		if (!ignorable(s + *i, n) && !middot)
			return n;
		*i += n;
	}
	return 0;
}

bool place_same(const char *a, const char *b)
{
	const unsigned char *x = (const unsigned char *)(a ? a : "");
	const unsigned char *y = (const unsigned char *)(b ? b : "");
	size_t i = 0, j = 0;
	for (;;) {
		size_t n = next_kept(x, &i), m = next_kept(y, &j);
		if (n != m || memcmp(x + i, y + j, n) != 0)
			return false;
		if (n == 0)
			return true;
		i += n;
		j += m;
	}
}

/* ---------------------------------------------------------------------------------------------- */
/* Payloads: each kind carries the payload it needs, well formed                                 */

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

static bool site_id_ok(const ProtobufCBinaryData *b)
{
	return b->len == LD_SITE_ID_BYTES;
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

static bool member_info_ok(const Ld__MemberInfo *m, const char *member)
{
	return m && text(m->id) && strcmp(m->id, member) == 0 && text(m->name) &&
	       one_of(m->sex, (const char *const[]){"M", "F", NULL}) &&
	       one_of(m->kind, (const char *const[]){"full", "probationary", NULL}) &&
	       m->dues_category && m->branch;
}

/* A certificate as signed by ORIGIN for MEMBER: its body decodes and names them. */
static int cert_payload(const Ld__SignedCertificate *sc, const Ld__Event *ev, struct verdict *v)
{
	Ld__CertificateBody *b = ld__certificate_body__unpack(NULL, sc->body.len, sc->body.data);
	int rc = 0;
	if (!b)
		rc = refuse(v, LD_EINPUT, "the certificate's body does not decode");
	else if (!text(b->number) || strcmp(b->member, ev->member) != 0)
		rc = refuse(v, LD_EINPUT, "the certificate has no number or names another member");
	else if (!same_site(&b->issuer, ev->origin.data) || !site_id_ok(&b->inflow_site))
		rc = refuse(v, LD_EINPUT, "the certificate's issuer is not the event's origin");
	else if (sc->signature.len != 64 || b->valid_until < b->issued)
		rc = refuse(v, LD_EINPUT, "the certificate has no signature or no validity");
	if (b)
		ld__certificate_body__free_unpacked(b, NULL);
	return rc;
}

/* A transfer letter as signed by the event's origin about its member. */
static int transfer_payload(const Ld__Transfer *t, const Ld__Event *ev, struct verdict *v)
{
	Ld__TransferLetter *l = ld__transfer_letter__unpack(NULL, t->letter.len, t->letter.data);
	int rc = 0;
	if (!l)
		rc = refuse(v, LD_EINPUT, "the transfer letter does not decode");
	else if (!same_site(&l->issuer, ev->origin.data))
		rc = refuse(v, LD_EINPUT, "the transfer letter's issuer is not the event's origin");
	else if (!text(l->number) || !t->number || strcmp(l->number, t->number) != 0)
		rc = refuse(v, LD_EINPUT,
			    "the transfer letter has no number, or another than the "
			    "event's");
	else if (!site_id_ok(&l->to_site) || strcmp(l->member, ev->member) != 0)
		rc = refuse(v, LD_EINPUT,
			    "the transfer letter names no receiving site or another member");
	else if (t->signature.len != 64 || l->valid_until < l->issued)
		rc = refuse(v, LD_EINPUT, "the transfer letter has no signature or no validity");
	else if (t->member && !member_info_ok(t->member, ev->member))
		rc = refuse(v, LD_EINPUT, "the transfer's member snapshot is not well formed");
	if (l)
		ld__transfer_letter__free_unpacked(l, NULL);
	return rc;
}

static const char *const probation_outcomes[] = {"full", "extend", "cancel", NULL};
static const char *const lapse_outcomes[] = {"cleared", "correction", "suspension", "removal",
					     NULL};

/* Is EV well formed for its kind? Returns 0 or LD_EINPUT with V->why. */
static int payload_check(const Ld__Event *ev, struct verdict *v)
{
	const char *kind = event_kind_name(ev->kind);
	Ld__Event__PayloadCase payload = event_kind_payload(ev->kind);
	if (payload == LD__EVENT__PAYLOAD__NOT_SET)
		return refuse(v, LD_EINPUT, "an event of a kind this version does not know (%d)",
			      (int)ev->kind);
	if (ev->payload_case != payload)
		return refuse(v, LD_EINPUT, "a %s event without its payload", kind);
	if (!site_id_ok(&ev->origin))
		return refuse(v, LD_EINPUT, "a %s event without its origin site", kind);
	enum event_writer writer = event_kind_writer(ev->kind);
	bool needs_member =
	    (writer != WRITER_LOCAL && writer != WRITER_SERVICE && writer != WRITER_SITE) ||
	    ev->kind == LD__EVENT_KIND__BRANCH_JOINED || ev->kind == LD__EVENT_KIND__BRANCH_LEFT;
	if (needs_member &&
	    (!ev->member || idno_validate(ev->member, LD_DATE_NONE, 0, NULL, NULL) != 0))
		return refuse(v, LD_EINPUT, "a %s event without a valid identity number", kind);
	switch (ev->kind) {
	case LD__EVENT_KIND__MEMBER_REGISTERED:
	case LD__EVENT_KIND__MEMBER_UPDATED:
		if (!member_info_ok(ev->member_info, ev->member))
			return refuse(v, LD_EINPUT, "%s: the member's record is not well formed",
				      kind);
		break;
	case LD__EVENT_KIND__OUTFLOW_REGISTERED:
		if (!member_info_ok(ev->outflow->member, ev->member) ||
		    !site_id_ok(&ev->outflow->inflow_site) || !ev->outflow->place)
			return refuse(
			    v, LD_EINPUT,
			    "%s: no member snapshot or no inflow site in the registration", kind);
		break;
	case LD__EVENT_KIND__BRANCH_ADDED:
	case LD__EVENT_KIND__BRANCH_JOINED:
	case LD__EVENT_KIND__BRANCH_LEFT:
		if (!text(ev->branch->code))
			return refuse(v, LD_EINPUT, "%s: no branch code", kind);
		break;
	case LD__EVENT_KIND__CERT_ISSUED:
		return cert_payload(ev->cert, ev, v);
	case LD__EVENT_KIND__CERT_REVOKED:
		if (!text(ev->revoked->number))
			return refuse(v, LD_EINPUT, "%s: no certificate number", kind);
		break;
	case LD__EVENT_KIND__CERT_REVIEWED:
		if (!text(ev->reviewed->number))
			return refuse(v, LD_EINPUT, "%s: no certificate number", kind);
		break;
	case LD__EVENT_KIND__CHECKIN:
		if (!text(ev->checkin->certificate) || !text(ev->checkin->branch))
			return refuse(v, LD_EINPUT, "%s: no certificate number or no branch", kind);
		break;
	case LD__EVENT_KIND__MEETING_HELD:
		if (!text(ev->meeting->id))
			return refuse(v, LD_EINPUT, "%s: no meeting id", kind);
		break;
	case LD__EVENT_KIND__ATTENDANCE:
		if (!ev->attendance->meeting || !text(ev->attendance->meeting->id))
			return refuse(v, LD_EINPUT, "%s: no meeting", kind);
		break;
	case LD__EVENT_KIND__DUES_PAID: {
		const Ld__DuesPaid *p = ev->dues_paid;
		if (!text(p->receipt) || p->from_month > p->to_month || p->amount_fen < 0 ||
		    p->to_month - p->from_month >= 120)
			return refuse(v, LD_EINPUT,
				      "%s: no receipt number, or its months or amount are wrong",
				      kind);
		break;
	}
	case LD__EVENT_KIND__DUES_REFUNDED:
		if (!text(ev->dues_refunded->receipt))
			return refuse(v, LD_EINPUT, "%s: no receipt number", kind);
		break;
	case LD__EVENT_KIND__PROBATION_DECIDED:
		if (!one_of(ev->note->outcome, probation_outcomes))
			return refuse(v, LD_EINPUT, "%s: the result is not full, extend or cancel",
				      kind);
		if (strcmp(ev->note->outcome, "extend") == 0 && ev->note->until <= ev->date)
			return refuse(v, LD_EINPUT, "%s: an extension names no end after its date",
				      kind);
		break;
	case LD__EVENT_KIND__LAPSE_OPENED:
		if (!text(ev->note->text))
			return refuse(v, LD_EINPUT, "%s: no grounds", kind);
		break;
	case LD__EVENT_KIND__LAPSE_DECIDED:
		if (!one_of(ev->note->outcome, lapse_outcomes))
			return refuse(v, LD_EINPUT, "%s: the outcome is not one the rules know",
				      kind);
		break;
	case LD__EVENT_KIND__TRANSFER_ISSUED:
		return transfer_payload(ev->transfer, ev, v);
	case LD__EVENT_KIND__TRANSFER_RECEIVED:
		if (!text(ev->note->text))
			return refuse(v, LD_EINPUT, "%s: no letter number", kind);
		break;
	case LD__EVENT_KIND__STAY_ENDED:
		if (!site_id_ok(&ev->stay_ended->inflow_site))
			return refuse(v, LD_EINPUT, "%s: no inflow site", kind);
		break;
	case LD__EVENT_KIND__DUES_EXEMPTED: {
		const Ld__DuesExemption *e = ev->exemption;
		if (!text(e->id) || e->from_month > e->to_month || e->monthly_fen < 0 ||
		    !text(e->approved_by))
			return refuse(v, LD_EINPUT,
				      "%s: no id or approver, or its months or amount are wrong",
				      kind);
		break;
	}
	default:
		return service_payload_check(ev, v);
	}
	return 0;
}

/* ---------------------------------------------------------------------------------------------- */
/* Validate                                                                                       */

/* Kinds that record something done, whose date may not be in the future. */
static bool records_done(Ld__EventKind kind)
{
	return kind != LD__EVENT_KIND__MEETING_HELD && kind != LD__EVENT_KIND__BRANCH_ADDED &&
	       kind != LD__EVENT_KIND__BRANCH_JOINED && kind != LD__EVENT_KIND__BRANCH_LEFT &&
	       kind != LD__EVENT_KIND__BRANCH_PUBLISHED &&
	       kind != LD__EVENT_KIND__MEMBER_REGISTERED &&
	       kind != LD__EVENT_KIND__OUTFLOW_REGISTERED; /* its date: when he leaves */
}

static int date_check(const Ld__Event *ev, bool local, int32_t today, struct verdict *v)
{
	char day[LD_DATE_LEN];
	int32_t latest = local ? today : today + 1;
	if (ev->date < date_from_ymd(1900, 1, 1))
		return refuse(v, LD_EINPUT, "the date %s is before 1900-01-01",
			      date_format(ev->date, day));
	if (ev->kind == LD__EVENT_KIND__ATTENDANCE && ev->date > latest)
		return refuse(v, LD_EINPUT,
			      "the meeting is on %s, in the future: attendance is recorded on or "
			      "after its day",
			      date_format(ev->date, day));
	if (records_done(ev->kind) && ev->date > latest)
		return refuse(v, LD_EINPUT,
			      "the date %s is in the future: record what was done on or before "
			      "today (%s)",
			      date_format(ev->date, day),
			      date_format(today, (char[LD_DATE_LEN]){0}));
	if (ev->kind == LD__EVENT_KIND__DUES_PAID &&
	    ev->dues_paid->to_month > month_of_date(today) + 12)
		return refuse(v, LD_EINPUT, "dues may be paid at most 12 months ahead");
	/* Where it is written: what he leaves from is a member's (a peer's record is its own). */
	const Ld__MemberInfo *m =
	    ev->kind == LD__EVENT_KIND__OUTFLOW_REGISTERED ? ev->outflow->member : NULL;
	if (local && m && m->joined && ev->outflow->from < m->joined)
		return refuse(v, LD_EINPUT,
			      "--from %s is before he joined the party (%s): give the day he "
			      "leaves",
			      date_format(ev->outflow->from, day),
			      date_format(m->joined, (char[LD_DATE_LEN]){0}));
	return 0;
}

/* The site entitled to write EV about ST's member; NULL if none is now. */
struct writer_facts {
	const uint8_t *site; /* NULL: nobody may, in his present state */
	const char *role;    /* "outflow site", ... for messages */
};

static int writer_of(struct store_txn *txn, const Ld__Event *ev, const Ld__MemberState *st,
		     struct writer_facts *w, struct verdict *v)
{
	w->site = NULL;
	w->role = "";
	switch (event_kind_writer(ev->kind)) {
	case WRITER_OUTFLOW:
		w->site = st->outflow_site.data;
		w->role = _("his outflow site");
		return 0;
	case WRITER_INFLOW:
		w->site = member_inflow_site(st);
		w->role = _("his current inflow site");
		return 0;
	case WRITER_EITHER: /* O or I: which one, the caller decides */
	case WRITER_CARETAKER:
		if (member_stay_active(st)) {
			w->site = st->outflow->inflow_site.data;
			w->role = _("his current inflow site");
		} else {
			w->site = st->outflow_site.data;
			w->role = _("his outflow site");
		}
		return 0;
	case WRITER_COLLECTOR: {
		Ld__CertState *c = NULL;
		if (text(st->certificate)) {
			int rc = cert_state_get(txn, st->certificate, &c);
			if (rc && rc != LD_ENOTFOUND)
				return rc;
		}
		w->site = dues_collector(st, c, ev->date);
		if (!same_site(&st->outflow_site, w->site))
			w->role = _("his inflow site, where he holds an active certificate");
		else if (!member_stay_active(st))
			w->role = _("his outflow site (he stays at no inflow site now)");
		else
			w->role = _("his outflow site (no active certificate at an inflow site)");
		if (c)
			ld__cert_state__free_unpacked(c, NULL);
		return 0;
	}
	case WRITER_RECEIPT:
		/* Looked up by the caller, who has the receipt. */
		return 0;
	case WRITER_RECEIVER:
		w->site = site_id_ok(&st->transfer_to) ? st->transfer_to.data : NULL;
		w->role = _("the site his transfer letter names");
		return 0;
	case WRITER_LOCAL:
	case WRITER_SERVICE: /* service_validate judges these */
	case WRITER_SITE:
		break;
	}
	return 0;
}

static int receipt_get(struct store_txn *txn, const char *number, Ld__Receipt **out)
{
	struct store_val val;
	int rc = store_get(txn, TBL_RECEIPTS, number, strlen(number), &val);
	if (rc)
		return rc;
	*out = ld__receipt__unpack(NULL, val.len, val.data);
	return *out ? 0 : LD_ECORRUPT;
}

/* What his state forbids, after the writer rule passed. */
static int state_check(struct store_txn *txn, const Ld__Event *ev, const Ld__MemberState *st,
		       int probation_months, struct verdict *v)
{
	enum location loc = member_location(st);
	const char *where = location_text(loc);
	char day[LD_DATE_LEN];
	int rc;
	switch (ev->kind) {
	case LD__EVENT_KIND__MEMBER_REGISTERED:
		return refuse(v, LD_EEXIST, "the member is registered already");
	case LD__EVENT_KIND__OUTFLOW_REGISTERED:
		if (member_stay_active(st) &&
		    same_site(&st->outflow->inflow_site, ev->outflow->inflow_site.data))
			return refuse(v, LD_EEXIST, "he is registered out to %s already",
				      st->outflow->inflow_name);
		break;
	case LD__EVENT_KIND__CERT_ISSUED:
		if (!member_stay_active(st))
			return refuse(v, LD_EFORBIDDEN,
				      "he is %s, not registered out: a certificate is issued for "
				      "a stay at an inflow site",
				      where);
		break;
	case LD__EVENT_KIND__CERT_REVIEWED: {
		Ld__CertState *c;
		rc = cert_state_get(txn, ev->reviewed->number, &c);
		if (rc == LD_ENOTFOUND)
			return refuse(v, LD_ENOTFOUND, "no certificate %s here",
				      ev->reviewed->number);
		if (rc)
			return rc;
		bool his = strcmp(c->member, ev->member) == 0, revoked = c->revoked;
		ld__cert_state__free_unpacked(c, NULL);
		if (!his)
			return refuse(v, LD_EINPUT, "certificate %s is another member's",
				      ev->reviewed->number);
		if (revoked)
			return refuse(v, LD_EFORBIDDEN, "certificate %s is revoked",
				      ev->reviewed->number);
		break;
	}
	case LD__EVENT_KIND__CHECKIN:
		if (loc == LOC_CHECKED_IN)
			return refuse(v, LD_EEXIST, "he checked in already on %s",
				      date_format(st->checkin_date, day));
		break;
	case LD__EVENT_KIND__DUES_PAID: {
		struct store_val val;
		const char *n = ev->dues_paid->receipt;
		rc = store_get(txn, TBL_RECEIPTS, n, strlen(n), &val);
		if (rc == 0)
			return refuse(v, LD_EEXIST, "receipt %s exists already", n);
		if (rc != LD_ENOTFOUND)
			return rc;
		break;
	}
	case LD__EVENT_KIND__PROBATION_OPINION:
		if (!member_probationary(st))
			return refuse(v, LD_EFORBIDDEN, "he is a full member, not on probation");
		break;
	case LD__EVENT_KIND__PROBATION_DECIDED: {
		if (!member_probationary(st))
			return refuse(v, LD_EFORBIDDEN, "he is a full member, not on probation");
		int32_t end = member_probation_end(st, probation_months);
		bool cancel = strcmp(ev->note->outcome, "cancel") == 0;
		if (!cancel && ev->date < end)
			return refuse(v, LD_EFORBIDDEN,
				      "his probation runs until %s: full or extend is decided "
				      "on or after that day (cancel at any time)",
				      date_format(end, day));
		/* At most one year past the end of his probation as admitted, however late the
		 * extension is decided. */
		int32_t latest = date_add_months(
		    date_add_months(st->info ? st->info->joined : 0, probation_months), 12);
		if (strcmp(ev->note->outcome, "extend") == 0 && ev->note->until > latest)
			return refuse(v, LD_EFORBIDDEN,
				      "an extension of probation is at most one year: to %s at the "
				      "latest",
				      date_format(latest, day));
		break;
	}
	case LD__EVENT_KIND__RETURNED:
		if (loc != LOC_AWAY && loc != LOC_CHECKED_IN && loc != LOC_DEPARTED)
			return refuse(v, LD_EFORBIDDEN,
				      "he is %s, not away: there is no return to inspect", where);
		break;
	case LD__EVENT_KIND__TRANSFER_ISSUED:
		if (member_lapse_open(st))
			return refuse(
			    v, LD_EFORBIDDEN,
			    "a lapse case is open about him (%s): decide it (liudong lapse "
			    "decide) before his relation is transferred",
			    st->lapse);
		if (text(st->transfer) && !st->transfer_received)
			return refuse(v, LD_EEXIST, "a transfer letter (%s) is issued already",
				      st->transfer);
		break;
	case LD__EVENT_KIND__TRANSFER_RECEIVED:
		if (!text(st->transfer) || strcmp(st->transfer, ev->note->text) != 0)
			return refuse(v, LD_ENOTFOUND, "letter %s is not his open transfer letter",
				      ev->note->text);
		break;
	case LD__EVENT_KIND__LAPSE_OPENED:
		if (member_lapse_open(st))
			return refuse(v, LD_EEXIST, "a lapse case is open already");
		break;
	case LD__EVENT_KIND__LAPSE_DECIDED:
		if (!member_lapse_open(st))
			return refuse(v, LD_EFORBIDDEN, "no lapse case is open");
		break;
	case LD__EVENT_KIND__DUES_EXEMPTED:
		if (ev->exemption->monthly_fen > st->info->monthly_dues_fen)
			return refuse(
			    v, LD_EINPUT,
			    "a reduction (少交) of %s yuan a month is above his monthly "
			    "dues of %s yuan",
			    money_format(ev->exemption->monthly_fen, (char[LD_MONEY_LEN]){0}),
			    money_format(st->info->monthly_dues_fen, (char[LD_MONEY_LEN]){0}));
		for (size_t i = 0; i < st->n_exemptions; i++) {
			const Ld__DuesExemption *e = st->exemptions[i];
			if (e->from_month <= ev->exemption->to_month &&
			    ev->exemption->from_month <= e->to_month)
				return refuse(v, LD_EEXIST,
					      "an approved reduction (%s) covers some of these "
					      "months already",
					      e->id);
		}
		break;
	default:
		return service_state_check(txn, ev, v);
	}
	return 0;
}

/*
 * A payment above DUES_VOLUNTARY_FACTOR times what its months owe (his monthly dues, or the
 * reduced amount approved for a month) is voluntary (自愿多交) and must be marked so: a mistyped
 * amount is not taken silently. Judged where the money is taken (the site writing the receipt),
 * on its view of his dues; a peer's receipt is the peer's judgment.
 */
static int dues_amount_check(const Ld__DuesPaid *p, const Ld__MemberState *st, struct verdict *v)
{
	int64_t owed = member_dues_owed_fen(st, p->from_month, p->to_month);
	if (p->voluntary || p->amount_fen <= DUES_VOLUNTARY_FACTOR * owed)
		return 0;
	char a[LD_MONEY_LEN], b[LD_MONEY_LEN];
	return refuse(v, LD_EFORBIDDEN,
		      "%s yuan is over %d times what these months owe (%s yuan): a voluntary "
		      "payment (自愿多交) must be marked voluntary",
		      money_format(p->amount_fen, a), DUES_VOLUNTARY_FACTOR, money_format(owed, b));
}

/* A step of his, dated DAY (0: none) and named WHAT, that EV may not be dated before. */
struct step {
	int32_t day;
	const char *what;
};

static void step_later(struct step *s, int32_t day, const char *what)
{
	if (day && day != LD_DATE_NONE && (!s->what || day > s->day)) /* before 1970 too */
		*s = (struct step){day, what};
}

/*
 * EV is not dated before the step it follows: a check-in, attendance at the inflow site,
 * feedback or a departure before the day he was registered out from, a return before that or
 * before his departure, a review before the certificate's issue or last review, dues for a month
 * or a transfer letter before he joined the party. (Not before his check-in: paper registers are
 * entered late, and a check-in entered today may follow the meetings he attended since.) Judged
 * where the event is written, on that site's view (a peer's event may cross one of ours on the
 * way: it is the peer's judgment).
 */
static int order_check(struct store_txn *txn, const Ld__Event *ev, const Ld__MemberState *st,
		       struct verdict *v)
{
	struct step s = {0, NULL};
	int32_t from = st->outflow ? st->outflow->from : 0;
	switch (ev->kind) {
	case LD__EVENT_KIND__CHECKIN:
	case LD__EVENT_KIND__FEEDBACK:
		step_later(&s, from, _("the day he was registered out from"));
		break;
	case LD__EVENT_KIND__ATTENDANCE:
		if (member_stay_active(st))
			step_later(&s, from, _("the day he was registered out from"));
		break;
	case LD__EVENT_KIND__DEPARTURE_ASSESSED:
		step_later(&s, from, _("the day he was registered out from"));
		break;
	case LD__EVENT_KIND__TRANSFER_ISSUED:
		step_later(&s, st->info ? st->info->joined : 0, _("the day he joined the party"));
		break;
	case LD__EVENT_KIND__RETURNED:
		step_later(&s, from, _("the day he was registered out from"));
		step_later(&s, st->departed, _("his departure from the inflow site"));
		break;
	case LD__EVENT_KIND__DUES_PAID: {
		int32_t joined = st->info && st->info->joined ? month_of_date(st->info->joined) : 0;
		if (joined && ev->dues_paid->from_month < joined) {
			char a[LD_MONTH_LEN], b[LD_MONTH_LEN];
			return refuse(v, LD_EINPUT,
				      "--from %s is before he joined the party (%s): dues are paid "
				      "for the months since",
				      month_format(ev->dues_paid->from_month, a),
				      month_format(joined, b));
		}
		break;
	}
	case LD__EVENT_KIND__CERT_REVIEWED: {
		Ld__CertState *c;
		int rc = cert_state_get(txn, ev->reviewed->number, &c);
		if (rc)
			return rc == LD_ENOTFOUND ? 0 : rc; /* state_check names it */
		step_later(&s, cert_last_review(c), _("the certificate's issue or last review"));
		ld__cert_state__free_unpacked(c, NULL);
		break;
	}
	default:
		break;
	}
	if (!s.what || ev->date >= s.day)
		return 0;
	char a[LD_DATE_LEN], b[LD_DATE_LEN];
	return refuse(v, LD_EINPUT, "the date %s is before %s (%s): record it on or after that day",
		      date_format(ev->date, a), s.what, date_format(s.day, b));
}

/*
 * branch.joined / branch.left: the branch is one of this site's, he is one this site cares
 * for, he joins a branch he is not in (member_in_branch: his formal one or the one he reported
 * to count) while in no other temporary one, and leaves only the temporary one he is in.
 */
static int branch_member_check(struct store_txn *txn, const Ld__Event *ev,
			       const Ld__MemberState *st, const uint8_t *self, struct verdict *v)
{
	const char *code = ev->branch->code;
	Ld__BranchInfo *b;
	int rc = branch_get(txn, code, &b);
	if (rc == LD_ENOTFOUND)
		return refuse(v, LD_ENOTFOUND, "no branch %s at this site", code);
	if (rc)
		return rc;
	ld__branch_info__free_unpacked(b, NULL);
	const char *temp = temp_branch_at(st, self);
	if (!site_cares_for(st, self))
		return refuse(v, LD_EFORBIDDEN,
			      "he is %s and not this site's to care for: he is in no branch here",
			      location_text(member_location(st)));
	if (ev->kind == LD__EVENT_KIND__BRANCH_JOINED) {
		if (member_in_branch(st, self, code))
			return refuse(v, LD_EEXIST, "he is in branch %s already", code);
		if (temp)
			return refuse(v, LD_EEXIST,
				      "he is in temporary branch %s: he leaves it first (liudong "
				      "branch leave %s ...)",
				      temp, temp);
	} else if (!temp || strcmp(temp, code) != 0) { /* branch.left */
		if (member_in_branch(st, self, code))
			return refuse(v, LD_EFORBIDDEN,
				      "branch %s is his own here, not a temporary one he was put "
				      "in: he leaves it only with his stay (or his relation)",
				      code);
		return refuse(v, LD_EFORBIDDEN, "he is not in branch %s", code);
	}
	return 0;
}

/* Does EV about ST's member concern SELF (is it routed here)? */
static bool concerns(const Ld__Event *ev, const Ld__MemberState *st, const uint8_t *self)
{
	if (site_is_outflow(st, self) || same_site(&st->transfer_to, self) ||
	    (st->outflow && same_site(&st->outflow->inflow_site, self)))
		return true; /* a former inflow site too: it hears the event that ends his stay */
	switch (ev->kind) {
	case LD__EVENT_KIND__OUTFLOW_REGISTERED:
		return same_site(&ev->outflow->inflow_site, self);
	case LD__EVENT_KIND__STAY_ENDED:
		return same_site(&ev->stay_ended->inflow_site, self);
	default:
		return false;
	}
}

/* The transfer letter of EV, for a member this site never knew. */
static bool transfer_to_self(const Ld__Event *ev, const uint8_t *self)
{
	if (ev->kind != LD__EVENT_KIND__TRANSFER_ISSUED || !ev->transfer->member)
		return false;
	Ld__TransferLetter *l =
	    ld__transfer_letter__unpack(NULL, ev->transfer->letter.len, ev->transfer->letter.data);
	bool to_self = l && same_site(&l->to_site, self);
	if (l)
		ld__transfer_letter__free_unpacked(l, NULL);
	return to_self;
}

/* An event about a member this site does not know (yet). */
static int validate_new_member(const Ld__Event *ev, const uint8_t *origin, const uint8_t *self,
			       struct verdict *v)
{
	bool local = memcmp(origin, self, LD_SITE_ID_BYTES) == 0;
	switch (ev->kind) {
	case LD__EVENT_KIND__MEMBER_REGISTERED:
		if (local)
			return 0;
		return refuse(v, LD_EFORBIDDEN,
			      "a member's registration is kept at his outflow site");
	case LD__EVENT_KIND__OUTFLOW_REGISTERED:
		/*
		 * His outflow site may register him and his departure in one event (an import's
		 * row): the registration carries his whole record, from which his state starts.
		 */
		if (local || same_site(&ev->outflow->inflow_site, self))
			return 0;
		return refuse(v, LD_EFORBIDDEN, "an outflow registration to another inflow site");
	case LD__EVENT_KIND__TRANSFER_ISSUED:
		if (!local && transfer_to_self(ev, self))
			return 0;
		break;
	default:
		break;
	}
	return refuse(v, LD_ENOTFOUND, "a %s event about a member this site does not know",
		      event_kind_name(ev->kind));
}

int domain_member_before(struct store_txn *txn, const Ld__Event *ev, bool *have,
			 Ld__MemberState **st)
{
	*st = NULL;
	if (have)
		*have = false;
	/* Not a number: payload_check refuses the event if it needs one. */
	if (!ev->member || idno_validate(ev->member, LD_DATE_NONE, 0, NULL, NULL) != 0)
		return 0;
	int rc = member_state_get(txn, ev->member, st);
	if (rc && rc != LD_ENOTFOUND)
		return rc;
	if (have)
		*have = true;
	return 0;
}

int domain_validate(struct store_txn *txn, const Ld__Event *ev, const uint8_t *origin,
		    const struct domain_site *site, struct verdict *v)
{
	Ld__MemberState *st;
	int rc = domain_member_before(txn, ev, NULL, &st);
	if (rc) {
		memset(v, 0, sizeof(*v));
		return rc;
	}
	rc = domain_validate_state(txn, ev, origin, site, st, v);
	if (st)
		ld__member_state__free_unpacked(st, NULL);
	return rc;
}

/* A member not known here is judged by the event alone unless WRITER is read in the store. */
static bool judged_alone(enum event_writer writer)
{
	return writer != WRITER_SERVICE && writer != WRITER_SITE;
}

bool domain_judged_alone(const Ld__Event *ev)
{
	return judged_alone(event_kind_writer(ev->kind));
}

int domain_validate_state(struct store_txn *txn, const Ld__Event *ev, const uint8_t *origin,
			  const struct domain_site *site, const Ld__MemberState *st,
			  struct verdict *v)
{
	const uint8_t *self = site->self;
	int32_t today = site->today;
	memset(v, 0, sizeof(*v));
	bool local = memcmp(origin, self, LD_SITE_ID_BYTES) == 0;
	int rc = payload_check(ev, v);
	if (rc)
		return rc;
	if (!same_site(&ev->origin, origin))
		return refuse(v, LD_EFORBIDDEN, "the event is not the sending site's own");
	if ((rc = date_check(ev, local, today, v)))
		return rc;
	enum event_writer writer = event_kind_writer(ev->kind);
	if (!judged_alone(writer))
		return service_validate(txn, ev, origin, site, st, v);
	if (writer == WRITER_LOCAL && !local)
		return refuse(v, LD_EFORBIDDEN, "a %s event is kept at its own site, never sent",
			      event_kind_name(ev->kind));
	if (writer == WRITER_LOCAL && ev->kind != LD__EVENT_KIND__BRANCH_JOINED &&
	    ev->kind != LD__EVENT_KIND__BRANCH_LEFT)
		return 0;
	if (!st)
		return validate_new_member(ev, origin, self, v);
	if (writer == WRITER_LOCAL) {
		if (member_closed(st))
			rc = refuse(v, LD_EFORBIDDEN, "he is %s",
				    location_text(member_location(st)));
		else
			rc = branch_member_check(txn, ev, st, self, v);
		return rc;
	}
	if (!local && !concerns(ev, st, self)) {
		rc = refuse(v, LD_EFORBIDDEN,
			    "a %s event about a member whose records are not "
			    "shared with this site",
			    event_kind_name(ev->kind));
		return rc;
	}
	bool late_kind =
	    ev->kind == LD__EVENT_KIND__DUES_REFUNDED || ev->kind == LD__EVENT_KIND__CERT_REVOKED;
	if (member_closed(st) && !late_kind) {
		rc = refuse(v, LD_EFORBIDDEN, "he is %s: nothing more is recorded about him",
			    location_text(member_location(st)));
		return rc;
	}
	struct writer_facts w;
	Ld__Receipt *r = NULL;
	if ((rc = writer_of(txn, ev, st, &w, v)))
		return rc;
	if (writer == WRITER_RECEIPT) {
		rc = receipt_get(txn, ev->dues_refunded->receipt, &r);
		if (rc == LD_ENOTFOUND) {
			rc = refuse(v, LD_ENOTFOUND, "no receipt %s here",
				    ev->dues_refunded->receipt);
			return rc;
		}
		if (rc)
			return rc;
		if (r->refunded)
			rc = refuse(v, LD_EEXIST, "receipt %s is refunded already",
				    r->paid->receipt);
		else if (strcmp(r->member, ev->member) != 0)
			rc = refuse(v, LD_EINPUT, "receipt %s is another member's",
				    r->paid->receipt);
		w.site = site_id_ok(&r->site) ? r->site.data : NULL;
		w.role = _("the site that issued the receipt");
		if (w.site) {
			memcpy(v->writer, w.site, LD_SITE_ID_BYTES);
			w.site = v->writer;
		}
		ld__receipt__free_unpacked(r, NULL);
		if (rc)
			return rc;
	}
	/*
	 * O or I: either may. A peer's dues: its collector, or his inflow site while his stay runs
	 * (the revocation of his certificate may not have reached it: a month paid at both sites is
	 * then a double payment that `conflicts` lists until a refund settles it).
	 */
	bool either = writer == WRITER_EITHER || (writer == WRITER_COLLECTOR && !local);
	if (either && (site_is_outflow(st, origin) || site_is_inflow(st, origin)))
		w.site = origin;
	if (!w.site || memcmp(w.site, origin, LD_SITE_ID_BYTES) != 0) {
		if (w.site) {
			v->has_writer = true;
			v->role = w.role;
			memcpy(v->writer, w.site, LD_SITE_ID_BYTES);
			rc = refuse(v, LD_EFORBIDDEN,
				    "only %s may record %s about him while he is %s", w.role,
				    event_kind_name(ev->kind), location_text(member_location(st)));
		} else if (writer == WRITER_RECEIVER) {
			rc = refuse(v, LD_EFORBIDDEN,
				    "no transfer letter of his names a receiving site");
		} else {
			v->has_writer = true;
			v->role = _("his outflow site");
			memcpy(v->writer, st->outflow_site.data, LD_SITE_ID_BYTES);
			rc = refuse(v, LD_EFORBIDDEN,
				    "he is %s, so he has no current inflow site: %s is recorded "
				    "only during a stay at one; his outflow site keeps his record",
				    location_text(member_location(st)), event_kind_name(ev->kind));
		}
		return rc;
	}
	if (local && ev->kind == LD__EVENT_KIND__DUES_PAID &&
	    (rc = dues_amount_check(ev->dues_paid, st, v)))
		return rc;
	if ((rc = state_check(txn, ev, st, site->probation_months, v)))
		return rc;
	return local ? order_check(txn, ev, st, v) : 0;
}

/* ---------------------------------------------------------------------------------------------- */
/* Destinations                                                                                   */

/* Kinds that may end a stay at an inflow site: that site hears them although the stay is over. */
static bool ends_stay(Ld__EventKind kind)
{
	return kind == LD__EVENT_KIND__RETURNED || kind == LD__EVENT_KIND__TRANSFER_RECEIVED ||
	       kind == LD__EVENT_KIND__LAPSE_DECIDED || kind == LD__EVENT_KIND__PROBATION_DECIDED ||
	       kind == LD__EVENT_KIND__DEPARTURE_ASSESSED;
}

int domain_route(const Ld__Event *ev, const Ld__MemberState *after, const uint8_t *self,
		 uint8_t dest[DOMAIN_MAX_DEST][LD_SITE_ID_BYTES])
{
	enum event_writer writer = event_kind_writer(ev->kind);
	if (writer == WRITER_SERVICE)
		return service_route(ev, self, dest);
	if (writer == WRITER_LOCAL || writer == WRITER_SITE || !ev->member || !ev->member[0])
		return 0; /* WRITER_SITE goes to every peer: eventlog.c */
	if (ev->kind == LD__EVENT_KIND__STAY_ENDED) {
		/* Only the former inflow site: it needs nothing about where he went. */
		if (ev->payload_case != LD__EVENT__PAYLOAD_STAY_ENDED ||
		    !site_id_ok(&ev->stay_ended->inflow_site) ||
		    same_site(&ev->stay_ended->inflow_site, self))
			return 0;
		memcpy(dest[0], ev->stay_ended->inflow_site.data, LD_SITE_ID_BYTES);
		return 1;
	}
	if (!after)
		return LD_ENOTFOUND;
	int n = 0;
	/* His inflow site while his stay runs, and the event that ends it (returned, removal...).
	 */
	const ProtobufCBinaryData *inflow = after->outflow ? &after->outflow->inflow_site : NULL;
	if (!member_stay_active(after) && !ends_stay(ev->kind))
		inflow = NULL;
	const ProtobufCBinaryData *sites[DOMAIN_MAX_DEST] = {&after->outflow_site, inflow,
							     &after->transfer_to};
	for (int i = 0; i < DOMAIN_MAX_DEST; i++) {
		const ProtobufCBinaryData *s = sites[i];
		if (!s || !site_id_ok(s) || memcmp(s->data, self, LD_SITE_ID_BYTES) == 0)
			continue;
		bool seen = false;
		for (int k = 0; k < n; k++)
			seen = seen || memcmp(dest[k], s->data, LD_SITE_ID_BYTES) == 0;
		if (!seen)
			memcpy(dest[n++], s->data, LD_SITE_ID_BYTES);
	}
	return n;
}

int domain_destinations(struct store_txn *txn, const Ld__Event *ev, const uint8_t *self,
			uint8_t dest[DOMAIN_MAX_DEST][LD_SITE_ID_BYTES])
{
	Ld__MemberState *st = NULL;
	enum event_writer writer = event_kind_writer(ev->kind);
	bool needs_state = writer != WRITER_LOCAL && writer != WRITER_SERVICE &&
			   writer != WRITER_SITE && ev->member && ev->member[0] &&
			   ev->kind != LD__EVENT_KIND__STAY_ENDED;
	if (needs_state) {
		int rc = member_state_get(txn, ev->member, &st);
		if (rc)
			return rc;
	}
	int n = domain_route(ev, st, self, dest);
	if (st)
		ld__member_state__free_unpacked(st, NULL);
	return n;
}
