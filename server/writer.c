/*
 * writer.c: see writer.h.
 *
 * Two threads and three lists under one mutex. The commit thread takes `queue` (submitted jobs),
 * runs them in one transaction and commits; with a STORE_PIPELINED store that commit puts the data
 * on disk but not yet the meta page that makes it current. It then moves the batch to `committed`.
 * The sync thread takes everything in `committed`, makes it durable with one fdatasync
 * (store_sync), and moves it to `finished`, from which the loop thread (woken by a uv_async_t)
 * calls each job's done. So the fsync that makes batch N durable runs while batch N+1 is being
 * built and written: one fsync on the commit thread's path per batch instead of two. Order is
 * kept: jobs run and finish in submission order.
 */
#include "writer.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#include "logging.h"

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
	struct writer_job *finished, **finished_tail;
	size_t queued;	       /* jobs in `queue` */
	size_t last_batch;     /* jobs in the batch before */
	bool stopping;	       /* set by writer_stop: the thread exits once the queue is empty */
	bool committer_exited; /* the commit thread has exited */
	bool exited;	       /* both threads have exited */
	uv_async_t async;
	void (*stop_cb)(void *data);
	void *stop_data;
	unsigned long batches, jobs;
};

/* Run every job of BATCH in one transaction. Returns 0, or the error that failed the commit. */
static int run_batch(struct writer *w, struct writer_job *batch)
{
	for (;;) {
		struct store_txn *txn;
		int rc = store_begin(w->store, true, &txn);
		if (rc)
			return rc;
		bool map_full = false;
		for (struct writer_job *j = batch; j; j = j->next) {
			struct store_txn *child;
			rc = store_begin_child(txn, &child);
			if (rc)
				break;
			j->result = j->run(j, child);
			if (j->result == 0) {
				j->result = store_commit(child);
			} else {
				store_abort(child);
			}
			if (j->result == -ENOSPC) {
				map_full = true;
				break;
			}
		}
		if (!map_full && rc == 0) {
			rc = store_commit(txn);
			if (rc != -ENOSPC)
				return rc;
		} else {
			store_abort(txn);
			if (rc && !map_full)
				return rc;
		}
		rc = store_grow(w->store);
		if (rc)
			return rc;
	}
}

/*
 * Group commit with many clients: those answered by the last commit come back a moment later.
 * If the last batch was larger than what is queued now, wait up to LINGER_NS for them, so that
 * one fsync serves them all instead of every other batch being half full. A lone client (last
 * batch of one) never waits. Called with the lock held.
 */
#define LINGER_NS 500000L

static void linger(struct writer *w)
{
	if (w->last_batch <= 1 || w->queued >= w->last_batch || w->stopping)
		return;
	struct timespec until;
	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_nsec += LINGER_NS;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	while (w->queued < w->last_batch && !w->stopping) {
		if (pthread_cond_timedwait(&w->wake, &w->lock, &until) != 0)
			break;
	}
}

/* Append the list FIRST..LAST to *TAIL's list. */
static void list_append(struct writer_job ***tail, struct writer_job *first,
			struct writer_job *last)
{
	**tail = first;
	*tail = &last->next;
}

static void *writer_main(void *arg)
{
	struct writer *w = arg;
	pthread_mutex_lock(&w->lock);
	for (;;) {
		while (!w->queue && !w->stopping)
			pthread_cond_wait(&w->wake, &w->lock);
		if (!w->queue && w->stopping)
			break;
		linger(w);
		struct writer_job *batch = w->queue;
		w->queue = NULL;
		w->queue_tail = &w->queue;
		w->last_batch = w->queued;
		w->queued = 0;
		pthread_mutex_unlock(&w->lock);

		uint64_t before = store_last_commit(w->store);
		int rc = run_batch(w, batch);
		bool wrote = store_last_commit(w->store) != before;
		unsigned long n = 0;
		struct writer_job *last = batch;
		for (struct writer_job *j = batch; j; j = j->next) {
			if (rc)
				j->result = rc; /* nothing of the batch was committed */
			last = j;
			n++;
		}
		if (rc)
			log_error("writer: batch of %lu failed to commit: error %d", n, rc);

		pthread_mutex_lock(&w->lock);
		list_append(&w->committed_tail, batch, last);
		w->committed_wrote = w->committed_wrote || wrote;
		w->batches++;
		w->jobs += n;
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
		bool wrote = w->committed_wrote;
		w->committed = NULL;
		w->committed_tail = &w->committed;
		w->committed_wrote = false;
		pthread_mutex_unlock(&w->lock);

		int rc = wrote ? store_sync(w->store) : 0;
		if (rc)
			log_error("writer: fdatasync failed: error %d: answering with failure", rc);
		for (struct writer_job *j = batch; j; j = j->next) {
			if (rc && j->result == 0)
				j->result = rc; /* not known to be durable: never say it is */
			last = j;
		}

		pthread_mutex_lock(&w->lock);
		list_append(&w->finished_tail, batch, last);
		uv_async_send(&w->async);
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
	struct writer_job *done = w->finished;
	w->finished = NULL;
	w->finished_tail = &w->finished;
	bool exited = w->exited;
	pthread_mutex_unlock(&w->lock);

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
	pthread_mutex_lock(&w->lock);
	if (w->stopping) {
		pthread_mutex_unlock(&w->lock);
		job->result = -ESHUTDOWN;
		job->done(job);
		return;
	}
	*w->queue_tail = job;
	w->queue_tail = &job->next;
	w->queued++;
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
