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
		/* A member we never saw: only his outflow site can introduce him, with a snapshot.
		 */
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
	bool away =
	    st->outflow && (strcmp(st->state, "away") == 0 || strcmp(st->state, "checked-in") == 0);
	rc = 0;
	switch (writer) {
	case WRITER_CARETAKER:
		if (away ? !is_inflow : !is_outflow) {
			*why = away
				   ? "while the member is away only his inflow site may record this"
				   : "while the member is at home only his outflow site may record "
				     "this";
			rc = -EPERM;
		}
		break;
	case WRITER_RECEIVER:
		if (!same_site(&st->transfer_to, origin)) {
			*why = "only the site his transfer letter names may record its receipt";
			rc = -EPERM;
		}
		break;
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
			*why =
			    "only the member's outflow or inflow site may write this kind of event";
			rc = -EPERM;
		}
		break;
	case WRITER_LOCAL:
		break;
	}
	ld__member_state__free_unpacked(st, NULL);
	return rc;
}

int ownership_check_local(struct store_txn *txn, const Ld__Event *ev, const uint8_t *self,
			  const char **why)
{
	int rc = ownership_check(txn, ev, self, why);
	if (rc || event_kind_writer(ev->kind) != WRITER_INFLOW)
		return rc;
	Ld__MemberState *st;
	rc = member_state_get(txn, ev->member, &st);
	if (rc)
		return rc == -ENOENT ? 0 : rc;
	const char *s = st->state;
	const char *before = st->lapse_prev_state;
	bool away = strcmp(s, "away") == 0 || strcmp(s, "checked-in") == 0 ||
		    (strcmp(s, "lapse") == 0 &&
		     (strcmp(before, "away") == 0 || strcmp(before, "checked-in") == 0));
	ld__member_state__free_unpacked(st, NULL);
	if (!away) {
		*why = "he is no longer away, so he has no current inflow site";
		return -EPERM;
	}
	return 0;
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
	const ProtobufCBinaryData *sites[OWNERSHIP_MAX_DEST] = {
	    &st->outflow_site, st->outflow ? &st->outflow->inflow_site : NULL, &st->transfer_to};
	for (int i = 0; i < OWNERSHIP_MAX_DEST; i++) {
		const ProtobufCBinaryData *s = sites[i];
		if (!s || s->len != LD_SITE_ID_BYTES ||
		    memcmp(s->data, self, LD_SITE_ID_BYTES) == 0)
			continue;
		bool seen = false;
		for (int k = 0; k < n; k++)
			seen = seen || memcmp(dest[k], s->data, LD_SITE_ID_BYTES) == 0;
		if (!seen)
			memcpy(dest[n++], s->data, LD_SITE_ID_BYTES);
	}
	ld__member_state__free_unpacked(st, NULL);
	return n;
}

int ownership_writer(struct store_txn *txn, const Ld__Event *ev, uint8_t out[LD_SITE_ID_BYTES])
{
	if (!ev->member || !ev->member[0])
		return -ENOENT;
	Ld__MemberState *st;
	int rc = member_state_get(txn, ev->member, &st);
	if (rc)
		return rc;
	bool away =
	    st->outflow && (strcmp(st->state, "away") == 0 || strcmp(st->state, "checked-in") == 0);
	const ProtobufCBinaryData *site = NULL;
	switch (event_kind_writer(ev->kind)) {
	case WRITER_OUTFLOW:
		site = &st->outflow_site;
		break;
	case WRITER_INFLOW:
		site = st->outflow ? &st->outflow->inflow_site : NULL;
		break;
	case WRITER_CARETAKER:
		site = away ? &st->outflow->inflow_site : &st->outflow_site;
		break;
	case WRITER_RECEIVER:
		site = &st->transfer_to;
		break;
	default:
		break;
	}
	rc = -ENOENT;
	if (site && site->len == LD_SITE_ID_BYTES) {
		memcpy(out, site->data, LD_SITE_ID_BYTES);
		rc = 0;
	}
	ld__member_state__free_unpacked(st, NULL);
	return rc;
}
