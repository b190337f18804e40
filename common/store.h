/*
 * store.h: the site's LMDB environment behind a narrow key-value API.
 *
 * Only store.c includes <lmdb.h>. Tables are LMDB named databases. One thread writes (the writer
 * thread, or a tool); any thread may read. Every call returns 0 or a negative errno, translated
 * once from LMDB's codes in store.c: MDB_NOTFOUND -> LD_ENOTFOUND, MDB_KEYEXIST -> LD_EEXIST,
 * MDB_MAP_FULL -> LD_EMAPFULL (abort the transaction, store_grow, retry), MDB_BAD_VALSIZE
 * (empty or too long key) -> LD_EINPUT, others -> -EIO or their errno. LD_ENOSPACE is the disk,
 * never the map: a commit that could not write because the file system is full (see store_commit).
 *
 * Values returned by store_get and cursors point into the map: valid only until the transaction
 * ends or the next write to the same table in it. Copy what must outlive it.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "lderr.h"

enum store_table {
	TBL_META = 0, /* site id, log_id, schema version, log head */
	TBL_LOG,      /* local seq (u64 BE) -> LogEntry */
	TBL_ORIGINS,  /* origin site id (32) + origin seq (u64 BE) -> local seq (u64 BE) */
	TBL_MEMBERS,  /* identity number -> MemberState */
	TBL_BRANCHES, /* branch code -> BranchInfo */
	TBL_PEERS,    /* peer name -> PeerRecord */
	TBL_AUDIT,    /* audit seq (u64 BE) -> AuditEntry */
	TBL_OUTBOX,   /* peer site id (32) + local seq (u64 BE) -> empty: our events it must get */
	TBL_CURSORS,  /* peer site id (32) -> SyncCursor */
	TBL_QUARANTINE, /* quarantine seq (u64 BE) -> Quarantined: refused peer events */
	TBL_CERTS,	/* certificate number -> CertState */
	TBL_MEETINGS,	/* meeting id -> Meeting (held here) */
	TBL_RECEIPTS,	/* receipt number -> Receipt */
	TBL_LETTERS,	/* transfer letter number -> Transfer */
	TBL_REQUESTS,	/* request id -> RequestState (service.h) */
	TBL_NOTICES,	/* notice id -> NoticeState */
	TBL_DIRECTORY,	/* peer site id (32) + branch code -> BranchInfo its branch.published */
	TBL_COUNT,
};

struct store;
struct store_txn;
struct store_cursor;

struct store_val {
	const void *data;
	size_t len;
};

#define STORE_NOOVERWRITE 0x1u /* store_put: LD_EEXIST if the key is there */
#define STORE_APPEND	  0x2u /* store_put: key sorts after every other (faster) */

#define STORE_DEFAULT_MAP (256u << 20)

/* The map is full (MDB_MAP_FULL) is LD_EMAPFULL (lderr.h): cured by store_grow, unlike a full
 * disk (LD_ENOSPACE), which must not be taken for it (growing the map does not give the disk
 * space; the writer would grow it to 1 TiB and then fail). */

/* Flags for store_open. */
#define STORE_NOSYNC	0x1u /* benchmarks and fuzzing only: commit without fsync */
#define STORE_PIPELINED 0x2u /* commit syncs the data but not the meta page: call store_sync */

/*
 * Open (creating if needed) the environment in directory DIR (must exist) with an initial map of
 * MAP_SIZE bytes (0: STORE_DEFAULT_MAP; the size the data already takes if larger). Data files are
 * made 0600. Stale reader slots of dead processes are cleared (store_reader_check).
 * *out is the caller's; close with store_close. Returns 0 or -errno.
 */
int store_open(const char *dir, size_t map_size, unsigned flags, struct store **out);

/* Close S (NULL allowed). No transaction may be open. */
void store_close(struct store *s);

/*
 * Begin a transaction. Read transactions may run in any thread, concurrently with the writer.
 * *out lives until store_commit or store_abort. A thread that holds a top-level transaction of S
 * must not begin another (store_grow waiting between the two would wait for ever: see store.c).
 * Returns 0 or -errno.
 */
int store_begin(struct store *s, bool write, struct store_txn **out);

/* A nested write transaction inside PARENT: its changes join PARENT on commit, vanish on abort. */
int store_begin_child(struct store_txn *parent, struct store_txn **out);

/*
 * Commit and free TXN (also on failure). Returns 0, LD_EMAPFULL, LD_ENOSPACE (the file system is
 * full: nothing of TXN was committed; LMDB says so as LD_ENOSPACE or, for a short write, as -EIO,
 * which is taken for a full disk when the file system has less than STORE_DISK_LOW free), or
 * -errno. For a top-level write, durable on return 0, unless the store was opened STORE_PIPELINED:
 * then the commit is complete and its data pages are on disk, but it is durable only after the next
 * store_sync (or the next commit's data sync). Integrity is kept either way: after a crash the
 * store is at this commit or the one before.
 */
int store_commit(struct store_txn *txn);

/* Flush everything committed to disk (fdatasync). Any thread. Returns 0 or -errno. */
int store_sync(struct store *s);

/* The id of the last committed write transaction: it grows by one with every commit that wrote. */
uint64_t store_last_commit(struct store *s);

/* Abort and free TXN (NULL allowed). */
void store_abort(struct store_txn *txn);

/*
 * A read transaction a thread keeps between its reads, so that each read costs no allocation and
 * no reader-table lock (LMDB's mdb_txn_reset and mdb_txn_renew). *KEEP (NULL the first time) is
 * the thread's: store_read_begin begins it, or renews it, and sets *KEEP; the transaction is then
 * used as any read transaction until store_read_end, which resets it: it holds no snapshot and
 * no share of the resize lock (store_grow may run meanwhile), and this thread may begin other
 * transactions. Free it with store_read_free (ended or not) before store_close; never with
 * store_abort. One thread at a time. Returns 0 or -errno (then *KEEP is freed and NULL).
 */
int store_read_begin(struct store *s, struct store_txn **keep);

/* End the read begun by store_read_begin: the transaction is reset, kept for the next. */
void store_read_end(struct store_txn *txn);

/* Free a kept read transaction (NULL allowed), whether it is between reads or in one. */
void store_read_free(struct store_txn *txn);

/*
 * Double the map size (up to 1 TiB), for a write that failed with LD_EMAPFULL. Call with no
 * transaction of this thread open; waits for other threads' read transactions to end, and
 * transactions begun meanwhile wait for it (it is never starved by readers). Returns 0,
 * LD_EMAPFULL at 1 TiB, or -errno.
 */
int store_grow(struct store *s);

/*
 * Clear the reader slots of processes that have died (mdb_reader_check): a slot left by a reader
 * killed in a read transaction keeps its snapshot, so no page freed since can be reused and the
 * file grows with every write. Logged ("cleared N stale reader slot(s)"). Any thread. Returns the
 * number of slots cleared, or -errno.
 */
int store_reader_check(struct store *s);

/*
 * Drop this process's mappings of the store's pages (they stay in the kernel's page cache and are
 * mapped again on the next read), so the daemon's resident set holds what it touched lately, not
 * every page it ever read. Safe at any time, from any thread: the map is read-only to this process
 * (writes go through pwrite). Returns 0 or -errno.
 */
int store_trim(struct store *s);

/* Current map size in bytes. */
size_t store_map_size(struct store *s);

/*
 * How much of the map the data takes: *used (bytes of the pages in use, free pages of LMDB's
 * own included) and *map (the map size; store_grow doubles it when it is full, up to 1 TiB).
 * Any thread. Returns 0 or -errno.
 */
int store_usage(struct store *s, uint64_t *used, uint64_t *map);

int store_get(struct store_txn *txn, enum store_table t, const void *key, size_t klen,
	      struct store_val *val);
int store_put(struct store_txn *txn, enum store_table t, const void *key, size_t klen,
	      const void *val, size_t vlen, unsigned flags);
/*
 * As store_put, but the value is written by the caller: *out receives room for VLEN bytes in the
 * store, which the caller must fill before its next call on TXN (the room moves after that). For
 * a value packed straight into the store, with no buffer of its own.
 */
int store_put_reserved(struct store_txn *txn, enum store_table t, const void *key, size_t klen,
		       size_t vlen, unsigned flags, void **out);
int store_del(struct store_txn *txn, enum store_table t, const void *key, size_t klen);

/*
 * A put made when the top transaction commits, not now: a value rewritten by every write of a
 * transaction (the log's head) costs one LMDB put per transaction instead of one per write. TXN
 * holds one late value (KLEN at most 16 bytes, VLEN at most 64; copied): a late put of another
 * key puts the one held first. store_get through TXN sees it; a store_put or store_del of its key
 * supersedes it; cursors do not see it. A child transaction starts with its parent's and hands
 * its own back when it commits (an aborted child's is dropped with the child). Returns 0,
 * LD_EINPUT (sizes), or what putting the held one returned.
 */
int store_put_late(struct store_txn *txn, enum store_table t, const void *key, size_t klen,
		   const void *val, size_t vlen);

/*
 * Puts and deletes made through TXN so far (with those that failed in a way that may have left
 * it changed or failed; not those refused as "already there" or "not there"). A caller that reads
 * it before and after some work knows whether that work touched TXN.
 */
uint64_t store_txn_changes(const struct store_txn *txn);

/* Number of entries in table T. */
int store_count(struct store_txn *txn, enum store_table t, size_t *count);

enum store_op {
	STORE_FIRST,
	STORE_LAST,
	STORE_NEXT,
	STORE_PREV,
	STORE_SET_RANGE, /* first key >= *key (key is input) */
};

/* A cursor over table T, closed with store_cursor_close before TXN ends. */
int store_cursor_open(struct store_txn *txn, enum store_table t, struct store_cursor **out);

/*
 * Move the cursor and read the entry. For STORE_SET_RANGE, KEY holds the key to seek on input.
 * Returns 0, or LD_ENOTFOUND past either end.
 */
int store_cursor_get(struct store_cursor *c, enum store_op op, struct store_val *key,
		     struct store_val *val);

void store_cursor_close(struct store_cursor *c);

/*
 * Append VAL to table T, keyed by the next u64 BE counter (1 after an empty table): rows stay in
 * the order they were written. *key (may be NULL) receives the counter. Returns 0 or -errno.
 */
int store_append_counted(struct store_txn *txn, enum store_table t, const void *val, size_t vlen,
			 uint64_t *key);

/*
 * The next value of the counter NAME kept in `meta` (1 the first time), stored back. For serial
 * numbers of certificates, receipts, meetings and letters.
 */
int store_next_serial(struct store_txn *txn, const char *name, uint64_t *out);

/* Big-endian u64 keys, so that LMDB's byte order is numeric order. */
void store_u64_key(uint64_t v, uint8_t out[8]);
uint64_t store_u64_from(const void *p);
