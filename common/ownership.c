/* ownership.c: see ownership.h. */
#include "ownership.h"

#include <errno.h>
#include <string.h>

#include "event.h"
#include "fold.h"

static bool same_site(const ProtobufCBinaryData *a, const uint8_t *b)
{
	return a->len == LD_SITE_ID_BYTES && memcmp(a->data, b, LD_SITE_ID_BYTES) == 0;
}

int ownership_check(struct store_txn *txn, const Ld__Event *ev, const uint8_t *origin,
		    const char **why)
{
	enum event_writer writer = event_kind_writer(ev->kind);
	if (writer == WRITER_LOCAL) {
		*why = ev->kind == LD__EVENT_KIND__EVENT_UNKNOWN ? "event of an unknown kind"
								 : "a site-local kind of event";
		return -EPERM;
	}
	if (!ev->member || !ev->member[0]) {
		*why = "event names no member";
		return -EPERM;
	}
	Ld__MemberState *st = NULL;
	int rc = member_state_get(txn, ev->member, &st);
	if (rc == -ENOENT) {
		/* A member we never saw: only his outflow site can introduce him, with a snapshot. */
		if (ev->kind == LD__EVENT_KIND__MEMBER_REGISTERED ||
		    ev->kind == LD__EVENT_KIND__OUTFLOW_REGISTERED)
			return 0;
		*why = "event about a member this site does not know";
		return -EPERM;
	}
	if (rc)
		return rc;
	bool is_outflow = same_site(&st->outflow_site, origin);
	bool is_inflow = st->outflow && same_site(&st->outflow->inflow_site, origin);
	rc = 0;
	switch (writer) {
	case WRITER_OUTFLOW:
		if (!is_outflow) {
			*why = "only the member's outflow site may write this kind of event";
			rc = -EPERM;
		}
		break;
	case WRITER_INFLOW:
		if (!is_inflow) {
			*why = "only the member's current inflow site may write this kind of event";
			rc = -EPERM;
		}
		break;
	case WRITER_EITHER:
		if (!is_outflow && !is_inflow) {
			*why = "only the member's outflow or inflow site may write this kind of event";
			rc = -EPERM;
		}
		break;
	case WRITER_LOCAL:
		break;
	}
	ld__member_state__free_unpacked(st, NULL);
	return rc;
}

int ownership_destinations(struct store_txn *txn, const Ld__Event *ev, const uint8_t *self,
			   uint8_t dest[OWNERSHIP_MAX_DEST][LD_SITE_ID_BYTES])
{
	if (event_kind_writer(ev->kind) == WRITER_LOCAL || !ev->member || !ev->member[0])
		return 0;
	Ld__MemberState *st;
	int rc = member_state_get(txn, ev->member, &st);
	if (rc)
		return rc;
	int n = 0;
	const ProtobufCBinaryData *sites[2] = { &st->outflow_site,
						st->outflow ? &st->outflow->inflow_site : NULL };
	for (int i = 0; i < 2; i++) {
		const ProtobufCBinaryData *s = sites[i];
		if (!s || s->len != LD_SITE_ID_BYTES || memcmp(s->data, self, LD_SITE_ID_BYTES) == 0)
			continue;
		if (n == 1 && memcmp(dest[0], s->data, LD_SITE_ID_BYTES) == 0)
			continue;
		memcpy(dest[n++], s->data, LD_SITE_ID_BYTES);
	}
	ld__member_state__free_unpacked(st, NULL);
	return n;
}
