/*
 * fuzz_ctl.c: whatever a control client sends, through the daemon's real command handlers on a
 * real store. An input is a stream of frames, each a ctl Request; they run one after another in
 * one write transaction (each in its own child, as the writer runs them), which is then aborted so
 * every input starts from the same empty site. A handler may refuse anything; it must not crash,
 * leak, or answer without a result or a reason.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "ctl.pb-c.h"
#include "daemon.h"
#include "eventlog.h"
#include "frame.h"
#include "logging.h"
#include "pballoc.h"
#include "status.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct daemon site;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char dir[] = "/tmp/liudong-fuzz-XXXXXX";
	if (!mkdtemp(dir))
		abort();
	char key[256], crt[256];
	snprintf(key, sizeof(key), "%s/site.key", dir);
	snprintf(crt, sizeof(crt), "%s/site.crt", dir);
	log_set_level(LOG_LEVEL_ERROR);
	if (identity_create(key, crt, "fuzz", NULL) || identity_load(key, crt, &site.identity))
		abort();
	memcpy(site.site_id, identity_site_id(site.identity), LD_SITE_ID_BYTES);
	siteid_format(site.site_id, site.site_id_text);
	snprintf(site.config.name, sizeof(site.config.name), "fuzz");
	snprintf(site.config.code, sizeof(site.config.code), "320583");
	rules_defaults(&site.config.rules);
	if (store_open(dir, 0, STORE_NOSYNC, &site.store) || meta_init(site.store, site.site_id))
		abort();
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
	const struct command *cmd = rq.req->command ? command_find(rq.req->command) : NULL;
	if (cmd) {
		rq.daemon = &site;
		rq.rules = site.config.rules; /* as request_dispatch copies them */
		rq.result = json_object();
		rq.warnings = json_array();
		struct store_txn *child;
		if (store_begin_child(txn, &child) == 0) {
			int rc = cmd->fn(&rq, child);
			if (rc == 0)
				rc = store_commit(child);
			else
				store_abort(child);
			/* A refusal the user can act on always says why. */
			enum ld_exit code = status_from_error(rc);
			if (code >= LD_EXIT_USAGE && code <= LD_EXIT_REFUSED && !rq.error[0])
				__builtin_trap();
		}
		json_decref(rq.result);
		json_decref(rq.warnings);
		free(rq.raw_json);
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
