/*
 * pbwire.h: protobuf's wire format read and written directly, where unpacking or packing through
 * protobuf-c's descriptors would redo work already done.
 *
 * A message on the wire is a sequence of fields, each a varint tag (number << 3 | wire type) and
 * its value. protobuf-c packs a message's fields in ascending number, unknown fields last; the
 * spliced pack below keeps that order, so its bytes are the ones protobuf_c_message_pack would
 * write whenever the spliced bytes are themselves what it would write for those sub-messages.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <protobuf-c/protobuf-c.h>

/* One field as read off the wire. */
struct pbwire_field {
	uint32_t number;
	unsigned type;	      /* the wire type: 0 varint, 1 64-bit, 2 length-delimited, 5 32-bit */
	const uint8_t *start; /* its tag */
	const uint8_t *value; /* a length-delimited field's contents (after its length) */
	size_t len;	      /* ... and their length */
	uint64_t varint;      /* a varint field's value (wire type 0), as protobuf-c reads it */
	const uint8_t *end;   /* just past the field */
};

/*
 * The field at *P (below END) into *F, moving *P past it. Returns 1, 0 at END, or LD_ECORRUPT for
 * a cut or malformed field (a varint over 10 bytes, a wire type other than 0, 1, 2 and 5).
 */
int pbwire_next(const uint8_t **p, const uint8_t *end, struct pbwire_field *f);

/*
 * The length-delimited field NUMBER of the message in BYTES (LEN of them): *F gets its last
 * occurrence (as unpacking keeps it) and *COUNT how many there are. Returns 0 (even if *COUNT is
 * 0) or LD_ECORRUPT. F's pointers point into BYTES.
 */
int pbwire_find(const uint8_t *bytes, size_t len, uint32_t number, struct pbwire_field *f,
		unsigned *count);

/* The bytes of the varint of V; pbwire_put_varint writes it at OUT and returns the byte after. */
size_t pbwire_varint_size(uint64_t v);
uint8_t *pbwire_put_varint(uint8_t *out, uint64_t v);

/* The length-delimited field NUMBER holding LEN BYTES written at OUT; returns the byte after it. */
uint8_t *pbwire_put_bytes(uint8_t *out, uint32_t number, const void *bytes, size_t len);

/*
 * M packed into OUT (CAP bytes): the bytes protobuf_c_message_pack writes, in one walk of M
 * (protobuf-c needs protobuf_c_message_get_packed_size first, a second). *LEN gets their length.
 * Returns 0, or -ENOSPC if they do not fit CAP (OUT then holds a part of them). M is borrowed.
 */
int pbwire_pack(const ProtobufCMessage *m, uint8_t *out, size_t cap, size_t *len);

/* The bytes an element of a repeated field of TYPE takes in the message's array of them. */
size_t pbwire_element_size(ProtobufCType type);

/* A sub-message field of a message whose packed bytes are known. */
struct pbwire_splice {
	uint32_t number;      /* the field: a singular sub-message (a oneof's: the one set) */
	const uint8_t *bytes; /* its packed contents (borrowed) */
	size_t len;
};

/*
 * Where the packed message goes: called once with its length, *ROOM gets where to write it
 * (at least LEN bytes, owned by the callee). Returns 0 or a failure pbwire_pack_spliced passes on.
 */
typedef int (*pbwire_reserve_fn)(void *ctx, size_t len, uint8_t **room);

/*
 * M packed whole into room from RESERVE(CTX, ...): pbwire_pack's bytes, through 8 KiB on the
 * stack (protobuf-c's pack straight into the room for a message too large for it). Returns 0 or
 * RESERVE's failure. M is borrowed.
 */
int pbwire_pack_into(const ProtobufCMessage *m, pbwire_reserve_fn reserve, void *ctx);

/*
 * Pack M with the sub-messages of SP (N of them, in ascending field number, each field of M
 * non-NULL) written from their known bytes instead of packed again. M is borrowed: those fields
 * are set NULL (a oneof's case to none) while its other fields are packed, and restored before it
 * returns. The room comes from RESERVE(CTX, ...). N may be 0 (M packed whole). Packs M whole
 * (protobuf_c_message_pack) where a splice cannot go: a field not a singular sub-message or not
 * set, a oneof's member other than the one its case names, unknown fields, a descriptor whose
 * fields are not in ascending number. Returns 0, -ENOMEM, or RESERVE's failure.
 */
int pbwire_pack_spliced(ProtobufCMessage *m, const struct pbwire_splice *sp, size_t n,
			pbwire_reserve_fn reserve, void *ctx);

/*
 * pbwire_pack_spliced in two halves, for a message packed in two places (a peer's new member's
 * state: its rest where the batch is decoded, laid out by the writer). pbwire_pack_rest packs M's
 * fields but those of SP, as pbwire_pack_spliced would between its splices, into room from
 * RESERVE; -EINVAL where pbwire_pack_spliced would pack M whole. pbwire_splice_into lays out REST
 * (LEN bytes of packed fields in ascending number, such as pbwire_pack_rest's, perhaps with more
 * fields after them) with the splices of SP, each before the first field with a higher number:
 * the bytes pbwire_pack_spliced gives. Both return 0, -ENOMEM or RESERVE's failure.
 */
int pbwire_pack_rest(ProtobufCMessage *m, const struct pbwire_splice *sp, size_t n,
		     pbwire_reserve_fn reserve, void *ctx);
int pbwire_splice_into(const uint8_t *rest, size_t len, const struct pbwire_splice *sp, size_t n,
		       pbwire_reserve_fn reserve, void *ctx);

/*
 * pbwire_splice_into in two steps, for REST laid out again and again (a state packed ahead of the
 * writer): pbwire_splice_points puts in AT[i] the offset in REST where SP[i] goes (N of them, at
 * most 4 for pbwire_splice_into); pbwire_splice_at lays REST out with them there, then TAIL
 * (TAIL_LEN bytes, NULL if 0: fields numbered above all others). pbwire_splice_at returns 0,
 * -EINVAL for points out of order or past LEN, or RESERVE's failure.
 */
void pbwire_splice_points(const uint8_t *rest, size_t len, const struct pbwire_splice *sp, size_t n,
			  size_t *at);
int pbwire_splice_at(const uint8_t *rest, size_t len, const struct pbwire_splice *sp,
		     const size_t *at, size_t n, const uint8_t *tail, size_t tail_len,
		     pbwire_reserve_fn reserve, void *ctx);
