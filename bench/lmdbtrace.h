/*
 * lmdbtrace.h: the record format shared by bench/lmdbtrace.c (an LD_PRELOAD library that writes
 * down every LMDB call a daemon's write transactions make) and bench/lmdb_replay.c (which replays
 * them into a fresh store: the raw LMDB floor of that work, issue 12 acceptance 2).
 *
 * A trace is a sequence of fixed-size records, each followed by KLEN bytes (a key, or a table
 * name for LT_DBI). Values are not recorded, only their lengths: LMDB's cost depends on a value's
 * size, not on its bytes. Keys are recorded whole: they decide where in the B-trees a put lands.
 */
#pragma once

#include <stdint.h>

#define LT_MAGIC 0x3154524c /* "LRT1" */

enum lt_op {
	LT_HEADER = 1, /* a = LT_MAGIC */
	LT_ENV_OPEN,   /* a = env flags (MDB_NOSYNC, MDB_NOMETASYNC...) */
	LT_MAPSIZE,    /* a = map size in bytes */
	LT_BEGIN,      /* txn = new id, dbi = parent id (0: top level), a = CLOCK_REALTIME ns */
	LT_COMMIT,     /* txn, a = CLOCK_REALTIME ns at the end of the commit */
	LT_ABORT,      /* txn */
	LT_DBI,	       /* txn, dbi, a = flags; key = table name */
	LT_GET,	       /* txn, dbi; key */
	LT_PUT,	       /* txn, dbi, a = value length, b = put flags; key */
	LT_DEL,	       /* txn, dbi; key */
	LT_CUR_OPEN,   /* txn, dbi, a = cursor id */
	LT_CUR_GET,    /* a = cursor id, b = MDB_cursor_op; key (given for SET ops, else empty) */
	LT_CUR_CLOSE,  /* a = cursor id */
	LT_STAT,       /* txn, dbi */
	LT_SYNC,       /* a = force, b = CLOCK_REALTIME ns at its end */
};

struct lt_rec {
	uint8_t op;
	uint8_t pad[3];
	uint32_t txn;
	uint32_t dbi;
	uint32_t klen;
	uint64_t a;
	uint64_t b;
};
