/*
 * daemon.h: the state of one running liudongd, shared by the loop's parts.
 */
#pragma once

#include <stdint.h>
#include <uv.h>

#include "config.h"
#include "identity.h"
#include "store.h"
#include "lderr.h"

struct writer;
struct ctl_server;
struct readers;
struct sync;

/*
 * Fixed once daemon_setup returned (read by any thread, the writer's and readers' jobs included):
 * loop, identity, site_id, site_id_text, store (the handle; transactions are per thread, writes
 * only in the writer thread), test_read_hold, and config except what SIGHUP reloads (peers,
 * rules), which the loop thread changes between callbacks. Everything else belongs to the loop
 * thread.
 * config.rules is replaced on SIGHUP, on the loop thread: a request and a sync job copy it on
 * the loop thread when they start (request.rules, apply_job.rules), and the writer thread reads
 * only those immutable copies, never config.rules itself.
 */
struct daemon {
	uv_loop_t *loop;
	struct config config; /* [peer] and [rules] reloaded on SIGHUP by the loop thread */
	struct identity *identity;
	uint8_t site_id[LD_SITE_ID_BYTES];
	char site_id_text[LD_SITE_ID_TEXT];
	struct store *store;
	struct writer *writer;		     /* loop thread: writer_submit, writer_stop */
	struct readers *readers;	     /* loop thread: readers_submit, readers_stop */
	struct ctl_server *ctl;		     /* loop thread */
	struct sync *sync;		     /* loop thread (sync.h) */
	uv_signal_t sigterm, sigint, sighup; /* loop thread */
	uv_timer_t
	    trim; /* loop thread: drops the store's pages from the resident set now and then */
	uv_timer_t reader_check; /* loop thread: clears reader slots of dead processes */
	int lock_fd;		 /* the data directory's lock (datalock.h), held until cleanup */
	/*
	 * Tests only, from the environment at start: LIUDONGD_TEST_READ_HOLD=DIR makes every scan
	 * (commands.h), once its read transaction is open, create DIR/held.N (N counts from 1) and
	 * wait until DIR/release exists, so a test can hold a long read in flight for as long as it
	 * needs. Empty: off. (LIUDONGD_READERS=N sets the number of reader threads; 0 or unset: one
	 * per CPU, at least two.)
	 */
	char test_read_hold[LD_PATH_MAX];
	int stopping; /* loop thread */
};

/*
 * Load the config at CONFIG_PATH, the identity, open the store, start the writer and the control
 * socket, install signal handlers. On failure a one-line reason is logged and everything started is
 * undone. Returns 0 or -errno; these mean something else is in the way, and liudongd exits 5
 * (refused) for them: LD_ELOCKED (another daemon holds the data directory, or a daemon
 * answers on the control socket), LD_EEXIST (something that is not a socket is at its path).
 */
int daemon_setup(struct daemon *d, uv_loop_t *loop, const char *config_path);

/* Run the loop until SIGTERM/SIGINT have stopped everything. Returns 0 or -errno. */
int daemon_run(struct daemon *d);

/* Free what daemon_setup made (after daemon_run returned). */
void daemon_cleanup(struct daemon *d);
