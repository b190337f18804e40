/*
 * bench_sync.c: how fast a site's events reach a peer over TLS, and what memory the two daemons
 * use meanwhile (issue 3, acceptance 7). Two modes; bench/run_sync.sh drives them.
 *
 *   bench_sync load --socket PATH --clients N --count M [--add] [--register-to PEER]
 *                   [--id-offset K] [--branch CODE] [--place TEXT] [--from DATE] [--json]
 *     N threads, each with its own control connection to a running liudongd (one request
 *     outstanding per connection), go through M members. For each member a thread sends
 *     `member.add` (with --add; the branch, default "bench", must exist) and then
 *     `outflow.register` to PEER (with --register-to; the member must exist already, e.g. from an
 *     earlier run with --add alone). Every request must answer status 0: the first that does not
 *     is printed and the run exits 1. The member.add requests are those of bench_add (same
 *     identity numbers for the same index). Each outflow registration is one event that concerns
 *     PEER; member.add events concern no peer. Reports requests/s and registrations/s, and the
 *     wall clock (Unix ms) of the start, of the first registration sent and answered (the first
 *     event for PEER committed in between) and of the end.
 *
 *   bench_sync wait --socket PATH --head H [--base B] [--poll-ms P] [--timeout S] [--stall S]
 *                   [--pid NAME=PID]... [--sample-ms T] [--samples FILE] [--json]
 *     Polls `site` on PATH every P ms (default 20) until its head_seq reaches H. B (default: the
 *     head at the first poll) is where progress starts, so progress = (head - B) / (H - B).
 *     Every T ms (default 500) it reads VmRSS, VmHWM, RssAnon, RssFile and RssShmem from
 *     /proc/PID/status of each --pid and writes one line per process to FILE (tab-separated:
 *     ms since start, head, progress, name, pid, the five values in KiB). Reports the wall clock
 *     (Unix ms) of the start, of the first head above B and of the head reaching H, the peak of
 *     each value per process, and each process's RSS at the samples nearest 25, 50, 75 and 100%
 *     of progress. Exits 1 if a process dies, if the head does not move for S s (--stall,
 *     default 60), after --timeout S (default 3600), or if the head ends above H (events doubled
 *     or unexpected).
 *
 * One line on stdout, for people, or one JSON object with --json. Exit 0, 1 on a failure, 2 on a
 * usage error.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "conn.h"
#include "ctl.pb-c.h"
#include "benchlib.h"
#include "date.h"
#include "lderr.h"

#define MAX_PIDS   8
#define MAX_PARAMS 10

struct opts {
	const char *mode;
	const char *socket;
	const char *branch;
	const char *register_to;
	const char *place;
	const char *from;
	bool add;
	unsigned long clients;
	uint64_t count;
	uint64_t id_offset;
	/* wait */
	uint64_t head;
	uint64_t base;
	bool have_base;
	uint64_t poll_ms, sample_ms, timeout_s, stall_s;
	const char *samples;
	unsigned n_pids;
	const char *pid_name[MAX_PIDS];
	pid_t pid[MAX_PIDS];
	bool json;
};

static int64_t unix_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(uint64_t ms)
{
	struct timespec ts = {.tv_sec = (time_t)(ms / 1000),
			      .tv_nsec = (long)(ms % 1000) * 1000000};
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}
/*
 * The INDEX-th member, as bench_add makes him with --sex mix: born 1940-01-01 plus INDEX / 1000
 * days, sequence INDEX % 1000 (odd male, even female), joined 18 years and 6 months after birth.
 * Returns 0, or -ERANGE if he would join in the future.
 */
/* One request on FD; *RESP is set (caller frees) only on status 0. Returns 0 or -errno/-EPROTO. */
static int call(int fd, const char *command, const char *(*kv)[2], size_t n, const char *what,
		Ld__Response **resp_out)
{
	Ld__Param params[MAX_PARAMS];
	Ld__Param *pp[MAX_PARAMS];
	for (size_t i = 0; i < n; i++) {
		ld__param__init(&params[i]);
		params[i].key = (char *)kv[i][0];
		params[i].value = (char *)kv[i][1];
		pp[i] = &params[i];
	}
	Ld__Request req = LD__REQUEST__INIT;
	req.version = 1;
	req.command = (char *)command;
	req.operator_ = "bench";
	req.n_params = n;
	req.params = pp;
	Ld__Response *resp;
	int rc = conn_call(fd, &req, &resp);
	if (rc) {
		fprintf(stderr, "bench_sync: %s %s: connection failed: %s\n", command, what,
			lderr_str(rc));
		return rc;
	}
	if (resp->status != 0) {
		fprintf(stderr, "bench_sync: %s %s: status %d: %s\n", command, what, resp->status,
			resp->error ? resp->error : "");
		ld__response__free_unpacked(resp, NULL);
		return -EPROTO;
	}
	if (resp_out)
		*resp_out = resp;
	else
		ld__response__free_unpacked(resp, NULL);
	return 0;
}

/* ---------------------------------------------------------------------------------------------- */
/* load                                                                                           */

struct client {
	pthread_t thread;
	const struct opts *o;
	pthread_barrier_t *start;
	int fd;
	uint64_t first, count;
	uint64_t added, registered, failures;
};

static atomic_bool stop_all;
static _Atomic int64_t first_reg_sent_ms, first_reg_done_ms;

static int client_member(struct client *c, uint64_t index)
{
	const struct opts *o = c->o;
	struct bench_member m;
	if (bench_member_make(index, 0, &m)) {
		fprintf(stderr, "bench_sync: member %" PRIu64 " is too far on for valid dates\n",
			index);
		return -ERANGE;
	}
	int rc;
	if (o->add) {
		char name[32], sex[2] = {m.sex, 0}, birth[LD_DATE_LEN], joined[LD_DATE_LEN];
		snprintf(name, sizeof(name), "测试党员%08" PRIu64, index);
		date_format(m.birth, birth);
		date_format(m.joined, joined);
		const char *kv[][2] = {
		    {"id", m.id},	   {"name", name},
		    {"sex", sex},	   {"birth", birth},
		    {"joined", joined},	   {"kind", "full"},
		    {"branch", o->branch}, {"dues-category", "salaried"},
		    {"income", "6500.00"}, {"phone", "13800138000"},
		};
		if ((rc = call(c->fd, "member.add", kv, sizeof(kv) / sizeof(kv[0]), m.id, NULL)))
			return rc;
		c->added++;
	}
	if (o->register_to) {
		const char *kv[][2] = {
		    {"arg", m.id},	{"to", o->register_to}, {"place", o->place},
		    {"reason", "work"}, {"from", o->from},
		};
		int64_t zero = 0, t = unix_ms();
		atomic_compare_exchange_strong(&first_reg_sent_ms, &zero, t);
		if ((rc = call(c->fd, "outflow.register", kv, sizeof(kv) / sizeof(kv[0]), m.id,
			       NULL)))
			return rc;
		zero = 0;
		atomic_compare_exchange_strong(&first_reg_done_ms, &zero, unix_ms());
		c->registered++;
	}
	return 0;
}

static void *client_main(void *arg)
{
	struct client *c = arg;
	pthread_barrier_wait(c->start);
	for (uint64_t i = 0; i < c->count && !atomic_load(&stop_all); i++) {
		if (client_member(c, c->first + i) != 0) {
			c->failures++;
			atomic_store(&stop_all, true);
			break;
		}
	}
	return NULL;
}

static int run_load(const struct opts *o)
{
	unsigned long n = o->clients;
	struct client *cl = calloc(n, sizeof(*cl));
	pthread_barrier_t start;
	if (!cl) {
		fprintf(stderr, "bench_sync: out of memory\n");
		return 1;
	}
	pthread_barrier_init(&start, NULL, (unsigned)n + 1);
	uint64_t next = o->id_offset;
	for (unsigned long t = 0; t < n; t++) {
		cl[t].o = o;
		cl[t].start = &start;
		cl[t].count = o->count / n + (t < o->count % n);
		cl[t].first = next;
		next += cl[t].count;
		cl[t].fd = conn_open(o->socket);
		if (cl[t].fd < 0) {
			fprintf(stderr, "bench_sync: cannot connect to %s: %s\n", o->socket,
				strerror(-cl[t].fd));
			exit(1);
		}
	}
	for (unsigned long t = 0; t < n; t++) {
		int err = pthread_create(&cl[t].thread, NULL, client_main, &cl[t]);
		if (err) {
			fprintf(stderr, "bench_sync: cannot start a client thread: %s\n",
				strerror(err));
			exit(1);
		}
	}
	pthread_barrier_wait(&start);
	int64_t start_ms = unix_ms();
	double t0 = bench_mono_s();
	uint64_t added = 0, registered = 0, failures = 0;
	for (unsigned long t = 0; t < n; t++) {
		pthread_join(cl[t].thread, NULL);
		close(cl[t].fd);
		added += cl[t].added;
		registered += cl[t].registered;
		failures += cl[t].failures;
	}
	double secs = bench_mono_s() - t0;
	int64_t end_ms = unix_ms();
	double req_rate = secs > 0 ? (double)(added + registered) / secs : 0;
	double reg_rate = secs > 0 ? (double)registered / secs : 0;
	if (o->json)
		printf("{\"bench\":\"sync_load\",\"clients\":%lu,\"count\":%" PRIu64
		       ",\"id_offset\":%" PRIu64 ",\"added\":%" PRIu64 ",\"registered\":%" PRIu64
		       ",\"failures\":%" PRIu64 ",\"seconds\":%.3f,\"requests_per_s\":%.1f,"
		       "\"registers_per_s\":%.1f,\"start_ms\":%" PRId64
		       ",\"first_register_sent_ms\":%" PRId64 ",\"first_register_done_ms\":%" PRId64
		       ",\"end_ms\":%" PRId64 "}\n",
		       n, o->count, o->id_offset, added, registered, failures, secs, req_rate,
		       reg_rate, start_ms, atomic_load(&first_reg_sent_ms),
		       atomic_load(&first_reg_done_ms), end_ms);
	else
		printf("load  clients %-3lu added %-8" PRIu64 " registered %-8" PRIu64
		       " failures %" PRIu64 "  %8.2f s  %9.1f requests/s  %9.1f registrations/s\n",
		       n, added, registered, failures, secs, req_rate, reg_rate);
	pthread_barrier_destroy(&start);
	free(cl);
	uint64_t want = o->count;
	return failures || (o->add && added != want) || (o->register_to && registered != want);
}

/* ---------------------------------------------------------------------------------------------- */
/* wait                                                                                           */

enum { V_RSS, V_HWM, V_ANON, V_FILE, V_SHMEM, N_VALS };
static const char *const val_keys[N_VALS] = {
    "VmRSS:", "VmHWM:", "RssAnon:", "RssFile:", "RssShmem:"};
static const char *const val_names[N_VALS] = {"rss", "hwm", "anon", "file", "shmem"};

/* Read the five values (KiB) of /proc/PID/status. Returns 0, or -errno (e.g. the process is gone).
 */
static int proc_read(pid_t pid, uint64_t v[N_VALS])
{
	char path[64], line[256];
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return lderr_from_errno(errno);
	memset(v, 0, N_VALS * sizeof(*v));
	int seen = 0;
	while (fgets(line, sizeof(line), f)) {
		for (int i = 0; i < N_VALS; i++) {
			size_t kl = strlen(val_keys[i]);
			if (strncmp(line, val_keys[i], kl) == 0) {
				v[i] = strtoull(line + kl, NULL, 10);
				seen++;
			}
		}
		if (strncmp(line, "State:", 6) == 0 && strchr(line, 'Z')) {
			fclose(f);
			return -ESRCH;
		}
	}
	fclose(f);
	return seen == N_VALS ? 0 : -ESRCH;
}

/* The head_seq of the site at FD. Returns 0 or -errno. */
static int site_head(int fd, uint64_t *head)
{
	Ld__Response *resp;
	int rc = call(fd, "site", NULL, 0, "", &resp);
	if (rc)
		return rc;
	json_error_t err;
	json_t *j = json_loads(resp->json ? resp->json : "", 0, &err);
	ld__response__free_unpacked(resp, NULL);
	json_t *h = j ? json_object_get(j, "head_seq") : NULL;
	if (!json_is_integer(h)) {
		json_decref(j);
		fprintf(stderr, "bench_sync: `site` gave no head_seq\n");
		return LD_ECORRUPT;
	}
	*head = (uint64_t)json_integer_value(h);
	json_decref(j);
	return 0;
}

/*
 * CPU use of a process's threads, from /proc/PID/task/TID/schedstat: time on a CPU and time
 * runnable but waiting for one (run queue), in ns, summed, and of its busiest thread.
 */
#define MAX_TIDS 64
struct cpu_use {
	unsigned n;
	int tid[MAX_TIDS];
	uint64_t run[MAX_TIDS], wait[MAX_TIDS];
};

static void cpu_read(pid_t pid, struct cpu_use *u)
{
	char path[64];
	u->n = 0;
	snprintf(path, sizeof(path), "/proc/%d/task", (int)pid);
	DIR *d = opendir(path);
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d)) && u->n < MAX_TIDS) {
		if (e->d_name[0] < '0' || e->d_name[0] > '9')
			continue;
		char sp[384];
		snprintf(sp, sizeof(sp), "/proc/%d/task/%s/schedstat", (int)pid, e->d_name);
		FILE *f = fopen(sp, "r");
		if (!f)
			continue;
		unsigned long long run, wait;
		if (fscanf(f, "%llu %llu", &run, &wait) == 2) {
			u->tid[u->n] = atoi(e->d_name);
			u->run[u->n] = run;
			u->wait[u->n] = wait;
			u->n++;
		}
		fclose(f);
	}
	closedir(d);
}

/* The CPU use between A and B (threads missing from A started in between) as a JSON object. */
static json_t *cpu_delta(const struct cpu_use *a, const struct cpu_use *b)
{
	uint64_t run = 0, wait = 0, top_run = 0, top_wait = 0;
	int top = 0;
	for (unsigned i = 0; i < b->n; i++) {
		uint64_t r0 = 0, w0 = 0;
		for (unsigned j = 0; j < a->n; j++) {
			if (a->tid[j] == b->tid[i]) {
				r0 = a->run[j];
				w0 = a->wait[j];
			}
		}
		uint64_t r = b->run[i] - r0, w = b->wait[i] - w0;
		run += r;
		wait += w;
		if (r > top_run) {
			top_run = r;
			top_wait = w;
			top = b->tid[i];
		}
	}
	return json_pack("{s:f, s:f, s:i, s:f, s:f}", "run_s", run / 1e9, "runq_wait_s", wait / 1e9,
			 "busiest_tid", top, "busiest_run_s", top_run / 1e9, "busiest_runq_wait_s",
			 top_wait / 1e9);
}

struct sample {
	double t; /* s since start */
	uint64_t head;
	uint64_t v[MAX_PIDS][N_VALS];
};

static int run_wait(const struct opts *o)
{
	int fd = conn_open(o->socket);
	if (fd < 0) {
		fprintf(stderr, "bench_sync: cannot connect to %s: %s\n", o->socket, lderr_str(fd));
		return 1;
	}
	FILE *sf = NULL;
	if (o->samples && !(sf = fopen(o->samples, "w"))) {
		fprintf(stderr, "bench_sync: cannot write %s: %s\n", o->samples, strerror(errno));
		return 1;
	}
	size_t cap = 1024, n_samples = 0;
	struct sample *smp = malloc(cap * sizeof(*smp));
	uint64_t peak[MAX_PIDS][N_VALS] = {{0}};
	int64_t start_ms = unix_ms(), first_ms = 0, done_ms = 0;
	double t0 = bench_mono_s(), last_sample = -1e9, last_move = t0;
	uint64_t head = 0, base = o->base, prev = UINT64_MAX;
	const char *why = NULL;
	int rc = 0;
	static struct cpu_use cpu0[MAX_PIDS], cpu1[MAX_PIDS];
	for (unsigned p = 0; p < o->n_pids; p++)
		cpu_read(o->pid[p], &cpu0[p]);
	for (;;) {
		if ((rc = site_head(fd, &head))) {
			why = "the site does not answer";
			break;
		}
		double now = bench_mono_s();
		if (prev == UINT64_MAX && !o->have_base)
			base = head;
		if (head != prev)
			last_move = now;
		if (!first_ms && head > base)
			first_ms = unix_ms();
		bool done = head >= o->head;
		if (done)
			done_ms = unix_ms();
		prev = head;
		if (done || (now - last_sample) * 1000 >= (double)o->sample_ms) {
			last_sample = now;
			if (n_samples == cap) {
				cap *= 2;
				smp = realloc(smp, cap * sizeof(*smp));
			}
			if (!smp) {
				why = "out of memory";
				break;
			}
			struct sample *s = &smp[n_samples++];
			s->t = now - t0;
			s->head = head;
			double prog =
			    o->head > base ? (double)(head - base) / (double)(o->head - base) : 1;
			for (unsigned p = 0; p < o->n_pids; p++) {
				if (proc_read(o->pid[p], s->v[p]) != 0) {
					fprintf(stderr, "bench_sync: %s (pid %d) is gone\n",
						o->pid_name[p], (int)o->pid[p]);
					why = "a daemon died";
					break;
				}
				for (int i = 0; i < N_VALS; i++)
					if (s->v[p][i] > peak[p][i])
						peak[p][i] = s->v[p][i];
				if (sf)
					fprintf(sf,
						"%.3f\t%" PRIu64 "\t%.4f\t%s\t%d\t%" PRIu64
						"\t%" PRIu64 "\t%" PRIu64 "\t%" PRIu64 "\t%" PRIu64
						"\n",
						s->t, head, prog, o->pid_name[p], (int)o->pid[p],
						s->v[p][V_RSS], s->v[p][V_HWM], s->v[p][V_ANON],
						s->v[p][V_FILE], s->v[p][V_SHMEM]);
			}
			if (sf)
				fflush(sf);
			if (why)
				break;
		}
		if (done)
			break;
		if (now - last_move > (double)o->stall_s) {
			why = "the head has not moved for --stall seconds";
			break;
		}
		if (now - t0 > (double)o->timeout_s) {
			why = "timeout";
			break;
		}
		sleep_ms(o->poll_ms);
	}
	for (unsigned p = 0; p < o->n_pids; p++)
		cpu_read(o->pid[p], &cpu1[p]);
	/* A head above the target: more events than were sent (doubled, or unexpected). */
	uint64_t final_head = head;
	if (!why) {
		sleep_ms(1500);
		if (site_head(fd, &final_head) == 0 && final_head != o->head)
			why = "the head moved past the target";
	}
	close(fd);
	if (sf)
		fclose(sf);
	double secs = done_ms ? (double)(done_ms - start_ms) / 1000 : bench_mono_s() - t0;
	uint64_t events = head - base;
	json_t *out = json_pack(
	    "{s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:f, s:f, s:s?}", "bench", "sync_wait",
	    "base", (json_int_t)base, "target", (json_int_t)o->head, "head", (json_int_t)head,
	    "final_head", (json_int_t)final_head, "start_ms", (json_int_t)start_ms, "first_ms",
	    (json_int_t)first_ms, "done_ms", (json_int_t)done_ms, "seconds", secs, "events_per_s",
	    secs > 0 ? (double)events / secs : 0.0, "error", why);
	json_t *procs = json_object();
	for (unsigned p = 0; p < o->n_pids; p++) {
		json_t *pj = json_object();
		json_object_set_new(pj, "pid", json_integer(o->pid[p]));
		for (int i = 0; i < N_VALS; i++) {
			char k[32];
			snprintf(k, sizeof(k), "peak_%s_kib", val_names[i]);
			json_object_set_new(pj, k, json_integer((json_int_t)peak[p][i]));
		}
		/* RSS, anon and file at the first sample at or past 25, 50, 75, 100% of progress.
		 */
		json_t *at = json_object();
		for (int q = 0; q <= 4; q++) {
			double want =
			    o->head > base ? base + (double)(o->head - base) * q / 4.0 : 0;
			for (size_t s = 0; s < n_samples; s++) {
				if ((double)smp[s].head >= want) {
					char k[8];
					snprintf(k, sizeof(k), "%d", q * 25);
					json_object_set_new(
					    at, k,
					    json_pack("{s:f, s:I, s:I, s:I, s:I}", "t", smp[s].t,
						      "head", (json_int_t)smp[s].head, "rss_kib",
						      (json_int_t)smp[s].v[p][V_RSS], "anon_kib",
						      (json_int_t)smp[s].v[p][V_ANON], "file_kib",
						      (json_int_t)smp[s].v[p][V_FILE]));
					break;
				}
			}
		}
		json_object_set_new(pj, "at_progress", at);
		json_object_set_new(pj, "cpu", cpu_delta(&cpu0[p], &cpu1[p]));
		json_object_set_new(procs, o->pid_name[p], pj);
	}
	json_object_set_new(out, "samples", json_integer((json_int_t)n_samples));
	json_object_set_new(out, "procs", procs);
	if (o->json) {
		char *text = json_dumps(out, JSON_COMPACT | JSON_PRESERVE_ORDER);
		puts(text);
		free(text);
	} else {
		printf("wait  head %" PRIu64 " -> %" PRIu64 " (target %" PRIu64 ")  %.2f s  %.1f "
		       "events/s%s%s\n",
		       base, head, o->head, secs, secs > 0 ? (double)events / secs : 0.0,
		       why ? "  FAILED: " : "", why ? why : "");
		for (unsigned p = 0; p < o->n_pids; p++)
			printf("      %s: peak rss %" PRIu64 " KiB, hwm %" PRIu64
			       " KiB, anon %" PRIu64 " KiB, file %" PRIu64 " KiB\n",
			       o->pid_name[p], peak[p][V_RSS], peak[p][V_HWM], peak[p][V_ANON],
			       peak[p][V_FILE]);
	}
	json_decref(out);
	free(smp);
	if (why)
		fprintf(stderr,
			"bench_sync: wait failed: %s (head %" PRIu64 ", target %" PRIu64 ")\n", why,
			final_head, o->head);
	return why ? 1 : 0;
}

/* ---------------------------------------------------------------------------------------------- */

static const char usage[] =
    "usage: bench_sync load --socket PATH --clients N --count M [--add] [--register-to PEER]\n"
    "                       [--id-offset K] [--branch CODE] [--place TEXT] [--from DATE] [--json]\n"
    "       bench_sync wait --socket PATH --head H [--base B] [--poll-ms P] [--timeout S]\n"
    "                       [--stall S] [--pid NAME=PID]... [--sample-ms T] [--samples FILE]\n"
    "                       [--json]\n";

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
	    {"socket", required_argument, NULL, 's'},
	    {"clients", required_argument, NULL, 'n'},
	    {"count", required_argument, NULL, 'm'},
	    {"add", no_argument, NULL, 'a'},
	    {"register-to", required_argument, NULL, 'r'},
	    {"id-offset", required_argument, NULL, 'o'},
	    {"branch", required_argument, NULL, 'b'},
	    {"place", required_argument, NULL, 'p'},
	    {"from", required_argument, NULL, 'f'},
	    {"head", required_argument, NULL, 'H'},
	    {"base", required_argument, NULL, 'B'},
	    {"poll-ms", required_argument, NULL, 'P'},
	    {"timeout", required_argument, NULL, 'T'},
	    {"stall", required_argument, NULL, 'S'},
	    {"pid", required_argument, NULL, 'i'},
	    {"sample-ms", required_argument, NULL, 'M'},
	    {"samples", required_argument, NULL, 'F'},
	    {"json", no_argument, NULL, 'j'},
	    {"help", no_argument, NULL, 'h'},
	    {0},
	};
	struct opts o = {.branch = "bench",
			 .clients = 1,
			 .place = "广东省深圳市南山区科技园",
			 .from = "2026-03-01",
			 .poll_ms = 20,
			 .sample_ms = 500,
			 .timeout_s = 3600,
			 .stall_s = 60};
	uint64_t v;
	int c;
	if (argc < 2 || (strcmp(argv[1], "load") != 0 && strcmp(argv[1], "wait") != 0)) {
		bool help = argc >= 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"));
		fputs(usage, help ? stdout : stderr);
		return help ? 0 : 2;
	}
	o.mode = argv[1];
	optind = 2;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (c) {
		case 's':
			o.socket = optarg;
			break;
		case 'n':
			if (bench_parse_u64("bench_sync", "clients", optarg, 1, &v))
				return 2;
			if (v > 1024) {
				fprintf(stderr, "bench_sync: --clients is 1 to 1024\n");
				return 2;
			}
			o.clients = (unsigned long)v;
			break;
		case 'm':
			if (bench_parse_u64("bench_sync", "count", optarg, 1, &o.count))
				return 2;
			break;
		case 'a':
			o.add = true;
			break;
		case 'r':
			o.register_to = optarg;
			break;
		case 'o':
			if (bench_parse_u64("bench_sync", "id-offset", optarg, 0, &o.id_offset))
				return 2;
			break;
		case 'b':
			o.branch = optarg;
			break;
		case 'p':
			o.place = optarg;
			break;
		case 'f':
			o.from = optarg;
			break;
		case 'H':
			if (bench_parse_u64("bench_sync", "head", optarg, 0, &o.head))
				return 2;
			break;
		case 'B':
			if (bench_parse_u64("bench_sync", "base", optarg, 0, &o.base))
				return 2;
			o.have_base = true;
			break;
		case 'P':
			if (bench_parse_u64("bench_sync", "poll-ms", optarg, 1, &o.poll_ms))
				return 2;
			break;
		case 'T':
			if (bench_parse_u64("bench_sync", "timeout", optarg, 1, &o.timeout_s))
				return 2;
			break;
		case 'S':
			if (bench_parse_u64("bench_sync", "stall", optarg, 1, &o.stall_s))
				return 2;
			break;
		case 'M':
			if (bench_parse_u64("bench_sync", "sample-ms", optarg, 1, &o.sample_ms))
				return 2;
			break;
		case 'F':
			o.samples = optarg;
			break;
		case 'i': {
			char *eq = strchr(optarg, '=');
			if (!eq || eq == optarg || o.n_pids == MAX_PIDS ||
			    bench_parse_u64("bench_sync", "pid", eq + 1, 1, &v)) {
				fprintf(stderr, "bench_sync: --pid is NAME=PID, at most %d times\n",
					MAX_PIDS);
				return 2;
			}
			*eq = '\0';
			o.pid_name[o.n_pids] = optarg;
			o.pid[o.n_pids++] = (pid_t)v;
			break;
		}
		case 'j':
			o.json = true;
			break;
		case 'h':
			fputs(usage, stdout);
			return 0;
		default:
			fputs(usage, stderr);
			return 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "bench_sync: unexpected argument '%s'\n%s", argv[optind], usage);
		return 2;
	}
	if (!o.socket) {
		fprintf(stderr, "bench_sync: --socket PATH is required\n%s", usage);
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	if (strcmp(o.mode, "load") == 0) {
		if (!o.count || (!o.add && !o.register_to)) {
			fprintf(stderr,
				"bench_sync: load needs --count and --add and/or "
				"--register-to\n%s",
				usage);
			return 2;
		}
		struct bench_member last;
		if (bench_member_make(o.id_offset + o.count - 1, 0, &last)) {
			fprintf(stderr, "bench_sync: --id-offset + --count is too large for valid "
					"dates\n");
			return 2;
		}
		return run_load(&o);
	}
	if (!o.head) {
		fprintf(stderr, "bench_sync: wait needs --head H\n%s", usage);
		return 2;
	}
	return run_wait(&o);
}
