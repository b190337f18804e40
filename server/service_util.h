/*
 * service_util.h: what the service commands (cmd_request.c, cmd_service.c) share: their options'
 * checks, the reminders and counts they add to `due` and `stats`.
 */
#pragma once

#include <jansson.h>
#include <stdint.h>

#include "request.h"
#include "store.h"

/* --KEY: required one-line text of 1 to SERVICE_TEXT_MAX bytes; LD_EUSAGE or LD_EINPUT. */
#define SERVICE_TEXT_MAX 2000
int service_need_text(struct request *rq, const char *key, const char **out);

/* --KEY if given (else *out = DEFAULT), checked as service_need_text. */
int service_opt_text(struct request *rq, const char *key, const char *def, const char **out);

/* One reminder for `due`: ADD is called with CTX for each. */
typedef void (*service_reminder_fn)(void *ctx, const char *kind, const char *member, int32_t since,
				    const char *detail);

/*
 * The reminders of the open requests this site holds (request-due-soon, request-overdue) and of
 * the notices it sent without an answer (notice-unanswered), as of AS_OF. Returns 0 or -errno.
 */
int service_due(struct request *rq, struct store_txn *txn, int32_t as_of, service_reminder_fn add,
		void *ctx);

/*
 * `stats` of the requests this site holds, into RESULT: requests {by_kind, open, closed,
 * overdue, average_days_to_close, on_time_rate}. Returns 0 or -errno.
 */
int service_stats(struct request *rq, struct store_txn *txn, int32_t as_of, json_t *result);
