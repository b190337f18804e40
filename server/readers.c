/*
 * readers.c: see readers.h.
 *
 * One lock guards two queues (short jobs, long jobs) and the list of finished jobs. A reader
 * thread takes the oldest short job, else the oldest long one if fewer than n - 1 threads are in
 * a long job, runs it without the lock, and appends it to the finished list; the loop thread,
 * woken by a uv_async_t (which coalesces: one wake-up for many jobs when the loop is busy), calls
 * each finished job's done in order of finishing. The loop signals the condition only if a thread
 * waits on it, so a busy pool costs the loop one lock and unlock per job. (Lookups do not come
 * here: the control threads answer them in place, ctl.c.)
 */
#include "readers.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "logging.h"

#define READERS_MAX	64
#define READERS_SPIN_NS 50000

struct readers {
	uv_loop_t *loop;
	uv_async_t async;
	pthread_t *threads;
	unsigned n;	  /* threads wanted */
	unsigned started; /* threads created */

	pthread_mutex_t lock;
	pthread_cond_t wake;
	/* Under lock. */
	struct reader_job *shorts, **shorts_tail;
	struct reader_job *longs, **longs_tail;
	struct reader_job *finished, **finished_tail;
	unsigned idle;	    /* threads waiting on wake */
	atomic_uint queued; /* jobs in the queues: read without the lock while spinning */
	unsigned scanning;  /* threads running a long job */
	unsigned exited;    /* threads that left readers_main */
	bool stopping;	    /* no new job; threads leave once the queues are empty */

	/* Loop thread. */
	void (*stop_cb)(void *data);
	void *stop_data;
	bool closing;	    /* the async handle is being closed */
	bool free_on_close; /* readers_start failed: nobody else will free R */
};

static void queue_append(struct reader_job ***tail, struct reader_job *job)
{
	job->next = NULL;
	**tail = job;
	*tail = &job->next;
}

static struct reader_job *queue_take(struct reader_job **head, struct reader_job ***tail)
{
	struct reader_job *job = *head;
	if (job) {
		*head = job->next;
		if (!*head)
			*tail = head;
		job->next = NULL;
	}
	return job;
}

/* The next job a thread may run, or NULL. Under lock. */
static struct reader_job *next_job(struct readers *r)
{
	struct reader_job *job = NULL;
	unsigned long_max = r->n > 1 ? r->n - 1 : 1;
	if (r->shorts)
		job = queue_take(&r->shorts, &r->shorts_tail);
	else if (r->longs && r->scanning < long_max)
		job = queue_take(&r->longs, &r->longs_tail);
	if (job)
		atomic_fetch_sub_explicit(&r->queued, 1, memory_order_relaxed);
	return job;
}

/*
 * Wait up to READERS_SPIN_NS for a job to be queued, yielding the CPU meanwhile, before sleeping
 * on the condition: under a steady flow of requests the next one comes within microseconds, and
 * a thread that never slept needs no wake-up (a futex call by the loop thread, a context switch).
 * Without the lock.
 */
static void spin_for_job(struct readers *r)
{
	struct timespec t0, now;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		if (atomic_load_explicit(&r->queued, memory_order_relaxed))
			break;
		sched_yield();
		clock_gettime(CLOCK_MONOTONIC, &now);
		if ((now.tv_sec - t0.tv_sec) * 1000000000L + (now.tv_nsec - t0.tv_nsec) >
		    READERS_SPIN_NS)
			break;
	}
}

static void *readers_main(void *arg)
{
	struct readers *r = arg;
	pthread_setname_np(pthread_self(), "ld-reader");
	bool spun = false;
	pthread_mutex_lock(&r->lock);
	for (;;) {
		struct reader_job *job = next_job(r);
		if (!job) {
			if (r->stopping && !r->shorts && !r->longs)
				break;
			if (!spun) {
				spun = true;
				pthread_mutex_unlock(&r->lock);
				spin_for_job(r);
				pthread_mutex_lock(&r->lock);
				continue;
			}
			r->idle++;
			pthread_cond_wait(&r->wake, &r->lock);
			r->idle--;
			continue;
		}
		spun = false;
		if (job->scan)
			r->scanning++;
		pthread_mutex_unlock(&r->lock);
		job->run(job);
		pthread_mutex_lock(&r->lock);
		if (job->scan)
			r->scanning--;
		queue_append(&r->finished_tail, job);
		if (r->stopping)
			pthread_cond_broadcast(&r->wake); /* a thread held back may leave now */
		pthread_mutex_unlock(&r->lock);
		uv_async_send(&r->async);
		pthread_mutex_lock(&r->lock);
	}
	r->exited++;
	pthread_cond_broadcast(&r->wake);
	pthread_mutex_unlock(&r->lock);
	uv_async_send(&r->async);
	return NULL;
}

static void readers_closed(uv_handle_t *h)
{
	struct readers *r = h->data;
	if (r->free_on_close)
		readers_free(r);
	else if (r->stop_cb)
		r->stop_cb(r->stop_data);
}

/* Close the async handle; readers_closed follows. */
static void readers_close(struct readers *r)
{
	r->closing = true;
	uv_close((uv_handle_t *)&r->async, readers_closed);
}

/* Loop thread: call the finished jobs' done; after the stop, join the threads and close. */
static void readers_collect(struct readers *r)
{
	pthread_mutex_lock(&r->lock);
	struct reader_job *done = r->finished;
	r->finished = NULL;
	r->finished_tail = &r->finished;
	bool all_exited = r->stopping && r->exited == r->started;
	pthread_mutex_unlock(&r->lock);

	while (done) {
		struct reader_job *next = done->next;
		done->next = NULL;
		done->done(done);
		done = next;
	}
	if (all_exited && !r->closing) {
		for (unsigned i = 0; i < r->started; i++)
			pthread_join(r->threads[i], NULL);
		readers_close(r);
	}
}

static void readers_on_async(uv_async_t *a)
{
	readers_collect(a->data);
}

static unsigned cpu_count(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n > 0 ? (unsigned)n : 1;
}

int readers_start(uv_loop_t *loop, unsigned n, struct readers **out)
{
	if (n == 0)
		n = cpu_count();
	if (n < 2)
		n = 2;
	if (n > READERS_MAX)
		n = READERS_MAX;
	struct readers *r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->threads = calloc(n, sizeof(*r->threads));
	if (!r->threads) {
		free(r);
		return -ENOMEM;
	}
	r->loop = loop;
	r->n = n;
	r->shorts_tail = &r->shorts;
	r->longs_tail = &r->longs;
	r->finished_tail = &r->finished;
	pthread_mutex_init(&r->lock, NULL);
	pthread_cond_init(&r->wake, NULL);
	int rc = uv_async_init(loop, &r->async, readers_on_async);
	if (rc) {
		readers_free(r);
		return rc;
	}
	r->async.data = r;
	for (unsigned i = 0; i < n; i++) {
		rc = -pthread_create(&r->threads[i], NULL, readers_main, r);
		if (rc)
			break;
		r->started++;
	}
	if (rc) {
		/* Let what started leave (nothing is queued), then close; freed when closed. */
		log_error("readers: cannot start reader thread %u of %u: %s", r->started + 1, n,
			  lderr_str(rc));
		pthread_mutex_lock(&r->lock);
		r->stopping = true;
		pthread_cond_broadcast(&r->wake);
		pthread_mutex_unlock(&r->lock);
		for (unsigned i = 0; i < r->started; i++)
			pthread_join(r->threads[i], NULL);
		r->free_on_close = true;
		readers_close(r);
		return rc;
	}
	*out = r;
	return 0;
}

unsigned readers_count(const struct readers *r)
{
	return r->n;
}

void readers_submit(struct readers *r, struct reader_job *job)
{
	pthread_mutex_lock(&r->lock);
	if (r->stopping) {
		pthread_mutex_unlock(&r->lock);
		job->result = LD_ESTOPPING;
		job->done(job);
		return;
	}
	queue_append(job->scan ? &r->longs_tail : &r->shorts_tail, job);
	atomic_fetch_add_explicit(&r->queued, 1, memory_order_relaxed);
	if (r->idle)
		pthread_cond_signal(&r->wake);
	pthread_mutex_unlock(&r->lock);
}

void readers_stop(struct readers *r, void (*cb)(void *data), void *data)
{
	r->stop_cb = cb;
	r->stop_data = data;
	pthread_mutex_lock(&r->lock);
	r->stopping = true;
	pthread_cond_broadcast(&r->wake);
	pthread_mutex_unlock(&r->lock);
	/* If every thread is idle and leaves at once, their uv_async_send wakes the loop. */
}

void readers_free(struct readers *r)
{
	if (!r)
		return;
	pthread_mutex_destroy(&r->lock);
	pthread_cond_destroy(&r->wake);
	free(r->threads);
	free(r);
}
