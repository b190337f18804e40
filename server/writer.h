/*
 * writer.h: the writer thread. It owns every write transaction of the daemon.
 *
 * Jobs are queued from the loop thread. The writer opens one write transaction, runs the queued
 * jobs in it as they come (a job that fails is rolled back alone), commits once for the whole
 * group (group commit), makes it durable, and only then hands the jobs back to the loop thread,
 * where each job's `done` runs. So a reply sent from `done` is always about committed data. On
 * LD_EMAPFULL (map full) the batch is aborted, the map grown, and the batch run again; on
 * LD_ENOSPACE (the disk is full) the batch is aborted and every job of it fails with LD_ENOSPACE; a
 * job that fails after it changed something also makes the batch run again (each job then in a
 * child transaction): `run` must therefore build its results afresh each time it is called.
 */
#pragma once

#include <errno.h>
#include <stdbool.h>
#include <uv.h>

#include "store.h"
#include "lderr.h"

struct writer;
struct writer_job;

/*
 * Called in the writer thread inside TXN (the batch's transaction, or a child of it). Returns 0 to
 * keep its changes, or a negative errno to roll them back. May be called more than once for one
 * job (map growth, or another job of the batch failed half way).
 */
typedef int (*writer_run_fn)(struct writer_job *job, struct store_txn *txn);

/*
 * What run returns to be called again in a transaction without its changes: at once if it
 * changed nothing, else after they are rolled back (the batch runs again carefully, or, if it
 * already does, the job's child transaction is aborted and the job runs once more in a new one).
 * A job asking this must not ask it again on the next call.
 */
#define WRITER_JOB_AGAIN (-EINPROGRESS)

/*
 * Called on the loop thread after the batch committed (job->result is run's return) or failed
 * (job->result is the commit's error). The job is the caller's again.
 */
typedef void (*writer_done_fn)(struct writer_job *job);

struct writer_job {
	writer_run_fn run;
	writer_done_fn done;
	int result;
	/*
	 * A long job commits in parts: its run sets MORE to have what it wrote so far committed and
	 * to be run again, in a later transaction of the writer's, without going back to the loop
	 * thread; PART counts its parts committed (0 in the first run; set by the writer). Once a
	 * part is durable, PART_DONE (may be NULL) is called with the job on the loop thread while
	 * the writer may be running the job's next part: it must touch nothing the run changes.
	 * DONE comes once, after the last part (or the first failure).
	 */
	bool more;
	unsigned part;
	void (*part_done)(struct writer_job *job);
	/*
	 * RAN (may be NULL) is called on the loop thread once the job has run in the batch's
	 * transaction, before that is committed: the caller may let more work in while the batch
	 * commits (a peer's next batch read while this one's fsync runs). At most once per
	 * submission, always before DONE; never for a job done without running (the writer
	 * stopping). The batch may still run the job again (careful, map grown), and DONE may say
	 * it failed: RAN must change nothing RUN reads and promise nothing about the commit.
	 */
	void (*ran)(struct writer_job *job);
	bool ran_sent;		     /* the writer's */
	struct writer_job *next;     /* the writer's */
	struct writer_job *ran_next; /* the writer's */
};

/*
 * Start the writer thread on store S, reporting to LOOP. *out is the caller's; stop it with
 * writer_stop. Returns 0 or -errno.
 */
int writer_start(uv_loop_t *loop, struct store *s, struct writer **out);

/*
 * Queue JOB (owned by the caller, must stay valid until its done callback). Loop thread only.
 * After writer_stop began, JOB's done is called with LD_ESTOPPING without running it.
 */
void writer_submit(struct writer *w, struct writer_job *job);

/*
 * Finish every queued job (their done callbacks run), stop the thread, then call CB(W_DATA) on the
 * loop thread; W is freed after CB returns. Loop thread only.
 */
void writer_stop(struct writer *w, void (*cb)(void *data), void *data);

/* Batches committed and jobs run since start (for the log and benchmarks). */
void writer_stats(struct writer *w, unsigned long *batches, unsigned long *jobs);
