/* audit.c: see audit.h. Keys are a u64 BE counter, so rows stay in the order they were written. */
#include "audit.h"

#include <errno.h>
#include <stdlib.h>
#include <time.h>

int audit_append(struct store_txn *txn, const char *operator_name, uint32_t uid, const char *action,
		 const char *member, const char *detail)
{
	struct store_cursor *c;
	int rc = store_cursor_open(txn, TBL_AUDIT, &c);
	if (rc)
		return rc;
	struct store_val k;
	uint64_t next = 1;
	rc = store_cursor_get(c, STORE_LAST, &k, NULL);
	if (rc == 0 && k.len == 8)
		next = store_u64_from(k.data) + 1;
	store_cursor_close(c);
	if (rc && rc != -ENOENT)
		return rc;

	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	Ld__AuditEntry e = LD__AUDIT_ENTRY__INIT;
	e.time_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	e.operator_ = (char *)(operator_name ? operator_name : "");
	e.uid = uid;
	e.action = (char *)action;
	e.member = (char *)(member ? member : "");
	e.detail = (char *)(detail ? detail : "");
	size_t len = ld__audit_entry__get_packed_size(&e);
	uint8_t *buf = malloc(len ? len : 1);
	if (!buf)
		return -ENOMEM;
	ld__audit_entry__pack(&e, buf);
	uint8_t key[8];
	store_u64_key(next, key);
	rc = store_put(txn, TBL_AUDIT, key, 8, buf, len, STORE_APPEND);
	free(buf);
	return rc;
}
