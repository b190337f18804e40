/*
 * syncapply.c: see syncapply.h.
 *
 * The fast way applies a batch straight into the writer's transaction: an event that fails a
 * check (decode, origin, range, contradiction, the domain core's validate) is refused before
 * anything of it is written, so it is quarantined at no cost. Only an event that passes every check
 * and still cannot be folded has written something (its log entry, part of its fold) by the time it
 * fails: then the batch is applied again carefully, each event in a child transaction, and that
 * event's child is rolled back and the event quarantined. Child transactions cost LMDB a dirty-page
 * list each, so the normal path never uses them.
 */
#include "syncapply.h"
#include "pballoc.h"
#include "blockcache.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "domain.h"
#include "event.h"
#include "eventlog.h"
#include "fold.h"
#include "logging.h"
#include "lderr.h"

void apply_stats_free(struct apply_stats *st)
{
	if (!st)
		return;
	free(st->list);
	memset(st, 0, sizeof(*st));
}

/* Note a quarantined event in ST. Returns 0 or -ENOMEM. */
static int stats_quarantined(struct apply_stats *st, uint64_t seq, const char *reason)
{
	if (st->n_list == st->cap_list) {
		size_t cap = st->cap_list ? st->cap_list * 2 : 16;
		struct apply_quarantined *l = realloc(st->list, cap * sizeof(*l));
		if (!l)
			return -ENOMEM;
		st->list = l;
		st->cap_list = cap;
	}
	struct apply_quarantined *q = &st->list[st->n_list++];
	q->seq = seq;
	snprintf(q->reason, sizeof(q->reason), "%s", reason);
	st->quarantined++;
	return 0;
}

int cursor_get(struct store_txn *txn, const uint8_t *peer, Ld__SyncCursor **out)
{
	struct store_val v;
	int rc = store_get(txn, TBL_CURSORS, peer, LD_SITE_ID_BYTES, &v);
	if (rc == LD_ENOTFOUND) {
		*out = ld__sync_cursor__unpack(NULL, 0, (const uint8_t *)"");
		return *out ? 0 : -ENOMEM;
	}
	if (rc)
		return rc;
	*out = ld__sync_cursor__unpack(NULL, v.len, v.data);
	return *out ? 0 : LD_ECORRUPT;
}

int cursor_put(struct store_txn *txn, const uint8_t *peer, const Ld__SyncCursor *c)
{
	size_t len = ld__sync_cursor__get_packed_size(c);
	uint8_t buf[256];
	if (len > sizeof(buf))
		return LD_EINPUT;
	ld__sync_cursor__pack(c, buf);
	return store_put(txn, TBL_CURSORS, peer, LD_SITE_ID_BYTES, buf, len, 0);
}

/* Pack Q and append it to `quarantine`. */
static int quarantine_put(struct store_txn *txn, const Ld__Quarantined *q)
{
	size_t qlen = ld__quarantined__get_packed_size(q);
	uint8_t *buf = malloc(qlen ? qlen : 1);
	if (!buf)
		return -ENOMEM;
	ld__quarantined__pack(q, buf);
	int rc = store_append_counted(txn, TBL_QUARANTINE, buf, qlen, NULL);
	free(buf);
	return rc;
}

int quarantine_add(struct store_txn *txn, const uint8_t *origin, uint64_t origin_seq,
		   const uint8_t *bytes, size_t len, const char *reason, const char *member,
		   const char *kind)
{
	Ld__Quarantined q = LD__QUARANTINED__INIT;
	q.origin.data = (uint8_t *)origin;
	q.origin.len = LD_SITE_ID_BYTES;
	q.origin_seq = origin_seq;
	q.event.data = (uint8_t *)bytes;
	q.event.len = len;
	q.reason = (char *)reason;
	q.time_ms = clock_now_ms();
	q.member = (char *)(member ? member : "");
	q.kind = (char *)(kind ? kind : "");
	return quarantine_put(txn, &q);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/*
 * The origin seqs of the quarantine rows that REPORTED_BY reported (if REPORTED_BY), or else of
 * the rows this site made of ORIGIN's events, sorted, into *out (malloc'd, NULL if none) and *n.
 */
static int quarantined_seqs(struct store_txn *txn, const uint8_t *origin,
			    const uint8_t *reported_by, uint64_t **out, size_t *n)
{
	struct store_cursor *c;
	*out = NULL;
	*n = 0;
	int rc = store_cursor_open(txn, TBL_QUARANTINE, &c);
	if (rc)
		return rc;
	size_t cap = 0;
	struct store_val k, v;
	for (rc = store_cursor_get(c, STORE_FIRST, &k, &v); rc == 0;
	     rc = store_cursor_get(c, STORE_NEXT, &k, &v)) {
		Ld__Quarantined *q = ld__quarantined__unpack(NULL, v.len, v.data);
		if (!q)
			continue;
		bool match;
		if (reported_by)
			match = q->reported_by.len == LD_SITE_ID_BYTES &&
				memcmp(q->reported_by.data, reported_by, LD_SITE_ID_BYTES) == 0;
		else
			match = q->reported_by.len == 0 && q->origin.len == LD_SITE_ID_BYTES &&
				memcmp(q->origin.data, origin, LD_SITE_ID_BYTES) == 0;
		uint64_t seq = q->origin_seq;
		ld__quarantined__free_unpacked(q, NULL);
		if (!match)
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			uint64_t *l = realloc(*out, cap * sizeof(*l));
			if (!l) {
				store_cursor_close(c);
				free(*out);
				*out = NULL;
				return -ENOMEM;
			}
			*out = l;
		}
		(*out)[(*n)++] = seq;
	}
	store_cursor_close(c);
	if (rc != LD_ENOTFOUND) {
		free(*out);
		*out = NULL;
		return rc;
	}
	if (*n)
		qsort(*out, *n, sizeof(**out), cmp_u64);
	return 0;
}

static bool seq_in(const uint64_t *sorted, size_t n, uint64_t seq)
{
	return n && bsearch(&seq, sorted, n, sizeof(*sorted), cmp_u64);
}

/* Record one reported event (see quarantine_add_reported). Returns 0, LD_ENOTFOUND if not ours. */
static int add_reported_one(struct store_txn *txn, const uint8_t *self, const uint8_t *reported_by,
			    const struct reported_event *r)
{
	Ld__LogEntry *e;
	Ld__Event *ev;
	if (r->seq == 0)
		return LD_ENOTFOUND;
	int rc = eventlog_read(txn, r->seq, &e, &ev);
	if (rc)
		return rc == LD_ECORRUPT ? LD_ENOTFOUND : rc;
	if (ev->origin.len != LD_SITE_ID_BYTES || memcmp(ev->origin.data, self, LD_SITE_ID_BYTES) ||
	    ev->origin_seq != r->seq) {
		rc = LD_ENOTFOUND;
	} else {
		Ld__Quarantined q = LD__QUARANTINED__INIT;
		q.origin.data = (uint8_t *)self;
		q.origin.len = LD_SITE_ID_BYTES;
		q.origin_seq = r->seq;
		q.event = e->event;
		q.reason = (char *)(r->reason ? r->reason : "");
		q.time_ms = clock_now_ms();
		q.member = ev->member;
		q.kind = (char *)event_kind_name(ev->kind);
		q.reported_by.data = (uint8_t *)reported_by;
		q.reported_by.len = LD_SITE_ID_BYTES;
		rc = quarantine_put(txn, &q);
	}
	ld__event__free_unpacked(ev, NULL);
	ld__log_entry__free_unpacked(e, NULL);
	return rc;
}

int quarantine_add_reported(struct store_txn *txn, const uint8_t *self, const uint8_t *reported_by,
			    const struct reported_event *list, size_t n, size_t *added)
{
	uint64_t *have;
	size_t n_have, n_added = 0;
	if (added)
		*added = 0;
	if (n == 0)
		return 0;
	int rc = quarantined_seqs(txn, NULL, reported_by, &have, &n_have);
	if (rc)
		return rc;
	for (size_t i = 0; i < n && rc == 0; i++) {
		bool dup = seq_in(have, n_have, list[i].seq);
		for (size_t j = 0; j < i && !dup; j++)
			dup = list[j].seq == list[i].seq; /* twice in one Ack */
		if (dup)
			continue;
		rc = add_reported_one(txn, self, reported_by, &list[i]);
		if (rc == 0)
			n_added++;
		else if (rc == LD_ENOTFOUND)
			rc = 0;
	}
	free(have);
	if (added)
		*added = n_added;
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

/* Why folding failed with RC, for the quarantine (static). */
static const char *fold_failure(int rc)
{
	switch (rc) {
	case LD_ENOTFOUND:
		return "the event cannot be folded: it refers to a member or record this site "
		       "does not hold";
	case LD_ECORRUPT:
		return "the event cannot be folded: part of its payload does not decode";
	case LD_EINPUT:
		return "the event cannot be folded: a number or code in it is empty or too long";
	case LD_EEXIST:
		return "the event cannot be folded: its id is in the log already";
	default:
		return "the event cannot be folded into this site's state";
	}
}

/* The member's state as read once for an event: judged by it, folded from it. */
struct known {
	bool have;	     /* ST was read (the event names a valid identity number) */
	Ld__MemberState *st; /* owned; NULL: not known here */
};

/* One event as decoded: its message (NULL: it does not decode) and whether it reencodes. */
struct decoded_event {
	Ld__Event *ev;
	bool reencodes;
	bool has_ahead;
	struct fold_state_ahead ahead; /* his state if he is new here, its rest in the arena */
};

/*
 * Append and fold EV (checked). Fast way: straight into TXN; SYNC_APPLY_AGAIN if folding failed.
 * Careful way: in a child of TXN, rolled back if folding failed (*why then says why).
 */
static int append_event(struct store_txn *txn, const Ld__Event *ev, const ProtobufCBinaryData *raw,
			const struct decoded_event *pre, bool careful, const struct known *k,
			const char **why)
{
	const struct fold_state_ahead *ahead = pre && pre->has_ahead ? &pre->ahead : NULL;
	if (!careful) {
		int rc = eventlog_append_known(txn, ev, raw->data, raw->len, k->have, k->st, ahead,
					       NULL);
		return rc == 0 || lderr_is_resource(rc) ? rc : SYNC_APPLY_AGAIN;
	}
	struct store_txn *child;
	int rc = store_begin_child(txn, &child);
	if (rc)
		return rc;
	rc = eventlog_append_known(child, ev, raw->data, raw->len, k->have, k->st, ahead, NULL);
	if (rc == 0)
		return store_commit(child);
	store_abort(child);
	if (lderr_is_resource(rc))
		return rc;
	*why = fold_failure(rc);
	return 0;
}

/* Events of a resent range that this site quarantined before (sorted origin seqs). */
struct seen {
	const uint64_t *seqs;
	size_t n;
};

/* Whether MSG, or a message inside it, holds a field this build does not know. */
static bool has_unknown_fields(const ProtobufCMessage *msg)
{
	if (msg->n_unknown_fields)
		return true;
	const ProtobufCMessageDescriptor *d = msg->descriptor;
	const char *base = (const char *)msg;
	for (unsigned i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		if (f->type != PROTOBUF_C_TYPE_MESSAGE)
			continue;
		if (f->label == PROTOBUF_C_LABEL_REPEATED) {
			size_t n = *(const size_t *)(const void *)(base + f->quantifier_offset);
			ProtobufCMessage *const *v =
			    *(ProtobufCMessage *const *const *)(const void *)(base + f->offset);
			for (size_t j = 0; j < n; j++)
				if (v[j] && has_unknown_fields(v[j]))
					return true;
			continue;
		}
		/* A member of a oneof is there only if the oneof's case names it. */
		if ((f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) &&
		    *(const uint32_t *)(const void *)(base + f->quantifier_offset) != f->id)
			continue;
		const ProtobufCMessage *sub =
		    *(ProtobufCMessage *const *)(const void *)(base + f->offset);
		if (sub && has_unknown_fields(sub))
			return true;
	}
	return false;
}

/*
 * Whether EV packs to bytes that decode (*ok). protobuf-c reads a tag written as a longer varint of
 * 0 (80 00) as an unknown field numbered 0, but packs it as 00, which it refuses to read; folding
 * copies the event's messages into records, so such an event would leave a record this site can
 * no longer read (found by fuzz_peer). Returns 0 or -ENOMEM.
 */
static int event_reencodes(const Ld__Event *ev, size_t raw_len, bool *ok)
{
	*ok = true;
	/* Fields it knows, protobuf-c always packs to bytes it reads: only an unknown field (such
	 * as one numbered 0) needs the whole check. */
	if (!has_unknown_fields(&ev->base))
		return 0;
	size_t len = ld__event__get_packed_size(ev);
	/* Such a tag packs shorter than it came; one packed to its own length came canonical. */
	if (len == raw_len)
		return 0;
	uint8_t *buf = malloc(len ? len : 1);
	if (!buf)
		return -ENOMEM;
	ld__event__pack(ev, buf);
	Ld__Event *again = ld__event__unpack(NULL, len, buf);
	free(buf);
	*ok = again != NULL;
	if (again)
		ld__event__free_unpacked(again, NULL);
	return 0;
}

struct decoded_batch {
	struct pb_arena arena; /* the events' messages */
	size_t n;
	struct decoded_event *events; /* n of them, in the batch's order */
	unsigned char *block;	      /* the arena's block (malloc'd) */
	size_t block_cap;
};

/* Decode RAW with A's allocator into *OUT. Returns 0 or -ENOMEM. */
static int decode_event(struct pb_arena *a, const ProtobufCBinaryData *raw,
			struct decoded_event *out)
{
	out->ev = ld__event__unpack(&a->allocator, raw->len, raw->data);
	out->reencodes = true;
	return out->ev ? event_reencodes(out->ev, raw->len, &out->reencodes) : 0;
}

/* Where fold_state_ahead packs the rest of a new member's state: the batch's arena (CTX). */
static int arena_reserve(void *ctx, size_t len, uint8_t **room)
{
	ProtobufCAllocator *a = &((struct pb_arena *)ctx)->allocator;
	*room = a->alloc(a->allocator_data, len ? len : 1);
	return *room ? 0 : -ENOMEM;
}

/*
 * Room for a batch's events unpacked: each event's bytes (its strings, copied) and the structs
 * they fill (an event with a member's record: some 600 bytes). What does not fit spills to the
 * heap, one allocation at a time.
 */
#define DECODED_PER_EVENT 768

/* The blocks of batches decoded and applied, kept for the next (blockcache.h): the writer frees
 * one as a reader decodes the next, so a few of the largest do (4,096 imported members' events
 * decoded take a block of 4 MiB). */
static struct block_cache decoded_blocks = BLOCK_CACHE_INIT(12u << 20);

int sync_decode_batch(const Ld__EventBatch *b, struct decoded_batch **out)
{
	*out = NULL;
	struct decoded_batch *d = calloc(1, sizeof(*d));
	if (!d)
		return -ENOMEM;
	size_t bytes = 0;
	for (size_t i = 0; i < b->n_events; i++)
		bytes += b->events[i].len;
	d->block_cap = bytes + b->n_events * DECODED_PER_EVENT;
	d->block = block_cache_get(&decoded_blocks, &d->block_cap);
	d->events = calloc(b->n_events ? b->n_events : 1, sizeof(*d->events));
	if (!d->block || !d->events) {
		decoded_batch_free(d);
		return -ENOMEM;
	}
	pb_arena_init(&d->arena, d->block, d->block_cap);
	for (size_t i = 0; i < b->n_events; i++) {
		struct decoded_event *e = &d->events[i];
		if (decode_event(&d->arena, &b->events[i], e) != 0) {
			decoded_batch_free(d);
			return -ENOMEM;
		}
		/* A member's state if he is new here, packed beside the writer (fold.h). */
		e->has_ahead = e->ev && e->reencodes &&
			       fold_state_ahead(e->ev, b->events[i].data, b->events[i].len,
						&e->ahead, arena_reserve, &d->arena) == 0;
	}
	d->n = b->n_events;
	*out = d;
	return 0;
}

size_t decoded_batch_size(const struct decoded_batch *d)
{
	return d ? d->block_cap + d->arena.spilled + d->n * sizeof(*d->events) : 0;
}

void decoded_batch_free(struct decoded_batch *d)
{
	if (!d)
		return;
	pb_arena_reset(&d->arena); /* what spilled; the block goes below */
	free(d->events);
	block_cache_put(&decoded_blocks, d->block, d->block_cap);
	free(d);
}

void decoded_batch_cache_trim(void)
{
	block_cache_trim(&decoded_blocks);
}

/*
 * Apply one event of a batch from PEER covering (prev, last] at SITE, decoded ahead (PRE) or, if
 * PRE is NULL, here. An event quarantined before (in SEEN: a resend) is reported again but not
 * kept twice.
 */
static int apply_one(struct store_txn *txn, const uint8_t *peer, const struct domain_site *site,
		     const ProtobufCBinaryData *raw, const struct decoded_event *pre, uint64_t prev,
		     uint64_t last, bool careful, const struct seen *seen,
		     struct apply_stats *stats)
{
	struct verdict verdict;
	/* The event's allocations from a block on the stack (a few hundred bytes unpacked). */
	unsigned char block[4096];
	struct pb_arena arena;
	pb_arena_init(&arena, block, sizeof(block));
	struct decoded_event here;
	int rc = pre ? 0 : decode_event(&arena, raw, &here);
	if (rc) {
		pb_arena_reset(&arena);
		return rc;
	}
	Ld__Event *ev = pre ? pre->ev : here.ev;
	bool reencodes = pre ? pre->reencodes : here.reencodes;
	const char *why = NULL;
	uint64_t seq;
	if (!ev) {
		why = "the event does not decode";
	} else if (!reencodes) {
		why = "the event does not decode as itself (a field numbered 0)";
	} else if (ev->origin.len != LD_SITE_ID_BYTES ||
		   memcmp(ev->origin.data, peer, LD_SITE_ID_BYTES) != 0) {
		why = "the event is not the sending site's own (events are never relayed)";
	} else if (ev->origin_seq <= prev || ev->origin_seq > last) {
		why = "the event's seq lies outside the batch's range";
	} else if ((rc = eventlog_find_origin(txn, peer, ev->origin_seq, &seq)) == 0) {
		bool same;
		rc = check_duplicate(txn, seq, raw->data, raw->len, &same);
		if (rc == 0 && same) {
			stats->duplicates++;
			goto out;
		}
		if (rc == 0)
			why = "an event with the same id and different content is in the log";
	} else if (rc == LD_ENOTFOUND) {
		struct known k;
		rc = domain_member_before(txn, ev, &k.have, &k.st);
		if (rc == 0)
			rc = domain_validate_state(txn, ev, peer, site, k.st, &verdict);
		if (rc && verdict.why[0]) {
			why =
			    verdict
				.why; /* malformed, not the peer's to write, or his state forbids */
			rc = 0;
		} else if (rc == 0) {
			rc = append_event(txn, ev, raw, pre, careful, &k, &why);
			if (rc == 0 && !why)
				stats->applied++;
		}
		if (k.st)
			ld__member_state__free_unpacked(k.st, NULL);
	}
	if (rc == 0 && why) {
		uint64_t oseq = ev ? ev->origin_seq : 0;
		char reason[APPLY_REASON_MAX];
		if (ev)
			snprintf(reason, sizeof(reason), "%s: %s", event_kind_name(ev->kind), why);
		else
			snprintf(reason, sizeof(reason), "%s", why);
		bool again = oseq && seq_in(seen->seqs, seen->n, oseq);
		if (!again)
			rc = quarantine_add(txn, peer, oseq, raw->data, raw->len, reason,
					    ev ? ev->member : NULL,
					    ev ? event_kind_name(ev->kind) : NULL);
		if (rc == 0)
			rc = stats_quarantined(stats, oseq, reason);
		if (rc == 0 && !again)
			log_warn("sync: quarantined event %llu from a peer: %s",
				 (unsigned long long)oseq, reason);
	}
out:
	pb_arena_reset(&arena); /* EV with it */
	return rc;
}

int sync_apply_batch(struct store_txn *txn, const uint8_t *peer, const struct domain_site *site,
		     const Ld__EventBatch *b, unsigned flags, struct apply_stats *stats,
		     const char **why)
{
	return sync_apply_decoded(txn, peer, site, b, NULL, flags, stats, why);
}

int sync_apply_decoded(struct store_txn *txn, const uint8_t *peer, const struct domain_site *site,
		       const Ld__EventBatch *b, const struct decoded_batch *d, unsigned flags,
		       struct apply_stats *stats, const char **why)
{
	if (d && d->n != b->n_events)
		d = NULL; /* not this batch's: decode here */
	apply_stats_free(stats);
	if (b->last_seq < b->prev_seq) {
		*why = "batch range is reversed";
		return -ERANGE;
	}
	if (b->log_id.len != LD_LOG_ID_BYTES) {
		*why = "batch names a log id of the wrong size"; /* found by fuzz_syncapply */
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
	bool careful = flags & SYNC_APPLY_CAREFUL;
	uint64_t *seen_seqs = NULL;
	struct seen seen = {0};
	if (b->prev_seq < applied && b->n_events) { /* a resend: some may be quarantined already */
		rc = quarantined_seqs(txn, peer, NULL, &seen_seqs, &seen.n);
		seen.seqs = seen_seqs;
	}
	for (size_t i = 0; i < b->n_events && rc == 0; i++)
		rc = apply_one(txn, peer, site, &b->events[i], d ? &d->events[i] : NULL,
			       b->prev_seq, b->last_seq, careful, &seen, stats);
	free(seen_seqs);
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
