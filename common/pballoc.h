/*
 * pballoc.h: a protobuf-c allocator with a budget, so that a message from a peer or a client can
 * never make the daemon allocate more than a fixed amount while unpacking.
 *
 *   struct pb_budget b;
 *   pb_budget_init(&b, 8 << 20);
 *   Ld__Request *r = ld__request__unpack(&b.allocator, len, data);   // NULL if over budget
 *   ...
 *   ld__request__free_unpacked(r, &b.allocator);                    // same allocator
 *
 * The budget struct must outlive the message. Not thread-safe: one budget per message.
 */
#pragma once

#include <protobuf-c/protobuf-c.h>
#include <stddef.h>

struct pb_budget {
	ProtobufCAllocator allocator; /* pass &b.allocator to unpack and free_unpacked */
	size_t used;
	size_t limit;
};

/* Make B ready, allowing LIMIT bytes in all. */
void pb_budget_init(struct pb_budget *b, size_t limit);
