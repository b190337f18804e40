/*
 * lmdbtrace.c: an LD_PRELOAD library that writes down the LMDB calls of a process's write
 * transactions (issue 12, acceptance 2: the raw LMDB floor of A's import and of B's apply).
 *
 *   LIUDONG_LMDB_TRACE=FILE LD_PRELOAD=build-release/bench/liblmdbtrace.so liudongd -c ...
 *
 * liudongd links liblmdb dynamically, so its calls to mdb_* reach these wrappers first; each
 * forwards to the real function (dlsym RTLD_NEXT) and, for a write transaction or a child of one,
 * appends a record (bench/lmdbtrace.h) to FILE: begin, commit, abort, get, put (key and value
 * length), del, cursor open/get/close, stat, table opens, and every mdb_env_sync. Read-only
 * transactions are not recorded: the floor is the cost of the writes and of the reads made inside
 * them. bench/lmdb_replay replays a trace into a fresh store. Without LIUDONG_LMDB_TRACE the
 * wrappers only forward. The trace is for a separate run: it slows the traced process a little.
 */
#include <dlfcn.h>
#include <lmdb.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lmdbtrace.h"

/* The project builds with -fvisibility=hidden: the wrappers must be seen by the dynamic linker. */
#define EXPORT __attribute__((visibility("default")))

#define MAX_TXNS    16
#define MAX_CURSORS 64

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t once = PTHREAD_ONCE_INIT;
static FILE *out;
static uint32_t next_txn = 1, next_cursor = 1;

static struct {
	MDB_txn *txn;
	uint32_t id;
} txns[MAX_TXNS];

static struct {
	MDB_cursor *cur;
	MDB_txn *txn;
	uint32_t id;
} cursors[MAX_CURSORS];

static uint64_t real_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void *real(const char *name)
{
	void *f = dlsym(RTLD_NEXT, name);
	if (!f) {
		fprintf(stderr, "lmdbtrace: no %s in the next library\n", name);
		abort();
	}
	return f;
}

/* Point function pointer F at the real NAME (a void * is copied: ISO C has no cast for it). */
#define REAL(f, name)                                                                              \
	do {                                                                                       \
		if (!f) {                                                                          \
			void *p_ = real(name);                                                     \
			memcpy(&f, &p_, sizeof(f));                                                \
		}                                                                                  \
	} while (0)

static void trace_open(void)
{
	const char *path = getenv("LIUDONG_LMDB_TRACE");
	if (!path || !*path)
		return;
	out = fopen(path, "ae"); /* a restarted daemon goes on in the same trace */
	if (!out) {
		fprintf(stderr, "lmdbtrace: cannot write %s\n", path);
		return;
	}
	setvbuf(out, NULL, _IOFBF, 1 << 20);
	struct lt_rec h = {.op = LT_HEADER, .a = LT_MAGIC};
	fwrite(&h, sizeof(h), 1, out);
}

static bool tracing(void)
{
	pthread_once(&once, trace_open);
	return out != NULL;
}

/* Append a record with KEY (KLEN bytes). Caller holds LOCK. */
static void emit(uint8_t op, uint32_t txn, uint32_t dbi, uint64_t a, uint64_t b, const void *key,
		 size_t klen)
{
	struct lt_rec r = {
	    .op = op, .txn = txn, .dbi = dbi, .klen = (uint32_t)klen, .a = a, .b = b};
	fwrite(&r, sizeof(r), 1, out);
	if (klen)
		fwrite(key, 1, klen, out);
}

/* The trace id of TXN, or 0 if it is not a traced (write) transaction. Caller holds LOCK. */
static uint32_t txn_id(const MDB_txn *txn)
{
	for (int i = 0; i < MAX_TXNS; i++)
		if (txns[i].txn == txn && txn)
			return txns[i].id;
	return 0;
}

/* TXN ended: forget it and its cursors. Caller holds LOCK. */
static void txn_forget(const MDB_txn *txn)
{
	for (int i = 0; i < MAX_TXNS; i++)
		if (txns[i].txn == txn)
			txns[i].txn = NULL;
	for (int i = 0; i < MAX_CURSORS; i++)
		if (cursors[i].txn == txn)
			cursors[i].cur = NULL, cursors[i].txn = NULL;
}

EXPORT int mdb_env_open(MDB_env *env, const char *path, unsigned int flags, mdb_mode_t mode)
{
	static int (*f)(MDB_env *, const char *, unsigned int, mdb_mode_t);
	REAL(f, "mdb_env_open");
	int rc = f(env, path, flags, mode);
	if (rc == 0 && tracing()) {
		pthread_mutex_lock(&lock);
		emit(LT_ENV_OPEN, 0, 0, flags, 0, NULL, 0);
		pthread_mutex_unlock(&lock);
	}
	return rc;
}

EXPORT int mdb_env_set_mapsize(MDB_env *env, size_t size)
{
	static int (*f)(MDB_env *, size_t);
	REAL(f, "mdb_env_set_mapsize");
	int rc = f(env, size);
	if (rc == 0 && tracing()) {
		pthread_mutex_lock(&lock);
		emit(LT_MAPSIZE, 0, 0, size, 0, NULL, 0);
		pthread_mutex_unlock(&lock);
	}
	return rc;
}

EXPORT int mdb_env_sync(MDB_env *env, int force)
{
	static int (*f)(MDB_env *, int);
	REAL(f, "mdb_env_sync");
	int rc = f(env, force);
	if (tracing()) {
		pthread_mutex_lock(&lock);
		emit(LT_SYNC, 0, 0, (uint64_t)force, real_ns(), NULL, 0);
		pthread_mutex_unlock(&lock);
	}
	return rc;
}

EXPORT int mdb_txn_begin(MDB_env *env, MDB_txn *parent, unsigned int flags, MDB_txn **txn)
{
	static int (*f)(MDB_env *, MDB_txn *, unsigned int, MDB_txn **);
	REAL(f, "mdb_txn_begin");
	uint64_t t = real_ns();
	int rc = f(env, parent, flags, txn);
	if (rc != 0 || (flags & MDB_RDONLY) || !tracing())
		return rc;
	pthread_mutex_lock(&lock);
	uint32_t pid = parent ? txn_id(parent) : 0;
	if (!parent || pid) {
		for (int i = 0; i < MAX_TXNS; i++) {
			if (!txns[i].txn) {
				txns[i].txn = *txn;
				txns[i].id = next_txn++;
				emit(LT_BEGIN, txns[i].id, pid, t, 0, NULL, 0);
				break;
			}
		}
	}
	pthread_mutex_unlock(&lock);
	return rc;
}

EXPORT int mdb_txn_commit(MDB_txn *txn)
{
	static int (*f)(MDB_txn *);
	REAL(f, "mdb_txn_commit");
	uint32_t id = 0;
	if (tracing()) {
		pthread_mutex_lock(&lock);
		id = txn_id(txn);
		pthread_mutex_unlock(&lock);
	}
	int rc = f(txn);
	if (id) {
		pthread_mutex_lock(&lock);
		emit(rc == 0 ? LT_COMMIT : LT_ABORT, id, 0, real_ns(), 0, NULL, 0);
		txn_forget(txn);
		fflush(out);
		pthread_mutex_unlock(&lock);
	}
	return rc;
}

EXPORT void mdb_txn_abort(MDB_txn *txn)
{
	static void (*f)(MDB_txn *);
	REAL(f, "mdb_txn_abort");
	if (tracing()) {
		pthread_mutex_lock(&lock);
		uint32_t id = txn_id(txn);
		if (id) {
			emit(LT_ABORT, id, 0, real_ns(), 0, NULL, 0);
			txn_forget(txn);
		}
		pthread_mutex_unlock(&lock);
	}
	f(txn);
}

EXPORT int mdb_dbi_open(MDB_txn *txn, const char *name, unsigned int flags, MDB_dbi *dbi)
{
	static int (*f)(MDB_txn *, const char *, unsigned int, MDB_dbi *);
	REAL(f, "mdb_dbi_open");
	int rc = f(txn, name, flags, dbi);
	if (rc == 0 && tracing()) {
		pthread_mutex_lock(&lock);
		emit(LT_DBI, txn_id(txn), *dbi, flags, 0, name, name ? strlen(name) : 0);
		pthread_mutex_unlock(&lock);
	}
	return rc;
}

EXPORT int mdb_get(MDB_txn *txn, MDB_dbi dbi, MDB_val *key, MDB_val *data)
{
	static int (*f)(MDB_txn *, MDB_dbi, MDB_val *, MDB_val *);
	REAL(f, "mdb_get");
	if (tracing()) {
		pthread_mutex_lock(&lock);
		uint32_t id = txn_id(txn);
		if (id)
			emit(LT_GET, id, dbi, 0, 0, key->mv_data, key->mv_size);
		pthread_mutex_unlock(&lock);
	}
	return f(txn, dbi, key, data);
}

EXPORT int mdb_put(MDB_txn *txn, MDB_dbi dbi, MDB_val *key, MDB_val *data, unsigned int flags)
{
	static int (*f)(MDB_txn *, MDB_dbi, MDB_val *, MDB_val *, unsigned int);
	REAL(f, "mdb_put");
	if (tracing()) {
		pthread_mutex_lock(&lock);
		uint32_t id = txn_id(txn);
		if (id)
			emit(LT_PUT, id, dbi, data->mv_size, flags, key->mv_data, key->mv_size);
		pthread_mutex_unlock(&lock);
	}
	return f(txn, dbi, key, data, flags);
}

EXPORT int mdb_del(MDB_txn *txn, MDB_dbi dbi, MDB_val *key, MDB_val *data)
{
	static int (*f)(MDB_txn *, MDB_dbi, MDB_val *, MDB_val *);
	REAL(f, "mdb_del");
	if (tracing()) {
		pthread_mutex_lock(&lock);
		uint32_t id = txn_id(txn);
		if (id)
			emit(LT_DEL, id, dbi, 0, 0, key->mv_data, key->mv_size);
		pthread_mutex_unlock(&lock);
	}
	return f(txn, dbi, key, data);
}

EXPORT int mdb_stat(MDB_txn *txn, MDB_dbi dbi, MDB_stat *stat)
{
	static int (*f)(MDB_txn *, MDB_dbi, MDB_stat *);
	REAL(f, "mdb_stat");
	if (tracing()) {
		pthread_mutex_lock(&lock);
		uint32_t id = txn_id(txn);
		if (id)
			emit(LT_STAT, id, dbi, 0, 0, NULL, 0);
		pthread_mutex_unlock(&lock);
	}
	return f(txn, dbi, stat);
}

EXPORT int mdb_cursor_open(MDB_txn *txn, MDB_dbi dbi, MDB_cursor **cursor)
{
	static int (*f)(MDB_txn *, MDB_dbi, MDB_cursor **);
	REAL(f, "mdb_cursor_open");
	int rc = f(txn, dbi, cursor);
	if (rc == 0 && tracing()) {
		pthread_mutex_lock(&lock);
		uint32_t id = txn_id(txn);
		for (int i = 0; id && i < MAX_CURSORS; i++) {
			if (!cursors[i].cur) {
				cursors[i].cur = *cursor;
				cursors[i].txn = txn;
				cursors[i].id = next_cursor++;
				emit(LT_CUR_OPEN, id, dbi, cursors[i].id, 0, NULL, 0);
				break;
			}
		}
		pthread_mutex_unlock(&lock);
	}
	return rc;
}

/* The trace id of cursor C, or 0. Caller holds LOCK. */
static uint32_t cursor_id(const MDB_cursor *c)
{
	for (int i = 0; i < MAX_CURSORS; i++)
		if (cursors[i].cur == c && c)
			return cursors[i].id;
	return 0;
}

EXPORT int mdb_cursor_get(MDB_cursor *cursor, MDB_val *key, MDB_val *data, MDB_cursor_op op)
{
	static int (*f)(MDB_cursor *, MDB_val *, MDB_val *, MDB_cursor_op);
	REAL(f, "mdb_cursor_get");
	if (tracing()) {
		pthread_mutex_lock(&lock);
		uint32_t id = cursor_id(cursor);
		if (id) {
			bool keyed = op == MDB_SET || op == MDB_SET_KEY || op == MDB_SET_RANGE;
			emit(LT_CUR_GET, 0, 0, id, (uint64_t)op, keyed ? key->mv_data : NULL,
			     keyed ? key->mv_size : 0);
		}
		pthread_mutex_unlock(&lock);
	}
	return f(cursor, key, data, op);
}

EXPORT void mdb_cursor_close(MDB_cursor *cursor)
{
	static void (*f)(MDB_cursor *);
	REAL(f, "mdb_cursor_close");
	if (tracing()) {
		pthread_mutex_lock(&lock);
		for (int i = 0; i < MAX_CURSORS; i++) {
			if (cursors[i].cur == cursor && cursor) {
				emit(LT_CUR_CLOSE, 0, 0, cursors[i].id, 0, NULL, 0);
				cursors[i].cur = NULL;
				cursors[i].txn = NULL;
			}
		}
		pthread_mutex_unlock(&lock);
	}
	f(cursor);
}

__attribute__((destructor)) static void trace_close(void)
{
	if (out) {
		pthread_mutex_lock(&lock);
		fflush(out);
		pthread_mutex_unlock(&lock);
	}
}
