/*
 * fold.c: see fold.h. One function per kind of event; each reads the member's state, changes it,
 * and writes it back. A member's history is the list of local seqs in his state
 * (MemberState.history): one table row per member, so an event touches one page of member state,
 * not two.
 */
#include "fold.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "date.h"
#include "domain.h"
#include "event.h"
#include "idno.h"
#include "lderr.h"
#include "pbwire.h"
#include "service.h"

const enum store_table fold_tables[FOLD_TABLE_COUNT] = {TBL_MEMBERS,  TBL_BRANCHES, TBL_CERTS,
							TBL_MEETINGS, TBL_RECEIPTS, TBL_LETTERS,
							TBL_REQUESTS, TBL_NOTICES,  TBL_DIRECTORY};

int member_state_get(struct store_txn *txn, const char *idno, Ld__MemberState **out)
{
	struct store_val v;
	int rc = store_get(txn, TBL_MEMBERS, idno, strlen(idno), &v);
	if (rc)
		return rc;
	*out = ld__member_state__unpack(NULL, v.len, v.data);
	return *out ? 0 : LD_ECORRUPT;
}

/* The member IDNO before the event: the hint's when it holds him (borrowed), else read. */
static int before_get(struct store_txn *txn, struct fold_hint *h, const char *idno,
		      Ld__MemberState **out)
{
	if (h && h->have_before) {
		*out = h->before;
		return h->before ? 0 : LD_ENOTFOUND;
	}
	return member_state_get(txn, idno, out);
}

/* Free what before_get gave, unless it is the hint's. */
static void before_free(struct fold_hint *h, Ld__MemberState *st)
{
	if (st && (!h || st != h->before))
		ld__member_state__free_unpacked(st, NULL);
}

/* Where a state row is packed: its row of table T, under KEY (KLEN bytes). */
struct row_room {
	struct store_txn *txn;
	enum store_table t;
	const void *key;
	size_t klen;
};

static int row_reserve(void *ctx, size_t len, uint8_t **room)
{
	struct row_room *r = ctx;
	void *p;
	int rc = store_put_reserved(r->txn, r->t, r->key, r->klen, len, 0, &p);
	*room = p;
	return rc;
}

int fold_put_packed(struct store_txn *txn, enum store_table t, const void *key, size_t klen,
		    const ProtobufCMessage *msg)
{
	struct row_room room = {txn, t, key, klen};
	return pbwire_pack_into(msg, row_reserve, &room);
}

int member_state_put(struct store_txn *txn, const Ld__MemberState *st)
{
	const char *id = st->info->id;
	return fold_put_packed(txn, TBL_MEMBERS, id, strlen(id), &st->base);
}

/*
 * The sub-messages of ST whose packed bytes are in the event's (H->EV_BYTES), so that packing ST
 * copies them: his record when it is the event's (member.registered and .updated, or the one an
 * outflow registration carries), and the registration itself when ST's outflow is it without
 * his record (BARE_OUTFLOW). Fills SP in field order and returns how many.
 */
static size_t state_splices(const struct fold_hint *h, const Ld__Event *ev,
			    const Ld__MemberState *st, bool bare_outflow,
			    struct pbwire_splice sp[2])
{
	struct pbwire_field f;
	unsigned count;
	if (!h || !h->ev_bytes)
		return 0;
	/* A oneof's case is its field's number. */
	if (ev->payload_case == LD__EVENT__PAYLOAD_MEMBER_INFO && st->info == ev->member_info) {
		if (pbwire_find(h->ev_bytes, h->ev_len, LD__EVENT__PAYLOAD_MEMBER_INFO, &f,
				&count) ||
		    count != 1)
			return 0;
		sp[0] = (struct pbwire_splice){1, f.value, f.len};
		return 1;
	}
	if (ev->payload_case != LD__EVENT__PAYLOAD_OUTFLOW || !ev->outflow ||
	    st->info != ev->outflow->member ||
	    pbwire_find(h->ev_bytes, h->ev_len, LD__EVENT__PAYLOAD_OUTFLOW, &f, &count) ||
	    count != 1)
		return 0;
	/* The registration as packed: his record first (field 1), then the rest. */
	const uint8_t *p = f.value, *end = f.value + f.len;
	struct pbwire_field rec;
	if (pbwire_next(&p, end, &rec) != 1 || rec.number != 1 || rec.type != 2 ||
	    pbwire_find(p, (size_t)(end - p), 1, &f, &count) || count != 0)
		return 0;
	sp[0] = (struct pbwire_splice){1, rec.value, rec.len};
	if (!bare_outflow)
		return 1;
	sp[1] = (struct pbwire_splice){5, p, (size_t)(end - p)};
	return 2;
}

int branch_get(struct store_txn *txn, const char *code, Ld__BranchInfo **out)
{
	struct store_val v;
	int rc = store_get(txn, TBL_BRANCHES, code, strlen(code), &v);
	if (rc)
		return rc;
	*out = ld__branch_info__unpack(NULL, v.len, v.data);
	return *out ? 0 : LD_ECORRUPT;
}

/* His state ST is put: what comes next in this fold reads the store, and EV is routed by ST. */
static void state_put_done(struct fold_hint *h, const Ld__Event *ev, const Ld__MemberState *st)
{
	h->have_before = false;
	if (h->self) {
		h->n_dest = domain_route(ev, st, h->self, h->dest);
		h->routed = h->n_dest >= 0;
	}
}

/*
 * Put ST with SEQ added to its history. OLD, if not NULL, is the state ST replaces: its history is
 * carried over. ST's own history field is ignored and left as it was. BARE_OUTFLOW: ST's outflow
 * is EV's registration without his record (state_splices).
 */
static int member_put_spliced(struct store_txn *txn, struct fold_hint *h, const Ld__Event *ev,
			      Ld__MemberState *st, const Ld__MemberState *old, uint64_t seq,
			      bool bare_outflow)
{
	size_t n = old ? old->n_history : 0;
	uint64_t stack[64];
	uint64_t *history = n + 1 <= 64 ? stack : malloc((n + 1) * sizeof(*history));
	if (!history)
		return -ENOMEM;
	if (n)
		memcpy(history, old->history, n * sizeof(*history));
	history[n] = seq;
	size_t keep_n = st->n_history;
	uint64_t *keep = st->history;
	st->history = history;
	st->n_history = n + 1;
	st->last_seq = seq;
	struct pbwire_splice sp[2] = {{0}};
	size_t n_sp = state_splices(h, ev, st, bare_outflow, sp);
	struct row_room room = {txn, TBL_MEMBERS, st->info->id, strlen(st->info->id)};
	int rc = pbwire_pack_spliced(&st->base, sp, n_sp, row_reserve, &room);
	if (rc == 0 && h)
		state_put_done(h, ev, st);
	st->history = keep;
	st->n_history = keep_n;
	if (history != stack)
		free(history);
	return rc;
}

/* member_put_spliced of ST, whose outflow (if any) is not an event's registration. */
static int member_put_with(struct store_txn *txn, struct fold_hint *h, const Ld__Event *ev,
			   Ld__MemberState *st, const Ld__MemberState *old, uint64_t seq)
{
	return member_put_spliced(txn, h, ev, st, old, seq, false);
}

/*
 * His state after an outflow registration EV (checked: EV->outflow and its member set) as a
 * member new here, into ST, with OUTFLOW (EV's registration without his record) as its outflow;
 * no seq in it yet.
 */
static void registered_out_state(const Ld__Event *ev, Ld__MemberState *st, Ld__OutflowInfo *outflow)
{
	const Ld__OutflowInfo *of = ev->outflow;
	/* The snapshot is self-contained: a site that never saw him before starts from it. */
	ld__member_state__init(st);
	st->info = of->member;
	member_set_location(st, LOC_AWAY);
	st->outflow_site = ev->origin;
	st->outflow_name = of->outflow_name;
	/* His record is the state's info: not kept a second time inside its outflow. */
	*outflow = *of;
	outflow->member = NULL;
	st->outflow = outflow;
}

/*
 * The fields of a new member's state that hold his seq (first_seq 7, last_seq 8, history 9, all
 * SEQ), as protobuf-c packs them, at P (room for 34 bytes: three tags, three varints, history's
 * length); returns the byte after them.
 */
static uint8_t *put_seq_fields(uint8_t *p, uint64_t seq)
{
	p = pbwire_put_varint(p, 7 << 3); /* first_seq, a varint */
	p = pbwire_put_varint(p, seq);
	p = pbwire_put_varint(p, 8 << 3); /* last_seq */
	p = pbwire_put_varint(p, seq);
	p = pbwire_put_varint(p, 9 << 3 | 2); /* history, packed: one varint */
	p = pbwire_put_varint(p, pbwire_varint_size(seq));
	return pbwire_put_varint(p, seq);
}

/*
 * ST (registered_out_state's, a member new here) put with SEQ from H->ahead, packed ahead
 * (fold_state_ahead): its rest laid out with his record (1) and registration (5) where
 * fold_state_ahead found they go, then the seq fields (7-9: a new member's state has no field
 * above them, and neither splice goes after them): the bytes member_put_spliced packs.
 */
static int member_put_ahead(struct store_txn *txn, struct fold_hint *h, const Ld__Event *ev,
			    Ld__MemberState *st, uint64_t seq)
{
	const struct fold_state_ahead *a = h->ahead;
	uint8_t tail[3 * 10 + 4];
	size_t tail_len = (size_t)(put_seq_fields(tail, seq) - tail);
	uint64_t history[1] = {seq};
	st->first_seq = st->last_seq = seq;
	st->history = history; /* ST as put, for the route (on this stack: not kept past here) */
	st->n_history = 1;
	struct row_room mr = {txn, TBL_MEMBERS, st->info->id, strlen(st->info->id)};
	int rc = pbwire_splice_at(a->rest, a->rest_len, a->sp, a->at, a->n_sp, tail, tail_len,
				  row_reserve, &mr);
	if (rc == 0)
		state_put_done(h, ev, st);
	st->history = NULL;
	st->n_history = 0;
	return rc;
}

/* fold_state_ahead's room: the caller's, its place kept in OUT. */
struct ahead_room {
	struct fold_state_ahead *out;
	pbwire_reserve_fn reserve;
	void *ctx;
};

static int ahead_reserve(void *ctx, size_t len, uint8_t **room)
{
	struct ahead_room *r = ctx;
	int rc = r->reserve(r->ctx, len, room);
	if (rc == 0) {
		r->out->rest = *room;
		r->out->rest_len = len;
	}
	return rc;
}

int fold_state_ahead(const Ld__Event *ev, const uint8_t *ev_bytes, size_t ev_len,
		     struct fold_state_ahead *out, pbwire_reserve_fn reserve, void *ctx)
{
	memset(out, 0, sizeof(*out));
	if (ev->kind != LD__EVENT_KIND__OUTFLOW_REGISTERED ||
	    ev->payload_case != LD__EVENT__PAYLOAD_OUTFLOW || !ev->outflow ||
	    !ev->outflow->member || !ev->outflow->member->id)
		return LD_ENOTFOUND;
	Ld__MemberState st;
	Ld__OutflowInfo outflow;
	registered_out_state(ev, &st, &outflow);
	struct fold_hint h = {.ev_bytes = ev_bytes, .ev_len = ev_len};
	out->n_sp = state_splices(&h, ev, &st, true, out->sp);
	if (out->n_sp != 2)
		return LD_ENOTFOUND; /* not as packed: the fold packs it whole */
	struct ahead_room r = {out, reserve, ctx};
	int rc = pbwire_pack_rest(&st.base, out->sp, out->n_sp, ahead_reserve, &r);
	if (rc == 0)
		pbwire_splice_points(out->rest, out->rest_len, out->sp, out->n_sp, out->at);
	if (rc)
		memset(out, 0, sizeof(*out));
	return rc == -EINVAL ? LD_ENOTFOUND : rc;
}

static int fold_member_registered(struct store_txn *txn, struct fold_hint *h, const Ld__Event *ev,
				  uint64_t seq)
{
	if (!ev->member_info)
		return LD_ECORRUPT;
	Ld__MemberState st = LD__MEMBER_STATE__INIT;
	st.info = ev->member_info;
	member_set_location(&st, LOC_HOME);
	st.outflow_site = ev->origin;
	st.first_seq = seq;
	return member_put_with(txn, h, ev, &st, NULL, seq);
}

static int fold_member_updated(struct store_txn *txn, struct fold_hint *h, const Ld__Event *ev,
			       uint64_t seq)
{
	if (!ev->member_info)
		return LD_ECORRUPT;
	Ld__MemberState *old;
	int rc = before_get(txn, h, ev->member, &old);
	if (rc)
		return rc;
	Ld__MemberInfo *keep = old->info;
	old->info = ev->member_info;
	rc = member_put_with(txn, h, ev, old, old, seq);
	old->info = keep;
	before_free(h, old);
	return rc;
}

static int fold_outflow_registered(struct store_txn *txn, struct fold_hint *h, const Ld__Event *ev,
				   uint64_t seq)
{
	Ld__OutflowInfo *of = ev->outflow;
	if (!of || !of->member)
		return LD_ECORRUPT;
	Ld__MemberState *old = NULL;
	int rc = before_get(txn, h, ev->member, &old);
	if (rc && rc != LD_ENOTFOUND)
		return rc;
	Ld__MemberState st;
	Ld__OutflowInfo outflow;
	registered_out_state(ev, &st, &outflow);
	if (!old && h && h->ahead)
		return member_put_ahead(txn, h, ev, &st, seq);
	st.first_seq = old ? old->first_seq : seq;
	if (old) {
		/* Cases and records run on beside a new registration. */
		st.certificate = old->certificate;
		st.lapse = old->lapse;
		st.probation_until = old->probation_until;
		st.n_exemptions = old->n_exemptions;
		st.exemptions = old->exemptions;
		st.n_receipts = old->n_receipts;
		st.receipts = old->receipts;
		st.last_attended = old->last_attended;
		st.last_report = old->last_report;
		st.last_contact = old->last_contact;
		st.transfer = old->transfer;
		st.transfer_to = old->transfer_to;
		st.temp_branch = old->temp_branch;
	}
	rc = member_put_spliced(txn, h, ev, &st, old, seq, true);
	if (old)
		before_free(h, old);
	return rc;
}

static int fold_branch_added(struct store_txn *txn, const Ld__Event *ev)
{
	if (!ev->branch)
		return LD_ECORRUPT;
	const char *code = ev->branch->code;
	return fold_put_packed(txn, TBL_BRANCHES, code, strlen(code), &ev->branch->base);
}

int cert_state_get(struct store_txn *txn, const char *number, Ld__CertState **out)
{
	struct store_val v;
	int rc = store_get(txn, TBL_CERTS, number, strlen(number), &v);
	if (rc)
		return rc;
	*out = ld__cert_state__unpack(NULL, v.len, v.data);
	return *out ? 0 : LD_ECORRUPT;
}

static int cert_state_put(struct store_txn *txn, const Ld__CertState *c)
{
	return fold_put_packed(txn, TBL_CERTS, c->number, strlen(c->number), &c->base);
}

/* Add SEQ to the history of EV's member and let CHANGE (may be NULL) alter his state first. */
static int member_change(struct store_txn *txn, struct fold_hint *h, const Ld__Event *ev,
			 uint64_t seq,
			 void (*change)(Ld__MemberState *st, const Ld__Event *ev, void *ctx),
			 void *ctx)
{
	if (!ev->member || !ev->member[0])
		return 0;
	Ld__MemberState *old;
	int rc = before_get(txn, h, ev->member, &old);
	if (rc == LD_ENOTFOUND)
		return 0;
	if (rc)
		return rc;
	/* CHANGE may point fields of the state at EV or CTX: they outlive the put; restore after.
	 */
	Ld__MemberState saved = *old;
	if (change)
		change(old, ev, ctx);
	rc = member_put_with(txn, h, ev, old, &saved, seq);
	*old = saved;
	before_free(h, old);
	return rc;
}

static void set_certificate(Ld__MemberState *st, const Ld__Event *ev, void *number)
{
	st->certificate = number;
}

static int fold_cert_issued(struct store_txn *txn, struct fold_hint *h, const Ld__Event *ev,
			    uint64_t seq)
{
	if (!ev->cert)
		return LD_ECORRUPT;
	Ld__CertificateBody *body =
	    ld__certificate_body__unpack(NULL, ev->cert->body.len, ev->cert->body.data);
	if (!body)
		return LD_ECORRUPT;
	Ld__CertState c = LD__CERT_STATE__INIT;
	c.signed_ = ev->cert;
	c.number = body->number;
	c.member = body->member;
	int rc = cert_state_put(txn, &c);
	if (rc == 0)
		rc = member_change(txn, h, ev, seq, set_certificate, body->number);
	ld__certificate_body__free_unpacked(body, NULL);
	return rc;
}

static int fold_cert_revoked(struct store_txn *txn, struct fold_hint *h, const Ld__Event *ev,
			     uint64_t seq)
{
	if (!ev->revoked)
		return LD_ECORRUPT;
	Ld__CertState *c;
	int rc = cert_state_get(txn, ev->revoked->number, &c);
	if (rc == 0) {
		char *keep = c->revoke_reason;
		c->revoked = true;
		c->revoke_reason = ev->revoked->reason;
		c->revoked_date = ev->date;
		rc = cert_state_put(txn, c);
		c->revoke_reason = keep;
		ld__cert_state__free_unpacked(c, NULL);
	} else if (rc == LD_ENOTFOUND) {
		rc = 0; /* a certificate this site never saw: history only */
	}
	return rc ? rc : member_change(txn, h, ev, seq, NULL, NULL);
}

static int fold_cert_reviewed(struct store_txn *txn, struct fold_hint *h, const Ld__Event *ev,
			      uint64_t seq)
{
	if (!ev->reviewed)
		return LD_ECORRUPT;
	Ld__CertState *c;
	int rc = cert_state_get(txn, ev->reviewed->number, &c);
	if (rc == 0) {
		Ld__CertReview review = LD__CERT_REVIEW__INIT;
		review.date = ev->date;
		review.result = ev->reviewed->result;
		review.site = ev->origin;
		review.failed = ev->reviewed->failed;
		Ld__CertReview **reviews = malloc((c->n_reviews + 1) * sizeof(*reviews));
		if (!reviews) {
			ld__cert_state__free_unpacked(c, NULL);
			return -ENOMEM;
		}
		if (c->n_reviews)
			memcpy(reviews, c->reviews, c->n_reviews * sizeof(*reviews));
		reviews[c->n_reviews] = &review;
		Ld__CertReview **keep = c->reviews;
		c->reviews = reviews;
		c->n_reviews++;
		rc = cert_state_put(txn, c);
		c->n_reviews--;
		c->reviews = keep;
		free(reviews);
		ld__cert_state__free_unpacked(c, NULL);
	} else if (rc == LD_ENOTFOUND) {
		rc = 0;
	}
	return rc ? rc : member_change(txn, h, ev, seq, NULL, NULL);
}

static int32_t later(int32_t a, int32_t b)
{
	return a == LD_DATE_NONE || b > a ? b : a;
}

/* A member's contact with his branches: reports, changes, attendance, check-in, feedback. */
static void touch_contact(Ld__MemberState *st, const Ld__Event *ev)
{
	st->last_contact = later(st->last_contact, ev->date);
}

static void set_checked_in(Ld__MemberState *st, const Ld__Event *ev, void *ctx)
{
	member_set_location(st, LOC_CHECKED_IN);
	st->checkin = ev->checkin;
	st->checkin_date = ev->date;
	touch_contact(st, ev);
}

/* Revoke certificate NUMBER (recalled on return or transfer) if this site has it. */
static int recall_certificate(struct store_txn *txn, const char *number, const char *reason,
			      int32_t date)
{
	if (!number || !number[0])
		return 0;
	Ld__CertState *c;
	int rc = cert_state_get(txn, number, &c);
	if (rc == LD_ENOTFOUND)
		return 0;
	if (rc)
		return rc;
	if (!c->revoked) {
		char *keep = c->revoke_reason;
		c->revoked = true;
		c->revoke_reason = (char *)reason;
		c->revoked_date = date;
		rc = cert_state_put(txn, c);
		c->revoke_reason = keep;
	}
	ld__cert_state__free_unpacked(c, NULL);
	return rc;
}

static void on_attendance(Ld__MemberState *st, const Ld__Event *ev, void *ctx)
{
	if (ev->attendance->present && ev->attendance->meeting)
		st->last_attended = later(st->last_attended, ev->attendance->meeting->date);
	touch_contact(st, ev);
}

/*
 * A repeated field of a member's state with one item more: the change callback points the state
 * at ARRAY (malloc'd here, freed by the fold after the put) or sets FAILED (the fold fails).
 */
struct append {
	const void *item; /* the new element (a pointer), SIZE bytes */
	void *array;
	bool failed;
};

/* ARRAY := OLD's N elements of SIZE bytes and A->item after them. */
static void *append_one(struct append *a, const void *old, size_t n, size_t size)
{
	char *array = malloc((n + 1) * size);
	if (!array) {
		a->failed = true;
		return NULL;
	}
	if (n)
		memcpy(array, old, n * size);
	memcpy(array + n * size, a->item, size);
	a->array = array;
	return array;
}

static void on_dues_paid(Ld__MemberState *st, const Ld__Event *ev, void *ctx)
{
	char **receipts = append_one(ctx, st->receipts, st->n_receipts, sizeof(*st->receipts));
	if (receipts) {
		st->receipts = receipts;
		st->n_receipts++;
	}
}

static void on_report(Ld__MemberState *st, const Ld__Event *ev, void *ctx)
{
	st->last_report = later(st->last_report, ev->date);
	touch_contact(st, ev);
}

/*
 * Room for changed copies of a member's info and outflow registration: a change callback copies
 * the old ones here (their strings stay borrowed from the old state, alive during the put) and
 * points the state at the copies, so nothing the old state owns is altered.
 */
struct scratch {
	Ld__MemberInfo info;
	Ld__OutflowInfo outflow;
};

static void on_contact(Ld__MemberState *st, const Ld__Event *ev, void *ctx)
{
	struct scratch *sc = ctx;
	const Ld__Contact *c = ev->contact;
	sc->info = *st->info;
	if (c->phone[0])
		sc->info.phone = c->phone;
	st->info = &sc->info;
	if (st->outflow) {
		sc->outflow = *st->outflow;
		if (c->place[0])
			sc->outflow.place = c->place;
		if (c->employer[0])
			sc->outflow.employer = c->employer;
		st->outflow = &sc->outflow;
	}
	touch_contact(st, ev);
}

static void on_feedback(Ld__MemberState *st, const Ld__Event *ev, void *ctx)
{
	touch_contact(st, ev);
}

static void on_departure(Ld__MemberState *st, const Ld__Event *ev, void *ctx)
{
	st->departed = ev->date;
	if (member_stay_active(st))
		member_set_location(st, LOC_DEPARTED);
}

/* A former inflow site hears that his stay there ended (he was registered out elsewhere). */
static void on_stay_ended(Ld__MemberState *st, const Ld__Event *ev, void *ctx)
{
	const ProtobufCBinaryData *site = &ev->stay_ended->inflow_site;
	if (member_stay_active(st) && st->outflow->inflow_site.len == site->len &&
	    memcmp(st->outflow->inflow_site.data, site->data, site->len) == 0) {
		member_set_location(st, LOC_DEPARTED);
		st->stay_ended = ev->date;
	}
}

static void on_returned(Ld__MemberState *st, const Ld__Event *ev, void *ctx)
{
	member_set_location(st, LOC_RETURNED);
	st->returned = ev->date;
	touch_contact(st, ev);
}

static void on_transfer_issued(Ld__MemberState *st, const Ld__Event *ev, void *letter)
{
	const Ld__TransferLetter *l = letter;
	st->transfer = l->number;
	st->transfer_to = l->to_site;
	/* A letter to another site than his current inflow site ends his stay there. */
	const uint8_t *inflow = member_inflow_site(st);
	if (inflow && memcmp(inflow, l->to_site.data, LD_SITE_ID_BYTES) != 0)
		member_set_location(st, LOC_DEPARTED);
}

static void on_transfer_received(Ld__MemberState *st, const Ld__Event *ev, void *ctx)
{
	member_set_location(st, LOC_TRANSFERRED);
	st->transfer_received = ev->date;
}

static void on_probation_opinion(Ld__MemberState *st, const Ld__Event *ev, void *ctx)
{
	st->probation = ev->note->text;
}

static void on_probation_decided(Ld__MemberState *st, const Ld__Event *ev, void *ctx)
{
	struct scratch *sc = ctx;
	if (strcmp(ev->note->outcome, "full") == 0) {
		sc->info = *st->info;
		sc->info.kind = "full";
		st->info = &sc->info;
		st->probation_until = 0;
	} else if (strcmp(ev->note->outcome, "extend") == 0) {
		st->probation_until = ev->note->until;
	} else if (strcmp(ev->note->outcome, "cancel") == 0) {
		member_set_location(st, LOC_REMOVED);
	}
}

/* A lapse case runs beside his location and never changes it, but for removal. */
static void on_lapse_opened(Ld__MemberState *st, const Ld__Event *ev, void *ctx)
{
	st->lapse = ev->note->text;
}

static void on_lapse_decided(Ld__MemberState *st, const Ld__Event *ev, void *ctx)
{
	if (strcmp(ev->note->outcome, "removal") == 0)
		member_set_location(st, LOC_REMOVED);
	st->lapse = "";
}

static int fold_dues_paid(struct store_txn *txn, struct fold_hint *h, const Ld__Event *ev,
			  uint64_t seq)
{
	Ld__Receipt r = LD__RECEIPT__INIT;
	r.paid = ev->dues_paid;
	r.member = ev->member;
	r.site = ev->origin;
	r.date = ev->date;
	const char *number = ev->dues_paid->receipt;
	int rc = fold_put_packed(txn, TBL_RECEIPTS, number, strlen(number), &r.base);
	if (rc)
		return rc;
	struct append ra = {.item = &number};
	rc = member_change(txn, h, ev, seq, on_dues_paid, &ra);
	if (rc == 0 && ra.failed)
		rc = -ENOMEM;
	free(ra.array);
	return rc;
}

static int fold_dues_refunded(struct store_txn *txn, struct fold_hint *h, const Ld__Event *ev,
			      uint64_t seq)
{
	const char *number = ev->dues_refunded->receipt;
	struct store_val v;
	int rc = store_get(txn, TBL_RECEIPTS, number, strlen(number), &v);
	if (rc == 0) {
		Ld__Receipt *r = ld__receipt__unpack(NULL, v.len, v.data);
		if (!r)
			return LD_ECORRUPT;
		char *keep = r->refund_reason;
		r->refunded = true;
		r->refund_reason = ev->dues_refunded->reason;
		rc = fold_put_packed(txn, TBL_RECEIPTS, number, strlen(number), &r->base);
		r->refund_reason = keep;
		ld__receipt__free_unpacked(r, NULL);
	} else if (rc == LD_ENOTFOUND) {
		rc = 0;
	}
	return rc ? rc : member_change(txn, h, ev, seq, NULL, NULL);
}

/* The receiving site of a letter who never knew him starts from the snapshot the event carries. */
static int member_from_snapshot(struct store_txn *txn, struct fold_hint *h, const Ld__Event *ev,
				uint64_t seq)
{
	Ld__MemberState *old;
	int rc = before_get(txn, h, ev->member, &old);
	if (rc == 0)
		before_free(h, old);
	if (rc != LD_ENOTFOUND || !ev->transfer->member)
		return rc == LD_ENOTFOUND ? 0 : rc;
	Ld__MemberState st = LD__MEMBER_STATE__INIT;
	st.info = ev->transfer->member;
	member_set_location(&st, LOC_HOME);
	st.outflow_site = ev->origin;
	st.first_seq = seq;
	st.last_seq = seq;
	if (h)
		h->have_before = false; /* the state is in the store now, not in the hint */
	return member_state_put(txn, &st);
}

static int fold_transfer_issued(struct store_txn *txn, struct fold_hint *h, const Ld__Event *ev,
				uint64_t seq)
{
	Ld__TransferLetter *l =
	    ld__transfer_letter__unpack(NULL, ev->transfer->letter.len, ev->transfer->letter.data);
	if (!l)
		return LD_ECORRUPT;
	int rc =
	    fold_put_packed(txn, TBL_LETTERS, l->number, strlen(l->number), &ev->transfer->base);
	if (rc == 0)
		rc = member_from_snapshot(txn, h, ev, seq);
	if (rc == 0)
		rc = member_change(txn, h, ev, seq, on_transfer_issued, l);
	ld__transfer_letter__free_unpacked(l, NULL);
	return rc;
}

/* The certificate number of EV's member, copied into OUT ("" if none). */
static void member_certificate(struct store_txn *txn, struct fold_hint *h, const Ld__Event *ev,
			       char *out, size_t len)
{
	Ld__MemberState *st;
	out[0] = '\0';
	if (before_get(txn, h, ev->member, &st) == 0) {
		snprintf(out, len, "%s", st->certificate);
		before_free(h, st);
	}
}

/* A kind that ends his mobility (REMOVES: or, for a decision, his membership) recalls his
 * certificate for REASON, then changes his state as CHANGE does (with CTX). */
static int fold_recall(struct store_txn *txn, struct fold_hint *h, const Ld__Event *ev,
		       uint64_t seq, bool removes, const char *reason,
		       void (*change)(Ld__MemberState *, const Ld__Event *, void *), void *ctx)
{
	if (removes) {
		char number[64];
		member_certificate(txn, h, ev, number, sizeof(number));
		int rc = recall_certificate(txn, number, reason, ev->date);
		if (rc)
			return rc;
	}
	return member_change(txn, h, ev, seq, change, ctx);
}

static void on_exempted(Ld__MemberState *st, const Ld__Event *ev, void *ctx)
{
	Ld__DuesExemption **all =
	    append_one(ctx, st->exemptions, st->n_exemptions, sizeof(*st->exemptions));
	if (all) {
		st->exemptions = all;
		st->n_exemptions++;
	}
}

static int fold_exempted(struct store_txn *txn, struct fold_hint *h, const Ld__Event *ev,
			 uint64_t seq)
{
	struct append ea = {.item = &ev->exemption};
	int rc = member_change(txn, h, ev, seq, on_exempted, &ea);
	if (rc == 0 && ea.failed)
		rc = -ENOMEM;
	free(ea.array);
	return rc;
}

static void on_branch_joined(Ld__MemberState *st, const Ld__Event *ev, void *ctx)
{
	st->temp_branch = ev->branch->code;
}

static void on_branch_left(Ld__MemberState *st, const Ld__Event *ev, void *ctx)
{
	if (strcmp(st->temp_branch, ev->branch->code) == 0)
		st->temp_branch = "";
}

static void on_visit(Ld__MemberState *st, const Ld__Event *ev, void *ctx)
{
	if (!st->last_visit || ev->date > st->last_visit)
		st->last_visit = ev->date;
	touch_contact(st, ev);
}

/* A service event: its table (requests, notices, directory), then his history if it names him. */
static int fold_service(struct store_txn *txn, struct fold_hint *h, const Ld__Event *ev,
			uint64_t seq)
{
	int rc = service_fold(txn, ev);
	if (rc || ev->kind == LD__EVENT_KIND__BRANCH_PUBLISHED)
		return rc;
	return member_change(txn, h, ev, seq, NULL, NULL);
}

/* An event of a kind this version cannot fold: still part of the member's history. */
static int fold_history_only(struct store_txn *txn, struct fold_hint *h, const Ld__Event *ev,
			     uint64_t seq)
{
	return member_change(txn, h, ev, seq, NULL, NULL);
}

int fold_apply(struct store_txn *txn, const Ld__Event *ev, uint64_t seq)
{
	return fold_apply_hinted(txn, ev, seq, NULL);
}

int fold_apply_hinted(struct store_txn *txn, const Ld__Event *ev, uint64_t seq, struct fold_hint *h)
{
	struct scratch sc;
	Ld__Event__PayloadCase payload = event_kind_payload(ev->kind);
	if (payload != LD__EVENT__PAYLOAD__NOT_SET && ev->payload_case != payload)
		return LD_ECORRUPT; /* another kind's payload: the oneof's pointers are not this
				     * kind's
				     */
	switch (ev->kind) {
	case LD__EVENT_KIND__MEMBER_REGISTERED:
		return fold_member_registered(txn, h, ev, seq);
	case LD__EVENT_KIND__MEMBER_UPDATED:
		return fold_member_updated(txn, h, ev, seq);
	case LD__EVENT_KIND__OUTFLOW_REGISTERED:
		return fold_outflow_registered(txn, h, ev, seq);
	case LD__EVENT_KIND__BRANCH_ADDED:
		return fold_branch_added(txn, ev);
	case LD__EVENT_KIND__CERT_ISSUED:
		return fold_cert_issued(txn, h, ev, seq);
	case LD__EVENT_KIND__CERT_REVOKED:
		return fold_cert_revoked(txn, h, ev, seq);
	case LD__EVENT_KIND__CERT_REVIEWED:
		return fold_cert_reviewed(txn, h, ev, seq);
	case LD__EVENT_KIND__CHECKIN:
		if (!ev->checkin)
			return LD_ECORRUPT;
		return member_change(txn, h, ev, seq, set_checked_in, NULL);
	case LD__EVENT_KIND__MEETING_HELD:
		if (!ev->meeting)
			return LD_ECORRUPT;
		return fold_put_packed(txn, TBL_MEETINGS, ev->meeting->id, strlen(ev->meeting->id),
				       &ev->meeting->base);
	case LD__EVENT_KIND__ATTENDANCE:
		if (!ev->attendance || !ev->attendance->meeting)
			return LD_ECORRUPT;
		return member_change(txn, h, ev, seq, on_attendance, NULL);
	case LD__EVENT_KIND__DUES_PAID:
		return ev->dues_paid ? fold_dues_paid(txn, h, ev, seq) : LD_ECORRUPT;
	case LD__EVENT_KIND__DUES_REFUNDED:
		return ev->dues_refunded ? fold_dues_refunded(txn, h, ev, seq) : LD_ECORRUPT;
	case LD__EVENT_KIND__REPORT_RECEIVED:
		return member_change(txn, h, ev, seq, on_report, NULL);
	case LD__EVENT_KIND__CONTACT_CHANGED:
		return ev->contact ? member_change(txn, h, ev, seq, on_contact, &sc) : LD_ECORRUPT;
	case LD__EVENT_KIND__FEEDBACK:
		return member_change(txn, h, ev, seq, on_feedback, NULL);
	case LD__EVENT_KIND__DEPARTURE_ASSESSED:
		return member_change(txn, h, ev, seq, on_departure, NULL);
	case LD__EVENT_KIND__RETURNED:
		return fold_recall(txn, h, ev, seq, true, "returned", on_returned, NULL);
	case LD__EVENT_KIND__TRANSFER_ISSUED:
		return ev->transfer ? fold_transfer_issued(txn, h, ev, seq) : LD_ECORRUPT;
	case LD__EVENT_KIND__TRANSFER_RECEIVED:
		return fold_recall(txn, h, ev, seq, true, "transferred", on_transfer_received,
				   NULL);
	case LD__EVENT_KIND__PROBATION_OPINION:
		return ev->note ? member_change(txn, h, ev, seq, on_probation_opinion, NULL)
				: LD_ECORRUPT;
	case LD__EVENT_KIND__PROBATION_DECIDED:
		return ev->note
			   ? fold_recall(txn, h, ev, seq, strcmp(ev->note->outcome, "cancel") == 0,
					 "void", on_probation_decided, &sc)
			   : LD_ECORRUPT;
	case LD__EVENT_KIND__LAPSE_OPENED:
		return ev->note ? member_change(txn, h, ev, seq, on_lapse_opened, NULL)
				: LD_ECORRUPT;
	case LD__EVENT_KIND__LAPSE_DECIDED:
		return ev->note
			   ? fold_recall(txn, h, ev, seq, strcmp(ev->note->outcome, "removal") == 0,
					 "lapsed", on_lapse_decided, NULL)
			   : LD_ECORRUPT;
	case LD__EVENT_KIND__STAY_ENDED:
		return ev->stay_ended ? member_change(txn, h, ev, seq, on_stay_ended, NULL)
				      : LD_ECORRUPT;
	case LD__EVENT_KIND__DUES_EXEMPTED:
		return ev->exemption ? fold_exempted(txn, h, ev, seq) : LD_ECORRUPT;
	case LD__EVENT_KIND__BRANCH_JOINED:
		return ev->branch ? member_change(txn, h, ev, seq, on_branch_joined, NULL)
				  : LD_ECORRUPT;
	case LD__EVENT_KIND__BRANCH_LEFT:
		return ev->branch ? member_change(txn, h, ev, seq, on_branch_left, NULL)
				  : LD_ECORRUPT;
	case LD__EVENT_KIND__REQUEST_OPENED:
	case LD__EVENT_KIND__REQUEST_FORWARDED:
	case LD__EVENT_KIND__REQUEST_STEP:
	case LD__EVENT_KIND__NOTICE_SENT:
	case LD__EVENT_KIND__NOTICE_ANSWERED:
	case LD__EVENT_KIND__BRANCH_PUBLISHED:
		return fold_service(txn, h, ev, seq);
	case LD__EVENT_KIND__VISIT_RECORDED:
		return member_change(txn, h, ev, seq, on_visit, NULL);
	default:
		/* A kind from a newer version: kept in the log, folded once we know it. */
		return fold_history_only(txn, h, ev, seq);
	}
}
