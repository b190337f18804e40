/* audit.c: see audit.h. Keys are a u64 BE counter, so rows stay in the order they were written. */
#include "audit.h"

#include <errno.h>
#include <stdlib.h>

#include "clock.h"

int audit_append(struct store_txn *txn, const char *operator_name, uint32_t uid, const char *action,
		 const char *member, const char *detail)
{
	Ld__AuditEntry e = LD__AUDIT_ENTRY__INIT;
	e.time_ms = clock_now_ms();
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
	int rc = store_append_counted(txn, TBL_AUDIT, buf, len, NULL);
	free(buf);
	return rc;
}
