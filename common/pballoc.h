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
	unsigned char *block; /* pb_budget_init_block's, or NULL */
	size_t block_used, block_cap;
};

/* Make B ready, allowing LIMIT bytes in all. */
void pb_budget_init(struct pb_budget *b, size_t limit);

/*
 * The same, allocations cut from BLOCK (CAP bytes, borrowed; it must outlive the message) while
 * they fit, malloc'd after: a small message (a control request) unpacks with no malloc. The budget
 * counts both alike.
 */
void pb_budget_init_block(struct pb_budget *b, size_t limit, void *block, size_t cap);

/*
 * An arena for messages unpacked by the thousand (a peer's events at apply): allocations are cut
 * from BLOCK, the caller's (on its stack, say), and what does not fit is malloc'd and kept on a
 * list; free does nothing, and pb_arena_reset gives everything back at once, so the message is
 * never freed with free_unpacked. A message's fields point into the arena: the message is gone
 * once it is reset. The arena must outlive every message unpacked with it. Not thread-safe.
 *
 *   unsigned char block[8192];
 *   struct pb_arena a;
 *   pb_arena_init(&a, block, sizeof(block));
 *   Ld__Event *ev = ld__event__unpack(&a.allocator, len, data);
 *   ...
 *   pb_arena_reset(&a);  // before the arena or BLOCK goes, and between messages
 */
struct pb_arena {
	ProtobufCAllocator allocator; /* pass &a.allocator to unpack */
	unsigned char *block;
	size_t used, cap;
	void *spill;	/* malloc'd allocations, each with a link to the next */
	size_t spilled; /* bytes asked of the heap since the last reset */
	size_t limit;	/* at most this many bytes in all (block and heap); SIZE_MAX: no limit */
};

/* Make A ready to allocate from BLOCK (CAP bytes, borrowed), with no limit. */
void pb_arena_init(struct pb_arena *a, void *block, size_t cap);

/*
 * Refuse (unpack fails) any allocation that would take A past LIMIT bytes in all since the last
 * reset, counting what it cut from its block and what it asked of the heap: the budget of a
 * message from the network.
 */
void pb_arena_limit(struct pb_arena *a, size_t limit);

/* Give back everything allocated from A. */
void pb_arena_reset(struct pb_arena *a);
