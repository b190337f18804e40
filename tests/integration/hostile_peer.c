/*
 * hostile_peer.c: a pinned peer that lies, for the integration tests (sync_hostile.sh).
 *
 *   hostile_peer --site DIR --connect HOST:PORT --good IDNO --junk IDNO --letter-member IDNO
 *                --unrouted IDNO --unknown IDNO --letter NUMBER [--timeout SECONDS]
 *
 * It speaks for the site made by `liudongd init DIR` (its real site.key and site.crt), whose daemon
 * is not running: it dials the target's peer port (TLS 1.3, ALPN liudong/1, through server/tls.c
 * over a blocking socket), sends a Hello (protocols 1..2, a fresh log_id), reads the target's
 * Hello, then sends the built-in scenario's EventBatch frames one by one, waiting for each Ack.
 * Frames are a 4-byte big-endian length and an Envelope (proto/peer.proto).
 *
 * The scenario: the site is the outflow site of every member named. Good events (it may write
 * them) are interleaved with bad ones: bytes that do not decode, an event of another site relayed,
 * an event about a member the target does not know, a check-in written by the outflow site, an
 * outflow registration naming another inflow site, a transfer letter without issuer, and each
 * event kind without its payload. Printed on stdout, one line each:
 *   event SEQ good|bad KIND MEMBER WHAT     the manifest, before anything is sent
 *   hello ...                               the target's Hello
 *   sent batch PREV LAST N                  a batch sent
 *   ack SEQ quarantined=N                   an Ack (protocol 2); then "  quarantined: seq=S
 *                                           reason=..." for each event the target quarantined
 *   close REASON / eof / timeout            how the target ended it
 * Exit 0 if every batch was acknowledged with its last seq, 1 if not, 2 on usage errors.
 *
 *   hostile_peer --attack KIND --connect HOST:PORT [--site DIR] [--timeout SECONDS]
 *
 * Instead of the scenario, one attack on the target's peer port (hostile_peers.sh); KIND is
 *   no-cert              TLS 1.3 without a client certificate (no --site needed)
 *   tls12                TLS 1.2 at most, with the site's certificate
 *   silent               the handshake, then nothing: not even a Hello
 *   huge-frame           the handshake, then a frame header announcing 0xFFFFFFFF bytes, and
 * nothing garbage-before-hello the handshake, then a well-formed frame whose body does not decode
 *   garbage-after-hello  the handshake and the Hellos both ways, then such a frame
 *   close-garbage        the handshake and the target's Hello, then a Close NOT_PINNED whose reason
 *                        is long, has line breaks and bytes that are not UTF-8 (doctor.sh)
 *   hello-no-clock       the Hellos both ways, ours without a wall clock (as a site that does not
 *                        send one), then nothing until the timeout (doctor.sh)
 * It prints "handshake ok" or "handshake failed: WHY", "hello ID NAME ..." if the target sent its
 * Hello, "sent WHAT" for what it sent, and last how the target ended it, with the milliseconds
 * since the TCP connection was made:
 *   end close MS REASON | end eof MS | end tls-error MS WHY | end data MS | end timeout MS
 * ("end data": the target sent application data to a peer it should not have talked to). Exit 0
 * once it has printed its end line, 1 if it could not connect, 2 on usage errors.
 */
#include <errno.h>
#include <getopt.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "date.h"
#include "event.h"
#include "eventlog.h"
#include "frame.h"
#include "identity.h"
#include "peer.pb-c.h"
#include "rawnet.h"
#include "record.pb-c.h"
#include "siteid.h"
#include "tls.h"
#include "lderr.h"

#define MAX_EVENTS 128

struct hostile {
	int fd;
	struct tls_conn *tls;
	uint8_t in[LD_FRAME_MAX + LD_FRAME_HEADER];
	size_t in_len;
	int timeout_ms;
};

struct opts {
	const char *site, *connect, *good, *junk, *letter_member, *unrouted, *unknown, *letter;
	int timeout_s;
	unsigned proto_min, proto_max; /* the protocol versions its Hello claims (default 1..2) */
	const char *attack;	       /* --attack KIND, or NULL for the scenario */
};

/* ---------------------------------------------------------------------------------------------- */
/* The scenario                                                                                   */

struct ev {
	ProtobufCBinaryData bytes;
	bool good;
	char what[160];
};

struct scenario {
	struct ev ev[MAX_EVENTS];
	size_t n;
	size_t batch_end[16]; /* index after each batch's last event */
	size_t n_batches;
	uint64_t seq; /* the last origin_seq handed out */
};

static const uint8_t *self_id;
static const struct identity *self;

static void add_bytes(struct scenario *s, uint8_t *data, size_t len, bool good, const char *what)
{
	if (s->n == MAX_EVENTS) {
		fprintf(stderr, "hostile_peer: too many events\n");
		exit(1);
	}
	struct ev *e = &s->ev[s->n++];
	e->bytes.data = data;
	e->bytes.len = len;
	e->good = good;
	snprintf(e->what, sizeof(e->what), "%s", what);
}

/* Pack EV as the next event (origin = us unless ORIGIN, origin_seq = the next seq). */
static void add_event(struct scenario *s, Ld__Event *ev, const uint8_t *origin, bool good,
		      const char *what)
{
	ev->origin.data = (uint8_t *)(origin ? origin : self_id);
	ev->origin.len = LD_SITE_ID_BYTES;
	ev->origin_seq = ++s->seq;
	ev->date = date_today();
	ev->time_ms = (int64_t)time(NULL) * 1000;
	ev->operator_ = "hostile";
	size_t len = ld__event__get_packed_size(ev);
	uint8_t *buf = malloc(len ? len : 1);
	if (!buf)
		exit(1);
	ld__event__pack(ev, buf);
	printf("event %llu %s %s %s %s\n", (unsigned long long)ev->origin_seq,
	       good ? "good" : "bad", event_kind_name(ev->kind),
	       ev->member && ev->member[0] ? ev->member : "-", what);
	add_bytes(s, buf, len, good, what);
}

static void end_batch(struct scenario *s)
{
	s->batch_end[s->n_batches++] = s->n;
}

static Ld__MemberInfo info_of(const char *idno, const char *name)
{
	Ld__MemberInfo m = LD__MEMBER_INFO__INIT;
	m.id = (char *)idno;
	m.name = (char *)name;
	m.sex = "M";
	m.birth = -3650;
	m.joined = 0;
	m.kind = "full";
	m.branch = "001";
	m.dues_category = "salaried";
	m.income_fen = -1;
	m.monthly_dues_fen = 1000;
	m.set_dues_fen = -1;
	return m;
}

/*
 * outflow.registered of IDNO to inflow site TO (the target); if GOOD, after a member.registered
 * that the target must quarantine (a registration is kept at the outflow site).
 */
static void register_out(struct scenario *s, const char *idno, const char *name, const uint8_t *to,
			 const char *to_name, bool good, const char *what)
{
	Ld__MemberInfo m = info_of(idno, name);
	Ld__Event reg = LD__EVENT__INIT;
	reg.kind = LD__EVENT_KIND__MEMBER_REGISTERED;
	reg.member = (char *)idno;
	reg.payload_case = LD__EVENT__PAYLOAD_MEMBER_INFO;
	reg.member_info = &m;
	if (good) /* never sent by an honest site: his new inflow site starts from the snapshot */
		add_event(s, &reg, NULL, false, "a member's registration, sent to a peer");
	Ld__OutflowInfo of = LD__OUTFLOW_INFO__INIT;
	of.member = &m;
	of.reason = "work";
	of.inflow_site.data = (uint8_t *)to;
	of.inflow_site.len = LD_SITE_ID_BYTES;
	of.inflow_name = (char *)to_name;
	of.place = "某地";
	of.from = date_today();
	of.until = INT32_MIN;
	of.outflow_name = "hostile";
	Ld__Event out = LD__EVENT__INIT;
	out.kind = LD__EVENT_KIND__OUTFLOW_REGISTERED;
	out.member = (char *)idno;
	out.payload_case = LD__EVENT__PAYLOAD_OUTFLOW;
	out.outflow = &of;
	add_event(s, &out, NULL, good, what);
}

/* A good event: a thought report about the good member, numbered N. */
static void good_report(struct scenario *s, const char *idno, int n)
{
	char text[64];
	snprintf(text, sizeof(text), "good report %d", n);
	Ld__Note note = LD__NOTE__INIT;
	note.text = text;
	Ld__Event ev = LD__EVENT__INIT;
	ev.kind = LD__EVENT_KIND__REPORT_RECEIVED;
	ev.member = (char *)idno;
	ev.payload_case = LD__EVENT__PAYLOAD_NOTE;
	ev.note = &note;
	add_event(s, &ev, NULL, true, text);
}

static void build(struct scenario *s, const struct opts *o, const uint8_t *target,
		  const char *target_name)
{
	int n = 0;
	uint8_t other[LD_SITE_ID_BYTES];
	memset(other, 0x5a, sizeof(other));

	/* Batch 1: the members, all routed to the target. */
	register_out(s, o->good, "好成员", target, target_name, true, "to the target");
	register_out(s, o->junk, "空载荷", target, target_name, true, "to the target");
	register_out(s, o->letter_member, "转接人", target, target_name, true, "to the target");
	good_report(s, o->good, ++n);
	end_batch(s);

	/* Batch 2: what a careful receiver refuses today. */
	uint8_t *garbage = malloc(7);
	memcpy(garbage, "\xff\xff\xff\xff\xff\xff\x01", 7);
	printf("event - bad - - undecodable bytes\n");
	add_bytes(s, garbage, 7, false, "undecodable bytes");
	good_report(s, o->good, ++n);
	Ld__MemberInfo m = info_of(o->unknown, "不认识");
	Ld__Event upd = LD__EVENT__INIT;
	upd.kind = LD__EVENT_KIND__MEMBER_UPDATED;
	upd.member = (char *)o->unknown;
	upd.payload_case = LD__EVENT__PAYLOAD_MEMBER_INFO;
	upd.member_info = &m;
	add_event(s, &upd, NULL, false, "a member the target does not know");
	good_report(s, o->good, ++n);
	Ld__Checkin ci = LD__CHECKIN__INIT;
	ci.certificate = "320000-2026-000001";
	ci.branch = "101";
	ci.branch_name = "假支部";
	Ld__Event chk = LD__EVENT__INIT;
	chk.kind = LD__EVENT_KIND__CHECKIN;
	chk.member = (char *)o->good;
	chk.payload_case = LD__EVENT__PAYLOAD_CHECKIN;
	chk.checkin = &ci;
	add_event(s, &chk, NULL, false, "check-in written by the outflow site");
	good_report(s, o->good, ++n);
	Ld__MemberInfo g = info_of(o->good, "冒名");
	Ld__Event relay = LD__EVENT__INIT;
	relay.kind = LD__EVENT_KIND__MEMBER_UPDATED;
	relay.member = (char *)o->good;
	relay.payload_case = LD__EVENT__PAYLOAD_MEMBER_INFO;
	relay.member_info = &g;
	add_event(s, &relay, other, false, "another site's event, relayed");
	good_report(s, o->good, ++n);
	end_batch(s);

	/* Batch 3: an outflow registration that does not concern the target. */
	register_out(s, o->unrouted, "别处的", other, "别处", false,
		     "outflow registration to another site");
	good_report(s, o->good, ++n);
	end_batch(s);

	/* Batch 4: a transfer letter without issuer, signed with our key all the same. */
	Ld__TransferLetter l = LD__TRANSFER_LETTER__INIT;
	l.number = (char *)o->letter;
	l.member = (char *)o->letter_member;
	l.name = "转接人";
	l.to_site.data = (uint8_t *)target;
	l.to_site.len = LD_SITE_ID_BYTES;
	l.to_name = (char *)target_name;
	l.org = "某组织";
	l.issued = date_today();
	l.valid_until = date_today() + 90;
	size_t ll = ld__transfer_letter__get_packed_size(&l);
	uint8_t *lb = malloc(ll ? ll : 1), sig[64];
	ld__transfer_letter__pack(&l, lb);
	if (identity_sign(self, lb, ll, sig) != 0)
		exit(1);
	Ld__Transfer t = LD__TRANSFER__INIT;
	t.letter.data = lb;
	t.letter.len = ll;
	t.signature.data = sig;
	t.signature.len = sizeof(sig);
	t.number = (char *)o->letter;
	Ld__Event tr = LD__EVENT__INIT;
	tr.kind = LD__EVENT_KIND__TRANSFER_ISSUED;
	tr.member = (char *)o->letter_member;
	tr.payload_case = LD__EVENT__PAYLOAD_TRANSFER;
	tr.transfer = &t;
	add_event(s, &tr, NULL, false, "transfer letter without issuer");
	free(lb);
	good_report(s, o->good, ++n);
	end_batch(s);

	/* Batch 5: every kind without its payload, about the junk member. */
	for (int k = 0; k <= LD__EVENT_KIND__LAPSE_DECIDED; k++) {
		Ld__Event e = LD__EVENT__INIT;
		e.kind = k;
		e.member = (char *)o->junk;
		add_event(s, &e, NULL, false, "no payload");
		good_report(s, o->good, ++n);
	}
	end_batch(s);
}

/* ---------------------------------------------------------------------------------------------- */
/* The connection                                                                                 */

static int flush_out(struct hostile *h)
{
	uint8_t buf[16384];
	size_t n;
	int rc = 0;
	while (!rc && (n = tls_take_out(h->tls, buf, sizeof(buf))) > 0)
		rc = rawnet_send_all(h->fd, buf, n, NULL);
	return rc;
}

/* Read from the socket into TLS, waiting up to the timeout. 0, -ETIMEDOUT, -EPIPE (EOF). */
static int pump_in(struct hostile *h)
{
	struct pollfd p = {.fd = h->fd, .events = POLLIN};
	int r = poll(&p, 1, h->timeout_ms);
	if (r == 0)
		return -ETIMEDOUT;
	if (r < 0)
		return lderr_from_errno(errno);
	uint8_t buf[16384];
	ssize_t n = recv(h->fd, buf, sizeof(buf), 0);
	if (n == 0)
		return -EPIPE;
	if (n < 0)
		return lderr_from_errno(errno);
	return tls_feed(h->tls, buf, (size_t)n);
}

static int send_env(struct hostile *h, const Ld__Envelope *env)
{
	size_t len = ld__envelope__get_packed_size(env);
	uint8_t *buf = malloc(LD_FRAME_HEADER + len);
	if (!buf)
		return -ENOMEM;
	frame_header((uint32_t)len, buf);
	ld__envelope__pack(env, buf + LD_FRAME_HEADER);
	int rc = tls_write(h->tls, buf, LD_FRAME_HEADER + len);
	free(buf);
	return rc ? rc : flush_out(h);
}

/* The next Envelope from the target (the caller frees it). 0, -ETIMEDOUT, -EPIPE, -EPROTO. */
static int recv_env(struct hostile *h, Ld__Envelope **out)
{
	for (;;) {
		const uint8_t *body;
		size_t len;
		int rc = frame_peek(h->in, h->in_len, LD_FRAME_MAX, &body, &len);
		if (rc == 0) {
			*out = ld__envelope__unpack(NULL, len, body);
			size_t used = LD_FRAME_HEADER + len;
			memmove(h->in, h->in + used, h->in_len - used);
			h->in_len -= used;
			return *out ? 0 : -EPROTO;
		}
		if (rc != -EAGAIN)
			return rc;
		int n = tls_read(h->tls, h->in + h->in_len, sizeof(h->in) - h->in_len);
		if (n > 0) {
			h->in_len += (size_t)n;
			continue;
		}
		if (n < 0)
			return n;
		if ((rc = flush_out(h)) || (rc = pump_in(h)))
			return rc;
	}
}

static int64_t t0_ms; /* when the TCP connection was made */

/* Connect H to ADDRESS over CTX (no handshake yet); false, said on stderr, if it cannot. */
static bool open_conn(struct hostile *h, struct tls_ctx *ctx, const char *address)
{
	h->fd = rawnet_dial_tcp(address);
	t0_ms = rawnet_mono_ms();
	if (h->fd < 0 || tls_conn_new(ctx, false, &h->tls) != 0) {
		fprintf(stderr, "hostile_peer: cannot connect to %s\n", address);
		return false;
	}
	return true;
}

/* The TLS handshake on H, each wait up to its timeout: 0, or a negative code. */
static int handshake(struct hostile *h)
{
	int rc;
	while ((rc = tls_handshake(h->tls)) == -EAGAIN) {
		if ((rc = flush_out(h)) || (rc = pump_in(h)))
			return rc;
	}
	if (rc == 0)
		flush_out(h);
	return rc;
}

static void print_ack(const Ld__Ack *a)
{
	printf("ack %llu quarantined=%zu\n", (unsigned long long)a->seq, a->n_quarantined);
	for (size_t i = 0; i < a->n_quarantined; i++)
		printf("  quarantined: seq=%llu reason=\"%s\"\n",
		       (unsigned long long)a->quarantined[i]->seq, a->quarantined[i]->reason);
}

/* ---------------------------------------------------------------------------------------------- */
/* Attacks (--attack)                                                                             */

static long since_ms(void)
{
	return (long)(rawnet_mono_ms() - t0_ms);
}

/* hello-no-clock: our Hello carries no wall clock (0, proto3's default). */
static bool hello_without_clock;

/* Our Hello: protocols MIN..MAX, LOG_ID, our head HEAD. */
static int send_hello(struct hostile *h, unsigned min, unsigned max, const uint8_t *log_id,
		      uint64_t head)
{
	Ld__Hello hello = LD__HELLO__INIT;
	hello.site_id.data = (uint8_t *)self_id;
	hello.site_id.len = LD_SITE_ID_BYTES;
	hello.name = "hostile";
	hello.protocol = max;
	hello.protocol_min = min;
	hello.protocol_max = max;
	hello.software = "hostile_peer";
	hello.wall_clock_ms = hello_without_clock ? 0 : (int64_t)time(NULL) * 1000;
	hello.log_id.data = (uint8_t *)log_id;
	hello.log_id.len = LD_LOG_ID_BYTES;
	hello.head_seq = head;
	Ld__Envelope env = LD__ENVELOPE__INIT;
	env.msg_case = LD__ENVELOPE__MSG_HELLO;
	env.hello = &hello;
	return send_env(h, &env);
}

static void print_hello(const Ld__Hello *hello)
{
	char text[LD_SITE_ID_TEXT] = "?";
	if (hello->site_id.len == LD_SITE_ID_BYTES)
		siteid_format(hello->site_id.data, text);
	printf("hello %s %s protocol=%u head=%llu\n", text, hello->name, hello->protocol,
	       (unsigned long long)hello->head_seq);
}

/* Read until the target ends the connection; print how ("end ..."). Stops early at its Hello if
 * UNTIL_HELLO (returns 1 then). */
static int read_to_end(struct hostile *h, bool until_hello)
{
	for (;;) {
		Ld__Envelope *in;
		int rc = recv_env(h, &in);
		if (rc == -ETIMEDOUT) {
			printf("end timeout %ld\n", since_ms());
			return 0;
		}
		if (rc == -EPIPE) {
			printf("end eof %ld\n", since_ms());
			return 0;
		}
		if (rc) {
			printf("end tls-error %ld %s\n", since_ms(),
			       rc == -EPROTO ? tls_error(h->tls) : lderr_str(rc));
			return 0;
		}
		if (in->msg_case == LD__ENVELOPE__MSG_CLOSE) {
			printf("end close %ld %s\n", since_ms(), in->close->reason);
			ld__envelope__free_unpacked(in, NULL);
			return 0;
		}
		bool hello = in->msg_case == LD__ENVELOPE__MSG_HELLO;
		if (hello)
			print_hello(in->hello);
		ld__envelope__free_unpacked(in, NULL);
		if (hello && until_hello)
			return 1;
	}
}

/* A well-formed frame whose body is not an Envelope (field 536870911, wire type 7). */
static int send_garbage_frame(struct hostile *h)
{
	static const uint8_t frame[] = {0, 0, 0, 7, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01};
	int rc = tls_write(h->tls, frame, sizeof(frame));
	return rc ? rc : flush_out(h);
}

/* silent, huge-frame, garbage-before-hello, garbage-after-hello, close-garbage, hello-no-clock:
 * over server/tls.c. */
static int attack_framed(const struct opts *o, struct tls_ctx *ctx)
{
	static struct hostile h;
	h.timeout_ms = o->timeout_s * 1000;
	if (!open_conn(&h, ctx, o->connect))
		return 1;
	int rc = handshake(&h);
	if (rc) {
		printf("handshake failed: %s\n", rc == -EPROTO ? tls_error(h.tls) : lderr_str(rc));
		printf("end %s %ld\n", rc == -ETIMEDOUT ? "timeout" : "eof", since_ms());
		return 0;
	}
	printf("handshake ok\n");
	if (strcmp(o->attack, "huge-frame") == 0) {
		static const uint8_t header[] = {0xff, 0xff, 0xff, 0xff};
		if ((rc = tls_write(h.tls, header, sizeof(header))) || (rc = flush_out(&h)))
			printf("send failed: %s\n", lderr_str(rc));
		else
			printf("sent a frame header announcing 4294967295 bytes\n");
	} else if (strcmp(o->attack, "garbage-before-hello") == 0) {
		if ((rc = send_garbage_frame(&h)))
			printf("send failed: %s\n", lderr_str(rc));
		else
			printf("sent a frame that does not decode, before Hello\n");
	} else if (strcmp(o->attack, "garbage-after-hello") == 0) {
		if (read_to_end(&h, true) != 1)
			return 0;
		uint8_t log_id[LD_LOG_ID_BYTES];
		memset(log_id, 0x42, sizeof(log_id));
		if ((rc = send_hello(&h, 1, 2, log_id, 0)) || (rc = send_garbage_frame(&h)))
			printf("send failed: %s\n", lderr_str(rc));
		else
			printf("sent Hello, then a frame that does not decode\n");
	} else if (strcmp(o->attack, "close-garbage") == 0) {
		if (read_to_end(&h, true) != 1)
			return 0;
		char reason[1024] = "line one\nline two\r\x01 \xff\xfe\xc3 not UTF-8 ";
		/* Long: the receiver's buffer cuts it somewhere inside a character. */
		while (strlen(reason) + sizeof("流动") <= sizeof(reason))
			strcat(reason, "流动");
		Ld__Close cl = LD__CLOSE__INIT;
		cl.reason = reason;
		cl.code = LD__CLOSE_CODE__NOT_PINNED;
		Ld__Envelope env = LD__ENVELOPE__INIT;
		env.msg_case = LD__ENVELOPE__MSG_CLOSE;
		env.close = &cl;
		if ((rc = send_env(&h, &env)))
			printf("send failed: %s\n", lderr_str(rc));
		else
			printf("sent Close NOT_PINNED with a garbled reason\n");
	} else if (strcmp(o->attack, "hello-no-clock") == 0) {
		if (read_to_end(&h, true) != 1)
			return 0;
		uint8_t log_id[LD_LOG_ID_BYTES];
		memset(log_id, 0x43, sizeof(log_id));
		hello_without_clock = true;
		if ((rc = send_hello(&h, 1, 2, log_id, 0)))
			printf("send failed: %s\n", lderr_str(rc));
		else
			printf("sent Hello without a clock\n");
		fflush(stdout);
	}
	read_to_end(&h, false);
	close(h.fd);
	tls_conn_free(h.tls);
	return 0;
}

/* no-cert, tls12: straight OpenSSL over a blocking socket (server/tls.c would not do it). */
static int attack_raw_tls(const struct opts *o, const char *key, const char *crt)
{
	static const unsigned char alpn[] = "\x09" LD_ALPN;
	bool tls12 = strcmp(o->attack, "tls12") == 0;
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	if (!ctx)
		return 1;
	SSL_CTX_set_min_proto_version(ctx, tls12 ? TLS1_2_VERSION : TLS1_3_VERSION);
	SSL_CTX_set_max_proto_version(ctx, tls12 ? TLS1_2_VERSION : TLS1_3_VERSION);
	if (tls12 && (SSL_CTX_use_certificate_file(ctx, crt, SSL_FILETYPE_PEM) != 1 ||
		      SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1)) {
		fprintf(stderr, "hostile_peer: cannot load the site's key from %s\n", o->site);
		return 1;
	}
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	SSL_CTX_set_alpn_protos(ctx, alpn, sizeof(alpn) - 1);
	int fd = rawnet_dial_tcp(o->connect);
	t0_ms = rawnet_mono_ms();
	if (fd < 0) {
		fprintf(stderr, "hostile_peer: cannot connect to %s\n", o->connect);
		return 1;
	}
	struct timeval tv = {.tv_sec = o->timeout_s};
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	SSL *ssl = SSL_new(ctx);
	SSL_set_fd(ssl, fd);
	char why[256] = "";
	int ret = SSL_connect(ssl);
	if (ret == 1) {
		printf("handshake ok (%s)\n", SSL_get_version(ssl));
		char buf[4096];
		ret = SSL_read(ssl, buf, sizeof(buf));
		if (ret > 0) {
			printf("end data %ld\n", since_ms());
			goto out;
		}
	}
	int err = SSL_get_error(ssl, ret);
	unsigned long e = ERR_get_error();
	if (e)
		ERR_error_string_n(e, why, sizeof(why));
	if (!SSL_is_init_finished(ssl))
		printf("handshake failed: %s\n", why[0] ? why : "the target closed the connection");
	if (err == SSL_ERROR_WANT_READ || (err == SSL_ERROR_SYSCALL && errno == EAGAIN))
		printf("end timeout %ld\n", since_ms());
	else if (err == SSL_ERROR_ZERO_RETURN || (err == SSL_ERROR_SYSCALL && !e))
		printf("end eof %ld\n", since_ms());
	else
		printf("end tls-error %ld %s\n", since_ms(), why[0] ? why : "?");
out:
	SSL_free(ssl);
	close(fd);
	SSL_CTX_free(ctx);
	return 0;
}

static const char *const attacks[] = {"no-cert",
				      "tls12",
				      "silent",
				      "huge-frame",
				      "garbage-before-hello",
				      "garbage-after-hello",
				      "close-garbage",
				      "hello-no-clock"};

/* ---------------------------------------------------------------------------------------------- */

static int usage(void)
{
	fprintf(stderr,
		"usage: hostile_peer --site DIR --connect HOST:PORT --good IDNO --junk IDNO "
		"--letter-member IDNO --unrouted IDNO --unknown IDNO --letter NUMBER "
		"[--timeout SECONDS] [--protocol MIN-MAX]\n"
		"       hostile_peer --attack no-cert|tls12|silent|huge-frame|garbage-before-hello|"
		"garbage-after-hello|close-garbage|hello-no-clock --connect HOST:PORT [--site DIR] "
		"[--timeout SECONDS]\n");
	return 2;
}

int main(int argc, char **argv)
{
	struct opts o = {.timeout_s = 10, .proto_min = 1, .proto_max = 2};
	static const struct option longopts[] = {
	    {"site", 1, NULL, 's'},	{"connect", 1, NULL, 'c'},	 {"good", 1, NULL, 'g'},
	    {"junk", 1, NULL, 'j'},	{"letter-member", 1, NULL, 'm'}, {"unrouted", 1, NULL, 'r'},
	    {"unknown", 1, NULL, 'u'},	{"letter", 1, NULL, 'l'},	 {"timeout", 1, NULL, 't'},
	    {"protocol", 1, NULL, 'p'}, {"attack", 1, NULL, 'A'},	 {NULL, 0, NULL, 0}};
	int c;
	while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			o.site = optarg;
			break;
		case 'c':
			o.connect = optarg;
			break;
		case 'g':
			o.good = optarg;
			break;
		case 'j':
			o.junk = optarg;
			break;
		case 'm':
			o.letter_member = optarg;
			break;
		case 'r':
			o.unrouted = optarg;
			break;
		case 'u':
			o.unknown = optarg;
			break;
		case 'l':
			o.letter = optarg;
			break;
		case 't':
			o.timeout_s = atoi(optarg);
			break;
		case 'p':
			if (sscanf(optarg, "%u-%u", &o.proto_min, &o.proto_max) != 2 ||
			    !o.proto_min || o.proto_min > o.proto_max)
				return usage();
			break;
		case 'A':
			o.attack = optarg;
			break;
		default:
			return usage();
		}
	}
	if (o.attack) {
		bool known = false;
		for (size_t i = 0; i < sizeof(attacks) / sizeof(attacks[0]); i++)
			known = known || strcmp(o.attack, attacks[i]) == 0;
		if (!known || !o.connect || o.timeout_s <= 0 ||
		    (!o.site && strcmp(o.attack, "no-cert") != 0))
			return usage();
	} else if (!o.site || !o.connect || !o.good || !o.junk || !o.letter_member || !o.unrouted ||
		   !o.unknown || !o.letter || o.timeout_s <= 0)
		return usage();
	setvbuf(stdout, NULL, _IOLBF, 0);

	char key[4096], crt[4096];
	snprintf(key, sizeof(key), "%s/site.key", o.site ? o.site : ".");
	snprintf(crt, sizeof(crt), "%s/site.crt", o.site ? o.site : ".");
	if (o.attack && (strcmp(o.attack, "no-cert") == 0 || strcmp(o.attack, "tls12") == 0))
		return attack_raw_tls(&o, key, crt);
	struct identity *id;
	struct tls_ctx *ctx;
	if (identity_load(key, crt, &id) != 0 || tls_ctx_new(id, &ctx) != 0) {
		fprintf(stderr, "hostile_peer: cannot load the site's key from %s\n", o.site);
		return 1;
	}
	self = id;
	self_id = identity_site_id(id);
	if (o.attack) {
		int status = attack_framed(&o, ctx);
		tls_ctx_free(ctx);
		identity_free(id);
		return status;
	}
	static struct hostile h;
	h.timeout_ms = o.timeout_s * 1000;
	if (!open_conn(&h, ctx, o.connect))
		return 1;
	int rc = handshake(&h);
	if (rc) {
		fprintf(stderr, "hostile_peer: TLS handshake: %s (%s)\n", tls_error(h.tls),
			lderr_str(rc));
		return 1;
	}

	uint8_t log_id[LD_LOG_ID_BYTES];
	FILE *ur = fopen("/dev/urandom", "rb");
	if (!ur || fread(log_id, 1, sizeof(log_id), ur) != sizeof(log_id))
		return 1;
	fclose(ur);
	/* The target's Hello first: the scenario needs its id and name. */
	Ld__Envelope *in;
	uint8_t target[LD_SITE_ID_BYTES];
	char target_name[256];
	for (;;) {
		if ((rc = recv_env(&h, &in))) {
			printf("%s\n", rc == -ETIMEDOUT ? "timeout"
				       : rc == -EPIPE	? "eof"
							: "error");
			return 1;
		}
		if (in->msg_case == LD__ENVELOPE__MSG_CLOSE) {
			printf("close %s\n", in->close->reason);
			return 1;
		}
		if (in->msg_case == LD__ENVELOPE__MSG_HELLO)
			break;
		ld__envelope__free_unpacked(in, NULL);
	}
	if (in->hello->site_id.len != LD_SITE_ID_BYTES) {
		printf("hello with a bad site id\n");
		return 1;
	}
	memcpy(target, in->hello->site_id.data, LD_SITE_ID_BYTES);
	snprintf(target_name, sizeof(target_name), "%s", in->hello->name);
	print_hello(in->hello);
	ld__envelope__free_unpacked(in, NULL);

	static struct scenario s;
	build(&s, &o, target, target_name);
	/* Our Hello after the target's: its head is the scenario's last seq. */
	if ((rc = send_hello(&h, o.proto_min, o.proto_max, log_id, s.seq))) {
		printf("error sending Hello: %s\n", lderr_str(rc));
		return 1;
	}

	int status = 0;
	uint64_t prev = 0;
	size_t from = 0;
	for (size_t b = 0; b < s.n_batches && status == 0; b++) {
		/* The batch's range: up to the last decodable seq in it (garbage has none). */
		uint64_t last = prev;
		size_t to = s.batch_end[b];
		for (size_t i = from; i < to; i++) {
			Ld__Event *e =
			    ld__event__unpack(NULL, s.ev[i].bytes.len, s.ev[i].bytes.data);
			if (e) {
				if (e->origin_seq > last)
					last = e->origin_seq;
				ld__event__free_unpacked(e, NULL);
			}
		}
		ProtobufCBinaryData evs[MAX_EVENTS];
		for (size_t i = from; i < to; i++)
			evs[i - from] = s.ev[i].bytes;
		Ld__EventBatch batch = LD__EVENT_BATCH__INIT;
		batch.log_id.data = log_id;
		batch.log_id.len = sizeof(log_id);
		batch.prev_seq = prev;
		batch.last_seq = last;
		batch.events = evs;
		batch.n_events = to - from;
		Ld__Envelope be = LD__ENVELOPE__INIT;
		be.msg_case = LD__ENVELOPE__MSG_BATCH;
		be.batch = &batch;
		if ((rc = send_env(&h, &be))) {
			printf("error sending a batch: %s\n", lderr_str(rc));
			status = 1;
			break;
		}
		printf("sent batch %llu %llu %zu\n", (unsigned long long)prev,
		       (unsigned long long)last, to - from);
		for (;;) {
			if ((rc = recv_env(&h, &in))) {
				printf("%s\n", rc == -ETIMEDOUT ? "timeout"
					       : rc == -EPIPE	? "eof"
								: "error");
				status = 1;
				break;
			}
			if (in->msg_case == LD__ENVELOPE__MSG_CLOSE) {
				printf("close %s\n", in->close->reason);
				status = 1;
			} else if (in->msg_case == LD__ENVELOPE__MSG_ACK) {
				print_ack(in->ack);
				if (in->ack->seq >= last) {
					if (in->ack->seq != last)
						status = 1;
					ld__envelope__free_unpacked(in, NULL);
					break;
				}
			}
			/* Pings, the target's own batches: not our business here. */
			ld__envelope__free_unpacked(in, NULL);
			if (status)
				break;
		}
		prev = last;
		from = to;
	}
	Ld__Close cl = LD__CLOSE__INIT;
	cl.reason = "done";
	Ld__Envelope env = LD__ENVELOPE__INIT;
	env.msg_case = LD__ENVELOPE__MSG_CLOSE;
	env.close = &cl;
	send_env(&h, &env);
	close(h.fd);
	tls_conn_free(h.tls);
	tls_ctx_free(ctx);
	identity_free(id);
	for (size_t i = 0; i < s.n; i++)
		free(s.ev[i].bytes.data);
	printf("done %s\n", status ? "FAILED" : "ok");
	return status;
}
