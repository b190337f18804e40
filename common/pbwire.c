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

/* M packed whole into room from RESERVE. */
static int pack_whole(const ProtobufCMessage *m, pbwire_reserve_fn reserve, void *ctx)
{
	size_t len = protobuf_c_message_get_packed_size(m);
	uint8_t *room;
	int rc = reserve(ctx, len, &room);
	if (rc == 0)
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
	size_t len = protobuf_c_message_get_packed_size(m);
	uint8_t *room;
	int rc = reserve(ctx, len, &room);
	if (rc == 0)
		protobuf_c_message_pack(m, room);
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
		return pack_whole(m, reserve, ctx);
	if (rc == 0)
		rc = pbwire_splice_into(r.buf, r.len, sp, n, reserve, ctx);
	if (r.buf && r.buf != stack)
		free(r.buf);
	return rc;
}
