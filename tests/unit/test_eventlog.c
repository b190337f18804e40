/*
 * test_eventlog.c: the site's event log, its hash chain and its verification.
 *
 * Each test starts from a store in a fresh mkdtemp directory that belongs to one site (meta_init).
 * Most then commit three local events, each in its own write transaction as the daemon does:
 *   seq 1  branch.added       b01
 *   seq 2  member.registered  11010519491231002X
 *   seq 3  branch.added       b02
 * and check what a user of `liudong verify` would see: a clean log verifies and verifying changes
 * nothing; an entry altered at rest, a removed index row or a state row that is not the fold of
 * the log are each reported, at the seq eventlog.h says.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/evp.h>

#include "eventlog.h"
#include "fold.h"
#include "pbwire.h"
#include "store.h"
#include "lderr.h"

#define IDNO "11010519491231002X"

static const uint8_t site_a[LD_SITE_ID_BYTES] = {
    0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf, 0xb0,
    0xb1, 0xb2, 0xb3, 0xb4, 0xb5, 0xb6, 0xb7, 0xb8, 0xb9, 0xba, 0xbb, 0xbc, 0xbd, 0xbe, 0xbf, 0xc0,
};

struct fixture {
	char dir[64];
	struct store *store;
};

static int setup_empty(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	strcpy(f->dir, "/tmp/ld-test-eventlog-XXXXXX");
	if (!mkdtemp(f->dir) || store_open(f->dir, 0, 0, &f->store) != 0) {
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	char path[128];

	store_close(f->store);
	snprintf(path, sizeof(path), "%s/data.mdb", f->dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/lock.mdb", f->dir);
	unlink(path);
	rmdir(f->dir);
	free(f);
	return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Building and committing events                                                              */

static int commit_branch(struct store *s, const char *code, const char *name, uint64_t *seq)
{
	Ld__BranchInfo b = LD__BRANCH_INFO__INIT;
	Ld__Event ev = LD__EVENT__INIT;
	struct store_txn *txn;

	b.code = (char *)code;
	b.name = (char *)name;
	ev.kind = LD__EVENT_KIND__BRANCH_ADDED;
	ev.date = 20000;
	ev.operator_ = "tester";
	ev.payload_case = LD__EVENT__PAYLOAD_BRANCH;
	ev.branch = &b;
	int rc = store_begin(s, true, &txn);
	if (rc)
		return rc;
	rc = eventlog_commit_local(txn, site_a, &ev, seq);
	if (rc) {
		store_abort(txn);
		return rc;
	}
	return store_commit(txn);
}

static void fill_member_info(Ld__MemberInfo *mi, const char *name)
{
	mi->id = IDNO;
	mi->name = (char *)name;
	mi->sex = "F";
	mi->birth = -7306; /* 1949-12-31 */
	mi->joined = 10000;
	mi->kind = "full";
	mi->branch = "b01";
	mi->dues_category = "salaried";
	mi->income_fen = 800000;
	mi->monthly_dues_fen = 4000;
	mi->set_dues_fen = -1;
}

static int commit_member(struct store *s, const char *name, uint64_t *seq)
{
	Ld__MemberInfo mi = LD__MEMBER_INFO__INIT;
	Ld__Event ev = LD__EVENT__INIT;
	struct store_txn *txn;

	fill_member_info(&mi, name);
	ev.kind = LD__EVENT_KIND__MEMBER_REGISTERED;
	ev.date = 20000;
	ev.member = IDNO;
	ev.operator_ = "tester";
	ev.payload_case = LD__EVENT__PAYLOAD_MEMBER_INFO;
	ev.member_info = &mi;
	int rc = store_begin(s, true, &txn);
	if (rc)
		return rc;
	rc = eventlog_commit_local(txn, site_a, &ev, seq);
	if (rc) {
		store_abort(txn);
		return rc;
	}
	return store_commit(txn);
}

static void commit_three(struct store *s)
{
	uint64_t seq = 0;

	assert_int_equal(commit_branch(s, "b01", "第一支部", &seq), 0);
	assert_true(seq == 1);
	assert_int_equal(commit_member(s, "王芳", &seq), 0);
	assert_true(seq == 2);
	assert_int_equal(commit_branch(s, "b02", "第二支部", &seq), 0);
	assert_true(seq == 3);
}

static int setup_three(void **state)
{
	if (setup_empty(state))
		return -1;
	struct fixture *f = *state;
	if (meta_init(f->store, site_a) != 0)
		return -1;
	commit_three(f->store);
	return 0;
}

/* ------------------------------------------------------------------------------------------ */
/* Helpers                                                                                     */

static struct eventlog_head read_head(struct store *s)
{
	struct store_txn *txn;
	struct eventlog_head head;

	assert_int_equal(store_begin(s, false, &txn), 0);
	assert_int_equal(eventlog_head(txn, &head), 0);
	store_abort(txn);
	return head;
}

/* Run eventlog_verify in a write transaction that is then committed (as `liudong verify` does). */
static struct verify_result run_verify(struct store *s)
{
	struct store_txn *txn;
	struct verify_result r;

	assert_int_equal(store_begin(s, true, &txn), 0);
	assert_int_equal(eventlog_verify(txn, &r), 0);
	assert_int_equal(store_commit(txn), 0);
	return r;
}

/* The whole content of every table, as one byte string of (klen, key, vlen, value) records. */
struct dump {
	uint8_t *bytes;
	size_t len, cap;
};

static void dump_append(struct dump *d, const void *p, size_t n)
{
	if (d->len + n > d->cap) {
		size_t cap = d->cap ? d->cap : 4096;
		while (cap < d->len + n)
			cap *= 2;
		d->bytes = realloc(d->bytes, cap);
		assert_non_null(d->bytes);
		d->cap = cap;
	}
	if (n)
		memcpy(d->bytes + d->len, p, n);
	d->len += n;
}

static struct dump dump_store(struct store *s)
{
	struct dump d = {0};
	struct store_txn *txn;

	assert_int_equal(store_begin(s, false, &txn), 0);
	for (int t = 0; t < TBL_COUNT; t++) {
		struct store_cursor *c;
		struct store_val k, v;
		int rc;

		dump_append(&d, &t, sizeof(t));
		assert_int_equal(store_cursor_open(txn, (enum store_table)t, &c), 0);
		for (rc = store_cursor_get(c, STORE_FIRST, &k, &v); rc == 0;
		     rc = store_cursor_get(c, STORE_NEXT, &k, &v)) {
			dump_append(&d, &k.len, sizeof(k.len));
			dump_append(&d, k.data, k.len);
			dump_append(&d, &v.len, sizeof(v.len));
			dump_append(&d, v.data, v.len);
		}
		assert_int_equal(rc, LD_ENOTFOUND);
		store_cursor_close(c);
	}
	store_abort(txn);
	return d;
}

static void sha256(const void *p, size_t n, uint8_t out[LD_HASH_BYTES])
{
	unsigned int len = 0;

	assert_int_equal(EVP_Digest(p, n, out, &len, EVP_sha256(), NULL), 1);
	assert_int_equal(len, LD_HASH_BYTES);
}

/* A copy of the stored bytes of log entry SEQ. */
static uint8_t *raw_entry(struct store *s, uint64_t seq, size_t *len)
{
	struct store_txn *txn;
	struct store_val v;
	uint8_t key[8];

	store_u64_key(seq, key);
	assert_int_equal(store_begin(s, false, &txn), 0);
	assert_int_equal(store_get(txn, TBL_LOG, key, 8, &v), 0);
	uint8_t *copy = malloc(v.len ? v.len : 1);
	assert_non_null(copy);
	memcpy(copy, v.data, v.len);
	*len = v.len;
	store_abort(txn);
	return copy;
}

/* Overwrite log entry SEQ with BYTES, at rest (outside the event log's API). */
static void overwrite_entry(struct store *s, uint64_t seq, const void *bytes, size_t len)
{
	struct store_txn *txn;
	uint8_t key[8];

	store_u64_key(seq, key);
	assert_int_equal(store_begin(s, true, &txn), 0);
	assert_int_equal(store_put(txn, TBL_LOG, key, 8, bytes, len, 0), 0);
	assert_int_equal(store_commit(txn), 0);
}

/* Remove log entry SEQ, at rest. */
static void remove_entry(struct store *s, uint64_t seq)
{
	struct store_txn *txn;
	uint8_t key[8];

	store_u64_key(seq, key);
	assert_int_equal(store_begin(s, true, &txn), 0);
	assert_int_equal(store_del(txn, TBL_LOG, key, 8), 0);
	assert_int_equal(store_commit(txn), 0);
}

/*
 * An event committed with its payload packed already holds exactly the bytes protobuf-c packs
 * for it (its header is packed by hand, eventlog.c): whatever its header holds, a field left at
 * zero or empty, a date before 1970 (ten bytes), or an operator too long for the hand packer.
 */
static void spliced_event_is_packed_as_protobuf_c_packs_it(void **state)
{
	struct fixture *f = *state;
	static char long_op[400];
	memset(long_op, 'x', sizeof(long_op) - 1);
	const struct {
		int32_t date;
		char *member, *op;
	} cases[] = {{20000, IDNO, "tester"},
		     {-7306, NULL, ""},
		     {0, "", NULL},
		     {2147483647, IDNO, "张三"},
		     {-1, IDNO, long_op}};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		Ld__BranchInfo b = LD__BRANCH_INFO__INIT;
		char code[16];
		snprintf(code, sizeof(code), "b%zu", i);
		b.code = code;
		b.name = "第一支部";
		b.temporary = i % 2;
		uint8_t payload[128];
		size_t plen = ld__branch_info__pack(&b, payload);
		Ld__Event ev = LD__EVENT__INIT;
		ev.kind = LD__EVENT_KIND__BRANCH_ADDED;
		ev.date = cases[i].date;
		ev.member = cases[i].member;
		ev.operator_ = cases[i].op;
		ev.payload_case = LD__EVENT__PAYLOAD_BRANCH;
		ev.branch = &b;
		struct pbwire_splice sp = {LD__EVENT__PAYLOAD_BRANCH, payload, plen};
		struct store_txn *txn;
		uint64_t seq;
		assert_int_equal(store_begin(f->store, true, &txn), 0);
		assert_int_equal(
		    eventlog_commit_known(txn, site_a, &ev, false, NULL, &sp, NULL, &seq), 0);
		assert_int_equal(store_commit(txn), 0);
		/* What protobuf-c packs for the same event, as committed (seq and time set). */
		Ld__LogEntry *entry;
		Ld__Event *got;
		assert_int_equal(store_begin(f->store, false, &txn), 0);
		assert_int_equal(eventlog_read(txn, seq, &entry, &got), 0);
		ev.origin_seq = got->origin_seq;
		ev.time_ms = got->time_ms;
		assert_int_equal(got->origin.len, LD_SITE_ID_BYTES);
		size_t want_len = ld__event__get_packed_size(&ev);
		uint8_t *want = malloc(want_len);
		assert_non_null(want);
		ld__event__pack(&ev, want);
		assert_int_equal(entry->event.len, want_len);
		assert_memory_equal(entry->event.data, want, want_len);
		free(want);
		ld__event__free_unpacked(got, NULL);
		ld__log_entry__free_unpacked(entry, NULL);
		store_abort(txn);
	}
}

/* The sender's view of an entry's event: the same bytes the entry holds, read in place. */
static void event_bytes_are_the_entrys_event(void **state)
{
	struct fixture *f = *state;
	struct store_txn *txn;
	struct eventlog_reader r;
	assert_int_equal(store_begin(f->store, false, &txn), 0);
	assert_int_equal(eventlog_reader_open(txn, &r), 0);
	/* in order (the cursor steps), then back and skipping (it seeks) */
	const uint64_t seqs[] = {1, 2, 3, 1, 3, 2};
	for (size_t i = 0; i < sizeof(seqs) / sizeof(seqs[0]); i++) {
		Ld__LogEntry *entry;
		ProtobufCBinaryData b = {0};
		assert_int_equal(eventlog_read(txn, seqs[i], &entry, NULL), 0);
		assert_int_equal(eventlog_reader_bytes(&r, seqs[i], &b), 0);
		assert_int_equal(b.len, entry->event.len);
		assert_memory_equal(b.data, entry->event.data, b.len);
		ld__log_entry__free_unpacked(entry, NULL);
	}
	ProtobufCBinaryData b = {0};
	assert_int_equal(eventlog_reader_bytes(&r, 4, &b), LD_ENOTFOUND);
	assert_int_equal(eventlog_reader_bytes(&r, 5, &b), LD_ENOTFOUND);
	assert_int_equal(eventlog_reader_bytes(&r, 3, &b), 0);
	assert_int_equal(eventlog_reader_bytes(&r, 4, &b), LD_ENOTFOUND); /* after the last */
	eventlog_reader_close(&r);
	store_abort(txn);
}

/* A seq missing from the log (removed at rest) is not found, and the one after it still is. */
static void reader_steps_over_a_missing_entry(void **state)
{
	struct fixture *f = *state;
	struct store_txn *txn;
	remove_entry(f->store, 2);
	struct eventlog_reader r;
	ProtobufCBinaryData b = {0};
	assert_int_equal(store_begin(f->store, false, &txn), 0);
	assert_int_equal(eventlog_reader_open(txn, &r), 0);
	assert_int_equal(eventlog_reader_bytes(&r, 1, &b), 0);
	assert_int_equal(eventlog_reader_bytes(&r, 2, &b), LD_ENOTFOUND); /* the cursor is on 3 */
	assert_int_equal(eventlog_reader_bytes(&r, 3, &b), 0);
	eventlog_reader_close(&r);
	store_abort(txn);
}

/* An entry whose wire format is cut short, or has no event, is corrupt to the sender too. */
static void event_bytes_of_a_broken_entry_are_corrupt(void **state)
{
	struct fixture *f = *state;
	size_t len;
	uint8_t *raw = raw_entry(f->store, 2, &len);
	static const uint8_t no_event[] = {0x0a, 0x02, 0x01, 0x02, 0x18, 0x05}; /* hash, a varint */
	static const uint8_t bad_type[] = {0x13, 0x00};				/* wire type 3 */
	const struct {
		const uint8_t *p;
		size_t n;
	} cases[] = {{raw, len - 1},
		     {raw, 3},
		     {no_event, sizeof(no_event)},
		     {bad_type, sizeof(bad_type)},
		     {no_event, 0}};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		overwrite_entry(f->store, 2, cases[i].p, cases[i].n);
		struct store_txn *txn;
		ProtobufCBinaryData b = {0};
		struct eventlog_reader r;
		assert_int_equal(store_begin(f->store, false, &txn), 0);
		assert_int_equal(eventlog_reader_open(txn, &r), 0);
		assert_int_equal(eventlog_reader_bytes(&r, 2, &b), LD_ECORRUPT);
		eventlog_reader_close(&r);
		store_abort(txn);
	}
	free(raw);
}

/*
 * Re-pack entry SEQ with its event changed by RENAME (a new member or branch name), keeping its
 * prev_hash: the entry still decodes and still links to its predecessor.
 */
static void rewrite_entry_event(struct store *s, uint64_t seq, const char *rename)
{
	struct store_txn *txn;
	Ld__LogEntry *entry;
	Ld__Event *ev;

	assert_int_equal(store_begin(s, false, &txn), 0);
	assert_int_equal(eventlog_read(txn, seq, &entry, &ev), 0);
	store_abort(txn);

	char **name = NULL;
	if (ev->member_info)
		name = &ev->member_info->name;
	else if (ev->branch)
		name = &ev->branch->name;
	else
		fail_msg("entry %llu has no payload to change", (unsigned long long)seq);
	char *unpacked_name = *name;
	*name = (char *)rename;

	size_t elen = ld__event__get_packed_size(ev);
	uint8_t *ebuf = malloc(elen);
	assert_non_null(ebuf);
	ld__event__pack(ev, ebuf);

	Ld__LogEntry changed = LD__LOG_ENTRY__INIT;
	changed.prev_hash = entry->prev_hash;
	changed.event.data = ebuf;
	changed.event.len = elen;
	size_t len = ld__log_entry__get_packed_size(&changed);
	uint8_t *buf = malloc(len);
	assert_non_null(buf);
	ld__log_entry__pack(&changed, buf);
	overwrite_entry(s, seq, buf, len);
	free(buf);
	free(ebuf);

	*name = unpacked_name; /* free_unpacked frees what unpack allocated */
	ld__event__free_unpacked(ev, NULL);
	ld__log_entry__free_unpacked(entry, NULL);
}

/* ------------------------------------------------------------------------------------------ */
/* Meta                                                                                        */

static void meta_init_binds_store_to_one_site(void **state)
{
	struct fixture *f = *state;
	struct store_txn *txn;
	uint8_t log_id[LD_LOG_ID_BYTES], again[LD_LOG_ID_BYTES];
	uint8_t site_b[LD_SITE_ID_BYTES];

	assert_int_equal(store_begin(f->store, false, &txn), 0);
	assert_int_equal(meta_log_id(txn, log_id), LD_ENOTFOUND);
	store_abort(txn);

	assert_int_equal(meta_init(f->store, site_a), 0);
	assert_int_equal(store_begin(f->store, false, &txn), 0);
	assert_int_equal(meta_log_id(txn, log_id), 0);
	store_abort(txn);

	/* Same site again: accepted, and the log keeps its id. */
	assert_int_equal(meta_init(f->store, site_a), 0);
	assert_int_equal(store_begin(f->store, false, &txn), 0);
	assert_int_equal(meta_log_id(txn, again), 0);
	store_abort(txn);
	assert_memory_equal(log_id, again, LD_LOG_ID_BYTES);

	/* Another site's store: refused. */
	memcpy(site_b, site_a, sizeof(site_b));
	site_b[31] ^= 1;
	assert_int_equal(meta_init(f->store, site_b), LD_EINPUT);

	/* And the refusal changed nothing. */
	assert_int_equal(meta_init(f->store, site_a), 0);
	assert_int_equal(store_begin(f->store, false, &txn), 0);
	assert_int_equal(meta_log_id(txn, again), 0);
	store_abort(txn);
	assert_memory_equal(log_id, again, LD_LOG_ID_BYTES);
}

static void empty_log_has_zero_head_and_verifies(void **state)
{
	struct fixture *f = *state;
	static const uint8_t zero[LD_HASH_BYTES];

	assert_int_equal(meta_init(f->store, site_a), 0);
	struct eventlog_head head = read_head(f->store);
	assert_true(head.seq == 0);
	assert_memory_equal(head.hash, zero, LD_HASH_BYTES);

	struct verify_result r = run_verify(f->store);
	assert_true(r.ok);
	assert_true(r.entries == 0);
	assert_true(r.first_bad == 0);
	assert_null(r.problem);
}

/* ------------------------------------------------------------------------------------------ */
/* Committing and reading                                                                      */

static void local_commits_number_from_one(void **state)
{
	struct fixture *f = *state;

	assert_int_equal(meta_init(f->store, site_a), 0);
	assert_true(read_head(f->store).seq == 0);
	assert_int_equal(commit_branch(f->store, "b01", "第一支部", NULL), 0);
	assert_true(read_head(f->store).seq == 1);
	assert_int_equal(commit_member(f->store, "王芳", NULL), 0);
	assert_true(read_head(f->store).seq == 2);
	assert_int_equal(commit_branch(f->store, "b02", "第二支部", NULL), 0);
	assert_true(read_head(f->store).seq == 3);
}

static void aborted_commit_leaves_no_trace(void **state)
{
	struct fixture *f = *state;
	struct store_txn *txn;
	Ld__BranchInfo b = LD__BRANCH_INFO__INIT;
	Ld__Event ev = LD__EVENT__INIT;
	uint64_t seq = 0;

	struct dump before = dump_store(f->store);
	b.code = "b09";
	b.name = "never";
	ev.kind = LD__EVENT_KIND__BRANCH_ADDED;
	ev.payload_case = LD__EVENT__PAYLOAD_BRANCH;
	ev.branch = &b;
	assert_int_equal(store_begin(f->store, true, &txn), 0);
	assert_int_equal(eventlog_commit_local(txn, site_a, &ev, &seq), 0);
	assert_true(seq == 4);
	store_abort(txn);

	struct dump after = dump_store(f->store);
	assert_int_equal(after.len, before.len);
	assert_memory_equal(after.bytes, before.bytes, before.len);
	free(before.bytes);
	free(after.bytes);

	/* The next commit takes seq 4, not 5. */
	assert_int_equal(commit_branch(f->store, "b09", "now", &seq), 0);
	assert_true(seq == 4);
}

static void read_returns_local_event(void **state)
{
	struct fixture *f = *state;
	struct store_txn *txn;
	Ld__LogEntry *entry;
	Ld__Event *ev;

	assert_int_equal(store_begin(f->store, false, &txn), 0);
	for (uint64_t seq = 1; seq <= 3; seq++) {
		assert_int_equal(eventlog_read(txn, seq, NULL, &ev), 0);
		assert_int_equal(ev->origin.len, LD_SITE_ID_BYTES);
		assert_memory_equal(ev->origin.data, site_a, LD_SITE_ID_BYTES);
		assert_true(ev->origin_seq == seq);
		assert_true(ev->time_ms > 0);
		assert_string_equal(ev->operator_, "tester");
		ld__event__free_unpacked(ev, NULL);
	}

	assert_int_equal(eventlog_read(txn, 2, &entry, &ev), 0);
	assert_int_equal(ev->kind, LD__EVENT_KIND__MEMBER_REGISTERED);
	assert_int_equal(ev->payload_case, LD__EVENT__PAYLOAD_MEMBER_INFO);
	assert_string_equal(ev->member, IDNO);
	assert_string_equal(ev->member_info->id, IDNO);
	assert_string_equal(ev->member_info->name, "王芳");
	/* The entry holds the event's exact bytes. */
	Ld__Event *again = ld__event__unpack(NULL, entry->event.len, entry->event.data);
	assert_non_null(again);
	assert_string_equal(again->member_info->name, "王芳");
	ld__event__free_unpacked(again, NULL);
	ld__event__free_unpacked(ev, NULL);
	ld__log_entry__free_unpacked(entry, NULL);

	assert_int_equal(eventlog_read(txn, 3, NULL, &ev), 0);
	assert_int_equal(ev->kind, LD__EVENT_KIND__BRANCH_ADDED);
	assert_string_equal(ev->branch->code, "b02");
	assert_string_equal(ev->branch->name, "第二支部");
	ld__event__free_unpacked(ev, NULL);

	assert_int_equal(eventlog_read(txn, 0, NULL, NULL), LD_ENOTFOUND);
	assert_int_equal(eventlog_read(txn, 4, NULL, &ev), LD_ENOTFOUND);
	assert_int_equal(eventlog_read(txn, 1, NULL, NULL), 0);
	store_abort(txn);
}

static void entries_are_chained_by_sha256(void **state)
{
	struct fixture *f = *state;
	struct store_txn *txn;
	uint8_t prev[LD_HASH_BYTES] = {0};

	assert_int_equal(store_begin(f->store, false, &txn), 0);
	for (uint64_t seq = 1; seq <= 3; seq++) {
		Ld__LogEntry *entry;
		size_t len;
		assert_int_equal(eventlog_read(txn, seq, &entry, NULL), 0);
		assert_int_equal(entry->prev_hash.len, LD_HASH_BYTES);
		assert_memory_equal(entry->prev_hash.data, prev, LD_HASH_BYTES);
		ld__log_entry__free_unpacked(entry, NULL);
		uint8_t *raw = raw_entry(f->store, seq, &len);
		sha256(raw, len, prev);
		free(raw);
	}
	store_abort(txn);

	struct eventlog_head head = read_head(f->store);
	assert_true(head.seq == 3);
	assert_memory_equal(head.hash, prev, LD_HASH_BYTES);
}

static void member_state_is_home(void **state)
{
	struct fixture *f = *state;
	struct store_txn *txn;
	Ld__MemberState *st;
	Ld__BranchInfo *b;

	assert_int_equal(store_begin(f->store, false, &txn), 0);
	assert_int_equal(member_state_get(txn, IDNO, &st), 0);
	assert_string_equal(st->state, "home");
	assert_string_equal(st->info->id, IDNO);
	assert_string_equal(st->info->name, "王芳");
	assert_int_equal(st->outflow_site.len, LD_SITE_ID_BYTES);
	assert_memory_equal(st->outflow_site.data, site_a, LD_SITE_ID_BYTES);
	assert_true(st->first_seq == 2);
	assert_true(st->last_seq == 2);
	ld__member_state__free_unpacked(st, NULL);

	assert_int_equal(member_state_get(txn, "110105194912310037", &st), LD_ENOTFOUND);

	assert_int_equal(branch_get(txn, "b01", &b), 0);
	assert_string_equal(b->name, "第一支部");
	ld__branch_info__free_unpacked(b, NULL);

	/* The member's history: one event, at seq 2. */
	assert_int_equal(member_state_get(txn, IDNO, &st), 0);
	assert_int_equal(st->n_history, 1);
	assert_true(st->history[0] == 2);
	ld__member_state__free_unpacked(st, NULL);
	size_t n;

	/* A site's own events are not indexed by origin: their origin seq is their seq. */
	assert_int_equal(store_count(txn, TBL_ORIGINS, &n), 0);
	assert_int_equal(n, 0);
	store_abort(txn);
}

/* ------------------------------------------------------------------------------------------ */
/* Verification                                                                                */

static void clean_log_verifies_and_nothing_changes(void **state)
{
	struct fixture *f = *state;

	struct dump before = dump_store(f->store);
	struct eventlog_head head_before = read_head(f->store);

	struct verify_result r = run_verify(f->store);
	assert_true(r.ok);
	assert_true(r.entries == 3);
	assert_true(r.first_bad == 0);
	assert_null(r.problem);

	struct dump after = dump_store(f->store);
	struct eventlog_head head_after = read_head(f->store);
	assert_int_equal(after.len, before.len);
	assert_memory_equal(after.bytes, before.bytes, before.len);
	assert_true(head_after.seq == head_before.seq);
	assert_memory_equal(head_after.hash, head_before.hash, LD_HASH_BYTES);
	free(before.bytes);
	free(after.bytes);

	/* Twice in one transaction gives the same verdict: the first left nothing behind. */
	struct store_txn *txn;
	struct verify_result r1, r2;
	assert_int_equal(store_begin(f->store, true, &txn), 0);
	assert_int_equal(eventlog_verify(txn, &r1), 0);
	assert_int_equal(eventlog_verify(txn, &r2), 0);
	store_abort(txn);
	assert_true(r1.ok && r2.ok);
	assert_true(r2.entries == 3);
}

static void verify_in_the_committing_transaction(void **state)
{
	struct fixture *f = *state;
	struct store_txn *txn;
	struct verify_result r;
	Ld__BranchInfo b = LD__BRANCH_INFO__INIT;
	Ld__Event ev = LD__EVENT__INIT;

	b.code = "b03";
	b.name = "第三支部";
	ev.kind = LD__EVENT_KIND__BRANCH_ADDED;
	ev.payload_case = LD__EVENT__PAYLOAD_BRANCH;
	ev.branch = &b;
	assert_int_equal(store_begin(f->store, true, &txn), 0);
	assert_int_equal(eventlog_commit_local(txn, site_a, &ev, NULL), 0);
	assert_int_equal(eventlog_verify(txn, &r), 0);
	assert_true(r.ok);
	assert_true(r.entries == 4);
	assert_int_equal(store_commit(txn), 0);
	assert_true(read_head(f->store).seq == 4);
}

/* An altered entry that still decodes breaks the chain at the next entry (eventlog.h). */
static void altered_entry_breaks_chain_at_next(void **state)
{
	struct fixture *f = *state;

	rewrite_entry_event(f->store, 2, "李四");
	struct dump before = dump_store(f->store);

	struct verify_result r = run_verify(f->store);
	assert_false(r.ok);
	assert_true(r.first_bad == 3);
	assert_non_null(r.problem);
	assert_non_null(strstr(r.problem, "chain"));

	/* Verifying a bad log changes nothing either. */
	struct dump after = dump_store(f->store);
	assert_int_equal(after.len, before.len);
	assert_memory_equal(after.bytes, before.bytes, before.len);
	free(before.bytes);
	free(after.bytes);
}

/* An entry whose bytes no longer decode is itself the first bad one. */
static void undecodable_entry_is_first_bad(void **state)
{
	struct fixture *f = *state;
	static const uint8_t junk[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

	overwrite_entry(f->store, 2, junk, sizeof(junk));
	struct verify_result r = run_verify(f->store);
	assert_false(r.ok);
	assert_true(r.first_bad == 2);
	assert_non_null(r.problem);
	assert_non_null(strstr(r.problem, "decode"));

	/* And eventlog_read says so rather than returning garbage. */
	struct store_txn *txn;
	Ld__Event *ev = NULL;
	assert_int_equal(store_begin(f->store, false, &txn), 0);
	assert_int_equal(eventlog_read(txn, 2, NULL, &ev), LD_ECORRUPT);
	store_abort(txn);
}

/* An entry that decodes but whose event bytes do not is also caught at that entry. */
static void entry_with_undecodable_event_is_first_bad(void **state)
{
	struct fixture *f = *state;
	static uint8_t junk_event[] = {0xff, 0xff, 0xff, 0xff, 0xff};
	struct store_txn *txn;
	Ld__LogEntry *entry;

	assert_int_equal(store_begin(f->store, false, &txn), 0);
	assert_int_equal(eventlog_read(txn, 2, &entry, NULL), 0);
	store_abort(txn);
	Ld__LogEntry changed = LD__LOG_ENTRY__INIT;
	changed.prev_hash = entry->prev_hash;
	changed.event.data = junk_event;
	changed.event.len = sizeof(junk_event);
	uint8_t buf[128];
	assert_true(ld__log_entry__get_packed_size(&changed) <= sizeof(buf));
	size_t len = ld__log_entry__pack(&changed, buf);
	ld__log_entry__free_unpacked(entry, NULL);
	overwrite_entry(f->store, 2, buf, len);

	struct verify_result r = run_verify(f->store);
	assert_false(r.ok);
	assert_true(r.first_bad == 2);
}

/* The last entry has no successor: the head's hash is what catches it. */
static void altered_last_entry_caught_by_head(void **state)
{
	struct fixture *f = *state;

	rewrite_entry_event(f->store, 3, "改过的支部");
	struct verify_result r = run_verify(f->store);
	assert_false(r.ok);
	assert_true(r.entries == 3);
	assert_true(r.first_bad == 3);
	assert_non_null(r.problem);
}

static void removed_last_entry_caught_by_head(void **state)
{
	struct fixture *f = *state;

	remove_entry(f->store, 3);
	struct verify_result r = run_verify(f->store);
	assert_false(r.ok);
	assert_true(r.entries == 2);
	assert_true(r.first_bad == 3);
	assert_non_null(r.problem);
}

static void removed_middle_entry_caught(void **state)
{
	struct fixture *f = *state;

	remove_entry(f->store, 2);
	struct verify_result r = run_verify(f->store);
	assert_false(r.ok);
	assert_true(r.first_bad == 2);
	assert_non_null(r.problem);
}

static void altered_state_row_caught(void **state)
{
	struct fixture *f = *state;
	struct store_txn *txn;
	Ld__MemberState *st;

	assert_int_equal(store_begin(f->store, true, &txn), 0);
	assert_int_equal(member_state_get(txn, IDNO, &st), 0);
	char *keep = st->state;
	st->state = "away";
	assert_int_equal(member_state_put(txn, st), 0);
	st->state = keep;
	ld__member_state__free_unpacked(st, NULL);
	assert_int_equal(store_commit(txn), 0);

	struct dump before = dump_store(f->store);
	struct verify_result r = run_verify(f->store);
	assert_false(r.ok);
	assert_true(r.entries == 3); /* the log itself is whole */
	assert_non_null(r.problem);
	assert_non_null(strstr(r.problem, "state"));

	/* The altered row is still there: verify reports, it does not repair. */
	struct dump after = dump_store(f->store);
	assert_int_equal(after.len, before.len);
	assert_memory_equal(after.bytes, before.bytes, before.len);
	free(before.bytes);
	free(after.bytes);
}

static void extra_state_row_caught(void **state)
{
	struct fixture *f = *state;
	struct store_txn *txn;
	Ld__BranchInfo b = LD__BRANCH_INFO__INIT;
	uint8_t buf[64];

	b.code = "b77";
	b.name = "not in the log";
	size_t len = ld__branch_info__pack(&b, buf);
	assert_int_equal(store_begin(f->store, true, &txn), 0);
	assert_int_equal(store_put(txn, TBL_BRANCHES, "b77", 3, buf, len, 0), 0);
	assert_int_equal(store_commit(txn), 0);

	struct verify_result r = run_verify(f->store);
	assert_false(r.ok);
	assert_non_null(r.problem);
	assert_non_null(strstr(r.problem, "state"));
}

static void missing_member_history_row_caught(void **state)
{
	struct fixture *f = *state;
	struct store_txn *txn;
	Ld__MemberState *st;

	/* Drop the member's history list: his state no longer matches the fold of the log. */
	assert_int_equal(store_begin(f->store, true, &txn), 0);
	assert_int_equal(member_state_get(txn, IDNO, &st), 0);
	st->n_history = 0;
	assert_int_equal(member_state_put(txn, st), 0);
	st->n_history = 1;
	ld__member_state__free_unpacked(st, NULL);
	assert_int_equal(store_commit(txn), 0);

	struct verify_result r = run_verify(f->store);
	assert_false(r.ok);
	assert_non_null(r.problem);
}

/* SHA-256 of the known answers of FIPS 180-2, several times in one thread (its context reused). */
static void sha256_known_answers(void **state)
{
	(void)state;
	static const uint8_t abc[32] = {0xba, 0x78, 0x16, 0xbf, 0x8f, 0x01, 0xcf, 0xea,
					0x41, 0x41, 0x40, 0xde, 0x5d, 0xae, 0x22, 0x23,
					0xb0, 0x03, 0x61, 0xa3, 0x96, 0x17, 0x7a, 0x9c,
					0xb4, 0x10, 0xff, 0x61, 0xf2, 0x00, 0x15, 0xad};
	static const uint8_t empty[32] = {0xe3, 0xb0, 0xc4, 0x42, 0x98, 0xfc, 0x1c, 0x14,
					  0x9a, 0xfb, 0xf4, 0xc8, 0x99, 0x6f, 0xb9, 0x24,
					  0x27, 0xae, 0x41, 0xe4, 0x64, 0x9b, 0x93, 0x4c,
					  0xa4, 0x95, 0x99, 0x1b, 0x78, 0x52, 0xb8, 0x55};
	uint8_t out[32];
	for (int i = 0; i < 3; i++) {
		assert_int_equal(eventlog_sha256("abc", 3, out), 0);
		assert_memory_equal(out, abc, 32);
		assert_int_equal(eventlog_sha256("", 0, out), 0);
		assert_memory_equal(out, empty, 32);
	}
}

/* A peer's event (seq 4 here, its seq 7 at its origin), appended as sync apply appends it. */
static void append_peer_event(struct store *s, uint8_t peer[LD_SITE_ID_BYTES])
{
	memcpy(peer, site_a, LD_SITE_ID_BYTES);
	peer[0] ^= 0x80;
	Ld__BranchInfo b = LD__BRANCH_INFO__INIT;
	Ld__Event ev = LD__EVENT__INIT;
	b.code = "p01";
	b.name = "对方支部";
	ev.kind = LD__EVENT_KIND__BRANCH_ADDED;
	ev.date = 20000;
	ev.operator_ = "peer";
	ev.payload_case = LD__EVENT__PAYLOAD_BRANCH;
	ev.branch = &b;
	ev.origin.data = peer;
	ev.origin.len = LD_SITE_ID_BYTES;
	ev.origin_seq = 7;
	uint8_t buf[256];
	size_t len = ld__event__pack(&ev, buf);
	struct store_txn *txn;
	uint64_t seq = 0;
	assert_int_equal(store_begin(s, true, &txn), 0);
	assert_int_equal(eventlog_append_remote(txn, &ev, buf, len, &seq), 0);
	assert_int_equal(store_commit(txn), 0);
	assert_true(seq == 4);
}

static void removed_origins_row_caught(void **state)
{
	struct fixture *f = *state;
	struct store_txn *txn;
	uint8_t peer[LD_SITE_ID_BYTES], key[LD_SITE_ID_BYTES + 8];
	uint64_t seq = 0;

	append_peer_event(f->store, peer);
	assert_true(run_verify(f->store).ok);
	assert_int_equal(store_begin(f->store, false, &txn), 0);
	assert_int_equal(eventlog_find_origin(txn, peer, 7, &seq), 0);
	store_abort(txn);
	assert_true(seq == 4);

	memcpy(key, peer, LD_SITE_ID_BYTES);
	store_u64_key(7, key + LD_SITE_ID_BYTES);
	assert_int_equal(store_begin(f->store, true, &txn), 0);
	assert_int_equal(store_del(txn, TBL_ORIGINS, key, sizeof(key)), 0);
	assert_int_equal(store_commit(txn), 0);

	struct verify_result r = run_verify(f->store);
	assert_false(r.ok);
	assert_true(r.first_bad == 4);
	assert_non_null(r.problem);
	assert_non_null(strstr(r.problem, "origins"));
}

/* A store written before own events went unindexed has a row for each: it verifies as before. */
static void own_origins_rows_of_old_stores_verify(void **state)
{
	struct fixture *f = *state;
	struct store_txn *txn;
	uint8_t key[LD_SITE_ID_BYTES + 8], val[8];

	assert_int_equal(store_begin(f->store, true, &txn), 0);
	for (uint64_t seq = 1; seq <= 3; seq++) {
		memcpy(key, site_a, LD_SITE_ID_BYTES);
		store_u64_key(seq, key + LD_SITE_ID_BYTES);
		store_u64_key(seq, val);
		assert_int_equal(store_put(txn, TBL_ORIGINS, key, sizeof(key), val, 8, 0), 0);
	}
	assert_int_equal(store_commit(txn), 0);
	assert_true(run_verify(f->store).ok);
}

static void wrong_origins_row_caught(void **state)
{
	struct fixture *f = *state;
	struct store_txn *txn;
	uint8_t key[LD_SITE_ID_BYTES + 8], val[8];

	memcpy(key, site_a, LD_SITE_ID_BYTES);
	store_u64_key(3, key + LD_SITE_ID_BYTES);
	store_u64_key(1, val); /* points at the wrong local seq */
	assert_int_equal(store_begin(f->store, true, &txn), 0);
	assert_int_equal(store_put(txn, TBL_ORIGINS, key, sizeof(key), val, 8, 0), 0);
	assert_int_equal(store_commit(txn), 0);

	struct verify_result r = run_verify(f->store);
	assert_false(r.ok);
	assert_true(r.first_bad == 3);
}

/* ------------------------------------------------------------------------------------------ */
/* Member rows: the state's record copied from the event's bytes                              */

/* Member IDNO's row is exactly what protobuf-c packs for the state it unpacks to; *out gets it. */
static void member_row_is_its_pack(struct store *s, const char *idno, Ld__MemberState **out)
{
	struct store_txn *txn;
	struct store_val v;
	assert_int_equal(store_begin(s, false, &txn), 0);
	assert_int_equal(store_get(txn, TBL_MEMBERS, idno, strlen(idno), &v), 0);
	Ld__MemberState *st = ld__member_state__unpack(NULL, v.len, v.data);
	assert_non_null(st);
	size_t len = ld__member_state__get_packed_size(st);
	uint8_t *packed = malloc(len);
	assert_non_null(packed);
	ld__member_state__pack(st, packed);
	assert_int_equal(len, v.len);
	assert_memory_equal(packed, v.data, len);
	free(packed);
	store_abort(txn);
	*out = st;
}

static void fill_outflow(Ld__OutflowInfo *of, Ld__MemberInfo *mi, const uint8_t *inflow)
{
	of->member = mi;
	of->reason = "work";
	of->inflow_site.data = (uint8_t *)inflow;
	of->inflow_site.len = LD_SITE_ID_BYTES;
	of->inflow_name = "南京";
	of->place = "南京市江宁区";
	of->from = 20100;
	of->until = INT32_MIN;
	of->employer = "某某公司";
	of->outflow_name = "昆山";
}

static void member_rows_are_what_packing_writes(void **state)
{
	struct fixture *f = *state;
	Ld__MemberState *st;
	/* member.registered: his record is the event's */
	member_row_is_its_pack(f->store, IDNO, &st);
	assert_string_equal(st->info->name, "王芳");
	ld__member_state__free_unpacked(st, NULL);

	/* outflow.registered: his record and the registration, without the record in it */
	uint8_t inflow[LD_SITE_ID_BYTES];
	memset(inflow, 0x5a, sizeof(inflow));
	Ld__MemberInfo mi = LD__MEMBER_INFO__INIT;
	fill_member_info(&mi, "王芳芳");
	Ld__OutflowInfo of = LD__OUTFLOW_INFO__INIT;
	fill_outflow(&of, &mi, inflow);
	Ld__Event ev = LD__EVENT__INIT;
	ev.kind = LD__EVENT_KIND__OUTFLOW_REGISTERED;
	ev.date = 20100;
	ev.member = IDNO;
	ev.operator_ = "tester";
	ev.payload_case = LD__EVENT__PAYLOAD_OUTFLOW;
	ev.outflow = &of;
	struct store_txn *txn;
	uint64_t seq;
	assert_int_equal(store_begin(f->store, true, &txn), 0);
	assert_int_equal(eventlog_commit_local(txn, site_a, &ev, &seq), 0);
	assert_int_equal(store_commit(txn), 0);
	member_row_is_its_pack(f->store, IDNO, &st);
	assert_string_equal(st->state, "away");
	assert_string_equal(st->info->name, "王芳芳");
	assert_non_null(st->outflow);
	assert_null(st->outflow->member);
	assert_string_equal(st->outflow->employer, "某某公司");
	assert_memory_equal(st->outflow->inflow_site.data, inflow, LD_SITE_ID_BYTES);
	assert_int_equal(st->n_history, 2);
	assert_true(st->history[1] == seq);
	ld__member_state__free_unpacked(st, NULL);
	assert_true(run_verify(f->store).ok);
}

/* A length-delimited field NUMBER holding BYTES, appended at OUT; returns its end. */
static uint8_t *put_len_field(uint8_t *out, uint32_t number, const uint8_t *bytes, size_t len)
{
	*out++ = (uint8_t)(number << 3 | 2);
	assert_true(len < 16384);
	if (len >= 128) {
		*out++ = (uint8_t)(len | 0x80);
		*out++ = (uint8_t)(len >> 7);
	} else {
		*out++ = (uint8_t)len;
	}
	memcpy(out, bytes, len);
	return out + len;
}

/*
 * A peer's registration out of member IDNO as a peer may send it, not as protobuf-c packs it:
 * RECORD_LAST puts his record after the registration's other fields; else his record carries its
 * name twice (the second wins). Appended at S as the peer's ORIGIN_SEQ.
 */
static void append_odd_registration(struct store *s, const char *idno, uint64_t origin_seq,
				    bool record_last)
{
	uint8_t peer[LD_SITE_ID_BYTES];
	memcpy(peer, site_a, LD_SITE_ID_BYTES);
	peer[0] ^= 0x80;
	Ld__MemberInfo mi = LD__MEMBER_INFO__INIT;
	fill_member_info(&mi, "李雷");
	mi.id = (char *)idno;
	Ld__OutflowInfo of = LD__OUTFLOW_INFO__INIT;
	fill_outflow(&of, NULL, site_a);
	Ld__Event ev = LD__EVENT__INIT;
	ev.origin.data = peer;
	ev.origin.len = LD_SITE_ID_BYTES;
	ev.origin_seq = origin_seq;
	ev.kind = LD__EVENT_KIND__OUTFLOW_REGISTERED;
	ev.date = 20100;
	ev.member = (char *)idno;
	ev.operator_ = "peer";
	static uint8_t bytes[4096], record[512], rest[512], payload[1100];
	size_t len = ld__event__pack(&ev, bytes); /* no payload yet: fields 1-7 */
	size_t rlen = ld__member_info__pack(&mi, record);
	if (!record_last)
		rlen = (size_t)(put_len_field(record + rlen, 2, (const uint8_t *)"韩梅梅", 9) -
				record);
	size_t restlen = ld__outflow_info__pack(&of, rest);
	uint8_t *p = payload;
	if (record_last) {
		memcpy(p, rest, restlen);
		p = put_len_field(p + restlen, 1, record, rlen);
	} else {
		p = put_len_field(p, 1, record, rlen);
		memcpy(p, rest, restlen);
		p += restlen;
	}
	len = (size_t)(put_len_field(bytes + len, LD__EVENT__PAYLOAD_OUTFLOW, payload,
				     (size_t)(p - payload)) -
		       bytes);
	Ld__Event *got = ld__event__unpack(NULL, len, bytes);
	assert_non_null(got);
	assert_int_equal(got->payload_case, LD__EVENT__PAYLOAD_OUTFLOW);
	struct store_txn *txn;
	uint64_t seq;
	assert_int_equal(store_begin(s, true, &txn), 0);
	assert_int_equal(eventlog_append_remote(txn, got, bytes, len, &seq), 0);
	assert_int_equal(store_commit(txn), 0);
	ld__event__free_unpacked(got, NULL);
}

static void a_peers_registration_packed_otherwise_folds_the_same(void **state)
{
	struct fixture *f = *state;
	/* His record last: his state is packed whole. */
	append_odd_registration(f->store, "110105194912310037", 7, true);
	Ld__MemberState *st;
	member_row_is_its_pack(f->store, "110105194912310037", &st);
	assert_string_equal(st->state, "away");
	assert_string_equal(st->info->name, "李雷");
	assert_null(st->outflow->member);
	assert_string_equal(st->outflow->place, "南京市江宁区");
	ld__member_state__free_unpacked(st, NULL);

	/* His name twice: the state holds the bytes as sent, which say what unpacking says. */
	const char *idno = "110105194912310045";
	append_odd_registration(f->store, idno, 8, false);
	struct store_txn *txn;
	assert_int_equal(store_begin(f->store, false, &txn), 0);
	assert_int_equal(member_state_get(txn, idno, &st), 0);
	store_abort(txn);
	assert_string_equal(st->info->name, "韩梅梅");
	assert_string_equal(st->outflow->employer, "某某公司");
	ld__member_state__free_unpacked(st, NULL);
	/* verify folds the same bytes again: the state tables agree */
	struct verify_result r = run_verify(f->store);
	assert_true(r.ok);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(meta_init_binds_store_to_one_site, setup_empty,
					    teardown),
	    cmocka_unit_test_setup_teardown(empty_log_has_zero_head_and_verifies, setup_empty,
					    teardown),
	    cmocka_unit_test_setup_teardown(local_commits_number_from_one, setup_empty, teardown),
	    cmocka_unit_test_setup_teardown(spliced_event_is_packed_as_protobuf_c_packs_it,
					    setup_empty, teardown),
	    cmocka_unit_test_setup_teardown(aborted_commit_leaves_no_trace, setup_three, teardown),
	    cmocka_unit_test_setup_teardown(read_returns_local_event, setup_three, teardown),
	    cmocka_unit_test_setup_teardown(event_bytes_are_the_entrys_event, setup_three,
					    teardown),
	    cmocka_unit_test_setup_teardown(reader_steps_over_a_missing_entry, setup_three,
					    teardown),
	    cmocka_unit_test_setup_teardown(event_bytes_of_a_broken_entry_are_corrupt, setup_three,
					    teardown),
	    cmocka_unit_test_setup_teardown(entries_are_chained_by_sha256, setup_three, teardown),
	    cmocka_unit_test_setup_teardown(member_state_is_home, setup_three, teardown),
	    cmocka_unit_test_setup_teardown(clean_log_verifies_and_nothing_changes, setup_three,
					    teardown),
	    cmocka_unit_test_setup_teardown(verify_in_the_committing_transaction, setup_three,
					    teardown),
	    cmocka_unit_test_setup_teardown(altered_entry_breaks_chain_at_next, setup_three,
					    teardown),
	    cmocka_unit_test_setup_teardown(undecodable_entry_is_first_bad, setup_three, teardown),
	    cmocka_unit_test_setup_teardown(entry_with_undecodable_event_is_first_bad, setup_three,
					    teardown),
	    cmocka_unit_test_setup_teardown(altered_last_entry_caught_by_head, setup_three,
					    teardown),
	    cmocka_unit_test_setup_teardown(removed_last_entry_caught_by_head, setup_three,
					    teardown),
	    cmocka_unit_test_setup_teardown(removed_middle_entry_caught, setup_three, teardown),
	    cmocka_unit_test_setup_teardown(altered_state_row_caught, setup_three, teardown),
	    cmocka_unit_test_setup_teardown(extra_state_row_caught, setup_three, teardown),
	    cmocka_unit_test_setup_teardown(missing_member_history_row_caught, setup_three,
					    teardown),
	    cmocka_unit_test(sha256_known_answers),
	    cmocka_unit_test_setup_teardown(removed_origins_row_caught, setup_three, teardown),
	    cmocka_unit_test_setup_teardown(own_origins_rows_of_old_stores_verify, setup_three,
					    teardown),
	    cmocka_unit_test_setup_teardown(wrong_origins_row_caught, setup_three, teardown),
	    cmocka_unit_test_setup_teardown(member_rows_are_what_packing_writes, setup_three,
					    teardown),
	    cmocka_unit_test_setup_teardown(a_peers_registration_packed_otherwise_folds_the_same,
					    setup_three, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
