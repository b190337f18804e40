/*
 * test_store.c: the LMDB store behind store.h, in a fresh mkdtemp directory per test.
 *
 * What the rest of the daemon relies on: puts, gets and deletes with the documented errors,
 * cursors in numeric order over big-endian u64 keys, child transactions that vanish on abort and
 * join on commit, durability across close and reopen, private file modes, a preallocated data
 * file, the count of a transaction's changes, map growth after LD_EMAPFULL, and readers in other
 * threads seeing committed data (and holding off a map resize).
 */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "store.h"
#include "lderr.h"

struct fixture {
	char dir[64];
	struct store *store;
};

static void remove_dir(const char *dir)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/data.mdb", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/lock.mdb", dir);
	unlink(path);
	rmdir(dir);
}

static int open_fixture(void **state, size_t map_size)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	strcpy(f->dir, "/tmp/ld-test-store-XXXXXX");
	if (!mkdtemp(f->dir) || store_open(f->dir, map_size, 0, &f->store) != 0) {
		free(f);
		return -1;
	}
	*state = f;
	return 0;
}

static int setup(void **state)
{
	return open_fixture(state, 0);
}

static int setup_small_map(void **state)
{
	return open_fixture(state, 1u << 20);
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	store_close(f->store);
	remove_dir(f->dir);
	free(f);
	return 0;
}

/* Put K -> V in its own committed write transaction. */
static void put_committed(struct store *s, enum store_table t, const char *k, const char *v)
{
	struct store_txn *txn;

	assert_int_equal(store_begin(s, true, &txn), 0);
	assert_int_equal(store_put(txn, t, k, strlen(k), v, strlen(v), 0), 0);
	assert_int_equal(store_commit(txn), 0);
}

/* Assert that K holds V (or is absent if V is NULL), seen from a fresh read transaction. */
static void assert_committed(struct store *s, enum store_table t, const char *k, const char *v)
{
	struct store_txn *txn;
	struct store_val got;

	assert_int_equal(store_begin(s, false, &txn), 0);
	int rc = store_get(txn, t, k, strlen(k), &got);
	if (v) {
		assert_int_equal(rc, 0);
		assert_int_equal(got.len, strlen(v));
		assert_memory_equal(got.data, v, got.len);
	} else {
		assert_int_equal(rc, LD_ENOTFOUND);
	}
	store_abort(txn);
}

/* ------------------------------------------------------------------------------------------ */
/* Keys and values                                                                             */

static void u64_keys_are_big_endian(void **state)
{
	uint8_t k[8];

	(void)state;
	store_u64_key(0x0102030405060708ull, k);
	static const uint8_t want[8] = {1, 2, 3, 4, 5, 6, 7, 8};
	assert_memory_equal(k, want, 8);
	assert_true(store_u64_from(k) == 0x0102030405060708ull);
	store_u64_key(UINT64_MAX, k);
	assert_true(store_u64_from(k) == UINT64_MAX);
	store_u64_key(0, k);
	assert_true(store_u64_from(k) == 0);
}

/* A value written into the room the store gives is the value read back, after the commit too;
 * the flags hold as for store_put. */
static void put_reserved_is_read_back(void **state)
{
	struct fixture *f = *state;
	struct store_txn *txn;
	struct store_val v;
	void *room;

	assert_int_equal(store_begin(f->store, true, &txn), 0);
	assert_int_equal(store_put_reserved(txn, TBL_PEERS, "nanjing", 7, 6, 0, &room), 0);
	assert_non_null(room);
	memcpy(room, "addr-1", 6);
	assert_int_equal(store_put(txn, TBL_PEERS, "beijing", 7, "addr-2", 6, 0), 0);
	assert_int_equal(
	    store_put_reserved(txn, TBL_PEERS, "nanjing", 7, 3, STORE_NOOVERWRITE, &room),
	    LD_EEXIST);
	assert_null(room);
	assert_int_equal(store_put_reserved(txn, TBL_PEERS, "", 0, 3, 0, &room), LD_EINPUT);
	assert_int_equal(store_commit(txn), 0);

	assert_int_equal(store_begin(f->store, false, &txn), 0);
	assert_int_equal(store_get(txn, TBL_PEERS, "nanjing", 7, &v), 0);
	assert_int_equal(v.len, 6);
	assert_memory_equal(v.data, "addr-1", 6);
	store_abort(txn);
}

static void put_get_del(void **state)
{
	struct fixture *f = *state;
	struct store_txn *txn;
	struct store_val v;

	assert_int_equal(store_begin(f->store, true, &txn), 0);
	assert_int_equal(store_put(txn, TBL_PEERS, "nanjing", 7, "addr-1", 6, 0), 0);
	assert_int_equal(store_get(txn, TBL_PEERS, "nanjing", 7, &v), 0);
	assert_int_equal(v.len, 6);
	assert_memory_equal(v.data, "addr-1", 6);

	/* Overwrite by default. */
	assert_int_equal(store_put(txn, TBL_PEERS, "nanjing", 7, "addr-22", 7, 0), 0);
	assert_int_equal(store_get(txn, TBL_PEERS, "nanjing", 7, &v), 0);
	assert_int_equal(v.len, 7);
	assert_memory_equal(v.data, "addr-22", 7);

	/* Tables are separate: the same key elsewhere is absent. */
	assert_int_equal(store_get(txn, TBL_BRANCHES, "nanjing", 7, &v), LD_ENOTFOUND);

	/* An empty value is a value. */
	assert_int_equal(store_put(txn, TBL_PEERS, "empty", 5, "", 0, 0), 0);
	assert_int_equal(store_get(txn, TBL_PEERS, "empty", 5, &v), 0);
	assert_int_equal(v.len, 0);

	/* NULL val: an existence check. */
	assert_int_equal(store_get(txn, TBL_PEERS, "empty", 5, NULL), 0);

	assert_int_equal(store_del(txn, TBL_PEERS, "nanjing", 7), 0);
	assert_int_equal(store_get(txn, TBL_PEERS, "nanjing", 7, &v), LD_ENOTFOUND);
	assert_int_equal(store_del(txn, TBL_PEERS, "nanjing", 7), LD_ENOTFOUND);
	assert_int_equal(store_commit(txn), 0);

	assert_committed(f->store, TBL_PEERS, "nanjing", NULL);
	assert_committed(f->store, TBL_PEERS, "empty", "");
}

static void nooverwrite_is_eexist_and_keeps_old(void **state)
{
	struct fixture *f = *state;
	struct store_txn *txn;
	struct store_val v;

	put_committed(f->store, TBL_PEERS, "k", "first");
	assert_int_equal(store_begin(f->store, true, &txn), 0);
	assert_int_equal(store_put(txn, TBL_PEERS, "k", 1, "second", 6, STORE_NOOVERWRITE),
			 LD_EEXIST);
	assert_int_equal(store_get(txn, TBL_PEERS, "k", 1, &v), 0);
	assert_int_equal(v.len, 5);
	assert_memory_equal(v.data, "first", 5);
	/* A new key with the flag goes in. */
	assert_int_equal(store_put(txn, TBL_PEERS, "j", 1, "new", 3, STORE_NOOVERWRITE), 0);
	assert_int_equal(store_commit(txn), 0);
	assert_committed(f->store, TBL_PEERS, "k", "first");
	assert_committed(f->store, TBL_PEERS, "j", "new");
}

static void missing_key_is_enoent(void **state)
{
	struct fixture *f = *state;
	struct store_txn *txn;
	struct store_val v = {.data = "untouched", .len = 9};

	assert_int_equal(store_begin(f->store, false, &txn), 0);
	assert_int_equal(store_get(txn, TBL_MEMBERS, "11010519491231002X", 18, &v), LD_ENOTFOUND);
	assert_int_equal(v.len, 9);
	store_abort(txn);
}

static void read_txn_refuses_writes(void **state)
{
	struct fixture *f = *state;
	struct store_txn *txn;

	assert_int_equal(store_begin(f->store, false, &txn), 0);
	int rc = store_put(txn, TBL_PEERS, "k", 1, "v", 1, 0);
	assert_true(rc < 0);
	store_abort(txn);
	assert_committed(f->store, TBL_PEERS, "k", NULL);
}

/* ------------------------------------------------------------------------------------------ */
/* Cursors and counts                                                                          */

static const uint64_t cursor_keys[] = {1, 2, 9, 10, 255, 256, 1000, 65536, 1ull << 40};
#define N_CURSOR_KEYS (sizeof(cursor_keys) / sizeof(cursor_keys[0]))

static void fill_u64_table(struct store *s)
{
	struct store_txn *txn;
	uint8_t k[8];

	assert_int_equal(store_begin(s, true, &txn), 0);
	/* Inserted out of order: the order read back is the table's, not the insertion's. */
	for (size_t i = N_CURSOR_KEYS; i-- > 0;) {
		size_t j = (i * 5) % N_CURSOR_KEYS;
		store_u64_key(cursor_keys[j], k);
		uint64_t val = cursor_keys[j] * 3;
		assert_int_equal(store_put(txn, TBL_AUDIT, k, 8, &val, sizeof(val), 0), 0);
	}
	assert_int_equal(store_commit(txn), 0);
}

static uint64_t val_u64(const struct store_val *v)
{
	uint64_t x;

	assert_int_equal(v->len, sizeof(x));
	memcpy(&x, v->data, sizeof(x));
	return x;
}

static void cursor_walks_in_numeric_order(void **state)
{
	struct fixture *f = *state;
	struct store_txn *txn;
	struct store_cursor *c;
	struct store_val k, v;
	size_t n;

	fill_u64_table(f->store);
	assert_int_equal(store_begin(f->store, false, &txn), 0);
	assert_int_equal(store_count(txn, TBL_AUDIT, &n), 0);
	assert_int_equal(n, N_CURSOR_KEYS);
	assert_int_equal(store_count(txn, TBL_PEERS, &n), 0);
	assert_int_equal(n, 0);

	assert_int_equal(store_cursor_open(txn, TBL_AUDIT, &c), 0);

	/* FIRST then NEXT: ascending, then LD_ENOTFOUND past the end. */
	size_t i = 0;
	for (int rc = store_cursor_get(c, STORE_FIRST, &k, &v); rc == 0;
	     rc = store_cursor_get(c, STORE_NEXT, &k, &v), i++) {
		assert_true(i < N_CURSOR_KEYS);
		assert_int_equal(k.len, 8);
		assert_true(store_u64_from(k.data) == cursor_keys[i]);
		assert_true(val_u64(&v) == cursor_keys[i] * 3);
	}
	assert_int_equal(i, N_CURSOR_KEYS);
	assert_int_equal(store_cursor_get(c, STORE_NEXT, &k, &v), LD_ENOTFOUND);

	/* LAST then PREV: descending, then LD_ENOTFOUND past the start. */
	i = N_CURSOR_KEYS;
	for (int rc = store_cursor_get(c, STORE_LAST, &k, &v); rc == 0;
	     rc = store_cursor_get(c, STORE_PREV, &k, &v)) {
		assert_true(i > 0);
		i--;
		assert_true(store_u64_from(k.data) == cursor_keys[i]);
	}
	assert_int_equal(i, 0);

	/* SET_RANGE: the first key >= the one given. */
	uint8_t seek[8];
	store_u64_key(11, seek);
	k.data = seek;
	k.len = 8;
	assert_int_equal(store_cursor_get(c, STORE_SET_RANGE, &k, &v), 0);
	assert_true(store_u64_from(k.data) == 255);
	assert_true(val_u64(&v) == 255 * 3);
	assert_int_equal(store_cursor_get(c, STORE_NEXT, &k, &v), 0);
	assert_true(store_u64_from(k.data) == 256);

	store_u64_key(1000, seek); /* an exact hit */
	k.data = seek;
	k.len = 8;
	assert_int_equal(store_cursor_get(c, STORE_SET_RANGE, &k, &v), 0);
	assert_true(store_u64_from(k.data) == 1000);

	store_u64_key((1ull << 40) + 1, seek); /* past the last key */
	k.data = seek;
	k.len = 8;
	assert_int_equal(store_cursor_get(c, STORE_SET_RANGE, &k, &v), LD_ENOTFOUND);

	store_cursor_close(c);
	store_abort(txn);
}

static void cursor_on_empty_table(void **state)
{
	struct fixture *f = *state;
	struct store_txn *txn;
	struct store_cursor *c;
	struct store_val k, v;

	assert_int_equal(store_begin(f->store, false, &txn), 0);
	assert_int_equal(store_cursor_open(txn, TBL_LOG, &c), 0);
	assert_int_equal(store_cursor_get(c, STORE_FIRST, &k, &v), LD_ENOTFOUND);
	assert_int_equal(store_cursor_get(c, STORE_LAST, &k, &v), LD_ENOTFOUND);
	store_cursor_close(c);
	store_abort(txn);
}

static void append_in_order_and_refused_out_of_order(void **state)
{
	struct fixture *f = *state;
	struct store_txn *txn;
	uint8_t k[8];
	size_t n;

	assert_int_equal(store_begin(f->store, true, &txn), 0);
	for (uint64_t seq = 1; seq <= 300; seq++) {
		store_u64_key(seq, k);
		assert_int_equal(store_put(txn, TBL_LOG, k, 8, "e", 1, STORE_APPEND), 0);
	}
	store_u64_key(5, k);
	assert_true(store_put(txn, TBL_LOG, k, 8, "x", 1, STORE_APPEND) < 0);
	assert_int_equal(store_count(txn, TBL_LOG, &n), 0);
	assert_int_equal(n, 300);
	store_abort(txn);
}

/* ------------------------------------------------------------------------------------------ */
/* Transactions                                                                                */

static void child_abort_leaves_parent_unchanged(void **state)
{
	struct fixture *f = *state;
	struct store_txn *txn, *child;
	struct store_val v;
	size_t n;

	put_committed(f->store, TBL_BRANCHES, "b1", "one");
	assert_int_equal(store_begin(f->store, true, &txn), 0);
	assert_int_equal(store_put(txn, TBL_BRANCHES, "b2", 2, "two", 3, 0), 0);

	assert_int_equal(store_begin_child(txn, &child), 0);
	assert_int_equal(store_put(child, TBL_BRANCHES, "b3", 2, "three", 5, 0), 0);
	assert_int_equal(store_put(child, TBL_BRANCHES, "b2", 2, "TWO", 3, 0), 0);
	assert_int_equal(store_del(child, TBL_BRANCHES, "b1", 2), 0);
	/* The child sees its own writes... */
	assert_int_equal(store_get(child, TBL_BRANCHES, "b3", 2, &v), 0);
	assert_int_equal(store_get(child, TBL_BRANCHES, "b1", 2, &v), LD_ENOTFOUND);
	store_abort(child);

	/* ...and after its abort the parent is exactly as before. */
	assert_int_equal(store_get(txn, TBL_BRANCHES, "b3", 2, &v), LD_ENOTFOUND);
	assert_int_equal(store_get(txn, TBL_BRANCHES, "b2", 2, &v), 0);
	assert_memory_equal(v.data, "two", 3);
	assert_int_equal(store_get(txn, TBL_BRANCHES, "b1", 2, &v), 0);
	assert_memory_equal(v.data, "one", 3);
	assert_int_equal(store_count(txn, TBL_BRANCHES, &n), 0);
	assert_int_equal(n, 2);
	assert_int_equal(store_commit(txn), 0);

	assert_committed(f->store, TBL_BRANCHES, "b1", "one");
	assert_committed(f->store, TBL_BRANCHES, "b2", "two");
	assert_committed(f->store, TBL_BRANCHES, "b3", NULL);
}

static void child_commit_joins_parent(void **state)
{
	struct fixture *f = *state;
	struct store_txn *txn, *child;
	struct store_val v;

	put_committed(f->store, TBL_BRANCHES, "b1", "one");
	assert_int_equal(store_begin(f->store, true, &txn), 0);
	assert_int_equal(store_begin_child(txn, &child), 0);
	assert_int_equal(store_put(child, TBL_BRANCHES, "b3", 2, "three", 5, 0), 0);
	assert_int_equal(store_del(child, TBL_BRANCHES, "b1", 2), 0);
	assert_int_equal(store_commit(child), 0);

	assert_int_equal(store_get(txn, TBL_BRANCHES, "b3", 2, &v), 0);
	assert_memory_equal(v.data, "three", 5);
	assert_int_equal(store_get(txn, TBL_BRANCHES, "b1", 2, &v), LD_ENOTFOUND);

	/* A second child after the first: sees the joined changes. */
	assert_int_equal(store_begin_child(txn, &child), 0);
	assert_int_equal(store_get(child, TBL_BRANCHES, "b3", 2, &v), 0);
	store_abort(child);

	/* Not visible to readers until the parent commits. */
	assert_committed(f->store, TBL_BRANCHES, "b3", NULL);
	assert_int_equal(store_commit(txn), 0);
	assert_committed(f->store, TBL_BRANCHES, "b3", "three");
	assert_committed(f->store, TBL_BRANCHES, "b1", NULL);
}

static void parent_abort_discards_committed_child(void **state)
{
	struct fixture *f = *state;
	struct store_txn *txn, *child;

	assert_int_equal(store_begin(f->store, true, &txn), 0);
	assert_int_equal(store_begin_child(txn, &child), 0);
	assert_int_equal(store_put(child, TBL_BRANCHES, "b9", 2, "nine", 4, 0), 0);
	assert_int_equal(store_commit(child), 0);
	store_abort(txn);
	assert_committed(f->store, TBL_BRANCHES, "b9", NULL);
}

/* ------------------------------------------------------------------------------------------ */
/* Late values (store_put_late): the log's head, put once per commit                          */

static void expect_val(struct store_txn *txn, enum store_table t, const char *k, const char *v)
{
	struct store_val got;
	int rc = store_get(txn, t, k, strlen(k), &got);
	if (!v) {
		assert_int_equal(rc, LD_ENOTFOUND);
		return;
	}
	assert_int_equal(rc, 0);
	assert_int_equal(got.len, strlen(v));
	assert_memory_equal(got.data, v, got.len);
}

static void late_value_is_read_back_and_committed(void **state)
{
	struct fixture *f = *state;
	struct store_txn *txn;

	put_committed(f->store, TBL_META, "head", "h0");
	assert_int_equal(store_begin(f->store, true, &txn), 0);
	assert_int_equal(store_put_late(txn, TBL_META, "head", 4, "h1", 2), 0);
	expect_val(txn, TBL_META, "head", "h1");
	assert_int_equal(store_put_late(txn, TBL_META, "head", 4, "h22", 3), 0);
	expect_val(txn, TBL_META, "head", "h22");
	/* Other keys of the table are LMDB's as ever. */
	assert_int_equal(store_put(txn, TBL_META, "k", 1, "v", 1, 0), 0);
	expect_val(txn, TBL_META, "k", "v");
	/* Not in the store before the commit, the last one after it. */
	assert_committed(f->store, TBL_META, "head", "h0");
	assert_int_equal(store_commit(txn), 0);
	assert_committed(f->store, TBL_META, "head", "h22");
	assert_committed(f->store, TBL_META, "k", "v");

	/* An aborted transaction's late value is lost with it. */
	assert_int_equal(store_begin(f->store, true, &txn), 0);
	assert_int_equal(store_put_late(txn, TBL_META, "head", 4, "lost", 4), 0);
	store_abort(txn);
	assert_committed(f->store, TBL_META, "head", "h22");

	/* Too large for a late value: refused, nothing held. */
	char big[65] = {0};
	assert_int_equal(store_begin(f->store, true, &txn), 0);
	assert_int_equal(store_put_late(txn, TBL_META, "head", 4, big, sizeof(big)), LD_EINPUT);
	expect_val(txn, TBL_META, "head", "h22");
	store_abort(txn);
}

static void late_value_is_superseded_by_put_del_and_another_key(void **state)
{
	struct fixture *f = *state;
	struct store_txn *txn;

	assert_int_equal(store_begin(f->store, true, &txn), 0);
	assert_int_equal(store_put_late(txn, TBL_META, "head", 4, "late", 4), 0);
	/* "Only if not there": it is there, late. */
	assert_int_equal(store_put(txn, TBL_META, "head", 4, "put", 3, STORE_NOOVERWRITE),
			 LD_EEXIST);
	expect_val(txn, TBL_META, "head", "late");
	assert_int_equal(store_put(txn, TBL_META, "head", 4, "put", 3, 0), 0);
	expect_val(txn, TBL_META, "head", "put");
	assert_int_equal(store_commit(txn), 0);
	assert_committed(f->store, TBL_META, "head", "put"); /* not the late one, put after it */

	assert_int_equal(store_begin(f->store, true, &txn), 0);
	assert_int_equal(store_put_late(txn, TBL_META, "head", 4, "late", 4), 0);
	assert_int_equal(store_del(txn, TBL_META, "head", 4), 0);
	expect_val(txn, TBL_META, "head", NULL);
	assert_int_equal(store_commit(txn), 0);
	assert_committed(f->store, TBL_META, "head", NULL);

	/* A late put of another key puts the one held first: both are there. */
	assert_int_equal(store_begin(f->store, true, &txn), 0);
	assert_int_equal(store_put_late(txn, TBL_META, "a", 1, "1", 1), 0);
	assert_int_equal(store_put_late(txn, TBL_PEERS, "a", 1, "2", 1), 0);
	expect_val(txn, TBL_META, "a", "1");
	expect_val(txn, TBL_PEERS, "a", "2");
	assert_int_equal(store_commit(txn), 0);
	assert_committed(f->store, TBL_META, "a", "1");
	assert_committed(f->store, TBL_PEERS, "a", "2");
}

static void late_value_follows_children(void **state)
{
	struct fixture *f = *state;
	struct store_txn *txn, *child;

	assert_int_equal(store_begin(f->store, true, &txn), 0);
	assert_int_equal(store_put_late(txn, TBL_META, "head", 4, "p", 1), 0);
	/* A child sees its parent's; an aborted child's own is dropped. */
	assert_int_equal(store_begin_child(txn, &child), 0);
	expect_val(child, TBL_META, "head", "p");
	assert_int_equal(store_put_late(child, TBL_META, "head", 4, "c1", 2), 0);
	expect_val(child, TBL_META, "head", "c1");
	store_abort(child);
	expect_val(txn, TBL_META, "head", "p");
	/* A committed child's becomes the parent's. */
	assert_int_equal(store_begin_child(txn, &child), 0);
	assert_int_equal(store_put_late(child, TBL_META, "head", 4, "c2", 2), 0);
	assert_int_equal(store_commit(child), 0);
	expect_val(txn, TBL_META, "head", "c2");
	assert_int_equal(store_commit(txn), 0);
	assert_committed(f->store, TBL_META, "head", "c2");
}

static void data_survives_close_and_reopen(void **state)
{
	struct fixture *f = *state;

	put_committed(f->store, TBL_MEMBERS, "11010519491231002X", "state");
	put_committed(f->store, TBL_META, "schema", "1");
	store_close(f->store);
	f->store = NULL;
	assert_int_equal(store_open(f->dir, 0, 0, &f->store), 0);
	assert_committed(f->store, TBL_MEMBERS, "11010519491231002X", "state");
	assert_committed(f->store, TBL_META, "schema", "1");
	assert_committed(f->store, TBL_META, "head", NULL);
}

static void uncommitted_data_is_lost_on_close(void **state)
{
	struct fixture *f = *state;
	struct store_txn *txn;

	assert_int_equal(store_begin(f->store, true, &txn), 0);
	assert_int_equal(store_put(txn, TBL_META, "k", 1, "v", 1, 0), 0);
	store_abort(txn);
	store_close(f->store);
	f->store = NULL;
	assert_int_equal(store_open(f->dir, 0, 0, &f->store), 0);
	assert_committed(f->store, TBL_META, "k", NULL);
}

/* stat(2) of the file NAME in the store's directory, which must exist. */
static void stat_store_file(const struct fixture *f, const char *name, struct stat *st)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/%s", f->dir, name);
	assert_int_equal(stat(path, st), 0);
}

static void data_file_is_private(void **state)
{
	struct fixture *f = *state;
	struct stat st;

	put_committed(f->store, TBL_META, "k", "v");
	stat_store_file(f, "data.mdb", &st);
	assert_int_equal(st.st_mode & 07777, 0600);
	stat_store_file(f, "lock.mdb", &st);
	assert_int_equal(st.st_mode & 07777, 0600);
}

static void open_missing_dir_fails(void **state)
{
	struct store *s = NULL;

	(void)state;
	assert_int_equal(store_open("/tmp/ld-test-store-does-not-exist/x", 0, 0, &s), LD_ENOTFOUND);
	assert_null(s);
	store_close(NULL); /* NULL allowed */
}

/* ------------------------------------------------------------------------------------------ */
/* Map growth                                                                                  */

#define GROW_VALUE 2000

/* Put keys 0..N-1 with GROW_VALUE-byte values; stop at the first error and return it. */
static int put_many(struct store_txn *txn, unsigned n, unsigned *done)
{
	static uint8_t value[GROW_VALUE];
	uint8_t k[8];

	for (unsigned i = 0; i < n; i++) {
		store_u64_key(i, k);
		memset(value, (int)(i & 0xff), sizeof(value));
		int rc = store_put(txn, TBL_AUDIT, k, 8, value, sizeof(value), 0);
		if (rc) {
			*done = i;
			return rc;
		}
	}
	*done = n;
	return 0;
}

static void map_full_then_grow_then_retry(void **state)
{
	struct fixture *f = *state;
	struct store_txn *txn;
	unsigned done = 0;
	size_t n;

	size_t before = store_map_size(f->store);
	assert_int_equal(before, 1u << 20);

	/* 1 MiB holds well under 1000 values of 2000 bytes: the put or the commit runs out. */
	assert_int_equal(store_begin(f->store, true, &txn), 0);
	int rc = put_many(txn, 1000, &done);
	if (rc == 0) {
		rc = store_commit(txn);
	} else {
		assert_true(done > 0 && done < 1000);
		store_abort(txn);
	}
	assert_int_equal(rc, LD_EMAPFULL);

	/* Nothing of the failed transaction is there. */
	assert_int_equal(store_begin(f->store, false, &txn), 0);
	assert_int_equal(store_count(txn, TBL_AUDIT, &n), 0);
	assert_int_equal(n, 0);
	store_abort(txn);

	/* Grow until the same transaction fits; each growth doubles the map. */
	size_t size = before;
	for (int attempt = 0;; attempt++) {
		assert_true(attempt < 4);
		assert_int_equal(store_grow(f->store), 0);
		assert_int_equal(store_map_size(f->store), size * 2);
		size *= 2;
		assert_int_equal(store_begin(f->store, true, &txn), 0);
		rc = put_many(txn, 1000, &done);
		if (rc == 0) {
			rc = store_commit(txn);
			if (rc == 0)
				break;
		} else {
			store_abort(txn);
		}
		assert_int_equal(rc, LD_EMAPFULL);
	}

	assert_int_equal(store_begin(f->store, false, &txn), 0);
	assert_int_equal(store_count(txn, TBL_AUDIT, &n), 0);
	assert_int_equal(n, 1000);
	uint8_t k[8];
	struct store_val v;
	store_u64_key(999, k);
	assert_int_equal(store_get(txn, TBL_AUDIT, k, 8, &v), 0);
	assert_int_equal(v.len, GROW_VALUE);
	assert_int_equal(((const uint8_t *)v.data)[GROW_VALUE - 1], 999 & 0xff);
	store_abort(txn);

	/* Reopened asking for less than the file holds: the map takes the file's size. */
	store_close(f->store);
	f->store = NULL;
	char path[128];
	struct stat st;
	snprintf(path, sizeof(path), "%s/data.mdb", f->dir);
	assert_int_equal(stat(path, &st), 0);
	assert_true(st.st_size > (off_t)(1u << 20));
	assert_int_equal(store_open(f->dir, 1u << 20, 0, &f->store), 0);
	assert_true(store_map_size(f->store) >= (size_t)st.st_size);
	assert_int_equal(store_begin(f->store, false, &txn), 0);
	assert_int_equal(store_count(txn, TBL_AUDIT, &n), 0);
	assert_int_equal(n, 1000);
	store_abort(txn);
}

/* ------------------------------------------------------------------------------------------ */
/* Readers in other threads                                                                    */

struct reader {
	struct store *store;
	const char *key;
	int get_rc;
	char value[32];
	size_t len;
};

static void *read_in_thread(void *arg)
{
	struct reader *r = arg;
	struct store_txn *txn;
	struct store_val v;

	r->get_rc = store_begin(r->store, false, &txn);
	if (r->get_rc)
		return NULL;
	r->get_rc = store_get(txn, TBL_PEERS, r->key, strlen(r->key), &v);
	if (r->get_rc == 0) {
		r->len = v.len < sizeof(r->value) ? v.len : sizeof(r->value);
		memcpy(r->value, v.data, r->len);
	}
	store_abort(txn);
	return NULL;
}

static void reader_thread_sees_committed_data(void **state)
{
	struct fixture *f = *state;
	struct reader r = {.store = f->store, .key = "shanghai", .get_rc = 1};
	pthread_t t;

	put_committed(f->store, TBL_PEERS, "shanghai", "10.0.0.2:7400");
	assert_int_equal(pthread_create(&t, NULL, read_in_thread, &r), 0);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(r.get_rc, 0);
	assert_int_equal(r.len, 13);
	assert_memory_equal(r.value, "10.0.0.2:7400", 13);

	/* Uncommitted writes of this thread are invisible to the reader. */
	struct store_txn *txn;
	assert_int_equal(store_begin(f->store, true, &txn), 0);
	assert_int_equal(store_put(txn, TBL_PEERS, "beijing", 7, "x", 1, 0), 0);
	struct reader r2 = {.store = f->store, .key = "beijing", .get_rc = 1};
	assert_int_equal(pthread_create(&t, NULL, read_in_thread, &r2), 0);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(r2.get_rc, LD_ENOTFOUND);
	assert_int_equal(store_commit(txn), 0);
}

static void read_snapshot_is_stable(void **state)
{
	struct fixture *f = *state;
	struct store_txn *reader, *writer;
	struct store_val v;

	put_committed(f->store, TBL_PEERS, "k", "old");
	assert_int_equal(store_begin(f->store, false, &reader), 0);
	assert_int_equal(store_begin(f->store, true, &writer), 0);
	assert_int_equal(store_put(writer, TBL_PEERS, "k", 1, "new", 3, 0), 0);
	assert_int_equal(store_commit(writer), 0);
	assert_int_equal(store_get(reader, TBL_PEERS, "k", 1, &v), 0);
	assert_memory_equal(v.data, "old", 3);
	store_abort(reader);
	assert_committed(f->store, TBL_PEERS, "k", "new");
}

/*
 * A kept read transaction (store_read_begin/end) sees each commit made between two reads, and
 * between reads it holds no share of the resize lock: the same thread grows the map (it would
 * wait for ever on its own share otherwise), writes past the old map's end, and reads it all.
 */
static void kept_read_renews_and_lets_the_map_grow(void **state)
{
	struct fixture *f = *state;
	struct store_txn *keep = NULL, *txn;
	struct store_val v;
	size_t n;
	unsigned done = 0;

	put_committed(f->store, TBL_PEERS, "k", "old");
	assert_int_equal(store_read_begin(f->store, &keep), 0);
	assert_non_null(keep);
	struct store_txn *first = keep;
	assert_int_equal(store_get(keep, TBL_PEERS, "k", 1, &v), 0);
	assert_memory_equal(v.data, "old", 3);
	store_read_end(keep);

	put_committed(f->store, TBL_PEERS, "k", "new");
	assert_int_equal(store_read_begin(f->store, &keep), 0);
	assert_ptr_equal(keep, first); /* the same transaction, renewed */
	assert_int_equal(store_get(keep, TBL_PEERS, "k", 1, &v), 0);
	assert_memory_equal(v.data, "new", 3);
	store_read_end(keep);

	size_t before = store_map_size(f->store);
	for (int i = 0; i < 3; i++)
		assert_int_equal(store_grow(f->store), 0);
	assert_int_equal(store_map_size(f->store), before * 8);
	assert_int_equal(store_begin(f->store, true, &txn), 0);
	assert_int_equal(put_many(txn, 1000, &done), 0);
	assert_int_equal(store_commit(txn), 0);

	assert_int_equal(store_read_begin(f->store, &keep), 0);
	assert_int_equal(store_count(keep, TBL_AUDIT, &n), 0);
	assert_int_equal(n, 1000);
	assert_int_equal(store_get(keep, TBL_PEERS, "k", 1, &v), 0);
	assert_memory_equal(v.data, "new", 3);
	store_read_free(keep); /* in a read: freed all the same */

	keep = NULL;
	assert_int_equal(store_read_begin(f->store, &keep), 0);
	store_read_end(keep);
	store_read_free(keep); /* between reads */
}

struct slow_reader {
	struct store *store;
	atomic_bool started;
	atomic_bool ended;
	int rc;
};

static void *hold_read_txn(void *arg)
{
	struct slow_reader *r = arg;
	struct store_txn *txn;
	struct timespec pause = {.tv_sec = 0, .tv_nsec = 200 * 1000 * 1000};

	r->rc = store_begin(r->store, false, &txn);
	atomic_store(&r->started, true);
	if (r->rc)
		return NULL;
	nanosleep(&pause, NULL);
	atomic_store(&r->ended, true);
	store_abort(txn);
	return NULL;
}

/* store_grow must not remap under a reader of another thread: it waits for the reader to end. */
static void grow_waits_for_other_threads_readers(void **state)
{
	struct fixture *f = *state;
	struct slow_reader r = {.store = f->store, .rc = 1};
	pthread_t t;

	atomic_init(&r.started, false);
	atomic_init(&r.ended, false);
	assert_int_equal(pthread_create(&t, NULL, hold_read_txn, &r), 0);
	while (!atomic_load(&r.started))
		sched_yield();
	assert_int_equal(r.rc, 0);
	size_t before = store_map_size(f->store);
	assert_int_equal(store_grow(f->store), 0);
	assert_true(atomic_load(&r.ended));
	assert_int_equal(store_map_size(f->store), before * 2);
	assert_int_equal(pthread_join(t, NULL), 0);
}

struct grower {
	struct store *store;
	atomic_bool done;
	int rc;
};

static void *grow_in_thread(void *arg)
{
	struct grower *g = arg;
	g->rc = store_grow(g->store);
	atomic_store(&g->done, true);
	return NULL;
}

struct late_reader {
	struct store *store;
	atomic_bool began;
	int rc;
};

static void *begin_late(void *arg)
{
	struct late_reader *r = arg;
	struct store_txn *txn;
	r->rc = store_begin(r->store, false, &txn);
	atomic_store(&r->began, true);
	if (r->rc == 0)
		store_abort(txn);
	return NULL;
}

/*
 * Readers that come one after another (eight clients asking in turn) must not starve store_grow:
 * once it waits for the reads already open, a read begun meanwhile waits behind it. Each try starts
 * a new reader and looks 10 ms later: one that began at once means the grow was not waiting yet
 * (or the lock lets readers pass); after 200 such tries the test fails.
 */
static void grow_is_not_starved_by_new_readers(void **state)
{
	struct fixture *f = *state;
	struct store_txn *held;
	struct grower g = {.store = f->store, .rc = 1};
	struct late_reader r = {.store = f->store};
	struct timespec pause = {.tv_sec = 0, .tv_nsec = 10 * 1000 * 1000};
	pthread_t tg, tr;

	size_t before = store_map_size(f->store);
	assert_int_equal(store_begin(f->store, false, &held), 0);
	atomic_init(&g.done, false);
	assert_int_equal(pthread_create(&tg, NULL, grow_in_thread, &g), 0);
	bool waited = false;
	for (int tries = 0; tries < 200 && !waited; tries++) {
		r.rc = 1;
		atomic_init(&r.began, false);
		assert_int_equal(pthread_create(&tr, NULL, begin_late, &r), 0);
		nanosleep(&pause, NULL);
		waited = !atomic_load(&r.began);
		if (!waited) {
			assert_int_equal(pthread_join(tr, NULL), 0);
			assert_int_equal(r.rc, 0);
		}
	}
	assert_true(waited);
	assert_false(atomic_load(&g.done));
	store_abort(held);
	assert_int_equal(pthread_join(tg, NULL), 0);
	assert_int_equal(g.rc, 0);
	assert_int_equal(pthread_join(tr, NULL), 0);
	assert_int_equal(r.rc, 0);
	assert_int_equal(store_map_size(f->store), before * 2);
}

/*
 * A synced store keeps zeros written past LMDB's pages (at least 1 MiB), as real blocks, not a
 * hole; LMDB reads the store back as it was, and writes into that space after a reopen.
 */
static void data_file_is_preallocated(void **state)
{
	struct fixture *f = *state;
	struct stat st;

	put_committed(f->store, TBL_META, "k", "v");
	stat_store_file(f, "data.mdb", &st);
	assert_true(st.st_size >= (off_t)1 << 20);
	assert_true((off_t)st.st_blocks * 512 >= st.st_size);
	store_close(f->store);
	assert_int_equal(store_open(f->dir, 0, 0, &f->store), 0);
	assert_committed(f->store, TBL_META, "k", "v");
	put_committed(f->store, TBL_MEMBERS, "11010519491231002X", "state");
	store_close(f->store);
	assert_int_equal(store_open(f->dir, 0, 0, &f->store), 0);
	assert_committed(f->store, TBL_META, "k", "v");
	assert_committed(f->store, TBL_MEMBERS, "11010519491231002X", "state");
}

/*
 * A bulk commit (megabytes) is followed by small ones, and those again find zeros written ahead
 * of LMDB's pages: the file grows past what the bulk commit left, in real blocks.
 */
static void small_commits_after_bulk_find_zeros_ahead(void **state)
{
	struct fixture *f = *state;
	struct store_txn *txn;
	struct stat bulk, after;
	char key[16], val[1025];

	put_committed(f->store, TBL_META, "k", "v");
	memset(val, 'x', sizeof(val) - 1);
	val[sizeof(val) - 1] = '\0';
	assert_int_equal(store_begin(f->store, true, &txn), 0);
	for (int i = 0; i < 6000; i++) {
		snprintf(key, sizeof(key), "m%06d", i);
		assert_int_equal(
		    store_put(txn, TBL_MEMBERS, key, strlen(key), val, sizeof(val) - 1, 0), 0);
	}
	assert_int_equal(store_commit(txn), 0);
	put_committed(f->store, TBL_META, "k", "w"); /* the bulk commit's successor writes none */
	stat_store_file(f, "data.mdb", &bulk);
	assert_true(bulk.st_size >= (off_t)6 << 20);
	put_committed(f->store, TBL_META, "k", "y");
	stat_store_file(f, "data.mdb", &after);
	assert_true(after.st_size >= bulk.st_size + ((off_t)1 << 19));
	assert_true((off_t)after.st_blocks * 512 >= after.st_size);
	assert_committed(f->store, TBL_META, "k", "y");
	assert_committed(f->store, TBL_MEMBERS, "m005999", val);
}

/* store_txn_changes counts what changed the transaction, not refusals. */
static void txn_changes_count_writes_not_refusals(void **state)
{
	struct fixture *f = *state;
	struct store_txn *txn;

	assert_int_equal(store_begin(f->store, true, &txn), 0);
	assert_int_equal(store_txn_changes(txn), 0);
	assert_int_equal(store_put(txn, TBL_META, "k", 1, "v", 1, 0), 0);
	assert_int_equal(store_txn_changes(txn), 1);
	assert_int_equal(store_put(txn, TBL_META, "k", 1, "w", 1, STORE_NOOVERWRITE), LD_EEXIST);
	assert_int_equal(store_del(txn, TBL_META, "x", 1), LD_ENOTFOUND);
	assert_int_equal(store_txn_changes(txn), 1);
	assert_int_equal(store_del(txn, TBL_META, "k", 1), 0);
	assert_int_equal(store_txn_changes(txn), 2);
	store_abort(txn);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(u64_keys_are_big_endian),
	    cmocka_unit_test_setup_teardown(put_get_del, setup, teardown),
	    cmocka_unit_test_setup_teardown(put_reserved_is_read_back, setup, teardown),
	    cmocka_unit_test_setup_teardown(nooverwrite_is_eexist_and_keeps_old, setup, teardown),
	    cmocka_unit_test_setup_teardown(missing_key_is_enoent, setup, teardown),
	    cmocka_unit_test_setup_teardown(read_txn_refuses_writes, setup, teardown),
	    cmocka_unit_test_setup_teardown(cursor_walks_in_numeric_order, setup, teardown),
	    cmocka_unit_test_setup_teardown(cursor_on_empty_table, setup, teardown),
	    cmocka_unit_test_setup_teardown(append_in_order_and_refused_out_of_order, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(child_abort_leaves_parent_unchanged, setup, teardown),
	    cmocka_unit_test_setup_teardown(child_commit_joins_parent, setup, teardown),
	    cmocka_unit_test_setup_teardown(parent_abort_discards_committed_child, setup, teardown),
	    cmocka_unit_test_setup_teardown(late_value_is_read_back_and_committed, setup, teardown),
	    cmocka_unit_test_setup_teardown(late_value_is_superseded_by_put_del_and_another_key,
					    setup, teardown),
	    cmocka_unit_test_setup_teardown(late_value_follows_children, setup, teardown),
	    cmocka_unit_test_setup_teardown(data_survives_close_and_reopen, setup, teardown),
	    cmocka_unit_test_setup_teardown(uncommitted_data_is_lost_on_close, setup, teardown),
	    cmocka_unit_test_setup_teardown(data_file_is_private, setup, teardown),
	    cmocka_unit_test_setup_teardown(data_file_is_preallocated, setup, teardown),
	    cmocka_unit_test_setup_teardown(small_commits_after_bulk_find_zeros_ahead, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(txn_changes_count_writes_not_refusals, setup, teardown),
	    cmocka_unit_test(open_missing_dir_fails),
	    cmocka_unit_test_setup_teardown(map_full_then_grow_then_retry, setup_small_map,
					    teardown),
	    cmocka_unit_test_setup_teardown(reader_thread_sees_committed_data, setup, teardown),
	    cmocka_unit_test_setup_teardown(read_snapshot_is_stable, setup, teardown),
	    cmocka_unit_test_setup_teardown(grow_is_not_starved_by_new_readers, setup_small_map,
					    teardown),
	    cmocka_unit_test_setup_teardown(grow_waits_for_other_threads_readers, setup_small_map,
					    teardown),
	    cmocka_unit_test_setup_teardown(kept_read_renews_and_lets_the_map_grow, setup_small_map,
					    teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
