/*
 * readers.h: the reader threads, a small pool of the daemon's own that runs read-only work off
 * the loop thread: the scans (lookups are answered by the control threads, ctl.c).
 *
 * The loop thread queues a job; a reader thread runs it (the job opens its own LMDB read
 * transaction: store.h lets reads run in any thread, concurrently with the writer) and hands it
 * back to the loop thread, where its `done` runs. Jobs are of two kinds: short (a lookup) and
 * long (a scan of a whole table). Short jobs go first, and at most n - 1 of the n threads run
 * long jobs at once, so a lookup never waits behind scans: while a `due` runs, `liudong site`
 * from another shell is answered.
 *
 * Why a pool of our own rather than libuv's threadpool (uv_queue_work): libuv's pool is shared
 * with the daemon's file and DNS work (uv_getaddrinfo when dialling peers) and is four threads
 * whatever the CPUs, so four long scans would hold up every peer's address lookup; it has no
 * notion of short and long jobs; and its threads cannot be told apart in `top` or perf. Ours
 * has one thread per CPU (at least two), named `ld-reader`.
 */
#pragma once

#include <stdbool.h>
#include <uv.h>

#include "lderr.h"

struct readers;
struct reader_job;

/* Called in a reader thread. The job opens (and closes) any transaction it needs. */
typedef void (*reader_run_fn)(struct reader_job *job);

/* Called on the loop thread once run returned, or at once with job->result LD_ESTOPPING when the
 * pool is stopping or stopped (then run is never called). The job is the caller's again. */
typedef void (*reader_done_fn)(struct reader_job *job);

struct reader_job {
	reader_run_fn run;
	reader_done_fn done;
	bool scan;		 /* a long job (reads a whole table): see the top of this file */
	int result;		 /* run's to set; LD_ESTOPPING if never run */
	struct reader_job *next; /* the pool's */
};

/*
 * Start N reader threads (0: one per CPU; at least two, at most 64), reporting to LOOP. *out is
 * the caller's: stop it with readers_stop, then free it with readers_free once the loop has run
 * the stop's callback. Returns 0 or -errno; on failure nothing is the caller's (what was made
 * frees itself when the loop next runs).
 */
int readers_start(uv_loop_t *loop, unsigned n, struct readers **out);

/* The number of reader threads. */
unsigned readers_count(const struct readers *r);

/*
 * Queue JOB (owned by the caller, valid until its done callback). Loop thread only. When the pool
 * is stopping, JOB's done is called at once with LD_ESTOPPING, before this returns.
 */
void readers_submit(struct readers *r, struct reader_job *job);

/*
 * Let every queued and running job finish (their done callbacks run), stop the threads, then call
 * CB(DATA) on the loop thread (CB may be NULL). Loop thread only, once.
 */
void readers_stop(struct readers *r, void (*cb)(void *data), void *data);

/* Free R (NULL allowed): after readers_stop's callback ran, or after the loop ran out. */
void readers_free(struct readers *r);
