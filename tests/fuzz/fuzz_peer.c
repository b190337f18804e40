/*
 * fuzz_peer.c: whatever a pinned peer sends on a connection, after TLS: a stream of frames, each an
 * Envelope, taken as peerconn.c takes them (frame_peek with LD_FRAME_MAX, peer_msg_unpack: an
 * arena within the unpack budget), then handled as link_message (sync.c) handles them, through the
 * daemon's own code wherever it runs without a network:
 *
 *   Hello   hello_judge (the version both speak, the site id, the clock skew, where sending
 *           resumes), and the refusal's text as on_hello writes it;
 *   Batch   sync_decode_batch, then sync_apply_decoded on a real store, the fast way and then the
 *           careful way as the writer runs it (apply_run), each batch in its own child
 *           transaction;
 *   Ack     if it names our log: ack_reported_events, then quarantine_add_reported (version 2);
 *   Ping, Pong, Close: the reason as link_message writes it; Close ends the stream.
 *
 * As on a link, a message before Hello ends the stream, and so does a frame that does not decode.
 * An input that is not a single whole frame at its start is read as one Envelope body.
 *
 * The store (a temp dir, removed at exit) is seeded once: this site S has 3 events of its own
 * (seq 1..3: M1 and M2 registered, M2 out to the peer P) under the log id OUR_LOG; P has nothing
 * applied yet. Every input runs in one write transaction that is then aborted.
 *
 * Invariants (a violation traps): the arena stays within the unpack budget (and ASan sees what it
 * spilled to the heap given back); a batch read in place is what protobuf-c decodes of the same
 * bytes, and either both refuse a body or neither does; a decoded Envelope packs
 * to bytes that, if they decode (see round_trip), pack again to the same bytes; the version chosen
 * is the highest in both ranges (checked against a count); an Ack's reported list keeps only
 * seqs 1..ack.seq, at most MAX_REPORTED, reasons cut to fit; sync_apply_batch returns 0 (then
 * applied + duplicates + quarantined is the number of events, and every member record reads back),
 * -ERANGE or a resource errno.
 *
 * FUZZ_PEER_CORPUS=DIR writes the seed corpus into DIR and exits.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "date.h"
#include "eventlog.h"
#include "frame.h"
#include "fuzz_events.h"
#include "logging.h"
#include "pballoc.h"
#include "peerconn.h"
#include "peer.pb-c.h"
#include "protover.h"
#include "sync_internal.h"
#include "syncapply.h"
#include "lderr.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define M1	 "11010519491231002X"
#define M2	 "110105194912310038"
#define M3	 "320583198001010016"
#define OUR_HEAD 3

static char dir[] = "/tmp/liudong-fuzz-peer-XXXXXX";
static struct store *store;
static uint8_t self[LD_SITE_ID_BYTES], peer[LD_SITE_ID_BYTES];
static uint8_t our_log[LD_LOG_ID_BYTES], peer_log[LD_LOG_ID_BYTES];

/* ---------------------------------------------------------------------------------------------- */
/* The seed                                                                                       */

/* S's own events: M1 and M2 registered, M2 out to P. */
static void seed(struct store_txn *txn)
{
	fuzz_commit_registered(txn, self, M1);
	fuzz_commit_registered(txn, self, M2);
	fuzz_commit_outflow(txn, self, M2, peer);
}

/* ---------------------------------------------------------------------------------------------- */
/* The seed corpus: sessions as a peer would send them                                            */

struct stream {
	uint8_t *buf;
	size_t len;
};

static void put(struct stream *s, const Ld__Envelope *env)
{
	size_t n = ld__envelope__get_packed_size(env);
	s->buf = realloc(s->buf, s->len + LD_FRAME_HEADER + n);
	if (!s->buf)
		abort();
	frame_header((uint32_t)n, s->buf + s->len);
	ld__envelope__pack(env, s->buf + s->len + LD_FRAME_HEADER);
	s->len += LD_FRAME_HEADER + n;
}

static void save(const char *out, const char *name, struct stream *s)
{
	char path[4096];
	snprintf(path, sizeof(path), "%s/%s", out, name);
	FILE *f = fopen(path, "wb");
	if (!f || fwrite(s->buf, 1, s->len, f) != s->len || fclose(f) != 0)
		abort();
	free(s->buf);
	s->buf = NULL;
	s->len = 0;
}

static int64_t hello_clock_ms = 1779840000000;

static void put_hello(struct stream *s, uint32_t protocol, uint32_t min, uint32_t max,
		      uint64_t applied)
{
	Ld__Hello h = LD__HELLO__INIT;
	h.site_id.data = peer;
	h.site_id.len = LD_SITE_ID_BYTES;
	h.name = "P";
	h.protocol = protocol;
	h.protocol_min = min;
	h.protocol_max = max;
	h.software = "liudongd 0.1.0";
	h.wall_clock_ms = hello_clock_ms;
	h.log_id.data = peer_log;
	h.log_id.len = LD_LOG_ID_BYTES;
	h.head_seq = 3;
	if (applied) {
		h.peer_log_id.data = our_log;
		h.peer_log_id.len = LD_LOG_ID_BYTES;
		h.peer_applied_seq = applied;
	}
	Ld__Envelope env = LD__ENVELOPE__INIT;
	env.msg_case = LD__ENVELOPE__MSG_HELLO;
	env.hello = &h;
	put(s, &env);
}

/* A batch of P's log: the N events EV, (PREV, LAST]. */
static void put_events(struct stream *s, ProtobufCBinaryData *ev, size_t n, uint64_t prev,
		       uint64_t last)
{
	Ld__EventBatch b = fuzz_batch(peer_log, ev, n, prev, last);
	Ld__Envelope env = LD__ENVELOPE__INIT;
	env.msg_case = LD__ENVELOPE__MSG_BATCH;
	env.batch = &b;
	put(s, &env);
}

/* P's seq 1..3: M3 out to S, a report about M3, feedback about M2 (S's member away at P). */
static void put_batch(struct stream *s, uint64_t prev, uint64_t last)
{
	Ld__MemberInfo m3 = fuzz_member_info(M3);
	Ld__Note note = LD__NOTE__INIT;
	note.text = "思想汇报";
	ProtobufCBinaryData ev[3] = {
	    fuzz_pack_outflow(peer, 1, &m3, self),
	    fuzz_pack_note(peer, 2, LD__EVENT_KIND__REPORT_RECEIVED, M3, &note),
	    fuzz_pack_note(peer, 3, LD__EVENT_KIND__FEEDBACK, M2, &note)};
	put_events(s, ev, prev == 0 ? 3 : 0, prev, last);
	for (int i = 0; i < 3; i++)
		free(ev[i].data);
}

/*
 * P's seq 1: M3 out to S, his MemberInfo carrying an unknown field whose tag is a 2-byte varint
 * of 0 (0x80 0x00): protobuf-c decodes it, but packs it as 0x00, which it does not decode.
 */
static void put_batch_field0(struct stream *s)
{
	Ld__MemberInfo m3 = fuzz_member_info(M3);
	/* Field 16, a varint 0: 80 01 00; then its tag's 01 made 00. */
	ProtobufCMessageUnknownField unknown = {
	    .tag = 16, .wire_type = PROTOBUF_C_WIRE_TYPE_VARINT, .len = 1, .data = (uint8_t *)""};
	m3.base.n_unknown_fields = 1;
	m3.base.unknown_fields = &unknown;
	ProtobufCBinaryData e = fuzz_pack_outflow(peer, 1, &m3, self);
	uint8_t *at = memmem(e.data, e.len, "\x80\x01\x00", 3);
	if (!at)
		abort();
	at[1] = 0;
	put_events(s, &e, 1, 0, 1);
	free(e.data);
}

static void put_ack(struct stream *s, uint64_t seq, bool reports)
{
	Ld__QuarantinedEvent q[4];
	Ld__QuarantinedEvent *qp[4];
	const uint64_t seqs[4] = {3, 1, 9, 0};
	const char *reasons[4] = {"outflow of a member not at home", "duplicate", "beyond", ""};
	for (int i = 0; i < 4; i++) {
		ld__quarantined_event__init(&q[i]);
		q[i].seq = seqs[i];
		q[i].reason = (char *)reasons[i];
		qp[i] = &q[i];
	}
	Ld__Ack a = LD__ACK__INIT;
	a.log_id.data = our_log;
	a.log_id.len = LD_LOG_ID_BYTES;
	a.seq = seq;
	if (reports) {
		a.quarantined = qp;
		a.n_quarantined = 4;
	}
	Ld__Envelope env = LD__ENVELOPE__INIT;
	env.msg_case = LD__ENVELOPE__MSG_ACK;
	env.ack = &a;
	put(s, &env);
}

static void put_small(struct stream *s, Ld__Envelope__MsgCase which)
{
	Ld__Ping ping = LD__PING__INIT;
	Ld__Pong pong = LD__PONG__INIT;
	Ld__Close close = LD__CLOSE__INIT;
	Ld__Envelope env = LD__ENVELOPE__INIT;
	env.msg_case = which;
	ping.wall_clock_ms = pong.wall_clock_ms = 1779840000000;
	close.reason = "the site is stopping";
	close.code = LD__CLOSE_CODE__SHUTTING_DOWN;
	if (which == LD__ENVELOPE__MSG_PING)
		env.ping = &ping;
	else if (which == LD__ENVELOPE__MSG_PONG)
		env.pong = &pong;
	else
		env.close = &close;
	put(s, &env);
}

static void write_corpus(const char *out)
{
	struct stream s = {0};
	put_hello(&s, 2, 1, 2, 0);
	put_batch(&s, 0, 3);
	put_ack(&s, 3, true);
	put_small(&s, LD__ENVELOPE__MSG_PING);
	put_small(&s, LD__ENVELOPE__MSG_PONG);
	put_batch(&s, 3, 7);
	put_small(&s, LD__ENVELOPE__MSG_CLOSE);
	save(out, "session-v2", &s);
	put_hello(&s, 1, 0, 0, 2);
	put_ack(&s, 3, true); /* version 1: the reports are ignored */
	put_batch(&s, 0, 3);
	save(out, "session-v1", &s);
	put_hello(&s, 4, 3, 4, 0);
	put_batch(&s, 0, 3);
	save(out, "hello-mismatch", &s);
	put_hello(&s, 2, 1, 2, 99);
	put_ack(&s, 2, false);
	save(out, "hello-beyond-head", &s);
	put_batch(&s, 0, 3);
	save(out, "batch-before-hello", &s);
	put_hello(&s, 2, 1, 2, 3);
	put_batch(&s, 5, 9);
	save(out, "batch-gap", &s);
	put_hello(&s, 2, 1, 2, 0);
	put_batch(&s, 0, 3);
	size_t whole = s.len;
	put_ack(&s, 3, true);
	s.len = whole + 7; /* the Ack's frame cut short */
	save(out, "cut-frame", &s);
	hello_clock_ms = INT64_MIN; /* its clock minus ours overflowed */
	put_hello(&s, 2, 1, 2, 0);
	save(out, "crash-hello-clock-min", &s);
	hello_clock_ms = 1779840000000;
	put_hello(&s, 2, 1, 2, 0);
	put_batch_field0(&s);
	save(out, "crash-field-number-0", &s);
	static const uint8_t huge[] = {0xff, 0xff, 0xff, 0xff, 0x0a, 0x00};
	s.buf = malloc(sizeof(huge));
	memcpy(s.buf, huge, sizeof(huge));
	s.len = sizeof(huge);
	save(out, "frame-4gib", &s);
}

/* ---------------------------------------------------------------------------------------------- */

static void cleanup(void)
{
	if (store)
		store_close(store);
	store = NULL;
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "fuzz_peer: could not remove %s\n", dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	memset(self, 0xa1, sizeof(self));
	memset(peer, 0xb2, sizeof(peer));
	memset(our_log, 0x5a, sizeof(our_log));
	memset(peer_log, 0x1b, sizeof(peer_log));
	const char *corpus = getenv("FUZZ_PEER_CORPUS");
	if (corpus) {
		write_corpus(corpus);
		exit(0);
	}
	log_set_level(LOG_LEVEL_ERROR);
	if (!mkdtemp(dir))
		abort();
	atexit(cleanup);
	if (store_open(dir, 0, STORE_NOSYNC, &store) || meta_init(store, self))
		abort();
	struct store_txn *txn;
	if (store_begin(store, true, &txn))
		abort();
	/* A fixed log id, so that the corpus's Acks and Hellos name our log. */
	if (store_put(txn, TBL_META, "log_id", 6, our_log, sizeof(our_log), 0))
		abort();
	seed(txn);
	if (store_commit(txn))
		abort();
	return 0;
}

/* The version both speak, by counting: the highest in both ranges, or 0. */
static uint32_t highest_common(struct proto_range a, struct proto_range b)
{
	uint32_t best = 0;
	for (uint32_t v = 1; v <= LD_PROTOCOL_MAX; v++)
		if (v >= a.min && v <= a.max && v >= b.min && v <= b.max)
			best = v;
	return best;
}

/* Hello: returns the version the link speaks (0: the link is refused). */
static uint32_t peer_hello(const Ld__Hello *h)
{
	struct hello_verdict v;
	hello_judge(h, peer, our_log, OUR_HEAD, clock_now_ms(), &v);
	struct proto_range ours = {LD_PROTOCOL_MIN, LD_PROTOCOL_MAX};
	if (v.version != highest_common(ours, v.theirs))
		__builtin_trap();
	if (v.acked > OUR_HEAD || (v.acked && !v.knows_our_log))
		__builtin_trap(); /* sending would resume past what we have */
	char why[400], a[32], b[32];
	snprintf(why, sizeof(why), "no protocol version in common: S speaks %s, P speaks %s",
		 proto_range_format(ours, a, sizeof(a)),
		 proto_range_format(v.theirs, b, sizeof(b)));
	long long skew = (long long)(v.skew_ms > 0 ? v.skew_ms : -v.skew_ms) / 1000;
	snprintf(why, sizeof(why), "its clock is %lld s %s ours", skew,
		 v.skew_ms > 0 ? "ahead of" : "behind");
	return v.version && v.same_site ? v.version : 0;
}

/* Every member record in TXN reads back: what a peer sent never leaves one unreadable. */
static void check_members(struct store_txn *txn)
{
	struct store_cursor *c;
	struct store_val k, v;
	if (store_cursor_open(txn, TBL_MEMBERS, &c) != 0)
		return;
	for (int rc = store_cursor_get(c, STORE_FIRST, &k, &v); rc == 0;
	     rc = store_cursor_get(c, STORE_NEXT, &k, &v)) {
		Ld__MemberState *st = ld__member_state__unpack(NULL, v.len, v.data);
		if (!st)
			__builtin_trap(); /* a member this site can no longer read */
		ld__member_state__free_unpacked(st, NULL);
	}
	store_cursor_close(c);
}

static void peer_batch(struct store_txn *txn, const Ld__EventBatch *b)
{
	struct domain_site site = {.self = self, .today = date_today(), .probation_months = 12};
	struct apply_stats st = {0};
	const char *why = NULL;
	struct store_txn *child;
	if (store_begin_child(txn, &child))
		return;
	struct decoded_batch *d = NULL; /* decoded ahead, as the daemon's readers do */
	if (sync_decode_batch(b, &d) != 0)
		d = NULL;
	int rc = sync_apply_decoded(child, peer, &site, b, d, 0, &st, &why);
	decoded_batch_free(d);
	if (rc == SYNC_APPLY_AGAIN) {
		store_abort(child);
		if (store_begin_child(txn, &child))
			return;
		rc = sync_apply_batch(child, peer, &site, b, SYNC_APPLY_CAREFUL, &st, &why);
	}
	if (rc == 0) {
		if (st.applied + st.duplicates + st.quarantined != b->n_events)
			__builtin_trap(); /* an event neither applied nor refused */
		if (st.applied)
			check_members(child);
		store_commit(child);
	} else {
		store_abort(child);
		if (rc == -ERANGE && !why)
			__builtin_trap(); /* the Close would give no reason */
		if (rc != -ERANGE && rc != -ENOMEM && rc != LD_EMAPFULL && rc != -EIO)
			__builtin_trap(); /* the peer would resend this batch for ever */
	}
	apply_stats_free(&st);
}

static void peer_ack(struct store_txn *txn, const Ld__Ack *ack, uint32_t protocol)
{
	if (ack->log_id.len != LD_LOG_ID_BYTES ||
	    memcmp(ack->log_id.data, our_log, LD_LOG_ID_BYTES) != 0)
		return;
	if (!ack->n_quarantined || protocol < 2)
		return;
	size_t n = ack->n_quarantined < MAX_REPORTED ? ack->n_quarantined : MAX_REPORTED;
	struct reported_event *list = calloc(n, sizeof(*list));
	char *reasons = malloc(n * APPLY_REASON_MAX);
	if (!list || !reasons)
		abort();
	size_t k = ack_reported_events(ack, list, reasons);
	if (k > n)
		__builtin_trap();
	for (size_t i = 0; i < k; i++)
		if (!list[i].seq || list[i].seq > ack->seq ||
		    strlen(list[i].reason) >= APPLY_REASON_MAX)
			__builtin_trap();
	size_t added;
	struct store_txn *child;
	if (store_begin_child(txn, &child) == 0) {
		int rc = quarantine_add_reported(child, self, peer, list, k, &added);
		if (rc == 0 && added > k)
			__builtin_trap();
		if (rc == 0)
			store_commit(child);
		else
			store_abort(child);
	}
	free(list);
	free(reasons);
}

/* Pack ENV, unpack it, pack again: the same bytes. */
static void round_trip(const Ld__Envelope *env)
{
	size_t n = ld__envelope__get_packed_size(env);
	uint8_t *a = malloc(n ? n : 1);
	if (!a)
		abort();
	if (ld__envelope__pack(env, a) != n)
		__builtin_trap();
	Ld__Envelope *again = ld__envelope__unpack(NULL, n, a);
	if (!again) {
		/*
		 * protobuf-c's known fault (corpus envelope-field-number-0): a tag written 80 00 is
		 * kept as an unknown field numbered 0 and packed as 00, which it does not read. The
		 * daemon never packs a received Envelope again; an event's bytes it does fold, and
		 * syncapply refuses those (corpus crash-field-number-0).
		 */
		free(a);
		return;
	}
	size_t m = ld__envelope__get_packed_size(again);
	uint8_t *b = malloc(m ? m : 1);
	if (!b)
		abort();
	if (ld__envelope__pack(again, b) != m || m != n || memcmp(a, b, n) != 0)
		__builtin_trap();
	ld__envelope__free_unpacked(again, NULL);
	free(a);
	free(b);
}

static bool bytes_eq(ProtobufCBinaryData a, ProtobufCBinaryData b)
{
	return a.len == b.len && (a.len == 0 || memcmp(a.data, b.data, a.len) == 0);
}

/*
 * peer_msg_unpack reads a batch in place: whatever it decodes, protobuf-c decodes the same (every
 * field, every event's bytes), and it refuses what protobuf-c refuses and nothing else (ENV is
 * NULL if it refused; the body is well within the unpack budget).
 */
static void same_as_protobuf_c(const uint8_t *body, size_t len, const Ld__Envelope *env)
{
	Ld__Envelope *ref = ld__envelope__unpack(NULL, len, body);
	if (!ref != !env)
		__builtin_trap();
	if (!ref)
		return;
	if (env->msg_case == LD__ENVELOPE__MSG_BATCH) {
		const Ld__EventBatch *a = env->batch, *b = ref->batch;
		if (ref->msg_case != env->msg_case || !bytes_eq(a->log_id, b->log_id) ||
		    a->prev_seq != b->prev_seq || a->last_seq != b->last_seq ||
		    a->n_events != b->n_events)
			__builtin_trap();
		for (size_t i = 0; i < a->n_events; i++)
			if (!bytes_eq(a->events[i], b->events[i]))
				__builtin_trap();
	}
	ld__envelope__free_unpacked(ref, NULL);
}

/* One Envelope body. Returns false when the link would close. */
static bool message(struct store_txn *txn, const uint8_t *body, size_t len, uint32_t *protocol)
{
	struct peer_msg *msg;
	int rc = peer_msg_unpack(body, len, &msg);
	if (rc == -ENOMEM)
		abort();
	if (len < 1u << 20) /* within the budget either way */
		same_as_protobuf_c(body, len, rc ? NULL : msg->env);
	if (rc)
		return false; /* "the peer sent a message that does not decode" */
	Ld__Envelope *env = msg->env;
	/* The daemon's unpack budget holds: the arena gave out no more than its limit. */
	size_t in_block = msg->arena.used < msg->arena.cap ? msg->arena.used : msg->arena.cap;
	if (in_block + msg->arena.spilled > PEER_UNPACK_BUDGET)
		__builtin_trap();
	round_trip(env);
	bool go_on = true;
	if (env->msg_case == LD__ENVELOPE__MSG_CLOSE) {
		char reason[400];
		snprintf(reason, sizeof(reason), "P closed the connection: %s",
			 env->close->reason ? env->close->reason : "");
		go_on = false;
	} else if (!*protocol && env->msg_case != LD__ENVELOPE__MSG_HELLO) {
		go_on = false; /* "a message came before Hello" */
	} else {
		switch (env->msg_case) {
		case LD__ENVELOPE__MSG_HELLO:
			*protocol = peer_hello(env->hello);
			go_on = *protocol != 0;
			break;
		case LD__ENVELOPE__MSG_BATCH:
			peer_batch(txn, env->batch);
			break;
		case LD__ENVELOPE__MSG_ACK:
			peer_ack(txn, env->ack, *protocol);
			break;
		default:
			break;
		}
	}
	peer_msg_free(msg); /* ASan's leak check sees the heap part given back */
	return go_on;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct store_txn *txn;
	if (store_begin(store, true, &txn) != 0)
		return 0;
	uint32_t protocol = 0;
	const uint8_t *body;
	size_t len;
	if (frame_peek(data, size, LD_FRAME_MAX, &body, &len) != 0) {
		if (size <= LD_FRAME_MAX)
			message(txn, data, size, &protocol);
	} else {
		while (size > 0 && frame_peek(data, size, LD_FRAME_MAX, &body, &len) == 0) {
			if (!message(txn, body, len, &protocol))
				break;
			data += LD_FRAME_HEADER + len;
			size -= LD_FRAME_HEADER + len;
		}
	}
	store_abort(txn);
	return 0;
}
