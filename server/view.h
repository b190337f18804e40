/*
 * view.h: records as the JSON objects the CLI prints (CLI.md names their fields).
 * Every function returns a new reference the caller owns (json_decref or hand to a container).
 */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "jout.h"
#include "record.pb-c.h"

/* Lowercase hex of LEN bytes. */
json_t *view_hex(const uint8_t *data, size_t len);

/* A time in ms since the epoch as "2026-11-29T17:30:00+08:00" (Asia/Shanghai). */
json_t *view_time(int64_t ms);

/* A date (days) as "YYYY-MM-DD", or null for LD_DATE_NONE. */
json_t *view_date(int32_t days);

/* Now in ms since the epoch: clock_now_ms (clock.h), kept for the command handlers. */
int64_t view_now_ms(void);

/*
 * A member as `member show` prints him, written into O (jout.h: a tree, or the answer's text
 * itself): {id, name, sex, birth_year, joined, kind, branch, state, outflow_site, inflow_site,
 * place, certificate, monthly_dues_fen, ...}. The id is masked unless REVEAL. SELF_ID (32 bytes)
 * and SELF_NAME name this site, for outflow_site when it is us. ST is only read.
 */
void view_member(struct jout *o, const Ld__MemberState *st, bool reveal, const uint8_t *self_id,
		 const char *self_name);
