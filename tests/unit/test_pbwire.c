/*
 * test_pbwire.c: unit tests of common/pbwire.c: fields read off the wire (and refused when cut or
 * malformed), and a spliced pack that writes exactly the bytes protobuf-c's own pack writes for a
 * member's state, whatever the lengths (one- and two-byte varints, a state over the stack
 * buffer), and falls back to the whole pack where a splice cannot go; and a one-walk pack that
 * writes protobuf-c's bytes for random messages of every type the daemons pack.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lderr.h"
#include "pbwire.h"
#include "ctl.pb-c.h"
#include "peer.pb-c.h"
#include "record.pb-c.h"

static void fields_are_read_in_order(void **state)
{
	(void)state;
	/* 1: varint 150; 2: "hi"; 3: fixed64; 4: fixed32; 2 again: "yo" */
	const uint8_t msg[] = {0x08, 0x96, 0x01, 0x12, 0x02, 'h', 'i', 0x19, 1,	   2,	 3,   4,  5,
			       6,    7,	   8,	 0x25, 1,    2,	  3,   4,    0x12, 0x02, 'y', 'o'};
	const uint8_t *p = msg, *end = msg + sizeof(msg);
	struct pbwire_field f;
	const uint32_t numbers[] = {1, 2, 3, 4, 2};
	const unsigned types[] = {0, 2, 1, 5, 2};
	for (size_t i = 0; i < 5; i++) {
		assert_int_equal(pbwire_next(&p, end, &f), 1);
		assert_int_equal(f.number, numbers[i]);
		assert_int_equal(f.type, types[i]);
		if (i == 0)
			assert_int_equal(f.varint, 150);
	}
	assert_int_equal(pbwire_next(&p, end, &f), 0);

	unsigned count;
	assert_int_equal(pbwire_find(msg, sizeof(msg), 2, &f, &count), 0);
	assert_int_equal(count, 2);
	assert_int_equal(f.len, 2);
	assert_memory_equal(f.value, "yo", 2); /* the last, as unpacking keeps it */
	assert_int_equal(pbwire_find(msg, sizeof(msg), 9, &f, &count), 0);
	assert_int_equal(count, 0);
	/* A varint field asked for as length-delimited: not what the caller expects. */
	assert_int_equal(pbwire_find(msg, sizeof(msg), 1, &f, &count), LD_ECORRUPT);
}

static void cut_and_malformed_fields_are_corrupt(void **state)
{
	(void)state;
	struct pbwire_field f;
	const struct {
		uint8_t bytes[12];
		size_t len;
	} bad[] = {
	    {{0x12, 0x05, 'a'}, 3},  /* length past the end */
	    {{0x08}, 1},	     /* varint cut */
	    {{0x08, 0x80, 0x80}, 3}, /* varint cut */
	    {{0x19, 1, 2, 3}, 4},    /* fixed64 cut */
	    {{0x0b}, 1},	     /* wire type 3 */
	    {{0x00, 0x01}, 2},	     /* field number 0 */
	    {{0x08, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01}, 12}, /* 11 */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const uint8_t *p = bad[i].bytes;
		assert_int_equal(pbwire_next(&p, bad[i].bytes + bad[i].len, &f), LD_ECORRUPT);
		unsigned count;
		assert_int_equal(pbwire_find(bad[i].bytes, bad[i].len, 2, &f, &count), LD_ECORRUPT);
	}
}

/* A reserve that hands out a heap buffer of the exact length asked. */
struct room {
	uint8_t *bytes;
	size_t len;
	int calls;
};

static int reserve(void *ctx, size_t len, uint8_t **out)
{
	struct room *r = ctx;
	r->calls++;
	r->bytes = malloc(len ? len : 1);
	r->len = len;
	*out = r->bytes;
	return r->bytes ? 0 : -ENOMEM;
}

static int refuse(void *ctx, size_t len, uint8_t **out)
{
	(void)ctx;
	(void)len;
	(void)out;
	return -ENOSPC;
}

/* A string of N copies of C (N < 4096). */
static char *repeated(char c, size_t n)
{
	static char buf[4][4096];
	static int k;
	char *s = buf[k++ % 4];
	memset(s, c, n);
	s[n] = '\0';
	return s;
}

/*
 * Pack ST spliced, with its info and outflow (as they pack alone) as the known bytes, and check
 * the bytes are protobuf-c's own.
 */
static void assert_splice_is_pack(Ld__MemberState *st)
{
	size_t want_len = ld__member_state__get_packed_size(st);
	uint8_t *want = malloc(want_len);
	assert_non_null(want);
	ld__member_state__pack(st, want);

	uint8_t info[8192], outflow[8192];
	struct pbwire_splice sp[2];
	size_t n = 0;
	sp[n++] = (struct pbwire_splice){1, info, ld__member_info__pack(st->info, info)};
	if (st->outflow)
		sp[n++] = (struct pbwire_splice){5, outflow,
						 ld__outflow_info__pack(st->outflow, outflow)};
	Ld__MemberInfo *keep_info = st->info;
	Ld__OutflowInfo *keep_outflow = st->outflow;
	struct room r = {0};
	assert_int_equal(pbwire_pack_spliced(&st->base, sp, n, reserve, &r), 0);
	assert_int_equal(r.calls, 1);
	assert_int_equal(r.len, want_len);
	assert_memory_equal(r.bytes, want, want_len);
	/* The message is as it was. */
	assert_ptr_equal(st->info, keep_info);
	assert_ptr_equal(st->outflow, keep_outflow);
	free(r.bytes);
	/* In two halves (the rest packed in one place, laid out in another): the same bytes. */
	struct room rest = {0}, whole = {0};
	assert_int_equal(pbwire_pack_rest(&st->base, sp, n, reserve, &rest), 0);
	assert_ptr_equal(st->info, keep_info);
	assert_ptr_equal(st->outflow, keep_outflow);
	assert_int_equal(pbwire_splice_into(rest.bytes, rest.len, sp, n, reserve, &whole), 0);
	assert_int_equal(whole.len, want_len);
	assert_memory_equal(whole.bytes, want, want_len);
	/* With where the splices go found once, and a tail of fields after all (here: a varint
	 * field 99): the same bytes, then the tail. */
	size_t at[2];
	pbwire_splice_points(rest.bytes, rest.len, sp, n, at);
	const uint8_t tail[] = {0x98, 0x06, 0x2a}; /* field 99, varint 42 */
	struct room laid = {0};
	assert_int_equal(
	    pbwire_splice_at(rest.bytes, rest.len, sp, at, n, tail, sizeof(tail), reserve, &laid),
	    0);
	assert_int_equal(laid.len, want_len + sizeof(tail));
	assert_memory_equal(laid.bytes, want, want_len);
	assert_memory_equal(laid.bytes + want_len, tail, sizeof(tail));
	free(laid.bytes);
	if (n == 2) { /* points out of order, or past the rest: refused, nothing reserved */
		size_t bad[2] = {at[1] + 1, at[1]};
		struct room none = {0};
		assert_int_equal(
		    pbwire_splice_at(rest.bytes, rest.len, sp, bad, n, NULL, 0, reserve, &none),
		    -EINVAL);
		bad[0] = 0;
		bad[1] = rest.len + 1;
		assert_int_equal(
		    pbwire_splice_at(rest.bytes, rest.len, sp, bad, n, NULL, 0, reserve, &none),
		    -EINVAL);
		assert_int_equal(none.calls, 0);
	}
	free(rest.bytes);
	free(whole.bytes);
	free(want);
}

static void spliced_pack_is_protobuf_c_pack(void **state)
{
	(void)state;
	static uint64_t history[300];
	for (size_t i = 0; i < 300; i++)
		history[i] = 1000000 + i * 977;
	static char *receipts[40];
	for (size_t i = 0; i < 40; i++)
		receipts[i] = repeated('r', 30);
	const size_t name_lens[] = {0, 3, 120, 130, 2000};
	for (size_t k = 0; k < sizeof(name_lens) / sizeof(name_lens[0]); k++) {
		Ld__MemberInfo mi = LD__MEMBER_INFO__INIT;
		mi.id = "110105194912310021";
		mi.name = repeated('n', name_lens[k]);
		mi.sex = "F";
		mi.birth = -7306;
		mi.joined = 10000;
		mi.income_fen = -1;
		mi.set_dues_fen = -1;
		Ld__OutflowInfo of = LD__OUTFLOW_INFO__INIT;
		of.reason = "work";
		of.place = repeated('p', name_lens[k] / 2);
		of.from = 20000;
		of.until = INT32_MIN;
		Ld__MemberState st = LD__MEMBER_STATE__INIT;
		st.info = &mi;
		st.state = "away";
		st.outflow_name = "昆山";
		st.first_seq = 1;
		st.last_seq = 300000 + k;
		st.n_history = k == 4 ? 300 : 1; /* the last: over the 1 KiB stack buffer */
		st.history = history;
		st.n_receipts = k == 4 ? 40 : 0;
		st.receipts = receipts;
		st.last_visit = 20001;
		/* info alone (home), then with his registration out */
		assert_splice_is_pack(&st);
		st.outflow = &of;
		assert_splice_is_pack(&st);
		/* an empty registration still packs as the field, with no contents */
		Ld__OutflowInfo empty = LD__OUTFLOW_INFO__INIT;
		st.outflow = &empty;
		assert_splice_is_pack(&st);
	}
}

static void a_splice_that_cannot_go_packs_whole(void **state)
{
	(void)state;
	Ld__MemberInfo mi = LD__MEMBER_INFO__INIT;
	mi.id = "110105194912310021";
	Ld__MemberState st = LD__MEMBER_STATE__INIT;
	st.info = &mi;
	st.state = "home";
	size_t want_len = ld__member_state__get_packed_size(&st);
	uint8_t want[256];
	ld__member_state__pack(&st, want);
	const uint8_t junk[] = {0x0a, 0x01, 'x'};
	/* A string field, a field that is not set, and splices out of order: each packs whole
	 * (the junk is never used). */
	const struct pbwire_splice not_message = {2, junk, sizeof(junk)};
	const struct pbwire_splice not_set = {5, junk, sizeof(junk)};
	const struct pbwire_splice out_of_order[2] = {{5, junk, 3}, {1, junk, 3}};
	const struct {
		const struct pbwire_splice *sp;
		size_t n;
	} cases[] = {{&not_message, 1}, {&not_set, 1}, {out_of_order, 2}};
	for (size_t i = 0; i < 3; i++) {
		struct room r = {0};
		assert_int_equal(
		    pbwire_pack_spliced(&st.base, cases[i].sp, cases[i].n, reserve, &r), 0);
		assert_int_equal(r.len, want_len);
		assert_memory_equal(r.bytes, want, want_len);
		free(r.bytes);
		/* Where it packs whole, there is no rest to pack apart, and no room is asked. */
		struct room rest = {0};
		assert_int_equal(
		    pbwire_pack_rest(&st.base, cases[i].sp, cases[i].n, reserve, &rest), -EINVAL);
		assert_int_equal(rest.calls, 0);
	}
	/* The room's failure is the caller's, and the message is left as it was. */
	uint8_t info[128];
	const struct pbwire_splice sp = {1, info, ld__member_info__pack(&mi, info)};
	assert_int_equal(pbwire_pack_spliced(&st.base, &sp, 1, refuse, NULL), -ENOSPC);
	assert_ptr_equal(st.info, &mi);
}

/*
 * A oneof's member (an event's payload) spliced: protobuf-c's bytes, the case restored; a member
 * of the oneof other than the one set packs whole.
 */
static void a_oneof_member_is_spliced(void **state)
{
	(void)state;
	uint8_t origin[32] = {7};
	Ld__MemberInfo mi = LD__MEMBER_INFO__INIT;
	mi.id = "110105194912310021";
	mi.name = "张三";
	Ld__OutflowInfo of = LD__OUTFLOW_INFO__INIT;
	of.member = &mi;
	of.reason = "work";
	of.from = 20000;
	Ld__Event ev = LD__EVENT__INIT;
	ev.origin = (ProtobufCBinaryData){.len = sizeof(origin), .data = origin};
	ev.origin_seq = 300001;
	ev.time_ms = 1764547200123;
	ev.member = mi.id;
	ev.kind = LD__EVENT_KIND__OUTFLOW_REGISTERED;
	ev.operator_ = "王";
	ev.payload_case = LD__EVENT__PAYLOAD_OUTFLOW;
	ev.outflow = &of;
	size_t want_len = ld__event__get_packed_size(&ev);
	uint8_t want[512], payload[512];
	ld__event__pack(&ev, want);
	const struct pbwire_splice sp = {11, payload, ld__outflow_info__pack(&of, payload)};
	struct room r = {0};
	assert_int_equal(pbwire_pack_spliced(&ev.base, &sp, 1, reserve, &r), 0);
	assert_int_equal(r.len, want_len);
	assert_memory_equal(r.bytes, want, want_len);
	free(r.bytes);
	assert_int_equal(ev.payload_case, LD__EVENT__PAYLOAD_OUTFLOW);
	assert_ptr_equal(ev.outflow, &of);
	/* Field 10 (member_info) is of the same oneof but not the one set: packed whole. */
	const uint8_t junk[] = {0x0a, 0x01, 'x'};
	const struct pbwire_splice other = {10, junk, sizeof(junk)};
	r = (struct room){0};
	assert_int_equal(pbwire_pack_spliced(&ev.base, &other, 1, reserve, &r), 0);
	assert_int_equal(r.len, want_len);
	assert_memory_equal(r.bytes, want, want_len);
	free(r.bytes);
}

/*
 * Random messages of every type: each field set or not, zeros, NULL and empty strings, empty bytes,
 * negative numbers, long strings (two- and three-byte lengths), sub-messages NULL or not (to a
 * depth), oneofs, repeated fields, unknown fields. What they allocate is kept
 * in a list and freed at once.
 */
struct gen {
	uint64_t seed;
	void **owned;
	size_t n_owned, cap_owned;
};

static uint64_t gen_next(struct gen *g)
{
	g->seed ^= g->seed << 13; /* xorshift64 */
	g->seed ^= g->seed >> 7;
	g->seed ^= g->seed << 17;
	return g->seed;
}

static void *gen_alloc(struct gen *g, size_t len)
{
	if (g->n_owned == g->cap_owned) {
		g->cap_owned = g->cap_owned ? g->cap_owned * 2 : 64;
		g->owned = realloc(g->owned, g->cap_owned * sizeof(void *));
		assert_non_null(g->owned);
	}
	void *p = calloc(1, len ? len : 1);
	assert_non_null(p);
	return g->owned[g->n_owned++] = p;
}

static void gen_free(struct gen *g)
{
	for (size_t i = 0; i < g->n_owned; i++)
		free(g->owned[i]);
	free(g->owned);
	g->owned = NULL;
	g->n_owned = g->cap_owned = 0;
}

/* A length: mostly short, now and then one of two or three bytes as a varint. */
static size_t gen_len(struct gen *g)
{
	uint64_t r = gen_next(g) % 100;
	return r < 80 ? r % 12 : r < 95 ? 100 + gen_next(g) % 300 : 16000 + gen_next(g) % 2000;
}

static uint64_t gen_number(struct gen *g)
{
	switch (gen_next(g) % 6) {
	case 0:
		return 0;
	case 1:
		return 1;
	case 2:
		return (uint64_t) - (int64_t)(gen_next(g) % 1000); /* below zero */
	case 3:
		return gen_next(g);
	default:
		return gen_next(g) % 300;
	}
}

static void gen_message(struct gen *g, ProtobufCMessage *m, int depth);

/* A value of F's type into V (an element of a repeated field if ELEMENT). */
static void gen_value(struct gen *g, const ProtobufCFieldDescriptor *f, void *v, int depth,
		      bool element)
{
	uint64_t n = gen_number(g);
	switch (f->type) {
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
	case PROTOBUF_C_TYPE_FIXED32:
	case PROTOBUF_C_TYPE_FLOAT:
	case PROTOBUF_C_TYPE_ENUM:
		*(uint32_t *)v = (uint32_t)n;
		break;
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
	case PROTOBUF_C_TYPE_FIXED64:
	case PROTOBUF_C_TYPE_DOUBLE:
		*(uint64_t *)v = n;
		break;
	case PROTOBUF_C_TYPE_BOOL:
		*(protobuf_c_boolean *)v = (protobuf_c_boolean)(n % 2);
		break;
	case PROTOBUF_C_TYPE_STRING: {
		if (!element && gen_next(g) % 5 == 0) { /* an element: as for sub-messages below */
			*(char **)v = NULL;
			break;
		}
		size_t len = gen_len(g);
		char *s = gen_alloc(g, len + 1);
		for (size_t i = 0; i < len; i++)
			s[i] = (char)('a' + gen_next(g) % 26);
		*(char **)v = s;
		break;
	}
	case PROTOBUF_C_TYPE_BYTES: {
		ProtobufCBinaryData *b = v;
		b->len = gen_next(g) % 4 == 0 ? 0 : gen_len(g);
		b->data = gen_alloc(g, b->len); /* not NULL even when empty */
		for (size_t i = 0; i < b->len; i++)
			b->data[i] = (uint8_t)gen_next(g);
		break;
	}
	case PROTOBUF_C_TYPE_MESSAGE: {
		const ProtobufCMessageDescriptor *d = f->descriptor;
		/* An element is never NULL: protobuf-c's size of it would fail. */
		if (!element && (depth <= 0 || gen_next(g) % 4 == 0)) {
			*(ProtobufCMessage **)v = NULL;
			break;
		}
		ProtobufCMessage *sub = gen_alloc(g, d->sizeof_message);
		protobuf_c_message_init(d, sub);
		if (depth > 0)
			gen_message(g, sub, depth - 1);
		*(ProtobufCMessage **)v = sub;
		break;
	}
	}
}

static void gen_message(struct gen *g, ProtobufCMessage *m, int depth)
{
	const ProtobufCMessageDescriptor *d = m->descriptor;
	for (unsigned i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		void *v = (char *)m + f->offset;
		void *q = (char *)m + f->quantifier_offset;
		if (gen_next(g) % 3 == 0)
			continue; /* left as it was made */
		if (f->label == PROTOBUF_C_LABEL_REPEATED) {
			/* Now and then many numbers: a packed field's length of two bytes. */
			size_t count = gen_next(g) % 10 == 0 && f->type != PROTOBUF_C_TYPE_MESSAGE
					   ? 20 + gen_next(g) % 40
					   : gen_next(g) % 4;
			size_t size = pbwire_element_size(f->type);
			char *array = gen_alloc(g, count * size);
			for (size_t k = 0; k < count; k++)
				gen_value(g, f, array + k * size, depth, true);
			*(size_t *)q = count;
			*(void **)v = array;
		} else if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
			gen_value(g, f, v, depth, false); /* the last member set wins the case */
			*(uint32_t *)q = f->id;
		} else {
			gen_value(g, f, v, depth, false);
			if (f->label == PROTOBUF_C_LABEL_OPTIONAL)
				*(protobuf_c_boolean *)q = (protobuf_c_boolean)(gen_next(g) % 2);
		}
	}
	if (gen_next(g) % 8 == 0) { /* a field of a later version, kept as read */
		ProtobufCMessageUnknownField *u = gen_alloc(g, sizeof(*u));
		u->tag = 1000 + (uint32_t)(gen_next(g) % 100);
		u->wire_type = PROTOBUF_C_WIRE_TYPE_LENGTH_PREFIXED;
		u->len = 3;
		u->data = gen_alloc(g, 3);
		memcpy(u->data, "\x02hi", 3);
		m->unknown_fields = u;
		m->n_unknown_fields = 1;
	}
}

static void one_walk_pack_is_protobuf_c_pack(void **state)
{
	(void)state;
	const ProtobufCMessageDescriptor *const all[] = {
	    &ld__param__descriptor,
	    &ld__request__descriptor,
	    &ld__response__descriptor,
	    &ld__hello__descriptor,
	    &ld__event_batch__descriptor,
	    &ld__quarantined_event__descriptor,
	    &ld__ack__descriptor,
	    &ld__ping__descriptor,
	    &ld__pong__descriptor,
	    &ld__close__descriptor,
	    &ld__envelope__descriptor,
	    &ld__member_info__descriptor,
	    &ld__outflow_info__descriptor,
	    &ld__branch_info__descriptor,
	    &ld__service_request__descriptor,
	    &ld__trail_entry__descriptor,
	    &ld__request_forward__descriptor,
	    &ld__request_step__descriptor,
	    &ld__request_state__descriptor,
	    &ld__notice__descriptor,
	    &ld__notice_answer__descriptor,
	    &ld__notice_addressee__descriptor,
	    &ld__notice_state__descriptor,
	    &ld__visit__descriptor,
	    &ld__certificate_body__descriptor,
	    &ld__signed_certificate__descriptor,
	    &ld__cert_revoked__descriptor,
	    &ld__cert_reviewed__descriptor,
	    &ld__checkin__descriptor,
	    &ld__meeting__descriptor,
	    &ld__attendance__descriptor,
	    &ld__dues_paid__descriptor,
	    &ld__dues_refunded__descriptor,
	    &ld__note__descriptor,
	    &ld__stay_ended__descriptor,
	    &ld__dues_exemption__descriptor,
	    &ld__contact__descriptor,
	    &ld__transfer_letter__descriptor,
	    &ld__transfer__descriptor,
	    &ld__event__descriptor,
	    &ld__log_entry__descriptor,
	    &ld__member_state__descriptor,
	    &ld__receipt__descriptor,
	    &ld__cert_review__descriptor,
	    &ld__cert_state__descriptor,
	    &ld__audit_entry__descriptor,
	    &ld__peer_record__descriptor,
	    &ld__sync_cursor__descriptor,
	    &ld__quarantined__descriptor,
	};
	struct gen g = {.seed = 0x9e3779b97f4a7c15u};
	size_t packed = 0, empty = 0, big = 0;
	for (size_t k = 0; k < sizeof(all) / sizeof(all[0]); k++) {
		for (int round = 0; round < 200; round++) {
			ProtobufCMessage *m = gen_alloc(&g, all[k]->sizeof_message);
			protobuf_c_message_init(all[k], m);
			gen_message(&g, m, 3);
			size_t want_len = protobuf_c_message_get_packed_size(m);
			uint8_t *want = malloc(want_len + 1), *got = malloc(want_len + 1);
			assert_non_null(want);
			assert_non_null(got);
			assert_int_equal(protobuf_c_message_pack(m, want), want_len);
			size_t len = 0;
			assert_int_equal(pbwire_pack(m, got, want_len, &len), 0);
			if (len != want_len || memcmp(got, want, want_len) != 0)
				fail_msg("%s, round %d: %zu bytes, protobuf-c %zu", all[k]->name,
					 round, len, want_len);
			/* Into a room asked for once, through the stack or, past 8 KiB, by
			 * protobuf-c: the same bytes. */
			struct room into = {0};
			assert_int_equal(pbwire_pack_into(m, reserve, &into), 0);
			assert_int_equal(into.calls, 1);
			assert_int_equal(into.len, want_len);
			if (want_len)
				assert_memory_equal(into.bytes, want, want_len);
			free(into.bytes);
			big += want_len > 8192;
			/* A byte short: refused, never written past the room. */
			if (want_len) {
				got[want_len - 1] = 0xa5;
				assert_int_equal(pbwire_pack(m, got, want_len - 1, &len), -ENOSPC);
				assert_int_equal(got[want_len - 1], 0xa5);
				assert_int_equal(pbwire_pack(m, got, want_len / 2, &len), -ENOSPC);
			}
			packed += want_len > 0;
			empty += want_len == 0;
			free(want);
			free(got);
			gen_free(&g);
		}
	}
	/* Most messages hold something, some nothing, some more than the stack's 8 KiB. */
	if (packed < 8000 || !empty || big < 100)
		fail_msg("%zu messages with bytes, %zu without, %zu over 8 KiB", packed, empty,
			 big);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(fields_are_read_in_order),
	    cmocka_unit_test(cut_and_malformed_fields_are_corrupt),
	    cmocka_unit_test(spliced_pack_is_protobuf_c_pack),
	    cmocka_unit_test(a_splice_that_cannot_go_packs_whole),
	    cmocka_unit_test(a_oneof_member_is_spliced),
	    cmocka_unit_test(one_walk_pack_is_protobuf_c_pack),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
