/*
 * cmd_cert.c: activity certificates (流动党员活动证) and 报到: cert issue, show, token, verify,
 * revoke, review, and checkin. Issuing and revoking belong to the member's outflow site, check-in
 * to the inflow site the certificate names; a review (年审) to either.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "cert.h"
#include "commands.h"
#include "commit.h"
#include "daemon.h"
#include "date.h"
#include "domain.h"
#include "enums.h"
#include "eventlog.h"
#include "fold.h"
#include "i18n.h"
#include "identity.h"
#include "idno.h"
#include "register.h"
#include "sites.h"
#include "view.h"
#include "lderr.h"

static const char *revoke_reasons[] = {"lost", "returned", "transferred", "lapsed", "void"};

static bool is_self(const struct request *rq, const ProtobufCBinaryData *id)
{
	return id->len == LD_SITE_ID_BYTES &&
	       memcmp(id->data, rq->daemon->site_id, LD_SITE_ID_BYTES) == 0;
}

int cmd_cert_issue(struct request *rq, struct store_txn *txn)
{
	struct daemon *d = rq->daemon;
	const char *days_text = request_param(rq, "valid-days");
	long days = rq->rules.cert_valid_days;
	if (days_text) {
		char *end;
		days = strtol(days_text, &end, 10);
		if (!days_text[0] || *end || days < 1 || days > 3 * 366)
			return request_fail(rq, LD_EINPUT,
					    "--valid-days must be a number of days from 1 "
					    "to 1098, not '%s'",
					    days_text);
	}
	char idno[LD_IDNO_SIZE], masked[LD_IDNO_SIZE];
	Ld__MemberState *st;
	int rc = member_lookup(rq, txn, request_arg(rq, 0), idno, &st);
	if (rc)
		return rc;
	idno_mask(idno, masked);
	Ld__CertState *old = NULL;
	if (!is_self(rq, &st->outflow_site)) {
		rc = request_fail(rq, LD_EFORBIDDEN,
				  "member %s belongs to outflow site %s: only it issues "
				  "his certificate",
				  masked, st->outflow_name);
		goto out;
	}
	if (!member_stay_active(st)) {
		rc = request_fail(rq, LD_EFORBIDDEN,
				  "member %s is not registered out (state %s); register "
				  "him with liudong outflow register first",
				  masked, location_text(member_location(st)));
		goto out;
	}
	int32_t today = date_today();
	if (st->certificate && st->certificate[0] &&
	    cert_state_get(txn, st->certificate, &old) == 0) {
		if (cert_active(old, today)) {
			rc = request_fail(rq, LD_EEXIST,
					  "member %s holds certificate %s already; revoke "
					  "it first (liudong cert revoke)",
					  masked, old->number);
			goto out;
		}
	}
	char number[LD_CERT_NUMBER_MAX];
	if ((rc = site_serial(rq, txn, "cert_serial", 0, today, number, sizeof(number))))
		goto out;

	const Ld__MemberInfo *m = st->info;
	Ld__CertificateBody body = LD__CERTIFICATE_BODY__INIT;
	body.number = number;
	body.member = idno;
	body.name = m->name;
	body.sex = m->sex;
	body.birth = m->birth;
	body.formal_branch = m->branch;
	body.issuer.data = d->site_id;
	body.issuer.len = LD_SITE_ID_BYTES;
	body.issuer_name = d->config.name;
	body.inflow_site = st->outflow->inflow_site;
	body.inflow_name = st->outflow->inflow_name;
	body.place = st->outflow->place;
	body.issued = today;
	body.valid_until = today + (int32_t)days - 1; /* valid_days counts the issue day */
	size_t blen = ld__certificate_body__get_packed_size(&body);
	uint8_t *bbuf = malloc(blen);
	uint8_t sig[64];
	if (!bbuf) {
		rc = -ENOMEM;
		goto out;
	}
	ld__certificate_body__pack(&body, bbuf);
	rc = identity_sign(d->identity, bbuf, blen, sig);
	Ld__SignedCertificate sc = LD__SIGNED_CERTIFICATE__INIT;
	sc.body.data = bbuf;
	sc.body.len = blen;
	sc.signature.data = sig;
	sc.signature.len = sizeof(sig);
	Ld__Event ev = LD__EVENT__INIT;
	ev.kind = LD__EVENT_KIND__CERT_ISSUED;
	ev.date = today;
	ev.member = idno;
	ev.payload_case = LD__EVENT__PAYLOAD_CERT;
	ev.cert = &sc;
	if (rc == 0)
		rc = commit_event(rq, txn, &ev, "cert.issue", number, NULL);
	char *token = rc == 0 ? cert_token(&sc) : NULL;
	free(bbuf);
	if (rc == 0 && !token)
		rc = -ENOMEM;
	if (rc == 0) {
		json_object_set_new(rq->result, "number", json_string(number));
		json_object_set_new(rq->result, "member", json_string(masked));
		json_object_set_new(rq->result, "valid_until", view_date(body.valid_until));
		json_object_set_new(rq->result, "token", json_string(token));
	}
	free(token);
out:
	if (old)
		ld__cert_state__free_unpacked(old, NULL);
	ld__member_state__free_unpacked(st, NULL);
	return rc;
}

/* Load certificate NUMBER (the first positional) into *C and *BODY (the caller frees both), or say
 * it is not here (both NULL). */
static int cert_lookup(struct request *rq, struct store_txn *txn, Ld__CertState **c,
		       Ld__CertificateBody **body)
{
	*c = NULL;
	*body = NULL;
	const char *number = request_arg(rq, 0);
	if (!number)
		return request_fail(rq, LD_EUSAGE,
				    "give the certificate number, e.g. 320583-2026-000017");
	int rc = serial_check(rq, number, 0, N_("certificate"));
	if (rc)
		return rc;
	rc = cert_state_get(txn, number, c);
	if (rc == LD_ENOTFOUND)
		return request_fail(rq, rc, "no certificate %s here; see liudong member show",
				    number);
	if (rc)
		return rc;
	*body =
	    ld__certificate_body__unpack(NULL, (*c)->signed_->body.len, (*c)->signed_->body.data);
	if (!*body) {
		ld__cert_state__free_unpacked(*c, NULL);
		*c = NULL;
		return LD_ECORRUPT;
	}
	return 0;
}

static const char *cert_status(const Ld__CertState *c)
{
	if (c->revoked)
		return "revoked";
	return cert_valid_until(c) < date_today() ? "expired" : "active";
}

int cmd_cert_show(struct request *rq, struct store_txn *txn)
{
	Ld__CertState *c;
	Ld__CertificateBody *b;
	int rc = cert_lookup(rq, txn, &c, &b);
	if (rc)
		return rc;
	char masked[LD_IDNO_SIZE];
	json_t *o = rq->result;
	json_object_set_new(o, "number", json_string(c->number));
	json_object_set_new(o, "member", json_string(idno_mask(b->member, masked)));
	json_object_set_new(o, "name", json_string(b->name));
	json_object_set_new(o, "status", json_string(cert_status(c)));
	json_object_set_new(o, "issued", view_date(b->issued));
	json_object_set_new(o, "valid_until", view_date(cert_valid_until(c)));
	json_object_set_new(o, "issuer", json_string(b->issuer_name));
	json_object_set_new(o, "inflow_site", json_string(b->inflow_name));
	json_object_set_new(o, "place", json_string(b->place));
	if (c->revoked) {
		json_object_set_new(o, "revoked", view_date(c->revoked_date));
		json_object_set_new(o, "revoke_reason", json_string(c->revoke_reason));
	}
	json_t *reviews = json_array();
	for (size_t i = 0; i < c->n_reviews; i++) {
		const Ld__CertReview *r = c->reviews[i];
		json_array_append_new(
		    reviews, json_pack("{s:o, s:s, s:b, s:o}", "date", view_date(r->date), "result",
				       r->result, "passed", !r->failed, "site",
				       site_name_json(rq, txn, r->site.data, r->site.len)));
	}
	json_object_set_new(o, "reviews", reviews);
	ld__certificate_body__free_unpacked(b, NULL);
	ld__cert_state__free_unpacked(c, NULL);
	return 0;
}

int cmd_cert_token(struct request *rq, struct store_txn *txn)
{
	Ld__CertState *c;
	Ld__CertificateBody *b;
	int rc = cert_lookup(rq, txn, &c, &b);
	if (rc)
		return rc;
	char *token = cert_token(c->signed_);
	if (token) {
		json_object_set_new(rq->result, "number", json_string(c->number));
		json_object_set_new(rq->result, "token", json_string(token));
	}
	free(token);
	ld__certificate_body__free_unpacked(b, NULL);
	ld__cert_state__free_unpacked(c, NULL);
	return token ? 0 : -ENOMEM;
}

/* What checking a token found. */
struct token_check {
	Ld__SignedCertificate *sc;
	Ld__CertificateBody *body;
	int32_t valid_until; /* the body's, or renewed by a review this site knows of */
	char issuer[LD_NAME_MAX];
	int refusal; /* 0: valid; else the negative errno of the first reason it is not */
	char reason[300];
};

static void token_check_free(struct token_check *t)
{
	if (t->body)
		ld__certificate_body__free_unpacked(t->body, NULL);
	if (t->sc)
		ld__signed_certificate__free_unpacked(t->sc, NULL);
}

/* Verify a token offline: issuer known, signature, not revoked here, not expired. */
static int token_check(struct request *rq, struct store_txn *txn, const char *token,
		       struct token_check *t)
{
	memset(t, 0, sizeof(*t));
	const char *why;
	if (!token)
		return request_fail(rq, LD_EUSAGE, "give the certificate token (LD1:...)");
	if (cert_parse_token(token, &t->sc, &t->body, &why) != 0)
		return request_fail(rq, LD_EINPUT, "%.400s", why);
	Ld__CertificateBody *b = t->body;
	t->valid_until = b->valid_until;
	Ld__PeerRecord *rec = NULL;
	const uint8_t *spki = NULL;
	size_t spki_len = 0;
	if (site_lookup(rq, txn, b->issuer.data, t->issuer, &rec) != 0) {
		snprintf(t->issuer, sizeof(t->issuer), "%s", b->issuer_name);
		t->refusal = LD_EFORBIDDEN;
		snprintf(t->reason, sizeof(t->reason),
			 _("unknown issuer: %s is not a peer of this site "
			   "(its site id is not pinned here)"),
			 b->issuer_name);
		return 0;
	}
	if (rec) {
		spki = rec->public_key.data;
		spki_len = rec->public_key.len;
	} else {
		spki = identity_spki(rq->daemon->identity, &spki_len);
	}
	if (!spki_len) {
		t->refusal = LD_EFORBIDDEN;
		snprintf(t->reason, sizeof(t->reason),
			 _("unknown issuer key: peer %s has not connected "
			   "yet, so its public key is not known here"),
			 t->issuer);
	} else if (identity_verify(spki, spki_len, t->sc->body.data, t->sc->body.len,
				   t->sc->signature.data) != 0) {
		t->refusal = LD_ESIGNATURE;
		snprintf(t->reason, sizeof(t->reason),
			 _("bad signature: the certificate was altered or "
			   "not issued by %s"),
			 t->issuer);
	}
	if (rec)
		ld__peer_record__free_unpacked(rec, NULL);
	if (t->refusal)
		return 0;
	Ld__CertState *c;
	if (cert_state_get(txn, b->number, &c) == 0) {
		if (cert_valid_until(c) != LD_DATE_NONE)
			t->valid_until = cert_valid_until(c); /* renewed by a passed review */
		if (c->revoked) {
			char day[LD_DATE_LEN];
			t->refusal = LD_EREVOKED;
			snprintf(t->reason, sizeof(t->reason),
				 _("certificate %s was revoked on %s (%s)"), b->number,
				 date_format(c->revoked_date, day),
				 enum_display(&enum_revoke_reason, c->revoke_reason));
		}
		ld__cert_state__free_unpacked(c, NULL);
		if (t->refusal)
			return 0;
	}
	/* What this site knows of him: the certificate outlives neither his membership nor his
	 * stay (domain core). */
	Ld__MemberState *st;
	if (b->inflow_site.len == LD_SITE_ID_BYTES && member_state_get(txn, b->member, &st) == 0) {
		t->refusal = cert_member_check(st, b->number, b->inflow_site.data,
					       rq->daemon->site_id, t->reason, sizeof(t->reason));
		ld__member_state__free_unpacked(st, NULL);
		if (t->refusal)
			return 0;
	}
	if (t->valid_until < date_today()) {
		char day[LD_DATE_LEN];
		t->refusal = LD_EEXPIRED;
		snprintf(t->reason, sizeof(t->reason),
			 _("certificate %s was valid until %s: its annual review (年审) renews it"),
			 b->number, date_format(t->valid_until, day));
	}
	return 0;
}

int cmd_cert_verify(struct request *rq, struct store_txn *txn)
{
	struct token_check t;
	int rc = token_check(rq, txn, request_arg(rq, 0), &t);
	if (rc)
		return rc;
	char masked[LD_IDNO_SIZE];
	json_t *o = rq->result;
	json_object_set_new(o, "valid", json_boolean(t.refusal == 0));
	json_object_set_new(o, "number", json_string(t.body->number));
	json_object_set_new(o, "member", json_string(idno_mask(t.body->member, masked)));
	json_object_set_new(o, "name", json_string(t.body->name));
	json_object_set_new(o, "issuer", json_string(t.issuer));
	json_object_set_new(o, "inflow_site", json_string(t.body->inflow_name));
	json_object_set_new(o, "for_this_site", json_boolean(is_self(rq, &t.body->inflow_site)));
	json_object_set_new(o, "valid_until", view_date(t.valid_until));
	json_object_set_new(o, "reason", t.refusal ? json_string(t.reason) : json_null());
	token_check_free(&t);
	return 0;
}

int cmd_checkin(struct request *rq, struct store_txn *txn)
{
	const char *branch = request_param(rq, "branch");
	const char *contact = request_param(rq, "contact");
	if (!branch)
		return request_fail(rq, LD_EUSAGE,
				    "--branch is required; see liudong checkin --help");
	int32_t date;
	int rc = request_date_opt(rq, &date);
	if (rc || (contact && (rc = request_text(rq, "contact", contact, 200))))
		return rc;
	struct token_check t;
	rc = token_check(rq, txn, request_arg(rq, 0), &t);
	if (rc)
		return rc;
	Ld__MemberState *st = NULL;
	Ld__BranchInfo *b = NULL;
	char masked[LD_IDNO_SIZE];
	idno_mask(t.body->member, masked);
	if (t.refusal) {
		rc = request_fail(rq, t.refusal, "check-in refused: %.400s", t.reason);
		goto out;
	}
	if (!is_self(rq, &t.body->inflow_site)) {
		rc = request_fail(rq, LD_EFORBIDDEN,
				  "check-in refused: certificate %s is for inflow site %s, "
				  "not this site (%s)",
				  t.body->number, t.body->inflow_name, rq->daemon->config.name);
		goto out;
	}
	rc = member_state_get(txn, t.body->member, &st);
	if (rc == LD_ENOTFOUND) {
		rc = request_fail(rq, rc,
				  "member %s's outflow registration has not arrived from %s "
				  "yet; see liudong status",
				  masked, t.issuer);
		goto out;
	}
	if (rc)
		goto out;
	if (member_checked_in(st) && site_is_inflow(st, rq->daemon->site_id)) {
		char day[LD_DATE_LEN];
		rc = request_fail(rq, LD_EEXIST, "member %s checked in already on %s (branch %s)",
				  masked, date_format(st->checkin_date, day),
				  st->checkin ? st->checkin->branch : "?");
		goto out;
	}
	if (!site_is_inflow(st, rq->daemon->site_id)) {
		rc = request_fail(rq, LD_EFORBIDDEN,
				  "member %s is %s, not registered out to this site", masked,
				  location_text(member_location(st)));
		goto out;
	}
	rc = branch_find(rq, txn, branch, &b);
	if (rc)
		goto out;
	if (date < t.body->issued) {
		char day[LD_DATE_LEN];
		rc = request_fail(
		    rq, LD_EINPUT, "--date %s is before the certificate was issued (%s)",
		    date_format(date, (char[LD_DATE_LEN]){0}), date_format(t.body->issued, day));
		goto out;
	}
	Ld__Checkin ci = LD__CHECKIN__INIT;
	ci.certificate = t.body->number;
	ci.branch = (char *)branch;
	ci.branch_name = b->name;
	ci.contact = (char *)(contact ? contact : "");
	Ld__Event ev = LD__EVENT__INIT;
	ev.kind = LD__EVENT_KIND__CHECKIN;
	ev.date = date;
	ev.member = t.body->member;
	ev.payload_case = LD__EVENT__PAYLOAD_CHECKIN;
	ev.checkin = &ci;
	if ((rc = commit_event(rq, txn, &ev, "checkin", t.body->number, NULL)))
		goto out;
	json_object_set_new(rq->result, "member", json_string(masked));
	json_object_set_new(rq->result, "name", json_string(t.body->name));
	json_object_set_new(rq->result, "certificate", json_string(t.body->number));
	json_object_set_new(rq->result, "branch", json_string(branch));
	json_object_set_new(rq->result, "date", view_date(date));
	json_object_set_new(rq->result, "state", json_string(location_name(LOC_CHECKED_IN)));
	/* 找组织: the branch his outflow site suggested from this site's directory. */
	if (st->outflow && st->outflow->suggested_branch[0]) {
		json_object_set_new(rq->result, "suggested_branch",
				    json_pack("{s:s, s:s}", "code", st->outflow->suggested_branch,
					      "name", st->outflow->suggested_branch_name));
		if (strcmp(st->outflow->suggested_branch, branch) != 0)
			request_warn(rq, "note: his outflow site suggested branch %s (%s)",
				     st->outflow->suggested_branch,
				     st->outflow->suggested_branch_name);
	}
out:
	if (b)
		ld__branch_info__free_unpacked(b, NULL);
	if (st)
		ld__member_state__free_unpacked(st, NULL);
	token_check_free(&t);
	return rc;
}

int cmd_cert_revoke(struct request *rq, struct store_txn *txn)
{
	const char *reason = request_param(rq, "reason");
	bool known = false;
	for (size_t i = 0; reason && i < sizeof(revoke_reasons) / sizeof(revoke_reasons[0]); i++)
		known = known || strcmp(reason, revoke_reasons[i]) == 0;
	if (!reason)
		return request_fail(rq, LD_EUSAGE,
				    "--reason is required; see liudong cert revoke --help");
	if (!known)
		return request_fail(rq, LD_EINPUT,
				    "--reason '%s' is not one of lost, returned, "
				    "transferred, lapsed, void",
				    reason);
	Ld__CertState *c;
	Ld__CertificateBody *b;
	int rc = cert_lookup(rq, txn, &c, &b);
	if (rc)
		return rc;
	if (!is_self(rq, &b->issuer)) {
		rc = request_fail(rq, LD_EFORBIDDEN,
				  "certificate %s was issued by %s: only it may revoke it",
				  c->number, b->issuer_name);
	} else if (c->revoked) {
		rc = request_fail(rq, LD_EALREADY, "certificate %s is revoked already (%s)",
				  c->number, c->revoke_reason);
	} else {
		Ld__CertRevoked r = LD__CERT_REVOKED__INIT;
		r.number = c->number;
		r.reason = (char *)reason;
		Ld__Event ev = LD__EVENT__INIT;
		ev.kind = LD__EVENT_KIND__CERT_REVOKED;
		ev.date = date_today();
		ev.member = b->member;
		ev.payload_case = LD__EVENT__PAYLOAD_REVOKED;
		ev.revoked = &r;
		rc = commit_event(rq, txn, &ev, "cert.revoke", c->number, NULL);
		if (rc == 0) {
			json_object_set_new(rq->result, "number", json_string(c->number));
			json_object_set_new(rq->result, "status", json_string("revoked"));
			json_object_set_new(rq->result, "reason", json_string(reason));
		}
	}
	ld__certificate_body__free_unpacked(b, NULL);
	ld__cert_state__free_unpacked(c, NULL);
	return rc;
}

int cmd_cert_review(struct request *rq, struct store_txn *txn)
{
	const char *result = request_param(rq, "result");
	if (!result)
		return request_fail(rq, LD_EUSAGE,
				    "--result is required; see liudong cert review --help");
	int rc = request_text(rq, "result", result, 500);
	if (rc)
		return rc;
	int32_t date;
	if ((rc = request_date_opt(rq, &date)))
		return rc;
	Ld__CertState *c;
	Ld__CertificateBody *b;
	rc = cert_lookup(rq, txn, &c, &b);
	if (rc)
		return rc;
	if (!is_self(rq, &b->issuer) && !is_self(rq, &b->inflow_site)) {
		rc = request_fail(rq, LD_EFORBIDDEN,
				  "certificate %s is reviewed by its issuer %s or its "
				  "inflow site %s",
				  c->number, b->issuer_name, b->inflow_name);
	} else if (c->revoked) {
		rc = request_fail(rq, LD_EREVOKED, "certificate %s is revoked", c->number);
	} else {
		Ld__CertReviewed r = LD__CERT_REVIEWED__INIT;
		r.number = c->number;
		r.result = (char *)result;
		r.failed = request_flag(rq, "failed"); /* a failed review renews nothing */
		Ld__Event ev = LD__EVENT__INIT;
		ev.kind = LD__EVENT_KIND__CERT_REVIEWED;
		ev.date = date;
		ev.member = b->member;
		ev.payload_case = LD__EVENT__PAYLOAD_REVIEWED;
		ev.reviewed = &r;
		rc = commit_event(rq, txn, &ev, "cert.review", c->number, NULL);
		if (rc == 0) {
			json_object_set_new(rq->result, "number", json_string(c->number));
			json_object_set_new(rq->result, "date", view_date(date));
			json_object_set_new(rq->result, "result", json_string(result));
			json_object_set_new(rq->result, "passed", json_boolean(!r.failed));
		}
	}
	ld__certificate_body__free_unpacked(b, NULL);
	ld__cert_state__free_unpacked(c, NULL);
	return rc;
}
