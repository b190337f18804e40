/*
 * pbwire.c: see pbwire.h.
 */
#include "pbwire.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "lderr.h"

/* A varint at *P (below END) into *OUT, moving *P past it; false if cut short or too long. */
static bool read_varint(const uint8_t **p, const uint8_t *end, uint64_t *out)
{
	uint64_t v = 0;
	for (unsigned shift = 0; shift < 64 && *p < end; shift += 7) {
		uint8_t b = *(*p)++;
		v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			*out = v;
			return true;
		}
	}
	return false;
}

int pbwire_next(const uint8_t **p, const uint8_t *end, struct pbwire_field *f)
{
	if (*p >= end)
		return 0;
	const uint8_t *q = *p;
	uint64_t tag, n;
	f->start = q;
	if (!read_varint(&q, end, &tag) || tag >> 3 == 0 || tag >> 3 > UINT32_MAX)
		return LD_ECORRUPT;
	f->number = (uint32_t)(tag >> 3);
	f->type = (unsigned)(tag & 7);
	f->value = NULL;
	f->len = 0;
	f->varint = 0;
	switch (f->type) {
	case 0:
		if (!read_varint(&q, end, &f->varint))
			return LD_ECORRUPT;
		break;
	case 1:
	case 5:
		n = f->type == 1 ? 8 : 4;
		if ((size_t)(end - q) < n)
			return LD_ECORRUPT;
		q += n;
		break;
	case 2:
		if (!read_varint(&q, end, &n) || n > (size_t)(end - q))
			return LD_ECORRUPT;
		f->value = q;
		f->len = (size_t)n;
		q += n;
		break;
	default:
		return LD_ECORRUPT;
	}
	f->end = q;
	*p = q;
	return 1;
}

int pbwire_find(const uint8_t *bytes, size_t len, uint32_t number, struct pbwire_field *f,
		unsigned *count)
{
	const uint8_t *p = bytes, *end = bytes + len;
	struct pbwire_field g;
	int rc;
	*count = 0;
	while ((rc = pbwire_next(&p, end, &g)) == 1) {
		if (g.number != number)
			continue;
		if (g.type != 2)
			return LD_ECORRUPT;
		*f = g;
		++*count;
	}
	return rc;
}

/* Bytes of V as a varint. */
size_t pbwire_varint_size(uint64_t v)
{
	size_t n = 1;
	while (v >= 0x80) {
		v >>= 7;
		n++;
	}
	return n;
}

uint8_t *pbwire_put_varint(uint8_t *out, uint64_t v)
{
	while (v >= 0x80) {
		*out++ = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	*out++ = (uint8_t)v;
	return out;
}

/*
 * pbwire_pack: protobuf_c_message_pack's bytes in one walk (it needs the size first, a second walk
 * of the same fields). Each write is checked against the room's end; a sub-message is packed
 * after a length of one byte and moved up if its length takes more, as protobuf-c does.
 */
struct pack_room {
	uint8_t *p, *end;
};

static bool room_for(const struct pack_room *r, size_t n)
{
	return (size_t)(r->end - r->p) >= n;
}

static bool put_varint(struct pack_room *r, uint64_t v)
{
	if (!room_for(r, 10) && !room_for(r, pbwire_varint_size(v)))
		return false;
	r->p = pbwire_put_varint(r->p, v);
	return true;
}

static bool put_raw(struct pack_room *r, const void *data, size_t len)
{
	if (!room_for(r, len))
		return false;
	if (len)
		memcpy(r->p, data, len);
	r->p += len;
	return true;
}

static bool put_fixed(struct pack_room *r, uint64_t v, unsigned bytes)
{
	uint8_t le[8];
	for (unsigned i = 0; i < bytes; i++)
		le[i] = (uint8_t)(v >> (8 * i));
	return put_raw(r, le, bytes);
}

static bool put_length_delimited(struct pack_room *r, const void *data, size_t len)
{
	return put_varint(r, (uint32_t)len) && put_raw(r, data, len);
}

static bool pack_fields(const ProtobufCMessage *m, struct pack_room *r);

/* A length whose value is written after it: one byte kept at *AT for it. */
static bool length_open(struct pack_room *r, uint8_t **at)
{
	if (!room_for(r, 1))
		return false;
	*at = r->p++;
	return true;
}

/* The length of what was written since length_open(AT), moved up if it takes more than a byte. */
static bool length_close(struct pack_room *r, uint8_t *at)
{
	size_t len = (size_t)(r->p - at - 1);
	size_t extra = pbwire_varint_size((uint32_t)len) - 1;
	if (extra) {
		if (!room_for(r, extra))
			return false;
		memmove(at + 1 + extra, at + 1, len);
		r->p += extra;
	}
	pbwire_put_varint(at, (uint32_t)len);
	return true;
}

/* A sub-message (NULL: an empty one, as protobuf-c writes a NULL element): its length, then it. */
static bool put_message(struct pack_room *r, const ProtobufCMessage *m)
{
	uint8_t *at;
	if (!m)
		return put_varint(r, 0);
	return length_open(r, &at) && pack_fields(m, r) && length_close(r, at);
}

static uint64_t zigzag32(int32_t v)
{
	return (uint32_t)(((uint32_t)v << 1) ^ (uint32_t)(v >> 31));
}

static uint64_t zigzag64(int64_t v)
{
	return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

/* The wire type of a value of TYPE (packed repeated fields aside). */
static unsigned wire_type(ProtobufCType type)
{
	switch (type) {
	case PROTOBUF_C_TYPE_SFIXED32:
	case PROTOBUF_C_TYPE_FIXED32:
	case PROTOBUF_C_TYPE_FLOAT:
		return 5;
	case PROTOBUF_C_TYPE_SFIXED64:
	case PROTOBUF_C_TYPE_FIXED64:
	case PROTOBUF_C_TYPE_DOUBLE:
		return 1;
	case PROTOBUF_C_TYPE_STRING:
	case PROTOBUF_C_TYPE_BYTES:
	case PROTOBUF_C_TYPE_MESSAGE:
		return 2;
	default:
		return 0;
	}
}

/* One value of TYPE at V, without its tag (a string or bytes with its length). */
static bool put_value(struct pack_room *r, ProtobufCType type, const void *v)
{
	switch (type) {
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_ENUM: /* below zero: ten bytes, as a 64-bit varint */
		return put_varint(r, (uint64_t)(int64_t) * (const int32_t *)v);
	case PROTOBUF_C_TYPE_SINT32:
		return put_varint(r, zigzag32(*(const int32_t *)v));
	case PROTOBUF_C_TYPE_UINT32:
		return put_varint(r, *(const uint32_t *)v);
	case PROTOBUF_C_TYPE_SINT64:
		return put_varint(r, zigzag64(*(const int64_t *)v));
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_UINT64:
		return put_varint(r, *(const uint64_t *)v);
	case PROTOBUF_C_TYPE_BOOL:
		return put_varint(r, *(const protobuf_c_boolean *)v ? 1 : 0);
	case PROTOBUF_C_TYPE_SFIXED32:
	case PROTOBUF_C_TYPE_FIXED32:
	case PROTOBUF_C_TYPE_FLOAT:
		return put_fixed(r, *(const uint32_t *)v, 4);
	case PROTOBUF_C_TYPE_SFIXED64:
	case PROTOBUF_C_TYPE_FIXED64:
	case PROTOBUF_C_TYPE_DOUBLE:
		return put_fixed(r, *(const uint64_t *)v, 8);
	case PROTOBUF_C_TYPE_STRING: {
		const char *s = *(char *const *)v;
		return put_length_delimited(r, s, s ? strlen(s) : 0);
	}
	case PROTOBUF_C_TYPE_BYTES: {
		const ProtobufCBinaryData *b = v;
		return put_length_delimited(r, b->data, b->len);
	}
	case PROTOBUF_C_TYPE_MESSAGE:
		return put_message(r, *(ProtobufCMessage *const *)v);
	}
	return false;
}

static bool put_field(struct pack_room *r, const ProtobufCFieldDescriptor *f, const void *v)
{
	return put_varint(r, (uint64_t)f->id << 3 | wire_type(f->type)) && put_value(r, f->type, v);
}

/* Whether an unlabelled (proto3) field at V is left out: protobuf-c's field_is_zeroish. */
static bool zeroish(ProtobufCType type, const void *v)
{
	switch (type) {
	case PROTOBUF_C_TYPE_BOOL:
		return !*(const protobuf_c_boolean *)v;
	case PROTOBUF_C_TYPE_ENUM:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
	case PROTOBUF_C_TYPE_FIXED32:
		return !*(const uint32_t *)v;
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
	case PROTOBUF_C_TYPE_FIXED64:
		return !*(const uint64_t *)v;
	case PROTOBUF_C_TYPE_FLOAT:
		return *(const float *)v == 0;
	case PROTOBUF_C_TYPE_DOUBLE:
		return *(const double *)v == 0;
	case PROTOBUF_C_TYPE_STRING: {
		const char *s = *(char *const *)v;
		return !s || !*s;
	}
	case PROTOBUF_C_TYPE_BYTES:
		return !((const ProtobufCBinaryData *)v)->len;
	case PROTOBUF_C_TYPE_MESSAGE:
		return !*(void *const *)v;
	}
	return true;
}

size_t pbwire_element_size(ProtobufCType type)
{
	switch (type) {
	case PROTOBUF_C_TYPE_SINT64:
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_UINT64:
	case PROTOBUF_C_TYPE_SFIXED64:
	case PROTOBUF_C_TYPE_FIXED64:
	case PROTOBUF_C_TYPE_DOUBLE:
		return 8;
	case PROTOBUF_C_TYPE_BOOL:
		return sizeof(protobuf_c_boolean);
	case PROTOBUF_C_TYPE_STRING:
	case PROTOBUF_C_TYPE_MESSAGE:
		return sizeof(void *);
	case PROTOBUF_C_TYPE_BYTES:
		return sizeof(ProtobufCBinaryData);
	default:
		return 4;
	}
}

static bool put_repeated(struct pack_room *r, const ProtobufCFieldDescriptor *f, size_t count,
			 const char *array)
{
	size_t size = pbwire_element_size(f->type);
	if (!(f->flags & PROTOBUF_C_FIELD_FLAG_PACKED)) {
		for (size_t i = 0; i < count; i++)
			if (!put_field(r, f, array + i * size))
				return false;
		return true;
	}
	if (!count)
		return true;
	/* Packed: one length-delimited field of the values, laid out as a sub-message's. */
	uint8_t *at;
	if (!put_varint(r, (uint64_t)f->id << 3 | 2) || !length_open(r, &at))
		return false;
	for (size_t i = 0; i < count; i++)
		if (!put_value(r, f->type, array + i * size))
			return false;
	return length_close(r, at);
}

/* M's fields in its descriptor's order, then its unknown fields: protobuf_c_message_pack's. */
static bool pack_fields(const ProtobufCMessage *m, struct pack_room *r)
{
	const ProtobufCMessageDescriptor *d = m->descriptor;
	for (unsigned i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		const char *v = (const char *)m + f->offset;
		const char *q = (const char *)m + f->quantifier_offset;
		/* A oneof's or an optional field's message or string: left out if NULL or the
		 * default; its other types by the case or the has flag. */
		bool pointer =
		    f->type == PROTOBUF_C_TYPE_MESSAGE || f->type == PROTOBUF_C_TYPE_STRING;
		bool pointer_set =
		    pointer && *(void *const *)v && *(void *const *)v != f->default_value;
		bool put;
		if (f->label == PROTOBUF_C_LABEL_REQUIRED)
			put = true;
		else if (f->label == PROTOBUF_C_LABEL_REPEATED) {
			if (!put_repeated(r, f, *(const size_t *)q, *(char *const *)v))
				return false;
			continue;
		} else if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)
			put = *(const uint32_t *)q == f->id && (!pointer || pointer_set);
		else if (f->label == PROTOBUF_C_LABEL_OPTIONAL)
			put = pointer ? pointer_set : *(const protobuf_c_boolean *)q;
		else
			put = !zeroish(f->type, v);
		if (put && !put_field(r, f, v))
			return false;
	}
	for (size_t i = 0; i < m->n_unknown_fields; i++) {
		const ProtobufCMessageUnknownField *u = &m->unknown_fields[i];
		if (!put_varint(r, (uint64_t)u->tag << 3 | u->wire_type) ||
		    !put_raw(r, u->data, u->len))
			return false;
	}
	return true;
}

int pbwire_pack(const ProtobufCMessage *m, uint8_t *out, size_t cap, size_t *len)
{
	struct pack_room r = {out, out + cap};
	if (!pack_fields(m, &r))
		return -ENOSPC;
	*len = (size_t)(r.p - out);
	return 0;
}

static size_t splice_size(const struct pbwire_splice *s)
{
	return pbwire_varint_size((uint64_t)s->number << 3 | 2) + pbwire_varint_size(s->len) +
	       s->len;
}

uint8_t *pbwire_put_bytes(uint8_t *out, uint32_t number, const void *bytes, size_t len)
{
	out = pbwire_put_varint(out, (uint64_t)number << 3 | 2);
	out = pbwire_put_varint(out, len);
	memcpy(out, bytes, len);
	return out + len;
}

static uint8_t *put_splice(uint8_t *out, const struct pbwire_splice *s)
{
	return pbwire_put_bytes(out, s->number, s->bytes, s->len);
}

int pbwire_pack_into(const ProtobufCMessage *m, pbwire_reserve_fn reserve, void *ctx)
{
	/* Packed in one walk where it fits the stack, then copied; else sized and packed by
	 * protobuf-c. An event's payload is a few hundred bytes; a member's state grows with his
	 * receipts and history (~2 KiB after five years of monthly dues). */
	uint8_t stack[8192];
	size_t len;
	uint8_t *room;
	int rc;
	if (pbwire_pack(m, stack, sizeof(stack), &len) == 0) {
		if ((rc = reserve(ctx, len, &room)) == 0 && len)
			memcpy(room, stack, len);
		return rc;
	}
	len = protobuf_c_message_get_packed_size(m);
	if ((rc = reserve(ctx, len, &room)) == 0)
		protobuf_c_message_pack(m, room);
	return rc;
}

/*
 * True if D's fields are in ascending number: protobuf-c packs them in the descriptor's order, so
 * the packed fields are too, and a splice can go between them (protoc-c writes them so).
 */
static bool ascending(const ProtobufCMessageDescriptor *d)
{
	for (unsigned i = 1; i < d->n_fields; i++)
		if (d->fields[i].id <= d->fields[i - 1].id)
			return false;
	return true;
}

#define MAX_SPLICES 4

/*
 * M's fields but those of SP (N, checked as pbwire_pack_spliced says) packed into room from
 * RESERVE. Returns 0, 1 if a splice cannot go (nothing reserved), -ENOMEM or RESERVE's failure.
 */
static int pack_rest(ProtobufCMessage *m, const struct pbwire_splice *sp, size_t n,
		     pbwire_reserve_fn reserve, void *ctx)
{
	void **slot[MAX_SPLICES];
	uint32_t *oneof_case[MAX_SPLICES]; /* a oneof member's case, else NULL */
	/* Unknown fields go last, whatever their number. */
	if (n > MAX_SPLICES || m->n_unknown_fields || !ascending(m->descriptor))
		return 1;
	for (size_t i = 0; i < n; i++) {
		const ProtobufCFieldDescriptor *fd =
		    protobuf_c_message_descriptor_get_field(m->descriptor, sp[i].number);
		if (!fd || fd->type != PROTOBUF_C_TYPE_MESSAGE ||
		    fd->label == PROTOBUF_C_LABEL_REPEATED ||
		    (i && sp[i].number <= sp[i - 1].number))
			return 1;
		slot[i] = (void **)((char *)m + fd->offset);
		oneof_case[i] = fd->flags & PROTOBUF_C_FIELD_FLAG_ONEOF
				    ? (uint32_t *)((char *)m + fd->quantifier_offset)
				    : NULL;
		/* Set, and for a oneof's member the one its case names. */
		if (!*slot[i] || (oneof_case[i] && *oneof_case[i] != fd->id))
			return 1;
	}
	void *saved[MAX_SPLICES];
	for (size_t i = 0; i < n; i++) {
		saved[i] = *slot[i];
		*slot[i] = NULL;
		if (oneof_case[i])
			*oneof_case[i] = 0; /* none of the oneof's members is packed */
	}
	int rc = pbwire_pack_into(m, reserve, ctx);
	for (size_t i = 0; i < n; i++) {
		*slot[i] = saved[i];
		if (oneof_case[i])
			*oneof_case[i] = sp[i].number;
	}
	return rc;
}

int pbwire_pack_rest(ProtobufCMessage *m, const struct pbwire_splice *sp, size_t n,
		     pbwire_reserve_fn reserve, void *ctx)
{
	int rc = pack_rest(m, sp, n, reserve, ctx);
	return rc == 1 ? -EINVAL : rc;
}

void pbwire_splice_points(const uint8_t *rest, size_t len, const struct pbwire_splice *sp, size_t n,
			  size_t *at)
{
	/* Each splice goes before the first packed field with a higher number. */
	const uint8_t *p = rest, *end = rest + len;
	struct pbwire_field f;
	size_t j = 0;
	while (j < n && pbwire_next(&p, end, &f) == 1)
		while (j < n && sp[j].number < f.number)
			at[j++] = (size_t)(f.start - rest);
	/* After them all (or after a field not well formed: REST stays whole). */
	while (j < n)
		at[j++] = len;
}

int pbwire_splice_at(const uint8_t *rest, size_t len, const struct pbwire_splice *sp,
		     const size_t *at, size_t n, const uint8_t *tail, size_t tail_len,
		     pbwire_reserve_fn reserve, void *ctx)
{
	size_t total = len + tail_len;
	for (size_t i = 0; i < n; i++) {
		if (at[i] > len || (i && at[i] < at[i - 1]))
			return -EINVAL;
		total += splice_size(&sp[i]);
	}
	uint8_t *room;
	int rc = reserve(ctx, total, &room);
	if (rc)
		return rc;
	size_t from = 0;
	for (size_t i = 0; i < n; i++) {
		memcpy(room, rest + from, at[i] - from);
		room = put_splice(room + (at[i] - from), &sp[i]);
		from = at[i];
	}
	memcpy(room, rest + from, len - from);
	if (tail_len)
		memcpy(room + (len - from), tail, tail_len);
	return 0;
}

int pbwire_splice_into(const uint8_t *rest, size_t len, const struct pbwire_splice *sp, size_t n,
		       pbwire_reserve_fn reserve, void *ctx)
{
	size_t at[MAX_SPLICES];
	if (n > MAX_SPLICES)
		return -EINVAL;
	pbwire_splice_points(rest, len, sp, n, at);
	return pbwire_splice_at(rest, len, sp, at, n, NULL, 0, reserve, ctx);
}

/* Where pbwire_pack_spliced packs the rest: on its stack if it fits, else the heap. */
struct rest_room {
	uint8_t *stack;
	size_t cap;
	uint8_t *buf; /* the room given: STACK, malloc'd, or NULL */
	size_t len;
};

static int rest_reserve(void *ctx, size_t len, uint8_t **room)
{
	struct rest_room *r = ctx;
	r->buf = len <= r->cap ? r->stack : malloc(len ? len : 1);
	r->len = len;
	*room = r->buf;
	return r->buf ? 0 : -ENOMEM;
}

int pbwire_pack_spliced(ProtobufCMessage *m, const struct pbwire_splice *sp, size_t n,
			pbwire_reserve_fn reserve, void *ctx)
{
	uint8_t stack[1024];
	struct rest_room r = {stack, sizeof(stack), NULL, 0};
	/* Nothing to splice, or a splice that cannot go: packed straight into the room. */
	int rc = n == 0 ? 1 : pack_rest(m, sp, n, rest_reserve, &r);
	if (rc == 1)
		return pbwire_pack_into(m, reserve, ctx);
	if (rc == 0)
		rc = pbwire_splice_into(r.buf, r.len, sp, n, reserve, ctx);
	if (r.buf && r.buf != stack)
		free(r.buf);
	return rc;
}
