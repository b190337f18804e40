/*
 * hold_reader: a process that reads a site's store and dies in the middle (store_readers.sh).
 *
 *   hold_reader DATA_DIR
 *
 * Opens the LMDB environment in DATA_DIR as a second process would (mdb_stat, mdb_copy), begins a
 * read transaction, prints "holding TXNID" and holds it until SIGTERM (then it ends it and exits
 * 0). Killed with -9, it leaves its slot in the reader table: the snapshot it read stays pinned
 * until the daemon clears the slot.
 */
#include <lmdb.h>
#include <signal.h>
#include <stdio.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: hold_reader DATA_DIR\n");
		return 2;
	}
	MDB_env *env;
	MDB_txn *txn;
	int rc = mdb_env_create(&env);
	if (rc == 0)
		rc = mdb_env_set_maxdbs(env, 32);
	if (rc == 0)
		rc = mdb_env_set_maxreaders(env, 256);
	if (rc == 0)
		rc = mdb_env_open(env, argv[1], MDB_RDONLY, 0600);
	if (rc == 0)
		rc = mdb_txn_begin(env, NULL, MDB_RDONLY, &txn);
	if (rc) {
		fprintf(stderr, "hold_reader: %s: %s\n", argv[1], mdb_strerror(rc));
		return 1;
	}
	/* SIGTERM ends the transaction properly (kill -9 is the test's way to leave it stale). */
	sigset_t set;
	int sig;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_BLOCK, &set, NULL);
	printf("holding %zu\n", (size_t)mdb_txn_id(txn));
	fflush(stdout);
	sigwait(&set, &sig);
	mdb_txn_abort(txn);
	mdb_env_close(env);
	return 0;
}
