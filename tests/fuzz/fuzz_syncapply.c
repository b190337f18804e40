/*
 * fuzz_syncapply.c: whatever a pinned peer sends, through sync_apply_batch on a real store.
 *
 * The store is seeded once per process (a temp dir, removed at exit): this site S is the outflow
 * site of M1 (at home), M2 (away at the peer P, with a certificate, a receipt, checked in there)
 * and M4 (away at P, a transfer letter to P issued); P is the outflow site of M3, away at S. P's
 * batch up to seq 3 is applied, so P's cursor stands at (log L, 3).
 *
 * An input is an EventBatch; if it does not unpack as one, it is read as a list of events, each a
 * 2-byte big-endian length and that many bytes (the last takes what is left), wrapped in a batch
 * of log L continuing the cursor, (3, 3 + 64], so the fuzzer reaches the per-event checks. The
 * batch is applied in a write transaction that is then aborted: every input starts from the seed.
 *
 * Invariants (a violation traps): sync_apply_batch returns 0, -ERANGE, or a resource errno
 * (-ENOMEM, LD_EMAPFULL, LD_ENOSPACE, -EIO); when 0, applied + duplicates + quarantined is the
 * number of events. Anything else means a peer can stall the link by resending what the receiver
 * cannot settle. LeakSanitizer checks that nothing leaks.
 *
 * FUZZ_SYNCAPPLY_TOLERATE=1 counts such returns instead of trapping (printed at exit), so a long
 * run looks for crashes past a known stall; FUZZ_SYNCAPPLY_VERBOSE prints each input's outcome.
 * FUZZ_SYNCAPPLY_CORPUS=DIR writes the seed corpus
 * (valid batches, each event kind without payload, garbage) into DIR and exits.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "date.h"
#include "eventlog.h"
#include "fuzz_events.h"
#include "logging.h"
#include "syncapply.h"
#include "lderr.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define M1	 "11010519491231002X"
#define M2	 "110105194912310038"
#define M3	 "320583198001010016"
#define M4	 "320583198202020026"
#define CERT	 "320583-2026-000001"
#define RECEIPT	 "320583-2026-R000001"
#define LETTER	 "320583-2026-T000001"
#define SEED_SEQ 3 /* P's events applied at seed time */
#define WINDOW	 64

static char dir[] = "/tmp/liudong-fuzz-sync-XXXXXX";
static struct store *store;
static uint8_t self[LD_SITE_ID_BYTES], peer[LD_SITE_ID_BYTES];
static uint8_t peer_log[LD_LOG_ID_BYTES];
static unsigned long tolerated;
static bool tolerate, verbose;

/* ---------------------------------------------------------------------------------------------- */
/* The seed                                                                                       */

/* S's own events: M1 at home; M2 out to P with a certificate and a receipt; M4 out, a letter. */
static void seed_local(struct store_txn *txn)
{
	fuzz_commit_registered(txn, self, M1);
	fuzz_commit_registered(txn, self, M2);
	fuzz_commit_registered(txn, self, M4);
	fuzz_commit_outflow(txn, self, M2, peer);
	fuzz_commit_outflow(txn, self, M4, peer);
	Ld__CertificateBody body = LD__CERTIFICATE_BODY__INIT;
	body.number = CERT;
	body.member = M2;
	body.name = "张三";
	body.issuer.data = self;
	body.issuer.len = LD_SITE_ID_BYTES;
	body.inflow_site.data = peer;
	body.inflow_site.len = LD_SITE_ID_BYTES;
	body.issued = 20600;
	body.valid_until = 20600 + 365;
	uint8_t bb[512], sig[64] = {0};
	size_t bl = ld__certificate_body__pack(&body, bb);
	Ld__SignedCertificate sc = LD__SIGNED_CERTIFICATE__INIT;
	sc.body.data = bb;
	sc.body.len = bl;
	sc.signature.data = sig;
	sc.signature.len = sizeof(sig);
	Ld__Event cert = LD__EVENT__INIT;
	cert.kind = LD__EVENT_KIND__CERT_ISSUED;
	cert.member = M2;
	cert.payload_case = LD__EVENT__PAYLOAD_CERT;
	cert.cert = &sc;
	fuzz_commit_local(txn, self, &cert);
	Ld__DuesPaid dp = LD__DUES_PAID__INIT;
	dp.receipt = RECEIPT;
	dp.from_month = 2026 * 12;
	dp.to_month = 2026 * 12 + 2;
	dp.amount_fen = 4500;
	dp.basis_fen = 4500;
	dp.collector = "S";
	Ld__Event paid = LD__EVENT__INIT;
	paid.kind = LD__EVENT_KIND__DUES_PAID;
	paid.member = M2;
	paid.payload_case = LD__EVENT__PAYLOAD_DUES_PAID;
	paid.dues_paid = &dp;
	fuzz_commit_local(txn, self, &paid);
	Ld__TransferLetter l = LD__TRANSFER_LETTER__INIT;
	l.number = LETTER;
	l.member = M4;
	l.issuer.data = self;
	l.issuer.len = LD_SITE_ID_BYTES;
	l.to_site.data = peer;
	l.to_site.len = LD_SITE_ID_BYTES;
	l.org = "某组织";
	l.issued = 20600;
	l.valid_until = 20690;
	uint8_t lb[512];
	size_t ll = ld__transfer_letter__pack(&l, lb);
	Ld__Transfer t = LD__TRANSFER__INIT;
	t.letter.data = lb;
	t.letter.len = ll;
	t.signature.data = sig;
	t.signature.len = sizeof(sig);
	t.number = LETTER;
	Ld__Event tr = LD__EVENT__INIT;
	tr.kind = LD__EVENT_KIND__TRANSFER_ISSUED;
	tr.member = M4;
	tr.payload_case = LD__EVENT__PAYLOAD_TRANSFER;
	tr.transfer = &t;
	fuzz_commit_local(txn, self, &tr);
}

/* P's seq 1..3: M3 registered and out to S; M2 checks in at P. Into EV[3] (caller frees). */
static void peer_seed_events(ProtobufCBinaryData ev[SEED_SEQ])
{
	/* A peer's member reaches this site by his registration out to it (self-contained). */
	Ld__MemberInfo m3 = fuzz_member_info(M3);
	ev[0] = fuzz_pack_outflow(peer, 1, &m3, self);
	Ld__Note report = LD__NOTE__INIT;
	report.text = "思想汇报";
	ev[1] = fuzz_pack_note(peer, 2, LD__EVENT_KIND__REPORT_RECEIVED, M3, &report);
	Ld__Checkin ci = LD__CHECKIN__INIT;
	ci.certificate = CERT;
	ci.branch = "101";
	ci.branch_name = "流入支部";
	Ld__Event chk = fuzz_event(peer, 3, LD__EVENT_KIND__CHECKIN, M2);
	chk.payload_case = LD__EVENT__PAYLOAD_CHECKIN;
	chk.checkin = &ci;
	ev[2] = fuzz_event_pack(&chk);
}

/* ---------------------------------------------------------------------------------------------- */
/* The seed corpus                                                                                */

static void write_file(const char *out, const char *name, const uint8_t *data, size_t len)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", out, name);
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(data, 1, len, f) != len || fclose(f) != 0)
		abort();
}

/* A list of events in the raw form: 2-byte length, bytes. */
static void write_list(const char *out, const char *name, ProtobufCBinaryData *ev, size_t n)
{
	size_t total = 0;
	for (size_t i = 0; i < n; i++)
		total += 2 + ev[i].len;
	uint8_t *buf = malloc(total ? total : 1), *p = buf;
	for (size_t i = 0; i < n; i++) {
		*p++ = (uint8_t)(ev[i].len >> 8);
		*p++ = (uint8_t)ev[i].len;
		memcpy(p, ev[i].data, ev[i].len);
		p += ev[i].len;
	}
	write_file(out, name, buf, total);
	free(buf);
}

static void write_batch(const char *out, const char *name, ProtobufCBinaryData *ev, size_t n,
			uint64_t prev, uint64_t last)
{
	Ld__EventBatch b = fuzz_batch(peer_log, ev, n, prev, last);
	size_t len = ld__event_batch__get_packed_size(&b);
	uint8_t *buf = malloc(len ? len : 1);
	ld__event_batch__pack(&b, buf);
	write_file(out, name, buf, len);
	free(buf);
}

/*
 * The service side (service.h) from P, M2's inflow site: a request forwarded to S and a step of
 * it, a branch of P's directory, a visit; and what S quarantines: a notice (S's to send), a step
 * of a request S never had, a forward to another site, a forward about no member, a directory
 * entry naming a member.
 */
static void write_service(const char *out, uint64_t seq)
{
	ProtobufCBinaryData ev[10];
	size_t n = 0;
	Ld__ServiceRequest rq = LD__SERVICE_REQUEST__INIT;
	rq.id = "320100-2026-Q000001";
	rq.kind = "transfer";
	rq.text = "转接组织关系";
	rq.from_person = "张三";
	rq.phone = "";
	rq.owner = "wang";
	rq.opened = 20600;
	rq.due_date = 20614;
	rq.site.data = peer;
	rq.site.len = LD_SITE_ID_BYTES;
	Ld__TrailEntry t0 = LD__TRAIL_ENTRY__INIT;
	t0.action = "open";
	t0.by = "wang";
	t0.to = "wang";
	t0.text = rq.text;
	Ld__TrailEntry *trail[] = {&t0};
	Ld__RequestForward fw = LD__REQUEST_FORWARD__INIT;
	fw.request = &rq;
	fw.to_site.data = self;
	fw.to_site.len = LD_SITE_ID_BYTES;
	fw.to_name = "S";
	fw.note = "请流出地办理";
	fw.handler = "wang";
	fw.n_trail = 1;
	fw.trail = trail;
	Ld__Event e = fuzz_event(peer, ++seq, LD__EVENT_KIND__REQUEST_FORWARDED, M2);
	e.payload_case = LD__EVENT__PAYLOAD_FORWARD;
	e.forward = &fw;
	ev[n++] = fuzz_event_pack(&e);
	Ld__RequestStep st = LD__REQUEST_STEP__INIT;
	st.request = rq.id;
	st.action = "answer";
	st.to = "";
	st.text = "已联系";
	st.site = rq.site;
	st.forwarded_to = fw.to_site;
	e = fuzz_event(peer, ++seq, LD__EVENT_KIND__REQUEST_STEP, M2);
	e.payload_case = LD__EVENT__PAYLOAD_STEP;
	e.step = &st;
	ev[n++] = fuzz_event_pack(&e);
	Ld__BranchInfo b = LD__BRANCH_INFO__INIT;
	b.code = "101";
	b.name = "流入支部";
	b.address = "南京";
	b.contact = "李";
	b.phone = "025-1";
	b.accepts_mobile = true;
	e = fuzz_event(peer, ++seq, LD__EVENT_KIND__BRANCH_PUBLISHED, "");
	e.payload_case = LD__EVENT__PAYLOAD_BRANCH;
	e.branch = &b;
	ev[n++] = fuzz_event_pack(&e);
	Ld__Visit vi = LD__VISIT__INIT;
	vi.kind = "holiday";
	vi.text = "七一慰问";
	vi.help = "";
	e = fuzz_event(peer, ++seq, LD__EVENT_KIND__VISIT_RECORDED, M2);
	e.payload_case = LD__EVENT__PAYLOAD_VISIT;
	e.visit = &vi;
	ev[n++] = fuzz_event_pack(&e);
	Ld__Notice no = LD__NOTICE__INIT;
	no.id = "320100-2026-N000001";
	no.kind = "election";
	no.date = 20620;
	no.text = "换届选举";
	e = fuzz_event(peer, ++seq, LD__EVENT_KIND__NOTICE_SENT, M2);
	e.payload_case = LD__EVENT__PAYLOAD_NOTICE;
	e.notice = &no;
	ev[n++] = fuzz_event_pack(&e);
	st.request = "320100-2026-Q999999";
	e = fuzz_event(peer, ++seq, LD__EVENT_KIND__REQUEST_STEP, M2);
	e.payload_case = LD__EVENT__PAYLOAD_STEP;
	e.step = &st;
	ev[n++] = fuzz_event_pack(&e);
	rq.id = "320100-2026-Q000002";
	fw.to_site.data = peer;
	e = fuzz_event(peer, ++seq, LD__EVENT_KIND__REQUEST_FORWARDED, M2);
	e.payload_case = LD__EVENT__PAYLOAD_FORWARD;
	e.forward = &fw;
	ev[n++] = fuzz_event_pack(&e);
	fw.to_site.data = self;
	e = fuzz_event(peer, ++seq, LD__EVENT_KIND__REQUEST_FORWARDED, "");
	e.payload_case = LD__EVENT__PAYLOAD_FORWARD;
	e.forward = &fw;
	ev[n++] = fuzz_event_pack(&e);
	e = fuzz_event(peer, ++seq, LD__EVENT_KIND__BRANCH_PUBLISHED, M2);
	e.payload_case = LD__EVENT__PAYLOAD_BRANCH;
	e.branch = &b;
	ev[n++] = fuzz_event_pack(&e);
	write_list(out, "list-service", ev, n);
	write_batch(out, "batch-service", ev, n, SEED_SEQ, seq);
	for (size_t i = 0; i < n; i++)
		free(ev[i].data);
}

static void write_corpus(const char *out)
{
	ProtobufCBinaryData good[12];
	size_t n = 0;
	uint64_t seq = SEED_SEQ;
	Ld__Note note = LD__NOTE__INIT;
	note.text = "情况良好";
	note.kind = "situation";
	good[n++] = fuzz_pack_note(peer, ++seq, LD__EVENT_KIND__FEEDBACK, M2, &note);
	Ld__Meeting mt = LD__MEETING__INIT;
	mt.id = "320100-2026-M000001";
	mt.branch = "101";
	mt.kind = "theme-day";
	mt.topic = "主题党日";
	mt.date = 20600;
	mt.site.data = peer;
	mt.site.len = LD_SITE_ID_BYTES;
	Ld__Attendance at = LD__ATTENDANCE__INIT;
	at.meeting = &mt;
	at.present = true;
	Ld__Event att = fuzz_event(peer, ++seq, LD__EVENT_KIND__ATTENDANCE, M2);
	att.payload_case = LD__EVENT__PAYLOAD_ATTENDANCE;
	att.attendance = &at;
	good[n++] = fuzz_event_pack(&att);
	Ld__DuesPaid dp = LD__DUES_PAID__INIT;
	dp.receipt = "320100-2026-R000001";
	dp.from_month = 2026 * 12 + 1; /* overlaps S's receipt: a double payment */
	dp.to_month = 2026 * 12 + 3;
	dp.amount_fen = 4500;
	dp.basis_fen = 4500;
	Ld__Event paid = fuzz_event(peer, ++seq, LD__EVENT_KIND__DUES_PAID, M2);
	paid.payload_case = LD__EVENT__PAYLOAD_DUES_PAID;
	paid.dues_paid = &dp;
	good[n++] = fuzz_event_pack(&paid);
	Ld__CertReviewed rv = LD__CERT_REVIEWED__INIT;
	rv.number = CERT;
	rv.result = "合格";
	Ld__Event rev = fuzz_event(peer, ++seq, LD__EVENT_KIND__CERT_REVIEWED, M2);
	rev.payload_case = LD__EVENT__PAYLOAD_REVIEWED;
	rev.reviewed = &rv;
	good[n++] = fuzz_event_pack(&rev);
	Ld__Contact ct = LD__CONTACT__INIT;
	ct.phone = "13800000000";
	Ld__Event con = fuzz_event(peer, ++seq, LD__EVENT_KIND__CONTACT_CHANGED, M3);
	con.payload_case = LD__EVENT__PAYLOAD_CONTACT;
	con.contact = &ct;
	good[n++] = fuzz_event_pack(&con);
	good[n++] = fuzz_pack_note(peer, ++seq, LD__EVENT_KIND__REPORT_RECEIVED, M3, &note);
	good[n++] = fuzz_pack_note(peer, ++seq, LD__EVENT_KIND__DEPARTURE_ASSESSED, M2, &note);
	good[n++] = fuzz_pack_note(peer, ++seq, LD__EVENT_KIND__RETURNED, M3, &note);
	Ld__Event rcv = fuzz_event(peer, ++seq, LD__EVENT_KIND__TRANSFER_RECEIVED, M4);
	Ld__Transfer tr = LD__TRANSFER__INIT;
	tr.number = LETTER;
	rcv.payload_case = LD__EVENT__PAYLOAD_TRANSFER;
	rcv.transfer = &tr;
	good[n++] = fuzz_event_pack(&rcv);
	write_batch(out, "batch-good", good, n, SEED_SEQ, seq);
	write_list(out, "list-good", good, n);
	/* A resend of the seed (duplicates) and a contradiction of its seq 1. */
	ProtobufCBinaryData seed[SEED_SEQ];
	peer_seed_events(seed);
	write_batch(out, "batch-resend", seed, SEED_SEQ, 0, SEED_SEQ);
	Ld__MemberInfo other = fuzz_member_info(M3);
	other.name = "李四";
	Ld__Event reg = fuzz_event(peer, 1, LD__EVENT_KIND__MEMBER_REGISTERED, M3);
	reg.payload_case = LD__EVENT__PAYLOAD_MEMBER_INFO;
	reg.member_info = &other;
	ProtobufCBinaryData contra = fuzz_event_pack(&reg);
	write_batch(out, "batch-contradiction", &contra, 1, 0, SEED_SEQ);
	write_batch(out, "batch-gap", good, 1, SEED_SEQ + 5, SEED_SEQ + 9);
	write_batch(out, "batch-empty", NULL, 0, SEED_SEQ, SEED_SEQ + 10);
	free(contra.data);
	for (int i = 0; i < SEED_SEQ; i++)
		free(seed[i].data);
	write_service(out, seq);
	/* Each kind without payload, about a member of each kind. */
	const char *members[] = {M1, M2, M3, M4};
	for (int k = 0; k <= LD__EVENT_KIND__VISIT_RECORDED; k++) {
		ProtobufCBinaryData bare[4];
		for (int i = 0; i < 4; i++) {
			Ld__Event e = fuzz_event(peer, SEED_SEQ + 1 + (uint64_t)i, k, members[i]);
			bare[i] = fuzz_event_pack(&e);
		}
		char name[64];
		snprintf(name, sizeof(name), "list-nopayload-%02d", k);
		write_list(out, name, bare, 4);
		for (int i = 0; i < 4; i++)
			free(bare[i].data);
	}
	static const uint8_t garbage[] = {0xff, 0xff, 0xff, 0xff, 0x0f, 0x12, 0x80, 0x00, 0x01};
	write_file(out, "garbage", garbage, sizeof(garbage));
	write_file(out, "list-garbage", (const uint8_t *)"\x00\x05\xff\xff\xff\xff\x01", 7);
	for (size_t i = 0; i < n; i++)
		free(good[i].data);
}

/* ---------------------------------------------------------------------------------------------- */

static void cleanup(void)
{
	if (tolerated)
		fprintf(stderr, "fuzz_syncapply: %lu input(s) stalled the batch (tolerated)\n",
			tolerated);
	if (store)
		store_close(store);
	store = NULL;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "fuzz_syncapply: could not remove %s\n", dir);
}

/* This site as the domain core judges the peer's events. */
static struct domain_site site_of(void)
{
	struct domain_site site = {.self = self, .today = date_today(), .probation_months = 12};
	return site;
}

/*
 * Apply B in *TXN as the writer does: the fast way, and if an event could not be folded, the
 * careful way in a fresh transaction (*TXN is then that one).
 */
static int apply(struct store_txn **txn, const Ld__EventBatch *b, struct apply_stats *st,
		 const char **why)
{
	struct domain_site site = site_of();
	int rc = sync_apply_batch(*txn, peer, &site, b, 0, st, why);
	if (rc != SYNC_APPLY_AGAIN)
		return rc;
	store_abort(*txn);
	if (store_begin(store, true, txn) != 0)
		abort();
	return sync_apply_batch(*txn, peer, &site, b, SYNC_APPLY_CAREFUL, st, why);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	memset(self, 0xa1, sizeof(self));
	memset(peer, 0xb2, sizeof(peer));
	memset(peer_log, 0x1b, sizeof(peer_log));
	const char *corpus = getenv("FUZZ_SYNCAPPLY_CORPUS");
	if (corpus) {
		write_corpus(corpus);
		exit(0);
	}
	const char *t = getenv("FUZZ_SYNCAPPLY_TOLERATE");
	tolerate = t && t[0] == '1';
	verbose = getenv("FUZZ_SYNCAPPLY_VERBOSE") != NULL;
	log_set_level(LOG_LEVEL_ERROR);
	if (!mkdtemp(dir))
		abort();
	atexit(cleanup);
	if (store_open(dir, 0, STORE_NOSYNC, &store) || meta_init(store, self))
		abort();
	struct store_txn *txn;
	if (store_begin(store, true, &txn))
		abort();
	seed_local(txn);
	ProtobufCBinaryData ev[SEED_SEQ];
	peer_seed_events(ev);
	Ld__EventBatch b = fuzz_batch(peer_log, ev, SEED_SEQ, 0, SEED_SEQ);
	struct apply_stats st = {0};
	const char *why;
	if (apply(&txn, &b, &st, &why) || st.applied != SEED_SEQ || store_commit(txn))
		abort();
	apply_stats_free(&st);
	for (int i = 0; i < SEED_SEQ; i++)
		free(ev[i].data);
	return 0;
}

static void check(int rc, const struct apply_stats *st, size_t n)
{
	if (verbose)
		fprintf(stderr,
			"fuzz_syncapply: rc %d, %zu event(s): %llu applied, %llu duplicate, %llu "
			"quarantined\n",
			rc, n, (unsigned long long)st->applied, (unsigned long long)st->duplicates,
			(unsigned long long)st->quarantined);
	if (rc == 0) {
		if (st->applied + st->duplicates + st->quarantined != n)
			__builtin_trap(); /* an event neither applied nor refused */
		return;
	}
	if (rc == -ERANGE || rc == -ENOMEM || rc == LD_EMAPFULL || rc == LD_ENOSPACE || rc == -EIO)
		return;
	if (tolerate) {
		tolerated++;
		return;
	}
	fprintf(stderr, "fuzz_syncapply: sync_apply_batch returned %d (%s)\n", rc, lderr_str(rc));
	cleanup();
	__builtin_trap(); /* the peer would resend this batch forever */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct store_txn *txn;
	if (store_begin(store, true, &txn) != 0)
		return 0;
	struct apply_stats st = {0};
	const char *why = NULL;
	Ld__EventBatch *b = ld__event_batch__unpack(NULL, size, data);
	if (b) {
		int rc = apply(&txn, b, &st, &why);
		check(rc, &st, b->n_events);
		ld__event_batch__free_unpacked(b, NULL);
	} else {
		/* Events as a list: 2-byte length, bytes; borrowed from DATA. */
		ProtobufCBinaryData ev[256];
		size_t n = 0;
		while (size > 0 && n < 256) {
			size_t len = size >= 2 ? ((size_t)data[0] << 8 | data[1]) : size;
			size_t skip = size >= 2 ? 2 : 0;
			if (len > size - skip)
				len = size - skip;
			ev[n].data = (uint8_t *)data + skip;
			ev[n].len = len;
			n++;
			data += skip + len;
			size -= skip + len;
		}
		Ld__EventBatch wrap = fuzz_batch(peer_log, ev, n, SEED_SEQ, SEED_SEQ + WINDOW);
		int rc = apply(&txn, &wrap, &st, &why);
		check(rc, &st, n);
	}
	apply_stats_free(&st);
	store_abort(txn);
	return 0;
}
