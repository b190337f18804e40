/*
 * writer.c: see writer.h.
 *
 * Two threads and three lists under one mutex. The commit thread takes `queue` (submitted jobs)
 * and runs each job at once in the batch's open transaction, so jobs run while the rest of the
 * batch is still arriving; it commits when the batch is as large as the one before, or LINGER_NS
 * after it began. With a STORE_PIPELINED store the commit puts the data on disk but not yet the
 * meta page that makes it current. If other jobs are waiting, the batch goes to `committed`, and
 * the sync thread makes it durable with one fdatasync (store_sync) while the commit thread builds
 * the next batch; if nothing is waiting (every client waits for this batch), the commit thread
 * does that fdatasync itself, without a hand-over. Durable batches go to `finished`, from which
 * the loop thread (woken by a uv_async_t) calls each job's done. Order is kept: jobs run and
 * finish in submission order. A job with a `ran` callback is also put on `ran` as soon as it has
 * run, and the loop thread calls that (before its done) while the batch is still open or
 * committing: a peer's next batch is let in then, not only once this one is durable.
 *
 * Jobs run in the batch's transaction itself, not in child transactions (each child costs LMDB a
 * dirty-page list of its own). A job that fails without having changed anything (commands check
 * first, then write) leaves the transaction as it was; the rare one that fails half way makes the
 * batch run again, carefully: each job in a child transaction, rolled back alone if it fails.
 * A job that asks to be run again (WRITER_JOB_AGAIN) is, once its changes are rolled back.
 *
 * A long job (an import) commits in parts: when its run sets `more`, the batch commits what it
 * wrote, a small note takes its place in the batch (the loop thread calls its part_done once that
 * batch is durable) and the job is queued again at the tail, so it goes on in the next batch
 * without a round trip to the loop thread and without holding up the jobs queued meanwhile.
 */
#include "writer.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "logging.h"
#include "lderr.h"

struct writer {
	uv_loop_t *loop;
	struct store *store;
	pthread_t thread, syncer;
	pthread_mutex_t lock;
	pthread_cond_t wake;	  /* the commit thread: new jobs, or stop */
	pthread_cond_t sync_wake; /* the sync thread: new commits, or the commit thread exited */
	struct writer_job *queue, **queue_tail;
	struct writer_job *committed, **committed_tail;
	bool committed_wrote; /* something in `committed` changed the store: fsync it */
	bool syncing;	      /* the sync thread is making a batch durable */
	struct writer_job *finished, **finished_tail;
	/* Jobs run, their RAN not yet called (linked by ran_next), in the order they ran. */
	struct writer_job *ran, **ran_tail;
	size_t queued;	       /* jobs in `queue` */
	size_t last_batch;     /* jobs in the batch before */
	bool waiting;	       /* the commit thread waits for jobs: wake it */
	bool careful;	       /* commit thread: this batch runs each job in a child transaction */
	bool stopping;	       /* set by writer_stop: the thread exits once the queue is empty */
	bool committer_exited; /* the commit thread has exited */
	bool exited;	       /* both threads have exited */
	uv_async_t async;
	void (*stop_cb)(void *data);
	void *stop_data;
	unsigned long batches, jobs;
};

/*
 * Run JOB in TXN, the batch's transaction. A job that fails before it changed anything (the usual
 * way: commands check, then write) leaves TXN as it was. One that fails half way (it made changes,
 * then returned an error) has left them in TXN: the batch must run again with W->careful set,
 * where every job runs in a child transaction of its own, rolled back alone if it fails.
 * Returns 0 whatever the job's own result, -EAGAIN for "run the batch again, carefully", or the
 * error that stops the whole batch: LD_EMAPFULL (map full) or a failure of the store itself
 * (LD_ENOSPACE: the disk is full).
 */
static int run_job_once(struct writer *w, struct store_txn *txn, struct writer_job *j)
{
	if (!w->careful) {
		uint64_t before = store_txn_changes(txn);
		j->more = false;
		j->result = j->run(j, txn);
		if (j->result == WRITER_JOB_AGAIN && store_txn_changes(txn) == before) {
			j->more = false;
			j->result = j->run(j, txn); /* nothing to roll back: at once */
		}
		if (j->result == LD_EMAPFULL || j->result == LD_ENOSPACE)
			return j->result;
		if (j->result != 0 && store_txn_changes(txn) != before) {
			w->careful = true;
			return -EAGAIN;
		}
		return 0;
	}
	for (int tries = 0; tries < 2; tries++) {
		struct store_txn *child;
		int rc = store_begin_child(txn, &child);
		if (rc)
			return rc;
		j->more = false;
		j->result = j->run(j, child);
		if (j->result == 0)
			j->result = store_commit(child);
		else
			store_abort(child);
		if (j->result != WRITER_JOB_AGAIN)
			break;
	}
	return j->result == LD_EMAPFULL || j->result == LD_ENOSPACE ? j->result : 0;
}

/* J has run: its RAN goes to the loop thread, once. Lock not held. */
static void note_ran(struct writer *w, struct writer_job *j)
{
	if (!j->ran || j->ran_sent)
		return;
	j->ran_sent = true;
	j->ran_next = NULL;
	pthread_mutex_lock(&w->lock);
	*w->ran_tail = j;
	w->ran_tail = &j->ran_next;
	uv_async_send(&w->async);
	pthread_mutex_unlock(&w->lock);
}

/* run_job_once, then J's RAN noted if the batch may go on (it ran, whatever its own result). */
static int run_job(struct writer *w, struct store_txn *txn, struct writer_job *j)
{
	int rc = run_job_once(w, txn, j);
	if (rc == 0)
		note_ran(w, j);
	return rc;
}

/* After a batch stopped with RC: 0 if it can run again (the map grown if it was full), else RC. */
static int may_run_again(struct writer *w, int rc)
{
	if (rc == -EAGAIN)
		return 0;
	if (rc == LD_EMAPFULL)
		return store_grow(w->store);
	return rc;
}

/*
 * Begin the batch's transaction in *TXN and run every job of BATCH in it, starting over as long
 * as a job asks for it (map grown, or careful). Returns 0 (*TXN open), or -errno (*TXN NULL).
 */
static int run_jobs(struct writer *w, struct writer_job *batch, struct store_txn **txn)
{
	for (;;) {
		int rc = store_begin(w->store, true, txn);
		if (rc) {
			*txn = NULL;
			return rc;
		}
		for (struct writer_job *j = batch; j && rc == 0; j = j->next)
			rc = run_job(w, *txn, j);
		if (rc == 0)
			return 0;
		store_abort(*txn);
		*txn = NULL;
		if ((rc = may_run_again(w, rc)) != 0)
			return rc;
	}
}

/*
 * Group commit with many clients: those answered by the last commit come back a moment later,
 * one after another. The commit thread runs each job as soon as it is queued, in the batch's open
 * transaction, and commits when the batch holds as many jobs as the one before (or LINGER_NS after
 * its first job, or at once for a lone client: last batch of one). So the jobs run while the
 * clients are still coming back, and one fsync serves them all instead of every other batch being
 * half full.
 */
#define LINGER_NS 500000L

/* A transaction with this many puts and deletes drops the store's mapped pages after its commit. */
#define WRITER_TRIM_CHANGES 2048

/* Wait on the commit thread's condition until something is queued, or until *UNTIL if given. */
static void wait_for_jobs(struct writer *w, const struct timespec *until)
{
	w->waiting = true;
	while (!w->queue && !w->stopping) {
		if (!until)
			pthread_cond_wait(&w->wake, &w->lock);
		else if (pthread_cond_timedwait(&w->wake, &w->lock, until) != 0)
			break;
	}
	w->waiting = false;
}

/* Take the whole queue (lock held); *LAST receives its last job. */
static struct writer_job *take_queue(struct writer *w, struct writer_job **last, size_t *n)
{
	struct writer_job *first = w->queue;
	*last = first;
	for (struct writer_job *j = first; j; j = j->next)
		*last = j;
	*n = w->queued;
	w->queue = NULL;
	w->queue_tail = &w->queue;
	w->queued = 0;
	return first;
}

/* Append the list FIRST..LAST to *TAIL's list. */
static void list_append(struct writer_job ***tail, struct writer_job *first,
			struct writer_job *last)
{
	**tail = first;
	*tail = &last->next;
}

/* What stands in a committed batch for a job that goes on: its part, for the loop thread. */
struct part_note {
	struct writer_job job; /* first: the batch's lists hold it */
	struct writer_job *owner;
};

static void part_note_done(struct writer_job *job)
{
	struct part_note *note = (struct part_note *)job;
	if (job->result == 0 && note->owner->part_done)
		note->owner->part_done(note->owner);
	free(note);
}

/*
 * After BATCH committed (lock held): each job of it that asked to go on (more) is replaced in the
 * batch by a note of its part and queued again, at the tail (so other jobs are not held up by a
 * long one); unless the writer is stopping, or the note cannot be had: then the job ends here,
 * its part committed, with LD_ESTOPPING or -ENOMEM. *LAST follows.
 */
static void continue_parts(struct writer *w, struct writer_job **batch, struct writer_job **last)
{
	struct writer_job *j = *batch, **tail = batch;
	*last = NULL;
	while (j) {
		struct writer_job *next = j->next, *keep = j;
		if (j->result == 0 && j->more) {
			struct part_note *note = w->stopping ? NULL : calloc(1, sizeof(*note));
			j->more = false;
			j->part++;
			if (note) {
				note->job.done = part_note_done;
				note->owner = j;
				keep = &note->job;
				j->next = NULL;
				*w->queue_tail = j;
				w->queue_tail = &j->next;
				w->queued++;
			} else {
				j->result = w->stopping ? LD_ESTOPPING : -ENOMEM;
			}
		}
		*tail = keep;
		tail = &keep->next;
		*last = keep;
		j = next;
	}
	*tail = NULL;
}

/*
 * Build one batch (lock held on entry and exit, released while jobs run): run what is queued,
 * then what comes while the batch fills, commit. Returns the commit's result; *BATCH, *LAST and
 * *N describe the jobs run.
 */
static int build_batch(struct writer *w, struct writer_job **batch, struct writer_job **last,
		       size_t *n)
{
	struct timespec until;
	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_nsec += LINGER_NS;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	size_t target = w->last_batch > 1 ? w->last_batch : 1;
	struct store_txn *txn = NULL;
	struct writer_job **tail = batch;
	int rc = 0;
	*batch = NULL;
	*n = 0;
	while (w->queue) {
		size_t got;
		struct writer_job *first = take_queue(w, last, &got);
		pthread_mutex_unlock(&w->lock);
		list_append(&tail, first, *last);
		*n += got;
		if (rc == 0 && !txn) {
			rc = run_jobs(w, *batch, &txn);
		} else if (rc == 0) {
			for (struct writer_job *j = first; j && rc == 0; j = j->next)
				rc = run_job(w, txn, j);
			if (rc) { /* the whole batch again */
				store_abort(txn);
				txn = NULL;
				if ((rc = may_run_again(w, rc)) == 0)
					rc = run_jobs(w, *batch, &txn);
			}
		}
		pthread_mutex_lock(&w->lock);
		if (rc || *n >= target || w->stopping)
			break;
		wait_for_jobs(w, &until);
	}
	pthread_mutex_unlock(&w->lock);
	uint64_t changes = rc == 0 && txn ? store_txn_changes(txn) : 0;
	while (rc == 0) {
		rc = store_commit(txn); /* ends TXN, committed or not */
		txn = NULL;
		if (rc != LD_EMAPFULL)
			break;
		if ((rc = store_grow(w->store)) == 0)
			rc = run_jobs(w, *batch, &txn);
	}
	store_abort(txn); /* still open only if the batch failed before its commit */
	/* A bulk transaction (an import's part, a peer's batches) read its pages through the map,
	 * faster than the loop's timer drops them: drop them now. */
	if (rc == 0 && changes >= WRITER_TRIM_CHANGES)
		store_trim(w->store);
	w->careful = false;
	pthread_mutex_lock(&w->lock);
	w->last_batch = *n;
	if (rc == 0)
		continue_parts(w, batch, last);
	return rc;
}

/*
 * Make BATCH..LAST durable (one fsync of the meta page if WROTE) and hand it to the loop thread.
 * Called without the lock, by the sync thread or, when nothing else is waiting, the commit thread.
 */
static void finish_batch(struct writer *w, struct writer_job *batch, struct writer_job *last,
			 bool wrote)
{
	int rc = wrote ? store_sync(w->store) : 0;
	if (rc)
		log_error("writer: fdatasync failed: %s: answering with failure", lderr_str(rc));
	for (struct writer_job *j = batch; rc && j; j = j->next) {
		if (j->result == 0)
			j->result = rc; /* not known to be durable: never say it is */
	}
	pthread_mutex_lock(&w->lock);
	list_append(&w->finished_tail, batch, last);
	uv_async_send(&w->async);
	pthread_mutex_unlock(&w->lock);
}

static void *writer_main(void *arg)
{
	struct writer *w = arg;
	pthread_mutex_lock(&w->lock);
	for (;;) {
		wait_for_jobs(w, NULL);
		if (!w->queue && w->stopping)
			break;
		uint64_t before = store_last_commit(w->store);
		struct writer_job *batch = NULL, *last = NULL;
		size_t n;
		int rc = build_batch(w, &batch, &last, &n);
		bool wrote = store_last_commit(w->store) != before;
		if (rc) {
			log_error("writer: batch of %zu failed to commit: %s", n, lderr_str(rc));
			for (struct writer_job *j = batch; j; j = j->next)
				j->result = rc; /* nothing of the batch was committed */
		}
		w->batches++;
		w->jobs += n;
		if (!w->queue && !w->committed && !w->syncing) {
			/*
			 * No job waits and the sync thread is idle (every client waits for this
			 * batch): the fsync is done here, without a hand-over to another thread.
			 */
			pthread_mutex_unlock(&w->lock);
			finish_batch(w, batch, last, wrote);
			pthread_mutex_lock(&w->lock);
			continue;
		}
		list_append(&w->committed_tail, batch, last);
		w->committed_wrote = w->committed_wrote || wrote;
		pthread_cond_signal(&w->sync_wake);
	}
	w->committer_exited = true;
	pthread_cond_signal(&w->sync_wake);
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

static void *syncer_main(void *arg)
{
	struct writer *w = arg;
	pthread_mutex_lock(&w->lock);
	for (;;) {
		while (!w->committed && !w->committer_exited)
			pthread_cond_wait(&w->sync_wake, &w->lock);
		if (!w->committed && w->committer_exited)
			break;
		struct writer_job *batch = w->committed, *last = batch;
		for (struct writer_job *j = batch; j; j = j->next)
			last = j;
		bool wrote = w->committed_wrote;
		w->committed = NULL;
		w->committed_tail = &w->committed;
		w->committed_wrote = false;
		w->syncing = true;
		pthread_mutex_unlock(&w->lock);
		finish_batch(w, batch, last, wrote);
		pthread_mutex_lock(&w->lock);
		w->syncing = false;
	}
	w->exited = true;
	pthread_mutex_unlock(&w->lock);
	uv_async_send(&w->async);
	return NULL;
}

static void writer_closed(uv_handle_t *h)
{
	struct writer *w = h->data;
	if (w->stop_cb)
		w->stop_cb(w->stop_data); /* W is still valid here, as writer.h promises */
	pthread_mutex_destroy(&w->lock);
	pthread_cond_destroy(&w->wake);
	pthread_cond_destroy(&w->sync_wake);
	free(w);
}

static void writer_on_async(uv_async_t *a)
{
	struct writer *w = a->data;
	pthread_mutex_lock(&w->lock);
	struct writer_job *ran = w->ran, *done = w->finished;
	w->ran = NULL;
	w->ran_tail = &w->ran;
	w->finished = NULL;
	w->finished_tail = &w->finished;
	bool exited = w->exited;
	pthread_mutex_unlock(&w->lock);

	/* RAN before DONE, in the order the jobs ran: both lists were taken at once, and a job is
	 * noted ran before its batch commits. */
	while (ran) {
		struct writer_job *next = ran->ran_next;
		ran->ran(ran);
		ran = next;
	}
	while (done) {
		struct writer_job *next = done->next;
		done->next = NULL;
		done->done(done);
		done = next;
	}
	if (exited) {
		pthread_join(w->thread, NULL);
		pthread_join(w->syncer, NULL);
		uv_close((uv_handle_t *)&w->async, writer_closed);
	}
}

int writer_start(uv_loop_t *loop, struct store *s, struct writer **out)
{
	struct writer *w = calloc(1, sizeof(*w));
	if (!w)
		return -ENOMEM;
	w->loop = loop;
	w->store = s;
	w->queue_tail = &w->queue;
	w->finished_tail = &w->finished;
	w->committed_tail = &w->committed;
	w->ran_tail = &w->ran;
	pthread_mutex_init(&w->lock, NULL);
	pthread_condattr_t attr;
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&w->wake, &attr);
	pthread_condattr_destroy(&attr);
	pthread_cond_init(&w->sync_wake, NULL);
	int rc = uv_async_init(loop, &w->async, writer_on_async);
	if (rc)
		goto fail_sync;
	w->async.data = w;
	rc = -pthread_create(&w->syncer, NULL, syncer_main, w);
	if (rc)
		goto fail_async;
	rc = -pthread_create(&w->thread, NULL, writer_main, w);
	if (rc) {
		pthread_mutex_lock(&w->lock);
		w->committer_exited = true;
		pthread_cond_signal(&w->sync_wake);
		pthread_mutex_unlock(&w->lock);
		pthread_join(w->syncer, NULL);
		goto fail_async;
	}
	*out = w;
	return 0;

fail_async:
	w->stop_cb = NULL;
	uv_close((uv_handle_t *)&w->async, writer_closed);
	return rc;
fail_sync:
	pthread_mutex_destroy(&w->lock);
	pthread_cond_destroy(&w->wake);
	pthread_cond_destroy(&w->sync_wake);
	free(w);
	return rc;
}

void writer_submit(struct writer *w, struct writer_job *job)
{
	job->next = NULL;
	job->ran_sent = false;
	pthread_mutex_lock(&w->lock);
	if (w->stopping) {
		pthread_mutex_unlock(&w->lock);
		job->result = LD_ESTOPPING;
		job->done(job);
		return;
	}
	*w->queue_tail = job;
	w->queue_tail = &job->next;
	w->queued++;
	if (w->waiting)
		pthread_cond_signal(&w->wake);
	pthread_mutex_unlock(&w->lock);
}

void writer_stop(struct writer *w, void (*cb)(void *data), void *data)
{
	pthread_mutex_lock(&w->lock);
	w->stopping = true;
	w->stop_cb = cb;
	w->stop_data = data;
	pthread_cond_signal(&w->wake);
	pthread_mutex_unlock(&w->lock);
}

void writer_stats(struct writer *w, unsigned long *batches, unsigned long *jobs)
{
	pthread_mutex_lock(&w->lock);
	*batches = w->batches;
	*jobs = w->jobs;
	pthread_mutex_unlock(&w->lock);
}
