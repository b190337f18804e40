/*
 * fuzz_site.h: a real site for the harnesses that go through the daemon's command handlers: a
 * key, a store in a temp dir (removed at exit), the config of a new site, and a way to run one
 * command on it as the writer does.
 */
#pragma once

#include <jansson.h>

#include "commands.h"
#include "daemon.h"
#include "store.h"

/*
 * A fixed Ed25519 key (PEM), so that a corpus can hold tokens this site issued: fuzz_site_open
 * with it gives the same site id in every run.
 */
extern const char fuzz_site_key_pem[];

/*
 * Open site D (zeroed by the caller): name 昆山, code 320583, default rules, its key from KEY_PEM
 * (a new one if NULL), an empty store. Aborts on failure. Everything lives until exit.
 */
void fuzz_site_open(struct daemon *d, const char *key_pem);

/* What a command answered: its result object, its warnings (an array of strings), its error. */
struct fuzz_answer {
	json_t *result, *warnings;
	char error[512];
};

/* Free what A holds. */
void fuzz_answer_free(struct fuzz_answer *a);

/*
 * Run COMMAND with PARAMS (key, value, key, value, ..., NULL; "arg" for positionals) by OPERATOR
 * "fuzz" in a child transaction of TXN, committed if the handler returned 0 (else aborted), as the
 * writer runs a request. A refusal the user can act on (exit 2..5) without a reason traps. If
 * ANSWER is not NULL, it receives the answer (the caller's: fuzz_answer_free). Returns the
 * handler's return value.
 */
int fuzz_site_run(struct daemon *d, struct store_txn *txn, const char *command,
		  const char *const *params, struct fuzz_answer *answer);

/*
 * Run the request RQ->req by the handler CMD on D, the rest of RQ zeroed by the caller but for
 * RQ->budget if RQ->req was unpacked with it: in a child transaction of TXN, committed if the
 * handler returned 0 (else aborted), as the writer runs a request. A refusal the user can act on
 * (exit 2..5) without a reason traps. If ANSWER is not NULL, it receives the answer (the caller's:
 * fuzz_answer_free); what else the handler left in RQ is freed. RQ->req stays the caller's.
 * Returns the handler's return value.
 */
int fuzz_site_request(struct daemon *d, struct store_txn *txn, const struct command *cmd,
		      struct request *rq, struct fuzz_answer *answer);
