/* syncapply.c: see syncapply.h. */
#include "syncapply.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "event.h"
#include "eventlog.h"
#include "logging.h"
#include "domain.h"

int cursor_get(struct store_txn *txn, const uint8_t *peer, Ld__SyncCursor **out)
{
	struct store_val v;
	int rc = store_get(txn, TBL_CURSORS, peer, LD_SITE_ID_BYTES, &v);
	if (rc == -ENOENT) {
		*out = ld__sync_cursor__unpack(NULL, 0, (const uint8_t *)"");
		return *out ? 0 : -ENOMEM;
	}
	if (rc)
		return rc;
	*out = ld__sync_cursor__unpack(NULL, v.len, v.data);
	return *out ? 0 : -EBADMSG;
}

int cursor_put(struct store_txn *txn, const uint8_t *peer, const Ld__SyncCursor *c)
{
	size_t len = ld__sync_cursor__get_packed_size(c);
	uint8_t buf[256];
	if (len > sizeof(buf))
		return -EINVAL;
	ld__sync_cursor__pack(c, buf);
	return store_put(txn, TBL_CURSORS, peer, LD_SITE_ID_BYTES, buf, len, 0);
}

int quarantine_add(struct store_txn *txn, const uint8_t *origin, uint64_t origin_seq,
		   const uint8_t *bytes, size_t len, const char *reason, const char *member,
		   const char *kind)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	Ld__Quarantined q = LD__QUARANTINED__INIT;
	q.origin.data = (uint8_t *)origin;
	q.origin.len = LD_SITE_ID_BYTES;
	q.origin_seq = origin_seq;
	q.event.data = (uint8_t *)bytes;
	q.event.len = len;
	q.reason = (char *)reason;
	q.time_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	q.member = (char *)(member ? member : "");
	q.kind = (char *)(kind ? kind : "");
	size_t qlen = ld__quarantined__get_packed_size(&q);
	uint8_t *buf = malloc(qlen);
	if (!buf)
		return -ENOMEM;
	ld__quarantined__pack(&q, buf);
	int rc = store_append_counted(txn, TBL_QUARANTINE, buf, qlen, NULL);
	free(buf);
	return rc;
}

/* The same id is in our log: a resend (same bytes) or a contradiction (other bytes). */
static int check_duplicate(struct store_txn *txn, uint64_t seq, const uint8_t *bytes, size_t len,
			   bool *same)
{
	Ld__LogEntry *e;
	int rc = eventlog_read(txn, seq, &e, NULL);
	if (rc)
		return rc;
	*same = e->event.len == len && memcmp(e->event.data, bytes, len) == 0;
	ld__log_entry__free_unpacked(e, NULL);
	return 0;
}

/* Apply one event of a batch from PEER covering (prev, last]. */
static int apply_one(struct store_txn *txn, const uint8_t *peer, const struct domain_site *site,
		     const ProtobufCBinaryData *raw, uint64_t prev, uint64_t last,
		     struct apply_stats *stats)
{
	struct verdict verdict;
	Ld__Event *ev = ld__event__unpack(NULL, raw->len, raw->data);
	const char *why = NULL;
	int rc = 0;
	if (!ev) {
		why = "the event does not decode";
	} else if (ev->origin.len != LD_SITE_ID_BYTES ||
		   memcmp(ev->origin.data, peer, LD_SITE_ID_BYTES) != 0) {
		why = "the event is not the sending site's own (events are never relayed)";
	} else if (ev->origin_seq <= prev || ev->origin_seq > last) {
		why = "the event's seq lies outside the batch's range";
	} else {
		uint64_t seq;
		rc = eventlog_find_origin(txn, peer, ev->origin_seq, &seq);
		if (rc == 0) {
			bool same;
			rc = check_duplicate(txn, seq, raw->data, raw->len, &same);
			if (rc == 0 && same) {
				stats->duplicates++;
				goto out;
			}
			if (rc == 0)
				why =
				    "an event with the same id and different content is in the log";
		} else if (rc == -ENOENT) {
			rc = domain_validate(txn, ev, peer, site, &verdict);
			if (rc == 0) {
				rc = eventlog_append_remote(txn, ev, raw->data, raw->len, NULL);
				if (rc == 0)
					stats->applied++;
				goto out;
			}
			if (verdict.why[0]) {
				why = verdict.why;
				rc = 0;
			}
		}
	}
	if (rc == 0 && why) {
		uint64_t oseq = ev ? ev->origin_seq : 0;
		rc = quarantine_add(txn, peer, oseq, raw->data, raw->len, why,
				    ev ? ev->member : NULL, ev ? event_kind_name(ev->kind) : NULL);
		if (rc == 0) {
			stats->quarantined++;
			log_warn("sync: quarantined event %llu from a peer: %s",
				 (unsigned long long)oseq, why);
		}
	}
out:
	if (ev)
		ld__event__free_unpacked(ev, NULL);
	return rc;
}

int sync_apply_batch(struct store_txn *txn, const uint8_t *peer, const struct domain_site *site,
		     const Ld__EventBatch *b, struct apply_stats *stats, const char **why)
{
	memset(stats, 0, sizeof(*stats));
	if (b->last_seq < b->prev_seq) {
		*why = "batch range is reversed";
		return -ERANGE;
	}
	Ld__SyncCursor *c;
	int rc = cursor_get(txn, peer, &c);
	if (rc)
		return rc;
	bool same_log = c->peer_log_id.len == b->log_id.len &&
			memcmp(c->peer_log_id.data, b->log_id.data, b->log_id.len) == 0;
	if (!same_log && b->prev_seq != 0) {
		*why = "batch of a log this site does not follow, not from its start";
		rc = -ERANGE;
		goto out;
	}
	uint64_t applied = same_log ? c->applied_seq : 0;
	if (b->prev_seq > applied) {
		*why = "batch leaves a gap after the last seq applied";
		rc = -ERANGE;
		goto out;
	}
	for (size_t i = 0; i < b->n_events && rc == 0; i++)
		rc = apply_one(txn, peer, site, &b->events[i], b->prev_seq, b->last_seq, stats);
	if (rc)
		goto out;
	ProtobufCBinaryData own = c->peer_log_id;
	if (!same_log) {
		if (own.len)
			log_warn(
			    "sync: a peer's log_id changed: following its new log from the start");
		c->peer_log_id = b->log_id; /* borrowed from B until cursor_put below */
	}
	c->applied_seq = b->last_seq > applied ? b->last_seq : applied;
	rc = cursor_put(txn, peer, c);
	c->peer_log_id = own; /* freed with C */
out:
	ld__sync_cursor__free_unpacked(c, NULL);
	return rc;
}
