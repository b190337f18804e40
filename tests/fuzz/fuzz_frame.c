/*
 * fuzz_frame.c: a stream of bytes from a control client: frames taken with frame_peek and each
 * body unpacked as a ctl Request with the daemon's budget allocator, then freed.
 */
#include <stddef.h>
#include <stdint.h>

#include "ctl.pb-c.h"
#include "frame.h"
#include "pballoc.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	while (size > 0) {
		const uint8_t *body;
		size_t len;
		if (frame_peek(data, size, 1 << 16, &body, &len) != 0)
			break;
		struct pb_budget b;
		pb_budget_init(&b, 1 << 20);
		Ld__Request *r = ld__request__unpack(&b.allocator, len, body);
		if (r)
			ld__request__free_unpacked(r, &b.allocator);
		if (b.used != 0)
			__builtin_trap(); /* the budget must be given back whole */
		data += LD_FRAME_HEADER + len;
		size -= LD_FRAME_HEADER + len;
	}
	return 0;
}
