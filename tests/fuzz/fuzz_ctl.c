/*
 * fuzz_ctl.c: whatever a control client sends, through the daemon's real command handlers on a
 * real store. An input is a stream of frames, each a ctl Request, taken in as a control thread
 * takes it (request_accept: its text checked); they run one after another in
 * one write transaction (each in its own child, as the writer runs them), which is then aborted so
 * every input starts from the same empty site (fuzz_site.c). A handler may refuse anything; it
 * must not crash, leak, or answer without a result or a reason.
 */
#include <string.h>

#include "commands.h"
#include "ctl.pb-c.h"
#include "frame.h"
#include "fuzz_site.h"
#include "pballoc.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct daemon site;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	fuzz_site_open(&site, NULL);
	return 0;
}

static void run_one(struct store_txn *txn, const uint8_t *body, size_t len)
{
	struct request rq;
	memset(&rq, 0, sizeof(rq));
	pb_budget_init(&rq.budget, 1 << 20);
	rq.req = ld__request__unpack(&rq.budget.allocator, len, body);
	if (!rq.req)
		return;
	/* As a control thread takes a request in: its text first (a refusal always says why). */
	const struct command *cmd = rq.req->command ? command_find(rq.req->command) : NULL;
	if (request_accept(&rq) != 0) {
		if (!rq.error[0])
			__builtin_trap();
	} else if (cmd) {
		fuzz_site_request(&site, txn, cmd, &rq, NULL);
	}
	ld__request__free_unpacked(rq.req, &rq.budget.allocator);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct store_txn *txn;
	if (store_begin(site.store, true, &txn) != 0)
		return 0;
	while (size > 0) {
		const uint8_t *body;
		size_t len;
		if (frame_peek(data, size, 1 << 16, &body, &len) != 0)
			break;
		run_one(txn, body, len);
		data += LD_FRAME_HEADER + len;
		size -= LD_FRAME_HEADER + len;
	}
	store_abort(txn);
	return 0;
}
