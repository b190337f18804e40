/*
 * protover.h: the versions of the peer protocol (proto/peer.proto) this build speaks, and the
 * choice two sites make from their Hellos: the highest version both speak.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define LD_PROTOCOL_MIN 1 /* the first version: everything but Ack.quarantined */
#define LD_PROTOCOL_MAX 2 /* Ack.quarantined */

struct proto_range {
	uint32_t min, max;
};

/*
 * The range a Hello announces: PROTOCOL_MIN..PROTOCOL_MAX (Hello fields 10, 11), or, from a
 * version-1 site that sends neither, PROTOCOL..PROTOCOL (field 3).
 */
struct proto_range proto_range_of_hello(uint32_t protocol, uint32_t protocol_min,
					uint32_t protocol_max);

/* The highest version in both OURS and THEIRS, or 0 if they share none (or one is empty). */
uint32_t proto_negotiate(struct proto_range ours, struct proto_range theirs);

/* "1..2" (or "3" for a range of one) into BUF (LEN bytes); returns BUF. */
const char *proto_range_format(struct proto_range r, char *buf, size_t len);
