/*
 * test_writer.c: the writer thread on a real libuv loop and a real store.
 *
 * Jobs are submitted from the loop thread before the loop runs, so the writer finds many of them
 * queued at once and must group them into few commits. Each job puts its own key; some then fail on
 * purpose (a second put with STORE_NOOVERWRITE gives LD_EEXIST) and must be rolled back alone while
 * the rest of their batch commits (the writer runs such a batch again, each job in a child
 * transaction); others refuse before they write anything, and nothing needs to run again. Done
 * callbacks are counted and checked on the loop thread, where they must already see committed
 * data. A store opened with a 1 MiB map makes the writer grow the map and run batches again. Every
 * test ends by stopping the writer, closing every handle and asserting uv_loop_close() == 0.
 */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <uv.h>

#include "store.h"
#include "writer.h"
#include "lderr.h"

struct fixture {
	char dir[64];
	struct store *store;
	uv_loop_t loop;
	struct writer *writer;
	pthread_t loop_thread;

	/* Counted on the loop thread. */
	unsigned done_count;
	unsigned stopped_count;
	unsigned done_at_stop;
	unsigned expected_jobs;
	unsigned long stats_batches, stats_jobs;

	/* Job 0 waits here until every job is queued: the rest must then go in one batch. */
	pthread_mutex_t gate_lock;
	pthread_cond_t gate_cond;
	bool gate_open;

	/* RAN (writer.h): with HOLD, job 2 waits (under the gate's lock) until job 1's RAN has
	 * come to the loop thread; RAN1 says it came, RAN1_UNCOMMITTED that job 1's key was not
	 * yet in the store then. */
	bool hold, ran1, ran1_uncommitted;
	bool job0_running; /* job 0 has begun its run (and waits at the gate) */
	bool job0_done;	   /* job 0's DONE has come (with HOLD, job 1 waits for it) */
};

struct test_job {
	struct writer_job job; /* first: the writer hands this back */
	struct fixture *f;
	unsigned index;
	bool fail;   /* put, then fail with LD_EEXIST: must be rolled back */
	bool refuse; /* fail with LD_EEXIST before writing anything */
	size_t value_len;
	atomic_uint runs;
	unsigned ran_calls; /* loop thread */
	bool done_seen;	    /* loop thread */
};

static int open_fixture(void **state, size_t map_size)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	strcpy(f->dir, "/tmp/ld-test-writer-XXXXXX");
	if (!mkdtemp(f->dir) || store_open(f->dir, map_size, 0, &f->store) != 0)
		goto fail;
	if (uv_loop_init(&f->loop) != 0)
		goto fail_store;
	if (writer_start(&f->loop, f->store, &f->writer) != 0)
		goto fail_loop;
	f->loop_thread = pthread_self();
	pthread_mutex_init(&f->gate_lock, NULL);
	pthread_cond_init(&f->gate_cond, NULL);
	f->gate_open = true;
	*state = f;
	return 0;

fail_loop:
	uv_loop_close(&f->loop);
fail_store:
	store_close(f->store);
fail:
	free(f);
	return -1;
}

static int setup(void **state)
{
	return open_fixture(state, 0);
}

static int setup_small_map(void **state)
{
	return open_fixture(state, 1u << 20);
}

/* The test has stopped the writer and closed the loop; only the store and files remain. */
static int teardown(void **state)
{
	struct fixture *f = *state;
	char path[128];

	store_close(f->store);
	snprintf(path, sizeof(path), "%s/data.mdb", f->dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/lock.mdb", f->dir);
	unlink(path);
	rmdir(f->dir);
	pthread_mutex_destroy(&f->gate_lock);
	pthread_cond_destroy(&f->gate_cond);
	free(f);
	return 0;
}

static void gate_close(struct fixture *f)
{
	pthread_mutex_lock(&f->gate_lock);
	f->gate_open = false;
	pthread_mutex_unlock(&f->gate_lock);
}

static void gate_open(struct fixture *f)
{
	pthread_mutex_lock(&f->gate_lock);
	f->gate_open = true;
	pthread_cond_broadcast(&f->gate_cond);
	pthread_mutex_unlock(&f->gate_lock);
}

static void gate_wait(struct fixture *f)
{
	pthread_mutex_lock(&f->gate_lock);
	f->job0_running = true;
	pthread_cond_broadcast(&f->gate_cond);
	while (!f->gate_open)
		pthread_cond_wait(&f->gate_cond, &f->gate_lock);
	pthread_mutex_unlock(&f->gate_lock);
}

static void job_key(unsigned index, char key[16])
{
	snprintf(key, 16, "job-%05u", index);
}

/* The value of job INDEX: its length and a byte pattern that names it. */
static void job_value(unsigned index, uint8_t *buf, size_t len)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = (uint8_t)(index * 7 + i);
}

/* Writer thread: wait (10 s at most) until *FLAG, set under the gate's lock by the loop thread. */
static void flag_wait(struct fixture *f, const bool *flag)
{
	struct timespec until;
	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 10;
	pthread_mutex_lock(&f->gate_lock);
	while (!*flag && pthread_cond_timedwait(&f->gate_cond, &f->gate_lock, &until) == 0)
		;
	pthread_mutex_unlock(&f->gate_lock);
}

/* Loop thread: set *FLAG and wake the writer's flag_wait. */
static void flag_set(struct fixture *f, bool *flag)
{
	pthread_mutex_lock(&f->gate_lock);
	*flag = true;
	pthread_cond_broadcast(&f->gate_cond);
	pthread_mutex_unlock(&f->gate_lock);
}

/* ------------------------------------------------------------------------------------------ */
/* Jobs                                                                                        */

/* Writer thread. Idempotent: every call makes the same changes from scratch. */
static int job_run(struct writer_job *job, struct store_txn *txn)
{
	struct test_job *tj = (struct test_job *)job;
	char key[16];

	atomic_fetch_add(&tj->runs, 1);
	if (tj->index == 0)
		gate_wait(tj->f);
	/* With HOLD, job 1 runs once job 0's batch is done (no wake-up of the loop thread is
	 * pending then but RAN's own), and job 2 once job 1's RAN has come. */
	if (tj->index == 1 && tj->f->hold)
		flag_wait(tj->f, &tj->f->job0_done);
	if (tj->index == 2 && tj->f->hold)
		flag_wait(tj->f, &tj->f->ran1);
	if (tj->refuse)
		return LD_EEXIST;
	job_key(tj->index, key);
	uint8_t *value = malloc(tj->value_len ? tj->value_len : 1);
	if (!value)
		return -ENOMEM;
	job_value(tj->index, value, tj->value_len);
	int rc = store_put(txn, TBL_AUDIT, key, strlen(key), value, tj->value_len, 0);
	free(value);
	if (rc)
		return rc;
	if (tj->fail) {
		/* The first put is in this job's child transaction: it must vanish with it. */
		return store_put(txn, TBL_AUDIT, key, strlen(key), "again", 5, STORE_NOOVERWRITE);
	}
	return 0;
}

static void stopped(void *data)
{
	struct fixture *f = data;

	assert_true(pthread_equal(pthread_self(), f->loop_thread));
	f->stopped_count++;
	f->done_at_stop = f->done_count;
}

/* Loop thread: the job's batch has committed. */
static void job_done(struct writer_job *job)
{
	struct test_job *tj = (struct test_job *)job;
	struct fixture *f = tj->f;
	char key[16];

	assert_true(pthread_equal(pthread_self(), f->loop_thread));
	tj->done_seen = true;
	if (tj->index == 0)
		flag_set(f, &f->job0_done);
	/* A job with RAN had it called once before DONE (every job here runs). */
	assert_int_equal(tj->ran_calls, job->ran ? 1 : 0);
	/* Jobs finish in submission order. */
	assert_int_equal(tj->index, f->done_count);
	assert_int_equal(f->stopped_count, 0);
	f->done_count++;
	bool failed = tj->fail || tj->refuse;
	assert_int_equal(job->result, failed ? LD_EEXIST : 0);
	assert_true(atomic_load(&tj->runs) >= 1);

	/* What done reports is committed: a reader sees it (or, for a failed job, does not). */
	struct store_txn *txn;
	struct store_val v;
	job_key(tj->index, key);
	assert_int_equal(store_begin(f->store, false, &txn), 0);
	assert_int_equal(store_get(txn, TBL_AUDIT, key, strlen(key), &v),
			 failed ? LD_ENOTFOUND : 0);
	if (!failed)
		assert_int_equal(v.len, tj->value_len);
	store_abort(txn);

	if (f->done_count == f->expected_jobs) {
		writer_stats(f->writer, &f->stats_batches, &f->stats_jobs);
		writer_stop(f->writer, stopped, f);
	}
}

/* Loop thread: the job ran, its batch not yet known to be committed. */
static void job_ran(struct writer_job *job)
{
	struct test_job *tj = (struct test_job *)job;
	struct fixture *f = tj->f;

	assert_true(pthread_equal(pthread_self(), f->loop_thread));
	assert_false(tj->done_seen);
	tj->ran_calls++;
	if (tj->index != 1 || !f->hold)
		return;
	/* Job 2 of the same batch waits for this: so the batch is not committed yet. */
	struct store_txn *txn;
	struct store_val v;
	char key[16];
	job_key(1, key);
	assert_int_equal(store_begin(f->store, false, &txn), 0);
	f->ran1_uncommitted = store_get(txn, TBL_AUDIT, key, strlen(key), &v) == LD_ENOTFOUND;
	store_abort(txn);
	flag_set(f, &f->ran1);
}

/* Give each of the N jobs RAN. */
static void with_ran(struct test_job *jobs, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		jobs[i].job.ran = job_ran;
}

static struct test_job *make_jobs(struct fixture *f, unsigned n, size_t value_len,
				  unsigned fail_every)
{
	struct test_job *jobs = calloc(n, sizeof(*jobs));

	assert_non_null(jobs);
	for (unsigned i = 0; i < n; i++) {
		jobs[i].job.run = job_run;
		jobs[i].job.done = job_done;
		jobs[i].job.result = 1; /* neither 0 nor an errno: proves done set it */
		jobs[i].f = f;
		jobs[i].index = i;
		jobs[i].fail = fail_every && i % fail_every == 3;
		jobs[i].value_len = value_len;
		atomic_init(&jobs[i].runs, 0);
	}
	f->expected_jobs = n;
	return jobs;
}

/* After the loop ran dry: every committed job's key and value are in the store, no failed one. */
static void assert_store_holds(struct fixture *f, const struct test_job *jobs, unsigned n)
{
	struct store_txn *txn;
	size_t count, want = 0;
	char key[16];

	assert_int_equal(store_begin(f->store, false, &txn), 0);
	for (unsigned i = 0; i < n; i++) {
		struct store_val v;
		job_key(i, key);
		int rc = store_get(txn, TBL_AUDIT, key, strlen(key), &v);
		if (jobs[i].fail || jobs[i].refuse) {
			assert_int_equal(rc, LD_ENOTFOUND);
			continue;
		}
		want++;
		assert_int_equal(rc, 0);
		assert_int_equal(v.len, jobs[i].value_len);
		uint8_t *expect = malloc(v.len ? v.len : 1);
		assert_non_null(expect);
		job_value(i, expect, v.len);
		assert_memory_equal(v.data, expect, v.len);
		free(expect);
	}
	assert_int_equal(store_count(txn, TBL_AUDIT, &count), 0);
	assert_int_equal(count, want);
	store_abort(txn);
}

/* ------------------------------------------------------------------------------------------ */
/* Tests                                                                                       */

#define MANY 1000

static void thousand_jobs_group_commit_failures_alone(void **state)
{
	struct fixture *f = *state;
	struct test_job *jobs = make_jobs(f, MANY, 32, 7);
	unsigned failed = 0;

	/* Queue everything while job 0 holds the writer: the other 999 wait together. */
	gate_close(f);
	for (unsigned i = 0; i < MANY; i++) {
		writer_submit(f->writer, &jobs[i].job);
		failed += jobs[i].fail;
	}
	assert_int_equal(f->done_count, 0); /* done never runs inside submit */
	gate_open(f);
	assert_true(failed > 100);

	assert_int_equal(uv_run(&f->loop, UV_RUN_DEFAULT), 0);

	assert_int_equal(f->done_count, MANY);
	assert_int_equal(f->stopped_count, 1);
	assert_int_equal(f->done_at_stop, MANY);
	assert_true(f->stats_jobs == MANY);
	/* Job 0 alone (or with the rest), then everything else: at most two commits. */
	assert_true(f->stats_batches >= 1);
	assert_true(f->stats_batches <= 2);
	assert_true(f->stats_batches < f->stats_jobs);
	/* A batch with a job that failed half way runs once more, every job in a child txn. */
	for (unsigned i = 0; i < MANY; i++) {
		assert_true(atomic_load(&jobs[i].runs) >= 1);
		assert_true(atomic_load(&jobs[i].runs) <= 2);
	}
	assert_int_equal(uv_loop_close(&f->loop), 0);

	assert_store_holds(f, jobs, MANY);
	free(jobs);
}

/* Jobs that refuse before they write fail alone without making anything run twice. */
static void clean_refusals_run_once(void **state)
{
	struct fixture *f = *state;
	struct test_job *jobs = make_jobs(f, MANY, 32, 7);

	for (unsigned i = 0; i < MANY; i++) {
		jobs[i].refuse = jobs[i].fail;
		jobs[i].fail = false;
	}
	gate_close(f);
	for (unsigned i = 0; i < MANY; i++)
		writer_submit(f->writer, &jobs[i].job);
	gate_open(f);
	assert_int_equal(uv_run(&f->loop, UV_RUN_DEFAULT), 0);

	assert_int_equal(f->done_count, MANY);
	assert_true(f->stats_batches <= 2);
	for (unsigned i = 0; i < MANY; i++)
		assert_int_equal(atomic_load(&jobs[i].runs), 1);
	assert_int_equal(uv_loop_close(&f->loop), 0);
	assert_store_holds(f, jobs, MANY);
	free(jobs);
}

/*
 * A 1 MiB map and 40 values of 64 KiB: the batch runs out of map, is aborted, the map grows, and
 * the batch runs again until it fits. Every job succeeds; runs happened more than once.
 */
static void map_grows_and_batch_runs_again(void **state)
{
	struct fixture *f = *state;
	const unsigned n = 40;
	struct test_job *jobs = make_jobs(f, n, 64 << 10, 0);
	size_t before = store_map_size(f->store);

	for (unsigned i = 0; i < n; i++)
		writer_submit(f->writer, &jobs[i].job);
	assert_int_equal(uv_run(&f->loop, UV_RUN_DEFAULT), 0);

	assert_int_equal(f->done_count, n);
	assert_int_equal(f->stopped_count, 1);
	assert_int_equal(f->done_at_stop, n);
	assert_true(f->stats_jobs == n);
	assert_int_equal(uv_loop_close(&f->loop), 0);

	size_t after = store_map_size(f->store);
	assert_true(after > before);
	assert_true(after >= (size_t)n * (64 << 10));
	unsigned total_runs = 0;
	for (unsigned i = 0; i < n; i++)
		total_runs += atomic_load(&jobs[i].runs);
	assert_true(total_runs > n);
	assert_store_holds(f, jobs, n);
	free(jobs);
}

/* Growth with failures in the batch: each run starts afresh, the failures stay rolled back. */
static void map_growth_keeps_failures_rolled_back(void **state)
{
	struct fixture *f = *state;
	const unsigned n = 40;
	struct test_job *jobs = make_jobs(f, n, 64 << 10, 5);

	for (unsigned i = 0; i < n; i++)
		writer_submit(f->writer, &jobs[i].job);
	assert_int_equal(uv_run(&f->loop, UV_RUN_DEFAULT), 0);
	assert_int_equal(f->done_count, n);
	assert_int_equal(f->stopped_count, 1);
	assert_int_equal(uv_loop_close(&f->loop), 0);
	assert_true(store_map_size(f->store) > (1u << 20));
	assert_store_holds(f, jobs, n);
	free(jobs);
}

/* writer_stop with jobs still queued: they all finish (in order), then the stop callback runs. */
static void stop_finishes_queued_jobs_first(void **state)
{
	struct fixture *f = *state;
	const unsigned n = 50;
	struct test_job *jobs = make_jobs(f, n, 16, 0);

	f->expected_jobs = n + 1; /* job_done must not stop the writer itself */
	gate_close(f);
	for (unsigned i = 0; i < n; i++)
		writer_submit(f->writer, &jobs[i].job);
	writer_stop(f->writer, stopped, f);
	gate_open(f);
	assert_int_equal(uv_run(&f->loop, UV_RUN_DEFAULT), 0);

	assert_int_equal(f->done_count, n);
	assert_int_equal(f->stopped_count, 1);
	assert_int_equal(f->done_at_stop, n);
	assert_int_equal(uv_loop_close(&f->loop), 0);
	assert_store_holds(f, jobs, n);
	free(jobs);
}

/*
 * RAN comes to the loop thread while the job's batch is still open: job 2 of the batch waits
 * until job 1's RAN has come (and found job 1's put not yet committed). Once per job, before
 * DONE, also for a job that failed.
 */
static void ran_before_the_commit(void **state)
{
	struct fixture *f = *state;
	const unsigned n = 20;
	struct test_job *jobs = make_jobs(f, n, 16, 7);

	with_ran(jobs, n);
	f->hold = true;
	gate_close(f);
	writer_submit(f->writer, &jobs[0].job);
	/* Job 0 is its batch's alone once it runs; jobs 1.. are queued while it waits at the
	 * gate, so they are the next batch, jobs 1 and 2 in it together. */
	pthread_mutex_lock(&f->gate_lock);
	while (!f->job0_running)
		pthread_cond_wait(&f->gate_cond, &f->gate_lock);
	pthread_mutex_unlock(&f->gate_lock);
	for (unsigned i = 1; i < n; i++)
		writer_submit(f->writer, &jobs[i].job);
	gate_open(f);
	assert_int_equal(uv_run(&f->loop, UV_RUN_DEFAULT), 0);

	assert_int_equal(f->done_count, n);
	assert_true(f->ran1);
	assert_true(f->ran1_uncommitted);
	for (unsigned i = 0; i < n; i++)
		assert_int_equal(jobs[i].ran_calls, 1);
	assert_int_equal(uv_loop_close(&f->loop), 0);
	assert_store_holds(f, jobs, n);
	free(jobs);
}

/* A batch run again (the map grown, failures in it: careful) calls each job's RAN once. */
static void ran_once_when_the_batch_runs_again(void **state)
{
	struct fixture *f = *state;
	const unsigned n = 40;
	struct test_job *jobs = make_jobs(f, n, 64 << 10, 5);

	with_ran(jobs, n);
	for (unsigned i = 0; i < n; i++)
		writer_submit(f->writer, &jobs[i].job);
	assert_int_equal(uv_run(&f->loop, UV_RUN_DEFAULT), 0);
	assert_int_equal(f->done_count, n);
	unsigned total_runs = 0;
	for (unsigned i = 0; i < n; i++) {
		total_runs += atomic_load(&jobs[i].runs);
		assert_int_equal(jobs[i].ran_calls, 1);
	}
	assert_true(total_runs > n);
	assert_int_equal(uv_loop_close(&f->loop), 0);
	assert_store_holds(f, jobs, n);
	free(jobs);
}

static int shutdown_runs;
static int shutdown_result;
static unsigned shutdown_done;

static int never_run(struct writer_job *job, struct store_txn *txn)
{
	shutdown_runs++;
	return 0;
}

static void never_ran(struct writer_job *job)
{
	fail_msg("RAN called for a job that never ran");
}

static void shutdown_done_cb(struct writer_job *job)
{
	shutdown_result = job->result;
	shutdown_done++;
}

/* A job submitted once stopping began is refused with LD_ESTOPPING and never run. */
static void submit_after_stop_is_eshutdown(void **state)
{
	struct fixture *f = *state;
	struct writer_job job = {
	    .run = never_run, .done = shutdown_done_cb, .ran = never_ran, .result = 1};

	shutdown_runs = 0;
	shutdown_result = 0;
	shutdown_done = 0;
	writer_stop(f->writer, stopped, f);
	writer_submit(f->writer, &job);
	assert_int_equal(shutdown_done, 1);
	assert_int_equal(shutdown_result, LD_ESTOPPING);
	assert_int_equal(uv_run(&f->loop, UV_RUN_DEFAULT), 0);
	assert_int_equal(shutdown_runs, 0);
	assert_int_equal(shutdown_done, 1);
	assert_int_equal(f->stopped_count, 1);
	assert_int_equal(uv_loop_close(&f->loop), 0);
}

/* An idle writer stops at once and leaves nothing on the loop. */
static void idle_writer_stops(void **state)
{
	struct fixture *f = *state;

	writer_stop(f->writer, stopped, f);
	assert_int_equal(uv_run(&f->loop, UV_RUN_DEFAULT), 0);
	assert_int_equal(f->stopped_count, 1);
	assert_int_equal(uv_loop_close(&f->loop), 0);
}

/* writer.h: "W is freed after CB returns": the stop callback may still ask for the final stats. */
static void stats_in_stop_callback(void *data)
{
	struct fixture *f = data;

	writer_stats(f->writer, &f->stats_batches, &f->stats_jobs);
	f->stopped_count++;
}

static void writer_valid_during_stop_callback(void **state)
{
	struct fixture *f = *state;
	const unsigned n = 10;
	struct test_job *jobs = make_jobs(f, n, 16, 0);

	f->expected_jobs = n + 1;
	for (unsigned i = 0; i < n; i++)
		writer_submit(f->writer, &jobs[i].job);
	writer_stop(f->writer, stats_in_stop_callback, f);
	assert_int_equal(uv_run(&f->loop, UV_RUN_DEFAULT), 0);
	assert_int_equal(f->stopped_count, 1);
	assert_true(f->stats_jobs == n);
	assert_int_equal(uv_loop_close(&f->loop), 0);
	free(jobs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(thousand_jobs_group_commit_failures_alone, setup,
					    teardown),
	    cmocka_unit_test_setup_teardown(clean_refusals_run_once, setup, teardown),
	    cmocka_unit_test_setup_teardown(map_grows_and_batch_runs_again, setup_small_map,
					    teardown),
	    cmocka_unit_test_setup_teardown(map_growth_keeps_failures_rolled_back, setup_small_map,
					    teardown),
	    cmocka_unit_test_setup_teardown(ran_before_the_commit, setup, teardown),
	    cmocka_unit_test_setup_teardown(ran_once_when_the_batch_runs_again, setup_small_map,
					    teardown),
	    cmocka_unit_test_setup_teardown(stop_finishes_queued_jobs_first, setup, teardown),
	    cmocka_unit_test_setup_teardown(submit_after_stop_is_eshutdown, setup, teardown),
	    cmocka_unit_test_setup_teardown(idle_writer_stops, setup, teardown),
	    cmocka_unit_test_setup_teardown(writer_valid_during_stop_callback, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
