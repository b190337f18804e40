/*
 * writer.c: see writer.h.
 *
 * Two lists under one mutex: `queue` (submitted, not yet taken) and `finished` (committed, not yet
 * handed back). The loop thread learns of finished jobs through a uv_async_t; the writer learns of
 * new jobs through a condition variable. Order is kept: jobs run and finish in submission order.
 */
#include "writer.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>

#include "logging.h"

struct writer {
	uv_loop_t *loop;
	struct store *store;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	struct writer_job *queue, **queue_tail;
	struct writer_job *finished, **finished_tail;
	bool stopping; /* set by writer_stop: the thread exits once the queue is empty */
	bool exited;   /* the thread has exited */
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

static void *writer_main(void *arg)
{
	struct writer *w = arg;
	pthread_mutex_lock(&w->lock);
	for (;;) {
		while (!w->queue && !w->stopping)
			pthread_cond_wait(&w->wake, &w->lock);
		if (!w->queue && w->stopping)
			break;
		struct writer_job *batch = w->queue;
		w->queue = NULL;
		w->queue_tail = &w->queue;
		pthread_mutex_unlock(&w->lock);

		int rc = run_batch(w, batch);
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
		*w->finished_tail = batch;
		w->finished_tail = &last->next;
		w->batches++;
		w->jobs += n;
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
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->wake, NULL);
	int rc = uv_async_init(loop, &w->async, writer_on_async);
	if (rc)
		goto fail_sync;
	w->async.data = w;
	rc = -pthread_create(&w->thread, NULL, writer_main, w);
	if (rc)
		goto fail_async;
	*out = w;
	return 0;

fail_async:
	w->stop_cb = NULL;
	uv_close((uv_handle_t *)&w->async, writer_closed);
	return rc;
fail_sync:
	pthread_mutex_destroy(&w->lock);
	pthread_cond_destroy(&w->wake);
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
