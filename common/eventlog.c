/*
 * eventlog.c: see eventlog.h.
 *
 * meta keys: "site_id" (32 bytes), "log_id" (16 bytes), "schema" (u64 BE), "head" (u64 BE seq +
 * SHA-256 of the last entry's bytes).
 */
#include "eventlog.h"

#include <errno.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <stdbool.h>
#include <time.h>

#include "clock.h"
#include "fold.h"
#include "pbwire.h"
#include "domain.h"
#include "logging.h"
#include "lderr.h"

#define SCHEMA_VERSION 1

/*
 * SHA-256 fetched from the provider once (EVP_sha256() looks it up again on every digest), and a
 * digest context per thread, made at its first digest and freed when the thread ends (EVP_Digest
 * makes and frees one per call).
 */
static EVP_MD *sha256_md;
static pthread_key_t sha256_ctx_key;
static bool sha256_key_ok;
static pthread_once_t sha256_once = PTHREAD_ONCE_INIT;

static void sha256_ctx_free(void *ctx)
{
	EVP_MD_CTX_free(ctx);
}

static void sha256_fetch(void)
{
	sha256_md = EVP_MD_fetch(NULL, "SHA2-256", NULL);
	sha256_key_ok = pthread_key_create(&sha256_ctx_key, sha256_ctx_free) == 0;
}

/* The calling thread's digest context, or NULL (out of memory). */
static EVP_MD_CTX *sha256_ctx(void)
{
	if (!sha256_key_ok)
		return NULL;
	EVP_MD_CTX *ctx = pthread_getspecific(sha256_ctx_key);
	if (!ctx && (ctx = EVP_MD_CTX_new()) && pthread_setspecific(sha256_ctx_key, ctx) != 0) {
		EVP_MD_CTX_free(ctx);
		ctx = NULL;
	}
	return ctx;
}

int eventlog_sha256(const void *data, size_t len, uint8_t out[LD_HASH_BYTES])
{
	unsigned int n = 0;
	pthread_once(&sha256_once, sha256_fetch);
	EVP_MD_CTX *ctx = sha256_md ? sha256_ctx() : NULL;
	if (ctx && EVP_DigestInit_ex2(ctx, sha256_md, NULL) && EVP_DigestUpdate(ctx, data, len) &&
	    EVP_DigestFinal_ex(ctx, out, &n) && n == LD_HASH_BYTES)
		return 0;
	/* No context of the thread's (memory): one for this digest alone. */
	if (!sha256_md || ctx || !EVP_Digest(data, len, out, &n, sha256_md, NULL) ||
	    n != LD_HASH_BYTES)
		return -EIO;
	return 0;
}

int meta_init(struct store *s, const uint8_t site_id[LD_SITE_ID_BYTES])
{
	struct store_txn *txn;
	int rc = store_begin(s, true, &txn);
	if (rc)
		return rc;
	struct store_val v;
	rc = store_get(txn, TBL_META, "site_id", 7, &v);
	if (rc == 0) {
		if (v.len != LD_SITE_ID_BYTES || memcmp(v.data, site_id, LD_SITE_ID_BYTES) != 0) {
			log_error("store: the data directory belongs to another site");
			rc = LD_EINPUT;
		}
		store_abort(txn);
		return rc;
	}
	if (rc != LD_ENOTFOUND)
		goto fail;
	uint8_t log_id[LD_LOG_ID_BYTES];
	uint8_t schema[8];
	if (RAND_bytes(log_id, sizeof(log_id)) != 1) {
		rc = -EIO;
		goto fail;
	}
	store_u64_key(SCHEMA_VERSION, schema);
	if ((rc = store_put(txn, TBL_META, "site_id", 7, site_id, LD_SITE_ID_BYTES, 0)) ||
	    (rc = store_put(txn, TBL_META, "log_id", 6, log_id, sizeof(log_id), 0)) ||
	    (rc = store_put(txn, TBL_META, "schema", 6, schema, sizeof(schema), 0)))
		goto fail;
	return store_commit(txn);
fail:
	store_abort(txn);
	return rc;
}

int meta_log_id(struct store_txn *txn, uint8_t out[LD_LOG_ID_BYTES])
{
	struct store_val v;
	int rc = store_get(txn, TBL_META, "log_id", 6, &v);
	if (rc)
		return rc;
	if (v.len != LD_LOG_ID_BYTES)
		return LD_ECORRUPT;
	memcpy(out, v.data, LD_LOG_ID_BYTES);
	return 0;
}

int eventlog_head(struct store_txn *txn, struct eventlog_head *head)
{
	struct store_val v;
	int rc = store_get(txn, TBL_META, "head", 4, &v);
	if (rc == LD_ENOTFOUND) {
		memset(head, 0, sizeof(*head));
		return 0;
	}
	if (rc)
		return rc;
	if (v.len != 8 + LD_HASH_BYTES)
		return LD_ECORRUPT;
	head->seq = store_u64_from(v.data);
	memcpy(head->hash, (const uint8_t *)v.data + 8, LD_HASH_BYTES);
	return 0;
}

static int head_put(struct store_txn *txn, const struct eventlog_head *head)
{
	uint8_t buf[8 + LD_HASH_BYTES];
	store_u64_key(head->seq, buf);
	memcpy(buf + 8, head->hash, LD_HASH_BYTES);
	return store_put_late(txn, TBL_META, "head", 4, buf, sizeof(buf)); /* once per commit */
}

static void origin_key(const uint8_t *origin, uint64_t origin_seq, uint8_t key[40])
{
	memcpy(key, origin, LD_SITE_ID_BYTES);
	store_u64_key(origin_seq, key + LD_SITE_ID_BYTES);
}

/*
 * Append packed event bytes as the next entry; index its origin, if ORIGIN is not NULL (a peer's
 * event: a site's own events are not indexed, their origin seq is their seq).
 */
static int append_bytes(struct store_txn *txn, const struct eventlog_head *head,
			const uint8_t *origin, uint64_t origin_seq, const uint8_t *bytes,
			size_t len)
{
	uint64_t seq_expected = head->seq + 1;
	int rc;

	Ld__LogEntry entry = LD__LOG_ENTRY__INIT;
	entry.prev_hash.data = (uint8_t *)head->hash;
	entry.prev_hash.len = LD_HASH_BYTES;
	entry.event.data = (uint8_t *)bytes;
	entry.event.len = len;
	size_t elen = ld__log_entry__get_packed_size(&entry);
	uint8_t key[8];
	store_u64_key(seq_expected, key);
	void *ebuf;
	/* Packed straight into the store, and hashed there before the next put. */
	if ((rc = store_put_reserved(txn, TBL_LOG, key, 8, elen, STORE_APPEND, &ebuf)))
		return rc;
	ld__log_entry__pack(&entry, ebuf);
	struct eventlog_head next = {.seq = seq_expected};
	if ((rc = eventlog_sha256(ebuf, elen, next.hash)))
		return rc;
	if (origin) {
		uint8_t okey[40];
		origin_key(origin, origin_seq, okey);
		rc = store_put(txn, TBL_ORIGINS, okey, sizeof(okey), key, 8, STORE_NOOVERWRITE);
	}
	return rc ? rc : head_put(txn, &next);
}

/* Record that each of the N sites DEST must receive local seq SEQ. */
static int outbox_add(struct store_txn *txn, uint8_t dest[][LD_SITE_ID_BYTES], int n, uint64_t seq)
{
	for (int i = 0; i < n; i++) {
		uint8_t key[LD_SITE_ID_BYTES + 8];
		memcpy(key, dest[i], LD_SITE_ID_BYTES);
		store_u64_key(seq, key + LD_SITE_ID_BYTES);
		int rc = store_put(txn, TBL_OUTBOX, key, sizeof(key), "", 0, 0);
		if (rc)
			return rc;
	}
	return 0;
}

/* Record that every pinned peer must receive local seq SEQ (a site's own directory). */
static int outbox_all_peers(struct store_txn *txn, uint64_t seq)
{
	struct store_cursor *c;
	int rc = store_cursor_open(txn, TBL_PEERS, &c);
	if (rc)
		return rc;
	struct store_val k, v;
	for (rc = store_cursor_get(c, STORE_FIRST, &k, &v); rc == 0;
	     rc = store_cursor_get(c, STORE_NEXT, &k, &v)) {
		Ld__PeerRecord *p = ld__peer_record__unpack(NULL, v.len, v.data);
		if (!p)
			continue;
		uint8_t dest[1][LD_SITE_ID_BYTES];
		bool ok = p->site_id.len == LD_SITE_ID_BYTES;
		if (ok)
			memcpy(dest[0], p->site_id.data, LD_SITE_ID_BYTES);
		ld__peer_record__free_unpacked(p, NULL);
		/* Writing the outbox while walking the peers: another table, the cursor stays. */
		if (ok && (rc = outbox_add(txn, dest, 1, seq)))
			break;
	}
	store_cursor_close(c);
	return rc == LD_ENOTFOUND ? 0 : rc;
}

int eventlog_outbox_add(struct store_txn *txn, const uint8_t *peer, uint64_t seq)
{
	uint8_t dest[1][LD_SITE_ID_BYTES];
	memcpy(dest[0], peer, LD_SITE_ID_BYTES);
	return outbox_add(txn, dest, 1, seq);
}

int eventlog_commit_local(struct store_txn *txn, const uint8_t site_id[LD_SITE_ID_BYTES],
			  Ld__Event *ev, uint64_t *seq)
{
	return eventlog_commit_known(txn, site_id, ev, false, NULL, NULL, NULL, seq);
}

/* Where an event is packed: the caller's stack buffer if it fits, else the heap. */
struct event_room {
	uint8_t *stack, *buf;
	size_t cap, len;
};

static int event_reserve(void *ctx, size_t len, uint8_t **room)
{
	struct event_room *r = ctx;
	r->buf = len <= r->cap ? r->stack : malloc(len);
	r->len = len;
	*room = r->buf;
	return r->buf ? 0 : -ENOMEM;
}

/*
 * A site's own event is packed on every commit, and protobuf-c's packing of its header (fields 1-7,
 * origin to operator) took a tenth of the writer's instructions in an import (callgrind). So an
 * event whose payload comes packed already is packed here, the header field by field as protobuf-c
 * packs it (proto3: a scalar at zero, a string NULL or empty, bytes of length zero are left out; an
 * int32 below zero takes ten bytes), then the payload. Only while Event has no field but those
 * seven and its payload's (head_check, once); else protobuf-c packs it.
 */
enum { HEAD_ROOM = 256 };

static pthread_once_t head_once = PTHREAD_ONCE_INIT;
static bool head_known;

static void head_check(void)
{
	/* The header's fields by number, from 1. */
	static const ProtobufCType want[] = {PROTOBUF_C_TYPE_BYTES,  PROTOBUF_C_TYPE_UINT64,
					     PROTOBUF_C_TYPE_INT32,  PROTOBUF_C_TYPE_INT64,
					     PROTOBUF_C_TYPE_STRING, PROTOBUF_C_TYPE_ENUM,
					     PROTOBUF_C_TYPE_STRING};
	const ProtobufCMessageDescriptor *d = &ld__event__descriptor;
	size_t header = 0;
	for (unsigned i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *f = &d->fields[i];
		if (f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)
			continue; /* the payload's */
		size_t k = f->id - 1;
		if (k >= sizeof(want) / sizeof(want[0]) || want[k] != f->type ||
		    f->label != PROTOBUF_C_LABEL_NONE)
			return;
		header++;
	}
	head_known = header == sizeof(want) / sizeof(want[0]);
}

static uint8_t *head_varint(uint8_t *p, uint32_t number, uint64_t v)
{
	if (!v)
		return p;
	p = pbwire_put_varint(p, (uint64_t)number << 3);
	return pbwire_put_varint(p, v);
}

/* EV's header packed into OUT; its length, or 0 if it does not fit HEAD_ROOM. */
static size_t head_pack(const Ld__Event *ev, uint8_t out[HEAD_ROOM])
{
	size_t member = ev->member ? strlen(ev->member) : 0;
	size_t op = ev->operator_ ? strlen(ev->operator_) : 0;
	/* Seven tags, four varints of at most ten bytes and three lengths of at most three. */
	if (ev->origin.len + member + op + 7 + 40 + 9 > HEAD_ROOM)
		return 0;
	uint8_t *p = out;
	if (ev->origin.len)
		p = pbwire_put_bytes(p, 1, ev->origin.data, ev->origin.len);
	p = head_varint(p, 2, ev->origin_seq);
	p = head_varint(p, 3, (uint64_t)(int64_t)ev->date);
	p = head_varint(p, 4, (uint64_t)ev->time_ms);
	if (member)
		p = pbwire_put_bytes(p, 5, ev->member, member);
	p = head_varint(p, 6, (uint64_t)(int64_t)ev->kind);
	if (op)
		p = pbwire_put_bytes(p, 7, ev->operator_, op);
	return (size_t)(p - out);
}

/* EV packed into ROOM, with PAYLOAD (NULL: none, else EV's payload packed) spliced in. */
static int event_pack(Ld__Event *ev, const struct pbwire_splice *payload, struct event_room *room)
{
	pthread_once(&head_once, head_check);
	uint8_t head[HEAD_ROOM];
	size_t n = head_known && payload && !ev->base.n_unknown_fields &&
			   ev->payload_case == (Ld__Event__PayloadCase)payload->number
		       ? head_pack(ev, head)
		       : 0;
	if (!n)
		return pbwire_pack_spliced(&ev->base, payload, payload ? 1 : 0, event_reserve,
					   room);
	/* The payload after the header: its number is above all of the header's. */
	return pbwire_splice_at(head, n, payload, &n, 1, NULL, 0, event_reserve, room);
}

int eventlog_commit_known(struct store_txn *txn, const uint8_t site_id[LD_SITE_ID_BYTES],
			  Ld__Event *ev, bool have_before, Ld__MemberState *before,
			  const struct pbwire_splice *payload, const struct fold_state_ahead *ahead,
			  uint64_t *seq)
{
	struct eventlog_head head;
	int rc = eventlog_head(txn, &head);
	if (rc)
		return rc;
	uint64_t next = head.seq + 1;
	ev->origin.data = (uint8_t *)site_id;
	ev->origin.len = LD_SITE_ID_BYTES;
	ev->origin_seq = next;
	ev->time_ms = clock_now_ms();
	uint8_t stack[1024];
	struct event_room room = {.stack = stack, .cap = sizeof(stack)};
	if ((rc = event_pack(ev, payload, &room)))
		return rc;
	uint8_t *buf = room.buf;
	size_t len = room.len;
	rc = append_bytes(txn, &head, NULL, next, buf, len);
	struct fold_hint hint = {.have_before = have_before,
				 .before = before,
				 .self = site_id,
				 .ev_bytes = buf,
				 .ev_len = len,
				 .ahead = ahead};
	if (rc == 0)
		rc = fold_apply_hinted(txn, ev, next, &hint);
	if (buf != stack)
		free(buf);
	if (rc == 0 && !hint.routed) /* the fold wrote no member state: ask the store */
		hint.n_dest = domain_destinations(txn, ev, site_id, hint.dest);
	if (rc == 0 && hint.n_dest < 0)
		rc = hint.n_dest;
	if (rc == 0)
		rc = outbox_add(txn, hint.dest, hint.n_dest, next);
	if (rc == 0 && event_kind_writer(ev->kind) == WRITER_SITE)
		rc = outbox_all_peers(txn, next);
	if (rc == 0 && seq)
		*seq = next;
	return rc;
}

int eventlog_append_remote(struct store_txn *txn, const Ld__Event *ev, const uint8_t *bytes,
			   size_t len, uint64_t *seq)
{
	return eventlog_append_known(txn, ev, bytes, len, false, NULL, NULL, seq);
}

int eventlog_append_known(struct store_txn *txn, const Ld__Event *ev, const uint8_t *bytes,
			  size_t len, bool have_before, Ld__MemberState *before,
			  const struct fold_state_ahead *ahead, uint64_t *seq)
{
	if (ev->origin.len != LD_SITE_ID_BYTES)
		return LD_EINPUT;
	struct eventlog_head head;
	int rc = eventlog_head(txn, &head);
	if (rc)
		return rc;
	uint64_t next = head.seq + 1;
	rc = append_bytes(txn, &head, ev->origin.data, ev->origin_seq, bytes, len);
	struct fold_hint hint = {.have_before = have_before,
				 .before = before,
				 .ev_bytes = bytes,
				 .ev_len = len,
				 .ahead = ahead};
	if (rc == 0)
		rc = fold_apply_hinted(txn, ev, next, &hint);
	if (rc == 0 && seq)
		*seq = next;
	return rc;
}

int eventlog_find_origin(struct store_txn *txn, const uint8_t *origin, uint64_t origin_seq,
			 uint64_t *seq)
{
	uint8_t okey[40];
	origin_key(origin, origin_seq, okey);
	struct store_val v;
	int rc = store_get(txn, TBL_ORIGINS, okey, sizeof(okey), &v);
	if (rc)
		return rc;
	if (v.len != 8)
		return LD_ECORRUPT;
	*seq = store_u64_from(v.data);
	return 0;
}

/* Unpack entry bytes into the entry (caller frees with ld__log_entry__free_unpacked). */
static Ld__LogEntry *entry_unpack(const struct store_val *v)
{
	return ld__log_entry__unpack(NULL, v->len, v->data);
}

int eventlog_read(struct store_txn *txn, uint64_t seq, Ld__LogEntry **entry, Ld__Event **event)
{
	uint8_t key[8];
	store_u64_key(seq, key);
	struct store_val v;
	int rc = store_get(txn, TBL_LOG, key, 8, &v);
	if (rc)
		return rc;
	Ld__LogEntry *e = entry_unpack(&v);
	if (!e)
		return LD_ECORRUPT;
	if (event) {
		*event = ld__event__unpack(NULL, e->event.len, e->event.data);
		if (!*event) {
			ld__log_entry__free_unpacked(e, NULL);
			return LD_ECORRUPT;
		}
	}
	if (entry)
		*entry = e;
	else
		ld__log_entry__free_unpacked(e, NULL);
	return 0;
}

/*
 * A LogEntry's event field read off its wire format, without unpacking: the last `event` field
 * wins, as unpacking would have it.
 */
static int entry_event_view(const uint8_t *p, size_t len, ProtobufCBinaryData *bytes)
{
	struct pbwire_field f;
	unsigned count;
	int rc = pbwire_find(p, len, 2, &f, &count);
	if (rc || count == 0)
		return LD_ECORRUPT;
	bytes->data = (uint8_t *)f.value;
	bytes->len = f.len;
	return 0;
}

int eventlog_reader_open(struct store_txn *txn, struct eventlog_reader *r)
{
	r->at = 0;
	return store_cursor_open(txn, TBL_LOG, &r->cursor);
}

int eventlog_reader_bytes(struct eventlog_reader *r, uint64_t seq, ProtobufCBinaryData *bytes)
{
	uint8_t key[8];
	store_u64_key(seq, key);
	struct store_val k = {.data = key, .len = sizeof(key)}, v;
	/* The next entry when SEQ follows the one read last; else a seek. */
	int rc = store_cursor_get(r->cursor,
				  r->at && seq == r->at + 1 ? STORE_NEXT : STORE_SET_RANGE, &k, &v);
	r->at = rc == 0 && k.len == 8 ? store_u64_from(k.data) : 0;
	if (rc)
		return rc;
	if (r->at != seq)
		return LD_ENOTFOUND;
	return entry_event_view(v.data, v.len, bytes);
}

void eventlog_reader_close(struct eventlog_reader *r)
{
	store_cursor_close(r->cursor);
	r->cursor = NULL;
}

/* ------------------------------------------------------------------------------------------ */
/* Verification                                                                                */

struct kv {
	uint8_t *key, *val;
	size_t klen, vlen;
};

struct snapshot {
	struct kv *items;
	size_t n, cap;
};

static void snapshot_free(struct snapshot *s)
{
	for (size_t i = 0; i < s->n; i++) {
		free(s->items[i].key);
		free(s->items[i].val);
	}
	free(s->items);
	memset(s, 0, sizeof(*s));
}

/* Copy table T whole into S (in key order), then empty it. */
static int snapshot_take(struct store_txn *txn, enum store_table t, struct snapshot *s)
{
	struct store_cursor *c;
	int rc = store_cursor_open(txn, t, &c);
	if (rc)
		return rc;
	struct store_val k, v;
	for (rc = store_cursor_get(c, STORE_FIRST, &k, &v); rc == 0;
	     rc = store_cursor_get(c, STORE_NEXT, &k, &v)) {
		if (s->n == s->cap) {
			size_t cap = s->cap ? s->cap * 2 : 256;
			struct kv *items = realloc(s->items, cap * sizeof(*items));
			if (!items) {
				rc = -ENOMEM;
				break;
			}
			s->items = items;
			s->cap = cap;
		}
		struct kv *it = &s->items[s->n];
		it->key = malloc(k.len ? k.len : 1);
		it->val = malloc(v.len ? v.len : 1);
		if (!it->key || !it->val) {
			free(it->key);
			free(it->val);
			rc = -ENOMEM;
			break;
		}
		memcpy(it->key, k.data, k.len);
		memcpy(it->val, v.data, v.len);
		it->klen = k.len;
		it->vlen = v.len;
		s->n++;
	}
	store_cursor_close(c);
	if (rc != LD_ENOTFOUND)
		return rc ? rc : -EIO;
	for (size_t i = 0; i < s->n; i++) {
		rc = store_del(txn, t, s->items[i].key, s->items[i].klen);
		if (rc)
			return rc;
	}
	return 0;
}

/* True if table T now holds exactly S. */
static int snapshot_equal(struct store_txn *txn, enum store_table t, const struct snapshot *s,
			  bool *equal)
{
	struct store_cursor *c;
	int rc = store_cursor_open(txn, t, &c);
	if (rc)
		return rc;
	struct store_val k, v;
	size_t i = 0;
	*equal = true;
	for (rc = store_cursor_get(c, STORE_FIRST, &k, &v); rc == 0;
	     rc = store_cursor_get(c, STORE_NEXT, &k, &v), i++) {
		if (i >= s->n || k.len != s->items[i].klen || v.len != s->items[i].vlen ||
		    memcmp(k.data, s->items[i].key, k.len) ||
		    memcmp(v.data, s->items[i].val, v.len)) {
			*equal = false;
			break;
		}
	}
	store_cursor_close(c);
	if (*equal && i != s->n)
		*equal = false;
	return rc == LD_ENOTFOUND || rc == 0 ? 0 : rc;
}

/* Walk the chain; fold each event if FOLD. */
static int walk_chain(struct store_txn *txn, bool fold, struct verify_result *r)
{
	struct store_cursor *c;
	int rc = store_cursor_open(txn, TBL_LOG, &c);
	if (rc)
		return rc;
	uint8_t prev[LD_HASH_BYTES] = {0};
	uint64_t expect = 1;
	struct store_val k, v;
	uint8_t self_id[LD_SITE_ID_BYTES];
	const uint8_t *self = NULL;
	if (store_get(txn, TBL_META, "site_id", 7, &v) == 0 && v.len == LD_SITE_ID_BYTES) {
		memcpy(self_id, v.data, LD_SITE_ID_BYTES);
		self = self_id;
	}
	for (rc = store_cursor_get(c, STORE_FIRST, &k, &v); rc == 0;
	     rc = store_cursor_get(c, STORE_NEXT, &k, &v), expect++) {
		r->entries++;
		uint64_t seq = k.len == 8 ? store_u64_from(k.data) : 0;
		Ld__LogEntry *e = entry_unpack(&v);
		Ld__Event *ev = e ? ld__event__unpack(NULL, e->event.len, e->event.data) : NULL;
		const char *problem = NULL;
		if (seq != expect)
			problem = "log seq numbers are not consecutive";
		else if (!e || !ev)
			problem = "log entry does not decode";
		else if (e->prev_hash.len != LD_HASH_BYTES ||
			 memcmp(e->prev_hash.data, prev, LD_HASH_BYTES) != 0)
			problem = "hash chain broken: the entry before this one was altered";
		else if (ev->origin.len != LD_SITE_ID_BYTES)
			problem = "event has no origin";
		if (!problem) {
			/* A peer's event is indexed by its origin; this site's own is its seq (a
			 * store written before 2026-11-30 indexes those too). */
			uint8_t okey[40];
			struct store_val o;
			origin_key(ev->origin.data, ev->origin_seq, okey);
			int orc = store_get(txn, TBL_ORIGINS, okey, sizeof(okey), &o);
			bool own = self && memcmp(ev->origin.data, self, LD_SITE_ID_BYTES) == 0;
			bool indexed = orc == 0 && o.len == 8 && store_u64_from(o.data) == seq;
			bool unindexed_own = orc == LD_ENOTFOUND && own && ev->origin_seq == seq;
			if (!indexed && !unindexed_own)
				problem = "origins index does not match the log";
		}
		if (!problem && fold) {
			struct fold_hint hint = {.ev_bytes = e->event.data, .ev_len = e->event.len};
			int frc = fold_apply_hinted(txn, ev, seq, &hint);
			if (lderr_is_resource(frc)) {
				/* The store, not the log: say so (the writer grows the map,
				 * retries). */
				if (ev)
					ld__event__free_unpacked(ev, NULL);
				if (e)
					ld__log_entry__free_unpacked(e, NULL);
				rc = frc;
				goto out;
			}
			if (frc)
				problem = "event cannot be folded into the state tables";
		}
		if (ev)
			ld__event__free_unpacked(ev, NULL);
		if (e)
			ld__log_entry__free_unpacked(e, NULL);
		if (problem) {
			r->ok = false;
			r->first_bad = expect;
			r->problem = problem;
			rc = 0;
			goto out;
		}
		if ((rc = eventlog_sha256(v.data, v.len, prev)))
			goto out;
	}
	if (rc != LD_ENOTFOUND)
		goto out;
	rc = 0;
	struct eventlog_head head;
	if ((rc = eventlog_head(txn, &head)))
		goto out;
	if (head.seq != expect - 1 || (head.seq && memcmp(head.hash, prev, LD_HASH_BYTES) != 0)) {
		r->ok = false;
		r->first_bad = head.seq ? head.seq : 1;
		r->problem = "the last log entry was altered or removed";
	}
out:
	store_cursor_close(c);
	return rc;
}

int eventlog_verify(struct store_txn *txn, struct verify_result *r)
{
	memset(r, 0, sizeof(*r));
	r->ok = true;
	struct store_txn *child;
	int rc = store_begin_child(txn, &child);
	if (rc)
		return rc;
	struct snapshot snaps[FOLD_TABLE_COUNT] = {0};
	for (int i = 0; i < FOLD_TABLE_COUNT && rc == 0; i++)
		rc = snapshot_take(child, fold_tables[i], &snaps[i]);
	if (rc == 0)
		rc = walk_chain(child, true, r);
	for (int i = 0; i < FOLD_TABLE_COUNT && rc == 0 && r->ok; i++) {
		bool equal;
		rc = snapshot_equal(child, fold_tables[i], &snaps[i], &equal);
		if (rc == 0 && !equal) {
			r->ok = false;
			r->problem = "state tables differ from the fold of the log";
		}
	}
	for (int i = 0; i < FOLD_TABLE_COUNT; i++)
		snapshot_free(&snaps[i]);
	store_abort(child);
	return rc;
}
