/* protover.c: see protover.h. */
#include "protover.h"

#include <stdio.h>

struct proto_range proto_range_of_hello(uint32_t protocol, uint32_t protocol_min,
					uint32_t protocol_max)
{
	struct proto_range r = {protocol, protocol};
	if (protocol_min || protocol_max) {
		r.min = protocol_min ? protocol_min : 1;
		r.max = protocol_max ? protocol_max : protocol;
	}
	return r;
}

uint32_t proto_negotiate(struct proto_range ours, struct proto_range theirs)
{
	uint32_t lo = ours.min > theirs.min ? ours.min : theirs.min;
	uint32_t hi = ours.max < theirs.max ? ours.max : theirs.max;
	if (lo == 0)
		lo = 1; /* version 0 does not exist */
	return lo <= hi ? hi : 0;
}

const char *proto_range_format(struct proto_range r, char *buf, size_t len)
{
	if (r.min == r.max)
		snprintf(buf, len, "%u", (unsigned)r.min);
	else
		snprintf(buf, len, "%u..%u", (unsigned)r.min, (unsigned)r.max);
	return buf;
}
