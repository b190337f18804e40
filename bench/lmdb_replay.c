/*
 * lmdb_replay.c: the raw LMDB time of a daemon's own writes (issue 12, acceptance 2).
 *
 *   lmdb_replay --trace FILE --dir DIR [--base DATA.MDB] [--from NS] [--to NS] [--only TABLES]
 *               [--json]
 *
 * Replays a trace written by bench/lmdbtrace.c (LD_PRELOAD into liudongd) into a fresh LMDB
 * environment in DIR (an empty or missing directory), with nothing but LMDB: the same tables, the
 * same environment flags (so the same durability: a data fdatasync per commit, the meta page's
 * sync where the daemon called mdb_env_sync), the same write transactions and child transactions
 * with the same puts (same keys, values of the same lengths), gets, deletes, cursor moves and
 * stats, in the same order, and the same commits and aborts. What the daemon did around those
 * calls (decoding, validating, packing, hashing, the network) is left out: that is the floor.
 *
 * --base copies a store (the site's data.mdb as `liudongd init` left it, before the traced daemon
 * started) into DIR first, so that the replay starts from the same store. Transactions that began
 * before --from (CLOCK_REALTIME ns, e.g. the start of an import) are replayed untimed to rebuild
 * the state the window starts from; then the transactions that began in [--from, --to] are
 * replayed and timed, with the mdb_env_sync calls of that window. Later ones are left out. Zeros
 * are written ahead of LMDB's last page at each top write transaction's start by the store's own
 * policy (common/prealloc.h), before the window and in it, as the daemon's store wrote them: the
 * floor extends its file where the store did, and pays for new pages of the file (the kernel's
 * page cache) where the store paid.
 *
 * --only members,log (tables by name) replays the gets, puts, deletes, stats and cursors of those
 * tables alone, with every transaction, commit and sync: the floor of a schema without the others
 * (what a leaner design could at best save; issue 12's note).
 *
 * Prints the window's time (wall and CPU) and shape: commits, syncs and, per table, puts (with key
 * and value bytes), gets, deletes and cursor moves. One line per table for people, or one JSON
 * object.
 * Exit 0, 1 on an error, 2 on a usage error.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <lmdb.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "lmdbtrace.h"
#include "prealloc.h"

#define MAX_DBI 64
#define SLOTS	256

struct table {
	char name[64];
	MDB_dbi dbi; /* in the replay */
	bool open;
	bool left_out; /* not in --only: its operations are not replayed */
	uint64_t puts, key_bytes, val_bytes, gets, dels, cursor_moves, stats;
};

struct replay {
	const uint8_t *p, *end; /* the trace */
	uint64_t from, to;
	MDB_env *env;
	unsigned env_flags;
	uint64_t map_size;	      /* the traced daemon's largest */
	uint64_t map_now;	      /* the traced daemon's, as of the record replayed */
	struct prealloc ahead;	      /* zeros written ahead, as the store writes them */
	struct table tables[MAX_DBI]; /* by the traced process's dbi */
	struct {
		uint32_t id;
		MDB_txn *txn;
	} txns[SLOTS];
	struct {
		uint32_t id;
		MDB_cursor *cur;
	} curs[SLOTS];
	uint8_t *val;
	size_t val_cap;
	uint64_t commits, child_commits, aborts, syncs, errors;
	const char *only; /* --only: the tables replayed (a comma-separated list), or NULL: all */
};

/* Whether NAME is one of ONLY's comma-separated names. */
static bool listed(const char *only, const char *name)
{
	size_t n = strlen(name);
	for (const char *p = only; *p;) {
		const char *end = strchr(p, ',');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		if (len == n && memcmp(p, name, n) == 0)
			return true;
		p += len + (end != NULL);
	}
	return false;
}

static double mono_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The CPU time (user and system) this process took so far, in seconds. */
static double cpu_s(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
	       (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static MDB_txn **txn_slot(struct replay *r, uint32_t id)
{
	if (r->txns[id % SLOTS].id != id)
		return NULL;
	return &r->txns[id % SLOTS].txn;
}

static int fail(const char *what, int rc)
{
	fprintf(stderr, "lmdb_replay: %s: %s\n", what, mdb_strerror(rc));
	return 1;
}

/* A value of LEN bytes (pseudo-random: LMDB does not care, but nothing may compress it). */
static void *value(struct replay *r, size_t len)
{
	if (len > r->val_cap) {
		free(r->val);
		r->val_cap = len * 2;
		r->val = malloc(r->val_cap);
		if (!r->val)
			return NULL;
		uint32_t x = 2463534242u;
		for (size_t i = 0; i < r->val_cap; i++) {
			x ^= x << 13, x ^= x >> 17, x ^= x << 5;
			r->val[i] = (uint8_t)x;
		}
	}
	return r->val;
}

/* At a top write transaction's start: zeros ahead of LMDB's last page where the store writes them
 * (a synced store only; a failed write is the store's too: LMDB extends the file itself). */
static void ahead(struct replay *r)
{
	MDB_envinfo info;
	MDB_stat st;
	int fd;
	if ((r->env_flags & MDB_NOSYNC) || mdb_env_get_fd(r->env, &fd) != 0)
		return;
	mdb_env_info(r->env, &info);
	mdb_env_stat(r->env, &st);
	size_t map = r->map_now ? r->map_now : info.me_mapsize;
	prealloc_ahead(&r->ahead, fd, (info.me_last_pgno + 1) * st.ms_psize, map);
}

/* Does the record at P (a LT_BEGIN) fall in the window? */
static bool in_window(const struct replay *r, const struct lt_rec *rec)
{
	return rec->a >= r->from && (!r->to || rec->a <= r->to);
}

/*
 * Replay records from r->p. PHASE 0: until the first top-level begin at or after --from (not
 * counted); PHASE 1: until the first top-level begin after --to (counted when COUNT). Returns 0,
 * or 1 on an error (printed). Stops at the end of the trace.
 */
static int run(struct replay *r, int phase, bool count)
{
	while (r->p + sizeof(struct lt_rec) <= r->end) {
		struct lt_rec rec;
		memcpy(&rec, r->p, sizeof(rec));
		const uint8_t *key = r->p + sizeof(rec);
		if (key + rec.klen > r->end)
			break; /* a trace cut short by a killed process */
		if (rec.op == LT_BEGIN && rec.dbi == 0) {
			if (phase == 0 && rec.a >= r->from)
				return 0;
			if (phase == 1 && !in_window(r, &rec))
				return 0;
		}
		if (rec.op == LT_SYNC && phase == 1 && r->to && rec.b > r->to) {
			r->p = key + rec.klen;
			continue;
		}
		r->p = key + rec.klen;
		struct table *t = rec.dbi < MAX_DBI ? &r->tables[rec.dbi] : NULL;
		MDB_val k = {.mv_size = rec.klen, .mv_data = (void *)key}, v = {0};
		MDB_txn **tp = NULL;
		int rc;
		switch (rec.op) {
		case LT_MAPSIZE:
			r->map_now = rec.a;
			break;
		case LT_HEADER:
		case LT_ENV_OPEN:
			break;
		case LT_BEGIN: {
			MDB_txn *parent = NULL;
			if (rec.dbi) {
				MDB_txn **pp = txn_slot(r, rec.dbi);
				if (!pp)
					return fail("a child transaction of an unknown parent",
						    EINVAL);
				parent = *pp;
			}
			r->txns[rec.txn % SLOTS].id = rec.txn;
			rc = mdb_txn_begin(r->env, parent, 0, &r->txns[rec.txn % SLOTS].txn);
			if (rc)
				return fail("mdb_txn_begin", rc);
			if (!parent)
				ahead(r);
			break;
		}
		case LT_COMMIT:
		case LT_ABORT:
			if (!(tp = txn_slot(r, rec.txn)) || !*tp)
				break; /* begun before the trace or in an untraced way */
			if (rec.op == LT_COMMIT) {
				rc = mdb_txn_commit(*tp);
				if (rc)
					return fail("mdb_txn_commit", rc);
			} else {
				mdb_txn_abort(*tp);
			}
			*tp = NULL;
			r->txns[rec.txn % SLOTS].id = 0;
			if (count) {
				/* A child's parent is still open when it ends. */
				bool top = true;
				for (int i = 0; i < SLOTS; i++)
					if (r->txns[i].id && r->txns[i].txn)
						top = false;
				if (rec.op == LT_ABORT)
					r->aborts++;
				else if (top)
					r->commits++;
				else
					r->child_commits++;
			}
			break;
		case LT_DBI: {
			if (!t)
				return fail("a table number out of range", EINVAL);
			if (!(tp = txn_slot(r, rec.txn)) || !*tp)
				return fail("a table opened outside a traced transaction", EINVAL);
			snprintf(t->name, sizeof(t->name), "%.*s", (int)rec.klen,
				 (const char *)key);
			rc = mdb_dbi_open(*tp, rec.klen ? t->name : NULL, (unsigned)rec.a, &t->dbi);
			if (rc)
				return fail("mdb_dbi_open", rc);
			t->open = true;
			t->left_out = r->only && !listed(r->only, t->name);
			break;
		}
		case LT_GET:
		case LT_PUT:
		case LT_DEL:
		case LT_STAT:
		case LT_CUR_OPEN:
			if (!t || !t->open)
				return fail("an operation on a table never opened", EINVAL);
			if (!(tp = txn_slot(r, rec.txn)) || !*tp)
				return fail("an operation in an unknown transaction", EINVAL);
			if (t->left_out)
				break; /* its cursor is never opened: its moves are left out too */
			if (rec.op == LT_GET) {
				rc = mdb_get(*tp, t->dbi, &k, &v);
				t->gets += count;
			} else if (rec.op == LT_PUT) {
				v.mv_size = rec.a;
				if (!(v.mv_data = value(r, rec.a)))
					return fail("a value buffer", ENOMEM);
				unsigned flags = (unsigned)rec.b & ~(unsigned)MDB_RESERVE;
				rc = mdb_put(*tp, t->dbi, &k, &v, flags);
				if (count) {
					t->puts++;
					t->key_bytes += rec.klen;
					t->val_bytes += rec.a;
				}
			} else if (rec.op == LT_DEL) {
				rc = mdb_del(*tp, t->dbi, &k, NULL);
				t->dels += count;
			} else if (rec.op == LT_STAT) {
				MDB_stat st;
				rc = mdb_stat(*tp, t->dbi, &st);
				t->stats += count;
			} else {
				r->curs[rec.a % SLOTS].id = (uint32_t)rec.a;
				rc = mdb_cursor_open(*tp, t->dbi, &r->curs[rec.a % SLOTS].cur);
				if (rc)
					return fail("mdb_cursor_open", rc);
				break;
			}
			if (rc == MDB_MAP_FULL)
				return fail("the replay's map is full", rc);
			if (rc && rc != MDB_NOTFOUND && rc != MDB_KEYEXIST)
				r->errors++;
			break;
		case LT_CUR_GET:
		case LT_CUR_CLOSE: {
			uint32_t id = (uint32_t)rec.a;
			if (r->curs[id % SLOTS].id != id || !r->curs[id % SLOTS].cur)
				break;
			MDB_cursor *c = r->curs[id % SLOTS].cur;
			if (rec.op == LT_CUR_CLOSE) {
				mdb_cursor_close(c);
				r->curs[id % SLOTS].cur = NULL;
				break;
			}
			rc = mdb_cursor_get(c, &k, &v, (MDB_cursor_op)rec.b);
			if (count) {
				MDB_dbi d = mdb_cursor_dbi(c);
				for (int i = 0; i < MAX_DBI; i++)
					if (r->tables[i].open && r->tables[i].dbi == d) {
						r->tables[i].cursor_moves++;
						break;
					}
			}
			break;
		}
		case LT_SYNC:
			rc = mdb_env_sync(r->env, (int)rec.a);
			if (rc)
				return fail("mdb_env_sync", rc);
			r->syncs += count;
			break;
		default:
			return fail("an unknown record in the trace", EINVAL);
		}
	}
	return 0;
}

static int copy_file(const char *from, const char *to)
{
	int in = open(from, O_RDONLY | O_CLOEXEC), out = -1, rc = 0;
	if (in < 0)
		return -errno;
	out = open(to, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (out < 0) {
		rc = -errno;
		close(in);
		return rc;
	}
	char buf[1 << 16];
	ssize_t n;
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n) {
			rc = -EIO;
			break;
		}
	if (n < 0)
		rc = -errno;
	if (!rc && fsync(out))
		rc = -errno;
	close(in);
	close(out);
	return rc;
}

static const char usage[] =
    "usage: lmdb_replay --trace FILE --dir DIR [--base DATA.MDB] [--from NS] [--to NS]\n"
    "                   [--only TABLE,...] [--json]\n"
    "  replays the write transactions of a trace by bench/liblmdbtrace.so into a fresh store in\n"
    "  DIR; times those that began in [--from, --to] (CLOCK_REALTIME ns).\n";

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"trace", required_argument, NULL, 't'},
	    {"dir", required_argument, NULL, 'd'},
	    {"base", required_argument, NULL, 'b'},
	    {"from", required_argument, NULL, 'f'},
	    {"to", required_argument, NULL, 'u'},
	    {"json", no_argument, NULL, 'j'},
	    {"only", required_argument, NULL, 'o'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	const char *trace = NULL, *dir = NULL, *base = NULL;
	static struct replay r;
	bool json = false;
	int c;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 't':
			trace = optarg;
			break;
		case 'd':
			dir = optarg;
			break;
		case 'b':
			base = optarg;
			break;
		case 'f':
			r.from = strtoull(optarg, NULL, 10);
			break;
		case 'u':
			r.to = strtoull(optarg, NULL, 10);
			break;
		case 'j':
			json = true;
			break;
		case 'o':
			r.only = optarg;
			break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		default:
			fputs(usage, stderr);
			return 2;
		}
	}
	if (!trace || !dir || optind != argc) {
		fputs(usage, stderr);
		return 2;
	}
	int fd = open(trace, O_RDONLY | O_CLOEXEC);
	struct stat sb;
	if (fd < 0 || fstat(fd, &sb) != 0 || sb.st_size < (off_t)sizeof(struct lt_rec)) {
		fprintf(stderr, "lmdb_replay: cannot read the trace %s\n", trace);
		return 1;
	}
	const uint8_t *map = mmap(NULL, (size_t)sb.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (map == MAP_FAILED) {
		fprintf(stderr, "lmdb_replay: cannot map the trace: %s\n", strerror(errno));
		return 1;
	}
	r.p = map;
	r.end = map + sb.st_size;
	struct lt_rec h;
	memcpy(&h, map, sizeof(h));
	if (h.op != LT_HEADER || h.a != LT_MAGIC) {
		fprintf(stderr, "lmdb_replay: %s is not a trace of bench/liblmdbtrace.so\n", trace);
		return 1;
	}
	/* The environment's flags and largest map, from the trace. */
	bool have_env = false;
	for (const uint8_t *p = map; p + sizeof(struct lt_rec) <= r.end;) {
		struct lt_rec rec;
		memcpy(&rec, p, sizeof(rec));
		if (rec.op == LT_ENV_OPEN && !have_env) {
			r.env_flags = (unsigned)rec.a;
			have_env = true;
		}
		if (rec.op == LT_MAPSIZE && rec.a > r.map_size)
			r.map_size = rec.a;
		p += sizeof(rec) + rec.klen;
	}
	if (!have_env) {
		fprintf(stderr, "lmdb_replay: the trace holds no mdb_env_open\n");
		return 1;
	}
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		fprintf(stderr, "lmdb_replay: cannot create %s: %s\n", dir, strerror(errno));
		return 1;
	}
	char path[4096];
	snprintf(path, sizeof(path), "%s/data.mdb", dir);
	if (access(path, F_OK) == 0) {
		fprintf(stderr, "lmdb_replay: %s holds a store already; give an empty directory\n",
			dir);
		return 1;
	}
	if (base && (c = copy_file(base, path)) != 0) {
		fprintf(stderr, "lmdb_replay: cannot copy %s: %s\n", base, strerror(-c));
		return 1;
	}
	int rc = mdb_env_create(&r.env);
	if (rc)
		return fail("mdb_env_create", rc);
	mdb_env_set_maxdbs(r.env, MAX_DBI);
	mdb_env_set_maxreaders(r.env, 256);
	uint64_t map_size = r.map_size < (4ull << 30) ? 4ull << 30 : r.map_size * 2;
	if ((rc = mdb_env_set_mapsize(r.env, map_size)))
		return fail("mdb_env_set_mapsize", rc);
	if ((rc = mdb_env_open(r.env, dir, r.env_flags, 0600)))
		return fail("mdb_env_open", rc);

	if (run(&r, 0, false))
		return 1;
	double t0 = mono_s(), c0 = cpu_s();
	if (run(&r, 1, true))
		return 1;
	double secs = mono_s() - t0, cpu = cpu_s() - c0;
	/* Transactions left open when the window closed (or the trace ended). */
	for (int i = 0; i < SLOTS; i++)
		if (r.txns[i].id && r.txns[i].txn)
			mdb_txn_abort(r.txns[i].txn), r.txns[i].txn = NULL;
	mdb_env_close(r.env);
	/* A name in --only the trace has no table of (a typo) would give the floor of nothing. */
	for (const char *p = r.only; p && *p;) {
		size_t len = strcspn(p, ",");
		bool found = false;
		for (int i = 0; i < MAX_DBI && !found; i++)
			found = r.tables[i].open && strlen(r.tables[i].name) == len &&
				memcmp(r.tables[i].name, p, len) == 0;
		if (!found) {
			fprintf(stderr, "lmdb_replay: --only: the trace has no table '%.*s'\n",
				(int)len, p);
			return 2;
		}
		p += len + (p[len] == ',');
	}

	uint64_t puts = 0, gets = 0, dels = 0, moves = 0, kb = 0, vb = 0;
	for (int i = 0; i < MAX_DBI; i++) {
		struct table *t = &r.tables[i];
		puts += t->puts, gets += t->gets, dels += t->dels, moves += t->cursor_moves;
		kb += t->key_bytes, vb += t->val_bytes;
	}
	if (json) {
		printf("{\"bench\":\"lmdb_replay\",\"seconds\":%.4f,\"cpu_seconds\":%.4f,"
		       "\"commits\":%" PRIu64 ",\"child_commits\":%" PRIu64 ",\"aborts\":%" PRIu64
		       ",\"syncs\":%" PRIu64 ",\"puts\":%" PRIu64 ",\"gets\":%" PRIu64
		       ",\"dels\":%" PRIu64 ",\"cursor_moves\":%" PRIu64 ",\"key_bytes\":%" PRIu64
		       ",\"value_bytes\":%" PRIu64 ",\"errors\":%" PRIu64 ",\"tables\":{",
		       secs, cpu, r.commits, r.child_commits, r.aborts, r.syncs, puts, gets, dels,
		       moves, kb, vb, r.errors);
		bool first = true;
		for (int i = 0; i < MAX_DBI; i++) {
			struct table *t = &r.tables[i];
			if (!t->open ||
			    !(t->puts || t->gets || t->dels || t->cursor_moves || t->stats))
				continue;
			printf("%s\"%s\":{\"puts\":%" PRIu64 ",\"key_bytes\":%" PRIu64
			       ",\"value_bytes\":%" PRIu64 ",\"gets\":%" PRIu64 ",\"dels\":%" PRIu64
			       ",\"cursor_moves\":%" PRIu64 ",\"stats\":%" PRIu64 "}",
			       first ? "" : ",", t->name, t->puts, t->key_bytes, t->val_bytes,
			       t->gets, t->dels, t->cursor_moves, t->stats);
			first = false;
		}
		printf("}}\n");
	} else {
		printf("replay %.3f s (CPU %.3f s): %" PRIu64 " commits (%" PRIu64
		       " child, %" PRIu64 " aborted), %" PRIu64 " syncs, %" PRIu64 " puts (%" PRIu64
		       " B keys, %" PRIu64 " B values), %" PRIu64 " gets, %" PRIu64
		       " dels, %" PRIu64 " cursor moves\n",
		       secs, cpu, r.commits, r.child_commits, r.aborts, r.syncs, puts, kb, vb, gets,
		       dels, moves);
		for (int i = 0; i < MAX_DBI; i++) {
			struct table *t = &r.tables[i];
			if (!t->open ||
			    !(t->puts || t->gets || t->dels || t->cursor_moves || t->stats))
				continue;
			printf("  %-12s puts %-8" PRIu64 " values %-10" PRIu64 " B  gets %-8" PRIu64
			       " dels %-8" PRIu64 " cursor moves %-8" PRIu64 "\n",
			       t->name, t->puts, t->val_bytes, t->gets, t->dels, t->cursor_moves);
		}
	}
	return r.errors ? 1 : 0;
}
