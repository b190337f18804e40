/* fuzz_site.c: see fuzz_site.h. */
#include "fuzz_site.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "eventlog.h"
#include "logging.h"
#include "status.h"

const char fuzz_site_key_pem[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MC4CAQAwBQYDK2VwBCIEIPtyxcrd4kKWH+Kpg6ugKQN6biROu5WwRpaILKWfcSip\n"
    "-----END PRIVATE KEY-----\n";

static char dir[] = "/tmp/liudong-fuzz-site-XXXXXX";
static struct daemon *opened;

static void cleanup(void)
{
	if (opened && opened->store)
		store_close(opened->store);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "fuzz_site: could not remove %s\n", dir);
}

void fuzz_site_open(struct daemon *d, const char *key_pem)
{
	if (!mkdtemp(dir))
		abort();
	opened = d;
	atexit(cleanup);
	char key[256], crt[256];
	snprintf(key, sizeof(key), "%s/site.key", dir);
	snprintf(crt, sizeof(crt), "%s/site.crt", dir);
	log_set_level(LOG_LEVEL_ERROR);
	if (key_pem) {
		FILE *f = fopen(key, "w");
		if (!f || fputs(key_pem, f) < 0 || fclose(f) != 0 ||
		    identity_load(key, NULL, &d->identity))
			abort();
	} else if (identity_create(key, crt, "fuzz", NULL) ||
		   identity_load(key, crt, &d->identity)) {
		abort();
	}
	memcpy(d->site_id, identity_site_id(d->identity), LD_SITE_ID_BYTES);
	siteid_format(d->site_id, d->site_id_text);
	snprintf(d->config.name, sizeof(d->config.name), "昆山");
	snprintf(d->config.code, sizeof(d->config.code), "320583");
	rules_defaults(&d->config.rules);
	if (store_open(dir, 0, STORE_NOSYNC, &d->store) || meta_init(d->store, d->site_id))
		abort();
}

int fuzz_site_run(struct daemon *d, struct store_txn *txn, const char *command,
		  const char *const *params, struct fuzz_answer *answer)
{
	const struct command *cmd = command_find(command);
	if (!cmd)
		abort();
	size_t n = 0;
	while (params && params[2 * n])
		n++;
	Ld__Param *items = calloc(n ? n : 1, sizeof(*items));
	Ld__Param **ptrs = calloc(n ? n : 1, sizeof(*ptrs));
	if (!items || !ptrs)
		abort();
	for (size_t i = 0; i < n; i++) {
		ld__param__init(&items[i]);
		items[i].key = (char *)params[2 * i];
		items[i].value = (char *)params[2 * i + 1];
		ptrs[i] = &items[i];
	}
	Ld__Request req = LD__REQUEST__INIT;
	req.version = 1;
	req.command = (char *)command;
	req.operator_ = "fuzz";
	req.params = ptrs;
	req.n_params = n;
	struct request rq;
	memset(&rq, 0, sizeof(rq));
	rq.req = &req;
	int rc = fuzz_site_request(d, txn, cmd, &rq, answer);
	free(items);
	free(ptrs);
	return rc;
}

int fuzz_site_request(struct daemon *d, struct store_txn *txn, const struct command *cmd,
		      struct request *rq, struct fuzz_answer *answer)
{
	rq->daemon = d;
	rq->rules = d->config.rules; /* as request_dispatch copies them */
	rq->result = json_object();
	rq->warnings = json_array();
	struct store_txn *child;
	int rc = store_begin_child(txn, &child);
	if (rc == 0) {
		rq->job.part = 0;
		rc = cmd->fn(rq, child);
		while (rc == 0 &&
		       rq->job.more) { /* a command in parts (import), as the writer runs it */
			rq->job.more = false;
			rq->job.part++;
			rc = cmd->fn(rq, child);
		}
		if (rc == 0)
			rc = store_commit(child);
		else
			store_abort(child);
	}
	enum ld_exit code = status_from_error(rc);
	if (code >= LD_EXIT_USAGE && code <= LD_EXIT_REFUSED && !rq->error[0])
		__builtin_trap(); /* a refusal the user can act on always says why */
	if (answer) {
		answer->result = rq->result;
		answer->warnings = rq->warnings;
		memcpy(answer->error, rq->error, sizeof(answer->error));
	} else {
		json_decref(rq->result);
		json_decref(rq->warnings);
	}
	rq->result = rq->warnings = NULL;
	free(rq->raw_json);
	rq->raw_json = NULL;
	if (rq->state && rq->state_free)
		rq->state_free(rq->state);
	rq->state = NULL;
	return rc;
}

void fuzz_answer_free(struct fuzz_answer *a)
{
	json_decref(a->result);
	json_decref(a->warnings);
	a->result = a->warnings = NULL;
}
