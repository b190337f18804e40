/*
 * store.c: the LMDB backend of store.h.
 *
 * The environment is opened with default (fully synced) flags: a commit that returned 0 is on
 * disk. Named databases are opened once at store_open in a write transaction and kept for the life
 * of the environment. Growing the map needs every transaction of this process to be closed, so
 * transactions hold a shared lock on `resize`, and store_grow takes it exclusively. The lock
 * prefers its writer: once store_grow waits, new transactions wait behind it, so a steady stream
 * of reads (eight clients asking `member show` in turn always hold some share) cannot keep the
 * map from growing and every write waiting. The price: a thread must not begin a transaction
 * while it holds another (a waiting grow would stand between its two shares).
 *
 * Preallocation: a synced store keeps zeros written ahead of LMDB's last page, so most small
 * commits overwrite blocks the file has and their fdatasync need not journal a new size
 * (prealloc.h: the policy, shared with the raw LMDB floor of bench/lmdb_replay.c). LMDB itself
 * goes by its meta page, never by the file's size.
 */
#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <lmdb.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "logging.h"
#include "prealloc.h"
#include "lderr.h"

static const char *table_names[TBL_COUNT] = {
    [TBL_META] = "meta",	   [TBL_LOG] = "log",
    [TBL_ORIGINS] = "origins",	   [TBL_MEMBERS] = "members",
    [TBL_BRANCHES] = "branches",   [TBL_PEERS] = "peers",
    [TBL_AUDIT] = "audit",	   [TBL_OUTBOX] = "outbox",
    [TBL_CURSORS] = "cursors",	   [TBL_QUARANTINE] = "quarantine",
    [TBL_CERTS] = "certs",	   [TBL_MEETINGS] = "meetings",
    [TBL_RECEIPTS] = "receipts",   [TBL_LETTERS] = "letters",
    [TBL_REQUESTS] = "requests",   [TBL_NOTICES] = "notices",
    [TBL_DIRECTORY] = "directory",
};

#define LD_STORE_PATH 4096

struct store {
	char data_path[LD_STORE_PATH]; /* the data file, as /proc/self/maps names it */
	MDB_env *env;
	MDB_dbi dbi[TBL_COUNT];
	pthread_rwlock_t resize;
	bool prealloc;	       /* synced: keep zeros written ahead (see the top of this file) */
	bool prealloc_failed;  /* said once in the log until it works again */
	size_t psize;	       /* LMDB's page size */
	struct prealloc ahead; /* see prealloc.h */
};

#define LATE_KEY_MAX 16
#define LATE_VAL_MAX 64

struct store_txn {
	struct store *store;
	MDB_txn *txn;
	struct store_txn *parent; /* a child's: takes its late value when the child commits */
	bool top;		  /* holds a share of store->resize */
	uint64_t changes;	  /* see store_txn_changes */
	/* The late value (store_put_late): put into LMDB when the top transaction commits. */
	bool late;
	enum store_table late_table;
	size_t late_klen, late_vlen;
	uint8_t late_key[LATE_KEY_MAX];
	uint8_t late_val[LATE_VAL_MAX];
};

struct store_cursor {
	MDB_cursor *cursor;
};

/* The one place LMDB's return codes (and the errno it passes on) become ours (lderr.h). */
static int store_error(int rc)
{
	switch (rc) {
	case MDB_SUCCESS:
		return 0;
	case MDB_NOTFOUND:
		return LD_ENOTFOUND;
	case MDB_KEYEXIST:
		return LD_EEXIST;
	case MDB_MAP_FULL:
		return LD_EMAPFULL; /* not LD_ENOSPACE: that is the disk (store.h) */
	case MDB_TXN_FULL:
		return LD_ETXNFULL;
	case MDB_READERS_FULL:
	case MDB_MAP_RESIZED:
		return LD_ERETRY;
	case MDB_BAD_VALSIZE:
		return LD_EINPUT; /* an empty or too long key: the caller's data, not the store */
	default:
		if (rc > 0 && rc < 4096)
			return lderr_from_errno(rc); /* a system errno: ENOSPC is a full disk */
		log_error("lmdb: %s", mdb_strerror(rc));
		return -EIO;
	}
}

/*
 * Count a put or delete that returned RC: anything but "already there" or "not there" may have
 * changed the transaction (or left it failed).
 */
static int store_counted(struct store_txn *txn, int rc)
{
	if (rc != MDB_KEYEXIST && rc != MDB_NOTFOUND)
		txn->changes++;
	return store_error(rc);
}

void store_u64_key(uint64_t v, uint8_t out[8])
{
	for (int i = 7; i >= 0; i--) {
		out[i] = (uint8_t)(v & 0xff);
		v >>= 8;
	}
}

uint64_t store_u64_from(const void *p)
{
	const uint8_t *b = p;
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = (v << 8) | b[i];
	return v;
}

int store_open(const char *dir, size_t map_size, unsigned flags, struct store **out)
{
	struct store *s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	pthread_rwlockattr_t attr;
	int rc = pthread_rwlockattr_init(&attr);
	if (rc == 0) {
		rc = pthread_rwlockattr_setkind_np(&attr,
						   PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
		if (rc == 0)
			rc = pthread_rwlock_init(&s->resize, &attr);
		pthread_rwlockattr_destroy(&attr);
	}
	if (rc) {
		free(s);
		return -rc;
	}
	rc = store_error(mdb_env_create(&s->env));
	if (rc)
		goto fail_lock;
	mdb_env_set_maxdbs(s->env, TBL_COUNT + 8);
	mdb_env_set_maxreaders(s->env, 256);
	rc = store_error(mdb_env_set_mapsize(s->env, map_size ? map_size : STORE_DEFAULT_MAP));
	if (rc)
		goto fail_env;
	/*
	 * MDB_NOTLS: read txns may be used by a thread that didn't begin them. MDB_NORDAHEAD
	 * (MADV_RANDOM on the map): a page fault maps the one page LMDB reads, not its neighbours
	 * too, so what store_trim unmaps comes back only as far as it is read.
	 */
	unsigned env_flags = MDB_NOTLS | MDB_NORDAHEAD;
	if (flags & STORE_NOSYNC)
		env_flags |= MDB_NOSYNC;
	if (flags & STORE_PIPELINED)
		env_flags |= MDB_NOMETASYNC;
	rc = store_error(mdb_env_open(s->env, dir, env_flags, 0600));
	if (rc)
		goto fail_env;
	char data[LD_STORE_PATH - 16];
	if (!realpath(dir, data)) {
		rc = lderr_from_errno(errno);
		goto fail_env;
	}
	snprintf(s->data_path, sizeof(s->data_path), "%s/data.mdb", data);
	store_reader_check(s);

	MDB_txn *txn;
	rc = store_error(mdb_txn_begin(s->env, NULL, 0, &txn));
	if (rc)
		goto fail_env;
	for (int t = 0; t < TBL_COUNT; t++) {
		rc = store_error(mdb_dbi_open(txn, table_names[t], MDB_CREATE, &s->dbi[t]));
		if (rc) {
			mdb_txn_abort(txn);
			goto fail_env;
		}
	}
	rc = store_error(mdb_txn_commit(txn));
	if (rc)
		goto fail_env;
	MDB_stat st;
	mdb_env_stat(s->env, &st);
	s->psize = st.ms_psize;
	s->prealloc = !(flags & STORE_NOSYNC);
	*out = s;
	return 0;

fail_env:
	mdb_env_close(s->env);
fail_lock:
	pthread_rwlock_destroy(&s->resize);
	free(s);
	return rc;
}

void store_close(struct store *s)
{
	if (!s)
		return;
	mdb_env_close(s->env);
	pthread_rwlock_destroy(&s->resize);
	free(s);
}

/* Zeros ahead of LMDB's last page (prealloc.h). Called in a top write txn. */
static void store_prealloc(struct store *s)
{
	MDB_envinfo info;
	int fd;
	mdb_env_info(s->env, &info);
	if (mdb_env_get_fd(s->env, &fd) != 0)
		return;
	int rc = prealloc_ahead(&s->ahead, fd, (info.me_last_pgno + 1) * s->psize, info.me_mapsize);
	if (rc < 0 && !s->prealloc_failed)
		log_warn("store: cannot preallocate data.mdb: %s", strerror(-rc));
	if (rc) /* said once until zeros are written again */
		s->prealloc_failed = rc < 0;
}

int store_reader_check(struct store *s)
{
	int dead = 0;
	int rc = mdb_reader_check(s->env, &dead);
	if (rc)
		return store_error(rc);
	if (dead)
		log_warn("store: cleared %d stale reader slot(s) of dead processes", dead);
	return dead;
}

int store_begin(struct store *s, bool write, struct store_txn **out)
{
	struct store_txn *t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->store = s;
	t->top = true;
	pthread_rwlock_rdlock(&s->resize);
	unsigned tflags = write ? 0 : MDB_RDONLY;
	int mrc = mdb_txn_begin(s->env, NULL, tflags, &t->txn);
	if (mrc == MDB_READERS_FULL && store_reader_check(s) > 0)
		mrc = mdb_txn_begin(s->env, NULL, tflags, &t->txn); /* slots of the dead, freed */
	int rc = store_error(mrc);
	if (rc) {
		pthread_rwlock_unlock(&s->resize);
		free(t);
		return rc;
	}
	if (write && s->prealloc)
		store_prealloc(s);
	*out = t;
	return 0;
}

/* DST's late value becomes SRC's (none if SRC has none). */
static void late_copy(struct store_txn *dst, const struct store_txn *src)
{
	dst->late = src->late;
	if (!src->late)
		return;
	dst->late_table = src->late_table;
	dst->late_klen = src->late_klen;
	dst->late_vlen = src->late_vlen;
	memcpy(dst->late_key, src->late_key, src->late_klen);
	memcpy(dst->late_val, src->late_val, src->late_vlen);
}

int store_begin_child(struct store_txn *parent, struct store_txn **out)
{
	struct store_txn *t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	t->store = parent->store;
	int rc = store_error(mdb_txn_begin(parent->store->env, parent->txn, 0, &t->txn));
	if (rc) {
		free(t);
		return rc;
	}
	t->parent = parent;
	late_copy(t, parent); /* the child sees its parent's late value, and may replace it */
	*out = t;
	return 0;
}

static void store_txn_release(struct store_txn *t)
{
	if (t->top)
		pthread_rwlock_unlock(&t->store->resize);
	free(t);
}

/*
 * Whether the file system of the data file has less than STORE_DISK_LOW bytes free for us. LMDB
 * writes a commit's pages STORE_DISK_LOW at most at a time (MDB_COMMIT_PAGES of 4 KiB, or one
 * large value); a write cut short there is the disk filling up.
 */
#define STORE_DISK_LOW ((unsigned long long)16 << 20)

static bool store_disk_low(struct store *s)
{
	int fd;
	struct statvfs vfs;
	if (mdb_env_get_fd(s->env, &fd) != 0 || fstatvfs(fd, &vfs) != 0)
		return false;
	return (unsigned long long)vfs.f_bavail * vfs.f_frsize < STORE_DISK_LOW;
}

/* Is KEY of table T the late value of TXN? */
static bool is_late(const struct store_txn *txn, enum store_table t, const void *key, size_t klen)
{
	return txn->late && t == txn->late_table && klen == txn->late_klen &&
	       memcmp(key, txn->late_key, klen) == 0;
}

/* Put T's late value into LMDB now (it is no longer late). */
static int late_flush(struct store_txn *t)
{
	if (!t->late)
		return 0;
	t->late = false;
	MDB_val k = {.mv_size = t->late_klen, .mv_data = t->late_key};
	MDB_val v = {.mv_size = t->late_vlen, .mv_data = t->late_val};
	return store_counted(t, mdb_put(t->txn, t->store->dbi[t->late_table], &k, &v, 0));
}

int store_commit(struct store_txn *t)
{
	if (t->parent) {
		/* A child's late value becomes its parent's: it is written when the top commits. */
		int rc = store_error(mdb_txn_commit(t->txn));
		if (rc == 0)
			late_copy(t->parent, t);
		store_txn_release(t);
		return rc;
	}
	int frc = late_flush(t);
	if (frc) {
		mdb_txn_abort(t->txn);
		store_txn_release(t);
		return frc;
	}
	int mrc = mdb_txn_commit(t->txn);
	int rc = store_error(mrc);
	/*
	 * LMDB reports a short write as EIO ("short write, filesystem full?" in mdb_page_flush):
	 * with the disk all but full, that is what it was. The transaction is aborted either way.
	 */
	if (rc == -EIO && mrc == EIO && t->top && store_disk_low(t->store))
		rc = LD_ENOSPACE;
	store_txn_release(t);
	return rc;
}

void store_abort(struct store_txn *t)
{
	if (!t)
		return;
	mdb_txn_abort(t->txn);
	store_txn_release(t);
}

int store_read_begin(struct store *s, struct store_txn **keep)
{
	struct store_txn *t = *keep;
	if (!t)
		return store_begin(s, false, keep);
	pthread_rwlock_rdlock(&s->resize);
	int rc = store_error(mdb_txn_renew(t->txn));
	if (rc) {
		pthread_rwlock_unlock(&s->resize);
		mdb_txn_abort(t->txn);
		free(t);
		*keep = NULL;
		return rc;
	}
	t->top = true;
	return 0;
}

void store_read_end(struct store_txn *t)
{
	mdb_txn_reset(t->txn);
	pthread_rwlock_unlock(&t->store->resize); /* a reset transaction may outlive a resize */
	t->top = false;
}

void store_read_free(struct store_txn *t)
{
	if (!t)
		return;
	mdb_txn_abort(t->txn); /* a reset one too: its reader slot is given back */
	store_txn_release(t);
}

int store_grow(struct store *s)
{
	pthread_rwlock_wrlock(&s->resize);
	MDB_envinfo info;
	mdb_env_info(s->env, &info);
	size_t next = info.me_mapsize * 2;
	int rc = 0;
	if (next > ((size_t)1 << 40))
		rc = LD_EMAPFULL;
	else
		rc = store_error(mdb_env_set_mapsize(s->env, next));
	pthread_rwlock_unlock(&s->resize);
	if (rc == 0 && next < ((size_t)1 << 20))
		log_info("store: map grown to %zu KiB", next >> 10);
	else if (rc == 0)
		log_info("store: map grown to %zu MiB", next >> 20);
	return rc;
}

int store_trim(struct store *s)
{
	/*
	 * LMDB does not tell where its map is (me_mapaddr is only set for MDB_FIXEDMAP): find the
	 * mapping of data.mdb in /proc/self/maps. Under the shared lock: store_grow moves the map,
	 * and madvise on a stale range would discard whatever memory took its place.
	 */
	pthread_rwlock_rdlock(&s->resize);
	int rc = LD_ENOTFOUND;
	FILE *maps = fopen("/proc/self/maps", "re");
	if (!maps) {
		rc = lderr_from_errno(errno);
		goto out;
	}
	char line[LD_STORE_PATH + 128];
	while (fgets(line, sizeof(line), maps)) {
		unsigned long start, end;
		char *path = strchr(line, '/');
		if (!path || sscanf(line, "%lx-%lx", &start, &end) != 2)
			continue;
		path[strcspn(path, "\n")] = '\0';
		if (strcmp(path, s->data_path) != 0)
			continue;
		rc = madvise((void *)start, end - start, MADV_DONTNEED) == 0
			 ? 0
			 : lderr_from_errno(errno);
	}
	fclose(maps);
out:
	pthread_rwlock_unlock(&s->resize);
	return rc;
}

int store_sync(struct store *s)
{
	return store_error(mdb_env_sync(s->env, 1));
}

uint64_t store_last_commit(struct store *s)
{
	MDB_envinfo info;
	mdb_env_info(s->env, &info);
	return info.me_last_txnid;
}

size_t store_map_size(struct store *s)
{
	MDB_envinfo info;
	mdb_env_info(s->env, &info);
	return info.me_mapsize;
}

int store_usage(struct store *s, uint64_t *used, uint64_t *map)
{
	MDB_envinfo info;
	MDB_stat st;
	int rc = store_error(mdb_env_info(s->env, &info));
	if (rc == 0)
		rc = store_error(mdb_env_stat(s->env, &st));
	if (rc)
		return rc;
	*used = ((uint64_t)info.me_last_pgno + 1) * st.ms_psize;
	*map = info.me_mapsize;
	return 0;
}

int store_get(struct store_txn *txn, enum store_table t, const void *key, size_t klen,
	      struct store_val *val)
{
	if (klen == 0 || klen > 511)
		return LD_ENOTFOUND; /* no such key can be stored (LMDB keys are 1 to 511 bytes) */
	if (is_late(txn, t, key, klen)) {
		if (val) {
			val->data = txn->late_val;
			val->len = txn->late_vlen;
		}
		return 0;
	}
	MDB_val k = {.mv_size = klen, .mv_data = (void *)key};
	MDB_val v;
	int rc = store_error(mdb_get(txn->txn, txn->store->dbi[t], &k, &v));
	if (rc == 0 && val) {
		val->data = v.mv_data;
		val->len = v.mv_size;
	}
	return rc;
}

static unsigned put_flags(unsigned flags)
{
	return ((flags & STORE_NOOVERWRITE) ? MDB_NOOVERWRITE : 0) |
	       ((flags & STORE_APPEND) ? MDB_APPEND : 0);
}

/*
 * A put of KEY in T is about to be made: if KEY is TXN's late value, the put supersedes it (the
 * late value is dropped), unless FLAGS say "only if absent": then true, the key being there.
 */
static bool late_superseded(struct store_txn *txn, enum store_table t, const void *key, size_t klen,
			    unsigned flags)
{
	if (!is_late(txn, t, key, klen))
		return false;
	if (flags & STORE_NOOVERWRITE)
		return true;
	txn->late = false;
	return false;
}

int store_put(struct store_txn *txn, enum store_table t, const void *key, size_t klen,
	      const void *val, size_t vlen, unsigned flags)
{
	if (klen == 0 || klen > 511)
		return LD_EINPUT;
	if (late_superseded(txn, t, key, klen, flags))
		return LD_EEXIST;
	MDB_val k = {.mv_size = klen, .mv_data = (void *)key};
	MDB_val v = {.mv_size = vlen, .mv_data = (void *)val};
	return store_counted(txn, mdb_put(txn->txn, txn->store->dbi[t], &k, &v, put_flags(flags)));
}

int store_put_late(struct store_txn *txn, enum store_table t, const void *key, size_t klen,
		   const void *val, size_t vlen)
{
	if (klen == 0 || klen > LATE_KEY_MAX || vlen > LATE_VAL_MAX)
		return LD_EINPUT;
	if (txn->late && !is_late(txn, t, key, klen)) {
		int rc = late_flush(txn); /* another key: the one held goes in now */
		if (rc)
			return rc;
	}
	txn->late = true;
	txn->late_table = t;
	txn->late_klen = klen;
	txn->late_vlen = vlen;
	memcpy(txn->late_key, key, klen);
	memcpy(txn->late_val, val, vlen);
	return 0;
}

int store_put_reserved(struct store_txn *txn, enum store_table t, const void *key, size_t klen,
		       size_t vlen, unsigned flags, void **out)
{
	*out = NULL;
	if (klen == 0 || klen > 511)
		return LD_EINPUT;
	if (late_superseded(txn, t, key, klen, flags))
		return LD_EEXIST;
	MDB_val k = {.mv_size = klen, .mv_data = (void *)key};
	MDB_val v = {.mv_size = vlen, .mv_data = NULL};
	int rc = store_counted(
	    txn, mdb_put(txn->txn, txn->store->dbi[t], &k, &v, put_flags(flags) | MDB_RESERVE));
	if (rc == 0)
		*out = v.mv_data;
	return rc;
}

int store_del(struct store_txn *txn, enum store_table t, const void *key, size_t klen)
{
	if (klen == 0 || klen > 511)
		return LD_ENOTFOUND;
	bool was_late = is_late(txn, t, key, klen);
	if (was_late)
		txn->late = false; /* deleted: from LMDB too, if it was there before */
	MDB_val k = {.mv_size = klen, .mv_data = (void *)key};
	int rc = store_counted(txn, mdb_del(txn->txn, txn->store->dbi[t], &k, NULL));
	return was_late && rc == LD_ENOTFOUND ? 0 : rc;
}

uint64_t store_txn_changes(const struct store_txn *txn)
{
	return txn->changes;
}

int store_count(struct store_txn *txn, enum store_table t, size_t *count)
{
	MDB_stat st;
	int rc = store_error(mdb_stat(txn->txn, txn->store->dbi[t], &st));
	if (rc == 0)
		*count = st.ms_entries;
	return rc;
}

int store_cursor_open(struct store_txn *txn, enum store_table t, struct store_cursor **out)
{
	struct store_cursor *c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	int rc = store_error(mdb_cursor_open(txn->txn, txn->store->dbi[t], &c->cursor));
	if (rc) {
		free(c);
		return rc;
	}
	*out = c;
	return 0;
}

int store_cursor_get(struct store_cursor *c, enum store_op op, struct store_val *key,
		     struct store_val *val)
{
	static const MDB_cursor_op ops[] = {
	    [STORE_FIRST] = MDB_FIRST, [STORE_LAST] = MDB_LAST,		  [STORE_NEXT] = MDB_NEXT,
	    [STORE_PREV] = MDB_PREV,   [STORE_SET_RANGE] = MDB_SET_RANGE,
	};
	MDB_val k = {0}, v = {0};
	if (op == STORE_SET_RANGE) {
		k.mv_data = (void *)key->data;
		k.mv_size = key->len;
	}
	int rc = store_error(mdb_cursor_get(c->cursor, &k, &v, ops[op]));
	if (rc)
		return rc;
	if (key) {
		key->data = k.mv_data;
		key->len = k.mv_size;
	}
	if (val) {
		val->data = v.mv_data;
		val->len = v.mv_size;
	}
	return 0;
}

void store_cursor_close(struct store_cursor *c)
{
	if (!c)
		return;
	mdb_cursor_close(c->cursor);
	free(c);
}

int store_append_counted(struct store_txn *txn, enum store_table t, const void *val, size_t vlen,
			 uint64_t *key)
{
	struct store_cursor *c;
	int rc = store_cursor_open(txn, t, &c);
	if (rc)
		return rc;
	struct store_val k;
	uint64_t next = 1;
	rc = store_cursor_get(c, STORE_LAST, &k, NULL);
	if (rc == 0 && k.len == 8)
		next = store_u64_from(k.data) + 1;
	store_cursor_close(c);
	if (rc && rc != LD_ENOTFOUND)
		return rc;
	uint8_t buf[8];
	store_u64_key(next, buf);
	rc = store_put(txn, t, buf, 8, val, vlen, STORE_APPEND);
	if (rc == 0 && key)
		*key = next;
	return rc;
}

int store_next_serial(struct store_txn *txn, const char *name, uint64_t *out)
{
	size_t n = strlen(name);
	struct store_val v;
	uint64_t last = 0;
	int rc = store_get(txn, TBL_META, name, n, &v);
	if (rc == 0 && v.len == 8)
		last = store_u64_from(v.data);
	else if (rc && rc != LD_ENOTFOUND)
		return rc;
	uint8_t buf[8];
	store_u64_key(last + 1, buf);
	rc = store_put(txn, TBL_META, name, n, buf, 8, 0);
	if (rc == 0)
		*out = last + 1;
	return rc;
}
