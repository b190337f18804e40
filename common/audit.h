/*
 * audit.h: the audit table: every change and every view of a full identity number, with who did
 * it (the operator the CLI names and the uid the kernel reports for its socket).
 */
#pragma once

#include <stdint.h>

#include "record.pb-c.h"
#include "store.h"

/*
 * Append a row (time = now) in TXN. MEMBER and DETAIL may be NULL. Strings are copied.
 * Returns 0 or -errno.
 */
int audit_append(struct store_txn *txn, const char *operator_name, uint32_t uid, const char *action,
		 const char *member, const char *detail);
